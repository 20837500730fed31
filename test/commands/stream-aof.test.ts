/**
 * Streams and persistence/clients: what stream commands append to the AOF
 * (deterministic forms: XADD with the ID it generated, an approximate trim
 * as the exact one it made, XREADGROUP/XCLAIM/XAUTOCLAIM as XCLAIM ...
 * FORCE JUSTID LASTID plus XGROUP SETID), that replaying the AOF — and an
 * AOF rewritten from the data — gives the same stream, groups and pending
 * lists; and ioredis's xadd/xread/xreadgroup against the embedded server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { createServer } from '../helpers/servers.js';
import { readCommands } from '../../src/persistence/aof.js';
import { incrFile } from '../helpers/aof.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-xaof-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (bounded) until the server has `n` blocked clients: a BLOCK read has arrived. */
async function blocked(srv: { call(...a: string[]): Promise<unknown> }, n = 1): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (new RegExp(`blocked_clients:${n}\\r`).test(String(await srv.call('INFO', 'clients')))) return;
    await sleep(5);
  }
  throw new Error(`blocked_clients never reached ${n}`);
}

type Srv = Awaited<ReturnType<typeof createServer>>;

/** A group's entries-read (XINFO GROUPS s). */
async function entriesRead(srv: Srv, group: string): Promise<unknown> {
  const g = ((await srv.call('XINFO', 'GROUPS', 's')) as unknown[][]).find((x) => x[1] === group)!;
  return g[g.indexOf('entries-read') + 1];
}

/**
 * Everything observable about stream `s` but idle times. `replayed`: but
 * group g2's entries-read, for a stream replayed from the AOF (g2 was only
 * read without NOACK: its new last ID replicates in the XCLAIMs' LASTID,
 * which leave entries-read alone where they replay, as in Redis 7.2; the
 * test checks that value apart). `rebuilt`: but also XINFO STREAM's
 * radix-tree-nodes, for a stream rebuilt by a rewrite: the rewrite's XADDs
 * form nodes from the first live entry (as Redis's rewriteStreamObject
 * does), so a node's master ID, and the count of rax nodes over those IDs'
 * bytes, depends on the entries' clock IDs.
 */
async function state(srv: Srv, replayed = false, rebuilt = false): Promise<string> {
  const pending = [
    ...((await srv.call('XPENDING', 's', 'g', '-', '+', '100')) as unknown[][]),
    ...((await srv.call('XPENDING', 's', 'g2', '-', '+', '100')) as unknown[][]),
  ];
  return JSON.stringify(
    [
      await srv.call('XRANGE', 's', '-', '+'),
      ((await srv.call('XINFO', 'STREAM', 's')) as unknown[]).map((v, i, a) =>
        rebuilt && a[i - 1] === 'radix-tree-nodes' ? '(rebuilt)' : v,
      ),
      ((await srv.call('XINFO', 'GROUPS', 's')) as unknown[][]).map((g) =>
        g.map((v, i) => (replayed && g[1] === 'g2' && g[i - 1] === 'entries-read' ? '(replayed)' : v)),
      ),
      await srv.call('XPENDING', 's', 'g'),
      pending.map((p) => [p[0], p[1], p[3]]),
      await srv.call('DEBUG', 'DIGEST-VALUE', 's'),
    ],
    (_k, v) => (v instanceof Map ? [...v] : v),
  );
}

