/**
 * An exact emulation of the x87 80-bit `long double` that Redis uses for
 * INCRBYFLOAT and HINCRBYFLOAT: strtold-style parsing (correctly rounded to a
 * 64-bit mantissa, subnormals included), addition rounded to nearest-even, and
 * `%.17Lf` printing with trailing zeros trimmed (Redis's "human" ld2string).
 * JS doubles would print 0.1+0.2 as 0.30000000000000004 where Redis prints 0.3.
 *
 * A finite value is `m × 2^e` with `m` a 64-bit unsigned mantissa: normal
 * values have 2^63 <= m < 2^64; values below that range keep e = E_MIN
 * (subnormals). Arithmetic uses BigInt; it is exact, not fast, and only runs
 * for the float-increment commands.
 *
 * Typical use (HINCRBYFLOAT does the same with its own error texts):
 *   const cur = parseLongDouble(oldText), inc = parseLongDouble(arg);
 *   if (!cur || !inc) -> "value is not a valid float"
 *   const sum = ldAdd(cur, inc);
 *   if (!ldIsFinite(sum)) -> "increment would produce NaN or Infinity"
 *   store/reply formatLongDouble(sum)
 */
import { isCSpace, scanFloat } from './numbers.js';

export interface LongDouble {
  /** Sign (also for zero and infinity). */
  readonly neg: boolean;
  /** Mantissa (finite values). */
  readonly m: bigint;
  /** Exponent of the mantissa's least significant bit (finite values). */
  readonly e: number;
  /** 'inf' or 'nan' for the special values; absent for finite ones. */
  readonly special?: 'inf' | 'nan';
}

/** Exponent of the least significant mantissa bit of the smallest normal and of every subnormal. */
const E_MIN = -16445;
/** Largest exponent of the least significant bit of a finite value (max is (2^64-1)·2^16320). */
const E_MAX = 16320;
const TWO63 = 1n << 63n;
const TWO64 = 1n << 64n;
/** Redis refuses float texts of this many bytes or more (MAX_LONG_DOUBLE_CHARS). */
const MAX_CHARS = 5 * 1024;

const ZERO: LongDouble = { neg: false, m: 0n, e: 0 };
const INF: LongDouble = { neg: false, m: 0n, e: 0, special: 'inf' };
const NEG_INF: LongDouble = { neg: true, m: 0n, e: 0, special: 'inf' };
const NAN: LongDouble = { neg: false, m: 0n, e: 0, special: 'nan' };

/** A double and its two 32-bit words; u32[HI] is the word with the sign and exponent. */
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/**
 * Number of bits of a positive bigint (exported for its test). Below 2^1024
 * it is read from the exponent of Number(x), x rounded to 53 bits: one too
 * many only when the rounding carried into the next power of two, which
 * leaves a zero mantissa. (Writing the bigint in hex, as before, was 17.5% of
 * an INCRBYFLOAT's samples.)
 */
export function bitLength(x: bigint): number {
  f64[0] = Number(x);
  const hi = u32[HI]!;
  const exp = (hi >>> 20) & 0x7ff;
  if (exp === 0x7ff) {
    const h = x.toString(16);
    return (h.length - 1) * 4 + (32 - Math.clz32(parseInt(h[0]!, 16)));
  }
  const bits = exp - 1022; // x in [2^(exp-1023), 2^(exp-1022)) unless rounded up
  if ((hi & 0xfffff) === 0 && u32[1 - HI] === 0 && x < 1n << BigInt(bits - 1)) return bits - 1;
  return bits;
}

const pow10Cache = new Map<number, bigint>();
function pow10(n: number): bigint {
  let v = pow10Cache.get(n);
  if (v === undefined) {
    v = 10n ** BigInt(n);
    if (pow10Cache.size < 64) pow10Cache.set(n, v);
  }
  return v;
}

/**
 * Rounds the exact value (p / q) · 2^sh (p >= 0, q > 0) to the nearest long
 * double, ties to even. Returns an infinity on overflow; a result of m = 0
 * for a nonzero p means it underflowed to zero.
 */
function roundExact(neg: boolean, p: bigint, q: bigint, sh: number): LongDouble {
  if (p === 0n) return neg ? { neg, m: 0n, e: 0 } : ZERO;
  // k = floor(log2(p / q)): the bit-length difference or one less.
  let k = bitLength(p) - bitLength(q);
  if (k >= 0 ? p < q << BigInt(k) : p << BigInt(-k) < q) k--;
  let e = k + sh - 63;
  if (e < E_MIN) e = E_MIN;
  const t = sh - e;
  let num = p;
  let den = q;
  if (t >= 0) num <<= BigInt(t);
  else den <<= BigInt(-t);
  let m = num / den;
  const twice = (num - m * den) * 2n;
  if (twice > den || (twice === den && (m & 1n) === 1n)) m++;
  if (m === TWO64) {
    m = TWO63;
    e++;
  }
  if (e > E_MAX) return neg ? NEG_INF : INF;
  return { neg, m, e };
}

/**
 * Parses a float the way Redis's string2ld does (strtold on the whole text):
 * the grammar of numbers.ts's scanFloat (decimal and hexadecimal forms,
 * "inf"/"infinity" with optional sign, any case), then correctly rounded to
 * a long double; no leading space, no trailing garbage, no NaN, no overflow,
 * no nonzero value that underflows to zero (a subnormal is accepted), fewer
 * than 5120 bytes. Returns null when Redis would reply "value is not a valid
 * float". Callers: INCRBYFLOAT, HINCRBYFLOAT, blocking timeouts (args.ts's
 * argLongDouble) and the stored values the float increments read.
 */
