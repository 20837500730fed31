/**
 * RDB files and DUMP payloads: CRC-64 and LZF units, a round trip of every
 * type and encoding through tsdis's writer and reader, interop with a real
 * redis-server in both directions (files and DUMP payloads, compared with
 * DEBUG DIGEST, whose algorithm tsdis shares), redis-check-rdb on tsdis's
 * files, and corrupt or truncated files refused with the file and offset.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createServer, startRedis, hasRedis, RawConn, SKIP_NO_REDIS, type RedisProcess } from '../helpers/servers.js';
import { crc64 } from '../../src/persistence/crc64.js';
import { lzfCompress, lzfDecompress } from '../../src/persistence/lzf.js';
import { rdbImage } from '../../src/persistence/snapshot.js';
import { loadRdbBuffer, loadRdbFile, RdbLoadError } from '../../src/persistence/snapshot-load.js';
import { formatG17 } from '../../src/persistence/rdb-compact.js';
import { fillCommands } from './fill.js';

const skip = hasRedis() ? false : SKIP_NO_REDIS;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-rdb-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const DEBUG = { 'enable-debug-command': 'yes' };

async function filledTsdis(large = true) {
  const srv = await createServer({ noListen: true, config: { ...DEBUG, dir: tmp } });
  for (const c of fillCommands({ large })) {
    const r = await srv.call(...c);
    assert.ok(!(r instanceof Error), `${c[0]}: ${String(r)}`);
  }
  return srv;
}

test('CRC-64/Jones check value and LZF round trips', () => {
  assert.equal(crc64(Buffer.from('123456789')).readBigUInt64LE(0), 0xe9c6d914c4b8d9can);
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
  for (let t = 0; t < 500; t++) {
    const n = 5 + Math.floor(rnd() * 5000);
    const alpha = 1 + Math.floor(rnd() * 20);
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = Math.floor(rnd() * alpha);
    const c = lzfCompress(b, n * 2);
    assert.ok(c !== null);
    assert.deepEqual(lzfDecompress(c, n), b);
  }
  assert.equal(lzfCompress(Buffer.from('abcdefghijklmnopqrstuvwxyz'), 22), null); // incompressible
  assert.equal(lzfDecompress(Buffer.from([0x20, 0x00]), 3), null); // back reference before the start
});

test('%.17g formatting', () => {
  assert.equal(formatG17(0.1), '0.10000000000000001');
  assert.equal(formatG17(1e300), '1.0000000000000001e+300');
  assert.equal(formatG17(2.5), '2.5');
  assert.equal(formatG17(-3), '-3');
  assert.equal(formatG17(1e-5), '1.0000000000000001e-05');
  assert.equal(formatG17(123456789012), '123456789012');
  assert.equal(formatG17(Infinity), 'inf');
  // an exact tie at the 17th digit rounds to even, as C's printf (toExponential would round it up)
  // eslint-disable-next-line no-loss-of-precision -- 17 + 2^-16 written with the 17 digits under test
  assert.equal(formatG17(17.000015258789062), '17.000015258789062');
  assert.equal(formatG17(8468517728652.156), '8468517728652.1562');
  assert.equal(formatG17(-557408465587746.1), '-557408465587746.12');
  assert.equal(formatG17(1234567890123456.75), '1234567890123456.8');
});

test('every type and encoding round-trips through tsdis RDB write and load', async () => {
  const a = await filledTsdis();
  const digest = await a.call('DEBUG', 'DIGEST');
  assert.notEqual(digest, '0'.repeat(40));
  const image = Buffer.concat(rdbImage(a.server));
  const b = await createServer({ noListen: true, config: DEBUG });
  loadRdbBuffer(b.server, image, 'mem.rdb');
  assert.equal(await b.call('DEBUG', 'DIGEST'), digest);
  for (const [k, enc] of [
    ['set:int16', 'intset'],
    ['set:big', 'hashtable'],
    ['hash:small', 'listpack'],
    ['hash:longval', 'hashtable'],
    ['zset:small', 'listpack'],
    ['zset:big', 'skiplist'],
    ['list:big', 'quicklist'],
    ['str:int', 'int'],
  ] as const) {
    assert.equal(await b.call('OBJECT', 'ENCODING', k), await a.call('OBJECT', 'ENCODING', k), k);
    assert.equal(await b.call('OBJECT', 'ENCODING', k), enc, k);
  }
  assert.ok(Number(await b.call('PTTL', 'str:ttl')) > 3_000_000);
  // uncompressed and without a checksum too
  assert.equal(await a.call('CONFIG', 'SET', 'rdbcompression', 'no'), 'OK');
  a.server.config.set('rdbchecksum', 'no', true); // immutable at run time (as in Redis): set as at startup
  const plain = Buffer.concat(rdbImage(a.server));
  assert.ok(plain.length > image.length);
  assert.deepEqual(plain.subarray(plain.length - 8), Buffer.alloc(8));
  const c = await createServer({ noListen: true, config: DEBUG });
  loadRdbBuffer(c.server, plain, 'mem.rdb');
  assert.equal(await c.call('DEBUG', 'DIGEST'), digest);
  await Promise.all([a.close(), b.close(), c.close()]);
});

test('a truncated or corrupted RDB is refused with the file and offset, never half-loaded', async () => {
  const a = await filledTsdis(false);
  const image = Buffer.concat(rdbImage(a.server));
  const b = await createServer({ noListen: true, config: DEBUG });
  let seed = 3;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
  const cuts = [0, 5, 9, 20, image.length - 9, image.length - 1];
  for (let i = 0; i < 40; i++) cuts.push(Math.floor(rnd() * image.length));
  for (const cut of cuts) {
    assert.throws(
      () => loadRdbBuffer(b.server, image.subarray(0, cut), '/x/dump.rdb'),
      (e: unknown) => e instanceof RdbLoadError && e.message.includes('/x/dump.rdb') && /at offset \d+/.test(e.message),
      `cut at ${cut}`,
    );
    assert.equal(await b.call('DBSIZE'), 0);
  }
  // a flipped byte anywhere is caught (by the decoder or by the checksum)
  for (let i = 0; i < 40; i++) {
    const bad = Buffer.from(image);
    const at = 9 + Math.floor(rnd() * (image.length - 9));
    bad[at] = bad[at]! ^ (1 + Math.floor(rnd() * 255));
    assert.throws(() => loadRdbBuffer(b.server, bad, 'f.rdb'), RdbLoadError, `flip at ${at}`);
    for (let db = 0; db < 16; db++) assert.equal(b.server.dbs[db]!.size, 0);
  }
  const wrongMagic = Buffer.from(image);
  wrongMagic.write('RADIS', 0, 'latin1');
  assert.throws(() => loadRdbBuffer(b.server, wrongMagic, 'f.rdb'), /Wrong signature/);
  await Promise.all([a.close(), b.close()]);
});

/** Runs commands on a RawConn, failing on error replies. */
async function run(c: RawConn, cmds: string[][]): Promise<void> {
  for (const cmd of cmds) {
    const r = await c.call(...cmd);
    assert.ok(!r.startsWith('-'), `${cmd[0]}: ${r}`);
  }
}

