/**
 * The eviction machinery of tsdis on its own, with an injected memory gauge
 * (1000 bytes per key), clock and random source, so what is evicted is
 * exact: with maxmemory-samples above the number of keys every key is a
 * candidate, and the pool picks the best by the policy's score.
 *  - allkeys-lru evicts the longest idle keys, never the recently read;
 *  - allkeys-lfu keeps the hot set (lfu-log-factor 0: every access counts);
 *  - volatile-ttl evicts the nearest expiry first;
 *  - volatile-* never touch keys without a TTL, and refuse writes once
 *    only those are left;
 *  - the random policies visit the databases round-robin;
 *  - maxmemory-eviction-tenacity 0: a command evicts 16 keys and the timer
 *    the rest; INFO eviction exceeded times;
 *  - eviction invalidates WATCH and counts no dirty change.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTsdis } from '../helpers/servers.js';
import type { TsdisServer } from '../../src/index.js';
import { ReplyError } from '../../src/index.js';

/** A server whose used memory is 1000 bytes per key (all databases), with a settable clock. */
async function gauged(config: Record<string, string>): Promise<{ t: TsdisServer; clock: { now: number } }> {
  const clock = { now: 1_700_000_000_000 };
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
  const holder: { t: TsdisServer | null } = { t: null };
  const t = await startTsdis({
    clock: () => clock.now,
    random,
    usedMemory: () => (holder.t === null ? 0 : holder.t.server.dbs.reduce((n, db) => n + db.size, 0) * 1000),
    config: { 'maxmemory-samples': '1000', ...config },
  });
  holder.t = t;
  return { t, clock };
}

async function info(t: TsdisServer, field: string): Promise<number> {
  const text = String(await t.call('INFO', 'everything'));
  const m = new RegExp(`^${field}:(\\d+)`, 'm').exec(text);
  assert.ok(m, field);
  return Number(m[1]);
}

async function exists(t: TsdisServer, keys: string[]): Promise<number> {
  return Number(await t.call('EXISTS', ...keys));
}

const range = (p: string, n: number, from = 0) => Array.from({ length: n }, (_, i) => `${p}${i + from}`);

test('allkeys-lru evicts the longest idle keys: read keys and new keys stay', async () => {
  const { t, clock } = await gauged({ 'maxmemory-policy': 'allkeys-lru', maxmemory: String(100 * 1000) });
  try {
    for (const k of range('cold', 80)) await t.call('SET', k, 'v');
    for (const k of range('hot', 20)) await t.call('SET', k, 'v');
    clock.now += 10_000;
    for (const k of range('hot', 20)) await t.call('GET', k);
    clock.now += 1000;
    for (const k of range('new', 30)) await t.call('SET', k, 'v');
    assert.equal(await t.call('DBSIZE'), 100);
    assert.equal(await exists(t, range('hot', 20)), 20);
    assert.equal(await exists(t, range('new', 30)), 30);
    assert.equal(await exists(t, range('cold', 80)), 50);
    assert.equal(await info(t, 'evicted_keys'), 30);
    assert.equal(await t.call('OBJECT', 'IDLETIME', 'hot0'), 1);
  } finally {
    await t.close();
  }
});

test('allkeys-lfu keeps the hot set; OBJECT FREQ counts the accesses', async () => {
  const { t } = await gauged({
    'maxmemory-policy': 'allkeys-lfu',
    'lfu-log-factor': '0',
    'lfu-decay-time': '0',
    maxmemory: String(100 * 1000),
  });
  try {
    for (const k of range('cold', 80)) await t.call('SET', k, 'v');
    for (const k of range('hot', 20)) await t.call('SET', k, 'v');
    assert.equal(await t.call('OBJECT', 'FREQ', 'hot0'), 5); // LFU_INIT_VAL
    for (let i = 0; i < 10; i++) for (const k of range('hot', 20)) await t.call('GET', k);
    assert.equal(await t.call('OBJECT', 'FREQ', 'hot0'), 15);
    for (const k of range('new', 60)) await t.call('SET', k, 'v');
    assert.equal(await t.call('DBSIZE'), 100);
    assert.equal(await exists(t, range('hot', 20)), 20);
    assert.equal(await info(t, 'evicted_keys'), 60);
  } finally {
    await t.close();
  }
});

