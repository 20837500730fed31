/**
 * Leak check: millions of SET / GET / DEL / EXPIRE (and short-TTL SETs that
 * really expire) over a fixed key range against a tsdis child must leave its
 * V8 heap, after a full GC, where it was.
 *
 * The child is `node --expose-gc --import memhook.js dist/cli.js ...`; the
 * hook answers an IPC request with process.memoryUsage() after gc(). Every
 * round ends in the same keyspace state (even keys present with a TTL, odd
 * keys deleted, short-TTL keys expired and reclaimed by a GET), so after
 * warm-up rounds the heap has no reason to grow.
 *
 * Usage: node dist-test/bench/leak.js [--ops N] [--keys K] [--tolerance-mb M] [--quick]
 * Exit status 1 when the heap grew beyond max(M MiB, 5% of the baseline heap).
 */
import { startTsdis, Conn, runBatches, childMem, sleep, MiB, table } from './lib.js';

const argv = process.argv.slice(2);
const arg = (flag: string, env: string, def: number): number => {
  const i = argv.indexOf(flag);
  return Number(i >= 0 ? argv[i + 1] : (process.env[env] ?? def));
};
const QUICK = argv.includes('--quick') || process.env['BENCH_QUICK'] === '1';
const OPS = arg('--ops', 'BENCH_LEAK_OPS', QUICK ? 1_000_000 : 10_000_000);
const KEYS = arg('--keys', 'BENCH_LEAK_KEYS', 10_000);
const TMP_KEYS = Math.max(1, Math.floor(KEYS / 10));
const TOL_MB = arg('--tolerance-mb', 'BENCH_LEAK_TOL_MB', 1);
const WARMUP_ROUNDS = 3;
/** Keys per pipelined batch. */
const CHUNK = 500;

const cmd = (...a: string[]) => {
  let s = '*' + a.length + '\r\n';
  for (const x of a) s += '$' + x.length + '\r\n' + x + '\r\n';
  return s;
};

/** Per command name, how many error replies (e.g. not implemented yet). */
const errorsByCmd = new Map<string, { n: number; first: string }>();

/**
 * One round over every key: SET (a value that changes each round), GET,
 * EXPIRE, and DEL of the odd keys; plus SET + PEXPIRE 1 of the short-TTL keys.
 * Batches hold one kind of command so errors can be attributed.
 */
async function round(c: Conn, r: number): Promise<number> {
  let ops = 0;
  const tag = String(r % 1000).padStart(3, '0');
  const kinds: [string, (i: number) => string | null][] = [
    ['SET', (i) => cmd('SET', 'leak:' + i, 'value-' + tag + '-' + i)],
    ['GET', (i) => cmd('GET', 'leak:' + i)],
    ['EXPIRE', (i) => cmd('EXPIRE', 'leak:' + i, '100000')],
    ['DEL', (i) => (i % 2 === 1 ? cmd('DEL', 'leak:' + i) : null)],
    ['SET tmp', (i) => (i < TMP_KEYS ? cmd('SET', 'tmp:' + i, 'short-lived-' + tag) : null)],
    ['PEXPIRE tmp', (i) => (i < TMP_KEYS ? cmd('PEXPIRE', 'tmp:' + i, '1') : null)],
  ];
  for (const [name, make] of kinds) {
    const res = await runBatches(
      c,
      (b) => {
        const from = b * CHUNK;
        if (from >= KEYS) return null;
        let s = '';
        let n = 0;
        for (let i = from; i < Math.min(KEYS, from + CHUNK); i++) {
          const x = make(i);
          if (x !== null) {
            s += x;
            n++;
          }
        }
        return n === 0 ? { data: cmd('PING'), n: 1 } : { data: s, n };
      },
      4,
    );
    ops += res.commands;
    if (res.errors) {
      const e = errorsByCmd.get(name) ?? { n: 0, first: res.firstError ?? '' };
      e.n += res.errors;
      errorsByCmd.set(name, e);
    }
  }
  return ops;
}

/** Lets the short-TTL keys expire, then touches each so lazy expiry reclaims it. */
async function settle(c: Conn): Promise<void> {
  await sleep(50);
  let s = '';
  for (let i = 0; i < TMP_KEYS; i++) s += cmd('GET', 'tmp:' + i);
  await c.pipeline(s, TMP_KEYS);
  await sleep(50);
}

async function main(): Promise<void> {
  const srv = await startTsdis({ memHook: true });
  let failed: boolean;
  try {
    console.log(`leak check: ${new Date().toISOString()}  node ${process.version}`);
    console.log(`  ${srv.cmdline}`);
    console.log(
      `  ${OPS.toLocaleString('en-US')} ops over ${KEYS} keys (+${TMP_KEYS} short-TTL keys), ${WARMUP_ROUNDS} warm-up rounds\n`,
    );
    const c = await Conn.connect(srv.port);
    for (let r = 0; r < WARMUP_ROUNDS; r++) await round(c, r);
    await settle(c);
    errorsByCmd.clear();
    const m0 = await childMem(srv);
    const t0 = Date.now();
    let ops = 0;
    let r = WARMUP_ROUNDS;
    while (ops < OPS) ops += await round(c, r++);
    const secs = (Date.now() - t0) / 1000;
    await settle(c);
    const m1 = await childMem(srv);
    // the end state every round leaves: even keys only, short-TTL keys gone
    const dbsize = await c.call(['DBSIZE']);
    const expected = Math.ceil(KEYS / 2);
    c.close();

    const dHeap = m1.heapUsed - m0.heapUsed;
    const tol = Math.max(TOL_MB * MiB, 0.05 * m0.heapUsed);
    failed = dHeap > tol;
    const mb = (x: number) => (x / MiB).toFixed(2);
    console.log(
      table(
        ['after full GC', 'before (MiB)', 'after (MiB)', 'delta (MiB)'],
        [
          ['heapUsed', mb(m0.heapUsed), mb(m1.heapUsed), mb(dHeap)],
          ['external', mb(m0.external), mb(m1.external), mb(m1.external - m0.external)],
          ['rss', mb(m0.rss), mb(m1.rss), mb(m1.rss - m0.rss)],
        ],
      ),
    );
    console.log(
      `\n${ops.toLocaleString('en-US')} ops in ${r - WARMUP_ROUNDS} rounds, ${secs.toFixed(1)} s (${Math.round(ops / secs).toLocaleString('en-US')} ops/s, pipelined)`,
    );
    if (typeof dbsize === 'number') {
      console.log(`DBSIZE ${dbsize} (expected ${expected})${dbsize === expected ? '' : ' MISMATCH'}`);
      if (dbsize !== expected) failed = true;
    } else console.log(`DBSIZE not available (${String(dbsize)})`);
    for (const [name, e] of errorsByCmd)
      console.log(`  note: ${e.n} error replies to ${name} (first: ${e.first}); that path was not exercised`);
    console.log(
      `\nheap delta ${mb(dHeap)} MiB, tolerance ${mb(tol)} MiB (max(${TOL_MB} MiB, 5% of baseline)): ${failed ? 'FAIL' : 'PASS'}`,
    );
  } finally {
    await srv.stop();
  }
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  process.stderr.write(`leak check failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
