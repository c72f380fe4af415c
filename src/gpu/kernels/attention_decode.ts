// Owner of shaders/attention_decode.wgsl: causal multi-head attention for one query row per sequence
// (a generation step against the KV cache), reading the same packed QKV layout as Attention.

import decodeSource from '../../../shaders/attention_decode.wgsl?raw';
import { storageBuffer, uniformBuffer } from '../buffers';
import { bindGroup, type Dispatch } from '../dispatch';
import { computePipeline } from '../pipeline';
import { isCpuDevice } from '../device';
import { ATTENTION_HEAD_DIMS } from './attention';

// Generation measurements (SwiftShader, 2-core shared machine; tiny preset C=32 H=2 D=16 T=128,
// 2 layers; G=4 completions of up to 64 new tokens after a 20-token prefill, prefill included; wall
// ms of Decoder.generate, median of 7 after a warm-up, before/after alternating in one process over
// the same GpuModel; throwaway script; both variants sampled identical ids):
//                                                    run 1    run 2 (machine busier)
//   before: full causal kernel over rows 0..t         8689    12375
//   after:  this kernel, row t only                   4960     7416    (1.67-1.75x)
// What remains per step is mostly the ~20 other dispatches, the per-row cache copies and the logits
// read-back of every token, not attention.
/** Threads per workgroup = keys per staged tile, on a GPU. */
export const GPU_DECODE_THREADS = 64;

/**
 * On a CPU adapter: the fewest threads the combine allows, D / 4 (one vec4 column each). A CPU runs a
 * workgroup's lanes in turn and every barrier switches between them, so fewer threads mean fewer
 * switches and shorter tree reductions. SwiftShader, B 8, T 44, H 4, D 16, pos 26-40, ms per
 * dispatch (interleaved in one process, median of 7): 64 threads 15.7, 32 4.8, 16 4.2, 8 3.7, 4 2.1.
 */
export function cpuDecodeThreads(D: number): number {
  return Math.max(4, D / 4);
}

/** Threads per workgroup for head dim D on a device: D / 4 on a CPU adapter, 64 on a GPU. */
export function decodeThreadsFor(device: GPUDevice, D: number): number {
  return isCpuDevice(device) ? cpuDecodeThreads(D) : GPU_DECODE_THREADS;
}

export interface AttentionDecodeArgs {
  /** Sequences. */
  B: number;
  /** Padded sequence length of the cache (rows per sequence in qkv and out). */
  T: number;
  /** Heads. */
  H: number;
  /** Head dim (16, 32 or 64); C = H·D. */
  D: number;
  /** (B*T, 3C) QKV projection output = (B, T, 3, H, D): the cache, rows 0..pos[b] valid. */
  qkv: GPUBuffer;
  /** (B) u32 position of each sequence's query row; it attends to keys 0..pos[b]. pos[b] >= T: skipped. */
  pos: GPUBuffer;
  /** (B*T, C) = (B, T, H, D): row pos[b] of each sequence written, every other row untouched. */
  out: GPUBuffer;
  /** (B, H, T): entry pos[b] written with the logsumexp of the scaled scores. Omitted: a scratch buffer. */
  lse?: GPUBuffer;
  label?: string;
}

export class AttentionDecode {
  private constructor(
    private readonly device: GPUDevice,
    private readonly pipelines: Map<number, GPUComputePipeline>,
  ) {}

  /** Builds the decode pipeline for each head dim in `headDims` (16, 32 and 64 by default). */
  /** `threads(D)`: threads per workgroup, a power of two and a multiple of D / 4; default decodeThreadsFor. */
  static async create(
    device: GPUDevice,
    headDims: readonly number[] = ATTENTION_HEAD_DIMS,
    threads: (D: number) => number = (D) => decodeThreadsFor(device, D),
  ): Promise<AttentionDecode> {
    const pipelines = new Map<number, GPUComputePipeline>();
    await Promise.all(
      headDims.map(async (D) => {
        const WG = threads(D);
        if (!(WG >= 1 && WG <= 256 && (WG & (WG - 1)) === 0)) throw new RangeError(`AttentionDecode: ${WG} threads is not a power of two up to 256`);
        checkHeadDim(D, WG);
        const pipeline = await computePipeline(device, {
          label: `AttentionDecode.D${D}`,
          sources: [{ file: 'shaders/attention_decode.wgsl', code: decodeSource }],
          constants: { WG, D },
        });
        pipelines.set(D, pipeline);
      }),
    );
    return new AttentionDecode(device, pipelines);
  }

  /**
   * One dispatch: row pos[b] of out (and lse) for every sequence b. Grid: (B·H). The bind group and
   * uniform are built here once; write new positions into `pos` and encode it again each step.
   */
  forward(args: AttentionDecodeArgs): Dispatch[] {
    const { B, T, H, D } = args;
    const label = args.label ?? 'AttentionDecode';
    const pipeline = this.pipelines.get(D);
    if (!pipeline) {
      throw new Error(
        `AttentionDecode: head dim ${D} has no pipeline (built: ${[...this.pipelines.keys()].join(', ')}); pass it to AttentionDecode.create`,
      );
    }
    if (B * H > 65535) throw new Error(`AttentionDecode: B·H = ${B * H} exceeds 65535 workgroups; split the batch`);
    const params = uniformBuffer(this.device, `${label}.params`, [{ u32: B }, { u32: T }, { u32: H }, { u32: H * D }, { f32: 1 / Math.sqrt(D) }]);
    const lse = args.lse ?? storageBuffer(this.device, `${label}.lse`, B * H * T);
    return [
      {
        label,
        pipeline,
        workgroups: [B * H, 1, 1],
        bindGroup: bindGroup(this.device, label, pipeline, [params, args.qkv, args.pos, args.out, lse]),
      },
    ];
  }
}

function checkHeadDim(D: number, WG: number): void {
  // The combine needs WG to be a multiple of D/4 lanes: with WG = 64, head dims 4·2^k up to 256 work;
  // the model (and the full kernel) use 16, 32, 64.
  if (!Number.isInteger(D) || D < 4 || D % 4 !== 0 || WG % (D / 4) !== 0) {
    throw new Error(`AttentionDecode: head dim ${D} unsupported; use 16, 32 or 64`);
  }
}
