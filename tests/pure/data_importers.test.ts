// Importers: JSON list and JSON Lines splitting, record normalisation (Video-R1 and the VideoP2R
// release with stringified values), per-record issues, gzip parts in order, media policy, resume.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { JsonRecordSplitter } from '../../src/data/jsonstream';
import { normalizeRecord, parseOptions, stripTag } from '../../src/data/records';
import { fileEntries, orderFiles, type SourceFileLike } from '../../src/data/importers';
import { dataError } from '../../src/data/errors';
import type { SourceEntry } from '../../src/data/writer';
import { writeShards } from '../../src/data/writer';
import { newManifest } from '../../src/data/manifest';
import { openDataDb } from '../../src/data/db';
import { DatasetReader } from '../../src/data/reader';

const VIDEO_R1 = {
  problem_id: 2,
  problem: "What appears on the screen in Russian during the missile's ascent?",
  data_type: 'video',
  problem_type: 'multiple choice',
  options: ['A. A YouTube subscription notification', 'B. A military command', 'C. A warning message', 'D. A weather update'],
  solution: '<answer>A</answer>',
  path: './LLaVA-Video-178K/30_60_s_youtube_v0_1/ytb_xxx.mp4',
  data_source: 'LLaVA-Video-178K/30_60_s_youtube_v0_1',
};

function file(name: string, content: string | Uint8Array): SourceFileLike {
  const blob = new Blob([content as BlobPart]);
  return { name, size: blob.size, lastModified: 0, stream: () => blob.stream() };
}

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function collect(it: AsyncIterable<SourceEntry>): Promise<SourceEntry[]> {
  const out: SourceEntry[] = [];
  for await (const e of it) out.push(e);
  return out;
}

function splitAll(text: string, chunk = 7) {
  const s = new JsonRecordSplitter();
  const out = [];
  for (let i = 0; i < text.length; i += chunk) out.push(...s.push(text.slice(i, i + chunk)));
  out.push(...s.end());
  return { records: out, splitter: s };
}

describe('the record splitter', () => {
  it('splits a pretty-printed JSON list into records with their starting lines, across chunk boundaries', () => {
    const text = JSON.stringify([VIDEO_R1, { ...VIDEO_R1, problem_id: 3, problem: 'a, "quoted" ] } [ text' }], null, 2);
    const { records, splitter } = splitAll(text);
    expect(records.map((r) => JSON.parse(r.text).problem_id)).toEqual([2, 3]);
    expect(records[0].line).toBe(2);
    expect(records[1].line).toBe(text.split('\n').findIndex((l, i) => i > 2 && l.trim() === '{') + 1);
    expect(splitter.format).toBe('list');
  });

  it('splits JSON Lines, skipping blank lines but counting them', () => {
    const { records } = splitAll(`{"a":1}\n\n{"a":2}\r\n{"a":3}`);
    expect(records.map((r) => [r.line, JSON.parse(r.text).a])).toEqual([
      [1, 1],
      [3, 2],
      [4, 3],
    ]);
  });

  it('returns the unterminated tail of a truncated list so it is reported', () => {
    const { records, splitter } = splitAll('[{"a":1},{"a":2},{"a":');
    expect(records.map((r) => r.text)).toEqual(['{"a":1}', '{"a":2}', '{"a":']);
    expect(splitter.unterminated).toBe(true);
  });
});

