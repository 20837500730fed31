/**
 * List commands: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX LSET
 * LINSERT LREM LTRIM LPOS LMOVE RPOPLPUSH LMPOP. The structure is
 * types/list.ts. A list that becomes empty is deleted. Keyspace events use
 * Redis's names ('l' class: lpush, rpush, lpop, rpop, lset, linsert, lrem,
 * ltrim; 'g' del when a list goes). A list key created by any command (or
 * moved onto a key) wakes clients blocked on it through the Db's ready hook
 * (server/blocking.ts); the pop helpers here are shared with the blocking
 * commands (commands/blocking.ts).
 */
import {
  command,
  keyArg,
  keyAt,
  keysCounted,
  DELETE,
  INSERT,
  READ,
  READ_DELETE,
  READ_META,
  UPDATE,
  type CommandSpec,
  type Ctx,
} from './spec.js';
import { argAtLeast, argInt, is, lookupTyped, parseMpopArgs } from './args.js';
import { Err, ReplyError } from '../protocol/errors.js';
import type { Reply } from '../protocol/writer.js';
import { respBytes } from '../protocol/resp-bytes.js';
import type { Db } from '../keyspace/db.js';
import { List, elem, storedAsInteger } from '../types/list.js';
import { numkeysGetKeys } from './keys-of.js';

/** LEFT or RIGHT (case-insensitive) as "left?"; anything else is a syntax error. */
export function parseWhere(arg: string): boolean {
  if (is(arg, 'LEFT')) return true;
  if (is(arg, 'RIGHT')) return false;
  throw new ReplyError(Err.syntax);
}

/** After elements were popped: the pop event, deletion of an emptied list, the change signal. */
function popped(db: Db, key: string, list: List, left: boolean, n: number): void {
  db.notify('l', left ? 'lpop' : 'rpop', key);
  if (list.length === 0) {
    db.delete(key);
    db.notify('g', 'del', key);
    if (n > 1) db.modified(key, n - 1);
  } else {
    list.shrinkCheck(db.lists);
    db.modified(key, n);
  }
}

/**
 * Pops one element from a non-empty list at `key` and handles the side
 * effects (BLPOP/BRPOP served or not). Returns the element.
 */
export function popOne(db: Db, key: string, list: List, left: boolean): string | number {
  const v = list.pop(left)!;
  popped(db, key, list, left, 1);
  return v;
}

/**
 * Pops up to `count` elements from a non-empty list and replies
 * [key, [elements]] (LMPOP, BLMPOP).
 */
export function popManyReply(db: Db, reply: Reply, key: string, list: List, left: boolean, count: number): number {
  const n = Math.min(count, list.length);
  reply.array(2);
  reply.bulk(key);
  reply.array(n);
  for (let i = 0; i < n; i++) reply.bulk(list.pop(left)!);
  popped(db, key, list, left, n);
  return n;
}

/**
 * Moves the end element of the non-empty list `src` to `dst` (LMOVE,
 * RPOPLPUSH, BLMOVE served or not) and replies it. `dstList` is dst's
 * current list (looked up and type-checked by the caller before anything
 * changed), undefined when missing; src may equal dst (a rotation).
 */
export function moveReply(
  db: Db,
  reply: Reply,
  src: string,
  srcList: List,
  dst: string,
  dstList: List | undefined,
  fromLeft: boolean,
  toLeft: boolean,
): void {
  // Redis 7.2 counts only string-encoded objects in its growth check: an
  // integer popped from a quicklist adds 0 bytes to it.
  const intFromQuicklist = srcList.encoding() === 'quicklist' && storedAsInteger(v0(srcList, fromLeft));
  const v = srcList.pop(fromLeft)!;
  const addBytes = intFromQuicklist ? 0 : undefined;
  // one dirty change in all, counted with the pop (Redis's listElementsRemoved)
  if (dstList === undefined) {
    const l = new List();
    l.push(v, toLeft, db.lists, addBytes);
    db.set(dst, l, false, 0);
  } else {
    dstList.push(v, toLeft, db.lists, addBytes);
    db.modified(dst, 0);
  }
  db.notify('l', toLeft ? 'lpush' : 'rpush', dst);
  reply.bulk(v);
  db.notify('l', fromLeft ? 'lpop' : 'rpop', src);
  if (srcList.length === 0) {
    db.delete(src);
    db.notify('g', 'del', src);
  } else {
    // after the push, as Redis (a rotation of one list pops then pushes first)
    srcList.shrinkCheck(db.lists);
    db.modified(src, 1);
  }
}

