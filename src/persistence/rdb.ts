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
 * The format's numbers and the writer's primitives (RdbWriter) are
 * rdb-format.ts, re-exported here; listpacks and intsets, rdb-compact.ts.
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
import { Buffer } from 'node:buffer';
import type { CollectionValue, Value } from '../keyspace/value.js';
import { writeStream } from './rdb-stream.js';
import { isString, unknownType } from '../keyspace/value.js';
import { List, entrySize } from '../types/list.js';
import { INTSET } from '../types/set.js';
import type { ZCursor } from '../types/zset.js';
import { Crc64 } from './crc64.js';
import { ListpackBuilder, buildIntset, scoreText } from './rdb-compact.js';
import {
  RdbWriter,
  OP_AUX,
  OP_EXPIRETIME_MS,
  OP_FUNCTION2,
  OP_RESIZEDB,
  OP_SELECTDB,
  QL_PACKED,
  RDB_VERSION,
  RDB_VERSION_HFE,
  T_HASH,
  T_HASH_LISTPACK,
  T_HASH_LISTPACK_EX,
  T_HASH_METADATA,
  T_LIST_QUICKLIST_2,
  T_SET,
  T_SET_INTSET,
  T_STREAM_LISTPACKS_2,
  T_STRING,
  T_ZSET_2,
  T_ZSET_LISTPACK,
  type RdbOptions,
} from './rdb-format.js';

export * from './rdb-format.js';

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
      const h = v;
      if (h.hasFieldTtls()) return h.packed() ? T_HASH_LISTPACK_EX : T_HASH_METADATA;
      return h.packed() ? T_HASH_LISTPACK : T_HASH;
    }
    case 'set':
      return v.enc === INTSET ? T_SET_INTSET : T_SET;
    case 'zset':
      return v.lp ? T_ZSET_LISTPACK : T_ZSET_2;
    case 'stream':
      return T_STREAM_LISTPACKS_2;
    default:
      return unknownType(v);
  }
}

/** Writes a value's serialization (without its type byte). */
export function writeValue(w: RdbWriter, v: Value): void {
  if (isString(v)) return w.str(v);
  switch (v.type) {
    case 'hash': {
      const h = v;
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
      const s = v;
      if (s.enc === INTSET) return w.str(buildIntset(s.m));
      break;
    }
    case 'zset': {
      const z = v;
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
      return writeStream(w, v);
    case 'list':
      break;
    default:
      return unknownType(v);
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
      return v.size > BIG_VALUE ? collectionJob(v, opts) : null;
    case 'set':
      return v.m.length > BIG_VALUE ? collectionJob(v, opts) : null;
    case 'zset':
      return v.card() > BIG_VALUE ? collectionJob(v, opts) : null;
    case 'list':
      return v.length > BIG_VALUE ? collectionJob(v, opts) : null;
    default:
      return null;
  }
}

/** The stepwise writer of a list, a hashtable hash or set, or a skiplist sorted set (null: other encodings). */
function collectionJob(v: CollectionValue, opts: RdbOptions): ValueJob | null {
  switch (v.type) {
    case 'hash': {
      const h = v;
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
      const m = v.m;
      if (v.enc === INTSET) return null;
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
      const z = v;
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
      return listJob(v, opts);
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

/**
 * Replication's AUX fields (Redis's rdbSaveInfo): the stream's selected
 * database, the replication id and offset the image matches. Written by a
 * primary with a backlog (every save, as Redis's rdbPopulateSaveInfo) and
 * in a full sync's image; a replica loading it continues from them.
 */
export interface ReplSaveInfo {
  streamDb: number;
  replid: string;
  offset: number;
}

/** The header: magic, version (RDB_VERSION unless given) and the AUX fields Redis 7.2 writes. */
export function writeHeader(
  w: RdbWriter,
  aux: { usedMem: number; aofBase: boolean; now: number; version?: number; repl?: ReplSaveInfo | null },
): void {
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
  if (aux.repl) {
    auxField('repl-stream-db', String(aux.repl.streamDb));
    auxField('repl-id', aux.repl.replid);
    auxField('repl-offset', String(aux.repl.offset));
  }
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
