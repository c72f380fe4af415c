// Owner of shaders/pa_grpo_loss.wgsl: the PA-GRPO / GRPO loss, its gradient w.r.t. the new
// log-probs, and per-segment stats, as three dispatches [sequence, finalize, gradient].

import source from '../../../shaders/pa_grpo_loss.wgsl?raw';
import { storageBuffer, uniformBuffer } from '../buffers';
import { bindSlots, grid1d, groups, type Dispatch } from '../dispatch';
import { computePipeline } from '../pipeline';
import { PA_GRPO_LOSS_DEFAULTS, type PaGrpoLossConfig } from '../reference/pa_grpo_loss';

export { LOSS_LENGTH, STATS_LENGTH, statIndex, SEGMENT, PA_GRPO_LOSS_DEFAULTS, type PaGrpoLossConfig } from '../reference/pa_grpo_loss';

const WG = 128;
const FILE = 'shaders/pa_grpo_loss.wgsl';
const AGGREGATION = { 'seq-mean-token-mean': 0, 'token-mean': 1, 'seq-mean-token-sum-norm': 2 } as const;
const WEIGHTING = { 'token-share': 0, equal: 1 } as const;

export interface PaGrpoLossArgs {
  B: number;
  T: number;
  /** (B, T) f32 each, row-major (b*T + t). */
  logp: GPUBuffer;
  oldLogp: GPUBuffer;
  refLogp: GPUBuffer;
  /** (B, T) u32: 0 padding, 1 perception, 2 reasoning. */
  segment: GPUBuffer;
  /** (B, 2) f32: [A_perception, A_reasoning] per rollout. */
  advantages: GPUBuffer;
  /** (4) f32 out: [loss, policy part, KL part before β, valid rows]. */
  loss: GPUBuffer;
  /** (12) f32 out: see STATS_LENGTH in src/gpu/reference/pa_grpo_loss.ts. */
  stats: GPUBuffer;
  /** (B, T) f32 out: ∂loss/∂logp, 0 on padding. */
  dlogp: GPUBuffer;
  config?: Partial<PaGrpoLossConfig>;
  label?: string;
}

type Entry = 'sequence' | 'finalize' | 'gradient';

export class PaGrpoLoss {
  private constructor(
    private readonly device: GPUDevice,
    private readonly pipelines: Record<Entry, GPUComputePipeline>,
  ) {}

  static async create(device: GPUDevice): Promise<PaGrpoLoss> {
    const sources = [{ file: FILE, code: source }];
    const make = (entryPoint: Entry) => computePipeline(device, { label: `PaGrpoLoss.${entryPoint}`, sources, entryPoint, constants: { WG } });
    const [sequence, finalize, gradient] = await Promise.all([make('sequence'), make('finalize'), make('gradient')]);
    return new PaGrpoLoss(device, { sequence, finalize, gradient });
  }

  /**
   * [sequence, finalize, gradient]: writes loss, stats and dlogp. The config is fixed per binding
   * (bind again to change it); the dispatches are reusable every step. B <= 65535.
   */
  bind(args: PaGrpoLossArgs): Dispatch[] {
    const { B, T } = args;
    const label = args.label ?? 'PaGrpoLoss';
    if (!(B >= 1 && B <= 65535 && T >= 1)) throw new Error(`${label}: need 1 <= B <= 65535 and T >= 1, got B=${B}, T=${T}`);
    const c = { ...PA_GRPO_LOSS_DEFAULTS, ...args.config };
    const gradientGroups = grid1d(groups(B * T, WG));
    const params = uniformBuffer(this.device, `${label}.params`, [
      { u32: B },
      { u32: T },
      { u32: AGGREGATION[c.aggregation] },
      { u32: WEIGHTING[c.segmentWeighting] },
      { f32: c.clipLow },
      { f32: c.clipHigh },
      { f32: c.beta },
      { f32: c.klClamp },
      { u32: gradientGroups[0] * WG },
    ]);
    const seqSums = storageBuffer(this.device, `${label}.seqSums`, 12 * B);
    const coef = storageBuffer(this.device, `${label}.coef`, 2 * B);
    const inputs = [args.logp, args.oldLogp, args.refLogp, args.segment, args.advantages];
    // Each entry point uses a different subset of the bindings, so the bind groups name their slots.
    const slots: Record<Entry, [number, GPUBuffer][]> = {
      sequence: [[0, params], ...inputs.map((b, i): [number, GPUBuffer] => [i + 1, b]), [6, seqSums]],
      finalize: [[0, params], [6, seqSums], [7, coef], [8, args.loss], [9, args.stats]],
      gradient: [[0, params], ...inputs.map((b, i): [number, GPUBuffer] => [i + 1, b]), [7, coef], [10, args.dlogp]],
    };
    const workgroups: Record<Entry, [number, number, number]> = { sequence: [B, 1, 1], finalize: [1, 1, 1], gradient: gradientGroups };
    return (['sequence', 'finalize', 'gradient'] as const).map((entry) => {
      const pipeline = this.pipelines[entry];
      const name = `${label}.${entry}`;
      const bindGroup = bindSlots(this.device, name, pipeline, slots[entry]);
      return { label: name, pipeline, bindGroup, workgroups: workgroups[entry] };
    });
  }
}
