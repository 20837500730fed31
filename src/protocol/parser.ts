/**
 * Incremental RESP request parser: multibulk (`*N\r\n$len\r\n...`) and inline
 * commands, with Redis's limits and exact protocol error texts.
 *
 * The connection feeds every chunk it reads and then pulls complete commands
 * with next() until it returns null. A frame may be split anywhere across
 * chunks; consumed bytes are dropped, finished arguments are kept, so nothing
 * is parsed twice. A bulk argument of RESERVE_MIN bytes or more is read into
 * one buffer of its size, allocated when its first bytes are kept (Redis
 * reserves a big argument's buffer too): each chunk is copied once, and the
 * memory is one allocation, given back whole when the argument is done (a
 * 100 MB SET collected as 64 KB copies and joined left up to 64 MB of freed
 * chunks that glibc's malloc kept resident, bench/memory-return.ts). A
 * smaller one is collected as a list of chunks and joined once (no
 * quadratic copying). Arguments are latin1 strings: one char
 * per byte, so they are binary safe and compact in V8.
 */
import { Buffer } from 'node:buffer';
import { Err } from './errors.js';
import { latin1Of } from '../util/latin1.js';

const EMPTY = Buffer.alloc(0);
const CR = 13;
const LF = 10;
export const INLINE_MAX = 64 * 1024;
const UNAUTH_MULTIBULK_MAX = 10;
const UNAUTH_BULK_MAX = 16384;
const INT_MAX = 2147483647;
/** A bulk argument still awaited with at least this many bytes is read into a reserved buffer. */
export const RESERVE_MIN = 256 * 1024;
/** Room past the awaited bytes in a reserved buffer: the rest of the last read (the socket reads 64 KB). */
const RESERVE_SLACK = 64 * 1024;

export interface ParserLimits {
  /** proto-max-bulk-len */
  maxBulkLen: number;
  /** client-query-buffer-limit */
  queryBufferLimit: number;
  /**
   * An inline command (a non-empty line not starting with '*') is a
   * protocol error, with no reply: a replica's link to its primary, whose
   * stream is multibulk only but for keepalive newlines (Redis's
   * processInlineBuffer for a master client).
   */
  refuseInline?: boolean;
}

/**
 * A protocol violation: the text is replied as an error, then the
 * connection closes. The parser's position stays at the start of what it
 * could not parse (the log line's query buffer dump starts there, as Redis's
 * qb_pos does).
 */
export class ProtocolError {
  constructor(
    readonly message: string,
    /** false when the connection is closed without a reply (query buffer limit). */
    readonly reply = true,
    /** What Redis's setProtocolError logs in "Protocol error (<why>) from client: ...". */
    readonly why = message,
  ) {}
}

export type ParseResult = string[] | ProtocolError | null;

/** An inline command where ParserLimits.refuseInline says none may come (no reply: Redis's master link). */
export const INLINE_REFUSED = new ProtocolError('inline protocol', false, 'Master using the inline protocol. Desync?');

export class RespParser {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /**
   * Where the bytes in buf end. Below buf.length only for a read fed as
   * (buffer, n) (the sockets' shared read buffer: no view made per read),
   * which only the fast path (whole()) and release() read that way; any
   * other path first cuts buf to its end (trim()).
   */
  private end = 0;
  /** Chunks not yet joined into buf, while a large bulk is awaited. */
  private pending: Buffer[] = [];
  private pendingLen = 0;
  /** Pending chunks already copied by release() (not copied again). */
  private owned = new WeakSet<Buffer>();
  /**
   * The buffer a big bulk is being read into (buf is its filled start), or
   * null: set by feed() (startReserve), dropped when the bulk is parsed or
   * joined; buf is the parser's own memory meanwhile (release() skips it).
   */
  private reserve: Buffer | null = null;
  /** Bytes (from buf start) needed before parsing can progress; 0 = any. */
  private need = 0;
  /** Arguments still expected in the current multibulk (0 = between commands). */
  private remaining = 0;
  private args: string[] = [];
  /** The bytes of `args` (a command still arriving): counted in `memory`. */
  private argsBytes = 0;
  private bulkLen = -1;
  /** Set by the connection: unauthenticated clients get smaller caps. */
  authenticated = true;

