/**
 * HyperLogLog in Redis's exact byte representation (a string value), so
 * GET / DUMP / RESTORE / RDB / AOF interoperate with redis-server.
 *
 * Layout (facts of the format): a 16-byte header — "HYLL", an encoding byte
 * (0 dense, 1 sparse), 3 unused bytes, the cached cardinality as 8 bytes
 * little endian whose top bit set means "stale" — then either 16384 6-bit
 * registers packed LSB first (dense, 12288 bytes) or a run-length sparse
 * stream of opcodes: ZERO `00xxxxxx` (1..64 zero registers), XZERO
 * `01xxxxxx yyyyyyyy` (1..16384 zero registers), VAL `1vvvvvxx` (1..4
 * registers of value 1..32). Element hashes are MurmurHash64A, seed
 * 0xadc83b19; the estimator is Ertl's improved one (arXiv:1702.01284).
 *
 * Sparse edits follow the same split / merge steps as Redis so that the bytes
 * produced are identical to redis-server's for the same inputs.
 */
import { Buffer } from 'node:buffer';
import { mutableBuf } from './bitops.js';

export const HDR = 16;
export const P = 14;
export const REGISTERS = 1 << P; // 16384
const P_MASK = REGISTERS - 1;
const Q = 64 - P; // 50
const REG_MAX = 63;
export const DENSE_SIZE = HDR + ((REGISTERS * 6 + 7) >> 3); // 12304
export const DENSE = 0;
export const SPARSE = 1;
const VAL_MAX_VALUE = 32;
const VAL_MAX_LEN = 4;
const ZERO_MAX_LEN = 64;
const XZERO_MAX_LEN = 16384;
const ALPHA_INF = 0.7213475204444817;

/** The error for a corrupted sparse stream or register overflow. */
/** The error for a string that is not an HLL. */

// ---- MurmurHash64A, in 32-bit halves ----
//
// A 64-bit value is two 32-bit words (hi, lo). BigInt arithmetic gave the same
// hashes but allocated at each step: 0.8-1.1 µs a PFADD element, against 80 ns
// for redis-server's whole PFADD.

/** The multiplier m = 0xc6a4a7935bd1e995, as words. */
const M_HI = 0xc6a4a793;
const M_LO = 0x5bd1e995;
/** The seed Redis uses, 0xadc83b19 (its high word 0). */
const SEED = 0xadc83b19;

/**
 * The result words of mulM and murmurWords: module state, so no pair is
 * allocated. Each holds a word's bits as an int32 (`| 0`, not `>>> 0`): a
 * uint32 at or above 2^31 is not a small integer, and every store of one into
 * a module variable allocated a heap number.
 */
let RH = 0;
let RL = 0;

/** (hi, lo) * m mod 2^64 into RH, RL (words as int32 or uint32 bits). */
function mulM(hi: number, lo: number): void {
  // lo * M_LO in full from 16-bit parts (each partial product below 2^32); the
  // cross terms hi * M_LO and lo * M_HI only reach the high word
  const a0 = lo & 0xffff;
  const a1 = lo >>> 16;
  const p01 = a0 * (M_LO >>> 16);
  const p10 = a1 * (M_LO & 0xffff);
  const carry = (((a0 * (M_LO & 0xffff)) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff)) >>> 16;
  const high = a1 * (M_LO >>> 16) + (p01 >>> 16) + (p10 >>> 16) + carry;
  RL = Math.imul(lo, M_LO);
  RH = (high + Math.imul(hi, M_LO) + Math.imul(lo, M_HI)) | 0;
}

