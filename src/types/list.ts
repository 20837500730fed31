/**
 * The list type, built like Redis's quicklist: a deque of chunks of up to
 * CHUNK_MAX elements (or about CHUNK_BYTES bytes). The two end chunks are
 * plain arrays, so pushes and pops at both ends are O(1) (amortised); every
 * interior chunk is *packed* into one latin1 string (a varint header per
 * element, then its bytes), which costs about one byte per element beyond
 * the element itself — as a listpack does — instead of a V8 string object
 * (16+ bytes of header) and an 8-byte pointer per element.
 *
 * Measured (V8 heap after GC vs redis-server 7.0's used_memory), 1M
 * 15-byte elements: 16.9 bytes per element (redis: 17); 1M small integers:
 * 7.9 (redis: 5). A ring of one string per element used 42 and 8.6.
 *
 * Elements are kept as value.ts keeps strings: a canonical safe integer as a
 * JS number, anything else as a latin1 string; `elem()` gives that
 * representation, and two elements are equal byte for byte exactly when
 * their representations are `===`.
 *
 * An end chunk may be empty (a pop that empties it keeps it, so pushing and
 * popping across a chunk boundary does not pack and unpack every time);
 * interior chunks never are. Operations in the middle (LSET, LINSERT, LREM)
 * unpack a chunk and pack it again; LTRIM drops whole chunks.
 *
 * The encoding accounting (listpack or quicklist, as Redis 7.2 would have it)
 * is in list-encoding.ts; the chunks, their packed form and the ring that
 * holds them are in list-chunks.ts.
 */
import type { Collection } from '../keyspace/value.js';
import { strValue } from '../keyspace/value.js';
import { ARR_BASE, arrBytes, arrCap } from '../util/v8size.js';
import type { RespBytes } from '../protocol/resp-bytes.js';
import {
  chunkBulks,
  CHUNK_BYTES,
  CHUNK_MAX,
  CHUNK_OBJ,
  Chunk,
  LIST_OBJ,
  RING_OBJ,
  Ring,
  chunkBytes,
  elemHeap,
  packedAt,
  packedReplace,
  sizeOf,
} from './list-chunks.js';
import {
  LP_EMPTY,
  ListLimits,
  NO_NODES,
  SIZE_ESTIMATE_OVERHEAD,
  entrySize,
  nodeByteLimit,
  nodeCountLimit,
  sizeLevel,
  textLen,
} from './list-encoding.js';

export { DEFAULT_LIST_LIMITS, ListLimits, entrySize, storedAsInteger } from './list-encoding.js';

export type Elem = string | number;

/** The stored representation of an element given as latin1 text. */
export function elem(s: string): Elem {
  return strValue(s) as Elem;
}

export class List implements Collection {
  readonly type = 'list' as const;
  private chunks = new Ring<Chunk>();
  length = 0;
  /** As a listpack: the exact size Redis's listpack would have (lpBytes). */
  private lpBytes = LP_EMPTY;
  /**
   * As a quicklist (null while a listpack): per node of Redis's quicklist,
   * head first, its element count and its listpack's size.
   */
  private qCount: number[] | null = null;
  private qSize: number[] = NO_NODES;
  /** The limits of the quicklist's own fill, fixed when it was made (Redis clamps that fill to -5..32767). */
  private qLimitBytes = 8192;
  private qLimitCount = Infinity;
  /** V8 bytes of the chunks (chunkBytes each), kept as they change. */
  private mem = 0;
  acct = 0;

  encoding(): string {
    return this.qCount === null ? 'listpack' : 'quicklist';
  }

  dup(): List {
    const l = new List();
    const r = this.chunks;
    for (let i = 0; i < r.length; i++) {
      const c = r.at(i);
      l.chunks.pushRight(new Chunk(c.items === null ? null : c.items.slice(), c.packed, c.n, c.bytes, c.eh));
    }
    l.length = this.length;
    l.mem = this.mem;
    // COPY keeps the encoding (Redis's listTypeDup)
    l.lpBytes = this.lpBytes;
    l.qCount = this.qCount === null ? null : this.qCount.slice();
    l.qSize = this.qCount === null ? NO_NODES : this.qSize.slice();
    l.qLimitBytes = this.qLimitBytes;
    l.qLimitCount = this.qLimitCount;
    return l;
  }

