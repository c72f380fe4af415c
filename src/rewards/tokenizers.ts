// Tokenizers for counting segment lengths (method.md §1.5.4, §1.7, §6.2): whitespace words, UTF-8
// bytes, and a byte-level BPE reading a Hugging Face tokenizer.json such as Qwen2.5's. Each encode()
// returns ids and [start, end) offsets in UTF-16 code units of the input (JS string indices).

import type { Encoding, Tokenizer } from './types';

/** A tokenizer spec or tokenizer.json that this module cannot read; `hint` says what to do. */
export class TokenizerSpecError extends Error {
  readonly code = 'TokenizerSpec';
  constructor(
    message: string,
    readonly hint = 'use a Hugging Face tokenizer.json with a ByteLevel BPE model (as Qwen2.5 or GPT-2 ship)',
  ) {
    super(`${message} (${hint})`);
    this.name = 'TokenizerSpecError';
  }
}

// ---------------------------------------------------------------------------------------------
// Whitespace and bytes

/** 32-bit FNV-1a hash of a string's UTF-16 code units: a stable id for a word without a vocabulary. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** One token per maximal run of non-whitespace (JS \s); ids are FNV-1a hashes of the token text. */
export class WhitespaceTokenizer implements Tokenizer {
  readonly name = 'whitespace';

  encode(text: string): Encoding {
    const ids: number[] = [];
    const offsets: [number, number][] = [];
    for (const m of text.matchAll(/\S+/g)) {
      ids.push(fnv1a(m[0]));
      offsets.push([m.index, m.index + m[0].length]);
    }
    return { ids, offsets };
  }

  count(text: string): number {
    return text.match(/\S+/g)?.length ?? 0;
  }
}

/** UTF-8 bytes of one code point (a lone surrogate encodes as U+FFFD, as TextEncoder does). */
function utf8Bytes(cp: number): number[] {
  if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
  if (cp < 0x80) return [cp];
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 0x3f)];
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)];
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)];
}

/** Calls fn(codePoint, start, end) for each code point of text, with its UTF-16 span. */
function forEachCodePoint(text: string, fn: (cp: number, start: number, end: number) => void): void {
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const end = i + (cp > 0xffff ? 2 : 1);
    fn(cp, i, end);
    i = end;
  }
}

/** One token per UTF-8 byte, id = the byte; each byte's offsets are the span of its code point. */
export class Utf8ByteTokenizer implements Tokenizer {
  readonly name = 'bytes';

  encode(text: string): Encoding {
    const ids: number[] = [];
    const offsets: [number, number][] = [];
    forEachCodePoint(text, (cp, start, end) => {
      for (const b of utf8Bytes(cp)) {
        ids.push(b);
        offsets.push([start, end]);
      }
    });
    return { ids, offsets };
  }

  count(text: string): number {
    let n = 0;
    forEachCodePoint(text, (cp) => (n += utf8Bytes(cp).length));
    return n;
  }
}

// ---------------------------------------------------------------------------------------------
// Byte-level BPE (GPT-2, Qwen2)

/** GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to U+0100 upwards. */
function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const table = new Array<string>(256);
  for (const b of bs) table[b] = String.fromCharCode(b);
  let n = 0;
  for (let b = 0; b < 256; b++) if (table[b] === undefined) table[b] = String.fromCharCode(256 + n++);
  return table;
}
const BYTE_TO_UNICODE = bytesToUnicode();
const UNICODE_TO_BYTE = new Map(BYTE_TO_UNICODE.map((ch, b) => [ch, b]));

