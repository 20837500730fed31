/**
 * Function libraries (FUNCTION LOAD) persist as in Redis 7.0/7.2:
 * - RDB: one FUNCTION2 record per library before the databases. tsdis's
 *   file loads in redis-server (and passes redis-check-rdb) and
 *   redis-server's in tsdis, with the same FUNCTION LIST and FCALL replies;
 *   DEBUG RELOAD keeps them (MERGE replaces), FLUSHALL does not delete them,
 *   the pre-release format is refused;
 * - BGSAVE writes the libraries as they were at its start, whatever FUNCTION
 *   LOAD / DELETE run while it walks the keys;
 * - AOF: the incremental file gets FUNCTION LOAD / DELETE / RESTORE / FLUSH
 *   with the same bytes redis-server writes; a rewrite puts the libraries in
 *   the RDB preamble or, without it, as FUNCTION LOAD commands at the start
 *   of the base; a restart (tsdis or redis-server) finds them.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createServer, startRedis, hasRedis, RawConn, SKIP_NO_REDIS, type RedisProcess } from '../helpers/servers.js';
import { startChild } from '../helpers/child.js';
import { maskedIncr, rewriteDone } from '../helpers/aof.js';
import { rdbImage, persist } from '../../src/persistence/snapshot.js';
import { waitBgsave } from '../../src/persistence/bgsave.js';
import { loadRdbBuffer, loadRdbFile, RdbLoadError } from '../../src/persistence/snapshot-load.js';
import { Crc64 } from '../../src/persistence/crc64.js';

const skip = hasRedis() ? false : SKIP_NO_REDIS;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-fnpersist-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const DEBUG = { 'enable-debug-command': 'yes' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Libraries with one function each (Redis lists a library's functions in hash order). */
const LIB_A = `#!lua name=liba
redis.register_function{function_name='fa', callback=function(keys, args) return redis.call('incrby', keys[1], args[1]) end, description='adds'}`;
const LIB_B = `#!lua name=libb
local function twice(x) return x .. x end
redis.register_function{function_name='fb', callback=function(keys, args) return twice(args[1]) end, flags={'no-writes'}}`;
const LIB_B2 = `#!lua name=libb
redis.register_function('fb', function(keys, args) return 'replaced' end)`;
// long enough to be LZF compressed in an RDB, with bytes beyond ASCII in a comment
const LIB_C = `#!lua name=libc
-- ${'padding '.repeat(40)} \xe9\xff
redis.register_function('fc', function(keys, args) return {1, 'two', {3}} end)`;

/** FUNCTION LIST WITHCODE of each library (sorted by name), and the replies of calls to each function, as raw bytes. */
async function functionState(c: RawConn): Promise<string> {
  const out: string[] = [];
  const names = (await c.call('FUNCTION', 'LIST')).match(/library_name\r\n\$\d+\r\n(\w+)/g) ?? [];
  for (const n of names.map((s) => s.split('\r\n')[2]!).sort())
    out.push(await c.call('FUNCTION', 'LIST', 'LIBRARYNAME', n, 'WITHCODE'));
  for (const f of ['fa', 'fb', 'fc']) out.push(await c.call('FCALL_RO', f, '0', 'xy'));
  out.push(await c.call('FUNCTION', 'STATS'));
  return out.join('\n');
}

/** Connects once the server has loaded its data (redis-server answers PING while loading). */
async function connectLoaded(port: number): Promise<RawConn> {
  const c = await RawConn.connect(port);
  for (let i = 0; (await c.call('DBSIZE')).startsWith('-LOADING'); i++) {
    if (i > 1000) throw new Error('still loading after 10 s');
    await sleep(10);
  }
  return c;
}

async function run(c: RawConn, cmds: string[][]): Promise<void> {
  for (const cmd of cmds) {
    const r = await c.call(...cmd);
    assert.ok(!r.startsWith('-'), `${cmd.slice(0, 2).join(' ')}: ${r}`);
  }
}

