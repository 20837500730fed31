/**
 * The patched engine's calls into JS while a script runs (wasm-patch.ts
 * routes them here through lua.ts newVm):
 *  - redis.call / redis.pcall (hostCallRaw): the arguments are read from the
 *    VM's memory, the command runs through the script's host, and its RESP
 *    reply is written back in the engine's encoding (simpleReply for the
 *    common short replies, else respToWire), in memory the engine frees;
 *  - a Lua number passed to redis.call, written as Redis 7.2 writes it
 *    (formatNumArg);
 *  - a table a script returns, encoded by Redis's rules (encodeTable).
 * The hot path of EVALSHA: nothing here allocates per call but the argv
 * strings and the reply.
 */
import { Buffer } from 'node:buffer';
import { LUA_REGISTRYINDEX, NUMBUF_LEN_AT, REPLY_FIELDS_REF } from './wasm-layout.js';
import { formatDouble } from '../util/numbers.js';
import { latin1Of } from '../util/latin1.js';
import { Err } from '../protocol/errors.js';
import {
  LUA_TBOOLEAN,
  LUA_TNIL,
  LUA_TNUMBER,
  LUA_TSTRING,
  LUA_TTABLE,
  REPLY_SCRATCH,
  heap,
  stateOf,
  type ScriptHost,
  type Vm,
} from './lua-engine.js';
import {
  T_ARRAY,
  T_BIG_NUMBER,
  T_BULK,
  T_ERROR,
  T_INT,
  T_MAP,
  T_NULL,
  T_SET,
  T_STATUS,
  T_VERBATIM,
  WireWriter,
  lineEnd,
  numAt,
  putU32,
  respToWire,
  smallInt,
  u32At,
  type RespCursor,
} from './lua-convert.js';

const wire = new WireWriter();
/** The bridge's reply cursor (reused: runs and calls never nest). */
const cursor: RespCursor = { s: '', pos: 0 };

/**
 * A redis.call argument that is a Lua number the patched engine does not
 * write itself (see wasm-patch.ts: it writes integers within +-2^62, as
 * Redis does since 7.2.5 and 7.0 did): the double in tsdis_numbuf becomes
 * its text there, with the length at NUMBUF_LEN_AT. Redis 7.2 writes these
 * with fpconv_dtoa: the shortest digits that read back as the same double
 * ("0.1", "1e+21", "4.611686018427388e+18", "inf"), -0 as "-0" (as 7.0 and
 * 7.2.4 do; 7.2.5's integer check made it "0"), and a NaN as "nan" or,
 * sign bit set, "-nan" (what 0/0 gives). See README "Scripting".
 */
export function formatNumArg(vm: Vm): void {
  const b = heap(vm);
  const p = vm.raw!.tsdis_numbuf.value;
  const x = b.readDoubleLE(p);
  const s = x !== x ? ((b[p + 7]! & 0x80) !== 0 ? '-nan' : 'nan') : formatDouble(x);
  b.latin1Write(s, p, s.length);
  putU32(b, p + NUMBUF_LEN_AT, s.length);
}

/**
 * A Lua number argument as text, as redis.call gets it: the engine's own
 * integers (within +-2^62, -0 excepted) as integers, the rest as
 * formatNumArg writes them (a NaN read through JS has lost its sign: "nan").
 */
export function numArgText(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) <= 2 ** 62 && !Object.is(x, -0)) {
    return Number.isSafeInteger(x) ? '' + x : BigInt(x).toString();
  }
  return x !== x ? 'nan' : formatDouble(x);
}

/** LUAI_MAXCSTACK: lua_checkstack fails past this many slots in a C function's frame. */
const LUA_MAX_CSTACK = 8000;
const ERR_STACK_LIMIT = Err.luaStackLimit;
const ERR_NOT_RUNNING = `-${Err.scriptNotRunning}\r\n`;

/** A table being encoded (encodeTable). */
interface EncFrame {
  /** 0: array, 1: map, 2: set. */
  kind: number;
  /** Stack index of the table iterated (the array itself, or its map / set field). */
  t: number;
  /** Stack top to restore when done (below the value). */
  base: number;
  /** Elements (pairs for a map) written so far. */
  n: number;
  /** Where its header is in the wire buffer (the count is patched in at the end). */
  hdr: number;
  /** Array: the next index. */
  j: number;
  /** The value's height on Redis's Lua stack (see encodeTable). */
  h: number;
  /** Map: 1 when the pair's key is written and its value is next. */
  phase: number;
}

const encWire = new WireWriter();

