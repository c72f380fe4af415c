// CPU reference (float64) for shaders/matmul_f16.wgsl: A and B are rounded to the kernel's storage
// type exactly as its upload rounds them (f16: nearest even; f32: Math.fround; i32: truncation, as
// Int32Array stores), then multiplied in float64 by the f32 matmul's reference. What remains between
// the GPU and this is the kernel's own arithmetic (hfloat partial sums over a slice, f32 across slices).

import { roundToF16 } from '../../util/f16';
import { matmul, type MatmulShape } from './matmul';

export type StorageType = 'f16' | 'f32' | 'i32';

/** `values` as the kernel's storage type holds them, in float64. */
export function toStorage(values: ArrayLike<number>, storage: StorageType): Float64Array {
  const round = storage === 'f16' ? roundToF16 : storage === 'f32' ? Math.fround : Math.trunc;
  return Float64Array.from(values, (v) => round(v));
}

/** C = op(A)·op(B) (or c + ...) with A and B first rounded to `storage`. */
export function matmulF16(a: ArrayLike<number>, b: ArrayLike<number>, shape: MatmulShape, storage: StorageType, c?: ArrayLike<number>): Float64Array {
  return matmul(toStorage(a, storage), toStorage(b, storage), shape, c);
}
