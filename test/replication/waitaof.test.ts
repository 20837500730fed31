/**
 * WAITAOF (Redis 7.2; redis-server 7.0 has no such command, so these are
 * pinned from 7.2.4's tests/unit/wait.tcl and replication.c): its argument
 * errors, the local fsync under each appendfsync policy, the error when
 * AOF is off or goes off under a blocked client, the refusal on a replica,
 * and replicas' AOF acknowledgements (REPLCONF ACK ... FACK) from a tsdis
 * replica with AOF on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RawConn, startTsdis } from '../helpers/servers.js';
import { until } from '../helpers/wait.js';
import type { TsdisServer } from '../../src/index.js';

const NO_AOF = '-ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.\r\n';

async function server(config: Record<string, string | number>): Promise<{ srv: TsdisServer; dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-waitaof-'));
  const srv = await startTsdis({ config: { dir, 'repl-diskless-sync-delay': 0, ...config } });
  return { srv, dir };
}

test('WAITAOF: arguments, the local fsync under each policy, AOF off', async () => {
  const { srv, dir } = await server({ appendonly: 'yes', appendfsync: 'everysec' });
  const c = await RawConn.connect(srv.port);
  try {
    assert.equal(await c.call('WAITAOF', '2', '0', '0'), '-ERR value is out of range, value must between 0 and 1\r\n');
    assert.equal(await c.call('WAITAOF', 'x', '0', '0'), '-ERR value is not an integer or out of range\r\n');
    assert.equal(await c.call('WAITAOF', '0', '-1', '0'), '-ERR value is out of range, must be positive\r\n');
    assert.equal(await c.call('WAITAOF', '0', 'x', '0'), '-ERR value is out of range, must be positive\r\n');
    assert.equal(await c.call('WAITAOF', '0', '0', '-1'), '-ERR timeout is negative\r\n');
    // no write yet from this client: acknowledged at once
    assert.equal(await c.call('WAITAOF', '1', '0', '0'), '*2\r\n:1\r\n:0\r\n');
    // everysec: within about a second
    await c.call('INCR', 'foo');
    const t0 = Date.now();
    assert.equal(await c.call('WAITAOF', '1', '0', '0'), '*2\r\n:1\r\n:0\r\n');
    assert.ok(Date.now() - t0 < 3000);
    // no fsync ever: the timeout ends it with 0
    await c.call('CONFIG', 'SET', 'appendfsync', 'no');
    await c.call('INCR', 'foo');
    assert.equal(await c.call('WAITAOF', '1', '0', '50'), '*2\r\n:0\r\n:0\r\n');
    // always: at once
    await c.call('CONFIG', 'SET', 'appendfsync', 'always');
    await c.call('INCR', 'foo');
    assert.equal(await c.call('WAITAOF', '1', '0', '0'), '*2\r\n:1\r\n:0\r\n');
    // a write left unsynced (no), then always with nothing more written: fsynced at once, as
    // Redis's flushAppendOnlyFile does with an empty buffer (unit/wait's everysec->always test)
    await c.call('CONFIG', 'SET', 'appendfsync', 'no');
    await c.call('INCR', 'foo');
    await c.call('CONFIG', 'SET', 'appendfsync', 'always');
    assert.equal(await c.call('WAITAOF', '1', '0', '1000'), '*2\r\n:1\r\n:0\r\n');
    // in MULTI: no blocking, the counts as they are
    await c.call('CONFIG', 'SET', 'appendfsync', 'no');
    await c.call('INCR', 'foo');
    await c.call('MULTI');
    await c.call('WAITAOF', '1', '0', '0');
    assert.equal(await c.call('EXEC'), '*1\r\n*2\r\n:0\r\n:0\r\n');
    // a blocked WAITAOF gets the error when AOF goes off
    const w = await RawConn.connect(srv.port);
    await w.call('INCR', 'foo');
    w.write('*4\r\n$7\r\nWAITAOF\r\n$1\r\n1\r\n$1\r\n0\r\n$1\r\n0\r\n');
    await until('WAITAOF blocked', async () => (await c.call('INFO', 'clients')).includes('blocked_clients:1'));
    await c.call('CONFIG', 'SET', 'appendonly', 'no');
    assert.equal(await w.read(), NO_AOF);
    w.close();
    assert.equal(await c.call('WAITAOF', '1', '0', '0'), NO_AOF);
    assert.equal(await c.call('WAITAOF', '0', '0', '0'), '*2\r\n:0\r\n:0\r\n');
  } finally {
    c.close();
    await srv.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('WAITAOF with a tsdis replica: its AOF acknowledgement (FACK), and the refusal on the replica', async () => {
  const p = await server({ appendonly: 'yes', appendfsync: 'always' });
  const r = await server({ appendonly: 'yes', appendfsync: 'always' });
  const pc = await RawConn.connect(p.srv.port);
  const rc = await RawConn.connect(r.srv.port);
  try {
    assert.equal(await rc.call('REPLICAOF', '127.0.0.1', String(p.srv.port)), '+OK\r\n');
    await until('the link up', async () => (await rc.call('INFO', 'replication')).includes('master_link_status:up'), {
      timeout: 20_000,
    });
    // the replica's AOF is rewritten after its full sync; then its ACKs carry FACK
    await pc.call('SET', 'k', 'v');
    assert.equal(await pc.call('WAITAOF', '1', '1', '10000'), '*2\r\n:1\r\n:1\r\n');
    assert.equal(await pc.call('WAITAOF', '1', '2', '100'), '*2\r\n:1\r\n:1\r\n');
    assert.equal(
      await rc.call('WAITAOF', '0', '0', '0'),
      '-ERR WAITAOF cannot be used with replica instances. Please also note that writes to replicas are just local and are not propagated.\r\n',
    );
    // a replica without AOF sends no FACK: no replica acknowledges
    await rc.call('CONFIG', 'SET', 'appendonly', 'no');
    await pc.call('SET', 'k', 'v2');
    assert.equal(await pc.call('WAITAOF', '0', '1', '1500'), '*2\r\n:1\r\n:0\r\n');
  } finally {
    pc.close();
    rc.close();
    for (const s of [r, p]) {
      await s.srv.close();
      fs.rmSync(s.dir, { recursive: true, force: true });
    }
  }
});
