/**
 * Set commands: SADD SREM SCARD SISMEMBER SMISMEMBER SMEMBERS SPOP
 * SRANDMEMBER SINTER SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF
 * SDIFFSTORE SMOVE SSCAN.
 *
 * The data structure is types/set.ts (intset / listpack / hashtable, as
 * Redis 7.2 reports them). Replies that Redis sends as sets (SMEMBERS, SINTER,
 * SUNION, SDIFF, SPOP with a count) use RESP3 `~`; SRANDMEMBER with a count
 * is an array. Empty results delete keys; the STORE variants overwrite a key
 * of any type. SADD and SPOP are benchmarked.
 */
import {
  command,
  keyArg,
  keyAt,
  keysCounted,
  keysFrom,
  DELETE,
  INSERT,
  OVERWRITE,
  READ,
  READ_DELETE,
  READ_META,
  UPDATE,
  type CommandSpec,
  type Ctx,
} from './spec.js';
import { lookupTyped, is, checkRepeatedReply, parseScanOptions, repeatStopped } from './args.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { SetValue, INTSET, type SetLimits } from '../types/set.js';
import { parseInt64, INT64_MAX } from '../util/numbers.js';
import { globMatch } from '../util/glob.js';
import { parseCursor } from './keys.js';
import { samplePositions } from './hash.js';
import { isString, type Value } from '../keyspace/value.js';
import { numkeysGetKeys } from './keys-of.js';

/** The set conversion limits (set-max-intset-entries, Redis 7.2's set-max-listpack-entries/-value). */
export function setLimits(ctx: Ctx): SetLimits {
  const v = ctx.server.config.v;
  return {
    intsetEntries: v['set-max-intset-entries'],
    listpackEntries: v['set-max-listpack-entries'],
    listpackValue: v['set-max-listpack-value'],
  };
}

/** Deletes an emptied set key and fires "del". */
function deleteIfEmpty(ctx: Ctx, key: string, s: SetValue): boolean {
  if (s.size !== 0) return false;
  ctx.db.delete(key);
  ctx.db.notify('g', 'del', key);
  return true;
}

/** SADD key member [member ...] */
function sadd(ctx: Ctx): void {
  const { argv, db } = ctx;
  const key = argv[1]!;
  let s = lookupTyped(db, key, 'set', true);
  const created = s === undefined;
  let added = 0;
  if (s !== undefined && s.index !== null) {
    // Fast path (benchmarked): a hashtable set needs no conversion limits.
    for (let i = 2; i < argv.length; i++) if (s.addToHashtable(argv[i]!)) added++;
  } else {
    const lim = setLimits(ctx);
    if (!s) s = SetValue.create(argv[2]!, argv.length - 2, lim);
    for (let i = 2; i < argv.length; i++) if (s.add(argv[i]!, lim)) added++;
  }
  // one dirty change per member added, as Redis counts it
  if (created) db.set(key, s, false, added);
  else if (added > 0) db.modified(key, added);
  if (added > 0) db.notify('s', 'sadd', key);
  ctx.reply.int(added);
}

/** SREM key member [member ...] */
function srem(ctx: Ctx): void {
  const { argv, db } = ctx;
  const key = argv[1]!;
  const s = lookupTyped(db, key, 'set', true);
  let removed = 0;
  if (s) {
    for (let i = 2; i < argv.length; i++) {
      if (s.delete(argv[i]!)) {
        removed++;
        if (s.size === 0) break;
      }
    }
    if (removed > 0) {
      db.notify('s', 'srem', key);
      if (!deleteIfEmpty(ctx, key, s)) db.modified(key, removed);
    }
  }
  ctx.reply.int(removed);
}

/** SCARD key */
function scard(ctx: Ctx): void {
  const s = lookupTyped(ctx.db, ctx.argv[1]!, 'set');
  ctx.reply.int(s ? s.size : 0);
}

/** SISMEMBER key member */
function sismember(ctx: Ctx): void {
  const s = lookupTyped(ctx.db, ctx.argv[1]!, 'set');
  ctx.reply.int(s && s.has(ctx.argv[2]!) ? 1 : 0);
}

