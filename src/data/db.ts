// The one module through which all dataset storage goes: a typed IndexedDB schema (idb's DBSchema)
// with an upgrade ladder, atomic per-shard commits, and the browser's storage estimate and
// persistence request. Every failure leaves here as a DataError (quota errors as 'QuotaExceeded').

import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction } from 'idb';
import type { DatasetManifest, ImportIssue, ShardIndex } from './types';
import type { ShardCommit } from './manifest';
import { applyShard, shardIndexOf } from './manifest';
import { splitShard } from './shard';
import { dataError, storageError } from './errors';

export const DB_NAME = 'p2r-lab';
export const DB_VERSION = 3;

/**
 * A shard as stored since version 2: encodeShard's output split at the end of its header (shard.ts
 * splitShard). The frame bytes are a Blob, which IndexedDB keeps out of line: reading the record
 * does not drag megabytes of frames through structured clone, and Blob.arrayBuffer() then reads
 * them in one copy. `sha256` is still that of the whole payload (head + frames).
 */
interface ShardRecord {
  datasetId: string;
  index: number;
  /** Preamble + JSON header: the records and the frame table. */
  head: Uint8Array;
  /** The frame bytes, or null when the shard has none (text-only datasets). */
  frames: Blob | null;
  sha256: string;
}

/** Version 1's shard record: the whole payload in one Uint8Array. */
interface ShardRecordV1 {
  datasetId: string;
  index: number;
  payload: Uint8Array;
  sha256: string;
}

function shardRecord(datasetId: string, index: number, payload: Uint8Array, sha256: string): ShardRecord {
  const { head, frames } = splitShard(payload);
  // Copies: the stored values must not keep the whole payload's buffer alive through a view.
  return { datasetId, index, head: head.slice(), frames: frames.byteLength > 0 ? new Blob([frames as Uint8Array<ArrayBuffer>]) : null, sha256 };
}

/** Baseline for the benchmark only: the same samples stored one record each. */
interface SampleRecord {
  datasetId: string;
  ordinal: number;
  payload: Uint8Array;
}

/**
 * The issues of one code raised by the source records of one commit (version 3), in source order.
 * One row per (commit, code) rather than per issue: 250 000 MediaMissing cost a few hundred puts,
 * not 250 000, and one kind pages without reading the others.
 */
export interface IssueChunk {
  datasetId: string;
  /** Source position of the commit's first issue (the same for every code of one commit). */
  first: number;
  code: string;
  count: number;
  /**
   * The issues as gzip-compressed JSON Lines. Measured on a 100k-record import with missing media,
   * uncompressed issues doubled the page's import time; compressed (about 10x smaller: the
   * messages repeat) they cost little.
   */
  gz: Uint8Array;
}

async function gzipText(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function gunzipText(bytes: Uint8Array): Promise<string> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
  return new Response(stream).text();
}

/** A commit's issues as rows: one per code, each in source order. */
async function packIssues(datasetId: string, issues: ImportIssue[]): Promise<IssueChunk[]> {
  const byCode = new Map<string, ImportIssue[]>();
  for (const issue of issues) {
    const list = byCode.get(issue.code);
    if (list) list.push(issue);
    else byCode.set(issue.code, [issue]);
  }
  const first = issues[0].record;
  return Promise.all([...byCode].map(async ([code, list]) => ({ datasetId, first, code, count: list.length, gz: await gzipText(list.map((i) => JSON.stringify(i)).join('\n')) })));
}

async function unpackIssues(r: IssueChunk): Promise<ImportIssue[]> {
  try {
    return (await gunzipText(r.gz)).split('\n').map((l) => JSON.parse(l) as ImportIssue);
  } catch (e) {
    throw dataError('ShardCorrupt', `The stored issues of '${r.datasetId}' from record ${r.first} (${r.code}) could not be read: ${(e as Error)?.message ?? e}`);
  }
}

export interface DataSchema extends DBSchema {
  /** One manifest per dataset: counts, shard list with checksums, source and import progress. */
  datasets: { key: string; value: DatasetManifest };
  /** Key [datasetId, shard index]. */
  shards: { key: [string, number]; value: ShardRecord };
  /** Key [datasetId, shard index]: ids, problem types and sources of the shard's samples. */
  shardIndex: { key: [string, number]; value: ShardIndex };
  /** Key [datasetId, ordinal]: one record per sample, written only by the storage benchmark. */
  samples: { key: [string, number]; value: SampleRecord };
  /**
   * Key [datasetId, first, code]: every issue of an import, committed with the shard whose source
   * records raised it. Index byCode [datasetId, code, first] reads one kind in source order.
   */
  issues: { key: [string, number, string]; value: IssueChunk; indexes: { byCode: [string, string, number] } };
}

