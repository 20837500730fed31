/**
 * Key expiry: EXPIRE PEXPIRE EXPIREAT PEXPIREAT (with NX XX GT LT), TTL PTTL
 * EXPIRETIME PEXPIRETIME and PERSIST. A time already past deletes the key
 * (propagated as DEL, or UNLINK with lazyfree-lazy-expire); others replay
 * as PEXPIREAT with the absolute time.
 */
import { command, keyArg, keyAt, READ, UPDATE, type ArgDoc, type CommandSpec, type Ctx } from './spec.js';
import { is } from './args.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { parseInt64, INT64_MAX, INT64_MIN } from '../util/numbers.js';

const EXPIRE_NX = 1;
const EXPIRE_XX = 2;
const EXPIRE_GT = 4;
const EXPIRE_LT = 8;

/** The NX|XX|GT|LT options from argv[3] on, with Redis's conflict errors. */
function expireFlags(argv: string[]): number {
  let f = 0;
  for (let i = 3; i < argv.length; i++) {
    const o = argv[i]!;
    if (is(o, 'NX')) f |= EXPIRE_NX;
    else if (is(o, 'XX')) f |= EXPIRE_XX;
    else if (is(o, 'GT')) f |= EXPIRE_GT;
    else if (is(o, 'LT')) f |= EXPIRE_LT;
    else throw new ReplyError(Err.unsupportedOption(o));
  }
  if (f & EXPIRE_NX && f & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT)) throw new ReplyError(Err.expireNxConflict);
  if (f & EXPIRE_GT && f & EXPIRE_LT) throw new ReplyError(Err.expireGtLtConflict);
  return f;
}

/**
 * Shared by EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT. `relative`: the time is
 * added to now; `seconds`: the argument is in seconds. Overflow of the
 * conversion or the addition (int64) is an error. A time already passed
 * deletes the key (event "del"); otherwise the TTL is set (event "expire").
 */
function expireGeneric(ctx: Ctx, relative: boolean, seconds: boolean): void {
  const { db, argv, reply } = ctx;
  const key = argv[1]!;
  const flags = expireFlags(argv);
  const parsed = parseInt64(argv[2]!);
  if (parsed === null) throw new ReplyError(Err.notInteger);
  const now = ctx.server.now();
  let when: number | bigint;
  if (typeof parsed === 'number' && parsed <= 1e12 && parsed >= -1e12) {
    // far inside int64 in milliseconds, with any base: exact as a double
    when = (seconds ? parsed * 1000 : parsed) + (relative ? now : 0);
  } else {
    let w = BigInt(parsed);
    const invalid = () => new ReplyError(Err.invalidExpire(argv[0]!.toLowerCase()));
    if (seconds) {
      if (w > INT64_MAX / 1000n || w < INT64_MIN / 1000n) throw invalid();
      w *= 1000n;
    }
    const base = relative ? BigInt(now) : 0n;
    if (w > INT64_MAX - base) throw invalid();
    when = w + base;
  }
  if (db.get(key) === undefined) {
    reply.int(0);
    return;
  }
  if (flags) {
    const cur = db.getExpireExact(key);
    const none = cur === -1;
    if (flags & EXPIRE_NX && !none) return reply.int(0);
    if (flags & EXPIRE_XX && none) return reply.int(0);
    // No TTL counts as an infinite one: GT always fails, LT always passes.
    if (flags & EXPIRE_GT && (none || when <= cur)) return reply.int(0);
    if (flags & EXPIRE_LT && !none && when >= cur) return reply.int(0);
  }
  if (db.isPast(when)) {
    db.delete(key, 'expire');
    db.notify('g', 'del', key);
    ctx.replayAs([[ctx.server.config.v['lazyfree-lazy-expire'] ? 'UNLINK' : 'DEL', key]]);
  } else {
    db.setExpire(key, when);
    db.notify('g', 'expire', key);
    // replayed as PEXPIREAT with the absolute time, options kept
    if (ctx.propagating) ctx.replayAs([['PEXPIREAT', key, String(when), ...argv.slice(3)]]);
  }
  reply.int(1);
}

/** EXPIRE key seconds [NX|XX|GT|LT] */
function expire(ctx: Ctx): void {
  expireGeneric(ctx, true, true);
}

/** PEXPIRE key milliseconds [NX|XX|GT|LT] */
function pexpire(ctx: Ctx): void {
  expireGeneric(ctx, true, false);
}

/** EXPIREAT key unix-time-seconds [NX|XX|GT|LT] */
function expireat(ctx: Ctx): void {
  expireGeneric(ctx, false, true);
}

/** PEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT] */
function pexpireat(ctx: Ctx): void {
  expireGeneric(ctx, false, false);
}

/**
 * Shared by TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 when the key is missing,
 * -1 without a TTL, else the remaining (or absolute) time, never negative;
 * seconds are rounded to the nearest.
 */
function ttlGeneric(ctx: Ctx, ms: boolean, absolute: boolean): void {
  const { db, reply } = ctx;
  const key = ctx.argv[1]!;
  if (db.readNoTouch(key) === undefined) return reply.int(-2);
  const w = db.getExpireExact(key);
  if (w === -1) return reply.int(-1);
  let t = absolute ? BigInt(w) : BigInt(w) - BigInt(ctx.server.now());
  if (t < 0n) t = 0n;
  reply.int(ms ? t : (t + 500n) / 1000n);
}

/** TTL key */
function ttl(ctx: Ctx): void {
  ttlGeneric(ctx, false, false);
}

