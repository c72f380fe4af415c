// Decode attention (shaders/attention_decode.wgsl): one query row per sequence against the KV cache,
// against its float64 CPU reference and against row pos of the full causal kernel.

import { describe, expect, it } from 'vitest';
import { Attention } from '../../src/gpu/kernels/attention';
import { AttentionDecode, cpuDecodeThreads, decodeThreadsFor, GPU_DECODE_THREADS } from '../../src/gpu/kernels/attention_decode';
import { attentionForward, type AttentionShape } from '../../src/gpu/reference/attention';
import { attentionDecode } from '../../src/gpu/reference/attention_decode';
import { Rng } from '../../src/util/rng';
import { device, empty, expectClose, gpu, read, run, upload } from './harness';

interface Case extends AttentionShape {
  pos: number[];
}

// T ∈ {1, 7, 65, 129}, D ∈ {16, 32, 64}, H ∈ {1, 2}, ragged pos. With 64-key tiles: pos 63 fills
// exactly one tile, pos 64 puts one key in the second, pos 128 one key in the third.
const cases: Case[] = [
  { B: 1, T: 1, H: 1, D: 16, pos: [0] },
  { B: 2, T: 7, H: 2, D: 32, pos: [6, 3] },
  { B: 3, T: 65, H: 1, D: 64, pos: [64, 63, 0] },
  { B: 2, T: 65, H: 2, D: 16, pos: [64, 10] },
  { B: 4, T: 129, H: 2, D: 32, pos: [128, 64, 63, 127] },
  { B: 2, T: 129, H: 1, D: 64, pos: [128, 100] },
  { B: 3, T: 129, H: 2, D: 16, pos: [5, 128, 77] },
];

const REFERENCE_TOL = { atol: 2e-5, rtol: 2e-4 };
/** Decode vs the full kernel: both f32, same math, different summation order. */
const KERNEL_TOL = { atol: 1e-5, rtol: 1e-5 };
const SENTINEL = 7;

function describeCase(c: Case): string {
  return `B=${c.B} T=${c.T} H=${c.H} D=${c.D} pos=[${c.pos.join(', ')}]`;
}

/** Random qkv with every row after pos[b] set to NaN: neither kernel may read past the query row. */
function makeQkv(c: Case, seed: number): Float32Array {
  const { B, T, H, D } = c;
  const row = 3 * H * D;
  const qkv = new Rng(seed).f32(B * T * row);
  for (let b = 0; b < B; b++) qkv.fill(NaN, (b * T + Math.min(c.pos[b] + 1, T)) * row, (b + 1) * T * row);
  return qkv;
}

/** Row pos[b] of a (B*T, C) buffer and entry pos[b] of a (B, H, T) one, compacted to (B, C) and (B, H). */
function gather(c: Case, out: ArrayLike<number>, lse: ArrayLike<number>) {
  const { B, T, H, D } = c;
  const C = H * D;
  const rows = new Float32Array(B * C);
  const lses = new Float32Array(B * H);
  for (let b = 0; b < B; b++) {
    const p = c.pos[b];
    for (let i = 0; i < C; i++) rows[b * C + i] = out[(b * T + p) * C + i];
    for (let h = 0; h < H; h++) lses[b * H + h] = lse[(b * H + h) * T + p];
  }
  return { out: rows, lse: lses };
}

async function runDecodeAndFull(c: Case, qkv: Float32Array, threads: (D: number) => number) {
  const d = await device();
  const { B, T, H, D } = c;
  const C = H * D;
  const [decode, full] = await Promise.all([AttentionDecode.create(d, [D], threads), Attention.create(d, [D])]);
  const q = upload(d, 'qkv', qkv);
  const decodeOut = upload(d, 'decode.out', new Float32Array(B * T * C).fill(SENTINEL));
  const decodeLse = upload(d, 'decode.lse', new Float32Array(B * H * T).fill(SENTINEL));
  const fullOut = empty(d, 'full.out', B * T * C);
  const fullLse = empty(d, 'full.lse', B * H * T);
  await run(d, [
    ...decode.forward({ B, T, H, D, qkv: q, pos: upload(d, 'pos', Uint32Array.from(c.pos)), out: decodeOut, lse: decodeLse }),
    ...full.forward({ B, T, H, D, qkv: q, lengths: upload(d, 'lengths', Uint32Array.from(c.pos, (p) => p + 1)), out: fullOut, lse: fullLse }),
  ]);
  return {
    decodeOut: await read(d, decodeOut, B * T * C),
    decodeLse: await read(d, decodeLse, B * H * T),
    fullOut: await read(d, fullOut, B * T * C),
    fullLse: await read(d, fullLse, B * H * T),
  };
}

