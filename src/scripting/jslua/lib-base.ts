/**
 * Lua 5.1's base library (lbaselib.c) as jslua builtins: the functions
 * Redis leaves to scripts, with Lua's semantics and error texts.
 *
 * Positions: builtins raise through value.ts's helpers, which prefix the
 * current call site (cur.site). A function that pcall/xpcall calls directly
 * is called from C in Lua: its errors carry no position and name it '?', so
 * pcall runs it with cur.site = -1 (no site) and restores the site after.
 */
import { LuaTable } from './table.js';
import {
  LuaError,
  LuaUserdata,
  addressOf,
  argError,
  checkAny,
  checkInt,
  checkString,
  checkTable,
  cur,
  first,
  luaError,
  numberToString,
  optInt,
  optString,
  stringToNumber,
  typeName,
  where,
  type LuaFunction,
  type LuaResult,
  type LuaValue,
} from './value.js';

/**
 * Hooks the rest of jslua sets:
 * - `stringMetatable`: the strings' shared metatable ({__index = string}),
 *   which getmetatable("") returns; set by whoever builds the string library.
 * - `callerWhere(level)`: luaL_where(L, level) for error(msg, level) with
 *   level >= 2: the position prefix of the level-th caller ('' when that is
 *   C, e.g. the main chunk's caller). TODO(compiler): jslua does not track
 *   the Lua call stack yet; the default gives '' (what level 2 gives in the
 *   main chunk).
 */
export const baseHooks = {
  stringMetatable: undefined as LuaTable | undefined,
  callerWhere: (level: number): string => {
    void level;
    return '';
  },
};

/** Redis's error for a store into a readonly table, raised unprefixed from the C API (lapi.c). */
export const READONLY = 'Attempt to modify a readonly table';

/** luaL_getmetafield: the metatable's raw field `name`, or undefined. */
export function metaField(v: LuaValue, name: string): LuaValue {
  const mt = metatableOf(v);
  return mt === undefined ? undefined : mt.getStr(name);
}

function metatableOf(v: LuaValue): LuaTable | undefined {
  if (v instanceof LuaTable) return v.metatable;
  if (typeof v === 'string') return baseHooks.stringMetatable;
  return undefined;
}

/** lua_call of a value from C: a non-function raises "attempt to call a X value" (no position: raised in a C frame). */
function callValue(f: LuaValue, ...args: LuaValue[]): LuaResult {
  if (typeof f !== 'function') throw new LuaError(`attempt to call a ${typeName(f)} value`);
  return (f as LuaFunction)(...args);
}

// ---------------------------------------------------------------------------

function luaAssert(v: LuaValue, msg: LuaValue): LuaResult {
  const nargs = arguments.length;
  if (nargs < 1) checkAny(1, nargs);
  if (v === undefined || v === false) {
    // luaL_error(L, "%s", msg): a C string, cut at its first NUL
    const m = optString(msg, 2, nargs, 'assertion failed!');
    const nul = m.indexOf('\0');
    luaError(nul < 0 ? m : m.slice(0, nul));
  }
  if (nargs === 1) return v;
  // eslint-disable-next-line prefer-rest-params
  return Array.prototype.slice.call(arguments) as LuaValue[];
}

function luaErrorFn(msg: LuaValue, level: LuaValue): LuaResult {
  const lv = optInt(level, 2, arguments.length, 1);
  if ((typeof msg === 'string' || typeof msg === 'number') && lv > 0) {
    let w: string;
    if (lv === 1) w = where();
    else if (lv === 2 && cur.site === -1 && pcallSite >= 0) {
      // error called directly by pcall: level 2 is pcall's caller
      const site = cur.site;
      cur.site = pcallSite;
      w = where();
      cur.site = site;
    } else w = baseHooks.callerWhere(lv);
    throw new LuaError(w + (typeof msg === 'string' ? msg : numberToString(msg)));
  }
  throw new LuaError(msg);
}

/** The results of a protected call of f(args) as pcall returns them. */
function protectedResults(r: LuaResult): LuaValue[] {
  if (Array.isArray(r)) {
    const out: LuaValue[] = [true];
    for (let i = 0; i < r.length; i++) out.push(r[i]);
    return out;
  }
  return [true, r];
}

