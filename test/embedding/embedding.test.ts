/**
 * The embedding API: createServer() starts fast on a free port, servers in
 * one process are independent, close() releases every handle, call() runs
 * commands in-process, and real clients (ioredis, node-redis with RESP2 and
 * RESP3) work against it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { createServer, ReplyError } from '../../src/index.js';
import { RawConn } from '../helpers/servers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Handle kinds that belong to servers and sockets (ignoring the runner's own). */
function handles(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) {
    if (
      r === 'TCPServerWrap' ||
      r === 'TCPSocketWrap' ||
      r === 'Timeout' ||
      r === 'Immediate' ||
      r === 'PipeWrap' ||
      r === 'PipeServerWrap'
    ) {
      out[r] = (out[r] ?? 0) + 1;
    }
  }
  return out;
}

/** Waits for the handle set to come back to `want` (closing handles linger a tick). */
async function handlesBackTo(want: Record<string, number>): Promise<void> {
  const end = Date.now() + 2000;
  for (;;) {
    const now = handles();
    if (JSON.stringify(now) === JSON.stringify(want)) return;
    if (Date.now() > end) assert.deepEqual(now, want, 'handles left open after close()');
    await sleep(10);
  }
}

test('createServer() starts on a free port quickly', async () => {
  const t0 = performance.now();
  const s = await createServer();
  const ms = performance.now() - t0;
  try {
    assert.ok(s.port > 0);
    assert.equal(s.host, '127.0.0.1');
    assert.equal(s.url, `redis://127.0.0.1:${s.port}`);
    assert.ok(ms < 1000, `started in ${ms.toFixed(1)} ms`);
    const c = await RawConn.connect(s.port);
    assert.equal(await c.call('PING'), '+PONG\r\n');
    c.close();
  } finally {
    await s.close();
  }
  // and a second start is fast too (warm)
  const t1 = performance.now();
  const s2 = await createServer();
  assert.ok(performance.now() - t1 < 200, 'warm start under 200 ms');
  await s2.close();
});

test('several servers in one process are independent', async () => {
  const [a, b, c] = await Promise.all([createServer(), createServer(), createServer({ config: { databases: 2 } })]);
  try {
    assert.equal(new Set([a.port, b.port, c.port]).size, 3);
    assert.equal(await a.call('SET', 'k', 'in-a'), 'OK');
    assert.equal(await b.call('GET', 'k'), null);
    assert.equal(await b.call('SET', 'k', 'in-b'), 'OK');
    assert.equal(await a.call('GET', 'k'), 'in-a');
    const ra = await RawConn.connect(a.port);
    const rb = await RawConn.connect(b.port);
    assert.equal(await ra.call('GET', 'k'), '$4\r\nin-a\r\n');
    assert.equal(await rb.call('GET', 'k'), '$4\r\nin-b\r\n');
    assert.equal(await rb.call('SELECT', '5'), '+OK\r\n');
    const rc = await RawConn.connect(c.port);
    assert.equal(await rc.call('SELECT', '5'), '-ERR DB index is out of range\r\n');
    ra.close();
    rb.close();
    rc.close();
    // closing one leaves the others running
    await a.close();
    assert.equal(await b.call('GET', 'k'), 'in-b');
    const rb2 = await RawConn.connect(b.port);
    assert.equal(await rb2.call('PING'), '+PONG\r\n');
    rb2.close();
  } finally {
    await Promise.all([a.close(), b.close(), c.close()]);
  }
});

test('close() leaves no open handles, with clients still connected', async () => {
  await sleep(20);
  const before = handles();
  const s = await createServer();
  const conns = await Promise.all([RawConn.connect(s.port), RawConn.connect(s.port), RawConn.connect(s.port)]);
  for (const c of conns) assert.equal(await c.call('PING'), '+PONG\r\n');
  // a half-sent command, so a client is mid-parse
  conns[0]!.write('*2\r\n$3\r\nGET\r\n');
  await s.close();
  // the server closed them: the client side sees the close
  for (const c of conns) await c.readUntilClose(2000);
  await handlesBackTo(before);
  // connecting now fails
  await assert.rejects(RawConn.connect(s.port), /ECONNREFUSED/);
});

