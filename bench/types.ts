/**
 * `npm run bench:types` (issue 7): XADD, XRANGE of 10 entries, PFADD,
 * PFCOUNT, GEOADD and GEOSEARCH against redis-server in one run, with
 * redis-benchmark's arbitrary-command mode, 50 clients, random members from
 * 100k (-r), alternating which server goes first, median of the repeats.
 *
 * Usage: node dist-test/bench/types.js [--quick] [--repeats N] [--only geoadd,geosearch]
 * (--only: run just the named rows, e.g. while tuning one type.)
 */
import { startRedis, startTsdis, median, geomean, table, fmtInt, fmtRatio } from './lib.js';
import { runBenchmark } from './run.js';
import { RawConn } from '../test/helpers/servers.js';

/** 2,000 points at fixed pseudo-random places in [13,14] x [38,39] (the same on both servers). */
async function addPoints(port: number): Promise<void> {
  const c = await RawConn.connect(port);
  const args: string[] = ['GEOADD', 'bench:g2'];
  let x = 12345;
  const rnd = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < 2000; i++) args.push((13 + rnd()).toFixed(6), (38 + rnd()).toFixed(6), `p${i}`);
  await c.call(...args);
  c.close();
}

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const ri = argv.indexOf('--repeats');
const REPEATS = ri >= 0 ? Number(argv[ri + 1]) : 3;
const N = quick ? 20_000 : 50_000;
const oi = argv.indexOf('--only');
const ONLY = oi >= 0 ? new Set(argv[oi + 1]!.split(',').map((x) => x.trim().toLowerCase())) : null;

/** Each test: the command, and a setup command run once per server before it (or none). */
const TESTS: [string, string[]][] = [
  ['xadd', ['XADD', 'bench:s', '*', 'field', 'value__rand_int__']],
  ['xrange 10', ['XRANGE', 'bench:s', '-', '+', 'COUNT', '10']],
  ['pfadd', ['PFADD', 'bench:h', 'elem__rand_int__']],
  ['pfcount', ['PFCOUNT', 'bench:h']],
  ['geoadd', ['GEOADD', 'bench:g', '13.361389', '38.115556', 'member__rand_int__']],
  // (over 2,000 points spread in a 1-degree box, added before the run)
  ['geosearch', ['GEOSEARCH', 'bench:g2', 'FROMLONLAT', '13.5', '38.5', 'BYRADIUS', '10', 'km', 'COUNT', '10', 'ASC']],
];

async function main(): Promise<void> {
  const redis = await startRedis();
  const tsdis = await startTsdis();
  console.log(
    `types bench: ${new Date().toISOString()}  node ${process.version}  ${REPEATS} repeats${quick ? ' (quick)' : ''}`,
  );
  console.log(`  ${redis.cmdline}\n  ${tsdis.cmdline}`);
  console.log(`  redis-benchmark -h 127.0.0.1 -p PORT -c 50 -n ${N} -r 100000 --csv -q <command>\n`);
  const rows: string[][] = [];
  const ratios: number[] = [];
  await addPoints(redis.port);
  await addPoints(tsdis.port);
  try {
    for (const [name, cmd] of TESTS) {
      if (ONLY !== null && !ONLY.has(name)) continue;
      const r: number[] = [];
      const t: number[] = [];
      for (let i = 0; i < REPEATS; i++) {
        for (const srv of i % 2 === 0 ? [redis, tsdis] : [tsdis, redis]) {
          const res = await runBenchmark(srv.port, [
            '-c',
            '50',
            '-n',
            String(N),
            '-r',
            '100000',
            '--csv',
            '-q',
            ...cmd,
          ]);
          if (res.error) console.log(`  ${srv.name} ${name}: ${res.error}`);
          (srv === redis ? r : t).push(res.rps);
        }
      }
      const ratio = median(t) / median(r);
      if (Number.isFinite(ratio)) ratios.push(ratio);
      console.log(
        `  ${name.padEnd(10)} redis ${fmtInt(median(r)).padStart(9)}  tsdis ${fmtInt(median(t)).padStart(9)}  ${fmtRatio(ratio)}`,
      );
      rows.push([name, cmd.join(' '), fmtInt(median(r)), fmtInt(median(t)), fmtRatio(ratio)]);
    }
  } finally {
    await redis.stop();
    await tsdis.stop();
  }
  rows.push([`geomean (${ratios.length} tests)`, '', '', '', fmtRatio(geomean(ratios))]);
  console.log('\n' + table(['test', 'command', 'redis req/s', 'tsdis req/s', 'tsdis/redis'], rows));
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
