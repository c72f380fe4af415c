// The safetensors format (Hugging Face), written and read without any library: pure code over
// Uint8Array, DataView and TextEncoder/TextDecoder, so it runs the same in a worker, a page and Node.
//
// Format, as confirmed against huggingface/safetensors (README.md "Format", and safetensors/src/tensor.rs:
// `prepare`, `read_metadata`, `Metadata::validate`, `Dtype`):
//   - 8 bytes: N, a little-endian u64, the size of the header;
//   - N bytes: a UTF-8 JSON object {"NAME": {"dtype": "F32", "shape": [..], "data_offsets": [BEGIN, END]}, ...}
//     with an optional "__metadata__" key holding a string → string map; the writer pads the header
//     with spaces (b' ') to a multiple of 8 so the byte buffer starts 8-aligned; readers accept any N;
//   - the rest of the file: the byte buffer. Offsets are relative to its start, END is one past the
//     last byte; tensors are packed ('C' order, row-major, little-endian, no strides).
//   - The reader sorts entries by offsets and requires the first to start at 0, each to start where
//     the previous ended (no overlaps, no holes), END - BEGIN = product(shape) × dtype size, and the
//     last END to be the end of the file (MetadataIncompleteBuffer otherwise). Headers over 100,000,000
//     bytes are refused (MAX_HEADER_SIZE). Empty tensors (a 0 in the shape) and scalars (shape []) are
//     valid. Duplicate keys are disallowed. Values are not checked (NaN and ±Inf may appear).
//   - Dtype names: BOOL U8 I8 F8_E5M2 F8_E4M3 I16 U16 F16 BF16 I32 U32 F32 F64 I64 U64.
// The reference writer orders tensors by dtype alignment then name; the spec does not require an order,
// and this writer keeps the caller's order (so a flat parameter buffer's layout maps onto the byte
// buffer one to one). Tensors here are F32 only, which keeps every tensor 4-aligned.

export type SafetensorsErrorCode =
  | 'FileTooShort'
  | 'HeaderTooLarge'
  | 'HeaderBeyondFile'
  | 'HeaderNotUtf8'
  | 'HeaderNotJson'
  | 'HeaderNotObject'
  | 'BadMetadata'
  | 'BadTensorInfo'
  | 'UnsupportedDtype'
  | 'SizeMismatch'
  | 'OffsetOutOfRange'
  | 'Overlap'
  | 'Hole'
  | 'TrailingBytes'
  | 'InvalidTensor';

/** Every problem with a safetensors file or with tensors to encode: a stable code, and what and where in the message. */
export class SafetensorsError extends Error {
  constructor(
    readonly code: SafetensorsErrorCode,
    message: string,
    /** The tensor the problem is in, where there is one. */
    readonly tensor?: string,
  ) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

/** A tensor to write: F32 values, row-major, product(shape) of them. */
export interface SafetensorsTensor {
  name: string;
  shape: number[];
  dtype: 'F32';
  data: Float32Array;
}

/** Dtypes this reader turns into Float32Array (F16 and BF16 are widened exactly). */
export type StoredDtype = 'F32' | 'F16' | 'BF16';

export interface DecodedTensor extends SafetensorsTensor {
  /** The dtype in the file before widening to F32. */
  storedDtype: StoredDtype;
  /** [BEGIN, END] in bytes, relative to the start of the byte buffer, as in the header. */
  dataOffsets: [number, number];
}

export interface DecodedSafetensors {
  /** In byte-buffer order. */
  tensors: DecodedTensor[];
  metadata: Record<string, string>;
  /** Where the byte buffer starts in the file: 8 + N. */
  dataStart: number;
}

export const METADATA_KEY = '__metadata__';
/** Same limit as the reference implementation's MAX_HEADER_SIZE. */
export const MAX_HEADER_BYTES = 100_000_000;

/** Element sizes of every dtype the spec names; the reader decodes only the StoredDtype subset. */
export const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
};

