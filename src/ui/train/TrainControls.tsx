// The training form (with SFT's data: the synthetic data or a stored dataset) and buttons, the
// progress bar with ETA, the reload's resume offer, and the alert that an RL run has no learning signal.

import { useEffect, useMemo } from 'react';
import { useGpu, useTraining } from '../common/hooks';
import { trainingStore } from '../../store/training_browser';
import { CPU_SFT_TIME, PRESET_NAMES } from '../../store/training_runs';
import { rlSignal } from '../../store/training_signal';
import { makeConfig, type PresetName } from '../../model/config';
import { PRESET_SYNTHETIC, PRESET_VIDEOS } from '../../train/rl_data';
import { TINY_FAMILIES } from '../../data/synthetic_tiny';
import { frameEncodingNote, type StoredSftSummary } from '../../train/stored_sft';
import { JUDGE_INFO, MODE_INFO, RL_JUDGE_NAMES, isRlJudgeName, isRlMode, type RlSettings, type TrainMode } from '../../train/protocol';

const MODES = Object.keys(MODE_INFO) as TrainMode[];

const row = { display: 'flex', flexWrap: 'wrap' as const, gap: '0.75rem', alignItems: 'end' };
const field = { display: 'flex', flexDirection: 'column' as const, fontSize: '0.85rem', gap: '0.2rem' };

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

export function TrainForm() {
  const form = useTraining((s) => s.form);
  const status = useTraining((s) => s.status);
  const locked = status === 'starting' || status === 'running' || status === 'paused';
  const { setForm } = trainingStore.getState();
  const num = (key: 'steps' | 'lr' | 'seed' | 'batch' | 'checkpointEvery', label: string, step: string, min: number) => (
    <label style={field}>
      {label}
      <input
        type="number"
        data-testid={`train-${key}`}
        value={form[key]}
        step={step}
        min={min}
        disabled={locked}
        style={{ width: '7rem' }}
        onChange={(e) => {
          const v = Number(e.target.value);
          if (e.target.value !== '' && Number.isFinite(v) && v >= min) setForm({ [key]: v });
        }}
      />
    </label>
  );
  return (
    <div style={row}>
      <label style={field}>
        Preset
        <select data-testid="train-preset" value={form.preset} disabled={locked} onChange={(e) => setForm({ preset: e.target.value as (typeof PRESET_NAMES)[number] })}>
          {PRESET_NAMES.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </label>
      {num('steps', 'Steps', '1', 1)}
      {num('lr', 'Learning rate', 'any', 0)}
      {num('seed', 'Seed', '1', 0)}
      {num('batch', 'Batch', '1', 1)}
      {num('checkpointEvery', 'Checkpoint every', '1', 1)}
      <label style={field}>
        Mode
        <select data-testid="train-mode" value={form.mode} disabled={locked} onChange={(e) => setForm({ mode: e.target.value as TrainMode })}>
          {MODES.map((m) => (
            <option key={m} value={m} title={MODE_INFO[m].description}>
              {MODE_INFO[m].label}
            </option>
          ))}
        </select>
      </label>
      <div className="note" data-testid="train-mode-description" style={{ flexBasis: '100%', fontSize: '0.85rem' }}>
        {MODE_INFO[form.mode].description}
      </div>
      {isRlMode(form.mode) ? <DataNote preset={form.preset} /> : <DataChoice locked={locked} />}
      {isRlMode(form.mode) && <RlForm locked={locked} />}
    </div>
  );
}

const STYLE_TEXT = {
  tiny: `the tiny task families (${TINY_FAMILIES.join(', ')}: ${TINY_FAMILIES.length} short questions per video)`,
  compact: 'compact questions and chains of thought (5 per video)',
  full: 'full questions and chains of thought (5 per video)',
} as const;

/** What the run trains on: the preset's questions (PRESET_SYNTHETIC) on its number of videos (PRESET_VIDEOS, or the URL knob). */
function DataNote({ preset }: { preset: PresetName }) {
  const samples = useTraining((s) => s.knobs.samples);
  const videos = samples ?? PRESET_VIDEOS[preset];
  return (
    <div className="note" data-testid="train-data" data-videos={videos} style={{ flexBasis: '100%', fontSize: '0.85rem' }}>
      Data: the built-in synthetic dataset (moving shapes), as {STYLE_TEXT[PRESET_SYNTHETIC[preset].style]}, {videos.toLocaleString()} videos.
    </div>
  );
}

/**
 * SFT's data: the built-in synthetic dataset, or a stored dataset whose samples' `output` CoTs are the
 * targets (src/train/stored_sft.ts). What the worker read and skipped shows once a run starts.
 */
function DataChoice({ locked }: { locked: boolean }) {
  const form = useTraining((s) => s.form);
  const datasets = useTraining((s) => s.datasets);
  const data = useTraining((s) => s.data);
  const store = trainingStore.getState();
  useEffect(() => {
    void trainingStore.getState().loadDatasets();
  }, []);
  const chosen = form.dataset ? datasets.find((d) => d.id === form.dataset) : undefined;
  const encodingNote = form.dataset ? frameEncodingNote(makeConfig(form.preset).model, form.preset) : null;
  const summary = data && data.summary.datasetId === form.dataset ? data : null;
  return (
    <>
      <label style={field}>
        Data
        <select data-testid="train-dataset" value={form.dataset ?? ''} disabled={locked} onChange={(e) => store.useDataset(e.target.value || null)}>
          <option value="">built-in synthetic dataset</option>
          {datasets.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name} ({d.samples.toLocaleString()} samples{d.cot ? ', CoT' : ''}{d.state === 'complete' ? '' : `, ${d.state}`})
            </option>
          ))}
          {form.dataset && !chosen && <option value={form.dataset}>{form.dataset}</option>}
        </select>
      </label>
      {!form.dataset ? (
        <DataNote preset={form.preset} />
      ) : (
        <div className="note" data-testid="train-data" data-dataset={form.dataset} style={{ flexBasis: '100%', fontSize: '0.85rem' }}>
          Data: stored dataset {chosen ? `"${chosen.name}" (${chosen.samples.toLocaleString()} samples)` : form.dataset}. Each sample&apos;s output, a CoT in the template
          &lt;observation&gt;…&lt;/observation&gt; &lt;think&gt;…&lt;/think&gt;&lt;answer&gt;…&lt;/answer&gt;, is the target; samples without one are skipped and counted. No held-out
          evaluation (it is built for the synthetic task families).
          {encodingNote && (
            <div role="alert" data-testid="train-data-encoding" style={{ color: 'var(--bad)' }}>
              {encodingNote}
            </div>
          )}
        </div>
      )}
      {summary && <StoredDataSummary data={summary} />}
    </>
  );
}

