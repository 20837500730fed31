/**
 * Client eviction (maxmemory-clients, CLIENT NO-EVICT): clients whose
 * memory together reaches the limit are closed, the largest first, with
 * INFO evicted_clients; a client that sends a command too big for the
 * limit is closed before it runs. Counted: query buffer (a command still
 * arriving), the arguments of the command about to run, the MULTI queue,
 * watched keys, subscriptions and output. DEBUG CLIENT-EVICTION's bucket
 * report is compared with redis-server's (its labels byte for byte).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { encode } from '../helpers/resp.js';
import { Differ } from '../helpers/diff.js';
import { RawConn, startTsdis } from '../helpers/servers.js';
import type { TsdisServer } from '../../src/index.js';

const LIMIT = 200 * 1024;

async function server(config: Record<string, string> = {}): Promise<TsdisServer> {
  return startTsdis({ config: { 'maxmemory-clients': String(LIMIT), ...config } });
}

async function evicted(t: TsdisServer): Promise<number> {
  return Number(/evicted_clients:(\d+)/.exec(String(await t.call('INFO', 'stats')))![1]);
}

/** Waits until the connection is closed by the server (or the timeout). */
async function closedSoon(c: RawConn, ms = 3000): Promise<boolean> {
  try {
    await c.readUntilClose(ms);
    return true;
  } catch {
    return false;
  }
}

test('a command still arriving past the limit closes its client; CLIENT NO-EVICT keeps it', async () => {
  const t = await server();
  try {
    const a = await RawConn.connect(t.port);
    a.write(`*1\r\n$${LIMIT + 1000}\r\n${'v'.repeat(LIMIT)}`);
    assert.ok(await closedSoon(a), 'not evicted');
    assert.equal(await evicted(t), 1);
    const b = await RawConn.connect(t.port);
    assert.equal(await b.call('CLIENT', 'NO-EVICT', 'ON'), '+OK\r\n');
    assert.equal(await b.call('CLIENT', 'SETNAME', 'kept'), '+OK\r\n');
    b.write(`*1\r\n$${LIMIT + 1000}\r\n${'v'.repeat(LIMIT)}`);
    // (wait until the server holds the whole partial command: bounded, 3 s)
    const kept = async () =>
      String(await t.call('CLIENT', 'LIST'))
        .split('\n')
        .find((l) => l.includes('name=kept'))!;
    for (let i = 0; i < 150 && Number(/tot-mem=(\d+)/.exec(await kept())![1]) <= LIMIT; i++)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(b.closed, false);
    const line = await kept();
    assert.match(line, /flags=e/);
    assert.ok(Number(/tot-mem=(\d+)/.exec(line)![1]) > LIMIT, line);
    assert.equal(await evicted(t), 1);
    b.close();
  } finally {
    await t.close();
  }
});

test('a big argument counts whole as soon as its length is read, as Redis reserves its query buffer', async () => {
  const t = await server();
  try {
    const a = await RawConn.connect(t.port);
    // 10 KB of a 300 KB argument: Redis counts 300 KB, over the 200 KB limit
    a.write(`*2\r\n$3\r\nGET\r\n$${300 * 1024}\r\n${'v'.repeat(10 * 1024)}`);
    assert.ok(await closedSoon(a), 'not evicted');
    // a 100 KB one is not
    const b = await RawConn.connect(t.port);
    b.write(`*2\r\n$3\r\nGET\r\n$${100 * 1024}\r\n${'v'.repeat(10 * 1024)}`);
    assert.equal(await closedSoon(b, 300), false);
    b.close();
  } finally {
    await t.close();
  }
});

test('a command whose arguments pass the limit does not run: its client is closed first', async () => {
  const t = await server();
  try {
    const a = await RawConn.connect(t.port);
    assert.equal(await a.call('MSET', 'k', 'v', 'k2', 'x'.repeat(100 * 1024)), '+OK\r\n');
    a.write(['*5', '$4', 'MSET', '$1', 'k', '$1', 'w', '$2', 'k2', `$${LIMIT}`, 'y'.repeat(LIMIT), ''].join('\r\n'));
    assert.ok(await closedSoon(a));
    assert.equal(await t.call('GET', 'k'), 'v');
  } finally {
    await t.close();
  }
});

