/**
 * Does memory come back when the data goes? (issue 14: "after 1M keys with
 * `EX 1` expire and after a 100 MB value is deleted, RSS is within 2x of the
 * empty server's within 30 s".)
 *
 * For redis-server and tsdis (`node dist/cli.js`, as a user starts it), each
 * scenario on a fresh server:
 *  - expire: N keys (default 1M, 16-byte values) written with SET … EX 1
 *    (pipelined), then nothing: the keys expire and the server is idle;
 *  - bigdel: one value of M MB (default 100) SET, then DEL.
 * The RSS of the empty server is read before (2 s after start), then each
 * second for `--secs` seconds (default 30) after the last command, the client
 * connection closed. Prints the timeline and, per server, the RSS at the
 * end over the empty server's and the first second it was within 2x.
 *
 * Usage: node dist-test/bench/memory-return.js [--keys N] [--mb M] [--secs S] [--only expire|bigdel] [--server redis|tsdis]
 */
import { startRedis, startTsdis, Conn, runBatches, rssOf, sleep, table, type ServerProc } from './lib.js';

const MB = 1024 * 1024;

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
}

const KEYS = Number(arg('keys', '1000000'));
const VALUE_MB = Number(arg('mb', '100'));
const SECS = Number(arg('secs', '30'));
const ONLY = arg('only', '');
const SERVER = arg('server', '');

/** SET k:i <16 bytes> EX 1 for i < n, pipelined in batches of 1000. */
async function fillExpiring(c: Conn, n: number): Promise<void> {
  const per = 1000;
  const value = 'v'.repeat(16);
  const r = await runBatches(c, (b) => {
    const from = b * per;
    if (from >= n) return null;
    const to = Math.min(n, from + per);
    let s = '';
    for (let i = from; i < to; i++) {
      const k = `k:${i}`;
      s += `*5\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$16\r\n${value}\r\n$2\r\nEX\r\n$1\r\n1\r\n`;
    }
    return { data: s, n: to - from };
  });
  if (r.errors) throw new Error(`fill: ${r.errors} errors, first: ${r.firstError}`);
}

/** SET big <mb MB>, then DEL big; `between` runs between the two. */
async function bigValue(c: Conn, mb: number, between: () => void): Promise<void> {
  const n = mb * MB;
  const head = Buffer.from(`*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$${n}\r\n`, 'latin1');
  const body = Buffer.alloc(n, 'x');
  const r = await c.pipeline(Buffer.concat([head, body, Buffer.from('\r\n')]), 1);
  if (r.errors) throw new Error(`SET big: ${r.firstError}`);
  between();
  const d = await c.call(['DEL', 'big']);
  if (d !== 1) throw new Error(`DEL big: ${String(d)}`);
}

interface Run {
  server: string;
  scenario: string;
  empty: number;
  peak: number;
  /** RSS each second after the last command (index 0 = right after it). */
  after: number[];
}

async function runOne(kind: 'redis' | 'tsdis', scenario: 'expire' | 'bigdel'): Promise<Run> {
  const s: ServerProc = kind === 'redis' ? await startRedis() : await startTsdis();
  try {
    await sleep(2000);
    const empty = rssOf(s.pid);
    const c = await Conn.connect(s.port);
    let peak = 0;
    if (scenario === 'expire') await fillExpiring(c, KEYS);
    else await bigValue(c, VALUE_MB, () => (peak = rssOf(s.pid)));
    peak = Math.max(peak, rssOf(s.pid));
    c.close();
    const after: number[] = [];
    for (let t = 0; t <= SECS; t++) {
      const r = rssOf(s.pid);
      after.push(r);
      if (r > peak) peak = r;
      if (t < SECS) await sleep(1000);
    }
    return { server: kind, scenario, empty, peak, after };
  } finally {
    await s.stop();
  }
}

const mbs = (n: number) => (n / MB).toFixed(1);

async function main(): Promise<void> {
  const scenarios = (['expire', 'bigdel'] as const).filter((x) => !ONLY || x === ONLY);
  const servers = (['redis', 'tsdis'] as const).filter((x) => !SERVER || x === SERVER);
  const runs: Run[] = [];
  for (const sc of scenarios) {
    for (const sv of servers) {
      const r = await runOne(sv, sc);
      runs.push(r);
      const marks = [0, 1, 2, 5, 10, 15, 20, 25, 30].filter((t) => t <= SECS);
      console.log(
        `${sv} ${sc}: empty ${mbs(r.empty)} MB, peak ${mbs(r.peak)} MB; RSS (MB) at ${marks.map((t) => `${t}s ${mbs(r.after[t]!)}`).join(', ')}`,
      );
    }
  }
  const rows = runs.map((r) => {
    const last = r.after[r.after.length - 1]!;
    const within = r.after.findIndex((x) => x <= 2 * r.empty);
    return [
      r.scenario,
      r.server,
      mbs(r.empty),
      mbs(r.peak),
      mbs(last),
      (last / r.empty).toFixed(2),
      within < 0 ? `not in ${SECS} s` : `${within} s`,
    ];
  });
  console.log(`\nkeys ${KEYS} (expire), value ${VALUE_MB} MB (bigdel), watched ${SECS} s after the last command`);
  console.log(
    table(
      ['scenario', 'server', 'empty MB', 'peak MB', `at ${SECS}s MB`, 'end/empty', 'within 2x after'],
      runs.length ? rows : [],
    ),
  );
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
