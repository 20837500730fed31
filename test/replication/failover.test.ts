/**
 * FAILOVER (issue 17): its argument and state errors against redis-server;
 * between two tsdis nodes with a client writing (each write followed by
 * WAIT 1): the roles swap, both sides continue partially, no write WAIT
 * acknowledged is lost, and a FAILOVER back works; REPLICAOF refused and
 * FAILOVER ABORT while one waits.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Differ } from '../helpers/diff.js';
import { RawConn, startTsdis } from '../helpers/servers.js';
import { until } from '../helpers/wait.js';
import { field, linkUp } from './kit.js';
import type { TsdisServer } from '../../src/index.js';

const d = await Differ.start();
after(() => d?.stop());

test('FAILOVER: argument errors and a primary without replicas, as redis-server', { skip: d === null }, async () => {
  await d!.same([
    ['FAILOVER', 'ABORT'],
    ['FAILOVER'],
    ['FAILOVER', 'TIMEOUT', '0'],
    ['FAILOVER', 'TIMEOUT', '-5'],
    ['FAILOVER', 'TIMEOUT', 'x'],
    ['FAILOVER', 'TO', 'h'],
    ['FAILOVER', 'TO', 'h', 'x'],
    ['FAILOVER', 'TO', '127.0.0.1', '1', 'TO', '127.0.0.1', '2'],
    ['FAILOVER', 'FORCE'],
    ['FAILOVER', 'FORCE', 'FORCE'],
    ['FAILOVER', 'BOGUS'],
    ['FAILOVER', 'ABORT', 'TIMEOUT', '5'],
  ]);
});

test('FAILOVER between two tsdis nodes under writes: roles swap, partial resyncs, no acknowledged write lost', async () => {
  const servers: TsdisServer[] = [];
  const conns: RawConn[] = [];
  try {
    const a = await startTsdis({ config: { 'repl-diskless-sync-delay': 0 } });
    servers.push(a);
    const b = await startTsdis({ config: { replicaof: `127.0.0.1 ${a.port}` } });
    servers.push(b);
    const ac = await RawConn.connect(a.port);
    const bc = await RawConn.connect(b.port);
    conns.push(ac, bc);
    await linkUp(bc);

    // REPLICAOF is refused while a failover runs; ABORT ends it (all in one batch, before it can start)
    ac.write(
      '*1\r\n$8\r\nFAILOVER\r\n*3\r\n$9\r\nREPLICAOF\r\n$2\r\nNO\r\n$3\r\nONE\r\n*2\r\n$8\r\nFAILOVER\r\n$5\r\nABORT\r\n',
    );
    assert.equal(await ac.read(), '+OK\r\n');
    assert.equal(await ac.read(), '-ERR REPLICAOF not allowed while failing over.\r\n');
    assert.equal(await ac.read(), '+OK\r\n');
    assert.equal(await field(ac, 'master_failover_state'), 'no-failover');
    assert.equal(
      await ac.call('FAILOVER', 'TO', '127.0.0.1', '1'),
      '-ERR FAILOVER target HOST and PORT is not a replica.\r\n',
    );
    assert.equal(
      await ac.call('FAILOVER', 'TO', '127.0.0.1', String(b.port), 'FORCE'),
      '-ERR FAILOVER with force option requires both a timeout and target HOST and IP.\r\n',
    );
    assert.equal(await bc.call('FAILOVER'), '-ERR FAILOVER is not valid when server is a replica.\r\n');

    // a writer on the primary, each SET followed by WAIT 1; then FAILOVER
    const w = await RawConn.connect(a.port);
    conns.push(w);
    const acked: number[] = [];
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        try {
          const set = await w.call('SET', `k:${i}`, String(i));
          if (set !== '+OK\r\n') break; // the old primary, now a replica: -READONLY
          if ((await w.call('WAIT', '1', '200')) === ':1\r\n') acked.push(i);
        } catch {
          break;
        }
      }
    })();
    await until('writes acknowledged before the failover', async () => acked.length >= 20, { timeout: 20_000 });
    assert.equal(await ac.call('FAILOVER', 'TIMEOUT', '10000'), '+OK\r\n');
    await until(
      'the replica promoted and the old primary following it',
      async () => (await field(bc, 'role')) === 'master' && (await field(ac, 'master_link_status')) === 'up',
      { timeout: 20_000 },
    );
    stop = true;
    await writer;
    assert.equal(await field(ac, 'master_failover_state'), 'no-failover');
    assert.equal(await field(ac, 'master_port'), String(b.port));
    // both continued partially: no full sync on either side after the first
    assert.equal(await field(bc, 'sync_full', 'stats'), '0');
    assert.equal(await field(ac, 'sync_full', 'stats'), '1');
    const lost: number[] = [];
    for (const i of acked) if ((await bc.call('GET', `k:${i}`)) !== `$${String(i).length}\r\n${i}\r\n`) lost.push(i);
    assert.deepEqual(lost, [], `of ${acked.length} acknowledged writes`);

    // and back
    assert.equal(await bc.call('SET', 'after', 'x'), '+OK\r\n');
    assert.equal(await bc.call('FAILOVER', 'TO', '127.0.0.1', String(a.port)), '+OK\r\n');
    await until('the first node a primary again', async () => (await field(ac, 'role')) === 'master', {
      timeout: 20_000,
    });
    assert.equal(await ac.call('GET', 'after'), '$1\r\nx\r\n');
    await linkUp(bc);
  } finally {
    for (const c of conns) c.close();
    for (const s of servers.reverse()) await s.close();
  }
});

test('a target that refuses the handover (another replication id): the failover is aborted, back to primary', async () => {
  const a = await startTsdis({ config: { 'repl-diskless-sync-delay': 0, 'enable-debug-command': 'yes' } });
  const b = await startTsdis({ config: { replicaof: `127.0.0.1 ${a.port}` } });
  const ac = await RawConn.connect(a.port);
  const bc = await RawConn.connect(b.port);
  try {
    await linkUp(bc);
    // the primary's id no longer matches its replica's: PSYNC ... FAILOVER is refused
    assert.equal(await ac.call('DEBUG', 'CHANGE-REPL-ID'), '+OK\r\n');
    assert.equal(await ac.call('FAILOVER'), '+OK\r\n');
    await until(
      'the failover aborted',
      async () =>
        ((await field(ac, 'master_failover_state')) === 'no-failover' && (await field(ac, 'role')) === 'master') ||
        false,
      { timeout: 20_000 },
    );
    assert.equal(await field(bc, 'role'), 'slave');
    assert.equal(await ac.call('SET', 'k', 'v'), '+OK\r\n');
  } finally {
    ac.close();
    bc.close();
    await b.close();
    await a.close();
  }
});
