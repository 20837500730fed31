/**
 * Cluster test kit: ports whose bus port (port + 10000) is free too,
 * in-process tsdis nodes and redis-server nodes in cluster mode, bounded
 * waits, and forming a cluster with CLUSTER MEET + ADDSLOTSRANGE.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { CLI } from '../helpers/child.js';
import {
  freePort,
  portFree,
  startRedis,
  startTsdis,
  waitForPing,
  RawConn,
  hasRedis,
  SKIP_NO_REDIS,
  type RedisProcess,
} from '../helpers/servers.js';
import type { TsdisServer } from '../../src/index.js';

export { portFree };

/** A free port below 55536 whose bus port (+10000) is free too (freePort's busPort). */
export function clusterPort(): Promise<number> {
  return freePort({ busPort: true });
}

/** A tsdis node in cluster mode, and its log lines. */
export interface TsdisNode {
  srv: TsdisServer;
  port: number;
  log: string[];
  close(): Promise<void>;
}

/** Starts an in-process tsdis node with cluster-enabled yes (retried on a port taken meanwhile). */
export async function startTsdisNode(config: Record<string, string | number> = {}): Promise<TsdisNode> {
  for (let attempt = 0; ; attempt++) {
    const port = await clusterPort();
    const log: string[] = [];
    try {
      const srv = await startTsdis({
        port,
        log: (l) => log.push(l),
        config: { 'cluster-enabled': 'yes', 'cluster-node-timeout': 1000, ...config },
      });
      let closed = false;
      return {
        srv,
        port,
        log,
        close: async () => {
          if (closed) return;
          closed = true;
          await srv.close();
        },
      };
    } catch (e) {
      if (attempt >= 4) throw e;
    }
  }
}

/** Starts redis-server in cluster mode on a port pair (startRedis with busPort; stop() kills it). */
export function startRedisNode(extra: string[] = []): Promise<RedisProcess> {
  return startRedis(['--cluster-enabled', 'yes', '--cluster-node-timeout', '1000', ...extra], { busPort: true });
}

/** Polls `f` every 50 ms until it returns a truthy value (returned), or throws after `ms` naming `what`. */
export async function until<T>(f: () => Promise<T> | T, ms: number, what: string | (() => string)): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timeout (${ms} ms) waiting for ${typeof what === 'string' ? what : what()}; last: ${String(last)}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One command on a fresh connection; the reply's raw bytes. */
export async function rawCall(port: number, ...args: (string | number)[]): Promise<string> {
  const c = await RawConn.connect(port);
  try {
    return await c.call(...args);
  } finally {
    c.close();
  }
}

/** A RESP bulk or verbatim reply's text (CLUSTER NODES, CLUSTER INFO). */
export function text(raw: string): string {
  const nl = raw.indexOf('\r\n');
  let body = raw.slice(nl + 2, raw.length - 2);
  if (raw[0] === '=') body = body.slice(4);
  return body;
}

/** A field of CLUSTER INFO. */
export async function clusterInfo(port: number, field: string): Promise<string> {
  const t = text(await rawCall(port, 'CLUSTER', 'INFO'));
  const m = new RegExp(`^${field}:(.*)\\r?$`, 'm').exec(t);
  return m === null ? '' : m[1]!.trim();
}

/** Waits until every port says cluster_state:ok. */
export async function allClusterOk(ports: number[], ms = 20000, what = 'cluster_state:ok'): Promise<void> {
  await until(
    async () => {
      for (const p of ports) if ((await clusterInfo(p, 'cluster_state')) !== 'ok') return false;
      return true;
    },
    ms,
    what,
  );
}

/** The slot ranges a CLUSTER NODES line serves, as [first, last] (migration marks "[...]" skipped). */
export function servedRanges(line: string): [number, number][] {
  const out: [number, number][] = [];
  for (const f of line.split(' ').slice(8)) {
    if (f.startsWith('[')) continue;
    const [a, b] = f.split('-').map(Number);
    out.push([a!, b ?? a!]);
  }
  return out;
}

/** Whether a CLUSTER NODES line serves `slot`. */
export function servesSlot(line: string, slot: number): boolean {
  return servedRanges(line).some(([a, b]) => slot >= a && slot <= b);
}

/** CLUSTER NODES as a sorted list of "id addr flags master epoch link slots" (timing fields and `myself` dropped). */
export async function nodesView(port: number): Promise<string[]> {
  const t = text(await rawCall(port, 'CLUSTER', 'NODES'));
  return t
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const f = l.split(' ');
      const flags = f[2]!
        .split(',')
        .filter((x) => x !== 'myself')
        .join(',');
      return [f[0], f[1]!.split(',')[0], flags, f[3], f[6], ...f.slice(8)].join(' ');
    })
    .sort();
}

