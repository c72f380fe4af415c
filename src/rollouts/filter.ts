// A small, safe filter language over rollouts (inspector.md §4.5), e.g.
//   perception.accuracy == 0 and reasoning.accuracy == 1
//   adv.perception > 0 and completion contains "left"      quadrant == "PlRh" or not (step < 10)
// Tokenised and parsed by hand into an AST, evaluated by a tree walk: no eval / new Function (the CSP
// forbids them, and rollout text is untrusted anyway). Unknown fields evaluate to undefined; any
// comparison with undefined is false.

import { quadrantOf, quadrantRule, segmentsOf, type QuadrantRule, type Rollout } from './record';

export class FilterSyntaxError extends Error {
  readonly code = 'FilterSyntax';
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
    this.name = 'FilterSyntaxError';
  }
}

type Tok =
  | { t: 'num'; v: number; p: number }
  | { t: 'str'; v: string; p: number }
  | { t: 'id'; v: string; p: number }
  | { t: 'op'; v: string; p: number }
  | { t: 'end'; p: number };

export type Node =
  | { k: 'lit'; v: Value }
  | { k: 'field'; path: string }
  | { k: 'not'; e: Node }
  | { k: 'neg'; e: Node }
  | { k: 'bin'; op: string; a: Node; b: Node }
  | { k: 'call'; fn: string; args: Node[] };

type Value = number | string | boolean | null | undefined;

const OPS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '+', '-', '*', '/', '(', ')', ',', '!', '='];
const WORD_OPS = new Set(['and', 'or', 'not', 'contains', 'matches', 'in']);

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(src.slice(i))!;
      out.push({ t: 'num', v: Number(m[0]), p: i });
      i += m[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) j++;
        s += src[j++];
      }
      if (j >= src.length) throw new FilterSyntaxError('unterminated string', i);
      out.push({ t: 'str', v: s, p: i });
      i = j + 1;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(src.slice(i));
    if (id) {
      const w = id[0];
      out.push(WORD_OPS.has(w.toLowerCase()) ? { t: 'op', v: w.toLowerCase(), p: i } : { t: 'id', v: w, p: i });
      i += w.length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new FilterSyntaxError(`unexpected '${c}'`, i);
    out.push({ t: 'op', v: op, p: i });
    i += op.length;
  }
  out.push({ t: 'end', p: src.length });
  return out;
}

// Binding powers: or < and < not < comparison < + - < * /
const BINARY: Record<string, number> = { or: 1, '||': 1, and: 2, '&&': 2, '==': 4, '=': 4, '!=': 4, '<': 4, '<=': 4, '>': 4, '>=': 4, contains: 4, matches: 4, '+': 5, '-': 5, '*': 6, '/': 6 };

export function parseFilter(src: string): Node {
  const toks = tokenize(src);
  let i = 0;
  const peek = () => toks[i];
  const expect = (v: string) => {
    const t = toks[i];
    if (t.t !== 'op' || t.v !== v) throw new FilterSyntaxError(`expected '${v}'`, t.p);
    i++;
  };
  const primary = (): Node => {
    const t = toks[i++];
    switch (t.t) {
      case 'num':
        return { k: 'lit', v: t.v };
      case 'str':
        return { k: 'lit', v: t.v };
      case 'id': {
        const lower = t.v.toLowerCase();
        if (lower === 'true' || lower === 'false') return { k: 'lit', v: lower === 'true' };
        if (lower === 'null' || lower === 'none') return { k: 'lit', v: null };
        if (lower === 'nan') return { k: 'lit', v: NaN };
        const next = peek();
        if (next.t === 'op' && next.v === '(') {
          i++;
          const args: Node[] = [];
          if (!(peek().t === 'op' && (peek() as { v: string }).v === ')')) {
            do args.push(expr(0));
            while (peek().t === 'op' && (peek() as { v: string }).v === ',' && ++i);
          }
          expect(')');
          if (!(lower in FUNCTIONS)) throw new FilterSyntaxError(`unknown function '${t.v}' (known: ${Object.keys(FUNCTIONS).join(', ')})`, t.p);
          return { k: 'call', fn: lower, args };
        }
        return { k: 'field', path: t.v };
      }
      case 'op':
        if (t.v === '(') {
          const e = expr(0);
          expect(')');
          return e;
        }
        if (t.v === 'not' || t.v === '!') return { k: 'not', e: expr(3) };
        if (t.v === '-') return { k: 'neg', e: expr(7) };
        throw new FilterSyntaxError(`unexpected '${t.v}'`, t.p);
      case 'end':
        throw new FilterSyntaxError('unexpected end of expression', t.p);
    }
  };
  const expr = (minBp: number): Node => {
    let left = primary();
    for (;;) {
      const t = peek();
      if (t.t !== 'op' || !(t.v in BINARY)) break;
      const bp = BINARY[t.v];
      if (bp <= minBp) break;
      i++;
      const right = expr(bp);
      left = { k: 'bin', op: t.v, a: left, b: right };
    }
    return left;
  };
  const node = expr(0);
  const rest = peek();
  if (rest.t !== 'end') throw new FilterSyntaxError(`unexpected '${'v' in rest ? String(rest.v) : ''}'`, rest.p);
  return node;
}

