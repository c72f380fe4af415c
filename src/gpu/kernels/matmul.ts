// Owner of shaders/matmul.wgsl and shaders/matmul_registers.wgsl: tiled C = op(A)·op(B) (and C += ...)
// in the variants a transformer's forward and backward passes need, each its own pipeline (transposes
// and accumulate are overrides). Two kernels with one interface (bindings, Params, batching): staged
// workgroup-memory tiles for GPUs, and register tiles without workgroup memory or barriers for CPU
// implementations of WebGPU, where they are 3-5x faster (see REGISTER_TILES). `create` picks one from
// the device's adapter.

import matmulSource from '../../../shaders/matmul.wgsl?raw';
import matmulRegistersSource from '../../../shaders/matmul_registers.wgsl?raw';
import { uniformBuffer } from '../buffers';
import { isCpuDevice } from '../device';
import { bindGroup, groups, type Dispatch } from '../dispatch';
import { computePipeline } from '../pipeline';

/** Which operands are stored transposed: 'NT' is A (M,K) times Bᵀ with B stored (N,K). */
export type MatmulVariant = 'NN' | 'NT' | 'TN' | 'TT';

export const MATMUL_VARIANTS: readonly MatmulVariant[] = ['NN', 'NT', 'TN', 'TT'];

/** Threads per workgroup and staged depth; each thread computes a 4×4 block of C. */
export interface MatmulTiles {
  wgX: number;
  wgY: number;
  tileK: number;
}

/**
 * The default tile. Measured on SwiftShader (Dawn in Node, 2 shared cores, so ±20% noise), NN, median
 * of 9 runs, ms for M×N×K = 256·256·256 / 512·64·64 / 512·256·64 / 129·129·129:
 *   8×8 threads,   TILE_K 16 (32×32 of C, 4 KiB shared):  36 / 7.5 / 29 / 10   <- chosen
 *   8×8 threads,   TILE_K 32 (32×32 of C, 8 KiB shared):  34 / 10  / 40 / 12
 *   8×8 threads,   TILE_K 8  (32×32 of C, 2 KiB shared):  46 / 6.3 / 29 / 9.6
 *   16×16 threads, TILE_K 16 (64×64 of C, 8 KiB shared):  40 / 10  / 44 / 17
 *   naive (bench/kernels/matmul_naive.wgsl, 16×16):       180 / 12 / 80 / 42
 * Smaller tiles also mean more workgroups for the small matrices of a tiny transformer on a real GPU.
 */
export const DEFAULT_TILES: MatmulTiles = { wgX: 8, wgY: 8, tileK: 16 };

/** Outputs per thread along M and N (TM, TN in matmul.wgsl). */
const THREAD_BLOCK = 4;

/**
 * 'workgroup': shaders/matmul.wgsl (4×4 outputs a thread, staged tiles in workgroup memory), for GPUs.
 * 'registers': shaders/matmul_registers.wgsl (8×8 outputs a thread, straight from storage), for CPUs.
 */
export type MatmulStrategy = 'workgroup' | 'registers';

/**
 * Threads of the register kernel (8×8, each with an 8×8 block of C: a 64×64 tile per workgroup).
 * Measured on SwiftShader (Dawn in Node, 2 cores shared with other jobs, so noisy), ms, median of 5,
 * M×N×K at the tiny preset's shapes, workgroup kernel → register kernel:
 *   NT 704·192·64: 52.6 → 14.3   NN 704·64·128: 27.8 → 6.4   TN 64·64·704: 11.2 → 5.0
 *   704·256·64: 83.0 → 17.7      256·256·256: 67.8 → 24.0
 * Per thread, 8×8 beat 4×4 (26.6 ms at 704·192·64), 8×4 (16.7), 4×8 (17.2), 16×8 and 12×8 (mixed);
 * 8×8 threads beat 4×4, 16×4 and 4×16 threads across shapes taken together.
 */
export const REGISTER_TILES: MatmulTiles = { wgX: 8, wgY: 8, tileK: 0 };
const REGISTER_BLOCK = 8;