/** SMISMEMBER key member [member ...] */
function smismember(ctx: Ctx): void {
  const { argv, reply } = ctx;
  const s = lookupTyped(ctx.db, argv[1]!, 'set');
  reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) reply.int(s && s.has(argv[i]!) ? 1 : 0);
}

/** Replies a set's members as a set (RESP3 `~`). */
function replyMembers(ctx: Ctx, members: readonly string[]): void {
  ctx.reply.set(members.length);
  for (const x of members) ctx.reply.bulk(x);
}

/** SMEMBERS key */
function smembers(ctx: Ctx): void {
  const s = lookupTyped(ctx.db, ctx.argv[1]!, 'set');
  replyMembers(ctx, s ? s.m : []);
}

/** SPOP key [count] */
function spop(ctx: Ctx): void {
  const { argv, db, reply } = ctx;
  const key = argv[1]!;
  const random = ctx.server.random;
  if (argv.length > 3) throw new ReplyError(Err.syntax);
  if (argv.length === 2) {
    const s = lookupTyped(db, key, 'set', true);
    if (!s) {
      reply.null();
      return;
    }
    const x = s.removeAt(Math.floor(random() * s.size));
    db.notify('s', 'spop', key);
    if (!deleteIfEmpty(ctx, key, s)) db.modified(key);
    if (ctx.propagating) ctx.replayAs([['SREM', key, x]]); // the random choice replays as what it removed
    reply.bulk(x);
    return;
  }
  const c = parseInt64(argv[2]!);
  if (c === null || c < 0) throw new ReplyError(Err.mustBePositive);
  const s = lookupTyped(db, key, 'set', true);
  if (!s || c === 0 || c === 0n) {
    reply.set(0);
    return;
  }
  const n = s.size;
  if (c >= n) {
    replyMembers(ctx, s.m);
    db.notify('s', 'spop', key);
    db.delete(key);
    db.notify('g', 'del', key);
    ctx.replayAs([[ctx.server.config.v['lazyfree-lazy-server-del'] ? 'UNLINK' : 'DEL', key]]);
    return;
  }
  const count = Number(c);
  reply.set(count);
  const removed: string[] = [];
  for (let i = 0; i < count; i++) {
    const x = s.removeAt(Math.floor(random() * s.size));
    removed.push(x);
    reply.bulk(x);
  }
  db.notify('s', 'spop', key);
  db.modified(key, count);
  // replayed as SREMs of what was removed, 1024 members each (as Redis batches them)
  if (!ctx.propagating) return;
  const ops: string[][] = [];
  for (let i = 0; i < removed.length; i += 1024) ops.push(['SREM', key, ...removed.slice(i, i + 1024)]);
  ctx.replayAs(ops);
}

/** SRANDMEMBER key [count] */
function srandmember(ctx: Ctx): void {
  const { argv, db, reply } = ctx;
  const random = ctx.server.random;
  if (argv.length > 3) throw new ReplyError(Err.syntax);
  if (argv.length === 2) {
    const s = lookupTyped(db, argv[1]!, 'set');
    if (!s) reply.null();
    else reply.bulk(s.m[Math.floor(random() * s.size)]!);
    return;
  }
  const c = parseInt64(argv[2]!);
  if (c === null) throw new ReplyError(Err.notInteger);
  if (typeof c === 'bigint' && c < -INT64_MAX) {
    throw new ReplyError(Err.longRange);
  }
  const s = lookupTyped(db, argv[1]!, 'set');
  if (!s || c === 0 || c === 0n) {
    reply.array(0);
    return;
  }
  const n = s.size;
  const m = s.m;
  if (c < 0) {
    const count = -Number(c);
    checkRepeatedReply(ctx, count);
    reply.array(count);
    for (let i = 0; i < count && !repeatStopped(ctx, i); i++) reply.bulk(m[Math.floor(random() * n)]!);
    return;
  }
  if (c >= n) {
    reply.bulks(m);
    return;
  }
  const pos = samplePositions(n, Number(c), random, false);
  reply.array(pos.length);
  for (const i of pos) reply.bulk(m[i]!);
}

/**
 * Looks up every set of a multi-key command: WRONGTYPE for any non-set
 * (checked for all keys before anything else), undefined for missing keys.
 */
