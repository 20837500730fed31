/**
 * Replies written as bytes: a command that replies many strings kept as
 * bytes or packed text (a stream's entries, a list's elements, a small
 * hash's fields and values) writes them
 * here, headers and all, and replies the whole as one flat latin1 string
 * (take()). Built by `+=`, the same reply is a concatenation per string and
 * a rope that the socket write must walk (bench/RESULTS.md, "Issue 19,
 * sixteenth session").
 */
import { Buffer } from 'node:buffer';
import { digits } from '../util/numbers.js';

/** V8's longest string (2^29 - 24 chars): a reply is one string, so none can be longer. */
const MAX_REPLY = 0x1fffffe8;

export class RespBytes {
  private b = Buffer.allocUnsafeSlow(4096);
  /** Bytes written. */
  o = 0;

  /** The buffer, with room for n more bytes from `o`; a RangeError past the longest string V8 makes. */
  room(n: number): Buffer {
    if (this.o + n > this.b.length) {
      if (this.o + n > MAX_REPLY) {
        this.o = 0;
        throw new RangeError(`a reply of more than ${MAX_REPLY} bytes`);
      }
      const nb = Buffer.allocUnsafeSlow(Math.min(MAX_REPLY, Math.max(this.b.length * 2, this.o + n)));
      this.b.copy(nb, 0, 0, this.o);
      this.b = nb;
    }
    return this.b;
  }

  /** This writer, emptied: a reply begins. */
  begin(): RespBytes {
    this.o = 0;
    return this;
  }

  /** What was written, as a latin1 string; empties it (and lets a buffer grown past 1 MB go). */
  take(): string {
    const s = this.b.latin1Slice(0, this.o);
    this.o = 0;
    if (this.b.length > 1 << 20) this.b = Buffer.allocUnsafeSlow(4096);
    return s;
  }

  /** Appends `s` as a bulk string. */
  bulk(s: string): void {
    this.o = putBulkText(this.room(s.length + BULK_EXTRA), this.o, s, 0, s.length);
  }
}

/** The one in use: a reply is written and taken within one command, which calls begin() first. */
export const respBytes = new RespBytes();

/** The most bytes a RESP header takes: its type byte, up to 20 digits, CRLF. */
export const HEADER_MAX = 23;
/** The most bytes a bulk string takes besides its own: its header and CRLF. */
export const BULK_EXTRA = HEADER_MAX + 2;
export const STAR = 42;
export const DOLLAR = 36;

/**
 * Writes the safe integer n >= 0 as its `digits` decimal digits at p; returns
 * the end. Above 2^31, eight digits at a time first, so that every division
 * is an int32 one (a double's own formatting is a runtime call).
 */
function putDecimal(b: Buffer, p: number, n: number, digits: number): number {
  let k = p + digits - 1;
  while (n > 0x7fffffff) {
    const hi = Math.floor(n / 1e8);
    let lo = (n - hi * 1e8) | 0;
    for (let j = 0; j < 8; j++) {
      b[k--] = 48 + (lo % 10);
      lo = (lo / 10) | 0;
    }
    n = hi;
  }
  let m = n | 0;
  do {
    b[k--] = 48 + (m % 10);
    m = (m / 10) | 0;
  } while (m > 0);
  return p + digits;
}

/** Writes a RESP header (`type`: STAR or DOLLAR, and the count n >= 0) at p; returns the end. */
export function putHeader(b: Buffer, p: number, type: number, n: number): number {
  b[p++] = type;
  if (n < 10) b[p++] = 48 + n;
  else p = putDecimal(b, p, n, digits(n));
  b[p++] = 13;
  b[p++] = 10;
  return p;
}

/** The most bytes a stream ID takes as a bulk string: two 20-digit parts, the dash, a header and CRLF. */
export const BULK_ID_MAX = 41 + BULK_EXTRA;

/**
 * Writes the stream ID `ms-seq` (both safe integers >= 0) at p as a bulk
 * string (room made); returns the end.
 */
export function putBulkId(b: Buffer, p: number, ms: number, seq: number): number {
  const dm = digits(ms);
  const ds = digits(seq);
  p = putHeader(b, p, DOLLAR, dm + 1 + ds);
  p = putDecimal(b, p, ms, dm);
  b[p++] = 45;
  p = putDecimal(b, p, seq, ds);
  b[p++] = 13;
  b[p++] = 10;
  return p;
}

/** Strings up to this long are copied a char (or byte) at a time, longer ones by one native call. */
const SHORT_COPY = 32;

/** Writes chars [from, from + len) of the latin1 text s at p as a bulk string (room made); returns the end. */
export function putBulkText(b: Buffer, p: number, s: string, from: number, len: number): number {
  p = putHeader(b, p, DOLLAR, len);
  if (len <= SHORT_COPY) for (let j = 0; j < len; j++) b[p + j] = s.charCodeAt(from + j);
  else b.latin1Write(from === 0 && len === s.length ? s : s.slice(from, from + len), p, len);
  p += len;
  b[p++] = 13;
  b[p++] = 10;
  return p;
}

/** Writes bytes [from, from + len) of src at p as a bulk string (room made); returns the end. */
export function putBulkBytes(b: Buffer, p: number, src: Buffer, from: number, len: number): number {
  p = putHeader(b, p, DOLLAR, len);
  if (len <= SHORT_COPY) for (let j = 0; j < len; j++) b[p + j] = src[from + j]!;
  else src.copy(b, p, from, from + len);
  p += len;
  b[p++] = 13;
  b[p++] = 10;
  return p;
}
