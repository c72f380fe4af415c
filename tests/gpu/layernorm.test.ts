import { describe, expect, it } from 'vitest';
import { LayerNorm } from '../../src/gpu/kernels/layernorm';
import { layerNormBackward, layerNormForward } from '../../src/gpu/reference/layernorm';
import { Rng } from '../../src/util/rng';
import { device, empty, expectClose, read, run, upload } from './harness';
import { dot, f64, numericGradient } from './finite_difference';

const TOL = { atol: 2e-5, rtol: 1e-4 };

function inputs(N: number, C: number, seed: number) {
  const rng = new Rng(seed);
  const x = rng.f32(N * C, 2);
  for (let i = 0; i < x.length; i++) x[i] += 3; // a non-zero mean, as residual streams have
  const weight = rng.f32(C, 0.2).map((v) => 1 + v);
  const bias = rng.f32(C, 0.1);
  const dy = rng.f32(N * C);
  return { x, weight, bias, dy };
}

async function gpuLayerNorm(N: number, C: number, seed: number, priors?: { dx: Float32Array; dweight: Float32Array; dbias: Float32Array }) {
  const d = await device();
  const { x, weight, bias, dy } = inputs(N, C, seed);
  const kernel = await LayerNorm.create(d);
  const b = {
    x: upload(d, 'x', x),
    weight: upload(d, 'weight', weight),
    bias: upload(d, 'bias', bias),
    y: empty(d, 'y', N * C),
    mean: empty(d, 'mean', N),
    rstd: empty(d, 'rstd', N),
    dy: upload(d, 'dy', dy),
    dx: priors ? upload(d, 'dx', priors.dx) : empty(d, 'dx', N * C),
    dweight: priors ? upload(d, 'dweight', priors.dweight) : empty(d, 'dweight', C),
    dbias: priors ? upload(d, 'dbias', priors.dbias) : empty(d, 'dbias', C),
  };
  await run(d, [
    kernel.forward({ ...b, N, C }),
    ...kernel.backward({ ...b, N, C, accumulateDx: !!priors, accumulateParams: !!priors }),
  ]);
  return {
    inputs: { x, weight, bias, dy },
    y: await read(d, b.y, N * C),
    mean: await read(d, b.mean, N),
    rstd: await read(d, b.rstd, N),
    dx: await read(d, b.dx, N * C),
    dweight: await read(d, b.dweight, C),
    dbias: await read(d, b.dbias, C),
  };
}

function plus(a: Float64Array, prior?: Float32Array): Float64Array {
  return prior ? a.map((v, i) => v + prior[i]) : a;
}

