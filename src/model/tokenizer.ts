// Byte-level tokenizer: a token is one UTF-8 byte (ids 0..255), plus four special ids.
//
// Why bytes and not a BPE trained on the dataset: (1) no vocabulary to train, version and ship, so a
// checkpoint's meaning never depends on a side file; (2) every string round-trips, including
// whatever a half-trained policy samples; (3) a token never straddles a tag boundary such as
// '</observation>', so the perception/reasoning split of method.md §1.7 is exact at the byte; (4) the
// embedding and LM head stay tiny (V = 260) for a model of a few million parameters. The price is
// longer sequences (≈ 1 token per character of English), which the `demo` context of 512 absorbs.
//
// Offsets are [start, end) in UTF-16 code units of the JS string (what String.prototype.indexOf and
// the rewards parser count in). Every byte of a multi-byte character carries that character's span,
// so "a token belongs to P if its start < end of P" (§1.7 rule 2) holds byte by byte.

import type { Encoding, Tokenizer } from '../rewards/types';

/** Ids 0..255 are bytes. */
export const BYTE_TOKENS = 256;
/** Start of a text sequence (after the frame tokens). */
export const BOS = 256;
/** End of a completion: the model's stop token, part of the loss. */
export const EOS = 257;
/** Padding after a sequence's valid length; never attended to, never a target. */
export const PAD = 258;
/** Placeholder id at the frame-token positions; its embedding row acts as the frame projection's bias. */
export const FRAME = 259;
/** Size of the byte vocabulary: bytes and the four specials. */
export const VOCAB_SIZE = 260;

// ---- piece vocabularies ------------------------------------------------------------------------------
//
// A piece vocabulary adds whole strings (template tags, the words of the synthetic tasks) as ids
// 260, 261, … after the byte vocabulary. Encoding is greedy longest match over the pieces, falling back
// to the character's UTF-8 bytes, so every string still encodes, every sampled id sequence still
// decodes, and a piece never straddles a tag boundary (each tag is itself a piece, or its bytes): the
// perception/reasoning split stays exact at the character. The tiny preset uses 'pieces-v1': its
// sequences are about 4x shorter than in bytes (the 60 bytes of template tags become 6 tokens), which
// is most of what makes the tiny model learn within a CPU budget (README, "Learning on a CPU").
//
// Decoding needs no configuration: ids 260 + i are piece i of PIECES_V1 (a byte-vocabulary model never
// produces them). A vocabulary is versioned by name; its list never changes once a checkpoint uses it.

export type VocabularyName = 'bytes' | 'pieces-v1';

const TAGS = ['<observation>', '</observation>', ' <think>', '<think>', '</think>', '<answer>', '</answer>'];
const WORDS_V1 = [
  'red', 'green', 'blue', 'yellow', 'purple', 'orange',
  'circle', 'square', 'triangle',
  'left', 'right', 'up', 'down',
  'moves', 'move', 'objects', 'object', 'Where', 'does', 'How', 'many', 'and', 'the', 'same', 'way', 'Do',
  'is', 'count', 'differ', 'different', 'ways', 'both', 'A.', 'B.', 'C.', 'D.',
];
/**
 * The direction question's options ("A.up") and its reasoning step's link (" is B") are single
 * tokens, so the step "left is B" (which option letter holds the observed direction) is one lookup
 * predicted right after the direction word: attend to the option token that holds "left", copy its
 * letter. Split into letters and words it is a two-hop induction that a two-layer model had not
 * learned after 450 steps of a prototype while it already saw the directions (README, "Learning on a CPU").
 */
const LETTERS_V1 = ['A', 'B', 'C', 'D'];
const OPTION_LINKS = [...LETTERS_V1.flatMap((l) => ['up', 'down', 'left', 'right'].map((d) => `${l}.${d}`)), ...LETTERS_V1.map((l) => ` is ${l}`)];
/** The pieces of 'pieces-v1', in id order (id = VOCAB_SIZE + index). Never reorder or edit. */
export const PIECES_V1: readonly string[] = [...TAGS, ...WORDS_V1, ...WORDS_V1.map((w) => ` ${w}`), ...OPTION_LINKS];

const PIECE_TABLES: Record<VocabularyName, readonly string[]> = { bytes: [], 'pieces-v1': PIECES_V1 };

/** Token ids of a vocabulary: 260 for bytes, 260 + its pieces otherwise. */
export function vocabularySize(name: VocabularyName = 'bytes'): number {
  const pieces = PIECE_TABLES[name];
  if (!pieces) throw new Error(`unknown vocabulary '${String(name)}' (known: ${Object.keys(PIECE_TABLES).join(', ')})`);
  return VOCAB_SIZE + pieces.length;
}

/** Piece lookup by first character, longest first (greedy longest match). */
const pieceIndex = new Map<VocabularyName, Map<string, { text: string; id: number }[]>>();
function piecesStartingWith(name: VocabularyName, ch: string): { text: string; id: number }[] {
  let index = pieceIndex.get(name);
  if (!index) {
    index = new Map();
    PIECE_TABLES[name].forEach((text, i) => {
      const list = index!.get(text[0]) ?? [];
      list.push({ text, id: VOCAB_SIZE + i });
      index!.set(text[0], list);
    });
    for (const list of index.values()) list.sort((a, b) => b.text.length - a.text.length);
    pieceIndex.set(name, index);
  }
  return index.get(ch) ?? [];
}

