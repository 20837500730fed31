/**
 * jslua end to end: the same EVALs on a tsdis that runs them as JavaScript,
 * on one that runs them on the WebAssembly VM (debugFlags.jslua off) and on
 * redis-server, raw reply bytes compared; every script of the corpus must
 * actually be compiled by jslua (a silent fallback would make the test
 * compare the VM with itself).
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import { RawConn, hasRedis, startRedis, startTsdis, type RedisProcess } from '../../helpers/servers.js';
import type { TsdisServer } from '../../../src/index.js';
import { scripting } from '../../../src/scripting/scripts.js';
import { jsCompile } from '../../../src/scripting/jslua/engine.js';
import { parseShebang } from '../../../src/scripting/scripts.js';
import { encode } from '../../helpers/resp.js';

let js: TsdisServer;
let wasm: TsdisServer;
let redis: RedisProcess | null = null;
let cj: RawConn;
let cw: RawConn;
let cr: RawConn | null = null;

before(async () => {
  js = await startTsdis();
  wasm = await startTsdis();
  js.server.debugFlags.jslua = true;
  wasm.server.debugFlags.jslua = false;
  if (hasRedis()) {
    redis = await startRedis();
    cr = await RawConn.connect(redis.port);
  }
  cj = await RawConn.connect(js.port);
  cw = await RawConn.connect(wasm.port);
});
after(async () => {
  cj?.close();
  cw?.close();
  cr?.close();
  await js?.close();
  await wasm?.close();
  await redis?.stop();
});

/** The reply before Redis's " script: <sha>, on ..." suffix, which the three share anyway. */
async function all(cmd: (string | number)[]): Promise<{ js: string; wasm: string; redis: string | null }> {
  const [a, b, c] = await Promise.all([cj.call(...cmd), cw.call(...cmd), cr === null ? null : cr.call(...cmd)]);
  return { js: a, wasm: b, redis: c };
}

/** Runs `script` everywhere (after the same setup commands) and compares. `fallback`: jslua is expected to refuse it. */
async function same(
  script: string,
  keys: string[] = [],
  args: string[] = [],
  opts: { fallback?: boolean; setup?: string[][] } = {},
) {
  for (const c of [['FLUSHALL'], ...(opts.setup ?? [])]) await all(c);
  const r = await all(['EVAL', script, keys.length, ...keys, ...args]);
  const sha = (await cj.call('SCRIPT', 'LOAD', script)).split('\r\n')[1]!;
  const compiled = scripting(js.server).scripts.get(sha)?.js;
  if (opts.fallback) assert.equal(compiled, null, `jslua should refuse: ${script}`);
  else assert.ok(compiled, `jslua refused: ${script}`);
  assert.equal(r.js, r.wasm, `jslua vs wasm: ${script}`);
  if (r.redis !== null) assert.equal(r.js, r.redis, `jslua vs redis-server: ${script}`);
}

