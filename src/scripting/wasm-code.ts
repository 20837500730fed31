/**
 * The WebAssembly the binary patch (wasm-patch.ts) writes, as bytes: the
 * LEB128 and vector encodings it needs, the new bodies of the functions
 * whose originals it moves (luaL_loadbuffer, sprintf, free, the count hook,
 * the result encoder's entry) and the functions it adds. Each body is a
 * function's locals and code, `end` (0x0b) included, commented opcode by
 * opcode; wasm-patch.ts's header says what each does and why.
 */
import { Buffer } from 'node:buffer';
import {
  BINS_BYTES,
  CACHED_LEN,
  CACHE_MAX_BYTES,
  CACHE_MAX_CHUNK,
  MAX_SMALL_REQUEST,
  ENCODE_LEVEL,
  FMT_14G,
  F_HOST_REDIS_LOG,
  F_LUAL_ERROR,
  F_LUA_CALL,
  F_LUA_GETTOP,
  F_LUA_INSERT,
  F_LUA_PUSHCCLOSURE,
  F_LUA_PUSHVALUE,
  F_LUA_RAWGET,
  F_LUA_RAWGETI,
  F_LUA_SETTOP,
  F_LUA_TOLSTRING,
  F_LUA_TONUMBER,
  F_LUA_TYPE,
  JSCALL_LEVEL,
  JSCALL_SLOT,
  LUA_REGISTRYINDEX,
  L_BASEHOOKCOUNT,
  L_HOOKCOUNT,
  NUMBUF_LEN_AT,
  NUMBUF_SIZE,
  NUM_LEVEL,
  REPLY_FIELDS_REF,
  REPLY_FIELD_TYPES,
  TICK_LEVEL,
  TRAMPOLINE_SLOT,
  UPVALUE_1,
} from './wasm-layout.js';

/** Value types. */
export const F64 = 0x7c;
export const I64 = 0x7e;
export const I32 = 0x7f;

export function readU32(b: Uint8Array, p: { o: number }): number {
  let r = 0;
  let shift = 0;
  for (;;) {
    const x = b[p.o++]!;
    r += (x & 0x7f) * 2 ** shift;
    if ((x & 0x80) === 0) return r;
    shift += 7;
  }
}

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let x = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) x |= 0x80;
    out.push(x);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const x = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (x & 0x40) === 0) || (n === -1 && (x & 0x40) !== 0)) {
      out.push(x);
      return out;
    }
    out.push(x | 0x80);
  }
}

export function sleb64(n: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    const x = Number(n & 0x7fn);
    n >>= 7n;
    if ((n === 0n && (x & 0x40) === 0) || (n === -1n && (x & 0x40) !== 0)) {
      out.push(x);
      return out;
    }
    out.push(x | 0x80);
  }
}

export function f64(x: number): number[] {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(x, 0);
  return [...b];
}

export function name(s: string): number[] {
  return [...uleb(s.length), ...Buffer.from(s, 'latin1')];
}

export function vec(count: number, items: number[]): number[] {
  return [...uleb(count), ...items];
}

export interface Section {
  id: number;
  /** Content (without id and size). */
  body: Uint8Array;
}

/**
 * Where patchEngine placed what the new code refers to: the moved
 * originals' function indices, the patch's int64 conversions, and its
 * globals.
 */
export interface Placed {
  movedIndex: number;
  movedSprintf: number;
  movedFree: number;
  movedEncode: number;
  fCvtS: number;
  fCvtU: number;
  movedMalloc: number;
  scratchGlobal: number;
  binsGlobal: number;
  cachedGlobal: number;
  killGlobal: number;
  numbufGlobal: number;
  encretGlobal: number;
}

/**
 * The new bodies of the functions whose originals move (each calls its
 * moved original when the patch has nothing to do): luaL_loadbuffer
 * (`hook`), sprintf (`num`), free and malloc (the small-chunk cache), the
 * count hook (`tick`) and the result encoder's entry (`front`).
 */
