import { describe, expect, it } from 'vitest';
import { DEFAULT_TILES, Matmul, MATMUL_VARIANTS, matmulStrategyFor, type MatmulStrategy, type MatmulVariant } from '../../src/gpu/kernels/matmul';
import { matmul } from '../../src/gpu/reference/matmul';
import { Rng } from '../../src/util/rng';
import { device, empty, expectClose, gpu, read, run, upload } from './harness';

const EDGES = [1, 7, 65, 129];

/** f32 sums of K products of unit normals drift by about sqrt(K) ulps of sqrt(K). */
function tolerance(k: number) {
  return { atol: 1e-4 * Math.sqrt(Math.max(k, 1)), rtol: 1e-4 };
}

function transposes(variant: MatmulVariant) {
  return { transA: variant[0] === 'T', transB: variant[1] === 'T' };
}

const STRATEGIES: MatmulStrategy[] = ['workgroup', 'registers'];

describe('matmul kernel choice', () => {
  it('gives a CPU adapter the register kernel and a GPU the workgroup kernel', async () => {
    const d = await device();
    const { summary } = await gpu();
    expect(matmulStrategyFor(d)).toBe(summary.isFallback ? 'registers' : 'workgroup');
    expect((await Matmul.create(d)).strategy).toBe(matmulStrategyFor(d));
  });

  it('gives the register kernel\'s small products 4×4-thread workgroups, so they spread over the cores', async () => {
    const d = await device();
    const kernel = await Matmul.create(d, DEFAULT_TILES, 'registers');
    const buf = empty(d, 'M', 512 * 512);
    expect(kernel.bind({ a: buf, b: buf, c: buf, m: 64, n: 64, k: 704, variant: 'TN' }).workgroups).toEqual([2, 2, 1]); // 32×32 of C each
    expect(kernel.bind({ a: buf, b: buf, c: buf, m: 512, n: 512, k: 64 }).workgroups).toEqual([8, 8, 1]); // 64×64 of C each
  });
});

