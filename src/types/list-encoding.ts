/**
 * The encoding accounting of types/list.ts.
 *
 * OBJECT ENCODING follows Redis 7.2 (7.0 said `quicklist` for every list):
 * a list is `listpack` while it is small and `quicklist` once it outgrows
 * list-max-listpack-size, and a quicklist of one node converts back when it
 * drops below half the limit. The representation above does not change; the
 * list only keeps the numbers Redis bases those decisions on (see
 * "Encoding accounting" below): the exact byte size of the listpack Redis
 * would hold, or, as a quicklist, the element count and listpack size of
 * each node Redis would have. They are updated per element pushed or popped
 * (a few comparisons), so the hot paths stay O(1).
 */
import type { Elem } from './list.js';
import { digits } from '../util/numbers.js';

/* ---------------------------------------------------------------------------
 * Encoding accounting (Redis 7.2's t_list.c conversion rules).
 *
 * Sizes are those of Redis's listpack: a 6-byte header and a 1-byte end
 * marker, then per entry an encoding byte(s) + data + a back-length. An
 * integer (a string that is a canonical int64) takes 1 (0..127), 2 (13-bit),
 * 3 (16-bit), 4 (24-bit), 5 (32-bit) or 9 bytes; a string of length n takes
 * 1 + n (n < 64), 2 + n (n < 4096) or 5 + n. The back-length is 1 byte for
 * an entry of up to 127 bytes, 2 below 16383, 3 below 2097151, 4 below
 * 268435455, else 5.
 * ------------------------------------------------------------------------- */

/**
 * list-max-listpack-size (Redis's server.list_max_listpack_size) and its
 * limits as bytes and count (see nodeByteLimit), for the conversion decisions.
 * Each server has one (Server.listLimits, set from its config); the list
 * operations that may convert take it, so embedded servers with different
 * settings in one process never see each other's.
 */
export class ListLimits {
  fill = -2;
  bytes = 8192;
  count = Infinity;

  set(fill: number): void {
    this.fill = fill;
    this.bytes = nodeByteLimit(fill);
    this.count = nodeCountLimit(fill);
  }
}

/** Redis's default list-max-listpack-size (-2), for lists built outside a server (tests, tools). */
export const DEFAULT_LIST_LIMITS: Readonly<ListLimits> = Object.freeze(new ListLimits());

/** Size-based node limits for fill -1..-5 (4, 8, 16, 32, 64 KB). */
const SIZE_LEVELS = [4096, 8192, 16384, 32768, 65536];
/** Byte cap of a node when the limit is an element count. */
const SIZE_SAFETY_LIMIT = 8192;
/** Redis over-estimates an entry by this many bytes when deciding whether it fits a node. */
export const SIZE_ESTIMATE_OVERHEAD = 8;
/** An empty listpack: header and end byte. */
export const LP_EMPTY = 7;
/** The node sizes of every listpack-encoded list (shared, never changed: a quicklist gets its own array). */
export const NO_NODES: number[] = [];
Object.freeze(NO_NODES);

/** The byte limit for a negative fill. */
export function sizeLevel(fill: number): number {
  return SIZE_LEVELS[Math.min(-fill - 1, SIZE_LEVELS.length - 1)]!;
}

/**
 * The limits of `fill`, bytes and count: a listpack of more bytes or more
 * entries exceeds it (Redis's quicklistNodeExceedsLimit: a size level for a
 * negative fill; a count, and the 8 KB safety limit, for a positive one).
 * Two functions, not one pair: the pair [bytes, Infinity] is an array of
 * doubles, and the bytes read from it, a double, made the integer fields it
 * was stored in double fields (util/numbers.ts, DOUBLE_ZERO).
 */
export function nodeByteLimit(fill: number): number {
  return fill < 0 ? sizeLevel(fill) : SIZE_SAFETY_LIMIT;
}

/** The entry limit of `fill` (see nodeByteLimit): Infinity for a size level. */
export function nodeCountLimit(fill: number): number {
  return fill < 0 ? Infinity : fill === 0 ? 1 : fill;
}

/** The length in bytes of an element as a string. */
export function textLen(v: Elem): number {
  if (typeof v !== 'number') return v.length;
  return v < 0 ? 1 + digits(-v) : digits(v);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Whether a string element is a canonical int64 beyond 2^53 (stored as an integer by a listpack). */
function bigIntText(s: string): boolean {
  if (s.length < 16 || s.length > 20 || !/^-?[1-9][0-9]*$/.test(s)) return false;
  const b = BigInt(s);
  return b >= INT64_MIN && b <= INT64_MAX;
}

/** Whether a listpack stores the element as an integer (LMOVE's growth check counts those as 0 bytes when popped from a quicklist). */
export function storedAsInteger(v: Elem): boolean {
  return typeof v === 'number' || bigIntText(v);
}

/** Bytes one entry takes in a listpack (exported for tests). */
export function entrySize(v: Elem): number {
  if (typeof v === 'number') {
    if (v >= 0 && v <= 127) return 2;
    if (v >= -4096 && v <= 4095) return 3;
    if (v >= -32768 && v <= 32767) return 4;
    if (v >= -8388608 && v <= 8388607) return 5;
    if (v >= -2147483648 && v <= 2147483647) return 6;
    return 10;
  }
  const n = v.length;
  if (n >= 16 && n <= 20 && bigIntText(v)) return 10;
  if (n < 64) return n + 2; // 1-byte header, 1-byte back-length (n + 1 <= 64)
  const l = n < 4096 ? n + 2 : n + 5;
  return l + (l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5);
}
