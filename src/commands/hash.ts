/**
 * Hash commands: HSET HSETNX HGET HMGET HMSET HGETALL HKEYS HVALS HLEN
 * HSTRLEN HEXISTS HDEL HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN, and hash-field
 * expiration: HEXPIRE HPEXPIRE HEXPIREAT HPEXPIREAT HTTL HPTTL HEXPIRETIME
 * HPEXPIRETIME HPERSIST (Redis 7.4) and HGETEX HSETEX HGETDEL (Redis 8.0).
 *
 * The data structure is types/hash.ts (listpack until
 * hash-max-listpack-entries / hash-max-listpack-value, then hashtable;
 * listpackex once a small hash has field TTLs).
 * Replies follow Redis 7: HGETALL is a map (RESP3 `%`), HRANDFIELD WITHVALUES
 * is pairs as arrays in RESP3, HSCAN of a small hash returns everything at
 * once with cursor 0. HSET is benchmarked: its path allocates nothing beyond
 * the stored strings and the reply.
 *
 * Field TTLs follow Redis 7.4's t_hash.c: a field whose time is before now
 * is logically gone. Commands that read one field (HGET, HMGET, HEXISTS,
 * HSTRLEN, HSETNX, HINCRBY*, HGETEX, HGETDEL, HSETEX FNX/FXX) delete it
 * lazily (liveGet): HDEL propagated, an 'hexpired' event, the hash deleted
 * ('del') when it was the last field; HGETALL, HKEYS, HVALS and HSCAN skip
 * such fields without deleting them; HLEN still counts them; HRANDFIELD
 * expires all of them first. The active cycle is keyspace/expire.ts.
 * Everything propagates deterministically: relative times become HPEXPIREAT
 * or HSETEX PXAT with the absolute time, a time in the past becomes HDELs.
 */
import { cfmt } from '../util/strings.js';
import {
  command,
  keyAt,
  DELETE,
  INSERT,
  READ,
  READ_DELETE,
  READ_META,
  READ_UPDATE,
  UPDATE,
  type ArgDoc,
  type CommandSpec,
  type Ctx,
} from './spec.js';
import { argLongDouble, lookupTyped, is, checkRepeatedReply, parseScanOptions, repeatStopped } from './args.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { HashValue, HFE_MAX_ABS_TIME_MSEC } from '../types/hash.js';
import { parseInt64, INT64_MAX } from '../util/numbers.js';
import { formatLongDouble, ldAdd, ldIsFinite, parseLongDouble } from '../util/longdouble.js';
import { globMatch } from '../util/glob.js';
import { parseCursor } from './keys.js';
import type { Reply } from '../protocol/writer.js';


/** The listpack limits from the config. */
function limits(ctx: Ctx): [entries: number, value: number] {
  const v = ctx.server.config.v;
  return [v['hash-max-listpack-entries'] as number, v['hash-max-listpack-value'] as number];
}

/**
 * Sets a field, converting to a hashtable first when the field or value is
 * longer than hash-max-listpack-value (Redis's hashTypeSet). Returns true
 * when the field was added.
 */
function setField(h: HashValue, f: string, v: string, maxEntries: number, maxValue: number, keepTtl = false): boolean {
  if ((f.length > maxValue || v.length > maxValue) && h.packed()) h.toHashtable();
  return h.set(f, v, maxEntries, keepTtl);
}

/** Looks up a hash for writing, creating (but not yet storing) an empty one. Returns [hash, created]. */
function hashForWrite(ctx: Ctx, key: string): [HashValue, boolean] {
  const h = lookupTyped<HashValue>(ctx.db, key, 'hash', true);
  return h ? [h, false] : [new HashValue(), true];
}

/** Stores a newly created hash or signals the change of an existing one. */
function commit(ctx: Ctx, key: string, h: HashValue, created: boolean, dirty: number): void {
  if (created) ctx.db.set(key, h, false, dirty);
  else ctx.db.modified(key, dirty);
}

/* ---------------------------------------------------------------------------
 * Field TTLs: lazy expiry and argument parsing
 * ------------------------------------------------------------------------- */

const ERR_FIELDS_MISSING = 'ERR Mandatory argument FIELDS is missing or not at the right position';
const ERR_NUMFIELDS_MISMATCH = 'ERR The `numfields` parameter must match the number of arguments';
const ERR_NUMFIELDS_POSITIVE = 'ERR Number of fields must be a positive integer';
const ERR_EXPIRE_NEGATIVE = 'ERR invalid expire time, must be >= 0';

/** Fields one command expired lazily on one hash (liveGet counts, endLazy reports). */
interface Lazy {
  n: number;
}

/**
 * Whether field expiry must leave fields in place: while the AOF is
 * replayed (Redis's server.loading: a replayed command must find what the
 * original found, the HDELs that followed are in the file) and while
 * CLIENT PAUSE suspends expiry.
 */
function expiryHeld(ctx: Ctx): boolean {
  return ctx.client.mustObey || ctx.server.pause.mode !== 0;
}

/**
 * Field f's value, or undefined when it is missing or logically expired
 * (Redis's hashTypeGetValue). An expired field is deleted through
 * Db.expireField (HDEL propagated, expired_subkeys) unless expiryHeld, and
 * counted in `lz`; the caller then calls endLazy (or reports itself). Costs
 * nothing more for a hash without TTLs.
 */
function liveGet(ctx: Ctx, key: string, h: HashValue, f: string, lz: Lazy): string | undefined {
  const v = h.get(f);
  if (v === undefined || h.ex === null) return v;
  const at = h.expireOf(f)!;
  if (at === 0 || at >= ctx.server.now()) return v;
  if (!expiryHeld(ctx)) {
    ctx.db.expireField(key, h, f);
    lz.n++;
  }
  return undefined;
}

/**
 * After lazy expiry on one hash: the 'hexpired' event and, when it emptied
 * the hash, its deletion with a 'del' event (see Db.fieldsExpired). Returns
 * true when the hash is gone (a write command then starts a new one).
 */
function endLazy(ctx: Ctx, key: string, h: HashValue, lz: Lazy): boolean {
  if (lz.n === 0) return false;
  lz.n = 0;
  return ctx.db.fieldsExpired(key, h);
}

/**
 * Redis's parseExpireTime for field TTLs: an integer >= 0 in seconds or ms,
 * relative to now or absolute, giving an absolute time in ms no later than
 * HFE_MAX_ABS_TIME_MSEC (2^46 - 1); the errors name the command.
 */
function parseFieldExpire(ctx: Ctx, arg: string, seconds: boolean, relative: boolean): number {
  const n = parseInt64(arg);
  if (n === null) throw new ReplyError(Err.notInteger);
  if (n < 0) throw new ReplyError(ERR_EXPIRE_NEGATIVE);
  const invalid = () => new ReplyError(Err.invalidExpire(ctx.cmd.name));
  if (typeof n === 'bigint') throw invalid(); // beyond 2^53: far past the limit
  let v = n;
  if (seconds) {
    if (v > Math.floor(HFE_MAX_ABS_TIME_MSEC / 1000)) throw invalid();
    v *= 1000;
  }
  const base = relative ? ctx.server.now() : 0;
  if (v > HFE_MAX_ABS_TIME_MSEC - base) throw invalid();
  return v + base;
}

