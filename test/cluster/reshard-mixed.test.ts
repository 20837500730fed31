/**
 * Moving slots between nodes (issue 18): redis-cli --cluster add-node,
 * rebalance --cluster-use-empty-masters, reshard, fix (an open slot, an
 * uncovered one) and del-node on three redis-server primaries and a tsdis node added to them (slots move from redis-server to tsdis by rebalance, back by reshard and by del-node's reshard, with MIGRATE both ways), while ioredis and node-redis
 * write (reshard-kit.ts's lifecycle).
 */
import { test, after } from 'node:test';
import { lifecycle, redisNode, skip, stopAll, tsdisNode } from './reshard-kit.js';

after(stopAll);

test(
  'three redis-server primaries + tsdis: add-node, rebalance, reshard, fix, del-node under writes',
  { skip },
  async (t) => {
    const first = [await redisNode(), await redisNode(), await redisNode()];
    await lifecycle(t, first, await tsdisNode(), { weight: 0.2, back: 1000 });
    await stopAll();
  },
);
