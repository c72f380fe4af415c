// Owner of shaders/gelu_forward.wgsl and shaders/gelu_backward.wgsl: the MLP activation (GPT-2's
// tanh-approximated GELU), elementwise over any layout.

import forwardSource from '../../../shaders/gelu_forward.wgsl?raw';
import backwardSource from '../../../shaders/gelu_backward.wgsl?raw';
import { uniformBuffer } from '../buffers';
import { bindGroup, grid1d, groups, type Dispatch } from '../dispatch';
import { computePipeline } from '../pipeline';

/** Threads per workgroup (WGSL override WG), one element each. */
const WG = 256;

export interface GeluForwardArgs {
  /** (n) pre-activation. */
  x: GPUBuffer;
  /** (n) written: gelu(x). Must not be x (WebGPU forbids aliasing a read and a write binding). */
  y: GPUBuffer;
  n: number;
  label?: string;
}

export interface GeluBackwardArgs {
  /** (n) forward input. */
  x: GPUBuffer;
  /** (n) dLoss/dy. */
  dy: GPUBuffer;
  /** (n) dLoss/dx: written, or added to when `accumulate`. */
  dx: GPUBuffer;
  n: number;
  /** Add to dx instead of overwriting it. Default false. */
  accumulate?: boolean;
  label?: string;
}

export class Gelu {
  private constructor(
    private readonly device: GPUDevice,
    private readonly forwardPipeline: GPUComputePipeline,
    private readonly backwardPipeline: GPUComputePipeline,
  ) {}

  static async create(device: GPUDevice): Promise<Gelu> {
    const [forward, backward] = await Promise.all([
      computePipeline(device, { label: 'Gelu.forward', sources: [{ file: 'shaders/gelu_forward.wgsl', code: forwardSource }], constants: { WG } }),
      computePipeline(device, { label: 'Gelu.backward', sources: [{ file: 'shaders/gelu_backward.wgsl', code: backwardSource }], constants: { WG } }),
    ]);
    return new Gelu(device, forward, backward);
  }

  /** y = gelu(x). */
  forward(args: GeluForwardArgs): Dispatch {
    const label = args.label ?? 'Gelu.forward';
    const workgroups = grid1d(groups(args.n, WG));
    const params = uniformBuffer(this.device, `${label}.params`, [{ u32: args.n }, { u32: workgroups[0] * WG }]);
    const pipeline = this.forwardPipeline;
    return { label, pipeline, workgroups, bindGroup: bindGroup(this.device, label, pipeline, [params, args.x, args.y]) };
  }

  /** dx (+)= dy · gelu'(x). */
  backward(args: GeluBackwardArgs): Dispatch {
    const label = args.label ?? 'Gelu.backward';
    const workgroups = grid1d(groups(args.n, WG));
    const params = uniformBuffer(this.device, `${label}.params`, [
      { u32: args.n },
      { u32: workgroups[0] * WG },
      { u32: args.accumulate ? 1 : 0 },
    ]);
    const pipeline = this.backwardPipeline;
    return { label, pipeline, workgroups, bindGroup: bindGroup(this.device, label, pipeline, [params, args.x, args.dy, args.dx]) };
  }
}
