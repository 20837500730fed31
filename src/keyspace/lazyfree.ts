/**
 * Lazy freeing: UNLINK, FLUSHALL/FLUSHDB ASYNC and the lazyfree-lazy-*
 * options, counted as Redis counts them in INFO (lazyfree_pending_objects,
 * lazyfreed_objects).
 *
 * Redis frees a big value in a background thread instead of the command:
 * a value whose "free effort" (about the number of allocations it is made
 * of) is above 64, and every key of a db flushed asynchronously. In tsdis
 * there is nothing to move off the command: removing a key drops one
 * reference whatever the value's size (the dict's slot), and V8's collector
 * reclaims the value's objects later, marking and sweeping concurrently with
 * the event loop (measured in bench/RESULTS.md: a 10M-member set UNLINKed
 * while other clients run GETs). What Redis hands to its thread is counted
 * here the same way: pending when it is handed over, freed at the next
 * turn of the event loop (once the command's batch is done), so the
 * counters read as Redis's do.
 */
import { Buffer } from 'node:buffer';
import type { Value } from './value.js';
import type { StreamId } from '../types/stream.js';

/** Redis's LAZYFREE_THRESHOLD: a value with more free effort than this is freed in the background. */
export const LAZYFREE_THRESHOLD = 64;

/**
 * How a key's value is being let go, for the lazyfree-lazy-* option that
 * decides whether it is freed lazily: `unlink` always is (UNLINK), `user`
 * follows lazyfree-lazy-user-del (DEL), `server` lazyfree-lazy-server-del
 * (values a command overwrites or deletes on its own: SET over a set,
 * RENAME's destination, a collection emptied), `expire`
 * lazyfree-lazy-expire, `evict` lazyfree-lazy-eviction.
 */
export type FreeMode = 'unlink' | 'user' | 'server' | 'expire' | 'evict';

/**
 * Redis's lazyfreeGetFreeEffort: for a list its quicklist nodes, for a set,
 * hash or sorted set in its big encoding its size, for a stream its radix
 * tree nodes plus its groups times (1 + the first group's pending entries);
 * 1 for strings and every small encoding (one allocation in Redis).
 */
export function freeEffort(v: Value): number {
  if (typeof v !== 'object' || Buffer.isBuffer(v)) return 1;
  switch (v.type) {
    case 'list':
      return Math.max(1, v.quicklistNodes());
    case 'set':
      return v.encoding() === 'hashtable' ? v.size : 1;
    case 'hash':
      return v.encoding() === 'hashtable' ? v.size : 1;
    case 'zset':
      return v.encoding() === 'skiplist' ? v.card() : 1;
    case 'stream': {
      const s = v;
      let e = raxNodes(s.nodes.length, (i) => s.nodes[i]!.master, LAZYFREE_THRESHOLD + 1);
      if (s.groups.size !== 0) e += s.groups.size * (1 + s.sortedGroups()[0]!.pel.size);
      return e;
    }
  }
}

/** Byte i (0 = most significant) of a stream ID as its 16-byte big-endian rax key. */
function idByte(id: StreamId, i: number): number {
  return Number((id >> BigInt(8 * (15 - i))) & 0xffn);
}

/** Length of the common prefix of two IDs as 16-byte keys. */
function idLcp(a: StreamId, b: StreamId): number {
  const x = a ^ b;
  if (x === 0n) return 16;
  let n = 0;
  while (idByte(x, n) === 0) n++;
  return n;
}

/**
 * The number of nodes of the radix tree Redis keeps a stream's node IDs in
 * (rax numnodes, which the stream's free effort counts), for `n` IDs given
 * in ascending order by `key(i)`, counted up to `limit` (it stops there:
 * only the comparison with the threshold matters, so the work is bounded).
 * A rax has one node per key end, one per branching point, and a
 * compressed node holding a run of bytes where a path does not branch: the
 * head (compressed when all keys share a prefix), then per edge from a
 * branching node the child after the branch byte and, when the edge is
 * longer than one byte, a compressed node before it.
 */
export function raxNodes(n: number, key: (i: number) => StreamId, limit: number): number {
  if (n === 0) return 1;
  let count = 0;
  // the child groups of [lo, hi] (sharing `d` bytes, differing at byte d)
  const branch = (lo: number, hi: number, d: number): void => {
    let a = lo;
    while (a <= hi && count <= limit) {
      const byte = idByte(key(a), d);
      // the last index in [a, hi] with this byte at d (sorted: a binary search)
      let l = a;
      let h = hi;
      while (l < h) {
        const mid = (l + h + 1) >>> 1;
        if (idByte(key(mid), d) === byte) l = mid;
        else h = mid - 1;
      }
      const b = l;
      const c = a === b ? 16 : idLcp(key(a), key(b));
      count += c - d >= 2 ? 2 : 1;
      if (a !== b) branch(a, b, c);
      a = b + 1;
    }
  };
  const top = n === 1 ? 16 : idLcp(key(0), key(n - 1));
  count = top > 0 ? 2 : 1; // the head (compressed over the shared prefix) and the node after it
  if (n > 1) branch(0, n - 1, top);
  return count;
}

/** The lazyfree counters of a server (Server.lazyfree). */
export class LazyFree {
  /** lazyfree_pending_objects: handed over, not yet counted freed. */
  pending = 0;
  /** lazyfreed_objects (CONFIG RESETSTAT clears it). */
  freed = 0;
  private timer: NodeJS.Immediate | null = null;

  /** A value left the keyspace: counted when it is let go lazily and its free effort is above the threshold. */
  release(v: Value, lazy: boolean): void {
    if (lazy && freeEffort(v) > LAZYFREE_THRESHOLD) this.hand(1);
  }

  /**
   * A collection of `n` objects let go at once (the script cache on SCRIPT
   * FLUSH, the functions on FUNCTION FLUSH): freed lazily when `lazy` and
   * there are more than the threshold, each object counted.
   */
  releaseMany(n: number, lazy: boolean): void {
    if (lazy && n > LAZYFREE_THRESHOLD) this.hand(n);
  }

  /** A db of `keys` keys was flushed asynchronously (FLUSHDB/FLUSHALL ASYNC): every key counts. */
  flushed(keys: number): void {
    if (keys > 0) this.hand(keys);
  }

  /** Objects handed to the "background": freed at the next turn of the event loop. */
  private hand(n: number): void {
    this.pending += n;
    if (this.timer !== null) return;
    this.timer = setImmediate(() => {
      this.timer = null;
      this.freed += this.pending;
      this.pending = 0;
    });
    this.timer.unref();
  }

  /** CONFIG RESETSTAT. */
  resetStats(): void {
    this.freed = 0;
  }
}
