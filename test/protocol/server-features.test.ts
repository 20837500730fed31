/**
 * Connection-level server features, through real sockets: bind (optional
 * addresses, `*`), the unix socket and its permissions, maxclients, idle
 * timeout, tcp-keepalive, protected mode, requirepass, output buffer limits
 * and read pausing for clients that pipeline without reading.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTsdis, RawConn, freePort } from '../helpers/servers.js';
import { encode } from '../helpers/resp.js';
import { isLoopback } from '../../src/server/socket.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until pred() holds, polling, or fails after ms. */
async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

test('bind: several addresses share one port; "-" addresses are optional', async () => {
  const s = await startTsdis({ config: { bind: '127.0.0.1 -::1 -10.254.254.254' } });
  try {
    const addrs = s.server.addresses();
    assert.ok(addrs.some((a) => a.address === '127.0.0.1'));
    assert.ok(
      addrs.every((a) => a.port === s.port),
      'all on one port',
    );
    assert.ok(!addrs.some((a) => a.address === '10.254.254.254'));
    const c = await RawConn.connect(s.port);
    assert.equal(await c.call('PING'), '+PONG\r\n');
    c.close();
    if (addrs.some((a) => a.address === '::1')) {
      const c6 = await RawConn.connect(s.port, '::1');
      assert.equal(await c6.call('PING'), '+PONG\r\n');
      c6.close();
    }
  } finally {
    await s.close();
  }
});

test('bind: a required address that is unavailable or in use fails, leaving nothing open', async () => {
  const listeners = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
  await until(() => listeners() === 0, 2000, 'earlier listeners to close');
  const before = 0;
  await assert.rejects(startTsdis({ config: { bind: '127.0.0.1 10.254.254.254' } }), /EADDRNOTAVAIL/);
  const port = await freePort();
  const blocker = net.createServer().listen(port, '127.0.0.1');
  await new Promise((r) => blocker.once('listening', r));
  try {
    // "-" does not excuse an address in use
    await assert.rejects(startTsdis({ port, config: { bind: '-127.0.0.1' } }), /EADDRINUSE/);
  } finally {
    await new Promise((r) => blocker.close(r));
  }
  await until(() => listeners() === before, 2000, 'listeners to close');
});

test('bind: * and ::* listen on every IPv4 / IPv6 address (IPv6 sockets are v6-only)', async () => {
  const s = await startTsdis({ config: { bind: '* -::*' } });
  try {
    const addrs = s.server.addresses();
    assert.ok(addrs.some((a) => a.address === '0.0.0.0'));
    const c = await RawConn.connect(s.port, '127.0.0.1');
    assert.equal(await c.call('PING'), '+PONG\r\n');
    c.close();
  } finally {
    await s.close();
  }
});

