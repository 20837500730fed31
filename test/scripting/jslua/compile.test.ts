/**
 * jslua's compiler (compile.ts): small programs run through compileChunk
 * and, the same script, through EVAL on a real redis-server; the replies
 * (converted as Redis converts a Lua result) and the error texts (the part
 * before " script: <sha>") must be identical.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileChunk, compileOptions } from '../../../src/scripting/jslua/compile.js';
import { jsEnv } from '../../../src/scripting/jslua/env.js';
import { LuaTable } from '../../../src/scripting/jslua/table.js';
import { LuaError, numberToString, type LuaResult, type LuaValue } from '../../../src/scripting/jslua/value.js';
import { hasRedis, SKIP_NO_REDIS } from '../../helpers/servers.js';
import { redisCall, useRedis } from './harness.js';

const KEYS = ['k1', 'k2'];
const ARGV = ['a1', '2', '3.5', ' 10 ', 'x'];

/** A Lua value as Redis replies it in RESP2 (luaReplyToRedisReply). */
function toResp(v: LuaValue): string {
  switch (typeof v) {
    case 'number': {
      const n = Math.trunc(v);
      return `:${Number.isFinite(n) ? n : v > 0 ? '9223372036854775807' : '-9223372036854775808'}\r\n`;
    }
    case 'string':
      return `$${v.length}\r\n${v}\r\n`;
    case 'boolean':
      return v ? ':1\r\n' : '$-1\r\n';
    case 'undefined':
      return '$-1\r\n';
    case 'object':
      if (v instanceof LuaTable) {
        const err = v.getStr('err');
        if (typeof err === 'string') return `-${err}\r\n`;
        const ok = v.getStr('ok');
        if (typeof ok === 'string') return `+${ok}\r\n`;
        const items: string[] = [];
        for (let i = 1; ; i++) {
          const x = v.getInt(i);
          if (x === undefined) break;
          items.push(toResp(x));
        }
        return `*${items.length}\r\n${items.join('')}`;
      }
      return '$-1\r\n';
    default:
      return '$-1\r\n';
  }
}

/** What jslua gives for a script: the reply, an error reply cut before " script:", or 'UNSUPPORTED: ...'. */
function runJs(src: string): string {
  const c = compileChunk(src, 'user_script', jsEnv());
  if ('unsupported' in c) return `UNSUPPORTED: ${c.unsupported}`;
  let r: LuaResult;
  try {
    r = c.run(LuaTable.from(KEYS), LuaTable.from(ARGV));
  } catch (e) {
    if (e instanceof LuaError) {
      const v = e.value;
      if (v instanceof LuaTable) return `-${String(v.getStr('err'))}`;
      return `-ERR ${typeof v === 'string' ? v : typeof v === 'number' ? numberToString(v) : String(v)}`;
    }
    throw e;
  }
  return toResp(Array.isArray(r) ? r[0] : r);
}

function cutError(reply: string): string {
  if (!reply.startsWith('-')) return reply;
  const i = reply.indexOf(' script: ');
  return i < 0 ? reply.replace(/\r\n$/, '') : reply.slice(0, i);
}

function cutMine(s: string): string {
  return s.startsWith('-') ? s.replace(/\r\n$/, '') : s;
}

useRedis();

async function evalRedis(src: string): Promise<string> {
  return cutError(await redisCall('EVAL', src, KEYS.length, ...KEYS, ...ARGV));
}

/** The mismatches between jslua and redis-server over the scripts (empty when all agree). */
async function mismatches(srcs: string[], skipNan = false): Promise<string[]> {
  const out: string[] = [];
  for (const src of srcs) {
    const want = await evalRedis(src);
    // a NaN's sign is not reproducible in JS (V8 may fold 0/0 to a positive NaN; x86 makes it negative)
    if (skipNan && /nan/.test(want)) continue;
    const got = cutMine(runJs(src));
    if (got !== want) out.push(`script: ${src}\n  redis: ${JSON.stringify(want)}\n  jslua: ${JSON.stringify(got)}`);
  }
  return out;
}

