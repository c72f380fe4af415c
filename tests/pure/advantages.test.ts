// PA-GRPO group advantages, every advantage mode, per-token advantages and group diagnostics
// (method.md §1.6–1.11, sanity cases of §6 item 6).

import { describe, expect, it } from 'vitest';
import {
  extractThinkChoice,
  groupDiagnostics,
  groupNormalize,
  letterOfAnswer,
  processAdvantages,
  thinkAnswerMismatch,
  tokenAdvantages,
} from '../../src/rewards/advantages';
import { ABLATIONS, ABLATION_NAMES, DEFAULT_REWARD_CONFIG, resolveConfig } from '../../src/rewards/config';
import { Rng } from '../../src/util/rng';

const OPTS = { eps: 1e-4, unbiased: true };

describe('groupNormalize', () => {
  it('matches (r − mean) / (unbiased std + eps) computed by hand', () => {
    // rewards 0, 1, 2, 3: mean 1.5, unbiased variance (2.25+0.25+0.25+2.25)/3 = 5/3
    const std = Math.sqrt(5 / 3);
    const a = groupNormalize([0, 1, 2, 3], OPTS);
    expect(a[0]).toBeCloseTo(-1.5 / (std + 1e-4), 12);
    expect(a[3]).toBeCloseTo(1.5 / (std + 1e-4), 12);
  });

  it('divides by G instead of G − 1 when the std is biased', () => {
    const a = groupNormalize([0, 2], { eps: 0, unbiased: false });
    expect(a).toEqual([-1, 1]);
    const b = groupNormalize([0, 2], { eps: 0, unbiased: true });
    expect(b[1]).toBeCloseTo(1 / Math.SQRT2, 12);
  });

  it('gives exactly zero advantage when every reward in the group is equal', () => {
    expect(groupNormalize([0.1, 0.1, 0.1], OPTS)).toEqual([0, 0, 0]);
    expect(groupNormalize(Array(8).fill(2.2), OPTS)).toEqual(Array(8).fill(0));
  });

  it('gives zero advantage to a group of one', () => {
    expect(groupNormalize([1.7], OPTS)).toEqual([0]);
    expect(groupNormalize([], OPTS)).toEqual([]);
  });

  it('sums to about zero within every group and ignores a constant added to every reward', () => {
    const rng = new Rng(7);
    for (let trial = 0; trial < 200; trial++) {
      const G = 2 + rng.int(15);
      const rewards = Array.from({ length: G }, () => (rng.next() < 0.3 ? 2.2 : Math.round(rng.next() * 22) / 10));
      const shift = (rng.next() - 0.5) * 10;
      const a = groupNormalize(rewards, OPTS);
      const b = groupNormalize(rewards.map((r) => r + shift), OPTS);
      expect(Math.abs(a.reduce((s, x) => s + x, 0))).toBeLessThan(1e-9);
      a.forEach((x, i) => expect(b[i]).toBeCloseTo(x, 6));
    }
  });

  it('scales as 1 / (std + eps): a group with a tiny spread is not blown up past the eps bound', () => {
    const a = groupNormalize([0, 1e-6], OPTS);
    expect(Math.abs(a[1])).toBeLessThan(0.01);
  });
});

