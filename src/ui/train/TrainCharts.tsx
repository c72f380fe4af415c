// Live training charts (recharts): loss, learning rate, gradient norm, tokens/s from the worker's
// batched log points; for RL runs the six RL charts (both processes' rewards with their parts, KL,
// entropy, segment lengths, collapsed groups), and for SFT runs clearly-labelled placeholders of them.

import { memo, useMemo, useState, type CSSProperties, type ReactNode } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { displayStep, type LogPoint } from '../../train/protocol';
import { paddedDomain } from '../../rollouts/compare';

/** Points drawn per chart at most: longer series are thinned (every k-th point, the last always kept). */
export const MAX_CHART_POINTS = 400;

interface Row {
  step: number;
  loss: number | null;
  lr: number;
  gradNorm: number | null;
  tokensPerSec: number;
  msPerStep: number;
}

function rows(series: readonly LogPoint[]): Row[] {
  const k = Math.max(1, Math.ceil(series.length / MAX_CHART_POINTS));
  const out: Row[] = [];
  for (let i = 0; i < series.length; i++) {
    if (i % k !== 0 && i !== series.length - 1) continue;
    const p = series[i];
    out.push({
      step: displayStep(p.step),
      // A skipped (non-finite) step is a gap, not a spike.
      loss: Number.isFinite(p.loss) ? p.loss : null,
      lr: p.lr,
      gradNorm: Number.isFinite(p.gradNorm) ? p.gradNorm : null,
      tokensPerSec: p.tokensPerSec,
      msPerStep: p.msPerStep,
    });
  }
  return out;
}

const figure: CSSProperties = { margin: 0, background: 'var(--panel)', borderRadius: 8, padding: '0.5rem', minWidth: 0 };
const caption: CSSProperties = { fontWeight: 600, fontSize: '0.9rem', marginBottom: '0.3rem', display: 'flex', gap: '1rem', alignItems: 'baseline' };
export const chartGrid: CSSProperties = { display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(22rem, 1fr))', gap: '1rem', marginTop: '1rem' };

function Chart({ id, title, data, dataKey, color, log, extra, format }: { id: string; title: string; data: Row[]; dataKey: keyof Row; color: string; log?: boolean; extra?: ReactNode; format?: (v: number) => string }) {
  const points = data.filter((d) => d[dataKey] !== null).length;
  return (
    <figure style={figure} data-testid={`chart-${id}`} data-points={points}>
      <figcaption style={caption}>
        <span>{title}</span>
        {extra}
      </figcaption>
      <ResponsiveContainer width="100%" height={180}>
        <LineChart data={data} syncId="train">
          <CartesianGrid strokeOpacity={0.2} />
          <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} allowDecimals={false} />
          <YAxis width="auto" scale={log ? 'log' : 'auto'} domain={log ? ['auto', 'auto'] : undefined} tickFormatter={format} allowDataOverflow={log} />
          <Tooltip formatter={(v) => (typeof v === 'number' && format ? format(v) : String(v))} labelFormatter={(l) => `step ${l}`} />
          <Line dataKey={dataKey} stroke={color} dot={data.length < 40} isAnimationActive={false} connectNulls={false} />
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
}

/**
 * A short axis / tooltip label: 3 significant digits without trailing zeros ("0.25", "24", "1.5"),
 * a compact exponent outside [1e-3, 1e4) ("2e-10", "-2.5e-9", "1.23e5"), and zero as "0".
 */
export function tickLabel(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e4) return String(Number(v.toPrecision(3)));
  const [m, e] = v.toExponential(2).split('e');
  return `${Number(m)}e${Number(e)}`;
}

const sci = tickLabel;

