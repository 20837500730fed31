/**
 * ZRANGE and its older forms (ZRANGESTORE ZRANGEBYSCORE ZREVRANGEBYSCORE
 * ZRANGEBYLEX ZREVRANGEBYLEX ZREVRANGE) and the range removals
 * (ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREMRANGEBYLEX).
 */
import { command, keyArg, keyAt, limitArg, DELETE, OVERWRITE, READ, type CommandSpec, type Ctx } from './spec.js';
import { argInt, is } from './args.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { ZSet, gteMin, lteMax, lexGteMin, lexLteMax } from '../types/zset.js';
import {
  afterRemove,
  getZ,
  limits,
  newZSet,
  parseLexRange,
  parseScoreRange,
  replyPairs,
  storeResult,
} from './zset-common.js';

const BY_RANK = 0,
  BY_SCORE = 1,
  BY_LEX = 2;

/**
 * The nodes of a range, in reply order. Rank ranges are sanitized as
 * Redis does (negative from the end, clipped); score/lex ranges honour
 * LIMIT offset count (a negative offset gives nothing, a negative count all).
 */
function collectRange(
  z: ZSet,
  by: number,
  rev: boolean,
  minArg: string,
  maxArg: string,
  offset: number,
  count: number,
  removing = false,
): [string, number][] {
  const out: [string, number][] = [];
  if (by === BY_RANK) {
    const len = z.card();
    let start = argInt(minArg);
    let end = argInt(maxArg);
    if (start < 0) start += len;
    if (end < 0) end += len;
    if (start < 0) start = 0;
    if (start > end || start >= len) return out;
    if (end >= len) end = len - 1;
    let n = end - start + 1;
    const x = z.cursor(rev ? len - 1 - start : start);
    while (n-- > 0 && x.leaf !== null) {
      out.push([x.m, x.s]);
      if (rev) x.prev();
      else x.next();
    }
    return out;
  }
  let k: number;
  let inRange: (s: number, m: string) => boolean;
  if (by === BY_SCORE) {
    const r = rev ? parseScoreRange(maxArg, minArg) : parseScoreRange(minArg, maxArg);
    k = rev ? z.lastInRange(r) : z.firstInRange(r);
    inRange = rev ? (s) => gteMin(s, r) : (s) => lteMax(s, r);
  } else {
    const r = rev ? parseLexRange(maxArg, minArg) : parseLexRange(minArg, maxArg);
    k = rev ? z.lastInLex(r) : z.firstInLex(r, !(removing && !z.lp));
    inRange = rev ? (_s, m) => lexGteMin(m, r) : (_s, m) => lexLteMax(m, r);
  }
  if (offset < 0 || k < 0) return out;
  // Skip offset entries: a rank step, O(log n), rather than a walk.
  k = rev ? k - offset : k + offset;
  const x = z.cursor(k);
  while (x.leaf !== null && count !== 0) {
    const s = x.s;
    const m = x.m;
    if (!inRange(s, m)) break;
    out.push([m, s]);
    if (rev) x.prev();
    else x.next();
    count--;
  }
  return out;
}

/** Validates range arguments before the key lookup (errors come first, as in Redis). */
function validateRange(by: number, minArg: string, maxArg: string): void {
  if (by === BY_RANK) {
    argInt(minArg);
    argInt(maxArg);
  } else if (by === BY_SCORE) parseScoreRange(minArg, maxArg);
  else parseLexRange(minArg, maxArg);
}

/**
 * The shared range implementation: ZRANGE (auto: BYSCORE/BYLEX/REV allowed),
 * ZRANGESTORE (store), and the fixed legacy forms. `first` is the argv index
 * of the source key.
 */
function zrangeGeneric(ctx: Ctx, first: number, by: number, rev: boolean, auto: boolean, store: string | null): void {
  const { argv, reply } = ctx;
  let withscores = false;
  let offset = 0;
  let count = -1;
  for (let j = first + 3; j < argv.length; j++) {
    const left = argv.length - j - 1;
    const a = argv[j]!;
    if (store === null && is(a, 'WITHSCORES')) withscores = true;
    else if (is(a, 'LIMIT') && left >= 2) {
      offset = argInt(argv[j + 1]!);
      count = argInt(argv[j + 2]!);
      j += 2;
    } else if (auto && by === BY_RANK && is(a, 'BYLEX')) by = BY_LEX;
    else if (auto && by === BY_RANK && is(a, 'BYSCORE')) by = BY_SCORE;
    else if (auto && !rev && is(a, 'REV')) rev = true;
    else throw new ReplyError(Err.syntax);
  }
  // LIMIT <offset> -1 is no limit, and allowed by rank (where the offset is ignored)
  if (count !== -1 && by === BY_RANK) throw new ReplyError(Err.zsetLimitRank);
  if (withscores && by === BY_LEX) throw new ReplyError(Err.zsetWithscoresLex);
  // Reverse forms (REV and the legacy ZREV*) take max before min; collectRange swaps.
  const minArg = argv[first + 1]!;
  const maxArg = argv[first + 2]!;
  validateRange(by, minArg, maxArg);
  const z = getZ(ctx, argv[first]!, store !== null);
  const items = z === undefined ? [] : collectRange(z, by, rev, minArg, maxArg, offset, count);
  if (store === null) {
    replyPairs(reply, items, withscores);
    return;
  }
  let maxLen = 0;
  for (const [m] of items) if (m.length > maxLen) maxLen = m.length;
  const dst = newZSet(ctx, items.length, 0);
  for (const [m, s] of items) dst.insert(s, m);
  const [me, mv] = limits(ctx);
  dst.checkConvert(me, mv, maxLen);
  storeResult(ctx, store, dst, 'zrangestore');
  reply.int(dst.card());
}

/** ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES] */
function zrange(ctx: Ctx): void {
  zrangeGeneric(ctx, 1, BY_RANK, false, true, null);
}
/** ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count] */
function zrangestore(ctx: Ctx): void {
  zrangeGeneric(ctx, 2, BY_RANK, false, true, ctx.argv[1]!);
}
/** ZREVRANGE key start stop [WITHSCORES] */
function zrevrange(ctx: Ctx): void {
  zrangeGeneric(ctx, 1, BY_RANK, true, false, null);
}
/** ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count] */
function zrangebyscore(ctx: Ctx): void {
  zrangeGeneric(ctx, 1, BY_SCORE, false, false, null);
}
/** ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count] */
function zrevrangebyscore(ctx: Ctx): void {
  zrangeGeneric(ctx, 1, BY_SCORE, true, false, null);
}
/** ZRANGEBYLEX key min max [LIMIT offset count] */
function zrangebylex(ctx: Ctx): void {
  zrangeGeneric(ctx, 1, BY_LEX, false, false, null);
}
/** ZREVRANGEBYLEX key max min [LIMIT offset count] */
function zrevrangebylex(ctx: Ctx): void {
  zrangeGeneric(ctx, 1, BY_LEX, true, false, null);
}

/** ZREMRANGEBYRANK / BYSCORE / BYLEX key min max */
function zremrangeGeneric(ctx: Ctx, by: number, event: string): void {
  const { argv, reply } = ctx;
  const key = argv[1]!;
  validateRange(by, argv[2]!, argv[3]!);
  const z = getZ(ctx, key, true);
  if (z === undefined) return reply.int(0);
  const items = collectRange(z, by, false, argv[2]!, argv[3]!, 0, -1, true);
  for (const [m] of items) z.remove(m);
  afterRemove(ctx, key, z, event, items.length);
  reply.int(items.length);
}

const H = {
  zrange,
  zrangestore,
  zrangebyscore,
  zrevrangebyscore,
  zrangebylex,
  zrevrangebylex,
  zrevrange,
  zremrangebyrank: (ctx: Ctx) => zremrangeGeneric(ctx, BY_RANK, 'zremrangebyrank'),
  zremrangebyscore: (ctx: Ctx) => zremrangeGeneric(ctx, BY_SCORE, 'zremrangebyscore'),
  zremrangebylex: (ctx: Ctx) => zremrangeGeneric(ctx, BY_LEX, 'zremrangebylex'),
};

