// Search over rollout text with highlight ranges, and a word diff of two rollouts (LCS over words and
// whitespace runs). Pure: ranges are rendered as <mark>/<ins>/<del> elements around text nodes.

import type { Rollout } from './record';

/** [start, end) of every case-insensitive, non-overlapping occurrence of `query` in `text`. */
export function findMatches(text: string, query: string, limit = 1000): [number, number][] {
  if (!query) return [];
  const hay = text.toLowerCase();
  const needle = query.toLowerCase();
  const out: [number, number][] = [];
  for (let i = hay.indexOf(needle); i >= 0 && out.length < limit; i = hay.indexOf(needle, i + needle.length)) out.push([i, i + needle.length]);
  return out;
}

export function rolloutMatches(r: Rollout, query: string): boolean {
  if (!query) return true;
  const q = query.toLowerCase();
  return r.completion.toLowerCase().includes(q) || r.prompt.toLowerCase().includes(q) || (r.groundTruth ?? '').toLowerCase().includes(q);
}

/** Splits text into alternating plain / highlighted pieces for rendering. */
export function highlightPieces(text: string, ranges: readonly [number, number][]): { text: string; hit: boolean }[] {
  const out: { text: string; hit: boolean }[] = [];
  let at = 0;
  for (const [s, e] of ranges) {
    if (s > at) out.push({ text: text.slice(at, s), hit: false });
    out.push({ text: text.slice(s, e), hit: true });
    at = e;
  }
  if (at < text.length || out.length === 0) out.push({ text: text.slice(at), hit: false });
  return out;
}

export interface DiffPiece {
  op: 'same' | 'add' | 'del';
  text: string;
}

/** Word diff of a → b. Above `maxTokens` words per side it falls back to a line diff (O(n·m) memory). */
export function diffWords(a: string, b: string, maxTokens = 3000): DiffPiece[] {
  let ta = a.split(/(\s+)/).filter(Boolean);
  let tb = b.split(/(\s+)/).filter(Boolean);
  if (ta.length > maxTokens || tb.length > maxTokens) {
    ta = a.split(/(?<=\n)/);
    tb = b.split(/(?<=\n)/);
  }
  const n = ta.length;
  const m = tb.length;
  // lcs[i][j] = LCS length of ta[i..], tb[j..], flattened (n+1)×(m+1).
  const w = m + 1;
  const lcs = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) lcs[i * w + j] = ta[i] === tb[j] ? lcs[(i + 1) * w + j + 1] + 1 : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
  }
  const out: DiffPiece[] = [];
  const push = (op: DiffPiece['op'], text: string) => {
    const last = out[out.length - 1];
    if (last && last.op === op) last.text += text;
    else out.push({ op, text });
  };
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (ta[i] === tb[j]) push('same', ta[i++]), j++;
    else if (lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]) push('del', ta[i++]);
    else push('add', tb[j++]);
  }
  while (i < n) push('del', ta[i++]);
  while (j < m) push('add', tb[j++]);
  return out;
}