/** MurmurHash64A of a latin1 string (one char per byte), seed 0xadc83b19, into RH, RL. */
function murmurWords(s: string): void {
  const len = s.length;
  // h = seed ^ (len * m)
  mulM(0, len);
  let hh = RH;
  let hl = RL ^ SEED;
  const nblocks = len >> 3;
  for (let b = 0; b < nblocks; b++) {
    const o = b * 8;
    const kl = s.charCodeAt(o) | (s.charCodeAt(o + 1) << 8) | (s.charCodeAt(o + 2) << 16) | (s.charCodeAt(o + 3) << 24);
    const kh =
      s.charCodeAt(o + 4) | (s.charCodeAt(o + 5) << 8) | (s.charCodeAt(o + 6) << 16) | (s.charCodeAt(o + 7) << 24);
    // k *= m; k ^= k >> 47; k *= m
    mulM(kh, kl);
    mulM(RH, RL ^ (RH >>> 15));
    // h ^= k; h *= m
    mulM(hh ^ RH, hl ^ RL);
    hh = RH;
    hl = RL;
  }
  const o = nblocks * 8;
  const rem = len & 7;
  if (rem > 0) {
    // the last 1-7 bytes, little endian: bytes 4.. in the high word
    let tl = 0;
    let th = 0;
    for (let i = rem - 1; i >= 4; i--) th = (th << 8) | s.charCodeAt(o + i);
    for (let i = Math.min(rem, 4) - 1; i >= 0; i--) tl = (tl << 8) | s.charCodeAt(o + i);
    mulM(hh ^ th, hl ^ tl);
    hh = RH;
    hl = RL;
  }
  // h ^= h >> 47; h *= m; h ^= h >> 47
  mulM(hh, hl ^ (hh >>> 15));
  RL ^= RH >>> 15;
}

/** MurmurHash64A of a latin1 string (one char per byte) with Redis's seed, as a 64-bit unsigned BigInt. */
export function murmur64a(s: string): bigint {
  murmurWords(s);
  return (BigInt(RH >>> 0) << 32n) | BigInt(RL >>> 0);
}

/** The register index and the run length of zeros + 1 (1..51) of an element. */
export function patLen(s: string): [number, number] {
  murmurWords(s);
  const index = RL & P_MASK;
  // 1 + the trailing zeros of the remaining 50 bits (h >> 14), with a sentinel bit 50 so the count stops at 51
  const lo = (RL >>> P) | (RH << (32 - P));
  if (lo !== 0) return [index, 32 - Math.clz32(lo & -lo)];
  const hi = (RH >>> P) | (1 << (Q - 32));
  return [index, 64 - Math.clz32(hi & -hi)];
}

// ---- dense registers ----

export function denseGet(b: Uint8Array, i: number): number {
  const bit = i * 6;
  const byte = HDR + (bit >> 3);
  const fb = bit & 7;
  const b0 = b[byte]!;
  const b1 = byte + 1 < b.length ? b[byte + 1]! : 0;
  return ((b0 >> fb) | (b1 << (8 - fb))) & REG_MAX;
}

export function denseSet(b: Uint8Array, i: number, v: number): void {
  const bit = i * 6;
  const byte = HDR + (bit >> 3);
  const fb = bit & 7;
  const fb8 = 8 - fb;
  b[byte] = (b[byte]! & ~(REG_MAX << fb)) | ((v << fb) & 0xff);
  if (byte + 1 < b.length) b[byte + 1] = (b[byte + 1]! & ~(REG_MAX >> fb8)) | (v >> fb8);
}

// ---- header ----

export function isValidCache(b: Uint8Array): boolean {
  return (b[15]! & 0x80) === 0;
}

export function invalidateCache(b: Uint8Array): void {
  b[15]! |= 0x80;
}

export function readCache(b: Uint8Array): number {
  let n = 0;
  for (let i = 15; i >= 8; i--) n = n * 256 + b[i]!;
  return n;
}

export function writeCache(b: Uint8Array, card: number): void {
  let n = card;
  for (let i = 8; i < 16; i++) {
    b[i] = n % 256;
    n = Math.floor(n / 256);
  }
}

/**
 * Whether a string value is an HLL Redis would accept: at least a header,
 * the magic, a known encoding, and the exact size when dense.
 */
