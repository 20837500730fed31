/**
 * Number parsing and formatting exactly as Redis does it, and DOUBLE_ZERO
 * (how a number field becomes a double one from its first object).
 */

/**
 * 0 as a double (-0): the first value of a number field that will hold what a
 * Smi cannot (fractions, times in ms or µs, sums of them). V8 gives a field the
 * representation of the first value stored in it; a field started at 0 is an
 * integer field until its first double, and that store replaces the hidden
 * class of every object of the class: each optimized function that had met
 * them deoptimizes ("wrong map") and is compiled again. Started with a double,
 * the field is one from the first object made. -0 is 0 to arithmetic,
 * comparisons and String(); only Object.is and util.inspect tell them apart.
 */
export const DOUBLE_ZERO = -0;

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** An int64 as a number when it is a safe integer (|v| < 2^53), else kept as the bigint: the form tsdis stores integers in. */
export function narrowInt64(v: bigint): number | bigint {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

/**
 * Redis's string2ll: an optional '-', then digits with no leading zeros (or a
 * single "0"), within int64. Returns a number when it is a safe integer, a
 * bigint when it is beyond 2^53, or null when the text is not a valid integer.
 */
export function parseInt64(s: string): number | bigint | null {
  const len = s.length;
  if (len === 0 || len > 20) return null;
  let i = 0;
  const neg = s.charCodeAt(0) === 45; // '-'
  if (neg) {
    i = 1;
    if (len === 1) return null;
  }
  const first = s.charCodeAt(i);
  if (first === 48) return len === 1 ? 0 : null; // "0" only; "-0" and "01" are invalid
  if (first < 49 || first > 57) return null;
  if (len - i <= 15) {
    let n = 0;
    for (; i < len; i++) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return null;
      n = n * 10 + c;
    }
    return neg ? -n : n;
  }
  for (let j = i; j < len; j++) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57) return null;
  }
  const b = BigInt(s);
  if (b > INT64_MAX || b < INT64_MIN) return null;
  return Number.isSafeInteger(Number(b)) ? Number(b) : b;
}

export { INT64_MAX, INT64_MIN };

/** 10^k for k in 0..22: the powers of ten a double holds exactly. */
const POW10: number[] = [];
for (let k = 0, v = 1; k <= 22; k++, v *= 10) POW10.push(v);

/** C's isspace() in the C locale: space, \t, \n, \v, \f, \r. */
export function isCSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/**
 * What glibc's strtod/strtold (C locale) would read at the start of a text,
 * before any rounding: one grammar for both precisions. Leading white space
 * is skipped, then an optional sign and one of: "inf" or "infinity" (any
 * case); "nan" optionally followed by "(chars)" of letters, digits and '_';
 * a hexadecimal "0x" mantissa (hex digits with an optional '.', at least one
 * digit) with an optional "p" binary exponent; a decimal mantissa with an
 * optional "e" exponent. An exponent whose digits are missing ("1e", "0x1p+")
 * is not consumed, nor is "x" after a "0" that no hex digit follows.
 */
export interface FloatText {
  /** Index just past what strtod consumes; 0 when nothing converts (strtod then sets endptr to the text). */
  end: number;
  /** null when nothing converts. */
  kind: 'dec' | 'hex' | 'inf' | 'nan' | null;
  neg: boolean;
  /** Index of the sign or first mantissa character (after the skipped white space). */
  start: number;
  /** The mantissa's digits without the point, leading zeros kept ('dec', 'hex'). */
  digits: string;
  /** How many of those digits follow the point. */
  frac: number;
  /** The written exponent (decimal for 'dec', binary for 'hex'), clamped to +-1e9. */
  exp: number;
}

const NONE: FloatText = { end: 0, kind: null, neg: false, start: 0, digits: '', frac: 0, exp: 0 };

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 0x20) >= 97 && (c | 0x20) <= 102);
}

/** Whether s has `word` (lower case letters) at i, in any case. */
function hasWordAt(s: string, i: number, word: string): boolean {
  if (i + word.length > s.length) return false;
  for (let k = 0; k < word.length; k++) if ((s.charCodeAt(i + k) | 0x20) !== word.charCodeAt(k)) return false;
  return true;
}

/**
 * Scans the float text at the start of s as strtod does (see FloatText).
 * Pure; the scanner of parseDouble's slow path, strtod() and parseLongDouble.
 */
