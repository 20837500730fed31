/**
 * One instance of the Lua VM (lua.ts runs scripts in it): loading
 * lua-redis-wasm's engine, from the binary patched at load time
 * (wasm-patch.ts) when it is the pinned build; the Vm record and the
 * engine's internals tsdis reaches into; the sandbox setup of a patched VM;
 * access to the VM's memory and Lua heap. Also the interfaces a running
 * script sees its host through (ScriptHost, LuaDebug).
 *
 * The heap is a fixed 64 MB (the package is built without memory growth);
 * guardImports keeps an allocation past it, or Lua's panic, from killing
 * the instance (see lua.ts for what happens then).
 */
import { Buffer } from 'node:buffer';
import type { load, ReplyValue } from 'lua-redis-wasm';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  G_STATE_ADDR,
  LUA_REGISTRYINDEX,
  ENCODE_LEVEL,
  NUM_LEVEL,
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
  MKWRAP_SLOT,
  MKJS_SLOT,
  JSCALL_LEVEL,
  type PatchExports,
} from './wasm-layout.js';
import { patchEngine } from './wasm-patch.js';
import { SETUP_CHUNK_NAME, SETUP_LUA } from './sandbox.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { u32At } from './lua-convert.js';

// Lua's type tags (lua.h).
export const LUA_TNIL = 0;
export const LUA_TBOOLEAN = 1;
export const LUA_TNUMBER = 3;
export const LUA_TSTRING = 4;
export const LUA_TTABLE = 5;
export const LUA_TLIGHTUSERDATA = 2;
export const LUA_TFUNCTION = 6;
export const LUA_TUSERDATA = 7;
export const LUA_TTHREAD = 8;
/** lua_Debug's event for a line hook. */
export const LUA_HOOKLINE = 2;

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
  /** A JS call's arguments, strings and numbers, as redis.call would pass them (redis.acl_check_cmd). */
  argStrings(): string[];
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

/**
 * The engine's internals (lua-redis-wasm 1.5.0, pinned) that tsdis uses to
 * go around its slow paths when the binary patch (wasm-patch.ts) does not
 * apply: evalWithArgs hashes the script in JS (SHA-1) and copies it into
 * the VM's memory on every run, and its redis.call path copies every
 * argument into a Buffer and re-encodes the reply with Buffer.concat per
 * value. Falls back to the public API if they change.
 */
export interface WasmExports {
  HEAPU8: Uint8Array;
  _alloc(n: number): number;
  _free_mem(p: number): void;
}
export interface EngineInternals {
  exports: WasmExports;
  callEvalWithArgs(sp: number, sl: number, ap: number, al: number, nkeys: number): unknown;
  decodeResult(r: unknown, sha: string): ReplyValue;
}
export interface ModuleInternals {
  handlers: { call: (...a: number[]) => unknown; pcall: (...a: number[]) => unknown };
}

/** Whether `x` is the Emscripten module's exports object as EngineInternals knows it. */
function isWasmExports(x: unknown): x is WasmExports {
  return (
    typeof x === 'object' &&
    x !== null &&
    'HEAPU8' in x &&
    x.HEAPU8 instanceof Uint8Array &&
    '_alloc' in x &&
    typeof x._alloc === 'function' &&
    '_free_mem' in x &&
    typeof x._free_mem === 'function'
  );
}

/** Whether the engine object (LuaEngine) has the internals the fast paths use. */
export function hasInternals(engine: object): engine is EngineInternals {
  return (
    'callEvalWithArgs' in engine &&
    typeof engine.callEvalWithArgs === 'function' &&
    'decodeResult' in engine &&
    typeof engine.decodeResult === 'function' &&
    'exports' in engine &&
    isWasmExports(engine.exports)
  );
}

/**
 * The engine's internals (`engine` is the LuaEngine), or, when they are not
 * all there, stand-ins that throw: the VM then runs on the public API
 * (`fast` false; only `exports` is read, for an unpatched VM's memory, and
 * it throws when the engine has none either).
 */
export function internalsOf(engine: object): EngineInternals {
  if (hasInternals(engine)) return engine;
  const ex = 'exports' in engine && isWasmExports(engine.exports) ? engine.exports : null;
  const missing = (): never => {
    throw new Error('lua-redis-wasm: the engine internals tsdis uses are missing');
  };
  return {
    get exports(): WasmExports {
      return ex ?? missing();
    },
    callEvalWithArgs: missing,
    decodeResult: missing,
  };
}

/** Whether the module object (LuaWasmModule) has the host handlers an unpatched VM's redis.call goes through. */
export function hasHandlers(mod: object): mod is ModuleInternals {
  return (
    'handlers' in mod &&
    typeof mod.handlers === 'object' &&
    mod.handlers !== null &&
    'call' in mod.handlers &&
    typeof mod.handlers.call === 'function' &&
    'pcall' in mod.handlers &&
    typeof mod.handlers.pcall === 'function'
  );
}

/**
 * The patched instance's exports, called directly (no Emscripten wrapper):
 * the engine's own plus the patch's (wasm-patch.ts).
 */