test('a tsdis RDB loads in redis-server with identical contents; redis-check-rdb accepts it', { skip }, async () => {
  const a = await filledTsdis();
  const digest = await a.call('DEBUG', 'DIGEST');
  assert.equal(await a.call('SAVE'), 'OK');
  const file = path.join(tmp, 'dump.rdb');
  const check = spawnSync('redis-check-rdb', [file], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /RDB looks OK/);
  const dir = fs.mkdtempSync(path.join(tmp, 'r-'));
  fs.copyFileSync(file, path.join(dir, 'from-tsdis.rdb'));
  // deep sanitization: redis-server checks every listpack, intset and quicklist node entry by entry
  const r: RedisProcess = await startRedis([
    '--dir',
    dir,
    '--dbfilename',
    'from-tsdis.rdb',
    '--enable-debug-command',
    'yes',
    '--sanitize-dump-payload',
    'yes',
  ]);
  try {
    const c = await RawConn.connect(r.port);
    assert.equal(await c.call('DEBUG', 'DIGEST'), `+${digest}\r\n`);
    assert.equal(await c.call('DBSIZE'), `:${await a.call('DBSIZE')}\r\n`);
    c.close();
  } finally {
    await r.stop();
    await a.close();
  }
});

test("redis-server's RDB (every type) loads in tsdis with identical contents", { skip }, async () => {
  const r = await startRedis(['--enable-debug-command', 'yes']);
  const b = await createServer({ noListen: true, config: { ...DEBUG, dir: r.dir } });
  try {
    const c = await RawConn.connect(r.port);
    await run(c, fillCommands());
    // the compact encodings of older versions as 7.0 still writes some of them: a zset via ZUNIONSTORE etc.
    await run(c, [
      ['SELECT', '2'],
      ['ZUNIONSTORE', 'zu', '2', 'zset:small', 'zset:big'],
      ['SELECT', '0'],
    ]);
    const digest = (await c.call('DEBUG', 'DIGEST')).slice(1, -2);
    assert.equal(await c.call('SAVE'), '+OK\r\n');
    c.close();
    assert.equal(await loadRdbFile(b.server, path.join(r.dir, 'dump.rdb')), true);
    assert.equal(await b.call('DEBUG', 'DIGEST'), digest);
    assert.equal(await b.call('GET', 'str:compressible'), 'abcdefgh'.repeat(200));
  } finally {
    await r.stop();
    await b.close();
  }
});

