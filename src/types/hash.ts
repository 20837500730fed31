/**
 * The hash type. Encodings, reported as Redis reports them:
 *  - `listpack`: one packed latin1 string of entries field0, value0, field1,
 *    value1, ... (each entry a length prefix, then its bytes; see "Packed
 *    pairs" below), searched linearly, in insertion order (as Redis's
 *    listpack, so HGETALL's order matches Redis's byte for byte) while the
 *    hash is small;
 *  - `listpackex` (Redis 7.4): the same string plus one expire time per pair
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
 * A hash Redis would hold as a hashtable only because a field or value is
 * longer than hash-max-listpack-value stays packed here while it is small
 * (`wide`: no element over WIDE_MAX_ELEMENT, the string under
 * WIDE_MAX_BYTES, no field TTLs) and reports `hashtable`: a job queue's job
 * hash (a payload of a few hundred bytes beside short fields) costs one
 * string instead of a Dict, its index and its pages (HMSET of a new one
 * measured 2x faster, bench/RESULTS.md). What the hashtable encoding shows
 * besides its name follows it: the RDB type (RDB_TYPE_HASH), HSCAN's cursor
 * (HSCAN and field TTLs make it a real table first), lazy-free effort.
 *
 * Field TTLs cost nothing to hashes that never had one: `ex` stays null, and
 * the hot paths (HSET, HGET) test only that.
 * Fields and values are latin1 strings (one char per byte).
 *
 * Why one string (bench/micro/hash-repr.mjs, 10 fields of 2 bytes with
 * 16-byte values): the flat array of separate strings cost 1,024 heap bytes
 * a hash (a 392-byte array at push capacity, 20 strings of 24-32 bytes, the
 * object), 22 V8 objects the scavenger copies one by one when loading; the
 * packed string costs 264 (this object and one 216-byte string), and HGET
 * is faster on it (fewer cache misses), HSET of an existing field slower by
 * a rebuild of the string. Values read out are substrings of it (V8 makes
 * those of 13 chars or more slices that keep the packed string alive while
 * they live): a caller that stores one for longer copies it (detach()).
 */
import { Buffer } from 'node:buffer';
import { Dict } from '../keyspace/dict.js';
import { BULK_EXTRA, putBulkText, type RespBytes } from '../protocol/resp-bytes.js';
import type { Collection } from '../keyspace/value.js';
import type { HfeEntry } from '../keyspace/hfe.js';
import { OBJ, ARR_BASE, HEAP_NUMBER, MAP_BASE, MAP_ENTRY, arrBytes, arrCap, strBytes } from '../util/v8size.js';

/** A HashValue object (d, ex, acct, wide; `type` is on the prototype). */
const HASH_OBJ = OBJ + 4 * 8;
/** A wide hash (see above) stays packed while no field or value is longer than this... */
const WIDE_MAX_ELEMENT = 1024;
/** ... and its packed string no longer than this. */
const WIDE_MAX_BYTES = 4096;
/** A HashTable object (dict, sb). */
const TABLE_OBJ = OBJ + 2 * 8;
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
  /** listpackex: one expire time per pair of the packed string; null for a hashtable. */
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

/* ---------------------------------------------------------------------------
 * Packed pairs: the string of the listpack encoding. Entries alternate field
 * and value; each is its length, 7 bits a char, low bits first, with the
 * char's 128 bit set when another char follows (one char below 128 bytes,
 * two below 16 KB), then its bytes. "aa" -> "bbb" is "\x02aa\x03bbb".
 *
 * The string is always a flat sequential V8 string, never a cons or a slice
 * of another (which would keep its parent alive): it is rebuilt with
 * Array.prototype.join of two or more non-empty parts, which copies them
 * into a new string (a join with one non-empty part returns that part).
 * ------------------------------------------------------------------------- */

/** The prefix of an entry of n bytes. */
function lenPrefix(n: number): string {
  if (n < 128) return String.fromCharCode(n);
  let s = '';
  while (n >= 128) {
    s += String.fromCharCode((n % 128) + 128);
    n = Math.floor(n / 128);
  }
  return s + String.fromCharCode(n);
}

/** Chars of the prefix of an entry of n bytes. */
function prefixSize(n: number): number {
  let k = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    k++;
  }
  return k;
}

/** The length of the entry whose prefix (of two chars or more) starts at p. */
function longLen(s: string, p: number): number {
  let l = 0;
  let m = 1;
  for (;;) {
    const c = s.charCodeAt(p++);
    if (c < 128) return l + c * m;
    l += (c - 128) * m;
    m *= 128;
  }
}

