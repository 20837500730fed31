/**
 * Stream commands over types/stream.ts. This file: the entries (XADD XLEN
 * XRANGE XREVRANGE XDEL XTRIM XSETID) and the reads (XREAD XREADGROUP);
 * stream-groups.ts: consumer groups (XGROUP XACK XPENDING XCLAIM
 * XAUTOCLAIM); stream-info.ts: XINFO; stream-common.ts: what they share.
 * `commands` here lists all three files' declarations.
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
 * likewise; XREADGROUP, XCLAIM and XAUTOCLAIM replay as Redis 7.2's XCLAIM
 * ... FORCE JUSTID LASTID per entry given or taken (which create the
 * consumer where they replay), plus XGROUP SETID ... ENTRIESREAD when the
 * group's last ID moved without an XCLAIM to carry it (XREADGROUP NOACK,
 * XCLAIM's LASTID with nothing claimed) and XGROUP CREATECONSUMER for a
 * consumer XREADGROUP NOACK created.
 *
 * Blocking: XREAD/XREADGROUP BLOCK park the client with server/blocking.ts;
 * a waiter is served when its stream gets an entry past the ID it waits for
 * (for a group, past the group's last delivered ID when it is served).
 */
import { Buffer } from 'node:buffer';
import {
  command,
  keyArg,
  keyAt,
  keysAfter,
  DELETE,
  READ,
  READ_META,
  UPDATE,
  type ArgDoc,
  type CommandSpec,
  type Ctx,
} from './spec.js';
import { is } from './args.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { parseInt64 } from '../util/numbers.js';
import type { Reply } from '../protocol/writer.js';
import type { ServeFn } from '../server/blocking.js';
import { Group, ID_MAX, Stream, fmtId, incrId, parseId, type StreamId, type TrimArgs } from '../types/stream.js';
import { xreadGetKeys } from './keys-of.js';
import {
  argLL,
  type Entry,
  lookupStream,
  nodeLimits,
  type Ops,
  rangeBound,
  renderRange,
  replyEntries,
  replyRendered,
  type Rendered,
  signalReady,
  strictId,
} from './stream-common.js';
import { consumerOf, readGroupHistory, readGroupNew, groupCommands } from './stream-groups.js';
import { infoCommands } from './stream-info.js';

