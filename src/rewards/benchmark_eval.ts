// Benchmark-format evaluation (issue 14 §3; method.md §2.8, §4): one score per answer in the metric
// of its question format, then per task, per benchmark and overall, as the paper's Table 1 reports.
//   multiple choice       accuracy: Video-R1's exact match of the stripped <answer> (accuracy.ts)
//   regression            Mean Relative Accuracy (VSI-Bench), always
//   numerical             MRA in VSI-Bench (its numeric-answer tasks), Video-R1's exact match elsewhere;
//                         `numerical: 'mra' | 'exact'` forces one rule everywhere
//   OCR                   1 − WER, clamped to [0, 1] (the mean WER is reported beside it)
//   free-form             mean of ROUGE-1/2/L F1 (rouge_score with the Porter stemmer)
// A benchmark's score is the mean over its answers, except VSI-Bench, which VideoP2R reports as "the
// average of MRA and ACC" (paper §8.2): (mean accuracy of its multiple-choice answers + mean MRA of its
// numeric answers) / 2. Avg is the unweighted mean of the seven benchmarks, as in Table 1 (checked
// there by arithmetic, method.md §4). Scores are fractions here; tables print percentages.

import { multipleChoiceReward, normalizeNumber, numericalReward } from './accuracy';
import { pyMax, pyMin } from './python';
import { rougeF1Mean } from './rouge';
import type { ProblemType } from './types';
import { wer } from './wer';

/** VSI-Bench's thresholds θ ∈ {0.50, 0.55, …, 0.95}, computed as numpy.linspace(0.5, 0.95, 10) does. */
export const MRA_THRESHOLDS: readonly number[] = Array.from({ length: 10 }, (_, i) => i * ((0.95 - 0.5) / 9) + 0.5);

/**
 * Mean Relative Accuracy of one numeric answer, as VSI-Bench's official scorer computes it
 * (thinking-in-space, lmms_eval/tasks/vsibench/utils.py): the fraction of thresholds θ for which the
 * relative error |ŷ − y| / |y| is at most 1 − θ, in float64. At most, not below: an error exactly on a
 * threshold counts where float64 arithmetic makes 1 − θ exact (y = 10, ŷ = 7.5: 0.25 ≤ 1 − 0.75), and
 * not where it does not (1 − 0.8 is 0.19999999999999996, so y = 10, ŷ = 8 misses θ = 0.8).
 * Video-R1's eval_bench.py writes `<` with (|y| + 1e-8) in float32, which differs only on such
 * boundaries. y = 0 (which VSI-Bench never has): 1 for ŷ = 0, else 0. A non-finite value scores 0.
 */
export function meanRelativeAccuracy(prediction: number, truth: number): number {
  if (!Number.isFinite(prediction) || !Number.isFinite(truth)) return 0;
  const relativeError = truth === 0 ? (prediction === 0 ? 0 : Infinity) : Math.abs(prediction - truth) / Math.abs(truth);
  let hits = 0;
  for (const theta of MRA_THRESHOLDS) if (relativeError <= 1 - theta) hits++;
  return hits / MRA_THRESHOLDS.length;
}

/** MRA of two answer strings parsed as Video-R1 parses numbers (commas dropped, Python float()); 0 when either does not parse. */
export function mraOfText(prediction: string, truth: string): number {
  const p = normalizeNumber(prediction);
  const t = normalizeNumber(truth);
  return p === null || t === null ? 0 : meanRelativeAccuracy(p, t);
}

export type Metric = 'accuracy' | 'mra' | 'wer' | 'rouge';
export type NumericalRule = 'auto' | 'mra' | 'exact';

export interface BenchmarkInfo {
  /** Lower-case letters and digits of the name, the key records and file names are matched by. */
  key: string;
  /** The benchmark's own name. */
  name: string;
  /** The column heading of the paper's table. */
  label: string;
  /** The paper's column group; null for a benchmark that is not in the paper's table. */
  group: 'Video Reasoning' | 'Video Understanding' | null;
}

