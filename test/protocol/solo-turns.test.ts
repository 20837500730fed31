/**
 * Solo mode (server/before-sleep.ts): while one client is served turn after
 * turn, the turn's end (replies written, beforeSleep's hooks) comes at the
 * end of its read, not in a setImmediate; serving a second client brings
 * the gathered turn back. Replies, blocked clients and pub/sub are served
 * the same either way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTsdis, RawConn } from '../helpers/servers.js';
import { until } from '../helpers/wait.js';
import type { TsdisServer } from '../../src/index.js';

/** Whether the server is in solo mode (a private field, read for the test). */
function solo(srv: TsdisServer): boolean {
  return (srv.server.beforeSleep as unknown as { solo: boolean }).solo;
}

/** setImmediate calls made while `f` runs (the server runs in this process). */
async function immediatesDuring(f: () => Promise<void>): Promise<number> {
  const real = globalThis.setImmediate;
  let n = 0;
  globalThis.setImmediate = ((...a: Parameters<typeof setImmediate>) => {
    n++;
    return real(...a);
  }) as typeof setImmediate;
  try {
    await f();
  } finally {
    globalThis.setImmediate = real;
  }
  return n;
}

test('one client served turn after turn: each read ends its turn, without a setImmediate', async () => {
  const srv = await startTsdis();
  const a = await RawConn.connect(srv.port);
  try {
    // gathered turns first: every command's flush is a setImmediate
    const before = await immediatesDuring(async () => {
      for (let i = 0; i < 10; i++) assert.equal(await a.call('PING'), '+PONG\r\n');
    });
    assert.ok(before >= 10, `${before} setImmediate calls for 10 commands`);
    for (let i = 0; i < 40; i++) assert.equal(await a.call('SET', `k${i}`, `v${i}`), '+OK\r\n');
    assert.equal(solo(srv), true);
    // solo: only the odd probe
    const during = await immediatesDuring(async () => {
      for (let i = 0; i < 20; i++) assert.equal(await a.call('GET', `k${i}`), `$${`v${i}`.length}\r\nv${i}\r\n`);
    });
    assert.ok(during <= 2, `${during} setImmediate calls for 20 commands in solo mode`);
  } finally {
    a.close();
    await srv.close();
  }
});

test('solo mode: a blocked client, a subscriber and a second client are served, and the turn is gathered again', async () => {
  const srv = await startTsdis();
  const a = await RawConn.connect(srv.port);
  const blocked = await RawConn.connect(srv.port);
  const sub = await RawConn.connect(srv.port);
  const b = await RawConn.connect(srv.port);
  try {
    assert.match(await sub.call('SUBSCRIBE', 'ch'), /subscribe/);
    blocked.write('BLPOP q 0\r\n');
    await until('BLPOP blocked', async () => (await a.call('CLIENT', 'LIST')).includes('cmd=blpop'));
    for (let i = 0; i < 40; i++) assert.equal(await a.call('INCR', 'n'), `:${i + 1}\r\n`);
    assert.equal(solo(srv), true);
    // the solo client's write wakes the blocked one, its publish reaches the subscriber
    assert.equal(await a.call('LPUSH', 'q', 'x'), ':1\r\n');
    assert.equal(await blocked.read(), '*2\r\n$1\r\nq\r\n$1\r\nx\r\n');
    assert.equal(await a.call('PUBLISH', 'ch', 'hello'), ':1\r\n');
    assert.equal(await sub.read(), '*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n');
    // (serving the subscriber too ended solo mode; the one client brings it back)
    assert.equal(solo(srv), false);
    for (let i = 0; i < 40; i++) assert.equal(await a.call('PING'), '+PONG\r\n');
    assert.equal(solo(srv), true);
    // two clients at once, pipelining: every reply in order, and solo mode ends
    for (let round = 0; round < 5; round++) {
      for (const [c, tag] of [
        [a, 'a'],
        [b, 'b'],
      ] as const)
        c.write(Array.from({ length: 50 }, (_, i) => `ECHO ${tag}${round}-${i}\r\n`).join(''));
      for (const [c, tag] of [
        [a, 'a'],
        [b, 'b'],
      ] as const)
        for (let i = 0; i < 50; i++) {
          const s = `${tag}${round}-${i}`;
          assert.equal(await c.read(), `$${s.length}\r\n${s}\r\n`);
        }
    }
    assert.equal(solo(srv), false);
  } finally {
    for (const c of [a, blocked, sub, b]) c.close();
    await srv.close();
  }
});
