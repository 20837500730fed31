/**
 * What V8 allocates for the shapes tsdis stores, on a 64-bit build without
 * pointer compression (how Node ships: 8-byte slots). The memory accounting
 * (observability/memory.ts and each type's memBytes()) adds these up instead
 * of asking V8, whose heap figure includes garbage until a collection runs.
 *
 * Measured with `node --expose-gc` (heapUsed + external after a full GC,
 * 100k objects each; bench/micro/memacct.ts checks the sums per type):
 *  - a one-byte string: 16 bytes of header, its chars rounded up to 8; the
 *    empty string and one-char strings are V8's shared ones (no allocation);
 *    above ~1 MB Node makes an external string (its chars in `external`);
 *  - a JS array: 32 bytes of object, 16 of elements header, 8 a slot; push
 *    grows the capacity to n + n/2 + 16 (17, 43, 82, 140, ...), and pops
 *    mostly leave it (so dictionaries keep their high-water capacity);
 *  - a typed array or Buffer with its own ArrayBuffer: ~185 bytes of objects
 *    besides its bytes (a few more for one in a WeakSet); a Buffer cut from
 *    Node's 8 KB pool: ~100 bytes and its share of the pool;
 *  - a number that is not a 31-bit integer (Smi) in an array of mixed values:
 *    a 16-byte HeapNumber; a bigint of two 64-bit digits: 32 bytes.
 */
import { Buffer } from 'node:buffer';

/** An object's header (map, properties, elements). */
export const OBJ = 24;
/** A JS array of capacity 0 (the JSArray object alone). */
export const ARR_EMPTY = 32;
/** A JS array's object plus its elements header. */
export const ARR_BASE = 48;
/** A typed array's objects (JSTypedArray, JSArrayBuffer) besides its bytes. */
export const TYPED_BASE = 185;
/** A Buffer with its own ArrayBuffer, besides its bytes (kept in a WeakSet by bitops/hll). */
export const BUF_OWN = 220;
/** A Buffer that is a slice of Node's pool, besides its bytes. */
export const BUF_POOLED = 100;
/** A HeapNumber. */
export const HEAP_NUMBER = 16;
/** A bigint of up to 128 bits (stream IDs). */
export const BIGINT128 = 32;
/** A bigint of up to 64 bits (a stream ID's part). */
export const BIGINT64 = 24;
/** A Map or Set object with its initial table. */
export const MAP_BASE = 185;
/** A Map entry (key, value, chain link in an OrderedHashMap at its usual load). */
export const MAP_ENTRY = 40;

/** Node makes strings longer than this external (src/string_bytes.cc EXTERN_APEX). */
const EXTERN_APEX = 0xfbee9;

/** Bytes of a one-byte string of length n (0 for the shared empty and one-char strings). */
export function strBytes(n: number): number {
  if (n <= 1) return 0;
  if (n > EXTERN_APEX) return n + 32;
  return 16 + ((n + 7) & ~7);
}

/**
 * The capacities a JS array passes through when grown by push from empty
 * (V8's NewElementsCapacity: n + n/2 + 16), up to the last below 2^30 (V8's
 * arrays stop far below). Precomputed once; read-only. Every entry is a Smi,
 * so the array holds Smis and arrCap returns one: with entries up to 2^32 it
 * held doubles, and the first capacity above 512 stored in an object's
 * integer field (a dict's page capacity) changed that field to a double and
 * the object's hidden class with it. Every optimized function that had met
 * the class was then thrown away and compiled again ("wrong map"): the
 * keyspace's lookups, when a fresh server's keyspace first passed 512 keys.
 */
const CAPS: readonly number[] = (() => {
  const c: number[] = [0];
  for (let cap = 0; ;) {
    const n = cap + 1;
    cap = n + Math.floor(n / 2) + 16;
    if (cap >= 2 ** 30) return c;
    c.push(cap);
  }
})();
/** The largest capacity in CAPS. */
const MAX_CAP = CAPS[CAPS.length - 1]!;

/** arrCap for lengths up to SMALL (list chunks, small collections): one read. */
const SMALL = 512;
const SMALL_CAPS: Uint16Array = (() => {
  const t = new Uint16Array(SMALL + 1);
  let k = 0;
  for (let n = 1; n <= SMALL; n++) {
    while (CAPS[k]! < n) k++;
    t[n] = CAPS[k]!;
  }
  return t;
})();

/** The capacity of a JS array grown by push to length n. */
export function arrCap(n: number): number {
  if (n <= SMALL) return SMALL_CAPS[n]!;
  if (n > MAX_CAP) return n; // no JS array is that long: counts of other things
  let lo = 2;
  let hi = CAPS.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (CAPS[mid]! < n) lo = mid + 1;
    else hi = mid;
  }
  return CAPS[lo]!;
}

/** Bytes of a JS array grown by push to length n (its slots, not what they point to). */
export function arrBytes(n: number): number {
  return n === 0 ? ARR_EMPTY : ARR_BASE + 8 * arrCap(n);
}

/** Bytes of a number stored in an array of mixed values: 0 for a Smi, else a HeapNumber. */
export function numBytes(x: number): number {
  return (x | 0) === x && !Object.is(x, -0) ? 0 : HEAP_NUMBER;
}

/** Bytes of a Buffer: its objects and its memory (its own ArrayBuffer's capacity, or its share of the pool). */
export function bufBytes(b: Buffer): number {
  const ab = b.buffer;
  if (ab.byteLength === Buffer.poolSize && b.length <= Buffer.poolSize >>> 1) return BUF_POOLED + b.length;
  return BUF_OWN + ab.byteLength;
}
