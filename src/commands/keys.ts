/**
 * Keyspace (generic) commands: DEL UNLINK EXISTS TYPE RENAME RENAMENX TOUCH
 * RANDOMKEY DBSIZE FLUSHDB FLUSHALL KEYS SCAN SWAPDB MOVE COPY OBJECT here,
 * and EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL EXPIRETIME PEXPIRETIME
 * PERSIST in keys-expire.ts (`commands` here lists its declarations too).
 *
 * Type-independent: values are inspected only through typeName(),
 * Collection.encoding() and dupValue(), so new types work here unchanged.
 * Every change goes through the keyspace API (db.ts), which fires WATCH,
 * dirty and tracking signals; keyspace events are named here, as in Redis.
 */
import {
  command,
  keyArg,
  keyAt,
  keysFrom,
  CREATE,
  OVERWRITE,
  READ,
  READ_DELETE,
  READ_META,
  READ_UPDATE,
  REMOVE,
  type ArgDoc,
  type CommandSpec,
  type Ctx,
} from './spec.js';
import { is, parseScanOptions } from './args.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { parseInt64 } from '../util/numbers.js';
import { globMatch } from '../util/glob.js';
import { dupValue, isString, stringEncoding, typeName, type Value } from '../keyspace/value.js';
import { idleMs, isLfuPolicy, lfuDecr } from '../keyspace/access.js';
import type { Db } from '../keyspace/db.js';
import type { FreeMode } from '../keyspace/lazyfree.js';
import { flushallSave } from '../persistence/bgsave.js';
import { expireCommands } from './keys-expire.js';

const ULONG_MAX = 18446744073709551615n;
const INT_MAX = 2147483647;
/** Redis shares the integers 0..9999 and reports them with this refcount. */
const SHARED_INTEGERS = 10000;

// ---------------------------------------------------------------------------
// Helpers

/**
 * A C `int` argument (Redis's getIntFromObjectOrReply): not an integer →
 * `notInt`; an integer outside 32 bits → `range` (by default Redis's
 * "value is out of range, value must between ..." text).
 */
function argCInt(s: string, notInt: string = Err.notInteger, range: string = Err.intOutOfRange): number {
  const n = parseInt64(s);
  if (n === null) throw new ReplyError(notInt);
  if (typeof n === 'bigint' || n > INT_MAX || n < -INT_MAX - 1) throw new ReplyError(range);
  return n;
}

/** The database with index `id`, or throws "DB index is out of range". */
function dbAt(ctx: Ctx, id: number): Db {
  const db = id >= 0 ? ctx.server.dbs[id] : undefined;
  if (db === undefined) throw new ReplyError(Err.dbIndexOutOfRange);
  return db;
}

/** True when a key has a TTL that has passed (without deleting it: KEYS only skips). */
function isExpired(db: Db, key: string, now: number): boolean {
  if (db.expires.size === 0) return false;
  const w = db.expires.get(key);
  return w !== undefined && w <= now;
}

/** The name TYPE reports for a value (or "none"). */
function typeOf(v: Value | undefined): string {
  return v === undefined ? 'none' : typeName(v);
}

/** Whether maxmemory-policy is an LFU one (OBJECT FREQ / IDLETIME). */
function lfuSelected(ctx: Ctx): boolean {
  return isLfuPolicy(ctx.server.config.v['maxmemory-policy']);
}

// ---------------------------------------------------------------------------
// Existence, deletion, type

/**
 * Shared by DEL and UNLINK: deletes each key that exists, replies with the
 * count. `mode` says how the values go (keyspace/lazyfree.ts): UNLINK's
 * always count as freed lazily, DEL's when lazyfree-lazy-user-del is on.
 */
function delGeneric(ctx: Ctx, mode: FreeMode): void {
  const { db, argv } = ctx;
  let n = 0;
  for (let i = 1; i < argv.length; i++) {
    const key = argv[i]!;
    if (db.delete(key, mode)) {
      db.notify('g', 'del', key);
      n++;
    }
  }
  ctx.reply.int(n);
}

