/**
 * jslua's values and the conversions every part of it shares.
 *
 * jslua runs Redis scripts as JavaScript: a Lua 5.1 chunk is compiled to a
 * JS function (compile.ts), so V8's JIT runs it instead of the
 * WebAssembly interpreter (../lua.ts), with Lua 5.1's semantics, Redis's
 * libraries and Redis's error texts. Scripts it cannot compile exactly run
 * on the WebAssembly VM, which stays the reference: the differential tests
 * run every script of their corpus on both.
 *
 * Lua values in JS:
 *   nil      undefined
 *   boolean  boolean
 *   number   number (Lua 5.1's lua_Number is a double)
 *   string   string of char codes 0-255, one per byte (tsdis's keys and
 *            arguments are such latin1 strings already)
 *   table    LuaTable (table.ts)
 *   function a JS function (LuaFunction)
 *   userdata LuaUserdata (cjson.null is the only one scripts meet)
 *
 * A function takes its arguments as JS arguments (a missing one is nil) and
 * returns its results as a LuaResult: one value as itself, any other number
 * of values (0, 2, ...) as a JS array. A Lua value is never a JS array, so
 * the two cannot be confused. `first(r)` is the first result (Lua's
 * truncation to one value), `results(r)` all of them as an array.
 */
import { exactDecimal, roundDigits } from '../../util/numbers.js';
import type { LuaTable } from './table.js';

export type LuaValue = undefined | boolean | number | string | LuaTable | LuaFunction | LuaUserdata;
export type LuaResult = LuaValue | LuaValue[];
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LuaFunction = (...args: any[]) => LuaResult;

/** A userdata or light userdata (cjson.null: a light userdata holding NULL). */
export class LuaUserdata {
  constructor(
    /** What tostring prints after "userdata: ". */
    readonly address: string,
  ) {}
}

/** The first of a function's results (nil when it returned none). */
export function first(r: LuaResult): LuaValue {
  return Array.isArray(r) ? r[0] : r;
}

/** All of a function's results, as an array (do not modify: it may be the callee's). */
export function results(r: LuaResult): LuaValue[] {
  return Array.isArray(r) ? r : [r];
}

/**
 * A Lua error in flight: `value` is what error() raised (a string with its
 * position already prefixed, or any value), what pcall returns.
 */
export class LuaError extends Error {
  /**
   * The line the running Lua code was at (Redis's error handler reports it:
   * "script: <sha>, on @user_script:<line>."): by default the current call
   * site's, which is right for errors raised by builtins; compiled code
   * raising an error of its own passes the operation's line.
   */
  readonly line: number = 0;
  constructor(
    readonly value: LuaValue,
    line?: number,
  ) {
    super(typeof value === 'string' ? value : 'lua error');
    this.line = line ?? cur.sites[cur.site]?.line ?? 0;
  }
}

/**
 * Where the running script is, for errors raised by builtins (Lua's
 * luaL_where and the call's name): compiled code sets `site` before each
 * call of a function that may raise, an index into `sites`, the chunk's
 * table of call sites (set when a run starts).
 */
export interface CallSite {
  /** The Lua source line of the call. */
  line: number;
  /** How the callee was named at the call, as Lua's getfuncname: 'global', 'local', 'field', 'method', 'upvalue', or '' (no name: '?'). */
  kind: string;
  /** The callee's name at the call ('insert' for table.insert, 'sub' for s:sub). */
  name: string;
}

export const cur = {
  /** The chunk's name as errors print it: 'user_script' or 'user_function'. */
  chunk: 'user_script',
  sites: [] as CallSite[],
  site: 0,
};

/** The position prefix of an error raised at the current call site ("user_script:12: "). */
export function where(): string {
  const s = cur.sites[cur.site];
  return s === undefined ? '' : `${cur.chunk}:${s.line}: `;
}

/** luaL_error: raises "<where><msg>". */
export function luaError(msg: string): never {
  throw new LuaError(where() + msg);
}

/**
 * luaL_argerror: "bad argument #narg to 'name' (extramsg)", named from the
 * current call site; for a method call (`s:rep(x)`), the self argument is
 * not counted, and a bad self says "calling 'name' on bad self".
 */
export function argError(narg: number, extramsg: string): never {
  const s = cur.sites[cur.site];
  const name = s === undefined || s.kind === '' ? '?' : s.name;
  if (s !== undefined && s.kind === 'method') {
    narg--;
    if (narg === 0) luaError(`calling '${name}' on bad self (${extramsg})`);
  }
  luaError(`bad argument #${narg} to '${name}' (${extramsg})`);
}

/** Lua's type names (lua_typename). */
export function typeName(v: LuaValue): string {
  switch (typeof v) {
    case 'undefined':
      return 'nil';
    case 'boolean':
      return 'boolean';
    case 'number':
      return 'number';
    case 'string':
      return 'string';
    case 'function':
      return 'function';
    default:
      return v instanceof LuaUserdata ? 'userdata' : 'table';
  }
}

