/**
 * The AOF is replayed by Redis's internal client, which no gate refuses:
 * - data written under `requirepass` (on the command line, in a config file,
 *   or embedded) is all there after a restart, and survives a BGREWRITEAOF;
 * - DEBUG LOADAOF replays under requirepass and CLIENT PAUSE WRITE;
 * - a replayed command that fails stops the start, naming the file, the
 *   offset and the error (never a silent partial load).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServer, RawConn } from '../helpers/servers.js';
import { startChild, type Child } from '../helpers/child.js';
import { incrFile, rewriteDone } from '../helpers/aof.js';
import { encode } from '../helpers/resp.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-aofload-'));

/** Connects and authenticates. */
async function authed(port: number, pass: string): Promise<RawConn> {
  const c = await RawConn.connect(port);
  assert.equal(await c.call('AUTH', pass), '+OK\r\n');
  return c;
}

/** Writes one key of each kind of command a replay must not refuse, then a transaction. */
async function writeSome(c: RawConn): Promise<void> {
  assert.equal(await c.call('SET', 'k1', 'v1'), '+OK\r\n');
  assert.equal(await c.call('RPUSH', 'l', 'a', 'b'), ':2\r\n');
  assert.equal(await c.call('SELECT', '3'), '+OK\r\n');
  assert.equal(await c.call('HSET', 'h', 'f', 'v'), ':1\r\n');
  assert.equal(await c.call('MULTI'), '+OK\r\n');
  await c.call('INCR', 'n');
  await c.call('INCR', 'n');
  assert.equal(await c.call('EXEC'), '*2\r\n:1\r\n:2\r\n');
  assert.equal(await c.call('SELECT', '0'), '+OK\r\n');
}

/** Checks what writeSome wrote. */
async function checkSome(c: RawConn): Promise<void> {
  assert.equal(await c.call('GET', 'k1'), '$2\r\nv1\r\n');
  assert.equal(await c.call('LRANGE', 'l', '0', '-1'), '*2\r\n$1\r\na\r\n$1\r\nb\r\n');
  assert.equal(await c.call('SELECT', '3'), '+OK\r\n');
  assert.equal(await c.call('HGET', 'h', 'f'), '$1\r\nv\r\n');
  assert.equal(await c.call('GET', 'n'), '$1\r\n2\r\n');
  assert.equal(await c.call('SELECT', '0'), '+OK\r\n');
}

async function restartCheck(
  dir: string,
  args: string[],
  pass: string,
  stop: (c: RawConn, child: Child) => Promise<void>,
): Promise<void> {
  let child = await startChild(args, dir);
  try {
    let c = await authed(child.port, pass);
    await writeSome(c);
    await stop(c, child);
    c.close();
    child = await startChild(args, dir);
    c = await authed(child.port, pass);
    await checkSome(c);
    assert.match(child.output(), /DB loaded from append only file/);
    // a rewrite after such a start keeps everything (it used to drop the files that held it)
    assert.match(await c.call('BGREWRITEAOF'), /^\+Background append only file rewriting/);
    await rewriteDone({ call: (...a: string[]) => c.call(...a) });
    c.close();
    await child.kill();
    child = await startChild(args, dir);
    c = await authed(child.port, pass);
    await checkSome(c);
    c.close();
  } finally {
    await child.kill();
  }
}

test('an AOF written with requirepass loads after SHUTDOWN and after SIGKILL (appendfsync always)', async () => {
  const args = ['--appendonly', 'yes', '--appendfsync', 'always', '--requirepass', 'secret', '--save', ''];
  await restartCheck(tmp(), args, 'secret', async (c, child) => {
    c.write(encode(['SHUTDOWN']));
    assert.equal(await child.exited(), 0);
  });
  await restartCheck(tmp(), args, 'secret', async (_c, child) => child.kill());
});

test('an AOF written with the password from a config file loads', async () => {
  const dir = tmp();
  const conf = path.join(dir, 'tsdis.conf');
  fs.writeFileSync(conf, 'appendonly yes\nappendfsync always\nrequirepass "from file"\nsave ""\n');
  await restartCheck(dir, [conf], 'from file', async (_c, child) => child.kill());
});

test('embedded: createServer with requirepass replays its AOF', async () => {
  const dir = tmp();
  const config = { dir, appendonly: 'yes', requirepass: 'pw' };
  let srv = await createServer({ config });
  let c = await authed(srv.port, 'pw');
  await writeSome(c);
  c.close();
  await srv.close();
  srv = await createServer({ config });
  c = await authed(srv.port, 'pw');
  try {
    await checkSome(c);
  } finally {
    c.close();
    await srv.close();
  }
});