/**
 * The `numfields` argument at argv[i] (Redis's getRangeLongFromObjectOrReply
 * from 1): anything else, including a non-integer, replies `err`; then it
 * must count exactly the arguments after it (`per` each).
 */
function parseNumFields(argv: string[], i: number, err: string): number {
  const n = parseInt64(argv[i]!);
  if (n === null || n < 1) throw new ReplyError(err);
  if (n !== argv.length - i - 1) throw new ReplyError(ERR_NUMFIELDS_MISMATCH);
  return Number(n);
}

/** HSET / HMSET: sets every pair; replies the number added (HSET) or OK (HMSET). */
function hsetGeneric(ctx: Ctx, isHmset: boolean): void {
  const { argv } = ctx;
  if (argv.length % 2 === 1) throw new ReplyError(Err.wrongArgs(ctx.cmd.name));
  const key = argv[1]!;
  const [h, created] = hashForWrite(ctx, key);
  let added = 0;
  if (h.ex === null && !h.packed()) {
    // Fast path (benchmarked): a hashtable without field TTLs needs no conversion checks.
    for (let i = 2; i < argv.length; i += 2) if (h.setInTable(argv[i]!, argv[i + 1]!)) added++;
  } else {
    const [maxEntries, maxValue] = limits(ctx);
    // new fields of a small hash (loading one) go in with one rebuild of its string
    added = h.appendNew(argv, 2, maxEntries, maxValue);
    if (added < 0) {
      added = 0;
      for (let i = 2; i < argv.length; i += 2) if (setField(h, argv[i]!, argv[i + 1]!, maxEntries, maxValue)) added++;
    }
    // an overwritten field loses its TTL (the hash's earliest time may change)
    if (h.ex !== null) ctx.db.hfeTrack(key, h);
  }
  commit(ctx, key, h, created, (argv.length - 2) / 2);
  ctx.db.notify('h', 'hset', key);
  if (isHmset) ctx.reply.ok();
  else ctx.reply.int(added);
}

/** HSET key field value [field value ...] */
function hset(ctx: Ctx): void {
  hsetGeneric(ctx, false);
}

/** HMSET key field value [field value ...] */
function hmset(ctx: Ctx): void {
  hsetGeneric(ctx, true);
}

/** HSETNX key field value */
function hsetnx(ctx: Ctx): void {
  const { argv } = ctx;
  const key = argv[1]!;
  let [h, created] = hashForWrite(ctx, key);
  if (!created) {
    const lz: Lazy = { n: 0 };
    if (liveGet(ctx, key, h, argv[2]!, lz) !== undefined) {
      ctx.reply.int(0);
      return;
    }
    // the field had expired and was the last one: a new hash
    if (endLazy(ctx, key, h, lz)) [h, created] = [new HashValue(), true];
  }
  const [maxEntries, maxValue] = limits(ctx);
  setField(h, argv[2]!, argv[3]!, maxEntries, maxValue);
  commit(ctx, key, h, created, 1);
  ctx.db.notify('h', 'hset', key);
  ctx.reply.int(1);
}

/** HGET key field */
function hget(ctx: Ctx): void {
  const key = ctx.argv[1]!;
  const h = lookupTyped<HashValue>(ctx.db, key, 'hash');
  if (h === undefined) return ctx.reply.null();
  if (h.ex === null) return ctx.reply.bulkOrNull(h.get(ctx.argv[2]!));
  const lz: Lazy = { n: 0 };
  ctx.reply.bulkOrNull(liveGet(ctx, key, h, ctx.argv[2]!, lz));
  endLazy(ctx, key, h, lz);
}

/** HMGET key field [field ...] */
function hmget(ctx: Ctx): void {
  const { argv, reply, db } = ctx;
  const key = argv[1]!;
  const h = lookupTyped<HashValue>(db, key, 'hash');
  reply.array(argv.length - 2);
  if (h === undefined || h.ex === null) {
    for (let i = 2; i < argv.length; i++) reply.bulkOrNull(h?.get(argv[i]!));
    return;
  }
  const lz: Lazy = { n: 0 };
  for (let i = 2; i < argv.length; i++) reply.bulkOrNull(liveGet(ctx, key, h, argv[i]!, lz));
  // one 'hexpired' event (and 'del') for the whole command, as Redis sends
  if (lz.n !== 0) {
    const deleted = db.fieldsExpired(key, h, true);
    db.notify('h', 'hexpired', key);
    if (deleted) db.notify('g', 'del', key);
  }
}

/**
 * HGETALL / HKEYS / HVALS: every field not logically expired (expired ones
 * are skipped, not deleted, as in Redis), in encoding order.
 */
function hgetallGeneric(ctx: Ctx, fields: boolean, values: boolean): void {
  const { reply } = ctx;
  const h = lookupTyped<HashValue>(ctx.db, ctx.argv[1]!, 'hash');
  const n = h === undefined ? 0 : h.ex === null ? h.size : h.size - h.countExpired(ctx.server.now());
  if (fields && values) reply.map(n);
  else reply.array(n);
  if (n === 0) return;
  const now = ctx.server.now();
  const skip = h!.ex !== null && n !== h!.size;
  h!.forEach((f, v, i) => {
    if (skip) {
      const at = h!.expireAt(i);
      if (at !== 0 && at < now) return;
    }
    if (fields) reply.bulk(f);
    if (values) reply.bulk(v);
  });
}

/** HGETALL key */
function hgetall(ctx: Ctx): void {
  hgetallGeneric(ctx, true, true);
}

/** HKEYS key */
function hkeys(ctx: Ctx): void {
  hgetallGeneric(ctx, true, false);
}

/** HVALS key */
function hvals(ctx: Ctx): void {
  hgetallGeneric(ctx, false, true);
}

/** HLEN key */
function hlen(ctx: Ctx): void {
  const h = lookupTyped<HashValue>(ctx.db, ctx.argv[1]!, 'hash');
  ctx.reply.int(h ? h.size : 0);
}

/** HSTRLEN key field */
function hstrlen(ctx: Ctx): void {
  const key = ctx.argv[1]!;
  const h = lookupTyped<HashValue>(ctx.db, key, 'hash');
  if (h === undefined) return ctx.reply.int(0);
  const lz: Lazy = { n: 0 };
  const v = liveGet(ctx, key, h, ctx.argv[2]!, lz);
  ctx.reply.int(v === undefined ? 0 : v.length);
  endLazy(ctx, key, h, lz);
}

/** HEXISTS key field */
function hexists(ctx: Ctx): void {
  const key = ctx.argv[1]!;
  const h = lookupTyped<HashValue>(ctx.db, key, 'hash');
  if (h === undefined) return ctx.reply.int(0);
  const lz: Lazy = { n: 0 };
  ctx.reply.int(liveGet(ctx, key, h, ctx.argv[2]!, lz) !== undefined ? 1 : 0);
  endLazy(ctx, key, h, lz);
}

