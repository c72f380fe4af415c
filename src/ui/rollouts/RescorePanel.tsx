// Shown on the run dashboard when a process's reward is unknown at every step (verl v1 training dumps
// carry no reward extras): says so, and offers to recompute both processes' rewards with the rewards
// module, with the perception judge the user picks. An API key is kept in memory only.

import { useState } from 'react';
import { useRollouts } from '../common/hooks';
import { missingProcesses } from '../../rollouts/group';
import type { RunMeta } from '../../rollouts/rollout_db';
import { rolloutsStore } from '../../store/rollouts';

type JudgeKind = 'rules' | 'field' | 'http';

const JUDGE_HINTS: Record<JudgeKind, string> = {
  rules: 'rules: sufficient when the observation states every scene fact of the record (records without facts are judged insufficient)',
  field: 'field: a verdict column of the dump (1/0, true/false, yes/no or <judgement>Yes</judgement>)',
  http: 'http: an OpenAI-compatible chat endpoint judges each observation with the paper’s judge prompt',
};

export function RescorePanel({ meta }: { meta: RunMeta }) {
  const status = useRollouts((s) => (s.rescore?.runId === meta.runId ? s.rescore : null));
  const [kind, setKind] = useState<JudgeKind>('rules');
  const [field, setField] = useState('');
  const [http, setHttp] = useState({ baseUrl: '', model: '', apiKey: '' });
  const missing = missingProcesses(meta.stepSummaries);
  if (!missing.length && status?.state !== 'done' && status?.state !== 'error') return null;
  const running = status?.state === 'running';
  const ready = kind === 'rules' || (kind === 'field' ? field.trim() !== '' : http.baseUrl.trim() !== '' && http.model.trim() !== '');
  const start = () => {
    if (!ready || running) return;
    if (kind === 'http') void rolloutsStore.getState().rescoreRun('http', { baseUrl: http.baseUrl.trim(), model: http.model.trim(), ...(http.apiKey && { apiKey: http.apiKey }) });
    else void rolloutsStore.getState().rescoreRun(kind === 'rules' ? 'rules' : `field:${field.trim()}`);
  };
  return (
    <section className="rescore-panel" data-testid="rescore-panel">
      {missing.length ? (
        <p data-testid="rewards-missing">
          <strong>Per-process rewards are missing</strong>: this run has no {missing.join(' and no ')} reward
          {meta.format === 'verl' ? ' (verl v1 training dumps keep only the trainer score)' : ''}, so its quadrants, collapsed groups and process
          advantages are unknown. Recompute them with the rewards module (PA-GRPO: format, length and accuracy per process; reasoning accuracy against
          the ground truth):
        </p>
      ) : null}
      {missing.length ? (
        <form
          className="toolbar"
          onSubmit={(e) => {
            e.preventDefault();
            start();
          }}
        >
          <label>
            perception judge{' '}
            <select value={kind} onChange={(e) => setKind(e.target.value as JudgeKind)} data-testid="rescore-judge" disabled={running}>
              <option value="rules">rules</option>
              <option value="field">field</option>
              <option value="http">http</option>
            </select>
          </label>
          {kind === 'field' ? (
            <label>
              column{' '}
              <input list="rescore-columns" value={field} onChange={(e) => setField(e.target.value)} data-testid="rescore-field" placeholder="e.g. judge_verdict" />
              <datalist id="rescore-columns">
                {meta.columns.map((c) => (
                  <option key={c} value={c} />
                ))}
              </datalist>
            </label>
          ) : null}
          {kind === 'http' ? (
            <>
              <input value={http.baseUrl} onChange={(e) => setHttp({ ...http, baseUrl: e.target.value })} placeholder="base URL, e.g. https://api.openai.com/v1" aria-label="judge base URL" />
              <input value={http.model} onChange={(e) => setHttp({ ...http, model: e.target.value })} placeholder="model" aria-label="judge model" />
              <input type="password" autoComplete="off" value={http.apiKey} onChange={(e) => setHttp({ ...http, apiKey: e.target.value })} placeholder="API key (kept in memory only)" aria-label="judge API key" />
            </>
          ) : null}
          <button type="submit" disabled={!ready || running} data-testid="rescore-run">
            recompute per-process rewards
          </button>
          <span className="note">{JUDGE_HINTS[kind]}</span>
        </form>
      ) : null}
      {status ? (
        <p className={status.state === 'error' ? 'error' : 'note'} data-testid="rescore-status" data-state={status.state} role="status">
          {status.message}
        </p>
      ) : null}
    </section>
  );
}
