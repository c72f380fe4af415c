// Pure helpers of the benchmark harness: order statistics, the speed-up ratio, agreement between
// two outputs, the config flags, and the printed table.

import { describe, expect, it } from 'vitest';
import { agreement, formatMs, formatTable, median, quantile, speedup, summarize } from '../../bench/stats';
import { FULL, QUICK, attentionRepeats, parseBenchArgs } from '../../bench/config';
import { sectionTable, withRatios, type BenchRow } from '../../bench/report';
import { summarizeSamples } from '../../bench/timing';

describe('bench stats', () => {
  it('takes the middle value as the median, averaging the two middles of an even count', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('interpolates quantiles between order statistics', () => {
    const values = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110];
    expect(quantile(values, 0.1)).toBe(20);
    expect(quantile(values, 0.9)).toBe(100);
    expect(quantile([1, 2], 0.25)).toBe(1.25);
  });

  it('summarises an empty sample as NaN rather than throwing', () => {
    expect(summarize([]).median).toBeNaN();
  });

  it('reports baseline over ours, so a faster kernel of ours gives a ratio above one', () => {
    expect(speedup(30, 10)).toBe(3);
    expect(speedup(undefined, 10)).toBeNaN();
    expect(speedup(10, 0)).toBeNaN();
  });

  it('accepts outputs within atol + rtol·|ref| and counts the rest', () => {
    const a = agreement([1, 2.001, 3], [1, 2, 3.5], { atol: 1e-3, rtol: 1e-3 });
    expect(a.ok).toBe(false);
    expect(a.bad).toBe(1);
    expect(a.worstIndex).toBe(2);
    expect(a.maxAbsErr).toBeCloseTo(0.5);
    expect(agreement([1, 2.001], [1, 2], { atol: 1e-3, rtol: 1e-3 }).ok).toBe(true);
  });

  it('fails when one side is not finite, or when both sides are all zero', () => {
    expect(agreement([NaN], [1], { atol: 1, rtol: 1 }).ok).toBe(false);
    const zeros = agreement([0, 0], [0, 0], { atol: 1, rtol: 1 });
    expect(zeros.allZero).toBe(true);
    expect(zeros.ok).toBe(false);
  });

  it('formats milliseconds to about three significant digits', () => {
    expect(formatMs(1234.5)).toBe('1235');
    expect(formatMs(12.345)).toBe('12.3');
    expect(formatMs(1.2345)).toBe('1.23');
    expect(formatMs(0.012345)).toBe('0.0123');
    expect(formatMs(undefined)).toBe('-');
  });

  it('pads table columns to their widest cell', () => {
    expect(formatTable(['a', 'bb'], [['ccc', 'd']]).split('\n')).toEqual(['a    bb', '---  --', 'ccc  d']);
  });
});

describe('bench timing summaries', () => {
  it('sums the GPU time of the passes of each repeat', () => {
    const t = summarizeSamples([
      { wallMs: 10, phaseMs: { forward: 2, backward: 5 } },
      { wallMs: 12, phaseMs: { forward: 3, backward: 6 } },
      { wallMs: 11, phaseMs: { forward: 4, backward: 4 } },
    ]);
    expect(t.wall.median).toBe(11);
    expect(t.gpuMs).toEqual([7, 9, 8]);
    expect(t.phases?.forward.median).toBe(3);
  });

  it('gives no GPU summary when a sample lacks timestamps', () => {
    expect(summarizeSamples([{ wallMs: 1 }]).gpu).toBeUndefined();
  });
});

describe('bench config', () => {
  it('runs the full preset without flags and the quick preset with --quick', () => {
    expect(parseBenchArgs([]).preset).toBe('full');
    expect(parseBenchArgs(['--quick']).attention.T).toEqual(QUICK.attention.T);
  });

  it('reads lists, MxNxK shapes, sections and both --flag value and --flag=value', () => {
    const c = parseBenchArgs(['--seq=64,256', '--head-dims', '32', '--matmul', '64x32x16,8x8x8', '--only', 'node']);
    expect(c.attention.T).toEqual([64, 256]);
    expect(c.attention.D).toEqual([32]);
    expect(c.matmul).toEqual([
      { m: 64, n: 32, k: 16 },
      { m: 8, n: 8, k: 8 },
    ]);
    expect(c.only).toEqual(['node']);
  });

  it('caps the long-sequence repeats by an explicit --repeats unless they are given too', () => {
    expect(parseBenchArgs(['--repeats', '1']).longRepeats).toBe(1);
    expect(parseBenchArgs(['--repeats', '1', '--long-repeats', '4']).longRepeats).toBe(4);
    expect(parseBenchArgs(['--repeats', '9']).longRepeats).toBe(FULL.longRepeats);
  });

  it('uses fewer repeats at T ≥ longT', () => {
    expect(attentionRepeats(FULL, 1024)).toBe(FULL.longRepeats);
    expect(attentionRepeats(FULL, 256)).toBe(FULL.repeats);
  });

  it('rejects unknown flags and malformed values with a message', () => {
    expect(() => parseBenchArgs(['--fast'])).toThrow(/unknown flag '--fast'/);
    expect(() => parseBenchArgs(['--matmul', '64x32'])).toThrow(/not MxNxK/);
    expect(() => parseBenchArgs(['--repeats', 'x'])).toThrow(/not a list of integers/);
    expect(() => parseBenchArgs(['--repeats', '0'])).toThrow(/at least 1/);
  });
});

describe('bench report', () => {
  const timing = (median: number) => summarize([median]);

  it('marks a row that misses its target', () => {
    const row = withRatios({
      kernel: 'attention fwd+bwd',
      shape: 'B=1 T=256 H=4 D=32',
      params: {},
      repeats: 1,
      target: 2,
      ours: { label: 'ours', wall: timing(10) },
      baseline: { label: 'base', wall: timing(15) },
    } satisfies BenchRow);
    expect(row.ratio).toBe(1.5);
    const table = sectionTable({ name: 'node', title: 'Node', rows: [row], notes: [], failures: [], seconds: 1 });
    expect(table).toContain('1.50x');
    expect(table).toContain('>=2x MISSED');
  });
});
