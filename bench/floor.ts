/**
 * The Node floor: redis-server, the smallest fast Node RESP server
 * (bench/micro/minimal-server.mjs: an `onread` socket with a shared buffer,
 * a Map, GET and SET, PONG for anything else, no error handling) and tsdis,
 * interleaved in one run. Both Node servers run on this bench's own node
 * (process.execPath), so one run measures what the Node version and the
 * machine leave to any Node server, and how far above that tsdis is.
 *
 * For each group and test, after one untimed run on each server (the JIT's
 * warm-up is not the floor), each repeat runs the three in a rotating order;
 * the medians of requests/s, server CPU per request (user + system, all
 * threads, /proc) and redis-benchmark's p99 are reported with their ratios
 * over redis-server, and tsdis over the minimal server.
 *
 * Usage: node dist-test/bench/floor.js [--groups c50,p16,c1] [--tests ping_mbulk,set,get]
 *          [--repeats N] [--scale X]
 * (the minimal server parses multibulk requests only: no PING_INLINE.)
 */
import path from 'node:path';
import fs from 'node:fs';
import {
  ROOT,
  startRedis,
  startTsdis,
  freePort,
  spawnServer,
  argOf,
  median,
  geomean,
  table,
  fmtInt,
  fmtRatio,
  tmpDir,
  type ServerProc,
} from './lib.js';
import { benchArgs, rotateRuns, GROUPS } from './run.js';

const MINIMAL = path.join(ROOT, 'bench', 'micro', 'minimal-server.mjs');
const TESTS = ['ping_mbulk', 'set', 'get'];

/** The minimal server on a free port. */
async function startMinimal(): Promise<ServerProc> {
  const port = await freePort();
  return spawnServer('minimal', port, process.execPath, [MINIMAL, String(port)], {
    logFile: path.join(fs.mkdtempSync(path.join(tmpDir(), 'minimal-')), 'log'),
    cmdline: `node bench/micro/minimal-server.mjs ${port}`,
    stopSignal: 'SIGKILL',
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const tests = argOf(argv, '--tests', TESTS.join(',')).split(',').filter(Boolean);
  for (const t of tests) if (!TESTS.includes(t)) throw new Error(`unknown test ${t}; known: ${TESTS.join(',')}`);
  const groups = argOf(argv, '--groups', 'c50,p16,c1')
    .split(',')
    .map((id) => {
      const g = GROUPS.find((x) => x.id === id);
      if (!g) throw new Error(`unknown group ${id}`);
      return g;
    });
  const repeats = Number(argOf(argv, '--repeats', '5'));
  const scale = Number(argOf(argv, '--scale', '1'));
  const servers = [await startRedis(), await startMinimal(), await startTsdis()];
  console.log(
    `the Node floor: node ${process.version}, ${repeats} repeats, order rotates per repeat; medians\n` +
      servers.map((s) => `  ${s.name}: ${s.cmdline}`).join('\n') +
      '\n',
  );
  const body: string[][] = [];
  const ratios: number[][] = [[], [], [], [], [], []];
  try {
    for (const g of groups) {
      for (const test of tests) {
        const args = benchArgs(g, test, { scale });
        const who = servers.map((s) => `${s.name} ${test}`);
        // one untimed run each first: the floor is the steady state, not the JIT's warm-up
        await rotateRuns(servers, who, args, 1);
        const runs = await rotateRuns(servers, who, args, repeats);
        const [rr, rm, rt] = runs.map((x) => median(x.rps)) as [number, number, number];
        const [cr, cm, ct] = runs.map((x) => median(x.cpu)) as [number, number, number];
        const [pr, pm, pt] = runs.map((x) => median(x.p99)) as [number, number, number];
        const row = [rm / rr, rt / rr, rt / rm, cm / cr, ct / cr, ct / cm];
        row.forEach((x, k) => ratios[k]!.push(x));
        body.push([
          g.id,
          test,
          fmtInt(rr),
          fmtInt(rm),
          fmtInt(rt),
          ...row.slice(0, 3).map(fmtRatio),
          cr.toFixed(2),
          cm.toFixed(2),
          ct.toFixed(2),
          ...row.slice(3).map(fmtRatio),
          `${pr.toFixed(3)} / ${pm.toFixed(3)} / ${pt.toFixed(3)}`,
        ]);
        process.stderr.write(
          `  ${g.id} ${test}: minimal/redis ${fmtRatio(rm / rr)}, tsdis/redis ${fmtRatio(rt / rr)}, tsdis/minimal ${fmtRatio(rt / rm)}\n`,
        );
      }
    }
    body.push(['geomean', '', '', '', '', ...ratios.slice(0, 3).map((x) => fmtRatio(geomean(x))), '', '', '']);
    body[body.length - 1]!.push(...ratios.slice(3).map((x) => fmtRatio(geomean(x))), '');
    console.log(
      table(
        [
          'group',
          'test',
          'redis /s',
          'minimal /s',
          'tsdis /s',
          'minimal/redis',
          'tsdis/redis',
          'tsdis/minimal',
          'redis µs/req',
          'minimal µs/req',
          'tsdis µs/req',
          'CPU minimal/redis',
          'CPU tsdis/redis',
          'CPU tsdis/minimal',
          'p99 ms redis / minimal / tsdis',
        ],
        body,
      ),
    );
  } finally {
    for (const s of servers) await s.stop();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
