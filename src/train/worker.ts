// The training worker: owns its own GPUDevice and runs SftTrainer steps in a loop that yields to the
// message loop between steps, so pause / resume / stop are handled within one step. Progress is
// batched (every ~250 ms or every N steps). Checkpoints go through CheckpointStore (one atomic
// IndexedDB transaction each) every N steps, on pause, on stop and at the end — never after a failed
// step: a step that throws or raises a GPU error ends the loop before anything is saved, and the store
// serializes the tensors before it first yields, so nothing a later step does reaches a stored file.
// Device loss pauses the run with a message; `resume` then acquires a new device and reloads the
// latest checkpoint. Every `evalEvery` steps (protocol.ts heldOutDue) the loop evaluates held-out
// questions (src/train/heldout.ts) between two steps, on its own B=EVAL_ROWS model that shares the
// trainer's kernels and gets the trainer's parameters copied in (one GPU copy), so training state is
// never touched; a pause or stop cuts the evaluation short. Started by src/store/training_browser.ts as
//   new Worker(new URL('../train/worker.ts', import.meta.url), { type: 'module' })

import { acquireDevice, type GpuContext } from '../gpu/device';
import { GpuError, gpuError } from '../gpu/errors';
import { makeConfig, modelDims, type Config, type PresetName } from '../model/config';
import { initParams, paramLayout } from '../model/params';
import { GpuModel } from '../model/model';
import { Decoder } from '../model/generate';
import { SftTrainer, type SftLogEntry } from './sft';
import type { SftSample } from './samples';
import { DEFAULT_SYNTHETIC } from '../data/synthetic';
import { CheckpointStore, CheckpointStoreError } from './checkpoint_store';
import { CheckpointError, flatFromTensors, type Checkpoint } from './checkpoint';
import { RlTrainer, type RlLogEntry, type RlRollout } from './rl';
import { PRESET_SYNTHETIC, PRESET_VIDEOS, syntheticRlPrompts, syntheticSftSamples, type RlPrompt } from './rl_data';
import { RL_DEFAULTS } from './rl_defaults';
import { EVAL_ROWS, evaluateHeldOut, heldOutPrompts } from './heldout';
import { heldOutBenchmark } from './heldout_benchmark';
import { toInspectorRollout } from './rl_export';
import { rlJudge } from './self_answer';
import { loadStoredSft } from './stored_sft_browser';
import { StoredDataError } from './stored_sft';
import { DataError } from '../data/errors';
import { appendRunStep } from '../rollouts/rollout_db';
import {
  DEFAULT_EVAL_QUESTIONS,
  decodeHeldOut,
  encodeHeldOut,
  heldOutDue,
  displayStep,
  heldOutEvery,
  isRlMode,
  isRlJudgeName,
  type CheckpointReason,
  type FromWorker,
  type HeldOutPoint,
  type LogPoint,
  type RlSettings,
  type RunMetadata,
  type StoredRunState,
  type ToWorker,
  type TrainSettings,
  type WorkerKnobs,
} from './protocol';

const scope = self as unknown as { postMessage(m: FromWorker): void; onmessage: ((e: MessageEvent<ToWorker>) => void) | null };
const post = (m: FromWorker) => scope.postMessage(m);

interface Run {
  runId: string;
  settings: TrainSettings;
  samplesCount: number;
  knobs: Required<Omit<WorkerKnobs, 'samples' | 'evalEvery' | 'evalQuestions'>>;
  config: Config;
  /** Held-out evaluation: every this many steps (0: never), on this many questions. */
  evalEvery: number;
  evalQuestions: number;
  /** Built at the first evaluation: the held-out prompts (the preset's questions on HELD_OUT_SEED's videos). */
  evalPrompts: RlPrompt[] | null;
  /** The B=EVAL_ROWS evaluation model of the current device (rebuilt after a device loss). */
  evaluator: { model: GpuModel; decoder: Decoder } | null;
  /** Steps done at the last completed evaluation (null: none yet in this worker). */
  lastEval: number | null;
  /** The run's evaluations, in step order; stored with each checkpoint (RunMetadata.heldOut). */
  heldOut: HeldOutPoint[];
  samples: SftSample[];
  /** RL runs: the prompts. */
  prompts: RlPrompt[];
  store: CheckpointStore;
  ctx: GpuContext | null;
  trainer: SftTrainer | RlTrainer | null;
  lastSaved: number;
}

