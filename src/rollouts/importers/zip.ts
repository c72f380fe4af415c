// A minimal ZIP reader for inspect_ai `.eval` logs: the central directory gives each member's method
// and offsets; members are stored (0), deflated (8, fflate) or zstd-compressed (93, fzstd: newer inspect).
// fflate's own unzip rejects method 93, hence this reader. ZIP64 sizes and offsets are honoured.

import { inflateSync } from 'fflate';
import { decompress as zstdDecompress } from 'fzstd';
import { ImportError } from './common';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  /** Offset of the member's local header. */
  offset: number;
}

const u16 = (b: DataView, o: number) => b.getUint16(o, true);
const u32 = (b: DataView, o: number) => b.getUint32(o, true);
const u64 = (b: DataView, o: number) => Number(b.getBigUint64(o, true));

export function zipEntries(bytes: Uint8Array): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // End of central directory: signature 0x06054b50, within the last 64 KiB + 22 bytes.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 65557); i--) {
    if (u32(view, i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ImportError('not a ZIP archive (no end-of-central-directory record)', 'an inspect .eval log is a ZIP file');
  let count = u16(view, eocd + 10);
  let cdOffset = u32(view, eocd + 16);
  if (cdOffset === 0xffffffff || count === 0xffff) {
    const locator = eocd - 20;
    if (locator >= 0 && u32(view, locator) === 0x07064b50) {
      const z64 = u64(view, locator + 8);
      count = u64(view, z64 + 32);
      cdOffset = u64(view, z64 + 48);
    }
  }
  const decoder = new TextDecoder();
  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let n = 0; n < count; n++) {
    if (u32(view, p) !== 0x02014b50) throw new ImportError('corrupt ZIP central directory', 'the .eval file may be truncated (still being written?)');
    const method = u16(view, p + 10);
    let compressedSize = u32(view, p + 20);
    let size = u32(view, p + 24);
    const nameLen = u16(view, p + 28);
    const extraLen = u16(view, p + 30);
    const commentLen = u16(view, p + 32);
    let offset = u32(view, p + 42);
    const name = decoder.decode(bytes.subarray(p + 46, p + 46 + nameLen));
    // ZIP64 extra field (0x0001): present values replace the 0xffffffff placeholders, in order.
    let e = p + 46 + nameLen;
    const end = e + extraLen;
    while (e + 4 <= end) {
      const id = u16(view, e);
      const len = u16(view, e + 2);
      if (id === 1) {
        let q = e + 4;
        if (size === 0xffffffff) (size = u64(view, q)), (q += 8);
        if (compressedSize === 0xffffffff) (compressedSize = u64(view, q)), (q += 8);
        if (offset === 0xffffffff) offset = u64(view, q);
      }
      e += 4 + len;
    }
    entries.push({ name, method, compressedSize, size, offset });
    p = end + commentLen;
  }
  return entries;
}

export function readZipEntry(bytes: Uint8Array, entry: ZipEntry): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const p = entry.offset;
  if (u32(view, p) !== 0x04034b50) throw new ImportError(`corrupt ZIP member ${entry.name}`, 'the archive may be truncated');
  const start = p + 30 + u16(view, p + 26) + u16(view, p + 28);
  const data = bytes.subarray(start, start + entry.compressedSize);
  switch (entry.method) {
    case 0:
      return data;
    case 8:
      return inflateSync(data, { out: new Uint8Array(entry.size) });
    case 93:
      return zstdDecompress(data);
    default:
      throw new ImportError(`ZIP member ${entry.name} uses compression method ${entry.method}`, 'supported: stored, deflate, zstd');
  }
}
