/**
 * Replies written through the socket's handle (server/socket.ts
 * DirectWriter): a reply the kernel cannot take at once is left to libuv,
 * counted in the client's output buffer (CLIENT LIST omem) until it is sent,
 * and the replies after it follow in order; a client that reads nothing is
 * still closed at its output limit; the fallback through socket.write
 * (TSDIS_PLAIN_SOCKETS) gives the same bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startTsdis, RawConn } from '../helpers/servers.js';
import { until } from '../helpers/wait.js';

const MB = 1024 * 1024;

/** The CLIENT LIST field `name` of client `id`, read through `admin`. */
async function clientField(admin: RawConn, id: number, name: string): Promise<number> {
  const list = await admin.call('CLIENT', 'LIST', 'ID', String(id));
  const m = new RegExp(`\\b${name}=(\\d+)`).exec(list);
  assert.ok(m, `${name}= in ${list}`);
  return Number(m[1]);
}

/** Collects what `sock` receives until `want` bytes arrived. */
function collect(sock: net.Socket, want: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let n = 0;
    const timer = setTimeout(() => reject(new Error(`only ${n} of ${want} bytes arrived`)), 30000);
    sock.on('data', (d: Buffer) => {
      parts.push(d);
      n += d.length;
      if (n >= want) {
        clearTimeout(timer);
        resolve(Buffer.concat(parts));
      }
    });
    sock.resume();
  });
}

for (const plain of [false, true]) {
  test(`a reply bigger than the socket takes is counted until sent and the next follows in order${plain ? ' (TSDIS_PLAIN_SOCKETS)' : ''}`, async () => {
    const saved = process.env['TSDIS_PLAIN_SOCKETS'];
    if (plain) process.env['TSDIS_PLAIN_SOCKETS'] = '1';
    const srv = await startTsdis();
    const admin = await RawConn.connect(srv.port);
    const slow = net.connect(srv.port, '127.0.0.1');
    try {
      const value = Buffer.alloc(24 * MB);
      for (let i = 0; i < value.length; i++) value[i] = (i * 31) & 0xff;
      assert.equal(await srv.call('SET', 'big', value), 'OK');
      await new Promise<void>((r) => slow.once('connect', () => r()));
      slow.pause();
      slow.write('CLIENT ID\r\n');
      const idLine = await new Promise<string>((r) => {
        slow.once('data', (d: Buffer) => {
          slow.pause();
          r(d.toString('latin1'));
        });
        slow.resume();
      });
      const id = Number(/^:(\d+)\r\n$/.exec(idLine)![1]);
      const client = srv.server.clients.get(id)!;
      assert.equal(client.direct !== null, !plain, 'replies go through the handle unless TSDIS_PLAIN_SOCKETS');
      // 24 MB the peer does not read, then a PING behind it
      slow.write('GET big\r\nPING\r\n');
      const held = await until(
        'the unsent reply counted in omem',
        async () => {
          const omem = await clientField(admin, id, 'omem');
          return omem > 0 ? omem : 0;
        },
        { timeout: 15000 },
      );
      assert.ok(held <= 24 * MB + 64, `omem ${held}`);
      const head = `$${value.length}\r\n`;
      const want = head.length + value.length + 2 + '+PONG\r\n'.length;
      const got = await collect(slow, want);
      assert.equal(got.length, want);
      assert.equal(got.subarray(0, head.length).toString('latin1'), head);
      assert.ok(got.subarray(head.length, head.length + value.length).equals(value), 'the value, byte for byte');
      assert.equal(got.subarray(head.length + value.length).toString('latin1'), '\r\n+PONG\r\n');
      await until('omem back to 0', async () => (await clientField(admin, id, 'omem')) === 0, { timeout: 15000 });
    } finally {
      if (plain) {
        if (saved === undefined) delete process.env['TSDIS_PLAIN_SOCKETS'];
        else process.env['TSDIS_PLAIN_SOCKETS'] = saved;
      }
      slow.destroy();
      admin.close();
      await srv.close();
    }
  });
}

test('a client that reads nothing is closed at its hard output limit, replies through the handle or not', async () => {
  const srv = await startTsdis({ config: { 'client-output-buffer-limit': 'normal 4mb 0 0' } });
  const slow = net.connect(srv.port, '127.0.0.1');
  try {
    await srv.call('SET', 'v', Buffer.alloc(1 * MB, 0x61));
    await new Promise<void>((r) => slow.once('connect', () => r()));
    slow.pause();
    const closed = new Promise<void>((r) => slow.once('close', () => r()));
    slow.on('error', () => {});
    // 64 MB of replies asked for in one go, none read
    slow.write('GET v\r\n'.repeat(64));
    await until('the client closed at its limit', () => srv.server.stats.clientOutputLimitDisconnections > 0, {
      timeout: 15000,
    });
    slow.resume();
    await closed;
  } finally {
    slow.destroy();
    await srv.close();
  }
});

test('a reply longer than V8 strings can be is an error, and the connection stays in step', async () => {
  // A reply is one string, and V8's longest is 2^29 - 24 chars: an LRANGE of 513 MB cannot be
  // sent (Redis would send it; README, Known differences). The command's reply is dropped whole,
  // its array header too, so the next reply is the next command's.
  const srv = await startTsdis();
  const c = await RawConn.connect(srv.port);
  try {
    const script = `local v = string.rep('x', ${MB}) for i = 1, 513 do redis.call('RPUSH', KEYS[1], v) end`;
    assert.equal(await c.call('EVAL', script, '1', 'big'), '$-1\r\n');
    c.write('*4\r\n$6\r\nLRANGE\r\n$3\r\nbig\r\n$1\r\n0\r\n$2\r\n-1\r\n*1\r\n$4\r\nPING\r\n');
    assert.match(await c.read(30000), /^-ERR internal error: a reply of more than \d+ bytes\r\n$/);
    assert.equal(await c.read(), '+PONG\r\n');
    assert.equal(await c.call('LRANGE', 'big', '0', '0'), `*1\r\n$${MB}\r\n${'x'.repeat(MB)}\r\n`);
    assert.equal(await c.call('DEL', 'big'), ':1\r\n');
  } finally {
    c.close();
    await srv.close();
  }
});
