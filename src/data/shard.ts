// The shard format: many samples in one binary payload, one IndexedDB record per shard, so a read
// is one `get` and one JSON.parse instead of hundreds of structured clones.
//
// Layout (little-endian):
//   0..3    magic "P2RS"
//   4..7    u32 format version (1)
//   8..11   u32 header length H in bytes
//   12..    H bytes of UTF-8 JSON: ShardHeader
//   12+H..  frame bytes, concatenated; each frame's (offset, length) is relative to this point
// Frames shared by several samples (the five questions of one synthetic video) are stored once:
// samples refer to frames by index into header.frames.

import type { DataRecord, Frame, FrameEncoding, Sample, StoredFrame, StoredSample } from './types';
import { dataError } from './errors';

const MAGIC = 0x53523250; // "P2RS" read as little-endian u32
export const SHARD_VERSION = 1;

interface FrameEntry {
  encoding: FrameEncoding;
  width: number;
  height: number;
  time: number;
  offset: number;
  length: number;
}

interface ShardHeader {
  samples: { ordinal: number; record: DataRecord; frames: number[]; mediaError?: string }[];
  frames: FrameEntry[];
}

/** Packs samples into one payload. Frame objects that appear in several samples are stored once. */
export function encodeShard(samples: Sample[]): Uint8Array {
  const frameIndex = new Map<Frame, number>();
  const frames: FrameEntry[] = [];
  const frameData: Uint8Array[] = [];
  let offset = 0;
  const header: ShardHeader = { samples: [], frames };
  for (const s of samples) {
    const refs: number[] = [];
    for (const f of s.frames) {
      let i = frameIndex.get(f);
      if (i === undefined) {
        i = frames.length;
        frameIndex.set(f, i);
        frames.push({ encoding: f.encoding, width: f.width, height: f.height, time: f.time, offset, length: f.bytes.byteLength });
        frameData.push(f.bytes);
        offset += f.bytes.byteLength;
      }
      refs.push(i);
    }
    header.samples.push(s.mediaError ? { ordinal: s.ordinal, record: s.record, frames: refs, mediaError: s.mediaError } : { ordinal: s.ordinal, record: s.record, frames: refs });
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(12 + json.byteLength + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, SHARD_VERSION, true);
  view.setUint32(8, json.byteLength, true);
  out.set(json, 12);
  let at = 12 + json.byteLength;
  for (const d of frameData) {
    out.set(d, at);
    at += d.byteLength;
  }
  return out;
}

/**
 * Splits a payload at the end of its header: `head` (preamble + JSON header) and `frames` (the frame
 * bytes), both views. Storage keeps the frame bytes as a Blob beside the head (see db.ts).
 */
export function splitShard(payload: Uint8Array): { head: Uint8Array; frames: Uint8Array } {
  const end = headEnd(payload);
  return { head: payload.subarray(0, end), frames: payload.subarray(end) };
}

function headEnd(payload: Uint8Array): number {
  if (payload.byteLength < 12) throw dataError('ShardCorrupt', `Shard payload is ${payload.byteLength} bytes, shorter than its 12-byte preamble.`);
  const end = 12 + new DataView(payload.buffer, payload.byteOffset, 12).getUint32(8, true);
  if (end > payload.byteLength) throw dataError('ShardCorrupt', 'Shard header runs past the end of the payload.');
  return end;
}

/** Unpacks a payload. Frame bytes are views into `payload` (no copy). */
export function decodeShard(payload: Uint8Array): Sample[] {
  const { head, frames } = splitShard(payload);
  return decodeShardParts(head, frames);
}

/** Unpacks a shard stored in two parts (splitShard's). Frame bytes are views into `frameBytes`. */
export function decodeShardParts(payload: Uint8Array, frameBytes: Uint8Array): Sample[] {
  const header = parseShardHead(payload);
  const frames: Frame[] = header.frames.map((f) => frameOf(f, frameBytes, 0));
  return header.samples.map((s) => {
    const sample: Sample = { ordinal: s.ordinal, record: s.record, frames: s.frames.map((i) => frames[i]) };
    if (s.mediaError) sample.mediaError = s.mediaError;
    return sample;
  });
}

export type ShardHead = ShardHeader;

/** The byte range [start, end) of the frame bytes sample `k` of a shard uses ([0, 0) when none). */
export function sampleFrameRange(header: ShardHead, k: number): [number, number] {
  const refs = header.samples[k]?.frames ?? [];
  if (refs.length === 0) return [0, 0];
  let start = Infinity;
  let end = 0;
  for (const i of refs) {
    start = Math.min(start, header.frames[i].offset);
    end = Math.max(end, header.frames[i].offset + header.frames[i].length);
  }
  return [start, end];
}

function frameOf(f: FrameEntry, frameBytes: Uint8Array, base: number): Frame {
  const at = f.offset - base;
  if (at < 0 || at + f.length > frameBytes.byteLength) throw dataError('ShardCorrupt', 'A frame runs past the end of the shard payload.');
  return { encoding: f.encoding, width: f.width, height: f.height, time: f.time, bytes: frameBytes.subarray(at, at + f.length) };
}

/**
 * Where a shard's frame bytes are: a Blob (IndexedDB's out-of-line handle), read on the first
 * frame a consumer loads and then shared by every frame of the shard, or bytes already in memory.
 * `base` is the shard-relative offset of the source's first byte (a Blob slice for one sample).
 */
export class FrameSource {
  private bytes: Promise<Uint8Array> | null;

  constructor(
    private readonly data: Blob | Uint8Array | null,
    readonly base = 0,
    /** For error messages: "shard 3 of 'x'". */
    private readonly what = 'shard',
  ) {
    this.bytes = data instanceof Uint8Array ? Promise.resolve(data) : null;
  }

  /** The source's bytes, read once (a failed read is retried on the next call). */
  read(): Promise<Uint8Array> {
    if (this.bytes) return this.bytes;
    const blob = this.data as Blob | null;
    if (!blob) return Promise.reject(dataError('ShardCorrupt', `The ${this.what} has no frame bytes.`));
    const p = blob.arrayBuffer().then(
      (b) => new Uint8Array(b),
      (e) => {
        if (this.bytes === p) this.bytes = null;
        throw dataError('ShardCorrupt', `The frames of ${this.what} could not be read: ${(e as Error)?.message ?? e}`);
      },
    );
    this.bytes = p;
    return p;
  }
}

/** A lazy frame: metadata now, bytes from `source` when loaded. */
class LazyFrame implements StoredFrame {
  readonly encoding: FrameEncoding;
  readonly width: number;
  readonly height: number;
  readonly time: number;
  readonly byteLength: number;
  private readonly at: number;

  constructor(f: FrameEntry, private readonly source: FrameSource) {
    this.encoding = f.encoding;
    this.width = f.width;
    this.height = f.height;
    this.time = f.time;
    this.byteLength = f.length;
    this.at = f.offset - source.base;
    if (this.at < 0) throw dataError('ShardCorrupt', 'A frame starts before its frame bytes.');
  }

  async load(): Promise<Uint8Array> {
    const bytes = await this.source.read();
    if (this.at + this.byteLength > bytes.byteLength) throw dataError('ShardCorrupt', 'A frame runs past the end of the shard payload.');
    return bytes.subarray(this.at, this.at + this.byteLength);
  }
}

/**
 * Unpacks a shard's head into samples whose frames are references into `source` (nothing of the
 * frame bytes is read here). Frames shared by several samples are one object.
 */
export function decodeShardLazy(head: Uint8Array, source: FrameSource): StoredSample[] {
  const header = parseShardHead(head);
  const frames = header.frames.map((f) => new LazyFrame(f, source));
  return header.samples.map((s) => storedSample(s, s.frames.map((i) => frames[i])));
}

/** Sample `k` of a shard with frames referring to `source` (e.g. a Blob slice from sampleFrameRange). */
export function storedSampleOf(header: ShardHead, k: number, source: FrameSource): StoredSample {
  const s = header.samples[k];
  return storedSample(s, s.frames.map((i) => new LazyFrame(header.frames[i], source)));
}

function storedSample(s: ShardHeader['samples'][number], frames: StoredFrame[]): StoredSample {
  const sample: StoredSample = { ordinal: s.ordinal, record: s.record, frames };
  if (s.mediaError) sample.mediaError = s.mediaError;
  return sample;
}

/** A frame's bytes: in memory (`Frame`) or loaded on demand (`StoredFrame`). */
export function loadFrameBytes(frame: Frame | StoredFrame): Promise<Uint8Array> {
  return 'bytes' in frame ? Promise.resolve(frame.bytes) : frame.load();
}

/** Every frame of a sample with its bytes loaded (in order). */
export async function loadSampleFrames(frames: readonly (Frame | StoredFrame)[]): Promise<Frame[]> {
  return Promise.all(frames.map(async (f) => ({ encoding: f.encoding, width: f.width, height: f.height, time: f.time, bytes: await loadFrameBytes(f) })));
}

/** The header of a shard's head (preamble + JSON), validated. */
export function parseShardHead(payload: Uint8Array): ShardHead {
  if (payload.byteLength < 12) throw dataError('ShardCorrupt', `Shard payload is ${payload.byteLength} bytes, shorter than its 12-byte preamble.`);
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw dataError('ShardCorrupt', 'Shard payload does not start with the P2RS magic.');
  const version = view.getUint32(4, true);
  if (version !== SHARD_VERSION) throw dataError('ShardCorrupt', `Shard format version ${version} is not supported (expected ${SHARD_VERSION}).`);
  const headerLength = view.getUint32(8, true);
  if (12 + headerLength > payload.byteLength) throw dataError('ShardCorrupt', 'Shard header runs past the end of the payload.');
  let header: ShardHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(payload.subarray(12, 12 + headerLength)));
  } catch (e) {
    throw dataError('ShardCorrupt', `Shard header is not valid JSON: ${(e as Error).message}`);
  }
  return header;
}

/** SHA-256 of bytes as lowercase hex (crypto.subtle: browsers, workers and Node 20). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** Approximate bytes a sample adds to a shard, to close shards near a target size. */
export function sampleBytes(s: Sample, counted: Set<Frame>): number {
  let n = 200 + s.record.problem.length + (s.record.output?.length ?? 0) + (s.record.options.join('').length) + (s.record.observation?.length ?? 0) + (s.record.process?.length ?? 0);
  for (const f of s.frames) {
    if (counted.has(f)) continue;
    counted.add(f);
    n += f.bytes.byteLength + 80;
  }
  return n;
}
