/**
 * A load-time patch of lua-redis-wasm 1.5.0's WebAssembly binary that lets
 * a compiled script be kept in the VM between runs.
 *
 * The engine's only entry point, eval_with_args, compiles the script text
 * on every run (luaL_loadbuffer), and its sandbox leaves no place where a
 * script could keep a compiled function. Compiling is most of the cost of a
 * short script (measured: ~6.5 of ~12 us for a 5-command script), so:
 *
 * - luaL_loadbuffer's body moves to a new function, exported as
 *   `tsdis_load`: JS compiles a chunk once with it and stores the function
 *   in the Lua registry (`lua_rawseti(L, LUA_REGISTRYINDEX, ref)`).
 * - luaL_loadbuffer's old index gets a small body of our own: called with
 *   a length of 0xFFFFFF00 or more (no real buffer has one in a 64 MB heap)
 *   it pushes registry[ref] (the "buffer" pointer carries the ref) and
 *   returns 0 (loaded); otherwise it calls the moved original. Every other
 *   caller (loadstring, ...) goes on as before.
 * - a few Lua API functions are exported for the registry bookkeeping:
 *   lua_gettop, lua_settop, lua_rawseti, and lua_call (to run a chunk
 *   that returns the function to keep, see lua-chunks.ts makeChunk).
 * - sprintf gets a front for Lua's number-to-string conversion
 *   (lua_number2str: sprintf(buf, "%.14g", n), on every number passed to
 *   redis.call or concatenated): an integral n with |n| < 1e14 is written
 *   as its decimal digits, which is exactly what "%.14g" prints for it
 *   (at most 14 significant digits: no exponent, no fraction); anything
 *   else (other formats, fractions, -0, NaN, large numbers) goes to the
 *   moved original. musl's printf is a large share of a script that builds
 *   keys from numbers.
 * - free() ignores one pointer, the exported global `tsdis_scratch`: the
 *   redis.call bridge writes a command's reply into that buffer instead of
 *   a fresh malloc, and the engine's free() of it (after reading the reply)
 *   does nothing.
 * - malloc() and free() get a small-chunk cache in front of dlmalloc: a
 *   freed chunk of up to CACHE_MAX_CHUNK bytes goes on a list by its size
 *   and is handed back for the next request of that size; a request
 *   dlmalloc cannot serve gets them all back first (wasm-code.ts
 *   frontBodies; the list heads at the exported global `tsdis_bins`, set
 *   by lua.ts). malloc's original moves after the patch's own functions.
 *
 * - the engine's count hook (fuel_hook: run by Lua every 1000 VM
 *   instructions, it counted down a fuel budget and raised "Script killed
 *   by fuel limit") gets a body of our own: it calls the existing import
 *   `host_redis_log` with level -1, the hook's lua_Debug and L (the "tick": lua.ts
 *   routes it to the running script's host, which watches the clock and
 *   serves other clients once the script is past busy-reply-threshold),
 *   then, when the exported global `tsdis_kill` is not 0, raises a Lua
 *   error with the C string it points to (luaL_error(L, msg)): SCRIPT KILL
 *   and FUNCTION KILL end a script that way, unwinding through Lua's own
 *   error path so the VM stays usable. A killed script's hook then fires
 *   on every instruction (L->basehookcount = L->hookcount = 1), so a pcall
 *   that catches the error cannot keep the script alive: the next
 *   instruction outside it raises again (Redis switches to a line hook for
 *   the same reason; lua.ts puts the count back when the run ends). No
 *   import is added (that would
 *   shift every function index), and there is no fuel limit any more
 *   (Redis has none).
 *
 * - redis.call's reply decoder pushes nil, not false, for a null whose
 *   count field is 1 (the bridge's RESP3 null), and the result encoder
 *   converts a Lua number to an integer as Redis does on x86-64 (out of
 *   range or NaN: INT64_MIN) instead of saturating.
 * - a run starts with the engine's RESP version at 3, not 2 (lua.ts puts
 *   it back to 3 after every redis.setresp too): the engine then converts
 *   typed tables in every script, as Redis does, and lua.ts returns
 *   booleans as the script's protocol wants them.
 *
 * - redis.call's arguments (redis_call_common): a Lua number no longer goes
 *   through lua_tolstring ("%.14g", which cut 7098765432101235 to
 *   7098765432101200) but through a function of the patch's: an integral
 *   value within +-2^62 is written as its digits in wasm, anything else is
 *   handed to JS (host_redis_log at NUM_LEVEL with tsdis_numbuf), which
 *   writes it as Redis 7.2 does (lua-bridge.ts formatNumArg).
 * - the result encoder (runtime.c's encode_lua_value, function 35, with
 *   encode_table & co. inlined) keeps its scalar cases, moved, behind a
 *   front that hands every table to JS (host_redis_log at ENCODE_LEVEL):
 *   the engine read fields with lua_getfield (a metatable's __index ran,
 *   unprotected: Lua panicked and the instance exited), recursed without
 *   bound (a table containing itself overran the C stack and the heap),
 *   and took numbers for strings; lua-bridge.ts encodeTable follows Redis's
 *   luaReplyToRedisReply instead. Its type switch sends functions,
 *   userdata and threads to the nil case (the engine replied an error).
 *   tsdis_probe is the encoder's one helper in wasm: the raw lookups of
 *   Redis's typed-table fields, anchored in the registry.
 * - redis.log refuses levels outside 0..3 with Redis's error (the engine
 *   passed any level to the host, so a script could reach the negative
 *   levels above).
 * - cmsgpack packs an integral number past +-2^63 as a double, as Redis
 *   on x86-64 does.
 * - exported besides: the Lua API functions the JS encoder and lua.ts call
 *   (type, tolstring, tonumber, toboolean, rawget(i), next, pushvalue,
 *   pushstring, checkstack, getfield, pcall) and realloc, and the C stack
 *   pointer (tsdis_sp), which lua.ts points at a larger block.
 *
 * So eval_with_args, given (ref, 0xFFFFFFFF), does everything it always did
 * (fuel, RESP version, KEYS/ARGV, the error handler, pcall, reply encoding)
 * around the cached function instead of a fresh compile.
 *
 * Function indices and the address of the lua_State pointer were read from
 * a disassembly of this exact binary (wasm-objdump): the patch applies only
 * when the binary's SHA-256 is the pinned one; otherwise `patchEngine`
 * returns null and lua.ts compiles on every run as before. Those indices,
 * addresses and patterns, and what the patched instance offers lua.ts, are
 * in wasm-layout.ts; the bytes of the new code, in wasm-code.ts; this file
 * takes the binary apart, edits it and puts it back together.
 */
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import {
  CALL_ARG_TOLSTRING,
  CALL_ARG_TYPE,
  CMSGPACK_INT_CHECK,
  DECODE_NULL_CASE,
  ENCODE_TRUNC,
  ENCODE_TYPE_SWITCH,
  ENCODE_TYPE_SWITCH_NULL,
  ERROR_HANDLER_LINE,
  EVAL_PCALL_ERR,
  FORMAT_CHAR,
  FORMAT_SIGNED,
  FORMAT_UNSIGNED,
  F_CMSGPACK_ENCODE,
  F_DECODE_REPLY,
  F_ENCODE_VALUE,
  F_ERROR_HANDLER,
  F_EVAL_WITH_ARGS,
  F_FREE,
  F_MALLOC,
  F_FUEL_HOOK,
  F_GLOBAL_READ,
  F_LUAL_ERROR,
  F_LUAL_LOADBUFFER,
  F_LUA_CALL,
  F_LUA_CHECKSTACK,
  F_LUA_CREATETABLE,
  F_LUA_ENABLEREADONLY,
  F_LUA_ERROR,
  F_LUA_GETFIELD,
  F_LUA_GETINFO,
  F_LUA_GETSTACK,
  F_LUA_GETTOP,
  F_LUA_INSERT,
  F_LUA_NEXT,
  F_LUA_PCALL,
  F_LUA_PUSHBOOLEAN,
  F_LUA_PUSHCCLOSURE,
  F_LUA_PUSHLSTRING,
  F_LUA_PUSHNUMBER,
  F_LUA_PUSHSTRING,
  F_LUA_PUSHVALUE,
  F_LUA_RAWGET,
  F_LUA_RAWGETI,
  F_LUA_RAWSET,
  F_LUA_RAWSETI,
  F_LUA_SETFENV,
  F_LUA_SETTOP,
  F_LUA_TOBOOLEAN,
  F_LUA_TOLSTRING,
  F_LUA_TONUMBER,
  F_LUA_TYPE,
  F_REALLOC,
  F_REDIS_CALL_COMMON,
  F_REDIS_LOG,
  F_RESP_RESET,
  F_SPRINTF,
  F_STRUCT_OPTSIZE,
  F_STRUCT_PACK,
  F_STRUCT_UNPACK,
  F_STR_FORMAT,
  GLOBAL_READ_FMT,
  LOG_LEVEL_SET,
  LUA_REGISTRYINDEX,
  OPTSIZE_SWITCH,
  PACK_INT_FROM,
  PACK_INT_TO,
  PINNED_SHA256,
  REPLY_FIELDS_REF,
  RESP_RESET_BODY,
  TRAMPOLINE_SLOT,
  TYPE_F64_I32,
  UNPACK_INT_FROM,
  UNPACK_INT_TO,
} from './wasm-layout.js';
import {
  F64,
  I32,
  I64,
  frontBodies,
  name,
  ownBodies,
  readU32,
  sleb,
  sleb64,
  f64,
  uleb,
  vec,
  type Placed,
  type Section,
} from './wasm-code.js';

