import { describe, expect, it } from 'vitest';
import { encodeF16, f16BitsToNumber, f32ToF16Bits, roundToF16 } from '../../src/util/f16';
import { Rng } from '../../src/util/rng';

describe('binary16 encoding', () => {
  it('encodes exactly representable values to their known bit patterns', () => {
    const known: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff], // largest finite
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [1023 * 2 ** -24, 0x03ff], // largest subnormal
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
    ];
    for (const [x, bits] of known) {
      expect(f32ToF16Bits(x), `${x}`).toBe(bits);
      expect(Object.is(f16BitsToNumber(bits), x), `decode 0x${bits.toString(16)}`).toBe(true);
    }
    expect(f16BitsToNumber(f32ToF16Bits(NaN))).toBeNaN();
  });

  it('rounds to nearest with ties to even, in normals and subnormals', () => {
    const ulp1 = 2 ** -10; // spacing of halves in [1, 2)
    expect(roundToF16(1 + ulp1 / 2)).toBe(1); // tie, 1 is even
    expect(roundToF16(1 + (3 * ulp1) / 2)).toBe(1 + 2 * ulp1); // tie, rounds up to the even neighbour
    expect(roundToF16(1 + ulp1 / 2 + 2 ** -20)).toBe(1 + ulp1); // just above the tie
    expect(roundToF16(2 ** -25)).toBe(0); // tie between 0 and the smallest subnormal
    expect(roundToF16(3 * 2 ** -25)).toBe(2 * 2 ** -24); // tie between subnormals 1 and 2: even is 2
    expect(roundToF16(2 ** -25 + 2 ** -30)).toBe(2 ** -24);
    expect(roundToF16(2 ** -26)).toBe(0);
    expect(roundToF16(65519)).toBe(65504); // below the overflow tie
    expect(roundToF16(65520)).toBe(Infinity); // the tie rounds to "even", past the largest finite
    expect(roundToF16(-1e6)).toBe(-Infinity);
    expect(Object.is(roundToF16(-1e-9), -0)).toBe(true);
  });

  it('picks the nearest binary16 neighbour for random values across the range', () => {
    const rng = new Rng(16);
    for (let i = 0; i < 4000; i++) {
      const x = Math.fround((rng.next() * 2 - 1) * 2 ** Math.floor(rng.next() * 44 - 28));
      const bits = f32ToF16Bits(x);
      const got = f16BitsToNumber(bits);
      // The neighbours of the chosen pattern (same sign) must be no closer to x.
      for (const other of [bits - 1, bits + 1]) {
        if ((other & 0x7fff) > 0x7bff || (other & 0x8000) !== (bits & 0x8000) || other < 0) continue;
        expect(Math.abs(f16BitsToNumber(other) - x), `x=${x}`).toBeGreaterThanOrEqual(Math.abs(got - x));
      }
      expect(roundToF16(got)).toBe(got); // a half is its own rounding
    }
  });

  it('encodes arrays element by element', () => {
    expect([...encodeF16([1, -2, 0.5])]).toEqual([0x3c00, 0xc000, 0x3800]);
  });
});
