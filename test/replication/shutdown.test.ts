/**
 * Shutdown with lagging replicas (issue 17; Redis 7.0+'s behaviour, 7.2's
 * log lines from its server.c finishShutdown / prepareForShutdown): a tsdis
 * primary (a child process, so signals reach it and its exit is seen) with
 * real replicas, tsdis and redis-server, one of them stopped with SIGSTOP so
 * that it does not acknowledge. SHUTDOWN (without NOW) and SIGTERM then hold
 * writes and wait up to shutdown-timeout for every replica to acknowledge;
 * SHUTDOWN ABORT cancels, SHUTDOWN NOW and a second SIGINT do not wait.
 * Every stopped replica gets SIGCONT in a finally block.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { startChild, type Child } from '../helpers/child.js';
import { RawConn, hasRedis, SKIP_NO_REDIS } from '../helpers/servers.js';
import { until, sleep } from '../helpers/wait.js';
import { startReplica, type Replica, caughtUp, field, linkUp } from './kit.js';

const skip = hasRedis() ? false : SKIP_NO_REDIS;

/** A tsdis process and the directory it runs in (removed by stop()). */
interface Proc {
  child: Child;
  conn: RawConn;
  dir: string;
  stop(): Promise<void>;
}

/** Starts tsdis as a child process in a directory of its own, with `args` after its port. */
async function tsdis(args: string[]): Promise<Proc> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-shutdown-'));
  const child = await startChild(['--save', '', '--repl-diskless-sync-delay', '0', ...args], dir);
  const conn = await RawConn.connect(child.port);
  return {
    child,
    conn,
    dir,
    stop: async () => {
      conn.close();
      await child.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A tsdis replica of 127.0.0.1:`port`, its link up. */
async function tsdisReplica(port: number): Promise<Proc> {
  const r = await tsdis(['--replicaof', '127.0.0.1', String(port)]);
  await linkUp(r.conn);
  return r;
}

/** SIGCONT for a process this test stopped (a no-op once it exited). */
function resume(proc: ChildProcess): void {
  if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGCONT');
}

/** Waits until the primary reports a shutdown waiting for replicas (INFO server shutdown_in_milliseconds). */
async function waitingForReplicas(c: RawConn): Promise<number> {
  return until('shutdown_in_milliseconds in INFO server', async () => {
    const ms = Number(await field(c, 'shutdown_in_milliseconds', 'server'));
    return ms > 0 ? ms : null;
  });
}

test(
  'SIGTERM waits for a stopped replica, holding writes, and exits once both replicas acknowledged',
  { skip, timeout: 90_000 },
  async () => {
    const p = await tsdis(['--save', '900 1', '--shutdown-timeout', '60']);
    let rr: Replica | null = null;
    let tr: Proc | null = null;
    try {
      rr = await startReplica(p.child.port);
      tr = await tsdisReplica(p.child.port);
      assert.equal(await p.conn.call('SET', 'k', '1'), '+OK\r\n');
      await caughtUp(p.conn, rr.conn);
      await caughtUp(p.conn, tr.conn);
      rr.proc.kill('SIGSTOP');
      assert.equal(await p.conn.call('INCR', 'k'), ':2\r\n');
      p.child.proc.kill('SIGTERM');
      await waitingForReplicas(p.conn);
      assert.match(p.child.output(), /Waiting for replicas before shutting down\./);
      // reads are served; a write waits (Redis's PAUSE_DURING_SHUTDOWN) and is never applied
      assert.equal(await p.conn.call('GET', 'k'), '$1\r\n2\r\n');
      const writer = await RawConn.connect(p.child.port);
      writer.write('*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$1\r\n1\r\n');
      // (what is tested: no reply while the shutdown waits)
      await sleep(300);
      assert.equal(writer.pending(), '');
      assert.match(await p.conn.call('INFO', 'clients'), /blocked_clients:1\r\n/);
      resume(rr.proc);
      assert.equal(await p.child.exited(20_000), 0);
      assert.equal(await writer.readUntilClose(), '');
      const out = p.child.output();
      assert.doesNotMatch(out, /Lagging replica/);
      assert.match(
        out,
        /2 of 2 replicas are in sync when shutting down\.[^]*Saving the final RDB snapshot before exiting\./,
      );
      assert.match(out, /ready to exit, bye bye/);
      assert.ok(fs.existsSync(path.join(p.dir, 'dump.rdb')));
      for (const r of [rr.conn, tr.conn]) {
        assert.equal(await r.call('GET', 'k'), '$1\r\n2\r\n');
        assert.equal(await r.call('EXISTS', 'x'), ':0\r\n');
      }
      writer.close();
    } finally {
      if (rr !== null) resume(rr.proc);
      await rr?.stop();
      await tr?.stop();
      await p.stop();
    }
  },
);

test(
  'SHUTDOWN waits shutdown-timeout for a stopped tsdis replica, then logs it as lagging and exits',
  { skip, timeout: 90_000 },
  async () => {
    const p = await tsdis(['--shutdown-timeout', '1']);
    let tr: Proc | null = null;
    try {
      tr = await tsdisReplica(p.child.port);
      await caughtUp(p.conn, tr.conn);
      tr.child.proc.kill('SIGSTOP');
      assert.equal(await p.conn.call('SET', 'k', 'v'), '+OK\r\n');
      const before = Date.now();
      const c = await RawConn.connect(p.child.port);
      c.write('*1\r\n$8\r\nSHUTDOWN\r\n');
      const ms = await waitingForReplicas(p.conn);
      assert.ok(ms <= 1000, `shutdown_in_milliseconds ${ms}`);
      assert.equal(await p.child.exited(20_000), 0);
      assert.ok(Date.now() - before >= 900, 'it waited shutdown-timeout');
      // SHUTDOWN's caller gets no reply: the connection closes
      assert.equal(await c.readUntilClose(), '');
      const out = p.child.output();
      const m =
        /Lagging replica 127\.0\.0\.1:(\d+) reported offset (\d+) behind master, lag=(\d+), state=online\./.exec(out);
      assert.ok(m !== null, out);
      assert.equal(Number(m[1]), tr.child.port);
      // the SET and the GETACK the shutdown sent (37 bytes) at least
      assert.ok(Number(m[2]) >= 37, m[2]);
      assert.match(out, /0 of 1 replicas are in sync when shutting down\./);
      c.close();
    } finally {
      if (tr !== null) resume(tr.child.proc);
      await tr?.stop();
      await p.stop();
    }
  },
);

test(
  'SHUTDOWN ABORT: both blocked SHUTDOWN callers get the error, the held write runs, the server stays',
  { skip, timeout: 90_000 },
  async () => {
    const p = await tsdis(['--shutdown-timeout', '60']);
    let rr: Replica | null = null;
    const conns: RawConn[] = [];
    try {
      rr = await startReplica(p.child.port);
      await caughtUp(p.conn, rr.conn);
      rr.proc.kill('SIGSTOP');
      assert.equal(await p.conn.call('INCR', 'k'), ':1\r\n');
      for (let i = 0; i < 3; i++) conns.push(await RawConn.connect(p.child.port));
      const [a, b, w] = conns as [RawConn, RawConn, RawConn];
      a.write('*1\r\n$8\r\nSHUTDOWN\r\n');
      await waitingForReplicas(p.conn);
      b.write('*1\r\n$8\r\nSHUTDOWN\r\n');
      w.write('*2\r\n$4\r\nINCR\r\n$1\r\nk\r\n');
      await until('three clients blocked', async () =>
        /blocked_clients:3\r\n/.test(await p.conn.call('INFO', 'clients')),
      );
      assert.equal(await p.conn.call('SHUTDOWN', 'ABORT'), '+OK\r\n');
      assert.equal(await a.read(), '-ERR Errors trying to SHUTDOWN. Check logs.\r\n');
      assert.equal(await b.read(), '-ERR Errors trying to SHUTDOWN. Check logs.\r\n');
      assert.equal(await w.read(), ':2\r\n');
      assert.match(p.child.output(), /Shutdown manually aborted\./);
      assert.equal(await p.conn.call('SHUTDOWN', 'ABORT'), '-ERR No shutdown in progress.\r\n');
      assert.doesNotMatch(await p.conn.call('INFO', 'server'), /shutdown_in_milliseconds/);
      resume(rr.proc);
      await caughtUp(p.conn, rr.conn);
      assert.equal(await rr.conn.call('GET', 'k'), '$1\r\n2\r\n');
      assert.equal(p.child.proc.exitCode, null);
    } finally {
      if (rr !== null) resume(rr.proc);
      for (const c of conns) c.close();
      await rr?.stop();
      await p.stop();
    }
  },
);

test('SHUTDOWN NOW does not wait for a stopped replica', { skip, timeout: 90_000 }, async () => {
  const p = await tsdis(['--shutdown-timeout', '60']);
  let rr: Replica | null = null;
  try {
    rr = await startReplica(p.child.port);
    await caughtUp(p.conn, rr.conn);
    rr.proc.kill('SIGSTOP');
    assert.equal(await p.conn.call('SET', 'k', 'v'), '+OK\r\n');
    p.conn.write('*2\r\n$8\r\nSHUTDOWN\r\n$3\r\nNOW\r\n');
    assert.equal(await p.child.exited(10_000), 0);
    const out = p.child.output();
    assert.doesNotMatch(out, /Waiting for replicas/);
    assert.match(out, /Lagging replica 127\.0\.0\.1:\d+ reported offset \d+ behind master/);
    assert.match(out, /0 of 1 replicas are in sync when shutting down\./);
  } finally {
    if (rr !== null) resume(rr.proc);
    await rr?.stop();
    await p.stop();
  }
});

test('a second SIGINT while waiting for a stopped replica exits at once', { skip, timeout: 90_000 }, async () => {
  const p = await tsdis(['--shutdown-timeout', '60']);
  let rr: Replica | null = null;
  try {
    rr = await startReplica(p.child.port);
    await caughtUp(p.conn, rr.conn);
    rr.proc.kill('SIGSTOP');
    assert.equal(await p.conn.call('SET', 'k', 'v'), '+OK\r\n');
    p.child.proc.kill('SIGINT');
    await waitingForReplicas(p.conn);
    p.child.proc.kill('SIGINT');
    assert.equal(await p.child.exited(10_000), 1);
    assert.match(p.child.output(), /You insist\.\.\. exiting now\./);
  } finally {
    if (rr !== null) resume(rr.proc);
    await rr?.stop();
    await p.stop();
  }
});
