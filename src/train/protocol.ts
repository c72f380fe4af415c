// Messages between the training page (src/store/training.ts) and the training worker
// (src/train/worker.ts). Plain structured-clone data only: no classes, no functions.
//
// Flow: page → start → worker → ready → progress* (batched) → checkpoint* → paused | finished | error.
// A paused run continues with `resume`; after a device loss the worker has dropped its device and
// `resume` acquires a new one and reloads the run's latest checkpoint from IndexedDB.

import type { PresetName } from '../model/config';

/** RL modes: the reward presets of src/rewards/config.ts (kept in step with RL_MODES of src/train/rl.ts, which imports WGSL). */
export const RL_MODE_NAMES = ['pa-grpo', 'grpo', 'without-rr', 'without-rp', 'without-rl', 'without-separation', 'without-separation-sum-rewards'] as const;
export type RlMode = (typeof RL_MODE_NAMES)[number];
export type TrainMode = 'sft' | RlMode;

export const isRlMode = (m: string): m is RlMode => (RL_MODE_NAMES as readonly string[]).includes(m);

/** Writes the worker does while training that can fail (quota full, storage error) without ending the run. */
export type WriteFailureCode = 'CheckpointNotSaved' | 'RolloutsNotStored';

/** The mode selector's labels and one-line descriptions. */
export const MODE_INFO: Record<TrainMode, { label: string; description: string }> = {
  sft: { label: 'SFT', description: 'Supervised fine-tuning on the synthetic dataset (cross-entropy on the target tokens).' },
  'pa-grpo': { label: 'PA-GRPO', description: 'Process-aware GRPO: separate perception and reasoning rewards and advantages (VideoP2R).' },
  grpo: { label: 'GRPO', description: 'Process-agnostic GRPO: one reasoning reward and advantage on every token, no judge.' },
  'without-rr': { label: 'w/o R_R', description: 'Ablation: no reasoning reward (reasoning tokens get a zero advantage).' },
  'without-rp': { label: 'w/o R_P', description: 'Ablation: no perception reward (the reasoning advantage on every token).' },
  'without-rl': { label: 'w/o R_L', description: 'Ablation: no length bonus in either process.' },
  'without-separation': { label: 'w/o separation (A_P + A_R)', description: 'Ablation: the sum of both advantages on every token.' },
  'without-separation-sum-rewards': { label: 'w/o separation (R_P + R_R)', description: 'Ablation: GRPO on the summed reward R_P + R_R.' },
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
  /** Dataset size: videos of the built-in synthetic dataset (5 questions each; default 40). */
  samples?: number;
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
  totalSteps: number;
  parameters: number;
  settings: TrainSettings;
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
  fromRunId?: string;
  /** RL runs: the step of the SFT checkpoint they started from (their frozen reference). */
  fromStep?: string;
}
