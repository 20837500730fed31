/**
 * Stream commands: XADD XLEN XRANGE XREVRANGE XDEL XTRIM XSETID XREAD
 * XREADGROUP XGROUP XACK XPENDING XCLAIM XAUTOCLAIM XINFO, over
 * types/stream.ts.
 *
 * Side effects: keyspace events of class `t` with Redis's names (xadd,
 * xtrim, xdel, xsetid, xgroup-create, xgroup-setid, xgroup-destroy,
 * xgroup-createconsumer, xgroup-delconsumer); a stream key created goes
 * through Db.set (the `new` event, WATCH, blocked clients); an append to an
 * existing stream signals blocked readers through Db.onReady itself, since
 * the key's value is changed in place.
 *
 * Propagation (AOF): XADD replays with the ID it generated and an
 * approximate trim as the exact trim it made (LIMIT dropped); XTRIM `~`
 * likewise; XREADGROUP, XCLAIM and XAUTOCLAIM replay as Redis's XCLAIM ...
 * FORCE JUSTID LASTID per entry given or taken, plus XGROUP SETID ...
 * ENTRIESREAD when the group's last ID moved, plus XGROUP CREATECONSUMER for
 * a consumer they created.
 *
 * Blocking: XREAD/XREADGROUP BLOCK park the client with server/blocking.ts;
 * a waiter is served when its stream gets an entry past the ID it waits for
 * (for a group, past the group's last delivered ID when it is served).
 */
import { cfmt } from '../util/strings.js';
import {
  command,
  keyAt,
  keysAfter,
  DELETE,
  INSERT,
  READ,
  READ_META,
  UPDATE,
  type CommandSpec,
  type Ctx,
} from './spec.js';
import { is, lookupTyped } from './args.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { parseInt64 } from '../util/numbers.js';
import { helpReply } from './server.js';
import type { Reply } from '../protocol/writer.js';
import type { Db } from '../keyspace/db.js';
import type { Server } from '../server/server.js';
import type { ServeFn } from '../server/blocking.js';
import {
  Consumer, ENTRIES_READ_INVALID, Group, ID_MAX, Stream, decrId, fmtId, incrId, parseId,
  type Nack, type StreamId, type TrimArgs,
} from '../types/stream.js';
import { xreadGetKeys } from './keys-of.js';

const E = {
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
  gtOutsideGroup: 'ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.',
  groupInXread: 'ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.',
  noackInXread: 'ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.',
  missingGroup: 'ERR Missing GROUP option for XREADGROUP',
  unbalanced: (cmd: string, sym: string) =>
    `ERR Unbalanced '${cmd}' list of streams: for each stream key an ID or '${sym}' must be specified.`,
  noGroupRead: (key: string, group: string) => cfmt`NOGROUP No such key '${key}' or consumer group '${group}' in XREADGROUP with GROUP option`,
  noKeyOrGroup: (key: string, group: string) => cfmt`NOGROUP No such key '${key}' or consumer group '${group}'`,
  noGroupForKey: (group: string, key: string) => cfmt`NOGROUP No such consumer group '${group}' for key name '${key}'`,
  setidProvidedDeleted: 'ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id',
  setidTop: 'ERR The ID specified in XSETID is smaller than the target stream top item',
  setidAdded: 'ERR The entries_added specified in XSETID is smaller than the target stream length',
  addedNeg: 'ERR entries_added must be positive',
  claimOpt: (o: string) => cfmt`ERR Unrecognized XCLAIM option '${o}'`,
  autoclaimCount: 'ERR COUNT must be > 0',
};

/** XREAD_BLOCKED_DEFAULT_COUNT: a blocked read without COUNT gets at most this many entries. */
const BLOCKED_DEFAULT_COUNT = 1000;

// ---------------------------------------------------------------------------
// Helpers

/** An int64 argument (getLongLongFromObjectOrReply), with Redis's default or a given error text. */
function argLL(s: string, err: string = Err.notInteger): number {
  const n = parseInt64(s);
  if (n === null) throw new ReplyError(err);
  return typeof n === 'bigint' ? Number(n) : n;
}

/** A strict ID (no `-`/`+`); a missing sequence is 0. */
function strictId(s: string): StreamId {
  const p = parseId(s, 0n, true);
  if (p === null) throw new ReplyError(E.invalidId);
  return p.id;
}

/** A range bound: `-`, `+`, `ms`, `ms-seq`, and `(` exclusive forms. */
function rangeBound(s: string, start: boolean): StreamId {
  const ex = s.length > 1 && s[0] === '(';
  const p = parseId(ex ? s.slice(1) : s, start ? 0n : 0xffffffffffffffffn, ex);
  if (p === null) throw new ReplyError(E.invalidId);
  if (!ex) return p.id;
  const r = start ? incrId(p.id) : decrId(p.id);
  if (r === null) throw new ReplyError(start ? E.startInterval : E.endInterval);
  return r;
}

function lookupStream(db: Db, key: string, write = false): Stream | undefined {
  return lookupTyped<Stream>(db, key, 'stream', write);
}

/** Replies one entry: [id, [field, value, ...]]. */
function replyEntry(reply: Reply, id: StreamId, fv: string[]): void {
  reply.array(2);
  reply.bulk(fmtId(id));
  reply.array(fv.length);
  for (const x of fv) reply.bulk(x);
}

type Entry = [StreamId, string[] | null];

function replyEntries(reply: Reply, es: Entry[]): void {
  reply.array(es.length);
  for (const [id, fv] of es) {
    if (fv === null) {
      reply.array(2);
      reply.bulk(fmtId(id));
      reply.nullArray();
    } else replyEntry(reply, id, fv);
  }
}

function collect(s: Stream, start: StreamId, end: StreamId, rev: boolean, count: number): Entry[] {
  const out: Entry[] = [];
  s.range(start, end, rev, count, (id, fv) => {
    out.push([id, fv]);
  });
  return out;
}

/** Signals readers blocked on `key` that the stream changed in place. */
function signalReady(db: Db, key: string): void {
  if (db.onReady !== null) db.onReady(db, key);
}

function nodeLimits(server: Server): [number, number] {
  return [Number(server.config.v['stream-node-max-entries']), Number(server.config.v['stream-node-max-bytes'])];
}

// ---------------------------------------------------------------------------
// XADD / XTRIM

interface AddTrimArgs {
  trim: TrimArgs | null;
  /** argv index of the `~`/`=` (or -1) and of the threshold. */
  approxIdx: number;
  argIdx: number;
  /** argv indexes of a LIMIT keyword and its value (dropped when replayed). */
  limitIdx: number;
  noMkStream: boolean;
  id: StreamId;
  idGiven: boolean;
  seqGiven: boolean;
  /** Index where the ID is (XADD) or argv.length. */
  i: number;
}

/**
 * Parses XADD's (from argv[2]) or XTRIM's options as Redis's
 * streamParseAddOrTrimArgsOrReply, errors in its order.
 */
function parseAddTrim(ctx: Ctx, xadd: boolean): AddTrimArgs {
  const argv = ctx.argv;
  const a: AddTrimArgs = { trim: null, approxIdx: -1, argIdx: -1, limitIdx: -1, noMkStream: false, id: 0n, idGiven: false, seqGiven: true, i: 2 };
  let strategy: 'maxlen' | 'minid' | null = null;
  let approx = false;
  let maxlen = 0;
  let minid: StreamId = 0n;
  let limit = 0;
  let limitGiven = false;
  let i = 2;
  for (; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    const opt = argv[i]!;
    if (xadd && opt === '*') break;
    if ((is(opt, 'MAXLEN') || is(opt, 'MINID')) && more > 0) {
      if (strategy !== null) throw new ReplyError(E.bothStrategies);
      approx = false;
      const next = argv[i + 1]!;
      a.approxIdx = -1;
      if (more >= 2 && next === '~') {
        approx = true;
        a.approxIdx = ++i;
      } else if (more >= 2 && next === '=') {
        a.approxIdx = ++i;
      }
      if (is(opt, 'MAXLEN')) {
        maxlen = argLL(argv[i + 1]!);
        if (maxlen < 0) throw new ReplyError(E.maxlenNeg);
        strategy = 'maxlen';
      } else {
        minid = strictId(argv[i + 1]!);
        strategy = 'minid';
      }
      a.argIdx = ++i;
    } else if (is(opt, 'LIMIT') && more > 0) {
      limit = argLL(argv[i + 1]!);
      if (limit < 0) throw new ReplyError(E.limitNeg);
      limitGiven = true;
      a.limitIdx = i;
      i++;
    } else if (xadd && is(opt, 'NOMKSTREAM')) {
      a.noMkStream = true;
    } else if (xadd) {
      const p = parseId(opt, 0n, true, true);
      if (p === null) throw new ReplyError(E.invalidId);
      a.id = p.id;
      a.idGiven = true;
      a.seqGiven = p.seqGiven;
      break;
    } else throw new ReplyError(Err.syntax);
  }
  a.i = i;
  if (limit !== 0 && strategy === null) throw new ReplyError(E.limitNoStrategy);
  if (!xadd && strategy === null) throw new ReplyError(E.trimNoStrategy);
  if (limitGiven) {
    if (!approx) throw new ReplyError(E.limitNoApprox);
  } else if (approx) {
    limit = 100 * Number(ctx.server.config.v['stream-node-max-entries']);
    if (limit <= 0 || limit > 1 << 30) limit = 10000;
  } else limit = 0;
  if (strategy !== null) a.trim = { strategy, maxlen, minid, approx, limit };
  return a;
}

