// Decoder.generateGroups decodes several groups together, each row at its own position (an RL step's
// P prompts in one pass). Rows never interact and each group samples from its own seeded stream, so
// the result must equal decoding each group alone: same tokens, same log-probs, same stop.

import { describe, expect, it } from 'vitest';
import { device } from './harness';
import { makeConfig } from '../../src/model/config';
import { initParams, paramLayout } from '../../src/model/params';
import { GpuModel } from '../../src/model/model';
import { Decoder } from '../../src/model/generate';
import { Rng } from '../../src/util/rng';
import { heldOutPrompts } from '../../src/train/heldout';
import { PRESET_SYNTHETIC } from '../../src/train/rl_data';
import { makeBatch } from '../../src/model/batch';

describe('Decoder.generateGroups', () => {
  const { model, train } = makeConfig('tiny');
  const layout = paramLayout(model);
  const rng = new Rng(13);
  const init = Float32Array.from(initParams(layout, 7), (v) => v + 0.3 * rng.normal());

  it('samples groups of different prompt lengths together exactly as one group at a time', async () => {
    const d = await device();
    const G = 2;
    const prompts = heldOutPrompts(12, PRESET_SYNTHETIC.tiny, 515);
    const length = (p: (typeof prompts)[number]) => makeBatch([{ frames: p.frames, prompt: p.prompt, completion: '' }], model).lengths[0];
    const first = prompts[0];
    const second = prompts.find((p) => length(p) !== length(first));
    expect(second, 'two held-out prompts of different lengths').toBeDefined();
    const together = Decoder.create(await GpuModel.create(d, model, layout, { batchSize: 2 * G, init, train, label: 'together' }));
    const alone = Decoder.create(await GpuModel.create(d, model, layout, { batchSize: G, init, train, label: 'alone' }));
    const o = { temperature: 1, topP: 0.95, maxNewTokens: 10, seed: 0 };
    const groups = [first, second!].map((p, i) => ({ prompts: Array.from({ length: G }, () => p), seed: 100 + i }));
    const out = await together.generateGroups(groups, o);
    expect(out.map((r) => r.promptLength)).toEqual([length(first), length(second!)]);
    for (const [i, g] of groups.entries()) {
      const ref = await alone.generate(g.prompts[0], { ...o, seed: g.seed });
      expect(out[i].rollouts.map((r) => r.ids)).toEqual(ref.rollouts.map((r) => r.ids));
      expect(out[i].rollouts.map((r) => Array.from(r.logp))).toEqual(ref.rollouts.map((r) => Array.from(r.logp)));
      expect(out[i].rollouts.map((r) => r.finished)).toEqual(ref.rollouts.map((r) => r.finished));
    }
    await expect(together.generateGroups([{ prompts: [first, second!], seed: 1 }, { prompts: [first, first], seed: 2 }], o)).rejects.toThrow(/lengths differ within a group/);
  });
});