let run: Run | null = null;
/** What the loop does at its next check. */
let control: 'run' | 'pause' | 'stop' = 'run';
let loopActive = false;
/** Set when the device is lost (or a loss is simulated); the loop then pauses. */
let lost: GpuError | null = null;
let rejectLost: ((e: GpuError) => void) | null = null;
/** Uncaptured GPU errors since the last check (validation, out of memory): the step failed. */
let gpuErrors: GpuError[] = [];
let simulatedLoss = false;
let pending: LogPoint[] = [];
let lastFlush = 0;

function flush() {
  if (pending.length) post({ type: 'progress', points: pending });
  pending = [];
  lastFlush = performance.now();
}

function point(e: SftLogEntry | RlLogEntry): LogPoint {
  const common = { step: e.step, loss: e.loss, lr: e.lr, gradNorm: e.gradNorm, entropy: e.entropy, skipped: e.skipped };
  if (!('rewards' in e)) return { ...common, tokensPerSec: e.ms > 0 ? (e.tokens * 1000) / e.ms : 0, msPerStep: e.ms };
  return {
    ...common,
    tokensPerSec: e.ms.total > 0 ? (e.completionTokens * 1000) / e.ms.total : 0,
    msPerStep: e.ms.total,
    rl: {
      perception: { ...e.rewards.perception },
      reasoning: { ...e.rewards.reasoning },
      kl: e.kl,
      clipFraction: e.clipFraction,
      segmentP: e.segmentLengths.perception,
      segmentR: e.segmentLengths.reasoning,
      collapsedP: e.collapsed.perception,
      collapsedR: e.collapsed.reasoning,
      collapsedBoth: e.collapsed.both,
      groups: e.collapsed.groups,
      meanAbsAdvantage: e.meanAbsAdvantage,
      unfinished: e.unfinished,
    },
  };
}

function configFor(s: TrainSettings): Config {
  const base = makeConfig(s.preset);
  return makeConfig(s.preset, {
    train: {
      steps: s.steps,
      seed: s.seed,
      lr: s.lr,
      batchSize: s.batch,
      // SFT as scripts/train.ts: a short run keeps the preset's warmup unless it would not fit. RL as
      // the experiment that chose RL_DEFAULTS (scripts/experiment.ts): a one-step warmup.
      warmupSteps: isRlMode(s.mode) ? 1 : Math.min(base.train.warmupSteps, Math.max(1, Math.floor(s.steps / 10))),
    },
  });
}

// SFT and RL read the same questions: the built-in synthetic dataset's videos (DEFAULT_SYNTHETIC's
// seed, whatever the run's seed), in the preset's style (compact for tiny, full for demo), as
// scripts/train.ts does.
function promptsFor(preset: PresetName, videos: number): RlPrompt[] {
  return syntheticRlPrompts(videos, DEFAULT_SYNTHETIC.seed, PRESET_SYNTHETIC[preset]);
}

function samplesFor(preset: PresetName, videos: number): SftSample[] {
  return syntheticSftSamples(videos, DEFAULT_SYNTHETIC.seed, PRESET_SYNTHETIC[preset]);
}