describe('processAdvantages', () => {
  // A group of 8 where every reasoning answer is correct but the perception judge varies (§6 item 6).
  const rP = [2.2, 1, 2, 0, 2.2, 1, 2, 2];
  const rR = Array(8).fill(2.2);

  it('gives zero reasoning advantage when every reasoning reward in the group is equal, while perception still varies', () => {
    const adv = processAdvantages(rP, rR, DEFAULT_REWARD_CONFIG);
    expect(adv.reasoning).toEqual(Array(8).fill(0));
    expect(adv.perception.some((a) => Math.abs(a) > 0.1)).toBe(true);
    expect(adv.grpo).toEqual(Array(8).fill(0));
  });

  it('leaves the perception tokens as the only ones with a non-zero advantage in that group', () => {
    const adv = processAdvantages(rP, rR, DEFAULT_REWARD_CONFIG);
    // "<observation>ab</observation> <think>c</think><answer>A</answer>": P ends at 29
    const offsets: [number, number][] = [[0, 13], [13, 15], [15, 29], [29, 37], [37, 38], [38, 46], [46, 54], [54, 55], [55, 64]];
    const tok = tokenAdvantages(offsets, 29, adv.perception[0], adv.reasoning[0]);
    expect(Array.from(tok.subarray(0, 3)).every((a) => a !== 0)).toBe(true);
    expect(Array.from(tok.subarray(3))).toEqual(Array(6).fill(0));
  });

  it('normalises each process separately in the separate mode', () => {
    const p = [0, 1, 2];
    const r = [10, 10, 40];
    const adv = processAdvantages(p, r, DEFAULT_REWARD_CONFIG);
    expect(adv.perception).toEqual(groupNormalize(p, OPTS));
    expect(adv.reasoning).toEqual(groupNormalize(r, OPTS));
    expect(adv.grpo).toEqual(groupNormalize(r, OPTS));
  });

  it('puts A_P + A_R on both processes in the sum-advantages mode', () => {
    const p = [0, 1, 2];
    const r = [2, 0, 1];
    const adv = processAdvantages(p, r, { ...DEFAULT_REWARD_CONFIG, advantageMode: 'sum-advantages' });
    const aP = groupNormalize(p, OPTS);
    const aR = groupNormalize(r, OPTS);
    adv.perception.forEach((a, i) => expect(a).toBeCloseTo(aP[i] + aR[i], 12));
    expect(adv.reasoning).toEqual(adv.perception);
  });

  it('normalises R_P + R_R once in the sum-rewards mode', () => {
    const p = [0, 1, 2];
    const r = [2, 0, 1];
    const adv = processAdvantages(p, r, { ...DEFAULT_REWARD_CONFIG, advantageMode: 'sum-rewards' });
    expect(adv.perception).toEqual(groupNormalize([2, 1, 3], OPTS));
    expect(adv.reasoning).toEqual(adv.perception);
  });

  it('applies the normalised reasoning reward to every token in the grpo mode, whatever the perception rewards', () => {
    const r = [2, 0, 1];
    const a = processAdvantages([0, 1, 2], r, { ...DEFAULT_REWARD_CONFIG, advantageMode: 'grpo' });
    const b = processAdvantages([5, 5, 0], r, { ...DEFAULT_REWARD_CONFIG, advantageMode: 'grpo' });
    expect(a.perception).toEqual(groupNormalize(r, OPTS));
    expect(a.reasoning).toEqual(a.perception);
    expect(b).toEqual(a);
  });

  it('sums to about zero per process and ignores a constant shift in every mode (property)', () => {
    const rng = new Rng(11);
    for (const advantageMode of ['separate', 'sum-advantages', 'sum-rewards', 'grpo'] as const) {
      for (let trial = 0; trial < 50; trial++) {
        const G = 2 + rng.int(10);
        const p = Array.from({ length: G }, () => [0, 1, 2, 2.2][rng.int(4)]);
        const r = Array.from({ length: G }, () => rng.next() * 2.2);
        const cfg = { ...DEFAULT_REWARD_CONFIG, advantageMode };
        const adv = processAdvantages(p, r, cfg);
        const shifted = processAdvantages(p.map((x) => x + 3), r.map((x) => x - 1), cfg);
        for (const k of ['perception', 'reasoning', 'grpo'] as const) {
          expect(Math.abs(adv[k].reduce((s, x) => s + x, 0))).toBeLessThan(1e-9);
          adv[k].forEach((x, i) => expect(shifted[k][i]).toBeCloseTo(x, 6));
        }
      }
    }
  });

  it('refuses perception and reasoning totals of different lengths', () => {
    expect(() => processAdvantages([1, 2], [1], DEFAULT_REWARD_CONFIG)).toThrow(/2 perception totals but 1/);
  });
});

describe('tokenAdvantages', () => {
  const offsets: [number, number][] = [[0, 5], [5, 10], [10, 14], [14, 20]];

  it('assigns a token to perception by its start offset, so a token straddling the boundary is perception', () => {
    const tok = tokenAdvantages(offsets, 12, 1.5, -0.5);
    expect(Array.from(tok)).toEqual([1.5, 1.5, 1.5, -0.5]);
  });

  it('gives every token the reasoning advantage when </observation> is missing, by default', () => {
    expect(Array.from(tokenAdvantages(offsets, null, 1.5, -0.5))).toEqual([-0.5, -0.5, -0.5, -0.5]);
  });

  it('gives every token the perception advantage when </observation> is missing and the switch says perception', () => {
    expect(Array.from(tokenAdvantages(offsets, null, 1.5, -0.5, 'perception'))).toEqual([1.5, 1.5, 1.5, 1.5]);
  });

  it('returns a Float32Array with one advantage per token', () => {
    const tok = tokenAdvantages(offsets, 0, 1, 2);
    expect(tok).toBeInstanceOf(Float32Array);
    expect(Array.from(tok)).toEqual([2, 2, 2, 2]);
  });
});

describe('groupDiagnostics', () => {
  it('flags perception, reasoning and both collapsed groups', () => {
    expect(groupDiagnostics([1, 2], [2.2, 2.2])).toMatchObject({ collapsedPerception: false, collapsedReasoning: true, collapsedBoth: false });
    expect(groupDiagnostics([2, 2], [0, 1])).toMatchObject({ collapsedPerception: true, collapsedReasoning: false, collapsedBoth: false });
    expect(groupDiagnostics([2, 2], [1, 1])).toMatchObject({ collapsedPerception: true, collapsedReasoning: true, collapsedBoth: true });
  });

  it('reports a think–answer mismatch per multiple-choice rollout and null for other types', () => {
    const d = groupDiagnostics([1, 1, 1], [1, 1, 1], [
      { problemType: 'multiple choice', think: 'Hmm, let me think. So the answer is B.', answer: 'C' },
      { problemType: 'multiple choice', think: 'Let me double-check. I choose C.', answer: 'C' },
      { problemType: 'numerical', think: 'the answer is 3', answer: '3' },
    ]);
    expect(d.thinkAnswerMismatch).toEqual([true, false, null]);
  });
});