/** The seven benchmarks of the paper's Table 1, in its column order. */
export const PAPER_BENCHMARKS: readonly BenchmarkInfo[] = [
  { key: 'vsibench', name: 'VSI-Bench', label: 'VSI.', group: 'Video Reasoning' },
  { key: 'videommmu', name: 'VideoMMMU', label: 'VideoMMMU', group: 'Video Reasoning' },
  { key: 'mmvu', name: 'MMVU', label: 'MMVU', group: 'Video Reasoning' },
  { key: 'vcrbench', name: 'VCR-Bench', label: 'VCR.', group: 'Video Reasoning' },
  { key: 'mvbench', name: 'MVBench', label: 'MV.', group: 'Video Understanding' },
  { key: 'tempcompass', name: 'TempCompass', label: 'TempCom.', group: 'Video Understanding' },
  { key: 'videomme', name: 'Video-MME', label: 'VideoMME', group: 'Video Understanding' },
];

// Other spellings seen in file names and papers (after benchmarkKey's normalisation).
const ALIASES: Record<string, string> = { vsi: 'vsibench', vcr: 'vcrbench', mv: 'mvbench', tempcom: 'tempcompass', mmvumc: 'mmvu' };

export function benchmarkKey(name: string): string {
  const key = name.toLowerCase().replace(/[^a-z0-9]+/g, '');
  return ALIASES[key] ?? key;
}

/** The paper's benchmark of that name (any spelling: 'vsibench', 'VSI-Bench', 'VSI.'), or a benchmark of our own named as given. */
export function benchmarkInfo(name: string): BenchmarkInfo {
  const key = benchmarkKey(name);
  const known = PAPER_BENCHMARKS.find((b) => b.key === key);
  if (known) return known;
  const shown = name.trim() || '(unnamed)';
  return { key: key || shown, name: shown, label: shown, group: null };
}

/** Which metric scores an answer of this type in this benchmark. */
export function metricFor(problemType: ProblemType, benchmark: string, numerical: NumericalRule = 'auto'): Metric {
  switch (problemType) {
    case 'multiple choice':
      return 'accuracy';
    case 'regression':
      return 'mra';
    case 'numerical':
      return numerical === 'mra' || (numerical === 'auto' && benchmarkKey(benchmark) === 'vsibench') ? 'mra' : 'accuracy';
    case 'OCR':
      return 'wer';
    case 'free-form':
      return 'rouge';
  }
}

/** One answer to score: the prediction and ground truth already extracted from their <answer> tags. */
export interface EvalItem {
  benchmark: string;
  task: string;
  problemType: ProblemType;
  prediction: string;
  groundTruth: string;
  /** Where it came from (file:line), for the reader; not used in scoring. */
  source?: string;
}

export interface ScoredItem extends EvalItem {
  metric: Metric;
  /** In [0, 1]: accuracy, MRA, 1 − WER clamped, or ROUGE. */
  score: number;
  /** The word error rate (OCR only; not clamped, so it may exceed 1). */
  wer: number | null;
}

export function scoreItem(item: EvalItem, numerical: NumericalRule = 'auto'): ScoredItem {
  const metric = metricFor(item.problemType, item.benchmark, numerical);
  const { prediction: p, groundTruth: t } = item;
  switch (metric) {
    case 'accuracy':
      return { ...item, metric, score: item.problemType === 'numerical' ? numericalReward(p, t) : multipleChoiceReward(p, t), wer: null };
    case 'mra':
      return { ...item, metric, score: mraOfText(p, t), wer: null };
    case 'wer': {
      const w = wer(t, p);
      return { ...item, metric, score: pyMax(0, pyMin(1, 1 - w)), wer: w };
    }
    case 'rouge':
      return { ...item, metric, score: pyMax(0, pyMin(1, rougeF1Mean(t, p))), wer: null };
  }
}

/** The mean score of the answers scored by one metric. */
export interface MetricPart {
  n: number;
  score: number;
}

export interface TaskResult {
  task: string;
  n: number;
  score: number;
  /** The metrics its answers were scored by, in METRICS order. */
  metrics: Metric[];
  /** Mean WER of its OCR answers; null when it has none. */
  wer: number | null;
}

export interface BenchmarkResult extends BenchmarkInfo {
  n: number;
  /** The benchmark's score as the paper reports it (VSI-Bench: (ACC + MRA) / 2; others: the mean). */
  score: number;
  /** The mean over every answer, whatever the benchmark. */
  micro: number;
  /** How `score` was computed, in words. */
  rule: string;
  parts: Partial<Record<Metric, MetricPart>>;
  /** Mean WER of its OCR answers; null when it has none. */
  wer: number | null;
  tasks: TaskResult[];
}

