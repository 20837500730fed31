/**
 * RDB decoding: every type and encoding Redis 2.x to 7.2 writes (RDB
 * versions 1-11, and 7.4's hash field TTL types of version 12): strings
 * (raw, int, LZF), lists (linked, ziplist, quicklist of ziplists, quicklist
 * of listpacks), sets (members, intset, listpack), sorted sets (text and
 * binary doubles, ziplist, listpack), hashes (pairs, zipmap, ziplist,
 * listpack), streams (rdb-stream.ts). Module values are refused.
 *
 * Function libraries (FUNCTION2 records) are not values: snapshot.ts's
 * RdbLoader reads them and loads them through scripting/functions.ts.
 *
 * Validation. tsdis turns every blob into its own structures, so it reads
 * every entry of every listpack, ziplist, intset and zipmap, and it checks
 * them as Redis's deep sanitizer does (listpack.c lpValidateIntegrity,
 * ziplist.c ziplistValidateIntegrity, intset.c, zipmap.c, duplicates in
 * sets, hashes and sorted sets, stream listpacks and consumer groups),
 * whatever sanitize-dump-payload says: a payload is either refused while it
 * is decoded or becomes a value every command handles. Where Redis with
 * sanitize-dump-payload no accepts a blob it later asserts on (a set
 * listpack with a duplicate, a listpack entry reaching past its end, a
 * stream entry out of order), tsdis refuses it at once. A declared length
 * never allocates: data is only read as far as the bytes go.
 *
 * Errors are RdbError: tsdis's own detail and byte offset, the reason and
 * rdb.c line Redis 7.2.4 reports for the same failure (its log names both),
 * and whether the value was an empty collection (skipped when a file is
 * loaded, "Bad data format" for RESTORE). Values are built with the
 * encodings the config asks for (as Redis converts on load).
 * Callers: snapshot.ts (loading files), commands/persistence.ts (RESTORE).
 */
import type { Value } from '../keyspace/value.js';
import { readStream } from './rdb-stream.js';
import { storedStr } from '../keyspace/value.js';
import { List, elem, type ListLimits } from '../types/list.js';
import { HashValue } from '../types/hash.js';
import { SetValue, INTSET, LISTPACK, HASHTABLE, isInt64Text, cmpInt } from '../types/set.js';
import { ZSet } from '../types/zset.js';
import { lzfDecompress } from './lzf.js';
import * as R from './rdb.js';
import { narrowInt64 } from '../util/numbers.js';

/**
 * How Redis 7.2.4 reports a failure: the text its rdbReportCorruptRDB or
 * rdbReportReadError logs and the rdb.c line that log names ("Internal error
 * in RDB reading offset N, function at rdb.c:<line> -> <text>").
 */
export interface Why {
  readonly text: string;
  readonly line: number;
}

const why = (text: string, line: number): Why => ({ text, line });

/** Redis 7.2.4's reasons (texts and rdb.c lines of that release), by what failed. */
export const WHY = {
  lenEncoding: why('Unknown length encoding 2 in rdbLoadLen()', 244),
  lzf: why('Invalid LZF compressed string', 421),
  strEncoding: (n: number) => why(`Unknown RDB string encoding type ${n}`, 536),
  setDup: (line: number) => why('Duplicate set members detected', line),
  zsetNan: why('Zset with NAN score detected', 2014),
  zsetDup: why('Duplicate zset fields detected', 2026),
  hashDupListpack: why('Hash with dup elements', 2083),
  hashDup: (line: number) => why('Duplicate hash fields detected', line),
  quicklist: why('Quicklist integrity check failed.', 2180),
  quicklistListpack: why('Listpack integrity check failed.', 2203),
  quicklistZiplist: why('Ziplist integrity check failed.', 2213),
  zipmap: why('Zipmap integrity check failed.', 2265),
  zipmapDup: (flen: number) => why(`Hash zipmap with dup elements, or big length (${flen})`, 2289),
  listZiplist: why('List ziplist integrity check failed.', 2323),
  intset: why('Intset integrity check failed.', 2348),
  setListpack: why('Set listpack integrity check failed.', 2362),
  zsetZiplist: why('Zset ziplist integrity check failed.', 2384),
  zsetListpack: why('Zset listpack integrity check failed.', 2410),
  hashZiplist: why('Hash ziplist integrity check failed.', 2430),
  hashListpack: why('Hash listpack integrity check failed.', 2456),
  streamNodes: why('Stream listpacks len loading failed.', 2485),
  streamMasterId: why('Stream master ID loading failed: invalid encoding or I/O error.', 2496),
  streamNodeKey: why('Stream node key entry is not the size of a stream ID', 2501),
  streamListpackRead: why('Stream listpacks loading failed.', 2513),
  streamListpack: why('Stream listpack integrity check failed.', 2520),
  streamEmptyListpack: why('Empty listpack inside stream', 2532),
  streamNodeDup: why('Listpack re-added with existing key', 2544),
  streamMeta: why('Stream object metadata loading failed.', 2582),
  streamLength: why('Stream length inconsistent with rax entries', 2588),
  streamGroups: why('Stream cgroup count loading failed.', 2596),
  streamGroupName: why('Error reading the consumer group name from Stream', 2607),
  streamGroupId: why('Stream cgroup ID loading failed.', 2616),
  streamGroupOffset: why('Stream cgroup offset loading failed.', 2627),
  streamGroupDup: (name: string) => why(`Duplicated consumer group name ${name}`, 2638),
  streamPelSize: why('Stream PEL size loading failed.', 2653),
  streamPelId: why('Stream PEL ID loading failed.', 2660),
  streamPelNack: why('Stream PEL NACK loading failed.', 2668),
  streamPelDup: why('Duplicated global PEL entry loading stream consumer group', 2674),
  streamConsumers: why('Stream consumers num loading failed.', 2686),
  streamConsumerName: why('Error reading the consumer name from Stream group.', 2693),
  streamConsumerDup: why('Duplicate stream consumer detected.', 2702),
  streamSeenTime: why('Stream short read reading seen time.', 2709),
  streamActiveTime: why('Stream short read reading active time.', 2717),
  streamConsumerPelSize: why('Stream consumer PEL num loading failed.', 2730),
  streamConsumerPelId: why('Stream short read reading PEL streamID.', 2738),
  streamConsumerPelMissing: why('Consumer entry not found in group global PEL', 2745),
  // (Redis's text has the two spaces)
  streamConsumerPelDup: why('Duplicated consumer PEL entry  loading a stream consumer group', 2756),
  streamPelOrphan: why('Stream CG PEL entry without consumer', 2775),
  modulePreGa: why('Pre-release module format not supported', 2784),
  moduleId: why('Short read module id', 2789),
  module: (name: string) => why(`The RDB file contains module data I can't load: no matching module type '${name}'`, 2803),
  unknownType: (t: number) => why(`Unknown RDB encoding type ${t}`, 2845),
  badWhenOpcode: why('bad when_opcode', 3180),
  functionPreGa: why('Pre-release function format not supported.', 3225),
  crc: why('RDB CRC error', 3341),
  eof: why('Unexpected EOF reading RDB file', 3365),
} as const;