/** luaL_typerror: "<tname> expected, got <type>" ('no value' past the last argument: `nargs` is arguments.length). */
export function typeError(narg: number, tname: string, v: LuaValue, nargs: number): never {
  argError(narg, `${tname} expected, got ${narg > nargs ? 'no value' : typeName(v)}`);
}

// ---------------------------------------------------------------------------
// Numbers and strings

/** The sign bit of a NaN (0/0 sets it on x86 and in V8's arithmetic). */
const nanView = new Float64Array(1);
const nanBytes = new Uint8Array(nanView.buffer);
export function nanText(x: number): string {
  nanView[0] = x;
  return (nanBytes[7]! & 0x80) !== 0 ? '-nan' : 'nan';
}

/**
 * C's "%.<p>g" for any double: p significant digits, trailing zeros cut,
 * exponent form when the exponent is below -4 or at least p, "inf", "-inf",
 * "nan", "-nan". Exact: the rounding is the exact value's, a tie to even.
 */
export function formatG(x: number, p: number): string {
  if (x !== x) return nanText(x);
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (p === 0) p = 1;
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const neg = x < 0;
  let r: { digits: string; point: number };
  // toExponential rounds an exact tie up where C rounds it to even: it can
  // differ only when the digit after the last kept one is a 5.
  const e1 = Math.abs(x).toExponential(Math.min(p, 100));
  const ei = e1.indexOf('e');
  if (p <= 99 && e1.charCodeAt(ei - 1) !== 53 /* 5 */) {
    const ep = Math.abs(x).toExponential(p - 1);
    const ej = ep.indexOf('e');
    const d = ep.charCodeAt(1) === 46 ? ep[0] + ep.slice(2, ej) : ep.slice(0, ej);
    r = { digits: d, point: Number(ep.slice(ej + 1)) + 1 };
  } else {
    const ex = exactDecimal(x);
    r = roundDigits(ex.digits, ex.point, p);
  }
  const X = r.point - 1; // the decimal exponent
  let digits = r.digits.replace(/0+$/, '');
  if (digits === '') digits = '0';
  let out: string;
  if (X < -4 || X >= p) {
    const exp = Math.abs(X);
    out =
      digits[0] +
      (digits.length > 1 ? '.' + digits.slice(1) : '') +
      'e' +
      (X < 0 ? '-' : '+') +
      (exp < 10 ? '0' : '') +
      exp;
  } else if (X >= 0) {
    out =
      digits.length <= X + 1
        ? digits + '0'.repeat(X + 1 - digits.length)
        : digits.slice(0, X + 1) + '.' + digits.slice(X + 1);
  } else {
    out = '0.' + '0'.repeat(-X - 1) + digits;
  }
  return neg ? '-' + out : out;
}

/** lua_number2str: "%.14g" (LUAI_NUMFFORMAT), as tostring and `..` write a number. */
export function numberToString(x: number): string {
  // integers that %.14g prints as they are (fewer than 15 digits)
  if (Number.isInteger(x) && x < 1e14 && x > -1e14 && !(x === 0 && Object.is(x, -0))) return '' + x;
  // (zero, NaN, infinities, and subnormals: their ulp is too coarse for the argument below)
  if (!(Math.abs(x) >= 2.2250738585072014e-308) || x === Infinity || x === -Infinity) return formatG(x, 14);
  // The shortest digits that read back as x (toExponential's), when 14 or
  // fewer, are what %.14g prints: x's exact value is within half an ulp of
  // them, far nearer than any other 14-digit number.
  const e = x.toExponential();
  const ei = e.indexOf('e');
  const neg = x < 0 ? 1 : 0;
  const nd = ei - neg - (ei - neg > 1 ? 1 : 0);
  if (nd > 14) return formatG(x, 14);
  const digits = nd > 1 ? e[neg] + e.slice(neg + 2, ei) : e[neg]!;
  const X = Number(e.slice(ei + 1));
  let out: string;
  if (X < -4 || X >= 14) {
    const a = X < 0 ? -X : X;
    out = digits[0] + (nd > 1 ? '.' + digits.slice(1) : '') + (X < 0 ? 'e-' : 'e+') + (a < 10 ? '0' : '') + a;
  } else if (X >= 0) {
    out = nd <= X + 1 ? digits + '0'.repeat(X + 1 - nd) : digits.slice(0, X + 1) + '.' + digits.slice(X + 1);
  } else out = '0.' + '0'.repeat(-X - 1) + digits;
  return neg ? '-' + out : out;
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/**
 * luaO_str2d: a string as Lua 5.1 reads it as a number (tonumber, arithmetic
 * on strings, for loops), or undefined. C's strtod: leading whitespace, a
 * sign, a decimal or hexadecimal ("0x1A", "0x1p4") number, "inf",
 * "infinity", "nan" (any case); then only whitespace may follow. The string
 * ends at its first NUL byte, as a C string does.
 */
export function stringToNumber(s: string): number | undefined {
  const nul = s.indexOf('\0');
  if (nul >= 0) s = s.slice(0, nul);
  let i = 0;
  const n = s.length;
  while (i < n && isSpace(s.charCodeAt(i))) i++;
  let j = n;
  while (j > i && isSpace(s.charCodeAt(j - 1))) j--;
  if (i === j) return undefined;
  const body = s.slice(i, j);
  // decimal: digits, optional fraction, optional exponent
  if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(body)) return Number(body);
  const m = /^([+-]?)0[xX]((?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+))(?:[pP]([+-]?\d+))?$/.exec(body);
  if (m !== null) {
    const [, sign, hex, pexp] = m;
    const dot = hex!.indexOf('.');
    const intPart = dot < 0 ? hex! : hex!.slice(0, dot);
    const frac = dot < 0 ? '' : hex!.slice(dot + 1);
    let v = 0;
    for (const c of intPart + frac) v = v * 16 + parseInt(c, 16);
    v *= Math.pow(2, Number(pexp ?? 0) - 4 * frac.length);
    return sign === '-' ? -v : v;
  }
  const w = /^([+-]?)(inf|infinity|nan)$/i.exec(body);
  if (w !== null) {
    if (w[2]!.toLowerCase() === 'nan') return NaN;
    return w[1] === '-' ? -Infinity : Infinity;
  }
  return undefined;
}

