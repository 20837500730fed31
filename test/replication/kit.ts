/**
 * The replication tests' kit: tsdis and redis-server in either role (a
 * redis-server primary with an in-process tsdis replica: startPair; a
 * tsdis primary with redis-server replicas: startPrimary, startReplica),
 * INFO fields, waits for a link and for a replica to catch up, and one
 * seeded generator of mixed writes of every type, sent with its replies
 * read (pipeline) or with replies off (sendAll).
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { RawConn, startRedis, startTsdis, type RedisProcess } from '../helpers/servers.js';
import { encode } from '../helpers/resp.js';
import { until } from '../helpers/wait.js';
import { rng } from '../helpers/rng.js';
import type { TsdisServer } from '../../src/index.js';

/** The text of a bulk reply. */
export function bulkText(raw: string): string {
  const i = raw.indexOf('\r\n');
  return raw.slice(i + 2, raw.length - 2);
}

/** A field of an INFO reply's text, or undefined. */
export function infoField(info: string, name: string): string | undefined {
  const m = new RegExp(`\\r\\n${name}:([^\\r]*)\\r\\n`).exec('\r\n' + info);
  return m?.[1];
}

/** INFO <section> as a map of its fields. */
export async function info(c: RawConn, section = 'replication'): Promise<Map<string, string>> {
  const m = new Map<string, string>();
  for (const line of bulkText(await c.call('INFO', section)).split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) m.set(line.slice(0, i), line.slice(i + 1));
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

/** A tsdis primary for replication tests: debug commands on, no diskless delay unless given. */
export async function startPrimary(
  config: Record<string, string | number> = {},
  log?: (line: string) => void,
): Promise<TsdisServer> {
  return startTsdis({
    config: { 'enable-debug-command': 'yes', 'repl-diskless-sync-delay': 0, ...config },
    ...(log ? { log } : {}),
  });
}

/** A redis-server replicating from 127.0.0.1:`port`, its log in a file of its own (read with log()). */
export interface Replica extends RedisProcess {
  log(): string;
  conn: RawConn;
}

export async function startReplica(port: number, extra: string[] = []): Promise<Replica> {
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-replica-log-'));
  const logfile = path.join(logDir, 'replica.log');
  const r = await startRedis([
    '--replicaof',
    '127.0.0.1',
    String(port),
    '--logfile',
    logfile,
    '--enable-debug-command',
    'yes',
    ...extra,
  ]);
  const conn = await RawConn.connect(r.port);
  const stop = r.stop;
  return {
    ...r,
    conn,
    log: () => {
      try {
        return fs.readFileSync(logfile, 'latin1');
      } catch {
        return '';
      }
    },
    stop: async () => {
      conn.close();
      await stop();
      fs.rmSync(logDir, { recursive: true, force: true });
    },
  };
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
export async function linkUp(r: RawConn, ms = 20_000): Promise<void> {
  await until('master_link_status:up', async () => (await field(r, 'master_link_status')) === 'up', { timeout: ms });
}

/**
 * Waits until the replica's link is up, it processed everything the
 * primary has written (offsets equal) and the primary sees it online;
 * returns that offset.
 */
export async function caughtUp(p: RawConn, r: RawConn, ms = 30_000): Promise<number> {
  const at = await until(
    'the replica to catch up with the primary',
    async () => {
      const pi = await info(p);
      const ri = await info(r);
      const offset = pi.get('master_repl_offset');
      const ok =
        ri.get('master_link_status') === 'up' &&
        ri.get('slave_repl_offset') === offset &&
        /state=online/.test(pi.get('slave0') ?? '');
      return ok ? { offset: Number(offset) } : undefined;
    },
    { timeout: ms, every: 50 },
  );
  return at.offset;
}

/** RESP for one command, as a latin1 string (for lengths and concatenation). */
export function resp(argv: readonly string[]): string {
  return encode([...argv]).toString('latin1');
}

/** Sends commands pipelined in batches and returns the replies' raw bytes (each batch's replies read before the next). */
export async function pipeline(c: RawConn, cmds: readonly string[][], batch = 2000): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < cmds.length; i += batch) {
    const part = cmds.slice(i, i + batch);
    c.write(Buffer.concat(part.map((a) => encode(a))));
    for (let k = 0; k < part.length; k++) out.push(await c.read(20_000));
  }
  return out;
}

