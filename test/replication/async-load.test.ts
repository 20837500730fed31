/**
 * repl-diskless-load swapdb on a tsdis replica of a real redis-server
 * primary (issue 17; Redis 7.0+'s async loading, 7.2's log lines from
 * replication.c readSyncBulkPayload): the image loads into a temporary
 * keyspace swapped in when whole. With the primary's replication id equal
 * to the replica's (a full resync of the same history), the old data and
 * libraries are served meanwhile with `async_loading:1`; with another id,
 * `loading:1` (-LOADING). A transfer cut in the middle leaves the old data.
 * The primary's transfer is slowed by rdb-key-save-delay so the replica
 * can be watched in the middle of it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawConn, hasRedis, SKIP_NO_REDIS, startRedis, startTsdis } from '../helpers/servers.js';
import { until } from '../helpers/wait.js';
import { caughtUp, field, linkUp, startPair, type Pair } from './kit.js';

const skip = hasRedis() ? false : SKIP_NO_REDIS;

const LIB1 = "#!lua name=test\nredis.register_function('test', function() return 'hello1' end)";
const LIB2 = "#!lua name=test\nredis.register_function('test', function() return 'hello2' end)";

/**
 * A swapdb pair past its first sync, the replica writable and holding
 * 2000 keys of its own (its DEBUG POPULATE), `mykey` and LIB1; the primary
 * 400 keys of 10 KB and LIB2, its image slowed to `delayUs` per key. Then
 * the link is cut with the backlog overrun, so the replica comes back with
 * a full sync of the same history (Redis's test of async loading).
 */
async function resyncSameHistory(delayUs: number): Promise<Pair> {
  const pair = await startPair(['--repl-diskless-sync', 'yes', '--save', ''], {
    'repl-diskless-load': 'swapdb',
    'replica-read-only': 'no',
  });
  try {
    const { p, r } = pair;
    await caughtUp(p, r);
    assert.equal(await r.call('DEBUG', 'POPULATE', '2000', 'slave', '10'), '+OK\r\n');
    assert.equal(await p.call('DEBUG', 'POPULATE', '400', 'master', '10000'), '+OK\r\n');
    assert.equal(await p.call('CONFIG', 'SET', 'rdbcompression', 'no'), '+OK\r\n');
    assert.equal(await r.call('SET', 'mykey', 'myvalue'), '+OK\r\n');
    assert.match(await r.call('FUNCTION', 'LOAD', LIB1), /^\$4\r\ntest/);
    assert.match(await p.call('FUNCTION', 'LOAD', LIB2), /^\$4\r\ntest/);
    await caughtUp(p, r);
    assert.equal(await p.call('CONFIG', 'SET', 'rdb-key-save-delay', String(delayUs)), '+OK\r\n');
    const syncFull = Number(await field(p, 'sync_full', 'stats'));
    p.write(
      '*1\r\n$5\r\nMULTI\r\n' +
        '*4\r\n$6\r\nCLIENT\r\n$4\r\nKILL\r\n$4\r\nTYPE\r\n$7\r\nreplica\r\n' +
        '*4\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n$17\r\nrepl-backlog-size\r\n$5\r\n16384\r\n',
    );
    assert.equal(await p.read(), '+OK\r\n');
    assert.equal(await p.read(), '+QUEUED\r\n');
    assert.equal(await p.read(), '+QUEUED\r\n');
    for (let i = 0; i < 10; i++)
      assert.equal(await p.call('SET', `${i} string_${i}`, 'A'.repeat(16384)), '+QUEUED\r\n');
    assert.match(await p.call('EXEC'), /^\*12\r\n/);
    await until(
      'the primary to start a full sync',
      async () => Number(await field(p, 'sync_full', 'stats')) > syncFull,
      { timeout: 20_000 },
    );
    return pair;
  } catch (e) {
    await pair.stop();
    throw e;
  }
}

