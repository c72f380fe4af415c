// Run dashboard: per-step charts (recharts) of each process's reward and its parts, the trainer score
// and KL, segment lengths, collapsed groups and perception × reasoning quadrant counts. Clicking a
// point opens that step's groups.

import { useEffect, useRef, useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useRollouts } from '../common/hooks';
import type { StepSummary } from '../../rollouts/group';
import { describeQuadrantRule, QUADRANTS, quadrantRule, type ProcessThreshold, type QuadrantRule } from '../../rollouts/record';
import { getRunRollouts, runQuadrantRule } from '../../rollouts/rollout_db';
import { rolloutsStore } from '../../store/rollouts';
import { paddedDomain } from '../../rollouts/compare';
import { navigate } from './route';
import { KeyHelp } from './KeyHelp';
import { RescorePanel } from './RescorePanel';

const COLORS = { perception: '#2f9e44', reasoning: '#3b5bdb', score: '#e8590c', kl: '#868e96', p2: '#8ce99a', r2: '#91a7ff' };

function flatten(rows: StepSummary[]) {
  return rows.map((r) => ({
    step: r.step,
    'R_P total': r.perception.total,
    'R_P acc': r.perception.accuracy,
    'R_P fmt': r.perception.format,
    'R_P len': r.perception.length,
    'R_R total': r.reasoning.total,
    'R_R acc': r.reasoning.accuracy,
    'R_R fmt': r.reasoning.format,
    'R_R len': r.reasoning.length,
    score: r.score,
    kl: r.kl,
    'observation chars': r.perceptionChars,
    'think+answer chars': r.reasoningChars,
    'collapsed P': r.collapsedPerception,
    'collapsed R': r.collapsedReasoning,
    'collapsed both': r.collapsedBoth,
    ...Object.fromEntries(QUADRANTS.map((q) => [q.label, r.quadrants[q.id]])),
  }));
}

/**
 * The quadrant rule of the run, shown, and its two thresholds editable: a new threshold recounts every
 * step's quadrants (and reruns a quadrant filter); "automatic" goes back to the rule the import chose.
 */
function QuadrantRuleEditor({ rule }: { rule: QuadrantRule }) {
  const [drafts, setDrafts] = useState({ perception: String(rule.perception.threshold), reasoning: String(rule.reasoning.threshold) });
  const [busy, setBusy] = useState(false);
  useEffect(() => setDrafts({ perception: String(+rule.perception.threshold.toFixed(4)), reasoning: String(+rule.reasoning.threshold.toFixed(4)) }), [rule.perception.threshold, rule.reasoning.threshold]);
  const apply = async (next: QuadrantRule) => {
    setBusy(true);
    try {
      await rolloutsStore.getState().setQuadrantRule(next);
    } finally {
      setBusy(false);
    }
  };
  const set = (proc: 'perception' | 'reasoning') => {
    const v = Number(drafts[proc]);
    if (!Number.isFinite(v) || v === rule[proc].threshold) return;
    const t: ProcessThreshold = { ...rule[proc], threshold: v, custom: true };
    void apply({ ...rule, [proc]: t });
  };
  const automatic = async () => {
    const run = rolloutsStore.getState().run;
    if (!run) return;
    await apply(quadrantRule(await getRunRollouts(run.meta.runId)));
  };
  const custom = rule.perception.custom || rule.reasoning.custom;
  return (
    <form
      className="quadrant-rule note"
      data-testid="quadrant-rule"
      onSubmit={(e) => {
        e.preventDefault();
        set('perception');
        set('reasoning');
      }}
    >
      Quadrants: <span data-testid="quadrant-rule-text">{describeQuadrantRule(rule)}</span>.{' '}
      {(['perception', 'reasoning'] as const).map((proc) => (
        <label key={proc}>
          {proc} {rule[proc].by} ≥{' '}
          <input
            type="number"
            step="any"
            data-testid={`quadrant-threshold-${proc}`}
            value={drafts[proc]}
            onChange={(e) => setDrafts({ ...drafts, [proc]: e.target.value })}
            onBlur={() => set(proc)}
          />{' '}
        </label>
      ))}
      <button type="submit" disabled={busy}>
        apply
      </button>
      {custom ? (
        <button type="button" disabled={busy} onClick={() => void automatic()} data-testid="quadrant-rule-auto">
          automatic
        </button>
      ) : null}
    </form>
  );
}

const DASHBOARD_KEYS: [string, string][] = [
  ['j / ↓', 'next step'],
  ['k / ↑', 'previous step'],
  ['Enter / o', "open the step's groups"],
  ['?', 'this help'],
  ['Esc', 'close the help'],
];

const isTyping = (t: EventTarget | null) => t instanceof HTMLElement && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName));

/** j/k choose a step, Enter opens it, ? shows the keys: the dashboard answers the keys the group view does. */
function useDashboardKeys(runId: string, steps: readonly number[]) {
  const [sel, setSel] = useState(0);
  const [help, setHelp] = useState(false);
  const handler = useRef<(e: KeyboardEvent) => void>(() => {});
  handler.current = (e: KeyboardEvent) => {
    if (e.metaKey || e.ctrlKey || e.altKey) return;
    if (e.key === 'Escape') return setHelp(false);
    if (isTyping(e.target)) return;
    switch (e.key) {
      case 'j':
      case 'ArrowDown':
        setSel((i) => Math.min(steps.length - 1, i + 1));
        break;
      case 'k':
      case 'ArrowUp':
        setSel((i) => Math.max(0, i - 1));
        break;
      case 'Enter':
      case 'o':
        if (steps[sel] !== undefined) navigate({ runId, step: steps[sel] });
        break;
      case '?':
        setHelp((h) => !h);
        break;
      default:
        return;
    }
    e.preventDefault();
  };
  useEffect(() => {
    const on = (e: KeyboardEvent) => handler.current(e);
    addEventListener('keydown', on);
    return () => removeEventListener('keydown', on);
  }, []);
  return { sel: Math.min(sel, Math.max(0, steps.length - 1)), help };
}

