/**
 * Sorted set commands: ZADD ZINCRBY ZREM ZCARD ZSCORE ZMSCORE ZRANK ZREVRANK
 * ZCOUNT ZLEXCOUNT ZRANGE ZRANGESTORE ZRANGEBYSCORE ZREVRANGEBYSCORE
 * ZRANGEBYLEX ZREVRANGEBYLEX ZREVRANGE ZREMRANGEBYRANK ZREMRANGEBYSCORE
 * ZREMRANGEBYLEX ZUNION ZINTER ZDIFF ZUNIONSTORE ZINTERSTORE ZDIFFSTORE
 * ZINTERCARD ZPOPMIN ZPOPMAX ZMPOP ZRANDMEMBER ZSCAN. The ZRANGE family and
 * the range removals live in zset-range.ts, the union/intersection/difference
 * family in zset-ops.ts, what they share in zset-common.ts; `commands` here
 * lists all three files' declarations.
 *
 * The data structure is src/types/zset.ts. Scores are replied with
 * reply.double() (RESP2 bulk, RESP3 double) in Redis 7.2's format.
 */
import {
  command,
  keyArg,
  keyAt,
  keysCounted,
  DELETE,
  READ,
  READ_DELETE,
  READ_META,
  READ_UPDATE,
  UPDATE,
  type CommandSpec,
  type Ctx,
} from './spec.js';
import {
  argAtLeast,
  argDouble,
  is,
  lookupTyped,
  checkRepeatedReply,
  parseMpopArgs,
  parseScanOptions,
  repeatStopped,
} from './args.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { parseInt64, formatDouble, INT64_MAX } from '../util/numbers.js';
import type { Reply } from '../protocol/writer.js';
import type { Db } from '../keyspace/db.js';
import { ZSet, lexLteMax } from '../types/zset.js';
import { parseCursor } from './keys.js';
import { globMatch } from '../util/glob.js';
import { numkeysGetKeys } from './keys-of.js';
import {
  afterRemove,
  getZ,
  limits,
  newZSet,
  pairsHeader,
  parseLexRange,
  parseScoreRange,
  replyPair,
  replyPairs,
} from './zset-common.js';
import { rangeCommands } from './zset-range.js';
import { setOpCommands } from './zset-ops.js';

// ---------------------------------------------------------------------------
// ZADD / ZINCRBY

const NX = 1,
  XX = 2,
  GT = 4,
  LT = 8,
  CH = 16,
  INCR = 32;

/**
 * The shared ZADD implementation (ZADD, ZINCRBY): option conflicts, all
 * scores parsed before anything changes, WRONGTYPE, then each pair added
 * with NX/XX/GT/LT rules. Replies the count (added, plus updated with CH)
 * or the new score for INCR (null when a condition stopped it).
 */
function zaddGeneric(ctx: Ctx, flags: number, scoreIdx: number): void {
  const { argv, reply, db } = ctx;
  const key = argv[1]!;
  const elements = argv.length - scoreIdx;
  if (elements === 0 || elements % 2 !== 0) throw new ReplyError(Err.syntax);
  const pairs = elements / 2;
  if (flags & NX && flags & XX) throw new ReplyError(Err.zsetXxNx);
  if ((flags & GT && flags & NX) || (flags & LT && flags & NX) || (flags & GT && flags & LT))
    throw new ReplyError(Err.zsetGtLtNx);
  if (flags & INCR && pairs > 1) throw new ReplyError(Err.zsetIncrPair);
  const scores = new Array<number>(pairs);
  let maxLen = 0;
  for (let i = 0; i < pairs; i++) {
    scores[i] = argDouble(argv[scoreIdx + 2 * i]!);
    const l = argv[scoreIdx + 2 * i + 1]!.length;
    if (l > maxLen) maxLen = l;
  }
  let z = getZ(ctx, key, true);
  let created = false;
  if (z === undefined) {
    if (flags & XX) {
      if (flags & INCR) reply.null();
      else reply.int(0);
      return;
    }
    z = newZSet(ctx, pairs, maxLen);
    created = true;
  }
  let added = 0;
  let updated = 0;
  let processed = 0;
  let score = 0;
  for (let i = 0; i < pairs; i++) {
    score = scores[i]!;
    const member = argv[scoreIdx + 2 * i + 1]!;
    // One dict lookup per member: its slot serves the update or the insertion.
    const slot = z.slot(member);
    if (slot >= 0) {
      const cur = z.scoreAt(slot);
      if (flags & NX) continue;
      if (flags & INCR) {
        score += cur;
        if (Number.isNaN(score)) {
          if (created && z.card() > 0) db.set(key, z);
          throw new ReplyError(Err.zsetNaN);
        }
      }
      if ((flags & LT && score >= cur) || (flags & GT && score <= cur)) continue;
      processed++;
      if (score !== cur) {
        z.update(slot, member, score);
        updated++;
      }
    } else {
      if (flags & XX) continue;
      z.insertAfterMiss(score, member); // nothing looked up since slot()
      added++;
      processed++;
    }
  }
  if (z.lp) {
    const [me, mv] = limits(ctx);
    z.checkConvert(me, mv, maxLen);
  }
  if (flags & INCR) {
    if (processed) reply.double(score);
    else reply.null();
  } else reply.int(flags & CH ? added + updated : added);
  if (added + updated > 0) {
    if (created) db.set(key, z, false, added + updated);
    else db.modified(key, added + updated);
    db.notify('z', flags & INCR ? 'zincr' : 'zadd', key);
  }
}

/** ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...] */
function zadd(ctx: Ctx): void {
  const argv = ctx.argv;
  let flags = 0;
  let i = 2;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    const c = a.charCodeAt(0) | 0x20; // options start with a letter among n x c g l i
    if (a.length > 4 || a.length < 2 || (c !== 110 && c !== 120 && c !== 99 && c !== 103 && c !== 108 && c !== 105))
      break;
    const u = a.toUpperCase();
    if (u === 'NX') flags |= NX;
    else if (u === 'XX') flags |= XX;
    else if (u === 'CH') flags |= CH;
    else if (u === 'GT') flags |= GT;
    else if (u === 'LT') flags |= LT;
    else if (u === 'INCR') flags |= INCR;
    else break;
  }
  zaddGeneric(ctx, flags, i);
}

/** ZINCRBY key increment member */
function zincrby(ctx: Ctx): void {
  zaddGeneric(ctx, INCR, 2);
}

/** ZREM key member [member ...] */
function zrem(ctx: Ctx): void {
  const { argv, reply } = ctx;
  const key = argv[1]!;
  const z = getZ(ctx, key, true);
  if (z === undefined) return reply.int(0);
  let n = 0;
  for (let i = 2; i < argv.length; i++) {
    if (z.remove(argv[i]!)) {
      n++;
      if (z.card() === 0) break;
    }
  }
  afterRemove(ctx, key, z, 'zrem', n);
  reply.int(n);
}

/** ZCARD key */
function zcard(ctx: Ctx): void {
  const z = getZ(ctx, ctx.argv[1]!);
  ctx.reply.int(z === undefined ? 0 : z.card());
}

/** ZSCORE key member */
function zscore(ctx: Ctx): void {
  const z = getZ(ctx, ctx.argv[1]!);
  const s = z?.score(ctx.argv[2]!);
  if (s === undefined) ctx.reply.null();
  else ctx.reply.double(s);
}

/** ZMSCORE key member [member ...] */
function zmscore(ctx: Ctx): void {
  const { argv, reply } = ctx;
  const z = getZ(ctx, argv[1]!);
  reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const s = z?.score(argv[i]!);
    if (s === undefined) reply.null();
    else reply.double(s);
  }
}

/** ZRANK / ZREVRANK key member [WITHSCORE] (WITHSCORE: Redis 7.2). */
function zrankGeneric(ctx: Ctx, rev: boolean): void {
  const { argv, reply } = ctx;
  if (argv.length > 4) throw new ReplyError(Err.wrongArgs(ctx.cmd.name));
  let withscore = false;
  if (argv.length === 4) {
    if (is(argv[3], 'WITHSCORE')) withscore = true;
    else throw new ReplyError(Err.syntax);
  }
  const z = getZ(ctx, argv[1]!);
  const r = z === undefined ? -1 : z.rank(argv[2]!);
  if (r < 0) {
    if (withscore) reply.nullArray();
    else reply.null();
    return;
  }
  const rank = rev ? z!.card() - 1 - r : r;
  if (withscore) {
    reply.array(2);
    reply.int(rank);
    reply.double(z!.score(argv[2]!)!);
  } else reply.int(rank);
}

