/**
 * The nodes.conf lock (Redis's clusterLockConfig): a second server started
 * on a nodes.conf in use logs Redis's "Sorry, the cluster configuration
 * file ... is already used by a different Redis Cluster node" line and
 * exits 1, as redis-server does; the lock dies with its process (a server
 * killed with SIGKILL does not keep the next one out) and is released at
 * shutdown. tsdis's lock is a file beside nodes.conf (README: Redis
 * Cluster); its holder's pid and start time decide whether it is stale.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { startProcNode, clusterPort, rawCall, text, type ProcNode } from './helpers.js';
import { CLI } from '../helpers/child.js';
import { SKIP_NO_REDIS, hasRedis } from '../helpers/servers.js';

const procs: ProcNode[] = [];
after(async () => {
  for (const p of procs) await p.stop();
});

/** A server that could not listen: the port picked for it was taken before it bound it (by another test's process). */
const PORT_TAKEN = /Could not create server TCP listening socket \S+: bind: Address already in use/;

/**
 * Runs a server on `dir` (cluster mode) to its exit, or until its output
 * matches `stopAt` (then SIGKILL); its exit code and output. A run whose
 * port was taken before the server bound it is made again on another port
 * (three runs at most).
 */
async function runOn(
  kind: 'tsdis' | 'redis',
  dir: string,
  extra: string[] = [],
  stopAt: RegExp | null = null,
): Promise<{ code: number | null; out: string; port: number }> {
  let r = await runOnce(kind, dir, extra, stopAt);
  for (let i = 0; i < 2 && PORT_TAKEN.test(r.out); i++) r = await runOnce(kind, dir, extra, stopAt);
  return r;
}

function runOnce(
  kind: 'tsdis' | 'redis',
  dir: string,
  extra: string[],
  stopAt: RegExp | null,
): Promise<{ code: number | null; out: string; port: number }> {
  return clusterPort().then(
    (port) =>
      new Promise((resolve) => {
        const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
        args.push('--dir', dir, '--cluster-enabled', 'yes', ...extra);
        const p =
          kind === 'tsdis'
            ? spawn(process.execPath, [CLI, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
            : spawn('redis-server', [...args, '--logfile', ''], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        const got = (d: Buffer) => {
          out += d.toString();
          if (stopAt !== null && stopAt.test(out)) p.kill('SIGKILL');
        };
        p.stdout.on('data', got);
        p.stderr.on('data', got);
        // (a server that started after all: stopped, and reported as such)
        const t = setTimeout(() => p.kill('SIGKILL'), 10000);
        p.on('exit', (code) => {
          clearTimeout(t);
          resolve({ code, out, port });
        });
      }),
  );
}

const SORRY =
  /# Sorry, the cluster configuration file nodes\.conf is already used by a different Redis Cluster node\. Please make sure that different nodes use different cluster configuration files\.\n/;

test("a second tsdis on a nodes.conf in use exits 1 with Redis's line; the first keeps it", async () => {
  const a = await startProcNode('tsdis');
  procs.push(a);
  const myid = text(await rawCall(a.port, 'CLUSTER', 'MYID'));
  const conf = fs.readFileSync(path.join(a.dir, 'nodes.conf'), 'latin1');
  const second = await runOn('tsdis', a.dir);
  assert.equal(second.code, 1, second.out);
  assert.match(second.out, SORRY);
  // the file is the first node's still, and it still serves
  assert.equal(fs.readFileSync(path.join(a.dir, 'nodes.conf'), 'latin1'), conf);
  assert.equal(text(await rawCall(a.port, 'CLUSTER', 'MYID')), myid);
  // another cluster-config-file in the same dir is another lock
  const other = await runOn('tsdis', a.dir, ['--cluster-config-file', 'other.conf'], /Ready to accept/);
  assert.match(other.out, /No cluster configuration found, I'm \w{40}/);
  assert.doesNotMatch(other.out, /Sorry/);
});

test('the lock dies with its process: a node killed with SIGKILL starts again on its nodes.conf', async () => {
  const a = await startProcNode('tsdis');
  procs.push(a);
  const myid = text(await rawCall(a.port, 'CLUSTER', 'MYID'));
  await a.kill();
  await a.restart();
  assert.equal(text(await rawCall(a.port, 'CLUSTER', 'MYID')), myid);
  assert.equal(fs.existsSync(path.join(a.dir, 'nodes.conf.lock')), true);
  // and a clean shutdown (SIGTERM) releases it: a new server takes the file
  await new Promise<void>((resolve) => {
    a.proc.once('exit', () => resolve());
    a.proc.kill('SIGTERM');
  });
  assert.equal(fs.existsSync(path.join(a.dir, 'nodes.conf.lock')), false, 'released at shutdown');
  const next = await runOn('tsdis', a.dir, [], /Ready to accept/);
  assert.doesNotMatch(next.out, /Sorry/);
  assert.match(next.out, new RegExp(`Node configuration loaded, I'm ${myid}`));
});

test('redis-server does the same (the line and exit 1)', { skip: hasRedis() ? false : SKIP_NO_REDIS }, async () => {
  const a = await startProcNode('redis');
  procs.push(a);
  const second = await runOn('redis', a.dir);
  assert.equal(second.code, 1);
  assert.match(second.out, SORRY);
});
