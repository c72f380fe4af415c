// Storage benchmark that runs IN the page (Chromium's real IndexedDB): the same samples stored as
// shards and as one record per sample; import time, sequential, shuffled and random reads of each.
// Driven by bench/datasets.ts through the page hook (window.__p2rDatasets.bench). Raw milliseconds
// out; the Node side summarises them.
//
// The reader hands frames out lazily (references into the shard's frames Blob), so "read" is what a
// streaming consumer pays for the samples (records + frame references); "read + frame bytes" also
// loads every frame's bytes (no image decode; the stream's prefetchFrames on), the figure to compare when a consumer needs them all.
// The per-sample layout has no lazy form: its reads always bring the bytes, so it is the baseline of
// both. Random access loads the picked sample's frame bytes (what the inspector does to show it).

import { deleteDataset, getSampleRecord, openDataDb, putSampleRecords } from './db';
import { newManifest } from './manifest';
import { DatasetReader, loadFrameBytes } from './reader';
import { decodeShard, encodeShard } from './shard';
import { makeQuestions, makeScene, DEFAULT_SYNTHETIC } from './synthetic';
import { writeShards, type SourceEntry } from './writer';
import type { Frame, Sample } from './types';
import { Rng } from '../util/rng';

export interface StorageBenchOptions {
  samples: number;
  /** Encoded frames per sample and bytes per frame (random bytes: the codec's output size is what matters). */
  frames: number;
  frameBytes: number;
  shardSamples: number;
  repeats: number;
  /** Samples read by the random-access case. */
  randomReads: number;
}

export const STORAGE_BENCH_DEFAULTS: StorageBenchOptions = { samples: 2000, frames: 8, frameBytes: 3000, shardSamples: 256, repeats: 3, randomReads: 200 };

export interface StorageBenchResult {
  options: StorageBenchOptions;
  /** Bytes of one layout's payloads. */
  bytes: number;
  /** ms per repeat: ours = shards, baseline = one record per sample. */
  import: { shards: number[]; perSample: number[] };
  /** Streaming reads: samples with frame references (the reader's output). */
  sequential: { shards: number[]; perSample: number[] };
  shuffled: { shards: number[]; perSample: number[] };
  /** Streaming reads that also load every frame's bytes (per-sample reads always do). */
  sequentialBytes: { shards: number[]; perSample: number[] };
  shuffledBytes: { shards: number[]; perSample: number[] };
  random: { shards: number[]; perSample: number[] };
  /** Every layout read back every sample exactly once. */
  complete: boolean;
}

function samplesFor(o: StorageBenchOptions): Sample[] {
  const rng = new Rng(7);
  const out: Sample[] = [];
  for (let v = 0; out.length < o.samples; v++) {
    for (const record of makeQuestions(DEFAULT_SYNTHETIC, makeScene(DEFAULT_SYNTHETIC, v))) {
      if (out.length === o.samples) break;
      const frames: Frame[] = Array.from({ length: o.frames }, (_, t) => ({ encoding: 'image/webp', width: 64, height: 64, time: t / 2, bytes: Uint8Array.from({ length: o.frameBytes }, () => rng.int(256)) }));
      out.push({ ordinal: out.length, record: { ...record, problem_id: `bench-${out.length}` }, frames });
    }
  }
  return out;
}

const now = () => performance.now();

