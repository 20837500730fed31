/**
 * The stream type: entries by ID with field/value lists, consumer groups and
 * their pending entries lists. Pure data, no I/O; the commands are in
 * commands/stream.ts.
 *
 * IDs are `ms-seq` with two unsigned 64-bit parts, kept as one bigint
 * (ms * 2^64 + seq), so comparing two IDs is one comparison.
 *
 * Entries are stored in nodes that mirror Redis's radix tree of listpacks
 * node for node: a node starts at its "master" entry, takes entries until
 * it holds `stream-node-max-entries` (live plus deleted) or its listpack
 * would reach `stream-node-max-bytes`, and deleted entries stay in their
 * node as tombstones until the whole node goes. The approximate (`~`) trims
 * remove whole nodes only, so their results depend on where the node
 * boundaries fall; to match Redis byte for byte, each node tracks the
 * listpack size Redis's node would have (listpack.c's element encodings:
 * integer texts stored as integers, string length prefixes, back-lengths).
 */
import type { Collection } from '../keyspace/value.js';
import { OBJ, ARR_BASE, BIGINT64, BIGINT128, MAP_BASE, MAP_ENTRY, arrBytes, arrCap, strBytes } from '../util/v8size.js';

/**
 * A StreamNode object (ids, fvs, flags, live, dead, body, master,
 * masterFields, mem, cap, masterMs, masterSeq), its three arrays' headers
 * and the master ID's two parts.
 */
const NODE_BYTES = OBJ + 12 * 8 + 3 * ARR_BASE + 2 * BIGINT64;
/** A Stream object (its 8 fields, nodesMem, acct). */
const STREAM_OBJ = OBJ + 10 * 8;
/** A Group: its object, its consumers Map, its PEL (IdMap: object, Map, key array). */
const GROUP_BYTES = OBJ + 5 * 8 + MAP_BASE + OBJ + 2 * 8 + MAP_BASE + ARR_BASE;
/** A Consumer: its object, its PEL (IdMap), its entry in the group's Map, its name (typical length). */
const CONSUMER_BYTES = OBJ + 4 * 8 + OBJ + 2 * 8 + MAP_BASE + ARR_BASE + MAP_ENTRY + 32;
/** A pending entry: the Nack object, its entries in the group's and the consumer's IdMaps (Map entry and key slot each). */
const NACK_BYTES = OBJ + 4 * 8 + 2 * (MAP_ENTRY + 8);

export type StreamId = bigint;

const U64 = (1n << 64n) - 1n;
export const ID_MIN: StreamId = 0n;
export const ID_MAX: StreamId = (U64 << 64n) | U64;

/** An ID from its two parts (each 0..2^64-1). */
export function makeId(ms: bigint, seq: bigint): StreamId {
  return (ms << 64n) | seq;
}
export function idMs(id: StreamId): bigint {
  return id >> 64n;
}
export function idSeq(id: StreamId): bigint {
  return id & U64;
}
/** `ms-seq` text. */
export function fmtId(id: StreamId): string {
  return `${id >> 64n}-${id & U64}`;
}

/**
 * Redis's string2ull: a strict integer text (string2ll) must not be
 * negative; otherwise strtoull's looser rules (leading spaces, a sign,
 * negation modulo 2^64) with the whole text consumed and no overflow.
 * Returns null when invalid.
 */
export function string2ull(s: string): bigint | null {
  if (/^(0|-?[1-9][0-9]*)$/.test(s) && s.length <= 20) {
    const v = BigInt(s);
    if (v >= -(1n << 63n) && v < 1n << 63n) return v < 0n ? null : v;
  }
  const m = /^[ \t\n\v\f\r]*([+-]?)([0-9]+)$/.exec(s);
  if (m === null) return null;
  const v = BigInt(m[2]!);
  if (v > U64) return null;
  return m[1] === '-' ? -v & U64 : v;
}

export interface ParsedId {
  id: StreamId;
  /** False only for `ms-*` (Redis's seq_given). */
  seqGiven: boolean;
  /** `ms-*` (XADD only). */
  seqAuto: boolean;
}

