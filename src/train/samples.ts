// A built-in micro dataset of process-aware CoT samples for tests, the golden run and
// `npm run train` before a real dataset is loaded: a coloured square moves across 2+ frames and the
// question asks where it goes. Seeded. (src/data's synthetic generator, when it lands, replaces this
// for real runs; this stays as the fixture the golden curve was recorded on.)

import { Rng } from '../util/rng';
import type { FrameInput } from '../model/batch';

export interface SftSample {
  /** Question shown to the model (after the frames). */
  prompt: string;
  /** Gold completion: "<observation>…</observation> <think>…</think><answer>…</answer>". */
  output: string;
  /** Ground truth, "<answer>X</answer>" (Video-R1 `solution`). */
  solution: string;
  frames: FrameInput[];
}

const COLOURS: [string, [number, number, number]][] = [
  ['red', [230, 40, 40]],
  ['green', [40, 200, 60]],
  ['blue', [40, 80, 230]],
];

function frame(size: number, x: number, y: number, box: number, rgb: [number, number, number]): FrameInput {
  const rgba = new Uint8Array(size * size * 4);
  for (let i = 0; i < size * size; i++) rgba.set([20, 20, 20, 255], i * 4);
  for (let dy = 0; dy < box; dy++) for (let dx = 0; dx < box; dx++) rgba.set([...rgb, 255], ((y + dy) * size + x + dx) * 4);
  return { width: size, height: size, rgba };
}

/**
 * `count` samples, short enough for the tiny preset (≈ 25 prompt and 70 completion bytes).
 * Frames are `size`² pixels; the square moves left or right between the first and last frame.
 */
export function microSamples(count: number, seed: number, frames = 2, size = 16): SftSample[] {
  const rng = new Rng(seed);
  const out: SftSample[] = [];
  for (let i = 0; i < count; i++) {
    const [name, rgb] = COLOURS[rng.int(COLOURS.length)];
    const right = rng.next() < 0.5;
    const box = Math.max(2, size >> 2);
    const y = rng.int(size - box);
    const span = size - box;
    const fs: FrameInput[] = [];
    for (let f = 0; f < frames; f++) {
      const u = frames === 1 ? 0 : f / (frames - 1);
      fs.push(frame(size, Math.round((right ? u : 1 - u) * span), y, box, rgb));
    }
    const letter = right ? 'B' : 'A';
    out.push({
      prompt: `${name} goes? A.left B.right`,
      output: `<observation>${name} ${right ? 'right' : 'left'}</observation> <think>${letter}</think><answer>${letter}</answer>`,
      solution: `<answer>${letter}</answer>`,
      frames: fs,
    });
  }
  return out;
}
