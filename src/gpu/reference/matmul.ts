// CPU reference (float64) for shaders/matmul.wgsl and bench/kernels/matmul_naive.wgsl: the spec
// the GPU kernels are tested against. Plain TypeScript, no WebGPU.

export interface MatmulShape {
  m: number;
  n: number;
  k: number;
  /** A is stored (K,M) and op(A) = Aᵀ. */
  transA?: boolean;
  /** B is stored (N,K) and op(B) = Bᵀ. */
  transB?: boolean;
}

/**
 * C(M,N) = op(A) · op(B), summed in float64. With `c` given, returns c + op(A) · op(B) (the
 * accumulate variant); `c` is not modified.
 */
export function matmul(a: ArrayLike<number>, b: ArrayLike<number>, shape: MatmulShape, c?: ArrayLike<number>): Float64Array {
  const { m, n, k, transA = false, transB = false } = shape;
  if (a.length < m * k) throw new Error(`matmul: A has ${a.length} elements, needs ${m}·${k}`);
  if (b.length < k * n) throw new Error(`matmul: B has ${b.length} elements, needs ${k}·${n}`);
  if (c && c.length < m * n) throw new Error(`matmul: C has ${c.length} elements, needs ${m}·${n}`);
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) {
        const av = transA ? a[p * m + i] : a[i * k + p];
        const bv = transB ? b[j * k + p] : b[p * n + j];
        sum += av * bv;
      }
      out[i * n + j] = (c ? c[i * n + j] : 0) + sum;
    }
  }
  return out;
}