/** HDEL key field [field ...]: an emptied hash is deleted ("hdel", then "del"). */
function hdel(ctx: Ctx): void {
  const { argv, db } = ctx;
  const key = argv[1]!;
  const h = lookupTyped<HashValue>(db, key, 'hash', true);
  if (!h) {
    ctx.reply.int(0);
    return;
  }
  let deleted = 0;
  for (let i = 2; i < argv.length; i++) {
    if (h.delete(argv[i]!)) {
      deleted++;
      if (h.size === 0) break;
    }
  }
  if (deleted > 0) {
    db.notify('h', 'hdel', key);
    if (h.size === 0) {
      db.delete(key);
      db.notify('g', 'del', key);
    } else {
      db.modified(key, deleted);
      if (h.ex !== null) db.hfeTrack(key, h); // the last field with a TTL may be gone
    }
  }
  ctx.reply.int(deleted);
}

/** HINCRBY key field increment */
function hincrby(ctx: Ctx): void {
  const { argv } = ctx;
  const inc = parseInt64(argv[3]!);
  if (inc === null) throw new ReplyError(Err.notInteger);
  const key = argv[1]!;
  let [h, created] = hashForWrite(ctx, key);
  const lz: Lazy = { n: 0 };
  const old = created ? undefined : liveGet(ctx, key, h, argv[2]!, lz);
  if (endLazy(ctx, key, h, lz)) [h, created] = [new HashValue(), true];
  let cur: number | bigint = 0;
  if (old !== undefined) {
    const p = parseInt64(old);
    if (p === null) throw new ReplyError(Err.hashNotInteger);
    cur = p;
  }
  let text: string;
  if (typeof cur === 'number' && typeof inc === 'number' && Number.isSafeInteger(cur + inc)) text = '' + (cur + inc);
  else {
    const sum = BigInt(cur) + BigInt(inc);
    if (sum > INT64_MAX || sum < -INT64_MAX - 1n) throw new ReplyError(Err.overflow);
    text = sum.toString();
  }
  const [maxEntries, maxValue] = limits(ctx);
  setField(h, argv[2]!, text, maxEntries, maxValue, true); // the field keeps its TTL
  commit(ctx, key, h, created, 1);
  ctx.db.notify('h', 'hincrby', key);
  ctx.reply.raw(':' + text + '\r\n');
}

/** HINCRBYFLOAT key field increment: long double arithmetic, formatted as INCRBYFLOAT. */
function hincrbyfloat(ctx: Ctx): void {
  const { argv } = ctx;
  const inc = argLongDouble(argv[3]!);
  if (!ldIsFinite(inc)) throw new ReplyError(Err.valueNanOrInfinity);
  const key = argv[1]!;
  let [h, created] = hashForWrite(ctx, key);
  const lz: Lazy = { n: 0 };
  const old = created ? undefined : liveGet(ctx, key, h, argv[2]!, lz);
  if (endLazy(ctx, key, h, lz)) [h, created] = [new HashValue(), true];
  let text: string;
  if (old === undefined) text = formatLongDouble(inc);
  else {
    const cur = parseLongDouble(old);
    if (cur === null) throw new ReplyError(Err.hashNotFloat);
    const sum = ldAdd(cur, inc);
    if (!ldIsFinite(sum)) throw new ReplyError(Err.nanOrInfinity);
    text = formatLongDouble(sum);
  }
  const [maxEntries, maxValue] = limits(ctx);
  setField(h, argv[2]!, text, maxEntries, maxValue, true); // the field keeps its TTL
  commit(ctx, key, h, created, 1);
  ctx.db.notify('h', 'hincrbyfloat', key);
  // Replayed as HSET with the result; a field with a TTL as HSETEX KEEPTTL
  // (Redis 8.0's form: 7.4's HSET would drop the TTL on replay).
  if (h.ex !== null && h.expireOf(argv[2]!)! !== 0) ctx.prop = [['HSETEX', key, 'KEEPTTL', 'FIELDS', '1', argv[2]!, text]];
  else ctx.prop = [['HSET', key, argv[2]!, text]];
  ctx.reply.bulk(text);
}

/**
 * One field (and value) of a random reply, at position i: from `flat` (a
 * packed hash's pairs(), taken out once: it has no O(1) position) or from
 * the hashtable itself when flat is null. RESP3 pairs are 2-element arrays.
 */
function replyPair(reply: Reply, h: HashValue, flat: string[] | null, i: number, withValues: boolean): void {
  if (withValues && reply.resp === 3) reply.array(2);
  reply.bulk(flat !== null ? flat[2 * i]! : h.fieldAt(i));
  if (withValues) reply.bulk(flat !== null ? flat[2 * i + 1]! : h.valueAt(i));
}

/**
 * `count` distinct positions out of n (count < n), uniformly: a partial
 * Fisher-Yates shuffle when count is a large share of n, else rejection
 * sampling with a Set. Returned in ascending order for small encodings
 * (Redis samples a listpack in its order), in drawing order otherwise.
 */
export function samplePositions(n: number, count: number, random: () => number, ordered: boolean): number[] {
  let out: number[];
  if (count * 3 > n) {
    const idx = new Array<number>(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(random() * (n - i));
      const t = idx[i]!;
      idx[i] = idx[j]!;
      idx[j] = t;
    }
    out = idx.slice(0, count);
  } else {
    const seen = new Set<number>();
    while (seen.size < count) seen.add(Math.floor(random() * n));
    out = [...seen];
  }
  if (ordered) out.sort((a, b) => a - b);
  return out;
}

/**
 * Deletes every logically expired field of a hash before HRANDFIELD picks
 * from it (Redis's hashTypeExpireIfNeeded: sampling must not return them).
 * Returns true when that deleted the hash.
 */
function expireAllDue(ctx: Ctx, key: string, h: HashValue): boolean {
  if (h.ex === null) return false;
  const now = ctx.server.now();
  const min = h.minExpire();
  if (min === 0 || min >= now || expiryHeld(ctx)) return false;
  for (const f of h.takeDue(now, Infinity)) ctx.db.expireField(key, h, f);
  return ctx.db.fieldsExpired(key, h);
}

/** HRANDFIELD key [count [WITHVALUES]] */
function hrandfield(ctx: Ctx): void {
  const { argv, reply, db } = ctx;
  const random = ctx.server.random;
  if (argv.length === 2) {
    const h = lookupTyped<HashValue>(db, argv[1]!, 'hash');
    if (!h || expireAllDue(ctx, argv[1]!, h)) reply.null();
    else reply.bulk(h.fieldAt(Math.floor(random() * h.size)));
    return;
  }
  const c = parseInt64(argv[2]!);
  if (c === null) throw new ReplyError(Err.notInteger);
  if (typeof c === 'bigint' && c < -INT64_MAX) {
    throw new ReplyError(Err.longRange);
  }
  let withValues = false;
  if (argv.length > 4 || (argv.length === 4 && !is(argv[3], 'WITHVALUES'))) throw new ReplyError(Err.syntax);
  if (argv.length === 4) {
    withValues = true;
    if (typeof c === 'bigint' && (c < -INT64_MAX / 2n || c > INT64_MAX / 2n)) throw new ReplyError(Err.valueOutOfRange);
  }
  const h = lookupTyped<HashValue>(db, argv[1]!, 'hash');
  if (!h || expireAllDue(ctx, argv[1]!, h) || c === 0 || c === 0n) {
    reply.array(0);
    return;
  }
  const flat = h.packed() ? h.pairs() : null;
  const n = flat !== null ? flat.length / 2 : h.size;
  if (c < 0) {
    // Repeats allowed: count independent draws.
    const count = -Number(c);
    checkRepeatedReply(ctx, count);
    reply.array(withValues && reply.resp === 2 ? count * 2 : count);
    for (let i = 0; i < count && !repeatStopped(ctx, i); i++) replyPair(reply, h, flat, Math.floor(random() * n), withValues);
    return;
  }
  const count = Number(c);
  if (count >= n) {
    reply.array(withValues && reply.resp === 2 ? n * 2 : n);
    for (let i = 0; i < n; i++) replyPair(reply, h, flat, i, withValues);
    return;
  }
  const pos = samplePositions(n, count, random, h.packed());
  reply.array(withValues && reply.resp === 2 ? count * 2 : count);
  for (const i of pos) replyPair(reply, h, flat, i, withValues);
}


