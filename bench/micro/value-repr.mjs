// Micro benchmark: what a string value of 16 B .. 1 MB costs, kept as a V8 one-byte string,
// as a Buffer (pooled below 4 KiB, own store above), or in a slab arena (64 MiB ArrayBuffers
// outside the V8 heap, one size class per variant, a free list; a value is a number handle),
// and what each does to garbage-collection pauses (issue 14 parts 1-2).
//
// Each (representation, size) runs in a fresh `node --expose-gc` child: it fills ~TOTAL bytes
// of values (at most 1M values), then
//  - per value, after two full GCs: V8 heap used, external (ArrayBuffer stores), RSS;
//  - the pause of one forced full mark-compact (gc()) with that data resident;
//  - churn: overwrites values at random (in batches of 1,000 between event-loop turns, as a
//    server would) for 2x the data, recording every GC V8 reports (PerformanceObserver 'gc':
//    scavenges, mark-compacts with their atomic pause) and the churn rate.
//
// Usage: node bench/micro/value-repr.mjs [--total MB] [--sizes 16,64,...] [--reprs string,buffer,slab]
import { spawnSync } from 'node:child_process';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const TOTAL = Number(opt('--total', '256')) * 1024 * 1024;
const SIZES = opt('--sizes', '16,64,256,1024,4096,65536,1048576').split(',').map(Number);
const REPRS = opt('--reprs', 'string,buffer,slab').split(',');

/** A slab arena for values of one size: 64 MiB ArrayBuffers, a free list of slots; handles are slot numbers. */
class Slab {
  constructor(size) {
    this.size = size;
    this.per = Math.max(1, Math.floor((64 * 1024 * 1024) / size));
    this.slabs = [];
    this.free = [];
    this.next = 0;
  }
  alloc(src) {
    let h = this.free.pop();
    if (h === undefined) {
      h = this.next++;
      if (h / this.per >= this.slabs.length) this.slabs.push(Buffer.allocUnsafeSlow(this.per * this.size));
    }
    src.copy(this.slabs[Math.floor(h / this.per)], (h % this.per) * this.size);
    return h;
  }
  release(h) {
    this.free.push(h);
  }
}

function child(repr, size) {
  const gc = globalThis.gc;
  const n = Math.max(16, Math.min(1_000_000, Math.floor(TOTAL / size)));
  const src = Buffer.alloc(size, 97);
  const slab = repr === 'slab' ? new Slab(size) : null;
  let seq = 0;
  const make = () => {
    src.writeUInt32LE(seq++ >>> 0, 0);
    if (repr === 'string') return src.latin1Slice(0, size);
    if (repr === 'buffer')
      return size < 4096 ? Buffer.from(src) : Buffer.from(src.buffer.slice(src.byteOffset, src.byteOffset + size));
    return slab.alloc(src);
  };
  gc();
  gc();
  const m0 = process.memoryUsage();
  const vals = new Array(n);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) vals[i] = make();
  const fillMs = performance.now() - t0;
  gc();
  gc();
  const m1 = process.memoryUsage();
  const g0 = performance.now();
  gc();
  const fullGcMs = performance.now() - g0;
  // churn, with V8's own GCs observed
  const gcs = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push({ kind: e.detail?.kind ?? e.kind, ms: e.duration });
  });
  obs.observe({ entryTypes: ['gc'] });
  const writes = 2 * n;
  let done = 0;
  let x = 12345;
  const c0 = performance.now();
  const step = () => {
    const end = Math.min(writes, done + 1000);
    for (; done < end; done++) {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      const i = x % n;
      if (slab !== null) slab.release(vals[i]);
      vals[i] = make();
    }
    if (done < writes) setImmediate(step);
    else
      setTimeout(() => {
        obs.disconnect();
        const churnMs = performance.now() - c0;
        const minor = gcs.filter((g) => g.kind === constants.NODE_PERFORMANCE_GC_MINOR);
        const major = gcs.filter((g) => g.kind === constants.NODE_PERFORMANCE_GC_MAJOR);
        const stat = (a) => ({
          n: a.length,
          max: a.reduce((m, g) => Math.max(m, g.ms), 0),
          sum: a.reduce((s, g) => s + g.ms, 0),
        });
        process.stdout.write(
          JSON.stringify({
            n,
            heap: (m1.heapUsed - m0.heapUsed) / n,
            ext: (m1.external - m0.external) / n,
            rss: (m1.rss - m0.rss) / n,
            fillMs,
            fullGcMs,
            churnUs: (churnMs * 1000) / writes,
            minor: stat(minor),
            major: stat(major),
          }) + '\n',
        );
        globalThis.keep = vals;
      }, 50);
  };
  setImmediate(step);
}

function main() {
  const ci = argv.indexOf('--child');
  if (ci >= 0) return child(argv[ci + 1], Number(argv[ci + 2]));
  const self = fileURLToPath(import.meta.url);
  console.log(
    `value representations, ~${TOTAL / 1048576} MiB of values per run (at most 1M values), node ${process.version}`,
  );
  console.log(
    '| size | repr | values | heap B/value | external B/value | RSS B/value | overhead/value (heap+ext-size) | full GC ms | churn µs/write | scavenges n / max / sum ms | mark-compacts n / max / sum ms |',
  );
  console.log('|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---|');
  for (const size of SIZES) {
    for (const repr of REPRS) {
      const r = spawnSync(
        process.execPath,
        [
          '--expose-gc',
          '--max-old-space-size=8192',
          self,
          '--child',
          repr,
          String(size),
          '--total',
          String(TOTAL / 1048576),
        ],
        { encoding: 'utf8', timeout: 600_000 },
      );
      if (r.status !== 0) {
        console.log(`| ${size} | ${repr} | error: ${(r.stderr || String(r.signal)).split('\n')[0]} |`);
        continue;
      }
      const j = JSON.parse(r.stdout.trim());
      const f = (x, d = 1) => x.toFixed(d);
      console.log(
        `| ${size} | ${repr} | ${j.n} | ${f(j.heap)} | ${f(j.ext)} | ${f(j.rss)} | ${f(j.heap + j.ext - size)} | ${f(j.fullGcMs)} | ${f(j.churnUs, 2)} | ${j.minor.n} / ${f(j.minor.max)} / ${f(j.minor.sum, 0)} | ${j.major.n} / ${f(j.major.max)} / ${f(j.major.sum, 0)} |`,
      );
    }
  }
}

main();
