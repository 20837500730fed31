/**
 * Lua 5.1's math library (lmathlib.c) for jslua, without random and
 * randomseed (scripts that use them stay on the WebAssembly VM).
 *
 * The results follow glibc on x86-64 as redis-server computes them: C's
 * special cases where JS's Math differs (pow(1, nan) is 1, fmod and modf
 * keep signs, max/min keep the first of equal or unordered values), and
 * the sign of NaN results, which tostring shows ("nan" / "-nan"): a NaN
 * argument comes back as it is (fabs clears its sign), a domain error gives
 * the NaN glibc gives (-nan from sqrt, log, fmod, pow, sin/cos/tan of inf;
 * nan from log10, asin, acos).
 *
 * V8's exp, log, pow, sin... are up to a unit in the last place off for a
 * few percent of arguments, where glibc's are correctly rounded but in rare
 * cases. So exp, log, pow, sin, cos, tan, asin, acos, atan and atan2 are
 * computed here in double-double arithmetic (about 100 bits) and rounded
 * once: correctly rounded; they differ from redis-server only where glibc
 * misrounds (about 1 argument in 2000). log10, sinh, cosh and tanh are
 * glibc's (fdlibm's) formulas over those (and over V8's expm1). They cost
 * 0.1 to 2 microseconds a call (V8's Math: 20 ns); integer powers (Lua's
 * `^`, see luaPow) have cheaper exact paths.
 */
import { checkInt, checkNumber, type LuaResult, type LuaValue } from './value.js';

function nanWithSign(neg: boolean): number {
  const f = new Float64Array(1);
  const b = new Uint8Array(f.buffer);
  b[6] = 0xf8;
  b[7] = neg ? 0xff : 0x7f;
  return f[0]!;
}
/** The NaN x86's invalid operations produce (sign bit set): printed "-nan". */
export const NEG_NAN = nanWithSign(true);
/** A NaN without the sign bit: printed "nan". */
const POS_NAN = nanWithSign(false);

/** luaL_checknumber with the common case inline. */
function num(v: LuaValue, narg: number, nargs: number): number {
  return typeof v === 'number' ? v : checkNumber(v, narg, nargs);
}

function abs(x: LuaValue): number {
  const a = num(x, 1, arguments.length);
  return a !== a ? POS_NAN : Math.abs(a);
}

function sin(x: LuaValue): number {
  const a = num(x, 1, arguments.length);
  if (a !== a) return a;
  if (a === Infinity || a === -Infinity) return NEG_NAN;
  return trig(a, 0);
}

function cos(x: LuaValue): number {
  const a = num(x, 1, arguments.length);
  if (a !== a) return a;
  if (a === Infinity || a === -Infinity) return NEG_NAN;
  return trig(a, 1);
}

function tan(x: LuaValue): number {
  const a = num(x, 1, arguments.length);
  if (a !== a) return a;
  if (a === Infinity || a === -Infinity) return NEG_NAN;
  return trig(a, 2);
}

// sinh, cosh, tanh: glibc's (fdlibm's) formulas over expm1 (V8's is the same
// fdlibm code) and exp (glibc's rounds correctly, as expRound does).

/** The high 32 bits of |x|. */
function highWord(x: number): number {
  fview.setFloat64(0, x);
  return fview.getUint32(0) & 0x7fffffff;
}

function expC(a: number): number {
  const r = expRound(a, 0);
  return r === r ? r : Math.exp(a);
}

function sinh(x: LuaValue): number {
  const a = num(x, 1, arguments.length);
  if (a !== a || a === Infinity || a === -Infinity) return a;
  const ix = highWord(a);
  const h = a < 0 ? -0.5 : 0.5;
  const ax = a < 0 ? -a : a;
  if (ix < 0x40360000) {
    if (ix < 0x3e300000) return a;
    const t = Math.expm1(ax);
    if (ix < 0x3ff00000) return h * (2.0 * t - (t * t) / (t + 1));
    return h * (t + t / (t + 1));
  }
  if (ix < 0x40862e42) return h * expC(ax);
  if (ax <= 710.4758600739439) {
    const w = expC(0.5 * ax);
    const t = h * w;
    return t * w;
  }
  return a * 1e307 * 1e307;
}

