/**
 * SORT and SORT_RO: sort the elements of a list, set or sorted set
 * (numerically by default, by bytes with ALPHA), optionally by weights read
 * from other keys (BY pattern, `*` replaced by the element, `key->field` for
 * hash fields), with LIMIT, GET patterns (`#` = the element) and STORE into a
 * list. Semantics follow redis-server 7.0, quirks included:
 *  - options are parsed first (syntax / LIMIT integer errors before WRONGTYPE);
 *  - a BY pattern without `*` turns sorting off for good (even if a later BY
 *    has one); lists and sorted sets then keep their own order (DESC walks
 *    backwards, LIMIT takes ranks), sets keep theirs unless STORE, which
 *    forces an ALPHA sort for determinism;
 *  - numeric weights are parsed as C's strtod does (leading blanks, hex,
 *    inf; bytes after a NUL are ignored; NaN, overflow and underflow,
 *    inexact subnormals included, are errors), a missing BY key weighs 0
 *    (numeric) or sorts first (ALPHA);
 *  - ties: numeric ties compare the elements' bytes; ALPHA without STORE
 *    compares as strcoll does in the C locale (bytes up to the first NUL),
 *    with STORE all bytes; remaining ties keep input order (glibc's merge
 *    sort), except with BY and a narrowing LIMIT, where Redis's partial
 *    quicksort (pqsort) decides, which `pqsort` below reproduces;
 *  - a sorted set is converted to the skiplist encoding by any SORT.
 * STORE replaces the destination with a list ('l' sortstore) or deletes it
 * when the result is empty ('g' del) and replies the element count.
 */
import {
  command,
  keyArg,
  keyAt,
  keysUnknown,
  OVERWRITE,
  READ,
  type ArgDoc,
  type CommandSpec,
  type Ctx,
  type KeyRef,
  limitArg,
} from './spec.js';
import { PERM_READ } from '../acl/user.js';
import { argInt } from './args.js';
import { strtod } from '../util/numbers.js';
import { Err, ReplyError } from '../protocol/errors.js';
import type { Db } from '../keyspace/db.js';
import { isString, strOf, type Value } from '../keyspace/value.js';
import { List, elem } from '../types/list.js';
import type { SetValue } from '../types/set.js';
import type { ZSet } from '../types/zset.js';
import { detach } from '../types/hash.js';
import { cstr } from '../util/strings.js';

/**
 * SORT's BY and GET patterns name keys the ACL check did not see: the
 * client's user must be able to read every key (Redis's
 * ACLUserCheckCmdWithUnrestrictedKeyAccess with CMD_KEY_ACCESS).
 */
function fullKeyAccess(ctx: Ctx): boolean {
  const user = ctx.client.user;
  return user.unrestricted || ctx.server.acl.unrestrictedKeyAccess(user, ctx.cmd, undefined, ctx.argv, PERM_READ);
}

/** One element being sorted: its bytes (latin1), numeric weight, ALPHA weight. */
interface Item {
  obj: string;
  score: number;
  cmp: string | null;
}

/**
 * A weight parsed as SORT parses it (bare strtod on the bytes up to the
 * first NUL, which must all be consumed; any ERANGE is an error): the
 * number, or null when Redis reports "One or more scores can't be converted
 * into double" (no number, trailing bytes, NaN, overflow, and underflow,
 * which for glibc includes an inexact subnormal but not an exact one such as
 * 0x1p-1074). Leading white space is skipped and an empty text weighs 0.
 */
export function sortWeight(raw: string): number | null {
  const s = cstr(raw);
  const r = strtod(s);
  if (r.end !== s.length || r.erange || r.value !== r.value) return null;
  return r.value;
}

/** Compares two byte strings (latin1) as memcmp then length. */
function cmpBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** strcoll in the C locale: bytes up to the first NUL. */
function cmpColl(a: string, b: string): number {
  return cmpBytes(cstr(a), cstr(b));
}

/**
 * The value a pattern names for an element (Redis's lookupKeyByPattern):
 * `#` is the element itself; otherwise the first `*` is replaced by the
 * element and the key read as a string, or, with `->field` after the `*`,
 * the hash field. Missing keys, fields, wrong types and patterns without
 * `*` give null. Each lookup counts as a keyspace hit or miss (STORE too).
 */
function byPattern(db: Db, pattern: string, subst: string): string | null {
  const c = cstr(pattern);
  if (c === '#') return subst;
  const p = c.indexOf('*');
  if (p < 0) return null;
  const f = c.indexOf('->', p + 1);
  const hasField = f >= 0 && f + 2 < c.length;
  const field = hasField ? pattern.slice(f + 2) : '';
  const post = hasField ? pattern.slice(p + 1, f) : pattern.slice(p + 1);
  const key = pattern.slice(0, p) + subst + post;
  const v: Value | undefined = db.read(key);
  if (v === undefined) return null;
  if (hasField) {
    if (isString(v) || v.type !== 'hash') return null;
    return v.get(field) ?? null;
  }
  if (!isString(v)) return null;
  return strOf(v);
}

