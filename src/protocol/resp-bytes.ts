/**
 * Replies written as bytes: a command that replies many strings kept as
 * bytes or packed text (a stream's entries, a list's elements) writes them
 * here, headers and all, and replies the whole as one flat latin1 string
 * (take()). Built by `+=`, the same reply is a concatenation per string and
 * a rope that the socket write must walk (bench/RESULTS.md, "Issue 19,
 * sixteenth session").
 */
import { latin1Into } from '../util/latin1.js';

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

  /** What was written, as a latin1 string; empties it (and lets a buffer grown past 1 MB go). */
  take(): string {
    const s = this.b.latin1Slice(0, this.o);
    this.o = 0;
    if (this.b.length > 1 << 20) this.b = Buffer.allocUnsafeSlow(4096);
    return s;
  }

  /** Appends `s` as a bulk string. */
  bulk(s: string): void {
    const b = this.room(s.length + HEADER_MAX + 2);
    let p = latin1Into(b, putHeader(b, this.o, DOLLAR, s.length), s);
    b[p++] = 13;
    b[p++] = 10;
    this.o = p;
  }
}

/** The one in use: a reply is written and taken within one command, which begins with `o = 0`. */
export const respBytes = new RespBytes();

/** The most bytes a RESP header takes: its type byte, up to 20 digits, CRLF. */
export const HEADER_MAX = 23;
export const STAR = 42;
export const DOLLAR = 36;

/** Writes a RESP header (`type`: STAR or DOLLAR, and the count n >= 0) at p; returns the end. */
export function putHeader(b: Buffer, p: number, type: number, n: number): number {
  b[p++] = type;
  if (n < 10) b[p++] = 48 + n;
  else {
    let digits = 2;
    for (let t = Math.floor(n / 100); t > 0; t = Math.floor(t / 10)) digits++;
    for (let k = p + digits - 1; k >= p; k--) {
      b[k] = 48 + (n % 10);
      n = Math.floor(n / 10);
    }
    p += digits;
  }
  b[p++] = 13;
  b[p++] = 10;
  return p;
}
