import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, SafetensorsError, type SafetensorsTensor } from '../../src/train/safetensors';

const enc = new TextEncoder();

function f32(...v: number[]): Float32Array {
  return new Float32Array(v);
}

/** Builds a file by hand: a u64 LE length, the header text (padded with spaces to `pad`), then `data`. */
function file(header: string, data: number[] | Uint8Array = [], opts: { length?: number; pad?: boolean } = {}): Uint8Array {
  let h = enc.encode(header);
  if (opts.pad !== false && h.length % 8) h = enc.encode(header + ' '.repeat(8 - (h.length % 8)));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setUint32(0, opts.length ?? h.length, true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function expectError(bytes: Uint8Array, code: string, ...fragments: (string | RegExp)[]): SafetensorsError {
  let err: unknown;
  try {
    decodeSafetensors(bytes);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SafetensorsError);
  const e = err as SafetensorsError;
  expect(e.code).toBe(code);
  for (const f of fragments) expect(e.message).toMatch(f);
  return e;
}

const F32_0_TO_5 = [0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64];

describe('encodeSafetensors', () => {
  it('writes the exact bytes of a hand-built file: u64 LE header length, compact JSON padded with spaces to 8, then LE floats', () => {
    // The same tensor as the reference crate's test_serialization_forced_alignement: 65 header bytes padded to 72.
    const header = '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}';
    expect(header.length).toBe(65);
    const expected = new Uint8Array([72, 0, 0, 0, 0, 0, 0, 0, ...enc.encode(header), 32, 32, 32, 32, 32, 32, 32, ...F32_0_TO_5]);
    const bytes = encodeSafetensors([{ name: 'attn0', shape: [1, 1, 2, 3], dtype: 'F32', data: f32(0, 1, 2, 3, 4, 5) }], {});
    expect(Array.from(bytes)).toEqual(Array.from(expected));
  });

  it('adds no padding when the header is already a multiple of 8 bytes long', () => {
    const header = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
    expect(header.length).toBe(64);
    const bytes = encodeSafetensors([{ name: 'attn.0', shape: [1, 2, 3], dtype: 'F32', data: f32(0, 1, 2, 3, 4, 5) }]);
    expect(Array.from(bytes)).toEqual([64, 0, 0, 0, 0, 0, 0, 0, ...enc.encode(header), ...F32_0_TO_5]);
  });

  it('writes an empty file as {} plus six spaces, and puts __metadata__ first in the header', () => {
    expect(Array.from(encodeSafetensors([]))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    const withMeta = encodeSafetensors([], { framework: 'pt' });
    expect(Array.from(withMeta)).toEqual([40, 0, 0, 0, 0, 0, 0, 0, ...enc.encode('{"__metadata__":{"framework":"pt"}}'), 32, 32, 32, 32, 32]);
  });

  it('keeps the caller order and packs tensors contiguously from offset 0', () => {
    const bytes = encodeSafetensors([
      { name: 'z', shape: [2], dtype: 'F32', data: f32(1, 2) },
      { name: '0', shape: [3], dtype: 'F32', data: f32(3, 4, 5) },
      { name: 'a', shape: [], dtype: 'F32', data: f32(6) },
    ]);
    const n = new DataView(bytes.buffer).getUint32(0, true);
    expect(n % 8).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(header.trimEnd()).toBe(
      '{"z":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"0":{"dtype":"F32","shape":[3],"data_offsets":[8,20]},"a":{"dtype":"F32","shape":[],"data_offsets":[20,24]}}',
    );
    expect(bytes.length).toBe(8 + n + 24);
  });

  it('refuses a shape that does not match the data, duplicate names, the reserved __metadata__ name, non-F32 dtypes and non-string metadata', () => {
    const t = (over: Partial<SafetensorsTensor>): SafetensorsTensor => ({ name: 'w', shape: [2], dtype: 'F32', data: f32(1, 2), ...over });
    expect(() => encodeSafetensors([t({ shape: [3] })])).toThrow(/tensor 'w': shape \[3\] holds 3 values but data has 2/);
    expect(() => encodeSafetensors([t({}), t({})])).toThrow(/tensor 'w' appears twice/);
    expect(() => encodeSafetensors([t({ name: '__metadata__' })])).toThrow(/reserved/);
    expect(() => encodeSafetensors([t({ dtype: 'F16' as 'F32' })])).toThrow(/only F32 can be written, got F16/);
    expect(() => encodeSafetensors([t({ shape: [-2] })])).toThrow(/shape must be non-negative integers/);
    expect(() => encodeSafetensors([t({})], { step: 3 as unknown as string })).toThrow(/metadata 'step' must be a string/);
  });
});

describe('decodeSafetensors', () => {
  it('round-trips names, shapes, values (NaN, ±Inf, -0 included), order and metadata', () => {
    const tensors: SafetensorsTensor[] = [
      { name: 'embed.weight', shape: [3, 2], dtype: 'F32', data: f32(0.1, -2.5, 3e-38, 1e38, -0, 7) },
      { name: 'blocks.0.ln.bias', shape: [4], dtype: 'F32', data: f32(NaN, Infinity, -Infinity, 1) },
      { name: 'scalar', shape: [], dtype: 'F32', data: f32(42) },
      { name: 'empty', shape: [0, 5], dtype: 'F32', data: f32() },
      { name: 'ünïcode/名前', shape: [1], dtype: 'F32', data: f32(-1) },
    ];
    const out = decodeSafetensors(encodeSafetensors(tensors, { format: 'pt', note: 'ß "quoted"' }));
    expect(out.metadata).toEqual({ format: 'pt', note: 'ß "quoted"' });
    expect(out.tensors.map((t) => t.name)).toEqual(tensors.map((t) => t.name));
    for (const [i, t] of out.tensors.entries()) {
      expect(t.shape).toEqual(tensors[i].shape);
      expect(t.storedDtype).toBe('F32');
      expect(Array.from(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength))).toEqual(
        Array.from(new Uint8Array(tensors[i].data.buffer)),
      );
    }
    expect(Object.is(out.tensors[0].data[4], -0)).toBe(true);
    expect(out.dataStart % 8).toBe(0);
  });

  it('reads the hand-built fixture and a header that was not padded (other writers may not pad)', () => {
    const fixture = file('{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}', F32_0_TO_5);
    expect(Array.from(decodeSafetensors(fixture).tensors[0].data)).toEqual([0, 1, 2, 3, 4, 5]);
    const unpadded = file('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', [0, 0, 128, 63, 0, 0, 0, 64], { pad: false });
    expect(new DataView(unpadded.buffer).getUint32(0, true) % 8).not.toBe(0);
    expect(Array.from(decodeSafetensors(unpadded).tensors[0].data)).toEqual([1, 2]);
  });

  it('accepts header entries in any order and returns them in byte-buffer order', () => {
    const bytes = file(
      '{"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}',
      [0, 0, 128, 63, 0, 0, 0, 64],
    );
    const out = decodeSafetensors(bytes);
    expect(out.tensors.map((t) => [t.name, t.data[0]])).toEqual([['a', 1], ['b', 2]]);
    expect(out.metadata).toEqual({ k: 'v' });
  });

  it('widens F16 (normal, subnormal, ±Inf, NaN) and BF16 to F32 exactly', () => {
    // F16: 1.0 = 0x3c00, -2.0 = 0xc000, 65504 = 0x7bff, smallest subnormal 2^-24 = 0x0001, +Inf = 0x7c00, NaN = 0x7e00
    const f16 = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x7e00].flatMap((h) => [h & 0xff, h >> 8]);
    // BF16: the top 16 bits of the F32: 1.0 = 0x3f80, -3.5 = 0xc060, 1/3 rounded = 0x3eab
    const bf16 = [0x3f80, 0xc060, 0x3eab].flatMap((h) => [h & 0xff, h >> 8]);
    const bytes = file(
      '{"h":{"dtype":"F16","shape":[6],"data_offsets":[0,12]},"b":{"dtype":"BF16","shape":[3],"data_offsets":[12,18]}}',
      [...f16, ...bf16],
    );
    const [h, b] = decodeSafetensors(bytes).tensors;
    expect(h.storedDtype).toBe('F16');
    expect(Array.from(h.data)).toEqual([1, -2, 65504, 2 ** -24, Infinity, NaN]);
    expect(b.storedDtype).toBe('BF16');
    expect(Array.from(b.data)).toEqual([1, -3.5, new Float32Array(new Uint32Array([0x3eab0000]).buffer)[0]]);
    expect(b.data[2]).toBeCloseTo(1 / 3, 2);
  });

  describe('refuses, saying what and where,', () => {
    const ok = '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const eight = [0, 0, 128, 63, 0, 0, 0, 64];

    it('a file shorter than the 8-byte length', () => {
      expectError(new Uint8Array([1, 0, 0]), 'FileTooShort', /3 bytes/);
    });

    it('a header length beyond the end of the file, in the low or the high 32 bits', () => {
      const bytes = file(ok, eight);
      new DataView(bytes.buffer).setUint32(0, 1000, true);
      expectError(bytes, 'HeaderBeyondFile', /header length 1000/, new RegExp(`> ${bytes.length} bytes`));
      const huge = file(ok, eight);
      new DataView(huge.buffer).setUint32(4, 1, true);
      expectError(huge, 'HeaderTooLarge', /4294967352/);
    });

    it('a header that is not UTF-8, not JSON, or not an object', () => {
      const notUtf8 = file(ok, eight);
      notUtf8[10] = 0xff;
      expectError(notUtf8, 'HeaderNotUtf8', /bytes 8\.\.64/);
      expectError(file('{"w": {"dtype": "F32",', eight), 'HeaderNotJson', /not valid JSON/);
      expectError(file('[1,2]'), 'HeaderNotObject', /an array/);
    });

    it('metadata that is not a map of strings', () => {
      expectError(file('{"__metadata__":{"step":3}}'), 'BadMetadata', /'__metadata__'\.'step' must be a string, got 3/);
      expectError(file('{"__metadata__":["a"]}'), 'BadMetadata');
    });

    it('a tensor entry without a proper dtype, shape or data_offsets', () => {
      expectError(file('{"w":5}'), 'BadTensorInfo', /tensor 'w'/);
      expectError(file('{"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,10]}}', new Uint8Array(10)), 'BadTensorInfo', /tensor 'w': shape/);
      expectError(file('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}}', eight), 'BadTensorInfo', /tensor 'w': data_offsets/);
      expectError(file('{"w":{"shape":[2],"data_offsets":[0,8]}}', eight), 'BadTensorInfo', /tensor 'w': dtype/);
    });

    it('an unknown dtype, and a valid one this reader does not decode', () => {
      expectError(file('{"w":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}', eight), 'UnsupportedDtype', /tensor 'w': unknown dtype 'F33'/);
      const e = expectError(file('{"w":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}}', eight), 'UnsupportedDtype', /I32 is valid safetensors but not supported/);
      expect(e.tensor).toBe('w');
    });

    it('a shape × dtype size that differs from the byte length', () => {
      expectError(
        file('{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', eight),
        'SizeMismatch',
        /tensor 'w': shape \[3\] × F32 \(4 bytes\) = 12 bytes, but data_offsets \[0, 8\] span 8/,
      );
      expectError(file('{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,8]}}', eight), 'SizeMismatch', /= 4 bytes/);
    });

    it('offsets that end before they begin or run past the end of the buffer', () => {
      expectError(file('{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}', eight), 'OffsetOutOfRange', /end before they begin/);
      expectError(
        file('{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}', eight),
        'OffsetOutOfRange',
        /tensor 'w': data_offsets \[0, 16\] go past the end of the 8-byte buffer/,
      );
    });

    it('overlapping tensors', () => {
      const e = expectError(
        file('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', eight),
        'Overlap',
        /tensor 'b': data_offsets \[4, 8\] overlap tensor 'a' which ends at 8/,
      );
      expect(e.tensor).toBe('b');
    });

    it('a hole before the first tensor, between tensors, or after the last', () => {
      expectError(file('{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', eight), 'Hole', /the buffer starts at 0: bytes 0\.\.4 belong to no tensor/);
      expectError(
        file('{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', eight),
        'Hole',
        /tensor 'b'.*tensor 'a' ends at 0/,
      );
      expectError(file('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', eight), 'TrailingBytes', /4 bytes at file offset/);
    });
  });
});
