// Owner of shaders/bias_add.wgsl (y = x + bias, and y += bias in place) and
// shaders/bias_backward.wgsl (dbias = column sums of dy, optionally accumulated). bias and dbias may
// be whole buffers or 256-byte-aligned slices ({buffer, offset, size}) of a flat parameter buffer.

import addSource from '../../../shaders/bias_add.wgsl?raw';
import backwardSource from '../../../shaders/bias_backward.wgsl?raw';
import { uniformBuffer } from '../buffers';
import { bindGroup, bindSlots, grid1d, groups, sliceBytes, sliceLabel, type BufferSlice, type Dispatch } from '../dispatch';
import { isCpuDevice } from '../device';
import { computePipeline } from '../pipeline';

/** Threads per workgroup of the elementwise add. */
const WG = 256;
/** Backward: columns per workgroup, and row lanes summed per column (a power of two). */
const WG_COLS = 32;
/** Row lanes on a GPU: 8 per column, combined by a 3-level tree. */
export const GPU_ROW_LANES = 8;
/**
 * Row lanes on a CPU adapter: 1, each thread sums its column serially and no tree or barrier runs.
 * A CPU runs the lanes in turn anyway; the tree's barriers only switch between them. SwiftShader, the
 * tiny preset: 16.1 ms of a 395 ms profiled step with 8 lanes (issue 15's profile).
 */
export const CPU_ROW_LANES = 1;

/** Row lanes of the backward for a device. */
export function biasRowLanesFor(device: GPUDevice): number {
  return isCpuDevice(device) ? CPU_ROW_LANES : GPU_ROW_LANES;
}

function checkSizes(label: string, sizes: Record<string, number>): void {
  for (const [name, v] of Object.entries(sizes)) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${label}: ${name} = ${v} is not a u32`);
  }
}

function checkBuffer(label: string, name: string, buffer: BufferSlice, elements: number): void {
  const bytes = sliceBytes(buffer);
  if (bytes < elements * 4) throw new RangeError(`${label}: ${name} (${sliceLabel(buffer)}) has ${bytes} bytes, needs ${elements * 4}`);
}

export class BiasAdd {
  private constructor(
    private readonly device: GPUDevice,
    private readonly addPipeline: GPUComputePipeline,
    private readonly inPlacePipeline: GPUComputePipeline,
    private readonly backwardPipeline: GPUComputePipeline,
    private readonly backwardAccumulatePipeline: GPUComputePipeline,
  ) {}

  /** `rowLanes`: the backward's row lanes per column, a power of two (default by device). */
  static async create(device: GPUDevice, rowLanes: number = biasRowLanesFor(device)): Promise<BiasAdd> {
    if (!(rowLanes >= 1 && rowLanes <= 8 && (rowLanes & (rowLanes - 1)) === 0)) throw new RangeError(`BiasAdd: ${rowLanes} row lanes (a power of two up to 8)`);
    const WG_ROWS = rowLanes;
    const add = { file: 'shaders/bias_add.wgsl', code: addSource };
    const backward = { file: 'shaders/bias_backward.wgsl', code: backwardSource };
    const [addPipeline, inPlacePipeline, backwardPipeline, backwardAccumulatePipeline] = await Promise.all([
      computePipeline(device, { label: 'BiasAdd', sources: [add], constants: { WG } }),
      computePipeline(device, { label: 'BiasAdd.inPlace', sources: [add], entryPoint: 'main_in_place', constants: { WG } }),
      computePipeline(device, { label: 'BiasAdd.backward', sources: [backward], constants: { WG_COLS, WG_ROWS, ACCUMULATE: 0 } }),
      computePipeline(device, {
        label: 'BiasAdd.backward.accumulate',
        sources: [backward],
        constants: { WG_COLS, WG_ROWS, ACCUMULATE: 1 },
      }),
    ]);
    return new BiasAdd(device, addPipeline, inPlacePipeline, backwardPipeline, backwardAccumulatePipeline);
  }

  /** y(R,C) = x(R,C) + bias(C). x and y must be different buffers (use addInPlace otherwise). */
  add(args: { x: GPUBuffer; bias: BufferSlice; y: GPUBuffer; rows: number; cols: number; label?: string }): Dispatch {
    const { x, bias, y, rows, cols, label = 'BiasAdd' } = args;
    checkSizes(label, { rows, cols, elements: rows * cols });
    checkBuffer(label, 'x', x, rows * cols);
    checkBuffer(label, 'y', y, rows * cols);
    checkBuffer(label, 'bias', bias, cols);
    const { params, workgroups } = this.elementwise(label, rows, cols);
    return { label, pipeline: this.addPipeline, workgroups, bindGroup: bindGroup(this.device, label, this.addPipeline, [params, bias, x, y]) };
  }

  /** x(R,C) += bias(C), in place. */
  addInPlace(args: { x: GPUBuffer; bias: BufferSlice; rows: number; cols: number; label?: string }): Dispatch {
    const { x, bias, rows, cols, label = 'BiasAdd.inPlace' } = args;
    checkSizes(label, { rows, cols, elements: rows * cols });
    checkBuffer(label, 'x', x, rows * cols);
    checkBuffer(label, 'bias', bias, cols);
    const { params, workgroups } = this.elementwise(label, rows, cols);
    // The in-place entry point uses bindings 0, 1 and 3 (binding 2, the separate x, is unused).
    const group = bindSlots(this.device, label, this.inPlacePipeline, [[0, params], [1, bias], [3, x]]);
    return { label, pipeline: this.inPlacePipeline, workgroups, bindGroup: group };
  }

  /** dbias(C) = Σ_rows dy(R,C), or dbias += that sum when `accumulate`. Fixed summation order. */
  backward(args: { dy: GPUBuffer; dbias: BufferSlice; rows: number; cols: number; accumulate?: boolean; label?: string }): Dispatch {
    const { dy, dbias, rows, cols, accumulate = false } = args;
    const label = args.label ?? (accumulate ? 'BiasAdd.backward.accumulate' : 'BiasAdd.backward');
    checkSizes(label, { rows, cols, elements: rows * cols });
    checkBuffer(label, 'dy', dy, rows * cols);
    checkBuffer(label, 'dbias', dbias, cols);
    const workgroups: [number, number, number] = [groups(cols, WG_COLS), 1, 1];
    if (workgroups[0] > 65535) throw new RangeError(`${label}: ${cols} columns need more than 65535 workgroups`);
    const pipeline = accumulate ? this.backwardAccumulatePipeline : this.backwardPipeline;
    const params = uniformBuffer(this.device, `${label}.params`, [{ u32: rows }, { u32: cols }]);
    return { label, pipeline, workgroups, bindGroup: bindGroup(this.device, label, pipeline, [params, dy, dbias]) };
  }

  private elementwise(label: string, rows: number, cols: number): { params: GPUBuffer; workgroups: [number, number, number] } {
    const workgroups = grid1d(groups(rows * cols, WG));
    const params = uniformBuffer(this.device, `${label}.params`, [{ u32: rows }, { u32: cols }, { u32: workgroups[0] * WG }]);
    return { params, workgroups };
  }
}
