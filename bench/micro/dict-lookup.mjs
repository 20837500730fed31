// Micro benchmark: Dict lookups and writes on the command path, two builds interleaved (issue 14:
// the paged keys/values of keyspace/dict.ts must not slow lookups). Each measurement runs in a
// fresh process: N keys `key:%012d` are inserted, then L lookups of freshly made key strings
// (as the parser makes them) at random, L replacing sets, and L get+delete+set pairs (churn).
// Prints ns per operation for each build and round, then the median and best ratios B/A (on a
// shared machine the best of several rounds is the steadier figure).
//
// Usage: node bench/micro/dict-lookup.mjs <dist A> <dist B> [N=1000000] [rounds=5]
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

if (process.argv[2] === '--child') {
  const dist = process.argv[3];
  const N = Number(process.argv[4]);
  const { Dict } = await import(pathToFileURL(path.join(dist, 'keyspace/dict.js')).href);
  const d = new Dict(true);
  const name = (i) => 'key:' + String(i).padStart(12, '0');
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
  const churn = time((i) => {
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
  for (const [tag, dist] of r % 2 === 0 ? [['a', a], ['b', b]] : [['b', b], ['a', a]]) {
    const p = spawnSync(process.execPath, ['--max-old-space-size=8000', self, '--child', dist, String(N)], { encoding: 'utf8' });
    if (p.status !== 0) throw new Error(p.stderr);
    const m = JSON.parse(p.stdout.trim().split('\n').pop());
    res[tag].push(m);
    console.log(`round ${r} ${tag}: get ${m.get.toFixed(0)} ns, set ${m.set.toFixed(0)} ns, churn ${m.churn.toFixed(0)} ns`);
  }
}
const med = (xs) => [...xs].sort((p, q) => p - q)[xs.length >> 1];
for (const k of ['get', 'set', 'churn']) {
  const ma = med(res.a.map((m) => m[k]));
  const mb = med(res.b.map((m) => m[k]));
  const la = Math.min(...res.a.map((m) => m[k]));
  const lb = Math.min(...res.b.map((m) => m[k]));
  console.log(`${k}: median A ${ma.toFixed(0)} ns, B ${mb.toFixed(0)} ns, B/A ${(mb / ma).toFixed(2)}; best A ${la.toFixed(0)}, B ${lb.toFixed(0)}, B/A ${(lb / la).toFixed(2)}`);
}
