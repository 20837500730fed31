/**
 * The dirty counter (INFO rdb_changes_since_last_save: what save points and
 * Redis's own tests count) moves by what redis-server counts for each command:
 * pushes count their elements, a move counts once, a SETBIT or BITFIELD that
 * changes nothing counts nothing. Compared command by command with
 * redis-server; served blocking commands follow 7.2 (the pop counts too).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Differ, type Cmd } from '../helpers/diff.js';
import { RawConn } from '../helpers/servers.js';
import { viewOf, type Conn } from '../helpers/golden.js';
import { encode } from '../helpers/resp.js';

const d = await Differ.start();
after(() => d?.stop());

/** rdb_changes_since_last_save on one connection. */
async function dirty(c: Conn): Promise<number> {
  return viewOf(c, (info) => Number(/rdb_changes_since_last_save:(\d+)/.exec(info)![1]), 'INFO', 'persistence');
}

const CMDS: Cmd[] = [
  ['SET', 's', 'v'],
  ['SET', 's', 'v', 'NX'],
  ['APPEND', 's', 'x'],
  ['SETRANGE', 's', '0', 'ab'],
  ['INCR', 'n'],
  ['INCRBYFLOAT', 'n', '1.5'],
  ['MSET', 'a', '1', 'b', '2'],
  ['MSETNX', 'a', '1', 'c', '3'],
  ['GETDEL', 'c'],
  ['GETEX', 'a', 'PX', '100000'],
  ['GETEX', 'a', 'PERSIST'],
  ['SETBIT', 'bits', '7', '1'],
  ['SETBIT', 'bits', '7', '1'],
  ['SETBIT', 'bits', '7', '0'],
  ['SETBIT', 'bits', '100', '0'],
  ['SETBIT', 'bits', '100', '0'],
  ['BITFIELD', 'bf', 'SET', 'u8', '0', '5'],
  ['BITFIELD', 'bf', 'SET', 'u8', '0', '5'],
  ['BITFIELD', 'bf', 'SET', 'u8', '0', '5', 'INCRBY', 'u8', '8', '1'],
  ['BITFIELD', 'bf', 'INCRBY', 'u8', '0', '0'],
  ['BITFIELD', 'bf', 'GET', 'u8', '0'],
  ['BITOP', 'OR', 'bo', 'bits', 'bf'],
  ['RPUSH', 'l', '1', '2', '3', '4'],
  ['LPUSHX', 'l', '0'],
  ['LPUSHX', 'nol', '0'],
  ['LMOVE', 'l', 'l2', 'LEFT', 'RIGHT'],
  ['LMOVE', 'l', 'l2', 'LEFT', 'RIGHT'],
  ['RPOPLPUSH', 'l2', 'l3'],
  ['LPOP', 'l', '2'],
  ['LSET', 'l2', '0', 'x'],
  ['LINSERT', 'l2', 'BEFORE', 'x', 'y'],
  ['LREM', 'l2', '0', 'y'],
  ['LTRIM', 'l2', '0', '0'],
  ['SADD', 'st', 'a', 'b', 'c'],
  ['SADD', 'st', 'a'],
  ['SREM', 'st', 'a', 'z'],
  ['SMOVE', 'st', 'st2', 'b'],
  ['SPOP', 'st'],
  ['SINTERSTORE', 'si', 'st', 'st2'],
  ['HSET', 'h', 'f', 'v', 'g', 'w'],
  ['HSET', 'h', 'f', 'v'],
  ['HDEL', 'h', 'f', 'nof'],
  ['HINCRBY', 'h', 'n', '2'],
  ['HSETNX', 'h', 'g', 'x'],
  ['ZADD', 'z', '1', 'a', '2', 'b'],
  ['ZADD', 'z', '1', 'a'],
  ['ZINCRBY', 'z', '1', 'a'],
  ['ZREM', 'z', 'a'],
  ['ZPOPMIN', 'z'],
  ['ZUNIONSTORE', 'zu', '1', 'z'],
  ['XADD', 'x', '1', 'f', 'v'],
  ['XGROUP', 'CREATE', 'x', 'g', '0'],
  ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 'x', '>'],
  ['XACK', 'x', 'g', '1'],
  ['XDEL', 'x', '1'],
  ['PFADD', 'hll', 'a', 'b'],
  ['PFADD', 'hll', 'a'],
  ['PFMERGE', 'hll2', 'hll'],
  ['EXPIRE', 's', '100'],
  ['PERSIST', 's'],
  ['RENAME', 's', 's2'],
  ['COPY', 's2', 's3'],
  ['MOVE', 's3', '1'],
  ['DEL', 's2', 'nokey'],
  ['UNLINK', 'a'],
  ['EVAL', "redis.call('SET', 'e', '1'); redis.call('SET', 'e', '2'); return 1", '0'],
  ['FLUSHDB'],
  ['SET', 'x', '1'],
  ['FLUSHALL'],
  ['FLUSHALL'],
];

test('each command moves the dirty counter as redis-server does', async () => {
  await d!.reset();
  const diffs: string[] = [];
  for (const cmd of CMDS) {
    const before = [await dirty(d!.a), await dirty(d!.b)];
    await d!.both(cmd);
    const delta = [(await dirty(d!.a)) - before[0]!, (await dirty(d!.b)) - before[1]!];
    if (delta[0] !== delta[1]) diffs.push(`${cmd.join(' ')}: tsdis +${delta[0]} redis +${delta[1]}`);
  }
  assert.deepEqual(diffs, []);
});

test('FLUSHALL with save points resets the dirty counter to 0 (the save), as Redis', async () => {
  await d!.reset();
  for (const c of [d!.a, d!.b]) {
    assert.equal(await c.call('CONFIG', 'SET', 'save', '3600 1 300 100 60 10000'), '+OK\r\n');
    await c.call('SET', 'key', 'value');
    await c.call('FLUSHALL');
    assert.equal(await dirty(c), 0);
    await c.call('CONFIG', 'SET', 'save', '');
  }
});

test('served BLPOP and BLMOVE count the push and their pop (Redis 7.2: +2)', async () => {
  // Redis 7.2.4's "BLPOP/BLMOVE should increase dirty" (7.0 counted the push only)
  const c = await RawConn.connect(d!.tsdis.port);
  const rd = await RawConn.connect(d!.tsdis.port);
  try {
    await c.call('DEL', 'lst', 'lst1');
    for (const wait of [
      ['BLPOP', 'lst', '0'],
      ['BLMOVE', 'lst', 'lst1', 'LEFT', 'LEFT', '0'],
    ]) {
      const before = await dirty(c);
      rd.write(encode(wait));
      for (let i = 0; i < 200 && !(await c.call('INFO', 'clients')).includes('blocked_clients:1'); i++)
        await new Promise((r) => setTimeout(r, 5));
      await c.call('LPUSH', 'lst', 'a');
      await rd.read();
      assert.equal((await dirty(c)) - before, 2, wait[0]);
    }
  } finally {
    c.close();
    rd.close();
  }
});
