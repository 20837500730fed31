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
 *   that returns the function to keep, see lua.ts makeChunk).
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
 *   writes it as Redis 7.2 does (lua.ts formatNumArg).
 * - the result encoder (runtime.c's encode_lua_value, function 35, with
 *   encode_table & co. inlined) keeps its scalar cases, moved, behind a
 *   front that hands every table to JS (host_redis_log at ENCODE_LEVEL):
 *   the engine read fields with lua_getfield (a metatable's __index ran,
 *   unprotected: Lua panicked and the instance exited), recursed without
 *   bound (a table containing itself overran the C stack and the heap),
 *   and took numbers for strings; lua.ts encodeTable follows Redis's
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
 * returns null and lua.ts compiles on every run as before.
 */
import { createHash } from 'node:crypto';

/** SHA-256 of lua-redis-wasm 1.5.0's dist/redis_lua.wasm. */
const PINNED_SHA256 = 'c95b450f963b03479fe34da98bfecff67f277708dff89893ce2e40f898a0b42a';

/** Function indices in the pinned binary (imports included). */
const F_LUAL_LOADBUFFER = 264; // (L, buf, len, name) -> status
const F_LUA_RAWGETI = 87; // (L, idx, n)
const F_LUA_RAWSETI = 93; // (L, idx, n)
const F_LUA_GETTOP = 56; // (L) -> n
const F_LUA_SETTOP = 57; // (L, idx)
const F_LUA_CALL = 96; // (L, nargs, nresults)
const F_SPRINTF = 471; // (buf, fmt, va_list)
const F_FREE = 510; // (ptr)
const F_FUEL_HOOK = 29; // (L, ar): the count hook
const F_LUAL_ERROR = 242; // (L, fmt, va) -> i32
/** The import the tick goes through: env.host_redis_log(level, ptr, len). */
const F_HOST_REDIS_LOG = 1;
/**
 * lua_State's basehookcount and hookcount (offsets read from setup_state,
 * where lua_sethook(L, fuel_hook, LUA_MASKCOUNT, 1000) is inlined as two
 * i32.store of 1000 at these offsets).
 */
export const L_BASEHOOKCOUNT = 64;
export const L_HOOKCOUNT = 60;
/** The engine's hook interval (FUEL_HOOK_STEP). */
export const HOOK_STEP = 1000;
/** The level of a tick (real redis.log levels are 0..3). */
export const TICK_LEVEL = -1;
/** The "%.14g" format string (LUAI_NUMFFORMAT) in the data segment. */
const FMT_14G = 4307;
/**
 * Where the engine keeps the script's RESP version (redis_api.c's
 * g_resp_version: set to 2 at the start of a run, to v by redis.setresp(v)
 * before it calls the host_redis_setresp import; read only by the result
 * encoder).
 */
export const RESP_ADDR = 27960;
/** The function that starts a run's RESP version at 2: `g_resp_version = 2` and nothing else. */
const F_RESP_RESET = 41;
/** Its body in the pinned binary: i32.const RESP_ADDR, i32.const 2, i32.store. */
const RESP_RESET_BODY = '0041b8da0141023602000b';
/**
 * redis.call's reply decoder (redis_api.c's decode_reply) and, in it, the
 * null case: after the type switch (br_table), `lua_pushboolean(L, 0);
 * return 1;`. Local 5 holds the value's u32 count/length field.
 */
const F_DECODE_REPLY = 52;
const DECODE_NULL_CASE = '0e0d00010205030 40c06070a0b08090c0b'.replace(/ /g, '') + '2000410010' + '51' + '41010f0b';
const F_LUA_PUSHBOOLEAN = 81;
/**
 * The result encoder (runtime.c's encode_value) and its one number-to-
 * integer conversion: `local.get 13` (the Lua number) then
 * i64.trunc_sat_f64_s, which saturates (+inf gives INT64_MAX, NaN 0).
 */
const F_ENCODE_VALUE = 35;
const ENCODE_TRUNC = '200dfc06';
/**
 * The result encoder's entry (after the type switch's br_table: nil, boolean,
 * light userdata, number, string, table; default): light userdata and the
 * default (function, userdata, thread) go to the error exit, where Redis
 * replies a null: they are sent to the nil case instead.
 */
