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
 * Speed (measured with bench/micro/scripting.ts): the engine is loaded from
 * a binary patched at load time (wasm-patch.ts, pinned to the package's
 * build by SHA-256, with the unpatched paths below as the fallback), so a
 * script is compiled once per VM and kept in the Lua registry, instead of
 * on every run (compiling was ~half of a short script's run). redis.call
 * crosses straight from the instance's import to the script's host, with
 * arguments read from and replies written to the VM's memory without the
 * package's Buffers, and a plain script result (no error in it) is written
 * straight to the caller's Reply.
 *
 * Long scripts: the patched engine calls the running script's host every
 * 1000 Lua instructions (ScriptHost.tick); scripts.ts uses it for
 * busy-reply-threshold, serving other clients and SCRIPT KILL. A kill is a
 * Lua error raised by the engine's hook, so the VM stays usable.
 *
 * This file also holds the two reply conversions: a command's RESP reply
 * (as the writer produced it) to the VM's value for Lua, and the script's
 * result back to the caller's Reply.
 */
import { load, type ReplyValue, type RedisHost } from 'lua-redis-wasm';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  CACHED_LEN,
  G_STATE_ADDR,
  HOOK_STEP,
  L_BASEHOOKCOUNT,
  L_HOOKCOUNT,
  LUA_REGISTRYINDEX,
  NAME_USER_SCRIPT,
  RESP_ADDR,
  TICK_LEVEL,
  patchEngine,
  type PatchExports,
} from './wasm-patch.js';
import { REDIS_VERSION } from '../version.js';
import type { Reply } from '../protocol/writer.js';
import { ReplyError } from '../protocol/errors.js';
import { formatDouble } from '../util/numbers.js';

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
  /**
   * Called every 1000 Lua instructions while the script runs (patched
   * engine only, see wasm-patch.ts): may serve other clients; returns true
   * to end the script (SCRIPT KILL, shutdown). Once it returned true, the
   * script gets a Lua error at every later tick (a pcall cannot keep it
   * alive) until the run ends.
   */
  tick(): boolean;
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
  onSetResp: (v) => {
    respNow = v;
    current?.setResp(v);
  },
};

/**
 * The running script's protocol (redis.setresp; 2 at the start of a run).
 * The patched engine (wasm-patch.ts, RESP_ADDR) always encodes a result in
 * RESP3 mode, because lua-redis-wasm 1.5.0 converts typed tables
 * ({double=}, {map=}, {set=}, {big_number=}) only then, while Redis converts
 * them whatever the script's protocol. The one thing that protocol changes
 * in Redis is how a boolean is returned (RESP2: true is 1, false is nil),
 * which writeWire and fixDecoded do from this.
 */
let respNow: 2 | 3 = 2;

/** The engine's own (slower) path, used only if the fast bridge below cannot be installed. */
function hostCall(args: Buffer[]): ReplyValue {
  const argv = new Array<string>(args.length);
  for (let i = 0; i < args.length; i++) argv[i] = args[i]!.latin1Slice(0, args[i]!.length);
  return respToLua(current === null ? '-ERR no script is running\r\n' : current.call(argv));
}

/**
 * The engine's internals (lua-redis-wasm 1.5.0, pinned) that tsdis uses to
 * go around its slow paths when the binary patch (wasm-patch.ts) does not
 * apply: evalWithArgs hashes the script in JS (SHA-1) and copies it into
 * the VM's memory on every run, and its redis.call path copies every
 * argument into a Buffer and re-encodes the reply with Buffer.concat per
 * value. Falls back to the public API if they change.
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

/**
 * The patched instance's exports, called directly (no Emscripten wrapper):
 * the engine's own plus the patch's (wasm-patch.ts).
 */
interface RawExports extends PatchExports {
  memory: { buffer: ArrayBuffer };
  alloc(n: number): number;
  free_mem(p: number): void;
  /** eval_with_args with its PtrLen result written at `ret` (the sret ABI). */
  eval_with_args(ret: number, sp: number, sl: number, ap: number, al: number, nkeys: number): void;
}

/**
 * How tsdis reaches one VM's memory and entry points: the patched
 * instance's raw exports, or the Emscripten module's (unpatched binary).
 */
interface Mem {
  /** A view of the whole linear memory (fixed size: it never grows). */
  buf: Buffer;
  alloc(n: number): number;
  free(p: number): void;
}

