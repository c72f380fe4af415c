// The shape of a benchmark result (what every section returns and what lands in
// bench/results/<date>-kernels.json) and the readable table printed at the end of a run. Pure.

import type { AdapterSummary } from '../src/gpu/device';
import { formatMs, formatRatio, formatTable, speedup, type Agreement, type Summary } from './stats';
import type { Timing } from './timing';

/** One side of a comparison: what ran and how long it took. */
export interface TimedSide {
  /** What ran: 'ours (Attention)', 'unfused (AttentionUnfused)', 'onnxruntime-web webgpu'. */
  label: string;
  /** Wall ms per repeat (encode → submit → done; for ORT: session.run → done). */
  wall: Summary;
  /** GPU timestamp ms (sum of passes), where available. */
  gpu?: Summary;
  /** GPU timestamp ms per pass ('forward', 'backward'). */
  phases?: Record<string, Summary>;
  /** Useful floating-point work per repeat over the wall median, GFLOP/s. */
  gflops?: number;
}

export interface BenchRow {
  /** What is compared: 'attention fwd+bwd', 'matmul', 'attention fwd'. */
  kernel: string;
  /** Human-readable shape: 'B=1 T=256 H=4 D=32', '512x1024x256'. */
  shape: string;
  /** The same shape as numbers. */
  params: Record<string, number>;
  repeats: number;
  /** Absent only when the row was not timed (see `skipped`). */
  ours?: TimedSide;
  baseline?: TimedSide;
  /** baseline / ours on wall medians (> 1: ours is faster). */
  ratio?: number;
  /** baseline / ours on GPU timestamp medians, where both sides have them. */
  gpuRatio?: number;
  /** baseline / ours per pass, on GPU timestamp medians. */
  phaseRatios?: Record<string, number>;
  /** The ratio this row should reach, if any (README: targets). */
  target?: number;
  /** Ours against the baseline (or a CPU reference), read back once before timing. */
  agreement?: Record<string, Agreement>;
  /** Which output the agreement compares against: 'baseline', 'float64 CPU reference'. */
  agreementAgainst?: string;
  /** Set when the row was not timed or not compared, with the reason. */
  skipped?: string;
  note?: string;
}

export interface AdapterInfo extends AdapterSummary {
  /** Where it ran: 'Node (Dawn)' or the browser's user agent. */
  runtime: string;
  /** True on SwiftShader and other CPU adapters: every figure is then a CPU figure, not a GPU one. */
  cpuFigures: boolean;
}

export interface SectionResult {
  /** Registry name ('node', 'browser'). */
  name: string;
  title: string;
  adapter?: AdapterInfo;
  rows: BenchRow[];
  notes: string[];
  /** Numerical disagreements and crashes: any entry makes `npm run bench` exit non-zero. */
  failures: string[];
  seconds: number;
}

/** What a section's run returns; the runner adds name, title and seconds. */
export type SectionBody = Omit<SectionResult, 'name' | 'title' | 'seconds'>;

/** Builds one side's summary from a Timing, with GFLOP/s when the work is known. */
export function side(label: string, timing: Timing, flops?: number): TimedSide {
  const out: TimedSide = { label, wall: timing.wall };
  if (timing.gpu) out.gpu = timing.gpu;
  if (timing.phases) out.phases = timing.phases;
  if (flops !== undefined && timing.wall.median > 0) out.gflops = flops / (timing.wall.median * 1e6);
  return out;
}

/** Fills the ratios of a row from its two sides. */
export function withRatios(row: BenchRow): BenchRow {
  if (!row.baseline || !row.ours) return row;
  row.ratio = speedup(row.baseline.wall.median, row.ours.wall.median);
  if (row.baseline.gpu && row.ours.gpu) row.gpuRatio = speedup(row.baseline.gpu.median, row.ours.gpu.median);
  if (row.baseline.phases && row.ours.phases) {
    row.phaseRatios = {};
    for (const [name, s] of Object.entries(row.ours.phases)) {
      const b = row.baseline.phases[name];
      if (b) row.phaseRatios[name] = speedup(b.median, s.median);
    }
  }
  return row;
}

function worstError(row: BenchRow): string {
  if (!row.agreement) return '-';
  const entries = Object.entries(row.agreement);
  const worst = Math.max(...entries.map(([, a]) => a.maxAbsErr));
  const ok = entries.every(([, a]) => a.ok);
  return `${ok ? 'ok' : 'FAIL'} ${Number.isFinite(worst) ? worst.toExponential(1) : String(worst)}`;
}

/** The printed table of one section: medians (ms), ratios, GPU-timestamp ratios, agreement. */
export function sectionTable(section: SectionResult): string {
  const header = ['kernel', 'shape', 'n', 'ours ms', 'p10-p90', 'base ms', 'p10-p90', 'ratio', 'gpu ratio', 'per pass (gpu)', 'target', 'max |err|'];
  // Per-pass ratios only where a row has several passes (attention: forward, backward).
  const perPass = (r: BenchRow) =>
    r.phaseRatios && Object.keys(r.phaseRatios).length > 1
      ? Object.entries(r.phaseRatios).map(([name, ratio]) => `${({ forward: 'fwd', backward: 'bwd' } as Record<string, string>)[name] ?? name} ${formatRatio(ratio)}`).join(' ')
      : '';
  const range = (s?: Summary) => (s ? `${formatMs(s.p10)}-${formatMs(s.p90)}` : '-');
  const rows = section.rows.map((r) => [
    r.kernel,
    r.shape,
    String(r.repeats),
    formatMs(r.ours?.wall.median),
    range(r.ours?.wall),
    formatMs(r.baseline?.wall.median),
    range(r.baseline?.wall),
    r.skipped ? `skipped` : formatRatio(r.ratio),
    formatRatio(r.gpuRatio),
    perPass(r),
    r.target === undefined ? '' : `>=${r.target}x${r.ratio !== undefined && Number.isFinite(r.ratio) ? (r.ratio >= r.target ? ' met' : ' MISSED') : ''}`,
    worstError(r),
  ]);
  const lines = [`== ${section.title} ==`];
  if (section.adapter) {
    const a = section.adapter;
    lines.push(`adapter: ${a.description} [${a.vendor}/${a.architecture}] on ${a.runtime}${a.cpuFigures ? ' (CPU implementation: these are CPU figures, not GPU figures)' : ''}`);
  }
  lines.push(formatTable(header, rows));
  for (const r of section.rows) if (r.skipped) lines.push(`  ${r.kernel} ${r.shape}: ${r.skipped}`);
  for (const note of section.notes) lines.push(`note: ${note}`);
  for (const failure of section.failures) lines.push(`FAILURE: ${failure}`);
  lines.push(`(${section.seconds.toFixed(0)} s)`);
  return lines.join('\n');
}