export class RdbError extends Error {
  constructor(
    /** tsdis's own account of what is wrong. */
    message: string,
    readonly offset: number,
    /** Redis's report of the same failure; null where Redis reports nothing (a short read). */
    readonly why: Why | null = null,
    /** The value is an empty collection (Redis's RDB_LOAD_ERR_EMPTY_KEY). */
    readonly empty = false,
  ) {
    super(message);
  }
}

/** The encoding limits loaded values are built for (from the config). */
export interface LoadLimits {
  hashEntries: number;
  hashValue: number;
  setIntsetEntries: number;
  setListpackEntries: number;
  setListpackValue: number;
  zsetEntries: number;
  zsetValue: number;
}

/** Reads the limits from a config's values. */
export function loadLimits(v: Record<string, unknown>): LoadLimits {
  const n = (k: string, d: number) => (v[k] === undefined ? d : Number(v[k]));
  return {
    hashEntries: n('hash-max-listpack-entries', 128),
    hashValue: n('hash-max-listpack-value', 64),
    setIntsetEntries: n('set-max-intset-entries', 512),
    setListpackEntries: n('set-max-listpack-entries', 128),
    setListpackValue: n('set-max-listpack-value', 64),
    zsetEntries: n('zset-max-listpack-entries', 128),
    zsetValue: n('zset-max-listpack-value', 64),
  };
}

/**
 * What one load (a file, a RESTORE) decodes values with: the encoding
 * limits, whether sanitize-dump-payload asks for deep validation (Redis's
 * deep_integrity_validation; tsdis validates in full either way, so this
 * only decides what is counted), and the count of blobs validated deeply
 * (INFO's dump_payload_sanitizations, added by the caller).
 */
export interface ValueCtx {
  readonly limits: LoadLimits;
  /** list-max-listpack-size: whether a loaded list is a listpack or a quicklist. */
  readonly lists: ListLimits;
  readonly deep: boolean;
  sanitizations: number;
}

/** A context for one load or RESTORE. */
export function valueCtx(v: Record<string, unknown>, lists: ListLimits, deep: boolean): ValueCtx {
  return { limits: loadLimits(v), lists, deep, sanitizations: 0 };
}

/**
 * Whether sanitize-dump-payload asks for deep validation in this context:
 * `yes` always, `clients` for clients' RESTOREs but not while loading a file
 * or replaying the AOF (Redis's rdbLoadObject).
 */
export function deepValidation(v: Record<string, unknown>, loading: boolean): boolean {
  const s = v['sanitize-dump-payload'];
  return s === 'yes' || (s === 'clients' && !loading);
}

/** The largest uncompressed size an LZF blob can expand to, per compressed byte (a 3-byte back reference copies 264). */
const LZF_MAX_RATIO = 88;

