/**
 * The Lua VM: Redis's own Lua 5.1 (with cjson, cmsgpack, bit and struct and
 * Redis's sandbox: read-only globals, no os/io/loadfile/dofile/require/debug)
 * compiled to WebAssembly, from the `lua-redis-wasm` package. See README
 * "Scripting" for why this VM and not wasmoon or fengari.
 *
 * One VM serves every server in the process: a script cannot keep state
 * between runs (the globals are read-only), and runs never nest (EVAL and
 * FCALL are `noscript`), so the VM's host callbacks are routed to whichever
 * script is running now (`current`). Loading the WebAssembly is asynchronous;
 * it happens at import time (top-level await), so running a script is
 * synchronous: the whole script runs inside one command, atomically.
 *
 * The VM's heap is a fixed 64 MB (the package is built without memory
 * growth): a script that allocates past it aborts the WebAssembly instance.
 * That run gets an error reply, the instance is retired, and a fresh one is
 * loaded in the background; scripts run meanwhile are refused with an error
 * (see `retire`). Cached scripts re-enter the new VM on their next run.
 *
 * This file also holds the two reply conversions: a command's RESP reply
 * (as the writer produced it) to the VM's value for Lua, and the script's
 * result back to the caller's Reply.
 */
import { load, type ReplyValue, type RedisHost } from 'lua-redis-wasm';
import { REDIS_VERSION } from '../version.js';
import type { Reply } from '../protocol/writer.js';
import { ReplyError } from '../protocol/errors.js';

export type { ReplyValue } from 'lua-redis-wasm';

/** What a running script asks of its host (the script runner in scripts.ts). */
export interface ScriptHost {
  /**
   * redis.call / redis.pcall with the arguments as latin1 strings; returns
   * the command's reply as RESP (latin1), as the writer produced it.
   */
  call(argv: string[]): string;
  /** redis.setresp(2|3). */
  setResp(v: 2 | 3): void;
  /** redis.log(level, message). */
  log(level: number, message: string): void;
}

let current: ScriptHost | null = null;

function versionNum(v: string): number {
  const [a = 0, b = 0, c = 0] = v.split('.').map(Number);
  return (a << 16) | (b << 8) | c;
}

const host: RedisHost = {
  redisCall: (args) => hostCall(args),
  redisPcall: (args) => hostCall(args),
  log: (level, message) => current?.log(level, message.latin1Slice(0, message.length)),
  onSetResp: (v) => current?.setResp(v),
};

/** The engine's own (slower) path, used only if the fast bridge below cannot be installed. */
function hostCall(args: Buffer[]): ReplyValue {
  const argv = new Array<string>(args.length);
  for (let i = 0; i < args.length; i++) argv[i] = args[i]!.latin1Slice(0, args[i]!.length);
  return respToLua(current === null ? '-ERR no script is running\r\n' : current.call(argv));
}

/**
 * The engine's internals (lua-redis-wasm 1.5.0, pinned) that tsdis uses to
 * go around its slow paths: evalWithArgs hashes the script in JS (SHA-1) and
 * copies it into the VM's memory on every run, and its redis.call path
 * copies every argument into a Buffer and re-encodes the reply with
 * Buffer.concat per value. Falls back to the public API if they change.
 */
interface WasmExports {
  HEAPU8: Uint8Array;
  _alloc(n: number): number;
  _free_mem(p: number): void;
}
interface EngineInternals {
  exports: WasmExports;
  callEvalWithArgs(sp: number, sl: number, ap: number, al: number, nkeys: number): unknown;
  decodeResult(r: unknown, sha: string): ReplyValue;
}
interface ModuleInternals {
  exports: WasmExports;
  handlers: { call: (...a: number[]) => unknown; pcall: (...a: number[]) => unknown };
}

/** One instance of the VM. `gen` tells chunks made in an older (retired) one. */
interface Vm {
  gen: number;
  engine: { evalWithArgs(script: Buffer, keys: Buffer[], args: Buffer[]): ReplyValue };
  internals: EngineInternals;
  fast: boolean;
}

let nextGen = 1;

