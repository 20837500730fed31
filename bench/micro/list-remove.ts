/**
 * LREM on long lists against redis-server: the time a call takes inside
 * the server (INFO commandstats, usec_per_call), so the network does not
 * hide it. A list of N elements `e0..e(N-1)` is built; one EVAL then
 * removes K elements one LREM at a time, each `distance` elements from the
 * end the count starts at (count -1 from the tail, 1 from the head), and
 * puts each back at the other end so the list keeps its length.
 *
 * Usage: node dist-test/bench/micro/list-remove.js [--repeats R] [--sizes 1000,100000]
 *          [--a OLD/dist/cli.js [--b NEW/dist/cli.js]]
 */
import { benchTargets, Conn, median, usecPerCall, type ServerProc } from '../lib.js';

const argv = process.argv.slice(2);
const ri = argv.indexOf('--repeats');
const REPEATS = ri >= 0 ? Number(argv[ri + 1]) : 3;
const si = argv.indexOf('--sizes');
const SIZES = (si >= 0 ? argv[si + 1]! : '1000,100000').split(',').map(Number);
const K = 2000;

// ARGV: count, distance, K. From the tail (count -1): the element `distance`
// from the tail goes, then comes back at the head; from the head (count 1)
// the other way round.
const SCRIPT = `
local count, d, k = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
for i = 1, k do
  local idx = count < 0 and (-1 - d) or d
  local v = redis.call('LINDEX', KEYS[1], idx)
  redis.call('LREM', KEYS[1], count, v)
  if count < 0 then redis.call('LPUSH', KEYS[1], v) else redis.call('RPUSH', KEYS[1], v) end
end
return 1`;

async function lremUs(s: ServerProc, n: number, count: number, distance: number): Promise<number> {
  const c = await Conn.connect(s.port);
  try {
    await c.call(['DEL', 'bench:l']);
    for (let i = 0; i < n; i += 1000) {
      const batch = ['RPUSH', 'bench:l'];
      for (let j = i; j < Math.min(n, i + 1000); j++) batch.push(`e${j}`);
      await c.call(batch);
    }
    await c.call(['CONFIG', 'RESETSTAT']);
    await c.call(['EVAL', SCRIPT, '1', 'bench:l', String(count), String(distance), String(K)]);
    return usecPerCall(String(await c.call(['INFO', 'commandstats'])), 'lrem');
  } finally {
    c.close();
  }
}

const servers = await benchTargets(argv);
const names = servers.map((s) => s.name);
try {
  console.log(`LREM µs a call (commandstats), ${K} calls a run, median of ${REPEATS}`);
  console.log(
    `elements  count  distance ${names.map((x) => x.padStart(8)).join('')} ${names
      .slice(1)
      .map((x) => `${x}/redis`.padStart(12))
      .join('')}`,
  );
  for (const n of SIZES) {
    for (const [count, distance] of [
      [-1, 0],
      [-1, 200],
      [1, 200],
      [-1, Math.floor(n / 2)],
    ] as const) {
      const got: number[][] = servers.map(() => []);
      for (let r = 0; r < REPEATS; r++)
        for (let k = 0; k < servers.length; k++) {
          const i = (r + k) % servers.length;
          got[i]!.push(await lremUs(servers[i]!, n, count, distance));
        }
      const us = got.map(median);
      console.log(
        `${String(n).padStart(8)} ${String(count).padStart(6)} ${String(distance).padStart(9)} ${us
          .map((x) => x.toFixed(2).padStart(8))
          .join('')} ${us
          .slice(1)
          .map((x) => `${(x / us[0]!).toFixed(2)}x`.padStart(12))
          .join('')}`,
      );
    }
  }
} finally {
  for (const s of servers) await s.stop();
}
process.exit(0);
