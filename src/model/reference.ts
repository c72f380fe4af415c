// The whole model's forward, SFT loss and backward in float64 on the CPU, composed from the kernel
// references in src/gpu/reference/*.ts. It is the spec the GPU model (src/model/model.ts) is tested
// against, and it produces the golden loss curve (scripts/make-golden.ts).
//
// Model, N = B·T rows, C channels, V vocabulary, P = patchDim:
//   x    = wte[tokens] + wpe[t] + patches · frame_projᵀ            (N, C)  frame rows: FRAME row of wte = bias
//   per block: x = x + c_proj(attn(ln_1(x)));  x = x + mlp(ln_2(x)),  mlp = c_proj(gelu(c_fc(·)))
//   logits = ln_f(x) · lm_headᵀ                                      (N, V)
//   loss   = mean over targets != -1 of −log softmax(logits)[target]  (SFT: completion tokens only)
// Linear layers store W as (out, in) (nn.Linear): y = x·Wᵀ + b.
// With frameEncoder 'onnx', `patches · frame_projᵀ` is `features · encoder_projᵀ` over the frozen
// encoder's features (constants: the gradient stops at encoder_proj).

import { attentionBackward, attentionForward } from '../gpu/reference/attention';
import { biasAdd, biasBackward } from '../gpu/reference/bias_add';
import { crossEntropyBackward, crossEntropyForward } from '../gpu/reference/cross_entropy';
import { embeddingBackward, embeddingForward } from '../gpu/reference/embedding';
import { geluBackward, geluForward } from '../gpu/reference/gelu';
import { layerNormBackward, layerNormForward } from '../gpu/reference/layernorm';
import { matmul } from '../gpu/reference/matmul';
import { residualAdd } from '../gpu/reference/residual_add';
import { frameRows, type Batch } from './batch';
import { modelDims, type ModelConfig } from './config';
import { view, type ParamLayout } from './params';

type Flat = Float32Array | Float64Array;

/** y (N, out) = x (N, in) · Wᵀ, W stored (out, in). */
function linear(x: ArrayLike<number>, w: ArrayLike<number>, N: number, inDim: number, outDim: number, bias?: ArrayLike<number>): Float64Array {
  const y = matmul(x, w, { m: N, n: outDim, k: inDim, transB: true });
  return bias ? biasAdd(y, bias, N, outDim) : y;
}

/** Gradients of y = x·Wᵀ + b: dx = dy·W, dW = dyᵀ·x, db = Σ_rows dy. */
function linearBackward(dy: ArrayLike<number>, x: ArrayLike<number>, w: ArrayLike<number>, N: number, inDim: number, outDim: number) {
  return {
    dx: matmul(dy, w, { m: N, n: inDim, k: outDim }),
    dw: matmul(dy, x, { m: outDim, n: inDim, k: N, transA: true }),
    db: biasBackward(dy, N, outDim),
  };
}

/**
 * Per-row loss weights of the SFT objective: 1/count on rows with a target, 0 elsewhere, so that
 * loss = Σ_rows w · (−log p[target]) is the mean over completion tokens, and dLoss/dlogp = −w.
 */
export function lossWeights(targets: ArrayLike<number>, count: number): Float32Array {
  const w = new Float32Array(targets.length);
  for (let i = 0; i < targets.length; i++) if (targets[i] >= 0 && count > 0) w[i] = 1 / count;
  return w;
}

/** Mean cross-entropy over rows with a target, its per-row pieces, and dLoss/dlogits. */
export function sftLoss(logits: ArrayLike<number>, targets: ArrayLike<number>, N: number, V: number, count: number) {
  const ce = crossEntropyForward(logits, targets, N, V);
  const w = lossWeights(targets, count);
  let loss = 0;
  let entropy = 0;
  for (let i = 0; i < N; i++) {
    loss += w[i] * ce.loss[i];
    entropy += w[i] * ce.entropy[i];
  }
  const dlogits = () => crossEntropyBackward(logits, targets, ce.lse, Float64Array.from(w, (x) => -x), N, V);
  return { loss, entropy, dlogits };
}

interface BlockActs {
  x: Float64Array; // (N, C) block input
  ln1: ReturnType<typeof layerNormForward>;
  qkv: Float64Array; // (N, 3C)
  att: Float64Array; // (N, C)
  x1: Float64Array; // (N, C) after the attention residual
  ln2: ReturnType<typeof layerNormForward>;
  fc: Float64Array; // (N, F) pre-activation
  h: Float64Array; // (N, F) gelu(fc)
}

export interface ReferenceForward {
  loss: number;
  /** Mean entropy of the predicted distribution over the target rows, nats. */
  entropy: number;
  /** (N, V) */
  logits: Float64Array;
  blocks: BlockActs[];
  /** (N, C) input of ln_f. */
  xf: Float64Array;
  lnf: ReturnType<typeof layerNormForward>;
}