/**
 * The result encoder for tables (the patched engine hands every table it
 * would encode here, see wasm-patch.ts): encodes the table at stack index
 * `idx` as Redis's luaReplyToRedisReply converts it, appends it to the
 * engine's ReplyBuffer at `rb` ({data, len, cap}, grown with the VM's
 * realloc) and leaves 0 in tsdis_encret (-1: out of VM memory).
 *
 * Redis's rules, followed exactly: fields are read raw (a metatable's
 * __index never runs), and a table is, in this order, an error ({err=
 * string}), a status ({ok=string}), a double ({double=number}), a big
 * number ({big_number=string}), a verbatim string ({verbatim_string=
 * {format=string, string=string}}), a map ({map=table}), a set ({set=
 * table}), or else an array up to the first nil; a function, userdata or
 * thread inside is a null. Every value is first checked with
 * lua_checkstack(L, 4) on Redis's stack, where the result sits at height
 * 2 and an array element is one above its table, a set member three, a map
 * value three and a map key four: past LUAI_MAXCSTACK the value becomes
 * the error "reached lua stack limit" (so a table that contains itself
 * gives ~8,000 nested arrays and that error, as redis-server does). The
 * walk keeps its own stack of frames, not JS recursion, and the same
 * values on Lua's stack as Redis's walk, so the depth costs no JS stack
 * and Lua's stack stays within its limit. Nothing here allocates in the
 * Lua heap (the field names are anchored in the registry), so no
 * collection and no __gc can run.
 */
export function encodeTable(vm: Vm, idx: number, rb: number): void {
  const raw = vm.raw!;
  const L = stateOf(vm);
  const top = raw.tsdis_gettop(L);
  const w = encWire;
  w.n = 0;
  let ok = false;
  try {
    raw.tsdis_pushvalue(L, idx);
    const frames: EncFrame[] = [];
    encodeTop(vm, L, 2, frames);
    while (frames.length > 0) {
      const f = frames[frames.length - 1]!;
      if (f.kind === 0) {
        raw.tsdis_rawgeti(L, f.t, f.j);
        if (raw.tsdis_type(L, -1) === LUA_TNIL) {
          endFrame(vm, L, frames);
          continue;
        }
        f.j++;
        f.n++;
        encodeTop(vm, L, f.h + 1, frames);
      } else if (f.kind === 1 && f.phase === 1) {
        f.phase = 0;
        encodeTop(vm, L, f.h + 3, frames); // the value
      } else if (raw.tsdis_next(L, f.t) === 0) {
        endFrame(vm, L, frames);
      } else {
        f.n++;
        if (f.kind === 1) {
          f.phase = 1;
          raw.tsdis_pushvalue(L, -2);
          encodeTop(vm, L, f.h + 4, frames); // a copy of the key
        } else {
          raw.tsdis_settop(L, -2);
          raw.tsdis_pushvalue(L, -1);
          encodeTop(vm, L, f.h + 3, frames); // a copy of the member
        }
      }
    }
    ok = appendReply(vm, rb, w);
  } finally {
    raw.tsdis_settop(L, top);
    if (w.buf.length > 1 << 20) w.buf = Buffer.allocUnsafe(1024);
    raw.tsdis_encret.value = ok ? 0 : -1;
  }
}

/** Patches the count of the innermost frame's header, pops its values off Lua's stack and drops it. */
function endFrame(vm: Vm, L: number, frames: EncFrame[]): void {
  const f = frames.pop()!;
  putU32(encWire.buf, f.hdr + 1, f.n);
  vm.raw!.tsdis_settop(L, f.base);
}

/**
 * Encodes the value on top of Lua's stack, at height `h` on Redis's stack
 * (see encodeTable), and pops it; a table to walk pushes a frame instead
 * (its header is written, its elements come from the loop).
 */
function encodeTop(vm: Vm, L: number, h: number, frames: EncFrame[]): void {
  const raw = vm.raw!;
  const w = encWire;
  if (h + 4 > LUA_MAX_CSTACK) {
    w.str(T_ERROR, ERR_STACK_LIMIT, 0, ERR_STACK_LIMIT.length);
    raw.tsdis_settop(L, -2);
    return;
  }
  switch (raw.tsdis_type(L, -1)) {
    case LUA_TSTRING: {
      const p = raw.tsdis_tolstring(L, -1, vm.lenPtr);
      const b = heap(vm);
      w.bytes(T_BULK, b, p, p + u32At(b, vm.lenPtr));
      break;
    }
    case LUA_TNUMBER: {
      // Redis's (long long) cast on x86-64: out of range and NaN give INT64_MIN.
      const x = raw.tsdis_tonumber(L, -1);
      w.int64(Math.abs(x) < 2 ** 63 ? Math.trunc(x) + 0 : -(2 ** 63));
      break;
    }
    case LUA_TBOOLEAN:
      w.bool(raw.tsdis_toboolean(L, -1) !== 0);
      break;
    case LUA_TTABLE:
      if (encodeTableTop(vm, L, h, frames)) return;
      break;
    default:
      // nil (never: arrays stop there), function, userdata, thread
      w.hdr(T_NULL, 0);
  }
  raw.tsdis_settop(L, -2);
}

