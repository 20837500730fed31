/**
 * MULTI / EXEC / DISCARD / WATCH / UNWATCH with several connections, each
 * scenario run on tsdis and on a real redis-server and the transcripts of raw
 * replies compared: queueing, queue-time errors (EXECABORT) against run-time
 * errors, every way a WATCHed key can change (writes from other clients and
 * from the same client, expiry, FLUSHDB/FLUSHALL/SWAPDB, RENAME, MOVE), the
 * commands that run inside MULTI (WATCH error, QUIT, RESET), RESP3 nulls,
 * blocking commands inside EXEC, and a push and pop in one transaction
 * waking nobody.
 */
import { test, after } from 'node:test';
import { Differ } from '../helpers/diff.js';

import { sameTranscript, type Scenario } from '../helpers/session.js';

const d = await Differ.start();
after(() => d?.stop());

const same = (scn: Scenario): Promise<void> => sameTranscript(d!, scn, 'MULTI_TRANSCRIPTS');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('queueing, EXEC replies, errors outside MULTI, nesting, empty EXEC', async () => {
  await same(async (s) => {
    const c = await s.conn();
    await s.call(c, 'exec-alone', 'EXEC');
    await s.call(c, 'discard-alone', 'DISCARD');
    await s.call(c, 'unwatch-alone', 'UNWATCH');
    await s.call(c, 'multi', 'MULTI');
    await s.call(c, 'nested', 'MULTI');
    await s.call(c, 'set', 'SET', 'k', '1');
    await s.call(c, 'incr', 'INCR', 'k');
    await s.call(c, 'get', 'GET', 'k');
    await s.call(c, 'lpush-wrongtype', 'LPUSH', 'k', 'x');
    await s.call(c, 'incrby-bad', 'INCRBY', 'k', 'nope');
    await s.call(c, 'mget', 'MGET', 'k', 'missing');
    await s.call(c, 'select', 'SELECT', '1');
    await s.call(c, 'set1', 'SET', 'k', 'db1');
    await s.call(c, 'exec', 'EXEC');
    await s.call(c, 'get-db1', 'GET', 'k');
    await s.call(c, 'select0', 'SELECT', '0');
    await s.call(c, 'get-db0', 'GET', 'k');
    await s.call(c, 'multi2', 'MULTI');
    await s.call(c, 'exec-empty', 'EXEC');
    await s.call(c, 'multi3', 'MULTI');
    await s.call(c, 'queued', 'SET', 'gone', '1');
    await s.call(c, 'discard', 'DISCARD');
    await s.call(c, 'exists', 'EXISTS', 'gone');
    await s.call(c, 'exec-after-discard', 'EXEC');
  });
});

test('a command refused while queueing aborts EXEC; run-time errors do not', async () => {
  await same(async (s) => {
    const c = await s.conn();
    for (const bad of [['NOSUCHCMD', 'a', 'b'], ['GET'], ['SET', 'k'], ['CONFIG', 'NOSUCH'], ['SHUTDOWN']]) {
      await s.call(c, 'multi', 'MULTI');
      await s.call(c, 'set', 'SET', 'k', 'v');
      await s.call(c, `bad ${bad.join(' ')}`, ...bad);
      await s.call(c, 'set2', 'SET', 'k2', 'v');
      await s.call(c, 'exec', 'EXEC');
      await s.call(c, 'exists', 'EXISTS', 'k', 'k2');
    }
    // WATCH and MULTI inside MULTI are errors that do not abort the transaction
    await s.call(c, 'multi', 'MULTI');
    await s.call(c, 'watch-in-multi', 'WATCH', 'k');
    await s.call(c, 'multi-in-multi', 'MULTI');
    await s.call(c, 'set', 'SET', 'k', 'v');
    await s.call(c, 'exec', 'EXEC');
    await s.call(c, 'info-errors', 'INFO', 'errorstats');
    // EXEC itself refused (wrong arity): the transaction is discarded, in MULTI or not
    await s.call(c, 'multi', 'MULTI');
    await s.call(c, 'set', 'SET', 'k3', 'v');
    await s.call(c, 'exec-arity', 'EXEC', 'x');
    await s.call(c, 'exec-after', 'EXEC');
    await s.call(c, 'exists-k3', 'EXISTS', 'k3');
    await s.call(c, 'exec-arity-outside', 'EXEC', 'x');
  });
});