/** XREAD_BLOCKED_DEFAULT_COUNT: a blocked read without COUNT gets at most this many entries. */
const BLOCKED_DEFAULT_COUNT = 1000;

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
  const a: AddTrimArgs = {
    trim: null,
    approxIdx: -1,
    argIdx: -1,
    limitIdx: -1,
    noMkStream: false,
    id: 0n,
    idGiven: false,
    seqGiven: true,
    i: 2,
  };
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
      if (strategy !== null) throw new ReplyError(Err.streamBothStrategies);
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
        if (maxlen < 0) throw new ReplyError(Err.streamMaxlenNeg);
        strategy = 'maxlen';
      } else {
        minid = strictId(argv[i + 1]!);
        strategy = 'minid';
      }
      a.argIdx = ++i;
    } else if (is(opt, 'LIMIT') && more > 0) {
      limit = argLL(argv[i + 1]!);
      if (limit < 0) throw new ReplyError(Err.streamLimitNeg);
      limitGiven = true;
      a.limitIdx = i;
      i++;
    } else if (xadd && is(opt, 'NOMKSTREAM')) {
      a.noMkStream = true;
    } else if (xadd) {
      const p = parseId(opt, 0n, true, true);
      if (p === null) throw new ReplyError(Err.streamInvalidId);
      a.id = p.id;
      a.idGiven = true;
      a.seqGiven = p.seqGiven;
      break;
    } else throw new ReplyError(Err.syntax);
  }
  a.i = i;
  if (limit !== 0 && strategy === null) throw new ReplyError(Err.streamLimitNoStrategy);
  if (!xadd && strategy === null) throw new ReplyError(Err.streamTrimNoStrategy);
  if (limitGiven) {
    if (!approx) throw new ReplyError(Err.streamLimitNoApprox);
  } else if (approx) {
    limit = 100 * ctx.server.config.v['stream-node-max-entries'];
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
  else out[a.argIdx] = s.nodes.length === 0 ? fmtId(ID_MAX) : s.nodes[0]!.idText(0);
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
  if (a.idGiven && a.seqGiven && a.id === 0n) throw new ReplyError(Err.streamAddZero);
  let s = lookupStream(db, key, true);
  const created = s === undefined;
  if (s === undefined) {
    if (a.noMkStream) return reply.null();
    s = new Stream();
  }
  const [maxEntries, maxBytes] = nodeLimits(server);
  let idText = a.idGiven ? null : s.appendAuto(server.now(), argv, fieldPos, maxEntries, maxBytes);
  if (idText === null) {
    if (s.lastId === ID_MAX) throw new ReplyError(Err.streamExhausted);
    let id: StreamId;
    if (a.idGiven) {
      if (a.seqGiven) id = a.id;
      else if (a.id >> 64n === s.lastId >> 64n) {
        // Redis 7.2 reports the overflow of an `ms-*` sequence as an ID not above the top (7.0: "too large")
        if ((s.lastId & 0xffffffffffffffffn) === 0xffffffffffffffffn) throw new ReplyError(Err.streamAddSmaller);
        id = s.lastId + 1n;
      } else id = a.id;
    } else {
      const ms = BigInt(server.now());
      id = ms > s.lastId >> 64n ? ms << 64n : s.lastId + 1n;
    }
    if (id <= s.lastId) throw new ReplyError(Err.streamAddSmaller);
    idText = s.append(id, argv, fieldPos, maxEntries, maxBytes);
  }
  reply.bulk(idText);
  if (created) db.set(key, s);
  else {
    db.modified(key);
    signalReady(db, key);
  }
  db.notify('t', 'xadd', key);
  if (a.trim !== null) {
    if (s.trim(a.trim) > 0) db.notify('t', 'xtrim', key);
    db.remeasure(key); // (the change was signalled before the trim)
  }
  // what replicates, made only when something takes it: the trim made exact, the ID given
  if (!ctx.propagating) return;
  let out = argv;
  if (a.trim !== null && a.trim.approx) out = exactTrimArgv(argv, a, s);
  if (!a.idGiven || !a.seqGiven) {
    out = out === argv ? argv.slice() : out;
    // the ID's index moves back by two when LIMIT was dropped before it
    const idIdx = a.i - (out.length < argv.length ? 2 : 0);
    out[idIdx] = idText;
  }
  if (out !== argv) ctx.replayAs([out]);
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
    if (a.trim!.approx) ctx.replayAs([exactTrimArgv(argv, a, s)]);
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
  replyRendered(reply, renderRange(s, start, end, rev, count === -1 ? 0 : count));
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
      if (added < 0) throw new ReplyError(Err.streamAddedNeg);
    } else if (is(argv[i], 'MAXDELETEDID') && more > 0) {
      maxDel = strictId(argv[i + 1]!);
      if (id < maxDel) throw new ReplyError(Err.streamSetidProvidedDeleted);
    } else throw new ReplyError(Err.syntax);
  }
  const s = lookupStream(db, argv[1]!, true);
  if (s === undefined) throw new ReplyError(Err.noSuchKey);
  // Redis 7.2: never below what was already deleted
  if (id < s.maxDeletedId) throw new ReplyError(Err.streamSetidMaxDeleted);
  if (s.length > 0) {
    if (id < s.lastValidId()) throw new ReplyError(Err.streamSetidTop);
    if (added !== -1 && s.length > added) throw new ReplyError(Err.streamSetidAdded);
  }
  s.lastId = id;
  if (added !== -1) s.entriesAdded = added;
  if (maxDel !== 0n) s.maxDeletedId = maxDel;
  reply.ok();
  ctx.dirty(); // (Redis signals no modification for XSETID and the group commands)
  db.notify('t', 'xsetid', argv[1]!);
}

// ---------------------------------------------------------------------------
// XREAD / XREADGROUP

