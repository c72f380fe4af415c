// The two perception rewards that need no external LLM (issue 14 §2) inside real RL steps on the `test`
// preset: the self-answer judge decodes frame-free on the trainer's own decoder and its rewards are the
// accuracy of those answers (checked against an unbatched greedy decode of the same policy); the
// checklist judge grades observations; both train (steps complete, parameters move) and every rollout,
// in the trainer and in the inspector's record, names its judge.

import { describe, expect, it } from 'vitest';
import { device } from './harness';
import { makeConfig } from '../../src/model/config';
import { createModelKernels } from '../../src/model/model';
import type { Decoder, Rollout as DecodedRollout } from '../../src/model/generate';
import { decodeWithOffsets, encode, EOS } from '../../src/model/tokenizer';
import { PaGrpoLoss } from '../../src/gpu/kernels/pa_grpo_loss';
import { accuracyReward } from '../../src/rewards/accuracy';
import { extractAnswer } from '../../src/rewards/template';
import { microRlPrompts, type RlPrompt } from '../../src/train/rl_data';
import { RlTrainer, type RlOptions, type RlRollout } from '../../src/train/rl';
import { toInspectorRollout } from '../../src/train/rl_export';
import { SelfAnswerJudge, rlJudge, selfAnswerPrompt } from '../../src/train/self_answer';

const config = makeConfig('test', { train: { lr: 1e-3, warmupSteps: 1, steps: 10 } });
const prompts = microRlPrompts(6, 3, config.model.frames, config.model.frameSize);
let shared: Promise<{ kernels: Awaited<ReturnType<typeof createModelKernels>>; lossKernel: PaGrpoLoss }> | undefined;

async function trainer(o: Partial<RlOptions>) {
  const d = await device();
  shared ??= Promise.all([createModelKernels(d, [config.model.width / config.model.heads]), PaGrpoLoss.create(d)]).then(([kernels, lossKernel]) => ({ kernels, lossKernel }));
  const { kernels, lossKernel } = await shared;
  return RlTrainer.create(d, config, { prompts, kernels, lossKernel, mode: 'pa-grpo', group: 2, promptsPerStep: 2, sampling: { maxNewTokens: 6 }, onWarning: () => {}, ...o });
}

/** Two completions of a prompt: the gold one, and one whose observation names the other direction. */
function fixedGroup(p: RlPrompt): DecodedRollout[] {
  const gold = p.gold!;
  const right = gold.includes('right</observation>');
  const texts = [gold, gold.replace(/<observation>(\w+) \w+</, `<observation>$1 ${right ? 'left' : 'right'}<`)];
  return texts.map((t) => {
    const ids = [...encode(t).ids, EOS];
    const { text, offsets } = decodeWithOffsets(ids);
    return { ids, text, offsets, logp: new Float32Array(ids.length).fill(-1), finished: true };
  });
}

describe('perception judges without an LLM in RL steps (test preset)', () => {
  it('self-answer: frame-free greedy answers on the trainer decoder; perception accuracy = their accuracy', async () => {
    let judge: SelfAnswerJudge | undefined;
    const frames: number[] = [];
    const got: RlRollout[] = [];
    const t = await trainer({
      judge: (ctx) => {
        // Record what the judge decodes (frames per row), on the trainer's own decoder.
        const decoder = ctx.decoder;
        const inner = decoder.generateRows.bind(decoder);
        decoder.generateRows = async (rows, o) => {
          frames.push(...rows.map((r) => r.frames.length));
          return inner(rows, o);
        };
        judge = new SelfAnswerJudge({ ...ctx, maxNewTokens: 6 });
        return judge;
      },
      onRollouts: (rs) => void got.push(...rs),
    });
    expect(t.judge).toBe(judge);
    // Expected answers: each frame-free prompt decoded alone (G copies, row 0) by the policy before the update.
    const expected = new Map<string, string>();
    const original = t.generate.bind(t);
    t.generate = async (indices) => {
      await original(indices); // syncs the sampler with the policy
      const groups = indices.map((i) => fixedGroup(prompts[i]));
      const decoder = (t as unknown as { decoder: Decoder }).decoder;
      for (const [k, i] of indices.entries()) {
        for (const r of groups[k]) {
          const obs = /<observation>(.*)<\/observation>/.exec(r.text)![1];
          const text = selfAnswerPrompt(prompts[i].prompt, obs);
          const out = await decoder.generateRows([{ frames: [], prompt: text }, { frames: [], prompt: text }], { temperature: 0, topP: 1, maxNewTokens: 6, seed: 0 });
          expected.set(text, out.rollouts[0].text);
        }
      }
      frames.length = 0;
      return groups;
    };
    const before = await t.policy.readParams();
    const e = await t.trainStep();
    const after = await t.policy.readParams();
    expect(e.skipped).toBe(false);
    expect(after.some((v, i) => v !== before[i])).toBe(true);
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.every((n) => n === 0)).toBe(true); // no frames in any self-answer row
    expect(judge!.stats.requests).toBe(expected.size); // one answer per distinct observation
    expect(got).toHaveLength(4);
    for (const r of got) {
      const obs = /<observation>(.*)<\/observation>/.exec(r.text)![1];
      const answer = expected.get(selfAnswerPrompt(r.prompt, obs))!;
      const accuracy = accuracyReward(r.record.problem_type, extractAnswer(answer), extractAnswer(r.record.solution));
      expect(r.perception.accuracy).toBe(accuracy);
      expect(r.judge?.name).toBe('self-answer');
      expect(r.judge?.score).toBe(accuracy);
      expect(r.judge?.explanation).toContain(extractAnswer(answer) === '' ? 'nothing' : JSON.stringify(extractAnswer(answer)));
      expect(toInspectorRollout(r, 'run').perception?.judge?.name).toBe('self-answer');
    }
  });

  it('checklist and self-answer train: sampled steps complete and move the parameters; checklist grades fixed observations', async () => {
    for (const spec of ['checklist', 'self-answer'] as const) {
      const got: RlRollout[] = [];
      const t = await trainer({ judge: rlJudge(spec), onRollouts: (rs) => void got.push(...rs) });
      const before = await t.policy.readParams();
      const sampled = await t.trainStep(); // sampled completions (mostly without a valid observation)
      expect(Number.isFinite(sampled.loss), spec).toBe(true);
      t.generate = async (indices) => indices.map((i) => fixedGroup(prompts[i]));
      const fixed = await t.trainStep();
      expect(fixed.skipped, spec).toBe(false);
      const after = await t.policy.readParams();
      expect(after.some((v, i) => v !== before[i]), spec).toBe(true);
      const judged = got.filter((r) => r.step === 1);
      expect(judged).toHaveLength(4);
      for (const r of judged) expect(r.judge?.name, spec).toBe(spec);
      if (spec === 'checklist') {
        // gold observation states the one fact; the flipped direction does not: rewards 1 and 0, advantages apart
        expect(judged.map((r) => r.perception.accuracy)).toEqual([1, 0, 1, 0]);
        expect(judged[0].advantages.perception).toBeGreaterThan(judged[1].advantages.perception);
      }
    }
  });
});
