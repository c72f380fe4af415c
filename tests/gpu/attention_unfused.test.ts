// The unfused attention benchmark baseline (bench/kernels/attention_unfused.wgsl) against the same
// float64 reference as the flash-style kernels, so the benchmark compares two correct kernels.

import { describe, expect, it } from 'vitest';
import { AttentionUnfused } from '../../bench/kernels/attention_unfused';
import { attentionBackward, attentionForward } from '../../src/gpu/reference/attention';
import { Rng } from '../../src/util/rng';
import { device, empty, expectClose, read, run, upload } from './harness';

const cases = [
  { B: 2, T: 7, H: 2, D: 16, lengths: [7, 4] },
  { B: 1, T: 65, H: 2, D: 32, lengths: [61] },
];

describe('attention (unfused baseline)', () => {
  for (const c of cases) {
    it(`matches the CPU reference forward and backward at B=${c.B} T=${c.T} H=${c.H} D=${c.D} lengths=[${c.lengths.join(', ')}]`, async () => {
      const d = await device();
      const { B, T, H, D } = c;
      const C = H * D;
      const rng = new Rng(T * 31 + D);
      const qkv = rng.f32(B * T * 3 * C);
      const dout = rng.f32(B * T * C);
      const lengths = Uint32Array.from(c.lengths);
      const kernel = await AttentionUnfused.create(d);
      const buffers = {
        qkv: upload(d, 'qkv', qkv),
        lengths: upload(d, 'lengths', lengths),
        out: empty(d, 'out', B * T * C),
        lse: empty(d, 'lse', B * H * T),
        dout: upload(d, 'dout', dout),
        dqkv: empty(d, 'dqkv', B * T * 3 * C),
      };
      const step = [...kernel.forward({ ...buffers, B, T, H, D }), ...kernel.backward({ ...buffers, B, T, H, D })];
      await run(d, step);
      const ref = attentionForward(qkv, lengths, c);
      expectClose(await read(d, buffers.out, B * T * C), ref.out, { atol: 2e-5, rtol: 2e-4 }, 'out');
      expectClose(await read(d, buffers.lse, B * H * T), ref.lse, { atol: 2e-5, rtol: 2e-4 }, 'lse');
      const dqkv = await read(d, buffers.dqkv, B * T * 3 * C);
      expectClose(dqkv, attentionBackward(qkv, dout, lengths, c), { atol: 1e-4, rtol: 1e-3 }, 'dqkv');
      // Bound once, encoded again: same result.
      await run(d, step);
      expect(Array.from(await read(d, buffers.dqkv, B * T * 3 * C))).toEqual(Array.from(dqkv));
    });
  }

  it('refuses a backward whose forward was never bound, with a hint', async () => {
    const d = await device();
    const kernel = await AttentionUnfused.create(d);
    const b = empty(d, 'x', 4);
    expect(() => kernel.backward({ qkv: b, out: b, dout: b, lse: b, lengths: b, dqkv: b, B: 1, T: 1, H: 1, D: 4 })).toThrow(
      /call forward with the same qkv first/,
    );
  });
});
