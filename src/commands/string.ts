/**
 * String commands: GET SET (all options) SETNX SETEX PSETEX GETSET GETDEL
 * GETEX MGET MSET MSETNX APPEND STRLEN SETRANGE GETRANGE SUBSTR here; the
 * counters (INCR DECR INCRBY DECRBY INCRBYFLOAT) in string-counter.ts and
 * LCS in lcs.ts, whose declarations `commands` here lists too.
 *
 * Values follow value.ts: a number for canonical safe integers, a latin1
 * string otherwise, a Buffer once changed in place (APPEND, SETRANGE), which
 * Redis reports as "raw". GET, SET, INCR and MSET are benchmarked: their
 * common paths allocate nothing beyond the stored value and the reply.
 */
import {
  command,
  keyArg,
  keyAt,
  keyRange,
  keysFrom,
  CREATE,
  INSERT,
  OVERWRITE,
  READ,
  READ_DELETE,
  READ_META,
  READ_UPDATE,
  UPDATE,
  type CommandSpec,
  type Ctx,
} from './spec.js';
import { argInt, checkStringLength, is, lookupString } from './args.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { isString, strLen, storedStr } from '../keyspace/value.js';
import { parseInt64, INT64_MAX } from '../util/numbers.js';
import { mutableBuf } from '../types/bitops.js';
import { latin1Into } from '../util/latin1.js';
import { setGetKeys } from './keys-of.js';
import { counterCommands } from './string-counter.js';
import { lcsCommands } from './lcs.js';

// Option flags of SET and GETEX (as parsed by Redis's extended-argument parser).
const NX = 1;
const XX = 2;
const GET = 4;
const KEEPTTL = 8;
const EX = 16;
const PX = 32;
const EXAT = 64;
const PXAT = 128;
const PERSIST = 256;
const ANY_EXPIRE = EX | PX | EXAT | PXAT;

/**
 * Parses SET's (isSet) or GETEX's options from argv[start]: the same rules
 * as Redis, so every conflicting or misplaced option is a syntax error.
 * Returns the flags; the expire argument's index is stored in `out.i`.
 */
function parseExtended(argv: string[], start: number, isSet: boolean, out: { i: number }): number {
  let flags = 0;
  const n = argv.length;
  for (let j = start; j < n; j++) {
    const a = argv[j]!;
    const hasNext = j < n - 1;
    if (isSet && is(a, 'NX') && !(flags & XX)) flags |= NX;
    else if (isSet && is(a, 'XX') && !(flags & NX)) flags |= XX;
    else if (isSet && is(a, 'GET')) flags |= GET;
    else if (isSet && is(a, 'KEEPTTL') && !(flags & (PERSIST | ANY_EXPIRE))) flags |= KEEPTTL;
    else if (!isSet && is(a, 'PERSIST') && !(flags & (ANY_EXPIRE | KEEPTTL))) flags |= PERSIST;
    else if (is(a, 'EX') && !(flags & (KEEPTTL | PERSIST | EXAT | PX | PXAT)) && hasNext) {
      flags |= EX;
      out.i = ++j;
    } else if (is(a, 'PX') && !(flags & (KEEPTTL | PERSIST | EX | EXAT | PXAT)) && hasNext) {
      flags |= PX;
      out.i = ++j;
    } else if (is(a, 'EXAT') && !(flags & (KEEPTTL | PERSIST | EX | PX | PXAT)) && hasNext) {
      flags |= EXAT;
      out.i = ++j;
    } else if (is(a, 'PXAT') && !(flags & (KEEPTTL | PERSIST | EX | EXAT | PX)) && hasNext) {
      flags |= PXAT;
      out.i = ++j;
    } else throw new ReplyError(Err.syntax);
  }
  return flags;
}

/**
 * The absolute expiry time in ms for an EX/PX/EXAT/PXAT argument, with
 * Redis's checks: not an integer -> notInteger; <= 0, seconds that overflow
 * when multiplied by 1000, or a sum with the current time beyond int64 ->
 * "invalid expire time in '<cmd>' command". A bigint only beyond 2^53.
 */