/**
 * Returns the patched binary, or null when `wasm` is not the pinned build.
 * Pure function of its input; throws nothing for a foreign binary.
 */
export function patchEngine(wasm: Uint8Array): Uint8Array | null {
  if (createHash('sha256').update(wasm).digest('hex') !== PINNED_SHA256) return null;
  const sections: Section[] = [];
  const p = { o: 8 };
  while (p.o < wasm.length) {
    const id = wasm[p.o++]!;
    const size = readU32(wasm, p);
    sections.push({ id, body: wasm.subarray(p.o, p.o + size) });
    p.o += size;
  }
  const sec = (id: number): Section => {
    const s = sections.find((x) => x.id === id);
    if (s === undefined) throw new Error(`wasm section ${id} missing`);
    return s;
  };

  // Imports: count the imported functions (they come first in the index space).
  const imp = sec(2).body;
  const ip = { o: 0 };
  const nImports = readU32(imp, ip);
  let nImportedFuncs = 0;
  for (let i = 0; i < nImports; i++) {
    for (let k = 0; k < 2; k++) {
      const len = readU32(imp, ip); // module, then field
      ip.o += len;
    }
    const kind = imp[ip.o++]!;
    if (kind === 0) {
      readU32(imp, ip);
      nImportedFuncs++;
    } else if (kind === 1) {
      ip.o++; // elem type
      const flags = imp[ip.o++]!;
      readU32(imp, ip);
      if (flags & 1) readU32(imp, ip);
    } else if (kind === 2) {
      const flags = imp[ip.o++]!;
      readU32(imp, ip);
      if (flags & 1) readU32(imp, ip);
    } else if (kind === 3) {
      ip.o += 2;
    } else throw new Error('unknown import kind');
  }

  // Functions: the type of luaL_loadbuffer; append the moved original.
  const fn = sec(3);
  const fp = { o: 0 };
  const nFuncs = readU32(fn.body, fp);
  const types: number[] = [];
  for (let i = 0; i < nFuncs; i++) types.push(readU32(fn.body, fp));
  // The moved originals, appended in this order, then the patch's own functions.
  const moved = [F_LUAL_LOADBUFFER, F_SPRINTF, F_FREE, F_ENCODE_VALUE];
  const movedIndex = nImportedFuncs + nFuncs;
  const movedSprintf = movedIndex + 1;
  const movedFree = movedIndex + 2;
  const movedEncode = movedIndex + 3;
  const fArgStr = movedIndex + 4;
  const fProbe = movedIndex + 5;
  // The 64-bit integer helpers (string.format, struct) and the error text reader.
  const fCvtS = movedIndex + 6;
  const fCvtU = movedIndex + 7;
  const fCvt32 = movedIndex + 8;
  const fPutInt = movedIndex + 9;
  const fGetInt = movedIndex + 10;
  const fErrStr = movedIndex + 11;
  const fTramp = movedIndex + 12;
  const fMkWrap = movedIndex + 13;
  const fJsCall = movedIndex + 14;
  const fMkJs = movedIndex + 15;
  // malloc's original, moved after the patch's own functions (the small-chunk cache's front takes its index)
  const movedMalloc = movedIndex + 16;
  const typeOf = (f: number): number => types[f - nImportedFuncs]!;
  // Types: three appended (their indices follow the existing ones): (f64) -> i64,
  // (i32 f64 i32 i32) -> (), (i32 i32 i32 i32) -> f64. (f64) -> i32 exists (TYPE_F64_I32).
  const ty = sec(1);
  const tp = { o: 0 };
  const nTypes = readU32(ty.body, tp);
  const T_F64_I64 = nTypes;
  const T_PUTINT = nTypes + 1;
  const T_GETINT = nTypes + 2;
  const newTypes = [
    [0x60, 1, F64, 1, I64],
    [0x60, 4, I32, F64, I32, I32, 0],
    [0x60, 4, I32, I32, I32, I32, 1, F64],
  ];
  ty.body = Uint8Array.from([...uleb(nTypes + newTypes.length), ...ty.body.subarray(tp.o), ...newTypes.flat()]);
  // argstr has lua_tolstring's type (L, idx, len *) -> ptr; probe (L, t, from) -> i32 and errstr are the same type.
  const added = [
    ...moved.map(typeOf),
    typeOf(F_LUA_TOLSTRING),
    typeOf(F_LUA_TOLSTRING),
    T_F64_I64,
    T_F64_I64,
    TYPE_F64_I32,
    T_PUTINT,
    T_GETINT,
    typeOf(F_LUA_TOLSTRING),
    typeOf(F_GLOBAL_READ),
    typeOf(F_GLOBAL_READ),
    typeOf(F_GLOBAL_READ),
    typeOf(F_GLOBAL_READ), // lua_CFunction: (L) -> i32
    typeOf(F_MALLOC),
  ];
  fn.body = Uint8Array.from(vec(nFuncs + added.length, [...types.flatMap(uleb), ...added.flatMap(uleb)]));

  // Globals: five more, mutable i32 (the bridge's scratch buffer; the kill message, 0: none;
  // the number buffer; the JS encoder's result; redis.log's bad level message).
  const gl = sec(6);
  const gp = { o: 0 };
  const nGlobals = readU32(gl.body, gp);
  const scratchGlobal = nGlobals;
  const killGlobal = nGlobals + 1;
  const numbufGlobal = nGlobals + 2;
  const encretGlobal = nGlobals + 3;
  const badLevelGlobal = nGlobals + 4;
  // and two C strings lua.ts writes: the nonexistent-global error's format, the argument type error;
  // the small-chunk cache's list heads and the bytes it holds
  const globalReadGlobal = nGlobals + 5;
  const argTypeGlobal = nGlobals + 6;
  const binsGlobal = nGlobals + 7;
  const cachedGlobal = nGlobals + 8;
  const i32Global = [0x7f, 1, 0x41, 0, 0x0b];
  gl.body = Uint8Array.from([
    ...uleb(nGlobals + 9),
    ...gl.body.subarray(gp.o),
    ...[0, 1, 2, 3, 4, 5, 6, 7, 8].flatMap(() => i32Global),
  ]);

  // Table: four more slots, the trampoline and its maker (TRAMPOLINE_SLOT, MKWRAP_SLOT), the JS call and its
  // maker (JSCALL_SLOT, MKJS_SLOT), added to the one element segment that fills it from slot 1.
  const tab = sec(4);
  const tbp = { o: 0 };
  if (readU32(tab.body, tbp) !== 1 || tab.body[tbp.o++] !== 0x70 || tab.body[tbp.o++] !== 1)
    throw new Error('unexpected table section');
  const tableMin = readU32(tab.body, tbp);
  const tableMax = readU32(tab.body, tbp);
  if (tableMin !== TRAMPOLINE_SLOT || tableMax !== tableMin) throw new Error('unexpected table size');
  tab.body = Uint8Array.from([1, 0x70, 1, ...uleb(tableMin + 4), ...uleb(tableMax + 4)]);
  const el = sec(9);
  const elp = { o: 0 };
  if (readU32(el.body, elp) !== 1 || readU32(el.body, elp) !== 0) throw new Error('unexpected element section');
  const exprStart = elp.o;
  while (el.body[elp.o] !== 0x0b) elp.o++;
  elp.o++;
  const expr = el.body.subarray(exprStart, elp.o);
  const nElems = readU32(el.body, elp);
  if (Buffer.from(expr).toString('hex') !== '41010b' || 1 + nElems !== tableMin)
    throw new Error('unexpected element segment');
  el.body = Uint8Array.from([
    1,
    0,
    ...expr,
    ...uleb(nElems + 4),
    ...el.body.subarray(elp.o),
    ...uleb(fTramp),
    ...uleb(fMkWrap),
    ...uleb(fJsCall),
    ...uleb(fMkJs),
  ]);

  // Exports: append ours.
  const ex = sec(7);
  const ep = { o: 0 };
  const nExports = readU32(ex.body, ep);
  const extra: [string, number][] = [
    ['tsdis_load', movedIndex],
    ['tsdis_rawseti', F_LUA_RAWSETI],
    ['tsdis_gettop', F_LUA_GETTOP],
    ['tsdis_settop', F_LUA_SETTOP],
    ['tsdis_call', F_LUA_CALL],
    ['tsdis_type', F_LUA_TYPE],
    ['tsdis_tolstring', F_LUA_TOLSTRING],
    ['tsdis_tonumber', F_LUA_TONUMBER],
    ['tsdis_toboolean', F_LUA_TOBOOLEAN],
    ['tsdis_rawgeti', F_LUA_RAWGETI],
    ['tsdis_rawget', F_LUA_RAWGET],
    ['tsdis_next', F_LUA_NEXT],
    ['tsdis_pushvalue', F_LUA_PUSHVALUE],
    ['tsdis_pushstring', F_LUA_PUSHSTRING],
    ['tsdis_checkstack', F_LUA_CHECKSTACK],
    ['tsdis_realloc', F_REALLOC],
    ['tsdis_pcall', F_LUA_PCALL],
    ['tsdis_getfield', F_LUA_GETFIELD],
    ['tsdis_probe', fProbe],
    ['tsdis_setfenv', F_LUA_SETFENV],
    ['tsdis_readonly', F_LUA_ENABLEREADONLY],
    ['tsdis_pushnumber', F_LUA_PUSHNUMBER],
    ['tsdis_pushcclosure', F_LUA_PUSHCCLOSURE],
    ['tsdis_getstack', F_LUA_GETSTACK],
    ['tsdis_getinfo', F_LUA_GETINFO],
    ['tsdis_pushlstring', F_LUA_PUSHLSTRING],
    ['tsdis_pushboolean', F_LUA_PUSHBOOLEAN],
  ];
  const extraGlobals: [string, number][] = [
    ['tsdis_scratch', scratchGlobal],
    ['tsdis_kill', killGlobal],
    ['tsdis_numbuf', numbufGlobal],
    ['tsdis_encret', encretGlobal],
    ['tsdis_badlevel', badLevelGlobal],
    ['tsdis_sp', 0],
    ['tsdis_globalread', globalReadGlobal],
    ['tsdis_argtype', argTypeGlobal],
    ['tsdis_bins', binsGlobal],
  ];
  ex.body = Uint8Array.from([
    ...uleb(nExports + extra.length + extraGlobals.length),
    ...ex.body.subarray(ep.o),
    ...extra.flatMap(([n, idx]) => [...name(n), 0, ...uleb(idx)]),
    ...extraGlobals.flatMap(([n, idx]) => [...name(n), 3, ...uleb(idx)]),
  ]);

  // Code: swap luaL_loadbuffer's body for the hook, append the original.
  const code = sec(10);
  const cp = { o: 0 };
  const nBodies = readU32(code.body, cp);
  const bodies: Uint8Array[] = [];
  for (let i = 0; i < nBodies; i++) {
    const start = cp.o;
    const size = readU32(code.body, cp);
    cp.o += size;
    bodies.push(code.body.subarray(start, cp.o));
  }
  /** Replaces function f's body (its locals and code, `0x0b` included) with `code`. */
  const setBody = (f: number, code: number[] | Uint8Array): void => {
    bodies[f - nImportedFuncs] = Uint8Array.from([...uleb(code.length), ...code]);
  };
  /**
   * Edits function f's body where the byte pattern (hex) occurs, exactly
   * once: `remove` bytes from `skip` bytes into it are replaced by `insert`.
   */
  const spliceUnique = (
    f: number,
    patternHex: string,
    skip: number,
    remove: number,
    insert: number[],
    what: string,
  ): void => {
    const raw = bodies[f - nImportedFuncs]!;
    const rp = { o: 0 };
    const size = readU32(raw, rp);
    const body = Buffer.from(raw.subarray(rp.o, rp.o + size));
    const pattern = Buffer.from(patternHex, 'hex');
    const at = body.indexOf(pattern);
    if (at < 0 || body.indexOf(pattern, at + 1) >= 0) throw new Error(`unexpected ${what} body`);
    setBody(
      f,
      Buffer.concat([body.subarray(0, at + skip), Uint8Array.from(insert), body.subarray(at + skip + remove)]),
    );
  };
  // The result encoder, before it moves: a Lua number -> integer reply as Redis's x86-64 cast gives
  // it: |n| < 2^63 ? trunc(n) : INT64_MIN (NaN too).
  const trunc = [
    0x20,
    13,
    0xfc,
    0x06, // trunc_sat(n)
    0x42,
    ...sleb64(-(2n ** 63n)), // INT64_MIN
    0x20,
    13,
    0x99,
    0x44,
    ...f64(2 ** 63),
    0x63, // |n| < 2^63
    0x1b, // select
  ];
  spliceUnique(F_ENCODE_VALUE, ENCODE_TRUNC, 0, 4, trunc, 'encode_value'); // the 4 bytes: local.get n; i64.trunc_sat_f64_s
  // Functions, userdata, threads, light userdata: a null, as Redis replies (was an error).
  spliceUnique(
    F_ENCODE_VALUE,
    ENCODE_TYPE_SWITCH,
    0,
    ENCODE_TYPE_SWITCH_NULL.length,
    ENCODE_TYPE_SWITCH_NULL,
    'encode_value type switch',
  );
  /**
   * Replaces, in function f's body, the code from where the byte pattern
   * `fromHex` occurs (exactly once) up to the next occurrence of `toHex`
   * (kept) with `insert`.
   */
  const spliceRange = (f: number, fromHex: string, toHex: string, insert: number[], what: string): void => {
    const raw = bodies[f - nImportedFuncs]!;
    const rp = { o: 0 };
    const size = readU32(raw, rp);
    const code = Buffer.from(raw.subarray(rp.o, rp.o + size));
    const from = Buffer.from(fromHex, 'hex');
    const at = code.indexOf(from);
    if (at < 0 || code.indexOf(from, at + 1) >= 0) throw new Error(`unexpected ${what} body`);
    const to = code.indexOf(Buffer.from(toHex, 'hex'), at + from.length);
    if (to < 0) throw new Error(`unexpected ${what} body`);
    setBody(f, Buffer.concat([code.subarray(0, at), Uint8Array.from(insert), code.subarray(to)]));
  };
  const originals = moved.map((f) => bodies[f - nImportedFuncs]!);
  const mallocOriginal = bodies[F_MALLOC - nImportedFuncs]!;
  const placed: Placed = {
    movedIndex,
    movedSprintf,
    movedFree,
    movedEncode,
    movedMalloc,
    fCvtS,
    fCvtU,
    scratchGlobal,
    binsGlobal,
    cachedGlobal,
    killGlobal,
    numbufGlobal,
    encretGlobal,
  };
  const { hook, num, free, malloc, tick, front } = frontBodies(placed);
  setBody(F_LUAL_LOADBUFFER, hook);
  setBody(F_SPRINTF, num);
  setBody(F_FREE, free);
  setBody(F_MALLOC, malloc);
  setBody(F_FUEL_HOOK, tick);
  // A run starts in RESP3 (see RESP_ADDR and lua.ts respNow): `g_resp_version = 3`.
  const reset = bodies[F_RESP_RESET - nImportedFuncs]!;
  if (Buffer.from(reset.subarray(1)).toString('hex') !== RESP_RESET_BODY) throw new Error('unexpected RESP reset body');
  const reset3 = Uint8Array.from(reset);
  reset3[1 + 6] = 3; // the i32.const 2
  bodies[F_RESP_RESET - nImportedFuncs] = reset3;
  // redis.call's null: a RESP3 null (the bridge sets the count field to 1) is nil, a RESP2 one false.
  // The case becomes: if (count) lua_settop(L, lua_gettop(L) + 1) else lua_pushboolean(L, 0).
  const nullCase = [
    0x20,
    5,
    0x04,
    0x40, // if (count)
    0x20,
    0,
    0x20,
    0,
    0x10,
    ...uleb(F_LUA_GETTOP),
    0x41,
    1,
    0x6a,
    0x10,
    ...uleb(F_LUA_SETTOP), // lua_settop(L, lua_gettop(L) + 1): a nil
    0x05, // else
    0x20,
    0,
    0x41,
    0,
    0x10,
    ...uleb(F_LUA_PUSHBOOLEAN), // lua_pushboolean(L, 0)
    0x0b,
  ];
  // 17 bytes in: past the br_table and its block end; the 6 bytes there pushed false
  spliceUnique(F_DECODE_REPLY, DECODE_NULL_CASE, 17, 6, nullCase, 'decode_reply');
  setBody(F_ENCODE_VALUE, front);
  // redis.call's arguments: a number becomes text as Redis 7.2 writes it, not as Lua's "%.14g".
  spliceUnique(F_REDIS_CALL_COMMON, CALL_ARG_TOLSTRING, 9, 2, [0x10, ...uleb(fArgStr)], 'redis_call_common');
  // cmsgpack: integral numbers out of int64's range are packed as doubles, as on x86-64.
  const packRange = [
    0x20,
    15,
    0x44,
    ...f64(2 ** 63),
    0x66,
    0x0d,
    0, // n >= 2^63
    0x20,
    15,
    0x44,
    ...f64(-(2 ** 63)),
    0x63,
    0x0d,
    0, // n < -2^63
  ];
  spliceUnique(F_CMSGPACK_ENCODE, CMSGPACK_INT_CHECK, 15, 0, packRange, 'cmsgpack number');
  // redis.log(level, ...): a level outside 0..3 raises Redis's error (the engine passed any level on,
  // and the patch's own calls into JS use negative ones).
  const badLevel = [
    0x20,
    2,
    0x41,
    3,
    0x4b,
    0x04,
    0x40, // if ((unsigned)level > 3)
    0x20,
    0,
    0x23,
    ...uleb(badLevelGlobal),
    0x41,
    0,
    0x10,
    ...uleb(F_LUAL_ERROR),
    0x1a, // luaL_error(L, msg, 0)
    0x0b,
  ];
  spliceUnique(F_REDIS_LOG, LOG_LEVEL_SET, LOG_LEVEL_SET.length / 2, 0, badLevel, 'redis.log');
  // The nonexistent-global error and the argument type error with Redis's texts (C strings set by lua.ts).
  spliceUnique(F_GLOBAL_READ, GLOBAL_READ_FMT, 0, 3, [0x23, ...uleb(globalReadGlobal)], 'protect_globals_index');
  spliceUnique(
    F_REDIS_CALL_COMMON,
    CALL_ARG_TYPE,
    2,
    CALL_ARG_TYPE.length / 2 - 2,
    [
      0x23,
      ...uleb(argTypeGlobal),
      0x10,
      ...uleb(F_LUA_PUSHSTRING), // the text
      0x20,
      1,
      0x04,
      0x7f, // if (raise_on_error)
      0x20,
      0,
      0x10,
      ...uleb(F_LUA_ERROR), // lua_error(L)
      0x05, // else {err = text}
      0x20,
      0,
      0x41,
      0,
      0x41,
      1,
      0x10,
      ...uleb(F_LUA_CREATETABLE),
      0x20,
      0,
      0x41,
      0x7e,
      0x10,
      ...uleb(F_LUA_INSERT),
      0x20,
      0,
      0x41,
      ...sleb(LUA_REGISTRYINDEX),
      0x41,
      ...sleb(REPLY_FIELDS_REF),
      0x10,
      ...uleb(F_LUA_RAWGETI),
      0x20,
      0,
      0x41,
      0x7e,
      0x10,
      ...uleb(F_LUA_INSERT),
      0x20,
      0,
      0x41,
      0x7d,
      0x10,
      ...uleb(F_LUA_RAWSET),
      0x41,
      1,
      0x0b,
      0x21,
      2,
    ],
    'redis_call_common arg type',
  );
  // The error handler skips tsdis's own chunks ('=' names): `currentline > 0 && *source != '='`.
  spliceUnique(
    F_ERROR_HANDLER,
    ERROR_HANDLER_LINE,
    ERROR_HANDLER_LINE.length / 2,
    0,
    [0x20, 1, 0x28, 2, 28, 0x2d, 0, 0, 0x41, 61, 0x47, 0x71],
    'script_error_handler',
  );
  // A failed run's message: a table error's err field (tsdis_errstr).
  spliceUnique(
    F_EVAL_WITH_ARGS,
    EVAL_PCALL_ERR,
    EVAL_PCALL_ERR.length / 2 - 2,
    2,
    [0x10, ...uleb(fErrStr)],
    'eval_with_args error',
  );
  // string.format: "ll" and 64-bit values for %d %i (signed) and %o %u %x %X (unsigned), x86's int for %c.
  const llForm = [
    0x41, 0xec, 0xd8, 0x01, 0x3b, 0, 0, 0x20, 2, 0x41, 0, 0x3a, 0, 2, 0x20, 2, 0x20, 6, 0x3a, 0, 1, 0x20, 1, 0x20, 0,
    0x20, 5, 0x10, 0xfb, 0x01,
  ];
  spliceUnique(
    F_STR_FORMAT,
    FORMAT_SIGNED,
    0,
    FORMAT_SIGNED.length / 2,
    [...llForm, 0x10, ...uleb(fCvtS), 0x37, 3, 32],
    'str_format %d',
  );
  spliceUnique(
    F_STR_FORMAT,
    FORMAT_UNSIGNED,
    0,
    FORMAT_UNSIGNED.length / 2,
    [...llForm, 0x10, ...uleb(fCvtU), 0x37, 3, 48],
    'str_format %x',
  );
  spliceUnique(F_STR_FORMAT, FORMAT_CHAR, FORMAT_CHAR.length / 2 - 5, 2, [0x10, ...uleb(fCvt32)], 'str_format %c');
  // struct: 'L', 'T' and 'l' are 8 bytes (the br_table entries after the 6 bytes of the pattern).
  {
    const raw = bodies[F_STRUCT_OPTSIZE - nImportedFuncs]!;
    const at = Buffer.from(raw).indexOf(Buffer.from(OPTSIZE_SWITCH, 'hex'));
    if (at < 0) throw new Error('unexpected struct optsize body');
    const b = Uint8Array.from(raw);
    const entries = at + OPTSIZE_SWITCH.length / 2;
    for (const opt of ['L', 'T', 'l']) {
      const e = entries + opt.charCodeAt(0) - 66;
      if (b[e] !== 1 || b[entries + 'd'.charCodeAt(0) - 66] !== 2) throw new Error('unexpected struct optsize switch');
      b[e] = 2;
    }
    bodies[F_STRUCT_OPTSIZE - nImportedFuncs] = b;
  }
  // b_pack's integer case: tsdis_putint(buff, luaL_checknumber(L, arg), h.endian, size).
  spliceRange(
    F_STRUCT_PACK,
    PACK_INT_FROM,
    PACK_INT_TO,
    [
      0x20,
      1,
      0x41,
      0xa0,
      0x08,
      0x6a, // buff = frame + 1056
      0x20,
      0,
      0x20,
      7,
      0x10,
      0xfb,
      0x01, // luaL_checknumber(L, arg)
      0x20,
      1,
      0x28,
      2,
      8, // h.endian
      0x20,
      4, // size
      0x10,
      ...uleb(fPutInt),
    ],
    'struct pack',
  );
  // b_unpack's integer case: lua_pushnumber(L, tsdis_getint(data + pos, h.endian, islower(opt), size)).
  spliceRange(
    F_STRUCT_UNPACK,
    UNPACK_INT_FROM,
    UNPACK_INT_TO,
    [
      0x20,
      0, // L
      0x20,
      8,
      0x20,
      9,
      0x6a,
      0x22,
      7, // data + pos
      0x20,
      2,
      0x28,
      2,
      24, // h.endian
      0x20,
      13,
      0x41,
      0xe0,
      0x00,
      0x4b, // opt > 96: signed
      0x20,
      3, // size
      0x10,
      ...uleb(fGetInt),
    ],
    'struct unpack',
  );
  const body = (code: number[]): Uint8Array => Uint8Array.from([...uleb(code.length), ...code]);
  bodies.push(...originals, ...ownBodies(placed).map(body), mallocOriginal);
  const parts = [uleb(bodies.length), ...bodies];
  const total = parts.reduce((a, b) => a + b.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const part of parts) {
    out.set(part, o);
    o += part.length;
  }
  code.body = out;

  const chunks: Uint8Array[] = [wasm.subarray(0, 8)];
  for (const s of sections) {
    chunks.push(Uint8Array.from([s.id, ...uleb(s.body.length)]), s.body);
  }
  return Buffer.concat(chunks);
}