type Cmp = (a: Item, b: Item) => number;

/**
 * Redis's pqsort: the BSD quicksort (Bentley-McIlroy three-way partition,
 * median of three / ninther, insertion sort below 7 elements or after a
 * partition without swaps) that skips sub-ranges outside [lrange, rrange].
 * Reproduced so that ties come out in Redis's order. Sorts `v` in place.
 */
function pqsort(v: Item[], cmp: Cmp, lrange: number, rrange: number): void {
  const swap = (i: number, j: number): void => {
    const t = v[i]!;
    v[i] = v[j]!;
    v[j] = t;
  };
  const vecswap = (i: number, j: number, n: number): void => {
    for (let k = 0; k < n; k++) swap(i + k, j + k);
  };
  const c = (i: number, j: number): number => cmp(v[i]!, v[j]!);
  const med3 = (a: number, b: number, d: number): number =>
    c(a, b) < 0 ? (c(b, d) < 0 ? b : c(a, d) < 0 ? d : a) : c(b, d) > 0 ? b : c(a, d) < 0 ? a : d;
  const insertion = (a: number, n: number): void => {
    for (let pm = a + 1; pm < a + n; pm++) for (let pl = pm; pl > a && c(pl - 1, pl) > 0; pl--) swap(pl, pl - 1);
  };
  const outside = (l: number, r: number): boolean => (lrange < l && rrange < l) || (lrange > r && rrange > r);
  const sort = (a: number, n: number): void => {
    for (;;) {
      if (n < 7) {
        insertion(a, n);
        return;
      }
      let pm = a + (n >> 1);
      if (n > 7) {
        let pl = a;
        let pn = a + n - 1;
        if (n > 40) {
          const d = Math.floor(n / 8);
          pl = med3(pl, pl + d, pl + 2 * d);
          pm = med3(pm - d, pm, pm + d);
          pn = med3(pn - 2 * d, pn - d, pn);
        }
        pm = med3(pl, pm, pn);
      }
      swap(a, pm);
      let pa = a + 1;
      let pb = pa;
      let pc = a + n - 1;
      let pd = pc;
      let swapped = false;
      for (;;) {
        let r: number;
        while (pb <= pc && (r = c(pb, a)) <= 0) {
          if (r === 0) {
            swapped = true;
            swap(pa, pb);
            pa++;
          }
          pb++;
        }
        while (pb <= pc && (r = c(pc, a)) >= 0) {
          if (r === 0) {
            swapped = true;
            swap(pc, pd);
            pd--;
          }
          pc--;
        }
        if (pb > pc) break;
        swap(pb, pc);
        swapped = true;
        pb++;
        pc--;
      }
      if (!swapped) {
        insertion(a, n);
        return;
      }
      const pn = a + n;
      let r = Math.min(pa - a, pb - pa);
      vecswap(a, pb - r, r);
      r = Math.min(pd - pc, pn - pd - 1);
      vecswap(pb, pn - r, r);
      r = pb - pa;
      if (r > 1 && !outside(a, a + r - 1)) sort(a, r);
      r = pd - pc;
      if (r > 1) {
        a = pn - r;
        n = r;
        if (!outside(a, a + r - 1)) continue;
      }
      return;
    }
  };
  sort(0, v.length);
}

/** The elements of a list as latin1 strings, from index `from` (backwards when `rev`), at most `n`. */
function listItems(l: List, from: number, rev: boolean, n: number): string[] {
  const out: string[] = [];
  if (n <= 0) return out;
  if (!rev) {
    for (const e of l.range(from, Math.min(l.length - 1, from + n - 1))) out.push(typeof e === 'number' ? '' + e : e);
  } else {
    const lo = Math.max(0, from - n + 1);
    const part = l.range(lo, from);
    for (let i = part.length - 1; i >= 0; i--) {
      const e = part[i]!;
      out.push(typeof e === 'number' ? '' + e : e);
    }
  }
  return out;
}

/**
 * The shared implementation (Redis's sortCommandGeneric). `readonly` is
 * SORT_RO, which does not know STORE.
 */