export function parseLongDouble(s: string): LongDouble | null {
  const len = s.length;
  if (len === 0 || len >= MAX_CHARS || isCSpace(s.charCodeAt(0))) return null;
  const t = scanFloat(s);
  if (t.end !== len) return null;
  if (t.kind === 'inf') return t.neg ? NEG_INF : INF;
  if (t.kind !== 'dec' && t.kind !== 'hex') return null; // NaN (nothing converted leaves end at 0)
  const neg = t.neg;
  let digits = t.digits;
  let i = 0;
  while (i < digits.length && digits.charCodeAt(i) === 48) i++;
  digits = digits.slice(i);
  if (digits.length === 0) return { neg, m: 0n, e: 0 };
  let r: LongDouble;
  if (t.kind === 'dec') {
    const e10 = t.exp - t.frac;
    const mag = digits.length + e10; // value is in [10^(mag-1), 10^mag)
    if (mag > 4934) return null; // overflow: max is about 1.19e4932
    if (mag < -4952) return null; // underflows to zero: min subnormal is about 3.6e-4951
    const d = BigInt(digits);
    r = e10 >= 0 ? roundExact(neg, d * pow10(e10), 1n, 0) : roundExact(neg, d, pow10(-e10), 0);
  } else {
    const h = BigInt('0x' + digits);
    const e2 = t.exp - 4 * t.frac;
    const mag = bitLength(h) + e2;
    if (mag > 16400) return null;
    if (mag < -16500) return null;
    r = roundExact(neg, h, 1n, e2);
  }
  return r.special !== undefined || r.m === 0n ? null : r;
}

/** The exact long double of an integer within int64 (a stored "int" encoded value). */
export function ldFromInt(n: number | bigint): LongDouble {
  const b = BigInt(n);
  return b < 0n ? roundExact(true, -b, 1n, 0) : roundExact(false, b, 1n, 0);
}

/** True unless the value is an infinity or NaN. */
export function ldIsFinite(x: LongDouble): boolean {
  return x.special === undefined;
}

/** a + b in long double precision, rounded to nearest-even, with IEEE special cases. */
export function ldAdd(a: LongDouble, b: LongDouble): LongDouble {
  if (a.special === 'nan' || b.special === 'nan') return NAN;
  if (a.special === 'inf' || b.special === 'inf') {
    if (a.special === 'inf' && b.special === 'inf' && a.neg !== b.neg) return NAN;
    return a.special === 'inf' ? a : b;
  }
  if (a.m === 0n) return b.m === 0n ? (a.neg && b.neg ? a : ZERO) : b;
  if (b.m === 0n) return a;
  const emin = a.e < b.e ? a.e : b.e;
  const av = a.m << BigInt(a.e - emin);
  const bv = b.m << BigInt(b.e - emin);
  const s = (a.neg ? -av : av) + (b.neg ? -bv : bv);
  if (s === 0n) return ZERO;
  return s < 0n ? roundExact(true, -s, 1n, emin) : roundExact(false, s, 1n, emin);
}

/** a × b in long double precision, rounded to nearest-even, with IEEE special cases. */
export function ldMul(a: LongDouble, b: LongDouble): LongDouble {
  if (a.special === 'nan' || b.special === 'nan') return NAN;
  const neg = a.neg !== b.neg;
  if (a.special === 'inf' || b.special === 'inf') {
    if ((a.special === undefined && a.m === 0n) || (b.special === undefined && b.m === 0n)) return NAN;
    return neg ? NEG_INF : INF;
  }
  if (a.m === 0n || b.m === 0n) return { neg, m: 0n, e: 0 };
  return roundExact(neg, a.m * b.m, 1n, a.e + b.e);
}

/** C's ceill of a finite value, as an exact integer (-0 gives 0n). */
export function ldCeil(x: LongDouble): bigint {
  if (x.e >= 0) return x.neg ? -(x.m << BigInt(x.e)) : x.m << BigInt(x.e);
  const sh = BigInt(-x.e);
  const q = x.m >> sh;
  if (x.neg) return -q;
  return q << sh === x.m ? q : q + 1n;
}

const P17 = 10n ** 17n;

/**
 * Formats like Redis's ld2string in "human" mode: "inf"/"-inf", otherwise
 * printf("%.17Lf") of the exact value (ties to even), trailing zeros and a
 * bare trailing '.' removed, and "-0" written "0".
 */
export function formatLongDouble(x: LongDouble): string {
  if (x.special === 'inf') return x.neg ? '-inf' : 'inf';
  if (x.special === 'nan') return x.neg ? '-nan' : 'nan';
  let n: bigint;
  if (x.e >= 0) n = (x.m << BigInt(x.e)) * P17;
  else {
    const sh = BigInt(-x.e);
    const num = x.m * P17;
    n = num >> sh;
    const rem = num - (n << sh);
    const half = 1n << (sh - 1n);
    if (rem > half || (rem === half && (n & 1n) === 1n)) n++;
  }
  const digits = n.toString().padStart(18, '0');
  const ip = digits.slice(0, -17);
  let frac = digits.slice(-17);
  let end = frac.length;
  while (end > 0 && frac.charCodeAt(end - 1) === 48) end--;
  frac = frac.slice(0, end);
  const body = frac.length ? ip + '.' + frac : ip;
  if (x.neg && body !== '0') return '-' + body;
  return body;
}