test('WATCH: a write from another client makes EXEC reply null; untouched keys do not', async () => {
  await same(async (s) => {
    const [c, o] = [await s.conn(), await s.conn()];
    await s.call(o, 'seed', 'MSET', 'k', '1', 'other', '1');
    await s.call(c, 'watch', 'WATCH', 'k', 'missing');
    await s.call(o, 'touch-other', 'SET', 'other', '2');
    await s.call(o, 'read-k', 'GET', 'k');
    await s.call(c, 'multi', 'MULTI');
    await s.call(c, 'incr', 'INCR', 'k');
    await s.call(c, 'exec-clean', 'EXEC');
    // every kind of change to a watched key
    const changes: string[][] = [
      ['SET', 'k', 'x'],
      ['DEL', 'k'],
      ['INCR', 'n'],
      ['EXPIRE', 'k', '100'],
      ['PERSIST', 'kt'],
      ['RENAME', 'k', 'k9'],
      ['RENAME', 'src', 'k'],
      ['LPUSH', 'l', 'a'],
      ['HSET', 'h', 'f', 'v'],
      ['SADD', 'st', 'm'],
      ['ZADD', 'z', '1', 'm'],
      ['APPEND', 'k', 'z'],
      ['SETRANGE', 'k', '0', 'q'],
      ['GETDEL', 'k'],
      ['MOVE', 'k', '1'],
      ['COPY', 'src', 'k', 'REPLACE'],
      ['FLUSHDB'],
      ['FLUSHALL'],
      ['SWAPDB', '0', '1'],
      ['UNLINK', 'k'],
      ['SETBIT', 'k', '3', '1'],
      ['SET', 'missing', 'now'],
    ];
    for (const ch of changes) {
      await s.call(o, 'reset', 'FLUSHALL');
      await s.call(o, 'seed', 'MSET', 'k', '1', 'n', '1', 'src', 's');
      await s.call(o, 'seed-ttl', 'SET', 'kt', '1', 'EX', '100');
      const key =
        ch[0] === 'INCR'
          ? 'n'
          : ch[0] === 'PERSIST'
            ? 'kt'
            : ch[0] === 'LPUSH'
              ? 'l'
              : ch[0] === 'HSET'
                ? 'h'
                : ch[0] === 'SADD'
                  ? 'st'
                  : ch[0] === 'ZADD'
                    ? 'z'
                    : ch[1] === 'missing'
                      ? 'missing'
                      : 'k';
      await s.call(c, `watch ${key}`, 'WATCH', key);
      await s.call(o, `change ${ch.join(' ')}`, ...ch);
      await s.call(c, 'multi', 'MULTI');
      await s.call(c, 'ping', 'PING');
      await s.call(c, `exec after ${ch.join(' ')}`, 'EXEC');
    }
    // a no-op write (DEL of a missing key, SET NX that fails) does not touch
    await s.call(o, 'reset', 'FLUSHALL');
    await s.call(o, 'seed', 'SET', 'k', '1');
    await s.call(c, 'watch', 'WATCH', 'k', 'nokey');
    await s.call(o, 'del-missing', 'DEL', 'nokey');
    await s.call(o, 'setnx-fails', 'SET', 'k', '2', 'NX');
    await s.call(c, 'multi', 'MULTI');
    await s.call(c, 'exec-noop', 'EXEC');
  });
});

test('WATCH: own writes, UNWATCH, SELECT, and the own EXEC does not dirty a later WATCH', async () => {
  await same(async (s) => {
    const [c, o] = [await s.conn(), await s.conn()];
    await s.call(c, 'watch', 'WATCH', 'k');
    await s.call(c, 'own-write', 'SET', 'k', '1');
    await s.call(c, 'multi', 'MULTI');
    await s.call(c, 'exec-own', 'EXEC');
    await s.call(c, 'watch2', 'WATCH', 'k');
    await s.call(o, 'other-write', 'SET', 'k', '2');
    await s.call(c, 'unwatch', 'UNWATCH');
    await s.call(c, 'multi', 'MULTI');
    await s.call(c, 'exec-after-unwatch', 'EXEC');
    await s.call(c, 'watch3', 'WATCH', 'k');
    await s.call(c, 'multi', 'MULTI');
    await s.call(c, 'incr', 'INCR', 'k');
    await s.call(c, 'exec-writes', 'EXEC');
    await s.call(c, 'watch4', 'WATCH', 'k');
    await s.call(c, 'multi', 'MULTI');
    await s.call(c, 'get', 'GET', 'k');
    await s.call(c, 'exec-later', 'EXEC');
    // watched in db 1; a write to the same name in db 0 does not touch it
    await s.call(c, 'select1', 'SELECT', '1');
    await s.call(c, 'watch-db1', 'WATCH', 'k');
    await s.call(o, 'write-db0', 'SET', 'k', '3');
    await s.call(c, 'multi', 'MULTI');
    await s.call(c, 'exec-db1', 'EXEC');
    await s.call(c, 'watch-db1b', 'WATCH', 'k');
    await s.call(o, 'select1', 'SELECT', '1');
    await s.call(o, 'write-db1', 'SET', 'k', '4');
    await s.call(c, 'multi', 'MULTI');
    await s.call(c, 'exec-db1b', 'EXEC');
    // DISCARD unwatches too
    await s.call(c, 'watch5', 'WATCH', 'k');
    await s.call(c, 'multi', 'MULTI');
    await s.call(c, 'discard', 'DISCARD');
    await s.call(o, 'write', 'SET', 'k', '5');
    await s.call(c, 'multi', 'MULTI');
    await s.call(c, 'exec-after-discard', 'EXEC');
  });
});

