// Per-process format and length rewards of PA-GRPO (method.md §1.5.3, §1.5.4) and the split of a
// completion's tokens into perception and reasoning tokens by character offsets (§1.7 rules 1–3).

import type { ParsedCompletion, Tokenizer } from './types';

/** Inclusive token-count bounds of a length bonus, e.g. perception [128, 320], reasoning [320, 512]. */
export interface LengthRange {
  min: number;
  max: number;
}

/**
 * R_form,P and R_form,R. 'per-process': the two recommended regexes, one per process; 'full': the
 * single full-sequence regex, its result copied into both.
 */
export function formatRewards(
  parsed: ParsedCompletion,
  strict: 'per-process' | 'full',
): { perception: 0 | 1; reasoning: 0 | 1 } {
  if (strict === 'full') {
    const full = parsed.formatFull ? 1 : 0;
    return { perception: full, reasoning: full };
  }
  return { perception: parsed.formatPerception ? 1 : 0, reasoning: parsed.formatReasoning ? 1 : 0 };
}

/**
 * Encodes the whole completion once and counts perception and reasoning tokens: a token is a
 * perception token when its START offset is before perceptionEnd (the end of the first
 * '</observation>'), so the observation tags are perception and the separator, think and answer
 * tags are reasoning; without '</observation>' every token is a reasoning token. Perception tokens
 * are therefore a prefix. The EOS token is not in the text; callers counting it as Video-R1 does
 * (completion_mask.sum) add it to the reasoning count.
 */
export function segmentTokenCounts(
  text: string,
  parsed: ParsedCompletion,
  tokenizer: Tokenizer,
): { perception: number; reasoning: number; offsets: [number, number][] } {
  const { offsets } = tokenizer.encode(text);
  const end = parsed.perceptionEnd;
  let perception = 0;
  if (end !== null) for (const [start] of offsets) if (start < end) perception++;
  return { perception, reasoning: offsets.length - perception, offsets };
}

/**
 * R_len,k: opts.bonus when accuracy > opts.accuracyThreshold (0 per the paper, 0.1 in Video-R1), the
 * format reward is non-zero and min <= tokens <= max; otherwise 0.
 */
export function lengthReward(
  tokens: number,
  range: LengthRange,
  accuracy: number,
  format: number,
  opts: { bonus: number; accuracyThreshold: number },
): number {
  const inRange = tokens >= range.min && tokens <= range.max;
  return accuracy > opts.accuracyThreshold && format > 0 && inRange ? opts.bonus : 0;
}
