// Micro benchmark: SETs of 1 KB values under `maxmemory 100mb allkeys-lru`, in process (no
// sockets): the command path with one eviction per SET. For each build (its dist/ directory's
// parent), alternating, each run in a fresh node process: 120k SETs of random keys to reach the
// limit, then N measured SETs; reports the process's CPU time per measured SET (user + system,
// GC threads included: the machine's load disturbs it less than wall time) and the keys evicted.
//
// Usage: node bench/micro/evict-set.mjs ROOT_A ROOT_B [--rounds 5] [--sets 200000]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : def;
};

if (argv[0] === '--child') {
  const root = argv[1];
  const n = Number(argv[2]);
  const { createServer } = await import(pathToFileURL(path.join(root, 'dist/index.js')).href);
  const { dispatch } = await import(pathToFileURL(path.join(root, 'dist/server/dispatcher.js')).href);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evict-set-'));
  const t = await createServer({ port: 0, host: '127.0.0.1', config: { dir, save: '' } });
  await t.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
  await t.call('CONFIG', 'SET', 'maxmemory', '100mb');
  const c = t.server.newClient(null, 'internal');
  const val = 'v'.repeat(1024);
  let seed = 1;
  const rnd = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  const set = (count) => {
    for (let i = 0; i < count; i++) {
      dispatch(t.server, c, ['SET', 'key:' + String(rnd()).padStart(12, '0'), val]);
      if ((i & 1023) === 0) c.reply.take();
    }
    c.reply.take();
  };
  set(120000);
  const ev0 = t.server.stats.evictedKeys;
  const u0 = process.cpuUsage();
  set(n);
  const u = process.cpuUsage(u0);
  process.stdout.write(
    JSON.stringify({ cpuUs: (u.user + u.system) / n, evicted: t.server.stats.evictedKeys - ev0 }) + '\n',
  );
  await t.close();
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

const roots = argv.filter((a, i) => !a.startsWith('--') && !(i > 0 && argv[i - 1].startsWith('--')));
const rounds = Number(opt('--rounds', '5'));
const sets = opt('--sets', '200000');
const res = roots.map(() => []);
for (let r = 0; r < rounds; r++) {
  for (let k = 0; k < roots.length; k++) {
    const j = r % 2 === 0 ? k : roots.length - 1 - k;
    const out = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', roots[j], sets], {
      encoding: 'utf8',
    });
    const x = JSON.parse(out.stdout.trim());
    res[j].push(x.cpuUs);
    process.stderr.write(`  ${roots[j]}: ${x.cpuUs.toFixed(2)} µs CPU/SET, ${x.evicted} evicted\n`);
  }
}
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
roots.forEach((root, i) =>
  console.log(`${root}: median ${med(res[i]).toFixed(2)} µs CPU/SET (${res[i].map((x) => x.toFixed(2)).join(' ')})`),
);
