// Reward assembly per process (method.md §1.5, §1.7, §1.10): judge gating, length bonus bounds, the
// group length rule, every ablation switch, and a whole group through evaluateGroup.

import { describe, expect, it } from 'vitest';
import { groupNormalize } from '../../src/rewards/advantages';
import { resolveConfig, type RewardConfig } from '../../src/rewards/config';
import { applyGroupLengthRule, evaluateGroup, groupKey, scoreGroup, scoreRollout, validateRecord, type ScoreContext } from '../../src/rewards/score';
import { parseCompletion } from '../../src/rewards/template';
import { WhitespaceTokenizer } from '../../src/rewards/tokenizers';
import type { JudgeRequest, JudgeVerdict, PerceptionJudge, RolloutRecord } from '../../src/rewards/types';

/** A judge that says Yes when the observation contains 'sufficient', and records its calls. */
class ScriptedJudge implements PerceptionJudge {
  readonly name = 'scripted';
  calls: JudgeRequest[] = [];
  async judge(request: JudgeRequest): Promise<JudgeVerdict> {
    this.calls.push(request);
    return { verdict: request.observation.includes('sufficient') ? 1 : 0 };
  }
}

const words = (n: number, w = 'w') => Array.from({ length: n }, () => w).join(' ');

/** Whitespace tokens: perception = obsWords + 2 tags; reasoning = thinkWords + 5 (4 tags and the answer). */
function completion(obsWords: string, thinkWords: number, answer: string): string {
  return `<observation> ${obsWords} </observation> <think> ${words(thinkWords)} </think> <answer> ${answer} </answer>`;
}

function record(output: string, extra: Partial<RolloutRecord> = {}): RolloutRecord {
  return {
    problem_id: 'q1',
    problem: 'Which shape moves?',
    problem_type: 'multiple choice',
    options: ['A. circle', 'B. square'],
    solution: '<answer>A</answer>',
    data_type: 'video',
    output,
    ...extra,
  };
}

// Small length targets so that the tests can hit the bounds: P [4, 6] tokens, R [7, 9] tokens.
function context(config: Partial<RewardConfig> = {}, mode = 'pa-grpo'): ScoreContext & { judge: ScriptedJudge } {
  return {
    config: resolveConfig(mode, { perceptionLength: { min: 4, max: 6 }, reasoningLength: { min: 7, max: 9 }, ...config }),
    tokenizer: new WhitespaceTokenizer(),
    judge: new ScriptedJudge(),
  };
}

async function score(output: string, ctx = context(), extra: Partial<RolloutRecord> = {}) {
  const rec = record(output, extra);
  return scoreRollout(rec, parseCompletion(rec.output), ctx);
}