describe('record normalisation', () => {
  it('keeps a Video-R1 record as it is', () => {
    const r = normalizeRecord(VIDEO_R1, 'x');
    expect('record' in r && r.record).toEqual({ ...VIDEO_R1, data_type: 'video' });
  });

  it('reads the VideoP2R RL file, where every value is a string', () => {
    const rl = {
      problem_id: '17',
      problem: 'Which colour is the car?',
      problem_type: 'multiple choice',
      options: "['A. red', \"B. it's blue\", 'C. green']",
      solution: '<answer>B</answer>',
      path: './images/car.jpg',
      data_source: 'General',
      data_type: 'image',
      reward: '0.8',
      select: 'True',
      observation: '<observation>A blue car.</observation>',
      process: '<think>It is blue.</think>',
    };
    const r = normalizeRecord(rl, 'x');
    if (!('record' in r)) throw new Error(JSON.stringify(r));
    expect(r.record).toMatchObject({ problem_id: 17, options: ['A. red', "B. it's blue", 'C. green'], reward: 0.8, select: true, observation: 'A blue car.', process: 'It is blue.' });
    expect(r.record.output).toBe('<observation>A blue car.</observation> <think>It is blue.</think><answer>B</answer>');
  });

  it('parses stringified options as JSON, as a Python literal, or one per line', () => {
    expect(parseOptions('["A. x", "B. y"]')).toEqual(['A. x', 'B. y']);
    expect(parseOptions("['A. x', 'B. \\'y\\'']")).toEqual(['A. x', "B. 'y'"]);
    expect(parseOptions('A. x\nB. y\n')).toEqual(['A. x', 'B. y']);
    expect(parseOptions('[]')).toEqual([]);
    expect(parseOptions(undefined)).toEqual([]);
    expect(parseOptions(42)).toBeNull();
  });

  it('builds the Video-R1 SFT target from process and solution', () => {
    const r = normalizeRecord({ ...VIDEO_R1, process: '<think>Let me think.</think>' }, 'x');
    expect('record' in r && r.record.output).toBe('<think>Let me think.</think>\n<answer>A</answer>');
  });

  it('names the missing field, the unknown problem type and the wrong type', () => {
    const { solution: _, ...noSolution } = VIDEO_R1;
    expect(normalizeRecord(noSolution, 'x')).toEqual({ problem: { code: 'MissingField', field: 'solution', message: "The record has no 'solution'." } });
    expect(normalizeRecord({ ...VIDEO_R1, problem_type: 'essay' }, 'x')).toMatchObject({ problem: { code: 'UnknownProblemType', field: 'problem_type' } });
    expect(normalizeRecord({ ...VIDEO_R1, problem: 3 }, 'x')).toMatchObject({ problem: { code: 'InvalidField', field: 'problem' } });
    expect(normalizeRecord([1], 'x')).toMatchObject({ problem: { code: 'NotAnObject' } });
    expect(normalizeRecord({ ...VIDEO_R1, options: [] }, 'x')).toMatchObject({ problem: { code: 'InvalidField', field: 'options' } });
  });

  it('accepts problem type spellings and infers the data type from the path', () => {
    const r = normalizeRecord({ ...VIDEO_R1, problem_type: 'Multiple-Choice', data_type: undefined, path: './a/b.png' }, 'x');
    expect('record' in r && [r.record.problem_type, r.record.data_type]).toEqual(['multiple choice', 'image']);
  });

  it('strips an optional wrapping tag only', () => {
    expect(stripTag(' <think> a </think> ', 'think')).toBe('a');
    expect(stripTag('a <think>b</think>', 'think')).toBe('a <think>b</think>');
  });
});