describe('layernorm', () => {
  const shapes: [number, number][] = [
    [1, 16],
    [7, 32],
    [7, 100],
    [65, 48],
    [65, 64],
    [129, 16],
    [3, 200],
    [300, 128], // the widest row of the one-thread-per-row entry points (ROW_THREAD_MAX_C)
    [5, 129], // the narrowest of the workgroup-per-row ones
    [70000, 4], // more rows than one grid dimension holds: the row index spans x and y
  ];
  for (const [N, C] of shapes) {
    it(`normalises ${N} rows of ${C} channels and backpropagates like the CPU reference`, async () => {
      const got = await gpuLayerNorm(N, C, N * 1000 + C);
      const { x, weight, bias, dy } = got.inputs;
      const ref = layerNormForward(x, weight, bias, N, C);
      expectClose(got.y, ref.y, TOL, 'y');
      expectClose(got.mean, ref.mean, TOL, 'mean');
      expectClose(got.rstd, ref.rstd, TOL, 'rstd');
      const grads = layerNormBackward(dy, x, weight, ref.mean, ref.rstd, N, C);
      expectClose(got.dx, grads.dx, TOL, 'dx');
      expectClose(got.dweight, grads.dweight, { atol: 1e-4, rtol: 1e-4 }, 'dweight');
      expectClose(got.dbias, grads.dbias, { atol: 1e-4, rtol: 1e-4 }, 'dbias');
    });
  }

  it('adds to existing dx, dweight and dbias when asked to accumulate', async () => {
    const [N, C] = [65, 48];
    const rng = new Rng(77);
    const priors = { dx: rng.f32(N * C), dweight: rng.f32(C), dbias: rng.f32(C) };
    const got = await gpuLayerNorm(N, C, 5, priors);
    const { x, weight, bias, dy } = got.inputs;
    const ref = layerNormForward(x, weight, bias, N, C);
    const grads = layerNormBackward(dy, x, weight, ref.mean, ref.rstd, N, C);
    expectClose(got.dx, plus(grads.dx, priors.dx), TOL, 'dx');
    expectClose(got.dweight, plus(grads.dweight, priors.dweight), { atol: 1e-4, rtol: 1e-4 }, 'dweight');
    expectClose(got.dbias, plus(grads.dbias, priors.dbias), { atol: 1e-4, rtol: 1e-4 }, 'dbias');
  });

  it('returns the same bits on every run (fixed reduction order)', async () => {
    const a = await gpuLayerNorm(129, 100, 9);
    const b = await gpuLayerNorm(129, 100, 9);
    for (const key of ['y', 'dx', 'dweight', 'dbias'] as const) expect(Array.from(b[key])).toEqual(Array.from(a[key]));
  });

  it('has a CPU backward that matches finite differences of the CPU forward', () => {
    const [N, C] = [3, 5];
    const { x, weight, bias, dy } = inputs(N, C, 3);
    const [x64, w64, b64] = [f64(x), f64(weight), f64(bias)];
    const ref = layerNormForward(x64, w64, b64, N, C);
    const grads = layerNormBackward(dy, x64, w64, ref.mean, ref.rstd, N, C);
    const tol = { atol: 1e-8, rtol: 1e-6 };
    expectClose(grads.dx, numericGradient((v) => dot(dy, layerNormForward(v, w64, b64, N, C).y), x64), tol, 'dx');
    expectClose(grads.dweight, numericGradient((v) => dot(dy, layerNormForward(x64, v, b64, N, C).y), w64), tol, 'dweight');
    expectClose(grads.dbias, numericGradient((v) => dot(dy, layerNormForward(x64, w64, v, N, C).y), b64), tol, 'dbias');
  });
});

describe('layernorm on slices of flat buffers', () => {
  it('reads weight/bias and writes dweight/dbias at 256-byte-aligned offsets of larger buffers, bit-identical, rest untouched', async () => {
    const d = await device();
    const [N, C] = [65, 48];
    const whole = await gpuLayerNorm(N, C, 41);
    const { x, weight, bias, dy } = whole.inputs;
    const SENTINEL = 3.5;
    // weight at element 64 (256 B) and bias at 128 of one buffer; dweight at 64 and dbias at 192 of another.
    const params = new Float32Array(256).fill(SENTINEL);
    params.set(weight, 64);
    params.set(bias, 128);
    const pbuf = upload(d, 'flat.params', params);
    const gbuf = upload(d, 'flat.grads', new Float32Array(320).fill(SENTINEL));
    const kernel = await LayerNorm.create(d);
    const b = {
      x: upload(d, 'x', x),
      weight: { buffer: pbuf, offset: 64 * 4, size: C * 4 },
      bias: { buffer: pbuf, offset: 128 * 4, size: C * 4 },
      y: empty(d, 'y', N * C),
      mean: empty(d, 'mean', N),
      rstd: empty(d, 'rstd', N),
      dy: upload(d, 'dy', dy),
      dx: empty(d, 'dx', N * C),
      dweight: { buffer: gbuf, offset: 64 * 4, size: C * 4 },
      dbias: { buffer: gbuf, offset: 192 * 4, size: C * 4 },
    };
    await run(d, [kernel.forward({ ...b, N, C }), ...kernel.backward({ ...b, N, C })]);
    expect(Array.from(await read(d, b.y, N * C))).toEqual(Array.from(whole.y));
    expect(Array.from(await read(d, b.dx, N * C))).toEqual(Array.from(whole.dx));
    const grads = await read(d, gbuf, 320);
    expect(Array.from(grads.subarray(64, 64 + C))).toEqual(Array.from(whole.dweight));
    expect(Array.from(grads.subarray(192, 192 + C))).toEqual(Array.from(whole.dbias));
    expect(grads.filter((_, i) => !((i >= 64 && i < 64 + C) || (i >= 192 && i < 192 + C))).every((v) => v === SENTINEL)).toBe(true);
    expect(Array.from(await read(d, pbuf, 256))).toEqual(Array.from(params));
  });
});
