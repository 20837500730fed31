/**
 * Hash-field expiration: HEXPIRE HPEXPIRE HEXPIREAT HPEXPIREAT HTTL HPTTL
 * HEXPIRETIME HPEXPIRETIME HPERSIST (Redis 7.4) and HGETEX HSETEX HGETDEL
 * (Redis 8.0). The reference redis-server here is 7.0, which has none of
 * them, so these are the cases of Redis's tests/unit/type/hash-field-expire.tcl
 * (7.4 branch for the 7.4 commands, 8.0's for the three 8.0 ones) ported as
 * the executable spec, with their exact replies and error texts, run for
 * both encodings (listpackex and hashtable). Time is an injected clock, so
 * "after 5" is exact and nothing sleeps; the active cycle is called directly.
 *
 * Also pinned here from Redis's source: the listpackex field order (HGETALL
 * order), keyspace events, the propagated (AOF) forms, INFO's subexpiry and
 * expired_subkeys, and the COMMAND INFO / DOCS entries of the 12 commands
 * (from Redis's JSON files).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServer, RawConn } from '../helpers/servers.js';
import { decode } from '../helpers/diff.js';
import { incrFile } from '../helpers/aof.js';
import { readCommands } from '../../src/persistence/aof.js';
import { activeExpireCycle } from '../../src/keyspace/expire.js';
import { ReplyError } from '../../src/index.js';

const T0 = 1_700_000_000_000;

/** An in-process server on an injected clock: r() runs a command, tick() moves time. */
async function clocked(config: Record<string, string> = {}, listen = false, start = T0) {
  let now = start;
  const srv = await createServer({
    noListen: !listen,
    clock: () => now,
    config: { 'enable-debug-command': 'yes', ...config },
  });
  return {
    srv,
    r: (...a: (string | number)[]) => srv.call(...a.map(String)),
    tick(ms: number) {
      now += ms;
    },
    get now() {
      return now;
    },
    /** One slow active expire cycle (hz 10). */
    cycle() {
      activeExpireCycle(srv.server, 100);
    },
    close: () => srv.close(),
  };
}
type Clocked = Awaited<ReturnType<typeof clocked>>;

/** The message of an error reply (fails when the reply is not an error). */
function errOf(v: unknown): string {
  assert.ok(v instanceof ReplyError, `expected an error, got ${JSON.stringify(v)}`);
  return v.message;
}

const sorted = (v: unknown) => [...(v as string[])].sort();

const E_NO_FIELD = -2;
const E_FAIL = 0;
const E_OK = 1;
const E_DELETED = 2;
const T_NO_FIELD = -2;
const T_NO_EXPIRY = -1;
const P_NO_FIELD = -2;
const P_NO_EXPIRY = -1;
const P_OK = 1;

const ENCODINGS = [
  ['listpackex', {}],
  ['hashtable', { 'hash-max-listpack-entries': '0' }],
] as const;

