/**
 * Memory accounting (observability/memory.ts, keyspace/db.ts) and lazy
 * freeing (keyspace/lazyfree.ts):
 *  - every command that changes a value keeps the dataset figure exact: after
 *    each command of a mix over every type (blocking pops, scripts,
 *    transactions, RESTORE, SWAPDB, DEBUG RELOAD...), auditMemory finds no
 *    key whose counted size differs from a fresh measure;
 *  - used_memory follows V8's heap growth per type and size (within 20%),
 *    measured in a child with --expose-gc (bench/micro/memacct.ts);
 *  - used_memory drops as soon as keys go (DEL, UNLINK, FLUSHALL), and the
 *    Lua heap and client buffers are apart from the dataset;
 *  - MEMORY STATS and INFO memory have redis-server's shape; MEMORY USAGE
 *    adds up to used_memory's growth;
 *  - lazyfree_pending_objects / lazyfreed_objects count what redis-server
 *    counts (differential).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTsdis, RawConn } from '../helpers/servers.js';
import { Differ, decode } from '../helpers/diff.js';
import { encode } from '../helpers/resp.js';
import { auditMemory, usedMemory } from '../../src/observability/memory.js';
import { raxNodes } from '../../src/keyspace/lazyfree.js';
import type { TsdisServer } from '../../src/index.js';
import type { List } from '../../src/types/list.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One INFO field as a number. */
function infoNum(info: string, field: string): number {
  const m = new RegExp(`\\r\\n${field}:([-\\d.]+)`).exec(info);
  assert.ok(m, `INFO has ${field}`);
  return Number(m[1]);
}

/** Runs commands in-process, asserting after each that the accounting has not drifted. */
async function audited(srv: TsdisServer, cmds: (string | number)[][]): Promise<void> {
  for (const c of cmds) {
    await srv.call(...c);
    const drift = auditMemory(srv.server);
    assert.deepEqual(drift, [], `after ${c.join(' ').slice(0, 80)}`);
  }
}

const range = (n: number, f: (i: number) => string): string[] => Array.from({ length: n }, (_, i) => f(i));

