/**
 * Differential: the same commands against two two-node clusters, one of
 * redis-server 7.0 nodes and one of tsdis nodes, with the same slot layout
 * (node 1: 0-8191, node 2: 8192-16383). Raw replies are compared byte for
 * byte after the other node's port and the nodes' ids are replaced by
 * placeholders: CLUSTER KEYSLOT with hash tags, -MOVED, -ASK / ASKING,
 * -TRYAGAIN, -CROSSSLOT (plain commands, MULTI/EXEC, scripts), SELECT,
 * READONLY/READWRITE, CLUSTER subcommands' errors and replies.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { hasRedis, SKIP_NO_REDIS, RawConn, type RedisProcess } from '../helpers/servers.js';
import { startTsdisNode, startRedisNode, formTwo, type TsdisNode } from './helpers.js';
import { keyHashSlot } from '../../src/cluster/slot.js';

const live = hasRedis();
let t: TsdisNode[] = [];
let r: RedisProcess[] = [];

before(async () => {
  if (!live) return;
  t = [await startTsdisNode(), await startTsdisNode()];
  r = [await startRedisNode(), await startRedisNode()];
  await formTwo(t.map((n) => n.port));
  await formTwo(r.map((n) => n.port));
});

after(async () => {
  for (const n of t) await n.close();
  for (const n of r) await n.stop();
});

/** A key (with prefix `p`) whose slot is on node 1 (< 8192) or node 2. */
function keyOn(node: 1 | 2, p: string): string {
  for (let i = 0; ; i++) {
    const k = `${p}${i}`;
    if (keyHashSlot(k) < 8192 === (node === 1)) return k;
  }
}

/** Two keys on node 1 in different slots. */
const A1 = keyOn(1, 'a');
const B1 = (() => {
  for (let i = 0; ; i++) {
    const k = `b${i}`;
    if (keyHashSlot(k) < 8192 && keyHashSlot(k) !== keyHashSlot(A1)) return k;
  }
})();
const C2 = keyOn(2, 'c');

/** Runs `cmds` on node 1 (or 2) of each cluster, in order on one connection each; compares normalized replies. */
async function same(cmds: (string | number)[][], on: 0 | 1 = 0): Promise<void> {
  const ids = async (ports: number[]) =>
    Promise.all(
      ports.map(async (p) => {
        const c = await RawConn.connect(p);
        const raw = await c.call('CLUSTER', 'MYID');
        c.close();
        return raw.split('\r\n')[1]!;
      }),
    );
  const tp = t.map((n) => n.port);
  const rp = r.map((n) => n.port);
  const tid = await ids(tp);
  const rid = await ids(rp);
  const sub = (ids: string[]) => (c: (string | number)[]) =>
    c.map((a) => (a === 'ID1' ? ids[0]! : a === 'ID2' ? ids[1]! : a));
  const norm = (s: string, ports: number[], ids: string[]) =>
    s
      .split(`:${ports[1]}`)
      .join(':PORT2')
      .split(`:${ports[0]}`)
      .join(':PORT1')
      .split(ids[0]!)
      .join('ID1')
      .split(ids[1]!)
      .join('ID2');
  const a = await RawConn.connect(tp[on]!);
  const b = await RawConn.connect(rp[on]!);
  try {
    for (const cmd of cmds) {
      const x = norm(await a.call(...sub(tid)(cmd)), tp, tid);
      const y = norm(await b.call(...sub(rid)(cmd)), rp, rid);
      assert.equal(x, y, `${JSON.stringify(cmd)}: tsdis ${JSON.stringify(x)} redis ${JSON.stringify(y)}`);
    }
  } finally {
    a.close();
    b.close();
  }
}

const skip = live ? false : SKIP_NO_REDIS;

test('CLUSTER KEYSLOT with hash tags', { skip }, async () => {
  const keys = [
    'foo',
    'bar',
    '{user1000}.following',
    '{user1000}.followers',
    'foo{}{bar}',
    'foo{{bar}}zap',
    'foo{bar}{zap}',
    '',
    '{}',
    '{a',
    'a}',
    '}{a}',
    '{{}}',
    'x\x00y',
    '\xff\xfe{\x80}',
    '123456789',
    'a'.repeat(1000),
  ];
  await same(keys.map((k) => ['CLUSTER', 'KEYSLOT', k]));
  await same([
    ['CLUSTER', 'KEYSLOT'],
    ['CLUSTER', 'KEYSLOT', 'a', 'b'],
  ]);
});

test('MOVED, CROSSSLOT, SELECT, READONLY, READWRITE, ASKING', { skip }, async () => {
  await same([
    ['SET', A1, 'v'],
    ['GET', A1],
    ['SET', C2, 'v'],
    ['GET', C2],
    ['MSET', A1, '1', B1, '2'],
    ['MSET', `{t}${A1}`, '1', `{t}${B1}`, '2'],
    ['DEL', A1, C2],
    ['EXISTS', '{x}1', '{x}2'],
    ['SELECT', '0'],
    ['SELECT', '1'],
    ['SELECT', 'x'],
    ['MOVE', A1, 1],
    ['COPY', A1, `{${A1}}copy`, 'DB', 1],
    ['COPY', A1, `{${A1}}copy`, 'DB', 0],
    ['SWAPDB', 0, 1],
    ['DEL', `{${A1}}copy`],
    ['READONLY'],
    ['READWRITE'],
    ['ASKING'],
    ['PING'],
    ['DBSIZE'],
    ['KEYS', '*'],
    ['SPUBLISH', C2, 'm'],
    ['SPUBLISH', A1, 'm'],
    ['PUBLISH', C2, 'm'],
    ['CLUSTER', 'COUNTKEYSINSLOT', keyHashSlot(A1)],
    ['CLUSTER', 'GETKEYSINSLOT', keyHashSlot(A1), 10],
    ['DEL', A1],
  ]);
});