describe('think–answer mismatch extraction', () => {
  const options = ['A. A red car', 'B. A blue truck', 'C. A green bus', 'D. Nothing'];

  it('takes the last definitive choice near the end of <think>', () => {
    expect(extractThinkChoice('At first the answer is A. Wait, let me double-check... the correct answer is (C).', options)).toBe('C');
    expect(extractThinkChoice('Option B is correct because the truck is blue.', options)).toBe('B');
    expect(extractThinkChoice("I'll go with D.", options)).toBe('D');
  });

  it('ignores hedges and articles that look like letters', () => {
    expect(extractThinkChoice('The answer would be B, but I am unsure.', options)).toBeNull();
    expect(extractThinkChoice('The answer is a car of some kind.', options)).toBeNull();
  });

  it('maps an option text to its letter', () => {
    expect(extractThinkChoice('Therefore the answer is a blue truck.', options)).toBe('B');
  });

  it('trusts a bare "option X" only in the last sentences', () => {
    expect(extractThinkChoice('Consider option A. The car is red. It moves fast. It stops. Then it turns. Nothing else.', options)).toBeNull();
    expect(extractThinkChoice('The car is red and moves. So, option A.', options)).toBe('A');
  });

  it('reads the letter of an answer in its usual forms', () => {
    expect(letterOfAnswer('B')).toBe('B');
    expect(letterOfAnswer('(C)')).toBe('C');
    expect(letterOfAnswer('D. Nothing')).toBe('D');
    expect(letterOfAnswer('A green bus', options)).toBe('C');
    expect(letterOfAnswer('forty two')).toBeNull();
  });

  it('returns null when either letter cannot be read', () => {
    expect(thinkAnswerMismatch({ problemType: 'multiple choice', think: 'Hmm.', answer: 'B', options })).toBeNull();
    expect(thinkAnswerMismatch({ problemType: 'multiple choice', think: null, answer: 'B', options })).toBeNull();
    expect(thinkAnswerMismatch({ problemType: 'multiple choice', think: 'the answer is B', answer: '', options })).toBeNull();
  });
});

describe('RewardConfig presets', () => {
  it('has the paper defaults', () => {
    const c = resolveConfig();
    expect(c).toMatchObject({
      eps: 1e-4,
      unbiasedStd: true,
      lenBonus: 0.2,
      perceptionLength: { min: 128, max: 320 },
      reasoningLength: { min: 320, max: 512 },
      accuracyThreshold: 0,
      lenRequiresMultipleCorrect: false,
      formatMode: 'per-process',
      advantageMode: 'separate',
      usePerceptionReward: true,
      useReasoningReward: true,
      useLengthReward: true,
      missingObservation: 'reasoning',
    });
  });

  it('names one preset per Table 2 RL row, each overriding only what differs', () => {
    expect(ABLATION_NAMES).toEqual(
      expect.arrayContaining(['pa-grpo', 'grpo', 'without-rr', 'without-rp', 'without-rl', 'without-separation', 'without-separation-sum-rewards']),
    );
    expect(ABLATIONS['pa-grpo']).toEqual({});
    expect(resolveConfig('without-rl').useLengthReward).toBe(false);
    expect(resolveConfig('without-rr').useReasoningReward).toBe(false);
    expect(resolveConfig('without-separation').advantageMode).toBe('sum-advantages');
    expect(resolveConfig('without-separation-sum-rewards').advantageMode).toBe('sum-rewards');
    expect(resolveConfig('grpo')).toMatchObject({ advantageMode: 'grpo', usePerceptionReward: false, useLengthReward: true });
    expect(resolveConfig('without-rp')).toMatchObject({ advantageMode: 'grpo', usePerceptionReward: false });
    for (const name of ABLATION_NAMES) {
      for (const [k, v] of Object.entries(ABLATIONS[name])) expect(v).not.toEqual(DEFAULT_REWARD_CONFIG[k as keyof typeof DEFAULT_REWARD_CONFIG]);
    }
  });

  it('applies the caller overrides after the preset and never shares the default ranges', () => {
    const c = resolveConfig('grpo', { eps: 1e-6, advantageMode: 'separate' });
    expect(c.eps).toBe(1e-6);
    expect(c.advantageMode).toBe('separate');
    c.perceptionLength.min = 1;
    expect(DEFAULT_REWARD_CONFIG.perceptionLength.min).toBe(128);
  });

  it('rejects an unknown mode with the list of known ones', () => {
    expect(() => resolveConfig('ppo')).toThrow(/unknown ablation mode 'ppo'.*pa-grpo/);
  });
});
