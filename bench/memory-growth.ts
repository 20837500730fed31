/**
 * The growth curve (issue 14): how tsdis and redis-server compare as the
 * dataset grows, one server at a time, the two interleaved at each size
 * (redis first at even steps, tsdis first at odd ones) in one run.
 *
 * For each size N and type (strings of 16 bytes; hashes of 10 fields of
 * 16-byte values), keys `key:%012d` (the names redis-benchmark's
 * `__rand_int__` makes, 16 bytes), on a fresh server:
 *  - load: N commands (SET / HSET of 10 fields) pipelined over one
 *    connection, 10,000 a batch, two batches in flight: keys per second
 *    (`--load populate`: DEBUG POPULATE N key 16 instead, as issue 14's
 *    table was made; its keys are `key:N`, so the benchmarks' keys are new);
 *  - memory after the load: RSS (/proc) and used_memory, per key;
 *  - GET/SET (HGET/HSET) throughput, p99, p99.9 and max with
 *    redis-benchmark, 50 clients, random keys over the whole keyspace;
 *  - a mixed load, 80% reads and 20% writes (two redis-benchmark runs at
 *    once: 40 clients reading, 10 writing): p99.9 and max of each;
 *  - a full SCAN (COUNT 1000): time and keys seen;
 *  - with --trace-gc, tsdis runs under node --trace-gc and each phase's
 *    garbage collections are summarized from its log (count, longest pause,
 *    sum; incremental marking's biggest step).
 * Then prints, per size and type, a table of both servers and the ratio.
 *
 * --flood runs the issue's first test instead, once per server: 6M SETs of
 * 1 KB values over a random keyspace of 10^9 (`redis-benchmark -t set -d
 * 1024 -r 1000000000 -n 6000000 -P 32`), then whether the server still
 * answers, its DBSIZE, used_memory and RSS.
 *
 * Never part of the tests: this needs gigabytes and minutes.
 *
 * Usage: node dist-test/bench/memory-growth.js [--sizes 1000000,3000000,10000000]
 *          [--types string,hash] [--servers redis,tsdis] [--requests 300000] [--trace-gc]
 *          [--load client|populate] [--flood] [--flood-n 6000000] [--json file]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import {
  argOf,
  startRedis,
  startTsdis,
  track,
  Conn,
  runBatches,
  rssOf,
  parseInfo,
  table,
  fmtInt,
  sleep,
  MiB,
  type ServerProc,
  type Reply,
} from './lib.js';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string): string => argOf(argv, name, dflt);
const SIZES = opt('--sizes', '1000000,3000000,10000000').split(',').map(Number);
const TYPES = opt('--types', 'string,hash').split(',') as ('string' | 'hash')[];
const SERVERS = opt('--servers', 'redis,tsdis').split(',') as ('redis' | 'tsdis')[];
const REQUESTS = Number(opt('--requests', '300000'));
const TRACE_GC = argv.includes('--trace-gc');
const JSON_OUT = opt('--json', '');
const FLOOD = argv.includes('--flood');
const FLOOD_N = Number(opt('--flood-n', '6000000'));
/** How keys are loaded: `client` (pipelined SET/HSET) or `populate` (DEBUG POPULATE n key 16, strings only, as issue 14's table). */
const LOAD = opt('--load', 'client');

const keyName = (i: number) => 'key:' + String(i).padStart(12, '0');
const VAL16 = 'vvvvvvvvvvvvvvvv';
/** A distinct 16-byte value per key. */
const val16 = (i: number) => (String(i) + VAL16).slice(0, 16);

// ---------------------------------------------------------------------------
// redis-benchmark runs and their latency figures.

interface Bench {
  rps: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

/** Parses one test's section of redis-benchmark's full output (percentile distribution, summaries). */
function parseBenchSection(text: string): Bench {
  const rps = Number(/throughput summary: ([\d.]+) requests per second/.exec(text)?.[1] ?? NaN);
  const summary =
    /avg\s+min\s+p50\s+p95\s+p99\s+max\s*\n\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)/.exec(
      text,
    );
  let p999 = NaN;
  const dist = text.split('Latency by percentile distribution:')[1]?.split('Cumulative distribution')[0] ?? '';
  for (const m of dist.matchAll(/([\d.]+)% <= ([\d.]+) milliseconds/g)) {
    if (Number(m[1]) >= 99.9) {
      p999 = Number(m[2]);
      break;
    }
  }
  return {
    rps,
    p50: Number(summary?.[3] ?? NaN),
    p99: Number(summary?.[5] ?? NaN),
    p999,
    max: Number(summary?.[6] ?? NaN),
  };
}

