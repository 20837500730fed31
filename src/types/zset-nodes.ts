/**
 * The nodes of types/zset.ts's B+tree: leaves (two parallel arrays of
 * scores and members) and inner nodes (children with sizes and lower-bound
 * keys), their array templates and V8 sizes, and the in-node primitives
 * (search, insert, remove, append) the tree operations are built from.
 */
import { OBJ, ARR_BASE } from '../util/v8size.js';

/**
 * Entries per leaf, children per inner node. Measured on the pattern above
 * (µs a score change): leaves of 32: 1.28, 48: 1.11, 64: 1.08, 128: 1.20,
 * 256: 1.6 (shifting entries costs, smaller leaves add levels); inner
 * fan-out 32..128 mattered little.
 */
export const LEAF_CAP = 64;
export const INNER_CAP = 64;
export const LEAF_MERGE = LEAF_CAP >> 1;
export const INNER_MERGE = INNER_CAP >> 1;

// Array templates, copied with slice() so each node's arrays are packed,
// of exactly their capacity and of one elements kind (doubles unboxed).
function filled<T>(n: number, v: T): T[] {
  const a: T[] = [];
  for (let i = 0; i < n; i++) a.push(v);
  return a;
}
const LEAF_S = filled(LEAF_CAP, 0.5);
const LEAF_M = filled(LEAF_CAP, '');
const INNER_S = filled(INNER_CAP, 0.5);
const INNER_M = filled(INNER_CAP, '');
const INNER_C = filled(INNER_CAP, 0);
const INNER_K = filled<Leaf | Inner | null>(INNER_CAP, null);

/** A ZSet object (type, dict, root, height, head, tail, leaves, inners, pn, pi, lp, sb, acct). */
export const ZSET_OBJ = OBJ + 13 * 8;
/** The two path arrays of a set with inner nodes (a few slots each). */
export const PATH_BYTES = 2 * (ARR_BASE + 8 * 17);
/** A Leaf: its object (5 fields) and two arrays of LEAF_CAP slots. */
export const LEAF_BYTES = OBJ + 5 * 8 + 2 * (ARR_BASE + 8 * LEAF_CAP);
/** An Inner node: its object (5 fields) and four arrays of INNER_CAP slots. */
export const INNER_BYTES = OBJ + 5 * 8 + 4 * (ARR_BASE + 8 * INNER_CAP);

/** A leaf: n entries in s[0..n) (scores) and m[0..n) (members), in order. */
export class Leaf {
  n = 0;
  s: number[] = LEAF_S.slice();
  m: string[] = LEAF_M.slice();
  next: Leaf | null = null;
  prev: Leaf | null = null;
}

/** An inner node: n children with their sizes and lower-bound keys. */
export class Inner {
  n = 0;
  kids: (Leaf | Inner | null)[] = INNER_K.slice();
  cnt: number[] = INNER_C.slice();
  ks: number[] = INNER_S.slice();
  km: string[] = INNER_M.slice();
}

/** The path of a set that has no inner node (shared, never written). */
export const NO_PATH: never[] = [];

/** (s1, m1) < (s2, m2) in sorted-set order. */
export function less(s1: number, m1: string, s2: number, m2: string): boolean {
  return s1 < s2 || (s1 === s2 && m1 < m2);
}

/** The first index in l whose entry is >= (s, m) (l.n when none). */
export function leafLowerBound(l: Leaf, s: number, m: string): number {
  const ls = l.s;
  const lm = l.m;
  let lo = 0;
  let hi = l.n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const v = ls[mid]!;
    if (v < s || (v === s && lm[mid]! < m)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The index in l of an entry known to be there. Scores decide alone when
 * only one entry of l has that score, the usual case: a member comparison
 * reads the member string, a cache miss (~150 ns at 100k members).
 */
export function leafFind(l: Leaf, s: number, m: string): number {
  const ls = l.s;
  let lo = 0;
  let hi = l.n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ls[mid]! < s) lo = mid + 1;
    else hi = mid;
  }
  if (lo + 1 >= l.n || ls[lo + 1] !== s) return lo;
  return leafLowerBound(l, s, m);
}

/** Inserts (s, m) at index p of a leaf with room, shifting the entries after it. */
export function leafInsert(l: Leaf, p: number, s: number, m: string): void {
  const ls = l.s;
  const lm = l.m;
  for (let k = l.n; k > p; k--) {
    ls[k] = ls[k - 1]!;
    lm[k] = lm[k - 1]!;
  }
  ls[p] = s;
  lm[p] = m;
  l.n++;
}

/** Removes entry p of a leaf, shifting the entries after it down. */
export function leafRemove(l: Leaf, p: number): void {
  const ls = l.s;
  const lm = l.m;
  const n = --l.n;
  for (let k = p; k < n; k++) {
    ls[k] = ls[k + 1]!;
    lm[k] = lm[k + 1]!;
  }
  lm[n] = ''; // drop the reference
}

/** Appends all of b's entries to a (they fit and sort after a's). */
export function leafAppend(a: Leaf, b: Leaf): void {
  for (let k = 0, n = a.n; k < b.n; k++, n++) {
    a.s[n] = b.s[k]!;
    a.m[n] = b.m[k]!;
  }
  a.n += b.n;
}

/** Inserts a child (its size c and lower-bound key s, m) at index j of an inner node with room. */
export function innerInsert(x: Inner, j: number, kid: Leaf | Inner, c: number, s: number, m: string): void {
  for (let k = x.n; k > j; k--) {
    x.kids[k] = x.kids[k - 1]!;
    x.cnt[k] = x.cnt[k - 1]!;
    x.ks[k] = x.ks[k - 1]!;
    x.km[k] = x.km[k - 1]!;
  }
  x.kids[j] = kid;
  x.cnt[j] = c;
  x.ks[j] = s;
  x.km[j] = m;
  x.n++;
}

/** Removes child j of an inner node. */
export function innerRemove(x: Inner, j: number): void {
  const n = --x.n;
  for (let k = j; k < n; k++) {
    x.kids[k] = x.kids[k + 1]!;
    x.cnt[k] = x.cnt[k + 1]!;
    x.ks[k] = x.ks[k + 1]!;
    x.km[k] = x.km[k + 1]!;
  }
  x.kids[n] = null;
  x.km[n] = '';
}

/** Appends b's children to a (b's first key must already be its lower bound). */
export function innerAppend(a: Inner, b: Inner): void {
  for (let k = 0, n = a.n; k < b.n; k++, n++) {
    a.kids[n] = b.kids[k]!;
    a.cnt[n] = b.cnt[k]!;
    a.ks[n] = b.ks[k]!;
    a.km[n] = b.km[k]!;
  }
  a.n += b.n;
}

/** The number of entries under an inner node. */
export function innerSize(x: Inner): number {
  let c = 0;
  for (let k = 0; k < x.n; k++) c += x.cnt[k]!;
  return c;
}