test(
  'swapdb, another history: loading:1 (-LOADING) during the transfer; cut, the old data stays; whole, it is replaced',
  { skip, timeout: 120_000 },
  async () => {
    const primary = await startRedis([
      '--enable-debug-command',
      'yes',
      '--repl-diskless-sync',
      'yes',
      '--repl-diskless-sync-delay',
      '0',
      '--save',
      '',
    ]);
    const log: string[] = [];
    const replica = await startTsdis({
      config: { 'enable-debug-command': 'yes', 'repl-diskless-load': 'swapdb' },
      log: (l) => log.push(l),
    });
    const p = await RawConn.connect(primary.port);
    const r = await RawConn.connect(replica.port);
    try {
      assert.equal(await r.call('DEBUG', 'POPULATE', '200', 'slave', '10'), '+OK\r\n');
      assert.equal(await r.call('SET', 'mykey', 'myvalue'), '+OK\r\n');
      assert.equal(await p.call('DEBUG', 'POPULATE', '400', 'master', '10000'), '+OK\r\n');
      // (first in this file: the replica's process has no Lua VM yet, so the decoder waits for it at the library)
      assert.match(await p.call('FUNCTION', 'LOAD', LIB2), /^\$4\r\ntest/);
      assert.equal(await p.call('CONFIG', 'SET', 'rdb-key-save-delay', '20000'), '+OK\r\n');
      assert.equal(await r.call('REPLICAOF', '127.0.0.1', String(primary.port)), '+OK\r\n');
      await until('loading:1', async () => (await field(r, 'loading', 'persistence')) === '1', { timeout: 20_000 });
      assert.equal(await field(r, 'async_loading', 'persistence'), '0');
      assert.match(await r.call('GET', 'mykey'), /^-LOADING /);
      assert.equal(await p.call('CONFIG', 'SET', 'repl-diskless-sync-delay', '5'), '+OK\r\n');
      assert.match(await p.call('CLIENT', 'KILL', 'TYPE', 'replica'), /^:1\r\n/);
      await until('loading:0', async () => (await field(r, 'loading', 'persistence')) === '0', { timeout: 20_000 });
      assert.equal(await r.call('GET', 'mykey'), '$7\r\nmyvalue\r\n');
      assert.equal(await r.call('DBSIZE'), ':201\r\n');
      // the next sync, whole
      assert.equal(await p.call('CONFIG', 'SET', 'rdb-key-save-delay', '0'), '+OK\r\n');
      await linkUp(r, 60_000);
      assert.equal(await r.call('GET', 'mykey'), '$-1\r\n');
      assert.equal(await r.call('DBSIZE'), ':400\r\n');
      // (FCALL of a function without no-writes is refused on a read-only replica: its code is what came)
      assert.match(await r.call('FUNCTION', 'LIST', 'WITHCODE'), /hello2/);
      assert.match(log.join('\n'), /Swapping active DB with loaded DB/);
    } finally {
      p.close();
      r.close();
      await replica.close();
      await primary.stop();
    }
  },
);

test(
  'swapdb, same history: the old data and libraries are served with async_loading:1, then the new ones swapped in',
  { skip, timeout: 120_000 },
  async () => {
    // 400 keys at 5 ms each: a transfer of about 2 s
    const pair = await resyncSameHistory(5000);
    const { p, r, log } = pair;
    try {
      await until('async_loading:1', async () => (await field(r, 'async_loading', 'persistence')) === '1', {
        timeout: 20_000,
      });
      assert.equal(await field(r, 'loading', 'persistence'), '0');
      assert.equal(await r.call('GET', 'mykey'), '$7\r\nmyvalue\r\n');
      assert.equal(await r.call('FCALL', 'test', '0'), '$6\r\nhello1\r\n');
      assert.equal(await r.call('DBSIZE'), ':2001\r\n');
      // commands flagged no_async_loading, and configs that cannot change while loading
      assert.match(await r.call('REPLICAOF', 'NO', 'ONE'), /^-LOADING /);
      assert.match(await r.call('CONFIG', 'SET', 'appendonly', 'no'), /^-LOADING /);
      assert.equal(await field(r, 'async_loading', 'persistence'), '1');
      await linkUp(r, 60_000);
      assert.equal(await field(r, 'async_loading', 'persistence'), '0');
      assert.equal(await r.call('GET', 'mykey'), '$-1\r\n');
      assert.equal(await r.call('FCALL', 'test', '0'), '$6\r\nhello2\r\n');
      assert.equal(await r.call('DBSIZE'), ':410\r\n');
      await caughtUp(p, r);
      assert.equal(await r.call('DEBUG', 'DIGEST'), await p.call('DEBUG', 'DIGEST'));
      const text = log.join('\n');
      assert.match(
        text,
        /Loading DB in memory[^]*Swapping active DB with loaded DB[^]*Discarding old DB in background[^]*Finished with success/,
      );
      assert.doesNotMatch(text.slice(text.lastIndexOf('Loading DB in memory')), /Flushing old data/);
    } finally {
      await pair.stop();
    }
  },
);

