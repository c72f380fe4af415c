// Several runs on one chart: per-step series of one metric of each run's step summaries (the run
// dashboard's rows), merged by step so recharts draws one line per run, e.g. PA-GRPO against plain
// GRPO from the same SFT checkpoint. Pure: no React.

import type { StepSummary } from './group';

/** The metrics a comparison can plot, with how to read each from a step summary. */
export const COMPARE_METRICS = {
  'R_P total': (s: StepSummary) => s.perception.total,
  'R_R total': (s: StepSummary) => s.reasoning.total,
  'R_P accuracy': (s: StepSummary) => s.perception.accuracy,
  'R_R accuracy': (s: StepSummary) => s.reasoning.accuracy,
  'R_P format': (s: StepSummary) => s.perception.format,
  'R_R format': (s: StepSummary) => s.reasoning.format,
  KL: (s: StepSummary) => s.kl,
  'collapsed groups (both)': (s: StepSummary) => s.collapsedBoth,
  'observation chars': (s: StepSummary) => s.perceptionChars,
  'think+answer chars': (s: StepSummary) => s.reasoningChars,
} satisfies Record<string, (s: StepSummary) => number | null>;

export type CompareMetric = keyof typeof COMPARE_METRICS;

export interface CompareRun {
  /** Series key: unique per run (the run id). */
  key: string;
  stepSummaries: readonly StepSummary[];
}

/**
 * Rows { step, [run key]: value } over the union of the runs' steps, ascending. A run without that
 * step, or whose value is unknown (null), has no entry, so its line skips the point.
 */
export function compareRows(runs: readonly CompareRun[], metric: CompareMetric): Record<string, number>[] {
  const read = COMPARE_METRICS[metric];
  const byStep = new Map<number, Record<string, number>>();
  for (const run of runs) {
    for (const s of run.stepSummaries) {
      const v = read(s);
      const row = byStep.get(s.step) ?? { step: s.step };
      if (v !== null && Number.isFinite(v)) row[run.key] = v;
      byStep.set(s.step, row);
    }
  }
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

/** Whether any run has a value of `metric` (charts of metrics no run has are left out). */
export function hasMetric(runs: readonly CompareRun[], metric: CompareMetric): boolean {
  const read = COMPARE_METRICS[metric];
  return runs.some((r) => r.stepSummaries.some((s) => read(s) !== null));
}

/**
 * A y-axis domain [lo, hi] for chart rows: every finite value of `keys` lies strictly inside it, so a
 * series that stays at its minimum (a reward at 0 every step) is drawn above the x-axis, not on it,
 * where it looks absent (issue 11). Padding is a tenth of the range (half a unit when the range is 0),
 * rounded outward to that padding's power of ten. Null when no key has a value.
 */
export function paddedDomain(rows: readonly Record<string, unknown>[], keys: readonly string[]): [number, number] | null {
  let min = Infinity;
  let max = -Infinity;
  for (const row of rows) {
    for (const k of keys) {
      const v = row[k];
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (min > max) return null;
  const pad = max > min ? (max - min) / 10 : Math.max(0.5, Math.abs(min) / 10);
  const unit = 10 ** Math.floor(Math.log10(pad));
  const lo = Math.floor((min - pad) / unit) * unit;
  const hi = Math.ceil((max + pad) / unit) * unit;
  const clean = (x: number) => Number(x.toPrecision(12));
  return [clean(lo), clean(hi)];
}
