/**
 * Moving slots between nodes (issue 18): redis-cli --cluster add-node,
 * rebalance --cluster-use-empty-masters, reshard, fix (an open slot, an
 * uncovered one) and del-node on four tsdis nodes, while ioredis and node-redis
 * write (reshard-kit.ts's lifecycle).
 */
import { test, after } from 'node:test';
import { lifecycle, skip, stopAll, tsdisNode } from './reshard-kit.js';

after(stopAll);

test('tsdis only: add-node, rebalance, reshard, fix, del-node under writes', { skip }, async (t) => {
  const first = [await tsdisNode(), await tsdisNode(), await tsdisNode()];
  await lifecycle(t, first, await tsdisNode(), { weight: 0.03, back: 100 });
  await stopAll();
});
