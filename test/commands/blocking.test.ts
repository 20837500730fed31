/**
 * Blocking commands with several clients, run as the same scenario against
 * tsdis and a real redis-server: each scenario returns a transcript of raw
 * replies (with timing facts) and the two transcripts must be equal. Covers
 * FIFO service per key, several keys, fractional timeouts, wake-ups by
 * other clients' pushes and by LMOVE/BLMOVE chains, RENAME/SWAPDB onto a
 * waited key, disconnects while blocked, CLIENT UNBLOCK both ways,
 * blocked_clients and the `b` flag, and pipelined commands waiting behind a
 * blocked one.
 */
import { test, after } from 'node:test';
import { Differ } from '../helpers/diff.js';
import { sameTranscript, type Scenario } from '../helpers/session.js';
import { encode } from '../helpers/resp.js';

const d = await Differ.start();
after(() => d?.stop());

/** Runs the scenario on both servers and compares transcripts (BLOCKING_TRANSCRIPTS=1 prints redis's). */
const same = (scn: Scenario): Promise<void> => sameTranscript(d!, scn, 'BLOCKING_TRANSCRIPTS');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('clients blocked on a key are served first come first served', async () => {
  await same(async (s) => {
    const [c1, c2, c3, w] = [await s.conn(), await s.conn(), await s.conn(), await s.conn()];
    s.send(c1, 'BLPOP', 'k', '0');
    await s.blocked(1);
    s.send(c2, 'BRPOP', 'k', 'other', '0');
    await s.blocked(2);
    s.send(c3, 'BLPOP', 'other', 'k', '0');
    await s.blocked(3);
    await s.call(w, 'w', 'RPUSH', 'k', 'a', 'b');
    await s.read(c1, 'c1');
    await s.read(c2, 'c2');
    await s.call(w, 'w', 'LLEN', 'k');
    await s.call(w, 'w', 'LPUSH', 'other', 'o');
    await s.read(c3, 'c3');
    await s.call(w, 'w', 'EXISTS', 'k', 'other');
    await s.blocked(0);
  });
});

test('timeouts, fractional and in RESP3; 0 waits until served', async () => {
  await same(async (s) => {
    const [c1, c2, c3, w] = [await s.conn(), await s.conn(), await s.conn(), await s.conn()];
    await s.call(c2, 'c2', 'HELLO', '3').then(() => (s.log[s.log.length - 1] = 'hello'));
    const t0 = Date.now();
    s.send(c1, 'BLPOP', 'k', '0.25');
    s.send(c2, 'BLMOVE', 'k', 'd', 'LEFT', 'LEFT', '0.2');
    s.send(c3, 'BLMPOP', '0', '1', 'k', 'RIGHT', 'COUNT', '2');
    await s.read(c2, 'c2 timeout');
    await s.read(c1, 'c1 timeout');
    const el = Date.now() - t0;
    s.log.push(`waited at least 0.2s: ${el >= 190}`);
    await sleep(50);
    await s.call(w, 'w', 'RPUSH', 'k', '1', '2', '3');
    await s.read(c3, 'c3');
    s.send(c1, 'BRPOPLPUSH', 'nokey', 'd', '0.05');
    await s.read(c1, 'brpoplpush timeout');
  });
});

