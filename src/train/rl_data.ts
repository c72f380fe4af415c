// RL data plumbing: prompts with everything the rewards need (problem type, options, solution and the
// scene facts the rule judge reads), and the teacher-forced batch of sampled completions that the
// policy and the frozen reference score. Pure (no WebGPU): the trainer, the tests and the experiment
// script share it.

import { makeBatch, type Batch, type FrameInput } from '../model/batch';
import type { ModelConfig } from '../model/config';
import { DEFAULT_SYNTHETIC, compactPrompt, makeCompactQuestions, makeQuestions, makeScene, renderVideo, type CotStyle, type SyntheticOptions } from '../data/synthetic';
import { makeTinyQuestions } from '../data/synthetic_tiny';
import type { PresetName } from '../model/config';
import type { RolloutRecord, SceneFact } from '../rewards/types';
import { SEGMENT } from '../gpu/reference/pa_grpo_loss';
import { rgbaFrames } from './data';
import { microSamples, type SftSample } from './samples';

/** The Video-R1 style fields of a prompt that the rewards read (a RolloutRecord without `output`). */
export type PromptRecord = Pick<RolloutRecord, 'problem_id' | 'problem' | 'problem_type' | 'options' | 'solution' | 'data_type' | 'facts'>;

/** One RL prompt: the model input and the record the rewards score a completion against. */
export interface RlPrompt {
  frames: FrameInput[];
  /** Text shown to the model after the frames (the SFT prompt format: problem, then the options). */
  prompt: string;
  /** Video-R1 style record without `output` (problem_id, problem, problem_type, options, solution, facts). */
  record: PromptRecord;
  /** The gold process-aware CoT, when the source has one (SFT target). */
  gold?: string;
  /** The task family (synthetic data), which evaluation reports separately; else the problem type is used. */
  family?: string;
}

/** The SFT sample of a prompt that has a gold output (SFT before RL on the same data). */
export function sftSampleOf(p: RlPrompt): SftSample {
  if (p.gold === undefined) throw new Error(`sftSampleOf: prompt ${String(p.record.problem_id)} has no gold output`);
  return { prompt: p.prompt, output: p.gold, solution: p.record.solution, frames: p.frames };
}

/**
 * RL prompts of the built-in micro fixture (src/train/samples.ts, fits the tiny preset's context):
 * a multiple-choice "where does the square go" question; its one scene fact is colour + direction
 * (the gold observation "red right" states it).
 */
export function microRlPrompts(count: number, seed: number, frames = 2, size = 16): RlPrompt[] {
  return microSamples(count, seed, frames, size).map((s, i) => {
    const colour = s.prompt.split(' ')[0];
    const direction = /<answer>B<\/answer>/.test(s.solution) ? 'right' : 'left';
    const facts: SceneFact[] = [{ id: 'motion', text: `the ${colour} square moves ${direction}`, mentions: [[colour], [direction]] }];
    return {
      frames: s.frames,
      prompt: s.prompt,
      gold: s.output,
      record: {
        problem_id: `micro-${seed}-${i}`,
        problem: s.prompt.replace(/ A\.left B\.right$/, ''),
        problem_type: 'multiple choice',
        options: ['A. left', 'B. right'],
        solution: s.solution,
        data_type: 'video',
        facts,
      },
    };
  });
}

/** Which of src/data's synthetic questions a run trains on, and how they are rendered. */
export interface SyntheticSpec {
  /**
   * 'full' (Video-R1 style, ≈ 400-byte CoTs), 'compact' (≤ 150 bytes with the prompt) or 'tiny' (the
   * tiny preset's three task families on 'lab' scenes: src/data/synthetic_tiny.ts).
   */
  style: CotStyle;
  difficulty: SyntheticOptions['difficulty'];
  /** Frames rendered per video and their size in pixels (the model then samples and resizes them). */
  frames: number;
  size: number;
}

/**
 * What each preset trains on from the built-in synthetic generator: `demo` the full questions and CoTs
 * of the app's default dataset (seed, frames, size and difficulty of DEFAULT_SYNTHETIC); `tiny` the
 * tiny task families (direction, count, same) on 'lab' scenes of 8 frames of 32×32 pixels, which a
 * ~100k-parameter model learns within minutes on a CPU (README, "Learning on a CPU").
 */
export const PRESET_SYNTHETIC: Record<PresetName, SyntheticSpec> = {
  tiny: { style: 'tiny', difficulty: 'lab', frames: 8, size: 32 },
  test: { style: 'compact', difficulty: DEFAULT_SYNTHETIC.difficulty, frames: DEFAULT_SYNTHETIC.frames, size: DEFAULT_SYNTHETIC.width },
  demo: { style: 'full', difficulty: DEFAULT_SYNTHETIC.difficulty, frames: DEFAULT_SYNTHETIC.frames, size: DEFAULT_SYNTHETIC.width },
};

/**
 * Training videos per preset when a run does not say (`--samples`): tiny sees 2000 videos (6000
 * questions; its SFT run of 600 steps × 16 sees each about 1.6 times), which held-out accuracy showed
 * to be enough not to overfit (README, "Learning on a CPU").
 */
export const PRESET_VIDEOS: Record<PresetName, number> = { tiny: 2000, test: 40, demo: 200 };

