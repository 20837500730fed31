/**
 * What the binary patch (wasm-patch.ts) knows of lua-redis-wasm 1.5.0's
 * WebAssembly binary, pinned by its SHA-256: function indices, addresses in
 * its memory, the byte patterns of the code it edits (each read from a
 * disassembly of this exact build, wasm-objdump), and the interface the
 * patched instance offers lua.ts and its helpers: the exports
 * (PatchExports), the registry slots, the host_redis_log levels of the
 * patch's calls into JS, and the structure offsets lua.ts reads.
 */
/** SHA-256 of lua-redis-wasm 1.5.0's dist/redis_lua.wasm. */
export const PINNED_SHA256 = 'c95b450f963b03479fe34da98bfecff67f277708dff89893ce2e40f898a0b42a';

/** Function indices in the pinned binary (imports included). */
export const F_LUAL_LOADBUFFER = 264; // (L, buf, len, name) -> status
export const F_LUA_RAWGETI = 87; // (L, idx, n)
export const F_LUA_RAWSETI = 93; // (L, idx, n)
export const F_LUA_GETTOP = 56; // (L) -> n
export const F_LUA_SETTOP = 57; // (L, idx)
export const F_LUA_CALL = 96; // (L, nargs, nresults)
export const F_SPRINTF = 471; // (buf, fmt, va_list)
export const F_FREE = 510; // (ptr)
/** dlmalloc's malloc (n) -> ptr: 32-bit chunks, the head word (size | flag bits) 4 bytes before the pointer. */
export const F_MALLOC = 509;
/**
 * The small-chunk cache in front of dlmalloc (wasm-code.ts frontBodies):
 * chunks of up to CACHE_MAX_CHUNK bytes that free() is given are kept on
 * one list per chunk size (the heads in a table of BINS_BYTES bytes at
 * tsdis_bins, set by lua.ts; 0: no cache) and handed back by malloc() for
 * the requests dlmalloc would serve with a chunk of that size, while at
 * most CACHE_MAX_BYTES are kept; when dlmalloc has no room for a request,
 * they all go back to it first. (1032 bytes and 2 MB measured 2-5% less
 * CPU on BullMQ, but made test/scripting/eval.test.ts's heap-filling
 * script fail where it passes with these: not kept.)
 */
export const CACHE_MAX_CHUNK = 248;
/** The largest request dlmalloc serves with a chunk of at most CACHE_MAX_CHUNK bytes. */
export const MAX_SMALL_REQUEST = CACHE_MAX_CHUNK - 4;
/** A list head (4 bytes) per chunk size, a multiple of 8 up to CACHE_MAX_CHUNK, at size / 2. */
export const BINS_BYTES = CACHE_MAX_CHUNK / 2 + 4;
export const CACHE_MAX_BYTES = 1 << 20;
export const F_FUEL_HOOK = 29; // (L, ar): the count hook
export const F_LUAL_ERROR = 242; // (L, fmt, va) -> i32
/** The import the tick goes through: env.host_redis_log(level, ptr, len). */
export const F_HOST_REDIS_LOG = 1;
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
export const FMT_14G = 4307;
/**
 * Where the engine keeps the script's RESP version (redis_api.c's
 * g_resp_version: set to 2 at the start of a run, to v by redis.setresp(v)
 * before it calls the host_redis_setresp import; read only by the result
 * encoder).
 */
export const RESP_ADDR = 27960;
/** The function that starts a run's RESP version at 2: `g_resp_version = 2` and nothing else. */
export const F_RESP_RESET = 41;
/** Its body in the pinned binary: i32.const RESP_ADDR, i32.const 2, i32.store. */
export const RESP_RESET_BODY = '0041b8da0141023602000b';
/**
 * redis.call's reply decoder (redis_api.c's decode_reply) and, in it, the
 * null case: after the type switch (br_table), `lua_pushboolean(L, 0);
 * return 1;`. Local 5 holds the value's u32 count/length field.
 */
export const F_DECODE_REPLY = 52;
export const DECODE_NULL_CASE =
  '0e0d00010205030 40c06070a0b08090c0b'.replace(/ /g, '') + '2000410010' + '51' + '41010f0b';
export const F_LUA_PUSHBOOLEAN = 81;
/**
 * The result encoder (runtime.c's encode_value) and its one number-to-
 * integer conversion: `local.get 13` (the Lua number) then
 * i64.trunc_sat_f64_s, which saturates (+inf gives INT64_MAX, NaN 0).
 */
export const F_ENCODE_VALUE = 35;
export const ENCODE_TRUNC = '200dfc06';
/**
 * The result encoder's entry (after the type switch's br_table: nil, boolean,
 * light userdata, number, string, table; default): light userdata and the
 * default (function, userdata, thread) go to the error exit, where Redis
 * replies a null: they are sent to the nil case instead.
 */
