// Content hash of import source files, to recognise a second import of the same data whatever the
// files are called. Streamed: each file is read once in fixed 4 MiB blocks, each block hashed with
// SHA-256 (WebCrypto, native speed), and the hash is the SHA-256 of the file sizes and block
// digests in release order. Never the whole file in memory; the same value in browsers and Node.

import { orderFiles, type SourceFileLike } from './importers';
import { dataError } from './errors';

export const HASH_BLOCK = 4 << 20;

const hex = (bytes: ArrayBuffer) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');

async function digest(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

/** The block digests of one file's bytes (as stored: a .gz part is hashed compressed). */
async function blockDigests(file: SourceFileLike, onBytes?: (n: number) => void): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  const block = new Uint8Array(HASH_BLOCK);
  let filled = 0;
  const reader = file.stream().getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      let at = 0;
      while (at < value.byteLength) {
        const n = Math.min(HASH_BLOCK - filled, value.byteLength - at);
        block.set(value.subarray(at, at + n), filled);
        filled += n;
        at += n;
        if (filled === HASH_BLOCK) {
          out.push(await digest(block));
          filled = 0;
        }
      }
      onBytes?.(value.byteLength);
    }
  } catch (e) {
    throw dataError('SourceUnreadable', `${file.name} could not be read: ${(e as Error)?.message ?? e}`);
  } finally {
    reader.releaseLock();
  }
  if (filled > 0 || out.length === 0) out.push(await digest(block.subarray(0, filled)));
  return out;
}

/** SHA-256 (hex) over the files' sizes and 4 MiB block digests, files in release order. */
export async function contentHash(files: SourceFileLike[], onBytes?: (n: number) => void): Promise<string> {
  const parts: Uint8Array[] = [];
  for (const f of orderFiles(files)) {
    parts.push(new TextEncoder().encode(`${f.size}\n`));
    parts.push(...(await blockDigests(f, onBytes)));
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) (all.set(p, at), (at += p.byteLength));
  return hex(await crypto.subtle.digest('SHA-256', all));
}
