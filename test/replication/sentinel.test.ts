/**
 * Real Sentinel fails tsdis over (issue 17, Sentinel): three redis-sentinel
 * processes monitor a tsdis primary with two tsdis replicas; an ioredis
 * client in Sentinel mode writes, each write followed by WAIT 1; the
 * primary is killed with SIGKILL; a replica must be promoted, the other
 * must follow it, the client must find it, and every write WAIT
 * acknowledged must be on the new primary.
 *
 * TSDIS_SENTINEL_NODES=redis runs the same test with redis-server nodes
 * (a check of the test itself against the reference).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { startChild } from '../helpers/child.js';
import { freePort, waitForPing, hasRedis, RawConn } from '../helpers/servers.js';

const hasSentinel = spawnSync('redis-sentinel', ['--version']).status === 0;
const skip = !hasRedis()
  ? 'SKIPPED: redis-server is not installed (apt-get install -y redis-server redis-tools)'
  : !hasSentinel
    ? 'SKIPPED: redis-sentinel is not installed (apt-get install -y redis-sentinel)'
    : false;
const REFERENCE = process.env['TSDIS_SENTINEL_NODES'] === 'redis';

interface Proc {
  port: number;
  proc: ChildProcess;
  output(): string;
  kill(): Promise<void>;
}

/** Spawns `cmd args` and waits for PING on `port`; SIGKILL on kill(). */
async function spawnServer(cmd: string, args: string[], port: number, cwd: string): Promise<Proc> {
  const proc = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const kill = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  };
  try {
    await waitForPing(port, proc);
  } catch (e) {
    await kill();
    throw new Error(`${cmd} did not start: ${(e as Error).message}\n${out}`);
  }
  return { port, proc, output: () => out, kill };
}

/** A data node (tsdis, or redis-server under REFERENCE) with its own config file in `dir`. */
async function startNode(dir: string, conf: string[]): Promise<Proc> {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'node.conf');
  fs.writeFileSync(file, ['save ""', 'appendonly no', `dir ${dir}`, ...conf].join('\n') + '\n');
  if (!REFERENCE) {
    const c = await startChild([file], dir);
    return { port: c.port, proc: c.proc, output: c.output, kill: c.kill };
  }
  const port = await freePort();
  return spawnServer('redis-server', [file, '--port', String(port), '--bind', '127.0.0.1'], port, dir);
}

