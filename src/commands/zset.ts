/**
 * Sorted set commands: ZADD ZINCRBY ZREM ZCARD ZSCORE ZMSCORE ZRANK ZREVRANK
 * ZCOUNT ZLEXCOUNT ZRANGE ZRANGESTORE ZRANGEBYSCORE ZREVRANGEBYSCORE
 * ZRANGEBYLEX ZREVRANGEBYLEX ZREVRANGE ZREMRANGEBYRANK ZREMRANGEBYSCORE
 * ZREMRANGEBYLEX ZUNION ZINTER ZDIFF ZUNIONSTORE ZINTERSTORE ZDIFFSTORE
 * ZINTERCARD ZPOPMIN ZPOPMAX ZMPOP ZRANDMEMBER ZSCAN.
 *
 * The data structure is src/types/zset.ts. Scores are replied with
 * reply.double() (RESP2 bulk, RESP3 double) in Redis 7.2's format.
 */
import {
  command,
  keyAt,
  keysCounted,
  DELETE,
  OVERWRITE,
  READ,
  READ_DELETE,
  READ_META,
  READ_UPDATE,
  UPDATE,
  type CommandSpec,
  type Ctx,
} from './spec.js';
import { argAtLeast, argDouble, argInt, is, lookupTyped, checkRepeatedReply, parseMpopArgs, parseScanOptions, repeatStopped } from './args.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { strtod, parseInt64, formatDouble, INT64_MAX } from '../util/numbers.js';
import { isString } from '../keyspace/value.js';
import type { Reply } from '../protocol/writer.js';
import type { Db } from '../keyspace/db.js';
import { ZSet, type ScoreRange, type LexRange, gteMin, lteMax, lexGteMin, lexLteMax } from '../types/zset.js';
import { parseCursor } from './keys.js';
import { globMatch } from '../util/glob.js';
import { numkeysGetKeys } from './keys-of.js';

/** The error texts this group uses (they live in errors.ts's table). */


/** The listpack limits from the config. */
export function limits(ctx: Ctx): [number, number] {
  const v = ctx.server.config.v;
  return [Number(v['zset-max-listpack-entries']), Number(v['zset-max-listpack-value'])];
}

/** A new empty zset, listpack encoded unless the limits already forbid it (size/length hints). */
function newZSet(ctx: Ctx, sizeHint: number, lenHint: number): ZSet {
  const [me, mv] = limits(ctx);
  return new ZSet(me !== 0 && sizeHint <= me && lenHint <= mv);
}

/**
 * One bound of a score range as Redis's zslParseRange reads it: a leading
 * '(' makes it exclusive, then bare strtod on the C string (up to the first
 * NUL), which must reach its end and not give NaN. Unlike a score argument,
 * leading white space, overflow to +-inf, underflow to 0 and "" (or a lone
 * "(", read as 0) are all accepted; "   " is not (strtod then consumes nothing).
 */
function parseScoreBound(s: string): [number, boolean] {
  const ex = s.charCodeAt(0) === 40;
  const nul = s.indexOf('\0');
  const c = s.slice(ex ? 1 : 0, nul < 0 ? s.length : nul);
  const r = strtod(c);
  if (r.end !== c.length || r.value !== r.value) throw new ReplyError(Err.zsetMinMaxFloat);
  return [r.value, ex];
}

/** The score range of ZRANGEBYSCORE, ZCOUNT, ZRANGE BYSCORE ...: min and max bounds. */
export function parseScoreRange(min: string, max: string): ScoreRange {
  const [a, ae] = parseScoreBound(min);
  const [b, be] = parseScoreBound(max);
  return { min: a, max: b, minex: ae, maxex: be };
}

