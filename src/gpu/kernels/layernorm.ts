// Owner of shaders/layernorm_forward.wgsl and shaders/layernorm_backward.wgsl: LayerNorm over the
// last dimension, forward (saving mean and rstd) and backward (dx, dweight, dbias). weight, bias and
// their gradients may be whole buffers or 256-byte-aligned slices ({buffer, offset, size}) of a flat
// parameter buffer.

import forwardSource from '../../../shaders/layernorm_forward.wgsl?raw';
import backwardSource from '../../../shaders/layernorm_backward.wgsl?raw';
import { storageBuffer, uniformBuffer } from '../buffers';
import { bindSlots, grid1d, groups, type BufferSlice, type Dispatch } from '../dispatch';
import { computePipeline } from '../pipeline';

/** Threads per row (row kernels) and columns per workgroup (column kernels); a power of two. */
const WG = 64;
/** Rows summed in order by one thread of the dweight/dbias partial pass. */
const ROWS_PER_CHUNK = 32;
const BACKWARD_FILE = 'shaders/layernorm_backward.wgsl';
/**
 * Rows of at most this many channels run one thread per row (entry points main_rows / dx_rows) rather
 * than one workgroup per row: a narrow row leaves most of a workgroup idle and pays a barrier per tree
 * level. On SwiftShader (2 cores) this cut LayerNorm's share of a tiny SFT step from ~45% to a few
 * percent (bench: `npm run bench -- --only training`).
 */
export const ROW_THREAD_MAX_C = 128;

export interface LayerNormForwardArgs {
  /** (N, C) input rows. */
  x: GPUBuffer;
  /** (C) gain. */
  weight: BufferSlice;
  /** (C) bias. */
  bias: BufferSlice;
  /** (N, C) written. */
  y: GPUBuffer;
  /** (N) written: row means, for the backward pass. */
  mean: GPUBuffer;
  /** (N) written: 1 / sqrt(var + eps), for the backward pass. */
  rstd: GPUBuffer;
  N: number;
  C: number;
  /** Default 1e-5 (GPT-2, torch.nn.LayerNorm). */
  eps?: number;
  label?: string;
}

export interface LayerNormBackwardArgs {
  /** (N, C) dLoss/dy. */
  dy: GPUBuffer;
  /** (N, C) forward input. */
  x: GPUBuffer;
  /** (C) gain. */
  weight: BufferSlice;
  /** (N) saved by the forward pass. */
  mean: GPUBuffer;
  /** (N) saved by the forward pass. */
  rstd: GPUBuffer;
  /** (N, C) dLoss/dx: written, or added to with accumulateDx. */
  dx: GPUBuffer;
  /** (C) dLoss/dweight: written, or added to with accumulateParams. */
  dweight: BufferSlice;
  /** (C) dLoss/dbias: written, or added to with accumulateParams. */
  dbias: BufferSlice;
  N: number;
  C: number;
  /** Add to dx (which already holds the residual stream's gradient). Default false. */
  accumulateDx?: boolean;
  /** Add to dweight and dbias (gradient accumulation over micro-batches). Default false. */
  accumulateParams?: boolean;
  label?: string;
}

interface Pipelines {
  forward: GPUComputePipeline;
  forwardRows: GPUComputePipeline;
  dx: GPUComputePipeline;
  dxRows: GPUComputePipeline;
  partial: GPUComputePipeline;
  finalize: GPUComputePipeline;
}

export class LayerNorm {
  private constructor(
    private readonly device: GPUDevice,
    private readonly pipelines: Pipelines,
  ) {}