test('a growing MULTI queue, WATCHed keys and subscriptions count', async () => {
  const t = await server();
  try {
    const m = await RawConn.connect(t.port);
    assert.equal(await m.call('MULTI'), '+OK\r\n');
    let closed = false;
    for (let i = 0; i < 10 && !closed; i++) {
      m.write(['*3', '$3', 'SET', '$1', 'k', `$${40 * 1024}`, 'v'.repeat(40 * 1024), ''].join('\r\n'));
      closed = await closedSoon(m, 200);
    }
    assert.ok(closed, 'MULTI client not evicted');
    const w = await RawConn.connect(t.port);
    let wclosed = false;
    for (let i = 0; i < 200 && !wclosed; i++) {
      const keys = Array.from({ length: 100 }, (_, j) => `key:${i}:${j}`);
      w.write(['*' + (keys.length + 1), '$5', 'WATCH', ...keys.flatMap((k) => [`$${k.length}`, k]), ''].join('\r\n'));
      wclosed = await closedSoon(w, 50);
    }
    assert.ok(wclosed, 'WATCH client not evicted');
    const s = await RawConn.connect(t.port);
    let sclosed = false;
    for (let i = 0; i < 200 && !sclosed; i++) {
      const chans = Array.from({ length: 100 }, (_, j) => `ch:${i}:${j}`);
      s.write(
        ['*' + (chans.length + 1), '$9', 'SUBSCRIBE', ...chans.flatMap((k) => [`$${k.length}`, k]), ''].join('\r\n'),
      );
      sclosed = await closedSoon(s, 50);
    }
    assert.ok(sclosed, 'subscriber not evicted');
    assert.equal(await evicted(t), 3);
  } finally {
    await t.close();
  }
});

