// Training slice: the run the training worker (src/train/worker.ts) is doing, as the page shows it.
// Vanilla zustand (no React); src/store/react.ts has the `useTraining` hook. The worker and the
// checkpoint store are injected (createTrainingStore), so tests drive the reducers with a fake worker.
// The Checkpoints panel's actions (exportCheckpoint, deleteStoredRun, importCheckpoint) use
// `deps.checkpoints` (CheckpointStore on the main thread, a Blob download) and check an import with
// parseCheckpoint before anything is stored.
//
// URL knobs (demos and the browser test), read once when the store is created:
//   ?trainPreset=tiny|demo  ?trainSteps=N  ?trainCheckpointEvery=N   form defaults
//   ?trainStepDelay=ms      extra wait between steps in the worker (default 0)
//   ?trainProgressMs=ms     progress batching interval (default 250)
//   ?trainSamples=N         dataset size: videos of the built-in synthetic dataset (5 questions each)
//   ?trainMode=sft|pa-grpo|grpo|<ablation>   ?trainGroup=G  ?trainPromptsPerStep=P  ?trainMaxNewTokens=N
//   ?trainBeta=β            RL form defaults

import { createStore, type StoreApi } from 'zustand/vanilla';
import { PRESETS, makeConfig, modelDims, type PresetName } from '../model/config';
import { CheckpointError, parseCheckpoint } from '../train/checkpoint';
import { isRlMode, type FromWorker, type LogPoint, type RlSettings, type StoredRunState, type ToWorker, type TrainMode, type TrainSettings, type WorkerKnobs } from '../train/protocol';

export type TrainStatus = 'idle' | 'starting' | 'running' | 'paused' | 'finished' | 'error';

/** A stored run whose latest checkpoint did not finish: what a reload offers to resume. */
export interface ResumableRun {
  runId: string;
  step: number;
  totalSteps: number;
  preset: string;
  state: StoredRunState;
  savedAt: number;
  mode: TrainMode;
}

/** A stored SFT run an RL run can start from (its latest checkpoint). */
export interface SftRunChoice {
  runId: string;
  step: number;
  preset: string;
  savedAt: number;
}

/** The part of CheckpointStore's RunSummary this slice reads. */
export interface RunSummaryLike {
  runId: string;
  latestStep: number;
  latestSavedAt: number;
  /** Size of the latest checkpoint's safetensors bytes. */
  latestBytes?: number;
  metadata: Record<string, string>;
}

/** A stored run as the Checkpoints panel lists it. */
export interface StoredRunRow {
  runId: string;
  /** The metadata's mode as written (free text: an imported checkpoint may say anything). */
  mode: string;
  step: number;
  /** The run's planned steps (0 when the metadata does not say). */
  totalSteps: number;
  preset: string;
  state: string;
  bytes: number;
  savedAt: number;
}

/** The files of one stored checkpoint, undecoded (CheckpointStore.loadSerialized). */
export interface SerializedFiles {
  safetensors: Uint8Array;
  config: string;
  step: number;
}

/** What an import reads from a picked file (a DOM File fits). */
export interface ImportFile {
  name: string;
  arrayBuffer(): Promise<ArrayBuffer>;
  text(): Promise<string>;
}

/** The Checkpoints panel's store access and download; optional so tests of other parts need no fakes. */
export interface CheckpointDeps {
  loadSerialized(runId: string): Promise<SerializedFiles>;
  /** Saves an already serialized (and checked) checkpoint as the latest of `runId`. */
  saveSerialized(runId: string, files: { safetensors: Uint8Array; config: string }): Promise<void>;
  /** Hands a file to the browser as a download. */
  download(name: string, data: Uint8Array | string, type: string): void;
}

export type CheckpointOp = { kind: 'export' | 'delete'; runId: string } | { kind: 'import' };

export interface WorkerLike {
  postMessage(message: ToWorker): void;
  terminate(): void;
  onmessage: ((e: MessageEvent<FromWorker>) => void) | null;
  onerror: ((e: ErrorEvent) => void) | null;
}

