/**
 * Redis's bit library (LuaBitOp 1.0.2, deps/lua/src/lua_bit.c) for jslua:
 * 32-bit operations on numbers normalised as LuaBitOp does (the double plus
 * 2^52+2^51, whose low 32 bits are the integer modulo 2^32, rounded to
 * nearest even), results as signed 32-bit numbers.
 */
import { typeError, toNumber, type LuaResult, type LuaValue } from './value.js';

const conv = new Float64Array(1);
const convLo = new Int32Array(conv.buffer);

/** barg: the argument's low 32 bits (signed); a non-number that gives 0 raises "number expected". */
function barg(v: LuaValue, idx: number, nargs: number): number {
  if (typeof v === 'number') {
    if ((v | 0) === v) return v | 0;
    conv[0] = v + 6755399441055744.0;
    return convLo[0]!;
  }
  const x = toNumber(v);
  if (x === undefined) {
    typeError(idx, 'number', v, nargs);
  }
  conv[0] = x + 6755399441055744.0;
  return convLo[0]!;
}

function tobit(a: LuaValue): LuaResult {
  return barg(a, 1, arguments.length);
}

function bnot(a: LuaValue): LuaResult {
  return ~barg(a, 1, arguments.length);
}

function band(a: LuaValue, b: LuaValue): LuaResult {
  const n = arguments.length;
  let r = barg(a, 1, n);
  if (n === 2) return r & barg(b, 2, n);
  // (arguments, not a rest array: no allocation on the common 2-argument call)
  // eslint-disable-next-line prefer-rest-params
  for (let i = n; i > 1; i--) r &= barg(arguments[i - 1], i, n);
  return r;
}

function bor(a: LuaValue, b: LuaValue): LuaResult {
  const n = arguments.length;
  let r = barg(a, 1, n);
  if (n === 2) return r | barg(b, 2, n);
  // (arguments, not a rest array: no allocation on the common 2-argument call)
  // eslint-disable-next-line prefer-rest-params
  for (let i = n; i > 1; i--) r |= barg(arguments[i - 1], i, n);
  return r;
}

function bxor(a: LuaValue, b: LuaValue): LuaResult {
  const n = arguments.length;
  let r = barg(a, 1, n);
  if (n === 2) return r ^ barg(b, 2, n);
  // (arguments, not a rest array: no allocation on the common 2-argument call)
  // eslint-disable-next-line prefer-rest-params
  for (let i = n; i > 1; i--) r ^= barg(arguments[i - 1], i, n);
  return r;
}

function lshift(a: LuaValue, b: LuaValue): LuaResult {
  const n = arguments.length;
  const x = barg(a, 1, n);
  return x << (barg(b, 2, n) & 31);
}

function rshift(a: LuaValue, b: LuaValue): LuaResult {
  const n = arguments.length;
  const x = barg(a, 1, n);
  return (x >>> (barg(b, 2, n) & 31)) | 0;
}

function arshift(a: LuaValue, b: LuaValue): LuaResult {
  const n = arguments.length;
  const x = barg(a, 1, n);
  return x >> (barg(b, 2, n) & 31);
}

function rol(a: LuaValue, b: LuaValue): LuaResult {
  const n = arguments.length;
  const x = barg(a, 1, n);
  const s = barg(b, 2, n) & 31;
  return (x << s) | (x >>> (32 - s));
}

function ror(a: LuaValue, b: LuaValue): LuaResult {
  const n = arguments.length;
  const x = barg(a, 1, n);
  const s = barg(b, 2, n) & 31;
  return (x << (32 - s)) | (x >>> s);
}

function bswap(a: LuaValue): LuaResult {
  const b = barg(a, 1, arguments.length);
  return (b >>> 24) | ((b >> 8) & 0xff00) | ((b & 0xff00) << 8) | (b << 24);
}

const HEX_LOWER = '0123456789abcdef';
const HEX_UPPER = '0123456789ABCDEF';

function tohex(a: LuaValue, b: LuaValue): LuaResult {
  const nargs = arguments.length;
  let x = barg(a, 1, nargs);
  let n = nargs < 2 ? 8 : barg(b, 2, nargs);
  let digits = HEX_LOWER;
  if (n < 0) {
    n = -n;
    digits = HEX_UPPER;
  }
  if (n > 8 || n < 0) n = 8; // (-INT_MIN stays negative: C would overrun its buffer)
  let out = '';
  for (let i = 0; i < n; i++) {
    out = digits[x & 15]! + out;
    x >>>= 4;
  }
  return out;
}

/** The bit library, keyed by env path ('bit.band', ...). */
export const bitLib: ReadonlyMap<string, LuaValue> = new Map<string, LuaValue>([
  ['bit.tobit', tobit],
  ['bit.bnot', bnot],
  ['bit.band', band],
  ['bit.bor', bor],
  ['bit.bxor', bxor],
  ['bit.lshift', lshift],
  ['bit.rshift', rshift],
  ['bit.arshift', arshift],
  ['bit.rol', rol],
  ['bit.ror', ror],
  ['bit.bswap', bswap],
  ['bit.tohex', tohex],
]);
