// Owner of shaders/grad_norm.wgsl: the global gradient norm and the clip buffer
// [norm, scale, finite, 0] that AdamW reads on the GPU, so clipping never needs a read-back.

import source from '../../../shaders/grad_norm.wgsl?raw';
import { storageBuffer, uniformBuffer, uploadBuffer } from '../buffers';
import { bindGroup, bindSlots, groups, type Dispatch } from '../dispatch';
import { isCpuDevice } from '../device';
import { computePipeline } from '../pipeline';

/**
 * Threads per workgroup (a power of two: tree reductions). Measured for the partial pass (Dawn on
 * SwiftShader, n = 900000, 5 dispatches per sample, GPU-timestamp medians of 11 interleaved samples
 * in one process): WG 256 with two f32 shared arrays (before): 2006 ms / 5 (944 ms in a rerun);
 * WG 256 with one vec2f array: 1323 ms; WG 64: 237 ms (162 ms in the rerun); WG 32: 188 ms.
 * 64 keeps 256 partials × 64 threads of parallelism on a real GPU with 2 fewer barrier levels.
 */
const WG = 64;
/** At most this many partial sums on a GPU (so the partial pass never needs more than one grid row). */
export const GPU_MAX_PARTIALS = 256;
/**
 * On a CPU adapter: 8 partial sums. Each workgroup ends in a 6-level tree whose barriers switch
 * between its lane groups on one core; 256 of them cost more than the squares. SwiftShader, the tiny
 * preset's 132k gradients: 16.4 ms of a 395 ms profiled step with 256 partials (issue 15's profile).
 */
export const CPU_MAX_PARTIALS = 8;

/** Partial sums for a device: few on a CPU adapter. */
export function gradNormPartialsFor(device: GPUDevice): number {
  return isCpuDevice(device) ? CPU_MAX_PARTIALS : GPU_MAX_PARTIALS;
}
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
    /** At most this many partial sums (workgroups of the partial pass). */
    readonly maxPartials: number,
  ) {}

  static async create(device: GPUDevice, maxPartials: number = gradNormPartialsFor(device)): Promise<GradNorm> {
    if (!(Number.isInteger(maxPartials) && maxPartials >= 1 && maxPartials <= 65535)) throw new RangeError(`GradNorm: ${maxPartials} partial sums`);
    const sources = [{ file: FILE, code: source }];
    const [partial, finalize] = await Promise.all([
      computePipeline(device, { label: 'GradNorm.partial', sources, entryPoint: 'partial', constants: { WG } }),
      computePipeline(device, { label: 'GradNorm.finalize', sources, entryPoint: 'finalize', constants: { WG } }),
    ]);
    return new GradNorm(device, partial, finalize, maxPartials);
  }

  /** Number of workgroups (and partial sums) the partial pass uses for n elements. */
  partialCount(n: number): number {
    return Math.min(groups(n, WG), this.maxPartials);
  }

  /** A clip buffer holding [0, scale, 1, 0]: for an AdamW step without clipping or norm. */
  static clipBuffer(device: GPUDevice, label: string, scale = 1): GPUBuffer {
    return uploadBuffer(device, label, new Float32Array([0, scale, 1, 0]));
  }

  /** [partial, finalize]: writes args.clip from args.grads. Reusable every step. */
  clip(args: GradNormArgs): Dispatch[] {
    const label = args.label ?? 'GradNorm';
    const count = this.partialCount(args.n);
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