/** Qwen2's pre-tokenizer regex, as written in its tokenizer.json (Oniguruma syntax). */
export const QWEN2_PRETOKENIZE_REGEX =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
/** GPT-2's, used by a ByteLevel pre-tokenizer with use_regex = true. */
export const GPT2_PRETOKENIZE_REGEX =
  "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/**
 * Translates a tokenizer.json regex (Oniguruma) to a JS RegExp with the 'u' flag: \s and \S become
 * \p{White_Space} and \P{White_Space} (Oniguruma's Unicode \s; JS \s lacks U+0085 and adds U+FEFF),
 * and a scoped case-insensitive group (?i:…) of literal text becomes a plain group with [xX] classes
 * (Node 20 has no regex modifiers). Other inline flags are refused.
 */
export function translateRegex(pattern: string): RegExp {
  let out = '';
  let inClass = false;
  // Stack of open groups; true where the group is a (?i:…) group.
  const groups: boolean[] = [];
  const caseless = (): boolean => groups.includes(true);
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      const next = pattern[i + 1];
      if (next === 's') out += '\\p{White_Space}';
      else if (next === 'S') out += '\\P{White_Space}';
      else if ((next === 'p' || next === 'P') && pattern[i + 2] === '{') {
        const close = pattern.indexOf('}', i);
        out += pattern.slice(i, close + 1);
        i = close;
        continue;
      } else out += ch + next;
      i++;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      else if (caseless() && /[a-zA-Z]/.test(ch)) {
        throw new TokenizerSpecError(`letters inside a character class under (?i:…) in ${JSON.stringify(pattern)}`);
      }
      out += ch;
      continue;
    }
    if (ch === '[') {
      inClass = true;
      out += ch;
      if (pattern[i + 1] === '^') out += pattern[++i];
      if (pattern[i + 1] === ']') out += '\\' + pattern[++i]; // a literal ']' first in a class
      continue;
    }
    if (ch === '(') {
      if (pattern.startsWith('(?i:', i)) {
        groups.push(true);
        out += '(?:';
        i += 3;
        continue;
      }
      if (pattern[i + 1] === '?' && /[a-zA-Z-]/.test(pattern[i + 2] ?? '') && !/[<=!:]/.test(pattern[i + 2])) {
        throw new TokenizerSpecError(`unsupported inline flags in ${JSON.stringify(pattern)}`);
      }
      groups.push(false);
      out += ch;
      continue;
    }
    if (ch === ')') groups.pop();
    if (caseless() && /[a-zA-Z]/.test(ch) && ch.toLowerCase() !== ch.toUpperCase()) {
      out += `[${ch.toLowerCase()}${ch.toUpperCase()}]`;
      continue;
    }
    out += ch;
  }
  return new RegExp(out, 'gu');
}

type SplitBehavior = 'Isolated' | 'Removed' | 'MergedWithPrevious' | 'MergedWithNext';

/** One pre-tokenizer split: a regex and what to do with its matches. */
interface SplitStep {
  regex: RegExp;
  behavior: SplitBehavior;
}

type NormalForm = 'NFC' | 'NFD' | 'NFKC' | 'NFKD';

interface AddedToken {
  id: number;
  content: string;
}

/** A [start, end) range into the normalized text. */
type Piece = [number, number];

/** Splits one piece by a regex, keeping match and gap pieces as the behaviour says. */
function splitPiece(text: string, [start, end]: Piece, step: SplitStep): Piece[] {
  const sub = text.slice(start, end);
  const out: Piece[] = [];
  let cursor = 0;
  let pendingMatch: Piece | null = null; // MergedWithNext: a match waiting for the next gap
  const pushGap = (a: number, b: number): void => {
    if (a >= b) return;
    if (pendingMatch) {
      out.push([pendingMatch[0], start + b]);
      pendingMatch = null;
    } else out.push([start + a, start + b]);
  };
  step.regex.lastIndex = 0;
  for (const m of sub.matchAll(step.regex)) {
    const a = m.index;
    const b = a + m[0].length;
    if (a === b) continue; // empty matches make no piece
    pushGap(cursor, a);
    const match: Piece = [start + a, start + b];
    if (step.behavior === 'Isolated') {
      if (pendingMatch) out.push(pendingMatch);
      pendingMatch = null;
      out.push(match);
    } else if (step.behavior === 'MergedWithPrevious') {
      const prev = out[out.length - 1];
      if (prev && prev[1] === match[0]) prev[1] = match[1];
      else out.push(match);
    } else if (step.behavior === 'MergedWithNext') {
      if (pendingMatch) out.push(pendingMatch);
      pendingMatch = match;
    }
    cursor = b;
  }
  pushGap(cursor, sub.length);
  if (pendingMatch) out.push(pendingMatch);
  return out;
}

