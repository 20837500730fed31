/**
 * Byte builders for RDB values, DUMP payloads and RDB files, for tests that
 * need encodings tsdis or redis-server no longer write (zipmap, ziplists) or
 * deliberately broken ones: every builder takes overrides for the fields a
 * corrupt blob gets wrong (counts, sizes, prevlens, back-lengths).
 */
import { crc64 } from '../../src/persistence/crc64.js';

/** An RDB length (6/14/32-bit forms; 64-bit with `big`). */
export function len(n: number | bigint, big = false): Buffer {
  if (big || n >= 2 ** 32) {
    const b = Buffer.alloc(9);
    b[0] = 0x81;
    b.writeBigUInt64BE(BigInt(n), 1);
    return b;
  }
  const x = Number(n);
  if (x < 64) return Buffer.from([x]);
  if (x < 16384) return Buffer.from([0x40 | (x >> 8), x & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = 0x80;
  b.writeUInt32BE(x, 1);
  return b;
}

/** A raw RDB string. */
export function str(s: string | Buffer): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s, 'latin1') : s;
  return Buffer.concat([len(b.length), b]);
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
};

/** A listpack entry's encoding and data (no back-length): integers in their smallest form, strings 6/12/32-bit. */
export function lpEntry(x: string | number | bigint): Buffer {
  if (typeof x !== 'string') {
    const v = BigInt(x);
    if (v >= 0n && v <= 127n) return Buffer.from([Number(v)]);
    if (v >= -4096n && v <= 4095n) {
      const u = Number(v) & 0x1fff;
      return Buffer.from([0xc0 | (u >> 8), u & 0xff]);
    }
    if (v >= -32768n && v <= 32767n) {
      const b = Buffer.alloc(3);
      b[0] = 0xf1;
      b.writeInt16LE(Number(v), 1);
      return b;
    }
    if (v >= -8388608n && v <= 8388607n) {
      const b = Buffer.alloc(4);
      b[0] = 0xf2;
      b.writeIntLE(Number(v), 1, 3);
      return b;
    }
    if (v >= -2147483648n && v <= 2147483647n) {
      const b = Buffer.alloc(5);
      b[0] = 0xf3;
      b.writeInt32LE(Number(v), 1);
      return b;
    }
    const b = Buffer.alloc(9);
    b[0] = 0xf4;
    b.writeBigInt64LE(v, 1);
    return b;
  }
  const s = Buffer.from(x, 'latin1');
  if (s.length < 64) return Buffer.concat([Buffer.from([0x80 | s.length]), s]);
  if (s.length < 4096) return Buffer.concat([Buffer.from([0xe0 | (s.length >> 8), s.length & 0xff]), s]);
  return Buffer.concat([Buffer.from([0xf0]), u32(s.length), s]);
}

/** A listpack back-length for an entry of `l` bytes (lpEncodeBacklen: high bits first, continuation bits on all but the first). */
export function lpBacklen(l: number): Buffer {
  const n = l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = (Math.floor(l / 2 ** (7 * (n - 1 - i))) & 127) | (i > 0 ? 128 : 0);
  return out;
}

export interface LpOptions {
  /** The header's element count (default: the number of entries). */
  count?: number;
  /** The header's total bytes (default: right). */
  total?: number;
  /** Raw entries (encoding + data + back-length) instead of encoded items, at these indexes. */
  raw?: Map<number, Buffer>;
}

/** A listpack blob. */
export function listpack(items: (string | number | bigint)[], o: LpOptions = {}): Buffer {
  const entries = items.map((x, i) => {
    const r = o.raw?.get(i);
    if (r !== undefined) return r;
    const e = lpEntry(x);
    return Buffer.concat([e, lpBacklen(e.length)]);
  });
  const body = Buffer.concat(entries);
  return Buffer.concat([u32(o.total ?? 6 + body.length + 1), u16(o.count ?? items.length), body, Buffer.from([0xff])]);
}

export interface ZlOptions {
  count?: number;
  total?: number;
  tail?: number;
  /** Per entry index: a prevlen to write instead of the right one. */
  prevlen?: Map<number, number>;
}

