// The ONNX frame encoder's row in the on-page self-test (src/gpu/self_test.ts): the shipped
// public/models/tiny-frame-encoder.onnx run by onnxruntime-web's WebGPU provider ON OUR DEVICE,
// checked against the float64 reference. The features are read back twice: through onnxruntime
// (encode) and with our own device from the GPUBuffer onnxruntime leaves there (encodeToGpu),
// which fails if onnxruntime computed on another device.

import { readF32 } from '../gpu/buffers';
import type { SelfTestResult } from '../gpu/self_test';
import { Rng } from '../util/rng';
import { OnnxFrameEncoder } from './onnx_encoder';
import { DEFAULT_TINY_ENCODER, tinyEncoderReference } from './onnx_encoder_reference';

export const TINY_ENCODER_URL = `${import.meta.env.BASE_URL}models/tiny-frame-encoder.onnx`;

async function fetchModel(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`fetching ${url}: HTTP ${response.status} (hint: run npx tsx scripts/make-onnx-encoder.ts and rebuild)`);
  return new Uint8Array(await response.arrayBuffer());
}

export async function checkOnnxEncoder(device: GPUDevice): Promise<SelfTestResult> {
  const opts = DEFAULT_TINY_ENCODER;
  const [F, S] = [2, opts.frameSize];
  const rng = new Rng(17);
  const frames = Float32Array.from({ length: F * 3 * S * S }, () => rng.next());
  const bytes = await fetchModel(TINY_ENCODER_URL);
  const t0 = performance.now();
  const encoder = await OnnxFrameEncoder.load(bytes, { backend: 'webgpu', device });
  let viaOrt: Float32Array;
  let viaOurs: Float32Array;
  try {
    viaOrt = (await encoder.encode(frames, F, S, S)).features;
    const onGpu = await encoder.encodeToGpu(frames, F, S, S);
    try {
      viaOurs = await readF32(device, onGpu.buffer, onGpu.rows * onGpu.width);
    } finally {
      onGpu.release();
    }
  } finally {
    await encoder.release();
  }
  const ms = performance.now() - t0;
  const want = tinyEncoderReference(frames, F, opts);
  let maxAbsError = viaOrt.length === want.length && viaOurs.length === want.length ? 0 : Infinity;
  for (let i = 0; i < want.length; i++) maxAbsError = Math.max(maxAbsError, Math.abs(viaOrt[i] - want[i]), Math.abs(viaOurs[i] - want[i]));
  // Features are LayerNorm outputs, O(1): float32 over a 192-term dot product, erf and a 64-wide norm.
  return { kernel: 'onnx_encoder (onnxruntime-web webgpu)', ok: maxAbsError <= 1e-4, maxAbsError, elements: want.length, ms };
}
