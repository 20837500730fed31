// Micro benchmark: the young generation's size against scavenge pauses, with a keyspace-like
// heap. N values (16-byte one-byte strings) sit in one old array, as the keyspace's Dict.vals;
// each write replaces a value at a random slot with a new string and makes the short-lived
// garbage a command makes (an argv array and a key string), in batches of 1,000 between
// event-loop turns. Each scavenge then visits every slot written since the last one: random
// places in an old heap of N values, so its pause grows with the heap (measured: 1.2 ms at
// 100k values, 10.7 ms at 1M, 19-24 ms at 3M for the same writes per scavenge).
//
// For each --max-semi-space-size (fresh `node --expose-gc` child per setting) it reports the
// scavenges' count, median, p99 and longest pause and their sum (PerformanceObserver 'gc'),
// and CPU time per write (process.cpuUsage: the whole process, GC threads included).
//
// Usage: node bench/micro/young-gen.mjs [--values 1000000,3000000,10000000] [--semi 16,8,4,2] [--writes 3000000]
import { spawnSync } from 'node:child_process';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};

function child(n, writes) {
  const src = Buffer.alloc(16, 118);
  const make = (i) => {
    src.writeUInt32LE(i >>> 0, 0);
    return src.latin1Slice(0, 16);
  };
  const vals = new Array(n);
  for (let i = 0; i < n; i++) vals[i] = make(i);
  globalThis.gc();
  globalThis.gc();
  const pauses = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      if ((e.detail?.kind ?? e.kind) === constants.NODE_PERFORMANCE_GC_MINOR) pauses.push(e.duration);
  });
  obs.observe({ entryTypes: ['gc'] });
  let x = 12345;
  let done = 0;
  let sink = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const step = () => {
    const end = Math.min(writes, done + 1000);
    for (; done < end; done++) {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      const slot = x % n;
      // what a SET leaves behind: its argv and a key string, dead after the command
      const args = ['SET', 'key:' + slot, null];
      sink += args[1].length;
      vals[slot] = make(done);
    }
    if (done < writes) setImmediate(step);
    else
      setTimeout(() => {
        obs.disconnect();
        const c = process.cpuUsage(c0);
        const wall = performance.now() - t0;
        pauses.sort((a, b) => a - b);
        const q = (p) => pauses[Math.min(pauses.length - 1, Math.floor(p * pauses.length))] ?? 0;
        process.stdout.write(
          JSON.stringify({
            n: pauses.length,
            median: q(0.5),
            p99: q(0.99),
            max: pauses.at(-1) ?? 0,
            sum: pauses.reduce((s, p) => s + p, 0),
            cpuNsPerWrite: ((c.user + c.system) * 1000) / writes,
            wallNsPerWrite: (wall * 1e6) / writes,
            sink,
          }) + '\n',
        );
        globalThis.keep = vals;
      }, 50);
  };
  setImmediate(step);
}

function main() {
  const ci = argv.indexOf('--child');
  if (ci >= 0) return child(Number(argv[ci + 1]), Number(argv[ci + 2]));
  const values = opt('--values', '1000000,3000000,10000000').split(',').map(Number);
  const semis = opt('--semi', '16,8,4,2').split(',').map(Number);
  const writes = Number(opt('--writes', '3000000'));
  const rounds = Number(opt('--rounds', '2'));
  const self = fileURLToPath(import.meta.url);
  console.log(
    `young generation vs scavenge pauses: ${writes.toLocaleString('en-US')} random overwrites of 16-byte values, node ${process.version}, ${rounds} rounds (settings interleaved), best round by sum`,
  );
  console.log(
    '| values | max semi-space MB | scavenges | median ms | p99 ms | longest ms | sum ms | CPU ns/write | wall ns/write |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const n of values) {
    const best = new Map();
    for (let r = 0; r < rounds; r++) {
      for (const semi of r % 2 ? [...semis].reverse() : semis) {
        const p = spawnSync(
          process.execPath,
          [
            '--expose-gc',
            '--max-old-space-size=8192',
            `--max-semi-space-size=${semi}`,
            self,
            '--child',
            String(n),
            String(writes),
          ],
          { encoding: 'utf8', timeout: 600_000 },
        );
        if (p.status !== 0) {
          console.log(`| ${n} | ${semi} | error: ${(p.stderr || String(p.signal)).split('\n')[0]} |`);
          continue;
        }
        const j = JSON.parse(p.stdout.trim());
        const prev = best.get(semi);
        if (prev === undefined || j.sum < prev.sum) best.set(semi, j);
      }
    }
    for (const semi of semis) {
      const j = best.get(semi);
      if (!j) continue;
      const f = (v, d = 1) => v.toFixed(d);
      console.log(
        `| ${n.toLocaleString('en-US')} | ${semi} | ${j.n} | ${f(j.median, 2)} | ${f(j.p99, 2)} | ${f(j.max, 2)} | ${f(j.sum, 0)} | ${f(j.cpuNsPerWrite, 0)} | ${f(j.wallNsPerWrite, 0)} |`,
      );
    }
  }
}

main();