export const TrainCharts = memo(function TrainCharts({ series, rl = false }: { series: readonly LogPoint[]; rl?: boolean }) {
  const data = useMemo(() => rows(series), [series]);
  const [logLoss, setLogLoss] = useState(false);
  return (
    <div style={chartGrid}>
      <Chart
        id="loss"
        title={rl ? 'Loss (PA-GRPO objective, before the update)' : 'Loss (cross-entropy, nats/token)'}
        data={data}
        dataKey="loss"
        color="#e8590c"
        log={logLoss}
        format={sci}
        extra={
          <label style={{ fontWeight: 400, fontSize: '0.85rem' }}>
            <input type="checkbox" data-testid="loss-log-scale" checked={logLoss} onChange={(e) => setLogLoss(e.target.checked)} /> log scale
          </label>
        }
      />
      <Chart id="lr" title="Learning rate" data={data} dataKey="lr" color="#3b5bdb" format={sci} />
      <Chart id="grad-norm" title="Gradient norm (before clipping)" data={data} dataKey="gradNorm" color="#2f9e44" format={sci} />
      <Chart id="tokens" title={rl ? 'Completion tokens / s (generate + score + update)' : 'Target tokens / s'} data={data} dataKey="tokensPerSec" color="#862e9c" format={(v) => v.toFixed(0)} />
    </div>
  );
});

/** The RL run's charts, not drawn for SFT: a labelled empty frame each, no made-up data. */
export const RL_CHARTS = [
  { id: 'perception-reward', title: 'Perception reward (accuracy, format, length)' },
  { id: 'reasoning-reward', title: 'Reasoning reward (accuracy, format, length)' },
  { id: 'kl', title: 'KL to the reference model' },
  { id: 'entropy', title: 'Policy entropy' },
  { id: 'segment-lengths', title: 'Segment lengths (observation, think + answer)' },
  { id: 'collapsed-groups', title: 'Collapsed groups per step' },
] as const;

export function TrainRlPlaceholders() {
  return (
    <section aria-labelledby="rl-charts-title" style={{ marginTop: '1.5rem' }}>
      <h2 id="rl-charts-title" style={{ fontSize: '1rem' }}>
        RL charts
      </h2>
      <div style={chartGrid}>
        {RL_CHARTS.map((c) => (
          <figure key={c.id} style={{ ...figure, opacity: 0.7 }} data-testid={`rl-placeholder-${c.id}`}>
            <figcaption style={caption}>{c.title}</figcaption>
            <div style={{ height: 120, display: 'grid', placeItems: 'center', border: '1px dashed color-mix(in srgb, var(--fg) 25%, transparent)', borderRadius: 6 }} className="note">
              available in RL runs (PA-GRPO / GRPO)
            </div>
          </figure>
        ))}
      </div>
    </section>
  );
}

/** One chart row of an RL step. */
export interface RlRow {
  step: number;
  pTotal: number;
  pAccuracy: number;
  pFormat: number;
  pLength: number;
  rTotal: number;
  rAccuracy: number;
  rFormat: number;
  rLength: number;
  kl: number | null;
  entropy: number | null;
  segmentP: number;
  segmentR: number;
  collapsedP: number;
  collapsedR: number;
  collapsedBoth: number;
}

const finite = (x: number) => (Number.isFinite(x) ? x : null);

/** The RL rows of a series (points without `rl` are left out), thinned like the SFT charts. */
export function rlRows(series: readonly LogPoint[]): RlRow[] {
  const rl = series.filter((p) => p.rl);
  const k = Math.max(1, Math.ceil(rl.length / MAX_CHART_POINTS));
  const out: RlRow[] = [];
  for (let i = 0; i < rl.length; i++) {
    if (i % k !== 0 && i !== rl.length - 1) continue;
    const p = rl[i];
    const r = p.rl!;
    out.push({
      step: displayStep(p.step),
      pTotal: r.perception.total,
      pAccuracy: r.perception.accuracy,
      pFormat: r.perception.format,
      pLength: r.perception.length,
      rTotal: r.reasoning.total,
      rAccuracy: r.reasoning.accuracy,
      rFormat: r.reasoning.format,
      rLength: r.reasoning.length,
      // k3 = exp(x) - x - 1 is >= 0 mathematically; the tiny negatives it comes out as near 0
      // (e.g. -1e-8) are f32 rounding, so they are drawn as 0.
      kl: Number.isFinite(r.kl) ? Math.max(0, r.kl) : null,
      entropy: finite(p.entropy),
      segmentP: r.segmentP,
      segmentR: r.segmentR,
      collapsedP: r.collapsedP,
      collapsedR: r.collapsedR,
      collapsedBoth: r.collapsedBoth,
    });
  }
  return out;
}

