/**
 * An AOF write that fails under appendfsync always: Redis logs it and exits,
 * since it can no longer keep acknowledged writes. The failure is real: the
 * process runs under `prlimit --fsize` (RLIMIT_FSIZE), so the AOF's write
 * past that size fails with EFBIG (Node ignores SIGXFSZ). The CLI exits 1
 * with Redis's log lines; an embedded server stops serving but leaves its
 * host process running. Either way every acknowledged SET is in the AOF.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild } from '../helpers/child.js';
import { RawConn } from '../helpers/servers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-aofwerr-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const hasPrlimit = spawnSync('prlimit', ['--version']).status === 0;
const skip =
  process.platform !== 'linux'
    ? 'Linux only (prlimit)'
    : hasPrlimit
      ? false
      : 'SKIPPED: prlimit (util-linux) is not installed';
const FSIZE = 64 * 1024;
const VALUE = 'v'.repeat(1000);

/** Sends SETs one at a time until the connection ends; returns how many were acknowledged with +OK. */
async function setUntilClosed(port: number): Promise<number> {
  const c = await RawConn.connect(port);
  let acked = 0;
  try {
    for (let i = 0; i < 1000; i++) {
      const r = await c.call('SET', `k${i}`, VALUE);
      if (r !== '+OK\r\n') break;
      acked++;
    }
  } catch {
    /* the server closed the connection */
  }
  c.close();
  return acked;
}

/** The SET commands in the AOF's incr file(s) under `dir`. */
function setsInAof(dir: string): number {
  const adir = path.join(dir, 'appendonlydir');
  let n = 0;
  for (const f of fs.readdirSync(adir).filter((f) => f.includes('.incr.aof'))) {
    n += fs.readFileSync(path.join(adir, f), 'latin1').split('*3\r\n$3\r\nSET\r\n').length - 1;
  }
  return n;
}

test(
  'CLI: an AOF write error under appendfsync always is logged as Redis logs it and exits 1, every acknowledged write kept',
  { skip },
  async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'cli-'));
    const c = await startChild(['--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--dir', dir], dir, {
      wrap: ['prlimit', `--fsize=${FSIZE}`],
    });
    try {
      const acked = await setUntilClosed(c.port);
      assert.equal(await c.exited(), 1);
      assert.ok(acked > 10 && acked < 100, `acknowledged ${acked}`);
      assert.match(c.output(), /# Error writing to the AOF file: File too large/);
      assert.match(
        c.output(),
        /# Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting.../,
      );
      assert.ok(setsInAof(dir) >= acked, `${setsInAof(dir)} SETs in the AOF, ${acked} acknowledged`);
    } finally {
      await c.kill();
    }
  },
);

test(
  'embedded: the same error stops the server (clients dropped unanswered, fatalReason set) and leaves the host process running',
  { skip },
  async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'emb-'));
    const index = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/index.js');
    const host = path.join(dir, 'host.mjs');
    fs.writeFileSync(
      host,
      `import { createServer } from ${JSON.stringify(index)};
const s = await createServer({ port: 0, config: { appendonly: 'yes', appendfsync: 'always', dir: ${JSON.stringify(dir)} } });
s.server.once('closed', () => {
  console.log('closed: ' + s.server.fatalReason);
  setTimeout(() => { console.log('host alive'); process.exit(0); }, 200);
});
console.log('port ' + s.port);
`,
    );
    const proc = spawn('prlimit', [`--fsize=${FSIZE}`, process.execPath, host], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    try {
      for (let i = 0; i < 500 && !/port \d+/.test(out); i++) await new Promise((r) => setTimeout(r, 10));
      const port = Number(/port (\d+)/.exec(out)?.[1]);
      assert.ok(port > 0, out);
      const acked = await setUntilClosed(port);
      const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 10000))]);
      assert.equal(code, 0, out);
      assert.ok(acked > 10 && acked < 100, `acknowledged ${acked}`);
      assert.match(out, /closed: Error writing to the AOF file: File too large\n/);
      assert.match(out, /host alive/);
      assert.ok(setsInAof(dir) >= acked, `${setsInAof(dir)} SETs in the AOF, ${acked} acknowledged`);
    } finally {
      if (proc.exitCode === null) proc.kill('SIGKILL');
    }
  },
);
