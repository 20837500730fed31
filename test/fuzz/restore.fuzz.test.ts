/**
 * Corrupt DUMP payloads of every type (issue 16; test/fuzz/restore-fuzz.ts
 * has the engine and what it checks): mutated payloads RESTOREd into tsdis
 * (a separate process) under sanitize-dump-payload no and yes, the type's
 * commands run on whatever was accepted; zero crashes, every reply
 * well-formed, PING on another connection always answered, memory bounded.
 * Then mutations of redis-server's own DUMPs RESTOREd into both under
 * sanitize-dump-payload yes: what Redis refuses tsdis refuses, and what both
 * accept has the same digest. Seeded (FUZZ_SEED picks another sequence; a
 * failure names its payload in hex, as the corpus's consumer times vary from
 * run to run); the long run is scripts/fuzz-restore.mjs.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startChild, type Child } from '../helpers/child.js';
import { startRedis, hasRedis, type RedisProcess } from '../helpers/servers.js';
import { fuzzRestore } from './restore-fuzz.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-restore-fuzz-'));
let child: Child | null = null;
let redis: RedisProcess | null = null;
after(async () => {
  await child?.kill();
  await redis?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('corrupt RESTORE payloads: no crash, well-formed replies, PING answered, memory bounded; redis-server refusals followed', async () => {
  const seed = Number(process.env['FUZZ_SEED'] ?? 20261205);
  child = await startChild(['--enable-debug-command', 'yes', '--save', '', '--dir', tmp], tmp);
  if (hasRedis()) redis = await startRedis(['--enable-debug-command', 'yes']);
  const st = await fuzzRestore(child.port, {
    seed,
    payloads: 6000,
    pid: child.proc.pid,
    maxRssMb: 400,
    redisPort: redis?.port,
    restartRedis: async () => {
      await redis!.stop();
      redis = await startRedis(['--enable-debug-command', 'yes']);
      return redis.port;
    },
    diffPayloads: 4000,
  });
  const summary = JSON.stringify({
    seed,
    ...st,
    failures: st.failures.length,
    onlyTsdisRejected: st.onlyTsdisRejected.length,
  });
  assert.deepEqual(st.failures, [], summary);
  assert.equal(child.proc.exitCode, null, 'tsdis exited');
  // both modes ran, and both outcomes happened in each
  for (const m of ['no', 'yes']) assert.ok(st.byMode[m]!.accepted > 50 && st.byMode[m]!.rejected > 50, summary);
  assert.ok(st.commands > 1000, summary);
  if (redis !== null) assert.ok(st.diff.bothAccepted > 100 && st.diff.bothRejected > 100, summary);
  console.log(`# restore fuzz: ${summary}`);
});