export function frontBodies(p: Placed): {
  hook: number[];
  num: number[];
  free: number[];
  malloc: number[];
  tick: number[];
  front: number[];
} {
  const { movedIndex, movedSprintf, movedFree, movedMalloc, movedEncode, scratchGlobal, killGlobal, encretGlobal } = p;
  const { binsGlobal, cachedGlobal } = p;
  // (L, buf, len, name) -> i32
  const hook = [
    0x00, // no locals
    0x20, 2, 0x41, ...sleb(CACHED_LEN | 0), 0x4f, // len >= CACHED_LEN (unsigned)
    0x04, 0x7f, // if (result i32)
    0x20, 0, 0x41, ...sleb(LUA_REGISTRYINDEX), 0x20, 1, 0x10, ...uleb(F_LUA_RAWGETI), // lua_rawgeti(L, REGISTRY, buf)
    0x41, 0, // 0: loaded
    0x05, // else
    0x20, 0, 0x20, 1, 0x20, 2, 0x20, 3, 0x10, ...uleb(movedIndex), // the original
    0x0b, // end if
    0x0b, // end function
  ];
  // (buf, fmt, va): locals 3 d f64, 4 n i64, 5 t i64, 6 neg i32, 7 p i32
  const num = [
    0x03, 1, 0x7c, 2, 0x7e, 2, 0x7f, // locals
    0x02, 0x40, // block (exit: the original)
    0x20, 1, 0x41, ...sleb(FMT_14G), 0x47, 0x0d, 0, // fmt != "%.14g"
    0x20, 2, 0x2b, 3, 0, 0x22, 3, // d = *(double *)va
    0x99, 0x44, ...f64(1e14), 0x63, 0x45, 0x0d, 0, // !(|d| < 1e14) (NaN too)
    0x20, 3, 0x20, 3, 0x9d, 0x62, 0x0d, 0, // d != trunc(d)
    0x20, 3, 0xbd, 0x42, ...sleb64(-(2n ** 63n)), 0x51, 0x0d, 0, // d is -0
    0x20, 3, 0xb0, 0x22, 4, // n = (int64)d
    0x42, 0, 0x53, 0x22, 6, // neg = n < 0
    0x04, 0x40, // if neg
    0x42, 0, 0x20, 4, 0x7d, 0x21, 4, // n = -n
    0x20, 0, 0x41, 45, 0x3a, 0, 0, // *buf = '-'
    0x0b,
    0x20, 0, 0x20, 6, 0x6a, 0x21, 7, // p = buf + neg
    0x20, 4, 0x21, 5, // t = n
    0x03, 0x40, // do { p++; t /= 10 } while (t != 0)
    0x20, 7, 0x41, 1, 0x6a, 0x21, 7,
    0x20, 5, 0x42, 10, 0x80, 0x22, 5, 0x42, 0, 0x52, 0x0d, 0,
    0x0b,
    0x20, 7, 0x41, 0, 0x3a, 0, 0, // *p = 0
    0x03, 0x40, // do { *--p = '0' + n % 10; n /= 10 } while (n != 0)
    0x20, 7, 0x41, 1, 0x6b, 0x22, 7,
    0x20, 4, 0x42, 10, 0x82, 0xa7, 0x41, 48, 0x6a, 0x3a, 0, 0,
    0x20, 4, 0x42, 10, 0x80, 0x22, 4, 0x42, 0, 0x52, 0x0d, 0,
    0x0b,
    0x0f, // return
    0x0b, // end block
    0x20, 0, 0x20, 1, 0x20, 2, 0x10, ...uleb(movedSprintf), // the original
    0x0b, // end function
  ];
  // The small-chunk cache (see CACHE_MAX_CHUNK): Lua allocates and frees small blocks all the time
  // (strings, tables, closures), and dlmalloc's free, which merges neighbours and sorts chunks into
  // bins, measured 4% of a BullMQ job's server time and its malloc 2%. A chunk's list is by the size
  // in its head word, so it only serves requests dlmalloc would round to that same size (at most 4
  // bytes of overhead, as dlmalloc's own); to dlmalloc the chunks stay in use, so realloc and the
  // original free work on them unchanged.
  // (ptr): free() of the scratch buffer is a no-op; a small chunk goes on its list while the cache
  // holds under CACHE_MAX_BYTES. Locals: 1 size, 2 list head's address.
  const free = [
    0x01, 2, 0x7f, // locals
    0x20, 0, 0x23, ...uleb(scratchGlobal), 0x46, 0x04, 0x40, 0x0f, 0x0b, // if (ptr == scratch) return
    0x02, 0x40, // block (exit: the original)
    0x20, 0, 0x45, 0x0d, 0, // ptr == 0
    0x23, ...uleb(binsGlobal), 0x45, 0x0d, 0, // no cache
    0x20, 0, 0x41, 4, 0x6b, 0x28, 2, 0, 0x41, ...sleb(-8), 0x71, 0x22, 1, // size = head(ptr) & ~7
    0x41, ...sleb(CACHE_MAX_CHUNK), 0x4b, 0x0d, 0, // size > CACHE_MAX_CHUNK
    0x23, ...uleb(cachedGlobal), 0x20, 1, 0x6a, 0x41, ...sleb(CACHE_MAX_BYTES), 0x4b, 0x0d, 0, // cache full
    0x23, ...uleb(cachedGlobal), 0x20, 1, 0x6a, 0x24, ...uleb(cachedGlobal), // cached += size
    0x23, ...uleb(binsGlobal), 0x20, 1, 0x41, 1, 0x76, 0x6a, 0x22, 2, // head = bins + size / 8 * 4
    0x20, 0, 0x20, 2, 0x28, 2, 0, 0x36, 2, 0, // *ptr = *head
    0x20, 2, 0x20, 0, 0x36, 2, 0, // *head = ptr
    0x0f, // return
    0x0b, // end block
    0x20, 0, 0x10, ...uleb(movedFree), // the original
    0x0b,
  ];
  // (n) -> ptr: a small request takes a chunk from the list of the size dlmalloc would give it
  // (max(16, (n + 11) & ~7)). When dlmalloc then has no room, the cached chunks go back to it
  // (they may be what keeps a large request from fitting) and it is asked again. dlrealloc
  // allocates through here too. Locals: 1 size, 2 list head's address, 3 chunk.
  const malloc = [
    0x01, 3, 0x7f, // locals
    0x02, 0x40, // block (exit: the original)
    0x20, 0, 0x41, ...sleb(MAX_SMALL_REQUEST), 0x4b, 0x0d, 0, // n > MAX_SMALL_REQUEST
    0x23, ...uleb(binsGlobal), 0x45, 0x0d, 0, // no cache
    0x20, 0, 0x41, 11, 0x6a, 0x41, ...sleb(-8), 0x71, 0x21, 1, // size = (n + 11) & ~7
    0x20, 1, 0x41, 16, 0x20, 1, 0x41, 16, 0x4b, 0x1b, 0x21, 1, // size = max(size, 16)
    0x23, ...uleb(binsGlobal), 0x20, 1, 0x41, 1, 0x76, 0x6a, 0x22, 2, // head = bins + size / 8 * 4
    0x28, 2, 0, 0x22, 3, 0x45, 0x0d, 0, // chunk = *head; none: the original
    0x20, 2, 0x20, 3, 0x28, 2, 0, 0x36, 2, 0, // *head = *chunk
    0x23, ...uleb(cachedGlobal), 0x20, 1, 0x6b, 0x24, ...uleb(cachedGlobal), // cached -= size
    0x20, 3, 0x0f, // return chunk
    0x0b, // end block
    0x20, 0, 0x10, ...uleb(movedMalloc), 0x21, 3, // chunk = the original
    0x02, 0x40, // block (exit: done)
    0x20, 3, 0x0d, 0, // got one
    0x23, ...uleb(cachedGlobal), 0x45, 0x0d, 0, // nothing cached
    0x23, ...uleb(binsGlobal), 0x21, 2, // head = bins
    0x03, 0x40, // loop over the lists
    0x02, 0x40, // block (exit: this list is empty)
    0x03, 0x40, // loop over its chunks
    0x20, 2, 0x28, 2, 0, 0x22, 3, 0x45, 0x0d, 1, // chunk = *head; none: next list
    0x20, 2, 0x20, 3, 0x28, 2, 0, 0x36, 2, 0, // *head = *chunk
    0x20, 3, 0x10, ...uleb(movedFree), // back to dlmalloc
    0x0c, 0, // next chunk
    0x0b, // end loop
    0x0b, // end block
    0x20, 2, 0x41, 4, 0x6a, 0x22, 2, // head += 4
    0x23, ...uleb(binsGlobal), 0x41, ...sleb(BINS_BYTES), 0x6a, 0x49, 0x0d, 0, // while head < bins + BINS_BYTES
    0x0b, // end loop
    0x41, 0, 0x24, ...uleb(cachedGlobal), // cached = 0
    0x20, 0, 0x10, ...uleb(movedMalloc), 0x21, 3, // chunk = the original, again
    0x0b, // end block
    0x20, 3, // chunk
    0x0b,
  ];
  // (L, ar): the tick, then luaL_error(L, kill, 0) when a kill is set.
  const tick = [
    0x00, // no locals
    0x41, ...sleb(TICK_LEVEL), 0x20, 1, 0x20, 0, 0x10, ...uleb(F_HOST_REDIS_LOG), // host_redis_log(-1, ar, L)
    0x23, ...uleb(killGlobal), 0x04, 0x40, // if (kill)
    0x20, 0, 0x41, 1, 0x36, 2, ...uleb(L_BASEHOOKCOUNT), // L->basehookcount = 1
    0x20, 0, 0x41, 1, 0x36, 2, ...uleb(L_HOOKCOUNT), // L->hookcount = 1
    0x20, 0, 0x23, ...uleb(killGlobal), 0x41, 0, 0x10, ...uleb(F_LUAL_ERROR), 0x1a, // luaL_error(L, kill, 0)
    0x0b,
    0x0b,
  ];
  // The result encoder's entry: a table goes to JS (host_redis_log(ENCODE_LEVEL, idx, rb), which
  // leaves its result in tsdis_encret), anything else to the moved original.
  const front = [
    0x00, // no locals
    0x20, 0, 0x20, 1, 0x10, ...uleb(F_LUA_TYPE), 0x41, 5, 0x46, // lua_type(L, idx) == LUA_TTABLE
    0x04, 0x7f, // if (result i32)
    0x41, ...sleb(ENCODE_LEVEL), 0x20, 1, 0x20, 2, 0x10, ...uleb(F_HOST_REDIS_LOG),
    0x23, ...uleb(encretGlobal),
    0x05, // else
    0x20, 0, 0x20, 1, 0x20, 2, 0x10, ...uleb(movedEncode),
    0x0b,
    0x0b,
  ];
  return { hook, num, free, malloc, tick, front };
}

