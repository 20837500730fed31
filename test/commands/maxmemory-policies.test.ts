/**
 * Each eviction policy against redis-server with real memory figures: the
 * same data and access pattern on both, with maxmemory a few MB above each
 * server's own baseline (their per-key costs differ, so the numbers of keys
 * kept differ; what is compared is which kinds of keys survive):
 *  - volatile-*: every key without a TTL survives;
 *  - LFU: the keys read often survive writes of new keys;
 *  - LRU: keys read after the others were written survive;
 *  - volatile-ttl: the nearest expiries go first;
 *  - allkeys-random: keys with and without a TTL go alike.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Differ } from '../helpers/diff.js';
import { RawConn } from '../helpers/servers.js';
import { encode } from '../helpers/resp.js';

const d = await Differ.start();
after(() => d?.stop());

/**
 * Whether tsdis's used_memory drops as soon as a key is deleted (the
 * incremental accounting eviction measures itself by); the comparisons need
 * it, and are skipped, saying why, while used_memory is V8's heap.
 */
async function accountingDropsOnDelete(): Promise<boolean> {
  const c = d!.a;
  await c.call('DEL', 'probe');
  await c.call('SET', 'probe', 'x'.repeat(1 << 20));
  const before = Number(/used_memory:(\d+)/.exec(await c.call('INFO', 'memory'))![1]);
  await c.call('DEL', 'probe');
  const after = Number(/used_memory:(\d+)/.exec(await c.call('INFO', 'memory'))![1]);
  return before - after > 512 * 1024;
}
const skip = (await accountingDropsOnDelete())
  ? false
  : 'SKIPPED: used_memory does not drop when a key is deleted (needs the incremental accounting)';

const VALUE = 'x'.repeat(1000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends commands pipelined in batches and returns the replies. */
async function pipeline(c: RawConn, cmds: string[][]): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < cmds.length; i += 200) {
    const batch = cmds.slice(i, i + 200);
    c.write(Buffer.concat(batch.map((x) => encode(x))));
    for (let j = 0; j < batch.length; j++) out.push(await c.read(10000));
  }
  return out;
}

async function usedMemory(c: RawConn): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await c.call('INFO', 'memory'))![1]);
}

/** How many of `keys` exist. */
async function surviving(c: RawConn, keys: string[]): Promise<number> {
  const r = await pipeline(
    c,
    keys.map((k) => ['EXISTS', k]),
  );
  return r.filter((x) => x === ':1\r\n').length;
}

/** FLUSHALL, the policy, and maxmemory `mb` MB above the server's baseline (its used_memory when empty). */
async function prepare(c: RawConn, policy: string, mb: number): Promise<void> {
  await c.call('CONFIG', 'SET', 'maxmemory', '0');
  await c.call('FLUSHALL');
  await c.call('CONFIG', 'SET', 'maxmemory-policy', policy);
  await c.call('CONFIG', 'RESETSTAT');
  await sleep(50);
  const base = await usedMemory(c);
  await c.call('CONFIG', 'SET', 'maxmemory', String(base + mb * 1024 * 1024));
}

const range = (p: string, n: number) => Array.from({ length: n }, (_, i) => `${p}${i}`);

/** Runs `scenario` on both servers and returns [tsdis, redis] results. */
async function both<T>(scenario: (c: RawConn) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  // (the reference's figures come from random sampling: it runs when installed, and is not recorded)
  for (const c of d.live ? [d.a, d.b.rawConn!] : [d.a]) {
    try {
      out.push(await scenario(c));
    } finally {
      await c.call('CONFIG', 'SET', 'maxmemory', '0');
    }
  }
  return out;
}

for (const policy of ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl']) {
  test(`${policy}: keys without a TTL all survive a flood of keys with one`, { skip }, async () => {
    const rs = await both(async (c) => {
      await prepare(c, policy, 4);
      await pipeline(
        c,
        range('p', 1000).map((k) => ['SET', k, VALUE]),
      );
      await pipeline(
        c,
        range('v', 8000).map((k, i) => ['SET', k, VALUE, 'EX', String(10000 + i)]),
      );
      return {
        persistent: await surviving(c, range('p', 1000)),
        evicted: Number(/evicted_keys:(\d+)/.exec(await c.call('INFO', 'stats'))![1]),
      };
    });
    for (const r of rs) {
      assert.equal(r.persistent, 1000);
      assert.ok(r.evicted > 1000, JSON.stringify(rs));
    }
  });
}

