// shaders/matmul_f16.wgsl in its three builds. f32 and i32 run on every adapter (SwiftShader included):
// they test the kernel's indexing, tiling and ragged edges against the float64 reference, and the i32
// build proves the WGSL mixes no hfloat with f32 implicitly, which the f16 build would reject. The f16
// build runs where the device has 'shader-f16'; elsewhere the same test checks that asking for it is
// refused with an error naming the feature (a test of what this device can do, never a skip).

import { describe, expect, it } from 'vitest';
import { DEFAULT_TILES, MATMUL_VARIANTS, type MatmulVariant } from '../../src/gpu/kernels/matmul';
import { halfStorageFor, MatmulF16, matmulF16Prelude, type HalfStorage } from '../../src/gpu/kernels/matmul_f16';
import { matmulF16 } from '../../src/gpu/reference/matmul_f16';
import { Rng } from '../../src/util/rng';
import { device, empty, expectClose, read, run, upload } from './harness';

const EDGES = [1, 17, 33, 70]; // one element, one slice + 1, one tile + 1, several ragged tiles

function transposes(variant: MatmulVariant) {
  return { transA: variant[0] === 'T', transB: variant[1] === 'T' };
}

/** f32: as the f32 matmul's tests. f16: hfloat sums of 16 products, f32 across slices. i32: exact. */
function tolerance(storage: HalfStorage, k: number) {
  if (storage === 'i32') return { atol: 0, rtol: 0 };
  if (storage === 'f16') return { atol: 8e-3 * Math.sqrt(Math.max(k, 1)), rtol: 1e-2 };
  return { atol: 1e-4 * Math.sqrt(Math.max(k, 1)), rtol: 1e-4 };
}

/** Unit normals, or small integers for the i32 build (every sum exact in f32). */
function inputs(rng: Rng, storage: HalfStorage, length: number): Float32Array {
  if (storage !== 'i32') return rng.f32(length);
  return Float32Array.from({ length }, () => rng.int(9) - 4);
}

async function checkVariants(storage: HalfStorage, variant: MatmulVariant) {
  const d = await device();
  const kernel = await MatmulF16.create(d, storage);
  expect(kernel.storage).toBe(storage);
  const rng = new Rng(variant.charCodeAt(0) * 17 + variant.charCodeAt(1) + storage.length);
  const cases = [];
  for (const m of EDGES) for (const n of EDGES) for (const k of EDGES) {
    const a = inputs(rng, storage, m * k);
    const b = inputs(rng, storage, k * n);
    const c = empty(d, `C.${m}x${n}x${k}`, m * n);
    cases.push({ m, n, k, a, b, c, dispatch: kernel.bind({ a: kernel.upload('A', a), b: kernel.upload('B', b), c, m, n, k, variant }) });
  }
  await run(d, cases.map((x) => x.dispatch));
  for (const { m, n, k, a, b, c } of cases) {
    const want = matmulF16(a, b, { m, n, k, ...transposes(variant) }, storage);
    expectClose(await read(d, c, m * n), want, tolerance(storage, k), `${storage} ${variant} ${m}×${n}×${k}`);
  }
}

describe.each(['f32', 'i32'] as const)('matmul_f16 kernel built with hfloat = %s', (storage) => {
  for (const variant of MATMUL_VARIANTS) {
    it(`computes ${variant} like the float64 reference for every M, N, K in {${EDGES.join(', ')}}`, () => checkVariants(storage, variant));
  }

  it('accumulates, batches with offsets and padded strides, and leaves the padding of C untouched', async () => {
    const d = await device();
    const kernel = await MatmulF16.create(d, storage);
    const [batch, m, n, k] = [2, 9, 37, 40];
    const [offsetA, offsetC, strideA, strideC] = [5, 3, m * k + 13, m * n + 17];
    const rng = new Rng(31);
    const a = inputs(rng, storage, offsetA + batch * strideA);
    const b = inputs(rng, storage, n * k); // stored (N,K), shared by both batches (stride 0)
    const c0 = inputs(rng, storage, offsetC + batch * strideC);
    const c = upload(d, 'C', c0);
    const dispatch = kernel.bind({ a: kernel.upload('A', a), b: kernel.upload('B', b), c, m, n, k, variant: 'NT', accumulate: true, batch, offsetA, offsetC, strideA, strideB: 0, strideC });
    await run(d, [dispatch, dispatch]);
    const expected = Float64Array.from(c0);
    for (let z = 0; z < batch; z++) {
      const az = a.subarray(offsetA + z * strideA, offsetA + z * strideA + m * k);
      const at = offsetC + z * strideC;
      const once = matmulF16(az, b, { m, n, k, transB: true }, storage, expected.subarray(at, at + m * n));
      expected.set(matmulF16(az, b, { m, n, k, transB: true }, storage, once), at);
    }
    expectClose(await read(d, c, c0.length), expected, tolerance(storage, 2 * k), `${storage} NT accumulate, batched`);
  });
});

describe('matmul_f16 kernel built with hfloat = f16', () => {
  it('runs in f16 like the float64 reference of f16-rounded inputs where the device has shader-f16, and is refused by name elsewhere', async () => {
    const d = await device();
    expect(matmulF16Prelude('f16')).toMatch(/^enable f16;\s*alias hfloat = f16;/);
    if (d.features.has('shader-f16')) {
      expect(halfStorageFor(d)).toBe('f16');
      expect((await MatmulF16.create(d)).elementBytes).toBe(2);
      for (const variant of MATMUL_VARIANTS) await checkVariants('f16', variant);
    } else {
      expect(halfStorageFor(d)).toBe('f32');
      await expect(MatmulF16.create(d, 'f16', DEFAULT_TILES)).rejects.toThrow(/shader-f16/);
    }
  });
});