/** lua_tonumber's coercion: a number, or a string that reads as one, else undefined. */
export function toNumber(v: LuaValue): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return stringToNumber(v);
  return undefined;
}

/** lua_tolstring's coercion: a string, or a number as "%.14g", else undefined. */
export function toStringCoerce(v: LuaValue): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return numberToString(v);
  return undefined;
}

// ---------------------------------------------------------------------------
// Argument checks of Lua's auxiliary library (luaL_check*), for builtins.
// `nargs` is the builtin's arguments.length (for "no value").

/** luaL_checkstring / luaL_checklstring: a string, or a number as text. */
export function checkString(v: LuaValue, narg: number, nargs: number): string {
  const s = toStringCoerce(v);
  if (s === undefined) typeError(narg, 'string', v, nargs);
  return s;
}

/** luaL_checknumber: a number, or a string that reads as one. */
export function checkNumber(v: LuaValue, narg: number, nargs: number): number {
  const x = toNumber(v);
  if (x === undefined) typeError(narg, 'number', v, nargs);
  return x;
}

/** luaL_checkinteger: lua_Integer (ptrdiff_t, 64 bits in redis-server) from the number, truncated toward zero. */
export function checkInteger(v: LuaValue, narg: number, nargs: number): number {
  return toInteger(checkNumber(v, narg, nargs));
}

/** luaL_checkint: luaL_checkinteger's value cast to C's 32-bit int (wrapping). */
export function checkInt(v: LuaValue, narg: number, nargs: number): number {
  return toInt32(checkInteger(v, narg, nargs));
}

/**
 * lua_number2integer on x86-64 (cvttsd2si): the double truncated toward
 * zero; a NaN or a value outside the 64-bit range gives INT64_MIN. (Above
 * 2^53 the result is not exact as a JS number; such values only clamp.)
 */
export function toInteger(x: number): number {
  if (x !== x || x >= 9223372036854775808 || x < -9223372036854775808) return -9223372036854775808;
  return Math.trunc(x);
}

/** A lua_Integer cast to C's int: the low 32 bits, signed. */
export function toInt32(i: number): number {
  if (i >= -2147483648 && i <= 2147483647) return i;
  return Number(BigInt.asIntN(32, BigInt(i)));
}

/** luaL_optinteger: nil or absent gives `def`. */
export function optInteger(v: LuaValue, narg: number, nargs: number, def: number): number {
  return v === undefined ? def : checkInteger(v, narg, nargs);
}

/** luaL_optint. */
export function optInt(v: LuaValue, narg: number, nargs: number, def: number): number {
  return v === undefined ? def : checkInt(v, narg, nargs);
}

/** luaL_optnumber. */
export function optNumber(v: LuaValue, narg: number, nargs: number, def: number): number {
  return v === undefined ? def : checkNumber(v, narg, nargs);
}

/** luaL_optlstring. */
export function optString(v: LuaValue, narg: number, nargs: number, def: string): string {
  return v === undefined ? def : checkString(v, narg, nargs);
}

/** luaL_checktype(L, narg, LUA_TTABLE). */
export function checkTable(v: LuaValue, narg: number, nargs: number): LuaTable {
  if (typeof v !== 'object' || v instanceof LuaUserdata) typeError(narg, 'table', v, nargs);
  return v;
}

/** luaL_checkany: "value expected" when the argument is absent. */
export function checkAny(narg: number, nargs: number): void {
  if (narg > nargs) argError(narg, 'value expected');
}

/** Ids for tostring's "table: 0x...": one per object, in creation order (Lua prints an address). */
const ids = new WeakMap<object, number>();
let nextId = 0x5600_0000;
export function addressOf(o: object): string {
  let id = ids.get(o);
  if (id === undefined) {
    id = nextId;
    nextId += 0x40;
    ids.set(o, id);
  }
  return '0x' + id.toString(16).padStart(8, '0');
}