const ENCODE_TYPE_SWITCH = '0e06000208010304 08'.replace(/ /g, '');
const ENCODE_TYPE_SWITCH_NULL = [0x0e, 6, 0, 2, 0, 1, 3, 4, 0];
/** Lua API functions the JS result encoder and the patch's own functions call. */
const F_LUA_CHECKSTACK = 53; // (L, n) -> ok
const F_LUA_PUSHVALUE = 61; // (L, idx)
const F_LUA_TYPE = 62; // (L, idx) -> type
const F_LUA_TONUMBER = 67; // (L, idx) -> f64
const F_LUA_TOBOOLEAN = 69; // (L, idx) -> i32
const F_LUA_TOLSTRING = 70; // (L, idx, len *) -> char *
const F_LUA_PUSHSTRING = 78; // (L, s)
const F_LUA_RAWGET = 86; // (L, idx)
const F_LUA_NEXT = 102; // (L, idx) -> i32
const F_REALLOC = 511; // (p, n) -> p
const F_LUA_PCALL = 97; // (L, nargs, errfunc) -> status: lua_pcall with nresults LUA_MULTRET (the build folded it in)
const F_LUA_GETFIELD = 85; // (L, idx, k)
export const LUA_GLOBALSINDEX = -10002;
/**
 * lua_State's l_G and global_State's totalbytes (the Lua heap's size), read
 * from lua_gc's body (function 100; LUA_GCRESTART: g->GCthreshold = g->totalbytes).
 */
export const L_G = 16;
export const G_TOTALBYTES = 68;
/** redis.log (redis_api.c's l_redis_log) and, in it, `level = luaL_checkinteger(L, 1)` (local 2). */
const F_REDIS_LOG = 46;
const LOG_LEVEL_SET = '2000410110fc01 2102'.replace(/ /g, '');
/** redis_call_common (redis_api.c): turns the Lua arguments into the host's argument buffer. */
const F_REDIS_CALL_COMMON = 51;
/** Its lua_tolstring(L, i, &len) of each argument (`local 9` is i, `local 4` the stack frame). */
const CALL_ARG_TOLSTRING = '20002009200441086a1046';
/**
 * cmsgpack's mp_encode_lua_number (lua_cmsgpack.c, inlined in function
 * 387): a number is packed as an integer when `!isinf(n) && (int64_t)n ==
 * n`, which clang compiled to `trunc(n) == n`. On x86-64 the cast gives
 * INT64_MIN past +-2^63, so Redis packs 1e300 or 2^63 as a double; the
 * patch sends n >= 2^63 and n < -2^63 to the double case too.
 */
const F_CMSGPACK_ENCODE = 387;
const CMSGPACK_INT_CHECK = '220f9944000000000000f07f610d00' + '200f200f9d620d00';
/**
 * Registry slots where lua.ts anchors the field names the result encoder
 * looks up (REPLY_FIELDS, in this order), so looking one up allocates nothing.
 */
export const REPLY_FIELDS_REF = 1 << 19;
export const REPLY_FIELDS = ['err', 'ok', 'double', 'big_number', 'verbatim_string', 'map', 'set', 'format', 'string'] as const;
/** Registry slots of the `collectgarbage` function and the string "collect" (lua.ts reclaim). */
export const GC_FN_REF = REPLY_FIELDS_REF + REPLY_FIELDS.length;
export const GC_ARG_REF = GC_FN_REF + 1;
/** Registry slots of what the sandbox setup returns (lua.ts setupSandbox, sandbox.ts SETUP_LUA). */
export const FENV_REF = GC_ARG_REF + 1;
export const BEGIN_LOAD_REF = FENV_REF + 1;
export const END_LOAD_REF = FENV_REF + 2;
export const WRAP_REF = FENV_REF + 3;
/** Registry slot of the string "step" (lua.ts gcStep). */
export const GC_STEP_REF = FENV_REF + 4;
/** Registry slot of the sandbox's `first` (lua.ts compiledIn). */
export const FIRST_REF = FENV_REF + 5;
/** The Lua type each of the first seven fields must have to count (Redis's luaReplyToRedisReply): a nibble each. */
const REPLY_FIELD_TYPES = 4 | (4 << 4) | (3 << 8) | (4 << 12) | (5 << 16) | (5 << 20) | (5 << 24);
/** host_redis_log levels of the patch's calls into JS (real redis.log levels are 0..3). */
export const NUM_LEVEL = -2;
export const ENCODE_LEVEL = -3;
/** Where in the number buffer (tsdis_numbuf, NUMBUF_SIZE bytes) JS leaves the length of the text it wrote. */
export const NUMBUF_LEN_AT = 28;
export const NUMBUF_SIZE = 32;
/** Where the engine keeps its lua_State pointer (runtime.c's g_state). */
export const G_STATE_ADDR = 28472;
/** The engine's "@user_script" chunk name string (the one eval_with_args passes). */
export const NAME_USER_SCRIPT = 1728;
export const LUA_REGISTRYINDEX = -10000;
/** A loadbuffer length at or above this means "push registry[buf]". */
export const CACHED_LEN = 0xffffff00;