test('volatile-ttl evicts the nearest expiry first and never a key without TTL', async () => {
  const { t } = await gauged({ 'maxmemory-policy': 'volatile-ttl', maxmemory: String(100 * 1000) });
  try {
    for (const k of range('p', 50)) await t.call('SET', k, 'v');
    for (let i = 0; i < 50; i++) await t.call('SET', `v${i}`, 'v', 'EX', String(1000 + ((i * 37) % 50)));
    for (const k of range('n', 10)) await t.call('SET', k, 'v');
    assert.equal(await exists(t, range('p', 50)), 50);
    // the ten with the smallest TTLs (1000..1009 s) are gone
    const gone: string[] = [];
    for (let i = 0; i < 50; i++) if ((await t.call('EXISTS', `v${i}`)) === 0) gone.push(String((i * 37) % 50));
    assert.deepEqual(
      gone.map(Number).sort((a, b) => a - b),
      range('', 10).map(Number),
    );
  } finally {
    await t.close();
  }
});

for (const policy of ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl']) {
  test(`${policy} never evicts keys without TTL; once only those are left, writes get -OOM`, async () => {
    const { t } = await gauged({ 'maxmemory-policy': policy, maxmemory: String(30 * 1000) });
    try {
      for (const k of range('p', 20)) await t.call('SET', k, 'v');
      for (const k of range('v', 10)) await t.call('SET', k, 'v', 'EX', '1000');
      for (const k of range('n', 5)) await t.call('SET', k, 'v', 'EX', '1000');
      assert.equal(await exists(t, range('p', 20)), 20);
      assert.equal(await t.call('DBSIZE'), 30);
      // 10 keys with a TTL are left: 10 writes evict them, the 11th fits (at the limit, not over), then -OOM
      const replies = [];
      for (const k of range('m', 15)) replies.push(await t.call('SET', k, 'v'));
      assert.deepEqual(
        replies.map((r) => (r instanceof ReplyError ? r.message : r)),
        [...Array(11).fill('OK'), ...Array(4).fill("OOM command not allowed when used memory > 'maxmemory'.")],
      );
      assert.equal(await exists(t, range('p', 20)), 20);
      assert.equal(await info(t, 'evicted_keys'), 15);
    } finally {
      await t.close();
    }
  });
}

test('the random policies take keys from every database in turn', async () => {
  for (const policy of ['allkeys-random', 'volatile-random']) {
    const { t } = await gauged({ 'maxmemory-policy': policy, maxmemory: String(40 * 1000) });
    try {
      for (const db of ['0', '1', '2']) {
        await t.call('SELECT', db);
        for (const k of range('k', 13)) await t.call('SET', k, 'v', 'EX', '1000');
      }
      await t.call('SELECT', '3');
      await t.call('SET', 'p', 'v');
      await t.call('SET', 'q', 'v', 'EX', '1000');
      await t.call('SET', 'r', 'v', 'EX', '1000');
      await t.call('PING');
      // 42 keys for 40: two go (before r and before PING), from two different databases
      const sizes = t.server.dbs.slice(0, 4).map((db) => db.size);
      assert.equal(
        sizes.reduce((a, b) => a + b, 0),
        40,
        policy,
      );
      assert.equal(sizes.filter((n, i) => n < [13, 13, 13, 3][i]!).length, 2, `${policy}: ${sizes}`);
    } finally {
      await t.close();
    }
  }
});

