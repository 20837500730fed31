/**
 * Expiry on replicas, compared with a redis-server replica of the same
 * redis-server primary (whose active expiry is off, so it sends no DELs):
 *
 * - a writable replica (replica-read-only no) expires the keys its own
 *   clients gave a TTL (Redis's expireSlaveKeys): remembered by name and
 *   database when the TTL is set (SET PX, PEXPIRE, RENAME keeping one),
 *   counted in INFO stats slave_expires_tracked_keys, deleted by its cron;
 *   the keys with a TTL from the primary stay stored (read as missing)
 *   until the primary's DEL, but a name the replica remembered is expired
 *   whatever wrote it last (Redis's best effort), and forgotten once it has
 *   no TTL; FLUSHALL forgets them all, FLUSHDB does not; promoted, the
 *   count stays and the primary's cycle expires everything;
 * - DEL on a writable replica deletes a key whose TTL passed, and counts it;
 * - an RDB loaded by a replica (at start with replicaof, or DEBUG RELOAD)
 *   keeps the keys whose TTL passed (Redis's iAmMaster() test in the
 *   loader); a primary's load drops them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, hasRedis, RawConn, SKIP_NO_REDIS, startRedis, startTsdis } from '../helpers/servers.js';
import { until } from '../helpers/wait.js';
import { info, linkUp } from './kit.js';

const skip = hasRedis() ? false : SKIP_NO_REDIS;

/** Sends `cmd` to both replicas; asserts equal replies and returns tsdis's. */
async function same(t: RawConn, r: RawConn, ...cmd: string[]): Promise<string> {
  const [a, b] = await Promise.all([t.call(...cmd), r.call(...cmd)]);
  assert.equal(a, b, JSON.stringify(cmd));
  return a;
}

/** INFO stats slave_expires_tracked_keys. */
async function tracked(c: RawConn): Promise<string | undefined> {
  return (await info(c, 'stats')).get('slave_expires_tracked_keys');
}

/** Waits until `c` reports `want` for `read` (each replica converges at its own pace). */
async function settle(c: RawConn, read: (c: RawConn) => Promise<string | undefined>, want: string, what: string) {
  await until(what, async () => (await read(c)) === want, { timeout: 10_000 });
}

/** DBSIZE of database `db` (the connection is left in database 0). */
async function dbsize(c: RawConn, db = 0): Promise<string> {
  await c.call('SELECT', String(db));
  const n = await c.call('DBSIZE');
  await c.call('SELECT', '0');
  return n.slice(1, -2);
}