/** A code point that normalization never joins with what precedes it: a safe place to cut the text. */
function isNormalizationBoundary(ch: string, cp: number, form: NormalForm): boolean {
  if (cp < 0x80) return true;
  if (/\p{M}/u.test(ch)) return false; // combining marks (every second element of a composition is one)
  if ((cp >= 0x1100 && cp <= 0x11ff) || (cp >= 0xa960 && cp <= 0xa97f) || (cp >= 0xd7b0 && cp <= 0xd7ff)) return false; // Hangul jamo
  return ch.normalize(form) === ch;
}

/**
 * Unicode-normalizes text and maps every UTF-16 unit of the result to the [start, end) span of the
 * original text it came from. The text is cut before characters normalization never joins
 * backwards, and each chunk normalized on its own; a chunk that changes maps all its output to the
 * chunk's whole span (the usual case, text already normalized, maps one to one).
 */
function normalizeWithOffsets(text: string, form: NormalForm | null): { normalized: string; starts: number[]; ends: number[] } {
  const starts: number[] = [];
  const ends: number[] = [];
  if (form === null || text.normalize(form) === text) {
    for (let i = 0; i < text.length; i++) {
      starts.push(i);
      ends.push(i + 1);
    }
    // A surrogate pair maps both units to the pair's span.
    forEachCodePoint(text, (cp, a, b) => {
      if (b - a === 2) {
        starts[a + 1] = a;
        ends[a] = b;
      }
    });
    return { normalized: text, starts, ends };
  }
  const cuts: number[] = [];
  forEachCodePoint(text, (cp, a) => {
    if (a > 0 && isNormalizationBoundary(String.fromCodePoint(cp), cp, form)) cuts.push(a);
  });
  cuts.push(text.length);
  let normalized = '';
  let from = 0;
  for (const to of cuts) {
    const chunk = text.slice(from, to);
    const out = chunk.normalize(form);
    if (out === chunk) {
      const inner = normalizeWithOffsets(chunk, null);
      for (let k = 0; k < out.length; k++) {
        starts.push(from + inner.starts[k]);
        ends.push(from + inner.ends[k]);
      }
    } else {
      for (let k = 0; k < out.length; k++) {
        starts.push(from);
        ends.push(to);
      }
    }
    normalized += out;
    from = to;
  }
  return { normalized, starts, ends };
}

function asRecord(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TokenizerSpecError(`${what} is not an object`);
  }
  return value as Record<string, unknown>;
}

function readNormalizer(spec: unknown): NormalForm | null {
  if (spec === null || spec === undefined) return null;
  const n = asRecord(spec, 'normalizer');
  if (n.type === 'NFC' || n.type === 'NFD' || n.type === 'NFKC' || n.type === 'NFKD') return n.type;
  if (n.type === 'Sequence' && Array.isArray(n.normalizers)) {
    const forms = n.normalizers.map(readNormalizer).filter((f): f is NormalForm => f !== null);
    if (forms.length > 1) throw new TokenizerSpecError('more than one Unicode normalization in a Sequence');
    return forms[0] ?? null;
  }
  throw new TokenizerSpecError(`unsupported normalizer ${JSON.stringify(n.type)}`);
}

