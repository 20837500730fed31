/**
 * RDB decoding: every type and encoding Redis 2.x to 7.2 writes (RDB
 * versions 1-11): strings (raw, int, LZF), lists (linked, ziplist,
 * quicklist of ziplists, quicklist of listpacks), sets (members, intset,
 * listpack), sorted sets (text and binary doubles, ziplist, listpack),
 * hashes (pairs, zipmap, ziplist, listpack). Streams and modules are
 * refused with a clear error (tsdis has neither yet).
 *
 * Function libraries (FUNCTION2 records) are not values: snapshot.ts's
 * RdbLoader reads them and loads them through scripting/functions.ts.
 *
 * Errors are RdbError with the byte offset where decoding failed. Values are
 * built with the encodings the config asks for (as Redis converts on load).
 * Callers: snapshot.ts (loading files), commands/persistence.ts (RESTORE).
 */
import type { Value } from '../keyspace/value.js';
import { readStream } from './rdb-stream.js';
import { strValue } from '../keyspace/value.js';
import { List, elem } from '../types/list.js';
import { HashValue } from '../types/hash.js';
import { SetValue, INTSET, LISTPACK, HASHTABLE, isInt64Text, cmpInt } from '../types/set.js';
import { ZSet } from '../types/zset.js';
import { lzfDecompress } from './lzf.js';
import * as R from './rdb.js';

export class RdbError extends Error {
  constructor(
    message: string,
    readonly offset: number,
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

  fail(msg: string, at = this.pos): never {
    throw new RdbError(msg, at);
  }

  need(n: number): void {
    if (this.pos + n > this.end) this.fail(`unexpected end of file (needed ${n} more bytes)`);
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
    return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
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
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail('length too large', this.pos - 9);
      return Number(v);
    }
    return this.fail(`unknown length encoding ${b}`, this.pos - 1);
  }

  /** A plain length (no string encodings allowed). */
  plainLen(): number {
    const at = this.pos;
    const n = this.len();
    if (this.encoded) this.fail('unexpected encoded length', at);
    return n;
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
        const out = lzfDecompress(this.bytes(clen), ulen);
        if (out === null) this.fail('invalid LZF compressed string', at);
        return out;
      }
      default:
        return this.fail(`unknown string encoding ${n}`, at);
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
    const x = Number(s);
    if (Number.isNaN(x)) this.fail(`invalid double ${JSON.stringify(s)}`);
    return x;
  }
}

/* ---------------------------------------------------------------------------
 * Compact encodings (blobs inside strings)
 * ------------------------------------------------------------------------- */

/** The entries of a listpack blob, as latin1 texts. */
export function listpackEntries(b: Buffer, r: RdbReader, at: number): string[] {
  const bad = (why: string): never => r.fail(`invalid listpack (${why})`, at);
  if (b.length < 7) bad('too short');
  const total = b.readUInt32LE(0);
  if (total !== b.length) bad('size mismatch');
  const out: string[] = [];
  let p = 6;
  for (;;) {
    if (p >= b.length) bad('no end marker');
    const c = b[p]!;
    if (c === 0xff) break;
    const start = p;
    let v: string;
    if (c < 0x80) {
      v = String(c);
      p += 1;
    } else if (c < 0xc0) {
      const n = c & 0x3f;
      v = b.latin1Slice(p + 1, p + 1 + n);
      p += 1 + n;
    } else if (c < 0xe0) {
      let u = ((c & 0x1f) << 8) | b[p + 1]!;
      if (u >= 4096) u -= 8192;
      v = String(u);
      p += 2;
    } else if (c < 0xf0) {
      const n = ((c & 0x0f) << 8) | b[p + 1]!;
      v = b.latin1Slice(p + 2, p + 2 + n);
      p += 2 + n;
    } else if (c === 0xf0) {
      const n = b.readUInt32LE(p + 1);
      v = b.latin1Slice(p + 5, p + 5 + n);
      p += 5 + n;
    } else if (c === 0xf1) {
      v = String(b.readInt16LE(p + 1));
      p += 3;
    } else if (c === 0xf2) {
      v = String(b.readIntLE(p + 1, 3));
      p += 4;
    } else if (c === 0xf3) {
      v = String(b.readInt32LE(p + 1));
      p += 5;
    } else if (c === 0xf4) {
      v = String(b.readBigInt64LE(p + 1));
      p += 9;
    } else return bad(`unknown entry encoding ${c}`);
    if (p > b.length - 1) bad('entry past the end');
    // skip the back-length (1-5 bytes, the last one without the high bit... read forward: its size follows from the entry length)
    const l = p - start;
    p += l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
    out.push(v);
  }
  return out;
}

