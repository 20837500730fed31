/**
 * The Lua VM: Redis's own Lua 5.1 (with cjson, cmsgpack, bit and struct and
 * Redis's sandbox: read-only globals, no os/io/loadfile/dofile/require/debug)
 * compiled to WebAssembly, from the `lua-redis-wasm` package. See README
 * "Scripting" for why this VM and not wasmoon or fengari.
 *
 * One VM serves every server in the process (the one process-wide
 * resource here, `S`): it costs a 64 MB WebAssembly memory and ~30 ms to
 * make, one per embedded server would multiply both, and sharing it leaks
 * nothing between servers: a script cannot keep state between runs (the
 * globals are read-only), each server's scripts and functions are its own
 * Chunk objects in its own state (their compiled functions sit in registry
 * slots only those chunks name), and runs never nest (EVAL and FCALL are
 * `noscript`; one event loop), so the VM's host callbacks are routed to
 * whichever script is running now (`S.current`, set by withVm).
 *
 * The VM is made on first use, not at import: loading the WebAssembly is
 * asynchronous (the package's loader and its Emscripten glue await), so a
 * command that needs the VM before the first load ends waits for it,
 * held by the dispatcher's gate with the rest of its client's input
 * (vm-gate.ts), and the start loads it before replaying an RDB file or AOF
 * that has functions (server/boot.ts). Once loaded, running a script is
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
 * This file runs scripts: the VM in use and its restart, a run (withVm,
 * exec), the collector's pacing, FUNCTION LOAD's library code, and the
 * public API scripts.ts and functions.ts use. The rest, by seam:
 *  - lua-engine.ts: loading the engine, the Vm record, the sandbox setup,
 *    the VM's memory;
 *  - lua-chunks.ts: a script's compiled function or resident bytes in a VM,
 *    and the copy of KEYS / ARGV;
 *  - lua-bridge.ts: the patched engine's calls into JS (redis.call, the
 *    text of a number argument, a table result encoded by Redis's rules);
 *  - lua-convert.ts: the reply conversions (RESP to the engine's encoding,
 *    the encoded result to the caller's Reply, the public API's values);
 *  - lua-debug.ts: the Lua debugger's view of the VM.
 */
import { Buffer } from 'node:buffer';
import type { ReplyValue, RedisHost } from 'lua-redis-wasm';
import {
  BINS_BYTES,
  BEGIN_LOAD_REF,
  CACHED_LEN,
  END_LOAD_REF,
  FENV_REF,
  G_TOTALBYTES,
  GC_ARG_REF,
  GC_FN_REF,
  GC_STEP_REF,
  HOOK_STEP,
  L_BASEHOOKCOUNT,
  L_G,
  L_HOOKCOUNT,
  L_HOOKMASK,
  LUA_GLOBALSINDEX,
  LUA_MASKCOUNT,
  LUA_MASKLINE,
  LUA_REGISTRYINDEX,
  NUMBUF_SIZE,
  REPLY_FIELDS,
  REPLY_FIELDS_REF,
  WRAP_REF,
} from './wasm-layout.js';
import { REDIS_VERSION } from '../version.js';
import type { Reply } from '../protocol/writer.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { cfmt } from '../util/strings.js';
import {
  ARGS_SCRATCH,
  C_STACK,
  GC_AT_BYTES,
  GC_BALLAST,
  LUA_HOOKLINE,
  LUA_TTABLE,
  REPLY_SCRATCH,
  allocIn,
  asVmFailure,
  cString,
  fullCollect,
  hasHandlers,
  hasInternals,
  heap,
  heapBytes,
  internalsOf,
  loadPatched,
  luaString,
  setupSandbox,
  stateOf,
  type HostCallImport,
  type Mem,
  type PatchHooks,
  type ScriptHost,
  type Vm,
} from './lua-engine.js';
import { compiledIn, makeChunk, residentIn, writeArgs, type Chunk } from './lua-chunks.js';
import { encodeTable, formatNumArg, hostCallRaw } from './lua-bridge.js';
import { errText, fixDecoded, respToLua, u32At, wireEnd, writeWire } from './lua-convert.js';
import { debugAccess } from './lua-debug.js';

export type { ReplyValue } from 'lua-redis-wasm';
export type { ScriptHost, LuaDebug, LuaFrame } from './lua-engine.js';
export { makeChunk, makeBodyChunk, type Chunk } from './lua-chunks.js';
export { errText, luaToReply } from './lua-convert.js';
export { reprString } from './lua-debug.js';

/**
 * The process's script VM and what routes its callbacks: one object, the
 * one process-wide resource of the scripting layer (see the file comment
 * for why one VM serves every server in the process). Nothing else in this
 * file changes after import.
 */