/** ZCOUNT key min max */
function zcount(ctx: Ctx): void {
  const { argv, reply } = ctx;
  const range = parseScoreRange(argv[2]!, argv[3]!);
  const z = getZ(ctx, argv[1]!);
  if (z === undefined) return reply.int(0);
  const a = z.firstInRange(range);
  if (a < 0) return reply.int(0);
  reply.int(z.lastInRange(range) - a + 1);
}

/** ZLEXCOUNT key min max */
function zlexcount(ctx: Ctx): void {
  const { argv, reply } = ctx;
  const range = parseLexRange(argv[2]!, argv[3]!);
  const z = getZ(ctx, argv[1]!);
  if (z === undefined) return reply.int(0);
  const a = z.firstInLex(range);
  if (a < 0) return reply.int(0);
  if (z.lp) {
    // Redis's listpack code counts forward while members are <= max.
    let n = 0;
    for (const x = z.cursor(a); x.leaf !== null && lexLteMax(x.m, range); x.next()) n++;
    return reply.int(n);
  }
  const b = z.lastInLex(range);
  reply.int(b < 0 ? 0 : b - a + 1);
}

// ---------------------------------------------------------------------------
// Pops, random members, scan

/** ZPOPMIN / ZPOPMAX key [count] */
function zpopGeneric(ctx: Ctx, max: boolean): void {
  const { argv, reply } = ctx;
  if (argv.length > 3) throw new ReplyError(Err.syntax);
  const hasCount = argv.length === 3;
  const count = hasCount ? argAtLeast(argv[2]!, 0, Err.mustBePositive) : 1;
  const key = argv[1]!;
  const z = getZ(ctx, key, true);
  if (z === undefined || count === 0) {
    reply.array(0);
    return;
  }
  const items = max ? z.popMax(count) : z.popMin(count);
  if (hasCount) replyPairs(reply, items, true);
  else {
    reply.array(2);
    reply.bulk(items[0]![0]);
    reply.double(items[0]![1]);
  }
  afterRemove(ctx, key, z, max ? 'zpopmax' : 'zpopmin', items.length);
}

/** ZMPOP numkeys key [key ...] MIN|MAX [COUNT count] */
function zmpop(ctx: Ctx): void {
  const { keys, first, count } = parseMpopArgs(ctx.argv, 1, 'MIN', 'MAX');
  const hit = firstNonEmptyZset(ctx.db, keys);
  if (hit === undefined) return ctx.reply.nullArray();
  // replayed with the count it popped, as Redis 7.2 rewrites it
  const n = zpopManyReply(ctx.db, ctx.reply, hit[0], hit[1], !first, count);
  if (ctx.propagating) ctx.replayAs([[first ? 'ZPOPMIN' : 'ZPOPMAX', hit[0], String(n)]]);
}

/** The first non-empty sorted set among keys (WRONGTYPE for another type met first). ZMPOP, BZ*POP*. */
export function firstNonEmptyZset(db: Db, keys: string[]): [string, ZSet] | undefined {
  for (const k of keys) {
    const z = lookupTyped(db, k, 'zset', true);
    if (z !== undefined && z.card() > 0) return [k, z];
  }
  return undefined;
}

/** Pops from a non-empty sorted set, with the pop event and the deletion of an emptied key. */
function zpop(db: Db, key: string, z: ZSet, max: boolean, count: number): [string, number][] {
  const items = max ? z.popMax(count) : z.popMin(count);
  db.notify('z', max ? 'zpopmax' : 'zpopmin', key);
  if (z.card() === 0) {
    db.delete(key);
    db.notify('g', 'del', key);
  } else db.modified(key, items.length);
  return items;
}

/** Pops one and replies [key, member, score] (BZPOPMIN/BZPOPMAX). */
export function zpopOneReply(db: Db, r: Reply, key: string, z: ZSet, max: boolean): void {
  const [m, s] = zpop(db, key, z, max, 1)[0]!;
  r.array(3);
  r.bulk(key);
  r.bulk(m);
  r.double(s);
}

/** Pops up to count and replies [key, [[member, score] ...]] (ZMPOP, BZMPOP); returns how many it popped. */
export function zpopManyReply(db: Db, r: Reply, key: string, z: ZSet, max: boolean, count: number): number {
  const items = zpop(db, key, z, max, count);
  r.array(2);
  r.bulk(key);
  r.array(items.length);
  for (const [m, s] of items) {
    r.array(2);
    r.bulk(m);
    r.double(s);
  }
  return items.length;
}

