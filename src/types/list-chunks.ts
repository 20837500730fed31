/**
 * The chunks of types/list.ts: an end chunk is a plain array, an interior
 * one is packed into one latin1 string (a varint length per element, then
 * its bytes); the ring-buffer deque that holds them; their V8 sizes.
 */
import type { Elem } from './list.js';
import { OBJ, ARR_BASE, strBytes, numBytes } from '../util/v8size.js';
import { BULK_EXTRA, putBulkText, type RespBytes } from '../protocol/resp-bytes.js';

export const CHUNK_MAX = 128;
export const CHUNK_BYTES = 8192;

/** A List object (its 9 fields and acct). */
export const LIST_OBJ = OBJ + 10 * 8;
/** A Ring object (buf, head, mask, length). */
export const RING_OBJ = OBJ + 4 * 8;
/** A Chunk object (items, packed, n, bytes, eh). */
export const CHUNK_OBJ = OBJ + 5 * 8;

/** Bytes of an element in V8 while it is its own value (in an unpacked chunk). */
export function elemHeap(v: Elem): number {
  return typeof v === 'number' ? numBytes(v) : strBytes(v.length);
}

/**
 * Bytes of a chunk in V8 as List.mem counts it: the object and either its
 * packed string, or its array's header and one slot per element plus the
 * elements (the array's spare capacity is added by memBytes() for the two
 * end chunks, the only ones left unpacked).
 */
export function chunkBytes(c: Chunk): number {
  return CHUNK_OBJ + (c.items === null ? strBytes(c.packed.length) : ARR_BASE + 8 * c.n + c.eh);
}

/** Bytes an element counts for in a chunk's size limit. */
export function sizeOf(v: Elem): number {
  return typeof v === 'number' ? 8 : v.length + 1;
}

/** A chunk: `items` when unpacked, else `packed` holding `n` elements. */
export class Chunk {
  constructor(
    public items: Elem[] | null,
    public packed: string,
    public n: number,
    /** Approximate bytes (kept while unpacked and by an in-place replace; recounted when unpacked). */
    public bytes: number,
    /** V8 bytes of the elements while unpacked (elemHeap each; 0 when packed). */
    public eh = 0,
  ) {}

  full(): boolean {
    return this.n >= CHUNK_MAX || this.bytes >= CHUNK_BYTES;
  }

  /** The elements as an array (the chunk stays as it is). */
  decode(): Elem[] {
    if (this.items !== null) return this.items;
    return unpack(this.packed, this.n);
  }

  /** Makes the chunk an array chunk. */
  unpack(): Elem[] {
    if (this.items === null) {
      this.items = unpack(this.packed, this.n);
      this.packed = '';
      let b = 0;
      let h = 0;
      for (const v of this.items) {
        b += sizeOf(v);
        h += elemHeap(v);
      }
      this.bytes = b;
      this.eh = h;
    }
    return this.items;
  }

  /** Makes the chunk a packed string. */
  pack(): void {
    if (this.items === null) return;
    this.packed = pack(this.items);
    this.items = null;
    this.eh = 0;
  }
}

/** Adds an element's packed form to `parts`: a varint (length << 1 | isInteger) in 7-bit chars, then the bytes. */
function packInto(parts: string[], v: Elem): void {
  const isInt = typeof v === 'number';
  const t = isInt ? '' + v : v;
  let h = t.length * 2 + (isInt ? 1 : 0);
  while (h >= 128) {
    parts.push(String.fromCharCode((h % 128) | 128));
    h = Math.floor(h / 128);
  }
  parts.push(String.fromCharCode(h), t);
}

/** Packs elements, each as packInto writes it. */
export function pack(items: Elem[]): string {
  const parts: string[] = [];
  for (const v of items) packInto(parts, v);
  // join builds one flat sequential string (no rope of small pieces)
  return parts.join('');
}

/** The header at `pos` of packed text p: the element's length * 2, plus 1 for an integer. */
function readHeader(p: string, pos: number): number {
  let h = 0;
  let mul = 1;
  for (;;) {
    const c = p.charCodeAt(pos++);
    h += (c & 127) * mul;
    if (c < 128) return h;
    mul *= 128;
  }
}

/** Chars of a header's varint (7 bits each). */
function headerLen(h: number): number {
  let n = 1;
  for (; h >= 128; n++) h = Math.floor(h / 128);
  return n;
}

/** The element of header `h` whose bytes begin at `from` in packed text p. */
function elemAt(p: string, from: number, h: number): Elem {
  const t = p.slice(from, from + Math.floor(h / 2));
  return h % 2 === 1 ? Number(t) : t;
}