/**
 * Parses a client's stream ID (Redis's streamGenericParseIDOrReply):
 * `-` and `+` (unless strict), `ms` (the sequence is `missingSeq`),
 * `ms-seq`, and `ms-*` when `allowAutoSeq`. Null when invalid.
 */
export function parseId(s: string, missingSeq: bigint, strict: boolean, allowAutoSeq = false): ParsedId | null {
  if (s.length > 127) return null;
  if (s === '-' || s === '+') {
    if (strict) return null;
    return { id: s === '-' ? ID_MIN : ID_MAX, seqGiven: true, seqAuto: false };
  }
  const dash = s.indexOf('-');
  if (dash < 0) {
    const ms = string2ull(s);
    if (ms === null) return null;
    return { id: makeId(ms, missingSeq), seqGiven: true, seqAuto: false };
  }
  const ms = string2ull(s.slice(0, dash));
  if (ms === null) return null;
  const rest = s.slice(dash + 1);
  if (allowAutoSeq && rest === '*') return { id: makeId(ms, 0n), seqGiven: false, seqAuto: true };
  const seq = string2ull(rest);
  if (seq === null) return null;
  return { id: makeId(ms, seq), seqGiven: true, seqAuto: false };
}

/** The next ID (seq+1, carrying into ms); null past the last possible ID. */
export function incrId(id: StreamId): StreamId | null {
  return id === ID_MAX ? null : id + 1n; // seq + 1, carrying into ms
}
/** The previous ID; null before 0-0. */
export function decrId(id: StreamId): StreamId | null {
  return id === 0n ? null : id - 1n;
}

// ---------------------------------------------------------------------------
// Listpack sizes (as listpack.c encodes elements)

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/**
 * Bytes of an integer element's encoding (without its back-length). A
 * bigint is compared as a number (exact here: every bound is far below
 * 2^53, and a bigint beyond them rounds to a number beyond them too), so
 * no BigInt is made per element.
 */
function intEncLen(v: number | bigint): number {
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (n >= 0 && n <= 127) return 1;
  if (n >= -4096 && n <= 4095) return 2;
  if (n >= -32768 && n <= 32767) return 3;
  if (n >= -8388608 && n <= 8388607) return 4;
  if (n >= -2147483648 && n <= 2147483647) return 5;
  return 9;
}

