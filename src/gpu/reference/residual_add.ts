// CPU reference (float64) for shaders/residual_add.wgsl and shaders/residual_accumulate.wgsl.

export function residualAdd(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  if (a.length !== b.length) throw new Error(`residualAdd: length mismatch ${a.length} vs ${b.length}`);
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] + b[i];
  return out;
}
