/**
 * The whole-server fuzzer (server-fuzz.ts), a few seconds of each part:
 * protocol frames over many connections, hostile Lua, mutated RDB and AOF
 * files at start (RESTORE payloads: restore.fuzz.test.ts). The server never
 * dies, a watcher's PING never hangs, the canary key stays intact, RSS
 * stays bounded, the Lua VM never dies. scripts/fuzz.mjs runs the same long.
 * FUZZ_SEED replays a run.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startChild, type Child } from '../helpers/child.js';
import { fuzzFrames, fuzzLua, fuzzLoad, watch, renamedConf } from './server-fuzz.js';

const seed = Number(process.env['FUZZ_SEED'] ?? 20261205);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-server-fuzz-'));
let child: Child | null = null;
after(async () => {
  await child?.kill();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('frames and hostile Lua: the server lives, PING answers, the canary stays, RSS bounded', async (t) => {
  const conf = path.join(tmp, 'fuzz.conf');
  fs.writeFileSync(conf, renamedConf());
  child = await startChild([conf, '--save', '', '--dir', tmp], tmp);
  const w = await watch(child.port, child.proc.pid!);
  const frames = await fuzzFrames(child.port, { seed, frames: 30000, conns: 20 });
  const lua = await fuzzLua(child.port, { seed: seed + 1, scripts: 150, hold: w.hold });
  const seen = await w.stop();
  // (runnable processes per core over the last minute, read at the end: the PING bounds stretch with it)
  const crowd = Math.max(1, os.loadavg()[0]! / os.cpus().length);
  const summary = JSON.stringify({
    seed,
    crowd,
    frames,
    lua: { ...lua, failures: lua.failures.length },
    watch: seen,
  });
  t.diagnostic(summary);
  assert.equal(child.proc.exitCode, null, `tsdis exited:\n${child.output().slice(-3000)}`);
  assert.deepEqual(lua.failures, [], summary);
  assert.equal(lua.vmDeaths, 0);
  assert.equal(frames.frames, 30000);
  assert.ok(frames.closedByServer > 50, summary);
  assert.equal(seen.hangs, 0, summary);
  assert.equal(seen.canaryBad, 0, summary);
  assert.ok(seen.canaryChecks > 0 && seen.pings > 50, summary);
  // PING on its own connection, every 10 ms, not counting those held by a script estimated to
  // take redis-server 50 ms or more (seen.held). On a machine with no more runnable processes
  // than cores, 99% within 100 ms and none over 1 s; with more, both stretch by their ratio
  // (a process then waits for a core: at load average 8-14 on 2 cores, the long run's slowest
  // PINGs were mostly time tsdis spent off the CPU, some GC; scripts/stalls.mjs). Measured: p99 34 ms,
  // slowest 44 ms alone at load average 3.5; in the whole suite at 8-10, p99 54-62 ms, slowest
  // 70-144 ms; a server made to block 120 ms every 400 ms, p99 192 ms. What fails it: one event-loop
  // turn of 100 ms or more (a big allocation for a declared length, a batch served without
  // end) 4 times in 330 PINGs, or once for a second.
  assert.ok(seen.p99PingMs < 100 * crowd, summary);
  assert.ok(seen.maxPingMs < 1000 * crowd, summary);
  assert.ok(seen.rssMaxMb < 600, summary);
});

test('mutated RDB and AOF files at start: started or refused with a log line, never a crash or a hang', async (t) => {
  const st = await fuzzLoad({ seed: seed + 3, files: 6 });
  t.diagnostic(JSON.stringify(st));
  for (const kind of ['rdb', 'aof'] as const) {
    assert.deepEqual(st[kind].failures, [], kind);
    assert.equal(st[kind].files, 6);
    assert.equal(st[kind].started + st[kind].refused, 6);
  }
});