const PROGRAMS: string[] = [
  // values and conversion
  'return 1',
  'return 3.9',
  'return -3.9',
  "return 'abc'",
  'return true',
  'return false',
  'return nil',
  'return {1, 2, {3, "x"}, nil, 5}',
  "return {err = 'my error'}",
  "return {ok = 'fine'}",
  'return KEYS[1] .. ARGV[1] .. #ARGV',
  // closures in loops capture a fresh local per iteration
  'local t = {} for i = 1, 5 do t[i] = function() return i end end local s = "" for i = 1, 5 do s = s .. t[i]() end return s',
  'local t = {} local i = 1 while i <= 3 do local j = i t[i] = function() j = j + 10 return j end i = i + 1 end return {t[1](), t[1](), t[2](), t[3]()}',
  'local fs = {} for _, v in ipairs({"a", "b", "c"}) do fs[#fs + 1] = function() return v end end return fs[1]() .. fs[2]() .. fs[3]()',
  'local n = 0 local function inc() n = n + 1 return n end inc() inc() return n',
  'local x = 1 local x = x + 1 return x',
  'local i = 0 repeat local j = i i = i + 1 until j >= 3 return i',
  // varargs
  'local function f(...) return select("#", ...) end return {f(), f(nil), f(1, nil), f(nil, nil, nil)}',
  'local function f(...) local a, b = ... return {a, b} end return f(1, 2, 3)',
  'local function f(...) return ... end return {f(1, 2, 3)}',
  'local function f(...) return ... end return {f(1, 2, 3), 10}',
  'local function f(...) local t = {...} return #t end return f(1, 2, 3, 4)',
  'local function f(a, ...) return a, select(2, ...) end return {f(1, 2, 3)}',
  'local function g() return 1, 2, 3 end local function f(...) return select("#", ...) end return {f(g()), f(g(), g()), f((g()))}',
  // multiple assignment and returns
  'local a, b, c = 1, 2 return {a, b, c == nil}',
  'local a, b = 1, 2 a, b = b, a return {a, b}',
  'local function g() return 1, 2, 3 end local a, b, c, d = g() return {a, b, c, d == nil}',
  'local function g() return 1, 2, 3 end local a, b, c = g(), 10 return {a, b, c == nil}',
  'local t = {} local i = 1 i, t[i] = i + 1, 20 return {i, t[1], t[2] == nil}',
  'local t = {} local i = 1 t[i], i = 20, i + 1 return {i, t[1], t[2] == nil}',
  'local a = {} local x, y x, y, a.z = 1 return {x, y == nil, a.z == nil}',
  'local function g() return end local a, b = g() return {a == nil, b == nil}',
  'local function g() return 1, 2 end return {(g())}',
  // numeric for
  'local s = "" for i = 1, 3 do s = s .. i .. "," end return s',
  'local s = "" for i = 3, 1, -1 do s = s .. i .. "," end return s',
  'local s = "" for i = 0, 1, 0.1 do s = s .. i .. "," end return s',
  'local s = "" for i = 1, 0, -0.25 do s = s .. i .. "," end return s',
  'local s = "" for i = 0.1, 1, 0.3 do s = s .. string.format("%.17g", i) .. "," end return s',
  'local s = "" for i = "1", "3" do s = s .. i .. type(i) end return s',
  'local n = 0 for i = 1, 0 do n = n + 1 end return n',
  'local s = "" for i = 1, 10, 3 do s = s .. i end return s',
  'for i = "x", 2 do end',
  'for i = 1, {} do end',
  'for i = 1, 2, nil do end',
  'local x for i = 1, 3 do x = i i = 10 end return x',
  // generic for
  'local t = {10, 20, 30} local s = 0 for i, v in ipairs(t) do s = s + i * v end return s',
  'local t = {a = 1, b = 2, c = 3, 10, 20} local s = {} for k, v in pairs(t) do s[#s + 1] = k .. "=" .. v end return table.concat(s, ",")',
  'local t = {x = 1, y = 2} local s = {} for k, v in next, t do s[#s + 1] = k end table.sort(s) return table.concat(s)',
  'local function it(s, c) if c < s then return c + 1, c * 2 end end local r = {} for a, b in it, 3, 0 do r[#r + 1] = a .. ":" .. b end return table.concat(r, " ")',
  'local r = {} for w in string.gmatch("one two three", "%a+") do r[#r + 1] = w end return table.concat(r, "|")',
  'for k in pairs(nil) do end',
  'for k in ipairs("x") do end',
  'for k, v in next, nil do end',
  'for k in nil do end',
  'local t = {1, 2, 3, 4} for k, v in pairs(t) do t[k] = nil end return #t',
  // coercion in arithmetic and concat
  'return "10" + 1',
  'return "0x10" * 2',
  'return " 3 " * "2"',
  'return 10 .. ""',
  'return 1.5 .. "|" .. -0.0 .. "|" .. 1e100 .. "|" .. 2^53 .. "|" .. 1/3',
  'return tostring(7 % 3) .. tostring(-7 % 3) .. tostring(7 % -3) .. tostring(5.5 % 2)',
  'return 2 ^ 10 .. " " .. 2 ^ 0.5',
  'return tostring(1/0) .. tostring(-1/0)',
  'return -"2" + 0',
  'return "abc" + 1',
  'local x return x + 1',
  'local x = {} return 1 + x',
  'local t = {} return t.a * 2',
  'return 1 + KEYS',
  'local s = "a" return -s',
  'local t = {} return t.x.y',
  'local x = {} return "a" .. x',
  'local x = {} local y = {} return x .. y',
  'local x return "a" .. x .. "b"',
  'return "a" .. true',
  'return nil .. "a"',
  // comparisons
  'return {1 < 2, 2 <= 2, 3 > 2, 2 >= 3, "a" < "b", "abc" < "abd", "Z" < "a", "" < "a", "a\\0b" < "a\\0c"}',
  'return {1 == 1, "1" == 1, nil == false, {} == {}, 0 == -0}',
  'return 1 < "2"',
  'return "1" >= 1',
  'return {} < {}',
  'return nil < 1',
  'return true > false',
  'local f = function() end return f < f',
  // and / or / not
  'return {1 and 2, nil and 1, false or "x", nil or false, 1 or error("no")}',
  'local x = nil return (x and x.y) or "default"',
  'return {not nil, not 0, not false}',
  'local a = 5 return a > 3 and "big" or "small"',
  // length
  'return #"hello" + #{1, 2, 3}',
  'local x = 5 return #x',
  // strings
  'local s = "Hello" return s:upper() .. s:lower() .. s:len() .. ("x"):rep(3)',
  'local s = "abc" return s:sub(2) .. s.len(s)',
  'local s = "abc" return s:nosuch()',
  'local s = 5 return s:foo()',
  "return '\\65\\066\\x41\\z\\\\\\'\\\"'",
  'return [[\nlong\nstring]] .. [==[a]]b]==]',
  // calls and error texts
  'local t = {} t.x()',
  'local t = {} t:x()',
  'local f = 5 f()',
  'local t = {} t[1]()',
  'KEYS()',
  'local t = {} local function g() return t.x.y end return g()',
  'local u = nil local function g() return u.x end return g()',
  'local u = 1 local function g() return u() end return g()',
  'return string.rep()',
  'return ("x"):rep()',
  'local r = string.rep return r()',
  'return tonumber()',
  'local t = {} t[nil] = 1',
  'local t = {} t[0/0] = 1',
  'local t = {} local k t[k] = 1',
  'return {[nil] = 1}',
  'local s = "x" s.y = 1',
  'local n n.x = 1',
  'local t = {} t.a.b = 1',
  'error("boom")',
  'error("boom", 0)',
  'error({err = "tbl"})',
  'local ok, e = pcall(function() local x = nil; return x.y end) return e',
  'local ok, e = pcall(function() error("in") end) return {ok, e}',
  'local ok, e = pcall(function() return 1 + {} end) return e',
  'local ok, e = pcall(error) return {ok, e == nil}',
  'return select("#")',
  // multi-line positions
  'local t = {}\nlocal x = 1\nreturn t.a.b',
  'local a = 1\nlocal b\nreturn a +\n b',
  'local x\nlocal y = {\n  1,\n  x.z\n}',
  'local t = {}\nt\n.x\n.y = 1',
  'local f\nf(\n1)',
  'local t = {}\nlocal x = t.a\n+ 1',
  'local t = {}\nlocal x = 1 + (t.a\n)',
  'local t = {}\nlocal x = 1 + t[1\n]',
  'local t = {}\nreturn type(1,\nt.x.y\n)',
  'local t = {}\nreturn type(t.x.y,\n1\n)',
  'local t = {}\nlocal a, b = t.x.y\n, 1',
  'local s = "x"\nreturn s\n:rep(\n)',
  // constants: 0 and -0 share a function's constant slot; NaN's sign as x86 makes it
  'return tostring(0/0) .. tostring(-(0/0))',
  'local a = 0 return tostring(-0)',
  'local a = -0 local function f() return tostring(0) end return tostring(0) .. f()',
  'return tostring(0) .. (-0) .. ""',
  'local x = 0 return tostring(x/x)',
  "return cjson.encode({tostring(5), tostring(-0), tostring(1e14), tostring(99999999999999), tostring(-99999999999999), tostring(2^53), tostring(0.5), tostring(1/0), tostring(-1/0), 7 .. '', (-12) .. '|' .. 3.25})",
  // evaluation order: a local is read when the operation runs, an upvalue when loaded, `..` and stores as Lua orders them
  'local x = 1 local function f() x = 2 return 2 end return tostring(x == f())',
  'local x = 1 local function f() x = 10 return 2 end return x + f()',
  'local x = "a" local function f() x = "b" return "c" end return x .. f()',
  'local x = "a" local function f() x = "b" return "c" end return x .. "-" .. f() .. x',
  'local x = 1 local function g() local function f() x = 10 return 2 end return x + f() end return g()',
  'local x = 1 local function g() local function f() x = 10 return 2 end return x < f() end return tostring(g())',
  'local t = {1} local u = {5} local function g() local function f() t = u return 1 end return t[f()] end return g()',
  'local t = {1} local u = {5} local function f() t = u return 1 end return t[f()]',
  'local t = {} local u = {} local function g() local function f() t = u return 1 end t.x = f() return tostring(u.x) end return g()',
  'local t = {} local u = {} local function f() t = u return 1 end t.x = f() return tostring(u.x)',
  'local x = 3 local function f() x = 5 return 1 end return x - f() * x',
  'local t = {} local u = {} local function f() t = u return 1, 2 end local y t.x, y = f() return tostring(u.x) .. tostring(y)',
  'local t = {} local u = {} local y t.x, t = 1, u return tostring(u.x)',
  'local t = {} local u = {} t, t.x = u, 1 return tostring(u.x)',
  'local t = {} local i = 1 t[i], i = 5, 2 return tostring(t[1]) .. tostring(t[2])',
  'local t = {} local i = 1 i, t[i] = 2, 5 return tostring(t[1]) .. tostring(t[2])',
  'local t = {} local k = "a" local function f() k = "b" return 1, 2 end local z t[k], z = f() return tostring(t.a) .. tostring(t.b)',
  // error positions in multi-line code
  'local a\nlocal b = 1\nreturn a\n+\nb',
  'local t = {}\nreturn t\n.x\n.y',
  'local x = {}\nreturn 1 <\nx',
  'for i = 1,\n{}\ndo\nend',
  'local x = {}\nreturn "a" ..\nx\n.. "b"',
  'local t = {}\nt.x\n.y = 1',
  'local t = {}\nlocal a, b =\n1,\nt.x.y',
  'local t = {}\nreturn {\n a = t.x.y,\n b = 2 }',
  'local t = {}\nreturn #\nt.x',
  'local t = {}\nreturn -\nt.x',
  'local t = {}\nlocal u = {}\nu[t.x\n] = 1',
  'local t\nt[1], t[2] = 1,\n2',
  'local t = {}\nreturn string.rep(\nt.x.y\n)',
  'local t = {}\nreturn t.x.y\n and 1',
  'local t = {}\nif t.x.y\nthen end',
  'local t = {}\nwhile t.x\n.y do end',
  'local t = {}\nlocal x = t.a .. t.b\n.. "x"',
  'local t = {}\nlocal x = (t.a\n).b',
  'local function f()\n  local t = nil\n  return t.x\nend\nlocal y = f()',
  'local t = {}\nfor k, v in pairs(t.x\n) do end',
  'local t = {}\nfor k, v in\n t.x do end',
  'return tonumber(\n)',
  'return ("x"):rep(\n)',
  "local t = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, x = 1, y = 2, 56, 57, 58, 59} local s = {} for k in pairs(t) do s[#s + 1] = tostring(k) end return table.concat(s, ',')",
  "local function g() return 'a', 'b', 'c' end local t = {1, k = 2, g()} local s = {} for k, v in pairs(t) do s[#s + 1] = tostring(k) .. v end return table.concat(s, ',')",
  "local function g(...) return {n = select('#', ...), ...} end local t = g(1, nil, 3) return t.n .. #t",
  "local t = {[1] = 1, [2] = 2, [3] = 3, [10] = 10, a = 1, 'x'} local s = {} for k, v in pairs(t) do s[#s + 1] = tostring(k) .. '=' .. tostring(v) end return table.concat(s, ',')",
  // table constructors: order and layout (cjson.encode shows the iteration order)
  'return cjson.encode({a = 1, b = 2, c = 3, d = 4, e = 5})',
  'return cjson.encode({1, 2, x = 1, 3, y = 2})',
  'local t = {[1] = "a", "b"} return t[1]',
  'local t = {"b", [1] = "a"} return t[1]',
  'local function g() return 1, 2, 3 end local t = {g(), g()} return #t',
  'local function g() return 1, 2, 3 end local t = {x = 1, g()} return cjson.encode(t)',
  'local function g() return end local t = {1, 2, g()} return #t',
  'local t = {} for i = 1, 60 do t[i] = i end local u = {unpack(t)} return #u',
  'local t = {n = 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10} local s = {} for k, v in pairs(t) do s[#s + 1] = tostring(k) end return table.concat(s, ",")',
  'local t = {} t.b = 1 t.a = 2 t.c = 3 t.a = nil t.d = 4 return cjson.encode(t)',
  'local t = {} for i = 1, 10 do t["k" .. i] = i end local s = {} for k in pairs(t) do s[#s + 1] = k end return table.concat(s, ",")',
  // functions
  'local t = {} function t.f(x) return x * 2 end function t:g(x) return self.f(x) + 1 end return t:g(5)',
  'local t = {a = {}} function t.a.f() return "deep" end return t.a.f()',
  'local M = {} function M.a(x) return x + 1 end function M.b(x) return M.a(x) * 2 end local function c(x) return M.b(x) .. "!" end return c(1)',
  'local t = {3, 1, 2} table.sort(t, function(a, b) return a > b end) return table.concat(t, ",")',
  'local function words(s) local n = 0 for w in s:gmatch("%a+") do n = n + 1 end return n end return words("a bb ccc")',
  'local ok, e = pcall(function() local t = {} return t.x.y end) return e',
  'local function a() return 1 end local function b() return a() + a() end local function c() return b() * b() end return c()',
  'local ok, v = pcall(string.rep, "x", 3) return v',
  'local r = string.gsub("abc", "%w", function(c) return c:upper() .. "." end) return r',
  // break, while, nested
  'local n = 0 while true do n = n + 1 if n > 10 then break end end return n',
  'local s = 0 for i = 1, 10 do for j = 1, 10 do if j > i then break end s = s + 1 end end return s',
  'local i = 0 repeat i = i + 1 if i == 5 then break end until false return i',
  'do local x = 1 end local x = 2 return x',
  'local x = 0 if x == 1 then x = 10 elseif x == 0 then x = 20 else x = 30 end return x',
  // redis
  'return cjson.decode("[1,2,3]")[2]',
  'return string.format("%5.2f|%d|%s|%q", 3.14159, 42, "x", "a\\nb")',
  'return tostring(nil) .. tostring(true) .. tostring(12)',
  'return type(nil) .. type(1) .. type("") .. type({}) .. type(type)',
  'return math.floor(3.7) + math.max(1, 5, 3) + math.huge - math.huge + 0 == 0',
];

