// The ONNX frame encoder in Node on onnxruntime-web's wasm provider: the generated graph against its
// float64 reference, determinism from the seed, the shipped file, and the errors a user's model gets.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import onnxProto from 'onnx-proto';
import type { onnx as Onnx } from 'onnx-proto';
import { buildTinyEncoderModel } from '../../src/model/onnx_graph';
import { DEFAULT_TINY_ENCODER, erf, patchify, tinyEncoderDims, tinyEncoderReference, type TinyEncoderOptions } from '../../src/model/onnx_encoder_reference';
import { OnnxEncoderError, OnnxFrameEncoder, checkEncoderSignature, rgbaToFrames } from '../../src/model/onnx_encoder';
import { Rng } from '../../src/util/rng';

const { onnx } = onnxProto;
const SMALL: TinyEncoderOptions = { frameSize: 16, patchSize: 4, dim: 24, seed: 3 };

function randomFrames(F: number, size: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: F * 3 * size * size }, () => rng.next());
}

/** First index where |got - want| > atol + rtol·|want|, or -1. */
function firstMismatch(got: ArrayLike<number>, want: ArrayLike<number>, atol = 1e-4, rtol = 1e-4): number {
  for (let i = 0; i < want.length; i++) if (!(Math.abs(got[i] - want[i]) <= atol + rtol * Math.abs(want[i]))) return i;
  return -1;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

/** A one-node model (an Identity, or the op given) with the declared input and output shapes. */
function tinyModel(inputs: { name: string; dims: (number | string)[]; type?: number }[], output: { name: string; dims: (number | string)[] }, node?: Onnx.INodeProto): Uint8Array {
  const info = (name: string, dims: (number | string)[], elemType = onnx.TensorProto.DataType.FLOAT): Onnx.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'test',
      node: [node ?? { opType: 'Identity', input: [inputs[0].name], output: [output.name] }],
      input: inputs.map((i) => info(i.name, i.dims, i.type)),
      output: [info(output.name, output.dims)],
    },
  }).finish();
}

async function loadError(bytes: Uint8Array, output?: string): Promise<OnnxEncoderError> {
  const err = await OnnxFrameEncoder.load(bytes, { backend: 'wasm', output }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OnnxEncoderError);
  return err as OnnxEncoderError;
}

describe('the tiny ONNX frame encoder', () => {
  it('computes erf and patchify as the graph does', () => {
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 14);
    expect(erf(-1)).toBeCloseTo(-0.8427007929497149, 14);
    expect(erf(4)).toBeCloseTo(0.9999999845827421, 14);
    // frame 0, patch (i=1, j=0) of a 4×4 frame with 2×2 patches: rows 2–3, columns 0–1 of each channel.
    const frames = Float32Array.from({ length: 3 * 16 }, (_, k) => k);
    const patch = patchify(frames, 1, 4, 2).subarray(2 * 12, 3 * 12);
    expect(Array.from(patch)).toEqual([8, 9, 12, 13, 24, 25, 28, 29, 40, 41, 44, 45]);
  });

  it('loads in Node on the wasm provider and matches the float64 reference', async () => {
    const encoder = await OnnxFrameEncoder.load(buildTinyEncoderModel(SMALL), { backend: 'wasm' });
    try {
      const F = 3;
      const frames = randomFrames(F, SMALL.frameSize, 9);
      const got = await encoder.encode(frames, F, SMALL.frameSize, SMALL.frameSize);
      const P = tinyEncoderDims(SMALL).patchesPerFrame;
      expect({ rows: got.rows, width: got.width, tokensPerFrame: got.tokensPerFrame }).toEqual({ rows: F * P, width: SMALL.dim, tokensPerFrame: P });
      const want = tinyEncoderReference(frames, F, SMALL);
      const bad = firstMismatch(got.features, want);
      expect(bad, bad < 0 ? '' : `first mismatch at ${bad}: ${got.features[bad]} vs ${want[bad]}`).toBe(-1);
    } finally {
      await encoder.release();
    }
  });

  it('takes any number of frames (the batch dimension is symbolic)', async () => {
    const encoder = await OnnxFrameEncoder.load(buildTinyEncoderModel(SMALL), { backend: 'wasm' });
    expect(encoder.signature).toMatchObject({ input: 'frames', output: 'features', inputShape: ['frames', 3, 16, 16], width: 24 });
    const one = await encoder.encode(randomFrames(1, 16, 4), 1, 16, 16);
    expect(one.rows).toBe(16);
    await encoder.release();
  });

  it('is deterministic from its seed', () => {
    const a = buildTinyEncoderModel(SMALL);
    expect(sameBytes(buildTinyEncoderModel(SMALL), a)).toBe(true);
    expect(sameBytes(buildTinyEncoderModel({ ...SMALL, seed: 4 }), a)).toBe(false);
  });

  it('ships public/models/tiny-frame-encoder.onnx as the script generates it, well under 1 MB', () => {
    const shipped = new Uint8Array(readFileSync(new URL('../../public/models/tiny-frame-encoder.onnx', import.meta.url)));
    expect(shipped.length).toBeLessThan(256 * 1024);
    expect(sameBytes(shipped, buildTinyEncoderModel(DEFAULT_TINY_ENCODER)), 'stale file: run npx tsx scripts/make-onnx-encoder.ts').toBe(true);
  });

  it('turns RGBA frames into channel-planar RGB in [0,1]', () => {
    const px = Uint8Array.of(255, 0, 51, 7, 0, 255, 102, 9); // a 1×2 frame
    expect(rgbaToFrames([px], 1, 2)).toEqual(Float32Array.of(1, 0, 0, 1, 0.2, 0.4));
  });
});