/**
 * The command to replay after an approximate trim: `=` for `~`, the
 * threshold as what the trim reached (the length for MAXLEN, the first
 * entry for MINID), without LIMIT.
 */
function exactTrimArgv(argv: string[], a: AddTrimArgs, s: Stream): string[] {
  const out = argv.slice();
  out[a.approxIdx] = '=';
  if (a.trim!.strategy === 'maxlen') out[a.argIdx] = String(s.length);
  else out[a.argIdx] = fmtId(s.nodes.length === 0 ? ID_MAX : s.nodes[0]!.ids[0]!);
  if (a.limitIdx >= 0) out.splice(a.limitIdx, 2);
  return out;
}

/** XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value ...] */
function xadd(ctx: Ctx): void {
  const { argv, db, reply, server } = ctx;
  const key = argv[1]!;
  const a = parseAddTrim(ctx, true);
  const fieldPos = a.i + 1;
  if (argv.length - fieldPos < 2 || (argv.length - fieldPos) % 2 === 1) throw new ReplyError(Err.wrongArgs('xadd'));
  if (a.idGiven && a.seqGiven && a.id === 0n) throw new ReplyError(E.addZero);
  let s = lookupStream(db, key, true);
  const created = s === undefined;
  if (s === undefined) {
    if (a.noMkStream) return reply.null();
    s = new Stream();
  }
  if (s.lastId === ID_MAX) throw new ReplyError(E.exhausted);
  let id: StreamId;
  if (a.idGiven) {
    if (a.seqGiven) id = a.id;
    else if (a.id >> 64n === s.lastId >> 64n) {
      // Redis 7.2 reports the overflow of an `ms-*` sequence as an ID not above the top (7.0: "too large")
      if ((s.lastId & 0xffffffffffffffffn) === 0xffffffffffffffffn) throw new ReplyError(E.addSmaller);
      id = s.lastId + 1n;
    } else id = a.id;
  } else {
    const ms = BigInt(server.now());
    id = ms > s.lastId >> 64n ? ms << 64n : s.lastId + 1n;
  }
  if (id <= s.lastId) throw new ReplyError(E.addSmaller);
  const [maxEntries, maxBytes] = nodeLimits(server);
  s.append(id, argv.slice(fieldPos), maxEntries, maxBytes);
  reply.bulk(fmtId(id));
  if (created) db.set(key, s);
  else {
    db.modified(key);
    signalReady(db, key);
  }
  db.notify('t', 'xadd', key);
  let out = argv;
  if (a.trim !== null) {
    if (s.trim(a.trim) > 0) db.notify('t', 'xtrim', key);
    if (a.trim.approx) out = exactTrimArgv(argv, a, s);
    db.remeasure(key); // (the change was signalled before the trim)
  }
  if (!a.idGiven || !a.seqGiven) {
    out = out === argv ? argv.slice() : out;
    // the ID's index moves back by two when LIMIT was dropped before it
    const idIdx = a.i - (out.length < argv.length ? 2 : 0);
    out[idIdx] = fmtId(id);
  }
  if (out !== argv) ctx.prop = [out];
}

/** XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count] */
function xtrim(ctx: Ctx): void {
  const { argv, db, reply } = ctx;
  const key = argv[1]!;
  const a = parseAddTrim(ctx, false);
  const s = lookupStream(db, key, true);
  if (s === undefined) return reply.int(0);
  const deleted = s.trim(a.trim!);
  if (deleted > 0) {
    db.notify('t', 'xtrim', key);
    if (a.trim!.approx) ctx.prop = [exactTrimArgv(argv, a, s)];
    db.modified(key, deleted);
  }
  reply.int(deleted);
}

/** XDEL key id [id ...] */
function xdel(ctx: Ctx): void {
  const { argv, db, reply } = ctx;
  const key = argv[1]!;
  const s = lookupStream(db, key, true);
  if (s === undefined) return reply.int(0);
  const ids = argv.slice(2).map(strictId);
  let deleted = 0;
  let first = false;
  for (const id of ids) {
    if (!s.delete(id)) continue;
    if (id === s.firstId) first = true;
    if (id > s.maxDeletedId) s.maxDeletedId = id;
    deleted++;
  }
  if (deleted > 0) {
    if (s.length === 0) s.firstId = 0n;
    else if (first) s.updateFirstId();
    db.modified(key, deleted);
    db.notify('t', 'xdel', key);
  }
  reply.int(deleted);
}

/** XLEN key */
function xlen(ctx: Ctx): void {
  const s = lookupStream(ctx.db, ctx.argv[1]!);
  ctx.reply.int(s === undefined ? 0 : s.length);
}

/** XRANGE/XREVRANGE key a b [COUNT count] */
function xrangeGeneric(ctx: Ctx, rev: boolean): void {
  const { argv, reply } = ctx;
  const start = rangeBound(rev ? argv[3]! : argv[2]!, true);
  const end = rangeBound(rev ? argv[2]! : argv[3]!, false);
  let count = -1;
  for (let j = 4; j < argv.length; j++) {
    if (is(argv[j], 'COUNT') && j + 1 < argv.length) {
      count = argLL(argv[++j]!);
      if (count < 0) count = 0;
    } else throw new ReplyError(Err.syntax);
  }
  const s = lookupStream(ctx.db, argv[1]!);
  if (s === undefined) return reply.array(0);
  if (count === 0) return reply.nullArray();
  replyEntries(reply, collect(s, start, end, rev, count === -1 ? 0 : count));
}

/** XRANGE key start end [COUNT count] */
function xrange(ctx: Ctx): void {
  xrangeGeneric(ctx, false);
}
/** XREVRANGE key end start [COUNT count] */
function xrevrange(ctx: Ctx): void {
  xrangeGeneric(ctx, true);
}

/** XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id] */
function xsetid(ctx: Ctx): void {
  const { argv, db, reply } = ctx;
  const id = strictId(argv[2]!);
  let added = -1;
  let maxDel: StreamId = 0n;
  for (let i = 3; i < argv.length; i += 2) {
    const more = argv.length - 1 - i;
    if (is(argv[i], 'ENTRIESADDED') && more > 0) {
      added = argLL(argv[i + 1]!);
      if (added < 0) throw new ReplyError(E.addedNeg);
    } else if (is(argv[i], 'MAXDELETEDID') && more > 0) {
      maxDel = strictId(argv[i + 1]!);
      if (id < maxDel) throw new ReplyError(E.setidProvidedDeleted);
    } else throw new ReplyError(Err.syntax);
  }
  const s = lookupStream(db, argv[1]!, true);
  if (s === undefined) throw new ReplyError(Err.noSuchKey);
  // Redis 7.2: never below what was already deleted
  if (id < s.maxDeletedId) throw new ReplyError('ERR The ID specified in XSETID is smaller than current max_deleted_entry_id');
  if (s.length > 0) {
    if (id < s.lastValidId()) throw new ReplyError(E.setidTop);
    if (added !== -1 && s.length > added) throw new ReplyError(E.setidAdded);
  }
  s.lastId = id;
  if (added !== -1) s.entriesAdded = added;
  if (maxDel !== 0n) s.maxDeletedId = maxDel;
  reply.ok();
  ctx.server.dirty++; // (Redis signals no modification for XSETID and the group commands)
  db.notify('t', 'xsetid', argv[1]!);
}

// ---------------------------------------------------------------------------
// Consumer groups: reading with a group

/** Propagation ops collected while serving a group read or a claim. */
type Ops = string[][];