/** Whether a raw reply is an error. */
export function isError(raw: string): boolean {
  return raw.startsWith('-');
}

/** The FUNCTION library the generated writes call (loaded by them first). */
export const LIB = `#!lua name=kitlib
redis.register_function('rinc', function(keys, args) redis.call('incrby', keys[1], args[1]) return redis.call('rpush', keys[2], args[1]) end)
redis.register_function('kset', function(keys, args) return redis.call('SET', keys[1], args[1]) end)`;

/**
 * `n` writes of every type, deterministic for `seed`, over a few dozen keys
 * of each kind in databases 0-3 (so some hit a key of another type):
 * strings (SET with EX/PX, SETEX, APPEND, INCR/INCRBY/INCRBYFLOAT,
 * SETRANGE, SETBIT, GETDEL), lists, hashes, sets (SPOP: replicated as
 * SREM), sorted sets, streams with a consumer group, HyperLogLog, GEO,
 * expiries (long ones and some within 50 ms, which the primary deletes),
 * deletions, renames, MOVE, COPY, a rare SWAPDB, stores (SINTERSTORE,
 * ZUNIONSTORE), MULTI/EXEC around runs of these, EVAL and FCALL, SELECTs.
 * Ends in database 0, outside MULTI. Errors it can provoke: WRONGTYPE, no
 * such key, BUSYGROUP, NOGROUP, stream IDs, non-numeric values.
 */
