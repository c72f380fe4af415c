import { describe, expect, it } from 'vitest';
import { bucketTokens, Embedding, type EmbeddingSizes } from '../../src/gpu/kernels/embedding';
import { embeddingBackward, embeddingForward } from '../../src/gpu/reference/embedding';
import { Rng } from '../../src/util/rng';
import { device, empty, expectClose, read, run, upload } from './harness';
import { dot, f64, numericGradient } from './finite_difference';

const TOL = { atol: 1e-6, rtol: 1e-5 };

/** Token ids drawn from a few values so that most ids repeat, plus a run of one id. */
function tokenIds(n: number, V: number, rng: Rng): Int32Array {
  const ids = new Int32Array(n);
  const few = Math.min(V, 5);
  for (let i = 0; i < n; i++) ids[i] = rng.next() < 0.7 ? rng.int(few) : rng.int(V);
  for (let i = 0; i < Math.min(n, 4); i++) ids[i] = V - 1;
  return ids;
}

/** 'scan': wte_grad scans every position; 'buckets': wte_grad_bucketed walks bucketTokens' lists. */
type WteGrad = 'scan' | 'buckets';

async function gpuEmbedding(s: EmbeddingSizes, tokens: Int32Array | Uint32Array, seed: number, priors?: { dwte: Float32Array; dwpe: Float32Array }, wteGrad: WteGrad = 'scan') {
  const d = await device();
  const rng = new Rng(seed);
  const { B, T, C, V, maxT } = s;
  const wte = rng.f32(V * C);
  const wpe = rng.f32(maxT * C);
  const dx = rng.f32(B * T * C);
  const kernel = await Embedding.create(d);
  const b = {
    tokens: upload(d, 'tokens', tokens),
    wte: upload(d, 'wte', wte),
    wpe: upload(d, 'wpe', wpe),
    x: empty(d, 'x', B * T * C),
    dx: upload(d, 'dx', dx),
    dwte: priors ? upload(d, 'dwte', priors.dwte) : upload(d, 'dwte', new Float32Array(V * C).fill(NaN)),
    dwpe: priors ? upload(d, 'dwpe', priors.dwpe) : upload(d, 'dwpe', new Float32Array(maxT * C).fill(NaN)),
  };
  const buckets = wteGrad === 'buckets' ? upload(d, 'buckets', bucketTokens(Int32Array.from(tokens, (t) => t | 0), V)) : undefined;
  await run(d, [kernel.forward({ ...s, ...b }), ...kernel.backward({ ...s, ...b, accumulate: !!priors, buckets })]);
  return {
    inputs: { wte, wpe, dx },
    x: await read(d, b.x, B * T * C),
    dwte: await read(d, b.dwte, V * C),
    dwpe: await read(d, b.dwpe, maxT * C),
  };
}

describe.each(['scan', 'buckets'] as WteGrad[])('token + position embedding (dwte by %s)', (wteGrad) => {
  const cases: EmbeddingSizes[] = [
    { B: 1, T: 1, C: 16, V: 7, maxT: 1 },
    { B: 1, T: 7, C: 32, V: 11, maxT: 8 },
    { B: 5, T: 13, C: 48, V: 300, maxT: 16 },
    { B: 3, T: 43, C: 100, V: 17, maxT: 64 },
  ];
  for (const s of cases) {
    it(`embeds ${s.B}×${s.T} repeated tokens into ${s.C} channels and scatters the gradient back like the CPU reference`, async () => {
      const tokens = tokenIds(s.B * s.T, s.V, new Rng(s.T));
      const got = await gpuEmbedding(s, new Uint32Array(tokens), s.B * 100 + s.T, undefined, wteGrad);
      const { wte, wpe, dx } = got.inputs;
      expectClose(got.x, embeddingForward(tokens, wte, wpe, s), TOL, 'x');
      const ref = embeddingBackward(tokens, dx, s);
      expectClose(got.dwte, ref.dwte, TOL, 'dwte');
      expectClose(got.dwpe, ref.dwpe, TOL, 'dwpe'); // rows t >= T overwritten with 0
    });
  }

  it('adds to existing dwte and dwpe when asked to accumulate', async () => {
    const s = { B: 2, T: 9, C: 16, V: 10, maxT: 12 };
    const rng = new Rng(4);
    const priors = { dwte: rng.f32(s.V * s.C), dwpe: rng.f32(s.maxT * s.C) };
    const tokens = tokenIds(s.B * s.T, s.V, rng);
    const got = await gpuEmbedding(s, tokens, 8, priors, wteGrad);
    const ref = embeddingBackward(tokens, got.inputs.dx, s);
    expectClose(got.dwte, ref.dwte.map((v, i) => v + priors.dwte[i]), TOL, 'dwte');
    expectClose(got.dwpe, ref.dwpe.map((v, i) => v + priors.dwpe[i]), TOL, 'dwpe');
  });

  it('embeds i32 ids of −1 (padding) as the position embedding alone and gives them no gradient', async () => {
    const s = { B: 2, T: 4, C: 16, V: 6, maxT: 4 };
    const tokens = new Int32Array([3, 3, -1, -1, 0, 5, 3, -1]);
    const got = await gpuEmbedding(s, tokens, 12, undefined, wteGrad);
    const { wte, wpe, dx } = got.inputs;
    expectClose(got.x.subarray(2 * 16, 3 * 16), wpe.subarray(2 * 16, 3 * 16), { atol: 0, rtol: 0 }, 'padding row');
    expectClose(got.x, embeddingForward(tokens, wte, wpe, s), TOL, 'x');
    expectClose(got.dwte, embeddingBackward(tokens, dx, s).dwte, TOL, 'dwte');
  });

  it('sums a repeated token in position order (bit-identical to a sequential f32 sum)', async () => {
    const s = { B: 4, T: 16, C: 16, V: 3, maxT: 16 };
    const tokens = new Int32Array(s.B * s.T).fill(1);
    const got = await gpuEmbedding(s, tokens, 21, undefined, wteGrad);
    const expected = new Float32Array(s.C);
    for (let p = 0; p < s.B * s.T; p++) for (let c = 0; c < s.C; c++) expected[c] = Math.fround(expected[c] + got.inputs.dx[p * s.C + c]);
    expect(Array.from(got.dwte.subarray(s.C, 2 * s.C))).toEqual(Array.from(expected));
    expect(Array.from(got.dwte.subarray(0, s.C))).toEqual(new Array(s.C).fill(0));
  });

  it('has a CPU backward that matches finite differences of the CPU forward', () => {
    const s = { B: 2, T: 3, C: 4, V: 5, maxT: 4 };
    const rng = new Rng(31);
    const tokens = new Int32Array([4, 4, 1, 0, 4, 1]);
    const wte = f64(rng.f32(s.V * s.C));
    const wpe = f64(rng.f32(s.maxT * s.C));
    const w = f64(rng.f32(s.B * s.T * s.C));
    const ref = embeddingBackward(tokens, w, s);
    const tol = { atol: 1e-8, rtol: 1e-6 };
    expectClose(ref.dwte, numericGradient((v) => dot(w, embeddingForward(tokens, v, wpe, s)), wte), tol, 'dwte');
    expectClose(ref.dwpe, numericGradient((v) => dot(w, embeddingForward(tokens, wte, v, s)), wpe), tol, 'dwpe');
  });
});