/** DEL key [key ...] */
function del(ctx: Ctx): void {
  delGeneric(ctx, 'user');
}

/**
 * UNLINK key [key ...]
 * Removing a key is O(1) whatever its value (the dict drops one reference;
 * V8's collector reclaims the objects concurrently), so UNLINK does what DEL
 * does; a big value counts in INFO's lazyfree figures as Redis counts it.
 */
function unlink(ctx: Ctx): void {
  delGeneric(ctx, 'unlink');
}

/** EXISTS key [key ...] — a key named twice counts twice. */
function exists(ctx: Ctx): void {
  const { db, argv } = ctx;
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (db.readNoTouch(argv[i]!) !== undefined) n++;
  ctx.reply.int(n);
}

/** TYPE key */
function type(ctx: Ctx): void {
  ctx.reply.simple(typeOf(ctx.db.readNoTouch(ctx.argv[1]!)));
}

/** TOUCH key [key ...] — updates the access time even in CLIENT NO-TOUCH mode. */
function touch(ctx: Ctx): void {
  const { db, argv } = ctx;
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (db.touchRead(argv[i]!) !== undefined) n++;
  ctx.reply.int(n);
}

/** RANDOMKEY */
function randomkey(ctx: Ctx): void {
  ctx.reply.bulkOrNull(ctx.db.randomKey(ctx.server.random));
}

/** DBSIZE — counts keys not yet reclaimed by expiry, as Redis does. */
function dbsize(ctx: Ctx): void {
  ctx.reply.int(ctx.db.size);
}

// ---------------------------------------------------------------------------
// Rename, move, copy

/** Shared by RENAME and RENAMENX. The TTL and access time move with the value. */
function renameGeneric(ctx: Ctx, nx: boolean): void {
  const { db, argv, reply } = ctx;
  const src = argv[1]!;
  const dst = argv[2]!;
  if (db.get(src) === undefined) throw new ReplyError(Err.noSuchKey);
  if (src === dst) {
    if (nx) reply.int(0);
    else reply.ok();
    return;
  }
  if (db.get(dst) !== undefined) {
    if (nx) {
      reply.int(0);
      return;
    }
    db.delete(dst);
  }
  db.rename(src, dst);
  db.notify('g', 'rename_from', src);
  db.notify('g', 'rename_to', dst);
  if (nx) reply.int(1);
  else reply.ok();
}

/** RENAME key newkey */
function rename(ctx: Ctx): void {
  renameGeneric(ctx, false);
}

/** RENAMENX key newkey */
function renamenx(ctx: Ctx): void {
  renameGeneric(ctx, true);
}

/** MOVE key db */
function move(ctx: Ctx): void {
  if (ctx.server.cluster.enabled) throw new ReplyError(Err.moveInCluster);
  const { db: src, argv, reply } = ctx;
  const key = argv[1]!;
  const dst = dbAt(ctx, argCInt(argv[2]!));
  if (dst === src) throw new ReplyError(Err.sameObject);
  if (src.get(key) === undefined || dst.get(key) !== undefined) {
    reply.int(0);
    return;
  }
  src.moveTo(key, dst);
  src.notify('g', 'move_from', key);
  dst.notify('g', 'move_to', key);
  reply.int(1);
}