  constructor(public limits: ParserLimits) {}

  /**
   * Bytes buffered and not yet consumed (for CLIENT LIST qbuf and the
   * limit), counting those of the commands parsed ahead and not taken yet:
   * to Redis they are still in the query buffer.
   */
  get buffered(): number {
    return this.unread + this.aheadBytes;
  }

  /** Bytes buffered and not yet parsed. */
  private get unread(): number {
    return this.end - this.pos + this.pendingLen;
  }

  /**
   * The memory a command still arriving holds, as Redis counts its client's
   * query buffer and arguments (client eviction, CLIENT LIST tot-mem): what
   * is buffered, or a big bulk being awaited counted whole (Redis reserves
   * it when it reads the length), plus the arguments already parsed.
   */
  get memory(): number {
    const awaited = this.need > 0 ? this.need - this.pos : 0;
    return Math.max(this.buffered, awaited) + this.argsBytes;
  }

  /**
   * The first `n` unconsumed bytes (latin1), for the log line of a client
   * closed at the query buffer limit (Redis logs the start of its querybuf).
   */
  head(n: number): string {
    let out = this.buf.latin1Slice(this.pos, Math.min(this.end, this.pos + n));
    for (let i = 0; out.length < n && i < this.pending.length; i++) {
      const p = this.pending[i]!;
      out += p.latin1Slice(0, Math.min(p.length, n - out.length));
    }
    return out;
  }

  /** The last `n` unconsumed bytes (latin1), for a protocol error's log line (replication/replica-stream.ts). */
  tail(n: number): string {
    const all = this.head(this.buffered);
    return all.slice(Math.max(0, all.length - n));
  }

  /**
   * Appends the first `n` bytes of a chunk read from the socket (all of it
   * by default). Returns a ProtocolError when the query buffer limit is exceeded.
   */
  feed(data: Buffer, n = data.length): ProtocolError | null {
    if (this.reserve === null && this.pos >= this.end && this.pendingLen === 0) {
      // need is an offset into buf: make it relative to the new chunk.
      if (this.need > 0) this.need -= this.pos;
      this.buf = data;
      this.end = n;
      this.pos = 0;
      if (n > this.limits.queryBufferLimit) return new ProtocolError('query buffer limit', false);
      return null;
    }
    // (a read kept beyond this call is cut to its bytes first)
    this.trim();
    const chunk = n === data.length ? data : data.subarray(0, n);
    if (this.reserve !== null) {
      this.fillReserve(chunk);
    } else if (this.startReserve(chunk)) {
      // the first bytes of a big bulk and this chunk are in a reserved buffer now
    } else {
      this.pending.push(chunk);
      this.pendingLen += chunk.length;
      if (this.end - this.pos + this.pendingLen >= this.need - this.pos) this.join();
    }
    if (this.buffered > this.limits.queryBufferLimit) return new ProtocolError('query buffer limit', false);
    return null;
  }

  /**
   * When a bulk of RESERVE_MIN bytes or more is awaited and nothing is
   * pending: allocates one buffer for all of it (plus RESERVE_SLACK), moves
   * the unconsumed bytes of buf there and appends `chunk`. Returns false
   * (nothing done) otherwise.
   */
  private startReserve(chunk: Buffer): boolean {
    const want = this.need - this.pos;
    if (this.pendingLen !== 0 || want < RESERVE_MIN) return false;
    const have = this.end - this.pos;
    const r = Buffer.allocUnsafe(want + RESERVE_SLACK);
    this.buf.copy(r, 0, this.pos, this.end);
    this.need = want;
    this.pos = 0;
    this.setBuf(r.subarray(0, have));
    this.reserve = r;
    this.fillReserve(chunk);
    return true;
  }

