// Owner of shaders/embedding_forward.wgsl and shaders/embedding_backward.wgsl: token + position
// embedding (wte + wpe) and its deterministic scatter-add backward. wte, wpe and their gradients may
// be whole buffers or 256-byte-aligned slices ({buffer, offset, size}) of a flat parameter buffer.

import forwardSource from '../../../shaders/embedding_forward.wgsl?raw';
import backwardSource from '../../../shaders/embedding_backward.wgsl?raw';
import { uniformBuffer } from '../buffers';
import { bindGroup, bindSlots, grid1d, groups, type BufferSlice, type Dispatch } from '../dispatch';
import { computePipeline } from '../pipeline';

/** Threads per workgroup, one output element each. */
const WG = 256;
const BACKWARD_FILE = 'shaders/embedding_backward.wgsl';

export interface EmbeddingSizes {
  /** Sequences. */
  B: number;
  /** Sequence length (<= maxT). */
  T: number;
  /** Channels. */
  C: number;
  /** Vocabulary size: rows of wte. */
  V: number;
  /** Rows of wpe (the model's context length). */
  maxT: number;
}

export interface EmbeddingForwardArgs extends EmbeddingSizes {
  /** (B, T) token ids, u32 (an i32 buffer works; ids outside [0, V) embed as zero). */
  tokens: GPUBuffer;
  /** (V, C): a buffer or a slice of one. */
  wte: BufferSlice;
  /** (maxT, C): a buffer or a slice of one. */
  wpe: BufferSlice;
  /** (B·T, C) written. */
  x: GPUBuffer;
  label?: string;
}

export interface EmbeddingBackwardArgs extends EmbeddingSizes {
  /** (B, T) the forward pass's token ids. */
  tokens: GPUBuffer;
  /** (B·T, C) dLoss/dx. */
  dx: GPUBuffer;
  /** (V, C) dLoss/dwte: written, or added to with accumulate. */
  dwte: BufferSlice;
  /** (maxT, C) dLoss/dwpe: written (rows >= T get 0), or added to with accumulate. */
  dwpe: BufferSlice;
  /** Add to dwte and dwpe: wte tied to the LM head already holds its gradient, or micro-batches. */
  accumulate?: boolean;
  /**
   * The same token ids bucketed by bucketTokens (V + 1 + B·T u32). Given, dwte walks each token's own
   * positions instead of scanning all of them for every (v, c): same sums, bit for bit, far cheaper.
   */
  buckets?: GPUBuffer;
  label?: string;
}

/** u32s of a bucketTokens result for B·T positions and a vocabulary of V. */
export function bucketLength(positions: number, V: number): number {
  return V + 1 + positions;
}

/**
 * A stable counting sort of positions by token id, laid out as wte_grad_bucketed reads it:
 * [starts (V + 1) | positions], where token v's positions, ascending, are
 * positions[starts[v] .. starts[v + 1]). Ids outside [0, V) (padding −1) get no bucket.
 */
export function bucketTokens(tokens: ArrayLike<number>, V: number, out = new Uint32Array(bucketLength(tokens.length, V))): Uint32Array {
  if (out.length < bucketLength(tokens.length, V)) throw new RangeError(`bucketTokens: out has ${out.length} u32s, needs ${bucketLength(tokens.length, V)}`);
  out.fill(0, 0, V + 1);
  for (let p = 0; p < tokens.length; p++) {
    const v = tokens[p];
    if (v >= 0 && v < V) out[v + 1]++;
  }
  for (let v = 0; v < V; v++) out[v + 1] += out[v];
  const next = out.slice(0, V);
  for (let p = 0; p < tokens.length; p++) {
    const v = tokens[p];
    if (v >= 0 && v < V) out[V + 1 + next[v]++] = p;
  }
  return out;
}

export class Embedding {
  private constructor(
    private readonly device: GPUDevice,
    private readonly forwardPipeline: GPUComputePipeline,
    private readonly wtePipeline: GPUComputePipeline,
    private readonly wteBucketedPipeline: GPUComputePipeline,
    private readonly wpePipeline: GPUComputePipeline,
  ) {}

