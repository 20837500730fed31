/**
 * The Lua side of tsdis's sandbox, run once in each VM (lua.ts newVm) and
 * before scripts: what the engine (lua-redis-wasm) lacks or does otherwise
 * than Redis 7.2, written in Lua against the engine's own functions.
 *
 * - SETUP_LUA replaces, in the (read-only) `redis` and `math` tables,
 *   redis.log, redis.sha1hex, redis.setresp, redis.error_reply and
 *   redis.status_reply with versions that check their arguments and word
 *   their errors as Redis's script_lua.c does, and math.random /
 *   math.randomseed with Redis's generator (rand.c's redisLrand48: the
 *   48-bit drand48 LCG from Redis's fixed seed, reseeded by randomseed), so
 *   a script draws the same numbers as on redis-server.
 * - It builds Redis 7.2's functions environment (function_lua.c): a
 *   library's code and every function it defines see one globals table
 *   (FENV, read-only) whose metatable's __index is switched between the
 *   library API while FUNCTION LOAD runs the library (only `redis` with
 *   register_function, log, the LOG_* levels and the version) and, the rest
 *   of the time, a copy of the eval globals without KEYS and ARGV whose
 *   error / pcall / coroutine are ERROR_SHADOW's (Redis 7's error replies).
 *   register_function validates its arguments with Redis's texts and
 *   records the callbacks; lua.ts keeps each behind a wrapper in the Lua
 *   registry, so FCALL calls the closure FUNCTION LOAD made, with the
 *   library's state, as Redis does.
 *
 * Errors the API raises are tables ({err = "ERR ..."}), as Redis's
 * luaPushError + luaError raise them; the patched engine reads their err
 * field (wasm-patch.ts EVAL_PCALL_ERR), and its error handler skips this
 * chunk's frames ('=' name), so the error is put on the script's line.
 */

import { Err } from '../protocol/errors.js';

/** A Lua string literal holding `s`: the errors table's texts inside the Lua sources below. */
function luaQuote(s: string): string {
  return `'${s.replace(/[\\']/g, '\\$&')}'`;
}

/** Shebang / register_function flags, in Redis's order (script.c scripts_flags_def): FUNCTION LIST lists them so. */
export const FLAG_NO_WRITES = 1;
export const FLAG_ALLOW_OOM = 2;
export const FLAG_ALLOW_STALE = 4;
export const FLAG_NO_CLUSTER = 8;
export const FLAG_ALLOW_CROSS_SLOT = 16;
/** No shebang: a Redis 6 style script (writes allowed, even from EVAL_RO until one is tried). */
export const FLAG_EVAL_COMPAT = 32;
export const SCRIPT_FLAGS: readonly (readonly [string, number])[] = [
  ['no-writes', FLAG_NO_WRITES],
  ['allow-oom', FLAG_ALLOW_OOM],
  ['allow-stale', FLAG_ALLOW_STALE],
  ['no-cluster', FLAG_NO_CLUSTER],
  ['allow-cross-slot-keys', FLAG_ALLOW_CROSS_SLOT],
];

/** Whether a script or library can raise or catch errors itself, and so needs ERROR_SHADOW. */
export function usesErrors(code: string): boolean {
  return code.includes('error') || code.includes('pcall');
}

/**
 * One line of Lua put before a script's code when it mentions `error` or
 * `pcall` (and run once per VM for functions, see SETUP_LUA): local stand-ins that give Redis 7.0's error replies, which the
 * VM alone cannot (it replies "ERR script execution failed" to a table or
 * nil, and never prefixes "ERR " to a message that starts with a code).
 *
 * - `error(e, level)` raises "\1LINE\1TEXT": TEXT is the whole error
 *   message as Redis sends it (a table's `err` field as is; anything else
 *   "ERR " .. tostring of the value, with the Lua position when the VM's
 *   error would add one), LINE the caller's line (0: unknown). The
 *   positions come from the VM's own error run under pcall with the level
 *   shifted past this function, so they read exactly as Lua writes them.
 *   The value the VM's error would have raised is kept in `__last` (for a
 *   level that is not a number, Lua's "bad argument #2" error). A table
 *   whose `err` is neither a string nor a number replies "ERR script
 *   execution failed" (the VM's text; Redis 7.0 crashes on it).
 *   Called by `pcall` itself (`pcall(error, 'x', 2)`), it counts levels
 *   past the stand-in pcall's frame (`__d`), as if pcall were the VM's.
 * - `pcall` hands back, for that marker, the kept value, and for a table
 *   error with an `err` field, the field (Redis's pcall does the same): so
 *   `pcall(error, {err='X'})` gives false, 'X'.
 * - `coroutine.resume` hands back, for that marker, what the VM's error
 *   would have raised: the message with its position, or the table itself.
 *
 * runGeneric turns the marker into the reply. Costs nothing to scripts
 * that do not mention either name; only the error path runs the probes.
 */
