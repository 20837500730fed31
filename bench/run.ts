/**
 * `npm run bench`: redis-benchmark against a real redis-server and a tsdis
 * child process (`node dist/cli.js --port P --save ''`), side by side in one
 * run so both see the same (shared, noisy) machine.
 *
 * For each group (50 clients; 50 clients with -P 16; one synchronous client)
 * and each test, the two servers are run back to back, in alternating order
 * between repeats; the median requests/s of the repeats is reported with the
 * ratio tsdis/redis, and the geometric mean of the ratios per group.
 *
 * Usage: node dist-test/bench/run.js [--quick] [--repeats N] [--scale X] [--warmup]
 *          [--suite core|collections] [--tests set,get,...] [--groups c50,p16,c1] [--json FILE]
 *
 * --warmup first runs every chosen group and test once against both servers,
 * unmeasured, so the figures are the servers' steady state (a fresh tsdis's
 * first requests run while V8 is still compiling its hot paths). Without it
 * (the default, and what bench/RESULTS.md quotes unless it says otherwise)
 * the first repeat of the first tests includes that compilation.
 * Env:   BENCH_QUICK=1 BENCH_REPEATS=N BENCH_SCALE=X BENCH_TESTS=... BENCH_GROUPS=...
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  startRedis,
  startTsdis,
  median,
  geomean,
  table,
  fmtInt,
  fmtRatio,
  shq,
  track,
  cpuUs,
  Conn,
  runBatches,
  type ServerProc,
} from './lib.js';

/** The core's tests (issue 2): the default set. */
export const CORE_TESTS = ['ping_inline', 'ping_mbulk', 'set', 'get', 'incr', 'mset'] as const;
/** The collection tests (issue 3): `--suite collections` (run at 50 clients). */
export const COLLECTION_TESTS = [
  'lpush',
  'rpush',
  'lpop',
  'rpop',
  'sadd',
  'hset',
  'spop',
  'zadd',
  'zpopmin',
  'lrange_100',
  'lrange_300',
  'lrange_500',
  'lrange_600',
] as const;
/**
 * Small hashes (issue 14): KEYSPACE hashes `hkey:<12 digits>` of 10 fields
 * `f0`..`f9` with 16-byte values, loaded by prepareTest() before the runs
 * (redis-benchmark's own `-t hset` writes one big hash), then HGET, HSET of an
 * existing field, HGETALL of a random one (`--tests hget_small,...`).
 */
export const SMALL_HASH_TESTS = ['hget_small', 'hset_small', 'hgetall_small'] as const;
export const ALL_TESTS = [...CORE_TESTS, ...COLLECTION_TESTS, ...SMALL_HASH_TESTS] as const;

/** The redis-benchmark command of each small-hash test. */
const SMALL_HASH_CMD: Record<string, string[]> = {
  hget_small: ['HGET', 'hkey:__rand_int__', 'f5'],
  hset_small: ['HSET', 'hkey:__rand_int__', 'f5', 'wwwwwwwwwwwwwwww'],
  hgetall_small: ['HGETALL', 'hkey:__rand_int__'],
};

export interface Group {
  id: string;
  label: string;
  args: string[];
  /** Requests per run in full mode, chosen so one run takes about a second on redis. */
  n: number;
}

export const GROUPS: Group[] = [
  { id: 'c50', label: '50 clients, no pipelining', args: ['-c', '50'], n: 100_000 },
  { id: 'p16', label: '50 clients, pipeline 16 (-P 16)', args: ['-c', '50', '-P', '16'], n: 800_000 },
  { id: 'c1', label: '1 client, synchronous (-c 1)', args: ['-c', '1'], n: 30_000 },
];

/** MSET sends 10 keys per request; fewer requests keep its runs as long as the others. */
const TEST_N_FACTOR: Record<string, number> = {
  mset: 0.5,
  lrange_100: 0.5,
  lrange_300: 0.3,
  lrange_500: 0.2,
  lrange_600: 0.2,
};

/** Keys are drawn from 100k random names (-r), as an application's would be. */
const KEYSPACE = 100_000;
const fmtUs = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const RUN_TIMEOUT_MS = 120_000;

interface Opts {
  quick: boolean;
  repeats: number;
  scale: number;
  tests: string[];
  groups: Group[];
  json: string | null;
  warmup: boolean;
}

