/**
 * The sorted set: a B+tree of "sorted leaves" ordered by (score, member),
 * with subtree counts for O(log n) rank and rank lookup, plus a member ->
 * score Dict (the keyspace's own hash table: dense arrays, SCAN-safe cursors,
 * O(1) lookup; ZSCAN walks it).
 *
 * Why not a skiplist, as Redis: in V8 a skiplist hop is a chain of dependent
 * loads (node object, its level array, the array's elements), ~3 cache
 * misses, and a 100k-member set takes ~25 hops a descent. Moving a member
 * (ZADD of an existing member with a new score: unlink, search, relink) took
 * two descents, ~3.2 µs. Here a leaf holds up to LEAF_CAP entries as two
 * parallel arrays (scores: unboxed doubles; members: strings), and an inner
 * node up to INNER_CAP children with, per child, its size and a lower-bound
 * key. The inner levels of a 100k set fit in cache (~70 ns a descent); a
 * search then reads one leaf's score array (binary search), and touches a
 * member string only on a score tie. Measured with random integer scores for
 * 100k members (redis-benchmark's ZADD pattern): a score change 3.2 ->
 * ~1.05 µs, of which ~190 ns is the dict lookup; ZRANK 1.6 -> ~0.53 µs.
 * Memory (bench/micro/zset.ts --memory, 1M members loaded in order): 73
 * bytes a member of V8 heap, the skiplist took 151, Redis takes 110. Random
 * updates leave leaves ~63% full: ~46 bytes a member besides the member
 * string.
 *
 * Invariants (ZSet.checkInvariants, run by test/unit/zset.test.ts):
 *  - leaves are linked in order (prev/next; `head` and `tail` are the ends)
 *    and entries are sorted by (score, member) within and across leaves;
 *  - an inner node's cnt[i] is the number of entries under kids[i];
 *  - for i >= 1 its key (ks[i], km[i]) is <= every entry under kids[i] and
 *    > every entry under kids[i-1]. Key 0 is not used for routing. Removals
 *    may leave a key below its subtree's minimum, which keeps it valid;
 *  - only a root leaf may be empty; an inner root has >= 2 children. A
 *    small leaf or inner node is merged with a sibling when both fit in half
 *    a node, so nodes do not stay nearly empty after mass deletions.
 *
 * Scores compare with `<` / `===` (0 and -0 are equal, as in Redis), members
 * are latin1 strings (one char per byte), so JS `<` on them is Redis's memcmp
 * order. One representation serves both encodings; OBJECT ENCODING reports
 * `listpack` until the set first exceeds the configured limits, then
 * `skiplist` for good, as Redis converts one way.
 *
 * The node classes and in-node primitives are in zset-nodes.ts.
 */
import { Dict } from '../keyspace/dict.js';
import type { Collection } from '../keyspace/value.js';
import { strBytes } from '../util/v8size.js';
import {
  Inner,
  INNER_BYTES,
  INNER_CAP,
  INNER_MERGE,
  innerAppend,
  innerInsert,
  innerRemove,
  innerSize,
  Leaf,
  LEAF_BYTES,
  LEAF_CAP,
  LEAF_MERGE,
  leafAppend,
  leafFind,
  leafInsert,
  leafLowerBound,
  leafRemove,
  less,
  NO_PATH,
  PATH_BYTES,
  ZSET_OBJ,
} from './zset-nodes.js';

export { Leaf } from './zset-nodes.js';

/**
 * A position in a sorted set, for walking a range: `leaf` null = past either
 * end. Valid until the set is next modified.
 */
export class ZCursor {
  constructor(
    public leaf: Leaf | null,
    public i: number,
  ) {}
  get m(): string {
    return this.leaf!.m[this.i]!;
  }
  get s(): number {
    return this.leaf!.s[this.i]!;
  }
  next(): void {
    const l = this.leaf!;
    if (++this.i >= l.n) {
      this.leaf = l.next;
      this.i = 0;
    }
  }
  prev(): void {
    if (--this.i < 0) {
      const l = this.leaf!.prev;
      this.leaf = l;
      this.i = l === null ? 0 : l.n - 1;
    }
  }
}