/** Where the bytes of the entry whose prefix starts at p begin. */
function bodyAt(s: string, p: number): number {
  return s.charCodeAt(p) < 128 ? p + 1 : p + prefixSize(longLen(s, p));
}

/** Where the entry whose prefix starts at p ends (the next entry's prefix). */
function skip(s: string, p: number): number {
  const c = s.charCodeAt(p);
  if (c < 128) return p + 1 + c;
  const l = longLen(s, p);
  return p + prefixSize(l) + l;
}

/** The bytes of the entry whose prefix starts at p (a substring of s). */
function entryAt(s: string, p: number): string {
  return s.slice(bodyAt(s, p), skip(s, p));
}

/**
 * Where field f's entry starts, or -(number of pairs + 1) when f is not
 * there (so a miss also tells set() the size). The hot path of HGET/HSET.
 */
function find(s: string, f: string): number {
  const n = s.length;
  const fl = f.length;
  let p = 0;
  let k = 0;
  while (p < n) {
    let l = s.charCodeAt(p);
    let a = p + 1;
    if (l >= 128) {
      l = longLen(s, p);
      a = p + prefixSize(l);
    }
    if (l === fl && s.startsWith(f, a)) return p;
    p = a + l;
    const c = s.charCodeAt(p);
    p = c < 128 ? p + 1 + c : skip(s, p);
    k++;
  }
  return -(k + 1);
}

/** Number of pairs in s. */
function countPairs(s: string): number {
  const n = s.length;
  let k = 0;
  let p = 0;
  while (p < n) {
    const c = s.charCodeAt(p);
    p = c < 128 ? p + 1 + c : skip(s, p);
    const d = s.charCodeAt(p);
    p = d < 128 ? p + 1 + d : skip(s, p);
    k++;
  }
  return k;
}

/** Where pair number k starts (s.length when k is the number of pairs). */
function pairPos(s: string, k: number): number {
  let p = 0;
  while (k-- > 0) p = skip(s, skip(s, p));
  return p;
}

/** The number of the pair that starts at p. */
function pairIndex(s: string, p: number): number {
  let k = 0;
  for (let q = 0; q < p; k++) q = skip(s, skip(s, q));
  return k;
}

/** s[a, b) as a string of its own (neither s nor a slice keeping s alive). */
function cut(s: string, a: number, b: number): string {
  // V8 copies substrings shorter than 13 chars; longer ones are slices
  if (b - a < 13) return s.slice(a, b);
  return [s.slice(a, a + 1), s.slice(a + 1, b)].join('');
}

/**
 * A copy of s that keeps no other string alive: for a caller that stores a
 * value read from a small hash (get(), forEach()) beyond the command, such
 * as SORT ... GET key->field STORE. O(length).
 */
export function detach(s: string): string {
  return cut(s, 0, s.length);
}

/** Packs [f0, v0, f1, v1, ...] (non-empty) into one string. */
function pack(pairs: readonly string[]): string {
  const parts = new Array<string>(2 * pairs.length);
  for (let i = 0; i < pairs.length; i++) {
    const x = pairs[i]!;
    parts[2 * i] = lenPrefix(x.length);
    parts[2 * i + 1] = x;
  }
  return parts.join('');
}

/** The hashtable encoding: the dict and the bytes of its strings (memBytes()). */
class HashTable {
  readonly dict = new Dict<string>();
  sb = 0;
}

export class HashValue implements Collection {
  // On the prototype (below), not in each object: that slot pays for `ex`,
  // so a hash without field TTLs is no bigger than before them.
  declare readonly type: 'hash';
  /**
   * The listpack(ex) encoding's packed pairs (see above), or the hashtable
   * encoding. One slot for both: this object is 48 bytes a small hash.
   */
  private d: string | HashTable = '';
  /** Field TTLs: null while no field ever had one (listpack, or a plain hashtable). */
  ex: HashEx | null = null;
  acct = 0;
  /** Packed, but a hashtable to Redis (see above; meaningless once `d` is a table). */
  private wide = false;

  encoding(): string {
    if (typeof this.d !== 'string' || this.wide) return 'hashtable';
    return this.ex !== null ? 'listpackex' : 'listpack';
  }

  /** Whether the hash is a listpack or listpackex to Redis: small, positions in insertion order. */
  packed(): boolean {
    return typeof this.d === 'string' && !this.wide;
  }

