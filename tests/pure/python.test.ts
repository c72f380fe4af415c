import { describe, expect, it } from 'vitest';
import { PyOverflowError, pyFloat, pyMax, pyMin, pyRound, pySplit, pyStrip } from '../../src/rewards/python';

// [x, ndigits, round(x, ndigits)], produced with python3 3.11: 40 hand-picked cases (ties, values
// like 2.675 just below a tie, negative ndigits, extremes) and 50 seeded random ones
// (random.seed(7); uniform(-1000, 1000) * 10**randint(-6, 6) with ndigits in [-3, 8], then
// randint(-99999, 99999) / 1000 with ndigits 2); JSON printed with repr, which round-trips.
const PYTHON_ROUND: [number, number, number][] = [
  [0.125, 2, 0.12], [2.675, 2, 2.67], [0.375, 2, 0.38], [-0.125, 2, -0.12], [2.5, 0, 2.0], [0.5, 0, 0.0],
  [1.5, 0, 2.0], [-2.5, 0, -2.0], [1.005, 2, 1.0], [1.015, 2, 1.01], [1.025, 2, 1.02], [0.045, 2, 0.04],
  [8.345, 2, 8.35], [123456.785, 2, 123456.79], [15.0, -1, 20.0], [25.0, -1, 20.0], [35.0, -1, 40.0],
  [1234.5678, -2, 1200.0], [1e+22, 2, 1e+22], [5e-324, 2, 0.0], [1e-05, 4, 0.0], [0.005, 2, 0.01],
  [0.005, 2, 0.01], [0.015, 2, 0.01], [0.025, 2, 0.03], [0.035, 2, 0.04], [3.14159, 3, 3.142],
  [-3.14159, 3, -3.142], [1.7976931348623157e+308, 2, 1.7976931348623157e+308],
  [2.2250738585072014e-308, 310, 2.23e-308], [0.30000000000000004, 1, 0.3], [9.995, 2, 9.99],
  [99.995, 2, 100.0], [0.285, 2, 0.28], [1.45, 1, 1.4], [2.345, 2, 2.35], [1234567.125, 2, 1234567.12],
  [7.0, 323, 7.0], [7.123, 400, 7.123], [7.123, -400, 0.0], [-0.03523344703336753, 3, -0.035],
  [0.003018689460797075, 5, 0.00302], [-811739.9161206349, -3, -812000.0], [0.8194081262862046, -3, 0.0],
  [-828.1055326216566, -2, -800.0], [-51867.39997459499, 3, -51867.4], [-881778.9878420217, -2, -881800.0],
  [8948994.014149748, 7, 8948994.0141497], [0.00016599380892081466, 6, 0.000166],
  [0.00017108284528077365, 0, 0.0], [-0.09068346387644874, 1, -0.1], [-16172.191285706947, -2, -16200.0],
  [14182.737929346877, 7, 14182.7379293], [-638547.240152125, 6, -638547.240152],
  [27.782693785236802, -2, 0.0], [0.0009548893141911572, 6, 0.000955], [-0.8807976600675347, 4, -0.8808],
  [360.79994636357173, 2, 360.8], [-687.9626832065196, 2, -687.96], [-400466006.2726352, -1, -400466010.0],
  [0.3979888674591425, -2, 0.0], [14884.742051734202, 4, 14884.7421], [75027499.11468577, 4, 75027499.1147],
  [-0.00424124470219627, -2, -0.0], [0.0023865661295098223, 2, 0.0], [-6960.309306789904, 3, -6960.309],
  [-9215854.859051246, -2, -9215900.0], [529141.7324256263, 2, 529141.73],
  [-31.9755275617609, 6, -31.975528], [-6650409.40202482, 4, -6650409.402], [-81.974, 2, -81.97],
  [-75.464, 2, -75.46], [-29.237, 2, -29.24], [24.283, 2, 24.28], [82.726, 2, 82.73], [74.104, 2, 74.1],
  [-82.96, 2, -82.96], [-84.095, 2, -84.09], [91.67, 2, 91.67], [83.892, 2, 83.89], [-18.838, 2, -18.84],
  [69.641, 2, 69.64], [51.506, 2, 51.51], [78.583, 2, 78.58], [16.823, 2, 16.82], [-25.394, 2, -25.39],
  [87.86, 2, 87.86], [1.133, 2, 1.13], [75.284, 2, 75.28], [-9.034, 2, -9.03],
];