test(
  'a writable replica expires the keys its own clients gave a TTL, not those from its primary (as redis-server)',
  { skip, timeout: 60_000 },
  async () => {
    const p = await startRedis(['--enable-debug-command', 'yes']);
    const pc = await RawConn.connect(p.port);
    assert.equal(await pc.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0'), '+OK\r\n');
    const rs = await startRedis(['--replicaof', '127.0.0.1', String(p.port), '--replica-read-only', 'no']);
    const ts = await startTsdis({ config: { replicaof: `127.0.0.1 ${p.port}`, 'replica-read-only': 'no' } });
    const r = await RawConn.connect(rs.port);
    const t = await RawConn.connect(ts.port);
    const both = [t, r];
    try {
      for (const c of both) await linkUp(c);
      // from the primary: p1 soon past its TTL (no DEL will come), p2 long-lived
      await pc.call('SET', 'p1', 'v', 'PX', '100');
      await pc.call('SET', 'p2', 'v', 'EX', '1000');
      for (const c of both) await settle(c, (x) => dbsize(x), '2', 'the primary keys');
      // the replicas' own keys, set and counted in one transaction: no cron runs in between to
      // forget tmp (renamed away) or expire a short TTL on a loaded machine
      await same(t, r, 'MULTI');
      await same(t, r, 'SET', 'own1', 'v', 'PX', '2000');
      await same(t, r, 'SET', 'own2', 'v');
      await same(t, r, 'PEXPIRE', 'own2', '2000');
      await same(t, r, 'SET', 'own3', 'v', 'EX', '1000');
      await same(t, r, 'SET', 'tmp', 'v', 'PX', '2000');
      await same(t, r, 'RENAME', 'tmp', 'own4');
      await same(t, r, 'SELECT', '1');
      await same(t, r, 'SET', 'own5', 'v', 'PX', '2000');
      await same(t, r, 'SELECT', '0');
      await same(t, r, 'INFO', 'stats');
      for (const c of both) assert.match(await c.call('EXEC'), /slave_expires_tracked_keys:6\r\n/); // tmp's name too
      // the cron deletes own1, own2, own4 and own5; p1 stays stored (read as missing)
      for (const c of both) await settle(c, (x) => dbsize(x), '3', 'the own keys to expire');
      for (const c of both) await settle(c, (x) => dbsize(x, 1), '0', 'own5 to expire');
      for (const c of both) await settle(c, tracked, '1', 'only own3 tracked');
      assert.equal((await info(t, 'stats')).get('expired_keys'), (await info(r, 'stats')).get('expired_keys'));
      await same(t, r, 'EXISTS', 'p1', 'p2', 'own3');
      await same(t, r, 'DBSIZE');
      // DEL on a writable replica: the logically expired p1 is deleted and counted
      await same(t, r, 'DEL', 'p1');
      await same(t, r, 'DBSIZE');

      // names, not keys: the primary overwrites k (no TTL) and k2 (a short TTL)
      await same(t, r, 'SET', 'k', 'mine', 'EX', '1000');
      await same(t, r, 'SET', 'k2', 'mine', 'EX', '1000');
      await pc.call('SET', 'k', 'theirs');
      await pc.call('SET', 'k2', 'theirs', 'PX', '200');
      // k2 (theirs, now past its TTL) expired by the replica, k (no TTL) forgotten
      for (const c of both) await settle(c, tracked, '1', 'k and k2 no longer tracked');
      for (const c of both) await settle(c, (x) => dbsize(x), '3', 'k2 deleted by the replica');
      await same(t, r, 'MGET', 'k', 'k2', 'own3');
      assert.equal(await pc.call('DBSIZE'), ':4\r\n'); // the primary still holds p1 and k2

      // FLUSHDB keeps the remembered names, FLUSHALL forgets them: each from the primary, in a
      // transaction with a write of a remembered name (so no cron runs in between)
      const primaryTx = async (...cmds: string[][]) => {
        await pc.call('MULTI');
        for (const c of cmds) await pc.call(...c);
        await pc.call('EXEC');
      };
      await same(t, r, 'SET', 'fd', 'mine', 'EX', '1000');
      await primaryTx(['FLUSHDB'], ['SET', 'fd', 'theirs', 'PX', '100']);
      for (const c of both) await settle(c, (x) => dbsize(x), '0', 'fd (still remembered) expired by the replica');
      await same(t, r, 'SET', 'fa', 'mine', 'EX', '1000');
      await primaryTx(['FLUSHALL'], ['SET', 'fa', 'theirs', 'PX', '100']);
      await new Promise((res) => setTimeout(res, 500));
      assert.equal(await same(t, r, 'DBSIZE'), ':1\r\n'); // fa forgotten: stored until the primary's DEL
      await same(t, r, 'EXISTS', 'fa');
      for (const c of both) await settle(c, tracked, '0', 'nothing tracked');

      // promoted: the count stays, and the primary's cycle expires every key
      await pc.call('SET', 'y', 'v', 'PX', '100');
      for (const c of both) await settle(c, (x) => dbsize(x), '2', 'y from the primary');
      await same(t, r, 'SET', 'z', 'v', 'EX', '1000');
      await same(t, r, 'REPLICAOF', 'NO', 'ONE');
      assert.equal(await tracked(t), '1');
      assert.equal(await tracked(r), '1');
      for (const c of both) await settle(c, (x) => dbsize(x), '1', 'fa and y expired by the primary cycle');
    } finally {
      pc.close();
      r.close();
      t.close();
      await ts.close();
      await rs.stop();
      await p.stop();
    }
  },
);

test(
  "an RDB loaded by a replica keeps the keys whose TTL passed, at start and on DEBUG RELOAD; a primary's drops them (as redis-server)",
  { skip, timeout: 60_000 },
  async () => {
    // the image: `gone` with a TTL that passes once saved, `kept` without one
    const src = await startTsdis();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-replica-rdb-'));
    try {
      await src.call('SET', 'gone', 'v', 'PX', '300');
      await src.call('SET', 'kept', 'v');
      await src.call('SAVE');
      fs.copyFileSync(
        path.join(src.server.config.v['dir'], src.server.config.v['dbfilename']),
        path.join(dir, 'base.rdb'),
      );
    } finally {
      await src.close();
    }
    await new Promise((res) => setTimeout(res, 400));
    const nobody = await freePort(); // a primary that is not there: the link stays down
    for (const replica of [true, false]) {
      const tdir = fs.mkdtempSync(path.join(dir, 't-'));
      const rdir = fs.mkdtempSync(path.join(dir, 'r-'));
      fs.copyFileSync(path.join(dir, 'base.rdb'), path.join(tdir, 'dump.rdb'));
      fs.copyFileSync(path.join(dir, 'base.rdb'), path.join(rdir, 'dump.rdb'));
      const follow: Record<string, string> = replica ? { replicaof: `127.0.0.1 ${nobody}` } : {};
      const log: string[] = [];
      const ts = await startTsdis({
        config: { dir: tdir, 'enable-debug-command': 'yes', ...follow },
        log: (l) => log.push(l),
      });
      const rs = await startRedis([
        '--dir',
        rdir,
        '--enable-debug-command',
        'yes',
        ...(replica ? ['--replicaof', '127.0.0.1', String(nobody)] : []),
      ]);
      const t = await RawConn.connect(ts.port);
      const r = await RawConn.connect(rs.port);
      try {
        assert.equal(await same(t, r, 'DBSIZE'), replica ? ':2\r\n' : ':1\r\n');
        await same(t, r, 'EXISTS', 'gone', 'kept');
        const done = replica
          ? 'Done loading RDB, keys loaded: 2, keys expired: 0.'
          : 'Done loading RDB, keys loaded: 1, keys expired: 1.';
        assert.ok(
          log.some((l) => l.endsWith(done)),
          log.join('\n'),
        );
        if (replica) {
          // DEBUG RELOAD saves and loads again: still kept
          await same(t, r, 'DEBUG', 'RELOAD');
          await same(t, r, 'DBSIZE');
        }
      } finally {
        t.close();
        r.close();
        await ts.close();
        await rs.stop();
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  },
);
