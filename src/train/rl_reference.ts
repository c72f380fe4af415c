// Float64 CPU reference of one PA-GRPO gradient: the reference model's forward (src/model/reference.ts),
// the loss's dL/dlogp (src/gpu/reference/pa_grpo_loss.ts), then the model's backward started from that
// per-row dlogp through the model reference's referenceBackward (the same backward as
// referenceLossAndGrads, which starts from the SFT −1/count); it is what the RL trainer's GPU gradient
// is tested against.

import { crossEntropyBackward, crossEntropyForward } from '../gpu/reference/cross_entropy';
import { paGrpoLoss, type PaGrpoLossConfig, type PaGrpoLossResult } from '../gpu/reference/pa_grpo_loss';
import type { Batch } from '../model/batch';
import type { ModelConfig } from '../model/config';
import type { ParamLayout } from '../model/params';
import { referenceBackward, referenceForward } from '../model/reference';

type Flat = Float32Array | Float64Array;

/** Teacher-forced log p[target] per row (0 where there is no target), float64. */
export function referenceLogProbs(params: Flat, layout: ParamLayout, m: ModelConfig, batch: Batch): Float64Array {
  const fwd = referenceForward(params, layout, m, batch);
  return Float64Array.from(crossEntropyForward(fwd.logits, batch.targets, batch.B * batch.T, m.vocabSize).logp);
}

/** dLoss/dparams (flat, layout order) for a loss whose gradient w.r.t. each row's log p[target] is `dlogp`. */
export function referenceGradsFromDlogp(params: Flat, layout: ParamLayout, m: ModelConfig, batch: Batch, dlogp: ArrayLike<number>): Float64Array {
  const N = batch.B * batch.T;
  const V = m.vocabSize;
  const fwd = referenceForward(params, layout, m, batch);
  const ce = crossEntropyForward(fwd.logits, batch.targets, N, V);
  const dlogits = crossEntropyBackward(fwd.logits, batch.targets, ce.lse, Float64Array.from(dlogp), N, V);
  return referenceBackward(params, layout, m, batch, fwd, dlogits);
}

/** The whole PA-GRPO gradient of one batch on the CPU: log-probs, loss, dL/dlogp, dL/dparams. */
export function referencePaGrpoGradient(
  params: Flat,
  layout: ParamLayout,
  m: ModelConfig,
  batch: Batch,
  x: { oldLogp: ArrayLike<number>; refLogp: ArrayLike<number>; segment: ArrayLike<number>; advantages: ArrayLike<number> },
  config: Partial<PaGrpoLossConfig> = {},
): { logp: Float64Array; loss: PaGrpoLossResult; grads: Float64Array } {
  const logp = referenceLogProbs(params, layout, m, batch);
  const loss = paGrpoLoss({ B: batch.B, T: batch.T, logp, ...x }, config);
  return { logp, loss, grads: referenceGradsFromDlogp(params, layout, m, batch, loss.dlogp) };
}
