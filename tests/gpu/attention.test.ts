// Flash-style causal attention (shaders/attention_forward.wgsl, shaders/attention_backward.wgsl)
// against the float64 CPU reference, and the reference backward against finite differences.

import { describe, expect, it } from 'vitest';
import { Attention, attentionBlocksFor, CPU_BLOCKS, GPU_BLOCKS, type AttentionArrays, type AttentionBlocks } from '../../src/gpu/kernels/attention';
import { attentionBackward, attentionForward, type AttentionShape } from '../../src/gpu/reference/attention';
import { Rng } from '../../src/util/rng';
import { device, empty, expectClose, gpu, read, run, upload } from './harness';

interface Case extends AttentionShape {
  lengths: number[];
}

// Covers T ∈ {1, 7, 65, 129}, D ∈ {16, 32, 64}, H ∈ {1, 2}, B ∈ {1, 2}, ragged lengths, and block
// edges: T = 65 and 129 leave one row in the last 64-row block; 62 and 126 end mid-tile.
const cases: Case[] = [
  { B: 1, T: 1, H: 1, D: 16, lengths: [1] },
  { B: 2, T: 7, H: 2, D: 32, lengths: [7, 4] },
  { B: 2, T: 65, H: 1, D: 64, lengths: [65, 62] },
  { B: 1, T: 65, H: 2, D: 16, lengths: [65] },
  { B: 2, T: 129, H: 2, D: 32, lengths: [129, 126] },
  { B: 1, T: 129, H: 1, D: 64, lengths: [126] },
  // Backward's causal loop bounds: many 16-query tiles per 64-key block, a length ending mid-tile
  // inside the first block, and key rows j > i0 of a staged query tile.
  { B: 2, T: 100, H: 1, D: 64, lengths: [100, 37] },
];

const FORWARD_TOL = { atol: 2e-5, rtol: 2e-4 };
const BACKWARD_TOL = { atol: 1e-4, rtol: 1e-3 };

function describeCase(c: Case): string {
  return `B=${c.B} T=${c.T} H=${c.H} D=${c.D} lengths=[${c.lengths.join(', ')}]`;
}

/** Runs forward then backward on the GPU; returns everything read back plus the inputs. */
async function runOnGpu(c: Case, seed: number, blocks: AttentionBlocks = GPU_BLOCKS, arrays: AttentionArrays = 'sized') {
  const d = await device();
  const { B, T, H, D } = c;
  const C = H * D;
  const rng = new Rng(seed);
  const qkv = rng.f32(B * T * 3 * C);
  const dout = rng.f32(B * T * C);
  const lengths = Uint32Array.from(c.lengths);
  const kernel = await Attention.create(d, [D], arrays, blocks);
  const buffers = {
    qkv: upload(d, 'qkv', qkv),
    lengths: upload(d, 'lengths', lengths),
    out: empty(d, 'out', B * T * C),
    lse: empty(d, 'lse', B * H * T),
    dout: upload(d, 'dout', dout),
    dqkv: empty(d, 'dqkv', B * T * 3 * C),
  };
  await run(d, [...kernel.forward({ ...buffers, B, T, H, D }), ...kernel.backward({ ...buffers, B, T, H, D })]);
  return {
    qkv,
    dout,
    lengths,
    out: await read(d, buffers.out, B * T * C),
    lse: await read(d, buffers.lse, B * H * T),
    dqkv: await read(d, buffers.dqkv, B * T * 3 * C),
  };
}

