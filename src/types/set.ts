/**
 * The set type. One dense array of members (latin1 strings) in every
 * encoding, reported as Redis 7.2 reports them:
 *  - `intset`: every member is a canonical int64 text; the array is kept
 *    sorted by numeric value (as Redis's intset, so SMEMBERS's order matches);
 *    membership by binary search;
 *  - `listpack` (Redis 7.2): a few short members in insertion order, searched
 *    linearly;
 *  - `hashtable`: the array plus a KeyIndex (the keyspace's Int32Array hash
 *    index) from member to slot. Deletion moves the last member into the
 *    hole, so a member only ever moves down: SSCAN walks slots from the top
 *    down and returns every member present for the whole scan; SPOP and
 *    SRANDMEMBER sample a uniformly random slot in O(1).
 * Conversions are one-way (intset -> listpack -> hashtable), as in Redis.
 */
import { KeyIndex, hashKey } from '../keyspace/keyindex.js';
import { BATCH_KEYS } from '../keyspace/key-batch.js';
import type { Collection } from '../keyspace/value.js';
import { OBJ, arrBytes, strBytes } from '../util/v8size.js';

/** A SetValue object (type, enc, m, index, sb, acct). */
const SET_OBJ = OBJ + 6 * 8;

export const INTSET = 0;
export const LISTPACK = 1;
export const HASHTABLE = 2;

/** Conversion limits (set-max-intset-entries, set-max-listpack-entries/value). */
export interface SetLimits {
  intsetEntries: number;
  listpackEntries: number;
  listpackValue: number;
}

/** True when s is what Redis's string2ll accepts: canonical decimal within int64. */
export function isInt64Text(s: string): boolean {
  const n = s.length;
  if (n === 0 || n > 20) return false;
  let i = 0;
  if (s.charCodeAt(0) === 45) {
    if (n === 1) return false;
    i = 1;
  }
  const c0 = s.charCodeAt(i);
  if (c0 === 48) return n === 1; // "0" only; no "-0", no leading zeros
  for (let j = i; j < n; j++) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57) return false;
  }
  const digits = n - i;
  if (digits < 19) return true;
  if (digits > 19) return false;
  return i === 1 ? s.slice(1) <= '9223372036854775808' : s <= '9223372036854775807';
}

/** Numeric comparison of two canonical int64 texts. */
export function cmpInt(a: string, b: string): number {
  const na = a.charCodeAt(0) === 45;
  const nb = b.charCodeAt(0) === 45;
  if (na !== nb) return na ? -1 : 1;
  let r: number;
  if (a.length !== b.length) r = a.length < b.length ? -1 : 1;
  else r = a < b ? -1 : a > b ? 1 : 0;
  return na ? 0 - r : r; // 0 - 0 is +0, never -0
}

/** SetValue.prefetch's scratch: the slots found. */
const prefetchSlots = new Int32Array(BATCH_KEYS);

export class SetValue implements Collection {
  readonly type = 'set' as const;
  enc: number = 0;
  /** The members (sorted for intset, insertion order for listpack, dense slots for hashtable). */
  m: string[] = [];
  /** hashtable encoding: member -> slot. */
  index: KeyIndex | null = null;
  /** Bytes of the member strings (memBytes()). */
  private sb = 0;
  acct = 0;

  constructor(enc: number = INTSET) {
    this.enc = enc;
    if (enc === HASHTABLE) this.index = new KeyIndex();
  }

  /**
   * A new empty set for a first member and an expected size, as Redis 7.2's
   * setTypeCreate: intset when the member is an integer and the hint fits,
   * listpack when the hint fits, hashtable otherwise.
   */
  static create(first: string, hint: number, lim: SetLimits): SetValue {
    if (isInt64Text(first) && hint <= lim.intsetEntries) return new SetValue(INTSET);
    if (hint <= lim.listpackEntries) return new SetValue(LISTPACK);
    return new SetValue(HASHTABLE);
  }

  encoding(): string {
    return this.enc === INTSET ? 'intset' : this.enc === LISTPACK ? 'listpack' : 'hashtable';
  }

  get size(): number {
    return this.m.length;
  }

  /** The members, in encoding order (ZUNIONSTORE and friends read sets through this). */
  members(): Iterable<string> {
    return this.m;
  }

  dup(): SetValue {
    const s = new SetValue(this.enc === HASHTABLE ? LISTPACK : this.enc);
    s.m = this.m.slice();
    s.sb = this.sb;
    if (this.enc === HASHTABLE) s.toHashtable();
    return s;
  }

  /** Position of member x in an intset (>= 0), or -(insertion point) - 1. */
  private search(x: string): number {
    const m = this.m;
    let lo = 0;
    let hi = m.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = cmpInt(m[mid]!, x);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -lo - 1;
  }

