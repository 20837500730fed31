// A/B of the write paths the memory accounting touches (SET GET HSET LPUSH ZADD SADD), between two
// builds. Each run is a child process with one build: commands go through the dispatcher (no
// sockets), each op keeps its best of 8 rounds of 200k commands, timed in CPU time
// (process.cpuUsage). The parent alternates base and new children and prints the median per op.
// (Two builds in one process disturbed each other by ±10%: shared heap, GC timing.)
// Keys from a 100k range, as redis-benchmark -r 100000 draws them.
// Usage: node bench/micro/memacct-ab.mjs <base dist dir> <new dist dir> [runs=5]
//   e.g. git archive main | tar -x -C /tmp/base && ln -s $PWD/node_modules /tmp/base && (cd /tmp/base && npx tsc)
//        node bench/micro/memacct-ab.mjs /tmp/base/dist ./dist 5
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const key = (i) => 'key:' + String((i * 7919) % 100000).padStart(12, '0');
const OPS = [
  ['SET', (i) => ['SET', key(i), 'xxx']],
  ['GET', (i) => ['GET', key(i)]],
  ['HSET', (i) => ['HSET', 'myhash', key(i), 'xxx']],
  ['LPUSH', () => ['LPUSH', 'mylist', 'xxx']],
  ['ZADD', (i) => ['ZADD', 'myzset', String(i % 1000), key(i)]],
  ['SADD', (i) => ['SADD', 'myset', key(i)]],
];

async function child(dist) {
  const { Server } = await import(path.resolve(dist) + '/server/server.js');
  const { dispatch } = await import(path.resolve(dist) + '/server/dispatcher.js');
  const server = new Server({ config: { save: '' }, log: () => {} });
  const c = server.newClient(null, 'internal');
  const run = (argv) => {
    dispatch(server, c, argv);
    c.reply.take();
  };
  const best = {};
  for (let r = 0; r < 8; r++) {
    for (const [name, mk] of OPS) {
      const n = 200000;
      const args = Array.from({ length: n }, (_, i) => mk(i + r * n));
      const c0 = process.cpuUsage();
      for (let i = 0; i < n; i++) run(args[i]);
      const cu = process.cpuUsage(c0);
      best[name] = Math.min(best[name] ?? Infinity, ((cu.user + cu.system) * 1000) / n);
    }
    run(['FLUSHALL']);
  }
  process.stdout.write(JSON.stringify(best) + '\n');
}

if (process.argv[2] === '--child') await child(process.argv[3]);
else {
  const [base, neu] = [process.argv[2], process.argv[3]];
  const runs = Number(process.argv[4] ?? 5);
  const res = { base: [], new: [] };
  for (let r = 0; r < runs; r++) {
    for (const [name, dist] of r % 2
      ? [
          ['new', neu],
          ['base', base],
        ]
      : [
          ['base', base],
          ['new', neu],
        ]) {
      const p = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', dist], { encoding: 'utf8' });
      if (p.status !== 0) throw new Error(p.stderr);
      res[name].push(JSON.parse(p.stdout));
    }
  }
  const med = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[s.length >> 1];
  };
  console.log(`CPU ns per command, median of ${runs} processes per build (each the best of 8 rounds of 200k)\n`);
  console.log('| op | base | new | new/base |\n|---|---:|---:|---:|');
  for (const [name] of OPS) {
    const b = med(res.base.map((x) => x[name]));
    const n = med(res.new.map((x) => x[name]));
    console.log(`| ${name} | ${b.toFixed(0)} | ${n.toFixed(0)} | ${(n / b).toFixed(2)}x |`);
  }
}
