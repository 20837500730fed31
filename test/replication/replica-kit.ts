/**
 * Helpers for the replica tests: a real redis-server primary and tsdis
 * following it, INFO fields, bounded waits, and a stream of mixed writes
 * of every type sent to the primary with CLIENT REPLY OFF.
 */
import net from 'node:net';
import { RawConn, startRedis, startTsdis, type RedisProcess } from '../helpers/servers.js';
import type { TsdisServer } from '../../src/index.js';
import { rng } from '../helpers/rng.js';

/** Polls `pred` every 20 ms until true; throws with `what` (and the last value seen) after `ms`. */
export async function waitFor<T>(pred: () => Promise<T | false>, what: string, ms = 20000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    const r = await pred();
    if (r !== false) return r;
    last = r;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (last: ${String(last)})`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

/** INFO <section> as a map of its fields. */
export async function info(c: RawConn, section = 'replication'): Promise<Map<string, string>> {
  const raw = await c.call('INFO', section);
  const m = new Map<string, string>();
  for (const line of raw.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#') && !line.startsWith('$')) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

/** INFO <section>'s field names in order. */
export async function infoNames(c: RawConn, section = 'replication'): Promise<string[]> {
  return [...(await info(c, section)).keys()];
}

/** One field of INFO. */
export async function field(c: RawConn, name: string, section = 'replication'): Promise<string | undefined> {
  return (await info(c, section)).get(name);
}

export interface Pair {
  primary: RedisProcess;
  replica: TsdisServer;
  p: RawConn;
  r: RawConn;
  /** The replica's log lines. */
  log: string[];
  stop(): Promise<void>;
}

/**
 * A redis-server primary (with `primaryArgs`) and an in-process tsdis
 * following it through `replicaof` (connected by its cron within a
 * second), with DEBUG enabled on both; resolves once the link is up.
 */
export async function startPair(
  primaryArgs: string[] = [],
  replicaConfig: Record<string, string | number | boolean> = {},
  before?: (p: RawConn) => Promise<void>,
): Promise<Pair> {
  const primary = await startRedis([
    '--enable-debug-command',
    'yes',
    '--repl-diskless-sync-delay',
    '0',
    ...primaryArgs,
  ]);
  const p = await RawConn.connect(primary.port);
  if (before) await before(p);
  const log: string[] = [];
  const replica = await startTsdis({
    config: { 'enable-debug-command': 'yes', replicaof: `127.0.0.1 ${primary.port}`, ...replicaConfig },
    log: (l) => log.push(l),
  });
  const r = await RawConn.connect(replica.port);
  const pair: Pair = {
    primary,
    replica,
    p,
    r,
    log,
    async stop() {
      p.close();
      r.close();
      await replica.close();
      await primary.stop();
    },
  };
  try {
    await linkUp(r);
  } catch (e) {
    await pair.stop();
    throw e;
  }
  return pair;
}

/** Waits until the replica reports master_link_status:up. */
export async function linkUp(r: RawConn, ms = 20000): Promise<void> {
  await waitFor(async () => (await field(r, 'master_link_status')) === 'up' || false, 'master_link_status:up', ms);
}

/** Waits until the replica processed everything the primary has written (offsets equal). */
export async function caughtUp(p: RawConn, r: RawConn, ms = 30000): Promise<number> {
  return waitFor(
    async () => {
      const po = Number(await field(p, 'master_repl_offset'));
      const ro = Number(await field(r, 'slave_repl_offset'));
      return po === ro && (await field(r, 'master_link_status')) === 'up' ? po : false;
    },
    'the replica to catch up',
    ms,
  );
}

/** RESP for one command. */
export function resp(argv: readonly string[]): string {
  let s = `*${argv.length}\r\n`;
  for (const a of argv) s += `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`;
  return s;
}

const LIB = `#!lua name=kitlib
redis.register_function('kset', function(keys, args) return redis.call('SET', keys[1], args[1]) end)
redis.register_function('kpush', function(keys, args) return redis.call('RPUSH', keys[1], args[1], args[2]) end)`;

/**
 * `n` mixed writes of every type, deterministic for `seed`: strings
 * (SET/APPEND/INCR/INCRBYFLOAT/SETRANGE/GETDEL/SETBIT), lists, hashes,
 * sets (SPOP: replicated as SREM), sorted sets, streams with a consumer
 * group, HyperLogLog, GEO, TTLs (long ones and some expiring within
 * 50 ms, which the primary deletes), MULTI/EXEC, EVAL, a FUNCTION library
 * and FCALL, and databases 0 to 3.
 */
export function mixedWrites(n: number, seed = 1): string[][] {
  const rand = rng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;
  const key = (t: string) => `${t}:${Math.floor(rand() * 200)}`;
  const val = () => (rand() < 0.3 ? String(Math.floor(rand() * 1000)) : 'v'.repeat(1 + Math.floor(rand() * 40)));
  const out: string[][] = [['FUNCTION', 'LOAD', 'REPLACE', LIB]];
  const groups = new Set<string>();
  while (out.length < n) {
    const r = rand();
    if (r < 0.02) {
      out.push(['SELECT', String(Math.floor(rand() * 4))]);
      continue;
    }
    if (r < 0.05) {
      out.push(['MULTI'], ['SET', key('s'), val()], ['INCR', key('n')], ['RPUSH', key('l'), val()], ['EXEC']);
      continue;
    }
    if (r < 0.07) {
      out.push([
        'EVAL',
        "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('INCR', KEYS[2])",
        '2',
        key('s'),
        key('n'),
        val(),
      ]);
      continue;
    }
    if (r < 0.09) {
      out.push(
        rand() < 0.5 ? ['FCALL', 'kset', '1', key('s'), val()] : ['FCALL', 'kpush', '1', key('l'), val(), val()],
      );
      continue;
    }
    const c = Math.floor(rand() * 34);
    switch (c) {
      case 0:
        out.push(['SET', key('s'), val()]);
        break;
      case 1:
        out.push(['APPEND', key('s'), val()]);
        break;
      case 2:
        out.push(['INCR', key('n')]);
        break;
      case 3:
        out.push(['INCRBYFLOAT', key('f'), (rand() * 10).toFixed(3)]);
        break;
      case 4:
        out.push(['SETRANGE', key('s'), String(Math.floor(rand() * 20)), val()]);
        break;
      case 5:
        out.push(['SET', key('s'), val(), 'EX', String(1000 + Math.floor(rand() * 1000))]);
        break;
      case 6:
        out.push(['SET', key('t'), val(), 'PX', String(1 + Math.floor(rand() * 50))]);
        break;
      case 7:
        out.push(['LPUSH', key('l'), val(), val()]);
        break;
      case 8:
        out.push(['RPOP', key('l')]);
        break;
      case 9:
        out.push(['LTRIM', key('l'), '0', String(Math.floor(rand() * 30))]);
        break;
      case 10:
        out.push(['HSET', key('h'), `f${Math.floor(rand() * 50)}`, val()]);
        break;
      case 11:
        out.push(['HDEL', key('h'), `f${Math.floor(rand() * 50)}`]);
        break;
      case 12:
        out.push(['HINCRBY', key('h'), `c${Math.floor(rand() * 5)}`, String(Math.floor(rand() * 100))]);
        break;
      case 13:
        out.push(['SADD', key('set'), val(), val()]);
        break;
      case 14:
        out.push(['SPOP', key('set')]);
        break;
      case 15:
        out.push(['SREM', key('set'), val()]);
        break;
      case 16:
        out.push(['ZADD', key('z'), (rand() * 100).toFixed(2), val()]);
        break;
      case 17:
        out.push(['ZINCRBY', key('z'), '1.5', val()]);
        break;
      case 18:
        out.push(['ZPOPMIN', key('z')]);
        break;
      case 19: {
        const k = `x:${Math.floor(rand() * 20)}`;
        out.push(['XADD', k, 'MAXLEN', '~', '50', '*', 'f', val()]);
        if (!groups.has(k)) {
          groups.add(k);
          out.push(['XGROUP', 'CREATE', k, 'g', '0']);
        }
        break;
      }
      case 20:
        out.push([
          'XREADGROUP',
          'GROUP',
          'g',
          `c${Math.floor(rand() * 3)}`,
          'COUNT',
          '2',
          'STREAMS',
          `x:${Math.floor(rand() * 20)}`,
          '>',
        ]);
        break;
      case 21:
        out.push(['DEL', key(pick(['s', 'l', 'h', 'set', 'z', 'n']))]);
        break;
      case 22:
        out.push(['EXPIRE', key(pick(['l', 'h', 'set', 'z'])), String(1000 + Math.floor(rand() * 1000))]);
        break;
      case 23:
        out.push(['PERSIST', key(pick(['s', 'l', 'h']))]);
        break;
      case 24:
        out.push(['PEXPIRE', key('h'), String(1 + Math.floor(rand() * 40))]);
        break;
      case 25:
        out.push(['PFADD', key('hll'), val(), val(), val()]);
        break;
      case 26:
        out.push(['GEOADD', key('geo'), (rand() * 100).toFixed(4), (rand() * 60).toFixed(4), val()]);
        break;
      case 27:
        out.push(['SETBIT', key('bits'), String(Math.floor(rand() * 500)), String(Math.floor(rand() * 2))]);
        break;
      case 28:
        out.push(['GETDEL', key('s')]);
        break;
      case 29:
        out.push(['RENAME', key('s'), key('s')]);
        break;
      case 30:
        out.push(['LMOVE', key('l'), key('l'), 'LEFT', 'RIGHT']);
        break;
      case 31:
        out.push(['SMOVE', key('set'), key('set'), val()]);
        break;
      case 32:
        out.push(['HSETNX', key('h'), `f${Math.floor(rand() * 50)}`, val()]);
        break;
      default:
        out.push(['ZREMRANGEBYRANK', key('z'), '0', '0']);
        break;
    }
  }
  out.push(['SELECT', '0']);
  return out;
}

/**
 * Sends `cmds` to the server on `port` as fast as it reads them, with
 * replies off (errors such as RENAME of a missing key are expected and
 * dropped), and resolves when the server has run them all.
 */
export async function sendAll(port: number, cmds: readonly string[][]): Promise<void> {
  const sock = net.connect(port, '127.0.0.1');
  await new Promise<void>((res, rej) => {
    sock.once('connect', () => res());
    sock.once('error', rej);
  });
  let got = '';
  const done = new Promise<void>((res, rej) => {
    sock.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.endsWith('+OK\r\n')) res();
    });
    sock.once('error', rej);
  });
  sock.write(resp(['CLIENT', 'REPLY', 'OFF']));
  const BATCH = 500;
  for (let i = 0; i < cmds.length; i += BATCH) {
    let s = '';
    for (const c of cmds.slice(i, i + BATCH)) s += resp(c);
    if (!sock.write(s, 'latin1')) await new Promise((res) => sock.once('drain', res));
  }
  sock.write(resp(['CLIENT', 'REPLY', 'ON']));
  const timer = new Promise<never>((_, rej) => setTimeout(() => rej(new Error('sendAll timed out')), 120000).unref());
  try {
    await Promise.race([done, timer]);
  } finally {
    sock.destroy();
  }
}