  /**
   * Appends `chunk` to the reserved buffer; one that does not fit (not a
   * socket read, which is at most RESERVE_SLACK) is joined with it instead,
   * which ends the reserve. Pending is empty while a reserve is in use.
   */
  private fillReserve(chunk: Buffer): void {
    const r = this.reserve!;
    const filled = this.end;
    if (filled + chunk.length > r.length) {
      this.pending.push(chunk);
      this.pendingLen += chunk.length;
      this.join();
      return;
    }
    chunk.copy(r, filled);
    this.setBuf(r.subarray(0, filled + chunk.length));
  }

  /**
   * Copies the bytes still buffered, so the parser no longer refers to the
   * chunks it was fed (the socket reuses one read buffer). Called by the
   * connection after each read has been processed; copies only leftovers.
   */
  release(): void {
    if (this.reserve !== null) return; // buf is the parser's own (a big bulk arriving), nothing pending
    if (this.pos < this.end) {
      if (this.need > 0) this.need -= this.pos;
      this.setBuf(Buffer.from(this.buf.subarray(this.pos, this.end)));
      this.pos = 0;
    } else if (this.buf !== EMPTY) {
      if (this.need > 0) this.need -= this.pos;
      this.setBuf(EMPTY);
      this.pos = 0;
    }
    for (let i = 0; i < this.pending.length; i++) {
      const b = this.pending[i]!;
      if (!this.owned.has(b)) {
        const copy = Buffer.from(b);
        this.owned.add(copy);
        this.pending[i] = copy;
      }
    }
  }

  /** buf becomes `b`, all of whose bytes count. */
  private setBuf(b: Buffer): void {
    this.buf = b;
    this.end = b.length;
  }

  /** Cuts buf to its end (see `end`), for the paths that read buf.length. */
  private trim(): void {
    if (this.buf.length !== this.end) this.buf = this.buf.subarray(0, this.end);
  }

  /** Joins the unconsumed part of buf with the pending chunks into one buffer (one copy per wait). */
  private join(): void {
    const parts = [this.buf.subarray(this.pos, this.end), ...this.pending];
    this.need = this.need > 0 ? this.need - this.pos : 0;
    this.setBuf(Buffer.concat(parts));
    this.pos = 0;
    this.pending = [];
    this.pendingLen = 0;
    this.reserve = null;
  }

  /**
   * Commands parsed ahead (parseAhead): ahead[aheadAt, aheadN) wait for
   * next(), which empties each slot it hands out.
   */
  private readonly ahead: ParseResult[] = [];
  /** The bytes each of them was parsed from, and their sum for those waiting. */
  private readonly aheadSizes: number[] = [];
  private aheadBytes = 0;
  private aheadAt = 0;
  private aheadN = 0;

  /** Whether no command parsed ahead is waiting. */
  get aheadEmpty(): boolean {
    return this.aheadAt === this.aheadN;
  }

  /**
   * Parses one more complete command (or a protocol error) into the queue
   * next() hands out first, and returns it; null (nothing queued) when more
   * bytes are needed. The connection reads a pipeline's keys ahead so
   * (server/dispatcher.ts readAhead).
   */
  parseAhead(): ParseResult {
    if (this.aheadAt === this.aheadN) this.aheadAt = this.aheadN = 0;
    const before = this.unread;
    const r = this.parse();
    if (r !== null) {
      const size = before - this.unread;
      this.aheadSizes[this.aheadN] = size;
      this.aheadBytes += size;
      this.ahead[this.aheadN++] = r;
    }
    return r;
  }

  /** The next complete command, null when more bytes are needed, or a ProtocolError. */
  next(): ParseResult {
    const i = this.aheadAt;
    if (i !== this.aheadN) {
      const r = this.ahead[i]!;
      this.ahead[i] = null;
      this.aheadBytes -= this.aheadSizes[i]!;
      this.aheadAt = i + 1;
      return r;
    }
    return this.parse();
  }

