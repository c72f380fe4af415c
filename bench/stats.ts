// Pure helpers of the benchmark harness (no GPU, no DOM): order statistics over repeated timings,
// the baseline/ours ratio, numerical agreement between two outputs, and the printed table.

/** Order statistics of one set of timings, in milliseconds. */
export interface Summary {
  /** Number of timed repeats (warm-up runs excluded). */
  n: number;
  median: number;
  /** 10th and 90th percentiles (linear interpolation between order statistics). */
  p10: number;
  p90: number;
  min: number;
  max: number;
}

/** The q-quantile (0 ≤ q ≤ 1) of `values`, interpolating linearly between order statistics. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = Math.min(Math.max(q, 0), 1) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

export function summarize(values: readonly number[]): Summary {
  return {
    n: values.length,
    median: median(values),
    p10: quantile(values, 0.1),
    p90: quantile(values, 0.9),
    min: values.length ? Math.min(...values) : NaN,
    max: values.length ? Math.max(...values) : NaN,
  };
}

/** baseline / ours on medians: > 1 means ours is faster. NaN when either side is missing. */
export function speedup(baselineMs: number | undefined, oursMs: number | undefined): number {
  if (baselineMs === undefined || oursMs === undefined || !(oursMs > 0) || !Number.isFinite(baselineMs)) return NaN;
  return baselineMs / oursMs;
}

export interface Tolerance {
  atol: number;
  rtol: number;
}

/** How far one output is from another, elementwise, under |a - b| ≤ atol + rtol·|b|. */
export interface Agreement {
  ok: boolean;
  /** Elements compared. */
  n: number;
  maxAbsErr: number;
  /** max |a - b| / max(|b|, atol): a relative error that does not blow up near zero. */
  maxRelErr: number;
  /** Elements outside the tolerance (non-finite on one side only counts as outside). */
  bad: number;
  /** Index of the worst element, for debugging a broken tile. */
  worstIndex: number;
  /** Both sides entirely zero: two kernels that never ran agree, so this counts as a failure. */
  allZero: boolean;
  tol: Tolerance;
}

/** Compares `actual` to `expected` (the reference side) elementwise; all-zero outputs fail. */
export function agreement(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance): Agreement {
  const n = Math.min(actual.length, expected.length);
  let maxAbsErr = 0;
  let maxRelErr = 0;
  let bad = actual.length === expected.length ? 0 : Math.abs(actual.length - expected.length);
  let worstIndex = -1;
  let allZero = n > 0;
  for (let i = 0; i < n; i++) {
    const a = actual[i];
    const e = expected[i];
    if (a !== 0 || e !== 0) allZero = false;
    if (a === e) continue;
    const err = Math.abs(a - e);
    if (!Number.isFinite(err)) {
      bad++;
      maxAbsErr = Infinity;
      maxRelErr = Infinity;
      worstIndex = i;
      continue;
    }
    if (err > tol.atol + tol.rtol * Math.abs(e)) bad++;
    if (err > maxAbsErr) {
      maxAbsErr = err;
      worstIndex = i;
    }
    maxRelErr = Math.max(maxRelErr, err / Math.max(Math.abs(e), tol.atol));
  }
  return { ok: bad === 0 && !allZero, n, maxAbsErr, maxRelErr, bad, worstIndex, allZero, tol };
}

/** Formats rows of cells as a left-aligned text table with a header rule. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((cell, c) => (cell ?? '').padEnd(widths[c])).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Milliseconds with about three significant digits: 0.0123, 1.23, 123, 12345. */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toPrecision(3);
}

export function formatRatio(ratio: number | undefined): string {
  if (ratio === undefined || !Number.isFinite(ratio)) return '-';
  return `${ratio.toFixed(2)}x`;
}