function parseOpts(argv: string[]): Opts {
  const env = process.env;
  const get = (flag: string, envName: string): string | undefined => {
    const i = argv.indexOf(flag);
    if (i >= 0) return argv[i + 1];
    return env[envName];
  };
  const quick = argv.includes('--quick') || env['BENCH_QUICK'] === '1';
  const repeats = Number(get('--repeats', 'BENCH_REPEATS') ?? (quick ? 3 : 5));
  const scale = Number(get('--scale', 'BENCH_SCALE') ?? (quick ? 0.25 : 1));
  const suite = get('--suite', 'BENCH_SUITE') ?? 'core';
  if (suite !== 'core' && suite !== 'collections') throw new Error(`unknown suite ${suite}; known: core, collections`);
  const defaultTests = suite === 'core' ? CORE_TESTS : COLLECTION_TESTS;
  const tests = (get('--tests', 'BENCH_TESTS') ?? defaultTests.join(',')).split(',').filter(Boolean);
  const defaultGroups = suite === 'core' ? GROUPS.map((g) => g.id).join(',') : 'c50';
  const gids = (get('--groups', 'BENCH_GROUPS') ?? defaultGroups).split(',').filter(Boolean);
  for (const t of tests)
    if (!(ALL_TESTS as readonly string[]).includes(t))
      throw new Error(`unknown test ${t}; known: ${ALL_TESTS.join(',')}`);
  const groups = gids.map((id) => {
    const g = GROUPS.find((x) => x.id === id);
    if (!g) throw new Error(`unknown group ${id}; known: ${GROUPS.map((x) => x.id).join(',')}`);
    return g;
  });
  if (!(repeats >= 1) || !(scale > 0)) throw new Error('--repeats must be >= 1 and --scale > 0');
  const warmup = argv.includes('--warmup');
  return { quick, repeats, scale, tests, groups, json: get('--json', 'BENCH_JSON') ?? null, warmup };
}

/** The redis-benchmark arguments for one run (without host/port). */
export function benchArgs(g: Group, test: string, opts: { scale: number }): string[] {
  const n = Math.max(1000, Math.round(g.n * opts.scale * (TEST_N_FACTOR[test] ?? 1)));
  const cmd = SMALL_HASH_CMD[test];
  if (cmd !== undefined) return ['-n', String(n), ...g.args, '-r', String(KEYSPACE), '--csv', '-q', ...cmd];
  return ['-t', test, '-n', String(n), ...g.args, '-r', String(KEYSPACE), '--csv', '-q'];
}

/**
 * Loads what a test reads before its runs, once per server (a no-op for
 * redis-benchmark's own tests): the small hashes of SMALL_HASH_TESTS,
 * pipelined, unless the last one is already there.
 */
export async function prepareTest(port: number, test: string): Promise<void> {
  if (SMALL_HASH_CMD[test] === undefined) return;
  const c = await Conn.connect(port);
  try {
    const name = (i: number) => 'hkey:' + String(i).padStart(12, '0');
    if ((await c.call(['HLEN', name(KEYSPACE - 1)])) === 10) return;
    const per = 5000;
    const r = await runBatches(c, (b) => {
      if (b * per >= KEYSPACE) return null;
      let data = '';
      for (let i = b * per; i < (b + 1) * per; i++) {
        data += `*22\r\n$4\r\nHSET\r\n$17\r\n${name(i)}\r\n`;
        for (let f = 0; f < 10; f++)
          data += `$2\r\nf${f}\r\n$16\r\n${(String(i * 10 + f) + 'vvvvvvvvvvvvvvvv').slice(0, 16)}\r\n`;
      }
      return { data, n: per };
    });
    if (r.errors) throw new Error(`loading small hashes: ${r.errors} errors, first: ${r.firstError}`);
  } finally {
    c.close();
  }
}

interface RunResult {
  rps: number;
  /** redis-benchmark's 99th percentile latency, ms (NaN when it printed none). */
  p99: number;
  error: string | null;
}

/** Runs redis-benchmark once and parses its CSV line; errors (e.g. an unknown command) are returned, not thrown. */
export function runBenchmark(port: number, args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    const full = ['-h', '127.0.0.1', '-p', String(port), ...args];
    const p = spawn('redis-benchmark', full, { stdio: ['ignore', 'pipe', 'pipe'] });
    track(p);
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), RUN_TIMEOUT_MS);
    p.on('close', (code, sig) => {
      clearTimeout(t);
      const all = out + '\n' + err;
      const srvErr = /Error from server: ([^\r\n]*)/.exec(all);
      // the data lines: "TEST","rps",...; the header line starts with "test". The test's
      // own line is the last one (LRANGE_* is preceded by its "LPUSH (needed ...)" line).
      const line = out
        .split('\n')
        .filter((l) => l.startsWith('"') && !l.startsWith('"test"'))
        .pop();
      // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
      const fields = line ? line.split(',').map((f) => Number(f.replace(/"/g, ''))) : [];
      const rps = fields[1] ?? NaN;
      const p99 = fields[6] ?? NaN;
      if (srvErr) return resolve({ rps: NaN, p99: NaN, error: shortError(srvErr[1]!.trim()) });
      if (sig) return resolve({ rps: NaN, p99: NaN, error: `killed (${sig}) after ${RUN_TIMEOUT_MS} ms` });
      if (!Number.isFinite(rps))
        return resolve({ rps: NaN, p99: NaN, error: `exit ${code}: ${all.trim().split('\n').slice(-2).join(' ')}` });
      resolve({ rps, p99, error: null });
    });
  });
}

