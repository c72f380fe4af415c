import { describe, expect, it } from 'vitest';
import { PIECES_V1, VOCAB_SIZE, decodeWithOffsets, describe as describeIds, encode, isSpecial, modelTokenizer, vocabularySize, EOS } from '../../src/model/tokenizer';
import { syntheticRlPrompts, PRESET_SYNTHETIC } from '../../src/train/rl_data';
import { parseCompletion } from '../../src/rewards/template';
import { makeConfig } from '../../src/model/config';

describe('the pieces-v1 vocabulary', () => {
  it('adds its pieces after the bytes and the four specials', () => {
    expect(vocabularySize('bytes')).toBe(VOCAB_SIZE);
    expect(vocabularySize('pieces-v1')).toBe(VOCAB_SIZE + PIECES_V1.length);
    expect(new Set(PIECES_V1).size).toBe(PIECES_V1.length);
    expect(isSpecial(VOCAB_SIZE)).toBe(false);
    expect(isSpecial(EOS)).toBe(true);
  });

  it('encodes by greedy longest match, with exact character offsets, and decodes back', () => {
    const text = '<observation>red moves left; blue moves up</observation> <think>left and up differ</think><answer>different ways</answer>';
    const enc = encode(text, 'pieces-v1');
    expect(enc.ids.length).toBeLessThan(text.length / 3);
    expect(enc.ids[0]).toBe(VOCAB_SIZE + PIECES_V1.indexOf('<observation>'));
    enc.offsets.forEach(([s, e], i) => {
      expect(e).toBeGreaterThan(s);
      if (i > 0) expect(s).toBe(enc.offsets[i - 1][1]);
    });
    expect(enc.offsets.at(-1)![1]).toBe(text.length);
    const dec = decodeWithOffsets(enc.ids);
    expect(dec.text).toBe(text);
    expect(dec.offsets).toEqual(enc.offsets);
    expect(describeIds([...enc.ids, EOS])).toBe(`${text}<eos>`);
  });

  it('falls back to bytes for text outside the pieces, so every string round-trips', () => {
    for (const text of ['Zebra 3.5 px/frame', 'café ✓ 🎥', 'redo', '']) {
      const enc = encode(text, 'pieces-v1');
      expect(decodeWithOffsets(enc.ids).text).toBe(text);
    }
  });

  it('never lets a token straddle the end of </observation>, so the process split stays exact', () => {
    for (const p of syntheticRlPrompts(20, 3, PRESET_SYNTHETIC.tiny)) {
      const gold = p.gold!;
      const end = parseCompletion(gold).perceptionEnd!;
      expect(end).toBeGreaterThan(0);
      const { offsets } = encode(gold, 'pieces-v1');
      expect(offsets.some(([s, e]) => s < end && e > end)).toBe(false);
    }
  });

  it('makes the tiny questions at least 3x shorter than bytes', () => {
    let bytes = 0;
    let pieces = 0;
    for (const p of syntheticRlPrompts(30, 5, PRESET_SYNTHETIC.tiny)) {
      const text = p.prompt + p.gold!;
      bytes += encode(text).ids.length;
      pieces += encode(text, 'pieces-v1').ids.length;
    }
    expect(bytes / pieces).toBeGreaterThan(3);
  });

  it('counts tokens for the length rewards in the model vocabulary', () => {
    expect(modelTokenizer('pieces-v1').count('<answer>B</answer>')).toBe(3);
    expect(modelTokenizer('bytes').count('<answer>B</answer>')).toBe(18);
  });

  it('is what the tiny preset uses, and the config rejects a vocabulary size that does not match', () => {
    const tiny = makeConfig('tiny');
    expect(tiny.model.vocabulary).toBe('pieces-v1');
    expect(tiny.model.vocabSize).toBe(vocabularySize('pieces-v1'));
    expect(() => makeConfig('tiny', { model: { vocabSize: VOCAB_SIZE } })).toThrow(/vocabSize/);
  });
});
