import { describe, expect, it } from 'vitest';
import {
  HfBpeTokenizer,
  QWEN2_PRETOKENIZE_REGEX,
  TokenizerSpecError,
  Utf8ByteTokenizer,
  WhitespaceTokenizer,
  tokenizerFromSpec,
  translateRegex,
} from '../../src/rewards/tokenizers';

/** GPT-2's byte-to-unicode table, rebuilt here so the fixture does not depend on the code under test. */
function byteChars(): string[] {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const table: string[] = [];
  let n = 0;
  for (let b = 0; b < 256; b++) table[b] = printable(b) ? String.fromCharCode(b) : String.fromCharCode(256 + n++);
  return table;
}

const MERGES = ['h e', 'l l', 'he ll', 'hell o', 'Ġ w', 'o r', 'Ġw or', 'l d', 'Ġwor ld', 'Ã ©', 'Ġ Ġ', 'c af', 'a f'];

/** A Qwen2.5-shaped tokenizer.json: 256 byte tokens (id = byte), a handful of merges, two added tokens. */
function tinyTokenizerJson(merges: unknown[] = MERGES, preTokenizer?: unknown): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  byteChars().forEach((ch, b) => (vocab[ch] = b));
  let next = 256;
  for (const m of merges) {
    const [a, b] = typeof m === 'string' ? m.split(' ') : (m as string[]);
    if (!(a + b in vocab)) vocab[a + b] = next++;
  }
  return {
    version: '1.0',
    added_tokens: [
      { id: 400, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
      { id: 401, content: '<|im_end|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    ],
    normalizer: { type: 'NFC' },
    pre_tokenizer: preTokenizer ?? {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: QWEN2_PRETOKENIZE_REGEX }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges },
  };
}

const bpe = HfBpeTokenizer.fromJSON(tinyTokenizerJson());

/** The pieces of text the offsets point at, in order. */
function spans(text: string, offsets: [number, number][]): string[] {
  return offsets.map(([a, b]) => text.slice(a, b));
}

/** Offsets must cover the text without gaps: consecutive spans either repeat (a split character) or abut. */
function expectContiguousCover(text: string, offsets: [number, number][]): void {
  let covered = 0;
  for (const [a, b] of offsets) {
    if (a === covered) covered = b;
    else expect([a, b]).toEqual(offsets.find(([x]) => x === a)); // a repeat of the previous character span
  }
  expect(covered).toBe(text.length);
}

describe('WhitespaceTokenizer', () => {
  it('makes one token per run of non-whitespace, with offsets into the text', () => {
    const t = new WhitespaceTokenizer();
    const text = '  <think>a b</think>\n<answer>C</answer> ';
    const e = t.encode(text);
    expect(spans(text, e.offsets)).toEqual(['<think>a', 'b</think>', '<answer>C</answer>']);
    expect(e.offsets[0]).toEqual([2, 10]);
    expect(t.count(text)).toBe(3);
    expect(e.ids[0]).toBe(t.encode('<think>a').ids[0]); // ids are stable hashes of the token text
    expect(e.ids[0]).not.toBe(e.ids[1]);
  });
});

describe('Utf8ByteTokenizer', () => {
  it('makes one token per UTF-8 byte, each pointing at its whole code point', () => {
    const t = new Utf8ByteTokenizer();
    const text = 'aé猫😀';
    const e = t.encode(text);
    expect(e.ids).toEqual([0x61, 0xc3, 0xa9, 0xe7, 0x8c, 0xab, 0xf0, 0x9f, 0x98, 0x80]);
    expect(e.offsets).toEqual([[0, 1], [1, 2], [1, 2], [2, 3], [2, 3], [2, 3], [3, 5], [3, 5], [3, 5], [3, 5]]);
    expect(t.count(text)).toBe(new TextEncoder().encode(text).length);
  });
});

describe('translateRegex', () => {
  it("turns Qwen2's (?i:'s|…) into explicit case classes and \\s into White_Space", () => {
    const re = translateRegex(QWEN2_PRETOKENIZE_REGEX);
    expect(re.source.startsWith("(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|")).toBe(true);
    expect(re.source).toContain('\\p{White_Space}');
    expect(re.flags).toBe('gu');
  });

  it('refuses inline flags it cannot translate', () => {
    expect(() => translateRegex('(?i)abc')).toThrow(TokenizerSpecError);
  });
});

describe('HfBpeTokenizer', () => {
  it("splits text with Qwen2's pre-tokenizer regex", () => {
    expect(bpe.preTokenize("Hello world, it'S 2024!\n\nOK   go")).toEqual(
      ['Hello', ' world', ',', ' it', "'S", ' ', '2', '0', '2', '4', '!\n\n', 'OK', '  ', ' go'],
    );
    // U+0085 is whitespace to Oniguruma (with JS \s the two would be one punctuation piece).
    expect(bpe.preTokenize('a\u0085\u0085b')).toEqual(['a', '\u0085', '\u0085b']);
  });

  it('merges by rank and gives ids and offsets of each token', () => {
    const text = 'hello world';
    const e = bpe.encode(text);
    expect(e.ids).toEqual([bpe.tokenToId('hello'), bpe.tokenToId('Ġworld')]);
    expect(e.offsets).toEqual([[0, 5], [5, 11]]);
    expect(bpe.count(text)).toBe(2);
  });

  it('leaves unmerged bytes as single tokens (merges are case-sensitive)', () => {
    const e = bpe.encode('Hello');
    expect(e.ids.map((id) => bpe.idToToken(id))).toEqual(['H', 'e', 'll', 'o']);
    expect(e.offsets).toEqual([[0, 1], [1, 2], [2, 4], [4, 5]]);
  });

  it('matches added tokens first, even inside a word', () => {
    const text = 'hello<|im_end|>world<|endoftext|>';
    const e = bpe.encode(text);
    expect(e.ids).toEqual([bpe.tokenToId('hello'), 401, 'w', 'or', 'ld'].map((x) => (typeof x === 'string' ? bpe.tokenToId(x) : x)).concat([400]));
    expect(spans(text, e.offsets)).toEqual(['hello', '<|im_end|>', 'w', 'or', 'ld', '<|endoftext|>']);
  });

  it('maps every byte of a multi-byte character to that character', () => {
    const text = 'café 😀';
    const e = bpe.encode(text);
    expect(e.ids.map((id) => bpe.idToToken(id))).toEqual(['caf', 'Ã©', 'Ġ', 'ð', 'Ł', 'ĺ', 'Ģ']);
    expect(e.offsets).toEqual([[0, 3], [3, 4], [4, 5], [5, 7], [5, 7], [5, 7], [5, 7]]);
  });

  it('NFC-normalizes, pointing a composed character at all the original code units it came from', () => {
    const text = 'cafe\u0301!';
    const e = bpe.encode(text);
    expect(e.ids.map((id) => bpe.idToToken(id))).toEqual(['caf', 'Ã©', '!']);
    expect(e.offsets).toEqual([[0, 3], [3, 5], [5, 6]]);
    expect(bpe.decode(e.ids)).toBe('café!');
  });

  it('round-trips text through decode, and its offsets cover the text without gaps', () => {
    const texts = [
      '<observation>Based on the question, I need to notice the red ball.</observation> <think>hmm</think><answer>B</answer>',
      'hello world\n\n  x\t1234 猫在垫子上 😀😀 it\'s <|im_end|>',
      '',
      '   ',
    ];
    for (const text of texts) {
      const e = bpe.encode(text);
      expect(bpe.decode(e.ids)).toBe(text);
      expect(e.ids.length).toBe(e.offsets.length);
      expectContiguousCover(text, e.offsets);
      // Joining each distinct span once gives the text back.
      const distinct = e.offsets.filter((o, i) => i === 0 || o[0] !== e.offsets[i - 1][0]);
      expect(spans(text, distinct).join('')).toBe(text);
    }
  });

  it('reads merges given as [a, b] pairs the same as "a b" strings', () => {
    const pairs = HfBpeTokenizer.fromJSON(tinyTokenizerJson(MERGES.map((m) => m.split(' '))));
    const text = 'hello world café';
    expect(pairs.encode(text)).toEqual(bpe.encode(text));
  });

  it("supports GPT-2's ByteLevel pre-tokenizer with use_regex", () => {
    const gpt2 = HfBpeTokenizer.fromJSON(tinyTokenizerJson(MERGES, { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true }));
    expect(gpt2.preTokenize('hello world 2024')).toEqual(['hello', ' world', ' 2024']);
    expect(gpt2.encode('hello world').offsets).toEqual([[0, 5], [5, 11]]);
  });

  it('refuses a non-BPE model or a merge whose result is not in the vocab, with a named error', () => {
    expect(() => HfBpeTokenizer.fromJSON({ ...tinyTokenizerJson(), model: { type: 'WordPiece', vocab: {} } })).toThrow(TokenizerSpecError);
    const broken = tinyTokenizerJson();
    (broken.model as { merges: string[] }).merges = ['x y'];
    delete (broken.model as { vocab: Record<string, number> }).vocab['xy'];
    expect(() => HfBpeTokenizer.fromJSON(broken)).toThrow(/not in the vocab/);
  });
});

describe('tokenizerFromSpec', () => {
  it("builds the whitespace, byte and tokenizer.json tokenizers and refuses anything else", () => {
    expect(tokenizerFromSpec('whitespace').count('a b  c')).toBe(3);
    expect(tokenizerFromSpec('bytes').count('é')).toBe(2);
    expect(tokenizerFromSpec(tinyTokenizerJson()).count('hello world')).toBe(2);
    expect(() => tokenizerFromSpec('words' as 'bytes')).toThrow(TokenizerSpecError);
  });
});