/** COPY source destination [DB destination-db] [REPLACE] */
function copy(ctx: Ctx): void {
  const { db: src, argv, reply } = ctx;
  const key = argv[1]!;
  const newkey = argv[2]!;
  let dst = src;
  let replace = false;
  for (let i = 3; i < argv.length; i++) {
    if (is(argv[i], 'REPLACE')) replace = true;
    else if (is(argv[i], 'DB') && i + 1 < argv.length) {
      dst = dbAt(ctx, argCInt(argv[++i]!));
    } else throw new ReplyError(Err.syntax);
  }
  if (ctx.server.cluster.enabled && (src.id !== 0 || dst.id !== 0)) throw new ReplyError(Err.copyInCluster);
  if (dst === src && key === newkey) throw new ReplyError(Err.sameObject);
  const v = src.read(key);
  if (v === undefined) {
    reply.int(0);
    return;
  }
  const when = src.getExpireExact(key);
  if (dst.get(newkey) !== undefined) {
    if (!replace) {
      reply.int(0);
      return;
    }
    dst.delete(newkey);
  }
  dst.set(newkey, dupValue(v));
  if (when !== -1) dst.setExpire(newkey, when);
  dst.notify('g', 'copy_to', newkey);
  reply.int(1);
}

/** SWAPDB index1 index2 */
function swapdb(ctx: Ctx): void {
  if (ctx.server.cluster.enabled) throw new ReplyError(Err.swapdbInCluster);
  const a = argCInt(ctx.argv[1]!, Err.invalidFirstDb, Err.invalidFirstDb);
  const b = argCInt(ctx.argv[2]!, Err.invalidSecondDb, Err.invalidSecondDb);
  const dbs = ctx.server.dbs;
  if (a < 0 || a >= dbs.length || b < 0 || b >= dbs.length) throw new ReplyError(Err.dbIndexOutOfRange);
  if (a !== b) dbs[a]!.swapWith(dbs[b]!);
  ctx.dirty();
  ctx.reply.ok();
}

// ---------------------------------------------------------------------------
// Flush

/**
 * FLUSHDB / FLUSHALL's optional ASYNC|SYNC (anything else is a syntax
 * error): true for ASYNC, or with no argument when lazyfree-lazy-user-flush
 * is on. Both modes drop the old dict in O(1) (flush replaces it) and V8's
 * collector reclaims the entries concurrently, so ASYNC needs no worker; it
 * counts every key in the lazyfree figures, as Redis does.
 */
function flushMode(ctx: Ctx): boolean {
  const argv = ctx.argv;
  if (argv.length > 2 || (argv.length === 2 && !is(argv[1], 'ASYNC') && !is(argv[1], 'SYNC'))) {
    throw new ReplyError(Err.syntax);
  }
  if (argv.length === 2) return is(argv[1], 'ASYNC');
  return ctx.server.config.v['lazyfree-lazy-user-flush'];
}

/** FLUSHDB [ASYNC|SYNC] */
function flushdb(ctx: Ctx): void {
  const lazy = flushMode(ctx);
  const n = ctx.db.size;
  ctx.dirty(ctx.server.tracking.flush(() => ctx.db.flush()));
  if (lazy) ctx.server.lazyfree.flushed(n);
  // replayed even when the db was empty (Redis forces it)
  ctx.replayAs([]);
  ctx.propagate(ctx.argv);
  ctx.reply.ok();
}

/** FLUSHALL [ASYNC|SYNC] */
function flushall(ctx: Ctx): void {
  const lazy = flushMode(ctx);
  let n = 0;
  ctx.server.tracking.flush(() => {
    for (const db of ctx.server.dbs) n += db.flush();
  });
  // a writable replica's keys with a TTL: new ones of those names may come from the primary
  ctx.server.activeExpire.replicaKeys.forget();
  if (lazy) ctx.server.lazyfree.flushed(n);
  ctx.dirty(n);
  flushallSave(ctx.server); // stops a BGSAVE; saves when save points are set (resets dirty to 0)
  // replayed even when every db was empty (Redis forces it)
  ctx.replayAs([]);
  ctx.propagate(ctx.argv);
  ctx.reply.ok();
}

// ---------------------------------------------------------------------------
// KEYS and SCAN

/** KEYS pattern — expired keys are skipped (not deleted); order is the dict's. */
function keys(ctx: Ctx): void {
  const { db, reply } = ctx;
  const pattern = ctx.argv[1]!;
  const all = pattern === '*';
  const now = ctx.server.now();
  const d = db.dict;
  const out: string[] = [];
  for (let i = 0; i < d.size; i++) {
    const k = d.keyAt(i);
    if ((all || globMatch(pattern, k)) && !isExpired(db, k, now)) out.push(k);
  }
  reply.bulks(out);
}

