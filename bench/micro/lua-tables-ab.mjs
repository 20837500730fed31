// In-process A/B of jslua's table building between two builds: a status reply's table (the old
// way, an empty table and one store, and LuaTable.single where the build has it), cmsgpack.unpack
// of arrays of 9 and 100 elements and of a 3-key map, cjson.decode of arrays of 9 and 100 numbers.
// Rounds alternate the builds; each op keeps its best round of CPU ns per call (process.cpuUsage).
// Usage: node bench/micro/lua-tables-ab.mjs <A dist dir> <B dist dir>
import path from 'node:path';

const [A, B] = process.argv.slice(2).map((d) => path.resolve(d));
const load = async (d) => ({
  T: (await import(d + '/scripting/jslua/table.js')).LuaTable,
  cm: (await import(d + '/scripting/jslua/lib-cmsgpack.js')).cmsgpackLib,
  cj: (await import(d + '/scripting/jslua/lib-cjson.js')).cjsonLib,
});
const a = await load(A),
  b = await load(B);
const arr9 = String.fromCharCode(0x99) + '\x01\x02\x03\x04\x05\x06\x07\x08\x09';
const map3 = String.fromCharCode(0x83) + '\xa1a\x01\xa1b\x02\xa1c\x03';
const arr100 = '\xdc\x00\x64' + '\x01'.repeat(100);
const json100 = '[' + Array.from({ length: 100 }, (_, i) => i).join(',') + ']';
const json9 = '[1,2,3,4,5,6,7,8,9]';
const tests = {
  unpackArr100: (m) => {
    const u = m.cm.get('cmsgpack.unpack');
    return () => u(arr100);
  },
  cjsonArr9: (m) => {
    const d = m.cj.get('cjson.decode');
    return () => d(json9);
  },
  cjsonArr100: (m) => {
    const d = m.cj.get('cjson.decode');
    return () => d(json100);
  },
  statusOld: (m) => () => {
    const t = new m.T(0, 0);
    t.setStr('ok', 'OK');
    return t;
  },
  statusNew: (m) => () =>
    m.T.single
      ? m.T.single('ok', 'OK')
      : (() => {
          const t = new m.T(0, 0);
          t.setStr('ok', 'OK');
          return t;
        })(),
  unpackArr9: (m) => {
    const u = m.cm.get('cmsgpack.unpack');
    return () => u(arr9);
  },
  unpackMap3: (m) => {
    const u = m.cm.get('cmsgpack.unpack');
    return () => u(map3);
  },
};
const N = 100000,
  best = {};
for (let r = 0; r < 9; r++)
  for (const [name, mk] of Object.entries(tests))
    for (const [tag, m] of r % 2
      ? [
          ['A', a],
          ['B', b],
        ]
      : [
          ['B', b],
          ['A', a],
        ]) {
      const f = mk(m);
      let sink = 0;
      const c0 = process.cpuUsage();
      for (let i = 0; i < N; i++) sink += f() ? 1 : 0;
      const c = process.cpuUsage(c0);
      const ns = ((c.user + c.system) * 1000) / N;
      const k = name + ' ' + tag;
      if (!(k in best) || ns < best[k]) best[k] = ns;
      if (sink !== N) throw new Error(`${name}: a call returned nothing`);
    }
for (const name of Object.keys(tests))
  console.log(name, 'A', best[name + ' A'].toFixed(1), 'B', best[name + ' B'].toFixed(1));
