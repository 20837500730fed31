/**
 * The compact encodings RDB stores inside strings: listpacks, ziplists,
 * intsets and zipmaps. Writing builds the two Redis 7.0 writes (listpacks
 * and intsets, for rdb.ts and rdb-stream.ts); reading decodes all four, with
 * every entry validated as Redis's deep sanitizer does (for rdb-load.ts and
 * rdb-stream.ts). Also the score texts a listpack holds: written as Redis
 * 7.0's d2string writes them, read as zzlStrtod reads them.
 */
import { Buffer } from 'node:buffer';
import { WHY, type RdbReader, type Why } from './rdb-reader.js';
import { exactDecimal, roundDigits } from '../util/numbers.js';

const INT64_MIN = -9223372036854775808n;
const INT64_MAX = 9223372036854775807n;

/* ---------------------------------------------------------------------------
 * Listpack and intset blobs
 * ------------------------------------------------------------------------- */

/** Builds a listpack (Redis 7's compact list encoding) entry by entry. */
export class ListpackBuilder {
  private buf = Buffer.allocUnsafe(256);
  private pos = 6; // header: total bytes (u32), count (u16)
  count = 0;

  /** Current size in bytes, as the finished listpack would be. */
  get size(): number {
    return this.pos + 1;
  }

  private ensure(n: number): void {
    if (this.pos + n + 1 <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n + 1) size *= 2;
    const b = Buffer.allocUnsafe(size);
    this.buf.copy(b, 0, 0, this.pos);
    this.buf = b;
  }

  /** The back-length of an entry of l bytes (varint, most significant group first, read backwards). */
  private backlen(l: number): void {
    const b = this.buf;
    if (l <= 127) b[this.pos++] = l;
    else if (l < 16383) {
      b[this.pos++] = l >>> 7;
      b[this.pos++] = (l & 127) | 128;
    } else if (l < 2097151) {
      b[this.pos++] = l >>> 14;
      b[this.pos++] = ((l >>> 7) & 127) | 128;
      b[this.pos++] = (l & 127) | 128;
    } else if (l < 268435455) {
      b[this.pos++] = l >>> 21;
      b[this.pos++] = ((l >>> 14) & 127) | 128;
      b[this.pos++] = ((l >>> 7) & 127) | 128;
      b[this.pos++] = (l & 127) | 128;
    } else {
      b[this.pos++] = Math.floor(l / 2 ** 28);
      b[this.pos++] = ((l >>> 21) & 127) | 128;
      b[this.pos++] = ((l >>> 14) & 127) | 128;
      b[this.pos++] = ((l >>> 7) & 127) | 128;
      b[this.pos++] = (l & 127) | 128;
    }
  }

  /** Appends an integer entry (any int64). */
  int(v: number | bigint): void {
    this.ensure(14);
    const b = this.buf;
    const start = this.pos;
    if (typeof v === 'number' && v >= 0 && v <= 127) b[this.pos++] = v;
    else if (typeof v === 'number' && v >= -4096 && v <= 4095) {
      const u = v & 0x1fff;
      b[this.pos++] = 0xc0 | (u >>> 8);
      b[this.pos++] = u & 0xff;
    } else if (typeof v === 'number' && v >= -32768 && v <= 32767) {
      b[this.pos++] = 0xf1;
      b.writeInt16LE(v, this.pos);
      this.pos += 2;
    } else if (typeof v === 'number' && v >= -8388608 && v <= 8388607) {
      b[this.pos++] = 0xf2;
      b.writeIntLE(v, this.pos, 3);
      this.pos += 3;
    } else if (typeof v === 'number' && v >= -2147483648 && v <= 2147483647) {
      b[this.pos++] = 0xf3;
      b.writeInt32LE(v, this.pos);
      this.pos += 4;
    } else {
      b[this.pos++] = 0xf4;
      b.writeBigInt64LE(BigInt(v), this.pos);
      this.pos += 8;
    }
    this.backlen(this.pos - start);
    this.count++;
  }

  /** Appends a string entry as Redis's lpAppend does: as an integer when it is the canonical text of an int64. */
  str(s: string): void {
    const n = s.length;
    if (n > 0 && n <= 20) {
      const c = s.charCodeAt(0);
      if ((c >= 48 && c <= 57) || c === 45) {
        const x = Number(s);
        if (Number.isSafeInteger(x) && '' + x === s) return this.int(x);
        if (n >= 16 && /^-?[1-9][0-9]*$/.test(s)) {
          const b = BigInt(s);
          if (b >= INT64_MIN && b <= INT64_MAX) return this.int(b);
        }
      }
    }
    this.rawStr(s);
  }