export interface TrainingDeps {
  createWorker(): WorkerLike;
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

/** Runs whose latest checkpoint says the run was still going ('running': the tab closed; 'paused'). */
export function resumableRuns(runs: readonly RunSummaryLike[]): ResumableRun[] {
  return runs
    .filter((r) => (r.metadata.mode === 'sft' || isRlMode(r.metadata.mode ?? '')) && (r.metadata.state === 'running' || r.metadata.state === 'paused'))
    .map((r) => ({
      mode: r.metadata.mode as TrainMode,
      runId: r.runId,
      step: r.latestStep,
      totalSteps: Number(r.metadata.steps) || 0,
      preset: r.metadata.preset ?? '?',
      state: r.metadata.state as StoredRunState,
      savedAt: r.latestSavedAt,
    }))
    .filter((r) => r.step < r.totalSteps);
}

/** Stored SFT runs with a checkpoint, newest first. */
export function sftRunChoices(runs: readonly RunSummaryLike[]): SftRunChoice[] {
  return runs
    .filter((r) => r.metadata.mode === 'sft' && r.latestStep > 0)
    .map((r) => ({ runId: r.runId, step: r.latestStep, preset: r.metadata.preset ?? '?', savedAt: r.latestSavedAt }))
    .sort((a, b) => b.savedAt - a.savedAt);
}

/**
 * The RL form's defaults for a preset: G 4, P 2, β 0.04 (Video-R1), and new tokens up to the room the
 * context leaves after the frames: the gold CoTs of the preset's questions (compact for tiny, full for
 * demo) must fit, or every rollout is cut before </answer> and fails the format reward.
 */
export function defaultRl(preset: PresetName): RlSettings {
  const m = makeConfig(preset).model;
  return { group: 4, promptsPerStep: 2, maxNewTokens: m.contextLength - modelDims(m).frameTokens - 1, beta: 0.04, fromRunId: '' };
}

/**
 * The RL settings sent to the worker: `fromRunId` '' means "the newest stored SFT run of this preset"
 * (an error when there is none), null from scratch, else that run.
 */
export function resolveRl(form: TrainSettings, sftRuns: readonly SftRunChoice[]): { rl: RlSettings } | { error: string } {
  const rl = form.rl ?? defaultRl(form.preset);
  if (!(rl.group >= 2)) return { error: `group size G must be at least 2 (got ${rl.group})` };
  if (!(rl.promptsPerStep >= 1)) return { error: `prompts per step must be at least 1 (got ${rl.promptsPerStep})` };
  if (!(rl.maxNewTokens >= 1)) return { error: `max new tokens must be at least 1 (got ${rl.maxNewTokens})` };
  if (rl.fromRunId !== '') return { rl: { ...rl } };
  const latest = sftRuns.find((r) => r.preset === form.preset);
  if (!latest) return { error: `no stored SFT run of preset ${form.preset} to start from: train SFT first, or choose "from scratch"` };
  return { rl: { ...rl, fromRunId: latest.runId } };
}

/** Stored runs as the Checkpoints panel lists them, newest first. */
export function storedRunRows(runs: readonly RunSummaryLike[]): StoredRunRow[] {
  return runs
    .map((r) => ({
      runId: r.runId,
      mode: r.metadata.mode ?? '?',
      step: r.latestStep,
      totalSteps: Number(r.metadata.steps) || 0,
      preset: r.metadata.preset ?? '?',
      state: r.metadata.state ?? '?',
      bytes: r.latestBytes ?? 0,
      savedAt: r.latestSavedAt,
    }))
    .sort((a, b) => b.savedAt - a.savedAt);
}

/** A run id as a file name part: anything but letters, digits, '.', '_' and '-' becomes '_'. */
export function fileSafe(runId: string): string {
  const s = runId.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return s.slice(0, 120) || 'run';
}

/** The exported pair's file names: `<run>-step<N>.safetensors` and `<run>-step<N>.json`. */
export function checkpointFileNames(runId: string, step: number): { safetensors: string; json: string } {
  const base = `${fileSafe(runId)}-step${step}`;
  return { safetensors: `${base}.safetensors`, json: `${base}.json` };
}

/** Picks the .safetensors and the .json out of the chosen files: exactly one of each. */
export function pairImportFiles<F extends { name: string }>(files: readonly F[]): { safetensors: F; json: F } | { error: string } {
  const st = files.filter((f) => /\.safetensors$/i.test(f.name));
  const js = files.filter((f) => /\.json$/i.test(f.name));
  const other = files.filter((f) => !st.includes(f) && !js.includes(f));
  if (other.length) return { error: `'${other[0].name}' is neither a .safetensors nor a .json file: choose the two files of one exported checkpoint` };
  if (st.length !== 1 || js.length !== 1)
    return { error: `choose exactly one .safetensors and one .json file (got ${st.length} .safetensors and ${js.length} .json)` };
  return { safetensors: st[0], json: js[0] };
}

/**
 * The run id an import is stored under: the exported file name without `-step<N>` and the
 * extension, made unique among the stored runs with `-imported`, `-imported-2`, ...
 */
export function importRunId(fileName: string, taken: ReadonlySet<string> | readonly string[]): string {
  const has = (id: string) => (Array.isArray(taken) ? (taken as readonly string[]).includes(id) : (taken as ReadonlySet<string>).has(id));
  const base = fileSafe(fileName.replace(/\.(safetensors|json)$/i, '').replace(/-step\d+$/, '')) || 'imported';
  if (!has(base)) return base;
  for (let i = 1; ; i++) {
    const id = `${base}-imported${i === 1 ? '' : `-${i}`}`;
    if (!has(id)) return id;
  }
}

/**
 * Reads and checks a picked pair (config, size, SHA-256, layout) with parseCheckpoint. The error names
 * the file at fault: the .json for a bad config, the .safetensors for a wrong size, hash or contents,
 * both when the two do not belong together.
 */
export async function checkImportPair(pair: { safetensors: ImportFile; json: ImportFile }): Promise<{ safetensors: Uint8Array; config: string; step: number; metadata: Record<string, string> } | { error: string }> {
  let bytes: Uint8Array;
  let config: string;
  try {
    bytes = new Uint8Array(await pair.safetensors.arrayBuffer());
  } catch (e) {
    return { error: `could not read '${pair.safetensors.name}': ${(e as Error).message}` };
  }
  try {
    config = await pair.json.text();
  } catch (e) {
    return { error: `could not read '${pair.json.name}': ${(e as Error).message}` };
  }
  try {
    const ckpt = await parseCheckpoint(bytes, config);
    return { safetensors: bytes, config, step: ckpt.step, metadata: ckpt.metadata };
  } catch (e) {
    if (!(e instanceof CheckpointError)) return { error: `'${pair.safetensors.name}' / '${pair.json.name}': ${(e as Error).message}` };
    const which =
      e.code === 'BadConfig'
        ? `'${pair.json.name}'`
        : e.code === 'LayoutMismatch'
          ? `'${pair.safetensors.name}' does not match '${pair.json.name}'`
          : `'${pair.safetensors.name}'`;
    return { error: `${which}: ${e.message}` };
  }
}

/** The state change one worker message makes (pure: the reducer the tests drive). */
export function reduce(s: TrainingState, msg: FromWorker): Partial<TrainingState> {
  switch (msg.type) {
    case 'ready': {
      const series = s.series.filter((p) => p.step < msg.startStep);
      return {
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
    case 'checkpoint':
      return { lastCheckpoint: { step: msg.step, reason: msg.reason, savedAt: msg.savedAt, bytes: msg.bytes } };
    case 'paused':
      return { status: 'paused', pause: { reason: msg.reason, message: msg.message, hint: msg.hint }, etaSeconds: s.etaSeconds };
    case 'finished':
      return { status: 'finished', step: msg.step, stopped: msg.stopped, pause: null, etaSeconds: msg.stopped ? s.etaSeconds : 0 };
    case 'warning':
      return { warnings: [...s.warnings, msg.message].slice(-MAX_WARNINGS) };
    case 'rollouts': {
      const prev = s.rollouts?.runId === msg.runId ? s.rollouts : null;
      return { rollouts: { runId: msg.runId, steps: Math.max(prev?.steps ?? 0, msg.step + 1), count: (prev?.count ?? 0) + msg.count } };
    }
    case 'error':
      return { status: 'error', error: { code: msg.code, message: msg.message, hint: msg.hint }, pause: null };
  }
}

function urlNumber(name: string): number | undefined {
  if (typeof location === 'undefined') return undefined;
  const v = new URLSearchParams(location.search).get(name);
  return v !== null && v !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined;
}

function urlPreset(): PresetName | undefined {
  if (typeof location === 'undefined') return undefined;
  const v = new URLSearchParams(location.search).get('trainPreset');
  return v === 'tiny' || v === 'demo' ? v : undefined;
}

/** The form's values for a preset: its own train config. */
export function presetForm(preset: PresetName): TrainSettings {
  const t = makeConfig(preset).train;
  return { preset, steps: t.steps, lr: t.lr, seed: t.seed, batch: t.batchSize, checkpointEvery: Math.max(1, Math.round(t.steps / 10)), mode: 'sft' };
}

/** RL's learning rate default: the preset's SFT rate / 10 (as scripts/train.ts). */
export const RL_LR_FACTOR = 0.1;

const IDLE: Omit<TrainingState, 'form' | 'resumable' | 'resumableLoaded' | 'sftRuns' | 'storedRuns' | 'checkpointOp' | 'checkpointMessage' | keyof TrainingActions> = {
  status: 'idle',
  runId: null,
  adapter: null,
  parameters: null,
  startStep: 0,
  totalSteps: 0,
  step: 0,
  series: [],
  skipped: 0,
  msPerStep: null,
  etaSeconds: null,
  lastCheckpoint: null,
  pause: null,
  stopped: false,
  error: null,
  warnings: [],
  rollouts: null,
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
      resumable: [],
      resumableLoaded: false,
      sftRuns: [],
      storedRuns: [],
      checkpointOp: null,
      checkpointMessage: null,

      setForm(patch) {
        const prev = get().form;
        const form = patch.preset && patch.preset !== prev.preset ? { ...presetForm(patch.preset), mode: prev.mode, ...patch } : { ...prev, ...patch };
        // Switching between SFT and RL scales the learning rate (RL: the preset's rate / 10).
        const wasRl = isRlMode(prev.mode);
        const isRl = isRlMode(form.mode);
        if (patch.lr === undefined && wasRl !== isRl) form.lr = isRl ? form.lr * RL_LR_FACTOR : form.lr / RL_LR_FACTOR;
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
          form = { ...form, rl: r.rl };
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

      simulateDeviceLoss() {
        send({ type: 'simulate-device-loss' });
      },
    };
  });
}

// ---- the app's instance ---------------------------------------------------------------------------

function browserDeps(): TrainingDeps {
  const withStore = async <T>(f: (s: import('../train/checkpoint_store').CheckpointStore) => Promise<T>): Promise<T> => {
    const { CheckpointStore } = await import('../train/checkpoint_store');
    const store = await CheckpointStore.open();
    try {
      return await f(store);
    } finally {
      store.close();
    }
  };
  const knobs: WorkerKnobs = {};
  const delay = urlNumber('trainStepDelay');
  if (delay !== undefined) knobs.stepDelayMs = delay;
  const progress = urlNumber('trainProgressMs');
  if (progress !== undefined) knobs.progressMs = progress;
  const samples = urlNumber('trainSamples');
  if (samples !== undefined) knobs.samples = samples;
  return {
    createWorker: () => new Worker(new URL('../train/worker.ts', import.meta.url), { type: 'module' }) as unknown as WorkerLike,
    listRuns: () => withStore((s) => s.listRuns()),
    deleteRun: (runId) => withStore((s) => s.deleteRun(runId)),
    checkpoints: {
      loadSerialized: (runId) => withStore((s) => s.loadSerialized(runId)),
      saveSerialized: (runId, files) => withStore(async (s) => void (await s.save(runId, files, { reason: 'import' }))),
      download(name, data, type) {
        const url = URL.createObjectURL(new Blob([data as BlobPart], { type }));
        const a = document.createElement('a');
        a.href = url;
        a.download = name;
        a.style.display = 'none';
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 60_000);
      },
    },
    now: () => Date.now(),
    newRunId: (s) => `${s.mode}-${s.preset}-${new Date().toISOString().replace(/[:.]/g, '-')}-${Math.random().toString(36).slice(2, 6)}`,
    knobs,
  };
}