  /**
   * A list built the way Redis 7.2 builds SORT ... STORE's result: a new
   * quicklist filled at the tail, then LIST_CONV_AUTO (a single node within
   * list-max-listpack-size, the full limit, becomes a listpack). For
   * commands/sort.ts and any other builder of a whole list.
   */
  static builtAsQuicklist(vals: Iterable<Elem>, lim: ListLimits): List {
    const l = new List();
    l.takeNodeLimits(lim);
    l.qCount = [];
    l.qSize = [];
    for (const v of vals) {
      l.rawPushRight(v);
      l.added(v, false);
    }
    const qc = l.qCount;
    if (qc.length === 1 && l.qSize[0]! <= lim.bytes && qc[0]! <= lim.count) {
      l.lpBytes = l.qSize[0]!;
      l.qCount = null;
      l.qSize = NO_NODES;
    } else if (qc.length === 0) {
      l.qCount = null;
      l.qSize = NO_NODES;
    }
    return l;
  }

  /** The quicklist's node count (0 as a listpack), for DEBUG OBJECT and tests. */
  quicklistNodes(): number {
    return this.qCount === null ? 0 : this.qCount.length;
  }

  /** Fixes the quicklist's node limits (qLimitBytes, qLimitCount) from list-max-listpack-size. */
  private takeNodeLimits(lim: ListLimits): void {
    const fill = Math.min(lim.fill, 32767);
    this.qLimitBytes = nodeByteLimit(fill);
    this.qLimitCount = nodeCountLimit(fill);
  }

  /**
   * Redis's listTypeTryConversionAppend: before `addCount` elements of
   * `addBytes` bytes in all (their string lengths) are added, a listpack that
   * would outgrow list-max-listpack-size becomes a quicklist holding it as
   * one node. Callers: pushMany/push, and LINSERT and LSET before they look
   * for their pivot/index (so Redis converts even when they then fail).
   */
  growCheck(lim: ListLimits, addBytes: number, addCount: number): void {
    if (this.qCount === null && (this.lpBytes + addBytes > lim.bytes || this.length + addCount > lim.count)) {
      this.takeNodeLimits(lim);
      this.qCount = this.length > 0 ? [this.length] : [];
      this.qSize = this.length > 0 ? [this.lpBytes] : [];
    }
  }

  /**
   * Redis's listTypeTryConversion(LIST_CONV_SHRINKING) after elements were
   * removed from a non-empty list: a quicklist of one node converts back to
   * a listpack when that node is within half of list-max-listpack-size (half
   * the bytes for a size limit, half the count for a count limit), so a list
   * near the limit does not convert back and forth.
   */
  shrinkCheck(lim: ListLimits): void {
    const qc = this.qCount;
    if (qc === null || qc.length !== 1) return;
    const f = lim.fill;
    if (f < 0 ? this.qSize[0]! > sizeLevel(f) >>> 1 : qc[0]! > (f === 0 ? 1 : f) >>> 1) return;
    this.lpBytes = this.qSize[0]!;
    this.qCount = null;
    this.qSize = NO_NODES;
  }

  /** Whether a quicklist node of `bytes`/`count` takes one more entry of string length `len` (_quicklistNodeAllowInsert). */
  private fits(k: number, len: number): boolean {
    return (
      this.qSize[k]! + len + SIZE_ESTIMATE_OVERHEAD <= this.qLimitBytes && this.qCount![k]! + 1 <= this.qLimitCount
    );
  }

