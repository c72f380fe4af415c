// Pure tests of the model's CPU side: tokenizer, parameter layout, batch assembly, and the float64
// reference's backward against finite differences of its own loss.

import { describe, expect, it } from 'vitest';
import { makeConfig, modelDims } from '../../src/model/config';
import { ALIGN_ELEMENTS, initParams, paramLayout } from '../../src/model/params';
import { makeBatch } from '../../src/model/batch';
import { referenceLoss, referenceLossAndGrads } from '../../src/model/reference';
import { BOS, EOS, FRAME, PAD, decodeWithOffsets, encode, byteTokenizer } from '../../src/model/tokenizer';
import { microSamples } from '../../src/train/samples';
import { Rng } from '../../src/util/rng';

describe('byte tokenizer', () => {
  it('round-trips text and gives every byte of a character that character’s span', () => {
    const text = 'a é 😀 <observation>x</observation>';
    const { ids, offsets } = encode(text);
    expect(ids.length).toBe(new TextEncoder().encode(text).length);
    expect(byteTokenizer.count(text)).toBe(ids.length);
    const back = decodeWithOffsets(ids);
    expect(back.text).toBe(text);
    expect(back.offsets).toEqual(offsets);
    // 'é' is 2 bytes, both spanning [2, 3); '😀' is 4 bytes spanning 2 UTF-16 units [4, 6).
    expect(offsets.slice(2, 4)).toEqual([[2, 3], [2, 3]]);
    expect(offsets.slice(5, 9)).toEqual([[4, 6], [4, 6], [4, 6], [4, 6]]);
  });

  it('decodes invalid UTF-8 byte by byte as U+FFFD and specials as empty spans', () => {
    const { text, offsets } = decodeWithOffsets([0x61, 0xff, 0xe2, 0x82, EOS, 0x62]);
    expect(text).toBe('a\ufffd\ufffd\ufffdb');
    expect(offsets).toEqual([[0, 1], [1, 2], [2, 3], [3, 4], [4, 4], [4, 5]]);
  });
});

describe('parameter layout', () => {
  const { model } = makeConfig('test');
  const layout = paramLayout(model);

  it('puts every tensor at a 256-byte aligned offset without overlap, decayed tensors first', () => {
    let end = 0;
    let seenNoDecay = false;
    for (const t of layout.tensors) {
      expect(t.offset % ALIGN_ELEMENTS).toBe(0);
      expect(t.offset).toBeGreaterThanOrEqual(end);
      end = t.offset + t.size;
      if (!t.decay) seenNoDecay = true;
      else expect(seenNoDecay).toBe(false);
    }
    expect(layout.total).toBeGreaterThanOrEqual(end);
    expect(layout.decayRange[0] + layout.decayRange[1]).toBe(layout.noDecayRange[0]);
  });

  it('initialises the same parameters from the same seed, and different ones from another', () => {
    const a = initParams(layout, 7);
    expect(initParams(layout, 7)).toEqual(a);
    expect(initParams(layout, 8)).not.toEqual(a);
  });
});

describe('batch assembly', () => {
  it('lays out [frames, BOS, prompt, completion, EOS, PAD] and targets only the completion', () => {
    const { model } = makeConfig('test');
    const { frameTokens } = modelDims(model);
    const [s] = microSamples(1, 3);
    const batch = makeBatch([{ frames: s.frames, prompt: s.prompt, completion: s.output }], model);
    const p = encode(s.prompt).ids.length;
    const c = encode(s.output).ids.length;
    expect(batch.tokens[0]).toBe(FRAME);
    expect(batch.tokens[frameTokens]).toBe(BOS);
    expect(batch.lengths[0]).toBe(frameTokens + 1 + p + c + 1);
    expect(batch.tokens[batch.lengths[0] - 1]).toBe(EOS);
    expect(batch.tokens[batch.lengths[0]]).toBe(PAD);
    expect(batch.targetCount).toBe(c + 1);
    expect(batch.targets[frameTokens + p]).toBe(encode(s.output).ids[0]);
    expect(batch.truncated).toBe(0);
  });
});

describe('float64 reference model', () => {
  const { model } = makeConfig('test');
  const layout = paramLayout(model);
  const samples = microSamples(2, 11);
  const batch = makeBatch(samples.map((s) => ({ frames: s.frames, prompt: s.prompt, completion: s.output })), model);

  it('starts near the uniform loss ln(V)', () => {
    const loss = referenceLoss(initParams(layout, 1), layout, model, batch);
    expect(Math.abs(loss - Math.log(model.vocabSize))).toBeLessThan(0.3);
  });

  it('has gradients equal to finite differences of its loss, on random coordinates of every tensor', () => {
    // Random (not zero) biases and LayerNorm parameters so their gradients are generic.
    const rng = new Rng(5);
    const params = Float64Array.from(initParams(layout, 2), (v) => v + 0.05 * rng.normal());
    const { grads } = referenceLossAndGrads(params, layout, model, batch);
    const h = 1e-5;
    for (const t of layout.tensors) {
      for (let probe = 0; probe < 2; probe++) {
        // wte rows of bytes not in the batch have zero gradient: probe rows that occur.
        const i = t.name === 'wte' ? batch.tokens[rng.int(batch.B * batch.T)] * model.width + rng.int(model.width) : rng.int(t.size);
        const j = t.offset + i;
        const saved = params[j];
        params[j] = saved + h;
        const plus = referenceLoss(params, layout, model, batch);
        params[j] = saved - h;
        const minus = referenceLoss(params, layout, model, batch);
        params[j] = saved;
        const fd = (plus - minus) / (2 * h);
        expect(Math.abs(grads[j] - fd), `${t.name}[${i}]: analytic ${grads[j]}, finite difference ${fd}`).toBeLessThan(1e-7 + 1e-5 * Math.abs(fd));
      }
    }
  }, 60_000);
});