export const ENCODE_TYPE_SWITCH = '0e06000208010304 08'.replace(/ /g, '');
export const ENCODE_TYPE_SWITCH_NULL = [0x0e, 6, 0, 2, 0, 1, 3, 4, 0];
/** Lua API functions the JS result encoder and the patch's own functions call. */
export const F_LUA_CHECKSTACK = 53; // (L, n) -> ok
export const F_LUA_PUSHVALUE = 61; // (L, idx)
export const F_LUA_TYPE = 62; // (L, idx) -> type
export const F_LUA_TONUMBER = 67; // (L, idx) -> f64
export const F_LUA_TOBOOLEAN = 69; // (L, idx) -> i32
export const F_LUA_TOLSTRING = 70; // (L, idx, len *) -> char *
export const F_LUA_PUSHSTRING = 78; // (L, s)
export const F_LUA_RAWGET = 86; // (L, idx)
export const F_LUA_NEXT = 102; // (L, idx) -> i32
export const F_REALLOC = 511; // (p, n) -> p
export const F_LUA_PCALL = 97; // (L, nargs, errfunc) -> status: lua_pcall with nresults LUA_MULTRET (the build folded it in)
export const F_LUA_GETFIELD = 85; // (L, idx, k)
export const LUA_GLOBALSINDEX = -10002;
/**
 * lua_State's l_G and global_State's totalbytes (the Lua heap's size), read
 * from lua_gc's body (function 100; LUA_GCRESTART: g->GCthreshold = g->totalbytes).
 */
export const L_G = 16;
export const G_TOTALBYTES = 68;
/** redis.log (redis_api.c's l_redis_log) and, in it, `level = luaL_checkinteger(L, 1)` (local 2). */
export const F_REDIS_LOG = 46;
export const LOG_LEVEL_SET = '2000410110fc01 2102'.replace(/ /g, '');
/** redis_call_common (redis_api.c): turns the Lua arguments into the host's argument buffer. */
export const F_REDIS_CALL_COMMON = 51;
/** Its lua_tolstring(L, i, &len) of each argument (`local 9` is i, `local 4` the stack frame). */
export const CALL_ARG_TOLSTRING = '20002009200441086a1046';
/**
 * cmsgpack's mp_encode_lua_number (lua_cmsgpack.c, inlined in function
 * 387): a number is packed as an integer when `!isinf(n) && (int64_t)n ==
 * n`, which clang compiled to `trunc(n) == n`. On x86-64 the cast gives
 * INT64_MIN past +-2^63, so Redis packs 1e300 or 2^63 as a double; the
 * patch sends n >= 2^63 and n < -2^63 to the double case too.
 */
export const F_CMSGPACK_ENCODE = 387;
export const CMSGPACK_INT_CHECK = '220f9944000000000000f07f610d00' + '200f200f9d620d00';
/**
 * Registry slots where lua.ts anchors the field names the result encoder
 * looks up (REPLY_FIELDS, in this order), so looking one up allocates nothing.
 */
export const REPLY_FIELDS_REF = 1 << 19;
export const REPLY_FIELDS = [
  'err',
  'ok',
  'double',
  'big_number',
  'verbatim_string',
  'map',
  'set',
  'format',
  'string',
] as const;
/** Registry slots of the `collectgarbage` function and the string "collect" (lua.ts reclaim). */
export const GC_FN_REF = REPLY_FIELDS_REF + REPLY_FIELDS.length;
export const GC_ARG_REF = GC_FN_REF + 1;
/** Registry slots of what the sandbox setup returns (lua-engine.ts setupSandbox, sandbox.ts SETUP_LUA). */
export const FENV_REF = GC_ARG_REF + 1;
export const BEGIN_LOAD_REF = FENV_REF + 1;
export const END_LOAD_REF = FENV_REF + 2;
export const WRAP_REF = FENV_REF + 3;
/** Registry slot of the string "step" (lua.ts gcStep). */
export const GC_STEP_REF = FENV_REF + 4;
/** Registry slot of the sandbox's `first` (lua-chunks.ts compiledIn). */
export const FIRST_REF = FENV_REF + 5;
/** The Lua type each of the first seven fields must have to count (Redis's luaReplyToRedisReply): a nibble each. */
export const REPLY_FIELD_TYPES = 4 | (4 << 4) | (3 << 8) | (4 << 12) | (5 << 16) | (5 << 20) | (5 << 24);
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
export const F_GLOBAL_READ = 27;
export const GLOBAL_READ_FMT = '41a313'; // i32.const 2467
/**
 * redis_call_common's error for an argument that is neither a string nor a
 * number: lua_pushlstring(L, "__RLUA_E__:command-arg-type", 27);
 * lua_error(L); the result count to local 2. Becomes Redis's text
 * (tsdis_argtype), raised by redis.call and returned as {err = text} by
 * redis.pcall (local 1 is raise_on_error), as luaRedisGenericCommand does.
 */
