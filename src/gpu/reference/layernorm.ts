// CPU reference (float64) for shaders/layernorm_forward.wgsl and shaders/layernorm_backward.wgsl:
// LayerNorm over the last dimension with the biased variance, as torch.nn.LayerNorm.

export interface LayerNormForward {
  /** (N, C) */
  y: Float64Array;
  /** (N) */
  mean: Float64Array;
  /** (N) 1 / sqrt(var + eps) */
  rstd: Float64Array;
}

export function layerNormForward(
  x: ArrayLike<number>,
  weight: ArrayLike<number>,
  bias: ArrayLike<number>,
  N: number,
  C: number,
  eps = 1e-5,
): LayerNormForward {
  const y = new Float64Array(N * C);
  const mean = new Float64Array(N);
  const rstd = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    const base = n * C;
    let s = 0;
    for (let c = 0; c < C; c++) s += x[base + c];
    const m = s / C;
    let q = 0;
    for (let c = 0; c < C; c++) q += (x[base + c] - m) ** 2;
    const r = 1 / Math.sqrt(q / C + eps);
    for (let c = 0; c < C; c++) y[base + c] = (x[base + c] - m) * r * weight[c] + bias[c];
    mean[n] = m;
    rstd[n] = r;
  }
  return { y, mean, rstd };
}

export interface LayerNormGrads {
  /** (N, C) */
  dx: Float64Array;
  /** (C) */
  dweight: Float64Array;
  /** (C) */
  dbias: Float64Array;
}

/** Gradients given dy and the forward's saved mean and rstd (not accumulated: add priors yourself). */
export function layerNormBackward(
  dy: ArrayLike<number>,
  x: ArrayLike<number>,
  weight: ArrayLike<number>,
  mean: ArrayLike<number>,
  rstd: ArrayLike<number>,
  N: number,
  C: number,
): LayerNormGrads {
  const dx = new Float64Array(N * C);
  const dweight = new Float64Array(C);
  const dbias = new Float64Array(C);
  for (let n = 0; n < N; n++) {
    const base = n * C;
    const m = mean[n];
    const r = rstd[n];
    let sg = 0;
    let sgx = 0;
    for (let c = 0; c < C; c++) {
      const g = dy[base + c] * weight[c];
      const xhat = (x[base + c] - m) * r;
      sg += g;
      sgx += g * xhat;
      dweight[c] += dy[base + c] * xhat;
      dbias[c] += dy[base + c];
    }
    for (let c = 0; c < C; c++) {
      const xhat = (x[base + c] - m) * r;
      dx[base + c] = r * (dy[base + c] * weight[c] - sg / C - (xhat * sgx) / C);
    }
  }
  return { dx, dweight, dbias };
}
