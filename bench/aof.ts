/**
 * `npm run bench:aof` (issue 5): SET throughput with the AOF on, tsdis
 * against redis-server with the same `appendfsync` (always, everysec), in
 * one run, alternating which goes first, median of the repeats:
 *
 *   redis-benchmark -t set -n N -c 50 -r 100000 --csv -q
 *
 * Both servers write their AOF under a fresh temp dir on the same disk.
 * With `always` both are bound by fdatasync per event-loop turn, so the
 * ratio mostly shows how many writes each batches into one sync.
 *
 * Usage: node dist-test/bench/aof.js [--quick] [--repeats N]
 */
import { startRedis, startTsdis, median, geomean, table, fmtInt, fmtRatio } from './lib.js';
import { runBenchmark } from './run.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const ri = argv.indexOf('--repeats');
const REPEATS = ri >= 0 ? Number(argv[ri + 1]) : quick ? 3 : 5;

async function main(): Promise<void> {
  console.log(
    `aof bench: ${new Date().toISOString()}  node ${process.version}  ${REPEATS} repeats${quick ? ' (quick)' : ''}`,
  );
  const rows: string[][] = [];
  const ratios: number[] = [];
  for (const policy of ['always', 'everysec']) {
    const flags = ['--appendonly', 'yes', '--appendfsync', policy];
    const redis = await startRedis(flags);
    const tsdis = await startTsdis({ extra: flags });
    console.log(`  ${redis.cmdline}\n  ${tsdis.cmdline}`);
    const n = Math.round((policy === 'always' ? 50_000 : 200_000) * (quick ? 0.25 : 1));
    const args = ['-t', 'set', '-n', String(n), '-c', '50', '-r', '100000', '--csv', '-q'];
    const r: number[] = [];
    const t: number[] = [];
    try {
      for (let i = 0; i < REPEATS; i++) {
        for (const srv of i % 2 === 0 ? [redis, tsdis] : [tsdis, redis]) {
          const res = await runBenchmark(srv.port, args);
          if (res.error) console.log(`  ${srv.name}: ${res.error}`);
          (srv === redis ? r : t).push(res.rps);
        }
      }
    } finally {
      await redis.stop();
      await tsdis.stop();
    }
    const ratio = median(t) / median(r);
    if (Number.isFinite(ratio)) ratios.push(ratio);
    console.log(
      `  set, appendfsync ${policy.padEnd(8)} redis ${fmtInt(median(r)).padStart(9)}  tsdis ${fmtInt(median(t)).padStart(9)}  ${fmtRatio(ratio)}`,
    );
    rows.push([`set, appendfsync ${policy}`, fmtInt(median(r)), fmtInt(median(t)), fmtRatio(ratio)]);
  }
  rows.push([`geomean (${ratios.length} tests)`, '', '', fmtRatio(geomean(ratios))]);
  console.log('\n' + table(['test (50 clients)', 'redis req/s', 'tsdis req/s', 'tsdis/redis'], rows));
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