test('LMOVE and BLMOVE chains wake each waiter in turn', async () => {
  await same(async (s) => {
    const [c1, c2, c3, w] = [await s.conn(), await s.conn(), await s.conn(), await s.conn()];
    s.send(c1, 'BLMOVE', 'a', 'b', 'LEFT', 'RIGHT', '0');
    await s.blocked(1);
    s.send(c2, 'BRPOPLPUSH', 'b', 'c', '0');
    await s.blocked(2);
    s.send(c3, 'BLPOP', 'c', '0');
    await s.blocked(3);
    await s.call(w, 'w', 'LPUSH', 'a', 'x');
    await s.read(c1, 'c1');
    await s.read(c2, 'c2');
    await s.read(c3, 'c3');
    await s.call(w, 'w', 'EXISTS', 'a', 'b', 'c');
    // a waiter woken by LMOVE from another client
    s.send(c1, 'BLPOP', 'dst', '0');
    await s.blocked(1);
    await s.call(w, 'w', 'RPUSH', 'src', 'v1', 'v2');
    await s.call(w, 'w', 'LMOVE', 'src', 'dst', 'LEFT', 'LEFT');
    await s.read(c1, 'c1');
    // BLMOVE onto a key of the wrong type when served
    await s.call(w, 'w', 'SET', 'str', 'v');
    s.send(c2, 'BLMOVE', 'q', 'str', 'LEFT', 'LEFT', '0');
    await s.blocked(1);
    await s.call(w, 'w', 'RPUSH', 'q', 'e');
    await s.read(c2, 'c2 wrongtype');
    await s.call(w, 'w', 'LRANGE', 'q', '0', '-1');
    await s.blocked(0);
  });
});

test('RENAME, COPY, MOVE and SWAPDB onto a waited key wake it; other types do not', async () => {
  await same(async (s) => {
    const [c1, c2, w] = [await s.conn(), await s.conn(), await s.conn()];
    s.send(c1, 'BLPOP', 'k', '0');
    await s.blocked(1);
    await s.call(w, 'w', 'SET', 'k', 'string');
    await s.call(w, 'w', 'DEL', 'k');
    await s.call(w, 'w', 'RPUSH', 'tmp', 'r');
    await s.call(w, 'w', 'RENAME', 'tmp', 'k');
    await s.read(c1, 'rename');
    s.send(c1, 'BLPOP', 'k', '0');
    await s.blocked(1);
    await s.call(w, 'w', 'RPUSH', 'tmp', 'c');
    await s.call(w, 'w', 'COPY', 'tmp', 'k');
    await s.read(c1, 'copy');
    s.send(c1, 'BLPOP', 'k', '0');
    await s.blocked(1);
    await s.call(w, 'w', 'SELECT', '1');
    await s.call(w, 'w', 'RPUSH', 'k', 'm');
    await s.call(w, 'w', 'MOVE', 'k', '0');
    await s.read(c1, 'move');
    await s.call(c2, 'c2', 'SELECT', '1');
    s.send(c2, 'BLPOP', 'k2', '0');
    await s.blocked(1);
    await s.call(w, 'w', 'SELECT', '0');
    await s.call(w, 'w', 'RPUSH', 'k2', 's');
    await s.call(w, 'w', 'SWAPDB', '0', '1');
    await s.read(c2, 'swapdb');
    await s.call(w, 'w', 'DBSIZE');
  });
});

test('a client that disconnects while blocked leaves nothing behind', async () => {
  await same(async (s) => {
    const [c1, c2, w] = [await s.conn(), await s.conn(), await s.conn()];
    s.send(c1, 'BLPOP', 'k', '0');
    s.send(c2, 'BLPOP', 'k', '0');
    await s.blocked(2);
    c1.close();
    await s.blocked(1);
    await s.call(w, 'w', 'RPUSH', 'k', 'a', 'b');
    await s.read(c2, 'c2');
    await s.call(w, 'w', 'LRANGE', 'k', '0', '-1');
    c2.close();
    await s.blocked(0);
  });
});