/** HSCAN key cursor [MATCH pattern] [COUNT count] */
function hscan(ctx: Ctx): void {
  const { argv, reply } = ctx;
  const cursor = parseCursor(argv[2]!);
  const h = lookupTyped<HashValue>(ctx.db, argv[1]!, 'hash');
  if (!h) {
    reply.raw('*2\r\n$1\r\n0\r\n*0\r\n');
    return;
  }
  const { count, pattern } = parseScanOptions(argv, 3);
  const out: string[] = [];
  let next = 0;
  // logically expired fields are skipped (not deleted), as in Redis
  const now = h.ex === null ? 0 : ctx.server.now();
  const take = (f: string, v: string): void => {
    if (pattern !== null && !globMatch(pattern, f)) return;
    if (now !== 0) {
      const at = h.expireOf(f)!;
      if (at !== 0 && at < now) return;
    }
    out.push(f, v);
  };
  if (h.packed()) h.forEach(take);
  else next = h.scan(cursor > BigInt(h.size) ? h.size : Number(cursor), count, take);
  reply.array(2);
  reply.bulk('' + next);
  reply.bulks(out);
}

/* ---------------------------------------------------------------------------
 * Hash-field expiration commands (Redis 7.4 and 8.0)
 * ------------------------------------------------------------------------- */

// HEXPIRE conditions (Redis's HFE_NX ... HFE_LT)
const COND_NX = 1;
const COND_XX = 2;
const COND_GT = 4;
const COND_LT = 8;

// per-field results of HEXPIRE & co. (Redis's SetExRes)
const SETEX_NO_FIELD = -2;
const SETEX_NO_CONDITION = 0;
const SETEX_OK = 1;
const SETEX_DELETED = 2;

/**
 * Gives existing field f of h (stored at key, TTLs enabled) the expire time
 * `at` under condition `cond` (Redis's hashTypeSetEx): SETEX_NO_FIELD,
 * SETEX_NO_CONDITION (a field without a TTL counts as an infinite one: XX
 * and GT fail, LT passes), SETEX_DELETED when `at` is not in the future (the
 * field is deleted and HDEL propagated, as Redis's checkAlreadyExpired; not
 * while the AOF is replayed, where the past time is set and the field
 * expires later), or SETEX_OK. The caller refiles the hash (Db.hfeTrack)
 * and reports.
 */
function setFieldExpire(ctx: Ctx, key: string, h: HashValue, f: string, at: number, cond: number): number {
  const prev = h.expireOf(f);
  if (prev === undefined) return SETEX_NO_FIELD;
  if (prev === 0) {
    if (cond & (COND_XX | COND_GT)) return SETEX_NO_CONDITION;
  } else if ((cond === COND_GT && prev >= at) || (cond === COND_LT && prev <= at) || cond === COND_NX) return SETEX_NO_CONDITION;
  if (at <= ctx.server.now() && !ctx.client.mustObey) {
    ctx.db.expireField(key, h, f);
    return SETEX_DELETED;
  }
  h.setExpire(f, at);
  return SETEX_OK;
}

/**
 * HEXPIRE / HPEXPIRE / HEXPIREAT / HPEXPIREAT key time [NX|XX|GT|LT] FIELDS
 * numfields field [field ...]: one result per field (-2 no such field, 0
 * condition not met, 1 set, 2 deleted as the time has passed). A small hash
 * becomes a listpackex even when nothing is set, as in Redis. Replayed as
 * HPEXPIREAT with the absolute time and only the fields that were set
 * (deleted ones as HDELs; nothing when none was set).
 */
function hexpireGeneric(ctx: Ctx, relative: boolean, seconds: boolean): void {
  const { argv, reply, db } = ctx;
  const key = argv[1]!;
  const h = lookupTyped<HashValue>(db, key, 'hash', true);
  const at = parseFieldExpire(ctx, argv[2]!, seconds, relative);
  let cond = 0;
  const c = argv[3]!.toUpperCase();
  if (c === 'NX') cond = COND_NX;
  else if (c === 'XX') cond = COND_XX;
  else if (c === 'GT') cond = COND_GT;
  else if (c === 'LT') cond = COND_LT;
  const numAt = cond === 0 ? 4 : 5;
  if (!is(argv[numAt - 1], 'FIELDS')) throw new ReplyError(ERR_FIELDS_MISSING);
  const n = parseNumFields(argv, numAt, 'ERR Parameter `numFields` should be greater than 0');
  reply.array(n);
  if (h === undefined) {
    for (let i = 0; i < n; i++) reply.int(SETEX_NO_FIELD);
    return;
  }
  h.enableTtls();
  const setFields: string[] = [];
  let deleted = 0;
  for (let i = numAt + 1; i < argv.length; i++) {
    const f = argv[i]!;
    const res = setFieldExpire(ctx, key, h, f, at, cond);
    if (res === SETEX_OK) setFields.push(f);
    else if (res === SETEX_DELETED) deleted++;
    reply.int(res);
  }
  if (setFields.length + deleted > 0) {
    db.modified(key, setFields.length + deleted);
    if (deleted !== 0 && h.size === 0) {
      db.deleteQuietly(key); // (counted above: Redis counts the fields, not the key)
      db.notify('h', 'hdel', key);
      db.notify('g', 'del', key);
    } else db.notify('h', deleted !== 0 ? 'hdel' : 'hexpire', key);
  }
  if (h.size !== 0) db.hfeTrack(key, h);
  if (setFields.length === 0) {
    ctx.prop = []; // deleted fields went out as HDELs
    return;
  }
  const cmd = ctx.cmd.name === 'hpexpireat' ? argv[0]! : 'HPEXPIREAT';
  ctx.prop = [[cmd, key, String(at), ...argv.slice(3, numAt), String(setFields.length), ...setFields]];
}

/** HEXPIRE key seconds [NX|XX|GT|LT] FIELDS numfields field [field ...] */
function hexpire(ctx: Ctx): void {
  hexpireGeneric(ctx, true, true);
}

/** HPEXPIRE key milliseconds [NX|XX|GT|LT] FIELDS numfields field [field ...] */
function hpexpire(ctx: Ctx): void {
  hexpireGeneric(ctx, true, false);
}

/** HEXPIREAT key unix-time-seconds [NX|XX|GT|LT] FIELDS numfields field [field ...] */
function hexpireat(ctx: Ctx): void {
  hexpireGeneric(ctx, false, true);
}

/** HPEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT] FIELDS numfields field [field ...] */
function hpexpireat(ctx: Ctx): void {
  hexpireGeneric(ctx, false, false);
}

/**
 * HTTL / HPTTL / HEXPIRETIME / HPEXPIRETIME key FIELDS numfields field ...:
 * per field -2 (no such field, or logically expired), -1 (no TTL), else the
 * time left (rounded up to seconds) or the absolute time. Deletes nothing.
 * (Redis 7.4 counts a listpackex field expiring exactly now as gone here but
 * a hashtable one as still there; tsdis does the same.)
 */
function httlGeneric(ctx: Ctx, relative: boolean, seconds: boolean): void {
  const { argv, reply } = ctx;
  const h = lookupTyped<HashValue>(ctx.db, argv[1]!, 'hash');
  if (!is(argv[2], 'FIELDS')) throw new ReplyError(ERR_FIELDS_MISSING);
  const n = parseNumFields(argv, 3, ERR_NUMFIELDS_POSITIVE);
  reply.array(n);
  const now = ctx.server.now();
  const base = relative ? now : 0;
  for (let i = 4; i < argv.length; i++) {
    const at = h?.expireOf(argv[i]!);
    if (at === undefined) reply.int(-2);
    else if (at === 0) reply.int(-1);
    else if (h!.packed() ? at <= now : at < now) reply.int(-2);
    else reply.int(seconds ? Math.floor((at + 999 - base) / 1000) : at - base);
  }
}

/** HTTL key FIELDS numfields field [field ...] */
function httl(ctx: Ctx): void {
  httlGeneric(ctx, true, true);
}

/** HPTTL key FIELDS numfields field [field ...] */
function hpttl(ctx: Ctx): void {
  httlGeneric(ctx, true, false);
}

/** HEXPIRETIME key FIELDS numfields field [field ...] */
function hexpiretime(ctx: Ctx): void {
  httlGeneric(ctx, false, true);
}

/** HPEXPIRETIME key FIELDS numfields field [field ...] */
function hpexpiretime(ctx: Ctx): void {
  httlGeneric(ctx, false, false);
}

/**
 * HPERSIST key FIELDS numfields field [field ...]: per field -2 (no such
 * field, or logically expired), -1 (no TTL) or 1 (TTL removed); one
 * 'hpersist' event and one dirty change when any was removed.
 */
function hpersist(ctx: Ctx): void {
  const { argv, reply, db } = ctx;
  const key = argv[1]!;
  const h = lookupTyped<HashValue>(db, key, 'hash', true);
  if (!is(argv[2], 'FIELDS')) throw new ReplyError(ERR_FIELDS_MISSING);
  const n = parseNumFields(argv, 3, ERR_NUMFIELDS_POSITIVE);
  reply.array(n);
  const now = ctx.server.now();
  let changed = false;
  for (let i = 4; i < argv.length; i++) {
    const f = argv[i]!;
    const at = h?.expireOf(f);
    if (at === undefined) reply.int(-2);
    else if (at === 0) reply.int(-1);
    else if (at < now) reply.int(-2);
    else {
      h!.persistField(f);
      reply.int(1);
      changed = true;
    }
  }
  if (changed) {
    db.notify('h', 'hpersist', key);
    db.modified(key, 1);
    db.hfeTrack(key, h!);
  }
}

/**
 * HGETEX key [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT
 * unix-time-milliseconds|PERSIST] FIELDS numfields field [field ...]
 * (Redis 8.0): the values (null for missing or expired fields), setting or
 * removing the TTL of the fields found. Replayed as HPEXPIREAT (absolute
 * time) or HPERSIST; fields deleted because the time has passed, and fields
 * expired lazily, as HDELs.
 */
function hgetex(ctx: Ctx): void {
  const { argv, reply, db } = ctx;
  const key = argv[1]!;
  const h = lookupTyped<HashValue>(db, key, 'hash', true);
  const opt = argv[2]!.toUpperCase();
  const persist = opt === 'PERSIST';
  const setTtl = opt === 'EX' || opt === 'PX' || opt === 'EXAT' || opt === 'PXAT';
  let at = 0;
  let numAt = 3;
  if (setTtl) {
    numAt = 5;
    at = parseFieldExpire(ctx, argv[3]!, opt === 'EX' || opt === 'EXAT', opt === 'EX' || opt === 'PX');
  } else if (persist) numAt = 4;
  if (!is(argv[numAt - 1], 'FIELDS')) throw new ReplyError(ERR_FIELDS_MISSING);
  // (Redis reads past its arguments for "HGETEX key EX 10 FIELDS")
  if (numAt >= argv.length) throw new ReplyError(Err.wrongArgs(ctx.cmd.name));
  const n = parseNumFields(argv, numAt, ERR_NUMFIELDS_POSITIVE);
  reply.array(n);
  if (h === undefined) {
    for (let i = 0; i < n; i++) reply.null();
    return;
  }
  if (setTtl || persist) h.enableTtls();
  const lz: Lazy = { n: 0 };
  let updated = 0;
  let deleted = 0;
  for (let i = numAt + 1; i < argv.length; i++) {
    const f = argv[i]!;
    const v = liveGet(ctx, key, h, f, lz);
    reply.bulkOrNull(v);
    if (v === undefined) continue;
    if (persist) {
      if (h.persistField(f)) updated++;
    } else if (setTtl) {
      const res = setFieldExpire(ctx, key, h, f, at, 0);
      if (res === SETEX_OK) updated++;
      else if (res === SETEX_DELETED) deleted++;
    }
  }
  if (lz.n === 0 && deleted === 0 && updated === 0) return;
  if (updated + deleted !== 0) db.modified(key, updated + deleted);
  else db.fieldsExpired(key, h, true, true); // the signal, and the index refiled
  if (lz.n !== 0) db.notify('h', 'hexpired', key);
  if (updated !== 0) {
    if (persist) {
      db.notify('h', 'hpersist', key);
      ctx.prop = [['HPERSIST', key, ...argv.slice(3)]];
    } else {
      db.notify('h', 'hexpire', key);
      ctx.prop = [['HPEXPIREAT', key, opt === 'PXAT' ? argv[3]! : String(at), ...argv.slice(4)]];
    }
  } else if (deleted !== 0) {
    db.notify('h', 'hdel', key);
    ctx.prop = []; // the HDELs went out already
  }
  if (h.size === 0) {
    db.deleteQuietly(key);
    db.notify('g', 'del', key);
  } else db.hfeTrack(key, h);
}

/**
 * HGETDEL key FIELDS numfields field [field ...] (Redis 8.0): the values
 * (null for missing or expired fields), deleting the fields found; an emptied
 * hash is deleted. Replayed as HDEL key field ...
 */
