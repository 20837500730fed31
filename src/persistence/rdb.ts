/**
 * RDB encoding: the file format Redis writes for snapshots and the value
 * serialization DUMP uses. tsdis writes RDB version 10 (Redis 7.0's, which
 * Redis 7.2 also reads) with the encodings Redis 7.0 chooses for each type:
 *  - strings: int8/16/32 for short integer texts, LZF for strings over 20
 *    bytes when `rdbcompression yes` and it saves at least 4 bytes, raw bytes
 *    otherwise;
 *  - lists: QUICKLIST_2, nodes of packed listpacks split by
 *    list-max-listpack-size;
 *  - hashes: HASH_LISTPACK (listpack encoding) or HASH (field/value pairs);
 *    a hash with field TTLs as Redis 7.4 writes it (see "Hash-field
 *    expiration" below): HASH_LISTPACK_EX or HASH_METADATA;
 *  - sets: SET_INTSET (intset encoding) or SET (members; 7.2's set listpack
 *    is a version 11 type, so a listpack set is written as a plain SET);
 *  - sorted sets: ZSET_LISTPACK or ZSET_2 (binary doubles, tail first, as
 *    Redis writes it).
 * Decoding (every type and encoding Redis 2.x-7.4 writes) is rdb-load.ts.
 *
 * Hash-field expiration (Redis 7.4, RDB version 12; checked against its
 * rdb.c: rdbSaveObjectType, rdbSaveObject, rdbLoadObject):
 *  - HASH_LISTPACK_EX (25): the hash's earliest field expire time as 8 bytes
 *    little endian (rdbSaveMillisecondTime; Redis 7.4's loader reads and
 *    ignores it), then a listpack (as a string) of triplets field, value,
 *    expire time (an integer entry, absolute unix ms, 0 for none), fields
 *    with a TTL first by ascending time, then the others: Redis's in-memory
 *    listpackex order, which its loader validates when sanitizing;
 *  - HASH_METADATA (24): the earliest expire time (8 bytes LE), the number
 *    of fields (length), then per field: a length `ttl` (0 for none, else
 *    expire time - earliest + 1), the field, the value (strings);
 *  - the _PRE_GA types 23 and 22 of the 7.4 release candidates (read only)
 *    are the same without the leading time, and 22's ttl is absolute.
 * Only a hash with at least one field TTL is written so; any other hash
 * keeps the old types, and the file keeps version 10 unless it holds such a
 * hash (then 12: Redis 7.0/7.2 refuse the file up front rather than
 * midway), so redis-server 7.0 keeps loading tsdis's files. DUMP payloads
 * likewise carry version 12 only for such a hash.
 *
 * Function libraries (FUNCTION LOAD) are stored as Redis 7.0 GA does: one
 * FUNCTION2 opcode per library followed by its code as a string, after the
 * AUX fields and before the databases (writeFunctions).
 *
 * Callers: snapshot.ts (SAVE, shutdown), bgsave.ts, commands/persistence.ts
 * (DUMP), the AOF rewrite's RDB preamble.
 */
import type { Value } from '../keyspace/value.js';
import { writeStream } from './rdb-stream.js';
import type { Stream } from '../types/stream.js';
import { isString } from '../keyspace/value.js';
import { List, entrySize } from '../types/list.js';
import { HashValue } from '../types/hash.js';
import { SetValue, INTSET } from '../types/set.js';
import { ZSet, type ZCursor } from '../types/zset.js';
import { lzfCompress } from './lzf.js';
import { Crc64 } from './crc64.js';
import { ListpackBuilder, buildIntset, scoreText } from './rdb-compact.js';

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

/* ---------------------------------------------------------------------------
 * Values
 * ------------------------------------------------------------------------- */

/** The node limits of list-max-listpack-size: [bytes, count]. */
function nodeLimits(fill: number): [number, number] {
  if (fill >= 0) return [Infinity, Math.max(1, fill)];
  const sizes = [4096, 8192, 16384, 32768, 65536];
  return [sizes[Math.min(4, -fill - 1)]!, Infinity];
}

/** The RDB type byte a value is written with. */
export function rdbType(v: Value): number {
  if (isString(v)) return T_STRING;
  switch (v.type) {
    case 'list':
      return T_LIST_QUICKLIST_2;
    case 'hash': {
      const h = v as HashValue;
      if (h.hasFieldTtls()) return h.packed() ? T_HASH_LISTPACK_EX : T_HASH_METADATA;
      return h.packed() ? T_HASH_LISTPACK : T_HASH;
    }
    case 'set':
      return (v as SetValue).enc === INTSET ? T_SET_INTSET : T_SET;
    case 'zset':
      return (v as ZSet).lp ? T_ZSET_LISTPACK : T_ZSET_2;
    case 'stream':
      return T_STREAM_LISTPACKS_2;
    default:
      throw new Error(`cannot serialize a value of type ${v.type}`);
  }
}

