// Owner of shaders/attention_f16.wgsl: causal attention forward with q, k, v stored in half precision
// (WGSL f16, 'shader-f16') and out/lse in f32, for `npm run bench -- --gpu-report`'s f16 check. As
// with matmul_f16, one WGSL is compiled with its storage type `hfloat` set here (f16 with the feature,
// f32 otherwise; i32 in tests), so its indexing is tested on every adapter. Forward only: the model's
// training step keeps using Attention (f32, forward and backward).

import attentionF16Source from '../../../shaders/attention_f16.wgsl?raw';
import { uniformBuffer } from '../buffers';
import { bindGroup, groups, type Dispatch } from '../dispatch';
import { computePipeline } from '../pipeline';
import { halfStorageBytes, halfStorageFor, matmulF16Prelude, uploadStorage, type HalfStorage } from './matmul_f16';

/** Head dims the kernel takes: multiples of 4 up to 64 (register arrays are sized for 64). */
export function attentionF16HeadDimOk(D: number): boolean {
  return Number.isInteger(D) && D >= 4 && D <= 64 && D % 4 === 0;
}

/** Query rows per workgroup, as attention_forward's default. */
const BR = 64;
/** Keys per staged tile: BC·D = 1024 keeps the two tiles at 8 KiB in f32 (4 KiB in f16), BC ≤ 64. */
const keysOf = (D: number) => Math.min(64, 1024 / D);

export interface AttentionF16Args {
  /** (B*T, 3C) in the kernel's storage type (upload with `upload`). */
  qkv: GPUBuffer;
  /** (B) u32 valid lengths. */
  lengths: GPUBuffer;
  /** (B*T, C) f32. */
  out: GPUBuffer;
  /** (B, H, T) f32. */
  lse: GPUBuffer;
  B: number;
  T: number;
  H: number;
  label?: string;
}

export class AttentionF16 {
  private constructor(
    private readonly device: GPUDevice,
    private readonly pipeline: GPUComputePipeline,
    readonly D: number,
    readonly storage: HalfStorage,
  ) {}

  /** The pipeline for head dim D in `storage` (default halfStorageFor(device)); 'f16' needs 'shader-f16'. */
  static async create(device: GPUDevice, D: number, storage: HalfStorage = halfStorageFor(device)): Promise<AttentionF16> {
    if (!attentionF16HeadDimOk(D)) throw new RangeError(`AttentionF16: head dim ${D} is not a multiple of 4 in 4..64`);
    if (storage === 'f16' && !device.features.has('shader-f16')) {
      throw new RangeError(`AttentionF16: f16 storage needs a device created with 'shader-f16'; this one has [${[...device.features].sort().join(', ')}]: use storage 'f32'`);
    }
    const pipeline = await computePipeline(device, {
      label: `AttentionF16<${storage}>.D${D}`,
      sources: [
        { file: `attention_f16 prelude (hfloat = ${storage})`, code: matmulF16Prelude(storage) },
        { file: 'shaders/attention_f16.wgsl', code: attentionF16Source },
      ],
      constants: { BR, BC: keysOf(D), D },
    });
    return new AttentionF16(device, pipeline, D, storage);
  }

  /** A storage buffer holding `data` in this kernel's storage type. */
  upload(label: string, data: ArrayLike<number>): GPUBuffer {
    return uploadStorage(this.device, this.storage, label, data);
  }

  /** One dispatch: out and lse from qkv. Grid: (ceil(T/BR) query blocks, B·H). */
  bind(args: AttentionF16Args): Dispatch {
    const { qkv, lengths, out, lse, B, T, H } = args;
    const D = this.D;
    const C = H * D;
    const label = args.label ?? `AttentionF16<${this.storage}>`;
    for (const [name, v] of Object.entries({ B, T, H })) if (!Number.isInteger(v) || v < 1) throw new RangeError(`${label}: ${name} = ${v} is not a positive integer`);
    if (B * H > 65535) throw new RangeError(`${label}: B·H = ${B * H} exceeds 65535 workgroups; split the batch`);
    for (const [name, buffer, bytes] of [
      ['qkv', qkv, B * T * 3 * C * halfStorageBytes(this.storage)],
      ['lengths', lengths, B * 4],
      ['out', out, B * T * C * 4],
      ['lse', lse, B * H * T * 4],
    ] as const) {
      if (buffer.size < bytes) throw new RangeError(`${label}: ${name} (${buffer.label}) has ${buffer.size} bytes, needs ${bytes}`);
    }
    const params = uniformBuffer(this.device, `${label}.params`, [{ u32: B }, { u32: T }, { u32: H }, { u32: C }, { f32: 1 / Math.sqrt(D) }]);
    return {
      label,
      pipeline: this.pipeline,
      workgroups: [groups(T, BR), B * H, 1],
      bindGroup: bindGroup(this.device, label, this.pipeline, [params, qkv, lengths, out, lse]),
    };
  }
}
