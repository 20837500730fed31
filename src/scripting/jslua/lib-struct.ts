/**
 * Redis's struct library (Roberto Ierusalimschy's struct, deps/lua/src/
 * lua_struct.c) for jslua: struct.pack, struct.unpack, struct.size, as
 * Redis's x86-64 build has them (native little endian, `long` and size_t of
 * 8 bytes, max alignment 8, 64-bit integer conversions).
 */
import {
  argError,
  checkNumber,
  checkString,
  luaError,
  optInteger,
  toNumber,
  type LuaResult,
  type LuaValue,
} from './value.js';

const BIG = 0;
const LITTLE = 1;
const MAXINTSIZE = 32;
const MAXALIGN = 8;

/** The format being read, the header options and the cursor into it. */
interface Fmt {
  s: string;
  i: number;
  endian: number;
  align: number;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

function getnum(f: Fmt, df: number): number {
  if (!isDigit(f.s.charCodeAt(f.i))) return df;
  let a = 0;
  do {
    const d = f.s.charCodeAt(f.i) - 48;
    if (a > Math.floor(2147483647 / 10) || a * 10 > 2147483647 - d) luaError('integral size overflow');
    a = a * 10 + d;
    f.i++;
  } while (isDigit(f.s.charCodeAt(f.i)));
  return a;
}

function optsize(opt: number, f: Fmt): number {
  switch (opt) {
    case 66: // B
    case 98: // b
      return 1;
    case 72: // H
    case 104: // h
      return 2;
    case 76: // L
    case 108: // l
    case 84: // T
      return 8;
    case 102: // f
      return 4;
    case 100: // d
      return 8;
    case 120: // x
      return 1;
    case 99: // c
      return getnum(f, 1);
    case 105: // i
    case 73: {
      // I
      const sz = getnum(f, 4);
      if (sz > MAXINTSIZE) luaError(`integral size ${sz} is larger than limit of ${MAXINTSIZE}`);
      return sz;
    }
    default:
      return 0;
  }
}

function gettoalign(len: number, f: Fmt, opt: number, size: number): number {
  if (size === 0 || opt === 99) return 0;
  if (size > f.align) size = f.align;
  // (size - (len & (size - 1))) & (size - 1), on size_t
  if (len < 2147483648 && size <= 2147483648) return (size - (len & (size - 1))) & (size - 1);
  const m = BigInt(size - 1);
  return Number((BigInt(size) - (BigInt(len) & m)) & m & 0xffffffffffffffffn);
}

function controloptions(opt: number, f: Fmt): void {
  switch (opt) {
    case 32:
      return;
    case 62:
      f.endian = BIG;
      return;
    case 60:
      f.endian = LITTLE;
      return;
    case 33: {
      const a = getnum(f, MAXALIGN);
      if (!(a > 0 && (a & (a - 1)) === 0)) luaError(`alignment ${a} is not a power of 2`);
      f.align = a;
      return;
    }
    default:
      argError(1, `invalid format option '${String.fromCharCode(opt)}'`);
  }
}

/** The format up to its first NUL (a C string). */
function fmtOf(v: LuaValue, nargs: number): Fmt {
  let s = typeof v === 'string' ? v : checkString(v, 1, nargs);
  const z = s.indexOf('\0');
  if (z >= 0) s = s.slice(0, z);
  return { s, i: 0, endian: LITTLE, align: 1 };
}

const U64 = 0xffffffffffffffffn;

/** C's (uint64_t) of a double on x86-64 (gcc's sequence: >= 2^63 goes through n - 2^63). */
function toU64(n: number): bigint {
  if (n < 0) {
    // (uint64_t)(int64_t)n
    if (!(n >= -9223372036854775808)) return 1n << 63n;
    return BigInt.asUintN(64, BigInt(Math.trunc(n)));
  }
  if (n >= 9223372036854775808) {
    const m = n - 9223372036854775808;
    const t = m >= 9223372036854775808 ? 1n << 63n : BigInt(Math.trunc(m));
    return t ^ (1n << 63n);
  }
  if (n !== n) return 1n << 63n;
  return BigInt(Math.trunc(n));
}

const f32 = new DataView(new ArrayBuffer(8));

function pack(fmtv: LuaValue, ...rest: LuaValue[]): LuaResult {
  // (b_pack pushes a nil after the arguments: a missing first one is "got nil")
  const nargs = 2 + rest.length;
  const f = fmtOf(fmtv, arguments.length);
  let out = '';
  let arg = 2;
  const argv = (i: number): LuaValue => rest[i - 2];
  while (f.i < f.s.length) {
    const opt = f.s.charCodeAt(f.i++);
    let size = optsize(opt, f);
    const toalign = gettoalign(out.length, f, opt, size);
    out += '\0'.repeat(toalign);
    switch (opt) {
      case 98:
      case 66:
      case 104:
      case 72:
      case 108:
      case 76:
      case 84:
      case 105:
      case 73: {
        const n = checkNumber(argv(arg), arg, nargs);
        arg++;
        let value = toU64(n);
        let bytes = '';
        for (let i = 0; i < size; i++) {
          const b = String.fromCharCode(Number(value & 0xffn));
          bytes = f.endian === LITTLE ? bytes + b : b + bytes;
          value >>= 8n;
        }
        out += bytes;
        break;
      }
      case 120:
        out += '\0';
        break;
      case 102: {
        const n = checkNumber(argv(arg), arg, nargs);
        arg++;
        f32.setFloat32(0, n, f.endian === LITTLE);
        for (let i = 0; i < 4; i++) out += String.fromCharCode(f32.getUint8(i));
        break;
      }
      case 100: {
        const n = checkNumber(argv(arg), arg, nargs);
        arg++;
        f32.setFloat64(0, n, f.endian === LITTLE);
        for (let i = 0; i < 8; i++) out += String.fromCharCode(f32.getUint8(i));
        break;
      }
      case 99:
      case 115: {
        const s = checkString(argv(arg), arg, nargs);
        arg++;
        if (size === 0) size = s.length;
        if (!(s.length >= size)) argError(arg, 'string too short');
        out += s.slice(0, size);
        if (opt === 115) {
          out += '\0';
          size++;
        }
        break;
      }
      default:
        controloptions(opt, f);
    }
  }
  return out;
}

function getinteger(data: string, pos: number, endian: number, signed: boolean, size: number): number {
  let l = 0n;
  if (endian === BIG) {
    for (let i = 0; i < size; i++) l = ((l << 8n) | BigInt(data.charCodeAt(pos + i))) & U64;
  } else {
    for (let i = size - 1; i >= 0; i--) l = ((l << 8n) | BigInt(data.charCodeAt(pos + i))) & U64;
  }
  if (!signed) return Number(l);
  const mask = (U64 << BigInt((size * 8 - 1) & 63)) & U64;
  if (l & mask) l |= mask;
  return Number(BigInt.asIntN(64, l));
}

function unpack(fmtv: LuaValue, datav: LuaValue, posv: LuaValue): LuaResult {
  const nargs = arguments.length;
  const f = fmtOf(fmtv, nargs);
  const data = typeof datav === 'string' ? datav : checkString(datav, 2, nargs);
  const ld = data.length;
  const p = optInteger(posv, 3, nargs, 1);
  if (p === 0) argError(3, 'offset must be 1 or greater');
  // size_t: a negative offset is huge, so "data string too short" below (or returned as is)
  let pos = p - 1;
  const out: LuaValue[] = [];
  while (f.i < f.s.length) {
    const opt = f.s.charCodeAt(f.i++);
    let size = optsize(opt, f);
    pos += pos < 0 ? 0 : gettoalign(pos, f, opt, size);
    if (!(size <= ld && pos >= 0 && pos <= ld - size)) argError(2, 'data string too short');
    switch (opt) {
      case 98:
      case 66:
      case 104:
      case 72:
      case 108:
      case 76:
      case 84:
      case 105:
      case 73:
        out.push(getinteger(data, pos, f.endian, opt >= 97, size));
        break;
      case 120:
        break;
      case 102:
        for (let i = 0; i < 4; i++) f32.setUint8(i, data.charCodeAt(pos + i));
        out.push(f32.getFloat32(0, f.endian === LITTLE));
        break;
      case 100:
        for (let i = 0; i < 8; i++) f32.setUint8(i, data.charCodeAt(pos + i));
        out.push(f32.getFloat64(0, f.endian === LITTLE));
        break;
      case 99: {
        if (size === 0) {
          const prev = out.length === 0 ? undefined : toNumber(out[out.length - 1]);
          if (prev === undefined) luaError("format 'c0' needs a previous size");
          out.pop();
          size = prev < 0 || prev !== prev ? Infinity : Math.trunc(prev);
          if (!(size <= ld && pos <= ld - size)) argError(2, 'data string too short');
        }
        out.push(data.slice(pos, pos + size));
        break;
      }
      case 115: {
        const e = data.indexOf('\0', pos);
        if (e < 0) luaError('unfinished string in data');
        size = e - pos + 1;
        out.push(data.slice(pos, e));
        break;
      }
      default:
        controloptions(opt, f);
    }
    pos += size;
  }
  out.push(pos + 1);
  return out.length === 1 ? out[0] : out;
}

function size(fmtv: LuaValue): LuaResult {
  const f = fmtOf(fmtv, arguments.length);
  let pos = 0;
  while (f.i < f.s.length) {
    const opt = f.s.charCodeAt(f.i++);
    const sz = optsize(opt, f);
    pos += gettoalign(pos, f, opt, sz);
    if (opt === 115) argError(1, "option 's' has no fixed size");
    else if (opt === 99 && sz === 0) argError(1, "option 'c0' has no fixed size");
    const alnum = isDigit(opt) || ((opt | 0x20) >= 97 && (opt | 0x20) <= 122);
    if (!alnum) controloptions(opt, f);
    pos += sz;
  }
  return pos;
}

/** The struct library, keyed by env path ('struct.pack', ...). */
export const structLib: ReadonlyMap<string, LuaValue> = new Map<string, LuaValue>([
  ['struct.pack', pack],
  ['struct.unpack', unpack],
  ['struct.size', size],
]);
