/**
 * FUNCTION and FCALL against a real redis-server, raw replies compared:
 * loading libraries (metadata errors, compile and registration errors,
 * name collisions, REPLACE), calling functions (keys/args, no-writes and
 * FCALL_RO, errors naming the function and its line), LIST / STATS / DELETE
 * / FLUSH / HELP / KILL, and DUMP / RESTORE payloads moving both ways
 * between tsdis and redis-server.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Differ, type Cmd } from '../helpers/diff.js';

const d = await Differ.start();
after(() => d?.stop());
const load = (code: string, replace = false): Cmd =>
  replace ? ['FUNCTION', 'LOAD', 'REPLACE', code] : ['FUNCTION', 'LOAD', code];

const MYLIB = `#!lua name=mylib
redis.register_function('f1', function(keys, args) return {keys[1], args[1], #keys, #args} end)
redis.register_function{function_name='f2', callback=function(keys, args) return redis.call('set', keys[1], args[1]) end, flags={'no-writes'}, description='desc'}
redis.register_function('f3', function(keys, args) return redis.call('incr', keys[1]) end)
local function helper(x) return x * 2 end
redis.register_function('f4', function(keys, args)
  local n = tonumber(args[1])
  if n < 0 then error('negative') end
  return helper(n)
end)`;

test('FUNCTION LOAD errors and FCALL', async () => {
  await d!.reset();
  await d!.both(['FUNCTION', 'FLUSH']);
  await d!.same([
    load(MYLIB),
    ['FCALL', 'f1', '1', 'k', 'a'],
    ['FCALL', 'f1', '0'],
    ['FCALL', 'f2', '1', 'k', 'a'],
    ['FCALL', 'f3', '1', 'n'],
    ['FCALL', 'f3', '1', 'n'],
    ['FCALL_RO', 'f1', '1', 'k', 'a'],
    ['FCALL_RO', 'f3', '1', 'n'],
    ['FCALL', 'f4', '0', '21'],
    ['FCALL', 'f4', '0', '-1'],
    ['FCALL', 'nosuch', '0'],
    ['FCALL', 'f1', '2', 'k'],
    ['FCALL', 'f1', '-1'],
    load('return 1'),
    load('#!lua name=mylib\nreturn 1'),
    load('#!lua name=x\nreturn 1'),
    load("#!lua name=x\nredis.call('ping')"),
    load("#!lua name=x\nredis.register_function('f1', function() end)"),
    load("#!lua name=x\nredis.register_function('a b', function() end)"),
    load(
      "#!lua name=x\nredis.register_function('dup', function() end)\nredis.register_function('dup', function() end)",
    ),
    load("#!lua name=x\nredis.register_function{function_name='h2', callback=function() return 1 end, flags={'bad'}}"),
    load('#!lua name=x\nretur'),
    load('#!lua name=x\nx = 1'),
    load("#!luax name=z\nredis.register_function('z', function() return 1 end)"),
    load("#!lua\nredis.register_function('z', function() return 1 end)"),
    load("#!lua name=y flags=no-writes\nredis.register_function('h', function() return 1 end)"),
    load("#!lua name=bad-name\nredis.register_function('h', function() return 1 end)"),
    load("#!lua name=x\nredis.register_function('g', function() return 7 end)"),
    ['FCALL', 'g', '0'],
    load("#!lua name=x\nredis.register_function('g', function() return 8 end)"),
    load("#!lua name=x\nredis.register_function('g', function() error('in g') end)", true),
    ['FCALL', 'g', '0'],
    load("#!lua name=x\nredis.register_function('f1', function() end)", true),
    ['FUNCTION', 'STATS'],
    ['FUNCTION', 'DELETE', 'nosuch'],
    ['FUNCTION', 'DELETE', 'x'],
    ['FCALL', 'g', '0'],
    load(
      "#!lua name=single\nredis.register_function{function_name='one', callback=function() return 1 end, flags={'no-writes', 'allow-oom'}}",
    ),
    ['FUNCTION', 'LIST', 'LIBRARYNAME', 'sing*'],
    ['FUNCTION', 'LIST', 'WITHCODE', 'LIBRARYNAME', 'single'],
    ['FUNCTION', 'LIST', 'bad'],
    ['FUNCTION', 'LIST', 'LIBRARYNAME'],
    ['FUNCTION', 'FLUSH', 'bad'],
    ['FUNCTION', 'HELP'],
    ['FUNCTION', 'KILL'],
    ['FUNCTION', 'FLUSH'],
    ['FUNCTION', 'LIST'],
    ['FUNCTION', 'STATS'],
  ]);
});

/** The payload of a bulk reply (latin1). */
function bulk(raw: string): string {
  const nl = raw.indexOf('\r\n');
  assert.equal(raw[0], '$', raw);
  return raw.slice(nl + 2, nl + 2 + Number(raw.slice(1, nl)));
}

