/**
 * Hashes with field TTLs in RDB files and DUMP payloads (Redis 7.4's
 * formats, see src/persistence/rdb.ts). No Redis 7.4 is installed (the
 * reference server is 7.0, which cannot read them), so:
 *  - the bytes tsdis writes are compared with payloads derived by hand from
 *    Redis 7.4's rdb.c (rdbSaveObjectType/rdbSaveObject: the type byte, the
 *    earliest expire time as rdbSaveMillisecondTime's 8 bytes little endian,
 *    then for HASH_LISTPACK_EX the listpack as a string, for HASH_METADATA
 *    the field count and per field ttl-min+1 as a length, field, value) and
 *    listpack.c (lpEncodeIntegerGetType / lpEncodeBacklen / string
 *    headers): each byte is commented below;
 *  - hand-made payloads of all four types (and the 7.4 release candidates'
 *    _PRE_GA forms) load, and malformed ones are refused;
 *  - tsdis -> tsdis round trips: SAVE and load, BGSAVE with copy-on-write
 *    while fields change and expire, DEBUG RELOAD, DUMP/RESTORE;
 *  - a hash without field TTLs keeps the old types and the file version 10,
 *    so redis-server 7.0 loads it (checked against the real one).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServer, startRedis, hasRedis, RawConn, SKIP_NO_REDIS } from '../helpers/servers.js';
import { crc64 } from '../../src/persistence/crc64.js';
import { ListpackBuilder } from '../../src/persistence/rdb-compact.js';
import { rdbImage } from '../../src/persistence/snapshot.js';
import { waitBgsave } from '../../src/persistence/bgsave.js';
import { loadRdbBuffer } from '../../src/persistence/snapshot-load.js';
import { activeExpireCycle } from '../../src/keyspace/expire.js';
import { ReplyError } from '../../src/index.js';

const T1 = 1_700_000_000_000; // 0x0000018bcfe56800
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-hfe-rdb-'));

async function clocked(config: Record<string, string> = {}) {
  let now = T1 - 1000;
  const srv = await createServer({
    noListen: true,
    clock: () => now,
    config: { 'enable-debug-command': 'yes', ...config },
  });
  return {
    srv,
    r: (...a: (string | number | Buffer)[]) => srv.call(...a.map((x) => (Buffer.isBuffer(x) ? x : String(x)))),
    tick: (ms: number) => (now += ms),
    close: () => srv.close(),
  };
}

/** Hex text with # comments as bytes. */
function hex(s: string): Buffer {
  return Buffer.from(s.replace(/#[^\n]*/g, '').replace(/\s+/g, ''), 'hex');
}

/** A DUMP payload: body, RDB version (2 bytes LE), CRC-64 of both. */
function payload(bodyHex: string, version: number): Buffer {
  const body = hex(bodyHex);
  const v = Buffer.alloc(2);
  v.writeUInt16LE(version);
  const b = Buffer.concat([body, v]);
  return Buffer.concat([b, crc64(b)]);
}

/** Every field of every hash with its value and HPEXPIRETIME. */
async function dumpAll(r: (...a: (string | number | Buffer)[]) => Promise<unknown>): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const k of ((await r('KEYS', '*')) as string[]).sort()) {
    for (const f of (await r('HKEYS', k)) as string[])
      out[`${k}/${f}`] = [await r('HGET', k, f), await r('HPEXPIRETIME', k, 'FIELDS', 1, f)];
  }
  return out;
}

// HSET h a 1 b 2 c 3; HPEXPIREAT h T1+500 FIELDS 1 c; HPEXPIREAT h T1 FIELDS 1 b
// listpackex order (listpackExAddInternal: before the first tuple without a
// TTL or with one not below the new time): b(T1), c(T1+500), a(none).
const LISTPACK_EX = `
  19                       # RDB_TYPE_HASH_LISTPACK_EX (25)
  0068e5cf8b010000         # earliest expire time T1, 8 bytes LE
  2c                       # the listpack as a string: 6-bit length 44
    2c000000 0900          # listpack header: 44 bytes, 9 entries
    81 62 02               # "b": string of 0x80|1 bytes, b, backlen 2
    02 01                  # "2": 7-bit uint 2, backlen 1
    f4 0068e5cf8b010000 09 # T1: int64 (0xf4), 8 bytes LE, backlen 9
    81 63 02               # "c"
    03 01                  # "3"
    f4 f469e5cf8b010000 09 # T1+500
    81 61 02               # "a"
    01 01                  # "1"
    00 01                  # 0: no TTL (HASH_LP_NO_TTL), 7-bit uint
    ff                     # end of listpack
`;

