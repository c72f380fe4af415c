// The ONNX graphs of the onnxruntime-web baseline (bench/browser/onnx_graphs.ts), run on ORT's wasm
// backend in Node against the float64 references: the browser benchmark compares our kernels with
// these graphs, so the graphs themselves must compute the same thing.

import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-web';
import { attentionModel, causalMask, matmulModel, mergeHeads, splitQkv } from '../../bench/browser/onnx_graphs';
import { attentionForward } from '../../src/gpu/reference/attention';
import { matmul } from '../../src/gpu/reference/matmul';
import { Rng } from '../../src/util/rng';
import { agreement } from '../../bench/stats';

ort.env.wasm.numThreads = 1;

async function run(model: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

describe('bench ONNX graphs', () => {
  it('masks every key after the query and nothing else', () => {
    const mask = causalMask(3);
    expect(Array.from(mask, (v) => (v === 0 ? 0 : 1))).toEqual([0, 1, 1, 0, 0, 1, 0, 0, 0]);
  });

  it('splits packed qkv into heads and merges the heads back', () => {
    const s = { B: 2, T: 3, H: 2, D: 4 };
    const qkv = new Rng(1).f32(s.B * s.T * 3 * s.H * s.D);
    const { q, v } = splitQkv(qkv, s);
    // q of (b=1, h=1, t=2) is at column h*D of row b*T+t.
    expect(q.subarray(((1 * 2 + 1) * 3 + 2) * 4, ((1 * 2 + 1) * 3 + 2) * 4 + 4)).toEqual(qkv.subarray((1 * 3 + 2) * 24 + 4, (1 * 3 + 2) * 24 + 8));
    const merged = mergeHeads(v, s);
    expect(merged.subarray(0, 8)).toEqual(Float32Array.from([...qkv.subarray(16, 20), ...qkv.subarray(20, 24)]));
  });

  it('computes the matmul the reference computes', async () => {
    const shape = { m: 5, n: 7, k: 3 };
    const rng = new Rng(2);
    const a = rng.f32(15);
    const b = rng.f32(21);
    const out = await run(matmulModel(shape), { a: new ort.Tensor('float32', a, [5, 3]), b: new ort.Tensor('float32', b, [3, 7]) });
    const want = matmul(a, b, { m: 5, n: 7, k: 3 });
    expect(agreement(out.c.data as Float32Array, want, { atol: 1e-5, rtol: 1e-5 }).ok).toBe(true);
  });

  it('computes causal attention as the reference does', async () => {
    const s = { B: 2, T: 9, H: 2, D: 8 };
    const qkv = new Rng(3).f32(s.B * s.T * 3 * s.H * s.D);
    const { q, k, v } = splitQkv(qkv, s);
    const dims = [s.B * s.H, s.T, s.D];
    const out = await run(attentionModel(s), {
      q: new ort.Tensor('float32', q, dims),
      k: new ort.Tensor('float32', k, dims),
      v: new ort.Tensor('float32', v, dims),
    });
    const got = mergeHeads(out.o.data as Float32Array, s);
    const want = attentionForward(qkv, new Uint32Array(s.B).fill(s.T), s).out;
    const a = agreement(got, want, { atol: 1e-5, rtol: 1e-4 });
    expect(a.ok, JSON.stringify(a)).toBe(true);
  });
});
