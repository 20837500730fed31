/**
 * A RESP2/RESP3 reply decoder (the client side of the protocol), used by the
 * in-process call() API and by tests. Decodes to plain JS values:
 * simple/bulk strings → string (latin1) or Buffer when asked, errors →
 * ReplyError instances, integers → number (bigint beyond 2^53), nulls → null,
 * arrays/sets/pushes → arrays, maps → Map, doubles → number, booleans → boolean,
 * big numbers → bigint, verbatim → string.
 */
import { Buffer } from 'node:buffer';
import { ReplyError } from './errors.js';

export type RespValue =
  string | Buffer | number | bigint | boolean | null | ReplyError | RespValue[] | Map<RespValue, RespValue>;

export class RespDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  constructor(private opts: { buffers?: boolean } = {}) {}

  feed(chunk: Buffer | string): void {
    const b = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    this.buf = this.pos < this.buf.length ? Buffer.concat([this.buf.subarray(this.pos), b]) : b;
    this.pos = 0;
  }

  /** The next complete reply, or undefined when more bytes are needed. */
  next(): RespValue | undefined {
    const start = this.pos;
    try {
      return this.read();
    } catch (e) {
      if (e === INCOMPLETE) {
        this.pos = start;
        return undefined;
      }
      throw e;
    }
  }

  private line(): string {
    const cr = this.buf.indexOf('\r\n', this.pos);
    if (cr < 0) throw INCOMPLETE;
    const s = this.buf.latin1Slice(this.pos, cr);
    this.pos = cr + 2;
    return s;
  }

  private bytes(n: number): string | Buffer {
    if (this.pos + n + 2 > this.buf.length) throw INCOMPLETE;
    const v = this.opts.buffers
      ? Buffer.from(this.buf.subarray(this.pos, this.pos + n))
      : this.buf.latin1Slice(this.pos, this.pos + n);
    this.pos += n + 2;
    return v;
  }

  private read(): RespValue {
    if (this.pos >= this.buf.length) throw INCOMPLETE;
    const t = String.fromCharCode(this.buf[this.pos]!);
    this.pos++;
    const l = this.line();
    switch (t) {
      case '+':
        return l;
      case '-':
        return new ReplyError(l);
      case ':': {
        const n = Number(l);
        return Number.isSafeInteger(n) ? n : BigInt(l);
      }
      case '$': {
        const n = Number(l);
        return n < 0 ? null : this.bytes(n);
      }
      case '*':
      case '~':
      case '>': {
        const n = Number(l);
        if (n < 0) return null;
        const a: RespValue[] = [];
        for (let i = 0; i < n; i++) a.push(this.read());
        return a;
      }
      case '%': {
        const n = Number(l);
        const m = new Map<RespValue, RespValue>();
        for (let i = 0; i < n; i++) {
          const k = this.read();
          m.set(k, this.read());
        }
        return m;
      }
      case '_':
        return null;
      case ',':
        return l === 'inf' ? Infinity : l === '-inf' ? -Infinity : Number(l);
      case '#':
        return l === 't';
      case '(':
        return BigInt(l);
      case '=': {
        const v = this.bytes(Number(l));
        return typeof v === 'string' ? v.slice(4) : v.subarray(4);
      }
      case '!':
        return new ReplyError(String(this.bytes(Number(l))));
      default:
        throw new Error(`bad RESP type byte '${t}'`);
    }
  }
}

const INCOMPLETE = Symbol('incomplete');
