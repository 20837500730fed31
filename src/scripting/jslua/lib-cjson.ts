/**
 * Redis's cjson (Lua CJSON 2.1.0 as deps/lua/src/lua_cjson.c has it) for
 * jslua: cjson.encode, cjson.decode, cjson.null, cjson.new and the
 * configuration functions, with the same output bytes and error texts.
 *
 * The configuration (encode_max_depth, encode_number_precision, ...) is
 * per-VM state in Redis that persists across scripts; here it is
 * module-level (`cjsonConfig`). It is not shared with the WebAssembly VM's
 * copy: a script that changes it under one engine is not seen by the other.
 */
import { LuaTable } from './table.js';
import {
  LuaUserdata,
  argError,
  checkInteger,
  checkString,
  formatG,
  luaError,
  typeName,
  toInt32,
  type LuaResult,
  type LuaValue,
} from './value.js';

/** cjson.null: a light userdata holding NULL (tostring prints "userdata: (nil)"). */
export const cjsonNull = new LuaUserdata('(nil)');

export interface CjsonConfig {
  encodeSparseConvert: number;
  encodeSparseRatio: number;
  encodeSparseSafe: number;
  encodeMaxDepth: number;
  /** 0 off (error), 1 on ("nan", "inf"), 2 "null". */
  encodeInvalidNumbers: number;
  encodeNumberPrecision: number;
  encodeKeepBuffer: number;
  decodeInvalidNumbers: number;
  decodeMaxDepth: number;
}

function defaultConfig(): CjsonConfig {
  return {
    encodeSparseConvert: 0,
    encodeSparseRatio: 2,
    encodeSparseSafe: 10,
    encodeMaxDepth: 1000,
    encodeInvalidNumbers: 0,
    encodeNumberPrecision: 14,
    encodeKeepBuffer: 1,
    decodeInvalidNumbers: 1,
    decodeMaxDepth: 1000,
  };
}

/** The `cjson` global's configuration (Redis keeps it for the VM's lifetime). */
export const cjsonConfig: CjsonConfig = defaultConfig();

/** Resets cjsonConfig to its defaults (a new VM: SCRIPT FLUSH). */
export function resetCjsonConfig(): void {
  Object.assign(cjsonConfig, defaultConfig());
}

// ---------------------------------------------------------------------------
// Encoding

/** The escape of each byte, or '' when it is written as itself. */
const ESCAPES: string[] = [];
for (let c = 0; c < 256; c++) {
  let e = '';
  if (c < 32 || c === 127) e = '\\u' + c.toString(16).padStart(4, '0');
  if (c === 8) e = '\\b';
  else if (c === 9) e = '\\t';
  else if (c === 10) e = '\\n';
  else if (c === 12) e = '\\f';
  else if (c === 13) e = '\\r';
  else if (c === 34) e = '\\"';
  else if (c === 47) e = '\\/';
  else if (c === 92) e = '\\\\';
  ESCAPES.push(e);
}
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[\x00-\x1f"/\\\x7f]/;

function quoteString(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return '"' + s + '"';
  let out = '"';
  let from = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 127) continue;
    const e = ESCAPES[c]!;
    if (e !== '') {
      if (i > from) out += s.slice(from, i);
      out += e;
      from = i + 1;
    }
  }
  if (from < n) out += s.slice(from);
  return out + '"';
}

class EncodeError {
  constructor(readonly msg: string) {}
}

function encodeFail(v: LuaValue, reason: string): never {
  throw new EncodeError(`Cannot serialise ${typeName(v)}: ${reason}`);
}

