/**
 * The per-database index of hashes that have fields with a TTL (Redis 7.4's
 * db->hexpires ebuckets): each such hash is filed once, under its key and the
 * earliest expire time among its fields, in a binary min-heap. The active
 * expire cycle (keyspace/expire.ts) takes the hashes whose time has come from
 * the top, without scanning the keyspace; INFO keyspace's `subexpiry` is its
 * size.
 *
 * The index is exact: db.ts files a hash when it enters the keyspace with
 * field TTLs (set, rename/move target, loading), refiles it when its earliest
 * time changes (db.hfeTrack, called by the hash commands and field expiry)
 * and removes it when it leaves (delete, overwrite, expiry, move source) or
 * has no field TTL left. Each entry is the hash's own HashEx object, which
 * records its heap position, so all of these are O(log n) with no search.
 * Hashes without field TTLs are never in it and cost nothing.
 */

/** What the index keeps in each hash's field-TTL state (types/hash.ts HashEx). */
export interface HfeEntry {
  /** Position in the heap, -1 when not filed. */
  pos: number;
  /** The key the hash is stored under. */
  key: string;
  /** The time (ms) it is filed under: its earliest field expire time. */
  at: number;
}

export class HfeIndex {
  private heap: HfeEntry[] = [];

  /** Number of hashes filed (INFO keyspace subexpiry). */
  get size(): number {
    return this.heap.length;
  }

  /** The hash with the earliest field expire time, or undefined. */
  peek(): HfeEntry | undefined {
    return this.heap[0];
  }

  /** Files `e` under `key` and time `at`, or moves it there when already filed. */
  set(e: HfeEntry, key: string, at: number): void {
    e.key = key;
    if (e.pos < 0) {
      e.at = at;
      e.pos = this.heap.length;
      this.heap.push(e);
      this.up(e.pos);
      return;
    }
    const old = e.at;
    e.at = at;
    if (at < old) this.up(e.pos);
    else if (at > old) this.down(e.pos);
  }

  /** Removes `e` (which must be filed here). */
  remove(e: HfeEntry): void {
    const h = this.heap;
    const i = e.pos;
    const last = h.pop()!;
    e.pos = -1;
    if (last === e) return;
    h[i] = last;
    last.pos = i;
    this.up(i);
    this.down(last.pos);
  }

  /** Empties the index, marking every entry as not filed. */
  clear(): void {
    for (const e of this.heap) e.pos = -1;
    this.heap = [];
  }

  private up(i: number): void {
    const h = this.heap;
    const e = h[i]!;
    while (i > 0) {
      const p = (i - 1) >>> 1;
      const pe = h[p]!;
      if (pe.at <= e.at) break;
      h[i] = pe;
      pe.pos = i;
      i = p;
    }
    h[i] = e;
    e.pos = i;
  }

  private down(i: number): void {
    const h = this.heap;
    const n = h.length;
    const e = h[i]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && h[c + 1]!.at < h[c]!.at) c++;
      const ce = h[c]!;
      if (ce.at >= e.at) break;
      h[i] = ce;
      ce.pos = i;
      i = c;
    }
    h[i] = e;
    e.pos = i;
  }
}
