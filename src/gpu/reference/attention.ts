// CPU reference (float64) for shaders/attention_forward.wgsl and shaders/attention_backward.wgsl:
// causal multi-head attention over a packed QKV tensor, with per-sequence valid lengths.
//
// Layout (shared with the kernels):
//   qkv  (B*T, 3C) row-major = (B, T, 3, H, D): q at column h*D+d, k at C+h*D+d, v at 2C+h*D+d
//   out  (B*T, C)  row-major = (B, T, H, D)
//   lse  (B, H, T) natural-log logsumexp of the scaled scores of each query row
//   lengths (B): valid length of each sequence; rows t >= lengths[b] are padding
// Query t of sequence b attends to keys j <= t (and j < lengths[b]); scale = 1/sqrt(D).
// Padding rows produce out = 0, lse = 0 and zero gradients.

export interface AttentionShape {
  B: number;
  T: number;
  H: number;
  D: number;
}

export interface AttentionForward {
  /** (B*T, C) */
  out: Float64Array;
  /** (B, H, T) */
  lse: Float64Array;
}

function validLength(lengths: ArrayLike<number>, b: number, T: number): number {
  return Math.min(lengths[b], T);
}

/**
 * One query row of causal attention: row t of sequence b, head h, against keys 0..t. Adds the output
 * (D values) into out[oBase..] and returns the row's natural-log logsumexp of the scaled scores.
 * `scores` is scratch of at least t+1 entries. Shared with src/gpu/reference/attention_decode.ts.
 */
export function attentionRow(
  qkv: ArrayLike<number>,
  shape: AttentionShape,
  b: number,
  h: number,
  t: number,
  out: Float64Array,
  oBase: number,
  scores: Float64Array,
): number {
  const { T, H, D } = shape;
  const C = H * D;
  const row = 3 * C;
  const scale = 1 / Math.sqrt(D);
  const qBase = (b * T + t) * row + h * D;
  let max = -Infinity;
  for (let j = 0; j <= t; j++) {
    const kBase = (b * T + j) * row + C + h * D;
    let s = 0;
    for (let d = 0; d < D; d++) s += qkv[qBase + d] * qkv[kBase + d];
    scores[j] = s * scale;
    max = Math.max(max, scores[j]);
  }
  let sum = 0;
  for (let j = 0; j <= t; j++) sum += Math.exp(scores[j] - max);
  for (let j = 0; j <= t; j++) {
    const p = Math.exp(scores[j] - max) / sum;
    const vBase = (b * T + j) * row + 2 * C + h * D;
    for (let d = 0; d < D; d++) out[oBase + d] += p * qkv[vBase + d];
  }
  return max + Math.log(sum);
}

export function attentionForward(qkv: ArrayLike<number>, lengths: ArrayLike<number>, shape: AttentionShape): AttentionForward {
  const { B, T, H, D } = shape;
  const C = H * D;
  const out = new Float64Array(B * T * C);
  const lse = new Float64Array(B * H * T);
  const scores = new Float64Array(T);
  for (let b = 0; b < B; b++) {
    const len = validLength(lengths, b, T);
    for (let h = 0; h < H; h++) {
      for (let t = 0; t < len; t++) lse[(b * H + h) * T + t] = attentionRow(qkv, shape, b, h, t, out, (b * T + t) * C + h * D, scores);
    }
  }
  return { out, lse };
}

/**
 * Gradient of a loss with respect to qkv, given dout = dLoss/dout (B*T, C). Returns dqkv (B*T, 3C).
 * Recomputes the softmax in float64 rather than trusting a saved lse, so it is the spec for both.
 *   P = softmax(S) over valid keys, dV = Pᵀ dO, dP = dO Vᵀ, dS = P ∘ (dP − rowsum(dP ∘ P)),
 *   dQ = dS K · scale, dK = dSᵀ Q · scale.
 */
export function attentionBackward(
  qkv: ArrayLike<number>,
  dout: ArrayLike<number>,
  lengths: ArrayLike<number>,
  shape: AttentionShape,
): Float64Array {
  const { B, T, H, D } = shape;
  const C = H * D;
  const row = 3 * C;
  const scale = 1 / Math.sqrt(D);
  const dqkv = new Float64Array(B * T * row);
  const p = new Float64Array(T);
  const dp = new Float64Array(T);
  for (let b = 0; b < B; b++) {
    const len = validLength(lengths, b, T);
    for (let h = 0; h < H; h++) {
      for (let t = 0; t < len; t++) {
        const qBase = (b * T + t) * row + h * D;
        const oBase = (b * T + t) * C + h * D;
        let max = -Infinity;
        for (let j = 0; j <= t; j++) {
          const kBase = (b * T + j) * row + C + h * D;
          let s = 0;
          for (let d = 0; d < D; d++) s += qkv[qBase + d] * qkv[kBase + d];
          p[j] = s * scale;
          max = Math.max(max, p[j]);
        }
        let sum = 0;
        for (let j = 0; j <= t; j++) sum += (p[j] = Math.exp(p[j] - max));
        // rowsum(dP ∘ P) equals Δ = rowsum(dO ∘ O); computed here from dP to stay independent of out.
        let rowDot = 0;
        for (let j = 0; j <= t; j++) {
          p[j] /= sum;
          const vBase = (b * T + j) * row + 2 * C + h * D;
          let s = 0;
          for (let d = 0; d < D; d++) s += dout[oBase + d] * qkv[vBase + d];
          dp[j] = s;
          rowDot += s * p[j];
        }
        for (let j = 0; j <= t; j++) {
          const kBase = (b * T + j) * row + C + h * D;
          const vBase = kBase + C;
          const ds = p[j] * (dp[j] - rowDot) * scale;
          for (let d = 0; d < D; d++) {
            dqkv[qBase + d] += ds * qkv[kBase + d]; // dQ
            dqkv[kBase + d] += ds * qkv[qBase + d]; // dK
            dqkv[vBase + d] += p[j] * dout[oBase + d]; // dV
          }
        }
      }
    }
  }
  return dqkv;
}
