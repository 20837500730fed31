/**
 * Redis functions: libraries loaded with FUNCTION LOAD and their functions
 * called with FCALL / FCALL_RO.
 *
 * The VM keeps no state between runs (scripting/lua.ts), so a library is
 * kept as two wrapped chunks of its code, each resident in the VM:
 * - the load chunk runs the library's top level with a `redis` that only
 *   has register_function, log, setresp and the constants (anything else
 *   is Redis's "nonexistent global variable" error), and returns what was
 *   registered (FUNCTION LOAD validates a library with it);
 * - the call chunk runs the top level again with the full `redis` API, then
 *   calls the registered function named by ARGV[1] with (keys, args).
 * The wrapping goes on the metadata line (which Lua never sees) and after
 * the last line, so line numbers in errors are the library's own.
 * FCALL therefore recompiles and re-registers the library each call.
 */
import { performance } from 'node:perf_hooks';
import { ReplyError } from '../protocol/errors.js';
import type { Ctx } from '../commands/spec.js';
import type { Server } from '../server/server.js';
import { compileError, errText, freeChunk, makeChunk, runChunk, type Chunk, type ReplyValue } from './lua.js';
import { FLAG_ALLOW_CROSS_SLOT, FLAG_ALLOW_OOM, FLAG_ALLOW_STALE, FLAG_NO_CLUSTER, FLAG_NO_WRITES, ERROR_SHADOW, redisShadow, runGeneric, usesErrors } from './scripts.js';

export interface FunctionInfo {
  name: string;
  flags: number;
  /** Flag names as registered (FUNCTION LIST). */
  flagNames: string[];
  description: string | null;
  lib: Library;
}

export interface Library {
  name: string;
  code: string;
  callChunk: Chunk;
  functions: Map<string, FunctionInfo>;
}

export interface FunctionsState {
  libraries: Map<string, Library>;
  functions: Map<string, FunctionInfo>;
}

const states = new WeakMap<Server, FunctionsState>();

export function functionsOf(server: Server): FunctionsState {
  let s = states.get(server);
  if (s === undefined) {
    s = { libraries: new Map(), functions: new Map() };
    states.set(server, s);
  }
  return s;
}

const FLAGS: Record<string, number> = {
  'no-writes': FLAG_NO_WRITES,
  'allow-oom': FLAG_ALLOW_OOM,
  'allow-stale': FLAG_ALLOW_STALE,
  'no-cluster': FLAG_NO_CLUSTER,
  'allow-cross-slot-keys': FLAG_ALLOW_CROSS_SLOT,
};

const NAME_RE = /^[A-Za-z0-9_]+$/;
const ERR_NAME = 'ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long';

/** The register_function of both chunks: validates and records into __reg / __list. */
const REGISTER = `local __reg, __list = {}, {} ` +
  `local function __register(a, b) ` +
  `local name, cb, flags, desc ` +
  `if type(a) == 'table' then ` +
  `if b ~= nil then error('ERR wrong number of arguments to redis.register_function', 0) end ` +
  `for k, v in pairs(a) do ` +
  `if k == 'function_name' then name = v elseif k == 'callback' then cb = v elseif k == 'flags' then flags = v elseif k == 'description' then desc = v ` +
  `else error('ERR unknown argument given to redis.register_function', 0) end end ` +
  `if name == nil then error('ERR redis.register_function must get a function name argument', 0) end ` +
  `if cb == nil then error('ERR redis.register_function must get a callback argument', 0) end ` +
  `else name, cb = a, b end ` +
  `if type(name) ~= 'string' then error('ERR function_name argument given to redis.register_function must be a string', 0) end ` +
  `if type(cb) ~= 'function' then error('ERR callback argument given to redis.register_function must be a function', 0) end ` +
  `if desc ~= nil and type(desc) ~= 'string' then error('ERR description argument given to redis.register_function must be a string', 0) end ` +
  `local fl = '' ` +
  `if flags ~= nil then if type(flags) ~= 'table' then error('ERR flags argument to redis.register_function must be a table representing function flags', 0) end ` +
  `for i, f in ipairs(flags) do if type(f) ~= 'string' then error('ERR unknown flag given', 0) end fl = fl .. (i > 1 and ',' or '') .. f end end ` +
  `if not string.find(name, '^[%w_]+$') then error('${ERR_NAME}', 0) end ` +
  `if __reg[name] ~= nil then error('ERR Function already exists in the library', 0) end ` +
  `__reg[name] = cb __list[#__list + 1] = {name, fl, desc or false} end `;

