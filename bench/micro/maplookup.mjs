// Micro benchmark: looking up a freshly parsed 16-byte key among 100k keys.
// Compares the keyspace's current index (Map key -> slot, then vals[slot]),
// a Map holding values directly, and an open-addressing table of [hash, slot]
// pairs in an Int32Array with FNV-1a computed in JS. Run: node bench/micro/maplookup.mjs
const N = 100000,
  L = 2_000_000;
const keys = [];
for (let i = 0; i < N; i++) keys.push(Buffer.from('key:' + String(i).padStart(12, '0')).latin1Slice());
const idx = new Map(),
  vals = [],
  direct = new Map();
keys.forEach((k, i) => {
  idx.set(k, i);
  vals.push(Buffer.from('xxx').latin1Slice());
  direct.set(k, vals[i]);
});
const probes = [];
for (let i = 0; i < 200000; i++) {
  const k = 'key:' + String(Math.floor(Math.random() * N)).padStart(12, '0');
  probes.push(Buffer.from(k));
}
const f = String.fromCharCode;
const mk = (b) =>
  f(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
function run(name, fn) {
  const t = performance.now();
  let x = 0;
  for (let i = 0; i < L; i++) {
    const k = mk(probes[i % probes.length]);
    x += fn(k);
  }
  console.log(name, (((performance.now() - t) * 1e6) / L).toFixed(1), 'ns', x > 0 ? '' : ' ');
}
for (let r = 0; r < 2; r++) {
  run('mk only', (k) => k.length);
  run('idx+vals', (k) => {
    const i = idx.get(k);
    return i === undefined ? 0 : vals[i].length;
  });
  run('direct', (k) => {
    const v = direct.get(k);
    return v === undefined ? 0 : v.length;
  });
}
const CAP = 1 << 18,
  mask = CAP - 1;
const tab = new Int32Array(CAP * 2);
function h(s) {
  let x = 0x811c9dc5 | 0;
  for (let i = 0; i < s.length; i++) x = Math.imul(x ^ s.charCodeAt(i), 0x01000193);
  return x | 1;
}
keys.forEach((k, i) => {
  const hh = h(k);
  let p = hh & mask;
  while (tab[p * 2] !== 0) p = (p + 1) & mask;
  tab[p * 2] = hh;
  tab[p * 2 + 1] = i;
});
function look(k) {
  const hh = h(k);
  let p = hh & mask;
  for (;;) {
    const t = tab[p * 2];
    if (t === 0) return -1;
    if (t === hh && keys[tab[p * 2 + 1]] === k) return tab[p * 2 + 1];
    p = (p + 1) & mask;
  }
}
for (let r = 0; r < 2; r++)
  run('custom', (k) => {
    const i = look(k);
    return i < 0 ? 0 : vals[i].length;
  });
run('hash only', (k) => h(k));
