/**
 * The hash type. Encodings, reported as Redis reports them:
 *  - `listpack`: one flat array [field0, value0, field1, value1, ...] searched
 *    linearly, in insertion order (as Redis's listpack, so HGETALL's order
 *    matches Redis's byte for byte) while the hash is small;
 *  - `listpackex` (Redis 7.4): the same array plus one expire time per pair
 *    (HashEx.lpt), once a field of a small hash was given a TTL. The pairs are
 *    kept in Redis's listpackex order: fields with a TTL first, by ascending
 *    time, then the others in insertion order (a field that gets or loses a
 *    TTL moves), so HGETALL's order and the RDB bytes match Redis's;
 *  - `hashtable`: the keyspace's own Dict (dense key/value arrays plus an
 *    Int32Array index), which gives O(1) lookups, O(1) random sampling
 *    (HRANDFIELD) and the SCAN guarantee for HSCAN (entries only move down,
 *    HSCAN walks slots from the top). Field TTLs live beside it in a Map and
 *    a min-heap of (time, field) for the active expire cycle.
 * The conversion is one-way, as in Redis: listpack -> listpackex ->
 * hashtable, never back.
 *
 * Field TTLs cost nothing to hashes that never had one: `ex` stays null, and
 * the hot paths (HSET, HGET) test only that.
 * Fields and values are latin1 strings (one char per byte).
 */
import { Dict } from '../keyspace/dict.js';
import type { Collection } from '../keyspace/value.js';
import type { HfeEntry } from '../keyspace/hfe.js';
import { OBJ, ARR_BASE, HEAP_NUMBER, MAP_BASE, MAP_ENTRY, arrBytes, arrCap, strBytes } from '../util/v8size.js';

/** A HashValue object (lp, ht, ex, sb, acct; `type` is on the prototype). */
const HASH_OBJ = OBJ + 5 * 8;
/**
 * A HashEx object (lpt, map, hAt, hF, pos, key, at; `at`, a time beyond 31
 * bits, boxed) and its slot in the db's index of hashes with field TTLs.
 */
const HASHEX_OBJ = OBJ + 7 * 8 + HEAP_NUMBER + 8;

/** The largest field expire time Redis accepts (ms): its EB_EXPIRE_TIME_MAX >> 2, 2^46 - 1. */
export const HFE_MAX_ABS_TIME_MSEC = 2 ** 46 - 1;

/**
 * The field TTLs of a hash (HashValue.ex), created when a field first gets
 * one. An expire time is absolute ms, 0 meaning none (Redis's HASH_LP_NO_TTL).
 * It is also the hash's entry in its db's index (keyspace/hfe.ts).
 */
export class HashEx implements HfeEntry {
  /** listpackex: one expire time per pair of HashValue.lp; null for a hashtable. */
  lpt: number[] | null = null;
  /** hashtable: field -> expire time, for the fields that have one. */
  map: Map<string, number> | null = null;
  /**
   * hashtable: a binary min-heap of (time, field) pairs over `map`, in two
   * parallel arrays, cleaned lazily: an entry counts only while `map` still
   * gives that field that time. Rebuilt from `map` when mostly stale.
   */
  hAt: number[] = [];
  hF: string[] = [];
  // HfeEntry: the registration in the db's index
  pos = -1;
  key = '';
  at = 0;

  /** A copy of the TTLs without the index registration (COPY, DUMP round trips). */
  copy(): HashEx {
    const e = new HashEx();
    if (this.lpt !== null) e.lpt = this.lpt.slice();
    if (this.map !== null) {
      e.map = new Map(this.map);
      e.rebuildHeap();
    }
    return e;
  }

  /** Pushes (at, f) on the heap. */
  heapPush(at: number, f: string): void {
    const A = this.hAt;
    const F = this.hF;
    let i = A.length;
    A.push(at);
    F.push(f);
    while (i > 0) {
      const p = (i - 1) >>> 1;
      if (A[p]! <= at) break;
      A[i] = A[p]!;
      F[i] = F[p]!;
      i = p;
    }
    A[i] = at;
    F[i] = f;
  }

  /** Removes the top of the heap. */
  heapPop(): void {
    const A = this.hAt;
    const F = this.hF;
    const at = A.pop()!;
    const f = F.pop()!;
    const n = A.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && A[c + 1]! < A[c]!) c++;
      if (A[c]! >= at) break;
      A[i] = A[c]!;
      F[i] = F[c]!;
      i = c;
    }
    A[i] = at;
    F[i] = f;
  }

  /** Drops stale entries from the top of the heap; returns the top's time, or 0 when empty. */
  heapTop(): number {
    const map = this.map!;
    while (this.hAt.length !== 0) {
      const at = this.hAt[0]!;
      if (map.get(this.hF[0]!) === at) return at;
      this.heapPop();
    }
    return 0;
  }

  /** Rebuilds the heap from `map` (O(n)). */
  rebuildHeap(): void {
    this.hAt = [];
    this.hF = [];
    for (const [f, at] of this.map!) this.heapPush(at, f);
  }
}