test('RDB round trip in tsdis; DEBUG RELOAD keeps libraries, FLUSHALL does not delete them', async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'a-'));
  const a = await createServer({ config: { ...DEBUG, dir } });
  const b = await createServer({ noListen: true, config: DEBUG });
  try {
    for (const lib of [LIB_A, LIB_B, LIB_C]) assert.ok(!((await a.call('FUNCTION', 'LOAD', lib)) instanceof Error));
    await a.call('SET', 'k', '1');
    const ca = await RawConn.connect(a.port);
    const want = await functionState(ca);
    assert.match(want, /padding/);

    const image = Buffer.concat(rdbImage(a.server));
    const l = loadRdbBuffer(b.server, image, 'mem.rdb');
    assert.equal(l.functionsLoaded, 3);
    assert.deepEqual(await b.call('FUNCTION', 'LIST', 'WITHCODE'), await a.call('FUNCTION', 'LIST', 'WITHCODE'));
    assert.equal(await b.call('FCALL', 'fa', '1', 'k', '5'), 6);
    assert.equal(await b.call('FCALL', 'fb', '0', 'ab'), 'abab');

    // FLUSHALL: keys go, libraries stay (also in the file it saves)
    assert.equal(await a.call('FLUSHALL'), 'OK');
    assert.equal(await a.call('DBSIZE'), 0);
    assert.equal(await functionState(ca), want);
    // DEBUG RELOAD: saved, emptied (libraries too), loaded back
    await a.call('SET', 'k', '1');
    assert.equal(await a.call('DEBUG', 'RELOAD'), 'OK');
    assert.equal(await functionState(ca), want);
    assert.equal(await a.call('GET', 'k'), '1');
    // NOSAVE loads the file as saved: a library deleted since comes back, one loaded since goes
    assert.equal(await a.call('FUNCTION', 'DELETE', 'liba'), 'OK');
    assert.equal(
      await a.call('FUNCTION', 'LOAD', '#!lua name=libd\nredis.register_function("fd", function() return 1 end)'),
      'libd',
    );
    assert.equal(await a.call('DEBUG', 'RELOAD', 'NOSAVE'), 'OK');
    assert.equal(await functionState(ca), want);
    // NOFLUSH MERGE: an existing library of the same name is replaced by the file's
    assert.equal(await a.call('FUNCTION', 'LOAD', 'REPLACE', LIB_B2), 'libb');
    assert.equal(await a.call('FLUSHDB'), 'OK');
    assert.equal(await a.call('DEBUG', 'RELOAD', 'NOSAVE', 'NOFLUSH', 'MERGE'), 'OK');
    assert.equal(await functionState(ca), want);
    ca.close();

    // a library that already exists is a load error (without MERGE)
    assert.throws(
      () => loadRdbBuffer(b.server, image, 'dup.rdb'),
      (e: unknown) =>
        e instanceof RdbLoadError && /Failed loading library, Library 'liba' already exists/.test(e.message),
    );
    // the failed load left nothing behind (Redis's emptyData: keys and libraries)
    assert.equal(await b.call('DBSIZE'), 0);
    assert.deepEqual(await b.call('FUNCTION', 'LIST'), []);
  } finally {
    await a.close();
    await b.close();
  }
});

test('pre-release function records (opcode 246) and broken library code are refused with a clear error', async () => {
  const b = await createServer({ noListen: true });
  try {
    const file = (body: Buffer) => {
      const head = Buffer.concat([Buffer.from('REDIS0010', 'latin1'), body, Buffer.from([255])]);
      return Buffer.concat([head, new Crc64().update(head, 0, head.length).bytes()]);
    };
    assert.throws(
      () => loadRdbBuffer(b.server, file(Buffer.from([246, 1, 0x41])), 'pre.rdb'),
      (e: unknown) =>
        e instanceof RdbLoadError && /at offset 9: Pre-release function format not supported/.test(e.message),
    );
    const bad = Buffer.from('#!lua name=x\nreturn 1', 'latin1');
    assert.throws(
      () => loadRdbBuffer(b.server, file(Buffer.concat([Buffer.from([245, bad.length]), bad])), 'bad.rdb'),
      (e: unknown) =>
        e instanceof RdbLoadError && /at offset 9: Failed loading library, No functions registered/.test(e.message),
    );
  } finally {
    await b.close();
  }
});

