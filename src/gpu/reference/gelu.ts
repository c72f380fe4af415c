// CPU reference (float64) for shaders/gelu_forward.wgsl and shaders/gelu_backward.wgsl: GELU with
// GPT-2's tanh approximation, y = 0.5·x·(1 + tanh(k·(x + 0.044715·x³))), k = sqrt(2/π).

const K = Math.sqrt(2 / Math.PI);
const A = 0.044715;

export function geluForward(x: ArrayLike<number>): Float64Array {
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    y[i] = 0.5 * v * (1 + Math.tanh(K * (v + A * v * v * v)));
  }
  return y;
}

/** dx = dy · gelu'(x); with `accumulate`, added to a copy of it. */
export function geluBackward(x: ArrayLike<number>, dy: ArrayLike<number>, accumulate?: ArrayLike<number>): Float64Array {
  if (x.length !== dy.length) throw new Error(`geluBackward: x has ${x.length} elements, dy ${dy.length}`);
  const dx = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const t = Math.tanh(K * (v + A * v * v * v));
    const grad = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * K * (1 + 3 * A * v * v);
    dx[i] = (accumulate ? accumulate[i] : 0) + dy[i] * grad;
  }
  return dx;
}
