// The GPU model with frameEncoder 'onnx': features of the shipped frozen ONNX encoder
// (public/models/tiny-frame-encoder.onnx, onnxruntime-web's wasm provider in Node) feed a trainable
// encoder_proj; the SFT loss and every gradient match the float64 reference, a few SFT steps lower
// the loss, and a batch of the wrong feature width fails clearly.

import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { device } from './harness';
import { expectGpuMatchesReference } from './model_helpers';
import { makeConfig, type Config } from '../../src/model/config';
import { initParams, paramLayout, tensor, type ParamLayout } from '../../src/model/params';
import { encodeFrameFeatures, makeBatch, onnxEncoderConfig, type Batch } from '../../src/model/batch';
import { GpuModel, createModelKernels, type ModelKernels } from '../../src/model/model';
import { OnnxFrameEncoder } from '../../src/model/onnx_encoder';
import { microSamples } from '../../src/train/samples';
import { microRlPrompts, type RlPrompt } from '../../src/train/rl_data';
import { RlTrainer } from '../../src/train/rl';
import { Rng } from '../../src/util/rng';

const ENCODER = new URL('../../public/models/tiny-frame-encoder.onnx', import.meta.url);

let kernels: Promise<ModelKernels> | undefined;
const sharedKernels = async () => (kernels ??= createModelKernels(await device(), [16]));

let config: Config;
let layout: ParamLayout;
let batch: Batch;
let rlPrompts: RlPrompt[];

beforeAll(async () => {
  const encoder = await OnnxFrameEncoder.load(new Uint8Array(readFileSync(ENCODER)), { backend: 'wasm' });
  config = makeConfig('test', { model: await onnxEncoderConfig(encoder, 32) });
  layout = paramLayout(config.model);
  const samples = microSamples(config.train.batchSize, 11);
  const seqs = await Promise.all(
    samples.map(async (s) => ({ frames: s.frames, prompt: s.prompt, completion: s.output, features: await encodeFrameFeatures(encoder, s.frames, config.model) })),
  );
  batch = makeBatch(seqs, config.model);
  // RL prompts: their frames are encoded once here; the Decoder's prefill and the update batch find
  // the features by frames array (makeBatch), as for SFT.
  rlPrompts = microRlPrompts(2, 4, 2, 16);
  for (const p of rlPrompts) await encodeFrameFeatures(encoder, p.frames, config.model);
  await encoder.release();
}, 60_000);

describe("GPU model, frameEncoder 'onnx' (tiny preset + the shipped encoder)", () => {
  it('computes the same SFT loss and gradients as the float64 reference', async () => {
    const d = await device();
    const rng = new Rng(5);
    const init = Float32Array.from(initParams(layout, 2), (v) => v + 0.05 * rng.normal());
    const grads = await expectGpuMatchesReference(d, config, layout, batch, init, await sharedKernels());
    const proj = tensor(layout, 'encoder_proj.weight');
    expect(grads.subarray(proj.offset, proj.offset + proj.size).some((v) => v !== 0)).toBe(true);
  });

  it('lowers the loss in a few SFT steps on the encoder features', async () => {
    const d = await device();
    const { model, train } = config;
    const init = initParams(layout, 3);
    const gpu = await GpuModel.create(d, model, layout, { batchSize: train.batchSize, init, train, kernels: await sharedKernels() });
    gpu.setBatch(batch);
    const losses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const m = await gpu.step(1e-2);
      expect(m.finite).toBe(true);
      losses.push(m.loss);
    }
    losses.push((await gpu.forward()).loss);
    expect(losses.at(-1)!, `losses ${losses.map((l) => l.toFixed(3)).join(' ')}`).toBeLessThan(losses[0] * 0.75);
    // encoder_proj was trained (it is in the decayed range AdamW updates).
    const after = await gpu.readParams();
    const proj = tensor(layout, 'encoder_proj.weight');
    expect(after.subarray(proj.offset, proj.offset + proj.size)).not.toEqual(init.subarray(proj.offset, proj.offset + proj.size));
  });

  it('runs a PA-GRPO step on the encoder features: rollouts sampled, encoder_proj updated', async () => {
    const d = await device();
    const rl = await RlTrainer.create(d, config, { prompts: rlPrompts, mode: 'pa-grpo', group: 2, promptsPerStep: 1, sampling: { maxNewTokens: 8 }, init: initParams(layout, 4), kernels: await sharedKernels(), onWarning: () => {} });
    const before = await rl.policy.readParams();
    const e = await rl.trainStep();
    expect(e.skipped).toBe(false);
    expect(Number.isFinite(e.loss)).toBe(true);
    expect(e.completionTokens).toBeGreaterThan(0);
    const after = await rl.policy.readParams();
    const proj = tensor(layout, 'encoder_proj.weight');
    expect(after.subarray(proj.offset, proj.offset + proj.size)).not.toEqual(before.subarray(proj.offset, proj.offset + proj.size));
    // A prompt whose frames were never encoded fails clearly instead of training on zeros.
    const stranger = { ...rlPrompts[0], frames: [...rlPrompts[0].frames] };
    const rl2 = await RlTrainer.create(d, config, { prompts: [stranger], mode: 'pa-grpo', group: 2, promptsPerStep: 1, sampling: { maxNewTokens: 4 }, kernels: await sharedKernels() });
    await expect(rl2.trainStep()).rejects.toThrow(/needs the sequence's features/);
  });

  it('rejects a batch whose feature width differs from the model config', async () => {
    const d = await device();
    const wrong = makeConfig('test', { model: { ...config.model, encoderWidth: 48 } });
    const wrongLayout = paramLayout(wrong.model);
    const gpu = await GpuModel.create(d, wrong.model, wrongLayout, { batchSize: wrong.train.batchSize, init: initParams(wrongLayout, 1), train: wrong.train, kernels: await sharedKernels() });
    expect(() => gpu.setBatch(batch)).toThrow(new RegExp(`GpuModel.setBatch: the batch's features \\(encoderWidth 48\\) have ${batch.B * batch.T * 64} values, expected B·T·48 = ${batch.B * batch.T * 48}`));
  });
});