test('WATCH and expiry: a key that expires before EXEC aborts it', async () => {
  await same(async (s) => {
    const [c, o] = [await s.conn(), await s.conn()];
    await s.call(o, 'debug', 'DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    try {
      await s.call(o, 'set', 'SET', 'k', '1', 'PX', '60');
      await s.call(c, 'watch', 'WATCH', 'k');
      await sleep(120);
      await s.call(c, 'multi', 'MULTI');
      await s.call(c, 'get', 'GET', 'k');
      await s.call(c, 'exec-expired', 'EXEC');
      // lazily expired by another client's access between WATCH and EXEC
      await s.call(o, 'set2', 'SET', 'k2', '1', 'PX', '60');
      await s.call(c, 'watch2', 'WATCH', 'k2');
      await sleep(120);
      await s.call(o, 'access', 'GET', 'k2');
      await s.call(c, 'multi', 'MULTI');
      await s.call(c, 'exec-expired-deleted', 'EXEC');
      // a key with a TTL still in the future does not abort
      await s.call(o, 'set3', 'SET', 'k3', '1', 'EX', '100');
      await s.call(c, 'watch3', 'WATCH', 'k3');
      await s.call(c, 'multi', 'MULTI');
      await s.call(c, 'exec-live', 'EXEC');
    } finally {
      await s.call(o, 'debug', 'DEBUG', 'SET-ACTIVE-EXPIRE', '1');
    }
  });
});

test('RESP3 null EXEC, QUIT and RESET inside MULTI, blocking commands inside EXEC', async () => {
  await same(async (s) => {
    const [c, o] = [await s.conn(), await s.conn()];
    await c.call('HELLO', '3'); // (its reply holds the server version and client id: not compared)
    await s.call(c, 'watch', 'WATCH', 'k');
    await s.call(o, 'write', 'SET', 'k', '1');
    await s.call(c, 'multi', 'MULTI');
    await s.call(c, 'exec-null-resp3', 'EXEC');
    await s.call(c, 'multi', 'MULTI');
    await s.call(c, 'blpop', 'BLPOP', 'empty', '0');
    await s.call(c, 'bzpopmin', 'BZPOPMIN', 'empty', '0');
    await s.call(c, 'blmove', 'BLMOVE', 'empty', 'dst', 'LEFT', 'RIGHT', '0');
    await s.call(c, 'exec-nonblocking', 'EXEC');
    await s.call(c, 'multi', 'MULTI');
    await s.call(c, 'set', 'SET', 'x', '1');
    await s.call(c, 'reset', 'RESET');
    await s.call(c, 'exec-after-reset', 'EXEC');
    await s.call(c, 'exists', 'EXISTS', 'x');
    const q = await s.conn();
    await s.call(q, 'multi', 'MULTI');
    await s.call(q, 'set', 'SET', 'y', '1');
    await s.call(q, 'quit', 'QUIT');
    await s.call(o, 'exists-y', 'EXISTS', 'y');
  });
});

test('a push and pop in one transaction wakes nobody; a push in EXEC wakes a blocked client', async () => {
  await same(async (s) => {
    const [b, c] = [await s.conn(), await s.conn()];
    s.send(b, 'BLPOP', 'q', '0');
    await s.blocked(1);
    await s.call(c, 'multi', 'MULTI');
    await s.call(c, 'push', 'LPUSH', 'q', 'a');
    await s.call(c, 'pop', 'LPOP', 'q');
    await s.call(c, 'exec', 'EXEC');
    await s.blocked(1);
    await s.call(c, 'multi', 'MULTI');
    await s.call(c, 'push2', 'RPUSH', 'q', 'x', 'y');
    await s.call(c, 'len', 'LLEN', 'q');
    await s.call(c, 'exec2', 'EXEC');
    await s.read(b, 'woken');
    await s.call(c, 'left', 'LRANGE', 'q', '0', '-1');
  });
});
