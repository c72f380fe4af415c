// Owner of shaders/attention_forward.wgsl and shaders/attention_backward.wgsl: causal multi-head
// flash-style attention over the packed QKV projection output, forward and backward.

import forwardSource from '../../../shaders/attention_forward.wgsl?raw';
import backwardSource from '../../../shaders/attention_backward.wgsl?raw';
import { storageBuffer, uniformBuffer } from '../buffers';
import { bindGroup, bindSlots, type Dispatch } from '../dispatch';
import { isCpuDevice } from '../device';
import { computePipeline } from '../pipeline';

// Backward measurements (SwiftShader, 2-core shared machine; B=1 H=4 T=256; process CPU ms of the
// backward pass, median of 5, variants alternating in one process, same run; bench/results throwaway):
//                                   D=32 bwd (dq / dkv)    D=64 bwd (dq / dkv)
//   before: masked full tiles         280 (76 / 125)        394 (153 / 203)
//   causal loop bounds                208 (84 / 166)        398 (155 / 200)
//   + P/dS per tile, d outermost      193 (87 /  84)        308 (131 / 163)   <- kept (1.3-1.45x)
//   same with BR = 32                 162 (74 /  94)        367 (138 / 212)   (mixed: not kept)
// Also tried, no clear win (within noise): BC = 8 at D=64 with BR 64 or 32; BR = 128; BR 64 for dq
// with 32 for dkv.
/**
 * Rows per block: `rows` threads per workgroup = query rows (forward, dq) or key rows (dkv) owned by
 * one workgroup; `keys` rows per staged K/V (or Q/dO) tile, per head dim (default tileRows).
 */
export interface AttentionBlocks {
  rows: number;
  keys?: (D: number) => number;
}

/** The blocks measured above, for GPUs. */
export const GPU_BLOCKS: AttentionBlocks = { rows: 64 };

/**
 * For CPU adapters: 16 query rows and 16-key tiles. A CPU runs masked lanes at full cost, so at short
 * sequences the 64-row blocks (64 threads for T = 44) and 64-key tiles at D = 16 mostly compute masked
 * scores; small blocks follow the causal triangle. SwiftShader, B 16, T 44, H 4, D 16, ms of one
 * layer (same process, interleaved, median of 7): forward 47.4 → 21.9, backward 69.9 → 42.3; 32 rows
 * 23.5 / 47.0, 16 rows with 8 keys 22.1 / 41.0, 8 rows with 8 keys 19.4 / 40.6.
 */
export const CPU_BLOCKS: AttentionBlocks = { rows: 16, keys: () => 16 };

/** The blocks for a device: small ones on a CPU adapter. */
export function attentionBlocksFor(device: GPUDevice): AttentionBlocks {
  return isCpuDevice(device) ? CPU_BLOCKS : GPU_BLOCKS;
}
/** Head dims the kernels support: multiples of 4 up to the register arrays' 64. */
export const ATTENTION_HEAD_DIMS = [16, 32, 64] as const;

/** Rows per staged K/V (or Q/dO) tile: BC·D = 1024 keeps two tiles at 8 KiB of workgroup memory. */
function tileRows(D: number): number {
  return Math.min(64, 1024 / D);
}

export interface AttentionSizes {
  /** Sequences. */
  B: number;
  /** Padded sequence length. */
  T: number;
  /** Heads. */
  H: number;
  /** Head dim (16, 32 or 64); C = H·D. */
  D: number;
}

export interface AttentionForwardArgs extends AttentionSizes {
  /** (B*T, 3C) QKV projection output = (B, T, 3, H, D). */
  qkv: GPUBuffer;
  /** (B*T, C) written = (B, T, H, D). */
  out: GPUBuffer;
  /** (B, H, T) written: logsumexp of the scaled scores, kept for the backward pass. */
  lse: GPUBuffer;
  /** (B) u32 valid length of each sequence. */
  lengths: GPUBuffer;
  label?: string;
}

export interface AttentionBackwardArgs extends AttentionSizes {
  qkv: GPUBuffer;
  /** (B*T, C) forward output. */
  out: GPUBuffer;
  /** (B*T, C) dLoss/dout. */
  dout: GPUBuffer;
  /** (B, H, T) from the forward pass. */
  lse: GPUBuffer;
  lengths: GPUBuffer;
  /** (B*T, 3C) written (every element): dLoss/dqkv. */
  dqkv: GPUBuffer;
  label?: string;
}

interface Pipelines {
  forward: GPUComputePipeline;
  dq: GPUComputePipeline;
  dkv: GPUComputePipeline;
}

export class Attention {
  private constructor(
    private readonly device: GPUDevice,
    private readonly pipelines: Map<number, Pipelines>,
    /** Threads per workgroup (BR). */
    readonly rows: number,
  ) {}

