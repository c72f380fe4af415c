// Video-R1's accuracy_reward (grpo.py), ported bit for bit (method.md §2.3). Every function takes
// answers ALREADY extracted with extractAnswer (template.ts) from the completion and the solution.

import { PROBLEM_TYPES, type ProblemType } from './types';
import { pyFloat, pyMax, pyMin, pyRound, pyStrip } from './python';
import { rougeF1Mean } from './rouge';
import { wer } from './wer';

export function isProblemType(s: string): s is ProblemType {
  return (PROBLEM_TYPES as readonly string[]).includes(s);
}

/** Video-R1's normalize_number: drop every ',', then Python float(); null where float() raises. */
export function normalizeNumber(s: string): number | null {
  return pyFloat(s.replaceAll(',', ''));
}

/** 1 when the stripped strings are equal (case-sensitive: 'B.' and 'b' score 0 against 'B'). */
export function multipleChoiceReward(prediction: string, groundTruth: string): number {
  return pyStrip(prediction) === pyStrip(groundTruth) ? 1 : 0;
}

/**
 * 0 when exactly one side contains '.' or ',' ('3' vs '3.0', '1,000' vs '1000'); otherwise both are
 * parsed with normalize_number and compared after Python round(x, 2) (ties to even, exact binary).
 */
export function numericalReward(prediction: string, groundTruth: string): number {
  const gtHasDecimal = groundTruth.includes('.') || groundTruth.includes(',');
  const outHasDecimal = prediction.includes('.') || prediction.includes(',');
  if (gtHasDecimal !== outHasDecimal) return 0;
  const gt = normalizeNumber(groundTruth);
  const out = normalizeNumber(prediction);
  if (gt === null || out === null) return 0;
  return pyRound(gt, 2) === pyRound(out, 2) ? 1 : 0; // NaN never equals NaN, as in Python
}

/** clamp(1 - WER(gt, pred), 0, 1); an empty reference scores 1 only against an empty prediction. */
export function ocrReward(prediction: string, groundTruth: string): number {
  const reward = 1 - wer(groundTruth, prediction);
  return pyMax(0, pyMin(1, reward));
}

/** clamp(mean of ROUGE-1/2/L F1 of rouge_score(target = gt, prediction), 0, 1). */
export function freeFormReward(prediction: string, groundTruth: string): number {
  const score = rougeF1Mean(groundTruth, prediction);
  return pyMax(0, pyMin(1, score));
}

/**
 * 1 - clamp((|out - gt| + 1e-9) / (|gt| + 1e-9), 0, 1); 0 when either side does not parse (Python
 * raises a TypeError there, which accuracy_reward catches). Python's min/max pass NaN through
 * differently from Math.min/max: max(0.0, nan) is 0.0, so a NaN relative error (gt 'inf' and
 * pred 'inf', or 'nan') gives reward 1 in Video-R1, and so here.
 */
export function regressionReward(prediction: string, groundTruth: string): number {
  const gt = normalizeNumber(groundTruth);
  const out = normalizeNumber(prediction);
  if (gt === null || out === null) return 0;
  const relDiff = (Math.abs(out - gt) + 1e-9) / (Math.abs(gt) + 1e-9);
  return 1 - pyMin(1, pyMax(0, relDiff));
}

/**
 * Video-R1's accuracy reward for one completion: dispatch on the problem type (exact, case-sensitive
 * strings); unknown types score 0; any exception scores 0, so this never throws.
 */
export function accuracyReward(problemType: string, prediction: string, groundTruth: string): number {
  try {
    switch (problemType) {
      case 'multiple choice':
        return multipleChoiceReward(prediction, groundTruth);
      case 'numerical':
        return numericalReward(prediction, groundTruth);
      case 'OCR':
        return ocrReward(prediction, groundTruth);
      case 'free-form':
        return freeFormReward(prediction, groundTruth);
      case 'regression':
        return regressionReward(prediction, groundTruth);
      default:
        return 0;
    }
  } catch {
    return 0;
  }
}
