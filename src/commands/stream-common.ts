/**
 * What the stream command files share (stream.ts: entries and reads,
 * stream-groups.ts: consumer groups, stream-info.ts: XINFO): the error
 * texts, argument parsers for IDs, the typed lookup and the entry replies.
 */
import { lookupTyped } from './args.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { parseInt64 } from '../util/numbers.js';
import type { Reply } from '../protocol/writer.js';
import type { Db } from '../keyspace/db.js';
import type { Server } from '../server/server.js';
import { Stream, decrId, incrId, parseId, type StreamId } from '../types/stream.js';
import { respBytes } from '../protocol/resp-bytes.js';

// ---------------------------------------------------------------------------
// Helpers

/** An int64 argument (getLongLongFromObjectOrReply), with Redis's default or a given error text. */
export function argLL(s: string, err: string = Err.notInteger): number {
  const n = parseInt64(s);
  if (n === null) throw new ReplyError(err);
  return typeof n === 'bigint' ? Number(n) : n;
}

/** A strict ID (no `-`/`+`); a missing sequence is 0. */
export function strictId(s: string): StreamId {
  const p = parseId(s, 0n, true);
  if (p === null) throw new ReplyError(Err.streamInvalidId);
  return p.id;
}

/** A range bound: `-`, `+`, `ms`, `ms-seq`, and `(` exclusive forms. */
export function rangeBound(s: string, start: boolean): StreamId {
  const ex = s.length > 1 && s[0] === '(';
  const p = parseId(ex ? s.slice(1) : s, start ? 0n : 0xffffffffffffffffn, ex);
  if (p === null) throw new ReplyError(Err.streamInvalidId);
  if (!ex) return p.id;
  const r = start ? incrId(p.id) : decrId(p.id);
  if (r === null) throw new ReplyError(start ? Err.streamStartInterval : Err.streamEndInterval);
  return r;
}

export function lookupStream(db: Db, key: string, write = false): Stream | undefined {
  return lookupTyped(db, key, 'stream', write);
}

/** Replies one entry: [id, [field, value, ...]]. */
export function replyEntry(reply: Reply, id: string, fv: string[]): void {
  reply.array(2);
  reply.bulk(id);
  reply.array(fv.length);
  for (const x of fv) reply.bulk(x);
}

/** An entry to reply: its ID's text and its fields and values (null: deleted, or JUSTID). */
export type Entry = [string, string[] | null];

export function replyEntries(reply: Reply, es: Entry[]): void {
  reply.array(es.length);
  for (const [id, fv] of es) {
    if (fv === null) {
      reply.array(2);
      reply.bulk(id);
      reply.nullArray();
    } else replyEntry(reply, id, fv);
  }
}

/** Entries already written as their reply (renderRange): how many, and the RESP of each in turn. */
export interface Rendered {
  n: number;
  resp: string;
}

/**
 * The live entries between the bounds (up to `count`, 0: all), written
 * from the nodes' bytes: the reply replyEntries sends for their idText and
 * fvAt, without making those strings and arrays.
 */
export function renderRange(s: Stream, start: StreamId, end: StreamId, rev: boolean, count: number): Rendered {
  const w = respBytes.begin();
  const n = s.range(start, end, rev, count, (node, i) => node.writeEntry(i, w));
  return { n, resp: w.take() };
}

/** replyEntries for rendered entries. */
export function replyRendered(reply: Reply, r: Rendered): void {
  reply.array(r.n);
  if (r.n > 0) reply.raw(r.resp);
}

/** Signals readers blocked on `key` that the stream changed in place. */
export function signalReady(db: Db, key: string): void {
  if (db.onReady !== null) db.onReady(db, key);
}

export function nodeLimits(server: Server): [number, number] {
  return [server.config.v['stream-node-max-entries'], server.config.v['stream-node-max-bytes']];
}

/** Propagation ops collected while serving a group read or a claim. */
export type Ops = string[][];
