// The model on the GPU: forward, SFT loss, backward, gradient clipping and AdamW of the whole
// transformer of src/model/reference.ts, composed from the WGSL kernel owners in src/gpu/kernels.
// Every GPU object (buffers, uniform blocks, bind groups) is made once in create(); a training step
// re-encodes the same dispatches into ONE command buffer and reads back only an 8-float metrics
// buffer.
//
// Parameters, gradients and AdamW moments are four flat buffers (src/model/params.ts). Every tensor
// is used in place: matmul takes element offsets, and the other owners (embedding, layernorm, bias
// add) bind a tensor as a 256-byte-aligned slice {buffer, offset, size} of the flat parameter or
// gradient buffer (the layout aligns every tensor to 256 bytes), so a step copies no parameters.

import { USAGE, storageBuffer, uploadBuffer } from '../gpu/buffers';
import { encodeDispatch, type Dispatch } from '../gpu/dispatch';
import { AdamW } from '../gpu/kernels/adamw';
import { Attention, attentionBlocksFor, CPU_BLOCKS, GPU_BLOCKS, type AttentionArrays } from '../gpu/kernels/attention';
import { BiasAdd, CPU_ROW_LANES, GPU_ROW_LANES } from '../gpu/kernels/bias_add';
import { CrossEntropy } from '../gpu/kernels/cross_entropy';
import { bucketLength, bucketTokens, Embedding } from '../gpu/kernels/embedding';
import { Gelu } from '../gpu/kernels/gelu';
import { CLIP_LENGTH, CPU_MAX_PARTIALS, GPU_MAX_PARTIALS, GradNorm, gradNormPartialsFor } from '../gpu/kernels/grad_norm';
import { LayerNorm } from '../gpu/kernels/layernorm';
import { Matmul, matmulStrategyFor, type MatmulArgs, type MatmulStrategy } from '../gpu/kernels/matmul';
import { ResidualAdd } from '../gpu/kernels/residual_add';
import { frameRows, type Batch } from './batch';
import { modelDims, type ModelConfig, type TrainConfig } from './config';
import { createParamBuffers, tensor, type ParamBuffers, type ParamLayout } from './params';
import { lossWeights } from './reference';

/** Pipelines of every kernel the model uses; built once per device and shareable between models. */
export interface ModelKernels {
  matmul: Matmul;
  biasAdd: BiasAdd;
  residual: ResidualAdd;
  gelu: Gelu;
  layerNorm: LayerNorm;
  embedding: Embedding;
  attention: Attention;
  crossEntropy: CrossEntropy;
  gradNorm: GradNorm;
  /** The choices these kernels were built with (defaults resolved). */
  choices: Required<KernelChoices>;
}

/**
 * Kernel forms with the same results and different speed. The defaults are the fastest measured for
 * the device; `BASELINE_KERNELS` is the code as it was before the throughput work (issue 15), kept
 * so that `npm run bench -- --only training` measures before and after in one run, step by step.
 */
export interface KernelChoices {
  /** Default: matmulStrategyFor(device) (register tiles on a CPU adapter). */
  matmul?: MatmulStrategy;
  /** Attention's register arrays sized for the head dim ('sized', default) or for D = 64 ('largest'). */
  attentionArrays?: AttentionArrays;
  /**
   * Attention's blocks, and the decode kernel's threads (src/model/generate.ts): default by device
   * (attentionBlocksFor: small on a CPU adapter); 'gpu' as before.
   */
  attentionBlocks?: 'cpu' | 'gpu';
  /** dwte from positions bucketed by token (default) instead of a scan over every position. */
  embeddingBuckets?: boolean;
  /**
   * Reductions (GradNorm's partial sums, BiasAdd's backward row lanes): default by device (few
   * partials and no trees on a CPU adapter); 'gpu' as before.
   */
  reductions?: 'cpu' | 'gpu';
}

export const BASELINE_KERNELS: Required<KernelChoices> = {
  matmul: 'workgroup',
  attentionArrays: 'largest',
  attentionBlocks: 'gpu',
  embeddingBuckets: false,
  reductions: 'gpu',
};

