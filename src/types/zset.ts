/**
 * The sorted set: a skiplist ordered by (score, member) with O(log n) insert,
 * delete, rank and rank lookup (spans per level, as in Pugh's "skip list
 * cookbook" order-statistic variant), plus a member -> node Dict (the
 * keyspace's own hash table: dense arrays, SCAN-safe cursors, O(1) lookup).
 *
 * Memory: three quarters of nodes have one level; their forward pointer is a
 * field (`f`) and only nodes with more levels carry an array `lv` holding
 * [forward, span, forward's score] for levels 1.., so a one-level node is one
 * small object. Level 0's span is always 1.
 *
 * The forward node's score kept beside the pointer lets a search decide
 * whether to step without touching the next node: a step costs one cache
 * miss (the next node's level array) instead of two (node, then array).
 * Searches are memory-latency bound, so this is most of their cost. A node's
 * score only changes while it is unlinked (see set()), so the copies stay true.
 *
 * Members are latin1 strings (one char per byte), so JS `<` on them is
 * Redis's memcmp order. One representation serves both encodings; OBJECT
 * ENCODING reports `listpack` until the set first exceeds the configured
 * limits, then `skiplist` for good, as Redis converts one way.
 */
import { Dict } from '../keyspace/dict.js';
import type { Collection } from '../keyspace/value.js';

const MAX_LEVEL = 32;

export class ZNode {
  /** Previous node at level 0 (null for the first). */
  b: ZNode | null = null;
  /** Next node at level 0. */
  f: ZNode | null = null;
  /** Levels 1..: [forward, span, forward's score] triples; null for one-level nodes. */
  lv: (ZNode | null | number)[] | null;
  constructor(
    public m: string,
    public s: number,
    level: number,
  ) {
    if (level > 1) {
      const a: (ZNode | null | number)[] = new Array(3 * (level - 1));
      for (let i = 0; i < a.length; i += 3) {
        a[i] = null;
        a[i + 1] = 0;
        a[i + 2] = 0;
      }
      this.lv = a;
    } else this.lv = null;
  }
  get level(): number {
    return this.lv === null ? 1 : 1 + this.lv.length / 3;
  }
}

function fwd(x: ZNode, i: number): ZNode | null {
  return i === 0 ? x.f : (x.lv![3 * i - 3] as ZNode | null);
}
function setFwd(x: ZNode, i: number, y: ZNode | null): void {
  if (i === 0) x.f = y;
  else {
    const lv = x.lv!;
    lv[3 * i - 3] = y;
    lv[3 * i - 1] = y === null ? 0 : y.s;
  }
}
function span(x: ZNode, i: number): number {
  return i === 0 ? 1 : (x.lv![3 * i - 2] as number);
}
function setSpan(x: ZNode, i: number, n: number): void {
  if (i !== 0) x.lv![3 * i - 2] = n;
}

/**
 * From x, steps forward at level i >= 1 while the next node sorts before
 * (score, member), reading the scores kept in the level arrays; adds the
 * spans stepped over to RANK[i] when `ranked`. Returns the last node before.
 */
function walk(x: ZNode, i: number, score: number, member: string, ranked: boolean): ZNode {
  const k = 3 * i - 3;
  let lv = x.lv!;
  for (;;) {
    const y = lv[k] as ZNode | null;
    if (y === null) return x;
    const ys = lv[k + 2] as number;
    if (ys > score || (ys === score && y.m >= member)) return x;
    if (ranked) RANK[i]! += lv[k + 1] as number;
    x = y;
    lv = y.lv!;
  }
}

/** Scratch update/rank vectors for insert() and findUpdate() (MAX_LEVEL entries). */
const UPDATE: ZNode[] = [];
const RANK: number[] = [];
const UPDATE2: ZNode[] = [];