const UNSUPPORTED: string[] = [
  'x = 1',
  'return undefinedGlobal',
  'local m = math return m.floor(1)',
  'return math.random()',
  'return string.nosuch',
  'setmetatable({}, {})',
  'function f() end',
  'string.foo = 1',
  'return pairs(string)',
  'local function f(...) return arg end return f(1)',
  "error('x', 2)",
  // recursion through a builtin's callback (Lua's 200 nested C calls are not counted)
  'local function f() return pcall(f) end return f()',
  'local t = {} local function cmp(a, b) table.sort(t, cmp) return a < b end t = {2, 1} table.sort(t, cmp) return t[1]',
];

/** Scripts the call graph check refuses (compileOptions.allowRecursion false). */
const RECURSIVE: string[] = [
  'local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end return fib(20)',
  'local function f(n) return f(n + 1) + 1 end return f(1)',
  'local t = {} function t.f(n) if n > 0 then return t.f(n - 1) end return 0 end return t.f(3)',
  'local t = {} function t:f(n) if n > 0 then return self:f(n - 1) end return 0 end return t:f(3)',
  'local g local function f(n) return g(n) end g = function(n) return f(n) end return f(1)',
  'local fs = {} fs[1] = function() return fs[1]() end return fs[1]()',
  'local function f() return pcall(f) end return f()',
];