/** "ERR unknown command 'MSET', with args beginning with: ..." → "ERR unknown command 'MSET'". */
function shortError(e: string): string {
  const m = /^(ERR unknown command '[^']*')/.exec(e);
  return m ? m[1]! : e.slice(0, 60);
}

interface Row {
  group: string;
  test: string;
  /** requests/s per repeat */
  redis: number[];
  tsdis: number[];
  /** server CPU (user + system, all threads) in µs per request, per repeat */
  redisCpu: number[];
  tsdisCpu: number[];
  /** redis-benchmark's p99 latency in ms, per repeat */
  redisP99: number[];
  tsdisP99: number[];
  error: string | null;
  args: string[];
}

/** Requests in a run: the -n argument. */
export const requestsOf = (args: string[]): number => Number(args[args.indexOf('-n') + 1]);

/** Each server's figures over rotateRuns' repeats, one entry per run. */
export interface RunSeries {
  rps: number[];
  /** Server CPU (user + system, all threads) in µs per request. */
  cpu: number[];
  /** redis-benchmark's p99, ms. */
  p99: number[];
}

/**
 * Runs redis-benchmark with `args` against every server `repeats` times,
 * rotating which goes first each repeat (the neighbours' load then falls on
 * each alike); returns each server's runs, in `servers`' order. A run's
 * error throws, named with `names`.
 */
export async function rotateRuns(
  servers: ServerProc[],
  names: string[],
  args: string[],
  repeats: number,
): Promise<RunSeries[]> {
  const got: RunSeries[] = servers.map(() => ({ rps: [], cpu: [], p99: [] }));
  for (let r = 0; r < repeats; r++) {
    for (let k = 0; k < servers.length; k++) {
      const i = (r + k) % servers.length;
      const c0 = cpuUs(servers[i]!.pid);
      const res = await runBenchmark(servers[i]!.port, args);
      if (res.error) throw new Error(`${names[i]}: ${res.error}`);
      got[i]!.rps.push(res.rps);
      got[i]!.cpu.push((cpuUs(servers[i]!.pid) - c0) / requestsOf(args));
      got[i]!.p99.push(res.p99);
    }
  }
  return got;
}

