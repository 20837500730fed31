/**
 * A tsdis primary and real redis-server replicas of it, for the
 * replication tests: starting them, waiting until a replica caught up,
 * reading INFO fields, and a seeded generator of mixed writes of every
 * type (pipelined through a raw connection).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RawConn, startRedis, startTsdis, type RedisProcess } from '../helpers/servers.js';
import { encode, replyLength } from '../helpers/resp.js';
import { until } from '../helpers/wait.js';
import { rng } from '../helpers/rng.js';
import type { TsdisServer } from '../../src/index.js';

/** A field of an INFO reply (raw bulk text), or undefined. */
export function infoField(info: string, name: string): string | undefined {
  const m = new RegExp(`\\r\\n${name}:([^\\r]*)\\r\\n`).exec('\r\n' + info);
  return m?.[1];
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

/** Waits (bounded) until the replica's link is up and it processed everything the primary sent. */
export async function caughtUp(primary: RawConn, replica: RawConn, timeout = 20_000): Promise<void> {
  await until(
    'the replica to catch up with the primary',
    async () => {
      const p = bulkText(await primary.call('INFO', 'replication'));
      const r = bulkText(await replica.call('INFO', 'replication'));
      return (
        infoField(r, 'master_link_status') === 'up' &&
        infoField(r, 'slave_repl_offset') === infoField(p, 'master_repl_offset') &&
        /state=online/.test(infoField(p, 'slave0') ?? '')
      );
    },
    { timeout, every: 50 },
  );
}

/** The text of a bulk reply. */
export function bulkText(raw: string): string {
  const i = raw.indexOf('\r\n');
  return raw.slice(i + 2, raw.length - 2);
}

/** Sends commands pipelined in batches and returns the replies' raw bytes (each batch's replies read before the next). */
export async function pipeline(c: RawConn, cmds: (string | number)[][], batch = 2000): Promise<string[]> {
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

void replyLength;

/** A FUNCTION library the generated writes call (loaded by them first). */
export const LIB =
  "#!lua name=rlib\nredis.register_function('rinc', function(keys, args) redis.call('incrby', keys[1], args[1]) return redis.call('rpush', keys[2], args[1]) end)";

/**
 * `n` seeded writes of every type over a few hundred keys in databases
 * 0-2: strings, counters, lists, hashes, sets, sorted sets, streams (with
 * a consumer group), HyperLogLogs, expiries (relative, absolute, removed),
 * deletions, renames, MOVE, COPY, SWAPDB, MULTI/EXEC blocks, EVAL and
 * FCALL, SELECTs.
 */
export function mixedWrites(seed: number, n: number): (string | number)[][] {
  const r = rng(seed);
  const int = (k: number) => Math.floor(r() * k);
  const key = (t: string) => `${t}:${int(60)}`;
  const val = () => (r() < 0.1 ? 'x'.repeat(int(3000)) : `v${int(100000)}`);
  const out: (string | number)[][] = [['FUNCTION', 'LOAD', 'REPLACE', LIB]];
  let inMulti = false;
  while (out.length < n) {
    const p = int(45);
    switch (p) {
      case 0:
        out.push(['SELECT', int(3)]);
        break;
      case 1:
        out.push(['SET', key('s'), val()]);
        break;
      case 2:
        out.push(['SET', key('s'), val(), 'EX', 100 + int(1000)]);
        break;
      case 3:
        out.push(['APPEND', key('s'), val()]);
        break;
      case 4:
        out.push(['INCRBY', key('n'), int(100) - 50]);
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
        out.push(['LPOP', key('l')]);
        break;
      case 9:
        out.push(['LMOVE', key('l'), key('l'), 'LEFT', 'RIGHT']);
        break;
      case 10:
        out.push(['LTRIM', key('l'), 0, 20]);
        break;
      case 11:
        out.push(['HSET', key('h'), `f${int(30)}`, val(), `f${int(30)}`, val()]);
        break;
      case 12:
        out.push(['HDEL', key('h'), `f${int(30)}`]);
        break;
      case 13:
        out.push(['HINCRBY', key('h'), `c${int(5)}`, int(10)]);
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
        out.push(['ZADD', key('z'), int(1000) / 7, `m${int(200)}`]);
        break;
      case 19:
        out.push(['ZINCRBY', key('z'), 1.5, `m${int(200)}`]);
        break;
      case 20:
        out.push(['ZREM', key('z'), `m${int(200)}`]);
        break;
      case 21:
        out.push(['ZPOPMIN', key('z')]);
        break;
      case 22:
        out.push(['XADD', key('x'), '*', 'a', val(), 'b', int(100)]);
        break;
      case 23:
        out.push(['XTRIM', key('x'), 'MAXLEN', 50]);
        break;
      case 24:
        out.push(['XGROUP', 'CREATE', key('x'), 'g', '0', 'MKSTREAM']);
        break;
      case 25:
        out.push(['XREADGROUP', 'GROUP', 'g', `c${int(3)}`, 'COUNT', 2, 'STREAMS', key('x'), '>']);
        break;
      case 26:
        out.push(['PFADD', key('p'), `e${int(5000)}`, `e${int(5000)}`]);
        break;
      case 27:
        out.push(['EXPIRE', key(['s', 'l', 'h', 't', 'z'][int(5)]!), 200 + int(1000)]);
        break;
      case 28:
        out.push(['PERSIST', key(['s', 'l', 'h'][int(3)]!)]);
        break;
      case 29:
        out.push(['DEL', key(['s', 'l', 'h', 't', 'z', 'x'][int(6)]!)]);
        break;
      case 30:
        out.push(['RENAME', key('s'), key('s')]);
        break;
      case 31:
        out.push([
          'EVAL',
          "redis.call('incr', KEYS[1]) return redis.call('lpush', KEYS[2], ARGV[1])",
          2,
          key('n'),
          key('l'),
          val(),
        ]);
        break;
      case 32:
        out.push(['FCALL', 'rinc', 2, key('n'), key('l'), int(10)]);
        break;
      case 33:
        if (!inMulti) {
          out.push(['MULTI']);
          inMulti = true;
        } else {
          out.push(['EXEC']);
          inMulti = false;
        }
        break;
      case 34:
        out.push(['SETRANGE', key('s'), int(50), val()]);
        break;
      case 35:
        out.push(['SINTERSTORE', key('t'), key('t'), key('t')]);
        break;
      case 36:
        out.push(['ZUNIONSTORE', key('z'), 2, key('z'), key('z')]);
        break;
      case 37:
        out.push(['SET', key('s'), val(), 'PX', 1 + int(200)]);
        break;
      case 38:
        out.push(['GETDEL', key('s')]);
        break;
      case 39:
        out.push(['MOVE', key('s'), int(3)]);
        break;
      case 40:
        out.push(['COPY', key(['s', 'l', 'h', 't', 'z', 'x'][int(6)]!), key('c'), 'DB', int(3), 'REPLACE']);
        break;
      case 41:
        // (rare: it exchanges whole databases)
        out.push(r() < 0.05 ? ['SWAPDB', int(3), int(3)] : ['HINCRBYFLOAT', key('h'), 'fl', '0.5']);
        break;
      case 42:
        out.push(['LMPOP', 2, key('l'), key('l'), 'RIGHT', 'COUNT', 2]);
        break;
      case 43:
        out.push(['SETEX', key('s'), 100 + int(100), val()]);
        break;
      default:
        out.push(['HSET', key('h'), 'big', 'y'.repeat(int(5000))]);
    }
  }
  if (inMulti) out.push(['EXEC']);
  return out;
}
