// CPU reference (float64) for shaders/attention_f16.wgsl: qkv rounded to the kernel's storage type as
// its upload rounds it, then the f32 attention's reference forward. What remains between the GPU and
// this is the kernel's arithmetic (q·k products in hfloat, everything else in f32).

import { attentionForward, type AttentionForward, type AttentionShape } from './attention';
import { toStorage, type StorageType } from './matmul_f16';

export function attentionF16Forward(qkv: ArrayLike<number>, lengths: ArrayLike<number>, shape: AttentionShape, storage: StorageType): AttentionForward {
  return attentionForward(toStorage(qkv, storage), lengths, shape);
}