export function RunDashboard({ runId }: { runId: string }) {
  const run = useRollouts((s) => s.run);
  const keys = useDashboardKeys(runId, run?.meta.steps ?? []);
  if (!run) return <p className="note">loading run…</p>;
  const { meta } = run;
  const data = flatten(meta.stepSummaries);
  const open = (state: { activeLabel?: unknown; activeTooltipIndex?: unknown } | null) => {
    const i = Number(state?.activeTooltipIndex);
    const step = Number.isFinite(i) && data[i] ? data[i].step : Number(state?.activeLabel);
    if (Number.isFinite(step)) navigate({ runId, step });
  };
  const has = (k: keyof (typeof data)[number]) => data.some((d) => d[k] !== null && d[k] !== undefined);
  const chart = (title: string, keys: [string, string, boolean?][], kind: 'line' | 'bar' = 'line', stacked = false) => (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <ResponsiveContainer width="100%" height={180}>
        {kind === 'line' ? (
          <LineChart data={data} onClick={open} syncId="run">
            <CartesianGrid strokeOpacity={0.2} />
            <XAxis dataKey="step" />
            <YAxis width={40} domain={paddedDomain(data, keys.map(([k]) => k)) ?? ['auto', 'auto']} />
            <Tooltip />
            <Legend />
            {keys.map(([k, c, dashed]) => (
              <Line key={k} dataKey={k} stroke={c} dot={false} strokeDasharray={dashed ? '4 3' : undefined} isAnimationActive={false} connectNulls />
            ))}
          </LineChart>
        ) : (
          <BarChart data={data} onClick={open} syncId="run">
            <CartesianGrid strokeOpacity={0.2} />
            <XAxis dataKey="step" />
            <YAxis width={40} />
            <Tooltip />
            <Legend />
            {keys.map(([k, c]) => (
              <Bar key={k} dataKey={k} fill={c} stackId={stacked ? 'a' : undefined} isAnimationActive={false} />
            ))}
          </BarChart>
        )}
      </ResponsiveContainer>
    </figure>
  );
  return (
    <section className="dashboard" data-testid="run-dashboard">
      <h1>
        <a href="#/rollouts">runs</a> › {meta.name}
      </h1>
      <p className="note">
        {meta.format} · {meta.rollouts} rollouts · {meta.groups} groups · {meta.steps.length} steps · splits {meta.splits.join(', ')}
        {meta.columns.length ? <span data-testid="run-columns"> · columns: {meta.columns.join(', ')}</span> : null}
      </p>
      <QuadrantRuleEditor rule={runQuadrantRule(meta)} />
      {meta.warnings.length ? (
        <ul className="warnings" data-testid="run-warnings">
          {meta.warnings.map((w, i) => (
            <li key={i}>{w}</li>
          ))}
        </ul>
      ) : null}
      <RescorePanel meta={meta} />
      <p className="note">Click a point to open that step's groups; j/k choose a step below, Enter opens it, ? lists the keys.</p>
      {keys.help ? (
        <KeyHelp keys={DASHBOARD_KEYS} />
      ) : null}
      <div className="charts">
        {chart('Per-process reward (total)', [
          ['R_P total', COLORS.perception],
          ['R_R total', COLORS.reasoning],
          ...(has('score') ? ([['score', COLORS.score, true]] as [string, string, boolean][]) : []),
        ])}
        {chart('Reward parts', [
          ['R_P acc', COLORS.perception],
          ['R_P fmt', COLORS.p2, true],
          ['R_P len', COLORS.p2],
          ['R_R acc', COLORS.reasoning],
          ['R_R fmt', COLORS.r2, true],
          ['R_R len', COLORS.r2],
        ])}
        {chart('Segment lengths (characters)', [
          ['observation chars', COLORS.perception],
          ['think+answer chars', COLORS.reasoning],
        ])}
        {has('kl') ? chart('KL', [['kl', COLORS.kl]]) : null}
        {chart('Collapsed groups (std 0)', [
          ['collapsed P', COLORS.perception],
          ['collapsed R', COLORS.reasoning],
          ['collapsed both', COLORS.kl],
        ], 'bar')}
        {chart('Perception × reasoning quadrants (rollouts)', QUADRANTS.map((q, i) => [q.label, ['#2f9e44', '#f59f00', '#e03131', '#868e96'][i]] as [string, string]), 'bar', true)}
      </div>
      <h2>Steps</h2>
      <div className="step-links">
        {meta.steps.map((s, i) => (
          <a
            key={s}
            href={`#/rollouts/${encodeURIComponent(runId)}/step/${s}`}
            data-testid="step-link"
            className={i === keys.sel ? 'current' : undefined}
            aria-current={i === keys.sel ? 'step' : undefined}
          >
            {s}
          </a>
        ))}
      </div>
    </section>
  );
}