  /** The Dict of a hashtable (the read-ahead of a pipeline's fields: Db.membersToReadAhead), else null. */
  tableDict(): Dict<string> | null {
    return typeof this.d === 'string' ? null : this.d.dict;
  }

  /** Whether it is held as a Dict (HSET's fast path for tables); a wide hash is not. */
  inTable(): boolean {
    return typeof this.d !== 'string';
  }

  /**
   * A listpack about to get field `f` with value `v`, one of them longer
   * than hash-max-listpack-value: Redis converts it to a hashtable; here it
   * stays packed, as a wide hash, when small enough (else it is converted).
   */
  widenFor(f: string, v: string): void {
    const d = this.d;
    if (typeof d !== 'string') return;
    if (this.ex === null && fitsWide(d.length, f.length, v.length)) this.wide = true;
    else this.toHashtable();
  }

  /** Number of fields: O(fields) while packed (a walk of the string), O(1) after. */
  get size(): number {
    const d = this.d;
    return typeof d === 'string' ? countPairs(d) : d.dict.size;
  }

  dup(): HashValue {
    const h = new HashValue();
    const d = this.d;
    if (typeof d === 'string') {
      h.d = d; // immutable: shared
      h.wide = this.wide;
    } else {
      const t = new HashTable();
      t.sb = d.sb;
      const src = d.dict;
      for (let i = 0; i < src.size; i++) t.dict.set(src.keyAt(i), src.valAt(i));
      h.d = t;
    }
    if (this.ex !== null) h.ex = this.ex.copy();
    return h;
  }

  /**
   * Fills an empty hash from [f0, v0, ...] (distinct fields; RDB loading):
   * packed when `small`, else a hashtable. Field TTLs, if any, are the
   * caller's (ex.lpt in pair order).
   */
  load(pairs: readonly string[], small: boolean): void {
    if (small) {
      this.d = pairs.length === 0 ? '' : pack(pairs);
      return;
    }
    this.d = '';
    this.toHashtable();
    for (let i = 0; i < pairs.length; i += 2) this.setInTable(pairs[i]!, pairs[i + 1]!);
  }

  /** Converts to the hashtable encoding (no-op when already one); field TTLs move along. */
  toHashtable(): void {
    const s = this.d;
    if (typeof s !== 'string') return;
    const t = new HashTable();
    const ex = this.ex;
    const map = ex !== null ? new Map<string, number>() : null;
    if (s.length !== 0) {
      // fields and values cut from a copy, so none keeps the packed string alive
      const buf = Buffer.from(s, 'latin1');
      const lpt = ex !== null ? ex.lpt! : null;
      for (let p = 0, k = 0; p < s.length; k++) {
        const q = skip(s, p);
        const e = skip(s, q);
        const f = buf.latin1Slice(bodyAt(s, p), q);
        const v = buf.latin1Slice(bodyAt(s, q), e);
        t.dict.set(f, v);
        t.sb += strBytes(f.length) + strBytes(v.length);
        if (lpt !== null && lpt[k] !== 0) map!.set(f, lpt[k]!);
        p = e;
      }
    }
    if (ex !== null) {
      ex.lpt = null;
      ex.map = map;
      ex.rebuildHeap();
    }
    this.d = t;
    this.wide = false;
  }

  /**
   * Makes the hash able to hold field TTLs (Redis's hashTypeSetExInit): a
   * listpack becomes a listpackex (every pair without a TTL), a hashtable
   * gets its TTL map. No-op when already so.
   */
  enableTtls(): HashEx {
    if (this.ex !== null) return this.ex;
    // (field TTLs of a hashtable live in a Map beside the Dict: a wide hash becomes one)
    if (this.wide) this.toHashtable();
    const ex = new HashEx();
    const d = this.d;
    if (typeof d === 'string') ex.lpt = new Array<number>(countPairs(d)).fill(0);
    else ex.map = new Map();
    this.ex = ex;
    return ex;
  }

  /**
   * listpackex: moves pair number k to where a field expiring at `at`
   * belongs (Redis's listpackExUpdateExpiry): before the first pair with no
   * TTL or a TTL not below `at`; at the end when `at` is 0.
   */
  private lpMove(k: number, at: number): void {
    const s = this.d as string;
    const lpt = this.ex!.lpt!;
    lpt.splice(k, 1);
    let j = lpt.length;
    if (at !== 0) {
      j = 0;
      while (j < lpt.length && lpt[j] !== 0 && lpt[j]! < at) j++;
    }
    lpt.splice(j, 0, at);
    if (j === k) return; // the pair stays where it was
    const p = pairPos(s, k);
    const e = skip(s, skip(s, p));
    if (j < k) {
      const q = pairPos(s, j);
      this.d = [s.slice(0, q), s.slice(p, e), s.slice(q, p), s.slice(e)].join('');
    } else {
      const q = pairPos(s, j + 1); // before the pair now at j, which was at j + 1
      this.d = [s.slice(0, p), s.slice(e, q), s.slice(p, e), s.slice(q)].join('');
    }
  }

