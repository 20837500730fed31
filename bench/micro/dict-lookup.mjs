// Micro benchmark: Dict lookups and writes on the command path, two builds interleaved (issue 14:
// the paged keys/values of keyspace/dict.ts must not slow lookups). Each measurement runs in a
// fresh process: N keys `key:%012d` are inserted, then L lookups of freshly made key strings
// (as the parser makes them) at random, L replacing sets, and L get+delete+set pairs (churn).
// Prints ns per operation for each build and round, then the median and best ratios B/A (on a
// shared machine the best of several rounds is the steadier figure).
//
// --inproc loads both builds into one process instead, each with its own Dict of N keys, and
// alternates 12 rounds of 500,000 gets and sets on each (both see the same load on a shared
// machine; with a small N everything is in cache and the cost of the code itself shows).
//
// Usage: node bench/micro/dict-lookup.mjs <dist A> <dist B> [N=1000000] [rounds=5]
//        node bench/micro/dict-lookup.mjs --inproc <dist A> <dist B> [N=1000000]
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const keyName = (i) => 'key:' + String(i).padStart(12, '0');

if (process.argv[2] === '--inproc') {
  const dists = process.argv.slice(3, 5).map((d) => path.resolve(d));
  const N = Number(process.argv[5] ?? 1_000_000);
  const mods = await Promise.all(dists.map((d) => import(pathToFileURL(path.join(d, 'keyspace/dict.js')).href)));
  const ds = mods.map((m) => {
    const d = new m.Dict(true);
    for (let i = 0; i < N; i++) d.set(keyName(i), 'v' + i);
    return d;
  });
  const L = 500_000;
  const probes = new Uint32Array(L);
  let x = 12345;
  for (let i = 0; i < L; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    probes[i] = x % N;
  }
  const fresh = (i) => Buffer.from(keyName(probes[i])).latin1Slice();
  const time = (fn) => {
    const t = performance.now();
    let s = 0;
    for (let i = 0; i < L; i++) s += fn(i);
    if (s === -1) console.log('');
    return ((performance.now() - t) * 1e6) / L;
  };
  const r = { base: [], get: [[], []], set: [[], []] };
  for (let round = 0; round < 12; round++) {
    r.base.push(time((i) => fresh(i).length));
    for (const j of round % 2 ? [1, 0] : [0, 1]) {
      r.get[j].push(time((i) => ds[j].get(fresh(i)).length));
      r.set[j].push(time((i) => (ds[j].set(fresh(i), 'w') ? 1 : 0)));
    }
  }
  const min = (a) => Math.min(...a).toFixed(0);
  const med = (a) => [...a].sort((p, q) => p - q)[a.length >> 1].toFixed(0);
  console.log(`making the key string alone: best ${min(r.base)} ns, median ${med(r.base)}`);
  for (const k of ['get', 'set'])
    console.log(
      `${k} (with the key string): A best ${min(r[k][0])} ns, median ${med(r[k][0])}; B best ${min(r[k][1])}, median ${med(r[k][1])}`,
    );
  process.exit(0);
}

if (process.argv[2] === '--child') {
  const dist = process.argv[3];
  const N = Number(process.argv[4]);
  const { Dict } = await import(pathToFileURL(path.join(dist, 'keyspace/dict.js')).href);
  const d = new Dict(true);
  const name = keyName;
  for (let i = 0; i < N; i++) d.set(name(i), 'v' + i);
  const L = 2_000_000;
  const probes = new Uint32Array(L);
  let x = 12345;
  for (let i = 0; i < L; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    probes[i] = x % N;
  }
  // fresh strings, as the parser makes them: latin1 slices of a buffer
  const bufs = [];
  for (let i = 0; i < 4096; i++) bufs.push(Buffer.from(name(probes[i])));
  const fresh = (i) => Buffer.from(name(probes[i])).latin1Slice();
  const time = (fn) => {
    const t = performance.now();
    let s = 0;
    for (let i = 0; i < L; i++) s += fn(i);
    const ns = ((performance.now() - t) * 1e6) / L;
    if (s === -1) console.log('');
    return ns;
  };
  const base = time((i) => fresh(i).length);
  const get = time((i) => d.get(fresh(i)).length) - base;
  const set = time((i) => (d.set(fresh(i), 'w') ? 1 : 0)) - base;
  const churn =
    time((i) => {
      const k = fresh(i);
      const v = d.delete(k);
      d.set(k, v);
      return 1;
    }) - base;
  console.log(JSON.stringify({ get, set, churn }));
  process.exit(0);
}

const [a, b] = [path.resolve(process.argv[2]), path.resolve(process.argv[3])];
const N = Number(process.argv[4] ?? 1_000_000);
const rounds = Number(process.argv[5] ?? 5);
const self = fileURLToPath(import.meta.url);
const res = { a: [], b: [] };
for (let r = 0; r < rounds; r++) {
  for (const [tag, dist] of r % 2 === 0
    ? [
        ['a', a],
        ['b', b],
      ]
    : [
        ['b', b],
        ['a', a],
      ]) {
    const p = spawnSync(process.execPath, ['--max-old-space-size=8000', self, '--child', dist, String(N)], {
      encoding: 'utf8',
    });
    if (p.status !== 0) throw new Error(p.stderr);
    const m = JSON.parse(p.stdout.trim().split('\n').pop());
    res[tag].push(m);
    console.log(
      `round ${r} ${tag}: get ${m.get.toFixed(0)} ns, set ${m.set.toFixed(0)} ns, churn ${m.churn.toFixed(0)} ns`,
    );
  }
}
const med = (xs) => [...xs].sort((p, q) => p - q)[xs.length >> 1];
for (const k of ['get', 'set', 'churn']) {
  const ma = med(res.a.map((m) => m[k]));
  const mb = med(res.b.map((m) => m[k]));
  const la = Math.min(...res.a.map((m) => m[k]));
  const lb = Math.min(...res.b.map((m) => m[k]));
  console.log(
    `${k}: median A ${ma.toFixed(0)} ns, B ${mb.toFixed(0)} ns, B/A ${(mb / ma).toFixed(2)}; best A ${la.toFixed(0)}, B ${lb.toFixed(0)}, B/A ${(lb / la).toFixed(2)}`,
  );
}
