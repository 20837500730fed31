/**
 * The corrupt-payload fuzzer behind test/fuzz/restore.fuzz.test.ts and
 * scripts/fuzz-restore.mjs (which runs it for as long as asked).
 *
 * A corpus of DUMP payloads of every type and encoding — DUMPed from the
 * server after filling it with commands (small and large, so both compact
 * and big encodings), plus payloads built byte by byte for the encodings
 * current servers no longer write (zipmap, ziplists, intsets, quicklists of
 * ziplists, text-double sorted sets, version 1 streams) and payloads with a
 * duplicate member, field or consumer — is mutated: bit flips, random bytes,
 * truncation, inserted and deleted ranges, length fields made huge, zero or
 * off by one, and splices of two payloads. The CRC is recomputed, so every
 * mutation reaches the decoder. Each is RESTOREd under sanitize-dump-payload
 * no or yes (alternating in batches); what the server accepts then gets its
 * type's commands (reads and writes, with arguments that hit its elements),
 * a DUMP that must RESTORE again, and DEBUG DIGEST-VALUE.
 *
 * Checked: every reply is well-formed RESP (parsed strictly); RESTORE
 * replies +OK or "-ERR Bad data format" only; a PING on another connection
 * is answered (within 3 s, a bound for a loaded machine) after every
 * payload; the server process stays up and its memory bounded (huge
 * declared lengths must not allocate).
 *
 * With a redis-server to compare with, the same mutations of its own DUMPs
 * are RESTOREd into both under sanitize-dump-payload yes: what Redis
 * refuses, tsdis must refuse; what both accept must have the same DEBUG
 * DIGEST-VALUE. What tsdis alone refuses is counted (payloads Redis accepts
 * but would assert on later, or holds broken; see rdb-load.ts).
 */
import fs from 'node:fs';
import { RawConn } from '../helpers/servers.js';
import { rng } from '../helpers/rng.js';
import { encode } from '../helpers/resp.js';
import {
  len,
  str,
  listpack,
  ziplist,
  intset,
  zipmap,
  payloadBytes,
  withCrc,
  id16,
  i64,
  f64,
} from '../helpers/payloads.js';

export interface FuzzOptions {
  seed: number;
  /** Payloads to RESTORE into tsdis (mutations of tsdis's and built payloads). */
  payloads: number;
  /** tsdis's process id, for its memory (VmRSS); the bound is checked when given. */
  pid?: number;
  /** The most resident memory allowed, MB (default 600). */
  maxRssMb?: number;
  /**
   * A redis-server to compare with (enable-debug-command yes), and how many
   * payloads of its own to compare. Redis can hang on some corrupt payloads
   * (a set declaring 2^40 members followed by a bad string frees a 2^40-slot
   * table): after 2 s without a reply it is restarted (`restartRedis` gives
   * the new port) and the payload counted in diff.redisHung.
   */
  redisPort?: number;
  restartRedis?: () => Promise<number>;
  diffPayloads?: number;
  /** Progress lines. */
  log?: (line: string) => void;
  /** Called with true before a DEBUG RELOAD (it holds the server by design, as in Redis) and false after (Watch.hold). */
  hold?: (on: boolean) => void;
}

export interface FuzzStats {
  payloads: number;
  accepted: number;
  rejected: number;
  commands: number;
  errorReplies: number;
  /** Per mode (sanitize-dump-payload). */
  byMode: Record<string, { accepted: number; rejected: number }>;
  maxRssMb: number;
  diff: {
    payloads: number;
    bothAccepted: number;
    bothRejected: number;
    onlyTsdisRejected: number;
    onlyRedisRejected: number;
    digestMismatch: number;
    redisHung: number;
    tsdisOnlyTypes: number;
  };
  /** Problems found (empty when all is well): each with the payload in hex. */
  failures: string[];
  /** Some payloads only tsdis refused (hex), to look at. */
  onlyTsdisRejected: string[];
}

type Rand = () => number;

