/**
 * Who may connect, and who may run the protected commands, seen from real
 * peer addresses: 127.0.0.1, a second loopback address (127.0.0.2, the
 * client binding its end there) and, when the machine has one, an address
 * of a non-loopback interface (the server binds it beside 127.0.0.1 for the
 * test). redis-server runs beside tsdis with the same settings.
 *
 * Redis 7.2 counts every 127.x.x.x address, ::1 and unix sockets as local
 * (connSocketIsLocal, used both by protected mode and by
 * enable-{debug,module}-command / enable-protected-configs `local`); the
 * installed redis-server 7.0.15 counted only 127.0.0.1 and ::1 (its
 * islocalClient). So from 127.0.0.2 tsdis follows 7.2 (allowed) and the
 * test asserts 7.0's refusal beside it; from a non-loopback address both
 * refuse, byte for byte.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import os from 'node:os';
import { hasRedis, startRedis, startTsdis, type RedisProcess } from '../helpers/servers.js';
import { encode } from '../helpers/resp.js';
import type { TsdisServer } from '../../src/index.js';

/** An IPv4 address of a non-loopback interface of this machine, or null. */
function externalV4(): string | null {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return null;
}

const EXT = externalV4();
const skipExt = EXT === null ? 'needs a non-loopback IPv4 interface' : false;

/**
 * Connects to host:port from `local`, writes the commands in one write and
 * collects the bytes until the server closes or has said nothing for 300 ms
 * (after the first byte; 3 s before it).
 */
function talk(port: number, host: string, local: string, cmds: string[][]): Promise<{ out: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host, localAddress: local });
    let out = '';
    let done = false;
    let quiet: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(quiet);
      s.destroy();
      resolve({ out, closed });
    };
    const arm = (ms: number) => {
      clearTimeout(quiet);
      quiet = setTimeout(() => finish(false), ms);
    };
    s.on('data', (d: Buffer) => {
      out += d.latin1Slice(0);
      arm(300);
    });
    s.on('close', () => finish(true));
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') finish(true);
      else if (!done) reject(e);
    });
    s.on('connect', () => {
      // (a refusal is written at accept: give it a moment before writing)
      setTimeout(() => {
        if (!s.destroyed) s.write(Buffer.concat(cmds.map((c) => encode(c))));
        arm(3000);
      }, 50);
    });
  });
}

const DENIED =
  '-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. ';

/** The two servers with the same settings, listening on 127.0.0.1 and EXT. */
async function pair(
  args: Record<string, string>,
): Promise<{ t: TsdisServer; r: RedisProcess | null; stop(): Promise<void> }> {
  const bind = `127.0.0.1 ${EXT}`;
  const t = await startTsdis({ config: { ...args, bind } });
  const r = hasRedis()
    ? await startRedis([...Object.entries(args).flatMap(([k, v]) => [`--${k}`, v]), '--bind', bind])
    : null;
  return { t, r, stop: async () => void (await Promise.all([t.close(), r?.stop()])) };
}

/** [port, name] of each server of the pair. */
function targets(p: { t: TsdisServer; r: RedisProcess | null }): [number, string][] {
  const out: [number, string][] = [[p.t.port, 'tsdis']];
  if (p.r) out.push([p.r.port, 'redis']);
  return out;
}