function lookupSets(ctx: Ctx, keys: readonly string[], write: boolean): (SetValue | undefined)[] {
  return keys.map((k) => lookupTyped(ctx.db, k, 'set', write));
}

/** The intersection of sets (none missing), iterating the smallest; stops after `limit` (0 = none). */
function intersect(sets: SetValue[], limit: number, fn: (x: string) => void): number {
  const sorted = sets.slice().sort((a, b) => a.size - b.size);
  const first = sorted[0]!;
  let n = 0;
  for (const x of first.m) {
    let all = true;
    for (let j = 1; j < sorted.length; j++) {
      const o = sorted[j]!;
      if (o !== first && !o.has(x)) {
        all = false;
        break;
      }
    }
    if (all) {
      fn(x);
      n++;
      if (limit > 0 && n >= limit) break;
    }
  }
  return n;
}

/**
 * Stores a result set in dst (overwriting any type, clearing the TTL) and
 * fires `event`; an empty result deletes dst instead (firing "del" when it
 * existed). Replies the cardinality.
 */
function storeResult(ctx: Ctx, dst: string, result: SetValue | null, event: string): void {
  const { db } = ctx;
  if (!result || result.size === 0) {
    if (db.delete(dst)) db.notify('g', 'del', dst);
    ctx.reply.int(0);
    return;
  }
  db.set(dst, result);
  db.notify('s', event, dst);
  ctx.reply.int(result.size);
}

/** SINTER / SINTERSTORE. */
function sinterGeneric(ctx: Ctx, keys: string[], dst: string | null): void {
  const sets = lookupSets(ctx, keys, dst !== null);
  const present = sets.filter((s): s is SetValue => s !== undefined);
  if (present.length < sets.length) {
    if (dst !== null) storeResult(ctx, dst, null, 'sinterstore');
    else ctx.reply.set(0);
    return;
  }
  if (dst === null) {
    const out: string[] = [];
    intersect(present, 0, (x) => out.push(x));
    replyMembers(ctx, out);
    return;
  }
  const lim = setLimits(ctx);
  const res = new SetValue(INTSET);
  intersect(present, 0, (x) => res.add(x, lim));
  storeResult(ctx, dst, res, 'sinterstore');
}

/** SINTER key [key ...] */
function sinter(ctx: Ctx): void {
  sinterGeneric(ctx, ctx.argv.slice(1), null);
}

/** SINTERSTORE destination key [key ...] */
function sinterstore(ctx: Ctx): void {
  sinterGeneric(ctx, ctx.argv.slice(2), ctx.argv[1]!);
}

/** SINTERCARD numkeys key [key ...] [LIMIT limit] */
function sintercard(ctx: Ctx): void {
  const { argv } = ctx;
  const nk = parseInt64(argv[1]!);
  if (nk === null || nk < 1) throw new ReplyError(Err.numkeysPositive);
  if (nk > argv.length - 2) throw new ReplyError(Err.numkeysBeyondArgs);
  const numkeys = Number(nk);
  let limit = 0;
  for (let j = 2 + numkeys; j < argv.length; j++) {
    if (is(argv[j], 'LIMIT') && j < argv.length - 1) {
      const l = parseInt64(argv[++j]!);
      if (l === null || l < 0) throw new ReplyError(Err.limitNegative);
      limit = typeof l === 'bigint' ? 0 : l;
    } else throw new ReplyError(Err.syntax);
  }
  const sets = lookupSets(ctx, argv.slice(2, 2 + numkeys), false);
  const present = sets.filter((s): s is SetValue => s !== undefined);
  if (present.length < sets.length) {
    ctx.reply.int(0);
    return;
  }
  ctx.reply.int(intersect(present, limit, () => {}));
}

/** SUNION / SUNIONSTORE / SDIFF / SDIFFSTORE: builds the result as a set (so integer results are sorted, as Redis's intset). */
function sunionDiffGeneric(ctx: Ctx, keys: string[], dst: string | null, diff: boolean): void {
  const sets = lookupSets(ctx, keys, dst !== null);
  const lim = setLimits(ctx);
  const res = new SetValue(INTSET);
  if (!diff) {
    for (const s of sets) if (s) for (const x of s.m) res.add(x, lim);
  } else if (sets[0]) {
    const first = sets[0];
    const others = sets.slice(1).filter((s): s is SetValue => s !== undefined && s.size > 0);
    for (const x of first.m) {
      let keep = true;
      for (const o of others) {
        if (o === first || o.has(x)) {
          keep = false;
          break;
        }
      }
      if (keep) res.add(x, lim);
    }
  }
  if (dst === null) replyMembers(ctx, res.m);
  else storeResult(ctx, dst, res, diff ? 'sdiffstore' : 'sunionstore');
}