function cosh(x: LuaValue): number {
  const a = num(x, 1, arguments.length);
  if (a !== a) return a;
  const ix = highWord(a);
  const ax = a < 0 ? -a : a;
  if (ix < 0x40360000) {
    if (ix < 0x3fd62e43) {
      if (ix < 0x3c800000) return 1;
      const t = Math.expm1(ax);
      const w = 1 + t;
      return 1 + (t * t) / (w + w);
    }
    const t = expC(ax);
    return 0.5 * t + 0.5 / t;
  }
  if (ix < 0x40862e42) return 0.5 * expC(ax);
  if (ax <= 710.4758600739439) {
    const w = expC(0.5 * ax);
    const t = 0.5 * w;
    return t * w;
  }
  return Infinity;
}

function tanh(x: LuaValue): number {
  const a = num(x, 1, arguments.length);
  if (a !== a) return a;
  const ix = highWord(a);
  const ax = a < 0 ? -a : a;
  let z: number;
  if (ix < 0x40360000) {
    if (a === 0) return a;
    if (ix < 0x3c800000) return a * (1 + a);
    if (ix >= 0x3ff00000) {
      const t = Math.expm1(2 * ax);
      z = 1 - 2 / (t + 2);
    } else {
      const t = Math.expm1(-2 * ax);
      z = -t / (t + 2);
    }
  } else z = 1;
  return a < 0 ? -z : z;
}

function asin(x: LuaValue): number {
  const a = num(x, 1, arguments.length);
  if (a !== a) return a;
  if (a > 1 || a < -1) return POS_NAN;
  return asinRound(a, false);
}

function acos(x: LuaValue): number {
  const a = num(x, 1, arguments.length);
  if (a !== a) return a;
  if (a > 1 || a < -1) return POS_NAN;
  return asinRound(a, true);
}

function atan(x: LuaValue): number {
  const a = num(x, 1, arguments.length);
  if (a !== a) return a;
  return atanRound(a);
}

function atan2(y: LuaValue, x: LuaValue): number {
  const nargs = arguments.length;
  const a = num(y, 1, nargs);
  const b = num(x, 2, nargs);
  if (a !== a) return a;
  if (b !== b) return b;
  const r = Math.atan2(a, b);
  // the quotient a/b as a double-double; outside safe ranges keep V8's
  const aa = a < 0 ? -a : a;
  const ab = b < 0 ? -b : b;
  if (a === 0 || !(aa > 1e-290 && aa < 1e290 && ab > 1e-290 && ab < 1e290)) return r;
  const q = a / b;
  const aq = q < 0 ? -q : q;
  if (!(aq > 1e-280 && aq < 1e280)) return r;
  ddMul(q, 0, b, 0);
  const ql = (a - ddHi - ddLo) / b;
  atanDD(q, ql);
  if (b > 0) return ddHi + ddLo;
  // atan(a/b) + pi or - pi
  if (a > 0) ddAdd(ddHi, ddLo, PI[0], PI[1]);
  else ddAdd(ddHi, ddLo, -PI[0], -PI[1]);
  return ddHi + ddLo;
}

function ceil(x: LuaValue): number {
  const a = num(x, 1, arguments.length);
  return a !== a ? a : Math.ceil(a);
}

function floor(x: LuaValue): number {
  const a = num(x, 1, arguments.length);
  return a !== a ? a : Math.floor(a);
}

function fmod(x: LuaValue, y: LuaValue): number {
  const nargs = arguments.length;
  const a = num(x, 1, nargs);
  const b = num(y, 2, nargs);
  if (a !== a) return a;
  if (b !== b) return b;
  if (b === 0 || a === Infinity || a === -Infinity) return NEG_NAN;
  return a % b;
}

function modf(x: LuaValue): LuaResult {
  const a = num(x, 1, arguments.length);
  const r: LuaValue[] = [undefined, undefined]; // (a generic array keeps a NaN's sign)
  if (a !== a) {
    r[0] = a;
    r[1] = a;
  } else if (a === Infinity || a === -Infinity) {
    r[0] = a;
    r[1] = a > 0 ? 0 : -0;
  } else {
    const ip = Math.trunc(a);
    const fp = a - ip;
    r[0] = ip;
    r[1] = fp === 0 && (a < 0 || 1 / a < 0) ? -0 : fp;
  }
  return r;
}