function expireTime(ctx: Ctx, arg: string, flags: number): number | bigint {
  const n = parseInt64(arg);
  if (n === null) throw new ReplyError(Err.notInteger);
  const seconds = (flags & (EX | EXAT)) !== 0;
  const relative = (flags & (EX | PX)) !== 0;
  if (typeof n === 'number' && n > 0 && n < 1e12) {
    let ms = seconds ? n * 1000 : n;
    if (relative) ms += ctx.server.now();
    return ms;
  }
  let b = BigInt(n);
  if (b <= 0n || (seconds && b > INT64_MAX / 1000n)) throw new ReplyError(Err.invalidExpire(ctx.cmd.name));
  if (seconds) b *= 1000n;
  if (relative) b += BigInt(ctx.server.now());
  if (b > INT64_MAX) throw new ReplyError(Err.invalidExpire(ctx.cmd.name)); // wraps negative in Redis
  return Number.isSafeInteger(Number(b)) ? Number(b) : b;
}

/**
 * The shared SET implementation (SET, SETNX, SETEX, PSETEX): checks the
 * expire time, replies the old value for GET, honours NX/XX, stores the value
 * (keeping the TTL for KEEPTTL), fires "set" (and "expire") events. A failed
 * NX/XX condition replies `abort` (a null when undefined) unless GET replied.
 */
function setGeneric(
  ctx: Ctx,
  flags: number,
  key: string,
  val: string,
  expireArg: string | undefined,
  ok?: number,
  abort?: number,
): void {
  const { db, reply } = ctx;
  const when = expireArg === undefined ? undefined : expireTime(ctx, expireArg, flags);
  if (flags & GET) reply.bulkOrNull(lookupString(db, key));
  if (flags & (NX | XX)) {
    const found = db.get(key) !== undefined;
    if (flags & NX ? found : !found) {
      if (!(flags & GET)) {
        if (abort === undefined) reply.null();
        else reply.int(abort);
      }
      return;
    }
  }
  const v = storedStr(val);
  if (when === undefined) {
    db.set(key, v, (flags & KEEPTTL) !== 0);
    // replayed without GET (Redis 7.2's setGenericCommand): a replica's SET replies nothing anyway
    if (flags & GET && ctx.propagating) ctx.replayAs([ctx.argv.filter((a, j) => j < 3 || a.toLowerCase() !== 'get')]);
  } else {
    db.setWithExpire(key, v, when);
    // replayed with the absolute time (SET EX, SETEX, PSETEX alike); a SET
    // given PXAT replays as it came, options and all (Redis 7.2's setGenericCommand)
    if (!(flags & PXAT) && ctx.propagating) ctx.replayAs([['SET', key, val, 'PXAT', String(when)]]);
  }
  db.notify('$', 'set', key);
  if (when !== undefined) db.notify('g', 'expire', key);
  if (!(flags & GET)) {
    if (ok === undefined) reply.ok();
    else reply.int(ok);
  }
}

/** GET key */
function get(ctx: Ctx): void {
  ctx.reply.bulkOrNull(lookupString(ctx.db, ctx.argv[1]!));
}

/** SET key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL] */
function set(ctx: Ctx): void {
  const argv = ctx.argv;
  const key = argv[1]!;
  if (argv.length === 3) {
    ctx.db.set(key, storedStr(argv[2]!));
    ctx.db.notify('$', 'set', key);
    ctx.reply.ok();
    return;
  }
  const out = { i: 0 };
  const flags = parseExtended(argv, 3, true, out);
  setGeneric(ctx, flags, key, argv[2]!, flags & ANY_EXPIRE ? argv[out.i] : undefined);
}

/** SETNX key value */
function setnx(ctx: Ctx): void {
  setGeneric(ctx, NX, ctx.argv[1]!, ctx.argv[2]!, undefined, 1, 0);
}

/** SETEX key seconds value */
function setex(ctx: Ctx): void {
  setGeneric(ctx, EX, ctx.argv[1]!, ctx.argv[3]!, ctx.argv[2]!);
}