/**
 * A SCAN cursor as C's strtoul reads it (Redis's parseScanCursorOrReply):
 * optional sign, decimal digits, nothing after, no leading space, within
 * unsigned long (a negative value wraps). The empty string is cursor 0.
 * Returns the cursor as a bigint.
 */
export function parseCursor(s: string): bigint {
  const nul = s.indexOf('\0');
  if (nul >= 0) s = s.slice(0, nul); // strtoul stops at NUL and Redis checks only for it
  if (s.length === 0) return 0n;
  const c0 = s.charCodeAt(0);
  if (c0 === 32 || (c0 >= 9 && c0 <= 13)) throw new ReplyError(Err.invalidCursor);
  let i = 0;
  let neg = false;
  if (c0 === 43 || c0 === 45) {
    neg = c0 === 45;
    i = 1;
  }
  if (i === s.length) throw new ReplyError(Err.invalidCursor);
  for (let j = i; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57) throw new ReplyError(Err.invalidCursor);
  }
  const v = BigInt(s.slice(i));
  if (v > ULONG_MAX) throw new ReplyError(Err.invalidCursor);
  return neg && v !== 0n ? ULONG_MAX + 1n - v : v;
}

/**
 * SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
 * The cursor is the number of dict slots still to visit (see Dict.scan): a
 * key present for the whole iteration is returned at least once. Filters
 * apply after the step, in Redis's order: pattern, type, then expiry (which
 * deletes an expired key it meets).
 */
function scan(ctx: Ctx): void {
  const { db, argv, reply } = ctx;
  const cursor = parseCursor(argv[1]!);
  const { count, pattern, type: typeFilter } = parseScanOptions(argv, 2, true);
  const start = cursor > BigInt(db.dict.size) ? db.dict.size : Number(cursor);
  const found: string[] = [];
  const next = db.dict.scan(start, count, (k) => {
    found.push(k);
  });
  const out: string[] = [];
  for (const k of found) {
    if (pattern !== null && !globMatch(pattern, k)) continue;
    if (typeFilter !== null && typeOf(db.readNoTouch(k)) !== typeFilter) continue;
    if (!db.has(k)) continue;
    out.push(k);
  }
  reply.array(2);
  reply.bulk(String(next));
  reply.bulks(out);
}

// ---------------------------------------------------------------------------
// OBJECT

/** OBJECT's key lookup: no touch, no event; null reply when missing. */
function objectLookup(ctx: Ctx): Value | undefined {
  const v = ctx.db.readNoTouch(ctx.argv[2]!, false);
  if (v === undefined) ctx.reply.null();
  return v;
}

/** OBJECT ENCODING key */
function objectEncoding(ctx: Ctx): void {
  const v = objectLookup(ctx);
  if (v !== undefined) ctx.reply.bulk(isString(v) ? stringEncoding(v) : v.encoding());
}

/**
 * OBJECT REFCOUNT key — Redis stores the integers 0..9999 as shared objects
 * (unless maxmemory is set with an LRU/LFU policy) and reports INT_MAX for
 * them; every other value is referenced once.
 */
function objectRefcount(ctx: Ctx): void {
  const v = objectLookup(ctx);
  if (v === undefined) return;
  const cfg = ctx.server.config.v;
  const policy = cfg['maxmemory-policy'];
  const noShared = cfg['maxmemory'] > 0 && (policy.endsWith('-lru') || policy.endsWith('-lfu'));
  const shared = typeof v === 'number' && v >= 0 && v < SHARED_INTEGERS && !noShared;
  ctx.reply.int(shared ? INT_MAX : 1);
}

