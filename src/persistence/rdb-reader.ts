/**
 * Reading RDB bytes: the reader's primitives (lengths, the string
 * encodings: int, LZF), its errors in Redis 7.2.4's words (RdbError, WHY),
 * and what a load decodes values with (ValueCtx: the config's encoding
 * limits, deep validation, the sanitization count). Values themselves are
 * rdb-load.ts; the compact encodings inside strings, rdb-compact.ts.
 * Callers: rdb-load.ts, rdb-compact.ts, rdb-stream.ts, snapshot-load.ts,
 * commands/persistence.ts (RESTORE), scripting (FUNCTION RESTORE).
 */
import { Buffer } from 'node:buffer';
import type { ListLimits } from '../types/list.js';
import { lzfDecompress } from './lzf.js';
import { narrowInt64 } from '../util/numbers.js';
import type { ConfigValues } from '../config/params.js';

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
  module: (name: string) =>
    why(`The RDB file contains module data I can't load: no matching module type '${name}'`, 2803),
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
export function loadLimits(v: Readonly<ConfigValues>): LoadLimits {
  return {
    hashEntries: v['hash-max-listpack-entries'],
    hashValue: v['hash-max-listpack-value'],
    setIntsetEntries: v['set-max-intset-entries'],
    setListpackEntries: v['set-max-listpack-entries'],
    setListpackValue: v['set-max-listpack-value'],
    zsetEntries: v['zset-max-listpack-entries'],
    zsetValue: v['zset-max-listpack-value'],
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
export function valueCtx(v: Readonly<ConfigValues>, lists: ListLimits, deep: boolean): ValueCtx {
  return { limits: loadLimits(v), lists, deep, sanitizations: 0 };
}

/**
 * Whether sanitize-dump-payload asks for deep validation in this context:
 * `yes` always; `clients` for clients' RESTOREs, but not while loading a
 * file or replaying the AOF, nor for a `trusted` caller: one the server must
 * obey (a primary's link) or whose ACL user has skip-sanitize-payload
 * (Redis's rdbLoadObject). tsdis validates in full either way: this decides
 * only what INFO's dump_payload_sanitizations counts.
 */
export function deepValidation(v: Readonly<ConfigValues>, loading: boolean, trusted = false): boolean {
  const s = v['sanitize-dump-payload'];
  return s === 'yes' || (s === 'clients' && !loading && !trusted);
}

/** The largest uncompressed size an LZF blob can expand to, per compressed byte (a 3-byte back reference copies 264). */
const LZF_MAX_RATIO = 88;

/** A cursor over RDB bytes with the format's primitives. */
export class RdbReader {
  pos: number = 0;

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

/** A double as Redis's loaders read one (strtod forms: inf, -inf, nan included); null when it is none. */
function parseDouble(s: string): number | null {
  const t = s.trim().toLowerCase();
  if (t === 'inf' || t === '+inf' || t === 'infinity' || t === '+infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  if (t === 'nan' || t === '+nan' || t === '-nan') return NaN;
  if (t === '' || !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) return null;
  return Number(t);
}
