/**
 * `npm run bench:cluster`: Redis Cluster throughput against redis-server
 * (issue 18's target: tsdis at least 0.85x). Three redis-server primaries
 * and three tsdis primaries (or two tsdis builds with --a/--b, three nodes
 * each) are started in the same run, each trio formed into its own cluster
 * (CLUSTER MEET, a third of the slots each); then `redis-benchmark
 * --cluster` (its clients spread over the three primaries, keys routed by
 * slot, no pipelining, 50 clients, random keys out of 100,000) runs each
 * test against each cluster, interleaved: the kind that goes first rotates
 * every repeat, so a neighbour's load falls on each alike. Medians of the
 * repeats, as ratios to redis-server, plus the CPU the three server
 * processes used per request (all threads).
 *
 * Usage: node dist-test/bench/cluster.js [--repeats N] [--requests N] [--tests set,get,...]
 *          [--a OLD/dist/cli.js [--b NEW/dist/cli.js]] [--node-args "--cpu-prof ..."]
 */
import path from 'node:path';
import {
  argOf,
  startRedis,
  startTsdis,
  Conn,
  sleep,
  median,
  geomean,
  table,
  fmtInt,
  fmtRatio,
  cpuUs,
  parseInfo,
  TSDIS_CLI,
  type ServerProc,
} from './lib.js';
import { runBenchmark } from './run.js';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string): string => argOf(argv, name, dflt);
const REPEATS = Number(opt('--repeats', '5'));
const REQUESTS = Number(opt('--requests', '200000'));
const TESTS = opt('--tests', 'set,get').split(',');
/** Node flags for every tsdis process (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`). */
const NODE_ARGS = opt('--node-args', '').split(/\s+/).filter(Boolean);
const NODES = 3;

/** Config flags of every node, redis-server and tsdis alike. */
const FLAGS = ['--cluster-enabled', 'yes', '--cluster-node-timeout', '5000', '--appendonly', 'no'];

/** A kind of server: how to start one node of it. */
interface Kind {
  name: string;
  start(): Promise<ServerProc>;
}

function kinds(): Kind[] {
  const a = opt('--a', '');
  const redis: Kind = { name: 'redis', start: () => startRedis(FLAGS, { busPort: true }) };
  const tsdis = (cli: string): (() => Promise<ServerProc>) => {
    return () => startTsdis({ cli, extra: FLAGS, busPort: true, nodeArgs: NODE_ARGS });
  };
  if (a === '') return [redis, { name: 'tsdis', start: tsdis(TSDIS_CLI) }];
  const b = path.resolve(opt('--b', TSDIS_CLI));
  return [redis, { name: 'A', start: tsdis(path.resolve(a)) }, { name: 'B', start: tsdis(b) }];
}

/** One command on a fresh connection. */
async function call(port: number, args: (string | number)[]): Promise<unknown> {
  const c = await Conn.connect(port);
  try {
    return await c.call(args);
  } finally {
    c.close();
  }
}

/** Polls `check` every 50 ms until true, or throws after `ms`. */
async function until(ms: number, what: string, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(50);
  }
}

/** Starts NODES nodes of `kind` and forms a cluster: the first MEETs the others, a third of the slots each. */
async function startCluster(kind: Kind): Promise<ServerProc[]> {
  const nodes: ServerProc[] = [];
  for (let i = 0; i < NODES; i++) nodes.push(await kind.start());
  for (const n of nodes.slice(1)) await call(nodes[0]!.port, ['CLUSTER', 'MEET', '127.0.0.1', n.port]);
  const per = Math.floor(16384 / NODES);
  for (let i = 0; i < NODES; i++) {
    const end = i === NODES - 1 ? 16383 : (i + 1) * per - 1;
    const r = await call(nodes[i]!.port, ['CLUSTER', 'ADDSLOTSRANGE', i * per, end]);
    if (r !== 'OK') throw new Error(`${kind.name}: ADDSLOTSRANGE: ${String(r)}`);
  }
  await until(60_000, `${kind.name} cluster ok`, async () => {
    for (const n of nodes) {
      const info = parseInfo(String(await call(n.port, ['CLUSTER', 'INFO'])));
      if (info['cluster_state'] !== 'ok' || info['cluster_known_nodes'] !== String(NODES)) return false;
    }
    return true;
  });
  return nodes;
}

async function main(): Promise<void> {
  const ks = kinds();
  const names = ks.map((k) => k.name);
  const clusters: ServerProc[][] = [];
  try {
    for (const k of ks) clusters.push(await startCluster(k));
    console.log(
      `bench:cluster ${new Date().toISOString()}  node ${process.version}  ${REPEATS} repeats, ${REQUESTS} requests a run`,
    );
    for (let i = 0; i < ks.length; i++) {
      console.log(`  ${names[i]}: ${clusters[i]![0]!.cmdline}  (and ${NODES - 1} more on other ports)`);
    }
    const args = (test: string) => [
      '--cluster',
      '-t',
      test,
      '-c',
      '50',
      '-n',
      String(REQUESTS),
      '-r',
      '100000',
      '--csv',
      '-q',
    ];
    console.log(`  redis-benchmark -h 127.0.0.1 -p <first node> ${args('<test>').join(' ')}\n`);
    const rows: string[][] = [];
    const ratios: number[][] = names.slice(1).map(() => []);
    for (const test of TESTS) {
      const rps: number[][] = ks.map(() => []);
      const cpu: number[][] = ks.map(() => []);
      for (let r = 0; r < REPEATS; r++) {
        for (let j = 0; j < ks.length; j++) {
          const i = (r + j) % ks.length;
          const nodes = clusters[i]!;
          const c0 = nodes.reduce((s, n) => s + cpuUs(n.pid), 0);
          const res = await runBenchmark(nodes[0]!.port, args(test));
          if (res.error !== null) throw new Error(`${names[i]} ${test}: ${res.error}`);
          rps[i]!.push(res.rps);
          cpu[i]!.push((nodes.reduce((s, n) => s + cpuUs(n.pid), 0) - c0) / REQUESTS);
        }
      }
      const m = rps.map(median);
      const c = cpu.map(median);
      names.slice(1).forEach((_, k) => ratios[k]!.push(m[k + 1]! / m[0]!));
      rows.push([
        test.toUpperCase(),
        ...m.map(fmtInt),
        ...m.slice(1).map((x) => fmtRatio(x / m[0]!)),
        ...c.map((x) => x.toFixed(2)),
        ...(ks.length === 3 ? [fmtRatio(m[2]! / m[1]!)] : []),
      ]);
      console.log(`  ${test}: ${rps.map((x, i) => `${names[i]} ${x.map(fmtInt).join(' ')}`).join('; ')}`);
    }
    const head = [
      'test',
      ...names.map((n) => `${n} req/s`),
      ...names.slice(1).map((n) => `${n}/redis`),
      ...names.map((n) => `${n} CPU µs/req`),
      ...(ks.length === 3 ? ['B/A'] : []),
    ];
    rows.push([
      `geomean (${TESTS.length} tests)`,
      ...names.map(() => ''),
      ...ratios.map((r) => fmtRatio(geomean(r))),
      ...names.map(() => ''),
      ...(ks.length === 3 ? [''] : []),
    ]);
    console.log('\n' + table(head, rows));
  } finally {
    for (const c of clusters) for (const n of c) await n.stop();
  }
}

await main();