function sqrt(x: LuaValue): number {
  const a = num(x, 1, arguments.length);
  if (a !== a) return a;
  return a < 0 ? NEG_NAN : Math.sqrt(a);
}

// Double-double arithmetic (a value as hi + lo), for powers with an integer
// exponent rounded once, as glibc's pow rounds (V8's Math.pow multiplies
// in doubles and is a unit in the last place off for a few percent of them).
let ddHi = 0;
let ddLo = 0;
const SPLIT = 134217729; // 2^27 + 1

/** (ddHi, ddLo) = (ah + al) * (bh + bl). */
function ddMul(ah: number, al: number, bh: number, bl: number): void {
  const p = ah * bh;
  let t = SPLIT * ah;
  const ahh = t - (t - ah);
  const ahl = ah - ahh;
  t = SPLIT * bh;
  const bhh = t - (t - bh);
  const bhl = bh - bhh;
  const e = ahh * bhh - p + ahh * bhl + ahl * bhh + ahl * bhl + (ah * bl + al * bh);
  ddHi = p + e;
  ddLo = e - (ddHi - p);
}

/** a^n for an integer 1 <= |n| <= 2^30 whose result is well inside the normal range, or NaN if it is not. */
function powInt(a: number, n: number): number {
  let k = n < 0 ? -n : n;
  let rh = 1;
  let rl = 0;
  let bh = a;
  let bl = 0;
  for (;;) {
    if ((k & 1) !== 0) {
      ddMul(rh, rl, bh, bl);
      rh = ddHi;
      rl = ddLo;
    }
    k >>>= 1;
    if (k === 0) break;
    ddMul(bh, bl, bh, bl);
    bh = ddHi;
    bl = ddLo;
  }
  if (n > 0) return rh + rl;
  // 1 / (rh + rl): q1 + q2 with q2 correcting q1's remainder
  const q1 = 1 / rh;
  ddMul(q1, 0, rh, rl);
  const rem = 1 - ddHi - ddLo;
  return q1 + rem / rh;
}

/** (ddHi, ddLo) = (ah + al) + (bh + bl). */
function ddAdd(ah: number, al: number, bh: number, bl: number): void {
  const s = ah + bh;
  const sb = s - ah;
  let e = ah - (s - sb) + (bh - sb);
  const t = al + bl;
  const tb = t - al;
  const f = al - (t - tb) + (bl - tb);
  e += t;
  const h = s + e;
  e = e - (h - s) + f;
  ddHi = h + e;
  ddLo = e - (ddHi - h);
}

/** (ddHi, ddLo) = (ah + al) / k for a small positive integer k. */
function ddDivInt(ah: number, al: number, k: number): void {
  const q1 = ah / k;
  ddMul(q1, 0, k, 0);
  const q2 = (ah - ddHi - ddLo + al) / k;
  ddHi = q1 + q2;
  ddLo = q2 - (ddHi - q1);
}

// ln 2 as the sum of three doubles (sum of 1/(k 2^k), in 2^-320 fixed point)
const LN2 = ((): [number, number, number] => {
  const S = 320n;
  let acc = 0n;
  for (let k = 1n; k <= 330n; k++) acc += (1n << S) / (k << k);
  const toNum = (v: bigint): number => Number(v) / 2 ** 320;
  const back = (x: number): bigint => BigInt(x * 2 ** 320);
  const h1 = toNum(acc);
  const r1 = acc - back(h1);
  const h2 = toNum(r1);
  const r2 = r1 - back(h2);
  return [h1, h2, toNum(r2)];
})();
const INV_LN2 = 1 / LN2[0];

/**
 * exp(xh + xl) as a double-double (relative error about 2^-100), for
 * -745 < xh < 709.8: x = k ln2 + r, exp(r / 32) by its series, squared 5
 * times, times 2^k (k is returned in expK, not applied).
 */
