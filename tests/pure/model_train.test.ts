// Pure tests of the training plumbing: learning-rate schedule, seeded batch order, checkpoints
// (layout ↔ checkpoint tensors), and the CPU reference run the golden fixture comes from.

import { describe, expect, it } from 'vitest';
import golden from '../fixtures/golden_sft_tiny.json';
import { makeConfig } from '../../src/model/config';
import { initParams, paramLayout } from '../../src/model/params';
import { learningRate } from '../../src/train/schedule';
import { BatchOrder } from '../../src/train/data';
import { flatFromTensors, parseCheckpoint, serializeCheckpoint, tensorsFromFlat } from '../../src/train/checkpoint';
import { referenceSftRun } from '../../src/train/sft_reference';
import { microSamples } from '../../src/train/samples';

describe('learning-rate schedule', () => {
  const cfg = { lr: 1e-3, warmupSteps: 10, minLrRatio: 0.1, steps: 110 };

  it('warms up linearly, peaks at lr, and decays by cosine to minLrRatio·lr', () => {
    expect(learningRate(0, cfg)).toBeCloseTo(1e-4, 12);
    expect(learningRate(9, cfg)).toBeCloseTo(1e-3, 12);
    expect(learningRate(10, cfg)).toBeCloseTo(1e-3, 12);
    expect(learningRate(60, cfg)).toBeCloseTo(0.55e-3, 12); // halfway: the mean of lr and minLr
    expect(learningRate(110, cfg)).toBeCloseTo(1e-4, 12);
    for (let s = 10; s < 110; s++) expect(learningRate(s + 1, cfg)).toBeLessThanOrEqual(learningRate(s, cfg));
  });
});

describe('batch order', () => {
  it('visits every sample once per epoch, in the same order for the same seed', () => {
    const a = new BatchOrder(10, 5, 3);
    const epoch = [...a.next(), ...a.next()].sort((x, y) => x - y);
    expect(epoch).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const b = new BatchOrder(10, 5, 3);
    const c = new BatchOrder(10, 5, 4);
    const first = b.next();
    expect(first).toEqual(new BatchOrder(10, 5, 3).next());
    expect(c.next()).not.toEqual(first);
  });
});

describe('checkpoints of the parameter layout', () => {
  const config = makeConfig('test');
  const layout = paramLayout(config.model);

  it('round-trips the flat parameters through the checkpoint module (safetensors + JSON)', async () => {
    const params = initParams(layout, 9);
    const ser = await serializeCheckpoint({ config: { model: { ...config.model } }, step: 12, tensors: tensorsFromFlat(layout, params), metadata: { mode: 'sft' } });
    const back = await parseCheckpoint(ser.safetensors, ser.config);
    expect(back.tensors.find((t) => t.name === 'h.0.attn.c_attn.weight')?.shape).toEqual([96, 32]);
    expect(flatFromTensors(layout, back.tensors)).toEqual(params); // padding stays 0 in both
  });

  it('refuses tensors of another shape, naming the tensor', () => {
    const other = paramLayout(makeConfig('test', { model: { width: 64, heads: 4 } }).model);
    expect(() => flatFromTensors(layout, tensorsFromFlat(other, initParams(other, 1)))).toThrow(/'wte' is \[260, 64\] in the checkpoint but the model expects \[260, 32\]/);
  });
});

describe('CPU reference SFT run', () => {
  it('still produces the recorded golden curve (regenerate with scripts/make-golden.ts if this changes on purpose)', () => {
    const config = makeConfig('test', { train: { steps: golden.steps } });
    const run = referenceSftRun(config, microSamples(golden.samples, golden.dataSeed), 3);
    run.forEach((s, i) => expect(s.loss).toBeCloseTo(golden.loss[i], 10));
  }, 30_000);
});
