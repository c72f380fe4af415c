import { describe, expect, it } from 'vitest';
import { rougeF1Mean, rougeL, rougeN, rougeScores, rougeTokenize } from '../../src/rewards/rouge';

// [reference, prediction, mean ROUGE-1/2/L F1] from python3 running a transcription of rouge_score
// (tokenize.py, rouge_scorer.py, scoring.fmeasure) with a transcription of NLTK's PorterStemmer.
const ROUGE_SCORE: [string, string, number][] = [
  ['The quick brown fox jumps over the lazy dog', 'The quick brown dog jumps on the log.', 0.5202614379084968],
  ['a man is riding a horse', 'A man rides a horse.', 0.8282828282828283],
  ['The cat sat on the mat', 'the cat sat on the mat', 1.0],
  ['The cat sat on the mat', 'mat the on sat cat the', 0.5],
  ['generously happiness running', 'Generous, happy, runs!', 1.0],
  ['Two people are playing tennis on a clay court.', 'Two players play tennis on clay.', 0.5470085470085471],
  ['the the the', 'the', 0.3333333333333333],
  ['hello world', '', 0.0],
  ['', 'hello world', 0.0],
  ['猫在垫子上', '猫在垫子上', 0.0],
  ['café résumé naïve', 'cafe resume naive', 0.0],
  ['It is 3.14 meters tall', '3 14 meters', 0.6349206349206349],
  ['He proceeded to succeed in the innings', 'he proceeds to succeed in inning', 0.634032634032634],
  ['Relational databases are conditional', 'relate condition database', 0.4761904761904762],
];

describe('rougeTokenize', () => {
  it('lowercases, splits on non-alphanumerics and stems only tokens longer than 3 characters', () => {
    expect(rougeTokenize('The quick brown fox jumps over the lazy dog', true)).toEqual(['the', 'quick', 'brown', 'fox', 'jump', 'over', 'the', 'lazi', 'dog']);
    expect(rougeTokenize('Two people are playing tennis', true)).toEqual(['two', 'peopl', 'are', 'play', 'tenni']);
    expect(rougeTokenize('runs ran', true)).toEqual(['run', 'ran']);
    expect(rougeTokenize('runs', false)).toEqual(['runs']);
  });

  it('drops non-ASCII letters, so CJK text has no tokens and accents split words', () => {
    expect(rougeTokenize('猫在垫子上', true)).toEqual([]);
    expect(rougeTokenize('café résumé naïve', true)).toEqual(['caf', 'r', 'sum', 'na', 've']);
  });
});

describe('rougeF1Mean', () => {
  it(`matches rouge_score on ${ROUGE_SCORE.length} recorded pairs exactly`, () => {
    const wrong = ROUGE_SCORE.filter(([r, p, want]) => rougeF1Mean(r, p) !== want).map(([r, p, want]) => `${r} | ${p}: want ${want}, got ${rougeF1Mean(r, p)}`);
    expect(wrong).toEqual([]);
  });
});

describe('rougeScores', () => {
  it('takes precision over the prediction and recall over the reference, as score(target, prediction)', () => {
    const s = rougeScores('a b c d', 'a b');
    expect(s.rouge1.precision).toBe(1);
    expect(s.rouge1.recall).toBe(0.5);
    expect(s.rougeL.precision).toBe(1);
    expect(s.rougeL.recall).toBe(0.5);
  });

  it('clips repeated n-grams to their count in the reference', () => {
    expect(rougeN(['the', 'cat'], ['the', 'the', 'the'], 1).precision).toBeCloseTo(1 / 3, 15);
    expect(rougeN(['a'], ['a'], 2).fmeasure).toBe(0); // no bigrams on either side
    expect(rougeL(['a', 'b', 'c'], ['c', 'b', 'a']).fmeasure).toBeCloseTo(1 / 3, 15);
  });
});
