// The transformer of src/model/reference.ts written in TensorFlow.js, for the `tfjs` benchmark section:
// same tensors (names, shapes: nn.Linear weights (out, in), untied lm_head), same forward
//   x = wte[tokens] + wpe[t] + patches · frame_projᵀ
//   per block: x += c_proj(attn(ln_1(x)));  x += c_proj(gelu_tanh(c_fc(ln_2(x))))
//   logits = lm_head(ln_f(x)),  loss = Σ_rows w · CE (w = 1/count on target rows)
// and the same update: global-norm clip, then Adam at the same learning-rate schedule. TF.js's Adam
// has no decoupled weight decay (ours is AdamW: one extra multiply-add per parameter, left out here).
// Causal attention over (B·H, T, D) with materialised (T, T) scores, as any TF.js model would write it.

import * as tf from '@tensorflow/tfjs';

export interface TfModelDims {
  B: number;
  T: number;
  C: number;
  H: number;
  L: number;
  F: number;
  V: number;
  P: number;
  lnEps: number;
}

export interface TfBatch {
  tokens: Int32Array; // (B·T)
  targets: Int32Array; // (B·T), −1 ignored
  weights: Float32Array; // (B·T)
  patches: Float32Array; // (B·T, P)
}

const GELU_K = Math.sqrt(2 / Math.PI);

export class TfTransformer {
  readonly vars: Record<string, tf.Variable>;
  private readonly optimizer: tf.Optimizer;
  private readonly mask: tf.Tensor;
  private updates = 0;
  private inputs?: { tokens: tf.Tensor; onehot: tf.Tensor; weights: tf.Tensor; patches: tf.Tensor };