for (const [type, config] of ENCODINGS) {
  /** Runs body against a fresh server for this encoding. */
  const withServer = (name: string, body: (s: Clocked) => Promise<void>) =>
    test(`${name} (${type})`, async () => {
      const s = await clocked(config);
      try {
        await body(s);
      } finally {
        await s.close();
      }
    });

  withServer('HEXPIRE/HEXPIREAT/HPEXPIRE/HPEXPIREAT - Returns array if the key does not exist', async ({ r }) => {
    assert.deepEqual(await r('HEXPIRE', 'myhash', 1000, 'FIELDS', 1, 'a'), [E_NO_FIELD]);
    assert.deepEqual(await r('HEXPIREAT', 'myhash', 1000, 'FIELDS', 1, 'a'), [E_NO_FIELD]);
    assert.deepEqual(await r('HPEXPIRE', 'myhash', 1000, 'FIELDS', 2, 'a', 'b'), [E_NO_FIELD, E_NO_FIELD]);
    assert.deepEqual(await r('HPEXPIREAT', 'myhash', 1000, 'FIELDS', 2, 'a', 'b'), [E_NO_FIELD, E_NO_FIELD]);
    assert.equal(await r('EXISTS', 'myhash'), 0);
  });

  withServer('HEXPIRE family - the expire time does not overflow', async ({ r, now }) => {
    await r('HSET', 'myhash', 'f1', 'v1');
    assert.equal(errOf(await r('HEXPIRE', 'myhash', -1, 'FIELDS', 1, 'f1')), 'ERR invalid expire time, must be >= 0');
    assert.equal(
      errOf(await r('HEXPIRE', 'myhash', '-9223372036854775808', 'FIELDS', 1, 'f1')),
      'ERR invalid expire time, must be >= 0',
    );
    assert.equal(
      errOf(await r('HEXPIRE', 'myhash', Math.floor(2 ** 48 / 1000), 'FIELDS', 1, 'f1')),
      "ERR invalid expire time in 'hexpire' command",
    );
    assert.equal(
      errOf(
        await r('HEXPIREAT', 'myhash', Math.floor(2 ** 48 / 1000) + Math.floor(now / 1000) + 100, 'FIELDS', 1, 'f1'),
      ),
      "ERR invalid expire time in 'hexpireat' command",
    );
    assert.equal(
      errOf(await r('HPEXPIRE', 'myhash', 2 ** 48, 'FIELDS', 1, 'f1')),
      "ERR invalid expire time in 'hpexpire' command",
    );
    assert.equal(
      errOf(await r('HPEXPIREAT', 'myhash', 2 ** 48 + now + 100, 'FIELDS', 1, 'f1')),
      "ERR invalid expire time in 'hpexpireat' command",
    );
    assert.equal(
      errOf(await r('HPEXPIRE', 'myhash', 'x', 'FIELDS', 1, 'f1')),
      'ERR value is not an integer or out of range',
    );
    assert.equal(
      errOf(await r('HPEXPIRE', 'myhash', '9223372036854775808', 'FIELDS', 1, 'f1')),
      'ERR value is not an integer or out of range',
    );
    // the limit is 2^46 - 1 ms, absolute
    assert.deepEqual(await r('HPEXPIRE', 'myhash', 2 ** 46 - now - 1000, 'FIELDS', 1, 'f1'), [E_OK]);
    assert.deepEqual(await r('HPEXPIREAT', 'myhash', 2 ** 46 - 1, 'FIELDS', 1, 'f1'), [E_OK]);
    assert.equal(
      errOf(await r('HPEXPIREAT', 'myhash', 2 ** 46, 'FIELDS', 1, 'f1')),
      "ERR invalid expire time in 'hpexpireat' command",
    );
    assert.equal(
      errOf(await r('HPEXPIRE', 'myhash', 2 ** 46 - now + 100, 'FIELDS', 1, 'f1')),
      "ERR invalid expire time in 'hpexpire' command",
    );
  });

  withServer("HPEXPIRE(AT) - Test 'NX' flag", async ({ r, now }) => {
    await r('HSET', 'myhash', 'field1', 'value1', 'field2', 'value2', 'field3', 'value3');
    assert.deepEqual(await r('HPEXPIRE', 'myhash', 1000, 'NX', 'FIELDS', 1, 'field1'), [E_OK]);
    assert.deepEqual(await r('HPEXPIRE', 'myhash', 1000, 'NX', 'FIELDS', 2, 'field1', 'field2'), [E_FAIL, E_OK]);
    await r('DEL', 'myhash');
    await r('HSET', 'myhash', 'field1', 'value1', 'field2', 'value2', 'field3', 'value3');
    assert.deepEqual(await r('HPEXPIREAT', 'myhash', now + 1_000_000, 'nx', 'FIELDS', 1, 'field1'), [E_OK]);
    assert.deepEqual(await r('HPEXPIREAT', 'myhash', now + 1_000_000, 'NX', 'fields', 2, 'field1', 'field2'), [
      E_FAIL,
      E_OK,
    ]);
  });

  withServer("HPEXPIRE(AT) - Test 'XX' flag", async ({ r }) => {
    await r('HSET', 'myhash', 'field1', 'value1', 'field2', 'value2', 'field3', 'value3');
    assert.deepEqual(await r('HPEXPIRE', 'myhash', 1000, 'NX', 'FIELDS', 2, 'field1', 'field2'), [E_OK, E_OK]);
    assert.deepEqual(await r('HPEXPIRE', 'myhash', 1000, 'XX', 'FIELDS', 2, 'field1', 'field3'), [E_OK, E_FAIL]);
  });

  withServer("HPEXPIRE(AT) - Test 'GT' flag", async ({ r }) => {
    await r('HSET', 'myhash', 'field1', 'value1', 'field2', 'value2');
    assert.deepEqual(await r('HPEXPIRE', 'myhash', 1000, 'NX', 'FIELDS', 1, 'field1'), [E_OK]);
    assert.deepEqual(await r('HPEXPIRE', 'myhash', 2000, 'NX', 'FIELDS', 1, 'field2'), [E_OK]);
    assert.deepEqual(await r('HPEXPIRE', 'myhash', 1500, 'GT', 'FIELDS', 2, 'field1', 'field2'), [E_OK, E_FAIL]);
    // no TTL counts as infinite: GT fails
    await r('HSET', 'myhash', 'field3', 'v');
    assert.deepEqual(await r('HPEXPIRE', 'myhash', 1500, 'GT', 'FIELDS', 1, 'field3'), [E_FAIL]);
  });

  withServer("HPEXPIRE(AT) - Test 'LT' flag", async ({ r }) => {
    await r('HSET', 'myhash', 'field1', 'value1', 'field2', 'value2', 'field3', 'value3');
    assert.deepEqual(await r('HPEXPIRE', 'myhash', 1000, 'NX', 'FIELDS', 1, 'field1'), [E_OK]);
    assert.deepEqual(await r('HPEXPIRE', 'myhash', 2000, 'NX', 'FIELDS', 1, 'field2'), [E_OK]);
    assert.deepEqual(await r('HPEXPIRE', 'myhash', 1500, 'LT', 'FIELDS', 3, 'field1', 'field2', 'field3'), [
      E_FAIL,
      E_OK,
      E_OK,
    ]);
  });

  withServer('HPEXPIREAT - field not exists or TTL is in the past', async ({ r, now }) => {
    await r('HSET', 'myhash', 'f1', 'v1', 'f2', 'v2', 'f4', 'v4');
    await r('HEXPIRE', 'myhash', 1000, 'NX', 'FIELDS', 1, 'f4');
    assert.deepEqual(await r('HPEXPIREAT', 'myhash', now - 1000, 'NX', 'FIELDS', 4, 'f1', 'f2', 'f3', 'f4'), [
      E_DELETED,
      E_DELETED,
      E_NO_FIELD,
      E_FAIL,
    ]);
    assert.equal(await r('HEXISTS', 'myhash', 'f1'), 0);
    // a time equal to now deletes too (Redis's checkAlreadyExpired: when <= now)
    assert.deepEqual(await r('HPEXPIREAT', 'myhash', now, 'FIELDS', 1, 'f4'), [E_DELETED]);
    assert.equal(await r('EXISTS', 'myhash'), 0);
  });

  withServer('HPEXPIRE - wrong number of arguments and FIELDS position', async ({ r }) => {
    await r('HSET', 'myhash', 'f1', 'v1');
    assert.equal(
      errOf(await r('HPEXPIRE', 'myhash', 1000, 'NX', 'FIELDS', 0, 'f1', 'f2', 'f3')),
      'ERR Parameter `numFields` should be greater than 0',
    );
    assert.equal(
      errOf(await r('HPEXPIRE', 'myhash', 1000, 'NX', 'FIELDS', 'x', 'f1')),
      'ERR Parameter `numFields` should be greater than 0',
    );
    assert.equal(
      errOf(await r('HPEXPIRE', 'myhash', 1000, 'NX', 'FIELDS', 4, 'f1', 'f2', 'f3')),
      'ERR The `numfields` parameter must match the number of arguments',
    );
    assert.equal(
      errOf(await r('HPEXPIRE', 'myhash', 1000, 'NX', 'FIELDS', 2, 'f1', 'f2', 'f3')),
      'ERR The `numfields` parameter must match the number of arguments',
    );
    assert.equal(
      errOf(await r('HPEXPIRE', 'myhash', 1000, 'FIELDS')),
      "ERR wrong number of arguments for 'hpexpire' command",
    );
    assert.equal(
      errOf(await r('HPEXPIRE', 'myhash', 1000, 'XX', 1, 'f1')),
      'ERR Mandatory argument FIELDS is missing or not at the right position',
    );
    assert.equal(
      errOf(await r('HPEXPIRE', 'myhash', 1000, 'FOO', 'FIELDS', 1, 'f1')),
      'ERR Mandatory argument FIELDS is missing or not at the right position',
    );
    // the time is checked before the rest, the type before the time
    assert.equal(
      errOf(await r('HPEXPIRE', 'myhash', -5, 'FOO', 'BAR', 1, 'f1')),
      'ERR invalid expire time, must be >= 0',
    );
    await r('SET', 'str', 'x');
    assert.equal(
      errOf(await r('HPEXPIRE', 'str', -5, 'FOO', 'BAR', 1, 'f1')),
      'WRONGTYPE Operation against a key holding the wrong kind of value',
    );
  });

  withServer('Lazy Expire - fields are lazy deleted', async ({ r, tick }) => {
    await r('HSET', 'myhash', 'f1', 'v1', 'f2', 'v2', 'f3', 'v3');
    await r('HPEXPIRE', 'myhash', 1, 'NX', 'FIELDS', 3, 'f1', 'f2', 'f3');
    tick(5);
    assert.equal(await r('EXISTS', 'myhash'), 1);
    assert.equal(await r('HLEN', 'myhash'), 3); // HLEN counts expired fields
    assert.equal(await r('HEXISTS', 'myhash', 'f1'), 0);
    assert.equal(await r('HLEN', 'myhash'), 2);
    assert.equal(await r('HGET', 'myhash', 'f2'), null);
    assert.equal(await r('HLEN', 'myhash'), 1);
    assert.equal(await r('HSTRLEN', 'myhash', 'f3'), 0);
    assert.equal(await r('HLEN', 'myhash'), 0);
    assert.equal(await r('EXISTS', 'myhash'), 0);
  });

  withServer('Active Expire - deletes hash that all its fields got expired', async (s) => {
    const { r, tick } = s;
    const sizes = [1, 15, 16, 17, 31, 32, 33, 40];
    let seed = 1;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
    for (const h of sizes) {
      for (let i = 1; i <= h; i++) {
        await r('HSET', `hrand${h}`, `f${i}`, `v${i}`);
        await r('HPEXPIRE', `hrand${h}`, 50 + Math.floor(rnd() * 50), 'FIELDS', 1, `f${i}`);
        await r('HSET', `same${h}`, `f${i}`, `v${i}`);
        await r('HPEXPIRE', `same${h}`, 100, 'FIELDS', 1, `f${i}`);
        await r('HSET', `mix${h}`, `f${i}`, `v${i}`, `fieldWithoutExpire${i}`, `v${i}`);
        await r('HPEXPIRE', `mix${h}`, 100, 'FIELDS', 1, `f${i}`);
      }
    }
    tick(50);
    s.cycle();
    tick(60);
    s.cycle();
    for (const h of sizes) {
      assert.equal(await r('HLEN', `mix${h}`), h);
      for (let i = 1; i <= h; i++) assert.equal(await r('HEXISTS', `mix${h}`, `f${i}`), 0);
      assert.equal(await r('EXISTS', `hrand${h}`), 0);
      assert.equal(await r('EXISTS', `same${h}`), 0);
    }
    assert.equal(
      s.srv.server.stats.expiredSubkeys,
      sizes.reduce((a, b) => a + 3 * b, 0),
    );
    assert.equal(s.srv.server.dbs[0]!.hfe.size, 0);
  });

  withServer('HPEXPIRE - Flushall deletes all pending expired fields', async ({ r, srv }) => {
    await r('HSET', 'myhash', 'field1', 'value1', 'field2', 'value2');
    await r('HPEXPIRE', 'myhash', 10000, 'NX', 'FIELDS', 1, 'field1');
    await r('HPEXPIRE', 'myhash', 10000, 'NX', 'FIELDS', 1, 'field2');
    assert.equal(srv.server.dbs[0]!.hfe.size, 1);
    await r('FLUSHALL');
    assert.equal(srv.server.dbs[0]!.hfe.size, 0);
  });

  withServer('HTTL/HPTTL/HEXPIRETIME/HPEXPIRETIME', async ({ r, tick, now }) => {
    assert.deepEqual(await r('HTTL', 'myhash', 'FIELDS', 1, 'a'), [T_NO_FIELD]);
    assert.deepEqual(await r('HPTTL', 'myhash', 'FIELDS', 2, 'a', 'b'), [T_NO_FIELD, T_NO_FIELD]);
    assert.deepEqual(await r('HEXPIRETIME', 'myhash', 'FIELDS', 1, 'a'), [T_NO_FIELD]);
    assert.deepEqual(await r('HPEXPIRETIME', 'myhash', 'FIELDS', 2, 'a', 'b'), [T_NO_FIELD, T_NO_FIELD]);
    await r('HSET', 'myhash', 'field1', 'value1', 'field2', 'value2');
    // a hash without any TTL
    assert.deepEqual(await r('HTTL', 'myhash', 'FIELDS', 2, 'field1', 'nofield'), [T_NO_EXPIRY, T_NO_FIELD]);
    await r('HPEXPIRE', 'myhash', 1000, 'NX', 'FIELDS', 1, 'field1');
    for (const cmd of ['HTTL', 'HPTTL', 'HEXPIRETIME', 'HPEXPIRETIME']) {
      assert.deepEqual(await r(cmd, 'myhash', 'FIELDS', 2, 'field2', 'non_exists_field'), [T_NO_EXPIRY, T_NO_FIELD]);
      assert.equal(
        errOf(await r(cmd, 'myhash', 'FIELDS', 1, 'a', 'b')),
        'ERR The `numfields` parameter must match the number of arguments',
      );
      assert.equal(
        errOf(await r(cmd, 'myhash', 'FIELDS', 3, 'a', 'b')),
        'ERR The `numfields` parameter must match the number of arguments',
      );
      assert.equal(errOf(await r(cmd, 'myhash', 'FIELDS', 0, 'a')), 'ERR Number of fields must be a positive integer');
      assert.equal(errOf(await r(cmd, 'myhash', 'FIELDS', -1, 'a')), 'ERR Number of fields must be a positive integer');
      assert.equal(
        errOf(await r(cmd, 'myhash', 'FILEDS', 1, 'a')),
        'ERR Mandatory argument FIELDS is missing or not at the right position',
      );
      assert.equal(
        errOf(await r(cmd, 'myhash', 'FIELDS', 1)),
        `ERR wrong number of arguments for '${cmd.toLowerCase()}' command`,
      );
    }
    assert.deepEqual(await r('HTTL', 'myhash', 'FIELDS', 1, 'field1'), [1]);
    assert.deepEqual(await r('HPTTL', 'myhash', 'FIELDS', 1, 'field1'), [1000]);
    assert.deepEqual(await r('HEXPIRETIME', 'myhash', 'FIELDS', 1, 'field1'), [Math.floor((now + 1000 + 999) / 1000)]);
    assert.deepEqual(await r('HPEXPIRETIME', 'myhash', 'FIELDS', 1, 'field1'), [now + 1000]);
    tick(100);
    assert.deepEqual(await r('HPTTL', 'myhash', 'FIELDS', 1, 'field1'), [900]);
    assert.deepEqual(await r('HTTL', 'myhash', 'FIELDS', 1, 'field1'), [1]); // rounded up
    tick(899);
    assert.deepEqual(await r('HPTTL', 'myhash', 'FIELDS', 1, 'field1'), [1]);
    tick(1);
    // Exactly at its time: Redis 7.4 answers -2 for a listpackex field but 0 for a hashtable one
    assert.deepEqual(await r('HPTTL', 'myhash', 'FIELDS', 1, 'field1'), [type === 'listpackex' ? T_NO_FIELD : 0]);
    assert.equal(await r('HGET', 'myhash', 'field1'), 'value1'); // not expired yet: its time is not before now
    tick(1);
    assert.deepEqual(await r('HPTTL', 'myhash', 'FIELDS', 1, 'field1'), [T_NO_FIELD]);
    assert.deepEqual(await r('HTTL', 'myhash', 'FIELDS', 1, 'field1'), [T_NO_FIELD]);
    assert.equal(await r('HLEN', 'myhash'), 2); // HTTL deletes nothing
  });

  withServer('HEXPIREAT - Set time in the past, then TTL', async ({ r, now }) => {
    await r('HSET', 'myhash', 'field1', 'value1');
    assert.deepEqual(await r('HEXPIREAT', 'myhash', Math.floor(now / 1000) - 1, 'NX', 'FIELDS', 1, 'field1'), [
      E_DELETED,
    ]);
    assert.equal(await r('HEXISTS', 'myhash', 'field1'), 0);
    await r('HSET', 'myhash', 'field1', 'value1');
    await r('HEXPIREAT', 'myhash', Math.floor(now / 1000) + 2, 'NX', 'FIELDS', 1, 'field1');
    assert.deepEqual(await r('HPTTL', 'myhash', 'FIELDS', 1, 'field1'), [2000]);
    assert.deepEqual(await r('HTTL', 'myhash', 'FIELDS', 1, 'field1'), [2]);
    await r('HEXPIREAT', 'myhash', Math.floor(now / 1000) + 5, 'XX', 'FIELDS', 1, 'field1');
    assert.deepEqual(await r('HTTL', 'myhash', 'FIELDS', 1, 'field1'), [5]);
  });

  withServer('Test HRANDFIELD deletes all expired fields', async ({ r, tick, srv }) => {
    await r('HSET', 'myhash', 'f1', 'v1', 'f2', 'v2', 'f3', 'v3', 'f4', 'v4', 'f5', 'v5');
    await r('HPEXPIRE', 'myhash', 1, 'FIELDS', 2, 'f1', 'f2');
    tick(5);
    assert.deepEqual(sorted(await r('HRANDFIELD', 'myhash', 5)), ['f3', 'f4', 'f5']);
    assert.equal(srv.server.stats.expiredSubkeys, 2);
    await r('HPEXPIRE', 'myhash', 1, 'FIELDS', 3, 'f3', 'f4', 'f5');
    tick(5);
    assert.deepEqual(await r('HRANDFIELD', 'myhash', 5), []);
    assert.deepEqual(await r('KEYS', '*'), []);
    await r('HSET', 'myhash', 'f1', 'v1', 'f2', 'v2', 'f3', 'v3');
    await r('HPEXPIRE', 'myhash', 1, 'FIELDS', 1, 'f1');
    tick(5);
    assert.ok(['f2', 'f3'].includes((await r('HRANDFIELD', 'myhash')) as string));
    await r('HPEXPIRE', 'myhash', 1, 'FIELDS', 1, 'f2');
    tick(5);
    assert.deepEqual(await r('HRANDFIELD', 'myhash', -5, 'WITHVALUES'), [
      'f3',
      'v3',
      'f3',
      'v3',
      'f3',
      'v3',
      'f3',
      'v3',
      'f3',
      'v3',
    ]);
    await r('HPEXPIRE', 'myhash', 1, 'FIELDS', 1, 'f3');
    tick(5);
    assert.equal(await r('HRANDFIELD', 'myhash'), null);
    assert.deepEqual(await r('KEYS', '*'), []);
  });

  withServer('Lazy Expire - HLEN counts expired fields; HSCAN does not report them', async ({ r, tick }) => {
    await r('HSET', 'h1', '01', '01');
    await r('HPEXPIRE', 'h1', 1, 'NX', 'FIELDS', 1, '01');
    await r('HSET', 'h4', '01', '01', '02', '02', '03', '03', '04', '04');
    await r('HPEXPIRE', 'h4', 1, 'NX', 'FIELDS', 3, '01', '03', '04');
    const h20: string[] = [];
    for (let i = 1; i <= 20; i++) h20.push(String(i).padStart(2, '0'), String(i).padStart(2, '0'));
    await r('HSET', 'h20', ...h20);
    await r('HPEXPIRE', 'h20', 1, 'NX', 'FIELDS', 2, '01', '02');
    tick(10);
    assert.equal(await r('HLEN', 'h1'), 1);
    assert.equal(await r('HLEN', 'h4'), 4);
    assert.equal(await r('HLEN', 'h20'), 20);
    const scanned = async (k: string) =>
      [...new Set(((await r('HSCAN', k, 0, 'COUNT', 100)) as [string, string[]])[1])].sort();
    assert.deepEqual(await scanned('h1'), []);
    assert.deepEqual(await scanned('h4'), ['02']);
    assert.deepEqual(await scanned('h20'), h20.filter((_, i) => i % 2 === 0).slice(2));
    assert.equal(await r('HLEN', 'h20'), 20); // HSCAN deletes nothing
  });

  withServer('Lazy Expire - verify various HASH commands handling expired fields', async ({ r, tick, srv }) => {
    await r('HSET', 'h1', '01', '01');
    await r('HSET', 'h2', '01', '01', '02', '02');
    await r('HSET', 'h3', '01', '01', '02', '02', '03', '03');
    await r('HSET', 'h4', '1', '99', '2', '99', '3', '99', '4', '99');
    await r('HSET', 'h5', '1', '1', '2', '22', '3', '333', '4', '4444', '5', '55555');
    await r('HSET', 'h6', '01', '01', '02', '02', '03', '03', '04', '04', '05', '05', '06', '06');
    const h18: string[] = [];
    for (let i = 1; i <= 18; i++) h18.push(String(i).padStart(2, '0'), String(i).padStart(2, '0'));
    await r('HSET', 'h18', ...h18);
    await r('HPEXPIRE', 'h1', 1, 'NX', 'FIELDS', 1, '01');
    await r('HPEXPIRE', 'h2', 1, 'NX', 'FIELDS', 1, '01');
    await r('HPEXPIRE', 'h2', 1, 'NX', 'FIELDS', 1, '02');
    await r('HPEXPIRE', 'h3', 1, 'NX', 'FIELDS', 1, '01');
    await r('HPEXPIRE', 'h4', 1, 'NX', 'FIELDS', 1, '2');
    await r('HPEXPIRE', 'h5', 1, 'NX', 'FIELDS', 1, '3');
    await r('HPEXPIRE', 'h6', 1, 'NX', 'FIELDS', 1, '05');
    await r('HPEXPIRE', 'h18', 1, 'NX', 'FIELDS', 17, ...h18.filter((_, i) => i % 2 === 0).slice(0, 17));
    tick(5);
    assert.equal(await r('HDEL', 'h1', '01'), 1); // HDEL does not check for expiry
    await r('CONFIG', 'RESETSTAT');
    const stat = () => srv.server.stats.expiredSubkeys;
    assert.equal(await r('HGET', 'h2', '01'), null);
    assert.equal(stat(), 1);
    assert.equal(await r('HGET', 'h2', '02'), null);
    assert.equal(stat(), 2);
    assert.equal(await r('HGET', 'h3', '01'), null);
    assert.equal(await r('HGET', 'h3', '02'), '02');
    assert.equal(await r('HGET', 'h3', '03'), '03');
    assert.equal(stat(), 3);
    assert.equal(await r('HINCRBY', 'h4', '2', 1), 1);
    assert.equal(stat(), 4);
    assert.equal(await r('HINCRBY', 'h4', '3', 1), 100);
    assert.equal(await r('HSTRLEN', 'h5', '3'), 0);
    assert.equal(stat(), 5);
    assert.equal(await r('HSTRLEN', 'h5', '4'), 4);
    assert.deepEqual(sorted(await r('HKEYS', 'h6')), ['01', '02', '03', '04', '06']);
    assert.equal(stat(), 5);
    assert.equal(await r('HEXISTS', 'h18', '07'), 0);
    assert.equal(stat(), 6);
    assert.equal(await r('HEXISTS', 'h18', '18'), 1);
    assert.deepEqual(sorted(await r('HVALS', 'h18')), ['18']);
    assert.equal(stat(), 6);
    assert.match(String(await r('INFO', 'stats')), /\r\nexpired_subkeys:6\r\nexpired_keys:0\r\n/);
  });

  withServer(
    'A field with TTL overridden with another value (TTL discarded); HSET return value',
    async ({ r, tick }) => {
      await r('HSET', 'myhash', 'field1', 'value1', 'field2', 'value2', 'field3', 'value3');
      await r('HPEXPIRE', 'myhash', 10000, 'NX', 'FIELDS', 1, 'field1');
      await r('HPEXPIRE', 'myhash', 1, 'NX', 'FIELDS', 1, 'field2');
      await r('HSET', 'myhash', 'field2', 'value4');
      tick(5);
      assert.equal(await r('HGET', 'myhash', 'field2'), 'value4');
      assert.deepEqual(await r('HTTL', 'myhash', 'FIELDS', 2, 'field2', 'field3'), [T_NO_EXPIRY, T_NO_EXPIRY]);
      assert.notDeepEqual(await r('HTTL', 'myhash', 'FIELDS', 1, 'field1'), [T_NO_EXPIRY]);
      await r('DEL', 'myhash');
      await r('HSET', 'myhash', 'f1', 'v1', 'f2', 'v2');
      await r('HEXPIRE', 'myhash', 100000, 'FIELDS', 1, 'f1');
      assert.equal(await r('HSET', 'myhash', 'f2', 'v2'), 0);
      assert.equal(await r('HSET', 'myhash', 'f3', 'v3'), 1);
      assert.equal(await r('HSET', 'myhash', 'f3', 'v3', 'f4', 'v4'), 1);
      assert.equal(await r('HSET', 'myhash', 'f3', 'v3', 'f5', 'v5', 'f6', 'v6'), 2);
      // HSET of a logically expired field (not deleted yet) counts as an update, as in Redis
      await r('HPEXPIRE', 'myhash', 1, 'FIELDS', 1, 'f1');
      tick(5);
      assert.equal(await r('HSET', 'myhash', 'f1', 'new'), 0);
      assert.deepEqual(await r('HTTL', 'myhash', 'FIELDS', 1, 'f1'), [T_NO_EXPIRY]);
    },
  );

  withServer('Modify TTL of a field; HGETALL does not return expired fields', async ({ r, tick }) => {
    await r('HSET', 'myhash', 'field1', 'value1');
    await r('HPEXPIRE', 'myhash', 200000, 'NX', 'FIELDS', 1, 'field1');
    await r('HPEXPIRE', 'myhash', 1000000, 'XX', 'FIELDS', 1, 'field1');
    tick(15);
    assert.equal(await r('HGET', 'myhash', 'field1'), 'value1');
    assert.deepEqual(await r('HPTTL', 'myhash', 'FIELDS', 1, 'field1'), [999985]);
    await r('HSET', 'myhash1', 'f1', 'v1', 'f2', 'v2', 'f3', 'v3', 'f4', 'v4', 'f5', 'v5', 'f6', 'v6');
    await r('HPEXPIRE', 'myhash1', 1, 'NX', 'FIELDS', 3, 'f2', 'f4', 'f6');
    tick(10);
    assert.deepEqual(sorted(await r('HGETALL', 'myhash1')), ['f1', 'f3', 'f5', 'v1', 'v3', 'v5']);
    await r('HPEXPIRE', 'myhash1', 1, 'FIELDS', 3, 'f1', 'f3', 'f5');
    tick(10);
    assert.deepEqual(await r('HGETALL', 'myhash1'), []);
    assert.deepEqual(await r('HKEYS', 'myhash1'), []);
    assert.equal(await r('EXISTS', 'myhash1'), 1); // skipped, not deleted
  });

  withServer('HGETALL of a large hash with mostly expired fields', async ({ r, tick }) => {
    for (let i = 1; i <= 600; i++) {
      await r('HSET', 'myhash', `f${i}`, `v${i}`);
      if (i > 3) await r('HPEXPIRE', 'myhash', 1, 'NX', 'FIELDS', 1, `f${i}`);
    }
    tick(10);
    assert.deepEqual(sorted(await r('HGETALL', 'myhash')), ['f1', 'f2', 'f3', 'v1', 'v2', 'v3']);
    assert.equal(await r('OBJECT', 'ENCODING', 'myhash'), 'hashtable');
  });

  withServer('RENAME, MOVE, COPY and SWAPDB keep field TTLs and active expiry', async (s) => {
    const { r, tick, srv } = s;
    const dbs = srv.server.dbs;
    await r('HSET', 'myhash', 'field1', 'value1');
    await r('HPEXPIRE', 'myhash', 20, 'NX', 'FIELDS', 1, 'field1');
    await r('RENAME', 'myhash', 'myhash2');
    assert.equal(await r('EXISTS', 'myhash'), 0);
    assert.deepEqual(await r('HPTTL', 'myhash2', 'FIELDS', 1, 'field1'), [20]);
    assert.equal(dbs[0]!.hfe.peek()?.key, 'myhash2');
    tick(25);
    assert.equal(await r('EXISTS', 'myhash2'), 1);
    s.cycle();
    assert.equal(await r('EXISTS', 'myhash2'), 0);
    // MOVE
    await r('HSET', 'myhash', 'field1', 'value1');
    await r('HPEXPIRE', 'myhash', 100, 'NX', 'FIELDS', 1, 'field1');
    await r('MOVE', 'myhash', 9);
    assert.equal(dbs[0]!.hfe.size, 0);
    assert.equal(dbs[9]!.hfe.size, 1);
    await r('SELECT', 9);
    assert.equal(await r('HGET', 'myhash', 'field1'), 'value1');
    tick(110);
    for (let i = 0; i < 16; i++) s.cycle();
    assert.equal(await r('EXISTS', 'myhash'), 0);
    await r('SELECT', 0);
    // COPY (the copy has its own TTLs)
    await r('HSET', 'h1', 'f1', 'v1', 'f2', 'v2');
    await r('HPEXPIRE', 'h1', 100, 'NX', 'FIELDS', 1, 'f1');
    await r('COPY', 'h1', 'h1copy');
    assert.equal(dbs[0]!.hfe.size, 2);
    await r('HPERSIST', 'h1copy', 'FIELDS', 1, 'f1');
    assert.deepEqual(await r('HPTTL', 'h1', 'FIELDS', 1, 'f1'), [100]);
    assert.equal(dbs[0]!.hfe.size, 1);
    await r('HPEXPIRE', 'h1copy', 100, 'FIELDS', 2, 'f1', 'f2');
    tick(105);
    assert.equal(await r('HGET', 'h1', 'f1'), null);
    s.cycle();
    assert.equal(await r('EXISTS', 'h1copy'), 0);
    // SWAPDB
    await r('FLUSHALL');
    await r('HSET', 'myhash', 'f1', 'v1', 'f2', 'v2');
    await r('HPEXPIRE', 'myhash', 1, 'NX', 'FIELDS', 1, 'f1');
    tick(10);
    await r('SWAPDB', 0, 10);
    assert.equal(await r('EXISTS', 'myhash'), 0);
    await r('SELECT', 10);
    assert.deepEqual(await r('HGETALL', 'myhash'), ['f2', 'v2']);
    await r('HPEXPIRE', 'myhash', 1, 'NX', 'FIELDS', 1, 'f2');
    tick(10);
    for (let i = 0; i < 16; i++) s.cycle();
    assert.equal(await r('EXISTS', 'myhash'), 0);
    // a key TTL and field TTLs coexist; the key's expiry drops the hash from the index
    await r('HSET', 'k', 'f1', 'v1');
    await r('HPEXPIRE', 'k', 1000, 'FIELDS', 1, 'f1');
    await r('PEXPIRE', 'k', 10);
    tick(20);
    assert.deepEqual(await r('HTTL', 'k', 'FIELDS', 1, 'f1'), [T_NO_FIELD]);
    assert.equal(await r('EXISTS', 'k'), 0);
    assert.equal(dbs[10]!.hfe.size, 0);
  });

  withServer('HMGET - returns empty entries if fields or hash expired', async ({ r, tick }) => {
    await r('HSET', 'h1', 'f1', 'v1', 'f2', 'v2', 'f3', 'v3');
    await r('HSET', 'h2', 'f1', 'v1', 'f2', 'v2', 'f3', 'v3');
    await r('HPEXPIRE', 'h1', 10000000, 'NX', 'FIELDS', 1, 'f1');
    await r('HPEXPIRE', 'h1', 1, 'NX', 'FIELDS', 2, 'f2', 'f3');
    await r('HPEXPIRE', 'h2', 1, 'NX', 'FIELDS', 3, 'f1', 'f2', 'f3');
    tick(5);
    assert.deepEqual(await r('HMGET', 'h1', 'f1', 'f2', 'f3'), ['v1', null, null]);
    assert.deepEqual(await r('HMGET', 'h2', 'f1', 'f2', 'f3'), [null, null, null]);
    assert.equal(await r('EXISTS', 'h2'), 0);
  });

  withServer('HPERSIST - input validation and persisting', async ({ r, tick }) => {
    assert.deepEqual(await r('HPERSIST', 'myhash', 'FIELDS', 1, 'a'), [P_NO_FIELD]);
    assert.deepEqual(await r('HPERSIST', 'myhash', 'FIELDS', 2, 'a', 'b'), [P_NO_FIELD, P_NO_FIELD]);
    await r('HSET', 'myhash', 'f1', 'v1', 'f2', 'v2');
    assert.deepEqual(await r('HPERSIST', 'myhash', 'FIELDS', 1, 'f1'), [P_NO_EXPIRY]);
    await r('HEXPIRE', 'myhash', 1000, 'NX', 'FIELDS', 1, 'f1');
    assert.equal(errOf(await r('HPERSIST', 'myhash')), "ERR wrong number of arguments for 'hpersist' command");
    assert.equal(
      errOf(await r('HPERSIST', 'myhash', 'FIELDS', 1)),
      "ERR wrong number of arguments for 'hpersist' command",
    );
    assert.deepEqual(await r('HPERSIST', 'myhash', 'FIELDS', 2, 'f1', 'not-exists-field'), [P_OK, P_NO_FIELD]);
    assert.deepEqual(await r('HPERSIST', 'myhash', 'FIELDS', 1, 'f2'), [P_NO_EXPIRY]);
    assert.equal(
      errOf(await r('HPERSIST', 'myhash', 'FIELDS', 2, 'f1', 'f2', 'f3')),
      'ERR The `numfields` parameter must match the number of arguments',
    );
    assert.equal(
      errOf(await r('HPERSIST', 'myhash', 'FIELDS', 4, 'f1', 'f2', 'f3')),
      'ERR The `numfields` parameter must match the number of arguments',
    );
    assert.equal(
      errOf(await r('HPERSIST', 'myhash', 'FIELDS', 0, 'f1')),
      'ERR Number of fields must be a positive integer',
    );
    await r('HEXPIRE', 'myhash', 20, 'NX', 'FIELDS', 2, 'f1', 'f2');
    assert.deepEqual(await r('HPERSIST', 'myhash', 'FIELDS', 2, 'f1', 'f2'), [P_OK, P_OK]);
    tick(25000);
    assert.equal(await r('HGET', 'myhash', 'f1'), 'v1');
    assert.equal(await r('HGET', 'myhash', 'f2'), 'v2');
    assert.deepEqual(await r('HTTL', 'myhash', 'FIELDS', 2, 'f1', 'f2'), [T_NO_EXPIRY, T_NO_EXPIRY]);
    // a logically expired field cannot be persisted
    await r('HPEXPIRE', 'myhash', 1, 'FIELDS', 1, 'f1');
    tick(2);
    assert.deepEqual(await r('HPERSIST', 'myhash', 'FIELDS', 1, 'f1'), [P_NO_FIELD]);
  });

  withServer('DUMP / RESTORE of a hash with field TTLs', async ({ r }) => {
    await r('CONFIG', 'SET', 'sanitize-dump-payload', 'yes');
    await r('HMSET', 'myhash', 'a', '1', 'b', '2', 'c', '3');
    await r('HEXPIREAT', 'myhash', 2524600800, 'fields', 1, 'a');
    await r('HEXPIREAT', 'myhash', 2524600801, 'fields', 1, 'b');
    const enc = await r('OBJECT', 'ENCODING', 'myhash');
    const digest = await r('DEBUG', 'DIGEST-VALUE', 'myhash');
    const encoded = (await r('DUMP', 'myhash')) as string;
    await r('DEL', 'myhash');
    assert.equal(await r('RESTORE', 'myhash', 0, encoded), 'OK');
    assert.deepEqual(sorted(await r('HGETALL', 'myhash')), ['1', '2', '3', 'a', 'b', 'c']);
    assert.deepEqual(await r('HEXPIRETIME', 'myhash', 'FIELDS', 3, 'a', 'b', 'c'), [2524600800, 2524600801, -1]);
    assert.equal(await r('OBJECT', 'ENCODING', 'myhash'), enc);
    assert.deepEqual(await r('DEBUG', 'DIGEST-VALUE', 'myhash'), digest);
    // all TTLs removed: written as a plain hash again (no TTL left to keep)
    await r('HPERSIST', 'myhash', 'FIELDS', 2, 'a', 'b');
    assert.equal(await r('OBJECT', 'ENCODING', 'myhash'), type);
    const plain = (await r('DUMP', 'myhash')) as string;
    assert.equal(Buffer.from(plain, 'latin1').readUInt16LE(plain.length - 10), 10);
    await r('DEL', 'myhash');
    await r('RESTORE', 'myhash', 0, plain);
    assert.deepEqual(sorted(await r('HGETALL', 'myhash')), ['1', '2', '3', 'a', 'b', 'c']);
    assert.deepEqual(await r('HEXPIRETIME', 'myhash', 'FIELDS', 3, 'a', 'b', 'c'), [-1, -1, -1]);
  });

  withServer('RESTORE hash that had in the past HFEs but not during the dump', async (s) => {
    const { r, tick } = s;
    await r('HMSET', 'myhash', 'a', '1', 'b', '2', 'c', '3');
    await r('HPEXPIRE', 'myhash', 1, 'fields', 1, 'a');
    tick(10);
    const encoded = (await r('DUMP', 'myhash')) as string; // 'a' is still stored, with its past time
    await r('DEL', 'myhash');
    await r('RESTORE', 'myhash', 0, encoded);
    assert.deepEqual(sorted(await r('HGETALL', 'myhash')), ['2', '3', 'b', 'c']);
    await r('HPEXPIRE', 'myhash', 1, 'fields', 2, 'b', 'c');
    tick(10);
    s.cycle();
    assert.equal(await r('EXISTS', 'myhash'), 0);
  });

  withServer('HINCRBY / HINCRBYFLOAT - discard an expired field, keep the TTL of a live one', async ({ r, tick }) => {
    for (const cmd of ['HINCRBY', 'HINCRBYFLOAT']) {
      await r('DEL', 'h1', 'h2');
      await r('HSET', 'h1', 'f1', '10', 'f2', '2');
      await r('HSET', 'h2', 'f1', '10');
      assert.equal(String(await r(cmd, 'h1', 'f1', 2)), '12');
      assert.equal(String(await r(cmd, 'h2', 'f1', 2)), '12');
      await r('HPEXPIRE', 'h1', 10, 'FIELDS', 1, 'f1');
      await r('HPEXPIRE', 'h2', 10, 'FIELDS', 1, 'f1');
      tick(15);
      assert.equal(String(await r(cmd, 'h1', 'f1', 1)), '1');
      assert.equal(String(await r(cmd, 'h2', 'f1', 1)), '1'); // the hash was deleted and made anew
      await r('HPEXPIRE', 'h1', 20, 'FIELDS', 1, 'f1');
      assert.equal(String(await r(cmd, 'h1', 'f1', cmd === 'HINCRBY' ? 2 : 2.5)), cmd === 'HINCRBY' ? '3' : '3.5');
      assert.deepEqual(await r('HPTTL', 'h1', 'FIELDS', 1, 'f1'), [20]);
    }
  });

  withServer('HSETNX - an expired field can be set again', async ({ r, tick }) => {
    await r('HSET', 'h', 'f', 'v', 'g', 'w');
    await r('HPEXPIRE', 'h', 5, 'FIELDS', 1, 'f');
    assert.equal(await r('HSETNX', 'h', 'f', 'x'), 0);
    tick(10);
    assert.equal(await r('HSETNX', 'h', 'f', 'x'), 1);
    assert.equal(await r('HGET', 'h', 'f'), 'x');
    assert.deepEqual(await r('HTTL', 'h', 'FIELDS', 1, 'f'), [T_NO_EXPIRY]);
  });

  withServer('HGETDEL - delete field with ttl', async ({ r, tick }) => {
    await r('HSETEX', 'h1', 'PX', 5, 'FIELDS', 1, 'f1', 10);
    tick(15);
    assert.deepEqual(await r('HGETDEL', 'h1', 'fields', 1, 'f1'), [null]);
    assert.equal(await r('EXISTS', 'h1'), 0);
    await r('HSETEX', 'h1', 'FIELDS', 3, 'f1', 10, 'f2', 20, 'f3', 'value3');
    await r('HPEXPIRE', 'h1', 5, 'FIELDS', 1, 'f2');
    tick(15);
    assert.deepEqual(await r('HGETDEL', 'h1', 'fields', 2, 'f2', 'f3'), [null, 'value3']);
    assert.deepEqual(sorted(await r('HGETALL', 'h1')), ['10', 'f1']);
    assert.deepEqual(await r('HGETDEL', 'h1', 'fields', 4, 'f1', 'f2', 'f3', 'f4'), ['10', null, null, null]);
    assert.equal(await r('EXISTS', 'h1'), 0);
    assert.deepEqual(await r('HGETDEL', 'nokey', 'FIELDS', 2, 'a', 'b'), [null, null]);
    assert.equal(errOf(await r('HGETDEL', 'h1', 'FIELDS', 0, 'a')), 'ERR Number of fields must be a positive integer');
    assert.equal(
      errOf(await r('HGETDEL', 'h1', 'FIELDS', 2, 'a')),
      'ERR The `numfields` parameter must match the number of arguments',
    );
    assert.equal(
      errOf(await r('HGETDEL', 'h1', 'FIELD', 1, 'a')),
      'ERR Mandatory argument FIELDS is missing or not at the right position',
    );
    assert.equal(errOf(await r('HGETDEL', 'h1', 'FIELDS', 1)), "ERR wrong number of arguments for 'hgetdel' command");
  });

  withServer('HGETEX - input validation', async ({ r, now }) => {
    assert.equal(errOf(await r('HGETEX')), "ERR wrong number of arguments for 'hgetex' command");
    assert.equal(errOf(await r('HGETEX', 'h1')), "ERR wrong number of arguments for 'hgetex' command");
    assert.equal(errOf(await r('HGETEX', 'h1', 'FIELDS')), "ERR wrong number of arguments for 'hgetex' command");
    assert.equal(errOf(await r('HGETEX', 'h1', 'FIELDS', 0)), "ERR wrong number of arguments for 'hgetex' command");
    assert.equal(errOf(await r('HGETEX', 'h1', 'FIELDS', 1)), "ERR wrong number of arguments for 'hgetex' command");
    assert.equal(
      errOf(await r('HGETEX', 'h1', 'XFIELDX', 1, 'a')),
      'ERR Mandatory argument FIELDS is missing or not at the right position',
    );
    assert.equal(
      errOf(await r('HGETEX', 'h1', 'PXAT', 1, 1)),
      'ERR Mandatory argument FIELDS is missing or not at the right position',
    );
    assert.equal(
      errOf(await r('HGETEX', 'h1', 'PERSIST', 1, 'FIELDS', 1, 'a')),
      'ERR Mandatory argument FIELDS is missing or not at the right position',
    );
    assert.equal(
      errOf(await r('HGETEX', 'h1', 'FIELDS', 2, 'a')),
      'ERR The `numfields` parameter must match the number of arguments',
    );
    assert.equal(errOf(await r('HGETEX', 'h1', 'FIELDS', 0, 'a')), 'ERR Number of fields must be a positive integer');
    assert.equal(errOf(await r('HGETEX', 'h1', 'FIELDS', -1, 'a')), 'ERR Number of fields must be a positive integer');
    assert.equal(
      errOf(await r('HGETEX', 'h1', 'FIELDS', '9223372036854775808', 'a')),
      'ERR Number of fields must be a positive integer',
    );
    assert.equal(
      errOf(await r('HGETEX', 'h1', 'EX', 'bla', 'FIELDS', 1, 'a')),
      'ERR value is not an integer or out of range',
    );
    assert.equal(
      errOf(await r('HGETEX', 'h1', 'EX', '9223372036854775808', 'FIELDS', 1, 'a')),
      'ERR value is not an integer or out of range',
    );
    assert.equal(
      errOf(await r('HGETEX', 'h1', 'EXAT', '9223372036854775808', 'FIELDS', 1, 'a')),
      'ERR value is not an integer or out of range',
    );
    assert.equal(errOf(await r('HGETEX', 'h1', 'PX', -1, 'FIELDS', 1, 'a')), 'ERR invalid expire time, must be >= 0');
    assert.equal(errOf(await r('HGETEX', 'h1', 'PXAT', -1, 'FIELDS', 1, 'a')), 'ERR invalid expire time, must be >= 0');
    assert.equal(errOf(await r('HGETEX', 'h1', 'EX', -1, 'FIELDS', 1, 'a')), 'ERR invalid expire time, must be >= 0');
    assert.equal(
      errOf(await r('HGETEX', 'h1', 'EX', 2 ** 48, 'FIELDS', 1, 'a')),
      "ERR invalid expire time in 'hgetex' command",
    );
    assert.equal(
      errOf(await r('HGETEX', 'h1', 'EX', 2 ** 46 - Math.floor(now / 1000) + 100, 'FIELDS', 1, 'a')),
      "ERR invalid expire time in 'hgetex' command",
    );
    assert.equal(
      errOf(await r('HGETEX', 'h1', 'EXAT', 2 ** 46 + 100, 'FIELDS', 1, 'a')),
      "ERR invalid expire time in 'hgetex' command",
    );
    assert.equal(
      errOf(await r('HGETEX', 'h1', 'PX', 2 ** 46 - now + 100, 'FIELDS', 1, 'a')),
      "ERR invalid expire time in 'hgetex' command",
    );
    assert.equal(
      errOf(await r('HGETEX', 'h1', 'PXAT', 2 ** 46 + 100, 'FIELDS', 1, 'a')),
      "ERR invalid expire time in 'hgetex' command",
    );
    // Redis reads past its arguments here; tsdis answers with the arity error
    assert.equal(
      errOf(await r('HGETEX', 'h1', 'EX', 10, 'FIELDS')),
      "ERR wrong number of arguments for 'hgetex' command",
    );
    assert.deepEqual(await r('HGETEX', 'nokey', 'EX', 10, 'FIELDS', 2, 'a', 'b'), [null, null]);
  });

  withServer('HGETEX - get, set, persist the TTL; lazy expiry; past times', async (s) => {
    const { r, tick, now } = s;
    await r('HSET', 'h1', 'a', 1, 'b', 2, 'c', 'strval');
    assert.deepEqual(await r('HGETEX', 'h1', 'fields', 1, 'a'), ['1']);
    assert.deepEqual(await r('HGETEX', 'h1', 'fields', 3, 'a', 'b', 'c'), ['1', '2', 'strval']);
    assert.deepEqual(await r('HTTL', 'h1', 'FIELDS', 3, 'a', 'b', 'c'), [T_NO_EXPIRY, T_NO_EXPIRY, T_NO_EXPIRY]);
    assert.equal(await r('OBJECT', 'ENCODING', 'h1'), type === 'listpackex' ? 'listpack' : 'hashtable');
    assert.deepEqual(await r('HGETEX', 'h1', 'EX', 10000, 'fields', 1, 'a'), ['1']);
    assert.deepEqual(await r('HTTL', 'h1', 'FIELDS', 1, 'a'), [10000]);
    assert.deepEqual(await r('HGETEX', 'h1', 'EXAT', Math.floor(now / 1000) + 10, 'FIELDS', 1, 'b'), ['2']);
    assert.deepEqual(await r('HTTL', 'h1', 'FIELDS', 1, 'b'), [10]);
    assert.deepEqual(await r('HGETEX', 'h1', 'PX', 1000000, 'FIELDS', 2, 'c', 'nofield'), ['strval', null]);
    assert.deepEqual(await r('HTTL', 'h1', 'FIELDS', 1, 'c'), [1000]);
    assert.deepEqual(await r('HGETEX', 'h1', 'PXAT', now + 10000, 'FIELDS', 1, 'c'), ['strval']);
    assert.deepEqual(await r('HTTL', 'h1', 'FIELDS', 1, 'c'), [10]);
    // PERSIST
    await r('DEL', 'myhash');
    await r('HSETEX', 'myhash', 'PX', 5000, 'FIELDS', 3, 'f1', 'v1', 'f2', 'v2', 'f3', 'v3');
    assert.deepEqual(await r('HGETEX', 'myhash', 'PERSIST', 'FIELDS', 1, 'f1'), ['v1']);
    assert.deepEqual(await r('HTTL', 'myhash', 'FIELDS', 1, 'f1'), [T_NO_EXPIRY]);
    assert.deepEqual(await r('HGETEX', 'myhash', 'PERSIST', 'FIELDS', 2, 'f2', 'f3'), ['v2', 'v3']);
    assert.deepEqual(await r('HGETEX', 'myhash', 'PERSIST', 'FIELDS', 2, 'f2', 'f3'), ['v2', 'v3']);
    assert.deepEqual(await r('HTTL', 'myhash', 'FIELDS', 3, 'f1', 'f2', 'f3'), [T_NO_EXPIRY, T_NO_EXPIRY, T_NO_EXPIRY]);
    // a time in the past deletes the fields, and the key
    await r('DEL', 'myhash');
    await r('HSET', 'myhash', 'f1', 'v1', 'f2', 'v2', 'f3', 'v3');
    assert.deepEqual(await r('HGETEX', 'myhash', 'PXAT', 1, 'FIELDS', 3, 'f1', 'f2', 'f3'), ['v1', 'v2', 'v3']);
    assert.equal(await r('EXISTS', 'myhash'), 0);
    // active expiry after HGETEX
    await r('HSET', 'myhash', 'f1', 'v1', 'f2', 'v2');
    await r('HGETEX', 'myhash', 'PX', 1, 'FIELDS', 2, 'f1', 'f2');
    tick(5);
    s.cycle();
    assert.equal(await r('EXISTS', 'myhash'), 0);
    // TTL discarded by HSET
    await r('HSET', 'myhash', 'f1', 'v1', 'f2', 'v2', 'f3', 'v3');
    await r('HGETEX', 'myhash', 'PX', 10000, 'FIELDS', 1, 'f1');
    await r('HGETEX', 'myhash', 'EX', 100, 'FIELDS', 1, 'f2');
    await r('HSET', 'myhash', 'f2', 'v22');
    assert.deepEqual(await r('HTTL', 'myhash', 'FIELDS', 2, 'f2', 'f3'), [T_NO_EXPIRY, T_NO_EXPIRY]);
    assert.notDeepEqual(await r('HTTL', 'myhash', 'FIELDS', 1, 'f1'), [T_NO_EXPIRY]);
    // lazy expiry
    await r('DEL', 'myhash');
    await r('HSETEX', 'myhash', 'PX', 1, 'FIELDS', 2, 'f1', 'v1', 'f2', 'v2');
    tick(5);
    assert.deepEqual(await r('HGETEX', 'myhash', 'FIELDS', 2, 'f1', 'f2'), [null, null]);
    assert.equal(await r('EXISTS', 'myhash'), 0);
  });

  withServer('HSETEX - input validation', async ({ r, now }) => {
    const arity = "ERR wrong number of arguments for 'hsetex' command";
    for (const args of [
      [],
      ['fields'],
      ['fields', 1],
      ['fields', 2, 'a', 'b'],
      ['fields', 2, 'a', 'b', 'c'],
      ['fields', 2, 'a', 'b', 'c', 'd', 'e'],
      ['fields', 3, 'a', 'b', 'c', 'd'],
      ['fields', 3, 'a', 'b', 'c', 'd', 'e'],
      ['fields', 3, 'a', 'b', 'c', 'd', 'e', 'f', 'g'],
      ['fields', 3, 'a', 'b'],
      ['fields', 1, 'a', 'b', 'unknown'],
    ]) {
      assert.equal(errOf(await r('HSETEX', 'myhash', ...args)), arity, JSON.stringify(args));
    }
    assert.equal(errOf(await r('HSETEX', 'myhash', 'nx', 'fields', 1, 'a', 'b')), 'ERR unknown argument: nx');
    assert.equal(errOf(await r('HSETEX', 'myhash', 1, 'fields', 1, 'a', 'b')), 'ERR unknown argument: 1');
    for (const c of [
      ['fxx', 'fxx'],
      ['fxx', 'fnx'],
      ['fnx', 'fxx'],
      ['fnx', 'fnx'],
      ['fxx', 'fnx', 'fxx'],
      ['fnx', 'fxx', 'fnx'],
    ]) {
      assert.equal(
        errOf(await r('HSETEX', 'myhash', ...c, 'EX', 100, 'fields', 1, 'a', 'b')),
        'ERR Only one of FXX or FNX arguments can be specified',
      );
    }
    const oneTtl = 'ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified';
    for (const c of [
      ['EX', 100, 'PX', 1000],
      ['EX', 100, 'EXAT', 100],
      ['EXAT', 100, 'EX', 1000],
      ['EXAT', 100, 'PX', 1000],
      ['PX', 100, 'EXAT', 100],
      ['PX', 100, 'PXAT', 100],
      ['PXAT', 100, 'EX', 100],
      ['PXAT', 100, 'EXAT', 100],
      ['EX', 100, 'KEEPTTL'],
      ['KEEPTTL', 'EX', 100],
      ['EX', 100, 'EX', 100],
      ['EXAT', 100, 'EXAT', 100],
      ['PX', 10, 'PX', 10],
      ['PXAT', 10, 'PXAT', 10],
      ['KEEPTTL', 'KEEPTTL'],
    ]) {
      assert.equal(errOf(await r('HSETEX', 'myhash', ...c, 'fields', 1, 'a', 'b')), oneTtl, JSON.stringify(c));
    }
    for (const t of ['ex', 'px', 'exat', 'pxat'])
      assert.equal(
        errOf(await r('HSETEX', 'myhash', t, 'fields', 1, 'a', 'b')),
        'ERR value is not an integer or out of range',
      );
    assert.equal(
      errOf(await r('HSETEX', 'myhash', 'EXAT', 2 ** 48, 1, 'a', 'b')),
      "ERR invalid expire time in 'hsetex' command",
    );
    assert.equal(
      errOf(await r('HSETEX', 'myhash', 'PXAT', 2 ** 48, 1, 'a', 'b')),
      "ERR invalid expire time in 'hsetex' command",
    );
    assert.equal(
      errOf(await r('HSETEX', 'myhash', 'EX', 2 ** 48 - Math.floor(now / 1000) + 1000, 1, 'a', 'b')),
      "ERR invalid expire time in 'hsetex' command",
    );
    assert.equal(
      errOf(await r('HSETEX', 'myhash', 'PX', 2 ** 48 - now + 1000, 1, 'a', 'b')),
      "ERR invalid expire time in 'hsetex' command",
    );
    assert.equal(errOf(await r('HSETEX', 'myhash', 'EXAT', -1, 1, 'a', 'b')), 'ERR invalid expire time, must be >= 0');
    assert.equal(
      errOf(await r('HSETEX', 'myhash', 'EXAT', '9223372036854775808', 1, 'a', 'b')),
      'ERR value is not an integer or out of range',
    );
    assert.equal(
      errOf(await r('HSETEX', 'myhash', 'EXAT', 'x', 1, 'a', 'b')),
      'ERR value is not an integer or out of range',
    );
    for (const n of ['x', '9223372036854775808', 0, -1])
      assert.equal(errOf(await r('HSETEX', 'myhash', 'fields', n, 'a', 'b')), 'ERR invalid number of fields');
    assert.equal(
      errOf(await r('HSETEX', 'myhash', 'EX', 10, 'PX', 'x')),
      'ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified',
    );
    assert.equal(
      errOf(await r('HSETEX', 'myhash', 'FNX', 'KEEPTTL', 'EX', 5)),
      'ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified',
    );
    assert.equal(errOf(await r('HSETEX', 'myhash', 'FNX', 'FIELDS', 'EX', 'y')), arity);
    assert.equal(
      errOf(await r('HSETEX', 'myhash', 'FNX', 'KEEPTTL', 'PX', 5)),
      'ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified',
    );
    assert.equal(errOf(await r('HSETEX', 'myhash', 'FNX', 'X', 'PX', 5)), 'ERR unknown argument: X');
    assert.equal(
      errOf(await r('HSETEX', 'myhash', 'FNX', 'FXX', 'PX', 5)),
      'ERR Only one of FXX or FNX arguments can be specified',
    );
    assert.equal(
      errOf(await r('HSETEX', 'myhash', 'KEEPTTL', 'FXX', 'PX', 5)),
      'ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified',
    );
    assert.equal(errOf(await r('HSETEX', 'myhash', 'FXX', 'FIELDS', 'PX', 'a')), arity);
    assert.equal(
      errOf(await r('HSETEX', 'myhash', 'FXX', 'KEEPTTL', 'EXAT', 1)),
      'ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified',
    );
    assert.equal(errOf(await r('HSETEX', 'myhash', 'FXX', 'KEEPTTL', 'XX', 1)), 'ERR unknown argument: XX');
    assert.equal(
      errOf(await r('HSETEX', 'myhash', 'FXX', 'PX', 'X', 'Y')),
      'ERR value is not an integer or out of range',
    );
    assert.equal(
      errOf(await r('HSETEX', 'myhash', 'FXX', 'FNX', 'PX', 'Y')),
      'ERR Only one of FXX or FNX arguments can be specified',
    );
    assert.equal(errOf(await r('HSETEX', 'myhash', 'FXX', 'X', 'Y', 'Z')), 'ERR unknown argument: X');
    assert.equal(
      errOf(await r('HSETEX', 'myhash', 'FXX', 'PXAT', 5, 'PX')),
      'ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified',
    );
    assert.equal(errOf(await r('HSETEX', 'myhash', 'FXX', 'EX', 5, 'X')), 'ERR unknown argument: X');
    assert.equal(
      errOf(await r('HSETEX', 'myhash', 'EX', 5, 'FXX', 'EX')),
      'ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified',
    );
    assert.equal(
      errOf(await r('HSETEX', 'myhash', 'EX', 5, 'FXX', 'FNX')),
      'ERR Only one of FXX or FNX arguments can be specified',
    );
    assert.equal(errOf(await r('HSETEX', 'myhash', 'PXAT', 5, 'FXX', 'Q')), 'ERR unknown argument: Q');
    assert.equal(
      errOf(await r('HSETEX', 'myhash', 'FXX', 'PX', 5, 'EX')),
      'ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified',
    );
    assert.equal(errOf(await r('HSETEX', 'myhash', 'KEEPTTL', 'FNX', 'FIELDS', 1)), arity);
    assert.equal(await r('EXISTS', 'myhash'), 0);
  });

  withServer('HSETEX - FXX / FNX / EX / PX / EXAT / PXAT / KEEPTTL', async (s) => {
    const { r, tick } = s;
    assert.equal(await r('HSETEX', 'myhash', 'FIELDS', 1, 'f1', 'v1'), 1);
    assert.equal(await r('HGET', 'myhash', 'f1'), 'v1');
    assert.equal(await r('HSETEX', 'myhash', 'FIELDS', 2, 'f1', 'v1', 'f2', 'v2'), 1);
    assert.deepEqual(sorted(await r('HGETALL', 'myhash')), ['f1', 'f2', 'v1', 'v2']);
    // FXX
    await r('DEL', 'myhash');
    assert.equal(await r('HSETEX', 'myhash', 'FXX', 'FIELDS', 2, 'f1', 'v1', 'f2', 'v2'), 0);
    assert.equal(await r('EXISTS', 'myhash'), 0);
    await r('HSET', 'myhash', 'f1', 'v1');
    assert.equal(await r('HSETEX', 'myhash', 'FXX', 'FIELDS', 2, 'f1', 'v1', 'f2', 'v2'), 0);
    assert.deepEqual(sorted(await r('HGETALL', 'myhash')), ['f1', 'v1']);
    assert.equal(await r('HSETEX', 'myhash', 'FXX', 'FIELDS', 1, 'f1', 'v11'), 1);
    await r('HSET', 'myhash', 'f2', 'v2');
    assert.equal(await r('HSETEX', 'myhash', 'FXX', 'EX', 100, 'FIELDS', 2, 'f1', 'v1', 'f2', 'v2'), 1);
    assert.deepEqual(await r('HTTL', 'myhash', 'FIELDS', 2, 'f1', 'f2'), [100, 100]);
    assert.equal(await r('HSETEX', 'myhash', 'PX', 5000, 'FXX', 'FIELDS', 2, 'f1', 'v1', 'f2', 'v2'), 1);
    assert.deepEqual(await r('HPTTL', 'myhash', 'FIELDS', 2, 'f1', 'f2'), [5000, 5000]);
    // FXX with lazy expiry of the only field
    await r('DEL', 'myhash');
    await r('HSETEX', 'myhash', 'PX', 10, 'FIELDS', 1, 'f1', 'v1');
    tick(15);
    assert.equal(await r('HSETEX', 'myhash', 'FXX', 'FIELDS', 1, 'f1', 'v11'), 0);
    assert.equal(await r('EXISTS', 'myhash'), 0);
    // FNX
    assert.equal(await r('HSETEX', 'myhash', 'FNX', 'FIELDS', 1, 'f1', 'v1'), 1);
    assert.equal(await r('HSETEX', 'myhash', 'FNX', 'FIELDS', 2, 'f1', 'v1', 'f2', 'v2'), 0);
    assert.equal(await r('HSETEX', 'myhash', 'FNX', 'FIELDS', 2, 'f2', 'v2', 'f3', 'v3'), 1);
    assert.equal(await r('HSETEX', 'myhash', 'FXX', 'FIELDS', 3, 'f1', 'v11', 'f2', 'v22', 'f3', 'v33'), 1);
    assert.deepEqual(sorted(await r('HGETALL', 'myhash')), ['f1', 'f2', 'f3', 'v11', 'v22', 'v33']);
    await r('DEL', 'myhash');
    assert.equal(await r('HSETEX', 'myhash', 'FNX', 'EX', 100, 'FIELDS', 2, 'f1', 'v1', 'f2', 'v2'), 1);
    assert.deepEqual(await r('HTTL', 'myhash', 'FIELDS', 2, 'f1', 'f2'), [100, 100]);
    assert.equal(await r('HSETEX', 'myhash', 'PX', 5000, 'FNX', 'FIELDS', 1, 'f3', 'v3'), 1);
    assert.deepEqual(await r('HPTTL', 'myhash', 'FIELDS', 1, 'f3'), [5000]);
    // EX / EXAT / PX / PXAT
    assert.equal(await r('HSETEX', 'myhash', 'EX', 1000, 'FIELDS', 1, 'f3', 'v3'), 1);
    assert.deepEqual(await r('HTTL', 'myhash', 'FIELDS', 1, 'f3'), [1000]);
    assert.equal(await r('HSETEX', 'myhash', 'EXAT', Math.floor(s.now / 1000) + 10, 'FIELDS', 1, 'f3', 'v3'), 1);
    assert.deepEqual(await r('HTTL', 'myhash', 'FIELDS', 1, 'f3'), [10]);
    assert.equal(await r('HSETEX', 'myhash', 'PXAT', s.now + 10000, 'FIELDS', 1, 'f2', 'v2'), 1);
    assert.deepEqual(await r('HPTTL', 'myhash', 'FIELDS', 1, 'f2'), [10000]);
    // KEEPTTL, and no flag discards the TTL
    await r('DEL', 'myhash');
    await r('HSETEX', 'myhash', 'FIELDS', 2, 'f1', 'v1', 'f2', 'v2');
    await r('HSETEX', 'myhash', 'PX', 20000, 'FIELDS', 1, 'f2', 'v2');
    assert.deepEqual(await r('HTTL', 'myhash', 'FIELDS', 2, 'f1', 'f2'), [T_NO_EXPIRY, 20]);
    assert.equal(await r('HSETEX', 'myhash', 'KEEPTTL', 'FIELDS', 1, 'f2', 'v22'), 1);
    assert.equal(await r('HGET', 'myhash', 'f2'), 'v22');
    assert.deepEqual(await r('HTTL', 'myhash', 'FIELDS', 1, 'f2'), [20]);
    await r('HSETEX', 'myhash', 'EX', 10000, 'FIELDS', 3, 'f1', 'v1', 'f2', 'v2', 'f3', 'v3');
    await r('HSETEX', 'myhash', 'KEEPTTL', 'FIELDS', 3, 'f1', 'v111', 'f2', 'v222', 'f3', 'v333');
    assert.deepEqual(sorted(await r('HGETALL', 'myhash')), ['f1', 'f2', 'f3', 'v111', 'v222', 'v333']);
    assert.deepEqual(await r('HTTL', 'myhash', 'FIELDS', 3, 'f1', 'f2', 'f3'), [10000, 10000, 10000]);
    assert.equal(await r('HSETEX', 'myhash', 'FIELDS', 2, 'f1', 'v1', 'f2', 'v2'), 1);
    assert.deepEqual(await r('HTTL', 'myhash', 'FIELDS', 3, 'f1', 'f2', 'f3'), [T_NO_EXPIRY, T_NO_EXPIRY, 10000]);
    // a time in the past: set, then deleted (and the key)
    await r('DEL', 'myhash');
    assert.equal(
      await r('HSETEX', 'myhash', 'EXAT', Math.floor(s.now / 1000) - 1, 'FIELDS', 2, 'f1', 'v1', 'f2', 'v2'),
      1,
    );
    assert.equal(await r('EXISTS', 'myhash'), 0);
    await r('HSET', 'myhash', 'fields', '2', 'f1', 'v1', 'f2', 'v2');
    assert.equal(
      await r('HSETEX', 'myhash', 'EXAT', Math.floor(s.now / 1000) - 1, 'FIELDS', 2, 'f1', 'v1', 'f2', 'v2'),
      1,
    );
    assert.deepEqual(await r('HGETALL', 'myhash'), ['fields', '2']);
  });

  withServer('HFE commands against the wrong type', async ({ r }) => {
    await r('SET', 'wrongtype', 'somevalue');
    const wt = 'WRONGTYPE Operation against a key holding the wrong kind of value';
    for (const c of ['HEXPIRE', 'HEXPIREAT', 'HPEXPIRE', 'HPEXPIREAT'])
      assert.equal(errOf(await r(c, 'wrongtype', 10, 'fields', 1, 'f1')), wt);
    for (const c of ['HEXPIRETIME', 'HPEXPIRETIME', 'HTTL', 'HPTTL', 'HPERSIST', 'HGETEX', 'HGETDEL'])
      assert.equal(errOf(await r(c, 'wrongtype', 'fields', 1, 'f1')), wt);
    assert.equal(errOf(await r('HSETEX', 'wrongtype', 'fields', 1, 'f1', 'v1')), wt);
    assert.equal(
      errOf(await r('HSETEX', 'wrongtype', 'fields', 1, 'f1')),
      "ERR wrong number of arguments for 'hsetex' command",
    );
  });
}

