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
export const VOCAB_SIZE = 260;

const SPECIAL_NAMES: Record<number, string> = { [BOS]: '<bos>', [EOS]: '<eos>', [PAD]: '<pad>', [FRAME]: '<frame>' };

export function isSpecial(id: number): boolean {
  return id >= BYTE_TOKENS;
}

/** Encodes text as UTF-8 bytes, with each byte's character span. No specials are added. */
export function encode(text: string): Encoding {
  const ids: number[] = [];
  const offsets: [number, number][] = [];
  const utf8 = new TextEncoder();
  for (let i = 0; i < text.length; ) {
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
    if (isSpecial(id) || id < 0) {
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
  encode,
  count: (text: string) => new TextEncoder().encode(text).length,
};