/**
 * The globals-protection __index handler (runtime.c's protect_globals_index)
 * and its format string: the marker "__RLUA_E__:global-read:%s" becomes
 * Redis's text (a C string lua.ts writes, tsdis_globalread), so a script
 * that catches the error with pcall reads what Redis's scripts read.
 */
const F_GLOBAL_READ = 27;
const GLOBAL_READ_FMT = '41a313'; // i32.const 2467
/**
 * redis_call_common's error for an argument that is neither a string nor a
 * number: lua_pushlstring(L, "__RLUA_E__:command-arg-type", 27);
 * lua_error(L); the result count to local 2. Becomes Redis's text
 * (tsdis_argtype), raised by redis.call and returned as {err = text} by
 * redis.pcall (local 1 is raise_on_error), as luaRedisGenericCommand does.
 */
const CALL_ARG_TYPE = '2000' + '41f924' + '411b' + '104d' + '2000' + '1065' + '2102';
const F_LUA_CREATETABLE = 88; // (L, narr, nrec)
const F_LUA_RAWSET = 92; // (L, idx)
/**
 * The engine's lua_pcall message handler (runtime.c's script_error_handler,
 * function 33): it records the line of the first stack level with a line
 * (`ar.currentline > 0`, ar at local 1 + 12). The patch also skips levels
 * whose chunk name starts with '=' (ar.source at local 1 + 28): tsdis's own
 * Lua (lua.ts SETUP_CHUNK_NAME), so an error its API functions raise is put
 * on the script's line, as Redis puts an error its C API raises.
 */
const F_ERROR_HANDLER = 33;
const ERROR_HANDLER_LINE = '2001280220' + '2203' + '4100' + '4a';
/**
 * eval_with_args after a failed lua_pcall: `msg = lua_tolstring(L, -1,
 * &len)` ("ERR script execution failed" when the error is not a string).
 * The patch reads a table error's `err` field instead, as Redis does
 * (luaExtractErrorInformation): error({err = 'MYERR x'}) and the errors
 * tsdis's Lua API functions raise reach the reply with their own text.
 */
const EVAL_PCALL_ERR = '1061' + '0440' + '2007' + '4100' + '360204' + '2000' + '41b8de01' + '280200' + '417f' + '2007' + '4104' + '6a' + '1046';
/**
 * lstrlib.c's str_format (function 323). `%d`/`%i` and `%o`/`%u`/`%x`/`%X`
 * append LUA_INTFRMLEN ("l") to the conversion and pass a `long`, which is
 * 32 bits in this build (wasm32): string.format('%d', 2^40) printed
 * 2147483647. The patch appends "ll" and passes a 64-bit value converted as
 * x86-64 converts a double to long / unsigned long (Redis's build): out of
 * range or NaN gives INT64_MIN. `%c` converts to int as x86-64 does too.
 * Each pattern: the addintlen tail (store16 'l'; form[len+1] = 0; form[len]
 * = the conversion) and the value's conversion and store into the vararg
 * buffer (local 1 + 32 / + 48 / + 16).
 */
