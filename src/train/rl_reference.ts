// Float64 CPU reference of one PA-GRPO gradient: the reference model's forward (src/model/reference.ts),
// the loss's dL/dlogp (src/gpu/reference/pa_grpo_loss.ts), then the model's backward started from that
// per-row dlogp. The backward mirrors referenceLossAndGrads (which starts from the SFT −1/count); it is
// what the RL trainer's GPU gradient is tested against.

import { attentionBackward } from '../gpu/reference/attention';
import { biasBackward } from '../gpu/reference/bias_add';
import { crossEntropyBackward, crossEntropyForward } from '../gpu/reference/cross_entropy';
import { embeddingBackward } from '../gpu/reference/embedding';
import { geluBackward } from '../gpu/reference/gelu';
import { layerNormBackward } from '../gpu/reference/layernorm';
import { matmul } from '../gpu/reference/matmul';
import { residualAdd } from '../gpu/reference/residual_add';
import { paGrpoLoss, type PaGrpoLossConfig, type PaGrpoLossResult } from '../gpu/reference/pa_grpo_loss';
import type { Batch } from '../model/batch';
import { modelDims, type ModelConfig } from '../model/config';
import { view, type ParamLayout } from '../model/params';
import { referenceForward } from '../model/reference';

type Flat = Float32Array | Float64Array;

function linearBackward(dy: ArrayLike<number>, x: ArrayLike<number>, w: ArrayLike<number>, N: number, inDim: number, outDim: number) {
  return {
    dx: matmul(dy, w, { m: N, n: inDim, k: outDim }),
    dw: matmul(dy, x, { m: outDim, n: inDim, k: N, transA: true }),
    db: biasBackward(dy, N, outDim),
  };
}

/** Teacher-forced log p[target] per row (0 where there is no target), float64. */
export function referenceLogProbs(params: Flat, layout: ParamLayout, m: ModelConfig, batch: Batch): Float64Array {
  const fwd = referenceForward(params, layout, m, batch);
  return Float64Array.from(crossEntropyForward(fwd.logits, batch.targets, batch.B * batch.T, m.vocabSize).logp);
}

/** dLoss/dparams (flat, layout order) for a loss whose gradient w.r.t. each row's log p[target] is `dlogp`. */
export function referenceGradsFromDlogp(params: Flat, layout: ParamLayout, m: ModelConfig, batch: Batch, dlogp: ArrayLike<number>): Float64Array {
  const { C, H, D, F, V, maxT, patchDim } = modelDims(m);
  const { B, T } = batch;
  const N = B * T;
  const fwd = referenceForward(params, layout, m, batch);
  const p = (name: string) => view(layout, params, name);
  const grads = new Float64Array(layout.total);
  const g = (name: string) => view(layout, grads, name);

  const ce = crossEntropyForward(fwd.logits, batch.targets, N, V);
  const dlogits = crossEntropyBackward(fwd.logits, batch.targets, ce.lse, Float64Array.from(dlogp), N, V);
  const head = linearBackward(dlogits, fwd.lnf.y, p('lm_head.weight'), N, C, V);
  g('lm_head.weight').set(head.dw);
  const f = layerNormBackward(head.dx, fwd.xf, p('ln_f.weight'), fwd.lnf.mean, fwd.lnf.rstd, N, C);
  g('ln_f.weight').set(f.dweight);
  g('ln_f.bias').set(f.dbias);
  let dx = f.dx;
  for (let l = m.layers - 1; l >= 0; l--) {
    const a = fwd.blocks[l];
    const q = (s: string) => p(`h.${l}.${s}`);
    const gq = (s: string) => g(`h.${l}.${s}`);
    const proj2 = linearBackward(dx, a.h, q('mlp.c_proj.weight'), N, F, C);
    gq('mlp.c_proj.weight').set(proj2.dw);
    gq('mlp.c_proj.bias').set(proj2.db);
    const dfc = geluBackward(a.fc, proj2.dx);
    const fc = linearBackward(dfc, a.ln2.y, q('mlp.c_fc.weight'), N, C, F);
    gq('mlp.c_fc.weight').set(fc.dw);
    gq('mlp.c_fc.bias').set(fc.db);
    const ln2 = layerNormBackward(fc.dx, a.x1, q('ln_2.weight'), a.ln2.mean, a.ln2.rstd, N, C);
    gq('ln_2.weight').set(ln2.dweight);
    gq('ln_2.bias').set(ln2.dbias);
    dx = residualAdd(dx, ln2.dx);
    const proj = linearBackward(dx, a.att, q('attn.c_proj.weight'), N, C, C);
    gq('attn.c_proj.weight').set(proj.dw);
    gq('attn.c_proj.bias').set(proj.db);
    const dqkv = attentionBackward(a.qkv, proj.dx, batch.lengths, { B, T, H, D });
    const qkv = linearBackward(dqkv, a.ln1.y, q('attn.c_attn.weight'), N, C, 3 * C);
    gq('attn.c_attn.weight').set(qkv.dw);
    gq('attn.c_attn.bias').set(qkv.db);
    const ln1 = layerNormBackward(qkv.dx, a.x, q('ln_1.weight'), a.ln1.mean, a.ln1.rstd, N, C);
    gq('ln_1.weight').set(ln1.dweight);
    gq('ln_1.bias').set(ln1.dbias);
    dx = residualAdd(dx, ln1.dx);
  }
  const emb = embeddingBackward(batch.tokens, dx, { B, T, C, V, maxT });
  g('wte').set(emb.dwte);
  g('wpe').set(emb.dwpe);
  g('frame_proj.weight').set(matmul(dx, batch.patches, { m: C, n: patchDim, k: N, transA: true }));
  return grads;
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