test(
  'swapdb, same history, the transfer cut: async_loading ends and the old data and libraries stay',
  { skip, timeout: 120_000 },
  async () => {
    // 400 keys at 20 ms each: 8 s, cut well before the end
    const pair = await resyncSameHistory(20_000);
    const { p, r, log } = pair;
    try {
      await until('async_loading:1', async () => (await field(r, 'async_loading', 'persistence')) === '1', {
        timeout: 20_000,
      });
      // the next sync waits, so the replica is seen between two
      assert.equal(await p.call('CONFIG', 'SET', 'repl-diskless-sync-delay', '5'), '+OK\r\n');
      assert.match(await p.call('CLIENT', 'KILL', 'TYPE', 'replica'), /^:1\r\n/);
      await until('async_loading:0', async () => (await field(r, 'async_loading', 'persistence')) === '0', {
        timeout: 20_000,
      });
      assert.equal(await r.call('GET', 'mykey'), '$7\r\nmyvalue\r\n');
      assert.equal(await r.call('FCALL', 'test', '0'), '$6\r\nhello1\r\n');
      assert.equal(await r.call('DBSIZE'), ':2001\r\n');
      const text = log.join('\n');
      assert.match(
        text,
        /Short read or OOM loading DB\. Unrecoverable error, aborting now\.\n.*Internal error in RDB reading offset \d+, function at rdb\.c:3365 -> Unexpected EOF reading RDB file\. Failure loading rdb format from socket, assuming connection error, resuming operation\.\n.*Failed trying to load the MASTER synchronization DB from socket, check server logs\.\n.*MASTER <-> REPLICA sync: Discarding temporary DB in background/,
      );
      assert.doesNotMatch(text, /I\/O error trying to sync with MASTER/);
      assert.equal(await p.call('CONFIG', 'SET', 'rdb-key-save-delay', '0'), '+OK\r\n');
    } finally {
      await pair.stop();
    }
  },
);

test(
  'a diskless load decodes as the bytes come: with key-load-delay the replica reads slowly and the primary is still sending',
  { skip, timeout: 120_000 },
  async () => {
    const primary = await startRedis([
      '--enable-debug-command',
      'yes',
      '--repl-diskless-sync',
      'yes',
      '--repl-diskless-sync-delay',
      '0',
      '--save',
      '',
      '--rdbcompression',
      'no',
    ]);
    // 400 values of 100 KB (40 MB: more than the sockets hold) and 5 ms per key on the replica: 2 s of reading
    const replica = await startTsdis({
      config: { 'enable-debug-command': 'yes', 'repl-diskless-load': 'swapdb', 'key-load-delay': '5000' },
    });
    const p = await RawConn.connect(primary.port);
    const r = await RawConn.connect(replica.port);
    try {
      assert.equal(await p.call('DEBUG', 'POPULATE', '400', 'k', '100000'), '+OK\r\n');
      const t0 = Date.now();
      assert.equal(await r.call('REPLICAOF', '127.0.0.1', String(primary.port)), '+OK\r\n');
      await until('loading:1', async () => (await field(r, 'loading', 'persistence')) === '1', { timeout: 20_000 });
      const loaded = Number(await field(r, 'loading_loaded_bytes', 'persistence'));
      // (what is tested: the transfer still runs a second later, held back by the replica's decoding)
      await new Promise((res) => setTimeout(res, 1000));
      assert.equal(await field(p, 'rdb_bgsave_in_progress', 'persistence'), '1');
      assert.ok(Number(await field(r, 'loading_loaded_bytes', 'persistence')) > loaded);
      await linkUp(r, 60_000);
      assert.ok(Date.now() - t0 >= 1900, `linked after ${Date.now() - t0} ms`);
      assert.equal(await r.call('DBSIZE'), ':400\r\n');
      assert.equal(await r.call('DEBUG', 'DIGEST'), await p.call('DEBUG', 'DIGEST'));
    } finally {
      p.close();
      r.close();
      await replica.close();
      await primary.stop();
    }
  },
);
