/**
 * Pub/sub and client side caching through real clients (ioredis, and
 * node-redis in RESP2 and RESP3), and the pub/sub output buffer limit: a
 * subscriber that stops reading is disconnected while memory stays bounded
 * and the other subscribers get every message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { RawConn, startTsdis } from '../helpers/servers.js';
import { encode } from '../helpers/resp.js';
import { clientOutputBytes } from '../../src/observability/clientlist.js';

/** Resolves when pred() holds (polling), rejects after ms. */
async function until(pred: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('ioredis: subscribe, psubscribe, ssubscribe, binary payloads', async () => {
  const s = await startTsdis();
  const sub = new Redis({ port: s.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  const pub = new Redis({ port: s.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  try {
    const got: string[] = [];
    sub.on('message', (ch: string, m: string) => got.push(`message ${ch} ${m}`));
    sub.on('pmessage', (p: string, ch: string, m: string) => got.push(`pmessage ${p} ${ch} ${m}`));
    sub.on('smessage', (ch: string, m: string) => got.push(`smessage ${ch} ${m}`));
    const bin: Buffer[] = [];
    sub.on('messageBuffer', (ch: Buffer, m: Buffer) => {
      if (ch.toString() === 'bin') bin.push(m);
    });
    assert.equal(await sub.subscribe('news', 'bin'), 2);
    assert.equal(await sub.psubscribe('n*'), 3);
    assert.equal(await sub.ssubscribe('shard'), 1);
    assert.equal(await pub.publish('news', 'hi'), 2);
    assert.equal(await pub.spublish('shard', 'sh'), 1);
    const payload = Buffer.from([0, 255, 13, 10, 128]);
    assert.equal(await pub.publish('bin', payload), 1);
    await until(() => got.length >= 4 && bin.length === 1);
    assert.deepEqual(got.slice(0, 3), ['message news hi', 'pmessage n* news hi', 'smessage shard sh']);
    assert.deepEqual(bin[0], payload);
    assert.deepEqual(await pub.pubsub('NUMSUB', 'news'), ['news', 1]);
    assert.equal(await pub.pubsub('NUMPAT'), 1);
    // (invalidations through __redis__:invalidate carry an array payload, which
    // ioredis does not surface as a message; test/commands/pubsub.test.ts checks them raw)
  } finally {
    sub.disconnect();
    pub.disconnect();
    await s.close();
  }
});

test('node-redis RESP2 and RESP3: subscribe, pSubscribe, sSubscribe and unsubscribe', async () => {
  const s = await startTsdis();
  for (const RESP of [2, 3] as const) {
    const c = createClient({ url: `redis://127.0.0.1:${s.port}`, RESP, socket: { reconnectStrategy: false } });
    c.on('error', () => {});
    await c.connect();
    const sub = c.duplicate();
    sub.on('error', () => {});
    await sub.connect();
    try {
      const got: string[] = [];
      await sub.subscribe('ch', (m, ch) => got.push(`${ch}:${m}`));
      await sub.pSubscribe('c*', (m, ch) => got.push(`p ${ch}:${m}`));
      await sub.sSubscribe('sh', (m, ch) => got.push(`s ${ch}:${m}`));
      assert.equal(await c.publish('ch', 'one'), 2);
      assert.equal(await c.sPublish('sh', 'two'), 1);
      await until(() => got.length === 3);
      assert.deepEqual(got.sort(), ['ch:one', 'p ch:one', 's sh:two']);
      if (RESP === 3) assert.equal(await sub.get('k'), null); // commands keep working in RESP3
      await sub.unsubscribe('ch');
      await sub.pUnsubscribe('c*');
      await sub.sUnsubscribe('sh');
      assert.equal(await c.publish('ch', 'x'), 0);
      assert.deepEqual(await c.pubSubNumSub('ch'), { ch: 0 });
    } finally {
      sub.destroy();
      c.destroy();
    }
  }
  await s.close();
});

test('node-redis RESP3 client side cache is invalidated by writes from another client', async () => {
  const s = await startTsdis();
  const c = createClient({
    url: `redis://127.0.0.1:${s.port}`,
    RESP: 3,
    clientSideCache: { ttl: 0, maxEntries: 0 },
    socket: { reconnectStrategy: false },
  });
  const w = createClient({ url: `redis://127.0.0.1:${s.port}`, socket: { reconnectStrategy: false } });
  c.on('error', () => {});
  w.on('error', () => {});
  await c.connect();
  await w.connect();
  try {
    await w.set('k', '1');
    assert.equal(await c.get('k'), '1');
    assert.equal(await c.get('k'), '1'); // served from the cache
    const info = String(await w.sendCommand(['INFO', 'stats']));
    assert.match(info, /tracking_total_keys:1\r\n/);
    await w.set('k', '2');
    // a cache never invalidated would keep answering '1'
    const end = Date.now() + 3000;
    let v: unknown = await c.get('k');
    while (v !== '2' && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 10));
      v = await c.get('k');
    }
    assert.equal(v, '2');
  } finally {
    c.destroy();
    w.destroy();
    await s.close();
  }
});

test('a subscriber that stops reading is disconnected at the pubsub limit; memory stays bounded; others get everything', async () => {
  const s = await startTsdis(); // default: client-output-buffer-limit pubsub 32mb 8mb 60
  const slow = await RawConn.connect(s.port);
  const fast = await RawConn.connect(s.port);
  const pub = await RawConn.connect(s.port);
  try {
    await slow.call('SUBSCRIBE', 'feed');
    await fast.call('SUBSCRIBE', 'feed');
    slow.sock.pause(); // stops reading: the kernel buffers fill, then the server's
    let fastBytes = 0;
    fast.sock.removeAllListeners('data');
    fast.sock.on('data', (d: Buffer) => (fastBytes += d.length));
    const msg = 'x'.repeat(100 * 1024);
    const perMsg = `*3\r\n$7\r\nmessage\r\n$4\r\nfeed\r\n$${msg.length}\r\n${msg}\r\n`.length;
    const batches = 12;
    const perBatch = 50; // 5 MB a batch, 60 MB in all: twice the hard limit
    let maxHeld = 0;
    let slowGoneAt = -1;
    const slowClient = () =>
      [...s.server.clients.values()].find((c) => c.channels?.size && c.socket?.remotePort === slow.sock.localPort);
    for (let b = 0; b < batches; b++) {
      const cmds: Buffer[] = [];
      for (let i = 0; i < perBatch; i++) cmds.push(encode(['PUBLISH', 'feed', msg]));
      pub.write(Buffer.concat(cmds));
      for (let i = 0; i < perBatch; i++) await pub.read(10000);
      const sc = slowClient();
      if (sc) maxHeld = Math.max(maxHeld, clientOutputBytes(sc));
      else if (slowGoneAt < 0) slowGoneAt = b;
    }
    await until(() => fastBytes >= batches * perBatch * perMsg, 10000);
    assert.ok(slowGoneAt >= 0, 'the slow subscriber was disconnected');
    assert.ok(maxHeld <= 32 * 1024 * 1024 + 2 * perMsg, `held ${maxHeld} bytes for the slow subscriber`);
    assert.equal(fastBytes, batches * perBatch * perMsg, 'the reading subscriber got every message');
    assert.equal(s.server.stats.clientOutputLimitDisconnections, 1);
    assert.equal(await pub.call('PUBSUB', 'NUMSUB', 'feed'), '*2\r\n$4\r\nfeed\r\n:1\r\n');
  } finally {
    slow.close();
    fast.close();
    pub.close();
    await s.close();
  }
});
