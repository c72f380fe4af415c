import { describe, expect, it } from 'vitest';
import { pairedDifference } from '../../src/train/experiment_stats';
import { Rng } from '../../src/util/rng';

describe('the paired bootstrap difference of an arm from the baseline', () => {
  const rng = new Rng(3);
  const coin = (p: number) => Array.from({ length: 300 }, () => (rng.next() < p ? 1 : 0));

  it('is the mean per-question difference, with an interval around it', () => {
    const base = [[0, 1, 1, 0], [1, 1, 0, 0]];
    const arm = [[1, 1, 1, 0], [1, 1, 1, 1]];
    const d = pairedDifference(arm, base, 500);
    expect(d.mean).toBeCloseTo((0.25 + 0.5) / 2, 10);
    expect(d.low).toBeLessThanOrEqual(d.mean);
    expect(d.high).toBeGreaterThanOrEqual(d.mean);
  });

  it('excludes 0 for a clear improvement and contains 0 when there is none', () => {
    const base = [coin(0.4), coin(0.4), coin(0.4)];
    const better = base.map((qs) => qs.map((x) => (x === 1 || rng.next() < 0.5 ? 1 : 0)));
    const up = pairedDifference(better, base);
    expect(up.low).toBeGreaterThan(0);
    const same = [coin(0.4), coin(0.4), coin(0.4)];
    const flat = pairedDifference(same, base);
    expect(flat.low).toBeLessThan(0);
    expect(flat.high).toBeGreaterThan(0);
  });

  it('rejects arms that do not share seeds and questions', () => {
    expect(() => pairedDifference([[1, 0]], [[1, 0], [0, 1]])).toThrow(/seeds/);
    expect(() => pairedDifference([[1, 0]], [[1]])).toThrow(/questions/);
  });
});