/** The entries of a ziplist blob (RDB versions before 10), as latin1 texts. */
export function ziplistEntries(b: Buffer, r: RdbReader, at: number): string[] {
  const bad = (why: string): never => r.fail(`invalid ziplist (${why})`, at);
  if (b.length < 11) bad('too short');
  if (b.readUInt32LE(0) !== b.length) bad('size mismatch');
  const out: string[] = [];
  let p = 10;
  for (;;) {
    if (p >= b.length) bad('no end marker');
    if (b[p] === 0xff) break;
    p += b[p]! < 254 ? 1 : 5; // prevlen
    if (p >= b.length) bad('entry past the end');
    const c = b[p]!;
    let v: string;
    const t = c >>> 6;
    if (t === 0) {
      const n = c & 0x3f;
      v = b.latin1Slice(p + 1, p + 1 + n);
      p += 1 + n;
    } else if (t === 1) {
      const n = ((c & 0x3f) << 8) | b[p + 1]!;
      v = b.latin1Slice(p + 2, p + 2 + n);
      p += 2 + n;
    } else if (c === 0x80) {
      const n = b.readUInt32BE(p + 1);
      v = b.latin1Slice(p + 5, p + 5 + n);
      p += 5 + n;
    } else if (c === 0xc0) {
      v = String(b.readInt16LE(p + 1));
      p += 3;
    } else if (c === 0xd0) {
      v = String(b.readInt32LE(p + 1));
      p += 5;
    } else if (c === 0xe0) {
      v = String(b.readBigInt64LE(p + 1));
      p += 9;
    } else if (c === 0xf0) {
      v = String(b.readIntLE(p + 1, 3));
      p += 4;
    } else if (c === 0xfe) {
      v = String(b.readInt8(p + 1));
      p += 2;
    } else if (c >= 0xf1 && c <= 0xfd) {
      v = String((c & 0x0f) - 1);
      p += 1;
    } else return bad(`unknown entry encoding ${c}`);
    if (p > b.length - 1) bad('entry past the end');
    out.push(v);
  }
  return out;
}

/** The members of an intset blob. */
export function intsetMembers(b: Buffer, r: RdbReader, at: number): string[] {
  if (b.length < 8) r.fail('invalid intset (too short)', at);
  const width = b.readUInt32LE(0);
  const n = b.readUInt32LE(4);
  if ((width !== 2 && width !== 4 && width !== 8) || 8 + width * n !== b.length) r.fail('invalid intset (size mismatch)', at);
  const out: string[] = new Array(n);
  for (let i = 0, p = 8; i < n; i++, p += width) {
    out[i] = width === 2 ? String(b.readInt16LE(p)) : width === 4 ? String(b.readInt32LE(p)) : String(b.readBigInt64LE(p));
  }
  return out;
}

/** The pairs of a zipmap blob (RDB versions before 4). */
export function zipmapEntries(b: Buffer, r: RdbReader, at: number): string[] {
  const bad = (): never => r.fail('invalid zipmap', at);
  const out: string[] = [];
  let p = 1;
  const lenAt = (): number => {
    if (p >= b.length) bad();
    const c = b[p]!;
    if (c < 254) {
      p += 1;
      return c;
    }
    if (c === 254) {
      const n = b.readUInt32LE(p + 1);
      p += 5;
      return n;
    }
    return bad();
  };
  for (;;) {
    if (p >= b.length) bad();
    if (b[p] === 0xff) break;
    const kl = lenAt();
    const k = b.latin1Slice(p, p + kl);
    p += kl;
    const vl = lenAt();
    const free = b[p++]!;
    const v = b.latin1Slice(p, p + vl);
    p += vl + free;
    if (p > b.length) bad();
    out.push(k, v);
  }
  return out;
}

