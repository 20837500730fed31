/**
 * redis.conf lines about who may run what:
 * - `rename-command` renames or removes a command, compared with redis-server
 *   started on the same file (replies byte for byte, and the fatal error for
 *   a bad line); an AOF written with renamed commands loads again;
 * (`user` lines and `aclfile` are ACL's: test/acl/acl-config.test.ts; `tls-port` is TLS's:
 * test/protocol/tls.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hasRedis, freePort, waitForPing, RawConn, SKIP_NO_REDIS } from '../helpers/servers.js';
import { startChild, CLI } from '../helpers/child.js';
import { sleep } from '../helpers/wait.js';

const skipNoRedis = hasRedis() ? false : SKIP_NO_REDIS;
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-access-'));

const RENAMES = 'rename-command CONFIG MYCONFIG\nrename-command FLUSHALL ""\nrename-command set "Put"\n';

/** The replies of a fixed session, one string. */
async function session(port: number): Promise<string> {
  const c = await RawConn.connect(port);
  const out: string[] = [];
  try {
    for (const cmd of [
      ['CONFIG', 'GET', 'maxmemory'],
      ['MYCONFIG', 'GET', 'maxmemory'],
      ['myconfig', 'SET', 'maxmemory-samples', '7'],
      ['FLUSHALL'],
      ['flushall', 'ASYNC'],
      ['SET', 'k', 'v'],
      ['PUT', 'k', 'v'],
      ['put', 'k2', 'v2', 'EX', '100'],
      ['GET', 'k'],
      ['EVAL', "return redis.pcall('SET', 'x', '1')", '0'],
      ['EVAL', "return redis.pcall('put', 'x', '1')", '0'],
      ['COMMAND', 'INFO', 'flushall', 'config'],
      ['MULTI'],
      ['FLUSHALL'],
      ['EXEC'],
    ]) {
      out.push(await c.call(...cmd));
    }
  } finally {
    c.close();
  }
  return out.join('');
}

test('rename-command: renamed and removed commands answer as in redis-server', { skip: skipNoRedis }, async () => {
  const dir = tmp();
  const conf = path.join(dir, 'r.conf');
  fs.writeFileSync(conf, RENAMES);
  const port = await freePort();
  const redis = spawn(
    'redis-server',
    [conf, '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir],
    { stdio: 'ignore' },
  );
  const child = await startChild([conf, '--save', ''], dir);
  try {
    await waitForPing(port, redis);
    const want = await session(port);
    assert.match(want, /unknown command 'CONFIG'/);
    assert.equal(await session(child.port), want);
  } finally {
    redis.kill('SIGKILL');
    await child.kill();
  }
});

test('rename-command: a bad line is a fatal config error, as in redis-server', { skip: skipNoRedis }, () => {
  for (const bad of ['rename-command NOSUCH x\n', 'rename-command GET SET\n']) {
    const dir = tmp();
    const conf = path.join(dir, 'r.conf');
    fs.writeFileSync(conf, `port 0\n${bad}`);
    const r = spawnSync('redis-server', [conf], { encoding: 'latin1', timeout: 10000 });
    const t = spawnSync(process.execPath, [CLI, conf], { encoding: 'latin1', timeout: 10000 });
    assert.equal(t.status, 1);
    assert.equal(r.status, 1);
    const norm = (s: string) => s.replace(/\(Redis [\d.]+\)/, '(Redis x)');
    assert.equal(norm(t.stderr), norm(r.stderr));
    assert.match(t.stderr, /at line 2\n>>> 'rename-command/);
  }
});

test('an AOF written under renamed commands loads again (expiry DELs too)', async () => {
  const dir = tmp();
  const conf = path.join(dir, 'r.conf');
  fs.writeFileSync(conf, `${RENAMES}rename-command DEL ""\nappendonly yes\nappendfsync always\nsave ""\n`);
  let child = await startChild([conf], dir);
  try {
    let c = await RawConn.connect(child.port);
    assert.equal(await c.call('PUT', 'k', 'v'), '+OK\r\n');
    assert.equal(await c.call('PUT', 'gone', 'v', 'PX', '1'), '+OK\r\n');
    await sleep(20); // a sleep on purpose: past the key's 1 ms TTL
    assert.equal(await c.call('GET', 'gone'), '$-1\r\n'); // expired: the AOF gets a DEL
    c.close();
    await child.kill();
    child = await startChild([conf], dir);
    c = await RawConn.connect(child.port);
    assert.equal(await c.call('GET', 'k'), '$1\r\nv\r\n');
    assert.equal(await c.call('DBSIZE'), ':1\r\n');
    c.close();
  } finally {
    await child.kill();
  }
});
