/**
 * Transactions through real clients: ioredis and node-redis MULTI/EXEC
 * pipelines, optimistic locking with WATCH retried by several concurrent
 * connections (no increment lost), an aborted EXEC surfacing as each
 * client's null/WatchError, and atomicity as another client sees it (a
 * reader never observes half a transaction).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createClient, WatchError } from 'redis';
import { startTsdis } from '../helpers/servers.js';

test('ioredis: MULTI/EXEC replies, EXECABORT, WATCH optimistic locking from 5 connections', async () => {
  const s = await startTsdis();
  const opts = { port: s.port, host: '127.0.0.1', maxRetriesPerRequest: 1 };
  const r = new Redis(opts);
  const workers = Array.from({ length: 5 }, () => new Redis(opts));
  try {
    const res = await r.multi().set('k', '1').incr('k').get('k').lpush('k', 'x').exec();
    assert.deepEqual(res?.slice(0, 3), [
      [null, 'OK'],
      [null, 2],
      [null, '2'],
    ]);
    assert.match(String(res?.[3]?.[0]), /^ReplyError: WRONGTYPE/);
    await assert.rejects(r.multi().set('a', '1').call('NOSUCH').exec(), /EXECABORT/);
    assert.equal(await r.exists('a'), 0);

    // each worker adds 1 twenty times with WATCH/GET/MULTI/SET/EXEC, retrying when aborted
    await r.set('counter', '0');
    let retries = 0;
    await Promise.all(
      workers.map(async (w) => {
        for (let i = 0; i < 20; i++) {
          for (let attempt = 0; ; attempt++) {
            assert.ok(attempt < 1000, 'bounded retries');
            await w.watch('counter');
            const v = Number(await w.get('counter'));
            const out = await w
              .multi()
              .set('counter', String(v + 1))
              .exec();
            if (out !== null) break;
            retries++;
          }
        }
      }),
    );
    assert.equal(await r.get('counter'), '100');
    assert.ok(retries > 0, 'concurrent workers must have collided at least once');
  } finally {
    r.disconnect();
    for (const w of workers) w.disconnect();
    await s.close();
  }
});

test('node-redis: multi().exec(), WatchError when a watched key changes', async () => {
  const s = await startTsdis();
  const c = createClient({
    url: `redis://127.0.0.1:${s.port}`,
    socket: { reconnectStrategy: false, connectTimeout: 2000 },
  });
  const o = c.duplicate();
  c.on('error', () => {});
  o.on('error', () => {});
  try {
    await c.connect();
    await o.connect();
    assert.deepEqual(await c.multi().set('k', 'v').get('k').incr('n').exec(), ['OK', 'v', 1]);
    await c.watch('k');
    await o.set('k', 'changed');
    await assert.rejects(c.multi().set('k', 'mine').exec(), (e: unknown) => e instanceof WatchError);
    assert.equal(await c.get('k'), 'changed');
    await c.watch('k');
    assert.deepEqual(await c.multi().set('k', 'mine').exec(), ['OK']);
    assert.equal(await o.get('k'), 'mine');
  } finally {
    c.destroy();
    o.destroy();
    await s.close();
  }
});

test('atomic for other clients: a reader never sees half of a transaction', async () => {
  const s = await startTsdis();
  const opts = { port: s.port, host: '127.0.0.1', maxRetriesPerRequest: 1 };
  const writer = new Redis(opts);
  const reader = new Redis(opts);
  try {
    await writer.mset('a', '0', 'b', '0');
    let stop = false;
    let reads = 0;
    const readLoop = (async () => {
      while (!stop) {
        const [a, b] = await reader.mget('a', 'b');
        assert.equal(a, b, `saw a=${a} b=${b}`);
        reads++;
      }
    })();
    for (let i = 1; i <= 300; i++) {
      // pipelined: the two SETs arrive in separate reads as often as not
      await writer.multi().set('a', String(i)).incr('noise').set('b', String(i)).exec();
    }
    stop = true;
    await readLoop;
    assert.ok(reads > 10);
    assert.deepEqual(await reader.mget('a', 'b'), ['300', '300']);
  } finally {
    writer.disconnect();
    reader.disconnect();
    await s.close();
  }
});