/** PSETEX key milliseconds value */
function psetex(ctx: Ctx): void {
  setGeneric(ctx, PX, ctx.argv[1]!, ctx.argv[3]!, ctx.argv[2]!);
}

/** GETSET key value: replies the old value, stores the new one (clearing the TTL). */
function getset(ctx: Ctx): void {
  const { db, argv } = ctx;
  const key = argv[1]!;
  ctx.reply.bulkOrNull(lookupString(db, key));
  db.set(key, storedStr(argv[2]!));
  db.notify('$', 'set', key);
  // replayed as SET (Redis's getsetCommand)
  ctx.replayAs([['SET', key, argv[2]!]]);
}

/** GETDEL key */
function getdel(ctx: Ctx): void {
  const { db } = ctx;
  const key = ctx.argv[1]!;
  const v = lookupString(db, key);
  ctx.reply.bulkOrNull(v);
  if (v !== undefined && db.delete(key)) {
    db.notify('g', 'del', key);
    ctx.replayAs([['DEL', key]]); // as Redis's getdelCommand rewrites it
  }
}

/** GETEX key [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|PERSIST] */
function getex(ctx: Ctx): void {
  const { db, argv, reply } = ctx;
  const key = argv[1]!;
  const out = { i: 0 };
  const flags = parseExtended(argv, 2, false, out);
  const v = lookupString(db, key);
  if (v === undefined) {
    reply.null();
    return;
  }
  const when = flags & ANY_EXPIRE ? expireTime(ctx, argv[out.i]!, flags) : undefined;
  reply.bulk(v);
  if (when !== undefined) {
    // An absolute time already past deletes the key (as Redis on a master, not while loading).
    if (flags & (EXAT | PXAT) && db.isPast(when)) {
      if (db.delete(key, 'expire')) db.notify('g', 'del', key);
      ctx.replayAs([[ctx.server.config.v['lazyfree-lazy-expire'] ? 'UNLINK' : 'DEL', key]]);
    } else {
      db.setExpire(key, when);
      db.notify('g', 'expire', key);
      if (ctx.propagating) ctx.replayAs([['PEXPIREAT', key, String(when)]]);
    }
  } else if (flags & PERSIST) {
    if (db.persist(key)) {
      db.notify('g', 'persist', key);
      ctx.replayAs([['PERSIST', key]]);
    }
  }
}

/** MGET key [key ...]: nulls for missing keys and keys of other types. */
function mget(ctx: Ctx): void {
  const { db, argv, reply } = ctx;
  reply.array(argv.length - 1);
  for (let i = 1; i < argv.length; i++) {
    const v = db.read(argv[i]!);
    if (v === undefined || !isString(v)) reply.null();
    else reply.bulk(v);
  }
}

/** MSET key value [key value ...] */
function mset(ctx: Ctx): void {
  const { db, argv } = ctx;
  if (argv.length % 2 === 0) throw new ReplyError(Err.wrongArgs(ctx.cmd.name));
  for (let i = 1; i < argv.length; i += 2) {
    const key = argv[i]!;
    db.set(key, storedStr(argv[i + 1]!));
    db.notify('$', 'set', key);
  }
  ctx.reply.ok();
}

/** MSETNX key value [key value ...]: sets all or none (when any key exists). */
function msetnx(ctx: Ctx): void {
  const { db, argv, reply } = ctx;
  if (argv.length % 2 === 0) throw new ReplyError(Err.wrongArgs(ctx.cmd.name));
  for (let i = 1; i < argv.length; i += 2) {
    if (db.get(argv[i]!) !== undefined) {
      reply.int(0);
      return;
    }
  }
  for (let i = 1; i < argv.length; i += 2) {
    const key = argv[i]!;
    db.set(key, storedStr(argv[i + 1]!));
    db.notify('$', 'set', key);
  }
  reply.int(1);
}

/**
 * APPEND key value. A new key stores the value as SET would; an existing one
 * becomes a growable Buffer (Redis's "raw"), so repeated appends are
 * amortized O(1).
 */