/** A score range: min/max with exclusive flags. */
export interface ScoreRange {
  min: number;
  max: number;
  minex: boolean;
  maxex: boolean;
}
/** A lex range: null bound = '-' (min) / '+' (max) infinity. */
export interface LexRange {
  min: string | null;
  max: string | null;
  minex: boolean;
  maxex: boolean;
  /** '-' as max or '+' as min: empty range. */
  minInf?: boolean;
  maxNegInf?: boolean;
}

export function gteMin(s: number, r: ScoreRange): boolean {
  return r.minex ? s > r.min : s >= r.min;
}
export function lteMax(s: number, r: ScoreRange): boolean {
  return r.maxex ? s < r.max : s <= r.max;
}
export function lexGteMin(m: string, r: LexRange): boolean {
  if (r.minInf) return false;
  if (r.min === null) return true;
  return r.minex ? m > r.min : m >= r.min;
}
export function lexLteMax(m: string, r: LexRange): boolean {
  if (r.maxNegInf) return false;
  if (r.max === null) return true;
  return r.maxex ? m < r.max : m <= r.max;
}

export class ZSet implements Collection {
  readonly type = 'zset' as const;
  /** member -> score. ZSCAN walks it (its SCAN cursor guarantee). */
  readonly dict = new Dict<number>();
  private root: Leaf | Inner = new Leaf();
  /** Number of inner levels above the leaves (0: the root is a leaf). */
  private height = 0;
  /** First and last leaves (the same empty leaf when the set is empty). */
  private head: Leaf;
  private tail: Leaf;
  /** Node counts, for MEMORY USAGE. */
  private leaves = 1;
  private inners = 0;
  /**
   * The path of the last descent: pn[d] is the inner node at depth d (0 =
   * root) and pi[d] the child taken. Per set, not module scratch, so that a
   * deleted set's nodes are not kept alive by the last descent into it;
   * allocated when the set first gets an inner node.
   */
  private pn: Inner[] = NO_PATH;
  private pi: number[] = NO_PATH;
  /** Reported as listpack until converted (one way). */
  lp: boolean;
  /** Bytes of the member strings (memBytes()). */
  private sb = 0;
  acct = 0;

  constructor(listpack = true) {
    this.lp = listpack;
    this.head = this.tail = this.root as Leaf;
  }

  encoding(): string {
    return this.lp ? 'listpack' : 'skiplist';
  }

  /** After additions: switch to skiplist once beyond the limits (entries, or a member longer than maxValue). */
  checkConvert(maxEntries: number, maxValue: number, addedLen = 0): void {
    if (this.lp && (this.dict.size > maxEntries || addedLen > maxValue)) this.lp = false;
  }

  /** An independent copy (COPY); inserted in order, so its leaves are full. */
  dup(): ZSet {
    const z = new ZSet(this.lp);
    for (let l: Leaf | null = this.head; l !== null; l = l.next)
      for (let k = 0; k < l.n; k++) z.insert(l.s[k]!, l.m[k]!);
    return z;
  }

  card(): number {
    return this.dict.size;
  }

  score(member: string): number | undefined {
    return this.dict.get(member);
  }

  /** The dict slot of a member (-1 when absent), for scoreAt / update / insertAfterMiss (ZADD). */
  slot(member: string): number {
    return this.dict.slot(member);
  }
  /** The score of the member at a dict slot. */
  scoreAt(slot: number): number {
    return this.dict.valAt(slot);
  }