export async function createModelKernels(device: GPUDevice, headDims: number[], choices: KernelChoices = {}): Promise<ModelKernels> {
  const resolved: Required<KernelChoices> = {
    matmul: choices.matmul ?? matmulStrategyFor(device),
    attentionArrays: choices.attentionArrays ?? 'sized',
    attentionBlocks: choices.attentionBlocks ?? (attentionBlocksFor(device) === CPU_BLOCKS ? 'cpu' : 'gpu'),
    embeddingBuckets: choices.embeddingBuckets ?? true,
    reductions: choices.reductions ?? (gradNormPartialsFor(device) === CPU_MAX_PARTIALS ? 'cpu' : 'gpu'),
  };
  const cpuReductions = resolved.reductions === 'cpu';
  const [matmul, biasAdd, residual, gelu, layerNorm, embedding, attention, crossEntropy, gradNorm] = await Promise.all([
    Matmul.create(device, undefined, resolved.matmul),
    BiasAdd.create(device, cpuReductions ? CPU_ROW_LANES : GPU_ROW_LANES),
    ResidualAdd.create(device),
    Gelu.create(device),
    LayerNorm.create(device),
    Embedding.create(device),
    Attention.create(device, headDims, resolved.attentionArrays, resolved.attentionBlocks === 'cpu' ? CPU_BLOCKS : GPU_BLOCKS),
    CrossEntropy.create(device),
    GradNorm.create(device, cpuReductions ? CPU_MAX_PARTIALS : GPU_MAX_PARTIALS),
  ]);
  return { matmul, biasAdd, residual, gelu, layerNorm, embedding, attention, crossEntropy, gradNorm, choices: resolved };
}

/** Index of each value in the metrics buffer (f32). */
export const METRIC = { loss: 0, entropy: 1, gradNorm: 4, clipScale: 5, finite: 6 } as const;
export const METRICS_LENGTH = 8;

export interface StepMetrics {
  /** Mean cross-entropy over the batch's completion tokens (before this step's update), nats. */
  loss: number;
  /** Mean entropy of the predicted next-token distribution on those rows, nats. */
  entropy: number;
  /** Global L2 norm of the gradient before clipping. */
  gradNorm: number;
  clipScale: number;
  /** False when the loss or a gradient was not finite: AdamW skipped the update. */
  finite: boolean;
}

/** Per-layer activations kept for the backward pass. N = B·T rows. */
export interface LayerBuffers {
  x: GPUBuffer; // (N, C) block input
  ln1: GPUBuffer; // (N, C)
  mean1: GPUBuffer; // (N)
  rstd1: GPUBuffer; // (N)
  qkv: GPUBuffer; // (N, 3C)
  att: GPUBuffer; // (N, C)
  lse: GPUBuffer; // (B, H, T)
  x1: GPUBuffer; // (N, C) after the attention residual
  ln2: GPUBuffer;
  mean2: GPUBuffer;
  rstd2: GPUBuffer;
  fc: GPUBuffer; // (N, F) pre-activation
  h: GPUBuffer; // (N, F) gelu(fc)
}

export interface ModelInternals {
  kernels: ModelKernels;
  layers: LayerBuffers[];
  /** A tensor of the flat parameter buffer as a bindable slice {buffer, offset, size} (no copy). */
  param: (name: string) => GPUBufferBinding;
  /** The same tensor of the flat gradient buffer. */
  grad: (name: string) => GPUBufferBinding;
  /** (N, V) logits of the last forward pass. */
  logits: GPUBuffer;
  /** (N) log p[target] of the last forward pass (0 on rows without a target). */
  logp: GPUBuffer;
  inputs: { tokens: GPUBuffer; tokenBuckets: GPUBuffer; labels: GPUBuffer; lengths: GPUBuffer; patches: GPUBuffer; weights: GPUBuffer; dlogp: GPUBuffer };
}

