/**
 * Stream consumer groups: XGROUP (CREATE SETID DESTROY CREATECONSUMER
 * DELCONSUMER HELP), XACK, XPENDING, XCLAIM, XAUTOCLAIM, and what
 * XREADGROUP (in stream.ts) uses to read with a group: a consumer looked up
 * or created, new entries delivered, a consumer's history. Side effects and
 * propagation as stream.ts's header says.
 */
import { command, keyArg, keyAt, DELETE, INSERT, READ, UPDATE, type CommandSpec, type Ctx } from './spec.js';
import { is } from './args.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { parseInt64 } from '../util/numbers.js';
import { helpReply } from './help.js';
import type { Db } from '../keyspace/db.js';
import type { Server } from '../server/server.js';
import { respBytes } from '../protocol/resp-bytes.js';
import {
  Consumer,
  ENTRIES_READ_INVALID,
  Group,
  ID_MAX,
  Stream,
  fmtId,
  incrId,
  parseId,
  type Nack,
  type StreamId,
} from '../types/stream.js';
import {
  argLL,
  type Entry,
  type Rendered,
  lookupStream,
  type Ops,
  rangeBound,
  replyEntry,
  signalReady,
  strictId,
} from './stream-common.js';

// ---------------------------------------------------------------------------
// Reading with a group (XREADGROUP)

function xclaimProp(key: string, group: Group, idArg: string, nack: Nack): string[] {
  return [
    'XCLAIM',
    key,
    group.name,
    nack.consumer.name,
    '0',
    idArg,
    'TIME',
    String(nack.deliveryTime),
    'RETRYCOUNT',
    String(nack.deliveryCount),
    'FORCE',
    'JUSTID',
    'LASTID',
    fmtId(group.lastId),
  ];
}

function setidProp(key: string, group: Group): string[] {
  return ['XGROUP', 'SETID', key, group.name, fmtId(group.lastId), 'ENTRIESREAD', String(group.entriesRead)];
}

/**
 * A consumer of the group, created when missing (the xgroup-createconsumer
 * event, a dirty change, and XGROUP CREATECONSUMER to replay when `ops` is
 * given: XREADGROUP NOACK's, as Redis 7.2 propagates it; a claim's XCLAIMs
 * create the consumer where they replay).
 */
export function consumerOf(
  server: Server,
  db: Db,
  key: string,
  g: Group,
  name: string,
  now: number,
  ops: Ops | null,
): Consumer {
  let c = g.consumers.get(name);
  if (c === undefined) {
    c = new Consumer(name, now);
    g.consumers.set(name, c);
    db.remeasure(key);
    server.propagator.dirtied(1);
    db.notify('t', 'xgroup-createconsumer', key);
    ops?.push(['XGROUP', 'CREATECONSUMER', key, g.name, name]);
  }
  return c;
}

/**
 * Serves a group read of new entries after `gt` (Redis's streamReplyWithRange
 * with a group): moves the group's last ID and read counter, adds the
 * entries to the PELs (unless noack). Returns the entries written as their reply.
 * `ops` takes what replicates (the entries' XCLAIMs, or NOACK's XGROUP SETID);
 * null when nothing takes effects (no AOF, replica or backlog: Propagator.active).
 */
export function readGroupNew(
  s: Stream,
  key: string,
  g: Group,
  c: Consumer,
  gt: StreamId,
  count: number,
  noack: boolean,
  now: number,
  ops: Ops | null,
): Rendered {
  const w = respBytes.begin();
  let moved = false;
  const start = incrId(gt);
  if (start === null) return { n: 0, resp: '' };
  const n = s.range(start, ID_MAX, false, count, (node, i) => {
    const id = node.idAt(i);
    const text = node.idText(i);
    if (id > g.lastId) {
      if (g.entriesRead !== ENTRIES_READ_INVALID && !s.rangeHasTombstones(id, ID_MAX)) g.entriesRead++;
      else if (s.entriesAdded !== 0) g.entriesRead = s.estimateDistance(id);
      g.lastId = id;
      moved = true;
    }
    node.writeEntry(i, w);
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
      ops?.push(xclaimProp(key, g, text, nack));
    }
  });
  // the group's new last ID replicates with the XCLAIMs (LASTID), or, under NOACK
  // (no XCLAIM), as XGROUP SETID: Redis 7.2's streamReplyWithRange. (A replica's
  // entries-read does not follow the XCLAIMs, in Redis neither.)
  if (moved && noack) ops?.push(setidProp(key, g));
  return { n, resp: w.take() };
}