export function mixedWrites(n: number, seed = 1): string[][] {
  const r = rng(seed);
  const int = (k: number) => Math.floor(r() * k);
  const s = (k: number) => String(int(k));
  const key = (t: string) => `${t}:${int(60)}`;
  const anyKey = () => key(['s', 'l', 'h', 't', 'z', 'x'][int(6)]!);
  const val = () => (r() < 0.1 ? 'x'.repeat(int(3000)) : `v${int(100000)}`);
  const out: string[][] = [['FUNCTION', 'LOAD', 'REPLACE', LIB]];
  let inMulti = false;
  while (out.length < n) {
    switch (int(52)) {
      case 0:
        out.push(['SELECT', s(4)]);
        break;
      case 1:
        out.push(['SET', key('s'), val()]);
        break;
      case 2:
        out.push(['SET', key('s'), val(), 'EX', String(100 + int(1000))]);
        break;
      case 3:
        out.push(['APPEND', key('s'), val()]);
        break;
      case 4:
        out.push(['INCRBY', key('n'), String(int(100) - 50)]);
        break;
      case 5:
        out.push(['INCRBYFLOAT', key('f'), (r() * 10).toFixed(3)]);
        break;
      case 6:
        out.push(['LPUSH', key('l'), val(), val()]);
        break;
      case 7:
        out.push(['RPUSH', key('l'), val()]);
        break;
      case 8:
        out.push([r() < 0.5 ? 'LPOP' : 'RPOP', key('l')]);
        break;
      case 9:
        out.push(['LMOVE', key('l'), key('l'), 'LEFT', 'RIGHT']);
        break;
      case 10:
        out.push(['LTRIM', key('l'), '0', s(30)]);
        break;
      case 11:
        out.push(['HSET', key('h'), `f${int(30)}`, val(), `f${int(30)}`, val()]);
        break;
      case 12:
        out.push(['HDEL', key('h'), `f${int(30)}`]);
        break;
      case 13:
        out.push(['HINCRBY', key('h'), `c${int(5)}`, s(10)]);
        break;
      case 14:
        out.push(['SADD', key('t'), `m${int(200)}`, `m${int(200)}`]);
        break;
      case 15:
        out.push(['SREM', key('t'), `m${int(200)}`]);
        break;
      case 16:
        out.push(['SPOP', key('t')]);
        break;
      case 17:
        out.push(['SMOVE', key('t'), key('t'), `m${int(200)}`]);
        break;
      case 18:
        out.push(['ZADD', key('z'), String(int(1000) / 7), `m${int(200)}`]);
        break;
      case 19:
        out.push(['ZINCRBY', key('z'), '1.5', `m${int(200)}`]);
        break;
      case 20:
        out.push(['ZREM', key('z'), `m${int(200)}`]);
        break;
      case 21:
        out.push(r() < 0.5 ? ['ZPOPMIN', key('z')] : ['ZREMRANGEBYRANK', key('z'), '0', '0']);
        break;
      case 22:
        out.push(['XADD', key('x'), ...(r() < 0.5 ? ['MAXLEN', '~', '50'] : []), '*', 'a', val(), 'b', s(100)]);
        break;
      case 23:
        out.push(['XTRIM', key('x'), 'MAXLEN', '50']);
        break;
      case 24:
        out.push(['XGROUP', 'CREATE', key('x'), 'g', '0', 'MKSTREAM']);
        break;
      case 25:
        out.push(['XREADGROUP', 'GROUP', 'g', `c${int(3)}`, 'COUNT', '2', 'STREAMS', key('x'), '>']);
        break;
      case 26:
        out.push(['PFADD', key('p'), `e${int(5000)}`, `e${int(5000)}`]);
        break;
      case 27:
        out.push(['EXPIRE', anyKey(), String(200 + int(1000))]);
        break;
      case 28:
        out.push(['PERSIST', key(['s', 'l', 'h'][int(3)]!)]);
        break;
      case 29:
        out.push(['DEL', anyKey()]);
        break;
      case 30:
        out.push(['RENAME', key('s'), key('s')]);
        break;
      case 31:
        out.push([
          'EVAL',
          "redis.call('incr', KEYS[1]) return redis.call('lpush', KEYS[2], ARGV[1])",
          '2',
          key('n'),
          key('l'),
          val(),
        ]);
        break;
      case 32:
        out.push(
          r() < 0.5 ? ['FCALL', 'rinc', '2', key('n'), key('l'), s(10)] : ['FCALL', 'kset', '1', key('s'), val()],
        );
        break;
      case 33:
        out.push([inMulti ? 'EXEC' : 'MULTI']);
        inMulti = !inMulti;
        break;
      case 34:
        out.push(['SETRANGE', key('s'), s(50), val()]);
        break;
      case 35:
        out.push(['SINTERSTORE', key('t'), key('t'), key('t')]);
        break;
      case 36:
        out.push(['ZUNIONSTORE', key('z'), '2', key('z'), key('z')]);
        break;
      case 37:
        out.push(['SET', key('s'), val(), 'PX', String(1 + int(200))]);
        break;
      case 38:
        out.push(['GETDEL', key('s')]);
        break;
      case 39:
        out.push(['MOVE', key('s'), s(4)]);
        break;
      case 40:
        out.push(['COPY', anyKey(), key('c'), 'DB', s(4), 'REPLACE']);
        break;
      case 41:
        // (rare: it exchanges whole databases)
        out.push(r() < 0.05 ? ['SWAPDB', s(4), s(4)] : ['HINCRBYFLOAT', key('h'), 'fl', '0.5']);
        break;
      case 42:
        out.push(['LMPOP', '2', key('l'), key('l'), 'RIGHT', 'COUNT', '2']);
        break;
      case 43:
        out.push(['SETEX', key('s'), String(100 + int(100)), val()]);
        break;
      case 44:
        out.push(['HSET', key('h'), 'big', 'y'.repeat(int(5000))]);
        break;
      case 45:
        out.push(['SETBIT', key('b'), s(500), s(2)]);
        break;
      case 46:
        out.push(['GEOADD', key('g'), (r() * 100).toFixed(4), (r() * 60).toFixed(4), val()]);
        break;
      case 47:
        out.push(['HSETNX', key('h'), `f${int(50)}`, val()]);
        break;
      case 48:
        out.push(['PEXPIRE', key('h'), String(1 + int(40))]);
        break;
      case 49:
        out.push(['INCR', key('n')]);
        break;
      case 50:
        out.push(['SET', key('t'), val(), 'PX', String(1 + int(50))]);
        break;
      default:
        out.push(['HINCRBY', key('h'), `c${int(5)}`, String(int(100))]);
    }
  }
  if (inMulti) out.push(['EXEC']);
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