describe.each(STRATEGIES)('matmul (%s kernel)', (strategy) => {
  it('finds a WebGPU adapter (a missing adapter is a failure, never a skip)', async () => {
    const { summary } = await gpu();
    expect(summary.description.length).toBeGreaterThan(0);
  });

  for (const variant of MATMUL_VARIANTS) {
    it(`computes ${variant} like the CPU reference for every M, N, K in {1, 7, 65, 129}`, async () => {
      const d = await device();
      const kernel = await Matmul.create(d, DEFAULT_TILES, strategy);
      const rng = new Rng(variant.charCodeAt(0) * 31 + variant.charCodeAt(1));
      const cases = [];
      for (const m of EDGES) for (const n of EDGES) for (const k of EDGES) {
        const a = rng.f32(m * k);
        const b = rng.f32(k * n);
        const c = empty(d, `C.${m}x${n}x${k}`, m * n);
        cases.push({ m, n, k, a, b, c, dispatch: kernel.bind({ a: upload(d, 'A', a), b: upload(d, 'B', b), c, m, n, k, variant }) });
      }
      await run(d, cases.map((x) => x.dispatch));
      for (const { m, n, k, a, b, c } of cases) {
        expectClose(await read(d, c, m * n), matmul(a, b, { m, n, k, ...transposes(variant) }), tolerance(k), `${variant} ${m}×${n}×${k}`);
      }
    });
  }

  for (const [m, n, k] of [
    [100, 200, 70],
    [256, 64, 96],
    [33, 130, 257],
  ]) {
    it(`computes ${m}×${n}×${k} in NN, NT and TN like the CPU reference`, async () => {
      const d = await device();
      const kernel = await Matmul.create(d, DEFAULT_TILES, strategy);
      const rng = new Rng(m * n + k);
      const a = rng.f32(m * k);
      const b = rng.f32(k * n);
      const aBuffer = upload(d, 'A', a);
      const bBuffer = upload(d, 'B', b);
      const variants: MatmulVariant[] = ['NN', 'NT', 'TN'];
      const outs = variants.map((variant) => empty(d, `C.${variant}`, m * n));
      await run(d, variants.map((variant, i) => kernel.bind({ a: aBuffer, b: bBuffer, c: outs[i], m, n, k, variant })));
      for (const [i, variant] of variants.entries()) {
        expectClose(await read(d, outs[i], m * n), matmul(a, b, { m, n, k, ...transposes(variant) }), tolerance(k), variant);
      }
    });
  }

  for (const variant of MATMUL_VARIANTS) {
    it(`accumulates ${variant} into C, twice in one pass, like C + 2·op(A)·op(B)`, async () => {
      const d = await device();
      const kernel = await Matmul.create(d, DEFAULT_TILES, strategy);
      const [m, n, k] = [65, 7, 129];
      const rng = new Rng(7 + variant.charCodeAt(1));
      const a = rng.f32(m * k);
      const b = rng.f32(k * n);
      const c0 = rng.f32(m * n);
      const c = upload(d, 'C', c0);
      const dispatch = kernel.bind({ a: upload(d, 'A', a), b: upload(d, 'B', b), c, m, n, k, variant, accumulate: true });
      await run(d, [dispatch, dispatch]);
      const once = matmul(a, b, { m, n, k, ...transposes(variant) }, c0);
      const twice = matmul(a, b, { m, n, k, ...transposes(variant) }, once);
      expectClose(await read(d, c, m * n), twice, tolerance(2 * k), `${variant} accumulate`);
    });
  }

  it('runs a batch of independent matmuls with packed strides in one dispatch', async () => {
    const d = await device();
    const kernel = await Matmul.create(d, DEFAULT_TILES, strategy);
    const [batch, m, n, k] = [3, 65, 33, 7];
    const rng = new Rng(11);
    const a = rng.f32(batch * m * k);
    const b = rng.f32(batch * k * n);
    const aBuffer = upload(d, 'A', a);
    const bBuffer = upload(d, 'B', b);
    for (const variant of ['NN', 'NT', 'TN'] as const) {
      const c = empty(d, 'C', batch * m * n);
      await run(d, [kernel.bind({ a: aBuffer, b: bBuffer, c, m, n, k, variant, batch })]);
      const got = await read(d, c, batch * m * n);
      for (let z = 0; z < batch; z++) {
        const expected = matmul(a.subarray(z * m * k), b.subarray(z * k * n), { m, n, k, ...transposes(variant) });
        expectClose(got.subarray(z * m * n, (z + 1) * m * n), expected, tolerance(k), `${variant} batch ${z}`);
      }
    }
  });

  it('honours offsets, padded batch strides and a shared B (stride 0), and leaves the padding of C untouched', async () => {
    const d = await device();
    const kernel = await Matmul.create(d, DEFAULT_TILES, strategy);
    const [batch, m, n, k] = [2, 9, 70, 65];
    const [offsetA, offsetC, strideA, strideC] = [5, 3, m * k + 13, m * n + 17];
    const rng = new Rng(12);
    const a = rng.f32(offsetA + batch * strideA);
    const b = rng.f32(n * k); // stored (N,K): the NT layout of a weight shared by every batch
    const c0 = rng.f32(offsetC + batch * strideC);
    const c = upload(d, 'C', c0);
    await run(d, [
      kernel.bind({ a: upload(d, 'A', a), b: upload(d, 'B', b), c, m, n, k, variant: 'NT', batch, offsetA, offsetC, strideA, strideB: 0, strideC }),
    ]);
    const expected = Float64Array.from(c0);
    for (let z = 0; z < batch; z++) {
      const az = a.subarray(offsetA + z * strideA, offsetA + z * strideA + m * k);
      expected.set(matmul(az, b, { m, n, k, transB: true }), offsetC + z * strideC);
    }
    expectClose(await read(d, c, c0.length), expected, tolerance(k), 'NT with offsets and strides');
  });

  for (const tiles of strategy === 'registers' ? [] : [
    { wgX: 16, wgY: 16, tileK: 8 },
    { wgX: 16, wgY: 4, tileK: 13 },
  ]) {
    it(`matches the CPU reference with ${tiles.wgX}×${tiles.wgY} threads and TILE_K ${tiles.tileK} in every variant`, async () => {
      const d = await device();
      const kernel = await Matmul.create(d, tiles);
      const [m, n, k] = [129, 65, 70];
      const rng = new Rng(tiles.wgY);
      const a = rng.f32(m * k);
      const b = rng.f32(k * n);
      const aBuffer = upload(d, 'A', a);
      const bBuffer = upload(d, 'B', b);
      const outs = MATMUL_VARIANTS.map((variant) => empty(d, `C.${variant}`, m * n));
      await run(d, MATMUL_VARIANTS.map((variant, i) => kernel.bind({ a: aBuffer, b: bBuffer, c: outs[i], m, n, k, variant })));
      for (const [i, variant] of MATMUL_VARIANTS.entries()) {
        expectClose(await read(d, outs[i], m * n), matmul(a, b, { m, n, k, ...transposes(variant) }), tolerance(k), variant);
      }
    });
  }

  it('refuses buffers too small for the shape, naming the operand', async () => {
    const d = await device();
    const kernel = await Matmul.create(d, DEFAULT_TILES, strategy);
    const a = empty(d, 'A.small', 10);
    const b = empty(d, 'B', 100);
    const c = empty(d, 'C', 100);
    expect(() => kernel.bind({ a, b, c, m: 10, n: 10, k: 10 })).toThrow(/A \(A\.small\) has 40 bytes, needs 400/);
    expect(() => kernel.bind({ a: b, b, c, m: 10, n: 10, k: 10, batch: 2 })).toThrow(/needs 800/);
  });
});
