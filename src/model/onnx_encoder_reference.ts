// The tiny ONNX frame encoder as plain float64 TypeScript: the spec that onnx_graph.ts writes as an
// ONNX graph and that tests check onnxruntime-web's output against. Also owns the seeded weights.
//
//   frames (F, 3, H, W) in [0,1]
//   → patches (F, P, 3·p·p)        patch (i, j) of frame f, values in (channel, row, column) order
//   → x = patches · Wp + b + pos    Wp (3·p·p, C), b (C), pos (P, C)
//   → gelu(x)                       exact GELU, 0.5·x·(1 + erf(x/√2))
//   → LayerNorm over C              γ (C), β (C), ε 1e-5, biased variance
//   → features (F·P, C)
// with P = (H/p)·(W/p), patches in row-major order over the (H/p, W/p) grid.

import { Rng } from '../util/rng';

export interface TinyEncoderOptions {
  /** Frames are frameSize × frameSize pixels (H = W). */
  frameSize: number;
  /** Square patches of patchSize × patchSize pixels; frameSize must be a multiple of it. */
  patchSize: number;
  /** C: width of each output feature (one row per patch). */
  dim: number;
  /** Seed of the weights: the same seed gives the same bytes. */
  seed: number;
}

/** The shipped model (public/models/tiny-frame-encoder.onnx): 32×32 frames, 16 patches, C 64, ~55 kB. */
export const DEFAULT_TINY_ENCODER: TinyEncoderOptions = { frameSize: 32, patchSize: 8, dim: 64, seed: 5 };

export const LAYERNORM_EPS = 1e-5;

export interface TinyEncoderWeights {
  /** (3·p·p, C) patch projection, rows in (channel, row, column) order of the patch. */
  proj: Float32Array;
  /** (C) */
  bias: Float32Array;
  /** (P, C) learned-style position embedding, one row per patch position. */
  pos: Float32Array;
  /** (C) LayerNorm scale */
  gamma: Float32Array;
  /** (C) LayerNorm shift */
  beta: Float32Array;
}

export interface TinyEncoderDims {
  /** patches per side, H/p */
  side: number;
  /** P: patches (tokens) per frame */
  patchesPerFrame: number;
  /** 3·p·p: values per patch */
  patchDim: number;
}

export function tinyEncoderDims({ frameSize, patchSize, dim }: TinyEncoderOptions): TinyEncoderDims {
  if (!Number.isInteger(frameSize) || !Number.isInteger(patchSize) || patchSize < 1 || frameSize % patchSize !== 0)
    throw new Error(`tiny encoder: frameSize ${frameSize} is not a positive multiple of patchSize ${patchSize} (hint: patches must tile the frame)`);
  if (!Number.isInteger(dim) || dim < 1) throw new Error(`tiny encoder: dim ${dim} must be a positive integer`);
  const side = frameSize / patchSize;
  return { side, patchesPerFrame: side * side, patchDim: 3 * patchSize * patchSize };
}

/** Seeded weights, drawn in a fixed order (proj, bias, pos, gamma, beta) so a seed fixes every byte. */
export function tinyEncoderWeights(opts: TinyEncoderOptions): TinyEncoderWeights {
  const { patchesPerFrame: P, patchDim: K } = tinyEncoderDims(opts);
  const C = opts.dim;
  const rng = new Rng(opts.seed);
  const proj = rng.f32(K * C, 1 / Math.sqrt(K));
  // Pixels are in [0,1], not centred: a bias of -0.5·Σ_k Wp[k, c] centres the pre-activation, plus noise.
  const bias = rng.f32(C, 0.02);
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += proj[k * C + c];
    bias[c] -= 0.5 * s;
  }
  const pos = rng.f32(P * C, 0.1);
  const gamma = rng.f32(C, 0.1);
  for (let c = 0; c < C; c++) gamma[c] += 1;
  const beta = rng.f32(C, 0.1);
  return { proj, bias, pos, gamma, beta };
}

/** Exact GELU in float64, via an erf accurate to ~1e-15 (the ONNX graph uses the Erf op). */
export function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

/**
 * erf by its Maclaurin series for |x| < 3 and the continued fraction of erfc beyond: float64-exact
 * enough to be a reference for float32 kernels.
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    // erf(x) = 2/√π · Σ (-1)^n x^(2n+1) / (n! (2n+1))
    let term = ax;
    let sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 100; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + 2/(x + ...))))), evaluated bottom up.
  let f = ax;
  for (let n = 60; n >= 1; n--) f = ax + n / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

/** Patch (F·P, 3·p·p) rows from frames (F, 3, H, W): the Reshape/Transpose/Reshape of the graph. */
export function patchify(frames: ArrayLike<number>, F: number, frameSize: number, patchSize: number): Float64Array {
  const p = patchSize;
  const side = frameSize / p;
  const K = 3 * p * p;
  const out = new Float64Array(F * side * side * K);
  for (let f = 0; f < F; f++)
    for (let i = 0; i < side; i++)
      for (let j = 0; j < side; j++) {
        const row = (f * side + i) * side + j;
        for (let ch = 0; ch < 3; ch++)
          for (let y = 0; y < p; y++)
            for (let x = 0; x < p; x++)
              out[row * K + (ch * p + y) * p + x] = frames[((f * 3 + ch) * frameSize + i * p + y) * frameSize + j * p + x];
      }
  return out;
}

/** features (F·P, C) of frames (F, 3, H, W), in float64. */
export function tinyEncoderReference(frames: ArrayLike<number>, F: number, opts: TinyEncoderOptions, weights = tinyEncoderWeights(opts)): Float64Array {
  const { patchesPerFrame: P, patchDim: K } = tinyEncoderDims(opts);
  const C = opts.dim;
  const expected = F * 3 * opts.frameSize * opts.frameSize;
  if (frames.length !== expected) throw new Error(`tinyEncoderReference: frames has ${frames.length} values, (F, 3, H, W) = (${F}, 3, ${opts.frameSize}, ${opts.frameSize}) needs ${expected}`);
  const patches = patchify(frames, F, opts.frameSize, opts.patchSize);
  const out = new Float64Array(F * P * C);
  const x = new Float64Array(C);
  for (let row = 0; row < F * P; row++) {
    const pIdx = row % P;
    for (let c = 0; c < C; c++) {
      let s = weights.bias[c] + weights.pos[pIdx * C + c];
      for (let k = 0; k < K; k++) s += patches[row * K + k] * weights.proj[k * C + c];
      x[c] = gelu(s);
    }
    let mean = 0;
    for (let c = 0; c < C; c++) mean += x[c];
    mean /= C;
    let v = 0;
    for (let c = 0; c < C; c++) v += (x[c] - mean) ** 2;
    const rstd = 1 / Math.sqrt(v / C + LAYERNORM_EPS);
    for (let c = 0; c < C; c++) out[row * C + c] = (x[c] - mean) * rstd * weights.gamma[c] + weights.beta[c];
  }
  return out;
}
