// Micro benchmark: the longest single Dict.set() while a dict grows to N keys (issue 14: stalls
// at scale). Growing the key index rebuilt it at once (189 ms at 5.9M keys, 279 ms at 11.7M);
// it now moves in steps (keyspace/keyindex.ts). The keys and values arrays grew by copying
// (V8's JS arrays: 73-402 ms at 4.4M, 6.6M and 9.9M keys); they are now pages of 65,536 slots
// (keyspace/dict.ts). "longest gap" is the longest time between the starts of two
// consecutive sets: it also catches a collection that ran outside a timed set.
//
// Usage: node --max-old-space-size=8000 bench/micro/dict-growth.mjs [dist dir] [N]
//   e.g. compare builds: node ... bench/micro/dict-growth.mjs /tmp/base/dist 12000000
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = path.resolve(process.argv[2] ?? 'dist');
const N = Number(process.argv[3] ?? 12_000_000);
const { Dict } = await import(pathToFileURL(path.join(dist, 'keyspace/dict.js')).href);
const d = new Dict(true);
const slow = [];
let worst = 0;
let gap = 0;
const t = performance.now();
let prev = t;
for (let i = 0; i < N; i++) {
  const t0 = performance.now();
  if (t0 - prev > gap) gap = t0 - prev;
  prev = t0;
  d.set('key:' + String(i).padStart(12, '0'), i);
  const dt = performance.now() - t0;
  if (dt > worst) worst = dt;
  if (dt > 20) slow.push(`#${i}: ${dt.toFixed(0)} ms`);
}
console.log(
  `${dist}: ${N.toLocaleString('en-US')} sets in ${((performance.now() - t) / 1000).toFixed(1)} s; longest ${worst.toFixed(0)} ms (longest gap ${gap.toFixed(0)} ms); over 20 ms: ${slow.join(', ') || 'none'}`,
);