let expK = 0;
function expDD(xh: number, xl: number): void {
  const k = Math.round(xh * INV_LN2);
  ddMul(k, 0, LN2[0], 0);
  ddAdd(xh, xl, -ddHi, -ddLo);
  let rh = ddHi;
  let rl = ddLo;
  ddMul(k, 0, LN2[1], 0);
  ddAdd(rh, rl, -ddHi, -ddLo - k * LN2[2]);
  const sh = ddHi / 32;
  const sl = ddLo / 32;
  // 1 + s (1 + s/2 (1 + s/3 (...)))
  let ah = 1;
  let al = 0;
  for (let n = 14; n >= 1; n--) {
    ddMul(sh, sl, ah, al);
    ddDivInt(ddHi, ddLo, n);
    ddAdd(1, 0, ddHi, ddLo);
    ah = ddHi;
    al = ddLo;
  }
  for (let i = 0; i < 5; i++) {
    ddMul(ah, al, ah, al);
    ah = ddHi;
    al = ddLo;
  }
  rh = ah;
  rl = al;
  ddHi = rh;
  ddLo = rl;
  expK = k;
}

/** The double nearest exp(xh + xl) (glibc's exp rounds correctly but in rare cases). */
function expRound(xh: number, xl: number): number {
  if (xh > 709.8) return Infinity;
  if (xh < -745.2) return 0;
  expDD(xh, xl);
  const k = expK;
  if (k < -1020 || k > 1023) return NaN; // near the ends of the range: the caller falls back
  const f = pow2(k);
  return ddHi * f + ddLo * f;
}

/** log(x) as a double-double for a finite x > 0. */
function logDD(x: number): void {
  if (x > 0.984375 && x < 1.015625) {
    // log(1 + d) = d (1 - d/2 + d^2/3 - ...), d exact
    const d = x - 1;
    let ah = 0;
    let al = 0;
    for (let n = 22; n >= 1; n--) {
      ddMul(-d, 0, ah, al);
      const ph = ddHi;
      const pl = ddLo;
      ddDivInt(1, 0, n);
      ddAdd(ddHi, ddLo, ph, pl);
      ah = ddHi;
      al = ddLo;
    }
    ddMul(ah, al, d, 0);
    return;
  }
  // x = m 2^E with m in [sqrt(1/2), sqrt(2))
  fview.setFloat64(0, x);
  let E = 0;
  if (((fview.getUint16(0) >>> 4) & 0x7ff) === 0) {
    fview.setFloat64(0, x * 18446744073709551616);
    E = -64;
  }
  const hi = fview.getUint16(0);
  E += ((hi >>> 4) & 0x7ff) - 1023;
  fview.setUint16(0, (hi & 0x800f) | (1023 << 4));
  let m = fview.getFloat64(0);
  if (m > 1.4142135623730951) {
    m /= 2;
    E++;
  }
  // Newton: log m = y0 + (m e^-y0 - 1) - (m e^-y0 - 1)^2 / 2 + ...
  const y0 = Math.log(m);
  expDD(-y0, 0);
  const f = pow2(expK);
  ddMul(ddHi * f, ddLo * f, m, 0);
  ddAdd(ddHi, ddLo, -1, 0);
  const th = ddHi;
  const tl = ddLo;
  ddAdd(y0, 0, th - (th * th) / 2, tl);
  if (E !== 0) {
    const lh = ddHi;
    const ll = ddLo;
    ddMul(E, 0, LN2[0], 0);
    ddAdd(ddHi, ddLo, E * LN2[1], E * LN2[2]);
    ddAdd(lh, ll, ddHi, ddLo);
  }
}

/** The double nearest log(x), x finite and > 0. */
function logRound(x: number): number {
  logDD(x);
  return ddHi + ddLo;
}

