// The Checkpoints panel of the training page: every stored run (run id, mode, step, size, date) with
// Export (the latest checkpoint as `<run>-step<N>.safetensors` + `<run>-step<N>.json`, loadable in
// PyTorch as docs/checkpoints.md shows), Delete (confirmed inline), Resume / Use for RL, and Import of
// an exported pair (checked for size, SHA-256 and layout before anything is stored). Run ids and
// file names come from files the user picked: they are rendered as text only.

import { useState } from 'react';
import { useTraining } from '../common/hooks';
import { trainingStore } from '../../store/training_browser';
import type { StoredRunRow } from '../../store/training_runs';
import { MODE_INFO, isRlMode } from '../../train/protocol';

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 2 ** 20) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / 2 ** 20).toFixed(1)} MB`;
}

const cell = { padding: '0.25rem 0.6rem', textAlign: 'left' as const, verticalAlign: 'middle' as const };

function RunRow({ run, training, current, busy }: { run: StoredRunRow; training: boolean; current: boolean; busy: boolean }) {
  const [confirming, setConfirming] = useState(false);
  const s = trainingStore.getState();
  const modeLabel = run.mode in MODE_INFO ? MODE_INFO[run.mode as keyof typeof MODE_INFO].label : run.mode;
  const canResume = !training && (run.mode === 'sft' || isRlMode(run.mode)) && run.totalSteps > run.step;
  return (
    <tr data-testid="checkpoint-row" data-run-id={run.runId} data-step={run.step} data-mode={run.mode}>
      <td style={{ ...cell, fontFamily: 'monospace', wordBreak: 'break-all' }}>{run.runId}</td>
      <td style={cell}>
        {modeLabel} <span className="note">({run.preset})</span>
      </td>
      <td style={cell}>
        {run.step}
        {run.totalSteps > 0 && <span className="note"> / {run.totalSteps}</span>}
      </td>
      <td style={cell}>{formatBytes(run.bytes)}</td>
      <td style={cell}>{new Date(run.savedAt).toLocaleString()}</td>
      <td style={{ ...cell, whiteSpace: 'nowrap' }}>
        <button type="button" data-testid="checkpoint-export" disabled={busy} onClick={() => void s.exportCheckpoint(run.runId)}>
          Export
        </button>{' '}
        {canResume && (
          <>
            <button type="button" data-testid="checkpoint-resume" disabled={busy} onClick={() => s.resumeStored(run.runId)}>
              Resume
            </button>{' '}
          </>
        )}
        {run.mode === 'sft' && run.step > 0 && (
          <>
            <button type="button" data-testid="checkpoint-use-rl" disabled={busy || training} title="Start an RL run from this SFT checkpoint" onClick={() => s.useAsRlStart(run.runId)}>
              Use for RL
            </button>{' '}
          </>
        )}
        {confirming ? (
          <span data-testid="checkpoint-delete-confirm-box">
            Delete run and its checkpoints?{' '}
            <button
              type="button"
              data-testid="checkpoint-delete-confirm"
              disabled={busy}
              onClick={() => {
                setConfirming(false);
                void s.deleteStoredRun(run.runId);
              }}
            >
              Delete
            </button>{' '}
            <button type="button" data-testid="checkpoint-delete-cancel" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </span>
        ) : (
          <button type="button" data-testid="checkpoint-delete" disabled={busy || (training && current)} title={training && current ? 'This run is training: stop it first' : undefined} onClick={() => setConfirming(true)}>
            Delete
          </button>
        )}
      </td>
    </tr>
  );
}

export function TrainCheckpoints() {
  const runs = useTraining((s) => s.storedRuns);
  const op = useTraining((s) => s.checkpointOp);
  const message = useTraining((s) => s.checkpointMessage);
  const status = useTraining((s) => s.status);
  const currentRun = useTraining((s) => s.runId);
  const training = status === 'starting' || status === 'running' || status === 'paused';
  const busy = op !== null;
  return (
    <section data-testid="train-checkpoints" aria-label="checkpoints" style={{ marginTop: '1.5rem' }}>
      <h2 style={{ fontSize: '1.1rem' }}>Checkpoints</h2>
      <p className="note" style={{ fontSize: '0.85rem' }}>
        Stored in this browser. Export writes the latest checkpoint of a run as a .safetensors file and a .json config (loadable in PyTorch, see docs/checkpoints.md); Import takes
        such a pair back as a new run.
      </p>
      <label style={{ display: 'inline-flex', gap: '0.5rem', alignItems: 'center', fontSize: '0.9rem' }}>
        Import (.safetensors + .json):
        <input
          type="file"
          multiple
          accept=".safetensors,.json"
          data-testid="checkpoint-import"
          disabled={busy}
          onChange={(e) => {
            const input = e.currentTarget;
            const files = [...(input.files ?? [])];
            input.value = '';
            if (files.length) void trainingStore.getState().importCheckpoint(files);
          }}
        />
      </label>
      {busy && (
        <span className="note" data-testid="checkpoint-busy" style={{ marginLeft: '1rem' }}>
          {op.kind === 'import' ? 'Checking and storing…' : op.kind === 'export' ? 'Exporting…' : 'Deleting…'}
        </span>
      )}
      {message && (
        <div
          role={message.kind === 'error' ? 'alert' : 'status'}
          data-testid="checkpoint-message"
          data-kind={message.kind}
          className={message.kind === 'error' ? 'error' : 'note'}
          style={{ marginTop: '0.5rem', wordBreak: 'break-word' }}
        >
          {message.text}
        </div>
      )}
      {runs.length === 0 ? (
        <p className="note" data-testid="checkpoint-empty">
          No stored checkpoints yet.
        </p>
      ) : (
        <table style={{ borderCollapse: 'collapse', marginTop: '0.5rem', fontSize: '0.9rem' }}>
          <thead>
            <tr>
              <th style={cell}>Run</th>
              <th style={cell}>Mode</th>
              <th style={cell}>Step</th>
              <th style={cell}>Size</th>
              <th style={cell}>Saved</th>
              <th style={cell} />
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <RunRow key={r.runId} run={r} busy={busy} training={training} current={r.runId === currentRun} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
