// The SFT run on the CPU in float64: the same batches, schedule, clipping and AdamW as the GPU
// trainer (src/train/sft.ts), composed from the kernel references. It records the golden loss curve
// (scripts/make-golden.ts) that the GPU run must reproduce. No WebGPU imports.

import { adamwStep } from '../gpu/reference/adamw';
import { gradNorm } from '../gpu/reference/grad_norm';
import type { Config } from '../model/config';
import { initParams, paramLayout } from '../model/params';
import { referenceLossAndGrads } from '../model/reference';
import { BatchOrder, sftBatch } from './data';
import { learningRate } from './schedule';
import type { SftSample } from './samples';

export interface ReferenceStep {
  step: number;
  lr: number;
  loss: number;
  gradNorm: number;
  skipped: boolean;
}

/**
 * `steps` SFT updates from initParams(seed). With `fixedBatch`, every step uses the first batch
 * (the overfitting check). Returns the loss of each step before its update.
 */
export function referenceSftRun(config: Config, samples: SftSample[], steps: number, fixedBatch = false): ReferenceStep[] {
  const { model, train } = config;
  const layout = paramLayout(model);
  const state = { params: Float64Array.from(initParams(layout, train.seed)), m: new Float64Array(layout.total), v: new Float64Array(layout.total) };
  const order = new BatchOrder(samples.length, train.batchSize, train.seed);
  let fixed: number[] | undefined;
  const log: ReferenceStep[] = [];
  let t = 0;
  for (let step = 0; step < steps; step++) {
    const batch = sftBatch(samples, fixedBatch ? (fixed ??= order.next()) : order.next(), model);
    const { loss, grads } = referenceLossAndGrads(state.params, layout, model, batch);
    const clip = gradNorm(grads, train.maxGradNorm);
    const lr = learningRate(step, train);
    const skipped = clip.finite === 0 || !Number.isFinite(loss);
    if (!skipped) {
      t++;
      const o = { lr, beta1: train.beta1, beta2: train.beta2, eps: train.eps, weightDecay: train.weightDecay, t, clip };
      adamwStep(state, grads, { ...o, decay: true }, layout.decayRange[0], layout.decayRange[1]);
      adamwStep(state, grads, { ...o, decay: false }, layout.noDecayRange[0], layout.noDecayRange[1]);
    }
    log.push({ step, lr, loss, gradNorm: clip.norm, skipped });
  }
  return log;
}
