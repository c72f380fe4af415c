// Runs list: import files (verl {step}.jsonl, TRL parquet, inspect .eval/.json, RL Logging Board,
// Video-R1 eval JSON, W&B table JSON, our own export) into one run each time; open or delete runs.

import { useEffect, useState } from 'react';
import { useRollouts } from '../common/hooks';
import { rolloutsStore } from '../../store/rollouts';
import { navigate } from './route';

export function RunsList() {
  const runs = useRollouts((s) => s.runs);
  const loaded = useRollouts((s) => s.runsLoaded);
  const status = useRollouts((s) => s.importStatus);
  useEffect(() => void rolloutsStore.getState().refreshRuns(), []);
  // Runs ticked for comparison, in the order they were ticked.
  const [picked, setPicked] = useState<string[]>([]);
  // The run being renamed, and the name typed so far.
  const [renaming, setRenaming] = useState<{ runId: string; name: string } | null>(null);
  const saveName = async () => {
    if (renaming && renaming.name.trim()) await rolloutsStore.getState().renameRun(renaming.runId, renaming.name);
    setRenaming(null);
  };
  const toggle = (id: string, on: boolean) => setPicked((p) => (on ? [...p.filter((x) => x !== id), id] : p.filter((x) => x !== id)));

  const onFiles = async (list: FileList | null) => {
    if (!list || list.length === 0) return;
    const files = await Promise.all(
      [...list].map(async (f) => ({ name: (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name, bytes: new Uint8Array(await f.arrayBuffer()) })),
    );
    const runId = await rolloutsStore.getState().importFiles(files);
    if (runId) navigate({ runId });
  };

  return (
    <section className="panel runs" data-testid="runs-list">
      <h1>Rollouts</h1>
      <p className="note">
        Import a run: select all <code>{'{step}'}.jsonl</code> files of a verl <code>rollout_data_dir</code>, TRL <code>completions_*.parquet</code>, an inspect{' '}
        <code>.eval</code>/<code>.json</code> log, RL Logging Board JSON Lines, a Video-R1 <code>eval_*_output.json</code>, a W&amp;B table JSON, or an
        export from here. Files stay in this browser (IndexedDB).
      </p>
      <label className="import">
        <input type="file" multiple accept=".jsonl,.json,.ndjson,.parquet,.eval" data-testid="rollout-import" onChange={(e) => void onFiles(e.target.files)} />
      </label>
      {status.state !== 'idle' ? (
        <div className={status.state === 'error' ? 'error' : 'note'} data-testid="import-status">
          {status.message}
          {status.warnings?.length ? (
            <ul className="warnings">
              {status.warnings.map((w, i) => (
                <li key={i}>{w}</li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
      {!loaded ? <p className="note">loading…</p> : runs.length === 0 ? <p className="note">No runs yet.</p> : null}
      {runs.length > 1 ? (
        <p>
          <button data-testid="compare-runs-button" disabled={picked.length < 2} onClick={() => navigate({ runId: null, compare: picked })}>
            Compare {picked.length >= 2 ? `${picked.length} runs` : 'runs'}
          </button>{' '}
          <span className="note">tick two or more runs (e.g. PA-GRPO and GRPO from the same SFT checkpoint) to plot them together</span>
        </p>
      ) : null}
      <table className="runs-table">
        <tbody>
          {runs.map((r) => (
            <tr key={r.runId} data-testid="run-row">
              <td>
                <input
                  type="checkbox"
                  data-testid="run-compare-check"
                  aria-label={`compare ${r.name}`}
                  checked={picked.includes(r.runId)}
                  onChange={(e) => toggle(r.runId, e.target.checked)}
                />
              </td>
              <td>
                {renaming?.runId === r.runId ? (
                  <input
                    autoFocus
                    data-testid="run-name-input"
                    aria-label={`new name of ${r.name}`}
                    value={renaming.name}
                    onChange={(e) => setRenaming({ runId: r.runId, name: e.target.value })}
                    onKeyDown={(e) => {
                      if (e.key === 'Enter') void saveName();
                      if (e.key === 'Escape') setRenaming(null);
                    }}
                    onBlur={() => void saveName()}
                  />
                ) : (
                  <a href={`#/rollouts/${encodeURIComponent(r.runId)}`} data-testid="run-name">
                    {r.name}
                  </a>
                )}
              </td>
              <td>{r.format}</td>
              <td>{r.rollouts} rollouts</td>
              <td>{r.groups} groups</td>
              <td>
                steps {r.steps[0]}–{r.steps[r.steps.length - 1]}
              </td>
              <td>{r.warnings.length ? <span title={r.warnings.join('\n')}>⚠ {r.warnings.length}</span> : null}</td>
              <td>
                <button className="secondary" data-testid="run-rename" onClick={() => setRenaming({ runId: r.runId, name: r.name })}>
                  rename
                </button>{' '}
                <button className="secondary" onClick={() => void rolloutsStore.getState().deleteRun(r.runId)}>
                  delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
