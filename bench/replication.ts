/**
 * `npm run bench:replication`: replication against redis-server in the same
 * roles (issue 17's targets). Each server kind (redis-server, tsdis; or two
 * tsdis builds with --a/--b) runs as a primary with its own replicas of the
 * same kind, and the cases run interleaved, alternating which kind goes
 * first:
 *
 * - `set r1`, `set r2`: redis-benchmark SET, 50 clients, no pipelining,
 *   against a primary with one and with two replicas attached (requests/s);
 *   `set r1 -P 16`: one replica, 16 commands per pipeline (10x the requests).
 * - `full sync`: a primary holding KEYS keys (DEBUG POPULATE, 1M by
 *   default; repl-diskless-sync-delay 0 on every server, so the sync
 *   starts at once); a fresh replica process is started with REPLICAOF; the time
 *   until the primary reports it online (INFO slave0 state=online) and the
 *   replica reports master_link_status:up (ms).
 * - `lag p99`: 50 clients write (redis-benchmark SET) to a primary with one
 *   replica; every 10 ms the primary's master_repl_offset and the replica's
 *   slave_repl_offset are read at once; the 99th percentile of the
 *   difference (bytes).
 *
 * Usage: node dist-test/bench/replication.js [--repeats N] [--requests N] [--keys N]
 *          [--only set,sync,lag] [--a OLD/dist/cli.js [--b NEW/dist/cli.js]] [--redis-only]
 */
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
  TSDIS_CLI,
  type ServerProc,
} from './lib.js';
import { runBenchmark } from './run.js';
import path from 'node:path';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string): string => argOf(argv, name, dflt);
const REPEATS = Number(opt('--repeats', '3'));
const REQUESTS = Number(opt('--requests', '100000'));
const KEYS = Number(opt('--keys', '1000000'));
const ONLY = opt('--only', 'set,sync,lag').split(',');

/** A kind of server: how to start one (redis-server, or a tsdis build). */
interface Kind {
  name: string;
  start(): Promise<ServerProc>;
}

/** Flags for every server: a full sync starts at once (the default waits 5 s for more replicas); DEBUG POPULATE. */
const FLAGS = ['--repl-diskless-sync-delay', '0', '--enable-debug-command', 'yes'];

function kinds(): Kind[] {
  const a = opt('--a', '');
  const redis: Kind = { name: 'redis', start: () => startRedis(FLAGS) };
  // (--redis-only: the bench's own check against the reference, without tsdis)
  if (argv.includes('--redis-only')) return [redis];
  if (a === '') return [redis, { name: 'tsdis', start: () => startTsdis({ extra: FLAGS }) }];
  const b = path.resolve(opt('--b', TSDIS_CLI));
  return [
    redis,
    { name: 'A', start: () => startTsdis({ cli: path.resolve(a), extra: FLAGS }) },
    { name: 'B', start: () => startTsdis({ cli: b, extra: FLAGS }) },
  ];
}

/** INFO replication of a server as a map. */
async function replInfo(port: number): Promise<Map<string, string>> {
  const c = await Conn.connect(port);
  try {
    return fields(String(await c.call(['INFO', 'replication'])));
  } finally {
    c.close();
  }
}

function fields(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

/** Polls until `check` holds (every 5 ms), or throws after `ms`. */
async function until(ms: number, what: string, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(5);
  }
}

/** Makes `replica` follow `primary` and waits until both say the link is up and the replica online. */
async function attach(primary: ServerProc, replica: ServerProc, n: number): Promise<void> {
  const c = await Conn.connect(replica.port);
  await c.call(['REPLICAOF', '127.0.0.1', String(primary.port)]);
  c.close();
  await until(600_000, `replica ${replica.port} online`, async () => {
    const p = await replInfo(primary.port);
    const r = await replInfo(replica.port);
    return (
      r.get('master_link_status') === 'up' &&
      /state=online/.test(p.get(`slave${n}`) ?? '') &&
      Number(p.get('connected_slaves')) === n + 1
    );
  });
}

/** A primary of `kind` with `replicas` replicas of the same kind, online. */
async function stack(kind: Kind, replicas: number): Promise<ServerProc[]> {
  const primary = await kind.start();
  const out = [primary];
  for (let i = 0; i < replicas; i++) {
    const r = await kind.start();
    out.push(r);
    await attach(primary, r, i);
  }
  return out;
}

async function stopAll(procs: ServerProc[]): Promise<void> {
  for (const p of procs) await p.stop();
}

const SET_ARGS = ['-t', 'set', '-c', '50', '-r', '100000', '--csv', '-q'];

/**
 * set rN: each kind's SET rate and primary CPU µs per request, medians of
 * REPEATS interleaved runs; `pipeline` > 1: redis-benchmark -P (10x the requests).
 */