// hash-max-listpack-entries 0; HSET h a 1 b 2; HPEXPIREAT h T1 FIELDS 1 a; HPEXPIREAT h T1+300 FIELDS 1 b
const METADATA = `
  18                       # RDB_TYPE_HASH_METADATA (24)
  0068e5cf8b010000         # earliest expire time T1, 8 bytes LE
  02                       # 2 fields
  01  01 61  c0 01         # ttl T1-T1+1 = 1; "a"; "1" as an 8-bit int (rdbTryIntegerEncoding)
  41 2d  01 62  c0 02      # ttl 300+1 = 301: 14-bit length 0x412d; "b"; "2"
`;

test('DUMP of a listpackex hash: Redis 7.4 HASH_LISTPACK_EX bytes, version 12', async () => {
  const s = await clocked({ rdbcompression: 'no' });
  try {
    await s.r('HSET', 'h', 'a', 1, 'b', 2, 'c', 3);
    await s.r('HPEXPIREAT', 'h', T1 + 500, 'FIELDS', 1, 'c');
    await s.r('HPEXPIREAT', 'h', T1, 'FIELDS', 1, 'b');
    assert.equal(await s.r('OBJECT', 'ENCODING', 'h'), 'listpackex');
    const dump = Buffer.from((await s.r('DUMP', 'h')) as string, 'latin1');
    assert.equal(dump.toString('hex'), payload(LISTPACK_EX, 12).toString('hex'));
    // and it restores, with its order
    await s.r('RESTORE', 'h2', 0, dump);
    assert.deepEqual(await s.r('HGETALL', 'h2'), ['b', '2', 'c', '3', 'a', '1']);
    assert.deepEqual(await s.r('HPEXPIRETIME', 'h2', 'FIELDS', 3, 'a', 'b', 'c'), [-1, T1, T1 + 500]);
    assert.equal(await s.r('OBJECT', 'ENCODING', 'h2'), 'listpackex');
  } finally {
    await s.close();
  }
});

test('DUMP of a hashtable hash with field TTLs: Redis 7.4 HASH_METADATA bytes, version 12', async () => {
  const s = await clocked({ 'hash-max-listpack-entries': '0' });
  try {
    await s.r('HSET', 'h', 'a', 1, 'b', 2);
    await s.r('HPEXPIREAT', 'h', T1, 'FIELDS', 1, 'a');
    await s.r('HPEXPIREAT', 'h', T1 + 300, 'FIELDS', 1, 'b');
    const dump = Buffer.from((await s.r('DUMP', 'h')) as string, 'latin1');
    assert.equal(dump.toString('hex'), payload(METADATA, 12).toString('hex'));
    await s.r('RESTORE', 'h2', 0, dump);
    assert.equal(await s.r('OBJECT', 'ENCODING', 'h2'), 'hashtable');
    assert.deepEqual(await s.r('HPEXPIRETIME', 'h2', 'FIELDS', 2, 'a', 'b'), [T1, T1 + 300]);
    // with the default limits a small HASH_METADATA loads as a listpackex (as Redis's rdbLoadObject does)
    await s.r('CONFIG', 'SET', 'hash-max-listpack-entries', '128');
    await s.r('RESTORE', 'h3', 0, dump);
    assert.equal(await s.r('OBJECT', 'ENCODING', 'h3'), 'listpackex');
    assert.deepEqual(await s.r('HGETALL', 'h3'), ['a', '1', 'b', '2']);
    // no field TTL: the old types and version 10 (redis-server 7.0 restores it)
    await s.r('HPERSIST', 'h', 'FIELDS', 2, 'a', 'b');
    const plain = Buffer.from((await s.r('DUMP', 'h')) as string, 'latin1');
    assert.equal(plain[0], 4); // RDB_TYPE_HASH
    assert.equal(plain.readUInt16LE(plain.length - 10), 10);
  } finally {
    await s.close();
  }
});

