/**
 * How commands replay (AOF, replicas), as Redis 7.2 rewrites them: LMPOP,
 * BLMPOP, ZMPOP and BZMPOP as LPOP/RPOP/ZPOPMIN/ZPOPMAX with the count
 * they popped (not the count asked for), BLMOVE as LMOVE with the
 * client's own LEFT/RIGHT words, served at once or after blocking; SET
 * ... PXAT as it came; the keys a SCAN or RANDOMKEY finds expired as DELs
 * each on its own (Redis's TOUCHES_ARBITRARY_KEYS), not as a MULTI/EXEC.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { createServer } from '../helpers/servers.js';
import { readCommands } from '../../src/persistence/aof.js';
import { incrFile } from '../helpers/aof.js';
import { until } from '../helpers/wait.js';

type Srv = Awaited<ReturnType<typeof createServer>>;

/**
 * Runs `body` against a server writing an AOF (no RDB preamble), in a
 * directory of its own, removed after; `written()` sets a last key and
 * returns the AOF's commands once that key is in the file.
 */
async function withAof(
  extra: Record<string, string>,
  body: (srv: Srv, written: () => Promise<string[][]>) => Promise<void>,
): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-replay-'));
  const srv = await createServer({ config: { dir, appendonly: 'yes', 'aof-use-rdb-preamble': 'no', ...extra } });
  const written = async (): Promise<string[][]> => {
    await srv.call('SET', 'last', '1');
    await until('the AOF written', () => fs.readFileSync(incrFile(dir), 'latin1').includes('last'));
    return readCommands(fs.readFileSync(incrFile(dir))).commands;
  };
  try {
    await body(srv, written);
  } finally {
    await srv.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('MPOPs replay with the count popped, BLMOVE with its own direction words', async () => {
  await withAof({}, async (srv, written) => {
    const [c, c2, c3] = [new Redis(srv.port), new Redis(srv.port), new Redis(srv.port)];
    try {
      await srv.call('RPUSH', 'l', 'a', 'b', 'c');
      await srv.call('LMPOP', '1', 'l', 'LEFT', 'COUNT', '10');
      await srv.call('ZADD', 'z', '1', 'a', '2', 'b');
      await srv.call('ZMPOP', '1', 'z', 'MIN', 'COUNT', '5');
      await srv.call('RPUSH', 'l2', 'x', 'y');
      await srv.call('BLMPOP', '0', '1', 'l2', 'RIGHT', 'COUNT', '9');
      await srv.call('ZADD', 'z2', '1', 'a', '2', 'b', '3', 'c');
      await srv.call('BZMPOP', '0', '1', 'z2', 'MAX', 'COUNT', '2');
      await srv.call('RPUSH', 's', '1');
      await srv.call('BLMOVE', 's', 'd', 'left', 'RIGHT', '0');
      // served after blocking
      const waits = [
        c.call('BLMOVE', 's2', 'd2', 'Right', 'lEft', '0'),
        c2.call('BLMPOP', '0', '1', 'l3', 'LEFT', 'COUNT', '7'),
        c3.call('BZMPOP', '0', '1', 'z3', 'MIN', 'COUNT', '4'),
      ];
      await until('three clients blocked', async () =>
        /blocked_clients:3\r/.test(String(await srv.call('INFO', 'clients'))),
      );
      await srv.call('RPUSH', 's2', 'v');
      await srv.call('RPUSH', 'l3', 'p', 'q');
      await srv.call('ZADD', 'z3', '5', 'm');
      await Promise.all(waits);
      const ops = (await written()).filter((op) => !['SELECT', 'RPUSH', 'ZADD', 'SET'].includes(op[0]!.toUpperCase()));
      assert.deepEqual(ops, [
        ['LPOP', 'l', '3'],
        ['ZPOPMIN', 'z', '2'],
        ['RPOP', 'l2', '2'],
        ['ZPOPMAX', 'z2', '2'],
        ['LMOVE', 's', 'd', 'left', 'RIGHT'],
        ['LMOVE', 's2', 'd2', 'Right', 'lEft'],
        ['LPOP', 'l3', '2'],
        ['ZPOPMIN', 'z3', '1'],
      ]);
    } finally {
      for (const x of [c, c2, c3]) x.disconnect();
    }
  });
});

test('SET ... PXAT replays as it came; keys SCAN and RANDOMKEY find expired replay as DELs without MULTI/EXEC', async () => {
  await withAof({ 'enable-debug-command': 'yes' }, async (srv, written) => {
    const at = String(Date.now() + 100_000);
    await srv.call('SET', 'p', 'v', 'pxat', at, 'GET');
    await srv.call('SET', 'e', 'v', 'EX', '100');
    await srv.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    for (const k of ['x1', 'x2', 'y1', 'y2']) await srv.call('SET', k, 'v', 'PX', '1');
    await new Promise((r) => setTimeout(r, 20));
    await srv.call('SCAN', '0', 'MATCH', 'x*', 'COUNT', '100');
    await srv.call('EVAL', "redis.call('SCAN', '0', 'MATCH', 'y*', 'COUNT', '100') return 1", '0');
    // RANDOMKEY in a db holding only expired keys deletes them all, one by one
    await srv.call('SELECT', '1');
    for (const k of ['z1', 'z2']) await srv.call('SET', k, 'v', 'PX', '1');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(await srv.call('RANDOMKEY'), null);
    const ops = (await written()).map((op) => op.join(' '));
    const i = ops.indexOf('SET p v pxat ' + at + ' GET');
    assert.ok(i >= 0, ops.join('\n'));
    assert.match(ops[i + 1]!, /^SET e v PXAT \d+$/);
    // the direct SCAN's two DELs go alone, RANDOMKEY's too; those of a script's SCAN come in its MULTI/EXEC
    const tail = ops.slice(ops.findIndex((o) => o.startsWith('SET y2')) + 1);
    const dels = tail.filter((o) => /^(DEL|UNLINK) x/.test(o));
    assert.equal(dels.length, 2, tail.join('\n'));
    const firstMulti = tail.indexOf('MULTI');
    assert.ok(firstMulti > tail.indexOf(dels[1]!), tail.join('\n'));
    const exec = tail.indexOf('EXEC');
    assert.equal(tail.slice(firstMulti, exec).filter((o) => /^(DEL|UNLINK) y/.test(o)).length, 2, tail.join('\n'));
    const zs = tail.slice(exec).filter((o) => /^(DEL|UNLINK) z/.test(o));
    assert.equal(zs.length, 2, tail.join('\n'));
    assert.ok(!tail.slice(exec + 1).includes('MULTI'), tail.join('\n'));
  });
});

test('RESTORE ... REPLACE with a TTL already past replays as DEL, or UNLINK under lazyfree-lazy-server-del', async () => {
  await withAof({}, async (srv, written) => {
    await srv.call('SET', 'k', 'v');
    const payload = (await srv.call('DUMP', 'k')) as Buffer | string;
    const past = String(Date.now() - 5000);
    await srv.call('SET', 'r1', 'x');
    await srv.call('SET', 'r2', 'x');
    await srv.call('CONFIG', 'SET', 'lazyfree-lazy-server-del', 'no');
    await srv.call('RESTORE', 'r1', past, payload, 'REPLACE', 'ABSTTL');
    await srv.call('CONFIG', 'SET', 'lazyfree-lazy-server-del', 'yes');
    await srv.call('RESTORE', 'r2', past, payload, 'REPLACE', 'ABSTTL');
    assert.equal(await srv.call('EXISTS', 'r1', 'r2'), 0);
    const ops = (await written()).map((op) => op.join(' '));
    const i = ops.indexOf('SET r2 x');
    assert.deepEqual(ops.slice(i + 1, i + 3), ['DEL r1', 'UNLINK r2'], ops.join('\n'));
  });
});

test('stream group reads and claims replay as Redis 7.2 propagates them: CREATECONSUMER and SETID under NOACK only', async () => {
  await withAof({}, async (srv, written) => {
    const id = String(await srv.call('XADD', 's', '*', 'f', 'v'));
    await srv.call('XADD', 's', '*', 'f', 'w');
    await srv.call('XGROUP', 'CREATE', 's', 'g', '0');
    await srv.call('XREADGROUP', 'GROUP', 'g', 'reader', 'COUNT', '1', 'STREAMS', 's', '>');
    await srv.call('XCLAIM', 's', 'g', 'claimer', '0', id);
    await srv.call('XREADGROUP', 'GROUP', 'g', 'quiet', 'NOACK', 'STREAMS', 's', '>');
    const ops = (await written()).map((op) => op.join(' '));
    const created = ops.filter((o) => o.startsWith('XGROUP CREATECONSUMER'));
    assert.deepEqual(created, ['XGROUP CREATECONSUMER s g quiet'], ops.join('\n'));
    assert.ok(ops.some((o) => o.startsWith(`XCLAIM s g reader 0 ${id} `)));
    assert.ok(ops.some((o) => o.startsWith(`XCLAIM s g claimer 0 ${id} `)));
    const setids = ops.filter((o) => o.startsWith('XGROUP SETID'));
    assert.equal(setids.length, 1, ops.join('\n'));
    assert.match(setids[0]!, /^XGROUP SETID s g \d+-\d+ ENTRIESREAD 2$/);
    assert.ok(ops.indexOf(setids[0]!) > ops.indexOf(created[0]!));
  });
});
