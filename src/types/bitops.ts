/**
 * Pure helpers for strings mutated in place (SETRANGE, APPEND, SETBIT,
 * BITFIELD) and for bit operations (BITCOUNT, BITPOS, BITFIELD). No I/O and
 * no keyspace access: the command handlers store the results.
 *
 * Growable buffers: a string value mutated in place is a Buffer that views
 * the start of an ArrayBuffer this module allocated, possibly with spare
 * capacity after it (like Redis's sds greedy preallocation), so repeated
 * APPEND/SETBIT growth is amortized O(1). The spare bytes are never written
 * while outside the view, so they are zero when a longer view takes them.
 * Buffers this module did not allocate (pooled slices, Buffers from other
 * code) are copied once before their first in-place change.
 */
import { Buffer } from 'node:buffer';
import { strLen, type StrValue } from '../keyspace/value.js';

/** ArrayBuffers allocated here: only these are grown or written in place. */
const owned = new WeakSet<ArrayBuffer>();

/** A zero-filled Buffer of `len` bytes (with `cap` bytes of backing store) that may be mutated in place. */
export function newOwnedBuf(len: number, cap = len): Buffer {
  const ab = new ArrayBuffer(cap);
  owned.add(ab);
  return Buffer.from(ab, 0, len);
}

/**
 * A Buffer that holds the bytes of `v` (nothing when undefined), zero padded
 * to at least `minLen`, and may be written in place. Returns `v` itself when
 * it is such a Buffer already long enough; otherwise a new Buffer object,
 * which the caller must store (db.set with keepTtl) — the old one may still
 * share its memory. Growth reserves spare capacity so repeated growth is
 * amortized O(1).
 */
export function mutableBuf(v: StrValue | undefined, minLen: number): Buffer {
  if (Buffer.isBuffer(v) && v.byteOffset === 0 && owned.has(v.buffer as ArrayBuffer)) {
    if (v.length >= minLen) return v;
    if (minLen <= v.buffer.byteLength) return Buffer.from(v.buffer as ArrayBuffer, 0, minLen);
  }
  const cur = v === undefined ? 0 : strLen(v);
  const len = cur > minLen ? cur : minLen;
  // Exact size for a new value or one that does not grow (a first SETRANGE/SETBIT inside it).
  // A growing value gets spare room: double below 1 MB, then half again (at least 1 MB), so
  // bitmaps grown bit by bit at rising offsets copy O(final size) bytes in all.
  const MB = 1024 * 1024;
  const cap = v === undefined || len === cur ? len : len < MB ? len * 2 : len + Math.max(MB, Math.floor(len / 2));
  const b = newOwnedBuf(len, cap);
  if (v !== undefined) {
    if (Buffer.isBuffer(v)) v.copy(b, 0, 0, v.length);
    else b.write(typeof v === 'number' ? '' + v : v, 0, 'latin1');
  }
  return b;
}

/** Byte readable view of a string value: a Buffer or a latin1 string (numbers become their text). */
export type Bytes = Buffer | string;

/** The bytes of a string value for reading, without copying Buffers or strings. */
export function bytesOf(v: StrValue): Bytes {
  return typeof v === 'number' ? '' + v : v;
}

/** The byte at index i, or 0 beyond the end (bitmaps are zero padded on the right). */
export function byteAt(s: Bytes, i: number): number {
  if (i >= s.length) return 0;
  return typeof s === 'string' ? s.charCodeAt(i) : s[i]!;
}

const POP8 = new Uint8Array(256);
for (let i = 1; i < 256; i++) POP8[i] = (i & 1) + POP8[i >> 1]!;

/** Number of set bits in one byte. */
export function popByte(b: number): number {
  return POP8[b & 255]!;
}

