// What the stored runs offer the Train page, and the form's defaults: runs a reload can resume, SFT
// runs an RL run can start from, the Checkpoints panel's rows, a preset's form and RL options. Pure:
// plain data in, plain data out (the training slice, src/store/training.ts, calls these).

import { PRESETS, makeConfig, modelDims, type PresetName } from '../model/config';
import { isRlMode, type RlSettings, type StoredRunState, type TrainMode, type TrainSettings } from '../train/protocol';
import { RL_DEFAULTS } from '../train/rl_defaults';

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
 * The RL form's defaults for a preset: G, P, β, temperature and top-p of RL_DEFAULTS (what the CLI
 * and the experiment use), and new tokens up to the room the context leaves after the frames: the gold
 * CoTs of the preset's questions must fit, or every rollout is cut before </answer> and fails the
 * format reward.
 */
export function defaultRl(preset: PresetName): RlSettings {
  const m = makeConfig(preset).model;
  const d = RL_DEFAULTS[preset];
  return {
    group: d.group,
    promptsPerStep: d.promptsPerStep,
    maxNewTokens: m.contextLength - modelDims(m).frameTokens - 1,
    beta: d.beta,
    temperature: d.temperature,
    topP: d.topP,
    fromRunId: '',
  };
}

/** The form's steps for a preset and mode: the preset's SFT steps, or RL_DEFAULTS' for RL. */
export function formSteps(preset: PresetName, mode: TrainMode): number {
  return isRlMode(mode) ? RL_DEFAULTS[preset].steps : makeConfig(preset).train.steps;
}

/** The form's learning rate for a preset and mode: the preset's SFT rate, or RL_DEFAULTS' for RL. */
export function formLr(preset: PresetName, mode: TrainMode): number {
  return isRlMode(mode) ? RL_DEFAULTS[preset].lr : makeConfig(preset).train.lr;
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
  if (rl.temperature !== undefined && !(rl.temperature > 0)) return { error: `temperature must be above 0 (got ${rl.temperature}): at 0 every completion of a group is the same` };
  if (rl.topP !== undefined && !(rl.topP > 0 && rl.topP <= 1)) return { error: `top-p must be in (0, 1] (got ${rl.topP})` };
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

/** The form's values for a preset: its own train config. */
export function presetForm(preset: PresetName): TrainSettings {
  const t = makeConfig(preset).train;
  return { preset, steps: t.steps, lr: t.lr, seed: t.seed, batch: t.batchSize, checkpointEvery: Math.max(1, Math.round(t.steps / 10)), mode: 'sft' };
}

/**
 * Roughly how long each preset's default SFT run (presetForm: the preset's train config) takes without
 * a GPU; the Train page shows it near Start when the adapter is a CPU fallback. The figure is the
 * wall time of `npm run train -- --preset tiny` (SFT with held-out evaluations) on SwiftShader.
 */
export const CPU_SFT_TIME: Partial<Record<PresetName, string>> = {
  tiny: 'about 5 to 10 minutes on a 2-core CPU (SwiftShader; about 0.4 s a step when the machine is otherwise idle), held-out evaluations included',
};

/** Presets offered by the form. */
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];
