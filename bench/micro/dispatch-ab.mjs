// A/B of the per-command path (dispatcher, keyspace, reply encoding; no parser, no sockets)
// between two builds in one process, for the commands of redis-benchmark's -P 16 runs: each
// build gets its own Server, rounds alternate between the builds, and each op keeps its best
// round in CPU time (process.cpuUsage), which a loaded shared machine disturbs far less than
// wall time or requests/s.
// Usage: node bench/micro/dispatch-ab.mjs <A dist dir> <B dist dir> [rounds] [ops, comma-separated]
const [, , distA, distB] = process.argv;
const rounds = Number(process.argv[4] ?? 15);
const only = process.argv[5]?.split(',');
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
const builds = { A: await load(distA), B: await load(distB) };
// redis-benchmark's keys: key:<12 digits> drawn from 100,000 (-r 100000); fresh strings per command, as the parser makes them
const KEYS = 100000;
// flat strings made once (a concatenation per command would be a cons string to flatten)
const flat = (prefix) =>
  Array.from({ length: KEYS }, (_, i) => Buffer.from(prefix + String(i).padStart(12, '0')).toString('latin1'));
const KEY = flat('key:');
const COUNTER = flat('counter:');
const ELEMENT = flat('element:');
const key = (i) => KEY[(i * 7919) % KEYS];
const val = 'xxx';
const OPS = [
  ['set', 200000, (i) => ['SET', key(i), val]],
  ['get', 200000, (i) => ['GET', key(i)]],
  ['incr', 200000, (i) => ['INCR', COUNTER[(i * 7919) % KEYS]]],
  ['lpush', 200000, () => ['LPUSH', 'mylist', val]],
  ['mset', 50000, (i) => ['MSET', ...Array.from({ length: 10 }, (_, k) => [key(i * 10 + k), val]).flat()]],
  ['hset', 200000, (i) => ['HSET', 'myhash', ELEMENT[(i * 7919) % KEYS], val]],
  ['ping', 200000, () => ['PING']],
].filter(([n]) => !only || only.includes(n));
const best = {};
for (let r = 0; r < rounds; r++) {
  const order = r % 2 ? ['A', 'B'] : ['B', 'A'];
  for (const [name, n, mk] of OPS) {
    for (const bn of order) {
      const run = builds[bn];
      const c0 = process.cpuUsage();
      // the arguments are made as the parser makes them, fresh and short-lived, in the timed loop
      // (the same cost for both builds; made beforehand, 200,000 live arrays made the GC the largest item)
      for (let i = 0; i < n; i++) run(mk(i));
      const cu = process.cpuUsage(c0);
      const ns = ((cu.user + cu.system) * 1000) / n;
      const k = name + '|' + bn;
      best[k] = Math.min(best[k] ?? Infinity, ns);
    }
  }
}
for (const [name] of OPS) {
  const a = best[name + '|A'];
  const b = best[name + '|B'];
  console.log(
    `${name.padEnd(6)} A ${a.toFixed(0).padStart(5)} ns  B ${b.toFixed(0).padStart(5)} ns  B/A ${(b / a).toFixed(3)}`,
  );
}
process.exit(0);