describe('attention (flash-style)', () => {
  it('gives a CPU adapter small blocks and a GPU the measured 64-row ones', async () => {
    const d = await device();
    const { summary } = await gpu();
    expect(attentionBlocksFor(d)).toBe(summary.isFallback ? CPU_BLOCKS : GPU_BLOCKS);
  });

  cases.forEach((c, n) => {
    it(`matches the CPU reference forward and backward at ${describeCase(c)}, with CPU blocks too`, async () => {
      for (const blocks of [GPU_BLOCKS, CPU_BLOCKS]) {
        const gpuResult = await runOnGpu(c, 100 + n, blocks);
        const ref = attentionForward(gpuResult.qkv, gpuResult.lengths, c);
        expectClose(gpuResult.out, ref.out, FORWARD_TOL, `out (${blocks.rows} rows)`);
        expectClose(gpuResult.lse, ref.lse, FORWARD_TOL, `lse (${blocks.rows} rows)`);
        const dqkv = attentionBackward(gpuResult.qkv, gpuResult.dout, gpuResult.lengths, c);
        expectClose(gpuResult.dqkv, dqkv, BACKWARD_TOL, `dqkv (${blocks.rows} rows)`);
      }
    });
  });

  cases.forEach((c, n) => {
    it(`matches the CPU reference with register arrays sized for D = 64 (the baseline) at ${describeCase(c)}`, async () => {
      const gpuResult = await runOnGpu(c, 100 + n, GPU_BLOCKS, 'largest');
      const ref = attentionForward(gpuResult.qkv, gpuResult.lengths, c);
      expectClose(gpuResult.out, ref.out, FORWARD_TOL, 'out');
      expectClose(gpuResult.lse, ref.lse, FORWARD_TOL, 'lse');
      const dqkv = attentionBackward(gpuResult.qkv, gpuResult.dout, gpuResult.lengths, c);
      expectClose(gpuResult.dqkv, dqkv, BACKWARD_TOL, 'dqkv');
    });
  });

  it('writes zeros for padding rows and never reads padded inputs (NaN there stays out)', async () => {
    const d = await device();
    const B = 2, T = 9, H = 2, D = 16, C = H * D;
    const lengths = Uint32Array.from([5, 0]);
    const rng = new Rng(7);
    const qkv = rng.f32(B * T * 3 * C);
    const dout = rng.f32(B * T * C);
    for (let b = 0; b < B; b++) {
      for (let t = lengths[b]; t < T; t++) {
        qkv.fill(NaN, (b * T + t) * 3 * C, (b * T + t + 1) * 3 * C);
        dout.fill(NaN, (b * T + t) * C, (b * T + t + 1) * C);
      }
    }
    const kernel = await Attention.create(d, [D]);
    // Outputs start as garbage so a row the kernels skip would show up.
    const buffers = {
      qkv: upload(d, 'qkv', qkv),
      lengths: upload(d, 'lengths', lengths),
      out: upload(d, 'out', new Float32Array(B * T * C).fill(7)),
      lse: upload(d, 'lse', new Float32Array(B * H * T).fill(7)),
      dout: upload(d, 'dout', dout),
      dqkv: upload(d, 'dqkv', new Float32Array(B * T * 3 * C).fill(7)),
    };
    await run(d, [...kernel.forward({ ...buffers, B, T, H, D }), ...kernel.backward({ ...buffers, B, T, H, D })]);
    const out = await read(d, buffers.out, B * T * C);
    const lse = await read(d, buffers.lse, B * H * T);
    const dqkv = await read(d, buffers.dqkv, B * T * 3 * C);
    const shape = { B, T, H, D };
    const ref = attentionForward(qkv, lengths, shape);
    expectClose(out, ref.out, FORWARD_TOL, 'out');
    expectClose(lse, ref.lse, FORWARD_TOL, 'lse');
    expectClose(dqkv, attentionBackward(qkv, dout, lengths, shape), BACKWARD_TOL, 'dqkv');
    for (let t = 5; t < T; t++) expect(Array.from(out.subarray(t * C, (t + 1) * C)).every((v) => v === 0)).toBe(true);
    expect(Array.from(out.subarray(T * C)).every((v) => v === 0)).toBe(true); // the empty sequence
    expect(Array.from(lse.subarray(2 * T)).every((v) => v === 0)).toBe(true);
    expect(Array.from(dqkv.subarray(5 * 3 * C)).every((v) => v === 0)).toBe(true);
  });

  it('gives bit-identical results when the same dispatches are encoded again', async () => {
    const d = await device();
    const B = 1, T = 33, H = 2, D = 32, C = H * D;
    const rng = new Rng(11);
    const kernel = await Attention.create(d, [D]);
    const buffers = {
      qkv: upload(d, 'qkv', rng.f32(B * T * 3 * C)),
      lengths: upload(d, 'lengths', Uint32Array.from([T])),
      out: empty(d, 'out', B * T * C),
      lse: empty(d, 'lse', B * H * T),
      dout: upload(d, 'dout', rng.f32(B * T * C)),
      dqkv: empty(d, 'dqkv', B * T * 3 * C),
    };
    const step = [...kernel.forward({ ...buffers, B, T, H, D }), ...kernel.backward({ ...buffers, B, T, H, D })];
    await run(d, step);
    const first = await read(d, buffers.dqkv, B * T * 3 * C);
    await run(d, step);
    const second = await read(d, buffers.dqkv, B * T * 3 * C);
    expect(Array.from(second)).toEqual(Array.from(first));
  });

  it('rejects a head dim it has no pipeline for, with a hint', async () => {
    const d = await device();
    const kernel = await Attention.create(d, [16]);
    const b = empty(d, 'x', 4);
    expect(() => kernel.forward({ qkv: b, out: b, lse: b, lengths: b, B: 1, T: 1, H: 1, D: 32 })).toThrow(/pass it to Attention.create/);
  });
});