function append(ctx: Ctx): void {
  const { db, argv, reply } = ctx;
  const key = argv[1]!;
  const add = argv[2]!;
  const v = lookupString(db, key, true);
  if (v === undefined) {
    db.set(key, storedStr(add));
    db.notify('$', 'append', key);
    reply.int(add.length);
    return;
  }
  const old = strLen(v);
  const total = old + add.length;
  checkStringLength(ctx, total);
  const b = mutableBuf(v, total);
  latin1Into(b, old, add);
  if (b !== v) db.set(key, b, true);
  else db.modified(key);
  db.notify('$', 'append', key);
  reply.int(total);
}

/** STRLEN key */
function strlen(ctx: Ctx): void {
  const v = lookupString(ctx.db, ctx.argv[1]!);
  ctx.reply.int(v === undefined ? 0 : strLen(v));
}

/** SETRANGE key offset value: overwrites from offset, zero padding as needed. */
function setrange(ctx: Ctx): void {
  const { db, argv, reply } = ctx;
  const key = argv[1]!;
  const value = argv[3]!;
  const offset = argInt(argv[2]!);
  if (offset < 0) throw new ReplyError(Err.offsetOutOfRange);
  const v = lookupString(db, key, true);
  if (v === undefined) {
    if (value.length === 0) {
      reply.int(0);
      return;
    }
  } else if (value.length === 0) {
    reply.int(strLen(v));
    return;
  }
  checkStringLength(ctx, offset + value.length);
  const b = mutableBuf(v, offset + value.length);
  b.write(value, offset, 'latin1');
  if (b !== v) db.set(key, b, true);
  else db.modified(key);
  db.notify('$', 'setrange', key);
  reply.int(b.length);
}

/** GETRANGE key start end (also SUBSTR): inclusive, negative indexes from the end. */
function getrange(ctx: Ctx): void {
  const { argv, reply } = ctx;
  let start = argInt(argv[2]!);
  let end = argInt(argv[3]!);
  const v = lookupString(ctx.db, argv[1]!);
  if (v === undefined || (start < 0 && end < 0 && start > end)) {
    reply.bulk('');
    return;
  }
  const s = typeof v === 'number' ? '' + v : v;
  const len = s.length;
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) reply.bulk('');
  else if (typeof s === 'string') reply.bulk(s.slice(start, end + 1));
  else reply.bulk(s.latin1Slice(start, end + 1));
}