  static async create(device: GPUDevice): Promise<LayerNorm> {
    const backward = [{ file: BACKWARD_FILE, code: backwardSource }];
    const forwardSources = [{ file: 'shaders/layernorm_forward.wgsl', code: forwardSource }];
    const [forward, forwardRows, dx, dxRows, partial, finalize] = await Promise.all([
      computePipeline(device, { label: 'LayerNorm.forward', sources: forwardSources, constants: { WG } }),
      computePipeline(device, { label: 'LayerNorm.forwardRows', sources: forwardSources, entryPoint: 'main_rows', constants: { WG } }),
      computePipeline(device, { label: 'LayerNorm.dx', sources: backward, entryPoint: 'dx_main', constants: { WG } }),
      computePipeline(device, { label: 'LayerNorm.dxRows', sources: backward, entryPoint: 'dx_rows', constants: { WG } }),
      computePipeline(device, { label: 'LayerNorm.dparamsPartial', sources: backward, entryPoint: 'dparams_partial', constants: { WG } }),
      computePipeline(device, { label: 'LayerNorm.dparamsFinalize', sources: backward, entryPoint: 'dparams_finalize', constants: { WG } }),
    ]);
    return new LayerNorm(device, { forward, forwardRows, dx, dxRows, partial, finalize });
  }

  /** y = layernorm(x) · weight + bias; saves mean and rstd. One workgroup per row, or one thread per narrow row. */
  forward(args: LayerNormForwardArgs): Dispatch {
    const label = args.label ?? 'LayerNorm.forward';
    const rows = args.C <= ROW_THREAD_MAX_C;
    const workgroups = rows ? grid1d(groups(args.N, WG)) : grid1d(args.N);
    const params = uniformBuffer(this.device, `${label}.params`, [
      { u32: args.N },
      { u32: args.C },
      { f32: args.eps ?? 1e-5 },
      { u32: workgroups[0] },
    ]);
    const pipeline = rows ? this.pipelines.forwardRows : this.pipelines.forward;
    const buffers: BufferSlice[] = [params, args.x, args.weight, args.bias, args.y, args.mean, args.rstd];
    return { label, pipeline, workgroups, bindGroup: bindSlots(this.device, label, pipeline, buffers.map((b, i): [number, BufferSlice] => [i, b])) };
  }

  /** [dx, dparams partial, dparams finalize]. Allocates its (chunks, 2, C) scratch once, here. */
  backward(args: LayerNormBackwardArgs): Dispatch[] {
    const label = args.label ?? 'LayerNorm.backward';
    const { N, C } = args;
    const rows = C <= ROW_THREAD_MAX_C;
    const rowGrid = rows ? grid1d(groups(N, WG)) : grid1d(N);
    const chunks = groups(N, ROWS_PER_CHUNK);
    if (chunks > 65535) throw new Error(`${label}: N = ${N} rows exceeds ${65535 * ROWS_PER_CHUNK}`);
    const params = uniformBuffer(this.device, `${label}.params`, [
      { u32: N },
      { u32: C },
      { u32: rowGrid[0] },
      { u32: args.accumulateDx ? 1 : 0 },
      { u32: args.accumulateParams ? 1 : 0 },
      { u32: ROWS_PER_CHUNK },
      { u32: chunks },
    ]);
    const partials = storageBuffer(this.device, `${label}.partials`, chunks * 2 * C);
    const p = this.pipelines;
    const bind = (name: string, pipeline: GPUComputePipeline, slots: [number, BufferSlice][]) =>
      bindSlots(this.device, `${label}.${name}`, pipeline, [[0, params], ...slots]);
    return [
      {
        label: `${label}.dx`,
        pipeline: rows ? p.dxRows : p.dx,
        workgroups: rowGrid,
        bindGroup: bind('dx', rows ? p.dxRows : p.dx, [[1, args.dy], [2, args.x], [3, args.weight], [4, args.mean], [5, args.rstd], [6, args.dx]]),
      },
      {
        label: `${label}.dparamsPartial`,
        pipeline: p.partial,
        workgroups: [groups(C, WG), chunks, 1],
        bindGroup: bind('dparamsPartial', p.partial, [[1, args.dy], [2, args.x], [4, args.mean], [5, args.rstd], [7, partials]]),
      },
      {
        label: `${label}.dparamsFinalize`,
        pipeline: p.finalize,
        workgroups: [groups(C, WG), 1, 1],
        bindGroup: bind('dparamsFinalize', p.finalize, [[7, partials], [8, args.dweight], [9, args.dbias]]),
      },
    ];
  }
}
