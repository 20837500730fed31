/**
 * Limits held against any client, each exceeded on purpose with
 * redis-server 7.0.15 beside tsdis (where 7.0 and 7.2 agree):
 *
 * - the protocol desync rule (Redis's unit/protocol "Protocol desync
 *   regression test"): a peer that keeps writing after its protocol error
 *   gets a reset, because the connection is closed for good once the error
 *   is out, not half-closed;
 * - `timeout` closes idle clients but not subscribers, blocked clients or
 *   monitors (Redis's clientsCronHandleTimeout); a client idle inside MULTI
 *   is closed;
 * - `tcp-keepalive` arms the kernel's keepalive timer of each accepted
 *   socket with the configured idle time (read back with `ss -o`);
 * - `client-query-buffer-limit` closes the client with Redis's log line
 *   (its client info string and the first 64 bytes of its query buffer).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { hasRedis, startRedis, startTsdis, RawConn, SKIP_NO_REDIS, type RedisProcess } from '../helpers/servers.js';
import { startChild } from '../helpers/child.js';
import { encode } from '../helpers/resp.js';

const skipRedis = hasRedis() ? false : SKIP_NO_REDIS;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Writes `seq`, then 1 KB lines of 'A' until a write fails with a reset
 * (EPIPE / ECONNRESET) or `ms` pass. The client keeps its side open after
 * the server's FIN (allowHalfOpen), so only the server's close ends it.
 * Returns the error code ('' when none came) and the bytes written.
 */
function writeUntilReset(
  port: number,
  seq: string,
  ms = 10000,
): Promise<{ code: string; written: number; got: string }> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let written = 0;
    let got = '';
    let done = false;
    const finish = (code: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ code, written, got });
    };
    const timer = setTimeout(() => finish(''), ms);
    s.on('data', (d: Buffer) => void (got += d.latin1Slice(0, Math.min(d.length, 200))));
    s.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? 'error'));
    s.on('close', () => finish('closed'));
    const line = Buffer.from('A'.repeat(1024) + '\n', 'latin1');
    const pump = () => {
      while (!done && !s.destroyed) {
        written += line.length;
        if (!s.write(line)) return;
      }
    };
    s.on('drain', () => setTimeout(pump, 1));
    s.on('connect', () => {
      s.write(Buffer.from(seq, 'latin1'));
      written += seq.length;
      // (a few ms between writes, as the Tcl test's loop does)
      const tick = () => {
        if (done) return;
        pump();
        setTimeout(tick, 2);
      };
      tick();
    });
  });
}

test(
  'protocol desync: a peer that keeps writing after its error gets a reset, as from redis-server',
  { skip: skipRedis },
  async () => {
    const t = await startTsdis();
    const r = await startRedis();
    try {
      // NUL stops Redis's line search: the inline or count line never ends, and passes 64 KB
      for (const seq of ['\x00', '*\x00', '$\x00']) {
        const [a, b] = await Promise.all([writeUntilReset(t.port, seq), writeUntilReset(r.port, seq)]);
        for (const [x, who] of [
          [a, 'tsdis'],
          [b, 'redis'],
        ] as const) {
          // before: tsdis half-closed the connection and read on, so the writer never saw an error
          assert.ok(
            x.code === 'EPIPE' || x.code === 'ECONNRESET',
            `${who} ${JSON.stringify(seq)}: ${x.code || 'no reset'} after ${x.written} bytes`,
          );
          assert.ok(x.written < 8 * 1024 * 1024, `${who}: ${x.written} bytes written before the reset`);
          // (the error reply is written first, but a reset may discard it before the peer reads it)
          assert.match(x.got, /^(-ERR Protocol error: too big (inline request|mbulk count string)\r\n)?$/, who);
        }
      }
    } finally {
      await t.close();
      await r.stop();
    }
  },
);

/** Opens a connection and sends `cmds` (not waiting for replies). */
async function open(port: number, ...cmds: string[][]): Promise<RawConn> {
  const c = await RawConn.connect(port);
  for (const cmd of cmds) c.write(encode(cmd));
  return c;
}