function metadata(r: Run, state: StoredRunState): Record<string, string> {
  const s = r.settings;
  const m: RunMetadata = {
    mode: s.mode,
    preset: s.preset,
    seed: String(s.seed),
    steps: String(s.steps),
    lr: String(s.lr),
    batch: String(s.batch),
    checkpointEvery: String(s.checkpointEvery),
    samples: String(r.samplesCount),
    state,
  };
  if (r.heldOut.length) m.heldOut = encodeHeldOut(r.heldOut);
  if (s.dataset) m.dataset = s.dataset;
  if (s.rl) {
    m.group = String(s.rl.group);
    m.promptsPerStep = String(s.rl.promptsPerStep);
    m.maxNewTokens = String(s.rl.maxNewTokens);
    m.beta = String(s.rl.beta);
    if (s.rl.temperature !== undefined) m.temperature = String(s.rl.temperature);
    if (s.rl.topP !== undefined) m.topP = String(s.rl.topP);
    m.fromRunId = s.rl.fromRunId ?? '';
    if (s.rl.fromStep !== undefined) m.fromStep = String(s.rl.fromStep);
    if (s.rl.judge !== undefined) m.judge = s.rl.judge;
  }
  return { ...m };
}

function settingsFromMetadata(m: Record<string, string>): { settings: TrainSettings; samples: number } {
  const num = (k: string) => {
    const v = Number(m[k]);
    if (!Number.isFinite(v)) throw new CheckpointError('BadConfig', `the checkpoint's metadata has no usable '${k}' (got ${m[k]})`);
    return v;
  };
  const preset: PresetName = m.preset === 'demo' || m.preset === 'test' ? m.preset : 'tiny';
  const mode = isRlMode(m.mode) ? m.mode : 'sft';
  const settings: TrainSettings = { preset, steps: num('steps'), lr: num('lr'), seed: num('seed'), batch: num('batch'), checkpointEvery: num('checkpointEvery'), mode };
  if (mode === 'sft' && m.dataset) settings.dataset = m.dataset;
  if (mode !== 'sft') {
    settings.rl = { group: num('group'), promptsPerStep: num('promptsPerStep'), maxNewTokens: num('maxNewTokens'), beta: num('beta'), fromRunId: m.fromRunId || null };
    if (m.fromStep) settings.rl.fromStep = num('fromStep');
    if (m.temperature) settings.rl.temperature = num('temperature');
    if (m.topP) settings.rl.topP = num('topP');
    if (m.judge && isRlJudgeName(m.judge)) settings.rl.judge = m.judge;
  }
  return { settings, samples: num('samples') };
}

/** Acquires a device and builds the trainer, from the run's latest stored checkpoint when there is one. */
async function attach(r: Run, fromStore: boolean): Promise<void> {
  lost = null;
  simulatedLoss = false;
  gpuErrors = [];
  const ctx = await acquireDevice({
    onError: (e) => {
      if (e.code !== 'DeviceLost') gpuErrors.push(e);
    },
  });
  ctx.device.lost.then((info) => {
    if (lost || (info.reason === 'destroyed' && !simulatedLoss)) return; // already known, or our own destroy()
    lost = gpuError('DeviceLost', `GPU device lost: ${info.message || info.reason}`);
    rejectLost?.(lost);
  });
  r.ctx = ctx;
  let resume;
  if (fromStore) {
    const loaded = await r.store.loadLatest(r.runId);
    if (loaded) {
      resume = loaded.checkpoint;
      // A run resumed in a new worker gets its curve back from the checkpoint (one resumed after a
      // device loss still has its own, which may be newer).
      if (r.heldOut.length === 0) r.heldOut = decodeHeldOut(resume.metadata.heldOut);
      for (const s of loaded.skipped) post({ type: 'warning', message: `checkpoint at step ${s.step} failed its check and was passed over: ${s.error}` });
    }
  }
  if (r.settings.mode === 'sft' || !r.settings.rl) {
    r.trainer = await SftTrainer.create(ctx.device, r.config, {
      samples: r.samples,
      resume,
      onWarning: (message) => post({ type: 'warning', message }),
    });
  } else {
    r.trainer = await createRl(r, ctx.device, r.settings.rl, resume);
  }
  r.lastSaved = r.trainer.step;
  // Evaluations of steps after the one resumed from are of weights trained again.
  r.heldOut = r.heldOut.filter((p) => p.step <= r.trainer!.step);
  post({
    type: 'ready',
    runId: r.runId,
    adapter: ctx.summary.description,
    isFallback: ctx.summary.isFallback,
    startStep: r.trainer.step,
    ...(r.heldOut.length && { heldOut: r.heldOut }),
    totalSteps: r.config.train.steps,
    parameters: r.trainer.layout.count,
    settings: r.settings,
  });
}

