// Training slice: the run the training worker (src/train/worker.ts) is doing, as the page shows it.
// Vanilla zustand (no React); src/ui/common/hooks.ts has the `useTraining` hook. The worker and the
// checkpoint store are injected (createTrainingStore), so tests drive the reducers with a fake worker;
// the app's instance, with the browser's worker and IndexedDB, is src/store/training_browser.ts.
// The Checkpoints panel's actions (exportCheckpoint, deleteStoredRun, importCheckpoint) use
// `deps.checkpoints` and check an import with src/store/training_checkpoints.ts before anything is
// stored; what stored runs offer (resume, RL start, panel rows) is src/store/training_runs.ts. The
// held-out evaluations the worker posts are kept with the run (`heldOut`); whether an RL run has any
// learning signal is src/store/training_signal.ts.

import { createStore, type StoreApi } from 'zustand/vanilla';
import type { StoredSftSummary } from '../train/stored_sft';
import { isRlMode, type FromWorker, type HeldOutPoint, type LogPoint, type RlSettings, type ToWorker, type TrainMode, type TrainSettings, type WorkerKnobs, type WriteFailureCode } from '../train/protocol';
import { checkImportPair, checkpointFileNames, importRunId, pairImportFiles, type CheckpointDeps, type CheckpointOp, type ImportFile } from './training_checkpoints';
import { defaultRl, formLr, formSteps, presetForm, resolveRl, resumableRuns, sftRunChoices, storedRunRows, type ResumableRun, type RunSummaryLike, type SftRunChoice, type StoredRunRow } from './training_runs';

export type TrainStatus = 'idle' | 'starting' | 'running' | 'paused' | 'finished' | 'error';

/** A write the worker could not do (quota full, storage error) while the run went on. */
export interface WriteFailure {
  code: WriteFailureCode;
  /** The training step whose checkpoint or rollouts were not stored. */
  step: number;
  message: string;
  hint?: string;
}

export interface WorkerLike {
  postMessage(message: ToWorker): void;
  terminate(): void;
  onmessage: ((e: MessageEvent<FromWorker>) => void) | null;
  onerror: ((e: ErrorEvent) => void) | null;
}

/** A stored dataset the Train page's data choice offers (SFT). */
export interface DatasetChoice {
  id: string;
  name: string;
  samples: number;
  kind: string;
  /** Made by the CoT pipeline (its samples' outputs are generated CoTs). */
  cot: boolean;
  /** The import's state ('complete', 'importing', …). */
  state: string;
}

export interface TrainingDeps {
  createWorker(): WorkerLike;
  /** The stored datasets (the data choice); absent: the synthetic data only. */
  listDatasets?(): Promise<DatasetChoice[]>;
  listRuns(): Promise<RunSummaryLike[]>;
  deleteRun(runId: string): Promise<void>;
  now(): number;
  newRunId(settings: TrainSettings): string;
  knobs: WorkerKnobs;
  checkpoints?: CheckpointDeps;
}

export interface TrainingState {
  status: TrainStatus;
  form: TrainSettings;
  runId: string | null;
  adapter: { name: string; isFallback: boolean } | null;
  parameters: number | null;
  /** Step the current attachment started from (0, or a resumed checkpoint's step). */
  startStep: number;
  totalSteps: number;
  /** Steps done. */
  step: number;
  /** Every log point received, in step order (points at or after a resume's step are replaced). */
  series: LogPoint[];
  /** The run's held-out evaluations, in step order (one per step; a redone step replaces its point). */
  heldOut: HeldOutPoint[];
  /** The held-out evaluation running now (training waits for it); null when none. */
  heldOutProgress: { step: number; done: number; total: number } | null;
  /** The worker knobs every run gets (dataset size, held-out evaluation; src/store/training_browser.ts). */
  knobs: WorkerKnobs;
  skipped: number;
  /** Mean ms/step over the recent window; null until a step is logged. */
  msPerStep: number | null;
  /** Seconds left at the recent pace; null when unknown. */
  etaSeconds: number | null;
  lastCheckpoint: { step: number; reason: string; savedAt: number; bytes: number } | null;
  pause: { reason: 'user' | 'device-lost'; message?: string; hint?: string } | null;
  stopped: boolean;
  error: { code: string; message: string; hint: string } | null;
  warnings: string[];
  /**
   * Failed writes not redone since: the Train page shows them as alerts (not only in the warnings
   * list) until a later checkpoint, or a later step's rollouts, is stored.
   */
  writeFailures: { checkpoint?: WriteFailure; rollouts?: WriteFailure };
  resumable: ResumableRun[];
  resumableLoaded: boolean;
  /** Stored SFT runs (newest first): what an RL run can start from. */
  sftRuns: SftRunChoice[];
  /** Every stored run (newest first): the Checkpoints panel. */
  storedRuns: StoredRunRow[];
  /** The export / delete / import in progress. */
  checkpointOp: CheckpointOp | null;
  /** The last export / delete / import's outcome (an error names the file and what is wrong). */
  checkpointMessage: { kind: 'ok' | 'error'; text: string } | null;
  /** RL: the run whose rollouts are in the inspector's store, and how many steps are written. */
  rollouts: { runId: string; steps: number; count: number } | null;
  /** SFT on a stored dataset: what the worker read and skipped (done: false while it reads). */
  data: { summary: StoredSftSummary; done: boolean } | null;
  /** The stored datasets SFT can train on (loadDatasets). */
  datasets: DatasetChoice[];