/** A redis-sentinel monitoring `mymaster` at `masterPort` with quorum 2. */
async function startSentinel(dir: string, masterPort: number): Promise<Proc> {
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const file = path.join(dir, 'sentinel.conf');
  fs.writeFileSync(
    file,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor mymaster 127.0.0.1 ${masterPort} 2`,
      'sentinel down-after-milliseconds mymaster 1000',
      'sentinel failover-timeout mymaster 10000',
      'sentinel parallel-syncs mymaster 1',
    ].join('\n') + '\n',
  );
  return spawnServer('redis-sentinel', [file], port, dir);
}

/** One command's reply on a fresh connection, as text. */
async function ask(port: number, ...argv: string[]): Promise<string> {
  const c = await RawConn.connect(port);
  try {
    return await c.call(...argv);
  } finally {
    c.close();
  }
}

/** Polls `check` every 100 ms until it returns true; fails after `ms` with `what`. */
async function until(ms: number, what: () => string, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // (a node restarting or a sentinel busy: try again)
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A flat RESP2 array of bulk strings (name, value, ...) as a map. */
function pairs(reply: string): Map<string, string> {
  const items = reply.split('\r\n').filter((l, i) => i > 0 && l !== '' && !l.startsWith('$'));
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < items.length; i += 2) m.set(items[i]!, items[i + 1]!);
  return m;
}

/** INFO replication's fields as a map. */
async function replInfo(port: number): Promise<Map<string, string>> {
  const text = await ask(port, 'INFO', 'replication');
  const m = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('$')) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

test(
  'three sentinels fail a killed tsdis primary over; every WAIT-acknowledged write survives',
  { skip, timeout: 120_000 },
  async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-sentinel-'));
    const procs: Proc[] = [];
    let client: Redis | null = null;
    try {
      const primary = await startNode(path.join(root, 'p'), []);
      procs.push(primary);
      const replicas: Proc[] = [];
      for (const name of ['r1', 'r2']) {
        const r = await startNode(path.join(root, name), [`replicaof 127.0.0.1 ${primary.port}`]);
        procs.push(r);
        replicas.push(r);
      }
      await until(
        20_000,
        () => 'two online replicas',
        async () => (await replInfo(primary.port)).get('connected_slaves') === '2',
      );
      const sentinels: Proc[] = [];
      for (const name of ['s1', 's2', 's3']) {
        const s = await startSentinel(path.join(root, name), primary.port);
        procs.push(s);
        sentinels.push(s);
      }
      // every sentinel knows both replicas and the two other sentinels
      for (const s of sentinels) {
        await until(
          30_000,
          () => `sentinel ${s.port} to see 2 replicas and 2 sentinels`,
          async () => {
            const m = pairs(await ask(s.port, 'SENTINEL', 'MASTER', 'mymaster'));
            return m.get('num-slaves') === '2' && m.get('num-other-sentinels') === '2';
          },
        );
      }

      client = new Redis({
        sentinels: sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
        name: 'mymaster',
        maxRetriesPerRequest: 1,
        enableOfflineQueue: true,
        sentinelRetryStrategy: () => 100,
        retryStrategy: () => 100,
      });
      client.on('error', () => {});
      const acked: number[] = [];
      let stop = false;
      let n = 0;
      const writer = (async () => {
        while (!stop) {
          const i = n++;
          try {
            await client!.set(`k:${i}`, String(i));
            const r = await client!.call('WAIT', '1', '1000');
            if (Number(r) >= 1) acked.push(i);
          } catch {
            await new Promise((r) => setTimeout(r, 50));
          }
        }
      })();
      await until(
        20_000,
        () => 'acknowledged writes before the kill',
        async () => acked.length >= 50,
      );
      const killedAt = Date.now();
      await primary.kill();
      let newPort = 0;
      await until(
        60_000,
        () => 'every sentinel to name a new primary',
        async () => {
          const ports = new Set<string>();
          for (const s of sentinels) {
            const r = await ask(s.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster');
            const port = /\$\d+\r\n(\d+)\r\n$/.exec(r)?.[1] ?? '';
            ports.add(port);
          }
          if (ports.size !== 1) return false;
          newPort = Number([...ports][0]);
          return newPort !== primary.port && newPort !== 0;
        },
      );
      const failoverMs = Date.now() - killedAt;
      // down-after-milliseconds (1 s), the vote and the promotion: a few seconds (redis-server nodes: about 2.5 s)
      assert.ok(failoverMs < 15_000, `failover took ${failoverMs} ms`);
      const promoted = replicas.find((r) => r.port === newPort);
      assert.ok(promoted, `the new primary ${newPort} is one of the replicas`);
      const other = replicas.find((r) => r !== promoted)!;
      assert.equal((await replInfo(promoted.port)).get('role'), 'master');
      await until(
        30_000,
        () => 'the other replica to follow the new primary',
        async () => {
          const info = await replInfo(other.port);
          return info.get('master_port') === String(promoted.port) && info.get('master_link_status') === 'up';
        },
      );
      // the client keeps writing through the new primary
      const before = acked.length;
      await until(
        30_000,
        () => `writes acknowledged after the failover (${acked.length - before})`,
        async () => acked.length >= before + 50,
      );
      stop = true;
      await writer;
      const conn = await RawConn.connect(promoted.port);
      try {
        const lost: number[] = [];
        for (const i of acked)
          if ((await conn.call('GET', `k:${i}`)) !== `$${String(i).length}\r\n${i}\r\n`) lost.push(i);
        assert.deepEqual(lost, [], `acknowledged writes missing on the new primary (failover took ${failoverMs} ms)`);
      } finally {
        conn.close();
      }
      console.log(
        `sentinel failover: a new primary named by every sentinel ${failoverMs} ms after SIGKILL; ${acked.length} writes acknowledged`,
      );
    } finally {
      client?.disconnect();
      for (const p of procs.reverse()) await p.kill();
      fs.rmSync(root, { recursive: true, force: true });
    }
  },
);
