/**
 * `npm run bench:messaging` (issue 4): PUBLISH to 1, 10 and 100 subscribers,
 * and MULTI/EXEC of 10 SETs, against redis-server and a tsdis child in one
 * run, rotating which goes first, median of the repeats, ratio tsdis/redis.
 *
 * - PUBLISH: N subscriber connections (raw sockets in this process that
 *   SUBSCRIBE and then only count the bytes they receive) on one channel;
 *   redis-benchmark runs `PUBLISH bench:ch <16-byte payload>` from 50
 *   clients. The figure is PUBLISH requests/s; each also delivers N messages.
 * - MULTI/EXEC: redis-benchmark runs one command per request, so this
 *   script is the load generator: 50 connections each send MULTI, 10 SETs
 *   (random keys of 100k) and EXEC in one write and wait for the whole reply
 *   (its length is fixed, so the client only counts bytes). The figure is
 *   transactions/s.
 *
 * Usage: node dist-test/bench/messaging.js [--quick] [--repeats N] [--only TEXT] [--a OLD/dist/cli.js [--b NEW/dist/cli.js]]
 * (with --a: an interleaved A/B of two builds, each also against redis-server)
 */
import net from 'node:net';
import { benchTargets, interleave, ratioTable, fmtInt, type Measured, type ServerProc } from './lib.js';
import { runBenchmark } from './run.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const ri = argv.indexOf('--repeats');
const REPEATS = ri >= 0 ? Number(argv[ri + 1]) : quick ? 3 : 5;
const oi = argv.indexOf('--only');
/** Only the cases whose name contains this text (e.g. --only multi). */
const only = oi >= 0 ? argv[oi + 1] : undefined;
const SCALE = quick ? 0.25 : 1;
const CHANNEL = 'bench:ch';
const PAYLOAD = 'x'.repeat(16);

/** Subscribers that count what they receive until closed. */
async function subscribers(port: number, n: number): Promise<{ bytes: () => number; close: () => void }> {
  const socks: net.Socket[] = [];
  let bytes = 0;
  const sub = `*2\r\n$9\r\nSUBSCRIBE\r\n$${CHANNEL.length}\r\n${CHANNEL}\r\n`;
  await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<void>((resolve, reject) => {
          const s = net.connect(port, '127.0.0.1', () => s.write(sub));
          s.setNoDelay(true);
          socks.push(s);
          let first = true;
          s.on('data', (d) => {
            bytes += d.length;
            if (first) {
              first = false;
              resolve();
            }
          });
          s.on('error', reject);
        }),
    ),
  );
  return { bytes: () => bytes, close: () => socks.forEach((s) => s.destroy()) };
}

async function publishRun(srv: ServerProc, subs: number): Promise<number> {
  const group = await subscribers(srv.port, subs);
  try {
    const n = Math.round(100_000 * SCALE * (subs >= 100 ? 0.5 : 1));
    const r = await runBenchmark(srv.port, ['-c', '50', '-n', String(n), '--csv', '-q', 'PUBLISH', CHANNEL, PAYLOAD]);
    if (r.error) throw new Error(`${srv.name}: ${r.error}`);
    return r.rps;
  } finally {
    group.close();
  }
}

const TX_SETS = 10;
const TX_REPLY_BYTES =
  '+OK\r\n'.length + TX_SETS * '+QUEUED\r\n'.length + `*${TX_SETS}\r\n`.length + TX_SETS * '+OK\r\n'.length;

function encode(args: string[]): string {
  return `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');
}

/** 50 connections, each running MULTI + 10 SETs + EXEC back to back; returns transactions/s. */
async function txRun(srv: ServerProc): Promise<number> {
  const total = Math.round(40_000 * SCALE);
  const conns = 50;
  let started = 0;
  let done = 0;
  const rnd = () => String(Math.floor(Math.random() * 100_000)).padStart(12, '0');
  const tx = (): string => {
    let s = encode(['MULTI']);
    for (let i = 0; i < TX_SETS; i++) s += encode(['SET', `key:${rnd()}`, 'xxx']);
    return s + encode(['EXEC']);
  };
  // precomputed transactions (random keys), reused round robin
  const pool = Array.from({ length: 256 }, tx);
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from(
      { length: conns },
      (_, ci) =>
        new Promise<void>((resolve, reject) => {
          const s = net.connect(srv.port, '127.0.0.1');
          s.setNoDelay(true);
          let pending = 0;
          const next = () => {
            if (started >= total) {
              s.destroy();
              resolve();
              return;
            }
            started++;
            pending = TX_REPLY_BYTES;
            s.write(pool[(started + ci) % pool.length]!);
          };
          s.on('connect', next);
          s.on('data', (d) => {
            pending -= d.length;
            if (pending < 0) reject(new Error(`${srv.name}: unexpected reply bytes: ${d.toString().slice(0, 80)}`));
            if (pending === 0) {
              done++;
              next();
            }
          });
          s.on('error', reject);
        }),
    ),
  );
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  return done / secs;
}

interface Case {
  name: string;
  run: (s: ServerProc) => Promise<number>;
}

async function main(): Promise<void> {
  const servers = await benchTargets(argv);
  console.log(
    `messaging bench: ${new Date().toISOString()}  node ${process.version}  ${REPEATS} repeats${quick ? ' (quick)' : ''}`,
  );
  console.log(servers.map((s) => `  ${s.cmdline}`).join('\n') + '\n');
  const all: Case[] = [
    { name: 'publish, 1 subscriber', run: (s) => publishRun(s, 1) },
    { name: 'publish, 10 subscribers', run: (s) => publishRun(s, 10) },
    { name: 'publish, 100 subscribers', run: (s) => publishRun(s, 100) },
    { name: 'multi/exec of 10 sets (tx/s)', run: txRun },
  ];
  const cases = all.filter((c) => only === undefined || c.name.includes(only));
  const results: ({ name: string } & Measured)[] = [];
  try {
    for (const c of cases) {
      const m = await interleave(servers, REPEATS, c.run);
      console.log(`  ${c.name.padEnd(30)} ${m.medians.map((x, i) => `${servers[i]!.name} ${fmtInt(x)}`).join('  ')}`);
      results.push({ name: c.name, ...m });
    }
  } finally {
    for (const s of servers) await s.stop();
  }
  console.log('\n' + ratioTable('test (50 clients)', servers, results));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
