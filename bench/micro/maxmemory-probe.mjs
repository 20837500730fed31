// Probe: what a tsdis server's RSS is made of while redis-benchmark writes 1 KB values under
// `maxmemory 100mb allkeys-lru` (bench/maxmemory.ts's fill, one server). Every 100 ms it reads
// V8's heap spaces (MEMORY MALLOC-STATS: size, used, physical MB), external memory, and
// /proc/PID/status and smaps_rollup (RSS, anonymous); it prints the sample at the peak RSS, a
// dozen samples across the run, the server's CPU time per SET and, when the server ran with
// --trace-gc, the count and summed pause of scavenges and mark-compacts from its log.
//
// Environment: ROOT the build to run (its dist/cli.js; dist-test/bench/lib.js of this one is
// used), N SETs (1048576), NODEARGS node flags for the server (e.g. "--trace-gc
// --max-semi-space-size=8"), EXTRA server flags (e.g. "--maxmemory 100mb --maxmemory-policy
// allkeys-lru") and NOSET=1 to skip the CONFIG SETs, SHOWLOG=1 to print the first mark-compacts.
//
// Usage: npm run build:test && ROOT=$PWD node bench/micro/maxmemory-probe.mjs
import { spawn } from 'node:child_process';
import fs from 'node:fs';
const lib = await import(new URL('../../dist-test/bench/lib.js', import.meta.url).href);
const { startTsdis, track, rssOf, Conn } = lib;
const extra = (process.env.EXTRA || '').split(' ').filter(Boolean);
const s = await startTsdis({
  cli: process.env.ROOT + '/dist/cli.js',
  extra,
  nodeArgs: (process.env.NODEARGS || '').split(' ').filter(Boolean),
});
const c = await Conn.connect(s.port);
if (!process.env.NOSET) {
  await c.call(['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru']);
  await c.call(['CONFIG', 'SET', 'maxmemory', '100mb']);
}
const n = Number(process.env.N || 1048576);
let peak = 0,
  peakInfo = null;
const samples = [];
let busy = false;
const tick = setInterval(async () => {
  if (busy) return;
  busy = true;
  try {
    const rss = rssOf(s.pid);
    const st = String(await c.call(['MEMORY', 'MALLOC-STATS']));
    const sp = {};
    for (const m of st.matchAll(/space (\w+): size=(\d+) used=(\d+) available=(\d+) physical=(\d+)/g))
      sp[m[1]] = [(m[2] / 1048576) | 0, (m[3] / 1048576) | 0, (m[5] / 1048576) | 0];
    const ext = (/external_memory: (\d+)/.exec(st)?.[1] / 1048576) | 0;
    const tot = (/total_physical_size: (\d+)/.exec(st)?.[1] / 1048576) | 0;
    const used = (/used_heap_size: (\d+)/.exec(st)?.[1] / 1048576) | 0;
    const smaps = fs.readFileSync(`/proc/${s.pid}/smaps_rollup`, 'utf8');
    const anon = (/Anonymous:\s+(\d+)/.exec(smaps)[1] / 1024) | 0;
    const rec = { rss: (rss / 1048576) | 0, anon, heapPhys: tot, heapUsed: used, ext, sp };
    samples.push(rec);
    if (rss > peak) {
      peak = rss;
      peakInfo = rec;
    }
  } catch {
    // a sample that cannot be taken (the process gone, a reply cut) is skipped
  }
  busy = false;
}, 100);
const args = [
  '-h',
  '127.0.0.1',
  '-p',
  String(s.port),
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
const cpu = () => {
  const f = fs.readFileSync(`/proc/${s.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
const cpu0 = cpu();
const t0 = Date.now();
const out = await new Promise((res) => {
  const p = track(spawn('redis-benchmark', args));
  let o = '';
  p.stdout.on('data', (d) => (o += d));
  p.on('close', () => res(o));
});
clearInterval(tick);
const cpums = cpu() - cpu0;
console.log(
  out.trim().split('\n').pop(),
  'secs',
  (Date.now() - t0) / 1000,
  'cpu_us_per_set',
  ((cpums * 1000) / n).toFixed(2),
);
console.log('peak', JSON.stringify(peakInfo));
for (const r of samples.filter((_, i) => i % Math.max(1, Math.floor(samples.length / 12)) === 0))
  console.log(JSON.stringify(r));
const info = String(await c.call(['INFO', 'memory']));
console.log(
  info
    .split('\r\n')
    .filter((l) => /^used_memory:|used_memory_startup|used_memory_dataset:|rss/.test(l))
    .join(' '),
);
c.close();
await s.stop();
const log = fs.readFileSync(s.logFile, 'utf8').split('\n');
const agg = {};
for (const l of log) {
  const m =
    /(Scavenge|Mark-Compact|Mark-sweep)[^,]*?, ([\d.]+) \/ ([\d.]+) ms/.exec(l) ||
    /(Scavenge|Mark-Compact|Mark-sweep).*? ([\d.]+) \/ ([\d.]+) ms/.exec(l);
  if (m) {
    const a = (agg[m[1]] ??= { n: 0, ms: 0 });
    a.n++;
    a.ms += Number(m[2]);
  }
}
console.log('gc', JSON.stringify(agg));
if (process.env.SHOWLOG)
  console.log(
    log
      .filter((l) => /Mark/.test(l))
      .slice(0, 5)
      .join('\n'),
  );
process.exit(0);