export class HashValue implements Collection {
  // On the prototype (below), not in each object: that slot pays for `ex`,
  // so a hash without field TTLs is no bigger than before them.
  declare readonly type: 'hash';
  /** listpack encoding: flat [f, v, f, v, ...]; null once a hashtable. */
  lp: string[] | null = [];
  /** hashtable encoding. */
  ht: Dict<string> | null = null;
  /** Field TTLs: null while no field ever had one (listpack, or a plain hashtable). */
  ex: HashEx | null = null;
  /** Bytes of the field and value strings (memBytes()). */
  private sb = 0;
  acct = 0;

  encoding(): string {
    return this.lp ? (this.ex !== null ? 'listpackex' : 'listpack') : 'hashtable';
  }

  get size(): number {
    return this.lp ? this.lp.length >>> 1 : this.ht!.size;
  }

  dup(): HashValue {
    const h = new HashValue();
    h.sb = this.sb;
    if (this.lp) h.lp = this.lp.slice();
    else {
      h.lp = null;
      h.ht = new Dict<string>();
      const src = this.ht!;
      for (let i = 0; i < src.size; i++) h.ht.set(src.keyAt(i), src.valAt(i));
    }
    if (this.ex !== null) h.ex = this.ex.copy();
    return h;
  }

  /** Converts to the hashtable encoding (no-op when already one); field TTLs move along. */
  toHashtable(): void {
    const lp = this.lp;
    if (!lp) return;
    const d = new Dict<string>();
    for (let i = 0; i < lp.length; i += 2) d.set(lp[i]!, lp[i + 1]!);
    const ex = this.ex;
    if (ex !== null) {
      const lpt = ex.lpt!;
      const map = new Map<string, number>();
      for (let k = 0; k < lpt.length; k++) if (lpt[k] !== 0) map.set(lp[2 * k]!, lpt[k]!);
      ex.lpt = null;
      ex.map = map;
      ex.rebuildHeap();
    }
    this.ht = d;
    this.lp = null;
  }

  /**
   * Makes the hash able to hold field TTLs (Redis's hashTypeSetExInit): a
   * listpack becomes a listpackex (every pair without a TTL), a hashtable
   * gets its TTL map. No-op when already so.
   */
  enableTtls(): HashEx {
    if (this.ex !== null) return this.ex;
    const ex = new HashEx();
    if (this.lp) ex.lpt = new Array<number>(this.lp.length >>> 1).fill(0);
    else ex.map = new Map();
    this.ex = ex;
    return ex;
  }

  /** Index of a field in the listpack array, or -1. */
  private lpFind(f: string): number {
    const lp = this.lp!;
    for (let i = 0; i < lp.length; i += 2) if (lp[i] === f) return i;
    return -1;
  }

  /**
   * listpackex: moves pair number k to where a field expiring at `at`
   * belongs (Redis's listpackExUpdateExpiry): before the first pair with no
   * TTL or a TTL not below `at`; at the end when `at` is 0.
   */
  private lpMove(k: number, at: number): void {
    const lp = this.lp!;
    const lpt = this.ex!.lpt!;
    const f = lp[2 * k]!;
    const v = lp[2 * k + 1]!;
    lp.splice(2 * k, 2);
    lpt.splice(k, 1);
    let j = lpt.length;
    if (at !== 0) {
      j = 0;
      while (j < lpt.length && lpt[j] !== 0 && lpt[j]! < at) j++;
    }
    lp.splice(2 * j, 0, f, v);
    lpt.splice(j, 0, at);
  }

  get(f: string): string | undefined {
    if (this.lp) {
      const i = this.lpFind(f);
      return i < 0 ? undefined : this.lp[i + 1];
    }
    return this.ht!.get(f);
  }

  has(f: string): boolean {
    return this.lp ? this.lpFind(f) >= 0 : this.ht!.has(f);
  }

