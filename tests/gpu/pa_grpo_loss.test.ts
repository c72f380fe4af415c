import { describe, expect, it } from 'vitest';
import { LOSS_LENGTH, PaGrpoLoss, STATS_LENGTH, statIndex } from '../../src/gpu/kernels/pa_grpo_loss';
import {
  paGrpoLoss,
  PA_GRPO_LOSS_DEFAULTS,
  type LossAggregation,
  type PaGrpoLossConfig,
  type PaGrpoLossInputs,
  type SegmentWeighting,
} from '../../src/gpu/reference/pa_grpo_loss';
import { Rng } from '../../src/util/rng';
import { device, empty, expectClose, read, run, upload } from './harness';

interface Batch extends PaGrpoLossInputs {
  logp: Float32Array;
  oldLogp: Float32Array;
  refLogp: Float32Array;
  segment: Uint32Array;
  advantages: Float32Array;
}

const AGGREGATIONS: LossAggregation[] = ['seq-mean-token-mean', 'token-mean', 'seq-mean-token-sum-norm'];
const WEIGHTINGS: SegmentWeighting[] = ['token-share', 'equal'];
const MODES = AGGREGATIONS.flatMap((aggregation) => WEIGHTINGS.map((segmentWeighting) => ({ aggregation, segmentWeighting })));

/** A log-ratio in [−0.5, 0.5] whose ratio stays at least 0.01 away from the clip edges 0.8 and 1.2. */
function logRatio(rng: Rng): number {
  for (;;) {
    const r = rng.next() - 0.5;
    const rho = Math.exp(r);
    if (Math.abs(rho - 0.8) > 0.01 && Math.abs(rho - 1.2) > 0.01) return r;
  }
}

/**
 * Random rollouts: row b has L_b unmasked tokens (a perception prefix, then reasoning), then padding.
 * Some rows have no perception tokens; with B > 4 one row is all padding. About 1 token in 10 has
 * |ref − logp| = 12, past the KL clamp.
 */
function batch(B: number, T: number, seed: number): Batch {
  const rng = new Rng(seed);
  const n = B * T;
  const x: Batch = {
    B,
    T,
    logp: new Float32Array(n),
    oldLogp: new Float32Array(n),
    refLogp: new Float32Array(n),
    segment: new Uint32Array(n),
    advantages: rng.f32(2 * B, 1),
  };
  for (let b = 0; b < B; b++) {
    const len = B > 4 && b === 3 ? 0 : 1 + rng.int(T);
    const perception = b % 3 === 1 ? 0 : rng.int(len + 1);
    for (let t = 0; t < T; t++) {
      const i = b * T + t;
      x.logp[i] = -3 * rng.next();
      x.oldLogp[i] = x.logp[i] - logRatio(rng);
      const far = rng.next() < 0.1;
      x.refLogp[i] = x.logp[i] + (far ? (rng.next() < 0.5 ? -12 : 12) : 2 * rng.next() - 1);
      x.segment[i] = t < perception ? 1 : t < len ? 2 : 0;
    }
  }
  return x;
}

interface GpuResult {
  loss: Float32Array;
  stats: Float32Array;
  dlogp: Float32Array;
}

async function gpuLoss(x: Batch, config: Partial<PaGrpoLossConfig>): Promise<GpuResult> {
  const d = await device();
  const kernel = await PaGrpoLoss.create(d);
  const loss = empty(d, 'loss', LOSS_LENGTH);
  const stats = empty(d, 'stats', STATS_LENGTH);
  const dlogp = empty(d, 'dlogp', x.B * x.T);
  const dispatches = kernel.bind({
    B: x.B,
    T: x.T,
    logp: upload(d, 'logp', x.logp),
    oldLogp: upload(d, 'oldLogp', x.oldLogp),
    refLogp: upload(d, 'refLogp', x.refLogp),
    segment: upload(d, 'segment', x.segment),
    advantages: upload(d, 'advantages', x.advantages),
    loss,
    stats,
    dlogp,
    config,
  });
  await run(d, dispatches);
  return { loss: await read(d, loss, LOSS_LENGTH), stats: await read(d, stats, STATS_LENGTH), dlogp: await read(d, dlogp, x.B * x.T) };
}