export async function runStorageBench(partial: Partial<StorageBenchOptions> = {}): Promise<StorageBenchResult> {
  const o = { ...STORAGE_BENCH_DEFAULTS, ...partial };
  const db = await openDataDb();
  const samples = samplesFor(o);
  const perSamplePayloads = samples.map((s) => ({ ordinal: s.ordinal, payload: encodeShard([s]) }));
  const bytes = perSamplePayloads.reduce((n, p) => n + p.payload.byteLength, 0);
  const result: StorageBenchResult = { options: o, bytes, import: { shards: [], perSample: [] }, sequential: { shards: [], perSample: [] }, shuffled: { shards: [], perSample: [] }, sequentialBytes: { shards: [], perSample: [] }, shuffledBytes: { shards: [], perSample: [] }, random: { shards: [], perSample: [] }, complete: true };
  const shardId = 'bench-shards';
  const sampleId = 'bench-per-sample';
  await deleteDataset(db, shardId);
  await deleteDataset(db, sampleId);
  try {
    // Import: encode + hash + one transaction per shard, vs one transaction per 256 single-sample records.
    for (let r = 0; r < o.repeats; r++) {
      await deleteDataset(db, shardId);
      await deleteDataset(db, sampleId);
      async function* entries(): AsyncGenerator<SourceEntry> {
        for (const s of samples) yield { position: s.ordinal, sample: { record: s.record, frames: s.frames } };
      }
      let t = now();
      await writeShards(db, newManifest({ id: shardId, name: 'bench', kind: 'synthetic' }), entries(), { shardSamples: o.shardSamples, shardBytes: 1 << 30 });
      result.import.shards.push(now() - t);
      t = now();
      for (let i = 0; i < perSamplePayloads.length; i += o.shardSamples) {
        const batch = samples.slice(i, i + o.shardSamples).map((s) => ({ ordinal: s.ordinal, payload: encodeShard([s]) }));
        await putSampleRecords(db, sampleId, batch);
      }
      result.import.perSample.push(now() - t);
    }

    const permutation = (seed: number) => {
      const rng = new Rng(seed);
      const a = samples.map((s) => s.ordinal);
      for (let i = a.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [a[i], a[j]] = [a[j], a[i]];
      }
      return a;
    };
    const readPerSample = async (order: number[]) => {
      let n = 0;
      for (const ordinal of order) {
        const payload = await getSampleRecord(db, sampleId, ordinal);
        if (payload && decodeShard(payload)[0].ordinal === ordinal) n++;
      }
      return n;
    };
    const frameBytes = o.frames * o.frameBytes;
    // One streaming epoch; with `bytes`, every frame's bytes are loaded as the samples arrive.
    const streamShards = async (reader: DatasetReader, seed: number | null, bytes: boolean) => {
      let n = 0;
      for await (const s of reader.stream({ seed, prefetchFrames: bytes })) {
        if (s.frames.length !== o.frames) continue;
        if (bytes) {
          let got = 0;
          for (const f of s.frames) got += (await loadFrameBytes(f)).byteLength;
          if (got !== frameBytes) continue;
        }
        n++;
      }
      return n;
    };
    for (let r = 0; r < o.repeats; r++) {
      // Sequential: the streaming reader (prefetch 2) vs one get per sample in order.
      let reader = await DatasetReader.open(db, shardId, 0);
      let t = now();
      let n = await streamShards(reader, null, false);
      result.sequential.shards.push(now() - t);
      result.complete &&= n === o.samples;
      t = now();
      n = await readPerSample(samples.map((s) => s.ordinal));
      const perSampleSequential = now() - t;
      result.sequential.perSample.push(perSampleSequential);
      result.complete &&= n === o.samples;
      t = now();
      n = await streamShards(reader, null, true);
      result.sequentialBytes.shards.push(now() - t);
      result.sequentialBytes.perSample.push(perSampleSequential);
      result.complete &&= n === o.samples;

      // Shuffled epoch, as training reads: seeded shard order then within-shard order, vs gets in a random permutation.
      t = now();
      n = await streamShards(reader, 100 + r, false);
      result.shuffled.shards.push(now() - t);
      result.complete &&= n === o.samples;
      t = now();
      n = await readPerSample(permutation(100 + r));
      const perSampleShuffled = now() - t;
      result.shuffled.perSample.push(perSampleShuffled);
      result.complete &&= n === o.samples;
      t = now();
      n = await streamShards(reader, 100 + r, true);
      result.shuffledBytes.shards.push(now() - t);
      result.shuffledBytes.perSample.push(perSampleShuffled);
      result.complete &&= n === o.samples;

      // Random access to single samples with a cold cache: a whole shard per sample (the shard layout's worst case).
      const picks = permutation(200 + r).slice(0, o.randomReads);
      reader = await DatasetReader.open(db, shardId, 0);
      t = now();
      for (const ordinal of picks) for (const f of (await reader.get(ordinal)).frames) await loadFrameBytes(f);
      result.random.shards.push(now() - t);
      t = now();
      await readPerSample(picks);
      result.random.perSample.push(now() - t);
    }
  } finally {
    await deleteDataset(db, shardId);
    await deleteDataset(db, sampleId);
  }
  return result;
}
