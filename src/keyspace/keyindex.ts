/**
 * The keyspace's hash index: key string → dense slot number.
 *
 * An open-addressing table with linear probing, stored as [hash, slot] pairs
 * in one Int32Array, so a probe reads one cache line and compares a key string
 * only when its 32-bit hash matches. Measured against a V8 Map from key to slot
 * (bench/micro/maplookup.mjs, 100k keys, fresh 16-byte key strings): 150 ns a
 * lookup instead of 235 ns, and about 11–23 bytes per key instead of ~35.
 *
 * The hash is keyed (hashKey below), so keys chosen to collide on one server
 * do not collide on another. Deletion uses backward shifting, so there are
 * no tombstones; the table doubles above 70% load and halves below 1/8.
 *
 * Resizing is incremental, as Redis's rehashing: rebuilding the table at once
 * stopped the server for 189 ms at 5.9M keys and 279 ms at 11.7M on a quiet
 * machine (bench/micro/dict-growth.mjs), and a SET took 1.1 s at the 5.9M
 * step of a 6M-key flood on a loaded one. While a resize is under way the old
 * table stays beside the new one: new entries go to the new table, lookups
 * try the new table and then the old, and each insert or remove moves the
 * next MIGRATE_STEP positions of the old table, each lookup FIND_STEP (the
 * cron moves more: Dict.rehashStep). The old table is only ever emptied by
 * tombstones (its hash kept, its slot -1), never by backward shifting, so its
 * probe chains stay intact until the last position has moved and it is
 * dropped. Entries move from their stored hashes: no string is hashed again.
 */
import { randomBytes } from 'node:crypto';
import { OBJ, TYPED_BASE } from '../util/v8size.js';

const KEY = randomBytes(8);
const K0 = KEY.readInt32LE(0);
const K1 = KEY.readInt32LE(4);
const MIN_CAPACITY = 16;

/**
 * The keyed 32-bit hash of a key string (never 0, which marks an empty pair):
 * HalfSipHash-1-3, the 32-bit member of the SipHash family (as Linux's
 * hsiphash), with a random 64-bit key per process. Clients choose keys, so
 * the hash must resist deliberate collisions: Redis uses SipHash for the same
 * reason; murmur-style hashes have seed-independent multicollisions. Strings
 * hold one byte per char; a char above 255 (possible only through the
 * in-process API) is folded, which can only add collisions, never errors.
 */
export function hashKey(s: string): number {
  const h = halfSipHash13(s, K0, K1);
  return h === 0 ? 1 : h;
}

/**
 * HalfSipHash-1-3 of the string's bytes (one per char) under the key
 * (k0, k1), as a signed 32-bit integer. Checked against the reference
 * vectors in test/unit/keyindex.test.ts.
 */
export function halfSipHash13(s: string, k0: number, k1: number): number {
  const n = s.length;
  const whole = n & ~3;
  let v0 = k0;
  let v1 = k1;
  let v2 = 0x6c796765 ^ k0;
  let v3 = 0x74656462 ^ k1;
  // One compression round per 4-byte word, the last word being the remaining
  // bytes and the length, then three finalization rounds: one SipRound body
  // per loop, the state in locals. (One loop for all the rounds, branching on
  // the round, took 1.15-1.37x the time; one round function shared by both
  // loops, the state in module variables, 1.6-2x: bench/RESULTS.md.)
  let i = 0;
  for (;;) {
    let m: number;
    if (i < whole) {
      m = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24);
      i += 4;
    } else {
      m = n << 24;
      const rest = n & 3;
      if (rest === 3) m |= (s.charCodeAt(i + 2) & 0xff) << 16;
      if (rest >= 2) m |= (s.charCodeAt(i + 1) & 0xff) << 8;
      if (rest >= 1) m |= s.charCodeAt(i) & 0xff;
      i = -1;
    }
    v3 ^= m;
    v0 = (v0 + v1) | 0;
    v1 = (v1 << 5) | (v1 >>> 27);
    v1 ^= v0;
    v0 = (v0 << 16) | (v0 >>> 16);
    v2 = (v2 + v3) | 0;
    v3 = (v3 << 8) | (v3 >>> 24);
    v3 ^= v2;
    v0 = (v0 + v3) | 0;
    v3 = (v3 << 7) | (v3 >>> 25);
    v3 ^= v0;
    v2 = (v2 + v1) | 0;
    v1 = (v1 << 13) | (v1 >>> 19);
    v1 ^= v2;
    v2 = (v2 << 16) | (v2 >>> 16);
    v0 ^= m;
    if (i < 0) break;
  }
  v2 ^= 0xff;
  for (let r = 0; r < 3; r++) {
    v0 = (v0 + v1) | 0;
    v1 = (v1 << 5) | (v1 >>> 27);
    v1 ^= v0;
    v0 = (v0 << 16) | (v0 >>> 16);
    v2 = (v2 + v3) | 0;
    v3 = (v3 << 8) | (v3 >>> 24);
    v3 ^= v2;
    v0 = (v0 + v3) | 0;
    v3 = (v3 << 7) | (v3 >>> 25);
    v3 ^= v0;
    v2 = (v2 + v1) | 0;
    v1 = (v1 << 13) | (v1 >>> 19);
    v1 ^= v2;
    v2 = (v2 << 16) | (v2 >>> 16);
  }
  return v1 ^ v3;
}

