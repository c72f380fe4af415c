// The jax-js transformer of the `jaxjs` bench section (bench/browser/jaxjs_model.ts), run on jax-js's
// wasm device in Node against our float64 reference SFT run (src/train/sft_reference.ts): the bench
// compares our SFT step with this one, so it must compute the same loss and the same AdamW update.

import { init } from '@jax-js/jax';
import { describe, expect, it } from 'vitest';
import { JaxTransformer } from '../../bench/browser/jaxjs_model';
import { makeConfig, modelDims, type Config } from '../../src/model/config';
import { initParams, paramLayout } from '../../src/model/params';
import { lossWeights } from '../../src/model/reference';
import { tensorsFromFlat } from '../../src/train/checkpoint';
import { BatchOrder, sftBatch } from '../../src/train/data';
import { microSamples } from '../../src/train/samples';
import { learningRate } from '../../src/train/schedule';
import { referenceSftRun } from '../../src/train/sft_reference';

// jax-js 0.1.25 uses the ES2025 iterator helpers (`matchAll(…).map`, in einsum), which Chromium has
// and Node 20 (this project's minimum) lacks: add the few it needs to %IteratorPrototype% when absent.
function polyfillIteratorHelpers(): void {
  const proto = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())) as Record<string, unknown>;
  if (typeof proto.map === 'function') return;
  const helpers: Record<string, (this: Iterator<unknown>, ...args: never[]) => unknown> = {
    *map(f: (x: unknown, i: number) => unknown) {
      let i = 0;
      for (let r = this.next(); !r.done; r = this.next()) yield f(r.value, i++);
    },
    *filter(f: (x: unknown, i: number) => boolean) {
      let i = 0;
      for (let r = this.next(); !r.done; r = this.next()) if (f(r.value, i++)) yield r.value;
    },
    toArray() {
      const out: unknown[] = [];
      for (let r = this.next(); !r.done; r = this.next()) out.push(r.value);
      return out;
    },
    forEach(f: (x: unknown, i: number) => void) {
      let i = 0;
      for (let r = this.next(); !r.done; r = this.next()) f(r.value, i++);
    },
  };
  for (const [name, fn] of Object.entries(helpers)) Object.defineProperty(proto, name, { value: fn, configurable: true, writable: true });
}

function build(config: Config) {
  const m = config.model;
  const dims = modelDims(m);
  const layout = paramLayout(m);
  const samples = microSamples(8, config.train.seed, m.frames, m.frameSize);
  const B = config.train.batchSize;
  const batch = sftBatch(samples, new BatchOrder(samples.length, B, config.train.seed).next(), m);
  const flat = initParams(layout, config.train.seed);
  const decay = new Map(layout.tensors.map((t) => [t.name, t.decay]));
  const model = new JaxTransformer(
    { B, T: dims.maxT, C: dims.C, H: dims.H, L: m.layers, F: dims.F, V: dims.V, P: dims.patchDim, lnEps: m.lnEps },
    Object.fromEntries(tensorsFromFlat(layout, flat).map((t) => [t.name, { shape: t.shape, data: Float32Array.from(t.data as Float32Array), decay: decay.get(t.name)! }])),
    config.train,
    'wasm',
  );
  model.setBatch({ tokens: batch.tokens, targets: batch.targets, weights: lossWeights(batch.targets, batch.targetCount), patches: batch.patches });
  return { model, layout, samples };
}

describe('bench jax-js transformer', () => {
  it('matches the float64 reference SFT run: initial loss and the losses after clipped AdamW steps', async () => {
    polyfillIteratorHelpers();
    await init('wasm');
    // Small and fast on wasm: the `test` preset (byte vocabulary) at B 2. Adam ignores a constant
    // gradient scale, so clipping would not show in the losses: a large eps makes the update follow the
    // gradient's size (clipped to 0.05 it is far below eps, unclipped it is not), and a large weight
    // decay makes the decayed tensors shrink visibly; a large lr moves the loss within 3 steps.
    const config = makeConfig('test', { train: { batchSize: 2, lr: 3e-2, warmupSteps: 1, maxGradNorm: 0.05, eps: 1e-3, weightDecay: 3 } });
    const { model, layout, samples } = build(config);
    try {
      expect(model.parameterCount).toBe(layout.count);
      const steps = 3;
      const reference = referenceSftRun(config, samples, steps + 1, true);
      expect(reference.every((r) => !r.skipped)).toBe(true);
      // The clip must bite at least once, or the test would not check it.
      expect(reference.slice(0, steps).some((r) => r.gradNorm > config.train.maxGradNorm)).toBe(true);

      expect(await model.evalLoss()).toBeCloseTo(reference[0].loss, 4);
      const got: number[] = [];
      for (let s = 0; s < steps; s++) got.push(await model.step(learningRate(s, config.train)));
      // step() returns the loss before its update, as the reference records it.
      for (let s = 0; s < steps; s++) expect(got[s]).toBeCloseTo(reference[s].loss, 3);
      expect(await model.evalLoss()).toBeCloseTo(reference[steps].loss, 3);
      expect(reference[steps].loss).toBeLessThan(reference[0].loss - 0.05);
    } finally {
      model.dispose();
    }
  }, 120_000);
});
