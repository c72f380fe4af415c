// The model with frameEncoder 'onnx' on the CPU: the shipped frozen ONNX encoder
// (public/models/tiny-frame-encoder.onnx) run on onnxruntime-web's wasm provider in Node gives the
// features; the config, layout, batch and float64 reference take them in place of patches (the
// reference's gradients against finite differences), and a mismatched feature width fails clearly.

import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeConfig, modelDims, type Config } from '../../src/model/config';
import { initParams, paramLayout, tensor, type ParamLayout } from '../../src/model/params';
import { encodeFrameFeatures, encoderFrames, frameRows, makeBatch, onnxEncoderConfig, type Batch } from '../../src/model/batch';
import { referenceLoss, referenceLossAndGrads } from '../../src/model/reference';
import { OnnxFrameEncoder } from '../../src/model/onnx_encoder';
import { FRAME } from '../../src/model/tokenizer';
import { microSamples } from '../../src/train/samples';
import { Rng } from '../../src/util/rng';

const ENCODER = new URL('../../public/models/tiny-frame-encoder.onnx', import.meta.url);

let encoder: OnnxFrameEncoder;
let config: Config;
let layout: ParamLayout;
let batch: Batch;
const samples = microSamples(2, 11);

beforeAll(async () => {
  encoder = await OnnxFrameEncoder.load(new Uint8Array(readFileSync(ENCODER)), { backend: 'wasm' });
  config = makeConfig('test', { model: await onnxEncoderConfig(encoder, 32) });
  layout = paramLayout(config.model);
  const seqs = await Promise.all(
    samples.map(async (s) => ({ frames: s.frames, prompt: s.prompt, completion: s.output, features: await encodeFrameFeatures(encoder, s.frames, config.model) })),
  );
  batch = makeBatch(seqs, config.model);
}, 60_000);

describe("frameEncoder 'onnx': config, layout and batch", () => {
  it('reads the encoder width and tokens per frame from the encoder, and replaces frame_proj by encoder_proj', () => {
    const m = config.model;
    expect(m).toMatchObject({ frameEncoder: 'onnx', frameSize: 32, encoderWidth: 64, encoderTokensPerFrame: 16 });
    const d = modelDims(m);
    expect(d.frameTokens).toBe(2 * 16);
    expect(d.frameDim).toBe(64);
    expect(tensor(layout, 'encoder_proj.weight').shape).toEqual([m.width, 64]);
    expect(tensor(layout, 'encoder_proj.weight').decay).toBe(true);
    expect(layout.tensors.some((t) => t.name === 'frame_proj.weight')).toBe(false);
    // The default stays 'patch', and a config without the option is unchanged.
    expect(makeConfig('test').model.frameEncoder).toBeUndefined();
    expect(tensor(paramLayout(makeConfig('test').model), 'frame_proj.weight').shape).toEqual([32, 192]);
  });

  it('carries the encoder features at frame positions, zeros elsewhere, and no patches', async () => {
    const { frameTokens } = modelDims(config.model);
    const { T } = batch;
    expect(batch.patches.length).toBe(0);
    expect(batch.features!.length).toBe(batch.B * T * 64);
    expect(frameRows(batch, config.model)).toBe(batch.features);
    const direct = await encoder.encode(encoderFrames(samples[1].frames, config.model), 2, 32, 32);
    expect(direct.features.length).toBe(frameTokens * 64);
    expect(batch.features!.subarray(T * 64, (T + frameTokens) * 64)).toEqual(direct.features);
    expect(batch.features!.subarray((T + frameTokens) * 64, 2 * T * 64).every((v) => v === 0)).toBe(true);
    expect(batch.tokens[T + frameTokens - 1]).toBe(FRAME);
    expect(batch.tokens[T + frameTokens]).not.toBe(FRAME);
  });

  it('frames for the encoder are (F, 3, S, S) in [0, 1], channel-planar', () => {
    const f = encoderFrames(samples[0].frames, config.model);
    expect(f.length).toBe(2 * 3 * 32 * 32);
    expect(f.every((v) => v >= 0 && v <= 1)).toBe(true);
    // Nearest resize of 16×16 to 32×32: pixel (2y, 2x) of channel c is source pixel (y, x).
    const src = samples[0].frames[0];
    expect(f[(1 * 32 + 6) * 32 + 8]).toBeCloseTo(src.rgba[(3 * src.width + 4) * 4 + 1] / 255, 6);
  });
});