test(
  'timeout: idle and mid-MULTI clients are closed; subscribers, blocked clients and monitors are not (as redis-server)',
  { skip: skipRedis },
  async () => {
    const t = await startTsdis({ config: { timeout: 1 } });
    const r = await startRedis(['--timeout', '1']);
    try {
      const kinds = {
        idle: [['PING']],
        multi: [['MULTI'], ['SET', 'k', 'v']],
        subscriber: [['SUBSCRIBE', 'ch']],
        psubscriber: [['PSUBSCRIBE', 'p*']],
        blocked: [['BLPOP', 'nokey', '0']],
        monitor: [['MONITOR']],
      };
      const closed: Record<string, string[]> = {};
      await Promise.all(
        [t.port, r.port].map(async (port) => {
          const conns = await Promise.all(Object.values(kinds).map((cmds) => open(port, ...cmds)));
          // Redis counts whole seconds (idle > 1 s by the unix time): 1 to 3 s
          await sleep(3500);
          closed[port === t.port ? 'tsdis' : 'redis'] = Object.keys(kinds).filter((_, i) => conns[i]!.closed);
          for (const c of conns) c.close();
        }),
      );
      assert.deepEqual(closed['tsdis'], ['idle', 'multi']);
      assert.deepEqual(closed['tsdis'], closed['redis']);
    } finally {
      await t.close();
      await r.stop();
    }
  },
);

const hasSs = spawnSync('ss', ['-V']).status === 0;

/** The keepalive timer's remaining seconds of the server's end of each established connection on `port` (ss -o). */
function keepaliveTimers(port: number): (number | null)[] {
  const out = spawnSync('ss', ['-tnoH', 'state', 'established', `( sport = :${port} )`], { encoding: 'utf8' }).stdout;
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      // timer:(keepalive,6.244ms,0) is 6.244 s; 1min59sec, 59sec are also printed
      const m = /timer:\(keepalive,(?:(\d+)min)?(?:([\d.]+)(?:sec|ms|s))?/.exec(l);
      if (!m) return null;
      return Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0);
    });
}

test(
  'tcp-keepalive: the kernel keepalive timer of accepted sockets runs with the configured idle time, as in redis-server',
  { skip: hasSs && hasRedis() ? false : 'needs ss and redis-server' },
  async () => {
    for (const ka of [7, 0]) {
      const t = await startTsdis({ config: { 'tcp-keepalive': ka } });
      const r: RedisProcess = await startRedis(['--tcp-keepalive', String(ka)]);
      try {
        const timers: Record<string, (number | null)[]> = {};
        for (const [port, who] of [
          [t.port, 'tsdis'],
          [r.port, 'redis'],
        ] as const) {
          const c = await RawConn.connect(port);
          assert.equal(await c.call('PING'), '+PONG\r\n');
          await sleep(200);
          timers[who] = keepaliveTimers(port);
          c.close();
        }
        for (const who of ['tsdis', 'redis']) {
          const got = timers[who]!;
          assert.equal(got.length, 1, `${who}: one connection (${JSON.stringify(got)})`);
          if (ka === 0) assert.equal(got[0], null, `${who}: no keepalive timer with tcp-keepalive 0`);
          else assert.ok(got[0] !== null && got[0]! > ka - 2 && got[0]! <= ka, `${who}: keepalive in ${got[0]} s`);
        }
      } finally {
        await t.close();
        await r.stop();
      }
    }
  },
);

/** Lines of a log that mention the query buffer limit, with each client-info field's value blanked. */
function qbufLines(log: string): string[] {
  return log
    .split('\n')
    .filter((l) => l.includes('Closing client that reached max query buffer length'))
    .map((l) =>
      l
        .slice(l.indexOf('Closing'))
        .replace(/(\b[a-z-]+)=\S*/g, '$1=_')
        // the fields Redis 7.2 added to the client info string (redis-server here is 7.0)
        .replace(' lib-name=_ lib-ver=_', ''),
    );
}

test(
  "client-query-buffer-limit: the client is closed with Redis's log line (client info, the buffer's first bytes)",
  { skip: skipRedis },
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-qbuf-'));
    const t = await startChild(['--client-query-buffer-limit', '1mb', '--save', ''], dir);
    const logfile = path.join(dir, 'redis.log');
    const r = await startRedis(['--client-query-buffer-limit', '1mb', '--logfile', logfile]);
    try {
      for (const port of [t.port, r.port]) {
        const c = await RawConn.connect(port);
        c.write(`*2\r\n$4\r\nECHO\r\n$2000000\r\n`);
        await sleep(50);
        for (let i = 0; i < 3; i++) c.write(Buffer.alloc(512 * 1024, 0x61));
        assert.equal(await c.readUntilClose(), '', 'closed without a reply');
      }
      await sleep(200);
      const ours = qbufLines(t.output());
      const theirs = qbufLines(fs.readFileSync(logfile, 'latin1'));
      assert.equal(ours.length, 1, t.output().slice(-2000));
      assert.equal(theirs.length, 1);
      assert.match(ours[0]!, /\(qbuf initial bytes: "a{64}"\)$/);
      assert.match(t.output(), / lib-name= lib-ver= \(qbuf initial bytes/);
      assert.equal(ours[0], theirs[0]);
    } finally {
      await t.kill();
      await r.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