const FUNCTIONS: Record<string, (...xs: Value[]) => Value> = {
  abs: (x) => (typeof x === 'number' ? Math.abs(x) : undefined),
  len: (x) => (typeof x === 'string' ? x.length : undefined),
  lower: (x) => (typeof x === 'string' ? x.toLowerCase() : undefined),
  isnan: (x) => typeof x === 'number' && Number.isNaN(x),
  has: (x) => x !== undefined && x !== null,
};

/** The fields a filter can name; also the autocomplete list shown under the filter box. */
export const FILTER_FIELDS = [
  'step', 'group', 'sample', 'split', 'quadrant',
  'perception', 'perception.accuracy', 'perception.format', 'perception.length', 'perception.judge',
  'reasoning', 'reasoning.accuracy', 'reasoning.format', 'reasoning.length', 'reasoning.judge',
  'advantage', 'adv.perception', 'adv.reasoning', 'adv.grpo',
  'score', 'rewards.<key>', 'extra.<key>',
  'prompt', 'completion', 'observation', 'think', 'answer', 'gt',
];

/** Resolves a dotted field path on a rollout; `segments` is computed lazily once per rollout. */
export function fieldOf(r: Rollout, path: string, cache: { seg?: ReturnType<typeof segmentsOf>; rule?: QuadrantRule } = {}): Value {
  const [head, ...rest] = path.split('.');
  const sub = rest.join('.');
  const proc = (b: Rollout['perception']) => {
    if (!b) return undefined;
    if (!sub || sub === 'total') return b.total;
    if (sub === 'judge' || sub === 'verdict') return b.judge?.verdict;
    if (sub === 'explanation') return b.judge?.explanation;
    return (b as Record<string, Value>)[sub === 'acc' ? 'accuracy' : sub];
  };
  const seg = () => (cache.seg ??= segmentsOf(r.completion));
  switch (head) {
    case 'step':
      return r.step;
    case 'group':
      return r.groupId;
    case 'sample':
      return r.sampleIdx;
    case 'split':
      return r.split;
    case 'quadrant':
      return quadrantOf(r, cache.rule);
    case 'perception':
      return proc(r.perception);
    case 'reasoning':
      return proc(r.reasoning);
    case 'advantage':
      if (!sub) return r.advantage ?? undefined;
      return sub === 'perception' || sub === 'reasoning' || sub === 'grpo' ? r.advantages?.[sub] : undefined;
    case 'adv':
      return sub === 'perception' || sub === 'reasoning' || sub === 'grpo' ? r.advantages?.[sub] : undefined;
    case 'rewards':
      return r.rewards[sub];
    case 'extra': {
      const v = r.extra[sub];
      return typeof v === 'object' ? JSON.stringify(v) : (v as Value);
    }
    case 'prompt':
      return r.prompt;
    case 'completion':
      return r.completion;
    case 'gt':
      return r.groundTruth;
    case 'observation':
    case 'think':
    case 'answer':
      return seg()[head];
    default:
      return path in r.rewards ? r.rewards[path] : undefined;
  }
}

