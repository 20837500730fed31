/**
 * Redis functions: libraries loaded with FUNCTION LOAD and their functions
 * called with FCALL / FCALL_RO, as Redis 7.2's functions.c and
 * function_lua.c do it.
 *
 * FUNCTION LOAD runs a library's code once (lua.ts loadLibraryCode) in the
 * library API context (sandbox.ts: only redis.register_function, redis.log,
 * the LOG_* levels and the version exist), and keeps the closures it
 * registered in the VM; FCALL calls the closure, whose globals are the
 * eval globals without KEYS and ARGV, and whose upvalues (the library's
 * locals) live as long as the library. Should the VM be replaced (see
 * lua.ts retire), a library's code runs again in the new one the first
 * time one of its functions is called.
 *
 * Names: libraries and the functions of one library are case-sensitive;
 * FCALL finds a function whatever its case, and two libraries may not
 * register names that differ only in case (Redis's functions dict compares
 * without case).
 */
import { performance } from 'node:perf_hooks';
import { Err, ReplyError } from '../protocol/errors.js';
import { cfmt } from '../util/strings.js';
import { splitArgs } from '../protocol/parser.js';
import { RdbReader } from '../persistence/rdb-reader.js';
import { OP_AUX, OP_FUNCTION2 } from '../persistence/rdb.js';
import type { Ctx } from '../commands/spec.js';
import type { Server } from '../server/server.js';
import { freeChunk, loadLibraryCode, vmGen, type Chunk, type RegisteredFunction, type ScriptHost } from './lua.js';
import { logAt, runGeneric } from './scripts.js';

/** redis.call from a library's top level during FUNCTION LOAD, as a RESP error. */
const ERR_LOAD_CALL = `-${Err.functionLoadCall}\r\n`;

export interface FunctionInfo {
  name: string;
  /** Flag bits (sandbox.ts FLAG_*). */
  flags: number;
  description: string | null;
  lib: Library;
  /** The closure FCALL runs (lua.ts RegisteredFunction). */
  chunk: Chunk;
}

export interface Library {
  name: string;
  /** The code as loaded, metadata line included (FUNCTION LIST WITHCODE, DUMP, RDB, AOF). */
  code: string;
  /** Its functions in registration order, by name as registered. */
  functions: Map<string, FunctionInfo>;
  /** Lua heap bytes its load took (INFO used_memory_vm_functions, see info.ts). */
  heapBytes: number;
}

/** A set of libraries: the server's, or the one FUNCTION RESTORE builds before joining it (Redis's functionsLibCtx). */
export interface FunctionsState {
  libraries: Map<string, Library>;
  /** Every function of these libraries by its lowercase name. */
  functions: Map<string, FunctionInfo>;
}

/** A server's function libraries (Server.scripting.functions, made on first use). */
export function functionsOf(server: Server): FunctionsState {
  return (server.scripting.functions ??= newState());
}

function newState(): FunctionsState {
  return { libraries: new Map(), functions: new Map() };
}

/** Redis's functionsVerifyName: letters, digits and '_', at least one. */
const NAME_RE = /^[A-Za-z0-9_]+$/;
const ERR_NAME =
  'Library names can only contain letters, numbers, or underscores(_) and must be at least one character long';

/**
 * The library name of `#!<engine> name=<name>` (Redis's
 * functionExtractLibMetaData: the line split as sdssplitargs splits, so
 * name="x" is x, `name=` in any case), checked as functionsCreateWithLibraryCtx
 * checks it. Throws Redis's error (without "ERR ").
 */
function parseMeta(code: string): string {
  if (!code.startsWith('#!')) throw new Error('Missing library metadata');
  // (Redis looks for the line's end with strchr: a NUL before it hides it)
  const nl = code.indexOf('\n');
  const nul = code.indexOf('\0');
  if (nl < 0 || (nul >= 0 && nul < nl)) throw new Error('Invalid library metadata');
  const parts = splitArgs(code.slice(0, nl));
  if (parts === null || parts.length === 0) throw new Error('Invalid library metadata');
  const engine = parts[0]!.slice(2);
  let name: string | undefined;
  for (const p of parts.slice(1)) {
    if (p.slice(0, 5).toLowerCase() !== 'name=') throw new Error(cfmt`Invalid metadata value given: ${p}`);
    if (name !== undefined) throw new Error('Invalid metadata value, name argument was given multiple times');
    name = p.slice(5);
  }
  if (name === undefined) throw new Error('Library name was not given');
  if (!NAME_RE.test(name)) throw new Error(ERR_NAME);
  if (engine.toLowerCase() !== 'lua') throw new Error(`Engine '${engine}' not found`);
  return name;
}