  /**
   * Descends to the leaf where (s, m) is or would go, recording the path in
   * this.pn / this.pi.
   */
  private findLeaf(s: number, m: string): Leaf {
    let x = this.root;
    for (let d = 0, h = this.height; d < h; d++) {
      const y = x as Inner;
      const ks = y.ks;
      const km = y.km;
      // The last child whose key is <= (s, m); child 0 when none.
      let lo = 1;
      let hi = y.n;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        const v = ks[mid]!;
        if (v < s || (v === s && km[mid]! <= m)) lo = mid + 1;
        else hi = mid;
      }
      this.pn[d] = y;
      this.pi[d] = lo - 1;
      x = y.kids[lo - 1]!;
    }
    return x as Leaf;
  }

  /** The number of entries before the leaf of the last descent (from PATH_*). */
  private pathRank(): number {
    let r = 0;
    for (let d = 0; d < this.height; d++) {
      const c = this.pn[d]!.cnt;
      for (let k = 0, j = this.pi[d]!; k < j; k++) r += c[k]!;
    }
    return r;
  }

  /** Adds 1 (or -1) to the counts along the path of the last descent. */
  private pathCount(delta: number): void {
    for (let d = 0; d < this.height; d++) this.pn[d]!.cnt[this.pi[d]!]! += delta;
  }

  /**
   * A score as the encoding keeps it: a listpack stores an integral score as
   * an integer (Redis's double2ll), which turns -0 into 0; a skiplist keeps -0.
   */
  private stored(score: number): number {
    return score === 0 && this.lp ? 0 : score;
  }

  /** Inserts a member known to be absent. */
  insert(score: number, member: string): void {
    score = this.stored(score);
    this.dict.set(member, score);
    this.sb += strBytes(member.length);
    this.add(score, member);
  }

  /** Inserts a member whose slot() lookup just returned -1 (no other lookup in between). */
  insertAfterMiss(score: number, member: string): void {
    score = this.stored(score);
    this.dict.addAfterMiss(member, score);
    this.sb += strBytes(member.length);
    this.add(score, member);
  }

  /** Adds (s, m) to the tree (not to the dict). */
  private add(s: number, m: string): void {
    const l = this.findLeaf(s, m);
    this.pathCount(1);
    const p = leafLowerBound(l, s, m);
    if (l.n < LEAF_CAP) leafInsert(l, p, s, m);
    else this.splitLeaf(l, p, s, m);
  }

  /** Splits the full leaf l (on the recorded path) and inserts (s, m) at p. */
  private splitLeaf(l: Leaf, p: number, s: number, m: string): void {
    const r = new Leaf();
    this.leaves++;
    if (p === LEAF_CAP && l.next === null) {
      // Appending at the end (ascending loads): keep the full leaf full.
      r.s[0] = s;
      r.m[0] = m;
      r.n = 1;
    } else {
      const half = LEAF_CAP >> 1;
      for (let k = half; k < LEAF_CAP; k++) {
        r.s[k - half] = l.s[k]!;
        r.m[k - half] = l.m[k]!;
        l.m[k] = '';
      }
      l.n = half;
      r.n = LEAF_CAP - half;
      if (p <= half) leafInsert(l, p, s, m);
      else leafInsert(r, p - half, s, m);
    }
    r.next = l.next;
    r.prev = l;
    if (l.next !== null) l.next.prev = r;
    else this.tail = r;
    l.next = r;
    const h = this.height;
    if (h === 0) {
      this.newRoot(l, l.n, r, r.n, r.s[0]!, r.m[0]!);
      return;
    }
    this.pn[h - 1]!.cnt[this.pi[h - 1]!] = l.n;
    this.insertKid(h - 1, this.pi[h - 1]! + 1, r, r.n, r.s[0]!, r.m[0]!);
  }

  /** A new root above a and b (b's key: s, m). */
  private newRoot(a: Leaf | Inner, ac: number, b: Leaf | Inner, bc: number, s: number, m: string): void {
    const x = new Inner();
    this.inners++;
    x.kids[0] = a;
    x.cnt[0] = ac;
    x.kids[1] = b;
    x.cnt[1] = bc;
    x.ks[1] = s;
    x.km[1] = m;
    x.n = 2;
    this.root = x;
    this.height++;
    if (this.pn === NO_PATH) {
      this.pn = [];
      this.pi = [];
    }
  }

  /** Inserts a child at index j of the path's inner node at depth d, splitting upwards as needed. */
  private insertKid(d: number, j: number, kid: Leaf | Inner, c: number, s: number, m: string): void {
    const x = this.pn[d]!;
    if (x.n < INNER_CAP) {
      innerInsert(x, j, kid, c, s, m);
      return;
    }
    const y = new Inner();
    this.inners++;
    const half = INNER_CAP >> 1;
    for (let k = half; k < INNER_CAP; k++) {
      y.kids[k - half] = x.kids[k]!;
      y.cnt[k - half] = x.cnt[k]!;
      y.ks[k - half] = x.ks[k]!;
      y.km[k - half] = x.km[k]!;
      x.kids[k] = null;
      x.km[k] = '';
    }
    x.n = half;
    y.n = INNER_CAP - half;
    if (j <= half) innerInsert(x, j, kid, c, s, m);
    else innerInsert(y, j - half, kid, c, s, m);
    const yc = innerSize(y);
    if (d === 0) {
      this.newRoot(x, innerSize(x), y, yc, y.ks[0]!, y.km[0]!);
      return;
    }
    const pj = this.pi[d - 1]!;
    this.pn[d - 1]!.cnt[pj]! -= yc;
    this.insertKid(d - 1, pj + 1, y, yc, y.ks[0]!, y.km[0]!);
  }

  /** Takes a leaf out of the leaf chain (it is being dropped). */
  private unlinkLeaf(l: Leaf): void {
    if (l.prev !== null) l.prev.next = l.next;
    else this.head = l.next!;
    if (l.next !== null) l.next.prev = l.prev;
    else this.tail = l.prev!;
    this.leaves--;
  }

  /**
   * Removes entry p of leaf l, found by the last descent (path recorded),
   * then drops an emptied leaf or merges a small one with a sibling.
   */
  private removeAt(l: Leaf, p: number): void {
    this.pathCount(-1);
    leafRemove(l, p);
    const h = this.height;
    if (h === 0 || l.n > LEAF_MERGE >> 1) return;
    const x = this.pn[h - 1]!;
    const j = this.pi[h - 1]!;
    if (l.n === 0) {
      this.unlinkLeaf(l);
      this.removeKid(h - 1, j);
      return;
    }
    if (j + 1 < x.n) {
      const r = x.kids[j + 1] as Leaf;
      if (l.n + r.n <= LEAF_MERGE) {
        leafAppend(l, r);
        x.cnt[j]! += x.cnt[j + 1]!;
        this.unlinkLeaf(r);
        this.removeKid(h - 1, j + 1);
        return;
      }
    }
    if (j > 0) {
      const a = x.kids[j - 1] as Leaf;
      if (a.n + l.n <= LEAF_MERGE) {
        leafAppend(a, l);
        x.cnt[j - 1]! += x.cnt[j]!;
        this.unlinkLeaf(l);
        this.removeKid(h - 1, j);
      }
    }
  }

  /** Removes child j of the path's inner node at depth d, then collapses or merges upwards. */
  private removeKid(d: number, j: number): void {
    const x = this.pn[d]!;
    innerRemove(x, j);
    if (d === 0) {
      while (this.height > 0 && (this.root as Inner).n === 1) {
        this.root = (this.root as Inner).kids[0]!;
        this.height--;
        this.inners--;
      }
      if (this.height === 0) {
        // back to a single leaf: no path to keep
        this.pn = NO_PATH;
        this.pi = NO_PATH;
      }
      return;
    }
    const px = this.pn[d - 1]!;
    const pj = this.pi[d - 1]!;
    if (x.n === 0) {
      this.inners--;
      this.removeKid(d - 1, pj);
      return;
    }
    if (x.n > INNER_MERGE >> 1) return;
    if (pj + 1 < px.n) {
      const y = px.kids[pj + 1] as Inner;
      if (x.n + y.n <= INNER_MERGE) {
        y.ks[0] = px.ks[pj + 1]!;
        y.km[0] = px.km[pj + 1]!;
        innerAppend(x, y);
        px.cnt[pj]! += px.cnt[pj + 1]!;
        this.inners--;
        this.removeKid(d - 1, pj + 1);
        return;
      }
    }
    if (pj > 0) {
      const w = px.kids[pj - 1] as Inner;
      if (w.n + x.n <= INNER_MERGE) {
        x.ks[0] = px.ks[pj]!;
        x.km[0] = px.km[pj]!;
        innerAppend(w, x);
        px.cnt[pj - 1]! += px.cnt[pj]!;
        this.inners--;
        this.removeKid(d - 1, pj);
      }
    }
  }

  /** Removes (s, m) from the tree (it must be there). */
  private del(s: number, m: string): void {
    const l = this.findLeaf(s, m);
    this.removeAt(l, leafFind(l, s, m));
  }

  /** Removes a member; returns whether it was there. */
  remove(member: string): boolean {
    const s = this.dict.delete(member);
    if (s === undefined) return false;
    this.sb -= strBytes(member.length);
    this.del(s, member);
    return true;
  }

  /** Adds or updates a member's score. */
  set(member: string, score: number): void {
    const slot = this.dict.slot(member);
    if (slot < 0) this.insertAfterMiss(score, member);
    else this.update(slot, member, score);
  }

  /**
   * Gives the member at dict slot `slot` a new score. An equal score (0 and
   * -0 alike) leaves the stored one, as Redis's `score != curscore`.
   */
  update(slot: number, member: string, score: number): void {
    const old = this.dict.valAt(slot);
    if (old === score) return;
    score = this.stored(score);
    this.dict.setAt(slot, score);
    // The tree takes the dict's own string for the member (old, like the
    // tree), not the command's (young): a young string moved into the old
    // leaves took the write barrier's slow path at each store, and each
    // update promoted the command's copy while the tree's became garbage.
    member = this.dict.keyAt(slot);
    const l = this.findLeaf(old, member);
    const p = leafFind(l, old, member);
    // Still inside this leaf's key interval (beyond its other first and last
    // entries, or at an end of the set): move within the leaf, counts and
    // keys unchanged.
    const n = l.n;
    const f = p === 0 ? 1 : 0;
    const e = p === n - 1 ? n - 2 : n - 1;
    if (
      (l.prev === null || (f < n && less(l.s[f]!, l.m[f]!, score, member))) &&
      (l.next === null || (e >= 0 && less(score, member, l.s[e]!, l.m[e]!)))
    ) {
      leafRemove(l, p);
      leafInsert(l, leafLowerBound(l, score, member), score, member);
      return;
    }
    this.removeAt(l, p);
    this.add(score, member);
  }

  /** 0-based rank of a member, or -1. */
  rank(member: string): number {
    const s = this.dict.get(member);
    if (s === undefined) return -1;
    const l = this.findLeaf(s, member);
    return this.pathRank() + leafFind(l, s, member);
  }

  /** A cursor at 0-based rank r (past the end when out of range). */
  cursor(r: number): ZCursor {
    if (r < 0 || r >= this.dict.size) return new ZCursor(null, 0);
    let x = this.root;
    for (let d = 0; d < this.height; d++) {
      const y = x as Inner;
      let k = 0;
      while (r >= y.cnt[k]!) r -= y.cnt[k++]!;
      x = y.kids[k]!;
    }
    return new ZCursor(x as Leaf, r);
  }

  /** The member at 0-based rank r (must be in range). */
  memberAt(r: number): string {
    return this.cursor(r).m;
  }

  /**
   * The rank of the first entry for which `pred` holds, pred being false then
   * true along the order (card() when it never holds). Inner keys are lower
   * bounds of their subtrees, so a key for which pred is false puts every
   * entry before it on the false side.
   */
  private lowerBound(pred: (s: number, m: string) => boolean): number {
    let x = this.root;
    let r = 0;
    for (let d = 0; d < this.height; d++) {
      const y = x as Inner;
      let lo = 1;
      let hi = y.n;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (!pred(y.ks[mid]!, y.km[mid]!)) lo = mid + 1;
        else hi = mid;
      }
      for (let k = 0; k < lo - 1; k++) r += y.cnt[k]!;
      x = y.kids[lo - 1]!;
    }
    const l = x as Leaf;
    let lo = 0;
    let hi = l.n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (!pred(l.s[mid]!, l.m[mid]!)) lo = mid + 1;
      else hi = mid;
    }
    return r + lo;
  }

  /** The rank of the first entry within a score range, or -1. */
  firstInRange(r: ScoreRange): number {
    const k = this.lowerBound((s) => gteMin(s, r));
    return k < this.dict.size && lteMax(this.cursor(k).s, r) ? k : -1;
  }

  /** The rank of the last entry within a score range, or -1. */
  lastInRange(r: ScoreRange): number {
    const k = this.lowerBound((s) => !lteMax(s, r)) - 1;
    return k >= 0 && gteMin(this.cursor(k).s, r) ? k : -1;
  }

  /**
   * Whether a lex range can hold anything (Redis's zslIsInLexRange): not an
   * empty interval, the last member >= min and the first <= max. With
   * different scores the member order is not monotone, and Redis's answers
   * depend on this check and on the walk; both are reproduced.
   */
  private lexMayHit(r: LexRange): boolean {
    if (r.minInf || r.maxNegInf) return false;
    if (r.min !== null && r.max !== null && (r.min > r.max || (r.min === r.max && (r.minex || r.maxex)))) return false;
    const t = this.tail;
    if (t.n === 0 || !lexGteMin(t.m[t.n - 1]!, r)) return false;
    return lexLteMax(this.head.m[0]!, r);
  }

  /**
   * The rank of the first entry of a lex range, or -1. A listpack-encoded
   * set scans from the head as Redis's listpack code does; a skiplist one
   * searches as if members were in order (the same when all scores are
   * equal; with mixed scores Redis's own answer depends on its random levels).
   * `check` = false skips the range pre-check (ZREMRANGEBYLEX on a skiplist).
   */
  firstInLex(r: LexRange, check = true): number {
    if (check && !this.lexMayHit(r)) return -1;
    if (this.lp) {
      let k = 0;
      for (let l: Leaf | null = this.head; l !== null; l = l.next) {
        for (let i = 0; i < l.n; i++, k++) if (lexGteMin(l.m[i]!, r)) return lexLteMax(l.m[i]!, r) ? k : -1;
      }
      return -1;
    }
    const k = this.lowerBound((_s, m) => lexGteMin(m, r));
    return k < this.dict.size && lexLteMax(this.cursor(k).m, r) ? k : -1;
  }

  /** The rank of the last entry of a lex range, or -1 (see firstInLex). */
  lastInLex(r: LexRange): number {
    if (!this.lexMayHit(r)) return -1;
    if (this.lp) {
      let k = this.dict.size - 1;
      for (let l: Leaf | null = this.tail; l !== null; l = l.prev) {
        for (let i = l.n - 1; i >= 0; i--, k--) if (lexLteMax(l.m[i]!, r)) return lexGteMin(l.m[i]!, r) ? k : -1;
      }
      return -1;
    }
    const k = this.lowerBound((_s, m) => !lexLteMax(m, r)) - 1;
    return k >= 0 && lexGteMin(this.cursor(k).m, r) ? k : -1;
  }

  /** Pops up to count lowest members (BZPOPMIN and ZPOPMIN). */
  popMin(count: number): [string, number][] {
    const out: [string, number][] = [];
    while (count-- > 0 && this.head.n > 0) {
      // The path to the first leaf: child 0 all the way down.
      let x = this.root;
      for (let d = 0; d < this.height; d++) {
        this.pn[d] = x as Inner;
        this.pi[d] = 0;
        x = (x as Inner).kids[0]!;
      }
      const l = x as Leaf;
      const m = l.m[0]!;
      out.push([m, l.s[0]!]);
      this.dict.delete(m);
      this.sb -= strBytes(m.length);
      this.removeAt(l, 0);
    }
    return out;
  }

  /** Pops up to count highest members. */
  popMax(count: number): [string, number][] {
    const out: [string, number][] = [];
    while (count-- > 0 && this.tail.n > 0) {
      let x = this.root;
      for (let d = 0; d < this.height; d++) {
        const y = x as Inner;
        this.pn[d] = y;
        this.pi[d] = y.n - 1;
        x = y.kids[y.n - 1]!;
      }
      const l = x as Leaf;
      const p = l.n - 1;
      const m = l.m[p]!;
      out.push([m, l.s[p]!]);
      this.dict.delete(m);
      this.sb -= strBytes(m.length);
      this.removeAt(l, p);
    }
    return out;
  }

  /** All (member, score) pairs in order. */
  *entries(): IterableIterator<[string, number]> {
    for (let l: Leaf | null = this.head; l !== null; l = l.next) for (let k = 0; k < l.n; k++) yield [l.m[k]!, l.s[k]!];
  }

  /**
   * Checks the tree's invariants (counts, key bounds, order, links, fill);
   * throws on the first violation. For tests: O(n).
   */
  checkInvariants(): void {
    const fail = (msg: string): never => {
      throw new Error('zset invariant: ' + msg);
    };
    const leaves: Leaf[] = [];
    const parents: (Inner | null)[] = [];
    let inners = 0;
    // Returns the subtree's size; lo (if any) is a key <= all its entries, hi one > all.
    const walk = (
      x: Leaf | Inner,
      depth: number,
      lo: [number, string] | null,
      hi: [number, string] | null,
      parent: Inner | null,
    ): number => {
      if (depth === this.height) {
        const l = x as Leaf;
        if (!(l instanceof Leaf)) fail('leaf expected at depth ' + depth);
        if (l.n === 0 && this.height > 0) fail('empty leaf');
        for (let k = 0; k < l.n; k++) {
          if (k > 0 && !less(l.s[k - 1]!, l.m[k - 1]!, l.s[k]!, l.m[k]!)) fail('leaf order');
          if (lo !== null && less(l.s[k]!, l.m[k]!, lo[0], lo[1])) fail('entry below its key');
          if (hi !== null && !less(l.s[k]!, l.m[k]!, hi[0], hi[1])) fail('entry not below the next key');
          if (this.dict.get(l.m[k]!) !== l.s[k]) fail('dict score of ' + l.m[k]);
        }
        for (let k = l.n; k < LEAF_CAP; k++) if (l.m[k] !== '') fail('stale member slot');
        leaves.push(l);
        parents.push(parent);
        return l.n;
      }
      const y = x as Inner;
      if (!(y instanceof Inner)) fail('inner node expected');
      inners++;
      if (y.n < (depth === 0 ? 2 : 1) || y.n > INNER_CAP) fail('inner fan-out ' + y.n);
      let total = 0;
      for (let k = 0; k < y.n; k++) {
        const klo: [number, string] | null = k === 0 ? lo : [y.ks[k]!, y.km[k]!];
        const khi: [number, string] | null = k + 1 < y.n ? [y.ks[k + 1]!, y.km[k + 1]!] : hi;
        const c = walk(y.kids[k]!, depth + 1, klo, khi, y);
        if (c !== y.cnt[k]) fail(`count ${y.cnt[k]} for a subtree of ${c}`);
        total += c;
      }
      for (let k = y.n; k < INNER_CAP; k++) if (y.kids[k] !== null) fail('stale child slot');
      return total;
    };
    const total = walk(this.root, 0, null, null, null);
    if (total !== this.dict.size) fail(`tree holds ${total}, dict ${this.dict.size}`);
    if (leaves.length !== this.leaves || inners !== this.inners) fail('node counters');
    if (this.head !== leaves[0] || this.tail !== leaves[leaves.length - 1]) fail('head/tail');
    for (let k = 0; k < leaves.length; k++) {
      if (leaves[k]!.prev !== (k > 0 ? leaves[k - 1] : null)) fail('prev link');
      if (leaves[k]!.next !== (k + 1 < leaves.length ? leaves[k + 1] : null)) fail('next link');
      // (removals merge a small leaf with a sibling under the same parent, as a B+tree does)
      if (k + 1 < leaves.length && parents[k] === parents[k + 1] && leaves[k]!.n + leaves[k + 1]!.n <= LEAF_MERGE >> 1)
        fail('adjacent leaves left unmerged');
    }
  }

  /**
   * Bytes in V8 (Collection.memBytes): the object, the member dict's
   * structure (scores unboxed in its values array), the tree's nodes as laid
   * out (a Leaf: two arrays of LEAF_CAP slots; an Inner: four of INNER_CAP),
   * and the member strings, shared by the dict and the leaves.
   */
  memBytes(): number {
    return (
      ZSET_OBJ +
      this.dict.structBytes() +
      this.leaves * LEAF_BYTES +
      this.inners * INNER_BYTES +
      this.sb +
      (this.pn === NO_PATH ? 0 : PATH_BYTES)
    );
  }
}
