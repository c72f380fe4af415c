// A record's options as a list of strings, whatever the source stored (shared by the judges, the
// checklist reward and the scorers). Pure.

/**
 * Options as a list of "A. ..." strings. The RL release stores them as a string [C: S3] whose serialisation
 * is unknown [U]: try JSON, then a Python list literal, then one option per line (method.md §1.4.1).
 */
export function normalizeOptions(options: unknown): string[] {
  if (Array.isArray(options)) return options.map((o) => String(o));
  if (typeof options !== 'string') return [];
  const s = options.trim();
  if (s === '' || s === '[]') return [];
  if (s.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(s);
      if (Array.isArray(parsed)) return parsed.map((o) => String(o));
    } catch {
      const py = parsePythonStringList(s);
      if (py !== null) return py;
    }
  }
  return s.split(/\r?\n/).map((o) => o.trim()).filter((o) => o.length > 0);
}

/** ['A. x', "B. it's"] → strings; null when it is not a flat list of quoted strings. */
function parsePythonStringList(s: string): string[] | null {
  const out: string[] = [];
  let i = 1;
  const skipSpace = () => {
    while (i < s.length && /\s/.test(s[i])) i++;
  };
  skipSpace();
  if (s[i] === ']') return out;
  while (i < s.length) {
    skipSpace();
    const quote = s[i];
    if (quote !== "'" && quote !== '"') return null;
    i++;
    let item = '';
    while (i < s.length && s[i] !== quote) {
      if (s[i] === '\\' && i + 1 < s.length) {
        const c = s[i + 1];
        item += c === 'n' ? '\n' : c === 't' ? '\t' : c;
        i += 2;
      } else item += s[i++];
    }
    if (i >= s.length) return null;
    i++;
    out.push(item);
    skipSpace();
    if (s[i] === ',') {
      i++;
      skipSpace();
      if (s[i] === ']') return out;
      continue;
    }
    return s[i] === ']' ? out : null;
  }
  return null;
}