/**
 * Typed arrays of this many bytes or more take their memory from a
 * SharedArrayBuffer. V8 counts a plain ArrayBuffer's memory as "external"
 * and, when that grows fast, collects the whole heap at once to relieve the
 * pressure: allocating a 256 MB Int32Array beside 600 MB of heap was followed
 * by a 1,215 ms mark-compact (the index doubling at 5.9M keys in a 6M-key
 * flood: a 1.1 s stall). A SharedArrayBuffer's memory is not counted so (it
 * shows in process.memoryUsage().arrayBuffers, not in `external`): no
 * collection followed, and lookups in it measured as fast.
 */
const SHARED_MIN_BYTES = 1 << 20;

/** A zeroed Int32Array of n elements (SHARED_MIN_BYTES or more: backed by a SharedArrayBuffer). */
export function int32Table(n: number): Int32Array {
  return n * 4 >= SHARED_MIN_BYTES ? new Int32Array(new SharedArrayBuffer(n * 4)) : new Int32Array(n);
}

/** A zeroed Uint32Array of n elements, backed as int32Table's (or by a SharedArrayBuffer whatever its size: `shared`). */
export function uint32Table(n: number, shared = false): Uint32Array {
  return shared || n * 4 >= SHARED_MIN_BYTES ? new Uint32Array(new SharedArrayBuffer(n * 4)) : new Uint32Array(n);
}

/**
 * Dict keeps its keys and values in pages of PAGE slots (dict.ts): slot s
 * is entry s & PAGE_MASK of page s >>> PAGE_SHIFT. findPaged() reads keys so.
 */
export const PAGE_SHIFT = 16;
export const PAGE = 1 << PAGE_SHIFT;
export const PAGE_MASK = PAGE - 1;

/** Old-table positions moved to the new table per insert or remove during a resize. */
const MIGRATE_STEP = 128;
/** Old-table positions moved per lookup during a resize (a collection nobody writes to finishes too). */
const FIND_STEP = 16;

/**
 * The slot of `key` in table t (pairs [hash, slot], mask m) whose hash is h,
 * or -1: linear probing from h & m to the first empty pair. A slot of -1 is a
 * tombstone of a resize's old table (keys[-1] is no key).
 */
function probe(t: Int32Array, m: number, h: number, key: string, keys: readonly string[]): number {
  let p = h & m;
  for (;;) {
    const e = t[p * 2]!;
    if (e === 0) return -1;
    if (e === h) {
      const s = t[p * 2 + 1]!;
      if (keys[s] === key) return s;
    }
    p = (p + 1) & m;
  }
}

/** probe() for keys kept in pages: slot s holds kp[s >>> PAGE_SHIFT][s & PAGE_MASK] (a tombstone, -1, is tested first). */
function probePaged(t: Int32Array, m: number, h: number, key: string, kp: readonly (readonly string[])[]): number {
  let p = h & m;
  for (;;) {
    const e = t[p * 2]!;
    if (e === 0) return -1;
    if (e === h) {
      const s = t[p * 2 + 1]!;
      if (s >= 0 && kp[s >>> PAGE_SHIFT]![s & PAGE_MASK] === key) return s;
    }
    p = (p + 1) & m;
  }
}

