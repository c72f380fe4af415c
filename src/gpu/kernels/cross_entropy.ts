// Owner of shaders/cross_entropy_forward.wgsl and shaders/cross_entropy_backward.wgsl: per-row
// softmax cross-entropy over the vocabulary (loss, label log-prob, entropy, logsumexp) and its
// gradient w.r.t. the logits given dLoss/dlogp per row.

import forwardSource from '../../../shaders/cross_entropy_forward.wgsl?raw';
import backwardSource from '../../../shaders/cross_entropy_backward.wgsl?raw';
import { uniformBuffer } from '../buffers';
import { bindGroup, grid1d, groups, type Dispatch } from '../dispatch';
import { computePipeline } from '../pipeline';

/** Backward: threads per row; a power of two (tree reductions). */
const WG = 256;
/**
 * Forward: threads per row (a power of two: tree reductions) and rows per workgroup. V is 260 (the
 * byte-level tokenizer), so a few threads per row suffice; one online pass (max, Σe, Σe·x together)
 * and a 2-level tree replace three passes and two 8-level trees over 256 threads per row.
 * Measured (Dawn on SwiftShader, N = 256 × V = 260, 10 dispatches per sample, GPU-timestamp medians
 * of 15 interleaved samples in one process, throwaway script over bench/timing.ts):
 *   before (one-pass-per-statistic, WG 256, one row per workgroup): 4519 ms / 10 (6673 ms in a rerun)
 *   after, TPR × RPW = 32 × 2: 122 ms, 16 × 4: 67 ms, 8 × 8: 36 ms, 4 × 16: 25 ms (18.6 ms in the
 *   rerun), 1 × 64: 15 ms. 4 × 16 is kept: ~200x faster here, and still 4 threads per row and 16
 *   workgroups for N = 256 on a real GPU, where a single thread per row would leave most of it idle.
 */
const FORWARD_TPR = 4;
const FORWARD_RPW = 16;

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
        constants: { TPR: FORWARD_TPR, RPW: FORWARD_RPW },
      }),
      computePipeline(device, {
        label: 'CrossEntropy.backward',
        sources: [{ file: 'shaders/cross_entropy_backward.wgsl', code: backwardSource }],
        constants: { WG },
      }),
    ]);
    return new CrossEntropy(device, forward, backward);
  }

  /** loss, logp, entropy and lse per row. FORWARD_RPW rows per workgroup. */
  forward(args: CrossEntropyForwardArgs): Dispatch {
    const label = args.label ?? 'CrossEntropy.forward';
    const workgroups = grid1d(groups(args.N, FORWARD_RPW));
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