  /** Accounts an element added at an end (quicklistPushHead/Tail: into the end node when it fits, else a new node). */
  private added(v: Elem, left: boolean): void {
    const es = entrySize(v);
    const qc = this.qCount;
    if (qc === null) {
      this.lpBytes += es;
      return;
    }
    const k = left ? 0 : qc.length - 1;
    if (qc.length > 0 && this.fits(k, textLen(v))) {
      qc[k]!++;
      this.qSize[k]! += es;
    } else if (left) {
      qc.unshift(1);
      this.qSize.unshift(LP_EMPTY + es);
    } else {
      qc.push(1);
      this.qSize.push(LP_EMPTY + es);
    }
  }

  /** Accounts an element removed from an end (an emptied node goes). */
  private removed(v: Elem, left: boolean): void {
    const es = entrySize(v);
    const qc = this.qCount;
    if (qc === null) {
      this.lpBytes -= es;
      return;
    }
    const k = left ? 0 : qc.length - 1;
    if (--qc[k]! === 0) {
      if (left) {
        qc.shift();
        this.qSize.shift();
      } else {
        qc.pop();
        this.qSize.pop();
      }
    } else this.qSize[k]! -= es;
  }

  /** The quicklist node holding element i and i's offset in it. */
  private node(i: number): [number, number] {
    const qc = this.qCount!;
    let k = 0;
    while (i >= qc[k]!) i -= qc[k++]!;
    return [k, i];
  }

  /** Appends at the tail (an RPUSH of one element: the listpack may convert first). */
  pushRight(v: Elem, lim: ListLimits): void {
    this.push(v, false, lim);
  }

  /** Prepends at the head (an LPUSH of one element). */
  pushLeft(v: Elem, lim: ListLimits): void {
    this.push(v, true, lim);
  }

  /**
   * Pushes at the head (left=true) or the tail, after the growth check for
   * one element of `addBytes` bytes (default: its string length; LMOVE
   * passes 0 for an integer popped from a quicklist, as Redis counts only
   * string-encoded objects).
   */
  push(v: Elem, left: boolean, lim: ListLimits, addBytes?: number): void {
    if (this.qCount === null) this.growCheck(lim, addBytes ?? textLen(v), 1);
    if (left) this.rawPushLeft(v);
    else this.rawPushRight(v);
    this.added(v, left);
  }

  /** LPUSH/RPUSH: pushes vals[from..] (latin1 text) one by one after one growth check for all of them. */
  pushMany(vals: readonly string[], from: number, left: boolean, lim: ListLimits): void {
    if (this.qCount === null) {
      let bytes = 0;
      for (let i = from; i < vals.length; i++) bytes += vals[i]!.length;
      this.growCheck(lim, bytes, vals.length - from);
    }
    for (let i = from; i < vals.length; i++) {
      const v = elem(vals[i]!);
      if (left) this.rawPushLeft(v);
      else this.rawPushRight(v);
      this.added(v, left);
    }
  }

  private rawPushRight(v: Elem): void {
    const r = this.chunks;
    let c = r.length === 0 ? undefined : r.at(r.length - 1);
    if (c === undefined || c.full()) {
      if (c !== undefined && r.length >= 2) this.packChunk(c);
      c = new Chunk([], '', 0, 0);
      r.pushRight(c);
      this.mem += CHUNK_OBJ + ARR_BASE;
    }
    c.items!.push(v);
    c.n++;
    c.bytes += sizeOf(v);
    const h = elemHeap(v);
    c.eh += h;
    this.mem += 8 + h;
    this.length++;
  }

  private rawPushLeft(v: Elem): void {
    const r = this.chunks;
    let c = r.length === 0 ? undefined : r.at(0);
    if (c === undefined || c.full()) {
      if (c !== undefined && r.length >= 2) this.packChunk(c);
      c = new Chunk([], '', 0, 0);
      r.pushLeft(c);
      this.mem += CHUNK_OBJ + ARR_BASE;
    }
    c.items!.unshift(v);
    c.n++;
    c.bytes += sizeOf(v);
    const h = elemHeap(v);
    c.eh += h;
    this.mem += 8 + h;
    this.length++;
  }