// [input, float(input) or null where Python raises ValueError], from python3 3.11.
const PYTHON_FLOAT: [string, number | null][] = [
  ['１２', 12], ['٣.٥', 3.5], [' 3 ', 3], ['\x1c3', null], ['3\x85', 3], ['\xa03\u3000', 3], ['\u20003', 3],
  ['3\x0b', 3], ['3\x0c', 3], ['1_000', 1000], ['1__0', null], ['_1', null], ['1_', null], ['1_.5', null],
  ['1._5', null], ['1e1_0', 1e10], ['1e_10', null], ['.5', 0.5], ['5.', 5], ['.', null], ['e5', null],
  ['1e', null], ['inf', Infinity], ['-Infinity', -Infinity], ['+iNf', Infinity], ['infinit', null],
  ['0x10', null], ['1,000', null], ['', null], [' ', null], ['+5', 5], ['--5', null], ['+-5', null],
  ['1e999', Infinity], ['-1e999', -Infinity], ['1E+3', 1000], ['١_٠', 10], ['3\u200b', null], ['٣٠', 30],
  ['1e3', 1000], ['0.1', 0.1], ['-0', -0],
];

describe('pyRound', () => {
  it(`matches Python's round(x, n) on ${PYTHON_ROUND.length} recorded cases`, () => {
    const wrong = PYTHON_ROUND.filter(([x, n, want]) => pyRound(x, n) !== want).map(([x, n, want]) => `round(${x}, ${n}): want ${want}, got ${pyRound(x, n)}`);
    expect(wrong).toEqual([]);
  });

  it('rounds exact ties to even and 2.675 down, unlike Math.round(x * 100) / 100', () => {
    expect(pyRound(0.125, 2)).toBe(0.12);
    expect(Math.round(0.125 * 100) / 100).toBe(0.13);
    expect(pyRound(2.675, 2)).toBe(2.67);
    expect(pyRound(0.375, 2)).toBe(0.38);
    expect(pyRound(-0.125, 2)).toBe(-0.12);
  });

  it('returns NaN and infinities unchanged and keeps the sign of a zero result, as Python does', () => {
    expect(pyRound(NaN, 2)).toBeNaN();
    expect(pyRound(Infinity, 2)).toBe(Infinity);
    expect(Object.is(pyRound(-0.001, 2), -0)).toBe(true);
  });

  it("raises Python's OverflowError when the rounded value is too large", () => {
    expect(() => pyRound(1.7976931348623157e308, -308)).toThrow(PyOverflowError);
  });
});

describe('pyFloat', () => {
  it(`parses ${PYTHON_FLOAT.length} strings exactly as Python's float() does`, () => {
    const wrong = PYTHON_FLOAT.filter(([s, want]) => !Object.is(pyFloat(s), want)).map(([s, want]) => `${JSON.stringify(s)}: want ${want}, got ${pyFloat(s)}`);
    expect(wrong).toEqual([]);
  });

  it("reads 'nan' in any case and sign as NaN", () => {
    for (const s of ['nan', '-nan', '+NaN', ' NAN ']) expect(pyFloat(s)).toBeNaN();
  });

  it("rejects what JS Number() accepts: '', '0x10', '  ', 'Infinityx'", () => {
    expect(Number('')).toBe(0);
    for (const s of ['', '0x10', '  ', 'Infinityx', '0b1', '1 2']) expect(pyFloat(s)).toBeNull();
  });
});

describe('pyStrip and pySplit', () => {
  it("strip Python's whitespace (\\x1c-\\x1f, \\x85, \\u3000) but not JS-only \\ufeff", () => {
    expect(pyStrip('\x1c\x85 a b\u3000\u2029')).toBe('a b');
    expect(pyStrip('\ufeffa')).toBe('\ufeffa');
    expect(pySplit(' a\x1fb\u00a0 c  ')).toEqual(['a', 'b', 'c']);
    expect(pySplit('a\ufeffb')).toEqual(['a\ufeffb']);
    expect(pySplit('  ')).toEqual([]);
  });
});

describe('pyMax and pyMin', () => {
  it('keep the first argument unless the second compares past it, so NaN passes like in Python', () => {
    expect(pyMax(0, NaN)).toBe(0); // Python: max(0.0, nan) == 0.0
    expect(pyMax(NaN, 0)).toBeNaN(); // Python: max(nan, 0.0) is nan
    expect(pyMin(1, NaN)).toBe(1);
    expect(pyMax(0, 2)).toBe(2);
    expect(pyMin(1, -3)).toBe(-3);
  });
});