const F_STR_FORMAT = 323;
const F_EVAL_WITH_ARGS = 37;
const FORMAT_ADDLEN = '41ec00' + '3b0000' + '2002' + '4100' + '3a0001' + '2002' + '2006' + '3a0000' + '2001' + '2000' + '2005' + '10fb01';
const FORMAT_SIGNED = FORMAT_ADDLEN + 'fc02' + '360220';
const FORMAT_UNSIGNED = FORMAT_ADDLEN + 'fc03' + '360230';
const FORMAT_CHAR = '2001' + '2000' + '2005' + '10fb01' + 'fc02' + '360210';
/**
 * lua_struct.c (Redis's struct library). Its integers are `long`, 32 bits
 * here: 'l', 'L' and 'T' were 4 bytes (8 in Redis), and pack/unpack
 * computed in 32 bits (struct.pack('>i8', -1) lost its sign bytes). The
 * patch sizes 'l', 'L' and 'T' as 8 bytes in optsize's switch (function
 * 399: entries 'L' - 66, 'T' - 66 and 'l' - 66 of its br_table, to the
 * 'd' case) and replaces the inlined putinteger (b_pack, function 398) and
 * getinteger (b_unpack, function 401) with 64-bit versions of the patch's
 * (tsdis_putint / tsdis_getint), with x86-64's conversions.
 */
const F_STRUCT_OPTSIZE = 399;
const OPTSIZE_SWITCH = '41c200' + '6b' + '0e37';
const F_STRUCT_PACK = 398;
/** b_pack's integer case: from `endian = h.endian; value = (n < 0) ? ...` up to `arg++; luaL_addlstring(...)`. */
const PACK_INT_FROM = '2001' + '280208' + '2103' + '2000' + '2007' + '10fb01' + '220c' + 'fc02';
const PACK_INT_TO = '2007' + '4101' + '6a' + '2107' + '2001' + '4114' + '6a' + '2001' + '41a008' + '6a' + '2004' + '108302';
const F_STRUCT_UNPACK = 401;
/** b_unpack's integer case: from `p = data + pos` up to lua_pushnumber(L, res). */
const UNPACK_INT_FROM = '2008' + '2009' + '6a' + '2107' + '0240' + '2002' + '280218';
const UNPACK_INT_TO = '104b' + '2005';
const F_LUA_SETFENV = 95; // (L, idx) -> i32
const F_LUA_ENABLEREADONLY = 106; // (L, idx, enabled): Redis's lua_enablereadonlytable
const F_LUA_PUSHNUMBER = 75; // (L, f64)
const F_LUA_PUSHCCLOSURE = 80; // (L, fn (table slot), n)
const F_LUA_INSERT = 59; // (L, idx)
const F_LUA_ERROR = 101; // (L) -> i32 (never returns)
const F_LUA_GETSTACK = 137; // (L, level, ar) -> i32
const F_LUA_PUSHLSTRING = 77; // (L, s, len)
const F_LUA_GETINFO = 138; // (L, what, ar) -> i32
/**
 * lua_State's hookmask (a byte; setup_state stores LUA_MASKCOUNT there):
 * the Lua debugger (ldb.ts) adds LUA_MASKLINE for a debugged run, and the
 * count hook's function (the tick) then gets line events too, with the
 * lua_Debug it is given (the tick passes it to JS).
 */
export const L_HOOKMASK = 56;
export const LUA_MASKLINE = 4;
export const LUA_MASKCOUNT = 8;
/** lua_upvalueindex(1). */
const UPVALUE_1 = -10002 - 1;
/**
 * The function table's slots the patch appends (the pinned table holds 157,
 * the engine's segment filling 1..156): a C function that calls the Lua
 * function in its upvalue with its arguments and returns what it returns
 * (the trampoline), and one that makes such a closure of its argument.
 * sandbox.ts wraps its redis.* and math.* functions so: a C function keeps
 * its caller's frame on a `return f(...)` (a Lua one replaces it, a tail
 * call), so an error it raises is put on the script's line, as Redis's C
 * API's errors are.
 */
export const TRAMPOLINE_SLOT = 157;
export const MKWRAP_SLOT = 158;
/**
 * Two more: a C function that calls into JS (host_redis_log at
 * JSCALL_LEVEL with L and the number in its upvalue; JS reads its
 * arguments off the stack, pushes its results and leaves their count in
 * tsdis_encret), and one that makes such a closure of its (number)
 * argument. sandbox.ts makes redis.breakpoint and redis.debug so (the Lua
 * debugger, ldb.ts).
 */