export type DataDb = IDBPDatabase<DataSchema>;

const opened = new Map<string, Promise<DataDb>>();

/** Opens (once per name) the dataset database, creating or upgrading its stores. */
export function openDataDb(name = DB_NAME): Promise<DataDb> {
  let db = opened.get(name);
  if (!db) {
    if (typeof indexedDB === 'undefined') return Promise.reject(dataError('StorageUnavailable', 'indexedDB is not defined in this context.'));
    db = openDB<DataSchema>(name, DB_VERSION, {
      async upgrade(db, oldVersion, _newVersion, tx) {
        if (oldVersion < 1) {
          db.createObjectStore('datasets', { keyPath: 'id' });
          db.createObjectStore('shards', { keyPath: ['datasetId', 'index'] });
          db.createObjectStore('shardIndex', { keyPath: ['datasetId', 'index'] });
          db.createObjectStore('samples', { keyPath: ['datasetId', 'ordinal'] });
        }
        if (oldVersion >= 1 && oldVersion < 2) {
          // v2: shard payloads split into head + frames Blob (checksums unchanged: same bytes).
          let cursor = await tx.objectStore('shards').openCursor();
          while (cursor) {
            const old = cursor.value as unknown as ShardRecordV1 | ShardRecord;
            if ('payload' in old) await cursor.update(shardRecord(old.datasetId, old.index, old.payload, old.sha256));
            cursor = await cursor.continue();
          }
        }
        if (oldVersion < 3) {
          // v3: every import issue in its own store (the manifest keeps a sample per code).
          const issues = db.createObjectStore('issues', { keyPath: ['datasetId', 'first', 'code'] });
          issues.createIndex('byCode', ['datasetId', 'code', 'first']);
        }
        // Later versions: `if (oldVersion < 4) { … }`, never editing a step above.
      },
      blocking() {
        // Another tab wants a newer schema: let it upgrade, reopen on next use.
        void db?.then((d) => d.close());
        opened.delete(name);
      },
    }).catch((e) => {
      opened.delete(name);
      throw dataError('StorageUnavailable', `Could not open IndexedDB '${name}': ${(e as Error)?.message ?? e}`);
    });
    opened.set(name, db);
  }
  return db;
}

/** Closes and forgets an open database (tests, and before deleting it). */
export async function closeDataDb(name = DB_NAME): Promise<void> {
  const db = opened.get(name);
  opened.delete(name);
  if (db) (await db.catch(() => null))?.close();
}

function range(datasetId: string): IDBKeyRange {
  return IDBKeyRange.bound([datasetId, 0], [datasetId, Number.MAX_SAFE_INTEGER]);
}

export async function listManifests(db: DataDb): Promise<DatasetManifest[]> {
  return (await db.getAll('datasets')).sort((a, b) => a.createdAt - b.createdAt);
}

export async function getManifest(db: DataDb, id: string): Promise<DatasetManifest | undefined> {
  return db.get('datasets', id);
}

export async function requireManifest(db: DataDb, id: string): Promise<DatasetManifest> {
  const m = await getManifest(db, id);
  if (!m) throw dataError('DatasetNotFound', `Dataset '${id}' is not stored.`);
  return m;
}

/** Writes a manifest on its own (creation, a state change such as cancelled or failed). */
export async function putManifest(db: DataDb, m: DatasetManifest): Promise<void> {
  try {
    await db.put('datasets', m);
  } catch (e) {
    throw storageError(e, `the manifest of '${m.id}'`);
  }
}

/**
 * Commits one shard atomically: the payload, its index and the manifest advanced past it are
 * written in ONE transaction, so a closed tab, a crash or a full quota leaves the dataset exactly as
 * after the previous shard. The stored manifest must still be the one the caller started from
 * (same shard count and cursor), else another writer got there first and nothing is written.
 */