export function scanFloat(s: string): FloatText {
  const len = s.length;
  let i = 0;
  while (i < len && isCSpace(s.charCodeAt(i))) i++;
  const start = i;
  let c = s.charCodeAt(i);
  const neg = c === 45;
  if (c === 43 || c === 45) c = s.charCodeAt(++i);
  if ((c | 0x20) === 105) {
    if (!hasWordAt(s, i, 'inf')) return NONE;
    const end = hasWordAt(s, i + 3, 'inity') ? i + 8 : i + 3;
    return { end, kind: 'inf', neg, start, digits: '', frac: 0, exp: 0 };
  }
  if ((c | 0x20) === 110) {
    if (!hasWordAt(s, i, 'nan')) return NONE;
    let end = i + 3;
    if (s.charCodeAt(end) === 40) {
      let j = end + 1;
      for (; j < len; j++) {
        const d = s.charCodeAt(j);
        if (!(isDigit(d) || ((d | 0x20) >= 97 && (d | 0x20) <= 122) || d === 95)) break;
      }
      if (s.charCodeAt(j) === 41) end = j + 1;
    }
    return { end, kind: 'nan', neg, start, digits: '', frac: 0, exp: 0 };
  }
  const hex =
    c === 48 &&
    (s.charCodeAt(i + 1) | 0x20) === 120 &&
    (isHexDigit(s.charCodeAt(i + 2)) || (s.charCodeAt(i + 2) === 46 && isHexDigit(s.charCodeAt(i + 3))));
  if (hex) i += 2;
  const digitAt = hex ? isHexDigit : isDigit;
  const m0 = i;
  while (i < len && digitAt(s.charCodeAt(i))) i++;
  let intEnd = i;
  let frac = 0;
  if (s.charCodeAt(i) === 46) {
    const f0 = ++i;
    while (i < len && digitAt(s.charCodeAt(i))) i++;
    frac = i - f0;
  } else intEnd = -1;
  const ndigits = (intEnd < 0 ? i - m0 : intEnd - m0) + frac;
  if (ndigits === 0) return NONE;
  const digits = intEnd < 0 ? s.slice(m0, i) : s.slice(m0, intEnd) + s.slice(intEnd + 1, i);
  let exp = 0;
  if ((s.charCodeAt(i) | 0x20) === (hex ? 112 : 101)) {
    let j = i + 1;
    const sc = s.charCodeAt(j);
    if (sc === 43 || sc === 45) j++;
    if (isDigit(s.charCodeAt(j))) {
      let e = 0;
      for (; j < len && isDigit(s.charCodeAt(j)); j++) if (e < 1e9) e = e * 10 + s.charCodeAt(j) - 48;
      exp = sc === 45 ? -Math.min(e, 1e9) : Math.min(e, 1e9);
      i = j;
    }
  }
  return { end: i, kind: hex ? 'hex' : 'dec', neg, start, digits, frac, exp };
}

/**
 * The fast path of parseDouble and strtod (ZADD scores, weights,
 * coordinates, range bounds): s is all of a plain decimal under 40 bytes
 * such as "-13.361389", "5." or ".5" -> its value, else NaN. Such a text can
 * neither overflow nor underflow. With at most 15 digits and 22 decimals the
 * value is m / 10^k of two exact doubles, and one correctly rounded division
 * gives exactly what strtod gives (Clinger's fast path); more digits go to
 * Number(), which also rounds correctly.
 */
function plainDecimal(s: string): number {
  const len = s.length;
  if (len >= 40) return NaN;
  const neg = s.charCodeAt(0) === 45;
  let i = neg ? 1 : 0;
  let m = 0;
  let digits = 0;
  let dot = -1;
  for (; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
    } else if (c === 46 && dot < 0) dot = i;
    else return NaN;
  }
  if (digits === 0) return NaN;
  const k = dot < 0 ? 0 : len - dot - 1;
  if (digits > 15 || k > 22) return Number(s);
  const v = m / POW10[k]!;
  return neg ? -v : v;
}

/**
 * The end of the plain decimal ([+-]digits[.digits][e[+-]digits], at least
 * one mantissa digit) at the start of s, or -1. An incomplete exponent is
 * left out, as strtod leaves it. No white space is skipped.
 */
