// The RL trainer end to end on the tiny preset: a real step (KV-cache sampling, rewards, reference
// log-probs, PA-GRPO update) with its rollouts callback, and steps on fixed completions whose rewards
// differ, checking the advantage each token carries under PA-GRPO and GRPO and that the update moves
// the parameters.

import { describe, expect, it } from 'vitest';
import { device } from './harness';
import { makeConfig } from '../../src/model/config';
import { createModelKernels } from '../../src/model/model';
import type { Rollout as DecodedRollout } from '../../src/model/generate';
import { decodeWithOffsets, encode, EOS } from '../../src/model/tokenizer';
import { initParams, paramLayout } from '../../src/model/params';
import { PaGrpoLoss } from '../../src/gpu/kernels/pa_grpo_loss';
import { microRlPrompts, type RlPrompt } from '../../src/train/rl_data';
import { RlTrainer, type RlOptions, type RlRollout } from '../../src/train/rl';

const config = makeConfig('test', { train: { lr: 1e-3, warmupSteps: 1, steps: 10 } });
const prompts = microRlPrompts(6, 3, config.model.frames, config.model.frameSize);
let shared: Promise<{ kernels: Awaited<ReturnType<typeof createModelKernels>>; lossKernel: PaGrpoLoss }> | undefined;

async function trainer(o: Partial<RlOptions> & { mode: string; group: number; promptsPerStep: number }) {
  const d = await device();
  shared ??= Promise.all([createModelKernels(d, [config.model.width / config.model.heads]), PaGrpoLoss.create(d)]).then(([kernels, lossKernel]) => ({ kernels, lossKernel }));
  const { kernels, lossKernel } = await shared;
  return RlTrainer.create(d, config, { prompts, kernels, lossKernel, onWarning: () => {}, ...o });
}

/** Four completions of a prompt with different rewards: gold; wrong answer; wrong observation; no observation. */
function fixedGroup(p: RlPrompt): DecodedRollout[] {
  const gold = p.gold!;
  const right = gold.includes('right');
  const texts = [
    gold,
    gold.replace(/<answer>.<\/answer>/, `<answer>${right ? 'A' : 'B'}</answer>`),
    gold.replace(/<observation>(\w+) \w+</, `<observation>$1 ${right ? 'left' : 'right'}<`),
    gold.replace(/^<observation>.*<\/observation> /, ''),
  ];
  return texts.map((t) => {
    const ids = [...encode(t).ids, EOS];
    const { text, offsets } = decodeWithOffsets(ids);
    return { ids, text, offsets, logp: new Float32Array(ids.length).fill(-1), finished: true };
  });
}