export async function commitShard(db: DataDb, m: DatasetManifest, payload: Uint8Array, commit: ShardCommit): Promise<DatasetManifest> {
  const next = applyShard(m, commit);
  const index = m.shards.length;
  // Compressed before the transaction: it must not wait on anything but its own requests.
  const issueRows = commit.issues.length > 0 ? await packIssues(m.id, commit.issues) : [];
  let tx: IDBPTransaction<DataSchema, ('datasets' | 'shards' | 'shardIndex' | 'issues')[], 'readwrite'> | undefined;
  try {
    tx = db.transaction(['datasets', 'shards', 'shardIndex', 'issues'], 'readwrite');
    // Whatever fails below, the transaction's own rejection is reported through the catch, once.
    tx.done.catch(() => undefined);
    const stored = await tx.objectStore('datasets').get(m.id);
    if (!stored || stored.shards.length !== m.shards.length || stored.progress.cursor !== m.progress.cursor) {
      throw dataError('StorageFailed', `Dataset '${m.id}' changed while importing (another tab?): reload and resume.`);
    }
    if (commit.samples.length > 0) {
      await tx.objectStore('shards').put(shardRecord(m.id, index, payload, commit.sha256));
      await tx.objectStore('shardIndex').put(shardIndexOf(m.id, index, commit.samples));
    }
    const issues = tx.objectStore('issues');
    for (const row of issueRows) await issues.put(row);
    await tx.objectStore('datasets').put(next);
    await tx.done;
  } catch (e) {
    try {
      tx?.abort();
    } catch {
      // already finished or aborted
    }
    throw storageError(e, `shard ${index} of '${m.id}'`);
  }
  return next;
}

/** A stored shard's record: its head, and its frames as a Blob handle (no frame bytes read yet). */
export async function loadShardRecord(db: DataDb, datasetId: string, index: number): Promise<{ head: Uint8Array; frames: Blob | null; sha256: string }> {
  const rec = await db.get('shards', [datasetId, index]);
  if (!rec) throw dataError('DatasetNotFound', `Shard ${index} of '${datasetId}' is not stored.`);
  return { head: rec.head, frames: rec.frames, sha256: rec.sha256 };
}

/** A stored shard in its two parts: the head and the frame bytes (read from the Blob). */
export async function loadShardParts(db: DataDb, datasetId: string, index: number): Promise<{ head: Uint8Array; frames: Uint8Array; sha256: string }> {
  const rec = await db.get('shards', [datasetId, index]);
  if (!rec) throw dataError('DatasetNotFound', `Shard ${index} of '${datasetId}' is not stored.`);
  let frames: Uint8Array;
  try {
    frames = rec.frames ? new Uint8Array(await rec.frames.arrayBuffer()) : new Uint8Array(0);
  } catch (e) {
    throw dataError('ShardCorrupt', `The frames of shard ${index} of '${datasetId}' could not be read: ${(e as Error)?.message ?? e}`);
  }
  return { head: rec.head, frames, sha256: rec.sha256 };
}

/** A stored shard as one payload (encodeShard's layout), e.g. to check its SHA-256. */
export async function loadShardPayload(db: DataDb, datasetId: string, index: number): Promise<{ payload: Uint8Array; sha256: string }> {
  const { head, frames, sha256 } = await loadShardParts(db, datasetId, index);
  if (frames.byteLength === 0) return { payload: head, sha256 };
  const payload = new Uint8Array(head.byteLength + frames.byteLength);
  payload.set(head);
  payload.set(frames, head.byteLength);
  return { payload, sha256 };
}

/** All shard indexes of a dataset, in shard order (a few MB for 200k samples). */
export async function loadShardIndexes(db: DataDb, datasetId: string): Promise<ShardIndex[]> {
  return db.getAll('shardIndex', range(datasetId));
}

/** Deletes a dataset's manifest, shards, indexes, issues and benchmark records in one transaction. */
export async function deleteDataset(db: DataDb, datasetId: string): Promise<void> {
  const tx = db.transaction(['datasets', 'shards', 'shardIndex', 'samples', 'issues'], 'readwrite');
  await Promise.all([
    tx.objectStore('issues').delete(range(datasetId)),
    tx.objectStore('datasets').delete(datasetId),
    tx.objectStore('shards').delete(range(datasetId)),
    tx.objectStore('shardIndex').delete(range(datasetId)),
    tx.objectStore('samples').delete(range(datasetId)),
    tx.done,
  ]);
}

/** Overwrites a stored shard payload (tests of the checksum check, and repair tools). */
export async function overwriteShardPayload(db: DataDb, datasetId: string, index: number, payload: Uint8Array): Promise<void> {
  const rec = await db.get('shards', [datasetId, index]);
  if (!rec) throw dataError('DatasetNotFound', `Shard ${index} of '${datasetId}' is not stored.`);
  await db.put('shards', shardRecord(datasetId, index, payload, rec.sha256));
}

// ---- import issues ----

