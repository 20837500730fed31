/**
 * `npm run bench:tls`: redis-benchmark over TLS (SET and GET, 50 clients, no
 * pipelining) against redis-server and a tsdis child, both on the same
 * certificates (made here with openssl: a CA, a server and a client
 * certificate; tls-auth-clients yes, so every connection presents the
 * client one). The servers run side by side and each test alternates
 * which goes first between repeats; the figures are medians, with the
 * ratio tsdis/redis and each server's CPU per request (all threads).
 *
 * Usage: node dist-test/bench/tls.js [--repeats N] [--requests N] [--tests set,get]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  startRedis,
  startTsdis,
  freePort,
  median,
  geomean,
  table,
  fmtInt,
  fmtRatio,
  cpuUs,
  type ServerProc,
} from './lib.js';
import { runBenchmark } from './run.js';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1]! : dflt;
};
const REPEATS = Number(opt('--repeats', '5'));
const REQUESTS = Number(opt('--requests', '100000'));
const TESTS = opt('--tests', 'set,get').split(',');

/** Makes ca, server and client certificates in `dir` with openssl. */
function makeCerts(dir: string): void {
  const run = (args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'latin1' });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  };
  run(['genrsa', '-out', 'ca.key', '2048']);
  run([
    'req',
    '-x509',
    '-new',
    '-nodes',
    '-sha256',
    '-key',
    'ca.key',
    '-days',
    '30',
    '-subj',
    '/CN=bench-ca',
    '-out',
    'ca.crt',
  ]);
  for (const name of ['server', 'client']) {
    run(['genrsa', '-out', `${name}.key`, '2048']);
    run(['req', '-new', '-sha256', '-subj', `/CN=bench-${name}`, '-key', `${name}.key`, '-out', `${name}.csr`]);
    run(
      ['x509', '-req', '-sha256', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial'].concat([
        '-days',
        '30',
        '-out',
        `${name}.crt`,
      ]),
    );
  }
}

async function main(): Promise<void> {
  if (spawnSync('openssl', ['version']).status !== 0) {
    console.log('SKIPPED: openssl is not installed (it makes the certificates)');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-bench-tls-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  makeCerts(dir);
  const f = (n: string) => path.join(dir, n);
  const serverFlags = (tlsPort: number) => [
    '--tls-port',
    String(tlsPort),
    '--tls-cert-file',
    f('server.crt'),
    '--tls-key-file',
    f('server.key'),
    '--tls-ca-cert-file',
    f('ca.crt'),
  ];
  const redisTls = await freePort();
  const tsdisTls = await freePort();
  const servers: [ServerProc, number][] = [
    [await startRedis(serverFlags(redisTls)), redisTls],
    [await startTsdis({ extra: serverFlags(tsdisTls) }), tsdisTls],
  ];
  const clientArgs = ['--tls', '--cacert', f('ca.crt'), '--cert', f('client.crt'), '--key', f('client.key')];
  console.log(
    `redis-benchmark -h 127.0.0.1 -p TLSPORT ${clientArgs.join(' ')} -t TEST -n ${REQUESTS} -c 50 -r 100000 --csv -q`,
  );
  for (const [s] of servers) console.log(`  ${s.name}: ${s.cmdline}`);
  const rows: string[][] = [];
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  try {
    for (const test of TESTS) {
      const rps: Record<string, number[]> = { redis: [], tsdis: [] };
      const cpu: Record<string, number[]> = { redis: [], tsdis: [] };
      for (let r = 0; r < REPEATS; r++) {
        const order = r % 2 === 0 ? servers : [...servers].reverse();
        for (const [s, tlsPort] of order) {
          const args = [...clientArgs, '-t', test, '-n', String(REQUESTS), '-c', '50', '-r', '100000', '--csv', '-q'];
          const c0 = cpuUs(s.pid);
          const res = await runBenchmark(tlsPort, args);
          const c1 = cpuUs(s.pid);
          if (res.error !== null) throw new Error(`${s.name} ${test}: ${res.error}`);
          rps[s.name]!.push(res.rps);
          cpu[s.name]!.push((c1 - c0) / REQUESTS);
        }
      }
      const a = median(rps['redis']!);
      const b = median(rps['tsdis']!);
      const ca = median(cpu['redis']!);
      const cb = median(cpu['tsdis']!);
      ratios.push(b / a);
      cpuRatios.push(cb / ca);
      rows.push([test, fmtInt(a), fmtInt(b), fmtRatio(b / a), ca.toFixed(2), cb.toFixed(2), fmtRatio(cb / ca)]);
    }
  } finally {
    for (const [s] of servers) await s.stop();
  }
  rows.push(['geomean', '', '', fmtRatio(geomean(ratios)), '', '', fmtRatio(geomean(cpuRatios))]);
  console.log(
    table(
      ['test', 'redis req/s', 'tsdis req/s', 'tsdis/redis', 'redis CPU µs/req', 'tsdis CPU µs/req', 'CPU tsdis/redis'],
      rows,
    ),
  );
}

await main();