/** A lex bound: '+', '-', '(x' or '[x'. */
function parseLexBound(s: string, r: LexRange, isMin: boolean): void {
  const c = s.charCodeAt(0);
  if (s === '+') {
    if (isMin) r.minInf = true;
    else r.max = null;
  } else if (s === '-') {
    if (isMin) r.min = null;
    else r.maxNegInf = true;
  } else if (c === 40 || c === 91) {
    if (isMin) {
      r.min = s.slice(1);
      r.minex = c === 40;
    } else {
      r.max = s.slice(1);
      r.maxex = c === 40;
    }
  } else throw new ReplyError(Err.zsetLexRange);
}

export function parseLexRange(min: string, max: string): LexRange {
  const r: LexRange = { min: null, max: null, minex: false, maxex: false };
  parseLexBound(min, r, true);
  parseLexBound(max, r, false);
  return r;
}

/** Looks up a zset for reading / writing (WRONGTYPE otherwise). */
export function getZ(ctx: Ctx, key: string, write = false): ZSet | undefined {
  return lookupTyped<ZSet>(ctx.db, key, 'zset', write);
}

/** After removing members: deletes the key when empty and fires the events. */
function afterRemove(ctx: Ctx, key: string, z: ZSet, event: string, removed: number): void {
  if (removed === 0) return;
  ctx.db.notify('z', event, key);
  if (z.card() === 0) {
    ctx.db.delete(key);
    ctx.db.notify('g', 'del', key);
  } else ctx.db.modified(key, removed);
}

/** Replies a list of (member, score) pairs: flat in RESP2; RESP3 nested pairs when withscores. */
function replyPairs(reply: Reply, items: [string, number][], withscores: boolean): void {
  const n = items.length;
  pairsHeader(reply, n, withscores);
  for (let i = 0; i < n; i++) replyPair(reply, items[i]![0], items[i]![1], withscores);
}

/** The array header of `n` members (with scores: flat pairs in RESP2, [member, score] arrays in RESP3). */
function pairsHeader(reply: Reply, n: number, withscores: boolean): void {
  reply.array(withscores && reply.resp === 2 ? 2 * n : n);
}

/** One member of a pairsHeader reply. */
function replyPair(reply: Reply, member: string, score: number, withscores: boolean): void {
  if (!withscores) return reply.bulk(member);
  if (reply.resp === 3) reply.array(2);
  reply.bulk(member);
  reply.double(score);
}

// ---------------------------------------------------------------------------
// ZADD / ZINCRBY

const NX = 1, XX = 2, GT = 4, LT = 8, CH = 16, INCR = 32;

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
  if ((flags & GT && flags & NX) || (flags & LT && flags & NX) || (flags & GT && flags & LT)) throw new ReplyError(Err.zsetGtLtNx);
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
    if (a.length > 4 || a.length < 2 || (c !== 110 && c !== 120 && c !== 99 && c !== 103 && c !== 108 && c !== 105)) break;
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
// ZRANGE and friends

const BY_RANK = 0, BY_SCORE = 1, BY_LEX = 2;

/**
 * The nodes of a range, in reply order. Rank ranges are sanitized as
 * Redis does (negative from the end, clipped); score/lex ranges honour
 * LIMIT offset count (a negative offset gives nothing, a negative count all).
 */
