// Owner of shaders/residual_add.wgsl and shaders/residual_accumulate.wgsl: elementwise sums.

import addSource from '../../../shaders/residual_add.wgsl?raw';
import accumulateSource from '../../../shaders/residual_accumulate.wgsl?raw';
import { uniformBuffer } from '../buffers';
import { bindGroup, grid1d, groups, type Dispatch } from '../dispatch';
import { computePipeline } from '../pipeline';

const WG = 256;

export class ResidualAdd {
  private constructor(
    private readonly device: GPUDevice,
    private readonly addPipeline: GPUComputePipeline,
    private readonly accumulatePipeline: GPUComputePipeline,
  ) {}

  static async create(device: GPUDevice): Promise<ResidualAdd> {
    const [add, acc] = await Promise.all([
      computePipeline(device, { label: 'ResidualAdd', sources: [{ file: 'shaders/residual_add.wgsl', code: addSource }], constants: { WG } }),
      computePipeline(device, {
        label: 'ResidualAccumulate',
        sources: [{ file: 'shaders/residual_accumulate.wgsl', code: accumulateSource }],
        constants: { WG },
      }),
    ]);
    return new ResidualAdd(device, add, acc);
  }

  /** out = a + b, all of length n. */
  add(args: { a: GPUBuffer; b: GPUBuffer; out: GPUBuffer; n: number; label?: string }): Dispatch {
    return this.bind(this.addPipeline, args.label ?? 'ResidualAdd', args.n, [args.a, args.b, args.out]);
  }

  /** target += addend, both of length n. */
  accumulate(args: { target: GPUBuffer; addend: GPUBuffer; n: number; label?: string }): Dispatch {
    return this.bind(this.accumulatePipeline, args.label ?? 'ResidualAccumulate', args.n, [args.addend, args.target]);
  }

  private bind(pipeline: GPUComputePipeline, label: string, n: number, buffers: GPUBuffer[]): Dispatch {
    const workgroups = grid1d(groups(n, WG));
    const params = uniformBuffer(this.device, `${label}.params`, [{ u32: n }, { u32: workgroups[0] * WG }]);
    return { label, pipeline, workgroups, bindGroup: bindGroup(this.device, label, pipeline, [params, ...buffers]) };
  }
}