describe('decode attention (one query row per sequence)', () => {
  it('gives a CPU adapter D / 4 threads and a GPU 64', async () => {
    const d = await device();
    const { summary } = await gpu();
    expect(decodeThreadsFor(d, 16)).toBe(summary.isFallback ? 4 : GPU_DECODE_THREADS);
    expect(cpuDecodeThreads(64)).toBe(16);
  });

  const threadChoices: [string, (D: number) => number][] = [
    ['64 threads (GPU)', () => GPU_DECODE_THREADS],
    ['D/4 threads (CPU)', cpuDecodeThreads],
  ];
  for (const [name, threads] of threadChoices) cases.forEach((c, n) => {
    it(`matches the CPU reference and row pos of the full kernel at ${describeCase(c)} with ${name}`, async () => {
      const qkv = makeQkv(c, 300 + n);
      const r = await runDecodeAndFull(c, qkv, threads);
      const got = gather(c, r.decodeOut, r.decodeLse);
      const ref = attentionDecode(qkv, c.pos, c);
      expectClose(got.out, ref.out, REFERENCE_TOL, 'out vs reference');
      expectClose(got.lse, ref.lse, REFERENCE_TOL, 'lse vs reference');
      const full = gather(c, r.fullOut, r.fullLse);
      expectClose(got.out, full.out, KERNEL_TOL, 'out vs full kernel');
      expectClose(got.lse, full.lse, KERNEL_TOL, 'lse vs full kernel');
      // Every other row and lse entry is left as it was.
      const { B, T, H, D } = c;
      const C = H * D;
      let touchedOut = 0;
      let touchedLse = 0;
      r.decodeOut.forEach((v) => (touchedOut += v === SENTINEL ? 0 : 1));
      r.decodeLse.forEach((v) => (touchedLse += v === SENTINEL ? 0 : 1));
      expect(touchedOut).toBe(B * C);
      expect(touchedLse).toBe(B * H);
      expect(r.decodeOut.length).toBe(B * T * C);
    });
  });

  it('skips a sequence whose pos is past the cache (pos >= T) and still serves the others', async () => {
    const c: Case = { B: 2, T: 9, H: 2, D: 16, pos: [9, 4] };
    const qkv = new Rng(21).f32(c.B * c.T * 3 * c.H * c.D);
    const d = await device();
    const { B, T, H, D } = c;
    const C = H * D;
    const kernel = await AttentionDecode.create(d, [D]);
    const out = upload(d, 'out', new Float32Array(B * T * C).fill(SENTINEL));
    const lse = upload(d, 'lse', new Float32Array(B * H * T).fill(SENTINEL));
    await run(d, kernel.forward({ B, T, H, D, qkv: upload(d, 'qkv', qkv), pos: upload(d, 'pos', Uint32Array.from(c.pos)), out, lse }));
    const o = await read(d, out, B * T * C);
    const l = await read(d, lse, B * H * T);
    expect(Array.from(o.subarray(0, T * C)).every((v) => v === SENTINEL)).toBe(true);
    expect(Array.from(l.subarray(0, H * T)).every((v) => v === SENTINEL)).toBe(true);
    const ref = attentionDecode(qkv, c.pos, c);
    expectClose(o.subarray((T + 4) * C, (T + 5) * C), ref.out.subarray(C, 2 * C), REFERENCE_TOL, 'out of sequence 1');
  });

  it('gives bit-identical results when the same dispatch is encoded again, and needs no lse buffer', async () => {
    const d = await device();
    const B = 2, T = 100, H = 2, D = 64, C = H * D;
    const kernel = await AttentionDecode.create(d, [D]);
    const out = empty(d, 'out', B * T * C);
    const step = kernel.forward({ B, T, H, D, qkv: upload(d, 'qkv', new Rng(13).f32(B * T * 3 * C)), pos: upload(d, 'pos', Uint32Array.from([99, 70])), out });
    await run(d, step);
    const first = await read(d, out, B * T * C);
    await run(d, step);
    const second = await read(d, out, B * T * C);
    expect(Array.from(second)).toEqual(Array.from(first));
  });

  it('rejects a head dim it has no pipeline for, with a hint', async () => {
    const d = await device();
    const kernel = await AttentionDecode.create(d, [16]);
    const b = empty(d, 'x', 4);
    expect(() => kernel.forward({ qkv: b, out: b, pos: b, B: 1, T: 1, H: 1, D: 32 })).toThrow(/pass it to AttentionDecode.create/);
  });
});

describe('decode attention CPU reference', () => {
  it('equals row pos of the full causal reference run with lengths pos + 1', () => {
    const shape = { B: 3, T: 6, H: 2, D: 4 };
    const { B, T, H, D } = shape;
    const C = H * D;
    const pos = [5, 0, 3];
    const qkv = Float64Array.from(new Rng(3).f32(B * T * 3 * C));
    const got = attentionDecode(qkv, pos, shape);
    const full = attentionForward(qkv, pos.map((p) => p + 1), shape);
    for (let b = 0; b < B; b++) {
      expectClose(got.out.subarray(b * C, (b + 1) * C), full.out.subarray((b * T + pos[b]) * C, (b * T + pos[b] + 1) * C), { atol: 1e-14, rtol: 1e-12 }, `out ${b}`);
      for (let h = 0; h < H; h++) expect(got.lse[b * H + h]).toBeCloseTo(full.lse[(b * H + h) * T + pos[b]], 12);
    }
  });
});
