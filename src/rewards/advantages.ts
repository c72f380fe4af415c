// PA-GRPO group advantages (method.md §1.6, Eq. 6), every advantage mode of the ablations (§1.10),
// per-token advantages from character offsets (§1.7), and per-group diagnostics (§1.11).

import type { AdvantageMode, MissingObservation } from './config';

export interface NormalizeOptions {
  eps: number;
  /** Bessel-corrected (N − 1) std, as torch.std. */
  unbiased: boolean;
}

/**
 * A_i = (r_i − mean) / (std + eps) over one group of G rollouts (Video-R1 / TRL, method.md §2.6, §3.1).
 * A zero-variance group (every reward equal, G = 1 included) gives exactly 0 for all: checked by equality,
 * not by std, because the mean of equal floats can differ from them in the last bit.
 */
export function groupNormalize(rewards: readonly number[], { eps, unbiased }: NormalizeOptions): number[] {
  const G = rewards.length;
  if (G === 0) return [];
  if (G === 1 || rewards.every((r) => r === rewards[0])) return rewards.map(() => 0);
  let sum = 0;
  for (const r of rewards) sum += r;
  const mean = sum / G;
  let squares = 0;
  for (const r of rewards) squares += (r - mean) ** 2;
  const std = Math.sqrt(squares / (unbiased ? G - 1 : G));
  return rewards.map((r) => (r - mean) / (std + eps));
}

export interface AdvantageConfig {
  eps: number;
  unbiasedStd: boolean;
  advantageMode: AdvantageMode;
}

/** Per-rollout advantages of one group, shape (G,) each. */
export interface ProcessAdvantages {
  /** Advantage carried by the perception tokens (<observation> span). */
  perception: number[];
  /** Advantage carried by the reasoning tokens (<think>, <answer>, the rest). */
  reasoning: number[];
  /** The process-agnostic GRPO advantage of the same group: the normalised reasoning reward (§1.10). */
  grpo: number[];
}

/**
 * Advantages for one group from the per-process reward totals R_{i,P} and R_{i,R} (each of length G).
 * 'separate': A_P = norm(R_P), A_R = norm(R_R) (PA-GRPO, Eq. 6).
 * 'sum-advantages': both = norm(R_P) + norm(R_R).  'sum-rewards': both = norm(R_P + R_R).
 * 'grpo': both = norm(R_R), the reasoning reward's advantage on every token.
 */
export function processAdvantages(
  perceptionTotals: readonly number[],
  reasoningTotals: readonly number[],
  config: AdvantageConfig,
): ProcessAdvantages {
  if (perceptionTotals.length !== reasoningTotals.length) {
    throw new Error(`processAdvantages: ${perceptionTotals.length} perception totals but ${reasoningTotals.length} reasoning totals`);
  }
  const opts = { eps: config.eps, unbiased: config.unbiasedStd };
  const aP = groupNormalize(perceptionTotals, opts);
  const aR = groupNormalize(reasoningTotals, opts);
  const grpo = aR.slice();
  switch (config.advantageMode) {
    case 'separate':
      return { perception: aP, reasoning: aR, grpo };
    case 'sum-advantages': {
      const sum = aP.map((a, i) => a + aR[i]);
      return { perception: sum, reasoning: sum.slice(), grpo };
    }
    case 'sum-rewards': {
      const sum = groupNormalize(perceptionTotals.map((r, i) => r + reasoningTotals[i]), opts);
      return { perception: sum, reasoning: sum.slice(), grpo };
    }
    case 'grpo':
      return { perception: aR.slice(), reasoning: aR.slice(), grpo };
    default: {
      const never: never = config.advantageMode;
      throw new Error(`processAdvantages: unknown advantage mode '${String(never)}'`);
    }
  }
}

/**
 * Per-token advantages of one completion, shape (T,): a token is perception iff its start offset is
 * < perceptionEnd (method.md §1.7 rules 1–2), so the tag tokens of <observation> are perception and the
 * separator, <think>, <answer> and everything after are reasoning. With no '</observation>'
 * (perceptionEnd null) every token goes to the process named by `missingObservation` (rule 3).
 */
