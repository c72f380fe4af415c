import { describe, expect, it } from 'vitest';
import { AdamW, type AdamWConfig } from '../../src/gpu/kernels/adamw';
import { CLIP_LENGTH, GradNorm } from '../../src/gpu/kernels/grad_norm';
import { adamwStep, type AdamWState } from '../../src/gpu/reference/adamw';
import { gradNorm } from '../../src/gpu/reference/grad_norm';
import type { Dispatch } from '../../src/gpu/dispatch';
import { Rng } from '../../src/util/rng';
import { device, empty, expectClose, read, run, upload } from './harness';

const CONFIG: AdamWConfig = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 };
const TOL = { atol: 1e-6, rtol: 2e-5 };

interface Setup {
  d: GPUDevice;
  params: GPUBuffer;
  grads: GPUBuffer;
  m: GPUBuffer;
  v: GPUBuffer;
  cpu: AdamWState;
}

async function setup(n: number, seed: number): Promise<Setup> {
  const d = await device();
  const p0 = new Rng(seed).f32(n, 1);
  return {
    d,
    params: upload(d, 'params', p0),
    grads: empty(d, 'grads', n),
    m: empty(d, 'm', n),
    v: empty(d, 'v', n),
    cpu: { params: Float64Array.from(p0), m: new Float64Array(n), v: new Float64Array(n) },
  };
}

async function expectState(s: Setup, n: number, label: string): Promise<void> {
  expectClose(await read(s.d, s.params, n), s.cpu.params, TOL, `${label} params`);
  expectClose(await read(s.d, s.m, n), s.cpu.m, TOL, `${label} m`);
  expectClose(await read(s.d, s.v, n), s.cpu.v, { atol: 1e-9, rtol: 2e-5 }, `${label} v`);
}

describe('AdamW', () => {
  for (const n of [1, 7, 1000]) {
    it(`matches the float64 reference over 5 steps with a changing learning rate (n = ${n})`, async () => {
      const s = await setup(n, n);
      const adam = await AdamW.create(s.d, CONFIG);
      const clip = GradNorm.clipBuffer(s.d, 'clip');
      const update = adam.update({ params: s.params, grads: s.grads, m: s.m, v: s.v, clip, n });
      const rng = new Rng(100 + n);
      for (let t = 1; t <= 5; t++) {
        const lr = CONFIG.lr * (1 - 0.1 * t);
        const g = rng.f32(n, 0.1 * t);
        s.d.queue.writeBuffer(s.grads, 0, g);
        adam.setStep(t, lr);
        await run(s.d, [update]);
        adamwStep(s.cpu, g, { ...CONFIG, lr, t });
        await expectState(s, n, `step ${t}`);
      }
      expect(adam.step).toBe(5);
    });
  }

  it('multiplies the gradient by the clip scale that GradNorm wrote on the GPU', async () => {
    const n = 500;
    const s = await setup(n, 11);
    const adam = await AdamW.create(s.d, CONFIG);
    const norm = await GradNorm.create(s.d);
    const clip = empty(s.d, 'clip', CLIP_LENGTH);
    const dispatches: Dispatch[] = [
      ...norm.clip({ grads: s.grads, n, clip, maxNorm: 1 }),
      adam.update({ params: s.params, grads: s.grads, m: s.m, v: s.v, clip, n }),
    ];
    const rng = new Rng(12);
    for (let t = 1; t <= 3; t++) {
      const g = rng.f32(n, 1); // norm about 22: scale about 0.045
      s.d.queue.writeBuffer(s.grads, 0, g);
      adam.setStep(t);
      await run(s.d, dispatches);
      const ref = gradNorm(g, 1);
      expect(ref.scale).toBeLessThan(0.1);
      adamwStep(s.cpu, g, { ...CONFIG, t, clip: ref });
      await expectState(s, n, `step ${t}`);
    }
  });

  it('skips the whole step (params, m and v untouched) when the clip record is not finite', async () => {
    const n = 300;
    const s = await setup(n, 13);
    const adam = await AdamW.create(s.d, CONFIG);
    const norm = await GradNorm.create(s.d);
    const clip = empty(s.d, 'clip', CLIP_LENGTH);
    const dispatches: Dispatch[] = [
      ...norm.clip({ grads: s.grads, n, clip, maxNorm: 5 }),
      adam.update({ params: s.params, grads: s.grads, m: s.m, v: s.v, clip, n }),
    ];
    const g1 = new Rng(14).f32(n, 1);
    s.d.queue.writeBuffer(s.grads, 0, g1);
    await run(s.d, dispatches);
    adamwStep(s.cpu, g1, { ...CONFIG, t: 1, clip: gradNorm(g1, 5) });
    const before = [await read(s.d, s.params, n), await read(s.d, s.m, n), await read(s.d, s.v, n)];

    const g2 = new Rng(15).f32(n, 1);
    g2[123] = NaN;
    s.d.queue.writeBuffer(s.grads, 0, g2);
    adam.setStep(2);
    await run(s.d, dispatches);
    const after = [await read(s.d, s.params, n), await read(s.d, s.m, n), await read(s.d, s.v, n)];
    after.forEach((a, k) => expect(Array.from(a)).toEqual(Array.from(before[k])));
    adamwStep(s.cpu, g2, { ...CONFIG, t: 2, clip: gradNorm(g2, 5) }); // the reference skips too
    await expectState(s, n, 'after the skipped step');
  });

  it('updates only its range, and applies no weight decay where decay is false', async () => {
    const n = 70;
    const s = await setup(n, 16);
    const adam = await AdamW.create(s.d, CONFIG);
    const clip = GradNorm.clipBuffer(s.d, 'clip');
    const args = { params: s.params, grads: s.grads, m: s.m, v: s.v, clip };
    const dispatches = [adam.update({ ...args, offset: 5, n: 40 }), adam.update({ ...args, offset: 45, n: 20, decay: false })];
    const g = new Rng(17).f32(n, 1);
    s.d.queue.writeBuffer(s.grads, 0, g);
    await run(s.d, dispatches);
    adamwStep(s.cpu, g, { ...CONFIG, t: 1 }, 5, 40);
    adamwStep(s.cpu, g, { ...CONFIG, t: 1, decay: false }, 45, 20);
    await expectState(s, n, 'ranges');
  });

  it('with a zero gradient only decays the parameters by lr * weightDecay', async () => {
    const n = 9;
    const s = await setup(n, 18);
    const p0 = await read(s.d, s.params, n);
    const adam = await AdamW.create(s.d, CONFIG);
    await run(s.d, [adam.update({ params: s.params, grads: s.grads, m: s.m, v: s.v, clip: GradNorm.clipBuffer(s.d, 'clip'), n })]);
    expectClose(await read(s.d, s.params, n), Array.from(p0, (p) => p * (1 - CONFIG.lr * CONFIG.weightDecay)), TOL);
  });

  it('refuses a step count below 1', async () => {
    const adam = await AdamW.create(await device(), CONFIG);
    expect(() => adam.setStep(0)).toThrow(/>= 1/);
  });
});