/**
 * The register kernel's second tile, 4×4 threads (32×32 of C a workgroup), for products whose C is
 * small: a workgroup runs on one core, so a 64×64 C (a weight gradient, K = B·T) in one 8×8-thread
 * workgroup leaves every other core idle. SwiftShader, 64·64·704 TN-like: 8×8 threads 5.0 ms, 4×4 2.4.
 * Used when 8×8 threads would give fewer than SMALL_PRODUCT_WORKGROUPS workgroups.
 */
export const SMALL_REGISTER_TILES: MatmulTiles = { wgX: 4, wgY: 4, tileK: 0 };
export const SMALL_PRODUCT_WORKGROUPS = 8;

/** The kernel a device should use: register tiles on a CPU adapter, workgroup tiles otherwise. */
export function matmulStrategyFor(device: GPUDevice): MatmulStrategy {
  return isCpuDevice(device) ? 'registers' : 'workgroup';
}

export interface MatmulArgs {
  /** Per batch (M,K) row-major, or (K,M) when the variant starts with 'T'. */
  a: GPUBuffer;
  /** Per batch (K,N) row-major, or (N,K) when the variant ends with 'T'. */
  b: GPUBuffer;
  /** Per batch (M,N) row-major; written, or added to when `accumulate`. */
  c: GPUBuffer;
  m: number;
  n: number;
  k: number;
  /** Default 'NN'. */
  variant?: MatmulVariant;
  /** C += op(A)·op(B) instead of C = op(A)·op(B). Default false. */
  accumulate?: boolean;
  /** Independent matmuls in one dispatch (workgroup z), at most 65535. Default 1. */
  batch?: number;
  /** Elements between consecutive batches; default packed (M·K, K·N, M·N). */
  strideA?: number;
  strideB?: number;
  strideC?: number;
  /** Elements before batch 0, to address a sub-range of a larger buffer. Default 0. */
  offsetA?: number;
  offsetB?: number;
  offsetC?: number;
  label?: string;
}

function pipelineKey(variant: MatmulVariant, accumulate: boolean): string {
  return `${variant}${accumulate ? '+=' : '='}`;
}

export class Matmul {
  private constructor(
    private readonly device: GPUDevice,
    private readonly pipelines: Map<string, GPUComputePipeline>,
    readonly tiles: MatmulTiles,
    readonly strategy: MatmulStrategy,
  ) {}

  /**
   * Builds the eight pipelines (four transpose variants, with and without accumulate) of one kernel:
   * `strategy` defaults to the device's (matmulStrategyFor); `tiles` applies to the workgroup kernel.
   */
  static async create(device: GPUDevice, tiles: MatmulTiles = DEFAULT_TILES, strategy: MatmulStrategy = matmulStrategyFor(device)): Promise<Matmul> {
    if (strategy === 'registers') tiles = REGISTER_TILES;
    if (tiles.wgX * tiles.wgY > 256) throw new RangeError(`Matmul: ${tiles.wgX}×${tiles.wgY} threads exceed the default 256 per workgroup`);
    const sharedBytes = tiles.tileK * (tiles.wgX + tiles.wgY) * THREAD_BLOCK * 4;
    if (sharedBytes > 16384) throw new RangeError(`Matmul: tiles need ${sharedBytes} bytes of workgroup memory, over the default 16 KiB`);
    const file = strategy === 'registers' ? 'shaders/matmul_registers.wgsl' : 'shaders/matmul.wgsl';
    const code = strategy === 'registers' ? matmulRegistersSource : matmulSource;
    const pipelines = new Map<string, GPUComputePipeline>();
    const tileSets: [string, MatmulTiles][] = strategy === 'registers' ? [['', tiles], ['.small', SMALL_REGISTER_TILES]] : [['', tiles]];
    await Promise.all(
      tileSets.flatMap(([suffix, t]) =>
        MATMUL_VARIANTS.flatMap((variant) =>
          [false, true].map(async (accumulate) => {
            const label = `Matmul.${variant}${accumulate ? '.accumulate' : ''}${suffix}`;
            const constants: Record<string, number> = {
              TRANS_A: variant[0] === 'T' ? 1 : 0,
              TRANS_B: variant[1] === 'T' ? 1 : 0,
              ACCUMULATE: accumulate ? 1 : 0,
              WG_X: t.wgX,
              WG_Y: t.wgY,
            };
            if (strategy === 'workgroup') constants.TILE_K = t.tileK;
            const pipeline = await computePipeline(device, { label, sources: [{ file, code }], constants });
            pipelines.set(pipelineKey(variant, accumulate) + suffix, pipeline);
          }),
        ),
      ),
    );
    return new Matmul(device, pipelines, tiles, strategy);
  }