function decimalEnd(s: string): number {
  const len = s.length;
  let i = 0;
  let c = s.charCodeAt(0);
  if (c === 43 || c === 45) c = s.charCodeAt(++i);
  let digits = 0;
  while (c >= 48 && c <= 57) {
    digits++;
    c = s.charCodeAt(++i);
  }
  if (c === 46) {
    c = s.charCodeAt(++i);
    while (c >= 48 && c <= 57) {
      digits++;
      c = s.charCodeAt(++i);
    }
  }
  if (digits === 0) return -1;
  if ((c | 0x20) === 101) {
    let j = i + 1;
    c = s.charCodeAt(j);
    if (c === 43 || c === 45) c = s.charCodeAt(++j);
    if (c >= 48 && c <= 57) {
      while (j < len && isDigit(s.charCodeAt(j))) j++;
      i = j;
    }
  }
  return i;
}

/** +-Infinity when s is exactly [+-](inf|infinity) in any case, else 0. */
function infText(s: string): number {
  if (s.length < 3 || s.length > 9) return 0;
  const l = s.toLowerCase();
  if (l === 'inf' || l === '+inf' || l === 'infinity' || l === '+infinity') return Infinity;
  if (l === '-inf' || l === '-infinity') return -Infinity;
  return 0;
}

/** What strtod returns: the value, the end index (0 when nothing converts) and whether errno was set to ERANGE. */
export interface Strtod {
  value: number;
  end: number;
  erange: boolean;
}

const MIN_NORMAL = 2.2250738585072014e-308;
const TWO_1074 = 1n << 1074n;

/** Number of bits of a positive bigint. */
function bitLength(x: bigint): number {
  return x.toString(2).length;
}

/**
 * glibc's strtod on s (the caller cuts it at a NUL if the C string would
 * end there): correctly rounded to nearest-even, with errno's ERANGE as
 * glibc sets it on x86-64: on overflow (the result is +-HUGE_VAL) and when
 * the result is tiny and inexact (tininess detected after rounding: the
 * value rounded to 53 bits with an unbounded exponent is below 2^-1022), so
 * a nonzero text that rounds to zero, and most subnormals, set it while an
 * exactly representable subnormal such as 0x1p-1074 does not.
 * Callers: parseDouble (Redis's string2d), score range bounds, SORT weights,
 * DEBUG SLEEP.
 */
export function strtod(s: string): Strtod {
  // Quick paths, with no scan record: a whole text that is one plain decimal
  // whose value is normal and finite (no ERANGE possible), and "inf" forms.
  const len = s.length;
  const fast = plainDecimal(s);
  if (fast === fast) return { value: fast, end: len, erange: false };
  if (len > 0 && decimalEnd(s) === len) {
    const v = Number(s);
    const a = v < 0 ? -v : v;
    if (a > MIN_NORMAL && a !== Infinity) return { value: v, end: len, erange: false };
  } else {
    const inf = infText(s);
    if (inf !== 0) return { value: inf, end: len, erange: false };
  }
  const t = scanFloat(s);
  switch (t.kind) {
    case null:
      return { value: 0, end: 0, erange: false };
    case 'inf':
      return { value: t.neg ? -Infinity : Infinity, end: t.end, erange: false };
    case 'nan':
      return { value: NaN, end: t.end, erange: false };
    case 'hex':
      return hexToDouble(t);
  }
  const value = Number(s.slice(t.start, t.end));
  const mag = value < 0 ? -value : value;
  let erange = mag === Infinity;
  if (mag <= MIN_NORMAL) {
    let z = 0;
    while (z < t.digits.length && t.digits.charCodeAt(z) === 48) z++;
    if (z === t.digits.length)
      erange = false; // a zero text is exact
    else if (mag === 0)
      erange = true; // a nonzero text rounded to zero
    else {
      // A subnormal (or 2^-1022): the exact value is D / 10^k with k > 0,
      // and k is at most about 330 plus the number of digits.
      const D = BigInt(t.digits.slice(z));
      const k = BigInt(t.frac - t.exp);
      const den = 10n ** k;
      const M = BigInt(mag * 2 ** 1022 * 2 ** 52); // mag = M · 2^-1074 exactly
      const inexact = D * TWO_1074 !== M * den;
      const tiny = D << 1076n < ((1n << 54n) - 1n) * den;
      erange = inexact && tiny;
    }
  }
  return { value, end: t.end, erange };
}

