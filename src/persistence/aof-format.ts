/**
 * The AOF's command format (persistence/aof.ts writes and loads it): RESP
 * multibulk commands, `#TS:<unix time>` annotation lines
 * (aof-timestamp-enabled), and the dataset written as commands for a base
 * without the RDB preamble, the way Redis's rewriteAppendOnlyFileRio writes
 * it: the function libraries first (FUNCTION LOAD), then per non-empty
 * database a SELECT and each key's commands (variadic ones batched 64 items
 * at a time), its TTL as PEXPIREAT.
 */
import { Buffer } from 'node:buffer';
import type { Server } from '../server/server.js';
import type { Db } from '../keyspace/db.js';
import { isString, strOf, type Value } from '../keyspace/value.js';
import { digits, formatDouble } from '../util/numbers.js';
import { streamRebuildCommands } from '../types/stream.js';
import type { SnapshotFormat } from './bgsave.js';
import type { RdbWriter } from './rdb.js';
import { libraryCodes } from '../scripting/functions.js';
import { writeFully } from '../util/files.js';
import { latin1Into } from '../util/latin1.js';
import { DOLLAR, putHeader, STAR } from '../protocol/resp-bytes.js';

/** A RESP multibulk command as a latin1 string. */
export function encodeCommand(argv: readonly string[]): string {
  let s = '*' + argv.length + '\r\n';
  for (const a of argv) s += '$' + a.length + '\r\n' + a + '\r\n';
  return s;
}

/** Bytes of encodeCommand(argv), without making the string. */
export function commandLength(argv: readonly string[]): number {
  let n = 3 + digits(argv.length);
  for (let i = 0; i < argv.length; i++) {
    const l = argv[i]!.length;
    n += 5 + digits(l) + l;
  }
  return n;
}

/**
 * Writes encodeCommand(argv)'s bytes into b at p (room checked with
 * commandLength): the replication feed writes straight into its buffer.
 * Returns the position after them.
 */
export function writeCommand(b: Buffer, p: number, argv: readonly string[]): number {
  p = putHeader(b, p, STAR, argv.length);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    p = putHeader(b, p, DOLLAR, a.length);
    p = latin1Into(b, p, a);
    b[p++] = 13;
    b[p++] = 10;
  }
  return p;
}

// ---------------------------------------------------------------------------
// Reading

/** The outcome of reading an AOF file's commands. */
export interface AofRead {
  /** Complete commands. */
  commands: string[][];
  /** The file offset where each command starts. */
  offsets: number[];
  /** Offset just after the last complete command. */
  end: number;
  /** Set when the file ends inside a command (a torn write). */
  truncated: boolean;
  /** Set when the bytes at `end` are not a command: a corrupt file. */
  bad: boolean;
}

/**
 * Strict reader of an AOF's commands: only multibulk `*N` of `$len` bulks,
 * as writers produce (Redis's loader accepts nothing else either). An `#`
 * annotation line (aof-timestamp-enabled) is skipped.
 */
export function readCommands(buf: Buffer, from = 0): AofRead {
  const commands: string[][] = [];
  const offsets: number[] = [];
  let pos = from;
  const len = buf.length;
  const line = (at: number): [number, number] | null => {
    const cr = buf.indexOf(13, at);
    if (cr < 0 || cr + 1 >= len) return null;
    if (buf[cr + 1] !== 10) return [NaN, cr];
    const t = buf.latin1Slice(at + 1, cr);
    const n = /^(0|[1-9][0-9]*)$/.test(t) ? Number(t) : NaN;
    return [n, cr + 2];
  };
  for (;;) {
    if (pos >= len) return { commands, offsets, end: pos, truncated: false, bad: false };
    const start = pos;
    const c0 = buf[pos];
    if (c0 === 35 /* # */) {
      const nl = buf.indexOf(10, pos);
      if (nl < 0) return { commands, offsets, end: start, truncated: true, bad: false };
      pos = nl + 1;
      continue;
    }
    if (c0 !== 42 /* * */) return { commands, offsets, end: start, truncated: false, bad: true };
    const h = line(pos);
    if (h === null) return { commands, offsets, end: start, truncated: true, bad: false };
    if (!(h[0] >= 1)) return { commands, offsets, end: start, truncated: false, bad: true };
    pos = h[1];
    const argv: string[] = [];
    for (let i = 0; i < h[0]; i++) {
      if (pos >= len) return { commands, offsets, end: start, truncated: true, bad: false };
      if (buf[pos] !== 36 /* $ */) return { commands, offsets, end: start, truncated: false, bad: true };
      const b = line(pos);
      if (b === null) return { commands, offsets, end: start, truncated: true, bad: false };
      if (!(b[0] >= 0)) return { commands, offsets, end: start, truncated: false, bad: true };
      const s = b[1];
      if (s + b[0] + 2 > len) return { commands, offsets, end: start, truncated: true, bad: false };
      if (buf[s + b[0]] !== 13 || buf[s + b[0] + 1] !== 10)
        return { commands, offsets, end: start, truncated: false, bad: true };
      argv.push(buf.latin1Slice(s, s + b[0]));
      pos = s + b[0] + 2;
    }
    commands.push(argv);
    offsets.push(start);
  }
}

