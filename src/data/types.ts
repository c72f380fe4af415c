// Plain data types of the dataset layer: records (Video-R1 fields plus facts and a gold CoT), frames,
// samples, shard indexes and the per-dataset manifest. No React, no WebGPU, no IndexedDB.

import type { ProblemType, SceneFact } from '../rewards/types';

export type { ProblemType, SceneFact };
export { PROBLEM_TYPES } from '../rewards/types';

/** A Video-R1 record (method.md §2.1) with VideoP2R's extra fields (§1.4.1) where a source has them. */
export interface DataRecord {
  problem_id: string | number;
  problem: string;
  problem_type: ProblemType;
  /** "A. …" strings for multiple choice, [] otherwise. */
  options: string[];
  /** Ground truth, always wrapped: "<answer>X</answer>". */
  solution: string;
  data_type: 'image' | 'video';
  /** Relative media path as in the source ("./LLaVA-Video-178K/…mp4"), or "synthetic://…". */
  path: string;
  data_source: string;
  /** Scene facts the question needs (synthetic data), in the shape the rule-based perception judge reads. */
  facts?: SceneFact[];
  /** Synthetic records: the task family (the tiny style's direction, count, same), for per-family evaluation. */
  family?: string;
  /** Gold process-aware CoT for SFT: "<observation>…</observation> <think>…</think><answer>…</answer>". */
  output?: string;
  /** VideoP2R: perception and reasoning segments, tags stripped. */
  observation?: string;
  process?: string;
  /** VideoP2R pipeline metadata, kept as given (never the ground truth: see method.md §1.4.1 caveat). */
  answer?: string;
  reward?: number;
  select?: boolean;
}

/**
 * How a frame's bytes are stored. 'rgba8' is raw (height, width, 4) row-major bytes: what the pure
 * renderer produces and what Node tests store. The image MIME types are what the browser encodes
 * with OffscreenCanvas.convertToBlob; decoding them needs createImageBitmap.
 */
export type FrameEncoding = 'rgba8' | 'image/webp' | 'image/jpeg' | 'image/png';

export interface Frame {
  encoding: FrameEncoding;
  width: number;
  height: number;
  /** Seconds into the source video (0 for images and synthetic frames at index 0). */
  time: number;
  bytes: Uint8Array;
}

/**
 * A stored frame as the reader hands it out: its metadata and a reference to its bytes, which are
 * read from IndexedDB only when a consumer asks (`await frame.load()` or `loadFrameBytes(frame)`).
 * Streaming samples therefore costs the records only; frames a consumer never shows cost nothing.
 */
export interface StoredFrame {
  encoding: FrameEncoding;
  width: number;
  height: number;
  time: number;
  /** Size of the encoded bytes. */
  byteLength: number;
  /** The frame's bytes (a view; the shard's frame bytes are read once and shared by its frames). */
  load(): Promise<Uint8Array>;
}

/**
 * One sample: its position in the dataset, its record and its frames ([] when without media).
 * Written with in-memory frames (`Sample`); read back with lazy ones (`StoredSample`).
 */
export interface Sample<F = Frame> {
  /** Position in the dataset, 0..count-1: stable, and the key of random access. */
  ordinal: number;
  record: DataRecord;
  frames: F[];
  /** Set when the record was kept without its media; says why. */
  mediaError?: string;
}

/** A sample as the reader hands it out: frames are references, loaded on demand. */
export type StoredSample = Sample<StoredFrame>;

/** Per-shard summary stored beside the shard, small enough to load for every shard of a 200k dataset. */
export interface ShardIndex {
  datasetId: string;
  index: number;
  /** problem_id of each sample, as a string. */
  ids: string[];
  /** Index into PROBLEM_TYPES of each sample. */
  types: number[];
  /** data_source of each sample as an index into `sourceNames`. */
  sources: number[];
  sourceNames: string[];
  /** 1 when the sample has frames. */
  hasFrames: number[];
}

export interface ShardInfo {
  index: number;
  /** Ordinal of the shard's first sample. */
  first: number;
  count: number;
  /** Payload size in bytes. */
  bytes: number;
  /** SHA-256 of the payload, hex. */
  sha256: string;
}

export type DatasetKind = 'synthetic' | 'video-r1' | 'videop2r';

export interface SourceFile {
  name: string;
  size: number;
  lastModified: number;
}

/** Why a source record was skipped or imported without media; codes match DataErrorCode. */
export interface ImportIssue {
  code: string;
  file: string;
  /** 1-based line where the record starts, when the source is text. */
  line?: number;
  /** 0-based position of the record in the source (all files concatenated). */
  record: number;
  problemId?: string;
  field?: string;
  message: string;
  /** What the importer did: skipped the record, or kept it without media. */
  action: 'skipped' | 'kept-without-media';
}

export type ImportState = 'importing' | 'complete' | 'cancelled' | 'failed';

export interface ImportProgress {
  state: ImportState;
  /** Source records consumed and committed (imported or skipped): where a resume starts. */
  cursor: number;
  /** Total source records when known (synthetic), else null. */
  total: number | null;
  imported: number;
  skipped: number;
  keptWithoutMedia: number;
  /** Counts per issue code. */
  byReason: Record<string, number>;
  /** A sample of the issues: the first MAX_ISSUES_PER_CODE of each code, in source order (every issue is in the issue store). */
  issues: ImportIssue[];
  /** Set when state is 'failed'. */
  error?: { code: string; message: string };
}

export interface DatasetManifest {
  id: string;
  name: string;
  /** Manifest format version. */
  version: 1;
  kind: DatasetKind;
  source: {
    files: SourceFile[];
    /** Content hash of the source files (hash.ts contentHash), to recognise a second import of the same data. */
    contentHash?: string;
    /** Importer or generator options, JSON-able, so a resume uses the same ones. */
    options: Record<string, unknown>;
  };
  createdAt: number;
  updatedAt: number;
  shards: ShardInfo[];
  counts: {
    samples: number;
    bytes: number;
    withFrames: number;
    frames: number;
    byProblemType: Record<string, number>;
    bySource: Record<string, number>;
    byDataType: Record<string, number>;
  };
  progress: ImportProgress;
}