export function referenceForward(params: Flat, layout: ParamLayout, m: ModelConfig, batch: Batch): ReferenceForward {
  const { C, H, D, F, V, maxT, frameDim, frameProj } = modelDims(m);
  const { B, T } = batch;
  const N = B * T;
  const p = (name: string) => view(layout, params, name);
  const emb = embeddingForward(batch.tokens, p('wte'), p('wpe'), { B, T, C, V, maxT });
  const rows = frameRows(batch, m, 'referenceForward');
  let x = residualAdd(emb, matmul(rows, p(frameProj), { m: N, n: C, k: frameDim, transB: true }));
  const blocks: BlockActs[] = [];
  for (let l = 0; l < m.layers; l++) {
    const q = (s: string) => p(`h.${l}.${s}`);
    const ln1 = layerNormForward(x, q('ln_1.weight'), q('ln_1.bias'), N, C, m.lnEps);
    const qkv = linear(ln1.y, q('attn.c_attn.weight'), N, C, 3 * C, q('attn.c_attn.bias'));
    const att = attentionForward(qkv, batch.lengths, { B, T, H, D }).out;
    const x1 = residualAdd(x, linear(att, q('attn.c_proj.weight'), N, C, C, q('attn.c_proj.bias')));
    const ln2 = layerNormForward(x1, q('ln_2.weight'), q('ln_2.bias'), N, C, m.lnEps);
    const fc = linear(ln2.y, q('mlp.c_fc.weight'), N, C, F, q('mlp.c_fc.bias'));
    const h = geluForward(fc);
    const out = residualAdd(x1, linear(h, q('mlp.c_proj.weight'), N, F, C, q('mlp.c_proj.bias')));
    blocks.push({ x, ln1, qkv, att, x1, ln2, fc, h });
    x = out;
  }
  const lnf = layerNormForward(x, p('ln_f.weight'), p('ln_f.bias'), N, C, m.lnEps);
  const logits = linear(lnf.y, p('lm_head.weight'), N, C, V);
  const { loss, entropy } = sftLoss(logits, batch.targets, N, V, batch.targetCount);
  return { loss, entropy, logits, blocks, xf: x, lnf };
}

/** The SFT loss alone (what finite differences probe). */
export function referenceLoss(params: Flat, layout: ParamLayout, m: ModelConfig, batch: Batch): number {
  return referenceForward(params, layout, m, batch).loss;
}

/** Loss and dLoss/dparams as a flat float64 array of the layout (padding 0). */
export function referenceLossAndGrads(params: Flat, layout: ParamLayout, m: ModelConfig, batch: Batch): { loss: number; grads: Float64Array } {
  const fwd = referenceForward(params, layout, m, batch);
  const dlogits = sftLoss(fwd.logits, batch.targets, batch.B * batch.T, modelDims(m).V, batch.targetCount).dlogits();
  return { loss: fwd.loss, grads: referenceBackward(params, layout, m, batch, fwd, dlogits) };
}

/**
 * The model's backward from dLoss/dlogits (N, V) through the activations of `fwd` (referenceForward of
 * the same params and batch): dLoss/dparams as a flat float64 array of the layout (padding 0). Shared by
 * the SFT loss above and the PA-GRPO reference (src/train/rl_reference.ts).
 */
export function referenceBackward(
  params: Flat,
  layout: ParamLayout,
  m: ModelConfig,
  batch: Batch,
  fwd: ReferenceForward,
  dlogits: ArrayLike<number>,
): Float64Array {
  const { C, H, D, F, V, maxT, frameDim, frameProj } = modelDims(m);
  const { B, T } = batch;
  const N = B * T;
  const p = (name: string) => view(layout, params, name);
  const grads = new Float64Array(layout.total);
  const g = (name: string) => view(layout, grads, name);

  const head = linearBackward(dlogits, fwd.lnf.y, p('lm_head.weight'), N, C, V);
  g('lm_head.weight').set(head.dw);
  const f = layerNormBackward(head.dx, fwd.xf, p('ln_f.weight'), fwd.lnf.mean, fwd.lnf.rstd, N, C);
  g('ln_f.weight').set(f.dweight);
  g('ln_f.bias').set(f.dbias);
  let dx = f.dx; // dLoss/d(residual stream), (N, C)

  for (let l = m.layers - 1; l >= 0; l--) {
    const a = fwd.blocks[l];
    const q = (s: string) => p(`h.${l}.${s}`);
    const gq = (s: string) => g(`h.${l}.${s}`);
    // MLP branch: x_out = x1 + c_proj(gelu(c_fc(ln_2(x1)))).
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
    dx = residualAdd(dx, ln2.dx); // dLoss/dx1
    // Attention branch: x1 = x + c_proj(attn(c_attn(ln_1(x)))).
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
    dx = residualAdd(dx, ln1.dx); // dLoss/dx (block input)
  }

  const emb = embeddingBackward(batch.tokens, dx, { B, T, C, V, maxT });
  g('wte').set(emb.dwte);
  g('wpe').set(emb.dwpe);
  g(frameProj).set(matmul(dx, frameRows(batch, m), { m: C, n: frameDim, k: N, transA: true }));
  return grads;
}
