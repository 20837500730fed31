/**
 * The keyspace dictionary: a hash index from key to a dense slot, beside
 * paged arrays of keys and values. This gives
 *  - O(1) lookup through the index (keyindex.ts): an open-addressing table of
 *    [hash, slot] pairs in an Int32Array, cheaper than a V8 Map per lookup
 *    and per key (bench/micro/maplookup.mjs);
 *  - O(1) uniformly random sampling (RANDOMKEY, eviction, active expiry): pick
 *    a random slot;
 *  - SCAN's guarantee: deletion swaps the last slot into the hole, so an entry
 *    only ever moves to a lower slot. SCAN walks slots from the top down, so an
 *    entry present for the whole scan is never skipped (it may be returned twice).
 *
 * Slot s lives at page s >>> PAGE_SHIFT, offset s & PAGE_MASK. A page is a
 * plain JS array grown by push up to PAGE entries; the next slot starts a new
 * page, so growth never copies more than one page. One flat array grew by
 * copying all of itself (V8 grows by half): 73-402 ms stalls at 4.4M, 6.6M
 * and 9.9M keys (bench/micro/dict-growth.mjs, bench/RESULTS.md). The page
 * directories are small (one entry per 65,536 slots) and stay in cache, so
 * the extra load per access measured as noise beside the index's cache misses.
 *
 * Optionally per-slot access metadata (LRU clock or LFU counter, as Redis
 * keeps 24 bits in each object) moves with its slot, in one Uint32Array per
 * page, outside the JS heap (4 bytes per slot). The first page's grows by
 * half when full and halves when under a quarter full; later pages are
 * allocated whole, from SharedArrayBuffers (keyindex.ts: uint32Table).
 */
import { KeyIndex, PAGE, PAGE_MASK, PAGE_SHIFT, uint32Table } from './keyindex.js';
import { ARR_BASE, OBJ, TYPED_BASE, arrCap } from '../util/v8size.js';
import { BATCH_KEYS } from './key-batch.js';

/** The Dict object itself (index, kp, vp, mp, n, cap, dirCap). */
const DICT_OBJ = OBJ + 7 * 8;
/** prefetch()'s scratch: the slots found, then the keys and values read (emptied after each use). */
const prefetchSlots = new Int32Array(BATCH_KEYS);
const prefetchRefs: unknown[] = new Array<unknown>(2 * BATCH_KEYS).fill(undefined);
/** The capacity of a page array grown by push to PAGE entries. */
const FULL_CAP = arrCap(PAGE);
/** Bytes of the keys and vals arrays of one full page (both). */
const FULL_PAGE_BYTES = 2 * (ARR_BASE + 8 * FULL_CAP);

/** The capacity V8 gives a full array of capacity c when one more element is pushed. */
function grownCap(c: number): number {
  const n = c + 1;
  return n + (n >>> 1) + 16;
}

/** A read-only copy of a dict's keys in slot order (Dict.keysSnapshot): the snapshot walks it. */
export class KeySnapshot {
  constructor(
    private readonly pages: readonly (readonly string[])[],
    readonly length: number,
  ) {}

  /** The key that was at slot i (0 <= i < length). */
  at(i: number): string {
    return this.pages[i >>> PAGE_SHIFT]![i & PAGE_MASK]!;
  }
}

/** Told of every key a Dict adds and removes (cluster mode's slot → keys index: keyspace/slot-keys.ts). */
export interface KeyTracker {
  added(key: string): void;
  removed(key: string): void;
  cleared(): void;
}

export class Dict<V> {
  /** Null but for the main dict of db 0 in cluster mode: one field check per insert and delete. */
  tracker: KeyTracker | null = null;
  private index = new KeyIndex();
  /** Pages of keys: slot s at kp[s >>> PAGE_SHIFT][s & PAGE_MASK]; all full but the last. */
  private kp: string[][] = [[]];
  /** Pages of values, as kp. */
  private vp: V[][] = [[]];
  /** Pages of per-slot metadata (the first grows; later ones have PAGE entries), or null. */
  private mp: Uint32Array[] | null;
  /** Entries. */
  private n = 0;
  /**
   * The capacity V8 gave the last page's keys and vals arrays (their
   * high-water mark since that page was started: push grows them by half,
   * pops mostly leave them), for structBytes().
   */
  private cap = 0;
  /** The capacity of the page directories kp and vp (array literals of 1, grown by push). */
  private dirCap = 1;

  constructor(withMeta = false) {
    this.mp = withMeta ? [new Uint32Array(16)] : null;
  }

  get size(): number {
    return this.n;
  }

  /** Whether the dict keeps per-slot metadata (the db's main dict does). */
  get hasMeta(): boolean {
    return this.mp !== null;
  }

  /**
   * The value of a key. `h` (here and in has, slot, set, swap, delete): the key's
   * hashKey(), when the caller already has it (a db hashes a key once for
   * its keys and its TTLs).
   */
  get(key: string, h?: number): V | undefined {
    const i = this.index.findPaged(key, this.kp, h);
    return i < 0 ? undefined : this.vp[i >>> PAGE_SHIFT]![i & PAGE_MASK];
  }