describe('attention CPU reference', () => {
  it('has a backward that matches central finite differences of its forward (loss = Σ w ⊙ out)', () => {
    const shape = { B: 2, T: 5, H: 2, D: 4 };
    const { B, T, H, D } = shape;
    const C = H * D;
    const lengths = [5, 3];
    const rng = new Rng(5);
    const qkv = Float64Array.from(rng.f32(B * T * 3 * C));
    const w = Float64Array.from(rng.f32(B * T * C));
    const loss = (x: Float64Array) => attentionForward(x, lengths, shape).out.reduce((s, o, i) => s + o * w[i], 0);
    const analytic = attentionBackward(qkv, w, lengths, shape);
    const numeric = new Float64Array(qkv.length);
    const eps = 1e-5;
    for (let i = 0; i < qkv.length; i++) {
      const keep = qkv[i];
      qkv[i] = keep + eps;
      const up = loss(qkv);
      qkv[i] = keep - eps;
      const down = loss(qkv);
      qkv[i] = keep;
      numeric[i] = (up - down) / (2 * eps);
    }
    expectClose(analytic, numeric, { atol: 1e-8, rtol: 1e-6 }, 'dqkv');
    // Padding rows (t >= length) of sequence 1 get no gradient.
    expect(Array.from(analytic.subarray((T + 3) * 3 * C, 2 * T * 3 * C)).every((v) => v === 0)).toBe(true);
  });

  it('saves lse as the log of the softmax normaliser of the scaled scores', () => {
    // One query, two keys: lse = log(exp(q·k0/√D) + exp(q·k1/√D)).
    const shape = { B: 1, T: 2, H: 1, D: 4 };
    const qkv = new Float64Array(2 * 12);
    qkv.set([1, 0, 0, 0, /* k0 */ 2, 0, 0, 0, /* v0 */ 1, 2, 3, 4], 0);
    qkv.set([0, 1, 0, 0, /* k1 */ 0, 4, 0, 0, /* v1 */ 5, 6, 7, 8], 12);
    const { out, lse } = attentionForward(qkv, [2], shape);
    expect(lse[0]).toBeCloseTo(1, 12); // row 0 sees only k0: score 1·2/2
    expect(lse[1]).toBeCloseTo(Math.log(Math.exp(0) + Math.exp(2)), 12);
    expect(Array.from(out.subarray(0, 4))).toEqual([1, 2, 3, 4]);
  });
});