/** How long FUNCTION LOAD may run a library's top level (Redis's LOAD_TIMEOUT_MS); 0: no limit (RDB, RESTORE). */
export const LOAD_TIMEOUT_MS = 500;

/**
 * Runs a library's code in the VM (lua.ts loadLibraryCode) with its
 * metadata line emptied; redis.log goes to the server's log. Throws Redis's
 * error (without "ERR "): compile or registration errors, "FUNCTION LOAD
 * timeout" past `timeoutMs` (0: no limit).
 */
function runLibraryCode(
  server: Server,
  code: string,
  timeoutMs: number,
): { functions: RegisteredFunction[]; heapBytes: number } {
  const deadline = performance.now() + timeoutMs;
  let timedOut = false;
  let ticks = 0;
  const host: ScriptHost = {
    call: () => ERR_LOAD_CALL,
    setResp: () => {},
    log: (level, m) => logAt(server, level, m),
    // every 8 ticks (8,000 Lua instructions) a look at the clock; true ends the run
    tick: () => {
      if (timeoutMs > 0 && !timedOut && (++ticks & 7) === 0 && performance.now() > deadline) timedOut = true;
      return timedOut;
    },
  };
  const r = loadLibraryCode(code.slice(code.indexOf('\n')), host);
  if ('error' in r) throw new Error(timedOut ? 'Error registering functions: ERR FUNCTION LOAD timeout' : r.error);
  return r;
}

/** Frees what a library keeps in the VM (its functions' closures). */
function freeLibrary(lib: Library): void {
  for (const f of lib.functions.values()) freeChunk(f.chunk);
}

/** Adds a library's functions to `st` and the library itself (Redis's libraryLink). */
function link(st: FunctionsState, lib: Library): void {
  st.libraries.set(lib.name, lib);
  for (const f of lib.functions.values()) st.functions.set(f.name.toLowerCase(), f);
}

/** Removes a library and its functions from `st`, keeping what it holds in the VM (Redis's libraryUnlink). */
function unlink(st: FunctionsState, lib: Library): void {
  st.libraries.delete(lib.name);
  for (const f of lib.functions.keys()) st.functions.delete(f.toLowerCase());
}

/**
 * Creates a library in `st` from its code (Redis's
 * functionsCreateWithLibraryCtx): returns its name, or throws Redis's error
 * (without "ERR ") leaving `st` as it was. `replace`: an existing library
 * of that name is replaced (and freed).
 */
function createLibrary(server: Server, st: FunctionsState, code: string, replace: boolean, timeoutMs: number): string {
  const name = parseMeta(code);
  const old = st.libraries.get(name);
  if (old !== undefined && !replace) throw new Error(`Library '${name}' already exists`);
  if (old !== undefined) unlink(st, old);
  try {
    const r = runLibraryCode(server, code, timeoutMs);
    const lib: Library = { name, code, functions: new Map(), heapBytes: r.heapBytes };
    for (const f of r.functions)
      lib.functions.set(f.name, { name: f.name, flags: f.flags, description: f.description, lib, chunk: f.chunk });
    try {
      if (lib.functions.size === 0) throw new Error('No functions registered');
      for (const f of lib.functions.values()) {
        if (st.functions.has(f.name.toLowerCase())) throw new Error(cfmt`Function ${f.name} already exists`);
      }
    } catch (e) {
      freeLibrary(lib);
      throw e;
    }
    link(st, lib);
  } catch (e) {
    if (old !== undefined) link(st, old);
    throw e;
  }
  if (old !== undefined) freeLibrary(old);
  return name;
}

