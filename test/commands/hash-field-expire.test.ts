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
import { encode } from '../helpers/resp.js';
import { decode } from '../helpers/diff.js';
import { incrFile } from '../helpers/aof.js';
import { readCommands } from '../../src/persistence/aof.js';
import { activeExpireCycle } from '../../src/keyspace/expire.js';
import { ReplyError } from '../../src/index.js';

const T0 = 1_700_000_000_000;

/** An in-process server on an injected clock: r() runs a command, tick() moves time. */
async function clocked(config: Record<string, string> = {}, listen = false) {
  let now = T0;
  const srv = await createServer({ noListen: !listen, clock: () => now, config: { 'enable-debug-command': 'yes', ...config } });
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
    assert.equal(errOf(await r('HEXPIRE', 'myhash', '-9223372036854775808', 'FIELDS', 1, 'f1')), 'ERR invalid expire time, must be >= 0');
    assert.equal(errOf(await r('HEXPIRE', 'myhash', Math.floor(2 ** 48 / 1000), 'FIELDS', 1, 'f1')), "ERR invalid expire time in 'hexpire' command");
    assert.equal(errOf(await r('HEXPIREAT', 'myhash', Math.floor(2 ** 48 / 1000) + Math.floor(now / 1000) + 100, 'FIELDS', 1, 'f1')), "ERR invalid expire time in 'hexpireat' command");
    assert.equal(errOf(await r('HPEXPIRE', 'myhash', 2 ** 48, 'FIELDS', 1, 'f1')), "ERR invalid expire time in 'hpexpire' command");
    assert.equal(errOf(await r('HPEXPIREAT', 'myhash', 2 ** 48 + now + 100, 'FIELDS', 1, 'f1')), "ERR invalid expire time in 'hpexpireat' command");
    assert.equal(errOf(await r('HPEXPIRE', 'myhash', 'x', 'FIELDS', 1, 'f1')), 'ERR value is not an integer or out of range');
    assert.equal(errOf(await r('HPEXPIRE', 'myhash', '9223372036854775808', 'FIELDS', 1, 'f1')), 'ERR value is not an integer or out of range');
    // the limit is 2^46 - 1 ms, absolute
    assert.deepEqual(await r('HPEXPIRE', 'myhash', 2 ** 46 - now - 1000, 'FIELDS', 1, 'f1'), [E_OK]);
    assert.deepEqual(await r('HPEXPIREAT', 'myhash', 2 ** 46 - 1, 'FIELDS', 1, 'f1'), [E_OK]);
    assert.equal(errOf(await r('HPEXPIREAT', 'myhash', 2 ** 46, 'FIELDS', 1, 'f1')), "ERR invalid expire time in 'hpexpireat' command");
    assert.equal(errOf(await r('HPEXPIRE', 'myhash', 2 ** 46 - now + 100, 'FIELDS', 1, 'f1')), "ERR invalid expire time in 'hpexpire' command");
  });

  withServer("HPEXPIRE(AT) - Test 'NX' flag", async ({ r, now }) => {
    await r('HSET', 'myhash', 'field1', 'value1', 'field2', 'value2', 'field3', 'value3');
    assert.deepEqual(await r('HPEXPIRE', 'myhash', 1000, 'NX', 'FIELDS', 1, 'field1'), [E_OK]);
    assert.deepEqual(await r('HPEXPIRE', 'myhash', 1000, 'NX', 'FIELDS', 2, 'field1', 'field2'), [E_FAIL, E_OK]);
    await r('DEL', 'myhash');
    await r('HSET', 'myhash', 'field1', 'value1', 'field2', 'value2', 'field3', 'value3');
    assert.deepEqual(await r('HPEXPIREAT', 'myhash', now + 1_000_000, 'nx', 'FIELDS', 1, 'field1'), [E_OK]);
    assert.deepEqual(await r('HPEXPIREAT', 'myhash', now + 1_000_000, 'NX', 'fields', 2, 'field1', 'field2'), [E_FAIL, E_OK]);
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
    assert.deepEqual(await r('HPEXPIRE', 'myhash', 1500, 'LT', 'FIELDS', 3, 'field1', 'field2', 'field3'), [E_FAIL, E_OK, E_OK]);
  });

  withServer('HPEXPIREAT - field not exists or TTL is in the past', async ({ r, now }) => {
    await r('HSET', 'myhash', 'f1', 'v1', 'f2', 'v2', 'f4', 'v4');
    await r('HEXPIRE', 'myhash', 1000, 'NX', 'FIELDS', 1, 'f4');
    assert.deepEqual(await r('HPEXPIREAT', 'myhash', now - 1000, 'NX', 'FIELDS', 4, 'f1', 'f2', 'f3', 'f4'), [E_DELETED, E_DELETED, E_NO_FIELD, E_FAIL]);
    assert.equal(await r('HEXISTS', 'myhash', 'f1'), 0);
    // a time equal to now deletes too (Redis's checkAlreadyExpired: when <= now)
    assert.deepEqual(await r('HPEXPIREAT', 'myhash', now, 'FIELDS', 1, 'f4'), [E_DELETED]);
    assert.equal(await r('EXISTS', 'myhash'), 0);
  });

  withServer('HPEXPIRE - wrong number of arguments and FIELDS position', async ({ r }) => {
    await r('HSET', 'myhash', 'f1', 'v1');
    assert.equal(errOf(await r('HPEXPIRE', 'myhash', 1000, 'NX', 'FIELDS', 0, 'f1', 'f2', 'f3')), 'ERR Parameter `numFields` should be greater than 0');
    assert.equal(errOf(await r('HPEXPIRE', 'myhash', 1000, 'NX', 'FIELDS', 'x', 'f1')), 'ERR Parameter `numFields` should be greater than 0');
    assert.equal(errOf(await r('HPEXPIRE', 'myhash', 1000, 'NX', 'FIELDS', 4, 'f1', 'f2', 'f3')), 'ERR The `numfields` parameter must match the number of arguments');
    assert.equal(errOf(await r('HPEXPIRE', 'myhash', 1000, 'NX', 'FIELDS', 2, 'f1', 'f2', 'f3')), 'ERR The `numfields` parameter must match the number of arguments');
    assert.equal(errOf(await r('HPEXPIRE', 'myhash', 1000, 'FIELDS')), "ERR wrong number of arguments for 'hpexpire' command");
    assert.equal(errOf(await r('HPEXPIRE', 'myhash', 1000, 'XX', 1, 'f1')), 'ERR Mandatory argument FIELDS is missing or not at the right position');
    assert.equal(errOf(await r('HPEXPIRE', 'myhash', 1000, 'FOO', 'FIELDS', 1, 'f1')), 'ERR Mandatory argument FIELDS is missing or not at the right position');
    // the time is checked before the rest, the type before the time
    assert.equal(errOf(await r('HPEXPIRE', 'myhash', -5, 'FOO', 'BAR', 1, 'f1')), 'ERR invalid expire time, must be >= 0');
    await r('SET', 'str', 'x');
    assert.equal(errOf(await r('HPEXPIRE', 'str', -5, 'FOO', 'BAR', 1, 'f1')), 'WRONGTYPE Operation against a key holding the wrong kind of value');
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
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
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
    assert.equal(s.srv.server.stats.expiredSubkeys, sizes.reduce((a, b) => a + 3 * b, 0));
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
      assert.equal(errOf(await r(cmd, 'myhash', 'FIELDS', 1, 'a', 'b')), 'ERR The `numfields` parameter must match the number of arguments');
      assert.equal(errOf(await r(cmd, 'myhash', 'FIELDS', 3, 'a', 'b')), 'ERR The `numfields` parameter must match the number of arguments');
      assert.equal(errOf(await r(cmd, 'myhash', 'FIELDS', 0, 'a')), 'ERR Number of fields must be a positive integer');
      assert.equal(errOf(await r(cmd, 'myhash', 'FIELDS', -1, 'a')), 'ERR Number of fields must be a positive integer');
      assert.equal(errOf(await r(cmd, 'myhash', 'FILEDS', 1, 'a')), 'ERR Mandatory argument FIELDS is missing or not at the right position');
      assert.equal(errOf(await r(cmd, 'myhash', 'FIELDS', 1)), `ERR wrong number of arguments for '${cmd.toLowerCase()}' command`);
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
    assert.deepEqual(await r('HEXPIREAT', 'myhash', Math.floor(now / 1000) - 1, 'NX', 'FIELDS', 1, 'field1'), [E_DELETED]);
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
    assert.deepEqual(await r('HRANDFIELD', 'myhash', -5, 'WITHVALUES'), ['f3', 'v3', 'f3', 'v3', 'f3', 'v3', 'f3', 'v3', 'f3', 'v3']);
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
    const scanned = async (k: string) => [...new Set(((await r('HSCAN', k, 0, 'COUNT', 100)) as [string, string[]])[1])].sort();
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

  withServer('A field with TTL overridden with another value (TTL discarded); HSET return value', async ({ r, tick }) => {
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
  });

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
    assert.equal(errOf(await r('HPERSIST', 'myhash', 'FIELDS', 1)), "ERR wrong number of arguments for 'hpersist' command");
    assert.deepEqual(await r('HPERSIST', 'myhash', 'FIELDS', 2, 'f1', 'not-exists-field'), [P_OK, P_NO_FIELD]);
    assert.deepEqual(await r('HPERSIST', 'myhash', 'FIELDS', 1, 'f2'), [P_NO_EXPIRY]);
    assert.equal(errOf(await r('HPERSIST', 'myhash', 'FIELDS', 2, 'f1', 'f2', 'f3')), 'ERR The `numfields` parameter must match the number of arguments');
    assert.equal(errOf(await r('HPERSIST', 'myhash', 'FIELDS', 4, 'f1', 'f2', 'f3')), 'ERR The `numfields` parameter must match the number of arguments');
    assert.equal(errOf(await r('HPERSIST', 'myhash', 'FIELDS', 0, 'f1')), 'ERR Number of fields must be a positive integer');
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
    assert.equal(errOf(await r('HGETDEL', 'h1', 'FIELDS', 2, 'a')), 'ERR The `numfields` parameter must match the number of arguments');
    assert.equal(errOf(await r('HGETDEL', 'h1', 'FIELD', 1, 'a')), 'ERR Mandatory argument FIELDS is missing or not at the right position');
    assert.equal(errOf(await r('HGETDEL', 'h1', 'FIELDS', 1)), "ERR wrong number of arguments for 'hgetdel' command");
  });

  withServer('HGETEX - input validation', async ({ r, now }) => {
    assert.equal(errOf(await r('HGETEX')), "ERR wrong number of arguments for 'hgetex' command");
    assert.equal(errOf(await r('HGETEX', 'h1')), "ERR wrong number of arguments for 'hgetex' command");
    assert.equal(errOf(await r('HGETEX', 'h1', 'FIELDS')), "ERR wrong number of arguments for 'hgetex' command");
    assert.equal(errOf(await r('HGETEX', 'h1', 'FIELDS', 0)), "ERR wrong number of arguments for 'hgetex' command");
    assert.equal(errOf(await r('HGETEX', 'h1', 'FIELDS', 1)), "ERR wrong number of arguments for 'hgetex' command");
    assert.equal(errOf(await r('HGETEX', 'h1', 'XFIELDX', 1, 'a')), 'ERR Mandatory argument FIELDS is missing or not at the right position');
    assert.equal(errOf(await r('HGETEX', 'h1', 'PXAT', 1, 1)), 'ERR Mandatory argument FIELDS is missing or not at the right position');
    assert.equal(errOf(await r('HGETEX', 'h1', 'PERSIST', 1, 'FIELDS', 1, 'a')), 'ERR Mandatory argument FIELDS is missing or not at the right position');
    assert.equal(errOf(await r('HGETEX', 'h1', 'FIELDS', 2, 'a')), 'ERR The `numfields` parameter must match the number of arguments');
    assert.equal(errOf(await r('HGETEX', 'h1', 'FIELDS', 0, 'a')), 'ERR Number of fields must be a positive integer');
    assert.equal(errOf(await r('HGETEX', 'h1', 'FIELDS', -1, 'a')), 'ERR Number of fields must be a positive integer');
    assert.equal(errOf(await r('HGETEX', 'h1', 'FIELDS', '9223372036854775808', 'a')), 'ERR Number of fields must be a positive integer');
    assert.equal(errOf(await r('HGETEX', 'h1', 'EX', 'bla', 'FIELDS', 1, 'a')), 'ERR value is not an integer or out of range');
    assert.equal(errOf(await r('HGETEX', 'h1', 'EX', '9223372036854775808', 'FIELDS', 1, 'a')), 'ERR value is not an integer or out of range');
    assert.equal(errOf(await r('HGETEX', 'h1', 'EXAT', '9223372036854775808', 'FIELDS', 1, 'a')), 'ERR value is not an integer or out of range');
    assert.equal(errOf(await r('HGETEX', 'h1', 'PX', -1, 'FIELDS', 1, 'a')), 'ERR invalid expire time, must be >= 0');
    assert.equal(errOf(await r('HGETEX', 'h1', 'PXAT', -1, 'FIELDS', 1, 'a')), 'ERR invalid expire time, must be >= 0');
    assert.equal(errOf(await r('HGETEX', 'h1', 'EX', -1, 'FIELDS', 1, 'a')), 'ERR invalid expire time, must be >= 0');
    assert.equal(errOf(await r('HGETEX', 'h1', 'EX', 2 ** 48, 'FIELDS', 1, 'a')), "ERR invalid expire time in 'hgetex' command");
    assert.equal(errOf(await r('HGETEX', 'h1', 'EX', 2 ** 46 - Math.floor(now / 1000) + 100, 'FIELDS', 1, 'a')), "ERR invalid expire time in 'hgetex' command");
    assert.equal(errOf(await r('HGETEX', 'h1', 'EXAT', 2 ** 46 + 100, 'FIELDS', 1, 'a')), "ERR invalid expire time in 'hgetex' command");
    assert.equal(errOf(await r('HGETEX', 'h1', 'PX', 2 ** 46 - now + 100, 'FIELDS', 1, 'a')), "ERR invalid expire time in 'hgetex' command");
    assert.equal(errOf(await r('HGETEX', 'h1', 'PXAT', 2 ** 46 + 100, 'FIELDS', 1, 'a')), "ERR invalid expire time in 'hgetex' command");
    // Redis reads past its arguments here; tsdis answers with the arity error
    assert.equal(errOf(await r('HGETEX', 'h1', 'EX', 10, 'FIELDS')), "ERR wrong number of arguments for 'hgetex' command");
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
    for (const args of [[], ['fields'], ['fields', 1], ['fields', 2, 'a', 'b'], ['fields', 2, 'a', 'b', 'c'], ['fields', 2, 'a', 'b', 'c', 'd', 'e'], ['fields', 3, 'a', 'b', 'c', 'd'], ['fields', 3, 'a', 'b', 'c', 'd', 'e'], ['fields', 3, 'a', 'b', 'c', 'd', 'e', 'f', 'g'], ['fields', 3, 'a', 'b'], ['fields', 1, 'a', 'b', 'unknown']]) {
      assert.equal(errOf(await r('HSETEX', 'myhash', ...args)), arity, JSON.stringify(args));
    }
    assert.equal(errOf(await r('HSETEX', 'myhash', 'nx', 'fields', 1, 'a', 'b')), 'ERR unknown argument: nx');
    assert.equal(errOf(await r('HSETEX', 'myhash', 1, 'fields', 1, 'a', 'b')), 'ERR unknown argument: 1');
    for (const c of [['fxx', 'fxx'], ['fxx', 'fnx'], ['fnx', 'fxx'], ['fnx', 'fnx'], ['fxx', 'fnx', 'fxx'], ['fnx', 'fxx', 'fnx']]) {
      assert.equal(errOf(await r('HSETEX', 'myhash', ...c, 'EX', 100, 'fields', 1, 'a', 'b')), 'ERR Only one of FXX or FNX arguments can be specified');
    }
    const oneTtl = 'ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified';
    for (const c of [['EX', 100, 'PX', 1000], ['EX', 100, 'EXAT', 100], ['EXAT', 100, 'EX', 1000], ['EXAT', 100, 'PX', 1000], ['PX', 100, 'EXAT', 100], ['PX', 100, 'PXAT', 100], ['PXAT', 100, 'EX', 100], ['PXAT', 100, 'EXAT', 100], ['EX', 100, 'KEEPTTL'], ['KEEPTTL', 'EX', 100], ['EX', 100, 'EX', 100], ['EXAT', 100, 'EXAT', 100], ['PX', 10, 'PX', 10], ['PXAT', 10, 'PXAT', 10], ['KEEPTTL', 'KEEPTTL']]) {
      assert.equal(errOf(await r('HSETEX', 'myhash', ...c, 'fields', 1, 'a', 'b')), oneTtl, JSON.stringify(c));
    }
    for (const t of ['ex', 'px', 'exat', 'pxat']) assert.equal(errOf(await r('HSETEX', 'myhash', t, 'fields', 1, 'a', 'b')), 'ERR value is not an integer or out of range');
    assert.equal(errOf(await r('HSETEX', 'myhash', 'EXAT', 2 ** 48, 1, 'a', 'b')), "ERR invalid expire time in 'hsetex' command");
    assert.equal(errOf(await r('HSETEX', 'myhash', 'PXAT', 2 ** 48, 1, 'a', 'b')), "ERR invalid expire time in 'hsetex' command");
    assert.equal(errOf(await r('HSETEX', 'myhash', 'EX', 2 ** 48 - Math.floor(now / 1000) + 1000, 1, 'a', 'b')), "ERR invalid expire time in 'hsetex' command");
    assert.equal(errOf(await r('HSETEX', 'myhash', 'PX', 2 ** 48 - now + 1000, 1, 'a', 'b')), "ERR invalid expire time in 'hsetex' command");
    assert.equal(errOf(await r('HSETEX', 'myhash', 'EXAT', -1, 1, 'a', 'b')), 'ERR invalid expire time, must be >= 0');
    assert.equal(errOf(await r('HSETEX', 'myhash', 'EXAT', '9223372036854775808', 1, 'a', 'b')), 'ERR value is not an integer or out of range');
    assert.equal(errOf(await r('HSETEX', 'myhash', 'EXAT', 'x', 1, 'a', 'b')), 'ERR value is not an integer or out of range');
    for (const n of ['x', '9223372036854775808', 0, -1]) assert.equal(errOf(await r('HSETEX', 'myhash', 'fields', n, 'a', 'b')), 'ERR invalid number of fields');
    assert.equal(errOf(await r('HSETEX', 'myhash', 'EX', 10, 'PX', 'x')), 'ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified');
    assert.equal(errOf(await r('HSETEX', 'myhash', 'FNX', 'KEEPTTL', 'EX', 5)), 'ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified');
    assert.equal(errOf(await r('HSETEX', 'myhash', 'FNX', 'FIELDS', 'EX', 'y')), arity);
    assert.equal(errOf(await r('HSETEX', 'myhash', 'FNX', 'KEEPTTL', 'PX', 5)), 'ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified');
    assert.equal(errOf(await r('HSETEX', 'myhash', 'FNX', 'X', 'PX', 5)), 'ERR unknown argument: X');
    assert.equal(errOf(await r('HSETEX', 'myhash', 'FNX', 'FXX', 'PX', 5)), 'ERR Only one of FXX or FNX arguments can be specified');
    assert.equal(errOf(await r('HSETEX', 'myhash', 'KEEPTTL', 'FXX', 'PX', 5)), 'ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified');
    assert.equal(errOf(await r('HSETEX', 'myhash', 'FXX', 'FIELDS', 'PX', 'a')), arity);
    assert.equal(errOf(await r('HSETEX', 'myhash', 'FXX', 'KEEPTTL', 'EXAT', 1)), 'ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified');
    assert.equal(errOf(await r('HSETEX', 'myhash', 'FXX', 'KEEPTTL', 'XX', 1)), 'ERR unknown argument: XX');
    assert.equal(errOf(await r('HSETEX', 'myhash', 'FXX', 'PX', 'X', 'Y')), 'ERR value is not an integer or out of range');
    assert.equal(errOf(await r('HSETEX', 'myhash', 'FXX', 'FNX', 'PX', 'Y')), 'ERR Only one of FXX or FNX arguments can be specified');
    assert.equal(errOf(await r('HSETEX', 'myhash', 'FXX', 'X', 'Y', 'Z')), 'ERR unknown argument: X');
    assert.equal(errOf(await r('HSETEX', 'myhash', 'FXX', 'PXAT', 5, 'PX')), 'ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified');
    assert.equal(errOf(await r('HSETEX', 'myhash', 'FXX', 'EX', 5, 'X')), 'ERR unknown argument: X');
    assert.equal(errOf(await r('HSETEX', 'myhash', 'EX', 5, 'FXX', 'EX')), 'ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified');
    assert.equal(errOf(await r('HSETEX', 'myhash', 'EX', 5, 'FXX', 'FNX')), 'ERR Only one of FXX or FNX arguments can be specified');
    assert.equal(errOf(await r('HSETEX', 'myhash', 'PXAT', 5, 'FXX', 'Q')), 'ERR unknown argument: Q');
    assert.equal(errOf(await r('HSETEX', 'myhash', 'FXX', 'PX', 5, 'EX')), 'ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified');
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
    assert.equal(await r('HSETEX', 'myhash', 'EXAT', Math.floor(s.now / 1000) - 1, 'FIELDS', 2, 'f1', 'v1', 'f2', 'v2'), 1);
    assert.equal(await r('EXISTS', 'myhash'), 0);
    await r('HSET', 'myhash', 'fields', '2', 'f1', 'v1', 'f2', 'v2');
    assert.equal(await r('HSETEX', 'myhash', 'EXAT', Math.floor(s.now / 1000) - 1, 'FIELDS', 2, 'f1', 'v1', 'f2', 'v2'), 1);
    assert.deepEqual(await r('HGETALL', 'myhash'), ['fields', '2']);
  });

  withServer('HFE commands against the wrong type', async ({ r }) => {
    await r('SET', 'wrongtype', 'somevalue');
    const wt = 'WRONGTYPE Operation against a key holding the wrong kind of value';
    for (const c of ['HEXPIRE', 'HEXPIREAT', 'HPEXPIRE', 'HPEXPIREAT']) assert.equal(errOf(await r(c, 'wrongtype', 10, 'fields', 1, 'f1')), wt);
    for (const c of ['HEXPIRETIME', 'HPEXPIRETIME', 'HTTL', 'HPTTL', 'HPERSIST', 'HGETEX', 'HGETDEL']) assert.equal(errOf(await r(c, 'wrongtype', 'fields', 1, 'f1')), wt);
    assert.equal(errOf(await r('HSETEX', 'wrongtype', 'fields', 1, 'f1', 'v1')), wt);
    assert.equal(errOf(await r('HSETEX', 'wrongtype', 'fields', 1, 'f1')), "ERR wrong number of arguments for 'hsetex' command");
  });
}