export const rangeCommands: CommandSpec[] = [
  command({
    name: 'zrange',
    arity: -4,
    flags: ['readonly'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, READ)],
    group: 'sorted-set',
    since: '1.2.0',
    summary: 'Returns members of a sorted set within a range of positions, scores or names.',
    complexity:
      'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.',
    history: [['6.2.0', 'Added the `REV`, `BYSCORE`, `BYLEX` and `LIMIT` options.']],
    args: [
      keyArg(),
      { name: 'start', type: 'string' },
      { name: 'stop', type: 'string' },
      {
        name: 'sortby',
        type: 'oneof',
        since: '6.2.0',
        flags: ['optional'],
        arguments: [
          { name: 'byscore', type: 'pure-token', token: 'BYSCORE' },
          { name: 'bylex', type: 'pure-token', token: 'BYLEX' },
        ],
      },
      { name: 'rev', type: 'pure-token', token: 'REV', since: '6.2.0', flags: ['optional'] },
      limitArg('6.2.0'),
      { name: 'withscores', type: 'pure-token', token: 'WITHSCORES', flags: ['optional'] },
    ],
    handler: H.zrange,
  }),
  command({
    name: 'zrangestore',
    arity: -5,
    flags: ['write', 'denyoom'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, OVERWRITE), keyAt(2, READ)],
    group: 'sorted-set',
    since: '6.2.0',
    summary: 'Stores a range of a sorted set (by position, score or name) under another key.',
    complexity:
      'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.',
    args: [
      { name: 'dst', type: 'key', key_spec_index: 0 },
      { name: 'src', type: 'key', key_spec_index: 1 },
      { name: 'min', type: 'string' },
      { name: 'max', type: 'string' },
      {
        name: 'sortby',
        type: 'oneof',
        flags: ['optional'],
        arguments: [
          { name: 'byscore', type: 'pure-token', token: 'BYSCORE' },
          { name: 'bylex', type: 'pure-token', token: 'BYLEX' },
        ],
      },
      { name: 'rev', type: 'pure-token', token: 'REV', flags: ['optional'] },
      limitArg(),
    ],
    handler: H.zrangestore,
  }),
  command({
    name: 'zrangebyscore',
    arity: -4,
    flags: ['readonly'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, READ)],
    group: 'sorted-set',
    since: '1.0.5',
    summary: 'Returns the members of a sorted set whose scores fall within a range.',
    complexity:
      'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).',
    docFlags: ['deprecated'],
    deprecatedSince: '6.2.0',
    replacedBy: '`ZRANGE` with the `BYSCORE` argument',
    history: [['2.0.0', 'Added the `WITHSCORES` modifier.']],
    args: [
      keyArg(),
      { name: 'min', type: 'double' },
      { name: 'max', type: 'double' },
      { name: 'withscores', type: 'pure-token', token: 'WITHSCORES', since: '2.0.0', flags: ['optional'] },
      limitArg(),
    ],
    handler: H.zrangebyscore,
  }),
  command({
    name: 'zrevrangebyscore',
    arity: -4,
    flags: ['readonly'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, READ)],
    group: 'sorted-set',
    since: '2.2.0',
    summary: 'Returns the members of a sorted set whose scores fall within a range, highest first.',
    complexity:
      'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).',
    docFlags: ['deprecated'],
    deprecatedSince: '6.2.0',
    replacedBy: '`ZRANGE` with the `REV` and `BYSCORE` arguments',
    history: [['2.1.6', '`min` and `max` can be exclusive.']],
    args: [
      keyArg(),
      { name: 'max', type: 'double' },
      { name: 'min', type: 'double' },
      { name: 'withscores', type: 'pure-token', token: 'WITHSCORES', flags: ['optional'] },
      limitArg(),
    ],
    handler: H.zrevrangebyscore,
  }),
  command({
    name: 'zrangebylex',
    arity: -4,
    flags: ['readonly'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, READ)],
    group: 'sorted-set',
    since: '2.8.9',
    summary: 'Returns the members of a sorted set whose names fall within a lexicographical range.',
    complexity:
      'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).',
    docFlags: ['deprecated'],
    deprecatedSince: '6.2.0',
    replacedBy: '`ZRANGE` with the `BYLEX` argument',
    args: [keyArg(), { name: 'min', type: 'string' }, { name: 'max', type: 'string' }, limitArg()],
    handler: H.zrangebylex,
  }),
  command({
    name: 'zrevrangebylex',
    arity: -4,
    flags: ['readonly'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, READ)],
    group: 'sorted-set',
    since: '2.8.9',
    summary: 'Returns the members of a sorted set whose names fall within a lexicographical range, in reverse order.',
    complexity:
      'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).',
    docFlags: ['deprecated'],
    deprecatedSince: '6.2.0',
    replacedBy: '`ZRANGE` with the `REV` and `BYLEX` arguments',
    args: [keyArg(), { name: 'max', type: 'string' }, { name: 'min', type: 'string' }, limitArg()],
    handler: H.zrevrangebylex,
  }),
  command({
    name: 'zrevrange',
    arity: -4,
    flags: ['readonly'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, READ)],
    group: 'sorted-set',
    since: '1.2.0',
    summary: 'Returns members of a sorted set within a range of positions, highest score first.',
    complexity:
      'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.',
    docFlags: ['deprecated'],
    deprecatedSince: '6.2.0',
    replacedBy: '`ZRANGE` with the `REV` argument',
    args: [
      keyArg(),
      { name: 'start', type: 'integer' },
      { name: 'stop', type: 'integer' },
      { name: 'withscores', type: 'pure-token', token: 'WITHSCORES', flags: ['optional'] },
    ],
    handler: H.zrevrange,
  }),
  command({
    name: 'zremrangebyrank',
    arity: 4,
    flags: ['write'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, DELETE)],
    group: 'sorted-set',
    since: '2.0.0',
    summary: 'Removes the members of a sorted set within a range of positions; deletes the key when it becomes empty.',
    complexity:
      'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.',
    args: [keyArg(), { name: 'start', type: 'integer' }, { name: 'stop', type: 'integer' }],
    handler: H.zremrangebyrank,
  }),
  command({
    name: 'zremrangebyscore',
    arity: 4,
    flags: ['write'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, DELETE)],
    group: 'sorted-set',
    since: '1.2.0',
    summary:
      'Removes the members of a sorted set whose scores fall within a range; deletes the key when it becomes empty.',
    complexity:
      'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.',
    args: [keyArg(), { name: 'min', type: 'double' }, { name: 'max', type: 'double' }],
    handler: H.zremrangebyscore,
  }),
  command({
    name: 'zremrangebylex',
    arity: 4,
    flags: ['write'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, DELETE)],
    group: 'sorted-set',
    since: '2.8.9',
    summary:
      'Removes the members of a sorted set within a lexicographical range; deletes the key when it becomes empty.',
    complexity:
      'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.',
    args: [keyArg(), { name: 'min', type: 'string' }, { name: 'max', type: 'string' }],
    handler: H.zremrangebylex,
  }),
];