function hgetdel(ctx: Ctx): void {
  const { argv, reply, db } = ctx;
  const key = argv[1]!;
  const h = lookupTyped<HashValue>(db, key, 'hash', true);
  if (!is(argv[2], 'FIELDS')) throw new ReplyError(ERR_FIELDS_MISSING);
  const n = parseNumFields(argv, 3, ERR_NUMFIELDS_POSITIVE);
  reply.array(n);
  if (h === undefined) {
    for (let i = 0; i < n; i++) reply.null();
    return;
  }
  const lz: Lazy = { n: 0 };
  let deleted = 0;
  for (let i = 4; i < argv.length; i++) {
    const v = liveGet(ctx, key, h, argv[i]!, lz);
    reply.bulkOrNull(v);
    if (v !== undefined) {
      h.delete(argv[i]!);
      deleted++;
    }
  }
  if (lz.n === 0 && deleted === 0) return;
  if (deleted !== 0) db.modified(key, deleted);
  else db.fieldsExpired(key, h, true, true);
  if (lz.n !== 0) db.notify('h', 'hexpired', key);
  if (deleted !== 0) {
    db.notify('h', 'hdel', key);
    ctx.prop = [['HDEL', key, ...argv.slice(4)]];
  }
  if (h.size === 0) {
    db.deleteQuietly(key);
    db.notify('g', 'del', key);
  } else db.hfeTrack(key, h);
}

/** HSETEX options, parsed before the key is looked up (Redis's hsetexParseArgs). */
interface HsetexArgs {
  fnx: boolean;
  fxx: boolean;
  keepTtl: boolean;
  /** The EX/PX/EXAT/PXAT token's index, or -1; its time follows it. */
  ttlAt: number;
  /** The absolute expire time (ms) when ttlAt >= 0. */
  at: number;
  /** Index of the first field. */
  first: number;
}

/** Parses HSETEX's arguments in Redis's order, with its errors. */
function hsetexArgs(ctx: Ctx): HsetexArgs {
  const { argv } = ctx;
  const a: HsetexArgs = { fnx: false, fxx: false, keepTtl: false, ttlAt: -1, at: 0, first: -1 };
  const ERR_ONE_TTL = 'ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified';
  for (let i = 2; i < argv.length; i++) {
    const t = argv[i]!.toUpperCase();
    if (t === 'FIELDS') {
      if (i >= argv.length - 3) throw new ReplyError(Err.wrongArgs(ctx.cmd.name));
      const n = parseInt64(argv[i + 1]!);
      if (n === null || n < 1 || n > 2147483647) throw new ReplyError('ERR invalid number of fields');
      const remaining = argv.length - i - 2;
      if (remaining % 2 !== 0 || n !== remaining / 2) throw new ReplyError(Err.wrongArgs(ctx.cmd.name));
      a.first = i + 2;
      return a;
    }
    if (t === 'EX' || t === 'PX' || t === 'EXAT' || t === 'PXAT') {
      if (a.ttlAt >= 0 || a.keepTtl) throw new ReplyError(ERR_ONE_TTL);
      if (i >= argv.length - 1) throw new ReplyError('ERR missing expire time');
      a.ttlAt = i;
      a.at = parseFieldExpire(ctx, argv[++i]!, t === 'EX' || t === 'EXAT', t === 'EX' || t === 'PX');
    } else if (t === 'KEEPTTL') {
      if (a.ttlAt >= 0 || a.keepTtl) throw new ReplyError(ERR_ONE_TTL);
      a.keepTtl = true;
    } else if (t === 'FXX' || t === 'FNX') {
      if (a.fxx || a.fnx) throw new ReplyError('ERR Only one of FXX or FNX arguments can be specified');
      if (t === 'FXX') a.fxx = true;
      else a.fnx = true;
    } else throw new ReplyError(cfmt`ERR unknown argument: ${argv[i]}`);
  }
  // (unreachable with arity -6: too few option words to reach the end)
  throw new ReplyError(Err.wrongArgs(ctx.cmd.name));
}

/**
 * HSETEX key [FNX|FXX] [EX seconds|PX milliseconds|EXAT unix-time-seconds|
 * PXAT unix-time-milliseconds|KEEPTTL] FIELDS numfields field value ...
 * (Redis 8.0): sets every pair (1), or none when FNX/FXX fails (0).
 * Without EX & co. or KEEPTTL an overwritten field loses its TTL. Replayed
 * with PXAT and the absolute time; when the time has passed the fields are
 * set and deleted at once, replayed as HDELs.
 */
function hsetex(ctx: Ctx): void {
  const { argv, reply, db } = ctx;
  const a = hsetexArgs(ctx);
  const key = argv[1]!;
  let h = lookupTyped<HashValue>(db, key, 'hash', true);
  if (h === undefined) {
    if (a.fxx) return reply.int(0);
    h = new HashValue();
    db.set(key, h, false, 0); // (the fields are counted below, as Redis does)
  }
  const n = (argv.length - a.first) / 2;
  const lz: Lazy = { n: 0 };
  let fieldsSet = false;
  let updated = 0;
  let deleted = 0;
  let ok = true;
  if (a.fxx || a.fnx) {
    let found = 0;
    for (let i = 0; i < n; i++) {
      const exists = liveGet(ctx, key, h, argv[a.first + 2 * i]!, lz) !== undefined;
      if (exists) found++;
      if ((a.fxx && !exists) || (a.fnx && exists)) break;
    }
    ok = a.fnx ? found === 0 : found === n;
  }
  if (ok) {
    const [maxEntries, maxValue] = limits(ctx);
    if (h.packed()) {
      // Redis's hashTypeTryConversion: too many pairs or a long argument
      if (n > maxEntries) h.toHashtable();
      else for (let i = a.first; i < argv.length; i++) if (argv[i]!.length > maxValue) h.toHashtable();
    }
    const setTtl = a.ttlAt >= 0;
    if (setTtl) h.enableTtls();
    for (let i = a.first; i < argv.length; i += 2) {
      const f = argv[i]!;
      setField(h, f, argv[i + 1]!, maxEntries, maxValue, setTtl || a.keepTtl);
      fieldsSet = true;
      if (setTtl) {
        const res = setFieldExpire(ctx, key, h, f, a.at, 0);
        if (res === SETEX_OK) updated++;
        else if (res === SETEX_DELETED) deleted++;
      }
    }
    db.modified(key, n);
    if (deleted !== 0) ctx.prop = []; // the HDELs went out already
    else if (setTtl && !is(argv[a.ttlAt], 'PXAT')) {
      const p = argv.slice();
      p[a.ttlAt] = 'PXAT';
      p[a.ttlAt + 1] = String(a.at);
      ctx.prop = [p];
    }
    reply.int(1);
  } else reply.int(0);
  if (fieldsSet || lz.n !== 0) {
    if (!fieldsSet) db.fieldsExpired(key, h, true, true); // the signal
    if (lz.n !== 0) db.notify('h', 'hexpired', key);
    if (fieldsSet) {
      db.notify('h', 'hset', key);
      if (deleted !== 0 || updated !== 0) db.notify('h', deleted !== 0 ? 'hdel' : 'hexpire', key);
    }
  }
  if (h.size === 0) {
    db.deleteQuietly(key);
    db.notify('g', 'del', key);
  } else db.hfeTrack(key, h);
}

