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
import { Buffer } from 'node:buffer';
import type { Collection } from '../keyspace/value.js';
import {
  OBJ,
  ARR_BASE,
  BIGINT128,
  HEAP_NUMBER,
  MAP_BASE,
  MAP_ENTRY,
  TYPED_BASE,
  arrBytes,
  strBytes,
} from '../util/v8size.js';
import { latin1Into, latin1Of } from '../util/latin1.js';
import {
  BULK_EXTRA,
  BULK_ID_MAX,
  HEADER_MAX,
  STAR,
  putBulkBytes,
  putBulkId,
  putBulkText,
  putHeader,
  type RespBytes,
} from '../protocol/resp-bytes.js';
import { DOUBLE_ZERO } from '../util/numbers.js';

/**
 * A StreamNode object (count, idx, highs, data, used, live, dead, body, mem,
 * mWords, master, masterFields), its index's and data buffer's objects
 * (their bytes are counted by capacity; `highs` when made), the master ID
 * and its words' array.
 */
const NODE_BYTES = OBJ + 12 * 8 + 2 * TYPED_BASE + BIGINT128 + ARR_BASE + 4 * 8;
/** A Stream object (its 10 fields, nodesMem, acct). */
const STREAM_OBJ = OBJ + 12 * 8;
/** An IdMap: its object (6 fields) and its four arrays (of ID, ms and value blocks, and of last ms). */
const IDMAP_BYTES = OBJ + 6 * 8 + 4 * ARR_BASE;
/** A Group: its object, its consumers Map, its PEL. */
const GROUP_BYTES = OBJ + 5 * 8 + MAP_BASE + IDMAP_BYTES;
/** A Consumer: its object, its PEL, its entry in the group's Map, its name (typical length). */
const CONSUMER_BYTES = OBJ + 4 * 8 + IDMAP_BYTES + MAP_ENTRY + 32;
/**
 * A pending entry: the Nack object and its delivery time's heap number, its ID, and its ID's, ms key's and
 * value's slots in the group's and the consumer's IdMap blocks, 12 bytes a slot: a block grown by appends
 * has room for more (131 slots for 78-128 entries, 77 for 42-77); measured at 168-203 bytes a pending entry
 * in all (100,000 in one PEL; 100 in each of many).
 */
const NACK_BYTES = OBJ + 4 * 8 + HEAP_NUMBER + BIGINT128 + 2 * 3 * 12;

export type StreamId = bigint;