async function newVm(): Promise<Vm> {
  const mod = await load({
    profile: 'redis-7.2',
    // The package's default fuel limit kills a script after ~10M
    // instructions; Redis lets scripts run to their end.
    limits: { maxFuel: Number.MAX_SAFE_INTEGER },
    redisProps: {
      REDIS_VERSION: { value: REDIS_VERSION },
      REDIS_VERSION_NUM: { value: versionNum(REDIS_VERSION) },
      REPL_NONE: { value: 0 },
      REPL_AOF: { value: 1 },
      REPL_SLAVE: { value: 2 },
      REPL_REPLICA: { value: 2 },
      REPL_ALL: { value: 3 },
      // Effects replication is the only mode since Redis 7: these are no-ops.
      replicate_commands: { returns: true },
      set_repl: { returns: null },
      breakpoint: { returns: false },
      debug: { returns: null },
      acl_check_cmd: { returns: true },
    },
  });
  const engine = mod.create(host);
  const internals = engine as unknown as EngineInternals;
  const mi = mod as unknown as ModuleInternals;
  const fast =
    typeof internals.callEvalWithArgs === 'function' &&
    typeof internals.decodeResult === 'function' &&
    internals.exports?._alloc !== undefined &&
    mi.handlers !== undefined &&
    typeof mi.handlers.call === 'function';
  if (fast) {
    const bridge = fastHostCall(mi.exports);
    mi.handlers.call = bridge;
    mi.handlers.pcall = bridge;
  }
  return { gen: nextGen++, engine, internals, fast };
}

let active: Vm | null = await newVm();

/**
 * Drops an instance that aborted (out of memory) and loads a fresh one in
 * the background. Until it is ready, running a script is refused.
 */
function retire(vm: Vm): void {
  if (active !== vm) return;
  active = null;
  newVm().then(
    (v) => {
      active = v;
    },
    () => {
      // Leave scripting unavailable; every run says so.
    },
  );
}

/** WebAssembly.RuntimeError (not in the TypeScript libs this project uses). */
const WasmRuntimeError = (globalThis as unknown as { WebAssembly: { RuntimeError: new () => Error } }).WebAssembly.RuntimeError;

const ERR_VM_RESTARTING = 'ERR the script VM ran out of memory and is restarting, try again';
const ERR_VM_OOM = 'ERR the script ran out of memory (the script VM has a fixed 64 MB heap)';

const T_NULL = 0x00;
const T_INT = 0x01;
const T_BULK = 0x02;
const T_ARRAY = 0x03;
const T_STATUS = 0x04;
const T_ERROR = 0x05;
const T_BOOL = 0x07;
const T_DOUBLE = 0x08;
const T_MAP = 0x09;
const T_SET = 0x0a;
const T_BIG_NUMBER = 0x0b;
const T_VERBATIM = 0x0c;

/** Builds one reply in the engine's encoding. */
class WireWriter {
  buf = Buffer.allocUnsafe(1024);
  n = 0;
  private room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const b = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.n + k));
    this.buf.copy(b, 0, 0, this.n);
    this.buf = b;
  }
  hdr(tag: number, x: number): void {
    this.room(5);
    this.buf[this.n] = tag;
    this.buf.writeUInt32LE(x, this.n + 1);
    this.n += 5;
  }
  str(tag: number, s: string, from: number, to: number): void {
    const len = to - from;
    this.hdr(tag, len);
    this.room(len);
    this.n += this.buf.latin1Write(from === 0 && to === s.length ? s : s.slice(from, to), this.n, len);
  }
  int(line: string): void {
    this.hdr(T_INT, 8);
    this.room(8);
    const v = Number(line);
    if (v >= -0x80000000 && v <= 0x7fffffff) {
      this.buf.writeInt32LE(v, this.n);
      this.buf.writeInt32LE(v < 0 ? -1 : 0, this.n + 4);
    } else this.buf.writeBigInt64LE(BigInt(line), this.n);
    this.n += 8;
  }
  double(x: number): void {
    this.hdr(T_DOUBLE, 8);
    this.room(8);
    this.buf.writeDoubleLE(x, this.n);
    this.n += 8;
  }
  bool(b: boolean): void {
    this.hdr(T_BOOL, 1);
    this.room(1);
    this.buf[this.n++] = b ? 1 : 0;
  }
}

const wire = new WireWriter();