export class KeyIndex {
  /** Pairs [hash, slot]; hash 0 = empty. */
  private table: Int32Array = new Int32Array(MIN_CAPACITY * 2);
  private mask = MIN_CAPACITY - 1;
  /** Entries in both tables. */
  private count = 0;
  /** During a resize: the table being emptied (pairs; slot -1 = moved or removed), else null. */
  private old: Int32Array | null = null;
  private oldMask = 0;
  /** The next position of `old` to move. */
  private moved = 0;
  /** The hash computed by the last find(), reused by insert() and remove() of the same key. */
  lastHash = 0;

  get size(): number {
    return this.count;
  }

  /** Bytes of this index: the object and its tables (memory accounting); both tables during a resize. */
  bytes(): number {
    return (
      OBJ + 7 * 8 + TYPED_BASE + this.table.byteLength + (this.old === null ? 0 : TYPED_BASE + this.old.byteLength)
    );
  }

  /** Whether a resize is under way (tests, Dict.rehashStep). */
  get resizing(): boolean {
    return this.old !== null;
  }

  /**
   * The slot of `key` (keys[slot] === key), or -1. During a resize, also
   * moves a few old positions (findResizing), kept out of this body: in the
   * build that made resizes incremental, find() with the resize's branches
   * inline cost GET under -P 16 15-35% more samples in its handler than
   * without them (bench/RESULTS.md, "The per-command path").
   */
  find(key: string, keys: readonly string[]): number {
    if (this.old !== null) return this.findResizing(key, keys);
    const h = hashKey(key);
    this.lastHash = h;
    return probe(this.table, this.mask, h, key, keys);
  }

  /** find() during a resize: the new table, then the old one. */
  private findResizing(key: string, keys: readonly string[]): number {
    this.migrate(FIND_STEP);
    const h = hashKey(key);
    this.lastHash = h;
    const s = probe(this.table, this.mask, h, key, keys);
    return s >= 0 || this.old === null ? s : probe(this.old, this.oldMask, h, key, keys);
  }

  /**
   * find() for keys kept in pages (Dict): `key` is at slot s when
   * kp[s >>> PAGE_SHIFT][s & PAGE_MASK] is. The same probe as find(), kept
   * apart so each call site sees one shape of key store. `h`: the key's
   * hashKey() when the caller has it (a db's two dicts, keys and TTLs, hash
   * a key alike: one hashing serves both lookups).
   */
  findPaged(key: string, kp: readonly (readonly string[])[], h = hashKey(key)): number {
    if (this.old !== null) return this.findPagedResizing(key, kp, h);
    this.lastHash = h;
    return probePaged(this.table, this.mask, h, key, kp);
  }

  /** findPaged() during a resize (see findResizing). */
  private findPagedResizing(key: string, kp: readonly (readonly string[])[], h: number): number {
    this.migrate(FIND_STEP);
    this.lastHash = h;
    const s = probePaged(this.table, this.mask, h, key, kp);
    return s >= 0 || this.old === null ? s : probePaged(this.old, this.oldMask, h, key, kp);
  }

  /**
   * For each of the first n hashes, the slot at its first probe position
   * when that position holds the same hash, else -1: the index entries of a
   * batch of keys read together (their cache misses overlap). -1 for all
   * during a resize.
   */
  firstSlots(hashes: Int32Array, n: number, out: Int32Array): void {
    if (this.old !== null) {
      out.fill(-1, 0, n);
      return;
    }
    const t = this.table;
    const m = this.mask;
    for (let i = 0; i < n; i++) {
      const h = hashes[i]!;
      const p = (h & m) * 2;
      out[i] = t[p] === h ? t[p + 1]! : -1;
    }
  }

  /**
   * Adds a key known to be absent at `slot`. `hash` defaults to the hash of
   * the key passed to the last find() (the caller's lookup just missed).
   */
  insert(slot: number, hash = this.lastHash): void {
    if (this.old !== null) this.migrate(MIGRATE_STEP);
    if ((this.count + 1) * 10 > (this.mask + 1) * 7) this.startResize((this.mask + 1) * 2);
    this.put(this.table, this.mask, hash, slot);
    this.count++;
  }

  /** Stores (hash, slot) at the first empty position of its probe run in table t. */
  private put(t: Int32Array, m: number, hash: number, slot: number): void {
    let p = hash & m;
    while (t[p * 2] !== 0) p = (p + 1) & m;
    t[p * 2] = hash;
    t[p * 2 + 1] = slot;
  }

