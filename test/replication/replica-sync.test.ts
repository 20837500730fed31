/**
 * tsdis following a real redis-server primary: a full sync of a dataset of
 * every type (disk-based and diskless on the primary's side; a disk or a
 * diskless load on tsdis's), then ~100k mixed writes on the primary, and
 * DEBUG DIGEST must be equal on both once the replica caught up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasRedis, RawConn, SKIP_NO_REDIS, startRedis, startTsdis } from '../helpers/servers.js';
import { fillCommands } from '../persistence/fill.js';
import { caughtUp, field, mixedWrites, sendAll, startPair, type Pair } from './kit.js';

const skip = hasRedis() ? false : SKIP_NO_REDIS;

/** Fills the primary, syncs, writes `n` mixed commands, then compares digests (active expiry stopped on the primary first, so no key goes between the two digests). */
async function syncAndCompare(pair: Pair, n: number, seed: number): Promise<void> {
  const { p, r } = pair;
  await caughtUp(p, r);
  assert.equal(await r.call('DEBUG', 'DIGEST'), await p.call('DEBUG', 'DIGEST'), 'digest after the full sync');
  assert.equal(await r.call('FUNCTION', 'LIST', 'WITHCODE'), await p.call('FUNCTION', 'LIST', 'WITHCODE'));
  assert.equal(await r.call('FCALL_RO', 'sget', '1', 'str:small'), '$5\r\nhello\r\n');
  await sendAll(pair.primary.port, mixedWrites(n, seed));
  assert.equal(await p.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0'), '+OK\r\n');
  await caughtUp(p, r, 60000);
  const pd = await p.call('DEBUG', 'DIGEST');
  assert.notEqual(pd, '+0000000000000000000000000000000000000000\r\n');
  assert.equal(await r.call('DEBUG', 'DIGEST'), pd, 'digest after the mixed writes');
  // (libraries and their functions come in hash order: compared as sorted lines)
  const lines = async (c: Pair['p']) => (await c.call('FUNCTION', 'LIST', 'WITHCODE')).split('\r\n').sort().join('\n');
  assert.equal(await lines(r), await lines(p));
  for (let db = 0; db < 4; db++) {
    assert.equal(await r.call('SELECT', String(db)), '+OK\r\n');
    assert.equal(await p.call('SELECT', String(db)), '+OK\r\n');
    assert.equal(await r.call('DBSIZE'), await p.call('DBSIZE'), `db ${db} size`);
  }
}

/** Builds the starting dataset (every type and encoding, several dbs) on the primary before tsdis attaches. */
async function fill(p: Pair['p']): Promise<void> {
  for (const c of fillCommands()) await p.call(...c);
  // a library in the RDB too (its FUNCTION2 record needs the Lua VM on the replica)
  const lib =
    "#!lua name=synclib\nredis.register_function{function_name='sget', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}";
  assert.equal(await p.call('FUNCTION', 'LOAD', lib), '$7\r\nsynclib\r\n');
}

test(
  'full sync from a disk-based primary (replica loads through a temp file), then 100k mixed writes: digests equal',
  { skip, timeout: 180000 },
  async () => {
    const pair = await startPair(['--repl-diskless-sync', 'no'], { 'repl-diskless-load': 'disabled' }, fill);
    try {
      await syncAndCompare(pair, 100000, 7);
      // the received RDB became the replica's dump.rdb, as Redis does with a disk load
      assert.equal(await field(pair.r, 'master_sync_in_progress'), '0');
    } finally {
      await pair.stop();
    }
  },
);

test(
  'full sync from a diskless primary ($EOF: transfer), replica loading from the socket (swapdb), then 50k mixed writes: digests equal',
  { skip, timeout: 180000 },
  async () => {
    const pair = await startPair(['--repl-diskless-sync', 'yes'], { 'repl-diskless-load': 'swapdb' }, fill);
    try {
      await syncAndCompare(pair, 50000, 11);
    } finally {
      await pair.stop();
    }
  },
);

test(
  'REPLICAOF at run time on a replica holding keys, on-empty-db: a disk load replaces its keys; digests equal',
  { skip, timeout: 120000 },
  async () => {
    const primary = await startRedis([
      '--enable-debug-command',
      'yes',
      '--repl-diskless-sync',
      'yes',
      '--repl-diskless-sync-delay',
      '0',
    ]);
    const log: string[] = [];
    const replica = await startTsdis({
      config: { 'enable-debug-command': 'yes', 'repl-diskless-load': 'on-empty-db' },
      log: (l) => log.push(l),
    });
    const p = await RawConn.connect(primary.port);
    const r = await RawConn.connect(replica.port);
    try {
      await fill(p);
      assert.equal(await r.call('SET', 'own', 'key'), '+OK\r\n');
      assert.equal(await r.call('REPLICAOF', '127.0.0.1', String(primary.port)), '+OK\r\n');
      await caughtUp(p, r);
      assert.equal(await r.call('EXISTS', 'own'), ':0\r\n');
      assert.ok(
        log.some((l) => l.endsWith('MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk')),
        log.join('\n'),
      );
      await sendAll(primary.port, mixedWrites(20000, 3));
      assert.equal(await p.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0'), '+OK\r\n');
      await caughtUp(p, r);
      assert.equal(await r.call('DEBUG', 'DIGEST'), await p.call('DEBUG', 'DIGEST'));
    } finally {
      p.close();
      r.close();
      await replica.close();
      await primary.stop();
    }
  },
);