const CORPUS: [string, string[]?, string[]?][] = [
  ['return 1'],
  ["return 'x'"],
  ['return {1, 2, 3}'],
  ['return {1, nil, 3}'],
  ['return 3.99'],
  ['return -3.99'],
  ['return true'],
  ['return false'],
  ['return nil'],
  ["return {err='My Error'}"],
  ["return {ok='fine'}"],
  ["return redis.error_reply('My Error')"],
  ["return redis.error_reply('x')"],
  ["return redis.status_reply('OK2')"],
  ['return KEYS', ['a', 'b'], []],
  ['return ARGV', [], ['1', '2', 'three']],
  ['return #KEYS + #ARGV', ['a'], ['x', 'y']],
  ["redis.call('SET', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[1])", ['k'], ['v']],
  ["return redis.call('INCRBY', KEYS[1], 5)", ['n'], []],
  // integer replies as Lua numbers: short ones read in place, long ones rounded as a double
  [
    `local r = {}
    for _, v in ipairs({'0', '-1', '7', '123456789012345', '-123456789012345', '1234567890123456',
        '9007199254740993', '-9007199254740993', '9223372036854775807', '-9223372036854775808'}) do
      redis.call('SET', KEYS[1], v)
      local n = redis.call('INCRBY', KEYS[1], 0)
      r[#r + 1] = string.format('%.17g', n) .. ' ' .. type(n) .. ' ' .. tostring(1 / n > 0)
    end
    return r`,
    ['n'],
    [],
  ],
  // one-value replies (a bulk string, an integer, +OK), which jslua takes without their text (Reply.capture)
  [
    `local r = redis.call('SET', KEYS[1], ARGV[1])
    local g = redis.call('GET', KEYS[1])
    return {type(r), r.ok, type(g), g, redis.call('STRLEN', KEYS[1]), redis.call('DECR', KEYS[2]),
      redis.call('EXISTS', KEYS[1], KEYS[2], 'nokey'), redis.call('GET', 'nokey') == false}`,
    ['k', 'c'],
    ['a\r\nb$-1\r\n'],
  ],
  [
    "redis.setresp(3) local r = redis.call('SET', KEYS[1], 'v') return {r.ok, redis.call('GET', KEYS[1]), redis.call('INCR', KEYS[2])}",
    ['k', 'c'],
    [],
  ],
  [
    "return {redis.pcall('HSET', KEYS[1], 'f', 'v'), redis.pcall('HGET', KEYS[1], 'f'), redis.pcall('GET', KEYS[1])}",
    ['h'],
    [],
  ],
  [
    "redis.call('SET', KEYS[1], string.rep('x', 100000)) local v = redis.call('GET', KEYS[1]) return {#v, v:sub(1, 3)}",
    ['k'],
    [],
  ],
  [
    "redis.call('SET', KEYS[1], '12') return {redis.call('GET', KEYS[1]) .. '', type(redis.call('GET', KEYS[1]))}",
    ['k'],
    [],
  ],
  // arrays of those (and nulls), also held; others are read back from their text
  [
    `redis.call('HSET', KEYS[1], 'a', '1', 'b', 'x\\r\\ny')
    local m = redis.call('HMGET', KEYS[1], 'a', 'nofield', 'b')
    local e = redis.call('HMGET', 'nokey', 'a')
    redis.call('ZADD', KEYS[2], 1, 'm1', 2, 'm2')
    local z = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
    return {#m, m[1], m[2] == false, m[3], #e, e[1] == false, #z, z[2], #redis.call('LRANGE', 'nokey', 0, -1),
      #redis.call('HGETALL', KEYS[1]), redis.call('SCAN', 0)[1]}`,
    ['h', 'z'],
    [],
  ],
  ["redis.setresp(3) local m = redis.call('HMGET', KEYS[1], 'a') return {#m, m[1] == nil}", ['h'], []],
  [
    "redis.call('HSET', KEYS[1], 'a', '1') redis.call('SADD', KEYS[2], 'x') return {redis.call('HGETALL', KEYS[1]), redis.call('SMEMBERS', KEYS[2])}",
    ['h', 's'],
    [],
  ],
  [
    "redis.setresp(3) redis.call('HSET', KEYS[1], 'a', '1') redis.call('SADD', KEYS[2], 'x') local h = redis.call('HGETALL', KEYS[1]) local s = redis.call('SMEMBERS', KEYS[2]) return {h.map.a, s.set.x}",
    ['h', 's'],
    [],
  ],
  ["return redis.call('SET', KEYS[1], 1.5)", ['n'], []],
  ["return redis.call('SET', KEYS[1], 2^53)", ['n'], []],
  ["redis.call('RPUSH', KEYS[1], 'a', 'b', 'c') return redis.call('LRANGE', KEYS[1], 0, -1)", ['l'], []],
  ["return redis.call('GET', 'nokey')"],
  ["return redis.call('HGETALL', 'nokey')"],
  ["return redis.pcall('INCR', 'x', 'y')"],
  ["return redis.call('NOSUCHCMD')"],
  ["return redis.call('SET')"],
  ["redis.call('SET', 'k', 'v') return redis.call('INCR', 'k')"],
  ["local ok, e = pcall(redis.call, 'INCR', 'a', 'b') return {tostring(ok), e}"],
  [
    "local ok, e = pcall(function() redis.call('SET', 'k', 'v') return redis.call('LPUSH', 'k', 'x') end) return {tostring(ok), e}",
  ],
  ["local r = redis.pcall('SET', 'k', 'v') return r"],
  ["return redis.call('PING')"],
  ["return redis.call('TYPE', 'nokey')"],
  ["local t = redis.call('PING') return t.ok"],
  ['local s = 0 for i = 1, 100 do s = s + i end return s'],
  ['local s = 0 for i = 10, 1, -2 do s = s + i end return s'],
  ["local s = '' for i = 1, 2, 0.25 do s = s .. i .. ',' end return s"],
  ['local t = {} for i = 1, 5 do t[#t + 1] = i * i end return t'],
  ['local t = {a = 1, b = 2, c = 3} local n = 0 for k, v in pairs(t) do n = n + v end return n'],
  ["local t = {10, 20, 30} local r = {} for i, v in ipairs(t) do r[#r + 1] = i .. '=' .. v end return r"],
  // a reply array's table layout (array part, node part), seen through pairs order once keys are added
  [
    `local out = {}
    for n = 0, 40 do
      redis.call('DEL', KEYS[1])
      for i = 1, n do redis.call('RPUSH', KEYS[1], 'v' .. i) end
      local t = redis.call('LRANGE', KEYS[1], 0, -1)
      t.x = 1 t.y = 2 t[n + 3] = 3 t[n * 2 + 9] = 4 t[-1] = 5 t.z = 6
      local ks = {}
      for k in pairs(t) do ks[#ks + 1] = tostring(k) end
      out[#out + 1] = #t .. ':' .. table.concat(ks, ',')
    end
    return out`,
    ['l'],
    [],
  ],
  ["local function f(...) return select('#', ...) end return f(1, nil, 3, nil)"],
  ['local function f(...) local a, b = ... return {a, b} end return f(7, 8, 9)'],
  ['local function f() return 1, 2, 3 end local t = {f()} return #t'],
  ['local function f() return 1, 2, 3 end local t = {f(), f()} return #t'],
  ['local function f() return 1, 2, 3 end local t = {(f())} return #t'],
  ['local a, b, c = (function() return 1, 2 end)() return {a, b, tostring(c)}'],
  ['local fs = {} for i = 1, 3 do fs[i] = function() return i end end return {fs[1](), fs[2](), fs[3]()}'],
  ["return '10' + 5"],
  ["return '0x10' + 0"],
  ['return 10 .. 20'],
  ['return tostring(1/3)'],
  ["return tostring(1e15) .. ' ' .. tostring(1e14) .. ' ' .. tostring(-0.0) .. ' ' .. tostring(100000000000005)"],
  ["return tostring(2^63) .. ' ' .. tostring(1/0) .. ' ' .. tostring(-1/0)"],
  // Math.pow is an ulp off here (2687.3856000000005); glibc's pow is not
  ["local a = 7.2 return string.format('%.17g %.17g', a ^ 4, 7.2 ^ 4)"],
  ["local x = '7.2' return string.format('%.17g', x ^ 4)"],
  ['return 7 % 3 .. " " .. -7 % 3 .. " " .. 7 % -3 .. " " .. 5.5 % 2'],
  [
    "return {tonumber('12'), tonumber('0x1f'), tonumber(' 5 '), tonumber('z', 36), tonumber('1e2'), tostring(tonumber('abc'))}",
  ],
  ["return type(nil) .. type(1) .. type('') .. type({}) .. type(tostring) .. type(true)"],
  ["local t = {} t[1.0] = 'a' t[2] = 'b' return t"],
  ['return #"hello"'],
  ["return string.sub('hello', 2, -2)"],
  ["return ('hello'):upper()"],
  ["return string.format('%d %s %5.2f %x %q', 42, 'hi', 3.14159, 255, 'a\\nb')"],
  ["return {string.find('hello world', 'o w')}"],
  ["return {string.match('key:123:abc', '(%a+):(%d+)')}"],
  ["return (string.gsub('hello world', 'o', '0'))"],
  ["local r = {} for w in string.gmatch('one two three', '%a+') do r[#r + 1] = w end return r"],
  ["return string.rep('ab', 3, ',')"],
  ["return string.byte('ABC', 1, -1)"],
  ['return string.char(72, 105)'],
  ['local t = {3, 1, 2} table.sort(t) return t'],
  ['local t = {3, 1, 2} table.sort(t, function(a, b) return a > b end) return t'],
  ["local t = {} table.insert(t, 'a') table.insert(t, 1, 'b') return t"],
  ['local t = {1, 2, 3} table.remove(t, 1) return t'],
  ["return table.concat({1, 2, 'x'}, '-')"],
  ['return {unpack({1, 2, 3})}'],
  ['return math.floor(3.7) + math.max(1, 5, 3) + math.min(4, 2) + math.abs(-1)'],
  ['return cjson.encode({1, 2, 3})'],
  ['return cjson.encode({a = 1})'],
  ['local t = cjson.decode(\'[1,2,{"a":"b"}]\') return t[3].a'],
  ['return cmsgpack.pack({1, 2, 3})'],
  ["local t = cmsgpack.unpack(cmsgpack.pack({'a', 'b'})) return t"],
  ['return bit.band(0xff, 0x0f) + bit.bor(1, 2)'],
  ["return struct.pack('>I2', 258)"],
  ["return redis.sha1hex('abc')"],
  ["redis.setresp(3) return redis.call('HGETALL', 'nokey')"],
  ['redis.setresp(3) return {double = 3.5}'],
  ['redis.setresp(3) return true'],
  ['return {double = 3.5}'],
  ['local x = nil return x.y'],
  ['local t = {} return t.a.b'],
  ['return nil + 1'],
  ["local s = 'x' return s + 1"],
  ["return {} .. 'x'"],
  ['return 1 < "2"'],
  ['local f = nil f()'],
  ["error('boom')"],
  ["error('boom', 0)"],
  ["error({err = 'CUSTOM failure'})"],
  ["error(redis.error_reply('MYERR bad'))"],
  ['error()'],
  ["return {pcall(error, 'x')}"],
  ['return {pcall(error, {1})}'],
  ["local ok, e = pcall(function() error('inner') end) return e"],
  ['local ok, e = pcall(function() local x = nil; return x.y end) return e'],
  ['return tonumber()'],
  ['return string.rep()'],
  ["return ('x'):rep()"],
  ['return table.insert()'],
  ["return math.floor('a')"],
  ["return redis.call('SET', 'k', {})"],
  ['return redis.call()'],
  ['redis.log(redis.LOG_WARNING, "from jslua") return 1'],
  ['return redis.setresp(4)'],
  ['return redis.set_repl(99)'],
];

