// Matmul benchmark case: C(M,N) = A(M,K)·B(K,N), our tiled kernel (src/gpu/kernels/matmul.ts)
// against the naive one-thread-per-output baseline (bench/kernels/matmul_naive.ts). Runs wherever
// WebGPU does (Node on Dawn, or a page); the browser part reuses the input and binding helpers.

import { readF32, storageBuffer, uploadBuffer } from '../../src/gpu/buffers';
import type { Dispatch } from '../../src/gpu/dispatch';
import type { Matmul } from '../../src/gpu/kernels/matmul';
import { Rng } from '../../src/util/rng';
import type { MatmulNaive } from '../kernels/matmul_naive';
import { matmulLabel, type MatmulShape } from '../config';
import { side, withRatios, type BenchRow } from '../report';
import { agreement, type Tolerance } from '../stats';
import { dispatchSampler, timeInterleaved, type RepeatOptions } from '../timing';

/** Inputs are N(0, 1), so |C| ~ sqrt(K); two summation orders differ by ~1e-6 relative. */
export const MATMUL_TOL: Tolerance = { atol: 1e-3, rtol: 1e-3 };

export function matmulFlops({ m, n, k }: MatmulShape): number {
  return 2 * m * n * k;
}

export interface MatmulInputs {
  /** (M,K) row-major */
  a: Float32Array;
  /** (K,N) row-major */
  b: Float32Array;
}

export function matmulInputs({ m, n, k }: MatmulShape, seed: number): MatmulInputs {
  const rng = new Rng(seed);
  return { a: rng.f32(m * k), b: rng.f32(k * n) };
}

/**
 * `count` elements of C recomputed in float64 on the CPU (cheap at any size), as a second opinion
 * beside the other implementation: two kernels summing in the same order agree bit for bit.
 */
export function spotCheckMatmul(c: Float32Array, inputs: MatmulInputs, { m, n, k }: MatmulShape, count = 64) {
  const got: number[] = [];
  const want: number[] = [];
  const rng = new Rng(99);
  for (let s = 0; s < Math.min(count, m * n); s++) {
    const index = s === 0 ? m * n - 1 : rng.int(m * n); // always include the last element (ragged tile edge)
    const row = Math.floor(index / n);
    const col = index % n;
    let sum = 0;
    for (let p = 0; p < k; p++) sum += inputs.a[row * k + p] * inputs.b[p * n + col];
    got.push(c[index]);
    want.push(sum);
  }
  return agreement(got, want, MATMUL_TOL);
}

/** Device buffers of one matmul: shared inputs, and an output per side. */
export interface MatmulBuffers {
  a: GPUBuffer;
  b: GPUBuffer;
  destroy(): void;
}

export function uploadMatmulInputs(device: GPUDevice, inputs: MatmulInputs): MatmulBuffers {
  const a = uploadBuffer(device, 'bench.matmul.a', inputs.a);
  const b = uploadBuffer(device, 'bench.matmul.b', inputs.b);
  return { a, b, destroy: () => (a.destroy(), b.destroy()) };
}

/** Our tiled matmul, NN, writing a fresh (M,N) output. */
export function bindOurMatmul(device: GPUDevice, kernel: Matmul, buffers: MatmulBuffers, shape: MatmulShape): { dispatch: Dispatch; c: GPUBuffer } {
  const c = storageBuffer(device, 'bench.matmul.c.ours', shape.m * shape.n);
  return { dispatch: kernel.bind({ a: buffers.a, b: buffers.b, c, ...shape, label: 'bench.Matmul' }), c };
}

/** Ours vs the naive WGSL baseline on one shape: agreement first, then interleaved timing. */
export async function benchMatmulVsNaive(
  device: GPUDevice,
  kernels: { ours: Matmul; naive: MatmulNaive },
  shape: MatmulShape,
  options: RepeatOptions & { seed: number },
): Promise<BenchRow> {
  const inputs = matmulInputs(shape, options.seed);
  const buffers = uploadMatmulInputs(device, inputs);
  const ours = bindOurMatmul(device, kernels.ours, buffers, shape);
  const cNaive = storageBuffer(device, 'bench.matmul.c.naive', shape.m * shape.n);
  const naive = kernels.naive.bind({ a: buffers.a, b: buffers.b, c: cNaive, ...shape, label: 'bench.MatmulNaive' });
  const oursSampler = dispatchSampler(device, 'bench.matmul.ours', [{ name: 'matmul', dispatches: [ours.dispatch] }]);
  const naiveSampler = dispatchSampler(device, 'bench.matmul.naive', [{ name: 'matmul', dispatches: [naive] }]);
  const row: BenchRow = { kernel: 'matmul', shape: matmulLabel(shape), params: { ...shape }, repeats: options.repeats };
  try {
    // One run of each exactly as timed, read back once: never time a kernel that disagrees.
    await oursSampler.sample();
    await naiveSampler.sample();
    const n = shape.m * shape.n;
    const got = await readF32(device, ours.c, n);
    const want = await readF32(device, cNaive, n);
    row.agreement = { c: agreement(got, want, MATMUL_TOL), 'c (64 elements vs float64)': spotCheckMatmul(got, inputs, shape) };
    row.agreementAgainst = 'naive baseline (and a float64 spot check)';
    if (!Object.values(row.agreement).every((a) => a.ok)) {
      row.skipped = 'not timed: ours disagrees with the naive baseline or the float64 spot check';
      return row;
    }
    const t = await timeInterleaved({ ours: oursSampler.sample, naive: naiveSampler.sample }, options);
    row.ours = side('ours (Matmul, tiled)', t.ours, matmulFlops(shape));
    row.baseline = side('naive (MatmulNaive)', t.naive, matmulFlops(shape));
    return withRatios(row);
  } finally {
    oursSampler.destroy();
    naiveSampler.destroy();
    buffers.destroy();
    ours.c.destroy();
    cNaive.destroy();
  }
}