  get(f: string): string | undefined {
    const d = this.d;
    if (typeof d === 'string') {
      const p = find(d, f);
      return p < 0 ? undefined : entryAt(d, skip(d, p));
    }
    return d.dict.get(f);
  }

  has(f: string): boolean {
    const d = this.d;
    return typeof d === 'string' ? find(d, f) >= 0 : d.dict.has(f);
  }

  /**
   * Sets a field; returns true when it was added. Converts to a hashtable
   * when the listpack grows beyond `maxEntries` (callers check value lengths
   * before with `tooLong`). Overwriting a field drops its TTL unless keepTtl
   * (Redis's HASH_SET_KEEP_TTL: HINCRBY, HSETEX KEEPTTL); in a listpackex the
   * field then moves to the end, as in Redis. A packed hash is rebuilt
   * (O(its length)).
   */
  set(f: string, v: string, maxEntries: number, keepTtl = false): boolean {
    const d = this.d;
    if (typeof d === 'string' && this.wide && !fitsWide(d.length, f.length, v.length)) {
      this.toHashtable();
      return this.set(f, v, maxEntries, keepTtl);
    }
    if (typeof d === 'string') {
      const p = find(d, f);
      if (p >= 0) {
        const q = skip(d, p);
        this.d = [d.slice(0, q), lenPrefix(v.length), v, d.slice(skip(d, q))].join('');
        const ex = this.ex;
        if (ex !== null && !keepTtl) {
          const k = pairIndex(d, p);
          if (ex.lpt![k] !== 0) this.lpMove(k, 0);
        }
        return false;
      }
      this.d = [d, lenPrefix(f.length), f, lenPrefix(v.length), v].join('');
      if (this.ex !== null) this.ex.lpt!.push(0);
      if (-p > maxEntries) this.toHashtable(); // -p: the pairs now
      return true;
    }
    if (this.setInTable(f, v)) return true;
    if (!keepTtl && this.ex !== null) this.ex.map!.delete(f);
    return false;
  }

  /**
   * HSET's batch path for a packed hash without field TTLs: when every field
   * of argv[from..] (field, value pairs) is new to the hash and to the others,
   * none longer than maxValue, and the hash stays within maxEntries, all are
   * appended in one rebuild of the string (instead of one per pair, the
   * load of a new hash). Returns the number added, or -1 with nothing changed
   * when that does not hold: the caller then sets pair by pair.
   */
  appendNew(argv: readonly string[], from: number, maxEntries: number, maxValue: number): number {
    const d = this.d;
    if (typeof d !== 'string' || this.ex !== null) return -1;
    const n = (argv.length - from) / 2;
    const have = d.length === 0 ? 0 : countPairs(d);
    if (n < 2 || have + n > maxEntries) return -1;
    // an argument longer than maxValue makes the hash wide (see above), if it stays small enough
    let long = this.wide;
    let bytes = d.length;
    for (let i = from; i < argv.length; i++) {
      const l = argv[i]!.length;
      if (l > maxValue) {
        if (l > WIDE_MAX_ELEMENT) return -1;
        long = true;
      }
      bytes += l + 2;
    }
    if (long && bytes > WIDE_MAX_BYTES) return -1;
    const seen = n > 32 ? new Set<string>() : null;
    for (let i = from; i < argv.length; i += 2) {
      const f = argv[i]!;
      if (have !== 0 && find(d, f) >= 0) return -1;
      if (seen !== null) {
        if (seen.has(f)) return -1;
        seen.add(f);
      } else for (let j = from; j < i; j += 2) if (argv[j] === f) return -1;
    }
    const parts = new Array<string>(1 + 2 * (argv.length - from));
    parts[0] = d;
    for (let i = from, o = 1; i < argv.length; i++) {
      const x = argv[i]!;
      parts[o++] = lenPrefix(x.length);
      parts[o++] = x;
    }
    this.d = parts.join('');
    this.wide = long;
    return n;
  }