  static async create(device: GPUDevice): Promise<Embedding> {
    const backward = [{ file: BACKWARD_FILE, code: backwardSource }];
    const [forward, wte, wteBucketed, wpe] = await Promise.all([
      computePipeline(device, {
        label: 'Embedding.forward',
        sources: [{ file: 'shaders/embedding_forward.wgsl', code: forwardSource }],
        constants: { WG },
      }),
      computePipeline(device, { label: 'Embedding.wteGrad', sources: backward, entryPoint: 'wte_grad', constants: { WG } }),
      computePipeline(device, { label: 'Embedding.wteGradBucketed', sources: backward, entryPoint: 'wte_grad_bucketed', constants: { WG } }),
      computePipeline(device, { label: 'Embedding.wpeGrad', sources: backward, entryPoint: 'wpe_grad', constants: { WG } }),
    ]);
    return new Embedding(device, forward, wte, wteBucketed, wpe);
  }

  /** x = wte[tokens] + wpe[t]. */
  forward(args: EmbeddingForwardArgs): Dispatch {
    const label = args.label ?? 'Embedding.forward';
    checkSizes(label, args);
    const { B, T, C, V } = args;
    const params = uniformBuffer(this.device, `${label}.params`, [{ u32: B * T }, { u32: T }, { u32: C }, { u32: V }]);
    const pipeline = this.forwardPipeline;
    return {
      label,
      pipeline,
      workgroups: grid1d(groups(B * T * C, WG)),
      bindGroup: bindGroup(this.device, label, pipeline, [params, args.tokens, args.wte, args.wpe, args.x]),
    };
  }

  /** [dwte, dwpe] scatter-adds, each in position order. */
  backward(args: EmbeddingBackwardArgs): Dispatch[] {
    const label = args.label ?? 'Embedding.backward';
    checkSizes(label, args);
    const { B, T, C, V, maxT } = args;
    const params = uniformBuffer(this.device, `${label}.params`, [
      { u32: B * T },
      { u32: T },
      { u32: C },
      { u32: V },
      { u32: maxT },
      { u32: args.accumulate ? 1 : 0 },
    ]);
    // wte_grad reads tokens and dx and writes dwte; wpe_grad reads dx and writes dwpe.
    const bind = (name: string, pipeline: GPUComputePipeline, slots: [number, BufferSlice][]) =>
      bindSlots(this.device, `${label}.${name}`, pipeline, [[0, params], ...slots]);
    const { buckets } = args;
    if (buckets && buckets.size < bucketLength(B * T, V) * 4) {
      throw new RangeError(`${label}: buckets (${buckets.label}) has ${buckets.size} bytes, needs ${bucketLength(B * T, V) * 4}`);
    }
    return [
      buckets
        ? {
            label: `${label}.wte`,
            pipeline: this.wteBucketedPipeline,
            workgroups: grid1d(groups(V * C, WG)),
            bindGroup: bind('wte', this.wteBucketedPipeline, [[2, args.dx], [3, args.dwte], [5, buckets]]),
          }
        : {
            label: `${label}.wte`,
            pipeline: this.wtePipeline,
            workgroups: grid1d(groups(V * C, WG)),
            bindGroup: bind('wte', this.wtePipeline, [[1, args.tokens], [2, args.dx], [3, args.dwte]]),
          },
      {
        label: `${label}.wpe`,
        pipeline: this.wpePipeline,
        workgroups: grid1d(groups(maxT * C, WG)),
        bindGroup: bind('wpe', this.wpePipeline, [[2, args.dx], [4, args.dwpe]]),
      },
    ];
  }
}

function checkSizes(label: string, s: EmbeddingSizes): void {
  if (s.T > s.maxT) throw new Error(`${label}: sequence length T = ${s.T} exceeds the ${s.maxT} rows of wpe`);
}