/** (s1, m1) < (s2, m2) in sorted-set order. */
function less(s1: number, m1: string, s2: number, m2: string): boolean {
  return s1 < s2 || (s1 === s2 && m1 < m2);
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
  readonly dict = new Dict<ZNode>();
  private head = new ZNode('', 0, MAX_LEVEL);
  tail: ZNode | null = null;
  private level = 1;
  /** Reported as listpack until converted (one way). */
  lp: boolean;

  constructor(listpack = true) {
    this.lp = listpack;
  }

  encoding(): string {
    return this.lp ? 'listpack' : 'skiplist';
  }

  /** After additions: switch to skiplist once beyond the limits (entries, or a member longer than maxValue). */
  checkConvert(maxEntries: number, maxValue: number, addedLen = 0): void {
    if (this.lp && (this.dict.size > maxEntries || addedLen > maxValue)) this.lp = false;
  }

  dup(): ZSet {
    const z = new ZSet(this.lp);
    for (let x = this.head.f; x; x = x.f) z.insert(x.s, x.m);
    return z;
  }

  card(): number {
    return this.dict.size;
  }

  score(member: string): number | undefined {
    const n = this.dict.get(member);
    return n === undefined ? undefined : n.s;
  }

  /** The first node (lowest), or null. */
  first(): ZNode | null {
    return this.head.f;
  }
  last(): ZNode | null {
    return this.tail;
  }

  private randomLevel(): number {
    let l = 1;
    while (l < MAX_LEVEL && Math.random() < 0.25) l++;
    return l;
  }

  /** Inserts a member known to be absent. */
  insert(score: number, member: string): ZNode {
    const n = new ZNode(member, score, this.randomLevel());
    this.link(n, this.dict.size);
    this.dict.set(member, n);
    return n;
  }

  /**
   * Links node `n` (not in the list) at the position of its score and member,
   * keeping its level. `others` is the number of nodes already in the list.
   * Used by insert() and to move a member whose score changed (the node and
   * its index entry are reused, as Redis reuses the element).
   */
  private link(n: ZNode, others: number): void {
    const score = n.s;
    const member = n.m;
    // Scratch vectors reused across calls (no allocation per insert; the
    // skiplist code never re-enters itself).
    const update = UPDATE;
    const rank = RANK;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      rank[i] = i === this.level - 1 ? 0 : rank[i + 1]!;
      if (i > 0) x = walk(x, i, score, member, true);
      else {
        for (let y = x.f; y !== null && less(y.s, y.m, score, member); y = x.f) {
          rank[0]!++;
          x = y;
        }
      }
      update[i] = x;
    }
    const level = n.level;
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rank[i] = 0;
        update[i] = this.head;
        setSpan(this.head, i, others);
      }
      this.level = level;
    }
    for (let i = 0; i < level; i++) {
      const u = update[i]!;
      setFwd(n, i, fwd(u, i));
      setFwd(u, i, n);
      if (i > 0) {
        setSpan(n, i, span(u, i) - (rank[0]! - rank[i]!));
        setSpan(u, i, rank[0]! - rank[i]! + 1);
      }
    }
    for (let i = level; i < this.level; i++) setSpan(update[i]!, i, span(update[i]!, i) + 1);
    n.b = update[0] === this.head ? null : update[0]!;
    if (n.f) n.f.b = n;
    else this.tail = n;
  }

  /** Unlinks a node, given the update vector. */
  private unlink(x: ZNode, update: ZNode[]): void {
    for (let i = 0; i < this.level; i++) {
      const u = update[i]!;
      if (fwd(u, i) === x) {
        if (i > 0) setSpan(u, i, span(u, i) + span(x, i) - 1);
        setFwd(u, i, fwd(x, i));
      } else setSpan(u, i, span(u, i) - 1);
    }
    if (x.f) x.f.b = x.b;
    else this.tail = x.b;
    while (this.level > 1 && fwd(this.head, this.level - 1) === null) this.level--;
  }

  /** The update vector for (score, member): last node before it at each level. */
  private findUpdate(score: number, member: string): ZNode[] {
    const update = UPDATE2;
    let x = this.head;
    for (let i = this.level - 1; i > 0; i--) update[i] = x = walk(x, i, score, member, false);
    for (let y = x.f; y !== null && less(y.s, y.m, score, member); y = x.f) x = y;
    update[0] = x;
    return update;
  }

  /** Removes a member; returns whether it was there. */
  remove(member: string): boolean {
    const n = this.dict.get(member);
    if (n === undefined) return false;
    this.unlink(n, this.findUpdate(n.s, member));
    this.dict.delete(member);
    return true;
  }

  /** Adds or updates a member's score. */
  set(member: string, score: number): void {
    const n = this.dict.get(member);
    if (n === undefined) {
      this.insert(score, member);
      return;
    }
    if (n.s === score) return;
    // Same position: update in place, when no level array holds a copy of
    // the score (a one-level node is only linked from level 0).
    if (n.lv === null && (n.b === null || less(n.b.s, n.b.m, score, member)) && (n.f === null || less(score, member, n.f.s, n.f.m))) {
      n.s = score;
      return;
    }
    this.unlink(n, this.findUpdate(n.s, member));
    n.s = score;
    this.link(n, this.dict.size - 1);
  }

  /** 0-based rank of a member, or -1. */
  rank(member: string): number {
    const n = this.dict.get(member);
    if (n === undefined) return -1;
    let r = 0;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let y = fwd(x, i); y !== null && (y === n || less(y.s, y.m, n.s, member)); y = fwd(x, i)) {
        r += span(x, i);
        x = y;
        if (x === n) return r - 1;
      }
    }
    return r - 1;
  }

  /** The node at 0-based rank r (must be in range). */
  byRank(r: number): ZNode | null {
    let t = 0;
    const target = r + 1;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let y = fwd(x, i); y !== null && t + span(x, i) <= target; y = fwd(x, i)) {
        t += span(x, i);
        x = y;
      }
      if (t === target) return x;
    }
    return null;
  }

  /** The first node within a score range, or null. */
  firstInRange(r: ScoreRange): ZNode | null {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let y = fwd(x, i); y !== null && !gteMin(y.s, r); y = fwd(x, i)) x = y;
    }
    const n = x.f;
    return n !== null && lteMax(n.s, r) ? n : null;
  }

  /** The last node within a score range, or null. */
  lastInRange(r: ScoreRange): ZNode | null {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let y = fwd(x, i); y !== null && lteMax(y.s, r); y = fwd(x, i)) x = y;
    }
    return x !== this.head && gteMin(x.s, r) ? x : null;
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
    if (t === null || !lexGteMin(t.m, r)) return false;
    return lexLteMax(this.head.f!.m, r);
  }

  /**
   * The first node of a lex range, or null. A listpack-encoded set scans
   * from the head as Redis's listpack code does; a skiplist walks the levels
   * (the same only when all scores are equal, where the order is monotone).
   * `check` = false skips the range pre-check (ZREMRANGEBYLEX on a skiplist).
   */
  firstInLex(r: LexRange, check = true): ZNode | null {
    if (check && !this.lexMayHit(r)) return null;
    if (this.lp) {
      for (let x = this.head.f; x !== null; x = x.f) if (lexGteMin(x.m, r)) return lexLteMax(x.m, r) ? x : null;
      return null;
    }
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let y = fwd(x, i); y !== null && !lexGteMin(y.m, r); y = fwd(x, i)) x = y;
    }
    const n = x.f;
    return n !== null && lexLteMax(n.m, r) ? n : null;
  }

  /** The last node of a lex range, or null (see firstInLex). */
  lastInLex(r: LexRange): ZNode | null {
    if (!this.lexMayHit(r)) return null;
    if (this.lp) {
      for (let x = this.tail; x !== null; x = x.b) if (lexLteMax(x.m, r)) return lexGteMin(x.m, r) ? x : null;
      return null;
    }
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      for (let y = fwd(x, i); y !== null && lexLteMax(y.m, r); y = fwd(x, i)) x = y;
    }
    return x !== this.head && lexGteMin(x.m, r) ? x : null;
  }

  /** Pops up to count lowest members (BZPOPMIN and ZPOPMIN). */
  popMin(count: number): [string, number][] {
    const out: [string, number][] = [];
    while (count-- > 0 && this.head.f !== null) {
      const n = this.head.f;
      out.push([n.m, n.s]);
      this.remove(n.m);
    }
    return out;
  }

  /** Pops up to count highest members. */
  popMax(count: number): [string, number][] {
    const out: [string, number][] = [];
    while (count-- > 0 && this.tail !== null) {
      const n = this.tail;
      out.push([n.m, n.s]);
      this.remove(n.m);
    }
    return out;
  }

  /** All (member, score) pairs in order. */
  *entries(): IterableIterator<[string, number]> {
    for (let x = this.head.f; x; x = x.f) yield [x.m, x.s];
  }

  /**
   * MEMORY USAGE estimate: per node the object, its boxed score, the level
   * array when it has one, the member string and its Dict slot; `samples`
   * nodes from the start are measured (0 = all) and the mean extrapolated.
   */
  memoryUsage(samples: number): number {
    const n = this.dict.size;
    if (n === 0) return 64;
    let bytes = 0;
    let taken = 0;
    for (let x = this.head.f; x !== null && (samples <= 0 || taken < samples); x = x.f, taken++) {
      bytes += 32 + 12 + (x.lv ? 24 + 4 * x.lv.length : 0) + 16 + x.m.length + 24;
    }
    return Math.round(64 + (bytes / taken) * n);
  }
}
