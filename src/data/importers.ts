// Import sources for Video-R1 JSON / JSON Lines files and the VideoP2R release (gzip-compressed JSON
// list parts): read as streams, split into records, normalised, media attached, and yielded as
// resumable SourceEntry values for writer.ts. Runs wherever Blob.stream, TextDecoderStream and
// DecompressionStream exist (browsers, workers, Node 20).

import type { DatasetKind, Frame, ImportIssue, DataRecord, SourceFile } from './types';
import type { SourceEntry } from './writer';
import { JsonRecordSplitter } from './jsonstream';
import { normalizeRecord } from './records';
import { DataError, dataError, describeError, type DataErrorCode } from './errors';

/** What an importer needs of a file: a Blob-like stream and its identity (File fits). */
export interface SourceFileLike {
  name: string;
  size: number;
  lastModified: number;
  stream(): ReadableStream<Uint8Array>;
}

/** Fetches and decodes the frames of a record's media, or throws a DataError (MediaMissing / MediaUndecodable). */
export type MediaLoader = (record: DataRecord) => Promise<Frame[]>;

export interface ImportSourceOptions {
  /** Source position to start at (manifest.progress.cursor on resume). */
  from?: number;
  /** Attaches frames; absent for a text-only import. */
  media?: MediaLoader;
  /** What to do with a record whose media is missing or undecodable. */
  onMediaError?: 'skip' | 'keep';
}

export function isGzip(file: { name: string }): boolean {
  return /\.gz$/i.test(file.name);
}

/** VideoP2R parts in release order: part1of3 before part2of3, otherwise by name. */
export function orderFiles<T extends { name: string }>(files: T[]): T[] {
  const part = (n: string) => Number(/part(\d+)of\d+/i.exec(n)?.[1] ?? 0);
  return [...files].sort((a, b) => part(a.name) - part(b.name) || a.name.localeCompare(b.name));
}

export function kindOfFiles(files: { name: string }[]): DatasetKind {
  return files.some(isGzip) ? 'videop2r' : 'video-r1';
}

export function describeFiles(files: SourceFileLike[]): SourceFile[] {
  return orderFiles(files).map((f) => ({ name: f.name, size: f.size, lastModified: f.lastModified }));
}

/** The text of a file as chunks, gunzipped in the stream when its name ends in .gz. */
async function* textChunks(file: SourceFileLike): AsyncGenerator<string> {
  let stream: ReadableStream<Uint8Array> = file.stream();
  if (isGzip(file)) stream = stream.pipeThrough(new DecompressionStream('gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
  const reader = stream.pipeThrough(new TextDecoderStream() as unknown as ReadableWritablePair<string, Uint8Array>).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } catch (e) {
    // A file that went away (or changed) after it was picked: NotFoundError / NotReadableError.
    const name = (e as { name?: string } | null)?.name;
    if (name === 'NotFoundError' || name === 'NotReadableError' || name === 'SecurityError')
      throw dataError('SourceUnreadable', `${file.name} could not be read: ${(e as Error)?.message ?? e}`);
    if (isGzip(file)) throw dataError('DecompressionFailed', `${file.name}: ${(e as Error)?.message ?? e}`);
    throw dataError('SourceUnreadable', `${file.name} could not be read: ${(e as Error)?.message ?? e}`);
  } finally {
    reader.releaseLock();
  }
}

function issue(code: DataErrorCode | string, file: string, record: number, message: string, extra: Partial<ImportIssue> = {}): ImportIssue {
  return { code, file, record, message, action: 'skipped', ...extra };
}

/**
 * Every record of `files` (in release order) as a SourceEntry: a sample, or the issue that made the
 * importer skip it. Positions count records across all files, so a resume from `from` skips exactly
 * the records already committed (without even parsing them).
 */
export async function* fileEntries(files: SourceFileLike[], opts: ImportSourceOptions = {}): AsyncGenerator<SourceEntry> {
  const from = opts.from ?? 0;
  let position = 0;
  for (const file of orderFiles(files)) {
    const splitter = new JsonRecordSplitter();
    const handle = async function* (texts: { text: string; line: number }[]): AsyncGenerator<SourceEntry> {
      for (const { text, line } of texts) {
        const at = position++;
        if (at < from) continue;
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch (e) {
          // Newer V8 (Chromium) appends " (line 1 column N)" to what Node 20's says: dropped, so the
          // page's report and the CLI's are the same text.
          const reason = (e as Error).message.replace(/ \(line \d+ column \d+\)$/, '');
          yield { position: at, issues: [issue('InvalidJson', file.name, at, `Invalid JSON: ${reason}`, { line })] };
          continue;
        }
        const id = (value as { problem_id?: unknown } | null)?.problem_id;
        const problemId = typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
        const result = normalizeRecord(value, `${file.name}:${line}`);
        if ('problem' in result) {
          yield { position: at, issues: [issue(result.problem.code, file.name, at, result.problem.message, { line, field: result.problem.field, problemId })] };
          continue;
        }
        const record = result.record;
        if (!opts.media || record.path === '') {
          yield { position: at, sample: { record, frames: [] } };
          continue;
        }
        try {
          yield { position: at, sample: { record, frames: await opts.media(record) } };
        } catch (e) {
          const err = e instanceof DataError ? e : dataError('MediaUndecodable', (e as Error)?.message ?? String(e));
          const keep = opts.onMediaError === 'keep';
          const found = issue(err.code, file.name, at, describeError(err).message, { line, field: 'path', problemId: String(record.problem_id), action: keep ? 'kept-without-media' : 'skipped' });
          if (keep) yield { position: at, sample: { record, frames: [], mediaError: err.code }, issues: [found] };
          else yield { position: at, issues: [found] };
        }
      }
    };
    for await (const chunk of textChunks(file)) yield* handle(splitter.push(chunk));
    yield* handle(splitter.end());
    if (splitter.unterminated) {
      // A truncated list: the records before the cut are imported; say so once, as an issue on no record.
      console.warn(`${file.name}: the JSON list is not closed (truncated file?); imported the complete records before the end.`);
    }
  }
}