export function tokenAdvantages(
  offsets: readonly (readonly [number, number])[],
  perceptionEnd: number | null,
  aP: number,
  aR: number,
  missingObservation: MissingObservation = 'reasoning',
): Float32Array {
  const out = new Float32Array(offsets.length);
  if (perceptionEnd === null) {
    out.fill(missingObservation === 'perception' ? aP : aR);
    return out;
  }
  for (let t = 0; t < offsets.length; t++) out[t] = offsets[t][0] < perceptionEnd ? aP : aR;
  return out;
}

// ---- diagnostics ------------------------------------------------------------------------------------

/** One rollout's inputs to the think–answer mismatch check. */
export interface MismatchInput {
  problemType: string;
  /** Inner text of <think>, or null when there is none. */
  think: string | null;
  /** The extracted answer (Video-R1's extract_answer). */
  answer: string;
  /** The options as given ("A. ..."), for mapping option text to its letter. */
  options?: readonly string[];
}

export interface GroupDiagnostics {
  /** std_P = 0: the perception process gives no gradient in this group. */
  collapsedPerception: boolean;
  /** std_R = 0: the reasoning process gives no gradient (plain GRPO's "equal-reward group"). */
  collapsedReasoning: boolean;
  /** Both collapsed: the group gives no policy gradient at all. */
  collapsedBoth: boolean;
  /** Per rollout: the letter chosen in <think> differs from <answer>; null when not MC or not extractable. */
  thinkAnswerMismatch: (boolean | null)[];
}

/** Collapse flags (zero-variance per process, method.md §1.11 [I]) and per-rollout think–answer mismatch. */
export function groupDiagnostics(
  perceptionTotals: readonly number[],
  reasoningTotals: readonly number[],
  rollouts: readonly MismatchInput[] = [],
): GroupDiagnostics {
  const allEqual = (xs: readonly number[]) => xs.every((x) => x === xs[0]);
  const collapsedPerception = allEqual(perceptionTotals);
  const collapsedReasoning = allEqual(reasoningTotals);
  return {
    collapsedPerception,
    collapsedReasoning,
    collapsedBoth: collapsedPerception && collapsedReasoning,
    thinkAnswerMismatch: rollouts.map((r) => thinkAnswerMismatch(r)),
  };
}

/** true / false for multiple choice when both letters can be read, else null. */
export function thinkAnswerMismatch({ problemType, think, answer, options = [] }: MismatchInput): boolean | null {
  if (problemType !== 'multiple choice' || think === null) return null;
  const answerLetter = letterOfAnswer(answer, options);
  const thinkLetter = extractThinkChoice(think, options);
  if (answerLetter === null || thinkLetter === null) return null;
  return answerLetter !== thinkLetter;
}

/** The option letter of an <answer> text: "B", "(B)", "B.", "B. some text", or an option's text. */
export function letterOfAnswer(answer: string, options: readonly string[] = []): string | null {
  const s = answer.trim();
  // An answer that is exactly one option's text ("A green bus") is that option, even if it opens with "A".
  const exact = options.filter((o) => normalizeText(o.replace(/^\s*\(?[A-Z]\)?[.):]\s*/, '')) === normalizeText(s));
  if (exact.length === 1) return /^\s*\(?([A-Z])\)?[.):]/.exec(exact[0])?.[1] ?? null;
  const m = /^\(?([A-Z])\)?(?=$|[\s.):,])/.exec(s);
  if (m) return m[1];
  return letterOfOptionText(s, options);
}