const U64 = (1n << 64n) - 1n;
/** 2^53 - 1: the largest part a double holds exactly. */
const SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);
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
  // (digits alone, as IDs are written: both rules read their decimal value; 15 digits fit a double)
  const n = s.length;
  if (n !== 0 && n <= 15) {
    let v = 0;
    let i = 0;
    for (; i < n; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
    if (i === n) return BigInt(v);
  }
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

/** Bytes of a length as a varint (7 bits a byte, low bits first). */
function varLen(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** Writes a varint at o; returns the offset after it. */
function putVar(b: Buffer, o: number, n: number): number {
  while (n >= 0x80) {
    b[o++] = (n % 0x80) | 0x80;
    n = Math.floor(n / 0x80);
  }
  b[o++] = n;
  return o;
}

/** Writes a string (its length, then its latin1 bytes) at o; returns the offset after it. */
function putStr(b: Buffer, o: number, s: string): number {
  const n = s.length;
  return latin1Into(b, n < 0x80 ? ((b[o] = n), o + 1) : putVar(b, o, n), s);
}

/** The offset after the varint getVar last read (it returns the value). */
let varEnd = 0;

/** Reads a varint at o. */
function getVar(b: Buffer, o: number): number {
  let n = b[o++]!;
  if (n >= 0x80) {
    n &= 0x7f;
    for (let mul = 0x80; ; mul *= 0x80) {
      const c = b[o++]!;
      n += (c & 0x7f) * mul;
      if (c < 0x80) break;
    }
  }
  varEnd = o;
  return n;
}

/** 2^32: a 64-bit ID part is kept as two 32-bit words. */
const TWO32 = 4294967296;
/** Words per entry in a node's index: its ID's low words (ms, seq) and its data offset. */
const W = 3;

/**
 * The ID words the comparisons below look for (set by target(); one search
 * at a time), at MS_HI, MS_LO, SEQ_HI, SEQ_LO. A typed array: a word at
 * or above 2^31 stored into a module variable is a heap number allocated at
 * each store (as the ms low word is for weeks at a time).
 */
const tw = new Uint32Array(4);
const MS_HI = 0;
const MS_LO = 1;
const SEQ_HI = 2;
const SEQ_LO = 3;

/** Sets the target's ms (or seq) words from a 64-bit part (by division when it is below 2^53, else by BigInt shifts). */
function setWords(v: bigint, ms: boolean): void {
  const n = Number(v);
  let hi: number;
  let lo: number;
  if (n <= Number.MAX_SAFE_INTEGER) {
    hi = Math.floor(n / TWO32);
    lo = n % TWO32;
  } else {
    hi = Number(v >> 32n);
    lo = Number(v & 0xffffffffn);
  }
  if (ms) {
    tw[MS_HI] = hi;
    tw[MS_LO] = lo;
  } else {
    tw[SEQ_HI] = hi;
    tw[SEQ_LO] = lo;
  }
}

/** The ID whose words tw holds (a range looks up the same bounds node after node). */
let targetId: StreamId = -1n;

function target(id: StreamId): void {
  if (id === targetId) return;
  setWords(id >> 64n, true);
  setWords(id & U64, false);
  targetId = id;
}

/** Sets the target's words from an ID's parts given as doubles below 2^53 (no BigInt: XADD's own IDs). */
function targetParts(ms: number, seq: number): void {
  tw[MS_HI] = Math.floor(ms / TWO32);
  tw[MS_LO] = ms % TWO32;
  tw[SEQ_HI] = Math.floor(seq / TWO32);
  tw[SEQ_LO] = seq % TWO32;
  targetId = -1n;
}

/** A 64-bit part from its words. */
function part(hi: number, lo: number): bigint {
  return hi < 0x200000 ? BigInt(hi * TWO32 + lo) : (BigInt(hi) << 32n) | BigInt(lo);
}

/** Bytes of a listpack integer holding the int64 difference of two 64-bit parts given as words. */
function deltaElem(aHi: number, aLo: number, bHi: number, bLo: number): number {
  if (aHi < 0x200000 && bHi < 0x200000) return intElem(aHi * TWO32 + aLo - (bHi * TWO32 + bLo));
  return intElem(delta(part(aHi, aLo), part(bHi, bLo)));
}

/**
 * One listpack node of the radix tree, with no object per entry. Its index
 * holds each entry's ms and seq low words and the offset of its data; the
 * high words are the master's ms high word and 0 for every entry (12 bytes
 * an entry, for any real clock) until one differs, and then live in an
 * array of their own. Its data holds, from an entry's offset, its flags
 * byte, then, unless its fields are the master's (F_SAMEFIELDS: its values
 * alone are stored), its field count as a varint, then its strings (values,
 * or field, value, ...), each a varint length and its latin1 bytes.
 */
export class StreamNode {
  /** Entries, live and deleted. */
  count = 0;
  /** Per entry: ms low word, seq low word, data offset. */
  private idx: Uint32Array;
  /** Per entry: ms high word, seq high word; null while every entry's are (mWords[0], 0). */
  private highs: Uint32Array | null = null;
  private data: Buffer;
  /** Bytes of data in use. */
  private used = 0;
  /** Live and tombstoned entries. */
  live = 0;
  dead = 0;
  /** Listpack bytes other than the header, the live/deleted counters and the end byte. */
  body: number = 0;
  /** V8 bytes of this node (memory accounting), kept as entries are added. */
  mem: number = 0;
  /** The master ID's words (each entry is stored in the listpack as its difference from them). */
  private readonly mWords: readonly [number, number, number, number];

  constructor(
    readonly master: StreamId,
    readonly masterFields: string[],
    /** The first sizes of the index (entries) and data (bytes); each doubles when full. */
    entriesCap: number,
    dataCap: number,
  ) {
    target(master);
    this.mWords = [tw[MS_HI]!, tw[MS_LO]!, tw[SEQ_HI]!, tw[SEQ_LO]!];
    let b = intElem(masterFields.length) + intElem(0);
    for (const f of masterFields) b += strElem(f);
    this.body = b;
    this.idx = new Uint32Array(Math.max(1, entriesCap) * W);
    this.data = Buffer.allocUnsafeSlow(dataCap);
    // the master fields: the array and its strings (which every entry with the same fields shares)
    let m = NODE_BYTES + arrBytes(masterFields.length) + this.idx.byteLength + dataCap;
    for (const f of masterFields) m += strBytes(f.length);
    this.mem = m;
  }

  /** The listpack's total size, as lpBytes() reports it. */
  lpBytes(): number {
    return 6 + 1 + intElem(this.live) + intElem(this.dead) + this.body;
  }

  /** Appends an entry, its fields and values fv[from..] (the caller chose this node). */
  append(id: StreamId, fv: readonly string[], from: number): void {
    target(id);
    this.appendTarget(fv, from);
  }

  /** append() of the entry whose ID the target words hold (target() or targetParts()). */
  appendTarget(fv: readonly string[], from: number): void {
    const nf = (fv.length - from) / 2;
    const mf = this.masterFields;
    let same = nf === mf.length;
    if (same)
      for (let i = 0; i < nf; i++)
        if (fv[from + i * 2] !== mf[i]) {
          same = false;
          break;
        }
    const mw = this.mWords;
    // the listpack's bytes (Redis's layout), and this buffer's
    let b = intElem(same ? F_SAMEFIELDS : 0);
    b += deltaElem(tw[MS_HI]!, tw[MS_LO]!, mw[0], mw[1]);
    b += deltaElem(tw[SEQ_HI]!, tw[SEQ_LO]!, mw[2], mw[3]);
    let need = 1;
    if (same) {
      for (let i = from + 1; i < fv.length; i += 2) {
        const v = fv[i]!;
        b += strElem(v);
        need += varLen(v.length) + v.length;
      }
      b += intElem(nf + 3);
    } else {
      b += intElem(nf);
      need += varLen(nf);
      for (let i = from; i < fv.length; i++) {
        const x = fv[i]!;
        b += strElem(x);
        need += varLen(x.length) + x.length;
      }
      b += intElem(nf * 2 + 4);
    }
    this.body += b;
    if (this.used + need > this.data.length) this.growData(this.used + need);
    if ((this.count + 1) * W > this.idx.length) this.growIdx();
    if (this.highs === null && (tw[MS_HI]! !== mw[0] || tw[SEQ_HI]! !== 0)) this.widen();
    const d = this.data;
    let o = this.used;
    const x = this.idx;
    const k = this.count * W;
    x[k] = tw[MS_LO]!;
    x[k + 1] = tw[SEQ_LO]!;
    x[k + 2] = o;
    const h = this.highs;
    if (h !== null) {
      h[this.count * 2] = tw[MS_HI]!;
      h[this.count * 2 + 1] = tw[SEQ_HI]!;
    }
    d[o++] = same ? F_SAMEFIELDS : 0;
    if (same) for (let i = from + 1; i < fv.length; i += 2) o = putStr(d, o, fv[i]!);
    else {
      o = putVar(d, o, nf);
      for (let i = from; i < fv.length; i++) o = putStr(d, o, fv[i]!);
    }
    this.used = o;
    this.count++;
    this.live++;
  }

  private growData(min: number): void {
    const old = this.data;
    const d = Buffer.allocUnsafeSlow(Math.max(min, old.length * 2));
    old.copy(d, 0, 0, this.used);
    this.data = d;
    this.mem += d.length - old.length;
  }

  private growIdx(): void {
    const old = this.idx;
    const x = new Uint32Array(old.length * 2);
    x.set(old);
    this.idx = x;
    this.mem += x.byteLength - old.byteLength;
    const h = this.highs;
    if (h !== null) {
      const nh = new Uint32Array(h.length * 2);
      nh.set(h);
      this.highs = nh;
      this.mem += nh.byteLength - h.byteLength;
    }
  }

  /** Gives every entry its own high words (an entry's differ from what the node assumed). */
  private widen(): void {
    const h = new Uint32Array((this.idx.length / W) * 2);
    for (let i = 0; i < this.count; i++) h[i * 2] = this.mWords[0];
    this.highs = h;
    this.mem += TYPED_BASE + h.byteLength;
  }

  /** Cuts the index and data to what is in use (the node takes no more entries), unless that saves little. */
  seal(): void {
    if (this.data.length - this.used > this.used >>> 4) {
      const d = Buffer.allocUnsafeSlow(this.used);
      this.data.copy(d, 0, 0, this.used);
      this.mem -= this.data.length - this.used;
      this.data = d;
    }
    const n = this.count * W;
    if (this.idx.length - n > n >>> 4) {
      this.mem -= (this.idx.length - n) * 4;
      this.idx = this.idx.slice(0, n);
      const h = this.highs;
      if (h !== null) {
        this.mem -= h.byteLength - this.count * 8;
        this.highs = h.slice(0, this.count * 2);
      }
    }
  }

  /** Entry i's ms high word. */
  private msHi(i: number): number {
    const h = this.highs;
    return h === null ? this.mWords[0] : h[i * 2]!;
  }

  /** Entry i's seq high word. */
  private seqHi(i: number): number {
    const h = this.highs;
    return h === null ? 0 : h[i * 2 + 1]!;
  }

  /** Entry i's ID. */
  idAt(i: number): StreamId {
    const x = this.idx;
    const k = i * W;
    return (part(this.msHi(i), x[k]!) << 64n) | part(this.seqHi(i), x[k + 1]!);
  }

  /** Entry i's ID as `ms-seq` text (fmtId's, without a BigInt when both parts are below 2^53). */
  idText(i: number): string {
    const x = this.idx;
    const k = i * W;
    const msHi = this.msHi(i);
    const seqHi = this.seqHi(i);
    if (msHi < 0x200000 && seqHi < 0x200000) return `${msHi * TWO32 + x[k]!}-${seqHi * TWO32 + x[k + 1]!}`;
    return fmtId(this.idAt(i));
  }

  /** Entry i's fields and values (a fresh array). */
  fvAt(i: number): string[] {
    const d = this.data;
    let o = this.idx[i * W + 2]!;
    const out: string[] = [];
    const same = (d[o++]! & F_SAMEFIELDS) !== 0;
    const mf = this.masterFields;
    let n = mf.length;
    if (!same) {
      n = getVar(d, o) * 2;
      o = varEnd;
    }
    for (let k = 0; k < n; k++) {
      if (same) out.push(mf[k]!);
      // a length under 128 is its one byte
      let len = d[o]!;
      if (len < 0x80) o++;
      else {
        len = getVar(d, o);
        o = varEnd;
      }
      out.push(latin1Of(d, o, o + len));
      o += len;
    }
    return out;
  }

  /**
   * Writes entry i as its reply, [id, [field, value, ...]], to `w` (what
   * replyEntry sends for idText(i) and fvAt(i), without their strings).
   */
  writeEntry(i: number, w: RespBytes): void {
    const d = this.data;
    const x = this.idx;
    let o = x[i * W + 2]!;
    const end = i + 1 < this.count ? x[(i + 1) * W + 2]! : this.used;
    const same = (d[o++]! & F_SAMEFIELDS) !== 0;
    const mf = this.masterFields;
    let pairs = mf.length;
    let fieldBytes = 0;
    if (same) for (let k = 0; k < pairs; k++) fieldBytes += mf[k]!.length;
    else {
      pairs = getVar(d, o);
      o = varEnd;
    }
    // room: three headers and the ID, then per string a header, its bytes (the entry's data
    // span bounds the stored ones) and CRLF
    const b = w.room(2 * HEADER_MAX + BULK_ID_MAX + (end - o) + fieldBytes + pairs * 2 * BULK_EXTRA);
    let p = putHeader(b, w.o, STAR, 2);
    const msHi = this.msHi(i);
    const seqHi = this.seqHi(i);
    const at = i * W;
    // the ID's digits written in place, without its text (idText), below 2^53
    if (msHi < 0x200000 && seqHi < 0x200000) p = putBulkId(b, p, msHi * TWO32 + x[at]!, seqHi * TWO32 + x[at + 1]!);
    else {
      const id = this.idText(i);
      p = putBulkText(b, p, id, 0, id.length);
    }
    p = putHeader(b, p, STAR, pairs * 2);
    for (let k = 0, n = same ? pairs : pairs * 2; k < n; k++) {
      if (same) {
        const f = mf[k]!;
        p = putBulkText(b, p, f, 0, f.length);
      }
      // a length under 128 is its one byte
      let len = d[o]!;
      if (len < 0x80) o++;
      else {
        len = getVar(d, o);
        o = varEnd;
      }
      p = putBulkBytes(b, p, d, o, len);
      o += len;
    }
    w.o = p;
  }

  /** Entry i's flags (F_DELETED, F_SAMEFIELDS) as Redis stores them. */
  flagsAt(i: number): number {
    return this.data[this.idx[i * W + 2]!]!;
  }

  /** Index of the first entry with an ID >= id (or > id when `after`); count when none. */
  lowerBound(id: StreamId, after = false): number {
    target(id);
    const x = this.idx;
    const tMsHi = tw[MS_HI]!;
    const tMsLo = tw[MS_LO]!;
    const tSeqHi = tw[SEQ_HI]!;
    const tSeqLo = tw[SEQ_LO]!;
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const k = mid * W;
      const msHi = this.msHi(mid);
      const seqHi = this.seqHi(mid);
      // entry mid before the target (at or before it when `after`), word by word
      const below =
        msHi !== tMsHi
          ? msHi < tMsHi
          : x[k] !== tMsLo
            ? x[k]! < tMsLo
            : seqHi !== tSeqHi
              ? seqHi < tSeqHi
              : after
                ? x[k + 1]! <= tSeqLo
                : x[k + 1]! < tSeqLo;
      if (below) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the entry with this ID, or -1. */
  indexOf(id: StreamId): number {
    const i = this.lowerBound(id);
    if (i === this.count) return -1;
    const x = this.idx;
    const k = i * W;
    return this.msHi(i) === tw[MS_HI]! &&
      x[k] === tw[MS_LO]! &&
      this.seqHi(i) === tw[SEQ_HI]! &&
      x[k + 1] === tw[SEQ_LO]!
      ? i
      : -1;
  }

  isDeleted(i: number): boolean {
    return (this.data[this.idx[i * W + 2]!]! & F_DELETED) !== 0;
  }

  /** Marks entry i deleted (a tombstone; counters updated). */
  markDeleted(i: number): void {
    this.data[this.idx[i * W + 2]!]! |= F_DELETED;
    this.live--;
    this.dead++;
  }

  dup(): StreamNode {
    const n = new StreamNode(this.master, this.masterFields, this.count, this.used);
    this.data.copy(n.data, 0, 0, this.used);
    n.idx.set(this.idx.subarray(0, this.count * W));
    if (this.highs !== null) {
      n.highs = this.highs.slice(0, Math.max(1, this.count) * 2);
      n.mem += TYPED_BASE + n.highs.byteLength;
    }
    n.used = this.used;
    n.count = this.count;
    n.live = this.live;
    n.dead = this.dead;
    n.body = this.body;
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

/** IDs per block of an IdMap: a block above this splits in two; one under a quarter of it merges with a neighbour that has room. */
const ID_BLOCK = 128;

/**
 * An ID's ms as a double, searched before the ID itself: doubles in a
 * packed array are compared in place, where each BigInt compared is a load
 * from wherever it lives. Rounding (ms above 2^53) keeps the order, so only
 * equal doubles need the BigInts.
 */
function msKey(id: StreamId): number {
  return Number(id >> 64n);
}

/** Index of the first ID >= id (its msKey: m) in the ascending block ids/ms (its length when none). */
function idLowerBound(ids: readonly StreamId[], ms: readonly number[], id: StreamId, m: number): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const x = ms[mid]!;
    if (x < m || (x === m && ids[mid]! < id)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A map of stream IDs kept in ID order (a pending entries list), as Redis
 * keeps one in a radix tree: the IDs in ascending blocks of at most
 * ID_BLOCK, with their ms as doubles and their values in parallel blocks,
 * and each block's last ms in one array. A lookup, insert or delete is two
 * binary searches (over the blocks' last IDs, then in one block), mostly
 * over doubles, and a splice of at most ID_BLOCK slots: O(log n) with a
 * 250,000-entry PEL, where one sorted array of every key made each
 * out-of-order XACK move the whole array (bench/RESULTS.md, "Issue 19,
 * seventeenth session"). An ID above every key (XREADGROUP's new entries)
 * is appended without a search.
 */
export class IdMap<V> {
  /** The blocks of IDs: each non-empty and ascending, every ID below the next block's. */
  private readonly ids: StreamId[][] = [];
  /** msKey of each ID, block for block and slot for slot with `ids`. */
  private readonly ms: number[][] = [];
  /** The values, block for block and slot for slot with `ids`. */
  private readonly vals: V[][] = [];
  /** msKey of each block's last ID. */
  private readonly lastMs: number[] = [];
  private n = 0;
  /** Changes with every insert and delete: from() finds its place again after one. */
  private version = 0;

  get size(): number {
    return this.n;
  }
  first(): StreamId | undefined {
    return this.ids[0]?.[0];
  }
  last(): StreamId | undefined {
    const b = this.ids[this.ids.length - 1];
    return b === undefined ? undefined : b[b.length - 1];
  }

  /** Index of the first block whose last ID is >= id (its msKey: m), the block count when none. */
  private block(id: StreamId, m: number): number {
    const lm = this.lastMs;
    let lo = 0;
    let hi = lm.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const x = lm[mid]!;
      if (x < m || (x === m && this.lastOf(mid) < id)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  private lastOf(k: number): StreamId {
    const b = this.ids[k]!;
    return b[b.length - 1]!;
  }

  get(id: StreamId): V | undefined {
    const nb = this.ids.length;
    // (above every key, as XREADGROUP's new entries are: no search)
    if (nb === 0 || this.lastOf(nb - 1) < id) return undefined;
    const m = msKey(id);
    const k = this.block(id, m);
    const b = this.ids[k]!;
    const i = idLowerBound(b, this.ms[k]!, id, m);
    return b[i] === id ? this.vals[k]![i] : undefined;
  }
  has(id: StreamId): boolean {
    return this.get(id) !== undefined;
  }

  set(id: StreamId, v: V): void {
    const bs = this.ids;
    const nb = bs.length;
    const m = msKey(id);
    if (nb === 0 || this.lastOf(nb - 1) < id) {
      // above every key: appended (a full last block is left full, for IDs that keep ascending)
      if (nb === 0 || bs[nb - 1]!.length >= ID_BLOCK) {
        bs.push([id]);
        this.ms.push([m]);
        this.vals.push([v]);
        this.lastMs.push(m);
      } else {
        bs[nb - 1]!.push(id);
        this.ms[nb - 1]!.push(m);
        this.vals[nb - 1]!.push(v);
        this.lastMs[nb - 1] = m;
      }
      this.n++;
      this.version++;
      return;
    }
    // (not above the last block's last ID: k < nb, and the ID goes before that block's last)
    const k = this.block(id, m);
    const b = bs[k]!;
    const mb = this.ms[k]!;
    const vb = this.vals[k]!;
    const i = idLowerBound(b, mb, id, m);
    if (b[i] === id) {
      vb[i] = v;
      return;
    }
    b.splice(i, 0, id);
    mb.splice(i, 0, m);
    vb.splice(i, 0, v);
    this.n++;
    this.version++;
    if (b.length > ID_BLOCK) {
      const half = b.length >>> 1;
      bs.splice(k + 1, 0, b.splice(half));
      this.ms.splice(k + 1, 0, mb.splice(half));
      this.vals.splice(k + 1, 0, vb.splice(half));
      this.lastMs.splice(k, 0, mb[half - 1]!);
    }
  }

  delete(id: StreamId): boolean {
    return this.take(id) !== undefined;
  }

  /** Removes the entry of `id` and returns its value (undefined when there was none): one search for get and delete. */
  take(id: StreamId): V | undefined {
    const bs = this.ids;
    const m = msKey(id);
    const k = this.block(id, m);
    if (k === bs.length) return undefined;
    const b = bs[k]!;
    const mb = this.ms[k]!;
    const i = idLowerBound(b, mb, id, m);
    if (b[i] !== id) return undefined;
    const vb = this.vals[k]!;
    const v = vb[i];
    b.splice(i, 1);
    mb.splice(i, 1);
    vb.splice(i, 1);
    this.n--;
    this.version++;
    if (b.length === 0) {
      this.dropBlock(k);
      return v;
    }
    if (i === b.length) this.lastMs[k] = mb[i - 1]!;
    if (b.length < ID_BLOCK >>> 2) {
      // merged into the previous block, or the next one into it, when the two fit in one
      const j = k > 0 && bs[k - 1]!.length + b.length <= ID_BLOCK ? k - 1 : k;
      const next = bs[j + 1];
      if (next !== undefined && bs[j]!.length + next.length <= ID_BLOCK) {
        for (const x of next) bs[j]!.push(x);
        for (const x of this.ms[j + 1]!) this.ms[j]!.push(x);
        for (const x of this.vals[j + 1]!) this.vals[j]!.push(x);
        this.lastMs[j] = this.lastMs[j + 1]!;
        this.dropBlock(j + 1);
      }
    }
    return v;
  }

  private dropBlock(k: number): void {
    this.ids.splice(k, 1);
    this.ms.splice(k, 1);
    this.vals.splice(k, 1);
    this.lastMs.splice(k, 1);
  }

  /**
   * The entries with IDs >= start, in order. The map may change while this
   * runs: after a change it goes on from the first ID above the one it gave
   * last, as Redis's commands seek their radix tree iterator again.
   */
  *from(start: StreamId = ID_MIN): Generator<[StreamId, V]> {
    let [k, i] = this.seek(start);
    for (;;) {
      const b = this.ids[k];
      if (b === undefined) return;
      if (i >= b.length) {
        k++;
        i = 0;
        continue;
      }
      const id = b[i]!;
      const seen = this.version;
      yield [id, this.vals[k]![i]!];
      if (this.version === seen) i++;
      else [k, i] = this.seek(id + 1n);
    }
  }

  /** The block and slot of the first ID >= id. */
  private seek(id: StreamId): [number, number] {
    const m = msKey(id);
    const k = this.block(id, m);
    return [k, k < this.ids.length ? idLowerBound(this.ids[k]!, this.ms[k]!, id, m) : 0];
  }
}

export class Consumer {
  readonly pel = new IdMap<Nack>();
  /** Last time the consumer was seen (any interaction), ms. (Fields, not parameter properties: see eslint.config.js.) */
  seenTime: number = DOUBLE_ZERO;
  /** Last successful read or claim (Redis 7.2), ms; -1 never. */
  activeTime: number = DOUBLE_ZERO;
  constructor(
    readonly name: string,
    seenTime: number,
    activeTime = -1,
  ) {
    this.seenTime = seenTime;
    this.activeTime = activeTime;
  }
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
  /** lastId; null after appendAuto until asked for (made then from lastMs and lastSeq). */
  private last: StreamId | null = 0n;
  /**
   * lastId's ms and seq parts as doubles, so that XADD's own IDs need no
   * BigInt: NaN until splitLast() when lastId was set as a BigInt, -1 when
   * a part is 2^53 or more (appendAuto then declines).
   */
  private lastMs = DOUBLE_ZERO;
  private lastSeq = DOUBLE_ZERO;
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

  /** The last ID given to an entry (or set by XSETID). */
  get lastId(): StreamId {
    return (this.last ??= makeId(BigInt(this.lastMs), BigInt(this.lastSeq)));
  }
  set lastId(id: StreamId) {
    this.last = id;
    this.lastMs = NaN;
  }

  /** Sets lastMs and lastSeq from lastId. */
  private splitLast(): void {
    const id = this.last!;
    const ms = id >> 64n;
    const seq = id & U64;
    const exact = ms <= SAFE_BIG && seq <= SAFE_BIG;
    this.lastMs = exact ? Number(ms) : -1;
    this.lastSeq = exact ? Number(seq) : -1;
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
      for (const [id, n] of g.pel.from()) {
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
   * Appends an entry with `id` (greater than lastId: the caller checked) and
   * the fields and values fv[from..] as Redis's streamAppendItem places it:
   * in the last node unless that node is full by bytes or entries, else in a
   * new node. Returns the ID's text.
   */
  append(id: StreamId, fv: readonly string[], from: number, maxEntries: number, maxBytes: number): string {
    target(id);
    this.lastId = id;
    return this.place(fv, from, maxEntries, maxBytes);
  }

  /**
   * append() with the ID XADD makes, `now`-0 when `now` (ms) is past lastId's
   * ms, else lastId's sequence plus one, computed in doubles; null (nothing
   * done) when lastId's parts are not both below 2^53 - 1, for the BigInt path.
   */
  appendAuto(now: number, fv: readonly string[], from: number, maxEntries: number, maxBytes: number): string | null {
    if (Number.isNaN(this.lastMs)) this.splitLast();
    let ms = this.lastMs;
    let seq = this.lastSeq;
    if (ms < 0 || seq >= Number.MAX_SAFE_INTEGER) return null;
    if (now > ms) {
      ms = now;
      seq = 0;
    } else seq++;
    targetParts(ms, seq);
    this.last = null;
    this.lastMs = ms;
    this.lastSeq = seq;
    return this.place(fv, from, maxEntries, maxBytes);
  }

  /** Places the entry whose ID the target words and lastId hold (append's work). */
  private place(fv: readonly string[], from: number, maxEntries: number, maxBytes: number): string {
    const cap = maxBytes === 0 || maxBytes > 1 << 30 ? 1 << 30 : maxBytes;
    let tot = 0;
    for (let i = from; i < fv.length; i++) tot += fv[i]!.length;
    let node = this.nodes[this.nodes.length - 1];
    if (
      node !== undefined &&
      (node.lpBytes() + tot >= cap || (maxEntries !== 0 && node.live + node.dead >= maxEntries))
    ) {
      // the full node takes no more entries: its buffer is cut to size
      this.nodesMem -= node.mem;
      node.seal();
      this.nodesMem += node.mem;
      node = undefined;
    }
    if (node === undefined) {
      const fields: string[] = [];
      for (let i = from; i < fv.length; i += 2) fields.push(fv[i]!);
      // A stream's first node starts with room for a few entries like this one
      // (most streams are short); a node after a full one, for as many as it
      // will take (its data is never larger than the listpack the byte limit bounds).
      const est = tot + (fv.length - from) + 2;
      const entries = this.nodes.length === 0 ? 4 : Math.min(maxEntries || 100, Math.ceil(cap / est), 1024);
      // (its master is this entry's ID: the target words stay this entry's)
      node = new StreamNode(this.lastId, fields, entries, Math.max(est, Math.min(est * entries, cap, 1 << 16)));
      this.nodes.push(node);
    } else this.nodesMem -= node.mem;
    node.appendTarget(fv, from);
    this.nodesMem += node.mem;
    this.length++;
    this.entriesAdded++;
    if (this.length === 1) this.firstId = this.lastId;
    return node.idText(node.count - 1);
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
   * most `count` (0: all). Calls fn(node, i) for each (the node's entry i);
   * fn may return false to stop.
   */
  range(
    start: StreamId,
    end: StreamId,
    rev: boolean,
    count: number,
    fn: (node: StreamNode, i: number) => boolean | void,
  ): number {
    let n = 0;
    if (start > end || this.nodes.length === 0) return 0;
    const ns = this.nodes;
    // a node's entries between the bounds by binary search, but for a bound no entry can pass
    if (!rev) {
      for (let ni = this.nodeFor(start); ni < ns.length; ni++) {
        const node = ns[ni]!;
        const to = end === ID_MAX ? node.count : node.lowerBound(end, true);
        for (let i = node.master < start ? node.lowerBound(start) : 0; i < to; i++) {
          if (node.isDeleted(i)) continue;
          n++;
          if (fn(node, i) === false) return n;
          if (count !== 0 && n >= count) return n;
        }
        if (to < node.count) return n;
      }
    } else {
      for (let ni = this.nodeFor(end); ni >= 0; ni--) {
        const node = ns[ni]!;
        const from = node.master < start ? node.lowerBound(start) : 0;
        const to = end === ID_MAX ? node.count : node.lowerBound(end, true);
        for (let i = to - 1; i >= from; i--) {
          if (node.isDeleted(i)) continue;
          n++;
          if (fn(node, i) === false) return n;
          if (count !== 0 && n >= count) return n;
        }
        if (from > 0) return n;
      }
    }
    return n;
  }

  /** The live entry with this ID, or undefined. */
  get(id: StreamId): string[] | undefined {
    if (this.nodes.length === 0) return undefined;
    const node = this.nodes[this.nodeFor(id)]!;
    const i = node.indexOf(id);
    return i >= 0 && !node.isDeleted(i) ? node.fvAt(i) : undefined;
  }

  /** First (or last) live entry, or undefined when empty. */
  edge(last: boolean): [StreamId, string[]] | undefined {
    let r: [StreamId, string[]] | undefined;
    this.range(ID_MIN, ID_MAX, last, 1, (node, i) => {
      r = [node.idAt(i), node.fvAt(i)];
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
    const i = node.indexOf(id);
    if (i < 0 || node.isDeleted(i)) return false;
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
      else remove = node.lowerBound(a.minid) === node.count;
      if (remove) {
        this.nodes.shift();
        this.nodesMem -= node.mem;
        this.length -= entries;
        deleted += entries;
        continue;
      }
      if (a.approx) break;
      const below = a.strategy === 'maxlen' ? node.count : node.lowerBound(a.minid);
      for (let i = 0; i < below; i++) {
        if (a.strategy === 'maxlen' && this.length <= a.maxlen) break;
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
  s.range(ID_MIN, ID_MAX, false, 0, (node, i) => {
    out.push(['XADD', key, node.idText(i), ...node.fvAt(i)]);
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
    for (const [id, n] of g.pel.from()) {
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