/** One instance of the VM. `gen` tells chunks made in an older (retired) one. */
interface Vm {
  gen: number;
  engine: { evalWithArgs(script: Buffer, keys: Buffer[], args: Buffer[]): ReplyValue };
  internals: EngineInternals;
  /** The fast paths (internals reachable); false: the public API only. */
  fast: boolean;
  mem: Mem;
  /** The patched binary's exports, or null: compile on every run. */
  raw: RawExports | null;
  /** 8 bytes for eval_with_args' PtrLen result (patched VM). */
  retPtr: number;
  /** ARGS_SCRATCH bytes for small KEYS/ARGV (0: none). */
  argsPtr: number;
  /** REPLY_SCRATCH bytes the engine's free() leaves alone, for redis.call replies (0: none). */
  replyPtr: number;
  /** Registry slots free for compiled chunks. */
  freeRefs: number[];
  nextRef: number;
  /** Source bytes of the chunks kept compiled (bounded by CACHE_BYTES). */
  cachedBytes: number;
  /** The C string the count hook raises to end a killed script (patched VM; 0: none). */
  killPtr: number;
}

let nextGen = 1;

/** Size of a VM's scratch area for KEYS/ARGV. */
const ARGS_SCRATCH = 4096;
/** Size of a patched VM's scratch area for redis.call replies. */
const REPLY_SCRATCH = 16384;

/** The engine's binary with the compiled-chunk patch, or null (not the pinned build, or unreadable). */
const patchedWasm: Uint8Array | null = (() => {
  try {
    const req = createRequire(import.meta.url);
    const file = path.join(path.dirname(req.resolve('lua-redis-wasm')), 'redis_lua.wasm');
    return patchEngine(readFileSync(file));
  } catch {
    return null;
  }
})();