test("hand-made payloads of Redis 7.4's hash types (and its release candidates') load; malformed ones are refused", async () => {
  const s = await clocked();
  const restore = (key: string, h: string, v = 12) => s.r('RESTORE', key, 0, payload(h, v).toString('latin1'));
  /** A listpack of these entries (strings, or numbers as integer entries), as hex. */
  const lp = (...es: (string | number)[]) => {
    const b = new ListpackBuilder();
    for (const e of es)
      if (typeof e === 'number') b.int(e);
      else b.rawStr(e);
    const out = b.finish();
    return (
      (out.length < 64 ? out.length.toString(16).padStart(2, '0') : '40' + out.length.toString(16).padStart(2, '0')) +
      out.toString('hex')
    );
  };
  try {
    assert.equal(await restore('lpex', LISTPACK_EX), 'OK');
    assert.equal(await restore('meta', METADATA), 'OK');
    // RDB_TYPE_HASH_LISTPACK_EX_PRE_GA (23): no leading time
    assert.equal(await restore('lpex_rc', LISTPACK_EX.replace(/19 .*\n\s*0068e5cf8b010000/, '17')), 'OK');
    // RDB_TYPE_HASH_METADATA_PRE_GA (22): no leading time, absolute ttls (64-bit length 0x81 + 8 bytes BE)
    assert.equal(await restore('meta_rc', '16 02 81 0000018bcfe56800 01 61 c0 01 00 01 62 c0 02'), 'OK');
    for (const k of ['lpex', 'lpex_rc']) {
      assert.deepEqual(await s.r('HGETALL', k), ['b', '2', 'c', '3', 'a', '1'], k);
      assert.deepEqual(await s.r('HPEXPIRETIME', k, 'FIELDS', 3, 'a', 'b', 'c'), [-1, T1, T1 + 500], k);
    }
    assert.deepEqual(await s.r('HPEXPIRETIME', 'meta', 'FIELDS', 2, 'a', 'b'), [T1, T1 + 300]);
    assert.deepEqual(await s.r('HPEXPIRETIME', 'meta_rc', 'FIELDS', 2, 'a', 'b'), [T1, -1]);
    assert.equal(s.srv.server.dbs[0]!.hfe.size, 4);
    const bad = async (hex: string, why: string) => {
      const v = await restore('bad', hex);
      assert.ok(v instanceof ReplyError && v.message === 'ERR Bad data format', `${why}: ${String(v)}`);
    };
    // listpackex tuples out of TTL order: c(T1+500) before b(T1)
    await bad(`19 0000000000000000 ${lp('c', 3, T1 + 500, 'b', 2, T1)}`, 'unordered');
    // a TTL after a field without one
    await bad(`19 0000000000000000 ${lp('a', 1, 0, 'b', 2, T1)}`, 'TTL after none');
    // not triplets
    await bad(`19 0000000000000000 ${lp('a', 1, 0, 'b')}`, 'not triplets');
    // a TTL that is not an integer
    await bad(`19 0000000000000000 ${lp('a', 1, 'soon')}`, 'TTL not an integer');
    // the listpack itself is fine
    assert.equal(await restore('fine', `19 0000000000000000 ${lp('b', 2, T1, 'a', 1, 0)}`), 'OK');
    // duplicate field
    await bad('18 0068e5cf8b010000 02 01 0161 c001 01 0161 c002', 'duplicate');
    // an expire time beyond 2^48 - 1
    await bad('16 01 81 0001000000000000 01 61 c0 01', 'beyond EB_EXPIRE_TIME_MAX');
    // no field
    await bad('18 0068e5cf8b010000 00', 'empty');
    // a version newer than 12 is refused before parsing
    const v13 = await restore('bad', METADATA, 13);
    assert.ok(v13 instanceof ReplyError && v13.message === 'ERR DUMP payload version or checksum are wrong');
  } finally {
    await s.close();
  }
});

