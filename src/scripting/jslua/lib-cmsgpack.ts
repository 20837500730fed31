/**
 * Redis's cmsgpack (lua-cmsgpack 0.4.0, deps/lua/src/lua_cmsgpack.c) for
 * jslua: pack, unpack, unpack_one, unpack_limit, with the same bytes, the
 * same decoded values and the same error texts.
 */
import { Buffer } from 'node:buffer';
import { LuaTable } from './table.js';
import {
  argError,
  checkInteger,
  checkString,
  luaError,
  optInteger,
  toInt32,
  type LuaResult,
  type LuaValue,
} from './value.js';

/** Tables nested deeper than this pack as nil (LUACMSGPACK_MAX_NESTING). */
const MAX_NESTING = 16;
/** Lua's C stack limit (LUAI_MAXCSTACK): unpack's values and nesting stop there. */
const MAXCSTACK = 8000;

// ---------------------------------------------------------------------------
// pack

let buf = Buffer.allocUnsafe(4096);
let len = 0;

function ensure(n: number): void {
  if (len + n <= buf.length) return;
  let size = buf.length * 2;
  while (size < len + n) size *= 2;
  const nb = Buffer.allocUnsafe(size);
  buf.copy(nb, 0, 0, len);
  buf = nb;
}

const f32 = new Float32Array(1);
const f64 = new Float64Array(1);
const f32b = new Uint8Array(f32.buffer);
const f64b = new Uint8Array(f64.buffer);

function packString(s: string): void {
  const n = s.length;
  ensure(n + 5);
  if (n < 32) buf[len++] = 0xa0 | n;
  else if (n <= 0xff) {
    buf[len++] = 0xd9;
    buf[len++] = n;
  } else if (n <= 0xffff) {
    buf[len++] = 0xda;
    buf[len++] = n >>> 8;
    buf[len++] = n & 0xff;
  } else {
    buf[len++] = 0xdb;
    buf.writeUInt32BE(n, len);
    len += 4;
  }
  if (n < 16) {
    for (let i = 0; i < n; i++) buf[len++] = s.charCodeAt(i);
  } else len += buf.latin1Write(s, len);
}

/** mp_encode_int for an integer-valued double in [-2^63, 2^63). */
function packInt(n: number): void {
  ensure(9);
  if (n >= 0) {
    if (n <= 127) buf[len++] = n;
    else if (n <= 0xff) {
      buf[len++] = 0xcc;
      buf[len++] = n;
    } else if (n <= 0xffff) {
      buf[len++] = 0xcd;
      buf[len++] = n >>> 8;
      buf[len++] = n & 0xff;
    } else if (n <= 0xffffffff) {
      buf[len++] = 0xce;
      buf.writeUInt32BE(n, len);
      len += 4;
    } else {
      buf[len++] = 0xcf;
      const hi = Math.floor(n / 4294967296);
      buf.writeUInt32BE(hi >>> 0, len);
      buf.writeUInt32BE(n - hi * 4294967296, len + 4);
      len += 8;
    }
  } else if (n >= -32) buf[len++] = n & 0xff;
  else if (n >= -128) {
    buf[len++] = 0xd0;
    buf[len++] = n & 0xff;
  } else if (n >= -32768) {
    buf[len++] = 0xd1;
    buf[len++] = (n >> 8) & 0xff;
    buf[len++] = n & 0xff;
  } else if (n >= -2147483648) {
    buf[len++] = 0xd2;
    buf.writeInt32BE(n, len);
    len += 4;
  } else {
    buf[len++] = 0xd3;
    const hi = Math.floor(n / 4294967296);
    buf.writeInt32BE(hi, len);
    buf.writeUInt32BE(n - hi * 4294967296, len + 4);
    len += 8;
  }
}

function packNumber(n: number): void {
  // IS_INT64_EQUIVALENT: (int64_t)n == n (x86: out of range converts to INT64_MIN)
  if (Number.isInteger(n) && n >= -9223372036854775808 && n < 9223372036854775808) {
    packInt(n === 0 ? 0 : n);
    return;
  }
  ensure(9);
  f32[0] = n;
  if (f32[0] === n) {
    buf[len++] = 0xca;
    for (let i = 3; i >= 0; i--) buf[len++] = f32b[i]!;
  } else {
    f64[0] = n;
    buf[len++] = 0xcb;
    for (let i = 7; i >= 0; i--) buf[len++] = f64b[i]!;
  }
}