export interface GpuModelOptions {
  /** Sequences per batch: the GPU buffers are sized for exactly B. */
  batchSize: number;
  /** Initial parameters (initParams or a checkpoint), layout.total f32. */
  init: Float32Array;
  /** AdamW and clipping settings (lr here is only the first step's; step() passes the schedule's). */
  train: Pick<TrainConfig, 'lr' | 'beta1' | 'beta2' | 'eps' | 'weightDecay' | 'maxGradNorm'>;
  kernels?: ModelKernels;
  /** AdamW state to resume from (a checkpoint's moments, flat in the layout, and its update count). */
  optimizerState?: { m: Float32Array; v: Float32Array; t: number };
  label?: string;
}

export class GpuModel {
  readonly B: number;
  readonly T: number;
  readonly N: number;
  /** AdamW updates applied so far (skipped steps do not count, as torch with a skipped step). */
  updates = 0;

  private readonly forwardDispatches: Dispatch[];
  private readonly backwardDispatches: Dispatch[];
  private readonly optimizerDispatches: Dispatch[];
  /** What the decoder (src/model/generate.ts) shares: kernels, per-layer buffers, parameter slices, logits. */
  readonly internals: ModelInternals;
  private readonly staging: GPUBuffer;

  private constructor(
    readonly device: GPUDevice,
    readonly config: ModelConfig,
    readonly layout: ParamLayout,
    readonly buffers: ParamBuffers,
    private readonly inputs: { tokens: GPUBuffer; tokenBuckets: GPUBuffer; labels: GPUBuffer; lengths: GPUBuffer; patches: GPUBuffer; weights: GPUBuffer; dlogp: GPUBuffer },
    private readonly metrics: GPUBuffer,
    private readonly clip: GPUBuffer,
    private readonly adamw: AdamW,
    parts: {
      internals: ModelInternals;
      forward: Dispatch[];
      backward: Dispatch[];
      optimizer: Dispatch[];
      B: number;
      T: number;
    },
  ) {
    this.B = parts.B;
    this.T = parts.T;
    this.N = parts.B * parts.T;
    this.internals = parts.internals;
    this.forwardDispatches = parts.forward;
    this.backwardDispatches = parts.backward;
    this.optimizerDispatches = parts.optimizer;
    this.staging = device.createBuffer({ label: 'Model.metrics.readback', size: METRICS_LENGTH * 4, usage: USAGE.MAP_READ | USAGE.COPY_DST });
  }

