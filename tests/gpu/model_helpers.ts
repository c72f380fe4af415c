// Shared by the whole-model GPU tests (model_forward, model_onnx): one forward + backward of GpuModel
// on a batch, checked against the float64 CPU reference (src/model/reference.ts).

import { expect } from 'vitest';
import { expectClose } from './harness';
import type { Config } from '../../src/model/config';
import type { Batch } from '../../src/model/batch';
import type { ParamLayout } from '../../src/model/params';
import { referenceForward, referenceLossAndGrads } from '../../src/model/reference';
import { GpuModel, type ModelKernels } from '../../src/model/model';

/**
 * Runs the GPU model's forward and backward on `batch` from `init` and expects its SFT loss, entropy
 * and every gradient tensor to match the reference. Returns the GPU gradients (flat, layout order).
 */
export async function expectGpuMatchesReference(
  d: GPUDevice,
  { model, train }: Config,
  layout: ParamLayout,
  batch: Batch,
  init: Float32Array,
  kernels: ModelKernels,
): Promise<Float32Array> {
  const gpu = await GpuModel.create(d, model, layout, { batchSize: train.batchSize, init, train, kernels });
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
  return grads;
}