function packHeader(n: number, fix: number, b16: number): void {
  ensure(5);
  if (n <= 15) buf[len++] = fix | n;
  else if (n <= 65535) {
    buf[len++] = b16;
    buf[len++] = n >>> 8;
    buf[len++] = n & 0xff;
  } else {
    buf[len++] = b16 + 1;
    buf.writeUInt32BE(n >>> 0, len);
    len += 4;
  }
}

/** table_is_an_array: every key a positive number that is an int, and the largest is the count. */
function isArray(t: LuaTable): boolean {
  let count = 0;
  let max = 0;
  let e = t.next(undefined);
  while (e !== undefined) {
    const k = e[0];
    if (typeof k !== 'number' || !(k > 0) || !(k <= 2147483647 && Math.trunc(k) === k)) return false;
    if (k > max) max = k;
    count++;
    e = t.next(k);
  }
  return max === count;
}

function packValue(v: LuaValue, level: number): void {
  switch (typeof v) {
    case 'string':
      packString(v);
      return;
    case 'number':
      packNumber(v);
      return;
    case 'boolean':
      ensure(1);
      buf[len++] = v ? 0xc3 : 0xc2;
      return;
    case 'object':
      if (v instanceof LuaTable && level !== MAX_NESTING) {
        packTable(v, level);
        return;
      }
      break;
  }
  ensure(1);
  buf[len++] = 0xc0;
}

function packTable(t: LuaTable, level: number): void {
  if (isArray(t)) {
    const n = t.length();
    packHeader(n, 0x90, 0xdc);
    for (let j = 1; j <= n; j++) packValue(t.getInt(j), level + 1);
    return;
  }
  let n = 0;
  let e = t.next(undefined);
  while (e !== undefined) {
    n++;
    e = t.next(e[0]);
  }
  packHeader(n, 0x80, 0xde);
  e = t.next(undefined);
  while (e !== undefined) {
    packValue(e[0], level + 1);
    packValue(e[1], level + 1);
    e = t.next(e[0]);
  }
}

function pack(...args: LuaValue[]): LuaResult {
  const nargs = args.length;
  if (nargs === 0) argError(0, 'MessagePack pack needs input.');
  len = 0;
  for (let i = 0; i < nargs; i++) packValue(args[i], 0);
  const s = buf.latin1Slice(0, len);
  if (buf.length > 1 << 20) buf = Buffer.allocUnsafe(4096);
  return s;
}

// ---------------------------------------------------------------------------
// unpack

class DecodeStop {
  constructor(readonly eof: boolean) {}
}
const EOF = new DecodeStop(true);
const BADFMT = new DecodeStop(false);

/** The input and the cursor. */
let src = '';
let pos = 0;
let end = 0;
/** Lua stack slots in use (for the "stack overflow" limits). */
let sp = 1;
const f32v = new DataView(new ArrayBuffer(8));

function need(n: number): void {
  if (end - pos < n) throw EOF;
}

function u8(i: number): number {
  return src.charCodeAt(i);
}

function u32(i: number): number {
  return ((u8(i) << 24) | (u8(i + 1) << 16) | (u8(i + 2) << 8) | u8(i + 3)) >>> 0;
}

/** A 64-bit big-endian integer at i, as C converts int64 to double (to nearest). */
function int64At(i: number): number {
  const hi = u32(i);
  const lo = u32(i + 4);
  if (hi < 0x200000) return hi * 4294967296 + lo; // below 2^53: exact
  if (hi >= 0xffe00000) return (hi - 4294967296) * 4294967296 + lo; // above -2^53
  // (lua_pushunsigned is lua_pushinteger: a uint64 wraps to int64 too)
  return Number(BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo)));
}

function stackOverflow(what: string): never {
  throw new StackOverflow(what);
}
class StackOverflow {
  constructor(readonly what: string) {}
}

function str(off: number, n: number): string {
  need(off + n);
  const s = src.slice(pos + off, pos + off + n);
  pos += off + n;
  return s;
}

const ARRAY = 0;
const MAP = 1;
/** decodeItem's result for an array or map header: the kind and count are in cKind / cLen. */
const CONTAINER = new LuaTable(0, 0);
/** An array frame's `t`, and a map frame's `vals` (unused). */
const NO_TABLE = new LuaTable(0, 0);
const NO_VALS: LuaValue[] = [];
let cKind = 0;
let cLen = 0;