/** The end element of a non-empty list. */
function v0(l: List, left: boolean): string | number {
  return l.at(left ? 0 : l.length - 1);
}

/** Normalises an inclusive [start, end] range against a length; null when empty. */
function clampRange(start: number, end: number, len: number): [number, number] | null {
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (start > end || start >= len) return null;
  if (end >= len) end = len - 1;
  return [start, end];
}

/** LPUSH/RPUSH/LPUSHX/RPUSHX: pushes argv[2..] one by one; replies the new length. */
function pushGeneric(ctx: Ctx, left: boolean, onlyExisting: boolean): void {
  const { db, argv, reply } = ctx;
  const key = argv[1]!;
  let l = lookupTyped(db, key, 'list', true);
  const n = argv.length - 2;
  if (l === undefined) {
    if (onlyExisting) {
      reply.int(0);
      return;
    }
    l = new List();
    l.pushMany(argv, 2, left, db.lists);
    db.set(key, l);
    if (n > 1) db.modified(key, n - 1);
  } else {
    l.pushMany(argv, 2, left, db.lists);
    db.modified(key, n);
  }
  reply.int(l.length);
  db.notify('l', left ? 'lpush' : 'rpush', key);
}

/** LPUSH key element [element ...] */
function lpush(ctx: Ctx): void {
  pushGeneric(ctx, true, false);
}
/** RPUSH key element [element ...] */
function rpush(ctx: Ctx): void {
  pushGeneric(ctx, false, false);
}
/** LPUSHX key element [element ...] */
function lpushx(ctx: Ctx): void {
  pushGeneric(ctx, true, true);
}
/** RPUSHX key element [element ...] */
function rpushx(ctx: Ctx): void {
  pushGeneric(ctx, false, true);
}

/**
 * LPOP/RPOP key [count]: without a count one element or a null; with a
 * count an array (a null array for a missing key, empty for count 0).
 */
function popGeneric(ctx: Ctx, left: boolean): void {
  const { db, argv, reply } = ctx;
  if (argv.length > 3) throw new ReplyError(Err.wrongArgs(ctx.cmd.name));
  const key = argv[1]!;
  const hasCount = argv.length === 3;
  const count = hasCount ? argAtLeast(argv[2]!, 0) : 1;
  const l = lookupTyped(db, key, 'list', true);
  if (l === undefined) {
    if (hasCount) reply.nullArray();
    else reply.null();
    return;
  }
  if (!hasCount) {
    reply.bulk(popOne(db, key, l, left));
    return;
  }
  if (count === 0) {
    reply.array(0);
    return;
  }
  const n = Math.min(count, l.length);
  reply.array(n);
  for (let i = 0; i < n; i++) reply.bulk(l.pop(left)!);
  popped(db, key, l, left, n);
}

/** LPOP key [count] */
function lpop(ctx: Ctx): void {
  popGeneric(ctx, true);
}
/** RPOP key [count] */
function rpop(ctx: Ctx): void {
  popGeneric(ctx, false);
}

/** LLEN key */
function llen(ctx: Ctx): void {
  const l = lookupTyped(ctx.db, ctx.argv[1]!, 'list');
  ctx.reply.int(l === undefined ? 0 : l.length);
}

/** LRANGE key start stop */
function lrange(ctx: Ctx): void {
  const { db, argv, reply } = ctx;
  const start = argInt(argv[2]!);
  const end = argInt(argv[3]!);
  const l = lookupTyped(db, argv[1]!, 'list');
  const r = l === undefined ? null : clampRange(start, end, l.length);
  if (r === null) {
    reply.array(0);
    return;
  }
  const [s, e] = r;
  reply.array(e - s + 1);
  // Bulk strings are the same in RESP2 and RESP3: the list writes them as bytes
  // straight from its chunks, and the reply is one flat string
  const w = respBytes.begin();
  l!.bulks(s, e, w);
  reply.raw(w.take());
}

