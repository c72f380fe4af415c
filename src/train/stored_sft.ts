// SFT on a stored dataset (issue 14 §1: the CoT pipeline's dataset "usable for SFT in one click"):
// each stored sample becomes an SftSample with the prompt written as the preset's synthetic data
// writes it (rl_data.ts promptOf), its `output` (the CoT) as the target and its frames resized to the
// model's frame size. A sample whose output is missing or does not follow the template is skipped and
// counted, never trained on. Pure: frames are decoded by the caller's FrameDecoder (the worker's uses
// createImageBitmap + OffscreenCanvas, src/train/stored_sft_browser.ts; raw 'rgba8' frames need none).

import type { Frame, StoredSample } from '../data/types';
import { loadSampleFrames } from '../data/shard';
import type { CotStyle } from '../data/synthetic';
import type { FrameInput } from '../model/batch';
import { modelDims, type ModelConfig } from '../model/config';
import { encode } from '../model/tokenizer';
import { parseCompletion } from '../rewards/template';
import { promptOf } from './rl_data';
import type { SftSample } from './samples';

/** Turns stored frames (any encoding) into RGBA frames of exactly `size` × `size` pixels. */
export type FrameDecoder = (frames: readonly Frame[], size: number) => Promise<FrameInput[]>;

/** What a run on a stored dataset trains on, as the Train page shows it. */
export interface StoredSftSummary {
  datasetId: string;
  name: string;
  /** Samples in the dataset. */
  total: number;
  /** Samples read so far (equals total once loaded). */
  read: number;
  /** Samples the run trains on. */
  used: number;
  /** Skipped: no `output` field. */
  noOutput: number;
  /** Skipped: the output does not follow <observation>…</observation> <think>…</think><answer>…</answer>. */
  badTemplate: number;
  /** The first few skipped samples: problem_id and why. */
  examples: string[];
  /** Used samples without frames (trained on blank frames). */
  withoutFrames: number;
  /** Used samples whose prompt + CoT do not fit the context: their CoT is cut (src/model/batch.ts). */
  truncated: number;
  /** Things the user must know about this run's data (frame encoding, truncation, no held-out evaluation). */
  notes: string[];
}

/** A stored dataset that cannot be trained on (no sample has a valid CoT). */
export class StoredDataError extends Error {
  readonly code = 'NoTrainableSamples';
  readonly hint = 'SFT needs samples whose `output` is a CoT in the template <observation>…</observation> <think>…</think><answer>…</answer>: run the CoT pipeline on the Datasets page, or import a dataset with such outputs.';
}

/** Skipped samples listed by id in the summary at most. */
export const SKIP_EXAMPLES = 5;

/** Why `output` cannot be an SFT target, or null when it follows the full template. */
export function templateProblem(output: unknown): string | null {
  if (typeof output !== 'string' || output.trim() === '') return 'no output';
  const parsed = parseCompletion(output);
  if (parsed.formatFull) return null;
  return parsed.issues.length ? parsed.issues.slice(0, 2).join('; ') : 'does not match <observation>…</observation> <think>…</think><answer>…</answer>';
}

/**
 * The frames the model reads of a clip of `n` (patchify's pick: round(linspace(0, n − 1, frames))),
 * so only those are decoded and kept.
 */
export function pickedFrames(n: number, frames: number): number[] {
  if (n === 0) return [];
  return Array.from({ length: frames }, (_, f) => (frames === 1 ? 0 : Math.round((f * (n - 1)) / (frames - 1))));
}

/** Nearest-neighbour resize of a raw RGBA frame to size × size, sampling pixels as patchify does. */
export function resizeRgba(f: FrameInput, size: number): FrameInput {
  if (f.width === size && f.height === size) return f;
  const rgba = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    const sy = Math.min(f.height - 1, Math.floor(((y + 0.5) * f.height) / size));
    for (let x = 0; x < size; x++) {
      const sx = Math.min(f.width - 1, Math.floor(((x + 0.5) * f.width) / size));
      rgba.set(f.rgba.subarray((sy * f.width + sx) * 4, (sy * f.width + sx) * 4 + 4), (y * size + x) * 4);
    }
  }
  return { width: size, height: size, rgba };
}

/** A decoder for raw 'rgba8' frames only (Node, tests); image frames need the browser's. */
export const rgbaOnlyDecoder: FrameDecoder = async (frames, size) =>
  frames.map((f) => {
    if (f.encoding !== 'rgba8') throw new Error(`frame encoding '${f.encoding}' needs an image decoder (createImageBitmap, in the browser)`);
    return resizeRgba({ width: f.width, height: f.height, rgba: f.bytes }, size);
  });

