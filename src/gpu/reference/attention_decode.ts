// CPU reference (float64) for shaders/attention_decode.wgsl: causal multi-head attention for one
// query row per sequence, at position pos[b], against keys/values 0..pos[b] of a packed QKV tensor.
//
// Layout (shared with the kernel and with src/gpu/reference/attention.ts):
//   qkv (B*T, 3C) row-major = (B, T, 3, H, D): q at column h*D+d, k at C+h*D+d, v at 2C+h*D+d
//   pos (B): the query row of each sequence; sequences with pos[b] >= T have no output (zeros here)
// Returned compactly: out (B, C) = row pos[b] of the kernel's (B*T, C) output, lse (B, H) = entry
// pos[b] of the kernel's (B, H, T) lse. scale = 1/sqrt(D).

import { attentionRow, type AttentionShape } from './attention';

export interface AttentionDecodeResult {
  /** (B, C): the attention output of row pos[b] of each sequence. */
  out: Float64Array;
  /** (B, H): natural-log logsumexp of the scaled scores of that row. */
  lse: Float64Array;
}

export function attentionDecode(qkv: ArrayLike<number>, pos: ArrayLike<number>, shape: AttentionShape): AttentionDecodeResult {
  const { B, T, H, D } = shape;
  const C = H * D;
  const out = new Float64Array(B * C);
  const lse = new Float64Array(B * H);
  const scores = new Float64Array(T);
  for (let b = 0; b < B; b++) {
    const p = pos[b];
    if (p >= T) continue;
    for (let h = 0; h < H; h++) lse[b * H + h] = attentionRow(qkv, shape, b, h, p, out, b * C + h * D, scores);
  }
  return { out, lse };
}