function encodeNumber(cfg: CjsonConfig, x: number): string {
  if (cfg.encodeInvalidNumbers === 0) {
    if (x !== x || x === Infinity || x === -Infinity) encodeFail(x, 'must not be NaN or Inf');
  } else if (cfg.encodeInvalidNumbers === 1) {
    if (x !== x) return 'nan';
  } else if (x !== x || x === Infinity || x === -Infinity) return 'null';
  const p = cfg.encodeNumberPrecision;
  // integers with at most p digits print as themselves under %.<p>g
  if (Number.isInteger(x) && x < 1e14 && x > -1e14 && (p === 14 || Math.abs(x) < 10 ** p) && !Object.is(x, -0))
    return '' + x;
  // JS's shortest round-trip digits are %.<p>g's when there are at most p of
  // them and %g would not use an exponent (1e-4 <= |x| < 10^p)
  const ax = x < 0 ? -x : x;
  if (ax >= 1e-4 && ax < 1e14 && ax < 10 ** p) {
    const s = '' + x;
    let digits = 0;
    let leading = true;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) continue; // '-', '.'
      if (leading && c === 48) continue;
      leading = false;
      digits++;
    }
    if (digits <= p) return s;
  }
  return formatG(x, p);
}

/** C's (int) of a double on x86-64: out of range (or NaN) gives INT_MIN. */
function cInt(k: number): number {
  return k >= -2147483648 && k < 2147483648 ? Math.trunc(k) : -2147483648;
}

/** lua_array_length: the array size when every key is a positive integer (and not too sparse), else -1. */
function arrayLength(cfg: CjsonConfig, t: LuaTable): number {
  let max = 0;
  let items = 0;
  let e = t.next(undefined);
  while (e !== undefined) {
    const k = e[0];
    if (typeof k === 'number' && k !== 0 && Math.floor(k) === k && k >= 1) {
      if (k > max) max = cInt(k);
      items++;
    } else return -1;
    e = t.next(k);
  }
  if (cfg.encodeSparseRatio > 0 && max > toInt32(items * cfg.encodeSparseRatio) && max > cfg.encodeSparseSafe) {
    if (!cfg.encodeSparseConvert) encodeFail(t, 'excessively sparse array');
    return -1;
  }
  return max;
}

/** Lua's C stack limit (LUAI_MAXCSTACK): lua_checkstack fails past it. */
const MAXCSTACK = 8000;