/** LINDEX key index */
function lindex(ctx: Ctx): void {
  const { db, argv, reply } = ctx;
  const l = lookupTyped(db, argv[1]!, 'list');
  if (l === undefined) {
    reply.null();
    return;
  }
  let i = argInt(argv[2]!);
  if (i < 0) i += l.length;
  if (i < 0 || i >= l.length) reply.null();
  else reply.bulk(l.at(i));
}

/** LSET key index element */
function lset(ctx: Ctx): void {
  const { db, argv, reply } = ctx;
  const key = argv[1]!;
  const l = lookupTyped(db, key, 'list', true);
  if (l === undefined) throw new ReplyError(Err.noSuchKey);
  let i = argInt(argv[2]!);
  // Redis 7.2 checks the growth before the index: an LSET out of range can convert the listpack
  l.growCheck(db.lists, argv[3]!.length, 1);
  if (i < 0) i += l.length;
  if (i < 0 || i >= l.length) throw new ReplyError(Err.outOfRange);
  l.setAt(i, elem(argv[3]!));
  l.shrinkCheck(db.lists);
  reply.ok();
  db.modified(key);
  db.notify('l', 'lset', key);
}

/** LINSERT key BEFORE|AFTER pivot element */
function linsert(ctx: Ctx): void {
  const { db, argv, reply } = ctx;
  const key = argv[1]!;
  let after: boolean;
  if (is(argv[2], 'AFTER')) after = true;
  else if (is(argv[2], 'BEFORE')) after = false;
  else throw new ReplyError(Err.syntax);
  const l = lookupTyped(db, key, 'list', true);
  if (l === undefined) {
    reply.int(0);
    return;
  }
  // Redis 7.2 makes the growth check before it looks for the pivot (a missing pivot can still convert)
  l.growCheck(db.lists, argv[4]!.length, 1);
  const i = l.indexOf(elem(argv[3]!));
  if (i < 0) {
    reply.int(-1);
    return;
  }
  l.insertAround(i, after, elem(argv[4]!));
  db.modified(key);
  db.notify('l', 'linsert', key);
  reply.int(l.length);
}

/** LREM key count element */
function lrem(ctx: Ctx): void {
  const { db, argv, reply } = ctx;
  const key = argv[1]!;
  const count = argInt(argv[2]!);
  const l = lookupTyped(db, key, 'list', true);
  if (l === undefined) {
    reply.int(0);
    return;
  }
  const removed = l.remove(elem(argv[3]!), count, db.lists);
  if (removed > 0) {
    db.notify('l', 'lrem', key);
    if (l.length === 0) {
      db.delete(key);
      db.notify('g', 'del', key);
    } else db.modified(key, removed);
  }
  reply.int(removed);
}

/** LTRIM key start stop */
function ltrim(ctx: Ctx): void {
  const { db, argv, reply } = ctx;
  const key = argv[1]!;
  const start = argInt(argv[2]!);
  const end = argInt(argv[3]!);
  const l = lookupTyped(db, key, 'list', true);
  if (l === undefined) {
    reply.ok();
    return;
  }
  const r = clampRange(start, end, l.length);
  const removed = r === null ? l.trim(1, 0, db.lists) : l.trim(r[0], r[1], db.lists);
  db.notify('l', 'ltrim', key);
  if (l.length === 0) {
    db.delete(key);
    db.notify('g', 'del', key);
  } else db.modified(key, removed);
  reply.ok();
}

/** LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len] */
function lpos(ctx: Ctx): void {
  const { db, argv, reply } = ctx;
  let rank = 1;
  let count = -1;
  let maxlen = 0;
  for (let j = 3; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const a = argv[j]!;
    if (is(a, 'RANK') && more) {
      const r = argv[++j]!;
      rank = argInt(r);
      // 7.2 reads RANK in [-LONG_MAX, LONG_MAX] (7.0 negated LONG_MIN to itself)
      if (r === '-9223372036854775808') throw new ReplyError(Err.longRange);
      if (rank === 0) throw new ReplyError(Err.lposRankZero);
    } else if (is(a, 'COUNT') && more) {
      count = argAtLeast(argv[++j]!, 0, Err.lposCountNegative);
    } else if (is(a, 'MAXLEN') && more) {
      maxlen = argAtLeast(argv[++j]!, 0, Err.lposMaxlenNegative);
    } else throw new ReplyError(Err.syntax);
  }
  const l = lookupTyped(db, argv[1]!, 'list');
  if (l === undefined) {
    if (count !== -1) reply.array(0);
    else reply.null();
    return;
  }
  const target = elem(argv[2]!);
  const len = l.length;
  const fromTail = rank < 0;
  let skip = Math.abs(rank) - 1;
  const want = count === -1 ? 1 : count === 0 ? Infinity : count;
  const found: number[] = [];
  const limit = maxlen === 0 ? len : Math.min(maxlen, len);
  if (limit > 0) {
    const [from, to] = fromTail ? [len - limit, len - 1] : [0, limit - 1];
    l.scan(from, to, fromTail, (v, i) => {
      if (v === target) {
        if (skip > 0) skip--;
        else found.push(i);
      }
      return found.length >= want;
    });
  }
  if (count === -1) {
    if (found.length) reply.int(found[0]!);
    else reply.null();
    return;
  }
  reply.array(found.length);
  for (const i of found) reply.int(i);
}

/**
 * LMOVE/RPOPLPUSH: src's type, then dst's, are checked before anything
 * changes; a missing src replies a null.
 */
function lmoveGeneric(ctx: Ctx, fromLeft: boolean, toLeft: boolean): void {
  const { db, argv, reply } = ctx;
  const src = argv[1]!;
  const dst = argv[2]!;
  const sl = lookupTyped(db, src, 'list', true);
  if (sl === undefined) {
    reply.null();
    return;
  }
  const dl = lookupTyped(db, dst, 'list', true);
  moveReply(db, reply, src, sl, dst, dl, fromLeft, toLeft);
}

/** LMOVE source destination LEFT|RIGHT LEFT|RIGHT */
function lmove(ctx: Ctx): void {
  const from = parseWhere(ctx.argv[3]!);
  const to = parseWhere(ctx.argv[4]!);
  lmoveGeneric(ctx, from, to);
}

/** RPOPLPUSH source destination */
function rpoplpush(ctx: Ctx): void {
  lmoveGeneric(ctx, false, true);
}

/**
 * The first non-empty list among `keys` (WRONGTYPE for a key of another
 * type met before it), or undefined.
 */
export function firstNonEmpty(db: Db, keys: string[]): [string, List] | undefined {
  for (const k of keys) {
    const l = lookupTyped(db, k, 'list', true);
    if (l !== undefined && l.length > 0) return [k, l];
  }
  return undefined;
}

/** LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count] */
function lmpop(ctx: Ctx): void {
  const { db, argv, reply } = ctx;
  const { keys, first: left, count } = parseMpopArgs(argv, 1, 'LEFT', 'RIGHT');
  const hit = firstNonEmpty(db, keys);
  if (hit === undefined) reply.nullArray();
  else {
    // replayed with the count it popped, as Redis 7.2 rewrites it
    const n = popManyReply(db, reply, hit[0], hit[1], left, count);
    if (ctx.propagating) ctx.replayAs([[left ? 'LPOP' : 'RPOP', hit[0], String(n)]]);
  }
}

