/**
 * CRC-64/Jones as Redis uses it for RDB files and DUMP payloads: the
 * reflected form of polynomial 0xad93d23594c935a9, initial value 0, no final
 * xor (check value for "123456789": 0xe9c6d914c4b8d9ca).
 *
 * The 64-bit register is kept as two uint32 halves (JS bitwise operators are
 * 32-bit; BigInt per byte would be ~50x slower). Table-driven, one byte per
 * step, with eight tables ("slicing by 8") for the bulk of long inputs.
 */
import { Buffer } from 'node:buffer';

/** The reflected polynomial, as two halves. */
const POLY_HI = 0x95ac9329;
const POLY_LO = 0xac4bc9b5;

/** T_HI[k*256 + b] / T_LO[...]: table k of slicing-by-8 (k = 0 is the classic table). */
const T_HI = new Uint32Array(8 * 256);
const T_LO = new Uint32Array(8 * 256);

for (let b = 0; b < 256; b++) {
  let hi = 0;
  let lo = b;
  for (let k = 0; k < 8; k++) {
    const odd = lo & 1;
    lo = ((lo >>> 1) | (hi << 31)) >>> 0;
    hi = hi >>> 1;
    if (odd) {
      hi = (hi ^ POLY_HI) >>> 0;
      lo = (lo ^ POLY_LO) >>> 0;
    }
  }
  T_HI[b] = hi;
  T_LO[b] = lo;
}
for (let k = 1; k < 8; k++) {
  for (let b = 0; b < 256; b++) {
    const phi = T_HI[(k - 1) * 256 + b]!;
    const plo = T_LO[(k - 1) * 256 + b]!;
    // one more zero byte through the register: crc = T[crc & 0xff] ^ (crc >>> 8)
    const i = plo & 0xff;
    T_HI[k * 256 + b] = (T_HI[i]! ^ (phi >>> 8)) >>> 0;
    T_LO[k * 256 + b] = (T_LO[i]! ^ ((plo >>> 8) | (phi << 24))) >>> 0;
  }
}

/** A running CRC-64: feed it chunks with update(), read it with digest()/bytes(). */
export class Crc64 {
  hi = 0;
  lo = 0;

  /** Feeds bytes [start, end) of buf. */
  update(buf: Uint8Array, start = 0, end = buf.length): this {
    let hi = this.hi;
    let lo = this.lo;
    let i = start;
    // slicing by 8: the register xored with 8 input bytes, looked up in 8 tables
    for (; i + 8 <= end; i += 8) {
      const a = lo ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24));
      const c = hi ^ (buf[i + 4]! | (buf[i + 5]! << 8) | (buf[i + 6]! << 16) | (buf[i + 7]! << 24));
      const i0 = 7 * 256 + (a & 0xff),
        i1 = 6 * 256 + ((a >>> 8) & 0xff),
        i2 = 5 * 256 + ((a >>> 16) & 0xff),
        i3 = 4 * 256 + (a >>> 24);
      const i4 = 3 * 256 + (c & 0xff),
        i5 = 2 * 256 + ((c >>> 8) & 0xff),
        i6 = 256 + ((c >>> 16) & 0xff),
        i7 = c >>> 24;
      hi = T_HI[i0]! ^ T_HI[i1]! ^ T_HI[i2]! ^ T_HI[i3]! ^ T_HI[i4]! ^ T_HI[i5]! ^ T_HI[i6]! ^ T_HI[i7]!;
      lo = T_LO[i0]! ^ T_LO[i1]! ^ T_LO[i2]! ^ T_LO[i3]! ^ T_LO[i4]! ^ T_LO[i5]! ^ T_LO[i6]! ^ T_LO[i7]!;
    }
    for (; i < end; i++) {
      const idx = (lo ^ buf[i]!) & 0xff;
      lo = T_LO[idx]! ^ ((lo >>> 8) | (hi << 24));
      hi = T_HI[idx]! ^ (hi >>> 8);
    }
    this.hi = hi >>> 0;
    this.lo = lo >>> 0;
    return this;
  }

  /** The CRC as 8 little-endian bytes (how RDB files and DUMP payloads store it). */
  bytes(): Buffer {
    const b = Buffer.allocUnsafe(8);
    b.writeUInt32LE(this.lo, 0);
    b.writeUInt32LE(this.hi, 4);
    return b;
  }

  /** The CRC as a bigint. */
  value(): bigint {
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }
}

/** CRC-64 of bytes [start, end) of buf, as 8 little-endian bytes. */
export function crc64(buf: Uint8Array, start = 0, end = buf.length): Buffer {
  return new Crc64().update(buf, start, end).bytes();
}