/**
 * Runs redis-benchmark with args against `server`; resolves its full output.
 * redis-benchmark retries a dead server forever, spinning a core: it is
 * killed when the server exits, and after `ms` in any case.
 */
function redisBenchmark(server: ServerProc, args: string[], ms = 30 * 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = track(spawn('redis-benchmark', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    let why = '';
    const stop = (reason: string) => {
      why = reason;
      p.kill('SIGKILL');
    };
    const died = () => stop(`the server exited (${server.proc.exitCode ?? server.proc.signalCode})`);
    server.proc.once('exit', died);
    const timer = setTimeout(() => stop(`no result after ${ms / 1000} s`), ms);
    p.stdout!.on('data', (d: Buffer) => (out += d.toString('latin1')));
    p.stderr!.on('data', (d: Buffer) => (out += d.toString('latin1')));
    p.on('error', reject);
    p.on('exit', (code) => {
      clearTimeout(timer);
      server.proc.off('exit', died);
      if (code === 0) resolve(out.replace(/\r/g, '\n'));
      else reject(new Error(`redis-benchmark ${why || `exited ${code}`}: ${out.slice(-300)}`));
    });
  });
}

/** One redis-benchmark run of a single test or command; its figures. */
async function benchOne(
  s: ServerProc,
  clients: number,
  requests: number,
  keyspace: number,
  cmd: string[],
): Promise<Bench> {
  const base = [
    '-h',
    '127.0.0.1',
    '-p',
    String(s.port),
    '-c',
    String(clients),
    '-n',
    String(requests),
    '-r',
    String(keyspace),
  ];
  const args = cmd[0] === '-t' ? [...base, '-d', '16', ...cmd] : [...base, ...cmd];
  return parseBenchSection(await redisBenchmark(s, args));
}

// ---------------------------------------------------------------------------
// The GC log of a tsdis child started with node --trace-gc.

interface GcSummary {
  scavenges: number;
  scavengeMax: number;
  scavengeSum: number;
  markCompacts: number;
  markCompactMax: number;
  markCompactSum: number;
  /** Longest incremental-marking step reported by a mark-compact line. */
  stepMax: number;
}

/** Summarizes the --trace-gc lines of a log text (pauses are the first figure after "MB,"). */
function summarizeGc(text: string): GcSummary {
  const s: GcSummary = {
    scavenges: 0,
    scavengeMax: 0,
    scavengeSum: 0,
    markCompacts: 0,
    markCompactMax: 0,
    markCompactSum: 0,
    stepMax: 0,
  };
  for (const line of text.split('\n')) {
    const m = /ms: (Scavenge|Mark-Compact|Mark-sweep|Minor Mark-Compact)[^,]*MB, ([\d.]+) \/ ([\d.]+) ms/.exec(line);
    if (m === null) continue;
    const ms = Number(m[2]);
    if (m[1] === 'Scavenge' || m[1] === 'Minor Mark-Compact') {
      s.scavenges++;
      s.scavengeSum += ms;
      s.scavengeMax = Math.max(s.scavengeMax, ms);
    } else {
      s.markCompacts++;
      s.markCompactSum += ms;
      s.markCompactMax = Math.max(s.markCompactMax, ms);
      const step = /biggest step ([\d.]+) ms/.exec(line);
      if (step) s.stepMax = Math.max(s.stepMax, Number(step[1]));
    }
  }
  return s;
}

/** The log written since byte `from`. */
function logSince(file: string, from: number): string {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const b = Buffer.alloc(Math.max(0, size - from));
    fs.readSync(fd, b, 0, b.length, from);
    return b.toString('latin1');
  } finally {
    fs.closeSync(fd);
  }
}

const logSize = (file: string) => fs.statSync(file).size;