/** Translates the RESP reply at c.pos into the engine's encoding. */
function respToWire(c: RespCursor, w: WireWriter): void {
  const s = c.s;
  const t = s[c.pos];
  const end = s.indexOf('\r\n', c.pos);
  const from = c.pos + 1;
  c.pos = end + 2;
  switch (t) {
    case '+':
      return w.str(T_STATUS, s, from, end);
    case '-':
      return w.str(T_ERROR, s, from, end);
    case ':':
      return w.int(s.slice(from, end));
    case '$': {
      const n = Number(s.slice(from, end));
      if (n < 0) return w.hdr(T_NULL, 0);
      w.str(T_BULK, s, c.pos, c.pos + n);
      c.pos += n + 2;
      return;
    }
    case '*':
    case '~':
    case '>': {
      const n = Number(s.slice(from, end));
      if (n < 0) return w.hdr(T_NULL, 0);
      w.hdr(t === '~' ? T_SET : T_ARRAY, n);
      for (let i = 0; i < n; i++) respToWire(c, w);
      return;
    }
    case '%': {
      const n = Number(s.slice(from, end));
      w.hdr(T_MAP, n);
      for (let i = 0; i < 2 * n; i++) respToWire(c, w);
      return;
    }
    case '_':
      return w.hdr(T_NULL, 0);
    case ',': {
      const line = s.slice(from, end);
      return w.double(line === 'inf' ? Infinity : line === '-inf' ? -Infinity : Number(line));
    }
    case '#':
      return w.bool(s[from] === 't');
    case '(':
      return w.str(T_BIG_NUMBER, s, from, end);
    case '=': {
      const n = Number(s.slice(from, end));
      const body = s.slice(c.pos, c.pos + n);
      c.pos += n + 2;
      // [u32 format length][format][string]
      const fmt = body.slice(0, 3);
      const tmp = Buffer.allocUnsafe(4);
      tmp.writeUInt32LE(fmt.length, 0);
      const payload = tmp.latin1Slice(0, 4) + fmt + body.slice(4);
      w.str(T_VERBATIM, payload, 0, payload.length);
      return;
    }
    default:
      throw new Error(`unexpected reply type ${JSON.stringify(t)}`);
  }
}

/**
 * The fast redis.call / redis.pcall bridge for one VM: reads the arguments
 * from the VM's memory as latin1 strings and translates the RESP reply
 * straight into the engine's reply encoding ([tag u8][u32 LE count or
 * length][payload], tags as in lua-redis-wasm 1.5.0's ABI). Installed by
 * replacing the module's call/pcall handlers, which its imports delegate to.
 */
function fastHostCall(ex: WasmExports): (...a: number[]) => unknown {
  return (...a: number[]): unknown => {
    const hasRet = a.length >= 3;
    const ptr = (hasRet ? a[1] : a[0])!;
    const heap = ex.HEAPU8;
    const b = Buffer.from(heap.buffer, heap.byteOffset, heap.byteLength);
    const count = b.readUInt32LE(ptr);
    const argv = new Array<string>(count);
    let o = ptr + 4;
    for (let i = 0; i < count; i++) {
      const l = b.readUInt32LE(o);
      o += 4;
      argv[i] = b.latin1Slice(o, o + l);
      o += l;
    }
    const resp = current === null ? '-ERR no script is running\r\n' : current.call(argv);
    wire.n = 0;
    respToWire({ s: resp, pos: 0 }, wire);
    const n = wire.n;
    const p = ex._alloc(n);
    // _alloc may have replaced the heap's views: read HEAPU8 again.
    ex.HEAPU8.set(wire.buf.subarray(0, n), p);
    if (wire.buf.length > 1 << 20) wire.buf = Buffer.allocUnsafe(1024);
    if (hasRet) {
      const h = ex.HEAPU8;
      const view = new DataView(h.buffer, h.byteOffset);
      view.setUint32(a[0]!, p, true);
      view.setUint32(a[0]! + 4, n, true);
      return undefined;
    }
    return (BigInt(n) << 32n) | BigInt(p >>> 0);
  };
}

/** A script's bytes, resident in the VM's memory while the script is cached (see freeChunk). */
export interface Chunk {
  body: string;
  ptr: number;
  len: number;
  /** The VM the bytes live in (0: none yet). */
  gen: number;
}