  static async create(device: GPUDevice, config: ModelConfig, layout: ParamLayout, options: GpuModelOptions): Promise<GpuModel> {
    const { C, H, D, F, V, maxT, frameDim, frameProj, frameTokens } = modelDims(config);
    const B = options.batchSize;
    const T = maxT;
    const N = B * T;
    const label = options.label ?? 'Model';
    const kernels = options.kernels ?? (await createModelKernels(device, [D]));
    const adamw = await AdamW.create(
      device,
      { lr: options.train.lr, beta1: options.train.beta1, beta2: options.train.beta2, eps: options.train.eps, weightDecay: options.train.weightDecay },
      `${label}.AdamW`,
    );
    const { matmul, biasAdd, residual, gelu, layerNorm, embedding, attention, crossEntropy, gradNorm } = kernels;
    const buf = (name: string, length: number) => storageBuffer(device, `${label}.${name}`, length);
    const pb = createParamBuffers(device, layout, options.init, label);
    if (options.optimizerState) {
      device.queue.writeBuffer(pb.m, 0, options.optimizerState.m);
      device.queue.writeBuffer(pb.v, 0, options.optimizerState.v);
    }
    const off = (name: string) => tensor(layout, name).offset;

    // Per-batch inputs, written by setBatch().
    const inputs = {
      tokens: buf('tokens', N), // (B, T) i32
      tokenBuckets: buf('tokenBuckets', bucketLength(N, V)), // the tokens bucketed by id (bucketTokens), for dwte
      labels: buf('labels', N), // (B, T) i32 next-token targets, −1 ignored
      lengths: buf('lengths', B), // (B) u32
      // (N, frameDim) the frame projection's input rows: patches, or the frozen ONNX encoder's features
      // (frameEncoder 'onnx'; constants here: no gradient is computed for them).
      patches: buf('patches', N * frameDim),
      weights: buf('lossWeights', N), // (N) 1/count on target rows
      dlogp: buf('dlogp', N), // (N) −weights: dLoss/dlogp of the mean CE
    };
    const metrics = buf('metrics', METRICS_LENGTH); // see METRIC
    const clip = buf('clip', CLIP_LENGTH); // [norm, scale, finite, 0] from GradNorm

    // Tensors bound in place as 256-byte-aligned slices of the flat parameter and gradient buffers.
    const slice = (buffer: GPUBuffer, name: string): GPUBufferBinding => {
      const t = tensor(layout, name);
      return { buffer, offset: t.offset * 4, size: t.size * 4 };
    };
    const pv = (name: string) => slice(pb.params, name);
    const gv = (name: string) => slice(pb.grads, name);

    // y (rows, out) = x (rows, in) · Wᵀ with W (out, in) in the flat parameter buffer.
    const linear = (x: GPUBuffer, w: string, y: GPUBuffer, rows: number, inDim: number, outDim: number, extra: Partial<MatmulArgs> = {}) =>
      matmul.bind({ a: x, b: pb.params, c: y, m: rows, n: outDim, k: inDim, variant: 'NT', offsetB: off(w), label: `${label}.${w}`, ...extra });
    // dx (rows, in) = dy (rows, out) · W.
    const linearDx = (dy: GPUBuffer, w: string, dx: GPUBuffer, rows: number, inDim: number, outDim: number) =>
      matmul.bind({ a: dy, b: pb.params, c: dx, m: rows, n: inDim, k: outDim, variant: 'NN', offsetB: off(w), label: `${label}.${w}.dx` });
    // dW (out, in) = dyᵀ · x, written into the flat gradient buffer.
    const linearDw = (dy: GPUBuffer, x: GPUBuffer, w: string, rows: number, inDim: number, outDim: number) =>
      matmul.bind({ a: dy, b: x, c: pb.grads, m: outDim, n: inDim, k: rows, variant: 'TN', offsetC: off(w), label: `${label}.${w}.dW` });

    // ---- activations ----
    const layers: LayerBuffers[] = [];
    for (let l = 0; l < config.layers; l++) {
      const p = `h${l}`;
      layers.push({
        x: buf(`${p}.x`, N * C),
        ln1: buf(`${p}.ln1`, N * C),
        mean1: buf(`${p}.mean1`, N),
        rstd1: buf(`${p}.rstd1`, N),
        qkv: buf(`${p}.qkv`, N * 3 * C),
        att: buf(`${p}.att`, N * C),
        lse: buf(`${p}.lse`, B * H * T),
        x1: buf(`${p}.x1`, N * C),
        ln2: buf(`${p}.ln2`, N * C),
        mean2: buf(`${p}.mean2`, N),
        rstd2: buf(`${p}.rstd2`, N),
        fc: buf(`${p}.fc`, N * F),
        h: buf(`${p}.h`, N * F),
      });
    }
    const xf = buf('xf', N * C); // (N, C) input of ln_f
    const lnf = buf('lnf', N * C);
    const meanf = buf('meanf', N);
    const rstdf = buf('rstdf', N);
    const proj = buf('proj', N * C); // (N, C) scratch: output of a residual branch before its add
    const logits = buf('logits', N * V); // (N, V)
    const ce = { loss: buf('ce.loss', N), logp: buf('ce.logp', N), entropy: buf('ce.entropy', N), lse: buf('ce.lse', N) };
    // Backward scratch.
    const dlogits = buf('dlogits', N * V);
    const dres = buf('dres', N * C); // dLoss/d(residual stream)
    const dln = buf('dln', N * C); // dLoss/d(layernorm output)
    const dh = buf('dh', N * F);
    const dfc = buf('dfc', N * F);
    const datt = buf('datt', N * C);
    const dqkv = buf('dqkv', N * 3 * C);
    const sizes = { B, T, C, V, maxT };

    // ---- forward ----
    const forward: Dispatch[] = [];
    const x0 = config.layers > 0 ? layers[0].x : xf;
    forward.push(embedding.forward({ ...sizes, tokens: inputs.tokens, wte: pv('wte'), wpe: pv('wpe'), x: x0, label: `${label}.embed` }));
    // Frame rows: x += patches · frame_projᵀ, or features · encoder_projᵀ, on the frame rows only (the
    // first frameTokens rows of each sequence: one batched matmul with row strides of T). Projecting
    // all B·T rows, most of them text rows of zeros, made this the costliest matmul of a tiny step.
    forward.push(
      matmul.bind({
        a: inputs.patches, b: pb.params, c: x0, m: frameTokens, n: C, k: frameDim, variant: 'NT', accumulate: true,
        batch: B, strideA: T * frameDim, strideB: 0, strideC: T * C, offsetB: off(frameProj), label: `${label}.${frameProj}`,
      }),
    );
    layers.forEach((a, l) => {
      const q = (s: string) => `h.${l}.${s}`;
      const next = l + 1 < layers.length ? layers[l + 1].x : xf;
      forward.push(
        layerNorm.forward({ x: a.x, weight: pv(q('ln_1.weight')), bias: pv(q('ln_1.bias')), y: a.ln1, mean: a.mean1, rstd: a.rstd1, N, C, eps: config.lnEps, label: `${label}.${q('ln_1')}` }),
        linear(a.ln1, q('attn.c_attn.weight'), a.qkv, N, C, 3 * C),
        biasAdd.addInPlace({ x: a.qkv, bias: pv(q('attn.c_attn.bias')), rows: N, cols: 3 * C }),
        ...attention.forward({ B, T, H, D, qkv: a.qkv, out: a.att, lse: a.lse, lengths: inputs.lengths, label: `${label}.${q('attn')}` }),
        linear(a.att, q('attn.c_proj.weight'), proj, N, C, C),
        biasAdd.addInPlace({ x: proj, bias: pv(q('attn.c_proj.bias')), rows: N, cols: C }),
        residual.add({ a: a.x, b: proj, out: a.x1, n: N * C }),
        layerNorm.forward({ x: a.x1, weight: pv(q('ln_2.weight')), bias: pv(q('ln_2.bias')), y: a.ln2, mean: a.mean2, rstd: a.rstd2, N, C, eps: config.lnEps, label: `${label}.${q('ln_2')}` }),
        linear(a.ln2, q('mlp.c_fc.weight'), a.fc, N, C, F),
        biasAdd.addInPlace({ x: a.fc, bias: pv(q('mlp.c_fc.bias')), rows: N, cols: F }),
        gelu.forward({ x: a.fc, y: a.h, n: N * F }),
        linear(a.h, q('mlp.c_proj.weight'), proj, N, F, C),
        biasAdd.addInPlace({ x: proj, bias: pv(q('mlp.c_proj.bias')), rows: N, cols: C }),
        residual.add({ a: a.x1, b: proj, out: next, n: N * C }),
      );
    });
    forward.push(
      layerNorm.forward({ x: xf, weight: pv('ln_f.weight'), bias: pv('ln_f.bias'), y: lnf, mean: meanf, rstd: rstdf, N, C, eps: config.lnEps, label: `${label}.ln_f` }),
      linear(lnf, 'lm_head.weight', logits, N, C, V),
      crossEntropy.forward({ logits, labels: inputs.labels, loss: ce.loss, logp: ce.logp, entropy: ce.entropy, lse: ce.lse, N, V }),
      // Mean over target rows as a (1, N)·(N, 1) matmul with the 1/count weights: deterministic, no atomics.
      matmul.bind({ a: ce.loss, b: inputs.weights, c: metrics, m: 1, n: 1, k: N, offsetC: METRIC.loss, label: `${label}.metrics.loss` }),
      matmul.bind({ a: ce.entropy, b: inputs.weights, c: metrics, m: 1, n: 1, k: N, offsetC: METRIC.entropy, label: `${label}.metrics.entropy` }),
    );

    // ---- backward (reverse order; every gradient is written, none accumulated across steps) ----
    const backward: Dispatch[] = [];
    backward.push(
      crossEntropy.backward({ logits, labels: inputs.labels, lse: ce.lse, dlogp: inputs.dlogp, dlogits, N, V }),
      linearDw(dlogits, lnf, 'lm_head.weight', N, C, V),
      linearDx(dlogits, 'lm_head.weight', dln, N, C, V),
      ...layerNorm.backward({ dy: dln, x: xf, weight: pv('ln_f.weight'), mean: meanf, rstd: rstdf, dx: dres, dweight: gv('ln_f.weight'), dbias: gv('ln_f.bias'), N, C, label: `${label}.ln_f.backward` }),
    );
    for (let l = layers.length - 1; l >= 0; l--) {
      const a = layers[l];
      const q = (s: string) => `h.${l}.${s}`;
      backward.push(
        // MLP branch: dres holds dLoss/d(block output).
        biasAdd.backward({ dy: dres, dbias: gv(q('mlp.c_proj.bias')), rows: N, cols: C }),
        linearDw(dres, a.h, q('mlp.c_proj.weight'), N, F, C),
        linearDx(dres, q('mlp.c_proj.weight'), dh, N, F, C),
        gelu.backward({ x: a.fc, dy: dh, dx: dfc, n: N * F }),
        biasAdd.backward({ dy: dfc, dbias: gv(q('mlp.c_fc.bias')), rows: N, cols: F }),
        linearDw(dfc, a.ln2, q('mlp.c_fc.weight'), N, C, F),
        linearDx(dfc, q('mlp.c_fc.weight'), dln, N, C, F),
        ...layerNorm.backward({ dy: dln, x: a.x1, weight: pv(q('ln_2.weight')), mean: a.mean2, rstd: a.rstd2, dx: dres, dweight: gv(q('ln_2.weight')), dbias: gv(q('ln_2.bias')), N, C, accumulateDx: true, label: `${label}.${q('ln_2')}.backward` }),
        // Attention branch: dres now holds dLoss/dx1.
        biasAdd.backward({ dy: dres, dbias: gv(q('attn.c_proj.bias')), rows: N, cols: C }),
        linearDw(dres, a.att, q('attn.c_proj.weight'), N, C, C),
        linearDx(dres, q('attn.c_proj.weight'), datt, N, C, C),
        ...attention.backward({ B, T, H, D, qkv: a.qkv, out: a.att, dout: datt, lse: a.lse, lengths: inputs.lengths, dqkv, label: `${label}.${q('attn')}.backward` }),
        biasAdd.backward({ dy: dqkv, dbias: gv(q('attn.c_attn.bias')), rows: N, cols: 3 * C }),
        linearDw(dqkv, a.ln1, q('attn.c_attn.weight'), N, C, 3 * C),
        linearDx(dqkv, q('attn.c_attn.weight'), dln, N, C, 3 * C),
        ...layerNorm.backward({ dy: dln, x: a.x, weight: pv(q('ln_1.weight')), mean: a.mean1, rstd: a.rstd1, dx: dres, dweight: gv(q('ln_1.weight')), dbias: gv(q('ln_1.bias')), N, C, accumulateDx: true, label: `${label}.${q('ln_1')}.backward` }),
      );
    }
    backward.push(...embedding.backward({ ...sizes, tokens: inputs.tokens, buckets: kernels.choices.embeddingBuckets ? inputs.tokenBuckets : undefined, dx: dres, dwte: gv('wte'), dwpe: gv('wpe'), label: `${label}.embed.backward` }));
    // d frame_proj (C, patchDim) = Σ_b dres_bᵀ · patches_b over each sequence's frame rows (or
    // d encoder_proj with the features): one batched matmul into a (B, C·frameDim) scratch, then the
    // sum over b as (1, B)·(B, C·frameDim) with a row of ones (a fixed order, no atomics). One sequence
    // writes the gradient directly.
    const frameGrad = (c: GPUBuffer, offsetC: number) =>
      matmul.bind({
        a: dres, b: inputs.patches, c, m: C, n: frameDim, k: frameTokens, variant: 'TN',
        batch: B, strideA: T * C, strideB: T * frameDim, strideC: C * frameDim, offsetC, label: `${label}.${frameProj}.dW`,
      });
    if (B === 1) backward.push(frameGrad(pb.grads, off(frameProj)));
    else {
      const perSequence = buf('frameProj.dW.perSequence', B * C * frameDim);
      const ones = uploadBuffer(device, `${label}.ones`, new Float32Array(B).fill(1));
      backward.push(
        frameGrad(perSequence, 0),
        matmul.bind({ a: ones, b: perSequence, c: pb.grads, m: 1, n: C * frameDim, k: B, offsetC: off(frameProj), label: `${label}.${frameProj}.dW.sum` }),
      );
    }

    // ---- clip + AdamW: two ranges of the flat buffers (decayed tensors, then the rest) ----
    const optimizer: Dispatch[] = [
      ...gradNorm.clip({ grads: pb.grads, n: layout.total, clip, maxNorm: options.train.maxGradNorm, label: `${label}.gradNorm` }),
      adamw.update({ params: pb.params, grads: pb.grads, m: pb.m, v: pb.v, clip, offset: layout.decayRange[0], n: layout.decayRange[1], decay: true, label: `${label}.adamw.decay` }),
      adamw.update({ params: pb.params, grads: pb.grads, m: pb.m, v: pb.v, clip, offset: layout.noDecayRange[0], n: layout.noDecayRange[1], decay: false, label: `${label}.adamw.noDecay` }),
    ];

    const model = new GpuModel(device, config, layout, pb, inputs, metrics, clip, adamw, {
      forward,
      backward,
      optimizer,
      B,
      T,
      internals: { kernels, layers, param: pv, grad: gv, logits, logp: ce.logp, inputs },
    });
    model.updates = options.optimizerState?.t ?? 0;
    return model;
  }

