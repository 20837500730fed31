/**
 * Hash-field expiration: HEXPIRE HPEXPIRE HEXPIREAT HPEXPIREAT HTTL HPTTL
 * HEXPIRETIME HPEXPIRETIME HPERSIST (Redis 7.4) and HGETEX HSETEX HGETDEL
 * (Redis 8.0). Semantics, lazy expiry and propagation as hash.ts's header says.
 */
import {
  command,
  keyArg,
  keyAt,
  READ,
  READ_DELETE,
  READ_UPDATE,
  UPDATE,
  type ArgDoc,
  type CommandSpec,
  type Ctx,
} from './spec.js';
import { lookupTyped, is } from './args.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { HashValue } from '../types/hash.js';
import { parseInt64 } from '../util/numbers.js';
import { type Lazy, limits, liveGet, parseFieldExpire, parseNumFields, setField } from './hash-common.js';

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
  } else if ((cond === COND_GT && prev >= at) || (cond === COND_LT && prev <= at) || cond === COND_NX)
    return SETEX_NO_CONDITION;
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
  const h = lookupTyped(db, key, 'hash', true);
  const at = parseFieldExpire(ctx, argv[2]!, seconds, relative);
  let cond = 0;
  const c = argv[3]!.toUpperCase();
  if (c === 'NX') cond = COND_NX;
  else if (c === 'XX') cond = COND_XX;
  else if (c === 'GT') cond = COND_GT;
  else if (c === 'LT') cond = COND_LT;
  const numAt = cond === 0 ? 4 : 5;
  if (!is(argv[numAt - 1], 'FIELDS')) throw new ReplyError(Err.hashFieldsMissing);
  const n = parseNumFields(argv, numAt, Err.hashNumFieldsParam);
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
    ctx.replayAs([]); // deleted fields went out as HDELs
    return;
  }
  const cmd = ctx.cmd.name === 'hpexpireat' ? argv[0]! : 'HPEXPIREAT';
  ctx.replayAs([[cmd, key, String(at), ...argv.slice(3, numAt), String(setFields.length), ...setFields]]);
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
  const h = lookupTyped(ctx.db, argv[1]!, 'hash');
  if (!is(argv[2], 'FIELDS')) throw new ReplyError(Err.hashFieldsMissing);
  const n = parseNumFields(argv, 3, Err.hashNumfieldsPositive);
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
  const h = lookupTyped(db, key, 'hash', true);
  if (!is(argv[2], 'FIELDS')) throw new ReplyError(Err.hashFieldsMissing);
  const n = parseNumFields(argv, 3, Err.hashNumfieldsPositive);
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
  const h = lookupTyped(db, key, 'hash', true);
  const opt = argv[2]!.toUpperCase();
  const persist = opt === 'PERSIST';
  const setTtl = opt === 'EX' || opt === 'PX' || opt === 'EXAT' || opt === 'PXAT';
  let at = 0;
  let numAt = 3;
  if (setTtl) {
    numAt = 5;
    at = parseFieldExpire(ctx, argv[3]!, opt === 'EX' || opt === 'EXAT', opt === 'EX' || opt === 'PX');
  } else if (persist) numAt = 4;
  if (!is(argv[numAt - 1], 'FIELDS')) throw new ReplyError(Err.hashFieldsMissing);
  // (Redis reads past its arguments for "HGETEX key EX 10 FIELDS")
  if (numAt >= argv.length) throw new ReplyError(Err.wrongArgs(ctx.cmd.name));
  const n = parseNumFields(argv, numAt, Err.hashNumfieldsPositive);
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
      ctx.replayAs([['HPERSIST', key, ...argv.slice(3)]]);
    } else {
      db.notify('h', 'hexpire', key);
      ctx.replayAs([['HPEXPIREAT', key, opt === 'PXAT' ? argv[3]! : String(at), ...argv.slice(4)]]);
    }
  } else if (deleted !== 0) {
    db.notify('h', 'hdel', key);
    ctx.replayAs([]); // the HDELs went out already
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
  const h = lookupTyped(db, key, 'hash', true);
  if (!is(argv[2], 'FIELDS')) throw new ReplyError(Err.hashFieldsMissing);
  const n = parseNumFields(argv, 3, Err.hashNumfieldsPositive);
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
    ctx.replayAs([['HDEL', key, ...argv.slice(4)]]);
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
  for (let i = 2; i < argv.length; i++) {
    const t = argv[i]!.toUpperCase();
    if (t === 'FIELDS') {
      if (i >= argv.length - 3) throw new ReplyError(Err.wrongArgs(ctx.cmd.name));
      const n = parseInt64(argv[i + 1]!);
      if (n === null || n < 1 || n > 2147483647) throw new ReplyError(Err.hashInvalidNumFields);
      const remaining = argv.length - i - 2;
      if (remaining % 2 !== 0 || n !== remaining / 2) throw new ReplyError(Err.wrongArgs(ctx.cmd.name));
      a.first = i + 2;
      return a;
    }
    if (t === 'EX' || t === 'PX' || t === 'EXAT' || t === 'PXAT') {
      if (a.ttlAt >= 0 || a.keepTtl) throw new ReplyError(Err.hashOneTtl);
      if (i >= argv.length - 1) throw new ReplyError(Err.hashMissingExpire);
      a.ttlAt = i;
      a.at = parseFieldExpire(ctx, argv[++i]!, t === 'EX' || t === 'EXAT', t === 'EX' || t === 'PX');
    } else if (t === 'KEEPTTL') {
      if (a.ttlAt >= 0 || a.keepTtl) throw new ReplyError(Err.hashOneTtl);
      a.keepTtl = true;
    } else if (t === 'FXX' || t === 'FNX') {
      if (a.fxx || a.fnx) throw new ReplyError(Err.hashFxxFnx);
      if (t === 'FXX') a.fxx = true;
      else a.fnx = true;
    } else throw new ReplyError(Err.hashUnknownArgument(argv[i]!));
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
  let h = lookupTyped(db, key, 'hash', true);
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
    if (deleted !== 0)
      ctx.replayAs([]); // the HDELs went out already
    else if (setTtl && !is(argv[a.ttlAt], 'PXAT')) {
      const p = argv.slice();
      p[a.ttlAt] = 'PXAT';
      p[a.ttlAt + 1] = String(a.at);
      ctx.replayAs([p]);
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
const FIELDS_ARG: ArgDoc = {
  name: 'fields',
  type: 'block',
  token: 'FIELDS',
  arguments: [
    { name: 'numfields', type: 'integer' },
    { name: 'field', type: 'string', flags: ['multiple'] },
  ],
};
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

export const expireCommands: CommandSpec[] = [
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
        keyArg(),
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
      args: [keyArg(), FIELDS_ARG],
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
    args: [keyArg(), FIELDS_ARG],
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
      keyArg(),
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
      keyArg(),
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
    args: [keyArg(), FIELDS_ARG],
    handler: hgetdel,
  }),
];
