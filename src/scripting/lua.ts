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
 * growth). Growing it fails instead of aborting the instance (see
 * guardImports), so a script that allocates past it gets Lua's "not enough
 * memory" error inside its pcall, and a full collection after such a run
 * (see reclaim) leaves room for the next. Should the VM die anyway (Lua
 * panics on an error outside any pcall and calls exit(), or V8's stack
 * overflows inside it), the run gets an error reply, the instance is
 * retired and a fresh one loaded in the background; scripts run meanwhile
 * are refused with an error (see `retire`). Cached scripts and functions
 * re-enter the new VM on their next run.
 *
 * Speed (measured with bench/micro/scripting.ts): the engine is loaded from
 * a binary patched at load time (wasm-patch.ts, pinned to the package's
 * build by SHA-256, with the unpatched paths below as the fallback), so a
 * script is compiled once per VM and kept in the Lua registry, instead of
 * on every run (compiling was ~half of a short script's run). redis.call
 * crosses straight from the instance's import to the script's host, with
 * arguments read from and replies written to the VM's memory without the
 * package's Buffers, and a script result (anything but a failed run) is written
 * straight to the caller's Reply.
 *
 * Long scripts: the patched engine calls the running script's host every
 * 1000 Lua instructions (ScriptHost.tick); scripts.ts uses it for
 * busy-reply-threshold, serving other clients and SCRIPT KILL. A kill is a
 * Lua error raised by the engine's hook, so the VM stays usable.
 *
 * This file also holds the reply conversions: a command's RESP reply (as
 * the writer produced it) to the VM's value for Lua; a script's table
 * result to the engine's encoding, by Redis's rules (encodeTable); and the
 * encoded result to the caller's Reply (writeWire); and the text of a
 * number passed to redis.call (formatNumArg).
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
  ENCODE_LEVEL,
  NUM_LEVEL,
  NUMBUF_LEN_AT,
  NUMBUF_SIZE,
  REPLY_FIELDS,
  REPLY_FIELDS_REF,
  L_G,
  G_TOTALBYTES,
  GC_FN_REF,
  GC_ARG_REF,
  LUA_GLOBALSINDEX,
  RESP_ADDR,
  TICK_LEVEL,
  FENV_REF,
  BEGIN_LOAD_REF,
  END_LOAD_REF,
  WRAP_REF,
  FIRST_REF,
  GC_STEP_REF,
  MKWRAP_SLOT,
  MKJS_SLOT,
  JSCALL_LEVEL,
  L_HOOKMASK,
  LUA_MASKCOUNT,
  LUA_MASKLINE,
  patchEngine,
  type PatchExports,
} from './wasm-patch.js';
import { REDIS_VERSION } from '../version.js';
import { ERROR_SHADOW, SETUP_CHUNK_NAME, SETUP_LUA } from './sandbox.js';
import type { Reply } from '../protocol/writer.js';
import { ReplyError } from '../protocol/errors.js';
import { cfmt } from '../util/strings.js';
import { formatDouble } from '../util/numbers.js';

export type { ReplyValue } from 'lua-redis-wasm';

// Lua's type tags (lua.h).
const LUA_TNIL = 0;
const LUA_TBOOLEAN = 1;
const LUA_TNUMBER = 3;
const LUA_TSTRING = 4;
const LUA_TTABLE = 5;
const LUA_TLIGHTUSERDATA = 2;
const LUA_TFUNCTION = 6;
const LUA_TUSERDATA = 7;
const LUA_TTHREAD = 8;
/** lua_Debug's event for a line hook. */
const LUA_HOOKLINE = 2;

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
  /**
   * The Lua debugger (ldb.ts; patched engine): when set, the run gets line
   * events too, and both kinds come here instead of tick (`line`: the new
   * line, or -1 for a count event), with `dbg` to look at the VM.
   */
  debugHook?: (line: number, dbg: LuaDebug) => void;
  /** redis.breakpoint / redis.debug (sandbox.ts jsfn ids 1 and 2): returns how many results it pushed with `dbg`. */
  jsCall?: (id: number, dbg: LuaDebug) => number;
}

/**
 * What the Lua debugger (ldb.ts) can do in the VM while the script it
 * debugs is stopped in a hook (or calls redis.debug / redis.breakpoint).
 * Values are printed as Redis's ldbCatStackValue prints them.
 */
export interface LuaDebug {
  /**
   * The script's own stack levels, from the running one out (lua_getstack
   * and lua_getinfo "Snl"): those of its chunk (user_script), without
   * tsdis's code compiled into it (ERROR_SHADOW's functions, the wrapper
   * of an uncached run), which Redis does not have.
   */
  frames(): LuaFrame[];
  /** The local variables of level `level` as lua_getlocal lists them (the script's own), with their printed values. */
  locals(level: number): { name: string; value: string }[];
  /** The printed value of a global that exists (KEYS, ARGV). */
  global(name: string): string;
  /** ldb's eval: `return <code>`, else `<code>`, compiled as @ldb_eval and run: "<retval> ..." or "<error> ...". */
  evalCode(code: string): string;
  /** ldb's redis: redis.call(...args) under pcall, its result dropped (the host logs the call); false when the stack has no room. */
  redisCall(args: string[]): boolean;
  /** The printed values of a JS call's arguments (redis.debug). */
  args(): string[];
  /** Pushes a boolean, a JS call's result. */
  pushBoolean(b: boolean): void;
  /** Ends the run: the kill error is raised when the hook (or JS call) returns; the host replies its own text. */
  abort(): void;
}

/** A stack level of a debugged script (LuaDebug.frames). */
export interface LuaFrame {
  level: number;
  line: number;
  /** The function's name as its caller knows it (lua_getinfo "n"), or null. */
  name: string | null;
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
  /** 4 bytes for lua_tolstring's length (patched VM). */
  lenPtr: number;
  /** GC_BALLAST bytes held back from scripts, freed for reclaim's collection (0: none now). */
  ballast: number;
  /** The C string "@user_function", the chunk name libraries compile with (patched VM; 0: none). */
  userFunctionName: number;
  /** Lua heap bytes the sandbox setup took (counted for functions in INFO, see vmMemory). */
  setupBytes: number;
  /** Runs since the last collection step (gcStep). */
  runs: number;
  /** What the Lua debugger needs in this VM (debugAccess), or null before its first use. */
  debugScratch: DebugScratch | null;
  /** A debugged run runs its chunk's uncached form (the body as a function called by a main chunk): see scriptFrames. */
  debugWrapped: boolean;
}

/** A NUL-terminated copy of `s` (latin1) in the VM's memory (malloc'd: the caller frees it, or keeps it for the VM's life). */
function cString(vm: Vm, s: string): number {
  const p = vm.mem.alloc(s.length + 1);
  heap(vm).latin1Write(s + '\0', p, s.length + 1);
  return p;
}

let nextGen = 1;

/** Size of a VM's scratch area for KEYS/ARGV. */
const ARGS_SCRATCH = 4096;
/**
 * Lua heap bytes past which a run is followed by a full collection: the
 * heap is a fixed 64 MB and Lua 5.1 does not collect when an allocation
 * fails, so garbage left by a run that used most of it (or ran out of it)
 * would make the next run's first allocations fail, outside any pcall.
 */
const GC_AT_BYTES = 40 << 20;

/**
 * Bytes kept allocated in a patched VM and freed just before reclaim's
 * collection: when a script filled the heap, the collection itself needs
 * a little memory (it shrinks the string table into a new array).
 */
const GC_BALLAST = 1 << 20;

/**
 * The C stack of a patched VM. Deep enough that nested C calls (cjson with
 * its nesting limit raised) exhaust V8's own stack first, which throws a
 * RangeError (the VM is then replaced) instead of writing past the stack.
 */
const C_STACK = 4 << 20;
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

