// The whole model on the GPU (Dawn; SwiftShader without a GPU) against the float64 CPU reference:
// the SFT loss of the forward pass, and every gradient of the backward pass. (The reference's
// gradients are themselves checked against finite differences in tests/pure/model_reference.test.ts.)

import { describe, expect, it } from 'vitest';
import { device, expectClose } from './harness';
import { makeConfig } from '../../src/model/config';
import { initParams, paramLayout } from '../../src/model/params';
import { makeBatch } from '../../src/model/batch';
import { referenceForward, referenceLossAndGrads } from '../../src/model/reference';
import { GpuModel, createModelKernels, type ModelKernels } from '../../src/model/model';
import { SftTrainer } from '../../src/train/sft';
import { microSamples } from '../../src/train/samples';
import { Rng } from '../../src/util/rng';

let kernels: Promise<ModelKernels> | undefined;
const sharedKernels = async () => (kernels ??= createModelKernels(await device(), [16]));

describe('GPU model (tiny preset)', () => {
  const { model, train } = makeConfig('tiny');
  const layout = paramLayout(model);
  const batch = makeBatch(microSamples(train.batchSize, 11).map((s) => ({ frames: s.frames, prompt: s.prompt, completion: s.output })), model);
  // Random biases and LayerNorm parameters (not 0 and 1) so every gradient path is exercised.
  const rng = new Rng(5);
  const init = Float32Array.from(initParams(layout, 2), (v) => v + 0.05 * rng.normal());

  it('computes the same SFT loss and gradients as the float64 reference', async () => {
    const d = await device();
    const gpu = await GpuModel.create(d, model, layout, { batchSize: train.batchSize, init, train, kernels: await sharedKernels() });
    gpu.setBatch(batch);
    d.pushErrorScope('validation');
    const fwd = await gpu.run({ backward: true });
    const err = await d.popErrorScope();
    if (err) throw new Error(`GPU validation error: ${err.message}`);

    const ref = referenceLossAndGrads(init, layout, model, batch);
    const refFwd = referenceForward(init, layout, model, batch);
    expect(Math.abs(fwd.loss - ref.loss)).toBeLessThan(1e-4 * ref.loss);
    expect(Math.abs(fwd.entropy - refFwd.entropy)).toBeLessThan(1e-4 * refFwd.entropy);

    const grads = await gpu.readGrads();
    for (const t of layout.tensors) {
      const got = grads.subarray(t.offset, t.offset + t.size);
      const want = ref.grads.subarray(t.offset, t.offset + t.size);
      let scale = 0;
      for (const v of want) scale = Math.max(scale, Math.abs(v));
      // f32 accumulation over up to N = 256 rows: absolute error relative to the tensor's largest gradient.
      expectClose(got, want, { atol: 2e-4 * scale + 1e-7, rtol: 1e-3 }, t.name);
    }
  });

  it('skips the update and logs it when the loss is not finite', async () => {
    const config = makeConfig('tiny');
    const bad = initParams(layout, 1);
    bad[layout.tensors.find((t) => t.name === 'lm_head.weight')!.offset] = Number.POSITIVE_INFINITY;
    const warnings: string[] = [];
    const trainer = await SftTrainer.create(await device(), config, {
      samples: microSamples(4, 1),
      init: bad,
      kernels: await sharedKernels(),
      onWarning: (w) => warnings.push(w),
    });
    const entry = await trainer.trainStep();
    expect(entry.skipped).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/update skipped/);
    expect(trainer.model.updates).toBe(0);
    // Every parameter is exactly as it was (Object.is: the Infinity stays, nothing became NaN).
    const after = await trainer.model.readParams();
    expect(after.every((v, i) => Object.is(v, bad[i]))).toBe(true);
  });
});