/**
 * The text shown to the model after the frames, as each preset's synthetic data writes it: the full
 * style puts the problem and each option on its own line, the compact and tiny styles on one line.
 * SFT on a stored dataset (src/train/stored_sft.ts) writes its prompts the same way.
 */
export function promptOf(r: { problem: string; options: string[] }, style: CotStyle): string {
  return style === 'full' ? [r.problem, ...r.options].join('\n') : compactPrompt(r);
}

/**
 * RL prompts of src/data's synthetic generator: videos `from` .. `from + videos − 1` × 5 question types,
 * with the scene facts of each question for the rule judge. Full style: the problem, then the options
 * one per line; compact: on one line.
 */
export function syntheticRlPrompts(videos: number, seed: number, spec: Partial<SyntheticSpec> = {}, from = 0): RlPrompt[] {
  const { style, difficulty, frames, size } = { ...PRESET_SYNTHETIC.demo, ...spec };
  const opts: SyntheticOptions = { ...DEFAULT_SYNTHETIC, seed, videos: from + videos, frames, width: size, height: size, difficulty };
  const out: RlPrompt[] = [];
  for (let v = from; v < from + videos; v++) {
    const scene = makeScene(opts, v);
    const rgba = rgbaFrames(renderVideo(scene));
    const records = style === 'tiny' ? makeTinyQuestions(opts, scene) : style === 'compact' ? makeCompactQuestions(opts, scene) : makeQuestions(opts, scene);
    for (const r of records) {
      const prompt = promptOf(r, style);
      const record: PromptRecord = { problem_id: r.problem_id, problem: r.problem, problem_type: r.problem_type, options: r.options, solution: r.solution, data_type: r.data_type, facts: r.facts };
      out.push({ frames: rgba, prompt, record, ...(r.output !== undefined && { gold: r.output }), ...(r.family !== undefined && { family: r.family }) });
    }
  }
  return out;
}

/** SFT samples of the same questions (their gold CoTs): `videos` videos × 5. */
export function syntheticSftSamples(videos: number, seed: number, spec: Partial<SyntheticSpec> = {}, from = 0): SftSample[] {
  return syntheticRlPrompts(videos, seed, spec, from).map(sftSampleOf);
}

/** A sampled completion to teacher-force: its prompt and the generated ids (EOS included when sampled). */
export interface RlSequence {
  frames: FrameInput[];
  prompt: string;
  ids: readonly number[];
}

/**
 * The (B, T) batch of B sampled completions: [frames, BOS, prompt, ids, PAD…] laid out exactly as the
 * Decoder's prefill (makeBatch with an empty completion), targets = the generated ids (position t
 * predicts token t+1), so row `completionStart[b] − 1 + j` of any per-row buffer is token j of rollout b.
 * Ids that do not fit the context are dropped (the Decoder never generates past it).
 */
export function rlBatch(seqs: readonly RlSequence[], m: ModelConfig): Batch {
  const batch = makeBatch(seqs.map((s) => ({ frames: s.frames, prompt: s.prompt, completion: '' })), m);
  const { T } = batch;
  let count = 0;
  seqs.forEach((s, b) => {
    const L = batch.lengths[b];
    const n = Math.min(s.ids.length, T - L);
    if (n < s.ids.length) batch.truncated++;
    for (let j = 0; j < n; j++) {
      batch.tokens[b * T + L + j] = s.ids[j];
      batch.targets[b * T + L - 1 + j] = s.ids[j];
    }
    batch.lengths[b] = L + n;
    count += n;
  });
  batch.targetCount = count;
  return batch;
}

/**
 * Segment id of each completion token (method.md §1.7): 1 perception when its start offset is before the
 * end of '</observation>', else 2 reasoning; with no '</observation>' every token goes to
 * `missingObservation` (rule 3).
 */
export function tokenSegments(offsets: readonly (readonly [number, number])[], perceptionEnd: number | null, missingObservation: 'reasoning' | 'perception' = 'reasoning'): Uint8Array {
  const out = new Uint8Array(offsets.length);
  for (let t = 0; t < offsets.length; t++) {
    if (perceptionEnd === null) out[t] = missingObservation === 'perception' ? SEGMENT.perception : SEGMENT.reasoning;
    else out[t] = offsets[t][0] < perceptionEnd ? SEGMENT.perception : SEGMENT.reasoning;
  }
  return out;
}

/** Scatters per-token values of each rollout onto the (B, T) rows of `batch` (0 elsewhere). */
export function scatterRows<A extends Float32Array | Uint32Array>(batch: Batch, perRollout: readonly ArrayLike<number>[], out: A): A {
  const { T } = batch;
  perRollout.forEach((vals, b) => {
    const start = batch.completionStart[b] - 1;
    const n = Math.min(vals.length, batch.lengths[b] - batch.completionStart[b]);
    for (let j = 0; j < n; j++) out[b * T + start + j] = vals[j];
  });
  return out;
}

/** Gathers rollout b's per-token values from (B, T) rows. */
export function gatherRows(batch: Batch, rows: ArrayLike<number>, b: number, n: number): Float32Array {
  const start = b * batch.T + batch.completionStart[b] - 1;
  const m = Math.min(n, batch.lengths[b] - batch.completionStart[b]);
  const out = new Float32Array(n);
  for (let j = 0; j < m; j++) out[j] = rows[start + j];
  return out;
}
