// Runs the corrupt-RESTORE fuzzer (test/fuzz/restore-fuzz.ts) for a long time, outside npm test.
// Usage: npm run build && npm run build:test && node scripts/fuzz-restore.mjs [payloads=100000] [--seed N] [--diff N]
//   payloads  mutated DUMP payloads RESTOREd into tsdis (sanitize-dump-payload no and yes, alternating)
//   --seed N  the PRNG seed (default: the time); a failure prints it, to replay
//   --diff N  also compare N mutations of redis-server's own DUMPs with redis-server (default 0; needs redis-server)
// Starts tsdis (dist-test's build of the CLI) and, with --diff, a redis-server, both on 127.0.0.1 and free ports,
// in a temp dir; prints progress, then the counts as JSON; exits 1 when anything was found.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const argv = process.argv.slice(2);
let payloads = 100000;
let seed = Date.now() % 2147483647;
let diff = 0;
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--seed') seed = Number(argv[++i]);
  else if (argv[i] === '--diff') diff = Number(argv[++i]);
  else payloads = Number(argv[i]);
}
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const lib = path.join(root, 'dist-test/test/fuzz/restore-fuzz.js');
if (!fs.existsSync(lib)) {
  console.error('fuzz-restore: run `npm run build && npm run build:test` first');
  process.exit(2);
}
const { fuzzRestore } = await import(lib);
const { startChild } = await import(path.join(root, 'dist-test/test/helpers/child.js'));
const { startRedis } = await import(path.join(root, 'dist-test/test/helpers/servers.js'));

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-fuzz-restore-'));
const child = await startChild(['--enable-debug-command', 'yes', '--save', '', '--dir', tmp], tmp);
let redis = diff > 0 ? await startRedis(['--enable-debug-command', 'yes']) : null;
const t0 = Date.now();
console.log(
  `fuzz-restore: seed ${seed}, ${payloads} payloads${diff > 0 ? `, ${diff} compared with redis-server` : ''}; tsdis pid ${child.proc.pid}`,
);
let st;
try {
  st = await fuzzRestore(child.port, {
    seed,
    payloads,
    pid: child.proc.pid,
    redisPort: redis?.port,
    restartRedis: async () => {
      await redis.stop();
      redis = await startRedis(['--enable-debug-command', 'yes']);
      return redis.port;
    },
    diffPayloads: diff,
    log: (l) => console.log(`  ${((Date.now() - t0) / 1000).toFixed(0)}s ${l}`),
  });
} finally {
  const alive = child.proc.exitCode === null && child.proc.signalCode === null;
  await child.kill();
  await redis?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
  if (!alive) console.log('tsdis exited during the run:\n' + child.output().slice(-4000));
}
console.log(
  JSON.stringify(
    {
      seed,
      seconds: Math.round((Date.now() - t0) / 1000),
      ...st,
      failures: st.failures.length,
      onlyTsdisRejected: st.onlyTsdisRejected.length,
    },
    null,
    1,
  ),
);
if (process.env.FUZZ_SHOW_ONLY_TSDIS) for (const h of st.onlyTsdisRejected) console.log('ONLY-TSDIS-REFUSED: ' + h);
for (const f of st.failures) console.log('FAILURE: ' + f);
process.exit(st.failures.length === 0 ? 0 : 1);