/** The text of a piece id, or undefined for bytes, specials and unknown ids. */
export function pieceText(id: number): string | undefined {
  return id >= VOCAB_SIZE ? PIECES_V1[id - VOCAB_SIZE] : undefined;
}

const SPECIAL_NAMES: Record<number, string> = { [BOS]: '<bos>', [EOS]: '<eos>', [PAD]: '<pad>', [FRAME]: '<frame>' };

export function isSpecial(id: number): boolean {
  return id >= BYTE_TOKENS && id < VOCAB_SIZE;
}

/**
 * Encodes text with each token's character span. No specials are added. With 'bytes' (the default)
 * a token is one UTF-8 byte; with a piece vocabulary, the longest piece that starts at the position,
 * else the character's bytes.
 */
export function encode(text: string, vocabulary: VocabularyName = 'bytes'): Encoding {
  const ids: number[] = [];
  const offsets: [number, number][] = [];
  const utf8 = new TextEncoder();
  const withPieces = vocabulary !== 'bytes';
  for (let i = 0; i < text.length; ) {
    if (withPieces) {
      const piece = piecesStartingWith(vocabulary, text[i]).find((p) => text.startsWith(p.text, i));
      if (piece) {
        ids.push(piece.id);
        offsets.push([i, i + piece.text.length]);
        i += piece.text.length;
        continue;
      }
    }
    const cp = text.codePointAt(i)!;
    const units = cp > 0xffff ? 2 : 1;
    // A lone surrogate encodes as U+FFFD (3 bytes), as TextEncoder does.
    const bytes = utf8.encode(text.slice(i, i + units));
    for (const b of bytes) {
      ids.push(b);
      offsets.push([i, i + units]);
    }
    i += units;
  }
  return { ids, offsets };
}

/**
 * Decodes ids (bytes and specials) to text, with each token's span in that text. Specials add no
 * text (an empty span at the current position). Invalid UTF-8 (a sampled byte sequence can be
 * anything) decodes byte by byte as U+FFFD, as TextDecoder does with replacement.
 */
export function decodeWithOffsets(ids: ArrayLike<number>): { text: string; offsets: [number, number][] } {
  const parts: string[] = [];
  const offsets: [number, number][] = new Array(ids.length);
  let pos = 0;
  let i = 0;
  while (i < ids.length) {
    const id = ids[i];
    const piece = pieceText(id);
    if (piece !== undefined) {
      offsets[i++] = [pos, pos + piece.length];
      parts.push(piece);
      pos += piece.length;
      continue;
    }
    if (id >= BYTE_TOKENS || id < 0) {
      offsets[i++] = [pos, pos];
      continue;
    }
    const need = id < 0x80 ? 1 : id >= 0xc2 && id <= 0xdf ? 2 : id >= 0xe0 && id <= 0xef ? 3 : id >= 0xf0 && id <= 0xf4 ? 4 : 0;
    let ok = need > 0 && i + need <= ids.length;
    for (let k = 1; ok && k < need; k++) {
      const c = ids[i + k];
      ok = c >= 0x80 && c <= 0xbf;
    }
    let ch = '\ufffd';
    let used = 1;
    if (ok) {
      const decoded = new TextDecoder('utf-8', { fatal: false }).decode(Uint8Array.from(Array.from({ length: need }, (_, k) => ids[i + k])));
      // Overlong or surrogate forms decode to U+FFFD: then treat the lead byte alone as invalid.
      if (!decoded.includes('\ufffd')) {
        ch = decoded;
        used = need;
      }
    }
    for (let k = 0; k < used; k++) offsets[i + k] = [pos, pos + ch.length];
    parts.push(ch);
    pos += ch.length;
    i += used;
  }
  return { text: parts.join(''), offsets };
}

export function decode(ids: ArrayLike<number>): string {
  return decodeWithOffsets(ids).text;
}

/** A readable rendering for logs and the inspector: bytes as text, specials by name. */
export function describe(ids: ArrayLike<number>): string {
  let out = '';
  let run: number[] = [];
  const flush = () => {
    if (run.length) out += decode(run);
    run = [];
  };
  for (let i = 0; i < ids.length; i++) {
    if (isSpecial(ids[i])) {
      flush();
      out += SPECIAL_NAMES[ids[i]] ?? `<${ids[i]}>`;
    } else run.push(ids[i]);
  }
  flush();
  return out;
}

/** The rewards module's Tokenizer interface (token counts for the length rewards, offsets for §1.7). */
export const byteTokenizer: Tokenizer = {
  name: 'bytes',
  encode: (text: string) => encode(text),
  count: (text: string) => new TextEncoder().encode(text).length,
};

/** The rewards module's Tokenizer of a model's vocabulary (length rewards count the model's tokens). */
export function modelTokenizer(vocabulary: VocabularyName = 'bytes'): Tokenizer {
  if (vocabulary === 'bytes') return byteTokenizer;
  return { name: vocabulary, encode: (text: string) => encode(text, vocabulary), count: (text: string) => encode(text, vocabulary).ids.length };
}