/** A cursor over RDB bytes with the format's primitives. */
export class RdbReader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  fail(msg: string, at = this.pos, why: Why | null = null): never {
    throw new RdbError(msg, at, why);
  }

  /** The value at `at` is an empty collection. */
  empty(at: number): never {
    throw new RdbError('empty key', at, null, true);
  }

  /** Runs fn; a failure Redis does not report itself (a short read) is reported as `w`, as Redis's stream loader does. */
  as<T>(w: Why, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof RdbError && e.why === null && !e.empty) throw new RdbError(e.message, e.offset, w);
      throw e;
    }
  }

  need(n: number): void {
    if (this.pos + n > this.end) this.fail(`unexpected end of data (needed ${n} more bytes)`);
  }

  byte(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  u32le(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  i64le(): number | bigint {
    this.need(8);
    const v = this.buf.readBigInt64LE(this.pos);
    this.pos += 8;
    return narrowInt64(v);
  }

  double(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /** A length; `encoded` is set when it is a special string encoding instead (then the value is its kind). */
  encoded = false;
  len(): number {
    const b = this.byte();
    const t = b >>> 6;
    this.encoded = false;
    if (t === 0) return b & 0x3f;
    if (t === 1) return ((b & 0x3f) << 8) | this.byte();
    if (t === 3) {
      this.encoded = true;
      return b & 0x3f;
    }
    if (b === 0x80) {
      this.need(4);
      const v = this.buf.readUInt32BE(this.pos);
      this.pos += 4;
      return v;
    }
    if (b === 0x81) {
      this.need(8);
      const v = this.buf.readBigUInt64BE(this.pos);
      this.pos += 8;
      // (Redis takes it, then fails to allocate or runs out of data: nothing reported)
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail('length too large', this.pos - 9);
      return Number(v);
    }
    return this.fail(`unknown length encoding ${b}`, this.pos - 1, WHY.lenEncoding);
  }

  /** A plain length that may need all 64 bits (stream IDs and counters, module ids). */
  len64(): bigint {
    if (this.pos < this.end && this.buf[this.pos] === 0x81) {
      this.pos++;
      this.need(8);
      const v = this.buf.readBigUInt64BE(this.pos);
      this.pos += 8;
      return v;
    }
    return BigInt(this.plainLen());
  }

  /**
   * A plain length. A string-encoding byte (0xc0-0xff) where a length is
   * expected reads as its low 6 bits, as Redis's rdbLoadLen does.
   */
  plainLen(): number {
    return this.len();
  }

  /** A string as raw bytes (decoding int and LZF encodings). */
  strBytes(): Buffer {
    const at = this.pos;
    const n = this.len();
    if (!this.encoded) return this.bytes(n);
    switch (n) {
      case 0:
        return Buffer.from(String(this.bytes(1).readInt8(0)), 'latin1');
      case 1:
        return Buffer.from(String(this.bytes(2).readInt16LE(0)), 'latin1');
      case 2:
        return Buffer.from(String(this.bytes(4).readInt32LE(0)), 'latin1');
      case 3: {
        const clen = this.plainLen();
        const ulen = this.plainLen();
        const c = this.bytes(clen);
        // a size the compressed bytes cannot produce fails without allocating it; a size of 0 is an
        // empty string whatever the bytes (Redis's lzf_decompress then returns 0, the size it asked for)
        const out = ulen === 0 ? Buffer.alloc(0) : ulen > clen * LZF_MAX_RATIO ? null : lzfDecompress(c, ulen);
        if (out === null) this.fail('invalid LZF compressed string', at, WHY.lzf);
        return out;
      }
      default:
        return this.fail(`unknown string encoding ${n}`, at, WHY.strEncoding(n));
    }
  }

  /** A string as latin1 text. */
  str(): string {
    const at = this.pos;
    const n = this.len();
    if (!this.encoded) {
      this.need(n);
      const s = this.buf.latin1Slice(this.pos, this.pos + n);
      this.pos += n;
      return s;
    }
    switch (n) {
      case 0:
        return String(this.bytes(1).readInt8(0));
      case 1:
        return String(this.bytes(2).readInt16LE(0));
      case 2:
        return String(this.bytes(4).readInt32LE(0));
      default:
        this.pos = at;
        return this.strBytes().latin1Slice();
    }
  }

  /** An old-style (RDB_TYPE_ZSET) text double: length byte, 253 nan, 254 inf, 255 -inf. */
  textDouble(): number {
    const n = this.byte();
    if (n === 253) return NaN;
    if (n === 254) return Infinity;
    if (n === 255) return -Infinity;
    const s = this.bytes(n).latin1Slice();
    const x = parseDouble(s);
    // (Redis's sscanf fails the same way, reporting nothing)
    if (x === null) this.fail(`invalid double ${JSON.stringify(s)}`);
    return x;
  }
}

/**
 * A score as Redis reads one from a ziplist or listpack (zzlStrtod): C's
 * strtod on the text up to its first NUL byte (at most 127 bytes): leading
 * white space, then the longest prefix that is a number (decimal, hex,
 * inf, infinity, nan), 0 when there is none.
 */
export function strtodPrefix(s: string): number {
  let t = s.slice(0, 127);
  const nul = t.indexOf('\0');
  if (nul >= 0) t = t.slice(0, nul);
  t = t.replace(/^[ \t\n\v\f\r]+/, '');
  let m = /^([+-]?)(inf(inity)?|nan)/i.exec(t);
  if (m !== null) return m[2]!.toLowerCase() === 'nan' ? NaN : m[1] === '-' ? -Infinity : Infinity;
  m = /^([+-]?)0x([0-9a-f]*)(\.([0-9a-f]*))?(p([+-]?\d+))?/i.exec(t);
  if (m !== null && (m[2]! + (m[4] ?? '')).length > 0) {
    const frac = m[4] ?? '';
    const mant = Number.parseInt(m[2]! + frac || '0', 16);
    const x = mant * 2 ** (Number(m[6] ?? 0) - 4 * frac.length);
    return m[1] === '-' ? -x : x;
  }
  m = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?/i.exec(t);
  return m === null ? 0 : Number(m[0]);
}

/** A double as Redis's loaders read one (strtod forms: inf, -inf, nan included); null when it is none. */
function parseDouble(s: string): number | null {
  const t = s.trim().toLowerCase();
  if (t === 'inf' || t === '+inf' || t === 'infinity' || t === '+infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  if (t === 'nan' || t === '+nan' || t === '-nan') return NaN;
  if (t === '' || !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) return null;
  return Number(t);
}

/* ---------------------------------------------------------------------------
 * Compact encodings (blobs inside strings), validated as Redis's deep
 * sanitizer does. Each returns its entries as latin1 texts (integers in
 * their decimal form) or fails with `w`, the reason of the type being read.
 * ------------------------------------------------------------------------- */

/** The backlen's size for an entry of `l` bytes (listpack.c lpEncodeBacklen). */
function backlenSize(l: number): number {
  return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
}

/**
 * The entries of a listpack blob. Checks what lpValidateIntegrity does in
 * deep mode: the header's byte count and terminator, every entry's encoding
 * and size inside the blob, each entry's back-length, the terminator right
 * after the last entry, and the header's element count (unless 65535;
 * not for a stream node, whose count Redis's stream validation ignores, as
 * the stream never reads it).
 */
export function listpackEntries(b: Buffer, r: RdbReader, at: number, w: Why, checkCount = true): string[] {
  const bad = (d: string, p: number): never => r.fail(`invalid listpack (${d} at byte ${p})`, at, w);
  const size = b.length;
  if (size < 7) bad('too short', 0);
  if (b.readUInt32LE(0) !== size) bad('total bytes differ from the blob size', 0);
  const end = size - 1; // the terminator's index
  if (b[end] !== 0xff) bad('no terminator', end);
  const numele = b.readUInt16LE(4);
  const out: string[] = [];
  let p = 6;
  while (b[p] !== 0xff) {
    const c = b[p]!;
    let hdr: number; // encoding byte(s), then `len` bytes of data
    let len: number;
    if (c < 0x80) {
      hdr = 1;
      len = 0;
    } else if (c < 0xc0) {
      hdr = 1;
      len = c & 0x3f;
    } else if (c < 0xe0) {
      hdr = 1;
      len = 1;
    } else if (c < 0xf0) {
      hdr = 2;
      if (p + 1 > end) bad('entry header past the end', p);
      len = ((c & 0x0f) << 8) | b[p + 1]!;
    } else if (c === 0xf0) {
      hdr = 5;
      if (p + 5 > end) bad('entry header past the end', p);
      len = b.readUInt32LE(p + 1);
    } else if (c >= 0xf1 && c <= 0xf4) {
      hdr = 1;
      len = c === 0xf1 ? 2 : c === 0xf2 ? 3 : c === 0xf3 ? 4 : 8;
    } else return bad(`invalid entry encoding ${c}`, p);
    const entry = hdr + len;
    const bl = backlenSize(entry);
    if (p + entry + bl > end) bad('entry past the end', p);
    // the back-length, read backwards from the entry's last byte
    let q = p + entry + bl - 1;
    let back = 0;
    for (let shift = 0; ; shift += 7) {
      if (shift > 28) bad('invalid back-length', p);
      back += (b[q]! & 127) * 2 ** shift;
      if ((b[q]! & 128) === 0) break;
      q--;
    }
    if (back !== entry) bad('back-length differs from the entry size', p);
    let v: string;
    if (c < 0x80) v = String(c);
    else if (c < 0xc0 || (c >= 0xe0 && c <= 0xf0)) v = b.latin1Slice(p + hdr, p + entry);
    else if (c < 0xe0) {
      const u = ((c & 0x1f) << 8) | b[p + 1]!;
      v = String(u >= 4096 ? u - 8192 : u);
    } else if (c === 0xf1) v = String(b.readInt16LE(p + 1));
    else if (c === 0xf2) v = String(b.readIntLE(p + 1, 3));
    else if (c === 0xf3) v = String(b.readInt32LE(p + 1));
    else v = String(b.readBigInt64LE(p + 1));
    out.push(v);
    p += entry + bl;
  }
  if (p !== end) bad('terminator before the end', p);
  if (checkCount && numele !== 0xffff && numele !== out.length) bad(`header counts ${numele} entries, there are ${out.length}`, 4);
  return out;
}

/**
 * The entries of a ziplist blob (RDB versions before 10). Checks what
 * ziplistValidateIntegrity does (deep, as Redis always validates ziplists,
 * which it converts): header bytes, tail offset and terminator; every entry's
 * prevlen and encoding inside the blob; the prevlen chain; the tail offset
 * pointing at the last entry; the header's count (unless 65535).
 */
export function ziplistEntries(b: Buffer, r: RdbReader, at: number, w: Why): string[] {
  const bad = (d: string, p: number): never => r.fail(`invalid ziplist (${d} at byte ${p})`, at, w);
  const size = b.length;
  if (size < 11) bad('too short', 0);
  if (b.readUInt32LE(0) !== size) bad('total bytes differ from the blob size', 0);
  const last = size - 1; // the terminator's index
  if (b[last] !== 0xff) bad('no terminator', last);
  const tail = b.readUInt32LE(4);
  if (tail > last) bad('tail offset past the end', 4);
  const count = b.readUInt16LE(8);
  const out: string[] = [];
  let p = 10;
  let prevSize = 0;
  let prevStart = -1;
  while (b[p] !== 0xff) {
    const pl = b[p]! < 254 ? 1 : 5;
    if (p + pl > last) bad('entry header past the end', p);
    let enc = b[p + pl]!;
    if (enc < 0xc0) enc &= 0xc0; // string encodings keep their two top bits (0x81-0xbf read as 0x80)
    let ls: number; // length bytes
    let len: number; // data bytes
    const h = p + pl;
    if (enc === 0x00) {
      ls = 1;
      len = b[h]! & 0x3f;
    } else if (enc === 0x40) {
      ls = 2;
      if (h + 1 > last) bad('entry header past the end', p);
      len = ((b[h]! & 0x3f) << 8) | b[h + 1]!;
    } else if (enc === 0x80) {
      ls = 5;
      if (h + 4 > last) bad('entry header past the end', p);
      len = b.readUInt32BE(h + 1);
    } else {
      ls = 1;
      if (enc === 0xc0) len = 2;
      else if (enc === 0xd0) len = 4;
      else if (enc === 0xe0) len = 8;
      else if (enc === 0xf0) len = 3;
      else if (enc === 0xfe) len = 1;
      else if (enc >= 0xf1 && enc <= 0xfd) len = 0;
      else return bad(`invalid entry encoding ${enc}`, p);
    }
    const prevLen = pl === 1 ? b[p]! : b.readUInt32LE(p + 1);
    const head = pl + ls;
    if (p + head + len > last) bad('entry past the end', p);
    if (p - prevLen < 10) bad('prevlen before the first entry', p);
    if (prevLen !== prevSize) bad('prevlen differs from the previous entry size', p);
    const d = p + head;
    let v: string;
    if (enc < 0xc0) v = b.latin1Slice(d, d + len);
    else if (enc === 0xc0) v = String(b.readInt16LE(d));
    else if (enc === 0xd0) v = String(b.readInt32LE(d));
    else if (enc === 0xe0) v = String(b.readBigInt64LE(d));
    else if (enc === 0xf0) v = String(b.readIntLE(d, 3));
    else if (enc === 0xfe) v = String(b.readInt8(d));
    else v = String((enc & 0x0f) - 1);
    out.push(v);
    prevSize = head + len;
    prevStart = p;
    p += head + len;
  }
  if (p !== last) bad('terminator before the end', p);
  if (prevStart >= 0 && prevStart !== tail) bad('tail offset is not the last entry', 4);
  if (count !== 0xffff && count !== out.length) bad(`header counts ${count} entries, there are ${out.length}`, 8);
  return out;
}

/**
 * The members of an intset blob, checked as intsetValidateIntegrity does in
 * deep mode: a known width, the size matching the count, not empty, members
 * strictly ascending (so no duplicates).
 */
export function intsetMembers(b: Buffer, r: RdbReader, at: number): string[] {
  const bad = (d: string): never => r.fail(`invalid intset (${d})`, at, WHY.intset);
  if (b.length < 8) bad('too short');
  const width = b.readUInt32LE(0);
  const n = b.readUInt32LE(4);
  if (width !== 2 && width !== 4 && width !== 8) bad(`unknown width ${width}`);
  if (8 + width * n !== b.length) bad('size differs from the count');
  if (n === 0) bad('empty');
  const out: string[] = new Array(n);
  let prev: bigint | number = 0;
  for (let i = 0, p = 8; i < n; i++, p += width) {
    const x: bigint | number = width === 2 ? b.readInt16LE(p) : width === 4 ? b.readInt32LE(p) : b.readBigInt64LE(p);
    if (i > 0 && x <= prev) bad('members not in ascending order');
    prev = x;
    out[i] = String(x);
  }
  return out;
}

/**
 * The pairs of a zipmap blob (RDB versions before 4), checked as
 * zipmapValidateIntegrity does in deep mode (lengths inside the blob, not
 * empty, the count byte unless 254), then for duplicate fields (Redis's
 * conversion to a listpack).
 */
export function zipmapEntries(b: Buffer, r: RdbReader, at: number): string[] {
  const bad = (d: string): never => r.fail(`invalid zipmap (${d})`, at, WHY.zipmap);
  const size = b.length;
  if (size < 2) bad('too short');
  const last = size - 1;
  if (b[last] !== 0xff) bad('no terminator');
  const out: string[] = [];
  let p = 1;
  // a length: one byte under 254, else 4 more (little endian)
  const lenAt = (): number => {
    const s = b[p]! < 254 ? 1 : 5;
    if (p + s > last) bad('length past the end');
    const l = s === 1 ? b[p]! : b.readUInt32LE(p + 1);
    p += s;
    return l;
  };
  while (b[p] !== 0xff) {
    const kl = lenAt();
    const k = b.latin1Slice(p, Math.min(p + kl, last));
    p += kl;
    if (p > last) bad('field past the end');
    const vl = lenAt();
    const free = b[p++]!;
    const v = b.latin1Slice(p, Math.min(p + vl, last));
    p += vl + free;
    if (p > last) bad('value past the end');
    out.push(k, v);
  }
  if (out.length === 0) bad('empty');
  if (b[0] !== 254 && b[0] !== out.length / 2) bad(`count byte says ${b[0]} pairs, there are ${out.length / 2}`);
  const seen = new Set<string>();
  for (let i = 0; i < out.length; i += 2) {
    if (seen.has(out[i]!)) r.fail('duplicate hash field', at, WHY.zipmapDup(out[i]!.length));
    seen.add(out[i]!);
  }
  return out;
}

/* ---------------------------------------------------------------------------
 * Building values
 * ------------------------------------------------------------------------- */

/**
 * The rdb.c line Redis 7.2.4 names for a duplicate field at pair `dup` of an
 * RDB_TYPE_HASH: it depends on the encoding the hash had reached (listpack:
 * "Hash with dup elements"; converted to a hashtable: "Duplicate hash fields
 * detected" at the conversion, 2101, or after it, 2151).
 */
function hashDupWhy(pairs: string[], dup: number, lim: LoadLimits): Why {
  let ht = pairs.length / 2 > lim.hashEntries;
  for (let k = 0; k <= dup; k++) {
    if (ht) return WHY.hashDup(2151);
    const f = pairs[2 * k]!;
    const v = pairs[2 * k + 1]!;
    if (k === dup) return f.length > lim.hashValue || v.length > lim.hashValue ? WHY.hashDup(2101) : WHY.hashDupListpack;
    if (f.length > lim.hashValue || v.length > lim.hashValue) ht = true;
  }
  return WHY.hashDupListpack;
}

/** A hash from its fields and values (pairs); a duplicate field fails with `dupWhy(index of the pair)`. */
function buildHash(pairs: string[], lim: LoadLimits, r: RdbReader, at: number, dupWhy: (k: number) => Why): HashValue {
  const h = new HashValue();
  let small = pairs.length / 2 <= lim.hashEntries;
  if (small) for (const s of pairs) if (s.length > lim.hashValue) small = false;
  const seen = new Set<string>();
  for (let i = 0; i < pairs.length; i += 2) {
    if (seen.has(pairs[i]!)) r.fail('duplicate hash field', at, dupWhy(i / 2));
    seen.add(pairs[i]!);
  }
  h.load(pairs, small);
  return h;
}

/** Redis's EB_EXPIRE_TIME_MAX: a field expire time beyond it is corrupt. */
const EB_EXPIRE_TIME_MAX = 2 ** 48 - 1;

/**
 * A hash with field TTLs (the types of Redis 7.4: HASH_LISTPACK_EX,
 * HASH_METADATA and their 7.4 release candidate forms) from its fields,
 * values and expire times (0: none), in file order. Small ones become a
 * listpackex, each field put where Redis's listpackExAddNew puts it (so
 * fields with a TTL come first by time); larger ones, or ones with a long
 * field or value, a hashtable. `ordered`: the file claims listpackex order
 * (HASH_LISTPACK_EX), which is checked, as Redis's sanitizer does.
 */
function buildHashEx(flat: string[], ttls: number[], lim: LoadLimits, r: RdbReader, at: number, ordered: boolean): HashValue {
  const n = ttls.length;
  if (n === 0) r.empty(at);
  const w = ordered ? WHY.hashListpack : WHY.hashDup(2151);
  const seen = new Set<string>();
  let small = n <= lim.hashEntries;
  let prev = -1;
  for (let k = 0; k < n; k++) {
    const f = flat[2 * k]!;
    if (seen.has(f)) r.fail('duplicate hash field', at, w);
    seen.add(f);
    if (f.length > lim.hashValue || flat[2 * k + 1]!.length > lim.hashValue) small = false;
    const t = ttls[k]!;
    if (!Number.isInteger(t) || t < 0 || t > EB_EXPIRE_TIME_MAX) r.fail(`invalid hash field expire time ${t}`, at, w);
    if (ordered && t !== 0 && (prev === 0 || t < prev)) r.fail('hash listpackex fields not ordered by expire time', at, w);
    prev = t;
  }
  const h = new HashValue();
  const ex = h.enableTtls();
  if (ordered) {
    // the listpack as it is (Redis keeps the loaded listpackex unchanged)
    h.load(flat, true);
    ex.lpt = ttls;
  } else {
    if (!small) h.toHashtable(); // (inserting into a large listpackex would be quadratic)
    for (let k = 0; k < n; k++) {
      const f = flat[2 * k]!;
      h.set(f, flat[2 * k + 1]!, Infinity);
      if (ttls[k] !== 0) h.setExpire(f, ttls[k]!);
    }
  }
  if (!small) h.toHashtable();
  return h;
}

/**
 * The rdb.c line Redis 7.2.4 names for a duplicate at index `dup` of an
 * RDB_TYPE_SET: the encoding the set had reached then (intset 1912, listpack
 * 1942, hashtable 1961), replaying its loader's conversions.
 */
function setDupLine(members: string[], dup: number, lim: LoadLimits): number {
  let enc = members.length > Math.min(lim.setIntsetEntries, 2 ** 30) ? HASHTABLE : INTSET;
  let maxLen = 0;
  for (let i = 0; i <= dup; i++) {
    const m = members[i]!;
    if (m.length > maxLen) maxLen = m.length;
    if (enc === INTSET) {
      if (isInt64Text(m)) {
        if (i === dup) return 1912;
        continue;
      }
      enc = i < lim.setListpackEntries && maxLen <= lim.setListpackValue ? LISTPACK : HASHTABLE;
    }
    if (enc === LISTPACK) {
      if (i < lim.setListpackEntries && m.length <= lim.setListpackValue) {
        if (i === dup) return 1942;
        continue;
      }
      enc = HASHTABLE;
    }
    if (i === dup) return 1961;
  }
  return 1961;
}

/** A set from its members; a duplicate fails with `dupWhy(index)`. */
function buildSet(members: string[], lim: LoadLimits, r: RdbReader, at: number, dupWhy: (i: number) => Why): SetValue {
  const seen = new Set<string>();
  for (let i = 0; i < members.length; i++) {
    if (seen.has(members[i]!)) r.fail('duplicate set member', at, dupWhy(i));
    seen.add(members[i]!);
  }
  const allInts = members.every(isInt64Text);
  if (allInts && members.length <= lim.setIntsetEntries) {
    const s = new SetValue(INTSET);
    s.m = members.slice().sort(cmpInt);
    s.recount();
    return s;
  }
  const s = new SetValue(LISTPACK);
  s.m = members;
  s.recount();
  if (members.length > lim.setListpackEntries || members.some((m) => m.length > lim.setListpackValue)) s.toHashtable();
  return s;
}

/** A sorted set from (member, score) pairs; NaN scores and duplicates fail with `nanWhy` / `dupWhy`. */
function buildZset(pairs: [string, number][], lim: LoadLimits, r: RdbReader, at: number, nanWhy: Why, dupWhy: Why): ZSet {
  let small = pairs.length <= lim.zsetEntries;
  if (small) for (const [m] of pairs) if (m.length > lim.zsetValue) small = false;
  const z = new ZSet(small);
  for (const [m, s] of pairs) {
    if (Number.isNaN(s)) r.fail('sorted set score is NaN', at, nanWhy);
    if (z.score(m) !== undefined) r.fail('duplicate sorted set member', at, dupWhy);
    z.insert(s, m);
  }
  return z;
}

/**
 * A sorted set from a ziplist's or listpack's flat member, score entries.
 * Everything wrong fails with the blob's reason `w` (Redis checks the pairs
 * and the members for duplicates). A score reads as Redis reads it
 * (strtodPrefix: text that is no number is 0); a NaN score, which Redis
 * would keep and then misorder, is refused.
 */
function pairsToZset(flat: string[], lim: LoadLimits, r: RdbReader, at: number, w: Why): ZSet {
  if (flat.length % 2 !== 0) r.fail('odd number of sorted set entries', at, w);
  if (flat.length === 0) r.empty(at);
  const pairs: [string, number][] = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i]!, strtodPrefix(flat[i + 1]!)]);
  return buildZset(pairs, lim, r, at, w, w);
}