/** The FIELDS numfields field [field ...] block of the field-TTL commands' docs. */
const FIELDS_ARG: ArgDoc = { name: 'fields', type: 'block', token: 'FIELDS', arguments: [{ name: 'numfields', type: 'integer' }, { name: 'field', type: 'string', flags: ['multiple'] }] };
/** HGETEX / HSETEX's EX | PX | EXAT | PXAT choices. */
const TTL_OPTIONS: ArgDoc[] = [
  { name: 'seconds', type: 'integer', token: 'EX' },
  { name: 'milliseconds', type: 'integer', token: 'PX' },
  { name: 'unix-time-seconds', type: 'unix-time', token: 'EXAT' },
  { name: 'unix-time-milliseconds', type: 'unix-time', token: 'PXAT' },
];
const HEXPIRE_TIME_ARG: Record<'hexpire' | 'hpexpire' | 'hexpireat' | 'hpexpireat', ArgDoc> = {
  hexpire: { name: 'seconds', type: 'integer' },
  hpexpire: { name: 'milliseconds', type: 'integer' },
  hexpireat: { name: 'unix-time-seconds', type: 'unix-time' },
  hpexpireat: { name: 'unix-time-milliseconds', type: 'unix-time' },
};
const HEXPIRE_SUMMARY: Record<'hexpire' | 'hpexpire' | 'hexpireat' | 'hpexpireat', string> = {
  hexpire: 'Gives hash fields a TTL in seconds.',
  hpexpire: 'Gives hash fields a TTL in milliseconds.',
  hexpireat: 'Gives hash fields an expiry time as a Unix time in seconds.',
  hpexpireat: 'Gives hash fields an expiry time as a Unix time in milliseconds.',
};
const HTTL_SUMMARY: Record<'httl' | 'hpttl' | 'hexpiretime' | 'hpexpiretime', string> = {
  httl: 'Returns the TTL of hash fields in seconds.',
  hpttl: 'Returns the TTL of hash fields in milliseconds.',
  hexpiretime: 'Returns the expiry time of hash fields as a Unix time in seconds.',
  hpexpiretime: 'Returns the expiry time of hash fields as a Unix time in milliseconds.',
};

