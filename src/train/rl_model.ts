// The PA-GRPO loss on the policy's own forward pass, without touching src/model: GpuModel's forward
// leaves the teacher-forced log p[target] of every row in internals.logp, and its backward starts from
// the per-row dLoss/dlogp in internals.inputs.dlogp (cross-entropy backward gives dlogits =
// dlogp·(onehot − softmax)). So one update is
//   policy.forward()  →  PaGrpoLoss(logp, old, ref, segment, advantages) writes inputs.dlogp
//   →  policy.run({ lr })   (forward again, identical, then backward from that dlogp, clip, AdamW).
// The second forward costs one extra forward pass per update; GpuModel.run encodes forward and
// backward in one command buffer, so the loss dispatches cannot sit between them without editing
// src/model. (TODO(model): a run() hook between the passes removes the repeated forward.)

import { readF32, storageBuffer } from '../gpu/buffers';
import { encodeAll, type Dispatch } from '../gpu/dispatch';
import { LOSS_LENGTH, PaGrpoLoss, STATS_LENGTH, statIndex, type PaGrpoLossConfig } from '../gpu/kernels/pa_grpo_loss';
import type { GpuModel } from '../model/model';

export interface PolicyLossResult {
  /** Σ w·(pg + β·k3): the aggregated PA-GRPO loss. */
  loss: number;
  /** Policy part Σ w·pg. */
  pgLoss: number;
  /** KL part Σ w·k3 (before β). */
  klLoss: number;
  validSequences: number;
  /** Per segment (perception, reasoning, all): token count, clip fraction, mean ratio, mean k3. */
  stats: Record<'perception' | 'reasoning' | 'all', { count: number; clipFraction: number; meanRatio: number; meanKl: number }>;
}

/** The per-step inputs of the loss, (B, T) rows of the policy's batch. */
export interface PolicyLossInputs {
  /** u32 0 pad, 1 perception, 2 reasoning, on the row that predicts the token. */
  segment: Uint32Array;
  /** (B, 2) [A_P, A_R]. */
  advantages: Float32Array;
  oldLogp: Float32Array;
  refLogp: Float32Array;
}

export class PolicyLoss {
  readonly buffers: { segment: GPUBuffer; advantages: GPUBuffer; oldLogp: GPUBuffer; refLogp: GPUBuffer; loss: GPUBuffer; stats: GPUBuffer };

  private constructor(
    readonly policy: GpuModel,
    private readonly kernel: PaGrpoLoss,
    readonly config: Partial<PaGrpoLossConfig>,
  ) {
    const { device, B, T } = policy;
    const buf = (name: string, n: number) => storageBuffer(device, `PolicyLoss.${name}`, n);
    this.buffers = {
      segment: buf('segment', B * T),
      advantages: buf('advantages', B * 2),
      oldLogp: buf('oldLogp', B * T),
      refLogp: buf('refLogp', B * T),
      loss: buf('loss', LOSS_LENGTH),
      stats: buf('stats', STATS_LENGTH),
    };
    this.dispatches = kernel.bind({
      B,
      T,
      logp: policy.internals.logp,
      oldLogp: this.buffers.oldLogp,
      refLogp: this.buffers.refLogp,
      segment: this.buffers.segment,
      advantages: this.buffers.advantages,
      loss: this.buffers.loss,
      stats: this.buffers.stats,
      dlogp: policy.internals.inputs.dlogp,
      config,
      label: 'PolicyLoss',
    });
  }

  private readonly dispatches: Dispatch[];

  /** The loss's dispatches, as GpuModel.stepPlan() gives the model's (profiling: src/train/profile.ts). */
  plan(): readonly Dispatch[] {
    return this.dispatches;
  }

  static async create(policy: GpuModel, config: Partial<PaGrpoLossConfig> = {}, kernel?: PaGrpoLoss): Promise<PolicyLoss> {
    return new PolicyLoss(policy, kernel ?? (await PaGrpoLoss.create(policy.device)), config);
  }

  /** Queues the step's inputs (after policy.setBatch: it writes the SFT dlogp this loss overwrites). */
  upload(x: PolicyLossInputs): void {
    const q = this.policy.device.queue;
    const n = this.policy.B * this.policy.T;
    for (const [name, a, len] of [['segment', x.segment, n], ['advantages', x.advantages, this.policy.B * 2], ['oldLogp', x.oldLogp, n], ['refLogp', x.refLogp, n]] as const) {
      if (a.length !== len) throw new Error(`PolicyLoss.upload: ${name} has ${a.length} values, expected ${len}`);
    }
    q.writeBuffer(this.buffers.segment, 0, x.segment);
    q.writeBuffer(this.buffers.advantages, 0, x.advantages);
    q.writeBuffer(this.buffers.oldLogp, 0, x.oldLogp);
    q.writeBuffer(this.buffers.refLogp, 0, x.refLogp);
  }

  /**
   * Runs the loss over the policy's current internals.logp (call policy.forward() first) and writes
   * dL/dlogp into the policy's dlogp input; returns the loss and stats.
   */
  async evaluate(): Promise<PolicyLossResult> {
    const { device } = this.policy;
    device.queue.submit([encodeAll(device, 'PolicyLoss', this.dispatches)]);
    const loss = await readF32(device, this.buffers.loss, LOSS_LENGTH);
    const s = await readF32(device, this.buffers.stats, STATS_LENGTH);
    const seg = (k: 'perception' | 'reasoning' | 'all') => ({
      count: s[statIndex(k, 'count')],
      clipFraction: s[statIndex(k, 'clipFraction')],
      meanRatio: s[statIndex(k, 'meanRatio')],
      meanKl: s[statIndex(k, 'meanKl')],
    });
    return { loss: loss[0], pgLoss: loss[1], klLoss: loss[2], validSequences: loss[3], stats: { perception: seg('perception'), reasoning: seg('reasoning'), all: seg('all') } };
  }
}
