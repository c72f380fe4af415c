// The transformer of src/model/reference.ts written in jax-js (@jax-js/jax), for the `jaxjs` benchmark
// section: the same tensors (names, shapes: nn.Linear weights (out, in), untied lm_head), the same
// forward
//   x = wte[tokens] + wpe[t] + patches · frame_projᵀ
//   per block: x += c_proj(attn(ln_1(x)));  x += c_proj(gelu_tanh(c_fc(ln_2(x))))
//   logits = lm_head(ln_f(x)),  loss = Σ_rows w · CE (w = 1/count on target rows)
// and the same update as ours (src/gpu/reference/adamw.ts, grad_norm.ts): global-norm clip, then AdamW
// with decoupled weight decay on the tensors the layout marks `decay`, at the learning rate the caller
// gives per step. The whole step (forward, backward, clip, AdamW) is one jit-compiled function, the
// way a JAX user writes a training step: jax-js traces it once and fuses elementwise work into its
// kernels. Attention is nn.dotProductAttention with isCausal (materialised (T, T) scores), as a jax-js
// user would write it.
//
// jax-js owns arrays by reference count: every function consumes its array arguments, so an array
// used twice is passed as `x.ref` the first time (its README, "Reference counting"). The code below
// follows that rule inside the traced functions too.
//
// Pure of the page: imports only @jax-js/jax, so it also runs on jax-js's wasm device in Node
// (tests/pure/bench_jaxjs_model.test.ts checks it against our float64 reference there).

import { jit, nn, numpy as np, tree, valueAndGrad, type Device } from '@jax-js/jax';

export interface JaxModelDims {
  B: number;
  T: number;
  C: number;
  H: number;
  L: number;
  /** MLP hidden width. */
  F: number;
  V: number;
  /** Width of one frame row (the input of frame_proj). */
  P: number;
  lnEps: number;
}

export interface JaxBatch {
  tokens: Int32Array; // (B·T)
  targets: Int32Array; // (B·T), −1 ignored
  weights: Float32Array; // (B·T): 1/count on target rows, 0 elsewhere
  patches: Float32Array; // (B·T, P)
}

export interface JaxTrainHyper {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  maxGradNorm: number;
}

type Params = Record<string, np.Array>;

/** jax-js takes typed arrays over a plain ArrayBuffer (its DataArray); ours may be views of any buffer. */
const f32 = (a: Float32Array) => Float32Array.from(a) as Float32Array<ArrayBuffer>;
type Inputs = { tokens: np.Array; onehot: np.Array; weights: np.Array; patches: np.Array };

/** y = x · Wᵀ (+ b), W (out, in). Consumes x, w and b. */
function linear(x: np.Array, w: np.Array, b?: np.Array): np.Array {
  const y = np.matmul(x, w.transpose());
  return b ? y.add(b) : y;
}

/** LayerNorm over the last axis (biased variance, as torch). Consumes all three. */
function layerNorm(x: np.Array, w: np.Array, b: np.Array, eps: number): np.Array {
  const mean = x.ref.mean(-1, { keepdims: true });
  const centred = x.sub(mean);
  const variance = np.square(centred.ref).mean(-1, { keepdims: true });
  return centred.mul(np.reciprocal(np.sqrt(variance.add(eps)))).mul(w).add(b);
}