describe("frameEncoder 'onnx': float64 reference", () => {
  it('has gradients equal to finite differences of its loss (encoder_proj and the tensors around it)', () => {
    const rng = new Rng(5);
    const params = Float64Array.from(initParams(layout, 2), (v) => v + 0.05 * rng.normal());
    const { loss, grads } = referenceLossAndGrads(params, layout, config.model, batch);
    expect(Math.abs(loss - Math.log(config.model.vocabSize))).toBeLessThan(0.5);
    const h = 1e-5;
    for (const name of ['encoder_proj.weight', 'wpe', 'h.0.ln_1.weight', 'h.0.attn.c_attn.weight']) {
      const t = tensor(layout, name);
      for (let probe = 0; probe < 4; probe++) {
        // wpe and encoder_proj: rows that frame positions touch.
        const i = name === 'wpe' ? rng.int(32 * config.model.width) : rng.int(t.size);
        const j = t.offset + i;
        const saved = params[j];
        params[j] = saved + h;
        const plus = referenceLoss(params, layout, config.model, batch);
        params[j] = saved - h;
        const minus = referenceLoss(params, layout, config.model, batch);
        params[j] = saved;
        const fd = (plus - minus) / (2 * h);
        expect(Math.abs(grads[j] - fd), `${name}[${i}]: analytic ${grads[j]}, finite difference ${fd}`).toBeLessThan(1e-7 + 1e-5 * Math.abs(fd));
      }
    }
    // The features matter: the projection's gradient is not zero.
    const g = grads.subarray(tensor(layout, 'encoder_proj.weight').offset, tensor(layout, 'encoder_proj.weight').offset + 32 * 64);
    expect(g.some((v) => Math.abs(v) > 1e-8)).toBe(true);
  }, 60_000);
});

describe("frameEncoder 'onnx': errors", () => {
  it('rejects an encoder whose feature width differs from the config', async () => {
    const wrong = makeConfig('test', { model: { frameEncoder: 'onnx', frameSize: 32, encoderWidth: 48, encoderTokensPerFrame: 16 } }).model;
    await expect(encodeFrameFeatures(encoder, samples[0].frames, wrong)).rejects.toThrow(/gives 16 rows of width 64 per frame.*encoderWidth 48/);
  });

  it('rejects features of the wrong width in makeBatch, and a batch of another width in the reference', async () => {
    const features = await encodeFrameFeatures(encoder, samples[0].frames, config.model);
    const wrong = makeConfig('test', { model: { ...config.model, encoderWidth: 48 } }).model;
    const seq = { frames: samples[0].frames, prompt: samples[0].prompt, completion: samples[0].output, features };
    expect(() => makeBatch([seq], wrong)).toThrow(/features have 2048 values, expected \(frameTokens 32, encoderWidth 48\) = 1536/);
    // Without features: those encodeFrameFeatures computed for the same frames array, else an error.
    expect(makeBatch([{ ...seq, features: undefined }], config.model).features!.subarray(0, features.length)).toEqual(features);
    expect(() => makeBatch([{ ...seq, frames: [...seq.frames], features: undefined }], config.model)).toThrow(/needs the sequence's features/);
    const wrongLayout = paramLayout(wrong);
    expect(() => referenceLoss(initParams(wrongLayout, 1), wrongLayout, wrong, batch)).toThrow(new RegExp(`features \\(encoderWidth 48\\) have ${batch.B * batch.T * 64} values, expected B·T·48`));
    // A patch batch given to an onnx model, and the reverse.
    const patchBatch = makeBatch([seq], makeConfig('test').model);
    expect(() => frameRows(patchBatch, config.model)).toThrow(/features \(encoderWidth 64\) have 0 values/);
  });

  it('validates the config: onnx needs encoderWidth and encoderTokensPerFrame', () => {
    expect(() => makeConfig('test', { model: { frameEncoder: 'onnx', encoderTokensPerFrame: 16 } })).toThrow(/needs encoderWidth/);
    expect(() => makeConfig('test', { model: { frameEncoder: 'onnx', encoderWidth: 64 } })).toThrow(/needs encoderTokensPerFrame/);
    expect(() => makeConfig('test', { model: { frameEncoder: 'onnx', encoderWidth: 64, encoderTokensPerFrame: 80 } })).toThrow(/leave no room/);
  });
});
