/**
 * The string counters: INCR DECR INCRBY DECRBY (int64, overflow checked)
 * and INCRBYFLOAT (long double, replayed as SET ... KEEPTTL).
 */
import { command, keyArg, keyAt, READ_UPDATE, type CommandSpec, type Ctx } from './spec.js';
import { argLongDouble, lookupString } from './args.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { isString, strOf, type StrValue } from '../keyspace/value.js';
import { parseInt64, INT64_MAX, INT64_MIN } from '../util/numbers.js';
import {
  formatLongDouble,
  ldAdd,
  ldFromInt,
  ldIsFinite,
  parseLongDouble,
  type LongDouble,
} from '../util/longdouble.js';

/**
 * The shared INCR/DECR/INCRBY/DECRBY implementation: the stored value must
 * be an int64 text; the result must fit in int64. Keeps the TTL. The common
 * case (number stored, safe result) does no BigInt work.
 */
function incrDecr(ctx: Ctx, incr: number | bigint): void {
  const { db, reply } = ctx;
  const key = ctx.argv[1]!;
  // One lookup: the new value replaces the old in its slot (TTL kept).
  const slot = db.writeSlot(key);
  let cur: number | bigint = 0;
  if (slot >= 0) {
    const v = db.valueAt(slot);
    if (typeof v === 'number') cur = v;
    else {
      if (!isString(v)) throw new ReplyError(Err.wrongType);
      const p = parseInt64(typeof v === 'string' ? v : strOf(v));
      if (p === null) throw new ReplyError(Err.notInteger);
      cur = p;
    }
  }
  if (typeof cur === 'number' && typeof incr === 'number') {
    const r = cur + incr;
    if (Number.isSafeInteger(r)) {
      if (slot >= 0) db.replaceAt(slot, key, r);
      else db.set(key, r);
      db.notify('$', 'incrby', key);
      reply.int(r);
      return;
    }
  }
  const r = BigInt(cur) + BigInt(incr);
  if (r > INT64_MAX || r < INT64_MIN) throw new ReplyError(Err.overflow);
  const n = Number(r);
  const stored = Number.isSafeInteger(n) ? n : r.toString();
  if (slot >= 0) db.replaceAt(slot, key, stored);
  else db.set(key, stored);
  db.notify('$', 'incrby', key);
  reply.int(r);
}

/** INCR key */
function incr(ctx: Ctx): void {
  incrDecr(ctx, 1);
}

/** DECR key */
function decr(ctx: Ctx): void {
  incrDecr(ctx, -1);
}

/** INCRBY key increment */
function incrby(ctx: Ctx): void {
  const n = parseInt64(ctx.argv[2]!);
  if (n === null) throw new ReplyError(Err.notInteger);
  incrDecr(ctx, n);
}

/** DECRBY key decrement */
function decrby(ctx: Ctx): void {
  const n = parseInt64(ctx.argv[2]!);
  if (n === null) throw new ReplyError(Err.notInteger);
  if (n === INT64_MIN) throw new ReplyError(Err.decrementOverflow);
  incrDecr(ctx, -n);
}

/**
 * The long double value of a stored string, as Redis reads it for the float
 * increments; null when it is not a valid float.
 */
export function storedLongDouble(v: StrValue): LongDouble | null {
  if (typeof v === 'number') return ldFromInt(v);
  return parseLongDouble(typeof v === 'string' ? v : strOf(v));
}

/**
 * INCRBYFLOAT key increment: computed in x87 long double precision and
 * stored as Redis prints it ("%.17Lf" trimmed), keeping the TTL.
 */
function incrbyfloat(ctx: Ctx): void {
  const { db, argv, reply } = ctx;
  const key = argv[1]!;
  const v = lookupString(db, key, true);
  const cur = v === undefined ? ldFromInt(0) : storedLongDouble(v);
  if (cur === null) throw new ReplyError(Err.notFloat);
  const inc = argLongDouble(argv[2]!);
  const sum = ldAdd(cur, inc);
  if (!ldIsFinite(sum)) throw new ReplyError(Err.nanOrInfinity);
  const text = formatLongDouble(sum);
  // Kept as text, not converted to a number: Redis stores this result as a
  // string object (OBJECT ENCODING embstr) even when it looks like an integer.
  db.set(key, text, true);
  if (ctx.propagating) ctx.replayAs([['SET', key, text, 'KEEPTTL']]);
  db.notify('$', 'incrbyfloat', key);
  reply.bulk(text);
}

export const counterCommands: CommandSpec[] = [
  command({
    name: 'incr',
    arity: 2,
    flags: ['write', 'denyoom', 'fast'],
    acl: ['string'],
    keySpecs: [keyAt(1, READ_UPDATE)],
    group: 'string',
    since: '1.0.0',
    summary: 'Adds one to the integer value of a key (zero when missing).',
    complexity: 'O(1)',
    args: [keyArg()],
    handler: incr,
  }),
  command({
    name: 'decr',
    arity: 2,
    flags: ['write', 'denyoom', 'fast'],
    acl: ['string'],
    keySpecs: [keyAt(1, READ_UPDATE)],
    group: 'string',
    since: '1.0.0',
    summary: 'Subtracts one from the integer value of a key (zero when missing).',
    complexity: 'O(1)',
    args: [keyArg()],
    handler: decr,
  }),
  command({
    name: 'incrby',
    arity: 3,
    flags: ['write', 'denyoom', 'fast'],
    acl: ['string'],
    keySpecs: [keyAt(1, READ_UPDATE)],
    group: 'string',
    since: '1.0.0',
    summary: 'Adds an integer to the integer value of a key (zero when missing).',
    complexity: 'O(1)',
    args: [keyArg(), { name: 'increment', type: 'integer' }],
    handler: incrby,
  }),
  command({
    name: 'decrby',
    arity: 3,
    flags: ['write', 'denyoom', 'fast'],
    acl: ['string'],
    keySpecs: [keyAt(1, READ_UPDATE)],
    group: 'string',
    since: '1.0.0',
    summary: 'Subtracts an integer from the integer value of a key (zero when missing).',
    complexity: 'O(1)',
    args: [keyArg(), { name: 'decrement', type: 'integer' }],
    handler: decrby,
  }),
  command({
    name: 'incrbyfloat',
    arity: 3,
    flags: ['write', 'denyoom', 'fast'],
    acl: ['string'],
    keySpecs: [keyAt(1, READ_UPDATE)],
    group: 'string',
    since: '2.6.0',
    summary: 'Adds a floating point number to the numeric value of a key (zero when missing).',
    complexity: 'O(1)',
    args: [keyArg(), { name: 'increment', type: 'double' }],
    handler: incrbyfloat,
  }),
];