/** The patched engine's calls into JS besides redis.call (see wasm-patch.ts). */
interface PatchHooks {
  /** The count hook's tick (host_redis_log at TICK_LEVEL) with the hook's lua_Debug and the lua_State it runs in. */
  tick(ar: number, L: number): void;
  /** A JS call from Lua (JSCALL_LEVEL): the closure's id; leaves the result count in tsdis_encret. */
  jscall(L: number, id: number): void;
  /** Format the number in tsdis_numbuf as a redis.call argument (NUM_LEVEL). */
  num(): void;
  /** Encode the table at stack index `idx` as the result into ReplyBuffer `rb` (ENCODE_LEVEL). */
  encode(idx: number, rb: number): void;
}

/** Thrown by the instance's exit() import: Lua panicked (an error outside any pcall), the VM is dead. */
class VmExit extends Error {}

/**
 * The emscripten imports that would end the VM, replaced: growing the heap
 * (it has a fixed size) fails instead of aborting the instance, so malloc
 * returns NULL and Lua raises "not enough memory" inside the script's
 * pcall; exit() (Lua's panic) throws VmExit, which withVm turns into a
 * restart of the VM.
 */
function guardImports(env: Record<string, unknown>): void {
  if (typeof env['emscripten_resize_heap'] === 'function') env['emscripten_resize_heap'] = () => 0;
  if (typeof env['exit'] === 'function') {
    env['exit'] = (code: number) => {
      throw new VmExit(`the script VM exited (${code})`);
    };
  }
}

/**
 * load() with the patched binary; returns the module and the instance's
 * raw exports. The package does not hand out its instance, so its
 * WebAssembly.instantiate call is watched for the duration of the load;
 * the watch also points the instance's redis.call / redis.pcall imports
 * straight at `bridge` (the package's wrappers spread their arguments),
 * routes the patch's calls through host_redis_log (negative levels, see
 * wasm-patch.ts) to `hooks`, and guards the imports that would kill the
 * instance (guardImports).
 */
async function loadPatched(opts: Parameters<typeof load>[0], bridge: HostCallImport, hooks: PatchHooks): Promise<[Awaited<ReturnType<typeof load>>, RawExports | null]> {
  const orig = WA.instantiate;
  let ex: Record<string, unknown> | null = null;
  const watch = async (src: unknown, imports: unknown) => {
    const env = (imports as { env?: Record<string, unknown> }).env;
    if (env !== undefined) guardImports(env);
    if (src !== patchedWasm) return orig.call(WA, src, imports);
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
      // redis.log itself refuses levels outside 0..3 (patched), so negative ones are the patch's.
      env['host_redis_log'] = (level: number, ptr: number, len: number): unknown =>
        level >= 0 ? log(level, ptr, len) : level === TICK_LEVEL ? hooks.tick(ptr, len) : level === JSCALL_LEVEL ? hooks.jscall(ptr, len) : level === NUM_LEVEL ? hooks.num() : level === ENCODE_LEVEL ? hooks.encode(ptr, len) : undefined;
    }
    const r = await orig.call(WA, src, imports);
    if (r.instance !== undefined) ex = r.instance.exports;
    return r;
  };
  WA.instantiate = watch;
  let mod: Awaited<ReturnType<typeof load>>;
  try {
    mod = await load(patchedWasm === null ? opts : { ...opts, wasmBytes: patchedWasm });
  } finally {
    if (WA.instantiate === watch) WA.instantiate = orig;
  }
  if (patchedWasm === null) return [mod, null];
  const e = ex as Record<string, unknown> | null;
  const names = [
    'tsdis_load', 'tsdis_rawseti', 'tsdis_gettop', 'tsdis_settop', 'tsdis_call', 'alloc', 'free_mem', 'eval_with_args',
    'tsdis_type', 'tsdis_tolstring', 'tsdis_tonumber', 'tsdis_toboolean', 'tsdis_rawgeti', 'tsdis_rawget', 'tsdis_next',
    'tsdis_pushvalue', 'tsdis_pushstring', 'tsdis_checkstack', 'tsdis_realloc', 'tsdis_probe', 'tsdis_pcall', 'tsdis_getfield',
    'tsdis_setfenv', 'tsdis_readonly', 'tsdis_pushnumber', 'tsdis_pushcclosure', 'tsdis_getstack', 'tsdis_getinfo',
    'tsdis_pushlstring', 'tsdis_pushboolean',
  ];
  const globals = ['tsdis_scratch', 'tsdis_kill', 'tsdis_numbuf', 'tsdis_encret', 'tsdis_badlevel', 'tsdis_sp', 'tsdis_globalread', 'tsdis_argtype'];
  const ok =
    e !== null &&
    names.every((k) => typeof e[k] === 'function') &&
    typeof e['memory'] === 'object' &&
    globals.every((k) => typeof e[k] === 'object');
  return [mod, ok ? (e as unknown as RawExports) : null];
}

