// Batch assembly on the CPU, once per step: token ids, next-token targets, valid lengths and the
// patchified frames of B sequences laid out as [frame tokens, BOS, prompt bytes, completion bytes,
// EOS, PAD...], each padded to T = contextLength. The reference and the GPU model read the same
// Batch, so they see bit-identical inputs.
//
// Patchify runs here on the CPU (a few thousand pixels per sample) rather than in a kernel: the frame
// projection is then one matmul over pre-patchified rows.

import { modelDims, type ModelConfig } from './config';
import { BOS, EOS, FRAME, PAD, encode } from './tokenizer';

/** Raw RGBA frame: (height, width, 4) row-major bytes, as src/data stores 'rgba8' frames. */
export interface FrameInput {
  width: number;
  height: number;
  rgba: Uint8Array;
}

export interface SequenceInput {
  frames: FrameInput[];
  prompt: string;
  /** Empty for a rollout prompt; the SFT target otherwise. */
  completion: string;
}

export interface Batch {
  B: number;
  /** Padded length = contextLength. */
  T: number;
  /** (B, T) token ids: FRAME at frame positions, PAD after the valid length. */
  tokens: Int32Array;
  /** (B, T) the id position t must predict (tokens[t+1]), or -1 where no loss applies. */
  targets: Int32Array;
  /** (B) valid length of each sequence. */
  lengths: Uint32Array;
  /** (B·T, patchDim) patch values in [-0.5, 0.5] at frame positions, 0 on every other row. */
  patches: Float32Array;
  /** Number of targets != -1: the SFT loss is their mean. */
  targetCount: number;
  /** (B) index of the first completion token (= frame tokens + 1 + prompt bytes). */
  completionStart: Uint32Array;
  /** Sequences whose completion was cut to fit T (their EOS is then not a target). */
  truncated: number;
}

/**
 * (frameTokens, patchDim): `m.frames` frames picked uniformly (round(linspace(0, n-1, frames)), as
 * qwen-vl-utils), resized to frameSize² by nearest neighbour, cut into patchSize² patches in
 * row-major patch order; inside a patch (y, x, channel). Missing frames are zeros.
 */
export function patchify(frames: FrameInput[], m: ModelConfig): Float32Array {
  const { frameTokens, patchDim, patchesPerSide } = modelDims(m);
  const out = new Float32Array(frameTokens * patchDim);
  const S = m.frameSize;
  const P = m.patchSize;
  for (let f = 0; f < m.frames; f++) {
    if (frames.length === 0) break;
    const src = frames[m.frames === 1 ? 0 : Math.round((f * (frames.length - 1)) / (m.frames - 1))];
    for (let py = 0; py < patchesPerSide; py++) {
      for (let px = 0; px < patchesPerSide; px++) {
        const row = (f * patchesPerSide + py) * patchesPerSide + px;
        let k = row * patchDim;
        for (let y = 0; y < P; y++) {
          const sy = Math.min(src.height - 1, Math.floor(((py * P + y + 0.5) * src.height) / S));
          for (let x = 0; x < P; x++) {
            const sx = Math.min(src.width - 1, Math.floor(((px * P + x + 0.5) * src.width) / S));
            const base = (sy * src.width + sx) * 4;
            for (let c = 0; c < m.channels; c++) out[k++] = src.rgba[base + c] / 255 - 0.5;
          }
        }
      }
    }
  }
  return out;
}

/**
 * Packs sequences into a Batch. With `completion` non-empty, the targets are the completion bytes and
 * the EOS after them (SFT: loss on completion tokens only). Prompts longer than the room left are
 * cut from the left (the question's end matters most), completions from the right.
 */
export function makeBatch(seqs: SequenceInput[], m: ModelConfig): Batch {
  const { frameTokens, patchDim, maxT } = modelDims(m);
  const B = seqs.length;
  const T = maxT;
  const tokens = new Int32Array(B * T).fill(PAD);
  const targets = new Int32Array(B * T).fill(-1);
  const lengths = new Uint32Array(B);
  const completionStart = new Uint32Array(B);
  const patches = new Float32Array(B * T * patchDim);
  let targetCount = 0;
  let truncated = 0;
  seqs.forEach((s, b) => {
    const row = b * T;
    patches.set(patchify(s.frames, m), row * patchDim);
    for (let t = 0; t < frameTokens; t++) tokens[row + t] = FRAME;
    let prompt = encode(s.prompt).ids;
    let completion = encode(s.completion).ids;
    const room = T - frameTokens - 1; // after BOS
    const withEos = s.completion ? [...completion, EOS] : [];
    // When both do not fit, the prompt keeps at least half the room (its tail: the question's end
    // matters most) and the completion is cut from the right.
    const maxPrompt = Math.max(room - withEos.length, Math.floor(room / 2));
    if (prompt.length > maxPrompt) prompt = prompt.slice(prompt.length - maxPrompt);
    const completionRoom = room - prompt.length;
    if (withEos.length > completionRoom) truncated++;
    completion = withEos.slice(0, completionRoom);
    const ids = [BOS, ...prompt, ...completion];
    ids.forEach((id, i) => (tokens[row + frameTokens + i] = id));
    const len = frameTokens + ids.length;
    lengths[b] = len;
    const start = frameTokens + 1 + prompt.length;
    completionStart[b] = start;
    // Position t predicts token t+1: completion tokens at positions start..len-1 are predicted from
    // positions start-1..len-2.
    for (let t = start - 1; t < len - 1 && completion.length > 0; t++) {
      targets[row + t] = tokens[row + t + 1];
      targetCount++;
    }
  });
  return { B, T, tokens, targets, lengths, patches, targetCount, completionStart, truncated };
}
