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
 *        [--a OLD/dist/cli.js [--b NEW/dist/cli.js]]   (an interleaved A/B of two builds)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  argOf,
  benchTargets,
  interleave,
  ratioTable,
  freePort,
  table,
  fmtRatio,
  type Measured,
  type ServerProc,
} from './lib.js';
import { runBenchmark } from './run.js';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string): string => argOf(argv, name, dflt);
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
  // each server gets its own TLS port, recorded in start order (servers' order)
  const tlsPorts: number[] = [];
  const servers = await benchTargets(argv, async () => {
    const port = await freePort();
    tlsPorts.push(port);
    return serverFlags(port);
  });
  const tlsPort = (s: ServerProc) => tlsPorts[servers.indexOf(s)]!;
  const clientArgs = ['--tls', '--cacert', f('ca.crt'), '--cert', f('client.crt'), '--key', f('client.key')];
  console.log(
    `redis-benchmark -h 127.0.0.1 -p TLSPORT ${clientArgs.join(' ')} -t TEST -n ${REQUESTS} -c 50 -r 100000 --csv -q`,
  );
  for (const s of servers) console.log(`  ${s.name}: ${s.cmdline}`);
  const results: (Measured & { name: string })[] = [];
  const cpuRows: string[][] = [];
  try {
    for (const test of TESTS) {
      const args = [...clientArgs, '-t', test, '-n', String(REQUESTS), '-c', '50', '-r', '100000', '--csv', '-q'];
      const m = await interleave(servers, REPEATS, async (s) => {
        const res = await runBenchmark(tlsPort(s), args);
        if (res.error !== null) throw new Error(`${test}: ${res.error}`);
        return res.rps;
      });
      results.push({ name: test, ...m });
      const us = m.cpuMs.map((ms) => (ms * 1000) / REQUESTS);
      cpuRows.push([test, ...us.map((x) => x.toFixed(2)), ...us.slice(1).map((x) => fmtRatio(x / us[0]!))]);
    }
  } finally {
    for (const s of servers) await s.stop();
  }
  console.log('\n' + ratioTable('test (50 clients, TLS)', servers, results));
  console.log(
    '\n' +
      table(
        ['server CPU µs/req', ...servers.map((s) => s.name), ...servers.slice(1).map((s) => `${s.name}/redis`)],
        cpuRows,
      ),
  );
}

await main();