  setForm(patch: Partial<TrainSettings>): void;
  /** Patch the RL options of the form. */
  setRl(patch: Partial<RlSettings>): void;
  start(): void;
  pauseRun(): void;
  resumeRun(): void;
  /** Pause when running, resume when paused (the Space key). */
  toggle(): void;
  stop(): void;
  /** Continue a stored run from its latest checkpoint (the reload offer). */
  resumeStored(runId: string): void;
  /** Forget a stored run (deletes its checkpoints). */
  discardStored(runId: string): Promise<void>;
  loadResumable(): Promise<void>;
  /** Downloads the run's latest checkpoint as `<run>-step<N>.safetensors` and `<run>-step<N>.json`. */
  exportCheckpoint(runId: string): Promise<void>;
  /** Deletes a stored run that is not the one training now. */
  deleteStoredRun(runId: string): Promise<void>;
  /** Checks a picked .safetensors + .json pair and stores it as a new run; a bad pair stores nothing. */
  importCheckpoint(files: readonly ImportFile[]): Promise<string | null>;
  /** Sets the form up for an RL run starting from a stored SFT run. */
  useAsRlStart(runId: string): void;
  /**
   * Sets the form up for SFT on stored dataset `datasetId` (null: the synthetic data); the tiny
   * preset, which reads palette colours and 44 tokens, becomes demo. False while a run is active.
   */
  useDataset(datasetId: string | null): boolean;
  /** Lists the stored datasets for the data choice. */
  loadDatasets(): Promise<void>;
  /** Tests: make the worker lose its device. */
  simulateDeviceLoss(): void;
}

/** Points of the recent window the ETA averages over. */
export const ETA_WINDOW = 20;
const MAX_WARNINGS = 20;

/** Seconds left: remaining steps × mean ms/step of the last `window` points. */
export function estimateEta(series: readonly LogPoint[], totalSteps: number, window = ETA_WINDOW): { msPerStep: number | null; etaSeconds: number | null } {
  if (series.length === 0) return { msPerStep: null, etaSeconds: null };
  const recent = series.slice(-window);
  const ms = recent.reduce((a, p) => a + p.msPerStep, 0) / recent.length;
  const done = series[series.length - 1].step + 1;
  const remaining = Math.max(0, totalSteps - done);
  return { msPerStep: ms, etaSeconds: Number.isFinite(ms) ? (remaining * ms) / 1000 : null };
}