/** Replies the XREAD/XREADGROUP result: per stream [key, entries] (RESP3: a map). */
function replyRead(reply: Reply, results: [string, Entry[] | Rendered][]): void {
  if (reply.resp === 2) reply.array(results.length);
  else reply.map(results.length);
  for (const [key, es] of results) {
    if (reply.resp === 2) reply.array(2);
    reply.bulk(key);
    if (Array.isArray(es)) replyEntries(reply, es);
    else replyRendered(reply, es);
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
      if (ctx.client.luaScript) throw new ReplyError(Err.streamBlockFromScript(group ? 'xreadgroup' : 'xread'));
      i++;
      const t = parseInt64(argv[i]!);
      if (t === null) throw new ReplyError(Err.timeoutNotInteger);
      if (t < 0) throw new ReplyError(Err.timeoutNegative);
      timeout = Number(t);
    } else if (is(o, 'COUNT') && more > 0) {
      count = argLL(argv[++i]!);
      if (count < 0) count = 0;
    } else if (is(o, 'STREAMS') && more > 0) {
      streamsArg = i + 1;
      nStreams = argv.length - streamsArg;
      if (nStreams % 2 !== 0)
        throw new ReplyError(Err.streamUnbalanced(group ? 'xreadgroup' : 'xread', group ? '>' : '$'));
      nStreams /= 2;
      break;
    } else if (is(o, 'GROUP') && more >= 2) {
      if (!group) throw new ReplyError(Err.streamGroupInXread);
      groupName = argv[i + 1]!;
      consumerName = argv[i + 2]!;
      i += 2;
    } else if (is(o, 'NOACK')) {
      if (!group) throw new ReplyError(Err.streamNoackInXread);
      noack = true;
    } else throw new ReplyError(Err.syntax);
  }
  if (streamsArg === 0) throw new ReplyError(Err.syntax);
  if (group && groupName === null) throw new ReplyError(Err.streamMissingGroup);
  const keys = argv.slice(streamsArg, streamsArg + nStreams);
  const ids: StreamId[] = [];
  const groups: Group[] = [];
  for (let k = 0; k < nStreams; k++) {
    const key = keys[k]!;
    const arg = argv[streamsArg + nStreams + k]!;
    const s = lookupStream(db, key);
    if (groupName !== null) {
      const g = s?.groups.get(groupName);
      if (g === undefined) throw new ReplyError(Err.noGroupRead(key, groupName));
      groups.push(g);
    }
    if (arg === '$') {
      if (group) throw new ReplyError(Err.streamDollarInGroup);
      ids.push(s === undefined ? 0n : s.lastId);
    } else if (arg === '>') {
      if (!group) throw new ReplyError(Err.streamGtOutsideGroup);
      ids.push(ID_MAX);
    } else ids.push(strictId(arg));
  }
  const now = server.now();
  const ops: Ops = [];
  const results: [string, Entry[] | Rendered][] = [];
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
      // serves it (7.0: only when served); its creation replicates under NOACK only
      // (otherwise the XCLAIMs of what it was given create it where they replay).
      const c = consumerOf(server, db, key, g, consumerName, now, noack ? ops : null);
      c.seenTime = now;
      if (serve) {
        if (history) {
          const start = incrId(gt);
          results.push([key, start === null ? [] : readGroupHistory(s, c, start, count, now)]);
        } else {
          c.activeTime = now;
          results.push([key, readGroupNew(s, key, g, c, gt, count, noack, now, ctx.propagating ? ops : null)]);
        }
        db.remeasure(key); // the PEL changed (Redis signals no modification)
        ctx.dirty();
      }
    } else if (s.length > 0 && s.lastValidId() > gt) {
      const start = incrId(gt)!;
      results.push([key, renderRange(s, start, ID_MAX, false, count)]);
    }
  }
  if (group) ctx.replayAs(ops);
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
      r.error(v === undefined ? Err.noGroupRead(key, groupName) : Err.wrongType);
      return true;
    }
    const s = v;
    let gt = waitIds.get(key)!;
    let g: Group | undefined;
    if (groupName !== null) {
      g = s.groups.get(groupName);
      if (g === undefined) {
        r.error(Err.noGroupRead(key, groupName));
        return true;
      }
      gt = g.lastId;
    }
    if (!(s.lastId > gt)) return false;
    const now2 = server.now();
    let es: Entry[] | Rendered;
    if (g !== undefined) {
      const ops2: Ops = [];
      const c = consumerOf(server, db2, key, g, consumerName, now2, ops2);
      c.seenTime = now2;
      c.activeTime = now2;
      es = readGroupNew(s, key, g, c, gt, bcount, noack, now2, ctx.propagating ? ops2 : null);
      db2.remeasure(key);
      ctx.dirty();
      for (const op of ops2) ctx.propagate(op, db2.id);
    } else {
      const start = incrId(gt);
      es = start === null ? [] : renderRange(s, start, ID_MAX, false, bcount);
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

/** The trim block's arguments, XADD's (optional there) and XTRIM's: MAXLEN|MINID [=|~] threshold [LIMIT count]. */
const TRIM_ARGS: readonly ArgDoc[] = [
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
];

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
      keyArg(),
      { name: 'nomkstream', type: 'pure-token', token: 'NOMKSTREAM', since: '6.2.0', flags: ['optional'] },
      {
        name: 'trim',
        type: 'block',
        flags: ['optional'],
        arguments: TRIM_ARGS,
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
    args: [keyArg()],
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
      keyArg(),
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
      keyArg(),
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
    args: [keyArg(), { name: 'id', type: 'string', flags: ['multiple'] }],
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
      keyArg(),
      {
        name: 'trim',
        type: 'block',
        arguments: TRIM_ARGS,
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
      keyArg(),
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
  ...groupCommands,
  ...infoCommands,
];
