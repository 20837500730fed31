// What the server did while slow PINGs waited: matches a watcher's slow log (scripts/fuzz.mjs --prof)
// against the server's V8 CPU profile (same clock, CLOCK_MONOTONIC µs).
// Usage: node scripts/stalls.mjs PROFILE.cpuprofile PHASE.slow [--min MS]
// Prints, over every PING slower than --min (default 100) ms, the time the server spent in each
// category (GC, idle, the innermost tsdis function, a native builtin) and each window's top three.
import fs from 'node:fs';

const [profFile, slowFile, ...rest] = process.argv.slice(2);
const min = rest[0] === '--min' ? Number(rest[1]) : 100;
const prof = JSON.parse(fs.readFileSync(profFile, 'utf8'));
const nodes = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const name = (n) => {
  const f = n.callFrame;
  const file = f.url.replace(/^.*\/(dist|node_modules|lib)\//, '');
  return `${f.functionName || '(anon)'}${file ? ' ' + file + ':' + (f.lineNumber + 1) : ''}`;
};
/** The category of a sample: (idle)/(garbage collector)/(program), else the innermost tsdis frame with the leaf below it. */
const cat = new Map();
const category = (id) => {
  let c = cat.get(id);
  if (c !== undefined) return c;
  const leaf = nodes.get(id);
  if (leaf.callFrame.functionName.startsWith('(')) c = leaf.callFrame.functionName;
  else {
    let n = leaf;
    while (n && !/\/dist(-test)?\//.test(n.callFrame.url)) n = nodes.get(parent.get(n.id));
    c = n ? name(n) + (n === leaf ? '' : ' > ' + name(leaf)) : name(leaf);
  }
  cat.set(id, c);
  return c;
};
/** The sampling interval, ms: the median gap between samples. */
const interval = [...prof.timeDeltas].sort((x, y) => x - y)[prof.timeDeltas.length >> 1] / 1000;
const times = [];
let t = prof.startTime;
for (let i = 0; i < prof.samples.length; i++) times.push((t += prof.timeDeltas[i]));
const windows = fs
  .readFileSync(slowFile, 'utf8')
  .trim()
  .split('\n')
  .filter(Boolean)
  .map((l) => l.split(' ').map(Number))
  .filter(([a, b]) => (b - a) / 1000 >= min);
const total = new Map();
let lo = 0;
const lines = [];
for (const [a, b] of windows) {
  while (lo < times.length && times[lo] < a) lo++;
  const here = new Map();
  for (let i = lo; i < times.length && times[i] <= b; i++) {
    // (a sample ends a stretch of up to one interval on that stack; a longer gap before it is
    // time the thread did not run: the profiler's signal is handled only when it is on a CPU)
    const dt = (prof.timeDeltas[i] ?? 0) / 1000;
    const on = Math.min(dt, interval * 1.5);
    for (const [c, ms] of [
      [category(prof.samples[i]), on],
      ['(off cpu: not scheduled)', dt - on],
    ]) {
      if (ms <= 0) continue;
      here.set(c, (here.get(c) ?? 0) + ms);
      total.set(c, (total.get(c) ?? 0) + ms);
    }
  }
  const top = [...here].sort((x, y) => y[1] - x[1]).slice(0, 3);
  lines.push(`${((b - a) / 1000).toFixed(0)} ms: ${top.map(([c, ms]) => `${ms.toFixed(0)} ms ${c}`).join(' | ')}`);
}
console.log(
  `${windows.length} PINGs over ${min} ms (sampling every ${interval.toFixed(2)} ms; profile ${((times.at(-1) - prof.startTime) / 1e6).toFixed(1)} s)`,
);
for (const l of lines.sort((x, y) => parseInt(y) - parseInt(x)).slice(0, 40)) console.log('  ' + l);
console.log('all windows together:');
for (const [c, ms] of [...total].sort((x, y) => y[1] - x[1]).slice(0, 25))
  console.log(`  ${ms.toFixed(0).padStart(7)} ms  ${c}`);

// The longest stretches without an (idle) sample: the event loop never waited for I/O (one long
// turn, or turns back to back), with their on-CPU time and what filled it.
const stretches = [];
let cur = null;
for (let i = 0; i < times.length; i++) {
  const c = category(prof.samples[i]);
  if (c === '(idle)') {
    if (cur) stretches.push(cur);
    cur = null;
    continue;
  }
  const dt = (prof.timeDeltas[i] ?? 0) / 1000;
  const on = Math.min(dt, interval * 1.5);
  cur ??= { start: times[i - 1] ?? times[i], on: 0, by: new Map() };
  cur.end = times[i];
  cur.on += on;
  cur.by.set(c, (cur.by.get(c) ?? 0) + on);
}
if (cur) stretches.push(cur);
console.log('longest busy stretches (no idle sample), on-CPU ms / wall ms:');
for (const s of stretches.sort((x, y) => y.on - x.on).slice(0, 12)) {
  const top = [...s.by].sort((x, y) => y[1] - x[1]).slice(0, 3);
  console.log(
    `  ${s.on.toFixed(0)} / ${((s.end - s.start) / 1000).toFixed(0)} ms: ${top.map(([c, ms]) => `${ms.toFixed(0)} ms ${c}`).join(' | ')}`,
  );
}