/* ---------------------------------------------------------------------------
 * Building values
 * ------------------------------------------------------------------------- */

function buildHash(pairs: string[], lim: LoadLimits, r: RdbReader, at: number): HashValue {
  const h = new HashValue();
  let small = pairs.length / 2 <= lim.hashEntries;
  if (small) for (const s of pairs) if (s.length > lim.hashValue) small = false;
  const seen = new Set<string>();
  for (let i = 0; i < pairs.length; i += 2) {
    if (seen.has(pairs[i]!)) r.fail('duplicate hash field', at);
    seen.add(pairs[i]!);
  }
  h.lp = pairs;
  if (!small) h.toHashtable();
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
  if (n === 0) r.fail('empty hash', at);
  const seen = new Set<string>();
  let small = n <= lim.hashEntries;
  let prev = -1;
  for (let k = 0; k < n; k++) {
    const f = flat[2 * k]!;
    if (seen.has(f)) r.fail('duplicate hash field', at);
    seen.add(f);
    if (f.length > lim.hashValue || flat[2 * k + 1]!.length > lim.hashValue) small = false;
    const t = ttls[k]!;
    if (!Number.isInteger(t) || t < 0 || t > EB_EXPIRE_TIME_MAX) r.fail(`invalid hash field expire time ${t}`, at);
    if (ordered && t !== 0 && (prev === 0 || t < prev)) r.fail('hash listpackex fields not ordered by expire time', at);
    prev = t;
  }
  const h = new HashValue();
  const ex = h.enableTtls();
  if (ordered) {
    // the listpack as it is (Redis keeps the loaded listpackex unchanged)
    h.lp = flat;
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

function buildSet(members: string[], lim: LoadLimits, r: RdbReader, at: number): SetValue {
  if (new Set(members).size !== members.length) r.fail('duplicate set member', at);
  const allInts = members.every(isInt64Text);
  if (allInts && members.length <= lim.setIntsetEntries) {
    const s = new SetValue(INTSET);
    s.m = members.slice().sort(cmpInt);
    return s;
  }
  const s = new SetValue(LISTPACK);
  s.m = members;
  if (members.length > lim.setListpackEntries || members.some((m) => m.length > lim.setListpackValue)) s.toHashtable();
  return s;
}

function buildZset(pairs: [string, number][], lim: LoadLimits, r: RdbReader, at: number): ZSet {
  let small = pairs.length <= lim.zsetEntries;
  if (small) for (const [m] of pairs) if (m.length > lim.zsetValue) small = false;
  const z = new ZSet(small);
  for (const [m, s] of pairs) {
    if (Number.isNaN(s)) r.fail('sorted set score is NaN', at);
    if (z.score(m) !== undefined) r.fail('duplicate sorted set member', at);
    z.insert(s, m);
  }
  return z;
}

function parseScore(s: string, r: RdbReader, at: number): number {
  const x = s === 'inf' || s === '+inf' ? Infinity : s === '-inf' ? -Infinity : Number(s);
  if (Number.isNaN(x) || s.trim() === '') r.fail(`invalid score ${JSON.stringify(s)}`, at);
  return x;
}

function pairsToZset(flat: string[], lim: LoadLimits, r: RdbReader, at: number): ZSet {
  if (flat.length % 2 !== 0) r.fail('odd number of sorted set entries', at);
  const pairs: [string, number][] = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i]!, parseScore(flat[i + 1]!, r, at)]);
  return buildZset(pairs, lim, r, at);
}