/** Runs fn as a phase: with --trace-gc, also the GC summary of tsdis's log over it. */
async function phase<T>(s: ServerProc, fn: () => Promise<T>): Promise<{ r: T; gc: GcSummary | null }> {
  const from = logSize(s.logFile);
  const r = await fn();
  await sleep(50); // let the last lines reach the file
  return { r, gc: TRACE_GC && s.name === 'tsdis' ? summarizeGc(logSince(s.logFile, from)) : null };
}

// ---------------------------------------------------------------------------
// One server at one size.

interface Run {
  server: 'redis' | 'tsdis';
  size: number;
  type: string;
  loadSec: number;
  loadKps: number;
  rss: number;
  rssEmpty: number;
  used: number;
  dbsize: number;
  get: Bench;
  set: Bench;
  mixGet: Bench;
  mixSet: Bench;
  scanSec: number;
  scanKeys: number;
  gc: Record<string, GcSummary | null>;
}

async function info(c: Conn, section: string): Promise<Record<string, string>> {
  return parseInfo(String(await c.call(['INFO', section])));
}

/** Loads N keys of the type; resolves the seconds it took. */
async function load(port: number, n: number, type: string): Promise<number> {
  const c = await Conn.connect(port);
  if (LOAD === 'populate') {
    const t0 = performance.now();
    const r = await c.call(['DEBUG', 'POPULATE', String(n), 'key', '16'], 3_600_000);
    c.close();
    if (r !== 'OK') throw new Error(`DEBUG POPULATE: ${String(r)}`);
    return (performance.now() - t0) / 1000;
  }
  const per = 10000;
  const t0 = performance.now();
  const r = await runBatches(c, (b) => {
    const lo = b * per;
    if (lo >= n) return null;
    const hi = Math.min(n, lo + per);
    let data = '';
    for (let i = lo; i < hi; i++) {
      const k = keyName(i);
      if (type === 'string') data += `*3\r\n$3\r\nSET\r\n$16\r\n${k}\r\n$16\r\n${val16(i)}\r\n`;
      else {
        data += `*22\r\n$4\r\nHSET\r\n$16\r\n${k}\r\n`;
        for (let f = 0; f < 10; f++) data += `$2\r\nf${f}\r\n$16\r\n${val16(i + f)}\r\n`;
      }
    }
    return { data, n: hi - lo };
  });
  const sec = (performance.now() - t0) / 1000;
  c.close();
  if (r.errors) throw new Error(`load: ${r.errors} errors, first: ${r.firstError}`);
  return sec;
}

/** A full SCAN with COUNT 1000: [seconds, keys returned]. */
async function fullScan(port: number): Promise<[number, number]> {
  const c = await Conn.connect(port);
  const t0 = performance.now();
  let cursor = '0';
  let keys = 0;
  do {
    const r = (await c.call(['SCAN', cursor, 'COUNT', '1000'])) as Reply[];
    cursor = String(r[0]);
    keys += (r[1] as Reply[]).length;
  } while (cursor !== '0');
  const sec = (performance.now() - t0) / 1000;
  c.close();
  return [sec, keys];
}

/** Both halves of the mixed load at once: 40 clients reading, 10 writing, four reads per write. */
async function mixed(s: ServerProc, n: number, type: string): Promise<[Bench, Bench]> {
  const reads = Math.round(REQUESTS * 0.8);
  const writes = REQUESTS - reads;
  const [g, w] =
    type === 'string'
      ? [
          ['-t', 'get'],
          ['-t', 'set'],
        ]
      : [
          ['HGET', 'key:__rand_int__', 'f5'],
          ['HSET', 'key:__rand_int__', 'f5', VAL16],
        ];
  return Promise.all([benchOne(s, 40, reads, n, g), benchOne(s, 10, writes, n, w)]);
}

async function start(name: 'redis' | 'tsdis'): Promise<ServerProc> {
  const extra = LOAD === 'populate' ? ['--enable-debug-command', 'yes'] : [];
  return name === 'redis' ? startRedis(extra) : startTsdis({ nodeArgs: TRACE_GC ? ['--trace-gc'] : [], extra });
}