  /**
   * Sets a field; returns true when it was added. Converts to a hashtable
   * when the listpack grows beyond `maxEntries` (callers check value lengths
   * before with `tooLong`). Overwriting a field drops its TTL unless keepTtl
   * (Redis's HASH_SET_KEEP_TTL: HINCRBY, HSETEX KEEPTTL); in a listpackex the
   * field then moves to the end, as in Redis.
   */
  set(f: string, v: string, maxEntries: number, keepTtl = false): boolean {
    const lp = this.lp;
    if (lp) {
      const i = this.lpFind(f);
      if (i >= 0) {
        this.sb += strBytes(v.length) - strBytes(lp[i + 1]!.length);
        lp[i + 1] = v;
        const ex = this.ex;
        if (ex !== null && !keepTtl && ex.lpt![i >>> 1] !== 0) this.lpMove(i >>> 1, 0);
        return false;
      }
      lp.push(f, v);
      this.sb += strBytes(f.length) + strBytes(v.length);
      if (this.ex !== null) this.ex.lpt!.push(0);
      if (lp.length >>> 1 > maxEntries) this.toHashtable();
      return true;
    }
    if (this.setInTable(f, v)) return true;
    if (!keepTtl && this.ex !== null) this.ex.map!.delete(f);
    return false;
  }

  /**
   * Sets a field of the hashtable encoding, field TTLs left alone (HSET's
   * fast path calls it for a hashtable without any); true when added.
   */
  setInTable(f: string, v: string): boolean {
    const ht = this.ht!;
    const slot = ht.slot(f);
    if (slot < 0) {
      ht.addAfterMiss(f, v);
      this.sb += strBytes(f.length) + strBytes(v.length);
      return true;
    }
    this.sb += strBytes(v.length) - strBytes(ht.valAt(slot).length);
    ht.setAt(slot, v);
    return false;
  }

  /** Removes a field (and its TTL); returns true when it existed. */
  delete(f: string): boolean {
    const lp = this.lp;
    if (lp) {
      const i = this.lpFind(f);
      if (i < 0) return false;
      this.sb -= strBytes(f.length) + strBytes(lp[i + 1]!.length);
      lp.splice(i, 2);
      if (this.ex !== null) this.ex.lpt!.splice(i >>> 1, 1);
      return true;
    }
    const old = this.ht!.delete(f);
    if (old === undefined) return false;
    this.sb -= strBytes(f.length) + strBytes(old.length);
    if (this.ex !== null) this.ex.map!.delete(f);
    return true;
  }

  /** Calls fn for each field and value, in encoding order. */
  forEach(fn: (f: string, v: string) => void): void {
    if (this.lp) {
      const lp = this.lp;
      for (let i = 0; i < lp.length; i += 2) fn(lp[i]!, lp[i + 1]!);
    } else {
      const ht = this.ht!;
      for (let i = 0; i < ht.size; i++) fn(ht.keyAt(i), ht.valAt(i));
    }
  }

  /** The field at position i (0 <= i < size). */
  fieldAt(i: number): string {
    return this.lp ? this.lp[i * 2]! : this.ht!.keyAt(i);
  }

  /** The value at position i (0 <= i < size). */
  valueAt(i: number): string {
    return this.lp ? this.lp[i * 2 + 1]! : this.ht!.valAt(i);
  }

  /* -------------------------------------------------------------------------
   * Field TTLs. Times are absolute ms; 0 means no TTL. As in Redis, a field
   * is logically expired when its time is before now (lazy expiry, reads),
   * and the active cycle takes the ones at or before now.
   * ----------------------------------------------------------------------- */

  /** A field's expire time: 0 when it has none, undefined when there is no such field. */
  expireOf(f: string): number | undefined {
    const ex = this.ex;
    if (this.lp) {
      const i = this.lpFind(f);
      if (i < 0) return undefined;
      return ex === null ? 0 : ex.lpt![i >>> 1]!;
    }
    if (!this.ht!.has(f)) return undefined;
    return ex === null ? 0 : (ex.map!.get(f) ?? 0);
  }

  /** The expire time of the field at position i (0: none). */
  expireAt(i: number): number {
    const ex = this.ex;
    if (ex === null) return 0;
    return this.lp ? ex.lpt![i]! : (ex.map!.get(this.ht!.keyAt(i)) ?? 0);
  }

  /**
   * Gives existing field f the expire time `at` (> 0). The hash must have
   * its TTLs enabled (enableTtls). The caller refiles the hash in its db's
   * index (Db.hfeTrack).
   */
  setExpire(f: string, at: number): void {
    const ex = this.ex!;
    if (this.lp) {
      this.lpMove(this.lpFind(f) >>> 1, at);
      return;
    }
    const map = ex.map!;
    map.set(f, at);
    ex.heapPush(at, f);
    if (ex.hAt.length > 2 * map.size + 64) ex.rebuildHeap();
  }

