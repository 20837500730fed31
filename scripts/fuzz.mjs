// Runs the whole-server fuzzer (test/fuzz/server-fuzz.ts) long, outside npm test.
// Usage: npm run build && npm run build:test &&
//   node scripts/fuzz.mjs [--only frames,lua,restore,load] [--frames 1000000] [--conns 50] [--restores 100000] [--lua 5000] [--files 100] [--seed N] [--prof DIR]
// --prof DIR: each server runs under `node --cpu-prof` (its profile lands in DIR when it stops, by SIGTERM)
//   and the watcher writes DIR/<phase>.slow, the PINGs over 20 ms; scripts/stalls.mjs matches the two.
// Starts tsdis children (dist-test's build of the CLI) on 127.0.0.1 and free ports, in temp dirs:
//   1. frames over --conns connections, then hostile Lua scripts, on one server (its dangerous
//      commands renamed away, so a mutated frame cannot reach them);
//   2. RESTORE of mutated DUMP payloads (restore-fuzz.ts) on a second one (enable-debug-command yes);
//   3. --files mutated RDB files and as many AOF files, each given to a fresh start.
// Each running server is watched by a separate process: a PING every 10 ms on its own connection
// (slowest answer, 99th percentile, answers over 100 ms, hangs of 5 s), RSS, a canary key in db 9.
// PINGs that waited on what holds the server by design, in Redis too (DEBUG RELOAD, a script
// estimated to take redis-server 50 ms or more: HEAVY_SCRIPT_COST) are counted apart (watch.held).
// Prints progress, then every count as JSON; exits 1 when anything was found.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const opt = {
  only: 'frames,lua,restore,load',
  frames: 1000000,
  conns: 50,
  restores: 100000,
  lua: 5000,
  files: 100,
  seed: Date.now() % 2147483647,
  prof: '',
};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const k = argv[i].replace(/^--/, '');
  if (!(k in opt)) {
    console.error(`fuzz: unknown option ${argv[i]}`);
    process.exit(2);
  }
  opt[k] = k === 'only' || k === 'prof' ? argv[i + 1] : Number(argv[i + 1]);
}
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const lib = path.join(root, 'dist-test/test/fuzz/server-fuzz.js');
if (!fs.existsSync(lib)) {
  console.error('fuzz: run `npm run build && npm run build:test` first');
  process.exit(2);
}
const { fuzzFrames, fuzzLua, fuzzLoad, watch, renamedConf } = await import(lib);
const { fuzzRestore } = await import(path.join(root, 'dist-test/test/fuzz/restore-fuzz.js'));
const { startChild } = await import(path.join(root, 'dist-test/test/helpers/child.js'));
const { RawConn } = await import(path.join(root, 'dist-test/test/helpers/servers.js'));

const t0 = Date.now();
const log = (l) => console.log(`  ${((Date.now() - t0) / 1000).toFixed(0)}s ${l}`);
const result = { seed: opt.seed, options: opt };
let failed = false;

/** Starts a watched server, runs `work` on it, stops; records {work, watch, alive, exitOutput}. */
async function phase(name, args, work) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `tsdis-fuzz-${name}-`));
  const conf = path.join(tmp, 'fuzz.conf');
  fs.writeFileSync(conf, args.conf ?? '');
  const prof = opt.prof === '' ? null : path.resolve(opt.prof);
  if (prof) fs.mkdirSync(prof, { recursive: true });
  const nodeArgs = prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : [];
  const child = await startChild([conf, '--save', '', '--dir', tmp, ...args.flags], tmp, { nodeArgs });
  const w = await watch(child.port, child.proc.pid, prof ? path.join(prof, `${name}.slow`) : undefined);
  const rec = { pid: child.proc.pid };
  try {
    rec.work = await work(child.port, child.proc.pid, w.hold);
  } catch (e) {
    rec.error = String(e?.stack ?? e);
  }
  rec.watch = await w.stop();
  rec.alive = child.proc.exitCode === null && child.proc.signalCode === null;
  if (rec.alive) {
    const c = await RawConn.connect(child.port);
    rec.info = (await c.call('INFO', 'stats'))
      .split('\r\n')
      .filter((l) =>
        /^(total_connections_received|total_commands_processed|total_error_replies|rejected_connections|client_query_buffer_limit|client_output_buffer_limit)/.test(
          l,
        ),
      );
    c.close();
  } else rec.exitOutput = child.output().slice(-4000);
  if (prof && rec.alive) {
    // (a profile is written at exit, not at SIGKILL)
    child.proc.kill('SIGTERM');
    await child.exited(60000).catch(() => {});
  }
  await child.kill();
  fs.rmSync(tmp, { recursive: true, force: true });
  if (
    !rec.alive ||
    rec.error ||
    rec.watch.hangs > 0 ||
    rec.watch.pings === 0 ||
    rec.watch.canaryBad > 0 ||
    (rec.work?.failures?.length ?? 0) > 0 ||
    rec.work?.vmDeaths > 0
  )
    failed = true;
  result[name] = rec;
  log(`${name}: ${JSON.stringify({ ...rec, work: { ...rec.work, failures: rec.work?.failures?.length } })}`);
}

console.log(`fuzz: seed ${opt.seed}, ${JSON.stringify(opt)}`);
const only = new Set(opt.only.split(','));
if (only.has('frames'))
  await phase('frames', { conf: renamedConf(), flags: [] }, (port) =>
    fuzzFrames(port, { seed: opt.seed, frames: opt.frames, conns: opt.conns, log }),
  );
if (only.has('lua'))
  await phase('lua', { conf: renamedConf(), flags: [] }, async (port, pid, hold) => {
    const lua = await fuzzLua(port, { seed: opt.seed + 1, scripts: opt.lua, log, hold });
    return { ...lua, failures: lua.failures };
  });
if (only.has('restore'))
  await phase('restore', { flags: ['--enable-debug-command', 'yes'] }, async (port, pid, hold) =>
    fuzzRestore(port, { seed: opt.seed + 2, payloads: opt.restores, pid, maxRssMb: 1000, log, hold }),
  );
if (only.has('load')) {
  const load = await fuzzLoad({ seed: opt.seed + 3, files: opt.files, log });
  result.load = load;
  for (const k of ['rdb', 'aof']) if (load[k].crashes > 0 || load[k].hangs > 0) failed = true;
  log(
    `load: ${JSON.stringify({ rdb: { ...load.rdb, failures: load.rdb.failures.length }, aof: { ...load.aof, failures: load.aof.failures.length } })}`,
  );
}
console.log(JSON.stringify(result, null, 1));
process.exit(failed ? 1 : 0);
