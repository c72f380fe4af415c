// Reads a stored dataset: whole shards (checksum-verified on request), random access by ordinal or
// problem_id, and a streaming reader with prefetch and a seeded shuffle (shard order, then within
// each shard) that the trainer and the inspector share. Samples come with lazy frames
// (StoredFrame): a stream reads the records only; a frame's bytes are read when a consumer calls
// `frame.load()` / `loadFrameBytes(frame)` (the first such call reads the shard's frame Blob once).

import type { DatasetManifest, ShardIndex, StoredSample } from './types';
import { loadShardIndexes, loadShardPayload, loadShardRecord, requireManifest, type DataDb } from './db';
import { decodeShardLazy, FrameSource, parseShardHead, sampleFrameRange, sha256Hex, splitShard, storedSampleOf } from './shard';
import { locate } from './manifest';
import { dataError } from './errors';
import { Rng } from '../util/rng';

export { loadFrameBytes, loadSampleFrames } from './shard';

/** Visiting order: shards permuted, then samples within each shard permuted (seeded), or in order. */
export function readOrder(shardCounts: number[], seed: number | null): { shard: number; offsets: number[] }[] {
  const identity = (n: number) => Array.from({ length: n }, (_, i) => i);
  const shards = identity(shardCounts.length);
  if (seed === null) return shards.map((shard) => ({ shard, offsets: identity(shardCounts[shard]) }));
  const rng = new Rng(seed);
  shuffle(shards, rng);
  return shards.map((shard) => ({ shard, offsets: shuffle(identity(shardCounts[shard]), rng) }));
}

function shuffle<T>(a: T[], rng: Rng): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

export interface StreamOptions {
  /** Seed of the shuffle; null reads in stored order. */
  seed?: number | null;
  /** Shards loaded ahead of the one being consumed. */
  prefetch?: number;
  /** Check each shard's SHA-256 against the manifest before use. */
  verify?: boolean;
  /**
   * Also start reading each prefetched shard's frame bytes in the background (for consumers that
   * load every frame, e.g. training on frames). Frames are still references; `load()` then finds
   * the bytes read or in flight. Off by default: a text-only consumer pays nothing for frames.
   */
  prefetchFrames?: boolean;
}

export class DatasetReader {
  private cache = new Map<number, Promise<StoredSample[]>>();
  private idMap: Promise<Map<string, number>> | null = null;

  private constructor(
    readonly db: DataDb,
    readonly manifest: DatasetManifest,
    /** Decoded shards kept in memory (LRU by insertion). */
    readonly cacheShards = 8,
  ) {}

  static async open(db: DataDb, datasetId: string, cacheShards = 8): Promise<DatasetReader> {
    return new DatasetReader(db, await requireManifest(db, datasetId), cacheShards);
  }

  get count(): number {
    return this.manifest.counts.samples;
  }

  /** The samples of shard `index`, decoded (cached); frames are references, loaded on demand. */
  shard(index: number, verify = false): Promise<StoredSample[]> {
    let p = this.cache.get(index);
    if (p && !verify) {
      this.cache.delete(index);
      this.cache.set(index, p);
      return p;
    }
    p = this.loadShard(index, verify);
    this.cache.set(index, p);
    p.catch(() => this.cache.delete(index));
    while (this.cache.size > this.cacheShards) this.cache.delete(this.cache.keys().next().value!);
    return p;
  }

  private async loadShard(index: number, verify: boolean): Promise<StoredSample[]> {
    const info = this.manifest.shards[index];
    if (!info) throw dataError('DatasetNotFound', `Dataset '${this.manifest.id}' has no shard ${index}.`);
    const what = `shard ${index} of '${this.manifest.id}'`;
    if (!verify) {
      // The record only: the frames Blob is a handle, read when the first frame is loaded.
      const rec = await loadShardRecord(this.db, this.manifest.id, index);
      return decodeShardLazy(rec.head, new FrameSource(rec.frames, 0, what));
    }
    // Verifying needs every byte anyway: the frames are then already in memory.
    const { payload } = await loadShardPayload(this.db, this.manifest.id, index);
    const actual = await sha256Hex(payload);
    if (actual !== info.sha256) throw dataError('ChecksumMismatch', `Shard ${index} of '${this.manifest.id}' has SHA-256 ${actual.slice(0, 12)}…, the manifest says ${info.sha256.slice(0, 12)}….`);
    const { head, frames } = splitShard(payload);
    return decodeShardLazy(head, new FrameSource(frames, 0, what));
  }