test('FUNCTION DUMP / RESTORE between tsdis and redis-server', async () => {
  await d!.reset();
  await d!.both(['FUNCTION', 'FLUSH']);
  const lib2 = "#!lua name=second\nredis.register_function('s1', function() return 'second' end)";
  await d!.same([load(MYLIB), load(lib2)]);
  const fromTsdis = bulk(await d!.a.call('FUNCTION', 'DUMP'));
  const fromRedis = bulk(await d!.b.call('FUNCTION', 'DUMP'));
  await d!.both(['FUNCTION', 'FLUSH']);
  // Each restores the other's payload.
  assert.equal(await d!.a.call('FUNCTION', 'RESTORE', Buffer.from(fromRedis, 'latin1')), '+OK\r\n');
  assert.equal(await d!.b.call('FUNCTION', 'RESTORE', Buffer.from(fromTsdis, 'latin1')), '+OK\r\n');
  await d!.same([['FUNCTION', 'LIST', 'WITHCODE']], 'shape');
  await d!.same([
    ['FUNCTION', 'LIST', 'WITHCODE', 'LIBRARYNAME', 'second'],
    ['FCALL', 's1', '0'],
    ['FCALL', 'f4', '0', '5'],
  ]);
  // Only 'second' collides below (Redis reports the first collision in hash order).
  await d!.same([['FUNCTION', 'DELETE', 'mylib']]);
  const p = Buffer.from(fromRedis, 'latin1');
  const bad = Buffer.from(p);
  bad[bad.length - 1] = bad[bad.length - 1]! ^ 1;
  await d!.same([
    ['FUNCTION', 'RESTORE', p],
    ['FUNCTION', 'RESTORE', p, 'APPEND'],
    ['FUNCTION', 'RESTORE', p, 'BAD'],
    ['FUNCTION', 'RESTORE', bad],
    ['FUNCTION', 'RESTORE', 'short'],
    ['FUNCTION', 'RESTORE', p, 'REPLACE'],
    ['FUNCTION', 'RESTORE', p, 'FLUSH'],
    ['FCALL', 's1', '0'],
  ]);
});

