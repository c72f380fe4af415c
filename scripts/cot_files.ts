// Node pieces of `npm run cot`: the journal file (answers kept by request hash, fsynced before use),
// the media folder (images as they are; videos as folders of extracted frames), and the input reader
// (Video-R1 JSON list or JSON Lines, optionally gzipped, through the app's splitter and normaliser).

import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { createGunzip } from 'node:zlib';

import { JournalWriteError, type RequestJournal } from '../src/data/cot/journal';
import type { CotItem } from '../src/data/cot/pipeline';
import type { ImagePart } from '../src/data/cot/prompt';
import { JsonRecordSplitter } from '../src/data/jsonstream';
import { normalizePath } from '../src/data/media';
import { normalizeRecord } from '../src/data/records';
import type { DataRecord } from '../src/data/types';

const errno = (e: unknown) => ((e as NodeJS.ErrnoException)?.code ? `${(e as NodeJS.ErrnoException).code}: ${(e as Error).message.replace(/^[A-Z]+: /, '')}` : ((e as Error)?.message ?? String(e)));

// ---- the journal ---------------------------------------------------------------------------------------

/**
 * A JSON Lines file of {"k": KEY, "r": BODY}. Only byte offsets are kept in memory (a 160k-record run
 * holds ~300k answers). Each put is appended and fdatasync'ed before it resolves, so an answer the run
 * has used survives a kill or a crash. A last line cut off by a kill is dropped (and cut from the file)
 * on open: that answer was never used, so sending its request again is not a repeat.
 */
export class FileJournal implements RequestJournal {
  private readonly index = new Map<string, { offset: number; length: number }>();
  private size = 0;
  private writing: Promise<void> = Promise.resolve();
  dropped = 0;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  static async open(path: string, chunkBytes = 4 << 20): Promise<FileJournal> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'a+');
    } catch (e) {
      throw new JournalWriteError(`cannot open the journal ${path}: ${errno(e)}`);
    }
    const journal = new FileJournal(path, handle);
    // Read in chunks, keeping only each line's key and place: a journal of a 160k-record run is ~1 GB.
    // A line is written whole, so only the last can be cut (a kill mid-write); values are parsed on get.
    const KEY = /^\{"k":"((?:[^"\\]|\\.)*)","r":"/;
    const chunk = Buffer.alloc(chunkBytes);
    let carry = Buffer.alloc(0);
    let carryAt = 0; // file offset of carry[0]
    let start = 0; // file offset just after the last complete line
    try {
      for (let pos = 0; ; ) {
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, pos);
        if (bytesRead === 0) break;
        pos += bytesRead;
        const bytes = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
        let from = 0;
        for (let nl = bytes.indexOf(10, from); nl !== -1; from = nl + 1, nl = bytes.indexOf(10, from)) {
          const key = KEY.exec(bytes.subarray(from, Math.min(nl, from + 256)).toString('utf8'))?.[1];
          if (key !== undefined && bytes[nl - 1] === 0x7d /* } */) journal.index.set(JSON.parse(`"${key}"`) as string, { offset: carryAt + from, length: nl - from });
          else journal.dropped++;
        }
        start = carryAt + from;
        carry = Buffer.from(bytes.subarray(from));
        carryAt = start;
      }
    } catch (e) {
      await handle.close();
      throw new JournalWriteError(`cannot read the journal ${path}: ${errno(e)}`);
    }
    const fileSize = carryAt + carry.length;
    journal.size = start;
    if (start < fileSize) {
      // A partial last line (killed mid-write): cut it, so the next append starts on a line of its own.
      journal.dropped++;
      try {
        await handle.truncate(start);
      } catch (e) {
        await handle.close();
        throw new JournalWriteError(`cannot repair the journal ${path} (a partial last line): ${errno(e)}`);
      }
    }
    return journal;
  }

  get entries(): number {
    return this.index.size;
  }

  async get(key: string): Promise<string | undefined> {
    const at = this.index.get(key);
    if (!at) return undefined;
    const buffer = Buffer.alloc(at.length);
    await this.writing.catch(() => undefined);
    const { bytesRead } = await this.handle.read(buffer, 0, at.length, at.offset);
    if (bytesRead !== at.length) throw new JournalWriteError(`the journal ${this.path} changed under the run (short read at byte ${at.offset})`);
    try {
      const r = (JSON.parse(buffer.toString('utf8')) as { r?: unknown }).r;
      if (typeof r === 'string') return r;
    } catch {
      // a damaged line: as if it were not there (its request is sent again)
    }
    this.index.delete(key);
    this.dropped++;
    return undefined;
  }

  put(key: string, body: string): Promise<void> {
    const line = Buffer.from(JSON.stringify({ k: key, r: body }) + '\n', 'utf8');
    const write = this.writing.then(async () => {
      const offset = this.size;
      try {
        for (let off = 0; off < line.length; ) off += (await this.handle.write(line, off, line.length - off)).bytesWritten;
        await this.handle.datasync();
      } catch (e) {
        throw new JournalWriteError(`writing the journal ${this.path} failed: ${errno(e)}`);
      }
      this.size += line.length;
      this.index.set(key, { offset, length: line.length - 1 });
    });
    this.writing = write.catch(() => undefined);
    return write;
  }

  async close(): Promise<void> {
    await this.writing;
    await this.handle.close();
  }
}

// ---- media ---------------------------------------------------------------------------------------------

const IMAGE_TYPES: Record<string, string> = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.webp': 'image/webp', '.gif': 'image/gif' };

