// Owner of shaders/adamw.wgsl: one AdamW optimiser. Its hyper-parameters live in one uniform shared
// by every range it updates; setStep(t, lr) rewrites it between steps (no new GPU objects).

import source from '../../../shaders/adamw.wgsl?raw';
import { uniformBuffer, USAGE } from '../buffers';
import { bindGroup, grid1d, groups, type Dispatch } from '../dispatch';
import { computePipeline } from '../pipeline';

const WG = 256;

export interface AdamWConfig {
  /** Learning rate of step 1 (later steps: setStep). Video-R1: 1e-6. */
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay, applied as p *= 1 - lr * weightDecay. Video-R1: 0.01. */
  weightDecay: number;
}

/** torch.optim.AdamW defaults. */
export const ADAMW_DEFAULTS: AdamWConfig = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };

export interface AdamWUpdateArgs {
  /** Flat buffers of the same layout; the dispatch touches elements [offset, offset + n). */
  params: GPUBuffer;
  grads: GPUBuffer;
  m: GPUBuffer;
  v: GPUBuffer;
  /** (4) clip buffer from GradNorm.clip (or GradNorm.clipBuffer for no clipping). */
  clip: GPUBuffer;
  n: number;
  /** First element of the range. Default 0. */
  offset?: number;
  /** Apply weight decay to this range. Default true; pass false for biases and layernorm parameters. */
  decay?: boolean;
  label?: string;
}

export class AdamW {
  private t = 1;
  private constructor(
    private readonly device: GPUDevice,
    private readonly pipeline: GPUComputePipeline,
    private readonly hyper: GPUBuffer,
    private config: AdamWConfig,
    private readonly label: string,
  ) {}

  static async create(device: GPUDevice, config: Partial<AdamWConfig> = {}, label = 'AdamW'): Promise<AdamW> {
    const pipeline = await computePipeline(device, {
      label: 'AdamW',
      sources: [{ file: 'shaders/adamw.wgsl', code: source }],
      constants: { WG },
    });
    const full = { ...ADAMW_DEFAULTS, ...config };
    const hyper = device.createBuffer({ label: `${label}.hyper`, size: 8 * 4, usage: USAGE.UNIFORM | USAGE.COPY_DST });
    const adam = new AdamW(device, pipeline, hyper, full, label);
    adam.setStep(1, full.lr);
    return adam;
  }

  /** The step count the next dispatches will use (1-based, as PyTorch's after its increment). */
  get step(): number {
    return this.t;
  }

  /**
   * Sets the step t (>= 1, for the bias corrections 1 - beta^t) and learning rate of the next
   * submitted updates. Call before submitting each step's command buffer (a queued write).
   */
  setStep(t: number, lr: number = this.config.lr): void {
    if (!(t >= 1)) throw new Error(`AdamW.setStep: step ${t} must be >= 1 (PyTorch counts from 1)`);
    this.t = t;
    this.config = { ...this.config, lr };
    this.device.queue.writeBuffer(this.hyper, 0, AdamW.hyperWords(this.config, t));
  }

  /** One dispatch updating params, m and v over [offset, offset + n). Reusable every step. */
  update(args: AdamWUpdateArgs): Dispatch {
    const label = args.label ?? `${this.label}.update`;
    const workgroups = grid1d(groups(args.n, WG));
    const range = uniformBuffer(this.device, `${label}.range`, [
      { u32: args.offset ?? 0 },
      { u32: args.n },
      { u32: args.decay === false ? 0 : 1 },
      { u32: workgroups[0] * WG },
    ]);
    const buffers = [this.hyper, range, args.clip, args.grads, args.params, args.m, args.v];
    return { label, pipeline: this.pipeline, workgroups, bindGroup: bindGroup(this.device, label, this.pipeline, buffers) };
  }

  private static hyperWords(c: AdamWConfig, t: number): Float32Array {
    // Struct Hyper in shaders/adamw.wgsl, field by field; bias corrections in float64.
    return new Float32Array([c.lr, c.beta1, c.beta2, c.eps, c.weightDecay, c.lr / (1 - c.beta1 ** t), Math.sqrt(1 - c.beta2 ** t), 0]);
  }
}
