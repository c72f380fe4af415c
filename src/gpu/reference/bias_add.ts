// CPU reference (float64) for shaders/bias_add.wgsl and shaders/bias_backward.wgsl.

/** y(R,C) = x(R,C) + bias(C), broadcast over rows. */
export function biasAdd(x: ArrayLike<number>, bias: ArrayLike<number>, rows: number, cols: number): Float64Array {
  if (x.length < rows * cols) throw new Error(`biasAdd: x has ${x.length} elements, needs ${rows}·${cols}`);
  if (bias.length < cols) throw new Error(`biasAdd: bias has ${bias.length} elements, needs ${cols}`);
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) y[r * cols + c] = x[r * cols + c] + bias[c];
  return y;
}

/**
 * dbias(C) = Σ_r dy(r, C), plus `dbias` when given (the accumulate variant; not modified).
 * dx is dy itself, so there is no separate input gradient to compute.
 */
export function biasBackward(dy: ArrayLike<number>, rows: number, cols: number, dbias?: ArrayLike<number>): Float64Array {
  if (dy.length < rows * cols) throw new Error(`biasBackward: dy has ${dy.length} elements, needs ${rows}·${cols}`);
  const out = new Float64Array(cols);
  for (let c = 0; c < cols; c++) {
    let sum = dbias ? dbias[c] : 0;
    for (let r = 0; r < rows; r++) sum += dy[r * cols + c];
    out[c] = sum;
  }
  return out;
}
