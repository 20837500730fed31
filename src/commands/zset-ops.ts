/**
 * The sorted set algebra: ZUNION ZINTER ZDIFF, their STORE forms and
 * ZINTERCARD (sets count as sorted sets with score 1).
 */
import { command, keyAt, keysCounted, OVERWRITE, READ, type ArgDoc, type CommandSpec, type Ctx } from './spec.js';
import { argAtLeast, argDouble, argInt, is } from './args.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { ZSet } from '../types/zset.js';
import { SetValue } from '../types/set.js';
import { numkeysGetKeys } from './keys-of.js';
import { limits, replyPairs, storeResult } from './zset-common.js';

const OP_UNION = 0,
  OP_INTER = 1,
  OP_DIFF = 2;

/** What a set-operation reads from a plain set (src/types/set.ts's SetValue). */
interface SetLike {
  readonly size: number;
  has(m: string): boolean;
  members(): Iterable<string>;
}

/** An input of a set operation: a zset, a plain set (scores 1) or missing (empty). */
interface Src {
  z: ZSet | null;
  set: SetLike | null;
  weight: number;
  size: number;
}

function srcScore(s: Src, member: string): number | undefined {
  if (s.z) return s.z.score(member);
  if (s.set) return s.set.has(member) ? 1 : undefined;
  return undefined;
}

function* srcEntries(s: Src): Generator<[string, number]> {
  if (s.z) yield* s.z.entries();
  else if (s.set) for (const m of s.set.members()) yield [m, 1];
}

function aggregate(agg: number, a: number, b: number): number {
  if (agg === 0) {
    const r = a + b;
    return Number.isNaN(r) ? 0 : r;
  }
  return agg === 1 ? (b < a ? b : a) : b > a ? b : a;
}

/**
 * The shared set-operation implementation. `numIdx` is the argv index of
 * numkeys; `dst` the destination (STORE forms); `cardOnly` for ZINTERCARD.
 */
function zsetOpGeneric(ctx: Ctx, dst: string | null, numIdx: number, op: number, cardOnly: boolean): void {
  const { argv, reply } = ctx;
  const numkeys = argInt(argv[numIdx]!);
  if (numkeys < 1) throw new ReplyError(Err.zsetAtLeastOne(ctx.cmd.name));
  if (numkeys > argv.length - numIdx - 1) throw new ReplyError(Err.syntax);
  const srcs: Src[] = [];
  let j = numIdx + 1;
  for (let i = 0; i < numkeys; i++, j++) {
    const v = dst === null ? ctx.db.read(argv[j]!) : ctx.db.get(argv[j]!);
    const s: Src = { z: null, set: null, weight: 1, size: 0 };
    if (v !== undefined) {
      if (v instanceof ZSet) {
        s.z = v;
        s.size = v.card();
      } else if (v instanceof SetValue) {
        s.set = v;
        s.size = v.size;
      } else throw new ReplyError(Err.wrongType);
    }
    srcs.push(s);
  }
  let agg = 0;
  let withscores = false;
  let limit = 0;
  while (j < argv.length) {
    const remaining = argv.length - j;
    const a = argv[j]!;
    if (op !== OP_DIFF && !cardOnly && remaining >= numkeys + 1 && is(a, 'WEIGHTS')) {
      j++;
      for (let i = 0; i < numkeys; i++, j++) {
        srcs[i]!.weight = argDouble(argv[j]!, Err.zsetWeight);
      }
    } else if (op !== OP_DIFF && !cardOnly && remaining >= 2 && is(a, 'AGGREGATE')) {
      const g = argv[j + 1]!;
      if (is(g, 'SUM')) agg = 0;
      else if (is(g, 'MIN')) agg = 1;
      else if (is(g, 'MAX')) agg = 2;
      else throw new ReplyError(Err.syntax);
      j += 2;
    } else if (remaining >= 1 && dst === null && !cardOnly && is(a, 'WITHSCORES')) {
      withscores = true;
      j++;
    } else if (cardOnly && remaining >= 2 && is(a, 'LIMIT')) {
      limit = argAtLeast(argv[j + 1]!, 0, Err.limitNegative);
      j += 2;
    } else throw new ReplyError(Err.syntax);
  }
  // Inputs from the smallest (as Redis orders them; the sum order matters for floats).
  if (op !== OP_DIFF) srcs.sort((x, y) => x.size - y.size);
  const result = new Map<string, number>();
  if (op === OP_INTER) {
    const s0 = srcs[0]!;
    if (s0.size > 0 && srcs.every((s) => s.size > 0)) {
      outer: for (const [m, sc] of srcEntries(s0)) {
        let score = s0.weight * sc;
        if (Number.isNaN(score)) score = 0;
        for (let i = 1; i < srcs.length; i++) {
          const s = srcs[i]!;
          const o = srcScore(s, m);
          if (o === undefined) continue outer;
          // A NaN product (0 * inf) is left to aggregate: SUM makes it 0, MIN/MAX keep the other side.
          score = aggregate(agg, score, s.weight * o);
        }
        result.set(m, score);
        if (cardOnly && limit > 0 && result.size >= limit) break;
      }
    }
  } else if (op === OP_UNION) {
    for (const s of srcs) {
      for (const [m, sc] of srcEntries(s)) {
        let v = s.weight * sc;
        if (Number.isNaN(v)) v = 0;
        const cur = result.get(m);
        result.set(m, cur === undefined ? v : aggregate(agg, cur, v));
      }
    }
  } else {
    const s0 = srcs[0]!;
    outer2: for (const [m, sc] of srcEntries(s0)) {
      for (let i = 1; i < srcs.length; i++) if (srcScore(srcs[i]!, m) !== undefined) continue outer2;
      result.set(m, sc);
    }
  }
  if (cardOnly) {
    reply.int(result.size);
    return;
  }
  let maxLen = 0;
  for (const m of result.keys()) if (m.length > maxLen) maxLen = m.length;
  const [me, mv] = limits(ctx);
  const z = new ZSet(result.size <= me && maxLen <= mv);
  for (const [m, s] of result) z.insert(s, m);
  if (dst !== null) {
    storeResult(ctx, dst, z, op === OP_UNION ? 'zunionstore' : op === OP_INTER ? 'zinterstore' : 'zdiffstore');
    reply.int(z.card());
    return;
  }
  replyPairs(reply, [...z.entries()], withscores);
}