  /** Pops at the tail (no shrink check: callers make it once per command, see shrinkCheck). */
  popRight(): Elem | undefined {
    const v = this.rawPopRight();
    if (v !== undefined) this.removed(v, false);
    return v;
  }

  /** Pops at the head. */
  popLeft(): Elem | undefined {
    const v = this.rawPopLeft();
    if (v !== undefined) this.removed(v, true);
    return v;
  }

  private rawPopRight(): Elem | undefined {
    if (this.length === 0) return undefined;
    const r = this.chunks;
    let c = r.at(r.length - 1);
    if (c.n === 0) {
      r.popRight();
      this.mem -= chunkBytes(c);
      c = r.at(r.length - 1);
    }
    const items = this.unpackChunk(c);
    const v = items.pop()!;
    c.n--;
    c.bytes -= sizeOf(v);
    const h = elemHeap(v);
    c.eh -= h;
    this.mem -= 8 + h;
    this.length--;
    if (this.length === 0) this.reset();
    return v;
  }

  private rawPopLeft(): Elem | undefined {
    if (this.length === 0) return undefined;
    const r = this.chunks;
    let c = r.at(0);
    if (c.n === 0) {
      r.popLeft();
      this.mem -= chunkBytes(c);
      c = r.at(0);
    }
    const items = this.unpackChunk(c);
    const v = items.shift()!;
    c.n--;
    c.bytes -= sizeOf(v);
    const h = elemHeap(v);
    c.eh -= h;
    this.mem -= 8 + h;
    this.length--;
    if (this.length === 0) this.reset();
    return v;
  }

  /** Packs chunk c (an interior one), keeping `mem` current. */
  private packChunk(c: Chunk): void {
    if (c.items === null) return;
    this.mem -= chunkBytes(c);
    c.pack();
    this.mem += chunkBytes(c);
  }

  /** Unpacks chunk c, keeping `mem` current; returns its elements. */
  private unpackChunk(c: Chunk): Elem[] {
    if (c.items !== null) return c.items;
    this.mem -= chunkBytes(c);
    const items = c.unpack();
    this.mem += chunkBytes(c);
    return items;
  }

  /** Pops from the head (left=true) or the tail. */
  pop(left: boolean): Elem | undefined {
    return left ? this.popLeft() : this.popRight();
  }

  /** The chunk index holding element i (0 <= i < length) and the offset in it; walks from the nearer end. */
  private locate(i: number): [number, number] {
    const r = this.chunks;
    if (i < this.length / 2) {
      for (let k = 0; ; k++) {
        const n = r.at(k).n;
        if (i < n) return [k, i];
        i -= n;
      }
    }
    let j = this.length - 1 - i; // offset from the tail
    for (let k = r.length - 1; ; k--) {
      const n = r.at(k).n;
      if (j < n) return [k, n - 1 - j];
      j -= n;
    }
  }

  /** Whether chunk k is interior (kept packed). */
  private interior(k: number): boolean {
    return k > 0 && k < this.chunks.length - 1;
  }

  /** The element at index i (0 <= i < length). */
  at(i: number): Elem {
    const [k, off] = this.locate(i);
    const c = this.chunks.at(k);
    if (c.items !== null) return c.items[off]!;
    return packedAt(c.packed, off);
  }

  /**
   * Replaces the element at index i (0 <= i < length). The caller made the
   * growth check before (LSET does it before checking the index) and makes
   * the shrink check after; a quicklist node just changes size (Redis's
   * lpReplace in place, with no split).
   */
  setAt(i: number, v: Elem): void {
    const [k, off] = this.locate(i);
    const c = this.chunks.at(k);
    let old: Elem;
    if (c.items !== null) {
      old = c.items[off]!;
      const dh = elemHeap(v) - elemHeap(old);
      c.eh += dh;
      this.mem += dh;
      c.items[off] = v;
    } else {
      // an interior chunk: the element replaced in its packed text
      this.mem -= chunkBytes(c);
      [c.packed, old] = packedReplace(c.packed, off, v);
      this.mem += chunkBytes(c);
    }
    c.bytes += sizeOf(v) - sizeOf(old);
    const d = entrySize(v) - entrySize(old);
    if (this.qCount === null) this.lpBytes += d;
    else this.qSize[this.node(i)[0]]! += d;
  }

