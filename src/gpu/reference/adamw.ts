// CPU reference (float64) for shaders/adamw.wgsl: torch.optim.AdamW's single-tensor step, with the
// gradient multiplied by the clip scale and the whole step skipped when the clip record is not finite.

import type { ClipRecord } from './grad_norm';

export interface AdamWState {
  params: Float64Array;
  m: Float64Array;
  v: Float64Array;
}

export interface AdamWStepOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Step count, >= 1. */
  t: number;
  /** Apply decoupled weight decay. Default true. */
  decay?: boolean;
  /** Clip record from gradNorm; default scale 1, finite. */
  clip?: Pick<ClipRecord, 'scale' | 'finite'>;
}

/** Updates `state` in place over [offset, offset + n) (default: all elements). */
export function adamwStep(state: AdamWState, grads: ArrayLike<number>, o: AdamWStepOptions, offset = 0, n = grads.length - offset): void {
  const clip = o.clip ?? { scale: 1, finite: 1 };
  if (clip.finite === 0) return;
  const stepSize = o.lr / (1 - o.beta1 ** o.t);
  const bc2Sqrt = Math.sqrt(1 - o.beta2 ** o.t);
  for (let j = offset; j < offset + n; j++) {
    const g = grads[j] * clip.scale;
    let p = state.params[j];
    if (o.decay !== false) p *= 1 - o.lr * o.weightDecay;
    const m = o.beta1 * state.m[j] + (1 - o.beta1) * g;
    const v = o.beta2 * state.v[j] + (1 - o.beta2) * g * g;
    state.params[j] = p - (stepSize * m) / (Math.sqrt(v) / bc2Sqrt + o.eps);
    state.m[j] = m;
    state.v[j] = v;
  }
}