/** Evenly spaced picks of `n` among `count` (first and last included when n ≥ 2). */
export function evenlySpaced(count: number, n: number): number[] {
  if (count <= n) return Array.from({ length: count }, (_, i) => i);
  if (n === 1) return [Math.floor(count / 2)];
  return Array.from({ length: n }, (_, i) => Math.round((i * (count - 1)) / (n - 1)));
}

/**
 * Resolves a record's relative path against the media folder: the whole path first, then without its
 * leading folders one by one (the folder given may be Video-R1-data itself or a subset of it).
 */
export function resolveInFolder(folder: string, path: string): string | null {
  const parts = normalizePath(path).split('/').filter((p) => p !== '' && p !== '.');
  for (let skip = 0; skip < parts.length; skip++) {
    const candidate = join(folder, ...parts.slice(skip));
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

/** The frame images of a video's frame folder (VIDEO.frames/ or VIDEO without its extension), sorted by name. */
function frameFolder(videoPath: string | null, folder: string, path: string): string | null {
  const options: string[] = [];
  const stem = (p: string) => p.slice(0, p.length - extname(p).length);
  if (videoPath !== null) options.push(`${videoPath}.frames`, stem(videoPath));
  const rel = normalizePath(path);
  for (const base of [`${rel}.frames`, stem(rel)]) {
    const found = resolveInFolder(folder, base);
    if (found) options.push(found);
  }
  for (const dir of options) {
    try {
      if (statSync(dir).isDirectory()) return dir;
    } catch {
      // not there
    }
  }
  return null;
}

/**
 * Loads a record's images: an image file as it is; a video as up to `frames` evenly spaced images from
 * its frame folder (the CLI does not decode video). Throws with a message naming the path.
 */
export async function loadMedia(record: DataRecord, folder: string, frames: number): Promise<ImagePart[]> {
  const file = resolveInFolder(folder, record.path);
  if (record.data_type === 'video' || (file !== null && statSync(file).isDirectory())) {
    const dir = file !== null && statSync(file).isDirectory() ? file : frameFolder(file, folder, record.path);
    if (dir === null) {
      throw new Error(
        file === null
          ? `${record.path} is not in ${folder}`
          : `${record.path}: the CLI does not decode video; extract frames into ${basename(file)}.frames/ (e.g. ffmpeg -i ${basename(file)} -vf fps=2 ${basename(file)}.frames/%04d.jpg)`,
      );
    }
    const images = readdirSync(dir)
      .filter((n) => IMAGE_TYPES[extname(n).toLowerCase()] !== undefined)
      .sort();
    if (images.length === 0) throw new Error(`${record.path}: the frame folder ${dir} holds no .jpg/.png/.webp images`);
    return Promise.all(evenlySpaced(images.length, frames).map(async (i) => ({ mime: IMAGE_TYPES[extname(images[i]).toLowerCase()], bytes: new Uint8Array(await readFile(join(dir, images[i]))) })));
  }
  if (file === null) throw new Error(`${record.path} is not in ${folder}`);
  const mime = IMAGE_TYPES[extname(file).toLowerCase()];
  if (mime === undefined) throw new Error(`${record.path}: not an image the endpoint takes (expected .jpg, .png, .webp or .gif)`);
  try {
    return [{ mime, bytes: new Uint8Array(await readFile(file)) }];
  } catch (e) {
    throw new Error(`${record.path}: ${errno(e)}`);
  }
}

// ---- input ---------------------------------------------------------------------------------------------

/** A CotItem with the source value (for the output line) and where it came from. */
export interface InputItem extends CotItem {
  raw: unknown;
  line: number;
}

/** How many records the input holds (a quick pass over the text, no JSON parsing), for progress. */
export async function countRecords(path: string): Promise<number> {
  let stream: NodeJS.ReadableStream = createReadStream(path);
  if (/\.gz$/i.test(path)) stream = stream.pipe(createGunzip());
  const decoder = new TextDecoder('utf-8');
  const splitter = new JsonRecordSplitter();
  let n = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) n += splitter.push(decoder.decode(chunk, { stream: true })).length;
  return n + splitter.push(decoder.decode()).length + splitter.end().length;
}

/**
 * The records of a Video-R1 JSON list or JSON Lines file (gzipped when it ends in .gz), in order, each
 * normalised by the importer's normaliser; an unreadable record becomes an item with its problem
 * ('FILE:LINE: …'), so the output keeps one line per input record.
 */
export async function* readInput(path: string, images: (record: DataRecord) => (() => Promise<ImagePart[]>) | undefined): AsyncGenerator<InputItem> {
  const name = basename(path);
  let stream: NodeJS.ReadableStream = createReadStream(path);
  if (/\.gz$/i.test(path)) stream = stream.pipe(createGunzip());
  const decoder = new TextDecoder('utf-8');
  const splitter = new JsonRecordSplitter();
  let index = 0;
  const items = function* (texts: { text: string; line: number }[]): Generator<InputItem> {
    for (const { text, line } of texts) {
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (e) {
        yield { index: index++, record: null, problem: `${name}:${line}: invalid JSON: ${(e as Error).message}`, raw: text, line };
        continue;
      }
      const result = normalizeRecord(raw, `${name}:${line}`);
      if ('problem' in result) {
        const field = result.problem.field ? ` (field '${result.problem.field}')` : '';
        yield { index: index++, record: null, problem: `${name}:${line}${field}: ${result.problem.message}`, raw, line };
        continue;
      }
      yield { index: index++, record: result.record, images: images(result.record), raw, line };
    }
  };
  for await (const chunk of stream as AsyncIterable<Buffer>) yield* items(splitter.push(decoder.decode(chunk, { stream: true })));
  yield* items(splitter.push(decoder.decode()));
  yield* items(splitter.end());
}