test('stream commands replay deterministically from the AOF and from a rewrite', async () => {
  const dir = tmp();
  const cfg = { dir, appendonly: 'yes', 'aof-use-rdb-preamble': 'no', 'enable-debug-command': 'yes' };
  let srv = await createServer({ config: cfg });
  try {
    for (let i = 0; i < 250; i++) await srv.call('XADD', 's', '*', 'n', String(i));
    await srv.call('XADD', 's', 'MAXLEN', '~', '120', '*', 'f', 'v');
    await srv.call('XTRIM', 's', 'MINID', '~', '0-1');
    await srv.call('XGROUP', 'CREATE', 's', 'g', '0');
    await srv.call('XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '5', 'STREAMS', 's', '>');
    await srv.call('XREADGROUP', 'GROUP', 'g', 'bob', 'COUNT', '3', 'NOACK', 'STREAMS', 's', '>');
    const first = ((await srv.call('XRANGE', 's', '-', '+', 'COUNT', '2')) as string[][]).map((e) => e[0]!);
    await srv.call('XCLAIM', 's', 'g', 'carol', '0', first[1]!);
    await srv.call('XAUTOCLAIM', 's', 'g', 'dave', '0', '0', 'COUNT', '2');
    await srv.call('XACK', 's', 'g', first[0]!);
    await srv.call('XDEL', 's', first[0]!); // (a deleted entry still pending would not survive a rewrite, in Redis neither)
    await srv.call('XGROUP', 'CREATECONSUMER', 's', 'g', 'erin');
    await srv.call('XGROUP', 'CREATE', 's', 'g2', '$');
    // a blocked XREADGROUP served by a later XADD propagates its XCLAIM/SETID too
    const cl = new Redis(srv.port);
    const served = cl.xreadgroup('GROUP', 'g2', 'frank', 'BLOCK', 0, 'STREAMS', 's', '>');
    await blocked(srv);
    await srv.call('XADD', 's', '*', 'late', '1');
    assert.equal(((await served) as [string, unknown[]][])[0]![1].length, 1);
    cl.disconnect();
    const before = await state(srv, true);
    const beforeRebuilt = await state(srv, true, true);
    assert.equal(await entriesRead(srv, 'g2'), 252);
    await srv.close();

    const ops = readCommands(fs.readFileSync(incrFile(dir))).commands;
    const names = ops.map((c) => c.slice(0, 2).join(' ').toUpperCase());
    assert.ok(!ops.some((c) => c.includes('*')), 'no XADD * in the AOF');
    assert.ok(
      !names.some((n) => n.startsWith('XREADGROUP') || n.startsWith('XAUTOCLAIM')),
      'group reads replay as XCLAIM',
    );
    const approx = ops.find((c) => c[0] === 'XADD' && c[2] === 'MAXLEN')!;
    assert.equal(approx[3], '=');
    assert.ok(ops.some((c) => c[0] === 'XCLAIM' && c.includes('FORCE') && c.includes('LASTID')));
    assert.ok(ops.some((c) => c[0] === 'XGROUP' && c[1] === 'SETID' && c[5] === 'ENTRIESREAD'));

    srv = await createServer({ config: cfg });
    assert.ok((await state(srv, true)) === before, 'replayed from the incremental AOF');
    assert.equal(await entriesRead(srv, 'g2'), null);
    await srv.call('BGREWRITEAOF');
    for (let i = 0; i < 200 && !/aof_rewrite_in_progress:0/.test(String(await srv.call('INFO', 'persistence'))); i++)
      await sleep(20);
    await srv.close();
    srv = await createServer({ config: cfg });
    assert.ok((await state(srv, true, true)) === beforeRebuilt, 'replayed from a rewritten AOF');
    assert.equal(await entriesRead(srv, 'g2'), null);
    // an empty stream with a group survives a rewrite too
    await srv.call('XGROUP', 'CREATE', 'e', 'g', '$', 'MKSTREAM');
    await srv.call('XSETID', 'e', '5-5');
    await srv.call('BGREWRITEAOF');
    for (let i = 0; i < 200 && !/aof_rewrite_in_progress:0/.test(String(await srv.call('INFO', 'persistence'))); i++)
      await sleep(20);
    await srv.close();
    srv = await createServer({ config: cfg });
    assert.equal(await srv.call('XLEN', 'e'), 0);
    assert.deepEqual(await srv.call('XINFO', 'GROUPS', 'e'), [
      ['name', 'g', 'consumers', 0, 'pending', 0, 'last-delivered-id', '0-0', 'entries-read', null, 'lag', 0],
    ]);
    assert.equal(((await srv.call('XINFO', 'STREAM', 'e')) as unknown[])[7], '5-5');
  } finally {
    await srv.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('ioredis: xadd, xrange, blocking xread and xreadgroup', async () => {
  const srv = await createServer();
  const a = new Redis(srv.port);
  const b = new Redis(srv.port);
  try {
    const id = await a.xadd('events', '*', 'job', '1', 'state', 'waiting');
    assert.match(id!, /^\d+-0$/);
    assert.deepEqual(await a.xrange('events', '-', '+'), [[id, ['job', '1', 'state', 'waiting']]]);
    const waiting = b.xread('BLOCK', 0, 'STREAMS', 'events', '$');
    await blocked(srv);
    const id2 = await a.xadd('events', 'MAXLEN', '~', '1000', '*', 'job', '2');
    assert.deepEqual(await waiting, [['events', [[id2, ['job', '2']]]]]);
    await a.xgroup('CREATE', 'events', 'workers', '0');
    const read = await b.xreadgroup('GROUP', 'workers', 'w1', 'COUNT', '10', 'STREAMS', 'events', '>');
    assert.equal((read as [string, unknown[]][])[0]![1].length, 2);
    assert.equal(await a.xack('events', 'workers', id!, id2!), 2);
    const pending = b.xreadgroup('GROUP', 'workers', 'w1', 'BLOCK', 0, 'STREAMS', 'events', '>');
    await blocked(srv);
    const id3 = await a.xadd('events', '*', 'job', '3');
    assert.deepEqual(await pending, [['events', [[id3, ['job', '3']]]]]);
    assert.equal(await a.xlen('events'), 3);
  } finally {
    a.disconnect();
    b.disconnect();
    await srv.close();
  }
});