/** SUNION key [key ...] */
function sunion(ctx: Ctx): void {
  sunionDiffGeneric(ctx, ctx.argv.slice(1), null, false);
}

/** SUNIONSTORE destination key [key ...] */
function sunionstore(ctx: Ctx): void {
  sunionDiffGeneric(ctx, ctx.argv.slice(2), ctx.argv[1]!, false);
}

/** SDIFF key [key ...] */
function sdiff(ctx: Ctx): void {
  sunionDiffGeneric(ctx, ctx.argv.slice(1), null, true);
}

/** SDIFFSTORE destination key [key ...] */
function sdiffstore(ctx: Ctx): void {
  sunionDiffGeneric(ctx, ctx.argv.slice(2), ctx.argv[1]!, true);
}

/** SMOVE source destination member */
function smove(ctx: Ctx): void {
  const { argv, db, reply } = ctx;
  const [src, dst, x] = [argv[1]!, argv[2]!, argv[3]!];
  const sv: Value | undefined = db.get(src);
  const dv: Value | undefined = db.get(dst);
  if (sv === undefined) {
    reply.int(0);
    return;
  }
  if (isString(sv) || sv.type !== 'set' || (dv !== undefined && (isString(dv) || dv.type !== 'set'))) {
    throw new ReplyError(Err.wrongType);
  }
  const s = sv;
  if (sv === dv) {
    reply.int(s.has(x) ? 1 : 0);
    return;
  }
  if (!s.delete(x)) {
    reply.int(0);
    return;
  }
  db.notify('s', 'srem', src);
  if (!deleteIfEmpty(ctx, src, s)) db.modified(src);
  const lim = setLimits(ctx);
  let d = dv;
  if (!d) {
    d = SetValue.create(x, 1, lim);
    d.add(x, lim);
    db.set(dst, d);
    db.notify('s', 'sadd', dst);
  } else if (d.add(x, lim)) {
    db.modified(dst);
    db.notify('s', 'sadd', dst);
  }
  reply.int(1);
}

/** SSCAN key cursor [MATCH pattern] [COUNT count] */
function sscan(ctx: Ctx): void {
  const { argv, reply } = ctx;
  const cursor = parseCursor(argv[2]!);
  const s = lookupTyped(ctx.db, argv[1]!, 'set');
  if (!s) {
    reply.raw('*2\r\n$1\r\n0\r\n*0\r\n');
    return;
  }
  const { count, pattern } = parseScanOptions(argv, 3);
  const out: string[] = [];
  let next = 0;
  const take = (x: string): void => {
    if (pattern === null || globMatch(pattern, x)) out.push(x);
  };
  if (s.index === null) s.m.forEach((x) => take(x));
  else next = s.scan(cursor > BigInt(s.size) ? s.size : Number(cursor), count, take);
  reply.array(2);
  reply.bulk('' + next);
  reply.bulks(out);
}