/** A ziplist entry's encoding and data: integers as imm/int8/16/24/32/64, strings 6/14/32-bit. */
export function zlEntry(x: string | number | bigint): Buffer {
  if (typeof x !== 'string') {
    const v = BigInt(x);
    if (v >= 0n && v <= 12n) return Buffer.from([0xf1 + Number(v)]);
    if (v >= -128n && v <= 127n) return Buffer.from([0xfe, Number(v) & 0xff]);
    if (v >= -32768n && v <= 32767n) {
      const b = Buffer.alloc(3);
      b[0] = 0xc0;
      b.writeInt16LE(Number(v), 1);
      return b;
    }
    if (v >= -8388608n && v <= 8388607n) {
      const b = Buffer.alloc(4);
      b[0] = 0xf0;
      b.writeIntLE(Number(v), 1, 3);
      return b;
    }
    if (v >= -2147483648n && v <= 2147483647n) {
      const b = Buffer.alloc(5);
      b[0] = 0xd0;
      b.writeInt32LE(Number(v), 1);
      return b;
    }
    const b = Buffer.alloc(9);
    b[0] = 0xe0;
    b.writeBigInt64LE(v, 1);
    return b;
  }
  const s = Buffer.from(x, 'latin1');
  if (s.length < 64) return Buffer.concat([Buffer.from([s.length]), s]);
  if (s.length < 16384) return Buffer.concat([Buffer.from([0x40 | (s.length >> 8), s.length & 0xff]), s]);
  const h = Buffer.alloc(5);
  h[0] = 0x80;
  h.writeUInt32BE(s.length, 1);
  return Buffer.concat([h, s]);
}

/** A ziplist blob. */
export function ziplist(items: (string | number | bigint)[], o: ZlOptions = {}): Buffer {
  const entries: Buffer[] = [];
  let prev = 0;
  let off = 10;
  let tail = 10;
  items.forEach((x, i) => {
    const p = o.prevlen?.get(i) ?? prev;
    const head = p < 254 ? Buffer.from([p]) : Buffer.concat([Buffer.from([0xfe]), u32(p)]);
    const e = Buffer.concat([head, zlEntry(x)]);
    entries.push(e);
    tail = off;
    off += e.length;
    prev = e.length;
  });
  const h = Buffer.concat([u32(o.total ?? off + 1), u32(o.tail ?? tail), u16(o.count ?? items.length)]);
  return Buffer.concat([h, ...entries, Buffer.from([0xff])]);
}

/** An intset blob of the given width (2, 4 or 8 bytes), members as given (sorted or not). */
export function intset(width: number, members: (number | bigint)[], count = members.length): Buffer {
  const b = Buffer.alloc(8 + width * members.length);
  b.writeUInt32LE(width, 0);
  b.writeUInt32LE(count, 4);
  members.forEach((m, i) => {
    if (width === 2) b.writeInt16LE(Number(m), 8 + 2 * i);
    else if (width === 4) b.writeInt32LE(Number(m), 8 + 4 * i);
    else b.writeBigInt64LE(BigInt(m), 8 + 8 * i);
  });
  return b;
}

/** A zipmap blob (keys and values under 254 bytes, no free space). */
export function zipmap(pairs: [string, string][], count = pairs.length): Buffer {
  const parts: Buffer[] = [Buffer.from([count])];
  for (const [k, v] of pairs)
    parts.push(Buffer.from([k.length]), Buffer.from(k, 'latin1'), Buffer.from([v.length, 0]), Buffer.from(v, 'latin1'));
  parts.push(Buffer.from([0xff]));
  return Buffer.concat(parts);
}

/** A DUMP payload: type, value, RDB version, CRC-64 (as bytes). */
export function payloadBytes(type: number, value: Buffer, version = 10): Buffer {
  const v = Buffer.alloc(2);
  v.writeUInt16LE(version);
  const body = Buffer.concat([Buffer.from([type]), value, v]);
  return Buffer.concat([body, crc64(body)]);
}

/** A DUMP payload as a latin1 string (an argument for RawConn.call). */
export function payload(type: number, value: Buffer, version = 10): string {
  return payloadBytes(type, value, version).latin1Slice();
}

/** A payload's body with its CRC-64 recomputed (after a mutation), as a latin1 string. */
export function withCrc(p: Buffer): string {
  const body = p.subarray(0, p.length - 8);
  return Buffer.concat([body, crc64(body)]).latin1Slice();
}

/** An RDB file holding these keys in db 0 (type, key, value bytes), with its CRC-64 (`crc`: false writes zeros). */
export function rdbFile(keys: { type: number; key: string; value: Buffer }[], version = 10, crc = true): Buffer {
  const parts: Buffer[] = [
    Buffer.from(`REDIS${String(version).padStart(4, '0')}`, 'latin1'),
    Buffer.from([0xfa]),
    str('redis-ver'),
    str('7.0.15'),
    Buffer.from([0xfe, 0]),
  ];
  for (const k of keys) parts.push(Buffer.from([k.type]), str(k.key), k.value);
  parts.push(Buffer.from([0xff]));
  const body = Buffer.concat(parts);
  return Buffer.concat([body, crc ? crc64(body) : Buffer.alloc(8)]);
}

/** A stream ID as Redis's radix tree key: ms and seq, 64-bit big-endian each. */
export function id16(ms: number, seq: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64BE(BigInt(ms), 0);
  b.writeBigUInt64BE(BigInt(seq), 8);
  return b;
}

/** A little-endian 64-bit integer (RDB stream PEL delivery times and counters). */
export function i64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(n));
  return b;
}

/** A little-endian double (RDB binary scores). */
export function f64(x: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(x);
  return b;
}