test('unixsocket with unixsocketperm; addr is path:0; the file is removed on close', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-unix-'));
  const sock = path.join(dir, 'tsdis.sock');
  fs.writeFileSync(path.join(dir, 'marker'), '');
  const s = await startTsdis({ config: { unixsocket: sock, unixsocketperm: '700' } });
  try {
    assert.equal(fs.statSync(sock).mode & 0o777, 0o700);
    const c = net.connect(sock);
    await new Promise((r) => c.once('connect', r));
    c.write(encode(['PING']));
    const reply = await new Promise<string>((r) => c.once('data', (d) => r(d.toString())));
    assert.equal(reply, '+PONG\r\n');
    const client = [...s.server.clients.values()].find((x) => x.kind === 'unix');
    assert.equal(client?.addr, `${sock}:0`);
    c.destroy();
  } finally {
    await s.close();
  }
  assert.equal(fs.existsSync(sock), false);
  // a stale socket file left by a crash does not stop the next start
  const stale = net.createServer().listen(sock);
  await new Promise((r) => stale.once('listening', r));
  // simulate the crash: forget the listener without unlinking
  (stale as unknown as { _handle: { close(): void } | null })._handle?.close();
  const s2 = await startTsdis({ config: { unixsocket: sock } });
  await s2.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('maxclients: the connection over the limit gets the error and is closed', async () => {
  const s = await startTsdis({ config: { maxclients: 2 } });
  try {
    const a = await RawConn.connect(s.port);
    const b = await RawConn.connect(s.port);
    assert.equal(await a.call('PING'), '+PONG\r\n');
    assert.equal(await b.call('PING'), '+PONG\r\n');
    const c = await RawConn.connect(s.port);
    assert.equal(await c.readUntilClose(), '-ERR max number of clients reached\r\n');
    a.close();
    await until(() => s.server.clients.size === 1, 2000, 'a client to go');
    const d = await RawConn.connect(s.port);
    assert.equal(await d.call('PING'), '+PONG\r\n');
    b.close();
    d.close();
  } finally {
    await s.close();
  }
});

test('timeout: idle clients are closed, active ones are not', async () => {
  const s = await startTsdis({ config: { timeout: 1, hz: 50 } });
  try {
    const idle = await RawConn.connect(s.port);
    const busy = await RawConn.connect(s.port);
    assert.equal(await idle.call('PING'), '+PONG\r\n');
    const t0 = Date.now();
    let closedAt = 0;
    while (Date.now() - t0 < 3500 && !closedAt) {
      assert.equal(await busy.call('PING'), '+PONG\r\n');
      if (idle.closed) closedAt = Date.now();
      await sleep(20);
    }
    assert.ok(closedAt > 0, 'idle client closed');
    assert.ok(closedAt - t0 >= 900, `closed after ${closedAt - t0} ms`);
    assert.equal(idle.pending(), '', 'closed without a reply');
    assert.equal(busy.closed, false);
    busy.close();
  } finally {
    await s.close();
  }
});

test('tcp-keepalive: set on accepted TCP sockets, off with 0', async () => {
  const calls: [boolean | undefined, number | undefined][] = [];
  const orig = net.Socket.prototype.setKeepAlive;
  net.Socket.prototype.setKeepAlive = function (this: net.Socket, enable?: boolean, delay?: number) {
    calls.push([enable, delay]);
    return orig.call(this, enable, delay);
  };
  try {
    for (const [ka, expect] of [
      [300, [true, 300000]],
      [7, [true, 7000]],
      [0, null],
    ] as const) {
      calls.length = 0;
      const s = await startTsdis({ config: { 'tcp-keepalive': ka } });
      const c = await RawConn.connect(s.port);
      await c.call('PING');
      c.close();
      await s.close();
      // the server-side socket is the one with the delay (client sockets don't call it)
      if (expect) assert.deepEqual(calls.at(-1), expect);
      else assert.equal(calls.length, 0);
    }
  } finally {
    net.Socket.prototype.setKeepAlive = orig;
  }
});

test('protected mode: loopback is allowed; other peers get DENIED unless a password is set', async () => {
  assert.ok(isLoopback('127.0.0.1') && isLoopback('127.9.9.9') && isLoopback('::1') && isLoopback('::ffff:127.0.0.1'));
  assert.ok(!isLoopback('10.0.0.1') && !isLoopback('::ffff:10.0.0.1') && !isLoopback('fe80::1') && !isLoopback(''));
  const s = await startTsdis({ config: { 'protected-mode': 'yes' } });
  try {
    const c = await RawConn.connect(s.port);
    assert.equal(await c.call('PING'), '+PONG\r\n');
    c.close();
    // a peer that is not loopback: fed to the accept path as a fake socket
    const fake = (): { sock: net.Socket; out: string[] } => {
      const out: string[] = [];
      const sock = Object.assign(new net.Socket(), { end: (d?: string) => void out.push(d ?? '') });
      Object.defineProperty(sock, 'remoteAddress', { value: '10.1.2.3' });
      return { sock, out };
    };
    const accept = (s.server.listener as unknown as { accept(sock: net.Socket, unixPath?: string): void }).accept.bind(
      s.server.listener,
    );
    const f1 = fake();
    accept(f1.sock, undefined);
    assert.match(
      f1.out[0] ?? '',
      /^-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user\. .*\r\n$/,
    );
    s.server.config.set('requirepass', 'pw');
    const f2 = fake();
    accept(f2.sock, undefined);
    assert.deepEqual(f2.out, []);
    s.server.config.set('requirepass', '');
    s.server.config.set('protected-mode', 'no');
    const f3 = fake();
    accept(f3.sock, undefined);
    assert.deepEqual(f3.out, []);
    for (const c of [...s.server.clients.values()]) s.server.killClient(c);
  } finally {
    await s.close();
  }
});

test('requirepass: NOAUTH before AUTH, then commands work; RESET drops the authentication', async () => {
  const s = await startTsdis({ config: { requirepass: 'pw' } });
  try {
    const c = await RawConn.connect(s.port);
    assert.equal(await c.call('PING'), '-NOAUTH Authentication required.\r\n');
    assert.equal(await c.call('AUTH', 'bad'), '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    assert.equal(await c.call('AUTH', 'pw'), '+OK\r\n');
    assert.equal(await c.call('PING'), '+PONG\r\n');
    assert.equal(await c.call('RESET'), '+RESET\r\n');
    assert.equal(await c.call('PING'), '-NOAUTH Authentication required.\r\n');
    // the unauthenticated caps apply again after RESET
    c.write('*11\r\n');
    assert.equal(await c.readUntilClose(), '-ERR Protocol error: unauthenticated multibulk length\r\n');
  } finally {
    await s.close();
  }
});

const MB = 1024 * 1024;

/** Live bytes of this process (the in-process server's memory). */
function mem(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external + m.arrayBuffers;
}

test('a client that pipelines without reading is paused: memory stays bounded, others are served', async (t) => {
  const s = await startTsdis();
  const N = 300; // 300 GETs of a 1 MB value: 300 MB of replies
  try {
    const setup = await RawConn.connect(s.port);
    assert.equal(await setup.call('SET', 'big', Buffer.alloc(MB, 0x62)), '+OK\r\n');
    const base = mem();
    let peak = base;
    // the slow client: writes every GET at once and does not read
    const slow = net.connect(s.port, '127.0.0.1');
    await new Promise((r) => slow.once('connect', r));
    slow.pause();
    const get = encode(['GET', 'big']);
    slow.write(Buffer.concat(Array.from({ length: N }, () => get)));
    const server = s.server;
    const slowClient = () => [...server.clients.values()].find((c) => c.id !== [...server.clients.values()][0]!.id);
    await until(() => slowClient()?.readPaused === true, 5000, 'the slow client to be paused');
    // while it is paused, memory stays flat and another client is served quickly
    for (let i = 0; i < 20; i++) {
      peak = Math.max(peak, mem());
      const t = Date.now();
      assert.equal(await setup.call('PING'), '+PONG\r\n');
      assert.equal((await setup.call('STRLEN', 'big')).startsWith(':'), true);
      assert.ok(Date.now() - t < 500);
      await sleep(25);
    }
    const c = slowClient()!;
    assert.ok(c.readPaused);
    assert.ok(c.parser.buffered < MB, `parser holds ${c.parser.buffered} bytes`);
    assert.ok((c.socket?.writableLength ?? 0) < 32 * MB, `socket holds ${c.socket?.writableLength} bytes`);
    t.diagnostic(`memory growth while paused: ${((peak - base) / MB).toFixed(1)} MB`);
    assert.ok(
      peak - base < 80 * MB,
      `memory grew by ${((peak - base) / MB).toFixed(1)} MB while ${N} MB of replies were pending`,
    );
    // now the slow client reads: every reply arrives, intact
    const one = `$${MB}\r\n`.length + MB + 2;
    let got = 0;
    let tail: Buffer = Buffer.alloc(0);
    slow.on('data', (d: Buffer) => {
      got += d.length;
      tail = d.length >= 8 ? d.subarray(d.length - 8) : Buffer.concat([tail, d]).subarray(-8);
      peak = Math.max(peak, mem());
    });
    slow.resume();
    await until(() => got >= N * one, 20000, `all replies (${got} of ${N * one})`);
    assert.equal(got, N * one);
    assert.equal(tail.latin1Slice(0), 'bbbbbb\r\n');
    assert.equal(c.readPaused, false);
    slow.destroy();
    setup.close();
  } finally {
    await s.close();
  }
});

test('client-output-buffer-limit normal: a client that never reads is disconnected', async () => {
  const s = await startTsdis({ config: { 'client-output-buffer-limit': 'normal 4mb 0 0' } });
  try {
    const setup = await RawConn.connect(s.port);
    assert.equal(await setup.call('SET', 'big', Buffer.alloc(MB, 0x62)), '+OK\r\n');
    const slow = net.connect(s.port, '127.0.0.1');
    slow.on('error', () => {});
    await new Promise((r) => slow.once('connect', r));
    slow.pause();
    slow.write(Buffer.concat(Array.from({ length: 100 }, () => encode(['GET', 'big']))));
    await until(() => s.server.stats.clientOutputLimitDisconnections === 1, 5000, 'the disconnection');
    assert.equal(s.server.clients.size, 1);
    assert.equal(await setup.call('PING'), '+PONG\r\n');
    slow.destroy();
    setup.close();
  } finally {
    await s.close();
  }
});

test('client-output-buffer-limit normal soft limit: over it for longer than the seconds', async () => {
  const s = await startTsdis({ config: { 'client-output-buffer-limit': 'normal 0 2mb 1', hz: 50 } });
  try {
    const setup = await RawConn.connect(s.port);
    assert.equal(await setup.call('SET', 'big', Buffer.alloc(MB, 0x62)), '+OK\r\n');
    const slow = net.connect(s.port, '127.0.0.1');
    slow.on('error', () => {});
    await new Promise((r) => slow.once('connect', r));
    slow.pause();
    const t0 = Date.now();
    slow.write(Buffer.concat(Array.from({ length: 60 }, () => encode(['GET', 'big']))));
    await until(() => s.server.stats.clientOutputLimitDisconnections === 1, 5000, 'the disconnection');
    assert.ok(Date.now() - t0 >= 900, 'not before the soft limit seconds');
    slow.destroy();
    setup.close();
  } finally {
    await s.close();
  }
});

test('port and bind changed at run time re-listen; clients stay connected', async () => {
  const s = await startTsdis();
  try {
    assert.equal(s.server.config.v['port'], s.port, 'the ephemeral port is recorded as the port parameter');
    const c = await RawConn.connect(s.port);
    const newPort = await freePort();
    s.server.config.set('port', String(newPort));
    await until(() => s.server.addresses().some((a) => a.port === newPort), 2000, 'the new listener');
    const c2 = await RawConn.connect(newPort);
    assert.equal(await c2.call('PING'), '+PONG\r\n');
    assert.equal(await c.call('PING'), '+PONG\r\n', 'the old connection still works');
    await assert.rejects(RawConn.connect(s.port), /ECONNREFUSED/);
    s.server.config.set('bind', '127.0.0.1 -::1');
    await until(
      () => s.server.addresses().every((a) => a.port === newPort) && s.server.addresses().length >= 1,
      2000,
      'rebind',
    );
    const c3 = await RawConn.connect(newPort);
    assert.equal(await c3.call('PING'), '+PONG\r\n');
    // a port in use: the previous listeners come back
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const busy = (blocker.address() as net.AddressInfo).port;
    s.server.config.set('port', String(busy));
    await sleep(100);
    await until(() => s.server.addresses().some((a) => a.port === newPort), 2000, 'restored listeners');
    await new Promise((r) => blocker.close(r));
    for (const x of [c, c2, c3]) x.close();
  } finally {
    await s.close();
  }
});

test('client-query-buffer-limit and proto-max-bulk-len (without redis-server too)', async () => {
  const s = await startTsdis({ config: { 'client-query-buffer-limit': '1mb', 'proto-max-bulk-len': '2mb' } });
  try {
    const a = await RawConn.connect(s.port);
    a.write(`*2\r\n$4\r\nECHO\r\n$${2 * 1024 * 1024 + 1}\r\n`);
    assert.equal(await a.readUntilClose(), '-ERR Protocol error: invalid bulk length\r\n');
    const b = await RawConn.connect(s.port);
    b.write('*2\r\n$4\r\nECHO\r\n$2000000\r\n');
    for (let i = 0; i < 4; i++) b.write(Buffer.alloc(512 * 1024, 0x61));
    assert.equal(await b.readUntilClose(), '', 'closed without a reply');
    const c = await RawConn.connect(s.port);
    assert.equal((await c.call('ECHO', 'x'.repeat(900 * 1024))).length, 900 * 1024 + 11);
    c.close();
  } finally {
    await s.close();
  }
});
