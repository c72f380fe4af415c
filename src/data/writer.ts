// Turns a stream of source entries (samples or issues, in source order) into committed shards.
// Resumable: the source starts at manifest.progress.cursor, and every commit advances the cursor
// together with the shard, so a resumed import neither loses nor repeats a record.

import type { DatasetManifest, Frame, ImportIssue, Sample, DataRecord } from './types';
import { commitShard, putManifest, type DataDb } from './db';
import { encodeShard, sampleBytes, sha256Hex } from './shard';
import { DataError, describeError, dataError } from './errors';

/** One source record, at `position` (0-based over all source files): a sample, or why it was skipped. */
export type SourceEntry =
  | { position: number; sample: { record: DataRecord; frames: Frame[]; mediaError?: string }; issues?: ImportIssue[] }
  | { position: number; sample?: undefined; issues: ImportIssue[] };

export interface WriteOptions {
  /** Close a shard at this many samples… */
  shardSamples: number;
  /** …or at about this many payload bytes, whichever comes first. */
  shardBytes: number;
  signal?: AbortSignal;
  onProgress?: (m: DatasetManifest) => void;
  /** Wait this long after each commit (demos, and the interruption test); 0 in normal use. */
  paceMs?: number;
}

export const DEFAULT_WRITE: WriteOptions = { shardSamples: 256, shardBytes: 4 << 20 };

/**
 * Commit after this many issues even without a full shard: a run of skipped records (a file whose
 * media are all missing) still advances the cursor and the progress, in transactions of bounded size.
 * Each commit costs the page tens of milliseconds (measured: 100k records, media missing, skipped:
 * 6.5 s with 2048, 4.3-4.9 s with 8192), so not much smaller.
 */
export const MAX_PENDING_ISSUES = 8192;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Writes entries into shards after the ones already in `m`. Returns the final manifest, with state
 * 'complete' when the source ran out, 'cancelled' when the signal fired (the partial shard is
 * dropped; the source will be re-read from the cursor on resume). Storage failures (quota included)
 * mark the manifest 'failed' where that can still be written, and are thrown as DataError.
 */
export async function writeShards(db: DataDb, m: DatasetManifest, entries: AsyncIterable<SourceEntry>, opts: WriteOptions): Promise<DatasetManifest> {
  let manifest: DatasetManifest = { ...m, progress: { ...m.progress, state: 'importing', error: undefined } };
  await putManifest(db, manifest);
  opts.onProgress?.(manifest);

  let pending: Sample[] = [];
  let pendingIssues: ImportIssue[] = [];
  let pendingBytes = 0;
  let counted = new Set<Frame>();
  let cursor = manifest.progress.cursor;

  const flush = async () => {
    if (pending.length === 0 && pendingIssues.length === 0 && cursor === manifest.progress.cursor) return;
    const payload = encodeShard(pending);
    const sha256 = await sha256Hex(payload);
    manifest = await commitShard(db, manifest, payload, { samples: pending, payloadBytes: payload.byteLength, sha256, cursor, issues: pendingIssues });
    pending = [];
    pendingIssues = [];
    pendingBytes = 0;
    counted = new Set();
    opts.onProgress?.(manifest);
    if (opts.paceMs) await sleep(opts.paceMs);
  };

  const finish = async (state: 'complete' | 'cancelled') => {
    manifest = { ...manifest, updatedAt: Date.now(), progress: { ...manifest.progress, state } };
    await putManifest(db, manifest);
    opts.onProgress?.(manifest);
    return manifest;
  };

  try {
    for await (const entry of entries) {
      if (opts.signal?.aborted) return await finish('cancelled');
      if (entry.position !== cursor) throw dataError('SourceMismatch', `Source entry at position ${entry.position}, expected ${cursor}: the source did not resume at the manifest's cursor.`);
      cursor = entry.position + 1;
      if (entry.issues) pendingIssues.push(...entry.issues);
      if (entry.sample) {
        const s: Sample = { ordinal: manifest.counts.samples + pending.length, record: entry.sample.record, frames: entry.sample.frames };
        if (entry.sample.mediaError) s.mediaError = entry.sample.mediaError;
        pending.push(s);
        pendingBytes += sampleBytes(s, counted);
      }
      if (pending.length >= opts.shardSamples || pendingBytes >= opts.shardBytes || pendingIssues.length >= MAX_PENDING_ISSUES) {
        if (opts.signal?.aborted) return await finish('cancelled');
        await flush();
      }
    }
    if (opts.signal?.aborted) return await finish('cancelled');
    await flush();
    return await finish('complete');
  } catch (e) {
    const err = e instanceof DataError ? e : dataError('StorageFailed', (e as Error)?.message ?? String(e));
    const failed = { ...manifest, updatedAt: Date.now(), progress: { ...manifest.progress, state: 'failed' as const, error: { code: err.code, message: describeError(err).message } } };
    // Recording the failure may itself fail under a full quota: the last committed manifest stands.
    await putManifest(db, failed).catch(() => undefined);
    opts.onProgress?.(failed);
    throw err;
  }
}
