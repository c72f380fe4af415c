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
  label?: string;
}

export class Embedding {
  private constructor(
    private readonly device: GPUDevice,
    private readonly forwardPipeline: GPUComputePipeline,
    private readonly wtePipeline: GPUComputePipeline,
    private readonly wpePipeline: GPUComputePipeline,
  ) {}

  static async create(device: GPUDevice): Promise<Embedding> {
    const backward = [{ file: BACKWARD_FILE, code: backwardSource }];
    const [forward, wte, wpe] = await Promise.all([
      computePipeline(device, {
        label: 'Embedding.forward',
        sources: [{ file: 'shaders/embedding_forward.wgsl', code: forwardSource }],
        constants: { WG },
      }),
      computePipeline(device, { label: 'Embedding.wteGrad', sources: backward, entryPoint: 'wte_grad', constants: { WG } }),
      computePipeline(device, { label: 'Embedding.wpeGrad', sources: backward, entryPoint: 'wpe_grad', constants: { WG } }),
    ]);
    return new Embedding(device, forward, wte, wpe);
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
    return [
      {
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
