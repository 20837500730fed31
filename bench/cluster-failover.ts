/**
 * `npm run bench:cluster-failover`: how long a Redis Cluster takes to
 * recover from a SIGKILLed primary, tsdis against redis-server with the
 * same cluster-node-timeout. Each run builds a fresh cluster of six nodes
 * of one kind (`redis-cli --cluster create --cluster-replicas 1`, every
 * node with repl-diskless-sync-delay 0 and its own cluster-port), waits
 * until every replica's link is up and every node agrees, SIGKILLs one
 * primary, then polls every survivor every 20 ms until each says
 * cluster_state:ok and shows the killed primary's replica as a primary
 * owning its slots (the time from the kill to the last survivor's
 * recovery, ms). Runs alternate between the kinds, which goes first
 * rotating each repeat; medians and the ratio tsdis/redis are printed (a
 * ratio below 1 means tsdis recovers faster). Most of the time is Redis's
 * own protocol: node timeout to PFAIL, FAIL by majority, 500-1000 ms of
 * election delay, so the ratio is near 1 by design.
 *
 * Usage: node dist-test/bench/cluster-failover.js [--repeats N] [--timeout MS]
 */
import { spawnSync } from 'node:child_process';
import {
  argOf,
  startRedis,
  startTsdis,
  freePort,
  Conn,
  sleep,
  median,
  table,
  fmtInt,
  fmtRatio,
  type ServerProc,
} from './lib.js';

const argv = process.argv.slice(2);
const REPEATS = Number(argOf(argv, '--repeats', '3'));
const TIMEOUT = Number(argOf(argv, '--timeout', '1000'));

type KindName = 'redis' | 'tsdis';

/** One command on a fresh connection, its reply as text. */
async function call(port: number, ...args: string[]): Promise<string> {
  const c = await Conn.connect(port);
  try {
    const r = await c.call(args);
    return typeof r === 'string' ? r : JSON.stringify(r);
  } finally {
    c.close();
  }
}

/** Starts six cluster nodes of `kind`, each with a free cluster-port. */
async function startSix(kind: KindName): Promise<ServerProc[]> {
  const out: ServerProc[] = [];
  for (let i = 0; i < 6; i++) {
    const flags = [
      '--cluster-enabled',
      'yes',
      '--cluster-node-timeout',
      String(TIMEOUT),
      '--cluster-port',
      String(await freePort()),
      '--repl-diskless-sync-delay',
      '0',
    ];
    out.push(kind === 'redis' ? await startRedis(flags) : await startTsdis({ extra: flags }));
  }
  return out;
}

/** Polls `f` every 20 ms until true; throws after `ms`. */
async function until(f: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if (await f()) return;
    } catch {
      /* a node not answering yet */
    }
    if (Date.now() > end) throw new Error(`timeout waiting for ${what}`);
    await sleep(20);
  }
}

/** CLUSTER NODES lines as [id, port, flags, master, slots]. */
async function nodes(port: number): Promise<string[][]> {
  const t = await call(port, 'CLUSTER', 'NODES');
  return t
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const f = l.split(' ');
      return [f[0]!, f[1]!.split(':')[1]!.split('@')[0]!, f[2]!, f[3]!, f.slice(8).join(' ')];
    });
}

/** One run: a fresh cluster of `kind`, a primary SIGKILLed, ms until every survivor recovered. */
async function run(kind: KindName): Promise<number> {
  const six = await startSix(kind);
  try {
    const ports = six.map((s) => String(s.port));
    const r = spawnSync(
      'redis-cli',
      ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes'],
      { encoding: 'utf8', timeout: 60000 },
    );
    if (r.status !== 0) throw new Error(`--cluster create failed: ${r.stdout}${r.stderr}`);
    await until(
      async () => {
        const views: string[] = [];
        for (const p of ports) {
          if (!(await call(Number(p), 'CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
          const ns = await nodes(Number(p));
          if (ns.filter((n) => n[2]!.includes('slave')).length !== 3) return false;
          views.push(JSON.stringify(ns.map((n) => [n[0], n[3], n[4]]).sort()));
          const info = await call(Number(p), 'INFO', 'replication');
          if (info.includes('role:slave') && !info.includes('master_link_status:up')) return false;
        }
        return views.every((v) => v === views[0]);
      },
      60000,
      'a formed cluster',
    );
    const ns = await nodes(six[0]!.port);
    const victim = ns.find((n) => n[2]!.includes('master'))!;
    const heir = ns.find((n) => n[3] === victim[0])!;
    const victimProc = six.find((s) => String(s.port) === victim[1])!;
    const survivors = six.filter((s) => s !== victimProc).map((s) => s.port);
    const t0 = performance.now();
    await victimProc.stop('SIGKILL');
    const done = new Set<number>();
    let last = t0;
    await until(
      async () => {
        for (const p of survivors) {
          if (done.has(p)) continue;
          if (!(await call(p, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) continue;
          const h = (await nodes(p)).find((n) => n[0] === heir[0]);
          if (h === undefined || !h[2]!.includes('master') || h[4] !== victim[4]) continue;
          done.add(p);
          last = performance.now();
        }
        return done.size === survivors.length;
      },
      60000,
      'recovery on every survivor',
    );
    return last - t0;
  } finally {
    for (const s of six) await s.stop('SIGKILL');
  }
}

async function main(): Promise<void> {
  const kinds: KindName[] = ['redis', 'tsdis'];
  const got: Record<KindName, number[]> = { redis: [], tsdis: [] };
  for (let rep = 0; rep < REPEATS; rep++) {
    for (let k = 0; k < kinds.length; k++) {
      const kind = kinds[(rep + k) % kinds.length]!;
      const ms = await run(kind);
      got[kind].push(ms);
      console.log(`  run ${rep + 1} ${kind}: ${fmtInt(ms)} ms`);
    }
  }
  const mr = median(got.redis);
  const mt = median(got.tsdis);
  console.log(
    `\ncluster failover, 6 nodes (3 primaries + 3 replicas), cluster-node-timeout ${TIMEOUT} ms, ${REPEATS} repeats (medians)\n`,
  );
  console.log(
    table(
      ['case', 'redis ms', 'tsdis ms', 'tsdis/redis'],
      [['SIGKILL primary → cluster_state:ok on all survivors', fmtInt(mr), fmtInt(mt), fmtRatio(mt / mr)]],
    ),
  );
}

await main();
process.exit(0);
