/**
 * Snapshot benchmarks (issue 5 targets), tsdis (the CLI, a separate process)
 * against redis-server with the same data:
 *  - BGSAVE of N keys (default 1M), three rounds: wall time, and the
 *    p50/p99/max latency of GETs sent one at a time by a client while it
 *    runs, against the same probe for 1 s with no BGSAVE running just before
 *    (both while another connection polls INFO persistence every 10 ms, as
 *    the BGSAVE's end is detected); the median ratio of the p99s;
 *  - loading the resulting RDB at start: the time each server logs.
 * Usage: node dist-test/bench/persistence.js [keys]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RawConn, freePort } from '../test/helpers/servers.js';

const N = Number(process.argv[2] ?? 1_000_000);
const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Proc {
  port: number;
  proc: ChildProcess;
  log: () => string;
}

async function launch(kind: 'tsdis' | 'redis', dir: string): Promise<Proc> {
  const port = await freePort();
  const args = [
    '--port',
    String(port),
    '--dir',
    dir,
    '--save',
    '',
    '--enable-debug-command',
    'yes',
    '--bind',
    '127.0.0.1',
  ];
  const proc =
    kind === 'tsdis'
      ? spawn(process.execPath, ['--max-old-space-size=4096', CLI, ...args])
      : spawn('redis-server', args);
  let log = '';
  proc.stdout!.on('data', (d) => (log += d));
  proc.stderr!.on('data', (d) => (log += d));
  for (;;) {
    try {
      const c = await RawConn.connect(port);
      const r = await c.call('PING');
      c.close();
      if (!r.startsWith('-LOADING')) break;
    } catch {
      /* not yet */
    }
    await sleep(20);
  }
  return { port, proc, log: () => log };
}

async function stop(p: Proc): Promise<void> {
  p.proc.kill('SIGKILL');
  await new Promise((r) => p.proc.once('exit', r));
}

/** GETs one at a time until `until()` is false (or for ms); returns the latencies in µs. */
async function probe(port: number, until: () => boolean, minMs: number): Promise<number[]> {
  const c = await RawConn.connect(port);
  const lat: number[] = [];
  const t0 = performance.now();
  let i = 0;
  while (until() || performance.now() - t0 < minMs) {
    const s = performance.now();
    await c.call('GET', `key:${(i++ * 7919) % N}`);
    lat.push((performance.now() - s) * 1000);
  }
  c.close();
  return lat;
}

function pct(a: number[], p: number): number {
  const s = a.slice().sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))]!;
}

const fmt = (lat: number[]) =>
  `n=${lat.length} p50=${pct(lat, 50).toFixed(0)}µs p99=${pct(lat, 99).toFixed(0)}µs max=${pct(lat, 100).toFixed(0)}µs`;

/** INFO persistence every 10 ms until stopped (the same load in both probes; returns whether a BGSAVE ran at the last poll). */
function poller(c: RawConn): { stop: () => Promise<void>; saving: () => boolean } {
  let on = true;
  let saving = false;
  const done = (async () => {
    while (on) {
      saving = /rdb_bgsave_in_progress:1/.test(await c.call('INFO', 'persistence'));
      await sleep(10);
    }
  })();
  return {
    stop: async () => {
      on = false;
      await done;
    },
    saving: () => saving,
  };
}

const ROUNDS = 3;

async function bgsaveRun(kind: 'tsdis' | 'redis', dir: string): Promise<number> {
  const p = await launch(kind, dir);
  const c = await RawConn.connect(p.port);
  await c.call('DEBUG', 'POPULATE', String(N), 'key', '16');
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // without: the probe for 1 s while the poller runs, as it does during the BGSAVE
    let pl = poller(c);
    const idle = await probe(p.port, () => false, 1000);
    await pl.stop();
    const t0 = performance.now();
    const started = await c.call('BGSAVE');
    let running = true;
    pl = poller(c);
    const during = probe(p.port, () => running, 0);
    await sleep(20);
    while (pl.saving() || performance.now() - t0 < 40) await sleep(5);
    const ms = performance.now() - t0;
    running = false;
    const lat = await during;
    await pl.stop();
    const ratio = pct(lat, 99) / pct(idle, 99);
    ratios.push(ratio);
    console.log(
      `${kind} round ${round + 1}: BGSAVE of ${N} keys (${started.trim()}) took ${ms.toFixed(0)} ms; file ${(fs.statSync(path.join(dir, 'dump.rdb')).size / 1e6).toFixed(1)} MB`,
    );
    console.log(`  GET latency without BGSAVE: ${fmt(idle)}`);
    console.log(`  GET latency during BGSAVE:  ${fmt(lat)}   p99 during/without ${ratio.toFixed(2)}x`);
  }
  c.close();
  await stop(p);
  const med = ratios.slice().sort((x, y) => x - y)[Math.floor(ratios.length / 2)]!;
  console.log(
    `${kind}: median p99 during/without over ${ROUNDS} rounds: ${med.toFixed(2)}x (${ratios.map((r) => r.toFixed(2)).join(', ')})`,
  );
  return med;
}

async function loadRun(kind: 'tsdis' | 'redis', dir: string): Promise<void> {
  const t0 = performance.now();
  const p = await launch(kind, dir);
  const wall = performance.now() - t0;
  const m = /DB loaded from disk: ([\d.]+) seconds/.exec(p.log());
  console.log(
    `${kind}: loading ${N} keys: logged ${m ? m[1] : '?'} s; start to first non-LOADING reply ${wall.toFixed(0)} ms`,
  );
  await stop(p);
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-bench-persist-'));
try {
  const dt = path.join(root, 't');
  const dr = path.join(root, 'r');
  fs.mkdirSync(dt);
  fs.mkdirSync(dr);
  await bgsaveRun('tsdis', dt);
  await bgsaveRun('redis', dr);
  // each server loads the file the other wrote, too
  await loadRun('tsdis', dt);
  await loadRun('redis', dt);
  await loadRun('tsdis', dr);
  await loadRun('redis', dr);
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