async function newVm(): Promise<Vm> {
  // The VM the bridge serves; set once loaded (no script runs before).
  let self: Vm | null = null;
  const bridge: HostCallImport = (ret, ptr) => hostCallRaw(self!, ret, ptr);
  const hooks: PatchHooks = {
    // The count hook's tick: the running script's host decides; a kill arms the hook's error.
    tick: (ar, L) => {
      const vm = self;
      if (current === null || vm === null || vm.raw === null) return;
      if (current.debugHook !== undefined) {
        // lua_Debug: event (LUA_HOOKLINE 2) at 0, currentline at 20
        const b = heap(vm);
        current.debugHook(u32At(b, ar) === LUA_HOOKLINE ? u32At(b, ar + 20) | 0 : -1, debugAccess(vm, L));
        return;
      }
      if (current.tick()) vm.raw.tsdis_kill.value = vm.killPtr;
    },
    jscall: (L, id) => {
      const vm = self!;
      vm.raw!.tsdis_encret.value = current?.jsCall?.(id, debugAccess(vm, L)) ?? 0;
    },
    num: () => formatNumArg(self!),
    encode: (idx, rb) => encodeTable(self!, idx, rb),
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
    hooks,
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
  const vm: Vm = {
    gen: nextGen++, engine, internals, fast, mem, raw: fast ? raw : null, retPtr: 0, argsPtr: 0, replyPtr: 0, freeRefs: [], nextRef: 1 << 20,
    cachedBytes: 0, killPtr: 0, lenPtr: 0, ballast: 0, userFunctionName: 0, setupBytes: 0, runs: 0, debugScratch: null, debugWrapped: false,
  };
  if (fast) vm.argsPtr = mem.alloc(ARGS_SCRATCH);
  if (vm.raw !== null) {
    vm.retPtr = vm.raw.alloc(8);
    vm.replyPtr = vm.raw.alloc(REPLY_SCRATCH);
    vm.raw.tsdis_scratch.value = vm.replyPtr;
    // The Lua error a killed script gets (the caller's reply is written by the host, see scripts.ts).
    const msg = 'Script killed by user with SCRIPT KILL...';
    vm.killPtr = cString(vm, msg);
    vm.raw.tsdis_badlevel.value = cString(vm, 'ERR Invalid debug level.');
    vm.raw.tsdis_numbuf.value = vm.raw.alloc(NUMBUF_SIZE);
    // The field names the result encoder looks up, kept in the registry (see wasm-patch.ts REPLY_FIELDS_REF).
    const L = stateOf(vm);
    REPLY_FIELDS.forEach((f, i) => {
      const p = cString(vm, f);
      vm.raw!.tsdis_pushstring(L, p);
      vm.raw!.tsdis_rawseti(L, LUA_REGISTRYINDEX, REPLY_FIELDS_REF + i);
      vm.raw!.free_mem(p);
    });
    // collectgarbage and "collect", for reclaim's protected full collection.
    const cg = cString(vm, 'collectgarbage');
    vm.raw.tsdis_getfield(L, LUA_GLOBALSINDEX, cg);
    vm.raw.tsdis_rawseti(L, LUA_REGISTRYINDEX, GC_FN_REF);
    const collect = cString(vm, 'collect');
    vm.raw.tsdis_pushstring(L, collect);
    vm.raw.tsdis_rawseti(L, LUA_REGISTRYINDEX, GC_ARG_REF);
    const step = cString(vm, 'step');
    vm.raw.tsdis_pushstring(L, step);
    vm.raw.tsdis_rawseti(L, LUA_REGISTRYINDEX, GC_STEP_REF);
    vm.raw.free_mem(step);
    vm.raw.free_mem(cg);
    vm.raw.free_mem(collect);
    vm.lenPtr = vm.raw.alloc(4);
    vm.ballast = vm.raw.alloc(GC_BALLAST);
    // The C stack: the build's 64 KB (below the heap) overflows, silently, at ~400 levels of
    // cjson.decode nesting (Redis's default limit is 1000); C_STACK bytes from the heap instead.
    const stack = vm.raw.alloc(C_STACK);
    if (stack !== 0) vm.raw.tsdis_sp.value = (stack + C_STACK) & ~15;
    setupSandbox(vm);
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

/**
 * Runs sandbox.ts's SETUP_LUA in a new patched VM (Redis's argument checks
 * for the redis.* API, Redis's math.random, the functions environment; see
 * sandbox.ts) with `math` and `redis` writable meanwhile, keeps what it
 * returns in the registry (FENV_REF...) and makes the tables it lists
 * read-only. Also writes the C strings the patch's error texts point at.
 * Throws when the setup fails (newVm's caller then has no VM).
 */
function setupSandbox(vm: Vm): void {
  const raw = vm.raw!;
  const L = stateOf(vm);
  raw.tsdis_globalread.value = cString(vm, "Script attempted to access nonexistent global variable '%s'");
  raw.tsdis_argtype.value = cString(vm, 'ERR Lua redis lib command arguments must be strings or integers');
  vm.userFunctionName = cString(vm, '@user_function');
  fullCollect(vm);
  const before = heapBytes(vm);
  const top = raw.tsdis_gettop(L);
  const writable: number[] = [];
  for (const name of ['math', 'redis']) {
    const p = cString(vm, name);
    raw.tsdis_getfield(L, LUA_GLOBALSINDEX, p);
    raw.free_mem(p);
    raw.tsdis_readonly(L, -1, 0);
    writable.push(raw.tsdis_gettop(L));
  }
  const name = cString(vm, SETUP_CHUNK_NAME);
  const src = cString(vm, SETUP_LUA);
  const base = raw.tsdis_gettop(L);
  let failed = raw.tsdis_load(L, src, SETUP_LUA.length, name) !== 0;
  if (!failed) {
    // its arguments: functions that make C closures: of a Lua function (wasm-patch.ts TRAMPOLINE_SLOT), of a JS call (JSCALL_SLOT)
    raw.tsdis_pushcclosure(L, MKWRAP_SLOT, 0);
    raw.tsdis_pushcclosure(L, MKJS_SLOT, 0);
    failed = raw.tsdis_pcall(L, 2, 0) !== 0;
  }
  raw.free_mem(src);
  raw.free_mem(name);
  if (failed) {
    const msg = luaString(vm, L, -1) ?? 'unknown error';
    raw.tsdis_settop(L, top);
    throw new Error(`the script sandbox setup failed: ${msg}`);
  }
  // FENV, begin_load, end_load, wrap, first, then the tables to protect
  [FENV_REF, BEGIN_LOAD_REF, END_LOAD_REF, WRAP_REF, FIRST_REF].forEach((ref, i) => {
    raw.tsdis_pushvalue(L, base + 1 + i);
    raw.tsdis_rawseti(L, LUA_REGISTRYINDEX, ref);
  });
  const list = base + 6;
  for (let i = 1; ; i++) {
    raw.tsdis_rawgeti(L, list, i);
    if (raw.tsdis_type(L, -1) !== LUA_TTABLE) break;
    raw.tsdis_readonly(L, -1, 1);
    raw.tsdis_settop(L, -2);
  }
  for (const idx of writable) raw.tsdis_readonly(L, idx, 1);
  raw.tsdis_settop(L, top);
  // what the setup keeps (its main chunk and temporaries are garbage now)
  fullCollect(vm);
  vm.setupBytes = heapBytes(vm) - before;
}

/** collectgarbage('collect') in a patched VM, under lua_pcall (the caller handles a VM that dies). */
function fullCollect(vm: Vm): void {
  const raw = vm.raw!;
  const L = stateOf(vm);
  const top = raw.tsdis_gettop(L);
  raw.tsdis_rawgeti(L, LUA_REGISTRYINDEX, GC_FN_REF);
  raw.tsdis_rawgeti(L, LUA_REGISTRYINDEX, GC_ARG_REF);
  raw.tsdis_pcall(L, 1, 0);
  raw.tsdis_settop(L, top);
}

/** The string (or number, as text) at stack index idx, latin1, or null. */
function luaString(vm: Vm, L: number, idx: number): string | null {
  const raw = vm.raw!;
  const t = raw.tsdis_type(L, idx);
  if (t !== LUA_TSTRING && t !== LUA_TNUMBER) return null;
  const p = raw.tsdis_tolstring(L, idx, vm.lenPtr);
  const b = heap(vm);
  return b.latin1Slice(p, p + u32At(b, vm.lenPtr));
}

/** Bytes in the Lua heap now (Lua's own count: global_State's totalbytes, what collectgarbage('count') reports). */
function heapBytes(vm: Vm): number {
  const b = heap(vm);
  return u32At(b, u32At(b, stateOf(vm) + L_G) + G_TOTALBYTES);
}

let active: Vm | null = await newVm();

/**
 * Drops an instance that failed (see withVm) and loads a fresh one in the
 * background; until it is ready (tens of ms), running a script is refused.
 * Scripts and functions need nothing more: a chunk re-enters whichever VM
 * runs it (Chunk.gen), compiled again from its source on its next run, and
 * FCALL runs a library's code on every call.
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

const ERR_VM_RESTARTING = 'ERR the script VM is restarting, try again';
const ERR_VM_DIED = 'ERR the script VM failed and is restarting';
const ERR_VM_NOMEM = 'ERR not enough memory in the script VM';

/**
 * n bytes of the VM's memory for a run's input (the script's source, KEYS
 * and ARGV), called before the VM runs: throws Redis-style when its heap
 * is full.
 */
function allocIn(vm: Vm, n: number): number {
  const p = vm.mem.alloc(n);
  if (p === 0) throw new ReplyError(ERR_VM_NOMEM);
  return p;
}

/** An exception that escaped the VM while it ran (withVm retires the VM). */
class VmFailure extends Error {}

/** `e`, thrown out of a call into the VM, as a VmFailure (even a ReplyError: it unwound the VM's frames). */
function asVmFailure(e: unknown): VmFailure {
  return e instanceof VmFailure ? e : new VmFailure(e instanceof Error ? e.message : String(e));
}

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
  /** A value of `tag` with the bytes src[from, to) (the VM's memory). */
  bytes(tag: number, src: Buffer, from: number, to: number): void {
    this.hdr(tag, to - from);
    this.raw(src, from, to);
  }
  /** The bytes src[from, to), no header. */
  raw(src: Buffer, from: number, to: number): void {
    const len = to - from;
    this.room(len);
    const b = this.buf;
    let n = this.n;
    if (len <= 32) for (let i = from; i < to; i++) b[n++] = src[i]!;
    else src.copy(b, n, from, to);
    this.n += len;
  }
  /** A u32 (LE), no header. */
  u32(v: number): void {
    this.room(4);
    putU32(this.buf, this.n, v);
    this.n += 4;
  }
  /** An integer reply of the (integral, in range) number v. */
  int64(v: number): void {
    this.hdr(T_INT, 8);
    this.room(8);
    const n = this.n;
    this.n = n + 8;
    if (Number.isSafeInteger(v)) {
      putU32(this.buf, n, v);
      putU32(this.buf, n + 4, Math.floor(v / 0x100000000));
    } else this.buf.writeBigInt64LE(BigInt(v), n);
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
    case 124: {
      // | an attribute: scripts do not see attributes (Redis's parser skips them), only the value that follows
      const n = numAt(s, from, end);
      const mark = w.n;
      for (let i = 0; i < 2 * n; i++) respToWire(c, w);
      w.n = mark;
      return respToWire(c, w);
    }
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
 * A redis.call argument that is a Lua number the patched engine does not
 * write itself (see wasm-patch.ts: it writes integers within +-2^62, as
 * Redis does since 7.2.5 and 7.0 did): the double in tsdis_numbuf becomes
 * its text there, with the length at NUMBUF_LEN_AT. Redis 7.2 writes these
 * with fpconv_dtoa: the shortest digits that read back as the same double
 * ("0.1", "1e+21", "4.611686018427388e+18", "inf"), -0 as "-0" (as 7.0 and
 * 7.2.4 do; 7.2.5's integer check made it "0"), and a NaN as "nan" or,
 * sign bit set, "-nan" (what 0/0 gives). See README "Scripting".
 */
function formatNumArg(vm: Vm): void {
  const b = heap(vm);
  const p = vm.raw!.tsdis_numbuf.value;
  const x = b.readDoubleLE(p);
  const s = x !== x ? ((b[p + 7]! & 0x80) !== 0 ? '-nan' : 'nan') : formatDouble(x);
  b.latin1Write(s, p, s.length);
  putU32(b, p + NUMBUF_LEN_AT, s.length);
}

/** LUAI_MAXCSTACK: lua_checkstack fails past this many slots in a C function's frame. */
const LUA_MAX_CSTACK = 8000;
const ERR_STACK_LIMIT = 'ERR reached lua stack limit';

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
function encodeTable(vm: Vm, idx: number, rb: number): void {
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
  let p = replyBuf(vm, wire.n);
  if (p === 0 && vm.replyPtr !== 0) {
    // The VM's heap is full: the script gets an error instead of the reply (it fits the scratch).
    wire.n = 0;
    wire.str(T_ERROR, ERR_VM_NOMEM, 0, ERR_VM_NOMEM.length);
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

/**
 * A script for the VM. With the patched engine it is compiled once per VM
 * and kept in the Lua registry (`ref`); otherwise (or when it does not
 * compile, or the cache is full) its bytes stay resident in the VM's memory
 * and it is compiled on every run. Either way until freeChunk.
 */
export interface Chunk {
  body: string;
  /**
   * For the compiled cache only (patched VM): code compiled as a main chunk,
   * as Redis compiles a script, whose first result each run returns through
   * the sandbox's `first` wrapper (sandbox.ts, FIRST_REF); null: `body` itself.
   */
  main: string | null;
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
 * A chunk for `body`; it enters the VM on its first run. `main` (see
 * Chunk), run through the sandbox's `first`, must behave as `body` does.
 */
export function makeChunk(body: string, main: string | null = null): Chunk {
  return { body, main, ptr: 0, len: 0, gen: 0, ref: 0, refGen: 0, noCacheGen: 0 };
}

/**
 * A chunk that runs `code` and returns only its first result (Redis keeps
 * the first of several; the VM, the last). Compiled once, `code` is a main
 * chunk of its own (no `arg` local, as in Redis) called by a closure made
 * once, so a run makes no closure; uncached, it is the body of a function.
 */
export function makeBodyChunk(code: string): Chunk {
  return makeChunk(`return ((function(...) ${code}\nend)())`, code);
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
  const src = c.main ?? c.body;
  if (raw === null || c.noCacheGen === vm.gen || vm.cachedBytes + src.length > CACHE_BYTES) return 0;
  const len = src.length;
  const ptr = allocIn(vm, Math.max(1, len));
  heap(vm).latin1Write(src, ptr, len);
  const L = stateOf(vm);
  const top = raw.tsdis_gettop(L);
  try {
    if (c.main !== null) raw.tsdis_rawgeti(L, LUA_REGISTRYINDEX, FIRST_REF);
    if (raw.tsdis_load(L, ptr, len, NAME_USER_SCRIPT) !== 0) {
      raw.tsdis_settop(L, top);
      c.noCacheGen = vm.gen;
      return 0;
    }
    // first(f) only makes a closure (it fails only out of memory: Lua panics, the VM is replaced).
    if (c.main !== null) raw.tsdis_call(L, 1, 1);
    const ref = vm.freeRefs.pop() ?? vm.nextRef++;
    raw.tsdis_rawseti(L, LUA_REGISTRYINDEX, ref);
    c.ref = ref;
    c.refGen = vm.gen;
    vm.cachedBytes += len;
    return ref;
  } catch (e) {
    throw asVmFailure(e);
  } finally {
    vm.mem.free(ptr);
  }
}

/** Puts the chunk's bytes into `vm` (again, if it was made for a retired one). */
function residentIn(vm: Vm, c: Chunk): void {
  if (c.gen === vm.gen && c.ptr !== 0) return;
  const len = Buffer.byteLength(c.body, 'latin1');
  const ptr = allocIn(vm, Math.max(1, len));
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
    vm.cachedBytes -= (c.main ?? c.body).length;
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
  const ap = total <= ARGS_SCRATCH && vm.argsPtr !== 0 ? vm.argsPtr : allocIn(vm, total);
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
  if (!vm.fast) {
    try {
      return { value: vm.engine.evalWithArgs(Buffer.from(chunk.body, 'latin1'), keys.map(latin1Buf), args.map(latin1Buf)) };
    } catch (e) {
      throw asVmFailure(e);
    }
  }
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
  // a debugged run gets line events (ldb.ts)
  const debugging = vm.raw !== null && current?.debugHook !== undefined;
  if (debugging) {
    heap(vm)[stateOf(vm) + L_HOOKMASK] = LUA_MASKCOUNT | LUA_MASKLINE;
    vm.debugWrapped = sl !== CACHED_LEN && chunk.main !== null;
  }
  try {
    if (vm.raw !== null) {
      vm.raw.eval_with_args(vm.retPtr, sp, sl, ap, al, keys.length);
      const b = heap(vm);
      return { ptr: u32At(b, vm.retPtr), len: u32At(b, vm.retPtr + 4) };
    }
    const r = vm.internals.callEvalWithArgs(sp, sl, ap, al, keys.length);
    return { value: vm.internals.decodeResult(r, '') };
  } catch (e) {
    throw asVmFailure(e);
  } finally {
    if (ap !== vm.argsPtr) vm.mem.free(ap);
    if (debugging) heap(vm)[stateOf(vm) + L_HOOKMASK] = LUA_MASKCOUNT;
    disarmKill(vm);
  }
}

/** After a run a kill (or a load timeout) ended: no kill armed, the hook back to every HOOK_STEP instructions (see wasm-patch.ts). */
function disarmKill(vm: Vm): void {
  if (vm.raw === null || vm.raw.tsdis_kill.value === 0) return;
  vm.raw.tsdis_kill.value = 0;
  const b = heap(vm);
  const L = stateOf(vm);
  b.writeInt32LE(HOOK_STEP, L + L_BASEHOOKCOUNT);
  b.writeInt32LE(HOOK_STEP, L + L_HOOKCOUNT);
}

/** A function a library registered (loadLibraryCode). */
export interface RegisteredFunction {
  name: string;
  /** Flag bits (sandbox.ts FLAG_*). */
  flags: number;
  description: string | null;
  /**
   * What FCALL runs: a wrapper calling the callback with KEYS and ARGV,
   * kept in the registry of VM `chunk.refGen` (free it with freeChunk).
   * In another VM (after a restart) the library must be loaded again.
   */
  chunk: Chunk;
}

/** loadLibraryCode's result: the functions and the Lua heap bytes the load took, or Redis's error (after "ERR "). */
export type LibraryLoad = { functions: RegisteredFunction[]; heapBytes: number } | { error: string };

/**
 * FUNCTION LOAD in the VM (Redis's luaEngineCreate): compiles a library's
 * code (its metadata line emptied, so lines keep their numbers) as
 * "@user_function", gives it the functions environment (sandbox.ts FENV),
 * runs its top level with the library API under `h` (whose tick may end a
 * run that takes too long) and keeps a wrapper for each function it
 * registered. Redis's errors for a failed compile or run; nothing is kept
 * then. Throws a ReplyError when the VM is restarting.
 */
export function loadLibraryCode(code: string, h: ScriptHost): LibraryLoad {
  return withVm(h, (vm): LibraryLoad => {
    const raw = vm.raw;
    if (raw === null) return { error: 'Error registering functions: functions need the patched script engine (lua-redis-wasm 1.5.0)' };
    const L = stateOf(vm);
    const top = raw.tsdis_gettop(L);
    const before = heapBytes(vm);
    const ptr = allocIn(vm, Math.max(1, code.length));
    heap(vm).latin1Write(code, ptr, code.length);
    const compiled = raw.tsdis_load(L, ptr, code.length, vm.userFunctionName);
    vm.mem.free(ptr);
    if (compiled !== 0) {
      const msg = luaString(vm, L, -1) ?? '';
      raw.tsdis_settop(L, top);
      return { error: cfmt`Error compiling function: ${msg}` };
    }
    raw.tsdis_rawgeti(L, LUA_REGISTRYINDEX, FENV_REF);
    raw.tsdis_setfenv(L, -2);
    raw.tsdis_rawgeti(L, LUA_REGISTRYINDEX, BEGIN_LOAD_REF);
    raw.tsdis_call(L, 0, 0);
    const err = raw.tsdis_pcall(L, 0, 0) === 0 ? null : loadError(vm, L);
    disarmKill(vm);
    raw.tsdis_settop(L, top);
    raw.tsdis_rawgeti(L, LUA_REGISTRYINDEX, END_LOAD_REF);
    raw.tsdis_call(L, 0, 1);
    const regs = raw.tsdis_gettop(L);
    const functions: RegisteredFunction[] = [];
    for (let i = 1; err === null; i++) {
      raw.tsdis_rawgeti(L, regs, i);
      if (raw.tsdis_type(L, -1) !== LUA_TTABLE) break;
      const e = raw.tsdis_gettop(L);
      raw.tsdis_rawgeti(L, e, 1);
      const name = luaString(vm, L, -1) ?? '';
      raw.tsdis_rawgeti(L, e, 2);
      const flags = raw.tsdis_tonumber(L, -1);
      raw.tsdis_rawgeti(L, e, 3);
      const description = luaString(vm, L, -1);
      raw.tsdis_rawgeti(L, LUA_REGISTRYINDEX, WRAP_REF);
      raw.tsdis_rawgeti(L, e, 4);
      raw.tsdis_call(L, 1, 1);
      const ref = vm.freeRefs.pop() ?? vm.nextRef++;
      raw.tsdis_rawseti(L, LUA_REGISTRYINDEX, ref);
      const chunk = makeChunk('');
      chunk.ref = ref;
      chunk.refGen = vm.gen;
      functions.push({ name, flags, description, chunk });
      raw.tsdis_settop(L, regs);
    }
    raw.tsdis_settop(L, top);
    if (err !== null) return { error: cfmt`Error registering functions: ${err}` };
    return { functions, heapBytes: heapBytes(vm) - before };
  });
}

/**
 * The error a library's top level raised (on top of the stack), as Redis's
 * luaExtractErrorInformation words it: "ERR " and a string, a table's err
 * field as is, else "(null)" (what Redis's printf writes for it).
 */
function loadError(vm: Vm, L: number): string {
  const raw = vm.raw!;
  const s = luaString(vm, L, -1);
  if (s !== null) return `ERR ${s}`;
  if (raw.tsdis_type(L, -1) !== LUA_TTABLE) return '(null)';
  raw.tsdis_rawgeti(L, LUA_REGISTRYINDEX, REPLY_FIELDS_REF);
  raw.tsdis_rawget(L, -2);
  return luaString(vm, L, -1) ?? '(null)';
}

/** The generation of the VM scripts run in now (Chunk.refGen), 0 while it restarts. */
export function vmGen(): number {
  return active?.gen ?? 0;
}

/**
 * The end of the encoded value at `o` when writeWire can write it (anything
 * but a script error, which only the engine's own decoder reads), or -1.
 * A loop, not a recursion: a result may nest ~8,000 deep (see encodeTable).
 */
function wireEnd(b: Buffer, o: number, end: number): number {
  let pending = 1;
  while (pending > 0) {
    if (o + 5 > end) return -1;
    pending--;
    const t = b[o]!;
    const x = u32At(b, o + 1);
    o += 5;
    switch (t) {
      case T_NULL:
        break;
      case T_INT:
      case T_DOUBLE:
        o += 8;
        break;
      case T_BOOL:
        o += 1;
        break;
      case T_BULK:
      case T_STATUS:
      case T_ERROR:
      case T_BIG_NUMBER:
      case T_VERBATIM:
        o += x;
        break;
      case T_ARRAY:
      case T_SET:
        pending += x;
        break;
      case T_MAP:
        pending += 2 * x;
        break;
      default:
        return -1;
    }
  }
  return o <= end ? o : -1;
}

/**
 * Writes the encoded value at `o` to `reply` (as luaToReply would write its
 * decoded form): the encoding and RESP both put a container's count before
 * its elements, so it is one pass over the bytes, without recursion.
 */
function writeWire(b: Buffer, o: number, reply: Reply): void {
  let pending = 1;
  while (pending > 0) {
    pending--;
    const t = b[o]!;
    const x = u32At(b, o + 1);
    o += 5;
    switch (t) {
      case T_NULL:
        reply.null();
        break;
      case T_INT: {
        const lo = u32At(b, o);
        const hi = u32At(b, o + 4) | 0;
        const v = hi * 0x100000000 + lo;
        if (Number.isSafeInteger(v)) reply.int(v);
        else {
          const big = b.readBigInt64LE(o);
          reply.int(big === INT64_MAX ? INT64_MIN : big);
        }
        o += 8;
        break;
      }
      case T_DOUBLE:
        luaDouble(reply, b.readDoubleLE(o));
        o += 8;
        break;
      case T_BOOL:
        if (respNow === 2) {
          if (b[o] !== 0) reply.int(1);
          else reply.null();
        } else reply.bool(b[o] !== 0);
        o += 1;
        break;
      case T_BULK:
        reply.bulk(b.latin1Slice(o, o + x));
        o += x;
        break;
      case T_STATUS:
        reply.simple(noCrLf(b.latin1Slice(o, o + x)));
        o += x;
        break;
      case T_ERROR:
        reply.error(b.latin1Slice(o, o + x));
        o += x;
        break;
      case T_BIG_NUMBER:
        reply.bigNumber(noCrLf(b.latin1Slice(o, o + x)));
        o += x;
        break;
      case T_VERBATIM: {
        // [u32 format length][format][string]
        const fl = u32At(b, o);
        reply.verbatim(b.latin1Slice(o + 4 + fl, o + x), verbatimFormat(b.latin1Slice(o + 4, o + 4 + fl)));
        o += x;
        break;
      }
      case T_ARRAY:
        reply.array(x);
        pending += x;
        break;
      case T_SET:
        reply.set(x);
        pending += x;
        break;
      case T_MAP:
        reply.map(x);
        pending += 2 * x;
        break;
    }
  }
}

/** A verbatim string's format as Redis writes it (addReplyVerbatim): three characters, padded with spaces. */
function verbatimFormat(f: string): string {
  return f.length === 3 ? f : f.slice(0, 3).padEnd(3, ' ');
}

/** A status or big number as Redis replies it: CR and LF become spaces. */
function noCrLf(s: string): string {
  return s.includes('\r') || s.includes('\n') ? s.replace(/[\r\n]/g, ' ') : s;
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

/**
 * Runs `f` on the active VM with `h` serving redis.call & co. Anything but
 * a ReplyError escaping the VM (Lua panicked and called exit(), the
 * instance trapped, a host callback threw through it) leaves the VM in an
 * unknown state: it is retired and reloaded (see retire), and the run gets
 * an error reply.
 */
function withVm<T>(h: ScriptHost, f: (vm: Vm) => T): T {
  const vm = active;
  if (vm === null) throw new ReplyError(ERR_VM_RESTARTING);
  // The engine is not re-entrant: a run inside a run would clear the running script's stack.
  if (current !== null) throw new ReplyError('ERR a script cannot run while another script is running');
  const prev = current;
  current = h;
  respNow = 2;
  let r: T;
  try {
    r = f(vm);
  } catch (e) {
    if (e instanceof ReplyError) {
      reclaim(vm);
      throw e;
    }
    retire(vm);
    throw new ReplyError(`${ERR_VM_DIED} (${e instanceof Error ? e.message : String(e)})`);
  } finally {
    current = prev;
  }
  if (++vm.runs === GC_PERIOD) gcStep(vm);
  reclaim(vm);
  return r;
}

/** Runs between two collection steps, and the step's size (Redis's LUA_GC_CYCLE_PERIOD, luaCallFunction). */
const GC_PERIOD = 50;

/**
 * Every GC_PERIOD runs, a step of GC_PERIOD of the incremental collector
 * (lua_gc(LUA_GCSTEP, 50)), as Redis takes one every 50 scripts: the
 * garbage of short scripts is collected as it goes instead of growing the
 * heap to twice its live size (Redis's "EVAL does not leak in the Lua
 * stack" test wants used_memory_lua under 100 KB after 10,000 EVALs).
 * Patched VM; a failure retires it.
 */
function gcStep(vm: Vm): void {
  vm.runs = 0;
  const raw = vm.raw;
  if (raw === null || active !== vm) return;
  const L = stateOf(vm);
  const top = raw.tsdis_gettop(L);
  try {
    raw.tsdis_rawgeti(L, LUA_REGISTRYINDEX, GC_FN_REF);
    raw.tsdis_rawgeti(L, LUA_REGISTRYINDEX, GC_STEP_REF);
    raw.tsdis_pushnumber(L, GC_PERIOD);
    raw.tsdis_pcall(L, 2, 0);
    raw.tsdis_settop(L, top);
  } catch {
    retire(vm);
  }
}


/**
 * A full collection when the Lua heap is past GC_AT_BYTES (after each run;
 * patched VM). It runs as collectgarbage('collect') under lua_pcall, with
 * the ballast freed first: a collection may itself allocate, and an error
 * outside a pcall would make Lua panic. Never throws: a VM that fails here
 * is retired (the run's reply is written already).
 */
function reclaim(vm: Vm): void {
  const raw = vm.raw;
  if (raw === null || active !== vm) return;
  const b = heap(vm);
  const L = stateOf(vm);
  if (u32At(b, u32At(b, L + L_G) + G_TOTALBYTES) < GC_AT_BYTES) return;
  try {
    if (vm.ballast !== 0) raw.free_mem(vm.ballast);
    const top = raw.tsdis_gettop(L);
    raw.tsdis_rawgeti(L, LUA_REGISTRYINDEX, GC_FN_REF);
    raw.tsdis_rawgeti(L, LUA_REGISTRYINDEX, GC_ARG_REF);
    raw.tsdis_pcall(L, 1, 0);
    raw.tsdis_settop(L, top);
    vm.ballast = raw.alloc(GC_BALLAST);
  } catch {
    retire(vm);
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
 * runChunk, writing a result (anything but a script error)
 * straight to `reply` as luaToReply would, without decoding it first:
 * returns undefined then, or else the decoded result for the caller.
 */
export function runChunkInto(chunk: Chunk, keys: string[], args: string[], h: ScriptHost, reply: Reply): ReplyValue | undefined {
  return withVm(h, (vm) => {
    const r = exec(vm, chunk, keys, args);
    if ('value' in r) return fixDecoded(r.value);
    if (r.ptr === 0 || r.len === 0) {
      // The engine could not allocate the result (a script that returns nothing gets an encoded null).
      reply.error(ERR_VM_NOMEM);
      return undefined;
    }
    const b = heap(vm);
    if (wireEnd(b, r.ptr, r.ptr + r.len) !== r.ptr + r.len) return fixDecoded(vm.internals.decodeResult(r, ''));
    try {
      writeWire(b, r.ptr, reply);
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
    case '|': {
      // an attribute: skipped, the value that follows is the reply (see respToWire)
      const n = Number(line);
      for (let i = 0; i < 2 * n; i++) readValue(c);
      return readValue(c);
    }
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
  if ('ok' in v) return reply.simple(noCrLf(v.ok.latin1Slice(0, v.ok.length)));
  if ('err' in v) return reply.error(errText(v));
  if ('double' in v) return luaDouble(reply, v.double);
  if ('big_number' in v) return reply.bigNumber(noCrLf(v.big_number.latin1Slice(0, v.big_number.length)));
  if ('verbatim_string' in v) {
    const { format, string } = v.verbatim_string;
    return reply.verbatim(string.latin1Slice(0, string.length), verbatimFormat(format.latin1Slice(0, format.length)));
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

/** The last vmMemory figure of an unpatched VM (what INFO shows while a script runs). */
let lastVmBytes = 0;

/**
 * The size of the VM's WebAssembly memory (its fixed heap), 0 without a VM:
 * part of the process's external memory that used_memory leaves out, as
 * Redis reports its Lua heap apart (observability/memory.ts).
 */
export function vmHeapBytes(): number {
  return active === null ? 0 : active.mem.buf.length;
}

/**
 * Bytes the Lua heap uses, as Lua counts them (Redis's luaMemory), and how
 * many of them the sandbox setup took (functions' share, see
 * scripting/info.ts). A patched VM's count is read from its memory; an
 * unpatched one runs a chunk, so while a script runs (redis.call('INFO'))
 * it gives the last figure: running a chunk then would re-enter the engine
 * under the running script (its stack and KEYS/ARGV would be lost).
 */
export function vmMemory(): { bytes: number; setupBytes: number } {
  const vm = active;
  if (vm === null) return { bytes: 0, setupBytes: 0 };
  if (vm.raw !== null) return { bytes: heapBytes(vm), setupBytes: vm.setupBytes };
  if (current === null) {
    const r = runChunk(GC_COUNT, [], [], NO_HOST);
    lastVmBytes = typeof r === 'number' ? r : 0;
  }
  return { bytes: lastVmBytes, setupBytes: 0 };
}
const GC_COUNT = makeChunk("return math.floor(collectgarbage('count') * 1024)");

/**
 * A full collection of the Lua heap (SCRIPT FLUSH: Redis starts a new eval
 * VM there, so the memory the flushed scripts held is given back at once).
 * Not while a script runs.
 */
export function collectGarbage(): void {
  const vm = active;
  if (vm === null || current !== null || vm.raw === null) return;
  try {
    fullCollect(vm);
  } catch {
    retire(vm);
  }
}


/* ---------------------------------------------------------------------------
 * The Lua debugger's view of the VM (ldb.ts), while a hook or a JS call runs
 * ------------------------------------------------------------------------- */

/**
 * Lua 5.1's structures as this build (wasm32) lays them out, for reading a
 * stack level's local variables (lua_getlocal is not in the build). From
 * lstate.h / lobject.h: lua_State's ci and base_ci, a CallInfo (24 bytes:
 * base, func, top, savedpc, ...), a TValue (16 bytes: value, then tt), a
 * Lua closure's proto, a Proto's code / locvars / sizelocvars, a LocVar
 * (12 bytes: varname, startpc, endpc), a TString's length and chars.
 */
const L_CI = 20;
const L_SAVEDPC = 24;
const L_TOP = 8;
const L_BASE_CI = 40;
const CI_SIZE = 24;
const CI_BASE = 0;
const CI_FUNC = 4;
const CI_SAVEDPC = 12;
const TVALUE_SIZE = 16;
const TVALUE_TT = 8;
const CLOSURE_ISC = 6;
const LCLOSURE_P = 16;
const PROTO_CODE = 12;
const PROTO_P = 16;
const PROTO_LOCVARS = 24;
const PROTO_SIZEP = 52;
const PROTO_SIZELOCVARS = 56;
const LOCVAR_SIZE = 12;
const TSTRING_LEN = 12;
const TSTRING_CHARS = 16;
/** lua_Debug: name, currentline, short_src, i_ci (its size: 100 bytes). */
const AR_NAME = 4;
const AR_CURRENTLINE = 20;
const AR_SHORT_SRC = 36;
const AR_I_CI = 96;
/** Redis's LDB_MAX_VALUES_DEPTH (LUA_MINSTACK / 2). */
const LDB_MAX_DEPTH = 10;

/** The NUL-terminated string at p in the VM's memory (latin1). */
function cStringAt(b: Buffer, p: number, max = 1 << 16): string {
  let e = p;
  while (e < p + max && b[e] !== 0) e++;
  return b.latin1Slice(p, e);
}

/** The C strings and the lua_Debug the debugger needs in a VM (made on its first use there). */
interface DebugScratch {
  ar: number;
  snl: number;
  ldbEval: number;
}

function scratchOf(vm: Vm): DebugScratch {
  vm.debugScratch ??= { ar: vm.raw!.alloc(128), snl: cString(vm, 'Snl'), ldbEval: cString(vm, '@ldb_eval') };
  return vm.debugScratch;
}

/** Redis's sdscatrepr: a quoted string, \\ \" \n \r \t \a \b escaped, other unprintable bytes as \xhh. */
export function reprString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 || c === 34) out += '\\' + s[i];
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c >= 32 && c < 127) out += s[i];
    else out += '\\x' + c.toString(16).padStart(2, '0');
  }
  return out + '"';
}

/** C's printf("%g", x): 6 significant digits, %e below 1e-4 or from 1e6, trailing zeros dropped. */
export function formatG(x: number): string {
  if (x !== x) return (Buffer.from(new Float64Array([x]).buffer)[7]! & 0x80) !== 0 ? '-nan' : 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const e = Number(x.toExponential(5).split('e')[1]);
  if (e < -4 || e >= 6) {
    const [m, ex] = x.toExponential(5).split('e') as [string, string];
    const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    const n = Number(ex);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const f = x.toFixed(Math.max(0, 5 - e));
  return f.includes('.') ? f.replace(/0+$/, '').replace(/\.$/, '') : f;
}

/** The value at stack index idx printed as Redis's ldbCatStackValueRec prints it. */
function valueRepr(vm: Vm, L: number, idx: number, level = 0): string {
  const raw = vm.raw!;
  if (level === LDB_MAX_DEPTH) return '<max recursion level reached! Nested table?>';
  const abs = idx < 0 ? raw.tsdis_gettop(L) + idx + 1 : idx;
  switch (raw.tsdis_type(L, abs)) {
    case LUA_TSTRING:
      return reprString(luaString(vm, L, abs) ?? '');
    case LUA_TBOOLEAN:
      return raw.tsdis_toboolean(L, abs) !== 0 ? 'true' : 'false';
    case LUA_TNUMBER:
      return formatG(raw.tsdis_tonumber(L, abs));
    case LUA_TNIL:
      return 'nil';
    case LUA_TTABLE: {
      let expected = 1;
      let isArray = true;
      const repr1: string[] = [];
      const repr2: string[] = [];
      raw.tsdis_settop(L, raw.tsdis_gettop(L) + 1); // a nil: the first key
      while (raw.tsdis_next(L, abs) !== 0) {
        if (isArray && (raw.tsdis_type(L, -2) !== LUA_TNUMBER || raw.tsdis_tonumber(L, -2) !== expected)) isArray = false;
        const v = valueRepr(vm, L, -1, level + 1);
        repr1.push(v);
        repr2.push(`[${valueRepr(vm, L, -2, level + 1)}]=${v}`);
        raw.tsdis_settop(L, -2);
        expected++;
      }
      return `{${(isArray ? repr1 : repr2).join('; ')}}`;
    }
    case LUA_TFUNCTION:
    case LUA_TUSERDATA:
    case LUA_TTHREAD:
    case LUA_TLIGHTUSERDATA: {
      const t = raw.tsdis_type(L, abs);
      const name = t === LUA_TFUNCTION ? 'function' : t === LUA_TUSERDATA ? 'userdata' : t === LUA_TTHREAD ? 'thread' : 'light-userdata';
      // (the value's address in the VM's memory, as %p prints an address)
      const b = heap(vm);
      const slot = u32At(b, L + L_TOP) - (raw.tsdis_gettop(L) - abs + 1) * TVALUE_SIZE;
      return `"${name}@0x${u32At(b, slot).toString(16)}"`;
    }
    default:
      return '"<unknown-lua-type>"';
  }
}

/**
 * Stack level `level`'s local variables (Lua 5.1's lua_getlocal, in JS over
 * the memory layout above): named locals active at the level's current
 * instruction, in order, each with its printed value, but the first
 * `hide` of the function (ERROR_SHADOW's). A C function has none. Runs
 * inside a hook (or a C function), where the stack has room.
 */
function localsAt(vm: Vm, L: number, level: number, hide: number): { name: string; value: string }[] {
  const raw = vm.raw!;
  const sc = scratchOf(vm);
  if (raw.tsdis_getstack(L, level, sc.ar) === 0) return [];
  let b = heap(vm);
  const ci = u32At(b, L + L_BASE_CI) + u32At(b, sc.ar + AR_I_CI) * CI_SIZE;
  const func = u32At(b, ci + CI_FUNC);
  if (u32At(b, func + TVALUE_TT) !== LUA_TFUNCTION) return [];
  const cl = u32At(b, func);
  if (b[cl + CLOSURE_ISC] !== 0) return [];
  const p = u32At(b, cl + LCLOSURE_P);
  const savedpc = ci === u32At(b, L + L_CI) ? u32At(b, L + L_SAVEDPC) : u32At(b, ci + CI_SAVEDPC);
  const pc = (savedpc - u32At(b, p + PROTO_CODE)) / 4 - 1;
  const locvars = u32At(b, p + PROTO_LOCVARS);
  const n = u32At(b, p + PROTO_SIZELOCVARS);
  const base = u32At(b, ci + CI_BASE);
  const out: { name: string; value: string }[] = [];
  let k = 0;
  for (let i = 0; i < n; i++) {
    const lv = locvars + i * LOCVAR_SIZE;
    if ((u32At(b, lv + 4) | 0) > pc) break;
    if (pc >= (u32At(b, lv + 8) | 0)) continue;
    if (i < hide) {
      k++;
      continue;
    }
    const ts = u32At(b, lv);
    const name = b.latin1Slice(ts + TSTRING_CHARS, ts + TSTRING_CHARS + u32At(b, ts + TSTRING_LEN));
    // a copy of the slot on top, printed, popped
    raw.tsdis_settop(L, raw.tsdis_gettop(L) + 1);
    b = heap(vm);
    const top = u32At(b, L + L_TOP) - TVALUE_SIZE;
    b.copy(b, top, base + k * TVALUE_SIZE, base + (k + 1) * TVALUE_SIZE);
    out.push({ name, value: valueRepr(vm, L, -1) });
    raw.tsdis_settop(L, -2);
    b = heap(vm);
    k++;
  }
  return out;
}

/** The Proto of stack level `level`'s function (0: a C function or no such level); lua_Debug `ar` is filled by the way. */
function protoAt(vm: Vm, L: number, level: number, ar: number): number {
  if (vm.raw!.tsdis_getstack(L, level, ar) === 0) return 0;
  const b = heap(vm);
  const ci = u32At(b, L + L_BASE_CI) + u32At(b, ar + AR_I_CI) * CI_SIZE;
  const func = u32At(b, ci + CI_FUNC);
  if (u32At(b, func + TVALUE_TT) !== LUA_TFUNCTION) return 0;
  const cl = u32At(b, func);
  return b[cl + CLOSURE_ISC] !== 0 ? 0 : u32At(b, cl + LCLOSURE_P);
}

/** The names of ERROR_SHADOW's locals, declared first in a script that has it (sandbox.ts). */
const SHADOW_LOCALS = ['__e', '__p', '__t', '__s', '__cr', '__last', '__d', '__obj', 'error', '__fix', 'pcall', '__rfix', 'coroutine'];
/** ERROR_SHADOW's functions: the first children of the script's function. */
const SHADOW_FUNCTIONS = ERROR_SHADOW.match(/\bfunction\s*\(/g)?.length ?? 0;

/**
 * The stack levels of the debugged script's own code, from the running
 * one out, each with the number of its first locals that are tsdis's
 * (`hide`). The script's function is the outermost user_script level (or,
 * when the run used the uncached wrapper, the one it calls: vm.debugWrapped);
 * when its first locals are ERROR_SHADOW's, its first SHADOW_FUNCTIONS
 * child functions are too, and their levels are left out.
 */
function scriptFrames(vm: Vm, L: number): { level: number; line: number; name: string | null; proto: number; hide: number }[] {
  const raw = vm.raw!;
  const sc = scratchOf(vm);
  const all: { level: number; line: number; name: string | null; proto: number; hide: number }[] = [];
  for (let level = 0; ; level++) {
    const proto = protoAt(vm, L, level, sc.ar);
    if (proto === 0 && raw.tsdis_getstack(L, level, sc.ar) === 0) break;
    raw.tsdis_getinfo(L, sc.snl, sc.ar);
    const b = heap(vm);
    if (!cStringAt(b, sc.ar + AR_SHORT_SRC, 60).includes('user_script')) continue;
    const np = u32At(b, sc.ar + AR_NAME);
    all.push({ level, line: u32At(b, sc.ar + AR_CURRENTLINE) | 0, name: np === 0 ? null : cStringAt(b, np), proto, hide: 0 });
  }
  if (vm.debugWrapped && all.length > 0) all.pop();
  const top = all[all.length - 1];
  if (top === undefined) return all;
  const b = heap(vm);
  const p = top.proto;
  const locvars = u32At(b, p + PROTO_LOCVARS);
  const nlocvars = u32At(b, p + PROTO_SIZELOCVARS);
  const nameAt = (i: number): string => {
    const ts = u32At(b, locvars + i * LOCVAR_SIZE);
    return b.latin1Slice(ts + TSTRING_CHARS, ts + TSTRING_CHARS + u32At(b, ts + TSTRING_LEN));
  };
  // the uncached wrapper is a vararg function: Lua 5.1 gives it an `arg` local first
  let hide = vm.debugWrapped && nlocvars > 0 && nameAt(0) === 'arg' ? 1 : 0;
  // ERROR_SHADOW: its locals come first, its functions are the first children
  let shadow: Set<number> | null = null;
  if (nlocvars >= hide + SHADOW_LOCALS.length && u32At(b, p + PROTO_SIZEP) >= SHADOW_FUNCTIONS && SHADOW_LOCALS.every((n, i) => nameAt(hide + i) === n)) {
    hide += SHADOW_LOCALS.length;
    const children = u32At(b, p + PROTO_P);
    shadow = new Set();
    for (let i = 0; i < SHADOW_FUNCTIONS; i++) shadow.add(u32At(b, children + i * 4));
  }
  for (const f of all) if (f.proto === p) f.hide = hide;
  return shadow === null ? all : all.filter((f) => !shadow.has(f.proto));
}

/**
 * The debugger's access to `vm` while a hook or JS call runs in it, in
 * thread `L` (the script's, or a coroutine's): see LuaDebug. Makes room
 * on L's stack for printing values nested to LDB_MAX_DEPTH (two slots a
 * level) and a local's copy.
 */
function debugAccess(vm: Vm, L: number): LuaDebug {
  const raw = vm.raw!;
  const sc = scratchOf(vm);
  raw.tsdis_checkstack(L, 2 * LDB_MAX_DEPTH + 4);
  return {
    frames: () => scriptFrames(vm, L).map(({ level, line, name }) => ({ level, line, name })),
    locals: (level) => {
      const f = scriptFrames(vm, L).find((x) => x.level === level);
      return f === undefined ? [] : localsAt(vm, L, level, f.hide);
    },
    global(name) {
      const top = raw.tsdis_gettop(L);
      const p = cString(vm, name);
      raw.tsdis_getfield(L, LUA_GLOBALSINDEX, p);
      raw.free_mem(p);
      const v = valueRepr(vm, L, -1);
      raw.tsdis_settop(L, top);
      return v;
    },
    evalCode(code) {
      const top = raw.tsdis_gettop(L);
      const load = (src: string): boolean => {
        const p = cString(vm, src);
        const st = raw.tsdis_load(L, p, src.length, sc.ldbEval);
        raw.free_mem(p);
        return st === 0;
      };
      let out: string;
      if (!load(`return ${code}`)) {
        raw.tsdis_settop(L, top);
        if (!load(code)) {
          out = cfmt`<error> ${luaString(vm, L, -1) ?? ''}`;
          raw.tsdis_settop(L, top);
          return out;
        }
      }
      if (raw.tsdis_pcall(L, 0, 0) !== 0) out = cfmt`<error> ${luaString(vm, L, -1) ?? '(null)'}`;
      else out = `<retval> ${raw.tsdis_gettop(L) > top ? valueRepr(vm, L, top + 1) : 'nil'}`;
      raw.tsdis_settop(L, top);
      return out;
    },
    redisCall(args) {
      // room for redis.call and the arguments (Redis's ldbRedis checks the same)
      if (raw.tsdis_checkstack(L, args.length + 2) === 0) return false;
      const top = raw.tsdis_gettop(L);
      const r = cString(vm, 'redis');
      const c = cString(vm, 'call');
      raw.tsdis_getfield(L, LUA_GLOBALSINDEX, r);
      raw.tsdis_getfield(L, -1, c);
      raw.free_mem(r);
      raw.free_mem(c);
      for (const a of args) {
        const p = vm.mem.alloc(Math.max(1, a.length));
        heap(vm).latin1Write(a, p, a.length);
        raw.tsdis_pushlstring(L, p, a.length);
        vm.mem.free(p);
      }
      raw.tsdis_pcall(L, args.length, 0);
      raw.tsdis_settop(L, top);
      return true;
    },
    args() {
      const n = raw.tsdis_gettop(L);
      const out: string[] = [];
      for (let i = 1; i <= n; i++) out.push(valueRepr(vm, L, i));
      return out;
    },
    pushBoolean(v) {
      raw.tsdis_pushboolean(L, v ? 1 : 0);
    },
    abort() {
      raw.tsdis_kill.value = vm.killPtr;
    },
  };
}