const pick = <T>(r: Rand, a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
const int = (r: Rand, n: number) => Math.floor(r() * n);

/**
 * Strictly parses one RESP2/RESP3 reply: returns its length, or throws on
 * anything malformed (a bad type byte, a length that is not a number, a bulk
 * not followed by CRLF, a number line that is not one).
 */
export function strictReplyLength(raw: string, pos = 0): number {
  const line = (): string => {
    const e = raw.indexOf('\r\n', pos);
    if (e < 0) throw new Error('incomplete line');
    const s = raw.slice(pos, e);
    pos = e + 2;
    return s;
  };
  const num = (s: string): number => {
    if (!/^-?\d+$/.test(s)) throw new Error(`bad length ${JSON.stringify(s)}`);
    return Number(s);
  };
  const read = (): void => {
    const t = raw[pos++];
    const l = line();
    switch (t) {
      case '+':
      case '-':
        if (l.includes('\r') || l.includes('\n')) throw new Error('newline in a simple string');
        return;
      case ':':
        num(l);
        return;
      case '(':
        if (!/^-?\d+$/.test(l)) throw new Error(`bad big number ${l}`);
        return;
      case ',':
        if (!/^(-?\d+(\.\d+)?(e[+-]?\d+)?|-?inf|nan)$/i.test(l)) throw new Error(`bad double ${l}`);
        return;
      case '#':
        if (l !== 't' && l !== 'f') throw new Error(`bad boolean ${l}`);
        return;
      case '_':
        if (l !== '') throw new Error('bad null');
        return;
      case '$':
      case '=':
      case '!': {
        const n = num(l);
        if (n === -1) return;
        if (n < 0) throw new Error(`negative bulk length ${n}`);
        if (raw.slice(pos + n, pos + n + 2) !== '\r\n') throw new Error('bulk not followed by CRLF');
        pos += n + 2;
        return;
      }
      case '*':
      case '~':
      case '>':
      case '%': {
        const n = num(l);
        if (n === -1) return;
        if (n < 0) throw new Error(`negative aggregate length ${n}`);
        for (let i = 0; i < (t === '%' ? 2 * n : n); i++) read();
        return;
      }
      default:
        throw new Error(`bad type byte ${JSON.stringify(t)}`);
    }
  };
  const start = pos;
  read();
  return pos - start;
}

/** Fills a server with keys of every type and encoding (a small and a large one each); returns their names. */
export async function fillTypes(c: RawConn, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  const run = async (...a: string[]) => {
    const r = await c.call(...a);
    if (r.startsWith('-')) throw new Error(`${a.join(' ')}: ${r}`);
  };
  for (const [size, tag] of [
    [3, 's'],
    [200, 'b'],
  ] as const) {
    const k = (t: string) => `${prefix}${t}:${tag}`;
    for (let j = 0; j < size; j++) {
      const v = j % 2 === 0 ? String(j) : `_${j}`;
      await run('RPUSH', k('list'), v);
      await run('SADD', k('set'), v);
      await run('SADD', k('intset'), String(j * 7 - 50));
      await run('ZADD', k('zset'), String(j / 3), v);
      await run('HSET', k('hash'), String(j), v);
      await run('XADD', k('stream'), `${1000 + j}-${j % 3}`, 'item', '1', 'value', v);
    }
    await run('XGROUP', 'CREATE', k('stream'), 'g', '0');
    await run('XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '2', 'STREAMS', k('stream'), '>');
    await run('XREADGROUP', 'GROUP', 'g', 'bob', 'COUNT', '1', 'STREAMS', k('stream'), '>');
    await run('XGROUP', 'CREATECONSUMER', k('stream'), 'g', 'carol');
    await run('XADD', k('stream'), '5000-0', 'other', 'fields', 'here', 'too');
    await run('XDEL', k('stream'), '0-1'); // (nothing) keeps the command mix honest
    keys.push(k('list'), k('set'), k('intset'), k('zset'), k('hash'), k('stream'));
  }
  await run('RPUSH', `${prefix}list:plain`, 'x'.repeat(9000), 'y');
  await run('SET', `${prefix}str:int`, '12345');
  await run('SET', `${prefix}str:raw`, 'a'.repeat(100));
  await run('SET', `${prefix}str:lzf`, 'abc'.repeat(300));
  keys.push(`${prefix}list:plain`, `${prefix}str:int`, `${prefix}str:raw`, `${prefix}str:lzf`);
  return keys;
}

/** The DUMPs of these keys (raw payload bytes). */
export async function dumps(c: RawConn, keys: string[]): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const k of keys) {
    const r = await c.call('DUMP', k);
    const m = /^\$(\d+)\r\n/.exec(r);
    if (m === null) throw new Error(`DUMP ${k}: ${r}`);
    out.push(Buffer.from(r.slice(m[0].length, m[0].length + Number(m[1])), 'latin1'));
  }
  return out;
}

