/**
 * A standalone server answers CLUSTER, READONLY, READWRITE and ASKING as
 * redis-server without cluster-enabled does: "This instance has cluster
 * support disabled" (arity and unknown-subcommand errors first).
 */
import { test, after } from 'node:test';
import { Differ } from '../helpers/diff.js';
import { SKIP_NO_REDIS } from '../helpers/servers.js';

const d = await Differ.start();
after(() => d?.stop());

test('CLUSTER and the cluster connection commands on a standalone server', { skip: d ? false : SKIP_NO_REDIS }, async () => {
  for (const resp of ['2', '3']) {
    await d!.both(['HELLO', resp]);
    await d!.same([
      ['CLUSTER', 'INFO'], ['CLUSTER', 'HELP'], ['CLUSTER', 'MYID'], ['CLUSTER', 'NODES'], ['CLUSTER', 'SLOTS'], ['CLUSTER', 'SHARDS'],
      ['CLUSTER', 'KEYSLOT', 'k'], ['CLUSTER', 'KEYSLOT'], ['CLUSTER', 'NOSUCH'], ['CLUSTER'], ['READONLY'], ['READWRITE'], ['ASKING'], ['READONLY', 'x'],
      ['EVAL', "return redis.pcall('CLUSTER', 'INFO')", '0'],
    ]);
  }
});
