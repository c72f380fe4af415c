import { describe, expect, it } from 'vitest';
import { ResidualAdd } from '../../src/gpu/kernels/residual_add';
import { residualAdd } from '../../src/gpu/reference/residual_add';
import { Rng } from '../../src/util/rng';
import { device, empty, expectClose, gpu, read, run, upload } from './harness';

describe('residual add', () => {
  it('finds a WebGPU adapter (a missing adapter is a failure, never a skip)', async () => {
    const { summary } = await gpu();
    expect(summary.description.length).toBeGreaterThan(0);
  });

  for (const n of [1, 7, 255, 256, 257, 1000]) {
    it(`adds two vectors of length ${n} like the CPU reference`, async () => {
      const d = await device();
      const rng = new Rng(n);
      const a = rng.f32(n);
      const b = rng.f32(n);
      const out = empty(d, 'out', n);
      const kernel = await ResidualAdd.create(d);
      await run(d, [kernel.add({ a: upload(d, 'a', a), b: upload(d, 'b', b), out, n })]);
      expectClose(await read(d, out, n), residualAdd(a, b), { atol: 1e-6, rtol: 1e-6 });
    });
  }

  it('accumulates in place and leaves elements past n untouched', async () => {
    const d = await device();
    const rng = new Rng(3);
    const target = rng.f32(70);
    const addend = rng.f32(70);
    const targetBuffer = upload(d, 'target', target);
    const kernel = await ResidualAdd.create(d);
    await run(d, [kernel.accumulate({ target: targetBuffer, addend: upload(d, 'addend', addend), n: 65 })]);
    const expected = Float64Array.from(target);
    residualAdd(target.subarray(0, 65), addend.subarray(0, 65)).forEach((v, i) => (expected[i] = v));
    expectClose(await read(d, targetBuffer, 70), expected, { atol: 1e-6, rtol: 1e-6 });
  });
});