function collectRange(z: ZSet, by: number, rev: boolean, minArg: string, maxArg: string, offset: number, count: number, removing = false): [string, number][] {
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

/** Stores a computed zset at `dst` (or deletes dst when empty) and fires the events. */
function storeResult(ctx: Ctx, dst: string, z: ZSet, event: string): void {
  const db = ctx.db;
  if (z.card() > 0) {
    db.set(dst, z);
    db.notify('z', event, dst);
  } else if (db.delete(dst)) db.notify('g', 'del', dst);
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

// ---------------------------------------------------------------------------
// ZUNION ZINTER ZDIFF (+STORE) ZINTERCARD

const OP_UNION = 0, OP_INTER = 1, OP_DIFF = 2;

/** What a set-operation reads from a plain set (src/types/set.ts's SetValue). */
interface SetLike {
  readonly size: number;
  has(m: string): boolean;
  members(): Iterable<string>;
}

/** An input of a set operation: a zset, a plain set (scores 1) or missing (empty). */
interface Src {
  z: ZSet | null;
  set: SetLike | null;
  weight: number;
  size: number;
}

function srcScore(s: Src, member: string): number | undefined {
  if (s.z) return s.z.score(member);
  if (s.set) return s.set.has(member) ? 1 : undefined;
  return undefined;
}

function* srcEntries(s: Src): Generator<[string, number]> {
  if (s.z) yield* s.z.entries();
  else if (s.set) for (const m of s.set.members()) yield [m, 1];
}

function aggregate(agg: number, a: number, b: number): number {
  if (agg === 0) {
    const r = a + b;
    return Number.isNaN(r) ? 0 : r;
  }
  return agg === 1 ? (b < a ? b : a) : b > a ? b : a;
}

/**
 * The shared set-operation implementation. `numIdx` is the argv index of
 * numkeys; `dst` the destination (STORE forms); `cardOnly` for ZINTERCARD.
 */
function zsetOpGeneric(ctx: Ctx, dst: string | null, numIdx: number, op: number, cardOnly: boolean): void {
  const { argv, reply } = ctx;
  const numkeys = argInt(argv[numIdx]!);
  if (numkeys < 1) throw new ReplyError(Err.zsetAtLeastOne(ctx.cmd.name));
  if (numkeys > argv.length - numIdx - 1) throw new ReplyError(Err.syntax);
  const srcs: Src[] = [];
  let j = numIdx + 1;
  for (let i = 0; i < numkeys; i++, j++) {
    const v = dst === null ? ctx.db.read(argv[j]!) : ctx.db.get(argv[j]!);
    const s: Src = { z: null, set: null, weight: 1, size: 0 };
    if (v !== undefined) {
      if (isString(v) || (v.type !== 'zset' && v.type !== 'set')) throw new ReplyError(Err.wrongType);
      if (v.type === 'zset') {
        s.z = v as ZSet;
        s.size = s.z.card();
      } else {
        s.set = v as unknown as SetLike;
        s.size = s.set.size;
      }
    }
    srcs.push(s);
  }
  let agg = 0;
  let withscores = false;
  let limit = 0;
  while (j < argv.length) {
    const remaining = argv.length - j;
    const a = argv[j]!;
    if (op !== OP_DIFF && !cardOnly && remaining >= numkeys + 1 && is(a, 'WEIGHTS')) {
      j++;
      for (let i = 0; i < numkeys; i++, j++) {
        srcs[i]!.weight = argDouble(argv[j]!, Err.zsetWeight);
      }
    } else if (op !== OP_DIFF && !cardOnly && remaining >= 2 && is(a, 'AGGREGATE')) {
      const g = argv[j + 1]!;
      if (is(g, 'SUM')) agg = 0;
      else if (is(g, 'MIN')) agg = 1;
      else if (is(g, 'MAX')) agg = 2;
      else throw new ReplyError(Err.syntax);
      j += 2;
    } else if (remaining >= 1 && dst === null && !cardOnly && is(a, 'WITHSCORES')) {
      withscores = true;
      j++;
    } else if (cardOnly && remaining >= 2 && is(a, 'LIMIT')) {
      limit = argAtLeast(argv[j + 1]!, 0, Err.zsetLimitNeg);
      j += 2;
    } else throw new ReplyError(Err.syntax);
  }
  // Inputs from the smallest (as Redis orders them; the sum order matters for floats).
  if (op !== OP_DIFF) srcs.sort((x, y) => x.size - y.size);
  const result = new Map<string, number>();
  if (op === OP_INTER) {
    const s0 = srcs[0]!;
    if (s0.size > 0 && srcs.every((s) => s.size > 0)) {
      outer: for (const [m, sc] of srcEntries(s0)) {
        let score = s0.weight * sc;
        if (Number.isNaN(score)) score = 0;
        for (let i = 1; i < srcs.length; i++) {
          const s = srcs[i]!;
          const o = srcScore(s, m);
          if (o === undefined) continue outer;
          // A NaN product (0 * inf) is left to aggregate: SUM makes it 0, MIN/MAX keep the other side.
          score = aggregate(agg, score, s.weight * o);
        }
        result.set(m, score);
        if (cardOnly && limit > 0 && result.size >= limit) break;
      }
    }
  } else if (op === OP_UNION) {
    for (const s of srcs) {
      for (const [m, sc] of srcEntries(s)) {
        let v = s.weight * sc;
        if (Number.isNaN(v)) v = 0;
        const cur = result.get(m);
        result.set(m, cur === undefined ? v : aggregate(agg, cur, v));
      }
    }
  } else {
    const s0 = srcs[0]!;
    outer2: for (const [m, sc] of srcEntries(s0)) {
      for (let i = 1; i < srcs.length; i++) if (srcScore(srcs[i]!, m) !== undefined) continue outer2;
      result.set(m, sc);
    }
  }
  if (cardOnly) {
    reply.int(result.size);
    return;
  }
  let maxLen = 0;
  for (const m of result.keys()) if (m.length > maxLen) maxLen = m.length;
  const [me, mv] = limits(ctx);
  const z = new ZSet(result.size <= me && maxLen <= mv);
  for (const [m, s] of result) z.insert(s, m);
  if (dst !== null) {
    storeResult(ctx, dst, z, op === OP_UNION ? 'zunionstore' : op === OP_INTER ? 'zinterstore' : 'zdiffstore');
    reply.int(z.card());
    return;
  }
  replyPairs(reply, [...z.entries()], withscores);
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
  zpopManyReply(ctx.db, ctx.reply, hit[0], hit[1], !first, count);
  ctx.prop = [[first ? 'ZPOPMIN' : 'ZPOPMAX', hit[0], String(count)]];
}

/** The first non-empty sorted set among keys (WRONGTYPE for another type met first). ZMPOP, BZ*POP*. */
export function firstNonEmptyZset(db: Db, keys: string[]): [string, ZSet] | undefined {
  for (const k of keys) {
    const z = lookupTyped<ZSet>(db, k, 'zset', true);
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

/** Pops up to count and replies [key, [[member, score] ...]] (ZMPOP, BZMPOP). */
export function zpopManyReply(db: Db, r: Reply, key: string, z: ZSet, max: boolean, count: number): void {
  const items = zpop(db, key, z, max, count);
  r.array(2);
  r.bulk(key);
  r.array(items.length);
  for (const [m, s] of items) {
    r.array(2);
    r.bulk(m);
    r.double(s);
  }
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
  if (withscores && (BigInt(raw) < -(INT64_MAX / 2n) || BigInt(raw) > INT64_MAX / 2n)) throw new ReplyError(Err.valueOutOfRange);
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
  zunion: (ctx: Ctx) => zsetOpGeneric(ctx, null, 1, OP_UNION, false),
  zinter: (ctx: Ctx) => zsetOpGeneric(ctx, null, 1, OP_INTER, false),
  zdiff: (ctx: Ctx) => zsetOpGeneric(ctx, null, 1, OP_DIFF, false),
  zunionstore: (ctx: Ctx) => zsetOpGeneric(ctx, ctx.argv[1]!, 2, OP_UNION, false),
  zinterstore: (ctx: Ctx) => zsetOpGeneric(ctx, ctx.argv[1]!, 2, OP_INTER, false),
  zdiffstore: (ctx: Ctx) => zsetOpGeneric(ctx, ctx.argv[1]!, 2, OP_DIFF, false),
  zintercard: (ctx: Ctx) => zsetOpGeneric(ctx, null, 1, OP_INTER, true),
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
      { name: 'key', type: 'key', key_spec_index: 0 },
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
    group: 'sorted-set',
    since: '1.2.0',
    summary: 'Adds an increment to the score of a sorted set member.',
    complexity: 'O(log(N)) where N is the number of elements in the sorted set.',
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'increment', type: 'integer' },
      { name: 'member', type: 'string' },
    ],
    handler: H.zincrby,
  }),
  command({
    name: 'zrem',
    arity: -3,
    flags: ['write', 'fast'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, DELETE)],
    group: 'sorted-set',
    since: '1.2.0',
    summary: 'Removes members from a sorted set; deletes the key when it becomes empty.',
    complexity:
      'O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.',
    history: [['2.4.0', 'Accepts multiple elements.']],
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'member', type: 'string', flags: ['multiple'] },
    ],
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
    args: [{ name: 'key', type: 'key', key_spec_index: 0 }],
    handler: H.zcard,
  }),
  command({
    name: 'zscore',
    arity: 3,
    flags: ['readonly', 'fast'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, READ)],
    group: 'sorted-set',
    since: '1.2.0',
    summary: 'Returns the score of one member of a sorted set.',
    complexity: 'O(1)',
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'member', type: 'string' },
    ],
    handler: H.zscore,
  }),
  command({
    name: 'zmscore',
    arity: -3,
    flags: ['readonly', 'fast'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, READ)],
    group: 'sorted-set',
    since: '6.2.0',
    summary: 'Returns the scores of several members of a sorted set.',
    complexity: 'O(N) where N is the number of members being requested.',
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'member', type: 'string', flags: ['multiple'] },
    ],
    handler: H.zmscore,
  }),
  command({
    name: 'zrank',
    arity: -3,
    flags: ['readonly', 'fast'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, READ)],
    group: 'sorted-set',
    since: '2.0.0',
    summary: 'Returns the position of a member in a sorted set ordered by ascending score.',
    complexity: 'O(log(N))',
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
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
    group: 'sorted-set',
    since: '2.0.0',
    summary: 'Returns the position of a member in a sorted set ordered by descending score.',
    complexity: 'O(log(N))',
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
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
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'min', type: 'double' },
      { name: 'max', type: 'double' },
    ],
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
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'min', type: 'string' },
      { name: 'max', type: 'string' },
    ],
    handler: H.zlexcount,
  }),
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
      { name: 'key', type: 'key', key_spec_index: 0 },
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
      {
        name: 'offset_count',
        type: 'block',
        token: 'LIMIT',
        since: '6.2.0',
        flags: ['optional'],
        arguments: [
          { name: 'offset', type: 'integer' },
          { name: 'count', type: 'integer' },
        ],
      },
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
      {
        name: 'offset_count',
        type: 'block',
        token: 'LIMIT',
        flags: ['optional'],
        arguments: [
          { name: 'offset', type: 'integer' },
          { name: 'count', type: 'integer' },
        ],
      },
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
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'min', type: 'double' },
      { name: 'max', type: 'double' },
      { name: 'withscores', type: 'pure-token', token: 'WITHSCORES', since: '2.0.0', flags: ['optional'] },
      {
        name: 'offset_count',
        type: 'block',
        token: 'LIMIT',
        flags: ['optional'],
        arguments: [
          { name: 'offset', type: 'integer' },
          { name: 'count', type: 'integer' },
        ],
      },
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
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'max', type: 'double' },
      { name: 'min', type: 'double' },
      { name: 'withscores', type: 'pure-token', token: 'WITHSCORES', flags: ['optional'] },
      {
        name: 'offset_count',
        type: 'block',
        token: 'LIMIT',
        flags: ['optional'],
        arguments: [
          { name: 'offset', type: 'integer' },
          { name: 'count', type: 'integer' },
        ],
      },
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
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'min', type: 'string' },
      { name: 'max', type: 'string' },
      {
        name: 'offset_count',
        type: 'block',
        token: 'LIMIT',
        flags: ['optional'],
        arguments: [
          { name: 'offset', type: 'integer' },
          { name: 'count', type: 'integer' },
        ],
      },
    ],
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
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'max', type: 'string' },
      { name: 'min', type: 'string' },
      {
        name: 'offset_count',
        type: 'block',
        token: 'LIMIT',
        flags: ['optional'],
        arguments: [
          { name: 'offset', type: 'integer' },
          { name: 'count', type: 'integer' },
        ],
      },
    ],
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
      { name: 'key', type: 'key', key_spec_index: 0 },
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
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'start', type: 'integer' },
      { name: 'stop', type: 'integer' },
    ],
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
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'min', type: 'double' },
      { name: 'max', type: 'double' },
    ],
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
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'min', type: 'string' },
      { name: 'max', type: 'string' },
    ],
    handler: H.zremrangebylex,
  }),
  command({
    name: 'zunion',
    arity: -3,
    flags: ['readonly', 'movablekeys'],
    acl: ['sortedset'],
    keySpecs: [keysCounted(1, READ)],
    group: 'sorted-set',
    since: '6.2.0',
    summary: 'Returns the union of several sorted sets.',
    complexity:
      'O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.',
    args: [
      { name: 'numkeys', type: 'integer' },
      { name: 'key', type: 'key', key_spec_index: 0, flags: ['multiple'] },
      { name: 'weight', type: 'integer', token: 'WEIGHTS', flags: ['optional', 'multiple'] },
      {
        name: 'aggregate',
        type: 'oneof',
        token: 'AGGREGATE',
        flags: ['optional'],
        arguments: [
          { name: 'sum', type: 'pure-token', token: 'SUM' },
          { name: 'min', type: 'pure-token', token: 'MIN' },
          { name: 'max', type: 'pure-token', token: 'MAX' },
        ],
      },
      { name: 'withscores', type: 'pure-token', token: 'WITHSCORES', flags: ['optional'] },
    ],
    getKeys: numkeysGetKeys(0, 1, 2),
    handler: H.zunion,
  }),
  command({
    name: 'zinter',
    arity: -3,
    flags: ['readonly', 'movablekeys'],
    acl: ['sortedset'],
    keySpecs: [keysCounted(1, READ)],
    group: 'sorted-set',
    since: '6.2.0',
    summary: 'Returns the intersection of several sorted sets.',
    complexity:
      'O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.',
    args: [
      { name: 'numkeys', type: 'integer' },
      { name: 'key', type: 'key', key_spec_index: 0, flags: ['multiple'] },
      { name: 'weight', type: 'integer', token: 'WEIGHTS', flags: ['optional', 'multiple'] },
      {
        name: 'aggregate',
        type: 'oneof',
        token: 'AGGREGATE',
        flags: ['optional'],
        arguments: [
          { name: 'sum', type: 'pure-token', token: 'SUM' },
          { name: 'min', type: 'pure-token', token: 'MIN' },
          { name: 'max', type: 'pure-token', token: 'MAX' },
        ],
      },
      { name: 'withscores', type: 'pure-token', token: 'WITHSCORES', flags: ['optional'] },
    ],
    getKeys: numkeysGetKeys(0, 1, 2),
    handler: H.zinter,
  }),
  command({
    name: 'zdiff',
    arity: -3,
    flags: ['readonly', 'movablekeys'],
    acl: ['sortedset'],
    keySpecs: [keysCounted(1, READ)],
    group: 'sorted-set',
    since: '6.2.0',
    summary: 'Returns the members of the first sorted set that are in none of the others.',
    complexity:
      'O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.',
    args: [
      { name: 'numkeys', type: 'integer' },
      { name: 'key', type: 'key', key_spec_index: 0, flags: ['multiple'] },
      { name: 'withscores', type: 'pure-token', token: 'WITHSCORES', flags: ['optional'] },
    ],
    getKeys: numkeysGetKeys(0, 1, 2),
    handler: H.zdiff,
  }),
  command({
    name: 'zunionstore',
    arity: -4,
    flags: ['write', 'denyoom', 'movablekeys'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, OVERWRITE), keysCounted(2, READ)],
    group: 'sorted-set',
    since: '2.0.0',
    summary: 'Stores the union of several sorted sets under a key.',
    complexity:
      'O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.',
    args: [
      { name: 'destination', type: 'key', key_spec_index: 0 },
      { name: 'numkeys', type: 'integer' },
      { name: 'key', type: 'key', key_spec_index: 1, flags: ['multiple'] },
      { name: 'weight', type: 'integer', token: 'WEIGHTS', flags: ['optional', 'multiple'] },
      {
        name: 'aggregate',
        type: 'oneof',
        token: 'AGGREGATE',
        flags: ['optional'],
        arguments: [
          { name: 'sum', type: 'pure-token', token: 'SUM' },
          { name: 'min', type: 'pure-token', token: 'MIN' },
          { name: 'max', type: 'pure-token', token: 'MAX' },
        ],
      },
    ],
    getKeys: numkeysGetKeys(1, 2, 3),
    handler: H.zunionstore,
  }),
  command({
    name: 'zinterstore',
    arity: -4,
    flags: ['write', 'denyoom', 'movablekeys'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, OVERWRITE), keysCounted(2, READ)],
    group: 'sorted-set',
    since: '2.0.0',
    summary: 'Stores the intersection of several sorted sets under a key.',
    complexity:
      'O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.',
    args: [
      { name: 'destination', type: 'key', key_spec_index: 0 },
      { name: 'numkeys', type: 'integer' },
      { name: 'key', type: 'key', key_spec_index: 1, flags: ['multiple'] },
      { name: 'weight', type: 'integer', token: 'WEIGHTS', flags: ['optional', 'multiple'] },
      {
        name: 'aggregate',
        type: 'oneof',
        token: 'AGGREGATE',
        flags: ['optional'],
        arguments: [
          { name: 'sum', type: 'pure-token', token: 'SUM' },
          { name: 'min', type: 'pure-token', token: 'MIN' },
          { name: 'max', type: 'pure-token', token: 'MAX' },
        ],
      },
    ],
    getKeys: numkeysGetKeys(1, 2, 3),
    handler: H.zinterstore,
  }),
  command({
    name: 'zdiffstore',
    arity: -4,
    flags: ['write', 'denyoom', 'movablekeys'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, OVERWRITE), keysCounted(2, READ)],
    group: 'sorted-set',
    since: '6.2.0',
    summary: 'Stores the difference of several sorted sets under a key.',
    complexity:
      'O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.',
    args: [
      { name: 'destination', type: 'key', key_spec_index: 0 },
      { name: 'numkeys', type: 'integer' },
      { name: 'key', type: 'key', key_spec_index: 1, flags: ['multiple'] },
    ],
    getKeys: numkeysGetKeys(1, 2, 3),
    handler: H.zdiffstore,
  }),
  command({
    name: 'zintercard',
    arity: -3,
    flags: ['readonly', 'movablekeys'],
    acl: ['sortedset'],
    keySpecs: [keysCounted(1, READ)],
    group: 'sorted-set',
    since: '7.0.0',
    summary: 'Counts the members of the intersection of several sorted sets.',
    complexity:
      'O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.',
    args: [
      { name: 'numkeys', type: 'integer' },
      { name: 'key', type: 'key', key_spec_index: 0, flags: ['multiple'] },
      { name: 'limit', type: 'integer', token: 'LIMIT', flags: ['optional'] },
    ],
    getKeys: numkeysGetKeys(0, 1, 2),
    handler: H.zintercard,
  }),
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
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'count', type: 'integer', flags: ['optional'] },
    ],
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
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'count', type: 'integer', flags: ['optional'] },
    ],
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
      { name: 'key', type: 'key', key_spec_index: 0 },
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
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'cursor', type: 'integer' },
      { name: 'pattern', type: 'pattern', token: 'MATCH', flags: ['optional'] },
      { name: 'count', type: 'integer', token: 'COUNT', flags: ['optional'] },
    ],
    handler: H.zscan,
  }),
];
