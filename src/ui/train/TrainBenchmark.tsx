// The Evaluate panel of the Train page: the benchmark table in the layout of the paper's Table 1
// (src/rewards/benchmark_table.ts), with this run's row (its latest held-out evaluation, scored in
// benchmark format by the worker: src/train/heldout_benchmark.ts) and a row per model of the Video-R1
// evaluation JSON files loaded here, scored in the page by the same code as `npm run eval -- --outputs`.
// Bad records are listed as FILE:LINE: field: reason, and a file with any is left out unless asked.
// File contents (model names, task names) are untrusted: rendered as text only.

import { memo, useMemo, useState, type ChangeEvent, type CSSProperties } from 'react';
import { useTraining } from '../common/hooks';
import { isBenchmarkResult, METRIC_NAMES, modelOfBenchmarks, type ModelResult } from '../../rewards/benchmark_eval';
import { evaluateOutputFiles, type OutputsFile } from '../../rewards/benchmark_files';
import { benchmarkTable, formatCell, type BenchmarkTable } from '../../rewards/benchmark_table';

const cell: CSSProperties = { padding: '0.2rem 0.55rem', textAlign: 'right', whiteSpace: 'nowrap' };
const head: CSSProperties = { ...cell, textAlign: 'center' };
const left: CSSProperties = { ...cell, textAlign: 'left' };