/** The error value of a caught JS exception, or rethrows what pcall must not catch. */
function caughtValue(e: unknown): LuaValue {
  if (e instanceof LuaError) return e.value;
  if (isOutOfMemory(e)) return 'not enough memory';
  if (isStackOverflow(e)) {
    // Lua 5.1 raises "stack overflow" at the position of the call that
    // overflowed: the last call site compiled code set
    return where() + 'stack overflow';
  }
  throw e;
}

/** V8's "Maximum call stack size exceeded" (other RangeErrors, e.g. "Invalid string length", are not Lua errors). */
export function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError && e.message.includes('call stack');
}

/**
 * V8 refusing a string or array past its size limits ("Invalid string
 * length", "Invalid array length"): Lua's memory error, "not enough memory"
 * (no position), which pcall catches as Lua's does.
 */
export function isOutOfMemory(e: unknown): boolean {
  return e instanceof RangeError && /^Invalid (?:string|array|typed array) length|allocation failed/i.test(e.message);
}

/** The call site of the innermost running pcall (-1: none), for error(msg, 2) called by pcall itself. */
let pcallSite = -1;

/**
 * lua_getfield on a table: the raw value, else the __index chain (a function
 * is called with the table and the key; a table is indexed in turn).
 */
function indexGet(t: LuaTable, k: string): LuaValue {
  for (let loop = 0; loop < 100; loop++) {
    const v = t.getStr(k);
    if (v !== undefined || t.metatable === undefined) return v;
    const h = t.metatable.getStr('__index');
    if (h === undefined) return undefined;
    if (typeof h === 'function') return first((h as LuaFunction)(t, k));
    if (!(h instanceof LuaTable)) return undefined;
    t = h;
  }
  throw new LuaError('loop in gettable');
}

/**
 * Redis's pcall (script_lua.c's luaRedisPcall, which replaces Lua's): no
 * argument check (with no arguments, lua_pcall calls a stale stack slot,
 * which holds a boolean in practice); an error value that is a table is
 * replaced by its `err` field when that is a string or a number (redis.call's
 * error tables), and when it is not, the table comes back followed by an
 * extra nil (the field read is left on the stack).
 */
function pcall(f: LuaValue, ...args: LuaValue[]): LuaResult {
  const site = cur.site;
  const outer = pcallSite;
  pcallSite = site;
  cur.site = -1;
  try {
    if (typeof f !== 'function')
      throw new LuaError(`attempt to call a ${arguments.length === 0 ? 'boolean' : typeName(f)} value`);
    const r = (f as LuaFunction)(...args);
    cur.site = site;
    pcallSite = outer;
    return protectedResults(r);
  } catch (e) {
    pcallSite = outer;
    const v = caughtValue(e);
    cur.site = site;
    if (v instanceof LuaTable) {
      const err = indexGet(v, 'err');
      if (typeof err === 'string' || typeof err === 'number') return [false, err];
      return [false, v, undefined];
    }
    return [false, v];
  }
}

function xpcall(f: LuaValue, handler: LuaValue): LuaResult {
  checkAny(2, arguments.length);
  const site = cur.site;
  cur.site = -1;
  try {
    if (typeof f !== 'function') throw new LuaError(`attempt to call a ${typeName(f)} value`);
    const r = (f as LuaFunction)();
    cur.site = site;
    return protectedResults(r);
  } catch (e) {
    const v = caughtValue(e);
    cur.site = -1;
    let hv: LuaValue;
    try {
      hv = first(callValue(handler, v));
    } catch (e2) {
      if (!(e2 instanceof LuaError) && !isStackOverflow(e2)) throw e2;
      hv = 'error in error handling';
    }
    cur.site = site;
    return [false, hv];
  }
}

