// Rollout generation with the KV cache against the float64 reference: every step's logits must be
// the reference's teacher-forced logits of the same sequence at that position.

import { describe, expect, it } from 'vitest';
import { device, expectClose } from './harness';
import { makeConfig, modelDims } from '../../src/model/config';
import { initParams, paramLayout } from '../../src/model/params';
import { makeBatch } from '../../src/model/batch';
import { referenceForward } from '../../src/model/reference';
import { GpuModel } from '../../src/model/model';
import { Decoder } from '../../src/model/generate';
import { logProb } from '../../src/model/sampling';
import { encode } from '../../src/model/tokenizer';
import { microSamples } from '../../src/train/samples';
import { Rng } from '../../src/util/rng';

describe('KV-cache decoder (tiny preset)', () => {
  const { model, train } = makeConfig('test');
  const layout = paramLayout(model);
  const rng = new Rng(4);
  const init = Float32Array.from(initParams(layout, 6), (v) => v + 0.05 * rng.normal());
  const [sample] = microSamples(1, 8);

  it('samples G completions whose logits and log-probs equal the reference forward of the same sequences, and teacher-forced log-probs agree', async () => {
    const gpu = await GpuModel.create(await device(), model, layout, { batchSize: train.batchSize, init, train });
    const decoder = Decoder.create(gpu);
    const steps = 6;
    const out = await decoder.generate({ frames: sample.frames, prompt: sample.prompt }, { temperature: 1, topP: 0.95, maxNewTokens: steps, seed: 1, keepLogits: true });
    const L = out.promptLength;
    expect(L).toBe(modelDims(model).frameTokens + 1 + encode(sample.prompt).ids.length);
    expect(out.rollouts).toHaveLength(train.batchSize);
    expect(out.rollouts[0].ids).not.toEqual(out.rollouts[1].ids); // sampled, not greedy

    // Teacher-force each generated sequence through the reference: the prompt, then the sampled ids
    // (as a "completion" whose bytes are the ids themselves).
    const batch = makeBatch(out.rollouts.map(() => ({ frames: sample.frames, prompt: sample.prompt, completion: '' })), model);
    out.rollouts.forEach((r, g) => r.ids.forEach((id, i) => (batch.tokens[g * batch.T + L + i] = id)));
    out.rollouts.forEach((r, g) => (batch.lengths[g] = L + r.ids.length));
    const teacher = referenceForward(init, layout, model, batch);
    const V = model.vocabSize;
    expect(out.logits).toHaveLength(steps);
    out.logits!.forEach((step, i) => {
      for (let g = 0; g < train.batchSize; g++) {
        if (i >= out.rollouts[g].ids.length) continue;
        const row = (g * batch.T + L - 1 + i) * V;
        const want = teacher.logits.subarray(row, row + V);
        expectClose(step.subarray(g * V, (g + 1) * V), want, { atol: 1e-4, rtol: 1e-3 }, `step ${i}, sequence ${g}`);
        expect(out.rollouts[g].logp[i]).toBeCloseTo(logProb(want, out.rollouts[g].ids[i], 1), 4);
      }
    });

    // Teacher-forced log-probs of the same completions (what RL's reference model provides) equal
    // the sampler's: targets at positions L-1 .. L+n-2 are the generated ids.
    out.rollouts.forEach((r, g) => r.ids.forEach((id, i) => (batch.targets[g * batch.T + L - 1 + i] = id)));
    batch.targetCount = out.rollouts.reduce((n, r) => n + r.ids.length, 0);
    const logp = await gpu.logProbs(batch);
    out.rollouts.forEach((r, g) => r.ids.forEach((_, i) => expect(logp[g * batch.T + L - 1 + i]).toBeCloseTo(r.logp[i], 4)));
  });
});