  private parse(): ParseResult {
    if (this.pendingLen > 0) {
      if (this.end - this.pos + this.pendingLen < this.need - this.pos) return null;
      this.join();
    }
    if (this.remaining === 0 && this.authenticated) {
      const args = this.whole();
      if (args !== undefined) return args;
    }
    // nothing left (the usual end of a read): no view of a shared buffer made
    if (this.remaining === 0 && this.pos >= this.end) return null;
    // the general path reads buf.length
    this.trim();
    for (;;) {
      const buf = this.buf;
      if (this.remaining === 0) {
        if (this.pos >= buf.length) return null;
        if (buf[this.pos] !== 42 /* '*' */) {
          const r = this.inline();
          if (r === undefined) continue; // empty line
          return r;
        }
        const cr = findCR(buf, this.pos);
        if (cr < 0) {
          if (buf.length - this.pos > INLINE_MAX)
            return new ProtocolError(Err.protoMbulkCount, true, 'too big mbulk count string');
          return null;
        }
        if (cr + 1 >= buf.length) return null; // the LF has not arrived yet
        const n = readInt(buf, this.pos + 1, cr);
        if (n === null || n > INT_MAX) {
          // Redis scans for CR with strchr, which stops at a NUL byte: it keeps waiting.
          if (hasNul(buf, this.pos, cr)) {
            if (buf.length - this.pos > INLINE_MAX)
              return new ProtocolError(Err.protoMbulkCount, true, 'too big mbulk count string');
            return null;
          }
          return new ProtocolError(Err.protoMbulkLength, true, 'invalid mbulk count');
        }
        if (!this.authenticated && n > UNAUTH_MULTIBULK_MAX)
          return new ProtocolError(Err.protoMbulkUnauth, true, 'unauth mbulk count');
        this.pos = cr + 2;
        if (n <= 0) continue;
        this.remaining = n;
        this.args = [];
        this.argsBytes = 0;
        this.bulkLen = -1;
      }
      while (this.remaining > 0) {
        if (this.bulkLen < 0) {
          const cr = findCR(buf, this.pos);
          if (cr < 0 || cr + 1 >= buf.length || (buf[this.pos] !== 36 /* '$' */ && hasNul(buf, this.pos, cr))) {
            // (no CR yet, no LF yet, or a NUL before the CR, where Redis's strchr stops)
            if ((cr < 0 || cr + 1 < buf.length) && buf.length - this.pos > INLINE_MAX) {
              return new ProtocolError(Err.protoBulkCount, true, 'too big bulk count string');
            }
            this.compact();
            return null;
          }
          if (buf[this.pos] !== 36 /* '$' */) {
            return new ProtocolError(
              Err.protoExpectedBulk(String.fromCharCode(buf[this.pos]!)),
              true,
              'expected $ but got something else',
            );
          }
          const n = readInt(buf, this.pos + 1, cr);
          if (n === null || n < 0 || n > this.limits.maxBulkLen) {
            if (n === null && hasNul(buf, this.pos, cr)) {
              if (buf.length - this.pos > INLINE_MAX)
                return new ProtocolError(Err.protoBulkCount, true, 'too big bulk count string');
              this.compact();
              return null;
            }
            return new ProtocolError(Err.protoBulkLength, true, 'invalid bulk length');
          }
          if (!this.authenticated && n > UNAUTH_BULK_MAX)
            return new ProtocolError(Err.protoBulkUnauth, true, 'unauth bulk length');
          this.pos = cr + 2;
          this.bulkLen = n;
        }
        const end = this.pos + this.bulkLen;
        if (end + 2 > buf.length) {
          this.compact();
          this.need = this.pos + this.bulkLen + 2;
          return null;
        }
        this.args.push(latin1Of(buf, this.pos, end));
        this.argsBytes += end - this.pos;
        this.pos = end + 2;
        this.bulkLen = -1;
        this.need = 0;
        // (a reserved buffer is done: release() copies what follows the bulk out of it)
        this.reserve = null;
        this.remaining--;
      }
      this.need = 0;
      const args = this.args;
      this.args = [];
      this.argsBytes = 0;
      return args;
    }
  }