  /**
   * Grows the table at once for `n` entries in all (RDB loading knows the
   * count from RESIZEDB, as Redis's dictExpand): no doubling on the way.
   */
  reserve(n: number): void {
    let cap = this.mask + 1;
    while (n * 10 > cap * 7) cap *= 2;
    if (cap === this.mask + 1) return;
    this.startResize(cap);
    this.migrate(Infinity);
  }

  /** Removes `key`, which must be at `slot`; pass `hash` when a find() just computed it. */
  remove(key: string, slot: number, hash = hashKey(key)): void {
    const p = this.position(this.table, this.mask, hash, slot);
    if (p >= 0) this.shiftBack(p);
    else {
      const q = this.old === null ? -1 : this.position(this.old, this.oldMask, hash, slot);
      if (q < 0) return;
      this.old![q * 2 + 1] = -1;
    }
    this.count--;
    if (this.old !== null) this.migrate(MIGRATE_STEP);
    else {
      const cap = this.mask + 1;
      if (cap > 1024 && this.count * 8 < cap) this.startResize(cap / 2);
    }
  }

  /** Records that `key` moved from slot `from` to slot `to`. */
  move(key: string, from: number, to: number): void {
    const h = hashKey(key);
    const p = this.position(this.table, this.mask, h, from);
    if (p >= 0) this.table[p * 2 + 1] = to;
    else if (this.old !== null) {
      const q = this.position(this.old, this.oldMask, h, from);
      if (q >= 0) this.old[q * 2 + 1] = to;
    }
  }

  clear(): void {
    this.table = new Int32Array(MIN_CAPACITY * 2);
    this.mask = MIN_CAPACITY - 1;
    this.count = 0;
    this.old = null;
  }

  /**
   * Moves up to `positions` positions of the old table to the new one; ends
   * the resize when none is left. Returns the positions visited (0 when no
   * resize is under way).
   */
  migrate(positions: number): number {
    const o = this.old;
    if (o === null) return 0;
    const cap = this.oldMask + 1;
    const end = Math.min(cap, this.moved + positions);
    const t = this.table;
    const m = this.mask;
    for (let p = this.moved; p < end; p++) {
      const s = o[p * 2 + 1]!;
      if (o[p * 2] !== 0 && s >= 0) {
        this.put(t, m, o[p * 2]!, s);
        o[p * 2 + 1] = -1;
      }
    }
    const visited = end - this.moved;
    this.moved = end;
    if (end === cap) this.old = null;
    return visited;
  }

  /** The position holding (hash, slot) in table t, or -1. */
  private position(t: Int32Array, m: number, h: number, slot: number): number {
    let p = h & m;
    for (;;) {
      const e = t[p * 2]!;
      if (e === 0) return -1;
      if (e === h && t[p * 2 + 1] === slot) return p;
      p = (p + 1) & m;
    }
  }

  /**
   * Empties position p and moves later entries of the same probe run back,
   * so every entry stays reachable from its home position without tombstones.
   * (The current table only: the old one of a resize takes tombstones.)
   */
  private shiftBack(p: number): void {
    const t = this.table;
    const m = this.mask;
    let q = p;
    for (;;) {
      q = (q + 1) & m;
      const e = t[q * 2]!;
      if (e === 0) break;
      const home = e & m;
      // Move q back to p unless its home lies cyclically in (p, q].
      const inRange = p <= q ? home > p && home <= q : home > p || home <= q;
      if (!inRange) {
        t[p * 2] = e;
        t[p * 2 + 1] = t[q * 2 + 1]!;
        p = q;
      }
    }
    t[p * 2] = 0;
    t[p * 2 + 1] = 0;
  }

  /**
   * Starts moving every entry to a new table of `cap` positions: the current
   * table becomes the old one. A resize still under way is finished first
   * (it cannot be, in practice: one resize moves all its positions long
   * before the entries added or removed reach the next threshold).
   */
  private startResize(cap: number): void {
    if (this.old !== null) this.migrate(Infinity);
    this.old = this.table;
    this.oldMask = this.mask;
    this.moved = 0;
    this.table = int32Table(cap * 2);
    this.mask = cap - 1;
  }
}