/** A chunk for `body`; its bytes enter the VM on its first run. */
export function makeChunk(body: string): Chunk {
  return { body, ptr: 0, len: 0, gen: 0 };
}

/** Puts the chunk's bytes into `vm` (again, if it was made for a retired one). */
function residentIn(vm: Vm, c: Chunk): void {
  if (c.gen === vm.gen && c.ptr !== 0) return;
  const len = Buffer.byteLength(c.body, 'latin1');
  const ex = vm.internals.exports;
  const ptr = ex._alloc(Math.max(1, len));
  const heap = ex.HEAPU8;
  Buffer.from(heap.buffer, heap.byteOffset, heap.byteLength).latin1Write(c.body, ptr, len);
  c.ptr = ptr;
  c.len = len;
  c.gen = vm.gen;
}

/** Releases a chunk's VM memory (SCRIPT FLUSH, FUNCTION DELETE). */
export function freeChunk(c: Chunk): void {
  if (c.ptr !== 0 && active !== null && c.gen === active.gen) active.internals.exports._free_mem(c.ptr);
  c.ptr = 0;
  c.gen = 0;
}

/**
 * Runs a chunk with KEYS and ARGV (latin1 strings) and returns its result as
 * the VM reports it: an error result carries `meta` when the script failed
 * (as opposed to returning an error value). `h` serves redis.call & co. for
 * the duration of the run. Throws a ReplyError when the VM is restarting.
 */
export function runChunk(chunk: Chunk, keys: string[], args: string[], h: ScriptHost): ReplyValue {
  const vm = active;
  if (vm === null) throw new ReplyError(ERR_VM_RESTARTING);
  const prev = current;
  current = h;
  try {
    if (!vm.fast) return vm.engine.evalWithArgs(Buffer.from(chunk.body, 'latin1'), keys.map(latin1Buf), args.map(latin1Buf));
    residentIn(vm, chunk);
    const ex = vm.internals.exports;
    let total = 4;
    for (const k of keys) total += 4 + k.length;
    for (const a of args) total += 4 + a.length;
    const ap = ex._alloc(total);
    const heap = ex.HEAPU8;
    const b = Buffer.from(heap.buffer, heap.byteOffset, heap.byteLength);
    let o = ap;
    b.writeUInt32LE(keys.length + args.length, o);
    o += 4;
    for (const list of [keys, args]) {
      for (const s of list) {
        b.writeUInt32LE(s.length, o);
        o += 4;
        o += b.latin1Write(s, o, s.length);
      }
    }
    try {
      return vm.internals.decodeResult(vm.internals.callEvalWithArgs(chunk.ptr, chunk.len, ap, total, keys.length), '');
    } finally {
      ex._free_mem(ap);
    }
  } catch (e) {
    // The instance aborted (its heap is full): it cannot be trusted again.
    if (e instanceof WasmRuntimeError) {
      retire(vm);
      throw new ReplyError(ERR_VM_OOM);
    }
    throw e;
  } finally {
    current = prev;
  }
}

const latin1Buf = (s: string): Buffer => Buffer.from(s, 'latin1');

const CHECKER = makeChunk('local f, e = loadstring(ARGV[1], ARGV[2]) if f then return 1 end return {err = e}');

/** A host that refuses every redis.call: for compiling only. */
const NO_HOST: ScriptHost = {
  call: () => '-ERR not running\r\n',
  setResp: () => {},
  log: () => {},
};

/**
 * Compiles `body` without running it; returns the Lua error message
 * ("user_script:1: '=' expected near '1'") or null when it compiles.
 */
export function compileError(body: string, chunkName = '@user_script'): string | null {
  const r = runChunk(CHECKER, [], [body, chunkName], NO_HOST);
  if (r !== null && typeof r === 'object' && 'err' in r) return errText(r);
  return null;
}

/** The text of an error value: its code (when split off) and message. */
export function errText(r: { err: Buffer; code?: Buffer }): string {
  const msg = r.err.latin1Slice(0, r.err.length);
  return r.code !== undefined ? r.code.latin1Slice(0, r.code.length) + ' ' + msg : msg;
}

/**
 * Decodes one RESP2/RESP3 reply from `s` (latin1, as the writer produced it)
 * into the VM's value for Lua: status -> {ok}, error -> {err}, nulls -> null,
 * doubles -> {double}, maps -> {map}, and so on.
 */
