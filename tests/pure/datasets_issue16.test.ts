// Issue 16: imports at Video-R1 scale. (1) A skipped record is findable however many media issues
// come before it: the manifest keeps a bounded sample per issue code, the issue store keeps every
// issue, and the report exports as JSON Lines. (2) A second import of the same content is detected
// by hash and offers open / replace / copy. (3) A new import clears the previous job's summary.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { fileEntries, type SourceFileLike } from '../../src/data/importers';
import { writeShards } from '../../src/data/writer';
import { MAX_ISSUES_PER_CODE, newManifest } from '../../src/data/manifest';
import { openDataDb } from '../../src/data/db';
import { dataError } from '../../src/data/errors';
import { issueReportLines, readIssues } from '../../src/data/issues';
import { datasetsStore } from '../../src/store/datasets';

function record(i: number, extra: Record<string, unknown> = {}) {
  return { problem_id: i, problem: `Question ${i}?`, data_type: 'video', problem_type: 'numerical', solution: `<answer>${i}</answer>`, path: `./clips/${i}.mp4`, data_source: 'test', ...extra };
}

function file(name: string, text: string): SourceFileLike {
  const blob = new Blob([text]);
  return { name, size: blob.size, lastModified: 0, stream: () => blob.stream() };
}

/** The issue's reproduction: records 1..210 have missing media, record 211 lacks `solution`. */
function noisyFile(): string {
  return Array.from({ length: 215 }, (_, i) => {
    const r = record(i + 1);
    if (i + 1 === 211) delete (r as Partial<typeof r>).solution;
    return JSON.stringify(r);
  }).join('\n');
}

const missingMedia = async (r: { path: string; problem_id: string | number }) => {
  if (Number(r.problem_id) <= 210) throw dataError('MediaMissing', `${r.path} is not in the picked media folder`);
  return [];
};

describe('bad records behind media noise (issue 16.1)', () => {
  it('keeps the skipped record in the summary sample and every issue in the store, exported as JSON Lines', async () => {
    const db = await openDataDb('issue16-noise');
    const m = await writeShards(db, newManifest({ id: 'n', name: 'n', kind: 'video-r1' }), fileEntries([file('noisy.jsonl', noisyFile())], { media: missingMedia, onMediaError: 'keep' }), { shardSamples: 64, shardBytes: 1 << 20 });
    expect(m.progress).toMatchObject({ imported: 214, skipped: 1, keptWithoutMedia: 210, byReason: { MediaMissing: 210, MissingField: 1 } });
    // The manifest's sample: bounded per code, and the skipped record is in it.
    const missing = m.progress.issues.find((i) => i.code === 'MissingField');
    expect(missing).toMatchObject({ file: 'noisy.jsonl', line: 211, problemId: '211', field: 'solution', action: 'skipped' });
    expect(m.progress.issues.filter((i) => i.code === 'MediaMissing').length).toBe(MAX_ISSUES_PER_CODE);
    // The store: every issue, filterable by code.
    expect((await readIssues(db, 'n')).length).toBe(211);
    expect((await readIssues(db, 'n', { code: 'MissingField' })).map((i) => i.line)).toEqual([211]);
    const page = await readIssues(db, 'n', { code: 'MediaMissing', offset: 200, limit: 50 });
    expect(page.map((i) => i.line)).toEqual([201, 202, 203, 204, 205, 206, 207, 208, 209, 210]);
    // The report: one JSON object per issue with file, line, id, field, code, message.
    const lines = [];
    for await (const l of issueReportLines(db, m)) lines.push(JSON.parse(l));
    expect(lines.length).toBe(211);
    expect(lines[210]).toEqual({ file: 'noisy.jsonl', line: 211, id: '211', field: 'solution', code: 'MissingField', message: "The record has no 'solution'.", action: 'skipped' });
    expect(Object.keys(lines[0])).toEqual(['file', 'line', 'id', 'field', 'code', 'message', 'action']);
  });
});

describe('the issue store (issue 16.1)', () => {
  it('reads back mixed kinds over many commits in source order, all or one kind, at any offset', async () => {
    const db = await openDataDb('issue16-mixed');
    // Three kinds in turn over 150 records, commits of 4 samples: dozens of chunks, several per commit.
    const text = Array.from({ length: 150 }, (_, i) => {
      if (i % 5 === 1) return JSON.stringify(record(i, { problem: 7 }));
      if (i % 5 === 3) return '{"cut';
      return JSON.stringify(record(i));
    }).join('\n');
    const media = async (r: { problem_id: string | number }) => {
      if (Number(r.problem_id) % 2 === 0) throw dataError('MediaMissing', 'gone');
      return [];
    };
    const m = await writeShards(db, newManifest({ id: 'mix', name: 'mix', kind: 'video-r1' }), fileEntries([file('mix.jsonl', text)], { media, onMediaError: 'skip' }), { shardSamples: 4, shardBytes: 1 << 20 });
    const all = await readIssues(db, 'mix');
    expect(all.length).toBe(m.progress.skipped);
    expect(all.map((i) => i.record)).toEqual([...all.map((i) => i.record)].sort((a, b) => a - b));
    for (const code of Object.keys(m.progress.byReason)) {
      const one = await readIssues(db, 'mix', { code });
      expect(one.length).toBe(m.progress.byReason[code]);
      expect(one).toEqual(all.filter((i) => i.code === code));
      expect(await readIssues(db, 'mix', { code, offset: 7, limit: 5 })).toEqual(one.slice(7, 12));
    }
    expect(await readIssues(db, 'mix', { offset: 33, limit: 40 })).toEqual(all.slice(33, 73));
    const lines = [];
    for await (const l of issueReportLines(db, m)) lines.push(l);
    expect(lines.length).toBe(all.length);
  });
});