function container(kind: number, n: number): LuaValue {
  cKind = kind;
  cLen = n;
  return CONTAINER;
}

/**
 * A table being filled: its kind, what is left, and an array's values so far
 * (made into its table when complete: Redis sets t[1..n] one by one into an
 * empty table, and LuaTable.from builds the table that leaves at once,
 * without a rehash at each power of 2) or a map's table and pending key.
 */
interface Frame {
  t: LuaTable;
  vals: LuaValue[];
  kind: number;
  left: number;
  key: LuaValue;
  haveKey: boolean;
}

/**
 * One value, nested tables included, without recursion (MessagePack nests
 * as deep as the Lua stack allows, about 4000 levels). `sp` follows the Lua
 * stack as the C decoder fills it: a table plus its index while an array
 * element is decoded, a table plus the key while a map value is.
 */
function decodeValue(): LuaValue {
  const frames: Frame[] = [];
  for (;;) {
    let v = decodeItem();
    if (v === CONTAINER) {
      sp++;
      if (cKind === ARRAY) {
        if (sp + 1 > MAXCSTACK) stackOverflow('in function mp_decode_to_lua_array');
        if (cLen > 0) {
          sp++;
          frames.push({ t: NO_TABLE, vals: [], kind: ARRAY, left: cLen, key: undefined, haveKey: false });
          continue;
        }
      } else if (cLen > 0) {
        frames.push({ t: new LuaTable(0, 0), vals: NO_VALS, kind: MAP, left: cLen, key: undefined, haveKey: false });
        continue;
      }
      sp--;
      v = new LuaTable(0, 0);
    }
    // deliver v to the innermost table, closing the tables it completes
    for (;;) {
      const f = frames[frames.length - 1];
      if (f === undefined) return v;
      if (f.kind === ARRAY) {
        f.vals.push(v);
      } else if (!f.haveKey) {
        f.key = v;
        f.haveKey = true;
        sp++;
        break;
      } else {
        f.t.set(f.key, v);
        f.haveKey = false;
        f.key = undefined;
        sp--;
      }
      if (--f.left > 0) break;
      frames.pop();
      sp -= f.kind === ARRAY ? 2 : 1;
      v = f.kind === ARRAY ? LuaTable.from(f.vals) : f.t;
    }
  }
}

function decodeItem(): LuaValue {
  need(1);
  if (sp + 1 > MAXCSTACK) stackOverflow('too many return values at once; use unpack_one or unpack_limit instead.');
  const c = u8(pos);
  if (c < 0x80) {
    pos++;
    return c;
  }
  if (c >= 0xe0) {
    pos++;
    return c - 256;
  }
  if (c >= 0xa0 && c < 0xc0) return str(1, c & 0x1f);
  if (c < 0x90) {
    pos++;
    return container(MAP, c & 0xf);
  }
  if (c < 0xa0) {
    pos++;
    return container(ARRAY, c & 0xf);
  }
  let v: LuaValue;
  switch (c) {
    case 0xc0:
      pos++;
      return undefined;
    case 0xc2:
      pos++;
      return false;
    case 0xc3:
      pos++;
      return true;
    case 0xcc:
      need(2);
      v = u8(pos + 1);
      pos += 2;
      return v;
    case 0xd0:
      need(2);
      v = (u8(pos + 1) << 24) >> 24;
      pos += 2;
      return v;
    case 0xcd:
      need(3);
      v = (u8(pos + 1) << 8) | u8(pos + 2);
      pos += 3;
      return v;
    case 0xd1:
      need(3);
      v = (((u8(pos + 1) << 8) | u8(pos + 2)) << 16) >> 16;
      pos += 3;
      return v;
    case 0xce:
      need(5);
      v = u32(pos + 1);
      pos += 5;
      return v;
    case 0xd2:
      need(5);
      v = u32(pos + 1) | 0;
      pos += 5;
      return v;
    case 0xcf:
      need(9);
      v = int64At(pos + 1);
      pos += 9;
      return v;
    case 0xd3:
      need(9);
      v = int64At(pos + 1);
      pos += 9;
      return v;
    case 0xca:
      need(5);
      f32v.setUint32(0, u32(pos + 1));
      pos += 5;
      return f32v.getFloat32(0);
    case 0xcb:
      need(9);
      f32v.setUint32(0, u32(pos + 1));
      f32v.setUint32(4, u32(pos + 5));
      pos += 9;
      return f32v.getFloat64(0);
    case 0xd9:
      need(2);
      return str(2, u8(pos + 1));
    case 0xda:
      need(3);
      return str(3, (u8(pos + 1) << 8) | u8(pos + 2));
    case 0xdb: {
      need(5);
      const n = u32(pos + 1);
      pos += 5;
      return str(0, n);
    }
    case 0xdc: {
      need(3);
      const n = (u8(pos + 1) << 8) | u8(pos + 2);
      pos += 3;
      return container(ARRAY, n);
    }
    case 0xdd: {
      need(5);
      const n = u32(pos + 1);
      pos += 5;
      return container(ARRAY, n);
    }
    case 0xde: {
      need(3);
      const n = (u8(pos + 1) << 8) | u8(pos + 2);
      pos += 3;
      return container(MAP, n);
    }
    case 0xdf: {
      need(5);
      const n = u32(pos + 1);
      pos += 5;
      return container(MAP, n);
    }
  }
  throw BADFMT;
}