test('jslua compile: programs behave as on redis-server', async (t) => {
  if (!hasRedis()) return t.skip(SKIP_NO_REDIS);
  assert.deepEqual(await mismatches(PROGRAMS), []);
});

test('jslua compile: unsupported scripts are refused', () => {
  for (const src of UNSUPPORTED) assert.match(runJs(src), /^UNSUPPORTED/, src);
});

test('jslua compile: with allowRecursion false, scripts that may recurse are refused, others not', () => {
  compileOptions.allowRecursion = false;
  try {
    for (const src of RECURSIVE) assert.match(runJs(src), /^UNSUPPORTED: a function that may call itself/, src);
    for (const src of PROGRAMS) assert.doesNotMatch(runJs(src), /^UNSUPPORTED/, src);
  } finally {
    compileOptions.allowRecursion = true;
  }
});

test('jslua compile: call sites name the callee as getfuncname', () => {
  const c = compileChunk(
    'local t = {} local s = "x" local f = tonumber table.insert(t, 1) s:sub(1) f(1) tonumber(1)',
    'user_script',
    jsEnv(),
  );
  assert.ok(!('unsupported' in c));
  const kinds = c.sites.map((s) => `${s.kind}:${s.name}`).sort();
  assert.deepEqual(kinds, ['field:insert', 'global:tonumber', 'local:f', 'method:sub']);
});