test('a library runs once, in the library API: register_function and its errors, globals at load time', async () => {
  await d!.reset();
  await d!.both(['FUNCTION', 'FLUSH']);
  const lib = (body: string, name = 'lib2'): Cmd => load(`#!lua name=${name}\n${body}`, true);
  await d!.same([
    // register_function's arguments, checked as function_lua.c checks them
    lib('redis.register_function()'),
    lib("redis.register_function('f1')"),
    lib("redis.register_function('f1', function() return 1 end, {}, 'description', 'extra arg')"),
    lib('redis.register_function(nil, function() return 1 end)'),
    lib('redis.register_function(7, function() return 1 end)'),
    lib("redis.register_function('f1', 'not a function')"),
    lib("redis.register_function('test\\0test', function() return 1 end)"),
    lib("redis.register_function('', function() return 1 end)"),
    lib("redis.register_function{function_name='f1', callback=function() return 1 end, description=1}"),
    lib("redis.register_function{function_name='f1', callback='x'}"),
    lib('redis.register_function{function_name={}, callback=function() end}'),
    lib('redis.register_function{callback=function() end}'),
    lib("redis.register_function{function_name='f1'}"),
    lib("redis.register_function{function_name='f1', callback=function() end, flags='no-writes'}"),
    lib("redis.register_function{function_name='f1', callback=function() end, flags={'no-writes', 7}}"),
    lib("redis.register_function{function_name='f1', callback=function() end, other=1}"),
    lib('redis.register_function{[{}]=1}'),
    lib(
      "redis.register_function('f1', function() end) redis.register_function('F1', function() end) redis.register_function('f1', function() end)",
    ),
    // the library API only: no math, redis.call, setresp, set_repl, getmetatable, error, KEYS
    lib('return math.random()'),
    lib("return redis.call('ping')"),
    lib('return redis.setresp(3)'),
    lib('return redis.set_repl(redis.REPL_NONE)'),
    lib("return redis.acl_check_cmd('set', 'xx', 1)"),
    lib('mt = getmetatable(_G)'),
    lib('local mt = getmetatable(_G)'),
    lib("error('at load')"),
    lib('return KEYS[1]'),
    lib('a = 1'),
    lib('redis.math.random()'),
    lib('redis.x = 1'),
    lib(
      "redis.log(redis.LOG_NOTICE, 'loading', redis.REDIS_VERSION_NUM > 0 and 'ok') redis.register_function('f1', function() return 1 end)",
    ),
    lib('local x = nil + 1'),
    lib('return 1'),
    ['FUNCTION', 'LIST'],
    // what a function sees: the eval globals without KEYS / ARGV, the runtime redis table without register_function
    lib(`local lib = redis
lib.register_function('f1', function() lib.redis = redis return {ok = 'OK'} end)
lib.register_function('f2', function() lib.register_function('f3', function() end) end)
redis.register_function('f4', function() redis.register_function('f5', function() return 2 end) return 1 end)
redis.register_function('f6', function(keys, args) return {keys[1], args[1], #keys, #args} end)
redis.register_function('f7', function() return KEYS end)
redis.register_function('f8', function() redis = function() return 1 end end)
redis.register_function('f9', function() local mt = getmetatable(_G) mt.__index = {} end)
redis.register_function('f10', function() return {type(math.random), type(string.format), type(redis.call), type(register_function)} end)`),
    ['FCALL', 'f1', '0'],
    ['FCALL', 'f2', '0'],
    ['FCALL', 'f4', '0'],
    ['FCALL', 'f6', '1', 'k', 'a'],
    ['FCALL', 'f7', '0'],
    ['FCALL', 'f8', '0'],
    ['FCALL', 'f9', '0'],
    ['FCALL', 'f10', '0'],
  ]);
});

test("functions keep their library's state; names find a function whatever their case", async () => {
  await d!.reset();
  await d!.both(['FUNCTION', 'FLUSH']);
  await d!.same([
    load(`#!lua name=counter
local n = 0
local function bump(by) n = n + by return n end
redis.register_function('Count', function(keys, args) return bump(tonumber(args[1]) or 1) end)
redis.register_function{function_name='peek', callback=function() return n end, flags={'no-writes'}}`),
    ['FCALL', 'Count', '0'],
    ['FCALL', 'count', '0', '5'],
    ['FCALL', 'COUNT', '0'],
    ['FCALL_RO', 'PEEK', '0'],
    // a library of another name may not register the same name in another case
    load("#!lua name=other\nredis.register_function('count', function() return 0 end)"),
    load("#!lua name=other\nredis.register_function('PEEK', function() return 0 end)"),
    // reloading the library starts it afresh
    load(
      `#!lua name=counter
local n = 100
redis.register_function('Count', function() n = n + 1 return n end)`,
      true,
    ),
    ['FCALL', 'count', '0'],
    ['FCALL', 'peek', '0'],
    ['FUNCTION', 'LIST'],
  ]);
});

