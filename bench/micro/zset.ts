/**
 * Sorted sets: shows ZADD and ZRANGE of 100 from the middle stay O(log n),
 * and measures the memory of one 1M-member sorted set against redis-server.
 *
 *  1. Scaling (in process, no sockets): a set of N members (10k, 100k, 1M)
 *     is built, then timed: ZADD of new members (random scores) through the
 *     command handler (`srv.call`, which includes argument handling and
 *     reply decoding, a constant) and through the ZSet API alone, and
 *     ZRANGE key mid mid+99 the same two ways.
 *  2. Memory (--memory): one sorted set of N members ("member:<i>", score
 *     i + 0.5) loaded by pipelined ZADDs (1000 pairs each) into redis-server
 *     (INFO used_memory delta) and into a tsdis child preloaded with the GC
 *     hook (V8 heapUsed delta after a full GC).
 *
 * Usage: node dist-test/bench/micro/zset.js [--memory] [--members N]
 */
import { createServer } from '../../src/index.js';
import { ZSet } from '../../src/types/zset.js';
import { startRedis, startTsdis, Conn, runBatches, childMem, parseInfo, ReplyErr, type ServerProc } from '../lib.js';

const argv = process.argv.slice(2);
const mi = argv.indexOf('--members');
const MEMBERS = Number(mi >= 0 ? argv[mi + 1] : 1_000_000);

function timeIt(n: number, fn: (i: number) => void): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  return Number(process.hrtime.bigint() - t0) / n / 1000; // µs per op
}

async function scaling(): Promise<void> {
  console.log('size      ZADD cmd µs  ZADD api µs  ZRANGE100 cmd µs  ZRANGE100 api µs');
  for (const n of [10_000, 100_000, 1_000_000]) {
    const srv = await createServer({ noListen: true });
    const z = new ZSet(false);
    // Build through the API (fast), then store the set under a key.
    for (let i = 0; i < n; i++) z.insert(Math.random() * 1e9, 'member:' + i);
    srv.server.dbs[0]!.set('z', z);
    const OPS = 20_000;
    const zaddCmd = await (async () => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < OPS; i++) await srv.call('ZADD', 'z', String(Math.random() * 1e9), 'new:' + i);
      return Number(process.hrtime.bigint() - t0) / OPS / 1000;
    })();
    const zaddApi = timeIt(OPS, (i) => z.insert(Math.random() * 1e9, 'api:' + i));
    const mid = Math.floor(z.card() / 2);
    const RANGES = 5_000;
    const zrangeCmd = await (async () => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < RANGES; i++) await srv.call('ZRANGE', 'z', String(mid), String(mid + 99));
      return Number(process.hrtime.bigint() - t0) / RANGES / 1000;
    })();
    let sink = 0;
    const zrangeApi = timeIt(RANGES, () => {
      for (let k = 0, x = z.cursor(mid); k < 100 && x.leaf; k++, x.next()) sink += x.m.length;
    });
    if (sink < 0) console.log(sink);
    console.log(
      `${String(n).padEnd(9)} ${zaddCmd.toFixed(2).padStart(11)}  ${zaddApi.toFixed(2).padStart(11)}  ${zrangeCmd.toFixed(2).padStart(16)}  ${zrangeApi.toFixed(2).padStart(16)}`,
    );
    await srv.close();
  }
}

async function load(port: number): Promise<void> {
  const c = await Conn.connect(port);
  const PAIRS = 1000;
  const r = await runBatches(c, (b) => {
    const from = b * PAIRS;
    if (from >= MEMBERS) return null;
    const to = Math.min(MEMBERS, from + PAIRS);
    const args = ['ZADD', 'bigz'];
    for (let i = from; i < to; i++) args.push(String(i + 0.5), 'member:' + i);
    let s = '*' + args.length + '\r\n';
    for (const a of args) s += '$' + a.length + '\r\n' + a + '\r\n';
    return { data: s, n: 1 };
  });
  if (r.errors) throw new Error(`${r.errors} errors while loading, first: ${r.firstError}`);
  const card = await c.call(['ZCARD', 'bigz']);
  c.close();
  if (card !== MEMBERS) throw new Error(`ZCARD ${String(card)}`);
}

async function usedMemory(port: number): Promise<number> {
  const c = await Conn.connect(port);
  const r = await c.call(['INFO', 'memory']);
  c.close();
  if (r instanceof ReplyErr || typeof r !== 'string') return NaN;
  return Number(parseInfo(r)['used_memory']);
}

async function memory(): Promise<void> {
  const servers: ServerProc[] = [];
  try {
    const redis = await startRedis();
    servers.push(redis);
    const r0 = await usedMemory(redis.port);
    await load(redis.port);
    const r1 = await usedMemory(redis.port);
    await redis.stop();
    const hooked = await startTsdis({ memHook: true });
    servers.push(hooked);
    const h0 = await childMem(hooked);
    await load(hooked.port);
    const h1 = await childMem(hooked);
    await hooked.stop();
    const rb = (r1 - r0) / MEMBERS;
    const tb = (h1.heapUsed - h0.heapUsed) / MEMBERS;
    console.log(`\none sorted set of ${MEMBERS} members ("member:<i>", score i+0.5)`);
    console.log(`redis used_memory delta: ${rb.toFixed(1)} bytes/member`);
    console.log(`tsdis V8 heapUsed delta after full GC: ${tb.toFixed(1)} bytes/member  (${(tb / rb).toFixed(2)}x)`);
  } finally {
    for (const s of servers) await s.stop('SIGKILL');
  }
}

async function main(): Promise<void> {
  if (argv.includes('--memory')) await memory();
  else await scaling();
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`zset bench failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