test("listpackex keeps Redis's field order: TTL fields first by time, a field gaining or losing a TTL moves", async () => {
  const s = await clocked();
  const { r } = s;
  try {
    await r('HSET', 'h', 'a', 1, 'b', 2, 'c', 3, 'd', 4);
    assert.equal(await r('OBJECT', 'ENCODING', 'h'), 'listpack');
    // a condition that fails still makes it a listpackex (Redis's hashTypeSetExInit)
    assert.deepEqual(await r('HPEXPIRE', 'h', 300, 'XX', 'FIELDS', 1, 'c'), [E_FAIL]);
    assert.equal(await r('OBJECT', 'ENCODING', 'h'), 'listpackex');
    assert.deepEqual(await r('HKEYS', 'h'), ['a', 'b', 'c', 'd']);
    await r('HPEXPIRE', 'h', 300, 'FIELDS', 1, 'c');
    assert.deepEqual(await r('HKEYS', 'h'), ['c', 'a', 'b', 'd']);
    await r('HPEXPIRE', 'h', 100, 'FIELDS', 1, 'd');
    assert.deepEqual(await r('HKEYS', 'h'), ['d', 'c', 'a', 'b']);
    // an equal time goes before the existing ones (inserted before the first not earlier)
    await r('HPEXPIRE', 'h', 300, 'FIELDS', 1, 'a');
    assert.deepEqual(await r('HKEYS', 'h'), ['d', 'a', 'c', 'b']);
    await r('HSET', 'h', 'e', 5);
    assert.deepEqual(await r('HKEYS', 'h'), ['d', 'a', 'c', 'b', 'e']);
    await r('HPERSIST', 'h', 'FIELDS', 1, 'd'); // to the end
    assert.deepEqual(await r('HKEYS', 'h'), ['a', 'c', 'b', 'e', 'd']);
    await r('HSET', 'h', 'c', 33); // overwritten: loses its TTL, to the end
    assert.deepEqual(await r('HKEYS', 'h'), ['a', 'b', 'e', 'd', 'c']);
    await r('HSET', 'h', 'b', 22); // no TTL: stays
    assert.equal(await r('HINCRBY', 'h', 'a', 1), 2); // keeps its TTL and place
    assert.deepEqual(await r('HGETALL', 'h'), ['a', '2', 'b', '22', 'e', '5', 'd', '4', 'c', '33']);
    assert.deepEqual(await r('HPTTL', 'h', 'FIELDS', 1, 'a'), [300]);
    // all TTLs gone: still a listpackex, as in Redis
    await r('HPERSIST', 'h', 'FIELDS', 1, 'a');
    assert.equal(await r('OBJECT', 'ENCODING', 'h'), 'listpackex');
    assert.deepEqual(await r('HKEYS', 'h'), ['b', 'e', 'd', 'c', 'a']);
    // converted to a hashtable with its TTLs
    await r('HPEXPIRE', 'h', 500, 'FIELDS', 2, 'b', 'c');
    await r('CONFIG', 'SET', 'hash-max-listpack-entries', '5');
    await r('HSET', 'h', 'f', 6);
    assert.equal(await r('OBJECT', 'ENCODING', 'h'), 'hashtable');
    assert.deepEqual(await r('HPTTL', 'h', 'FIELDS', 3, 'b', 'c', 'f'), [500, 500, T_NO_EXPIRY]);
    // a long value converts too (Redis: hashTypeSet converts before setting)
    await r('HSET', 'h2', 'x', 1);
    await r('HPEXPIRE', 'h2', 500, 'FIELDS', 1, 'x');
    await r('HSET', 'h2', 'y', 'v'.repeat(65));
    assert.equal(await r('OBJECT', 'ENCODING', 'h2'), 'hashtable');
    assert.deepEqual(await r('HPTTL', 'h2', 'FIELDS', 2, 'x', 'y'), [500, T_NO_EXPIRY]);
    s.tick(600);
    s.cycle();
    assert.deepEqual(sorted(await r('HKEYS', 'h')), ['a', 'd', 'e', 'f']);
    assert.deepEqual(await r('HKEYS', 'h2'), ['y']);
    // MEMORY USAGE accounts for the TTLs
    assert.ok(Number(await r('MEMORY', 'USAGE', 'h')) > 0);
    // DEBUG LISTPACK takes a listpackex (Redis 7.4's debug.c)
    await r('HSET', 'lpex', 'a', 1);
    await r('HPEXPIRE', 'lpex', 1000, 'FIELDS', 1, 'a');
    assert.equal(await r('DEBUG', 'LISTPACK', 'lpex'), 'Listpack structure printed on stdout');
    assert.equal(errOf(await r('DEBUG', 'LISTPACK', 'h')), 'ERR Not a listpack encoded object.');
  } finally {
    await s.close();
  }
});

