// The benchmark table in the layout of the paper's Table 1: rows are models, columns the seven
// benchmarks under their groups (Video Reasoning, Video Understanding), then Avg; numbers in %, '—'
// where a benchmark was not evaluated. Benchmarks outside the paper's seven get columns of their own
// under "Other", before Avg. One structure (BenchmarkTable) for the CLI's Markdown and the app's panel.

import { METRIC_NAMES, PAPER_BENCHMARKS, type ModelResult } from './benchmark_eval';

/** The paper's Table 1 (seed; method.md §1.12), in %, columns in PAPER_BENCHMARKS order; null where the paper has '—'. */
export const PAPER_TABLE1: readonly { section: string; model: string; scores: readonly (number | null)[]; avg: number | null }[] = [
  { section: 'Open-Source 7B Models', model: 'LLaVA-OneVision-7B', scores: [32.4, 33.8, 49.2, null, 56.7, null, 58.2], avg: null },
  { section: 'Open-Source 7B Models', model: 'LongVA-7B', scores: [29.2, 23.9, null, null, null, 56.9, 52.6], avg: null },
  { section: 'Open-Source 7B Models', model: 'Qwen2.5-VL-7B', scores: [30.1, 48.1, 60.0, 44.3, 59.0, 72.6, 56.6], avg: 52.9 },
  { section: 'RFT on Qwen2.5-VL-7B', model: 'Video-R1', scores: [35.8, 52.3, 63.8, 49.0, 63.9, 73.2, 59.3], avg: 56.8 },
  { section: 'RFT on Qwen2.5-VL-7B', model: 'VideoChat-R1', scores: [33.9, 54.0, 63.0, 49.0, 67.9, 72.5, 57.7], avg: 56.9 },
  { section: 'RFT on Qwen2.5-VL-7B', model: 'Time-R1', scores: [29.0, 51.0, 62.9, 49.6, 63.1, 73.7, 59.3], avg: 55.5 },
  { section: 'RFT on Qwen2.5-VL-7B', model: 'VersaVid-R1', scores: [33.7, 51.9, 64.3, 49.8, 62.9, 74.0, 58.8], avg: 56.5 },
  { section: 'RFT on Qwen2.5-VL-7B', model: 'VideoRFT', scores: [36.8, 51.1, 68.5, 49.6, 62.1, 73.7, 59.8], avg: 57.4 },
  { section: 'RFT on Qwen2.5-VL-7B', model: 'VideoP2R (paper)', scores: [36.8, 55.0, 65.4, 51.0, 68.1, 74.5, 60.0], avg: 58.7 },
];

export interface TableColumn {
  key: string;
  label: string;
}

export interface TableRow {
  model: string;
  /** In %, one per column; null where not evaluated. */
  cells: (number | null)[];
  /** In %; null unless all seven paper benchmarks are present. */
  avg: number | null;
}

export interface BenchmarkTable {
  /** Column groups over `columns`, left to right, with how many columns each spans. */
  groups: { label: string; span: number }[];
  columns: TableColumn[];
  sections: { title: string; rows: TableRow[] }[];
  /** Footnotes: units, the VSI-Bench rule, Avg when not all seven are present. */
  notes: string[];
}

const pct = (x: number | null) => (x === null ? null : 100 * x);