  /** Appends a string entry as bytes, never as an integer. */
  rawStr(s: string): void {
    const n = s.length;
    this.ensure(n + 10);
    const b = this.buf;
    const start = this.pos;
    if (n < 64) b[this.pos++] = 0x80 | n;
    else if (n < 4096) {
      b[this.pos++] = 0xe0 | (n >>> 8);
      b[this.pos++] = n & 0xff;
    } else {
      b[this.pos++] = 0xf0;
      b.writeUInt32LE(n, this.pos);
      this.pos += 4;
    }
    b.latin1Write(s, this.pos, n);
    this.pos += n;
    this.backlen(this.pos - start);
    this.count++;
  }

  /** An element as lists store it (a safe integer as a number, anything else as text). */
  elem(v: string | number): void {
    if (typeof v === 'number') this.int(v);
    else this.str(v);
  }

  /** The finished listpack. */
  finish(): Buffer {
    this.ensure(1);
    this.buf[this.pos++] = 0xff;
    this.buf.writeUInt32LE(this.pos, 0);
    this.buf.writeUInt16LE(this.count < 65535 ? this.count : 65535, 4);
    return this.buf.subarray(0, this.pos);
  }
}

/** An intset blob: encoding width (2, 4 or 8), count, then the sorted values, little endian. */
export function buildIntset(members: readonly string[]): Buffer {
  let width = 2;
  const vals: bigint[] = new Array(members.length);
  for (let i = 0; i < members.length; i++) {
    const v = BigInt(members[i]!);
    vals[i] = v;
    if (v < -2147483648n || v > 2147483647n) width = 8;
    else if (width === 2 && (v < -32768n || v > 32767n)) width = 4;
  }
  vals.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const b = Buffer.allocUnsafe(8 + width * vals.length);
  b.writeUInt32LE(width, 0);
  b.writeUInt32LE(vals.length, 4);
  let p = 8;
  for (const v of vals) {
    if (width === 2) b.writeInt16LE(Number(v), p);
    else if (width === 4) b.writeInt32LE(Number(v), p);
    else b.writeBigInt64LE(v, p);
    p += width;
  }
  return b;
}

/**
 * A score as a listpack stores it (Redis 7.0's d2string): an integer when it
 * is integral and within ±2^52, else "%.17g" text.
 */
export function scoreText(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  if (x > -4503599627370495 && x < 4503599627370496 && Number.isInteger(x)) return '' + x;
  return formatG17(x);
}

/** C's printf("%.17g", x) for a finite x. */
/**
 * x (finite, not 0) to 17 significant digits as toExponential(16) writes
 * them, rounded as C's printf does: to nearest, an exact tie to even.
 * toExponential rounds a tie up; a tie shows as a 5 in the 18th digit (the
 * only case where the two can differ), then the exact decimal value of the
 * double decides (BigInt).
 */
function sig17(x: number): string {
  const e18 = x.toExponential(17);
  if (e18[e18.indexOf('e') - 1] !== '5') return x.toExponential(16);
  const ex = exactDecimal(x);
  const r = roundDigits(ex.digits, ex.point, 17);
  const exp10 = r.point - 1;
  return `${x < 0 ? '-' : ''}${r.digits[0]}.${r.digits.slice(1)}e${exp10 < 0 ? '-' : '+'}${Math.abs(exp10)}`;
}

export function formatG17(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const m = /^(-?)(\d)\.(\d+)e([+-]\d+)$/.exec(sig17(x))!;
  const exp = Number(m[4]);
  const digits = m[2]! + m[3]!;
  if (exp < -4 || exp >= 17) {
    const frac = m[3]!.replace(/0+$/, '');
    const ee = Math.abs(exp);
    return `${m[1]}${m[2]}${frac ? '.' + frac : ''}e${exp < 0 ? '-' : '+'}${ee < 10 ? '0' + ee : ee}`;
  }
  let s: string;
  if (exp >= 0) {
    const int = digits.slice(0, exp + 1);
    const frac = digits.slice(exp + 1).replace(/0+$/, '');
    s = frac ? int + '.' + frac : int;
  } else {
    const frac = ('0'.repeat(-exp - 1) + digits).replace(/0+$/, '');
    s = '0.' + frac;
  }
  return m[1] + s;
}

/* ---------------------------------------------------------------------------
 * Compact encodings (blobs inside strings), validated as Redis's deep
 * sanitizer does. Each returns its entries as latin1 texts (integers in
 * their decimal form) or fails with `w`, the reason of the type being read.
 * ------------------------------------------------------------------------- */

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
  if (checkCount && numele !== 0xffff && numele !== out.length)
    bad(`header counts ${numele} entries, there are ${out.length}`, 4);
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