/**
 * FUNCTION LOAD: creates a library from its code and returns its name, or
 * throws Redis's ReplyError. `replace`: an existing library of that name is
 * replaced.
 */
export function loadLibrary(server: Server, code: string, replace: boolean): string {
  try {
    return createLibrary(server, functionsOf(server), code, replace, LOAD_TIMEOUT_MS);
  } catch (e) {
    throw asReply(e);
  }
}

/** A library error (Error with Redis's text) as the ReplyError a client gets; a ReplyError (the VM restarting) as is. */
function asReply(e: unknown): ReplyError {
  if (e instanceof ReplyError) return e;
  return new ReplyError(Err.withErrCode(e instanceof Error ? e.message : String(e)));
}

/** FUNCTION DELETE: false when there is no such library. */
export function deleteLibrary(server: Server, name: string): boolean {
  const st = functionsOf(server);
  const lib = st.libraries.get(name);
  if (lib === undefined) return false;
  unlink(st, lib);
  freeLibrary(lib);
  return true;
}

/** An empty set of libraries (a replica's diskless swapdb load fills one, then swapLibraries). */
export function newFunctionsState(): FunctionsState {
  return newState();
}

/** Frees what every library of `st` keeps in the VM (a set discarded). */
export function freeFunctionsState(st: FunctionsState): void {
  for (const lib of st.libraries.values()) freeLibrary(lib);
  st.libraries.clear();
  st.functions.clear();
}

/** Makes `st` the server's libraries and returns the set it replaces (Redis's functionsLibCtxSwapWithCurrent). */
export function swapLibraries(server: Server, st: FunctionsState): FunctionsState {
  const old = functionsOf(server);
  server.scripting.functions = st;
  return old;
}

/** FUNCTION FLUSH (and emptyData): every library goes. */
export function flushLibraries(server: Server): void {
  const st = functionsOf(server);
  for (const lib of st.libraries.values()) freeLibrary(lib);
  st.libraries.clear();
  st.functions.clear();
}

/**
 * FUNCTION RESTORE's libraries (Redis's functionRestoreCommand): each code
 * is created in a new set (a name twice in the payload, or a function name
 * twice across it, is an error), then that set replaces the server's
 * (`flush`) or is joined to it (Redis's libraryJoin: an existing library
 * is an error, or replaced with `replace`; a function another library has
 * is an error). All or nothing: on an error nothing changed. Throws Redis's
 * ReplyError.
 */
export function restoreLibraries(server: Server, codes: string[], policy: 'flush' | 'append' | 'replace'): void {
  const fresh = newState();
  try {
    for (const code of codes) createLibrary(server, fresh, code, false, 0);
    const st = functionsOf(server);
    if (policy === 'flush') {
      flushLibraries(server);
      for (const lib of fresh.libraries.values()) link(st, lib);
      return;
    }
    const replaced: Library[] = [];
    for (const lib of fresh.libraries.values()) {
      const old = st.libraries.get(lib.name);
      if (old === undefined) continue;
      if (policy !== 'replace') {
        for (const o of replaced) link(st, o);
        throw new Error(cfmt`Library ${lib.name} already exists`);
      }
      unlink(st, old);
      replaced.push(old);
    }
    for (const f of fresh.functions.values()) {
      if (st.functions.has(f.name.toLowerCase())) {
        for (const o of replaced) link(st, o);
        throw new Error(cfmt`Function ${f.name} already exists`);
      }
    }
    for (const lib of fresh.libraries.values()) link(st, lib);
    for (const o of replaced) freeLibrary(o);
  } catch (e) {
    for (const lib of fresh.libraries.values()) freeLibrary(lib);
    throw asReply(e);
  }
}

/**
 * A library's functions live in the VM scripts run in now: after a VM
 * restart its code runs again there (each function gets its new closure).
 * Throws Redis-style when that fails.
 */
function ensureLive(server: Server, lib: Library): void {
  const gen = vmGen();
  const first = lib.functions.values().next().value;
  if (gen === 0 || first === undefined || first.chunk.refGen === gen) return;
  let r: { functions: RegisteredFunction[] };
  try {
    r = runLibraryCode(server, lib.code, 0);
  } catch (e) {
    throw asReply(e);
  }
  for (const rf of r.functions) {
    const f = lib.functions.get(rf.name);
    if (f !== undefined) f.chunk = rf.chunk;
    else freeChunk(rf.chunk);
  }
}

