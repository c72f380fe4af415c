import { describe, expect, it } from 'vitest';
import { CLIP_LENGTH, CPU_MAX_PARTIALS, GPU_MAX_PARTIALS, GradNorm, gradNormPartialsFor } from '../../src/gpu/kernels/grad_norm';
import { gradNorm } from '../../src/gpu/reference/grad_norm';
import { Rng } from '../../src/util/rng';
import { device, empty, expectClose, gpu, read, run, upload } from './harness';

async function gpuClip(grads: Float32Array, maxNorm: number, partials = GPU_MAX_PARTIALS): Promise<Float32Array> {
  const d = await device();
  const kernel = await GradNorm.create(d, partials);
  const clip = empty(d, 'clip', CLIP_LENGTH);
  await run(d, kernel.clip({ grads: upload(d, 'grads', grads), n: grads.length, clip, maxNorm }));
  return read(d, clip, CLIP_LENGTH);
}

describe('global gradient norm', () => {
  it('gives a CPU adapter few partial sums and a GPU many', async () => {
    const { summary } = await gpu();
    expect(gradNormPartialsFor(await device())).toBe(summary.isFallback ? CPU_MAX_PARTIALS : GPU_MAX_PARTIALS);
  });

  for (const partials of [GPU_MAX_PARTIALS, CPU_MAX_PARTIALS, 3]) {
    for (const n of [1, 7, 1000, 70000]) {
      it(`computes the norm and clip scale of ${n} gradients like the CPU reference (at most ${partials} partial sums)`, async () => {
        const grads = new Rng(n).f32(n, 0.5);
        const ref = gradNorm(grads, 5);
        const clip = await gpuClip(grads, 5, partials);
        expectClose(clip, [ref.norm, ref.scale, ref.finite, 0], { atol: 1e-6, rtol: 1e-5 }, 'clip');
      });
    }
  }

  it('scales by maxNorm / (norm + 1e-6) when the norm exceeds maxNorm, and by 1 below it', async () => {
    const grads = new Rng(5).f32(300, 1); // norm about 17
    const ref = gradNorm(grads, 2);
    expect(ref.scale).toBeLessThan(0.2);
    expectClose(await gpuClip(grads, 2), [ref.norm, ref.scale, 1, 0], { atol: 1e-6, rtol: 1e-5 }, 'clipped');
    expectClose((await gpuClip(grads, 100)).subarray(1, 3), [1, 1], { atol: 0, rtol: 0 }, 'unclipped');
  });

  it('does not clip when maxNorm is 0 or less', async () => {
    const grads = new Rng(6).f32(50, 3);
    expectClose((await gpuClip(grads, 0)).subarray(1, 3), [1, 1], { atol: 0, rtol: 0 });
  });

  it('gives finite flag 0, scale 0 and a NaN norm when a gradient is NaN', async () => {
    const grads = new Rng(7).f32(70000, 1);
    grads[69999] = NaN;
    const clip = await gpuClip(grads, 5);
    expect(Number.isNaN(clip[0])).toBe(true);
    expect([clip[1], clip[2]]).toEqual([0, 0]);
    const few = await gpuClip(grads, 5, CPU_MAX_PARTIALS);
    expect(Number.isNaN(few[0])).toBe(true);
    expect([few[1], few[2]]).toEqual([0, 0]);
    expect(gradNorm(grads, 5).finite).toBe(0);
  });

  it('gives finite flag 0 when a gradient is infinite', async () => {
    const grads = new Rng(8).f32(7, 1);
    grads[3] = -Infinity;
    const clip = await gpuClip(grads, 5);
    expect([clip[1], clip[2]]).toEqual([0, 0]);
  });

  it('returns the same bits on every run (fixed reduction order)', async () => {
    const grads = new Rng(9).f32(70000, 1);
    const a = await gpuClip(grads, 5);
    const b = await gpuClip(grads, 5);
    expect(Array.from(b)).toEqual(Array.from(a));
  });
});