export const commands: CommandSpec[] = [
  command({
    name: 'lpush',
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    acl: ['list'],
    keySpecs: [keyAt(1, INSERT)],
    group: 'list',
    since: '1.0.0',
    summary: 'Adds elements to the head of a list, creating it when missing.',
    complexity:
      'O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.',
    history: [['2.4.0', 'Accepts multiple `element` arguments.']],
    args: [keyArg(), { name: 'element', type: 'string', flags: ['multiple'] }],
    handler: lpush,
  }),
  command({
    name: 'rpush',
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    acl: ['list'],
    keySpecs: [keyAt(1, INSERT)],
    group: 'list',
    since: '1.0.0',
    summary: 'Adds elements to the tail of a list, creating it when missing.',
    complexity:
      'O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.',
    history: [['2.4.0', 'Accepts multiple `element` arguments.']],
    args: [keyArg(), { name: 'element', type: 'string', flags: ['multiple'] }],
    handler: rpush,
  }),
  command({
    name: 'lpushx',
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    acl: ['list'],
    keySpecs: [keyAt(1, INSERT)],
    group: 'list',
    since: '2.2.0',
    summary: 'Adds elements to the head of a list only when the list exists.',
    complexity:
      'O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.',
    history: [['4.0.0', 'Accepts multiple `element` arguments.']],
    args: [keyArg(), { name: 'element', type: 'string', flags: ['multiple'] }],
    handler: lpushx,
  }),
  command({
    name: 'rpushx',
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    acl: ['list'],
    keySpecs: [keyAt(1, INSERT)],
    group: 'list',
    since: '2.2.0',
    summary: 'Adds elements to the tail of a list only when the list exists.',
    complexity:
      'O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.',
    history: [['4.0.0', 'Accepts multiple `element` arguments.']],
    args: [keyArg(), { name: 'element', type: 'string', flags: ['multiple'] }],
    handler: rpushx,
  }),
  command({
    name: 'lpop',
    arity: -2,
    flags: ['write', 'fast'],
    acl: ['list'],
    keySpecs: [keyAt(1, READ_DELETE)],
    group: 'list',
    since: '1.0.0',
    summary: 'Removes and returns elements from the head of a list; the key goes when the list empties.',
    complexity: 'O(N) where N is the number of elements returned',
    history: [['6.2.0', 'Added the `count` argument.']],
    args: [keyArg(), { name: 'count', type: 'integer', since: '6.2.0', flags: ['optional'] }],
    handler: lpop,
  }),
  command({
    name: 'rpop',
    arity: -2,
    flags: ['write', 'fast'],
    acl: ['list'],
    keySpecs: [keyAt(1, READ_DELETE)],
    group: 'list',
    since: '1.0.0',
    summary: 'Removes and returns elements from the tail of a list; the key goes when the list empties.',
    complexity: 'O(N) where N is the number of elements returned',
    history: [['6.2.0', 'Added the `count` argument.']],
    args: [keyArg(), { name: 'count', type: 'integer', since: '6.2.0', flags: ['optional'] }],
    handler: rpop,
  }),
  command({
    name: 'llen',
    arity: 2,
    flags: ['readonly', 'fast'],
    acl: ['list'],
    keySpecs: [keyAt(1, READ_META)],
    group: 'list',
    since: '1.0.0',
    summary: 'Returns the number of elements in a list.',
    complexity: 'O(1)',
    args: [keyArg()],
    handler: llen,
  }),
  command({
    name: 'lrange',
    arity: 4,
    flags: ['readonly'],
    acl: ['list'],
    keySpecs: [keyAt(1, READ)],
    group: 'list',
    since: '1.0.0',
    summary: 'Returns the elements between two inclusive indexes of a list.',
    complexity:
      'O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.',
    args: [keyArg(), { name: 'start', type: 'integer' }, { name: 'stop', type: 'integer' }],
    handler: lrange,
  }),
  command({
    name: 'lindex',
    arity: 3,
    flags: ['readonly'],
    acl: ['list'],
    keySpecs: [keyAt(1, READ)],
    group: 'list',
    since: '1.0.0',
    summary: 'Returns the element at an index of a list.',
    complexity:
      'O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).',
    args: [keyArg(), { name: 'index', type: 'integer' }],
    handler: lindex,
  }),
  command({
    name: 'lset',
    arity: 4,
    flags: ['write', 'denyoom'],
    acl: ['list'],
    keySpecs: [keyAt(1, UPDATE)],
    group: 'list',
    since: '1.0.0',
    summary: 'Replaces the element at an index of a list.',
    complexity:
      'O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).',
    args: [keyArg(), { name: 'index', type: 'integer' }, { name: 'element', type: 'string' }],
    handler: lset,
  }),
  command({
    name: 'linsert',
    arity: 5,
    flags: ['write', 'denyoom'],
    acl: ['list'],
    keySpecs: [keyAt(1, INSERT)],
    group: 'list',
    since: '2.2.0',
    summary: 'Inserts an element before or after the first occurrence of a pivot element.',
    complexity:
      'O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).',
    args: [
      keyArg(),
      {
        name: 'where',
        type: 'oneof',
        arguments: [
          { name: 'before', type: 'pure-token', token: 'BEFORE' },
          { name: 'after', type: 'pure-token', token: 'AFTER' },
        ],
      },
      { name: 'pivot', type: 'string' },
      { name: 'element', type: 'string' },
    ],
    handler: linsert,
  }),
  command({
    name: 'lrem',
    arity: 4,
    flags: ['write'],
    acl: ['list'],
    keySpecs: [keyAt(1, DELETE)],
    group: 'list',
    since: '1.0.0',
    summary: 'Removes occurrences of an element from a list.',
    complexity: 'O(N+M) where N is the length of the list and M is the number of elements removed.',
    args: [keyArg(), { name: 'count', type: 'integer' }, { name: 'element', type: 'string' }],
    handler: lrem,
  }),
  command({
    name: 'ltrim',
    arity: 4,
    flags: ['write'],
    acl: ['list'],
    keySpecs: [keyAt(1, DELETE)],
    group: 'list',
    since: '1.0.0',
    summary: 'Keeps only the elements between two inclusive indexes of a list.',
    complexity: 'O(N) where N is the number of elements to be removed by the operation.',
    args: [keyArg(), { name: 'start', type: 'integer' }, { name: 'stop', type: 'integer' }],
    handler: ltrim,
  }),
  command({
    name: 'lpos',
    arity: -3,
    flags: ['readonly'],
    acl: ['list'],
    keySpecs: [keyAt(1, READ)],
    group: 'list',
    since: '6.0.6',
    summary: 'Finds the indexes of the elements equal to a value in a list.',
    complexity:
      'O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.',
    args: [
      keyArg(),
      { name: 'element', type: 'string' },
      { name: 'rank', type: 'integer', token: 'RANK', flags: ['optional'] },
      { name: 'num-matches', type: 'integer', token: 'COUNT', flags: ['optional'] },
      { name: 'len', type: 'integer', token: 'MAXLEN', flags: ['optional'] },
    ],
    handler: lpos,
  }),
  command({
    name: 'lmove',
    arity: 5,
    flags: ['write', 'denyoom'],
    acl: ['list'],
    keySpecs: [keyAt(1, READ_DELETE), keyAt(2, INSERT)],
    group: 'list',
    since: '6.2.0',
    summary: 'Pops an element from one end of a list and pushes it onto an end of another (or the same) list.',
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
    ],
    handler: lmove,
  }),
  command({
    name: 'rpoplpush',
    arity: 3,
    flags: ['write', 'denyoom'],
    acl: ['list'],
    keySpecs: [keyAt(1, READ_DELETE), keyAt(2, INSERT)],
    group: 'list',
    since: '1.2.0',
    summary: 'Pops from the tail of a list and pushes onto the head of another (or the same) list.',
    complexity: 'O(1)',
    docFlags: ['deprecated'],
    deprecatedSince: '6.2.0',
    replacedBy: '`LMOVE` with the `RIGHT` and `LEFT` arguments',
    args: [
      { name: 'source', type: 'key', key_spec_index: 0 },
      { name: 'destination', type: 'key', key_spec_index: 1 },
    ],
    handler: rpoplpush,
  }),
  command({
    name: 'lmpop',
    arity: -4,
    flags: ['write', 'movablekeys'],
    acl: ['list'],
    keySpecs: [keysCounted(1, READ_DELETE)],
    group: 'list',
    since: '7.0.0',
    summary: 'Pops elements from one end of the first non-empty list among several keys.',
    complexity: 'O(N+M) where N is the number of provided keys and M is the number of elements returned.',
    args: [
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
    getKeys: numkeysGetKeys(0, 1, 2),
    handler: lmpop,
  }),
];