async function runOne(name: 'redis' | 'tsdis', n: number, type: string): Promise<Run> {
  const s = await start(name);
  try {
    const c = await Conn.connect(s.port);
    const rssEmpty = rssOf(s.pid);
    const gc: Record<string, GcSummary | null> = {};
    const ld = await phase(s, () => load(s.port, n, type));
    gc['load'] = ld.gc;
    await sleep(1000);
    const mem = await info(c, 'memory');
    const rss = rssOf(s.pid);
    const dbsize = Number(await c.call(['DBSIZE']));
    const gcmd = type === 'string' ? ['-t', 'get'] : ['HGET', 'key:__rand_int__', 'f5'];
    const scmd = type === 'string' ? ['-t', 'set'] : ['HSET', 'key:__rand_int__', 'f5', VAL16];
    const get = await phase(s, () => benchOne(s, 50, REQUESTS, n, gcmd));
    gc['get'] = get.gc;
    const set = await phase(s, () => benchOne(s, 50, REQUESTS, n, scmd));
    gc['set'] = set.gc;
    const mix = await phase(s, () => mixed(s, n, type));
    gc['mixed'] = mix.gc;
    const scan = await phase(s, () => fullScan(s.port));
    gc['scan'] = scan.gc;
    c.close();
    return {
      server: name,
      size: n,
      type,
      loadSec: ld.r,
      loadKps: n / ld.r,
      rss,
      rssEmpty,
      used: Number(mem['used_memory']),
      dbsize,
      get: get.r,
      set: set.r,
      mixGet: mix.r[0],
      mixSet: mix.r[1],
      scanSec: scan.r[0],
      scanKeys: scan.r[1],
      gc,
    };
  } finally {
    await s.stop('SIGKILL');
  }
}

// ---------------------------------------------------------------------------
// Printing.

const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');