export function benchmarkTable(models: readonly ModelResult[], o: { paperRows?: boolean; section?: string } = {}): BenchmarkTable {
  const columns: TableColumn[] = PAPER_BENCHMARKS.map((b) => ({ key: b.key, label: b.label }));
  for (const m of models) for (const b of m.benchmarks) if (b.group === null && !columns.some((c) => c.key === b.key)) columns.push({ key: b.key, label: b.label });
  const reasoning = PAPER_BENCHMARKS.filter((b) => b.group === 'Video Reasoning').length;
  const groups = [
    { label: 'Video Reasoning', span: reasoning },
    { label: 'Video Understanding', span: PAPER_BENCHMARKS.length - reasoning },
  ];
  if (columns.length > PAPER_BENCHMARKS.length) groups.push({ label: 'Other', span: columns.length - PAPER_BENCHMARKS.length });
  const rows = models.map((m): TableRow => ({
    model: m.model,
    cells: columns.map((c) => pct(m.benchmarks.find((b) => b.key === c.key)?.score ?? null)),
    avg: pct(m.avg),
  }));
  const sections = [{ title: o.section ?? 'Evaluated here', rows }];
  if (o.paperRows) {
    for (const r of PAPER_TABLE1) {
      let s = sections.find((x) => x.title === `Paper, Table 1: ${r.section}`);
      if (!s) sections.push((s = { title: `Paper, Table 1: ${r.section}`, rows: [] }));
      s.rows.push({ model: r.model, cells: columns.map((_, i) => (i < r.scores.length ? r.scores[i] : null)), avg: r.avg });
    }
  }
  const notes = ['All numbers in %; — where a benchmark was not evaluated.'];
  const vsi = models.flatMap((m) => m.benchmarks.filter((b) => b.key === 'vsibench'));
  if (vsi.length) notes.push(`VSI.: ${vsi[0].parts.accuracy && vsi[0].parts.mra ? vsi[0].rule : 'mean over its answers (it has only one of ACC and MRA here)'}.`);
  notes.push('Avg: the unweighted mean of the seven benchmarks, as in the paper; — unless all seven are present.');
  for (const m of models) {
    if (m.avg === null && m.avgPresent !== null) {
      notes.push(`${m.model}: mean of the ${m.benchmarks.length} benchmark${m.benchmarks.length === 1 ? '' : 's'} present ${(100 * m.avgPresent).toFixed(1)} (${m.n} answer${m.n === 1 ? '' : 's'}; mean over all answers ${(100 * m.micro).toFixed(1)}).`);
    }
  }
  return { groups, columns, sections, notes };
}

/** A cell as the paper prints it: one decimal, '—' when missing. */
export function formatCell(x: number | null): string {
  return x === null ? '—' : x.toFixed(1);
}

/** The table as Markdown: a group row, the benchmark row, then each section's title and rows; notes below. */
export function formatBenchmarkTable(t: BenchmarkTable): string {
  const width = t.columns.length + 2;
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const groupCells = t.groups.flatMap((g) => [g.label, ...Array<string>(g.span - 1).fill('')]);
  const out = [line(['Model', ...groupCells, 'Avg']), line(Array<string>(width).fill('---')), line(['', ...t.columns.map((c) => c.label), ''])];
  for (const s of t.sections) {
    out.push(line([`**${s.title}**`, ...Array<string>(width - 1).fill('')]));
    for (const r of s.rows) out.push(line([r.model.replace(/\|/g, '\\|'), ...r.cells.map(formatCell), formatCell(r.avg)]));
  }
  return [...out, '', ...t.notes].join('\n');
}

/** Per benchmark and task of each model, as Markdown: metric, answers, score (%) and WER where there is OCR. */
export function formatTaskTable(models: readonly ModelResult[]): string {
  const out = ['| model | benchmark | task | metric | n | score | WER |', '|---|---|---|---|---|---|---|'];
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  for (const m of models) {
    for (const b of m.benchmarks) {
      const metrics = (Object.keys(b.parts) as (keyof typeof b.parts)[]).map((k) => METRIC_NAMES[k]).join(' + ');
      out.push(`| ${esc(m.model)} | **${esc(b.name)}** | all | ${metrics} | ${b.n} | ${(100 * b.score).toFixed(1)} | ${b.wer === null ? '' : b.wer.toFixed(3)} |`);
      for (const task of b.tasks) {
        out.push(`| ${esc(m.model)} | ${esc(b.name)} | ${esc(task.task)} | ${task.metrics.map((k) => METRIC_NAMES[k]).join(' + ')} | ${task.n} | ${(100 * task.score).toFixed(1)} | ${task.wer === null ? '' : task.wer.toFixed(3)} |`);
      }
    }
  }
  return out.join('\n');
}
