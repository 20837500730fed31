/**
 * Micro benchmark: EVALSHA in-process (no sockets), to see where a script
 * run's time goes without the network and the client. Runs, through the
 * dispatcher on an internal client, for each case: the script, the same
 * commands sent directly (the floor a script cannot beat), and an empty
 * script (the fixed cost of a run).
 *
 * Usage: node dist-test/bench/micro/scripting.js [N] [--only NAME]
 * Profile: node --cpu-prof dist-test/bench/micro/scripting.js 200000 --only five
 */
import { FIVE, ADD_JOB } from '../lua-scripts.js';
import { Server } from '../../src/server/server.js';
import { dispatch } from '../../src/server/dispatcher.js';
import { table } from '../lib.js';
import { loadVm } from '../../src/scripting/lua.js';

const N = Number(process.argv[2] ?? 100000);
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;

// The VM loads on first use, asynchronously (a dispatched SCRIPT LOAD would wait for it and reply nothing here).
await loadVm();
const server = new Server({ config: { save: '' }, log: () => {} });
const client = server.newClient(null, 'internal');

function run(argv: string[]): string {
  dispatch(server, client, argv);
  return client.reply.take();
}

/** CPU µs (user + system) per call of each timed run, in order (steadier than wall time on a shared machine). */
const cpuPer: number[] = [];

/** µs per call of `f` (after a warm-up of N/5); its CPU µs per call goes to cpuPer. */
function time(f: () => void): number {
  for (let i = 0; i < N / 5; i++) f();
  const c = process.cpuUsage();
  const t = performance.now();
  for (let i = 0; i < N; i++) f();
  const d = process.cpuUsage(c);
  cpuPer.push((d.user + d.system) / N);
  return ((performance.now() - t) * 1000) / N;
}

const opts = run(['EVAL', "return cmsgpack.pack({name='job', timestamp=1700000000000, delay=0, priority=0})", '0']);
const packed = opts.slice(opts.indexOf('\r\n') + 2, -2);

const cases: { name: string; script: string; args: string[]; direct: string[][] }[] = [
  {
    name: 'five',
    script: FIVE,
    args: ['3', 'k1', 'k2', 'k3', 'value'],
    direct: [
      ['SET', 'k1', 'value'],
      ['GET', 'k1'],
      ['INCR', 'k2'],
      ['HSET', 'k3', 'f', 'value'],
      ['EXISTS', 'k1'],
    ],
  },
  {
    name: 'addjob',
    script: ADD_JOB,
    args: ['6', 'q:id', 'q:job:', 'q:events', 'q:delayed', 'q:wait', 'q:prio', '{"x":1}', packed],
    direct: [],
  },
  { name: 'empty', script: 'return 1', args: ['0'], direct: [] },
];

const rows: string[][] = [];
for (const c of cases) {
  if (only !== undefined && c.name !== only) continue;
  run(['FLUSHALL']);
  const load = run(['SCRIPT', 'LOAD', c.script]);
  const sha = load.slice(load.indexOf('\r\n') + 2, -2);
  if (!/^[0-9a-f]{40}$/.test(sha)) throw new Error(`SCRIPT LOAD replied ${JSON.stringify(load)}`);
  const argv = ['EVALSHA', sha, ...c.args];
  const us = time(() => {
    run(argv);
    if (server.dbs[0]!.size > 10000) run(['FLUSHALL']);
  });
  const direct =
    c.direct.length === 0
      ? NaN
      : time(() => {
          for (const a of c.direct) run(a);
        });
  const cpu = cpuPer[cpuPer.length - (c.direct.length === 0 ? 1 : 2)]!;
  rows.push([c.name, us.toFixed(2), cpu.toFixed(2), Number.isNaN(direct) ? '' : direct.toFixed(2)]);
}
console.log(table(['script', 'EVALSHA µs', 'EVALSHA CPU µs', 'same commands direct µs'], rows, 'l'));
await server.close();