/** The offset of the last `*1\r\n$5\r\nMULTI\r\n` before `end` (where an unfinished transaction starts). */
export function lastMultiOffset(buf: Buffer, end: number): number {
  const needle = Buffer.from('*1\r\n$5\r\nMULTI\r\n', 'latin1');
  const lower = Buffer.from('*1\r\n$5\r\nmulti\r\n', 'latin1');
  const a = buf.lastIndexOf(needle, end - needle.length);
  const b = buf.lastIndexOf(lower, end - lower.length);
  return Math.max(0, Math.max(a, b));
}

// ---------------------------------------------------------------------------
// The dataset as commands (a base file in AOF format)

/** Commands that rebuild one key (its value, then its TTL). Large collections are split in batches. */
export function keyCommands(key: string, v: Value, expireAt: number | bigint | undefined, out: string[][]): void {
  const BATCH = 64;
  const batched = (cmd: string, items: string[], per: number) => {
    for (let i = 0; i < items.length; i += BATCH * per) out.push([cmd, key, ...items.slice(i, i + BATCH * per)]);
  };
  if (isString(v)) out.push(['SET', key, strOf(v)]);
  else if (v.type === 'list') {
    batched('RPUSH', v.toArray().map(String), 1);
  } else if (v.type === 'hash') {
    const h = v;
    const items: string[] = [];
    h.forEach((f, x) => items.push(f, x));
    batched('HSET', items, 2);
    // Field TTLs (Redis 7.4 writes HMSET + HPEXPIREAT per field): one
    // HPEXPIREAT per distinct time, for up to 64 of its fields.
    if (h.hasFieldTtls()) {
      const byTime = new Map<number, string[]>();
      h.forEachExpire((f, at) => {
        const fs = byTime.get(at);
        if (fs === undefined) byTime.set(at, [f]);
        else fs.push(f);
      });
      for (const [at, fs] of byTime) {
        for (let i = 0; i < fs.length; i += BATCH) {
          const part = fs.slice(i, i + BATCH);
          out.push(['HPEXPIREAT', key, String(at), 'FIELDS', String(part.length), ...part]);
        }
      }
    }
  } else if (v.type === 'set') {
    batched('SADD', [...v.members()], 1);
  } else if (v.type === 'zset') {
    const items: string[] = [];
    for (const [m, s] of v.entries()) items.push(formatDouble(s), m);
    batched('ZADD', items, 2);
  } else if (v.type === 'stream') {
    out.push(...streamRebuildCommands(key, v));
  } else {
    throw new Error(`cannot write a value of type ${(v as { type: string }).type} to the AOF`);
  }
  if (expireAt !== undefined) out.push(['PEXPIREAT', key, String(expireAt)]);
}

/** A `#TS:<unix seconds>` annotation line (aof-timestamp-enabled). */
export function tsAnnotation(sec: number): string {
  return `#TS:${sec}\r\n`;
}

/**
 * Writes the dataset as commands to fd: a timestamp annotation (when
 * given), the function libraries (FUNCTION LOAD, as Redis's rewrite does
 * first), then every database's keys. Returns bytes written.
 */
export function writeDatasetAsCommands(
  fd: number,
  dbs: readonly Db[],
  libraries: readonly string[] = [],
  timestamp: number | null = null,
): number {
  let bytes = 0;
  let chunk = timestamp === null ? '' : tsAnnotation(timestamp);
  const put = (s: string) => {
    chunk += s;
    if (chunk.length >= 1 << 20) {
      bytes += writeAll(fd, chunk);
      chunk = '';
    }
  };
  for (const code of libraries) put(encodeCommand(['FUNCTION', 'LOAD', code]));
  for (const db of dbs) {
    if (db.dict.size === 0) continue;
    put(encodeCommand(['SELECT', String(db.id)]));
    const d = db.dict;
    const cmds: string[][] = [];
    for (let i = 0; i < d.size; i++) {
      const key = d.keyAt(i);
      cmds.length = 0;
      keyCommands(key, d.valAt(i), db.expires.get(key), cmds);
      for (const c of cmds) put(encodeCommand(c));
    }
  }
  if (chunk.length > 0) bytes += writeAll(fd, chunk);
  return bytes;
}

/** Appends a latin1 string to a snapshot writer's buffer. */
function putLatin1(w: RdbWriter, s: string): void {
  w.ensure(s.length);
  w.pos += w.buf.latin1Write(s, w.pos);
}

/**
 * The background snapshot's layout for a base without the RDB preamble:
 * the same commands writeDatasetAsCommands writes, key by key.
 */
export function commandsFormat(server: Server, timestamp: number | null): SnapshotFormat {
  const cmds: string[][] = [];
  return {
    header: (w) => {
      if (timestamp !== null) putLatin1(w, tsAnnotation(timestamp));
      for (const code of libraryCodes(server)) putLatin1(w, encodeCommand(['FUNCTION', 'LOAD', code]));
    },
    dbHeader: (w, id) => putLatin1(w, encodeCommand(['SELECT', String(id)])),
    keyValue: (w, key, v, at) => {
      cmds.length = 0;
      keyCommands(key, v, at, cmds);
      for (const c of cmds) putLatin1(w, encodeCommand(c));
    },
    valueJob: () => null,
    trailer: () => {},
  };
}

/** Writes a latin1 string completely (writeSync may write less than asked). */
export function writeAll(fd: number, s: string): number {
  const b = Buffer.from(s, 'latin1');
  writeFully(fd, b);
  return b.length;
}
