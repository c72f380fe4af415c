// ROUGE-1, ROUGE-2 and ROUGE-L F1 as google-research's rouge_score computes them
// (rouge_score/tokenize.py, rouge_scorer.py, scoring.py), which Video-R1 averages for free-form answers.

import { porterStem } from './porter';

/**
 * rouge_score's tokenize(text, stemmer): lowercase; every run of characters outside [a-z0-9] becomes a
 * space; split on whitespace; Porter-stem tokens longer than 3 characters when useStemmer; drop
 * empty tokens. Non-ASCII letters (CJK, accented Latin) are removed, so such text has no tokens.
 */
export function rougeTokenize(text: string, useStemmer: boolean): string[] {
  const spaced = text.toLowerCase().replace(/[^a-z0-9]+/g, ' ');
  let tokens = spaced.split(/\s+/);
  if (useStemmer) tokens = tokens.map((t) => (t.length > 3 ? porterStem(t) : t));
  return tokens.filter((t) => /^[a-z0-9]+$/.test(t));
}

export interface RougeScore {
  precision: number;
  recall: number;
  fmeasure: number;
}

/** scoring.fmeasure: 2PR/(P+R), 0 when P+R is 0 (same operation order as Python, for bit parity). */
export function fmeasure(precision: number, recall: number): number {
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
}

/** n-gram counts; keys join tokens with a space (tokens never contain one). */
function ngrams(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join(' ');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** ROUGE-N from clipped n-gram overlap: P = overlap / max(#pred, 1), R = overlap / max(#target, 1). */
export function rougeN(targetTokens: readonly string[], predictionTokens: readonly string[], n: number): RougeScore {
  const target = ngrams(targetTokens, n);
  const prediction = ngrams(predictionTokens, n);
  let overlap = 0;
  for (const [gram, count] of target) overlap += Math.min(count, prediction.get(gram) ?? 0);
  let targetCount = 0;
  for (const c of target.values()) targetCount += c;
  let predictionCount = 0;
  for (const c of prediction.values()) predictionCount += c;
  const precision = overlap / Math.max(predictionCount, 1);
  const recall = overlap / Math.max(targetCount, 1);
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** Length of the longest common subsequence of two token lists. */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  let prev = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    const row = new Array<number>(b.length + 1).fill(0);
    for (let j = 1; j <= b.length; j++) {
      row[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], row[j - 1]);
    }
    prev = row;
  }
  return prev[b.length];
}

/** ROUGE-L: P = LCS / #pred, R = LCS / #target; all zero when either side has no tokens. */
export function rougeL(targetTokens: readonly string[], predictionTokens: readonly string[]): RougeScore {
  if (targetTokens.length === 0 || predictionTokens.length === 0) return { precision: 0, recall: 0, fmeasure: 0 };
  const lcs = lcsLength(targetTokens, predictionTokens);
  const precision = lcs / predictionTokens.length;
  const recall = lcs / targetTokens.length;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

export interface RougeScores {
  rouge1: RougeScore;
  rouge2: RougeScore;
  rougeL: RougeScore;
}

/** RougeScorer(['rouge1', 'rouge2', 'rougeL'], use_stemmer).score(target, prediction). */
export function rougeScores(target: string, prediction: string, useStemmer = true): RougeScores {
  const t = rougeTokenize(target, useStemmer);
  const p = rougeTokenize(prediction, useStemmer);
  return { rouge1: rougeN(t, p, 1), rouge2: rougeN(t, p, 2), rougeL: rougeL(t, p) };
}

/**
 * Video-R1's compute_rouge_score(reference, hypothesis): the mean of the ROUGE-1, ROUGE-2 and ROUGE-L
 * F1 scores with the Porter stemmer on, summed left to right and divided by 3 as Python does.
 */
export function rougeF1Mean(reference: string, prediction: string): number {
  const s = rougeScores(reference, prediction, true);
  return (s.rouge1.fmeasure + s.rouge2.fmeasure + s.rougeL.fmeasure) / 3;
}