function xclaimProp(key: string, group: Group, idArg: string, nack: Nack): string[] {
  return ['XCLAIM', key, group.name, nack.consumer.name, '0', idArg, 'TIME', String(nack.deliveryTime), 'RETRYCOUNT', String(nack.deliveryCount), 'FORCE', 'JUSTID', 'LASTID', fmtId(group.lastId)];
}

function setidProp(key: string, group: Group): string[] {
  return ['XGROUP', 'SETID', key, group.name, fmtId(group.lastId), 'ENTRIESREAD', String(group.entriesRead)];
}

/**
 * A consumer of the group, created when missing (the xgroup-createconsumer
 * event, a dirty change, and XGROUP CREATECONSUMER to replay).
 */
function consumerOf(server: Server, db: Db, key: string, g: Group, name: string, now: number, ops: Ops | null): Consumer {
  let c = g.consumers.get(name);
  if (c === undefined) {
    c = new Consumer(name, now);
    g.consumers.set(name, c);
    db.remeasure(key);
    server.dirty++;
    db.notify('t', 'xgroup-createconsumer', key);
    ops?.push(['XGROUP', 'CREATECONSUMER', key, g.name, name]);
  }
  return c;
}

/**
 * Serves a group read of new entries after `gt` (Redis's streamReplyWithRange
 * with a group): moves the group's last ID and read counter, adds the
 * entries to the PELs (unless noack). Returns the entries.
 */
function readGroupNew(s: Stream, key: string, g: Group, c: Consumer, gt: StreamId, count: number, noack: boolean, now: number, ops: Ops): Entry[] {
  const out: Entry[] = [];
  let moved = false;
  const start = incrId(gt);
  if (start === null) return out;
  s.range(start, ID_MAX, false, count, (id, fv) => {
    if (id > g.lastId) {
      if (g.entriesRead !== ENTRIES_READ_INVALID && !s.rangeHasTombstones(id, ID_MAX)) g.entriesRead++;
      else if (s.entriesAdded !== 0) g.entriesRead = s.estimateDistance(id);
      g.lastId = id;
      moved = true;
    }
    out.push([id, fv]);
    if (!noack) {
      let nack = g.pel.get(id);
      if (nack === undefined) {
        nack = { id, consumer: c, deliveryTime: now, deliveryCount: 1 };
        g.pel.set(id, nack);
        c.pel.set(id, nack);
      } else {
        nack.consumer.pel.delete(id);
        nack.consumer = c;
        nack.deliveryTime = now;
        nack.deliveryCount = 1;
        c.pel.set(id, nack);
      }
      ops.push(xclaimProp(key, g, fmtId(id), nack));
    }
  });
  if (moved) ops.push(setidProp(key, g));
  return out;
}

/** The consumer's own pending entries from `start` (XREADGROUP with an explicit ID). */
function readGroupHistory(s: Stream, c: Consumer, start: StreamId, count: number, now: number): Entry[] {
  const out: Entry[] = [];
  for (const [id, nack] of c.pel.from(c.pel.lowerBound(start))) {
    if (count !== 0 && out.length >= count) break;
    const fv = s.get(id);
    if (fv === undefined) out.push([id, null]);
    else {
      nack.deliveryTime = now;
      nack.deliveryCount++;
      out.push([id, fv]);
    }
  }
  return out;
}

/** Replies the XREAD/XREADGROUP result: per stream [key, entries] (RESP3: a map). */
function replyRead(reply: Reply, results: [string, Entry[]][]): void {
  if (reply.resp === 2) reply.array(results.length);
  else reply.map(results.length);
  for (const [key, es] of results) {
    if (reply.resp === 2) reply.array(2);
    reply.bulk(key);
    replyEntries(reply, es);
  }
}

function mayBlock(ctx: Ctx): boolean {
  return ctx.client.kind !== 'internal' && !ctx.client.inExec;
}

/**
 * XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]
 * XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id [id ...]
 */
function xreadGeneric(ctx: Ctx, group: boolean): void {
  const { argv, db, reply, server } = ctx;
  let timeout = -1;
  let count = 0;
  let streamsArg = 0;
  let nStreams = 0;
  let noack = false;
  let groupName: string | null = null;
  let consumerName = '';
  for (let i = 1; i < argv.length; i++) {
    const more = argv.length - i - 1;
    const o = argv[i]!;
    if (is(o, 'BLOCK') && more > 0) {
      if (ctx.client.luaScript) throw new ReplyError(cfmt`ERR ${group ? 'xreadgroup' : 'xread'} command is not allowed with BLOCK option from scripts`);
      i++;
      const t = parseInt64(argv[i]!);
      if (t === null) throw new ReplyError(E.timeoutNotInt);
      if (t < 0) throw new ReplyError(E.timeoutNeg);
      timeout = Number(t);
    } else if (is(o, 'COUNT') && more > 0) {
      count = argLL(argv[++i]!);
      if (count < 0) count = 0;
    } else if (is(o, 'STREAMS') && more > 0) {
      streamsArg = i + 1;
      nStreams = argv.length - streamsArg;
      if (nStreams % 2 !== 0) throw new ReplyError(E.unbalanced(group ? 'xreadgroup' : 'xread', group ? '>' : '$'));
      nStreams /= 2;
      break;
    } else if (is(o, 'GROUP') && more >= 2) {
      if (!group) throw new ReplyError(E.groupInXread);
      groupName = argv[i + 1]!;
      consumerName = argv[i + 2]!;
      i += 2;
    } else if (is(o, 'NOACK')) {
      if (!group) throw new ReplyError(E.noackInXread);
      noack = true;
    } else throw new ReplyError(Err.syntax);
  }
  if (streamsArg === 0) throw new ReplyError(Err.syntax);
  if (group && groupName === null) throw new ReplyError(E.missingGroup);
  const keys = argv.slice(streamsArg, streamsArg + nStreams);
  const ids: StreamId[] = [];
  const groups: Group[] = [];
  for (let k = 0; k < nStreams; k++) {
    const key = keys[k]!;
    const arg = argv[streamsArg + nStreams + k]!;
    const s = lookupStream(db, key);
    if (groupName !== null) {
      const g = s?.groups.get(groupName);
      if (g === undefined) throw new ReplyError(E.noGroupRead(key, groupName));
      groups.push(g);
    }
    if (arg === '$') {
      if (group) throw new ReplyError(E.dollarInGroup);
      ids.push(s === undefined ? 0n : s.lastId);
    } else if (arg === '>') {
      if (!group) throw new ReplyError(E.gtOutsideGroup);
      ids.push(ID_MAX);
    } else ids.push(strictId(arg));
  }
  const now = server.now();
  const ops: Ops = [];
  const results: [string, Entry[]][] = [];
  for (let k = 0; k < nStreams; k++) {
    const key = keys[k]!;
    const s = lookupStream(db, key);
    if (s === undefined) continue;
    let gt = ids[k]!;
    if (groupName !== null) {
      const g = groups[k]!;
      let serve = false;
      let history = false;
      if (gt !== ID_MAX) {
        serve = true;
        history = true;
      } else if (s.length > 0 && s.lastValidId() > g.lastId) {
        serve = true;
        gt = g.lastId;
      }
      // Redis 7.2 creates the consumer and marks it seen whether or not the read
      // serves it (7.0: only when served); unserved, its creation replicates under NOACK only.
      const c = consumerOf(server, db, key, g, consumerName, now, serve || noack ? ops : null);
      c.seenTime = now;
      if (serve) {
        if (history) {
          const start = incrId(gt);
          results.push([key, start === null ? [] : readGroupHistory(s, c, start, count, now)]);
        } else {
          c.activeTime = now;
          results.push([key, readGroupNew(s, key, g, c, gt, count, noack, now, ops)]);
        }
        db.remeasure(key); // the PEL changed (Redis signals no modification)
        server.dirty++;
      }
    } else if (s.length > 0 && s.lastValidId() > gt) {
      const start = incrId(gt)!;
      results.push([key, collect(s, start, ID_MAX, false, count)]);
    }
  }
  if (group) ctx.prop = ops;
  if (results.length > 0) return replyRead(reply, results);
  if (timeout === -1) return reply.nullArray();
  if (!mayBlock(ctx)) return reply.nullArray();
  const deadline = timeout === 0 ? 0 : server.now() + timeout;
  const waitIds = new Map<string, StreamId>();
  for (let k = 0; k < nStreams; k++) if (!waitIds.has(keys[k]!)) waitIds.set(keys[k]!, ids[k]!);
  const bcount = count !== 0 ? count : BLOCKED_DEFAULT_COUNT;
  const serve: ServeFn = (db2, key, r) => {
    const v = db2.peek(key);
    if (v === undefined || typeof v !== 'object' || Buffer.isBuffer(v) || v.type !== 'stream') {
      // Deleted, expired or replaced: XREAD keeps waiting; XREADGROUP answers as
      // Redis 7.2 does by running the command again (NOGROUP, or WRONGTYPE).
      if (groupName === null) return false;
      r.error(v === undefined ? E.noGroupRead(key, groupName) : Err.wrongType);
      return true;
    }
    const s = v as Stream;
    let gt = waitIds.get(key)!;
    let g: Group | undefined;
    if (groupName !== null) {
      g = s.groups.get(groupName);
      if (g === undefined) {
        r.error(E.noGroupRead(key, groupName));
        return true;
      }
      gt = g.lastId;
    }
    if (!(s.lastId > gt)) return false;
    const now2 = server.now();
    let es: Entry[];
    if (g !== undefined) {
      const ops2: Ops = [];
      const c = consumerOf(server, db2, key, g, consumerName, now2, ops2);
      c.seenTime = now2;
      c.activeTime = now2;
      es = readGroupNew(s, key, g, c, gt, bcount, noack, now2, ops2);
      db2.remeasure(key);
      server.dirty++;
      for (const op of ops2) server.propagate(db2.id, op);
    } else {
      const start = incrId(gt);
      es = start === null ? [] : collect(s, start, ID_MAX, false, bcount);
    }
    replyRead(r, [[key, es]]);
    return true;
  };
  server.blocking.block(ctx.client, db, [...waitIds.keys()], deadline, serve, (r) => r.nullArray(), groupName !== null);
}

/** XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...] */
function xread(ctx: Ctx): void {
  xreadGeneric(ctx, false);
}
/** XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id [id ...] */
function xreadgroup(ctx: Ctx): void {
  xreadGeneric(ctx, true);
}

// ---------------------------------------------------------------------------
// XGROUP

/**
 * What every XGROUP subcommand but HELP does first: the key (a stream, or
 * missing only for CREATE ... MKSTREAM) and the group (which SETID,
 * CREATECONSUMER and DELCONSUMER need).
 */
function groupTarget(ctx: Ctx, mkstream: boolean, needGroup: boolean): { s: Stream | undefined; g: Group | undefined } {
  const { argv, db } = ctx;
  const s = lookupStream(db, argv[2]!, true);
  if (s === undefined && !mkstream) throw new ReplyError(E.needKey);
  const g = s?.groups.get(argv[3]!);
  if (g === undefined && needGroup) throw new ReplyError(E.noGroupForKey(argv[3]!, argv[2]!));
  return { s, g };
}

/** XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD entries-read] */
function xgroupCreate(ctx: Ctx): void {
  const { argv, db, reply } = ctx;
  let mkstream = false;
  let entriesRead = ENTRIES_READ_INVALID;
  for (let i = 5; i < argv.length; ) {
    if (is(argv[i], 'MKSTREAM')) {
      mkstream = true;
      i++;
    } else if (is(argv[i], 'ENTRIESREAD') && i + 1 < argv.length) {
      entriesRead = argLL(argv[i + 1]!);
      if (entriesRead < 0 && entriesRead !== ENTRIES_READ_INVALID) throw new ReplyError(E.entriesReadNeg);
      i += 2;
    } else throw new ReplyError(Err.unknownSubcommandOrWrongArgs(argv[1]!, 'xgroup'));
  }
  let { s } = groupTarget(ctx, mkstream, false);
  if (argv.length > 8) throw new ReplyError(Err.unknownSubcommandOrWrongArgs(argv[1]!, 'xgroup'));
  const key = argv[2]!;
  let id: StreamId;
  if (argv[4] === '$') id = s === undefined ? 0n : s.lastId;
  else id = strictId(argv[4]!);
  if (s === undefined) {
    s = new Stream();
    db.set(key, s);
  }
  if (s.groups.has(argv[3]!)) throw new ReplyError(E.busyGroup);
  s.groups.set(argv[3]!, new Group(argv[3]!, id, entriesRead));
  db.remeasure(key);
  reply.ok();
  ctx.server.dirty++;
  db.notify('t', 'xgroup-create', key);
}

/** XGROUP SETID key group id|$ [ENTRIESREAD entries-read] */
function xgroupSetid(ctx: Ctx): void {
  const { argv, db, reply } = ctx;
  const { s, g } = groupTarget(ctx, false, true);
  if (argv.length !== 5 && argv.length !== 7) throw new ReplyError(Err.unknownSubcommandOrWrongArgs(argv[1]!, 'xgroup'));
  let id: StreamId;
  if (argv[4] === '$') id = s!.lastId;
  else {
    const p = parseId(argv[4]!, 0n, false);
    if (p === null) throw new ReplyError(E.invalidId);
    id = p.id;
  }
  let entriesRead = ENTRIES_READ_INVALID;
  if (argv.length === 7) {
    if (!is(argv[5], 'ENTRIESREAD')) throw new ReplyError(Err.unknownSubcommandOrWrongArgs(argv[1]!, 'xgroup'));
    entriesRead = argLL(argv[6]!);
    if (entriesRead < 0 && entriesRead !== ENTRIES_READ_INVALID) throw new ReplyError(E.entriesReadNeg);
  }
  g!.lastId = id;
  g!.entriesRead = entriesRead;
  reply.ok();
  ctx.server.dirty++;
  db.notify('t', 'xgroup-setid', argv[2]!);
}

/** XGROUP DESTROY key group */
function xgroupDestroy(ctx: Ctx): void {
  const { argv, db, reply } = ctx;
  const { s, g } = groupTarget(ctx, false, false);
  if (g === undefined) return reply.int(0);
  s!.groups.delete(g.name);
  db.remeasure(argv[2]!);
  reply.int(1);
  ctx.server.dirty++;
  db.notify('t', 'xgroup-destroy', argv[2]!);
  signalReady(db, argv[2]!); // readers blocked on the group get NOGROUP
}

/** XGROUP CREATECONSUMER key group consumer */
function xgroupCreateconsumer(ctx: Ctx): void {
  const { argv, db, reply, server } = ctx;
  const { g } = groupTarget(ctx, false, true);
  if (g!.consumers.has(argv[4]!)) return reply.int(0);
  consumerOf(server, db, argv[2]!, g!, argv[4]!, server.now(), null);
  reply.int(1);
}

/** XGROUP DELCONSUMER key group consumer */
function xgroupDelconsumer(ctx: Ctx): void {
  const { argv, db, reply } = ctx;
  const { g } = groupTarget(ctx, false, true);
  const c = g!.consumers.get(argv[4]!);
  if (c === undefined) return reply.int(0);
  const pending = c.pel.size;
  for (const [id] of c.pel.from(0)) g!.pel.delete(id);
  g!.consumers.delete(c.name);
  db.remeasure(argv[2]!);
  reply.int(pending);
  ctx.server.dirty++;
  db.notify('t', 'xgroup-delconsumer', argv[2]!);
}

const XGROUP_HELP = [
  'CREATE <key> <groupname> <id|$> [option]',
  '    Create a new consumer group. Options are:',
  '    * MKSTREAM',
  '      Create the empty stream if it does not exist.',
  '    * ENTRIESREAD entries_read',
  "      Set the group's entries_read counter (internal use).",
  'CREATECONSUMER <key> <groupname> <consumer>',
  '    Create a new consumer in the specified group.',
  'DELCONSUMER <key> <groupname> <consumer>',
  '    Remove the specified consumer.',
  'DESTROY <key> <groupname>',
  '    Remove the specified group.',
  'SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]',
  '    Set the current group ID and entries_read counter.',
];

/** XGROUP HELP */
function xgroupHelp(ctx: Ctx): void {
  helpReply(ctx.reply, 'xgroup', XGROUP_HELP);
}

// ---------------------------------------------------------------------------
// XACK XPENDING XCLAIM XAUTOCLAIM

/** XACK key group id [id ...] */
function xack(ctx: Ctx): void {
  const { argv, db, reply } = ctx;
  const s = lookupStream(db, argv[1]!, true);
  const g = s?.groups.get(argv[2]!);
  if (g === undefined) return reply.int(0);
  const ids = argv.slice(3).map(strictId);
  let n = 0;
  for (const id of ids) {
    const nack = g.pel.get(id);
    if (nack === undefined) continue;
    g.pel.delete(id);
    nack.consumer.pel.delete(id);
    n++;
  }
  if (n > 0) db.remeasure(argv[1]!);
  ctx.server.dirty += n;
  reply.int(n);
}