/** mp_unpack_full: limit 0 and offset 0 decode everything; else the next offset (-1 at the end) comes first. */
function unpackFull(s: string, limit: number, offset: number): LuaResult {
  const n = s.length;
  const decodeAll = limit === 0 && offset === 0;
  if (offset < 0 || limit < 0)
    luaError(`Invalid request to unpack with offset of ${toInt32(offset)} and limit of ${toInt32(n)}.`);
  else if (offset > n) luaError(`Start offset ${toInt32(offset)} greater than input length ${toInt32(n)}.`);
  if (decodeAll) limit = 2147483647;
  const prevSrc = src;
  const prevPos = pos;
  const prevEnd = end;
  const prevSp = sp;
  src = s;
  pos = offset;
  end = n;
  const out: LuaValue[] = decodeAll ? [] : [undefined];
  let next = -1;
  try {
    for (let cnt = 0; pos < end && cnt < limit; cnt++) {
      sp = 1 + cnt;
      out.push(decodeValue());
    }
    next = pos === end ? -1 : pos;
  } catch (e) {
    if (e instanceof DecodeStop) luaError(e.eof ? 'Missing bytes in input.' : 'Bad data format in input.');
    if (e instanceof StackOverflow) luaError(`stack overflow (${e.what})`);
    throw e;
  } finally {
    src = prevSrc;
    pos = prevPos;
    end = prevEnd;
    sp = prevSp;
  }
  if (!decodeAll) {
    // (the string and the values are on the stack: one more slot for the offset)
    if (out.length + 1 > MAXCSTACK) luaError('stack overflow (in function mp_unpack_full)');
    out[0] = next;
  }
  return out.length === 1 ? out[0] : out;
}

function unpack(s: LuaValue): LuaResult {
  if (typeof s !== 'string') s = checkString(s, 1, arguments.length);
  return unpackFull(s, 0, 0);
}

function unpackOne(s: LuaValue, offset: LuaValue): LuaResult {
  const nargs = arguments.length;
  const off = optInteger(offset, 2, nargs, 0);
  if (typeof s !== 'string') s = checkString(s, 1, nargs);
  return unpackFull(s, 1, off);
}

function unpackLimit(s: LuaValue, limit: LuaValue, offset: LuaValue): LuaResult {
  const nargs = arguments.length;
  const lim = checkInteger(limit, 2, nargs);
  const off = optInteger(offset, 3, nargs, 0);
  if (typeof s !== 'string') s = checkString(s, 1, nargs);
  return unpackFull(s, lim, off);
}

/** The cmsgpack library, keyed by env path ('cmsgpack.pack', ...). */
export const cmsgpackLib: ReadonlyMap<string, LuaValue> = new Map<string, LuaValue>([
  ['cmsgpack.pack', pack],
  ['cmsgpack.unpack', unpack],
  ['cmsgpack.unpack_one', unpackOne],
  ['cmsgpack.unpack_limit', unpackLimit],
  ['cmsgpack._NAME', 'cmsgpack'],
  ['cmsgpack._VERSION', 'lua-cmsgpack 0.4.0'],
  ['cmsgpack._COPYRIGHT', 'Copyright (C) 2012, Salvatore Sanfilippo'],
  ['cmsgpack._DESCRIPTION', 'MessagePack C implementation for Lua'],
]);

export { pack as cmsgpackPack, unpack as cmsgpackUnpack };
