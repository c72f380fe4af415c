// The process-aware output template '<observation>…</observation> <think>…</think><answer>…</answer>'
// (method.md §1.2): segment spans, the perception boundary, strict format flags (§1.5.3) and the
// Video-R1 answer extraction (§2.3), plus human-readable notes on malformed completions (§6).

import type { ParsedCompletion, Segment } from './types';
import { PY_WHITESPACE_CLASS, pyStrip } from './python';

export const TEMPLATE_TAGS = {
  observation: { open: '<observation>', close: '</observation>' },
  think: { open: '<think>', close: '</think>' },
  answer: { open: '<answer>', close: '</answer>' },
} as const;

export type TemplateTag = keyof typeof TEMPLATE_TAGS;
const TAG_NAMES: readonly TemplateTag[] = ['observation', 'think', 'answer'];

// Python's \s (str patterns) is str.isspace(); the regexes below are written as Video-R1 writes its
// own (DOTALL, fullmatch), so they use that whitespace set rather than JS \s.
const WS = `[${PY_WHITESPACE_CLASS}]`;

/** Video-R1 extract_answer: re.search(r'<answer>\s*(.*?)\s*</answer>', text, re.DOTALL). */
const ANSWER_RE = new RegExp(`<answer>${WS}*([\\s\\S]*?)${WS}*</answer>`);

/** R_form,P: re.match(r'\s*<observation>.*?</observation>', DOTALL), plus exactly one '<observation>'. */
export const PERCEPTION_FORMAT_RE = new RegExp(`^${WS}*<observation>[\\s\\S]*?</observation>`);
/** R_form,R: the remainder after the first '</observation>' must fully match this. */
export const REASONING_FORMAT_RE = new RegExp(
  `^${WS}*<think>[\\s\\S]*?</think>${WS}*<answer>[\\s\\S]*?</answer>${WS}*$`,
);
/** The stricter single full-sequence regex, its result copied to both processes. */
export const FULL_FORMAT_RE = new RegExp(
  `^${WS}*<observation>[\\s\\S]*?</observation>${WS}*<think>[\\s\\S]*?</think>${WS}*<answer>[\\s\\S]*?</answer>${WS}*$`,
);

/**
 * Video-R1's extract_answer: the inner text of the first <answer>…</answer> anywhere in the text
 * (not necessarily after </think>), stripped of Python whitespace; '' when there is none.
 */
export function extractAnswer(text: string): string {
  const match = ANSWER_RE.exec(text);
  return match ? pyStrip(match[1]) : '';
}

function countOccurrences(text: string, needle: string): number {
  let count = 0;
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) count++;
  return count;
}

/** The first `<tag>` at or after `from`, closed by the first following `</tag>`; null if either is missing. */
function findSegment(text: string, tag: TemplateTag, from: number): Segment | null {
  const { open, close } = TEMPLATE_TAGS[tag];
  const start = text.indexOf(open, from);
  if (start === -1) return null;
  const closeAt = text.indexOf(close, start + open.length);
  if (closeAt === -1) return null;
  const inner = { start: start + open.length, end: closeAt };
  return { outer: { start, end: closeAt + close.length }, inner, text: text.slice(inner.start, inner.end) };
}

/** Shows a snippet of text in an issue message. */
function quote(s: string, max = 24): string {
  const oneLine = s.replace(/\n/g, '\\n');
  return JSON.stringify(oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine);
}