test('jslua compile: the busy hook runs in loops and may stop the script', async () => {
  const { R } = await import('../../../src/scripting/jslua/runtime.js');
  const c = compileChunk('local n = 0 while true do n = n + 1 end', 'user_script', jsEnv());
  assert.ok(!('unsupported' in c));
  const saved = R.hook;
  let calls = 0;
  R.hook = (line: number) => {
    calls++;
    R.budget = 100;
    if (calls === 5) throw new Error(`stopped at ${line}`);
  };
  try {
    assert.throws(() => c.run(LuaTable.from([]), LuaTable.from([])), /stopped at 1/);
  } finally {
    R.hook = saved;
    R.budget = 1_000_000;
  }
});

// ---------------------------------------------------------------------------
// Random programs: expressions over a few locals of mixed types, printed with
// tostring / pcall so values and error texts are compared.

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function randomProgram(r: () => number): string {
  const atoms = ['a', 'b', 'c', 'd', 's', 'n', 't.x', 't[1]', '1', '2.5', '"3"', '"x"', 'nil', 'true', '(-a)', '#s'];
  const binops = ['+', '-', '*', '/', '%', '^', '..', '==', '~=', '<', '<=', '>', '>=', 'and', 'or'];
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const expr = (depth: number): string => {
    if (depth <= 0 || r() < 0.3) return pick(atoms);
    if (r() < 0.15) return `not ${expr(depth - 1)}`;
    if (r() < 0.1) return `-(${expr(depth - 1)})`;
    return `(${expr(depth - 1)} ${pick(binops)} ${expr(depth - 1)})`;
  };
  const lines = [
    'local a, b, c, d = 7, -3, "12", 0.5',
    'local s, n = "str", nil',
    'local t = {x = 4, "one"}',
    'local out = {}',
  ];
  for (let i = 0; i < 8; i++) {
    lines.push(
      `do local ok, v = pcall(function() return ${expr(3)} end) out[#out + 1] = tostring(ok) .. ":" .. tostring(v) end`,
    );
  }
  lines.push('return table.concat(out, "\\n")');
  return lines.join('\n');
}