/** What the worker read from the stored dataset: samples used and skipped (with examples) and its notes. */
function StoredDataSummary({ data }: { data: { summary: StoredSftSummary; done: boolean } }) {
  const s = data.summary;
  const skipped = s.noOutput + s.badTemplate;
  return (
    <div data-testid="train-data-summary" data-done={data.done} data-used={s.used} data-skipped={skipped} style={{ flexBasis: '100%', fontSize: '0.85rem' }}>
      {data.done ? (
        <strong>
          Training on {s.used.toLocaleString()} of {s.read.toLocaleString()} samples of &quot;{s.name}&quot;
          {skipped > 0 ? `: ${skipped} skipped (${s.noOutput} without an output, ${s.badTemplate} with a broken template)` : ''}.
        </strong>
      ) : (
        <span>
          Reading &quot;{s.name}&quot;: {s.read.toLocaleString()} of {s.total.toLocaleString()} samples, {s.used.toLocaleString()} usable so far…
        </span>
      )}
      {data.done && s.notes.length > 0 && (
        <ul style={{ margin: '0.2rem 0 0', paddingLeft: '1.2rem' }}>
          {s.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      {data.done && s.examples.length > 0 && (
        <details>
          <summary>Skipped samples (first {s.examples.length})</summary>
          <ul style={{ margin: 0, paddingLeft: '1.2rem' }}>
            {s.examples.map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}

/** RL options: G, P, max new tokens, β, temperature, top-p, the perception judge and the starting point. */
function RlForm({ locked }: { locked: boolean }) {
  const form = useTraining((s) => s.form);
  const sftRuns = useTraining((s) => s.sftRuns);
  const rl = form.rl;
  if (!rl) return null;
  const { setRl } = trainingStore.getState();
  const num = (key: 'group' | 'promptsPerStep' | 'maxNewTokens' | 'beta' | 'temperature' | 'topP', label: string, step: string, min: number) => (
    <label style={field}>
      {label}
      <input
        type="number"
        data-testid={`train-rl-${key}`}
        value={rl[key] ?? ''}
        step={step}
        min={min}
        disabled={locked}
        style={{ width: '7rem' }}
        onChange={(e) => {
          const v = Number(e.target.value);
          if (e.target.value !== '' && Number.isFinite(v) && v >= min) setRl({ [key]: v } as Partial<RlSettings>);
        }}
      />
    </label>
  );
  const samePreset = sftRuns.filter((r) => r.preset === form.preset);
  const fromValue = rl.fromRunId === null ? '__scratch__' : rl.fromRunId;
  return (
    <div style={{ ...row, flexBasis: '100%' }} data-testid="train-rl-options">
      {num('group', 'Group G', '1', 2)}
      {num('promptsPerStep', 'Prompts / step', '1', 1)}
      {num('maxNewTokens', 'Max new tokens', '1', 1)}
      {num('beta', 'KL β', 'any', 0)}
      {num('temperature', 'Temperature', 'any', 0)}
      {num('topP', 'Top-p', 'any', 0)}
      <label style={field} title={JUDGE_INFO[rl.judge ?? 'rules'].description}>
        Perception judge
        <select
          data-testid="train-rl-judge"
          value={rl.judge ?? 'rules'}
          disabled={locked}
          onChange={(e) => isRlJudgeName(e.target.value) && setRl({ judge: e.target.value })}
        >
          {RL_JUDGE_NAMES.map((j) => (
            <option key={j} value={j}>
              {JUDGE_INFO[j].label}
            </option>
          ))}
        </select>
      </label>
      <label style={field}>
        Start from
        <select
          data-testid="train-rl-from"
          value={fromValue}
          disabled={locked}
          onChange={(e) => setRl({ fromRunId: e.target.value === '__scratch__' ? null : e.target.value })}
        >
          <option value="">latest SFT checkpoint{samePreset[0] ? ` (${samePreset[0].runId}, step ${samePreset[0].step})` : ' (none stored yet)'}</option>
          {samePreset.map((r) => (
            <option key={r.runId} value={r.runId}>
              SFT run {r.runId} (step {r.step})
            </option>
          ))}
          {rl.fromRunId && !samePreset.some((r) => r.runId === rl.fromRunId) && <option value={rl.fromRunId}>{rl.fromRunId}</option>}
          <option value="__scratch__">from scratch (RL-only)</option>
        </select>
      </label>
    </div>
  );
}

/** The inspector link of an RL run's rollouts (once a step is written). */
export function TrainRolloutsLink() {
  const rollouts = useTraining((s) => s.rollouts);
  if (!rollouts) return null;
  return (
    <p style={{ marginTop: '0.75rem' }}>
      <a href={`#/rollouts/${encodeURIComponent(rollouts.runId)}`} data-testid="train-open-rollouts" data-steps={rollouts.steps}>
        Open rollouts
      </a>{' '}
      <span className="note">
        ({rollouts.count} rollouts over {rollouts.steps} step{rollouts.steps === 1 ? '' : 's'} in the inspector)
      </span>
    </p>
  );
}

export function TrainButtons() {
  const status = useTraining((s) => s.status);
  const s = trainingStore.getState();
  const active = status === 'starting' || status === 'running' || status === 'paused';
  return (
    <div style={{ ...row, marginTop: '0.75rem' }}>
      <button type="button" data-testid="train-start" disabled={active} onClick={() => s.start()}>
        Start
      </button>
      {status === 'paused' ? (
        <button type="button" data-testid="train-resume" onClick={() => s.resumeRun()}>
          Resume
        </button>
      ) : (
        <button type="button" data-testid="train-pause" disabled={status !== 'running'} onClick={() => s.pauseRun()}>
          Pause
        </button>
      )}
      <button type="button" data-testid="train-stop" disabled={!active} onClick={() => s.stop()}>
        Stop
      </button>
      <span className="note" style={{ fontSize: '0.85rem' }}>
        Space pauses / resumes
      </span>
      <CpuTimeNote />
    </div>
  );
}

/**
 * On a CPU fallback adapter (SwiftShader), how long the preset's default SFT takes (CPU_SFT_TIME).
 * The adapter is the training worker's once a run has started, else the page's own.
 */
function CpuTimeNote() {
  const preset = useTraining((s) => s.form.preset);
  const mode = useTraining((s) => s.form.mode);
  const trainingFallback = useTraining((s) => s.adapter?.isFallback);
  const pageFallback = useGpu((s) => s.summary?.isFallback);
  const time = CPU_SFT_TIME[preset];
  if (!(trainingFallback ?? pageFallback) || mode !== 'sft' || !time) return null;
  return (
    <span className="note" data-testid="train-cpu-time" style={{ fontSize: '0.85rem' }}>
      No GPU: WebGPU runs on the CPU here. The default {preset} SFT ({makeConfig(preset).train.steps} steps) takes {time}.
    </span>
  );
}

/** RL runs: says when the latest step had every group collapsed, or rewards stayed flat, and what to try. */
export function TrainRlSignal() {
  const series = useTraining((s) => s.series);
  const rl = useTraining((s) => s.form.rl);
  const mode = useTraining((s) => s.form.mode);
  const alert = useMemo(() => (isRlMode(mode) ? rlSignal(series, { temperature: rl?.temperature, group: rl?.group }) : null), [series, mode, rl?.temperature, rl?.group]);
  if (!alert) return null;
  return (
    <div
      role="alert"
      data-testid="train-rl-signal"
      data-kind={alert.kind}
      data-step={alert.step}
      style={{ marginTop: '0.75rem', border: '1px solid #e8590c', borderRadius: 6, padding: '0.5rem 0.75rem' }}
    >
      <strong>{alert.kind === 'collapsed' ? 'No learning signal' : 'Rewards not moving'}</strong>: {alert.message}
      <div style={{ marginTop: '0.3rem' }}>What to try:</div>
      <ul style={{ margin: '0.2rem 0 0', paddingLeft: '1.2rem' }}>
        {alert.tryNext.map((t) => (
          <li key={t}>{t}</li>
        ))}
      </ul>
    </div>
  );
}

const STATUS_TEXT: Record<string, string> = {
  idle: 'Not started',
  starting: 'Starting…',
  running: 'Training',
  paused: 'Paused',
  finished: 'Finished',
  error: 'Failed',
};

export function TrainProgress() {
  const status = useTraining((s) => s.status);
  const step = useTraining((s) => s.step);
  const total = useTraining((s) => s.totalSteps);
  const eta = useTraining((s) => s.etaSeconds);
  const msPerStep = useTraining((s) => s.msPerStep);
  const skipped = useTraining((s) => s.skipped);
  const stopped = useTraining((s) => s.stopped);
  const ckpt = useTraining((s) => s.lastCheckpoint);
  const adapter = useTraining((s) => s.adapter);
  const parameters = useTraining((s) => s.parameters);
  const runId = useTraining((s) => s.runId);
  const last = useTraining((s) => (s.series.length ? s.series[s.series.length - 1] : null));
  const pct = total > 0 ? Math.min(100, (step / total) * 100) : 0;
  return (
    <section style={{ marginTop: '1rem' }} aria-label="progress">
      <div style={{ display: 'flex', gap: '1.5rem', flexWrap: 'wrap', alignItems: 'baseline' }}>
        <strong data-testid="train-status" data-status={status}>
          {status === 'finished' && stopped ? 'Stopped' : STATUS_TEXT[status]}
        </strong>
        <span>
          Step <span data-testid="train-step" data-step={step}>{step}</span> / {total || '–'}
        </span>
        <span data-testid="train-eta">ETA {status === 'running' || status === 'paused' ? formatDuration(eta) : status === 'finished' && !stopped ? 'done' : '–'}</span>
        {msPerStep !== null && <span className="note">{msPerStep.toFixed(0)} ms/step</span>}
        {last && <span className="note">loss {Number.isFinite(last.loss) ? last.loss.toFixed(4) : String(last.loss)}</span>}
        {skipped > 0 && (
          <span data-testid="train-skipped" style={{ color: 'var(--bad)' }}>
            {skipped} step{skipped === 1 ? '' : 's'} skipped (non-finite loss or gradient)
          </span>
        )}
      </div>
      <div
        role="progressbar"
        data-testid="train-progress"
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={step}
        style={{ height: 10, background: 'color-mix(in srgb, var(--fg) 12%, transparent)', borderRadius: 5, marginTop: '0.5rem', overflow: 'hidden' }}
      >
        <div style={{ width: `${pct}%`, height: '100%', background: status === 'error' ? 'var(--bad)' : '#3b5bdb', transition: 'width 0.2s' }} />
      </div>
      <div className="note" style={{ fontSize: '0.85rem', marginTop: '0.4rem', display: 'flex', gap: '1.5rem', flexWrap: 'wrap' }}>
        {runId && <span>run {runId}</span>}
        {adapter && (
          <span>
            {adapter.name}
            {adapter.isFallback ? ' (CPU fallback: speeds are not GPU speeds)' : ''}
          </span>
        )}
        {parameters !== null && <span>{parameters.toLocaleString()} parameters</span>}
        <span data-testid="train-checkpoint" data-step={ckpt?.step ?? ''}>
          {ckpt ? `Last checkpoint: step ${ckpt.step} (${ckpt.reason}, ${(ckpt.bytes / 1024).toFixed(0)} KB, ${new Date(ckpt.savedAt).toLocaleTimeString()})` : 'No checkpoint yet'}
        </span>
      </div>
    </section>
  );
}

export function TrainResumeOffer() {
  const resumable = useTraining((s) => s.resumable);
  const status = useTraining((s) => s.status);
  if (resumable.length === 0 || status === 'starting' || status === 'running' || status === 'paused') return null;
  const s = trainingStore.getState();
  return (
    <div data-testid="resume-offers" style={{ display: 'flex', flexDirection: 'column', gap: '0.5rem', marginBottom: '1rem' }}>
      {resumable.slice(0, 3).map((r) => (
        <div
          key={r.runId}
          role="alert"
          data-testid="resume-offer"
          data-run-id={r.runId}
          data-step={r.step}
          style={{ border: '1px solid #e8590c', borderRadius: 6, padding: '0.5rem 0.75rem', display: 'flex', gap: '1rem', alignItems: 'center', flexWrap: 'wrap' }}
        >
          <span>
            A run was interrupted at step {r.step} — Resume?{' '}
            <span className="note">
              ({r.preset}, {r.step} of {r.totalSteps} steps, run {r.runId}, saved {new Date(r.savedAt).toLocaleString()})
            </span>
          </span>
          <button type="button" data-testid="resume-offer-accept" onClick={() => s.resumeStored(r.runId)}>
            Resume
          </button>
          <button type="button" data-testid="resume-offer-discard" onClick={() => void s.discardStored(r.runId)}>
            Discard
          </button>
        </div>
      ))}
    </div>
  );
}

export function TrainMessages() {
  const error = useTraining((s) => s.error);
  const pause = useTraining((s) => s.pause);
  const warnings = useTraining((s) => s.warnings);
  const writeFailures = useTraining((s) => s.writeFailures);
  const saved = useTraining((s) => s.lastCheckpoint);
  return (
    <>
      {error && (
        <div role="alert" data-testid="train-error" data-code={error.code} className="error" style={{ marginTop: '0.75rem' }}>
          <strong>{error.code}</strong>: {error.message}
          <div className="note">{error.hint}</div>
        </div>
      )}
      {pause?.reason === 'device-lost' && (
        <div role="alert" data-testid="train-device-lost" className="error" style={{ marginTop: '0.75rem' }}>
          Paused: {pause.message} <div className="note">{pause.hint}</div>
        </div>
      )}
      {writeFailures.checkpoint && (
        <div role="alert" data-testid="train-checkpoint-failure" className="error" style={{ marginTop: '0.75rem' }}>
          <strong>Checkpoint not saved</strong>: {writeFailures.checkpoint.message}.{' '}
          {saved ? `The last stored checkpoint is step ${saved.step}: ` : 'No checkpoint of this run is stored yet: '}
          training goes on, but what it learned since is lost if this page closes. Pause to retry the save.
          {writeFailures.checkpoint.hint && <div className="note">{writeFailures.checkpoint.hint}</div>}
        </div>
      )}
      {writeFailures.rollouts && (
        <div role="alert" data-testid="train-rollouts-failure" className="error" style={{ marginTop: '0.75rem' }}>
          <strong>Rollouts not stored</strong>: {writeFailures.rollouts.message}. The Rollouts page lacks this step.
          {writeFailures.rollouts.hint && <div className="note">{writeFailures.rollouts.hint}</div>}
        </div>
      )}
      {warnings.length > 0 && (
        <details style={{ marginTop: '0.75rem' }} data-testid="train-warnings">
          <summary>
            {warnings.length} warning{warnings.length === 1 ? '' : 's'}
          </summary>
          <ul>
            {warnings.map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ul>
        </details>
      )}
    </>
  );
}