/** XPENDING key group [[IDLE min-idle-time] start end count [consumer]] */
function xpending(ctx: Ctx): void {
  const { argv, db, reply, server } = ctx;
  const justinfo = argv.length === 3;
  if (argv.length !== 3 && (argv.length < 6 || argv.length > 9)) throw new ReplyError(Err.syntax);
  let minidle = 0;
  let count = 0;
  let start: StreamId = 0n;
  let end: StreamId = ID_MAX;
  let consumerName: string | null = null;
  if (argv.length >= 6) {
    let si = 3;
    if (is(argv[3], 'IDLE')) {
      minidle = argLL(argv[4]!);
      if (argv.length < 8) throw new ReplyError(Err.syntax);
      si += 2;
    }
    count = argLL(argv[si + 2]!);
    if (count < 0) count = 0;
    start = rangeBound(argv[si]!, true);
    end = rangeBound(argv[si + 1]!, false);
    if (si + 3 < argv.length) consumerName = argv[si + 3]!;
  }
  const s = lookupStream(db, argv[1]!);
  const g = s?.groups.get(argv[2]!);
  if (g === undefined) throw new ReplyError(E.noKeyOrGroup(argv[1]!, argv[2]!));
  if (justinfo) {
    reply.array(4);
    reply.int(g.pel.size);
    if (g.pel.size === 0) {
      reply.null();
      reply.null();
      reply.nullArray();
      return;
    }
    reply.bulk(fmtId(g.pel.first()!));
    reply.bulk(fmtId(g.pel.last()!));
    const cs = g.sortedConsumers().filter((c) => c.pel.size > 0);
    reply.array(cs.length);
    for (const c of cs) {
      reply.array(2);
      reply.bulk(c.name);
      reply.bulk(String(c.pel.size));
    }
    return;
  }
  let pel = g.pel;
  if (consumerName !== null) {
    const c = g.consumers.get(consumerName);
    if (c === undefined) return reply.array(0);
    pel = c.pel;
  }
  const now = server.now();
  const out: Nack[] = [];
  if (count > 0) {
    for (const [id, nack] of pel.from(pel.lowerBound(start))) {
      if (id > end) break;
      if (minidle !== 0 && now - nack.deliveryTime < minidle) continue;
      out.push(nack);
      if (out.length >= count) break;
    }
  }
  reply.array(out.length);
  for (const n of out) {
    reply.array(4);
    reply.bulk(fmtId(n.id));
    reply.bulk(n.consumer.name);
    reply.int(Math.max(0, now - n.deliveryTime));
    reply.int(n.deliveryCount);
  }
}

/** XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid] */
function xclaim(ctx: Ctx): void {
  const { argv, db, reply, server } = ctx;
  const key = argv[1]!;
  const s = lookupStream(db, key, true);
  const g = s?.groups.get(argv[2]!);
  if (g === undefined) throw new ReplyError(E.noKeyOrGroup(key, argv[2]!));
  let minidle = argLL(argv[4]!, 'ERR Invalid min-idle-time argument for XCLAIM');
  if (minidle < 0) minidle = 0;
  let j = 5;
  const ids: StreamId[] = [];
  for (; j < argv.length; j++) {
    const p = parseId(argv[j]!, 0n, true);
    if (p === null) break;
    ids.push(p.id);
  }
  const now = server.now();
  let retrycount = -1;
  let deliverytime = -1;
  let force = false;
  let justid = false;
  let lastId: StreamId = 0n;
  for (; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const opt = argv[j]!;
    if (is(opt, 'FORCE')) force = true;
    else if (is(opt, 'JUSTID')) justid = true;
    else if (is(opt, 'IDLE') && more > 0) deliverytime = now - argLL(argv[++j]!, 'ERR Invalid IDLE option argument for XCLAIM');
    else if (is(opt, 'TIME') && more > 0) deliverytime = argLL(argv[++j]!, 'ERR Invalid TIME option argument for XCLAIM');
    else if (is(opt, 'RETRYCOUNT') && more > 0) retrycount = argLL(argv[++j]!, 'ERR Invalid RETRYCOUNT option argument for XCLAIM');
    else if (is(opt, 'LASTID') && more > 0) lastId = strictId(argv[++j]!);
    else throw new ReplyError(E.claimOpt(opt));
  }
  const ops: Ops = [];
  let propagateLastId = false;
  if (lastId > g.lastId) {
    g.lastId = lastId;
    propagateLastId = true;
  }
  if (deliverytime !== -1) {
    if (deliverytime < 0 || deliverytime > now) deliverytime = now;
  } else deliverytime = now;
  let consumer: Consumer | null = null;
  const out: Entry[] = [];
  let dirty = 0;
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k]!;
    const idArg = argv[5 + k]!;
    let nack = g.pel.get(id);
    const fv = s!.get(id);
    if (fv === undefined) {
      if (nack !== undefined) {
        ops.push(xclaimProp(key, g, idArg, nack));
        propagateLastId = false;
        dirty++;
        g.pel.delete(id);
        nack.consumer.pel.delete(id);
      }
      continue;
    }
    let fresh = false;
    if (force && nack === undefined) {
      fresh = true;
      nack = { id, consumer: null as unknown as Consumer, deliveryTime: now, deliveryCount: 1 };
      g.pel.set(id, nack);
    }
    if (nack === undefined) continue;
    if (!fresh && minidle !== 0 && now - nack.deliveryTime < minidle) continue;
    consumer ??= consumerOf(server, db, key, g, argv[3]!, now, ops);
    consumer.seenTime = now;
    consumer.activeTime = now;
    if (nack.consumer !== consumer && !fresh) nack.consumer.pel.delete(id);
    nack.deliveryTime = deliverytime;
    if (retrycount >= 0) nack.deliveryCount = retrycount;
    else if (!justid) nack.deliveryCount++;
    if (nack.consumer !== consumer) {
      consumer.pel.set(id, nack);
      nack.consumer = consumer;
    }
    out.push([id, justid ? null : fv]);
    ops.push(xclaimProp(key, g, idArg, nack));
    propagateLastId = false;
    dirty++;
  }
  if (propagateLastId) {
    ops.push(setidProp(key, g));
    dirty++;
  }
  server.dirty += dirty;
  db.remeasure(key);
  ctx.prop = ops;
  reply.array(out.length);
  for (const [id, fv] of out) {
    if (fv === null) reply.bulk(fmtId(id));
    else replyEntry(reply, id, fv);
  }
}

/** XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID] */
function xautoclaim(ctx: Ctx): void {
  const { argv, db, reply, server } = ctx;
  const key = argv[1]!;
  let minidle = argLL(argv[4]!, 'ERR Invalid min-idle-time argument for XAUTOCLAIM');
  if (minidle < 0) minidle = 0;
  const start = rangeBound(argv[5]!, true);
  let count = 100;
  let justid = false;
  for (let j = 6; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (is(argv[j], 'COUNT') && more > 0) {
      const n = parseInt64(argv[j + 1]!);
      const max = Math.floor(Number.MAX_SAFE_INTEGER); // LONG_MAX / 16 is far beyond any real PEL
      if (n === null || n < 1 || Number(n) > Math.min(max, 2 ** 59)) throw new ReplyError(E.autoclaimCount);
      count = Number(n);
      j++;
    } else if (is(argv[j], 'JUSTID')) justid = true;
    else throw new ReplyError(Err.syntax);
  }
  const s = lookupStream(db, key, true);
  const g = s?.groups.get(argv[2]!);
  if (g === undefined) throw new ReplyError(E.noKeyOrGroup(key, argv[2]!));
  let attempts = count * 10;
  const now = server.now();
  const ops: Ops = [];
  const claimed: Entry[] = [];
  const deleted: StreamId[] = [];
  let consumer: Consumer | null = null;
  let dirty = 0;
  const pending = [...g.pel.from(g.pel.lowerBound(start))];
  let k = 0;
  let stoppedAt = -1;
  for (; ; k++) {
    if (attempts-- === 0 || count === 0) {
      stoppedAt = k;
      break;
    }
    if (k >= pending.length) break;
    const [id, nack] = pending[k]!;
    const fv = s!.get(id);
    if (fv === undefined) {
      ops.push(xclaimProp(key, g, fmtId(id), nack));
      dirty++;
      g.pel.delete(id);
      nack.consumer.pel.delete(id);
      deleted.push(id);
      count--;
      continue;
    }
    if (minidle !== 0 && now - nack.deliveryTime < minidle) continue;
    consumer ??= consumerOf(server, db, key, g, argv[3]!, now, ops);
    consumer.seenTime = now;
    consumer.activeTime = now;
    if (nack.consumer !== consumer) nack.consumer.pel.delete(id);
    nack.deliveryTime = now;
    if (!justid) nack.deliveryCount++;
    if (nack.consumer !== consumer) {
      consumer.pel.set(id, nack);
      nack.consumer = consumer;
    }
    claimed.push([id, justid ? null : fv]);
    count--;
    ops.push(xclaimProp(key, g, fmtId(id), nack));
    dirty++;
  }
  // the cursor: the next pending entry after the last one examined, or 0-0
  let cursor: StreamId = 0n;
  if (stoppedAt >= 0 && stoppedAt < pending.length) cursor = pending[stoppedAt]![0];
  server.dirty += dirty;
  db.remeasure(key);
  ctx.prop = ops;
  reply.array(3);
  reply.bulk(fmtId(cursor));
  reply.array(claimed.length);
  for (const [id, fv] of claimed) {
    if (fv === null) reply.bulk(fmtId(id));
    else replyEntry(reply, id, fv);
  }
  reply.array(deleted.length);
  for (const id of deleted) reply.bulk(fmtId(id));
}