test('jslua compile: random expression programs behave as on redis-server', async (t) => {
  if (!hasRedis()) return t.skip(SKIP_NO_REDIS);
  const r = rng(12345);
  const srcs: string[] = [];
  for (let i = 0; i < 300; i++) srcs.push(randomProgram(r));
  assert.deepEqual(await mismatches(srcs, true), []);
});

/** Random statement-level programs: scoping, closures, multiple assignment, loops, tables, errors under pcall. */
function randomStatements(r: () => number): string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const vars = ['a', 'b', 'c', 'd'];
  const atoms = [
    'a',
    'b',
    'c',
    'd',
    '1',
    '2',
    '0.5',
    '-3',
    '"4"',
    '"s"',
    'nil',
    'true',
    't.x',
    't[1]',
    't[a]',
    '#t',
    'n',
    'g(a)',
    'h()',
    '(h())',
    '...',
  ];
  const ops = ['+', '-', '*', '/', '%', '..', '==', '<', '<=', 'and', 'or'];
  const expr = (d: number): string =>
    d <= 0 || r() < 0.4 ? pick(atoms) : `(${expr(d - 1)} ${pick(ops)} ${expr(d - 1)})`;
  let depth = 0;
  const block = (n: number): string => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(stat());
    return out.join('\n');
  };
  const stat = (): string => {
    depth++;
    const nest = depth < 3;
    let s: string;
    switch (Math.floor(r() * (nest ? 12 : 7))) {
      case 0:
        s = `local ${pick(vars)} = ${expr(2)}`;
        break;
      case 1:
        s = `${pick(vars)}, ${pick(vars)} = ${expr(1)}, ${expr(2)}`;
        break;
      case 2:
        s = `t[${pick(['1', '2', '3', 'a', '"x"', '"y"', 'n'])}] = ${expr(1)}`;
        break;
      case 3:
        s = `out[#out + 1] = show(${expr(2)})`;
        break;
      case 4:
        s = `${pick(vars)} = g(${expr(1)}, ${expr(1)})`;
        break;
      case 5:
        s = `local x, y, z = h() out[#out + 1] = show(x) .. show(y) .. show(z)`;
        break;
      case 6:
        s = `fs[#fs + 1] = function() return ${pick(vars)} end`;
        break;
      case 7:
        s = `for i = ${pick(['1', '3', '"2"', '0.5'])}, ${pick(['3', '1', '2.5'])}, ${pick(['1', '-1', '0.5', '-0.75'])} do ${block(2)} end`;
        break;
      case 8:
        s = `if ${expr(2)} then ${block(2)} else ${block(1)} end`;
        break;
      case 9:
        s = `do local ${pick(vars)} = ${expr(1)} ${block(2)} end`;
        break;
      case 10:
        s = `for k, v in pairs(t) do out[#out + 1] = show(k) .. "=" .. show(v) ${block(1)} end`;
        break;
      default:
        s = `local w = 0 while w < 3 do w = w + 1 ${block(2)} end`;
    }
    depth--;
    return s;
  };
  const lines = [
    'local function show(v) local ty = type(v) if ty == "table" or ty == "function" then return ty end return tostring(v) end',
    'local out, fs, t, n = {}, {}, {x = 1, 5, 6}, nil',
    'local a, b, c, d = 1, "2", 3.5, nil',
    'local function g(p, q) return p end',
    'local function h(...) return 7, ..., 8 end',
  ];
  for (let i = 0; i < 6; i++) {
    lines.push(
      `do local ok, e = pcall(function(...) ${block(3)} end, 10, 20) if not ok then out[#out + 1] = "E:" .. show(e) end end`,
    );
  }
  lines.push('for i = 1, #fs do out[#out + 1] = show(fs[i]()) end');
  lines.push('return table.concat(out, "|")');
  return lines.join('\n');
}

test('jslua compile: random statement programs behave as on redis-server', async (t) => {
  if (!hasRedis()) return t.skip(SKIP_NO_REDIS);
  const r = rng(777);
  const srcs: string[] = [];
  for (let i = 0; i < 300; i++) srcs.push(randomStatements(r));
  assert.deepEqual((await mismatches(srcs, true)).slice(0, 3), []);
});

test('jslua compile: recursion, when allowed, behaves as on redis-server (within the JS stack)', async (t) => {
  if (!hasRedis()) return t.skip(SKIP_NO_REDIS);
  assert.deepEqual(
    await mismatches([
      'local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end return fib(20)',
      'local function f(n) if n == 0 then return 0 end return 1 + f(n - 1) end return f(1000)',
      'local function f(n) return f(n + 1) + 1 end return f(1)',
      'local t = {} function t:f(n) if n > 0 then return self:f(n - 1) + 1 end return 0 end return t:f(50)',
    ]),
    [],
  );
});
