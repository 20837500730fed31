/**
 * Operating tsdis: `npm start` under a process manager. SIGTERM sent to npm
 * reaches tsdis (npm forwards it to the script's shell, which the start
 * script replaces with node by `exec`), so the server shuts down cleanly and frees
 * its port instead of living on as an orphan. The shutdown log lines come in
 * Redis's order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitForPing, RawConn, portClosed } from '../helpers/servers.js';
import { startChild } from '../helpers/child.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

test(
  'SIGTERM to `npm start` shuts tsdis down and frees the port',
  { skip: fs.existsSync(path.join(ROOT, 'dist/cli.js')) ? false : 'dist/ is not built' },
  async () => {
    const port = await freePort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-npmstart-'));
    const npm = spawn('npm', ['start', '--silent', '--', '--port', String(port), '--bind', '127.0.0.1', '--dir', dir], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    npm.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitForPing(port, npm);
      npm.kill('SIGTERM');
      assert.ok(await portClosed(port), `port still open after SIGTERM to npm; output:\n${out}`);
      await new Promise((r) => (npm.exitCode !== null || npm.signalCode !== null ? r(null) : npm.once('exit', r)));
      assert.match(
        out,
        /Received SIGTERM scheduling shutdown[\s\S]*User requested shutdown[\s\S]*ready to exit, bye bye/,
      );
    } finally {
      npm.kill('SIGKILL');
    }
  },
);

test('SHUTDOWN logs in Redis order: requested, AOF fsync, final save, pid file, bye', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-shutdown-'));
  const pidfile = path.join(dir, 'tsdis.pid');
  const child = await startChild(['--appendonly', 'yes', '--save', '3600 1', '--pidfile', pidfile], dir);
  const c = await RawConn.connect(child.port);
  c.write('SHUTDOWN\r\n');
  assert.equal(await child.exited(), 0);
  c.close();
  const lines = child
    .output()
    .split('\n')
    .map((l) => l.replace(/^\d+:M \d\d \w+ \d+ [\d:.]+ /, ''));
  const order = [
    '* User requested shutdown...',
    '* Calling fsync() on the AOF file.',
    '* Saving the final RDB snapshot before exiting.',
    '* DB saved on disk',
    '* Removing the pid file.',
    '# tsdis is now ready to exit, bye bye...',
  ];
  const at = order.map((l) => lines.indexOf(l));
  assert.ok(
    at.every((i, k) => i >= 0 && (k === 0 || i > at[k - 1]!)),
    `lines out of order ${JSON.stringify(at)}:\n${child.output()}`,
  );
  assert.equal(fs.existsSync(pidfile), false);
  // the base file is named as it is written (an RDB preamble: .base.rdb)
  assert.match(child.output(), /Creating AOF base file appendonly\.aof\.1\.base\.rdb on server start/);
  assert.ok(fs.existsSync(path.join(dir, 'appendonlydir', 'appendonly.aof.1.base.rdb')));
});