/** Σ_rows w · CE of the batch at `p`. Consumes every leaf of both arguments exactly once. */
function sftLoss(d: JaxModelDims, p: Params, inputs: Inputs): np.Array {
  const { B, T, C, H, L, lnEps } = d;
  const N = B * T;
  const D = C / H;
  // The positions tiled to (N, C) rather than the gathered rows reshaped to (B, T, C): jax-js 0.1.25's
  // jit refuses the scatter (the gather's backward) when its input is a reshaped view ("routine
  // primitive scatter input is not imm").
  const pos = np.tile(p.wpe.slice([0, T]), [B, 1]); // (T, C) of (maxT, C), per sequence
  let x = np.take(p.wte, inputs.tokens, 0).add(pos).add(linear(inputs.patches, p['frame_proj.weight']));
  for (let l = 0; l < L; l++) {
    const q = (s: string) => p[`h.${l}.${s}`];
    const qkv = linear(layerNorm(x.ref, q('ln_1.weight'), q('ln_1.bias'), lnEps), q('attn.c_attn.weight'), q('attn.c_attn.bias'));
    // (N, 3C) = [q | k | v], each (H, D) per row → (B, T, H, D), the layout dotProductAttention takes.
    const [qh, kh, vh] = np.split(qkv, 3, -1).map((t) => t.reshape([B, T, H, D]));
    const att = nn.dotProductAttention(qh, kh, vh, { isCausal: true }).reshape([N, C]);
    x = x.ref.add(linear(att, q('attn.c_proj.weight'), q('attn.c_proj.bias')));
    const fc = linear(layerNorm(x.ref, q('ln_2.weight'), q('ln_2.bias'), lnEps), q('mlp.c_fc.weight'), q('mlp.c_fc.bias'));
    x = x.add(linear(nn.gelu(fc, { approximate: true }), q('mlp.c_proj.weight'), q('mlp.c_proj.bias')));
  }
  const logits = linear(layerNorm(x, p['ln_f.weight'], p['ln_f.bias'], lnEps), p['lm_head.weight']);
  return nn.logSoftmax(logits, -1).mul(inputs.onehot).mul(inputs.weights).sum().neg();
}

export class JaxTransformer {
  private params: Params;
  private m: Params;
  private v: Params;
  private inputs?: Inputs;
  /** Adam's t of the next update (1-based, as ours). */
  private t = 1;
  private readonly names: string[];
  private readonly trainStep: (params: Params, m: Params, v: Params, inputs: Inputs, hyper: np.Array) => [np.Array, Params, Params, Params];
  private readonly lossOnly: (params: Params, inputs: Inputs) => np.Array;
  private readonly compiled: { dispose(): void }[];

  /**
   * `init` maps every tensor name of src/model/params.ts to its values and whether AdamW decays it;
   * arrays go to `device` (jax-js's 'webgpu' after init('webgpu'), or 'wasm' / 'cpu').
   */
  constructor(
    readonly d: JaxModelDims,
    init: Record<string, { shape: number[]; data: Float32Array; decay: boolean }>,
    readonly hyper: JaxTrainHyper,
    readonly device: Device,
  ) {
    this.names = Object.keys(init);
    const decay = new Set(this.names.filter((n) => init[n].decay));
    const put = (data: Float32Array, shape: number[]) => np.array(f32(data), { shape, device });
    this.params = Object.fromEntries(this.names.map((n) => [n, put(init[n].data, init[n].shape)]));
    this.m = Object.fromEntries(this.names.map((n) => [n, np.zeros(init[n].shape, { device })]));
    this.v = Object.fromEntries(this.names.map((n) => [n, np.zeros(init[n].shape, { device })]));

    const { beta1, beta2, eps, weightDecay, maxGradNorm } = hyper;
    const lossOnly = jit((p: Params, inputs: Inputs) => sftLoss(d, p, inputs));
    // hyper = [lr, lr / (1 − β1^t), sqrt(1 − β2^t)]: traced, so the schedule does not recompile.
    const trainStep = jit(
      (params: Params, m: Params, v: Params, inputs: Inputs, h: np.Array): [np.Array, Params, Params, Params] => {
        const [loss, grads] = valueAndGrad((p: Params, i: Inputs) => sftLoss(d, p, i))(tree.ref(params), inputs);
        const g = grads as Params;
        // torch.nn.utils.clip_grad_norm_: scale = min(1, maxNorm / (‖g‖ + 1e-6)).
        let scale: np.Array | undefined;
        if (maxGradNorm > 0) {
          const norm = np.sqrt(this.names.map((n) => np.square(g[n].ref).sum()).reduce((a, b) => a.add(b)));
          scale = np.minimum(np.reciprocal(norm.add(1e-6)).mul(maxGradNorm), 1);
        }
        const lr = h.ref.slice(0);
        const stepSize = h.ref.slice(1);
        const bc2Sqrt = h.slice(2);
        const out: [Params, Params, Params] = [{}, {}, {}];
        for (const n of this.names) {
          const grad = scale ? g[n].mul(scale.ref) : g[n];
          const m2 = m[n].mul(beta1).add(grad.ref.mul(1 - beta1));
          const v2 = v[n].mul(beta2).add(np.square(grad).mul(1 - beta2));
          let p = params[n];
          if (decay.has(n)) p = p.mul(lr.ref.mul(-weightDecay).add(1));
          p = p.sub(m2.ref.mul(stepSize.ref).div(np.sqrt(v2.ref).div(bc2Sqrt.ref).add(eps)));
          out[0][n] = p;
          out[1][n] = m2;
          out[2][n] = v2;
        }
        scale?.dispose();
        lr.dispose();
        stepSize.dispose();
        bc2Sqrt.dispose();
        return [loss, ...out];
      },
    );
    this.lossOnly = lossOnly as unknown as typeof this.lossOnly;
    this.trainStep = trainStep as unknown as typeof this.trainStep;
    this.compiled = [lossOnly, trainStep];
  }