  /**
   * Calls fn with each element of [start, end] (inclusive, within the list)
   * in order, from `end` backwards when `reverse`; stops when fn returns true.
   */
  scan(start: number, end: number, reverse: boolean, fn: (v: Elem, i: number) => boolean | void): void {
    if (start > end || this.length === 0) return;
    const r = this.chunks;
    if (!reverse) {
      let [k, off] = this.locate(start);
      let i = start;
      for (; k < r.length && i <= end; k++, off = 0) {
        const c = r.at(k);
        if (c.n === 0) continue;
        const items = c.decode();
        for (let o = off; o < c.n && i <= end; o++, i++) if (fn(items[o]!, i) === true) return;
      }
    } else {
      let [k, off] = this.locate(end);
      let i = end;
      for (; k >= 0 && i >= start; k--) {
        const c = r.at(k);
        if (c.n === 0) continue;
        const items = c.decode();
        if (off < 0) off = c.n - 1;
        for (let o = off; o >= 0 && i >= start; o--, i--) if (fn(items[o]!, i) === true) return;
        off = -1;
      }
    }
  }

  /**
   * Writes [start, end] (inclusive, within the list) to `w` as RESP bulk
   * strings (LRANGE's hot path): packed chunks are copied from their packed
   * text without making an element string each.
   */
  bulks(start: number, end: number, w: RespBytes): void {
    const r = this.chunks;
    let [k, off] = this.locate(start);
    let left = end - start + 1;
    for (; left > 0; k++, off = 0) {
      const c = r.at(k);
      const n = Math.min(c.n - off, left);
      if (n <= 0) continue;
      left -= n;
      chunkBulks(c, off, n, w);
    }
  }

  /** The elements of [start, end] (inclusive, within the list). */
  range(start: number, end: number): Elem[] {
    const out: Elem[] = [];
    this.scan(start, end, false, (v) => {
      out.push(v);
    });
    return out;
  }

  /** Index of the first element equal to v scanning from the head, or -1. */
  indexOf(v: Elem): number {
    let found = -1;
    this.scan(0, this.length - 1, false, (x, i) => {
      if (x === v) {
        found = i;
        return true;
      }
      return false;
    });
    return found;
  }

  /**
   * Inserts v before (after=false) or after the element at index `pivot`
   * (LINSERT; the caller made the growth check). As a quicklist, the node
   * accounting follows Redis's _quicklistInsert: into the pivot's node when
   * it fits; at a node's edge into the neighbour when that fits, else a new
   * node; otherwise the node splits at the pivot and the parts merge with
   * their neighbours where the merged node fits.
   */
  insertAround(pivot: number, after: boolean, v: Elem): void {
    if (this.qCount === null) this.lpBytes += entrySize(v);
    else this.insertedQuicklist(pivot, after, v);
    this.rawInsertAt(after ? pivot + 1 : pivot, v);
  }

