/**
 * `npm run bench:aof` (issue 5): SET throughput with the AOF on, tsdis
 * against redis-server with the same `appendfsync` (always, everysec), in
 * one run, rotating which goes first, median of the repeats:
 *
 *   redis-benchmark -t set -n N -c 50 -r 100000 --csv -q
 *
 * Both servers write their AOF under a fresh temp dir on the same disk.
 * With `always` both are bound by fdatasync per event-loop turn, so the
 * ratio mostly shows how many writes each batches into one sync.
 *
 * Usage: node dist-test/bench/aof.js [--quick] [--repeats N] [--a OLD/dist/cli.js [--b NEW/dist/cli.js]]
 * (with --a: an interleaved A/B of two builds, each also against redis-server)
 */
import { benchTargets, interleave, ratioTable, fmtInt, type Measured, type ServerProc } from './lib.js';
import { runBenchmark } from './run.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const ri = argv.indexOf('--repeats');
const REPEATS = ri >= 0 ? Number(argv[ri + 1]) : quick ? 3 : 5;

async function main(): Promise<void> {
  console.log(
    `aof bench: ${new Date().toISOString()}  node ${process.version}  ${REPEATS} repeats${quick ? ' (quick)' : ''}`,
  );
  const results: ({ name: string } & Measured)[] = [];
  let servers: ServerProc[] = [];
  for (const policy of ['always', 'everysec']) {
    servers = await benchTargets(argv, ['--appendonly', 'yes', '--appendfsync', policy]);
    console.log(servers.map((s) => `  ${s.cmdline}`).join('\n'));
    const n = Math.round((policy === 'always' ? 50_000 : 200_000) * (quick ? 0.25 : 1));
    const args = ['-t', 'set', '-n', String(n), '-c', '50', '-r', '100000', '--csv', '-q'];
    try {
      const m = await interleave(servers, REPEATS, async (srv) => {
        const res = await runBenchmark(srv.port, args);
        if (res.error) throw new Error(res.error);
        return res.rps;
      });
      const name = `set, appendfsync ${policy}`;
      console.log(`  ${name.padEnd(26)} ${m.medians.map((x, i) => `${servers[i]!.name} ${fmtInt(x)}`).join('  ')}`);
      results.push({ name, ...m });
    } finally {
      for (const s of servers) await s.stop();
    }
  }
  console.log('\n' + ratioTable('test (50 clients)', servers, results));
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
