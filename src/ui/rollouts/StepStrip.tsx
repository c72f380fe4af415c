// The same group across steps: one column per step at which the group's prompt was sampled, each with
// the step's per-process reward means, collapse flags and quadrant counts, and its G rollouts side by
// side (P and R totals, the answer). Clicking a step opens the group there. Text is rendered as text.

import { useEffect, useState } from 'react';
import { summarizeGroup, type GroupSummary } from '../../rollouts/group';
import { QUADRANTS, segmentsOf, type QuadrantRule, type Rollout } from '../../rollouts/record';
import { getGroup, type RunIndex } from '../../rollouts/rollout_db';
import { fmt } from './Text';

export interface StepStripProps {
  runId: string;
  index: RunIndex;
  groupId: string;
  /** The run's quadrant rule. */
  rule: QuadrantRule;
  current: number;
  onPick: (step: number) => void;
  onClose: () => void;
}

export function StepStrip({ runId, index, groupId, rule, current, onPick, onClose }: StepStripProps) {
  const [cols, setCols] = useState<{ step: number; rollouts: Rollout[]; summary: GroupSummary | null }[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let live = true;
    setCols(null);
    const steps = index.steps.filter((s) => s.groups.some((g) => g.groupId === groupId)).map((s) => s.step);
    Promise.all(steps.map((step) => getGroup(runId, step, groupId))).then(
      (groups) => live && setCols(groups.map((rollouts, i) => ({ step: steps[i], rollouts, summary: rollouts.length ? summarizeGroup(rollouts, rule) : null }))),
      (e) => live && setError((e as Error).message),
    );
    return () => {
      live = false;
    };
  }, [runId, index, groupId, rule]);

  return (
    <div className="step-strip" data-testid="step-strip" aria-label={`group ${groupId} across steps`}>
      <div className="step-strip-head">
        <b>group {groupId} across steps</b>
        <span className="note"> · mean R<sub>P</sub> / R<sub>R</sub> per step; click a step to open it (a toggles)</span>
        <button className="link" onClick={onClose} aria-label="close the across-steps view">
          ×
        </button>
      </div>
      {error ? <p className="error">{error}</p> : null}
      {!cols ? (
        <p className="note">loading the group at every step…</p>
      ) : (
        <div className="step-cols">
          {cols.map(({ step, rollouts, summary }) => (
            <button
              key={step}
              className={`step-col${step === current ? ' current' : ''}`}
              data-testid="step-cell"
              data-step={step}
              onClick={() => onPick(step)}
              title={`open group ${groupId} at step ${step}`}
            >
              <div className="step-col-head">
                step {step}
                {step === current ? <span className="note"> (open)</span> : null}
              </div>
              {summary ? (
                <div className="step-col-sum">
                  P {fmt(summary.meanPerception, 2)} · R {fmt(summary.meanReasoning, 2)}
                  {summary.collapsedPerception ? <span className="badge warn">P std 0</span> : null}
                  {summary.collapsedReasoning ? <span className="badge warn">R std 0</span> : null}
                  <div className="step-col-quads">
                    {QUADRANTS.map((q) => (
                      <span key={q.id} className={`quad quad-${q.id}`} title={q.label}>
                        {summary.quadrants[q.id]}
                      </span>
                    ))}
                  </div>
                </div>
              ) : null}
              <ol className="step-col-rollouts">
                {rollouts.map((r) => (
                  <li key={r.id}>
                    #{r.sampleIdx} P {fmt(r.perception?.total, 2)} R {fmt(r.reasoning?.total, 2)}{' '}
                    <span className="step-col-answer">{(segmentsOf(r.completion).answer ?? '–').slice(0, 24)}</span>
                  </li>
                ))}
              </ol>
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