/** Counts one blob validated deeply (Redis's stat_dump_payload_sanitizations). */
function sanitized(ctx: ValueCtx): void {
  if (ctx.deep) ctx.sanitizations++;
}

/**
 * Reads a value of the given type at the reader's position (after its type
 * byte). Fails with an RdbError: corrupt data, or `empty` for an empty
 * collection.
 */
export function readValue(r: RdbReader, type: number, ctx: ValueCtx): Value {
  const at = r.pos;
  const lim = ctx.limits;
  switch (type) {
    case R.T_STRING:
      return storedStr(r.str());
    case R.T_LIST: {
      const n = r.plainLen();
      if (n === 0) r.empty(at);
      const vals = [];
      for (let i = 0; i < n; i++) vals.push(elem(r.str()));
      return List.builtAsQuicklist(vals, ctx.lists);
    }
    case R.T_SET: {
      const n = r.plainLen();
      if (n === 0) r.empty(at);
      const m: string[] = [];
      for (let i = 0; i < n; i++) m.push(r.str());
      return buildSet(m, lim, r, at, (i) => WHY.setDup(setDupLine(m, i, lim)));
    }
    case R.T_ZSET:
    case R.T_ZSET_2: {
      const n = r.plainLen();
      if (n === 0) r.empty(at);
      const pairs: [string, number][] = [];
      for (let i = 0; i < n; i++) {
        const m = r.str();
        pairs.push([m, type === R.T_ZSET_2 ? r.double() : r.textDouble()]);
      }
      return buildZset(pairs, lim, r, at, WHY.zsetNan, WHY.zsetDup);
    }
    case R.T_HASH: {
      const n = r.plainLen();
      if (n === 0) r.empty(at);
      const pairs: string[] = [];
      for (let i = 0; i < n; i++) pairs.push(r.str(), r.str());
      return buildHash(pairs, lim, r, at, (k) => hashDupWhy(pairs, k, lim));
    }
    case R.T_HASH_ZIPMAP:
      return buildHash(zipmapEntries(r.strBytes(), r, at), lim, r, at, () => WHY.zipmap);
    case R.T_LIST_ZIPLIST: {
      const es = ziplistEntries(r.strBytes(), r, at, WHY.listZiplist);
      if (es.length === 0) r.empty(at);
      return List.builtAsQuicklist(es.map(elem), ctx.lists);
    }
    case R.T_SET_INTSET:
      sanitized(ctx);
      return buildSet(intsetMembers(r.strBytes(), r, at), lim, r, at, () => WHY.intset);
    case R.T_SET_LISTPACK: {
      sanitized(ctx);
      const es = listpackEntries(r.strBytes(), r, at, WHY.setListpack);
      if (es.length === 0) r.empty(at);
      return buildSet(es, lim, r, at, () => WHY.setListpack);
    }
    case R.T_ZSET_ZIPLIST:
      return pairsToZset(ziplistEntries(r.strBytes(), r, at, WHY.zsetZiplist), lim, r, at, WHY.zsetZiplist);
    case R.T_ZSET_LISTPACK:
      sanitized(ctx);
      return pairsToZset(listpackEntries(r.strBytes(), r, at, WHY.zsetListpack), lim, r, at, WHY.zsetListpack);
    case R.T_HASH_METADATA:
    case R.T_HASH_METADATA_PRE_GA: {
      // [earliest time] count, then per field: ttl (relative to it + 1, 0 none; absolute in the RC form), field, value
      const min = type === R.T_HASH_METADATA ? Number(r.i64le()) : 0;
      const n = r.plainLen();
      const flat: string[] = [];
      const ttls: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = r.plainLen();
        ttls.push(t === 0 ? 0 : type === R.T_HASH_METADATA ? t + min - 1 : t);
        flat.push(r.str(), r.str());
      }
      return buildHashEx(flat, ttls, lim, r, at, false);
    }
    case R.T_HASH_LISTPACK_EX:
    case R.T_HASH_LISTPACK_EX_PRE_GA: {
      // [earliest time (unused)] a listpack of field, value, expire time triplets
      if (type === R.T_HASH_LISTPACK_EX) r.i64le();
      sanitized(ctx);
      const es = listpackEntries(r.strBytes(), r, at, WHY.hashListpack);
      if (es.length % 3 !== 0) r.fail('hash listpackex entries are not triplets', at, WHY.hashListpack);
      const flat: string[] = [];
      const ttls: number[] = [];
      for (let i = 0; i < es.length; i += 3) {
        flat.push(es[i]!, es[i + 1]!);
        const t = es[i + 2]!;
        ttls.push(/^(0|[1-9][0-9]*)$/.test(t) ? Number(t) : NaN);
      }
      return buildHashEx(flat, ttls, lim, r, at, true);
    }
    case R.T_HASH_ZIPLIST:
    case R.T_HASH_LISTPACK: {
      const w = type === R.T_HASH_ZIPLIST ? WHY.hashZiplist : WHY.hashListpack;
      if (type === R.T_HASH_LISTPACK) sanitized(ctx);
      const flat = type === R.T_HASH_ZIPLIST ? ziplistEntries(r.strBytes(), r, at, w) : listpackEntries(r.strBytes(), r, at, w);
      if (flat.length % 2 !== 0) r.fail('odd number of hash entries', at, w);
      if (flat.length === 0) r.empty(at);
      return buildHash(flat, lim, r, at, () => w);
    }
    case R.T_LIST_QUICKLIST:
    case R.T_LIST_QUICKLIST_2: {
      const nodes = r.plainLen();
      if (nodes === 0) r.empty(at);
      const vals: (string | number)[] = [];
      for (let i = 0; i < nodes; i++) {
        let container = R.QL_PACKED;
        if (type === R.T_LIST_QUICKLIST_2) {
          const cat = r.pos;
          container = r.plainLen();
          if (container !== R.QL_PLAIN && container !== R.QL_PACKED) r.fail(`unknown quicklist container ${container}`, cat, WHY.quicklist);
        }
        const nat = r.pos;
        const blob = r.strBytes();
        // (an empty node's string: Redis fails there, reporting nothing)
        if (blob.length === 0) r.fail('empty quicklist node', nat);
        if (container === R.QL_PLAIN) vals.push(elem(blob.latin1Slice()));
        else if (type === R.T_LIST_QUICKLIST) {
          for (const e of ziplistEntries(blob, r, nat, WHY.quicklistZiplist)) vals.push(elem(e));
        } else {
          sanitized(ctx);
          for (const e of listpackEntries(blob, r, nat, WHY.quicklistListpack)) vals.push(elem(e));
        }
      }
      // (nodes whose listpack is empty are skipped; a list of only those is an empty key)
      if (vals.length === 0) r.empty(at);
      return List.builtAsQuicklist(vals, ctx.lists);
    }
    case R.T_STREAM_LISTPACKS:
    case R.T_STREAM_LISTPACKS_2:
    case R.T_STREAM_LISTPACKS_3:
      return readStream(r, type, ctx);
    case R.T_MODULE_PRE_GA:
      return r.fail('module values are not supported by tsdis', at - 1, WHY.modulePreGa);
    case R.T_MODULE_2: {
      const id = r.as(WHY.moduleId, () => r.len64());
      return r.fail('module values are not supported by tsdis', at - 1, WHY.module(moduleTypeName(id)));
    }
    default:
      return r.fail(`unknown value type ${type}`, at - 1, WHY.unknownType(type));
  }
}

const MODULE_NAME_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A module type's 9-character name from its 64-bit id (54 bits of name, 6 per character, then a 10-bit version). */
function moduleTypeName(id: bigint): string {
  let v = id >> 10n;
  let name = '';
  for (let i = 0; i < 9; i++) {
    name = MODULE_NAME_CHARS[Number(v & 63n)]! + name;
    v >>= 6n;
  }
  return name;
}

/** Whether a byte is a value type tsdis can read (as opposed to an opcode or garbage). */
export function isValueType(t: number): boolean {
  return (t >= 0 && t <= 7) || (t >= 9 && t <= 25);
}

// re-exported for callers that only import the loader
export { HASHTABLE };
