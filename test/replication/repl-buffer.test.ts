/**
 * The shared replication buffer as Redis 7 keeps it (replication/backlog.ts),
 * each scenario run on a redis-server primary and on a tsdis one, with raw
 * connections playing the replicas, and the same outcome asserted on both:
 *
 * - a replica still waiting for its image keeps the stream from its offset
 *   alive, so the backlog outgrows repl-backlog-size (repl_backlog_histlen,
 *   mem_total_replication_buffers, the excess as mem_clients_slaves), a
 *   replica reconnecting meanwhile continues from it (+CONTINUE), and once
 *   the slow replica is gone the buffer shrinks back to about the backlog's size;
 * - a replica's output limit counts the shared blocks it references, before
 *   anything is written to it: one SET bigger than the limit drops even a
 *   replica that reads everything, unless repl-backlog-size is larger than
 *   the hard limit (which is then the backlog's size).
 *
 * (Redis's own integration/replication-buffer checks the same with real
 * replicas; the figures here differ from Redis's only by block overheads.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasRedis, RawConn, SKIP_NO_REDIS, startRedis } from '../helpers/servers.js';
import { until } from '../helpers/wait.js';
import { bulkText, infoField, startPrimary } from './kit.js';

const skip = hasRedis() ? false : SKIP_NO_REDIS;

/** A primary of either kind: its port and how to stop it. */
interface Primary {
  kind: string;
  port: number;
  stop(): Promise<void>;
}

/** Runs `body` on a redis-server primary, then on a tsdis one, with the same `config`; stops both whatever happens. */
async function onEach(config: Record<string, string>, body: (srv: Primary) => Promise<void>): Promise<void> {
  const flags = Object.entries({ 'repl-diskless-sync-delay': '0', save: '', ...config }).flatMap(([k, v]) => [
    `--${k}`,
    v,
  ]);
  const r = await startRedis(flags);
  try {
    const t = await startPrimary({ save: '', ...config });
    try {
      await body({ kind: 'redis', port: r.port, stop: () => r.stop() });
      await body({ kind: 'tsdis', port: t.port, stop: () => t.close() });
    } finally {
      await t.close();
    }
  } finally {
    await r.stop();
  }
}

/** INFO fields of `section` as numbers (NaN when absent). */
async function info(c: RawConn, section: string, ...names: string[]): Promise<Record<string, number>> {
  const text = bulkText(await c.call('INFO', section));
  const out: Record<string, number> = {};
  for (const n of names) out[n] = Number(infoField(text, n));
  return out;
}

/** A raw replica: REPLCONF capa eof psync2, then `PSYNC replid offset`. */
async function psync(port: number, replid: string, offset: string): Promise<RawConn> {
  const c = await RawConn.connect(port);
  assert.equal(await c.call('REPLCONF', 'capa', 'eof', 'capa', 'psync2'), '+OK\r\n');
  c.write(`*3\r\n$5\r\nPSYNC\r\n$${replid.length}\r\n${replid}\r\n$${offset.length}\r\n${offset}\r\n`);
  return c;
}

/** Writes `n` SETs of `size`-byte values in one pipeline and waits for the replies. */
async function fill(p: RawConn, n: number, size: number, prefix: string): Promise<void> {
  const v = 'v'.repeat(size);
  let req = '';
  for (let i = 0; i < n; i++) {
    const k = `${prefix}${i}`;
    req += `*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$${size}\r\n${v}\r\n`;
  }
  p.write(req);
  await until(`${n} replies`, () => p.pending().length >= n * 5);
  assert.equal(p.take(), '+OK\r\n'.repeat(n));
}

