// The app's training store: createTrainingStore (src/store/training.ts) with the browser's
// dependencies (a module Worker running src/train/worker.ts, the IndexedDB checkpoint store, Blob
// downloads) and the form's defaults from the URL.
//
// URL knobs (demos and the browser test), read once when the store is created:
//   ?trainPreset=tiny|demo  ?trainSteps=N  ?trainCheckpointEvery=N   form defaults
//   ?trainStepDelay=ms      extra wait between steps in the worker (default 0)
//   ?trainProgressMs=ms     progress batching interval (default 250)
//   ?trainSamples=N         dataset size: videos of the built-in synthetic dataset (default: the preset's)
//   ?trainEvalEvery=N       held-out evaluation every N steps (default: about 6 a run; 0: never)
//   ?trainEvalQuestions=N   held-out questions per evaluation (default 60)
//   ?trainMode=sft|pa-grpo|grpo|<ablation>   ?trainGroup=G  ?trainPromptsPerStep=P  ?trainMaxNewTokens=N
//   ?trainBeta=β  ?trainTemperature=T  ?trainTopP=p   RL form defaults

import type { StoreApi } from 'zustand/vanilla';
import type { PresetName } from '../model/config';
import { isRlMode, type TrainSettings, type WorkerKnobs } from '../train/protocol';
import { listManifests, openDataDb } from '../data/db';
import { createTrainingStore, type TrainingDeps, type TrainingState, type WorkerLike } from './training';
import { defaultRl, formLr, presetForm } from './training_runs';

function urlNumber(name: string): number | undefined {
  if (typeof location === 'undefined') return undefined;
  const v = new URLSearchParams(location.search).get(name);
  return v !== null && v !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined;
}

function urlPreset(): PresetName | undefined {
  if (typeof location === 'undefined') return undefined;
  const v = new URLSearchParams(location.search).get('trainPreset');
  return v === 'tiny' || v === 'demo' || v === 'test' ? v : undefined;
}

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
  const evalEvery = urlNumber('trainEvalEvery');
  if (evalEvery !== undefined) knobs.evalEvery = Math.max(0, Math.floor(evalEvery));
  const evalQuestions = urlNumber('trainEvalQuestions');
  if (evalQuestions !== undefined) knobs.evalQuestions = Math.max(1, Math.floor(evalQuestions));
  return {
    createWorker: () => new Worker(new URL('../train/worker.ts', import.meta.url), { type: 'module' }) as unknown as WorkerLike,
    listRuns: () => withStore((s) => s.listRuns()),
    async listDatasets() {
      const db = await openDataDb();
      try {
        return (await listManifests(db)).map((m) => ({ id: m.id, name: m.name, samples: m.counts.samples, kind: m.kind, cot: !!m.source.options.cot, state: m.progress.state }));
      } finally {
        db.close();
      }
    },
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
    form.lr = formLr(form.preset, mode);
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
  const temperature = urlNumber('trainTemperature');
  if (temperature !== undefined) rl.temperature = temperature;
  const topP = urlNumber('trainTopP');
  if (topP !== undefined) rl.topP = topP;
  form.rl = rl;
  return form;
}

export const trainingStore = createTrainingStore(browserDeps(), initialForm());

/** Tests reach the store as globalThis.__p2rTraining (no effect on the app). */
export function exposeTrainingForTests(): void {
  (globalThis as { __p2rTraining?: StoreApi<TrainingState> }).__p2rTraining = trainingStore;
}