export interface RawExports extends PatchExports {
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
export interface Mem {
  /** A view of the whole linear memory (fixed size: it never grows). */
  buf: Buffer;
  alloc(n: number): number;
  free(p: number): void;
}

/** One instance of the VM. `gen` tells chunks made in an older (retired) one. */
export interface Vm {
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
  /** Whether tsdis_kill is set now (armKill; disarmed after the run). */
  killArmed: boolean;
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

/** The C strings and the lua_Debug the debugger needs in a VM (made on its first use there). */
export interface DebugScratch {
  ar: number;
  snl: number;
  ldbEval: number;
}

/** A NUL-terminated copy of `s` (latin1) in the VM's memory (malloc'd: the caller frees it, or keeps it for the VM's life). */
export function cString(vm: Vm, s: string): number {
  const p = vm.mem.alloc(s.length + 1);
  heap(vm).latin1Write(s + '\0', p, s.length + 1);
  return p;
}

/** Size of a VM's scratch area for KEYS/ARGV. */
export const ARGS_SCRATCH = 4096;
/**
 * Lua heap bytes past which a run is followed by a full collection: the
 * heap is a fixed 64 MB and Lua 5.1 does not collect when an allocation
 * fails, so garbage left by a run that used most of it (or ran out of it)
 * would make the next run's first allocations fail, outside any pcall.
 */
export const GC_AT_BYTES = 40 << 20;

/**
 * Bytes kept allocated in a patched VM and freed just before reclaim's
 * collection: when a script filled the heap, the collection itself needs
 * a little memory (it shrinks the string table into a new array).
 */
export const GC_BALLAST = 1 << 20;

/**
 * The C stack of a patched VM. Deep enough that nested C calls (cjson with
 * its nesting limit raised) exhaust V8's own stack first, which throws a
 * RangeError (the VM is then replaced) instead of writing past the stack.
 */
export const C_STACK = 4 << 20;
/** Size of a patched VM's scratch area for redis.call replies. */
export const REPLY_SCRATCH = 16384;

/**
 * The engine's binary with the compiled-chunk patch, or null (not the
 * pinned build, or unreadable). Read and patched by each VM load
 * (loadPatched), not kept: a process loads one VM (another only after one
 * failed), and importing tsdis reads nothing.
 */
function patchedBinary(): Uint8Array | null {
  try {
    const req = createRequire(import.meta.url);
    const file = path.join(path.dirname(req.resolve('lua-redis-wasm')), 'redis_lua.wasm');
    return patchEngine(readFileSync(file));
  } catch {
    return null;
  }
}

/** What loadPatched uses of Node's WebAssembly global. */
interface WasmApi {
  instantiate(src: unknown, imports: unknown): Promise<{ instance?: { exports: Record<string, unknown> } }>;
}
declare global {
  // Node's global; the ES2022 lib tsdis builds with does not declare it (DOM's does). Only what is used here.
  var WebAssembly: WasmApi;
}
const WA = globalThis.WebAssembly;

export type HostCallImport = (ret: number, ptr: number, len: number) => void;

/** The patched engine's calls into JS besides redis.call (see wasm-patch.ts). */
export interface PatchHooks {
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
export async function loadPatched(
  opts: Parameters<typeof load>[0],
  bridge: HostCallImport,
  hooks: PatchHooks,
): Promise<[Awaited<ReturnType<typeof load>>, RawExports | null]> {
  const patchedWasm = patchedBinary();
  const orig = WA.instantiate;
  let ex: Record<string, unknown> | null = null;
  const watch = async (src: unknown, imports: unknown) => {
    const env = (imports as { env?: Record<string, unknown> }).env;
    if (env !== undefined) guardImports(env);
    if (src !== patchedWasm) return orig.call(WA, src, imports);
    if (
      env !== undefined &&
      typeof env['host_redis_call'] === 'function' &&
      typeof env['host_redis_pcall'] === 'function'
    ) {
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
        level >= 0
          ? log(level, ptr, len)
          : level === TICK_LEVEL
            ? hooks.tick(ptr, len)
            : level === JSCALL_LEVEL
              ? hooks.jscall(ptr, len)
              : level === NUM_LEVEL
                ? hooks.num()
                : level === ENCODE_LEVEL
                  ? hooks.encode(ptr, len)
                  : undefined;
    }
    const r = await orig.call(WA, src, imports);
    if (r.instance !== undefined) ex = r.instance.exports;
    return r;
  };
  // imported here, on the first VM load: importing tsdis does not load the package
  const pkg = await import('lua-redis-wasm');
  WA.instantiate = watch;
  let mod: Awaited<ReturnType<typeof load>>;
  try {
    mod = await pkg.load(patchedWasm === null ? opts : { ...opts, wasmBytes: patchedWasm });
  } finally {
    if (WA.instantiate === watch) WA.instantiate = orig;
  }
  if (patchedWasm === null) return [mod, null];
  const e = ex as Record<string, unknown> | null;
  return [mod, e !== null && isRawExports(e) ? e : null];
}

/** Whether an instance's exports are the patched engine's: every function and global RawExports names is there. */
function isRawExports(e: Record<string, unknown>): e is Record<string, unknown> & RawExports {
  const names = [
    'tsdis_load',
    'tsdis_rawseti',
    'tsdis_gettop',
    'tsdis_settop',
    'tsdis_call',
    'alloc',
    'free_mem',
    'eval_with_args',
    'tsdis_type',
    'tsdis_tolstring',
    'tsdis_tonumber',
    'tsdis_toboolean',
    'tsdis_rawgeti',
    'tsdis_rawget',
    'tsdis_next',
    'tsdis_pushvalue',
    'tsdis_pushstring',
    'tsdis_checkstack',
    'tsdis_realloc',
    'tsdis_probe',
    'tsdis_pcall',
    'tsdis_getfield',
    'tsdis_setfenv',
    'tsdis_readonly',
    'tsdis_pushnumber',
    'tsdis_pushcclosure',
    'tsdis_getstack',
    'tsdis_getinfo',
    'tsdis_pushlstring',
    'tsdis_pushboolean',
  ];
  const globals = [
    'tsdis_scratch',
    'tsdis_kill',
    'tsdis_numbuf',
    'tsdis_encret',
    'tsdis_badlevel',
    'tsdis_sp',
    'tsdis_globalread',
    'tsdis_argtype',
    'tsdis_bins',
  ];
  return (
    names.every((k) => typeof e[k] === 'function') &&
    typeof e['memory'] === 'object' &&
    globals.every((k) => typeof e[k] === 'object')
  );
}

/**
 * Runs sandbox.ts's SETUP_LUA in a new patched VM (Redis's argument checks
 * for the redis.* API, Redis's math.random, the functions environment; see
 * sandbox.ts) with `math` and `redis` writable meanwhile, keeps what it
 * returns in the registry (FENV_REF...) and makes the tables it lists
 * read-only. Also writes the C strings the patch's error texts point at.
 * Throws when the setup fails (newVm's caller then has no VM).
 */
export function setupSandbox(vm: Vm): void {
  const raw = vm.raw!;
  const L = stateOf(vm);
  raw.tsdis_globalread.value = cString(vm, "Script attempted to access nonexistent global variable '%s'");
  raw.tsdis_argtype.value = cString(vm, Err.scriptArgType);
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
export function fullCollect(vm: Vm): void {
  const raw = vm.raw!;
  const L = stateOf(vm);
  const top = raw.tsdis_gettop(L);
  raw.tsdis_rawgeti(L, LUA_REGISTRYINDEX, GC_FN_REF);
  raw.tsdis_rawgeti(L, LUA_REGISTRYINDEX, GC_ARG_REF);
  raw.tsdis_pcall(L, 1, 0);
  raw.tsdis_settop(L, top);
}

/** The string (or number, as text) at stack index idx, latin1, or null. */
export function luaString(vm: Vm, L: number, idx: number): string | null {
  const raw = vm.raw!;
  const t = raw.tsdis_type(L, idx);
  if (t !== LUA_TSTRING && t !== LUA_TNUMBER) return null;
  const p = raw.tsdis_tolstring(L, idx, vm.lenPtr);
  const b = heap(vm);
  return b.latin1Slice(p, p + u32At(b, vm.lenPtr));
}

/** Bytes in the Lua heap now (Lua's own count: global_State's totalbytes, what collectgarbage('count') reports). */
export function heapBytes(vm: Vm): number {
  const b = heap(vm);
  return u32At(b, u32At(b, stateOf(vm) + L_G) + G_TOTALBYTES);
}

/**
 * The VM's memory as a Buffer. The engine is built without memory growth,
 * so the view stays valid; were the memory ever replaced, the old view
 * would read as empty (detached) and is made again.
 */
export function heap(vm: Vm): Buffer {
  if (vm.mem.buf.length !== 0) return vm.mem.buf;
  const raw = vm.raw;
  if (raw !== null) vm.mem.buf = Buffer.from(raw.memory.buffer);
  else {
    const h = vm.internals.exports.HEAPU8;
    vm.mem.buf = Buffer.from(h.buffer, h.byteOffset, h.byteLength);
  }
  return vm.mem.buf;
}

/** The lua_State of a patched VM (read each time: the engine owns it). */
export function stateOf(vm: Vm): number {
  return heap(vm).readUInt32LE(G_STATE_ADDR);
}

/**
 * n bytes of the VM's memory for a run's input (the script's source, KEYS
 * and ARGV), called before the VM runs: throws Redis-style when its heap
 * is full.
 */
export function allocIn(vm: Vm, n: number): number {
  const p = vm.mem.alloc(n);
  if (p === 0) throw new ReplyError(Err.vmNoMem);
  return p;
}

/** An exception that escaped the VM while it ran (withVm retires the VM). */
export class VmFailure extends Error {}

/** `e`, thrown out of a call into the VM, as a VmFailure (even a ReplyError: it unwound the VM's frames). */
export function asVmFailure(e: unknown): VmFailure {
  return e instanceof VmFailure ? e : new VmFailure(e instanceof Error ? e.message : String(e));
}