test('DEBUG LOADAOF replays under requirepass and CLIENT PAUSE WRITE, and propagates nothing', async () => {
  const dir = tmp();
  const srv = await createServer({
    config: { dir, appendonly: 'yes', requirepass: 'pw', 'enable-debug-command': 'yes' },
  });
  const c = await authed(srv.port, 'pw');
  try {
    await writeSome(c);
    const before = fs.readFileSync(incrFile(dir));
    assert.equal(await c.call('SET', 'extra', 'gone after reload'), '+OK\r\n');
    fs.writeFileSync(incrFile(dir), before); // the reload must not see 'extra'
    assert.equal(await c.call('CLIENT', 'PAUSE', '10000', 'WRITE'), '+OK\r\n');
    assert.equal(await c.call('DEBUG', 'LOADAOF'), '+OK\r\n');
    assert.equal(await c.call('CLIENT', 'UNPAUSE'), '+OK\r\n');
    await checkSome(c);
    assert.equal(await c.call('EXISTS', 'extra'), ':0\r\n');
    assert.deepEqual(fs.readFileSync(incrFile(dir)), before, 'nothing replayed was appended again');
  } finally {
    c.close();
    await srv.close();
  }
});

test('DEBUG LOADAOF: while a long script from the AOF runs, other clients get -LOADING (not -BUSY)', async () => {
  const dir = tmp();
  const child = await startChild(
    [
      '--appendonly',
      'yes',
      '--save',
      '',
      '--enable-debug-command',
      'yes',
      '--busy-reply-threshold',
      '1',
      '--aof-use-rdb-preamble',
      'no',
    ],
    dir,
  );
  const loader = await RawConn.connect(child.port);
  const other = await RawConn.connect(child.port);
  try {
    // an EVAL in the AOF (Redis 7 writes scripts' effects; older files have the script)
    const script =
      "redis.call('set', KEYS[1], 'y'); local t = redis.call('time')[1]; while redis.call('time')[1] - t < 2 do end return 'ok'";
    fs.appendFileSync(incrFile(dir), encode(['EVAL', script, '1', 'x']));
    loader.write(encode(['DEBUG', 'LOADAOF']));
    let seen = '';
    for (let i = 0; i < 100 && !seen.startsWith('-LOADING'); i++) {
      seen = await other.call('PING');
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(seen, '-LOADING Redis is loading the dataset in memory\r\n');
    assert.equal(await loader.read(10000), '+OK\r\n');
    assert.equal(await other.call('GET', 'x'), '$1\r\ny\r\n');
  } finally {
    loader.close();
    other.close();
    await child.kill();
  }
});

test('DEBUG LOADAOF without an AOF replies an error', async () => {
  const srv = await createServer({ config: { dir: tmp(), 'enable-debug-command': 'yes' } });
  try {
    const e = await srv.call('DEBUG', 'LOADAOF');
    assert.equal((e as Error).message, 'ERR Error trying to load the AOF files, check server logs.');
  } finally {
    await srv.close();
  }
});

test('a replayed command that fails stops the start with the file, the offset and the error', async () => {
  const dir = tmp();
  let child = await startChild(['--appendonly', 'yes', '--save', ''], dir);
  const c = await RawConn.connect(child.port);
  assert.equal(await c.call('SET', 'k', 'v'), '+OK\r\n');
  c.close();
  await child.kill();
  const file = incrFile(dir);
  const offset = fs.statSync(file).size;
  fs.appendFileSync(file, Buffer.concat([encode(['INCR', 'k']), encode(['SET', 'after', 'x'])]));
  child = await startChild(['--appendonly', 'yes', '--save', ''], dir, { waitReady: false });
  try {
    assert.equal(await child.exited(), 1);
    const name = path.basename(file);
    assert.ok(
      child
        .output()
        .includes(
          `Error replaying the append only file ${name}: 'INCR' at offset ${offset} replied -ERR value is not an integer or out of range`,
        ),
      child.output(),
    );
  } finally {
    await child.kill();
  }
  // an unknown command keeps Redis's line, with the offset
  fs.writeFileSync(file, encode(['NOSUCHCMD', 'x']));
  child = await startChild(['--appendonly', 'yes', '--save', ''], dir, { waitReady: false });
  try {
    assert.equal(await child.exited(), 1);
    assert.match(
      child.output(),
      /Unknown command 'NOSUCHCMD' reading the append only file appendonly\.aof\.\d+\.incr\.aof \(offset 0\)/,
    );
  } finally {
    await child.kill();
  }
});