test('maxmemory-eviction-tenacity 0: a command evicts 16 keys, the timer the rest; exceeded times', async () => {
  const { t } = await gauged({ 'maxmemory-policy': 'allkeys-lru', 'maxmemory-eviction-tenacity': '0' });
  try {
    for (let i = 0; i < 1000; i++) await t.call('SET', `k${i}`, 'v');
    await t.call('CONFIG', 'SET', 'maxmemory', String(100 * 1000));
    // the CONFIG SET started the timer: let a command run first
    assert.equal(await t.call('PING'), 'PONG');
    const first = t.server.stats.evictedKeys;
    assert.ok(first === 16, `evicted by one command: ${first}`);
    for (let i = 0; i < 200 && t.server.dbs[0]!.size > 100; i++) await new Promise((r) => setImmediate(r));
    assert.equal(t.server.dbs[0]!.size, 100);
    assert.equal(await info(t, 'evicted_keys'), 900);
    assert.equal(await info(t, 'current_eviction_exceeded_time'), 0);
    assert.ok((await info(t, 'total_eviction_exceeded_time')) >= 0);
    await t.call('CONFIG', 'RESETSTAT');
    assert.equal(await info(t, 'evicted_keys'), 0);
    assert.equal(await info(t, 'total_eviction_exceeded_time'), 0);
  } finally {
    await t.close();
  }
});

test('an evicted key invalidates WATCH; eviction counts no dirty change', async () => {
  const { t } = await gauged({ 'maxmemory-policy': 'allkeys-lru', maxmemory: String(10 * 1000) });
  try {
    for (const k of range('k', 10)) await t.call('SET', k, 'v');
    const c = t.server.newClient(null, 'internal');
    const { dispatch } = await import('../../src/server/dispatcher.js');
    const run = (...argv: string[]) => {
      dispatch(t.server, c, argv);
      return c.reply.take();
    };
    for (const k of range('k', 10)) run('WATCH', k);
    run('MULTI');
    run('GET', 'k0');
    const dirty = await info(t, 'rdb_changes_since_last_save');
    await t.call('CONFIG', 'SET', 'maxmemory', String(5 * 1000));
    await t.call('PING');
    assert.equal(await t.call('DBSIZE'), 5);
    assert.equal(await info(t, 'rdb_changes_since_last_save'), dirty);
    assert.equal(run('EXEC'), '*-1\r\n');
  } finally {
    await t.close();
  }
});

test('keys deleted while in the eviction pool are skipped: not counted, not signalled', async () => {
  const { t, clock } = await gauged({
    'maxmemory-policy': 'allkeys-lru',
    maxmemory: String(100 * 1000),
    'notify-keyspace-events': 'Eg',
  });
  try {
    // idle times 100 s down to 1 s: the pool's 16 best are k0..k15, k0 the best
    for (const k of range('k', 100)) {
      await t.call('SET', k, 'v');
      clock.now += 1000;
    }
    const events: string[] = [];
    t.server.pubsub.notify = (cls, event, key) => {
      if (event === 'evicted' || event === 'del') events.push(`${event} ${key}`);
    };
    await t.call('SET', 'new0', 'v');
    await t.call('PING'); // (eviction runs before a command) evicts k0; k1..k15 stay in the pool
    assert.deepEqual(events, ['evicted k0']);
    // k1..k5 go while the pool holds them (ghosts), and a WATCH on one must survive
    const c = t.server.newClient(null, 'internal');
    const { dispatch } = await import('../../src/server/dispatcher.js');
    const run = (...argv: string[]) => {
      dispatch(t.server, c, argv);
      return c.reply.take();
    };
    await t.call('DEL', ...range('k', 5, 1));
    run('WATCH', 'k1');
    run('MULTI');
    run('PING');
    events.length = 0;
    for (const k of range('new', 6, 1)) await t.call('SET', k, 'v');
    await t.call('PING'); // 95 + 6 keys: one eviction, past the five ghosts
    assert.deepEqual(events, ['evicted k6']);
    assert.equal(await info(t, 'evicted_keys'), 2);
    assert.equal(await t.call('DBSIZE'), 100);
    assert.equal(await exists(t, ['k6']), 0);
    assert.equal(await exists(t, range('k', 93, 7)), 93);
    assert.equal(run('EXEC'), '*1\r\n+PONG\r\n');
  } finally {
    await t.close();
  }
});