export interface ModelResult {
  model: string;
  n: number;
  /** Paper benchmarks first, in the table's order, then the others in the order first seen. */
  benchmarks: BenchmarkResult[];
  /** Table 1's Avg: the unweighted mean of the seven benchmarks; null unless all seven are present. */
  avg: number | null;
  /** The unweighted mean of the benchmarks present (every benchmark counts once). */
  avgPresent: number | null;
  /** The mean over every answer. */
  micro: number;
}

export const METRICS: readonly Metric[] = ['accuracy', 'mra', 'wer', 'rouge'];
export const METRIC_NAMES: Record<Metric, string> = { accuracy: 'accuracy', mra: 'MRA', wer: '1 − WER', rouge: 'ROUGE' };

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

function meanWer(items: readonly ScoredItem[]): number | null {
  const w = items.flatMap((i) => (i.wer === null ? [] : [i.wer]));
  return w.length ? mean(w) : null;
}

function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const list = out.get(k);
    if (list) list.push(x);
    else out.set(k, [x]);
  }
  return out;
}

export function benchmarkResult(info: BenchmarkInfo, items: readonly ScoredItem[]): BenchmarkResult {
  const parts: Partial<Record<Metric, MetricPart>> = {};
  for (const m of METRICS) {
    const of = items.filter((i) => i.metric === m);
    if (of.length) parts[m] = { n: of.length, score: mean(of.map((i) => i.score)) };
  }
  const micro = mean(items.map((i) => i.score));
  let score = micro;
  let rule = 'mean over its answers';
  if (info.key === 'vsibench' && parts.accuracy && parts.mra) {
    score = (parts.accuracy.score + parts.mra.score) / 2;
    rule = '(ACC of its multiple-choice answers + MRA of its numeric answers) / 2, as VideoP2R reports it';
  }
  const tasks = [...groupBy(items, (i) => i.task)].map(([task, of]): TaskResult => ({
    task,
    n: of.length,
    score: mean(of.map((i) => i.score)),
    metrics: METRICS.filter((m) => of.some((i) => i.metric === m)),
    wer: meanWer(of),
  }));
  return { ...info, n: items.length, score, micro, rule, parts, wer: meanWer(items), tasks };
}

/** Every answer of one model, aggregated per task, per benchmark and overall. */
export function modelResult(model: string, items: readonly ScoredItem[]): ModelResult {
  const byKey = groupBy(items, (i) => benchmarkInfo(i.benchmark).key);
  const benchmarks = [...byKey.values()].map((of) => benchmarkResult(benchmarkInfo(of[0].benchmark), of));
  return modelOfBenchmarks(model, benchmarks);
}

/** A model's row from benchmark results scored elsewhere (a held-out evaluation of the worker's). */
export function modelOfBenchmarks(model: string, results: readonly BenchmarkResult[]): ModelResult {
  const order = (key: string) => {
    const at = PAPER_BENCHMARKS.findIndex((b) => b.key === key);
    return at === -1 ? PAPER_BENCHMARKS.length : at;
  };
  const benchmarks = [...results].sort((a, b) => order(a.key) - order(b.key)); // stable: others stay in first-seen order
  const paper = benchmarks.filter((b) => b.group !== null);
  const n = benchmarks.reduce((a, b) => a + b.n, 0);
  return {
    model,
    n,
    benchmarks,
    avg: paper.length === PAPER_BENCHMARKS.length ? mean(paper.map((b) => b.score)) : null,
    avgPresent: benchmarks.length ? mean(benchmarks.map((b) => b.score)) : null,
    micro: n ? benchmarks.reduce((a, b) => a + b.micro * b.n, 0) / n : 0,
  };
}

/** Whether a value (from storage or a message) has a BenchmarkResult's shape. */
export function isBenchmarkResult(v: unknown): v is BenchmarkResult {
  const b = v as BenchmarkResult | null | undefined;
  return (
    !!b &&
    typeof b === 'object' &&
    typeof b.key === 'string' &&
    typeof b.name === 'string' &&
    typeof b.label === 'string' &&
    typeof b.n === 'number' &&
    typeof b.score === 'number' &&
    typeof b.micro === 'number' &&
    !!b.parts &&
    typeof b.parts === 'object' &&
    Array.isArray(b.tasks) &&
    b.tasks.every((t) => !!t && typeof t.task === 'string' && typeof t.n === 'number' && typeof t.score === 'number' && Array.isArray(t.metrics))
  );
}
