// Run comparison rows: one series per run, merged by step, unknown values left out.
import { describe, expect, it } from 'vitest';
import { compareRows, hasMetric, type CompareRun } from '../../src/rollouts/compare';
import type { StepSummary } from '../../src/rollouts/group';

function summary(step: number, rP: number | null, kl: number | null = null): StepSummary {
  return {
    step,
    rollouts: 4,
    groups: 1,
    perception: { accuracy: rP, format: 1, length: 0, total: rP === null ? null : rP + 1 },
    reasoning: { accuracy: 0.5, format: 1, length: 0, total: 1.5 },
    score: null,
    kl,
    perceptionChars: 10,
    reasoningChars: 20,
    collapsedPerception: 0,
    collapsedReasoning: 0,
    collapsedBoth: 0,
    quadrants: { PhRh: 1, PhRl: 1, PlRh: 1, PlRl: 1 },
  };
}

describe('compareRows', () => {
  const pa: CompareRun = { key: 'pa', stepSummaries: [summary(0, 0.25), summary(1, 0.5), summary(3, 0.75, 0.01)] };
  const grpo: CompareRun = { key: 'grpo', stepSummaries: [summary(1, 0.1), summary(0, null), summary(2, 0.3)] };

  it('merges the runs by step, ascending, one key per run', () => {
    expect(compareRows([pa, grpo], 'R_P accuracy')).toEqual([
      { step: 0, pa: 0.25 },
      { step: 1, pa: 0.5, grpo: 0.1 },
      { step: 2, grpo: 0.3 },
      { step: 3, pa: 0.75 },
    ]);
    expect(compareRows([pa, grpo], 'R_P total')[1]).toEqual({ step: 1, pa: 1.5, grpo: 1.1 });
  });

  it('knows which metrics some run has', () => {
    expect(hasMetric([pa, grpo], 'KL')).toBe(true);
    expect(hasMetric([grpo], 'KL')).toBe(false);
    expect(compareRows([grpo], 'KL')).toEqual([{ step: 0 }, { step: 1 }, { step: 2 }]);
  });
});