const H = {
  zunion: (ctx: Ctx) => zsetOpGeneric(ctx, null, 1, OP_UNION, false),
  zinter: (ctx: Ctx) => zsetOpGeneric(ctx, null, 1, OP_INTER, false),
  zdiff: (ctx: Ctx) => zsetOpGeneric(ctx, null, 1, OP_DIFF, false),
  zunionstore: (ctx: Ctx) => zsetOpGeneric(ctx, ctx.argv[1]!, 2, OP_UNION, false),
  zinterstore: (ctx: Ctx) => zsetOpGeneric(ctx, ctx.argv[1]!, 2, OP_INTER, false),
  zdiffstore: (ctx: Ctx) => zsetOpGeneric(ctx, ctx.argv[1]!, 2, OP_DIFF, false),
  zintercard: (ctx: Ctx) => zsetOpGeneric(ctx, null, 1, OP_INTER, true),
};

/** COMMAND DOCS: the WEIGHTS and AGGREGATE options of ZUNION, ZINTER and their STORE forms. */
const WEIGHTS_AGGREGATE: readonly ArgDoc[] = [
  { name: 'weight', type: 'integer', token: 'WEIGHTS', flags: ['optional', 'multiple'] },
  {
    name: 'aggregate',
    type: 'oneof',
    token: 'AGGREGATE',
    flags: ['optional'],
    arguments: [
      { name: 'sum', type: 'pure-token', token: 'SUM' },
      { name: 'min', type: 'pure-token', token: 'MIN' },
      { name: 'max', type: 'pure-token', token: 'MAX' },
    ],
  },
];

