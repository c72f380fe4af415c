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

type Cache = { seg?: ReturnType<typeof segmentsOf>; rule?: QuadrantRule };
type Getter = (r: Rollout, cache: Cache) => Value;

/**
 * The reader of one dotted field path, resolved once per expression (not once per rollout: a filter
 * over 100k rollouts would split the path 100k times); `segments` is computed lazily once per rollout.
 */
export function fieldGetter(path: string): Getter {
  const [head, ...rest] = path.split('.');
  const sub = rest.join('.');
  const proc = (pick: (r: Rollout) => Rollout['perception']): Getter => {
    if (!sub || sub === 'total') return (r) => pick(r)?.total;
    if (sub === 'judge' || sub === 'verdict') return (r) => pick(r)?.judge?.verdict;
    if (sub === 'explanation') return (r) => pick(r)?.judge?.explanation;
    const key = sub === 'acc' ? 'accuracy' : sub;
    return (r) => {
      const b = pick(r);
      return b ? (b as Record<string, Value>)[key] : undefined;
    };
  };
  const adv = (k: string): Getter => (k === 'perception' || k === 'reasoning' || k === 'grpo' ? (r) => r.advantages?.[k] : () => undefined);
  switch (head) {
    case 'step':
      return (r) => r.step;
    case 'group':
      return (r) => r.groupId;
    case 'sample':
      return (r) => r.sampleIdx;
    case 'split':
      return (r) => r.split;
    case 'quadrant':
      return (r, cache) => quadrantOf(r, cache.rule);
    case 'perception':
      return proc((r) => r.perception);
    case 'reasoning':
      return proc((r) => r.reasoning);
    case 'advantage':
      return sub ? adv(sub) : (r) => r.advantage ?? undefined;
    case 'adv':
      return adv(sub);
    case 'rewards':
      return (r) => r.rewards[sub];
    case 'extra':
      return (r) => {
        const v = r.extra[sub];
        return typeof v === 'object' ? JSON.stringify(v) : (v as Value);
      };
    case 'prompt':
      return (r) => r.prompt;
    case 'completion':
      return (r) => r.completion;
    case 'gt':
      return (r) => r.groundTruth;
    case 'observation':
    case 'think':
    case 'answer':
      return (r, cache) => (cache.seg ??= segmentsOf(r.completion))[head];
    default:
      return (r) => (path in r.rewards ? r.rewards[path] : undefined);
  }
}

/** Resolves a dotted field path on a rollout. */
export function fieldOf(r: Rollout, path: string, cache: Cache = {}): Value {
  return fieldGetter(path)(r, cache);
}

/** Compiles the AST once into closures (no eval / new Function: the CSP forbids them). */
function compileNode(n: Node): Getter {
  switch (n.k) {
    case 'lit': {
      const v = n.v;
      return () => v;
    }
    case 'field':
      return fieldGetter(n.path);
    case 'not': {
      const e = compileNode(n.e);
      return (r, c) => !truthy(e(r, c));
    }
    case 'neg': {
      const e = compileNode(n.e);
      return (r, c) => {
        const v = e(r, c);
        return typeof v === 'number' ? -v : undefined;
      };
    }
    case 'call': {
      const fn = FUNCTIONS[n.fn];
      const args = n.args.map(compileNode);
      return (r, c) => fn(...args.map((a) => a(r, c)));
    }
    case 'bin': {
      const a = compileNode(n.a);
      const b = compileNode(n.b);
      switch (n.op) {
        case 'and':
        case '&&':
          return (r, c) => truthy(a(r, c)) && truthy(b(r, c));
        case 'or':
        case '||':
          return (r, c) => truthy(a(r, c)) || truthy(b(r, c));
        case '==':
        case '=':
          return (r, c) => {
            const x = a(r, c);
            const y = b(r, c);
            if (y === null) return x === null || x === undefined;
            return x !== undefined && (x === y || (typeof x === 'number' && typeof y === 'number' && Number.isNaN(x) && Number.isNaN(y)));
          };
        case '!=':
          return (r, c) => {
            const x = a(r, c);
            const y = b(r, c);
            if (y === null) return x !== null && x !== undefined;
            return x !== undefined && x !== y;
          };
        case '<':
        case '<=':
        case '>':
        case '>=': {
          const op = n.op;
          return (r, c) => {
            const x = a(r, c);
            const y = b(r, c);
            if (typeof x !== typeof y || x === undefined || x === null || y === null || y === undefined) return false;
            return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
          };
        }
        case 'contains':
          // Case-insensitive: a regular expression of the escaped needle, built once per needle, is
          // faster than lower-casing every rollout's text.
          return (r, c) => {
            const x = a(r, c);
            const y = b(r, c);
            return typeof x === 'string' && typeof y === 'string' && containsIgnoringCase(x, y);
          };
        case 'matches':
          return (r, c) => {
            const x = a(r, c);
            const y = b(r, c);
            return typeof x === 'string' && typeof y === 'string' && safeRegex(y)?.test(x) === true;
          };
        case '+':
          return (r, c) => {
            const x = a(r, c);
            const y = b(r, c);
            return typeof x === 'number' && typeof y === 'number' ? x + y : typeof x === 'string' && typeof y === 'string' ? x + y : undefined;
          };
        case '-':
        case '*':
        case '/': {
          const op = n.op;
          return (r, c) => {
            const x = a(r, c);
            const y = b(r, c);
            if (typeof x !== 'number' || typeof y !== 'number') return undefined;
            return op === '-' ? x - y : op === '*' ? x * y : x / y;
          };
        }
      }
      return () => undefined;
    }
  }
}