test('Statistics - INFO keyspace subexpiry and expired_subkeys', async () => {
  const s = await clocked();
  const { r } = s;
  const sub = async () => Number(/subexpiry=(\d+)/.exec(String(await r('INFO', 'keyspace')))?.[1] ?? 0);
  try {
    await r('HSET', 'myhash', 'f1', 'v1', 'f2', 'v2', 'f3', 'v3', 'f4', 'v4', 'f5', 'v5');
    // no hash with field TTLs: Redis 7.2's line (7.4 appends subexpiry=0)
    assert.match(String(await r('INFO', 'keyspace')), /\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n$/);
    await r('HPEXPIRE', 'myhash', 150, 'FIELDS', 3, 'f1', 'f2', 'f3');
    assert.match(String(await r('INFO', 'keyspace')), /\r\ndb0:keys=1,expires=0,avg_ttl=0,subexpiry=1\r\n$/);
    await r('HSET', 'myhash2', 'f1', 'v1', 'f2', 'v2', 'f3', 'v3', 'f4', 'v4', 'f5', 'v5');
    assert.equal(await sub(), 1);
    await r('HPEXPIRE', 'myhash2', 100, 'FIELDS', 3, 'f1', 'f2', 'f3');
    assert.equal(await sub(), 2);
    await r('HSET', 'myhash3', 'f1', 'v1', 'f2', 'v2');
    await r('HPEXPIRE', 'myhash3', 100, 'FIELDS', 1, 'f2');
    assert.equal(await sub(), 3);
    await r('HDEL', 'myhash3', 'f2');
    assert.equal(await sub(), 2);
    await r('HSET', 'myhash4', 'f1', 'v1', 'f2', 'v2');
    await r('HPEXPIRE', 'myhash4', 100, 'FIELDS', 1, 'f2');
    assert.equal(await sub(), 3);
    await r('HGETDEL', 'myhash4', 'FIELDS', 1, 'f2');
    assert.equal(await sub(), 2);
    s.tick(200);
    s.cycle();
    assert.equal(await sub(), 0);
    assert.match(String(await r('INFO', 'stats')), /\r\nexpired_subkeys:6\r\n/);
    await r('CONFIG', 'RESETSTAT');
    assert.match(String(await r('INFO', 'stats')), /\r\nexpired_subkeys:0\r\n/);
  } finally {
    await s.close();
  }
});