/** Reads a value of the given type at the reader's position. */
export function readValue(r: RdbReader, type: number, lim: LoadLimits): Value {
  const at = r.pos;
  switch (type) {
    case R.T_STRING:
      return strValue(r.str());
    case R.T_LIST: {
      const n = r.plainLen();
      const vals = [];
      for (let i = 0; i < n; i++) vals.push(elem(r.str()));
      if (n === 0) r.fail('empty list', at);
      return List.builtAsQuicklist(vals);
    }
    case R.T_SET: {
      const n = r.plainLen();
      const m: string[] = [];
      for (let i = 0; i < n; i++) m.push(r.str());
      if (n === 0) r.fail('empty set', at);
      return buildSet(m, lim, r, at);
    }
    case R.T_ZSET:
    case R.T_ZSET_2: {
      const n = r.plainLen();
      const pairs: [string, number][] = [];
      for (let i = 0; i < n; i++) {
        const m = r.str();
        pairs.push([m, type === R.T_ZSET_2 ? r.double() : r.textDouble()]);
      }
      if (n === 0) r.fail('empty sorted set', at);
      return buildZset(pairs, lim, r, at);
    }
    case R.T_HASH: {
      const n = r.plainLen();
      const pairs: string[] = [];
      for (let i = 0; i < n; i++) pairs.push(r.str(), r.str());
      if (n === 0) r.fail('empty hash', at);
      return buildHash(pairs, lim, r, at);
    }
    case R.T_HASH_ZIPMAP:
      return buildHash(zipmapEntries(r.strBytes(), r, at), lim, r, at);
    case R.T_LIST_ZIPLIST:
      return List.builtAsQuicklist(ziplistEntries(r.strBytes(), r, at).map(elem));
    case R.T_SET_INTSET:
      return buildSet(intsetMembers(r.strBytes(), r, at), lim, r, at);
    case R.T_SET_LISTPACK:
      return buildSet(listpackEntries(r.strBytes(), r, at), lim, r, at);
    case R.T_ZSET_ZIPLIST:
      return pairsToZset(ziplistEntries(r.strBytes(), r, at), lim, r, at);
    case R.T_ZSET_LISTPACK:
      return pairsToZset(listpackEntries(r.strBytes(), r, at), lim, r, at);
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
      const es = listpackEntries(r.strBytes(), r, at);
      if (es.length % 3 !== 0) r.fail('hash listpackex entries are not triplets', at);
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
      const flat = type === R.T_HASH_ZIPLIST ? ziplistEntries(r.strBytes(), r, at) : listpackEntries(r.strBytes(), r, at);
      if (flat.length % 2 !== 0) r.fail('odd number of hash entries', at);
      return buildHash(flat, lim, r, at);
    }
    case R.T_LIST_QUICKLIST:
    case R.T_LIST_QUICKLIST_2: {
      const nodes = r.plainLen();
      const vals: (string | number)[] = [];
      for (let i = 0; i < nodes; i++) {
        let container = R.QL_PACKED;
        if (type === R.T_LIST_QUICKLIST_2) container = r.plainLen();
        const nat = r.pos;
        const blob = r.strBytes();
        if (container === R.QL_PLAIN) vals.push(elem(blob.latin1Slice()));
        else if (container === R.QL_PACKED) {
          const es = type === R.T_LIST_QUICKLIST ? ziplistEntries(blob, r, nat) : listpackEntries(blob, r, nat);
          for (const e of es) vals.push(elem(e));
        } else r.fail(`unknown quicklist container ${container}`, nat);
      }
      if (vals.length === 0) r.fail('empty list', at);
      return List.builtAsQuicklist(vals);
    }
    case R.T_STREAM_LISTPACKS:
    case R.T_STREAM_LISTPACKS_2:
    case R.T_STREAM_LISTPACKS_3:
      return readStream(r, type);
    case R.T_MODULE_PRE_GA:
    case R.T_MODULE_2:
      return r.fail('module values are not supported by tsdis', at - 1);
    default:
      return r.fail(`unknown value type ${type}`, at - 1);
  }
}

/** Whether a byte is a value type tsdis can read (as opposed to an opcode or garbage). */
export function isValueType(t: number): boolean {
  return (t >= 0 && t <= 7) || (t >= 9 && t <= 25);
}

// re-exported for callers that only import the loader
export { HASHTABLE };