export const ERROR_SHADOW = [
  // the VM's own functions, kept before they are shadowed; __last: the value the VM's error
  // would have raised; __d: pcall is calling error directly; __obj: the value error was given
  'local __e, __p, __t, __s, __cr, __last, __d, __obj = error, pcall, type, tostring, coroutine.resume',
  'local error = function(e, l)',
  '  __obj = e local s = 2 if __d then __d = false s = 3 end',
  // a level that is not a number: Lua's own "bad argument #2" error
  "  if l == nil then l = 1 elseif __t(l) ~= 'number' then local n = __t(l) == 'string' and tonumber(l)",
  "    if n then l = n else e, l = \"bad argument #2 to '\" .. (s == 3 and '?' or 'error') .. \"' (number expected, got \" .. __t(l) .. ')', 1 end end",
  '  local t, m = __t(e)',
  // the caller's line, from the position the VM's error writes
  "  local _, w = __p(__e, '', 3)",
  "  local n = __t(w) == 'string' and w:match(':(%d+): $') or '0'",
  "  if t == 'table' then m = e.err __last = m if __t(m) ~= 'string' and __t(m) ~= 'number' then __last, m = e, " +
    luaQuote(Err.scriptExecFailed) +
    ' end',
  "  elseif t == 'string' or t == 'number' then if l > 0 then _, __last = __p(__e, e, l + (l > 1 and s or 2)) else __last = e end",
  // a level that reaches tsdis's caller of the script or function (a Lua function in its '=tsdis' chunk):
  // no position, as Redis's caller there is C
  "    if __t(__last) == 'string' and __last:sub(1, 6) == 'tsdis:' then __last = (__last:gsub('^tsdis:%d+: ', '', 1)) end m = 'ERR ' .. __last",
  "  else __last = e m = 'ERR ' .. __s(e) end",
  "  __e('\\1' .. n .. '\\1' .. m, 0) end",
  // pcall: the marker gives back the kept value, a table error its err field
  'local __fix = function(ok, ...) if ok then return ok, ... end local e = ...',
  "  if __t(e) == 'string' and e:byte(1) == 1 then return false, __last end",
  "  if __t(e) == 'table' then local m = e.err if __t(m) == 'string' or __t(m) == 'number' then return false, m end end",
  '  return false, ... end',
  'local pcall = function(f, ...) __d = f == error return __fix(__p(f, ...)) end ',
  // coroutine.resume: the marker gives back what the VM's error would have raised (a table as is)
  'local __rfix = function(ok, ...) if ok then return ok, ... end local e = ...',
  "  if __t(e) == 'string' and e:byte(1) == 1 then if __t(__obj) == 'table' then return false, __obj end return false, __last end",
  '  return false, ... end',
  'local coroutine = setmetatable({resume = function(...) return __rfix(__cr(...)) end}, {__index = coroutine}) ',
]
  // one line (the script's own line numbers must not move), and a space before the script's code
  .map((l) => l.trim() + ' ')
  .join('');

/** The chunk name of SETUP_LUA: '=' keeps its frames out of error positions (wasm-patch.ts ERROR_HANDLER_LINE). */
export const SETUP_CHUNK_NAME = '=tsdis';