  /**
   * The fast path: a whole, well-formed multibulk command at pos, parsed in
   * locals (no per-argument state stored on the parser). Returns undefined —
   * and consumes nothing — when the command is incomplete or anything is out
   * of the ordinary (inline, bad lengths, limits); next() then takes the
   * general path, which handles every case and every error.
   */
  private whole(): string[] | undefined {
    const buf = this.buf;
    const len = this.end;
    let i = this.pos;
    if (i >= len || buf[i] !== 42 /* '*' */) return undefined;
    i++;
    let c = buf[i];
    if (c === undefined || c < 49 || c > 57) return undefined; // 1-9: no sign, no leading zero
    let n = 0;
    for (;;) {
      n = n * 10 + (c - 48);
      if (++i >= len) return undefined;
      c = buf[i]!;
      if (c === CR) break;
      if (c < 48 || c > 57 || n > 99999) return undefined;
    }
    i += 2;
    const maxBulk = this.limits.maxBulkLen;
    const args = new Array<string>(n);
    for (let k = 0; k < n; k++) {
      if (i >= len || buf[i] !== 36 /* '$' */) return undefined;
      i++;
      c = buf[i];
      if (c === undefined || c < 48 || c > 57) return undefined;
      let b = 0;
      if (c === 48) {
        if (++i >= len || buf[i] !== CR) return undefined; // "$0" only
      } else {
        for (;;) {
          b = b * 10 + (c - 48);
          if (++i >= len) return undefined;
          c = buf[i]!;
          if (c === CR) break;
          if (c < 48 || c > 57 || b > 99999999) return undefined;
        }
      }
      if (b > maxBulk) return undefined;
      const start = i + 2;
      const end = start + b;
      if (end + 2 > len) return undefined;
      args[k] = latin1Of(buf, start, end);
      i = end + 2;
    }
    this.pos = i;
    this.need = 0;
    return args;
  }

  /** Drops consumed bytes so a long wait does not pin the whole buffer. */
  private compact(): void {
    if (this.pos > 0 && this.pos > this.buf.length >> 1) {
      this.setBuf(Buffer.from(this.buf.subarray(this.pos)));
      this.pos = 0;
    }
  }

  /** Parses one inline command line; undefined for an empty line. */
  private inline(): string[] | ProtocolError | null | undefined {
    const buf = this.buf;
    const nl = buf.indexOf(LF, this.pos);
    // Redis looks for the LF with strchr, which stops at a NUL byte: it keeps waiting.
    if (nl < 0 || hasNul(buf, this.pos, nl)) {
      if (buf.length - this.pos > INLINE_MAX)
        return new ProtocolError(Err.protoInlineTooBig, true, 'too big inline request');
      return null;
    }
    let end = nl;
    if (end > this.pos && buf[end - 1] === CR) end--;
    const plain = plainInline(buf, this.pos, end);
    if (plain !== undefined) {
      if (end > this.pos && this.limits.refuseInline === true) return INLINE_REFUSED;
      this.pos = nl + 1;
      return plain.length === 0 ? undefined : plain;
    }
    const args = splitArgs(buf.latin1Slice(this.pos, end));
    if (args === null) return new ProtocolError(Err.protoUnbalancedQuotes, true, 'unbalanced quotes in inline request');
    if (end > this.pos && this.limits.refuseInline === true) return INLINE_REFUSED;
    this.pos = nl + 1;
    if (args.length === 0) return undefined;
    return args;
  }
}

/**
 * buf.indexOf(CR, from), scanning the first bytes in JS: header lines
 * ("*3", "$16") are a few bytes, and a short loop is cheaper than the native
 * call's fixed cost.
 */
function findCR(buf: Buffer, from: number): number {
  const len = buf.length;
  const stop = from + 16 < len ? from + 16 : len;
  for (let i = from; i < stop; i++) if (buf[i] === CR) return i;
  return stop < len ? buf.indexOf(CR, stop) : -1;
}

/**
 * Redis's string2ll over buf[start, end): optional '-', no leading zeros, no '+'.
 * Returns null when invalid. Values beyond 2^53 are not needed for lengths.
 */
