// Shard format, manifest, atomic commits, resume and the streaming reader, on fake-indexeddb.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeShard, encodeShard, sha256Hex } from '../../src/data/shard';
import { applyShard, locate, newManifest } from '../../src/data/manifest';
import { DB_VERSION, closeDataDb, getManifest, loadShardIndexes, openDataDb, overwriteShardPayload, putManifest, deleteDataset, type DataDb } from '../../src/data/db';
import { writeShards, type SourceEntry } from '../../src/data/writer';
import { DatasetReader, loadFrameBytes, loadSampleFrames, readOrder } from '../../src/data/reader';
import { DataError } from '../../src/data/errors';
import { loadRgbaFrames } from '../../src/train/data';
import type { DataRecord, Frame, Sample } from '../../src/data/types';

function record(i: number, type: DataRecord['problem_type'] = 'numerical'): DataRecord {
  return { problem_id: i, problem: `How many things in clip ${i}?`, problem_type: type, options: [], solution: `<answer>${i % 7}</answer>`, data_type: 'video', path: `./clips/${i}.mp4`, data_source: i % 2 ? 'odd' : 'even' };
}

function frame(seed: number): Frame {
  const bytes = new Uint8Array(4 * 4 * 4).map((_, k) => (seed * 31 + k) & 255);
  return { encoding: 'rgba8', width: 4, height: 4, time: seed / 10, bytes };
}

async function* entries(from: number, to: number, opts: { badEvery?: number } = {}): AsyncGenerator<SourceEntry> {
  for (let i = from; i < to; i++) {
    if (opts.badEvery && i % opts.badEvery === 0) {
      yield { position: i, issues: [{ code: 'InvalidJson', file: 'x.jsonl', line: i + 1, record: i, message: 'bad', action: 'skipped' }] };
    } else yield { position: i, sample: { record: record(i), frames: [frame(i), frame(i + 1)] } };
  }
}

let dbCount = 0;
let names: string[] = [];
async function freshDb(): Promise<DataDb> {
  const name = `test-${dbCount++}`;
  names.push(name);
  return openDataDb(name);
}
afterEach(async () => {
  for (const n of names) await closeDataDb(n);
  names = [];
});