export const commands: CommandSpec[] = [
  command({
    name: 'sadd',
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    acl: ['set'],
    keySpecs: [keyAt(1, INSERT)],
    members: [2, -1, 1],
    group: 'set',
    since: '1.0.0',
    summary: 'Adds members to a set, creating it when needed.',
    complexity:
      'O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.',
    history: [['2.4.0', 'Accepts multiple `member` arguments.']],
    args: [keyArg(), { name: 'member', type: 'string', flags: ['multiple'] }],
    handler: sadd,
  }),
  command({
    name: 'srem',
    arity: -3,
    flags: ['write', 'fast'],
    acl: ['set'],
    keySpecs: [keyAt(1, DELETE)],
    members: [2, -1, 1],
    group: 'set',
    since: '1.0.0',
    summary: 'Removes members from a set; an emptied set is deleted.',
    complexity: 'O(N) where N is the number of members to be removed.',
    history: [['2.4.0', 'Accepts multiple `member` arguments.']],
    args: [keyArg(), { name: 'member', type: 'string', flags: ['multiple'] }],
    handler: srem,
  }),
  command({
    name: 'scard',
    arity: 2,
    flags: ['readonly', 'fast'],
    acl: ['set'],
    keySpecs: [keyAt(1, READ_META)],
    group: 'set',
    since: '1.0.0',
    summary: 'Counts the members of a set.',
    complexity: 'O(1)',
    args: [keyArg()],
    handler: scard,
  }),
  command({
    name: 'sismember',
    arity: 3,
    flags: ['readonly', 'fast'],
    acl: ['set'],
    keySpecs: [keyAt(1, READ_META)],
    members: [2, 2, 1],
    group: 'set',
    since: '1.0.0',
    summary: 'Tells whether a value belongs to a set.',
    complexity: 'O(1)',
    args: [keyArg(), { name: 'member', type: 'string' }],
    handler: sismember,
  }),
  command({
    name: 'smismember',
    arity: -3,
    flags: ['readonly', 'fast'],
    acl: ['set'],
    keySpecs: [keyAt(1, READ)],
    members: [2, -1, 1],
    group: 'set',
    since: '6.2.0',
    summary: 'Tells, for each of several values, whether it belongs to a set.',
    complexity: 'O(N) where N is the number of elements being checked for membership',
    args: [keyArg(), { name: 'member', type: 'string', flags: ['multiple'] }],
    handler: smismember,
  }),
  command({
    name: 'smembers',
    arity: 2,
    flags: ['readonly'],
    acl: ['set'],
    keySpecs: [keyAt(1, READ)],
    tips: ['nondeterministic_output_order'],
    group: 'set',
    since: '1.0.0',
    summary: 'Returns every member of a set.',
    complexity: 'O(N) where N is the set cardinality.',
    args: [keyArg()],
    handler: smembers,
  }),
  command({
    name: 'spop',
    arity: -2,
    flags: ['write', 'fast'],
    acl: ['set'],
    keySpecs: [keyAt(1, READ_DELETE)],
    tips: ['nondeterministic_output'],
    group: 'set',
    since: '1.0.0',
    summary: 'Removes and returns random members of a set.',
    complexity: 'Without the count argument O(1), otherwise O(N) where N is the value of the passed count.',
    history: [['3.2.0', 'Added the `count` argument.']],
    args: [keyArg(), { name: 'count', type: 'integer', since: '3.2.0', flags: ['optional'] }],
    handler: spop,
  }),
  command({
    name: 'srandmember',
    arity: -2,
    flags: ['readonly'],
    acl: ['set'],
    keySpecs: [keyAt(1, READ)],
    tips: ['nondeterministic_output'],
    group: 'set',
    since: '1.0.0',
    summary: 'Returns random members of a set without removing them.',
    complexity: 'Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.',
    history: [['2.6.0', 'Added the optional `count` argument.']],
    args: [keyArg(), { name: 'count', type: 'integer', since: '2.6.0', flags: ['optional'] }],
    handler: srandmember,
  }),
  command({
    name: 'sinter',
    arity: -2,
    flags: ['readonly'],
    acl: ['set'],
    keySpecs: [keysFrom(1, READ)],
    tips: ['nondeterministic_output_order'],
    group: 'set',
    since: '1.0.0',
    summary: 'Returns the members common to every given set.',
    complexity: 'O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.',
    args: [{ name: 'key', type: 'key', key_spec_index: 0, flags: ['multiple'] }],
    handler: sinter,
  }),
  command({
    name: 'sintercard',
    arity: -3,
    flags: ['readonly', 'movablekeys'],
    acl: ['set'],
    keySpecs: [keysCounted(1, READ)],
    group: 'set',
    since: '7.0.0',
    summary: 'Counts the members common to every given set, up to an optional limit.',
    complexity: 'O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.',
    args: [
      { name: 'numkeys', type: 'integer' },
      { name: 'key', type: 'key', key_spec_index: 0, flags: ['multiple'] },
      { name: 'limit', type: 'integer', token: 'LIMIT', flags: ['optional'] },
    ],
    getKeys: numkeysGetKeys(0, 1, 2),
    handler: sintercard,
  }),
  command({
    name: 'sinterstore',
    arity: -3,
    flags: ['write', 'denyoom'],
    acl: ['set'],
    keySpecs: [keyAt(1, UPDATE), keysFrom(2, READ)],
    group: 'set',
    since: '1.0.0',
    summary: 'Stores the intersection of sets in a key.',
    complexity: 'O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.',
    args: [
      { name: 'destination', type: 'key', key_spec_index: 0 },
      { name: 'key', type: 'key', key_spec_index: 1, flags: ['multiple'] },
    ],
    handler: sinterstore,
  }),
  command({
    name: 'sunion',
    arity: -2,
    flags: ['readonly'],
    acl: ['set'],
    keySpecs: [keysFrom(1, READ)],
    tips: ['nondeterministic_output_order'],
    group: 'set',
    since: '1.0.0',
    summary: 'Returns the members found in any of the given sets.',
    complexity: 'O(N) where N is the total number of elements in all given sets.',
    args: [{ name: 'key', type: 'key', key_spec_index: 0, flags: ['multiple'] }],
    handler: sunion,
  }),
  command({
    name: 'sunionstore',
    arity: -3,
    flags: ['write', 'denyoom'],
    acl: ['set'],
    keySpecs: [keyAt(1, OVERWRITE), keysFrom(2, READ)],
    group: 'set',
    since: '1.0.0',
    summary: 'Stores the union of sets in a key.',
    complexity: 'O(N) where N is the total number of elements in all given sets.',
    args: [
      { name: 'destination', type: 'key', key_spec_index: 0 },
      { name: 'key', type: 'key', key_spec_index: 1, flags: ['multiple'] },
    ],
    handler: sunionstore,
  }),
  command({
    name: 'sdiff',
    arity: -2,
    flags: ['readonly'],
    acl: ['set'],
    keySpecs: [keysFrom(1, READ)],
    tips: ['nondeterministic_output_order'],
    group: 'set',
    since: '1.0.0',
    summary: 'Returns the members of the first set that are in none of the others.',
    complexity: 'O(N) where N is the total number of elements in all given sets.',
    args: [{ name: 'key', type: 'key', key_spec_index: 0, flags: ['multiple'] }],
    handler: sdiff,
  }),
  command({
    name: 'sdiffstore',
    arity: -3,
    flags: ['write', 'denyoom'],
    acl: ['set'],
    keySpecs: [keyAt(1, OVERWRITE), keysFrom(2, READ)],
    group: 'set',
    since: '1.0.0',
    summary: 'Stores the difference of sets in a key.',
    complexity: 'O(N) where N is the total number of elements in all given sets.',
    args: [
      { name: 'destination', type: 'key', key_spec_index: 0 },
      { name: 'key', type: 'key', key_spec_index: 1, flags: ['multiple'] },
    ],
    handler: sdiffstore,
  }),
  command({
    name: 'smove',
    arity: 4,
    flags: ['write', 'fast'],
    acl: ['set'],
    keySpecs: [keyAt(1, READ_DELETE), keyAt(2, INSERT)],
    group: 'set',
    since: '1.0.0',
    summary: 'Moves one member from a set to another.',
    complexity: 'O(1)',
    args: [
      { name: 'source', type: 'key', key_spec_index: 0 },
      { name: 'destination', type: 'key', key_spec_index: 1 },
      { name: 'member', type: 'string' },
    ],
    handler: smove,
  }),
  command({
    name: 'sscan',
    arity: -3,
    flags: ['readonly'],
    acl: ['set'],
    keySpecs: [keyAt(1, READ)],
    tips: ['nondeterministic_output'],
    group: 'set',
    since: '2.8.0',
    summary: 'Walks the members of a set a few at a time with a cursor.',
    complexity:
      'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..',
    args: [
      keyArg(),
      { name: 'cursor', type: 'integer' },
      { name: 'pattern', type: 'pattern', token: 'MATCH', flags: ['optional'] },
      { name: 'count', type: 'integer', token: 'COUNT', flags: ['optional'] },
    ],
    handler: sscan,
  }),
];