const DECODABLE = new Set<string>(['F32', 'F16', 'BF16']);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function product(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function isDim(d: unknown): d is number {
  return typeof d === 'number' && Number.isSafeInteger(d) && d >= 0;
}

/**
 * Writes tensors (in the given order, packed from offset 0) and a string → string metadata map as a
 * safetensors file. The metadata is omitted from the header when empty.
 */
export function encodeSafetensors(tensors: readonly SafetensorsTensor[], metadata: Record<string, string> = {}): Uint8Array {
  const seen = new Set<string>();
  const entries: string[] = [];
  const metaEntries = Object.entries(metadata);
  for (const [k, v] of metaEntries) {
    if (typeof v !== 'string') throw new SafetensorsError('BadMetadata', `metadata '${k}' must be a string, got ${typeof v}`);
  }
  if (metaEntries.length > 0) entries.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(Object.fromEntries(metaEntries))}`);

  let offset = 0;
  const placed: { t: SafetensorsTensor; begin: number }[] = [];
  for (const t of tensors) {
    const where = `tensor '${t.name}'`;
    if (typeof t.name !== 'string') throw new SafetensorsError('InvalidTensor', `a tensor name must be a string, got ${typeof t.name}`);
    if (t.name === METADATA_KEY) throw new SafetensorsError('InvalidTensor', `'${METADATA_KEY}' is reserved and cannot name a tensor`, t.name);
    if (seen.has(t.name)) throw new SafetensorsError('InvalidTensor', `${where} appears twice (duplicate keys are disallowed)`, t.name);
    seen.add(t.name);
    if (t.dtype !== 'F32') throw new SafetensorsError('UnsupportedDtype', `${where}: only F32 can be written, got ${String(t.dtype)}`, t.name);
    if (!(t.data instanceof Float32Array)) throw new SafetensorsError('InvalidTensor', `${where}: data must be a Float32Array`, t.name);
    if (!Array.isArray(t.shape) || !t.shape.every(isDim))
      throw new SafetensorsError('InvalidTensor', `${where}: shape must be non-negative integers, got ${JSON.stringify(t.shape)}`, t.name);
    const n = product(t.shape);
    if (n !== t.data.length)
      throw new SafetensorsError('SizeMismatch', `${where}: shape [${t.shape.join(', ')}] holds ${n} values but data has ${t.data.length}`, t.name);
    const begin = offset;
    offset += n * 4;
    entries.push(`${JSON.stringify(t.name)}:${JSON.stringify({ dtype: 'F32', shape: t.shape, data_offsets: [begin, offset] })}`);
    placed.push({ t, begin });
  }

  const json = new TextEncoder().encode(`{${entries.join(',')}}`);
  const headerLen = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLen + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLen, true);
  view.setUint32(4, Math.floor(headerLen / 2 ** 32), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);
  const dataStart = 8 + headerLen;
  for (const { t, begin } of placed) {
    const at = dataStart + begin;
    if (LITTLE_ENDIAN) out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    else for (let i = 0; i < t.data.length; i++) view.setFloat32(at + 4 * i, t.data[i], true);
  }
  return out;
}

function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

interface RawEntry {
  name: string;
  dtype: StoredDtype;
  shape: number[];
  begin: number;
  end: number;
}

/** Reads a safetensors file, checking everything the reference reader checks; F16 and BF16 are widened to F32. */
export function decodeSafetensors(bytes: Uint8Array): DecodedSafetensors {
  if (bytes.length < 8) throw new SafetensorsError('FileTooShort', `the file is ${bytes.length} bytes: too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  const n = hi * 2 ** 32 + lo;
  if (n > MAX_HEADER_BYTES) throw new SafetensorsError('HeaderTooLarge', `header length ${n} at byte 0 exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  if (8 + n > bytes.length)
    throw new SafetensorsError('HeaderBeyondFile', `header length ${n} at byte 0 extends beyond the file: 8 + ${n} > ${bytes.length} bytes`);

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw new SafetensorsError('HeaderNotUtf8', `the header (bytes 8..${8 + n}) is not valid UTF-8`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError('HeaderNotJson', `the header (bytes 8..${8 + n}) is not valid JSON: ${(e as Error).message}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    throw new SafetensorsError('HeaderNotObject', `the header must be a JSON object, got ${Array.isArray(header) ? 'an array' : header === null ? 'null' : typeof header}`);

  const metadata: Record<string, string> = {};
  const raw: RawEntry[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      if (info === null || typeof info !== 'object' || Array.isArray(info))
        throw new SafetensorsError('BadMetadata', `'${METADATA_KEY}' must be an object of strings`);
      for (const [k, v] of Object.entries(info as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new SafetensorsError('BadMetadata', `'${METADATA_KEY}'.'${k}' must be a string, got ${JSON.stringify(v)}`);
        metadata[k] = v;
      }
      continue;
    }
    const where = `tensor '${name}'`;
    if (info === null || typeof info !== 'object' || Array.isArray(info))
      throw new SafetensorsError('BadTensorInfo', `${where}: the header entry must be an object with dtype, shape and data_offsets`, name);
    const { dtype, shape, data_offsets: off } = info as Record<string, unknown>;
    if (typeof dtype !== 'string') throw new SafetensorsError('BadTensorInfo', `${where}: dtype must be a string, got ${JSON.stringify(dtype)}`, name);
    if (!Array.isArray(shape) || !shape.every(isDim))
      throw new SafetensorsError('BadTensorInfo', `${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`, name);
    if (!Array.isArray(off) || off.length !== 2 || !off.every(isDim))
      throw new SafetensorsError('BadTensorInfo', `${where}: data_offsets must be [BEGIN, END] non-negative integers, got ${JSON.stringify(off)}`, name);
    if (!(dtype in DTYPE_BYTES)) throw new SafetensorsError('UnsupportedDtype', `${where}: unknown dtype '${dtype}'`, name);
    if (!DECODABLE.has(dtype))
      throw new SafetensorsError('UnsupportedDtype', `${where}: dtype ${dtype} is valid safetensors but not supported here (F32, F16, BF16 only)`, name);
    const [begin, end] = off as [number, number];
    if (end < begin) throw new SafetensorsError('OffsetOutOfRange', `${where}: data_offsets [${begin}, ${end}] end before they begin`, name);
    const want = product(shape) * DTYPE_BYTES[dtype];
    if (!Number.isSafeInteger(want)) throw new SafetensorsError('SizeMismatch', `${where}: shape [${shape.join(', ')}] overflows`, name);
    if (end - begin !== want)
      throw new SafetensorsError(
        'SizeMismatch',
        `${where}: shape [${shape.join(', ')}] × ${dtype} (${DTYPE_BYTES[dtype]} bytes) = ${want} bytes, but data_offsets [${begin}, ${end}] span ${end - begin}`,
        name,
      );
    raw.push({ name, dtype: dtype as StoredDtype, shape: shape as number[], begin, end });
  }

  const dataStart = 8 + n;
  const bufferLen = bytes.length - dataStart;
  raw.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let prev: RawEntry | undefined;
  for (const e of raw) {
    const where = `tensor '${e.name}'`;
    if (e.end > bufferLen)
      throw new SafetensorsError(
        'OffsetOutOfRange',
        `${where}: data_offsets [${e.begin}, ${e.end}] go past the end of the ${bufferLen}-byte buffer (file bytes ${dataStart + e.begin}..${dataStart + e.end} of ${bytes.length})`,
        e.name,
      );
    if (e.begin < cursor)
      throw new SafetensorsError('Overlap', `${where}: data_offsets [${e.begin}, ${e.end}] overlap tensor '${prev?.name}' which ends at ${cursor}`, e.name);
    if (e.begin > cursor)
      throw new SafetensorsError(
        'Hole',
        `${where}: data_offsets begin at ${e.begin} but ${prev ? `tensor '${prev.name}' ends at ${cursor}` : 'the buffer starts at 0'}: bytes ${cursor}..${e.begin} belong to no tensor`,
        e.name,
      );
    cursor = e.end;
    prev = e;
  }
  if (cursor !== bufferLen)
    throw new SafetensorsError('TrailingBytes', `the tensors cover ${cursor} bytes of the ${bufferLen}-byte buffer: ${bufferLen - cursor} bytes at file offset ${dataStart + cursor} belong to no tensor`);

  const tensors: DecodedTensor[] = raw.map((e) => {
    const count = product(e.shape);
    const at = dataStart + e.begin;
    let data: Float32Array;
    if (e.dtype === 'F32') {
      if (LITTLE_ENDIAN) data = new Float32Array(bytes.slice(at, at + count * 4).buffer);
      else {
        data = new Float32Array(count);
        for (let i = 0; i < count; i++) data[i] = view.getFloat32(at + 4 * i, true);
      }
    } else {
      data = new Float32Array(count);
      const bits = new Uint32Array(data.buffer);
      for (let i = 0; i < count; i++) {
        const h = view.getUint16(at + 2 * i, true);
        if (e.dtype === 'BF16') bits[i] = h << 16;
        else data[i] = f16ToF32(h);
      }
    }
    return { name: e.name, shape: e.shape, dtype: 'F32', storedDtype: e.dtype, data, dataOffsets: [e.begin, e.end] };
  });
  return { tensors, metadata, dataStart };
}