export const commands: CommandSpec[] = [
  command({
    name: 'get',
    arity: 2,
    flags: ['readonly', 'fast'],
    acl: ['string'],
    keySpecs: [keyAt(1, READ)],
    group: 'string',
    since: '1.0.0',
    summary: 'Returns the string value of a key.',
    complexity: 'O(1)',
    args: [keyArg()],
    handler: get,
  }),
  command({
    name: 'set',
    arity: -3,
    flags: ['write', 'denyoom'],
    acl: ['string'],
    keySpecs: [
      keyAt(1, ['RW', 'access', 'update', 'variable_flags'], 'RW and ACCESS due to the optional `GET` argument'),
    ],
    group: 'string',
    since: '1.0.0',
    summary: 'Stores a string value at a key, with optional conditions and expiry; can return the previous value.',
    complexity: 'O(1)',
    history: [
      ['2.6.12', 'Added the `EX`, `PX`, `NX` and `XX` options.'],
      ['6.0.0', 'Added the `KEEPTTL` option.'],
      ['6.2.0', 'Added the `GET`, `EXAT` and `PXAT` option.'],
      ['7.0.0', 'Allowed the `NX` and `GET` options to be used together.'],
    ],
    args: [
      keyArg(),
      { name: 'value', type: 'string' },
      {
        name: 'condition',
        type: 'oneof',
        since: '2.6.12',
        flags: ['optional'],
        arguments: [
          { name: 'nx', type: 'pure-token', token: 'NX' },
          { name: 'xx', type: 'pure-token', token: 'XX' },
        ],
      },
      { name: 'get', type: 'pure-token', token: 'GET', since: '6.2.0', flags: ['optional'] },
      {
        name: 'expiration',
        type: 'oneof',
        flags: ['optional'],
        arguments: [
          { name: 'seconds', type: 'integer', token: 'EX', since: '2.6.12' },
          { name: 'milliseconds', type: 'integer', token: 'PX', since: '2.6.12' },
          { name: 'unix-time-seconds', type: 'unix-time', token: 'EXAT', since: '6.2.0' },
          { name: 'unix-time-milliseconds', type: 'unix-time', token: 'PXAT', since: '6.2.0' },
          { name: 'keepttl', type: 'pure-token', token: 'KEEPTTL', since: '6.0.0' },
        ],
      },
    ],
    getKeys: setGetKeys,
    handler: set,
  }),
  command({
    name: 'setnx',
    arity: 3,
    flags: ['write', 'denyoom', 'fast'],
    acl: ['string'],
    keySpecs: [keyAt(1, CREATE)],
    group: 'string',
    since: '1.0.0',
    summary: 'Stores a string value only when the key does not exist yet.',
    complexity: 'O(1)',
    args: [keyArg(), { name: 'value', type: 'string' }],
    handler: setnx,
  }),
  command({
    name: 'setex',
    arity: 4,
    flags: ['write', 'denyoom'],
    acl: ['string'],
    keySpecs: [keyAt(1, OVERWRITE)],
    group: 'string',
    since: '2.0.0',
    summary: 'Stores a string value with a time to live in seconds.',
    complexity: 'O(1)',
    args: [keyArg(), { name: 'seconds', type: 'integer' }, { name: 'value', type: 'string' }],
    handler: setex,
  }),
  command({
    name: 'psetex',
    arity: 4,
    flags: ['write', 'denyoom'],
    acl: ['string'],
    keySpecs: [keyAt(1, OVERWRITE)],
    group: 'string',
    since: '2.6.0',
    summary: 'Stores a string value with a time to live in milliseconds.',
    complexity: 'O(1)',
    args: [keyArg(), { name: 'milliseconds', type: 'integer' }, { name: 'value', type: 'string' }],
    handler: psetex,
  }),
  command({
    name: 'getset',
    arity: 3,
    flags: ['write', 'denyoom', 'fast'],
    acl: ['string'],
    keySpecs: [keyAt(1, READ_UPDATE)],
    group: 'string',
    since: '1.0.0',
    summary: 'Stores a new string value and returns the one it replaced.',
    complexity: 'O(1)',
    docFlags: ['deprecated'],
    deprecatedSince: '6.2.0',
    replacedBy: '`SET` with the `!GET` argument',
    args: [keyArg(), { name: 'value', type: 'string' }],
    handler: getset,
  }),
  command({
    name: 'getdel',
    arity: 2,
    flags: ['write', 'fast'],
    acl: ['string'],
    keySpecs: [keyAt(1, READ_DELETE)],
    group: 'string',
    since: '6.2.0',
    summary: 'Returns the string value of a key and removes the key.',
    complexity: 'O(1)',
    args: [keyArg()],
    handler: getdel,
  }),
  command({
    name: 'getex',
    arity: -2,
    flags: ['write', 'fast'],
    acl: ['string'],
    keySpecs: [keyAt(1, READ_UPDATE, 'RW and UPDATE because it changes the TTL')],
    group: 'string',
    since: '6.2.0',
    summary: 'Returns the string value of a key and optionally changes or removes its expiry.',
    complexity: 'O(1)',
    args: [
      keyArg(),
      {
        name: 'expiration',
        type: 'oneof',
        flags: ['optional'],
        arguments: [
          { name: 'seconds', type: 'integer', token: 'EX' },
          { name: 'milliseconds', type: 'integer', token: 'PX' },
          { name: 'unix-time-seconds', type: 'unix-time', token: 'EXAT' },
          { name: 'unix-time-milliseconds', type: 'unix-time', token: 'PXAT' },
          { name: 'persist', type: 'pure-token', token: 'PERSIST' },
        ],
      },
    ],
    handler: getex,
  }),
  command({
    name: 'mget',
    arity: -2,
    flags: ['readonly', 'fast'],
    acl: ['string'],
    keySpecs: [keysFrom(1, READ)],
    tips: ['request_policy:multi_shard'],
    group: 'string',
    since: '1.0.0',
    summary: 'Returns the string values of several keys, null for missing ones.',
    complexity: 'O(N) where N is the number of keys to retrieve.',
    args: [{ name: 'key', type: 'key', key_spec_index: 0, flags: ['multiple'] }],
    handler: mget,
  }),
  command({
    name: 'mset',
    arity: -3,
    flags: ['write', 'denyoom'],
    acl: ['string'],
    keySpecs: [keyRange(1, -1, 2, OVERWRITE)],
    tips: ['request_policy:multi_shard', 'response_policy:all_succeeded'],
    group: 'string',
    since: '1.0.1',
    summary: 'Stores several key-value pairs at once.',
    complexity: 'O(N) where N is the number of keys to set.',
    args: [
      {
        name: 'key_value',
        type: 'block',
        flags: ['multiple'],
        arguments: [keyArg(), { name: 'value', type: 'string' }],
      },
    ],
    handler: mset,
  }),
  command({
    name: 'msetnx',
    arity: -3,
    flags: ['write', 'denyoom'],
    acl: ['string'],
    keySpecs: [keyRange(1, -1, 2, CREATE)],
    tips: ['request_policy:multi_shard', 'response_policy:agg_min'],
    group: 'string',
    since: '1.0.1',
    summary: 'Stores several key-value pairs only when none of the keys exists.',
    complexity: 'O(N) where N is the number of keys to set.',
    args: [
      {
        name: 'key_value',
        type: 'block',
        flags: ['multiple'],
        arguments: [keyArg(), { name: 'value', type: 'string' }],
      },
    ],
    handler: msetnx,
  }),
  command({
    name: 'append',
    arity: 3,
    flags: ['write', 'denyoom', 'fast'],
    acl: ['string'],
    keySpecs: [keyAt(1, INSERT)],
    group: 'string',
    since: '2.0.0',
    summary: 'Adds bytes to the end of a string value, creating the key when missing.',
    complexity:
      'O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.',
    args: [keyArg(), { name: 'value', type: 'string' }],
    handler: append,
  }),
  command({
    name: 'strlen',
    arity: 2,
    flags: ['readonly', 'fast'],
    acl: ['string'],
    keySpecs: [keyAt(1, READ_META)],
    group: 'string',
    since: '2.2.0',
    summary: 'Returns the length in bytes of a string value.',
    complexity: 'O(1)',
    args: [keyArg()],
    handler: strlen,
  }),
  command({
    name: 'setrange',
    arity: 4,
    flags: ['write', 'denyoom'],
    acl: ['string'],
    keySpecs: [keyAt(1, UPDATE)],
    group: 'string',
    since: '2.2.0',
    summary: 'Overwrites part of a string value from an offset, zero padding when needed.',
    complexity:
      'O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.',
    args: [keyArg(), { name: 'offset', type: 'integer' }, { name: 'value', type: 'string' }],
    handler: setrange,
  }),
  command({
    name: 'getrange',
    arity: 4,
    flags: ['readonly'],
    acl: ['string'],
    keySpecs: [keyAt(1, READ)],
    group: 'string',
    since: '2.4.0',
    summary: 'Returns a substring of a string value by inclusive byte indexes.',
    complexity:
      'O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.',
    args: [keyArg(), { name: 'start', type: 'integer' }, { name: 'end', type: 'integer' }],
    handler: getrange,
  }),
  command({
    name: 'substr',
    arity: 4,
    flags: ['readonly'],
    acl: ['string'],
    keySpecs: [keyAt(1, READ)],
    group: 'string',
    since: '1.0.0',
    summary: 'Returns a substring of a string value (old name of GETRANGE).',
    complexity:
      'O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.',
    docFlags: ['deprecated'],
    deprecatedSince: '2.0.0',
    replacedBy: '`GETRANGE`',
    args: [keyArg(), { name: 'start', type: 'integer' }, { name: 'end', type: 'integer' }],
    handler: getrange,
  }),
  ...counterCommands,
  ...lcsCommands,
];
