/**
 * Restarts (issue 17). A tsdis primary with AOF (appendfsync always)
 * killed with SIGKILL and restarted on the same port and files: its
 * redis-server replica reconnects by itself and catches up (a full sync:
 * the restarted primary has a new replication id), and ends with the
 * primary's digest, which holds every write acknowledged before the kill.
 * A tsdis primary or replica shut down with an RDB save: the RDB's
 * replication AUX fields let the other side continue partially after the
 * restart (Redis 7.2's integration/psync2-master-restart and psync2 test it
 * too; they pass).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI } from '../helpers/child.js';
import { RawConn, freePort, hasRedis, SKIP_NO_REDIS, waitForPing, waitLoaded } from '../helpers/servers.js';
import { until } from '../helpers/wait.js';
import { startReplica, field, linkUp } from './kit.js';

const skip = hasRedis() ? false : SKIP_NO_REDIS;

const AOF = ['--save', '', '--appendonly', 'yes', '--appendfsync', 'always'];

/** tsdis on `port` with its files in `dir` (AOF unless `flags` say otherwise), ready for commands. */
async function primaryOn(port: number, dir: string, flags = AOF): Promise<ChildProcess> {
  const proc = spawn(
    process.execPath,
    [CLI, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, ...flags].concat([
      '--repl-diskless-sync-delay',
      '0',
      '--enable-debug-command',
      'yes',
    ]),
    { stdio: 'ignore' },
  );
  await waitForPing(port, proc);
  await waitLoaded(port, proc);
  return proc;
}

function kill(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });
}

test(
  'a tsdis primary with AOF restarted after SIGKILL: its replica catches up with every acknowledged write',
  { skip, timeout: 90_000 },
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-restart-'));
    const port = await freePort();
    let proc = await primaryOn(port, dir);
    const replica = await startReplica(port);
    let p: RawConn | null = null;
    try {
      p = await RawConn.connect(port);
      const r = replica.conn;
      await linkUp(r);
      for (let i = 0; i < 2000; i++) {
        assert.equal(await p.call('SET', `k:${i}`, String(i)), '+OK\r\n');
        if (i % 500 === 0) await p.call('RPUSH', 'list', String(i));
      }
      p.close();
      p = null;
      await kill(proc);
      proc = await primaryOn(port, dir);
      p = await RawConn.connect(port);
      assert.equal(await p.call('DBSIZE'), ':2001\r\n');
      // the replica comes back by itself and takes the restarted primary's data
      await p.call('SET', 'after-restart', 'x');
      await until(
        'the replica caught up after the restart',
        async () =>
          ((await r.call('GET', 'after-restart')) === '$1\r\nx\r\n' &&
            (await field(r, 'master_link_status')) === 'up') ||
          false,
        { timeout: 60_000 },
      );
      await until(
        'offsets equal',
        async () => (await field(p!, 'master_repl_offset')) === (await field(r, 'slave_repl_offset')),
        { timeout: 20_000 },
      );
      assert.equal(await r.call('DEBUG', 'DIGEST'), await p.call('DEBUG', 'DIGEST'));
    } finally {
      p?.close();
      await replica.stop();
      await kill(proc);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  'a tsdis primary restarted from its RDB (SHUTDOWN SAVE): its replica continues partially',
  { skip, timeout: 90_000 },
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-restart-rdb-'));
    const port = await freePort();
    const RDB = ['--save', '3600 1'];
    let proc = await primaryOn(port, dir, RDB);
    const replica = await startReplica(port);
    let p: RawConn | null = null;
    try {
      p = await RawConn.connect(port);
      const r = replica.conn;
      await linkUp(r);
      for (let i = 0; i < 500; i++) await p.call('SET', `k:${i}`, String(i));
      const id = await field(p, 'master_replid');
      await until(
        'caught up',
        async () => (await field(r, 'slave_repl_offset')) === (await field(p!, 'master_repl_offset')),
        { timeout: 20_000 },
      );
      p.write('*2\r\n$8\r\nSHUTDOWN\r\n$4\r\nSAVE\r\n');
      await new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      p.close();
      p = null;
      proc = await primaryOn(port, dir, RDB);
      p = await RawConn.connect(port);
      assert.equal(await field(p, 'master_replid2'), id, 'the saved id is kept as replid2');
      await until('the replica continued', async () => (await field(p!, 'sync_partial_ok', 'stats')) === '1', {
        timeout: 20_000,
      });
      assert.equal(await field(p, 'sync_full', 'stats'), '0');
      await p.call('SET', 'after', 'x');
      await until('the write after the restart', async () => (await r.call('GET', 'after')) === '$1\r\nx\r\n', {
        timeout: 20_000,
      });
      assert.equal(await r.call('DEBUG', 'DIGEST'), await p.call('DEBUG', 'DIGEST'));
    } finally {
      p?.close();
      await replica.stop();
      await kill(proc);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
