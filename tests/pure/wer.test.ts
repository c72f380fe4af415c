import { describe, expect, it } from 'vitest';
import { wer, wordLevenshtein } from '../../src/rewards/wer';

describe('wordLevenshtein', () => {
  it('counts substitutions, insertions and deletions of whole words', () => {
    expect(wordLevenshtein(['a', 'b', 'c'], ['a', 'x', 'c'])).toBe(1);
    expect(wordLevenshtein(['a', 'b'], ['a', 'b', 'c', 'd'])).toBe(2);
    expect(wordLevenshtein(['kitten', 'sat'], [])).toBe(2);
    expect(wordLevenshtein([], [])).toBe(0);
    expect(wordLevenshtein(['a', 'b', 'c'], ['c', 'b', 'a'])).toBe(2);
  });
});

describe('wer', () => {
  it('divides by max(1, reference words) and is case-sensitive', () => {
    expect(wer('hello world', 'hello')).toBe(0.5);
    expect(wer('Hello', 'hello')).toBe(1);
    expect(wer('', 'a b c')).toBe(3);
    expect(wer('a', 'a b c')).toBe(2);
  });

  it("splits on Python's whitespace, tabs and newlines included", () => {
    expect(wer('one two\nthree', 'one\ttwo   three')).toBe(0);
  });
});