// ---------------------------------------------------------------------------
// XINFO

function streamOf(ctx: Ctx): Stream {
  const s = lookupStream(ctx.db, ctx.argv[2]!);
  if (s === undefined) throw new ReplyError(Err.noSuchKey);
  return s;
}

function replyNullable(reply: Reply, n: number | null): void {
  if (n === null) reply.null();
  else reply.int(n);
}

/** XINFO CONSUMERS key group */
function xinfoConsumers(ctx: Ctx): void {
  const { argv, reply, server } = ctx;
  const s = streamOf(ctx);
  const g = s.groups.get(argv[3]!);
  if (g === undefined) throw new ReplyError(E.noGroupForKey(argv[3]!, argv[2]!));
  const now = server.now();
  const cs = g.sortedConsumers();
  reply.array(cs.length);
  for (const c of cs) {
    reply.map(4);
    reply.bulk('name');
    reply.bulk(c.name);
    reply.bulk('pending');
    reply.int(c.pel.size);
    reply.bulk('idle');
    reply.int(Math.max(0, now - c.seenTime));
    reply.bulk('inactive');
    reply.int(c.activeTime === -1 ? -1 : Math.max(0, now - c.activeTime));
  }
}

/** XINFO GROUPS key */
function xinfoGroups(ctx: Ctx): void {
  const { reply } = ctx;
  const s = streamOf(ctx);
  const gs = s.sortedGroups();
  reply.array(gs.length);
  for (const g of gs) {
    reply.map(6);
    reply.bulk('name');
    reply.bulk(g.name);
    reply.bulk('consumers');
    reply.int(g.consumers.size);
    reply.bulk('pending');
    reply.int(g.pel.size);
    reply.bulk('last-delivered-id');
    reply.bulk(fmtId(g.lastId));
    reply.bulk('entries-read');
    replyNullable(reply, g.entriesRead === ENTRIES_READ_INVALID ? null : g.entriesRead);
    reply.bulk('lag');
    replyNullable(reply, s.lag(g));
  }
}

/** XINFO STREAM key [FULL [COUNT count]] */
function xinfoStream(ctx: Ctx): void {
  const { argv, reply } = ctx;
  let full = false;
  let count = 10;
  if (argv.length > 3) {
    const bad = new ReplyError(Err.unknownSubcommandOrWrongArgs(argv[1]!, 'xinfo'));
    if (argv.length > 6 || !is(argv[3], 'FULL')) throw bad;
    full = true;
    if (argv.length > 4) {
      if (argv.length !== 6 || !is(argv[4], 'COUNT')) throw bad;
      count = argLL(argv[5]!);
      if (count < 0) count = 10;
    }
  }
  const s = streamOf(ctx);
  const [rkeys, rnodes] = s.radixStats();
  reply.map(full ? 9 : 10);
  reply.bulk('length');
  reply.int(s.length);
  reply.bulk('radix-tree-keys');
  reply.int(rkeys);
  reply.bulk('radix-tree-nodes');
  reply.int(rnodes);
  reply.bulk('last-generated-id');
  reply.bulk(fmtId(s.lastId));
  reply.bulk('max-deleted-entry-id');
  reply.bulk(fmtId(s.maxDeletedId));
  reply.bulk('entries-added');
  reply.int(s.entriesAdded);
  reply.bulk('recorded-first-entry-id');
  reply.bulk(fmtId(s.firstId));
  if (!full) {
    reply.bulk('groups');
    reply.int(s.groups.size);
    for (const last of [false, true]) {
      reply.bulk(last ? 'last-entry' : 'first-entry');
      const e = s.edge(last);
      if (e === undefined) reply.null();
      else replyEntry(reply, e[0], e[1]);
    }
    return;
  }
  reply.bulk('entries');
  replyEntries(reply, collect(s, 0n, ID_MAX, false, count));
  reply.bulk('groups');
  const gs = s.sortedGroups();
  reply.array(gs.length);
  for (const g of gs) {
    reply.map(7);
    reply.bulk('name');
    reply.bulk(g.name);
    reply.bulk('last-delivered-id');
    reply.bulk(fmtId(g.lastId));
    reply.bulk('entries-read');
    replyNullable(reply, g.entriesRead === ENTRIES_READ_INVALID ? null : g.entriesRead);
    reply.bulk('lag');
    replyNullable(reply, s.lag(g));
    reply.bulk('pel-count');
    reply.int(g.pel.size);
    reply.bulk('pending');
    const pel = [...g.pel.from(0)].slice(0, count === 0 ? undefined : count);
    reply.array(pel.length);
    for (const [id, n] of pel) {
      reply.array(4);
      reply.bulk(fmtId(id));
      reply.bulk(n.consumer.name);
      reply.int(n.deliveryTime);
      reply.int(n.deliveryCount);
    }
    reply.bulk('consumers');
    const cs = g.sortedConsumers();
    reply.array(cs.length);
    for (const c of cs) {
      reply.map(5);
      reply.bulk('name');
      reply.bulk(c.name);
      reply.bulk('seen-time');
      reply.int(c.seenTime);
      reply.bulk('active-time');
      reply.int(c.activeTime);
      reply.bulk('pel-count');
      reply.int(c.pel.size);
      reply.bulk('pending');
      const cp = [...c.pel.from(0)].slice(0, count === 0 ? undefined : count);
      reply.array(cp.length);
      for (const [id, n] of cp) {
        reply.array(3);
        reply.bulk(fmtId(id));
        reply.int(n.deliveryTime);
        reply.int(n.deliveryCount);
      }
    }
  }
}

const XINFO_HELP = [
  'CONSUMERS <key> <groupname>',
  '    Show consumers of <groupname>.',
  'GROUPS <key>',
  '    Show the stream consumer groups.',
  'STREAM <key> [FULL [COUNT <count>]',
  '    Show information about the stream.',
];

/** XINFO HELP */
function xinfoHelp(ctx: Ctx): void {
  helpReply(ctx.reply, 'xinfo', XINFO_HELP);
}