test('call() runs commands in-process and resolves error replies as ReplyError values', async () => {
  const s = await createServer({ noListen: true });
  try {
    assert.equal(s.port, 0);
    assert.equal(await s.call('PING'), 'PONG');
    assert.equal(await s.call('SET', 'n', 41), 'OK');
    assert.equal(await s.call('INCR', 'n'), 42);
    assert.equal(await s.call('SET', Buffer.from([0xff, 0x00]), Buffer.from([1, 2, 3])), 'OK');
    assert.equal(await s.call('STRLEN', Buffer.from([0xff, 0x00])), 3);
    const err = await s.call('NOSUCH', 'x');
    assert.ok(err instanceof ReplyError);
    assert.equal((err as ReplyError).message, "ERR unknown command 'NOSUCH', with args beginning with: 'x' ");
    const wrong = await s.call('GET');
    assert.ok(wrong instanceof ReplyError && /wrong number of arguments/.test(wrong.message));
  } finally {
    await s.close();
  }
});

test('ioredis connects and works (commands, pipeline, binary values)', async () => {
  const s = await createServer();
  const before = Date.now();
  const r = new Redis({
    port: s.port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await r.connect();
    assert.equal(await r.ping(), 'PONG');
    assert.equal(await r.set('greeting', 'hello'), 'OK');
    assert.equal(await r.get('greeting'), 'hello');
    assert.equal(await r.incrby('counter', 5), 5);
    const res = await r.pipeline().set('a', '1').get('a').incr('a').exec();
    assert.deepEqual(res, [
      [null, 'OK'],
      [null, '1'],
      [null, 2],
    ]);
    const bin = Buffer.from([0, 1, 2, 0xff, 13, 10]);
    await r.set('bin', bin);
    assert.deepEqual(await r.getBuffer('bin'), bin);
    await assert.rejects(r.call('NOSUCH'), /unknown command/);
    assert.equal(await s.call('GET', 'greeting'), 'hello');
    assert.ok(Date.now() - before < 5000);
  } finally {
    r.disconnect();
    await s.close();
  }
});

test('node-redis connects with RESP2 and with RESP3', async () => {
  const s = await createServer();
  try {
    for (const RESP of [2, 3] as const) {
      const c = createClient({ socket: { port: s.port, host: '127.0.0.1', reconnectStrategy: false }, RESP });
      c.on('error', () => {});
      await c.connect();
      try {
        assert.equal(await c.ping(), 'PONG');
        assert.equal(await c.set(`k${RESP}`, 'v'), 'OK');
        assert.equal(await c.get(`k${RESP}`), 'v');
        assert.equal(await c.incr(`n${RESP}`), 1);
        const multi = await c
          .multi()
          .set('m', '1')
          .get('m')
          .exec()
          .catch((e: Error) => e);
        // MULTI may not exist yet; when it does, it must work
        if (!(multi instanceof Error)) assert.deepEqual(multi, ['OK', '1']);
        assert.equal(await c.sendCommand(['ECHO', 'raw']), 'raw');
      } finally {
        c.destroy();
      }
    }
  } finally {
    await s.close();
  }
});

test('createServer() persists: an RDB saved by one embedded server is loaded by the next, an AOF too', async () => {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-embed-'));
  try {
    const a = await createServer({ config: { dir } });
    await a.call('SET', 'k', 'v');
    await a.call('RPUSH', 'l', 'x', 'y');
    assert.equal(await a.call('SAVE'), 'OK');
    await a.close();
    const b = await createServer({ config: { dir } });
    assert.equal(await b.call('GET', 'k'), 'v');
    assert.deepEqual(await b.call('LRANGE', 'l', '0', '-1'), ['x', 'y']);
    await b.close();
    // a corrupt RDB: createServer rejects instead of starting empty
    const file = path.join(dir, 'dump.rdb');
    const bytes = fs.readFileSync(file);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 3) ^ 0xff, bytes.length - 3); // inside the checksum
    fs.writeFileSync(file, bytes);
    await assert.rejects(createServer({ config: { dir } }), /checksum|CRC|Bad file format|Wrong RDB/i);
    fs.unlinkSync(file);
    // appendonly: the AOF is replayed by the next server in the same dir
    const c = await createServer({ config: { dir, appendonly: 'yes' } });
    await c.call('SET', 'a', '1');
    await c.call('INCR', 'a');
    await c.close();
    const d = await createServer({ config: { dir, appendonly: 'yes' } });
    assert.equal(await d.call('GET', 'a'), '2');
    await d.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
