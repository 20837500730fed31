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
  const lua = await fuzzLua(child.port, { seed: seed + 1, scripts: 150 });
  const seen = await w.stop();
  const summary = JSON.stringify({ seed, frames, lua: { ...lua, failures: lua.failures.length }, watch: seen });
  t.diagnostic(summary);
  assert.equal(child.proc.exitCode, null, `tsdis exited:\n${child.output().slice(-3000)}`);
  assert.deepEqual(lua.failures, [], summary);
  assert.equal(lua.vmDeaths, 0);
  assert.equal(frames.frames, 30000);
  assert.ok(frames.closedByServer > 50, summary);
  assert.equal(seen.hangs, 0, summary);
  assert.equal(seen.canaryBad, 0, summary);
  assert.ok(seen.canaryChecks > 0 && seen.pings > 50, summary);
  // (100 ms is the target on a quiet machine: scripts/fuzz.mjs reports it; the suite shares its cores)
  assert.ok(seen.maxPingMs < 2000, summary);
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