test('lowering maxmemory-clients evicts the largest clients first, until under the limit', async () => {
  const t = await server({ 'maxmemory-clients': '0' });
  try {
    const ctl = await RawConn.connect(t.port);
    await ctl.call('CLIENT', 'NO-EVICT', 'ON');
    const conns: RawConn[] = [];
    // three clients of each size: 60 KB, 150 KB and 300 KB of query buffer
    for (const size of [60, 150, 300]) {
      for (let i = 0; i < 3; i++) {
        const c = await RawConn.connect(t.port);
        await c.call('CLIENT', 'SETNAME', `c${size}`);
        c.write(`*2\r\n$${size * 1024 + 10}\r\n${'v'.repeat(size * 1024)}`);
        conns.push(c);
      }
    }
    // (wait until the server has read every partial command: bounded, 3 s)
    const qbufs = async () =>
      String(await t.call('CLIENT', 'LIST'))
        .split('\n')
        .filter((l) => / name=c\d+ /.test(l))
        .map((l) => Number(/qbuf=(\d+)/.exec(l)![1]) >= Number(/ name=c(\d+) /.exec(l)![1]) * 1024);
    for (let i = 0; i < 150 && !(await qbufs()).every(Boolean); i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(await qbufs(), Array(9).fill(true));
    const count = async (name: string) =>
      String(await t.call('CLIENT', 'LIST'))
        .split('\n')
        .filter((l) => l.includes(`name=${name} `)).length;
    // room for the small and middle ones (with their 16 KB base each) but not the big ones
    await ctl.call('CONFIG', 'SET', 'maxmemory-clients', String(3 * (76 + 166) * 1024 + 64 * 1024));
    await ctl.call('PING');
    assert.deepEqual([await count('c60'), await count('c150'), await count('c300')], [3, 3, 0]);
    await ctl.call('CONFIG', 'SET', 'maxmemory-clients', String(3 * 76 * 1024 + 64 * 1024));
    await ctl.call('PING');
    assert.deepEqual([await count('c60'), await count('c150'), await count('c300')], [3, 0, 0]);
    assert.equal(await evicted(t), 6);
    for (const c of conns) c.close();
  } finally {
    await t.close();
  }
});

test('maxmemory-clients as a percentage of maxmemory', async () => {
  const t = await server({ maxmemory: String(6 * 1024 * 1024), 'maxmemory-clients': '7%' });
  try {
    const limit = Math.floor((6 * 1024 * 1024 * 7) / 100);
    const a = await RawConn.connect(t.port);
    a.write(`*1\r\n$${Math.floor(limit / 2)}\r\n${'v'.repeat(Math.floor(limit / 2))}`);
    assert.equal(await closedSoon(a, 300), false);
    const b = await RawConn.connect(t.port);
    b.write(`*1\r\n$${limit + 10}\r\n${'v'.repeat(limit)}`);
    assert.ok(await closedSoon(b));
    a.close();
  } finally {
    await t.close();
  }
});

test('a client that does not read holds over 10 MB of replies and still reads its next command (Redis never pauses it)', async () => {
  // unit/client-eviction's "client total memory grows during client no-evict":
  // the non-reading client's tot-mem must pass 10 MB, then its own CLIENT
  // NO-EVICT OFF must be read and evict it (maxmemory-clients 1)
  const t = await server({ 'maxmemory-clients': '0' });
  const MB = 1024 * 1024;
  try {
    const ctl = await RawConn.connect(t.port);
    assert.equal(await ctl.call('CLIENT', 'NO-EVICT', 'ON'), '+OK\r\n');
    assert.equal(await ctl.call('SETRANGE', 'k', String(MB), 'v'), `:${MB + 1}\r\n`);
    const slow = net.connect(t.port, '127.0.0.1');
    await new Promise((r) => slow.once('connect', r));
    slow.pause();
    slow.write(encode(['CLIENT', 'SETNAME', 'slow']));
    slow.write(encode(['CLIENT', 'NO-EVICT', 'ON']));
    assert.equal(await ctl.call('CONFIG', 'SET', 'maxmemory-clients', '1'), '+OK\r\n');
    let totMem = 0;
    for (let i = 0; i < 200 && totMem <= 10 * MB; i++) {
      slow.write(encode(['GET', 'k']));
      await new Promise((r) => setTimeout(r, 10));
      const line = String(await ctl.call('CLIENT', 'LIST'))
        .split('\n')
        .find((l) => l.includes('name=slow'));
      totMem = line ? Number(/tot-mem=(\d+)/.exec(line)![1]) : 0;
    }
    assert.ok(totMem > 10 * MB, `tot-mem reached only ${totMem}`);
    const closed = new Promise((r) => slow.once('close', r));
    slow.write(encode(['CLIENT', 'NO-EVICT', 'OFF']));
    slow.resume();
    await closed;
    assert.equal(await evicted(t), 1);
    ctl.close();
  } finally {
    await t.close();
  }
});

const d = await Differ.start();
after(() => d?.stop());

test('DEBUG CLIENT-EVICTION: disabled error, then the bucket report as redis-server prints it', async () => {
  await d!.same([
    ['CONFIG', 'SET', 'maxmemory-clients', '0'],
    ['DEBUG', 'CLIENT-EVICTION'],
    ['CLIENT', 'NO-EVICT', 'maybe'],
    ['CLIENT', 'NO-EVICT', 'on'],
    ['CLIENT', 'NO-EVICT', 'off'],
  ]);
  await d!.same([['CONFIG', 'SET', 'maxmemory-clients', '10mb']]);
  const [x, y] = await d!.both(['DEBUG', 'CLIENT-EVICTION']);
  // (the bulk length differs with the figures)
  const labels = (r: string) =>
    r
      .replace(/^\$\d+\r\n/, '')
      .split('\n')
      .map((l) => l.replace(/tot-mem: +\d+, clients: \d+/, ''));
  assert.deepEqual(labels(x), labels(y));
  // this client alone, in the 16-32 KB bucket on tsdis
  assert.match(x, /bucket {10}0 - {6}32767: tot-mem: +\d+, clients: 1\n/);
  await d!.same([['CONFIG', 'SET', 'maxmemory-clients', '0']]);
});
