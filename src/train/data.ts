// SFT data plumbing shared by the GPU trainer and the CPU reference run: a sample becomes a
// [frames, prompt, completion] sequence, and a seeded order picks B samples per step.

import { makeBatch, type Batch, type FrameInput, type SequenceInput } from '../model/batch';
import type { ModelConfig } from '../model/config';
import { loadSampleFrames } from '../data/shard';
import type { Frame, StoredFrame } from '../data/types';
import { Rng } from '../util/rng';
import type { SftSample } from './samples';

export function toSequence(s: SftSample): SequenceInput {
  return { frames: s.frames, prompt: s.prompt, completion: s.output };
}

/**
 * Sample indices of each step: epochs of a seeded shuffle (Fisher–Yates), B per step, so a run is
 * reproducible from (seed, dataset size, B) alone.
 */
export class BatchOrder {
  private readonly rng: Rng;
  private order: number[] = [];
  private cursor = 0;

  constructor(
    private readonly n: number,
    private readonly B: number,
    seed: number,
  ) {
    if (n < 1) throw new Error('BatchOrder: the dataset is empty');
    this.rng = new Rng(seed ^ 0x5eed5eed);
  }

  next(): number[] {
    const out: number[] = [];
    while (out.length < this.B) {
      if (this.cursor >= this.order.length) this.reshuffle();
      out.push(this.order[this.cursor++]);
    }
    return out;
  }

  private reshuffle(): void {
    this.order = Array.from({ length: this.n }, (_, i) => i);
    for (let i = this.n - 1; i > 0; i--) {
      const j = this.rng.int(i + 1);
      [this.order[i], this.order[j]] = [this.order[j], this.order[i]];
    }
    this.cursor = 0;
  }
}

export function sftBatch(samples: SftSample[], indices: number[], m: ModelConfig): Batch {
  return makeBatch(indices.map((i) => toSequence(samples[i])), m);
}

/** RGBA frames of the synthetic dataset records (src/data) as model inputs. */
export function rgbaFrames(frames: { width: number; height: number; bytes: Uint8Array; encoding: string }[]): FrameInput[] {
  return frames.map((f) => {
    if (f.encoding !== 'rgba8') throw new Error(`rgbaFrames: frame encoding '${f.encoding}' needs decoding first (createImageBitmap in the browser)`);
    return { width: f.width, height: f.height, rgba: f.bytes };
  });
}

/**
 * RGBA model inputs from a stored sample's frames: the reader hands frames out lazily (references
 * into the shard), so their bytes are loaded here, when a batch needs them.
 */
export async function loadRgbaFrames(frames: readonly (Frame | StoredFrame)[]): Promise<FrameInput[]> {
  return rgbaFrames(await loadSampleFrames(frames));
}
