import { describe, expect, it } from 'vitest';
import { accuracyReward } from '../../src/rewards/accuracy';
import { formatRewards, lengthReward, segmentTokenCounts, type LengthRange } from '../../src/rewards/process_rewards';
import { extractAnswer, parseCompletion } from '../../src/rewards/template';
import { Utf8ByteTokenizer, WhitespaceTokenizer } from '../../src/rewards/tokenizers';

const PERCEPTION: LengthRange = { min: 128, max: 320 };
const REASONING: LengthRange = { min: 320, max: 512 };
const PAPER = { bonus: 0.2, accuracyThreshold: 0 };

const words = (n: number): string => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');

describe('formatRewards', () => {
  it('reads the per-process flags, or copies the full-sequence flag into both', () => {
    const onlyReasoning = parseCompletion('<think>t</think><answer>A</answer>');
    expect(formatRewards(onlyReasoning, 'per-process')).toEqual({ perception: 0, reasoning: 1 });
    expect(formatRewards(onlyReasoning, 'full')).toEqual({ perception: 0, reasoning: 0 });
    const good = parseCompletion('<observation>o</observation> <think>t</think><answer>A</answer>');
    expect(formatRewards(good, 'per-process')).toEqual({ perception: 1, reasoning: 1 });
    expect(formatRewards(good, 'full')).toEqual({ perception: 1, reasoning: 1 });
  });
});

describe('segmentTokenCounts', () => {
  it('assigns whitespace tokens starting before the end of </observation> to perception', () => {
    const text = '<observation>I see a red ball.</observation> <think>It moves left.</think><answer>B</answer>';
    const counts = segmentTokenCounts(text, parseCompletion(text), new WhitespaceTokenizer());
    // '<observation>I' 'see' 'a' 'red' 'ball.</observation>' | '<think>It' 'moves' 'left.</think><answer>B</answer>'
    expect(counts).toMatchObject({ perception: 5, reasoning: 3 });
    expect(counts.offsets).toHaveLength(8);
  });

  it('puts a token that straddles the boundary where it starts', () => {
    const text = '<observation>x</observation><think>y</think><answer>A</answer>';
    const counts = segmentTokenCounts(text, parseCompletion(text), new WhitespaceTokenizer());
    expect(counts).toMatchObject({ perception: 1, reasoning: 0 });
  });

  it('counts bytes up to the end of </observation> as perception with the byte tokenizer', () => {
    const text = '<observation>é</observation>\n<think>t</think><answer>A</answer>';
    const parsed = parseCompletion(text);
    const counts = segmentTokenCounts(text, parsed, new Utf8ByteTokenizer());
    expect(counts.perception).toBe(new TextEncoder().encode(text.slice(0, parsed.perceptionEnd!)).length);
    expect(counts.perception + counts.reasoning).toBe(new TextEncoder().encode(text).length);
  });

  it('makes every token a reasoning token when </observation> is missing', () => {
    const text = '<observation>truncated <think>t</think><answer>A</answer>';
    const counts = segmentTokenCounts(text, parseCompletion(text), new WhitespaceTokenizer());
    expect(counts).toMatchObject({ perception: 0, reasoning: 2 });
  });

  it('yields perception tokens as a prefix of the token sequence', () => {
    const text = `<observation>${words(50)}</observation>\n<think>${words(30)}</think><answer>A</answer>`;
    const parsed = parseCompletion(text);
    const { perception, offsets } = segmentTokenCounts(text, parsed, new WhitespaceTokenizer());
    offsets.forEach(([start], i) => expect(start < parsed.perceptionEnd!).toBe(i < perception));
  });
});

describe('lengthReward', () => {
  it('pays the perception bonus for 128 and 320 tokens but not for 127 or 321 (inclusive bounds)', () => {
    expect(lengthReward(128, PERCEPTION, 1, 1, PAPER)).toBe(0.2);
    expect(lengthReward(127, PERCEPTION, 1, 1, PAPER)).toBe(0);
    expect(lengthReward(320, PERCEPTION, 1, 1, PAPER)).toBe(0.2);
    expect(lengthReward(321, PERCEPTION, 1, 1, PAPER)).toBe(0);
  });

  it('needs accuracy above the threshold and a non-zero format', () => {
    expect(lengthReward(400, REASONING, 0, 1, PAPER)).toBe(0);
    expect(lengthReward(400, REASONING, 0.05, 1, PAPER)).toBe(0.2);
    expect(lengthReward(400, REASONING, 0.05, 1, { bonus: 0.2, accuracyThreshold: 0.1 })).toBe(0); // Video-R1's > 0.1
    expect(lengthReward(400, REASONING, 0.1, 1, { bonus: 0.2, accuracyThreshold: 0.1 })).toBe(0);
    expect(lengthReward(400, REASONING, 1, 0, PAPER)).toBe(0);
  });
});

describe('process rewards of a group (the reward side of method.md §6 sanity case 1)', () => {
  it('gives equal reasoning rewards to 8 correct completions while perception rewards still differ', () => {
    // 8 rollouts, all correct and well formed, reasoning 400 words; observations of 100..240 words,
    // so only some earn the perception length bonus. (The judge verdict is taken as 1 here.)
    const tokenizer = new WhitespaceTokenizer();
    const solution = '<answer>B</answer>';
    const rewards = Array.from({ length: 8 }, (_, i) => {
      const text = `<observation>${words(100 + 20 * i)}</observation>\n<think>${words(400)}</think><answer>B</answer>`;
      const parsed = parseCompletion(text);
      const form = formatRewards(parsed, 'per-process');
      const tokens = segmentTokenCounts(text, parsed, tokenizer);
      const accR = accuracyReward('multiple choice', extractAnswer(text), extractAnswer(solution));
      const accP = 1;
      return {
        P: accP + form.perception + lengthReward(tokens.perception, PERCEPTION, accP, form.perception, PAPER),
        R: accR + form.reasoning + lengthReward(tokens.reasoning, REASONING, accR, form.reasoning, PAPER),
      };
    });
    expect(new Set(rewards.map((r) => r.R))).toEqual(new Set([2.2]));
    expect(new Set(rewards.map((r) => r.P))).toEqual(new Set([2, 2.2]));
  });
});