/**
 * encodeTop for a table: writes it when it is one of Redis's typed tables
 * and returns false (the caller pops it), or pushes the frame that walks
 * its array / map / set and returns true.
 */
function encodeTableTop(vm: Vm, L: number, h: number, frames: EncFrame[]): boolean {
  const raw = vm.raw!;
  const w = encWire;
  const t = raw.tsdis_gettop(L);
  // Room for what the walk pushes over the table (Redis checks the same at every value).
  if (raw.tsdis_checkstack(L, 4) === 0) {
    w.str(T_ERROR, ERR_STACK_LIMIT, 0, ERR_STACK_LIMIT.length);
    return false;
  }
  let k = raw.tsdis_probe(L, t, 0);
  for (;;) {
    const b = heap(vm);
    switch (k) {
      case 1: // err: Redis copies it as a C string (up to a NUL)
      case 2: {
        // ok
        const p = raw.tsdis_tolstring(L, -1, vm.lenPtr);
        let e = p;
        const end = p + u32At(b, vm.lenPtr);
        while (e < end && b[e] !== 0) e++;
        w.bytes(k === 1 ? T_ERROR : T_STATUS, b, p, e);
        raw.tsdis_settop(L, t);
        return false;
      }
      case 3: // double
        w.double(raw.tsdis_tonumber(L, -1));
        raw.tsdis_settop(L, t);
        return false;
      case 4: {
        // big_number
        const p = raw.tsdis_tolstring(L, -1, vm.lenPtr);
        w.bytes(T_BIG_NUMBER, b, p, p + u32At(b, vm.lenPtr));
        raw.tsdis_settop(L, t);
        return false;
      }
      case 5: {
        // verbatim_string: format and string must both be strings, else on to map
        raw.tsdis_rawgeti(L, LUA_REGISTRYINDEX, REPLY_FIELDS_REF + 7);
        raw.tsdis_rawget(L, t + 1);
        if (raw.tsdis_type(L, -1) === LUA_TSTRING) {
          raw.tsdis_rawgeti(L, LUA_REGISTRYINDEX, REPLY_FIELDS_REF + 8);
          raw.tsdis_rawget(L, t + 1);
          if (raw.tsdis_type(L, -1) === LUA_TSTRING) {
            const fp = raw.tsdis_tolstring(L, -2, vm.lenPtr);
            let fe = fp;
            while (b[fe] !== 0) fe++; // Redis reads the format as a C string
            const sp = raw.tsdis_tolstring(L, -1, vm.lenPtr);
            const sl = u32At(b, vm.lenPtr);
            // The engine's encoding: [u32 format length][format][string].
            w.hdr(T_VERBATIM, 4 + (fe - fp) + sl);
            w.u32(fe - fp);
            w.raw(b, fp, fe);
            w.raw(b, sp, sp + sl);
            raw.tsdis_settop(L, t);
            return false;
          }
        }
        raw.tsdis_settop(L, t);
        k = raw.tsdis_probe(L, t, 5);
        continue;
      }
      case 6: // map
      case 7: {
        // set: walk the field's table with lua_next from a nil key
        frames.push({ kind: k === 6 ? 1 : 2, t: t + 1, base: t - 1, n: 0, hdr: w.n, j: 0, h, phase: 0 });
        w.hdr(k === 6 ? T_MAP : T_SET, 0);
        raw.tsdis_settop(L, t + 2);
        return true;
      }
      default:
        frames.push({ kind: 0, t, base: t - 1, n: 0, hdr: w.n, j: 1, h, phase: 0 });
        w.hdr(T_ARRAY, 0);
        return true;
    }
  }
}

/** Appends w's bytes to the engine's ReplyBuffer at rb ({data, len, cap}); false when the VM is out of memory. */
function appendReply(vm: Vm, rb: number, w: WireWriter): boolean {
  let b = heap(vm);
  let data = u32At(b, rb);
  const len = u32At(b, rb + 4);
  let cap = u32At(b, rb + 8);
  if (len + w.n > cap) {
    cap = Math.max(cap === 0 ? 256 : cap * 2, len + w.n);
    const p = vm.raw!.tsdis_realloc(data, cap);
    if (p === 0) return false;
    b = heap(vm);
    data = p;
    putU32(b, rb, data);
    putU32(b, rb + 8, cap);
  }
  b.set(w.buf.subarray(0, w.n), data + len);
  putU32(b, rb + 4, len + w.n);
  return true;
}

/**
 * Command names scripts called recently, by a hash of their bytes: the
 * same string object comes back for the same name, so the command table's
 * lookup finds it without hashing a fresh string on every call.
 */