  /** Removes field f's TTL (HPERSIST); true when it had one. */
  persistField(f: string): boolean {
    const ex = this.ex;
    if (ex === null) return false;
    if (this.lp) {
      const i = this.lpFind(f);
      if (i < 0 || ex.lpt![i >>> 1] === 0) return false;
      this.lpMove(i >>> 1, 0);
      return true;
    }
    return ex.map!.delete(f);
  }

  /** The earliest field expire time, or 0 when no field has a TTL. */
  minExpire(): number {
    const ex = this.ex;
    if (ex === null) return 0;
    if (this.lp) return ex.lpt!.length === 0 ? 0 : ex.lpt![0]!;
    return ex.map!.size === 0 ? 0 : ex.heapTop();
  }

  /** Whether some field has a TTL. */
  hasFieldTtls(): boolean {
    const ex = this.ex;
    if (ex === null) return false;
    return this.lp ? ex.lpt!.length !== 0 && ex.lpt![0] !== 0 : ex.map!.size !== 0;
  }

  /** Number of fields with a TTL. */
  ttlCount(): number {
    const ex = this.ex;
    if (ex === null) return 0;
    if (this.lp) {
      const lpt = ex.lpt!;
      let n = 0;
      while (n < lpt.length && lpt[n] !== 0) n++;
      return n;
    }
    return ex.map!.size;
  }

  /** Number of fields logically expired at `now` (time before now): HGETALL's length is size minus this. */
  countExpired(now: number): number {
    const ex = this.ex;
    if (ex === null) return 0;
    let n = 0;
    if (this.lp) {
      for (const at of ex.lpt!) {
        if (at === 0 || at >= now) break;
        n++;
      }
    } else for (const at of ex.map!.values()) if (at < now) n++;
    return n;
  }

  /**
   * Up to `max` fields whose time is at or before `now`, earliest first (the
   * active expire cycle, which then deletes every one of them: for a
   * hashtable they are taken off the heap here).
   */
  takeDue(now: number, max: number): string[] {
    const ex = this.ex;
    const out: string[] = [];
    if (ex === null) return out;
    if (this.lp) {
      const lpt = ex.lpt!;
      for (let k = 0; k < lpt.length && out.length < max; k++) {
        const at = lpt[k]!;
        if (at === 0 || at > now) break;
        out.push(this.lp[2 * k]!);
      }
      return out;
    }
    while (out.length < max) {
      const at = ex.heapTop();
      if (at === 0 || at > now) break;
      out.push(ex.hF[0]!);
      ex.heapPop();
    }
    return out;
  }

  /** Calls fn for each field with a TTL and its time (AOF rewrite). */
  forEachExpire(fn: (f: string, at: number) => void): void {
    const ex = this.ex;
    if (ex === null) return;
    if (this.lp) {
      const lpt = ex.lpt!;
      for (let k = 0; k < lpt.length && lpt[k] !== 0; k++) fn(this.lp[2 * k]!, lpt[k]!);
    } else for (const [f, at] of ex.map!) fn(f, at);
  }

  /**
   * One HSCAN step over the hashtable encoding (see Dict.scan: the cursor is
   * the number of slots still to visit). Small encodings are returned whole
   * by the caller with cursor 0, as Redis does.
   */
  scan(cursor: number, count: number, fn: (f: string, v: string) => void): number {
    return this.ht!.scan(cursor, count, fn);
  }

  /**
   * Bytes in V8 (Collection.memBytes): the object, the listpack array or the
   * dict's structure, the field and value strings, and the field TTLs (a
   * time per pair in a listpackex; a Map entry and two heap slots per TTL).
   */
  memBytes(): number {
    let b = HASH_OBJ + this.sb + (this.lp !== null ? arrBytes(this.lp.length) : this.ht!.structBytes());
    const ex = this.ex;
    if (ex !== null) {
      b += HASHEX_OBJ;
      if (ex.lpt !== null) b += arrBytes(ex.lpt.length);
      // a Map entry per TTL (its time a HeapNumber), and the heap's two arrays
      else b += MAP_BASE + ex.map!.size * (MAP_ENTRY + HEAP_NUMBER) + 2 * (ARR_BASE + 8 * arrCap(ex.hAt.length));
    }
    return b;
  }

  /** Recomputes the byte counter after `lp` was assigned whole (RDB loading). O(n). */
  recount(): void {
    let b = 0;
    this.forEach((f, v) => {
      b += strBytes(f.length) + strBytes(v.length);
    });
    this.sb = b;
  }

}

Object.defineProperty(HashValue.prototype, 'type', { value: 'hash', enumerable: true });

/** True when a field or value is longer than hash-max-listpack-value. */
export function tooLong(s: string, maxValue: number): boolean {
  return s.length > maxValue;
}
