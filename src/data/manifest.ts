// The per-dataset manifest as pure functions: create one, fold a committed shard into it, locate a
// sample by ordinal. The store and the importers call these; only db.ts writes the result.

import { PROBLEM_TYPES, type DatasetKind, type DatasetManifest, type ImportIssue, type Sample, type ShardIndex, type ShardInfo, type SourceFile } from './types';

/**
 * Issues kept verbatim in the manifest, per issue code: a sample for the summary, bounded so that
 * 250k MediaMissing issues cannot crowd out the one MissingField. Every issue is kept in the issue
 * store (db.ts, issues.ts); the manifest's counts per code are exact.
 */
export const MAX_ISSUES_PER_CODE = 50;

export function newManifest(init: {
  id: string;
  name: string;
  kind: DatasetKind;
  files?: SourceFile[];
  options?: Record<string, unknown>;
  total?: number | null;
  now?: number;
}): DatasetManifest {
  const now = init.now ?? Date.now();
  return {
    id: init.id,
    name: init.name,
    version: 1,
    kind: init.kind,
    source: { files: init.files ?? [], options: init.options ?? {} },
    createdAt: now,
    updatedAt: now,
    shards: [],
    counts: { samples: 0, bytes: 0, withFrames: 0, frames: 0, byProblemType: {}, bySource: {}, byDataType: {} },
    progress: { state: 'importing', cursor: 0, total: init.total ?? null, imported: 0, skipped: 0, keptWithoutMedia: 0, byReason: {}, issues: [] },
  };
}

/** What one shard commit adds: its samples and the issues met while reading its source records. */
export interface ShardCommit {
  samples: Sample[];
  payloadBytes: number;
  sha256: string;
  /** Source cursor after the last record this shard consumed (imported or skipped). */
  cursor: number;
  issues: ImportIssue[];
}

function bump(map: Record<string, number>, key: string, by = 1): void {
  map[key] = (map[key] ?? 0) + by;
}

/** The manifest after a shard commit (a new object; the input is not changed). */
export function applyShard(m: DatasetManifest, c: ShardCommit, now = Date.now()): DatasetManifest {
  const next: DatasetManifest = structuredClone(m);
  if (c.samples.length > 0) {
    const info: ShardInfo = { index: m.shards.length, first: m.counts.samples, count: c.samples.length, bytes: c.payloadBytes, sha256: c.sha256 };
    next.shards.push(info);
  }
  const counts = next.counts;
  const seen = new Set<unknown>();
  for (const s of c.samples) {
    counts.samples++;
    if (s.frames.length > 0) counts.withFrames++;
    for (const f of s.frames) if (!seen.has(f)) (seen.add(f), counts.frames++);
    bump(counts.byProblemType, s.record.problem_type);
    bump(counts.bySource, s.record.data_source);
    bump(counts.byDataType, s.record.data_type);
  }
  counts.bytes += c.samples.length > 0 ? c.payloadBytes : 0;
  const p = next.progress;
  p.cursor = c.cursor;
  p.imported += c.samples.length;
  const sampled: Record<string, number> = {};
  for (const issue of p.issues) bump(sampled, issue.code);
  for (const issue of c.issues) {
    bump(p.byReason, issue.code);
    if (issue.action === 'skipped') p.skipped++;
    else p.keptWithoutMedia++;
    if ((sampled[issue.code] ?? 0) < MAX_ISSUES_PER_CODE) {
      p.issues.push(issue);
      bump(sampled, issue.code);
    }
  }
  next.updatedAt = now;
  return next;
}

/** The small per-shard index stored beside a shard (ids, types and sources for the list and filters). */
export function shardIndexOf(datasetId: string, index: number, samples: Sample[]): ShardIndex {
  const sourceNames: string[] = [];
  const sourceIds = new Map<string, number>();
  const sources = samples.map((s) => {
    let i = sourceIds.get(s.record.data_source);
    if (i === undefined) {
      i = sourceNames.length;
      sourceIds.set(s.record.data_source, i);
      sourceNames.push(s.record.data_source);
    }
    return i;
  });
  return {
    datasetId,
    index,
    ids: samples.map((s) => String(s.record.problem_id)),
    types: samples.map((s) => PROBLEM_TYPES.indexOf(s.record.problem_type)),
    sources,
    sourceNames,
    hasFrames: samples.map((s) => (s.frames.length > 0 ? 1 : 0)),
  };
}

/** Shard and position within it of a sample ordinal (binary search over shard first ordinals). */
export function locate(m: DatasetManifest, ordinal: number): { shard: number; offset: number } | null {
  if (!Number.isInteger(ordinal) || ordinal < 0 || ordinal >= m.counts.samples) return null;
  let lo = 0;
  let hi = m.shards.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (m.shards[mid].first <= ordinal) lo = mid;
    else hi = mid - 1;
  }
  return { shard: lo, offset: ordinal - m.shards[lo].first };
}

let lastStamp = 0;

/** A URL-safe id for a new dataset (unique in this page even for two imports of one name in one millisecond). */
export function datasetId(name: string, now = Date.now()): string {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'dataset';
  const stamp = Math.max(now, lastStamp + 1);
  lastStamp = stamp;
  return `${slug}-${stamp.toString(36)}`;
}