export const JSCALL_SLOT = 159;
export const MKJS_SLOT = 160;
export const JSCALL_LEVEL = -4;
/** The type (param f64) (result i32) in the pinned binary's type section. */
const TYPE_F64_I32 = 30;

/** What the patched binary exports beyond the engine's own exports. */
export interface PatchExports {
  /** A buffer (from malloc) that free() leaves alone: the redis.call bridge writes replies there. */
  tsdis_scratch: { value: number };
  /** Non-zero: the count hook raises a Lua error with the C string at this address. */
  tsdis_kill: { value: number };
  tsdis_load(L: number, buf: number, len: number, name: number): number;
  tsdis_rawseti(L: number, idx: number, n: number): void;
  tsdis_gettop(L: number): number;
  tsdis_settop(L: number, idx: number): void;
  tsdis_call(L: number, nargs: number, nresults: number): void;
  /** A buffer of NUMBUF_SIZE bytes (set by lua.ts) where redis.call's numeric arguments are formatted. */
  tsdis_numbuf: { value: number };
  /** The C stack pointer (the engine's global 0): lua.ts moves the stack to a bigger block. */
  tsdis_sp: { value: number };
  /** The C string redis.log raises for a level outside 0..3 (set by lua.ts). */
  tsdis_badlevel: { value: number };
  /** What the result encoder returns for a table JS encoded (0: done, -1: failed). */
  tsdis_encret: { value: number };
  tsdis_type(L: number, idx: number): number;
  tsdis_tolstring(L: number, idx: number, lenPtr: number): number;
  tsdis_tonumber(L: number, idx: number): number;
  tsdis_toboolean(L: number, idx: number): number;
  tsdis_rawgeti(L: number, idx: number, n: number): void;
  tsdis_rawget(L: number, idx: number): void;
  tsdis_next(L: number, idx: number): number;
  tsdis_pushvalue(L: number, idx: number): void;
  tsdis_pushstring(L: number, s: number): void;
  tsdis_checkstack(L: number, n: number): number;
  tsdis_realloc(p: number, n: number): number;
  tsdis_pcall(L: number, nargs: number, errfunc: number): number;
  tsdis_getfield(L: number, idx: number, k: number): void;
  /**
   * For the table at absolute index t: the first of REPLY_FIELDS[from..6]
   * whose raw value has the type Redis wants, as its index + 1 with the
   * value pushed; 0 (nothing pushed) when none has.
   */
  tsdis_probe(L: number, t: number, from: number): number;
  /** lua_setfenv: pops a table and makes it the environment of the function below it. */
  tsdis_setfenv(L: number, idx: number): number;
  /** Redis's lua_enablereadonlytable. */
  tsdis_readonly(L: number, idx: number, enabled: number): void;
  tsdis_pushnumber(L: number, n: number): void;
  tsdis_pushcclosure(L: number, fn: number, n: number): void;
  tsdis_getstack(L: number, level: number, ar: number): number;
  tsdis_getinfo(L: number, what: number, ar: number): number;
  tsdis_pushlstring(L: number, s: number, len: number): void;
  tsdis_pushboolean(L: number, b: number): void;
  /** The C string of the nonexistent-global error's format (set by lua.ts). */
  tsdis_globalread: { value: number };
  /** The C string of redis.call's argument type error (set by lua.ts). */
  tsdis_argtype: { value: number };
}

function readU32(b: Uint8Array, p: { o: number }): number {
  let r = 0;
  let shift = 0;
  for (;;) {
    const x = b[p.o++]!;
    r += (x & 0x7f) * 2 ** shift;
    if ((x & 0x80) === 0) return r;
    shift += 7;
  }
}

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let x = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) x |= 0x80;
    out.push(x);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
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