/** C's pow(a, b) as glibc computes it (Lua's `^` and math.pow). */
export function luaPow(a: number, b: number): number {
  if (a === 1 || b === 0) return 1;
  if (a !== a) return a;
  if (b !== b) return b;
  if (a === -1 && (b === Infinity || b === -Infinity)) return 1;
  if (a < 0 && a !== -Infinity && b !== Infinity && b !== -Infinity && !Number.isInteger(b)) return NEG_NAN;
  const r = Math.pow(a, b);
  if (r === 0 || r === Infinity || r === -Infinity || r !== r || a === 0 || b === 1) return r;
  const m = r < 0 ? -r : r;
  if (b === -1) return 1 / a;
  if ((b | 0) === b) {
    // an integer power of an integer below 2^53: every product is exact
    if (b > 0 && b <= 64 && m < 9007199254740992 && (a | 0) === a) {
      let p = a;
      for (let i = 1; i < b; i++) p *= a;
      return p;
    }
    if (m > 1e-280 && m < 1e280 && (a < 0 ? -a : a) < 1e280) return powInt(a, b);
  }
  if (a === Infinity || a === -Infinity || b === Infinity || b === -Infinity) return r;
  // exp(b log |a|), rounded once
  logDD(a < 0 ? -a : a);
  ddMul(ddHi, ddLo, b, 0);
  const e = expRound(ddHi, ddLo);
  if (e !== e || e === 0 || e === Infinity) return r;
  return r < 0 ? -e : e;
}

function pow(x: LuaValue, y: LuaValue): number {
  const nargs = arguments.length;
  return luaPow(num(x, 1, nargs), num(y, 2, nargs));
}

function log(x: LuaValue): number {
  const a = num(x, 1, arguments.length);
  if (a !== a) return a;
  if (a < 0) return NEG_NAN;
  if (a === 0 || a === Infinity) return Math.log(a);
  return logRound(a);
}

// glibc's log10 (from fdlibm): y log10(2) split in two, plus log of the
// mantissa (scaled to [1, 2), or [1/2, 1) below 1) times 1/ln 10
const IVLN10 = 4.34294481903251816668e-1;
const LOG10_2HI = 3.01029995663611771306e-1;
const LOG10_2LO = 3.69423907715893078616e-13;

function log10(x: LuaValue): number {
  let a = num(x, 1, arguments.length);
  if (a !== a) return a;
  if (a < 0) return POS_NAN;
  if (a === 0 || a === Infinity) return Math.log10(a);
  let k = 0;
  fview.setFloat64(0, a);
  if (fview.getUint32(0) < 0x00100000) {
    a *= 18014398509481984; // 2^54
    k = -54;
    fview.setFloat64(0, a);
  }
  const hx = fview.getUint32(0);
  k += (hx >>> 20) - 1023;
  const i = k < 0 ? 1 : 0;
  fview.setUint32(0, (hx & 0x000fffff) | ((0x3ff - i) << 20));
  const y = k + i;
  const z = y * LOG10_2LO + IVLN10 * logRound(fview.getFloat64(0));
  return z + y * LOG10_2HI;
}

function exp(x: LuaValue): number {
  const a = num(x, 1, arguments.length);
  return a !== a ? a : expC(a);
}

const RADIANS_PER_DEGREE = Math.PI / 180; // C: (3.14159265358979323846/180.0), the same double

function deg(x: LuaValue): number {
  return num(x, 1, arguments.length) / RADIANS_PER_DEGREE;
}

function rad(x: LuaValue): number {
  return num(x, 1, arguments.length) * RADIANS_PER_DEGREE;
}

const fview = new DataView(new ArrayBuffer(8));

function frexp(x: LuaValue): LuaResult {
  const a = num(x, 1, arguments.length);
  const r: LuaValue[] = [a, 0];
  if (a !== a || a === 0 || a === Infinity || a === -Infinity) return r;
  let m = a;
  let bias = 0;
  fview.setFloat64(0, m);
  if (((fview.getUint16(0) >>> 4) & 0x7ff) === 0) {
    // subnormal: scale into the normal range first
    m *= 18446744073709551616; // 2^64
    bias = -64;
    fview.setFloat64(0, m);
  }
  const hi = fview.getUint16(0);
  const e = ((hi >>> 4) & 0x7ff) - 1022;
  fview.setUint16(0, (hi & 0x800f) | (1022 << 4));
  r[0] = fview.getFloat64(0);
  r[1] = e + bias;
  return r;
}