/** A hexadecimal FloatText rounded to a double (exactly, with BigInt), with strtod's ERANGE. */
function hexToDouble(t: FloatText): Strtod {
  const m = BigInt('0x' + t.digits);
  const sign = t.neg ? -1 : 1;
  if (m === 0n) return { value: sign * 0, end: t.end, erange: false };
  const e2 = t.exp - 4 * t.frac;
  const top = bitLength(m) + e2 - 1; // the value is in [2^top, 2^(top+1))
  if (top > 1100) return { value: sign * Infinity, end: t.end, erange: true };
  if (top < -1100) return { value: sign * 0, end: t.end, erange: true };
  const roundAt = (lsb: number): [bigint, boolean] => {
    if (lsb <= e2) return [m << BigInt(e2 - lsb), false];
    const drop = BigInt(lsb - e2);
    let q = m >> drop;
    const rem = m - (q << drop);
    const half = 1n << (drop - 1n);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q++;
    return [q, rem !== 0n];
  };
  const lsb = Math.max(top - 52, -1074);
  const [q, inexact] = roundAt(lsb);
  const value = sign * Number(q) * 2 ** lsb; // exact, or Infinity when it rounded up to 2^1024
  let erange = !Number.isFinite(value);
  if (!erange && top < -1022 && inexact) {
    // Tiny unless rounding to 53 bits with no exponent floor reaches 2^-1022.
    const [q53] = roundAt(top - 52);
    erange = !(top === -1023 && q53 === 1n << 53n);
  }
  return { value, end: t.end, erange };
}

/**
 * Redis's string2d, which every double argument goes through (ZADD and
 * ZINCRBY scores, WEIGHTS, GEO coordinates and distances, the
 * latency-tracking-info-percentiles config): strtod must consume the whole
 * text, which may not start with white space; NaN, overflow to +-inf and a
 * nonzero text that underflows to zero are refused (a subnormal result is
 * accepted); "inf"/"infinity" with any sign and case, and hexadecimal
 * floats are accepted. Returns null where Redis says "not a valid float".
 */
export function parseDouble(s: string): number | null {
  const len = s.length;
  if (len === 0) return null;
  const fast = plainDecimal(s);
  if (fast === fast) return fast;
  // strtod skips leading white space; Redis rejects it by checking isspace(buf[0]).
  const c0 = s.charCodeAt(0);
  if (isCSpace(c0)) return null;
  // Other plain decimals ("0.30000000000000004", "1.5e-7"): Number() rounds
  // as strtod does; any nonzero finite result is accepted (a subnormal too).
  const c1 = c0 === 43 || c0 === 45 ? s.charCodeAt(1) : c0;
  if ((c1 | 0x20) === 105) {
    const inf = infText(s);
    if (inf !== 0) return inf;
  } else if (decimalEnd(s) === len) {
    const v = Number(s);
    if (v !== 0 && v !== Infinity && v !== -Infinity) return v;
  }
  const r = strtod(s);
  if (r.end !== len || r.value !== r.value) return null;
  if (r.erange && (r.value === 0 || r.value === Infinity || r.value === -Infinity)) return null;
  return r.value;
}

/**
 * Formats a double the way Redis 7.2 replies with it (ZSCORE, RESP3 doubles,
 * d2string): integral values within +-2^62 as integers; otherwise (fpconv_dtoa) the shortest digits that round-trip (JS gives the same digits
 * as Grisu2 except in rare cases where Grisu2 is not shortest), then laid out
 * as Redis's emit_digits does: with K the decimal exponent of the last digit
 * and E that of the first, a plain integer when K >= 0 and |E| < digits + 7,
 * a plain decimal when K < 0 and (K > -7 or |E| < 4), otherwise
 * d.ddde+X / d.ddde-X with no exponent padding ("1e+20", "1.5e-7").
 * "inf"/"-inf"/"nan"; -0 keeps its sign.
 */