  /** The slot of a member, or -1. */
  indexOf(x: string): number {
    switch (this.enc) {
      case HASHTABLE:
        return this.index!.find(x, this.m);
      case INTSET: {
        if (!isInt64Text(x)) return -1;
        const i = this.search(x);
        return i < 0 ? -1 : i;
      }
      default:
        return this.m.indexOf(x);
    }
  }

  /**
   * Reads, for members about to be looked up in the hashtable encoding (their
   * hashes, at most BATCH_KEYS), the index entries, then the member strings,
   * loop by loop, as Dict.prefetch does (Db.prefetch). Returns a number made
   * from what was read (nothing to use).
   */
  prefetch(hashes: Int32Array, n: number): number {
    const slots = prefetchSlots;
    this.index!.firstSlots(hashes, n, slots);
    const m = this.m;
    let x = 0;
    for (let i = 0; i < n; i++) {
      const s = slots[i]!;
      if (s >= 0) x ^= m[s]!.length;
    }
    return x;
  }

  has(x: string): boolean {
    return this.indexOf(x) >= 0;
  }

  /** Converts to the hashtable encoding. */
  toHashtable(): void {
    if (this.enc === HASHTABLE) return;
    const idx = new KeyIndex();
    const m = this.m;
    for (let i = 0; i < m.length; i++) {
      idx.insert(i, hashKey(m[i]!));
    }
    this.index = idx;
    this.enc = HASHTABLE;
  }

  /** add() for the hashtable encoding (the caller checked `index !== null`). */
  addToHashtable(x: string): boolean {
    const m = this.m;
    const idx = this.index!;
    if (idx.find(x, m) >= 0) return false;
    idx.insert(m.length);
    m.push(x);
    this.sb += strBytes(x.length);
    return true;
  }

  /** Adds a member; returns true when it was new. Converts as Redis 7.2 does. */
  add(x: string, lim: SetLimits): boolean {
    const m = this.m;
    if (this.enc === HASHTABLE) return this.addToHashtable(x);
    if (this.enc === INTSET) {
      if (isInt64Text(x)) {
        const i = this.search(x);
        if (i >= 0) return false;
        m.splice(-i - 1, 0, x);
        this.sb += strBytes(x.length);
        if (m.length > lim.intsetEntries) this.toHashtable();
        return true;
      }
      // A non-integer: listpack when small enough, else hashtable.
      if (m.length + 1 <= lim.listpackEntries && x.length <= lim.listpackValue && this.maxLen() <= lim.listpackValue) {
        this.enc = LISTPACK;
      } else {
        this.toHashtable();
        return this.add(x, lim);
      }
    }
    // listpack
    if (m.indexOf(x) >= 0) return false;
    if (m.length + 1 > lim.listpackEntries || x.length > lim.listpackValue) {
      this.toHashtable();
      return this.add(x, lim);
    }
    m.push(x);
    this.sb += strBytes(x.length);
    return true;
  }

  private maxLen(): number {
    let n = 0;
    for (const x of this.m) if (x.length > n) n = x.length;
    return n;
  }

  /** Removes a member; returns true when it was present. */
  delete(x: string): boolean {
    const i = this.indexOf(x);
    if (i < 0) return false;
    this.removeAt(i);
    return true;
  }

  /** Removes the member in slot i (hashtable: the last member moves into the hole). */
  removeAt(i: number): string {
    const m = this.m;
    const x = m[i]!;
    this.sb -= strBytes(x.length);
    if (this.enc === HASHTABLE) {
      const idx = this.index!;
      idx.remove(x, i);
      const last = m.length - 1;
      if (i !== last) {
        const lx = m[last]!;
        m[i] = lx;
        idx.move(lx, last, i);
      }
      m.pop();
    } else if (i === m.length - 1) m.pop();
    else m.splice(i, 1);
    return x;
  }

  /**
   * One SSCAN step over the hashtable encoding: the cursor is the number of
   * slots still to visit, walked from the top down (see Dict.scan).
   */
  scan(cursor: number, count: number, fn: (x: string) => void): number {
    const m = this.m;
    let c = cursor === 0 || cursor > m.length ? m.length : cursor;
    let visited = 0;
    while (c > 0 && visited < count) {
      c--;
      fn(m[c]!);
      visited++;
    }
    return c;
  }

  /** Bytes in V8 (Collection.memBytes): the object, the member array and strings, the index. */
  memBytes(): number {
    return SET_OBJ + arrBytes(this.m.length) + (this.index === null ? 0 : this.index.bytes()) + this.sb;
  }

  /** Recomputes the byte counter after `m` was assigned whole (RDB loading). O(n). */
  recount(): void {
    let b = 0;
    for (const x of this.m) b += strBytes(x.length);
    this.sb = b;
  }
}