/** 2^n for -1022 <= n <= 1023. */
function pow2(n: number): number {
  fview.setUint32(0, (n + 1023) << 20);
  fview.setUint32(4, 0);
  return fview.getFloat64(0);
}
const TWO_1023 = pow2(1023);
const TWO_M969 = pow2(-969); // 2^-1022 * 2^53

function ldexp(x: LuaValue, e: LuaValue): number {
  const nargs = arguments.length;
  let a = num(x, 1, nargs);
  let n = checkInt(e, 2, nargs);
  if (a !== a) return a;
  // scale in steps that stay exact, so the result is rounded only once
  if (n > 1023) {
    a *= TWO_1023;
    n -= 1023;
    if (n > 1023) {
      a *= TWO_1023;
      n -= 1023;
      if (n > 1023) n = 1023;
    }
  } else if (n < -1022) {
    a *= TWO_M969;
    n += 1022 - 53;
    if (n < -1022) {
      a *= TWO_M969;
      n += 1022 - 53;
      if (n < -1022) n = -1022;
    }
  }
  return a * pow2(n);
}

function min(): number {
  const nargs = arguments.length;
  // eslint-disable-next-line prefer-rest-params
  let m = num(arguments[0] as LuaValue, 1, nargs);
  for (let i = 1; i < nargs; i++) {
    // eslint-disable-next-line prefer-rest-params
    const d = num(arguments[i] as LuaValue, i + 1, nargs);
    if (d < m) m = d;
  }
  return m;
}

function max(): number {
  const nargs = arguments.length;
  // eslint-disable-next-line prefer-rest-params
  let m = num(arguments[0] as LuaValue, 1, nargs);
  for (let i = 1; i < nargs; i++) {
    // eslint-disable-next-line prefer-rest-params
    const d = num(arguments[i] as LuaValue, i + 1, nargs);
    if (d > m) m = d;
  }
  return m;
}

// ---------------------------------------------------------------------------
// sin, cos, tan, asin, acos, atan, atan2 rounded once from double-double
// values (glibc's are correctly rounded but in rare cases; V8's are a unit
// in the last place off for a few percent of arguments).

/** pi in 2^-1400 fixed point (Machin: pi/4 = 4 atan(1/5) - atan(1/239)). */
const PI_FIX = ((): bigint => {
  const B = 1400n;
  const atanInv = (n: bigint): bigint => {
    const n2 = n * n;
    let term = (1n << B) / n;
    let sum = 0n;
    for (let k = 1n; term !== 0n; k += 2n) {
      sum += (k & 2n) === 0n ? term / k : -(term / k);
      term /= n2;
    }
    return sum;
  };
  return 4n * (4n * atanInv(5n) - atanInv(239n));
})();

/** A positive fixed-point value (`bits` fractional bits) as three doubles. */
function splitFix(v: bigint, bits: number): [number, number, number] {
  const out: number[] = [];
  for (let i = 0; i < 3; i++) {
    const len = v.toString(2).length;
    const sh = Math.max(0, len - 60);
    const h = Number(v >> BigInt(sh)) * 2 ** (sh - bits);
    out.push(h);
    // h = v' 2^-bits exactly, as an integer multiple of 2^(sh - bits)
    v -= BigInt(h * 2 ** (bits - sh)) << BigInt(sh);
  }
  return out as [number, number, number];
}
const PI = splitFix(PI_FIX, 1400);
const PIO2 = splitFix(PI_FIX >> 1n, 1400);
/** 2/pi in 2^-1300 fixed point. */
const TWO_OVER_PI = (1n << 2701n) / PI_FIX;

