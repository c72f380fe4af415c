// Central finite differences in float64, for checking CPU backward references against their forward
// references (the GPU backward is then checked against the CPU backward).

/**
 * d f / d x[i] ≈ (f(x + h·e_i) − f(x − h·e_i)) / 2h for every i. `f` must not keep `x`; x is
 * restored after each probe.
 */
export function numericGradient(f: (x: Float64Array) => number, x: Float64Array, h = 1e-6): Float64Array {
  const grad = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const saved = x[i];
    x[i] = saved + h;
    const plus = f(x);
    x[i] = saved - h;
    const minus = f(x);
    x[i] = saved;
    grad[i] = (plus - minus) / (2 * h);
  }
  return grad;
}

/** Σ w[i] · y[i]: turns a tensor output into a scalar whose gradient w.r.t. y is w. */
export function dot(w: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += w[i] * y[i];
  return s;
}

/** A float64 copy. */
export function f64(a: ArrayLike<number>): Float64Array {
  return Float64Array.from(a);
}