async function setCase(ks: Kind[], replicas: number, pipeline = 1): Promise<{ rps: number[]; cpu: number[] }> {
  const n = pipeline > 1 ? REQUESTS * 10 : REQUESTS;
  const args = [...SET_ARGS, '-n', String(n), ...(pipeline > 1 ? ['-P', String(pipeline)] : [])];
  const stacks = [];
  for (const k of ks) stacks.push(await stack(k, replicas));
  const rps: number[][] = ks.map(() => []);
  const cpu: number[][] = ks.map(() => []);
  try {
    for (let r = 0; r < REPEATS; r++) {
      for (let j = 0; j < ks.length; j++) {
        const i = (r + j) % ks.length;
        const primary = stacks[i]![0]!;
        const c0 = cpuUs(primary.pid);
        const res = await runBenchmark(primary.port, args);
        if (res.error !== null) throw new Error(`${ks[i]!.name} set r${replicas}: ${res.error}`);
        rps[i]!.push(res.rps);
        cpu[i]!.push((cpuUs(primary.pid) - c0) / n);
      }
    }
  } finally {
    for (const s of stacks) await stopAll(s);
  }
  return { rps: rps.map(median), cpu: cpu.map(median) };
}

/** full sync: ms from REPLICAOF to online, for a fresh replica of a KEYS-key primary. */
async function syncCase(ks: Kind[]): Promise<number[]> {
  const primaries: ServerProc[] = [];
  for (const k of ks) {
    const p = await k.start();
    const c = await Conn.connect(p.port);
    await c.call(['DEBUG', 'POPULATE', String(KEYS)], 600_000);
    c.close();
    primaries.push(p);
  }
  const ms: number[][] = ks.map(() => []);
  try {
    for (let r = 0; r < REPEATS; r++) {
      for (let j = 0; j < ks.length; j++) {
        const i = (r + j) % ks.length;
        const replica = await ks[i]!.start();
        try {
          const t0 = performance.now();
          await attach(primaries[i]!, replica, 0);
          ms[i]!.push(performance.now() - t0);
        } finally {
          await replica.stop();
          // the primary forgets the dropped replica before the next repeat
          await until(
            60_000,
            'replica gone',
            async () => (await replInfo(primaries[i]!.port)).get('connected_slaves') === '0',
          );
        }
      }
    }
  } finally {
    await stopAll(primaries);
  }
  return ms.map(median);
}

/** lag p99: bytes the replica is behind, sampled every 10 ms under 50 writing clients. */
async function lagCase(ks: Kind[]): Promise<number[]> {
  const p99: number[][] = ks.map(() => []);
  for (let r = 0; r < REPEATS; r++) {
    for (let j = 0; j < ks.length; j++) {
      const i = (r + j) % ks.length;
      const [primary, replica] = await stack(ks[i]!, 1);
      const pc = await Conn.connect(primary!.port);
      const rc = await Conn.connect(replica!.port);
      const lags: number[] = [];
      let done = false;
      const bench = runBenchmark(primary!.port, [...SET_ARGS, '-n', String(REQUESTS)]).finally(() => (done = true));
      try {
        while (!done) {
          const [pi, ri] = await Promise.all([pc.call(['INFO', 'replication']), rc.call(['INFO', 'replication'])]);
          const lag =
            Number(fields(String(pi)).get('master_repl_offset')) - Number(fields(String(ri)).get('slave_repl_offset'));
          if (Number.isFinite(lag)) lags.push(Math.max(0, lag));
          await sleep(10);
        }
        const res = await bench;
        if (res.error !== null) throw new Error(`${ks[i]!.name} lag: ${res.error}`);
      } finally {
        pc.close();
        rc.close();
        await stopAll([primary!, replica!]);
      }
      lags.sort((a, b) => a - b);
      p99[i]!.push(lags[Math.min(lags.length - 1, Math.floor(lags.length * 0.99))] ?? NaN);
    }
  }
  return p99.map(median);
}

async function main(): Promise<void> {
  const ks = kinds();
  const names = ks.map((k) => k.name);
  const head = ['case', ...names, ...names.slice(1).map((n) => `${n}/redis`)];
  if (names.length === 3) head.push('B/A');
  const row = (name: string, v: number[], fmt: (x: number) => string) => {
    const r = [name, ...v.map(fmt), ...v.slice(1).map((x) => fmtRatio(x / v[0]!))];
    if (v.length === 3) r.push(fmtRatio(v[2]! / v[1]!));
    return r;
  };
  const rows: string[][] = [];
  const rateRatios: number[] = [];
  console.log(`repeats ${REPEATS}, ${REQUESTS} requests per SET run, ${KEYS} keys for the full sync`);
  if (ONLY.includes('set')) {
    for (const n of [1, 2]) {
      const { rps, cpu } = await setCase(ks, n);
      rows.push(row(`set r${n} (req/s)`, rps, fmtInt));
      rows.push(row(`set r${n} primary CPU µs/req`, cpu, (x) => x.toFixed(2)));
      if (rps.length > 1) rateRatios.push(rps[1]! / rps[0]!);
    }
    const { rps, cpu } = await setCase(ks, 1, 16);
    rows.push(row('set r1 -P 16 (req/s)', rps, fmtInt));
    rows.push(row('set r1 -P 16 primary CPU µs/req', cpu, (x) => x.toFixed(2)));
    if (rps.length > 1) rateRatios.push(rps[1]! / rps[0]!);
  }
  if (ONLY.includes('sync')) rows.push(row(`full sync ${KEYS} keys (ms)`, await syncCase(ks), fmtInt));
  if (ONLY.includes('lag')) rows.push(row('lag p99, 50 writers (bytes)', await lagCase(ks), fmtInt));
  console.log('\n' + table(head, rows));
  if (rateRatios.length > 0 && names.length > 1)
    console.log(`\nSET rate geomean ${names[1]}/redis: ${fmtRatio(geomean(rateRatios))}`);
}

await main();