export const CALL_ARG_TYPE = '2000' + '41f924' + '411b' + '104d' + '2000' + '1065' + '2102';
export const F_LUA_CREATETABLE = 88; // (L, narr, nrec)
export const F_LUA_RAWSET = 92; // (L, idx)
/**
 * The engine's lua_pcall message handler (runtime.c's script_error_handler,
 * function 33): it records the line of the first stack level with a line
 * (`ar.currentline > 0`, ar at local 1 + 12). The patch also skips levels
 * whose chunk name starts with '=' (ar.source at local 1 + 28): tsdis's own
 * Lua (lua.ts SETUP_CHUNK_NAME), so an error its API functions raise is put
 * on the script's line, as Redis puts an error its C API raises.
 */
export const F_ERROR_HANDLER = 33;
export const ERROR_HANDLER_LINE = '2001280220' + '2203' + '4100' + '4a';
/**
 * eval_with_args after a failed lua_pcall: `msg = lua_tolstring(L, -1,
 * &len)` ("ERR script execution failed" when the error is not a string).
 * The patch reads a table error's `err` field instead, as Redis does
 * (luaExtractErrorInformation): error({err = 'MYERR x'}) and the errors
 * tsdis's Lua API functions raise reach the reply with their own text.
 */
export const EVAL_PCALL_ERR =
  '1061' +
  '0440' +
  '2007' +
  '4100' +
  '360204' +
  '2000' +
  '41b8de01' +
  '280200' +
  '417f' +
  '2007' +
  '4104' +
  '6a' +
  '1046';
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
export const F_STR_FORMAT = 323;
export const F_EVAL_WITH_ARGS = 37;
export const FORMAT_ADDLEN =
  '41ec00' + '3b0000' + '2002' + '4100' + '3a0001' + '2002' + '2006' + '3a0000' + '2001' + '2000' + '2005' + '10fb01';
export const FORMAT_SIGNED = FORMAT_ADDLEN + 'fc02' + '360220';
export const FORMAT_UNSIGNED = FORMAT_ADDLEN + 'fc03' + '360230';
export const FORMAT_CHAR = '2001' + '2000' + '2005' + '10fb01' + 'fc02' + '360210';
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
export const F_STRUCT_OPTSIZE = 399;
export const OPTSIZE_SWITCH = '41c200' + '6b' + '0e37';
export const F_STRUCT_PACK = 398;
/** b_pack's integer case: from `endian = h.endian; value = (n < 0) ? ...` up to `arg++; luaL_addlstring(...)`. */
export const PACK_INT_FROM = '2001' + '280208' + '2103' + '2000' + '2007' + '10fb01' + '220c' + 'fc02';
export const PACK_INT_TO =
  '2007' + '4101' + '6a' + '2107' + '2001' + '4114' + '6a' + '2001' + '41a008' + '6a' + '2004' + '108302';
export const F_STRUCT_UNPACK = 401;
/** b_unpack's integer case: from `p = data + pos` up to lua_pushnumber(L, res). */
export const UNPACK_INT_FROM = '2008' + '2009' + '6a' + '2107' + '0240' + '2002' + '280218';
export const UNPACK_INT_TO = '104b' + '2005';
export const F_LUA_SETFENV = 95; // (L, idx) -> i32
export const F_LUA_ENABLEREADONLY = 106; // (L, idx, enabled): Redis's lua_enablereadonlytable
export const F_LUA_PUSHNUMBER = 75; // (L, f64)
export const F_LUA_PUSHCCLOSURE = 80; // (L, fn (table slot), n)
export const F_LUA_INSERT = 59; // (L, idx)
export const F_LUA_ERROR = 101; // (L) -> i32 (never returns)
export const F_LUA_GETSTACK = 137; // (L, level, ar) -> i32
export const F_LUA_PUSHLSTRING = 77; // (L, s, len)
export const F_LUA_GETINFO = 138; // (L, what, ar) -> i32
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
export const UPVALUE_1 = -10002 - 1;
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
export const TYPE_F64_I32 = 30;

/** What the patched binary exports beyond the engine's own exports. */
export interface PatchExports {
  /** A buffer (from malloc) that free() leaves alone: the redis.call bridge writes replies there. */
  tsdis_scratch: { value: number };
  /** The small-chunk cache's list heads (BINS_BYTES zeroed bytes, set by lua.ts; 0: no cache). */
  tsdis_bins: { value: number };
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