const LOAD_REDIS =
  `local redis = setmetatable({register_function = __register, log = redis.log, setresp = redis.setresp, ` +
  `LOG_DEBUG = redis.LOG_DEBUG, LOG_VERBOSE = redis.LOG_VERBOSE, LOG_NOTICE = redis.LOG_NOTICE, LOG_WARNING = redis.LOG_WARNING, ` +
  `REDIS_VERSION = redis.REDIS_VERSION, REDIS_VERSION_NUM = redis.REDIS_VERSION_NUM}, ` +
  `{__index = function(_, k) error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2) end}) `;

/** The library's code with its metadata line emptied, wrapped as described above. */
function wrap(code: string, mode: 'load' | 'call'): string {
  const nl = code.indexOf('\n');
  const rest = code.slice(nl);
  const shadow = redisShadow('register_function = __register, ', code);
  const errors = mode === 'call' && usesErrors(rest) ? ERROR_SHADOW : '';
  const head = `return ((function() ${REGISTER}${mode === 'load' ? LOAD_REDIS : shadow}${errors}local __load = function(...) `;
  const tail =
    mode === 'load'
      ? `\nend __load() return __list end)())`
      : `\nend __load() local __fn = __reg[ARGV[1]] local __args = {} for i = 2, #ARGV do __args[i - 1] = ARGV[i] end return __fn(KEYS, __args) end)())`;
  return head + rest + tail;
}

/** Parses `#!lua name=<lib>`: the library name, or Redis's error. */
function parseMeta(code: string): string {
  if (!code.startsWith('#!')) throw new ReplyError('ERR Missing library metadata');
  const nl = code.indexOf('\n');
  if (nl < 0) throw new ReplyError('ERR Invalid metadata');
  const parts = code.slice(0, nl).split(/[ \t\r]+/).filter((p) => p !== '');
  const engine = (parts[0] ?? '#!').slice(2);
  let name: string | undefined;
  for (const p of parts.slice(1)) {
    if (p.startsWith('name=')) name = p.slice(5);
    else throw new ReplyError(`ERR Invalid metadata value given: ${p}`);
  }
  if (name === undefined) throw new ReplyError('ERR Library name was not given');
  if (engine.toLowerCase() !== 'lua') throw new ReplyError(`ERR Engine '${engine}' not found`);
  if (!NAME_RE.test(name)) throw new ReplyError(ERR_NAME);
  return name;
}

/** How long registering a library may run (Redis's LOAD_TIMEOUT_MS). */
const LOAD_TIMEOUT_MS = 500;

const text = (v: ReplyValue): string => (Buffer.isBuffer(v) ? v.latin1Slice(0, v.length) : '');

/**
 * Compiles and registers a library (FUNCTION LOAD, FUNCTION RESTORE):
 * returns its name, or throws Redis's error. `replace`: an existing library
 * of that name is replaced.
 */