function expectMatchesReference(got: GpuResult, x: Batch, config: Partial<PaGrpoLossConfig>, label: string): void {
  const ref = paGrpoLoss(x, config);
  expectClose(got.loss, [ref.loss, ref.pgLoss, ref.klLoss, ref.validSequences], { atol: 2e-5, rtol: 1e-4 }, `${label} loss`);
  expectClose(got.stats, ref.stats, { atol: 2e-6, rtol: 1e-4 }, `${label} stats`);
  expectClose(got.dlogp, ref.dlogp, { atol: 1e-7, rtol: 1e-4 }, `${label} dlogp`);
}

describe('PA-GRPO loss', () => {
  for (const B of [1, 3, 8]) {
    for (const T of [1, 7, 65, 129]) {
      it(`matches the CPU reference in every aggregation and segment weighting (B = ${B}, T = ${T})`, async () => {
        const x = batch(B, T, 1000 * B + T);
        for (const mode of MODES) {
          const label = `${mode.aggregation}/${mode.segmentWeighting}`;
          expectMatchesReference(await gpuLoss(x, mode), x, mode, label);
        }
      });
    }
  }

  it('matches the reference with asymmetric clipping, no KL and a tighter KL clamp', async () => {
    const x = batch(8, 65, 7);
    const config = { clipLow: 0.1, clipHigh: 0.28, beta: 0, klClamp: 0.5 };
    expectMatchesReference(await gpuLoss(x, config), x, config, 'asymmetric');
    const withKl = { ...config, beta: 0.3 };
    expectMatchesReference(await gpuLoss(x, withKl), x, withKl, 'clamped KL');
  });

  for (const mode of MODES) {
    it(`has a CPU gradient equal to central finite differences of the CPU loss (${mode.aggregation}, ${mode.segmentWeighting})`, () => {
      const x = batch(5, 9, 42);
      const config = { ...mode, beta: 0.3 };
      const logp = Float64Array.from(x.logp);
      const at = (lp: Float64Array) => paGrpoLoss({ ...x, logp: lp }, config).loss;
      const analytic = paGrpoLoss({ ...x, logp }, config).dlogp;
      const h = 1e-6;
      const numeric = logp.map((_, i) => {
        const plus = logp.slice();
        const minus = logp.slice();
        plus[i] += h;
        minus[i] -= h;
        return (at(plus) - at(minus)) / (2 * h);
      });
      expectClose(analytic, numeric, { atol: 1e-8, rtol: 1e-6 }, 'dlogp vs finite differences');
      expect(analytic.some((g) => g !== 0)).toBe(true);
    });
  }

  it('is plain GRPO when A_perception == A_reasoning: segment labels then change neither loss nor gradient (token-share)', async () => {
    const x = batch(8, 65, 3);
    for (let b = 0; b < x.B; b++) x.advantages[2 * b + 1] = x.advantages[2 * b];
    const relabelled = { ...x, segment: x.segment.map((s) => (s === 0 ? 0 : 2)) };
    const a = await gpuLoss(x, {});
    const b = await gpuLoss(relabelled, {});
    expectClose(b.loss, a.loss, { atol: 1e-6, rtol: 1e-6 }, 'loss');
    expectClose(b.dlogp, a.dlogp, { atol: 1e-9, rtol: 1e-6 }, 'dlogp');
    expectMatchesReference(a, x, {}, 'labelled');
  });

  it('gives each token −A/(B·len) on-policy (ρ ≡ 1) with β = 0 and seq-mean-token-mean, as Video-R1', async () => {
    const x = batch(3, 65, 11);
    x.oldLogp.set(x.logp);
    const config = { beta: 0 };
    const got = await gpuLoss(x, config);
    const ref = paGrpoLoss(x, config);
    const expected = new Float64Array(x.B * x.T);
    let loss = 0;
    for (let b = 0; b < x.B; b++) {
      let len = 0;
      for (let t = 0; t < x.T; t++) if (x.segment[b * x.T + t] !== 0) len++;
      for (let t = 0; t < x.T; t++) {
        const s = x.segment[b * x.T + t];
        if (s === 0) continue;
        expected[b * x.T + t] = -x.advantages[2 * b + s - 1] / (x.B * len);
        loss += expected[b * x.T + t];
      }
    }
    expectClose(ref.dlogp, expected, { atol: 1e-12, rtol: 1e-9 }, 'CPU dlogp');
    expectClose(got.dlogp, expected, { atol: 1e-8, rtol: 1e-5 }, 'GPU dlogp');
    expectClose([got.loss[0]], [loss], { atol: 1e-6, rtol: 1e-5 }, 'loss = −mean_b mean_t A');
    expect(got.stats[statIndex('all', 'clipFraction')]).toBe(0);
    expectClose([got.stats[statIndex('all', 'meanRatio')]], [1], { atol: 0, rtol: 0 }, 'mean ratio');
  });

  it('gives zero policy gradient, and counts a clip, only where the clipped branch is strictly smaller', async () => {
    // One row of 4 reasoning tokens, β = 0: ρ = 1.5 with A > 0 (clipped), ρ = 0.5 with A < 0 in row 2
    // (clipped), ρ = 1.5 with A < 0 and ρ = 0.5 with A > 0 (not clipped: the unclipped branch is the min).
    const lr = [Math.log(1.5), Math.log(0.5)];
    const x: Batch = {
      B: 2,
      T: 2,
      logp: new Float32Array([lr[0], lr[1], lr[0], lr[1]]),
      oldLogp: new Float32Array(4),
      refLogp: new Float32Array(4),
      segment: new Uint32Array([2, 2, 2, 2]),
      advantages: new Float32Array([0, 1, 0, -1]),
    };
    const config = { beta: 0 };
    const got = await gpuLoss(x, config);
    // seq-mean-token-mean: w = 1/(2·2); ∂pg/∂logp = −ρA where not clipped.
    expectClose(got.dlogp, [0, -0.5 / 4, 1.5 / 4, 0], { atol: 1e-7, rtol: 1e-6 }, 'dlogp');
    expect(got.stats[statIndex('reasoning', 'clipFraction')]).toBe(0.5);
    expect(got.stats[statIndex('perception', 'count')]).toBe(0);
    expectMatchesReference(got, x, config, 'hand case');
  });

  it('gives the KL term zero gradient where the log-ratio clamp is active', async () => {
    const x: Batch = {
      B: 1,
      T: 3,
      logp: new Float32Array([-1, -1, -1]),
      oldLogp: new Float32Array([-1, -1, -1]),
      refLogp: new Float32Array([11, -13, -0.5]),
      segment: new Uint32Array([1, 2, 2]),
      advantages: new Float32Array([0, 0]),
    };
    const got = await gpuLoss(x, { beta: 1 });
    expectClose(got.dlogp, [0, 0, (1 - Math.exp(0.5)) / 3], { atol: 1e-7, rtol: 1e-6 }, 'dlogp');
    const k3 = [Math.exp(10) - 11, Math.exp(-10) + 9, Math.exp(0.5) - 1.5];
    expectClose([got.loss[0]], [(k3[0] + k3[1] + k3[2]) / 3], { atol: 1e-6, rtol: 1e-5 }, 'loss');
  });

  it('leaves fully padded rows out of the sequence mean', async () => {
    const x = batch(8, 7, 5); // row 3 is all padding
    const got = await gpuLoss(x, {});
    expect(got.loss[3]).toBe(7);
    const rows = [0, 1, 2, 4, 5, 6, 7];
    const pick = <A extends Float32Array | Uint32Array>(a: A, w: number) => a.filter((_, i) => rows.includes(Math.floor(i / w))) as A;
    const without: Batch = {
      B: 7,
      T: 7,
      logp: pick(x.logp, 7),
      oldLogp: pick(x.oldLogp, 7),
      refLogp: pick(x.refLogp, 7),
      segment: pick(x.segment, 7),
      advantages: pick(x.advantages, 2),
    };
    const other = await gpuLoss(without, {});
    expectClose([got.loss[0]], [other.loss[0]], { atol: 1e-7, rtol: 1e-6 }, 'loss');
  });

  it('returns the same bits on every run (fixed reduction order)', async () => {
    const x = batch(8, 129, 9);
    const a = await gpuLoss(x, PA_GRPO_LOSS_DEFAULTS);
    const b = await gpuLoss(x, PA_GRPO_LOSS_DEFAULTS);
    expect(Array.from(b.loss)).toEqual(Array.from(a.loss));
    expect(Array.from(b.dlogp)).toEqual(Array.from(a.dlogp));
    expect(Array.from(b.stats)).toEqual(Array.from(a.stats));
  });
});