  /**
   * A reusable dispatch of C = op(A)·op(B) (or C += ...) for these buffers and sizes. The uniform
   * block and bind group are built here, once; encode the result as often as wanted.
   */
  bind(args: MatmulArgs): Dispatch {
    const { a, b, c, m, n, variant = 'NN', accumulate = false, batch = 1 } = args;
    const label = args.label ?? `Matmul.${variant}${accumulate ? '.accumulate' : ''}`;
    const params = matmulParams(this.device, label, args, 4);
    let pipeline = this.pipelines.get(pipelineKey(variant, accumulate));
    if (!pipeline) throw new RangeError(`${label}: unknown variant '${variant}' (expected ${MATMUL_VARIANTS.join(', ')})`);
    const block = this.strategy === 'registers' ? REGISTER_BLOCK : THREAD_BLOCK;
    let tiles = this.tiles;
    let workgroups: [number, number, number] = [groups(n, tiles.wgX * block), groups(m, tiles.wgY * block), batch];
    if (this.strategy === 'registers' && workgroups[0] * workgroups[1] * batch < SMALL_PRODUCT_WORKGROUPS) {
      tiles = SMALL_REGISTER_TILES;
      pipeline = this.pipelines.get(pipelineKey(variant, accumulate) + '.small')!;
      workgroups = [groups(n, tiles.wgX * block), groups(m, tiles.wgY * block), batch];
    }
    if (workgroups[0] > 65535 || workgroups[1] > 65535) throw new RangeError(`${label}: ${m}×${n} needs more than 65535 workgroups along one axis`);
    return { label, pipeline, workgroups, bindGroup: bindGroup(this.device, label, pipeline, [params, a, b, c]) };
  }
}

/**
 * The Params block of a matmul dispatch (shared by the matmul owners): resolves the default strides
 * and offsets, checks that every size is a u32, that the batch fits one dispatch and that A, B
 * (`abBytes` a stored element) and C (f32) are large enough, naming the operand.
 */
export function matmulParams(device: GPUDevice, label: string, args: MatmulArgs, abBytes: number): GPUBuffer {
  const { a, b, c, m, n, k, batch = 1 } = args;
  const strideA = args.strideA ?? m * k;
  const strideB = args.strideB ?? k * n;
  const strideC = args.strideC ?? m * n;
  const offsetA = args.offsetA ?? 0;
  const offsetB = args.offsetB ?? 0;
  const offsetC = args.offsetC ?? 0;
  for (const [name, v] of Object.entries({ m, n, k, batch, strideA, strideB, strideC, offsetA, offsetB, offsetC })) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${label}: ${name} = ${v} is not a u32`);
  }
  if (batch < 1 || batch > 65535) throw new RangeError(`${label}: batch = ${batch}; one dispatch takes 1..65535 batches`);
  const need = (offset: number, stride: number, size: number, bytes: number) => (offset + (batch - 1) * stride + size) * bytes;
  for (const [name, buffer, bytes] of [
    ['A', a, need(offsetA, strideA, m * k, abBytes)],
    ['B', b, need(offsetB, strideB, k * n, abBytes)],
    ['C', c, need(offsetC, strideC, m * n, 4)],
  ] as const) {
    if (buffer.size < bytes) throw new RangeError(`${label}: ${name} (${buffer.label}) has ${buffer.size} bytes, needs ${bytes}`);
  }
  return uniformBuffer(device, `${label}.params`, [
    { u32: m },
    { u32: n },
    { u32: k },
    { u32: strideA },
    { u32: strideB },
    { u32: strideC },
    { u32: offsetA },
    { u32: offsetB },
    { u32: offsetC },
  ]);
}