/**
 * The patch's own functions, in the order patchEngine appends them after
 * the moved originals: tsdis_argstr, tsdis_probe, the int64 conversions
 * (signed, unsigned, int32), tsdis_putint, tsdis_getint, tsdis_errstr, the
 * trampoline and its maker, the JS call and its maker.
 */
export function ownBodies(p: Placed): number[][] {
  const { fCvtS, fCvtU, numbufGlobal, encretGlobal } = p;
  // (L, idx, len *) -> ptr: locals 3 d f64, 4 n i64, 5 p i32, 6 neg i32, 7 buf i32
  const argStr = [
    0x03, 1, 0x7c, 1, 0x7e, 3, 0x7f, // locals
    0x02, 0x40, // block (exit: not a number, lua_tolstring)
    0x20, 0, 0x20, 1, 0x10, ...uleb(F_LUA_TYPE), 0x41, 3, 0x47, 0x0d, 0, // lua_type(L, idx) != LUA_TNUMBER
    0x20, 0, 0x20, 1, 0x10, ...uleb(F_LUA_TONUMBER), 0x21, 3, // d = lua_tonumber(L, idx)
    0x23, ...uleb(numbufGlobal), 0x21, 7, // buf = tsdis_numbuf
    0x02, 0x40, // block (exit: not an integer in +-2^62, JS formats it)
    0x20, 3, 0x99, 0x44, ...f64(2 ** 62), 0x65, 0x45, 0x0d, 0, // !(|d| <= 2^62) (NaN too)
    0x20, 3, 0x20, 3, 0x9d, 0x62, 0x0d, 0, // d != trunc(d)
    0x20, 3, 0xbd, 0x42, ...sleb64(-(2n ** 63n)), 0x51, 0x0d, 0, // d is -0 ("-0", see lua-bridge.ts formatNumArg)
    0x20, 3, 0xb0, 0x22, 4, // n = (int64)d
    0x42, 0, 0x53, 0x22, 6, // neg = n < 0
    0x04, 0x40, 0x42, 0, 0x20, 4, 0x7d, 0x21, 4, 0x0b, // if neg: n = -n
    0x20, 7, 0x41, NUMBUF_SIZE, 0x6a, 0x21, 5, // p = buf + NUMBUF_SIZE
    0x03, 0x40, // do { *--p = '0' + n % 10; n /= 10 } while (n != 0)
    0x20, 5, 0x41, 1, 0x6b, 0x22, 5,
    0x20, 4, 0x42, 10, 0x82, 0xa7, 0x41, 48, 0x6a, 0x3a, 0, 0,
    0x20, 4, 0x42, 10, 0x80, 0x22, 4, 0x42, 0, 0x52, 0x0d, 0,
    0x0b,
    0x20, 6, 0x04, 0x40, 0x20, 5, 0x41, 1, 0x6b, 0x22, 5, 0x41, 45, 0x3a, 0, 0, 0x0b, // if neg: *--p = '-'
    0x20, 2, 0x20, 7, 0x41, NUMBUF_SIZE, 0x6a, 0x20, 5, 0x6b, 0x36, 2, 0, // *len = buf + NUMBUF_SIZE - p
    0x20, 5, 0x0f, // return p
    0x0b,
    0x20, 7, 0x20, 3, 0x39, 0, 0, // *(double *)buf = d (unaligned store)
    0x41, ...sleb(NUM_LEVEL), 0x20, 7, 0x41, 0, 0x10, ...uleb(F_HOST_REDIS_LOG), // JS writes the text at buf
    0x20, 2, 0x20, 7, 0x28, 0, NUMBUF_LEN_AT, 0x36, 2, 0, // *len = its length
    0x20, 7, 0x0f, // return buf
    0x0b,
    0x20, 0, 0x20, 1, 0x20, 2, 0x10, ...uleb(F_LUA_TOLSTRING), // lua_tolstring(L, idx, len)
    0x0b,
  ];
  // (L, t, from) -> i32: locals 3 k
  const probe = [
    0x01, 1, 0x7f, // locals
    0x20, 2, 0x21, 3, // k = from
    0x02, 0x40, 0x03, 0x40, // block, loop
    0x20, 3, 0x41, 7, 0x4f, 0x0d, 1, // k >= 7: not found
    0x20, 0, 0x41, ...sleb(LUA_REGISTRYINDEX), 0x20, 3, 0x41, ...sleb(REPLY_FIELDS_REF), 0x6a, 0x10, ...uleb(F_LUA_RAWGETI), // the name
    0x20, 0, 0x20, 1, 0x10, ...uleb(F_LUA_RAWGET), // t[name], raw
    0x20, 0, 0x41, 0x7f, 0x10, ...uleb(F_LUA_TYPE), // its type
    0x41, ...sleb(REPLY_FIELD_TYPES), 0x20, 3, 0x41, 2, 0x74, 0x76, 0x41, 15, 0x71, 0x46, // == the nibble of k
    0x04, 0x40, 0x20, 3, 0x41, 1, 0x6a, 0x0f, 0x0b, // found: return k + 1
    0x20, 0, 0x41, 0x7e, 0x10, ...uleb(F_LUA_SETTOP), // pop it
    0x20, 3, 0x41, 1, 0x6a, 0x21, 3, // k++
    0x0c, 0, // continue
    0x0b, 0x0b,
    0x41, 0, // 0: none
    0x0b,
  ];
  const INT64_MIN = sleb64(-(2n ** 63n));
  // (f64) -> i64: (long)x on x86-64: |x| < 2^63 ? trunc(x) : INT64_MIN (NaN too)
  const cvtS = [0x00, 0x20, 0, 0xfc, 0x06, 0x42, ...INT64_MIN, 0x20, 0, 0x99, 0x44, ...f64(2 ** 63), 0x63, 0x1b, 0x0b];
  // (f64) -> i64: (unsigned long)x on x86-64: x >= 2^63 ? (long)(x - 2^63) ^ INT64_MIN : (long)x
  const cvtU = [
    0x00,
    0x20, 0, 0x44, ...f64(2 ** 63), 0xa1, 0x10, ...uleb(fCvtS), 0x42, ...INT64_MIN, 0x85,
    0x20, 0, 0x10, ...uleb(fCvtS),
    0x20, 0, 0x44, ...f64(2 ** 63), 0x66,
    0x1b, 0x0b,
  ];
  // (f64) -> i32: (int)x on x86-64: -2^31 - 1 < x < 2^31 ? trunc(x) : INT32_MIN
  const cvt32 = [
    0x00, 0x20, 0, 0xfc, 0x02, 0x41, ...sleb(-(2 ** 31)),
    0x20, 0, 0x44, ...f64(-(2 ** 31) - 1), 0x64, 0x20, 0, 0x44, ...f64(2 ** 31), 0x63, 0x71,
    0x1b, 0x0b,
  ];
  // (buff, n, endian, size): putinteger with 64-bit values. Locals 4 v i64, 5 i i32.
  const putInt = [
    0x02, 1, I64, 1, I32,
    0x20, 1, 0x10, ...uleb(fCvtS), 0x20, 1, 0x10, ...uleb(fCvtU), 0x20, 1, 0x44, ...f64(0), 0x63, 0x1b, 0x21, 4, // v = n < 0 ? (long)n : (unsigned long)n
    0x20, 2, 0x41, 1, 0x46, 0x04, 0x40, // if (endian == LITTLE)
    0x41, 0, 0x21, 5, // i = 0
    0x02, 0x40, 0x03, 0x40,
    0x20, 5, 0x20, 3, 0x4e, 0x0d, 1, // i >= size: done
    0x20, 0, 0x20, 5, 0x6a, 0x20, 4, 0x3c, 0, 0, // buff[i] = v
    0x20, 4, 0x42, 8, 0x88, 0x21, 4, // v >>= 8
    0x20, 5, 0x41, 1, 0x6a, 0x21, 5, 0x0c, 0, // i++
    0x0b, 0x0b,
    0x05,
    0x20, 3, 0x41, 1, 0x6b, 0x21, 5, // i = size - 1
    0x02, 0x40, 0x03, 0x40,
    0x20, 5, 0x41, 0, 0x48, 0x0d, 1, // i < 0: done
    0x20, 0, 0x20, 5, 0x6a, 0x20, 4, 0x3c, 0, 0, // buff[i] = v
    0x20, 4, 0x42, 8, 0x88, 0x21, 4, // v >>= 8
    0x20, 5, 0x41, 1, 0x6b, 0x21, 5, 0x0c, 0, // i--
    0x0b, 0x0b,
    0x0b,
    0x0b,
  ];
  // (p, endian, issigned, size) -> f64: getinteger with 64-bit values. Locals 4 l i64, 5 i i32, 6 mask i64.
  const getInt = [
    0x03, 1, I64, 1, I32, 1, I64,
    0x42, 0, 0x21, 4,
    0x20, 1, 0x45, 0x04, 0x40, // if (endian == BIG)
    0x41, 0, 0x21, 5,
    0x02, 0x40, 0x03, 0x40,
    0x20, 5, 0x20, 3, 0x4e, 0x0d, 1,
    0x20, 4, 0x42, 8, 0x86, 0x20, 0, 0x20, 5, 0x6a, 0x31, 0, 0, 0x84, 0x21, 4, // l = l << 8 | p[i]
    0x20, 5, 0x41, 1, 0x6a, 0x21, 5, 0x0c, 0,
    0x0b, 0x0b,
    0x05,
    0x20, 3, 0x41, 1, 0x6b, 0x21, 5,
    0x02, 0x40, 0x03, 0x40,
    0x20, 5, 0x41, 0, 0x48, 0x0d, 1,
    0x20, 4, 0x42, 8, 0x86, 0x20, 0, 0x20, 5, 0x6a, 0x31, 0, 0, 0x84, 0x21, 4,
    0x20, 5, 0x41, 1, 0x6b, 0x21, 5, 0x0c, 0,
    0x0b, 0x0b,
    0x0b,
    0x20, 2, 0x45, 0x04, F64, // if (!issigned)
    0x20, 4, 0xba, // (lua_Number)l
    0x05,
    0x42, 0x7f, 0x20, 3, 0x41, 3, 0x74, 0x41, 1, 0x6b, 0xac, 0x86, 0x21, 6, // mask = ~0 << (size * 8 - 1) (count mod 64, as x86)
    0x20, 4, 0x20, 6, 0x83, 0x42, 0, 0x52, 0x04, 0x40, 0x20, 4, 0x20, 6, 0x84, 0x21, 4, 0x0b, // if (l & mask) l |= mask
    0x20, 4, 0xb9, // (lua_Number)(long)l
    0x0b,
    0x0b,
  ];
  // (L, idx, len *) -> ptr: a table's raw err field (string or number) when it has one, else lua_tolstring. Local 3 abs.
  const errStr = [
    0x01, 1, I32,
    0x20, 0, 0x20, 1, 0x10, ...uleb(F_LUA_TYPE), 0x41, 5, 0x46, 0x04, 0x40, // a table
    0x20, 1, 0x20, 0, 0x10, ...uleb(F_LUA_GETTOP), 0x20, 1, 0x6a, 0x41, 1, 0x6a, 0x20, 1, 0x41, 0, 0x4a, 0x1b, 0x21, 3, // abs index
    0x20, 0, 0x41, ...sleb(LUA_REGISTRYINDEX), 0x41, ...sleb(REPLY_FIELDS_REF), 0x10, ...uleb(F_LUA_RAWGETI), // "err"
    0x20, 0, 0x20, 3, 0x10, ...uleb(F_LUA_RAWGET), // t.err, raw
    // a string or a number (lua_isstring): its text
    0x20, 0, 0x41, 0x7f, 0x10, ...uleb(F_LUA_TYPE), 0x41, 4, 0x46,
    0x20, 0, 0x41, 0x7f, 0x10, ...uleb(F_LUA_TYPE), 0x41, 3, 0x46, 0x72,
    0x04, 0x40, 0x20, 0, 0x41, 0x7f, 0x20, 2, 0x10, ...uleb(F_LUA_TOLSTRING), 0x0f, 0x0b,
    0x20, 0, 0x41, 0x7e, 0x10, ...uleb(F_LUA_SETTOP), // pop it
    0x0b,
    0x20, 0, 0x20, 1, 0x20, 2, 0x10, ...uleb(F_LUA_TOLSTRING),
    0x0b,
  ];
  // (L) -> n: calls upvalue 1 with the arguments, returns its results
  const tramp = [
    0x00,
    0x20, 0, 0x41, ...sleb(UPVALUE_1), 0x10, ...uleb(F_LUA_PUSHVALUE),
    0x20, 0, 0x41, 1, 0x10, ...uleb(F_LUA_INSERT),
    0x20, 0, 0x20, 0, 0x10, ...uleb(F_LUA_GETTOP), 0x41, 1, 0x6b, 0x41, 0x7f, 0x10, ...uleb(F_LUA_CALL), // lua_call(L, top - 1, LUA_MULTRET)
    0x20, 0, 0x10, ...uleb(F_LUA_GETTOP),
    0x0b,
  ];
  // (L) -> 1: a trampoline closure of the function on top
  const mkWrap = [0x00, 0x20, 0, 0x41, ...sleb(TRAMPOLINE_SLOT), 0x41, 1, 0x10, ...uleb(F_LUA_PUSHCCLOSURE), 0x41, 1, 0x0b];
  // (L) -> n: host_redis_log(JSCALL_LEVEL, L, (int)upvalue 1); JS pushed n results (tsdis_encret)
  const jsCall = [
    0x00,
    0x41, ...sleb(JSCALL_LEVEL), 0x20, 0,
    0x20, 0, 0x41, ...sleb(UPVALUE_1), 0x10, ...uleb(F_LUA_TONUMBER), 0xfc, 0x02,
    0x10, ...uleb(F_HOST_REDIS_LOG),
    0x23, ...uleb(encretGlobal),
    0x0b,
  ];
  // (L) -> 1: a JS call closure of the number on top
  const mkJs = [0x00, 0x20, 0, 0x41, ...sleb(JSCALL_SLOT), 0x41, 1, 0x10, ...uleb(F_LUA_PUSHCCLOSURE), 0x41, 1, 0x0b];
  return [argStr, probe, cvtS, cvtU, cvt32, putInt, getInt, errStr, tramp, mkWrap, jsCall, mkJs];
}
