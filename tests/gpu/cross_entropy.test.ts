import { describe, expect, it } from 'vitest';
import { CrossEntropy } from '../../src/gpu/kernels/cross_entropy';
import { crossEntropyBackward, crossEntropyForward } from '../../src/gpu/reference/cross_entropy';
import { Rng } from '../../src/util/rng';
import { device, empty, expectClose, read, run, upload } from './harness';
import { dot, f64, numericGradient } from './finite_difference';

// Values are O(log V) for loss/lse/entropy (larger with ±80 logits: lse ≈ 80, so logp = l − lse
// carries f32 rounding of about 80 · 6e-8), O(|dlogp|) for dlogits.
const ROW_TOL = { atol: 2e-5, rtol: 2e-6 };
const GRAD_TOL = { atol: 1e-6, rtol: 1e-5 };

/** Labels in [0, V), with row 2 (when present) ignored (−1) and row 4 out of range (V: ignored). */
function labelIds(N: number, V: number, rng: Rng): Int32Array {
  const labels = new Int32Array(N);
  for (let r = 0; r < N; r++) labels[r] = rng.int(V);
  if (N > 2) labels[2] = -1;
  if (N > 4) labels[4] = V;
  return labels;
}

async function gpuCrossEntropy(logits: Float32Array, labels: Int32Array, dlogp: Float32Array, N: number, V: number) {
  const d = await device();
  const kernel = await CrossEntropy.create(d);
  const b = {
    logits: upload(d, 'logits', logits),
    labels: upload(d, 'labels', labels),
    loss: empty(d, 'loss', N),
    logp: empty(d, 'logp', N),
    entropy: empty(d, 'entropy', N),
    lse: empty(d, 'lse', N),
    dlogp: upload(d, 'dlogp', dlogp),
    dlogits: upload(d, 'dlogits', new Float32Array(N * V).fill(NaN)), // every element must be written
  };
  await run(d, [kernel.forward({ ...b, N, V }), kernel.backward({ ...b, N, V })]);
  return {
    loss: await read(d, b.loss, N),
    logp: await read(d, b.logp, N),
    entropy: await read(d, b.entropy, N),
    lse: await read(d, b.lse, N),
    dlogits: await read(d, b.dlogits, N * V),
  };
}

function check(got: Awaited<ReturnType<typeof gpuCrossEntropy>>, logits: Float32Array, labels: Int32Array, dlogp: Float32Array, N: number, V: number) {
  const ref = crossEntropyForward(logits, labels, N, V);
  expectClose(got.lse, ref.lse, ROW_TOL, 'lse');
  expectClose(got.logp, ref.logp, ROW_TOL, 'logp');
  expectClose(got.loss, ref.loss, ROW_TOL, 'loss');
  expectClose(got.entropy, ref.entropy, ROW_TOL, 'entropy');
  expectClose(got.dlogits, crossEntropyBackward(logits, labels, ref.lse, dlogp, N, V), GRAD_TOL, 'dlogits');
  return ref;
}

describe('softmax cross-entropy', () => {
  for (const V of [7, 100, 300]) {
    for (const N of [1, 7, 65]) {
      it(`computes loss, logp, entropy and dlogits of ${N} rows over ${V} classes like the CPU reference`, async () => {
        const rng = new Rng(V * 1000 + N);
        const logits = rng.f32(N * V, 3);
        const labels = labelIds(N, V, rng);
        const dlogp = rng.f32(N);
        check(await gpuCrossEntropy(logits, labels, dlogp, N, V), logits, labels, dlogp, N, V);
      });
    }
  }

  it('stays finite and accurate with logits of ±80', async () => {
    const [N, V] = [7, 300];
    const rng = new Rng(80);
    const logits = rng.f32(N * V, 80, 'uniform');
    logits[0] = 80; // row 0: one dominant logit, p ≈ 1
    for (let v = 0; v < V; v++) logits[V + v] = -80 + (v % 3); // row 1: all very negative
    const labels = labelIds(N, V, rng);
    labels[0] = 0;
    const dlogp = rng.f32(N);
    const got = await gpuCrossEntropy(logits, labels, dlogp, N, V);
    for (const key of ['loss', 'logp', 'entropy', 'lse', 'dlogits'] as const) {
      expect(got[key].every(Number.isFinite), `${key} finite`).toBe(true);
    }
    check(got, logits, labels, dlogp, N, V);
  });

  it('gives 0 loss, 0 logp and 0 gradient for ignored rows but still reports their entropy', async () => {
    const [N, V] = [7, 100];
    const rng = new Rng(3);
    const logits = rng.f32(N * V, 2);
    const labels = labelIds(N, V, rng); // rows 2 and 4 ignored
    const got = await gpuCrossEntropy(logits, labels, new Float32Array(N).fill(-1 / 5), N, V);
    for (const r of [2, 4]) {
      expect([got.loss[r], got.logp[r]]).toEqual([0, 0]);
      expect(got.dlogits.subarray(r * V, (r + 1) * V).every((g) => g === 0)).toBe(true);
      expect(got.entropy[r]).toBeGreaterThan(0);
    }
  });

  it('gives uniform logits an entropy of log V and a loss of log V', async () => {
    const [N, V] = [1, 300];
    const got = await gpuCrossEntropy(new Float32Array(V).fill(4), new Int32Array([17]), new Float32Array([1]), N, V);
    expectClose([got.entropy[0], got.loss[0]], [Math.log(V), Math.log(V)], { atol: 1e-5, rtol: 1e-6 });
  });

  it('returns the same bits on every run (fixed reduction order)', async () => {
    const [N, V] = [65, 300];
    const rng = new Rng(5);
    const logits = rng.f32(N * V, 3);
    const labels = labelIds(N, V, rng);
    const dlogp = rng.f32(N);
    const a = await gpuCrossEntropy(logits, labels, dlogp, N, V);
    const b = await gpuCrossEntropy(logits, labels, dlogp, N, V);
    for (const key of ['loss', 'entropy', 'lse', 'dlogits'] as const) expect(Array.from(b[key])).toEqual(Array.from(a[key]));
  });

  it('has a CPU backward that matches finite differences of Σ w·logp of the CPU forward', () => {
    const [N, V] = [7, 6];
    const rng = new Rng(17);
    const logits = f64(rng.f32(N * V, 3));
    const labels = labelIds(N, V, rng);
    const w = f64(rng.f32(N));
    const ref = crossEntropyForward(logits, labels, N, V);
    const numeric = numericGradient((l) => dot(w, crossEntropyForward(l, labels, N, V).logp), logits);
    expectClose(crossEntropyBackward(logits, labels, ref.lse, w, N, V), numeric, { atol: 1e-8, rtol: 1e-6 }, 'dlogits');
  });
});
