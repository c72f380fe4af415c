// Word error rate as Video-R1's grpo.py computes it for OCR answers: word-level Levenshtein distance
// over Python str.split() words, divided by max(1, number of reference words). Case-sensitive.

import { pySplit } from './python';

/** Levenshtein distance between two word sequences (unit cost for substitution, insertion, deletion). */
export function wordLevenshtein(ref: readonly string[], hyp: readonly string[]): number {
  const m = ref.length;
  const n = hyp.length;
  // One row of the (m+1, n+1) DP table at a time; prev[j] = d[i-1][j].
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const row = new Array<number>(n + 1);
    row[0] = i;
    for (let j = 1; j <= n; j++) {
      row[j] = ref[i - 1] === hyp[j - 1] ? prev[j - 1] : 1 + Math.min(prev[j], row[j - 1], prev[j - 1]);
    }
    prev = row;
  }
  return prev[n];
}

/**
 * WER(reference, hypothesis) = distance / max(1, #reference words). Not clamped: it exceeds 1 when
 * the hypothesis is longer than the reference, and an empty reference gives #hypothesis words.
 */
export function wer(reference: string, hypothesis: string): number {
  const ref = pySplit(reference);
  const hyp = pySplit(hypothesis);
  return wordLevenshtein(ref, hyp) / Math.max(1, ref.length);
}