function TableView({ table }: { table: BenchmarkTable }) {
  const width = table.columns.length + 2;
  return (
    <div style={{ overflowX: 'auto' }}>
      <table data-testid="benchmark-table" style={{ borderCollapse: 'collapse', fontSize: '0.85rem', marginTop: '0.5rem' }}>
        <thead>
          <tr>
            <th rowSpan={2} style={left} scope="col">
              Model
            </th>
            {table.groups.map((g) => (
              <th key={g.label} colSpan={g.span} style={{ ...head, borderBottom: '1px solid var(--border, #ccc)' }} scope="colgroup">
                {g.label}
              </th>
            ))}
            <th rowSpan={2} style={cell} scope="col">
              Avg
            </th>
          </tr>
          <tr>
            {table.columns.map((c) => (
              <th key={c.key} style={cell} scope="col" data-benchmark={c.key}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        {table.sections.map((s) => (
          <tbody key={s.title}>
            <tr>
              <th colSpan={width} style={{ ...left, fontStyle: 'italic', paddingTop: '0.5rem' }} scope="rowgroup">
                {s.title}
              </th>
            </tr>
            {s.rows.map((r, i) => (
              <tr key={`${r.model}\u0000${i}`} data-model={r.model}>
                <th style={{ ...left, fontWeight: 500 }} scope="row">
                  {r.model}
                </th>
                {r.cells.map((x, j) => (
                  <td key={table.columns[j].key} style={cell} data-benchmark={table.columns[j].key}>
                    {formatCell(x)}
                  </td>
                ))}
                <td style={cell} data-benchmark="avg">
                  {formatCell(r.avg)}
                </td>
              </tr>
            ))}
          </tbody>
        ))}
      </table>
      <ul className="note" style={{ fontSize: '0.8rem', margin: '0.3rem 0 0', paddingLeft: '1.2rem' }} data-testid="benchmark-notes">
        {table.notes.map((n) => (
          <li key={n}>{n}</li>
        ))}
      </ul>
    </div>
  );
}

function TaskDetails({ models }: { models: readonly ModelResult[] }) {
  return (
    <details style={{ marginTop: '0.5rem', fontSize: '0.85rem' }}>
      <summary>Per benchmark and task</summary>
      <table data-testid="benchmark-tasks" style={{ borderCollapse: 'collapse', marginTop: '0.3rem' }}>
        <thead>
          <tr className="note">
            <th style={left}>model</th>
            <th style={left}>benchmark</th>
            <th style={left}>task</th>
            <th style={left}>metric</th>
            <th style={cell}>answers</th>
            <th style={cell}>score %</th>
            <th style={cell}>WER</th>
          </tr>
        </thead>
        <tbody>
          {models.flatMap((m, mi) =>
            m.benchmarks.flatMap((b) => [
              <tr key={`${mi}\u0000${b.key}`} style={{ fontWeight: 600 }}>
                <td style={left}>{m.model}</td>
                <td style={left}>{b.name}</td>
                <td style={left}>all</td>
                <td style={left}>{(Object.keys(b.parts) as (keyof typeof b.parts)[]).map((k) => METRIC_NAMES[k]).join(' + ')}</td>
                <td style={cell}>{b.n}</td>
                <td style={cell}>{(100 * b.score).toFixed(1)}</td>
                <td style={cell}>{b.wer === null ? '' : b.wer.toFixed(3)}</td>
              </tr>,
              ...b.tasks.map((t) => (
                <tr key={`${mi}\u0000${b.key}\u0000${t.task}`} data-task={t.task}>
                  <td style={left}>{m.model}</td>
                  <td style={left}>{b.name}</td>
                  <td style={left}>{t.task}</td>
                  <td style={left}>{t.metrics.map((k) => METRIC_NAMES[k]).join(' + ')}</td>
                  <td style={cell}>{t.n}</td>
                  <td style={cell}>{(100 * t.score).toFixed(1)}</td>
                  <td style={cell}>{t.wer === null ? '' : t.wer.toFixed(3)}</td>
                </tr>
              )),
            ]),
          )}
        </tbody>
      </table>
    </details>
  );
}

export const TrainBenchmark = memo(function TrainBenchmark() {
  const points = useTraining((s) => s.heldOut);
  const [files, setFiles] = useState<OutputsFile[]>([]);
  const [skipBad, setSkipBad] = useState(false);
  const [paper, setPaper] = useState(false);
  const [reading, setReading] = useState(false);
  const [readError, setReadError] = useState<string | null>(null);

  const own = useMemo(() => {
    for (let i = points.length - 1; i >= 0; i--) {
      const b = points[i].benchmark;
      if (isBenchmarkResult(b)) return { step: points[i].step, model: modelOfBenchmarks(`This run (after step ${points[i].step})`, [b]) };
    }
    return null;
  }, [points]);
  const evaluation = useMemo(() => (files.length ? evaluateOutputFiles(files) : null), [files]);
  const blocked = !!evaluation && !skipBad && (evaluation.badRecords > 0 || evaluation.badFiles > 0);
  const models = useMemo(() => [...(own ? [own.model] : []), ...(evaluation && !blocked ? evaluation.models : [])], [own, evaluation, blocked]);
  const table = useMemo(() => benchmarkTable(models, { paperRows: paper }), [models, paper]);

  const onFiles = async (e: ChangeEvent<HTMLInputElement>) => {
    const picked = [...(e.target.files ?? [])];
    e.target.value = '';
    if (!picked.length) return;
    setReading(true);
    setReadError(null);
    const loaded: OutputsFile[] = [];
    for (const f of picked) {
      try {
        loaded.push({ name: f.name, text: await f.text() });
      } catch (err) {
        setReadError(`${f.name}: could not be read (${(err as Error).message}); pick it again.`);
      }
    }
    // A file picked again replaces the one of the same name.
    setFiles((old) => [...old.filter((o) => !loaded.some((l) => l.name === o.name)), ...loaded]);
    setReading(false);
  };

  return (
    <section aria-labelledby="benchmark-title" style={{ marginTop: '1.5rem' }} data-testid="benchmark-panel">
      <h2 id="benchmark-title" style={{ fontSize: '1rem', marginBottom: '0.2rem' }}>
        Evaluate in benchmark format
      </h2>
      <div className="note" style={{ fontSize: '0.85rem' }}>
        Multiple choice by accuracy, numbers by Mean Relative Accuracy (VSI-Bench), OCR by 1 − WER, free-form by ROUGE; per benchmark and task, in the layout
        of the paper's Table 1. Load a model's outputs as Video-R1 evaluation JSON (<code>eval_&#123;benchmark&#125;_&#123;model&#125;_greedy_output.json</code>,
        one file per benchmark), as <code>npm run eval -- --outputs</code> reads them.{' '}
        {own
          ? `This run's row is its latest held-out evaluation (after step ${own.step}), scored in benchmark format; the next held-out evaluation replaces it.`
          : "This run gets a row with its first held-out evaluation (Start a run above); a checkpoint's answers can also be written by npm run eval -- --resume DIR --write-outputs FILE and loaded here."}
      </div>
      <div style={{ display: 'flex', gap: '1rem', flexWrap: 'wrap', alignItems: 'center', marginTop: '0.4rem', fontSize: '0.85rem' }}>
        <label>
          Outputs files{' '}
          <input type="file" accept=".json,.jsonl,application/json" multiple onChange={(e) => void onFiles(e)} data-testid="benchmark-files" disabled={reading} />
        </label>
        <label>
          <input type="checkbox" checked={skipBad} onChange={(e) => setSkipBad(e.target.checked)} data-testid="benchmark-skip-bad" /> score the good records of files with bad ones
        </label>
        <label>
          <input type="checkbox" checked={paper} onChange={(e) => setPaper(e.target.checked)} data-testid="benchmark-paper" /> the paper's rows
        </label>
        {files.length > 0 && (
          <button type="button" onClick={() => setFiles([])} data-testid="benchmark-clear">
            Clear {files.length} file{files.length === 1 ? '' : 's'}
          </button>
        )}
        {reading && <span role="status">Reading…</span>}
      </div>
      {readError && (
        <div role="alert" className="error" style={{ marginTop: '0.3rem', fontSize: '0.85rem' }}>
          {readError}
        </div>
      )}
      {evaluation && (
        <ul style={{ fontSize: '0.85rem', margin: '0.4rem 0 0', paddingLeft: '1.2rem' }} data-testid="benchmark-file-list">
          {evaluation.files.map((f) => (
            <li key={f.name} data-file={f.name}>
              {f.name}: {f.model}, {f.format === null ? 'not usable' : `${f.scored} of ${f.records} records scored`}
              {f.bad > 0 && `, ${f.bad} bad${skipBad ? ' (skipped)' : ''}`}
            </li>
          ))}
        </ul>
      )}
      {evaluation && evaluation.errors.length > 0 && (
        <div role="alert" data-testid="benchmark-errors" style={{ marginTop: '0.4rem', fontSize: '0.85rem' }}>
          {blocked && (
            <div>
              {evaluation.badRecords} bad record{evaluation.badRecords === 1 ? '' : 's'}
              {evaluation.badFiles ? ` and ${evaluation.badFiles} unusable file${evaluation.badFiles === 1 ? '' : 's'}` : ''}: the loaded files are left out of the table.
              Fix them, or tick “score the good records”.
            </div>
          )}
          <ul style={{ margin: '0.2rem 0 0', paddingLeft: '1.2rem', fontFamily: 'monospace', whiteSpace: 'pre-wrap' }}>
            {evaluation.errors.map((e, i) => (
              <li key={i}>{e}</li>
            ))}
          </ul>
        </div>
      )}
      <TableView table={table} />
      {models.length > 0 && <TaskDetails models={models} />}
    </section>
  );
});
