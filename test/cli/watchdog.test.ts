/**
 * Redis's software watchdog (watchdog-period; server/watchdog.ts): a
 * serverCron late by the period (DEBUG SLEEP blocks the event loop) puts
 * `--- WATCHDOG TIMER EXPIRED ---` in the log while the server is still
 * blocked, once per stall; a period below two cron periods is raised to
 * 200 ms at hz 10; period 0 logs nothing. The same sequence runs against
 * redis-server, whose log has the same lines (and its stack trace, which
 * tsdis cannot give: its line says so).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startChild, type Child } from '../helpers/child.js';
import { RawConn, hasRedis, startRedis, startTsdis, SKIP_NO_REDIS, type RedisProcess } from '../helpers/servers.js';
import { encode } from '../helpers/resp.js';
import { sleep, until } from '../helpers/wait.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-watchdog-'));
const stops: (() => Promise<void>)[] = [];
after(async () => {
  for (const s of stops) await s();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const EXPIRED = '--- WATCHDOG TIMER EXPIRED ---';
/** Redis's watchdog header: serverLogFromHandler's prefix, then its message, which starts with a newline. */
const HEADER = /^\d+:signal-handler \(\d+\) \n--- WATCHDOG TIMER EXPIRED ---\n/m;

const count = (log: string) => log.split(EXPIRED).length - 1;

/** A server of either kind with a log file and DEBUG allowed. */
async function server(kind: 'tsdis' | 'redis'): Promise<{ port: number; log: () => string }> {
  const logfile = path.join(tmp, `${kind}-${Date.now()}.log`);
  const args = ['--enable-debug-command', 'yes', '--logfile', logfile];
  let port: number;
  if (kind === 'tsdis') {
    const c: Child = await startChild(args, tmp);
    stops.push(() => c.kill());
    port = c.port;
  } else {
    const r: RedisProcess = await startRedis(args);
    stops.push(() => r.stop());
    port = r.port;
  }
  return { port, log: () => (fs.existsSync(logfile) ? fs.readFileSync(logfile, 'latin1') : '') };
}

/**
 * DEBUG SLEEP `secs` on a connection of its own: resolves once the watchdog
 * line is in the log and the sleep replied. `whileBlocked`: the reply must
 * not have come when the line is there (tsdis: written by another thread
 * while the server sleeps; redis-server's SIGALRM cuts its nanosleep short,
 * so there the reply follows the line at once).
 */
async function expiresDuringSleep(port: number, log: () => string, secs: number, whileBlocked = true): Promise<void> {
  const before = count(log());
  const sock = net.connect(port, '127.0.0.1');
  let replied = '';
  sock.on('data', (d: Buffer) => (replied += d.toString('latin1')));
  await new Promise((r) => sock.once('connect', r));
  sock.write(encode(['DEBUG', 'SLEEP', String(secs)]));
  try {
    await until(`${EXPIRED} in the log`, () => count(log()) > before, { timeout: secs * 1000 + 10_000 });
    if (whileBlocked) assert.equal(replied, '', 'the watchdog line came before DEBUG SLEEP replied');
    await until('DEBUG SLEEP replied', () => replied === '+OK\r\n', { timeout: secs * 1000 + 10_000 });
  } finally {
    sock.destroy();
  }
}

for (const kind of ['tsdis', 'redis'] as const) {
  test(
    `${kind}: watchdog-period 50 is raised to 200; DEBUG SLEEP logs the watchdog lines while blocked, once; period 0 logs nothing`,
    { skip: kind === 'redis' && !hasRedis() ? SKIP_NO_REDIS : false },
    async () => {
      const s = await server(kind);
      const c = await RawConn.connect(s.port);
      try {
        assert.equal(await c.call('CONFIG', 'SET', 'watchdog-period', '50'), '+OK\r\n');
        assert.equal(await c.call('CONFIG', 'GET', 'watchdog-period'), '*2\r\n$15\r\nwatchdog-period\r\n$3\r\n200\r\n');
        // (3 s: on a loaded machine the line must still come well within the sleep)
        await expiresDuringSleep(s.port, s.log, 3, kind === 'tsdis');
        const log = s.log();
        assert.match(log, HEADER);
        // one report for one stall (Redis's timer is one-shot, re-armed by serverCron)
        assert.equal(count(log), 1, log);
        // the report's end line
        assert.match(log, /^\d+:signal-handler \(\d+\) --------\n\n/m);
        if (kind === 'tsdis')
          assert.match(log, /signal-handler \(\d+\) No stack trace: .*serverCron has not run for 200 ms/);

        // a second stall, a second report
        await expiresDuringSleep(s.port, s.log, 3, kind === 'tsdis');
        assert.equal(count(s.log()), 2);

        // off: nothing, however long the stall
        assert.equal(await c.call('CONFIG', 'SET', 'watchdog-period', '0'), '+OK\r\n');
        assert.equal(await c.call('DEBUG', 'SLEEP', '1'), '+OK\r\n');
        // (the passage of time is the subject: a report would have come within this)
        await sleep(300);
        assert.equal(count(s.log()), 2);
      } finally {
        c.close();
      }
    },
  );
}

test('tsdis: loglevel nothing drops the watchdog lines, as Redis drops its signal-handler warnings', async () => {
  const s = await server('tsdis');
  const c = await RawConn.connect(s.port);
  try {
    assert.equal(await c.call('CONFIG', 'SET', 'watchdog-period', '200'), '+OK\r\n');
    await expiresDuringSleep(s.port, s.log, 2);
    assert.equal(await c.call('CONFIG', 'SET', 'loglevel', 'nothing'), '+OK\r\n');
    assert.equal(await c.call('DEBUG', 'SLEEP', '1'), '+OK\r\n');
    // (the passage of time is the subject: a report would have come within this)
    await sleep(300);
    assert.equal(count(s.log()), 1);
  } finally {
    c.close();
  }
});

test('an embedded server logging through a function gets the watchdog lines once its thread runs again', async () => {
  const lines: string[] = [];
  const srv = await startTsdis({ log: (l) => lines.push(l), config: { 'enable-debug-command': 'yes' } });
  const c = await RawConn.connect(srv.port);
  try {
    assert.equal(await c.call('CONFIG', 'SET', 'watchdog-period', '200'), '+OK\r\n');
    // DEBUG SLEEP blocks this very thread (the server is in-process): the lines arrive after it
    assert.equal(await c.call('DEBUG', 'SLEEP', '1'), '+OK\r\n');
    await until('the watchdog lines', () => lines.some((l) => l === EXPIRED));
    const at = lines.indexOf(EXPIRED);
    assert.match(lines[at - 1]!, /^\d+:signal-handler \(\d+\) $/);
  } finally {
    c.close();
    await srv.close();
  }
});
