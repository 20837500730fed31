/**
 * Value representation.
 *
 * Strings are stored as compactly as V8 allows:
 *  - a JS number for integers that Redis would store with the "int" encoding
 *    and that are safe integers (INCR counters cost no allocation);
 *  - a latin1 JS string (one char per byte) for everything else: a one-byte
 *    V8 string is far smaller than a Buffer and binary safe;
 *  - a Buffer once a string is mutated in place (SETRANGE, SETBIT, APPEND,
 *    BITFIELD), which Redis reports as "raw";
 *  - a Buffer, outside the V8 heap, for a value of BUFFER_MIN bytes or more
 *    stored whole (SET and its family, MSET, GETSET, RDB and RESTORE), also
 *    "raw" in Redis; see storedStr().
 * Other types are objects implementing `Collection`, one class per type
 * (Collections maps the type names to them): `Value` is a union tagged by
 * `type`, so a check of `v.type` narrows it.
 */
import { Buffer } from 'node:buffer';
import type { List } from '../types/list.js';
import type { HashValue } from '../types/hash.js';
import type { SetValue } from '../types/set.js';
import type { ZSet } from '../types/zset.js';
import type { Stream } from '../types/stream.js';

export type StrValue = string | number | Buffer;

export type TypeName = 'string' | 'list' | 'hash' | 'set' | 'zset' | 'stream';

export interface Collection {
  readonly type: Exclude<TypeName, 'string'>;
  /** OBJECT ENCODING's answer. */
  encoding(): string;
  /** An independent deep copy with the same contents and encoding (COPY). */
  dup(): Collection;
  /**
   * Bytes this value costs in V8 (its objects, arrays and strings), from
   * counters the type keeps as it changes: O(1), never a walk of the
   * elements (observability/memory.ts; calibrated by bench/micro/memacct.ts).
   */
  memBytes(): number;
  /**
   * The memBytes() the keyspace last counted for this value while it is
   * stored (keyspace/db.ts keeps its total as values change); 0 otherwise.
   */
  acct: number;
}

/** The class of each collection type, by its name (lookupTyped returns through it). */
export interface Collections {
  list: List;
  hash: HashValue;
  set: SetValue;
  zset: ZSet;
  stream: Stream;
}

/** A value of one of the collection types. */
export type CollectionValue = Collections[keyof Collections];

export type Value = StrValue | CollectionValue;

/**
 * Whether a value is a collection of the given type (narrows it to that
 * type's class). A string value has no `type`: a Buffer is an object whose
 * `type` is undefined. (isString's Buffer.isBuffer is an instanceof: it
 * walked a collection's prototype chain, a third of a stream lookup's own
 * samples under XADD.)
 */
export function isType<K extends keyof Collections>(v: Value, type: K): v is Collections[K] {
  return typeof v === 'object' && (v as { type?: unknown }).type === type;
}

/** For the default branch of a switch over every type (`v` is never): a value of no known type. */
export function unknownType(v: never): never {
  throw new Error(`a value of no known type: ${String((v as { type?: unknown }).type)}`);
}

export function typeName(v: Value): TypeName {
  if (typeof v === 'string' || typeof v === 'number' || Buffer.isBuffer(v)) return 'string';
  return v.type;
}

export function isString(v: Value): v is StrValue {
  return typeof v === 'string' || typeof v === 'number' || Buffer.isBuffer(v);
}

/** A copy of a value that shares no mutable state with it (COPY). */
export function dupValue(v: Value): Value {
  if (Buffer.isBuffer(v)) {
    // a store of its own, as storedStr's (Buffer.from may take it from the shared pool)
    const b = Buffer.allocUnsafeSlow(v.length);
    v.copy(b);
    return b;
  }
  if (typeof v === 'string' || typeof v === 'number') return v;
  return v.dup();
}

/** A string value as latin1 text. */
export function strOf(v: StrValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return '' + v;
  return v.latin1Slice(0, v.length);
}

/** Length in bytes of a string value. */
export function strLen(v: StrValue): number {
  if (typeof v === 'number') return ('' + v).length;
  return v.length;
}

/**
 * The value to store for a string argument: a number when Redis would use the
 * "int" encoding (canonical integer text of at most 20 chars within int64) and
 * it is a safe integer; otherwise the string itself.
 */
export function strValue(s: string): StrValue {
  const n = s.length;
  if (n === 0 || n > 16) return s;
  const c = s.charCodeAt(0);
  if (!((c >= 48 && c <= 57) || c === 45)) return s;
  const x = Number(s);
  if (Number.isSafeInteger(x) && '' + x === s) return x;
  return s;
}

/**
 * String values of at least this many bytes are stored as Buffers (storedStr).
 * Measured (bench/micro/value-repr.mjs, 256 MiB of values per size, random
 * overwrites of twice that): from 16 KB up a Buffer costs 11% less RSS than a
 * one-byte string (V8 fits three 48-64 KB strings in a 256 KB page), its
 * bytes are never copied by the garbage collector (a string is copied twice:
 * into the young generation's other half, then into the old one), and the
 * longest scavenge while overwriting them fell from 14-86 ms to 3-6 ms and
 * their sum by 5-20x; at 16 KB overwriting cost about the same, above it
 * Buffers were 2-5x faster. Below 8 KB strings win (a Buffer's objects take
 * ~190 bytes of heap, and writes were up to 2x slower).
 */
export const BUFFER_MIN = 16 * 1024;
/**
 * Node makes a string this long or longer external itself (its bytes outside
 * the heap, as a Buffer's: Node's EXTERN_APEX), so it is kept as it is.
 */
const EXTERNAL_MIN = 0xfbee9;

/**
 * The value to store for a string given whole (SET, MSET, GETSET, a loaded
 * RDB string): strValue's, except that BUFFER_MIN bytes or more become a
 * Buffer of their own. Not for collection elements (list, hash, set members
 * stay strings).
 */
export function storedStr(s: string): StrValue {
  const n = s.length;
  if (n >= BUFFER_MIN && n < EXTERNAL_MIN) {
    // a store of its own: Buffer.from may carve it from a shared pool (Node 24 pools
    // strings this size), which one stored value would then keep alive whole
    const b = Buffer.allocUnsafeSlow(n);
    b.latin1Write(s, 0, n);
    return b;
  }
  return strValue(s);
}

/** OBJECT ENCODING of a string value. */
export function stringEncoding(v: StrValue): string {
  if (typeof v === 'number') return 'int';
  if (Buffer.isBuffer(v)) return 'raw';
  // A safe integer kept as text was kept so on purpose (INCRBYFLOAT's result,
  // which Redis stores as a plain string); other integer texts are only the
  // ones too long for a JS number, which Redis stores "int" encoded.
  if (typeof strValue(v) === 'number') return v.length <= 44 ? 'embstr' : 'raw';
  if (v.length <= 20 && /^-?[1-9][0-9]*$|^0$/.test(v)) {
    const b = BigInt(v);
    if (b <= 9223372036854775807n && b >= -9223372036854775808n) return 'int';
  }
  return v.length <= 44 ? 'embstr' : 'raw';
}
