// The whole model on the GPU (Dawn; SwiftShader without a GPU) against the float64 CPU reference:
// the SFT loss of the forward pass, and every gradient of the backward pass. (The reference's
// gradients are themselves checked against finite differences in tests/pure/model_reference.test.ts.)

import { describe, expect, it } from 'vitest';
import { device } from './harness';
import { expectGpuMatchesReference } from './model_helpers';
import { makeConfig } from '../../src/model/config';
import { initParams, paramLayout } from '../../src/model/params';
import { makeBatch } from '../../src/model/batch';
import { createModelKernels, type ModelKernels } from '../../src/model/model';
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
    await expectGpuMatchesReference(await device(), { model, train }, layout, batch, init, await sharedKernels());
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
