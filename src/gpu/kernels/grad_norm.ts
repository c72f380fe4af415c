// Owner of shaders/grad_norm.wgsl: the global gradient norm and the clip buffer
// [norm, scale, finite, 0] that AdamW reads on the GPU, so clipping never needs a read-back.

import source from '../../../shaders/grad_norm.wgsl?raw';
import { storageBuffer, uniformBuffer, uploadBuffer } from '../buffers';
import { bindGroup, bindSlots, groups, type Dispatch } from '../dispatch';
import { computePipeline } from '../pipeline';

/**
 * Threads per workgroup (a power of two: tree reductions). Measured for the partial pass (Dawn on
 * SwiftShader, n = 900000, 5 dispatches per sample, GPU-timestamp medians of 11 interleaved samples
 * in one process): WG 256 with two f32 shared arrays (before): 2006 ms / 5 (944 ms in a rerun);
 * WG 256 with one vec2f array: 1323 ms; WG 64: 237 ms (162 ms in the rerun); WG 32: 188 ms.
 * 64 keeps 256 partials × 64 threads of parallelism on a real GPU with 2 fewer barrier levels.
 */
const WG = 64;
/** At most this many partial sums (so the partial pass never needs more than one grid row). */
const MAX_PARTIALS = 256;
const FILE = 'shaders/grad_norm.wgsl';

/** Length in f32 of a clip buffer: [norm, scale, finite (1/0), 0]. */
export const CLIP_LENGTH = 4;

export interface GradNormArgs {
  /** (n) flat gradients of every parameter. */
  grads: GPUBuffer;
  n: number;
  /** (4) output: [norm, scale, finite, 0]; see shaders/grad_norm.wgsl. */
  clip: GPUBuffer;
  /** Clip threshold (Video-R1: 5). 0 or less: no clipping, scale 1 (non-finite still gives 0). */
  maxNorm: number;
  label?: string;
}

export class GradNorm {
  private constructor(
    private readonly device: GPUDevice,
    private readonly partialPipeline: GPUComputePipeline,
    private readonly finalizePipeline: GPUComputePipeline,
  ) {}

  static async create(device: GPUDevice): Promise<GradNorm> {
    const sources = [{ file: FILE, code: source }];
    const [partial, finalize] = await Promise.all([
      computePipeline(device, { label: 'GradNorm.partial', sources, entryPoint: 'partial', constants: { WG } }),
      computePipeline(device, { label: 'GradNorm.finalize', sources, entryPoint: 'finalize', constants: { WG } }),
    ]);
    return new GradNorm(device, partial, finalize);
  }

  /** Number of workgroups (and partial sums) the partial pass uses for n elements. */
  static partialCount(n: number): number {
    return Math.min(groups(n, WG), MAX_PARTIALS);
  }

  /** A clip buffer holding [0, scale, 1, 0]: for an AdamW step without clipping or norm. */
  static clipBuffer(device: GPUDevice, label: string, scale = 1): GPUBuffer {
    return uploadBuffer(device, label, new Float32Array([0, scale, 1, 0]));
  }

  /** [partial, finalize]: writes args.clip from args.grads. Reusable every step. */
  clip(args: GradNormArgs): Dispatch[] {
    const label = args.label ?? 'GradNorm';
    const count = GradNorm.partialCount(args.n);
    const params = uniformBuffer(this.device, `${label}.params`, [{ u32: args.n }, { u32: count }, { f32: args.maxNorm }]);
    const partials = storageBuffer(this.device, `${label}.partials`, 2 * count);
    const partial: Dispatch = {
      label: `${label}.partial`,
      pipeline: this.partialPipeline,
      workgroups: [count, 1, 1],
      bindGroup: bindGroup(this.device, `${label}.partial`, this.partialPipeline, [params, args.grads, partials]),
    };
    // finalize does not use binding 1 (grads), so its bind group names its slots.
    const finalize: Dispatch = {
      label: `${label}.finalize`,
      pipeline: this.finalizePipeline,
      workgroups: [1, 1, 1],
      bindGroup: bindSlots(this.device, `${label}.finalize`, this.finalizePipeline, [[0, params], [2, partials], [3, args.clip]]),
    };
    return [partial, finalize];
  }
}