test(
  'protected mode through real peer addresses: 127.0.0.2 is loopback (7.2), a non-loopback address gets DENIED',
  { skip: skipExt },
  async () => {
    const p = await pair({ 'protected-mode': 'yes' });
    try {
      const ext = EXT!;
      for (const [port, who] of targets(p)) {
        assert.deepEqual(
          await talk(port, '127.0.0.1', '127.0.0.1', [['PING']]),
          { out: '+PONG\r\n', closed: false },
          who,
        );
        // refused at accept, before reading anything: the text, then closed
        const refused = await talk(port, ext, ext, [['PING']]);
        assert.ok(
          refused.out.startsWith(DENIED) && refused.out.endsWith('\r\n'),
          `${who}: ${refused.out.slice(0, 60)}`,
        );
        assert.equal(refused.closed, true, who);
      }
      const fromLo2 = await talk(p.t.port, '127.0.0.1', '127.0.0.2', [['PING']]);
      assert.deepEqual(fromLo2, { out: '+PONG\r\n', closed: false }, 'tsdis (7.2): 127.0.0.2 is loopback');
      const stats = await talk(p.t.port, '127.0.0.1', '127.0.0.1', [['INFO', 'stats']]);
      assert.match(stats.out, /\r\nrejected_connections:1\r\n/);
      if (p.r) {
        const [a, b] = await Promise.all([
          talk(p.t.port, EXT!, EXT!, [['PING']]),
          talk(p.r.port, EXT!, EXT!, [['PING']]),
        ]);
        // Redis 7.2 corrected "Setup a an" in the text; the rest is byte for byte the same
        assert.deepEqual({ ...a, out: a.out.replace('Set up an', 'Setup a an') }, b, 'the refusal');
        // redis-server 7.0.15 (islocalClient: 127.0.0.1 and ::1 only) refuses 127.0.0.2; 7.2.4 accepts it
        assert.deepEqual(await talk(p.r.port, '127.0.0.1', '127.0.0.2', [['PING']]), b);
      }
      // a password on the default user lets the peer in (to authenticate); protected-mode no lets it in too
      for (const [port, who] of targets(p)) {
        const set = [['CONFIG', 'SET', 'requirepass', 'pw']];
        assert.equal((await talk(port, '127.0.0.1', '127.0.0.1', set)).out, '+OK\r\n', who);
        assert.deepEqual(
          await talk(port, ext, ext, [['PING'], ['AUTH', 'pw'], ['PING']]),
          { out: '-NOAUTH Authentication required.\r\n+OK\r\n+PONG\r\n', closed: false },
          who,
        );
        const off = [
          ['AUTH', 'pw'],
          ['CONFIG', 'SET', 'requirepass', ''],
          ['CONFIG', 'SET', 'protected-mode', 'no'],
        ];
        assert.equal((await talk(port, '127.0.0.1', '127.0.0.1', off)).out, '+OK\r\n+OK\r\n+OK\r\n', who);
        assert.deepEqual(await talk(port, ext, ext, [['PING']]), { out: '+PONG\r\n', closed: false }, who);
      }
    } finally {
      await p.stop();
    }
  },
);

const NOT_ALLOWED = (what: string, param: string) =>
  `-ERR ${what} command not allowed. If the ${param} option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.\r\n`;
const PROTECTED_CONFIG =
  "-ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config\r\n";

/** What each protected action answers when allowed. */
const ALLOWED = {
  debug: '+OK\r\n',
  module: '-ERR Error loading the extension. Please check the server logs.\r\n',
  config: '+OK\r\n',
};
const ACTIONS = [
  ['DEBUG', 'SLEEP', '0'],
  ['MODULE', 'LOAD', '/nonexistent/tsdis-test.so'],
  ['CONFIG', 'SET', 'dbfilename', 'dump.rdb'],
];

/** The three replies expected when each action is allowed (true) or refused. */
function expected(allowed: boolean): string {
  return allowed
    ? ALLOWED.debug + ALLOWED.module + ALLOWED.config
    : NOT_ALLOWED('DEBUG', 'enable-debug-command') + NOT_ALLOWED('MODULE', 'enable-module-command') + PROTECTED_CONFIG;
}

for (const mode of ['no', 'yes', 'local'] as const) {
  test(
    `enable-debug-command, enable-module-command, enable-protected-configs ${mode}: from 127.0.0.1, 127.0.0.2 and a non-loopback address`,
    { skip: skipExt },
    async () => {
      const p = await pair({
        'protected-mode': 'no',
        'enable-debug-command': mode,
        'enable-module-command': mode,
        'enable-protected-configs': mode,
      });
      try {
        const ext = EXT!;
        const local = mode !== 'no';
        const remote = mode === 'yes';
        for (const [port, who] of targets(p)) {
          assert.equal(
            (await talk(port, '127.0.0.1', '127.0.0.1', ACTIONS)).out,
            expected(local),
            `${who} from 127.0.0.1`,
          );
          assert.equal((await talk(port, ext, ext, ACTIONS)).out, expected(remote), `${who} from ${ext}`);
        }
        // 127.0.0.2 is local in 7.2 (connIsLocal); redis-server 7.0.15 counted only 127.0.0.1
        assert.equal(
          (await talk(p.t.port, '127.0.0.1', '127.0.0.2', ACTIONS)).out,
          expected(local),
          'tsdis from 127.0.0.2',
        );
        if (p.r) {
          const r = (await talk(p.r.port, '127.0.0.1', '127.0.0.2', ACTIONS)).out;
          assert.equal(r, expected(remote), 'redis-server 7.0 from 127.0.0.2: as a remote peer');
        }
      } finally {
        await p.stop();
      }
    },
  );
}