interface WasmApi {
  instantiate(src: unknown, imports: unknown): Promise<{ instance?: { exports: Record<string, unknown> } }>;
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

type HostCallImport = (ret: number, ptr: number, len: number) => void;

/**
 * load() with the patched binary; returns the module and the instance's
 * raw exports. The package does not hand out its instance, so its
 * WebAssembly.instantiate call is watched for the duration of the load;
 * the watch also points the instance's redis.call / redis.pcall imports
 * straight at `bridge` (the package's wrappers spread their arguments),
 * and routes the count hook's ticks (host_redis_log at level TICK_LEVEL,
 * see wasm-patch.ts) to `tick`.
 */
async function loadPatched(opts: Parameters<typeof load>[0], bridge: HostCallImport, tick: () => void): Promise<[Awaited<ReturnType<typeof load>>, RawExports | null]> {
  if (patchedWasm === null) return [await load(opts), null];
  const orig = WA.instantiate;
  let ex: Record<string, unknown> | null = null;
  const watch = async (src: unknown, imports: unknown) => {
    if (src !== patchedWasm) return orig.call(WA, src, imports);
    const env = (imports as { env?: Record<string, unknown> }).env;
    if (env !== undefined && typeof env['host_redis_call'] === 'function' && typeof env['host_redis_pcall'] === 'function') {
      env['host_redis_call'] = bridge;
      env['host_redis_pcall'] = bridge;
    }
    // redis.setresp stores the new version, then calls this: put the engine back to RESP3 (see respNow).
    const setresp = env?.['host_redis_setresp'];
    if (env !== undefined && typeof setresp === 'function') {
      env['host_redis_setresp'] = (v: number): unknown => {
        const m = ex?.['memory'] as { buffer: ArrayBuffer } | undefined;
        if (m !== undefined) new Uint32Array(m.buffer, RESP_ADDR, 1)[0] = 3;
        return setresp(v);
      };
    }
    const log = env?.['host_redis_log'];
    if (env !== undefined && typeof log === 'function') {
      env['host_redis_log'] = (level: number, ptr: number, len: number): unknown => (level === TICK_LEVEL && ptr === 0 ? tick() : log(level, ptr, len));
    }
    const r = await orig.call(WA, src, imports);
    if (r.instance !== undefined) ex = r.instance.exports;
    return r;
  };
  WA.instantiate = watch;
  let mod: Awaited<ReturnType<typeof load>>;
  try {
    mod = await load({ ...opts, wasmBytes: patchedWasm });
  } finally {
    if (WA.instantiate === watch) WA.instantiate = orig;
  }
  const e = ex as Record<string, unknown> | null;
  const names = ['tsdis_load', 'tsdis_rawseti', 'tsdis_gettop', 'tsdis_settop', 'tsdis_call', 'alloc', 'free_mem', 'eval_with_args'];
  const ok =
    e !== null &&
    names.every((k) => typeof e[k] === 'function') &&
    typeof e['memory'] === 'object' &&
    typeof e['tsdis_scratch'] === 'object' &&
    typeof e['tsdis_kill'] === 'object';
  return [mod, ok ? (e as unknown as RawExports) : null];
}

async function newVm(): Promise<Vm> {
  // The VM the bridge serves; set once loaded (no script runs before).
  let self: Vm | null = null;
  const bridge: HostCallImport = (ret, ptr) => hostCallRaw(self!, ret, ptr);
  // The count hook's tick: the running script's host decides; a kill arms the hook's error.
  const tick = (): void => {
    const vm = self;
    if (current !== null && vm !== null && vm.raw !== null && current.tick()) vm.raw.tsdis_kill.value = vm.killPtr;
  };
  const [mod, raw] = await loadPatched(
    {
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
    },
    bridge,
    tick,
  );
  const engine = mod.create(host);
  const internals = engine as unknown as EngineInternals;
  const mi = mod as unknown as ModuleInternals;
  const fast =
    typeof internals.callEvalWithArgs === 'function' &&
    typeof internals.decodeResult === 'function' &&
    internals.exports?._alloc !== undefined &&
    mi.handlers !== undefined &&
    typeof mi.handlers.call === 'function';
  let mem: Mem;
  if (raw !== null) {
    mem = { buf: Buffer.from(raw.memory.buffer), alloc: (n) => raw.alloc(n), free: (p) => raw.free_mem(p) };
  } else {
    const ex = internals.exports;
    const h = ex.HEAPU8;
    mem = { buf: Buffer.from(h.buffer, h.byteOffset, h.byteLength), alloc: (n) => ex._alloc(n), free: (p) => ex._free_mem(p) };
  }
  const vm: Vm = { gen: nextGen++, engine, internals, fast, mem, raw: fast ? raw : null, retPtr: 0, argsPtr: 0, replyPtr: 0, freeRefs: [], nextRef: 1 << 20, cachedBytes: 0, killPtr: 0 };
  if (fast) vm.argsPtr = mem.alloc(ARGS_SCRATCH);
  if (vm.raw !== null) {
    vm.retPtr = vm.raw.alloc(8);
    vm.replyPtr = vm.raw.alloc(REPLY_SCRATCH);
    vm.raw.tsdis_scratch.value = vm.replyPtr;
    // The Lua error a killed script gets (the caller's reply is written by the host, see scripts.ts).
    const msg = 'Script killed by user with SCRIPT KILL...';
    vm.killPtr = vm.raw.alloc(msg.length + 1);
    mem.buf.latin1Write(msg + '\0', vm.killPtr, msg.length + 1);
  }
  else if (fast) {
    // Unpatched: the module's own imports delegate to these handlers.
    const legacy = (...a: number[]): unknown => {
      if (a.length >= 3) return hostCallRaw(vm, a[0]!, a[1]!);
      throw new Error('unexpected redis.call ABI');
    };
    mi.handlers.call = legacy;
    mi.handlers.pcall = legacy;
  }
  self = vm;
  return vm;
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

// The engine's reply encoding: [tag u8][u32 LE count or length][payload].
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
    const b = this.buf;
    const n = this.n;
    b[n] = tag;
    b[n + 1] = x;
    b[n + 2] = x >>> 8;
    b[n + 3] = x >>> 16;
    b[n + 4] = x >>> 24;
    this.n = n + 5;
  }
  str(tag: number, s: string, from: number, to: number): void {
    const len = to - from;
    this.hdr(tag, len);
    this.room(len);
    const b = this.buf;
    let n = this.n;
    if (len <= 16) {
      for (let i = from; i < to; i++) b[n++] = s.charCodeAt(i);
      this.n = n;
    } else this.n += b.latin1Write(s.slice(from, to), n, len);
  }
  /** An integer reply from its decimal text s[from, to). */
  int(s: string, from: number, to: number): void {
    this.hdr(T_INT, 8);
    this.room(8);
    const b = this.buf;
    const n = this.n;
    this.n = n + 8;
    const v = smallInt(s, from, to);
    if (v === v) {
      putU32(b, n, v);
      putU32(b, n + 4, v < 0 ? -1 : 0);
      return;
    }
    b.writeBigInt64LE(BigInt(s.slice(from, to)), n);
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
/** The bridge's reply cursor (reused: runs and calls never nest). */
const cursor: RespCursor = { s: '', pos: 0 };

/**
 * The integer written in s[from, to) when it has 1 to 9 digits (exact in an
 * int32: parsed without a substring), else NaN.
 */
function smallInt(s: string, from: number, to: number): number {
  let i = from;
  const neg = s.charCodeAt(i) === 45;
  if (neg) i++;
  if (to - i < 1 || to - i > 9) return NaN;
  let v = 0;
  for (; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  return neg ? -v : v;
}

/** Position of the "\r\n" ending the line that starts at `from`. */
function lineEnd(s: string, from: number): number {
  for (let i = from; i < s.length; i++) if (s.charCodeAt(i) === 13) return i;
  return -1;
}

/** The decimal (possibly negative) number in s[from, to). */
function numAt(s: string, from: number, to: number): number {
  let i = from;
  const neg = s.charCodeAt(i) === 45;
  if (neg) i++;
  let v = 0;
  for (; i < to; i++) v = v * 10 + (s.charCodeAt(i) - 48);
  return neg ? -v : v;
}

/** Translates the RESP reply at c.pos into the engine's encoding. */
function respToWire(c: RespCursor, w: WireWriter): void {
  const s = c.s;
  const t = s.charCodeAt(c.pos);
  const from = c.pos + 1;
  const end = lineEnd(s, from);
  c.pos = end + 2;
  switch (t) {
    case 43: // +
      return w.str(T_STATUS, s, from, end);
    case 45: // -
      return w.str(T_ERROR, s, from, end);
    case 58: // :
      return w.int(s, from, end);
    case 36: {
      // $
      const n = numAt(s, from, end);
      if (n < 0) return w.hdr(T_NULL, 0);
      w.str(T_BULK, s, c.pos, c.pos + n);
      c.pos += n + 2;
      return;
    }
    case 42: // *
    case 126: // ~
    case 62: {
      // >
      const n = numAt(s, from, end);
      if (n < 0) return w.hdr(T_NULL, 0);
      w.hdr(t === 126 ? T_SET : T_ARRAY, n);
      for (let i = 0; i < n; i++) respToWire(c, w);
      return;
    }
    case 37: {
      // %
      const n = numAt(s, from, end);
      w.hdr(T_MAP, n);
      for (let i = 0; i < 2 * n; i++) respToWire(c, w);
      return;
    }
    case 95: // _ (count 1: nil in Lua, where RESP2's null is false; see wasm-patch.ts F_DECODE_REPLY)
      return w.hdr(T_NULL, 1);
    case 44: {
      // ,
      const line = s.slice(from, end);
      return w.double(line === 'inf' ? Infinity : line === '-inf' ? -Infinity : Number(line));
    }
    case 35: // #
      return w.bool(s[from] === 't');
    case 40: // (
      return w.str(T_BIG_NUMBER, s, from, end);
    case 61: {
      // =
      const n = numAt(s, from, end);
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
      throw new Error(`unexpected reply type ${JSON.stringify(s[c.pos - 1])}`);
  }
}

/**
 * The VM's memory as a Buffer. The engine is built without memory growth,
 * so the view stays valid; were the memory ever replaced, the old view
 * would read as empty (detached) and is made again.
 */
function heap(vm: Vm): Buffer {
  if (vm.mem.buf.length !== 0) return vm.mem.buf;
  const raw = vm.raw;
  if (raw !== null) vm.mem.buf = Buffer.from(raw.memory.buffer);
  else {
    const h = vm.internals.exports.HEAPU8;
    vm.mem.buf = Buffer.from(h.buffer, h.byteOffset, h.byteLength);
  }
  return vm.mem.buf;
}

/**
 * Command names scripts called recently, by a hash of their bytes: the
 * same string object comes back for the same name, so the command table's
 * lookup finds it without hashing a fresh string on every call.
 */
const names = new Array<string>(64).fill('');

/** argv[0] of a redis.call: b[o, o + l) as latin1, from `names` when seen before. */
function commandName(b: Buffer, o: number, l: number): string {
  if (l === 0 || l > 24) return latin1At(b, o, o + l);
  const slot = (l * 31 + b[o]! * 7 + b[o + l - 1]! + (l > 2 ? b[o + 1]! * 3 : 0)) & 63;
  const s = names[slot]!;
  if (s.length === l) {
    let i = 0;
    while (i < l && s.charCodeAt(i) === b[o + i]) i++;
    if (i === l) return s;
  }
  const n = latin1At(b, o, o + l);
  names[slot] = n;
  return n;
}

/** The u32 (LE) at b[o] (in range: the engine wrote it), without Buffer's checks. */
function u32At(b: Buffer, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/** Stores v as a u32 (LE; negative int32s as their two's complement) at b[o], without Buffer's checks. */
function putU32(b: Buffer, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
  b[o + 2] = v >>> 16;
  b[o + 3] = v >>> 24;
}

/** latin1 text of b[from, to): short ones in JS (a native call costs more than the copy). */
function latin1At(b: Buffer, from: number, to: number): string {
  const len = to - from;
  if (len > 12) return b.latin1Slice(from, to);
  switch (len) {
    case 0:
      return '';
    case 1:
      return String.fromCharCode(b[from]!);
    case 2:
      return String.fromCharCode(b[from]!, b[from + 1]!);
    case 3:
      return String.fromCharCode(b[from]!, b[from + 1]!, b[from + 2]!);
    case 4:
      return String.fromCharCode(b[from]!, b[from + 1]!, b[from + 2]!, b[from + 3]!);
    default: {
      const codes = new Array<number>(len);
      for (let i = 0; i < len; i++) codes[i] = b[from + i]!;
      return String.fromCharCode.apply(null, codes);
    }
  }
}

/**
 * The redis.call / redis.pcall bridge for one VM (the instance's import,
 * sret ABI: the PtrLen result is written at `ret`): reads the arguments
 * ([u32 count]([u32 len][bytes])*) from the VM's memory as latin1 strings,
 * runs them through the current script's host, and translates the RESP
 * reply straight into the engine's reply encoding, in memory the engine
 * frees. Whether an error reply raises is the engine's business
 * (redis.call raises, redis.pcall returns it).
 */
function hostCallRaw(vm: Vm, ret: number, ptr: number): void {
  let b = heap(vm);
  const count = u32At(b, ptr);
  const argv = new Array<string>(count);
  let o = ptr + 4;
  for (let i = 0; i < count; i++) {
    const l = u32At(b, o);
    o += 4;
    argv[i] = i === 0 ? commandName(b, o, l) : latin1At(b, o, o + l);
    o += l;
  }
  const resp = current === null ? '-ERR no script is running\r\n' : current.call(argv);
  if (simpleReply(vm, resp, ret)) return;
  wire.n = 0;
  cursor.s = resp;
  cursor.pos = 0;
  respToWire(cursor, wire);
  cursor.s = '';
  const n = wire.n;
  const p = replyBuf(vm, n);
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

/**
 * A script for the VM. With the patched engine it is compiled once per VM
 * and kept in the Lua registry (`ref`); otherwise (or when it does not
 * compile, or the cache is full) its bytes stay resident in the VM's memory
 * and it is compiled on every run. Either way until freeChunk.
 */
export interface Chunk {
  body: string;
  /**
   * For the compiled cache only: a chunk whose main function, run once,
   * returns the function each run calls (null: the compiled body itself).
   */
  factory: string | null;
  ptr: number;
  len: number;
  /** The VM the bytes live in (0: none yet). */
  gen: number;
  /** Registry slot of the compiled function (0: none). */
  ref: number;
  /** The VM `ref` belongs to. */
  refGen: number;
  /** Compiling failed in VM `noCacheGen`: run it the slow way there (its error comes from the run). */
  noCacheGen: number;
}

/**
 * A chunk for `body`; it enters the VM on its first run. `factory` (see
 * Chunk) must behave as `body` does when the function it returns is run.
 */
export function makeChunk(body: string, factory: string | null = null): Chunk {
  return { body, factory, ptr: 0, len: 0, gen: 0, ref: 0, refGen: 0, noCacheGen: 0 };
}

/**
 * A chunk that runs `code` as the body of a function and returns only its
 * first result (Redis keeps the first of several; the VM, the last).
 * Compiled once, it is a closure made once over that function, so a run
 * makes no closure.
 */
export function makeBodyChunk(code: string): Chunk {
  return makeChunk(
    `return ((function(...) ${code}\nend)())`,
    `local f = function(...) ${code}\nend return function() return (f()) end`,
  );
}

/**
 * Source bytes of compiled chunks kept per VM: past this, new chunks are
 * compiled on every run instead. A compiled function takes ~3.8 times its
 * source in the Lua heap (measured: 1,000 40-line scripts, 1.5 MB of
 * source, 5.6 MB of heap), and the heap is a fixed 64 MB: 4 MB of source
 * (~15 MB compiled; BullMQ's whole script set is ~1 MB) leaves the rest to
 * the scripts' data.
 */
const CACHE_BYTES = 4 << 20;

/** The lua_State of a patched VM (read each time: the engine owns it). */
function stateOf(vm: Vm): number {
  return heap(vm).readUInt32LE(G_STATE_ADDR);
}

/**
 * Compiles `c` in a patched VM and keeps the function in the registry;
 * returns its slot, or 0 (no patch, cache full, or it does not compile).
 */
function compiledIn(vm: Vm, c: Chunk): number {
  if (c.refGen === vm.gen && c.ref !== 0) return c.ref;
  const raw = vm.raw;
  const src = c.factory ?? c.body;
  if (raw === null || c.noCacheGen === vm.gen || vm.cachedBytes + src.length > CACHE_BYTES) return 0;
  const len = src.length;
  const ptr = vm.mem.alloc(Math.max(1, len));
  heap(vm).latin1Write(src, ptr, len);
  const L = stateOf(vm);
  const top = raw.tsdis_gettop(L);
  try {
    if (raw.tsdis_load(L, ptr, len, NAME_USER_SCRIPT) !== 0) {
      raw.tsdis_settop(L, top);
      c.noCacheGen = vm.gen;
      return 0;
    }
    // A factory's main function only makes closures (it fails only out of memory, which aborts the VM).
    if (c.factory !== null) raw.tsdis_call(L, 0, 1);
    const ref = vm.freeRefs.pop() ?? vm.nextRef++;
    raw.tsdis_rawseti(L, LUA_REGISTRYINDEX, ref);
    c.ref = ref;
    c.refGen = vm.gen;
    vm.cachedBytes += len;
    return ref;
  } finally {
    vm.mem.free(ptr);
  }
}

/** Puts the chunk's bytes into `vm` (again, if it was made for a retired one). */
function residentIn(vm: Vm, c: Chunk): void {
  if (c.gen === vm.gen && c.ptr !== 0) return;
  const len = Buffer.byteLength(c.body, 'latin1');
  const ptr = vm.mem.alloc(Math.max(1, len));
  heap(vm).latin1Write(c.body, ptr, len);
  c.ptr = ptr;
  c.len = len;
  c.gen = vm.gen;
}

/** Releases a chunk's VM memory and compiled function (SCRIPT FLUSH, FUNCTION DELETE). */
export function freeChunk(c: Chunk): void {
  const vm = active;
  if (c.ptr !== 0 && vm !== null && c.gen === vm.gen) vm.mem.free(c.ptr);
  if (c.ref !== 0 && vm !== null && c.refGen === vm.gen && vm.raw !== null) {
    const raw = vm.raw;
    const L = stateOf(vm);
    // registry[ref] = nil: push a nil (settop past the top) and store it.
    raw.tsdis_settop(L, raw.tsdis_gettop(L) + 1);
    raw.tsdis_rawseti(L, LUA_REGISTRYINDEX, c.ref);
    vm.freeRefs.push(c.ref);
    vm.cachedBytes -= (c.factory ?? c.body).length;
  }
  c.ptr = 0;
  c.gen = 0;
  c.ref = 0;
  c.refGen = 0;
}

/**
 * Copies KEYS and ARGV into the VM ([u32 count]([u32 len][bytes])*);
 * returns [ptr, length]. Small ones go to the VM's scratch area (the engine
 * copies them into Lua strings before the script runs), others to memory
 * the caller frees (ptr !== vm.argsPtr).
 */
function writeArgs(vm: Vm, keys: string[], args: string[]): [number, number] {
  let total = 4 + 4 * (keys.length + args.length);
  for (let i = 0; i < keys.length; i++) total += keys[i]!.length;
  for (let i = 0; i < args.length; i++) total += args[i]!.length;
  const ap = total <= ARGS_SCRATCH && vm.argsPtr !== 0 ? vm.argsPtr : vm.mem.alloc(total);
  const b = heap(vm);
  let o = ap;
  putU32(b, o, keys.length + args.length);
  o += 4;
  for (let k = 0; k < 2; k++) {
    const list = k === 0 ? keys : args;
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
      const l = s.length;
      putU32(b, o, l);
      o += 4;
      if (l <= 16) for (let j = 0; j < l; j++) b[o + j] = s.charCodeAt(j);
      else b.latin1Write(s, o, l);
      o += l;
    }
  }
  return [ap, total];
}

/**
 * Runs a chunk in `vm` and returns where the engine put its encoded result
 * (the caller frees it), or the public API's decoded value (no fast path).
 */
function exec(vm: Vm, chunk: Chunk, keys: string[], args: string[]): { ptr: number; len: number } | { value: ReplyValue } {
  if (!vm.fast) return { value: vm.engine.evalWithArgs(Buffer.from(chunk.body, 'latin1'), keys.map(latin1Buf), args.map(latin1Buf)) };
  // The script: a compiled function's registry slot (the patched loader's
  // convention, see wasm-patch.ts), or its bytes.
  let sp = compiledIn(vm, chunk);
  let sl = CACHED_LEN;
  if (sp === 0) {
    residentIn(vm, chunk);
    sp = chunk.ptr;
    sl = chunk.len;
  }
  const [ap, al] = writeArgs(vm, keys, args);
  try {
    if (vm.raw !== null) {
      vm.raw.eval_with_args(vm.retPtr, sp, sl, ap, al, keys.length);
      const b = heap(vm);
      return { ptr: u32At(b, vm.retPtr), len: u32At(b, vm.retPtr + 4) };
    }
    const r = vm.internals.callEvalWithArgs(sp, sl, ap, al, keys.length);
    return { value: vm.internals.decodeResult(r, '') };
  } finally {
    if (ap !== vm.argsPtr) vm.mem.free(ap);
    if (vm.raw !== null && vm.raw.tsdis_kill.value !== 0) {
      // Killed: the hook back to every HOOK_STEP instructions (see wasm-patch.ts).
      vm.raw.tsdis_kill.value = 0;
      const b = heap(vm);
      const L = stateOf(vm);
      b.writeInt32LE(HOOK_STEP, L + L_BASEHOOKCOUNT);
      b.writeInt32LE(HOOK_STEP, L + L_HOOKCOUNT);
    }
  }
}

/** Whether the encoded value at `o` holds only types writeWire writes (no errors, no verbatim); returns its end or -1. */
function plainEnd(b: Buffer, o: number, end: number): number {
  if (o + 5 > end) return -1;
  const t = b[o]!;
  const x = u32At(b, o + 1);
  o += 5;
  switch (t) {
    case T_NULL:
      return o;
    case T_INT:
    case T_DOUBLE:
      return o + 8;
    case T_BOOL:
      return o + 1;
    case T_BULK:
    case T_STATUS:
    case T_BIG_NUMBER:
      return o + x;
    case T_ARRAY:
    case T_SET:
    case T_MAP: {
      const n = t === T_MAP ? 2 * x : x;
      for (let i = 0; i < n && o >= 0; i++) o = plainEnd(b, o, end);
      return o;
    }
    default:
      return -1;
  }
}

/** Writes the encoded value at c.o to `reply` as luaToReply would write its decoded form. */
function writeWire(b: Buffer, c: { o: number }, reply: Reply): void {
  const t = b[c.o]!;
  const x = u32At(b, c.o + 1);
  const o = c.o + 5;
  c.o = o;
  switch (t) {
    case T_NULL:
      return reply.null();
    case T_INT: {
      c.o = o + 8;
      const lo = u32At(b, o);
      const hi = u32At(b, o + 4) | 0;
      const v = hi * 0x100000000 + lo;
      if (Number.isSafeInteger(v)) return reply.int(v);
      const big = b.readBigInt64LE(o);
      return reply.int(big === INT64_MAX ? INT64_MIN : big);
    }
    case T_DOUBLE:
      c.o = o + 8;
      return luaDouble(reply, b.readDoubleLE(o));
    case T_BOOL:
      c.o = o + 1;
      if (respNow === 2) return b[o] !== 0 ? reply.int(1) : reply.null();
      return reply.bool(b[o] !== 0);
    case T_BULK:
      c.o = o + x;
      return reply.bulk(b.latin1Slice(o, o + x));
    case T_STATUS: {
      c.o = o + x;
      const s = b.latin1Slice(o, o + x);
      return reply.simple(s.includes('\r') || s.includes('\n') ? s.replace(/[\r\n]/g, ' ') : s);
    }
    case T_BIG_NUMBER:
      c.o = o + x;
      return reply.bigNumber(b.latin1Slice(o, o + x));
    case T_ARRAY:
      reply.array(x);
      for (let i = 0; i < x; i++) writeWire(b, c, reply);
      return;
    case T_SET:
      reply.set(x);
      for (let i = 0; i < x; i++) writeWire(b, c, reply);
      return;
    case T_MAP:
      reply.map(x);
      for (let i = 0; i < 2 * x; i++) writeWire(b, c, reply);
      return;
  }
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/**
 * A script's integer result as Redis gives it. The unpatched engine
 * converts a Lua number with a saturating cast: +inf and anything from 2^63
 * up give INT64_MAX (no double converts to it exactly), where Redis's
 * x86-64 cast gives INT64_MIN for every out-of-range value (the patched
 * engine does that itself, NaN included: see wasm-patch.ts).
 */
function fixInt(v: number | bigint): number | bigint {
  return v === INT64_MAX ? INT64_MIN : v;
}

/**
 * A decoded result as writeWire would write it: booleans of a script that
 * returned in RESP2 become 1 / null, a saturated integer INT64_MIN.
 */
function fixDecoded(v: ReplyValue): ReplyValue {
  if (v === null) return v;
  switch (typeof v) {
    case 'boolean':
      return respNow === 2 ? (v ? 1 : null) : v;
    case 'bigint':
      return fixInt(v);
    case 'number':
      return v;
  }
  if (Buffer.isBuffer(v)) return v;
  if (Array.isArray(v)) return v.map(fixDecoded);
  if ('map' in v) return { map: v.map.map(([k, e]) => [fixDecoded(k), fixDecoded(e)] as [ReplyValue, ReplyValue]) };
  if ('set' in v) return { set: v.set.map(fixDecoded) };
  return v;
}

/**
 * A script's {double=x} result as Redis 7.2 writes it (addReplyDouble, the
 * same format as ZSCORE and every other double reply of tsdis): a RESP3
 * double or a RESP2 bulk string. (Redis 7.0 printed "%.17g" instead.)
 */
function luaDouble(reply: Reply, x: number): void {
  const s = formatDouble(x);
  if (reply.resp === 3) reply.out += ',' + s + '\r\n';
  else reply.bulk(s);
}

/** Runs `f` on the active VM with `h` serving redis.call & co.; maps a VM abort to an error reply. */
function withVm<T>(h: ScriptHost, f: (vm: Vm) => T): T {
  const vm = active;
  if (vm === null) throw new ReplyError(ERR_VM_RESTARTING);
  // The engine is not re-entrant: a run inside a run would clear the running script's stack.
  if (current !== null) throw new ReplyError('ERR a script cannot run while another script is running');
  const prev = current;
  current = h;
  respNow = 2;
  try {
    return f(vm);
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

/** The decoded value of an exec() result (freeing the engine's copy). */
function decoded(vm: Vm, r: { ptr: number; len: number } | { value: ReplyValue }): ReplyValue {
  if ('value' in r) return r.value;
  return vm.internals.decodeResult(r, '');
}

/**
 * Runs a chunk with KEYS and ARGV (latin1 strings) and returns its result as
 * the VM reports it: an error result carries `meta` when the script failed
 * (as opposed to returning an error value). `h` serves redis.call & co. for
 * the duration of the run. Throws a ReplyError when the VM is restarting.
 */
export function runChunk(chunk: Chunk, keys: string[], args: string[], h: ScriptHost): ReplyValue {
  return withVm(h, (vm) => fixDecoded(decoded(vm, exec(vm, chunk, keys, args))));
}

/**
 * runChunk, writing a plain result (no error or verbatim value in it)
 * straight to `reply` as luaToReply would, without decoding it first:
 * returns undefined then, or else the decoded result for the caller.
 */
export function runChunkInto(chunk: Chunk, keys: string[], args: string[], h: ScriptHost, reply: Reply): ReplyValue | undefined {
  return withVm(h, (vm) => {
    const r = exec(vm, chunk, keys, args);
    if ('value' in r) return fixDecoded(r.value);
    if (r.ptr === 0 || r.len === 0) {
      reply.null();
      return undefined;
    }
    const b = heap(vm);
    if (plainEnd(b, r.ptr, r.ptr + r.len) !== r.ptr + r.len) return fixDecoded(vm.internals.decodeResult(r, ''));
    try {
      writeWire(b, { o: r.ptr }, reply);
    } finally {
      vm.mem.free(r.ptr);
    }
    return undefined;
  });
}

const latin1Buf = (s: string): Buffer => Buffer.from(s, 'latin1');

const CHECKER = makeChunk('local f, e = loadstring(ARGV[1], ARGV[2]) if f then return 1 end return {err = e}');

/** A host that refuses every redis.call: for compiling only. */
const NO_HOST: ScriptHost = {
  call: () => '-ERR not running\r\n',
  setResp: () => {},
  log: () => {},
  tick: () => false,
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
  if ('double' in v) return luaDouble(reply, v.double);
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

/** The last vmMemoryBytes figure (what INFO shows while a script runs). */
let lastVmBytes = 0;

/**
 * Bytes the Lua heap uses (INFO used_memory_lua / used_memory_vm_eval), as
 * Lua counts them. Asked while a script runs (redis.call('INFO')), it gives
 * the last figure: running a chunk then would re-enter the engine under the
 * running script (its stack and KEYS/ARGV would be lost).
 */
export function vmMemoryBytes(): number {
  if (active === null) return 0;
  if (current !== null) return lastVmBytes;
  const r = runChunk(GC_COUNT, [], [], NO_HOST);
  lastVmBytes = typeof r === 'number' ? r : 0;
  return lastVmBytes;
}
const GC_COUNT = makeChunk("return math.floor(collectgarbage('count') * 1024)");
