// The held-out evaluation of the run on the Train page: answer accuracy and perception judge accuracy
// over steps (overall as thick lines, each task family as a thin dashed one; the tooltip lists them
// all), the latest figures as numbers, and the evaluation in progress. The worker evaluates between
// steps (src/train/worker.ts); the figures are those of `npm run eval` (src/train/heldout.ts).

import { memo, useMemo, type CSSProperties } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useTraining } from '../common/hooks';
import { HELD_OUT_SEED } from '../../train/heldout';
import { DEFAULT_EVAL_QUESTIONS, heldOutEvery, isRlMode, type HeldOutPoint } from '../../train/protocol';
import { chartGrid } from './TrainCharts';

type Metric = 'answer_accuracy' | 'perception_judge_accuracy';

/** Families in first-seen order (the order of the held-out questions). */
export function heldOutFamilies(points: readonly HeldOutPoint[]): string[] {
  const seen = new Set<string>();
  for (const p of points) for (const f of Object.keys(p.report.by_family)) seen.add(f);
  return [...seen];
}

/** One chart row per evaluation: `overall` and `family:<name>` for a metric. */
export function heldOutRows(points: readonly HeldOutPoint[], metric: Metric): Record<string, number | null>[] {
  return points.map((p) => {
    const row: Record<string, number | null> = { step: p.step, overall: p.report[metric] };
    for (const [f, m] of Object.entries(p.report.by_family)) row[`family:${f}`] = m[metric];
    return row;
  });
}

const FAMILY_COLORS = ['#2f9e44', '#f08c00', '#7048e8', '#0c8599', '#c2255c', '#495057'];
const figure: CSSProperties = { margin: 0, background: 'var(--panel)', borderRadius: 8, padding: '0.5rem', minWidth: 0 };
const caption: CSSProperties = { fontWeight: 600, fontSize: '0.9rem', marginBottom: '0.3rem' };
const pct = (x: number) => `${(x * 100).toFixed(0)}%`;