let trigQ = 0;
/** x reduced: x = k pi/2 + (ddHi + ddLo), |ddHi| <= pi/4 (about), trigQ = k mod 4; x >= pi/4, finite. */
function reduce(x: number): void {
  fview.setFloat64(0, x);
  const hi = fview.getUint32(0);
  const be = (hi >>> 20) & 0x7ff;
  const m = (BigInt((hi & 0xfffff) | 0x100000) << 32n) | BigInt(fview.getUint32(4));
  const e = be - 1075;
  const F = Math.max(e, 0) + 240;
  const T = TWO_OVER_PI >> BigInt(1300 - F);
  const P = m * T; // x 2/pi = P 2^(e - F)
  const G = BigInt(F - e);
  const k = (P + (1n << (G - 1n))) >> G;
  let f = P - (k << G);
  trigQ = Number(k & 3n);
  const neg = f < 0n;
  if (neg) f = -f;
  if (f === 0n) {
    ddHi = 0;
    ddLo = 0;
    return;
  }
  const len = f.toString(2).length;
  const sh = Math.max(0, len - 110);
  const a2 = f >> BigInt(sh);
  const h = Number(a2);
  const l = Number(a2 - BigInt(h));
  const sc = pow2(sh - (F - e));
  ddMul(h * sc, l * sc, PIO2[0], PIO2[1]);
  if (neg) {
    ddHi = -ddHi;
    ddLo = -ddLo;
  }
}

/** sin (odd = false) or cos (true) of r = (rh + rl), |r| <= pi/4, into ddHi/ddLo. */
function sinCosDD(rh: number, rl: number, cosine: boolean): void {
  ddMul(rh, rl, rh, rl);
  const r2h = ddHi;
  const r2l = ddLo;
  let ah = 1;
  let al = 0;
  for (let k = 15; k >= 1; k--) {
    ddMul(r2h, r2l, ah, al);
    ddDivInt(ddHi, ddLo, cosine ? (2 * k - 1) * (2 * k) : 2 * k * (2 * k + 1));
    ddAdd(1, 0, -ddHi, -ddLo);
    ah = ddHi;
    al = ddLo;
  }
  if (!cosine) ddMul(ah, al, rh, rl);
  else {
    ddHi = ah;
    ddLo = al;
  }
}

/** (ddHi, ddLo) = (ah + al) / (bh + bl). */
function ddDiv(ah: number, al: number, bh: number, bl: number): void {
  const q1 = ah / bh;
  ddMul(q1, 0, bh, bl);
  ddAdd(ah, al, -ddHi, -ddLo);
  const q2 = ddHi / bh;
  ddAdd(q1, 0, q2, 0);
  const q3h = ddHi;
  const q3l = ddLo;
  // one more correction step
  ddMul(q3h, q3l, bh, bl);
  ddAdd(ah, al, -ddHi, -ddLo);
  const q4 = ddHi / bh;
  ddAdd(q3h, q3l, q4, 0);
}

/** sin (0), cos (1) or tan (2) of a finite x, rounded once. */
function trig(x: number, fn: number): number {
  const ax = x < 0 ? -x : x;
  if (ax < 1.4901161193847656e-8) {
    // |x| < 2^-26: sin x and tan x round to x, cos x to 1
    return fn === 1 ? 1 : x;
  }
  let rh: number;
  let rl: number;
  let q: number;
  if (ax <= 0.7853981633974483) {
    rh = ax;
    rl = 0;
    q = 0;
  } else {
    reduce(ax);
    rh = ddHi;
    rl = ddLo;
    q = trigQ;
  }
  let neg = false;
  if (fn === 2) {
    sinCosDD(rh, rl, false);
    const sh = ddHi;
    const sl = ddLo;
    sinCosDD(rh, rl, true);
    if ((q & 1) === 0) ddDiv(sh, sl, ddHi, ddLo);
    else {
      ddDiv(ddHi, ddLo, sh, sl);
      neg = true;
    }
    if (x < 0) neg = !neg;
  } else {
    // sin: q 0 sin, 1 cos, 2 -sin, 3 -cos; cos: q 0 cos, 1 -sin, 2 -cos, 3 sin
    const useCos = ((q + fn) & 1) === 1;
    sinCosDD(rh, rl, useCos);
    if (fn === 0) neg = q >= 2 !== x < 0;
    else neg = q === 1 || q === 2;
  }
  const r = ddHi + ddLo;
  return neg ? -r : r;
}

