// Batch assembly on the CPU, once per step: token ids, next-token targets, valid lengths and the
// patchified frames of B sequences laid out as [frame tokens, BOS, prompt bytes, completion bytes,
// EOS, PAD...], each padded to T = contextLength. The reference and the GPU model read the same
// Batch, so they see bit-identical inputs.
//
// Patchify runs here on the CPU (a few thousand pixels per sample) rather than in a kernel: the frame
// projection is then one matmul over pre-patchified rows.
//
// With config.frameEncoder 'onnx' the frames go through a frozen ONNX encoder instead (async, outside
// the batch: encodeFrameFeatures), and each sequence brings its features (frameTokens, encoderWidth);
// the batch then carries them as `features` and `patches` is empty.

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
  /**
   * frameEncoder 'onnx' only: the frozen encoder's features of `frames`, (frameTokens, encoderWidth)
   * row-major. Default: the features encodeFrameFeatures last computed for this same `frames` array
   * (so code that only passes frames along, e.g. the SFT trainer, works once every sample's frames
   * were encoded). Ignored with 'patch'.
   */
  features?: Float32Array;
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
  /**
   * (B·T, patchDim) patch values in [-0.5, 0.5] at frame positions, 0 on every other row. Empty with
   * frameEncoder 'onnx' (see features).
   */
  patches: Float32Array;
  /** frameEncoder 'onnx' only: (B·T, encoderWidth) frozen encoder features at frame positions, 0 elsewhere. */
  features?: Float32Array;
  /** Number of targets != -1: the SFT loss is their mean. */
  targetCount: number;
  /** (B) index of the first completion token (= frame tokens + 1 + prompt bytes). */
  completionStart: Uint32Array;
  /** Sequences whose completion was cut to fit T (their EOS is then not a target). */
  truncated: number;
}

/** The palette index of an RGB pixel (nearest colour), or -1 when the background colour is nearer. */
function paletteIndex(palette: readonly (readonly number[])[], r: number, g: number, b: number): number {
  // The background is what no palette colour explains: nearer to the mean of the dark frame than to
  // any colour. Objects are saturated colours; the synthetic background is (28, 30, 36).
  let best = -1;
  let bestD = r * r + g * g + b * b; // distance to black: dark pixels are background
  palette.forEach(([pr, pg, pb], i) => {
    const d = (r - pr) ** 2 + (g - pg) ** 2 + (b - pb) ** 2;
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  });
  return best;
}

/**
 * (frameTokens, patchDim): `m.frames` frames picked uniformly (round(linspace(0, n-1, frames)), as
 * qwen-vl-utils), resized to frameSize² by nearest neighbour, cut into patchSize² patches in
 * row-major patch order; inside a patch (y, x, channel). Missing frames are zeros. Channels: RGB in
 * [-0.5, 0.5], or with `m.palette` the pixel's colour one-hot over the palette (background: zeros).
 * With `m.channelTokens` each (frame, channel, patch) is its own token of (y, x) values, in that order.
 */
