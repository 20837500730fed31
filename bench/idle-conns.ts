/**
 * Memory per idle connection: N connections (default 10,000) opened to
 * redis-server and to tsdis, each sends one PING, reads its PONG and stays
 * idle. The server's RSS is read before (one connection) and after (all
 * connected, 3 s idle so the V8 heap settles); the difference over N is
 * the cost of one idle connection. The target (issue 16): tsdis no more
 * than 2x redis-server.
 *
 * Both servers run with maxclients above N; this process holds N sockets
 * at a time, so its open-files limit must be above N (it tries to raise the
 * soft limit to the hard one through prlimit, and says so if it cannot).
 *
 * Usage: node dist-test/bench/idle-conns.js [--conns N]
 */
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { startRedis, startTsdis, rssOf, sleep, table, fmtRatio, MiB, type ServerProc } from './lib.js';

const argv = process.argv.slice(2);
const ci = argv.indexOf('--conns');
const N = Number(ci >= 0 ? argv[ci + 1] : 10000);

/** Raises this process's soft open-files limit to its hard limit (prlimit); returns the soft limit after. */
function raiseFdLimit(): number {
  spawnSync('prlimit', [`--pid=${process.pid}`, '--nofile=unlimited:unlimited']);
  const hard = spawnSync('sh', ['-c', `prlimit --pid=${process.pid} --nofile --noheadings --output=HARD`], {
    encoding: 'utf8',
  }).stdout.trim();
  if (/^\d+$/.test(hard)) spawnSync('prlimit', [`--pid=${process.pid}`, `--nofile=${hard}:${hard}`]);
  const soft = spawnSync('sh', ['-c', `prlimit --pid=${process.pid} --nofile --noheadings --output=SOFT`], {
    encoding: 'utf8',
  }).stdout.trim();
  return /^\d+$/.test(soft) ? Number(soft) : Number.POSITIVE_INFINITY;
}

/** Opens one connection, sends PING, resolves with the socket once PONG arrived. */
function pingConn(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    s.once('error', reject);
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d: Buffer) => {
      got += d.latin1Slice(0);
      if (got === '+PONG\r\n') {
        s.removeAllListeners('data');
        resolve(s);
      } else if (got.length >= 7) reject(new Error(`unexpected ${JSON.stringify(got)}`));
    });
  });
}

/** Opens n PINGed connections, 200 at a time. */
async function openMany(port: number, n: number): Promise<net.Socket[]> {
  const socks: net.Socket[] = [];
  while (socks.length < n) {
    const batch = Math.min(200, n - socks.length);
    socks.push(...(await Promise.all(Array.from({ length: batch }, () => pingConn(port)))));
  }
  return socks;
}

/** connected_clients from INFO clients, on a fresh connection. */
async function connectedClients(port: number): Promise<number> {
  const s = await pingConn(port);
  return new Promise((resolve) => {
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.latin1Slice(0);
      const m = /connected_clients:(\d+)/.exec(got);
      if (m && got.endsWith('\r\n')) {
        s.destroy();
        resolve(Number(m[1]) - 2); // (not this connection, nor the one open before)
      }
    });
    s.write('INFO clients\r\n');
  });
}

interface Result {
  name: string;
  before: number;
  after: number;
  perConn: number;
  connected: number;
}

/** RSS before and after N idle connections. */
async function measure(s: ServerProc): Promise<Result> {
  const one = await pingConn(s.port);
  await sleep(1000);
  const before = rssOf(s.pid);
  const socks = await openMany(s.port, N);
  await sleep(3000);
  const after = rssOf(s.pid);
  const connected = await connectedClients(s.port);
  for (const k of socks) k.destroy();
  one.destroy();
  return { name: s.name, before, after, perConn: (after - before) / N, connected };
}

const limit = raiseFdLimit();
if (limit < N + 100) {
  console.error(`idle-conns: this process may open ${limit} files; --conns ${N} needs ${N + 100} (raise ulimit -n)`);
  process.exit(2);
}
const maxclients = ['--maxclients', String(N + 100)];
const results: Result[] = [];
for (const start of [() => startRedis(maxclients), () => startTsdis({ extra: maxclients })]) {
  const s = await start();
  try {
    results.push(await measure(s));
  } finally {
    await s.stop();
  }
}
const [r, t] = results as [Result, Result];
console.log(`idle connections: ${N} (each sent one PING), RSS read 3 s after the last one`);
console.log(
  table(
    ['server', 'connected', 'RSS before', 'RSS after', 'bytes / connection'],
    results.map((x) => [
      x.name,
      String(x.connected),
      `${(x.before / MiB).toFixed(1)} MB`,
      `${(x.after / MiB).toFixed(1)} MB`,
      Math.round(x.perConn).toLocaleString('en-US'),
    ]),
  ),
);
console.log(`tsdis / redis per connection: ${fmtRatio(t.perConn / r.perConn)} (target <= 2.00x)`);