/** One table per size and type: a row per measure, a column per server and the ratio. */
function report(runs: Run[]): string {
  const out: string[] = [];
  for (const n of SIZES) {
    for (const type of TYPES) {
      const r = runs.find((x) => x.size === n && x.type === type && x.server === 'redis');
      const t = runs.find((x) => x.size === n && x.type === type && x.server === 'tsdis');
      const rows: string[][] = [];
      const row = (name: string, get: (x: Run) => number, fmt: (x: number) => string, ratio = true) => {
        const a = r ? get(r) : NaN;
        const b = t ? get(t) : NaN;
        rows.push([name, fmt(a), fmt(b), ratio ? f2(b / a) : '']);
      };
      row('load, keys/s', (x) => x.loadKps, fmtInt);
      row('RSS after load, MB', (x) => x.rss / MiB, f1);
      row('RSS per key, B', (x) => x.rss / n, f1);
      row('RSS growth per key, B', (x) => (x.rss - x.rssEmpty) / n, f1);
      row('used_memory per key, B', (x) => x.used / n, f1);
      row('DBSIZE', (x) => x.dbsize, fmtInt, false);
      for (const [label, pick] of [
        ['GET', (x: Run) => x.get],
        ['SET', (x: Run) => x.set],
        ['mixed 80/20: GET', (x: Run) => x.mixGet],
        ['mixed 80/20: SET', (x: Run) => x.mixSet],
      ] as const) {
        row(`${label} rps`, (x) => pick(x).rps, fmtInt);
        row(`${label} p99 ms`, (x) => pick(x).p99, f3);
        row(`${label} p99.9 ms`, (x) => pick(x).p999, f3);
        row(`${label} max ms`, (x) => pick(x).max, f3);
      }
      row('full SCAN (COUNT 1000), s', (x) => x.scanSec, f2);
      row('SCAN keys returned', (x) => x.scanKeys, fmtInt, false);
      out.push(
        `### ${fmtInt(n)} keys, ${type === 'string' ? 'strings of 16 bytes' : 'hashes of 10 fields (16-byte values)'}\n`,
      );
      out.push(table(['measure', 'redis', 'tsdis', 'tsdis/redis'], rows));
      if (t && TRACE_GC) {
        const g = Object.entries(t.gc).filter((e): e is [string, GcSummary] => e[1] !== null);
        out.push(
          '\n' +
            table(
              [
                'tsdis GC (--trace-gc), phase',
                'scavenges',
                'longest ms',
                'sum ms',
                'mark-compacts',
                'longest ms',
                'sum ms',
                'biggest marking step ms',
              ],
              g.map(([p, s]) => [
                p,
                fmtInt(s.scavenges),
                f1(s.scavengeMax),
                fmtInt(s.scavengeSum),
                fmtInt(s.markCompacts),
                f1(s.markCompactMax),
                fmtInt(s.markCompactSum),
                f1(s.stepMax),
              ]),
            ),
        );
      }
      out.push('');
    }
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------
// The flood: 6M SETs of 1 KB.

async function flood(): Promise<void> {
  const rows: string[][] = [];
  for (const name of SERVERS) {
    const s = await start(name);
    try {
      const from = logSize(s.logFile);
      const t0 = performance.now();
      let outcome = 'completed';
      let b: Bench = { rps: NaN, p50: NaN, p99: NaN, p999: NaN, max: NaN };
      try {
        b = parseBenchSection(
          await redisBenchmark(s, [
            '-h',
            '127.0.0.1',
            '-p',
            String(s.port),
            '-t',
            'set',
            '-d',
            '1024',
            '-r',
            '1000000000',
            '-n',
            String(FLOOD_N),
            '-P',
            '32',
          ]),
        );
      } catch (e) {
        outcome = `redis-benchmark failed: ${(e as Error).message.slice(0, 200)}`;
      }
      const sec = (performance.now() - t0) / 1000;
      const alive = s.proc.exitCode === null && s.proc.signalCode === null;
      let dbsize = NaN;
      let used = NaN;
      let rss = NaN;
      if (alive) {
        const c = await Conn.connect(s.port);
        dbsize = Number(await c.call(['DBSIZE']));
        used = Number((await info(c, 'memory'))['used_memory']);
        rss = rssOf(s.pid);
        const probe = await c.call(['GET', keyName(1)]);
        outcome += `; answers (GET: ${probe === null ? 'nil' : typeof probe})`;
        c.close();
      } else outcome += `; server exited (${s.proc.exitCode ?? s.proc.signalCode})`;
      const gc = name === 'tsdis' && TRACE_GC ? summarizeGc(logSince(s.logFile, from)) : null;
      rows.push([
        name,
        f1(sec),
        fmtInt(b.rps),
        f3(b.p99),
        f3(b.max),
        fmtInt(dbsize),
        f2(used / 1024 / MiB),
        f2(rss / 1024 / MiB),
        gc ? `${gc.scavenges} / ${f1(gc.scavengeMax)} ms; MC ${gc.markCompacts} / ${f1(gc.markCompactMax)} ms` : '',
        outcome,
      ]);
      console.log(rows[rows.length - 1]!.join(' | '));
    } finally {
      await s.stop('SIGKILL');
    }
  }
  console.log(
    '\n' +
      table(
        [
          'server',
          'seconds',
          'SET rps',
          'p99 ms',
          'max ms',
          'DBSIZE',
          'used_memory GB',
          'RSS GB',
          'GC: scavenges / longest; mark-compacts / longest',
          'outcome',
        ],
        rows,
      ),
  );
}

async function main(): Promise<void> {
  console.log(
    `node ${process.version}; sizes ${SIZES.join(', ')}; types ${TYPES.join(', ')}; ${REQUESTS} requests per benchmark${TRACE_GC ? '; tsdis under --trace-gc' : ''}`,
  );
  if (FLOOD) return flood();
  const runs: Run[] = [];
  let step = 0;
  for (const n of SIZES) {
    for (const type of TYPES) {
      const order = step++ % 2 === 0 ? SERVERS : [...SERVERS].reverse();
      for (const name of order) {
        const r = await runOne(name, n, type);
        runs.push(r);
        console.log(
          `${name} ${n} ${type}: load ${fmtInt(r.loadKps)} keys/s, RSS ${f1(r.rss / MiB)} MB, GET ${fmtInt(r.get.rps)} rps p99 ${r.get.p99}, SET ${fmtInt(r.set.rps)} rps p99 ${r.set.p99}, mixed p99.9 ${r.mixGet.p999}/${r.mixSet.p999} max ${r.mixGet.max}/${r.mixSet.max}, SCAN ${f2(r.scanSec)} s`,
        );
        if (r.gc['load']) console.log(`   gc: ${JSON.stringify(r.gc)}`);
      }
    }
  }
  console.log('\n' + report(runs));
  if (JSON_OUT) fs.writeFileSync(JSON_OUT, JSON.stringify(runs, null, 1));
}

await main();
