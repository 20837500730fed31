/**
 * The RDB format's numbers (versions, value types, opcodes, quicklist
 * containers) and the writer's primitives (RdbWriter: lengths, strings with
 * their int and LZF encodings, integers, doubles), shared by the value
 * encoders (rdb.ts, rdb-stream.ts) and, for the numbers, the decoders
 * (rdb-load.ts, snapshot-load.ts). rdb.ts re-exports all of it. The
 * reading side's primitives are rdb-reader.ts.
 */
import { Buffer } from 'node:buffer';
import { lzfCompress } from './lzf.js';

export const RDB_VERSION = 10;
/** The version of a file or DUMP payload holding a hash with field TTLs (Redis 7.4's). */
export const RDB_VERSION_HFE = 12;
/** The newest RDB version tsdis reads (Redis 7.4's). */
export const RDB_MAX_READ_VERSION = 12;

// Value types (the byte before each key).
export const T_STRING = 0;
export const T_LIST = 1;
export const T_SET = 2;
export const T_ZSET = 3;
export const T_HASH = 4;
export const T_ZSET_2 = 5;
export const T_MODULE_PRE_GA = 6;
export const T_MODULE_2 = 7;
export const T_HASH_ZIPMAP = 9;
export const T_LIST_ZIPLIST = 10;
export const T_SET_INTSET = 11;
export const T_ZSET_ZIPLIST = 12;
export const T_HASH_ZIPLIST = 13;
export const T_LIST_QUICKLIST = 14;
export const T_STREAM_LISTPACKS = 15;
export const T_HASH_LISTPACK = 16;
export const T_ZSET_LISTPACK = 17;
export const T_LIST_QUICKLIST_2 = 18;
export const T_STREAM_LISTPACKS_2 = 19;
export const T_SET_LISTPACK = 20;
export const T_STREAM_LISTPACKS_3 = 21;
export const T_HASH_METADATA_PRE_GA = 22;
export const T_HASH_LISTPACK_EX_PRE_GA = 23;
export const T_HASH_METADATA = 24;
export const T_HASH_LISTPACK_EX = 25;

// Opcodes.
/** Cluster slot sizes (Redis 7.4, cluster mode): skipped on load. */
export const OP_SLOT_INFO = 244;
export const OP_FUNCTION2 = 245;
export const OP_FUNCTION_PRE_GA = 246;
export const OP_MODULE_AUX = 247;
export const OP_IDLE = 248;
export const OP_FREQ = 249;
export const OP_AUX = 250;
export const OP_RESIZEDB = 251;
export const OP_EXPIRETIME_MS = 252;
export const OP_EXPIRETIME = 253;
export const OP_SELECTDB = 254;
export const OP_EOF = 255;

/** Quicklist node containers (QUICKLIST_2). */
export const QL_PLAIN = 1;
export const QL_PACKED = 2;

/** Options for serializing values. */
export interface RdbOptions {
  /** rdbcompression: LZF for strings over 20 bytes. */
  compression: boolean;
  /** list-max-listpack-size, for splitting lists into quicklist nodes. */
  listMaxListpackSize: number;
}

/**
 * A growable output buffer with the RDB primitives. Chunks can be taken out
 * as it fills (take()), so a snapshot streams to its file.
 */
export class RdbWriter {
  buf: Buffer;
  pos = 0;

  constructor(
    public opts: RdbOptions,
    size = 64 * 1024,
  ) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Makes room for n more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const b = Buffer.allocUnsafe(size);
    this.buf.copy(b, 0, 0, this.pos);
    this.buf = b;
  }

  /** The bytes written so far, leaving the writer empty (they are copied). */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    return out;
  }

  /** The bytes written so far (a view, valid until the next write). */
  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  u32le(n: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(n >>> 0, this.pos);
    this.pos += 4;
  }

  i64le(n: number | bigint): void {
    this.ensure(8);
    this.buf.writeBigInt64LE(BigInt(n), this.pos);
    this.pos += 8;
  }

  /** A binary double (ZSET_2 scores). */
  double(x: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(x, this.pos);
    this.pos += 8;
  }

  /** A length: 6-bit, 14-bit, 32-bit or 64-bit, big endian. */
  len(n: number): void {
    this.ensure(9);
    const b = this.buf;
    if (n < 64) b[this.pos++] = n;
    else if (n < 16384) {
      b[this.pos++] = 0x40 | (n >>> 8);
      b[this.pos++] = n & 0xff;
    } else if (n <= 0xffffffff) {
      b[this.pos++] = 0x80;
      b.writeUInt32BE(n, this.pos);
      this.pos += 4;
    } else {
      b[this.pos++] = 0x81;
      b.writeBigUInt64BE(BigInt(n), this.pos);
      this.pos += 8;
    }
  }

  /** An integer in the special string encodings (returns false when it needs more than 32 bits). */
  private intEncoded(v: number): boolean {
    this.ensure(5);
    const b = this.buf;
    if (v >= -128 && v <= 127) {
      b[this.pos++] = 0xc0;
      b.writeInt8(v, this.pos);
      this.pos += 1;
    } else if (v >= -32768 && v <= 32767) {
      b[this.pos++] = 0xc1;
      b.writeInt16LE(v, this.pos);
      this.pos += 2;
    } else if (v >= -2147483648 && v <= 2147483647) {
      b[this.pos++] = 0xc2;
      b.writeInt32LE(v, this.pos);
      this.pos += 4;
    } else return false;
    return true;
  }

  /**
   * A string: as an integer when it is the canonical text of one that fits
   * 32 bits (Redis's rdbTryIntegerEncoding), LZF compressed when enabled and
   * worth it, raw otherwise. Accepts a latin1 string, a number (an int
   * encoded value) or bytes.
   */
  str(s: string | number | Uint8Array): void {
    if (typeof s === 'number') {
      if (this.intEncoded(s)) return;
      s = '' + s;
    }
    const n = s.length;
    if (typeof s === 'string' && n <= 11 && n > 0) {
      const c = s.charCodeAt(0);
      if ((c >= 48 && c <= 57) || c === 45) {
        const x = Number(s);
        if (Number.isInteger(x) && '' + x === s && this.intEncoded(x)) return;
      }
    }
    if (this.opts.compression && n > 20) {
      const bytes = typeof s === 'string' ? Buffer.from(s, 'latin1') : s;
      const c = lzfCompress(bytes, n - 4);
      if (c !== null) {
        this.byte(0xc3);
        this.len(c.length);
        this.len(n);
        this.bytes(c);
        return;
      }
    }
    this.len(n);
    this.ensure(n);
    if (typeof s === 'string') this.buf.latin1Write(s, this.pos, n);
    else this.buf.set(s, this.pos);
    this.pos += n;
  }
}
