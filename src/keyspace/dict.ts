/**
 * The keyspace dictionary: a hash index from key to a dense slot, beside dense
 * arrays of keys and values. This gives
 *  - O(1) lookup through the index (keyindex.ts): an open-addressing table of
 *    [hash, slot] pairs in an Int32Array, cheaper than a V8 Map per lookup
 *    and per key (bench/micro/maplookup.mjs);
 *  - O(1) uniformly random sampling (RANDOMKEY, eviction, active expiry): pick
 *    a random slot;
 *  - SCAN's guarantee: deletion swaps the last slot into the hole, so an entry
 *    only ever moves to a lower slot. SCAN walks slots from the top down, so an
 *    entry present for the whole scan is never skipped (it may be returned twice).
 *
 * Optionally a Uint32Array of per-slot access metadata (LRU clock or LFU
 * counter, as Redis keeps 24 bits in each object) moves with its slot. It
 * lives outside the JS heap (4 bytes per slot), grows by half when full and halves
 * when under a quarter full.
 */
import { KeyIndex, uint32Table } from './keyindex.js';
import { ARR_BASE, OBJ, TYPED_BASE, arrCap } from '../util/v8size.js';

/** The Dict object itself (index, keys, vals, meta, cap). */
const DICT_OBJ = OBJ + 5 * 8;

export class Dict<V> {
  private index = new KeyIndex();
  keys: string[] = [];
  vals: V[] = [];
  meta: Uint32Array | null;
  /**
   * The capacity V8 gave the keys and vals arrays (their high-water mark:
   * push grows them by half, pops leave them), for structBytes().
   */
  private cap = 0;

  constructor(withMeta = false) {
    this.meta = withMeta ? new Uint32Array(16) : null;
  }

  get size(): number {
    return this.keys.length;
  }

  get(key: string): V | undefined {
    const i = this.index.find(key, this.keys);
    return i < 0 ? undefined : this.vals[i];
  }

  has(key: string): boolean {
    return this.index.find(key, this.keys) >= 0;
  }

  /** The slot of a key, or -1. */
  slot(key: string): number {
    return this.index.find(key, this.keys);
  }

  /** Sets a key; returns true when it was added (not replaced). */
  set(key: string, val: V, metaVal = 0, keepMeta = false): boolean {
    const i = this.index.find(key, this.keys);
    if (i >= 0) {
      this.vals[i] = val;
      // A new value is a fresh access (OBJECT IDLETIME 0), except that under LFU
      // Redis carries the old counter over to the new value (keepMeta).
      if (this.meta && !keepMeta) this.meta[i] = metaVal;
      return false;
    }
    this.addAfterMiss(key, val, metaVal);
    return true;
  }

  /**
   * set() that returns the value it replaced, or undefined when the key was
   * added (values are never undefined): the keyspace's store, which counts
   * the difference in size.
   */
  swap(key: string, val: V, metaVal = 0, keepMeta = false): V | undefined {
    const i = this.index.find(key, this.keys);
    if (i >= 0) {
      const old = this.vals[i];
      this.vals[i] = val;
      if (this.meta && !keepMeta) this.meta[i] = metaVal;
      return old;
    }
    this.addAfterMiss(key, val, metaVal);
    return undefined;
  }

  /**
   * Appends a key known to be absent, reusing the hash of the lookup that
   * just missed it: it must directly follow a get/has/slot of the same key,
   * with no other lookup on this Dict in between (set() and ZSet's insert).
   */
  addAfterMiss(key: string, val: V, metaVal = 0): void {
    const n = this.keys.length;
    if (n >= this.cap) this.cap = arrCap(n + 1);
    this.index.insert(n); // the hash of the find() that missed
    this.keys.push(key);
    this.vals.push(val);
    if (this.meta) {
      if (n >= this.meta.length) {
        const m = uint32Table(this.meta.length + (this.meta.length >>> 1));
        m.set(this.meta);
        this.meta = m;
      }
      this.meta[n] = metaVal;
    }
  }

  /**
   * Moves up to `positions` positions of the index's old table during a
   * resize (KeyIndex: resizes are incremental); returns the positions
   * visited, 0 when no resize is under way. The server's cron calls it.
   */
  rehashStep(positions: number): number {
    return this.index.migrate(positions);
  }

  /** Whether the index is in the middle of a resize. */
  get rehashing(): boolean {
    return this.index.resizing;
  }

  /** Makes room for `n` keys in all (the index grows once; see KeyIndex.reserve). */
  reserve(n: number): void {
    this.index.reserve(n);
    if (this.meta && this.meta.length < n) {
      const m = uint32Table(n);
      m.set(this.meta);
      this.meta = m;
    }
  }

  /** Replaces the value in an existing slot. */
  setAt(slot: number, val: V): void {
    this.vals[slot] = val;
  }

  /** Removes a key; returns its value or undefined. The last slot moves into the hole. */
  delete(key: string): V | undefined {
    const i = this.index.find(key, this.keys);
    if (i < 0) return undefined;
    const val = this.vals[i]!;
    this.index.remove(key, i, this.index.lastHash); // find() above hashed the key
    const last = this.keys.length - 1;
    if (i !== last) {
      const lk = this.keys[last]!;
      this.keys[i] = lk;
      this.vals[i] = this.vals[last]!;
      if (this.meta) this.meta[i] = this.meta[last]!;
      this.index.move(lk, last, i);
    }
    this.keys.pop();
    this.vals.pop();
    // V8 trims the JS arrays and the Map after mass deletes; do the same for
    // the metadata (halve it below a quarter full, so growth and shrinking
    // never thrash).
    if (this.meta && this.meta.length > 1024 && last < this.meta.length >>> 2) {
      const m = uint32Table(this.meta.length >>> 1);
      m.set(this.meta.subarray(0, m.length));
      this.meta = m;
    }
    return val;
  }

  /** A key at a uniformly random slot, or undefined when empty. */
  randomKey(random: () => number = Math.random): string | undefined {
    const n = this.keys.length;
    return n === 0 ? undefined : this.keys[Math.floor(random() * n)];
  }

  /**
   * One SCAN step. Cursor 0 starts a scan; the cursor is the number of slots
   * still to visit, counted from the bottom. Visits up to `count` slots from
   * the top down, calling fn for each, and returns the next cursor (0 = done).
   */
  scan(cursor: number, count: number, fn: (key: string, val: V) => void): number {
    let c = cursor === 0 || cursor > this.keys.length ? this.keys.length : cursor;
    let visited = 0;
    while (c > 0 && visited < count) {
      c--;
      fn(this.keys[c]!, this.vals[c]!);
      visited++;
    }
    return c;
  }

  clear(): void {
    this.index.clear();
    this.keys = [];
    this.vals = [];
    this.cap = 0;
    if (this.meta) this.meta = new Uint32Array(16);
  }

  /**
   * Bytes of the structure, not of the keys and values it points to: this
   * object, the keys and vals arrays at their capacity, the hash index and
   * the metadata array. O(1); the memory accounting's "overhead" of a db or
   * of a hash/zset in the hashtable encoding.
   */
  structBytes(): number {
    return DICT_OBJ + 2 * (ARR_BASE + 8 * this.cap) + this.index.bytes() + (this.meta === null ? 0 : TYPED_BASE + this.meta.byteLength);
  }

  /** Iterates over [key, value] pairs (no mutation during iteration). */
  *entries(): IterableIterator<[string, V]> {
    for (let i = 0; i < this.keys.length; i++) yield [this.keys[i]!, this.vals[i]!];
  }
}