// Definitive phrases (the paper's extraction guidelines, §1.3.3): "the answer is B", "I choose B",
// "the correct option is (B)", "option B is correct". Hedges ("would be", "might be") are not matched.
// `L` is an option letter: one capital, optionally in parentheses, not followed by another letter.
const L = String.raw`\(?([A-Za-z])\)?(?![A-Za-z])`;
const STRONG_CHOICE: RegExp[] = [
  new RegExp(String.raw`\b(?:final |correct |best |right )?(?:answer|option|choice)(?: here| then)? (?:is|should be|must be|=)\s*:?\s*(?:option |choice )?${L}`, 'gi'),
  new RegExp(String.raw`\bI(?:'ll| will| would)? (?:choose|pick|select|go with|opt for)\s+(?:option |choice )?${L}`, 'gi'),
  new RegExp(String.raw`\b(?:option|choice) ${L}\s+(?:is|seems|appears)(?: to be)? (?:the )?(?:correct|right|best|answer)`, 'gi'),
  new RegExp(String.raw`\b(?:so|therefore|thus|hence),? (?:it's|it is|the answer's) ${L}`, 'gi'),
];
// Weak: a bare "option B", trusted only in the last two sentences of <think> ("prefer the end").
const WEAK_CHOICE = new RegExp(String.raw`\b(?:option|choice) ${L}`, 'gi');
// "the answer is <option text>": the rest of the sentence, mapped to a letter through the options.
const ANSWER_TEXT = /\b(?:final |correct |best )?answer (?:is|should be|must be)\s*[:"'“]?\s*([^.\n"”]+)/gi;

/** The option letter stated definitively in a <think> text (the last one), or null. */
export function extractThinkChoice(think: string, options: readonly string[] = []): string | null {
  const allowed = allowedLetters(options);
  let best: { at: number; letter: string } | null = null;
  const consider = (at: number, letter: string | null) => {
    if (letter === null || (allowed !== null && !allowed.has(letter))) return;
    if (best === null || at >= best.at) best = { at, letter };
  };
  for (const re of STRONG_CHOICE) {
    for (const m of think.matchAll(re)) consider(m.index ?? 0, capitalLetter(m[1]));
  }
  for (const m of think.matchAll(ANSWER_TEXT)) {
    if (/^\(?[A-Z]\)?(?![A-Za-z])/.test(m[1].trim())) continue; // a letter: the strong patterns read it
    consider(m.index ?? 0, letterOfOptionText(m[1], options));
  }
  if (best !== null) return (best as { letter: string }).letter;
  const tailStart = lastSentencesStart(think, 2);
  for (const m of think.matchAll(WEAK_CHOICE)) {
    if ((m.index ?? 0) >= tailStart) consider(m.index ?? 0, capitalLetter(m[1]));
  }
  return best === null ? null : (best as { letter: string }).letter;
}

/** Only capitals count as letters: "the answer is a car" is not option A. */
function capitalLetter(s: string | undefined): string | null {
  return s !== undefined && /^[A-Z]$/.test(s) ? s : null;
}

function allowedLetters(options: readonly string[]): Set<string> | null {
  const letters = new Set<string>();
  for (const o of options) {
    const m = /^\s*\(?([A-Z])\)?[.):]/.exec(o);
    if (m) letters.add(m[1]);
  }
  return letters.size > 0 ? letters : null;
}

function normalizeText(s: string): string {
  return s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

/** Map an option's text ("A military command") to its letter, when exactly one option matches. */
function letterOfOptionText(text: string, options: readonly string[]): string | null {
  const needle = normalizeText(text);
  if (needle.length === 0) return null;
  const hits: string[] = [];
  for (const o of options) {
    const m = /^\s*\(?([A-Z])\)?[.):]\s*(.*)$/s.exec(o);
    if (!m) continue;
    const body = normalizeText(m[2]);
    if (body.length > 0 && (needle === body || needle.startsWith(body + ' ') || needle.startsWith(body))) hits.push(m[1]);
  }
  return hits.length === 1 ? hits[0] : null;
}

/** Index where the last `n` sentences of `text` begin. */
function lastSentencesStart(text: string, n: number): number {
  const ends: number[] = [];
  for (const m of text.matchAll(/[.!?\n]+\s*/g)) {
    const end = (m.index ?? 0) + m[0].length;
    if (end < text.trimEnd().length) ends.push(end);
  }
  return ends.length >= n ? ends[ends.length - n] : 0;
}