  has(key: string, h?: number): boolean {
    return this.index.findPaged(key, this.kp, h) >= 0;
  }

  /** The slot of a key, or -1. */
  slot(key: string, h?: number): number {
    return this.index.findPaged(key, this.kp, h);
  }

  /**
   * Reads, for a batch of keys about to be looked up (their hashes, at most
   * BATCH_KEYS), the index entries, then the key, the value and the access
   * metadata (which every lookup reads or writes) of each found entry, loop
   * by loop, so that the cache misses of the batch overlap instead of coming
   * one key at a time (see key-batch.ts). Returns a
   * number made from what was read (nothing to use).
   */
  prefetch(hashes: Int32Array, n: number): number {
    const slots = prefetchSlots;
    const refs = prefetchRefs;
    this.index.firstSlots(hashes, n, slots);
    const kp = this.kp;
    const vp = this.vp;
    const mp = this.mp;
    let m = 0;
    let x = 0;
    for (let i = 0; i < n; i++) {
      const s = slots[i]!;
      if (s < 0) continue;
      refs[m++] = kp[s >>> PAGE_SHIFT]![s & PAGE_MASK];
      refs[m++] = vp[s >>> PAGE_SHIFT]![s & PAGE_MASK];
      if (mp !== null) x ^= mp[s >>> PAGE_SHIFT]![s & PAGE_MASK]!;
    }
    for (let i = 0; i < m; i++) {
      const r = refs[i];
      if (typeof r === 'string') x ^= r.length;
      refs[i] = undefined;
    }
    return x;
  }

  /** The key in a slot (0 <= slot < size). */
  keyAt(slot: number): string {
    return this.kp[slot >>> PAGE_SHIFT]![slot & PAGE_MASK]!;
  }

  /** The value in a slot (0 <= slot < size). */
  valAt(slot: number): V {
    return this.vp[slot >>> PAGE_SHIFT]![slot & PAGE_MASK]!;
  }

  /** Replaces the value in an existing slot. */
  setAt(slot: number, val: V): void {
    this.vp[slot >>> PAGE_SHIFT]![slot & PAGE_MASK] = val;
  }

  /** The metadata of a slot (0 <= slot < size; a dict made withMeta). */
  metaAt(slot: number): number {
    return this.mp![slot >>> PAGE_SHIFT]![slot & PAGE_MASK]!;
  }

  /** Sets the metadata of a slot (0 <= slot < size; a dict made withMeta). */
  setMetaAt(slot: number, m: number): void {
    this.mp![slot >>> PAGE_SHIFT]![slot & PAGE_MASK] = m;
  }

