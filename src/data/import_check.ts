// An import without storage: the importer's entries (fileEntries, the code the page runs) folded
// into a manifest by applyShard, the fold the page's shard commits use, so the counts are the page's.
// The command line (scripts/dataset.ts) runs it in Node; `onIssue` sees every issue in source order.

import type { ImportIssue, ImportProgress, DatasetManifest, Sample } from './types';
import { applyShard, newManifest } from './manifest';
import { describeFiles, fileEntries, kindOfFiles, type ImportSourceOptions, type SourceFileLike } from './importers';

export interface CheckOptions extends ImportSourceOptions {
  name?: string;
  /** Records folded per step (the page's shard size; any size gives the same counts). */
  batch?: number;
  onIssue?: (issue: ImportIssue) => void;
  onProgress?: (p: ImportProgress) => void;
}

/** Reads, validates and (with `media`) checks every record of `files`; returns the manifest the page would hold, without shards. */
export async function checkImport(files: SourceFileLike[], opts: CheckOptions = {}): Promise<DatasetManifest> {
  const described = describeFiles(files);
  const name = opts.name ?? described.map((f) => f.name).join(' + ');
  let m = newManifest({ id: 'check', name, kind: kindOfFiles(described), files: described });
  const batch = opts.batch ?? 256;
  let samples: Sample[] = [];
  let issues: ImportIssue[] = [];
  let cursor = 0;
  const fold = () => {
    m = applyShard(m, { samples, payloadBytes: 0, sha256: '', cursor, issues });
    m.shards = []; // no storage: only the counts matter
    samples = [];
    issues = [];
    opts.onProgress?.(m.progress);
  };
  for await (const entry of fileEntries(files, opts)) {
    cursor = entry.position + 1;
    for (const issue of entry.issues ?? []) {
      issues.push(issue);
      opts.onIssue?.(issue);
    }
    if (entry.sample) samples.push({ ordinal: m.counts.samples + samples.length, record: entry.sample.record, frames: entry.sample.frames, ...(entry.sample.mediaError ? { mediaError: entry.sample.mediaError } : {}) });
    if (samples.length >= batch || issues.length >= batch) fold();
  }
  fold();
  m.progress = { ...m.progress, state: 'complete' };
  return m;
}
