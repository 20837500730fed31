/**
 * Scripts on a replica whose link is down with replica-serve-stale-data no
 * (7.2.4's unit/scripting "allow-stale shebang flag" steps), the same
 * commands sent to redis-server and tsdis and the replies compared: an EVAL
 * without a shebang gets MASTERDOWN (Redis's scriptPrepareForRun), a script
 * with flags but not allow-stale too (the command's gate), an allow-stale
 * script runs but its commands without `stale` are refused (Redis's
 * scriptVerifyAllowStale), FCALL the same. Skipped without redis-server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasRedis, RawConn, SKIP_NO_REDIS, startRedis, startTsdis } from '../helpers/servers.js';

const skip = hasRedis() ? false : SKIP_NO_REDIS;

const STEPS: string[][] = [
  ['SET', 'x', 'v'],
  ['CONFIG', 'SET', 'replica-serve-stale-data', 'no'],
  ['REPLICAOF', '127.0.0.1', '1'],
  ['EVAL', "return redis.call('get','x')", '1', 'x'],
  ['EVAL', '#!lua flags=no-writes\nreturn 1', '0'],
  ['EVAL', '#!lua flags=allow-stale,no-writes\nreturn 1', '0'],
  ['EVAL', "#!lua flags=allow-stale,no-writes\nreturn redis.call('get','x')", '1', 'x'],
  ['EVAL', "#!lua flags=allow-stale,no-writes\nreturn redis.call('echo','foobar')", '0'],
  ['EVAL', "#!lua flags=allow-stale,no-writes\nreturn redis.pcall('info','nosuchsection')", '0'],
  ['FCALL', 'stale_ok', '0'],
  ['FCALL', 'stale_no', '0'],
  ['FCALL', 'stale_get', '1', 'x'],
  ['REPLICAOF', 'NO', 'ONE'],
  ['EVAL', "return redis.call('get','x')", '1', 'x'],
];

const LIB = `#!lua name=stalelib
redis.register_function{function_name='stale_ok', callback=function() return 'ok' end, flags={'allow-stale', 'no-writes'}}
redis.register_function{function_name='stale_no', callback=function() return 'no' end, flags={'no-writes'}}
redis.register_function{function_name='stale_get', callback=function(k) return redis.call('get', k[1]) end, flags={'allow-stale', 'no-writes'}}`;

async function run(port: number): Promise<string[]> {
  const c = await RawConn.connect(port);
  try {
    await c.call('FUNCTION', 'LOAD', LIB);
    const out: string[] = [];
    for (const s of STEPS) out.push(`${s.join(' ')} -> ${await c.call(...s)}`);
    return out;
  } finally {
    c.close();
  }
}

test(
  'scripts on a stale replica: MASTERDOWN, allow-stale, and the stale flag of their commands',
  { skip },
  async () => {
    const r = await startRedis([]);
    const t = await startTsdis();
    try {
      const want = await run(r.port);
      const got = await run(t.port);
      assert.deepEqual(got, want);
      // (and the answers are the refusals, not a pass-through)
      assert.match(want[3]!, /-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'\./);
      assert.match(want[6]!, /Can not execute the command on a stale replica/);
    } finally {
      await t.close();
      await r.stop();
    }
  },
);
