// Messages between the training page (src/store/training.ts) and the training worker
// (src/train/worker.ts). Plain structured-clone data only: no classes, no functions.
//
// Flow: page → start → worker → ready → progress* (batched) → checkpoint* → paused | finished | error.
// Every `evalEvery` steps (and at the first and last step) the worker evaluates held-out questions
// between two steps: heldout-progress* then heldout.
// A paused run continues with `resume`; after a device loss the worker has dropped its device and
// `resume` acquires a new one and reloads the run's latest checkpoint from IndexedDB.

import type { PresetName } from '../model/config';
import type { HeldOutReport } from './heldout';
import type { BenchmarkResult } from '../rewards/benchmark_eval';
import type { StoredSftSummary } from './stored_sft';

/** RL modes: the reward presets of src/rewards/config.ts (kept in step with RL_MODES of src/train/rl.ts, which imports WGSL). */
export const RL_MODE_NAMES = ['pa-grpo', 'grpo', 'without-rr', 'without-rp', 'without-rl', 'without-separation', 'without-separation-sum-rewards'] as const;
export type RlMode = (typeof RL_MODE_NAMES)[number];
export type TrainMode = 'sft' | RlMode;

export const isRlMode = (m: string): m is RlMode => (RL_MODE_NAMES as readonly string[]).includes(m);

/** Writes the worker does while training that can fail (quota full, storage error) without ending the run. */
export type WriteFailureCode = 'CheckpointNotSaved' | 'RolloutsNotStored';

/** The mode selector's labels and one-line descriptions. */
export const MODE_INFO: Record<TrainMode, { label: string; description: string }> = {
  sft: { label: 'SFT', description: 'Supervised fine-tuning on the chosen data: the synthetic dataset or a stored one with CoT outputs (cross-entropy on the target tokens).' },
  'pa-grpo': { label: 'PA-GRPO', description: 'Process-aware GRPO: separate perception and reasoning rewards and advantages (VideoP2R).' },
  grpo: { label: 'GRPO', description: 'Process-agnostic GRPO: one reasoning reward and advantage on every token, no judge.' },
  'without-rr': { label: 'w/o R_R', description: 'Ablation: no reasoning reward (reasoning tokens get a zero advantage).' },
  'without-rp': { label: 'w/o R_P', description: 'Ablation: no perception reward (the reasoning advantage on every token).' },
  'without-rl': { label: 'w/o R_L', description: 'Ablation: no length bonus in either process.' },
  'without-separation': { label: 'w/o separation (A_P + A_R)', description: 'Ablation: the sum of both advantages on every token.' },
  'without-separation-sum-rewards': { label: 'w/o separation (R_P + R_R)', description: 'Ablation: GRPO on the summed reward R_P + R_R.' },
};

/** Perception judges an RL run in the app can use (built by rlJudge, src/train/self_answer.ts). */
export const RL_JUDGE_NAMES = ['rules', 'checklist', 'self-answer'] as const;
export type RlJudgeName = (typeof RL_JUDGE_NAMES)[number];
export const isRlJudgeName = (s: string): s is RlJudgeName => (RL_JUDGE_NAMES as readonly string[]).includes(s);

/** The judge selector's labels and one-line descriptions. */
export const JUDGE_INFO: Record<RlJudgeName, { label: string; description: string }> = {
  rules: { label: 'Rules (all scene facts)', description: 'Perception accuracy 1 when the observation states every scene fact, else 0.' },
  checklist: { label: 'Checklist (fraction of facts)', description: 'Perception accuracy = the fraction of scene facts the observation states (Perception-R1 style); listing every alternative earns nothing.' },
  'self-answer': {
    label: 'Self-answer (policy, no frames)',
    description: 'The policy answers from its own observation with no frames; perception accuracy = that answer\'s accuracy (Vision-SR1 style). One extra generation per distinct observation.',
  },
};

/** RL options of the form (ignored by SFT). */
export interface RlSettings {
  /** G: completions per prompt (>= 2). */
  group: number;
  /** P: prompts per step. */
  promptsPerStep: number;
  /** Completion tokens at most (EOS included). */
  maxNewTokens: number;
  /** KL coefficient β. */
  beta: number;
  /** Sampling temperature of the rollouts (absent in runs stored before it was an option: RL_DEFAULTS). */
  temperature?: number;
  /** Nucleus mass of the rollouts (absent: RL_DEFAULTS). */
  topP?: number;
  /** The perception judge (absent in runs stored before it was an option: 'rules'). */
  judge?: RlJudgeName;
  /** Start from the latest checkpoint of this SFT run, or from scratch (null: the RL-only ablation). */
  fromRunId: string | null;
  /**
   * The step of that SFT checkpoint, recorded by the worker when the RL run starts: a resumed run
   * reloads exactly it as the frozen reference, even if the SFT run has been trained further since.
   */
  fromStep?: number;
}