/** The state change one worker message makes (pure: the reducer the tests drive). */
export function reduce(s: TrainingState, msg: FromWorker): Partial<TrainingState> {
  switch (msg.type) {
    case 'ready': {
      const series = s.series.filter((p) => p.step < msg.startStep);
      return {
        // A resumed run's stored evaluations (else the ones on screen); those after the step this
        // attachment starts from are of weights it trains again.
        heldOut: (msg.heldOut ?? s.heldOut).filter((p) => p.step <= msg.startStep),
        heldOutProgress: null,
        status: 'running',
        runId: msg.runId,
        adapter: { name: msg.adapter, isFallback: msg.isFallback },
        parameters: msg.parameters,
        startStep: msg.startStep,
        totalSteps: msg.totalSteps,
        step: msg.startStep,
        series,
        skipped: series.filter((p) => p.skipped).length,
        pause: null,
        error: null,
        // An SFT run's settings carry no RL options: the form keeps its own for the next RL run.
        form: msg.settings.rl || !s.form.rl ? msg.settings : { ...msg.settings, rl: s.form.rl },
        ...estimateEta(series, msg.totalSteps),
      };
    }
    case 'progress': {
      if (msg.points.length === 0) return {};
      const first = msg.points[0].step;
      const series = s.series.length && s.series[s.series.length - 1].step >= first ? [...s.series.filter((p) => p.step < first), ...msg.points] : [...s.series, ...msg.points];
      return {
        series,
        step: msg.points[msg.points.length - 1].step + 1,
        skipped: s.skipped + msg.points.filter((p) => p.skipped).length,
        ...estimateEta(series, s.totalSteps),
      };
    }
    case 'checkpoint': {
      const { checkpoint: _done, ...others } = s.writeFailures;
      return { lastCheckpoint: { step: msg.step, reason: msg.reason, savedAt: msg.savedAt, bytes: msg.bytes }, writeFailures: others };
    }
    case 'paused':
      return { status: 'paused', pause: { reason: msg.reason, message: msg.message, hint: msg.hint }, etaSeconds: s.etaSeconds, heldOutProgress: null };
    case 'finished':
      return { status: 'finished', step: msg.step, stopped: msg.stopped, pause: null, etaSeconds: msg.stopped ? s.etaSeconds : 0, heldOutProgress: null };
    case 'heldout-progress':
      return { heldOutProgress: { step: msg.step, done: msg.done, total: msg.total } };
    case 'heldout': {
      const heldOut = [...s.heldOut.filter((p) => p.step !== msg.point.step), msg.point].sort((a, b) => a.step - b.step);
      return { heldOut, heldOutProgress: null };
    }
    case 'warning': {
      const warnings = [...s.warnings, msg.message].slice(-MAX_WARNINGS);
      if (!msg.code) return { warnings };
      const failure: WriteFailure = { code: msg.code, step: msg.step ?? s.step, message: msg.message, ...(msg.hint && { hint: msg.hint }) };
      return { warnings, writeFailures: { ...s.writeFailures, [msg.code === 'CheckpointNotSaved' ? 'checkpoint' : 'rollouts']: failure } };
    }
    case 'rollouts': {
      const prev = s.rollouts?.runId === msg.runId ? s.rollouts : null;
      const { rollouts: _done, ...others } = s.writeFailures;
      return { rollouts: { runId: msg.runId, steps: Math.max(prev?.steps ?? 0, msg.step + 1), count: (prev?.count ?? 0) + msg.count }, writeFailures: others };
    }
    case 'data':
      return { data: { summary: msg.summary, done: msg.done } };
    case 'error':
      return { status: 'error', error: { code: msg.code, message: msg.message, hint: msg.hint }, pause: null, heldOutProgress: null };
  }
}

const IDLE: Omit<TrainingState, 'form' | 'knobs' | 'datasets' | 'resumable' | 'resumableLoaded' | 'sftRuns' | 'storedRuns' | 'checkpointOp' | 'checkpointMessage' | keyof TrainingActions> = {
  status: 'idle',
  runId: null,
  adapter: null,
  parameters: null,
  startStep: 0,
  totalSteps: 0,
  step: 0,
  series: [],
  heldOut: [],
  heldOutProgress: null,
  skipped: 0,
  msPerStep: null,
  etaSeconds: null,
  lastCheckpoint: null,
  pause: null,
  stopped: false,
  error: null,
  warnings: [],
  writeFailures: {},
  rollouts: null,
  data: null,
};

type TrainingActions = Pick<
  TrainingState,
  | 'setForm'
  | 'setRl'
  | 'start'
  | 'pauseRun'
  | 'resumeRun'
  | 'toggle'
  | 'stop'
  | 'resumeStored'
  | 'discardStored'
  | 'loadResumable'
  | 'exportCheckpoint'
  | 'deleteStoredRun'
  | 'importCheckpoint'
  | 'useAsRlStart'
  | 'useDataset'
  | 'loadDatasets'
  | 'simulateDeviceLoss'
>;