function readInt(buf: Buffer, start: number, end: number): number | null {
  if (start >= end || end - start > 20) return null;
  let i = start;
  let neg = false;
  if (buf[i] === 45) {
    neg = true;
    i++;
    if (i === end) return null;
  }
  if (buf[i] === 48) return end - i === 1 && !neg ? 0 : null;
  let n = 0;
  for (; i < end; i++) {
    const c = buf[i]! - 48;
    if (c < 0 || c > 9) return null;
    n = n * 10 + c;
  }
  return neg ? -n : n;
}

/** Whether buf[start, end) holds a NUL byte (only called on rare paths). */
function hasNul(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] === 0) return true;
  return false;
}

/**
 * An inline line of plain words (separated by spaces or tabs, no quotes, no
 * backslashes, no NUL or other control bytes) split straight from the
 * buffer; undefined for anything else, which splitArgs() handles.
 */
function plainInline(buf: Buffer, start: number, end: number): string[] | undefined {
  const out: string[] = [];
  let i = start;
  while (i < end) {
    let c = buf[i]!;
    if (c === 32 || c === 9) {
      i++;
      continue;
    }
    const w = i;
    while (c > 32 && c !== 34 && c !== 39 && c !== 92 && c !== 127) {
      if (++i === end) break;
      c = buf[i]!;
    }
    if (i < end && c !== 32 && c !== 9) return undefined;
    out.push(latin1Of(buf, w, i));
  }
  return out;
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}
function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Splits an inline command line as redis-cli and Redis's sdssplitargs do:
 * white space separates, "double quotes" allow \n \r \t \b \a \xHH and \c
 * escapes, 'single quotes' allow \'. A closing quote must be followed by
 * white space or the end. Returns null on unbalanced quotes. Also used for
 * redis.conf lines (config/file.ts).
 */
export function splitArgs(line: string): string[] | null {
  // Redis walks a C string: a NUL byte ends the line.
  const z = line.indexOf('\0');
  if (z >= 0) line = line.slice(0, z);
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    while (i < n && isSpace(line.charCodeAt(i))) i++;
    if (i >= n) return out;
    let inq = false;
    let insq = false;
    let done = false;
    let cur = '';
    while (!done) {
      if (inq) {
        if (i >= n) return null;
        const c = line.charCodeAt(i);
        if (
          c === 92 /* \ */ &&
          i + 3 < n &&
          line.charCodeAt(i + 1) === 120 /* x */ &&
          hexVal(line.charCodeAt(i + 2)) >= 0 &&
          hexVal(line.charCodeAt(i + 3)) >= 0
        ) {
          cur += String.fromCharCode(hexVal(line.charCodeAt(i + 2)) * 16 + hexVal(line.charCodeAt(i + 3)));
          i += 3;
        } else if (c === 92 && i + 1 < n) {
          i++;
          const e = line[i]!;
          cur += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e === 'b' ? '\b' : e === 'a' ? '\x07' : e;
        } else if (c === 34 /* " */) {
          if (i + 1 < n && !isSpace(line.charCodeAt(i + 1))) return null;
          done = true;
        } else cur += line[i];
      } else if (insq) {
        if (i >= n) return null;
        const c = line.charCodeAt(i);
        if (c === 92 && i + 1 < n && line.charCodeAt(i + 1) === 39) {
          i++;
          cur += "'";
        } else if (c === 39) {
          if (i + 1 < n && !isSpace(line.charCodeAt(i + 1))) return null;
          done = true;
        } else cur += line[i];
      } else {
        if (i >= n) break;
        const c = line.charCodeAt(i);
        // Outside quotes only space, \n, \r and \t end a token (not \v or \f).
        if (c === 32 || c === 10 || c === 13 || c === 9) done = true;
        else if (c === 34) inq = true;
        else if (c === 39) insq = true;
        else cur += line[i];
      }
      if (i < n) i++;
    }
    out.push(cur);
  }
}

declare module 'node:buffer' {
  interface Buffer {
    latin1Slice(start?: number, end?: number): string;
    latin1Write(s: string, offset?: number, length?: number): number;
  }
}