export const setOpCommands: CommandSpec[] = [
  command({
    name: 'zunion',
    arity: -3,
    flags: ['readonly', 'movablekeys'],
    acl: ['sortedset'],
    keySpecs: [keysCounted(1, READ)],
    group: 'sorted-set',
    since: '6.2.0',
    summary: 'Returns the union of several sorted sets.',
    complexity:
      'O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.',
    args: [
      { name: 'numkeys', type: 'integer' },
      { name: 'key', type: 'key', key_spec_index: 0, flags: ['multiple'] },
      ...WEIGHTS_AGGREGATE,
      { name: 'withscores', type: 'pure-token', token: 'WITHSCORES', flags: ['optional'] },
    ],
    getKeys: numkeysGetKeys(0, 1, 2),
    handler: H.zunion,
  }),
  command({
    name: 'zinter',
    arity: -3,
    flags: ['readonly', 'movablekeys'],
    acl: ['sortedset'],
    keySpecs: [keysCounted(1, READ)],
    group: 'sorted-set',
    since: '6.2.0',
    summary: 'Returns the intersection of several sorted sets.',
    complexity:
      'O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.',
    args: [
      { name: 'numkeys', type: 'integer' },
      { name: 'key', type: 'key', key_spec_index: 0, flags: ['multiple'] },
      ...WEIGHTS_AGGREGATE,
      { name: 'withscores', type: 'pure-token', token: 'WITHSCORES', flags: ['optional'] },
    ],
    getKeys: numkeysGetKeys(0, 1, 2),
    handler: H.zinter,
  }),
  command({
    name: 'zdiff',
    arity: -3,
    flags: ['readonly', 'movablekeys'],
    acl: ['sortedset'],
    keySpecs: [keysCounted(1, READ)],
    group: 'sorted-set',
    since: '6.2.0',
    summary: 'Returns the members of the first sorted set that are in none of the others.',
    complexity:
      'O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.',
    args: [
      { name: 'numkeys', type: 'integer' },
      { name: 'key', type: 'key', key_spec_index: 0, flags: ['multiple'] },
      { name: 'withscores', type: 'pure-token', token: 'WITHSCORES', flags: ['optional'] },
    ],
    getKeys: numkeysGetKeys(0, 1, 2),
    handler: H.zdiff,
  }),
  command({
    name: 'zunionstore',
    arity: -4,
    flags: ['write', 'denyoom', 'movablekeys'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, OVERWRITE), keysCounted(2, READ)],
    group: 'sorted-set',
    since: '2.0.0',
    summary: 'Stores the union of several sorted sets under a key.',
    complexity:
      'O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.',
    args: [
      { name: 'destination', type: 'key', key_spec_index: 0 },
      { name: 'numkeys', type: 'integer' },
      { name: 'key', type: 'key', key_spec_index: 1, flags: ['multiple'] },
      ...WEIGHTS_AGGREGATE,
    ],
    getKeys: numkeysGetKeys(1, 2, 3),
    handler: H.zunionstore,
  }),
  command({
    name: 'zinterstore',
    arity: -4,
    flags: ['write', 'denyoom', 'movablekeys'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, OVERWRITE), keysCounted(2, READ)],
    group: 'sorted-set',
    since: '2.0.0',
    summary: 'Stores the intersection of several sorted sets under a key.',
    complexity:
      'O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.',
    args: [
      { name: 'destination', type: 'key', key_spec_index: 0 },
      { name: 'numkeys', type: 'integer' },
      { name: 'key', type: 'key', key_spec_index: 1, flags: ['multiple'] },
      ...WEIGHTS_AGGREGATE,
    ],
    getKeys: numkeysGetKeys(1, 2, 3),
    handler: H.zinterstore,
  }),
  command({
    name: 'zdiffstore',
    arity: -4,
    flags: ['write', 'denyoom', 'movablekeys'],
    acl: ['sortedset'],
    keySpecs: [keyAt(1, OVERWRITE), keysCounted(2, READ)],
    group: 'sorted-set',
    since: '6.2.0',
    summary: 'Stores the difference of several sorted sets under a key.',
    complexity:
      'O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.',
    args: [
      { name: 'destination', type: 'key', key_spec_index: 0 },
      { name: 'numkeys', type: 'integer' },
      { name: 'key', type: 'key', key_spec_index: 1, flags: ['multiple'] },
    ],
    getKeys: numkeysGetKeys(1, 2, 3),
    handler: H.zdiffstore,
  }),
  command({
    name: 'zintercard',
    arity: -3,
    flags: ['readonly', 'movablekeys'],
    acl: ['sortedset'],
    keySpecs: [keysCounted(1, READ)],
    group: 'sorted-set',
    since: '7.0.0',
    summary: 'Counts the members of the intersection of several sorted sets.',
    complexity:
      'O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.',
    args: [
      { name: 'numkeys', type: 'integer' },
      { name: 'key', type: 'key', key_spec_index: 0, flags: ['multiple'] },
      { name: 'limit', type: 'integer', token: 'LIMIT', flags: ['optional'] },
    ],
    getKeys: numkeysGetKeys(0, 1, 2),
    handler: H.zintercard,
  }),
];