test('DEBUG DIGEST counts a field TTL (its presence, not its time), as Redis 7.4', async () => {
  const s = await clocked();
  const { r } = s;
  try {
    await r('HSET', 'a', 'f', 'v', 'g', 'w');
    await r('HSET', 'b', 'f', 'v', 'g', 'w');
    const plain = await r('DEBUG', 'DIGEST-VALUE', 'a');
    assert.deepEqual(await r('DEBUG', 'DIGEST-VALUE', 'b'), plain);
    await r('HPEXPIRE', 'a', 1000, 'FIELDS', 1, 'f');
    await r('HPEXPIRE', 'b', 2000, 'FIELDS', 1, 'f');
    const ttl = await r('DEBUG', 'DIGEST-VALUE', 'a');
    assert.notDeepEqual(ttl, plain);
    assert.deepEqual(await r('DEBUG', 'DIGEST-VALUE', 'b'), ttl);
    await r('HPERSIST', 'a', 'FIELDS', 1, 'f');
    assert.deepEqual(await r('DEBUG', 'DIGEST-VALUE', 'a'), plain);
  } finally {
    await s.close();
  }
});

/** Reads n push messages (pmessage) from a subscribed raw connection as "channel event" strings. */
async function events(c: RawConn, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const m = decode(await c.read(2000)) as string[];
    out.push(`${m[2]} ${m[3]}`);
  }
  return out;
}