test('DUMP payloads move between tsdis and redis-server both ways', { skip }, async () => {
  const r = await startRedis(['--enable-debug-command', 'yes', '--sanitize-dump-payload', 'yes']);
  const t = await filledTsdis();
  const tsdis = await createServer({ config: DEBUG });
  try {
    const rc = await RawConn.connect(r.port);
    const tc = await RawConn.connect(tsdis.port);
    const cmds = fillCommands();
    await run(rc, cmds);
    await run(tc, cmds);
    const keys = (await t.call('KEYS', '*')) as string[];
    assert.ok(keys.length > 20);
    const bulk = (s: string) => {
      const nl = s.indexOf('\r\n');
      return s.slice(nl + 2, nl + 2 + Number(s.slice(1, nl)));
    };
    for (const k of keys) {
      const fromRedis = bulk(await rc.call('DUMP', k));
      const fromTsdis = bulk(await tc.call('DUMP', k));
      assert.equal(await tc.call('RESTORE', 'r:' + k, '0', fromRedis), '+OK\r\n', k);
      assert.equal(await rc.call('RESTORE', 't:' + k, '0', fromTsdis), '+OK\r\n', k);
      const want = await rc.call('DEBUG', 'DIGEST-VALUE', k);
      assert.equal(await tc.call('DEBUG', 'DIGEST-VALUE', k), want, k);
      // (restored with TTL 0: the same digest unless the original has a TTL)
      if ((await rc.call('PTTL', k)) === ':-1\r\n') {
        assert.equal(await rc.call('DEBUG', 'DIGEST-VALUE', 't:' + k), want, k);
        assert.equal(await tc.call('DEBUG', 'DIGEST-VALUE', 'r:' + k), want, k);
      }
    }
    // errors, byte for byte
    const good = bulk(await rc.call('DUMP', 'str:small'));
    const flipped = good.slice(0, -1) + String.fromCharCode(good.charCodeAt(good.length - 1) ^ 1);
    // a valid footer around garbage: "Bad data format"
    const garbage = (() => {
      const body = Buffer.from([0x00, 0x7f, 0x41, 10, 0]);
      return Buffer.concat([body, crc64(body)]).latin1Slice();
    })();
    for (const cmd of [
      ['RESTORE', 'k', '0', 'short'],
      ['RESTORE', 'k', '0', flipped],
      ['RESTORE', 'k', '0', garbage],
      ['RESTORE', 'str:small', '0', good],
      ['RESTORE', 'k', '-5', good],
      ['RESTORE', 'k', 'x', good],
      ['RESTORE', 'k', '0', good, 'IDLETIME', '-1'],
      ['RESTORE', 'k', '0', good, 'FREQ', '256'],
      ['RESTORE', 'k', '0', good, 'IDLETIME', '5', 'FREQ', '5'],
      ['RESTORE', 'k', '0', good, 'BOGUS'],
      ['RESTORE', 'k', '0', good, 'IDLETIME', '100'],
      ['OBJECT', 'IDLETIME', 'k'],
      ['RESTORE', 'k2', String(Date.now() + 100000), good, 'ABSTTL'],
      ['RESTORE', 'k3', '1', good, 'ABSTTL'],
      ['EXISTS', 'k3'],
      ['RESTORE', 'k2', '0', good, 'REPLACE'],
      ['TTL', 'k2'],
      ['DUMP', 'nosuchkey'],
    ]) {
      assert.equal(await tc.call(...cmd), await rc.call(...cmd), cmd.join(' ').slice(0, 60));
    }
    rc.close();
    tc.close();
  } finally {
    await r.stop();
    await t.close();
    await tsdis.close();
  }
});
