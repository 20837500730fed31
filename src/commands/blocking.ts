/**
 * Blocking pops: BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP, and BZPOPMIN BZPOPMAX
 * BZMPOP over types/zset.ts. Each first tries to serve itself as its
 * non-blocking form; when every key is empty or missing it parks the client
 * with server/blocking.ts, giving it a serve function (run when a key it
 * waits on receives a value) and its timeout reply (a null array, as Redis
 * replies for every blocked list/zset command, BLMOVE included). A client
 * that may not block (the in-process call() client; later MULTI and
 * scripts) gets a null at once, as Redis replies inside MULTI (a null bulk
 * for BLMOVE/BRPOPLPUSH, a null array for the others).
 */
import { command, keyAt, keyRange, keysCounted, INSERT, READ_DELETE, type CommandSpec, type Ctx } from './spec.js';
import { argLongDouble, lookupTyped, parseMpopArgs } from './args.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { ldCeil, ldFromInt, ldMul } from '../util/longdouble.js';
import type { Reply } from '../protocol/writer.js';
import type { Db } from '../keyspace/db.js';
import { isType } from '../keyspace/value.js';
import type { List } from '../types/list.js';
import type { ZSet } from '../types/zset.js';
import type { ServeFn } from '../server/blocking.js';
import { firstNonEmpty, moveReply, parseWhere, popManyReply, popOne } from './list.js';
import { firstNonEmptyZset, zpopManyReply, zpopOneReply } from './zset.js';
import { numkeysGetKeys } from './keys-of.js';

const LLONG_MAX = 9223372036854775807n;
const THOUSAND = ldFromInt(1000);

/**
 * A timeout in seconds (fractions allowed) as an absolute deadline in ms, 0
 * for none, with Redis 7.2's getTimeoutFromObjectOrReply rules: the text is
 * read as a long double (string2ld: 1e400 is valid, 1e5000 is not) ->
 * else "timeout is not a float or out of range"; times 1000 in long double
 * precision, above LLONG_MAX (+inf included) -> "timeout is out of range";
 * rounded up to whole ms (ceill), below zero -> "timeout is negative"
 * (-0.0001 s rounds to -0 ms, which waits forever in Redis too); beyond
 * LLONG_MAX once the current time is added -> "timeout is out of range".
 * (Redis 7.0 lets such values overflow to a negative int64 and says
 * "timeout is negative", or blocks until a deadline in the past.)
 */
export function parseTimeout(ctx: Ctx, arg: string): number {
  const ms = ldMul(argLongDouble(arg, Err.timeoutNotFloat), THOUSAND);
  if (ms.special === 'inf' && !ms.neg) throw new ReplyError(Err.timeoutOutOfRange);
  // -inf (and any value below LLONG_MIN) converts to LLONG_MIN on x86-64: negative.
  const t = ms.special === 'inf' ? -1n : ldCeil(ms);
  if (t > LLONG_MAX) throw new ReplyError(Err.timeoutOutOfRange);
  if (t < 0n) throw new ReplyError(Err.timeoutNegative);
  if (t === 0n) return 0;
  const now = ctx.server.now();
  if (t > LLONG_MAX - BigInt(Math.floor(now))) throw new ReplyError(Err.timeoutOutOfRange);
  return Number(t) + now;
}

/** Whether this client may block: not the in-process call() client, not inside EXEC. */
export function mayBlock(ctx: Ctx): boolean {
  return ctx.client.kind !== 'internal' && !ctx.client.inExec;
}

function nullArray(reply: Reply): void {
  reply.nullArray();
}

/**
 * The non-empty list (readyList) or sorted set (readyZset) at key, or
 * undefined (the key is absent, empty or of another type: WRONGTYPE is the
 * serve function's concern).
 */
function readyList(db: Db, key: string): List | undefined {
  const v = db.peek(key);
  return v !== undefined && isType(v, 'list') && v.length > 0 ? v : undefined;
}
function readyZset(db: Db, key: string): ZSet | undefined {
  const v = db.peek(key);
  return v !== undefined && isType(v, 'zset') && v.card() > 0 ? v : undefined;
}

/**
 * What BLPOP, BRPOP, BLMPOP, BZPOPMIN, BZPOPMAX and BZMPOP share: pop from
 * the first non-empty key now (`first` finds it, WRONGTYPE included), else
 * — unless the client cannot block — wait on all the keys and pop when one
 * is served (`ready` rechecks it then). `pop` pops and replies, and returns
 * how many it popped, which `replay` (the pop to propagate) may name.
 */