/**
 * Forms a cluster: the first node MEETs the others, the slots are split in
 * contiguous ranges, one per node in order; resolves when every node says
 * cluster_state:ok and all agree on CLUSTER NODES.
 */
export async function formCluster(ports: number[], ms = 20000): Promise<void> {
  for (const p of ports.slice(1)) await rawCall(ports[0]!, 'CLUSTER', 'MEET', '127.0.0.1', p);
  const per = Math.floor(16384 / ports.length);
  for (let i = 0; i < ports.length; i++) {
    const start = i * per;
    const end = i === ports.length - 1 ? 16383 : (i + 1) * per - 1;
    const r = await rawCall(ports[i]!, 'CLUSTER', 'ADDSLOTSRANGE', start, end);
    if (r !== '+OK\r\n') throw new Error(`ADDSLOTSRANGE on ${ports[i]}: ${r}`);
  }
  await until(
    async () => {
      for (const p of ports) if ((await clusterInfo(p, 'cluster_state')) !== 'ok') return false;
      const views = await Promise.all(ports.map((p) => nodesView(p)));
      return views.every((v) => v.length === ports.length && JSON.stringify(v) === JSON.stringify(views[0]));
    },
    ms,
    `cluster_state:ok and agreement on ${ports.join(',')}`,
  );
}

/** A two-node cluster: node 1 serves 0-8191, node 2 8192-16383 (formCluster's split). */
export async function formTwo(ports: number[]): Promise<void> {
  await formCluster(ports);
}

/** A cluster node in its own process (tsdis or redis-server) that a test can SIGKILL and start again on its files. */
export interface ProcNode {
  kind: 'tsdis' | 'redis';
  port: number;
  dir: string;
  proc: ChildProcess;
  /** Everything the process printed (tsdis: its log). */
  output(): string;
  /** SIGKILL, resolved once it exited (the files stay). */
  kill(): Promise<void>;
  /** Starts it again on the same port and dir (nodes.conf kept). */
  restart(): Promise<void>;
  /** SIGKILL and remove the dir. */
  stop(): Promise<void>;
}

/**
 * Starts a cluster node as a process on a port pair: tsdis (`node cli.js`,
 * the build under test) or redis-server, with cluster-node-timeout
 * `timeout`, no persistence and no diskless-sync delay, plus `extra`.
 */
export async function startProcNode(kind: 'tsdis' | 'redis', extra: string[] = [], timeout = 1000): Promise<ProcNode> {
  for (let attempt = 0; ; attempt++) {
    const port = await clusterPort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tsdis-cluster-${kind}-`));
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--cluster-enabled',
      'yes',
      '--cluster-node-timeout',
      String(timeout),
      '--repl-diskless-sync-delay',
      '0',
      ...extra,
    ];
    let out = '';
    const spawnIt = (): ChildProcess => {
      const p =
        kind === 'tsdis'
          ? spawn(process.execPath, [CLI, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
          : spawn('redis-server', [...args, '--logfile', ''], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      // (a test file that times out exits without its after hooks: the node goes with it)
      const reap = () => p.kill('SIGKILL');
      process.once('exit', reap);
      p.once('exit', () => process.off('exit', reap));
      return p;
    };
    const exited = (p: ChildProcess) =>
      new Promise<void>((resolve) => {
        if (p.exitCode !== null || p.signalCode !== null) return resolve();
        p.once('exit', () => resolve());
        p.kill('SIGKILL');
      });
    const node: ProcNode = {
      kind,
      port,
      dir,
      proc: spawnIt(),
      output: () => out,
      kill: () => exited(node.proc),
      restart: async () => {
        await exited(node.proc);
        node.proc = spawnIt();
        await waitForPing(port, node.proc);
      },
      stop: async () => {
        await exited(node.proc);
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
    try {
      await waitForPing(port, node.proc);
      // (the port may have been taken by another process meanwhile: the one answering must be ours)
      const pid = /process_id:(\d+)/.exec(await rawCall(port, 'INFO', 'server'))?.[1];
      if (pid !== String(node.proc.pid)) throw new Error(`port ${port} answered by another process`);
      return node;
    } catch (e) {
      await node.stop();
      if (attempt >= 4) throw e;
    }
  }
}

/**
 * Runs redis-cli (bounded) without blocking this process's event loop (the
 * nodes may run in it); `input` goes to its stdin (some of --cluster fix's
 * questions are asked even with --cluster-yes).
 */
export function redisCli(args: string[], ms = 90000, input = ''): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('redis-cli', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    p.stdin.on('error', () => {}); // (redis-cli may exit before reading it)
    p.stdin.end(input);
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), ms);
    p.on('exit', (status) => {
      clearTimeout(t);
      resolve({ status, out });
    });
  });
}

/** The skip option of tests that need redis-cli and redis-server. */
export const cliSkip = hasRedis() && spawnSync('redis-cli', ['--version']).status === 0 ? false : SKIP_NO_REDIS;