export function isHll(s: Uint8Array | string): boolean {
  if (s.length < HDR) return false;
  if (byteAt(s, 0) !== 72 || byteAt(s, 1) !== 89 || byteAt(s, 2) !== 76 || byteAt(s, 3) !== 76) return false; // HYLL
  const enc = byteAt(s, 4);
  if (enc > SPARSE) return false;
  if (enc === DENSE && s.length !== DENSE_SIZE) return false;
  return true;
}

/** Byte i of bytes or of a latin1 string (a function, not a closure made per call: isHll runs per PFADD). */
function byteAt(s: Uint8Array | string, i: number): number {
  return typeof s === 'string' ? s.charCodeAt(i) : s[i]!;
}

/** A new empty sparse HLL (one XZERO covering every register, cache valid 0). */
export function createHll(): Buffer {
  const b = Buffer.alloc(HDR + 2);
  b.write('HYLL', 0, 'latin1');
  b[4] = SPARSE;
  b[HDR] = 0x40 | ((XZERO_MAX_LEN - 1) >> 8);
  b[HDR + 1] = (XZERO_MAX_LEN - 1) & 0xff;
  return b;
}

/** A mutable HLL: `buf` is replaced when the size or encoding changes. */
export class Hll {
  constructor(public buf: Buffer) {}

  get encoding(): number {
    return this.buf[4]!;
  }

  /**
   * Converts sparse to dense (header copied, encoding dense). Returns false
   * when the sparse stream is corrupt (it does not describe exactly 16384
   * registers). True when already dense.
   */
  toDense(): boolean {
    const old = this.buf;
    if (old[4] === DENSE) return true;
    const d = Buffer.alloc(DENSE_SIZE);
    old.copy(d, 0, 0, HDR);
    d[4] = DENSE;
    let idx = 0;
    let p = HDR;
    const end = old.length;
    while (p < end) {
      const op = old[p]!;
      if ((op & 0xc0) === 0) {
        idx += (op & 0x3f) + 1;
        p++;
      } else if ((op & 0xc0) === 0x40) {
        idx += (((op & 0x3f) << 8) | (old[p + 1] ?? 0)) + 1;
        p += 2;
      } else {
        const runlen = (op & 3) + 1;
        const val = ((op >> 2) & 0x1f) + 1;
        if (runlen + idx > REGISTERS) break;
        for (let k = 0; k < runlen; k++) denseSet(d, idx++, val);
        p++;
      }
    }
    if (idx !== REGISTERS) return false;
    this.buf = d;
    return true;
  }

  /** Adds an element: 1 when a register changed, 0 if not, -1 when corrupt. */
  add(ele: string, sparseMax: number): number {
    const [index, count] = patLen(ele);
    return this.set(index, count, sparseMax);
  }

  /** Raises register `index` to `count`: 1 when changed, 0 if not, -1 when corrupt. */
  set(index: number, count: number, sparseMax: number): number {
    if (this.buf[4] === DENSE) {
      if (denseGet(this.buf, index) >= count) return 0;
      denseSet(this.buf, index, count);
      return 1;
    }
    return this.sparseSet(index, count, sparseMax);
  }

  private promote(index: number, count: number): number {
    if (!this.toDense()) return -1;
    if (denseGet(this.buf, index) < count) denseSet(this.buf, index, count);
    return 1;
  }

