// A/B of the per-command path (dispatcher, keyspace, reply encoding; no parser, no sockets)
// between two builds in one process, for the commands of redis-benchmark's -P 16 runs and a few
// more (TTLs, GEOADD, SPOP, LSET/LINDEX in a long list, APPEND, INCRBYFLOAT): each
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

// redis-benchmark's keys: key:<12 digits> drawn from 100,000 (-r 100000); fresh strings per command, as the parser makes them
const KEYS = 100000;
// flat strings made once (a concatenation per command would be a cons string to flatten)
const flat = (prefix) =>
  Array.from({ length: KEYS }, (_, i) => Buffer.from(prefix + String(i).padStart(12, '0')).toString('latin1'));
const KEY = flat('key:');
const COUNTER = flat('counter:');
const ELEMENT = flat('element:');
const TTL_KEY = flat('ttl:');
/** A build's server, with the data of the ops below that need some: keys with TTLs, a big set and a big list. */
async function loadFilled(dist) {
  const run = await load(dist);
  for (let i = 0; i < KEYS; i++) run(['SET', TTL_KEY[i], val, 'EX', '100000']);
  for (let i = 0; i < KEYS; i += 1000) run(['SADD', 'bigset', ...ELEMENT.slice(i, i + 1000)]);
  for (let i = 0; i < KEYS; i += 1000) run(['RPUSH', 'biglist', ...ELEMENT.slice(i, i + 1000)]);
  return run;
}
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
  // commands whose replies or replayed forms cost more than their lookup (the data of those that need some: loadFilled)
  ['setex', 200000, (i) => ['SET', TTL_KEY[(i * 7919) % KEYS], val, 'EX', '1000']],
  ['expire', 200000, (i) => ['EXPIRE', TTL_KEY[(i * 7919) % KEYS], '1000']],
  ['getex', 200000, (i) => ['GETEX', TTL_KEY[(i * 7919) % KEYS], 'EX', '1000']],
  ['geoadd', 200000, (i) => ['GEOADD', 'geo', '13.361389', '38.115556', ELEMENT[(i * 7919) % KEYS]]],
  ['zadd', 200000, (i) => ['ZADD', 'myzset', String((i * 104729) % KEYS), ELEMENT[(i * 7919) % KEYS]]],
  // a pop and an add, so that the set keeps its size over the rounds
  ['spop+sadd', 100000, (i) => (i % 2 === 0 ? ['SPOP', 'bigset'] : ['SADD', 'bigset', ELEMENT[(i * 7919) % KEYS]])],
  ['lindex', 200000, (i) => ['LINDEX', 'biglist', String((i * 7919) % KEYS)]],
  ['lset', 50000, (i) => ['LSET', 'biglist', String((i * 7919) % KEYS), val]],
  ['append', 200000, (i) => ['APPEND', 'ap' + (i % 1024), 'abcdefgh']],
  ['incrbyfloat', 200000, (i) => ['INCRBYFLOAT', 'fl' + (i % 1024), '1.5']],
].filter(([n]) => !only || only.includes(n));
// the data is loaded only when an op needs it: with it, the db has 200,000 keys and TTLs for every op
const FILLED = ['setex', 'expire', 'getex', 'spop+sadd', 'lindex', 'lset'].some((n) => OPS.some(([o]) => o === n));
const builds = FILLED
  ? { A: await loadFilled(distA), B: await loadFilled(distB) }
  : { A: await load(distA), B: await load(distB) };
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
