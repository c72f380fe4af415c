// The checklist perception reward (issue 14 §2, Perception-R1 style): fraction of key facts stated,
// robust to case and punctuation, never crediting a listing of every alternative.

import { describe, expect, it } from 'vitest';
import { ChecklistJudge, checklistOf, checklistScore, itemOfFact, itemOfPhrase, itemStated, sentences, words } from '../../src/rewards/checklist';
import { createJudge } from '../../src/rewards/judge';
import { resolveConfig } from '../../src/rewards/config';
import { scoreRollout } from '../../src/rewards/score';
import { parseCompletion } from '../../src/rewards/template';
import { byteTokenizer } from '../../src/model/tokenizer';
import { makeScene, makeQuestions, DEFAULT_SYNTHETIC } from '../../src/data/synthetic';
import { makeTinyQuestions } from '../../src/data/synthetic_tiny';
import type { RolloutRecord, SceneFact } from '../../src/rewards/types';

const phrase = (s: string) => itemOfPhrase(s, 0);
const tinyFact: SceneFact = { id: 'object0.direction', text: 'red moves left', mentions: [['red moves left', 'red moves leftward', 'red moves leftwards']] };
const groupFact: SceneFact = { id: 'object0.direction', text: 'the red circle moves left', mentions: [['red'], ['circle', 'ball'], ['left', 'leftward', 'leftwards']] };

describe('checklist matching', () => {
  it('splits words and sentences without breaking decimal numbers', () => {
    expect(words('Red  MOVES, left… at 1.5 s')).toEqual(['red', 'moves', 'left', 'at', '1.5', 's']);
    expect(sentences('red moves left. It appears at 1.5 s; blue moves up')).toHaveLength(3);
  });

  it('is robust to case, accents and punctuation', () => {
    expect(itemStated('RED moves, left!', phrase('red moves left'))).toBe(true);
    expect(itemStated('the café is open', phrase('Cafe is open'))).toBe(true);
    expect(itemStated('red moves right', phrase('red moves left'))).toBe(false);
    // whole words: "redmoves left" and "red moves leftover" are not the phrase
    expect(itemStated('redmoves left', phrase('red moves left'))).toBe(false);
  });

  it('does not credit a listing of every direction (whole-phrase facts)', () => {
    const item = itemOfFact(tinyFact);
    expect(itemStated('red moves left', item)).toBe(true);
    expect(itemStated('red moves up; red moves down; red moves left; red moves right', item)).toBe(false);
    expect(itemStated('red moves left or right', item)).toBe(false);
    expect(itemStated('red moves leftward', item)).toBe(true);
    // another object's direction is not a rival
    expect(itemStated('red moves left; blue moves right', item)).toBe(true);
  });

  it('does not credit a listing of every direction (word-group facts), nor words gathered across sentences', () => {
    const item = itemOfFact(groupFact);
    expect(itemStated('The red ball moves leftwards.', item)).toBe(true);
    expect(itemStated('The red circle moves up, down, left and right.', item)).toBe(false);
    expect(itemStated('The red circle is here. Something moves left.', item)).toBe(false);
    expect(itemStated('The red circle moves left. The blue square moves up.', item)).toBe(true);
    // two red objects: a square moving up does not contradict the red circle
    expect(itemStated('The red circle moves left. The green circle moves up.', item)).toBe(true);
  });

  it('does not credit a listing of every count', () => {
    const count = itemOfFact({ id: 'count.all', text: '3 objects', mentions: [['3 objects', 'three objects']] });
    expect(itemStated('Three objects.', count)).toBe(true);
    expect(itemStated('2 objects or 3 objects or 4 objects', count)).toBe(false);
    expect(itemStated('3 objects; red moves left', count)).toBe(true);
  });

  it('scores the fraction of key facts stated', () => {
    const items = ['red moves left', 'blue moves up', '2 objects'].map(itemOfPhrase);
    expect(checklistScore('red moves left; 2 objects', items).score).toBeCloseTo(2 / 3, 12);
    expect(checklistScore('Red moves left. Blue moves up. 2 objects.', items).score).toBe(1);
    expect(checklistScore('', items).score).toBe(0);
    expect(checklistScore('red moves left; red moves right; blue moves up; 2 objects', items).score).toBeCloseTo(2 / 3, 12);
  });
});

describe('checklist items of a record', () => {
  const record = (extra: Partial<RolloutRecord>): RolloutRecord => ({ problem_id: 1, problem: 'q', problem_type: 'free-form', solution: '<answer>x</answer>', output: '', ...extra });

  it('reads a dataset field: a list, a JSON string, or lines; and says what is missing', () => {
    expect(checklistOf(record({ key_facts: ['a cat', 'a dog'] }), 'key_facts').map((i) => i.text)).toEqual(['a cat', 'a dog']);
    expect(checklistOf(record({ key_facts: '["a cat", "a dog"]' }), 'key_facts')).toHaveLength(2);
    expect(checklistOf(record({ key_facts: 'a cat\na dog' }), 'key_facts')).toHaveLength(2);
    expect(() => checklistOf(record({}), 'key_facts')).toThrow(/no field 'key_facts'/);
    expect(() => checklistOf(record({ key_facts: 3 }), 'key_facts')).toThrow(/not a list of strings/);
    expect(() => checklistOf(record({}))).toThrow(/no scene facts/);
  });

  it('credits the gold observations of the synthetic generators in full', async () => {
    const opts = { ...DEFAULT_SYNTHETIC, seed: 5, videos: 6 };
    const judge = new ChecklistJudge();
    const tinyOpts = { ...opts, difficulty: 'lab' as const };
    const records = [
      ...Array.from({ length: 6 }, (_, v) => makeQuestions(opts, makeScene(opts, v))).flat(),
      ...Array.from({ length: 6 }, (_, v) => makeTinyQuestions(tinyOpts, makeScene(tinyOpts, v))).flat(),
    ];
    for (const r of records) {
      const parsed = parseCompletion(r.output!);
      const v = await judge.judge({ record: r as unknown as RolloutRecord, observation: parsed.observation!.text } as never);
      expect(v.score, `${r.problem_id}: ${v.explanation}`).toBe(1);
    }
  });
});

describe('ChecklistJudge in the reward', () => {
  it('makes the perception accuracy the fraction of facts, and names itself', async () => {
    const judge = createJudge('checklist:key_facts');
    expect(judge.name).toBe('checklist:key_facts');
    expect(createJudge('checklist').name).toBe('checklist');
    expect(() => createJudge('self-answer')).toThrow(/RL training only/);
    const output = '<observation>red moves left; red moves right; 2 objects</observation> <think>t</think><answer>x</answer>';
    const r: RolloutRecord = { problem_id: 1, problem: 'q', problem_type: 'free-form', solution: '<answer>x</answer>', output, key_facts: ['red moves left', '2 objects', 'blue moves up', 'a yellow sun'] };
    const s = await scoreRollout(r, parseCompletion(output), { config: resolveConfig('pa-grpo'), tokenizer: byteTokenizer, judge });
    expect(s.perception.accuracy).toBe(0.25);
    expect(s.verdict?.verdict).toBe(0);
    const missing = await scoreRollout({ ...r, key_facts: undefined }, parseCompletion(output), { config: resolveConfig('pa-grpo'), tokenizer: byteTokenizer, judge });
    expect(missing.perception.accuracy).toBe(0);
    expect(missing.verdict?.error).toMatch(/no field/);
  });
});
