/**
 * A pipeline's read-ahead of members (server/dispatcher.ts readAhead,
 * CommandSpec.members): the fields and members that pipelined commands name
 * in one big hash, set or sorted set go in the key batch, with their hashes,
 * for Db.prefetch to read their index entries together; nothing for small
 * collections, other keys, strings or commands without members. The
 * replies are those of the same commands run one at a time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { Server } from '../../src/server/server.js';
import { dispatch, readAhead } from '../../src/server/dispatcher.js';
import { hashKey } from '../../src/keyspace/keyindex.js';
import type { HashValue } from '../../src/types/hash.js';
import type { ZSet } from '../../src/types/zset.js';
import type { SetValue } from '../../src/types/set.js';
import { encode } from '../helpers/resp.js';

/** Entries past Db's read-ahead threshold (PREFETCH_MIN_KEYS, 16,384). */
const BIG = 20000;

function serverWithData(): Server {
  const s = new Server({ config: { save: '' }, log: () => {} });
  const c = s.newClient(null, 'internal');
  for (let i = 0; i < BIG; i += 500) {
    const hset = ['HSET', 'big'];
    const zadd = ['ZADD', 'bigz'];
    const sadd = ['SADD', 'bigs'];
    for (let j = i; j < i + 500; j++) {
      hset.push(`f${j}`, `v${j}`);
      zadd.push(String(j), `m${j}`);
      sadd.push(`s${j}`);
    }
    dispatch(s, c, hset);
    dispatch(s, c, zadd);
    dispatch(s, c, sadd);
  }
  dispatch(s, c, ['HSET', 'small', 'f1', 'v1']);
  dispatch(s, c, ['SADD', 'smallset', 'f1', 'x']);
  dispatch(s, c, ['SET', 'str', 'x']);
  return s;
}

/**
 * What readAhead put in the batch for a pipeline of `cmds` (parsed from one
 * buffer, as a socket read): the members, and whether it read them ahead
 * (hashed them for the collection's dict, Db.prefetch).
 */
function readAheadOf(s: Server, cmds: string[][]): { members: string[]; readAhead: boolean } {
  const c = s.newClient(null, 'internal');
  const buf = Buffer.concat(cmds.map((a) => encode(a)));
  c.parser.feed(buf, buf.length);
  const b = s.keyBatch;
  b.memberHashes.fill(0);
  readAhead(s, c);
  const members = b.members.slice(0, b.nm);
  const hashed = [...b.memberHashes.subarray(0, b.nm)];
  const readAheadDone = members.length > 0 && hashed.every((h, i) => h === hashKey(members[i]!));
  assert.ok(readAheadDone || hashed.every((h) => h === 0), 'all members hashed or none');
  b.clear();
  assert.ok(
    b.members.every((m) => m === ''),
    'no member string kept',
  );
  return { members, readAhead: readAheadDone };
}