export function loadLibrary(server: Server, code: string, replace: boolean): string {
  const st = functionsOf(server);
  const name = parseMeta(code);
  const old = st.libraries.get(name);
  if (old !== undefined && !replace) throw new ReplyError(`ERR Library '${name}' already exists`);
  const nl = code.indexOf('\n');
  const cerr = compileError('\n' + code.slice(nl + 1), '@user_function');
  if (cerr !== null) throw new ReplyError(`ERR Error compiling function: ${cerr}`);
  const loadChunk = makeChunk(wrap(code, 'load'));
  let r: ReplyValue;
  // Registering must take at most LOAD_TIMEOUT_MS (Redis's luaEngineLoadHook): a loop at load ends with an error.
  const deadline = performance.now() + LOAD_TIMEOUT_MS;
  let timedOut = false;
  let ticks = 0;
  const tick = (): boolean => {
    if (!timedOut && (++ticks & 7) === 0 && performance.now() > deadline) timedOut = true;
    return timedOut;
  };
  try {
    r = runChunk(loadChunk, [], [], { call: () => '$-1\r\n', setResp: () => {}, log: (_lv, m) => server.log.notice(m), tick });
  } finally {
    freeChunk(loadChunk);
  }
  if (timedOut && r !== null && typeof r === 'object' && 'err' in r) throw new ReplyError('ERR Error registering functions: ERR FUNCTION LOAD timeout');
  if (r !== null && typeof r === 'object' && 'err' in r) {
    throw new ReplyError(`ERR Error registering functions: ${errText(r).replace(/user_script:/g, 'user_function:')}`);
  }
  const list = Array.isArray(r) ? r : [];
  if (list.length === 0) throw new ReplyError('ERR No functions registered');
  const lib: Library = { name, code, callChunk: makeChunk(''), functions: new Map() };
  for (const e of list) {
    if (!Array.isArray(e)) continue;
    const fname = text(e[0] ?? null);
    const flagNames = text(e[1] ?? null).split(',').filter((f) => f !== '');
    let flags = 0;
    for (const f of flagNames) {
      const bit = FLAGS[f];
      if (bit === undefined) throw new ReplyError('ERR Error registering functions: ERR unknown flag given');
      flags |= bit;
    }
    const other = st.functions.get(fname);
    if (other !== undefined && other.lib.name !== name) throw new ReplyError(`ERR Function ${fname} already exists`);
    const d = e[2] ?? null;
    lib.functions.set(fname, { name: fname, flags, flagNames, description: d === null ? null : text(d), lib });
  }
  lib.callChunk = makeChunk(wrap(code, 'call'));
  if (old !== undefined) deleteLibrary(server, name);
  st.libraries.set(name, lib);
  for (const f of lib.functions.values()) st.functions.set(f.name, f);
  return name;
}

/** FUNCTION DELETE: false when there is no such library. */
export function deleteLibrary(server: Server, name: string): boolean {
  const st = functionsOf(server);
  const lib = st.libraries.get(name);
  if (lib === undefined) return false;
  for (const f of lib.functions.keys()) st.functions.delete(f);
  st.libraries.delete(name);
  freeChunk(lib.callChunk);
  return true;
}

/** FUNCTION FLUSH. */
export function flushLibraries(server: Server): void {
  for (const name of [...functionsOf(server).libraries.keys()]) deleteLibrary(server, name);
}

/** FCALL / FCALL_RO function numkeys [key ...] [arg ...] */
export function fcallGeneric(ctx: Ctx, numkeys: number, readOnly: boolean): void {
  const f = functionsOf(ctx.server).functions.get(ctx.argv[1]!);
  if (f === undefined) throw new ReplyError('ERR Function not found');
  const keys = ctx.argv.slice(3, 3 + numkeys);
  const args = [f.name, ...ctx.argv.slice(3 + numkeys)];
  runGeneric(ctx, { chunk: f.lib.callChunk, flags: f.flags, name: f.name, chunkName: 'user_function' }, keys, args, readOnly);
}

/**
 * Puts back libraries saved before a failed FUNCTION RESTORE (a chunk the
 * attempt freed re-enters the VM on its next run).
 */
export function rollbackLibraries(server: Server, saved: FunctionsState): void {
  const st = functionsOf(server);
  st.libraries = saved.libraries;
  st.functions = saved.functions;
}

/* ---------------------------------------------------------------------------
 * Persistence (persistence/snapshot.ts, persistence/aof.ts)
 * ------------------------------------------------------------------------- */

/**
 * The code of every loaded library, in load order: what an RDB file
 * (opcode FUNCTION2) or a rewritten AOF base (FUNCTION LOAD) stores. The
 * strings are immutable, so the array is a snapshot of the libraries as of
 * this call (BGSAVE takes it at its start).
 */
export function libraryCodes(server: Server): string[] {
  const out: string[] = [];
  for (const lib of functionsOf(server).libraries.values()) out.push(lib.code);
  return out;
}

/**
 * Loads a library read from an RDB file (Redis's rdbFunctionLoad): FUNCTION
 * LOAD semantics, except that an existing library of that name is an error
 * unless `replace` (DEBUG RELOAD MERGE). Returns null on success, or the
 * reason without the "ERR " prefix (the loader turns it into a load error).
 */
export function loadLibraryFromRdb(server: Server, code: string, replace: boolean): string | null {
  try {
    loadLibrary(server, code, replace);
    return null;
  } catch (e) {
    if (e instanceof ReplyError) return e.message.replace(/^ERR /, '');
    throw e;
  }
}