test('FCALL numkeys, FUNCTION LIST / FLUSH / RESTORE arguments, metadata and flags', async () => {
  await d!.reset();
  await d!.both(['FUNCTION', 'FLUSH']);
  await d!.same([
    load("#!lua name=test\nredis.register_function('test', function(KEYS, ARGV) return 'hello' end)"),
    // the function first, then numkeys (fcallCommandGeneric)
    ['FCALL', 'nosuch', 'bad'],
    ['FCALL', 'test', 'bad'],
    ['FCALL', 'test', '1.5'],
    ['FCALL', 'test', '01'],
    ['FCALL', 'test', '-0'],
    ['FCALL', 'test', '99999999999999999999'],
    ['FCALL', 'test', '9223372036854775807'],
    ['FCALL', 'test', '-9223372036854775808'],
    ['FCALL', 'test', '10', 'key1'],
    ['FCALL', 'test', '-1', 'key1'],
    ['FCALL_RO', 'test', 'x'],
    // each FUNCTION LIST option once; the library pattern matches without case
    ['FUNCTION', 'LIST', 'LIBRARYNAME', 'a', 'LIBRARYNAME', 'b'],
    ['FUNCTION', 'LIST', 'WITHCODE', 'WITHCODE'],
    ['FUNCTION', 'LIST', 'libraryname', 'TE*'],
    ['FUNCTION', 'LIST', 'LIBRARYNAME', 'withcode'],
    ['FUNCTION', 'LIST', 'LIBRARYNAME'],
    ['FUNCTION', 'FLUSH', 'bad_arg'],
    ['FUNCTION', 'FLUSH', 'sync', 'extra_arg'],
    ['FUNCTION', 'RESTORE', 'arg1', 'args2', 'arg3'],
    ['FUNCTION', 'RESTORE', 'bad_payload'],
    // metadata: split as sdssplitargs splits, name= in any case, given once
    load("#!lua name=foo name=bar\nredis.register_function('foo', function() return 1 end)"),
    load('#!lua name="foo"\nredis.register_function(\'foo\', function() return 1 end)', true),
    load("#!lua NAME=foo2\nredis.register_function('foo2', function() return 2 end)"),
    load("#!LUA name=foo3\nredis.register_function('foo3', function() return 3 end)"),
    load("#!lua name=\"foo\nredis.register_function('x', function() return 1 end)"),
    load("#!lua  name=foo4   \nredis.register_function('foo4', function() return 4 end)"),
    load("#! name=foo5\nredis.register_function('x', function() return 1 end)"),
    load("#!lua name=foo6 desc=x\nredis.register_function('x', function() return 1 end)"),
    load("#!lua\t\tname='foo7'\nredis.register_function('foo7', function() return 7 end)"),
    ['FCALL', 'foo', '0'],
    ['FCALL', 'FOO7', '0'],
    // flags: any case, twice, listed once each in Redis's order
    load(
      "#!lua name=flags\nredis.register_function{function_name='fl', callback=function() return 1 end, flags={'NO-CLUSTER', 'allow-oom', 'no-writes', 'allow-oom', 'Allow-Stale', 'allow-cross-slot-keys'}}",
    ),
    ['FUNCTION', 'LIST', 'LIBRARYNAME', 'flags'],
  ]);
  await d!.both(['HELLO', '3']);
  await d!.same([['FUNCTION', 'LIST', 'LIBRARYNAME', 'flags']]);
  await d!.both(['HELLO', '2']);
});

test('DEBUG RELOAD NOFLUSH fails on a library loaded already; NOFLUSH MERGE keeps them', async () => {
  await d!.reset();
  await d!.both(['FUNCTION', 'FLUSH']);
  const fn = (lib: string) =>
    load(`#!lua name=${lib}\nredis.register_function('${lib}', function() return '${lib}' end)`);
  await d!.same([fn('test'), ['DEBUG', 'RELOAD'], ['FCALL', 'test', '0'], ['SET', 'x', '1']]);
  // Redis 7.2 added ", check server logs." to the text (7.0 has not; pinned from 7.2.4's debug.c)
  const [t, r] = await d!.both(['DEBUG', 'RELOAD', 'NOFLUSH']);
  assert.equal(r, '-ERR Error trying to load the RDB dump\r\n');
  assert.equal(t, '-ERR Error trying to load the RDB dump, check server logs.\r\n');
  await d!.same([
    ['GET', 'x'],
    ['FUNCTION', 'LIST'],
    ['DEBUG', 'RELOAD', 'NOFLUSH', 'MERGE'],
    ['FUNCTION', 'LIST'],
    ['FUNCTION', 'DELETE', 'test'],
    fn('test1'),
    ['DEBUG', 'RELOAD'],
    fn('test2'),
    ['DEBUG', 'RELOAD', 'NOSAVE', 'NOFLUSH', 'MERGE'],
    ['FCALL', 'test1', '0'],
    ['FCALL', 'test2', '0'],
    ['GET', 'x'],
  ]);
  await d!.same([['FUNCTION', 'LIST']], 'sorted');
});