  /**
   * Sets a register of the sparse stream (Redis's hllSparseSet). The stream
   * is edited where it is: a register already as high costs no copy, an
   * opcode replaced by one of its size changes one byte, and a split that
   * grows the stream takes spare room kept behind it (mutableBuf), so adding
   * an element does not copy the whole stream.
   */
  private sparseSet(index: number, count: number, sparseMax: number): number {
    if (count > VAL_MAX_VALUE) return this.promote(index, count);
    const b0 = this.buf;
    const len0 = b0.length;
    // Step 1: find the opcode covering `index`.
    let p = HDR;
    let first = 0;
    let prev = -1;
    let span = 0;
    while (p < len0) {
      const op = b0[p]!;
      let oplen = 1;
      if ((op & 0xc0) === 0) span = (op & 0x3f) + 1;
      else if (op & 0x80) span = (op & 3) + 1;
      else {
        span = (((op & 0x3f) << 8) | b0[p + 1]!) + 1;
        oplen = 2;
      }
      if (index <= first + span - 1) break;
      prev = p;
      p += oplen;
      first += span;
    }
    if (span === 0 || p >= len0) return -1;
    const op = b0[p]!;
    const isZero = (op & 0xc0) === 0;
    const isXzero = (op & 0xc0) === 0x40;
    const isVal = (op & 0x80) !== 0;
    const next = isXzero ? p + 2 : p + 1;
    const runlen = isZero ? (op & 0x3f) + 1 : isXzero ? (((op & 0x3f) << 8) | b0[p + 1]!) + 1 : (op & 3) + 1;
    if (isVal && ((op >> 2) & 0x1f) + 1 >= count) return 0;
    let b = b0;
    let end = len0;
    if ((isVal || isZero) && runlen === 1) {
      // Step 2: the simple cases, one byte in place.
      b[p] = valOp(count, 1);
    } else {
      // Step 3, the general case: the opcode is replaced by up to 3 (5 bytes).
      const seq: number[] = [];
      const last = first + span - 1;
      if (isZero || isXzero) {
        if (index !== first) pushZeros(seq, index - first);
        seq.push(valOp(count, 1));
        if (index !== last) pushZeros(seq, last - index);
      } else {
        const curval = ((op >> 2) & 0x1f) + 1;
        if (index !== first) seq.push(valOp(curval, index - first));
        seq.push(valOp(count, 1));
        if (index !== last) seq.push(valOp(curval, last - index));
      }
      const delta = seq.length - (isXzero ? 2 : 1);
      if (delta > 0 && len0 + delta > sparseMax) return this.promote(index, count);
      if (delta > 0) b = mutableBuf(b0, len0 + delta);
      if (delta !== 0 && next < len0) b.copyWithin(next + delta, next, len0);
      end += delta;
      for (let k = 0; k < seq.length; k++) b[p + k] = seq[k]!;
    }
    // Step 4: merge adjacent VALs of the same value, scanning up to 5 opcodes from the previous one.
    p = prev >= 0 ? prev : HDR;
    let scan = 5;
    while (p < end && scan-- > 0) {
      const o = b[p]!;
      if ((o & 0xc0) === 0x40) {
        p += 2;
        continue;
      }
      if ((o & 0xc0) === 0) {
        p++;
        continue;
      }
      if (p + 1 < end && b[p + 1]! & 0x80) {
        const o2 = b[p + 1]!;
        const v1 = ((o >> 2) & 0x1f) + 1;
        const v2 = ((o2 >> 2) & 0x1f) + 1;
        if (v1 === v2) {
          const l = (o & 3) + 1 + (o2 & 3) + 1;
          if (l <= VAL_MAX_LEN) {
            b[p + 1] = valOp(v1, l);
            b.copyWithin(p, p + 1, end);
            end--;
            continue;
          }
        }
      }
      p++;
    }
    invalidateCache(b);
    if (end < b.length) {
      // the bytes the stream gave up stay zero (mutableBuf's room behind a view is zero)
      b.fill(0, end);
      b = b.subarray(0, end);
    }
    this.buf = b;
    return 1;
  }
}

function valOp(val: number, len: number): number {
  return 0x80 | ((val - 1) << 2) | (len - 1);
}

function pushZeros(seq: number[], len: number): void {
  if (len > ZERO_MAX_LEN) {
    const l = len - 1;
    seq.push((l >> 8) | 0x40, l & 0xff);
  } else seq.push(len - 1);
}

// ---- counting ----