test('a corpus of scripts: jslua, the VM and redis-server reply the same bytes', async () => {
  for (const [script, keys, args] of CORPUS) await same(script, keys, args);
});

test('scripts jslua leaves to the VM still run there', async () => {
  for (const s of [
    'x = 1',
    'return y',
    'return coroutine.running()',
    'return _G.KEYS',
    "return loadstring('return 1')()",
    'math.randomseed(1) return math.random(100)',
    'local m = math return m.floor(1.5)',
  ]) {
    await same(s, [], [], { fallback: true });
  }
});

test('every BullMQ and bee-queue script compiles with jslua', () => {
  const require = createRequire(import.meta.url);
  const dir = require.resolve('bullmq').replace(/dist\/cjs\/.*$/, 'dist/cjs/scripts/');
  const refused: string[] = [];
  let n = 0;
  for (const f of fs.readdirSync(dir)) {
    if (!f.endsWith('.js') || f === 'index.js') continue;
    const m = require(dir + f) as Record<string, { content?: string; name?: string }>;
    for (const v of Object.values(m)) {
      if (typeof v?.content !== 'string') continue;
      n++;
      if (jsCompile(parseShebang(Buffer.from(v.content, 'utf8').toString('latin1')).chunk) === null) refused.push(f);
    }
  }
  const bee = require.resolve('bee-queue').replace(/index\.js$/, 'lib/lua/');
  for (const f of fs.readdirSync(bee)) {
    if (!f.endsWith('.lua')) continue;
    n++;
    if (jsCompile(fs.readFileSync(bee + f, 'latin1')) === null) refused.push(f);
  }
  assert.ok(n > 40, `found ${n} scripts`);
  assert.deepEqual(refused, []);
});

test('memory: big strings work as in Redis; a run that keeps growing the heap gets "not enough memory" and the server lives on', async () => {
  // (the WebAssembly VM's fixed heap refuses the first one: test/scripting/eval.test.ts)
  assert.equal(await cj.call('EVAL', "return #string.rep('x', 40e6)", '0'), ':40000000\r\n');
  // (100 KB pieces: about 6,000 iterations reach the limit; the collections on the way take seconds on a loaded machine)
  const grow = "local t = {} local i = 0 while true do i = i + 1 t[i] = string.rep('x', 100000) .. i end";
  cj.write(encode(['EVAL', grow, '0']));
  assert.match(await cj.read(60000), /^-ERR not enough memory script: [0-9a-f]{40}, on @user_script:1\.\r\n$/);
  // a string past V8's length limit: Lua's memory error, which pcall catches
  assert.equal(
    await cj.call(
      'EVAL',
      "local s = 'x' local ok, e = pcall(function() while true do s = s .. s end end) return e",
      '0',
    ),
    '$17\r\nnot enough memory\r\n',
  );
  assert.equal(await cj.call('EVAL', "return redis.call('ECHO', 'alive')", '0'), '$5\r\nalive\r\n');
});