/** The SFT sample of one stored record, or why it is skipped. */
export function sftSampleOfRecord(
  record: { problem_id: string | number; problem: string; options: string[]; solution: string; output?: string },
  frames: FrameInput[],
  style: CotStyle,
): { sample: SftSample } | { skip: 'no output' | 'template'; why: string } {
  const problem = templateProblem(record.output);
  if (problem === 'no output') return { skip: 'no output', why: problem };
  if (problem !== null) return { skip: 'template', why: problem };
  return { sample: { prompt: promptOf(record, style), output: record.output!, solution: record.solution, frames } };
}

/** Whether [frames, BOS, prompt, completion, EOS] is longer than the context (the CoT is then cut). */
export function overflowsContext(s: SftSample, m: ModelConfig): boolean {
  const { frameTokens, maxT } = modelDims(m);
  const tokens = encode(s.prompt, m.vocabulary).ids.length + encode(s.output, m.vocabulary).ids.length + 1;
  return frameTokens + 1 + tokens > maxT;
}

/** What the frame encoding does to real images, when it is not plain RGB. */
export function frameEncodingNote(m: ModelConfig, preset: string): string | null {
  if (m.palette) {
    return `The ${preset} preset encodes each pixel one-hot over the synthetic videos' ${m.palette.length} colours: real images are quantised to those colours or to background, so most of what they show is lost. The demo or test preset reads RGB.`;
  }
  return null;
}

export interface LoadOptions {
  datasetId: string;
  name: string;
  total: number;
  style: CotStyle;
  model: ModelConfig;
  preset: string;
  decode: FrameDecoder;
  /** Called every `progressEvery` samples read with the summary so far. */
  onProgress?: (summary: StoredSftSummary) => void;
  progressEvery?: number;
}

/**
 * Reads every sample once, in stored order, and keeps those with a valid CoT as SFT samples with the
 * model's picked frames decoded at its frame size (frames of skipped samples are never decoded).
 */
export async function storedSftSamples(source: AsyncIterable<StoredSample>, o: LoadOptions): Promise<{ samples: SftSample[]; summary: StoredSftSummary }> {
  const summary: StoredSftSummary = { datasetId: o.datasetId, name: o.name, total: o.total, read: 0, used: 0, noOutput: 0, badTemplate: 0, examples: [], withoutFrames: 0, truncated: 0, notes: [] };
  const samples: SftSample[] = [];
  const every = Math.max(1, o.progressEvery ?? 200);
  for await (const s of source) {
    summary.read++;
    const checked = sftSampleOfRecord(s.record, [], o.style);
    if ('skip' in checked) {
      if (checked.skip === 'no output') summary.noOutput++;
      else summary.badTemplate++;
      if (summary.examples.length < SKIP_EXAMPLES) summary.examples.push(`${String(s.record.problem_id)}: ${checked.why}`);
    } else {
      const picked = pickedFrames(s.frames.length, o.model.frames).map((i) => s.frames[i]);
      const frames = picked.length ? await o.decode(await loadSampleFrames(picked), o.model.frameSize) : [];
      const sample = { ...checked.sample, frames };
      if (frames.length === 0) summary.withoutFrames++;
      if (overflowsContext(sample, o.model)) summary.truncated++;
      samples.push(sample);
      summary.used++;
    }
    if (summary.read % every === 0) o.onProgress?.({ ...summary, examples: [...summary.examples] });
  }
  summary.notes = storedSftNotes(summary, o.model, o.preset);
  return { samples, summary };
}

/** The notes the page shows with a stored dataset's summary. */
export function storedSftNotes(s: StoredSftSummary, m: ModelConfig, preset: string): string[] {
  const notes: string[] = [];
  const skipped = s.noOutput + s.badTemplate;
  if (skipped > 0) notes.push(`${skipped} of ${s.read} samples skipped: ${s.noOutput} without an output, ${s.badTemplate} whose output does not follow the <observation>…</observation> <think>…</think><answer>…</answer> template.`);
  const encoding = frameEncodingNote(m, preset);
  if (encoding && s.used > s.withoutFrames) notes.push(encoding);
  if (s.withoutFrames > 0) notes.push(`${s.withoutFrames} of ${s.used} samples have no frames: they are trained on blank frames.`);
  if (s.truncated > 0) notes.push(`${s.truncated} of ${s.used} samples do not fit the ${preset} preset's context of ${m.contextLength} tokens: their CoT is cut at the end${preset === 'demo' ? '' : ' (the demo preset has the longest context)'}.`);
  notes.push('No held-out evaluation: it is built for the synthetic task families, not for this dataset.');
  return notes;
}
