// Held-out evaluation decodes several questions per decode (Decoder.generateRows): greedy rows do not
// interact, so each row must give exactly what decoding its question alone gives, and the report must
// aggregate the per-question scores per family and problem type.

import { describe, expect, it } from 'vitest';
import { device } from './harness';
import { makeConfig, modelDims } from '../../src/model/config';
import { initParams, paramLayout } from '../../src/model/params';
import { GpuModel } from '../../src/model/model';
import { Decoder } from '../../src/model/generate';
import { Rng } from '../../src/util/rng';
import { evaluateHeldOut, heldOutPrompts } from '../../src/train/heldout';
import { PRESET_SYNTHETIC } from '../../src/train/rl_data';

describe('held-out evaluation (tiny preset)', () => {
  const { model, train } = makeConfig('tiny');
  const layout = paramLayout(model);
  const rng = new Rng(11);
  // Random weights with a large spread, so that greedy completions differ from question to question.
  const init = Float32Array.from(initParams(layout, 5), (v) => v + 0.3 * rng.normal());
  const prompts = heldOutPrompts(9, PRESET_SYNTHETIC.tiny, 4242);

  it('decodes G equal-length questions at once exactly as one at a time', async () => {
    const d = await device();
    const many = Decoder.create(await GpuModel.create(d, model, layout, { batchSize: 3, init, train, label: 'rows' }));
    const one = Decoder.create(await GpuModel.create(d, model, layout, { batchSize: 1, init, train, label: 'one' }));
    const direction = prompts.filter((p) => p.family === 'direction');
    expect(direction).toHaveLength(3);
    const o = { temperature: 0, topP: 1, maxNewTokens: 12, seed: 1 };
    const rows = await many.generateRows(direction, o);
    const texts = new Set<string>();
    for (let g = 0; g < 3; g++) {
      const alone = await one.generate(direction[g], o);
      expect(rows.rollouts[g].ids).toEqual(alone.rollouts[0].ids);
      texts.add(rows.rollouts[g].text);
    }
    expect(texts.size).toBeGreaterThan(1);
    await expect(many.generateRows([prompts[0], prompts[1], prompts[2]], o)).rejects.toThrow(/lengths differ/);
  });

  it('reports every question once, overall, per family and per problem type', async () => {
    const d = await device();
    const decoder = Decoder.create(await GpuModel.create(d, model, layout, { batchSize: 2, init, train, label: 'eval' }));
    const seen: number[] = [];
    const { report, items } = await evaluateHeldOut(decoder, prompts, { maxNewTokens: modelDims(model).maxT, onProgress: (done) => seen.push(done) });
    expect(items).toHaveLength(9);
    expect(items.every((i) => i !== undefined)).toBe(true);
    expect(seen.at(-1)).toBe(9);
    expect(report.questions).toBe(9);
    expect(Object.keys(report.by_family).sort()).toEqual(['count', 'direction', 'same']);
    expect(report.by_problem_type['multiple choice'].questions).toBe(3);
    const mean = items.reduce((a, i) => a + i.answer, 0) / items.length;
    expect(report.answer_accuracy).toBeCloseTo(mean, 12);
    for (const k of ['format_perception', 'format_reasoning', 'answer_accuracy', 'perception_judge_accuracy'] as const) {
      expect(report[k]).toBeGreaterThanOrEqual(0);
      expect(report[k]).toBeLessThanOrEqual(1);
    }
  });
});