test('readAhead: the members pipelined commands name in one big hash, set or sorted set, and nothing else', () => {
  const s = serverWithData();
  assert.equal((s.dbs[0]!.dict.get('big') as HashValue).tableDict()?.size, BIG);
  assert.equal((s.dbs[0]!.dict.get('bigz') as ZSet).dict.size, BIG);
  assert.equal((s.dbs[0]!.dict.get('bigs') as SetValue).encoding(), 'hashtable');

  // HSET's fields (not its values), then HGET's, HMGET's, HDEL's and HINCRBY's on the same hash
  let r = readAheadOf(s, [
    ['HSET', 'big', 'f1', 'x', 'new1', 'y'],
    ['HGET', 'big', 'f2'],
    ['HMGET', 'big', 'f3', 'f4'],
    ['HDEL', 'big', 'f5'],
    ['HINCRBY', 'big', 'n', '1'],
  ]);
  assert.deepEqual(r, { members: ['f1', 'new1', 'f2', 'f3', 'f4', 'f5', 'n'], readAhead: true });

  // ZADD's members (not its scores), ZSCORE's, ZINCRBY's (after its increment), ZREM's
  r = readAheadOf(s, [
    ['ZADD', 'bigz', '1', 'm1', '2', 'm2'],
    ['ZSCORE', 'bigz', 'm3'],
    ['ZINCRBY', 'bigz', '5', 'm4'],
    ['ZREM', 'bigz', 'm5', 'm6'],
  ]);
  assert.deepEqual(r, { members: ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'], readAhead: true });

  // GEOADD's members (not its coordinates), GEOPOS's, GEODIST's two and GEOHASH's: a geo index is a sorted set
  r = readAheadOf(s, [
    ['GEOADD', 'bigz', '13.36', '38.11', 'g1', '15.08', '37.50', 'g2'],
    ['GEOPOS', 'bigz', 'g3', 'g4'],
    ['GEODIST', 'bigz', 'g5', 'g6', 'km'],
    ['GEOHASH', 'bigz', 'g7'],
  ]);
  assert.deepEqual(r, { members: ['g1', 'g2', 'g3', 'g4', 'g5', 'g6', 'g7'], readAhead: true });

  // SADD's, SISMEMBER's, SMISMEMBER's and SREM's members
  r = readAheadOf(s, [
    ['SADD', 'bigs', 's1', 'new1'],
    ['SISMEMBER', 'bigs', 's2'],
    ['SMISMEMBER', 'bigs', 's3', 's4'],
    ['SREM', 'bigs', 's5'],
  ]);
  assert.deepEqual(r, { members: ['s1', 'new1', 's2', 's3', 's4', 's5'], readAhead: true });

  // only the first collection named: another one's members are left out, before and after a GET
  r = readAheadOf(s, [
    ['HGET', 'big', 'f1'],
    ['ZSCORE', 'bigz', 'm1'],
    ['GET', 'str'],
    ['HGET', 'big', 'f2'],
  ]);
  assert.deepEqual(r, { members: ['f1', 'f2'], readAhead: true });

  // one command's several members are read ahead; one command's one member is not
  assert.deepEqual(readAheadOf(s, [['HMGET', 'big', 'a', 'b']]), { members: ['a', 'b'], readAhead: true });
  assert.deepEqual(readAheadOf(s, [['HGET', 'big', 'a']]), { members: ['a'], readAhead: false });

  // a small hash or set, a string, a missing key: nothing to read ahead in
  for (const key of ['small', 'smallset', 'str', 'missing']) {
    r = readAheadOf(s, [
      ['HGET', key, 'f1'],
      ['HGET', key, 'f2'],
    ]);
    assert.deepEqual(r, { members: ['f1', 'f2'], readAhead: false }, key);
  }
  // the first command names a small hash: the big one after it is not read ahead
  r = readAheadOf(s, [
    ['HGET', 'small', 'f1'],
    ['HGET', 'big', 'f2'],
    ['HGET', 'big', 'f3'],
  ]);
  assert.deepEqual(r, { members: ['f1'], readAhead: false });
  // commands without members (HLEN, HGETALL) add none
  r = readAheadOf(s, [
    ['HLEN', 'big'],
    ['HGETALL', 'big'],
    ['HGET', 'big', 'f9'],
    ['HEXISTS', 'big', 'f8'],
  ]);
  assert.deepEqual(r, { members: ['f9', 'f8'], readAhead: true });
});

test('readAhead of members: a pipeline on a big hash, set and sorted set replies as the commands run one at a time', () => {
  const piped = serverWithData();
  const single = serverWithData();
  const cmds: string[][] = [];
  for (let i = 0; i < 40; i++) {
    cmds.push(['HSET', 'big', `f${i * 97}`, `w${i}`, `added${i}`, 'z']);
    cmds.push(['HGET', 'big', `f${i * 89}`]);
    cmds.push(['HINCRBY', 'big', `n${i % 3}`, '2']);
    cmds.push(['HMGET', 'big', `f${i}`, `absent${i}`, `added${i}`]);
    cmds.push(['ZADD', 'bigz', 'NX', '7', `m${i}`, '8', `new${i}`]);
    cmds.push(['ZADD', 'bigz', String(i), `m${i * 31}`]);
    cmds.push(['ZSCORE', 'bigz', `m${i * 31}`]);
    cmds.push(['ZREM', 'bigz', `m${i * 7}`, `new${i}`]);
    cmds.push(['HDEL', 'big', `f${i * 53}`, `added${i}`]);
    cmds.push(['SADD', 'bigs', `s${i * 13}`, `snew${i}`]);
    cmds.push(['SISMEMBER', 'bigs', `snew${i >> 1}`]);
    cmds.push(['SMISMEMBER', 'bigs', `s${i}`, `absent${i}`]);
    cmds.push(['SREM', 'bigs', `s${i * 11}`, `snew${i - 3}`]);
  }
  const c = piped.newClient(null, 'internal');
  const buf = Buffer.concat(cmds.map((a) => encode(a)));
  c.parser.feed(buf, buf.length);
  piped.conns.processInput(c);
  const one = single.newClient(null, 'internal');
  for (const a of cmds) dispatch(single, one, a);
  assert.equal(c.reply.out, one.reply.out);
  assert.ok(c.reply.out.length > 1000);
});
