// Owner of shaders/cross_entropy_forward.wgsl and shaders/cross_entropy_backward.wgsl: per-row
// softmax cross-entropy over the vocabulary (loss, label log-prob, entropy, logsumexp) and its
// gradient w.r.t. the logits given dLoss/dlogp per row.

import forwardSource from '../../../shaders/cross_entropy_forward.wgsl?raw';
import backwardSource from '../../../shaders/cross_entropy_backward.wgsl?raw';
import { uniformBuffer } from '../buffers';
import { bindGroup, grid1d, type Dispatch } from '../dispatch';
import { computePipeline } from '../pipeline';

/** Threads per row; a power of two (tree reductions). */
const WG = 256;

export interface CrossEntropyForwardArgs {
  /** (N, V) */
  logits: GPUBuffer;
  /** (N) i32 label ids; −1 (any id outside [0, V)) ignores the row. */
  labels: GPUBuffer;
  /** (N) written: −log p[label], 0 for ignored rows. */
  loss: GPUBuffer;
  /** (N) written: log p[label], 0 for ignored rows. */
  logp: GPUBuffer;
  /** (N) written: −Σ p log p in nats, for every row. */
  entropy: GPUBuffer;
  /** (N) written: log Σ e^logits, for the backward pass. */
  lse: GPUBuffer;
  N: number;
  V: number;
  label?: string;
}

export interface CrossEntropyBackwardArgs {
  /** (N, V) the forward pass's logits. */
  logits: GPUBuffer;
  /** (N) i32 label ids, as in the forward pass. */
  labels: GPUBuffer;
  /** (N) from the forward pass. */
  lse: GPUBuffer;
  /** (N) dLoss/dlogp per row (SFT mean loss: −1/count for counted rows). */
  dlogp: GPUBuffer;
  /** (N, V) written: dLoss/dlogits; rows that are ignored get 0. */
  dlogits: GPUBuffer;
  N: number;
  V: number;
  label?: string;
}

export class CrossEntropy {
  private constructor(
    private readonly device: GPUDevice,
    private readonly forwardPipeline: GPUComputePipeline,
    private readonly backwardPipeline: GPUComputePipeline,
  ) {}

  static async create(device: GPUDevice): Promise<CrossEntropy> {
    const [forward, backward] = await Promise.all([
      computePipeline(device, {
        label: 'CrossEntropy.forward',
        sources: [{ file: 'shaders/cross_entropy_forward.wgsl', code: forwardSource }],
        constants: { WG },
      }),
      computePipeline(device, {
        label: 'CrossEntropy.backward',
        sources: [{ file: 'shaders/cross_entropy_backward.wgsl', code: backwardSource }],
        constants: { WG },
      }),
    ]);
    return new CrossEntropy(device, forward, backward);
  }

  /** loss, logp, entropy and lse per row. One workgroup per row. */
  forward(args: CrossEntropyForwardArgs): Dispatch {
    const label = args.label ?? 'CrossEntropy.forward';
    const workgroups = grid1d(args.N);
    const params = this.params(label, args.N, args.V, workgroups[0]);
    const pipeline = this.forwardPipeline;
    const buffers = [params, args.logits, args.labels, args.loss, args.logp, args.entropy, args.lse];
    return { label, pipeline, workgroups, bindGroup: bindGroup(this.device, label, pipeline, buffers) };
  }

  /** dlogits = dlogp · (onehot(label) − softmax). One workgroup per row. */
  backward(args: CrossEntropyBackwardArgs): Dispatch {
    const label = args.label ?? 'CrossEntropy.backward';
    const workgroups = grid1d(args.N);
    const params = this.params(label, args.N, args.V, workgroups[0]);
    const pipeline = this.backwardPipeline;
    const buffers = [params, args.logits, args.labels, args.lse, args.dlogp, args.dlogits];
    return { label, pipeline, workgroups, bindGroup: bindGroup(this.device, label, pipeline, buffers) };
  }

  private params(label: string, N: number, V: number, groupsX: number): GPUBuffer {
    return uniformBuffer(this.device, `${label}.params`, [{ u32: N }, { u32: V }, { u32: groupsX }]);
  }
}