  get parameterCount(): number {
    return this.names.reduce((n, name) => n + this.params[name].size, 0);
  }

  setBatch(b: JaxBatch): void {
    if (this.inputs) tree.dispose(this.inputs);
    const { B, T, V, P } = this.d;
    const N = B * T;
    // One-hot of the targets (all-zero rows where there is none), so CE = −Σ onehot · logsoftmax.
    const onehot = new Float32Array(N * V);
    for (let i = 0; i < N; i++) if (b.targets[i] >= 0) onehot[i * V + b.targets[i]] = 1;
    const device = this.device;
    this.inputs = {
      tokens: np.array(Int32Array.from(b.tokens) as Int32Array<ArrayBuffer>, { dtype: np.int32, device }),
      onehot: np.array(onehot as Float32Array<ArrayBuffer>, { shape: [N, V], device }),
      weights: np.array(f32(b.weights), { shape: [N, 1], device }),
      patches: np.array(f32(b.patches), { shape: [N, P], device }),
    };
  }

  /**
   * One SFT step at learning rate `lr`: loss, gradients, global-norm clip, AdamW. Resolves with the
   * loss (read back), after the new parameters and moments are computed.
   */
  async step(lr: number): Promise<number> {
    if (!this.inputs) throw new Error('JaxTransformer: setBatch first');
    const { beta1, beta2 } = this.hyper;
    const h = np.array(new Float32Array([lr, lr / (1 - beta1 ** this.t), Math.sqrt(1 - beta2 ** this.t)]), { device: this.device });
    const [loss, params, m, v] = this.trainStep(this.params, this.m, this.v, tree.ref(this.inputs), h);
    this.params = params;
    this.m = m;
    this.v = v;
    this.t++;
    // All outputs of one jit call share its list of pending kernels, submitted together on the first
    // read; the loss read-back is copied after them on the same queue, so it resolves when the whole
    // step (update included) is done. (blockUntilReady on every parameter and moment would add a
    // submit and a map per array, work that neither ours nor TF.js does.)
    return (await loss.data())[0];
  }

  /** The loss of the current batch without an update. */
  async evalLoss(): Promise<number> {
    if (!this.inputs) throw new Error('JaxTransformer: setBatch first');
    return (await this.lossOnly(tree.ref(this.params), tree.ref(this.inputs)).data())[0];
  }

  /** The current parameters, read back (for tests). */
  async readParams(): Promise<Record<string, Float32Array>> {
    const out: Record<string, Float32Array> = {};
    for (const n of this.names) out[n] = (await this.params[n].ref.data()) as Float32Array;
    return out;
  }

  dispose(): void {
    tree.dispose([this.params, this.m, this.v]);
    if (this.inputs) tree.dispose(this.inputs);
    for (const f of this.compiled) f.dispose();
  }
}
