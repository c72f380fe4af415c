// One rollout of a group: its perception (observation) and reasoning (think + answer) side by side,
// each with its reward breakdown and advantage, plus the single GRPO advantage. Text is untrusted and
// only ever rendered as text nodes.

import { memo, useEffect, useState, type ReactNode } from 'react';
import { QUADRANTS, quadrantOf, rawRecord, segmentsOf, trainerAdvantageLabel, trainerScore, type ProcessBreakdown, type QuadrantRule, type Rollout } from '../../rollouts/record';
import { diffWords } from '../../rollouts/search';
import { fmt, HighlightedText, Signed } from './Text';
import { TokenLane } from './TokenLane';

function Breakdown({ b, label, testId }: { b: ProcessBreakdown | null; label: string; testId: string }) {
  return (
    <div className="breakdown" data-testid={testId}>
      <span className="proc-label">{label}</span> <b className="total">{fmt(b?.total)}</b>
      {b ? (
        <span className="parts">
          {' '}
          acc {fmt(b.accuracy)} · fmt {fmt(b.format)} · len {fmt(b.length)}
        </span>
      ) : (
        <span className="note"> unknown</span>
      )}
      {b?.judge ? (
        <div className="judge" data-judge={b.judge.name}>
          judge{b.judge.name ? ` ${b.judge.name}` : ''}:{' '}
          {b.judge.score !== undefined ? `score ${fmt(b.judge.score)}` : b.judge.verdict === undefined ? '–' : b.judge.verdict ? 'sufficient' : 'insufficient'}
          {b.judge.explanation ? <span className="note"> — {b.judge.explanation}</span> : null}
        </div>
      ) : null}
    </div>
  );
}

/**
 * Mounts its children once the browser is idle: the heavy panes (per-token heatmap, raw JSON) never
 * delay the frame that shows a new selection or a new group.
 */
export function WhenIdle({ children, placeholder = null }: { children: ReactNode; placeholder?: ReactNode }) {
  const [ready, setReady] = useState(false);
  useEffect(() => {
    if (typeof requestIdleCallback === 'function') {
      const id = requestIdleCallback(() => setReady(true), { timeout: 300 });
      return () => cancelIdleCallback(id);
    }
    const id = setTimeout(() => setReady(true), 50);
    return () => clearTimeout(id);
  }, []);
  return <>{ready ? children : placeholder}</>;
}

export interface CardProps {
  rollout: Rollout;
  /** The run's quadrant rule (RunMeta.quadrantRule). */
  rule?: QuadrantRule;
  selected: boolean;
  query: string;
  showTokens: boolean;
  showRaw: boolean;
  /** Diff against this rollout (the same sample at the previous step, or a marked one). */
  diffWith: Rollout | null;
  marked: boolean;
  /** Not among the filter's hits: shown faded. */
  dim?: boolean;
  onSelect: (sampleIdx: number) => void;
}

/**
 * The card's shell carries the selection; its content is a separate memoised component, so j/k
 * (selection only) re-renders two <article> elements and nothing inside them.
 */
export const RolloutCard = memo(function RolloutCard({ rollout: r, selected, dim, onSelect, ...body }: CardProps) {
  return (
    <article
      className={`rollout${selected ? ' selected' : ''}${dim ? ' dim' : ''}`}
      data-testid="rollout"
      data-sample={r.sampleIdx}
      aria-selected={selected}
      onClick={() => onSelect(r.sampleIdx)}
    >
      <CardBody rollout={r} {...body} />
    </article>
  );
});

type BodyProps = Omit<CardProps, 'selected' | 'dim' | 'onSelect'>;

