// In-process A/B of jslua's table building between two builds: a status reply's table (the build's
// LuaTable.single where it has one, and as a control the old way on both: an empty table and one
// store), cmsgpack.unpack of arrays of 9 and 100 elements and of a 3-key map, cjson.decode of
// arrays of 9 and 100 numbers. Rounds alternate the builds; each op keeps its best round of CPU
// ns per call (process.cpuUsage).
// Usage: node bench/micro/lua-tables-ab.mjs <A dist dir> <B dist dir>
import path from 'node:path';

const [A, B] = process.argv.slice(2).map((d) => path.resolve(d));
const load = async (d) => ({
  T: (await import(d + '/scripting/jslua/table.js')).LuaTable,
  cmsgpack: (await import(d + '/scripting/jslua/lib-cmsgpack.js')).cmsgpackLib,
  cjson: (await import(d + '/scripting/jslua/lib-cjson.js')).cjsonLib,
});
const builds = [
  ['A', await load(A)],
  ['B', await load(B)],
];

const storedOnce = (T) => {
  const t = new T(0, 0);
  t.setStr('ok', 'OK');
  return t;
};
/** A library function of the build called with one constant argument. */
const call = (lib, fn, arg) => (m) => {
  const f = m[lib].get(`${lib}.${fn}`);
  return () => f(arg);
};
const tests = [
  ['status table', (m) => () => (m.T.single ? m.T.single('ok', 'OK') : storedOnce(m.T))],
  ['empty table, one store', (m) => () => storedOnce(m.T)],
  ['unpack 9', call('cmsgpack', 'unpack', '\x99\x01\x02\x03\x04\x05\x06\x07\x08\x09')],
  ['unpack 100', call('cmsgpack', 'unpack', '\xdc\x00\x64' + '\x01'.repeat(100))],
  ['unpack map 3', call('cmsgpack', 'unpack', '\x83\xa1a\x01\xa1b\x02\xa1c\x03')],
  ['decode 9', call('cjson', 'decode', '[1,2,3,4,5,6,7,8,9]')],
  ['decode 100', call('cjson', 'decode', '[' + Array.from({ length: 100 }, (_, i) => i).join(',') + ']')],
];

const N = 100000;
const best = new Map();
for (let r = 0; r < 9; r++) {
  for (const [name, make] of tests) {
    for (const [tag, m] of r % 2 ? builds : [...builds].reverse()) {
      const f = make(m);
      let made = 0;
      const c0 = process.cpuUsage();
      for (let i = 0; i < N; i++) if (f()) made++;
      const c = process.cpuUsage(c0);
      if (made !== N) throw new Error(`${name}: a call returned nothing`);
      const ns = ((c.user + c.system) * 1000) / N;
      const k = `${name} ${tag}`;
      if (!(best.get(k) <= ns)) best.set(k, ns);
    }
  }
}
for (const [name] of tests)
  console.log(`${name}: A ${best.get(name + ' A').toFixed(1)} ns, B ${best.get(name + ' B').toFixed(1)} ns`);