function readPattern(p: unknown): string {
  const pattern = asRecord(p, 'Split pattern');
  if (typeof pattern.Regex === 'string') return pattern.Regex;
  if (typeof pattern.String === 'string') return pattern.String.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  throw new TokenizerSpecError('Split pattern has neither Regex nor String');
}

/** Reads the pre-tokenizer into split steps; requires exactly one ByteLevel, last. */
function readPreTokenizer(spec: unknown): SplitStep[] {
  const p = asRecord(spec, 'pre_tokenizer');
  const list = p.type === 'Sequence' && Array.isArray(p.pretokenizers) ? p.pretokenizers : [p];
  const steps: SplitStep[] = [];
  let byteLevel = false;
  list.forEach((item, i) => {
    const step = asRecord(item, 'pre_tokenizer step');
    if (step.type === 'Split') {
      if (step.invert === true) throw new TokenizerSpecError('Split with invert = true is not supported');
      const behavior = (step.behavior ?? 'Isolated') as string;
      if (!['Isolated', 'Removed', 'MergedWithPrevious', 'MergedWithNext'].includes(behavior)) {
        throw new TokenizerSpecError(`Split behaviour ${behavior} is not supported`);
      }
      steps.push({ regex: translateRegex(readPattern(step.pattern)), behavior: behavior as SplitBehavior });
    } else if (step.type === 'ByteLevel') {
      if (i !== list.length - 1) throw new TokenizerSpecError('ByteLevel must be the last pre-tokenizer');
      if (step.add_prefix_space === true) throw new TokenizerSpecError('ByteLevel add_prefix_space = true is not supported');
      if (step.use_regex !== false) steps.push({ regex: translateRegex(GPT2_PRETOKENIZE_REGEX), behavior: 'Isolated' });
      byteLevel = true;
    } else {
      throw new TokenizerSpecError(`unsupported pre-tokenizer ${JSON.stringify(step.type)}`);
    }
  });
  if (!byteLevel) throw new TokenizerSpecError('the pre-tokenizer has no ByteLevel step');
  return steps;
}

/** Cleared when full, to bound memory on long documents. */
const CACHE_LIMIT = 50_000;

/**
 * Byte-level BPE from a Hugging Face tokenizer.json: added tokens are matched first (leftmost,
 * longest) on the raw text; the rest is Unicode-normalized, split by the pre-tokenizer regexes,
 * mapped to GPT-2 byte characters and merged by rank. Offsets are untrimmed and cover whole code
 * points, so a token holding part of a multi-byte character spans all of it (as in HF tokenizers).
 * Not supported: lstrip/rstrip/single_word on added tokens, dropout, unk/byte fallback.
 */
export class HfBpeTokenizer implements Tokenizer {
  readonly name: string;
  private readonly cache = new Map<string, string[]>();
  private readonly idToTokenMap: Map<number, string>;
  private readonly addedById: Map<number, AddedToken>;
  private readonly addedFirstUnits: Set<string>;

  private constructor(
    private readonly vocab: Map<string, number>,
    private readonly ranks: Map<string, number>,
    private readonly added: AddedToken[],
    private readonly normalizer: NormalForm | null,
    private readonly steps: SplitStep[],
    private readonly ignoreMerges: boolean,
    name: string,
  ) {
    this.name = name;
    this.idToTokenMap = new Map([...vocab].map(([token, id]) => [id, token]));
    this.addedById = new Map(added.map((t) => [t.id, t]));
    this.addedFirstUnits = new Set(added.map((t) => t.content[0]));
    // Longest first, so the first match at a position is the longest.
    this.added.sort((a, b) => b.content.length - a.content.length);
  }

