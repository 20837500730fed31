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
import { SKIP_NO_REDIS } from '../helpers/servers.js';

const d = await Differ.start();
after(() => d?.stop());
const skip = d ? false : SKIP_NO_REDIS;
const load = (code: string, replace = false): Cmd => (replace ? ['FUNCTION', 'LOAD', 'REPLACE', code] : ['FUNCTION', 'LOAD', code]);

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

test('FUNCTION LOAD errors and FCALL', { skip }, async () => {
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
    load("#!lua name=x\nredis.register_function('dup', function() end)\nredis.register_function('dup', function() end)"),
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
    load("#!lua name=single\nredis.register_function{function_name='one', callback=function() return 1 end, flags={'no-writes', 'allow-oom'}}"),
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

test('FUNCTION DUMP / RESTORE between tsdis and redis-server', { skip }, async () => {
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
  await d!.same([['FUNCTION', 'LIST', 'WITHCODE', 'LIBRARYNAME', 'second'], ['FCALL', 's1', '0'], ['FCALL', 'f4', '0', '5']]);
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