for (const policy of ['allkeys-lfu', 'volatile-lfu']) {
  test(`${policy} keeps the hot set while new keys are written`, { skip }, async () => {
    const ex = policy.startsWith('volatile') ? ['EX', '10000'] : [];
    const rs = await both(async (c) => {
      await prepare(c, policy, 4);
      await pipeline(
        c,
        range('hot', 200).map((k) => ['SET', k, VALUE, ...ex]),
      );
      for (let i = 0; i < 30; i++)
        await pipeline(
          c,
          range('hot', 200).map((k) => ['GET', k]),
        );
      await pipeline(
        c,
        range('cold', 8000).map((k) => ['SET', k, VALUE, ...ex]),
      );
      return { hot: await surviving(c, range('hot', 200)), cold: await surviving(c, range('cold', 8000)) };
    });
    for (const r of rs) {
      assert.ok(r.hot >= 195, `hot survivors: ${JSON.stringify(rs)}`);
      assert.ok(r.cold < 8000);
    }
  });
}

for (const policy of ['allkeys-lru', 'volatile-lru']) {
  test(`${policy} keeps the keys read most recently; the unread old ones go first`, { skip }, async () => {
    const ex = policy.startsWith('volatile') ? ['EX', '10000'] : [];
    const rs = await both(async (c) => {
      await prepare(c, policy, 4);
      await pipeline(
        c,
        range('k', 3000).map((k) => ['SET', k, VALUE, ...ex]),
      );
      // the LRU clock counts seconds: the reads come two seconds later
      await sleep(2100);
      await pipeline(
        c,
        range('k', 200).map((k) => ['GET', k]),
      );
      await pipeline(
        c,
        range('n', 1500).map((k) => ['SET', k, VALUE, ...ex]),
      );
      const read = await surviving(c, range('k', 200));
      const unreadGone = 2800 - (await surviving(c, range('k', 3000).slice(200)));
      // (read last: the checks' own commands may evict too)
      return { read, unreadGone, evicted: Number(/evicted_keys:(\d+)/.exec(await c.call('INFO', 'stats'))![1]) };
    });
    for (const r of rs) {
      assert.ok(r.read >= 190 && r.evicted > 0, JSON.stringify(rs));
      // (sampling: nearly all, not all, of what went is from the unread old keys)
      assert.ok(r.unreadGone >= 0.9 * Math.min(r.evicted, 2800), JSON.stringify(rs));
    }
  });
}

test('volatile-ttl evicts the nearest expiries first', { skip }, async () => {
  const rs = await both(async (c) => {
    await prepare(c, 'volatile-ttl', 4);
    // TTLs in a shuffled order, so that neither insertion order nor slots follow them
    const ttls = range('', 8000).map((_, i) => 10000 + ((i * 7919) % 8000));
    await pipeline(
      c,
      ttls.map((t, i) => ['SET', `v${i}`, VALUE, 'EX', String(t)]),
    );
    const alive = await pipeline(
      c,
      ttls.map((_, i) => ['EXISTS', `v${i}`]),
    );
    const near = ttls.map((t, i) => [t, alive[i] === ':1\r\n'] as const).filter(([t]) => t < 11000);
    const far = ttls.map((t, i) => [t, alive[i] === ':1\r\n'] as const).filter(([t]) => t >= 17000);
    return { near: near.filter(([, x]) => x).length / near.length, far: far.filter(([, x]) => x).length / far.length };
  });
  // most of the farthest expiries survive, few of the nearest
  for (const r of rs) assert.ok(r.far > 0.9 && r.near < 0.3, JSON.stringify(rs));
});

test('allkeys-random evicts keys with and without a TTL alike', { skip }, async () => {
  const rs = await both(async (c) => {
    await prepare(c, 'allkeys-random', 4);
    await pipeline(
      c,
      range('p', 4000).map((k) => ['SET', k, VALUE]),
    );
    await pipeline(
      c,
      range('v', 4000).map((k) => ['SET', k, VALUE, 'EX', '10000']),
    );
    return { p: await surviving(c, range('p', 4000)), v: await surviving(c, range('v', 4000)) };
  });
  for (const r of rs) assert.ok(r.p < 4000 && r.v < 4000 && r.p > 0, JSON.stringify(rs));
});