  /** Node accounting of an insertion next to element `pivot` (see insertAround). */
  private insertedQuicklist(pivot: number, after: boolean, v: Elem): void {
    const qc = this.qCount!;
    const qs = this.qSize;
    const es = entrySize(v);
    const len = textLen(v);
    const [k, off] = this.node(pivot);
    const full = !this.fits(k, len);
    if (!full) {
      qc[k]!++;
      qs[k]! += es;
      return;
    }
    const atTail = after && off === qc[k]! - 1;
    const atHead = !after && off === 0;
    if (atTail || atHead) {
      const nb = atTail ? k + 1 : k - 1;
      if (nb >= 0 && nb < qc.length && this.fits(nb, len)) {
        qc[nb]!++;
        qs[nb]! += es;
      } else {
        qc.splice(atTail ? k + 1 : k, 0, 1);
        qs.splice(atTail ? k + 1 : k, 0, LP_EMPTY + es);
      }
      return;
    }
    // split node k at the pivot: the new node takes the part after it (after)
    // or before it (before) and gets the element at its pivot side
    let start = 0;
    for (let j = 0; j < k; j++) start += qc[j]!;
    const [from, to] = after ? [pivot + 1, start + qc[k]! - 1] : [start, pivot - 1];
    let moved = 0;
    this.scan(from, to, false, (x) => {
      moved += entrySize(x);
    });
    const n = to - from + 1;
    qc[k]! -= n;
    qs[k]! -= moved;
    const at = after ? k + 1 : k;
    qc.splice(at, 0, n + 1);
    qs.splice(at, 0, LP_EMPTY + moved + es);
    this.mergeAround(after ? k : k + 1);
  }

  /** Whether nodes a and b merged would fit (_quicklistNodeAllowMerge). */
  private canMerge(a: number, b: number): boolean {
    const qc = this.qCount!;
    if (a < 0 || b < 0 || a >= qc.length || b >= qc.length) return false;
    return this.qSize[a]! + this.qSize[b]! - LP_EMPTY <= this.qLimitBytes && qc[a]! + qc[b]! <= this.qLimitCount;
  }

  /** Merges node k+1 into node k. */
  private merge(k: number): void {
    const qc = this.qCount!;
    qc[k]! += qc[k + 1]!;
    this.qSize[k]! += this.qSize[k + 1]! - LP_EMPTY;
    qc.splice(k + 1, 1);
    this.qSize.splice(k + 1, 1);
  }

  /** Redis's _quicklistMergeNodes around node c: (c-2, c-1), (c+1, c+2), (c-1, c), then (c, c+1). */
  private mergeAround(c: number): void {
    if (this.canMerge(c - 1, c - 2)) {
      this.merge(c - 2);
      c--;
    }
    if (this.canMerge(c + 1, c + 2)) this.merge(c + 1);
    if (this.canMerge(c, c - 1)) {
      this.merge(c - 1);
      c--;
    }
    if (this.canMerge(c, c + 1)) this.merge(c);
  }

  /** Inserts v so that it ends at index i (0 <= i <= length), encoding accounting included (a push at the ends). */
  insertAt(i: number, v: Elem, lim: ListLimits): void {
    if (i === 0) return this.pushLeft(v, lim);
    if (i === this.length) return this.pushRight(v, lim);
    this.insertAround(i, false, v);
  }

  /** Inserts v so that it ends at index i (0 < i < length), structure only. */
  private rawInsertAt(i: number, v: Elem): void {
    if (i === 0) return this.rawPushLeft(v);
    if (i === this.length) return this.rawPushRight(v);
    const [k, off] = this.locate(i);
    const c = this.chunks.at(k);
    const items = this.unpackChunk(c);
    items.splice(off, 0, v);
    c.n++;
    c.bytes += sizeOf(v);
    const h = elemHeap(v);
    c.eh += h;
    this.mem += 8 + h;
    this.length++;
    if (c.n >= CHUNK_MAX * 2) {
      // split in two halves so that chunks stay small
      this.mem -= chunkBytes(c);
      const half = c.n >> 1;
      const tail = items.splice(half);
      let tb = 0;
      let th = 0;
      for (const x of tail) {
        tb += sizeOf(x);
        th += elemHeap(x);
      }
      c.n = half;
      c.bytes -= tb;
      c.eh -= th;
      this.mem += chunkBytes(c);
      const nc = new Chunk(tail, '', tail.length, tb, th);
      this.chunks.insertAt(k + 1, nc);
      this.mem += chunkBytes(nc);
      if (this.interior(k + 1)) this.packChunk(nc);
    }
    if (this.interior(k)) this.packChunk(c);
  }