  /** Sets a key; returns true when it was added (not replaced). */
  set(key: string, val: V, metaVal = 0, keepMeta = false, h?: number): boolean {
    const i = this.index.findPaged(key, this.kp, h);
    if (i >= 0) {
      this.vp[i >>> PAGE_SHIFT]![i & PAGE_MASK] = val;
      // A new value is a fresh access (OBJECT IDLETIME 0), except that under LFU
      // Redis carries the old counter over to the new value (keepMeta).
      if (this.mp !== null && !keepMeta) this.mp[i >>> PAGE_SHIFT]![i & PAGE_MASK] = metaVal;
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
  swap(key: string, val: V, metaVal = 0, keepMeta = false, h?: number): V | undefined {
    const i = this.index.findPaged(key, this.kp, h);
    if (i >= 0) {
      const page = this.vp[i >>> PAGE_SHIFT]!;
      const old = page[i & PAGE_MASK];
      page[i & PAGE_MASK] = val;
      if (this.mp !== null && !keepMeta) this.mp[i >>> PAGE_SHIFT]![i & PAGE_MASK] = metaVal;
      return old;
    }
    this.addAfterMiss(key, val, metaVal);
    return undefined;
  }

  /**
   * Appends a key known to be absent, reusing the hash of the lookup that
   * just missed it: it must directly follow a get/has/slot of the same key,
   * with no other lookup on this Dict in between (set() and ZSet's insert).
   * A slot at a page boundary starts a new page (no copy of the full ones).
   */
  addAfterMiss(key: string, val: V, metaVal = 0): void {
    const n = this.n;
    const off = n & PAGE_MASK;
    if (off === 0 && n !== 0) this.addPage();
    if (off >= this.cap) this.cap = arrCap(off + 1);
    this.index.insert(n); // the hash of the find() that missed
    if (this.tracker !== null) this.tracker.added(key);
    const last = this.kp.length - 1;
    this.kp[last]!.push(key);
    this.vp[last]!.push(val);
    this.n = n + 1;
    const mp = this.mp;
    if (mp !== null) {
      let m = mp[last]!;
      if (off >= m.length) {
        // only the first page grows; later ones are allocated whole
        const g = uint32Table(Math.min(PAGE, m.length + (m.length >>> 1)));
        g.set(m);
        mp[last] = m = g;
      }
      m[off] = metaVal;
    }
  }

  /** Starts a new, empty last page (the current last is full). */
  private addPage(): void {
    if (this.kp.length === this.dirCap) this.dirCap = grownCap(this.dirCap);
    this.kp.push([]);
    this.vp.push([]);
    this.mp?.push(uint32Table(PAGE, true));
    this.cap = 0;
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

  /**
   * Makes room for `n` keys in all (the index grows once; see
   * KeyIndex.reserve). The first metadata page grows to up to `n` entries;
   * key and value pages still grow as they fill.
   */
  reserve(n: number): void {
    this.index.reserve(n);
    const mp = this.mp;
    if (mp !== null && mp.length === 1 && mp[0]!.length < n) {
      const m = uint32Table(Math.min(PAGE, n));
      m.set(mp[0]!);
      mp[0] = m;
    }
  }

  /** Removes a key; returns its value or undefined. The last slot moves into the hole. */
  delete(key: string, h?: number): V | undefined {
    const i = this.index.findPaged(key, this.kp, h);
    if (i < 0) return undefined;
    this.index.remove(key, i, this.index.lastHash); // find() above hashed the key
    if (this.tracker !== null) this.tracker.removed(key);
    const last = this.n - 1;
    const lp = this.kp.length - 1;
    const lo = last & PAGE_MASK;
    const lk = this.kp[lp]!.pop()!;
    const lv = this.vp[lp]!.pop()!;
    const mp = this.mp;
    let val = lv;
    if (i !== last) {
      const p = i >>> PAGE_SHIFT;
      const o = i & PAGE_MASK;
      const vpage = this.vp[p]!;
      val = vpage[o]!;
      this.kp[p]![o] = lk;
      vpage[o] = lv;
      if (mp !== null) mp[p]![o] = mp[lp]![lo]!;
      this.index.move(lk, last, i);
    }
    this.n = last;
    if (lo === 0 && lp !== 0) {
      // the last page emptied: drop it; the one before is full
      this.kp.pop();
      this.vp.pop();
      mp?.pop();
      this.cap = FULL_CAP;
    } else if (mp !== null && lp === 0) {
      // V8 trims the JS arrays and the Map after mass deletes; do the same
      // for the first metadata page (halve it below a quarter full, so
      // growth and shrinking never thrash).
      const m = mp[0]!;
      if (m.length > 1024 && last < m.length >>> 2) {
        const s = uint32Table(m.length >>> 1);
        s.set(m.subarray(0, s.length));
        mp[0] = s;
      }
    }
    return val;
  }

  /** A key at a uniformly random slot, or undefined when empty. */
  randomKey(random: () => number = Math.random): string | undefined {
    const n = this.n;
    return n === 0 ? undefined : this.keyAt(Math.floor(random() * n));
  }

  /**
   * One SCAN step. Cursor 0 starts a scan; the cursor is the number of slots
   * still to visit, counted from the bottom. Visits up to `count` slots from
   * the top down, calling fn for each, and returns the next cursor (0 = done).
   */
  scan(cursor: number, count: number, fn: (key: string, val: V) => void): number {
    let c = cursor === 0 || cursor > this.n ? this.n : cursor;
    let visited = 0;
    while (c > 0 && visited < count) {
      c--;
      fn(this.keyAt(c), this.valAt(c));
      visited++;
    }
    return c;
  }

  /**
   * A copy of the keys in slot order, taken page by page (no single copy of
   * them all): a snapshot walks it while the dict changes.
   */
  keysSnapshot(): KeySnapshot {
    return new KeySnapshot(
      this.kp.map((p) => p.slice()),
      this.n,
    );
  }

  clear(): void {
    this.tracker?.cleared();
    this.index.clear();
    this.kp = [[]];
    this.vp = [[]];
    this.n = 0;
    this.cap = 0;
    this.dirCap = 1;
    if (this.mp !== null) this.mp = [new Uint32Array(16)];
  }

  /**
   * Bytes of the structure, not of the keys and values it points to: this
   * object, the page directories, the keys and vals pages (full ones at the
   * capacity push gives them, the last at its high-water capacity), the hash
   * index and the metadata pages. O(1); the memory accounting's "overhead" of
   * a db or of a hash/zset in the hashtable encoding.
   */
  structBytes(): number {
    const pages = this.kp.length;
    let b =
      DICT_OBJ +
      2 * (ARR_BASE + 8 * this.dirCap) +
      (pages - 1) * FULL_PAGE_BYTES +
      2 * (ARR_BASE + 8 * this.cap) +
      this.index.bytes();
    const mp = this.mp;
    if (mp !== null)
      b += ARR_BASE + 8 * this.dirCap + pages * TYPED_BASE + (pages - 1) * PAGE * 4 + mp[pages - 1]!.byteLength;
    return b;
  }

  /** Iterates over [key, value] pairs (no mutation during iteration). */
  *entries(): IterableIterator<[string, V]> {
    for (let i = 0; i < this.n; i++) yield [this.keyAt(i), this.valAt(i)];
  }
}