function sortGeneric(ctx: Ctx, readonly: boolean): void {
  const { argv, db, reply } = ctx;
  let desc = false;
  let alpha = false;
  let limitStart = 0;
  let limitCount = -1;
  let dontsort = false;
  let sortby: string | null = null;
  let store: string | null = null;
  const gets: string[] = [];
  for (let j = 2; j < argv.length; j++) {
    // Keywords are compared as C strings (strcasecmp stops at a NUL).
    const a = cstr(argv[j]!).toLowerCase();
    const left = argv.length - j - 1;
    if (a === 'asc') desc = false;
    else if (a === 'desc') desc = true;
    else if (a === 'alpha') alpha = true;
    else if (a === 'limit' && left >= 2) {
      limitStart = argInt(argv[j + 1]!);
      limitCount = argInt(argv[j + 2]!);
      j += 2;
    } else if (!readonly && a === 'store' && left >= 1) {
      store = argv[++j]!;
    } else if (a === 'by' && left >= 1) {
      sortby = argv[++j]!;
      if (!cstr(sortby).includes('*')) dontsort = true;
      else if (!fullKeyAccess(ctx)) throw new ReplyError(Err.sortAclDenied('BY'));
    } else if (a === 'get' && left >= 1) {
      if (!fullKeyAccess(ctx)) throw new ReplyError(Err.sortAclDenied('GET'));
      gets.push(argv[++j]!);
    } else throw new ReplyError(Err.syntax);
  }

  const found = db.read(argv[1]!);
  if (
    found !== undefined &&
    (isString(found) || (found.type !== 'list' && found.type !== 'set' && found.type !== 'zset'))
  ) {
    throw new ReplyError(Err.wrongType);
  }
  const val: List | SetValue | ZSet | undefined = found;
  const type = val === undefined ? 'list' : val.type;
  if (dontsort && type === 'set' && (store !== null || ctx.client.luaScript)) {
    // a set's order is not deterministic: sorted when stored or when a script asks (Redis's sortCommandGeneric)
    dontsort = false;
    alpha = true;
    sortby = null;
  }
  if (val?.type === 'zset') val.lp = false;

  let len = val === undefined ? 0 : val.type === 'list' ? val.length : val.type === 'set' ? val.size : val.card();
  let start = Math.min(Math.max(limitStart, 0), len);
  const count = Math.min(Math.max(limitCount, -1), len);
  let end = count < 0 ? len - 1 : start + count - 1;
  if (start >= len) {
    start = len - 1;
    end = len - 2;
  }
  if (end >= len) end = len - 1;
  if ((type === 'zset' || type === 'list') && dontsort && (start !== 0 || end !== len - 1)) len = end - start + 1;

  let objs: string[];
  if (val === undefined) {
    objs = [];
  } else if (val.type === 'list' && dontsort) {
    objs = [];
    if (end >= start) {
      objs = listItems(val, desc ? val.length - start - 1 : start, desc, len);
      end -= start;
      start = 0;
    }
  } else if (val.type === 'list') {
    objs = listItems(val, 0, false, val.length);
  } else if (val.type === 'set') {
    objs = val.m.slice();
  } else {
    const z = val;
    objs = [];
    if (dontsort) {
      const card = z.card();
      const n = z.cursor(desc ? card - start - 1 : start);
      for (let k = 0; k < len && n.leaf !== null; k++) {
        objs.push(n.m);
        if (desc) n.prev();
        else n.next();
      }
      end -= start;
      start = 0;
    } else for (const [m] of z.entries()) objs.push(m);
  }

  const items: Item[] = objs.map((o) => ({ obj: o, score: 0, cmp: null }));
  let convError = false;
  if (!dontsort) {
    for (const it of items) {
      let by: string | null;
      if (sortby !== null) {
        by = byPattern(db, sortby, it.obj);
        if (by === null) continue;
      } else by = it.obj;
      if (alpha) {
        if (sortby !== null) it.cmp = by;
      } else {
        const w = sortWeight(by);
        if (w === null) convError = true;
        else it.score = w;
      }
    }
    const coll = store === null ? cmpColl : cmpBytes;
    let cmp: Cmp;
    if (!alpha) cmp = (x, y) => (x.score > y.score ? 1 : x.score < y.score ? -1 : cmpBytes(x.obj, y.obj));
    else if (sortby !== null) {
      cmp = (x, y) => {
        if (x.cmp === null || y.cmp === null) return x.cmp === y.cmp ? 0 : x.cmp === null ? -1 : 1;
        return coll(x.cmp, y.cmp);
      };
    } else cmp = (x, y) => coll(x.obj, y.obj);
    const final: Cmp = desc ? (x, y) => -cmp(x, y) : cmp;
    if (sortby !== null && (start !== 0 || end !== items.length - 1)) pqsort(items, final, start, end);
    else items.sort(final);
  }

  if (convError) throw new ReplyError(Err.sortNotDouble);
  const n = end - start + 1;
  const outputLen = gets.length > 0 ? gets.length * n : n;
  if (store === null) {
    reply.array(outputLen);
    for (let j = start; j <= end; j++) {
      const o = items[j]!.obj;
      if (gets.length === 0) reply.bulk(o);
      for (const g of gets) {
        const v = byPattern(db, g, o);
        if (v === null) reply.null();
        else reply.bulk(v);
      }
    }
    return;
  }
  if (outputLen > 0) {
    const out: ReturnType<typeof elem>[] = [];
    for (let j = start; j <= end; j++) {
      const o = items[j]!.obj;
      if (gets.length === 0) out.push(elem(o));
      // detached: a hash field's value is a substring of the hash's packed string
      for (const g of gets) out.push(elem(detach(byPattern(db, g, o) ?? '')));
    }
    // Redis 7.2 builds the result as a quicklist, then converts it to a listpack if it fits.
    const l = List.builtAsQuicklist(out, db.lists);
    db.set(store, l);
    db.notify('l', 'sortstore', store);
    if (outputLen > 1) db.modified(store, outputLen - 1);
  } else if (db.delete(store)) db.notify('g', 'del', store);
  reply.int(outputLen);
}

/** SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE destination] */
function sort(ctx: Ctx): void {
  sortGeneric(ctx, false);
}

/** SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] */
function sortRo(ctx: Ctx): void {
  sortGeneric(ctx, true);
}

/**
 * SORT's keys (Redis's sortGetKeys): the sorted key, and the last STORE
 * destination, skipping the arguments of LIMIT, GET and BY as Redis does
 * (a STORE's own argument is not skipped).
 */
function sortGetKeys(argv: string[]): KeyRef[] {
  const keys: KeyRef[] = [{ pos: 1, flags: ['RO', 'access'] }];
  let storePos = -1;
  for (let i = 2; i < argv.length; i++) {
    const a = cstr(argv[i]!).toLowerCase();
    if (a === 'limit') i += 2;
    else if (a === 'get' || a === 'by') i += 1;
    else if (a === 'store' && i + 1 < argv.length) storePos = i + 1;
  }
  if (storePos >= 0) keys.push({ pos: storePos, flags: ['OW', 'update'] });
  return keys;
}

const COMPLEXITY =
  'O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).';
const PATTERN_NOTES =
  "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort";

/** The arguments SORT_RO takes; SORT adds STORE destination. */
const SORT_RO_ARGS: ArgDoc[] = [
  keyArg(),
  { name: 'pattern', type: 'pattern', key_spec_index: 1, token: 'BY', flags: ['optional'] },
  limitArg(),
  {
    name: 'pattern',
    type: 'pattern',
    key_spec_index: 1,
    token: 'GET',
    flags: ['optional', 'multiple', 'multiple_token'],
  },
  {
    name: 'order',
    type: 'oneof',
    flags: ['optional'],
    arguments: [
      { name: 'asc', type: 'pure-token', token: 'ASC' },
      { name: 'desc', type: 'pure-token', token: 'DESC' },
    ],
  },
  { name: 'sorting', type: 'pure-token', token: 'ALPHA', flags: ['optional'] },
];

export const commands: CommandSpec[] = [
  command({
    name: 'sort',
    arity: -2,
    flags: ['write', 'denyoom', 'movablekeys'],
    acl: ['set', 'sortedset', 'list', 'dangerous'],
    keySpecs: [
      keyAt(1, READ),
      keysUnknown(READ, PATTERN_NOTES),
      keysUnknown(
        OVERWRITE,
        "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array",
      ),
    ],
    group: 'generic',
    since: '1.0.0',
    summary: 'Sorts the elements in a list, a set, or a sorted set, optionally storing the result.',
    complexity: COMPLEXITY,
    args: [
      ...SORT_RO_ARGS,
      { name: 'destination', type: 'key', key_spec_index: 2, token: 'STORE', flags: ['optional'] },
    ],
    getKeys: sortGetKeys,
    handler: sort,
  }),
  command({
    name: 'sort_ro',
    arity: -2,
    flags: ['readonly', 'movablekeys'],
    acl: ['set', 'sortedset', 'list', 'dangerous'],
    keySpecs: [keyAt(1, READ), keysUnknown(READ, PATTERN_NOTES)],
    group: 'generic',
    since: '7.0.0',
    summary: 'Returns the sorted elements of a list, a set, or a sorted set.',
    complexity: COMPLEXITY,
    args: SORT_RO_ARGS,
    // Redis falls back to the legacy (1, 1, 1) range: the sorted key only.
    getKeys: () => [{ pos: 1, flags: ['RO', 'access'] }],
    handler: sortRo,
  }),
];
