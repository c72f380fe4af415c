// Several runs on one set of charts (#/rollouts?compare=a,b): each process's reward, its accuracy and
// format, KL, collapsed groups and segment lengths per step, one line per run. The runs' step
// summaries come with the runs list (computed at import), so nothing else is read.

import { useEffect } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useRollouts } from '../common/hooks';
import { rolloutsStore } from '../../store/rollouts';
import { COMPARE_METRICS, compareRows, hasMetric, paddedDomain, type CompareMetric, type CompareRun } from '../../rollouts/compare';
import { navigate } from './route';

const PALETTE = ['#2f9e44', '#3b5bdb', '#e8590c', '#ae3ec9', '#1098ad', '#f59f00', '#e03131', '#868e96'];

export function CompareView({ runIds }: { runIds: string[] }) {
  const runs = useRollouts((s) => s.runs);
  const loaded = useRollouts((s) => s.runsLoaded);
  useEffect(() => void rolloutsStore.getState().refreshRuns(), []);
  if (!loaded) return <p className="note">loading runs…</p>;
  const chosen = runIds.map((id) => runs.find((r) => r.runId === id)).filter((r) => r !== undefined);
  const missing = runIds.filter((id) => !runs.some((r) => r.runId === id));
  const series: CompareRun[] = chosen.map((r) => ({ key: r.runId, stepSummaries: r.stepSummaries }));
  const colour = (i: number) => PALETTE[i % PALETTE.length];
  const chart = (metric: CompareMetric) => {
    const rows = compareRows(series, metric);
    const domain = paddedDomain(rows, chosen.map((r) => r.runId));
    return (
    <figure className="chart" key={metric} data-testid="compare-chart" data-metric={metric}>
      <figcaption>{metric}</figcaption>
      <ResponsiveContainer width="100%" height={180}>
        <LineChart data={rows} syncId="compare">
          <CartesianGrid strokeOpacity={0.2} />
          <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} allowDecimals={false} />
          <YAxis width={44} domain={domain ?? ['auto', 'auto']} allowDataOverflow={false} />
          <Tooltip formatter={(v) => (typeof v === 'number' ? Number(v.toPrecision(4)) : v)} />
          <Legend />
          {chosen.map((r, i) => (
            <Line key={r.runId} dataKey={r.runId} name={r.name} stroke={colour(i)} dot={false} isAnimationActive={false} connectNulls />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </figure>
    );
  };
  return (
    <section className="dashboard" data-testid="compare-view">
      <h1>
        <a href="#/rollouts">runs</a> › compare {chosen.length} runs
      </h1>
      <ul className="note" data-testid="compare-runs">
        {chosen.map((r, i) => (
          <li key={r.runId}>
            <span style={{ color: colour(i) }}>■</span> <a href={`#/rollouts/${encodeURIComponent(r.runId)}`}>{r.name}</a> · {r.format} · {r.rollouts} rollouts · steps{' '}
            {r.steps[0]}–{r.steps[r.steps.length - 1]}{' '}
            <button className="secondary" data-testid="compare-remove" onClick={() => navigate({ runId: null, compare: runIds.filter((id) => id !== r.runId) })}>
              remove
            </button>
          </li>
        ))}
      </ul>
      {missing.length ? (
        <p className="error" data-testid="compare-missing">
          Not in this browser: {missing.join(', ')}. Rollouts live in IndexedDB on the machine that imported them.
        </p>
      ) : null}
      {chosen.length < 2 ? <p className="note">Pick at least two runs on the runs list to compare them.</p> : null}
      <div className="charts">{(Object.keys(COMPARE_METRICS) as CompareMetric[]).filter((m) => hasMetric(series, m)).map(chart)}</div>
    </section>
  );
}