/**
 * The SFT checkpoint an RL run starts from: the SFT run's latest for a new run; for a resumed run the
 * one it started from (`step`), which stays its frozen reference.
 */
async function sftStart(r: Run, fromRunId: string, step: number | undefined): Promise<Checkpoint> {
  if (step !== undefined) {
    try {
      return await r.store.load(fromRunId, step);
    } catch (e) {
      throw new CheckpointStoreError('NotFound', `This RL run's frozen reference, SFT run '${fromRunId}' at step ${step}, is no longer stored (${(e as Error).message}); start a new RL run`);
    }
  }
  const loaded = await r.store.loadLatest(fromRunId);
  if (!loaded) throw new CheckpointStoreError('NotFound', `No checkpoint is stored for SFT run '${fromRunId}'`);
  return loaded.checkpoint;
}

async function createRl(r: Run, device: GPUDevice, rl: RlSettings, own: Checkpoint | undefined): Promise<RlTrainer> {
  const sft = rl.fromRunId ? await sftStart(r, rl.fromRunId, own ? rl.fromStep : undefined) : undefined;
  // A new run records its start in every checkpoint's metadata (checkpoints written before this was
  // recorded have none: their resume takes the latest, as it always did).
  if (sft && !own) rl.fromStep = sft.step;
  // A resumed RL run keeps the SFT weights (or, from scratch, the initial weights) as its frozen reference.
  let reference: Float32Array | undefined;
  if (own) {
    const layout = paramLayout(r.config.model);
    reference = sft ? flatFromTensors(layout, sft.tensors) : initParams(layout, r.config.train.seed);
  }
  const runId = r.runId;
  const defaults = RL_DEFAULTS[r.settings.preset];
  return RlTrainer.create(device, r.config, {
    prompts: r.prompts,
    mode: r.settings.mode,
    group: rl.group,
    promptsPerStep: rl.promptsPerStep,
    sampling: {
      temperature: rl.temperature ?? defaults.temperature,
      topP: rl.topP ?? defaults.topP,
      maxNewTokens: Math.min(rl.maxNewTokens, modelDims(r.config.model).maxT),
    },
    loss: { beta: rl.beta },
    judge: rlJudge(rl.judge ?? 'rules'),
    resume: own ?? sft,
    reference,
    onWarning: (message) => post({ type: 'warning', message }),
    onRollouts: async (rollouts, step) => {
      try {
        await writeRollouts(r, rollouts, step);
        post({ type: 'rollouts', runId, step, count: rollouts.length });
      } catch (e) {
        post({ type: 'warning', message: `rollouts of step ${displayStep(step)} not stored: ${(e as Error).message}`, hint: (e as { hint?: string } | null)?.hint, code: 'RolloutsNotStored', step });
      }
    },
  });
}

/** Appends one step's rollouts to the rollout store, so the run shows in the inspector while it trains. */
async function writeRollouts(r: Run, rollouts: RlRollout[], step: number): Promise<void> {
  const judge = r.settings.rl?.judge;
  const name = `${r.settings.mode} (trained in the app, ${r.settings.preset}${judge && judge !== 'rules' ? `, ${judge} judge` : ''})`;
  await appendRunStep(r.runId, name, displayStep(step), rollouts.map((x) => toInspectorRollout(x, r.runId)));
}

function detach(r: Run) {
  r.trainer = null;
  r.evaluator = null; // its buffers go with the device
  const ctx = r.ctx;
  r.ctx = null;
  rejectLost = null;
  try {
    ctx?.device.destroy();
  } catch {
    // already gone
  }
}