/** Writes a value's serialization (without its type byte). */
export function writeValue(w: RdbWriter, v: Value): void {
  if (isString(v)) return w.str(v);
  switch (v.type) {
    case 'hash': {
      const h = v as HashValue;
      if (h.packed()) {
        const lp = new ListpackBuilder();
        if (h.hasFieldTtls()) {
          // HASH_LISTPACK_EX: earliest time, then field, value, time triplets
          const lpt = h.ex!.lpt!;
          w.i64le(lpt[0]!);
          h.forEach((f, x, k) => {
            lp.str(f);
            lp.str(x);
            lp.int(lpt[k]!);
          });
        } else {
          h.forEach((f, x) => {
            lp.str(f);
            lp.str(x);
          });
        }
        return w.str(lp.finish());
      }
      break;
    }
    case 'set': {
      const s = v as SetValue;
      if (s.enc === INTSET) return w.str(buildIntset(s.m));
      break;
    }
    case 'zset': {
      const z = v as ZSet;
      if (z.lp) {
        const lp = new ListpackBuilder();
        for (const [m, sc] of z.entries()) {
          lp.str(m);
          lp.str(scoreText(sc));
        }
        return w.str(lp.finish());
      }
      break;
    }
    case 'stream':
      return writeStream(w, v as Stream);
    case 'list':
      break;
    default:
      throw new Error(`cannot serialize a value of type ${v.type}`);
  }
  // a list, or a hash, set or sorted set in its hashtable/skiplist encoding
  const job = collectionJob(v, w.opts)!;
  while (!job(w, Infinity));
}

/** Writes one key: optional EXPIRETIME_MS, type, key, value. */
export function writeKeyValue(w: RdbWriter, key: string, v: Value, expire: number | bigint | undefined): void {
  writeKeyHeader(w, key, v, expire);
  writeValue(w, v);
}

/** What precedes a key's value: optional EXPIRETIME_MS, type, key. */
export function writeKeyHeader(w: RdbWriter, key: string, v: Value, expire: number | bigint | undefined): void {
  if (expire !== undefined) {
    w.byte(OP_EXPIRETIME_MS);
    w.i64le(expire);
  }
  w.byte(rdbType(v));
  w.str(key);
}

/** Collections with more elements than this are serialized in steps by a BGSAVE (valueJob). */
export const BIG_VALUE = 2048;

/** Writes about `n` more elements of a value; true once it is complete. */
export type ValueJob = (w: RdbWriter, n: number) => boolean;

/**
 * A value's serialization in steps, so that a BGSAVE spreads a huge
 * collection over several slices: the bytes are those writeValue writes.
 * Null for a value small enough (or of a type) to write in one go. The value
 * must not change between calls: the snapshot's copy-on-write finishes a job
 * before its key is modified.
 */
export function valueJob(v: Value, opts: RdbOptions): ValueJob | null {
  if (isString(v)) return null;
  switch (v.type) {
    case 'hash':
      return (v as HashValue).size > BIG_VALUE ? collectionJob(v, opts) : null;
    case 'set':
      return (v as SetValue).m.length > BIG_VALUE ? collectionJob(v, opts) : null;
    case 'zset':
      return (v as ZSet).card() > BIG_VALUE ? collectionJob(v, opts) : null;
    case 'list':
      return (v as List).length > BIG_VALUE ? collectionJob(v, opts) : null;
    default:
      return null;
  }
}

/** The stepwise writer of a list, a hashtable hash or set, or a skiplist sorted set (null: other encodings). */
function collectionJob(v: Value, opts: RdbOptions): ValueJob | null {
  switch ((v as { type: string }).type) {
    case 'hash': {
      const h = v as HashValue;
      if (h.packed()) return null;
      // HASH_METADATA when some field has a TTL: times relative to the earliest, + 1
      const map = h.hasFieldTtls() ? h.ex!.map! : null;
      let min = 0;
      let i = -1;
      return (w, n) => {
        if (i < 0) {
          if (map !== null) {
            min = Infinity;
            for (const at of map.values()) if (at < min) min = at;
            w.i64le(min);
          }
          w.len(h.size);
          i = 0;
        }
        const end = Math.min(h.size, i + n);
        for (; i < end; i++) {
          const f = h.fieldAt(i);
          if (map !== null) {
            const at = map.get(f);
            w.len(at === undefined ? 0 : at - min + 1);
          }
          w.str(f);
          w.str(h.valueAt(i));
        }
        return i >= h.size;
      };
    }
    case 'set': {
      const m = (v as SetValue).m;
      if ((v as SetValue).enc === INTSET) return null;
      let i = -1;
      return (w, n) => {
        if (i < 0) {
          w.len(m.length);
          i = 0;
        }
        const end = Math.min(m.length, i + n);
        for (; i < end; i++) w.str(m[i]!);
        return i >= m.length;
      };
    }
    case 'zset': {
      const z = v as ZSet;
      if (z.lp) return null;
      // highest score first (Redis writes its skiplist from the tail)
      let c: ZCursor | null = null;
      return (w, n) => {
        if (c === null) {
          w.len(z.card());
          c = z.cursor(z.card() - 1);
        }
        for (let k = 0; k < n && c.leaf !== null; k++) {
          w.str(c.m);
          w.double(c.s);
          c.prev();
        }
        return c.leaf === null;
      };
    }
    case 'list':
      return listJob(v as List, opts);
    default:
      return null;
  }
}

