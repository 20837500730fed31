/**
 * Moving slots between nodes (issue 18): redis-cli --cluster reshard of
 * 1000 slots between tsdis nodes while ioredis' Cluster and node-redis'
 * createCluster write: every write acknowledged is read back afterwards
 * (no replicas: no WAIT). The kit is reshard-kit.ts; a test file gets 120 s
 * from node's test runner, so the other cases live in reshard-mixed,
 * reshard-tools and migrate-slot.test.ts.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cli, checkClean, create, myid, skip, slotsOf, stopAll, tsdisNode, Writers, type Node } from './reshard-kit.js';

after(stopAll);

test(
  'tsdis only: redis-cli --cluster reshard of 1000 slots under ioredis and node-redis writes',
  { skip },
  async (t) => {
    const nodes = [await tsdisNode(), await tsdisNode(), await tsdisNode()];
    await create(nodes);
    const [a, b] = nodes as [Node, Node, Node];
    const aId = await myid(a.port);
    const bId = await myid(b.port);
    // redis-cli takes the source's slots from its first: create gave node a 0-5460
    const w = new Writers(a.port, [0, 999]);
    try {
      await w.start();
      await w.after(500);
      const out = await cli(
        'reshard',
        `127.0.0.1:${a.port}`,
        '--cluster-from',
        aId,
        '--cluster-to',
        bId,
        '--cluster-slots',
        '1000',
        '--cluster-yes',
      );
      assert.match(out, /Moving slot 999 from/);
      await w.after(500);
      await w.stop();
      assert.equal(await slotsOf(a.port), 5461 - 1000);
      assert.equal(await slotsOf(b.port), 5462 + 1000);
      await checkClean(a.port);
      assert.deepEqual(await w.verify(), []);
      assert.ok(w.acked.size > 1000, `acked ${w.acked.size}`);
      t.diagnostic(w.summary());
    } finally {
      await w.close();
    }
    await stopAll();
  },
);
