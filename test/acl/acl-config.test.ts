/**
 * ACL from redis.conf: `user` lines (checked as Redis checks them, with the
 * same fatal errors as redis-server), `aclfile` (loaded at start relative to
 * `dir`; ACL SAVE and ACL LOAD; a bad file changes nothing), and both at
 * once refused at start, as Redis 7.2's ACLLoadUsersAtStartup does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hasRedis, RawConn, SKIP_NO_REDIS } from '../helpers/servers.js';
import { startChild, CLI } from '../helpers/child.js';

const skipNoRedis = hasRedis() ? false : SKIP_NO_REDIS;
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-acl-'));

test('user lines: users exist at start, the default user can be redefined', async () => {
  const dir = tmp();
  const conf = path.join(dir, 'r.conf');
  fs.writeFileSync(conf, 'user default on nopass ~* +@all -flushdb\nuser alice on >pw ~a* +get\nsave ""\n');
  const child = await startChild([conf], dir);
  try {
    const c = await RawConn.connect(child.port);
    assert.equal(await c.call('FLUSHDB'), "-NOPERM User default has no permissions to run the 'flushdb' command\r\n");
    assert.equal(await c.call('AUTH', 'alice', 'pw'), '+OK\r\n');
    assert.equal(await c.call('GET', 'a1'), '$-1\r\n');
    assert.equal(await c.call('GET', 'b1'), '-NOPERM No permissions to access a key\r\n');
    // without &* the default user has no channel (acl-pubsub-default resetchannels)
    assert.equal(await c.call('AUTH', 'default', 'x'), '+OK\r\n');
    assert.equal(await c.call('PUBLISH', 'ch', 'm'), '-NOPERM No permissions to access a channel\r\n');
    c.close();
  } finally {
    await child.kill();
  }
});

test('user lines: bad lines are fatal config errors worded as redis-server words them', { skip: skipNoRedis }, () => {
  for (const bad of [
    'user alice on badrule',
    'user alice on >p ~a allkeys ~b',
    'user bob on\nuser bob off',
    'user default on nopass nosuchcmd',
  ]) {
    const dir = tmp();
    const conf = path.join(dir, 'r.conf');
    fs.writeFileSync(conf, `${bad}\nport 0\n`);
    const r = spawnSync('redis-server', [conf], { encoding: 'latin1', timeout: 10000 });
    const t = spawnSync(process.execPath, [CLI, conf], { encoding: 'latin1', timeout: 10000 });
    assert.equal(t.status, 1, bad);
    const norm = (s: string) => s.replace(/\(Redis [\d.]+\)/, '(Redis x)');
    assert.equal(norm(t.stderr), norm(r.stderr), bad);
  }
});

test('user lines and an aclfile together refuse to start', () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'users.acl'), 'user default on nopass ~* &* +@all\n');
  const conf = path.join(dir, 'r.conf');
  fs.writeFileSync(conf, `dir ${dir}\naclfile users.acl\nuser alice on\nport 0\n`);
  const t = spawnSync(process.execPath, [CLI, conf], { encoding: 'latin1', timeout: 10000 });
  assert.equal(t.status, 1);
  assert.match(t.stdout + t.stderr, /users defined in redis\.conf and at the same setting an ACL file path is invalid/);
});

test('aclfile: loaded at start (relative to dir), ACL SAVE writes it, ACL LOAD reads it back, a bad file changes nothing', async () => {
  const dir = tmp();
  const acl = path.join(dir, 'users.acl');
  fs.writeFileSync(acl, 'user default on nopass ~* &* +@all\nuser bob on >pw ~b* +@read\n');
  const conf = path.join(dir, 'r.conf');
  fs.writeFileSync(conf, `dir ${dir}\naclfile users.acl\nsave ""\n`);
  const child = await startChild([conf], os.tmpdir());
  try {
    const c = await RawConn.connect(child.port);
    assert.equal(await c.call('ACL', 'USERS'), '*2\r\n$3\r\nbob\r\n$7\r\ndefault\r\n');
    assert.equal(await c.call('ACL', 'SETUSER', 'carol', 'on', 'nopass', '+ping'), '+OK\r\n');
    assert.equal(await c.call('ACL', 'SAVE'), '+OK\r\n');
    assert.equal(
      fs.readFileSync(acl, 'latin1'),
      'user bob on sanitize-payload #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~b* resetchannels -@all +@read\n' +
        'user carol on nopass sanitize-payload resetchannels -@all +ping\n' +
        'user default on nopass sanitize-payload ~* &* +@all\n',
    );
    // a client of a user that ACL LOAD replaces is disconnected
    const b = await RawConn.connect(child.port);
    assert.equal(await b.call('AUTH', 'bob', 'pw'), '+OK\r\n');
    fs.appendFileSync(acl, 'user dave on nopass +get\n');
    assert.equal(await c.call('ACL', 'LOAD'), '+OK\r\n');
    await b.readUntilClose();
    assert.equal(b.closed, true);
    assert.equal(await c.call('ACL', 'USERS'), '*4\r\n$3\r\nbob\r\n$5\r\ncarol\r\n$4\r\ndave\r\n$7\r\ndefault\r\n');
    // errors: nothing changes
    fs.appendFileSync(acl, 'user dave off\nnot a user line\nuser erin +nosuch\n');
    assert.equal(
      await c.call('ACL', 'LOAD'),
      "-ERR WARNING: Duplicate user 'dave' found on line 5. users.acl:6 should start with user keyword followed by the username. users.acl:7: Error in applying operation '+nosuch': Unknown command or category name in ACL. WARNING: ACL errors detected, no change to the previously active ACL rules was performed\r\n",
    );
    assert.equal(await c.call('ACL', 'USERS'), '*4\r\n$3\r\nbob\r\n$5\r\ncarol\r\n$4\r\ndave\r\n$7\r\ndefault\r\n');
    c.close();
  } finally {
    await child.kill();
  }
});

test("aclfile that does not exist: the start fails with Redis's message", () => {
  const dir = tmp();
  const conf = path.join(dir, 'r.conf');
  fs.writeFileSync(conf, `dir ${dir}\naclfile missing.acl\nport 0\n`);
  const t = spawnSync(process.execPath, [CLI, conf], { encoding: 'latin1', timeout: 10000 });
  assert.equal(t.status, 1);
  assert.match(t.stdout + t.stderr, /Error loading ACLs, opening file 'missing\.acl': No such file or directory/);
});

test('CONFIG REWRITE writes every user as ACL LIST shows it (none with an aclfile), as 7.2.4 rewriteConfigUserOption', async () => {
  const dir = tmp();
  const conf = path.join(dir, 'r.conf');
  fs.writeFileSync(conf, 'user alice on >pw ~a* +get\nsave ""\n');
  const child = await startChild([conf], dir);
  try {
    const c = await RawConn.connect(child.port);
    assert.equal(await c.call('ACL', 'SETUSER', 'bob', 'on', 'nopass', '~b*', '+set'), '+OK\r\n');
    assert.equal(await c.call('ACL', 'DELUSER', 'alice'), ':1\r\n');
    assert.equal(await c.call('CONFIG', 'REWRITE'), '+OK\r\n');
    const list = (await c.call('ACL', 'LIST')).split('\r\n').filter((l) => l.startsWith('user '));
    c.close();
    const users = fs
      .readFileSync(conf, 'latin1')
      .split('\n')
      .filter((l) => l.startsWith('user '));
    // alice's line is gone, bob's and the default user's are written (the default one always is)
    assert.deepEqual(users, list);
    assert.deepEqual(
      users.map((l) => l.split(' ')[1]),
      ['bob', 'default'],
    );
  } finally {
    await child.kill();
  }
  // with an aclfile the users live there: the rewrite writes no user line
  const dir2 = tmp();
  fs.writeFileSync(path.join(dir2, 'users.acl'), 'user default on nopass ~* &* +@all\n');
  const conf2 = path.join(dir2, 'r.conf');
  fs.writeFileSync(conf2, `aclfile ${path.join(dir2, 'users.acl')}\nsave ""\n`);
  const child2 = await startChild([conf2], dir2);
  try {
    const c = await RawConn.connect(child2.port);
    assert.equal(await c.call('ACL', 'SETUSER', 'carol', 'on'), '+OK\r\n');
    assert.equal(await c.call('CONFIG', 'REWRITE'), '+OK\r\n');
    c.close();
    assert.equal(
      fs
        .readFileSync(conf2, 'latin1')
        .split('\n')
        .filter((l) => l.startsWith('user ')).length,
      0,
    );
  } finally {
    await child2.kill();
  }
});