/** Where element `off` of packed text p begins (its header), stepping over the ones before it. */
function packedOffset(p: string, off: number): number {
  let pos = 0;
  for (let i = 0; i < off; i++) {
    const h = readHeader(p, pos);
    pos += headerLen(h) + Math.floor(h / 2);
  }
  return pos;
}

/** Unpacks `n` elements. */
export function unpack(p: string, n: number): Elem[] {
  const out = new Array<Elem>(n);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const h = readHeader(p, pos);
    const from = pos + headerLen(h);
    out[i] = elemAt(p, from, h);
    pos = from + Math.floor(h / 2);
  }
  return out;
}

/** Element `off` of packed text p (no other element is made). */
export function packedAt(p: string, off: number): Elem {
  const pos = packedOffset(p, off);
  const h = readHeader(p, pos);
  return elemAt(p, pos + headerLen(h), h);
}

/**
 * Packed text p with element `off` replaced by v, the other elements' bytes
 * copied as they are (LSET on an interior chunk: no unpacking and packing
 * of the whole chunk), as one flat string, as pack() makes; and the element
 * it replaced.
 */
export function packedReplace(p: string, off: number, v: Elem): [string, Elem] {
  const start = packedOffset(p, off);
  const h = readHeader(p, start);
  const from = start + headerLen(h);
  const parts = [p.slice(0, start)];
  packInto(parts, v);
  parts.push(p.slice(from + Math.floor(h / 2)));
  return [parts.join(''), elemAt(p, from, h)];
}

/** A ring-buffer deque with O(1) access by index (holds the chunks). */
export class Ring<T> {
  private buf: (T | undefined)[] = new Array<T | undefined>(4);
  private head = 0;
  private mask = 3;
  length = 0;

  /** Slots of the buffer (memory accounting). */
  get capacity(): number {
    return this.mask + 1;
  }

  private grow(): void {
    const cap = (this.mask + 1) * 2;
    const nb = new Array<T | undefined>(cap);
    for (let i = 0; i < this.length; i++) nb[i] = this.buf[(this.head + i) & this.mask];
    this.buf = nb;
    this.head = 0;
    this.mask = cap - 1;
  }
  at(i: number): T {
    return this.buf[(this.head + i) & this.mask]!;
  }
  pushRight(v: T): void {
    if (this.length > this.mask) this.grow();
    this.buf[(this.head + this.length) & this.mask] = v;
    this.length++;
  }
  pushLeft(v: T): void {
    if (this.length > this.mask) this.grow();
    this.head = (this.head - 1) & this.mask;
    this.buf[this.head] = v;
    this.length++;
  }
  popRight(): T | undefined {
    if (this.length === 0) return undefined;
    const i = (this.head + this.length - 1) & this.mask;
    const v = this.buf[i];
    this.buf[i] = undefined;
    this.length--;
    return v;
  }
  popLeft(): T | undefined {
    if (this.length === 0) return undefined;
    const v = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.length--;
    return v;
  }
  /** Removes the element at index i (0 <= i < length), moving the tail side. */
  removeAt(i: number): void {
    for (let j = i; j < this.length - 1; j++)
      this.buf[(this.head + j) & this.mask] = this.buf[(this.head + j + 1) & this.mask];
    this.buf[(this.head + this.length - 1) & this.mask] = undefined;
    this.length--;
  }
  /** Inserts v at index i (0 < i < length), moving the tail side. */
  insertAt(i: number, v: T): void {
    if (this.length > this.mask) this.grow();
    for (let j = this.length; j > i; j--)
      this.buf[(this.head + j) & this.mask] = this.buf[(this.head + j - 1) & this.mask];
    this.buf[(this.head + i) & this.mask] = v;
    this.length++;
  }
}

/** Writes elements [off, off + n) of chunk c to `w` as RESP bulk strings (LRANGE's reply, List.bulks). */
export function chunkBulks(c: Chunk, off: number, n: number, w: RespBytes): void {
  if (c.items !== null) {
    const items = c.items;
    for (let o = off; o < off + n; o++) {
      const v = items[o]!;
      w.bulk(typeof v === 'number' ? '' + v : v);
    }
    return;
  }
  const pk = c.packed;
  // room for all of them: their bytes are within the packed text
  const b = w.room(pk.length + n * BULK_EXTRA);
  let p = w.o;
  let pos = 0;
  for (let i = 0; i < off + n; i++) {
    let h = 0;
    let mul = 1;
    for (;;) {
      const ch = pk.charCodeAt(pos++);
      h += (ch & 127) * mul;
      if (ch < 128) break;
      mul *= 128;
    }
    const len = Math.floor(h / 2);
    if (i >= off) p = putBulkText(b, p, pk, pos, len);
    pos += len;
  }
  w.o = p;
}
