/**
 * What ACL costs on the command path (issue 16): SET and GET from
 * redis-benchmark as a restricted user (a category rule and a key pattern:
 * `-@all +@string +@connection +config|get ~key:*`, so every command runs
 * the command and key checks) against the same commands as the default
 * user (all-permissive: one field read in the dispatcher), on one tsdis
 * server in the same run, the two users alternating within each repeat.
 * The figures are the ratios restricted/default of requests/s and of the
 * server's CPU per request (medians of the repeats); the CPU ratio is the
 * steadier one on a shared machine.
 *
 * Usage: node dist-test/bench/acl.js [--quick] [--repeats N]
 */
import { startTsdis, median, geomean, table, fmtInt, fmtRatio, Conn, cpuUs } from './lib.js';
import { runBenchmark } from './run.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const ri = argv.indexOf('--repeats');
const REPEATS = ri >= 0 ? Number(argv[ri + 1]) : quick ? 3 : 5;
const SCALE = quick ? 0.25 : 1;

const GROUPS = [
  { id: 'c50', label: '50 clients', args: (n: number) => ['-n', String(n), '-c', '50'], n: 100000 },
  { id: 'p16', label: '50 clients, -P 16', args: (n: number) => ['-n', String(n), '-c', '50', '-P', '16'], n: 800000 },
];
const TESTS = ['set', 'get'];
const USERS = [
  { name: 'default', auth: [] as string[] },
  { name: 'acl', auth: ['--user', 'benchuser', '-a', 'benchpass'] },
];

const srv = await startTsdis();
try {
  const c = await Conn.connect(srv.port);
  await c.call([
    'ACL',
    'SETUSER',
    'benchuser',
    'on',
    '>benchpass',
    '-@all',
    '+@string',
    '+@connection',
    '+config|get',
    '~key:*',
  ]);
  c.close();
  const rows: string[][] = [];
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  for (const g of GROUPS) {
    for (const test of TESTS) {
      const rps: Record<string, number[]> = { default: [], acl: [] };
      const cpu: Record<string, number[]> = { default: [], acl: [] };
      for (let r = 0; r < REPEATS; r++) {
        const order = r % 2 === 0 ? USERS : [...USERS].reverse();
        for (const u of order) {
          const n = Math.round(g.n * SCALE);
          const cpu0 = cpuUs(srv.pid);
          const res = await runBenchmark(srv.port, [
            ...u.auth,
            '-t',
            test,
            ...g.args(n),
            '-r',
            '100000',
            '--csv',
            '-q',
          ]);
          if (res.error) throw new Error(`${u.name} ${test}: ${res.error}`);
          rps[u.name]!.push(res.rps);
          cpu[u.name]!.push((cpuUs(srv.pid) - cpu0) / n);
        }
      }
      const d = median(rps['default']!);
      const a = median(rps['acl']!);
      const dc = median(cpu['default']!);
      const ac = median(cpu['acl']!);
      ratios.push(a / d);
      cpuRatios.push(ac / dc);
      rows.push([
        `${g.id} ${test}`,
        fmtInt(d),
        fmtInt(a),
        fmtRatio(a / d),
        dc.toFixed(2),
        ac.toFixed(2),
        fmtRatio(ac / dc),
      ]);
      process.stderr.write(`  ${g.id} ${test}: default ${fmtInt(d)}  acl ${fmtInt(a)}  ${fmtRatio(a / d)}\n`);
    }
  }
  rows.push(['geomean', '', '', fmtRatio(geomean(ratios)), '', '', fmtRatio(geomean(cpuRatios))]);
  console.log(`tsdis ${srv.cmdline}; ${REPEATS} repeats, users alternating\n`);
  console.log(
    table(
      [
        'test',
        'default req/s',
        'restricted req/s',
        'restricted/default',
        'default CPU µs/req',
        'restricted CPU µs/req',
        'CPU restricted/default',
      ],
      rows,
    ),
  );
} finally {
  await srv.stop();
}