/**
 * Payloads built byte by byte: old encodings, and with `dup` a duplicate
 * member, field or PEL entry where the type forbids one.
 */
export function builtPayloads(r: Rand, dup: boolean): Buffer[] {
  const n = 2 + int(r, 6);
  const ms = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? String(i * 11) : `m${i}`));
  if (dup) ms.push(pick(r, ms));
  const ints = ms.map((_, i) => i * 3 - 4);
  if (dup) ints[ints.length - 1] = ints[0]!;
  const pairs = ms.flatMap((m, i) => [m, `v${i}`]);
  const zpairs = ms.flatMap((m, i) => [m, i % 2 === 0 ? i : `${i}.5`]);
  const sorted = [...new Set(ints)].sort((a, b) => a - b);
  const out: Buffer[] = [
    payloadBytes(2, Buffer.concat([len(ms.length), ...ms.map(str)])),
    payloadBytes(4, Buffer.concat([len(ms.length), ...pairs.map(str)])),
    payloadBytes(5, Buffer.concat([len(ms.length), ...ms.flatMap((m, i) => [str(m), f64(i / 2)])])),
    payloadBytes(3, Buffer.concat([len(ms.length), ...ms.flatMap((m, i) => [str(m), str(String(i + 0.25))])]), 9),
    payloadBytes(1, Buffer.concat([len(ms.length), ...ms.map(str)]), 6),
    payloadBytes(9, str(zipmap(ms.map((m, i) => [m, `v${i}`] as [string, string]))), 3),
    payloadBytes(10, str(ziplist(ms)), 9),
    payloadBytes(11, str(intset(pick(r, [2, 4, 8]), dup ? ints : sorted))),
    payloadBytes(12, str(ziplist(zpairs)), 9),
    payloadBytes(13, str(ziplist(pairs)), 9),
    payloadBytes(14, Buffer.concat([len(2), str(ziplist(ms.slice(0, 2))), str(ziplist(ms.slice(2)))]), 9),
    payloadBytes(16, str(listpack(pairs))),
    payloadBytes(17, str(listpack(zpairs))),
    payloadBytes(18, Buffer.concat([len(2), len(2), str(listpack(ms)), len(1), str('plain node')])),
    payloadBytes(20, str(listpack(ms)), 11),
  ];
  // a version 1 stream (type 15) of two entries with a group whose PEL has them (dup: twice)
  const node = listpack([2, 0, 1, 'f', 0, 2, 0, 0, 'a', 4, 2, 0, 1, 'b', 4]);
  const pel = dup ? [1, 1] : [1, 2];
  out.push(
    payloadBytes(
      15,
      Buffer.concat([
        len(1),
        str(id16(5, 1)),
        str(node),
        len(2),
        len(5),
        len(2),
        len(1),
        str('g'),
        len(5),
        len(2),
        len(pel.length),
        ...pel.flatMap((s) => [id16(5, s), i64(1000), len(1)]),
        len(1),
        str('c'),
        i64(1000),
        len(pel.length),
        ...pel.map((s) => id16(5, s)),
      ]),
      9,
    ),
  );
  return out;
}

