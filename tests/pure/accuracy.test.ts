import { describe, expect, it } from 'vitest';
import {
  accuracyReward,
  freeFormReward,
  isProblemType,
  multipleChoiceReward,
  numericalReward,
  ocrReward,
  regressionReward,
} from '../../src/rewards/accuracy';
import { extractAnswer } from '../../src/rewards/template';

// [problem_type, prediction, ground truth, Video-R1 reward], both answers already extracted.
// Produced with python3 3.11 running a transcription of Video-R1's grpo.py accuracy_reward
// (normalize_number, wer, compute_rouge_score over a transcription of rouge_score and NLTK's
// PorterStemmer), e.g. accuracy('numerical', '2.675', '2.67') == 1.0.
const VIDEO_R1: [string, string, string, number][] = [
  ['multiple choice', 'B', 'B', 1], ['multiple choice', 'B.', 'B', 0], ['multiple choice', 'b', 'B', 0],
  ['multiple choice', ' B ', 'B', 1], ['multiple choice', 'B\u3000', 'B', 1], ['multiple choice', '', 'B', 0],
  ['numerical', '3', '3.0', 0], ['numerical', '3.0', '3.0', 1], ['numerical', '1,000', '1000', 0],
  ['numerical', '1,000', '1,000.0', 1], ['numerical', '2.675', '2.67', 1], ['numerical', '0.125', '0.13', 0],
  ['numerical', '0.125', '0.12', 1], ['numerical', '0.375', '0.38', 1], ['numerical', '1e3', '1000', 1],
  ['numerical', '1_000', '1000', 1], ['numerical', '+5', '5', 1], ['numerical', 'inf', 'inf', 1],
  ['numerical', 'nan', 'nan', 0], ['numerical', '', '0', 0], ['numerical', 'abc', 'abc', 0],
  ['numerical', '.5', '0.50', 1], ['numerical', '5.', '5.00', 1], ['numerical', '0x10', '16', 0],
  ['numerical', '１２', '12', 1], ['numerical', '3.004', '3.0', 1], ['numerical', '3.005', '3.0', 1],
  ['numerical', '-0.001', '0.0', 1], ['numerical', '1e999', 'inf', 1],
  ['OCR', 'hello', 'hello world', 0.5], ['OCR', 'hello world', 'hello world', 1], ['OCR', 'Hello world', 'hello world', 0.5],
  ['OCR', '', '', 1], ['OCR', 'x', '', 0], ['OCR', 'a b c d', 'a', 0], ['OCR', 'hello\u00a0world', 'hello world', 1],
  ['OCR', 'hello\x1cworld', 'hello world', 1], ['OCR', 'hello\ufeffworld', 'hello world', 0],
  ['free-form', 'A man rides a horse.', 'a man is riding a horse', 0.8282828282828283],
  ['free-form', '猫在垫子上', '猫在垫子上', 0], ['free-form', '', 'anything', 0], ['free-form', 'The cat', 'The cat', 1],
  ['regression', '12', '10', 0.79999999992], ['regression', '10', '10', 0.9999999999], ['regression', '30', '10', 0],
  ['regression', '0', '0', 0], ['regression', '1', '0', 0], ['regression', 'abc', '10', 0],
  ['regression', 'inf', 'inf', 1], ['regression', 'nan', '10', 1], ['regression', 'inf', '10', 0],
  ['regression', '5', 'inf', 1], ['regression', '-8', '-10', 0.79999999992], ['regression', '1,234', '1234.5', 0.9995949777229651],
  ['Multiple Choice', 'B', 'B', 0], ['ocr', 'a', 'a', 0], ['list', '[1]', '[1]', 0], ['', '', '', 0],
];