/**
 * Run once per VM with the `math` and `redis` tables writable (lua.ts
 * makes them read-only again), given two functions that make C closures
 * (cwrap: of a Lua function; jsfn: of a JS call); returns FENV,
 * begin_load, end_load, wrap, first and the list of tables lua.ts makes
 * read-only.
 *
 * - begin_load() points FENV at the library API and starts collecting
 *   registrations; end_load() points it back and returns them, each
 *   {name, flag bits, description or nil, callback}.
 * - wrap(f) is the function FCALL runs: f(KEYS, ARGV), first result only.
 * - first(f) is the function EVAL runs for a script compiled as a main
 *   chunk: f(), first result only (lua.ts makeBodyChunk).
 */
export const SETUP_LUA = `
local cwrap, jsfn = ...
local G = _G
local type, select, error, tostring, tonumber, next = type, select, error, tostring, tonumber, next
local setmetatable, getmetatable, floor, ceil, lower, sub, find, concat, bor = setmetatable, getmetatable, math.floor, math.ceil, string.lower, string.sub, string.find, table.concat, bit.bor
local redis = redis
local log0, sha0, resp0 = redis.log, redis.sha1hex, redis.setresp
local ERRMT = getmetatable(G)
local protect = {}
local function fail(msg) error({err = msg}) end

-- redis.log(level, message, ...): the messages joined with spaces (luaLogCommand)
local function log(...)
  local n = select('#', ...)
  if n < 2 then fail(${luaQuote(Err.luaLogArgs)}) end
  local x = tonumber((...))
  if x == nil then fail(${luaQuote(Err.luaLogLevelType)}) end
  if not (x > -1 and x < 4) then fail(${luaQuote(Err.luaLogLevel)}) end
  local parts, k = {}, 0
  for j = 2, n do
    local s = select(j, ...)
    local t = type(s)
    if t == 'string' or t == 'number' then
      if j > 2 then k = k + 1 parts[k] = ' ' end
      k = k + 1 parts[k] = tostring(s)
    end
  end
  log0(x >= 0 and floor(x) or 0, concat(parts))
end

-- redis.sha1hex(x): what is not a string or a number hashes as ''
local function sha1hex(...)
  if select('#', ...) ~= 1 then fail(${luaQuote(Err.luaSha1Args)}) end
  local s = ...
  local t = type(s)
  if t ~= 'string' and t ~= 'number' then s = '' end
  return sha0(s)
end

local function setresp(...)
  if select('#', ...) ~= 1 then fail(${luaQuote(Err.luaSetrespArgs)}) end
  local v = tonumber((...)) or 0
  v = v >= 0 and floor(v) or ceil(v)
  if v ~= 2 and v ~= 3 then fail(${luaQuote(Err.luaSetrespVersion)}) end
  resp0(v)
end

-- redis.error_reply(msg): {err = "CODE rest"}, "ERR msg" when msg has no code (luaPushErrorBuff)
local function error_reply(...)
  local e = ...
  if select('#', ...) ~= 1 or type(e) ~= 'string' then return {err = ${luaQuote(Err.luaReplyArgs)}} end
  e = find(e, '%z') and sub(e, 1, find(e, '%z') - 1) or e
  if sub(e, 1, 1) == '-' then e = sub(e, 2) end
  local sp = find(e, ' ', 1, true)
  local code, msg = 'ERR', e
  if sp then code, msg = sub(e, 1, sp - 1), sub(e, sp + 1) end
  msg = string.gsub(string.gsub(msg, '^[\\r\\n]+', ''), '[\\r\\n]+$', '')
  return {err = code .. ' ' .. msg}
end

local function status_reply(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= 'string' then return {err = ${luaQuote(Err.luaReplyArgs)}} end
  return {ok = s}
end

-- math.random and math.randomseed: rand.c's redisLrand48 (X = A * X + 11 mod 2^48, the top 31 bits),
-- computed in 24-bit halves (exact in doubles); the state lives as long as the VM, as Redis's lives as long as the process
local rstate = 0x1234ABCD330E
local function rnext()
  local xh, xl = floor(rstate / 16777216), rstate % 16777216
  local mid = (0x5DE * xl + 0xECE66D * xh) % 16777216
  rstate = (mid * 16777216 + 0xECE66D * xl + 11) % 281474976710656
  return floor(rstate / 131072)
end
-- luaL_checkint on x86-64: (int)(long long)x
local function checkint(v, n, name, none)
  local x = tonumber(v)
  if x == nil then error('bad argument #' .. n .. " to '" .. name .. "' (number expected, got " .. (none and 'no value' or type(v)) .. ')', 4) end
  x = x >= 0 and floor(x) or ceil(x)
  if not (x > -2147483649 and x < 2147483648) then
    if x > -9223372036854775808 and x < 9223372036854775808 then
      x = x % 4294967296
      if x >= 2147483648 then x = x - 4294967296 end
    else x = 0 end
  end
  return x
end
local function random(...)
  local r = (rnext() % 2147483647) / 2147483647
  local n = select('#', ...)
  if n == 0 then return r end
  if n == 1 then
    local u = checkint((...), 1, 'random')
    if u < 1 then error("bad argument #1 to 'random' (interval is empty)", 3) end
    return floor(r * u) + 1
  end
  if n == 2 then
    local l, u = ...
    l = checkint(l, 1, 'random')
    u = checkint(u, 2, 'random')
    if l > u then error("bad argument #2 to 'random' (interval is empty)", 3) end
    return floor(r * (u - l + 1)) + l
  end
  error('wrong number of arguments', 3)
end
local function randomseed(...)
  local s = checkint((...), 1, 'randomseed', select('#', ...) == 0) % 4294967296
  rstate = floor(s / 65536) * 4294967296 + (s % 65536) * 65536 + 0x330E
end

-- the ones that raise errors as C functions (wasm-patch.ts TRAMPOLINE_SLOT), so the errors are put on the caller's line
-- (levels in error(): 1 the function, 2 the trampoline, 3 the caller)
log, sha1hex, setresp, random, randomseed = cwrap(log), cwrap(sha1hex), cwrap(setresp), cwrap(random), cwrap(randomseed)
math.random, math.randomseed = random, randomseed
redis.log, redis.sha1hex, redis.setresp, redis.error_reply, redis.status_reply = log, sha1hex, setresp, error_reply, status_reply
-- the Lua debugger's (ldb.ts): JS functions
redis.breakpoint, redis.debug = jsfn(1), jsfn(2)

-- redis.set_repl(flags): where the script's next commands propagate (scripts.ts jsCall 3)
local repl0, aclcheck0 = jsfn(3), jsfn(4)
local function set_repl(...)
  if select('#', ...) ~= 1 then fail(${luaQuote(Err.luaSetReplArgs)}) end
  local v = tonumber((...)) or 0
  v = v >= 0 and floor(v) or ceil(v)
  if v < 0 or v > 3 then fail(${luaQuote(Err.luaSetReplFlags)}) end
  repl0(v)
end
-- redis.acl_check_cmd(command, ...): whether the caller's user may run it (scripts.ts jsCall 4: nil for no such command)
local function acl_check_cmd(...)
  local n = select('#', ...)
  if n == 0 then fail(${luaQuote(Err.scriptNoArgs)}) end
  for i = 1, n do
    local t = type((select(i, ...)))
    if t ~= 'string' and t ~= 'number' then fail(${luaQuote(Err.scriptArgType)}) end
  end
  local ok = aclcheck0(...)
  if ok == nil then fail(${luaQuote(Err.luaAclCheckCmd)}) end
  return ok
end
redis.set_repl, redis.acl_check_cmd = cwrap(set_repl), cwrap(acl_check_cmd)

-- Functions: X, the globals functions run with (the eval globals but KEYS and ARGV, Redis 7's error and pcall)
local X = {}
for k, v in next, G do if k ~= 'KEYS' and k ~= 'ARGV' then X[k] = v end end
X._G = X
-- their redis table: eval's without breakpoint, debug and replicate_commands (eval.c adds those to the eval VM only)
local XR = {}
for k, v in next, redis do if k ~= 'breakpoint' and k ~= 'debug' and k ~= 'replicate_commands' then XR[k] = v end end
X.redis = XR
protect[#protect + 1] = XR
do
  ${ERROR_SHADOW}
  X.error, X.pcall, X.coroutine = error, pcall, coroutine
  protect[#protect + 1] = coroutine
end
setmetatable(X, ERRMT)
local M = {__index = X}
local FENV = setmetatable({}, M)

-- the library API FUNCTION LOAD runs a library's code with
local FLAGS = {${SCRIPT_FLAGS.map(([n, b]) => `['${n}'] = ${b}`).join(', ')}}
local loading, regs, names = false, nil, nil
local function readflags(t)
  local bits, j = 0, 1
  while true do
    local f = t[j]
    if f == nil then return bits end
    local tf = type(f)
    if tf ~= 'string' and tf ~= 'number' then return nil end
    local b = FLAGS[lower(tostring(f))]
    if b == nil then return nil end
    bits = bor(bits, b)
    j = j + 1
  end
end
local function register_function(...)
  if not loading then fail(${luaQuote(Err.registerNotLoading)}) end
  local argc = select('#', ...)
  if argc < 1 or argc > 2 then fail(${luaQuote(Err.registerArgc)}) end
  local name, cb, flags, desc = nil, nil, 0, nil
  if argc == 1 then
    local t = ...
    if type(t) ~= 'table' then fail(${luaQuote(Err.registerNotTable)}) end
    for k, v in next, t do
      local tk, tv = type(k), type(v)
      if tk ~= 'string' and tk ~= 'number' then fail(${luaQuote(Err.registerKeyType)}) end
      local key = lower(tostring(k))
      if key == 'function_name' then
        if tv ~= 'string' and tv ~= 'number' then fail(${luaQuote(Err.registerNameType)}) end
        name = tostring(v)
      elseif key == 'description' then
        if tv ~= 'string' and tv ~= 'number' then fail(${luaQuote(Err.registerDescType)}) end
        desc = tostring(v)
      elseif key == 'callback' then
        if tv ~= 'function' then fail(${luaQuote(Err.registerCallbackType)}) end
        cb = v
      elseif key == 'flags' then
        if tv ~= 'table' then fail(${luaQuote(Err.registerFlagsType)}) end
        flags = readflags(v)
        if flags == nil then fail(${luaQuote(Err.registerUnknownFlag)}) end
      else
        fail(${luaQuote(Err.registerUnknownArg)})
      end
    end
    if name == nil then fail(${luaQuote(Err.registerNoName)}) end
    if cb == nil then fail(${luaQuote(Err.registerNoCallback)}) end
  else
    local a, b = ...
    local ta = type(a)
    if ta ~= 'string' and ta ~= 'number' then fail(${luaQuote(Err.registerFirstArg)}) end
    if type(b) ~= 'function' then fail(${luaQuote(Err.registerSecondArg)}) end
    name, cb = tostring(a), b
  end
  if not find(name, '^[%w_]+$') then fail(${luaQuote(Err.functionNameChars)}) end
  if names[name] then fail(${luaQuote(Err.functionExists)}) end
  names[name] = true
  regs[#regs + 1] = {name, flags, desc, cb}
end
local LIB_REDIS = setmetatable({
  register_function = register_function, log = log,
  LOG_DEBUG = redis.LOG_DEBUG, LOG_VERBOSE = redis.LOG_VERBOSE, LOG_NOTICE = redis.LOG_NOTICE, LOG_WARNING = redis.LOG_WARNING,
  REDIS_VERSION = redis.REDIS_VERSION, REDIS_VERSION_NUM = redis.REDIS_VERSION_NUM,
}, ERRMT)
local LIBRARY_API = setmetatable({redis = LIB_REDIS}, ERRMT)
protect[#protect + 1] = X
protect[#protect + 1] = FENV
protect[#protect + 1] = LIB_REDIS
protect[#protect + 1] = LIBRARY_API

local function begin_load() loading, regs, names = true, {}, {} M.__index = LIBRARY_API end
local function end_load() local r = regs loading, regs, names = false, nil, nil M.__index = X return r end
local function wrap(f) return function() return (f(KEYS, ARGV)) end end
local function first(f) return function() return (f()) end end
return FENV, begin_load, end_load, wrap, first, protect
`;