/**
 * Merges the registers of an HLL into `max` (one byte per register, the
 * maximum). False when the sparse stream is corrupt.
 */
export function mergeInto(max: Uint8Array, s: Uint8Array): boolean {
  if (s[4] === DENSE) {
    for (let i = 0; i < REGISTERS; i++) {
      const v = denseGet(s, i);
      if (v > max[i]!) max[i] = v;
    }
    return true;
  }
  let i = 0;
  let p = HDR;
  const end = s.length;
  while (p < end) {
    const op = s[p]!;
    if ((op & 0xc0) === 0) {
      i += (op & 0x3f) + 1;
      p++;
    } else if ((op & 0xc0) === 0x40) {
      i += (((op & 0x3f) << 8) | (s[p + 1] ?? 0)) + 1;
      p += 2;
    } else {
      const runlen = (op & 3) + 1;
      const val = ((op >> 2) & 0x1f) + 1;
      if (runlen + i > REGISTERS) break;
      for (let k = 0; k < runlen; k++, i++) if (val > max[i]!) max[i] = val;
      p++;
    }
  }
  return i === REGISTERS;
}

/** The register histogram of an HLL; null when the sparse stream is corrupt. */
export function histogram(s: Uint8Array): number[] | null {
  const h = new Array<number>(64).fill(0);
  if (s[4] === DENSE) {
    for (let i = 0; i < REGISTERS; i++) h[denseGet(s, i)]!++;
    return h;
  }
  let idx = 0;
  let p = HDR;
  const end = s.length;
  while (p < end) {
    const op = s[p]!;
    if ((op & 0xc0) === 0) {
      const r = (op & 0x3f) + 1;
      idx += r;
      h[0]! += r;
      p++;
    } else if ((op & 0xc0) === 0x40) {
      const r = (((op & 0x3f) << 8) | (s[p + 1] ?? 0)) + 1;
      idx += r;
      h[0]! += r;
      p += 2;
    } else {
      const r = (op & 3) + 1;
      idx += r;
      h[((op >> 2) & 0x1f) + 1]! += r;
      p++;
    }
  }
  return idx === REGISTERS ? h : null;
}

/** The histogram of raw 8-bit registers (PFCOUNT of several keys). */
export function rawHistogram(max: Uint8Array): number[] {
  const h = new Array<number>(64).fill(0);
  for (let i = 0; i < REGISTERS; i++) h[max[i]!]!++;
  return h;
}

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let zPrime: number;
  let y = 1;
  let z = x;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let zPrime: number;
  let y = 1.0;
  let z = 1 - x;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    z -= Math.pow(1 - x, 2) * y;
  } while (zPrime !== z);
  return z / 3;
}

/** Ertl's improved estimator over a register histogram, rounded half away from zero. */
export function estimate(h: number[]): number {
  const m = REGISTERS;
  let z = m * tau((m - h[Q + 1]!) / m);
  for (let j = Q; j >= 1; --j) {
    z += h[j]!;
    z *= 0.5;
  }
  z += m * sigma(h[0]! / m);
  const e = (ALPHA_INF * m * m) / z;
  const f = Math.floor(e);
  return e - f >= 0.5 ? f + 1 : f;
}

/** Decodes a sparse stream as PFDEBUG DECODE prints it. */
export function decodeSparse(s: Uint8Array): string {
  const parts: string[] = [];
  let p = HDR;
  while (p < s.length) {
    const op = s[p]!;
    if ((op & 0xc0) === 0) {
      parts.push(`z:${(op & 0x3f) + 1}`);
      p++;
    } else if ((op & 0xc0) === 0x40) {
      parts.push(`Z:${(((op & 0x3f) << 8) | (s[p + 1] ?? 0)) + 1}`);
      p += 2;
    } else {
      parts.push(`v:${((op >> 2) & 0x1f) + 1},${(op & 3) + 1}`);
      p++;
    }
  }
  return parts.join(' ');
}