/** What the form chooses: the preset's train config overridden by these. */
export interface TrainSettings {
  preset: PresetName;
  /** Total optimiser steps of the run. */
  steps: number;
  /** Peak learning rate. */
  lr: number;
  seed: number;
  /** Sequences per step. */
  batch: number;
  /** Write a checkpoint every this many steps (and always on pause, stop and at the end). */
  checkpointEvery: number;
  mode: TrainMode;
  /**
   * SFT only: the id of a stored dataset (src/data) to train on, each sample's `output` CoT as the
   * target (src/train/stored_sft.ts); absent: the built-in synthetic data.
   */
  dataset?: string;
  /** RL runs only. */
  rl?: RlSettings;
}

/** Knobs that are not part of the run's identity (demos, tests; see the URL knobs in src/store/training_browser.ts). */
export interface WorkerKnobs {
  /** Extra wait between steps, ms (default 0: just a yield to the message loop). */
  stepDelayMs?: number;
  /** Post progress at least every this many ms (default 250)… */
  progressMs?: number;
  /** …or every this many steps, whichever comes first (default 50). */
  progressSteps?: number;
  /** Dataset size: videos of the built-in synthetic dataset (default: the preset's, src/train/rl_data.ts PRESET_VIDEOS). */
  samples?: number;
  /** Held-out evaluation every this many steps (default: heldOutEvery, about 6 times a run; 0: never). */
  evalEvery?: number;
  /** Held-out questions per evaluation (default DEFAULT_EVAL_QUESTIONS). */
  evalQuestions?: number;
}

/** Held-out questions per evaluation during training (`npm run eval` runs the full set). */
export const DEFAULT_EVAL_QUESTIONS = 60;

/** Steps between held-out evaluations: `every` when given (0: never), else about 6 evaluations a run. */
export function heldOutEvery(totalSteps: number, every?: number): number {
  if (every !== undefined) return Math.max(0, Math.floor(every));
  return Math.max(1, Math.round(totalSteps / 6));
}

/**
 * Whether the held-out questions are evaluated when `done` steps are done: before the first step (the
 * starting point: chance for SFT, the SFT checkpoint for RL), every `every` steps, and after the last.
 */
export function heldOutDue(done: number, totalSteps: number, every: number): boolean {
  return every > 0 && (done === 0 || done % every === 0 || done >= totalSteps);
}

// ---- page → worker ---------------------------------------------------------------------------------

export type ToWorker =
  /** A new run (`runId` chosen by the page), or with `resumeRunId` the latest checkpoint of a stored run. */
  | ({ type: 'start'; runId: string; resumeRunId?: string; knobs?: WorkerKnobs } & TrainSettings)
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  /** Tests only: destroy the device as if it were lost (the worker then pauses with reason 'device-lost'). */
  | { type: 'simulate-device-loss' };

// ---- worker → page ---------------------------------------------------------------------------------

/**
 * The number a step is shown under, on the Train page and in the inspector alike: the trainer counts
 * steps from 0 (`LogPoint.step`, `RlRollout.step`); people count them from 1 (issue 11: the charts and
 * the inspector disagreed by one).
 */
export const displayStep = (trainerStep: number): number => trainerStep + 1;

/** One optimiser step as charted. */
export interface LogPoint {
  /** 0-based step index (the step counter shows step + 1 done). */
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  entropy: number;
  /** Non-finite loss or gradient: the update was skipped. */
  skipped: boolean;
  /** Completion (target) tokens per second of this step. */
  tokensPerSec: number;
  msPerStep: number;
  /** RL steps only. */
  rl?: RlPoint;
}

export interface RewardParts {
  accuracy: number;
  format: number;
  length: number;
  total: number;
}

/** The RL part of a log point (src/train/rl.ts RlLogEntry, as charted). */
export interface RlPoint {
  perception: RewardParts;
  reasoning: RewardParts;
  kl: number;
  clipFraction: number;
  /** Mean tokens per rollout in each process. */
  segmentP: number;
  segmentR: number;
  /** Groups with all-equal rewards: perception, reasoning, both; of `groups`. */
  collapsedP: number;
  collapsedR: number;
  collapsedBoth: number;
  groups: number;
  meanAbsAdvantage: number;
  unfinished: number;
}

export interface ReadyMessage {
  type: 'ready';
  runId: string;
  /** The adapter's description, e.g. "Google SwiftShader". */
  adapter: string;
  /** A CPU implementation: speeds are not GPU speeds. */
  isFallback: boolean;
  /** Steps already done (0 for a new run, the checkpoint's step for a resumed one). */
  startStep: number;
  /** A resumed run: the held-out evaluations stored with the checkpoint it resumes from (RunMetadata.heldOut). */
  heldOut?: HeldOutPoint[];
  totalSteps: number;
  parameters: number;
  settings: TrainSettings;
}