function popOrBlock<T>(
  ctx: Ctx,
  keys: string[],
  deadline: number,
  first: (db: Db, keys: string[]) => [string, T] | undefined,
  ready: (db: Db, key: string) => T | undefined,
  pop: (db: Db, r: Reply, key: string, v: T) => number,
  replay: (key: string, popped: number) => string[],
): void {
  const hit = first(ctx.db, keys);
  if (hit !== undefined) {
    const n = pop(ctx.db, ctx.reply, hit[0], hit[1]);
    if (ctx.propagating) ctx.replayAs([replay(hit[0], n)]);
    return;
  }
  if (!mayBlock(ctx)) return ctx.reply.nullArray();
  const serve: ServeFn = (db, key, r) => {
    const v = ready(db, key);
    if (v === undefined) return false;
    const n = pop(db, r, key, v);
    if (ctx.propagating) ctx.propagate(replay(key, n), db.id); // replayed as the plain pop it was
    return true;
  };
  ctx.server.blocking.block(ctx.client, ctx.db, keys, deadline, serve, nullArray);
}

/** BLPOP/BRPOP: pops from the first non-empty list, else blocks on all the keys. */
function bpopGeneric(ctx: Ctx, left: boolean): void {
  const { argv } = ctx;
  const deadline = parseTimeout(ctx, argv[argv.length - 1]!);
  popOrBlock(
    ctx,
    argv.slice(1, -1),
    deadline,
    firstNonEmpty,
    readyList,
    (db, r, key, l) => {
      r.array(2);
      r.bulk(key);
      r.bulk(popOne(db, key, l, left));
      return 1;
    },
    (key) => [left ? 'LPOP' : 'RPOP', key],
  );
}

/** BLPOP key [key ...] timeout */
function blpop(ctx: Ctx): void {
  bpopGeneric(ctx, true);
}
/** BRPOP key [key ...] timeout */
function brpop(ctx: Ctx): void {
  bpopGeneric(ctx, false);
}

/**
 * BLMOVE/BRPOPLPUSH: LMOVE when the source has elements, else blocks on the
 * source. When served, the destination's type is checked then (a WRONGTYPE
 * error is the blocked client's reply).
 */
function blmoveGeneric(ctx: Ctx, fromLeft: boolean, toLeft: boolean, timeoutArg: string): void {
  const { db, argv, reply } = ctx;
  const deadline = parseTimeout(ctx, timeoutArg);
  const src = argv[1]!;
  const dst = argv[2]!;
  const sl = lookupTyped(db, src, 'list', true);
  // replayed as Redis 7.2 rewrites it: RPOPLPUSH, or LMOVE with the client's own LEFT/RIGHT words
  const replay = (): string[] =>
    argv[0]!.toLowerCase() === 'brpoplpush' ? ['RPOPLPUSH', src, dst] : ['LMOVE', src, dst, argv[3]!, argv[4]!];
  if (sl !== undefined) {
    const dl = lookupTyped(db, dst, 'list', true);
    moveReply(db, reply, src, sl, dst, dl, fromLeft, toLeft);
    if (ctx.propagating) ctx.replayAs([replay()]);
    return;
  }
  if (!mayBlock(ctx)) return reply.null();
  const serve: ServeFn = (db, key, r) => {
    const l = readyList(db, key);
    if (l === undefined) return false;
    let dl: List | undefined;
    try {
      dl = lookupTyped(db, dst, 'list', true);
    } catch (e) {
      r.error((e as Error).message);
      return true;
    }
    moveReply(db, r, key, l, dst, dl, fromLeft, toLeft);
    if (ctx.propagating) ctx.propagate(replay(), db.id);
    return true;
  };
  ctx.server.blocking.block(ctx.client, db, [src], deadline, serve, nullArray);
}

/** BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout */
function blmove(ctx: Ctx): void {
  const from = parseWhere(ctx.argv[3]!);
  const to = parseWhere(ctx.argv[4]!);
  blmoveGeneric(ctx, from, to, ctx.argv[5]!);
}

/** BRPOPLPUSH source destination timeout */
function brpoplpush(ctx: Ctx): void {
  blmoveGeneric(ctx, false, true, ctx.argv[3]!);
}

/** BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count] */
function blmpop(ctx: Ctx): void {
  const { keys, first: left, count } = parseMpopArgs(ctx.argv, 2, 'LEFT', 'RIGHT');
  const deadline = parseTimeout(ctx, ctx.argv[1]!);
  popOrBlock(
    ctx,
    keys,
    deadline,
    firstNonEmpty,
    readyList,
    (db, r, key, l) => popManyReply(db, r, key, l, left, count),
    (key, n) => [left ? 'LPOP' : 'RPOP', key, String(n)], // the count it popped, as Redis 7.2 rewrites it
  );
}

// ---- sorted sets (types/zset.ts) ----

/** BZPOPMIN/BZPOPMAX key [key ...] timeout */
function bzpopGeneric(ctx: Ctx, max: boolean): void {
  const { argv } = ctx;
  const deadline = parseTimeout(ctx, argv[argv.length - 1]!);
  popOrBlock(
    ctx,
    argv.slice(1, -1),
    deadline,
    firstNonEmptyZset,
    readyZset,
    (db, r, key, z) => {
      zpopOneReply(db, r, key, z, max);
      return 1;
    },
    (key) => [max ? 'ZPOPMAX' : 'ZPOPMIN', key],
  );
}

/** BZPOPMIN key [key ...] timeout */
function bzpopmin(ctx: Ctx): void {
  bzpopGeneric(ctx, false);
}
/** BZPOPMAX key [key ...] timeout */
function bzpopmax(ctx: Ctx): void {
  bzpopGeneric(ctx, true);
}

/** BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count] */
function bzmpop(ctx: Ctx): void {
  const { keys, first, count } = parseMpopArgs(ctx.argv, 2, 'MIN', 'MAX');
  const deadline = parseTimeout(ctx, ctx.argv[1]!);
  popOrBlock(
    ctx,
    keys,
    deadline,
    firstNonEmptyZset,
    readyZset,
    (db, r, key, z) => zpopManyReply(db, r, key, z, !first, count),
    (key, n) => [first ? 'ZPOPMIN' : 'ZPOPMAX', key, String(n)], // the count it popped, as Redis 7.2 rewrites it
  );
}