/** Saves a checkpoint of the current trainer state. A failed save is a warning: the previous one stays. */
async function save(r: Run, reason: CheckpointReason, state: StoredRunState): Promise<void> {
  if (!r.trainer) return;
  try {
    const ckpt = await r.trainer.checkpoint(metadata(r, state));
    const entry = await r.store.save(r.runId, ckpt, { reason, keep: 3 });
    r.lastSaved = entry.step;
    post({ type: 'checkpoint', step: entry.step, reason, savedAt: entry.savedAt, bytes: entry.bytes });
  } catch (e) {
    if (lost) throw e;
    const hint = e instanceof CheckpointStoreError ? e.hint : undefined;
    post({ type: 'warning', message: `checkpoint at step ${r.trainer.step} not saved: ${(e as Error).message}`, hint, code: 'CheckpointNotSaved', step: r.trainer.step });
  }
}

function describe(e: unknown): { code: string; message: string; hint: string } {
  if (e instanceof GpuError || e instanceof CheckpointStoreError || e instanceof DataError || e instanceof StoredDataError) return { code: e.code, message: e.message, hint: e.hint };
  if (e instanceof CheckpointError) return { code: e.code, message: e.message, hint: 'The stored checkpoint cannot be used: start a new run.' };
  return { code: 'TrainingFailed', message: (e as Error)?.message ?? String(e), hint: 'See the browser console of the training worker; the last checkpoint is intact.' };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `work`, unless the device is lost first (then the loss, as a rejection). */
function unlessLost<T>(work: Promise<T>): Promise<T> {
  const lostNow = new Promise<never>((_, reject) => {
    if (lost) reject(lost);
    else rejectLost = reject;
  });
  lostNow.catch(() => undefined);
  return Promise.race([work, lostNow]);
}

/** A pause or stop arrived during a held-out evaluation: it is dropped and redone at the next chance. */
class EvalInterrupted extends Error {}

/**
 * Evaluates the trainer's current weights on the held-out questions and posts the report. The model
 * is a separate B=EVAL_ROWS GpuModel sharing the trainer's kernels (as scripts/train.ts): the
 * trainer's parameters are copied into it on the GPU, so nothing the trainer owns is read or written
 * while it waits. Progress is posted after each chunk of EVAL_ROWS questions.
 */
async function evaluate(r: Run, trainer: SftTrainer | RlTrainer): Promise<void> {
  const step = trainer.step;
  const source = trainer instanceof SftTrainer ? trainer.model : trainer.policy;
  r.evalPrompts ??= heldOutPrompts(r.evalQuestions, PRESET_SYNTHETIC[r.settings.preset]);
  const prompts = r.evalPrompts;
  post({ type: 'heldout-progress', step, done: 0, total: prompts.length });
  const t0 = performance.now();
  if (!r.evaluator) {
    const model = await GpuModel.create(source.device, r.config.model, trainer.layout, {
      batchSize: EVAL_ROWS,
      init: new Float32Array(trainer.layout.total),
      train: r.config.train,
      kernels: source.internals.kernels,
      label: 'HeldOut',
    });
    r.evaluator = { model, decoder: Decoder.create(model) };
  }
  const { model, decoder } = r.evaluator;
  const enc = source.device.createCommandEncoder({ label: 'HeldOut.copyParams' });
  enc.copyBufferToBuffer(source.buffers.params, 0, model.buffers.params, 0, trainer.layout.total * 4);
  source.device.queue.submit([enc.finish()]);
  const { report, items } = await evaluateHeldOut(decoder, prompts, {
    maxNewTokens: modelDims(r.config.model).maxT,
    onProgress: (done, total) => {
      post({ type: 'heldout-progress', step, done, total });
      if (control !== 'run') throw new EvalInterrupted();
    },
  });
  const point: HeldOutPoint = { step, report, ms: performance.now() - t0, benchmark: items.length ? heldOutBenchmark(prompts, items.map((i) => i.text)) : undefined };
  r.heldOut = [...r.heldOut.filter((p) => p.step !== step), point].sort((a, b) => a.step - b.step);
  post({ type: 'heldout', point });
}

/**
 * Rest between steps on a CPU adapter: a tenth of the step, at least 30 ms. With issue 15's kernels a
 * tiny step keeps both cores busy for ~0.4 s, and back to back the page got 1 to 25 event-loop ticks
 * in 1.5 s (75 when idle) and a click on Pause landed 13 RL steps late; the rest costs ~10% of the
 * browser's CPU training speed and keeps the page answering. GPUs run beside the page: no rest.
 */
function cpuBreatherMs(stepMs: number): number {
  return Math.max(30, 0.1 * stepMs);
}

async function loop(r: Run, attachFirst: boolean): Promise<void> {
  if (loopActive) return;
  loopActive = true;
  try {
    if (attachFirst || !r.trainer) await attach(r, true);
    const total = r.config.train.steps;
    for (;;) {
      const trainer = r.trainer!;
      if (control === 'stop') {
        flush();
        await save(r, 'stop', 'stopped');
        post({ type: 'finished', step: trainer.step, stopped: true });
        finishRun(r);
        return;
      }
      if (control === 'pause') {
        flush();
        await save(r, 'pause', 'paused');
        post({ type: 'paused', step: trainer.step, reason: 'user' });
        return;
      }
      if (heldOutDue(trainer.step, total, r.evalEvery) && r.lastEval !== trainer.step) {
        flush();
        try {
          await unlessLost(evaluate(r, trainer));
          if (lost) throw lost;
          if (gpuErrors.length) throw gpuErrors[0];
          r.lastEval = trainer.step;
        } catch (e) {
          if (!(e instanceof EvalInterrupted)) throw e;
        }
        continue; // a pause or stop that arrived meanwhile applies now
      }
      if (trainer.step >= total) {
        flush();
        await save(r, 'final', 'finished');
        post({ type: 'finished', step: trainer.step, stopped: false });
        finishRun(r);
        return;
      }
      const stepStart = performance.now();
      const entry = await unlessLost<SftLogEntry | RlLogEntry>(trainer.trainStep());
      const stepMs = performance.now() - stepStart;
      if (lost) throw lost;
      if (gpuErrors.length) throw gpuErrors[0]; // the step failed: save nothing from it
      pending.push(point(entry));
      const now = performance.now();
      if (pending.length >= r.knobs.progressSteps || now - lastFlush >= r.knobs.progressMs) flush();
      const done = entry.step + 1;
      if (r.settings.checkpointEvery > 0 && done % r.settings.checkpointEvery === 0 && done < total) {
        flush();
        await save(r, 'interval', 'running');
      }
      // Yield to the message loop (pause / stop arrive here). On a CPU adapter the "GPU" is the same
      // cores the page runs on, and the step's kernels fill all of them: a short rest between steps
      // lets the page paint and answer clicks (CPU_BREATHER).
      await sleep(Math.max(r.knobs.stepDelayMs, r.ctx?.summary.isFallback ? cpuBreatherMs(stepMs) : 0));
    }
  } catch (e) {
    flush();
    // A lost device often fails the step's read-back before `device.lost` settles: give it a moment.
    if (!lost && r.ctx) await Promise.race([r.ctx.device.lost, sleep(1000)]).then(() => sleep(0));
    if (lost || (e instanceof GpuError && e.code === 'DeviceLost')) {
      const err = lost ?? (e as GpuError);
      detach(r);
      control = 'pause';
      post({ type: 'paused', step: r.lastSaved, reason: 'device-lost', message: err.message, hint: 'Resume continues from the last checkpoint on a new device.' });
    } else {
      post({ type: 'error', ...describe(e) });
      finishRun(r);
    }
  } finally {
    loopActive = false;
  }
}

function finishRun(r: Run) {
  detach(r);
  r.store.close();
  run = null;
}

async function start(msg: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  if (run) {
    post({ type: 'error', code: 'AlreadyRunning', message: 'this worker already has a run', hint: 'Stop it first.' });
    return;
  }
  // A pause or stop that arrives while the run is being set up applies at the loop's first check.
  control = 'run';
  try {
    const store = await CheckpointStore.open();
    let settings: TrainSettings = { preset: msg.preset, steps: msg.steps, lr: msg.lr, seed: msg.seed, batch: msg.batch, checkpointEvery: msg.checkpointEvery, mode: msg.mode };
    if (isRlMode(msg.mode)) {
      if (!msg.rl) throw new Error(`mode ${msg.mode} needs RL settings`);
      settings.rl = { ...msg.rl };
    } else {
      settings.mode = 'sft';
      if (msg.dataset) settings.dataset = msg.dataset;
    }
    let samplesCount = msg.knobs?.samples ?? PRESET_VIDEOS[settings.preset];
    let runId = msg.runId;
    if (msg.resumeRunId) {
      runId = msg.resumeRunId;
      const summary = (await store.listRuns()).find((s) => s.runId === runId);
      if (!summary) throw new CheckpointStoreError('NotFound', `No checkpoint is stored for run '${runId}'`);
      ({ settings, samples: samplesCount } = settingsFromMetadata(summary.metadata));
    }
    const config = configFor(settings);
    // SFT on a stored dataset: its samples with a valid CoT (read before the device is acquired; the
    // page shows what was read and skipped). Its held-out questions would be the synthetic ones: none.
    const stored = settings.mode === 'sft' && settings.dataset ? await loadStoredSft(settings.dataset, settings.preset, (summary) => post({ type: 'data', summary, done: false })) : null;
    if (stored) {
      post({ type: 'data', summary: stored.summary, done: true });
      if (stored.samples.length === 0) {
        const s = stored.summary;
        throw new StoredDataError(`dataset '${s.name}' has no sample to train on: ${s.read} read, ${s.noOutput} without an output, ${s.badTemplate} with a broken template${s.examples.length ? ` (${s.examples.join('; ')})` : ''}`);
      }
      samplesCount = stored.samples.length;
    }
    const r: Run = {
      runId,
      settings,
      samplesCount,
      knobs: { stepDelayMs: msg.knobs?.stepDelayMs ?? 0, progressMs: msg.knobs?.progressMs ?? 250, progressSteps: msg.knobs?.progressSteps ?? 50 },
      config,
      evalEvery: stored ? 0 : heldOutEvery(config.train.steps, msg.knobs?.evalEvery),
      evalQuestions: Math.max(1, Math.floor(msg.knobs?.evalQuestions ?? DEFAULT_EVAL_QUESTIONS)),
      evalPrompts: null,
      evaluator: null,
      lastEval: null,
      heldOut: [],
      samples: stored ? stored.samples : settings.mode === 'sft' ? samplesFor(settings.preset, samplesCount) : [],
      prompts: settings.mode === 'sft' ? [] : promptsFor(settings.preset, samplesCount),
      store,
      ctx: null,
      trainer: null,
      lastSaved: 0,
    };
    run = r;
    lastFlush = performance.now();
    await loop(r, true);
  } catch (e) {
    post({ type: 'error', ...describe(e) });
    if (run) finishRun(run);
  }
}

scope.onmessage = (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  switch (msg.type) {
    case 'start':
      void start(msg);
      break;
    case 'pause':
      if (control !== 'stop') control = 'pause';
      break;
    case 'resume':
      if (run && !loopActive) {
        control = 'run';
        void loop(run, !run.trainer);
      } else if (run) control = 'run'; // a pause not yet reached is cancelled
      break;
    case 'stop':
      control = 'stop';
      if (!run) break; // still setting up: the loop stops at its first check
      if (!loopActive) {
        if (run.trainer) void loop(run, false);
        else {
          // Paused after a device loss: the latest checkpoint is all there is.
          post({ type: 'finished', step: run.lastSaved, stopped: true });
          finishRun(run);
        }
      }
      break;
    case 'simulate-device-loss':
      if (run?.ctx) {
        // Marked lost before destroy(): Chromium may settle `device.lost` only after the failed read-back.
        simulatedLoss = true;
        lost = gpuError('DeviceLost', 'GPU device lost: simulated (test)');
        rejectLost?.(lost);
        run.ctx.device.destroy();
      }
      break;
  }
};
