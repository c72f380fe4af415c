import { describe, it } from 'vitest';
import { Gelu } from '../../src/gpu/kernels/gelu';
import { geluBackward, geluForward } from '../../src/gpu/reference/gelu';
import { Rng } from '../../src/util/rng';
import { device, empty, expectClose, read, run, upload } from './harness';
import { dot, f64, numericGradient } from './finite_difference';

const TOL = { atol: 2e-6, rtol: 2e-5 };

describe('GELU (tanh approximation)', () => {
  for (const n of [1, 7, 255, 257, 1000]) {
    it(`computes gelu of ${n} values like the CPU reference`, async () => {
      const d = await device();
      const x = new Rng(n).f32(n, 3);
      const y = empty(d, 'y', n);
      const kernel = await Gelu.create(d);
      await run(d, [kernel.forward({ x: upload(d, 'x', x), y, n })]);
      expectClose(await read(d, y, n), geluForward(x), TOL, 'y');
    });
  }

  it('stays finite for very large inputs (gelu(±1e4) is 1e4 and 0, with slopes 1 and 0)', async () => {
    const d = await device();
    const x = new Float32Array([1e4, -1e4, 50, -50, 0]);
    const y = empty(d, 'y', x.length);
    const dx = empty(d, 'dx', x.length);
    const kernel = await Gelu.create(d);
    const xb = upload(d, 'x', x);
    await run(d, [kernel.forward({ x: xb, y, n: x.length }), kernel.backward({ x: xb, dy: upload(d, 'dy', new Float32Array(5).fill(1)), dx, n: 5 })]);
    expectClose(await read(d, y, 5), [1e4, 0, 50, 0, 0], { atol: 1e-30, rtol: 1e-7 }, 'y');
    expectClose(await read(d, dx, 5), [1, 0, 1, 0, 0.5], { atol: 1e-20, rtol: 1e-7 }, 'dx');
  });

  it('has a CPU backward that matches finite differences of the CPU forward', () => {
    const rng = new Rng(11);
    const x = f64(rng.f32(40, 2.5));
    const w = f64(rng.f32(40));
    const numeric = numericGradient((v) => dot(w, geluForward(v)), x);
    expectClose(geluBackward(x, w), numeric, { atol: 1e-8, rtol: 1e-6 }, 'dx');
  });

  for (const n of [7, 1000]) {
    it(`computes dx of ${n} values like the CPU backward, written and accumulated`, async () => {
      const d = await device();
      const rng = new Rng(100 + n);
      const x = rng.f32(n, 3);
      const dy = rng.f32(n);
      const prior = rng.f32(n);
      const kernel = await Gelu.create(d);
      const xb = upload(d, 'x', x);
      const dyb = upload(d, 'dy', dy);
      const written = empty(d, 'dx.written', n);
      const accumulated = upload(d, 'dx.accumulated', prior);
      await run(d, [
        kernel.backward({ x: xb, dy: dyb, dx: written, n }),
        kernel.backward({ x: xb, dy: dyb, dx: accumulated, n, accumulate: true }),
      ]);
      expectClose(await read(d, written, n), geluBackward(x, dy), TOL, 'dx');
      expectClose(await read(d, accumulated, n), geluBackward(x, dy, prior), TOL, 'dx accumulated');
    });
  }
});