/** OBJECT IDLETIME key — seconds since the last access (not under an LFU policy). */
function objectIdletime(ctx: Ctx): void {
  const v = objectLookup(ctx);
  if (v === undefined) return; // the key is looked up first: missing → null even under LFU
  if (lfuSelected(ctx)) throw new ReplyError(Err.lfuSelected);
  const db = ctx.db;
  const meta = db.dict.metaAt(db.dict.slot(ctx.argv[2]!));
  ctx.reply.int(Math.floor(idleMs(meta, ctx.server.now()) / 1000));
}

/** OBJECT FREQ key — the decayed logarithmic access counter (LFU policies only). */
function objectFreq(ctx: Ctx): void {
  const v = objectLookup(ctx);
  if (v === undefined) return;
  if (!lfuSelected(ctx)) throw new ReplyError(Err.lfuNotSelected);
  const db = ctx.db;
  const meta = db.dict.metaAt(db.dict.slot(ctx.argv[2]!));
  ctx.reply.int(lfuDecr(meta, ctx.server.now(), ctx.server.config.v['lfu-decay-time']));
}

/** OBJECT's help lines, as redis-server prints them (clients may parse them). */
const OBJECT_HELP = [
  'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value',
  '    associated with a <key>.',
  'FREQ <key>',
  '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of',
  '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>',
  '    Return the number of references of the value associated with the specified',
  '    <key>.',
  'HELP',
  '    Prints this help.',
];

/** OBJECT HELP */
function objectHelp(ctx: Ctx): void {
  ctx.reply.array(OBJECT_HELP.length);
  for (const l of OBJECT_HELP) ctx.reply.simple(l);
}

// ---------------------------------------------------------------------------
// Declarations (interface facts as redis-server 7.0 reports them)

const MULTI_KEY_TIPS = ['request_policy:multi_shard', 'response_policy:agg_sum'];
const flushArgs: ArgDoc[] = [
  {
    name: 'async',
    type: 'oneof',
    flags: ['optional'],
    arguments: [
      { name: 'async', type: 'pure-token', token: 'ASYNC', since: '4.0.0' },
      { name: 'sync', type: 'pure-token', token: 'SYNC', since: '6.2.0' },
    ],
  },
];
const FLUSH_HISTORY: [string, string][] = [
  ['4.0.0', 'Added the `ASYNC` flushing mode modifier.'],
  ['6.2.0', 'Added the `SYNC` flushing mode modifier.'],
];
/** An OBJECT subcommand that reads one key. */
const objectKeySub = (name: string, since: string, summary: string, handler: (ctx: Ctx) => void): CommandSpec =>
  command({
    name,
    arity: 3,
    flags: ['readonly'],
    acl: ['keyspace'],
    keySpecs: [keyAt(2, READ_META)],
    tips: ['nondeterministic_output'],
    group: 'generic',
    since,
    summary,
    complexity: 'O(1)',
    args: [keyArg()],
    handler,
  });