/**
 * A list as quicklist nodes of what fits list-max-listpack-size (an element
 * alone may exceed it): first the node boundaries, since their count comes
 * first in the file, then the nodes.
 */
function listJob(l: List, opts: RdbOptions): ValueJob {
  const [maxBytes, maxCount] = nodeLimits(opts.listMaxListpackSize);
  const counts: number[] = [];
  let nodeCount = 0;
  let nodeBytes = 7; // an empty listpack: header and end byte
  let i = 0;
  let node = -1;
  return (w, n) => {
    const len = l.length;
    if (node < 0) {
      const end = Math.min(len, i + n);
      l.scan(i, end - 1, false, (e) => {
        const sz = entrySize(e);
        if (nodeCount > 0 && (nodeBytes + sz > maxBytes || nodeCount >= maxCount)) {
          counts.push(nodeCount);
          nodeCount = 0;
          nodeBytes = 7;
        }
        nodeCount++;
        nodeBytes += sz;
      });
      i = end;
      if (i < len) return false;
      if (nodeCount > 0) counts.push(nodeCount);
      w.len(counts.length);
      node = 0;
      i = 0;
    }
    let budget = n;
    while (node < counts.length && budget > 0) {
      const k = counts[node++]!;
      const lp = new ListpackBuilder();
      l.scan(i, i + k - 1, false, (e) => {
        lp.elem(e);
      });
      i += k;
      budget -= k;
      w.len(QL_PACKED);
      w.str(Buffer.from(lp.finish()));
    }
    return node >= counts.length;
  };
}

/** The header: magic, version (RDB_VERSION unless given) and the AUX fields Redis 7.0 writes. */
export function writeHeader(w: RdbWriter, aux: { usedMem: number; aofBase: boolean; now: number; version?: number }): void {
  w.bytes(Buffer.from('REDIS' + String(aux.version ?? RDB_VERSION).padStart(4, '0'), 'latin1'));
  const auxField = (k: string, v: string) => {
    w.byte(OP_AUX);
    w.str(k);
    w.str(v);
  };
  auxField('redis-ver', '7.2.4');
  auxField('redis-bits', '64');
  auxField('ctime', String(Math.floor(aux.now / 1000)));
  auxField('used-mem', String(aux.usedMem));
  auxField('aof-base', aux.aofBase ? '1' : '0');
}

/**
 * The function libraries, each as FUNCTION2 and its code (latin1 bytes),
 * written between the header and the first database (snapshot.ts and bgsave.ts pass
 * functions.ts's libraryCodes()).
 */
export function writeFunctions(w: RdbWriter, codes: readonly string[]): void {
  for (const code of codes) {
    w.byte(OP_FUNCTION2);
    w.str(code);
  }
}

/** SELECTDB and RESIZEDB for a database section. */
export function writeDbHeader(w: RdbWriter, id: number, size: number, expires: number): void {
  w.byte(OP_SELECTDB);
  w.len(id);
  w.byte(OP_RESIZEDB);
  w.len(size);
  w.len(expires);
}

/** DUMP's payload: type, value, 2-byte RDB version, CRC-64 of all that. */
export function dumpPayload(v: Value, opts: RdbOptions): Buffer {
  const w = new RdbWriter(opts, 256);
  const type = rdbType(v);
  w.byte(type);
  writeValue(w, v);
  return withPayloadTrailer(w, type === T_HASH_LISTPACK_EX || type === T_HASH_METADATA ? RDB_VERSION_HFE : RDB_VERSION);
}

/** The RDB version a file of these databases needs: 12 when one holds a hash with field TTLs (its index says so). */
export function rdbVersionFor(dbs: readonly { hfe: { size: number } }[]): number {
  for (const db of dbs) if (db.hfe.size !== 0) return RDB_VERSION_HFE;
  return RDB_VERSION;
}

/**
 * FUNCTION DUMP's payload: the libraries as the RDB's function records
 * (writeFunctions, the code uncompressed), then DUMP's trailer.
 */
export function functionsPayload(codes: readonly string[]): Buffer {
  const w = new RdbWriter({ compression: false, listMaxListpackSize: -2 }, 256);
  writeFunctions(w, codes);
  return withPayloadTrailer(w);
}

/** A DUMP payload's end: the RDB version (2 bytes LE) and the CRC-64 of everything before it. */
function withPayloadTrailer(w: RdbWriter, version = RDB_VERSION): Buffer {
  w.ensure(10);
  w.buf.writeUInt16LE(version, w.pos);
  w.pos += 2;
  const crc = new Crc64().update(w.buf, 0, w.pos).bytes();
  w.bytes(crc);
  return w.take();
}
