/**
 * What the stream command files share (stream.ts: entries and reads,
 * stream-groups.ts: consumer groups, stream-info.ts: XINFO): the error
 * texts, argument parsers for IDs, the typed lookup and the entry replies.
 */
import { cfmt } from '../util/strings.js';
import { lookupTyped } from './args.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { parseInt64 } from '../util/numbers.js';
import type { Reply } from '../protocol/writer.js';
import type { Db } from '../keyspace/db.js';
import type { Server } from '../server/server.js';
import { Stream, decrId, fmtId, incrId, parseId, type StreamId } from '../types/stream.js';

export const E = {
  invalidId: 'ERR Invalid stream ID specified as stream command argument',
  addZero: 'ERR The ID specified in XADD must be greater than 0-0',
  addSmaller: 'ERR The ID specified in XADD is equal or smaller than the target stream top item',
  exhausted: 'ERR The stream has exhausted the last possible ID, unable to add more items',
  maxlenNeg: 'ERR The MAXLEN argument must be >= 0.',
  limitNeg: 'ERR The LIMIT argument must be >= 0.',
  bothStrategies: 'ERR syntax error, MAXLEN and MINID options at the same time are not compatible',
  limitNoStrategy: 'ERR syntax error, LIMIT cannot be used without specifying a trimming strategy',
  limitNoApprox: 'ERR syntax error, LIMIT cannot be used without the special ~ option',
  trimNoStrategy: 'ERR syntax error, XTRIM must be called with a trimming strategy',
  startInterval: 'ERR invalid start ID for the interval',
  endInterval: 'ERR invalid end ID for the interval',
  busyGroup: 'BUSYGROUP Consumer Group name already exists',
  needKey:
    'ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.',
  entriesReadNeg: 'ERR value for ENTRIESREAD must be positive or -1',
  timeoutNotInt: 'ERR timeout is not an integer or out of range',
  timeoutNeg: 'ERR timeout is negative',
  dollarInGroup:
    'ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.',
  gtOutsideGroup:
    'ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.',
  groupInXread: 'ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.',
  noackInXread: 'ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.',
  missingGroup: 'ERR Missing GROUP option for XREADGROUP',
  unbalanced: (cmd: string, sym: string) =>
    `ERR Unbalanced '${cmd}' list of streams: for each stream key an ID or '${sym}' must be specified.`,
  noGroupRead: (key: string, group: string) =>
    cfmt`NOGROUP No such key '${key}' or consumer group '${group}' in XREADGROUP with GROUP option`,
  noKeyOrGroup: (key: string, group: string) => cfmt`NOGROUP No such key '${key}' or consumer group '${group}'`,
  noGroupForKey: (group: string, key: string) => cfmt`NOGROUP No such consumer group '${group}' for key name '${key}'`,
  setidProvidedDeleted: 'ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id',
  setidTop: 'ERR The ID specified in XSETID is smaller than the target stream top item',
  setidAdded: 'ERR The entries_added specified in XSETID is smaller than the target stream length',
  addedNeg: 'ERR entries_added must be positive',
  claimOpt: (o: string) => cfmt`ERR Unrecognized XCLAIM option '${o}'`,
  autoclaimCount: 'ERR COUNT must be > 0',
};

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
  if (p === null) throw new ReplyError(E.invalidId);
  return p.id;
}

/** A range bound: `-`, `+`, `ms`, `ms-seq`, and `(` exclusive forms. */
export function rangeBound(s: string, start: boolean): StreamId {
  const ex = s.length > 1 && s[0] === '(';
  const p = parseId(ex ? s.slice(1) : s, start ? 0n : 0xffffffffffffffffn, ex);
  if (p === null) throw new ReplyError(E.invalidId);
  if (!ex) return p.id;
  const r = start ? incrId(p.id) : decrId(p.id);
  if (r === null) throw new ReplyError(start ? E.startInterval : E.endInterval);
  return r;
}

export function lookupStream(db: Db, key: string, write = false): Stream | undefined {
  return lookupTyped(db, key, 'stream', write);
}

/** Replies one entry: [id, [field, value, ...]]. */
export function replyEntry(reply: Reply, id: StreamId, fv: string[]): void {
  reply.array(2);
  reply.bulk(fmtId(id));
  reply.array(fv.length);
  for (const x of fv) reply.bulk(x);
}

export type Entry = [StreamId, string[] | null];

export function replyEntries(reply: Reply, es: Entry[]): void {
  reply.array(es.length);
  for (const [id, fv] of es) {
    if (fv === null) {
      reply.array(2);
      reply.bulk(fmtId(id));
      reply.nullArray();
    } else replyEntry(reply, id, fv);
  }
}

export function collect(s: Stream, start: StreamId, end: StreamId, rev: boolean, count: number): Entry[] {
  const out: Entry[] = [];
  s.range(start, end, rev, count, (id, fv) => {
    out.push([id, fv]);
  });
  return out;
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