  /**
   * Keeps the elements [start, end] (inclusive, already clamped to the list,
   * start > end empties it); returns how many were removed.
   */
  trim(start: number, end: number, lim: ListLimits): number {
    const before = this.length;
    if (start > end || start >= before) {
      this.clear();
      return before;
    }
    // accounting first, as pops from each end (Redis's quicklistDelRange from
    // the head, then from the tail, drops emptied nodes and shrinks the rest)
    if (start > 0) this.scan(0, start - 1, false, (v) => this.removed(v, true));
    if (end < before - 1) this.scan(end + 1, before - 1, true, (v) => this.removed(v, false));
    const r = this.chunks;
    let left = start;
    let right = before - 1 - end;
    while (left > 0 && left >= r.at(0).n) {
      left -= r.at(0).n;
      this.mem -= chunkBytes(r.popLeft()!);
    }
    while (right > 0 && right >= r.at(r.length - 1).n) {
      right -= r.at(r.length - 1).n;
      this.mem -= chunkBytes(r.popRight()!);
    }
    // the end chunks change below and are counted again after fixEnds
    this.mem -= chunkBytes(r.at(0));
    if (r.length > 1) this.mem -= chunkBytes(r.at(r.length - 1));
    if (left > 0) {
      const c = r.at(0);
      const items = c.unpack();
      items.splice(0, left);
      c.n -= left;
    }
    if (right > 0) {
      const c = r.at(r.length - 1);
      const items = c.unpack();
      items.length -= right;
      c.n -= right;
    }
    this.length = end - start + 1;
    this.fixEnds();
    this.mem += chunkBytes(r.at(0));
    if (r.length > 1) this.mem += chunkBytes(r.at(r.length - 1));
    this.shrinkCheck(lim);
    return before - this.length;
  }

  /** After chunks were dropped: end chunks unpacked with fresh sizes. */
  private fixEnds(): void {
    const r = this.chunks;
    for (const k of [0, r.length - 1]) {
      if (k < 0 || k >= r.length) continue;
      const c = r.at(k);
      c.unpack();
      let b = 0;
      let h = 0;
      for (const v of c.items!) {
        b += sizeOf(v);
        h += elemHeap(v);
      }
      c.bytes = b;
      c.eh = h;
    }
  }

  /**
   * Removes up to `count` elements equal to v (count > 0 from the head,
   * count < 0 from the tail, 0 all); returns how many were removed.
   */
  remove(v: Elem, count: number, lim: ListLimits): number {
    // the matches, from the end the count names, up to the limit (as Redis's
    // LREM, whose iterator stops there: a match near that end costs little)
    const limit = count === 0 ? Infinity : Math.abs(count);
    const at: number[] = [];
    this.scan(0, this.length - 1, count < 0, (x, i) => {
      if (x !== v) return false;
      at.push(i);
      return at.length >= limit;
    });
    if (at.length === 0) return 0;
    if (count < 0) at.reverse();
    // accounting: each removed element leaves its node (quicklistDelEntry;
    // an emptied node goes, nothing merges)
    const es = entrySize(v);
    const qc = this.qCount;
    if (qc === null) this.lpBytes -= at.length * es;
    else {
      const qs = this.qSize;
      let k = 0;
      let end = qc[0]!; // index past node k
      for (const i of at) {
        while (i >= end) end += qc[++k]!;
        qc[k]!--;
        qs[k]! -= es;
      }
      for (let j = k; j >= 0; j--) {
        if (qc[j] === 0) {
          qc.splice(j, 1);
          qs.splice(j, 1);
        }
      }
    }
    this.removeAt(at);
    if (this.length > 0) this.shrinkCheck(lim);
    return at.length;
  }

