// The self-answer perception judge (issue 14 §2, Vision-SR1 style) with a scripted decoder: the frame-free
// input, batching (one answer per distinct observation, equal lengths decoded together G rows at a
// time), and the perception accuracy = the accuracy of the answer, through the reward assembly.

import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../src/model/config';
import type { Decoder, GenerateResult } from '../../src/model/generate';
import { resolveConfig } from '../../src/rewards/config';
import { evaluateGroup, prepareJudge } from '../../src/rewards/score';
import { byteTokenizer } from '../../src/model/tokenizer';
import type { RolloutRecord } from '../../src/rewards/types';
import { microRlPrompts } from '../../src/train/rl_data';
import { SelfAnswerJudge, fallbackPrompt, rlJudge, selfAnswerPrompt } from '../../src/train/self_answer';

const config = makeConfig('test');

/** A G-row decoder that answers each frame-free prompt by `reply` and records every call. */
function scriptedDecoder(G: number, reply: (prompt: string) => string) {
  const calls: { frames: number[]; prompts: string[] }[] = [];
  const decoder = {
    model: { B: G, config: config.model },
    async generateRows(rows: readonly { frames: unknown[]; prompt: string }[]): Promise<GenerateResult> {
      calls.push({ frames: rows.map((r) => r.frames.length), prompts: rows.map((r) => r.prompt) });
      return { promptLength: 0, rollouts: rows.map((r) => ({ ids: [], text: reply(r.prompt), offsets: [], logp: new Float32Array(), finished: true })) };
    },
  };
  return { decoder: decoder as unknown as Decoder, calls };
}

describe('self-answer judge', () => {
  const prompts = microRlPrompts(2, 7, config.model.frames, config.model.frameSize);
  const p = prompts[0];
  const truth = /<answer>(.)<\/answer>/.exec(p.record.solution)![1];
  const wrong = truth === 'A' ? 'B' : 'A';
  // The scripted policy answers right exactly when the observation names the true direction.
  const trueDirection = truth === 'B' ? 'right' : 'left';
  const reply = (prompt: string) => `<think>x</think><answer>${prompt.includes(`${trueDirection}</observation>`) ? truth : wrong}</answer>`;

  it('answers each distinct observation once, frame-free, batching equal lengths, and scores the answer', async () => {
    const { decoder, calls } = scriptedDecoder(2, reply);
    const judge = new SelfAnswerJudge({ decoder, prompts, maxNewTokens: 8 });
    const colour = p.prompt.split(' ')[0];
    const obs = [`${colour} right`, `${colour} right`, `${colour} left`, `${colour} rightward`, 'no obs'];
    const records: RolloutRecord[] = obs.map((o, i) => ({ ...p.record, output: i === 4 ? `<think>t</think><answer>${truth}</answer>` : `<observation>${o}</observation> <think>t</think><answer>${truth}</answer>` }));
    const ctx = { config: resolveConfig('pa-grpo'), tokenizer: byteTokenizer, judge };
    await prepareJudge(records, ctx);
    // Three distinct observations (the duplicate is answered once), of three different lengths: three decodes.
    expect(calls.every((c) => c.frames.every((n) => n === 0))).toBe(true);
    const asked = new Set(calls.flatMap((c) => c.prompts));
    expect(asked).toEqual(new Set([`${colour} right`, `${colour} left`, `${colour} rightward`].map((o) => selfAnswerPrompt(p.prompt, o))));
    expect(judge.stats.requests).toBe(3);
    const res = await evaluateGroup(records, ctx);
    const expected = obs.map((o, i) => (i === 4 ? 0 : o === `${colour} ${trueDirection}` ? 1 : 0));
    expect(res.scores.map((s) => s.perception.accuracy)).toEqual(expected);
    expect(res.scores[4].verdict).toBeUndefined(); // no observation: the judge is not asked
    expect(calls.length).toBe(3); // judge() read the prepared answers: no further decode
    expect(res.scores[0].verdict?.explanation).toMatch(/from the observation alone/);
  });

  it('decodes prompts of equal length together, G rows per call', async () => {
    const { decoder, calls } = scriptedDecoder(2, reply);
    const judge = new SelfAnswerJudge({ decoder, prompts, maxNewTokens: 8 });
    const texts = ['aa', 'bb', 'cc', 'ddd'];
    const answers = await judge.answer(texts.map((t) => selfAnswerPrompt('q', t)));
    expect(answers).toHaveLength(4);
    const n = selfAnswerPrompt('q', 'aa').length;
    expect(calls.map((c) => c.prompts.map((x) => x.length))).toEqual([[n, n], [n, n], [n + 1, n + 1]]);
    expect(calls[0].prompts).toEqual([selfAnswerPrompt('q', 'aa'), selfAnswerPrompt('q', 'bb')]);
    expect(calls[1].prompts).toEqual([selfAnswerPrompt('q', 'cc'), selfAnswerPrompt('q', 'cc')]); // padded with its own first row
    expect(judge.decodes).toBe(3);
  });

  it('decodes alone without prepare, uses the one-line prompt for unknown records, and is built by rlJudge', async () => {
    const { decoder, calls } = scriptedDecoder(2, () => '<answer>3</answer>');
    const judge = new SelfAnswerJudge({ decoder, prompts: [], maxNewTokens: 8 });
    const record: RolloutRecord = { problem_id: 'x', problem: 'How many?', problem_type: 'numerical', options: [], solution: '<answer>3</answer>', output: '' };
    const v = await judge.judge({ record, observation: '3 objects', question: '', correctAnswer: '', dataType: 'video' });
    expect(v.score).toBe(1);
    expect(v.verdict).toBe(1);
    expect(calls[0].prompts[0]).toBe(selfAnswerPrompt(fallbackPrompt(record), '3 objects'));
    expect(typeof rlJudge('self-answer')).toBe('function');
    expect((rlJudge('checklist') as { name: string }).name).toBe('checklist');
    expect(() => rlJudge('nope')).toThrow(/unknown judge/);
  });
});
