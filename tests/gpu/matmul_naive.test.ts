import { describe, expect, it } from 'vitest';
import { MatmulNaive } from '../../bench/kernels/matmul_naive';
import { matmul } from '../../src/gpu/reference/matmul';
import { Rng } from '../../src/util/rng';
import { device, empty, expectClose, gpu, read, run, upload } from './harness';

const EDGES = [1, 7, 65, 129];

describe('naive matmul (benchmark baseline)', () => {
  it('finds a WebGPU adapter (a missing adapter is a failure, never a skip)', async () => {
    const { summary } = await gpu();
    expect(summary.description.length).toBeGreaterThan(0);
  });

  it('computes A·B like the CPU reference for every M, N, K in {1, 7, 65, 129} and 100×200×70', async () => {
    const d = await device();
    const kernel = await MatmulNaive.create(d);
    const rng = new Rng(5);
    const shapes: [number, number, number][] = [[100, 200, 70]];
    for (const m of EDGES) for (const n of EDGES) for (const k of EDGES) shapes.push([m, n, k]);
    const cases = shapes.map(([m, n, k]) => {
      const a = rng.f32(m * k);
      const b = rng.f32(k * n);
      const c = empty(d, `C.${m}x${n}x${k}`, m * n);
      return { m, n, k, a, b, c, dispatch: kernel.bind({ a: upload(d, 'A', a), b: upload(d, 'B', b), c, m, n, k }) };
    });
    await run(d, cases.map((x) => x.dispatch));
    for (const { m, n, k, a, b, c } of cases) {
      expectClose(await read(d, c, m * n), matmul(a, b, { m, n, k }), { atol: 1e-4 * Math.sqrt(k), rtol: 1e-4 }, `${m}×${n}×${k}`);
    }
  });
});
