/**
 * Bytes per key: N distinct keys (default 1M) with 16-byte values, loaded the
 * same way into redis-server and into tsdis by pipelined SETs over a socket.
 *
 *  - redis: delta of INFO memory used_memory (and of its RSS);
 *  - tsdis: the plain child (`node dist/cli.js ...`) as a user runs it, RSS
 *    delta after it has been idle a moment; and a second child preloaded with
 *    bench/memhook.ts (--expose-gc), whose V8 heap and RSS are read after a
 *    forced full GC. INFO memory used_memory is shown when tsdis has it.
 *
 * Usage: node dist-test/bench/memory.js [--keys N]   (env BENCH_KEYS)
 */
import {
  startRedis,
  startTsdis,
  Conn,
  runBatches,
  rssOf,
  childMem,
  parseInfo,
  table,
  fmtRatio,
  sleep,
  ReplyErr,
  type ServerProc,
} from './lib.js';

const argv = process.argv.slice(2);
const ki = argv.indexOf('--keys');
const KEYS = Number(ki >= 0 ? argv[ki + 1] : (process.env['BENCH_KEYS'] ?? 1_000_000));
const VALUE_LEN = 16;
const BATCH = 10_000;

/** key:00000000 .. (12 bytes) and a distinct 16-byte value per key. */
function key(i: number): string {
  return 'key:' + String(i).padStart(8, '0');
}
function value(i: number): string {
  return ('v' + String(i).padStart(VALUE_LEN - 1, '0')).slice(0, VALUE_LEN);
}

/** Loads KEYS keys with pipelined SETs; throws on any error reply. */
async function load(port: number): Promise<number> {
  const c = await Conn.connect(port);
  const t0 = Date.now();
  const r = await runBatches(c, (b) => {
    const from = b * BATCH;
    if (from >= KEYS) return null;
    const to = Math.min(KEYS, from + BATCH);
    let s = '';
    for (let i = from; i < to; i++) {
      const k = key(i);
      const v = value(i);
      s += '*3\r\n$3\r\nSET\r\n$' + k.length + '\r\n' + k + '\r\n$' + v.length + '\r\n' + v + '\r\n';
    }
    return { data: s, n: to - from };
  });
  c.close();
  if (r.errors) throw new Error(`${r.errors} errors while loading, first: ${r.firstError}`);
  return Date.now() - t0;
}

/** DBSIZE if the server has it, else a sample of GETs; throws when keys are missing. */
async function verify(port: number): Promise<string> {
  const c = await Conn.connect(port);
  try {
    const n = await c.call(['DBSIZE']);
    if (typeof n === 'number') {
      if (n !== KEYS) throw new Error(`DBSIZE ${n}, expected ${KEYS}`);
      return `DBSIZE ${n}`;
    }
    for (const i of [0, 1, KEYS >> 1, KEYS - 1]) {
      const v = await c.call(['GET', key(i)]);
      if (v !== value(i)) throw new Error(`GET ${key(i)} = ${String(v)}`);
    }
    return 'sampled GETs ok (no DBSIZE)';
  } finally {
    c.close();
  }
}

/** INFO memory used_memory, or NaN when the server has no INFO yet. */
async function usedMemory(port: number): Promise<number> {
  const c = await Conn.connect(port);
  try {
    const r = await c.call(['INFO', 'memory']);
    if (r instanceof ReplyErr || typeof r !== 'string') return NaN;
    const v = Number(parseInfo(r)['used_memory']);
    return Number.isFinite(v) ? v : NaN;
  } finally {
    c.close();
  }
}

const perKey = (delta: number) => delta / KEYS;
const fmtB = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');

async function main(): Promise<void> {
  console.log(
    `memory bench: ${new Date().toISOString()}  node ${process.version}  ${KEYS.toLocaleString('en-US')} keys, ${VALUE_LEN}-byte values, key ${JSON.stringify(key(0))}\n`,
  );
  const rows: string[][] = [];
  const servers: ServerProc[] = [];
  try {
    // redis-server
    const redis = await startRedis();
    servers.push(redis);
    console.log(`  ${redis.cmdline}`);
    const r0 = await usedMemory(redis.port);
    const rr0 = rssOf(redis.pid);
    const rms = await load(redis.port);
    const rv = await verify(redis.port);
    const r1 = await usedMemory(redis.port);
    const rr1 = rssOf(redis.pid);
    await redis.stop();
    rows.push(['redis used_memory', fmtB(perKey(r1 - r0)), `${rms} ms load, ${rv}`]);
    rows.push(['redis RSS', fmtB(perKey(rr1 - rr0)), '']);
    const redisPerKey = perKey(r1 - r0);

    // tsdis as a user runs it: RSS only (no forced GC; idle 2 s so a GC can run)
    const plain = await startTsdis();
    servers.push(plain);
    console.log(`  ${plain.cmdline}`);
    await sleep(500);
    const p0 = rssOf(plain.pid);
    const pu0 = await usedMemory(plain.port);
    const pms = await load(plain.port);
    const pv = await verify(plain.port);
    await sleep(2000);
    const p1 = rssOf(plain.pid);
    const pu1 = await usedMemory(plain.port);
    await plain.stop();
    rows.push(['tsdis RSS (plain child, no forced GC)', fmtB(perKey(p1 - p0)), `${pms} ms load, ${pv}`]);
    rows.push([
      'tsdis INFO used_memory',
      fmtB(perKey(pu1 - pu0)),
      Number.isFinite(pu1) ? '' : 'INFO memory not implemented yet',
    ]);

    // tsdis with the GC hook: heap after a full GC
    const hooked = await startTsdis({ memHook: true });
    servers.push(hooked);
    console.log(`  ${hooked.cmdline}`);
    const h0 = await childMem(hooked);
    const hms = await load(hooked.port);
    await verify(hooked.port);
    const h1 = await childMem(hooked);
    await hooked.stop();
    const heapPerKey = perKey(h1.heapUsed - h0.heapUsed);
    rows.push(['tsdis V8 heapUsed after full GC', fmtB(heapPerKey), `${hms} ms load`]);
    rows.push(['tsdis external+arrayBuffers after GC', fmtB(perKey(h1.external - h0.external)), '']);
    rows.push(['tsdis RSS after full GC', fmtB(perKey(h1.rss - h0.rss)), '']);

    console.log('');
    console.log(table(['measure', 'bytes/key', 'note'], rows, 'lrl'));
    console.log('');
    console.log(
      table(
        ['ratio tsdis/redis (vs redis used_memory)', 'ratio'],
        [
          ['V8 heapUsed after GC', fmtRatio(heapPerKey / redisPerKey)],
          ['RSS after GC', fmtRatio(perKey(h1.rss - h0.rss) / redisPerKey)],
          ['RSS, plain child', fmtRatio(perKey(p1 - p0) / redisPerKey)],
          ['RSS vs redis RSS (plain child)', fmtRatio(perKey(p1 - p0) / perKey(rr1 - rr0))],
        ],
      ),
    );
  } finally {
    for (const s of servers) await s.stop('SIGKILL');
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`memory bench failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