function deferredFile(name: string, text: string): { file: SourceFileLike; release: () => void } {
  const bytes = new TextEncoder().encode(text);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let reads = 0;
  return {
    release,
    file: {
      name,
      size: bytes.length,
      lastModified: 0,
      // Content hashing reads the file once before the import; the import's read waits for the gate.
      stream: () =>
        new ReadableStream<Uint8Array>({
          async start(c) {
            if (reads++ > 0) await gate;
            c.enqueue(bytes);
            c.close();
          },
        }),
    },
  };
}

describe('the datasets store (issues 16.2 and 16.3)', () => {
  const text = Array.from({ length: 30 }, (_, i) => JSON.stringify(record(i))).join('\n');

  it('detects a second import of the same content under another name, and opens, replaces or copies as asked', async () => {
    const store = datasetsStore;
    await store.getState().importFiles({ files: [file('a.jsonl', text)] });
    const first = store.getState().datasets.filter((d) => d.kind !== 'synthetic');
    expect(first.length).toBe(1);
    // Same bytes, another file name: not imported again; the page offers choices.
    await store.getState().importFiles({ files: [file('renamed.jsonl', text)] });
    expect(store.getState().datasets.length).toBe(1);
    expect(store.getState().duplicate).toMatchObject({ existing: { id: first[0].id, name: 'a.jsonl' } });
    // Open: selects the existing dataset.
    await store.getState().resolveDuplicate('open');
    expect(store.getState().duplicate).toBeNull();
    expect(store.getState().selectedId).toBe(first[0].id);
    // Copy: a second dataset under a new name.
    await store.getState().importFiles({ files: [file('renamed.jsonl', text)] });
    await store.getState().resolveDuplicate('copy', 'a copy');
    expect(store.getState().datasets.map((d) => [d.name, d.counts.samples])).toEqual([
      ['a.jsonl', 30],
      ['a copy', 30],
    ]);
    // Replace: the offered dataset goes once the fresh import is complete; the copy stays.
    await store.getState().importFiles({ files: [file('a.jsonl', text)] });
    expect(store.getState().duplicate?.existing.id).toBe(first[0].id);
    await store.getState().resolveDuplicate('replace');
    const after = store.getState().datasets;
    expect(after.map((d) => [d.name, d.counts.samples, d.progress.state])).toEqual([
      ['a copy', 30, 'complete'],
      ['a.jsonl', 30, 'complete'],
    ]);
    expect(after.map((d) => d.id)).not.toContain(first[0].id);
    // Different content is imported at once.
    await store.getState().importFiles({ files: [file('a.jsonl', text + '\n' + JSON.stringify(record(99)))] });
    expect(store.getState().duplicate).toBeNull();
    expect(store.getState().datasets.length).toBe(3);
    for (const d of store.getState().datasets) await store.getState().remove(d.id);
  });

  it('resumes an interrupted import of the same content instead of asking', async () => {
    const store = datasetsStore;
    const m = newManifest({ id: 'cut', name: 'cut.jsonl', kind: 'video-r1', files: [{ name: 'cut.jsonl', size: new Blob([text]).size, lastModified: 0 }], options: { shardSamples: 10 } });
    const db = await openDataDb();
    // An import cancelled after its first shard.
    const cancelled = new AbortController();
    let n = 0;
    const stop = async function* () {
      for await (const e of fileEntries([file('cut.jsonl', text)])) {
        if (n++ === 12) cancelled.abort();
        yield e;
      }
    };
    const { contentHash } = await import('../../src/data/hash');
    const hashed = { ...m, source: { ...m.source, contentHash: await contentHash([file('cut.jsonl', text)]) } };
    const partial = await writeShards(db, hashed, stop(), { shardSamples: 10, shardBytes: 1 << 20, signal: cancelled.signal });
    expect(partial.progress.state).toBe('cancelled');
    store.setState({ datasets: [partial] });
    await store.getState().importFiles({ files: [file('cut.jsonl', text)] });
    expect(store.getState().duplicate).toBeNull();
    const done = store.getState().datasets;
    expect(done.map((d) => [d.id, d.progress.state, d.counts.samples])).toEqual([['cut', 'complete', 30]]);
    await store.getState().remove('cut');
  });

  it("clears the previous import's summary while a new import runs", async () => {
    const store = datasetsStore;
    await store.getState().importFiles({ files: [file('first.jsonl', text)] });
    expect(store.getState().lastSummary?.name).toBe('first.jsonl');
    const second = deferredFile('second.jsonl', text + '\n' + JSON.stringify(record(77)));
    const running = store.getState().importFiles({ files: [second.file] });
    for (let i = 0; i < 200 && !store.getState().job; i++) await new Promise((r) => setTimeout(r, 5));
    expect(store.getState().job).not.toBeNull();
    expect(store.getState().lastSummary).toBeNull();
    second.release();
    await running;
    expect(store.getState().lastSummary?.name).toBe('second.jsonl');
    for (const d of store.getState().datasets) await store.getState().remove(d.id);
  });
});