/** Writes a length encoding at p (huge, zero, off by one or random), shifting nothing. */
function lengthMutation(r: Rand, b: Buffer): Buffer {
  const p = int(r, b.length);
  const forms = [
    Buffer.from([0x81, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00]), // 2^40
    Buffer.from([0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
    Buffer.from([0x80, 0xff, 0xff, 0xff, 0xf0]),
    Buffer.from([0x80, 0x7f, 0xff, 0xff, 0xff]),
    Buffer.from([0x00]),
    Buffer.from([0x3f]),
    Buffer.from([(b[p]! & 0xc0) | (((b[p]! & 0x3f) + (r() < 0.5 ? 1 : 63)) & 0x3f)]), // off by one (6-bit)
    Buffer.from([0xff, 0xff, 0xff, 0x7f]), // a 32-bit little-endian count (listpack / ziplist / intset headers)
  ];
  const f = pick(r, forms);
  const out = Buffer.from(b);
  f.copy(out, p, 0, Math.min(f.length, out.length - p));
  return out;
}

/** One mutation of a payload's body (the footer is rebuilt by the caller). */
export function mutate(r: Rand, body: Buffer, other: Buffer): Buffer {
  const b = Buffer.from(body);
  if (b.length === 0) return b;
  switch (int(r, 8)) {
    case 0: {
      const flips = 1 + int(r, 3);
      for (let i = 0; i < flips; i++) b[int(r, b.length)]! ^= 1 << int(r, 8);
      return b;
    }
    case 1: {
      const count = r() < 0.9 ? 1 : 2;
      for (let i = 0; i < count; i++) b[int(r, b.length)] = int(r, 256);
      return b;
    }
    case 2:
      return b.subarray(0, int(r, b.length));
    case 3: {
      const p = int(r, b.length);
      const ins = Buffer.alloc(1 + int(r, 8));
      for (let i = 0; i < ins.length; i++) ins[i] = int(r, 256);
      return Buffer.concat([b.subarray(0, p), ins, b.subarray(p)]);
    }
    case 4: {
      const p = int(r, b.length);
      return Buffer.concat([b.subarray(0, p), b.subarray(Math.min(b.length, p + 1 + int(r, 8)))]);
    }
    case 5:
    case 6:
      return lengthMutation(r, b);
    default: {
      // a splice: our head, another payload's tail
      const p = int(r, b.length);
      return Buffer.concat([b.subarray(0, p), other.subarray(int(r, other.length))]);
    }
  }
}

/** A mutated payload (CRC recomputed): the body without its version/CRC footer is mutated, the footer rebuilt. */
function corrupt(r: Rand, p: Buffer, other: Buffer): string {
  const body = p.subarray(0, p.length - 10);
  const footer = p.subarray(p.length - 10);
  let m = mutate(r, body, other.subarray(0, other.length - 10));
  if (r() < 0.2) m = mutate(r, m, body);
  return withCrc(Buffer.concat([m, footer]));
}

/** Arguments that hit the value's elements: a few of its own members, numbers, odd strings. */
function args(r: Rand, members: string[]): string {
  return r() < 0.6 && members.length > 0
    ? pick(r, members)
    : pick(r, ['0', '1', '-1', '2', '5', '100', 'x', '', '_1', '1.5', 'inf', '-inf', '(1', '[a', '+', '-']);
}

/** Commands for a value of this type (`k` the key, members some of its elements). */
function commandsFor(r: Rand, type: string, k: string, m: string[]): string[][] {
  const a = () => args(r, m);
  switch (type) {
    case 'string':
      return [
        ['GET', k],
        ['STRLEN', k],
        ['GETRANGE', k, '0', '-1'],
        ['APPEND', k, 'z'],
        ['SETRANGE', k, a(), 'q'],
        ['INCR', k],
        ['BITCOUNT', k],
      ];
    case 'list':
      return [
        ['LLEN', k],
        ['LRANGE', k, '0', '-1'],
        ['LINDEX', k, a()],
        ['LPOS', k, a()],
        ['LINSERT', k, 'BEFORE', a(), 'new'],
        ['LSET', k, '0', 'set'],
        ['LREM', k, '0', a()],
        ['RPOP', k],
        ['LPOP', k, '2'],
        ['LTRIM', k, '1', '-2'],
        ['RPUSH', k, 'tail'],
        ['LRANGE', k, '-3', '-1'],
        ['SORT', k, 'ALPHA'],
      ];
    case 'set':
      return [
        ['SCARD', k],
        ['SMEMBERS', k],
        ['SISMEMBER', k, a()],
        ['SMISMEMBER', k, a(), a()],
        ['SRANDMEMBER', k, '-5'],
        ['SINTER', k, k],
        ['SDIFF', k],
        ['SUNION', k, k],
        ['SADD', k, a(), 'new'],
        ['SREM', k, a()],
        ['SPOP', k],
        ['SSCAN', k, '0', 'COUNT', '3'],
        ['SINTERCARD', '1', k],
      ];
    case 'zset':
      return [
        ['ZCARD', k],
        ['ZRANGE', k, '0', '-1', 'WITHSCORES'],
        ['ZREVRANGE', k, '0', '2'],
        ['ZRANGEBYSCORE', k, '-inf', '+inf', 'WITHSCORES'],
        ['ZRANGEBYLEX', k, '-', '+'],
        ['ZRANK', k, a()],
        ['ZSCORE', k, a()],
        ['ZCOUNT', k, '0', 'inf'],
        ['ZADD', k, '3', a()],
        ['ZINCRBY', k, '2', a()],
        ['ZREM', k, a()],
        ['ZPOPMIN', k],
        ['ZRANDMEMBER', k, '-3', 'WITHSCORES'],
        ['ZSCAN', k, '0'],
        ['ZUNIONSTORE', k, '1', k],
      ];
    case 'hash':
      return [
        ['HLEN', k],
        ['HGETALL', k],
        ['HKEYS', k],
        ['HGET', k, a()],
        ['HMGET', k, a(), a()],
        ['HSTRLEN', k, a()],
        ['HEXISTS', k, a()],
        ['HSET', k, a(), 'new'],
        ['HINCRBY', k, a(), '1'],
        ['HDEL', k, a()],
        ['HRANDFIELD', k, '-3', 'WITHVALUES'],
        ['HSCAN', k, '0'],
        ['HSETNX', k, a(), 'x'],
      ];
    case 'stream':
      return [
        ['XLEN', k],
        ['XRANGE', k, '-', '+'],
        ['XREVRANGE', k, '+', '-', 'COUNT', '3'],
        ['XINFO', 'STREAM', k, 'FULL'],
        ['XINFO', 'GROUPS', k],
        ['XINFO', 'CONSUMERS', k, 'g'],
        ['XPENDING', k, 'g'],
        ['XPENDING', k, 'g', '-', '+', '10'],
        ['XADD', k, '*', 'f', 'v'],
        ['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '2', 'STREAMS', k, '>'],
        ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', k, '0'],
        ['XAUTOCLAIM', k, 'g', 'd', '0', '0-0'],
        ['XCLAIM', k, 'g', 'e', '0', '0-1', '1-1'],
        ['XACK', k, 'g', '1-1'],
        ['XDEL', k, '1-1'],
        ['XTRIM', k, 'MAXLEN', '2'],
        ['XREAD', 'COUNT', '2', 'STREAMS', k, '0'],
        ['XSETID', k, '$'],
      ];
    default:
      return [];
  }
}

/** Some elements of the value (for arguments that hit them). */
async function membersOf(c: RawConn, type: string, k: string): Promise<string[]> {
  const cmd =
    type === 'list'
      ? ['LRANGE', k, '0', '5']
      : type === 'set'
        ? ['SRANDMEMBER', k, '5']
        : type === 'zset'
          ? ['ZRANGE', k, '0', '5']
          : type === 'hash'
            ? ['HRANDFIELD', k, '5']
            : null;
  if (cmd === null) return [];
  const raw = await c.call(...cmd);
  const out: string[] = [];
  const re = /\$(\d+)\r\n/g;
  for (let m = re.exec(raw); m !== null; m = re.exec(raw)) {
    out.push(raw.slice(m.index + m[0].length, m.index + m[0].length + Number(m[1])));
    re.lastIndex = m.index + m[0].length + Number(m[1]);
  }
  return out;
}

/** Resident memory of a process, MB (0 when unknown). */
function rssMb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m === null ? 0 : Number(m[1]) / 1024;
  } catch {
    return 0;
  }
}

/** DEBUG DIGEST-VALUE of a key, as the raw reply. */
const digest = (c: RawConn, k: string) => c.call('DEBUG', 'DIGEST-VALUE', k);

/**
 * Runs the fuzzer against tsdis on `port` (enable-debug-command yes). Never
 * throws for what it finds: problems are in `failures`.
 */
export async function fuzzRestore(port: number, o: FuzzOptions): Promise<FuzzStats> {
  const r = rng(o.seed);
  const st: FuzzStats = {
    payloads: 0,
    accepted: 0,
    rejected: 0,
    commands: 0,
    errorReplies: 0,
    byMode: { no: { accepted: 0, rejected: 0 }, yes: { accepted: 0, rejected: 0 } },
    maxRssMb: 0,
    diff: {
      payloads: 0,
      bothAccepted: 0,
      bothRejected: 0,
      onlyTsdisRejected: 0,
      onlyRedisRejected: 0,
      digestMismatch: 0,
      redisHung: 0,
      tsdisOnlyTypes: 0,
    },
    failures: [],
    onlyTsdisRejected: [],
  };
  const c = await RawConn.connect(port);
  const ping = await RawConn.connect(port);
  const fail = (what: string, p: string) => {
    if (st.failures.length < 50) st.failures.push(`${what}; payload ${Buffer.from(p, 'latin1').toString('hex')}`);
  };
  /** A command's reply, checked for well-formed RESP. */
  const call = async (conn: RawConn, cmd: string[], p: string): Promise<string> => {
    const reply = await conn.call(...cmd);
    try {
      if (strictReplyLength(reply) !== reply.length) throw new Error('trailing bytes');
    } catch (e) {
      fail(`malformed reply to ${cmd[0]}: ${(e as Error).message}: ${JSON.stringify(reply.slice(0, 200))}`, p);
    }
    return reply;
  };
  const alive = async (p: string) => {
    const t0 = Date.now();
    const pong = await ping.call('PING');
    if (pong !== '+PONG\r\n' || Date.now() - t0 > 3000)
      fail(`PING on another connection: ${JSON.stringify(pong)} after ${Date.now() - t0} ms`, p);
    const mb = rssMb(o.pid);
    if (mb > st.maxRssMb) st.maxRssMb = mb;
    if (mb > (o.maxRssMb ?? 600)) fail(`memory: ${mb.toFixed(0)} MB resident`, p);
  };
  try {
    await c.call('FLUSHDB');
    const corpus = [
      ...(await dumps(c, await fillTypes(c, 'src:'))),
      ...builtPayloads(r, false),
      ...builtPayloads(r, true),
    ];
    await c.call('FLUSHDB');
    let mode = 'no';
    for (let i = 0; i < o.payloads; i++) {
      if (i % 50 === 0) {
        mode = mode === 'no' ? 'yes' : 'no';
        await c.call('CONFIG', 'SET', 'sanitize-dump-payload', mode);
        if (i % 1000 === 0) {
          await c.call('FLUSHDB');
          o.log?.(
            `${i} payloads: ${st.accepted} accepted, ${st.rejected} refused, ${st.commands} commands, ${st.maxRssMb.toFixed(0)} MB max RSS`,
          );
        }
        if (i % 200 === 0) {
          // fresh duplicate-laden payloads now and then
          corpus.push(...builtPayloads(r, r() < 0.5));
          if (corpus.length > 400) corpus.splice(60, corpus.length - 400);
        }
      }
      const base = pick(r, corpus);
      const p = r() < 0.03 ? withCrc(base) : corrupt(r, base, pick(r, corpus));
      st.payloads++;
      const reply = await call(c, ['RESTORE', 'k', '0', p, 'REPLACE'], p);
      if (reply === '-ERR Bad data format\r\n') {
        st.rejected++;
        st.byMode[mode]!.rejected++;
        if ((await c.call('EXISTS', 'k')) !== ':0\r\n') fail('a refused RESTORE left the key', p);
        await alive(p);
        continue;
      }
      if (reply !== '+OK\r\n') {
        fail(`RESTORE replied ${JSON.stringify(reply)}`, p);
        continue;
      }
      st.accepted++;
      st.byMode[mode]!.accepted++;
      const type = (await call(c, ['TYPE', 'k'], p)).slice(1, -2);
      // what was accepted DUMPs and RESTOREs again, with the same digest
      const d0 = await digest(c, 'k');
      const again = await call(c, ['DUMP', 'k'], p);
      const m = /^\$(\d+)\r\n/.exec(again);
      if (m === null) fail(`DUMP of an accepted value: ${JSON.stringify(again.slice(0, 100))}`, p);
      else {
        const back = await call(
          c,
          ['RESTORE', 'k2', '0', again.slice(m[0].length, m[0].length + Number(m[1])), 'REPLACE'],
          p,
        );
        if (back !== '+OK\r\n') fail(`the DUMP of an accepted value does not RESTORE: ${back}`, p);
        else if ((await digest(c, 'k2')) !== d0) fail('the DUMP of an accepted value RESTOREs to another digest', p);
      }
      const members = await membersOf(c, type, 'k');
      const cmds = commandsFor(r, type, 'k', members);
      for (let j = 0; j < 12 && cmds.length > 0; j++) {
        const reply2 = await call(c, pick(r, cmds), p);
        st.commands++;
        if (reply2.startsWith('-')) st.errorReplies++;
      }
      for (const cmd of [
        ['OBJECT', 'ENCODING', 'k'],
        ['MEMORY', 'USAGE', 'k'],
        ['DEBUG', 'DIGEST-VALUE', 'k'],
        ['COPY', 'k', 'k3', 'REPLACE'],
        ['DUMP', 'k'],
      ]) {
        await call(c, cmd, p);
        st.commands++;
      }
      if (st.accepted % 250 === 0) {
        // the values survive a save and load
        o.hold?.(true);
        const rl = await call(c, ['DEBUG', 'RELOAD'], p);
        o.hold?.(false);
        if (rl !== '+OK\r\n') fail(`DEBUG RELOAD: ${rl}`, p);
      }
      await c.call('DEL', 'k', 'k2', 'k3');
      await alive(p);
    }
    if (o.redisPort !== undefined) await differential(r, c, o.redisPort, o.restartRedis, o.diffPayloads ?? 0, st, fail);
    await alive('');
  } catch (e) {
    st.failures.push(`fuzzer stopped: ${(e as Error).message}`);
  } finally {
    c.close();
    ping.close();
  }
  return st;
}

/**
 * Mutations of redis-server's own DUMPs RESTOREd into both servers under
 * sanitize-dump-payload yes: Redis refusing means tsdis refuses; both
 * accepting means the same DEBUG DIGEST-VALUE. Payloads whose type byte is
 * one of Redis 7.4's (22-25, which tsdis reads and 7.0/7.2 do not) are
 * counted apart.
 */
async function differential(
  r: Rand,
  t: RawConn,
  redisPort: number,
  restart: (() => Promise<number>) | undefined,
  n: number,
  st: FuzzStats,
  fail: (what: string, p: string) => void,
): Promise<void> {
  let rc = await RawConn.connect(redisPort);
  const setup = async (c: RawConn) => c.call('CONFIG', 'SET', 'sanitize-dump-payload', 'yes');
  try {
    await rc.call('FLUSHALL');
    const corpus = await dumps(rc, await fillTypes(rc, 'src:'));
    await rc.call('FLUSHALL');
    await setup(t);
    await setup(rc);
    for (let i = 0; i < n; i++) {
      const p = corrupt(r, pick(r, corpus), pick(r, corpus));
      st.diff.payloads++;
      const a = await t.call('RESTORE', 'k', '0', p, 'REPLACE');
      let b: string;
      rc.write(encode(['RESTORE', 'k', '0', p, 'REPLACE']));
      try {
        b = await rc.read(2000);
      } catch {
        // Redis hung on it: a new one
        st.diff.redisHung++;
        rc.close();
        if (restart === undefined) return;
        rc = await RawConn.connect(await restart());
        await setup(rc);
        await t.call('DEL', 'k');
        continue;
      }
      const okA = a === '+OK\r\n';
      const okB = b === '+OK\r\n';
      if (!okA && a !== '-ERR Bad data format\r\n') fail(`tsdis RESTORE replied ${JSON.stringify(a)}`, p);
      if (!okB && b !== '-ERR Bad data format\r\n') fail(`redis-server RESTORE replied ${JSON.stringify(b)}`, p);
      if (okA && okB) {
        st.diff.bothAccepted++;
        if ((await digest(t, 'k')) !== (await digest(rc, 'k'))) {
          st.diff.digestMismatch++;
          fail('tsdis and redis-server accepted it with different digests', p);
        }
      } else if (okA) {
        if (p.charCodeAt(0) >= 22 && p.charCodeAt(0) <= 25) st.diff.tsdisOnlyTypes++;
        else {
          st.diff.onlyRedisRejected++;
          fail('redis-server refused it, tsdis accepted it', p);
        }
      } else if (okB) {
        st.diff.onlyTsdisRejected++;
        if (st.onlyTsdisRejected.length < 20) st.onlyTsdisRejected.push(Buffer.from(p, 'latin1').toString('hex'));
      } else st.diff.bothRejected++;
      await t.call('DEL', 'k');
      await rc.call('DEL', 'k');
    }
  } finally {
    rc.close();
  }
}