test("a tsdis RDB with libraries loads in redis-server; redis-server's loads in tsdis", { skip }, async () => {
  // tsdis writes
  const dir = fs.mkdtempSync(path.join(tmp, 'b-'));
  const t = await createServer({ config: { ...DEBUG, dir } });
  let r: RedisProcess | null = null;
  try {
    const ct = await RawConn.connect(t.port);
    await run(ct, [
      ['FUNCTION', 'LOAD', LIB_A],
      ['FUNCTION', 'LOAD', LIB_B],
      ['FUNCTION', 'LOAD', LIB_C],
      ['SET', 'k', '10'],
    ]);
    const want = await functionState(ct);
    assert.equal(await ct.call('SAVE'), '+OK\r\n');
    ct.close();
    const file = path.join(dir, 'dump.rdb');
    const check = spawnSync('redis-check-rdb', [file], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /RDB looks OK/);
    r = await startRedis(['--dir', dir, '--dbfilename', 'dump.rdb']);
    const cr = await connectLoaded(r.port);
    assert.equal(await functionState(cr), want);
    assert.equal(await cr.call('FCALL', 'fa', '1', 'k', '5'), ':15\r\n');

    // redis-server writes (after its own FUNCTION LOAD / DELETE), tsdis reads
    await run(cr, [['FUNCTION', 'DELETE', 'liba'], ['FUNCTION', 'LOAD', 'REPLACE', LIB_B2], ['SAVE']]);
    const theirs = await functionState(cr);
    cr.close();
    const fresh = await createServer({ config: DEBUG });
    try {
      assert.equal(await loadRdbFile(fresh.server, file), true);
      const cf = await RawConn.connect(fresh.port);
      assert.equal(await functionState(cf), theirs);
      assert.equal(await cf.call('GET', 'k'), '$2\r\n15\r\n');
      cf.close();
    } finally {
      await fresh.close();
    }
  } finally {
    await r?.stop();
    await t.close();
  }
});

test('BGSAVE writes the libraries as they were at its start under concurrent FUNCTION LOAD / DELETE', async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'c-'));
  const srv = await createServer({ config: { ...DEBUG, dir } });
  try {
    await srv.call('DEBUG', 'POPULATE', '200000');
    await srv.call('FUNCTION', 'LOAD', LIB_A);
    await srv.call('FUNCTION', 'LOAD', LIB_B);
    const wantList = await srv.call('FUNCTION', 'LIST', 'WITHCODE');
    assert.equal(await srv.call('BGSAVE'), 'Background saving started');
    // the same event-loop turn as the start, and later turns while it runs
    assert.equal(await srv.call('FUNCTION', 'DELETE', 'liba'), 'OK');
    let during = 0;
    for (let i = 0; persist(srv.server).bgsave !== null; i++) {
      await srv.call('FUNCTION', 'LOAD', 'REPLACE', i % 2 === 0 ? LIB_B2 : LIB_B);
      await srv.call('FUNCTION', 'LOAD', 'REPLACE', LIB_C);
      if (i % 3 === 0) await srv.call('FUNCTION', 'DELETE', 'libc');
      during++;
      await new Promise((res) => setImmediate(res));
    }
    assert.ok(during > 2, `the BGSAVE ran across several turns (${during})`);
    assert.equal(await waitBgsave(srv.server), true);
    const check = await createServer({ noListen: true });
    try {
      assert.equal(await loadRdbFile(check.server, path.join(dir, 'dump.rdb')), true);
      assert.deepEqual(await check.call('FUNCTION', 'LIST', 'WITHCODE'), wantList);
      assert.equal(await check.call('DBSIZE'), 200000);
    } finally {
      await check.close();
    }
  } finally {
    await srv.close();
  }
});