function select(n: LuaValue): LuaResult {
  const nargs = arguments.length;
  if (typeof n === 'string' && n.charCodeAt(0) === 35 /* # */) return nargs - 1;
  let i = checkInt(n, 1, nargs);
  if (i < 0) i = nargs + i;
  else if (i > nargs) i = nargs;
  if (i < 1) argError(1, 'index out of range');
  const count = nargs - i;
  // eslint-disable-next-line prefer-rest-params
  if (count === 1) return arguments[i] as LuaValue;
  const out: LuaValue[] = [];
  // eslint-disable-next-line prefer-rest-params
  for (let k = i; k < nargs; k++) out.push(arguments[k] as LuaValue);
  return out;
}

function luaType(v: LuaValue): LuaResult {
  if (arguments.length < 1) checkAny(1, 0);
  return typeName(v);
}

/** tostring's text without metamethods (also for others: print-like uses). */
export function rawToString(v: LuaValue): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return numberToString(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'undefined':
      return 'nil';
    case 'function':
      return 'function: ' + addressOf(v);
    default:
      if (v instanceof LuaUserdata) return 'userdata: ' + v.address;
      return 'table: ' + addressOf(v);
  }
}

function tostring(v: LuaValue): LuaResult {
  if (arguments.length < 1) checkAny(1, 0);
  if (v instanceof LuaTable && v.metatable !== undefined) {
    const mm = v.metatable.getStr('__tostring');
    if (mm !== undefined) return first(callValue(mm, v));
  }
  return rawToString(v);
}

/** The value of a digit character in bases up to 36, or 99. */
function digitValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 122) return c - 87;
  if (c >= 65 && c <= 90) return c - 55;
  return 99;
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** strtoul(s, &end, base) requiring the whole string (trailing spaces allowed): the number as lua_Number, or undefined. */
function strToUlong(s: string, base: number): number | undefined {
  const nul = s.indexOf('\0');
  if (nul >= 0) s = s.slice(0, nul);
  const len = s.length;
  let i = 0;
  while (i < len && isSpace(s.charCodeAt(i))) i++;
  let neg = false;
  if (i < len && (s.charCodeAt(i) === 45 || s.charCodeAt(i) === 43)) {
    neg = s.charCodeAt(i) === 45;
    i++;
  }
  if (
    base === 16 &&
    s.charCodeAt(i) === 48 &&
    (s.charCodeAt(i + 1) | 0x20) === 120 &&
    i + 2 < len &&
    digitValue(s.charCodeAt(i + 2)) < 16
  )
    i += 2;
  const start = i;
  let v = 0n;
  let small = 0;
  let big = false;
  for (; i < len; i++) {
    const d = digitValue(s.charCodeAt(i));
    if (d >= base) break;
    if (!big) {
      const next = small * base + d;
      if (next >= 2 ** 53) {
        // past 2^53 a double is no longer exact: go on in BigInt from the last exact value
        big = true;
        v = BigInt(small) * BigInt(base) + BigInt(d);
      } else small = next;
    } else v = v * BigInt(base) + BigInt(d);
  }
  if (i === start) return undefined;
  while (i < len && isSpace(s.charCodeAt(i))) i++;
  if (i < len) return undefined;
  if (!big) {
    if (!neg || small === 0) return small;
    return Number(2n ** 64n - BigInt(small));
  }
  if (v >= 2n ** 64n) return Number(2n ** 64n - 1n); // ULONG_MAX (ERANGE), as a double
  return Number(neg ? 2n ** 64n - v : v);
}

function tonumber(v: LuaValue, base: LuaValue): LuaResult {
  const nargs = arguments.length;
  const b = optInt(base, 2, nargs, 10);
  if (b === 10) {
    if (nargs < 1) checkAny(1, nargs);
    if (typeof v === 'number') return v;
    if (typeof v === 'string') return stringToNumber(v);
    return undefined;
  }
  const s = checkString(v, 1, nargs);
  if (b < 2 || b > 36) argError(2, 'base out of range');
  return strToUlong(s, b);
}

function ipairsAux(t: LuaValue, i: LuaValue): LuaResult {
  const nargs = arguments.length;
  let n = checkInt(i, 2, nargs);
  const tb = checkTable(t, 1, nargs);
  n++;
  const v = tb.getInt(n);
  return v === undefined ? [] : [n, v];
}

function ipairs(t: LuaValue): LuaResult {
  checkTable(t, 1, arguments.length);
  return [ipairsAux, t, 0];
}