const CardBody = memo(function CardBody({ rollout: r, rule, query, showTokens, showRaw, diffWith, marked }: BodyProps) {
  const seg = segmentsOf(r.completion);
  const q = quadrantOf(r, rule);
  const score = trainerScore(r);
  const quad = q ? QUADRANTS.find((x) => x.id === q)! : null;
  const untagged = seg.spans.length === 0;
  return (
    <>
      <header className="rollout-head">
        <span className="sample-no">#{r.sampleIdx}</span>
        {quad ? (
          <span className={`quad quad-${q}`} title={quad.hint}>
            {quad.label}
          </span>
        ) : null}
        {score ? (
          <span className={`trainer-score${score.finite ? '' : ' bad'}`} data-testid="trainer-score" title={`the trainer's own ${score.key}${score.finite ? '' : ': not a number (unscored, or the reward function failed)'}`}>
            {score.key} {score.finite ? fmt(score.value) : `${String(score.value)} ⚠`}
          </span>
        ) : null}
        {marked ? <span className="badge">marked for diff</span> : null}
        <span className="advs">
          {r.advantage !== null ? (
            <span className="trainer-adv" data-testid="trainer-advantage" title={trainerAdvantageLabel(r.source.format).hint}>
              {trainerAdvantageLabel(r.source.format).label} <Signed value={r.advantage} /> ·{' '}
            </span>
          ) : null}
          A<sub>P</sub> <Signed value={r.advantages?.perception} testId="adv-perception" /> · A<sub>R</sub>{' '}
          <Signed value={r.advantages?.reasoning} testId="adv-reasoning" />
          {r.advantages?.source === 'rescored' ? <span className="note" data-testid="adv-recomputed"> (recomputed)</span> : null} · A<sub>GRPO</sub>{' '}
          <Signed value={r.advantages?.grpo} testId="adv-grpo" />
        </span>
      </header>
      {diffWith ? (
        <div className="diff" data-testid="diff">
          <div className="note">
            diff vs step {diffWith.step} #{diffWith.sampleIdx}
          </div>
          {diffWords(diffWith.completion, r.completion).map((p, i) =>
            p.op === 'same' ? <span key={i}>{p.text}</span> : p.op === 'add' ? <ins key={i}>{p.text}</ins> : <del key={i}>{p.text}</del>,
          )}
        </div>
      ) : untagged ? (
        <div className="proc untagged">
          <div className="breakdowns">
            <Breakdown b={r.perception} label="perception" testId="perception-reward" />
            <Breakdown b={r.reasoning} label="reasoning" testId="reasoning-reward" />
          </div>
          <div className="note">no template tags in this completion</div>
          <HighlightedText className="text" text={r.completion} query={query} />
        </div>
      ) : (
        <div className="processes">
          <section className="proc perception">
            <Breakdown b={r.perception} label="perception" testId="perception-reward" />
            <div className="seg-label">observation</div>
            <HighlightedText className="text" text={seg.observation ?? '(missing)'} query={query} />
          </section>
          <section className="proc reasoning">
            <Breakdown b={r.reasoning} label="reasoning" testId="reasoning-reward" />
            <div className="seg-label">think</div>
            <HighlightedText className="text" text={seg.think ?? '(missing)'} query={query} />
            <div className="seg-label">answer</div>
            <HighlightedText className="text answer" text={seg.answer ?? '(missing)'} query={query} />
          </section>
        </div>
      )}
      {showTokens && r.tokens ? (
        <WhenIdle placeholder={<div className="note token-lane">per-token lane…</div>}>
          <TokenLane lane={r.tokens} />
        </WhenIdle>
      ) : null}
      {showRaw ? (
        <WhenIdle placeholder={<div className="note">raw record…</div>}>
        <div className="raw" data-testid="raw">
          <div className="note">
            rewards {JSON.stringify(r.rewards, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))} · extra columns:{' '}
            {Object.keys(r.extra).join(', ') || 'none'} · {r.source.format} {r.source.file}
            {r.source.line ? `:${r.source.line}` : ''}
          </div>
          <pre>{JSON.stringify(rawRecord(r), null, 2)}</pre>
        </div>
        </WhenIdle>
      ) : null}
    </>
  );
});