  /**
   * Removes the elements at the indices `at` (ascending), structure only:
   * each chunk holding some is compacted where it is; an interior chunk
   * left empty goes, and one left small merges into a small interior
   * neighbour, so removals spread over a long list do not leave it as many
   * tiny chunks.
   */
  private removeAt(at: number[]): void {
    const r = this.chunks;
    const [k0, first] = this.locate(at[0]!);
    let k = k0;
    let base = at[0]! - first; // the index of chunk k's first element, before any removal
    for (let j = 0; j < at.length; k++) {
      const c = r.at(k);
      const n = c.n;
      let e = j;
      while (e < at.length && at[e]! < base + n) e++;
      if (e > j) {
        // next to an empty end chunk, this one becomes the end instead (as a pop past it does)
        if (k === 1 && r.at(0).n === 0) {
          this.mem -= chunkBytes(r.popLeft()!);
          k--;
        } else if (k === r.length - 2 && r.at(k + 1).n === 0) this.mem -= chunkBytes(r.popRight()!);
        const items = this.unpackChunk(c);
        let w = at[j]! - base;
        for (let o = w, q = j; o < n; o++) {
          const x = items[o]!;
          if (q < e && o === at[q]! - base) {
            q++;
            c.bytes -= sizeOf(x);
            const h = elemHeap(x);
            c.eh -= h;
            this.mem -= 8 + h;
          } else items[w++] = x;
        }
        items.length = w;
        c.n = w;
        this.length -= e - j;
        if (this.interior(k)) {
          if (w === 0) {
            this.mem -= chunkBytes(c);
            r.removeAt(k);
            k--;
          } else if (this.mergeLeft(k)) k--;
          else this.packChunk(c);
        }
      }
      base += n;
      j = e;
    }
    if (this.length === 0) this.reset();
  }

  /**
   * Chunk k (interior, unpacked, just shrunk) merges into its left
   * neighbour when that is interior too and both fit one chunk; true when
   * merged (chunk k gone, the neighbour packed). Only leftwards: the chunks
   * to the right may still have elements to remove.
   */
  private mergeLeft(k: number): boolean {
    const r = this.chunks;
    const c = r.at(k);
    if (c.n * 4 > CHUNK_MAX || !this.interior(k - 1)) return false;
    const d = r.at(k - 1);
    if (c.n + d.n > CHUNK_MAX) return false;
    const items = this.unpackChunk(d);
    if (d.bytes + c.bytes > CHUNK_BYTES) {
      this.packChunk(d);
      return false;
    }
    this.mem -= chunkBytes(d) + chunkBytes(c);
    for (const x of c.items!) items.push(x);
    d.n += c.n;
    d.bytes += c.bytes;
    d.eh += c.eh;
    this.mem += chunkBytes(d);
    r.removeAt(k);
    this.packChunk(d);
    return true;
  }

  /** Empties the list (a new, empty listpack). */
  clear(): void {
    this.reset();
    this.lpBytes = LP_EMPTY;
    this.qCount = null;
    this.qSize = NO_NODES;
  }

  /** Empties the structure (the encoding accounting is the caller's). */
  private reset(): void {
    this.chunks = new Ring<Chunk>();
    this.length = 0;
    this.mem = 0;
  }

  /**
   * Bytes in V8 (Collection.memBytes): the object, the ring of chunks, the
   * chunks (`mem`), the spare slots of the two end chunks' arrays, and the
   * quicklist node accounting arrays.
   */
  memBytes(): number {
    const r = this.chunks;
    let b = LIST_OBJ + RING_OBJ + ARR_BASE + 8 * r.capacity + this.mem;
    if (this.qCount !== null) b += 2 * arrBytes(this.qCount.length);
    if (r.length > 0) {
      const a = r.at(0);
      if (a.items !== null) b += 8 * (arrCap(a.n) - a.n);
      if (r.length > 1) {
        const z = r.at(r.length - 1);
        if (z.items !== null) b += 8 * (arrCap(z.n) - z.n);
      }
    }
    return b;
  }

  /** The elements as an array (tests, DUMP). */
  toArray(): Elem[] {
    return this.range(0, this.length - 1);
  }
}
