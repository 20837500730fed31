/**
 * maxmemory benchmarks, tsdis against redis-server in the same run,
 * interleaved (redis, tsdis, tsdis, redis ... per repeat):
 *
 *  fill  `maxmemory 100mb`, `allkeys-lru`, 1 GB of 1 KB values written with
 *        redis-benchmark (-P 16, 50 clients, random keys): requests/s, peak
 *        and final RSS (sampled every 50 ms), used_memory, keys left,
 *        evicted_keys, and the server's CPU time (user + system, all its
 *        threads) per SET, which the shared machine's load disturbs less
 *        than requests/s. Target: tsdis's RSS stays <= 2x maxmemory.
 *        maxmemory is set by CONFIG SET after start, or with --startup on
 *        the command line (tsdis then sizes its young generation from it:
 *        server/heap.ts); --maxmemory and --gb change the sizes.
 *  zipf  A Zipfian (s = 1) read load over a key set 4x larger than what fits,
 *        cache-aside (GET; SET the key on a miss), for allkeys-lru and
 *        allkeys-lfu: the hit ratio of the measured phase. Target: within 3
 *        points of redis-server's. Each server's maxmemory is set so that the
 *        same number of keys fits (its empty used_memory plus that many times
 *        its own measured cost per key): the two servers' per-key overheads
 *        differ, and the comparison is of the policies, not of those.
 *
 * --b CLI adds another tsdis build (its dist/cli.js, e.g. main's in a
 * detached worktree) as `tsdis-b`, interleaved with the other two: the
 * order rotates each repeat.
 *
 * Usage: node dist-test/bench/maxmemory.js [fill|zipf|all] [--repeats N] [--fit KEYS] [--ops N] [--gb G] [--startup] [--maxmemory 100mb] [--b CLI]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import {
  startRedis,
  startTsdis,
  track,
  rssOf,
  parseInfo,
  Conn,
  median,
  table,
  fmtInt,
  MiB,
  type ServerProc,
} from './lib.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : def;
}

const REPEATS = Number(arg('--repeats', '2'));
const FIT = Number(arg('--fit', '50000'));
const OPS = Number(arg('--ops', '1000000'));
const GB = Number(arg('--gb', '1'));
const VALUE = 'v'.repeat(1024);
const STARTUP = process.argv.includes('--startup');
/** The fill's maxmemory, as the config takes it (100mb, 8gb), and in bytes. */
const MAXMEMORY = arg('--maxmemory', '100mb');
const MAXMEMORY_BYTES = (() => {
  const m = /^(\d+)(kb|mb|gb)?$/i.exec(MAXMEMORY);
  if (m === null) throw new Error(`--maxmemory ${MAXMEMORY}: a number with kb, mb or gb`);
  const unit: Record<string, number> = { '': 1, kb: 1024, mb: MiB, gb: 1024 * MiB };
  return Number(m[1]) * unit[(m[2] ?? '').toLowerCase()]!;
})();
const B_CLI = process.argv.includes('--b') ? arg('--b', '') : null;

type Name = 'redis' | 'tsdis' | 'tsdis-b';
const NAMES: Name[] = B_CLI === null ? ['redis', 'tsdis'] : ['redis', 'tsdis', 'tsdis-b'];

async function info(c: Conn): Promise<Record<string, string>> {
  return parseInfo(String(await c.call(['INFO', 'everything'])));
}

/** Starts a server; `extra`: config flags for its command line. */
async function start(name: Name, extra: string[] = []): Promise<ServerProc> {
  if (name === 'redis') return startRedis(extra);
  return startTsdis({ extra, ...(name === 'tsdis-b' ? { cli: B_CLI! } : {}) });
}

/** The order of the servers in repeat r: the list rotated by r (redis, tsdis; then tsdis, redis; ...). */
function order(r: number): Name[] {
  const k = r % NAMES.length;
  return [...NAMES.slice(k), ...NAMES.slice(0, k)];
}