export function respToLua(s: string): ReplyValue {
  const st = { s, pos: 0 };
  return readValue(st);
}

interface RespCursor {
  s: string;
  pos: number;
}

function readLine(c: RespCursor): string {
  const end = c.s.indexOf('\r\n', c.pos);
  const line = c.s.slice(c.pos + 1, end);
  c.pos = end + 2;
  return line;
}

function readValue(c: RespCursor): ReplyValue {
  const t = c.s[c.pos];
  const line = readLine(c);
  switch (t) {
    case '+':
      return { ok: Buffer.from(line, 'latin1') };
    case '-':
      return { err: Buffer.from(line, 'latin1') };
    case ':': {
      const n = Number(line);
      return Number.isSafeInteger(n) ? n : BigInt(line);
    }
    case '$': {
      const n = Number(line);
      if (n < 0) return null;
      const v = Buffer.from(c.s.slice(c.pos, c.pos + n), 'latin1');
      c.pos += n + 2;
      return v;
    }
    case '=': {
      const n = Number(line);
      const raw = c.s.slice(c.pos, c.pos + n);
      c.pos += n + 2;
      return { verbatim_string: { format: Buffer.from(raw.slice(0, 3), 'latin1'), string: Buffer.from(raw.slice(4), 'latin1') } };
    }
    case '*':
    case '~':
    case '>': {
      const n = Number(line);
      if (n < 0) return null;
      const a: ReplyValue[] = new Array(n);
      for (let i = 0; i < n; i++) a[i] = readValue(c);
      return t === '~' ? { set: a } : a;
    }
    case '%': {
      const n = Number(line);
      const m: [ReplyValue, ReplyValue][] = new Array(n);
      for (let i = 0; i < n; i++) {
        const k = readValue(c);
        m[i] = [k, readValue(c)];
      }
      return { map: m };
    }
    case '_':
      return null;
    case ',':
      return { double: line === 'inf' ? Infinity : line === '-inf' ? -Infinity : Number(line) };
    case '#':
      return line === 't';
    case '(':
      return { big_number: Buffer.from(line, 'latin1') };
    default:
      throw new Error(`unexpected reply type ${JSON.stringify(t)}`);
  }
}

/**
 * Writes a script's result to the caller's reply, in the caller's protocol
 * (a RESP3 map becomes a flat array for a RESP2 caller, as in Redis).
 */
export function luaToReply(v: ReplyValue, reply: Reply): void {
  if (v === null) return reply.null();
  switch (typeof v) {
    case 'number':
    case 'bigint':
      return reply.int(v);
    case 'boolean':
      return reply.bool(v);
  }
  if (Buffer.isBuffer(v)) return reply.bulk(v);
  if (Array.isArray(v)) {
    reply.array(v.length);
    for (const e of v) luaToReply(e, reply);
    return;
  }
  if ('ok' in v) return reply.simple(v.ok.latin1Slice(0, v.ok.length).replace(/[\r\n]/g, ' '));
  if ('err' in v) return reply.error(errText(v));
  if ('double' in v) return reply.double(v.double);
  if ('big_number' in v) return reply.bigNumber(v.big_number.latin1Slice(0, v.big_number.length));
  if ('verbatim_string' in v) {
    const { format, string } = v.verbatim_string;
    return reply.verbatim(string.latin1Slice(0, string.length), format.latin1Slice(0, format.length));
  }
  if ('map' in v) {
    reply.map(v.map.length);
    for (const [k, e] of v.map) {
      luaToReply(k, reply);
      luaToReply(e, reply);
    }
    return;
  }
  if ('set' in v) {
    reply.set(v.set.length);
    for (const e of v.set) luaToReply(e, reply);
    return;
  }
  reply.null();
}

/** Bytes the Lua heap uses (INFO used_memory_lua / used_memory_vm_eval), as Lua counts them. */
export function vmMemoryBytes(): number {
  if (active === null) return 0;
  const r = runChunk(GC_COUNT, [], [], NO_HOST);
  return typeof r === 'number' ? r : 0;
}
const GC_COUNT = makeChunk("return math.floor(collectgarbage('count') * 1024)");