function HeldOutChart({ id, title, points, metric, color }: { id: string; title: string; points: readonly HeldOutPoint[]; metric: Metric; color: string }) {
  const data = useMemo(() => heldOutRows(points, metric), [points, metric]);
  const families = useMemo(() => heldOutFamilies(points), [points]);
  return (
    <figure style={figure} data-testid={`chart-${id}`} data-points={data.length}>
      <figcaption style={caption}>{title}</figcaption>
      <ResponsiveContainer width="100%" height={200}>
        <LineChart data={data}>
          <CartesianGrid strokeOpacity={0.2} />
          <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} allowDecimals={false} />
          <YAxis width="auto" domain={[0, 1]} tickFormatter={pct} />
          <Tooltip formatter={(v) => (typeof v === 'number' ? pct(v) : String(v))} labelFormatter={(l) => `after step ${l}`} />
          <Legend wrapperStyle={{ fontSize: '0.75rem' }} />
          <Line dataKey="overall" name="all questions" stroke={color} strokeWidth={2.5} dot isAnimationActive={false} />
          {families.map((f, i) => (
            <Line
              key={f}
              dataKey={`family:${f}`}
              name={f}
              stroke={FAMILY_COLORS[i % FAMILY_COLORS.length]}
              strokeWidth={1}
              strokeDasharray="4 2"
              strokeOpacity={0.8}
              dot={false}
              isAnimationActive={false}
              connectNulls
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
}

/** The latest evaluation as numbers: overall and per family. */
function Latest({ point }: { point: HeldOutPoint }) {
  const r = point.report;
  const families = Object.entries(r.by_family);
  const cell: CSSProperties = { padding: '0.15rem 0.6rem', textAlign: 'right' };
  return (
    <div data-testid="heldout-latest" data-step={point.step} style={{ marginTop: '0.5rem', fontSize: '0.85rem' }}>
      <div style={{ display: 'flex', gap: '1.5rem', flexWrap: 'wrap', alignItems: 'baseline' }}>
        <span>
          After step {point.step}: answer accuracy <strong data-testid="heldout-answer">{pct(r.answer_accuracy)}</strong>
        </span>
        <span>
          perception judge accuracy <strong data-testid="heldout-judge">{pct(r.perception_judge_accuracy)}</strong>
        </span>
        <span>
          format P / R {pct(r.format_perception)} / {pct(r.format_reasoning)}
        </span>
        <span className="note">
          {r.questions} questions, {r.mean_tokens.toFixed(1)} tokens each, {(point.ms / 1000).toFixed(1)} s
        </span>
      </div>
      {families.length > 1 && (
        <table style={{ borderCollapse: 'collapse', marginTop: '0.3rem' }} data-testid="heldout-families">
          <thead>
            <tr className="note">
              <th style={{ ...cell, textAlign: 'left' }}>family</th>
              <th style={cell}>questions</th>
              <th style={cell}>answer acc.</th>
              <th style={cell}>judge acc.</th>
              <th style={cell}>format P / R</th>
            </tr>
          </thead>
          <tbody>
            {families.map(([f, m]) => (
              <tr key={f} data-family={f}>
                <td style={{ ...cell, textAlign: 'left' }}>{f}</td>
                <td style={cell}>{m.questions}</td>
                <td style={cell}>{pct(m.answer_accuracy)}</td>
                <td style={cell}>{pct(m.perception_judge_accuracy)}</td>
                <td style={cell}>
                  {pct(m.format_perception)} / {pct(m.format_reasoning)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export const TrainHeldOut = memo(function TrainHeldOut() {
  const points = useTraining((s) => s.heldOut);
  const progress = useTraining((s) => s.heldOutProgress);
  const knobs = useTraining((s) => s.knobs);
  const steps = useTraining((s) => s.form.steps);
  // SFT on a stored dataset has none (its questions are not the synthetic families the evaluation scores).
  const storedData = useTraining((s) => !isRlMode(s.form.mode) && !!s.form.dataset);
  const every = storedData ? 0 : heldOutEvery(steps, knobs.evalEvery);
  const questions = knobs.evalQuestions ?? DEFAULT_EVAL_QUESTIONS;
  const last = points.length ? points[points.length - 1] : null;
  return (
    <section aria-labelledby="heldout-title" style={{ marginTop: '1.5rem' }} data-testid="heldout">
      <h2 id="heldout-title" style={{ fontSize: '1rem', marginBottom: '0.2rem' }}>
        Held-out evaluation
      </h2>
      <div className="note" style={{ fontSize: '0.85rem' }} data-testid="heldout-plan">
        {every > 0
          ? `${questions} questions on videos of generator seed ${HELD_OUT_SEED}, which training never sees; greedy decoding, before the first step, every ${every} step${every === 1 ? '' : 's'} and after the last. Training waits while it runs.`
          : storedData
            ? 'Off for SFT on a stored dataset: the held-out questions are the synthetic task families, not this dataset\'s.'
            : 'Off for this run (trainEvalEvery=0).'}
      </div>
      {progress && (
        <div role="status" data-testid="heldout-progress" data-done={progress.done} data-total={progress.total} style={{ marginTop: '0.4rem', fontSize: '0.85rem' }}>
          Evaluating held-out questions after step {progress.step}: {progress.done} / {progress.total}{' '}
          <progress max={progress.total} value={progress.done} style={{ verticalAlign: 'middle' }} />
        </div>
      )}
      {last && <Latest point={last} />}
      {points.length > 0 && (
        <div style={chartGrid}>
          <HeldOutChart id="heldout-answer" title="Held-out answer accuracy" points={points} metric="answer_accuracy" color="#c2255c" />
          <HeldOutChart id="heldout-judge" title="Held-out perception judge accuracy" points={points} metric="perception_judge_accuracy" color="#1971c2" />
        </div>
      )}
    </section>
  );
});