function initialForm(): TrainSettings {
  const form = presetForm(urlPreset() ?? 'tiny');
  const steps = urlNumber('trainSteps');
  if (steps !== undefined) form.steps = Math.max(1, Math.floor(steps));
  const every = urlNumber('trainCheckpointEvery');
  form.checkpointEvery = every !== undefined ? Math.max(1, Math.floor(every)) : Math.max(1, Math.round(form.steps / 10));
  const mode = typeof location === 'undefined' ? null : new URLSearchParams(location.search).get('trainMode');
  if (mode && isRlMode(mode)) {
    form.mode = mode;
    form.lr *= RL_LR_FACTOR;
  }
  const rl = defaultRl(form.preset);
  const g = urlNumber('trainGroup');
  if (g !== undefined) rl.group = Math.max(2, Math.floor(g));
  const p = urlNumber('trainPromptsPerStep');
  if (p !== undefined) rl.promptsPerStep = Math.max(1, Math.floor(p));
  const n = urlNumber('trainMaxNewTokens');
  if (n !== undefined) rl.maxNewTokens = Math.max(1, Math.floor(n));
  const beta = urlNumber('trainBeta');
  if (beta !== undefined) rl.beta = beta;
  form.rl = rl;
  return form;
}

export const trainingStore = createTrainingStore(browserDeps(), initialForm());

/** Presets offered by the form. */
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

/** Tests reach the store as globalThis.__p2rTraining (no effect on the app). */
export function exposeTrainingForTests(): void {
  (globalThis as { __p2rTraining?: StoreApi<TrainingState> }).__p2rTraining = trainingStore;
}