describe('scoreRollout', () => {
  it('gives 1 + 1 + 0.2 to each process of a correct, well-formed completion within both length targets', async () => {
    // P: 2 tags + 'sufficient' + 2 words = 5 tokens; R: 5 + 3 = 8 tokens
    const s = await score(completion('sufficient w w', 3, 'A'));
    expect(s.perception).toEqual({ accuracy: 1, format: 1, length: 0.2, total: 2.2 });
    expect(s.reasoning).toEqual({ accuracy: 1, format: 1, length: 0.2, total: 2.2 });
    expect(s.tokens).toEqual({ perception: 5, reasoning: 8 });
    expect(s.verdict).toEqual({ verdict: 1 });
  });

  it('pays the length bonus at both inclusive bounds and not one token outside', async () => {
    const lengthOf = async (obsWords: number, thinkWords: number) => {
      const s = await score(completion(['sufficient', ...Array(obsWords - 1).fill('w')].join(' '), thinkWords, 'A'));
      return [s.perception.length, s.reasoning.length];
    };
    expect(await lengthOf(2, 2)).toEqual([0.2, 0.2]); // P 4, R 7: the lower bounds
    expect(await lengthOf(4, 4)).toEqual([0.2, 0.2]); // P 6, R 9: the upper bounds
    expect(await lengthOf(1, 1)).toEqual([0, 0]); // P 3, R 6
    expect(await lengthOf(5, 5)).toEqual([0, 0]); // P 7, R 10
  });

  it('keys each length bonus on the same process: a wrong answer loses only the reasoning bonus', async () => {
    const s = await score(completion('sufficient w w', 3, 'B'));
    expect(s.perception.total).toBeCloseTo(2.2, 12);
    expect(s.reasoning).toEqual({ accuracy: 0, format: 1, length: 0, total: 1 });
  });

  it('asks the judge with the stripped observation, the question with options and the letter plus option text', async () => {
    const ctx = context();
    await score(completion('sufficient w w', 3, 'A'), ctx);
    expect(ctx.judge.calls).toHaveLength(1);
    expect(ctx.judge.calls[0]).toMatchObject({
      observation: 'sufficient w w',
      question: 'Which shape moves?Options:\nA. circle\nB. square\n',
      correctAnswer: 'A. circle',
      dataType: 'video',
    });
  });

  it('does not call the judge and scores perception 0 when </observation> is missing, giving every token to reasoning', async () => {
    const ctx = context();
    const s = await score('<observation> sufficient w w <think> w w w </think> <answer> A </answer>', ctx);
    expect(ctx.judge.calls).toHaveLength(0);
    expect(s.perception).toEqual({ accuracy: 0, format: 0, length: 0, total: 0 });
    expect(s.tokens.perception).toBe(0);
    expect(s.tokens.reasoning).toBe(12);
    expect(s.reasoning.accuracy).toBe(1);
  });

  it('gives every token to perception when </observation> is missing and missingObservation says so', async () => {
    const s = await score('<observation> sufficient w w <think> w w w </think> <answer> A </answer>', context({ missingObservation: 'perception' }));
    expect(s.tokens).toEqual({ perception: 12, reasoning: 0 });
  });

  it('does not call the judge when the observation is repeated (perception format 0)', async () => {
    const ctx = context();
    const s = await score('<observation> sufficient </observation> <observation> again </observation> <think> w w w </think> <answer> A </answer>', ctx);
    expect(ctx.judge.calls).toHaveLength(0);
    expect(s.perception.total).toBe(0);
  });

  it('copies the full-sequence format into both processes in the full format mode', async () => {
    const text = '<observation> sufficient w w </observation> <think> w w w </think>'; // no <answer>
    const perProcess = await score(text);
    expect(perProcess.perception.format).toBe(1);
    expect(perProcess.reasoning.format).toBe(0);
    const ctx = context({ formatMode: 'full' });
    const full = await score(text, ctx);
    expect(full.perception.format).toBe(0);
    expect(full.reasoning.format).toBe(0);
    expect(ctx.judge.calls).toHaveLength(0);
  });

  it('scores the reasoning accuracy with the first <answer> anywhere, as Video-R1 does', async () => {
    const s = await score('<answer>A</answer> <observation> sufficient </observation> <think> w </think> <answer> B </answer>');
    expect(s.reasoning.accuracy).toBe(1);
    expect(s.perception.format).toBe(0); // the completion does not open with <observation>
  });

  it('pays the length bonus to a continuous accuracy only above the accuracy threshold', async () => {
    // OCR: 1 of 5 words right, WER 0.8, accuracy ≈ 0.2; R = 5 + 3 = 8 tokens, inside [7, 9]
    const ocr = { problem_type: 'OCR', options: [], solution: '<answer>one two three four five</answer>' };
    const text = completion('sufficient w w', 3, 'one');
    const literal = await score(text, context(), ocr);
    expect(literal.reasoning.accuracy).toBeCloseTo(0.2, 12);
    expect(literal.reasoning.length).toBe(0.2);
    const strict = await score(text, context({ accuracyThreshold: 0.25 }), ocr);
    expect(strict.reasoning.length).toBe(0);
    expect(strict.reasoning.total).toBeCloseTo(1.2, 12);
  });

  it('throws when the perception reward is on but no judge is given', async () => {
    const ctx = { ...context(), judge: null };
    await expect(scoreRollout(record(completion('x', 3, 'A')), parseCompletion(completion('x', 3, 'A')), ctx)).rejects.toThrow(/no judge/);
  });
});

describe('ablation switches', () => {
  const text = completion('sufficient w w', 3, 'A');

  it('zeroes the perception reward and never calls the judge without R_P and in GRPO', async () => {
    for (const mode of ['without-rp', 'grpo']) {
      const ctx = context({}, mode);
      const s = await score(text, ctx);
      expect(s.perception).toEqual({ accuracy: 0, format: 0, length: 0, total: 0 });
      expect(s.reasoning.total).toBeCloseTo(2.2, 12);
      expect(ctx.judge.calls).toHaveLength(0);
    }
  });

  it('zeroes the reasoning reward without R_R', async () => {
    const s = await score(text, context({}, 'without-rr'));
    expect(s.reasoning).toEqual({ accuracy: 0, format: 0, length: 0, total: 0 });
    expect(s.perception.total).toBeCloseTo(2.2, 12);
  });

  it('zeroes both length bonuses without R_L', async () => {
    const s = await score(text, context({}, 'without-rl'));
    expect(s.perception).toEqual({ accuracy: 1, format: 1, length: 0, total: 2 });
    expect(s.reasoning).toEqual({ accuracy: 1, format: 1, length: 0, total: 2 });
  });
});