  /** Uploads a batch (queued writes; they land before the next submitted step). */
  setBatch(batch: Batch): void {
    if (batch.B !== this.B || batch.T !== this.T) throw new Error(`GpuModel.setBatch: batch is ${batch.B}×${batch.T}, model buffers are ${this.B}×${this.T}`);
    const q = this.device.queue;
    const w = lossWeights(batch.targets, batch.targetCount);
    q.writeBuffer(this.inputs.tokens, 0, batch.tokens);
    if (this.internals.kernels.choices.embeddingBuckets) q.writeBuffer(this.inputs.tokenBuckets, 0, bucketTokens(batch.tokens, this.config.vocabSize));
    q.writeBuffer(this.inputs.labels, 0, batch.targets);
    q.writeBuffer(this.inputs.lengths, 0, batch.lengths);
    q.writeBuffer(this.inputs.patches, 0, frameRows(batch, this.config, 'GpuModel.setBatch'));
    q.writeBuffer(this.inputs.weights, 0, w);
    q.writeBuffer(this.inputs.dlogp, 0, Float32Array.from(w, (x) => -x));
  }

  /**
   * Encodes and submits one command buffer: forward (+ backward, + clip and AdamW at learning rate
   * `lr`), then reads back the metrics. `lr` given means a training step.
   */
  async run(what: { backward?: boolean; lr?: number; forwardDone?: boolean } = {}): Promise<StepMetrics> {
    const train = what.lr !== undefined;
    if (train) this.adamw.setStep(this.updates + 1, what.lr);
    const encoder = this.device.createCommandEncoder({ label: 'Model.step' });
    const pass = (label: string, dispatches: Dispatch[]) => {
      const p = encoder.beginComputePass({ label });
      for (const d of dispatches) encodeDispatch(p, d);
      p.end();
    };
    // forwardDone: the last pass was this batch's forward on these parameters, so its activations and
    // metrics are current and running it again would only reproduce them.
    if (!what.forwardDone) pass('Model.forward', this.forwardDispatches);
    if (what.backward || train) pass('Model.backward', this.backwardDispatches);
    if (train) {
      pass('Model.optimizer', this.optimizerDispatches);
      encoder.copyBufferToBuffer(this.clip, 0, this.metrics, METRIC.gradNorm * 4, 3 * 4);
    }
    encoder.copyBufferToBuffer(this.metrics, 0, this.staging, 0, METRICS_LENGTH * 4);
    this.device.queue.submit([encoder.finish()]);
    await this.staging.mapAsync(0x1 /* GPUMapMode.READ */);
    const m = new Float32Array(this.staging.getMappedRange().slice(0));
    this.staging.unmap();
    const out: StepMetrics = {
      loss: m[METRIC.loss],
      entropy: m[METRIC.entropy],
      gradNorm: train ? m[METRIC.gradNorm] : NaN,
      clipScale: train ? m[METRIC.clipScale] : NaN,
      finite: train ? m[METRIC.finite] === 1 && Number.isFinite(m[METRIC.loss]) : Number.isFinite(m[METRIC.loss]),
    };
    // AdamW skipped the update itself when the clip record was not finite; only count real updates.
    // (A non-finite loss alone with finite gradients cannot happen: the loss is a sum of the same rows.)
    if (train && out.finite) this.updates++;
    return out;
  }