for (const [type, config] of ENCODINGS) {
  test(`Keyspace notifications: hash field expiration events (${type})`, async () => {
    const s = await clocked(config, true);
    const { r } = s;
    const c = await RawConn.connect(s.srv.port);
    try {
      await r('DEBUG', 'SET-ACTIVE-EXPIRE', 0);
      await r('CONFIG', 'SET', 'notify-keyspace-events', 'Khg');
      await c.call('PSUBSCRIBE', '*');
      const k = '__keyspace@0__:myhash';
      await r('HMSET', 'myhash', 'yes', 1, 'no', 0, 'f1', 1, 'f2', 2, 'f3_hdel', 3);
      await r('HINCRBY', 'myhash', 'yes', 10);
      await r('HEXPIRE', 'myhash', 999999, 'FIELDS', 1, 'yes');
      await r('HEXPIREAT', 'myhash', Math.floor(s.now / 1000) + 999999, 'NX', 'FIELDS', 1, 'no');
      await r('HPEXPIRE', 'myhash', 999999, 'FIELDS', 1, 'yes');
      await r('HPERSIST', 'myhash', 'FIELDS', 1, 'yes');
      await r('HPEXPIRE', 'myhash', 0, 'FIELDS', 1, 'yes');
      // nothing is sent for what changes nothing
      await r('HPERSIST', 'myhash', 'FIELDS', 1, 'f1');
      await r('HPEXPIRE', 'myhash', 10, 'XX', 'FIELDS', 1, 'f1');
      assert.deepEqual(await events(c, 7), [
        `${k} hset`,
        `${k} hincrby`,
        `${k} hexpire`,
        `${k} hexpire`,
        `${k} hexpire`,
        `${k} hpersist`,
        `${k} hdel`,
      ]);
      // active expiry: hexpired
      await r('HPEXPIRE', 'myhash', 10, 'FIELDS', 1, 'no');
      s.tick(100);
      s.cycle();
      assert.deepEqual(await events(c, 2), [`${k} hexpire`, `${k} hexpired`]);
      // a field with a TTL deleted by HDEL: the cycle sends nothing later
      await r('HPEXPIRE', 'myhash', 100, 'FIELDS', 1, 'f3_hdel');
      await r('HDEL', 'myhash', 'f3_hdel');
      s.tick(200);
      s.cycle();
      assert.deepEqual(await events(c, 2), [`${k} hexpire`, `${k} hdel`]);
      // lazy expiry by HMGET: one hexpired for both fields, then del
      await r('HPEXPIRE', 'myhash', 10, 'FIELDS', 2, 'f1', 'f2');
      s.tick(20);
      assert.deepEqual(await r('HMGET', 'myhash', 'f1', 'f2'), [null, null]);
      assert.deepEqual(await events(c, 3), [`${k} hexpire`, `${k} hexpired`, `${k} del`]);
      // HGET of the last field: hexpired, del
      await r('HSET', 'myhash', 'a', 1);
      await r('HPEXPIRE', 'myhash', 10, 'FIELDS', 1, 'a');
      s.tick(20);
      assert.equal(await r('HGET', 'myhash', 'a'), null);
      assert.deepEqual(await events(c, 4), [`${k} hset`, `${k} hexpire`, `${k} hexpired`, `${k} del`]);
      // the 8.0 commands (their events as in Redis 8.0's t_hash.c)
      await r('HSETEX', 'myhash', 'PX', 100, 'FIELDS', 2, 'a', 1, 'b', 2); // hset, hexpire
      await r('HSETEX', 'myhash', 'FIELDS', 1, 'c', 3); // hset
      await r('HGETEX', 'myhash', 'PERSIST', 'FIELDS', 1, 'a'); // hpersist
      await r('HGETEX', 'myhash', 'EX', 100, 'FIELDS', 1, 'a'); // hexpire
      await r('HGETEX', 'myhash', 'FIELDS', 1, 'a'); // nothing
      await r('HGETDEL', 'myhash', 'FIELDS', 2, 'c', 'zz'); // hdel
      s.tick(150); // b expires
      await r('HGETEX', 'myhash', 'PXAT', 1, 'FIELDS', 2, 'b', 'a'); // hexpired, hdel, del
      assert.deepEqual(await events(c, 9), [
        `${k} hset`,
        `${k} hexpire`,
        `${k} hset`,
        `${k} hpersist`,
        `${k} hexpire`,
        `${k} hdel`,
        `${k} hexpired`,
        `${k} hdel`,
        `${k} del`,
      ]);
      await r('HSETEX', 'myhash', 'PX', 0, 'FIELDS', 1, 'a', 1); // hset, hdel, del
      assert.deepEqual(await events(c, 3), [`${k} hset`, `${k} hdel`, `${k} del`]);
      await r('HSET', 'myhash', 'a', 1, 'b', 2);
      await r('HPEXPIRE', 'myhash', 10, 'FIELDS', 1, 'a');
      s.tick(20);
      await r('HGETDEL', 'myhash', 'FIELDS', 2, 'a', 'b'); // hexpired, hdel, del
      await r('HSET', 'myhash', 'a', 1);
      await r('HPEXPIRE', 'myhash', 10, 'FIELDS', 1, 'a');
      s.tick(20);
      assert.equal(await r('HSETEX', 'myhash', 'FXX', 'FIELDS', 1, 'a', 2), 0); // hexpired, del
      assert.deepEqual(await events(c, 9), [
        `${k} hset`,
        `${k} hexpire`,
        `${k} hexpired`,
        `${k} hdel`,
        `${k} del`,
        `${k} hset`,
        `${k} hexpire`,
        `${k} hexpired`,
        `${k} del`,
      ]);
      assert.equal(c.pending(), '');
    } finally {
      c.close();
      await s.close();
    }
  });
}

