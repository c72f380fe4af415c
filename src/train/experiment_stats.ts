// Statistics of the PA-GRPO vs GRPO experiment (scripts/experiment.ts): the mean difference of an arm
// from the baseline on the same held-out questions, with a 95% interval from a hierarchical paired
// bootstrap — seeds resampled with replacement, then questions within each seed, the same question
// indices for both arms (the questions are shared, so the pairing removes their difficulty from the
// noise). Pure: no WebGPU.

import { Rng } from '../util/rng';

/** Per seed, per question scores of one arm; every arm has the same seeds and questions in the same order. */
export type ArmScores = number[][];

export interface Difference {
  /** Mean over seeds of the mean over questions of (arm − baseline). */
  mean: number;
  /** 2.5% and 97.5% quantiles of the bootstrap distribution of that mean. */
  low: number;
  high: number;
  /** Bootstrap resamples drawn. */
  resamples: number;
}

const meanOf = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function pairedDifference(arm: ArmScores, baseline: ArmScores, resamples = 2000, seed = 1): Difference {
  if (arm.length !== baseline.length || arm.length === 0) throw new Error(`pairedDifference: ${arm.length} seeds against ${baseline.length}`);
  const diffs = arm.map((qs, s) => {
    if (qs.length !== baseline[s].length || qs.length === 0) throw new Error(`pairedDifference: seed ${s} has ${qs.length} questions against ${baseline[s].length}`);
    return qs.map((x, q) => x - baseline[s][q]);
  });
  const mean = meanOf(diffs.map(meanOf));
  const rng = new Rng(seed);
  const stats: number[] = [];
  for (let r = 0; r < resamples; r++) {
    let total = 0;
    for (let s = 0; s < diffs.length; s++) {
      const d = diffs[rng.int(diffs.length)];
      let sum = 0;
      for (let q = 0; q < d.length; q++) sum += d[rng.int(d.length)];
      total += sum / d.length;
    }
    stats.push(total / diffs.length);
  }
  stats.sort((a, b) => a - b);
  return { mean, low: quantile(stats, 0.025), high: quantile(stats, 0.975), resamples };
}
