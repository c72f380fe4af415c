// JSON as Python writes it: `json.dumps` emits NaN, Infinity and -Infinity for non-finite floats,
// which JSON.parse rejects (method.md §5.1). Fast path: JSON.parse; on failure, rewrite those bare
// literals (outside strings) to sentinel strings and revive them as numbers.

const SENTINEL = '\u0000py:';

export function parseLenientJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (first) {
    const rewritten = rewritePythonLiterals(text);
    if (rewritten === text) throw first;
    return JSON.parse(rewritten, (_key, value) => {
      if (typeof value === 'string' && value.startsWith(SENTINEL)) {
        const lit = value.slice(SENTINEL.length);
        return lit === 'NaN' ? NaN : lit === 'Infinity' ? Infinity : -Infinity;
      }
      return value;
    });
  }
}

/** Replaces NaN / Infinity / -Infinity tokens outside string literals by quoted sentinels. */
export function rewritePythonLiterals(text: string): string {
  let out = '';
  let last = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92 /* \ */) i++;
      else if (ch === 34 /* " */) inString = false;
      continue;
    }
    if (ch === 34) {
      inString = true;
      continue;
    }
    let lit: string | null = null;
    if (ch === 78 /* N */ && text.startsWith('NaN', i)) lit = 'NaN';
    else if (ch === 73 /* I */ && text.startsWith('Infinity', i)) lit = 'Infinity';
    else if (ch === 45 /* - */ && text.startsWith('-Infinity', i)) lit = '-Infinity';
    if (lit) {
      out += text.slice(last, i) + JSON.stringify(SENTINEL + lit);
      i += lit.length - 1;
      last = i + 1;
    }
  }
  return last === 0 ? text : out + text.slice(last);
}

/** A line that is not JSON: its 1-based number and the parser's reason. */
export interface BadLine {
  line: number;
  reason: string;
}

/**
 * JSON Lines: one value per non-blank line, with its 1-based line number. Bad lines are reported, not
 * fatal: the first 20 as `errors` messages (import warnings), every one in `bad` (the summary CLI).
 */
export function parseJsonLines(text: string): { values: { value: unknown; line: number }[]; errors: string[]; bad: BadLine[] } {
  const values: { value: unknown; line: number }[] = [];
  const errors: string[] = [];
  const bad: BadLine[] = [];
  let line = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    line++;
    const s = text.slice(start, end).trim();
    if (s) {
      try {
        values.push({ value: parseLenientJson(s), line });
      } catch (e) {
        const reason = (e as Error).message;
        bad.push({ line, reason: reason.length > 200 ? `${reason.slice(0, 200)}…` : reason });
        if (errors.length < 20) errors.push(`line ${line}: ${reason}`);
      }
    }
    start = end + 1;
  }
  return { values, errors, bad };
}