export const commands: CommandSpec[] = [
  command({
    name: 'hset',
    arity: -4,
    flags: ['write', 'denyoom', 'fast'],
    acl: ['hash'],
    keySpecs: [keyAt(1, UPDATE)],
    group: 'hash',
    since: '2.0.0',
    summary: 'Sets fields of a hash to values, creating the hash when needed.',
    complexity:
      'O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.',
    history: [['4.0.0', 'Accepts multiple `field` and `value` arguments.']],
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
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
    handler: hset,
  }),
  command({
    name: 'hsetnx',
    arity: 4,
    flags: ['write', 'denyoom', 'fast'],
    acl: ['hash'],
    keySpecs: [keyAt(1, INSERT)],
    group: 'hash',
    since: '2.0.0',
    summary: 'Sets one field of a hash only when the field is absent.',
    complexity: 'O(1)',
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'field', type: 'string' },
      { name: 'value', type: 'string' },
    ],
    handler: hsetnx,
  }),
  command({
    name: 'hget',
    arity: 3,
    flags: ['readonly', 'fast'],
    acl: ['hash'],
    keySpecs: [keyAt(1, READ)],
    group: 'hash',
    since: '2.0.0',
    summary: 'Reads the value of one field of a hash.',
    complexity: 'O(1)',
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'field', type: 'string' },
    ],
    handler: hget,
  }),
  command({
    name: 'hmget',
    arity: -3,
    flags: ['readonly', 'fast'],
    acl: ['hash'],
    keySpecs: [keyAt(1, READ)],
    group: 'hash',
    since: '2.0.0',
    summary: 'Reads the values of several fields of a hash.',
    complexity: 'O(N) where N is the number of fields being requested.',
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'field', type: 'string', flags: ['multiple'] },
    ],
    handler: hmget,
  }),
  command({
    name: 'hmset',
    arity: -4,
    flags: ['write', 'denyoom', 'fast'],
    acl: ['hash'],
    keySpecs: [keyAt(1, UPDATE)],
    group: 'hash',
    since: '2.0.0',
    summary: 'Sets several fields of a hash (older form of HSET).',
    complexity: 'O(N) where N is the number of fields being set.',
    docFlags: ['deprecated'],
    deprecatedSince: '4.0.0',
    replacedBy: '`HSET` with multiple field-value pairs',
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
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
    handler: hmset,
  }),
  command({
    name: 'hgetall',
    arity: 2,
    flags: ['readonly'],
    acl: ['hash'],
    keySpecs: [keyAt(1, READ)],
    tips: ['nondeterministic_output_order'],
    group: 'hash',
    since: '2.0.0',
    summary: 'Returns every field and its value from a hash.',
    complexity: 'O(N) where N is the size of the hash.',
    args: [{ name: 'key', type: 'key', key_spec_index: 0 }],
    handler: hgetall,
  }),
  command({
    name: 'hkeys',
    arity: 2,
    flags: ['readonly'],
    acl: ['hash'],
    keySpecs: [keyAt(1, READ)],
    tips: ['nondeterministic_output_order'],
    group: 'hash',
    since: '2.0.0',
    summary: 'Returns every field name of a hash.',
    complexity: 'O(N) where N is the size of the hash.',
    args: [{ name: 'key', type: 'key', key_spec_index: 0 }],
    handler: hkeys,
  }),
  command({
    name: 'hvals',
    arity: 2,
    flags: ['readonly'],
    acl: ['hash'],
    keySpecs: [keyAt(1, READ)],
    tips: ['nondeterministic_output_order'],
    group: 'hash',
    since: '2.0.0',
    summary: 'Returns every value of a hash.',
    complexity: 'O(N) where N is the size of the hash.',
    args: [{ name: 'key', type: 'key', key_spec_index: 0 }],
    handler: hvals,
  }),
  command({
    name: 'hlen',
    arity: 2,
    flags: ['readonly', 'fast'],
    acl: ['hash'],
    keySpecs: [keyAt(1, READ_META)],
    group: 'hash',
    since: '2.0.0',
    summary: 'Counts the fields of a hash.',
    complexity: 'O(1)',
    args: [{ name: 'key', type: 'key', key_spec_index: 0 }],
    handler: hlen,
  }),
  command({
    name: 'hstrlen',
    arity: 3,
    flags: ['readonly', 'fast'],
    acl: ['hash'],
    keySpecs: [keyAt(1, READ_META)],
    group: 'hash',
    since: '3.2.0',
    summary: "Returns the byte length of one field's value.",
    complexity: 'O(1)',
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'field', type: 'string' },
    ],
    handler: hstrlen,
  }),
  command({
    name: 'hexists',
    arity: 3,
    flags: ['readonly', 'fast'],
    acl: ['hash'],
    keySpecs: [keyAt(1, READ_META)],
    group: 'hash',
    since: '2.0.0',
    summary: 'Tells whether a hash has a field.',
    complexity: 'O(1)',
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'field', type: 'string' },
    ],
    handler: hexists,
  }),
  command({
    name: 'hdel',
    arity: -3,
    flags: ['write', 'fast'],
    acl: ['hash'],
    keySpecs: [keyAt(1, DELETE)],
    group: 'hash',
    since: '2.0.0',
    summary: 'Removes fields from a hash; an emptied hash is deleted.',
    complexity: 'O(N) where N is the number of fields to be removed.',
    history: [['2.4.0', 'Accepts multiple `field` arguments.']],
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'field', type: 'string', flags: ['multiple'] },
    ],
    handler: hdel,
  }),
  command({
    name: 'hincrby',
    arity: 4,
    flags: ['write', 'denyoom', 'fast'],
    acl: ['hash'],
    keySpecs: [keyAt(1, READ_UPDATE)],
    group: 'hash',
    since: '2.0.0',
    summary: "Adds an integer to a hash field's value.",
    complexity: 'O(1)',
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'field', type: 'string' },
      { name: 'increment', type: 'integer' },
    ],
    handler: hincrby,
  }),
  command({
    name: 'hincrbyfloat',
    arity: 4,
    flags: ['write', 'denyoom', 'fast'],
    acl: ['hash'],
    keySpecs: [keyAt(1, READ_UPDATE)],
    group: 'hash',
    since: '2.6.0',
    summary: "Adds a floating-point number to a hash field's value.",
    complexity: 'O(1)',
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'field', type: 'string' },
      { name: 'increment', type: 'double' },
    ],
    handler: hincrbyfloat,
  }),
  command({
    name: 'hrandfield',
    arity: -2,
    flags: ['readonly'],
    acl: ['hash'],
    keySpecs: [keyAt(1, READ)],
    tips: ['nondeterministic_output'],
    group: 'hash',
    since: '6.2.0',
    summary: 'Returns random fields of a hash, optionally with values.',
    complexity: 'O(N) where N is the number of fields returned',
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      {
        name: 'options',
        type: 'block',
        flags: ['optional'],
        arguments: [
          { name: 'count', type: 'integer' },
          { name: 'withvalues', type: 'pure-token', token: 'WITHVALUES', flags: ['optional'] },
        ],
      },
    ],
    handler: hrandfield,
  }),
  command({
    name: 'hscan',
    arity: -3,
    flags: ['readonly'],
    acl: ['hash'],
    keySpecs: [keyAt(1, READ)],
    tips: ['nondeterministic_output'],
    group: 'hash',
    since: '2.8.0',
    summary: 'Walks the fields and values of a hash a few at a time with a cursor.',
    complexity:
      'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..',
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      { name: 'cursor', type: 'integer' },
      { name: 'pattern', type: 'pattern', token: 'MATCH', flags: ['optional'] },
      { name: 'count', type: 'integer', token: 'COUNT', flags: ['optional'] },
    ],
    handler: hscan,
  }),
  // hash-field expiration: Redis 7.4 (HEXPIRE ... HPERSIST) and 8.0 (HGETEX, HSETEX, HGETDEL).
  // Not in the 7.0 reference server's table: pinned from Redis's JSON files in test/commands/hash-field-expire.test.ts.
  ...(['hexpire', 'hpexpire', 'hexpireat', 'hpexpireat'] as const).map((name) =>
    command({
      name,
      arity: -6,
      flags: ['write', 'denyoom', 'fast'],
      acl: ['hash'],
      keySpecs: [keyAt(1, UPDATE)],
      group: 'hash',
      since: '7.4.0',
      summary: HEXPIRE_SUMMARY[name],
      complexity: 'O(N) where N is the number of specified fields',
      history: [],
      args: [
        { name: 'key', type: 'key', key_spec_index: 0 },
        HEXPIRE_TIME_ARG[name],
        {
          name: 'condition',
          type: 'oneof',
          flags: ['optional'],
          arguments: [
            { name: 'nx', type: 'pure-token', token: 'NX' },
            { name: 'xx', type: 'pure-token', token: 'XX' },
            { name: 'gt', type: 'pure-token', token: 'GT' },
            { name: 'lt', type: 'pure-token', token: 'LT' },
          ],
        },
        FIELDS_ARG,
      ],
      handler: { hexpire, hpexpire, hexpireat, hpexpireat }[name],
    }),
  ),
  ...(['httl', 'hpttl', 'hexpiretime', 'hpexpiretime'] as const).map((name) =>
    command({
      name,
      arity: -5,
      flags: ['readonly', 'fast'],
      acl: ['hash'],
      keySpecs: [keyAt(1, READ)],
      group: 'hash',
      since: '7.4.0',
      summary: HTTL_SUMMARY[name],
      complexity: 'O(N) where N is the number of specified fields',
      history: [],
      args: [{ name: 'key', type: 'key', key_spec_index: 0 }, FIELDS_ARG],
      handler: { httl, hpttl, hexpiretime, hpexpiretime }[name],
    }),
  ),
  command({
    name: 'hpersist',
    arity: -5,
    flags: ['write', 'fast'],
    acl: ['hash'],
    keySpecs: [keyAt(1, UPDATE)],
    group: 'hash',
    since: '7.4.0',
    summary: 'Removes the TTL of hash fields.',
    complexity: 'O(N) where N is the number of specified fields',
    history: [],
    args: [{ name: 'key', type: 'key', key_spec_index: 0 }, FIELDS_ARG],
    handler: hpersist,
  }),
  command({
    name: 'hgetex',
    arity: -5,
    flags: ['write', 'fast'],
    acl: ['hash'],
    keySpecs: [keyAt(1, READ_UPDATE, 'RW and UPDATE because it changes the TTL')],
    group: 'hash',
    since: '8.0.0',
    summary: 'Reads hash fields and optionally sets or removes their TTL.',
    complexity: 'O(N) where N is the number of specified fields',
    history: [],
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      {
        name: 'expiration',
        type: 'oneof',
        flags: ['optional'],
        arguments: [...TTL_OPTIONS, { name: 'persist', type: 'pure-token', token: 'PERSIST' }],
      },
      FIELDS_ARG,
    ],
    handler: hgetex,
  }),
  command({
    name: 'hsetex',
    arity: -6,
    flags: ['write', 'denyoom', 'fast'],
    acl: ['hash'],
    keySpecs: [keyAt(1, UPDATE)],
    group: 'hash',
    since: '8.0.0',
    summary: 'Sets hash fields and optionally their TTL.',
    complexity: 'O(N) where N is the number of fields being set.',
    args: [
      { name: 'key', type: 'key', key_spec_index: 0 },
      {
        name: 'condition',
        type: 'oneof',
        flags: ['optional'],
        arguments: [
          { name: 'fnx', type: 'pure-token', token: 'FNX' },
          { name: 'fxx', type: 'pure-token', token: 'FXX' },
        ],
      },
      {
        name: 'expiration',
        type: 'oneof',
        flags: ['optional'],
        arguments: [...TTL_OPTIONS, { name: 'keepttl', type: 'pure-token', token: 'KEEPTTL' }],
      },
      {
        name: 'fields',
        type: 'block',
        token: 'FIELDS',
        arguments: [
          { name: 'numfields', type: 'integer' },
          {
            name: 'data',
            type: 'block',
            flags: ['multiple'],
            arguments: [
              { name: 'field', type: 'string' },
              { name: 'value', type: 'string' },
            ],
          },
        ],
      },
    ],
    handler: hsetex,
  }),
  command({
    name: 'hgetdel',
    arity: -5,
    flags: ['write', 'fast'],
    acl: ['hash'],
    keySpecs: [keyAt(1, READ_DELETE)],
    group: 'hash',
    since: '8.0.0',
    summary: 'Reads hash fields and removes them.',
    complexity: 'O(N) where N is the number of specified fields',
    history: [],
    args: [{ name: 'key', type: 'key', key_spec_index: 0 }, FIELDS_ARG],
    handler: hgetdel,
  }),
];