/** Runs fn on a listening clocked server with an AOF (no preamble), then returns the incremental file's commands. */
async function aofOf(config: Record<string, string>, fn: (s: Clocked) => Promise<void>): Promise<string[][]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-hfe-aof-'));
  const s = await clocked(
    { ...config, dir, appendonly: 'yes', appendfsync: 'always', 'aof-use-rdb-preamble': 'no' },
    true,
  );
  try {
    await s.r('DEBUG', 'SET-ACTIVE-EXPIRE', 0);
    await fn(s);
  } finally {
    await s.close();
  }
  const ops = readCommands(fs.readFileSync(incrFile(dir))).commands;
  fs.rmSync(dir, { recursive: true, force: true });
  return ops;
}

for (const [type, config] of ENCODINGS) {
  test(`Commands propagate deterministically: HPEXPIREAT, HSETEX PXAT, HDELs (${type})`, async () => {
    let t = 0;
    let ts = 0;
    const ops = await aofOf(config, async (s) => {
      const { r } = s;
      t = s.now;
      ts = Math.floor(t / 1000);
      await r('HSET', 'h0', 'x1', 'y1', 'x2', 'y2');
      await r('HEXPIREAT', 'h0', 1, 'FIELDS', 3, 'x1', 'x2', 'non_exists_field');
      await r('HSET', 'h1', 'f1', 'v1', 'f2', 'v2');
      await r('HEXPIRE', 'h1', 10, 'XX', 'FIELDS', 3, 'f1', 'f2', 'non_exists_field');
      await r('HPEXPIRE', 'h1', 20, 'FIELDS', 1, 'f1');
      await r('HPEXPIRE', 'h1', 30, 'NX', 'FIELDS', 2, 'f1', 'f2');
      await r('HPEXPIRE', 'h1', 30, 'FIELDS', 1, 'non_exists_field');
      await r('HSET', 'h2', 'f1', 'v1', 'f2', 'v2', 'f3', 'v3', 'f4', 'v4');
      await r('HPEXPIRE', 'h2', 40, 'FIELDS', 2, 'f1', 'non_exists_field');
      await r('HPEXPIRE', 'h2', 50, 'FIELDS', 1, 'f2');
      await r('HPEXPIREAT', 'h2', t + 100000, 'LT', 'FIELDS', 1, 'f3');
      await r('HEXPIREAT', 'h2', ts + 10, 'NX', 'FIELDS', 1, 'f4');
      s.tick(60);
      s.cycle();
      assert.equal(await r('HLEN', 'h2'), 2);
      // HSETEX
      await r('HSETEX', 'h3', 'FIELDS', 1, 'f1', 'v1');
      await r('HSETEX', 'h3', 'FXX', 'FIELDS', 1, 'f1', 'v11');
      await r('HSETEX', 'h3', 'FNX', 'FIELDS', 1, 'f2', 'v22');
      await r('HSETEX', 'h3', 'KEEPTTL', 'FIELDS', 1, 'f2', 'v22');
      await r('HSETEX', 'h3', 'FNX', 'FIELDS', 2, 'f1', 'v1', 'f2', 'v2');
      await r('HSETEX', 'h3', 'EX', 10000, 'FIELDS', 1, 'f1', 'v111');
      await r('HSETEX', 'h3', 'PX', 10000, 'FIELDS', 1, 'f1', 'v111');
      await r('HSETEX', 'h3', 'PXAT', s.now + 100000, 'FIELDS', 1, 'f1', 'v111');
      await r('HSETEX', 'h3', 'EXAT', Math.floor(s.now / 1000) + 100000, 'FIELDS', 1, 'f1', 'v111');
      await r('HSETEX', 'h3', 'PX', 0, 'FIELDS', 1, 'f1', 'v111');
      await r('HSETEX', 'h3', 'PX', 0, 'FIELDS', 3, 'f1', 'v2', 'f2', 'v2', 'f3', 'v3');
      // HGETEX
      await r('HSETEX', 'h4', 'FIELDS', 3, 'f1', 'v1', 'f2', 'v2', 'f3', 'v3');
      await r('HGETEX', 'h4', 'FIELDS', 1, 'f1');
      await r('HGETEX', 'h4', 'EX', 10000, 'FIELDS', 1, 'f1');
      await r('HGETEX', 'h4', 'PX', 10000, 'FIELDS', 1, 'f1');
      await r('HGETEX', 'h4', 'PXAT', s.now + 100000, 'FIELDS', 1, 'f1');
      await r('HGETEX', 'h4', 'EXAT', Math.floor(s.now / 1000) + 100000, 'FIELDS', 1, 'f1');
      await r('HGETEX', 'h4', 'PX', 0, 'FIELDS', 1, 'f1');
      await r('HGETEX', 'h4', 'PX', 0, 'FIELDS', 3, 'f1', 'f2', 'f3');
      await r('HSETEX', 'h4', 'EX', 1000, 'FIELDS', 1, 'f4', 'v4');
      await r('HGETEX', 'h4', 'PERSIST', 'FIELDS', 1, 'f4');
      await r('HGETEX', 'h4', 'PERSIST', 'FIELDS', 1, 'f4');
      await r('HGETDEL', 'h4', 'FIELDS', 1, 'f4');
      // lazy expiry (HGETEX of an expired field with EX: only the HDEL)
      await r('HSETEX', 'h5', 'PX', 10, 'FIELDS', 1, 'f1', 'v1');
      await r('HSET', 'h5', 'f0', 'v0');
      s.tick(15);
      await r('HGETEX', 'h5', 'EX', 1000, 'FIELDS', 1, 'f1');
      await r('HSETEX', 'h5', 'PX', 10, 'FIELDS', 1, 'f3', 'v3');
      s.tick(15);
      await r('HSETEX', 'h5', 'FIELDS', 1, 'f4', 'v4');
      await r('HGETEX', 'h5', 'EXAT', 1, 'FIELDS', 2, 'f3', 'f4');
      // HRANDFIELD expiring two fields: one MULTI/EXEC
      await r('HSET', 'h6', 'f1', 'v1', 'f2', 'v2');
      await r('HPEXPIRE', 'h6', 1, 'FIELDS', 1, 'f1');
      await r('HPEXPIRE', 'h6', 2, 'FIELDS', 1, 'f2');
      s.tick(5);
      assert.deepEqual(await r('HRANDFIELD', 'h6', 2), []);
      // HINCRBYFLOAT keeps a TTL on replay (Redis 8.0's HSETEX KEEPTTL); without one, 7.2's HSET
      await r('HSETEX', 'h7', 'EX', 100, 'FIELDS', 1, 'f1', 1);
      await r('HSET', 'h7', 'f2', 1);
      await r('HINCRBYFLOAT', 'h7', 'f1', 1.1);
      await r('HINCRBYFLOAT', 'h7', 'f2', 1.1);
      // HPERSIST as is; nothing when nothing changes
      await r('HPERSIST', 'h7', 'FIELDS', 1, 'f2');
      await r('HPERSIST', 'h7', 'FIELDS', 2, 'f1', 'zz');
    });
    const T = (d: number) => String(t + d);
    assert.deepEqual(ops, [
      ['SELECT', '0'],
      ['HSET', 'h0', 'x1', 'y1', 'x2', 'y2'],
      ['MULTI'],
      ['HDEL', 'h0', 'x1'],
      ['HDEL', 'h0', 'x2'],
      ['EXEC'],
      ['HSET', 'h1', 'f1', 'v1', 'f2', 'v2'],
      ['HPEXPIREAT', 'h1', T(20), 'FIELDS', '1', 'f1'],
      ['HPEXPIREAT', 'h1', T(30), 'NX', 'FIELDS', '1', 'f2'],
      ['HSET', 'h2', 'f1', 'v1', 'f2', 'v2', 'f3', 'v3', 'f4', 'v4'],
      ['HPEXPIREAT', 'h2', T(40), 'FIELDS', '1', 'f1'],
      ['HPEXPIREAT', 'h2', T(50), 'FIELDS', '1', 'f2'],
      ['HPEXPIREAT', 'h2', T(100000), 'LT', 'FIELDS', '1', 'f3'],
      ['HPEXPIREAT', 'h2', String((ts + 10) * 1000), 'NX', 'FIELDS', '1', 'f4'],
      ['HDEL', 'h1', 'f1'],
      ['HDEL', 'h1', 'f2'],
      ['HDEL', 'h2', 'f1'],
      ['HDEL', 'h2', 'f2'],
      ['HSETEX', 'h3', 'FIELDS', '1', 'f1', 'v1'],
      ['HSETEX', 'h3', 'FXX', 'FIELDS', '1', 'f1', 'v11'],
      ['HSETEX', 'h3', 'FNX', 'FIELDS', '1', 'f2', 'v22'],
      ['HSETEX', 'h3', 'KEEPTTL', 'FIELDS', '1', 'f2', 'v22'],
      ['HSETEX', 'h3', 'PXAT', T(60 + 10000000), 'FIELDS', '1', 'f1', 'v111'],
      ['HSETEX', 'h3', 'PXAT', T(60 + 10000), 'FIELDS', '1', 'f1', 'v111'],
      ['HSETEX', 'h3', 'PXAT', T(60 + 100000), 'FIELDS', '1', 'f1', 'v111'],
      ['HSETEX', 'h3', 'PXAT', String((Math.floor((t + 60) / 1000) + 100000) * 1000), 'FIELDS', '1', 'f1', 'v111'],
      ['HDEL', 'h3', 'f1'],
      ['MULTI'],
      ['HDEL', 'h3', 'f1'],
      ['HDEL', 'h3', 'f2'],
      ['HDEL', 'h3', 'f3'],
      ['EXEC'],
      ['HSETEX', 'h4', 'FIELDS', '3', 'f1', 'v1', 'f2', 'v2', 'f3', 'v3'],
      ['HPEXPIREAT', 'h4', T(60 + 10000000), 'FIELDS', '1', 'f1'],
      ['HPEXPIREAT', 'h4', T(60 + 10000), 'FIELDS', '1', 'f1'],
      ['HPEXPIREAT', 'h4', T(60 + 100000), 'FIELDS', '1', 'f1'],
      ['HPEXPIREAT', 'h4', String((Math.floor((t + 60) / 1000) + 100000) * 1000), 'FIELDS', '1', 'f1'],
      ['HDEL', 'h4', 'f1'],
      ['MULTI'],
      ['HDEL', 'h4', 'f2'],
      ['HDEL', 'h4', 'f3'],
      ['EXEC'],
      ['HSETEX', 'h4', 'PXAT', T(60 + 1000000), 'FIELDS', '1', 'f4', 'v4'],
      ['HPERSIST', 'h4', 'FIELDS', '1', 'f4'],
      ['HDEL', 'h4', 'f4'],
      ['HSETEX', 'h5', 'PXAT', T(60 + 10), 'FIELDS', '1', 'f1', 'v1'],
      ['HSET', 'h5', 'f0', 'v0'],
      ['HDEL', 'h5', 'f1'],
      ['HSETEX', 'h5', 'PXAT', T(75 + 10), 'FIELDS', '1', 'f3', 'v3'],
      ['HSETEX', 'h5', 'FIELDS', '1', 'f4', 'v4'],
      ['MULTI'],
      ['HDEL', 'h5', 'f3'],
      ['HDEL', 'h5', 'f4'],
      ['EXEC'],
      ['HSET', 'h6', 'f1', 'v1', 'f2', 'v2'],
      ['HPEXPIREAT', 'h6', T(90 + 1), 'FIELDS', '1', 'f1'],
      ['HPEXPIREAT', 'h6', T(90 + 2), 'FIELDS', '1', 'f2'],
      ['MULTI'],
      ['HDEL', 'h6', 'f1'],
      ['HDEL', 'h6', 'f2'],
      ['EXEC'],
      ['HSETEX', 'h7', 'PXAT', T(95 + 100000), 'FIELDS', '1', 'f1', '1'],
      ['HSET', 'h7', 'f2', '1'],
      ['HSETEX', 'h7', 'KEEPTTL', 'FIELDS', '1', 'f1', '2.1'],
      ['HSET', 'h7', 'f2', '2.1'],
      ['HPERSIST', 'h7', 'FIELDS', '2', 'f1', 'zz'],
    ]);
  });

  test(`Lazy expiry propagates HDELs; the AOF and its rewrite replay to the same absolute times (${type})`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-hfe-replay-'));
    const cfg = { ...config, dir, appendonly: 'yes', 'aof-use-rdb-preamble': 'no' };
    /** Every field of every hash with its HPEXPIRETIME (tcl's dumpAllHashes). */
    const dumpAll = async (s: Clocked) => {
      const out: Record<string, unknown> = {};
      for (const k of ((await s.r('KEYS', '*')) as string[]).sort()) {
        const fields = (await s.r('HKEYS', k)) as string[];
        for (const f of fields)
          out[`${k}/${f}`] = [await s.r('HGET', k, f), await s.r('HPEXPIRETIME', k, 'FIELDS', 1, f)];
      }
      return out;
    };
    let s = await clocked(cfg, true);
    try {
      await s.r('DEBUG', 'SET-ACTIVE-EXPIRE', 0);
      await s.r('HSET', 'myhash', 'f1', 'v1', 'f2', 'v2', 'f3', 'v3');
      await s.r('HPEXPIRE', 'myhash', 1, 'NX', 'FIELDS', 3, 'f1', 'f2', 'f3');
      s.tick(5);
      assert.equal(await s.r('HEXISTS', 'myhash', 'f1'), 0);
      assert.equal(await s.r('HGET', 'myhash', 'f2'), null);
      assert.equal(await s.r('HSTRLEN', 'myhash', 'f3'), 0);
      assert.equal(await s.r('EXISTS', 'myhash'), 0);
      await s.r('HSET', 'h1', 'f1', 'v1', 'f2', 'v2', 'f3', 'v3', 'f4', 'v4', 'f5', 'v5', 'f6', 'v6');
      await s.r('HEXPIREAT', 'h1', Math.floor(s.now / 1000) + 100, 'NX', 'FIELDS', 1, 'f1');
      await s.r('HPEXPIREAT', 'h1', s.now + 100000, 'NX', 'FIELDS', 1, 'f2');
      await s.r('HPEXPIRE', 'h1', 100000, 'NX', 'FIELDS', 3, 'f3', 'f4', 'f5');
      await s.r('HEXPIRE', 'h1', 100000, 'FIELDS', 1, 'f6');
      await s.r('HSETEX', 'h3', 'EX', 100000, 'FIELDS', 2, 'f1', 'v1', 'f2', 'v2');
      await s.r('HGETEX', 'h3', 'PX', 5000, 'FIELDS', 1, 'f2');
      const big: string[] = [];
      for (let i = 0; i < 300; i++) big.push(`k${i}`, `v${i}`);
      await s.r('HSET', 'big', ...big);
      for (let i = 0; i < 300; i += 3) await s.r('HPEXPIRE', 'big', 1000 + (i % 7), 'FIELDS', 1, `k${i}`);
      const before = await dumpAll(s);
      const digest = await s.r('DEBUG', 'DIGEST');
      await s.close();
      const ops = readCommands(fs.readFileSync(incrFile(dir))).commands;
      assert.deepEqual(ops.slice(0, 6), [
        ['SELECT', '0'],
        ['HSET', 'myhash', 'f1', 'v1', 'f2', 'v2', 'f3', 'v3'],
        ['HPEXPIREAT', 'myhash', String(T0 + 1), 'NX', 'FIELDS', '3', 'f1', 'f2', 'f3'],
        ['HDEL', 'myhash', 'f1'],
        ['HDEL', 'myhash', 'f2'],
        ['HDEL', 'myhash', 'f3'],
      ]);
      // replayed from the AOF
      s = await clocked(cfg, true);
      assert.deepEqual(await dumpAll(s), before);
      assert.deepEqual(await s.r('DEBUG', 'DIGEST'), digest);
      assert.equal(s.srv.server.dbs[0]!.hfe.size, 3);
      // and from a rewrite (HSET, then one HPEXPIREAT per distinct time)
      await s.r('BGREWRITEAOF');
      for (let i = 0; i < 200 && !/aof_rewrite_in_progress:0/.test(String(await s.r('INFO', 'persistence'))); i++)
        await new Promise((res) => setTimeout(res, 20));
      await s.close();
      const base = fs.readdirSync(path.join(dir, 'appendonlydir')).find((f) => f.includes('.base.aof'))!;
      const rewritten = readCommands(fs.readFileSync(path.join(dir, 'appendonlydir', base))).commands;
      assert.ok(rewritten.some((c) => c[0] === 'HPEXPIREAT' && c[1] === 'h1' && c[2] === String(T0 + 5 + 100000)));
      s = await clocked(cfg, true);
      assert.deepEqual(await dumpAll(s), before);
      assert.deepEqual(await s.r('DEBUG', 'DIGEST'), digest);
    } finally {
      await s.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('COMMAND INFO and COMMAND DOCS of the field-TTL commands (Redis 7.4 / 8.0 JSON files)', async () => {
  const s = await clocked();
  try {
    const info = async (name: string) => ((await s.r('COMMAND', 'INFO', name)) as unknown[][])[0];
    const range = [
      'flags',
      [] as string[],
      'begin_search',
      ['type', 'index', 'spec', ['index', 1]],
      'find_keys',
      ['type', 'range', 'spec', ['lastkey', 0, 'keystep', 1, 'limit', 0]],
    ];
    const spec = (flags: string[], notes?: string) => {
      const r = range.slice();
      r[1] = flags;
      return notes === undefined ? r : ['notes', notes, ...r];
    };
    for (const name of ['hexpire', 'hpexpire', 'hexpireat', 'hpexpireat']) {
      assert.deepEqual(await info(name), [
        name,
        -6,
        ['write', 'denyoom', 'fast'],
        1,
        1,
        1,
        ['@write', '@hash', '@fast'],
        [],
        [spec(['RW', 'update'])],
        [],
      ]);
    }
    for (const name of ['httl', 'hpttl', 'hexpiretime', 'hpexpiretime']) {
      assert.deepEqual(await info(name), [
        name,
        -5,
        ['readonly', 'fast'],
        1,
        1,
        1,
        ['@read', '@hash', '@fast'],
        [],
        [spec(['RO', 'access'])],
        [],
      ]);
    }
    assert.deepEqual(await info('hpersist'), [
      'hpersist',
      -5,
      ['write', 'fast'],
      1,
      1,
      1,
      ['@write', '@hash', '@fast'],
      [],
      [spec(['RW', 'update'])],
      [],
    ]);
    assert.deepEqual(await info('hgetex'), [
      'hgetex',
      -5,
      ['write', 'fast'],
      1,
      1,
      1,
      ['@write', '@hash', '@fast'],
      [],
      [spec(['RW', 'access', 'update'], 'RW and UPDATE because it changes the TTL')],
      [],
    ]);
    assert.deepEqual(await info('hsetex'), [
      'hsetex',
      -6,
      ['write', 'denyoom', 'fast'],
      1,
      1,
      1,
      ['@write', '@hash', '@fast'],
      [],
      [spec(['RW', 'update'])],
      [],
    ]);
    assert.deepEqual(await info('hgetdel'), [
      'hgetdel',
      -5,
      ['write', 'fast'],
      1,
      1,
      1,
      ['@write', '@hash', '@fast'],
      [],
      [spec(['RW', 'access', 'delete'])],
      [],
    ]);
    // DOCS: group, since, complexity, arguments (summaries are tsdis's own words)
    const docs = async (name: string) => {
      const d = (await s.r('COMMAND', 'DOCS', name)) as unknown[];
      const m = d[1] as unknown[];
      const o: Record<string, unknown> = {};
      for (let i = 0; i < m.length; i += 2) o[m[i] as string] = m[i + 1];
      return o;
    };
    const fields = [
      'name',
      'fields',
      'type',
      'block',
      'token',
      'FIELDS',
      'arguments',
      [
        ['name', 'numfields', 'type', 'integer'],
        ['name', 'field', 'type', 'string', 'flags', ['multiple']],
      ],
    ];
    const hexpire = await docs('hexpire');
    assert.equal(hexpire['group'], 'hash');
    assert.equal(hexpire['since'], '7.4.0');
    assert.equal(hexpire['complexity'], 'O(N) where N is the number of specified fields');
    assert.deepEqual(hexpire['arguments'], [
      ['name', 'key', 'type', 'key', 'key_spec_index', 0],
      ['name', 'seconds', 'type', 'integer'],
      [
        'name',
        'condition',
        'type',
        'oneof',
        'flags',
        ['optional'],
        'arguments',
        [
          ['name', 'nx', 'type', 'pure-token', 'token', 'NX'],
          ['name', 'xx', 'type', 'pure-token', 'token', 'XX'],
          ['name', 'gt', 'type', 'pure-token', 'token', 'GT'],
          ['name', 'lt', 'type', 'pure-token', 'token', 'LT'],
        ],
      ],
      fields,
    ]);
    assert.deepEqual(
      (await docs('hpexpireat'))['arguments'] && ((await docs('hpexpireat'))['arguments'] as unknown[])[1],
      ['name', 'unix-time-milliseconds', 'type', 'unix-time'],
    );
    assert.deepEqual((await docs('httl'))['arguments'], [['name', 'key', 'type', 'key', 'key_spec_index', 0], fields]);
    const hgetex = await docs('hgetex');
    assert.equal(hgetex['since'], '8.0.0');
    assert.deepEqual((hgetex['arguments'] as unknown[][])[1], [
      'name',
      'expiration',
      'type',
      'oneof',
      'flags',
      ['optional'],
      'arguments',
      [
        ['name', 'seconds', 'type', 'integer', 'token', 'EX'],
        ['name', 'milliseconds', 'type', 'integer', 'token', 'PX'],
        ['name', 'unix-time-seconds', 'type', 'unix-time', 'token', 'EXAT'],
        ['name', 'unix-time-milliseconds', 'type', 'unix-time', 'token', 'PXAT'],
        ['name', 'persist', 'type', 'pure-token', 'token', 'PERSIST'],
      ],
    ]);
    const hsetex = await docs('hsetex');
    assert.equal(hsetex['complexity'], 'O(N) where N is the number of fields being set.');
    assert.deepEqual((hsetex['arguments'] as unknown[][])[3], [
      'name',
      'fields',
      'type',
      'block',
      'token',
      'FIELDS',
      'arguments',
      [
        ['name', 'numfields', 'type', 'integer'],
        [
          'name',
          'data',
          'type',
          'block',
          'flags',
          ['multiple'],
          'arguments',
          [
            ['name', 'field', 'type', 'string'],
            ['name', 'value', 'type', 'string'],
          ],
        ],
      ],
    ]);
    // COMMAND GETKEYS finds the key
    assert.deepEqual(await s.r('COMMAND', 'GETKEYS', 'HSETEX', 'k', 'FIELDS', 1, 'f', 'v'), ['k']);
    assert.deepEqual(await s.r('COMMAND', 'GETKEYS', 'HGETDEL', 'k', 'FIELDS', 1, 'f'), ['k']);
    const list = (await s.r('COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'h*ex*')) as string[];
    assert.deepEqual(list.sort(), [
      'hexists',
      'hexpire',
      'hexpireat',
      'hexpiretime',
      'hgetex',
      'hpexpire',
      'hpexpireat',
      'hpexpiretime',
      'hsetex',
    ]);
  } finally {
    await s.close();
  }
});

test('AOF replay after the fields expired converges: replayed commands find the fields their originals found', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-hfe-late-'));
  const cfg = { dir, appendonly: 'yes', 'aof-use-rdb-preamble': 'no' };
  let s = await clocked(cfg, true);
  try {
    await s.r('DEBUG', 'SET-ACTIVE-EXPIRE', 0);
    await s.r('HSET', 'h', 'f', 5, 'g', 1);
    await s.r('HPEXPIRE', 'h', 100, 'FIELDS', 1, 'f');
    assert.equal(await s.r('HINCRBY', 'h', 'f', 1), 6); // keeps f's TTL
    await s.r('HSET', 'h2', 'f', 5);
    await s.r('HPEXPIRE', 'h2', 100, 'FIELDS', 1, 'f');
    assert.equal(String(await s.r('HINCRBYFLOAT', 'h2', 'f', 1.5)), '6.5');
    await s.close();
    // replayed much later: HPEXPIREAT's time has passed, but HINCRBY must not
    // make a new field without a TTL out of it (Redis neither deletes nor
    // expires anything while loading)
    s = await clocked(cfg, true, T0 + 10_000);
    await s.r('DEBUG', 'SET-ACTIVE-EXPIRE', 0);
    assert.equal(await s.r('HLEN', 'h'), 2);
    assert.deepEqual(await s.r('HTTL', 'h', 'FIELDS', 2, 'f', 'g'), [T_NO_FIELD, T_NO_EXPIRY]);
    assert.equal(await s.r('HGET', 'h', 'f'), null);
    assert.deepEqual(await s.r('HGETALL', 'h'), ['g', '1']);
    assert.equal(await s.r('HGET', 'h2', 'f'), null);
    assert.equal(await s.r('EXISTS', 'h2'), 0);
    await s.close();
    // the lazy expiries after the load are appended as HDELs, and only those
    const ops = readCommands(fs.readFileSync(incrFile(dir))).commands;
    assert.deepEqual(
      ops.filter((c) => c[0] === 'HDEL'),
      [
        ['HDEL', 'h', 'f'],
        ['HDEL', 'h2', 'f'],
      ],
    );
  } finally {
    await s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the active cycle leaves hash fields alone while a dataset loads', async () => {
  const s = await clocked();
  try {
    await s.r('HSET', 'h', 'f', 1, 'g', 2);
    await s.r('HPEXPIRE', 'h', 10, 'FIELDS', 1, 'f');
    s.tick(20);
    s.srv.server.loading = true;
    s.cycle();
    s.srv.server.loading = false;
    assert.equal(await s.r('HLEN', 'h'), 2);
    s.cycle();
    assert.equal(await s.r('HLEN', 'h'), 1);
  } finally {
    await s.close();
  }
});

test("the dirty counter moves as Redis's t_hash.c counts (fields changed; lazy expiry counts nothing)", async () => {
  const s = await clocked();
  const { r } = s;
  const dirty = async () =>
    Number(/rdb_changes_since_last_save:(\d+)/.exec(String(await r('INFO', 'persistence')))![1]);
  const steps: [(string | number)[], number][] = [
    [['HSET', 'h', 'a', 1, 'b', 2], 2],
    [['HEXPIRE', 'h', 100, 'FIELDS', 2, 'a', 'zz'], 1],
    [['HEXPIRE', 'h', 100, 'NX', 'FIELDS', 1, 'a'], 0],
    [['HPERSIST', 'h', 'FIELDS', 2, 'a', 'b'], 1],
    [['HPERSIST', 'h', 'FIELDS', 1, 'a'], 0],
    [['HGETEX', 'h', 'EX', 10, 'FIELDS', 2, 'a', 'b'], 2],
    [['HGETEX', 'h', 'FIELDS', 1, 'a'], 0],
    [['HGETEX', 'h', 'PERSIST', 'FIELDS', 2, 'a', 'zz'], 1],
    [['HGETDEL', 'h', 'FIELDS', 2, 'a', 'zz'], 1],
    [['HSETEX', 'n', 'EX', 10, 'FIELDS', 2, 'x', 1, 'y', 2], 2],
    [['HSETEX', 'n', 'FNX', 'FIELDS', 1, 'x', 1], 0],
    [['HPEXPIREAT', 'n', 1, 'FIELDS', 2, 'x', 'y'], 2],
    [['HSET', 'l', 'f', 1], 1],
    [['HPEXPIRE', 'l', 10, 'FIELDS', 1, 'f'], 1],
  ];
  try {
    for (const [cmd, n] of steps) {
      const before = await dirty();
      await r(...cmd);
      assert.equal((await dirty()) - before, n, cmd.join(' '));
    }
    s.tick(20);
    const before = await dirty();
    assert.equal(await r('HGET', 'l', 'f'), null);
    assert.equal(await r('EXISTS', 'l'), 0);
    assert.equal((await dirty()) - before, 0, 'lazy expiry');
  } finally {
    await s.close();
  }
});