describe('a model that does not fit', () => {
  it('says the bytes are not an ONNX model', async () => {
    const err = await loadError(new TextEncoder().encode('not a model'));
    expect(err.code).toBe('OnnxModelInvalid');
    expect(err.message).toContain('hint:');
  });

  it('names a channel-last input and says so', async () => {
    const err = await loadError(tinyModel([{ name: 'image', dims: ['N', 32, 32, 3] }], { name: 'y', dims: ['N', 32, 32, 3] }));
    expect(err.code).toBe('OnnxModelUnsuitable');
    expect(err.message).toContain("input 'image' (N, 32, 32, 3) has 32 channels");
    expect(err.message).toContain('channel-last');
  });

  it('rejects an input of the wrong rank', async () => {
    const err = await loadError(tinyModel([{ name: 'x', dims: [3, 32] }], { name: 'y', dims: [3, 32] }));
    expect(err.message).toContain("input 'x' has rank 2 (3, 32)");
  });

  it('rejects a dynamic feature width it cannot resolve', async () => {
    const err = await loadError(tinyModel([{ name: 'x', dims: ['N', 3, 'H', 'W'] }], { name: 'y', dims: ['N', 'C'] }, { opType: 'Flatten', input: ['x'], output: ['y'] }));
    expect(err.message).toContain("output 'y' (N, C) has a dynamic feature width 'C'");
  });

  it('rejects a second input, and an output name the model lacks', async () => {
    const two = tinyModel(
      [
        { name: 'x', dims: [1, 3, 8, 8] },
        { name: 'mask', dims: [1, 3, 8, 8] },
      ],
      { name: 'y', dims: [1, 3, 8, 8] },
      { opType: 'Add', input: ['x', 'mask'], output: ['y'] },
    );
    expect((await loadError(two)).message).toContain('2 inputs (x, mask)');
    expect((await loadError(buildTinyEncoderModel(SMALL), 'pooled')).message).toContain("no output 'pooled' (its outputs: features)");
  });

  it('rejects frames of another size than the model was exported for', async () => {
    const encoder = await OnnxFrameEncoder.load(buildTinyEncoderModel(SMALL), { backend: 'wasm' });
    const err = await encoder.encode(randomFrames(2, 8, 1), 2, 8, 8).catch((e: OnnxEncoderError) => e);
    expect(err).toMatchObject({ code: 'OnnxFramesMismatch' });
    expect((err as Error).message).toContain("input 'frames' (frames, 3, 16, 16) at dim 2 (H: 8 vs 16)");
    await expect(encoder.encode(new Float32Array(5), 1, 16, 16)).rejects.toThrow('frames has 5 values');
    await encoder.release();
  });

  it("refuses the webgpu backend in Node, where onnxruntime-web's WebGPU provider does not run", async () => {
    await expect(OnnxFrameEncoder.load(buildTinyEncoderModel(SMALL), { backend: 'webgpu' })).rejects.toMatchObject({ code: 'OnnxBackendUnavailable' });
  });
});

describe("a user's model", () => {
  it('accepts a 3-D (N, P, C) output', async () => {
    // Each colour plane of a 4×4 frame as one token: (N, 3, 4, 4) → (N, 3, 16), so P = 3 and C = 16.
    const planes = onnx.TensorProto.create({ name: 'shape', dims: [3], dataType: onnx.TensorProto.DataType.INT64, int64Data: [-1, 3, 16] });
    const bytes = onnx.ModelProto.encode({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'planes',
        node: [{ opType: 'Reshape', input: ['x', 'shape'], output: ['y'] }],
        initializer: [planes],
        input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }, { dimValue: 3 }, { dimValue: 4 }, { dimValue: 4 }] } } } }],
        output: [{ name: 'y', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }, { dimValue: 3 }, { dimValue: 16 }] } } } }],
      },
    }).finish();
    const encoder = await OnnxFrameEncoder.load(bytes, { backend: 'wasm' });
    const frames = randomFrames(2, 4, 5);
    const got = await encoder.encode(frames, 2, 4, 4);
    expect({ rows: got.rows, width: got.width, tokensPerFrame: got.tokensPerFrame }).toEqual({ rows: 6, width: 16, tokensPerFrame: 3 });
    expect(got.features).toEqual(frames);
    await encoder.release();
  });

  it('picks a named output of a model with several, as a Hugging Face ViT has', () => {
    const input = { name: 'pixel_values', isTensor: true, type: 'float32', shape: ['batch', 3, 224, 224] };
    const outputs = [
      { name: 'last_hidden_state', isTensor: true, type: 'float32', shape: ['batch', 197, 768] },
      { name: 'pooler_output', isTensor: true, type: 'float32', shape: ['batch', 768] },
    ];
    expect(checkEncoderSignature([input], outputs)).toMatchObject({ output: 'last_hidden_state', width: 768 });
    expect(checkEncoderSignature([input], outputs, 'pooler_output')).toMatchObject({ output: 'pooler_output', outputShape: ['batch', 768] });
    expect(() => checkEncoderSignature([{ ...input, type: 'uint8' }], outputs)).toThrow("input 'pixel_values' is a uint8 tensor, not float32");
  });
});