export function formatDouble(x: number): string {
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Number.isNaN(x)) return 'nan';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  // d2string prints integral values within +-LLONG_MAX/2 as integers (double2ll).
  if (Number.isInteger(x) && x >= -4611686018427387904 && x <= 4611686018427387904) {
    return Number.isSafeInteger(x) ? '' + x : BigInt(x).toString();
  }
  const neg = x < 0;
  const e = (neg ? -x : x).toExponential(); // shortest round-trip digits: d.ddde±X
  const ei = e.indexOf('e');
  const digits = e.charCodeAt(1) === 46 ? e[0] + e.slice(2, ei) : e.slice(0, ei);
  const nd = digits.length;
  const first = Number(e.slice(ei + 1));
  const K = first - nd + 1;
  const absE = first < 0 ? -first : first;
  let out: string;
  if (K >= 0 && absE < nd + 7) out = digits + '0'.repeat(K);
  else if (K < 0 && (K > -7 || absE < 4)) {
    const offset = nd + K;
    out = offset <= 0 ? '0.' + '0'.repeat(-offset) + digits : digits.slice(0, offset) + '.' + digits.slice(offset);
  } else out = digits[0] + (nd > 1 ? '.' + digits.slice(1) : '') + 'e' + (first < 0 ? '-' : '+') + absE;
  return neg ? '-' + out : out;
}

/** The exact value of a finite double as [mantissa, exponent]: x = m * 2^e. */
function exactParts(x: number): [bigint, number] {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x);
  const hi = dv.getUint32(0);
  const lo = dv.getUint32(4);
  const exp = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (exp === 0) return [m, -1074];
  m |= 1n << 52n;
  return [m, exp - 1075];
}

/**
 * The exact decimal value of a finite, non-zero |x|: `digits` (no leading or
 * trailing zeros) times 10^(point - digits.length), i.e. `point` is where the
 * decimal point goes counted from the first digit ("125", 0 is 0.125; "125",
 * 3 is 125). For printf's rounding (C rounds the exact value, a tie to even).
 */
export function exactDecimal(x: number): { digits: string; point: number } {
  const [mant, exp2] = exactParts(Math.abs(x));
  let D: string;
  let scale: number;
  if (exp2 >= 0) {
    D = (mant << BigInt(exp2)).toString();
    scale = 0;
  } else {
    D = (mant * 5n ** BigInt(-exp2)).toString();
    scale = -exp2;
  }
  const trimmed = D.replace(/0+$/, '');
  scale -= D.length - trimmed.length;
  return { digits: trimmed, point: trimmed.length - scale };
}

/**
 * Rounds exact decimal digits to `n` significant digits (n >= 1) as C's
 * printf does (to nearest, an exact tie to even): the rounded digits
 * (exactly n, zero padded) and the new point (one more when 9.99 became 10.0).
 */
export function roundDigits(digits: string, point: number, n: number): { digits: string; point: number } {
  if (digits.length <= n) return { digits: digits.padEnd(n, '0'), point };
  const head = digits.slice(0, n);
  const next = digits.charCodeAt(n) - 48;
  const restNonZero = digits.length > n + 1; // digits has no trailing zeros
  const up = next > 5 || (next === 5 && (restNonZero || (head.charCodeAt(n - 1) - 48) % 2 === 1));
  if (!up) return { digits: head, point };
  const inc = (BigInt(head) + 1n).toString();
  if (inc.length > n) return { digits: inc.slice(0, n), point: point + 1 };
  return { digits: inc.padStart(n, '0'), point };
}

/**
 * C's printf("%.<digits>f") of a double: the exact binary value rounded to
 * `digits` decimals, an exact tie to even (toFixed rounds ties away from
 * zero: 0.0078125 is "0.007812" here, "0.007813" there), -0 keeping its
 * sign, "inf"/"-inf"/"nan". Exact and slow (BigInt): for error texts,
 * CONFIG GET and the rare ties of GEO's coordinate printing.
 */
export function formatFixed(x: number, digits: number): string {
  if (x !== x) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  const neg = x < 0 || Object.is(x, -0);
  const [m, e] = exactParts(neg ? -x : x);
  const P = 10n ** BigInt(digits);
  let q: bigint;
  if (e >= 0) q = (m << BigInt(e)) * P;
  else {
    const num = m * P;
    const den = 1n << BigInt(-e);
    q = num / den;
    const twice = (num - q * den) * 2n;
    if (twice > den || (twice === den && (q & 1n) === 1n)) q++;
  }
  const t = q.toString().padStart(digits + 1, '0');
  const body = digits > 0 ? t.slice(0, t.length - digits) + '.' + t.slice(t.length - digits) : t;
  return neg ? '-' + body : body;
}

/**
 * Decimal digits of a non-negative integer below 2^53, without formatting it
 * (a double's formatting is a runtime call: a stream ID's ms part is ~1.7e12).
 */
export function digits(n: number): number {
  if (n < 10) return 1;
  let d = 2;
  while (n >= POW10[d]!) d++;
  return d;
}