function sleb64(n: bigint): number[] {
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

function f64(x: number): number[] {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(x, 0);
  return [...b];
}

function name(s: string): number[] {
  return [...uleb(s.length), ...Buffer.from(s, 'latin1')];
}

function vec(count: number, items: number[]): number[] {
  return [...uleb(count), ...items];
}

interface Section {
  id: number;
  /** Content (without id and size). */
  body: Uint8Array;
}

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
  const typeOf = (f: number): number => types[f - nImportedFuncs]!;
  // Types: three appended (their indices follow the existing ones): (f64) -> i64,
  // (i32 f64 i32 i32) -> (), (i32 i32 i32 i32) -> f64. (f64) -> i32 exists (TYPE_F64_I32).
  const ty = sec(1);
  const tp = { o: 0 };
  const nTypes = readU32(ty.body, tp);
  const T_F64_I64 = nTypes;
  const T_PUTINT = nTypes + 1;
  const T_GETINT = nTypes + 2;
  const F64 = 0x7c;
  const I64 = 0x7e;
  const I32 = 0x7f;
  const newTypes = [
    [0x60, 1, F64, 1, I64],
    [0x60, 4, I32, F64, I32, I32, 0],
    [0x60, 4, I32, I32, I32, I32, 1, F64],
  ];
  ty.body = Uint8Array.from([...uleb(nTypes + newTypes.length), ...ty.body.subarray(tp.o), ...newTypes.flat()]);
  // argstr has lua_tolstring's type (L, idx, len *) -> ptr; probe (L, t, from) -> i32 and errstr are the same type.
  const added = [
    ...moved.map(typeOf), typeOf(F_LUA_TOLSTRING), typeOf(F_LUA_TOLSTRING),
    T_F64_I64, T_F64_I64, TYPE_F64_I32, T_PUTINT, T_GETINT, typeOf(F_LUA_TOLSTRING),
    typeOf(F_GLOBAL_READ), typeOf(F_GLOBAL_READ), typeOf(F_GLOBAL_READ), typeOf(F_GLOBAL_READ), // lua_CFunction: (L) -> i32
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
  // and two C strings lua.ts writes: the nonexistent-global error's format, the argument type error
  const globalReadGlobal = nGlobals + 5;
  const argTypeGlobal = nGlobals + 6;
  const i32Global = [0x7f, 1, 0x41, 0, 0x0b];
  gl.body = Uint8Array.from([...uleb(nGlobals + 7), ...gl.body.subarray(gp.o), ...[0, 1, 2, 3, 4, 5, 6].flatMap(() => i32Global)]);

  // Table: four more slots, the trampoline and its maker (TRAMPOLINE_SLOT, MKWRAP_SLOT), the JS call and its
  // maker (JSCALL_SLOT, MKJS_SLOT), added to the one element segment that fills it from slot 1.
  const tab = sec(4);
  const tbp = { o: 0 };
  if (readU32(tab.body, tbp) !== 1 || tab.body[tbp.o++] !== 0x70 || tab.body[tbp.o++] !== 1) throw new Error('unexpected table section');
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
  if (Buffer.from(expr).toString('hex') !== '41010b' || 1 + nElems !== tableMin) throw new Error('unexpected element segment');
  el.body = Uint8Array.from([1, 0, ...expr, ...uleb(nElems + 4), ...el.body.subarray(elp.o), ...uleb(fTramp), ...uleb(fMkWrap), ...uleb(fJsCall), ...uleb(fMkJs)]);

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
  const spliceUnique = (f: number, patternHex: string, skip: number, remove: number, insert: number[], what: string): void => {
    const raw = bodies[f - nImportedFuncs]!;
    const rp = { o: 0 };
    const size = readU32(raw, rp);
    const body = Buffer.from(raw.subarray(rp.o, rp.o + size));
    const pattern = Buffer.from(patternHex, 'hex');
    const at = body.indexOf(pattern);
    if (at < 0 || body.indexOf(pattern, at + 1) >= 0) throw new Error(`unexpected ${what} body`);
    setBody(f, Buffer.concat([body.subarray(0, at + skip), Uint8Array.from(insert), body.subarray(at + skip + remove)]));
  };
  // The result encoder, before it moves: a Lua number -> integer reply as Redis's x86-64 cast gives
  // it: |n| < 2^63 ? trunc(n) : INT64_MIN (NaN too).
  const trunc = [
    0x20, 13, 0xfc, 0x06, // trunc_sat(n)
    0x42, ...sleb64(-(2n ** 63n)), // INT64_MIN
    0x20, 13, 0x99, 0x44, ...f64(2 ** 63), 0x63, // |n| < 2^63
    0x1b, // select
  ];
  spliceUnique(F_ENCODE_VALUE, ENCODE_TRUNC, 0, 4, trunc, 'encode_value'); // the 4 bytes: local.get n; i64.trunc_sat_f64_s
  // Functions, userdata, threads, light userdata: a null, as Redis replies (was an error).
  spliceUnique(F_ENCODE_VALUE, ENCODE_TYPE_SWITCH, 0, ENCODE_TYPE_SWITCH_NULL.length, ENCODE_TYPE_SWITCH_NULL, 'encode_value type switch');
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
  setBody(F_LUAL_LOADBUFFER, hook);
  setBody(F_SPRINTF, num);
  // (ptr): free() of the scratch buffer is a no-op.
  const free = [
    0x00, // no locals
    0x20, 0, 0x23, ...uleb(scratchGlobal), 0x46, 0x04, 0x40, 0x0f, 0x0b, // if (ptr == scratch) return
    0x20, 0, 0x10, ...uleb(movedFree), // the original
    0x0b,
  ];
  setBody(F_FREE, free);
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
    0x20, 5, 0x04, 0x40, // if (count)
    0x20, 0, 0x20, 0, 0x10, ...uleb(F_LUA_GETTOP), 0x41, 1, 0x6a, 0x10, ...uleb(F_LUA_SETTOP), // lua_settop(L, lua_gettop(L) + 1): a nil
    0x05, // else
    0x20, 0, 0x41, 0, 0x10, ...uleb(F_LUA_PUSHBOOLEAN), // lua_pushboolean(L, 0)
    0x0b,
  ];
  // 17 bytes in: past the br_table and its block end; the 6 bytes there pushed false
  spliceUnique(F_DECODE_REPLY, DECODE_NULL_CASE, 17, 6, nullCase, 'decode_reply');
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
  setBody(F_ENCODE_VALUE, front);
  // redis.call's arguments: a number becomes text as Redis 7.2 writes it, not as Lua's "%.14g".
  spliceUnique(F_REDIS_CALL_COMMON, CALL_ARG_TOLSTRING, 9, 2, [0x10, ...uleb(fArgStr)], 'redis_call_common');
  // cmsgpack: integral numbers out of int64's range are packed as doubles, as on x86-64.
  const packRange = [
    0x20, 15, 0x44, ...f64(2 ** 63), 0x66, 0x0d, 0, // n >= 2^63
    0x20, 15, 0x44, ...f64(-(2 ** 63)), 0x63, 0x0d, 0, // n < -2^63
  ];
  spliceUnique(F_CMSGPACK_ENCODE, CMSGPACK_INT_CHECK, 15, 0, packRange, 'cmsgpack number');
  // redis.log(level, ...): a level outside 0..3 raises Redis's error (the engine passed any level on,
  // and the patch's own calls into JS use negative ones).
  const badLevel = [
    0x20, 2, 0x41, 3, 0x4b, 0x04, 0x40, // if ((unsigned)level > 3)
    0x20, 0, 0x23, ...uleb(badLevelGlobal), 0x41, 0, 0x10, ...uleb(F_LUAL_ERROR), 0x1a, // luaL_error(L, msg, 0)
    0x0b,
  ];
  spliceUnique(F_REDIS_LOG, LOG_LEVEL_SET, LOG_LEVEL_SET.length / 2, 0, badLevel, 'redis.log');
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
    0x20, 3, 0xbd, 0x42, ...sleb64(-(2n ** 63n)), 0x51, 0x0d, 0, // d is -0 ("-0", see lua.ts formatNumArg)
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
  // The nonexistent-global error and the argument type error with Redis's texts (C strings set by lua.ts).
  spliceUnique(F_GLOBAL_READ, GLOBAL_READ_FMT, 0, 3, [0x23, ...uleb(globalReadGlobal)], 'protect_globals_index');
  spliceUnique(F_REDIS_CALL_COMMON, CALL_ARG_TYPE, 2, CALL_ARG_TYPE.length / 2 - 2, [
    0x23, ...uleb(argTypeGlobal), 0x10, ...uleb(F_LUA_PUSHSTRING), // the text
    0x20, 1, 0x04, 0x7f, // if (raise_on_error)
    0x20, 0, 0x10, ...uleb(F_LUA_ERROR), // lua_error(L)
    0x05, // else {err = text}
    0x20, 0, 0x41, 0, 0x41, 1, 0x10, ...uleb(F_LUA_CREATETABLE),
    0x20, 0, 0x41, 0x7e, 0x10, ...uleb(F_LUA_INSERT),
    0x20, 0, 0x41, ...sleb(LUA_REGISTRYINDEX), 0x41, ...sleb(REPLY_FIELDS_REF), 0x10, ...uleb(F_LUA_RAWGETI),
    0x20, 0, 0x41, 0x7e, 0x10, ...uleb(F_LUA_INSERT),
    0x20, 0, 0x41, 0x7d, 0x10, ...uleb(F_LUA_RAWSET),
    0x41, 1,
    0x0b,
    0x21, 2,
  ], 'redis_call_common arg type');
  // The error handler skips tsdis's own chunks ('=' names): `currentline > 0 && *source != '='`.
  spliceUnique(F_ERROR_HANDLER, ERROR_HANDLER_LINE, ERROR_HANDLER_LINE.length / 2, 0,
    [0x20, 1, 0x28, 2, 28, 0x2d, 0, 0, 0x41, 61, 0x47, 0x71], 'script_error_handler');
  // A failed run's message: a table error's err field (tsdis_errstr).
  spliceUnique(F_EVAL_WITH_ARGS, EVAL_PCALL_ERR, EVAL_PCALL_ERR.length / 2 - 2, 2, [0x10, ...uleb(fErrStr)], 'eval_with_args error');
  // string.format: "ll" and 64-bit values for %d %i (signed) and %o %u %x %X (unsigned), x86's int for %c.
  const llForm = [0x41, 0xec, 0xd8, 0x01, 0x3b, 0, 0, 0x20, 2, 0x41, 0, 0x3a, 0, 2, 0x20, 2, 0x20, 6, 0x3a, 0, 1, 0x20, 1, 0x20, 0, 0x20, 5, 0x10, 0xfb, 0x01];
  spliceUnique(F_STR_FORMAT, FORMAT_SIGNED, 0, FORMAT_SIGNED.length / 2, [...llForm, 0x10, ...uleb(fCvtS), 0x37, 3, 32], 'str_format %d');
  spliceUnique(F_STR_FORMAT, FORMAT_UNSIGNED, 0, FORMAT_UNSIGNED.length / 2, [...llForm, 0x10, ...uleb(fCvtU), 0x37, 3, 48], 'str_format %x');
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
  spliceRange(F_STRUCT_PACK, PACK_INT_FROM, PACK_INT_TO, [
    0x20, 1, 0x41, 0xa0, 0x08, 0x6a, // buff = frame + 1056
    0x20, 0, 0x20, 7, 0x10, 0xfb, 0x01, // luaL_checknumber(L, arg)
    0x20, 1, 0x28, 2, 8, // h.endian
    0x20, 4, // size
    0x10, ...uleb(fPutInt),
  ], 'struct pack');
  // b_unpack's integer case: lua_pushnumber(L, tsdis_getint(data + pos, h.endian, islower(opt), size)).
  spliceRange(F_STRUCT_UNPACK, UNPACK_INT_FROM, UNPACK_INT_TO, [
    0x20, 0, // L
    0x20, 8, 0x20, 9, 0x6a, 0x22, 7, // data + pos
    0x20, 2, 0x28, 2, 24, // h.endian
    0x20, 13, 0x41, 0xe0, 0x00, 0x4b, // opt > 96: signed
    0x20, 3, // size
    0x10, ...uleb(fGetInt),
  ], 'struct unpack');
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
  const body = (code: number[]): Uint8Array => Uint8Array.from([...uleb(code.length), ...code]);
  bodies.push(
    ...originals,
    body(argStr),
    body(probe),
    body(cvtS),
    body(cvtU),
    body(cvt32),
    body(putInt),
    body(getInt),
    body(errStr),
    body(tramp),
    body(mkWrap),
    body(jsCall),
    body(mkJs),
  );
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