class SharedVm {
  /** The VM scripts run in: null until first use (loadVm), and while a failed one is replaced (retire). */
  active: Vm | null = null;
  /** The load under way (first use or a restart), or null. */
  loading: Promise<void> | null = null;
  /** Whether a VM was ever loaded in this process: until then commands that need one wait for it (vm-gate.ts). */
  loaded = false;
  /** The host of the script running now (set by withVm): the engine's callbacks go to it. */
  current: ScriptHost | null = null;
  /** The running script's protocol (see `host.onSetResp`). */
  respNow: 2 | 3 = 2;
  /** The generation of the next VM loaded (Vm.gen). */
  nextGen = 1;
  /** The last vmMemory figure of an unpatched VM (what INFO shows while a script runs). */
  lastVmBytes = 0;
}
const S = new SharedVm();

function versionNum(v: string): number {
  const [a = 0, b = 0, c = 0] = v.split('.').map(Number);
  return (a << 16) | (b << 8) | c;
}

const host: RedisHost = {
  redisCall: (args) => hostCall(args),
  redisPcall: (args) => hostCall(args),
  log: (level, message) => S.current?.log(level, message.latin1Slice(0, message.length)),
  onSetResp: (v) => {
    S.respNow = v;
    S.current?.setResp(v);
  },
};

/*
 * S.respNow, the running script's protocol (redis.setresp; 2 at the start of a run).
 * The patched engine (wasm-patch.ts, RESP_ADDR) always encodes a result in
 * RESP3 mode, because lua-redis-wasm 1.5.0 converts typed tables
 * ({double=}, {map=}, {set=}, {big_number=}) only then, while Redis converts
 * them whatever the script's protocol. The one thing that protocol changes
 * in Redis is how a boolean is returned (RESP2: true is 1, false is nil),
 * which writeWire and fixDecoded do from this.
 */

/** The engine's own (slower) path, used only if the fast bridge below cannot be installed. */
function hostCall(args: Buffer[]): ReplyValue {
  const argv = new Array<string>(args.length);
  for (let i = 0; i < args.length; i++) argv[i] = args[i]!.latin1Slice(0, args[i]!.length);
  return respToLua(S.current === null ? ERR_NOT_RUNNING : S.current.call(argv));
}

/**
 * Loads a VM (lua-engine.ts loadPatched) with the engine's calls into JS
 * routed to the running script (`S.current`): redis.call to the bridge
 * (lua-bridge.ts), the count hook to its tick or the debugger, a number
 * argument and a table result to their encoders. Then the VM's scratch
 * areas, the registry's anchors and the sandbox (patched), or the module's
 * handlers (unpatched). Called at import and by retire().
 */