test(
  'the incremental AOF gets FUNCTION LOAD/DELETE/RESTORE/FLUSH with the bytes redis-server writes',
  { skip },
  async () => {
    const dirT = fs.mkdtempSync(path.join(tmp, 'd-'));
    const dirR = fs.mkdtempSync(path.join(tmp, 'e-'));
    const t = await startChild(['--appendonly', 'yes', '--dir', dirT, '--save', ''], dirT);
    // always: with everysec redis-server postpones its write while a slow fsync runs
    // (a loaded machine), so its file could lag the replies this test has read
    const r = await startRedis(['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dirR]);
    try {
      const ct = await RawConn.connect(t.port);
      const cr = await RawConn.connect(r.port);
      // a FUNCTION DUMP payload of LIB_C alone, from redis-server
      await run(cr, [['FUNCTION', 'LOAD', LIB_C]]);
      const dumpReply = await cr.call('FUNCTION', 'DUMP');
      const nl = dumpReply.indexOf('\r\n');
      const payload = dumpReply.slice(nl + 2, nl + 2 + Number(dumpReply.slice(1, nl)));
      await run(cr, [['FUNCTION', 'FLUSH']]);
      await rewriteDone(cr);
      await cr.call('BGREWRITEAOF'); // a fresh incr file for the comparison
      await rewriteDone(cr);
      const cmds = [
        ['FUNCTION', 'LOAD', LIB_A],
        ['FUNCTION', 'LOAD', LIB_B],
        ['FCALL', 'fa', '1', 'n', '3'],
        ['FUNCTION', 'DELETE', 'liba'],
        ['FUNCTION', 'LOAD', 'REPLACE', LIB_B2],
        ['FUNCTION', 'RESTORE', payload],
        ['FUNCTION', 'FLUSH'],
        ['FUNCTION', 'LOAD', LIB_A],
        ['FUNCTION', 'RESTORE', payload, 'APPEND'],
        ['FCALL', 'fa', '1', 'n', '4'],
      ];
      await run(ct, cmds);
      await run(cr, cmds);
      const want = await functionState(cr);
      assert.equal(await functionState(ct), want);
      assert.equal(maskedIncr(dirT), maskedIncr(dirR));
      assert.match(maskedIncr(dirT), /FUNCTION\r\n\$7\r\nRESTORE/);
      ct.close();
      cr.close();
      await t.kill();
      // a restart replays them
      const t2 = await startChild(['--appendonly', 'yes', '--dir', dirT, '--save', ''], dirT);
      try {
        const c2 = await RawConn.connect(t2.port);
        assert.equal(await functionState(c2), want);
        assert.equal(await c2.call('GET', 'n'), '$1\r\n7\r\n');
        c2.close();
      } finally {
        await t2.kill();
      }
    } finally {
      await t.kill();
      await r.stop();
    }
  },
);

for (const preamble of ['yes', 'no']) {
  test(
    `AOF rewrite (aof-use-rdb-preamble ${preamble}) keeps the libraries across restarts of tsdis and redis-server`,
    { skip },
    async () => {
      const dir = fs.mkdtempSync(path.join(tmp, `f-${preamble}-`));
      const args = [
        '--appendonly',
        'yes',
        '--aof-use-rdb-preamble',
        preamble,
        '--enable-debug-command',
        'yes',
        '--dir',
        dir,
        '--save',
        '',
      ];
      let t = await startChild(args, dir);
      let r: RedisProcess | null = null;
      try {
        let c = await RawConn.connect(t.port);
        await run(c, [
          ['FUNCTION', 'LOAD', LIB_A],
          ['FUNCTION', 'LOAD', LIB_B],
          ['FUNCTION', 'LOAD', LIB_C],
          ['DEBUG', 'POPULATE', '50000'],
          ['FCALL', 'fa', '1', 'n', '2'],
        ]);
        assert.equal(await c.call('BGREWRITEAOF'), '+Background append only file rewriting started\r\n');
        // while it may still run: changes go to the new incremental file
        await run(c, [
          ['FUNCTION', 'DELETE', 'libc'],
          ['FUNCTION', 'LOAD', 'REPLACE', LIB_B2],
        ]);
        await rewriteDone(c);
        await run(c, [['FUNCTION', 'LOAD', LIB_C]]);
        const want = await functionState(c);
        c.close();
        await t.kill();
        const files = fs.readdirSync(path.join(dir, 'appendonlydir'));
        const base = files.find((f) => f.includes('.base.'))!;
        const head = fs.readFileSync(path.join(dir, 'appendonlydir', base)).latin1Slice(0, 64);
        if (preamble === 'yes') assert.match(head, /^REDIS/);
        else assert.ok(head.startsWith('*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n'), JSON.stringify(head));
        // a second rewrite from the restarted server, then both servers read the result
        t = await startChild(args, dir);
        c = await RawConn.connect(t.port);
        assert.equal(await functionState(c), want);
        assert.equal(await c.call('BGREWRITEAOF'), '+Background append only file rewriting started\r\n');
        await rewriteDone(c);
        c.close();
        await t.kill();
        t = await startChild(args, dir);
        c = await RawConn.connect(t.port);
        assert.equal(await functionState(c), want);
        assert.equal(await c.call('DBSIZE'), ':50001\r\n');
        c.close();
        await t.kill();
        r = await startRedis(args.slice(0, -2));
        const cr = await connectLoaded(r.port);
        assert.equal(await functionState(cr), want);
        assert.equal(await cr.call('GET', 'n'), '$1\r\n2\r\n');
        cr.close();
      } finally {
        await t.kill();
        await r?.stop();
      }
    },
  );
}