export function createTrainingStore(deps: TrainingDeps, initialForm: TrainSettings = presetForm('tiny')): StoreApi<TrainingState> {
  let worker: WorkerLike | null = null;

  return createStore<TrainingState>()((set, get) => {
    const release = () => {
      worker?.terminate();
      worker = null;
    };
    const send = (m: ToWorker) => worker?.postMessage(m);
    const spawn = (message: Extract<ToWorker, { type: 'start' }>) => {
      release();
      const w = deps.createWorker();
      worker = w;
      w.onmessage = (e) => {
        if (worker !== w) return; // a terminated run's late message
        const msg = e.data;
        set(reduce(get(), msg));
        if (msg.type === 'finished' || msg.type === 'error') {
          release();
          void get().loadResumable();
        } else if (msg.type === 'checkpoint') void get().loadResumable(); // the Checkpoints panel lists it
      };
      w.onerror = (e) => {
        if (worker !== w) return;
        e.preventDefault?.();
        set({ status: 'error', error: { code: 'WorkerFailed', message: e.message || 'the training worker failed to start', hint: 'Reload the page; the last checkpoint is intact.' } });
        release();
      };
      w.postMessage(message);
    };

    return {
      ...IDLE,
      form: initialForm,
      knobs: deps.knobs,
      resumable: [],
      resumableLoaded: false,
      sftRuns: [],
      storedRuns: [],
      checkpointOp: null,
      checkpointMessage: null,
      datasets: [],

      setForm(patch) {
        const prev = get().form;
        const presetChanged = patch.preset !== undefined && patch.preset !== prev.preset;
        const form = presetChanged ? { ...presetForm(patch.preset!), mode: prev.mode, ...(prev.dataset !== undefined && { dataset: prev.dataset }), ...patch } : { ...prev, ...patch };
        // Switching between SFT and RL, or the preset, sets the learning rate and (unless the user chose
        // them) the steps to that mode's defaults (SFT: the preset's train config; RL: RL_DEFAULTS).
        const wasRl = isRlMode(prev.mode);
        const isRl = isRlMode(form.mode);
        if (patch.lr === undefined && (wasRl !== isRl || presetChanged)) form.lr = formLr(form.preset, form.mode);
        // Steps the user typed are kept; the previous mode's default follows the mode.
        const defaultSteps = presetChanged || prev.steps === formSteps(prev.preset, prev.mode);
        if (patch.steps === undefined && (wasRl !== isRl || presetChanged) && defaultSteps) {
          form.steps = formSteps(form.preset, form.mode);
          form.checkpointEvery = Math.max(1, Math.round(form.steps / 10));
        }
        if (isRl && (!form.rl || (patch.preset && patch.preset !== prev.preset))) form.rl = { ...defaultRl(form.preset), ...(form.rl && { fromRunId: form.rl.fromRunId }) };
        set({ form });
      },

      setRl(patch) {
        const form = get().form;
        set({ form: { ...form, rl: { ...(form.rl ?? defaultRl(form.preset)), ...patch } } });
      },

      start() {
        const st = get().status;
        if (st === 'starting' || st === 'running' || st === 'paused') return;
        let form = get().form;
        if (isRlMode(form.mode)) {
          const r = resolveRl(form, get().sftRuns);
          if ('error' in r) {
            set({ ...IDLE, status: 'error', error: { code: 'NoStartingPoint', message: r.error, hint: 'Train an SFT run first, or choose "from scratch".' } });
            return;
          }
          const { dataset: _dataset, ...rlForm } = form;
          form = { ...rlForm, rl: r.rl };
        } else {
          const { rl: _rl, ...sft } = form;
          form = sft;
        }
        const runId = deps.newRunId(form);
        set({ ...IDLE, status: 'starting', runId, totalSteps: form.steps });
        spawn({ type: 'start', runId, ...form, knobs: deps.knobs });
      },

      pauseRun() {
        if (get().status === 'running') send({ type: 'pause' });
      },

      resumeRun() {
        if (get().status !== 'paused') return;
        set({ status: get().pause?.reason === 'device-lost' ? 'starting' : 'running', pause: null });
        send({ type: 'resume' });
      },

      toggle() {
        const st = get().status;
        if (st === 'running') get().pauseRun();
        else if (st === 'paused') get().resumeRun();
      },

      stop() {
        const st = get().status;
        if (st === 'running' || st === 'paused' || st === 'starting') send({ type: 'stop' });
      },

      resumeStored(runId) {
        const st = get().status;
        if (st === 'starting' || st === 'running' || st === 'paused') return;
        const run = get().resumable.find((r) => r.runId === runId) ?? get().storedRuns.find((r) => r.runId === runId);
        set({ ...IDLE, status: 'starting', runId, totalSteps: run?.totalSteps ?? 0, step: run?.step ?? 0, startStep: run?.step ?? 0, resumable: get().resumable.filter((r) => r.runId !== runId) });
        const f = get().form;
        spawn({ type: 'start', runId, resumeRunId: runId, ...f, knobs: deps.knobs });
      },

      async discardStored(runId) {
        set({ resumable: get().resumable.filter((r) => r.runId !== runId) });
        try {
          await deps.deleteRun(runId);
        } catch (e) {
          set({ warnings: [...get().warnings, `could not delete run ${runId}: ${(e as Error).message}`].slice(-MAX_WARNINGS) });
        }
      },

      async loadResumable() {
        try {
          const all = await deps.listRuns();
          const runs = resumableRuns(all);
          // The run on screen is not "interrupted".
          const current = get().status === 'finished' || get().status === 'error' || get().status === 'idle' ? null : get().runId;
          set({ resumable: runs.filter((r) => r.runId !== current), resumableLoaded: true, sftRuns: sftRunChoices(all), storedRuns: storedRunRows(all) });
        } catch (e) {
          set({ resumableLoaded: true, warnings: [...get().warnings, `could not list stored runs: ${(e as Error).message}`].slice(-MAX_WARNINGS) });
        }
      },

      async exportCheckpoint(runId) {
        const ck = deps.checkpoints;
        if (!ck || get().checkpointOp) return;
        set({ checkpointOp: { kind: 'export', runId }, checkpointMessage: null });
        try {
          const files = await ck.loadSerialized(runId);
          const names = checkpointFileNames(runId, files.step);
          ck.download(names.safetensors, files.safetensors, 'application/octet-stream');
          ck.download(names.json, files.config, 'application/json');
          set({ checkpointMessage: { kind: 'ok', text: `Exported ${names.safetensors} and ${names.json}` } });
        } catch (e) {
          set({ checkpointMessage: { kind: 'error', text: `could not export run ${runId}: ${(e as Error).message}` } });
        } finally {
          set({ checkpointOp: null });
        }
      },

      async deleteStoredRun(runId) {
        const st = get().status;
        if (get().checkpointOp) return;
        if (runId === get().runId && (st === 'starting' || st === 'running' || st === 'paused')) {
          set({ checkpointMessage: { kind: 'error', text: `run ${runId} is training now: stop it before deleting it` } });
          return;
        }
        set({ checkpointOp: { kind: 'delete', runId }, checkpointMessage: null });
        try {
          await deps.deleteRun(runId);
          set({ checkpointMessage: { kind: 'ok', text: `Deleted run ${runId}` } });
        } catch (e) {
          set({ checkpointMessage: { kind: 'error', text: `could not delete run ${runId}: ${(e as Error).message}` } });
        } finally {
          set({ checkpointOp: null });
        }
        await get().loadResumable();
      },

      async importCheckpoint(files) {
        const ck = deps.checkpoints;
        if (!ck || get().checkpointOp) return null;
        set({ checkpointOp: { kind: 'import' }, checkpointMessage: null });
        const fail = (text: string) => {
          set({ checkpointOp: null, checkpointMessage: { kind: 'error', text: `Import refused: ${text}. Nothing was stored.` } });
          return null;
        };
        const pair = pairImportFiles(files);
        if ('error' in pair) return fail(pair.error);
        const checked = await checkImportPair(pair);
        if ('error' in checked) return fail(checked.error);
        let taken: string[];
        try {
          taken = (await deps.listRuns()).map((r) => r.runId);
        } catch (e) {
          return fail(`could not list stored runs: ${(e as Error).message}`);
        }
        const runId = importRunId(pair.safetensors.name, taken);
        try {
          await ck.saveSerialized(runId, { safetensors: checked.safetensors, config: checked.config });
        } catch (e) {
          return fail(`could not store it: ${(e as Error).message}`);
        }
        set({ checkpointOp: null, checkpointMessage: { kind: 'ok', text: `Imported run ${runId} at step ${checked.step}` } });
        await get().loadResumable();
        return runId;
      },

      useAsRlStart(runId) {
        const run = get().storedRuns.find((r) => r.runId === runId);
        const st = get().status;
        if (!run || st === 'starting' || st === 'running' || st === 'paused') return;
        const form = get().form;
        const preset = run.preset === 'demo' || run.preset === 'tiny' ? run.preset : form.preset;
        get().setForm({ preset, ...(isRlMode(form.mode) ? {} : { mode: 'pa-grpo' as TrainMode }) });
        get().setRl({ fromRunId: runId });
      },

      useDataset(datasetId) {
        const st = get().status;
        if (st === 'starting' || st === 'running' || st === 'paused') return false;
        const form = get().form;
        if (datasetId === null) {
          const { dataset: _dataset, ...synthetic } = form;
          set({ form: synthetic });
          return true;
        }
        get().setForm({ ...(form.preset === 'tiny' && { preset: 'demo' as const }), mode: 'sft' });
        set({ form: { ...get().form, dataset: datasetId } });
        return true;
      },

      async loadDatasets() {
        if (!deps.listDatasets) return;
        try {
          set({ datasets: await deps.listDatasets() });
        } catch (e) {
          set({ warnings: [...get().warnings, `could not list stored datasets: ${(e as Error).message}`].slice(-MAX_WARNINGS) });
        }
      },

      simulateDeviceLoss() {
        send({ type: 'simulate-device-loss' });
      },
    };
  });
}