/** The consumer's own pending entries from `start` (XREADGROUP with an explicit ID). */
export function readGroupHistory(s: Stream, c: Consumer, start: StreamId, count: number, now: number): Entry[] {
  const out: Entry[] = [];
  for (const [id, nack] of c.pel.from(start)) {
    if (count !== 0 && out.length >= count) break;
    const fv = s.get(id);
    if (fv === undefined) out.push([fmtId(id), null]);
    else {
      nack.deliveryTime = now;
      nack.deliveryCount++;
      out.push([fmtId(id), fv]);
    }
  }
  return out;
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
  if (s === undefined && !mkstream) throw new ReplyError(Err.streamNeedKey);
  const g = s?.groups.get(argv[3]!);
  if (g === undefined && needGroup) throw new ReplyError(Err.noGroupForKey(argv[3]!, argv[2]!));
  return { s, g };
}

/** XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD entries-read] */
function xgroupCreate(ctx: Ctx): void {
  const { argv, db, reply } = ctx;
  let mkstream = false;
  let entriesRead = ENTRIES_READ_INVALID;
  for (let i = 5; i < argv.length;) {
    if (is(argv[i], 'MKSTREAM')) {
      mkstream = true;
      i++;
    } else if (is(argv[i], 'ENTRIESREAD') && i + 1 < argv.length) {
      entriesRead = argLL(argv[i + 1]!);
      if (entriesRead < 0 && entriesRead !== ENTRIES_READ_INVALID) throw new ReplyError(Err.streamEntriesReadNeg);
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
  if (s.groups.has(argv[3]!)) throw new ReplyError(Err.busyGroup);
  s.groups.set(argv[3]!, new Group(argv[3]!, id, entriesRead));
  db.remeasure(key);
  reply.ok();
  ctx.dirty();
  db.notify('t', 'xgroup-create', key);
}

/** XGROUP SETID key group id|$ [ENTRIESREAD entries-read] */
function xgroupSetid(ctx: Ctx): void {
  const { argv, db, reply } = ctx;
  const { s, g } = groupTarget(ctx, false, true);
  if (argv.length !== 5 && argv.length !== 7)
    throw new ReplyError(Err.unknownSubcommandOrWrongArgs(argv[1]!, 'xgroup'));
  let id: StreamId;
  if (argv[4] === '$') id = s!.lastId;
  else {
    const p = parseId(argv[4]!, 0n, false);
    if (p === null) throw new ReplyError(Err.streamInvalidId);
    id = p.id;
  }
  let entriesRead = ENTRIES_READ_INVALID;
  if (argv.length === 7) {
    if (!is(argv[5], 'ENTRIESREAD')) throw new ReplyError(Err.unknownSubcommandOrWrongArgs(argv[1]!, 'xgroup'));
    entriesRead = argLL(argv[6]!);
    if (entriesRead < 0 && entriesRead !== ENTRIES_READ_INVALID) throw new ReplyError(Err.streamEntriesReadNeg);
  }
  g!.lastId = id;
  g!.entriesRead = entriesRead;
  reply.ok();
  ctx.dirty();
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
  ctx.dirty();
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
  for (const [id] of c.pel.from()) g!.pel.delete(id);
  g!.consumers.delete(c.name);
  db.remeasure(argv[2]!);
  reply.int(pending);
  ctx.dirty();
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
    const nack = g.pel.take(id);
    if (nack === undefined) continue;
    nack.consumer.pel.delete(id);
    n++;
  }
  if (n > 0) db.remeasure(argv[1]!);
  ctx.dirty(n);
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
  if (g === undefined) throw new ReplyError(Err.noKeyOrGroup(argv[1]!, argv[2]!));
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
    for (const [id, nack] of pel.from(start)) {
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
  if (g === undefined) throw new ReplyError(Err.noKeyOrGroup(key, argv[2]!));
  let minidle = argLL(argv[4]!, Err.xclaimMinIdle);
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
    else if (is(opt, 'IDLE') && more > 0) deliverytime = now - argLL(argv[++j]!, Err.xclaimIdle);
    else if (is(opt, 'TIME') && more > 0) deliverytime = argLL(argv[++j]!, Err.xclaimTime);
    else if (is(opt, 'RETRYCOUNT') && more > 0) retrycount = argLL(argv[++j]!, Err.xclaimRetryCount);
    else if (is(opt, 'LASTID') && more > 0) lastId = strictId(argv[++j]!);
    else throw new ReplyError(Err.xclaimOption(opt));
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
      // a new PEL entry, owned by the claiming consumer from the start
      fresh = true;
      consumer ??= consumerOf(server, db, key, g, argv[3]!, now, null);
      nack = { id, consumer, deliveryTime: now, deliveryCount: 1 };
      g.pel.set(id, nack);
      consumer.pel.set(id, nack);
    }
    if (nack === undefined) continue;
    if (!fresh && minidle !== 0 && now - nack.deliveryTime < minidle) continue;
    consumer ??= consumerOf(server, db, key, g, argv[3]!, now, null);
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
    out.push([fmtId(id), justid ? null : fv]);
    ops.push(xclaimProp(key, g, idArg, nack));
    propagateLastId = false;
    dirty++;
  }
  if (propagateLastId) {
    ops.push(setidProp(key, g));
    dirty++;
  }
  ctx.dirty(dirty);
  db.remeasure(key);
  ctx.replayAs(ops);
  reply.array(out.length);
  for (const [id, fv] of out) {
    if (fv === null) reply.bulk(id);
    else replyEntry(reply, id, fv);
  }
}

/** XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID] */
function xautoclaim(ctx: Ctx): void {
  const { argv, db, reply, server } = ctx;
  const key = argv[1]!;
  let minidle = argLL(argv[4]!, Err.xautoclaimMinIdle);
  if (minidle < 0) minidle = 0;
  const start = rangeBound(argv[5]!, true);
  let count = 100;
  let justid = false;
  for (let j = 6; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (is(argv[j], 'COUNT') && more > 0) {
      const n = parseInt64(argv[j + 1]!);
      const max = Math.floor(Number.MAX_SAFE_INTEGER); // LONG_MAX / 16 is far beyond any real PEL
      if (n === null || n < 1 || Number(n) > Math.min(max, 2 ** 59)) throw new ReplyError(Err.countAboveZero);
      count = Number(n);
      j++;
    } else if (is(argv[j], 'JUSTID')) justid = true;
    else throw new ReplyError(Err.syntax);
  }
  const s = lookupStream(db, key, true);
  const g = s?.groups.get(argv[2]!);
  if (g === undefined) throw new ReplyError(Err.noKeyOrGroup(key, argv[2]!));
  let attempts = count * 10;
  const now = server.now();
  const ops: Ops = [];
  const claimed: Entry[] = [];
  const deleted: StreamId[] = [];
  let consumer: Consumer | null = null;
  let dirty = 0;
  // the cursor: the next pending entry after the last one examined, or 0-0
  let cursor: StreamId = 0n;
  for (const [id, nack] of g.pel.from(start)) {
    if (attempts-- === 0 || count === 0) {
      cursor = id;
      break;
    }
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
    consumer ??= consumerOf(server, db, key, g, argv[3]!, now, null);
    consumer.seenTime = now;
    consumer.activeTime = now;
    if (nack.consumer !== consumer) nack.consumer.pel.delete(id);
    nack.deliveryTime = now;
    if (!justid) nack.deliveryCount++;
    if (nack.consumer !== consumer) {
      consumer.pel.set(id, nack);
      nack.consumer = consumer;
    }
    const text = fmtId(id);
    claimed.push([text, justid ? null : fv]);
    count--;
    ops.push(xclaimProp(key, g, text, nack));
    dirty++;
  }
  ctx.dirty(dirty);
  db.remeasure(key);
  ctx.replayAs(ops);
  reply.array(3);
  reply.bulk(fmtId(cursor));
  reply.array(claimed.length);
  for (const [id, fv] of claimed) {
    if (fv === null) reply.bulk(id);
    else replyEntry(reply, id, fv);
  }
  reply.array(deleted.length);
  for (const id of deleted) reply.bulk(fmtId(id));
}

export const groupCommands: CommandSpec[] = [
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
        args: [keyArg(), { name: 'groupname', type: 'string' }],
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
          keyArg(),
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
        args: [keyArg(), { name: 'groupname', type: 'string' }, { name: 'consumername', type: 'string' }],
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
          keyArg(),
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
        args: [keyArg(), { name: 'groupname', type: 'string' }, { name: 'consumername', type: 'string' }],
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
    args: [keyArg(), { name: 'group', type: 'string' }, { name: 'id', type: 'string', flags: ['multiple'] }],
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
      keyArg(),
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
      keyArg(),
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
      keyArg(),
      { name: 'group', type: 'string' },
      { name: 'consumer', type: 'string' },
      { name: 'min-idle-time', type: 'string' },
      { name: 'start', type: 'string' },
      { name: 'count', type: 'integer', token: 'COUNT', flags: ['optional'] },
      { name: 'justid', type: 'pure-token', token: 'JUSTID', flags: ['optional'] },
    ],
    handler: xautoclaim,
  }),
];
