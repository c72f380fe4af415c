// Step 2 (method.md §1.4.2): verify a generated CoT. The template by parsing it (src/rewards/template.ts),
// the answer with the task metric against the ground truth (src/rewards/accuracy.ts: exact match for
// multiple choice and numbers, 1 − WER for OCR, mean ROUGE F1 for free-form, 1 − relative error for
// regression), kept when the score reaches the type's threshold (the paper: drop below 0.6). Pure.

import { accuracyReward } from '../../rewards/accuracy';
import { extractAnswer, parseCompletion } from '../../rewards/template';
import type { DataRecord, ProblemType } from '../types';

export interface VerifyOptions {
  /** 'per-process' (default): the observation and the think/answer formats both hold; 'full': one full-sequence regex. */
  formatMode?: 'per-process' | 'full';
  /** A CoT is kept when its answer scores at least this, per problem type (default 0.6 for every type). */
  thresholds?: Partial<Record<ProblemType, number>>;
}

export const DEFAULT_THRESHOLD = 0.6;

export interface Verification {
  ok: boolean;
  /** Why it failed, when it did. */
  reason?: 'template' | 'answer';
  /** What is malformed (template failures). */
  issues: string[];
  /** The CoT's observation text (tags stripped), '' when there is none. */
  observation: string;
  /** The generated answer and its task-metric score against the ground truth (null when the template failed). */
  answer: string;
  score: number | null;
  threshold: number;
}

export function thresholdFor(problemType: ProblemType, options: VerifyOptions = {}): number {
  return options.thresholds?.[problemType] ?? DEFAULT_THRESHOLD;
}

export function verifyCot(record: Pick<DataRecord, 'problem_type' | 'solution'>, cot: string, options: VerifyOptions = {}): Verification {
  const parsed = parseCompletion(cot);
  const threshold = thresholdFor(record.problem_type, options);
  const observation = parsed.observation?.text.trim() ?? '';
  const answer = parsed.extractedAnswer;
  const formatOk = (options.formatMode === 'full' ? parsed.formatFull : parsed.formatPerception && parsed.formatReasoning) && observation !== '';
  if (!formatOk) {
    const issues = parsed.issues.length > 0 ? parsed.issues : observation === '' ? ['empty <observation>'] : ['does not match the template'];
    return { ok: false, reason: 'template', issues, observation, answer, score: null, threshold };
  }
  const score = accuracyReward(record.problem_type, answer, extractAnswer(record.solution));
  if (!(score >= threshold)) return { ok: false, reason: 'answer', issues: [], observation, answer, score, threshold };
  return { ok: true, issues: [], observation, answer, score, threshold };
}