const literalCache = new Map<string, RegExp>();
/** `needle` occurs in `text`, ignoring case (as `text.toLowerCase().includes(needle.toLowerCase())`). */
export function containsIgnoringCase(text: string, needle: string): boolean {
  // Non-ASCII needles keep the lower-casing (full Unicode case mapping, which /i does not do).
  if (!/^[\x00-\x7f]*$/.test(needle)) return text.toLowerCase().includes(needle.toLowerCase());
  let re = literalCache.get(needle);
  if (!re) {
    if (literalCache.size > 256) literalCache.clear();
    literalCache.set(needle, (re = new RegExp(needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i')));
  }
  return re.test(text);
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
  const run = compileNode(parseFilter(src));
  return (r) => truthy(run(r, { rule }));
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

/** Positions in `rollouts` of those matching expression, search text and quadrant set (empty set = any quadrant). */
export function filterPositions(rollouts: readonly Rollout[], spec: FilterSpec): Int32Array {
  const rule = spec.rule ?? quadrantRule(rollouts);
  const pred = compileFilter(spec.expr, rule);
  const q = spec.search.toLowerCase();
  const quads = new Set(spec.quadrants);
  const out = new Int32Array(rollouts.length);
  let n = 0;
  for (let i = 0; i < rollouts.length; i++) {
    const r = rollouts[i];
    if (quads.size && !quads.has(quadrantOf(r, rule) ?? '')) continue;
    if (q && !(containsIgnoringCase(r.completion, q) || containsIgnoringCase(r.prompt, q))) continue;
    if (!pred(r)) continue;
    out[n++] = i;
  }
  return out.slice(0, n);
}

/** Rollouts matching expression, search text and quadrant set (empty set = any quadrant), in hit order. */
export function applyFilter(rollouts: readonly Rollout[], spec: FilterSpec): FilterHit[] {
  const hits = Array.from(filterPositions(rollouts, spec), (i): FilterHit => ({ step: rollouts[i].step, groupId: rollouts[i].groupId, sampleIdx: rollouts[i].sampleIdx }));
  // The store reads runs in this order already (by step, group, sample): then there is nothing to sort.
  let sorted = true;
  for (let i = 1; i < hits.length && sorted; i++) sorted = compareHits(hits[i - 1], hits[i]) <= 0;
  return sorted ? hits : hits.sort(compareHits);
}

/**
 * Hits as the filter worker sends them: typed arrays (transferred, not copied) and each group id once,
 * instead of one object per hit (25k hits took ~65 ms to copy into the page).
 */
export interface PackedHits {
  steps: Int32Array;
  samples: Int32Array;
  /** Index into `groupIds` per hit. */
  groupRefs: Int32Array;
  groupIds: string[];
}

/** Packs the hits at `positions` of `rollouts` (in hit order). */
export function packHits(rollouts: readonly Rollout[], positions: Int32Array): PackedHits {
  const n = positions.length;
  const packed: PackedHits = { steps: new Int32Array(n), samples: new Int32Array(n), groupRefs: new Int32Array(n), groupIds: [] };
  let lastGroup: string | null = null;
  let lastStep = NaN;
  for (let k = 0; k < n; k++) {
    const r = rollouts[positions[k]];
    if (r.groupId !== lastGroup || r.step !== lastStep) {
      packed.groupIds.push(r.groupId);
      lastGroup = r.groupId;
      lastStep = r.step;
    }
    packed.steps[k] = r.step;
    packed.samples[k] = r.sampleIdx;
    packed.groupRefs[k] = packed.groupIds.length - 1;
  }
  return packed;
}

export function unpackHits(p: PackedHits): FilterHit[] {
  const out: FilterHit[] = new Array(p.steps.length);
  for (let k = 0; k < p.steps.length; k++) out[k] = { step: p.steps[k], groupId: p.groupIds[p.groupRefs[k]], sampleIdx: p.samples[k] };
  return out;
}

/** Step, then group id, then sample: the order of the hits (and of the group list they make). */
export function compareHits(a: FilterHit, b: FilterHit): number {
  return a.step - b.step || (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0) || a.sampleIdx - b.sampleIdx;
}

/** Sorts a run's rollouts in hit order once, so that each filter's hits come out sorted. */
export function sortForFilter<T extends FilterHit>(rollouts: T[]): T[] {
  return rollouts.sort(compareHits);
}