describe('bucketTokens', () => {
  it('lists each token\'s positions in ascending order and leaves out ids outside [0, V)', () => {
    const b = bucketTokens(new Int32Array([2, 0, 2, -1, 5, 0, 2]), 4);
    expect(Array.from(b.subarray(0, 5))).toEqual([0, 2, 2, 5, 5]); // starts: v0 2 positions, v1 none, v2 3, v3 none
    expect(Array.from(b.subarray(5, 10))).toEqual([1, 5, 0, 2, 6]);
  });
});

describe('token + position embedding on slices of flat buffers', () => {
  it('reads wte/wpe and writes dwte/dwpe at 256-byte-aligned offsets of larger buffers, bit-identical, rest untouched', async () => {
    const d = await device();
    const s = { B: 2, T: 5, C: 16, V: 9, maxT: 8 };
    const tokens = tokenIds(s.B * s.T, s.V, new Rng(31));
    const whole = await gpuEmbedding(s, tokens, 32);
    const { wte, wpe, dx } = whole.inputs;
    // Parameters: wte at element 64 (256 B), wpe at 256 (1024 B) of one buffer; gradients at 128 and 320 of another.
    const SENTINEL = -7.25;
    const params = new Float32Array(448).fill(SENTINEL);
    params.set(wte, 64);
    params.set(wpe, 256);
    const grads0 = new Float32Array(512).fill(SENTINEL);
    const kernel = await Embedding.create(d);
    const pbuf = upload(d, 'flat.params', params);
    const gbuf = upload(d, 'flat.grads', grads0);
    const b = {
      tokens: upload(d, 'tokens', tokens),
      wte: { buffer: pbuf, offset: 64 * 4, size: s.V * s.C * 4 },
      wpe: { buffer: pbuf, offset: 256 * 4, size: s.maxT * s.C * 4 },
      x: empty(d, 'x', s.B * s.T * s.C),
      dx: upload(d, 'dx', dx),
      dwte: { buffer: gbuf, offset: 128 * 4, size: s.V * s.C * 4 },
      dwpe: { buffer: gbuf, offset: 320 * 4, size: s.maxT * s.C * 4 },
    };
    await run(d, [kernel.forward({ ...s, ...b }), ...kernel.backward({ ...s, ...b })]);
    expect(Array.from(await read(d, b.x, s.B * s.T * s.C))).toEqual(Array.from(whole.x));
    const grads = await read(d, gbuf, 512);
    expect(Array.from(grads.subarray(128, 128 + s.V * s.C))).toEqual(Array.from(whole.dwte));
    expect(Array.from(grads.subarray(320, 320 + s.maxT * s.C))).toEqual(Array.from(whole.dwpe));
    const outside = (a: Float32Array, ranges: [number, number][]) => a.filter((_, i) => !ranges.some(([o, n]) => i >= o && i < o + n));
    expect(outside(grads, [[128, s.V * s.C], [320, s.maxT * s.C]]).every((v) => v === SENTINEL)).toBe(true);
    expect(Array.from(await read(d, pbuf, 448))).toEqual(Array.from(params));
  });

  it('rejects a slice whose offset is not a multiple of 256 bytes', async () => {
    const d = await device();
    const kernel = await Embedding.create(d);
    const s = { B: 1, T: 2, C: 16, V: 4, maxT: 2 };
    const flat = empty(d, 'flat', 512);
    expect(() =>
      kernel.forward({ ...s, tokens: empty(d, 't', 2), wte: { buffer: flat, offset: 128, size: 256 }, wpe: flat, x: empty(d, 'x', 32) }),
    ).toThrow(/multiple of 256/);
  });
});