export const commands: CommandSpec[] = [
  command({
    name: 'blpop',
    arity: -3,
    flags: ['write', 'blocking'],
    acl: ['list'],
    keySpecs: [keyRange(1, -2, 1, READ_DELETE)],
    group: 'list',
    since: '2.0.0',
    summary:
      'Pops an element from the head of the first non-empty list, waiting until one is available or the timeout passes.',
    complexity: 'O(N) where N is the number of provided keys.',
    history: [['6.0.0', '`timeout` is interpreted as a double instead of an integer.']],
    args: [
      { name: 'key', type: 'key', key_spec_index: 0, flags: ['multiple'] },
      { name: 'timeout', type: 'double' },
    ],
    handler: blpop,
  }),
  command({
    name: 'brpop',
    arity: -3,
    flags: ['write', 'blocking'],
    acl: ['list'],
    keySpecs: [keyRange(1, -2, 1, READ_DELETE)],
    group: 'list',
    since: '2.0.0',
    summary:
      'Pops an element from the tail of the first non-empty list, waiting until one is available or the timeout passes.',
    complexity: 'O(N) where N is the number of provided keys.',
    history: [['6.0.0', '`timeout` is interpreted as a double instead of an integer.']],
    args: [
      { name: 'key', type: 'key', key_spec_index: 0, flags: ['multiple'] },
      { name: 'timeout', type: 'double' },
    ],
    handler: brpop,
  }),
  command({
    name: 'blmove',
    arity: 6,
    flags: ['write', 'denyoom', 'blocking'],
    acl: ['list'],
    keySpecs: [keyAt(1, READ_DELETE), keyAt(2, INSERT)],
    group: 'list',
    since: '6.2.0',
    summary: 'Moves an element between lists like LMOVE, waiting for the source to have one.',
    complexity: 'O(1)',
    args: [
      { name: 'source', type: 'key', key_spec_index: 0 },
      { name: 'destination', type: 'key', key_spec_index: 1 },
      {
        name: 'wherefrom',
        type: 'oneof',
        arguments: [
          { name: 'left', type: 'pure-token', token: 'LEFT' },
          { name: 'right', type: 'pure-token', token: 'RIGHT' },
        ],
      },
      {
        name: 'whereto',
        type: 'oneof',
        arguments: [
          { name: 'left', type: 'pure-token', token: 'LEFT' },
          { name: 'right', type: 'pure-token', token: 'RIGHT' },
        ],
      },
      { name: 'timeout', type: 'double' },
    ],
    handler: blmove,
  }),
  command({
    name: 'brpoplpush',
    arity: 4,
    flags: ['write', 'denyoom', 'blocking'],
    acl: ['list'],
    keySpecs: [keyAt(1, READ_DELETE), keyAt(2, INSERT)],
    group: 'list',
    since: '2.2.0',
    summary: 'Moves an element like RPOPLPUSH, waiting for the source to have one.',
    complexity: 'O(1)',
    docFlags: ['deprecated'],
    deprecatedSince: '6.2.0',
    replacedBy: '`BLMOVE` with the `RIGHT` and `LEFT` arguments',
    history: [['6.0.0', '`timeout` is interpreted as a double instead of an integer.']],
    args: [
      { name: 'source', type: 'key', key_spec_index: 0 },
      { name: 'destination', type: 'key', key_spec_index: 1 },
      { name: 'timeout', type: 'double' },
    ],
    handler: brpoplpush,
  }),
  command({
    name: 'blmpop',
    arity: -5,
    flags: ['write', 'blocking', 'movablekeys'],
    acl: ['list'],
    keySpecs: [keysCounted(2, READ_DELETE)],
    group: 'list',
    since: '7.0.0',
    summary: 'Pops elements from the first non-empty list among several keys, waiting until one has elements.',
    complexity: 'O(N+M) where N is the number of provided keys and M is the number of elements returned.',
    args: [
      { name: 'timeout', type: 'double' },
      { name: 'numkeys', type: 'integer' },
      { name: 'key', type: 'key', key_spec_index: 0, flags: ['multiple'] },
      {
        name: 'where',
        type: 'oneof',
        arguments: [
          { name: 'left', type: 'pure-token', token: 'LEFT' },
          { name: 'right', type: 'pure-token', token: 'RIGHT' },
        ],
      },
      { name: 'count', type: 'integer', token: 'COUNT', flags: ['optional'] },
    ],
    getKeys: numkeysGetKeys(0, 2, 3),
    handler: blmpop,
  }),
  command({
    name: 'bzpopmin',
    arity: -3,
    flags: ['write', 'blocking', 'fast'],
    acl: ['sortedset'],
    keySpecs: [keyRange(1, -2, 1, READ_DELETE)],
    group: 'sorted-set',
    since: '5.0.0',
    summary: 'Pops the member with the lowest score from the first non-empty sorted set, waiting for one.',
    complexity: 'O(log(N)) with N being the number of elements in the sorted set.',
    history: [['6.0.0', '`timeout` is interpreted as a double instead of an integer.']],
    args: [
      { name: 'key', type: 'key', key_spec_index: 0, flags: ['multiple'] },
      { name: 'timeout', type: 'double' },
    ],
    handler: bzpopmin,
  }),
  command({
    name: 'bzpopmax',
    arity: -3,
    flags: ['write', 'blocking', 'fast'],
    acl: ['sortedset'],
    keySpecs: [keyRange(1, -2, 1, READ_DELETE)],
    group: 'sorted-set',
    since: '5.0.0',
    summary: 'Pops the member with the highest score from the first non-empty sorted set, waiting for one.',
    complexity: 'O(log(N)) with N being the number of elements in the sorted set.',
    history: [['6.0.0', '`timeout` is interpreted as a double instead of an integer.']],
    args: [
      { name: 'key', type: 'key', key_spec_index: 0, flags: ['multiple'] },
      { name: 'timeout', type: 'double' },
    ],
    handler: bzpopmax,
  }),
  command({
    name: 'bzmpop',
    arity: -5,
    flags: ['write', 'blocking', 'movablekeys'],
    acl: ['sortedset'],
    keySpecs: [keysCounted(2, READ_DELETE)],
    group: 'sorted-set',
    since: '7.0.0',
    summary: 'Pops members by lowest or highest score from the first non-empty sorted set, waiting for one.',
    complexity:
      'O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.',
    args: [
      { name: 'timeout', type: 'double' },
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
    getKeys: numkeysGetKeys(0, 2, 3),
    handler: bzmpop,
  }),
];
