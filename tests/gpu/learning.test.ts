// The tiny model learns: a short SFT on one easy task family (direction: motion between the first and
// the last frame, then the option letter) lifts held-out answer accuracy well above chance (1 in 4).
// Held-out means videos of a generator seed the training never saw. The full targets (all families,
// 200+ questions) are measured by `npm run train -- --preset tiny` and `npm run eval` (README).

import { describe, expect, it } from 'vitest';
import { device } from './harness';
import { makeConfig, modelDims } from '../../src/model/config';
import { paramLayout } from '../../src/model/params';
import { GpuModel } from '../../src/model/model';
import { Decoder } from '../../src/model/generate';
import { SftTrainer } from '../../src/train/sft';
import { PRESET_SYNTHETIC, sftSampleOf, syntheticRlPrompts } from '../../src/train/rl_data';
import { EVAL_ROWS, evaluateHeldOut, heldOutPrompts } from '../../src/train/heldout';

const STEPS = 150;

describe('learning (tiny preset)', () => {
  it(`after ${STEPS} SFT steps on the direction family, answers held-out direction questions well above chance`, async () => {
    const d = await device();
    const config = makeConfig('tiny', { train: { steps: STEPS, warmupSteps: 10, seed: 2 } });
    const direction = (ps: ReturnType<typeof syntheticRlPrompts>) => ps.filter((p) => p.family === 'direction');
    const samples = direction(syntheticRlPrompts(600, 1, PRESET_SYNTHETIC.tiny)).map(sftSampleOf);
    const trainer = await SftTrainer.create(d, config, { samples });
    const before = trainer.log.length;
    await trainer.run(STEPS);
    expect(trainer.log.length - before).toBe(STEPS);
    expect(trainer.log.some((e) => e.skipped)).toBe(false);
    expect(trainer.log.at(-1)!.loss).toBeLessThan(trainer.log[0].loss / 4);

    const layout = paramLayout(config.model);
    const evalModel = await GpuModel.create(d, config.model, layout, { batchSize: EVAL_ROWS, init: await trainer.model.readParams(), train: config.train, label: 'heldout' });
    const questions = direction(heldOutPrompts(144, PRESET_SYNTHETIC.tiny));
    expect(questions).toHaveLength(48);
    const { report } = await evaluateHeldOut(Decoder.create(evalModel), questions, { maxNewTokens: modelDims(config.model).maxT });
    console.log(`learning: ${STEPS} steps, held-out direction: answer ${report.answer_accuracy.toFixed(3)}, judge ${report.perception_judge_accuracy.toFixed(3)}, format ${report.format_perception.toFixed(2)}/${report.format_reasoning.toFixed(2)}`);
    expect(report.format_perception).toBeGreaterThanOrEqual(0.9);
    expect(report.format_reasoning).toBeGreaterThanOrEqual(0.9);
    // Chance is 0.25: 22 or more right of 48 has probability below 0.001 for a guesser.
    expect(report.answer_accuracy).toBeGreaterThanOrEqual(0.45);
  }, 600_000);
});