/** atan(xh + xl) as a double-double, |x| < 1e280: Math.atan refined by one Newton step on tan. */
function atanDD(xh: number, xl: number): void {
  const z0 = Math.atan(xh);
  const az = z0 < 0 ? -z0 : z0;
  let th: number;
  let tl: number;
  if (az <= 0.7853981633974483) {
    sinCosDD(az, 0, false);
    const sh = ddHi;
    const sl = ddLo;
    sinCosDD(az, 0, true);
    ddDiv(sh, sl, ddHi, ddLo);
  } else {
    // tan z = 1 / tan(pi/2 - z)
    ddAdd(PIO2[0], PIO2[1], -az, 0);
    const wh = ddHi;
    const wl = ddLo;
    sinCosDD(wh, wl, false);
    const sh = ddHi;
    const sl = ddLo;
    sinCosDD(wh, wl, true);
    ddDiv(ddHi, ddLo, sh, sl);
  }
  th = ddHi;
  tl = ddLo;
  if (z0 < 0) {
    th = -th;
    tl = -tl;
  }
  // atan x = z0 + atan((x - t) / (1 + x t))
  ddAdd(xh, xl, -th, -tl);
  const d = (ddHi + ddLo) / (1 + xh * th);
  ddAdd(z0, 0, d, 0);
}

function atanRound(x: number): number {
  const ax = x < 0 ? -x : x;
  if (ax < 1.4901161193847656e-8) return x;
  if (ax > 1e280) return Math.atan(x);
  atanDD(x, 0);
  return ddHi + ddLo;
}

/** asin(x) (or acos(x)), |x| <= 1: Math.asin refined by two Newton steps on sin. */
function asinRound(x: number, acos: boolean): number {
  const ax = x < 0 ? -x : x;
  if (!acos && ax < 1.4901161193847656e-8) return x;
  if (ax === 1) {
    if (!acos) return x < 0 ? -PIO2[0] : PIO2[0];
    return x > 0 ? 0 : PI[0];
  }
  let zh = Math.asin(ax);
  let zl = 0;
  for (let i = 0; i < 2; i++) {
    let sh: number;
    let sl: number;
    let ch: number;
    let cl: number;
    if (zh <= 0.7853981633974483) {
      sinCosDD(zh, zl, false);
      sh = ddHi;
      sl = ddLo;
      sinCosDD(zh, zl, true);
      ch = ddHi;
      cl = ddLo;
    } else {
      ddAdd(PIO2[0], PIO2[1], -zh, -zl);
      const wh = ddHi;
      const wl = ddLo;
      sinCosDD(wh, wl, true);
      sh = ddHi;
      sl = ddLo;
      sinCosDD(wh, wl, false);
      ch = ddHi;
      cl = ddLo;
    }
    ddAdd(ax, 0, -sh, -sl);
    const d = (ddHi + ddLo) / (ch + cl);
    ddAdd(zh, zl, d, 0);
    zh = ddHi;
    zl = ddLo;
  }
  if (!acos) return x < 0 ? -(zh + zl) : zh + zl;
  // acos x = pi/2 - asin x
  if (x < 0) {
    zh = -zh;
    zl = -zl;
  }
  ddAdd(PIO2[0], PIO2[1], -zh, -zl);
  ddAdd(ddHi, ddLo, PIO2[2], 0);
  return ddHi + ddLo;
}

export const mathLib: ReadonlyMap<string, LuaValue> = new Map<string, LuaValue>([
  ['math.abs', abs],
  ['math.acos', acos],
  ['math.asin', asin],
  ['math.atan', atan],
  ['math.atan2', atan2],
  ['math.ceil', ceil],
  ['math.cos', cos],
  ['math.cosh', cosh],
  ['math.deg', deg],
  ['math.exp', exp],
  ['math.floor', floor],
  ['math.fmod', fmod],
  ['math.frexp', frexp],
  ['math.huge', Infinity],
  ['math.ldexp', ldexp],
  ['math.log', log],
  ['math.log10', log10],
  ['math.max', max],
  ['math.min', min],
  ['math.mod', fmod],
  ['math.modf', modf],
  ['math.pi', Math.PI],
  ['math.pow', pow],
  ['math.rad', rad],
  ['math.sin', sin],
  ['math.sinh', sinh],
  ['math.sqrt', sqrt],
  ['math.tan', tan],
  ['math.tanh', tanh],
]);
