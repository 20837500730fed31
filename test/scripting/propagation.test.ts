/**
 * What scripts write reaches the AOF as the commands they ran (effects
 * replication), never as EVAL/FCALL: the same scripts against tsdis and
 * redis-server (both `appendonly yes`, no RDB preamble) give the same AOF
 * bytes, times masked: one write alone, several in MULTI/EXEC, SELECT inside
 * a script, SET EX rewritten with an absolute time, read-only scripts and
 * failed writes adding nothing, FCALL. Also: blocking commands inside a
 * script return at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hasRedis, startRedis, RawConn, SKIP_NO_REDIS } from '../helpers/servers.js';
import { startChild } from '../helpers/child.js';
import { as72, maskedIncr } from '../helpers/aof.js';

const skip = hasRedis() ? false : SKIP_NO_REDIS;
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-lua-aof-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const LIB =
  "#!lua name=plib\nredis.register_function('bump', function(keys, args) redis.call('incrby', keys[1], args[1]) return redis.call('lpush', keys[2], args[1]) end)";

const WORKLOAD: string[][] = [
  ['EVAL', "return redis.call('set', KEYS[1], ARGV[1])", '1', 'one', 'v'],
  ['EVAL', "redis.call('set', 'a', '1') redis.call('incr', 'n') redis.call('rpush', 'l', 'x', 'y') return 1", '0'],
  [
    'EVAL',
    "redis.call('select', 5) redis.call('set', 'in5', '1') redis.call('select', 0) return redis.call('set', 'back0', '1')",
    '0',
  ],
  ['EVAL', "return redis.call('set', 'ex', 'v', 'EX', '100')", '0'],
  ['EVAL', "return redis.call('incrbyfloat', 'f', '1.5')", '0'],
  ['EVAL', "return redis.call('get', 'a')", '0'],
  ['EVAL_RO', "return redis.call('get', 'a')", '0'],
  ['EVAL', "return redis.pcall('incr', 'l')", '0'],
  ['EVAL', "redis.call('set', 'before-error', '1') error('stop')", '0'],
  ['EVAL', "return redis.call('blmpop', '0', '1', 'empty', 'LEFT')", '0'],
  ['EVAL', "return redis.call('lmpop', '1', 'l', 'LEFT')", '0'],
  ['SELECT', '3'],
  ['EVAL', "return redis.call('set', 'in3', '1')", '0'],
  ['SELECT', '0'],
  ['FUNCTION', 'LOAD', LIB],
  ['FCALL', 'bump', '2', 'cnt', 'hist', '5'],
  ['SET', 'plain', '1'],
];

test('scripts and functions are propagated as their effects, as redis-server writes them', { skip }, async () => {
  const dirR = tmp();
  const dirT = tmp();
  const redis = await startRedis(['--appendonly', 'yes', '--aof-use-rdb-preamble', 'no', '--dir', dirR]);
  const tsdis = await startChild(
    ['--appendonly', 'yes', '--aof-use-rdb-preamble', 'no', '--dir', dirT, '--save', ''],
    dirT,
  );
  try {
    const replies: string[][] = [];
    for (const port of [redis.port, tsdis.port]) {
      const c = await RawConn.connect(port);
      const out: string[] = [];
      for (const cmd of WORKLOAD) out.push(await c.call(...cmd));
      replies.push(out);
      c.close();
    }
    assert.deepEqual(replies[1], replies[0]);
    // (until both AOFs hold the workload: bounded, 3 s)
    for (let i = 0; i < 150 && maskedIncr(dirT) !== as72(maskedIncr(dirR)); i++) await sleep(20);
    assert.equal(maskedIncr(dirT), as72(maskedIncr(dirR)));
  } finally {
    await redis.stop();
    await tsdis.kill();
    fs.rmSync(dirR, { recursive: true, force: true });
    fs.rmSync(dirT, { recursive: true, force: true });
  }
});
