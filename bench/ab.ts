/**
 * An interleaved A/B of two tsdis builds against redis-server: for each test,
 * redis, A and B run back to back in a rotating order, repeated; the median
 * requests/s of each is reported with B/A and each build over redis, and the
 * median server CPU time per request (user + system, all threads) of A and B
 * with its ratio: on a shared, loaded machine requests/s move with the
 * neighbours, CPU per request much less.
 *
 * Usage: node dist-test/bench/ab.js --a OLD/dist/cli.js [--b NEW/dist/cli.js]
 *          [--tests set,get,...] [--groups c50,p16,c1] [--repeats N] [--scale X]
 * (tests: run.ts's ALL_TESTS, e.g. hget_small,hset_small,hgetall_small for small hashes;
 * --b defaults to this checkout's build). Make A with e.g.
 *   git worktree add /tmp/old <commit> && ln -s $PWD/node_modules /tmp/old/ && (cd /tmp/old && npm run build)
 */
import path from 'node:path';
import { startRedis, startTsdis, median, geomean, table, fmtInt, fmtRatio, TSDIS_CLI, type ServerProc } from './lib.js';
import { benchArgs, rotateRuns, prepareTest, GROUPS, CORE_TESTS } from './run.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const a = arg('--a');
  if (!a) throw new Error('--a OLD/dist/cli.js is required');
  const b = arg('--b') ?? TSDIS_CLI;
  const tests = (arg('--tests') ?? CORE_TESTS.join(',')).split(',').filter(Boolean);
  const groups = (arg('--groups') ?? 'c50,p16').split(',').map((id) => {
    const g = GROUPS.find((x) => x.id === id);
    if (!g) throw new Error(`unknown group ${id}`);
    return g;
  });
  const repeats = Number(arg('--repeats') ?? 5);
  const scale = Number(arg('--scale') ?? 1);
  const servers: ServerProc[] = [
    await startRedis(),
    await startTsdis({ cli: path.resolve(a) }),
    await startTsdis({ cli: path.resolve(b) }),
  ];
  const names = ['redis', 'A', 'B'];
  console.log(`A/B: A = ${a}\n     B = ${b}\n${repeats} repeats, order rotates per repeat; medians\n`);
  const body: string[][] = [];
  const ba: number[] = [];
  const cba: number[] = [];
  try {
    for (const g of groups) {
      for (const test of tests) {
        const args = benchArgs(g, test, { scale });
        for (const s of servers) await prepareTest(s.port, test);
        const runs = await rotateRuns(
          servers,
          names.map((n) => `${n} ${test}`),
          args,
          repeats,
        );
        const [mr, ma, mb] = runs.map((x) => median(x.rps)) as [number, number, number];
        const [, ca, cb] = runs.map((x) => median(x.cpu)) as [number, number, number];
        ba.push(mb / ma);
        cba.push(cb / ca);
        body.push([
          g.id,
          test,
          fmtInt(mr),
          fmtInt(ma),
          fmtInt(mb),
          fmtRatio(ma / mr),
          fmtRatio(mb / mr),
          fmtRatio(mb / ma),
          ca.toFixed(2),
          cb.toFixed(2),
          fmtRatio(cb / ca),
        ]);
        process.stderr.write(`  ${g.id} ${test}: B/A ${fmtRatio(mb / ma)}, CPU/req B/A ${fmtRatio(cb / ca)}\n`);
      }
    }
    body.push(['geomean', '', '', '', '', '', '', fmtRatio(geomean(ba)), '', '', fmtRatio(geomean(cba))]);
    console.log(
      table(['group', 'test', 'redis', 'A', 'B', 'A/redis', 'B/redis', 'B/A', 'A µs/req', 'B µs/req', 'CPU B/A'], body),
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
