// shaders/attention_f16.wgsl in its three builds, as tests/gpu/matmul_f16.test.ts does for the matmul:
// f32 and i32 on every adapter against the float64 reference (ragged T, padded sequences, several head
// dims); f16 where the device has 'shader-f16', else a check that asking for it is refused by name.

import { describe, expect, it } from 'vitest';
import { AttentionF16 } from '../../src/gpu/kernels/attention_f16';
import type { HalfStorage } from '../../src/gpu/kernels/matmul_f16';
import { attentionF16Forward } from '../../src/gpu/reference/attention_f16';
import { Rng } from '../../src/util/rng';
import { device, empty, expectClose, read, run, upload } from './harness';

function tolerance(storage: HalfStorage) {
  return storage === 'f16' ? { atol: 5e-3, rtol: 2e-2 } : { atol: 1e-4, rtol: 1e-3 };
}

async function check(storage: HalfStorage, D: number) {
  const d = await device();
  const kernel = await AttentionF16.create(d, D, storage);
  expect(kernel.storage).toBe(storage);
  const rng = new Rng(D * 7 + storage.length);
  const [B, H] = [2, 2];
  for (const T of [1, 33, 70]) {
    const C = H * D;
    const qkv = storage === 'i32' ? Float32Array.from({ length: B * T * 3 * C }, () => rng.int(5) - 2) : rng.f32(B * T * 3 * C);
    const lengths = Uint32Array.from([T, Math.ceil(T / 2)]);
    const out = empty(d, 'out', B * T * C);
    const lse = empty(d, 'lse', B * H * T);
    await run(d, [kernel.bind({ qkv: kernel.upload('qkv', qkv), lengths: upload(d, 'lengths', lengths), out, lse, B, T, H })]);
    const want = attentionF16Forward(qkv, lengths, { B, T, H, D }, storage);
    expectClose(await read(d, out, B * T * C), want.out, tolerance(storage), `${storage} out T=${T} D=${D}`);
    expectClose(await read(d, lse, B * H * T), want.lse, tolerance(storage), `${storage} lse T=${T} D=${D}`);
  }
}

describe.each(['f32', 'i32'] as const)('attention_f16 kernel built with hfloat = %s', (storage) => {
  for (const D of [8, 32, 64]) {
    it(`matches the float64 reference at D=${D}, T in {1, 33, 70}, the second sequence half padding`, () => check(storage, D));
  }
});

describe('attention_f16 kernel built with hfloat = f16', () => {
  it('runs in f16 like the float64 reference of f16-rounded qkv where the device has shader-f16, and is refused by name elsewhere', async () => {
    const d = await device();
    if (d.features.has('shader-f16')) {
      for (const D of [8, 64]) await check('f16', D);
    } else {
      await expect(AttentionF16.create(d, 32, 'f16')).rejects.toThrow(/shader-f16/);
    }
    await expect(AttentionF16.create(d, 30, 'f32')).rejects.toThrow(/multiple of 4/);
  });
});