test('MULTI/EXEC: MOVED at queue time, CROSSSLOT at EXEC', { skip }, async () => {
  await same([
    ['MULTI'],
    ['SET', A1, '1'],
    ['SET', C2, '1'],
    ['EXEC'],
    ['MULTI'],
    ['SET', A1, '1'],
    ['SET', B1, '1'],
    ['EXEC'],
    ['MULTI'],
    ['SET', A1, '1'],
    ['GET', A1],
    ['EXEC'],
    ['DEL', A1],
  ]);
});

test('scripts: declared keys routed, undeclared keys of another slot or node refused', { skip }, async () => {
  await same([
    ['EVAL', 'return redis.call("get", KEYS[1])', 2, A1, B1],
    ['EVAL', 'return redis.call("get", KEYS[1])', 1, C2],
    ['EVAL', 'return redis.call("set", KEYS[1], "x")', 1, A1],
    ['EVAL', `return redis.call("get", "${C2}")`, 1, A1],
    ['EVAL', `return redis.call("get", "${C2}")`, 0],
    ['EVAL', `#!lua flags=allow-cross-slot-keys\nredis.call("get", "${A1}") return redis.call("get", "${B1}")`, 0],
    ['EVAL', '#!lua flags=no-cluster\nreturn 1', 0],
    ['DEL', A1],
  ]);
});

test('ASK, ASKING and TRYAGAIN while a slot migrates', { skip }, async () => {
  const slot = keyHashSlot(A1);
  const other = `{${A1}}other`;
  await same([
    ['SET', A1, 'v'],
    ['CLUSTER', 'SETSLOT', slot, 'MIGRATING', 'ID2'],
    ['GET', A1],
    ['GET', other],
    ['MGET', A1, other],
    ['EXISTS', other],
    ['CLUSTER', 'NODES'].length ? ['CLUSTER', 'COUNTKEYSINSLOT', slot] : [],
  ]);
  await same(
    [
      ['CLUSTER', 'SETSLOT', slot, 'IMPORTING', 'ID1'],
      ['GET', other],
      ['ASKING'],
      ['GET', other],
      ['GET', other],
      ['ASKING'],
      ['MGET', other, `{${A1}}third`],
      ['CLUSTER', 'SETSLOT', slot, 'STABLE'],
      ['GET', other],
    ],
    1,
  );
  await same([
    ['CLUSTER', 'SETSLOT', slot, 'STABLE'],
    ['GET', other],
    ['DEL', A1],
  ]);
});

test('CLUSTER subcommands: errors and replies', { skip }, async () => {
  await same([
    ['CLUSTER', 'FOO'],
    ['CLUSTER', 'ADDSLOTS', 0],
    ['CLUSTER', 'ADDSLOTS', 99999],
    ['CLUSTER', 'ADDSLOTS', 'x'],
    ['CLUSTER', 'ADDSLOTS', -1],
    ['CLUSTER', 'ADDSLOTSRANGE', 1],
    ['CLUSTER', 'ADDSLOTSRANGE', 1, 2, 3],
    ['CLUSTER', 'DELSLOTSRANGE', 5, 3],
    ['CLUSTER', 'ADDSLOTSRANGE', 0, 10],
    ['CLUSTER', 'SETSLOT', 1, 'FOO'],
    ['CLUSTER', 'SETSLOT', 1, 'STABLE', 'x'],
    ['CLUSTER', 'SETSLOT', 1, 'NODE', 'abc'],
    ['CLUSTER', 'SETSLOT', 99999, 'STABLE'],
    ['CLUSTER', 'SETSLOT', 9000, 'MIGRATING', 'ID2'],
    ['CLUSTER', 'SETSLOT', 1, 'IMPORTING', 'ID2'],
    ['CLUSTER', 'SETSLOT', 1, 'MIGRATING', 'abc'],
    ['CLUSTER', 'COUNTKEYSINSLOT', 99999],
    ['CLUSTER', 'COUNTKEYSINSLOT', 'x'],
    ['CLUSTER', 'COUNTKEYSINSLOT', 0],
    ['CLUSTER', 'GETKEYSINSLOT', 0, -1],
    ['CLUSTER', 'GETKEYSINSLOT', 0, 'x'],
    ['CLUSTER', 'GETKEYSINSLOT', 0, 10],
    ['CLUSTER', 'FORGET', 'abc'],
    ['CLUSTER', 'FORGET', 'ID1'],
    ['CLUSTER', 'MEET', '999.1.1.1', 1],
    ['CLUSTER', 'MEET', '127.0.0.1', 70000],
    ['CLUSTER', 'MEET', '127.0.0.1'],
    ['CLUSTER', 'SET-CONFIG-EPOCH', 5],
    ['CLUSTER', 'SET-CONFIG-EPOCH', -5],
    ['CLUSTER', 'SET-CONFIG-EPOCH', 'x'],
    ['CLUSTER', 'RESET', 'FOO'],
    ['CLUSTER', 'COUNT-FAILURE-REPORTS', 'ID2'],
    ['CLUSTER', 'COUNT-FAILURE-REPORTS', 'abc'],
    ['CLUSTER', 'MYID'],
    ['CLUSTER', 'REPLICAS', 'abc'],
    ['SET', A1, 'v'],
    ['CLUSTER', 'FLUSHSLOTS'],
    ['CLUSTER', 'RESET'],
    ['DEL', A1],
    ['READONLY', 'x'],
  ]);
});