const CHUNKS_PER_READ = 16;

/**
 * A dataset's stored issues in source order, chunk by chunk; only those of `code` when given. Read
 * in short getAll batches (no transaction is held across the caller's awaits).
 */
export async function* issueChunks(db: DataDb, datasetId: string, code?: string): AsyncGenerator<ImportIssue[]> {
  const MAX = Number.MAX_SAFE_INTEGER;
  if (code !== undefined) {
    let lower: [string, string, number] = [datasetId, code, -1];
    for (;;) {
      const rows = await db.getAllFromIndex('issues', 'byCode', IDBKeyRange.bound(lower, [datasetId, code, MAX], true), CHUNKS_PER_READ);
      for (const r of rows) yield await unpackIssues(r);
      if (rows.length < CHUNKS_PER_READ) return;
      lower = [datasetId, code, rows[rows.length - 1].first];
    }
  }
  // All codes: the rows of one commit (same `first`) are adjacent; merged back into source order.
  let lower: [string, number, string] = [datasetId, -1, ''];
  let group: IssueChunk[] = [];
  const merged = async () => (await Promise.all(group.map(unpackIssues))).flat().sort((a, b) => a.record - b.record);
  for (;;) {
    const rows = await db.getAll('issues', IDBKeyRange.bound(lower, [datasetId, MAX, ''], true), CHUNKS_PER_READ);
    for (const r of rows) {
      if (group.length > 0 && group[0].first !== r.first) {
        yield await merged();
        group = [];
      }
      group.push(r);
    }
    if (rows.length < CHUNKS_PER_READ) break;
    const last = rows[rows.length - 1];
    lower = [datasetId, last.first, last.code];
  }
  if (group.length > 0) yield await merged();
}

/** Up to `limit` stored issues of a dataset in source order after skipping `offset`; only those of `code` when given. */
export async function getIssues(db: DataDb, datasetId: string, opts: { code?: string; offset?: number; limit?: number } = {}): Promise<ImportIssue[]> {
  const limit = opts.limit ?? Infinity;
  let skip = opts.offset ?? 0;
  const out: ImportIssue[] = [];
  for await (const chunk of issueChunks(db, datasetId, opts.code)) {
    if (skip >= chunk.length) {
      skip -= chunk.length;
      continue;
    }
    out.push(...chunk.slice(skip, skip + limit - out.length));
    skip = 0;
    if (out.length >= limit) break;
  }
  return out;
}

/** Whether any issue is stored for a dataset (none for datasets imported before version 3). */
export async function hasStoredIssues(db: DataDb, datasetId: string): Promise<boolean> {
  return (await db.count('issues', range(datasetId))) > 0;
}

// ---- one record per sample (benchmark baseline only) ----

export async function putSampleRecords(db: DataDb, datasetId: string, payloads: { ordinal: number; payload: Uint8Array }[]): Promise<void> {
  try {
    const tx = db.transaction('samples', 'readwrite');
    for (const p of payloads) void tx.store.put({ datasetId, ordinal: p.ordinal, payload: p.payload });
    await tx.done;
  } catch (e) {
    throw storageError(e, `per-sample records of '${datasetId}'`);
  }
}

export async function getSampleRecord(db: DataDb, datasetId: string, ordinal: number): Promise<Uint8Array | undefined> {
  return (await db.get('samples', [datasetId, ordinal]))?.payload;
}

export async function getSampleRecords(db: DataDb, datasetId: string, from: number, to: number): Promise<Uint8Array[]> {
  return (await db.getAll('samples', IDBKeyRange.bound([datasetId, from], [datasetId, to - 1]))).map((r) => r.payload);
}

// ---- the browser's storage quota and persistence ----

export interface StorageStatus {
  usage: number | null;
  quota: number | null;
  persisted: boolean | null;
}

export async function storageStatus(): Promise<StorageStatus> {
  const storage = typeof navigator !== 'undefined' ? navigator.storage : undefined;
  if (!storage?.estimate) return { usage: null, quota: null, persisted: null };
  const [estimate, persisted] = await Promise.all([storage.estimate(), storage.persisted ? storage.persisted() : Promise.resolve(null)]);
  return { usage: estimate.usage ?? null, quota: estimate.quota ?? null, persisted };
}

/** Asks the browser not to evict this origin's data; returns whether it was granted. */
export async function requestPersistence(): Promise<boolean | null> {
  const storage = typeof navigator !== 'undefined' ? navigator.storage : undefined;
  if (!storage?.persist) return null;
  return storage.persist();
}