/** ZRANDMEMBER key [count [WITHSCORES]] */
function zrandmember(ctx: Ctx): void {
  const { argv, reply, server } = ctx;
  const rnd = server.random;
  if (argv.length === 2) {
    const z = getZ(ctx, argv[1]!);
    if (z === undefined) return reply.null();
    reply.bulk(z.memberAt(Math.floor(rnd() * z.card())));
    return;
  }
  // Redis's order: the count, then the options, then the count's range with scores
  const raw = parseInt64(argv[2]!);
  if (raw === null) throw new ReplyError(Err.notInteger);
  if (BigInt(raw) < -INT64_MAX) throw new ReplyError(Err.longRange);
  if (argv.length > 4 || (argv.length === 4 && !is(argv[3], 'WITHSCORES'))) throw new ReplyError(Err.syntax);
  const withscores = argv.length === 4;
  // with scores the reply has 2*count entries
  if (withscores && (BigInt(raw) < -(INT64_MAX / 2n) || BigInt(raw) > INT64_MAX / 2n))
    throw new ReplyError(Err.valueOutOfRange);
  let l = Number(raw);
  const z = getZ(ctx, argv[1]!);
  if (z === undefined || l === 0) {
    reply.array(0);
    return;
  }
  const size = z.card();
  let items: [string, number][] = [];
  const at = (r: number): [string, number] => {
    const c = z.cursor(r);
    return [c.m, c.s];
  };
  if (l < 0) {
    l = -l;
    checkRepeatedReply(ctx, l);
    // written as drawn: the client's output limit can stop a huge count
    pairsHeader(reply, l, withscores);
    for (let i = 0; i < l && !repeatStopped(ctx, i); i++) {
      const c = z.cursor(Math.floor(rnd() * size));
      replyPair(reply, c.m, c.s, withscores);
    }
    return;
  } else if (l >= size) {
    items = [...z.entries()];
  } else {
    // Distinct members: pick ranks without repetition.
    const picked = new Set<number>();
    while (picked.size < l) picked.add(Math.floor(rnd() * size));
    for (const r of picked) items.push(at(r));
  }
  replyPairs(reply, items, withscores);
}

/** ZSCAN key cursor [MATCH pattern] [COUNT count] */
function zscan(ctx: Ctx): void {
  const { argv, reply } = ctx;
  const cursor = parseCursor(argv[2]!);
  const z = getZ(ctx, argv[1]!);
  if (z === undefined) {
    reply.array(2);
    reply.bulk('0');
    reply.array(0);
    return;
  }
  const { count, pattern } = parseScanOptions(argv, 3);
  let found: [string, number][] = [];
  let next = 0;
  if (z.lp) {
    // A small set is returned whole, as Redis does for a listpack.
    found = [...z.entries()];
  } else {
    const size = z.dict.size;
    const start = cursor > BigInt(size) ? size : Number(cursor);
    next = z.dict.scan(start, count, (m, s) => {
      found.push([m, s]);
    });
  }
  const out: string[] = [];
  for (const [m, s] of found) {
    if (pattern !== null && !globMatch(pattern, m)) continue;
    out.push(m, formatDouble(s));
  }
  reply.array(2);
  reply.bulk(String(next));
  reply.bulks(out);
}

const H = {
  zadd,
  zincrby,
  zrem,
  zcard,
  zscore,
  zmscore,
  zrank: (ctx: Ctx) => zrankGeneric(ctx, false),
  zrevrank: (ctx: Ctx) => zrankGeneric(ctx, true),
  zcount,
  zlexcount,
  zpopmin: (ctx: Ctx) => zpopGeneric(ctx, false),
  zpopmax: (ctx: Ctx) => zpopGeneric(ctx, true),
  zmpop,
  zrandmember,
  zscan,
};

