/**
 * CPU profile of a tsdis child under redis-benchmark load:
 * `node --cpu-prof dist/cli.js ...` runs while the chosen benchmarks (same
 * command lines as run.ts) loop for about --seconds; then the child is stopped
 * with SIGTERM (so the profile is written) and the top self-time functions are
 * printed. The .cpuprofile is kept in --out (default bench/profiles/, which is
 * not committed) and can be opened in Chrome DevTools.
 *
 * Usage: node dist-test/bench/profile.js --group c50|p16|c1 --tests set,get [--seconds S] [--top N] [--out DIR]
 *          [--cli OTHER/dist/cli.js] (another build, e.g. to compare two builds' profiles)
 */
import fs from 'node:fs';
import path from 'node:path';
import { startTsdis, ROOT, sleep, shq } from './lib.js';
import { GROUPS, ALL_TESTS, benchArgs, runBenchmark } from './run.js';
import { summarize, formatSummary } from './cpuprofile.js';

const argv = process.argv.slice(2);
const get = (flag: string, def: string): string => {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1]! : def;
};

async function main(): Promise<void> {
  const group = GROUPS.find((g) => g.id === get('--group', 'c50'));
  if (!group) throw new Error(`--group must be one of ${GROUPS.map((g) => g.id).join(', ')}`);
  const tests = get('--tests', 'ping_inline,set,get').split(',');
  for (const t of tests) if (!(ALL_TESTS as readonly string[]).includes(t)) throw new Error(`unknown test ${t}`);
  const seconds = Number(get('--seconds', '10'));
  const top = Number(get('--top', '25'));
  const outDir = path.resolve(get('--out', path.join(ROOT, 'bench', 'profiles')));
  fs.mkdirSync(outDir, { recursive: true });
  const runDir = fs.mkdtempSync(path.join(outDir, `${group.id}-${tests.join('+')}-`));

  const cli = get('--cli', '');
  // a heap limit of its own keeps the server on the main thread, which --cpu-prof profiles (see src/cli.ts)
  const nodeArgs = ['--cpu-prof', '--cpu-prof-dir', runDir, '--max-old-space-size=4096'];
  const srv = await startTsdis({ nodeArgs, ...(cli ? { cli: path.resolve(cli) } : {}) });
  console.log(`profiling: ${srv.cmdline}`);
  const t0 = Date.now();
  let runs = 0;
  try {
    while (Date.now() - t0 < seconds * 1000) {
      for (const t of tests) {
        const args = benchArgs(group, t, { scale: 0.5 });
        if (runs < tests.length)
          console.log(`  redis-benchmark -h 127.0.0.1 -p ${srv.port} ${args.map(shq).join(' ')}`);
        const r = await runBenchmark(srv.port, args);
        runs++;
        if (r.error) throw new Error(`${t}: ${r.error}`);
      }
    }
  } finally {
    await srv.stop('SIGTERM');
  }
  await sleep(100);
  const prof = fs.readdirSync(runDir).filter((f) => f.endsWith('.cpuprofile'));
  if (prof.length === 0) throw new Error(`no .cpuprofile written in ${runDir}`);
  const file = path.join(runDir, prof[0]!);
  console.log(
    `\n${runs} benchmark runs in ${((Date.now() - t0) / 1000).toFixed(0)} s; profile: ${path.relative(ROOT, file)}\n`,
  );
  console.log(formatSummary(summarize(JSON.parse(fs.readFileSync(file, 'utf8'))), top));
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`profile failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