  /**
   * Builds the forward and backward pipelines for each head dim in `headDims` (all three by default).
   * `arrays`: register arrays sized for each D ('sized', faster) or for D = 64 ('largest', as before).
   */
  static async create(
    device: GPUDevice,
    headDims: readonly number[] = ATTENTION_HEAD_DIMS,
    arrays: AttentionArrays = 'sized',
    blocks: AttentionBlocks = attentionBlocksFor(device),
  ): Promise<Attention> {
    const BR = blocks.rows;
    const keysOf = blocks.keys ?? tileRows;
    const pipelines = new Map<number, Pipelines>();
    await Promise.all(
      headDims.map(async (D) => {
        checkHeadDim(D);
        const BC = keysOf(D);
        if (!(BR >= 1 && BR <= 256 && BC >= 1 && BC <= 64 && BC * D <= 2048)) throw new RangeError(`Attention: blocks of ${BR} rows and ${BC} keys at D ${D} are out of range`);
        const constants = { BR, BC, D };
        const sized = (code: string) => (arrays === 'sized' ? sizeRegisterArrays(code, D, BC) : code);
        const [forward, dq, dkv] = await Promise.all([
          computePipeline(device, {
            label: `Attention.forward.D${D}`,
            sources: [{ file: 'shaders/attention_forward.wgsl', code: sized(forwardSource) }],
            constants,
          }),
          computePipeline(device, {
            label: `Attention.backward.dq.D${D}`,
            sources: [{ file: 'shaders/attention_backward.wgsl', code: sized(backwardSource) }],
            entryPoint: 'dq',
            constants,
          }),
          computePipeline(device, {
            label: `Attention.backward.dkv.D${D}`,
            sources: [{ file: 'shaders/attention_backward.wgsl', code: sized(backwardSource) }],
            entryPoint: 'dkv',
            constants,
          }),
        ]);
        pipelines.set(D, { forward, dq, dkv });
      }),
    );
    return new Attention(device, pipelines, BR);
  }

  /** One dispatch: out and lse from qkv. Grid: (ceil(T/BR) query blocks, B·H). */
  forward(args: AttentionForwardArgs): Dispatch[] {
    const label = args.label ?? 'Attention.forward';
    const { forward } = this.pipelinesFor(args);
    const params = this.params(label, args);
    return [
      {
        label,
        pipeline: forward,
        workgroups: this.grid(args),
        bindGroup: bindGroup(this.device, label, forward, [params, args.qkv, args.lengths, args.out, args.lse]),
      },
    ];
  }

  /**
   * Two dispatches, in order: dq (also writes Δ = rowsum(dO ∘ O) to a scratch buffer owned by
   * these dispatches), then dk/dv. Together they write every element of dqkv.
   */
  backward(args: AttentionBackwardArgs): Dispatch[] {
    const label = args.label ?? 'Attention.backward';
    const { dq, dkv } = this.pipelinesFor(args);
    const params = this.params(label, args);
    const delta = storageBuffer(this.device, `${label}.delta`, args.B * args.H * args.T);
    const buffers = [params, args.qkv, args.out, args.dout, args.lse, args.lengths, delta, args.dqkv];
    const workgroups = this.grid(args);
    return [
      { label: `${label}.dq`, pipeline: dq, workgroups, bindGroup: bindGroup(this.device, `${label}.dq`, dq, buffers) },
      {
        label: `${label}.dkv`,
        pipeline: dkv,
        workgroups,
        // dkv never reads `out` (binding 2): auto layouts only hold the bindings an entry point uses.
        bindGroup: bindSlots(this.device, `${label}.dkv`, dkv, buffers.flatMap((b, slot): [number, GPUBuffer][] => (slot === 2 ? [] : [[slot, b]]))),
      },
    ];
  }

  private pipelinesFor(sizes: AttentionSizes): Pipelines {
    const p = this.pipelines.get(sizes.D);
    if (!p) {
      throw new Error(
        `Attention: head dim ${sizes.D} has no pipeline (built: ${[...this.pipelines.keys()].join(', ')}); pass it to Attention.create`,
      );
    }
    if (sizes.B * sizes.H > 65535) throw new Error(`Attention: B·H = ${sizes.B * sizes.H} exceeds 65535 workgroups; split the batch`);
    return p;
  }

  private params(label: string, { B, T, H, D }: AttentionSizes): GPUBuffer {
    return uniformBuffer(this.device, `${label}.params`, [{ u32: B }, { u32: T }, { u32: H }, { u32: H * D }, { f32: 1 / Math.sqrt(D) }]);
  }

  private grid({ B, T, H }: AttentionSizes): [number, number, number] {
    return [Math.max(1, Math.ceil(T / this.rows)), B * H, 1];
  }
}

/** How the kernels' per-thread register arrays are sized: for the pipeline's D, or for the largest D. */
export type AttentionArrays = 'sized' | 'largest';

/**
 * Sizes the kernels' per-thread register arrays (MAX_D4 vec4s of a q/k/v row, MAX_BC scores) for this
 * pipeline's D and BC instead of the largest ones. WGSL cannot size a function-scope array with an
 * override, so the owner rewrites the two `const` lines; the line count stays, so compile errors
 * still point at the file's own lines. On SwiftShader the smaller arrays make attention about 2x
 * faster at D = 16 (numbers in src/gpu/kernels/attention.ts's header); a GPU compiler sees the same.
 */
export function sizeRegisterArrays(code: string, D: number, BC: number): string {
  const d4 = /^const MAX_D4 = \d+u;/m;
  const bc = /^const MAX_BC = \d+u;/m;
  if (!d4.test(code) || !bc.test(code)) throw new Error('Attention: a kernel lost its `const MAX_D4 = …u;` or `const MAX_BC = …u;` line');
  return code.replace(d4, `const MAX_D4 = ${D / 4}u;`).replace(bc, `const MAX_BC = ${BC}u;`);
}

function checkHeadDim(D: number): void {
  if (!Number.isInteger(D) || D % 4 !== 0 || D < 4 || D > 64) {
    throw new Error(`Attention: head dim ${D} unsupported; use a multiple of 4 up to 64 (16, 32, 64)`);
  }
}