const names = new Array<string>(64).fill('');

/** argv[0] of a redis.call: b[o, o + l) as latin1, from `names` when seen before. */
function commandName(b: Buffer, o: number, l: number): string {
  if (l === 0 || l > 24) return latin1Of(b, o, o + l);
  const slot = (l * 31 + b[o]! * 7 + b[o + l - 1]! + (l > 2 ? b[o + 1]! * 3 : 0)) & 63;
  const s = names[slot]!;
  if (s.length === l) {
    let i = 0;
    while (i < l && s.charCodeAt(i) === b[o + i]) i++;
    if (i === l) return s;
  }
  const n = latin1Of(b, o, o + l);
  names[slot] = n;
  return n;
}

/**
 * The redis.call / redis.pcall bridge for one VM (the instance's import,
 * sret ABI: the PtrLen result is written at `ret`): reads the arguments
 * ([u32 count]([u32 len][bytes])*) from the VM's memory as latin1 strings,
 * runs them through the running script's host `h` (lua.ts current), and translates the RESP
 * reply straight into the engine's reply encoding, in memory the engine
 * frees. Whether an error reply raises is the engine's business
 * (redis.call raises, redis.pcall returns it).
 */
export function hostCallRaw(vm: Vm, h: ScriptHost | null, ret: number, ptr: number): void {
  let b = heap(vm);
  const count = u32At(b, ptr);
  const argv = new Array<string>(count);
  let o = ptr + 4;
  for (let i = 0; i < count; i++) {
    const l = u32At(b, o);
    o += 4;
    argv[i] = i === 0 ? commandName(b, o, l) : latin1Of(b, o, o + l);
    o += l;
  }
  const resp = h === null ? ERR_NOT_RUNNING : h.call(argv);
  if (simpleReply(vm, resp, ret)) return;
  wire.n = 0;
  cursor.s = resp;
  cursor.pos = 0;
  respToWire(cursor, wire);
  cursor.s = '';
  let p = replyBuf(vm, wire.n);
  if (p === 0 && vm.replyPtr !== 0) {
    // The VM's heap is full: the script gets an error instead of the reply (it fits the scratch).
    wire.n = 0;
    wire.str(T_ERROR, Err.vmNoMem, 0, Err.vmNoMem.length);
    p = vm.replyPtr;
  }
  const n = wire.n;
  b = heap(vm);
  const w = wire.buf;
  if (n <= 64) for (let i = 0; i < n; i++) b[p + i] = w[i]!;
  else b.set(w.subarray(0, n), p);
  if (w.length > 1 << 20) wire.buf = Buffer.allocUnsafe(1024);
  putU32(b, ret, p);
  putU32(b, ret + 4, n);
}

/** Where a redis.call reply of n bytes goes: the scratch buffer, or memory the engine frees. */
function replyBuf(vm: Vm, n: number): number {
  return n <= REPLY_SCRATCH && vm.replyPtr !== 0 ? vm.replyPtr : vm.mem.alloc(n);
}

/**
 * The common replies (a status, a small integer, a short bulk string)
 * encoded straight into VM memory, without the WireWriter and the copy;
 * false for anything else (respToWire's business). Same encoding.
 */
function simpleReply(vm: Vm, resp: string, ret: number): boolean {
  const t = resp.charCodeAt(0);
  let tag: number;
  let from: number;
  let len: number;
  if (t === 58) {
    // ":<int>\r\n", up to 9 digits
    const v = smallInt(resp, 1, resp.length - 2);
    if (v !== v) return false;
    const p = replyBuf(vm, 13);
    const b = heap(vm);
    b[p] = T_INT;
    putU32(b, p + 1, 8);
    putU32(b, p + 5, v);
    putU32(b, p + 9, v < 0 ? -1 : 0);
    putU32(b, ret, p);
    putU32(b, ret + 4, 13);
    return true;
  }
  if (t === 43) {
    // "+<status>\r\n"
    tag = T_STATUS;
    from = 1;
    len = resp.length - 3;
    if (resp.indexOf('\r', 1) !== resp.length - 2) return false;
  } else if (t === 36) {
    // "$<n>\r\n<bytes>\r\n"
    const end = lineEnd(resp, 1);
    if (end < 0 || resp.charCodeAt(1) === 45) return false;
    len = numAt(resp, 1, end);
    from = end + 2;
    if (from + len + 2 !== resp.length || len > 64) return false;
    tag = T_BULK;
  } else return false;
  const p = replyBuf(vm, 5 + len);
  const b = heap(vm);
  b[p] = tag;
  putU32(b, p + 1, len);
  for (let i = 0; i < len; i++) b[p + 5 + i] = resp.charCodeAt(from + i);
  putU32(b, ret, p);
  putU32(b, ret + 4, 5 + len);
  return true;
}