describe('importing files', () => {
  const lines = [
    JSON.stringify(VIDEO_R1),
    '{"problem_id": 3, "problem": broken',
    JSON.stringify({ ...VIDEO_R1, problem_id: 4, problem_type: 'essay' }),
    JSON.stringify({ ...VIDEO_R1, problem_id: 5 }),
  ].join('\n');

  it('reports each bad line with file, line, id and field, and keeps the good records', async () => {
    const entries = await collect(fileEntries([file('train.jsonl', lines)]));
    expect(entries.map((e) => e.position)).toEqual([0, 1, 2, 3]);
    expect(entries.filter((e) => e.sample).map((e) => e.sample!.record.problem_id)).toEqual([2, 5]);
    expect(entries[1].issues![0]).toMatchObject({ code: 'InvalidJson', file: 'train.jsonl', line: 2, record: 1, action: 'skipped' });
    expect(entries[2].issues![0]).toMatchObject({ code: 'UnknownProblemType', line: 3, problemId: '4', field: 'problem_type' });
  });

  it('resumes from a position without repeating a record', async () => {
    const entries = await collect(fileEntries([file('train.jsonl', lines)], { from: 2 }));
    expect(entries.map((e) => e.position)).toEqual([2, 3]);
  });

  it('reads gzip-compressed VideoP2R parts in release order', async () => {
    const part = async (n: number, ids: number[]) => file(`VideoP2R-263k_rl.part${n}of2.json.gz`, await gzip(JSON.stringify(ids.map((id) => ({ ...VIDEO_R1, problem_id: String(id), options: JSON.stringify(VIDEO_R1.options) })))));
    const files = [await part(2, [3, 4]), await part(1, [1, 2])];
    expect(orderFiles(files).map((f) => f.name)).toEqual(['VideoP2R-263k_rl.part1of2.json.gz', 'VideoP2R-263k_rl.part2of2.json.gz']);
    const entries = await collect(fileEntries(files));
    expect(entries.map((e) => e.sample?.record.problem_id)).toEqual([1, 2, 3, 4]);
    expect(entries[0].sample!.record.options).toEqual(VIDEO_R1.options);
  });

  it('fails with DecompressionFailed on a .gz file that is not gzip', async () => {
    await expect(collect(fileEntries([file('x.json.gz', '[{}]')]))).rejects.toMatchObject({ code: 'DecompressionFailed' });
  });

  it('skips or keeps a record whose media is missing, as the user chose', async () => {
    const media = async (r: { problem_id: string | number }) => {
      if (r.problem_id === 5) throw dataError('MediaMissing', 'not in the folder: ./x.mp4');
      return [{ encoding: 'rgba8' as const, width: 1, height: 1, time: 0, bytes: new Uint8Array(4) }];
    };
    const skip = await collect(fileEntries([file('t.jsonl', lines)], { media, onMediaError: 'skip' }));
    expect(skip[3].sample).toBeUndefined();
    expect(skip[3]).toMatchObject({ position: 3, issues: [{ code: 'MediaMissing', field: 'path', action: 'skipped', problemId: '5' }] });
    expect(skip[0].sample!.frames.length).toBe(1);
    const keep = await collect(fileEntries([file('t.jsonl', lines)], { media, onMediaError: 'keep' }));
    expect(keep[3]).toMatchObject({ sample: { frames: [], mediaError: 'MediaMissing' }, issues: [{ action: 'kept-without-media' }] });
  });

  it('fails with SourceUnreadable naming the file when a picked file goes away mid-read, keeps the complete shards, and resumes with every record once', async () => {
    const db = await openDataDb('importers-unreadable');
    const text = Array.from({ length: 100 }, (_, i) => JSON.stringify({ ...VIDEO_R1, problem_id: i })).join('\n');
    const bytes = new TextEncoder().encode(text);
    // Chrome's File.stream() errors with NotReadableError / NotFoundError when the file was moved or deleted.
    const vanishing: SourceFileLike = {
      name: 'moved.jsonl',
      size: bytes.length,
      lastModified: 0,
      stream: () =>
        (() => {
          let pulls = 0;
          return new ReadableStream<Uint8Array>({
            pull(c) {
              if (pulls++ === 0) c.enqueue(bytes.subarray(0, Math.floor(bytes.length * 0.6)));
              else c.error(new DOMException('A requested file or directory could not be found at the time an operation was processed.', 'NotFoundError'));
            },
          });
        })(),
    };
    const m0 = newManifest({ id: 'u', name: 'u', kind: 'video-r1' });
    const error = await writeShards(db, m0, fileEntries([vanishing]), { shardSamples: 16, shardBytes: 1 << 20 }).catch((e) => e);
    expect(error).toMatchObject({ code: 'SourceUnreadable' });
    expect(error.message).toMatch(/^moved\.jsonl could not be read: A requested file/);
    expect(error.hint).toMatch(/pick it again and resume/);
    const { getManifest } = await import('../../src/data/db');
    const failed = (await getManifest(db, 'u'))!;
    expect(failed.progress.state).toBe('failed');
    expect(failed.progress.error?.code).toBe('SourceUnreadable');
    expect(failed.counts.samples % 16).toBe(0); // whole shards only
    expect(failed.counts.samples).toBeGreaterThan(0);
    // Picked again, the import resumes at the cursor: every record exactly once.
    const done = await writeShards(db, failed, fileEntries([file('moved.jsonl', text)], { from: failed.progress.cursor }), { shardSamples: 16, shardBytes: 1 << 20 });
    expect(done.progress.state).toBe('complete');
    const reader = await DatasetReader.open(db, 'u');
    const ids: unknown[] = [];
    for await (const s of reader.stream()) ids.push(s.record.problem_id);
    expect(ids).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('writes an imported file into shards with a summary of what was skipped and why', async () => {
    const db = await openDataDb('importers-e2e');
    const big = Array.from({ length: 300 }, (_, i) => (i % 50 === 7 ? '{bad' : JSON.stringify({ ...VIDEO_R1, problem_id: i }))).join('\n');
    const m = await writeShards(db, newManifest({ id: 'v', name: 'v', kind: 'video-r1' }), fileEntries([file('big.jsonl', big)]), { shardSamples: 64, shardBytes: 1 << 20 });
    expect(m.progress).toMatchObject({ state: 'complete', cursor: 300, imported: 294, skipped: 6, byReason: { InvalidJson: 6 } });
    expect(m.progress.issues.map((i) => i.line)).toEqual([8, 58, 108, 158, 208, 258]);
    const reader = await DatasetReader.open(db, 'v');
    expect((await reader.getById(299))?.record.problem_id).toBe(299);
  });
});