test('every command keeps the dataset figure exact (audit after each command)', async () => {
  const srv = await startTsdis({ config: { 'enable-debug-command': 'yes' } });
  try {
    await audited(srv, [
      // strings, bitmaps, HLL
      ['SET', 's1', 'hello'],
      ['SET', 's1', 'x'.repeat(100)],
      ['SET', 'n1', '12345'],
      ['INCR', 'n1'],
      ['INCRBY', 'n1', '10000000000'],
      ['INCRBYFLOAT', 'n1', '0.5'],
      ['APPEND', 's1', 'more'],
      ['APPEND', 's1', 'y'.repeat(500)],
      ['SETRANGE', 's1', '1000', 'z'],
      ['SETBIT', 'b1', '10000', '1'],
      ['SETBIT', 'b1', '7', '1'],
      ['BITFIELD', 'b1', 'SET', 'u8', '20000', '255'],
      ['BITOP', 'OR', 'b2', 'b1', 's1'],
      ['GETSET', 's2', 'v'],
      ['GETDEL', 's2'],
      ['SET', 's3', 'v', 'EX', '100'],
      ['GETEX', 's3', 'PERSIST'],
      ['MSET', 'm1', 'a', 'm2', 'bb'],
      ['SETNX', 'm3', 'ccc'],
      ['PFADD', 'h1', ...range(20, (i) => 'e' + i)],
      ['PFADD', 'h1', ...range(3000, (i) => 'f' + i)],
      ['PFADD', 'h2', 'a', 'b'],
      ['PFCOUNT', 'h2'],
      ['PFMERGE', 'h3', 'h1', 'h2'],
      ['PFDEBUG', 'TODENSE', 'h2'],
      // lists: several chunks, both ends, the middle
      ['RPUSH', 'l1', ...range(600, (i) => 'item-' + i)],
      ['LPUSH', 'l1', ...range(300, (i) => String(i))],
      ['LPOP', 'l1', '50'],
      ['RPOP', 'l1', '200'],
      ['LSET', 'l1', '300', 'changed-value'],
      ['LINSERT', 'l1', 'BEFORE', 'item-250', 'inserted'],
      ['LREM', 'l1', '0', 'item-260'],
      ['LTRIM', 'l1', '10', '-10'],
      ['LMOVE', 'l1', 'l2', 'LEFT', 'RIGHT'],
      ['RPOPLPUSH', 'l1', 'l2'],
      ['LMPOP', '2', 'l2', 'l1', 'RIGHT', 'COUNT', '5'],
      ['SORT', 'l1', 'ALPHA', 'LIMIT', '0', '100', 'STORE', 'l3'],
      // hashes: listpack, hashtable, field TTLs
      ['HSET', 'x1', 'f1', 'v1', 'f2', 'v2'],
      ['HSET', 'x1', 'f1', 'a much longer value than before'],
      ['HSETNX', 'x1', 'f3', 'v3'],
      ['HINCRBY', 'x1', 'c', '5'],
      ['HINCRBYFLOAT', 'x1', 'd', '1.5'],
      ['HDEL', 'x1', 'f2'],
      ['HSET', 'x2', ...range(400, (i) => (i % 2 === 0 ? 'field' + i : 'value' + i))],
      ['HSET', 'x2', 'field0', 'replaced'],
      ['HDEL', 'x2', 'field2', 'field4'],
      ['HEXPIRE', 'x1', '1000', 'FIELDS', '1', 'f1'],
      ['HEXPIRE', 'x2', '1000', 'FIELDS', '2', 'field6', 'field8'],
      ['HPERSIST', 'x2', 'FIELDS', '1', 'field6'],
      ['HSETEX', 'x3', 'PX', '100000', 'FIELDS', '2', 'a', '1', 'b', '2'],
      ['HGETDEL', 'x3', 'FIELDS', '1', 'a'],
      ['HGETEX', 'x2', 'PX', '50000', 'FIELDS', '1', 'field10'],
      // a wide hash (packed, a hashtable to Redis): grown, scanned (it becomes a table), given a TTL
      ['HSET', 'x4', 'a', '1', 'data', 'p'.repeat(300)],
      ['HSET', 'x4', 'b', '2'],
      ['HSCAN', 'x4', '0'],
      ['HSET', 'x5', 'a', '1', 'data', 'p'.repeat(300)],
      ['HEXPIRE', 'x5', '1000', 'FIELDS', '1', 'a'],
      ['HSET', 'x6', 'a', 'q'.repeat(900), 'b', 'q'.repeat(900), 'c', 'q'.repeat(900), 'd', 'q'.repeat(900)],
      ['HSET', 'x6', 'e', 'q'.repeat(900)],
      // sets: intset, listpack, hashtable
      ['SADD', 'e1', '1', '2', '3'],
      ['SADD', 'e1', 'a'],
      ['SADD', 'e2', ...range(600, (i) => 'm' + i)],
      ['SREM', 'e2', 'm1', 'm2'],
      ['SPOP', 'e2'],
      ['SPOP', 'e2', '5'],
      ['SMOVE', 'e2', 'e1', 'm10'],
      ['SINTERSTORE', 'e3', 'e1', 'e2'],
      ['SUNIONSTORE', 'e4', 'e1', 'e2'],
      ['SDIFFSTORE', 'e5', 'e2', 'e1'],
      ['SADD', 'e6', ...range(700, (i) => String(i))],
      // sorted sets and geo
      ['ZADD', 'z1', '1', 'a', '2', 'b'],
      ['ZADD', 'z2', ...range(600, (i) => (i % 2 === 0 ? String(i) : 'member-' + i))],
      ['ZINCRBY', 'z2', '1000', 'member-1'],
      ['ZREM', 'z2', 'member-3'],
      ['ZPOPMIN', 'z2', '3'],
      ['ZPOPMAX', 'z2'],
      ['ZREMRANGEBYRANK', 'z2', '0', '10'],
      ['ZREMRANGEBYSCORE', 'z2', '100', '200'],
      ['ZREMRANGEBYLEX', 'z1', '-', '+'],
      ['ZUNIONSTORE', 'z3', '2', 'z1', 'z2'],
      ['ZRANGESTORE', 'z4', 'z2', '0', '50'],
      ['GEOADD', 'g1', '13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania'],
      ['GEOSEARCHSTORE', 'g2', 'g1', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km'],
      // streams and consumer groups
      ['XADD', 'x9', '1-1', 'a', '1'],
      ...Array.from({ length: 300 }, (_, i) => ['XADD', 'x9', '*', 'field', 'value' + i]),
      ['XDEL', 'x9', '1-1'],
      ['XTRIM', 'x9', 'MAXLEN', '250'],
      ['XADD', 'x9', 'MAXLEN', '~', '100', '*', 'f', 'v'],
      ['XGROUP', 'CREATE', 'x9', 'g1', '0'],
      ['XGROUP', 'CREATECONSUMER', 'x9', 'g1', 'c0'],
      ['XREADGROUP', 'GROUP', 'g1', 'c1', 'COUNT', '20', 'STREAMS', 'x9', '>'],
      ['XACK', 'x9', 'g1', '0-0'],
      ['XAUTOCLAIM', 'x9', 'g1', 'c2', '0', '0-0', 'COUNT', '5'],
      ['XCLAIM', 'x9', 'g1', 'c3', '0', '0-0', 'FORCE'],
      ['XGROUP', 'DELCONSUMER', 'x9', 'g1', 'c1'],
      ['XGROUP', 'SETID', 'x9', 'g1', '$'],
      ['XSETID', 'x9', '999999999999999-0'],
      ['XGROUP', 'CREATE', 'x10', 'g', '$', 'MKSTREAM'],
      ['XGROUP', 'DESTROY', 'x9', 'g1'],
      // keyspace
      ['COPY', 'l1', 'l1copy'],
      ['RENAME', 'l1copy', 'l1renamed'],
      ['RENAME', 'e4', 'e1'],
      ['MOVE', 'l1renamed', '1'],
      ['SWAPDB', '0', '1'],
      ['SWAPDB', '0', '1'],
      ['EXPIRE', 'z4', '1000'],
      ['EXPIRE', 'z3', '-1'],
      ['DEL', 'e5', 'm1'],
      ['UNLINK', 'e3'],
      [
        'EVAL',
        "redis.call('rpush', KEYS[1], 'a', 'b'); redis.call('hset', KEYS[2], 'k', 'v'); return redis.call('sadd', KEYS[3], 'x')",
        '3',
        'l2',
        'x1',
        'e1',
      ],
      ['SET', 'l2', 'overwrites a list with a string'],
      ['DEBUG', 'POPULATE', '50', 'pop', '20'],
      ['DEBUG', 'RELOAD'],
      ['LPUSH', 'l1', 'after-reload'],
      ['HSET', 'x2', 'after', 'reload'],
      ['FLUSHDB', 'ASYNC'],
      ['SELECT', '1'],
    ]);
    // DUMP / RESTORE of every type
    const types = [
      ['RPUSH', 'r1', 'a', 'b'],
      ['HSET', 'r2', 'f', 'v'],
      ['SADD', 'r3', 'm'],
      ['ZADD', 'r4', '1', 'm'],
      ['XADD', 'r5', '*', 'f', 'v'],
      ['SET', 'r6', 'string'],
    ];
    for (const c of types) {
      await srv.call(...c);
      const dump = (await srv.call('DUMP', c[1]!)) as Buffer | string;
      await audited(srv, [
        ['RESTORE', c[1]! + 'x', '0', dump as string],
        ['RESTORE', c[1]!, '0', dump as string, 'REPLACE'],
      ]);
    }
    // MULTI/EXEC and lazy expiry
    const c = await RawConn.connect(srv.port);
    await c.call('MULTI');
    await c.call('RPUSH', 'tx', 'a', 'b', 'c');
    await c.call('LPOP', 'tx');
    await c.call('EXEC');
    await c.call('SET', 'ex1', 'v', 'PX', '1');
    await c.call('HSET', 'fx', 'a', '1', 'b', '2');
    await c.call('HPEXPIRE', 'fx', '1', 'FIELDS', '1', 'a');
    await sleep(20);
    await c.call('GET', 'ex1');
    await c.call('HGETALL', 'fx');
    assert.deepEqual(auditMemory(srv.server), [], 'after MULTI/EXEC and lazy expiry');
    // active expiry: of a collection, and of a hash's fields (nobody reads them)
    await c.call('RPUSH', 'ax', ...range(300, (i) => 'e' + i));
    await c.call('PEXPIRE', 'ax', '1');
    await c.call('HSET', 'af', ...range(200, (i) => 'f' + i));
    const subkeys0 = infoNum(await c.call('INFO', 'stats'), 'expired_subkeys');
    await c.call('HPEXPIRE', 'af', '1', 'FIELDS', '3', 'f0', 'f2', 'f4');
    for (let i = 0; i < 50 && decode(await c.call('EXISTS', 'ax')) !== 0; i++) await sleep(20);
    // (wait for the active cycle to expire the three fields: expired_subkeys counts them, and fx's field)
    for (let i = 0; i < 150 && infoNum(await c.call('INFO', 'stats'), 'expired_subkeys') < subkeys0 + 3; i++)
      await sleep(20);
    assert.ok(infoNum(await c.call('INFO', 'stats'), 'expired_subkeys') >= subkeys0 + 3);
    c.close();
    assert.deepEqual(auditMemory(srv.server), [], 'after active expiry');
  } finally {
    await srv.close();
  }
});

test('storing a collection over itself, or replacing it by another representation, counts what it grew by', async () => {
  const srv = await startTsdis();
  try {
    await srv.call('RPUSH', 'l', 'a');
    const db = srv.server.dbs[0]!;
    const l = db.get('l') as List;
    for (let i = 0; i < 500; i++) l.pushRight('element-' + i, db.lists);
    db.set('l', l, true); // the same object, grown in place, stored again
    assert.deepEqual(auditMemory(srv.server), []);
    for (let i = 0; i < 500; i++) l.pushLeft('more-' + i, db.lists);
    db.replaceAt(db.writeSlot('l'), 'l', l);
    assert.deepEqual(auditMemory(srv.server), []);
  } finally {
    await srv.close();
  }
});

test('blocking pops served by another client keep the accounting exact', async () => {
  const srv = await startTsdis();
  const a = await RawConn.connect(srv.port);
  const b = await RawConn.connect(srv.port);
  try {
    const cases: [string[], string[]][] = [
      [
        ['BLPOP', 'bl', '5'],
        ['RPUSH', 'bl', ...range(200, (i) => 'v' + i)],
      ],
      [
        ['BLMOVE', 'bm', 'bm2', 'LEFT', 'RIGHT', '5'],
        ['RPUSH', 'bm', 'x', 'y'],
      ],
      [
        ['BZPOPMIN', 'bz', '5'],
        ['ZADD', 'bz', ...range(300, (i) => (i % 2 ? 'm' + i : String(i)))],
      ],
      [
        ['BLMPOP', '5', '1', 'bp', 'LEFT', 'COUNT', '3'],
        ['LPUSH', 'bp', '1', '2', '3', '4'],
      ],
      [
        ['XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '5000', 'STREAMS', 'bs', '>'],
        ['XADD', 'bs', '*', 'f', 'v'],
      ],
    ];
    await b.call('XGROUP', 'CREATE', 'bs', 'g', '$', 'MKSTREAM');
    for (const [block, feed] of cases) {
      const reply = a.call(...block);
      await sleep(20);
      await b.call(...feed);
      await reply;
      assert.deepEqual(auditMemory(srv.server), [], `after ${block[0]} served`);
    }
  } finally {
    a.close();
    b.close();
    await srv.close();
  }
});

test('used_memory drops at once on DEL, UNLINK and FLUSHALL; MEMORY USAGE adds up to its growth', async () => {
  const srv = await startTsdis();
  const c = await RawConn.connect(srv.port);
  try {
    const used = async () => infoNum(await c.call('INFO', 'memory'), 'used_memory');
    const empty = await used();
    assert.equal(empty, usedMemory(srv.server), 'INFO shows usedMemory()');
    await c.call('SET', 'big', 'x'.repeat(20_000_000));
    const withBig = await used();
    assert.ok(withBig - empty > 20_000_000 && withBig - empty < 20_100_000, `a 20 MB value: ${withBig - empty}`);
    await c.call('DEL', 'big');
    assert.ok(Math.abs((await used()) - empty) < 1000, 'back after DEL, with no collection');
    // many keys of each type: growth = sum of MEMORY USAGE (within the dict's rounding)
    for (let i = 0; i < 2000; i++) {
      await c.call('SET', 'k' + i, 'v'.repeat(i % 100));
      if (i % 4 === 0) await c.call('RPUSH', 'l' + i, 'a', 'b', String(i));
      if (i % 8 === 0) await c.call('HSET', 'h' + i, 'f', 'v', 'g', String(i));
    }
    const grown = (await used()) - empty;
    let sum = 0;
    const keys = decode(await c.call('KEYS', '*')) as string[];
    for (const k of keys) sum += Number(decode(await c.call('MEMORY', 'USAGE', k)));
    assert.ok(Math.abs(sum - grown) / grown < 0.02, `sum of MEMORY USAGE ${sum} vs used_memory growth ${grown}`);
    await c.call('SADD', 'bigset', ...range(50_000, (i) => 'member:' + i));
    const before = await used();
    await c.call('UNLINK', 'bigset');
    assert.ok(before - (await used()) > 2_000_000, 'UNLINK: the set leaves used_memory at once');
    await c.call('FLUSHALL');
    assert.ok(Math.abs((await used()) - empty) < 20_000, `back to empty after FLUSHALL: ${(await used()) - empty}`);
  } finally {
    c.close();
    await srv.close();
  }
});

test('INFO memory: used = overhead + dataset; Lua heap and client buffers apart from the dataset', async () => {
  const srv = await startTsdis();
  const c = await RawConn.connect(srv.port);
  const slow = await RawConn.connect(srv.port);
  try {
    await c.call('SET', 'a', 'b');
    let info = await c.call('INFO', 'memory');
    const used = infoNum(info, 'used_memory');
    assert.equal(used, infoNum(info, 'used_memory_overhead') + infoNum(info, 'used_memory_dataset'));
    assert.ok(infoNum(info, 'used_memory_startup') <= used);
    assert.ok(infoNum(info, 'used_memory_peak') >= used);
    // the Lua VM's heap grows; used_memory does not (Redis reports it apart)
    const dataset = infoNum(info, 'used_memory_dataset');
    await c.call('EVAL', "local t = {} for i = 1, 200000 do t[i] = 'x' .. i end _G.keep = t return 1", '0');
    info = await c.call('INFO', 'memory');
    assert.ok(infoNum(info, 'used_memory_lua') > 5_000_000, 'the Lua heap grew');
    assert.ok(infoNum(info, 'used_memory') - used < 100_000, 'used_memory did not take the Lua heap');
    await c.call('EVAL', '_G.keep = nil collectgarbage() return 1', '0');
    // a client that does not read: its replies count in clients_normal (overhead), not in the dataset
    await c.call('SET', 'v', 'x'.repeat(1_000_000));
    const clients0 = infoNum(info, 'mem_clients_normal');
    slow.sock.pause();
    for (let i = 0; i < 30; i++) slow.write(encode(['GET', 'v']));
    // (wait until the replies sit in the output buffer: bounded, 3 s)
    for (
      let i = 0;
      i < 150 && infoNum(await c.call('INFO', 'memory'), 'mem_clients_normal') - clients0 <= 5_000_000;
      i++
    )
      await sleep(20);
    info = await c.call('INFO', 'memory');
    assert.ok(
      infoNum(info, 'mem_clients_normal') - clients0 > 5_000_000,
      `output buffers counted: ${infoNum(info, 'mem_clients_normal') - clients0}`,
    );
    assert.ok(infoNum(info, 'used_memory_dataset') - dataset < 1_100_000, 'not in the dataset');
    assert.equal(
      infoNum(info, 'used_memory'),
      infoNum(info, 'used_memory_overhead') + infoNum(info, 'used_memory_dataset'),
    );
  } finally {
    c.close();
    slow.close();
    await srv.close();
  }
});

test('used_memory follows V8 heap growth per type and size (bench/micro/memacct.ts, within 20%)', () => {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'micro', 'memacct.js');
  const picks = [
    'string int (Smi)',
    'string int (> 2^31)',
    'string 8 B',
    'string 64 B',
    'string 4 KB',
    'string 16 B with TTL',
    'string APPEND',
    'bitmap SETBIT at 800',
    'hll sparse',
    'hll dense',
    'list 1 x 16 B',
    'list 100 x 16 B',
    'list 10000 x 16 B',
    'list 1000 x int',
    'hash 1 fields',
    'hash 100 fields',
    'hash 10000 fields',
    'hash 10 fields x 16 B with TTLs',
    'set 10 x int',
    'set 100 x 16 B',
    'set 10000 x int',
    'zset 10 x',
    'zset 1000 x',
    'stream 1 entries',
    'stream 100 entries x',
    'stream 100 entries, a group',
  ];
  // one child with --expose-gc runs the cases one after the other, each with its own server
  const r = spawnSync(process.execPath, ['--expose-gc', script, '--inproc', '--mb', '3', ...picks], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const results = JSON.parse(r.stdout) as {
    type: string;
    name: string;
    measured: number;
    model: number;
    back: number;
  }[];
  assert.equal(results.length, picks.length);
  for (const x of results) {
    const ratio = x.model / x.measured;
    assert.ok(ratio >= 0.8 && ratio <= 1.2, `${x.type} ${x.name}: model/measured ${ratio.toFixed(3)}`);
    assert.equal(x.back, 0, `${x.type} ${x.name}: used_memory back where it was after deleting the keys`);
  }
});

test('the rax node count of stream IDs matches small hand-built trees', () => {
  const ids = (xs: bigint[]) => (i: number) => xs[i]!;
  // one key: a compressed head over 16 bytes, then its end node
  assert.equal(raxNodes(1, ids([5n]), 1000), 2);
  // two keys differing in the last byte: head "15 bytes", a branch node, two ends
  assert.equal(raxNodes(2, ids([1n, 2n]), 1000), 4);
  // differing at byte 0 (ms high bits): a branching head, each side a compressed run then its end
  assert.equal(raxNodes(2, ids([1n << 120n, 2n << 120n]), 1000), 5);
  assert.equal(raxNodes(0, ids([]), 1000), 1);
});

// ---------------------------------------------------------------------------
// Differential: MEMORY STATS shape, lazyfree counters

const d = await Differ.start();
after(() => d?.stop());

/** The keys of a map reply (RESP2 flat array or RESP3 map), nested maps as `key{...}`. */
function mapKeys(v: unknown): string[] {
  const pairs: [unknown, unknown][] = v instanceof Map ? [...v.entries()] : [];
  if (!(v instanceof Map))
    for (let i = 0; i < (v as unknown[]).length; i += 2) pairs.push([(v as unknown[])[i], (v as unknown[])[i + 1]]);
  return pairs.map(([k, x]) =>
    x instanceof Map || Array.isArray(x) ? `${String(k)}{${mapKeys(x).join(',')}}` : String(k),
  );
}

test('MEMORY STATS: the same fields as redis-server, per db with keys, in RESP2 and RESP3', async () => {
  await d!.both(['FLUSHALL']);
  await d!.both(['SET', 'a', '1']);
  await d!.both(['SELECT', '3']);
  await d!.both(['SET', 'b', '1', 'EX', '100']);
  await d!.both(['SELECT', '0']);
  for (const resp of ['2', '3']) {
    await d!.both(['HELLO', resp]);
    const [a, b] = await d.bothView((r) => mapKeys(decode(r)), ['MEMORY', 'STATS']);
    assert.deepEqual(a, b, `RESP${resp}`);
  }
  await d!.both(['HELLO', '2']);
  await d!.both(['FLUSHALL']);
});

/** lazyfreed_objects after `cmds` and a moment for the background to finish. */
async function lazyfreed(conn: RawConn, cmds: string[][]): Promise<[number, number]> {
  await conn.call('CONFIG', 'RESETSTAT');
  for (const c of cmds) await conn.call(...c);
  for (let i = 0; i < 50; i++) {
    const info = await conn.call('INFO', 'memory');
    if (infoNum(info, 'lazyfree_pending_objects') === 0) return [0, infoNum(info, 'lazyfreed_objects')];
    await sleep(20);
  }
  const info = await conn.call('INFO', 'memory');
  return [infoNum(info, 'lazyfree_pending_objects'), infoNum(info, 'lazyfreed_objects')];
}

test('lazyfree counters: what redis-server frees in the background, counted the same', async () => {
  const many = (n: number, f: (i: number) => string) => range(n, f);
  const scenarios: [string, string[][]][] = [
    [
      'UNLINK a hashtable set (> 64 members)',
      [
        ['SADD', 'k', ...many(200, (i) => 'm' + i)],
        ['UNLINK', 'k'],
      ],
    ],
    [
      'UNLINK a 65-member hashtable set',
      [
        ['SADD', 'k', ...many(65, (i) => 'm'.repeat(70) + i)],
        ['UNLINK', 'k'],
      ],
    ],
    [
      'UNLINK a 64-member hashtable set (not above the threshold)',
      [
        ['SADD', 'k', ...many(64, (i) => 'm'.repeat(70) + i)],
        ['UNLINK', 'k'],
      ],
    ],
    [
      'UNLINK a listpack set',
      [
        ['SADD', 'k', 'a', 'b'],
        ['UNLINK', 'k'],
      ],
    ],
    [
      'UNLINK an intset',
      [
        ['SADD', 'k', ...many(300, (i) => String(i))],
        ['UNLINK', 'k'],
      ],
    ],
    [
      'UNLINK a string',
      [
        ['SET', 'k', 'x'.repeat(100000)],
        ['UNLINK', 'k'],
      ],
    ],
    [
      'UNLINK a big hash',
      [
        ['HSET', 'k', ...many(200, (i) => 'f' + i)],
        ['UNLINK', 'k'],
      ],
    ],
    [
      'UNLINK a big zset',
      [
        ['ZADD', 'k', ...many(300, (i) => (i % 2 ? 'm' + i : String(i)))],
        ['UNLINK', 'k'],
      ],
    ],
    [
      'UNLINK a list of many quicklist nodes',
      [
        ['CONFIG', 'SET', 'list-max-listpack-size', '4'],
        ['RPUSH', 'k', ...many(400, (i) => 'e' + i)],
        ['UNLINK', 'k'],
        ['CONFIG', 'SET', 'list-max-listpack-size', '-2'],
      ],
    ],
    [
      'UNLINK a list of few quicklist nodes',
      [
        ['RPUSH', 'k', ...many(2000, (i) => 'e' + i)],
        ['UNLINK', 'k'],
      ],
    ],
    [
      'DEL a big set',
      [
        ['SADD', 'k', ...many(200, (i) => 'm' + i)],
        ['DEL', 'k'],
      ],
    ],
    [
      'DEL a big set with lazyfree-lazy-user-del',
      [
        ['CONFIG', 'SET', 'lazyfree-lazy-user-del', 'yes'],
        ['SADD', 'k', ...many(200, (i) => 'm' + i)],
        ['DEL', 'k'],
        ['CONFIG', 'SET', 'lazyfree-lazy-user-del', 'no'],
      ],
    ],
    [
      'SET over a big set, lazyfree-lazy-server-del',
      [
        ['CONFIG', 'SET', 'lazyfree-lazy-server-del', 'yes'],
        ['SADD', 'k', ...many(200, (i) => 'm' + i)],
        ['SET', 'k', 'v'],
        ['DEL', 'k'],
        ['CONFIG', 'SET', 'lazyfree-lazy-server-del', 'no'],
      ],
    ],
    [
      'SET over a big set, default',
      [
        ['SADD', 'k', ...many(200, (i) => 'm' + i)],
        ['SET', 'k', 'v'],
        ['DEL', 'k'],
      ],
    ],
    [
      'RENAME over a big set, lazyfree-lazy-server-del',
      [
        ['CONFIG', 'SET', 'lazyfree-lazy-server-del', 'yes'],
        ['SADD', 'k', ...many(200, (i) => 'm' + i)],
        ['SET', 'k2', 'v'],
        ['RENAME', 'k2', 'k'],
        ['DEL', 'k'],
        ['CONFIG', 'SET', 'lazyfree-lazy-server-del', 'no'],
      ],
    ],
    [
      'EXPIRE in the past on a big set, lazyfree-lazy-expire',
      [
        ['CONFIG', 'SET', 'lazyfree-lazy-expire', 'yes'],
        ['SADD', 'k', ...many(200, (i) => 'm' + i)],
        ['EXPIRE', 'k', '-1'],
        ['CONFIG', 'SET', 'lazyfree-lazy-expire', 'no'],
      ],
    ],
    [
      'a big set expiring, lazyfree-lazy-expire',
      [
        ['CONFIG', 'SET', 'lazyfree-lazy-expire', 'yes'],
        ['SADD', 'k', ...many(200, (i) => 'm' + i)],
        ['PEXPIRE', 'k', '1'],
        ['DEBUG', 'SLEEP', '0.01'],
        ['EXISTS', 'k'],
        ['CONFIG', 'SET', 'lazyfree-lazy-expire', 'no'],
      ],
    ],
    [
      'FLUSHALL ASYNC counts every key',
      [
        ['MSET', 'a', '1', 'b', '2', 'c', '3'],
        ['SELECT', '2'],
        ['SET', 'd', '4'],
        ['SELECT', '0'],
        ['FLUSHALL', 'ASYNC'],
      ],
    ],
    [
      'FLUSHDB ASYNC',
      [
        ['MSET', 'a', '1', 'b', '2'],
        ['FLUSHDB', 'ASYNC'],
      ],
    ],
    [
      'FLUSHALL SYNC',
      [
        ['MSET', 'a', '1', 'b', '2'],
        ['FLUSHALL', 'SYNC'],
      ],
    ],
    [
      'FLUSHALL with lazyfree-lazy-user-flush',
      [
        ['CONFIG', 'SET', 'lazyfree-lazy-user-flush', 'yes'],
        ['MSET', 'a', '1', 'b', '2'],
        ['FLUSHALL'],
        ['CONFIG', 'SET', 'lazyfree-lazy-user-flush', 'no'],
      ],
    ],
    ['FLUSHALL ASYNC of an empty server', [['FLUSHALL', 'ASYNC']]],
    [
      'UNLINK a stream of 200 nodes with a group',
      [
        ['CONFIG', 'SET', 'stream-node-max-entries', '5'],
        ...many(1000, (i) => `XADD|s|${i + 1}-0|foo|${i}`).map((x) => x.split('|')),
        ['XGROUP', 'CREATE', 's', 'g', '0'],
        ['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '2', 'STREAMS', 's', '>'],
        ['UNLINK', 's'],
        ['CONFIG', 'SET', 'stream-node-max-entries', '100'],
      ],
    ],
    [
      'UNLINK a stream with a destroyed group',
      [
        ['XADD', 's', '1-1', 'a', 'b'],
        ['XGROUP', 'CREATE', 's', 'bla', '$'],
        ['XGROUP', 'DESTROY', 's', 'bla'],
        ['UNLINK', 's'],
      ],
    ],
  ];
  const lib = (n: number) =>
    '#!lua name=lib\n' + range(n, (i) => `redis.register_function('f${i}', function() return 1 end)`).join('\n');
  scenarios.push(
    [
      'SCRIPT FLUSH ASYNC of 70 scripts',
      [...range(70, (i) => `SCRIPT|LOAD|return ${i}`).map((x) => x.split('|')), ['SCRIPT', 'FLUSH', 'ASYNC']],
    ],
    [
      'SCRIPT FLUSH ASYNC of 64 scripts',
      [...range(64, (i) => `SCRIPT|LOAD|return ${i}`).map((x) => x.split('|')), ['SCRIPT', 'FLUSH', 'ASYNC']],
    ],
    [
      'SCRIPT FLUSH of 70 scripts, lazyfree-lazy-user-flush',
      [
        ['CONFIG', 'SET', 'lazyfree-lazy-user-flush', 'yes'],
        ...range(70, (i) => `SCRIPT|LOAD|return ${i}`).map((x) => x.split('|')),
        ['SCRIPT', 'FLUSH'],
        ['CONFIG', 'SET', 'lazyfree-lazy-user-flush', 'no'],
      ],
    ],
    [
      'SCRIPT FLUSH SYNC of 70 scripts',
      [...range(70, (i) => `SCRIPT|LOAD|return ${i}`).map((x) => x.split('|')), ['SCRIPT', 'FLUSH', 'SYNC']],
    ],
    [
      'FUNCTION FLUSH ASYNC of 70 functions',
      [
        ['FUNCTION', 'LOAD', lib(70)],
        ['FUNCTION', 'FLUSH', 'ASYNC'],
      ],
    ],
    [
      'FUNCTION FLUSH ASYNC of 10 functions',
      [
        ['FUNCTION', 'LOAD', lib(10)],
        ['FUNCTION', 'FLUSH', 'ASYNC'],
      ],
    ],
  );
  // streams around the threshold, with IDs spread in different ways
  for (const [label, idOf] of [
    ['ms apart', (i: number) => `${1000 + i}-0`],
    ['sequence', (i: number) => `1700000000000-${i}`],
    ['far apart', (i: number) => `${(i + 1) * 7919 * 65536}-1`],
  ] as [string, (i: number) => string][]) {
    for (const n of [30, 40, 50, 60, 64, 70]) {
      scenarios.push([
        `UNLINK a stream of ${n} nodes (${label})`,
        [
          ['CONFIG', 'SET', 'stream-node-max-entries', '1'],
          ...many(n, (i) => ['XADD', 's', idOf(i), 'f', 'v'].join('|')).map((x) => x.split('|')),
          ['UNLINK', 's'],
          ['CONFIG', 'SET', 'stream-node-max-entries', '100'],
        ],
      ]);
    }
  }
  for (const [name, cmds] of scenarios) {
    await d!.both(['FLUSHALL']);
    const ours = await lazyfreed(d!.a, cmds);
    const theirs = await d.onReference((c) => lazyfreed(c, cmds));
    assert.deepEqual(ours, theirs, name);
  }
});

test('the active expire cycle records expire-cycle latency events, as redis-server does', async () => {
  // (polled, with absolute checks: the reference runs when installed, and is not recorded)
  for (const c of d.live ? [d.a, d.b.rawConn!] : [d.a]) {
    await c.call('FLUSHALL');
    await c.call('LATENCY', 'RESET');
    await c.call('CONFIG', 'SET', 'latency-monitor-threshold', '1');
    await c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    await c.call('DEBUG', 'POPULATE', '200000', 'ex');
    // every key expires at once, then the cycle reclaims them
    const batch: Buffer[] = [];
    for (let i = 0; i < 200000; i++) batch.push(encode(['PEXPIRE', 'ex:' + i, '1']));
    c.write(Buffer.concat(batch));
    for (let i = 0; i < 200000; i++) await c.read();
    await sleep(20);
    await c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '1');
    for (let i = 0; i < 100 && Number(decode(await c.call('DBSIZE'))) > 0; i++) await sleep(50);
    const latest = decode(await c.call('LATENCY', 'LATEST')) as unknown[][];
    assert.ok(
      latest.some((e) => e[0] === 'expire-cycle'),
      `${c === d!.a ? 'tsdis' : 'redis'}: ${JSON.stringify(latest)}`,
    );
    await c.call('CONFIG', 'SET', 'latency-monitor-threshold', '0');
  }
});
