// Owner of bench/kernels/matmul_naive.wgsl, the benchmark baseline for the tiled matmul: same call
// shape as Matmul.bind with variant 'NN' (a, b, c, m, n, k), so a runner can swap one for the other.

import naiveSource from './matmul_naive.wgsl?raw';
import { uniformBuffer } from '../../src/gpu/buffers';
import { bindGroup, groups, type Dispatch } from '../../src/gpu/dispatch';
import { computePipeline } from '../../src/gpu/pipeline';

const WG_X = 16;
const WG_Y = 16;

export interface MatmulNaiveArgs {
  /** (M,K) row-major. */
  a: GPUBuffer;
  /** (K,N) row-major. */
  b: GPUBuffer;
  /** (M,N) row-major, overwritten. */
  c: GPUBuffer;
  m: number;
  n: number;
  k: number;
  label?: string;
}

export class MatmulNaive {
  private constructor(
    private readonly device: GPUDevice,
    private readonly pipeline: GPUComputePipeline,
  ) {}

  static async create(device: GPUDevice): Promise<MatmulNaive> {
    const pipeline = await computePipeline(device, {
      label: 'MatmulNaive',
      sources: [{ file: 'bench/kernels/matmul_naive.wgsl', code: naiveSource }],
      constants: { WG_X, WG_Y },
    });
    return new MatmulNaive(device, pipeline);
  }

  /** A reusable dispatch of C = A·B for these buffers and sizes (uniform and bind group built once). */
  bind(args: MatmulNaiveArgs): Dispatch {
    const { a, b, c, m, n, k } = args;
    const label = args.label ?? 'MatmulNaive';
    for (const [name, v] of Object.entries({ m, n, k })) {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${label}: ${name} = ${v} is not a u32`);
    }
    for (const [name, buffer, bytes] of [
      ['A', a, m * k * 4],
      ['B', b, k * n * 4],
      ['C', c, m * n * 4],
    ] as const) {
      if (buffer.size < bytes) throw new RangeError(`${label}: ${name} (${buffer.label}) has ${buffer.size} bytes, needs ${bytes}`);
    }
    const workgroups: [number, number, number] = [groups(n, WG_X), groups(m, WG_Y), 1];
    if (workgroups[0] > 65535 || workgroups[1] > 65535) throw new RangeError(`${label}: ${m}×${n} needs more than 65535 workgroups along one axis`);
    const params = uniformBuffer(this.device, `${label}.params`, [{ u32: m }, { u32: n }, { u32: k }]);
    return { label, pipeline: this.pipeline, workgroups, bindGroup: bindGroup(this.device, label, this.pipeline, [params, a, b, c]) };
  }
}
