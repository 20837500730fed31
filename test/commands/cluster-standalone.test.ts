/**
 * A standalone server answers CLUSTER, READONLY, READWRITE and ASKING as
 * redis-server without cluster-enabled does: "This instance has cluster
 * support disabled" (arity and unknown-subcommand errors first); CLUSTER
 * RESET is refused to scripts (noscript).
 */
import { test, after } from 'node:test';
import { Differ } from '../helpers/diff.js';

const d = await Differ.start();
after(() => d?.stop());

test('CLUSTER and the cluster connection commands on a standalone server', async () => {
  for (const resp of ['2', '3']) {
    await d!.both(['HELLO', resp]);
    await d!.same([
      ['CLUSTER', 'INFO'],
      ['CLUSTER', 'HELP'],
      ['CLUSTER', 'MYID'],
      ['CLUSTER', 'NODES'],
      ['CLUSTER', 'SLOTS'],
      ['CLUSTER', 'SHARDS'],
      ['CLUSTER', 'KEYSLOT', 'k'],
      ['CLUSTER', 'KEYSLOT'],
      ['CLUSTER', 'NOSUCH'],
      ['CLUSTER'],
      ['READONLY'],
      ['READWRITE'],
      ['ASKING'],
      ['READONLY', 'x'],
      ['EVAL', "return redis.pcall('CLUSTER', 'INFO')", '0'],
      // RESET is noscript: refused in a script before its handler runs
      ['CLUSTER', 'RESET'],
      ['CLUSTER', 'RESET', 'HARD'],
      ['EVAL', "return redis.pcall('CLUSTER', 'RESET', 'HARD')", '0'],
      ['EVAL', "return redis.pcall('CLUSTER', 'RESET')", '0'],
    ]);
  }
});