describe('the shard format', () => {
  it('round-trips records, frames and media errors byte for byte', () => {
    const samples: Sample[] = [
      { ordinal: 0, record: record(0, 'multiple choice'), frames: [frame(1), frame(2)] },
      { ordinal: 1, record: { ...record(1), facts: [{ id: 'f', text: 'a red circle', mentions: [['red'], ['circle']] }] }, frames: [], mediaError: 'MediaMissing' },
    ];
    const back = decodeShard(encodeShard(samples));
    expect(back.map((s) => s.record)).toEqual(samples.map((s) => s.record));
    expect(back[0].frames.map((f) => Array.from(f.bytes))).toEqual(samples[0].frames.map((f) => Array.from(f.bytes)));
    expect(back[0].frames[1]).toMatchObject({ encoding: 'rgba8', width: 4, height: 4, time: 0.2 });
    expect(back[1].mediaError).toBe('MediaMissing');
  });

  it('stores a frame shared by several samples once', () => {
    const shared = [frame(3), frame(4)];
    const five = encodeShard([0, 1, 2, 3, 4].map((i) => ({ ordinal: i, record: record(0), frames: shared })));
    const copies = encodeShard([0, 1, 2, 3, 4].map((i) => ({ ordinal: i, record: record(0), frames: shared.map((f) => ({ ...f })) })));
    expect(copies.byteLength - five.byteLength).toBeGreaterThanOrEqual(4 * 2 * 64);
    const back = decodeShard(five);
    expect(back[4].frames[1].bytes).toEqual(shared[1].bytes);
  });

  it('rejects a payload that is not a shard with ShardCorrupt', () => {
    expect(() => decodeShard(new Uint8Array(40))).toThrowError(DataError);
    try {
      decodeShard(new Uint8Array(40));
    } catch (e) {
      expect((e as DataError).code).toBe('ShardCorrupt');
    }
  });

  it('hashes with SHA-256', async () => {
    expect(await sha256Hex(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('the manifest', () => {
  it('counts samples, types, sources and issues as shards are applied', () => {
    let m = newManifest({ id: 'd', name: 'd', kind: 'video-r1', now: 0 });
    const samples: Sample[] = [0, 1, 2].map((i) => ({ ordinal: i, record: record(i), frames: [frame(i)] }));
    m = applyShard(m, { samples, payloadBytes: 100, sha256: 'x', cursor: 4, issues: [{ code: 'MissingField', file: 'f', record: 3, message: 'm', action: 'skipped' }] });
    expect(m.shards).toEqual([{ index: 0, first: 0, count: 3, bytes: 100, sha256: 'x' }]);
    expect(m.counts).toMatchObject({ samples: 3, bytes: 100, withFrames: 3, frames: 3, bySource: { even: 2, odd: 1 }, byProblemType: { numerical: 3 } });
    expect(m.progress).toMatchObject({ cursor: 4, imported: 3, skipped: 1, byReason: { MissingField: 1 } });
  });

  it('locates an ordinal in its shard', () => {
    let m = newManifest({ id: 'd', name: 'd', kind: 'video-r1' });
    for (const n of [3, 5, 2]) m = applyShard(m, { samples: Array.from({ length: n }, (_, i) => ({ ordinal: i, record: record(i), frames: [] })), payloadBytes: 1, sha256: '', cursor: 0, issues: [] });
    expect(locate(m, 0)).toEqual({ shard: 0, offset: 0 });
    expect(locate(m, 3)).toEqual({ shard: 1, offset: 0 });
    expect(locate(m, 9)).toEqual({ shard: 2, offset: 1 });
    expect(locate(m, 10)).toBeNull();
  });
});

describe('writing shards', () => {
  it('writes all samples, records skipped ones, and reads them back in order', async () => {
    const db = await freshDb();
    const m0 = newManifest({ id: 'a', name: 'a', kind: 'video-r1' });
    const m = await writeShards(db, m0, entries(0, 100, { badEvery: 10 }), { shardSamples: 16, shardBytes: 1 << 20 });
    expect(m.progress).toMatchObject({ state: 'complete', cursor: 100, imported: 90, skipped: 10 });
    expect(m.shards.length).toBe(Math.ceil(90 / 16));
    const reader = await DatasetReader.open(db, 'a');
    const ids: unknown[] = [];
    for await (const s of reader.stream()) ids.push(s.record.problem_id);
    expect(ids).toEqual(Array.from({ length: 100 }, (_, i) => i).filter((i) => i % 10 !== 0));
    expect((await reader.get(5)).record.problem_id).toBe(6);
    expect((await reader.getById(57))?.ordinal).toBe(57 - 6);
    expect(await reader.verifyAll()).toEqual([]);
    expect((await loadShardIndexes(db, 'a')).flatMap((ix) => ix.ids).length).toBe(90);
  });

  it('resumes after an interruption with every record present exactly once', async () => {
    const db = await freshDb();
    const m0 = newManifest({ id: 'r', name: 'r', kind: 'video-r1' });
    const controller = new AbortController();
    let commits = 0;
    const cancelled = await writeShards(db, m0, entries(0, 200), {
      shardSamples: 20,
      shardBytes: 1 << 20,
      signal: controller.signal,
      onProgress: () => {
        if (++commits === 4) controller.abort();
      },
    });
    expect(cancelled.progress.state).toBe('cancelled');
    const stored = (await getManifest(db, 'r'))!;
    expect(stored.progress.cursor).toBe(stored.counts.samples);
    expect(stored.counts.samples % 20).toBe(0);
    const done = await writeShards(db, stored, entries(stored.progress.cursor, 200), { shardSamples: 20, shardBytes: 1 << 20 });
    expect(done.progress.state).toBe('complete');
    const reader = await DatasetReader.open(db, 'r');
    const ids: number[] = [];
    for await (const s of reader.stream({ seed: 7 })) ids.push(s.record.problem_id as number);
    expect(ids.length).toBe(200);
    expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('streams samples with lazy frames: metadata now, bytes on load, identical to what was written', async () => {
    const db = await freshDb();
    await writeShards(db, newManifest({ id: 'l', name: 'l', kind: 'video-r1' }), entries(0, 40), { shardSamples: 16, shardBytes: 1 << 20 });
    const reader = await DatasetReader.open(db, 'l');
    let n = 0;
    for await (const s of reader.stream({ seed: 3 })) {
      const i = s.record.problem_id as number;
      expect(s.frames.map((f) => ({ encoding: f.encoding, width: f.width, height: f.height, time: f.time, byteLength: f.byteLength }))).toEqual(
        [frame(i), frame(i + 1)].map((f) => ({ encoding: f.encoding, width: f.width, height: f.height, time: f.time, byteLength: f.bytes.byteLength })),
      );
      expect('bytes' in s.frames[0]).toBe(false);
      const loaded = await loadSampleFrames(s.frames);
      expect(loaded.map((f) => [...f.bytes])).toEqual([[...frame(i).bytes], [...frame(i + 1).bytes]]);
      n++;
    }
    expect(n).toBe(40);
    // The trainer's path: stored frames to RGBA model inputs.
    const first = await reader.get(0);
    expect((await loadRgbaFrames(first.frames)).map((f) => [f.width, f.height, [...f.rgba]])).toEqual([frame(0), frame(1)].map((f) => [4, 4, [...f.bytes]]));
    // Verified reads hand out the same lazy frames (bytes already in memory).
    const verified = await reader.shard(1, true);
    expect([...(await verified[0].frames[1].load())]).toEqual([...frame(17).bytes]);
    // In-memory frames pass through the helper unchanged.
    const f = frame(9);
    expect(await loadFrameBytes(f)).toBe(f.bytes);
  });

  it('leaves the dataset as after the last complete shard when a write hits the quota', async () => {
    const db = await freshDb();
    const m0 = newManifest({ id: 'q', name: 'q', kind: 'video-r1' });
    await putManifest(db, m0);
    // The browser raises QuotaExceededError from a put (or as the transaction's error) when full.
    const proto = IDBObjectStore.prototype;
    const realPut = proto.put;
    let shardPuts = 0;
    proto.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (this.name === 'shards' && ++shardPuts === 3) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return realPut.apply(this, args);
    };
    const error = await writeShards(db, m0, entries(0, 100), { shardSamples: 10, shardBytes: 1 << 20 }).catch((e) => e);
    proto.put = realPut;
    expect(error).toBeInstanceOf(DataError);
    expect(error.code).toBe('QuotaExceeded');
    expect(error.hint).toMatch(/free space/);
    const stored = (await getManifest(db, 'q'))!;
    expect(stored.progress.state).toBe('failed');
    expect(stored.progress.error?.code).toBe('QuotaExceeded');
    expect(stored.counts.samples).toBe(20);
    expect(stored.progress.cursor).toBe(20);
    const reader = await DatasetReader.open(db, 'q');
    expect(await reader.verifyAll()).toEqual([]);
  });

  it('keeps the last complete shard and names the failed shard when a write fails for another reason than the quota', async () => {
    const db = await freshDb();
    const m0 = newManifest({ id: 'w', name: 'w', kind: 'video-r1' });
    await putManifest(db, m0);
    // A disk error, or the browser deleting the origin's data mid-import: UnknownError from the put.
    const proto = IDBObjectStore.prototype;
    const realPut = proto.put;
    let shardPuts = 0;
    proto.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (this.name === 'shards' && ++shardPuts === 3) throw new DOMException('An internal error was encountered in the Indexed Database server', 'UnknownError');
      return realPut.apply(this, args);
    };
    const error = await writeShards(db, m0, entries(0, 100), { shardSamples: 10, shardBytes: 1 << 20 }).catch((e) => e);
    proto.put = realPut;
    expect(error).toBeInstanceOf(DataError);
    expect(error.code).toBe('StorageFailed');
    expect(error.message).toMatch(/^Writing shard 2 of 'w' failed: An internal error/);
    expect(error.hint).toMatch(/retry the import to resume/);
    const stored = (await getManifest(db, 'w'))!;
    expect(stored.progress).toMatchObject({ state: 'failed', cursor: 20, error: { code: 'StorageFailed' } });
    expect(stored.counts.samples).toBe(20);
    expect(await (await DatasetReader.open(db, 'w')).verifyAll()).toEqual([]);
    // Retrying resumes at the cursor and completes with every record once.
    const done = await writeShards(db, stored, entries(20, 100), { shardSamples: 10, shardBytes: 1 << 20 });
    expect(done.progress.state).toBe('complete');
    expect(done.counts.samples).toBe(100);
  });

  it('detects a shard whose bytes no longer match its checksum', async () => {
    const db = await freshDb();
    const m = await writeShards(db, newManifest({ id: 'c', name: 'c', kind: 'video-r1' }), entries(0, 30), { shardSamples: 10, shardBytes: 1 << 20 });
    const reader = await DatasetReader.open(db, 'c');
    const { payload } = await import('../../src/data/db').then((d) => d.loadShardPayload(db, 'c', 1));
    const bad = payload.slice();
    bad[bad.length - 1] ^= 0xff;
    await overwriteShardPayload(db, 'c', 1, bad);
    expect(await reader.verifyAll()).toEqual([1]);
    await expect(reader.shard(1, true)).rejects.toMatchObject({ code: 'ChecksumMismatch' });
    expect(m.shards.length).toBe(3);
  });

  it('upgrades a version-1 database (whole payload per shard) to head + frames Blob, checksums intact', async () => {
    const name = `test-v1-${dbCount++}`;
    names.push(name);
    const samples: Sample[] = [0, 1, 2].map((i) => ({ ordinal: i, record: record(i), frames: [frame(i), frame(i + 1)] }));
    const payload = encodeShard(samples);
    const sha256 = await sha256Hex(payload);
    const m = applyShard(newManifest({ id: 'old', name: 'old', kind: 'video-r1' }), { samples, payloadBytes: payload.byteLength, sha256, cursor: 3, issues: [] });
    // The version-1 schema and record shape, written without the module.
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.open(name, 1);
      req.onupgradeneeded = () => {
        const db = req.result;
        db.createObjectStore('datasets', { keyPath: 'id' }).put({ ...m, progress: { ...m.progress, state: 'complete' } });
        db.createObjectStore('shards', { keyPath: ['datasetId', 'index'] }).put({ datasetId: 'old', index: 0, payload, sha256 });
        db.createObjectStore('shardIndex', { keyPath: ['datasetId', 'index'] });
        db.createObjectStore('samples', { keyPath: ['datasetId', 'ordinal'] });
      };
      req.onsuccess = () => {
        req.result.close();
        resolve();
      };
      req.onerror = () => reject(req.error);
    });
    const db = await openDataDb(name);
    expect(db.version).toBe(DB_VERSION);
    expect([...db.objectStoreNames]).toContain('issues'); // version 3: the issue store, created on the way up
    const stored = (await db.get('shards', ['old', 0])) as unknown as Record<string, unknown>;
    expect(stored.payload).toBeUndefined();
    expect(stored.frames).toBeInstanceOf(Blob);
    const reader = await DatasetReader.open(db, 'old');
    expect(await reader.verifyAll()).toEqual([]);
    const back = await reader.shard(0);
    expect(back.map((s) => s.record.problem_id)).toEqual([0, 1, 2]);
    expect([...(await loadFrameBytes(back[2].frames[1]))]).toEqual([...frame(3).bytes]);
    // Random access with a cold cache reads only that sample's slice of the frames Blob.
    const one = await (await DatasetReader.open(db, 'old', 0)).get(1);
    expect(one.record.problem_id).toBe(1);
    const bytes = await Promise.all(one.frames.map((f) => f.load()));
    expect(bytes.map((b) => [...b])).toEqual([[...frame(1).bytes], [...frame(2).bytes]]);
    expect(bytes[0].buffer.byteLength).toBe(2 * frame(1).bytes.byteLength);
  });

  it('deletes a dataset with all its shards', async () => {
    const db = await freshDb();
    await writeShards(db, newManifest({ id: 'x', name: 'x', kind: 'video-r1' }), entries(0, 30), { shardSamples: 10, shardBytes: 1 << 20 });
    await deleteDataset(db, 'x');
    expect(await getManifest(db, 'x')).toBeUndefined();
    expect(await loadShardIndexes(db, 'x')).toEqual([]);
  });
});

describe('the read order', () => {
  it('visits every sample once, reproducibly for a seed', () => {
    const a = readOrder([3, 4, 2], 11);
    expect(readOrder([3, 4, 2], 11)).toEqual(a);
    expect(readOrder([3, 4, 2], 12)).not.toEqual(a);
    const flat = a.flatMap(({ shard, offsets }) => offsets.map((o) => `${shard}:${o}`)).sort();
    expect(flat).toEqual(['0:0', '0:1', '0:2', '1:0', '1:1', '1:2', '1:3', '2:0', '2:1']);
  });

  it('reads in stored order without a seed', () => {
    expect(readOrder([2, 1], null)).toEqual([{ shard: 0, offsets: [0, 1] }, { shard: 1, offsets: [0] }]);
  });
});
