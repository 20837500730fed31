/**
 * The dashboard's cost (issue 20's target: `npm run bench` with the
 * dashboard open and streaming, no ratio drops by more than 3%).
 *
 * Part 1, throughput: one tsdis child with `--http-port`, one redis-server
 * for reference, and headless Chromium (test/helpers/browser.ts). For each
 * test (`npm run bench`'s c50 set and get) three conditions run back to
 * back in a rotating order, repeated: redis, tsdis with no page open
 * (about:blank: no stream, no timer), tsdis with the dashboard open and
 * streaming (the page at /, a snapshot a second). Reported: median req/s,
 * open/closed, and the server's CPU time per request in each condition.
 *
 * Part 2, the snapshot's build time: an in-process server (dist/index.js)
 * with 1,000 idle clients and 10k keys, buildSnapshot() timed N times.
 *
 * Usage: node dist-test/bench/dashboard.js [--repeats N] [--tests set,get] [--n 100000] [--snapshots 300]
 *          [--skip-throughput] [--skip-snapshot]
 */
import net from 'node:net';
import os from 'node:os';
import { startRedis, startTsdis, median, table, fmtInt, fmtRatio, cpuUs, freePort, type ServerProc } from './lib.js';
import { runBenchmark } from './run.js';
import { launchBrowser, chromiumPath, SKIP_NO_CHROMIUM } from '../test/helpers/browser.js';
import { createServer } from '../src/index.js';
import { buildSnapshot } from '../src/http/snapshot.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : def;
}

const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

/** Polls until `f` is true (bounded). */
async function until(what: string, f: () => Promise<boolean>, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function throughput(): Promise<void> {
  if (chromiumPath() === null) {
    console.log(`throughput part: ${SKIP_NO_CHROMIUM}`);
    return;
  }
  const repeats = Number(arg('--repeats', '5'));
  const tests = arg('--tests', 'set,get').split(',');
  const requests = arg('--n', '100000');
  const httpPort = await freePort();
  const redis = await startRedis();
  const tsdis = await startTsdis({ extra: ['--http-port', String(httpPort)] });
  const browser = await launchBrowser();
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const url = `http://127.0.0.1:${httpPort}/`;
  // (an expression string: this file's TypeScript has no DOM types)
  const snapshots = () =>
    (page.evaluate('Number(document.body?.dataset.snapshots ?? 0)') as Promise<number>).catch(() => 0);
  /** Opens the dashboard (and waits for its stream) or leaves it for a blank page (the stream closes). */
  const setOpen = async (open: boolean): Promise<void> => {
    if (open) {
      await page.goto(url);
      await until('the first snapshot', async () => (await snapshots()) >= 1);
    } else await page.goto('about:blank');
  };
  console.log(`dashboard bench: ${new Date().toISOString()}  node ${process.version}  load ${load()}`);
  console.log(
    `  ${redis.cmdline}\n  ${tsdis.cmdline}\n  chromium on ${url}; ${repeats} repeats, order rotates; medians\n`,
  );
  type Cond = { name: string; server: ServerProc; open: boolean };
  const conds: Cond[] = [
    { name: 'redis', server: redis, open: false },
    { name: 'closed', server: tsdis, open: false },
    { name: 'open', server: tsdis, open: true },
  ];
  const rows: string[][] = [];
  try {
    for (const test of tests) {
      const args = ['-t', test, '-n', requests, '-c', '50', '-r', '100000', '--csv', '-q'];
      const rps: number[][] = conds.map(() => []);
      const cpu: number[][] = conds.map(() => []);
      for (let r = 0; r < repeats; r++) {
        for (let k = 0; k < conds.length; k++) {
          const i = (r + k) % conds.length;
          const c = conds[i]!;
          await setOpen(c.open);
          const before = c.open ? await snapshots() : 0;
          const c0 = cpuUs(c.server.pid);
          const res = await runBenchmark(c.server.port, args);
          const used = (cpuUs(c.server.pid) - c0) / Number(requests);
          if (res.error) throw new Error(`${c.name} ${test}: ${res.error}`);
          // the page must have streamed through the run: a snapshot a second, so one
          // arrived during it or comes within the second after (a run of -n 100000 may be shorter)
          if (c.open)
            await until('a snapshot during or right after the run', async () => (await snapshots()) > before, 3000);
          rps[i]!.push(res.rps);
          cpu[i]!.push(used);
        }
      }
      const [mr, mc, mo] = rps.map(median) as [number, number, number];
      const [cr, cc, co] = cpu.map(median) as [number, number, number];
      rows.push([
        test,
        fmtInt(mr),
        fmtInt(mc),
        fmtInt(mo),
        fmtRatio(mo / mc),
        cr.toFixed(2),
        cc.toFixed(2),
        co.toFixed(2),
        fmtRatio(co / cc),
      ]);
      process.stderr.write(`  ${test}: closed ${fmtInt(mc)}  open ${fmtInt(mo)}  ${fmtRatio(mo / mc)}\n`);
    }
  } finally {
    await browser.close();
    await tsdis.stop('SIGTERM');
    await redis.stop('SIGKILL');
  }
  console.log(`redis-benchmark -t TEST -n ${requests} -c 50 -r 100000 (npm run bench's c50 group)\n`);
  console.log(
    table(
      [
        'test',
        'redis req/s',
        'closed req/s',
        'open req/s',
        'open/closed',
        'redis CPU µs/req',
        'closed CPU µs/req',
        'open CPU µs/req',
        'CPU open/closed',
      ],
      rows,
    ),
  );
  console.log(`\nload average after: ${load()}\n`);
}

async function snapshotCost(): Promise<void> {
  const n = Number(arg('--snapshots', '300'));
  const srv = await createServer({ port: 0, host: '127.0.0.1', config: { 'enable-debug-command': 'yes' } });
  const socks: net.Socket[] = [];
  try {
    const populated = await srv.call('DEBUG', 'POPULATE', '10000');
    if (populated !== 'OK') throw new Error(`DEBUG POPULATE: ${String(populated)}`);
    for (let i = 0; i < 1000; i++) {
      const s = net.connect(srv.port, '127.0.0.1');
      socks.push(s);
      await new Promise<void>((res, rej) => s.once('connect', res).once('error', rej));
    }
    // every command used once or more, so commandstats and latencystats have rows
    for (const c of ['SET k v', 'GET k', 'INCR n', 'LPUSH l a', 'HSET h f v', 'SADD s m', 'ZADD z 1 m', 'PING'])
      await srv.call(...c.split(' '));
    await new Promise((r) => setTimeout(r, 200));
    const clients = srv.server.clients.size;
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint();
      const json = JSON.stringify(buildSnapshot(srv.server));
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      bytes = json.length;
    }
    times.sort((a, b) => a - b);
    const pct = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!;
    console.log(
      `snapshot (buildSnapshot + JSON.stringify), ${clients} clients, ${srv.server.dbs[0]!.size} keys, ${n} runs:`,
    );
    console.log(
      `  median ${pct(50).toFixed(3)} ms  p90 ${pct(90).toFixed(3)} ms  p99 ${pct(99).toFixed(3)} ms  max ${times[times.length - 1]!.toFixed(3)} ms  (${fmtInt(bytes)} bytes of JSON)  load ${load()}`,
    );
  } finally {
    for (const s of socks) s.destroy();
    await srv.close();
  }
}

async function main(): Promise<void> {
  if (!process.argv.includes('--skip-throughput')) await throughput();
  if (!process.argv.includes('--skip-snapshot')) await snapshotCost();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
