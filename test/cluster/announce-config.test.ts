/**
 * Validation of cluster-announce-hostname (compared with redis-server, 7.0
 * and 7.2 agree) and cluster-announce-human-nodename (7.2 only: pinned from
 * 7.2.4's config.c isValidAnnouncedNodename and cluster.c isValidAuxChar),
 * as unit/cluster/hostnames.tcl's "Test hostname validation" checks them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawConn, SKIP_NO_REDIS, hasRedis, startRedis, startTsdis } from '../helpers/servers.js';

test(
  'CONFIG SET cluster-announce-hostname: length and characters checked as redis-server does',
  { skip: hasRedis() ? false : SKIP_NO_REDIS },
  async () => {
    const t = await startTsdis();
    const r = await startRedis();
    const a = await RawConn.connect(t.port);
    const b = await RawConn.connect(r.port);
    try {
      for (const v of [
        'x'.repeat(256),
        'x'.repeat(255),
        '?.com',
        'a_b',
        'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.',
        'host-1.com',
        '',
      ]) {
        const args = ['CONFIG', 'SET', 'cluster-announce-hostname', v];
        assert.equal(await a.call(...args), await b.call(...args), v);
        assert.equal(
          await a.call('CONFIG', 'GET', 'cluster-announce-hostname'),
          await b.call('CONFIG', 'GET', 'cluster-announce-hostname'),
        );
      }
      assert.equal(
        await a.call('CONFIG', 'SET', 'cluster-announce-hostname', 'x'.repeat(256)),
        "-ERR CONFIG SET failed (possibly related to argument 'cluster-announce-hostname') - Hostnames must be less than 256 characters\r\n",
      );
    } finally {
      a.close();
      b.close();
      await t.close();
      await r.stop();
    }
  },
);

test('CONFIG SET cluster-announce-human-nodename refuses the characters 7.2 refuses in aux fields', async () => {
  const t = await startTsdis();
  const a = await RawConn.connect(t.port);
  try {
    for (const bad of ['a!b', 'x#', '$', 'a b:c', '[x]', 'a{b}', 'x~', 'p|q', 'a@b']) {
      assert.equal(
        await a.call('CONFIG', 'SET', 'cluster-announce-human-nodename', bad),
        "-ERR CONFIG SET failed (possibly related to argument 'cluster-announce-human-nodename') - Announced human node name contained invalid character\r\n",
        bad,
      );
    }
    for (const good of ['node-1', 'a.b_c', 'x/y', "it's", 'a=b', '']) {
      assert.equal(await a.call('CONFIG', 'SET', 'cluster-announce-human-nodename', good), '+OK\r\n', good);
    }
  } finally {
    a.close();
    await t.close();
  }
});