  static fromJSON(json: unknown, name = 'hf-bpe'): HfBpeTokenizer {
    const root = asRecord(typeof json === 'string' ? JSON.parse(json) : json, 'tokenizer.json');
    const model = asRecord(root.model, 'model');
    if (model.type !== undefined && model.type !== 'BPE') throw new TokenizerSpecError(`model type ${String(model.type)} is not BPE`);
    if (model.continuing_subword_prefix || model.end_of_word_suffix) {
      throw new TokenizerSpecError('continuing_subword_prefix / end_of_word_suffix are not supported');
    }
    const vocab = new Map<string, number>();
    for (const [token, id] of Object.entries(asRecord(model.vocab, 'model.vocab'))) {
      if (typeof id !== 'number') throw new TokenizerSpecError(`vocab id of ${JSON.stringify(token)} is not a number`);
      vocab.set(token, id);
    }
    if (!Array.isArray(model.merges)) throw new TokenizerSpecError('model.merges is not a list');
    const ranks = new Map<string, number>();
    model.merges.forEach((merge: unknown, rank: number) => {
      const pair = typeof merge === 'string' ? merge.split(' ') : merge;
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
        throw new TokenizerSpecError(`merge ${rank} is neither "a b" nor [a, b]: ${JSON.stringify(merge)}`);
      }
      if (!vocab.has(pair[0] + pair[1])) throw new TokenizerSpecError(`merge ${rank} makes ${JSON.stringify(pair[0] + pair[1])}, which is not in the vocab`);
      const key = pairKey(pair[0], pair[1]);
      if (!ranks.has(key)) ranks.set(key, rank);
    });
    const added: AddedToken[] = [];
    for (const t of Array.isArray(root.added_tokens) ? root.added_tokens : []) {
      const token = asRecord(t, 'added token');
      if (typeof token.id !== 'number' || typeof token.content !== 'string' || token.content === '') {
        throw new TokenizerSpecError(`added token ${JSON.stringify(t)} lacks id or content`);
      }
      added.push({ id: token.id, content: token.content });
    }
    return new HfBpeTokenizer(
      vocab,
      ranks,
      added,
      readNormalizer(root.normalizer),
      readPreTokenizer(root.pre_tokenizer),
      model.ignore_merges === true,
      name,
    );
  }

  encode(text: string): Encoding {
    const ids: number[] = [];
    const offsets: [number, number][] = [];
    let from = 0;
    const encodePlain = (to: number): void => {
      if (to > from) this.encodeSpan(text.slice(from, to), from, ids, offsets);
    };
    for (let i = 0; i < text.length; ) {
      const hit = this.addedFirstUnits.has(text[i]) ? this.added.find((t) => text.startsWith(t.content, i)) : undefined;
      if (hit) {
        encodePlain(i);
        ids.push(hit.id);
        offsets.push([i, i + hit.content.length]);
        i += hit.content.length;
        from = i;
      } else i++;
    }
    encodePlain(text.length);
    return { ids, offsets };
  }

  count(text: string): number {
    return this.encode(text).ids.length;
  }

  /** Text of a token sequence: byte-level tokens back to UTF-8 bytes, added tokens verbatim. */
  decode(ids: readonly number[]): string {
    const decoder = new TextDecoder('utf-8');
    let out = '';
    let bytes: number[] = [];
    const flush = (): void => {
      out += decoder.decode(new Uint8Array(bytes));
      bytes = [];
    };
    for (const id of ids) {
      const added = this.addedById.get(id);
      if (added) {
        flush();
        out += added.content;
        continue;
      }
      const token = this.idToTokenMap.get(id);
      if (token === undefined) throw new TokenizerSpecError(`unknown token id ${id}`, 'decode only ids this tokenizer produced');
      for (const ch of token) {
        const b = UNICODE_TO_BYTE.get(ch);
        if (b === undefined) throw new TokenizerSpecError(`token ${JSON.stringify(token)} is not byte-level`);
        bytes.push(b);
      }
    }
    flush();
    return out;
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.get(token) ?? this.added.find((t) => t.content === token)?.id;
  }

  idToToken(id: number): string | undefined {
    return this.addedById.get(id)?.content ?? this.idToTokenMap.get(id);
  }

  /** The pre-tokenizer's pieces of text without added tokens (normalized, before the byte mapping). */
  preTokenize(text: string): string[] {
    const normalized = normalizeWithOffsets(text, this.normalizer).normalized;
    return this.split(normalized).map(([a, b]) => normalized.slice(a, b));
  }

  private split(normalized: string): Piece[] {
    let pieces: Piece[] = [[0, normalized.length]];
    for (const step of this.steps) pieces = pieces.flatMap((p) => splitPiece(normalized, p, step));
    return pieces;
  }

  /** Encodes text without added tokens; `base` is its offset in the full input. */
  private encodeSpan(text: string, base: number, ids: number[], offsets: [number, number][]): void {
    const { normalized, starts, ends } = normalizeWithOffsets(text, this.normalizer);
    const pieces = this.split(normalized);

    for (const [pieceStart, pieceEnd] of pieces) {
      // Each byte of the piece, as a GPT-2 byte character, with the original span of its code point.
      let word = '';
      const byteStart: number[] = [];
      const byteEnd: number[] = [];
      forEachCodePoint(normalized.slice(pieceStart, pieceEnd), (cp, a, b) => {
        for (const byte of utf8Bytes(cp)) {
          word += BYTE_TO_UNICODE[byte];
          byteStart.push(base + starts[pieceStart + a]);
          byteEnd.push(base + ends[pieceStart + b - 1]);
        }
      });
      let byteIndex = 0;
      for (const token of this.bpe(word)) {
        const id = this.vocab.get(token);
        if (id === undefined) throw new TokenizerSpecError(`token ${JSON.stringify(token)} is not in the vocab`, 'the vocab must hold all 256 byte characters');
        ids.push(id);
        // Byte characters are single UTF-16 units, so a token's length is its byte count.
        offsets.push([byteStart[byteIndex], byteEnd[byteIndex + token.length - 1]]);
        byteIndex += token.length;
      }
    }
  }

  /** GPT-2's bpe(): repeatedly merge every occurrence of the lowest-ranked adjacent pair. */
  private bpe(word: string): string[] {
    const cached = this.cache.get(word);
    if (cached) return cached;
    let symbols = [...word];
    if (this.ignoreMerges && this.vocab.has(word)) symbols = [word];
    while (symbols.length > 1) {
      let best = Infinity;
      let bestAt = -1;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const rank = this.ranks.get(pairKey(symbols[i], symbols[i + 1]));
        if (rank !== undefined && rank < best) {
          best = rank;
          bestAt = i;
        }
      }
      if (bestAt === -1) break;
      const a = symbols[bestAt];
      const b = symbols[bestAt + 1];
      const merged: string[] = [];
      for (let i = 0; i < symbols.length; ) {
        if (i + 1 < symbols.length && symbols[i] === a && symbols[i + 1] === b) {
          merged.push(a + b);
          i += 2;
        } else merged.push(symbols[i++]);
      }
      symbols = merged;
    }
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(word, symbols);
    return symbols;
  }
}

/** Key of a merge pair; '\u0000' never occurs in a byte-level token (byte 0 maps to 'Ā'). */
function pairKey(a: string, b: string): string {
  return `${a}\u0000${b}`;
}

export type TokenizerSpec = 'whitespace' | 'bytes' | object;

/** 'whitespace', 'bytes', or a parsed tokenizer.json object. */
export function tokenizerFromSpec(spec: TokenizerSpec): Tokenizer {
  if (spec === 'whitespace') return new WhitespaceTokenizer();
  if (spec === 'bytes') return new Utf8ByteTokenizer();
  if (typeof spec === 'object' && spec !== null) return HfBpeTokenizer.fromJSON(spec);
  throw new TokenizerSpecError(`unknown tokenizer spec ${JSON.stringify(spec)}`, "use 'whitespace', 'bytes' or a tokenizer.json object");
}
