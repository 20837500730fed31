/**
 * What the sorted set command files share (zset.ts, zset-range.ts,
 * zset-ops.ts): the listpack limits, score and lex range parsing, the typed
 * lookup, the removal bookkeeping and the member/score replies.
 */
import type { Ctx } from './spec.js';
import { lookupTyped } from './args.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { strtod } from '../util/numbers.js';
import type { Reply } from '../protocol/writer.js';
import { ZSet, type ScoreRange, type LexRange } from '../types/zset.js';

/** The listpack limits from the config. */
export function limits(ctx: Ctx): [number, number] {
  const v = ctx.server.config.v;
  return [v['zset-max-listpack-entries'], v['zset-max-listpack-value']];
}

/** A new empty zset, listpack encoded unless the limits already forbid it (size/length hints). */
export function newZSet(ctx: Ctx, sizeHint: number, lenHint: number): ZSet {
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
  return lookupTyped(ctx.db, key, 'zset', write);
}

/** After removing members: deletes the key when empty and fires the events. */
export function afterRemove(ctx: Ctx, key: string, z: ZSet, event: string, removed: number): void {
  if (removed === 0) return;
  ctx.db.notify('z', event, key);
  if (z.card() === 0) {
    ctx.db.delete(key);
    ctx.db.notify('g', 'del', key);
  } else ctx.db.modified(key, removed);
}

/** Replies a list of (member, score) pairs: flat in RESP2; RESP3 nested pairs when withscores. */
export function replyPairs(reply: Reply, items: [string, number][], withscores: boolean): void {
  const n = items.length;
  pairsHeader(reply, n, withscores);
  for (let i = 0; i < n; i++) replyPair(reply, items[i]![0], items[i]![1], withscores);
}

/** The array header of `n` members (with scores: flat pairs in RESP2, [member, score] arrays in RESP3). */
export function pairsHeader(reply: Reply, n: number, withscores: boolean): void {
  reply.array(withscores && reply.resp === 2 ? 2 * n : n);
}

/** One member of a pairsHeader reply. */
export function replyPair(reply: Reply, member: string, score: number, withscores: boolean): void {
  if (!withscores) return reply.bulk(member);
  if (reply.resp === 3) reply.array(2);
  reply.bulk(member);
  reply.double(score);
}

/** Stores a computed zset at `dst` (or deletes dst when empty) and fires the events. */
export function storeResult(ctx: Ctx, dst: string, z: ZSet, event: string): void {
  const db = ctx.db;
  if (z.card() > 0) {
    db.set(dst, z);
    db.notify('z', event, dst);
  } else if (db.delete(dst)) db.notify('g', 'del', dst);
}
