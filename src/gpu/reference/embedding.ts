// CPU reference (float64) for shaders/embedding_forward.wgsl and shaders/embedding_backward.wgsl:
// token + position embedding and its scatter-add gradients. Token ids outside [0, V) embed as zero
// and receive no gradient, as in the kernels.

export interface EmbeddingSizes {
  B: number;
  T: number;
  C: number;
  V: number;
  /** Rows of wpe (>= T). */
  maxT: number;
}

/** x (B·T, C) = wte[tokens] + wpe[t]. */
export function embeddingForward(
  tokens: ArrayLike<number>,
  wte: ArrayLike<number>,
  wpe: ArrayLike<number>,
  { B, T, C, V }: EmbeddingSizes,
): Float64Array {
  const x = new Float64Array(B * T * C);
  for (let row = 0; row < B * T; row++) {
    const tok = tokens[row];
    const t = row % T;
    for (let c = 0; c < C; c++) {
      x[row * C + c] = wpe[t * C + c] + (tok >= 0 && tok < V ? wte[tok * C + c] : 0);
    }
  }
  return x;
}

/** dwte (V, C) and dwpe (maxT, C) from dx (B·T, C); not accumulated. */
export function embeddingBackward(
  tokens: ArrayLike<number>,
  dx: ArrayLike<number>,
  { B, T, C, V, maxT }: EmbeddingSizes,
): { dwte: Float64Array; dwpe: Float64Array } {
  const dwte = new Float64Array(V * C);
  const dwpe = new Float64Array(maxT * C);
  for (let row = 0; row < B * T; row++) {
    const tok = tokens[row];
    const t = row % T;
    for (let c = 0; c < C; c++) {
      if (tok >= 0 && tok < V) dwte[tok * C + c] += dx[row * C + c];
      dwpe[t * C + c] += dx[row * C + c];
    }
  }
  return { dwte, dwpe };
}