describe('RlTrainer (tiny preset)', () => {
  it('one real step: G completions per prompt, consistent offsets, KL 0 against the starting weights, finite log, parameters updated', async () => {
    const got: RlRollout[][] = [];
    const t = await trainer({ mode: 'pa-grpo', group: 2, promptsPerStep: 2, sampling: { maxNewTokens: 8 }, onRollouts: (rs) => void got.push(rs) });
    const before = await t.policy.readParams();
    const e = await t.trainStep();
    const after = await t.policy.readParams();
    expect(e.skipped).toBe(false);
    for (const v of [e.loss, e.kl, e.entropy, e.gradNorm]) expect(Number.isFinite(v)).toBe(true);
    expect(e.kl).toBeLessThan(1e-6); // reference = starting weights
    expect(e.meanRatio).toBeCloseTo(1, 5); // on-policy single update
    expect(e.collapsed.groups).toBe(2);
    expect(after.some((v, i) => v !== before[i])).toBe(true);

    expect(got).toHaveLength(1);
    const rs = got[0];
    expect(rs).toHaveLength(4);
    for (const g of [0, 1]) expect(rs.filter((r) => r.groupIndex === g).map((r) => r.sampleIdx)).toEqual([0, 1]);
    for (const r of rs) {
      const n = r.ids.length;
      expect(n).toBeGreaterThan(0);
      expect(n).toBeLessThanOrEqual(8);
      const dec = decodeWithOffsets(r.ids);
      expect(r.text).toBe(dec.text);
      expect(r.offsets).toEqual(dec.offsets);
      for (const a of [r.segment, r.sampleLogp, r.logp, r.refLogp, r.tokenAdvantage]) expect(a.length).toBe(n);
      for (let i = 0; i < n; i++) {
        expect(r.logp[i]).toBeLessThanOrEqual(0);
        expect(Math.abs(r.logp[i] - r.refLogp[i])).toBeLessThan(1e-5);
        expect(Math.abs(r.logp[i] - r.sampleLogp[i])).toBeLessThan(1e-3); // temperature 1: sampler = teacher-forced
      }
      expect(r.problemId).toBe(String(prompts[r.promptIndex].record.problem_id));
    }
  });

  it('PA-GRPO gives perception tokens A_P and reasoning tokens A_R; GRPO gives every token A_R; the update moves the parameters', async () => {
    for (const mode of ['pa-grpo', 'grpo'] as const) {
      const got: RlRollout[] = [];
      const t = await trainer({ mode, group: 4, promptsPerStep: 1, updatesPerBatch: 2, loss: { beta: 0.04 }, onRollouts: (rs) => void got.push(...rs) });
      t.generate = async (indices) => indices.map((i) => fixedGroup(prompts[i]));
      const before = await t.policy.readParams();
      const e = await t.trainStep();
      const after = await t.policy.readParams();
      expect(e.skipped).toBe(false);
      let moved = 0;
      for (let i = 0; i < before.length; i++) moved = Math.max(moved, Math.abs(after[i] - before[i]));
      expect(moved).toBeGreaterThan(1e-4); // ~2 lr: Adam steps of size lr on every parameter with a gradient
      expect(e.meanRatio).not.toBe(1); // the second update sees the first one's change
      expect(got).toHaveLength(4);
      const [gold, wrongAnswer, wrongObservation, noObservation] = got;
      expect(gold.reasoning.accuracy).toBe(1);
      expect(wrongAnswer.reasoning.accuracy).toBe(0);
      expect(noObservation.perceptionEnd).toBeNull();
      if (mode === 'pa-grpo') {
        expect(gold.perception.accuracy).toBe(1);
        expect(wrongObservation.perception.accuracy).toBe(0);
        expect(e.collapsed.perception + e.collapsed.reasoning).toBe(0);
      } else {
        expect(gold.perception.total).toBe(0); // GRPO: no perception reward, no judge call
      }
      for (const r of got) {
        const aP = r.advantages.perception;
        const aR = r.advantages.reasoning;
        if (mode === 'grpo') expect(aP).toBe(aR);
        r.segment.forEach((k, i) => expect(r.tokenAdvantage[i]).toBe(Math.fround(k === 1 ? aP : aR)));
        expect(r.tokenAdvantage.length).toBe(r.ids.length);
        if (r.perceptionEnd !== null) expect(r.segment.filter((k) => k === 1).length).toBe(r.text.indexOf('</observation>') + '</observation>'.length);
      }
      if (mode === 'pa-grpo') {
        expect(gold.advantages.perception).not.toBe(gold.advantages.reasoning);
        // The wrong-observation rollout: worse perception, and its perception tokens carry a negative advantage.
        expect(wrongObservation.advantages.perception).toBeLessThan(0);
        expect(wrongObservation.tokenAdvantage[0]).toBeLessThan(0);
      } else {
        // GRPO: the wrong-observation rollout's answer is right, so its observation tokens are rewarded too.
        expect(wrongObservation.tokenAdvantage[0]).toBeGreaterThan(0);
      }
    }
  });

  it('an update raises the advantage-weighted log-likelihood: the wrong answer letter gets less likely, the right one more', async () => {
    for (const mode of ['pa-grpo', 'grpo'] as const) {
      const steps: RlRollout[][] = [];
      const t = await trainer({ mode, group: 4, promptsPerStep: 1, loss: { beta: 0 }, onRollouts: (rs) => void steps.push(rs) });
      t.generate = async (indices) => indices.map((i) => fixedGroup(prompts[i]));
      await t.trainStep();
      // The same completions again: their teacher-forced log-probs now come from the updated weights.
      const promptIndex = steps[0][0].promptIndex;
      t.generate = async () => [fixedGroup(prompts[promptIndex])];
      await t.trainStep();
      const [before, after] = steps;
      // First order, the update ascends Σ A·log π over the group's tokens.
      let objective = 0;
      for (let k = 0; k < 4; k++) for (let j = 0; j < before[k].logp.length; j++) objective += before[k].tokenAdvantage[j] * (after[k].logp[j] - before[k].logp[j]);
      expect(objective).toBeGreaterThan(0);
      // The answer letter: the wrong-answer rollout's (A_R < 0 in both modes) drops, the gold one's rises.
      const [gold, wrong] = before;
      const letter = wrong.offsets.findIndex(([a]) => a === wrong.text.indexOf('<answer>') + '<answer>'.length);
      expect(wrong.text[wrong.offsets[letter][0]]).not.toBe(gold.text[gold.offsets[letter][0]]);
      expect(wrong.tokenAdvantage[letter]).toBeLessThan(0);
      expect(after[1].logp[letter]).toBeLessThan(wrong.logp[letter]);
      expect(after[0].logp[letter]).toBeGreaterThan(gold.logp[letter]);
    }
  });

  it('rejects an unknown mode and resumes an SFT checkpoint as step 0', async () => {
    await expect(trainer({ mode: 'nope', group: 2, promptsPerStep: 1 })).rejects.toThrow(/unknown ablation mode/);
    const layout = paramLayout(config.model);
    const init = initParams(layout, 9);
    const { tensorsFromFlat } = await import('../../src/train/checkpoint');
    const t = await trainer({ mode: 'without-rl', group: 2, promptsPerStep: 1, resume: { config: {}, step: 7, tensors: tensorsFromFlat(layout, init), metadata: { mode: 'sft' } } });
    expect(t.step).toBe(0);
    expect(t.rewardConfig.useLengthReward).toBe(false);
    expect(await t.policy.readParams()).toEqual(init);
  });
});
