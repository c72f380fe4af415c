// Next-token sampling: greedy at temperature 0, the nucleus cut of top-p, seeded reproducibility.

import { describe, expect, it } from 'vitest';
import { logProb, sampleToken } from '../../src/model/sampling';
import { Rng } from '../../src/util/rng';

describe('sampleToken', () => {
  const logits = Float32Array.from([Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)]);

  it('takes the argmax at temperature 0', () => {
    expect(sampleToken(logits, { temperature: 0, topP: 1 }, new Rng(1)).id).toBe(0);
  });

  it('never samples outside the nucleus: with top-p 0.75 only the two likeliest tokens appear', () => {
    const rng = new Rng(2);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(sampleToken(logits, { temperature: 1, topP: 0.75 }, rng).id);
    expect([...seen].sort()).toEqual([0, 1]);
  });

  it('samples in proportion to the probabilities with top-p 1, and reports their log-probs', () => {
    const rng = new Rng(3);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 20000; i++) {
      const s = sampleToken(logits, { temperature: 1, topP: 1 }, rng);
      counts[s.id]++;
      expect(s.logp).toBeCloseTo(logProb(logits, s.id), 6);
    }
    [0.5, 0.3, 0.15, 0.05].forEach((p, i) => expect(Math.abs(counts[i] / 20000 - p)).toBeLessThan(0.015));
  });

  it('gives the same tokens for the same seed', () => {
    const draw = (seed: number) => {
      const rng = new Rng(seed);
      return Array.from({ length: 20 }, () => sampleToken(logits, { temperature: 1, topP: 0.95 }, rng).id);
    };
    expect(draw(7)).toEqual(draw(7));
  });
});