function next(t: LuaValue, k: LuaValue): LuaResult {
  const tb = checkTable(t, 1, arguments.length);
  const r = tb.next(k);
  return r === undefined ? undefined : r;
}

/** pairs' generator: the same C function as `next`, but its own closure in Lua 5.1 (so `pairs({}) ~= next`). */
function pairsNext(t: LuaValue, k: LuaValue): LuaResult {
  const tb = checkTable(t, 1, arguments.length);
  const r = tb.next(k);
  return r === undefined ? undefined : r;
}

function pairs(t: LuaValue): LuaResult {
  checkTable(t, 1, arguments.length);
  return [pairsNext, t, undefined];
}

function unpack(t: LuaValue, i: LuaValue, j: LuaValue): LuaResult {
  const nargs = arguments.length;
  const tb = checkTable(t, 1, nargs);
  let a = optInt(i, 2, nargs, 1);
  const e = j === undefined ? tb.length() : checkInt(j, 3, nargs);
  if (a > e) return [];
  const n = (e - a + 1) | 0;
  // lua_checkstack: the C frame holds the arguments plus the n results, at most LUAI_MAXCSTACK (8000)
  if (n <= 0 || n + nargs > 8000) luaError('too many results to unpack');
  if (n === 1) return tb.getInt(a);
  const out: LuaValue[] = [];
  for (; a <= e; a++) out.push(tb.getInt(a));
  return out;
}

function rawget(t: LuaValue, k: LuaValue): LuaResult {
  const nargs = arguments.length;
  const tb = checkTable(t, 1, nargs);
  checkAny(2, nargs);
  return tb.get(k);
}

function rawset(t: LuaValue, k: LuaValue, v: LuaValue): LuaResult {
  const nargs = arguments.length;
  const tb = checkTable(t, 1, nargs);
  checkAny(2, nargs);
  checkAny(3, nargs);
  if (tb.readonly) throw new LuaError(READONLY);
  tb.set(k, v);
  return tb;
}

function rawequal(a: LuaValue, b: LuaValue): LuaResult {
  const nargs = arguments.length;
  checkAny(1, nargs);
  checkAny(2, nargs);
  return a === b;
}

function gcinfo(): LuaResult {
  // lua_getgccount: the Lua heap in KB; jslua has no Lua heap of its own
  return 24;
}

function getmetatable(v: LuaValue): LuaResult {
  if (arguments.length < 1) checkAny(1, 0);
  const mt = metatableOf(v);
  if (mt === undefined) return undefined;
  const protectedMt = mt.getStr('__metatable');
  return protectedMt !== undefined ? protectedMt : mt;
}

function setmetatable(t: LuaValue, mt: LuaValue): LuaResult {
  const nargs = arguments.length;
  const tb = checkTable(t, 1, nargs);
  if (nargs < 2 || (mt !== undefined && !(mt instanceof LuaTable))) argError(2, 'nil or table expected');
  if (metaField(tb, '__metatable') !== undefined) luaError('cannot change a protected metatable');
  if (tb.readonly) throw new LuaError(READONLY);
  tb.metatable = mt as LuaTable | undefined;
  return tb;
}

/** The base library by env path (global name). */
export const baseLib: ReadonlyMap<string, LuaValue> = new Map<string, LuaValue>([
  ['assert', luaAssert],
  ['error', luaErrorFn],
  ['pcall', pcall],
  ['xpcall', xpcall],
  ['select', select],
  ['type', luaType],
  ['tostring', tostring],
  ['tonumber', tonumber],
  ['ipairs', ipairs],
  ['pairs', pairs],
  ['next', next],
  ['unpack', unpack],
  ['rawget', rawget],
  ['rawset', rawset],
  ['rawequal', rawequal],
  ['gcinfo', gcinfo],
  ['getmetatable', getmetatable],
  ['setmetatable', setmetatable],
]);

/** The functions themselves, for the compiler's fast paths (ipairs/pairs loops recognise these). */
export { ipairsAux, pairsNext, next as luaNext, pairs as luaPairs, ipairs as luaIpairs };