/** CPU time (user + system, all threads) a process has used, in ms (Linux /proc, 100 ticks a second). */
function cpuMs(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

// ---------------------------------------------------------------------------
// fill

interface FillResult {
  rps: number;
  peakRss: number;
  finalRss: number;
  used: number;
  keys: number;
  evicted: number;
  /** The server's CPU time per SET, µs. */
  cpuUs: number;
  errors: string;
}

/** redis-benchmark SET -d 1024 for `n` requests against the port; resolves its requests/s and any server error. */
function benchSet(port: number, n: number): Promise<{ rps: number; error: string }> {
  return new Promise((resolve) => {
    const args = [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-t',
      'set',
      '-d',
      '1024',
      '-n',
      String(n),
      '-c',
      '50',
      '-P',
      '16',
      '-r',
      '1000000000',
      '--csv',
      '-q',
    ];
    const p = track(spawn('redis-benchmark', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', () => {
      const line = out
        .split('\n')
        .filter((l) => l.startsWith('"SET"'))
        .pop();
      const err = /Error from server: ([^\r\n]*)/.exec(out);
      resolve({ rps: line ? Number(line.split(',')[1]!.replace(/"/g, '')) : NaN, error: err ? err[1]! : '' });
    });
  });
}

async function fillOnce(name: Name): Promise<FillResult> {
  const s = await start(name, STARTUP ? ['--maxmemory', MAXMEMORY, '--maxmemory-policy', 'allkeys-lru'] : []);
  try {
    const c = await Conn.connect(s.port);
    if (!STARTUP) {
      await c.call(['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru']);
      await c.call(['CONFIG', 'SET', 'maxmemory', MAXMEMORY]);
    }
    let peak = 0;
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, rssOf(s.pid));
      } catch {
        /* gone */
      }
    }, 50);
    const n = Math.round((GB * 1024 * 1024 * 1024) / 1024);
    const cpu0 = cpuMs(s.pid);
    const r = await benchSet(s.port, n);
    const cpuUs = ((cpuMs(s.pid) - cpu0) * 1000) / n;
    clearInterval(sampler);
    peak = Math.max(peak, rssOf(s.pid));
    const inf = await info(c);
    c.close();
    return {
      rps: r.rps,
      peakRss: peak,
      finalRss: rssOf(s.pid),
      used: Number(inf['used_memory']),
      keys: Number(/keys=(\d+)/.exec(inf['db0'] ?? '')?.[1] ?? 0),
      evicted: Number(inf['evicted_keys']),
      cpuUs,
      errors: r.error,
    };
  } finally {
    await s.stop();
  }
}

async function fill(): Promise<void> {
  const how = STARTUP ? 'set on the command line' : 'set by CONFIG SET';
  console.log(
    `fill: maxmemory ${MAXMEMORY} allkeys-lru (${how}), ${GB} GB of 1 KB values (redis-benchmark -t set -d 1024 -c 50 -P 16 -r 1e9), ${REPEATS} repeats interleaved${B_CLI ? `; tsdis-b is ${B_CLI}` : ''}\n`,
  );
  const res: Record<string, FillResult[]> = Object.fromEntries(NAMES.map((n) => [n, []]));
  for (let r = 0; r < REPEATS; r++) {
    for (const name of order(r)) {
      const x = await fillOnce(name);
      res[name]!.push(x);
      process.stderr.write(
        `  ${name}: ${fmtInt(x.rps)} rps, ${x.cpuUs.toFixed(2)} µs CPU/SET, peak RSS ${(x.peakRss / MiB).toFixed(0)} MB, final ${(x.finalRss / MiB).toFixed(0)} MB, ${x.keys} keys, ${x.evicted} evicted${x.errors ? ', error: ' + x.errors : ''}\n`,
      );
    }
  }
  const row = (name: string) => {
    const xs = res[name]!;
    const m = (f: (x: FillResult) => number) => median(xs.map(f));
    return [
      name,
      fmtInt(m((x) => x.rps)),
      m((x) => x.cpuUs).toFixed(2),
      (m((x) => x.peakRss) / MiB).toFixed(0),
      (m((x) => x.finalRss) / MiB).toFixed(0),
      (m((x) => x.used) / MiB).toFixed(1),
      fmtInt(m((x) => x.keys)),
      fmtInt(m((x) => x.evicted)),
      xs.map((x) => x.errors).find(Boolean) ?? '',
    ];
  };
  console.log(
    table(
      ['server', 'SET rps', 'CPU µs/SET', 'peak RSS MB', 'final RSS MB', 'used_memory MB', 'keys', 'evicted', 'error'],
      NAMES.map(row),
    ),
  );
  for (const name of NAMES.filter((n) => n !== 'redis')) {
    const ratio = median(res[name]!.map((x) => x.rps)) / median(res['redis']!.map((x) => x.rps));
    console.log(
      `\nSET rps ${name}/redis: ${ratio.toFixed(2)}x; ${name} peak RSS / maxmemory: ${(median(res[name]!.map((x) => x.peakRss)) / MAXMEMORY_BYTES).toFixed(2)}x`,
    );
  }
  console.log('');
}

// ---------------------------------------------------------------------------
// zipf

/** A seeded generator (xorshift32) in [0, 1). */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

/** Ranks 0..n-1 drawn with probability proportional to 1/(rank+1): an inverse CDF table and binary search. */
function zipf(n: number, random: () => number): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) cdf[i] = sum += 1 / (i + 1);
  return () => {
    const u = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** The server's used_memory cost of one more key (1 KB value), measured with 20k keys. */
async function perKey(c: Conn): Promise<{ base: number; per: number }> {
  await c.call(['FLUSHALL']);
  const base = Number((await info(c))['used_memory']);
  const n = 20000;
  for (let i = 0; i < n; i += 500) {
    await Promise.all(Array.from({ length: 500 }, (_, j) => c.call(['SET', `probe:${i + j}`, VALUE])));
  }
  const used = Number((await info(c))['used_memory']);
  await c.call(['FLUSHALL']);
  return { base, per: (used - base) / n };
}

interface ZipfResult {
  hitRatio: number;
  keys: number;
  maxmemory: number;
}

async function zipfOnce(name: Name, policy: string): Promise<ZipfResult> {
  const s = await start(name);
  try {
    const ctl = await Conn.connect(s.port);
    const { base, per } = await perKey(ctl);
    const maxmemory = Math.round(base + FIT * per);
    await ctl.call(['CONFIG', 'SET', 'maxmemory-policy', policy]);
    await ctl.call(['CONFIG', 'SET', 'maxmemory', String(maxmemory)]);
    const keys = FIT * 4;
    // a fixed permutation of ranks to key names, and the same draws on both servers
    const random = rng(42);
    const perm = Array.from({ length: keys }, (_, i) => i);
    for (let i = keys - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    const draw = zipf(keys, random);
    const conns = await Promise.all(Array.from({ length: 4 }, () => Conn.connect(s.port)));
    let hits = 0;
    let gets = 0;
    const phase = async (ops: number, count: boolean) => {
      const per = Math.ceil(ops / conns.length / 256);
      // each connection gets its own batches, drawn up front in a fixed order
      const batches = conns.map(() =>
        Array.from({ length: per }, () => Array.from({ length: 256 }, () => `key:${perm[draw()]!}`)),
      );
      await Promise.all(
        conns.map(async (c, ci) => {
          for (const batch of batches[ci]!) {
            const replies = await Promise.all(batch.map((k) => c.call(['GET', k])));
            const missed = batch.filter((_, i) => replies[i] === null);
            if (count) {
              gets += batch.length;
              hits += batch.length - missed.length;
            }
            if (missed.length > 0) await Promise.all(missed.map((k) => c.call(['SET', k, VALUE])));
          }
        }),
      );
    };
    await phase(OPS, false); // warm-up: fills the cache
    await phase(OPS, true);
    const inf = await info(ctl);
    for (const c of conns) c.close();
    ctl.close();
    return { hitRatio: hits / gets, keys: Number(/keys=(\d+)/.exec(inf['db0'] ?? '')?.[1] ?? 0), maxmemory };
  } finally {
    await s.stop();
  }
}

async function zipfBench(): Promise<void> {
  console.log(
    `zipf: s=1 over ${FIT * 4} keys of 1 KB, maxmemory sized for ${FIT} keys per server, GET + SET on miss, ${OPS} warm-up + ${OPS} measured GETs, ${REPEATS} repeats interleaved\n`,
  );
  const rows: string[][] = [];
  for (const policy of ['allkeys-lru', 'allkeys-lfu']) {
    const res: Record<string, ZipfResult[]> = Object.fromEntries(NAMES.map((n) => [n, []]));
    for (let r = 0; r < REPEATS; r++) {
      for (const name of order(r)) {
        const x = await zipfOnce(name, policy);
        res[name]!.push(x);
        process.stderr.write(
          `  ${policy} ${name}: hit ratio ${(x.hitRatio * 100).toFixed(2)}%, ${x.keys} keys at maxmemory ${(x.maxmemory / MiB).toFixed(1)} MB\n`,
        );
      }
    }
    const hr = (n: string) => median(res[n]!.map((x) => x.hitRatio)) * 100;
    const k = (n: string) => median(res[n]!.map((x) => x.keys));
    const others = NAMES.filter((n) => n !== 'redis');
    rows.push([
      policy,
      hr('redis').toFixed(2),
      ...others.flatMap((n) => [hr(n).toFixed(2), (hr(n) - hr('redis')).toFixed(2)]),
      ...NAMES.map((n) => fmtInt(k(n))),
    ]);
  }
  const others = NAMES.filter((n) => n !== 'redis');
  console.log(
    table(
      ['policy', 'redis hit %', ...others.flatMap((n) => [`${n} hit %`, 'points']), ...NAMES.map((n) => `${n} keys`)],
      rows,
    ),
  );
}

const what = process.argv[2] ?? 'all';
if (what === 'fill' || what === 'all') await fill();
if (what === 'zipf' || what === 'all') await zipfBench();
process.exit(0);
