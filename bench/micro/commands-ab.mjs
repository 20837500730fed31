// A/B of single commands between builds, in one process: each build gets its own Server with the
// same data (100,000 string keys with TTLs, a 100,000-member set and a 100,000-element list),
// commands go through the dispatcher (no sockets), rounds alternate between the builds, and each
// op (a command, or two for spop+sadd) reports its median and best round in CPU µs a call (process.cpuUsage, which a loaded
// shared machine disturbs less than wall time). Run it twice with the builds in both orders: the
// build measured first in a round can read a little slower or faster.
// Usage: node bench/micro/commands-ab.mjs <ops> <dist dir> [<dist dir> ...]
//   ops: a comma list of the names in OPS, e.g.
//   node bench/micro/commands-ab.mjs expire,getex,setex,lset /tmp/base/dist ./dist
const KEYS = 100000;
const ROUNDS = 5;
const CALLS = 100000;
const text = (prefix) =>
  Array.from({ length: KEYS }, (_, i) => Buffer.from(prefix + String(i).padStart(12, '0')).toString('latin1'));
const K = text('key:');
const M = text('member:');
let x = 1;
const rnd = () => (x = (x * 1103515245 + 12345) & 0x7fffffff) % KEYS;
const OPS = {
  get: () => ['GET', K[rnd()]],
  set: () => ['SET', K[rnd()], 'xxx'],
  setex: () => ['SET', K[rnd()], 'xxx', 'EX', '1000'],
  expire: () => ['EXPIRE', K[rnd()], '1000'],
  getex: () => ['GETEX', K[rnd()], 'EX', '1000'],
  incrbyfloat: () => ['INCRBYFLOAT', 'fl' + (rnd() & 1023), '1.5'],
  append: () => ['APPEND', 'ap' + (rnd() & 1023), 'abcdefgh'],
  geoadd: () => ['GEOADD', 'g', '13.361389', '38.115556', M[rnd()]],
  sadd: () => ['SADD', 'bigset', M[rnd()]],
  // (a pop and an add, so that the set keeps its size over the rounds)
  'spop+sadd': () => [
    ['SPOP', 'bigset'],
    ['SADD', 'bigset', M[rnd()]],
  ],
  hset: () => ['HSET', 'h' + (rnd() & 1023), 'f' + (x & 7), 'v'],
  zadd: () => ['ZADD', 'z', String(rnd()), M[rnd()]],
  lindex: () => ['LINDEX', 'biglist', String(rnd())],
  lset: () => ['LSET', 'biglist', String(rnd()), 'y'],
};
const ops = (process.argv[2] ?? '').split(',').filter((o) => o !== '');
const dists = process.argv.slice(3);
if (ops.length === 0 || dists.length === 0 || ops.some((o) => !(o in OPS))) {
  console.error(`usage: node bench/micro/commands-ab.mjs <${Object.keys(OPS).join('|')},...> <dist dir>...`);
  process.exit(2);
}

const builds = [];
for (const d of dists) {
  const { Server } = await import(d + '/server/server.js');
  const { dispatch } = await import(d + '/server/dispatcher.js');
  const server = new Server({ config: { save: '' }, log: () => {} });
  const c = server.newClient(null, 'bench');
  const run = (argv) => {
    dispatch(server, c, argv);
    c.reply.take();
  };
  for (let i = 0; i < KEYS; i++) run(['SET', K[i], 'xxx', 'EX', '100000']);
  for (let i = 0; i < KEYS; i += 1000) run(['SADD', 'bigset', ...M.slice(i, i + 1000)]);
  for (let i = 0; i < KEYS; i += 1000) run(['RPUSH', 'biglist', ...M.slice(i, i + 1000)]);
  builds.push({ d, run });
}

const times = new Map();
for (let r = 0; r < ROUNDS; r++)
  for (const b of builds)
    for (const op of ops) {
      const gen = OPS[op];
      const t = process.cpuUsage();
      for (let i = 0; i < CALLS; i++) {
        const argv = gen();
        if (typeof argv[0] === 'string') b.run(argv);
        else for (const a of argv) b.run(a);
      }
      const d = process.cpuUsage(t);
      const k = `${b.d} ${op}`;
      times.set(k, [...(times.get(k) ?? []), (d.user + d.system) / CALLS]);
    }
for (const [k, v] of times) {
  v.sort((a, b) => a - b);
  console.log(`${k.padEnd(48)} median ${v[ROUNDS >> 1].toFixed(3)}  best ${v[0].toFixed(3)} µs`);
}
