/**
 * oom-score-adj and oom-score-adj-values set the process's Linux OOM score
 * (/proc/<pid>/oom_score_adj) as redis-server does: the same CONFIG SET
 * sequence on both, the same scores relative to where each process started;
 * at start from the command line too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { hasRedis, startRedis, RawConn, SKIP_NO_REDIS } from '../helpers/servers.js';
import { startChild } from '../helpers/child.js';

const linux = process.platform === 'linux' ? false : 'SKIPPED: /proc/<pid>/oom_score_adj is Linux only';
const skip = linux || (hasRedis() ? false : SKIP_NO_REDIS);

const score = (pid: number) => Number(fs.readFileSync(`/proc/${pid}/oom_score_adj`, 'latin1'));

test(
  'CONFIG SET oom-score-adj (yes/relative, absolute, no) and -values: the same scores as redis-server',
  { skip },
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-oom-'));
    const redis = await startRedis();
    const child = await startChild(['--save', ''], dir);
    const conns = [await RawConn.connect(child.port), await RawConn.connect(redis.port)];
    const pids = [child.proc.pid!, redis.proc.pid!];
    try {
      const base = pids.map(score);
      const steps: [string[], (b: number) => number][] = [
        [['CONFIG', 'SET', 'oom-score-adj-values', '10 20 30'], (b) => b],
        [['CONFIG', 'SET', 'oom-score-adj', 'yes'], (b) => b + 10],
        [['CONFIG', 'SET', 'oom-score-adj-values', '15 20 30'], (b) => b + 15],
        // a replica takes the replica class, and the primary's again when it stops following
        [['REPLICAOF', '127.0.0.1', '1'], (b) => b + 20],
        [['CONFIG', 'SET', 'oom-score-adj-values', '15 25 30'], (b) => b + 25],
        [['REPLICAOF', 'NO', 'ONE'], (b) => b + 15],
        [['CONFIG', 'SET', 'oom-score-adj', 'relative'], (b) => b + 15],
        [['CONFIG', 'SET', 'oom-score-adj', 'absolute'], () => 15],
        [['CONFIG', 'SET', 'oom-score-adj-values', '2000 2000 2000'], () => 1000],
        [['CONFIG', 'SET', 'oom-score-adj', 'no'], (b) => b],
      ];
      for (const [cmd, want] of steps) {
        const replies = await Promise.all(conns.map((c) => c.call(...cmd)));
        assert.deepEqual(replies, ['+OK\r\n', '+OK\r\n'], cmd.join(' '));
        assert.deepEqual(pids.map(score), base.map(want), cmd.join(' '));
      }
      for (const name of ['oom-score-adj', 'oom-score-adj-values']) {
        const [a, b] = await Promise.all(conns.map((c) => c.call('CONFIG', 'GET', name)));
        assert.equal(a, b);
      }
      // a CONFIG SET whose port cannot be bound rolls the applied score back too (Redis's unit/introspection)
      const blocker = net.createServer();
      await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
      const used = String((blocker.address() as net.AddressInfo).port);
      try {
        const replies = await Promise.all(
          conns.map((c) =>
            c.call('CONFIG', 'SET', 'oom-score-adj', 'yes', 'oom-score-adj-values', '1 1 1', 'port', used),
          ),
        );
        assert.equal(replies[0], replies[1]);
        assert.match(
          replies[0]!,
          /^-ERR CONFIG SET failed \(possibly related to argument 'port'\) - Unable to listen on this port/,
        );
        assert.deepEqual(pids.map(score), base, 'rolled back');
      } finally {
        blocker.close();
      }
    } finally {
      for (const c of conns) c.close();
      await child.kill();
      await redis.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('oom-score-adj from the command line applies at start', { skip: linux }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-oom-'));
  const child = await startChild(['--save', '', '--oom-score-adj', 'absolute', '--oom-score-adj-values', '7 8 9'], dir);
  try {
    assert.equal(score(child.proc.pid!), 7);
  } finally {
    await child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