describe('accuracyReward', () => {
  it(`reproduces Video-R1's Python rewards exactly on ${VIDEO_R1.length} recorded cases`, () => {
    const wrong = VIDEO_R1.filter(([t, p, g, want]) => accuracyReward(t, p, g) !== want).map(
      ([t, p, g, want]) => `${t} ${JSON.stringify(p)} vs ${JSON.stringify(g)}: want ${want}, got ${accuracyReward(t, p, g)}`,
    );
    expect(wrong).toEqual([]);
  });

  it('scores MC "B" against the solution "<answer>B</answer>" as 1 once both are extracted', () => {
    expect(accuracyReward('multiple choice', extractAnswer('<think>x</think><answer>B</answer>'), extractAnswer('<answer>B</answer>'))).toBe(1);
  });

  it('scores unknown problem types as 0 (types are case-sensitive)', () => {
    expect(accuracyReward('Multiple Choice', 'B', 'B')).toBe(0);
    expect(accuracyReward('mcq', 'B', 'B')).toBe(0);
  });

  it('never throws, whatever it is given, and scores unparsable input as 0', () => {
    const junk = ['', ' ', 'NaN!', '\u0000', '\ud800', '1'.repeat(5000), '<answer>', '1e999999', '--', '١٢٣q'];
    for (const t of ['multiple choice', 'numerical', 'OCR', 'free-form', 'regression', 'other']) {
      for (const p of junk) {
        expect(() => accuracyReward(t, p, 'zebra')).not.toThrow();
        expect(accuracyReward(t, p, 'zebra')).toBe(0);
      }
    }
    // A value the cast hides from the type checker: still no throw.
    expect(accuracyReward('numerical', undefined as unknown as string, '3')).toBe(0);
  });
});

describe('multipleChoiceReward', () => {
  it('scores "B." as 0 and " B " as 1 against "B", as Python does', () => {
    expect(multipleChoiceReward('B.', 'B')).toBe(0);
    expect(multipleChoiceReward(' B ', 'B')).toBe(1);
  });
});

describe('numericalReward', () => {
  it('scores "3" against "3.0" as 0, as Python does (only one side has a decimal point)', () => {
    expect(numericalReward('3', '3.0')).toBe(0);
  });

  it('scores "1,000" against "1000" as 0 (a comma counts as a decimal mark)', () => {
    expect(numericalReward('1,000', '1000')).toBe(0);
  });

  it('scores "2.675" against "2.67" as 1 because Python round(2.675, 2) is 2.67', () => {
    expect(numericalReward('2.675', '2.67')).toBe(1);
    expect(numericalReward('2.675', '2.68')).toBe(0);
  });
});

describe('ocrReward', () => {
  it('gives 0.5 for "hello" against "hello world" (WER 0.5)', () => {
    expect(ocrReward('hello', 'hello world')).toBe(0.5);
  });

  it('with an empty reference gives 1 for an empty prediction and 0 otherwise', () => {
    expect(ocrReward('', '')).toBe(1);
    expect(ocrReward('  ', '')).toBe(1);
    expect(ocrReward('word', '')).toBe(0);
  });
});

describe('freeFormReward', () => {
  it('scores CJK text as 0 even against itself, since rouge_score drops non-ASCII', () => {
    expect(freeFormReward('小偷被警察抓了', '小偷被警察抓了')).toBe(0);
  });

  it('is 1 for identical English text', () => {
    expect(freeFormReward('A red ball rolls left.', 'a red ball rolls left')).toBe(1);
  });
});

describe('regressionReward', () => {
  it('gives about 0.8 for gt 10 and prediction 12', () => {
    expect(regressionReward('12', '10')).toBeCloseTo(0.8, 8);
    expect(regressionReward('12', '10')).toBe(1 - (2 + 1e-9) / (10 + 1e-9));
  });

  it("gives 1 where Python's max(0.0, nan) swallows a NaN relative error", () => {
    expect(regressionReward('nan', '10')).toBe(1);
  });
});

describe('isProblemType', () => {
  it('accepts the five Video-R1 types and nothing else', () => {
    expect(['multiple choice', 'numerical', 'OCR', 'free-form', 'regression'].every(isProblemType)).toBe(true);
    expect(isProblemType('ocr')).toBe(false);
    expect(isProblemType('list')).toBe(false);
  });
});