// Declarations: facts as redis-server 7.0 reports them (COMMAND INFO/DOCS),
// ZRANK/ZREVRANK with 7.2's WITHSCORE; summaries in our own words.
export const commands: CommandSpec[] = [
  command({
    name: 'zadd',
    arity: -4,
    flags: ['write', 'denyoom', 'fast'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, UPDATE)],
    // (the members when no option comes first; with options these are other arguments: only a hint)
    members: [3, -1, 2],
    group: 'sorted-set',
    since: '1.2.0',
    summary:
      'Adds members with scores to a sorted set, or updates the scores of members already there; creates the key when missing.',
    complexity: 'O(log(N)) for each item added, where N is the number of elements in the sorted set.',
    history: [
      ['2.4.0', 'Accepts multiple elements.'],
      ['3.0.2', 'Added the `XX`, `NX`, `CH` and `INCR` options.'],
      ['6.2.0', 'Added the `GT` and `LT` options.'],
    ],
    args: [
      keyArg(),
      {
        name: 'condition',
        type: 'oneof',
        since: '3.0.2',
        flags: ['optional'],
        arguments: [
          { name: 'nx', type: 'pure-token', token: 'NX' },
          { name: 'xx', type: 'pure-token', token: 'XX' },
        ],
      },
      {
        name: 'comparison',
        type: 'oneof',
        since: '6.2.0',
        flags: ['optional'],
        arguments: [
          { name: 'gt', type: 'pure-token', token: 'GT' },
          { name: 'lt', type: 'pure-token', token: 'LT' },
        ],
      },
      { name: 'change', type: 'pure-token', token: 'CH', since: '3.0.2', flags: ['optional'] },
      { name: 'increment', type: 'pure-token', token: 'INCR', since: '3.0.2', flags: ['optional'] },
      {
        name: 'score_member',
        type: 'block',
        flags: ['multiple'],
        arguments: [
          { name: 'score', type: 'double' },
          { name: 'member', type: 'string' },
        ],
      },
    ],
    handler: H.zadd,
  }),
  command({
    name: 'zincrby',
    arity: 4,
    flags: ['write', 'denyoom', 'fast'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, READ_UPDATE)],
    members: [3, 3, 1],
    group: 'sorted-set',
    since: '1.2.0',
    summary: 'Adds an increment to the score of a sorted set member.',
    complexity: 'O(log(N)) where N is the number of elements in the sorted set.',
    args: [keyArg(), { name: 'increment', type: 'integer' }, { name: 'member', type: 'string' }],
    handler: H.zincrby,
  }),
  command({
    name: 'zrem',
    arity: -3,
    flags: ['write', 'fast'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, DELETE)],
    members: [2, -1, 1],
    group: 'sorted-set',
    since: '1.2.0',
    summary: 'Removes members from a sorted set; deletes the key when it becomes empty.',
    complexity:
      'O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.',
    history: [['2.4.0', 'Accepts multiple elements.']],
    args: [keyArg(), { name: 'member', type: 'string', flags: ['multiple'] }],
    handler: H.zrem,
  }),
  command({
    name: 'zcard',
    arity: 2,
    flags: ['readonly', 'fast'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, READ_META)],
    group: 'sorted-set',
    since: '1.2.0',
    summary: 'Returns how many members a sorted set has.',
    complexity: 'O(1)',
    args: [keyArg()],
    handler: H.zcard,
  }),
  command({
    name: 'zscore',
    arity: 3,
    flags: ['readonly', 'fast'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, READ)],
    members: [2, 2, 1],
    group: 'sorted-set',
    since: '1.2.0',
    summary: 'Returns the score of one member of a sorted set.',
    complexity: 'O(1)',
    args: [keyArg(), { name: 'member', type: 'string' }],
    handler: H.zscore,
  }),
  command({
    name: 'zmscore',
    arity: -3,
    flags: ['readonly', 'fast'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, READ)],
    members: [2, -1, 1],
    group: 'sorted-set',
    since: '6.2.0',
    summary: 'Returns the scores of several members of a sorted set.',
    complexity: 'O(N) where N is the number of members being requested.',
    args: [keyArg(), { name: 'member', type: 'string', flags: ['multiple'] }],
    handler: H.zmscore,
  }),
  command({
    name: 'zrank',
    arity: -3,
    flags: ['readonly', 'fast'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, READ)],
    members: [2, 2, 1],
    group: 'sorted-set',
    since: '2.0.0',
    summary: 'Returns the position of a member in a sorted set ordered by ascending score.',
    complexity: 'O(log(N))',
    args: [
      keyArg(),
      { name: 'member', type: 'string' },
      { name: 'withscore', type: 'pure-token', token: 'WITHSCORE', since: '7.2.0', flags: ['optional'] },
    ],
    history: [['7.2.0', 'Added the optional `WITHSCORE` argument.']],
    handler: H.zrank,
  }),
  command({
    name: 'zrevrank',
    arity: -3,
    flags: ['readonly', 'fast'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, READ)],
    members: [2, 2, 1],
    group: 'sorted-set',
    since: '2.0.0',
    summary: 'Returns the position of a member in a sorted set ordered by descending score.',
    complexity: 'O(log(N))',
    args: [
      keyArg(),
      { name: 'member', type: 'string' },
      { name: 'withscore', type: 'pure-token', token: 'WITHSCORE', since: '7.2.0', flags: ['optional'] },
    ],
    history: [['7.2.0', 'Added the optional `WITHSCORE` argument.']],
    handler: H.zrevrank,
  }),
  command({
    name: 'zcount',
    arity: 4,
    flags: ['readonly', 'fast'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, READ)],
    group: 'sorted-set',
    since: '2.0.0',
    summary: 'Counts the members of a sorted set whose scores fall within a range.',
    complexity: 'O(log(N)) with N being the number of elements in the sorted set.',
    args: [keyArg(), { name: 'min', type: 'double' }, { name: 'max', type: 'double' }],
    handler: H.zcount,
  }),
  command({
    name: 'zlexcount',
    arity: 4,
    flags: ['readonly', 'fast'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, READ)],
    group: 'sorted-set',
    since: '2.8.9',
    summary: 'Counts the members of a sorted set whose names fall within a lexicographical range.',
    complexity: 'O(log(N)) with N being the number of elements in the sorted set.',
    args: [keyArg(), { name: 'min', type: 'string' }, { name: 'max', type: 'string' }],
    handler: H.zlexcount,
  }),
  ...rangeCommands,
  ...setOpCommands,
  command({
    name: 'zpopmin',
    arity: -2,
    flags: ['write', 'fast'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, READ_DELETE)],
    group: 'sorted-set',
    since: '5.0.0',
    summary: 'Removes and returns the members with the lowest scores; deletes the key when it becomes empty.',
    complexity:
      'O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.',
    args: [keyArg(), { name: 'count', type: 'integer', flags: ['optional'] }],
    handler: H.zpopmin,
  }),
  command({
    name: 'zpopmax',
    arity: -2,
    flags: ['write', 'fast'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, READ_DELETE)],
    group: 'sorted-set',
    since: '5.0.0',
    summary: 'Removes and returns the members with the highest scores; deletes the key when it becomes empty.',
    complexity:
      'O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.',
    args: [keyArg(), { name: 'count', type: 'integer', flags: ['optional'] }],
    handler: H.zpopmax,
  }),
  command({
    name: 'zmpop',
    arity: -4,
    flags: ['write', 'movablekeys'],
    acl: ['sortedset'],
    keySpecs: [keysCounted(1, READ_DELETE)],
    group: 'sorted-set',
    since: '7.0.0',
    summary:
      'Removes and returns members with the lowest or highest scores from the first non-empty sorted set among several keys.',
    complexity:
      'O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.',
    args: [
      { name: 'numkeys', type: 'integer' },
      { name: 'key', type: 'key', key_spec_index: 0, flags: ['multiple'] },
      {
        name: 'where',
        type: 'oneof',
        arguments: [
          { name: 'min', type: 'pure-token', token: 'MIN' },
          { name: 'max', type: 'pure-token', token: 'MAX' },
        ],
      },
      { name: 'count', type: 'integer', token: 'COUNT', flags: ['optional'] },
    ],
    getKeys: numkeysGetKeys(0, 1, 2),
    handler: H.zmpop,
  }),
  command({
    name: 'zrandmember',
    arity: -2,
    flags: ['readonly'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, READ)],
    tips: ['nondeterministic_output'],
    group: 'sorted-set',
    since: '6.2.0',
    summary: 'Returns one or more random members of a sorted set.',
    complexity: 'O(N) where N is the number of elements returned',
    args: [
      keyArg(),
      {
        name: 'options',
        type: 'block',
        flags: ['optional'],
        arguments: [
          { name: 'count', type: 'integer' },
          { name: 'withscores', type: 'pure-token', token: 'WITHSCORES', flags: ['optional'] },
        ],
      },
    ],
    handler: H.zrandmember,
  }),
  command({
    name: 'zscan',
    arity: -3,
    flags: ['readonly'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, READ)],
    tips: ['nondeterministic_output'],
    group: 'sorted-set',
    since: '2.8.0',
    summary: 'Walks the members and scores of a sorted set a few at a time with a cursor.',
    complexity:
      'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..',
    args: [
      keyArg(),
      { name: 'cursor', type: 'integer' },
      { name: 'pattern', type: 'pattern', token: 'MATCH', flags: ['optional'] },
      { name: 'count', type: 'integer', token: 'COUNT', flags: ['optional'] },
    ],
    handler: H.zscan,
  }),
];
