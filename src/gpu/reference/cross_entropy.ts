// CPU reference (float64) for shaders/cross_entropy_forward.wgsl and shaders/cross_entropy_backward.wgsl:
// numerically stable softmax cross-entropy per row, with labels outside [0, V) (−1) ignored.

export interface CrossEntropyForward {
  /** (N) −log p[label]; 0 for ignored rows. */
  loss: Float64Array;
  /** (N) log p[label]; 0 for ignored rows. */
  logp: Float64Array;
  /** (N) −Σ p log p in nats, for every row. */
  entropy: Float64Array;
  /** (N) log Σ e^logits. */
  lse: Float64Array;
}

function counted(label: number, V: number): boolean {
  return label >= 0 && label < V;
}

export function crossEntropyForward(logits: ArrayLike<number>, labels: ArrayLike<number>, N: number, V: number): CrossEntropyForward {
  const out: CrossEntropyForward = {
    loss: new Float64Array(N),
    logp: new Float64Array(N),
    entropy: new Float64Array(N),
    lse: new Float64Array(N),
  };
  for (let r = 0; r < N; r++) {
    const base = r * V;
    let m = -Infinity;
    for (let v = 0; v < V; v++) m = Math.max(m, logits[base + v]);
    let s = 0;
    let u = 0;
    for (let v = 0; v < V; v++) {
      const d = logits[base + v] - m;
      s += Math.exp(d);
      u += Math.exp(d) * d;
    }
    const lse = m + Math.log(s);
    out.lse[r] = lse;
    out.entropy[r] = Math.log(s) - u / s;
    if (counted(labels[r], V)) {
      out.logp[r] = logits[base + labels[r]] - lse;
      out.loss[r] = -out.logp[r];
    }
  }
  return out;
}

/** dlogits (N, V) = dlogp[r] · (onehot(label) − softmax(row)); 0 for ignored rows. */
export function crossEntropyBackward(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  lse: ArrayLike<number>,
  dlogp: ArrayLike<number>,
  N: number,
  V: number,
): Float64Array {
  const dlogits = new Float64Array(N * V);
  for (let r = 0; r < N; r++) {
    if (!counted(labels[r], V)) continue;
    for (let v = 0; v < V; v++) {
      const p = Math.exp(logits[r * V + v] - lse[r]);
      dlogits[r * V + v] = dlogp[r] * ((v === labels[r] ? 1 : 0) - p);
    }
  }
  return dlogits;
}