export const commands: CommandSpec[] = [
  command({
    name: 'del',
    arity: -2,
    flags: ['write'],
    acl: ['keyspace'],
    keySpecs: [keysFrom(1, REMOVE)],
    tips: MULTI_KEY_TIPS,
    group: 'generic',
    since: '1.0.0',
    summary: 'Removes the given keys and counts how many existed.',
    complexity:
      'O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).',
    args: [keyArg('key', 0, true)],
    handler: del,
  }),
  command({
    name: 'unlink',
    arity: -2,
    flags: ['write', 'fast'],
    acl: ['keyspace'],
    keySpecs: [keysFrom(1, REMOVE)],
    tips: MULTI_KEY_TIPS,
    group: 'generic',
    since: '4.0.0',
    summary: 'Removes the given keys, reclaiming their memory in the background.',
    complexity:
      'O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.',
    args: [keyArg('key', 0, true)],
    handler: unlink,
  }),
  command({
    name: 'exists',
    arity: -2,
    flags: ['readonly', 'fast'],
    acl: ['keyspace'],
    keySpecs: [keysFrom(1, READ_META)],
    tips: MULTI_KEY_TIPS,
    group: 'generic',
    since: '1.0.0',
    summary: 'Counts how many of the given keys exist.',
    complexity: 'O(N) where N is the number of keys to check.',
    history: [['3.0.3', 'Accepts multiple `key` arguments.']],
    args: [keyArg('key', 0, true)],
    handler: exists,
  }),
  command({
    name: 'type',
    arity: 2,
    flags: ['readonly', 'fast'],
    acl: ['keyspace'],
    keySpecs: [keyAt(1, READ_META)],
    group: 'generic',
    since: '1.0.0',
    summary: 'Tells which data type a key holds.',
    complexity: 'O(1)',
    args: [keyArg()],
    handler: type,
  }),
  command({
    name: 'rename',
    arity: 3,
    flags: ['write'],
    acl: ['keyspace'],
    keySpecs: [keyAt(1, READ_DELETE), keyAt(2, OVERWRITE)],
    group: 'generic',
    since: '1.0.0',
    summary: 'Gives a key a new name, replacing any key of that name.',
    complexity: 'O(1)',
    args: [keyArg(), keyArg('newkey', 1)],
    handler: rename,
  }),
  command({
    name: 'renamenx',
    arity: 3,
    flags: ['write', 'fast'],
    acl: ['keyspace'],
    keySpecs: [keyAt(1, READ_DELETE), keyAt(2, CREATE)],
    group: 'generic',
    since: '1.0.0',
    summary: 'Gives a key a new name unless that name is taken.',
    complexity: 'O(1)',
    history: [['3.2.0', 'The command no longer returns an error when source and destination names are the same.']],
    args: [keyArg(), keyArg('newkey', 1)],
    handler: renamenx,
  }),
  command({
    name: 'touch',
    arity: -2,
    flags: ['readonly', 'fast'],
    acl: ['keyspace'],
    keySpecs: [keysFrom(1, READ_META)],
    tips: MULTI_KEY_TIPS,
    group: 'generic',
    since: '3.2.1',
    summary: 'Marks the given keys as just accessed and counts those that exist.',
    complexity: 'O(N) where N is the number of keys that will be touched.',
    args: [keyArg('key', 0, true)],
    handler: touch,
  }),
  command({
    name: 'randomkey',
    touchesArbitraryKeys: true,
    arity: 1,
    flags: ['readonly'],
    acl: ['keyspace'],
    tips: ['request_policy:all_shards', 'nondeterministic_output'],
    group: 'generic',
    since: '1.0.0',
    summary: 'Picks a key of the database at random.',
    complexity: 'O(1)',
    handler: randomkey,
  }),
  command({
    name: 'dbsize',
    arity: 1,
    flags: ['readonly', 'fast'],
    acl: ['keyspace'],
    tips: ['request_policy:all_shards', 'response_policy:agg_sum'],
    group: 'server',
    since: '1.0.0',
    summary: 'Counts the keys of the selected database.',
    complexity: 'O(1)',
    handler: dbsize,
  }),
  command({
    name: 'flushdb',
    arity: -1,
    flags: ['write'],
    acl: ['keyspace', 'dangerous'],
    tips: ['request_policy:all_shards', 'response_policy:all_succeeded'],
    group: 'server',
    since: '1.0.0',
    summary: 'Empties the selected database.',
    complexity: 'O(N) where N is the number of keys in the selected database',
    history: FLUSH_HISTORY,
    args: flushArgs,
    handler: flushdb,
  }),
  command({
    name: 'flushall',
    arity: -1,
    flags: ['write'],
    acl: ['keyspace', 'dangerous'],
    tips: ['request_policy:all_shards', 'response_policy:all_succeeded'],
    group: 'server',
    since: '1.0.0',
    summary: 'Empties every database.',
    complexity: 'O(N) where N is the total number of keys in all databases',
    history: FLUSH_HISTORY,
    args: flushArgs,
    handler: flushall,
  }),
  command({
    name: 'keys',
    arity: 2,
    flags: ['readonly'],
    acl: ['keyspace', 'dangerous'],
    tips: ['request_policy:all_shards', 'nondeterministic_output_order'],
    group: 'generic',
    since: '1.0.0',
    summary: 'Lists every key whose name matches a glob pattern.',
    complexity:
      'O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.',
    args: [{ name: 'pattern', type: 'pattern' }],
    handler: keys,
  }),
  command({
    name: 'scan',
    touchesArbitraryKeys: true,
    arity: -2,
    flags: ['readonly'],
    acl: ['keyspace'],
    tips: ['nondeterministic_output', 'request_policy:special'],
    group: 'generic',
    since: '2.8.0',
    summary: 'Walks the key names of the database a few at a time with a cursor.',
    complexity:
      'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.',
    history: [['6.0.0', 'Added the `TYPE` subcommand.']],
    args: [
      { name: 'cursor', type: 'integer' },
      { name: 'pattern', type: 'pattern', token: 'MATCH', flags: ['optional'] },
      { name: 'count', type: 'integer', token: 'COUNT', flags: ['optional'] },
      { name: 'type', type: 'string', token: 'TYPE', since: '6.0.0', flags: ['optional'] },
    ],
    handler: scan,
  }),
  ...expireCommands,
  command({
    name: 'swapdb',
    arity: 3,
    flags: ['write', 'fast'],
    acl: ['keyspace', 'dangerous'],
    group: 'server',
    since: '4.0.0',
    summary: 'Exchanges the contents of two databases.',
    complexity: 'O(N) where N is the count of clients watching or blocking on keys from both databases.',
    args: [
      { name: 'index1', type: 'integer' },
      { name: 'index2', type: 'integer' },
    ],
    handler: swapdb,
  }),
  command({
    name: 'move',
    arity: 3,
    flags: ['write', 'fast'],
    acl: ['keyspace'],
    keySpecs: [keyAt(1, READ_UPDATE)],
    group: 'generic',
    since: '1.0.0',
    summary: 'Moves a key to another database unless it exists there.',
    complexity: 'O(1)',
    args: [keyArg(), { name: 'db', type: 'integer' }],
    handler: move,
  }),
  command({
    name: 'copy',
    arity: -3,
    flags: ['write', 'denyoom'],
    acl: ['keyspace'],
    keySpecs: [keyAt(1, READ), keyAt(2, OVERWRITE)],
    group: 'generic',
    since: '6.2.0',
    summary: 'Duplicates a key, optionally into another database.',
    complexity: 'O(N) worst case for collections, where N is the number of nested items. O(1) for string values.',
    args: [
      keyArg('source'),
      keyArg('destination', 1),
      { name: 'destination-db', type: 'integer', token: 'DB', flags: ['optional'] },
      { name: 'replace', type: 'pure-token', token: 'REPLACE', flags: ['optional'] },
    ],
    handler: copy,
  }),
  command({
    name: 'object',
    arity: -2,
    flags: [],
    group: 'generic',
    since: '2.2.3',
    summary: 'Inspects how a key is stored (container of subcommands).',
    complexity: 'Depends on subcommand.',
    subcommands: [
      objectKeySub('idletime', '2.2.3', 'Tells how long ago a key was last accessed, in seconds.', objectIdletime),
      objectKeySub('freq', '4.0.0', 'Tells the logarithmic access frequency counter of a key.', objectFreq),
      objectKeySub('encoding', '2.2.3', "Tells the internal representation of a key's value.", objectEncoding),
      command({
        name: 'help',
        arity: 2,
        flags: ['loading', 'stale'],
        acl: ['keyspace'],
        group: 'generic',
        since: '6.2.0',
        summary: 'Lists the OBJECT subcommands.',
        complexity: 'O(1)',
        handler: objectHelp,
      }),
      objectKeySub('refcount', '2.2.3', 'Tells how many references the value of a key has.', objectRefcount),
    ],
  }),
];
