// Python semantics that Video-R1's reward code leans on and JavaScript gets subtly wrong:
// float() parsing, round(x, n) (correctly rounded, ties to even), and str.strip()/str.split() whitespace.

/**
 * The characters Python's str.isspace() (and so str.strip(), str.split() and the `re` module's \s
 * on str patterns) treats as whitespace. Enumerated with python3 3.11:
 *   [hex(c) for c in range(0x110000) if chr(c).isspace()]
 * JS \s differs: it lacks \x1c-\x1f and \x85, and adds \ufeff.
 * A character-class body, for building RegExps (all BMP, so no 'u' flag is needed).
 */
export const PY_WHITESPACE_CLASS =
  '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

const LEADING_WS = new RegExp(`^[${PY_WHITESPACE_CLASS}]+`);
const TRAILING_WS = new RegExp(`[${PY_WHITESPACE_CLASS}]+$`);
const WS_RUN = new RegExp(`[${PY_WHITESPACE_CLASS}]+`);
const IS_WS = new RegExp(`^[${PY_WHITESPACE_CLASS}]$`);

/** Python's str.isspace() for one character. */
export function pyIsSpace(ch: string): boolean {
  return IS_WS.test(ch);
}

/** Python's s.strip() with no argument. */
export function pyStrip(s: string): string {
  return s.replace(LEADING_WS, '').replace(TRAILING_WS, '');
}

/** Python's s.split() with no argument: runs of whitespace separate, empty strings are dropped. */
export function pySplit(s: string): string[] {
  const stripped = pyStrip(s);
  return stripped === '' ? [] : stripped.split(WS_RUN);
}

// ---------------------------------------------------------------------------------------------
// float()

const ND = /^\p{Nd}$/u;

/**
 * Value of a Unicode decimal digit (category Nd). Nd code points come in contiguous runs whose
 * first element is a zero and whose length is a multiple of 10 (checked over all of Unicode 14 with
 * python3's unicodedata), so the value is the distance from the start of the run, mod 10.
 */
function decimalDigitValue(cp: number): number {
  let start = cp;
  while (start > 0 && ND.test(String.fromCodePoint(start - 1))) start--;
  return (cp - start) % 10;
}

// CPython's float_from_string: optional sign, then inf/infinity/nan (any case) or a decimal literal
// whose digit groups may contain single underscores between digits (PEP 515).
const DIGITS = '\\d(?:_?\\d)*';
const PY_FLOAT_LITERAL = new RegExp(
  `^[+-]?(?:inf|infinity|nan|(?:${DIGITS}(?:\\.(?:${DIGITS})?)?|\\.${DIGITS})(?:e[+-]?${DIGITS})?)$`,
  'i',
);
const ASCII_SPACE = /^[ \t\n\r\v\f]+|[ \t\n\r\v\f]+$/g;

/**
 * Python's float(s) for a str argument, or null where Python raises ValueError.
 * Accepts ' 3 ', '1e3', 'inf', '-Infinity', 'nan', '1_000', '+5', '.5', '5.', '１２' (any Nd digits);
 * rejects '', '1__0', '_1', '0x10', '1,000'. Overflow gives ±Infinity, as in Python ('1e999').
 */
export function pyFloat(s: string): number | null {
  // _PyUnicode_TransformDecimalAndSpaceToASCII: ASCII passes through; non-ASCII whitespace becomes
  // ' ', non-ASCII decimal digits become ASCII digits, anything else makes the parse fail.
  let ascii = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp < 128) ascii += ch;
    else if (pyIsSpace(ch)) ascii += ' ';
    else if (ND.test(ch)) ascii += String(decimalDigitValue(cp));
    else return null;
  }
  // Then only ASCII whitespace (Py_ISSPACE: no \x1c-\x1f) is stripped.
  const body = ascii.replace(ASCII_SPACE, '');
  if (!PY_FLOAT_LITERAL.test(body)) return null;
  const lower = body.toLowerCase();
  const sign = lower.startsWith('-') ? -1 : 1;
  const unsigned = lower.replace(/^[+-]/, '');
  if (unsigned === 'nan') return NaN;
  if (unsigned === 'inf' || unsigned === 'infinity') return sign * Infinity;
  // What remains is a plain decimal literal; JS parses those correctly rounded, as CPython does.
  return Number(lower.replace(/_/g, ''));
}

// ---------------------------------------------------------------------------------------------
// round(x, ndigits)

/** Python's 'rounded value too large to represent' (OverflowError). */
export class PyOverflowError extends Error {
  readonly code = 'PyOverflow';
  constructor(message: string) {
    super(message);
    this.name = 'PyOverflowError';
  }
}

// CPython floatobject.c: beyond these, round() returns x itself or a signed zero without work.
const NDIGITS_MAX = 323; // (DBL_MANT_DIG - DBL_MIN_EXP) * 0.30103
const NDIGITS_MIN = -308; // -(DBL_MAX_EXP + 1) * 0.30103

/** Exact decomposition of a positive finite double: x = mantissa * 2^exponent. */
function decompose(x: number): { mantissa: bigint; exponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  if (biased === 0) return { mantissa: fraction, exponent: -1074 }; // subnormal
  return { mantissa: fraction | (1n << 52n), exponent: biased - 1075 };
}

/**
 * Python's round(x, ndigits) for a float x: the exact binary value of x is rounded to ndigits
 * decimal places, exact ties go to even, and the decimal result is converted back to the nearest
 * double. round(0.125, 2) = 0.12, round(2.675, 2) = 2.67 (2.675 is 2.67499999…), round(0.375, 2) =
 * 0.38, round(-0.125, 2) = -0.12. NaN and ±Infinity are returned unchanged, as in Python.
 */
export function pyRound(x: number, ndigits: number): number {
  if (!Number.isInteger(ndigits)) throw new TypeError(`ndigits must be an integer, got ${ndigits}`);
  if (!Number.isFinite(x) || x === 0) return x;
  if (ndigits > NDIGITS_MAX) return x;
  if (ndigits < NDIGITS_MIN) return 0 * x;

  const negative = x < 0;
  const { mantissa, exponent } = decompose(Math.abs(x));
  // |x| * 10^ndigits as an exact fraction num / den.
  let num = mantissa;
  let den = 1n;
  if (exponent >= 0) num <<= BigInt(exponent);
  else den <<= BigInt(-exponent);
  if (ndigits >= 0) num *= 10n ** BigInt(ndigits);
  else den *= 10n ** BigInt(-ndigits);

  let q = num / den;
  const twiceRemainder = 2n * (num % den);
  if (twiceRemainder > den || (twiceRemainder === den && (q & 1n) === 1n)) q += 1n;

  // q * 10^-ndigits, converted correctly rounded (CPython builds the same string and calls strtod).
  const magnitude = Number(`${q}e${-ndigits}`);
  if (!Number.isFinite(magnitude)) throw new PyOverflowError('rounded value too large to represent');
  return negative ? -magnitude : magnitude;
}

// ---------------------------------------------------------------------------------------------
// min / max

/**
 * Python's max(a, b): keeps the first argument unless the second compares greater. With NaN this
 * differs from Math.max (which returns NaN): max(0.0, nan) = 0.0 but max(nan, 0.0) = nan.
 */
export function pyMax(a: number, b: number): number {
  return b > a ? b : a;
}

/** Python's min(a, b): keeps the first argument unless the second compares smaller. */
export function pyMin(a: number, b: number): number {
  return b < a ? b : a;
}