/** Redis's string2ll: a decimal integer, no leading zeros, '+', '-0' or spaces (and within 64 bits, checked apart). */
const LONG_RE = /^(0|-?[1-9][0-9]*)$/;

/**
 * FCALL / FCALL_RO function numkeys [key ...] [arg ...]: the function
 * (found whatever the case of its name), then numkeys, with Redis's errors
 * in Redis's order (fcallCommandGeneric); runs it with the keys and args.
 */
export function fcallGeneric(ctx: Ctx, readOnly: boolean): void {
  const argv = ctx.argv;
  const f = functionsOf(ctx.server).functions.get(argv[1]!.toLowerCase());
  if (f === undefined) throw new ReplyError(Err.functionNotFound);
  const nk = argv[2]!;
  if (
    !LONG_RE.test(nk) ||
    (nk.length > 18 && (BigInt(nk) > 9223372036854775807n || BigInt(nk) < -9223372036854775808n))
  ) {
    throw new ReplyError(Err.numkeysBad);
  }
  const numkeys = Number(nk);
  if (numkeys > argv.length - 3) throw new ReplyError(Err.numkeysBeyondArgs);
  if (numkeys < 0) throw new ReplyError(Err.numkeysNegative);
  ensureLive(ctx.server, f.lib);
  const keys = argv.slice(3, 3 + numkeys);
  const args = argv.slice(3 + numkeys);
  runGeneric(ctx, { chunk: f.chunk, flags: f.flags, name: f.name, chunkName: 'user_function' }, keys, args, readOnly);
}

/* ---------------------------------------------------------------------------
 * Persistence (persistence/snapshot.ts, persistence/aof.ts, DEBUG RELOAD)
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
 * LOAD semantics without its time limit, except that an existing library
 * of that name is an error unless `replace` (DEBUG RELOAD MERGE); into
 * `st` (a diskless load's temporary set), else the server's. Returns
 * null on success, or the reason (the loader turns it into a load error).
 */
export function loadLibraryFromRdb(
  server: Server,
  code: string,
  replace: boolean,
  st: FunctionsState = functionsOf(server),
): string | null {
  try {
    createLibrary(server, st, code, replace, 0);
    return null;
  } catch (e) {
    if (e instanceof ReplyError) return e.message.replace(/^ERR /, '');
    if (e instanceof Error) return e.message;
    throw e;
  }
}

/**
 * For DEBUG RELOAD NOFLUSH without MERGE: the reason loading `rdb` would
 * fail on its function records (a library of that name is loaded already,
 * Redis's "Library 'x' already exists"), or null. The records come before
 * any key in an RDB file, so Redis fails there with the dataset untouched;
 * checking first keeps tsdis's loader (which empties the data when a load
 * fails) from dropping it.
 */
export function rdbLibraryConflict(server: Server, rdb: Buffer): string | null {
  const libs = functionsOf(server).libraries;
  try {
    for (const code of rdbFunctionCodes(rdb)) {
      const name = parseMeta(code);
      if (libs.has(name)) return `Library '${name}' already exists`;
    }
  } catch {
    // a library's metadata that does not parse: the load itself reports it
  }
  return null;
}

/**
 * The library codes of an RDB image's function records, in order: they
 * follow the header's aux fields and come before any key. Stops at the
 * first other record, or where the image cannot be read (the load reports
 * that). Used by DEBUG RELOAD's checks and the VM gate (vm-gate.ts).
 */
export function* rdbFunctionCodes(rdb: Buffer): Generator<string> {
  const r = new RdbReader(rdb, 9, rdb.length);
  for (;;) {
    let code: string;
    try {
      const t = r.byte();
      if (t === OP_AUX) {
        r.str(); // key
        r.str(); // value
        continue;
      }
      if (t !== OP_FUNCTION2) return;
      code = r.str();
    } catch {
      return;
    }
    yield code;
  }
}