test('CLIENT UNBLOCK as a timeout or an error; blocked_clients and flags', async () => {
  await same(async (s) => {
    const [c1, w] = [await s.conn(), await s.conn()];
    const id = /:(\d+)/.exec(await c1.call('CLIENT', 'ID'))![1]!;
    s.send(c1, 'BLPOP', 'k', '0');
    await s.blocked(1);
    const list = await w.call('CLIENT', 'LIST', 'ID', id);
    s.log.push(`flags: ${/flags=(\w+)/.exec(list)?.[1]} cmd: ${/cmd=(\S+)/.exec(list)?.[1]}`);
    const info = await w.call('INFO', 'clients');
    s.log.push(/blocked_clients:\d+/.exec(info)![0]);
    await s.call(w, 'w', 'CLIENT', 'UNBLOCK', id);
    await s.read(c1, 'c1 unblocked');
    await s.call(w, 'w', 'CLIENT', 'UNBLOCK', id);
    s.send(c1, 'BRPOPLPUSH', 'k', 'd', '0');
    await s.blocked(1);
    await s.call(w, 'w', 'CLIENT', 'UNBLOCK', id, 'TIMEOUT');
    await s.read(c1, 'c1 timeout');
    s.send(c1, 'BLMPOP', '0', '1', 'k', 'LEFT');
    await s.blocked(1);
    await s.call(w, 'w', 'CLIENT', 'UNBLOCK', id, 'error');
    await s.read(c1, 'c1 error');
    await s.call(w, 'w', 'CLIENT', 'UNBLOCK', id, 'FOO');
    await s.call(w, 'w', 'CLIENT', 'UNBLOCK', 'x');
    await s.call(w, 'w', 'CLIENT', 'UNBLOCK', '999999');
    await s.call(w, 'w', 'CLIENT', 'UNBLOCK', id, 'ERROR', 'x');
    await s.call(c1, 'c1', 'PING');
  });
});

test('pipelined commands after a blocking one wait for it', async () => {
  await same(async (s) => {
    const [c1, w] = [await s.conn(), await s.conn()];
    c1.write(Buffer.concat([encode(['BLPOP', 'k', '0']), encode(['RPUSH', 'after', '1']), encode(['PING'])]));
    await s.blocked(1);
    await s.call(w, 'w', 'EXISTS', 'after');
    await s.call(w, 'w', 'RPUSH', 'k', 'v');
    await s.read(c1, 'c1 blpop');
    await s.read(c1, 'c1 rpush');
    await s.read(c1, 'c1 ping');
    await s.call(w, 'w', 'EXISTS', 'after');
    // a blocking command served at once in a pipeline does not stop the rest
    c1.write(Buffer.concat([encode(['RPUSH', 'k', 'x']), encode(['BLPOP', 'k', '0']), encode(['PING'])]));
    await s.read(c1, 'c1');
    await s.read(c1, 'c1');
    await s.read(c1, 'c1');
  });
});

test('BZPOPMIN, BZPOPMAX and BZMPOP block and are woken by ZADD', async () => {
  await same(async (s) => {
    const [c1, c2, c3, w] = [await s.conn(), await s.conn(), await s.conn(), await s.conn()];
    await s.call(c3, 'c3', 'HELLO', '3').then(() => (s.log[s.log.length - 1] = 'hello'));
    await s.call(w, 'w', 'ZADD', 'z', '1', 'a', '2', 'b', '3', 'c');
    await s.call(w, 'w', 'BZPOPMIN', 'z', '0');
    await s.call(w, 'w', 'BZPOPMAX', 'nokey', 'z', '0');
    await s.call(w, 'w', 'BZMPOP', '0', '1', 'z', 'MIN', 'COUNT', '5');
    await s.call(w, 'w', 'BZPOPMIN', 'z', '0.01');
    await s.call(w, 'w', 'BZPOPMIN', 'z', 'x');
    await s.call(w, 'w', 'BZMPOP', '0', '1', 'z', 'FOO');
    await s.call(w, 'w', 'SET', 's', 'v');
    await s.call(w, 'w', 'BZPOPMIN', 's', '0');
    s.send(c1, 'BZPOPMIN', 'z', '0');
    await s.blocked(1);
    s.send(c2, 'BZPOPMAX', 'z', '0');
    await s.blocked(2);
    s.send(c3, 'BZMPOP', '0', '1', 'z', 'MAX', 'COUNT', '2');
    await s.blocked(3);
    await s.call(w, 'w', 'RPUSH', 'z2', 'not-a-zset');
    await s.call(w, 'w', 'ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5.5', 'e');
    await s.read(c1, 'c1');
    await s.read(c2, 'c2');
    await s.read(c3, 'c3');
    await s.call(w, 'w', 'ZRANGE', 'z', '0', '-1');
    s.send(c1, 'BZPOPMIN', 'z9', '0.05');
    await s.read(c1, 'timeout');
  });
});
