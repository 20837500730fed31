/**
 * A tsdis primary with AOF (appendfsync always) killed with SIGKILL and
 * restarted on the same port and files (issue 17): its redis-server
 * replica reconnects by itself and catches up (a full sync: the restarted
 * primary has a new replication id), and ends with the primary's digest,
 * which holds every write acknowledged before the kill.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI } from '../helpers/child.js';
import { RawConn, freePort, hasRedis, SKIP_NO_REDIS, waitForPing, waitLoaded } from '../helpers/servers.js';
import { startReplica } from './pair.js';
import { field, waitFor } from './replica-kit.js';

const skip = hasRedis() ? false : SKIP_NO_REDIS;

/** tsdis on `port` with AOF in `dir`, ready for commands. */
async function primaryOn(port: number, dir: string): Promise<ChildProcess> {
  const proc = spawn(
    process.execPath,
    [CLI, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes'].concat([
      '--appendfsync',
      'always',
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
      await waitFor(async () => (await field(r, 'master_link_status')) === 'up' || false, 'the replica linked');
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
      await waitFor(
        async () =>
          ((await r.call('GET', 'after-restart')) === '$1\r\nx\r\n' &&
            (await field(r, 'master_link_status')) === 'up') ||
          false,
        'the replica caught up after the restart',
        60_000,
      );
      await waitFor(
        async () => (await field(p!, 'master_repl_offset')) === (await field(r, 'slave_repl_offset')) || false,
        'offsets equal',
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