/** Notes on what is malformed: missing, repeated, unclosed, broken or misplaced tags, stray text. */
function describeIssues(text: string, parsed: Omit<ParsedCompletion, 'issues'>): string[] {
  const issues: string[] = [];

  for (const tag of TAG_NAMES) {
    const { open, close } = TEMPLATE_TAGS[tag];
    const opens = countOccurrences(text, open);
    const closes = countOccurrences(text, close);
    if (opens === 0) issues.push(`missing ${open}`);
    if (opens > 1) issues.push(`repeated ${open} (${opens} times)`);
    if (closes === 0) {
      if (opens > 0) issues.push(`unclosed ${open}: no ${close} (truncated?)`);
      else issues.push(`missing ${close}`);
    }
    if (closes > 1) issues.push(`repeated ${close} (${closes} times)`);
    const firstOpen = text.indexOf(open);
    const firstClose = text.indexOf(close);
    if (firstClose !== -1 && (firstOpen === -1 || firstClose < firstOpen)) {
      issues.push(`${close} at ${firstClose} comes before any ${open}`);
    }
  }

  // Broken tags such as Fig. 18's '</<observation>', '<answer' cut off at the end, '< think>', '<Answer>'.
  const canonical = new Set<string>(TAG_NAMES.flatMap((t) => [TEMPLATE_TAGS[t].open, TEMPLATE_TAGS[t].close]));
  // A bare '<' or '</' right before another '<', or a '<' directly (or after spaces) followed by at
  // most 3 other characters and a tag name, up to the next '>', '<' or the end; 'a < b, I think'
  // does not count.
  const tagLike = /<\/?(?=<)|<\/?\s*[^<>\s]{0,3}(?:observation|think|answer)[^<>\n]{0,8}?(?:>|(?=<)|$)/gi;
  for (const m of text.matchAll(tagLike)) {
    if (!canonical.has(m[0])) issues.push(`malformed tag ${quote(m[0])} at ${m.index}`);
  }
  // A completion cut off inside a tag: '<', '</', '<ans', '</thi' at the very end.
  const tail = /<\/?([a-z]*)$/.exec(text);
  if (tail && TAG_NAMES.some((t) => t.startsWith(tail[1]))) issues.push(`truncated tag ${quote(tail[0])} at the end`);

  const { observation, think, answer } = parsed;
  if (observation && think === null && text.includes('<think>')) issues.push('no <think>…</think> after </observation>');
  if ((think ?? observation) && answer === null && text.includes('<answer>')) {
    issues.push(`no <answer>…</answer> after ${think ? '</think>' : '</observation>'}`);
  }

  // Non-whitespace text outside the segments found.
  const segments = [observation, think, answer].filter((s): s is Segment => s !== null);
  if (segments.length === 0) {
    issues.push(pyStrip(text) === '' ? 'empty completion' : 'no complete segment');
    return issues;
  }
  const stray = (label: string, from: number, to: number): void => {
    const between = pyStrip(text.slice(from, to));
    if (between !== '') issues.push(`text ${label}: ${quote(between)}`);
  };
  stray('before the first segment', 0, segments[0].outer.start);
  for (let i = 1; i < segments.length; i++) stray('between segments', segments[i - 1].outer.end, segments[i].outer.start);
  stray('after the last segment', segments[segments.length - 1].outer.end, text.length);
  return issues;
}

/**
 * Parses a completion into its template segments (method.md §6): the first <observation> and the
 * first </observation> after it; then the first <think>…</think> after that (from the start when
 * there is no observation); then the first <answer>…</answer> after the last segment found.
 *
 * perceptionEnd is the end of the first '</observation>' anywhere (§1.7 rule 1), null without one.
 * formatReasoning applies REASONING_FORMAT_RE to the text after perceptionEnd, or to the whole text
 * when there is no '</observation>' (all tokens are then reasoning tokens, §1.7 rule 3).
 */
export function parseCompletion(text: string): ParsedCompletion {
  const observation = findSegment(text, 'observation', 0);
  const think = findSegment(text, 'think', observation?.outer.end ?? 0);
  const answer = findSegment(text, 'answer', think?.outer.end ?? observation?.outer.end ?? 0);

  const closeAt = text.indexOf(TEMPLATE_TAGS.observation.close);
  const perceptionEnd = closeAt === -1 ? null : closeAt + TEMPLATE_TAGS.observation.close.length;

  const formatPerception =
    PERCEPTION_FORMAT_RE.test(text) && countOccurrences(text, TEMPLATE_TAGS.observation.open) === 1;
  const formatReasoning = REASONING_FORMAT_RE.test(perceptionEnd === null ? text : text.slice(perceptionEnd));
  const formatFull = FULL_FORMAT_RE.test(text);

  const parsed: Omit<ParsedCompletion, 'issues'> = {
    observation,
    think,
    answer,
    perceptionEnd,
    extractedAnswer: extractAnswer(text),
    formatPerception,
    formatReasoning,
    formatFull,
  };
  return { ...parsed, issues: describeIssues(text, parsed) };
}