async function newVm(): Promise<Vm> {
  // The VM the bridge serves; set once loaded (no script runs before).
  let self: Vm | null = null;
  const bridge: HostCallImport = (ret, ptr) => hostCallRaw(self!, S.current, ret, ptr);
  const hooks: PatchHooks = {
    // The count hook's tick: the running script's host decides; a kill arms the hook's error.
    tick: (ar, L) => {
      const vm = self;
      if (S.current === null || vm === null || vm.raw === null) return;
      if (S.current.debugHook !== undefined) {
        // lua_Debug: event (LUA_HOOKLINE 2) at 0, currentline at 20
        const b = heap(vm);
        S.current.debugHook(u32At(b, ar) === LUA_HOOKLINE ? u32At(b, ar + 20) | 0 : -1, debugAccess(vm, L));
        return;
      }
      if (S.current.tick()) armKill(vm);
    },
    jscall: (L, id) => {
      const vm = self!;
      vm.raw!.tsdis_encret.value = S.current?.jsCall?.(id, debugAccess(vm, L)) ?? 0;
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
        // Effects replication is the only mode since Redis 7: replicate_commands is a no-op.
        // The others are the unpatched engine's stand-ins: on the patched one the sandbox
        // (sandbox.ts) replaces them with the real set_repl, acl_check_cmd and debugger calls.
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
  // (the package's classes keep these private: looked at as plain objects, checked before use)
  const engineObject: object = engine;
  const modObject: object = mod;
  const internals = internalsOf(engineObject);
  const fast = hasInternals(engineObject) && hasHandlers(modObject);
  let mem: Mem;
  if (raw !== null) {
    mem = { buf: Buffer.from(raw.memory.buffer), alloc: (n) => raw.alloc(n), free: (p) => raw.free_mem(p) };
  } else {
    const ex = internals.exports;
    const h = ex.HEAPU8;
    mem = {
      buf: Buffer.from(h.buffer, h.byteOffset, h.byteLength),
      alloc: (n) => ex._alloc(n),
      free: (p) => ex._free_mem(p),
    };
  }
  const vm: Vm = {
    gen: S.nextGen++,
    engine,
    internals,
    fast,
    mem,
    raw: fast ? raw : null,
    retPtr: 0,
    argsPtr: 0,
    replyPtr: 0,
    freeRefs: [],
    nextRef: 1 << 20,
    cachedBytes: 0,
    killPtr: 0,
    killArmed: false,
    lenPtr: 0,
    ballast: 0,
    userFunctionName: 0,
    setupBytes: 0,
    runs: 0,
    debugScratch: null,
    debugWrapped: false,
  };
  if (fast) vm.argsPtr = mem.alloc(ARGS_SCRATCH);
  if (vm.raw !== null) {
    vm.retPtr = vm.raw.alloc(8);
    vm.replyPtr = vm.raw.alloc(REPLY_SCRATCH);
    vm.raw.tsdis_scratch.value = vm.replyPtr;
    // The Lua error a killed script gets (the caller's reply is written by the host, see scripts.ts).
    const msg = 'Script killed by user with SCRIPT KILL...';
    vm.killPtr = cString(vm, msg);
    vm.raw.tsdis_badlevel.value = cString(vm, Err.luaLogLevel);
    vm.raw.tsdis_numbuf.value = vm.raw.alloc(NUMBUF_SIZE);
    // The small-chunk cache's list heads, empty (see wasm-layout.ts CACHE_MAX_CHUNK).
    const bins = vm.raw.alloc(BINS_BYTES);
    heap(vm).fill(0, bins, bins + BINS_BYTES);
    vm.raw.tsdis_bins.value = bins;
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
  } else if (fast && hasHandlers(modObject)) {
    // Unpatched: the module's own imports delegate to these handlers.
    const legacy = (...a: number[]): unknown => {
      if (a.length >= 3) return hostCallRaw(vm, S.current, a[0]!, a[1]!);
      throw new Error('unexpected redis.call ABI');
    };
    modObject.handlers.call = legacy;
    modObject.handlers.pcall = legacy;
  }
  self = vm;
  return vm;
}

/**
 * Loads the VM unless it is loaded or loading; resolves when that load
 * ends (a failed load leaves no VM: runs then get ERR_VM_RESTARTING, and
 * the next loadVm tries again). The VM is made on first use, not at
 * import: the dispatcher's gate (vm-gate.ts) holds a command that needs
 * it until this resolves, and the start awaits it before loading an RDB
 * file or AOF that has functions (server/boot.ts). Also retire()'s
 * restart.
 */
export function loadVm(): Promise<void> {
  if (S.active !== null) return Promise.resolve();
  if (S.loading !== null) return S.loading;
  const p = newVm().then(
    (v) => {
      S.active = v;
      S.loaded = true;
    },
    () => {
      // No VM: every run says so, and the next need tries again.
    },
  );
  S.loading = p.finally(() => {
    S.loading = null;
  });
  return S.loading;
}

/** Whether a VM was ever loaded in this process (false: a command that needs one waits, see vm-gate.ts). */
export function vmLoaded(): boolean {
  return S.loaded;
}

/**
 * Drops an instance that failed (see withVm) and loads a fresh one in the
 * background; until it is ready (tens of ms), running a script is refused.
 * Scripts and functions need nothing more: a chunk re-enters whichever VM
 * runs it (Chunk.gen), compiled again from its source on its next run, and
 * FCALL runs a library's code on every call.
 */
function retire(vm: Vm): void {
  if (S.active !== vm) return;
  S.active = null;
  void loadVm();
}

const ERR_NOT_RUNNING = `-${Err.scriptNotRunning}\r\n`;
const ERR_COMPILE_ONLY = `-${Err.scriptCompileOnly}\r\n`;

/** Releases a chunk's VM memory and compiled function (SCRIPT FLUSH, FUNCTION DELETE). */
export function freeChunk(c: Chunk): void {
  const vm = S.active;
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
 * Runs a chunk in `vm` and returns where the engine put its encoded result
 * (the caller frees it), or the public API's decoded value (no fast path).
 */
function exec(
  vm: Vm,
  chunk: Chunk,
  keys: string[],
  args: string[],
): { ptr: number; len: number } | { value: ReplyValue } {
  if (!vm.fast) {
    try {
      return {
        value: vm.engine.evalWithArgs(Buffer.from(chunk.body, 'latin1'), keys.map(latin1Buf), args.map(latin1Buf)),
      };
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
  const debugging = vm.raw !== null && S.current?.debugHook !== undefined;
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

/** Arms the kill: the count hook raises the kill error at its next tick (see wasm-patch.ts). */
export function armKill(vm: Vm): void {
  vm.raw!.tsdis_kill.value = vm.killPtr;
  vm.killArmed = true;
}

/** After a run a kill (or a load timeout) ended: no kill armed, the hook back to every HOOK_STEP instructions (see wasm-patch.ts). */
function disarmKill(vm: Vm): void {
  // (a JS flag: reading the WebAssembly global on every run cost ~1% of a short script's run)
  if (vm.raw === null || !vm.killArmed) return;
  vm.killArmed = false;
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
    if (raw === null)
      return { error: 'Error registering functions: functions need the patched script engine (lua-redis-wasm 1.5.0)' };
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
  if (s !== null) return Err.withErrCode(s);
  if (raw.tsdis_type(L, -1) !== LUA_TTABLE) return '(null)';
  raw.tsdis_rawgeti(L, LUA_REGISTRYINDEX, REPLY_FIELDS_REF);
  raw.tsdis_rawget(L, -2);
  return luaString(vm, L, -1) ?? '(null)';
}

/** The generation of the VM scripts run in now (Chunk.refGen), 0 while it restarts. */
export function vmGen(): number {
  return S.active?.gen ?? 0;
}

/**
 * Runs `f` on the active VM with `h` serving redis.call & co. Anything but
 * a ReplyError escaping the VM (Lua panicked and called exit(), the
 * instance trapped, a host callback threw through it) leaves the VM in an
 * unknown state: it is retired and reloaded (see retire), and the run gets
 * an error reply.
 */
function withVm<T>(h: ScriptHost, f: (vm: Vm) => T): T {
  const vm = S.active;
  if (vm === null) throw new ReplyError(Err.vmRestarting);
  // The engine is not re-entrant: a run inside a run would clear the running script's stack.
  if (S.current !== null) throw new ReplyError(Err.scriptInScript);
  const prev = S.current;
  S.current = h;
  S.respNow = 2;
  let r: T;
  try {
    r = f(vm);
  } catch (e) {
    if (e instanceof ReplyError) {
      reclaim(vm);
      throw e;
    }
    retire(vm);
    throw new ReplyError(Err.vmDied(e instanceof Error ? e.message : String(e)));
  } finally {
    S.current = prev;
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
  if (raw === null || S.active !== vm) return;
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
  if (raw === null || S.active !== vm) return;
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
  return withVm(h, (vm) => fixDecoded(decoded(vm, exec(vm, chunk, keys, args)), S.respNow));
}

/**
 * runChunk, writing a result (anything but a script error)
 * straight to `reply` as luaToReply would, without decoding it first:
 * returns undefined then, or else the decoded result for the caller.
 */
export function runChunkInto(
  chunk: Chunk,
  keys: string[],
  args: string[],
  h: ScriptHost,
  reply: Reply,
): ReplyValue | undefined {
  return withVm(h, (vm) => {
    const r = exec(vm, chunk, keys, args);
    if ('value' in r) return fixDecoded(r.value, S.respNow);
    if (r.ptr === 0 || r.len === 0) {
      // The engine could not allocate the result (a script that returns nothing gets an encoded null).
      reply.error(Err.vmNoMem);
      return undefined;
    }
    const b = heap(vm);
    if (wireEnd(b, r.ptr, r.ptr + r.len) !== r.ptr + r.len)
      return fixDecoded(vm.internals.decodeResult(r, ''), S.respNow);
    try {
      writeWire(b, r.ptr, reply, S.respNow);
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
  call: () => ERR_COMPILE_ONLY,
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

/**
 * The size of the VM's WebAssembly memory (its fixed heap), 0 without a VM:
 * part of the process's external memory that used_memory leaves out, as
 * Redis reports its Lua heap apart (observability/memory.ts).
 */
export function vmHeapBytes(): number {
  return S.active === null ? 0 : S.active.mem.buf.length;
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
  const vm = S.active;
  if (vm === null) return { bytes: 0, setupBytes: 0 };
  if (vm.raw !== null) return { bytes: heapBytes(vm), setupBytes: vm.setupBytes };
  if (S.current === null) {
    const r = runChunk(GC_COUNT, [], [], NO_HOST);
    S.lastVmBytes = typeof r === 'number' ? r : 0;
  }
  return { bytes: S.lastVmBytes, setupBytes: 0 };
}
const GC_COUNT = makeChunk("return math.floor(collectgarbage('count') * 1024)");

/**
 * A full collection of the Lua heap (SCRIPT FLUSH: Redis starts a new eval
 * VM there, so the memory the flushed scripts held is given back at once).
 * Not while a script runs.
 */
export function collectGarbage(): void {
  const vm = S.active;
  if (vm === null || S.current !== null || vm.raw === null) return;
  try {
    fullCollect(vm);
  } catch {
    retire(vm);
  }
}