  /** Verifies every shard against its checksum; returns the indexes of those that fail. */
  async verifyAll(): Promise<number[]> {
    const bad: number[] = [];
    for (let i = 0; i < this.manifest.shards.length; i++) {
      try {
        await this.loadShard(i, true);
      } catch {
        bad.push(i);
      }
    }
    return bad;
  }

  /**
   * One sample. From the cache when its shard is loaded; otherwise its frames refer to that
   * sample's slice of the shard's frames Blob (read on load), not the whole shard.
   */
  async get(ordinal: number): Promise<StoredSample> {
    const at = locate(this.manifest, ordinal);
    if (!at) throw dataError('DatasetNotFound', `Dataset '${this.manifest.id}' has no sample ${ordinal} (it has ${this.count}).`);
    const cached = this.cache.get(at.shard);
    if (cached) return (await cached)[at.offset];
    const rec = await loadShardRecord(this.db, this.manifest.id, at.shard);
    const header = parseShardHead(rec.head);
    if (!header.samples[at.offset]) throw dataError('ShardCorrupt', `Shard ${at.shard} of '${this.manifest.id}' has no sample at offset ${at.offset}.`);
    const [start, end] = sampleFrameRange(header, at.offset);
    if (end > start && !rec.frames) throw dataError('ShardCorrupt', `Shard ${at.shard} of '${this.manifest.id}' has no frame bytes.`);
    const source = new FrameSource(end > start ? rec.frames!.slice(start, end) : new Uint8Array(0), start, `shard ${at.shard} of '${this.manifest.id}'`);
    return storedSampleOf(header, at.offset, source);
  }

  /** The shard indexes (ids, types, sources per sample), loaded once. */
  indexes(): Promise<ShardIndex[]> {
    return loadShardIndexes(this.db, this.manifest.id);
  }

  /** Random access by problem_id (the first sample with that id). */
  async getById(problemId: string | number): Promise<StoredSample | undefined> {
    this.idMap ??= this.indexes().then((indexes) => {
      const map = new Map<string, number>();
      for (const ix of indexes) {
        const first = this.manifest.shards[ix.index].first;
        ix.ids.forEach((id, k) => {
          if (!map.has(id)) map.set(id, first + k);
        });
      }
      return map;
    });
    const ordinal = (await this.idMap).get(String(problemId));
    return ordinal === undefined ? undefined : this.get(ordinal);
  }

  /**
   * Every sample once, shuffled when a seed is given, with `prefetch` shards loading ahead. Frames
   * are references: a consumer that needs the bytes awaits `loadFrameBytes(frame)`.
   */
  async *stream(opts: StreamOptions = {}): AsyncGenerator<StoredSample> {
    const order = readOrder(
      this.manifest.shards.map((s) => s.count),
      opts.seed ?? null,
    );
    const prefetch = Math.max(0, opts.prefetch ?? 2);
    // Loaded directly (not through the cache) so a long stream does not evict the inspector's shards.
    const loads: Promise<StoredSample[]>[] = [];
    const start = (k: number) => {
      if (k >= order.length) return;
      loads[k] = this.loadShard(order[k].shard, opts.verify ?? false);
      loads[k].then(
        (samples) => {
          // One frame's load reads the whole shard's frame bytes once (FrameSource); errors surface on the consumer's load.
          if (opts.prefetchFrames) samples.find((s) => s.frames.length > 0)?.frames[0].load().catch(() => undefined);
        },
        () => undefined, // surfaced when awaited below, not as an unhandled rejection
      );
    };
    for (let k = 0; k <= prefetch; k++) start(k);
    for (let k = 0; k < order.length; k++) {
      const samples = await loads[k];
      delete loads[k];
      start(k + prefetch + 1);
      for (const offset of order[k].offsets) yield samples[offset];
    }
  }
}