async function main(): Promise<void> {
  const opts = parseOpts(process.argv.slice(2));
  const started = Date.now();
  const redis = await startRedis();
  const tsdis = await startTsdis();
  const servers: ServerProc[] = [redis, tsdis];
  console.log(
    `tsdis bench: ${new Date().toISOString()}  node ${process.version}  ${opts.quick ? 'quick' : 'full'} mode, ${opts.repeats} repeats, scale ${opts.scale}`,
  );
  console.log(`  ${redis.cmdline}`);
  console.log(`  ${tsdis.cmdline}`);
  console.log(`  order alternates per repeat (redis first on even repeats); median of the repeats is reported`);
  console.log(opts.warmup ? '  warmed up: every group and test run once on both servers first, unmeasured\n' : '');

  const rows: Row[] = [];
  try {
    if (opts.warmup)
      for (const g of opts.groups)
        for (const test of opts.tests)
          for (const s of servers) {
            await prepareTest(s.port, test);
            await runBenchmark(s.port, benchArgs(g, test, opts));
          }
    for (const g of opts.groups) {
      for (const test of opts.tests) {
        const args = benchArgs(g, test, opts);
        const row: Row = {
          group: g.id,
          test,
          redis: [],
          tsdis: [],
          redisCpu: [],
          tsdisCpu: [],
          redisP99: [],
          tsdisP99: [],
          error: null,
          args,
        };
        rows.push(row);
        let tsdisFailed = false;
        for (const s of servers) await prepareTest(s.port, test);
        for (let r = 0; r < opts.repeats; r++) {
          const order = r % 2 === 0 ? servers : [...servers].reverse();
          for (const s of order) {
            if (s.name === 'tsdis' && tsdisFailed) continue;
            const cpu0 = cpuUs(s.pid);
            const res = await runBenchmark(s.port, args);
            const cpu = (cpuUs(s.pid) - cpu0) / requestsOf(args);
            if (s.proc.exitCode !== null || s.proc.signalCode !== null) {
              throw new Error(`${s.name} died during ${g.id}/${test}; see ${s.logFile}`);
            }
            if (res.error) {
              // a command tsdis doesn't have yet: record it and move on
              row.error = `${s.name}: ${res.error}`;
              if (s.name === 'tsdis') tsdisFailed = true;
              else throw new Error(`redis-server failed ${test}: ${res.error}`);
              continue;
            }
            (s.name === 'redis' ? row.redis : row.tsdis).push(res.rps);
            (s.name === 'redis' ? row.redisCpu : row.tsdisCpu).push(cpu);
            (s.name === 'redis' ? row.redisP99 : row.tsdisP99).push(res.p99);
          }
        }
        const rm = median(row.redis);
        const tm = median(row.tsdis);
        process.stderr.write(
          `  ${g.id.padEnd(4)} ${test.padEnd(12)} redis ${fmtInt(rm).padStart(10)}  tsdis ${fmtInt(tm).padStart(10)}  ${fmtRatio(tm / rm)}${row.error ? '  (' + row.error + ')' : ''}\n`,
        );
      }
    }
  } finally {
    await tsdis.stop('SIGTERM');
    await redis.stop('SIGKILL');
  }

  // Report.
  console.log('');
  const summary: string[][] = [];
  for (const g of opts.groups) {
    const gr = rows.filter((r) => r.group === g.id);
    const ratios: number[] = [];
    const cpuRatios: number[] = [];
    const p99Ratios: number[] = [];
    const body = gr.map((r) => {
      const rm = median(r.redis);
      const tm = median(r.tsdis);
      const ratio = tm / rm;
      const rc = median(r.redisCpu);
      const tc = median(r.tsdisCpu);
      if (Number.isFinite(ratio)) ratios.push(ratio);
      if (Number.isFinite(tc / rc)) cpuRatios.push(tc / rc);
      const rp = median(r.redisP99);
      const tp = median(r.tsdisP99);
      if (Number.isFinite(tp / rp)) p99Ratios.push(tp / rp);
      const na = r.error && !r.tsdis.length ? 'n/a (' + r.error + ')' : null;
      return [
        r.test,
        fmtInt(rm),
        fmtInt(tm),
        na ?? fmtRatio(ratio),
        fmtUs(rc),
        fmtUs(tc),
        na ? 'n/a' : fmtRatio(tc / rc),
        rp.toFixed(3),
        na ? 'n/a' : tp.toFixed(3),
        na ? 'n/a' : fmtRatio(tp / rp),
      ];
    });
    const gm = geomean(ratios);
    const cpuGm = fmtRatio(geomean(cpuRatios));
    const p99Gm = fmtRatio(geomean(p99Ratios));
    body.push([`geomean (${ratios.length} tests)`, '', '', fmtRatio(gm), '', '', cpuGm, '', '', p99Gm]);
    summary.push([g.label, fmtRatio(gm), cpuGm, p99Gm, String(ratios.length)]);
    console.log(`### ${g.label}`);
    console.log(`redis-benchmark -h 127.0.0.1 -p PORT ${benchArgs(g, 'TEST', opts).map(shq).join(' ')}\n`);
    console.log(
      table(
        [
          'test',
          'redis req/s',
          'tsdis req/s',
          'tsdis/redis',
          'redis CPU µs/req',
          'tsdis CPU µs/req',
          'CPU tsdis/redis',
          'redis p99 ms',
          'tsdis p99 ms',
          'p99 tsdis/redis',
        ],
        body,
      ),
    );
    console.log('');
  }
  console.log('### Summary (geometric means of tsdis/redis per group)\n');
  console.log(table(['group', 'throughput', 'server CPU per request', 'p99 latency', 'tests'], summary));
  console.log(
    "\nthroughput: higher is better for tsdis; CPU per request (user+sys of the server process, all threads) and p99 latency (redis-benchmark's, median of the repeats): lower is better.",
  );
  console.log(`\nwall time ${((Date.now() - started) / 1000).toFixed(0)} s`);

  if (opts.json) {
    fs.writeFileSync(
      opts.json,
      JSON.stringify(
        {
          date: new Date().toISOString(),
          node: process.version,
          opts: { ...opts, groups: opts.groups.map((g) => g.id) },
          rows,
        },
        null,
        2,
      ),
    );
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}