  /**
   * Sets a field of the hashtable encoding, field TTLs left alone (HSET's
   * fast path calls it for a hashtable without any); true when added.
   */
  setInTable(f: string, v: string): boolean {
    const t = this.d as HashTable;
    const ht = t.dict;
    const slot = ht.slot(f);
    if (slot < 0) {
      ht.addAfterMiss(f, v);
      t.sb += strBytes(f.length) + strBytes(v.length);
      return true;
    }
    t.sb += strBytes(v.length) - strBytes(ht.valAt(slot).length);
    ht.setAt(slot, v);
    return false;
  }

  /** Removes a field (and its TTL); returns true when it existed. */
  delete(f: string): boolean {
    const d = this.d;
    if (typeof d === 'string') {
      const p = find(d, f);
      if (p < 0) return false;
      const e = skip(d, skip(d, p));
      if (this.ex !== null) this.ex.lpt!.splice(pairIndex(d, p), 1);
      this.d = p === 0 ? cut(d, e, d.length) : e === d.length ? cut(d, 0, p) : [d.slice(0, p), d.slice(e)].join('');
      return true;
    }
    const old = d.dict.delete(f);
    if (old === undefined) return false;
    d.sb -= strBytes(f.length) + strBytes(old.length);
    if (this.ex !== null) this.ex.map!.delete(f);
    return true;
  }

  /**
   * Calls fn for each field and value with its position, in encoding order.
   * While packed, f and v are substrings of the packed string (see detach()).
   */
  forEach(fn: (f: string, v: string, i: number) => void): void {
    const d = this.d;
    if (typeof d === 'string') {
      for (let p = 0, i = 0; p < d.length; i++) {
        const q = skip(d, p);
        const e = skip(d, q);
        fn(d.slice(bodyAt(d, p), q), d.slice(bodyAt(d, q), e), i);
        p = e;
      }
    } else {
      const ht = d.dict;
      for (let i = 0; i < ht.size; i++) fn(ht.keyAt(i), ht.valAt(i), i);
    }
  }

  /**
   * Writes the fields, the values or both (alternating), in encoding order,
   * to `w` as RESP bulk strings (HGETALL, HKEYS, HVALS): a packed hash's
   * straight from its string, without a substring each.
   */
  bulks(w: RespBytes, fields: boolean, values: boolean): void {
    const d = this.d;
    if (typeof d !== 'string') {
      const ht = d.dict;
      for (let i = 0; i < ht.size; i++) {
        if (fields) w.bulk(ht.keyAt(i));
        if (values) w.bulk(ht.valAt(i));
      }
      return;
    }
    for (let p = 0, k = 0; p < d.length; k++) {
      const e = skip(d, p);
      if ((k & 1) === 0 ? fields : values) {
        const from = bodyAt(d, p);
        w.o = putBulkText(w.room(e - from + BULK_EXTRA), w.o, d, from, e - from);
      }
      p = e;
    }
  }

  /** The fields and values as [f0, v0, f1, v1, ...], in encoding order (HRANDFIELD's positions). */
  pairs(): string[] {
    const out: string[] = [];
    this.forEach((f, v) => {
      out.push(f, v);
    });
    return out;
  }

  /** The field at position i (0 <= i < size): O(i) while packed. */
  fieldAt(i: number): string {
    const d = this.d;
    return typeof d === 'string' ? entryAt(d, pairPos(d, i)) : d.dict.keyAt(i);
  }

  /** The value at position i (0 <= i < size): O(i) while packed. */
  valueAt(i: number): string {
    const d = this.d;
    return typeof d === 'string' ? entryAt(d, skip(d, pairPos(d, i))) : d.dict.valAt(i);
  }

  /* -------------------------------------------------------------------------
   * Field TTLs. Times are absolute ms; 0 means no TTL. As in Redis, a field
   * is logically expired when its time is before now (lazy expiry, reads),
   * and the active cycle takes the ones at or before now.
   * ----------------------------------------------------------------------- */

  /** A field's expire time: 0 when it has none, undefined when there is no such field. */
  expireOf(f: string): number | undefined {
    const ex = this.ex;
    const d = this.d;
    if (typeof d === 'string') {
      const p = find(d, f);
      if (p < 0) return undefined;
      return ex === null ? 0 : ex.lpt![pairIndex(d, p)]!;
    }
    if (!d.dict.has(f)) return undefined;
    return ex === null ? 0 : (ex.map!.get(f) ?? 0);
  }

