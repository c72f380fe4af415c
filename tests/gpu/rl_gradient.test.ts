// The PA-GRPO gradient of the RL trainer's GPU path (policy forward → PaGrpoLoss → dL/dlogp →
// cross-entropy and model backward) against the float64 CPU composition (reference model, reference
// loss, reference backward from that dlogp), on a fixed batch with ratios ≠ 1 so the clip is active.
// Also: equal rewards in every group give a zero policy gradient (exactly 0 with β = 0, the KL term's
// gradient alone with β > 0).

import { describe, expect, it } from 'vitest';
import { device, expectClose } from './harness';
import { makeConfig } from '../../src/model/config';
import { initParams, paramLayout } from '../../src/model/params';
import { GpuModel, createModelKernels } from '../../src/model/model';
import { encode, EOS } from '../../src/model/tokenizer';
import { Rng } from '../../src/util/rng';
import { processAdvantages } from '../../src/rewards/advantages';
import { resolveConfig } from '../../src/rewards/config';
import { parseCompletion } from '../../src/rewards/template';
import { microRlPrompts, rlBatch, scatterRows, tokenSegments } from '../../src/train/rl_data';
import { PolicyLoss } from '../../src/train/rl_model';
import { referenceLogProbs, referencePaGrpoGradient } from '../../src/train/rl_reference';
import type { PaGrpoLossConfig } from '../../src/gpu/reference/pa_grpo_loss';

const { model, train } = makeConfig('test');
const layout = paramLayout(model);
const rng = new Rng(21);
const init = Float32Array.from(initParams(layout, 3), (v) => v + 0.05 * rng.normal());
const B = 4;
// Completions: the gold CoT of two prompts and two corrupted ones (a missing '</observation>' and a
// truncated one without EOS), so both segments, rule 3 and padding occur.
const prompts = microRlPrompts(B, 5);
const texts = [prompts[0].gold!, prompts[1].gold!, prompts[2].gold!.replace('</observation>', ''), prompts[3].gold!.slice(0, 30)];
const seqs = texts.map((t, b) => ({ frames: prompts[b].frames, prompt: prompts[b].prompt, ids: [...encode(t).ids, ...(b === 3 ? [] : [EOS])] }));
const batch = rlBatch(seqs, model);
const N = batch.B * batch.T;
const segment = scatterRows(
  batch,
  texts.map((t, b) => tokenSegments([...encode(t).offsets, ...(b === 3 ? [] : [[t.length, t.length] as [number, number]])], parseCompletion(t).perceptionEnd)),
  new Uint32Array(N),
);
const logp64 = referenceLogProbs(init, layout, model, batch);
const noise = (scale: number) => Float32Array.from(logp64, (v, i) => (segment[i] ? v + scale * rng.normal() : 0));
const oldLogp = noise(0.3); // ratios around 1 ± 0.3: some tokens clipped
const refLogp = noise(0.5);

let kernels: ReturnType<typeof createModelKernels> | undefined;

async function gpuGradient(advantages: Float32Array, config: Partial<PaGrpoLossConfig>) {
  const d = await device();
  const policy = await GpuModel.create(d, model, layout, { batchSize: B, init, train, kernels: await (kernels ??= createModelKernels(d, [model.width / model.heads])) });
  const loss = await PolicyLoss.create(policy, config);
  policy.setBatch(batch);
  loss.upload({ segment, advantages, oldLogp, refLogp });
  d.pushErrorScope('validation');
  await policy.forward();
  const l = await loss.evaluate();
  await policy.run({ backward: true });
  const err = await d.popErrorScope();
  if (err) throw new Error(`GPU validation error: ${err.message}`);
  const dlogp = new Float32Array(await (await import('../../src/gpu/buffers')).readF32(d, policy.internals.inputs.dlogp, N));
  return { loss: l, grads: await policy.readGrads(), dlogp };
}

function compareGrads(got: Float32Array, want: Float64Array) {
  for (const t of layout.tensors) {
    const g = got.subarray(t.offset, t.offset + t.size);
    const w = want.subarray(t.offset, t.offset + t.size);
    let scale = 0;
    for (const v of w) scale = Math.max(scale, Math.abs(v));
    expectClose(g, w, { atol: 3e-4 * scale + 1e-7, rtol: 2e-3 }, t.name);
  }
}

describe('RL gradient (tiny preset)', () => {
  it('segments cover both processes, rule 3 and padding', () => {
    const counts = [0, 0, 0];
    for (const s of segment) counts[s]++;
    expect(counts[1]).toBeGreaterThan(20);
    expect(counts[2]).toBeGreaterThan(20);
    expect(counts[1] + counts[2]).toBe(batch.targetCount);
  });

  it('PA-GRPO: GPU loss, dL/dlogp and parameter gradient equal the float64 CPU composition (β > 0, ε clip active)', async () => {
    const advantages = Float32Array.from({ length: 2 * B }, () => rng.normal());
    const config = { beta: 0.04, clipLow: 0.2, clipHigh: 0.2 };
    const gpu = await gpuGradient(advantages, config);
    const cpu = referencePaGrpoGradient(init, layout, model, batch, { oldLogp, refLogp, segment, advantages }, config);
    expect(cpu.loss.stats[4 * 2 + 1]).toBeGreaterThan(0.05); // clip fraction over all tokens
    expect(gpu.loss.loss).toBeCloseTo(cpu.loss.loss, 4);
    expect(gpu.loss.stats.all.clipFraction).toBeCloseTo(cpu.loss.stats[4 * 2 + 1], 5);
    let scale = 0;
    for (const v of cpu.loss.dlogp) scale = Math.max(scale, Math.abs(v));
    expectClose(gpu.dlogp, cpu.loss.dlogp, { atol: 1e-3 * scale, rtol: 1e-3 }, 'dlogp');
    compareGrads(gpu.grads, cpu.grads);
  });

  it('equal rewards in every group: the gradient is exactly 0 with β = 0, and the KL term alone with β > 0', async () => {
    // Two groups of two with equal rewards within each group → zero advantages in both processes.
    const reward = resolveConfig('pa-grpo');
    const a1 = processAdvantages([2, 2], [1.2, 1.2], reward);
    const a2 = processAdvantages([0, 0], [0, 0], reward);
    const advantages = Float32Array.from([a1.perception[0], a1.reasoning[0], a1.perception[1], a1.reasoning[1], a2.perception[0], a2.reasoning[0], a2.perception[1], a2.reasoning[1]]);
    expect([...advantages].every((a) => a === 0)).toBe(true);

    const zero = await gpuGradient(advantages, { beta: 0 });
    expect(zero.grads.every((g) => g === 0)).toBe(true);
    expect(zero.dlogp.every((g) => g === 0)).toBe(true);

    const kl = await gpuGradient(advantages, { beta: 0.04 });
    const cpu = referencePaGrpoGradient(init, layout, model, batch, { oldLogp, refLogp, segment, advantages }, { beta: 0.04 });
    expect(cpu.loss.pgLoss).toBe(0);
    expect(kl.grads.some((g) => g !== 0)).toBe(true);
    compareGrads(kl.grads, cpu.grads);
  });
});
