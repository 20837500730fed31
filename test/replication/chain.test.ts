/**
 * Chained replication with mixed nodes (issue 17): primary → replica →
 * sub-replica, where the middle node proxies its primary's stream byte for
 * byte, so all three report the same offset and DEBUG DIGEST after mixed
 * writes. redis-server → tsdis → redis-server, and tsdis → redis-server →
 * tsdis. When the middle node's own link is cut it continues partially and
 * keeps its sub-replica (same history); REPLICAOF NO ONE on it changes the
 * history, and its sub-replica then asks again and continues partially.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawConn, startRedis, startTsdis, hasRedis, SKIP_NO_REDIS, type RedisProcess } from '../helpers/servers.js';
import type { TsdisServer } from '../../src/index.js';
import { until } from '../helpers/wait.js';
import { field, linkUp, mixedWrites, sendAll } from './kit.js';

const skip = hasRedis() ? false : SKIP_NO_REDIS;

type Node = { port: number; stop(): Promise<void> };

const tsdis = async (replicaof?: number): Promise<Node> => {
  const s: TsdisServer = await startTsdis({
    config: {
      'enable-debug-command': 'yes',
      'repl-diskless-sync-delay': 0,
      ...(replicaof === undefined ? {} : { replicaof: `127.0.0.1 ${replicaof}` }),
    },
  });
  return { port: s.port, stop: () => s.close() };
};

const redis = async (replicaof?: number): Promise<Node> => {
  const r: RedisProcess = await startRedis([
    '--enable-debug-command',
    'yes',
    '--repl-diskless-sync-delay',
    '0',
    ...(replicaof === undefined ? [] : ['--replicaof', '127.0.0.1', String(replicaof)]),
  ]);
  return { port: r.port, stop: () => r.stop() };
};

/** Waits until every node reports the same master_repl_offset; returns their digests. */
async function settled(conns: RawConn[]): Promise<string[]> {
  await until(
    'every node at the same offset',
    async () => {
      const offs = await Promise.all(conns.map((c) => field(c, 'master_repl_offset')));
      return offs.every((o) => o === offs[0]);
    },
    { timeout: 30_000 },
  );
  return Promise.all(conns.map((c) => c.call('DEBUG', 'DIGEST')));
}

for (const [name, make] of [
  ['redis-server → tsdis → redis-server', [redis, tsdis, redis]],
  ['tsdis → redis-server → tsdis', [tsdis, redis, tsdis]],
] as const) {
  test(
    `a chain ${name}: same offsets and digests; the middle's link cut continues; its promotion`,
    { skip },
    async () => {
      const nodes: Node[] = [];
      const conns: RawConn[] = [];
      try {
        nodes.push(await make[0]());
        nodes.push(await make[1](nodes[0]!.port));
        nodes.push(await make[2](nodes[1]!.port));
        for (const n of nodes) conns.push(await RawConn.connect(n.port));
        const [p, mid, sub] = conns as [RawConn, RawConn, RawConn];
        await linkUp(mid);
        await linkUp(sub);
        await sendAll(nodes[0]!.port, mixedWrites(20_000, 7));
        // (keys with millisecond TTLs: no active expiry on the primary between the offsets and the digests)
        assert.equal(await p.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0'), '+OK\r\n');
        let digests = await settled(conns);
        assert.equal(new Set(digests).size, 1, `digests differ: ${digests.join(' ')}`);
        const subFull = await field(mid, 'sync_full', 'stats');

        // the middle's link to the primary cut: it continues, and so does the chain
        await mid.call('CLIENT', 'KILL', 'TYPE', 'master');
        await sendAll(nodes[0]!.port, mixedWrites(5_000, 8));
        await linkUp(mid);
        digests = await settled(conns);
        assert.equal(new Set(digests).size, 1, `digests differ after the cut: ${digests.join(' ')}`);
        assert.equal(await field(mid, 'sync_full', 'stats'), subFull, 'the sub-replica took no new full sync');

        // the middle promoted: a new history; the sub-replica follows it with a partial resync
        assert.equal(await mid.call('REPLICAOF', 'NO', 'ONE'), '+OK\r\n');
        await mid.call('SET', 'after-promotion', 'x');
        await until(
          'the write on the promoted node to reach its sub-replica',
          async () => (await sub.call('GET', 'after-promotion')) === '$1\r\nx\r\n',
          { timeout: 20_000 },
        );
        assert.equal(await field(mid, 'sync_full', 'stats'), subFull, 'no full sync after the promotion');
        assert.equal(await field(sub, 'master_replid'), await field(mid, 'master_replid'));
      } finally {
        for (const c of conns) c.close();
        for (const n of nodes.reverse()) await n.stop();
      }
    },
  );
}