  /** The expire time of the field at position i (0: none). */
  expireAt(i: number): number {
    const ex = this.ex;
    if (ex === null) return 0;
    const d = this.d;
    return typeof d === 'string' ? ex.lpt![i]! : (ex.map!.get(d.dict.keyAt(i)) ?? 0);
  }

  /**
   * Gives existing field f the expire time `at` (> 0). The hash must have
   * its TTLs enabled (enableTtls). The caller refiles the hash in its db's
   * index (Db.hfeTrack).
   */
  setExpire(f: string, at: number): void {
    const ex = this.ex!;
    const d = this.d;
    if (typeof d === 'string') {
      this.lpMove(pairIndex(d, find(d, f)), at);
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
    const d = this.d;
    if (typeof d === 'string') {
      const p = find(d, f);
      if (p < 0) return false;
      const k = pairIndex(d, p);
      if (ex.lpt![k] === 0) return false;
      this.lpMove(k, 0);
      return true;
    }
    return ex.map!.delete(f);
  }

  /** The earliest field expire time, or 0 when no field has a TTL. */
  minExpire(): number {
    const ex = this.ex;
    if (ex === null) return 0;
    if (ex.lpt !== null) return ex.lpt.length === 0 ? 0 : ex.lpt[0]!;
    return ex.map!.size === 0 ? 0 : ex.heapTop();
  }

  /** Whether some field has a TTL. */
  hasFieldTtls(): boolean {
    const ex = this.ex;
    if (ex === null) return false;
    return ex.lpt !== null ? ex.lpt.length !== 0 && ex.lpt[0] !== 0 : ex.map!.size !== 0;
  }

  /** Number of fields with a TTL. */
  ttlCount(): number {
    const ex = this.ex;
    if (ex === null) return 0;
    if (ex.lpt !== null) {
      const lpt = ex.lpt;
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
    if (ex.lpt !== null) {
      for (const at of ex.lpt) {
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
    const d = this.d;
    if (typeof d === 'string') {
      const lpt = ex.lpt!;
      for (let k = 0, p = 0; k < lpt.length && out.length < max; k++) {
        const at = lpt[k]!;
        if (at === 0 || at > now) break;
        out.push(entryAt(d, p));
        p = skip(d, skip(d, p));
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
    const d = this.d;
    if (typeof d === 'string') {
      const lpt = ex.lpt!;
      for (let k = 0, p = 0; k < lpt.length && lpt[k] !== 0; k++) {
        fn(entryAt(d, p), lpt[k]!);
        p = skip(d, skip(d, p));
      }
    } else for (const [f, at] of ex.map!) fn(f, at);
  }

  /**
   * One HSCAN step over the hashtable encoding (see Dict.scan: the cursor is
   * the number of slots still to visit). Small encodings are returned whole
   * by the caller with cursor 0, as Redis does.
   */
  scan(cursor: number, count: number, fn: (f: string, v: string) => void): number {
    return (this.d as HashTable).dict.scan(cursor, count, fn);
  }

  /**
   * Bytes in V8 (Collection.memBytes): the object, the packed string or the
   * table (its object, the dict's structure, the field and value strings),
   * and the field TTLs (a time per pair in a listpackex; a Map entry and two
   * heap slots per TTL).
   */
  memBytes(): number {
    const d = this.d;
    let b = HASH_OBJ + (typeof d === 'string' ? strBytes(d.length) : TABLE_OBJ + d.sb + d.dict.structBytes());
    const ex = this.ex;
    if (ex !== null) {
      b += HASHEX_OBJ;
      if (ex.lpt !== null) b += arrBytes(ex.lpt.length);
      // a Map entry per TTL (its time a HeapNumber), and the heap's two arrays
      else b += MAP_BASE + ex.map!.size * (MAP_ENTRY + HEAP_NUMBER) + 2 * (ARR_BASE + 8 * arrCap(ex.hAt.length));
    }
    return b;
  }
}

Object.defineProperty(HashValue.prototype, 'type', { value: 'hash', enumerable: true });

/** Whether a wide hash whose packed string has `len` chars can take a field of `f` and a value of `v` chars. */
function fitsWide(len: number, f: number, v: number): boolean {
  return f <= WIDE_MAX_ELEMENT && v <= WIDE_MAX_ELEMENT && len + f + v + 4 <= WIDE_MAX_BYTES;
}

/** True when a field or value is longer than hash-max-listpack-value. */
export function tooLong(s: string, maxValue: number): boolean {
  return s.length > maxValue;
}