  /** Forward only: the SFT loss of the current batch. */
  forward(): Promise<StepMetrics> {
    return this.run();
  }

  /**
   * One training step on the current batch at learning rate lr. `forwardDone`: the caller has just
   * run this batch's forward on the current parameters (RL: the old log-probs' forward), so the step
   * starts at the backward pass.
   */
  step(lr: number, o: { forwardDone?: boolean } = {}): Promise<StepMetrics> {
    return this.run({ lr, forwardDone: o.forwardDone });
  }

  /**
   * Per-token log-probs of a batch's targets under the current parameters, (B, T) row-major with 0
   * where there is no target: the reference (or old-policy) log-probs of RL rollouts, teacher-forced.
   */
  async logProbs(batch: Batch): Promise<Float32Array> {
    this.setBatch(batch);
    await this.forward();
    return (await this.read(this.internals.logp, this.N)).slice();
  }

  async readParams(): Promise<Float32Array> {
    return this.read(this.buffers.params);
  }

  async readGrads(): Promise<Float32Array> {
    return this.read(this.buffers.grads);
  }

  /** AdamW's moments (flat, layout order) and update count: with readParams, a full checkpoint. */
  async readOptimizer(): Promise<{ m: Float32Array; v: Float32Array; t: number }> {
    return { m: await this.read(this.buffers.m), v: await this.read(this.buffers.v), t: this.updates };
  }

  private async read(buffer: GPUBuffer, length = this.layout.total): Promise<Float32Array> {
    const staging = this.device.createBuffer({ label: `${buffer.label}.readback`, size: length * 4, usage: USAGE.MAP_READ | USAGE.COPY_DST });
    const encoder = this.device.createCommandEncoder({ label: 'Model.read' });
    encoder.copyBufferToBuffer(buffer, 0, staging, 0, length * 4);
    this.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(0x1);
    const out = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    staging.destroy();
    return out;
  }

  /**
   * The dispatches of one SFT training step in encoding order, for profiling one kernel per pass
   * (src/train/profile.ts). Encode them; never mutate them. `setStep` sets AdamW's step count and
   * learning rate as run() does before a training step.
   */
  stepPlan(): { forward: readonly Dispatch[]; backward: readonly Dispatch[]; optimizer: readonly Dispatch[]; setStep(t: number, lr: number): void } {
    return {
      forward: this.forwardDispatches,
      backward: this.backwardDispatches,
      optimizer: this.optimizerDispatches,
      setStep: (t, lr) => this.adamw.setStep(t, lr),
    };
  }
}