/** A scalar's JSON, or undefined for a table (the caller descends into it). */
function encodeScalar(cfg: CjsonConfig, v: LuaValue): string | undefined {
  switch (typeof v) {
    case 'string':
      return quoteString(v);
    case 'number':
      return encodeNumber(cfg, v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'undefined':
      return 'null';
    case 'object':
      if (v instanceof LuaTable) return undefined;
      if (v === cjsonNull) return 'null';
      break;
  }
  return encodeFail(v, 'type not supported');
}

/** A table being written: an array (its length, the last index written) or an object (the last key). */
interface EncodeFrame {
  t: LuaTable;
  len: number;
  i: number;
  key: LuaValue;
  depth: number;
  /** The Lua stack slots in use with the table on top (the nesting limit lua_checkstack sets). */
  sp: number;
}

/**
 * json_append_data without recursion (encode_max_depth can allow nesting
 * far deeper than the JS stack): the output is written in order into one
 * string, a stack of frames remembers where each open table is.
 */
function encodeWith(cfg: CjsonConfig, v: LuaValue): string {
  try {
    const s = encodeScalar(cfg, v);
    if (s !== undefined) return s;
    const frames: EncodeFrame[] = [];
    let out = '';
    let t = v as LuaTable;
    let depth = 1;
    let sp = 1;
    for (;;) {
      // open table t
      if (depth > cfg.encodeMaxDepth || sp + 3 > MAXCSTACK)
        throw new EncodeError(`Cannot serialise, excessive nesting (${depth})`);
      const len = arrayLength(cfg, t);
      out += len > 0 ? '[' : '{';
      frames.push({ t, len, i: 0, key: undefined, depth, sp });
      // write values until one is a table to open (or all tables are closed)
      let child: LuaTable | undefined;
      while (child === undefined) {
        const f = frames[frames.length - 1];
        if (f === undefined) return out;
        let x: LuaValue;
        if (f.len > 0) {
          if (f.i >= f.len) {
            out += ']';
            frames.pop();
            continue;
          }
          if (f.i++ > 0) out += ',';
          x = f.t.getInt(f.i);
          sp = f.sp + 1;
        } else {
          const e = f.t.next(f.key);
          if (e === undefined) {
            out += '}';
            frames.pop();
            continue;
          }
          const k = e[0];
          if (f.key !== undefined) out += ',';
          f.key = k;
          if (typeof k === 'number') out += '"' + encodeNumber(cfg, k) + '":';
          else if (typeof k === 'string') out += quoteString(k) + ':';
          else encodeFail(k, 'table key must be a number or string');
          x = e[1];
          sp = f.sp + 2;
        }
        const s = encodeScalar(cfg, x);
        if (s === undefined) {
          child = x as LuaTable;
          depth = f.depth + 1;
        } else out += s;
      }
      t = child;
    }
  } catch (e) {
    if (e instanceof EncodeError) luaError(e.msg);
    throw e;
  }
}

// ---------------------------------------------------------------------------
// Decoding

const T_OBJ_BEGIN: number = 0;
const T_OBJ_END: number = 1;
const T_ARR_BEGIN: number = 2;
const T_ARR_END: number = 3;
const T_STRING: number = 4;
const T_NUMBER: number = 5;
const T_BOOLEAN: number = 6;
const T_NULL: number = 7;
const T_COLON: number = 8;
const T_COMMA: number = 9;
const T_END: number = 10;
const T_WHITESPACE: number = 11;
const T_ERROR: number = 12;
const T_UNKNOWN: number = 13;
const TOKEN_NAMES = [
  'T_OBJ_BEGIN',
  'T_OBJ_END',
  'T_ARR_BEGIN',
  'T_ARR_END',
  'T_STRING',
  'T_NUMBER',
  'T_BOOLEAN',
  'T_NULL',
  'T_COLON',
  'T_COMMA',
  'T_END',
  'T_WHITESPACE',
  'T_ERROR',
  'T_UNKNOWN',
];

const CH2TOKEN = new Uint8Array(256).fill(T_ERROR);
CH2TOKEN[123] = T_OBJ_BEGIN;
CH2TOKEN[125] = T_OBJ_END;
CH2TOKEN[91] = T_ARR_BEGIN;
CH2TOKEN[93] = T_ARR_END;
CH2TOKEN[44] = T_COMMA;
CH2TOKEN[58] = T_COLON;
CH2TOKEN[0] = T_END;
CH2TOKEN[32] = T_WHITESPACE;
CH2TOKEN[9] = T_WHITESPACE;
CH2TOKEN[10] = T_WHITESPACE;
CH2TOKEN[13] = T_WHITESPACE;
for (const c of 'fiInNt"+-0123456789') CH2TOKEN[c.charCodeAt(0)] = T_UNKNOWN;

/** The byte an escape (the char after '\') stands for, or 0 (invalid); 'u' needs \uXXXX processing. */
const ESCAPE2CHAR = new Uint8Array(256);
ESCAPE2CHAR[34] = 34;
ESCAPE2CHAR[92] = 92;
ESCAPE2CHAR[47] = 47;
ESCAPE2CHAR[98] = 8;
ESCAPE2CHAR[116] = 9;
ESCAPE2CHAR[110] = 10;
ESCAPE2CHAR[102] = 12;
ESCAPE2CHAR[114] = 13;
ESCAPE2CHAR[117] = 117;

class DecodeError {
  constructor(readonly msg: string) {}
}

/** The parser's state (decode is not reentrant: it calls no Lua code). */
let src = '';
let srcLen = 0;
let ptr = 0;
let depth = 0;
/** The Lua stack slots in use (decode's nesting also stops at MAXCSTACK). */
let sp = 1;
let dcfg: CjsonConfig = cjsonConfig;
// the current token
let tType = 0;
let tIndex = 0;
let tStr = '';
let tNum = 0;
let tBool = false;
let tErr = '';

/** The byte at i, 0 past the end (a C string's NUL). */
function at(i: number): number {
  return i < srcLen ? src.charCodeAt(i) : 0;
}

function setTokenError(msg: string): void {
  tType = T_ERROR;
  tIndex = ptr;
  tErr = msg;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  c |= 0x20;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

function hex4(i: number): number {
  const a = hexDigit(at(i));
  if (a < 0) return -1;
  const b = hexDigit(at(i + 1));
  if (b < 0) return -1;
  const c = hexDigit(at(i + 2));
  if (c < 0) return -1;
  const d = hexDigit(at(i + 3));
  if (d < 0) return -1;
  return (a << 12) | (b << 8) | (c << 4) | d;
}

/** A \uXXXX escape (with a surrogate pair) at ptr as UTF-8 bytes, or undefined when invalid; advances ptr. */
function unicodeEscape(): string | undefined {
  let cp = hex4(ptr + 2);
  if (cp < 0) return undefined;
  let escLen = 6;
  if ((cp & 0xf800) === 0xd800) {
    if (cp & 0x400) return undefined;
    if (at(ptr + 6) !== 92 || at(ptr + 7) !== 117) return undefined;
    const lo = hex4(ptr + 8);
    if (lo < 0 || (lo & 0xfc00) !== 0xdc00) return undefined;
    cp = (((cp & 0x3ff) << 10) | (lo & 0x3ff)) + 0x10000;
    escLen = 12;
  }
  ptr += escLen;
  if (cp <= 0x7f) return String.fromCharCode(cp);
  if (cp <= 0x7ff) return String.fromCharCode((cp >> 6) | 0xc0, (cp & 0x3f) | 0x80);
  if (cp <= 0xffff) return String.fromCharCode((cp >> 12) | 0xe0, ((cp >> 6) & 0x3f) | 0x80, (cp & 0x3f) | 0x80);
  return String.fromCharCode(
    (cp >> 18) | 0xf0,
    ((cp >> 12) & 0x3f) | 0x80,
    ((cp >> 6) & 0x3f) | 0x80,
    (cp & 0x3f) | 0x80,
  );
}

function stringToken(): void {
  ptr++; // the opening quote
  let out = '';
  let from = ptr;
  for (;;) {
    const c = at(ptr);
    if (c === 34) break;
    if (c === 0) {
      setTokenError('unexpected end of string');
      return;
    }
    if (c === 92) {
      if (ptr > from) out += src.slice(from, ptr);
      const e = ESCAPE2CHAR[at(ptr + 1)]!;
      if (e === 117) {
        const u = unicodeEscape();
        if (u === undefined) {
          setTokenError('invalid unicode escape code');
          return;
        }
        out += u;
        from = ptr;
        continue;
      }
      if (e === 0) {
        setTokenError('invalid escape code');
        return;
      }
      out += String.fromCharCode(e);
      ptr += 2;
      from = ptr;
      continue;
    }
    ptr++;
  }
  if (ptr > from) out += src.slice(from, ptr);
  ptr++; // the closing quote
  tType = T_STRING;
  tStr = out;
}

/** json_is_invalid_number: a number JSON does not allow (+1, 0x1, 01, inf, nan). */
function isInvalidNumber(): boolean {
  let p = ptr;
  let c = at(p);
  if (c === 43) return true;
  if (c === 45) c = at(++p);
  if (c === 48) {
    const c2 = at(p + 1);
    return (c2 | 0x20) === 120 || (c2 >= 48 && c2 <= 57);
  }
  if (c <= 57) return false;
  const w = src.slice(p, p + 3).toLowerCase();
  return w === 'inf' || w === 'nan';
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * glibc's strtod on the C string at `i`: the value and where it stopped
 * (`end === i`: no number). Decimal, hexadecimal (0x, p exponent),
 * inf/infinity/nan(...) in any case, after a sign.
 */
export function strtodPrefix(s: string, i: number): { value: number; end: number } {
  const n = s.length;
  const c0 = (j: number): number => (j < n ? s.charCodeAt(j) : 0);
  const start = i;
  while (c0(i) === 32 || (c0(i) >= 9 && c0(i) <= 13)) i++;
  let neg = false;
  if (c0(i) === 43 || c0(i) === 45) {
    neg = c0(i) === 45;
    i++;
  }
  const lower = s.slice(i, i + 8).toLowerCase();
  if (lower.startsWith('inf')) {
    const end = lower === 'infinity' ? i + 8 : i + 3;
    return { value: neg ? -Infinity : Infinity, end };
  }
  if (lower.startsWith('nan')) {
    let end = i + 3;
    if (c0(end) === 40) {
      let j = end + 1;
      while (j < n) {
        const c = c0(j);
        if (isDigit(c) || ((c | 0x20) >= 97 && (c | 0x20) <= 122) || c === 95) j++;
        else break;
      }
      if (c0(j) === 41) end = j + 1;
    }
    return { value: neg ? -NaN : NaN, end };
  }
  if (c0(i) === 48 && (c0(i + 1) | 0x20) === 120) {
    let j = i + 2;
    let mant = 0n;
    let digits = 0;
    let fracDigits = 0;
    while (hexDigit(c0(j)) >= 0) {
      mant = mant * 16n + BigInt(hexDigit(c0(j)));
      j++;
      digits++;
    }
    if (c0(j) === 46) {
      let k = j + 1;
      while (hexDigit(c0(k)) >= 0) {
        mant = mant * 16n + BigInt(hexDigit(c0(k)));
        k++;
        digits++;
        fracDigits++;
      }
      if (digits > 0) j = k;
    }
    if (digits === 0) return { value: neg ? -0 : 0, end: i + 1 }; // "0" then 'x'
    let exp = -4 * fracDigits;
    if ((c0(j) | 0x20) === 112) {
      let k = j + 1;
      let eneg = false;
      if (c0(k) === 43 || c0(k) === 45) {
        eneg = c0(k) === 45;
        k++;
      }
      if (isDigit(c0(k))) {
        let e = 0;
        while (isDigit(c0(k))) {
          if (e < 100000) e = e * 10 + (c0(k) - 48);
          k++;
        }
        exp += eneg ? -e : e;
        j = k;
      }
    }
    const v = hexValue(mant, exp);
    return { value: neg ? -v : v, end: j };
  }
  let j = i;
  let digits = 0;
  while (isDigit(c0(j))) {
    j++;
    digits++;
  }
  if (c0(j) === 46) {
    let k = j + 1;
    while (isDigit(c0(k))) {
      k++;
      digits++;
    }
    if (digits > 0) j = k;
  }
  if (digits === 0) return { value: 0, end: start };
  const mantEnd = j;
  if ((c0(j) | 0x20) === 101) {
    let k = j + 1;
    if (c0(k) === 43 || c0(k) === 45) k++;
    if (isDigit(c0(k))) {
      while (isDigit(c0(k))) k++;
      j = k;
    }
  }
  let text = s.slice(i, j);
  if (c0(mantEnd - 1) === 46) text = s.slice(i, mantEnd - 1) + s.slice(mantEnd, j); // "1." -> "1"
  if (text.charCodeAt(0) === 46) text = '0' + text;
  const v = Number(text);
  return { value: neg ? -v : v, end: j };
}

/** mant * 2^exp, rounded once to a double (to nearest, ties to even) as strtod does. */
function hexValue(mant: bigint, exp: number): number {
  if (mant === 0n) return 0;
  const bits = mant.toString(2).length;
  // keep 54+ significant bits exact and let one rounding happen in Number()
  let e2 = exp + bits; // value = 0.1xxx * 2^e2
  if (e2 > 1025) return Infinity;
  if (e2 < -1080) return 0;
  // the precision available at this magnitude (subnormals have fewer bits)
  const prec = e2 - 1 >= -1022 ? 53 : Math.max(0, 53 - (-1022 - (e2 - 1)));
  if (bits > prec) {
    const drop = bits - prec;
    const q = mant >> BigInt(drop);
    const rem = mant - (q << BigInt(drop));
    const half = 1n << BigInt(drop - 1);
    let r = q;
    if (rem > half || (rem === half && (q & 1n) === 1n)) r = q + 1n;
    mant = r;
    exp += drop;
    e2 = exp + mant.toString(2).length;
    if (e2 > 1024) return Infinity;
  }
  // mant fits in 53 bits: exact, then scale by powers of two exactly
  let v = Number(mant);
  while (exp > 0) {
    const s = Math.min(exp, 1000);
    v *= 2 ** s;
    exp -= s;
  }
  while (exp < 0) {
    const s = Math.max(exp, -1000);
    v *= 2 ** s;
    exp -= s;
  }
  return v;
}

function numberToken(): void {
  tType = T_NUMBER;
  // fast path: a plain JSON integer
  let i = ptr;
  let c = at(i);
  const neg = c === 45;
  if (neg) c = at(++i);
  if (c >= 49 && c <= 57) {
    let v = c - 48;
    let j = i + 1;
    let d = at(j);
    while (d >= 48 && d <= 57 && j - i < 15) {
      v = v * 10 + (d - 48);
      d = at(++j);
    }
    if (!(d >= 48 && d <= 57) && d !== 46 && (d | 0x20) !== 101 && (d | 0x20) !== 120 && (d | 0x20) !== 112) {
      tNum = neg ? -v : v;
      ptr = j;
      return;
    }
  }
  const r = strtodPrefix(src, ptr);
  if (r.end === ptr) setTokenError('invalid number');
  else {
    tNum = r.value;
    ptr = r.end;
  }
}

function nextToken(): void {
  let c: number;
  for (;;) {
    c = at(ptr);
    tType = CH2TOKEN[c]!;
    if (tType !== T_WHITESPACE) break;
    ptr++;
  }
  tIndex = ptr;
  if (tType === T_ERROR) {
    setTokenError('invalid token');
    return;
  }
  if (tType === T_END) return;
  if (tType !== T_UNKNOWN) {
    ptr++;
    return;
  }
  if (c === 34) {
    stringToken();
    return;
  }
  if (c === 45 || (c >= 48 && c <= 57)) {
    if (!dcfg.decodeInvalidNumbers && isInvalidNumber()) {
      setTokenError('invalid number');
      return;
    }
    numberToken();
    return;
  }
  if (c === 116 && src.startsWith('true', ptr)) {
    tType = T_BOOLEAN;
    tBool = true;
    ptr += 4;
    return;
  }
  if (c === 102 && src.startsWith('false', ptr)) {
    tType = T_BOOLEAN;
    tBool = false;
    ptr += 5;
    return;
  }
  if (c === 110 && src.startsWith('null', ptr)) {
    tType = T_NULL;
    ptr += 4;
    return;
  }
  if (dcfg.decodeInvalidNumbers && isInvalidNumber()) {
    numberToken();
    return;
  }
  setTokenError('invalid token');
}

function parseError(expected: string): never {
  const found = tType === T_ERROR ? tErr : TOKEN_NAMES[tType]!;
  throw new DecodeError(`Expected ${expected} but found ${found} at character ${tIndex + 1}`);
}

function descend(slots: number): void {
  depth++;
  if (depth > dcfg.decodeMaxDepth || sp + slots > MAXCSTACK)
    throw new DecodeError(`Found too many nested data structures (${depth}) at character ${ptr}`);
}

/** An array or object being filled; `s0`: the Lua stack slots in use with its table on top. */
interface DecodeFrame {
  /** An object's table. */
  t: LuaTable;
  /**
   * An array's values so far, made into its table when it ends: lua_cjson
   * sets t[1..n] one by one into an empty table, and LuaTable.from builds the
   * table that leaves at once, without a rehash at each power of 2.
   */
  vals: LuaValue[];
  isObject: boolean;
  key: string;
  s0: number;
}

/** An array frame's `t`, and an object frame's `vals` (unused). */
const NO_TABLE = new LuaTable(0, 0);
const NO_VALS: LuaValue[] = [];

/** Reads an object's key and colon, then the next token (the value's first). */
function objectKey(f: DecodeFrame): void {
  if (tType !== T_STRING) parseError('object key string');
  f.key = tStr;
  nextToken();
  if (tType !== T_COLON) parseError('colon');
  sp = f.s0 + 1; // the key
  nextToken();
}

/**
 * json_process_value for the current token, without recursion (decode_max_depth
 * can allow nesting far deeper than the JS stack): a stack of the open arrays
 * and objects, each value set into the innermost one as it completes.
 */
function processValue(): LuaValue {
  const frames: DecodeFrame[] = [];
  for (;;) {
    let v: LuaValue;
    switch (tType) {
      case T_STRING:
        v = tStr;
        break;
      case T_NUMBER:
        v = tNum;
        break;
      case T_BOOLEAN:
        v = tBool;
        break;
      case T_NULL:
        v = cjsonNull;
        break;
      case T_OBJ_BEGIN: {
        descend(3);
        sp++;
        const t = new LuaTable(0, 0);
        nextToken();
        if (tType === T_OBJ_END) {
          depth--;
          v = t;
          break;
        }
        const f: DecodeFrame = { t, vals: NO_VALS, isObject: true, key: '', s0: sp };
        frames.push(f);
        objectKey(f);
        continue;
      }
      case T_ARR_BEGIN: {
        descend(2);
        sp++;
        nextToken();
        if (tType === T_ARR_END) {
          depth--;
          v = new LuaTable(0, 0);
          break;
        }
        frames.push({ t: NO_TABLE, vals: [], isObject: false, key: '', s0: sp });
        continue;
      }
      default:
        return parseError('value');
    }
    // set v into the innermost open table, closing the tables that end
    for (;;) {
      const f = frames[frames.length - 1];
      if (f === undefined) return v;
      if (f.isObject) f.t.setStr(f.key, v);
      else f.vals.push(v);
      sp = f.s0;
      nextToken();
      if (tType === (f.isObject ? T_OBJ_END : T_ARR_END)) {
        depth--;
        frames.pop();
        v = f.isObject ? f.t : LuaTable.from(f.vals);
        continue;
      }
      if (tType !== T_COMMA) parseError(f.isObject ? 'comma or object end' : 'comma or array end');
      nextToken();
      if (f.isObject) objectKey(f);
      break;
    }
  }
}

function decodeWith(cfg: CjsonConfig, s: string): LuaValue {
  if (s.length >= 2 && (s.charCodeAt(0) === 0 || s.charCodeAt(1) === 0))
    luaError('JSON parser does not support UTF-16 or UTF-32');
  src = s;
  srcLen = s.length;
  ptr = 0;
  depth = 0;
  sp = 1;
  dcfg = cfg;
  try {
    nextToken();
    const v = processValue();
    nextToken();
    if (tType !== T_END) parseError('the end');
    return v;
  } catch (e) {
    if (e instanceof DecodeError) luaError(e.msg);
    throw e;
  } finally {
    src = '';
  }
}

// ---------------------------------------------------------------------------
// Configuration functions

function argInit(nargs: number, max: number): void {
  if (nargs > max) argError(max + 1, 'found too many arguments');
}

function integerOption(v: LuaValue, idx: number, nargs: number, cur: number, min: number, max: number): number {
  if (v === undefined) return cur;
  const x = toInt32(checkInteger(v, idx, nargs));
  if (!(min <= x && x <= max)) argError(1, `expected integer between ${min} and ${max}`);
  return x;
}

const BOOL_OPTIONS = ['off', 'on'];
const INVALID_OPTIONS = ['off', 'on', 'null'];

function enumOption(v: LuaValue, idx: number, nargs: number, cur: number, options: string[]): number {
  if (v === undefined) return cur;
  if (typeof v === 'boolean') return v ? 1 : 0;
  const s = checkString(v, idx, nargs);
  const i = options.indexOf(s);
  if (i < 0) argError(idx, `invalid option '${s.split('\0')[0]}'`);
  return i;
}

function enumResult(setting: number, options: string[]): LuaValue {
  return setting === 0 || setting === 1 ? setting === 1 : options[setting];
}

/** The functions of a cjson module table over one configuration. */
function makeCjson(cfg: CjsonConfig): Map<string, LuaValue> {
  const m = new Map<string, LuaValue>();
  m.set('encode', function encode(v: LuaValue): LuaResult {
    if (arguments.length !== 1) argError(1, 'expected 1 argument');
    return encodeWith(cfg, v);
  });
  m.set('decode', function decode(v: LuaValue): LuaResult {
    const nargs = arguments.length;
    if (nargs !== 1) argError(1, 'expected 1 argument');
    if (typeof v !== 'string') v = checkString(v, 1, nargs);
    return decodeWith(cfg, v);
  });
  m.set('encode_sparse_array', function (a: LuaValue, b: LuaValue, c: LuaValue): LuaResult {
    const nargs = arguments.length;
    argInit(nargs, 3);
    cfg.encodeSparseConvert = enumOption(a, 1, nargs, cfg.encodeSparseConvert, BOOL_OPTIONS);
    const r1 = enumResult(cfg.encodeSparseConvert, BOOL_OPTIONS);
    cfg.encodeSparseRatio = integerOption(b, 2, nargs, cfg.encodeSparseRatio, 0, 2147483647);
    cfg.encodeSparseSafe = integerOption(c, 3, nargs, cfg.encodeSparseSafe, 0, 2147483647);
    return [r1, cfg.encodeSparseRatio, cfg.encodeSparseSafe];
  });
  m.set('encode_max_depth', function (a: LuaValue): LuaResult {
    const nargs = arguments.length;
    argInit(nargs, 1);
    return (cfg.encodeMaxDepth = integerOption(a, 1, nargs, cfg.encodeMaxDepth, 1, 2147483647));
  });
  m.set('decode_max_depth', function (a: LuaValue): LuaResult {
    const nargs = arguments.length;
    argInit(nargs, 1);
    return (cfg.decodeMaxDepth = integerOption(a, 1, nargs, cfg.decodeMaxDepth, 1, 2147483647));
  });
  m.set('encode_number_precision', function (a: LuaValue): LuaResult {
    const nargs = arguments.length;
    argInit(nargs, 1);
    return (cfg.encodeNumberPrecision = integerOption(a, 1, nargs, cfg.encodeNumberPrecision, 1, 14));
  });
  m.set('encode_keep_buffer', function (a: LuaValue): LuaResult {
    const nargs = arguments.length;
    argInit(nargs, 1);
    cfg.encodeKeepBuffer = enumOption(a, 1, nargs, cfg.encodeKeepBuffer, BOOL_OPTIONS);
    return enumResult(cfg.encodeKeepBuffer, BOOL_OPTIONS);
  });
  m.set('encode_invalid_numbers', function (a: LuaValue): LuaResult {
    const nargs = arguments.length;
    argInit(nargs, 1);
    cfg.encodeInvalidNumbers = enumOption(a, 1, nargs, cfg.encodeInvalidNumbers, INVALID_OPTIONS);
    return enumResult(cfg.encodeInvalidNumbers, INVALID_OPTIONS);
  });
  m.set('decode_invalid_numbers', function (a: LuaValue): LuaResult {
    const nargs = arguments.length;
    argInit(nargs, 1);
    cfg.decodeInvalidNumbers = enumOption(a, 1, nargs, cfg.decodeInvalidNumbers, BOOL_OPTIONS);
    return enumResult(cfg.decodeInvalidNumbers, BOOL_OPTIONS);
  });
  m.set('new', cjsonNew);
  m.set('null', cjsonNull);
  m.set('_NAME', 'cjson');
  m.set('_VERSION', '2.1.0');
  return m;
}

/** cjson.new(): a fresh module table with its own default configuration. */
function cjsonNew(): LuaResult {
  const t = new LuaTable(0, 16);
  for (const [k, v] of makeCjson(defaultConfig())) t.setStr(k, v);
  return t;
}

/** The cjson library, keyed by env path ('cjson.encode', ...), over `cjsonConfig`. */
export const cjsonLib: ReadonlyMap<string, LuaValue> = new Map(
  [...makeCjson(cjsonConfig)].map(([k, v]) => ['cjson.' + k, v] as [string, LuaValue]),
);

/** Direct entry points (for compiled code and tests). */
export const cjsonEncode = cjsonLib.get('cjson.encode') as (v: LuaValue) => string;
export const cjsonDecode = cjsonLib.get('cjson.decode') as (v: LuaValue) => LuaValue;
