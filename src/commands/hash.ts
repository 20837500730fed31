/**
 * Hash commands: HSET HSETNX HGET HMGET HMSET HGETALL HKEYS HVALS HLEN
 * HSTRLEN HEXISTS HDEL HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN here, and
 * hash-field expiration in hash-expire.ts: HEXPIRE HPEXPIRE HEXPIREAT
 * HPEXPIREAT HTTL HPTTL HEXPIRETIME HPEXPIRETIME HPERSIST (Redis 7.4) and
 * HGETEX HSETEX HGETDEL (Redis 8.0); hash-common.ts has what both use.
 * `commands` here lists both files' declarations.
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
import {
  command,
  keyArg,
  keyAt,
  DELETE,
  INSERT,
  READ,
  READ_META,
  READ_UPDATE,
  UPDATE,
  type CommandSpec,
  type Ctx,
} from './spec.js';
import { argLongDouble, lookupTyped, is, checkRepeatedReply, parseScanOptions, repeatStopped } from './args.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { HashValue } from '../types/hash.js';
import { parseInt64, INT64_MAX } from '../util/numbers.js';
import { formatLongDouble, ldAdd, ldIsFinite, parseLongDouble } from '../util/longdouble.js';
import { globMatch } from '../util/glob.js';
import { parseCursor } from './keys.js';
import type { Reply } from '../protocol/writer.js';
import { respBytes } from '../protocol/resp-bytes.js';
import { commit, endLazy, expiryHeld, hashForWrite, type Lazy, limits, liveGet, setField } from './hash-common.js';
import { expireCommands } from './hash-expire.js';

/** HSET / HMSET: sets every pair; replies the number added (HSET) or OK (HMSET). */
function hsetGeneric(ctx: Ctx, isHmset: boolean): void {
  const { argv } = ctx;
  if (argv.length % 2 === 1) throw new ReplyError(Err.wrongArgs(ctx.cmd.name));
  const key = argv[1]!;
  const [h, created] = hashForWrite(ctx, key);
  let added = 0;
  if (h.ex === null && h.inTable()) {
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
  const h = lookupTyped(ctx.db, key, 'hash');
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
  const h = lookupTyped(db, key, 'hash');
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
  const h = lookupTyped(ctx.db, ctx.argv[1]!, 'hash');
  const n = h === undefined ? 0 : h.ex === null ? h.size : h.size - h.countExpired(ctx.server.now());
  if (fields && values) reply.map(n);
  else reply.array(n);
  if (n === 0) return;
  if (h!.ex === null || n === h!.size) {
    const w = respBytes.begin();
    h!.bulks(w, fields, values);
    reply.raw(w.take());
    return;
  }
  // (fields expired but not yet deleted are left out)
  const now = ctx.server.now();
  h!.forEach((f, v, i) => {
    const at = h!.expireAt(i);
    if (at !== 0 && at < now) return;
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
  const h = lookupTyped(ctx.db, ctx.argv[1]!, 'hash');
  ctx.reply.int(h ? h.size : 0);
}

/** HSTRLEN key field */
function hstrlen(ctx: Ctx): void {
  const key = ctx.argv[1]!;
  const h = lookupTyped(ctx.db, key, 'hash');
  if (h === undefined) return ctx.reply.int(0);
  const lz: Lazy = { n: 0 };
  const v = liveGet(ctx, key, h, ctx.argv[2]!, lz);
  ctx.reply.int(v === undefined ? 0 : v.length);
  endLazy(ctx, key, h, lz);
}

/** HEXISTS key field */
function hexists(ctx: Ctx): void {
  const key = ctx.argv[1]!;
  const h = lookupTyped(ctx.db, key, 'hash');
  if (h === undefined) return ctx.reply.int(0);
  const lz: Lazy = { n: 0 };
  ctx.reply.int(liveGet(ctx, key, h, ctx.argv[2]!, lz) !== undefined ? 1 : 0);
  endLazy(ctx, key, h, lz);
}

/** HDEL key field [field ...]: an emptied hash is deleted ("hdel", then "del"). */
function hdel(ctx: Ctx): void {
  const { argv, db } = ctx;
  const key = argv[1]!;
  const h = lookupTyped(db, key, 'hash', true);
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
  if (ctx.propagating)
    ctx.replayAs([
      h.ex !== null && h.expireOf(argv[2]!)! !== 0
        ? ['HSETEX', key, 'KEEPTTL', 'FIELDS', '1', argv[2]!, text]
        : ['HSET', key, argv[2]!, text],
    ]);
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
    const h = lookupTyped(db, argv[1]!, 'hash');
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
  const h = lookupTyped(db, argv[1]!, 'hash');
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
    for (let i = 0; i < count && !repeatStopped(ctx, i); i++)
      replyPair(reply, h, flat, Math.floor(random() * n), withValues);
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
  const h = lookupTyped(ctx.db, argv[1]!, 'hash');
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
  else {
    // a wide hash is scanned as the hashtable it is to Redis (a cursor, COUNT's pages): it becomes one
    if (!h.inTable()) {
      h.toHashtable();
      ctx.db.remeasure(argv[1]!);
    }
    next = h.scan(cursor > BigInt(h.size) ? h.size : Number(cursor), count, take);
  }
  reply.array(2);
  reply.bulk('' + next);
  reply.bulks(out);
}

export const commands: CommandSpec[] = [
  command({
    name: 'hset',
    arity: -4,
    flags: ['write', 'denyoom', 'fast'],
    acl: ['hash'],
    keySpecs: [keyAt(1, UPDATE)],
    members: [2, -2, 2],
    group: 'hash',
    since: '2.0.0',
    summary: 'Sets fields of a hash to values, creating the hash when needed.',
    complexity:
      'O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.',
    history: [['4.0.0', 'Accepts multiple `field` and `value` arguments.']],
    args: [
      keyArg(),
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
    members: [2, 2, 1],
    group: 'hash',
    since: '2.0.0',
    summary: 'Sets one field of a hash only when the field is absent.',
    complexity: 'O(1)',
    args: [keyArg(), { name: 'field', type: 'string' }, { name: 'value', type: 'string' }],
    handler: hsetnx,
  }),
  command({
    name: 'hget',
    arity: 3,
    flags: ['readonly', 'fast'],
    acl: ['hash'],
    keySpecs: [keyAt(1, READ)],
    members: [2, 2, 1],
    group: 'hash',
    since: '2.0.0',
    summary: 'Reads the value of one field of a hash.',
    complexity: 'O(1)',
    args: [keyArg(), { name: 'field', type: 'string' }],
    handler: hget,
  }),
  command({
    name: 'hmget',
    arity: -3,
    flags: ['readonly', 'fast'],
    acl: ['hash'],
    keySpecs: [keyAt(1, READ)],
    members: [2, -1, 1],
    group: 'hash',
    since: '2.0.0',
    summary: 'Reads the values of several fields of a hash.',
    complexity: 'O(N) where N is the number of fields being requested.',
    args: [keyArg(), { name: 'field', type: 'string', flags: ['multiple'] }],
    handler: hmget,
  }),
  command({
    name: 'hmset',
    arity: -4,
    flags: ['write', 'denyoom', 'fast'],
    acl: ['hash'],
    keySpecs: [keyAt(1, UPDATE)],
    members: [2, -2, 2],
    group: 'hash',
    since: '2.0.0',
    summary: 'Sets several fields of a hash (older form of HSET).',
    complexity: 'O(N) where N is the number of fields being set.',
    docFlags: ['deprecated'],
    deprecatedSince: '4.0.0',
    replacedBy: '`HSET` with multiple field-value pairs',
    args: [
      keyArg(),
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
    args: [keyArg()],
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
    args: [keyArg()],
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
    args: [keyArg()],
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
    args: [keyArg()],
    handler: hlen,
  }),
  command({
    name: 'hstrlen',
    arity: 3,
    flags: ['readonly', 'fast'],
    acl: ['hash'],
    keySpecs: [keyAt(1, READ_META)],
    members: [2, 2, 1],
    group: 'hash',
    since: '3.2.0',
    summary: "Returns the byte length of one field's value.",
    complexity: 'O(1)',
    args: [keyArg(), { name: 'field', type: 'string' }],
    handler: hstrlen,
  }),
  command({
    name: 'hexists',
    arity: 3,
    flags: ['readonly', 'fast'],
    acl: ['hash'],
    keySpecs: [keyAt(1, READ_META)],
    members: [2, 2, 1],
    group: 'hash',
    since: '2.0.0',
    summary: 'Tells whether a hash has a field.',
    complexity: 'O(1)',
    args: [keyArg(), { name: 'field', type: 'string' }],
    handler: hexists,
  }),
  command({
    name: 'hdel',
    arity: -3,
    flags: ['write', 'fast'],
    acl: ['hash'],
    keySpecs: [keyAt(1, DELETE)],
    members: [2, -1, 1],
    group: 'hash',
    since: '2.0.0',
    summary: 'Removes fields from a hash; an emptied hash is deleted.',
    complexity: 'O(N) where N is the number of fields to be removed.',
    history: [['2.4.0', 'Accepts multiple `field` arguments.']],
    args: [keyArg(), { name: 'field', type: 'string', flags: ['multiple'] }],
    handler: hdel,
  }),
  command({
    name: 'hincrby',
    arity: 4,
    flags: ['write', 'denyoom', 'fast'],
    acl: ['hash'],
    keySpecs: [keyAt(1, READ_UPDATE)],
    members: [2, 2, 1],
    group: 'hash',
    since: '2.0.0',
    summary: "Adds an integer to a hash field's value.",
    complexity: 'O(1)',
    args: [keyArg(), { name: 'field', type: 'string' }, { name: 'increment', type: 'integer' }],
    handler: hincrby,
  }),
  command({
    name: 'hincrbyfloat',
    arity: 4,
    flags: ['write', 'denyoom', 'fast'],
    acl: ['hash'],
    keySpecs: [keyAt(1, READ_UPDATE)],
    members: [2, 2, 1],
    group: 'hash',
    since: '2.6.0',
    summary: "Adds a floating-point number to a hash field's value.",
    complexity: 'O(1)',
    args: [keyArg(), { name: 'field', type: 'string' }, { name: 'increment', type: 'double' }],
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
      keyArg(),
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
      keyArg(),
      { name: 'cursor', type: 'integer' },
      { name: 'pattern', type: 'pattern', token: 'MATCH', flags: ['optional'] },
      { name: 'count', type: 'integer', token: 'COUNT', flags: ['optional'] },
    ],
    handler: hscan,
  }),
  ...expireCommands,
];
