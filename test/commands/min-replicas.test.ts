/**
 * min-replicas-to-write on a master without replicas (tsdis has none):
 * writes are refused with NOREPLICAS, in the dispatcher (commands, MULTI,
 * EXEC, EVAL / FCALL whose declared flags allow writes) and for a
 * script's first write (an EVAL without flags), reads still run, and
 * min-replicas-max-lag 0 turns the check off; against redis-server
 * (unit/scripting "not enough good replicas").
 */
import { test, after } from 'node:test';
import { Differ } from '../helpers/diff.js';

const d = await Differ.start();
after(() => d?.stop());

test('min-replicas-to-write without replicas refuses writes (NOREPLICAS), commands and scripts', async () => {
  await d!.reset();
  const lib =
    "#!lua name=mr\nredis.register_function{function_name='w', callback=function() return redis.call('set', 'x', 2) end}\nredis.register_function{function_name='r', callback=function() return redis.call('get', 'x') end, flags={'no-writes'}}";
  await d!.same([
    ['SET', 'x', 'some value'],
    ['FUNCTION', 'LOAD', 'REPLACE', lib],
    ['CONFIG', 'SET', 'min-replicas-to-write', '1'],
    ['SET', 'x', '1'],
    ['GET', 'x'],
    ['INCR', 'n'],
    ['DEL', 'x'],
    ['PING'],
    ['EVAL', "#!lua flags=no-writes\nreturn redis.call('get','x')", '1', 'x'],
    ['EVAL', "return redis.call('get','x')", '1', 'x'],
    ['EVAL', "#!lua\nreturn redis.call('get','x')", '1', 'x'],
    ['EVAL', "return redis.call('set','x', 1)", '1', 'x'],
    ['EVAL', "return redis.pcall('set','x', 1)", '1', 'x'],
    ['EVAL', "local a = redis.call('get','x')\nreturn redis.pcall('incr','n')", '1', 'x'],
    ['FCALL', 'w', '0'],
    ['FCALL', 'r', '0'],
    ['FCALL_RO', 'r', '0'],
    ['MULTI'],
    ['GET', 'x'],
    ['SET', 'x', '3'],
    ['EXEC'],
    ['MULTI'],
    ['GET', 'x'],
    ['EXEC'],
    ['CONFIG', 'SET', 'min-replicas-max-lag', '0'],
    ['SET', 'x', '4'],
    ['EVAL', "return redis.call('set','x', 5)", '1', 'x'],
    ['CONFIG', 'SET', 'min-replicas-max-lag', '10'],
    // a transaction turning it on (its write runs first), then one with a write: refused at queueing, EXECABORT
    ['CONFIG', 'SET', 'min-replicas-to-write', '0'],
    ['MULTI'],
    ['SET', 'x', '6'],
    ['CONFIG', 'SET', 'min-replicas-to-write', '1'],
    ['EXEC'],
    ['MULTI'],
    ['SET', 'x', '6'],
    ['EXEC'],
    ['CONFIG', 'SET', 'min-replicas-to-write', '0'],
    ['SET', 'x', '7'],
    ['GET', 'x'],
    ['FUNCTION', 'DELETE', 'mr'],
  ]);
});