function evaluate(n: Node, r: Rollout, cache: { seg?: ReturnType<typeof segmentsOf>; rule?: QuadrantRule }): Value {
  switch (n.k) {
    case 'lit':
      return n.v;
    case 'field':
      return fieldOf(r, n.path, cache);
    case 'not':
      return !truthy(evaluate(n.e, r, cache));
    case 'neg': {
      const v = evaluate(n.e, r, cache);
      return typeof v === 'number' ? -v : undefined;
    }
    case 'call':
      return FUNCTIONS[n.fn](...n.args.map((a) => evaluate(a, r, cache)));
    case 'bin': {
      if (n.op === 'and' || n.op === '&&') return truthy(evaluate(n.a, r, cache)) && truthy(evaluate(n.b, r, cache));
      if (n.op === 'or' || n.op === '||') return truthy(evaluate(n.a, r, cache)) || truthy(evaluate(n.b, r, cache));
      const a = evaluate(n.a, r, cache);
      const b = evaluate(n.b, r, cache);
      switch (n.op) {
        case '==':
        case '=':
          if (b === null) return a === null || a === undefined;
          return a !== undefined && (a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b)));
        case '!=':
          if (b === null) return a !== null && a !== undefined;
          return a !== undefined && a !== b;
        case '<':
        case '<=':
        case '>':
        case '>=':
          if (typeof a !== typeof b || a === undefined || a === null || b === null || b === undefined) return false;
          return n.op === '<' ? a < b : n.op === '<=' ? a <= b : n.op === '>' ? a > b : a >= b;
        case 'contains':
          return typeof a === 'string' && typeof b === 'string' && a.toLowerCase().includes(b.toLowerCase());
        case 'matches':
          return typeof a === 'string' && typeof b === 'string' && safeRegex(b)?.test(a) === true;
        case '+':
          return typeof a === 'number' && typeof b === 'number' ? a + b : typeof a === 'string' && typeof b === 'string' ? a + b : undefined;
        case '-':
        case '*':
        case '/':
          if (typeof a !== 'number' || typeof b !== 'number') return undefined;
          return n.op === '-' ? a - b : n.op === '*' ? a * b : a / b;
      }
      return undefined;
    }
  }
}

const regexCache = new Map<string, RegExp | null>();
function safeRegex(src: string): RegExp | null {
  if (!regexCache.has(src)) {
    try {
      regexCache.set(src, new RegExp(src, 'i'));
    } catch {
      regexCache.set(src, null);
    }
  }
  return regexCache.get(src)!;
}

const truthy = (v: Value) => v !== undefined && v !== null && v !== false && v !== 0 && v !== '' && !(typeof v === 'number' && Number.isNaN(v));

/** Compiles an expression once into a predicate. Throws FilterSyntaxError with a position. */
/** `rule`: how `quadrant` is decided (the run's quadrant rule). */
export function compileFilter(src: string, rule?: QuadrantRule): (r: Rollout) => boolean {
  if (!src.trim()) return () => true;
  const ast = parseFilter(src);
  return (r) => truthy(evaluate(ast, r, { rule }));
}

/** What the filter bar sends to the worker. */
export interface FilterSpec {
  expr: string;
  search: string;
  quadrants: readonly string[];
  /** The run's quadrant rule; by default derived from the rollouts filtered (`quadrantRule`). */
  rule?: QuadrantRule;
}

export interface FilterHit {
  step: number;
  groupId: string;
  sampleIdx: number;
}

/** Rollouts matching expression, search text and quadrant set (empty set = any quadrant). */
export function applyFilter(rollouts: readonly Rollout[], spec: FilterSpec): FilterHit[] {
  const rule = spec.rule ?? quadrantRule(rollouts);
  const pred = compileFilter(spec.expr, rule);
  const q = spec.search.toLowerCase();
  const quads = new Set(spec.quadrants);
  const hits: FilterHit[] = [];
  for (const r of rollouts) {
    if (quads.size && !quads.has(quadrantOf(r, rule) ?? '')) continue;
    if (q && !(r.completion.toLowerCase().includes(q) || r.prompt.toLowerCase().includes(q))) continue;
    if (!pred(r)) continue;
    hits.push({ step: r.step, groupId: r.groupId, sampleIdx: r.sampleIdx });
  }
  return hits.sort((a, b) => a.step - b.step || (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0) || a.sampleIdx - b.sampleIdx);
}