export const commands: CommandSpec[] = [
  command({
    name: 'xadd',
    arity: -5,
    flags: ['write', 'denyoom', 'fast'],
    acl: ['stream'],
    keySpecs: [keyAt(1, UPDATE, 'UPDATE instead of INSERT because of the optional trimming feature')],
    tips: ['nondeterministic_output'],
    group: 'stream',
    since: '5.0.0',
    summary: 'Appends an entry to a stream, creating the stream when needed.',
    complexity: 'O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.',
    history: [
      ['6.2.0', 'Added the `NOMKSTREAM` option, `MINID` trimming strategy and the `LIMIT` option.'],
      ['7.0.0', 'Added support for the `<ms>-*` explicit ID form.'],
    ],
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'nomkstream', type: 'pure-token', token: 'NOMKSTREAM', since: '6.2.0', flags: ['optional'] },
      {
        name: 'trim',
        type: 'block',
        flags: ['optional'],
        arguments: [
          {
            name: 'strategy',
            type: 'oneof',
            arguments: [
              { name: 'maxlen', type: 'pure-token', token: 'MAXLEN' },
              { name: 'minid', type: 'pure-token', token: 'MINID', since: '6.2.0' },
            ],
          },
          {
            name: 'operator',
            type: 'oneof',
            flags: ['optional'],
            arguments: [
              { name: 'equal', type: 'pure-token', token: '=' },
              { name: 'approximately', type: 'pure-token', token: '~' },
            ],
          },
          { name: 'threshold', type: 'string' },
          { name: 'count', type: 'integer', token: 'LIMIT', since: '6.2.0', flags: ['optional'] },
        ],
      },
      {
        name: 'id_or_auto',
        type: 'oneof',
        arguments: [
          { name: 'auto_id', type: 'pure-token', token: '*' },
          { name: 'id', type: 'string' },
        ],
      },
      {
        name: 'field_value',
        type: 'block',
        flags: ['multiple'],
        arguments: [
          { name: 'field', type: 'string' },
          { name: 'value', type: 'string' },
        ],
      },
    ],
    handler: xadd,
  }),
  command({
    name: 'xlen',
    arity: 2,
    flags: ['readonly', 'fast'],
    acl: ['stream'],
    keySpecs: [keyAt(1, READ_META)],
    group: 'stream',
    since: '5.0.0',
    summary: 'Returns how many entries a stream holds.',
    complexity: 'O(1)',
    args: [{ name: 'key', type: 'key', key_spec_index: 0 }],
    handler: xlen,
  }),
  command({
    name: 'xrange',
    arity: -4,
    flags: ['readonly'],
    acl: ['stream'],
    keySpecs: [keyAt(1, READ)],
    group: 'stream',
    since: '5.0.0',
    summary: 'Returns the entries of a stream between two IDs.',
    complexity:
      'O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).',
    history: [['6.2.0', 'Added exclusive ranges.']],
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'start', type: 'string' },
      { name: 'end', type: 'string' },
      { name: 'count', type: 'integer', token: 'COUNT', flags: ['optional'] },
    ],
    handler: xrange,
  }),
  command({
    name: 'xrevrange',
    arity: -4,
    flags: ['readonly'],
    acl: ['stream'],
    keySpecs: [keyAt(1, READ)],
    group: 'stream',
    since: '5.0.0',
    summary: 'Returns the entries of a stream between two IDs, newest first.',
    complexity:
      'O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).',
    history: [['6.2.0', 'Added exclusive ranges.']],
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'end', type: 'string' },
      { name: 'start', type: 'string' },
      { name: 'count', type: 'integer', token: 'COUNT', flags: ['optional'] },
    ],
    handler: xrevrange,
  }),
  command({
    name: 'xdel',
    arity: -3,
    flags: ['write', 'fast'],
    acl: ['stream'],
    keySpecs: [keyAt(1, DELETE)],
    group: 'stream',
    since: '5.0.0',
    summary: 'Removes entries from a stream by ID and returns how many were there.',
    complexity: 'O(1) for each single item to delete in the stream, regardless of the stream size.',
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'id', type: 'string', flags: ['multiple'] },
    ],
    handler: xdel,
  }),
  command({
    name: 'xtrim',
    arity: -4,
    flags: ['write'],
    acl: ['stream'],
    keySpecs: [keyAt(1, DELETE)],
    tips: ['nondeterministic_output'],
    group: 'stream',
    since: '5.0.0',
    summary: 'Removes the oldest entries of a stream by length or by minimum ID.',
    complexity:
      'O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.',
    history: [['6.2.0', 'Added the `MINID` trimming strategy and the `LIMIT` option.']],
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      {
        name: 'trim',
        type: 'block',
        arguments: [
          {
            name: 'strategy',
            type: 'oneof',
            arguments: [
              { name: 'maxlen', type: 'pure-token', token: 'MAXLEN' },
              { name: 'minid', type: 'pure-token', token: 'MINID', since: '6.2.0' },
            ],
          },
          {
            name: 'operator',
            type: 'oneof',
            flags: ['optional'],
            arguments: [
              { name: 'equal', type: 'pure-token', token: '=' },
              { name: 'approximately', type: 'pure-token', token: '~' },
            ],
          },
          { name: 'threshold', type: 'string' },
          { name: 'count', type: 'integer', token: 'LIMIT', since: '6.2.0', flags: ['optional'] },
        ],
      },
    ],
    handler: xtrim,
  }),
  command({
    name: 'xsetid',
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    acl: ['stream'],
    keySpecs: [keyAt(1, UPDATE)],
    group: 'stream',
    since: '5.0.0',
    summary: "Sets a stream's last ID and its bookkeeping counters.",
    complexity: 'O(1)',
    history: [['7.0.0', 'Added the `entries_added` and `max_deleted_entry_id` arguments.']],
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'last-id', type: 'string' },
      { name: 'entries_added', type: 'integer', token: 'ENTRIESADDED', since: '7.0.0', flags: ['optional'] },
      { name: 'max_deleted_entry_id', type: 'string', token: 'MAXDELETEDID', since: '7.0.0', flags: ['optional'] },
    ],
    handler: xsetid,
  }),
  command({
    name: 'xread',
    arity: -4,
    flags: ['readonly', 'blocking', 'movablekeys'],
    acl: ['stream'],
    keySpecs: [keysAfter('STREAMS', 1, READ, 2)],
    group: 'stream',
    since: '5.0.0',
    summary: 'Reads entries newer than the given IDs from one or more streams, optionally waiting for them.',
    complexity:
      'For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.',
    args: [
      { name: 'count', type: 'integer', token: 'COUNT', flags: ['optional'] },
      { name: 'milliseconds', type: 'integer', token: 'BLOCK', flags: ['optional'] },
      {
        name: 'streams',
        type: 'block',
        token: 'STREAMS',
        arguments: [
          { name: 'key', type: 'key', key_spec_index: 0, flags: ['multiple'] },
          { name: 'id', type: 'string', flags: ['multiple'] },
        ],
      },
    ],
    getKeys: xreadGetKeys,
    handler: xread,
  }),
  command({
    name: 'xreadgroup',
    arity: -7,
    flags: ['write', 'blocking', 'movablekeys'],
    acl: ['stream'],
    keySpecs: [keysAfter('STREAMS', 4, READ, 2)],
    group: 'stream',
    since: '5.0.0',
    summary: 'Reads entries from streams for a consumer of a group, optionally waiting for new ones.',
    complexity:
      'For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.',
    args: [
      {
        name: 'group_consumer',
        type: 'block',
        token: 'GROUP',
        arguments: [
          { name: 'group', type: 'string' },
          { name: 'consumer', type: 'string' },
        ],
      },
      { name: 'count', type: 'integer', token: 'COUNT', flags: ['optional'] },
      { name: 'milliseconds', type: 'integer', token: 'BLOCK', flags: ['optional'] },
      { name: 'noack', type: 'pure-token', token: 'NOACK', flags: ['optional'] },
      {
        name: 'streams',
        type: 'block',
        token: 'STREAMS',
        arguments: [
          { name: 'key', type: 'key', key_spec_index: 0, flags: ['multiple'] },
          { name: 'id', type: 'string', flags: ['multiple'] },
        ],
      },
    ],
    getKeys: xreadGetKeys,
    handler: xreadgroup,
  }),
  command({
    name: 'xgroup',
    arity: -2,
    flags: [],
    group: 'stream',
    since: '5.0.0',
    summary: 'Container for the consumer group subcommands.',
    complexity: 'Depends on subcommand.',
    subcommands: [
      command({
        name: 'destroy',
        arity: 4,
        flags: ['write'],
        acl: ['stream'],
        keySpecs: [keyAt(2, DELETE)],
        group: 'stream',
        since: '5.0.0',
        summary: 'Removes a consumer group.',
        complexity: "O(N) where N is the number of entries in the group's pending entries list (PEL).",
        args: [
          { name: 'key', type: 'key', key_spec_index: 0 },
          { name: 'groupname', type: 'string' },
        ],
        handler: xgroupDestroy,
      }),
      command({
        name: 'create',
        arity: -5,
        flags: ['write', 'denyoom'],
        acl: ['stream'],
        keySpecs: [keyAt(2, INSERT)],
        group: 'stream',
        since: '5.0.0',
        summary: 'Creates a consumer group on a stream.',
        complexity: 'O(1)',
        history: [['7.0.0', 'Added the `entries_read` named argument.']],
        args: [
          { name: 'key', type: 'key', key_spec_index: 0 },
          { name: 'groupname', type: 'string' },
          {
            name: 'id',
            type: 'oneof',
            arguments: [
              { name: 'id', type: 'string' },
              { name: 'new_id', type: 'pure-token', token: '$' },
            ],
          },
          { name: 'mkstream', type: 'pure-token', token: 'MKSTREAM', flags: ['optional'] },
          { name: 'entries_read', type: 'integer', token: 'ENTRIESREAD', flags: ['optional'] },
        ],
        handler: xgroupCreate,
      }),
      command({
        name: 'createconsumer',
        arity: 5,
        flags: ['write', 'denyoom'],
        acl: ['stream'],
        keySpecs: [keyAt(2, INSERT)],
        group: 'stream',
        since: '6.2.0',
        summary: 'Adds a consumer to a consumer group.',
        complexity: 'O(1)',
        args: [
          { name: 'key', type: 'key', key_spec_index: 0 },
          { name: 'groupname', type: 'string' },
          { name: 'consumername', type: 'string' },
        ],
        handler: xgroupCreateconsumer,
      }),
      command({
        name: 'setid',
        arity: -5,
        flags: ['write'],
        acl: ['stream'],
        keySpecs: [keyAt(2, UPDATE)],
        group: 'stream',
        since: '5.0.0',
        summary: "Moves a consumer group's last delivered ID.",
        complexity: 'O(1)',
        history: [['7.0.0', 'Added the optional `entries_read` argument.']],
        args: [
          { name: 'key', type: 'key', key_spec_index: 0 },
          { name: 'groupname', type: 'string' },
          {
            name: 'id',
            type: 'oneof',
            arguments: [
              { name: 'id', type: 'string' },
              { name: 'new_id', type: 'pure-token', token: '$' },
            ],
          },
          { name: 'entries_read', type: 'integer', token: 'ENTRIESREAD', flags: ['optional'] },
        ],
        handler: xgroupSetid,
      }),
      command({
        name: 'delconsumer',
        arity: 5,
        flags: ['write'],
        acl: ['stream'],
        keySpecs: [keyAt(2, DELETE)],
        group: 'stream',
        since: '5.0.0',
        summary: 'Removes a consumer from a group, returning how many entries it had pending.',
        complexity: 'O(1)',
        args: [
          { name: 'key', type: 'key', key_spec_index: 0 },
          { name: 'groupname', type: 'string' },
          { name: 'consumername', type: 'string' },
        ],
        handler: xgroupDelconsumer,
      }),
      command({
        name: 'help',
        arity: 2,
        flags: ['loading', 'stale'],
        acl: ['stream'],
        group: 'stream',
        since: '5.0.0',
        summary: 'Lists the XGROUP subcommands.',
        complexity: 'O(1)',
        handler: xgroupHelp,
      }),
    ],
  }),
  command({
    name: 'xack',
    arity: -4,
    flags: ['write', 'fast'],
    acl: ['stream'],
    keySpecs: [keyAt(1, UPDATE)],
    group: 'stream',
    since: '5.0.0',
    summary: 'Marks pending entries of a consumer group as processed.',
    complexity: 'O(1) for each message ID processed.',
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'group', type: 'string' },
      { name: 'id', type: 'string', flags: ['multiple'] },
    ],
    handler: xack,
  }),
  command({
    name: 'xpending',
    arity: -3,
    flags: ['readonly'],
    acl: ['stream'],
    keySpecs: [keyAt(1, READ)],
    tips: ['nondeterministic_output'],
    group: 'stream',
    since: '5.0.0',
    summary: "Reports a consumer group's pending entries, summarised or listed.",
    complexity:
      'O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.',
    history: [['6.2.0', 'Added the `IDLE` option and exclusive range intervals.']],
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'group', type: 'string' },
      {
        name: 'filters',
        type: 'block',
        flags: ['optional'],
        arguments: [
          { name: 'min-idle-time', type: 'integer', token: 'IDLE', since: '6.2.0', flags: ['optional'] },
          { name: 'start', type: 'string' },
          { name: 'end', type: 'string' },
          { name: 'count', type: 'integer' },
          { name: 'consumer', type: 'string', flags: ['optional'] },
        ],
      },
    ],
    handler: xpending,
  }),
  command({
    name: 'xclaim',
    arity: -6,
    flags: ['write', 'fast'],
    acl: ['stream'],
    keySpecs: [keyAt(1, UPDATE)],
    tips: ['nondeterministic_output'],
    group: 'stream',
    since: '5.0.0',
    summary: 'Transfers pending entries of a group to another consumer.',
    complexity: 'O(log N) with N being the number of messages in the PEL of the consumer group.',
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'group', type: 'string' },
      { name: 'consumer', type: 'string' },
      { name: 'min-idle-time', type: 'string' },
      { name: 'id', type: 'string', flags: ['multiple'] },
      { name: 'ms', type: 'integer', token: 'IDLE', flags: ['optional'] },
      { name: 'unix-time-milliseconds', type: 'unix-time', token: 'TIME', flags: ['optional'] },
      { name: 'count', type: 'integer', token: 'RETRYCOUNT', flags: ['optional'] },
      { name: 'force', type: 'pure-token', token: 'FORCE', flags: ['optional'] },
      { name: 'justid', type: 'pure-token', token: 'JUSTID', flags: ['optional'] },
      { name: 'id', type: 'string', token: 'LASTID', flags: ['optional'] },
    ],
    handler: xclaim,
  }),
  command({
    name: 'xautoclaim',
    arity: -6,
    flags: ['write', 'fast'],
    acl: ['stream'],
    keySpecs: [keyAt(1, DELETE)],
    tips: ['nondeterministic_output'],
    group: 'stream',
    since: '6.2.0',
    summary: 'Transfers pending entries idle long enough to another consumer, scanning from a cursor ID.',
    complexity: 'O(1) if COUNT is small.',
    history: [
      ['7.0.0', 'Added an element to the reply array, containing deleted entries the command cleared from the PEL'],
    ],
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'group', type: 'string' },
      { name: 'consumer', type: 'string' },
      { name: 'min-idle-time', type: 'string' },
      { name: 'start', type: 'string' },
      { name: 'count', type: 'integer', token: 'COUNT', flags: ['optional'] },
      { name: 'justid', type: 'pure-token', token: 'JUSTID', flags: ['optional'] },
    ],
    handler: xautoclaim,
  }),
  command({
    name: 'xinfo',
    arity: -2,
    flags: [],
    group: 'stream',
    since: '5.0.0',
    summary: 'Container for the stream introspection subcommands.',
    complexity: 'Depends on subcommand.',
    subcommands: [
      command({
        name: 'help',
        arity: 2,
        flags: ['loading', 'stale'],
        acl: ['stream'],
        group: 'stream',
        since: '5.0.0',
        summary: 'Lists the XINFO subcommands.',
        complexity: 'O(1)',
        handler: xinfoHelp,
      }),
      command({
        name: 'stream',
        arity: -3,
        flags: ['readonly'],
        acl: ['stream'],
        keySpecs: [keyAt(2, READ)],
        group: 'stream',
        since: '5.0.0',
        summary: 'Describes a stream; FULL adds its entries, groups and pending lists.',
        complexity: 'O(1)',
        history: [
          ['6.0.0', 'Added the `FULL` modifier.'],
          [
            '7.0.0',
            'Added the `max-deleted-entry-id`, `entries-added`, `recorded-first-entry-id`, `entries-read` and `lag` fields',
          ],
        ],
        args: [
          { name: 'key', type: 'key', key_spec_index: 0 },
          {
            name: 'full',
            type: 'block',
            token: 'FULL',
            flags: ['optional'],
            arguments: [{ name: 'count', type: 'integer', token: 'COUNT', flags: ['optional'] }],
          },
        ],
        handler: xinfoStream,
      }),
      command({
        name: 'groups',
        arity: 3,
        flags: ['readonly'],
        acl: ['stream'],
        keySpecs: [keyAt(2, READ)],
        group: 'stream',
        since: '5.0.0',
        summary: 'Lists the consumer groups of a stream.',
        complexity: 'O(1)',
        history: [['7.0.0', 'Added the `entries-read` and `lag` fields']],
        args: [{ name: 'key', type: 'key', key_spec_index: 0 }],
        handler: xinfoGroups,
      }),
      command({
        name: 'consumers',
        arity: 4,
        flags: ['readonly'],
        acl: ['stream'],
        keySpecs: [keyAt(2, READ)],
        tips: ['nondeterministic_output'],
        group: 'stream',
        since: '5.0.0',
        summary: 'Lists the consumers of a consumer group.',
        complexity: 'O(1)',
        args: [
          { name: 'key', type: 'key', key_spec_index: 0 },
          { name: 'groupname', type: 'string' },
        ],
        handler: xinfoConsumers,
      }),
    ],
  }),
];