export function patchify(frames: FrameInput[], m: ModelConfig): Float32Array {
  const { frameTokens, patchDim, patchesPerSide, patchesPerFrame } = modelDims(m);
  const out = new Float32Array(frameTokens * patchDim);
  const S = m.frameSize;
  const P = m.patchSize;
  const perChannel = m.channelTokens === true;
  const C = m.channels;
  for (let f = 0; f < m.frames; f++) {
    if (frames.length === 0) break;
    const src = frames[m.frames === 1 ? 0 : Math.round((f * (frames.length - 1)) / (m.frames - 1))];
    for (let py = 0; py < patchesPerSide; py++) {
      for (let px = 0; px < patchesPerSide; px++) {
        const patch = py * patchesPerSide + px;
        for (let y = 0; y < P; y++) {
          const sy = Math.min(src.height - 1, Math.floor(((py * P + y + 0.5) * src.height) / S));
          for (let x = 0; x < P; x++) {
            const sx = Math.min(src.width - 1, Math.floor(((px * P + x + 0.5) * src.width) / S));
            const base = (sy * src.width + sx) * 4;
            const pixel = y * P + x;
            // Where channel c of this pixel goes: its own token (channel-wise patches), or the patch's.
            const at = (c: number) => (perChannel ? ((f * C + c) * patchesPerFrame + patch) * patchDim + pixel : (f * patchesPerFrame + patch) * patchDim + pixel * C + c);
            if (m.palette) {
              const i = paletteIndex(m.palette, src.rgba[base], src.rgba[base + 1], src.rgba[base + 2]);
              if (i >= 0) out[at(i)] = 1;
            } else for (let c = 0; c < C; c++) out[at(c)] = src.rgba[base + c] / 255 - 0.5;
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
  const { frameTokens, patchDim, frameDim, maxT } = modelDims(m);
  const onnx = m.frameEncoder === 'onnx';
  const B = seqs.length;
  const T = maxT;
  const tokens = new Int32Array(B * T).fill(PAD);
  const targets = new Int32Array(B * T).fill(-1);
  const lengths = new Uint32Array(B);
  const completionStart = new Uint32Array(B);
  const patches = new Float32Array(onnx ? 0 : B * T * patchDim);
  const features = onnx ? new Float32Array(B * T * frameDim) : undefined;
  let targetCount = 0;
  let truncated = 0;
  seqs.forEach((s, b) => {
    const row = b * T;
    if (features) features.set(checkFeatures(s.features ?? encodedFeatures.get(s.frames), m, `makeBatch: sequence ${b}`), row * frameDim);
    else patches.set(patchify(s.frames, m), row * patchDim);
    for (let t = 0; t < frameTokens; t++) tokens[row + t] = FRAME;
    let prompt = encode(s.prompt, m.vocabulary).ids;
    let completion = encode(s.completion, m.vocabulary).ids;
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
  return { B, T, tokens, targets, lengths, patches, ...(features && { features }), targetCount, completionStart, truncated };
}

/**
 * The rows the frame projection reads, (B·T, frameDim): the patches, or with frameEncoder 'onnx' the
 * encoder features. Throws when the batch was made for the other kind or another width.
 */
export function frameRows(batch: Batch, m: ModelConfig, who = 'frameRows'): Float32Array {
  const { frameDim } = modelDims(m);
  const onnx = m.frameEncoder === 'onnx';
  const rows = onnx ? batch.features : batch.patches;
  const what = onnx ? `features (encoderWidth ${frameDim})` : `patches (patchDim ${frameDim})`;
  if (!rows || rows.length !== batch.B * batch.T * frameDim)
    throw new Error(
      `${who}: the batch's ${what} have ${rows?.length ?? 0} values, expected B·T·${frameDim} = ${batch.B * batch.T * frameDim} ` +
        `(make the batch with makeBatch and the same ModelConfig; with frameEncoder 'onnx' every sequence needs its features)`,
    );
  return rows;
}

/** Checks one sequence's encoder features against the config: (frameTokens, encoderWidth). */
function checkFeatures(features: Float32Array | undefined, m: ModelConfig, who: string): Float32Array {
  const { frameTokens, frameDim } = modelDims(m);
  if (!features) throw new Error(`${who}: frameEncoder 'onnx' needs the sequence's features (pass them, or run encodeFrameFeatures on its frames first); got none`);
  if (features.length !== frameTokens * frameDim) {
    const rows = features.length / frameDim;
    throw new Error(
      `${who}: features have ${features.length} values, expected (frameTokens ${frameTokens}, encoderWidth ${frameDim}) = ${frameTokens * frameDim}` +
        (Number.isInteger(rows) ? '' : ` (not a multiple of encoderWidth ${frameDim}: is the ONNX encoder's feature width the config's encoderWidth?)`),
    );
  }
  return features;
}

/**
 * (frames, 3, frameSize, frameSize) in [0, 1], channel-planar RGB: the frozen encoder's input.
 * The same frame choice and nearest resize as patchify; missing frames are zeros.
 */
export function encoderFrames(frames: FrameInput[], m: ModelConfig): Float32Array {
  const S = m.frameSize;
  const out = new Float32Array(m.frames * 3 * S * S);
  for (let f = 0; f < m.frames; f++) {
    if (frames.length === 0) break;
    const src = frames[m.frames === 1 ? 0 : Math.round((f * (frames.length - 1)) / (m.frames - 1))];
    for (let y = 0; y < S; y++) {
      const sy = Math.min(src.height - 1, Math.floor(((y + 0.5) * src.height) / S));
      for (let x = 0; x < S; x++) {
        const sx = Math.min(src.width - 1, Math.floor(((x + 0.5) * src.width) / S));
        const base = (sy * src.width + sx) * 4;
        for (let c = 0; c < 3; c++) out[((f * 3 + c) * S + y) * S + x] = src.rgba[base + c] / 255;
      }
    }
  }
  return out;
}

/** What encodeFrameFeatures needs of an encoder (OnnxFrameEncoder fits). */
export interface FrameFeatureEncoder {
  encode(frames: Float32Array, F: number, H: number, W: number): Promise<{ features: Float32Array; width: number; tokensPerFrame: number }>;
}

/** Features computed by encodeFrameFeatures, by frames array (makeBatch's default for `features`). */
const encodedFeatures = new WeakMap<FrameInput[], Float32Array>();

/**
 * The frozen encoder's features of one sequence's frames, (frameTokens, encoderWidth), checked
 * against the config (a clear error when the encoder's width or tokens per frame differ). Also kept
 * for this `frames` array (weakly): makeBatch uses them for a sequence given these frames and no
 * features.
 */
export async function encodeFrameFeatures(encoder: FrameFeatureEncoder, frames: FrameInput[], m: ModelConfig): Promise<Float32Array> {
  if (m.frameEncoder !== 'onnx') throw new Error(`encodeFrameFeatures: the config's frameEncoder is '${m.frameEncoder ?? 'patch'}', not 'onnx'`);
  const S = m.frameSize;
  const out = await encoder.encode(encoderFrames(frames, m), m.frames, S, S);
  if (out.width !== m.encoderWidth || out.tokensPerFrame !== m.encoderTokensPerFrame)
    throw new Error(
      `encodeFrameFeatures: the encoder gives ${out.tokensPerFrame} rows of width ${out.width} per frame, ` +
        `the config expects encoderTokensPerFrame ${m.encoderTokensPerFrame} and encoderWidth ${m.encoderWidth} (set them from the encoder: onnxEncoderConfig)`,
    );
  encodedFeatures.set(frames, out.features);
  return out.features;
}

/**
 * The ModelConfig overrides that fit an encoder: runs it once on a blank frame of frameSize² to read
 * its feature width and rows per frame. `makeConfig(preset, { model: await onnxEncoderConfig(enc, 32) })`.
 */
export async function onnxEncoderConfig(encoder: FrameFeatureEncoder, frameSize: number): Promise<Partial<ModelConfig>> {
  const out = await encoder.encode(new Float32Array(3 * frameSize * frameSize), 1, frameSize, frameSize);
  return { frameEncoder: 'onnx', frameSize, encoderWidth: out.width, encoderTokensPerFrame: out.tokensPerFrame };
}