/** Number of set bits in bytes [start, end] (inclusive, within the value). */
export function popcount(s: Bytes, start: number, end: number): number {
  let n = 0;
  if (typeof s === 'string') {
    for (let i = start; i <= end; i++) n += POP8[s.charCodeAt(i) & 255]!;
  } else {
    let i = start;
    // Bytes up to a 4-byte aligned address, then aligned 32-bit words through a SWAR count.
    while (i <= end && (s.byteOffset + i) & 3) n += POP8[s[i++]!]!;
    const words = Math.floor((end + 1 - i) / 4);
    if (words > 0) {
      const w = new Uint32Array(s.buffer, s.byteOffset + i, words);
      for (let k = 0; k < words; k++) {
        let x = w[k]!;
        x = x - ((x >>> 1) & 0x55555555);
        x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
        n += Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
      }
      i += words * 4;
    }
    for (; i <= end; i++) n += POP8[s[i]!]!;
  }
  return n;
}

/**
 * Position of the first bit equal to `bit` between bit positions `from` and
 * `to` (inclusive, absolute bit offsets, bit 0 the MSB of byte 0), or -1.
 */
export function findBit(s: Bytes, bit: 0 | 1, from: number, to: number): number {
  const skip = bit ? 0 : 255;
  let pos = from;
  while (pos <= to) {
    const byteIdx = Math.floor(pos / 8);
    const b = byteAt(s, byteIdx);
    const inByte = pos % 8;
    if (inByte === 0 && pos + 7 <= to && b === skip) {
      pos += 8;
      continue;
    }
    if (((b >> (7 - inByte)) & 1) === bit) return pos;
    pos++;
  }
  return -1;
}

/** Reads an unsigned field of `bits` (1..64) bits at bit offset `off`, zero padded beyond the end. */
export function getField(s: Bytes, off: number, bits: number): bigint {
  const b0 = Math.floor(off / 8);
  const shift = off % 8;
  const nbytes = (shift + bits + 7) >> 3;
  let acc = 0n;
  for (let i = 0; i < nbytes; i++) acc = (acc << 8n) | BigInt(byteAt(s, b0 + i));
  return (acc >> BigInt(nbytes * 8 - shift - bits)) & ((1n << BigInt(bits)) - 1n);
}

/** Writes the low `bits` bits of `value` at bit offset `off` (the buffer covers the field). */
export function setField(buf: Buffer, off: number, bits: number, value: bigint): void {
  const b0 = Math.floor(off / 8);
  const shift = off % 8;
  const nbytes = (shift + bits + 7) >> 3;
  let acc = 0n;
  for (let i = 0; i < nbytes; i++) acc = (acc << 8n) | BigInt(byteAt(buf, b0 + i));
  const sh = BigInt(nbytes * 8 - shift - bits);
  const mask = ((1n << BigInt(bits)) - 1n) << sh;
  acc = (acc & ~mask) | ((BigInt.asUintN(bits, value) << sh) & mask);
  for (let i = nbytes - 1; i >= 0; i--) {
    if (b0 + i < buf.length) buf[b0 + i] = Number(acc & 255n);
    acc >>= 8n;
  }
}

/**
 * res[j] = res[j] OP src[j] for j < src.length (op 0 AND, 1 OR, 2 XOR), a
 * 32-bit word at a time when both are 4-byte aligned. `res` must be at least
 * as long as `src`.
 */
export function combineInto(res: Buffer, src: Buffer, op: 0 | 1 | 2): void {
  const n = src.length;
  let j = 0;
  if (((res.byteOffset | src.byteOffset) & 3) === 0 && n >= 16) {
    const words = n >> 2;
    const r = new Int32Array(res.buffer, res.byteOffset, words);
    const s = new Int32Array(src.buffer, src.byteOffset, words);
    if (op === 0) for (let k = 0; k < words; k++) r[k] = r[k]! & s[k]!;
    else if (op === 1) for (let k = 0; k < words; k++) r[k] = r[k]! | s[k]!;
    else for (let k = 0; k < words; k++) r[k] = r[k]! ^ s[k]!;
    j = words << 2;
  }
  if (op === 0) for (; j < n; j++) res[j] = res[j]! & src[j]!;
  else if (op === 1) for (; j < n; j++) res[j] = res[j]! | src[j]!;
  else for (; j < n; j++) res[j] = res[j]! ^ src[j]!;
}