/** PTTL key */
function pttl(ctx: Ctx): void {
  ttlGeneric(ctx, true, false);
}

/** EXPIRETIME key */
function expiretime(ctx: Ctx): void {
  ttlGeneric(ctx, false, true);
}

/** PEXPIRETIME key */
function pexpiretime(ctx: Ctx): void {
  ttlGeneric(ctx, true, true);
}

/** PERSIST key */
function persist(ctx: Ctx): void {
  const { db, reply } = ctx;
  const key = ctx.argv[1]!;
  if (db.get(key) !== undefined && db.persist(key)) {
    db.notify('g', 'persist', key);
    reply.int(1);
  } else reply.int(0);
}

const EXPIRE_HISTORY: [string, string][] = [['7.0.0', 'Added options: `NX`, `XX`, `GT` and `LT`.']];
const expireCondition: ArgDoc = {
  name: 'condition',
  type: 'oneof',
  since: '7.0.0',
  flags: ['optional'],
  arguments: [
    { name: 'nx', type: 'pure-token', token: 'NX' },
    { name: 'xx', type: 'pure-token', token: 'XX' },
    { name: 'gt', type: 'pure-token', token: 'GT' },
    { name: 'lt', type: 'pure-token', token: 'LT' },
  ],
};
const TTL_HISTORY: [string, string][] = [['2.8.0', 'Added the -2 reply.']];

export const expireCommands: CommandSpec[] = [
  command({
    name: 'expire',
    arity: -3,
    flags: ['write', 'fast'],
    acl: ['keyspace'],
    keySpecs: [keyAt(1, UPDATE)],
    group: 'generic',
    since: '1.0.0',
    summary: 'Makes a key expire after a number of seconds.',
    complexity: 'O(1)',
    history: EXPIRE_HISTORY,
    args: [keyArg(), { name: 'seconds', type: 'integer' }, expireCondition],
    handler: expire,
  }),
  command({
    name: 'pexpire',
    arity: -3,
    flags: ['write', 'fast'],
    acl: ['keyspace'],
    keySpecs: [keyAt(1, UPDATE)],
    group: 'generic',
    since: '2.6.0',
    summary: 'Makes a key expire after a number of milliseconds.',
    complexity: 'O(1)',
    history: EXPIRE_HISTORY,
    args: [keyArg(), { name: 'milliseconds', type: 'integer' }, expireCondition],
    handler: pexpire,
  }),
  command({
    name: 'expireat',
    arity: -3,
    flags: ['write', 'fast'],
    acl: ['keyspace'],
    keySpecs: [keyAt(1, UPDATE)],
    group: 'generic',
    since: '1.2.0',
    summary: 'Makes a key expire at a Unix time in seconds.',
    complexity: 'O(1)',
    history: EXPIRE_HISTORY,
    args: [keyArg(), { name: 'unix-time-seconds', type: 'unix-time' }, expireCondition],
    handler: expireat,
  }),
  command({
    name: 'pexpireat',
    arity: -3,
    flags: ['write', 'fast'],
    acl: ['keyspace'],
    keySpecs: [keyAt(1, UPDATE)],
    group: 'generic',
    since: '2.6.0',
    summary: 'Makes a key expire at a Unix time in milliseconds.',
    complexity: 'O(1)',
    history: EXPIRE_HISTORY,
    args: [keyArg(), { name: 'unix-time-milliseconds', type: 'unix-time' }, expireCondition],
    handler: pexpireat,
  }),
  command({
    name: 'ttl',
    arity: 2,
    flags: ['readonly', 'fast'],
    acl: ['keyspace'],
    keySpecs: [keyAt(1, READ)],
    tips: ['nondeterministic_output'],
    group: 'generic',
    since: '1.0.0',
    summary: 'Tells how many seconds a key has left to live.',
    complexity: 'O(1)',
    history: TTL_HISTORY,
    args: [keyArg()],
    handler: ttl,
  }),
  command({
    name: 'pttl',
    arity: 2,
    flags: ['readonly', 'fast'],
    acl: ['keyspace'],
    keySpecs: [keyAt(1, READ)],
    tips: ['nondeterministic_output'],
    group: 'generic',
    since: '2.6.0',
    summary: 'Tells how many milliseconds a key has left to live.',
    complexity: 'O(1)',
    history: TTL_HISTORY,
    args: [keyArg()],
    handler: pttl,
  }),
  command({
    name: 'expiretime',
    arity: 2,
    flags: ['readonly', 'fast'],
    acl: ['keyspace'],
    keySpecs: [keyAt(1, READ)],
    group: 'generic',
    since: '7.0.0',
    summary: 'Tells the Unix time in seconds at which a key expires.',
    complexity: 'O(1)',
    args: [keyArg()],
    handler: expiretime,
  }),
  command({
    name: 'pexpiretime',
    arity: 2,
    flags: ['readonly', 'fast'],
    acl: ['keyspace'],
    keySpecs: [keyAt(1, READ)],
    group: 'generic',
    since: '7.0.0',
    summary: 'Tells the Unix time in milliseconds at which a key expires.',
    complexity: 'O(1)',
    args: [keyArg()],
    handler: pexpiretime,
  }),
  command({
    name: 'persist',
    arity: 2,
    flags: ['write', 'fast'],
    acl: ['keyspace'],
    keySpecs: [keyAt(1, UPDATE)],
    group: 'generic',
    since: '2.2.0',
    summary: 'Removes the time to live of a key.',
    complexity: 'O(1)',
    args: [keyArg()],
    handler: persist,
  }),
];
