// IEEE 754 binary16 ("half", WGSL f16) on the CPU: encoding f32 values into the 16-bit patterns a
// `shader-f16` storage buffer holds, decoding them, and rounding a value to the nearest half (the
// float64 references of f16 kernels round their inputs exactly as the upload does). Node 20 has no
// Float16Array or Math.f16round, so this is done on the bits. Pure.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * The binary16 bits of `x` (first rounded to f32, as the upload's Float32Array source is), rounded to
 * nearest with ties to even: overflow gives ±Infinity, underflow ±0 or a subnormal, NaN a quiet NaN.
 */
export function f32ToF16Bits(x: number): number {
  f32[0] = x;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15; // the biased exponent in binary16
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): value = m · 2^-24 with m = (1.mant) · 2^(e + 9) → shift by 14 - e.
    if (e < -10) return sign; // below half the smallest subnormal (2^-25): rounds to zero
    const full = mant | 0x800000;
    const shift = 14 - e;
    const rem = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    let m = full >>> shift;
    if (rem > halfway || (rem === halfway && (m & 1) === 1)) m++; // may carry into the smallest normal: still right
    return sign | m;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h++; // a carry into the exponent is right, up to Infinity
  return sign | h;
}

/** The value of binary16 bits `h` (exact in float64). */
export function f16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** `x` rounded to the nearest binary16 value (via f32, as an upload from a Float32Array rounds). */
export function roundToF16(x: number): number {
  return f16BitsToNumber(f32ToF16Bits(x));
}

/** Binary16 bits of every element, ready to upload to an `array<f16>` storage buffer. */
export function encodeF16(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = f32ToF16Bits(values[i]);
  return out;
}