/** Bytes of the back-length that follows an element of `l` bytes. */
function backLen(l: number): number {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

/** Size of an integer element. */
function intElem(v: number | bigint): number {
  const l = intEncLen(v);
  return l + backLen(l);
}

/** Size of a string element (listpack stores canonical integer texts as integers). */
function strElem(s: string): number {
  const n = s.length;
  if (n > 0 && n <= 20) {
    const c = s.charCodeAt(0);
    if ((c >= 48 && c <= 57) || c === 45) {
      if (s === '0' || /^-?[1-9][0-9]*$/.test(s)) {
        // up to 15 digits a number holds the value exactly: no BigInt
        if (n <= 15) return intElem(Number(s));
        const v = BigInt(s);
        if (v >= I64_MIN && v <= I64_MAX) return intElem(v);
      }
    }
  }
  const l = n < 64 ? 1 + n : n < 4096 ? 2 + n : 5 + n;
  return l + backLen(l);
}

/** A 64-bit two's-complement difference (listpack stores ID deltas as int64). */
function delta(a: bigint, b: bigint): bigint {
  const d = a - b;
  return d >= I64_MIN && d <= I64_MAX ? d : BigInt.asIntN(64, d);
}

// ---------------------------------------------------------------------------
// Nodes

/** Entry flags as Redis stores them. */
const F_DELETED = 1;
const F_SAMEFIELDS = 2;

/** One listpack node of the radix tree. */
export class StreamNode {
  /** Entry IDs in order (the first is the master ID). */
  ids: StreamId[] = [];
  /** Each entry's flat field/value list. */
  fvs: string[][] = [];
  /** Per entry: F_DELETED | F_SAMEFIELDS. */
  flags: number[] = [];
  /** Live and tombstoned entries. */
  live = 0;
  dead = 0;
  /** Listpack bytes other than the header, the live/deleted counters and the end byte. */
  body: number;
  /** V8 bytes of this node (memory accounting), kept as entries are added. */
  mem: number;
  /** The capacity V8 gave the ids/fvs/flags arrays (their push growth). */
  private cap = 0;
  /** The master ID's two parts (each entry is stored as its difference from them). */
  private readonly masterMs: bigint;
  private readonly masterSeq: bigint;

  constructor(
    readonly master: StreamId,
    readonly masterFields: string[],
  ) {
    this.masterMs = idMs(master);
    this.masterSeq = idSeq(master);
    let b = intElem(masterFields.length) + intElem(0);
    for (const f of masterFields) b += strElem(f);
    this.body = b;
    // the master fields: the array and its strings (which every entry with the same fields shares)
    let m = NODE_BYTES + arrBytes(masterFields.length);
    for (const f of masterFields) m += strBytes(f.length);
    this.mem = m;
  }

  /** The listpack's total size, as lpBytes() reports it. */
  lpBytes(): number {
    return 6 + 1 + intElem(this.live) + intElem(this.dead) + this.body;
  }

  /** Appends an entry (the caller chose this node). */
  append(id: StreamId, fv: string[]): void {
    const nf = fv.length / 2;
    let same = nf === this.masterFields.length;
    if (same)
      for (let i = 0; i < nf; i++)
        if (fv[i * 2] !== this.masterFields[i]) {
          same = false;
          break;
        }
    let b = intElem(same ? F_SAMEFIELDS : 0);
    b += intElem(delta(idMs(id), this.masterMs));
    b += intElem(delta(idSeq(id), this.masterSeq));
    if (same) {
      // The entry keeps the master's field strings (equal to its own, as Redis's listpack stores
      // the fields once): its own die young instead of being promoted with it (XADD was GC-bound).
      for (let i = 0; i < nf; i++) fv[i * 2] = this.masterFields[i]!;
      for (let i = 1; i < fv.length; i += 2) b += strElem(fv[i]!);
      b += intElem(nf + 3);
    } else {
      b += intElem(nf);
      for (const x of fv) b += strElem(x);
      b += intElem(nf * 2 + 4);
    }
    this.body += b;
    this.ids.push(id);
    this.fvs.push(fv);
    this.flags.push(same ? F_SAMEFIELDS : 0);
    this.live++;
    // the ID, the entry's field/value array and its own strings (the values
    // alone when the fields are the master's); the three arrays' slots as they grow
    let m = BIGINT128 + ARR_BASE + 8 * fv.length;
    for (let i = same ? 1 : 0; i < fv.length; i += same ? 2 : 1) m += strBytes(fv[i]!.length);
    const n = this.ids.length;
    if (n > this.cap) {
      const c = arrCap(n);
      m += 3 * 8 * (c - this.cap);
      this.cap = c;
    }
    this.mem += m;
  }

  /** Index of the first entry with an ID >= id (ids.length when none). */
  lowerBound(id: StreamId): number {
    const ids = this.ids;
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ids[mid]! < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  isDeleted(i: number): boolean {
    return (this.flags[i]! & F_DELETED) !== 0;
  }

  /** Marks entry i deleted (a tombstone; counters updated). */
  markDeleted(i: number): void {
    this.flags[i]! |= F_DELETED;
    this.live--;
    this.dead++;
  }

  dup(): StreamNode {
    const n = new StreamNode(this.master, this.masterFields);
    n.ids = this.ids.slice();
    n.fvs = this.fvs.slice(); // entries are immutable once added
    n.flags = this.flags.slice();
    n.live = this.live;
    n.dead = this.dead;
    n.body = this.body;
    n.mem = this.mem;
    n.cap = this.cap;
    return n;
  }
}

// ---------------------------------------------------------------------------
// Consumer groups

export interface Nack {
  id: StreamId;
  consumer: Consumer;
  deliveryTime: number;
  deliveryCount: number;
}

/**
 * A map of IDs kept in ID order (a pending entries list): a Map for lookup
 * beside a sorted array of its keys.
 */
export class IdMap<V> {
  private readonly map = new Map<StreamId, V>();
  private keys: StreamId[] = [];

  get size(): number {
    return this.keys.length;
  }
  get(id: StreamId): V | undefined {
    return this.map.get(id);
  }
  has(id: StreamId): boolean {
    return this.map.has(id);
  }
  /** Index of the first key >= id. */
  lowerBound(id: StreamId): number {
    const k = this.keys;
    let lo = 0;
    let hi = k.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (k[mid]! < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  set(id: StreamId, v: V): void {
    if (!this.map.has(id)) {
      const i = this.lowerBound(id);
      if (i === this.keys.length) this.keys.push(id);
      else this.keys.splice(i, 0, id);
    }
    this.map.set(id, v);
  }
  delete(id: StreamId): boolean {
    if (!this.map.delete(id)) return false;
    this.keys.splice(this.lowerBound(id), 1);
    return true;
  }
  keyAt(i: number): StreamId | undefined {
    return this.keys[i];
  }
  first(): StreamId | undefined {
    return this.keys[0];
  }
  last(): StreamId | undefined {
    return this.keys[this.keys.length - 1];
  }
  /** Keys from index i on, in order (a snapshot, safe to mutate the map meanwhile). */
  *from(i: number): Generator<[StreamId, V]> {
    const ks = this.keys.slice(i);
    for (const k of ks) {
      const v = this.map.get(k);
      if (v !== undefined) yield [k, v];
    }
  }
}

export class Consumer {
  readonly pel = new IdMap<Nack>();
  constructor(
    readonly name: string,
    /** Last time the consumer was seen (any interaction), ms. */
    public seenTime: number,
    /** Last successful read or claim (Redis 7.2), ms; -1 never. */
    public activeTime = -1,
  ) {}
}

/** SCG_INVALID_ENTRIES_READ */
export const ENTRIES_READ_INVALID = -1;

export class Group {
  readonly pel = new IdMap<Nack>();
  /** Consumers by name (listed in name order by XINFO). */
  readonly consumers = new Map<string, Consumer>();
  constructor(
    readonly name: string,
    public lastId: StreamId,
    public entriesRead: number,
  ) {}

  /** Consumers sorted as Redis's rax orders them (bytewise). */
  sortedConsumers(): Consumer[] {
    return [...this.consumers.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

// ---------------------------------------------------------------------------
// The stream

export interface TrimArgs {
  strategy: 'maxlen' | 'minid';
  maxlen: number;
  minid: StreamId;
  approx: boolean;
  /** Most entries removed (0: no limit). */
  limit: number;
}

export class Stream implements Collection {
  readonly type = 'stream' as const;
  nodes: StreamNode[] = [];
  length = 0;
  lastId: StreamId = 0n;
  firstId: StreamId = 0n;
  maxDeletedId: StreamId = 0n;
  entriesAdded = 0;
  groups = new Map<string, Group>();
  /** V8 bytes of the nodes (StreamNode.mem each), kept as nodes come and go. */
  private nodesMem = 0;
  acct = 0;

  encoding(): string {
    return 'stream';
  }

  /** Groups in name order (Redis keeps them in a rax). */
  sortedGroups(): Group[] {
    return [...this.groups.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  dup(): Stream {
    const s = new Stream();
    s.nodes = this.nodes.map((n) => n.dup());
    s.nodesMem = this.nodesMem;
    s.length = this.length;
    s.lastId = this.lastId;
    s.firstId = this.firstId;
    s.maxDeletedId = this.maxDeletedId;
    s.entriesAdded = this.entriesAdded;
    for (const g of this.groups.values()) {
      const ng = new Group(g.name, g.lastId, g.entriesRead);
      for (const c of g.consumers.values()) ng.consumers.set(c.name, new Consumer(c.name, c.seenTime, c.activeTime));
      for (const [id, n] of g.pel.from(0)) {
        const c = ng.consumers.get(n.consumer.name)!;
        const nn: Nack = { id, consumer: c, deliveryTime: n.deliveryTime, deliveryCount: n.deliveryCount };
        ng.pel.set(id, nn);
        c.pel.set(id, nn);
      }
      s.groups.set(g.name, ng);
    }
    return s;
  }

  /**
   * Bytes in V8 (Collection.memBytes): the object, the node array, the nodes
   * (entries, their IDs and strings), and per consumer group its objects,
   * consumers and pending entries. O(groups), not O(1): a stream has few.
   */
  memBytes(): number {
    let b = STREAM_OBJ + MAP_BASE + arrBytes(this.nodes.length) + this.nodesMem;
    if (this.groups.size !== 0) {
      for (const g of this.groups.values())
        b +=
          GROUP_BYTES +
          MAP_ENTRY +
          strBytes(g.name.length) +
          g.consumers.size * CONSUMER_BYTES +
          g.pel.size * NACK_BYTES;
    }
    return b;
  }

  /** Recomputes the node byte total after `nodes` was filled directly (RDB loading). O(nodes). */
  recount(): void {
    let b = 0;
    for (const n of this.nodes) b += n.mem;
    this.nodesMem = b;
  }

  /**
   * Appends an entry with `id` (greater than lastId: the caller checked) as
   * Redis's streamAppendItem places it: in the last node unless that node is
   * full by bytes or entries, else in a new node.
   */
  append(id: StreamId, fv: string[], maxEntries: number, maxBytes: number): void {
    let node = this.nodes[this.nodes.length - 1];
    if (node !== undefined) {
      const cap = maxBytes === 0 || maxBytes > 1 << 30 ? 1 << 30 : maxBytes;
      let tot = 0;
      for (const x of fv) tot += x.length;
      if (node.lpBytes() + tot >= cap) node = undefined;
      else if (maxEntries !== 0 && node.live + node.dead >= maxEntries) node = undefined;
    }
    if (node === undefined) {
      const fields: string[] = [];
      for (let i = 0; i < fv.length; i += 2) fields.push(fv[i]!);
      node = new StreamNode(id, fields);
      this.nodes.push(node);
    } else this.nodesMem -= node.mem;
    node.append(id, fv);
    this.nodesMem += node.mem;
    this.length++;
    this.entriesAdded++;
    this.lastId = id;
    if (this.length === 1) this.firstId = id;
  }

  /** Index of the node that may hold `id`: the last with master <= id (0 when none). */
  private nodeFor(id: StreamId): number {
    const ns = this.nodes;
    let lo = 0;
    let hi = ns.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ns[mid]!.master <= id) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? 0 : lo - 1;
  }

  /**
   * Live entries with start <= id <= end, in order (reverse when rev), at
   * most `count` (0: all). Calls fn(id, fields/values); fn may return false
   * to stop.
   */
  range(
    start: StreamId,
    end: StreamId,
    rev: boolean,
    count: number,
    fn: (id: StreamId, fv: string[]) => boolean | void,
  ): number {
    let n = 0;
    if (start > end || this.nodes.length === 0) return 0;
    const ns = this.nodes;
    if (!rev) {
      for (let ni = this.nodeFor(start); ni < ns.length; ni++) {
        const node = ns[ni]!;
        for (let i = ni === 0 || node.master < start ? node.lowerBound(start) : 0; i < node.ids.length; i++) {
          const id = node.ids[i]!;
          if (id > end) return n;
          if (node.isDeleted(i)) continue;
          n++;
          if (fn(id, node.fvs[i]!) === false) return n;
          if (count !== 0 && n >= count) return n;
        }
      }
    } else {
      for (let ni = this.nodeFor(end); ni >= 0; ni--) {
        const node = ns[ni]!;
        let i = node.lowerBound(end);
        if (i < node.ids.length && node.ids[i] === end) i++;
        for (i--; i >= 0; i--) {
          const id = node.ids[i]!;
          if (id < start) return n;
          if (node.isDeleted(i)) continue;
          n++;
          if (fn(id, node.fvs[i]!) === false) return n;
          if (count !== 0 && n >= count) return n;
        }
      }
    }
    return n;
  }

  /** The live entry with this ID, or undefined. */
  get(id: StreamId): string[] | undefined {
    if (this.nodes.length === 0) return undefined;
    const node = this.nodes[this.nodeFor(id)]!;
    const i = node.lowerBound(id);
    if (i < node.ids.length && node.ids[i] === id && !node.isDeleted(i)) return node.fvs[i];
    return undefined;
  }

  /** First (or last) live entry, or undefined when empty. */
  edge(last: boolean): [StreamId, string[]] | undefined {
    let r: [StreamId, string[]] | undefined;
    this.range(ID_MIN, ID_MAX, last, 1, (id, fv) => {
      r = [id, fv];
    });
    return r;
  }

  /** The ID of the last live entry (0-0 when empty): streamLastValidID. */
  lastValidId(): StreamId {
    return this.edge(true)?.[0] ?? 0n;
  }

  /**
   * Deletes one entry (XDEL): true when it was live. A node whose last live
   * entry goes is removed whole. Does not update firstId/maxDeletedId.
   */
  delete(id: StreamId): boolean {
    if (this.nodes.length === 0) return false;
    const ni = this.nodeFor(id);
    const node = this.nodes[ni]!;
    const i = node.lowerBound(id);
    if (i >= node.ids.length || node.ids[i] !== id || node.isDeleted(i)) return false;
    if (node.live === 1) {
      this.nodes.splice(ni, 1);
      this.nodesMem -= node.mem;
    } else node.markDeleted(i);
    this.length--;
    return true;
  }

  /** Recomputes firstId after entries went (0-0 when empty). */
  updateFirstId(): void {
    this.firstId = this.length === 0 ? 0n : (this.edge(false)?.[0] ?? 0n);
  }

  /**
   * Trims by MAXLEN or MINID as Redis's streamTrim: whole nodes from the
   * head while they fit the bound and the limit allows; with `approx` it
   * stops at the first node it cannot remove whole, otherwise it marks
   * entries of that node deleted. Returns the number of entries removed.
   */
  trim(a: TrimArgs): number {
    let deleted = 0;
    while (this.nodes.length !== 0) {
      if (a.strategy === 'maxlen' && this.length <= a.maxlen) break;
      const node = this.nodes[0]!;
      const entries = node.live;
      // the limit is on work: a node that would take the count past it is not touched
      if (a.limit !== 0 && deleted + entries > a.limit) break;
      let remove: boolean;
      if (a.strategy === 'maxlen') remove = this.length - entries >= a.maxlen;
      else remove = node.ids[node.ids.length - 1]! < a.minid;
      if (remove) {
        this.nodes.shift();
        this.nodesMem -= node.mem;
        this.length -= entries;
        deleted += entries;
        continue;
      }
      if (a.approx) break;
      for (let i = 0; i < node.ids.length; i++) {
        const stop = a.strategy === 'maxlen' ? this.length <= a.maxlen : node.ids[i]! >= a.minid;
        if (stop) break;
        if (!node.isDeleted(i)) {
          node.markDeleted(i);
          this.length--;
          deleted++;
        }
      }
      break;
    }
    if (deleted !== 0) this.updateFirstId();
    return deleted;
  }

  /**
   * Redis's streamEstimateDistanceFromFirstEverEntry: the logical read
   * counter of `id` (how many entries were added up to it), or -1 when it
   * cannot be known.
   */
  estimateDistance(id: StreamId): number {
    if (this.entriesAdded === 0) return 0;
    if (this.length === 0 && id <= this.lastId) return this.entriesAdded;
    if (id === this.lastId) return this.entriesAdded;
    if (id > this.lastId) return ENTRIES_READ_INVALID;
    if (this.maxDeletedId === 0n || this.maxDeletedId < this.firstId) {
      if (id < this.firstId) return this.entriesAdded - this.length;
      if (id === this.firstId) return this.entriesAdded - this.length + 1;
    }
    return ENTRIES_READ_INVALID;
  }

  /** Redis's streamRangeHasTombstones for [start, end]. */
  rangeHasTombstones(start: StreamId, end: StreamId): boolean {
    if (this.length === 0 || this.maxDeletedId === 0n) return false;
    if (this.firstId > this.maxDeletedId) return false;
    return start <= this.maxDeletedId && this.maxDeletedId <= end;
  }

  /** A group's lag (XINFO), or null when it cannot be known. */
  lag(g: Group): number | null {
    if (this.entriesAdded === 0) return 0;
    if (g.entriesRead !== ENTRIES_READ_INVALID && !this.rangeHasTombstones(g.lastId, ID_MAX))
      return this.entriesAdded - g.entriesRead;
    const r = this.estimateDistance(g.lastId);
    return r === ENTRIES_READ_INVALID ? null : this.entriesAdded - r;
  }

  /** Radix tree size figures for XINFO STREAM: [keys, nodes]. */
  radixStats(): [number, number] {
    return [this.nodes.length, raxNodeCount(this.nodes.map((n) => n.master))];
  }
}

/**
 * The number of nodes of a rax holding these 16-byte big-endian keys (XINFO
 * STREAM radix-tree-nodes): rax compresses single-child chains into one
 * node, and each key ends at a node of its own.
 */
function raxNodeCount(keys: StreamId[]): number {
  if (keys.length === 0) return 1;
  const bytes = keys.map((k) => {
    const b: number[] = [];
    for (let i = 15; i >= 0; i--) b.push(Number((k >> BigInt(i * 8)) & 0xffn));
    return b;
  });
  // Count nodes of a radix tree built by insertion, modelled on rax's shape:
  // a node is either compressed (a run of bytes, one child) or a branch.
  return countRax(bytes, 0, bytes.length, 0, true);
}

/** Nodes for keys[lo..hi) (sorted, distinct) sharing their first `depth` bytes. */
function countRax(keys: number[][], lo: number, hi: number, depth: number, _root: boolean): number {
  // keys equal to the prefix end here (a key node); only possible when depth === 16
  if (depth === 16) return 1;
  if (hi - lo === 1) {
    // the remaining bytes of one key: one compressed node, then the key's leaf node
    return 2;
  }
  // common prefix among all keys from depth
  let common = 0;
  while (depth + common < 16) {
    const b = keys[lo]![depth + common];
    let same = true;
    for (let i = lo + 1; i < hi; i++)
      if (keys[i]![depth + common] !== b) {
        same = false;
        break;
      }
    if (!same) break;
    common++;
  }
  let n = 0;
  if (common > 0) n++; // a compressed node for the shared run
  const d = depth + common;
  n++; // the branching node
  for (let i = lo; i < hi;) {
    let j = i + 1;
    while (j < hi && keys[j]![d] === keys[i]![d]) j++;
    n += countRax(keys, i, j, d + 1, false) - 0;
    i = j;
  }
  return n;
}

/**
 * Commands that rebuild this stream exactly, groups and pending lists
 * included (an AOF rewrite without the RDB preamble), as Redis's
 * rewriteStreamObject writes them: the entries by XADD with their IDs (an
 * empty stream by XADD MAXLEN 0), XSETID with the counters, XGROUP CREATE
 * with ENTRIESREAD, an XCLAIM ... FORCE per pending entry and XGROUP
 * CREATECONSUMER for consumers with nothing pending.
 */
export function streamRebuildCommands(key: string, s: Stream): string[][] {
  const out: string[][] = [];
  s.range(ID_MIN, ID_MAX, false, 0, (id, fv) => {
    out.push(['XADD', key, fmtId(id), ...fv]);
  });
  if (out.length === 0) out.push(['XADD', key, 'MAXLEN', '0', '0-1', 'x', 'y']);
  out.push([
    'XSETID',
    key,
    fmtId(s.lastId),
    'ENTRIESADDED',
    String(s.entriesAdded),
    'MAXDELETEDID',
    fmtId(s.maxDeletedId),
  ]);
  for (const g of s.sortedGroups()) {
    out.push(['XGROUP', 'CREATE', key, g.name, fmtId(g.lastId), 'ENTRIESREAD', String(g.entriesRead)]);
    for (const [id, n] of g.pel.from(0)) {
      out.push([
        'XCLAIM',
        key,
        g.name,
        n.consumer.name,
        '0',
        fmtId(id),
        'TIME',
        String(n.deliveryTime),
        'RETRYCOUNT',
        String(n.deliveryCount),
        'JUSTID',
        'FORCE',
      ]);
    }
    for (const c of g.sortedConsumers())
      if (c.pel.size === 0) out.push(['XGROUP', 'CREATECONSUMER', key, g.name, c.name]);
  }
  return out;
}