/** One held-out evaluation: the model after `step` steps on the run's held-out questions. */
export interface HeldOutPoint {
  /** Steps done when evaluated (0: the starting weights). */
  step: number;
  /** The metrics, with the keys of `npm run eval -- --json` (src/train/heldout.ts). */
  report: HeldOutReport;
  /** Wall time of the evaluation. */
  ms: number;
  /** The same answers in benchmark format, a task per family (src/train/heldout_benchmark.ts), for the Evaluate panel; absent in older points. */
  benchmark?: BenchmarkResult;
}

export type FromWorker =
  | ReadyMessage
  /** New log points since the previous progress message, in step order. */
  | { type: 'progress'; points: LogPoint[] }
  | { type: 'checkpoint'; step: number; reason: CheckpointReason; savedAt: number; bytes: number }
  | { type: 'paused'; step: number; reason: 'user' | 'device-lost'; message?: string; hint?: string }
  /** Also sent after `stop` (stopped: true); the final checkpoint is stored either way. */
  | { type: 'finished'; step: number; stopped: boolean }
  /** `code` marks a failed write the page must show until a later write of the same kind succeeds. */
  | { type: 'warning'; message: string; hint?: string; code?: WriteFailureCode; step?: number }
  /** RL: a step's rollouts are in the rollout store (src/rollouts/rollout_db.ts) under the run's id. */
  | { type: 'rollouts'; runId: string; step: number; count: number }
  /** A held-out evaluation is running (training waits for it): `done` of `total` questions decoded. */
  | { type: 'heldout-progress'; step: number; done: number; total: number }
  | { type: 'heldout'; point: HeldOutPoint }
  /** SFT on a stored dataset: what is being read (done: false, while loading) and what the run trains on. */
  | { type: 'data'; summary: StoredSftSummary; done: boolean }
  | { type: 'error'; code: string; message: string; hint: string };

export type CheckpointReason = 'interval' | 'pause' | 'stop' | 'final';

/**
 * Run state written into every checkpoint's metadata (`state`): a reload offers to resume runs whose
 * latest checkpoint says 'running' (the tab closed mid-run) or 'paused'.
 */
export type StoredRunState = 'running' | 'paused' | 'stopped' | 'finished';

/** Metadata keys the worker writes into each checkpoint (all strings). */
export interface RunMetadata {
  mode: TrainMode;
  preset: PresetName;
  seed: string;
  steps: string;
  lr: string;
  batch: string;
  checkpointEvery: string;
  samples: string;
  state: StoredRunState;
  /** RL runs: the RL settings (fromRunId '' = from scratch). */
  group?: string;
  promptsPerStep?: string;
  maxNewTokens?: string;
  beta?: string;
  temperature?: string;
  topP?: string;
  fromRunId?: string;
  /** RL runs: the perception judge (absent: rules). */
  judge?: string;
  /** RL runs: the step of the SFT checkpoint they started from (their frozen reference). */
  fromStep?: string;
  /** The run's held-out evaluations up to the checkpoint (encodeHeldOut), so a resumed run keeps its curve. */
  heldOut?: string;
  /** SFT on a stored dataset: its id (absent: the synthetic data). */
  dataset?: string;
}

/** Evaluations a checkpoint's metadata keeps at most (the latest ones): a few KB. */
export const STORED_HELD_OUT_POINTS = 200;

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

/** The metadata string of a run's held-out evaluations: the latest STORED_HELD_OUT_POINTS, figures to 4 decimals. */
export function encodeHeldOut(points: readonly HeldOutPoint[]): string {
  const rounded = (o: unknown): unknown =>
    typeof o === 'number' ? round4(o) : o && typeof o === 'object' ? Object.fromEntries(Object.entries(o).map(([k, v]) => [k, rounded(v)])) : o;
  return JSON.stringify(points.slice(-STORED_HELD_OUT_POINTS).map((p) => ({ step: p.step, ms: Math.round(p.ms), report: rounded(p.report), ...(p.benchmark ? { benchmark: p.benchmark } : {}) })));
}

/** The evaluations of encodeHeldOut; [] when the string is absent or not such a list (an older or foreign checkpoint). */
export function decodeHeldOut(text: string | undefined): HeldOutPoint[] {
  if (!text) return [];
  try {
    const v: unknown = JSON.parse(text);
    if (!Array.isArray(v)) return [];
    return v.filter(
      (p): p is HeldOutPoint =>
        !!p && typeof p.step === 'number' && typeof p.ms === 'number' && !!p.report && typeof p.report.answer_accuracy === 'number' && typeof p.report.perception_judge_accuracy === 'number' && !!p.report.by_family,
    );
  } catch {
    return [];
  }
}
