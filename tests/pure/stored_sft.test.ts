// SFT on a stored dataset (src/train/stored_sft.ts): a stored record becomes an SFT sample (the
// preset's prompt format, the CoT output as target, the model's frames at its frame size); missing or
// broken CoTs are skipped and counted, never trained on.
import { describe, expect, it } from 'vitest';
import type { DataRecord, StoredFrame, StoredSample } from '../../src/data/types';
import { makeConfig } from '../../src/model/config';
import { sftBatch } from '../../src/train/data';
import { promptOf } from '../../src/train/rl_data';
import { pickedFrames, resizeRgba, rgbaOnlyDecoder, sftSampleOfRecord, storedSftSamples, templateProblem } from '../../src/train/stored_sft';
import { decode } from '../../src/model/tokenizer';

const COT = '<observation>a red square moves right</observation> <think>it goes right</think><answer>B</answer>';

function record(id: string, output: string | undefined): DataRecord {
  return { problem_id: id, problem: 'Where does the red square go?', problem_type: 'multiple choice', options: ['A. left', 'B. right'], solution: '<answer>B</answer>', data_type: 'video', path: 'x.mp4', data_source: 'test', ...(output !== undefined && { output }) };
}

/** A raw RGBA frame of w × h whose pixel (x, y) is (x, y, index, 255), so a resize's picks are visible. */
function frame(index: number, w: number, h: number): StoredFrame & { loads: number } {
  const bytes = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) bytes.set([x, y, index, 255], (y * w + x) * 4);
  const f = { encoding: 'rgba8' as const, width: w, height: h, time: index, byteLength: bytes.length, loads: 0, load: async () => (f.loads++, bytes) };
  return f;
}

async function* stream(samples: StoredSample[]): AsyncGenerator<StoredSample> {
  yield* samples;
}

describe('SFT samples from a stored dataset', () => {
  it('keeps valid CoTs with the preset prompt and picked, resized frames; skips and counts the rest', async () => {
    const model = makeConfig('test').model; // 2 frames of 16×16, RGB, T 160
    const videoFrames = [0, 1, 2, 3].map((i) => frame(i, 32, 24));
    const brokenFrames = [frame(9, 32, 24)];
    const samples: StoredSample[] = [
      { ordinal: 0, record: record('good', COT), frames: videoFrames },
      { ordinal: 1, record: record('no-output', undefined), frames: [] },
      { ordinal: 2, record: record('broken', '<think>right</think><answer>B</answer>'), frames: brokenFrames },
      { ordinal: 3, record: record('text-only', COT), frames: [] },
    ];
    const { samples: out, summary } = await storedSftSamples(stream(samples), { datasetId: 'd', name: 'D', total: 4, style: 'compact', model, preset: 'test', decode: rgbaOnlyDecoder });

    expect(out).toHaveLength(2);
    expect(summary).toMatchObject({ read: 4, used: 2, noOutput: 1, badTemplate: 1, withoutFrames: 1 });
    expect(summary.examples).toHaveLength(2);
    expect(summary.examples[0]).toMatch(/^no-output: no output/);
    expect(summary.examples[1]).toMatch(/^broken: .*missing <observation>/);
    expect(summary.notes.join(' ')).toContain('2 of 4 samples skipped');
    expect(summary.notes.join(' ')).toContain('no frames');
    expect(summary.notes.join(' ')).toContain('No held-out evaluation');

    const [good, textOnly] = out;
    expect(good.prompt).toBe('Where does the red square go? A. left B. right');
    expect(good.output).toBe(COT);
    expect(good.solution).toBe('<answer>B</answer>');
    // The model reads frames 0 and 3 of 4 (patchify's pick), each resized to 16×16.
    expect(good.frames.map((f) => [f.width, f.height, f.rgba[2]])).toEqual([
      [16, 16, 0],
      [16, 16, 3],
    ]);
    // Pixel (x, y) of the 16×16 frame samples (floor((x + 0.5)·32/16), floor((y + 0.5)·24/16)) of the source.
    const px = (x: number, y: number) => Array.from(good.frames[1].rgba.subarray((y * 16 + x) * 4, (y * 16 + x) * 4 + 2));
    expect(px(0, 0)).toEqual([1, 0]);
    expect(px(15, 15)).toEqual([31, 23]);
    expect(textOnly.frames).toEqual([]);
    // Frames of skipped samples and frames the model does not read are never loaded.
    expect(brokenFrames[0].loads).toBe(0);

    // The batch the trainer builds: targets are the CoT bytes then EOS.
    const batch = sftBatch(out, [0], model);
    expect(batch.targetCount).toBe(new TextEncoder().encode(COT).length + 1);
    const start = batch.completionStart[0];
    expect(decode(Array.from(batch.tokens.subarray(start, start + batch.targetCount - 1)))).toBe(COT);
  });

  it('writes the full style one option per line, as the demo preset\'s synthetic data', () => {
    const r = record('x', COT);
    const out = sftSampleOfRecord(r, [], 'full');
    expect('sample' in out && out.sample.prompt).toBe('Where does the red square go?\nA. left\nB. right');
    expect('sample' in out && out.sample.prompt).toBe(promptOf(r, 'full'));
  });

  it('names what is wrong with an output that is not a CoT', () => {
    expect(templateProblem(COT)).toBeNull();
    expect(templateProblem(undefined)).toBe('no output');
    expect(templateProblem('   ')).toBe('no output');
    expect(templateProblem('<observation>x</observation> <think>y</think>')).toMatch(/missing <answer>/);
    expect(templateProblem('B')).not.toBeNull();
  });

  it('says when the preset cannot show real images or cut the CoTs', async () => {
    const model = makeConfig('tiny').model; // palette one-hot, T 44
    const { summary } = await storedSftSamples(stream([{ ordinal: 0, record: record('good', COT), frames: [frame(0, 8, 8)] }]), {
      datasetId: 'd',
      name: 'D',
      total: 1,
      style: 'tiny',
      model,
      preset: 'tiny',
      decode: rgbaOnlyDecoder,
    });
    expect(summary.used).toBe(1);
    expect(summary.truncated).toBe(1);
    const notes = summary.notes.join(' ');
    expect(notes).toContain('one-hot');
    expect(notes).toContain('do not fit');
  });

  it('picks frames as patchify does and resizes by nearest neighbour', () => {
    expect(pickedFrames(0, 2)).toEqual([]);
    expect(pickedFrames(1, 2)).toEqual([0, 0]);
    expect(pickedFrames(8, 4)).toEqual([0, 2, 5, 7]);
    const f = { width: 2, height: 1, rgba: new Uint8Array([1, 1, 1, 1, 2, 2, 2, 2]) };
    expect(Array.from(resizeRgba(f, 2).rgba.subarray(0, 4))).toEqual([1, 1, 1, 1]);
    expect(Array.from(resizeRgba(f, 2).rgba.subarray(4, 8))).toEqual([2, 2, 2, 2]);
    expect(Array.from(resizeRgba(f, 2).rgba.subarray(8, 12))).toEqual([1, 1, 1, 1]);
  });
});