  /** `init` maps every tensor name of src/model/params.ts to its values (e.g. tensorsFromFlat of initParams). */
  constructor(
    readonly d: TfModelDims,
    init: Record<string, { shape: number[]; data: Float32Array }>,
    readonly train: { lr: number; beta1: number; beta2: number; eps: number; maxGradNorm: number },
    /** Learning rate of update `step` (0-based), as ours (src/train/schedule.ts); default constant lr. */
    private readonly schedule: (step: number) => number = () => train.lr,
  ) {
    this.vars = {};
    for (const [name, t] of Object.entries(init)) this.vars[name] = tf.variable(tf.tensor(t.data, t.shape, 'float32'), true, name);
    this.optimizer = tf.train.adam(train.lr, train.beta1, train.beta2, train.eps);
    const { T } = d;
    const m = new Float32Array(T * T);
    for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) m[i * T + j] = -1e9;
    this.mask = tf.keep(tf.tensor2d(m, [T, T]));
  }

  get parameterCount(): number {
    return Object.values(this.vars).reduce((n, v) => n + v.size, 0);
  }

  setBatch(b: TfBatch): void {
    if (this.inputs) for (const t of Object.values(this.inputs)) t.dispose();
    const { B, T, V, P } = this.d;
    const N = B * T;
    this.inputs = tf.tidy(() => ({
      tokens: tf.keep(tf.tensor1d(b.tokens, 'int32')),
      // One-hot of the targets (all-zero rows where there is none), so CE = −Σ onehot · logsoftmax.
      onehot: tf.keep(tf.oneHot(tf.tensor1d(Int32Array.from(b.targets, (x) => (x < 0 ? -1 : x)), 'int32'), V).toFloat()),
      weights: tf.keep(tf.tensor2d(b.weights, [N, 1])),
      patches: tf.keep(tf.tensor2d(b.patches, [N, P])),
    }));
  }

  private layerNorm(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor {
    const { mean, variance } = tf.moments(x, -1, true);
    return x.sub(mean).mul(tf.rsqrt(variance.add(this.d.lnEps))).mul(w).add(b);
  }

  /** y = x · Wᵀ + b, W (out, in). */
  private linear(x: tf.Tensor, w: string, b?: string): tf.Tensor {
    const y = tf.matMul(x as tf.Tensor2D, this.vars[w] as tf.Tensor2D, false, true);
    return b ? y.add(this.vars[b]) : y;
  }

  private attention(qkv: tf.Tensor): tf.Tensor {
    const { B, T, H, C } = this.d;
    const D = C / H;
    // (B·T, 3C) → (3, B, H, T, D)
    const parts = qkv.reshape([B, T, 3, H, D]).transpose([2, 0, 3, 1, 4]);
    const [q, k, v] = tf.unstack(parts, 0).map((t) => t.reshape([B * H, T, D]));
    const scores = tf.matMul(q, k, false, true).mul(1 / Math.sqrt(D)).add(this.mask);
    const p = tf.softmax(scores, -1);
    const out = tf.matMul(p, v); // (B·H, T, D)
    return out.reshape([B, H, T, D]).transpose([0, 2, 1, 3]).reshape([B * T, C]);
  }

  /** Mean CE over the batch's target rows (a scalar). */
  loss(): tf.Scalar {
    if (!this.inputs) throw new Error('TfTransformer: setBatch first');
    const { B, T, L } = this.d;
    const v = this.vars;
    const { tokens, onehot, weights, patches } = this.inputs;
    const pos = v.wpe.slice([0, 0], [T, -1]);
    let x = tf.gather(v.wte, tokens).reshape([B, T, -1]).add(pos).reshape([B * T, -1]).add(this.linear(patches, 'frame_proj.weight'));
    for (let l = 0; l < L; l++) {
      const q = (s: string) => `h.${l}.${s}`;
      const a = this.linear(this.layerNorm(x, v[q('ln_1.weight')], v[q('ln_1.bias')]), q('attn.c_attn.weight'), q('attn.c_attn.bias'));
      x = x.add(this.linear(this.attention(a), q('attn.c_proj.weight'), q('attn.c_proj.bias')));
      const fc = this.linear(this.layerNorm(x, v[q('ln_2.weight')], v[q('ln_2.bias')]), q('mlp.c_fc.weight'), q('mlp.c_fc.bias'));
      const gelu = fc.mul(0.5).mul(tf.tanh(fc.add(fc.pow(3).mul(0.044715)).mul(GELU_K)).add(1));
      x = x.add(this.linear(gelu, q('mlp.c_proj.weight'), q('mlp.c_proj.bias')));
    }
    const logits = this.linear(this.layerNorm(x, v['ln_f.weight'], v['ln_f.bias']), 'lm_head.weight');
    return tf.logSoftmax(logits, -1).mul(onehot).mul(weights).sum().neg() as tf.Scalar;
  }

  /** One SFT step: loss, gradients, global-norm clip, Adam. Resolves with the loss (read back). */
  async step(): Promise<number> {
    // Adam reads this field in applyGradients (tfjs-core AdamOptimizer); set per step like our schedule.
    (this.optimizer as unknown as { learningRate: number }).learningRate = this.schedule(this.updates++);
    const lossT = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => this.loss());
      const names = Object.keys(grads);
      let scale: tf.Tensor | number = 1;
      if (this.train.maxGradNorm > 0) {
        const norm = tf.sqrt(tf.addN(names.map((n) => grads[n].square().sum())));
        scale = tf.minimum(tf.scalar(1), tf.scalar(this.train.maxGradNorm).div(norm.add(1e-6)));
      }
      this.optimizer.applyGradients(names.map((n) => ({ name: n, tensor: scale === 1 ? grads[n] : grads[n].mul(scale) })));
      return value;
    });
    const loss = (await lossT.data())[0];
    lossT.dispose();
    return loss;
  }

  /** The loss of the current batch without an update. */
  async evalLoss(): Promise<number> {
    const t = tf.tidy(() => this.loss());
    const x = (await t.data())[0];
    t.dispose();
    return x;
  }

  dispose(): void {
    for (const v of Object.values(this.vars)) v.dispose();
    if (this.inputs) for (const t of Object.values(this.inputs)) t.dispose();
    this.mask.dispose();
    this.optimizer.dispose();
  }
}
