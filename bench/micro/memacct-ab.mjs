// A/B of the write paths the memory accounting touches, between two builds, in one process: each
// build gets its own Server, commands go through the dispatcher (no sockets), rounds alternate
// between the builds and each op keeps its best round, timed in CPU time (process.cpuUsage), which
// a loaded shared machine disturbs far less than wall time. Keys from a 100k range, as
// redis-benchmark -r 100000 draws them.
// Usage: node bench/micro/memacct-ab.mjs <base dist dir> <new dist dir> [rounds]
//   e.g. git archive main | tar -x -C /tmp/base && ln -s $PWD/node_modules /tmp/base && (cd /tmp/base && npx tsc)
//        node bench/micro/memacct-ab.mjs /tmp/base/dist ./dist 15
import path from 'node:path';
const rounds = Number(process.argv[4] ?? 15);
async function load(dist) {
  const { Server } = await import(path.resolve(dist) + '/server/server.js');
  const { dispatch } = await import(path.resolve(dist) + '/server/dispatcher.js');
  const server = new Server({ config: { save: '' }, log: () => {} });
  const c = server.newClient(null, 'internal');
  return (argv) => { dispatch(server, c, argv); c.reply.take(); };
}
const builds = { base: await load(process.argv[2]), new: await load(process.argv[3]) };
const key = (i) => 'key:' + String((i * 7919) % 100000).padStart(12, '0');
const OPS = [
  ['SET (3-byte values, 100k keys)', 200000, (i) => ['SET', key(i), 'xxx']],
  ['GET', 200000, (i) => ['GET', key(i)]],
  ['HSET (myhash, 100k fields)', 200000, (i) => ['HSET', 'myhash', key(i), 'xxx']],
  ['LPUSH (mylist)', 200000, () => ['LPUSH', 'mylist', 'xxx']],
  ['ZADD (myzset, 100k members)', 200000, (i) => ['ZADD', 'myzset', String(i % 1000), key(i)]],
  ['SADD (myset, 100k members)', 200000, (i) => ['SADD', 'myset', key(i)]],
];
const best = {};
for (let r = 0; r < rounds; r++) {
  for (const [bn, run] of Object.entries(r % 2 ? builds : Object.fromEntries(Object.entries(builds).reverse()))) {
    for (const [name, n, mk] of OPS) {
      const args = Array.from({ length: n }, (_, i) => mk(i + r * n));
      const c0 = process.cpuUsage();
      for (let i = 0; i < n; i++) run(args[i]);
      const cu = process.cpuUsage(c0);
      const ns = ((cu.user + cu.system) * 1000) / n;
      const k = name + '|' + bn;
      best[k] = Math.min(best[k] ?? Infinity, ns);
    }
    run(['FLUSHALL']);
  }
}
for (const [name] of OPS) console.log(`${name}: base ${best[name + '|base'].toFixed(0)} ns, new ${best[name + '|new'].toFixed(0)} ns (${((best[name + '|new'] / best[name + '|base'] - 1) * 100).toFixed(1)}%)`);
process.exit(0);