test('RDB files: version 12 only with field TTLs; SAVE, load, DEBUG RELOAD and big hashes keep every TTL', async () => {
  const dir = tmp();
  const cfg = { dir };
  let s = await clocked(cfg);
  try {
    await s.r('HSET', 'plain', 'a', 1);
    assert.equal(await s.r('SAVE'), 'OK');
    assert.equal(fs.readFileSync(path.join(dir, 'dump.rdb')).subarray(0, 9).toString(), 'REDIS0010');
    await s.r('HSET', 'small', 'a', 1, 'b', 2, 'c', 'x'.repeat(30));
    await s.r('HPEXPIRE', 'small', 5000, 'FIELDS', 2, 'c', 'a');
    const big: string[] = [];
    for (let i = 0; i < 5000; i++) big.push(`f${i}`, i % 3 ? `value-${i}` : String(i));
    await s.r('HSET', 'big', ...big);
    for (let i = 0; i < 5000; i += 7) await s.r('HPEXPIRE', 'big', 10000 + (i % 100) * 1000, 'FIELDS', 1, `f${i}`);
    await s.r('HSET', 'onlyexpired', 'x', 1);
    await s.r('HPEXPIRE', 'onlyexpired', 10, 'FIELDS', 1, 'x');
    s.tick(20); // 'x' is logically expired but still stored: it is saved, and expires after loading
    await s.r('SELECT', 3);
    await s.r('HSETEX', 'db3', 'PX', 100000, 'FIELDS', 1, 'f', 'v');
    await s.r('SELECT', 0);
    const before = await dumpAll(s.r);
    const digest = await s.r('DEBUG', 'DIGEST');
    assert.equal(await s.r('SAVE'), 'OK');
    const file = fs.readFileSync(path.join(dir, 'dump.rdb'));
    assert.equal(file.subarray(0, 9).toString(), 'REDIS0012');
    await s.r('DEBUG', 'RELOAD');
    assert.deepEqual(await s.r('DEBUG', 'DIGEST'), digest);
    assert.equal(s.srv.server.dbs[0]!.hfe.size, 3);
    assert.equal(s.srv.server.dbs[3]!.hfe.size, 1);
    await s.close();
    s = await clocked(cfg);
    s.tick(20);
    assert.deepEqual(await s.r('DEBUG', 'DIGEST'), digest);
    assert.equal(await s.r('OBJECT', 'ENCODING', 'small'), 'listpackex');
    assert.equal(await s.r('OBJECT', 'ENCODING', 'big'), 'hashtable');
    assert.deepEqual(await dumpAll(s.r), before);
    // the loaded hashes are in the index: the active cycle finds them
    assert.equal(await s.r('HLEN', 'onlyexpired'), 1);
    activeExpireCycle(s.srv.server, 100);
    assert.equal(await s.r('EXISTS', 'onlyexpired'), 0);
    s.tick(200_000);
    for (let i = 0; i < 40; i++) activeExpireCycle(s.srv.server, 100);
    assert.equal(await s.r('HLEN', 'big'), 5000 - Math.ceil(5000 / 7));
    assert.deepEqual(await s.r('HKEYS', 'small'), ['b']);
    // the image of a dataset without field TTLs left is version 10 again
    await s.r('FLUSHALL');
    await s.r('HSET', 'h', 'a', 1);
    await s.r('HPEXPIRE', 'h', 100, 'FIELDS', 1, 'a');
    await s.r('HPERSIST', 'h', 'FIELDS', 1, 'a');
    assert.equal(Buffer.concat(rdbImage(s.srv.server)).subarray(0, 9).toString(), 'REDIS0010');
  } finally {
    await s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('BGSAVE: a snapshot of hashes with field TTLs is the data at its start (copy-on-write before lazy and active field expiry)', async () => {
  const dir = tmp();
  const s = await clocked({ dir });
  try {
    await s.r('DEBUG', 'SET-ACTIVE-EXPIRE', 0);
    await s.r('HSET', 'small', 'a', 1, 'b', 2, 'c', 3);
    await s.r('HPEXPIRE', 'small', 100, 'FIELDS', 2, 'a', 'b');
    const big: string[] = [];
    for (let i = 0; i < 3000; i++) big.push(`f${i}`, `v${i}`); // more than a BGSAVE writes in one go
    await s.r('HSET', 'big', ...big);
    for (let i = 0; i < 3000; i += 2) await s.r('HPEXPIRE', 'big', 100 + (i % 50), 'FIELDS', 1, `f${i}`);
    await s.r('HSET', 'big2', ...big); // unchanged: the walk writes it a few hundred fields per step
    for (let i = 0; i < 3000; i += 3) await s.r('HPEXPIRE', 'big2', 100000 + i, 'FIELDS', 1, `f${i}`);
    await s.r('HSET', 'later', 'x', 1);
    const before = await dumpAll(s.r);
    const digest = await s.r('DEBUG', 'DIGEST');
    assert.equal(await s.r('BGSAVE'), 'Background saving started');
    // before the walk's first slice (no await lets setImmediate run): change and expire fields
    s.tick(200);
    assert.equal(await s.r('HGET', 'small', 'a'), null); // lazy
    activeExpireCycle(s.srv.server, 100); // active: 'big' loses fields
    assert.ok(((await s.r('HLEN', 'big')) as number) < 3000);
    await s.r('HPERSIST', 'small', 'FIELDS', 1, 'b');
    await s.r('HPEXPIRE', 'later', 1000, 'FIELDS', 1, 'x');
    assert.equal(await waitBgsave(s.srv.server), true);
    const t = await clocked();
    try {
      loadRdbBuffer(t.srv.server, fs.readFileSync(path.join(dir, 'dump.rdb')), 'dump.rdb');
      assert.deepEqual(await t.r('DEBUG', 'DIGEST'), digest);
      assert.deepEqual(await dumpAll(t.r), before);
    } finally {
      await t.close();
    }
  } finally {
    await s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a Redis 7.4 RDB with a cluster SLOT_INFO opcode loads (the opcode is skipped)', async () => {
  const s = await clocked();
  try {
    const body = Buffer.concat([
      Buffer.from('REDIS0012', 'latin1'),
      hex(`
        fe 00                  # SELECTDB 0
        f4 05 01 00            # SLOT_INFO: slot 5, 1 key, 0 expires
        fb 01 00               # RESIZEDB
        18 01 68               # HASH_METADATA, key "h"
        0068e5cf8b010000 01    # earliest time, 1 field
        00 01 61 c0 01         # no ttl, "a", "1"
        ff                     # EOF
      `),
    ]);
    const file = Buffer.concat([body, crc64(body)]);
    loadRdbBuffer(s.srv.server, file, 'mem.rdb');
    assert.deepEqual(await s.r('HGETALL', 'h'), ['a', '1']);
    assert.deepEqual(await s.r('HTTL', 'h', 'FIELDS', 1, 'a'), [-1]);
  } finally {
    await s.close();
  }
});

test(
  'redis-server 7.0 loads a tsdis RDB whose hashes had field TTLs once (old types, version 10)',
  { skip: hasRedis() ? false : SKIP_NO_REDIS },
  async () => {
    const dir = tmp();
    const s = await clocked({ dir });
    try {
      await s.r('HSET', 'lp', 'a', 1, 'b', 2);
      await s.r('HPEXPIRE', 'lp', 100, 'FIELDS', 1, 'a');
      await s.r('HPERSIST', 'lp', 'FIELDS', 1, 'a'); // a listpackex with no TTL left: written as HASH_LISTPACK
      await s.r('HSET', 'gone', 'a', 1, 'b', 2);
      await s.r('HPEXPIRE', 'gone', 10, 'FIELDS', 1, 'a');
      s.tick(20);
      await s.r('HGET', 'gone', 'a');
      const big: string[] = [];
      for (let i = 0; i < 200; i++) big.push(`f${i}`, `v${i}`);
      await s.r('HSET', 'ht', ...big);
      await s.r('HPEXPIRE', 'ht', 100, 'FIELDS', 1, 'f1');
      await s.r('HDEL', 'ht', 'f1');
      assert.equal(await s.r('OBJECT', 'ENCODING', 'lp'), 'listpackex');
      const digest = await s.r('DEBUG', 'DIGEST');
      const dumpLp = (await s.r('DUMP', 'lp')) as string;
      assert.equal(await s.r('SAVE'), 'OK');
      assert.equal(fs.readFileSync(path.join(dir, 'dump.rdb')).subarray(0, 9).toString(), 'REDIS0010');
      const rdir = tmp();
      fs.copyFileSync(path.join(dir, 'dump.rdb'), path.join(rdir, 'from-tsdis.rdb'));
      const red = await startRedis([
        '--dir',
        rdir,
        '--dbfilename',
        'from-tsdis.rdb',
        '--enable-debug-command',
        'yes',
        '--sanitize-dump-payload',
        'yes',
      ]);
      try {
        const c = await RawConn.connect(red.port);
        assert.equal(await c.call('DEBUG', 'DIGEST'), `+${digest}\r\n`);
        assert.equal(await c.call('RESTORE', 'lp2', '0', dumpLp), '+OK\r\n');
        assert.equal(await c.call('HGETALL', 'lp2'), '*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\n1\r\n');
        c.close();
      } finally {
        await red.stop();
        fs.rmSync(rdir, { recursive: true, force: true });
      }
    } finally {
      await s.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
