// A/B of the hash commands' hot paths between two builds, in one process: each build gets its own
// Server, commands go through the dispatcher (no sockets), rounds alternate between the builds and
// each op keeps its best round, timed in CPU time (process.cpuUsage), which a loaded shared
// machine disturbs far less than wall time.
// Usage: node bench/micro/hash-ab.mjs <base dist dir> <new dist dir> [rounds]
//   e.g. git archive main | tar -x -C /tmp/base && (cd /tmp/base && npm run build)
//        node bench/micro/hash-ab.mjs /tmp/base/dist ./dist 21
const rounds = Number(process.argv[4] ?? 15);
async function load(dist) {
  const { Server } = await import(dist + '/server/server.js');
  const { dispatch } = await import(dist + '/server/dispatcher.js');
  const server = new Server({ config: { save: '' }, log: () => {} });
  const c = server.newClient(null, 'bench');
  return (argv) => {
    dispatch(server, c, argv);
    c.reply.take();
  };
}
const builds = { base: await load(process.argv[2]), hfe: await load(process.argv[3]) };
const OPS = [
  ['HSET small (listpack: 1000 keys x 16 fields)', 100000, (i) => ['HSET', 'h' + (i % 1000), 'f' + (i % 16), 'v' + i]],
  ['HGET small', 100000, (i) => ['HGET', 'h' + (i % 1000), 'f' + (i % 16)]],
  ['HSET big (hashtable: 1 key x 100k fields)', 100000, (i) => ['HSET', 'big', 'f' + (i % 100000), 'v' + i]],
  ['HGET big', 100000, (i) => ['HGET', 'big', 'f' + (i % 100000)]],
  ['HMGET small, 4 fields', 50000, (i) => ['HMGET', 'h' + (i % 1000), 'f1', 'f2', 'f3', 'f4']],
  ['HGETALL small', 50000, (i) => ['HGETALL', 'h' + (i % 1000)]],
  [
    'HSET of a new key, 10 fields x 16 B, and DEL (a pair of ops)',
    100000,
    (i) =>
      i % 2 === 0
        ? [
            'HSET',
            'n' + (i % 1000),
            ...Array.from({ length: 10 }, (_, k) => ['f' + k, ('' + i + 'vvvvvvvvvvvvvvvv').slice(0, 16)]).flat(),
          ]
        : ['DEL', 'n' + ((i - 1) % 1000)],
  ],
];
const best = {};
for (let r = 0; r < rounds; r++) {
  for (const [bn, run] of Object.entries(r % 2 ? builds : Object.fromEntries(Object.entries(builds).reverse()))) {
    for (const [name, n, mk] of OPS) {
      const args = Array.from({ length: n }, (_, i) => mk(i));
      const c0 = process.cpuUsage();
      for (let i = 0; i < n; i++) run(args[i]);
      const cu = process.cpuUsage(c0);
      const ns = ((cu.user + cu.system) * 1000) / n;
      const k = name + '|' + bn;
      best[k] = Math.min(best[k] ?? Infinity, ns);
    }
  }
}
for (const [name] of OPS)
  console.log(
    `${name}: base ${best[name + '|base'].toFixed(0)} ns, hfe ${best[name + '|hfe'].toFixed(0)} ns (${((best[name + '|hfe'] / best[name + '|base'] - 1) * 100).toFixed(1)}%)`,
  );
process.exit(0);