type RlKey = Exclude<keyof RlRow, 'step'>;

function MultiChart({ id, title, data, lines, format, integer }: { id: string; title: string; data: RlRow[]; lines: { key: RlKey; name: string; color: string; dash?: string }[]; format?: (v: number) => string; integer?: boolean }) {
  const points = data.filter((d) => lines.some((l) => d[l.key] !== null)).length;
  return (
    <figure style={figure} data-testid={`chart-${id}`} data-points={points}>
      <figcaption style={caption}>{title}</figcaption>
      <ResponsiveContainer width="100%" height={200}>
        <LineChart data={data} syncId="train">
          <CartesianGrid strokeOpacity={0.2} />
          <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} allowDecimals={false} />
          <YAxis width="auto" tickFormatter={format} allowDecimals={!integer} domain={paddedDomain(data as unknown as Record<string, unknown>[], lines.map((l) => l.key)) ?? ['auto', 'auto']} />
          <Tooltip formatter={(v) => (typeof v === 'number' && format ? format(v) : String(v))} labelFormatter={(l) => `step ${l}`} />
          <Legend wrapperStyle={{ fontSize: '0.75rem' }} />
          {lines.map((l) => (
            <Line key={l.key} dataKey={l.key} name={l.name} stroke={l.color} strokeDasharray={l.dash} dot={data.length < 40} isAnimationActive={false} connectNulls={false} />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
}

const parts = (p: 'p' | 'r'): { key: RlKey; name: string; color: string; dash?: string }[] => [
  { key: `${p}Total`, name: 'total', color: p === 'p' ? '#1971c2' : '#c2255c' },
  { key: `${p}Accuracy`, name: 'accuracy', color: '#2f9e44', dash: '4 2' },
  { key: `${p}Format`, name: 'format', color: '#f08c00', dash: '4 2' },
  { key: `${p}Length`, name: 'length', color: '#7048e8', dash: '4 2' },
];

/** The six RL charts of an RL run, from the log points' `rl` parts. */
export const TrainRlCharts = memo(function TrainRlCharts({ series }: { series: readonly LogPoint[] }) {
  const data = useMemo(() => rlRows(series), [series]);
  const t = Object.fromEntries(RL_CHARTS.map((c) => [c.id, c.title])) as Record<(typeof RL_CHARTS)[number]['id'], string>;
  return (
    <section aria-labelledby="rl-charts-title" style={{ marginTop: '1.5rem' }} data-testid="rl-charts">
      <h2 id="rl-charts-title" style={{ fontSize: '1rem' }}>
        RL charts
      </h2>
      <div style={chartGrid}>
        <MultiChart id="rl-perception-reward" title={t['perception-reward']} data={data} lines={parts('p')} format={sci} />
        <MultiChart id="rl-reasoning-reward" title={t['reasoning-reward']} data={data} lines={parts('r')} format={sci} />
        <MultiChart id="rl-kl" title={t.kl} data={data} lines={[{ key: 'kl', name: 'KL (k3)', color: '#e8590c' }]} format={sci} />
        <MultiChart id="rl-entropy" title={t.entropy} data={data} lines={[{ key: 'entropy', name: 'entropy (nats)', color: '#0c8599' }]} format={sci} />
        <MultiChart
          id="rl-segment-lengths"
          title={t['segment-lengths']}
          data={data}
          lines={[
            { key: 'segmentP', name: 'perception (tokens)', color: '#1971c2' },
            { key: 'segmentR', name: 'reasoning (tokens)', color: '#c2255c' },
          ]}
          format={(v) => v.toFixed(0)}
        />
        <MultiChart
          id="rl-collapsed-groups"
          title={t['collapsed-groups']}
          data={data}
          lines={[
            { key: 'collapsedP', name: 'perception', color: '#1971c2' },
            { key: 'collapsedR', name: 'reasoning', color: '#c2255c' },
            { key: 'collapsedBoth', name: 'both', color: '#495057', dash: '4 2' },
          ]}
          format={(v) => v.toFixed(0)}
          integer
        />
      </div>
    </section>
  );
});