test(
  'a replica waiting for its image keeps the stream past repl-backlog-size; a reconnecting replica continues from it; gone, the buffer shrinks',
  { skip, timeout: 120_000 },
  async () => {
    const seen: Record<string, Record<string, number>> = {};
    await onEach({ 'repl-backlog-size': '16384', 'client-output-buffer-limit': 'replica 0 0 0' }, async (srv) => {
      const p = await RawConn.connect(srv.port);
      const slow: RawConn[] = [];
      try {
        assert.equal(await p.call('SET', 'k', 'v'), '+OK\r\n');
        // a first replica, fully synced and online: the backlog exists, and its reference follows the tail
        const online = await psync(srv.port, '?', '-1');
        await until(`${srv.kind}: the first image`, () => /\$EOF:([0-9a-f]{40})\r\n[^]*\1/.test(online.pending()));
        const [, replid] = /^\+FULLRESYNC ([0-9a-f]{40}) \d+/.exec(online.take())!;
        online.write('*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$1\r\n0\r\n');
        // a second one whose image never ends (a second per key): the stream from its offset waits for it
        assert.equal(await p.call('CONFIG', 'SET', 'rdb-key-save-delay', '1000000'), '+OK\r\n');
        const waiting = await psync(srv.port, '?', '-1');
        slow.push(waiting);
        await until(`${srv.kind}: the second image started`, () => waiting.pending().includes('$EOF:'));
        const before = await info(p, 'replication', 'master_repl_offset');
        const from = String(before.master_repl_offset! + 1);
        await fill(p, 200, 10_000, 'a');
        const grown = {
          ...(await info(p, 'replication', 'repl_backlog_histlen', 'master_repl_offset')),
          ...(await info(
            p,
            'memory',
            'mem_total_replication_buffers',
            'mem_replication_backlog',
            'mem_clients_slaves',
          )),
        };
        seen[srv.kind] = grown;
        assert.ok(
          grown.repl_backlog_histlen! > 2_000_000,
          `${srv.kind}: the backlog outgrew its size: ${JSON.stringify(grown)}`,
        );
        assert.ok(grown.mem_total_replication_buffers! >= grown.repl_backlog_histlen!, srv.kind);
        // the part beyond repl-backlog-size is the replicas' (Redis adds its block index to the backlog's)
        assert.ok(grown.mem_replication_backlog! >= 16384 && grown.mem_replication_backlog! < 16384 + 4096, srv.kind);
        assert.ok(
          Math.abs(grown.mem_replication_backlog! + grown.mem_clients_slaves! - grown.mem_total_replication_buffers!) <
            4096,
          srv.kind,
        );
        // a replica that was away continues from what the slow one keeps (beyond repl-backlog-size)
        online.close();
        const back = await psync(srv.port, replid!, from);
        await until(`${srv.kind}: +CONTINUE`, () => back.pending().length >= 2_000_000);
        assert.ok(back.pending().startsWith(`+CONTINUE ${replid}\r\n`), srv.kind);
        back.close();
        assert.equal((await info(p, 'stats', 'sync_partial_ok')).sync_partial_ok, 1, srv.kind);
        // the slow replica gone: the blocks only it kept are freed (a few at a time)
        waiting.close();
        const shrunk = await until(`${srv.kind}: the buffer shrinks`, async () => {
          const m = {
            ...(await info(p, 'memory', 'mem_total_replication_buffers', 'mem_clients_slaves')),
            ...(await info(p, 'replication', 'repl_backlog_histlen', 'connected_slaves')),
          };
          return m.connected_slaves === 0 && m.mem_total_replication_buffers! < 100_000 ? m : null;
        });
        assert.ok(shrunk.repl_backlog_histlen! >= 16384 && shrunk.repl_backlog_histlen! < 16384 + 20480, srv.kind);
        assert.equal(shrunk.mem_clients_slaves, 0, srv.kind);
      } finally {
        for (const c of slow) c.close();
        p.close();
      }
    });
    // the same memory for the same stream, within block overheads
    const ratio = seen.tsdis!.mem_total_replication_buffers! / seen.redis!.mem_total_replication_buffers!;
    assert.ok(ratio > 0.8 && ratio < 1.25, `mem_total_replication_buffers tsdis/redis ${ratio}`);
  },
);

test(
  'a replica is dropped when one SET makes the shared blocks it references exceed its hard limit, even reading everything; not when repl-backlog-size is larger',
  { skip, timeout: 120_000 },
  async () => {
    for (const backlog of ['16384', '1048576']) {
      await onEach(
        { 'repl-backlog-size': backlog, 'client-output-buffer-limit': 'replica 262144 0 0' },
        async (srv) => {
          const p = await RawConn.connect(srv.port);
          const r = await psync(srv.port, '?', '-1');
          try {
            await until(`${srv.kind}: the image`, () => /\$EOF:([0-9a-f]{40})\r\n[^]*\1/.test(r.pending()));
            r.take();
            assert.equal(await p.call('SET', 'small', 'x'), '+OK\r\n');
            // (the stream starts at an ACK after the primary saw the image end: ACK as a replica does, until it flows)
            await until(
              `${srv.kind}: the stream flows`,
              () => {
                r.write('*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$1\r\n0\r\n');
                return r.pending().includes('small');
              },
              { every: 50 },
            );
            assert.equal(await p.call('SET', 'big', 'x'.repeat(300_000)), '+OK\r\n');
            assert.equal(await p.call('SET', 'after', 'x'), '+OK\r\n');
            const what = `${srv.kind}, repl-backlog-size ${backlog}`;
            if (backlog === '16384') {
              await until(
                `${what}: the replica dropped`,
                async () => (await info(p, 'replication', 'connected_slaves')).connected_slaves === 0,
              );
              await r.readUntilClose();
            } else {
              await until(`${what}: the stream after the big SET`, () => r.pending().includes('after'));
              const st = await info(p, 'replication', 'connected_slaves');
              assert.equal(st.connected_slaves, 1, what);
            }
          } finally {
            r.close();
            p.close();
          }
        },
      );
    }
  },
);