describe('scoreGroup and the group length rule', () => {
  it('pays the reasoning length bonus to a lone correct rollout unless lenRequiresMultipleCorrect is on', async () => {
    const recs = [record(completion('sufficient w w', 3, 'A')), record(completion('sufficient w w', 3, 'B'))];
    const plain = await scoreGroup(recs, context());
    expect(plain[0].reasoning.length).toBe(0.2);
    const parity = await scoreGroup(recs, context({ lenRequiresMultipleCorrect: true }));
    expect(parity[0].reasoning).toEqual({ accuracy: 1, format: 1, length: 0, total: 2 });
    expect(parity[0].perception.length).toBe(0.2); // the rule is on reasoning only
  });

  it('keeps the bonus when more than one rollout is correct', async () => {
    const recs = [record(completion('sufficient w w', 3, 'A')), record(completion('w w w', 3, 'A'))];
    const s = await scoreGroup(recs, context({ lenRequiresMultipleCorrect: true }));
    expect(s.map((x) => x.reasoning.length)).toEqual([0.2, 0.2]);
  });

  it('counts correct rollouts with the accuracy threshold', () => {
    const reasoning = (accuracy: number) => ({ reasoning: { accuracy, format: 1, length: 0.2, total: accuracy + 1.2 } });
    const scores = applyGroupLengthRule([reasoning(0.05), reasoning(0.9)], { lenRequiresMultipleCorrect: true, accuracyThreshold: 0.1 });
    expect(scores.map((s) => s.reasoning.length)).toEqual([0, 0]);
    expect(scores[1].reasoning.total).toBeCloseTo(1.9, 12);
  });
});

describe('evaluateGroup', () => {
  it('gives zero reasoning advantage and a non-zero perception advantage when every answer is right but the observations differ', async () => {
    const recs = Array.from({ length: 8 }, (_, i) => record(completion(i % 3 === 0 ? 'w w w' : 'sufficient w w', 3, 'A')));
    const { scores, advantages, diagnostics } = await evaluateGroup(recs, context());
    expect(scores.every((s) => s.reasoning.total === scores[0].reasoning.total)).toBe(true);
    expect(advantages.reasoning).toEqual(Array(8).fill(0));
    expect(advantages.grpo).toEqual(Array(8).fill(0));
    expect(advantages.perception).toEqual(groupNormalize(scores.map((s) => s.perception.total), { eps: 1e-4, unbiased: true }));
    expect(advantages.perception[0]).toBeLessThan(0);
    expect(advantages.perception[1]).toBeGreaterThan(0);
    expect(diagnostics).toMatchObject({ collapsedPerception: false, collapsedReasoning: true, collapsedBoth: false });
  });

  it('reports a think–answer mismatch for multiple choice', async () => {
    const text = '<observation> sufficient </observation> <think> Let me think. So the answer is B. </think> <answer> A </answer>';
    const { diagnostics } = await evaluateGroup([record(text)], context());
    expect(diagnostics.thinkAnswerMismatch).toEqual([true]);
  });
});

describe('validateRecord and groupKey', () => {
  it('accepts a Video-R1 record and names what is wrong with a bad one', () => {
    expect('record' in validateRecord(record('x'))).toBe(true);
    expect(validateRecord([1])).toEqual({ error: 'not a JSON object' });
    expect(validateRecord({ problem_id: 1, problem: 'p', problem_type: 'numerical' })).toEqual({ error: 'missing fields: solution, output' });
    expect(validateRecord({ ...record('x'), problem_type: 'essay' })).toEqual({ error: "unknown problem_type 'essay'" });
    expect(validateRecord({ ...record('x'), output: 3 })).toEqual({ error: 'output is not a string' });
  });

  it('groups by problem_id and step', () => {
    expect(groupKey({ problem_id: 2 })).toBe(groupKey({ problem_id: '2' }));
    expect(groupKey({ problem_id: 2, step: 1 })).not.toBe(groupKey({ problem_id: 2, step: 2 }));
    expect(groupKey({ problem_id: 2 })).not.toBe(groupKey({ problem_id: 3 }));
  });
});
