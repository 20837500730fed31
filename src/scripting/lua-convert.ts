/**
 * The reply conversions of the Lua VM (lua.ts), pure functions of bytes and
 * values (no VM state):
 *  - the engine's own reply encoding ([tag u8][u32 LE count or length]
 *    [payload]): WireWriter builds it, respToWire translates a command's
 *    RESP reply (as the writer produced it) into it for redis.call (the
 *    bridge, lua-bridge.ts), and wireEnd / writeWire write a script's
 *    encoded result straight to the caller's Reply;
 *  - the decoded values of the engine's public API (ReplyValue, used when
 *    the binary patch does not apply or a result is a script error):
 *    respToLua, fixDecoded, luaToReply, errText;
 *  - unchecked byte helpers over the VM's memory (u32At, putU32).
 */
import { Buffer } from 'node:buffer';
import type { ReplyValue } from 'lua-redis-wasm';
import type { Reply } from '../protocol/writer.js';
import { formatDouble } from '../util/numbers.js';

// The engine's reply encoding: [tag u8][u32 LE count or length][payload].
export const T_NULL = 0x00;
export const T_INT = 0x01;
export const T_BULK = 0x02;
export const T_ARRAY = 0x03;
export const T_STATUS = 0x04;
export const T_ERROR = 0x05;
export const T_BOOL = 0x07;
export const T_DOUBLE = 0x08;
export const T_MAP = 0x09;
export const T_SET = 0x0a;
export const T_BIG_NUMBER = 0x0b;
export const T_VERBATIM = 0x0c;

/** Builds one reply in the engine's encoding. */
export class WireWriter {
  buf = Buffer.allocUnsafe(1024);
  n = 0;
  private room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const b = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.n + k));
    this.buf.copy(b, 0, 0, this.n);
    this.buf = b;
  }
  hdr(tag: number, x: number): void {
    this.room(5);
    const b = this.buf;
    const n = this.n;
    b[n] = tag;
    b[n + 1] = x;
    b[n + 2] = x >>> 8;
    b[n + 3] = x >>> 16;
    b[n + 4] = x >>> 24;
    this.n = n + 5;
  }
  str(tag: number, s: string, from: number, to: number): void {
    const len = to - from;
    this.hdr(tag, len);
    this.room(len);
    const b = this.buf;
    let n = this.n;
    if (len <= 16) {
      for (let i = from; i < to; i++) b[n++] = s.charCodeAt(i);
      this.n = n;
    } else this.n += b.latin1Write(s.slice(from, to), n, len);
  }
  /** An integer reply from its decimal text s[from, to). */
  int(s: string, from: number, to: number): void {
    this.hdr(T_INT, 8);
    this.room(8);
    const b = this.buf;
    const n = this.n;
    this.n = n + 8;
    const v = smallInt(s, from, to);
    if (v === v) {
      putU32(b, n, v);
      putU32(b, n + 4, v < 0 ? -1 : 0);
      return;
    }
    b.writeBigInt64LE(BigInt(s.slice(from, to)), n);
  }
  double(x: number): void {
    this.hdr(T_DOUBLE, 8);
    this.room(8);
    this.buf.writeDoubleLE(x, this.n);
    this.n += 8;
  }
  bool(b: boolean): void {
    this.hdr(T_BOOL, 1);
    this.room(1);
    this.buf[this.n++] = b ? 1 : 0;
  }
  /** A value of `tag` with the bytes src[from, to) (the VM's memory). */
  bytes(tag: number, src: Buffer, from: number, to: number): void {
    this.hdr(tag, to - from);
    this.raw(src, from, to);
  }
  /** The bytes src[from, to), no header. */
  raw(src: Buffer, from: number, to: number): void {
    const len = to - from;
    this.room(len);
    const b = this.buf;
    let n = this.n;
    if (len <= 32) for (let i = from; i < to; i++) b[n++] = src[i]!;
    else src.copy(b, n, from, to);
    this.n += len;
  }
  /** A u32 (LE), no header. */
  u32(v: number): void {
    this.room(4);
    putU32(this.buf, this.n, v);
    this.n += 4;
  }
  /** An integer reply of the (integral, in range) number v. */
  int64(v: number): void {
    this.hdr(T_INT, 8);
    this.room(8);
    const n = this.n;
    this.n = n + 8;
    if (Number.isSafeInteger(v)) {
      putU32(this.buf, n, v);
      putU32(this.buf, n + 4, Math.floor(v / 0x100000000));
    } else this.buf.writeBigInt64LE(BigInt(v), n);
  }
}

/**
 * The integer written in s[from, to) when it has 1 to 9 digits (exact in an
 * int32: parsed without a substring), else NaN.
 */
export function smallInt(s: string, from: number, to: number): number {
  let i = from;
  const neg = s.charCodeAt(i) === 45;
  if (neg) i++;
  if (to - i < 1 || to - i > 9) return NaN;
  let v = 0;
  for (; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  return neg ? -v : v;
}

/** Position of the "\r\n" ending the line that starts at `from`. */
export function lineEnd(s: string, from: number): number {
  for (let i = from; i < s.length; i++) if (s.charCodeAt(i) === 13) return i;
  return -1;
}

/** The decimal (possibly negative) number in s[from, to). */
export function numAt(s: string, from: number, to: number): number {
  let i = from;
  const neg = s.charCodeAt(i) === 45;
  if (neg) i++;
  let v = 0;
  for (; i < to; i++) v = v * 10 + (s.charCodeAt(i) - 48);
  return neg ? -v : v;
}

/** Translates the RESP reply at c.pos into the engine's encoding. */
export function respToWire(c: RespCursor, w: WireWriter): void {
  const s = c.s;
  const t = s.charCodeAt(c.pos);
  const from = c.pos + 1;
  const end = lineEnd(s, from);
  c.pos = end + 2;
  switch (t) {
    case 43: // +
      return w.str(T_STATUS, s, from, end);
    case 45: // -
      return w.str(T_ERROR, s, from, end);
    case 58: // :
      return w.int(s, from, end);
    case 36: {
      // $
      const n = numAt(s, from, end);
      if (n < 0) return w.hdr(T_NULL, 0);
      w.str(T_BULK, s, c.pos, c.pos + n);
      c.pos += n + 2;
      return;
    }
    case 42: // *
    case 126: // ~
    case 62: {
      // >
      const n = numAt(s, from, end);
      if (n < 0) return w.hdr(T_NULL, 0);
      w.hdr(t === 126 ? T_SET : T_ARRAY, n);
      for (let i = 0; i < n; i++) respToWire(c, w);
      return;
    }
    case 37: {
      // %
      const n = numAt(s, from, end);
      w.hdr(T_MAP, n);
      for (let i = 0; i < 2 * n; i++) respToWire(c, w);
      return;
    }
    case 95: // _ (count 1: nil in Lua, where RESP2's null is false; see wasm-layout.ts F_DECODE_REPLY)
      return w.hdr(T_NULL, 1);
    case 124: {
      // | an attribute: scripts do not see attributes (Redis's parser skips them), only the value that follows
      const n = numAt(s, from, end);
      const mark = w.n;
      for (let i = 0; i < 2 * n; i++) respToWire(c, w);
      w.n = mark;
      return respToWire(c, w);
    }
    case 44: {
      // ,
      const line = s.slice(from, end);
      return w.double(line === 'inf' ? Infinity : line === '-inf' ? -Infinity : Number(line));
    }
    case 35: // #
      return w.bool(s[from] === 't');
    case 40: // (
      return w.str(T_BIG_NUMBER, s, from, end);
    case 61: {
      // =
      const n = numAt(s, from, end);
      const body = s.slice(c.pos, c.pos + n);
      c.pos += n + 2;
      // [u32 format length][format][string]
      const fmt = body.slice(0, 3);
      const tmp = Buffer.allocUnsafe(4);
      tmp.writeUInt32LE(fmt.length, 0);
      const payload = tmp.latin1Slice(0, 4) + fmt + body.slice(4);
      w.str(T_VERBATIM, payload, 0, payload.length);
      return;
    }
    default:
      throw new Error(`unexpected reply type ${JSON.stringify(s[c.pos - 1])}`);
  }
}

export interface RespCursor {
  s: string;
  pos: number;
}

/** The u32 (LE) at b[o] (in range: the engine wrote it), without Buffer's checks. */
export function u32At(b: Buffer, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/** Stores v as a u32 (LE; negative int32s as their two's complement) at b[o], without Buffer's checks. */
export function putU32(b: Buffer, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
  b[o + 2] = v >>> 16;
  b[o + 3] = v >>> 24;
}

/**
 * The end of the encoded value at `o` when writeWire can write it (anything
 * but a script error, which only the engine's own decoder reads), or -1.
 * A loop, not a recursion: a result may nest ~8,000 deep (see encodeTable).
 */
export function wireEnd(b: Buffer, o: number, end: number): number {
  let pending = 1;
  while (pending > 0) {
    if (o + 5 > end) return -1;
    pending--;
    const t = b[o]!;
    const x = u32At(b, o + 1);
    o += 5;
    switch (t) {
      case T_NULL:
        break;
      case T_INT:
      case T_DOUBLE:
        o += 8;
        break;
      case T_BOOL:
        o += 1;
        break;
      case T_BULK:
      case T_STATUS:
      case T_ERROR:
      case T_BIG_NUMBER:
      case T_VERBATIM:
        o += x;
        break;
      case T_ARRAY:
      case T_SET:
        pending += x;
        break;
      case T_MAP:
        pending += 2 * x;
        break;
      default:
        return -1;
    }
  }
  return o <= end ? o : -1;
}

/**
 * Writes the encoded value at `o` to `reply` (as luaToReply would write its
 * decoded form): the encoding and RESP both put a container's count before
 * its elements, so it is one pass over the bytes, without recursion.
 * `resp`: the script's protocol when it returned (lua.ts respNow), which
 * decides how a boolean is written.
 */
export function writeWire(b: Buffer, o: number, reply: Reply, resp: 2 | 3): void {
  let pending = 1;
  while (pending > 0) {
    pending--;
    const t = b[o]!;
    const x = u32At(b, o + 1);
    o += 5;
    switch (t) {
      case T_NULL:
        reply.null();
        break;
      case T_INT: {
        const lo = u32At(b, o);
        const hi = u32At(b, o + 4) | 0;
        const v = hi * 0x100000000 + lo;
        if (Number.isSafeInteger(v)) reply.int(v);
        else {
          const big = b.readBigInt64LE(o);
          reply.int(big === INT64_MAX ? INT64_MIN : big);
        }
        o += 8;
        break;
      }
      case T_DOUBLE:
        luaDouble(reply, b.readDoubleLE(o));
        o += 8;
        break;
      case T_BOOL:
        if (resp === 2) {
          if (b[o] !== 0) reply.int(1);
          else reply.null();
        } else reply.bool(b[o] !== 0);
        o += 1;
        break;
      case T_BULK:
        reply.bulk(b.latin1Slice(o, o + x));
        o += x;
        break;
      case T_STATUS:
        reply.simple(noCrLf(b.latin1Slice(o, o + x)));
        o += x;
        break;
      case T_ERROR:
        reply.error(b.latin1Slice(o, o + x));
        o += x;
        break;
      case T_BIG_NUMBER:
        reply.bigNumber(noCrLf(b.latin1Slice(o, o + x)));
        o += x;
        break;
      case T_VERBATIM: {
        // [u32 format length][format][string]
        const fl = u32At(b, o);
        reply.verbatim(b.latin1Slice(o + 4 + fl, o + x), verbatimFormat(b.latin1Slice(o + 4, o + 4 + fl)));
        o += x;
        break;
      }
      case T_ARRAY:
        reply.array(x);
        pending += x;
        break;
      case T_SET:
        reply.set(x);
        pending += x;
        break;
      case T_MAP:
        reply.map(x);
        pending += 2 * x;
        break;
    }
  }
}

/** A verbatim string's format as Redis writes it (addReplyVerbatim): three characters, padded with spaces. */
function verbatimFormat(f: string): string {
  return f.length === 3 ? f : f.slice(0, 3).padEnd(3, ' ');
}

/** A status or big number as Redis replies it: CR and LF become spaces. */
function noCrLf(s: string): string {
  return s.includes('\r') || s.includes('\n') ? s.replace(/[\r\n]/g, ' ') : s;
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/**
 * A script's integer result as Redis gives it. The unpatched engine
 * converts a Lua number with a saturating cast: +inf and anything from 2^63
 * up give INT64_MAX (no double converts to it exactly), where Redis's
 * x86-64 cast gives INT64_MIN for every out-of-range value (the patched
 * engine does that itself, NaN included: see wasm-patch.ts).
 */
function fixInt(v: number | bigint): number | bigint {
  return v === INT64_MAX ? INT64_MIN : v;
}

/**
 * A decoded result as writeWire would write it: booleans of a script that
 * returned in RESP2 (`resp`, lua.ts respNow) become 1 / null, a saturated
 * integer INT64_MIN.
 */
export function fixDecoded(v: ReplyValue, resp: 2 | 3): ReplyValue {
  if (v === null) return v;
  switch (typeof v) {
    case 'boolean':
      return resp === 2 ? (v ? 1 : null) : v;
    case 'bigint':
      return fixInt(v);
    case 'number':
      return v;
  }
  if (Buffer.isBuffer(v)) return v;
  if (Array.isArray(v)) return v.map((e) => fixDecoded(e, resp));
  if ('map' in v)
    return { map: v.map.map(([k, e]) => [fixDecoded(k, resp), fixDecoded(e, resp)] as [ReplyValue, ReplyValue]) };
  if ('set' in v) return { set: v.set.map((e) => fixDecoded(e, resp)) };
  return v;
}

/**
 * A script's {double=x} result as Redis 7.2 writes it (addReplyDouble, the
 * same format as ZSCORE and every other double reply of tsdis): a RESP3
 * double or a RESP2 bulk string. (Redis 7.0 printed "%.17g" instead.)
 */
export function luaDouble(reply: Reply, x: number): void {
  const s = formatDouble(x);
  if (reply.resp === 3) reply.out += ',' + s + '\r\n';
  else reply.bulk(s);
}

/** The text of an error value: its code (when split off) and message. */
export function errText(r: { err: Buffer; code?: Buffer }): string {
  const msg = r.err.latin1Slice(0, r.err.length);
  return r.code !== undefined ? r.code.latin1Slice(0, r.code.length) + ' ' + msg : msg;
}

/**
 * Decodes one RESP2/RESP3 reply from `s` (latin1, as the writer produced it)
 * into the VM's value for Lua: status -> {ok}, error -> {err}, nulls -> null,
 * doubles -> {double}, maps -> {map}, and so on.
 */
export function respToLua(s: string): ReplyValue {
  const st = { s, pos: 0 };
  return readValue(st);
}

function readLine(c: RespCursor): string {
  const end = c.s.indexOf('\r\n', c.pos);
  const line = c.s.slice(c.pos + 1, end);
  c.pos = end + 2;
  return line;
}

function readValue(c: RespCursor): ReplyValue {
  const t = c.s[c.pos];
  const line = readLine(c);
  switch (t) {
    case '+':
      return { ok: Buffer.from(line, 'latin1') };
    case '-':
      return { err: Buffer.from(line, 'latin1') };
    case ':': {
      const n = Number(line);
      return Number.isSafeInteger(n) ? n : BigInt(line);
    }
    case '$': {
      const n = Number(line);
      if (n < 0) return null;
      const v = Buffer.from(c.s.slice(c.pos, c.pos + n), 'latin1');
      c.pos += n + 2;
      return v;
    }
    case '=': {
      const n = Number(line);
      const raw = c.s.slice(c.pos, c.pos + n);
      c.pos += n + 2;
      return {
        verbatim_string: {
          format: Buffer.from(raw.slice(0, 3), 'latin1'),
          string: Buffer.from(raw.slice(4), 'latin1'),
        },
      };
    }
    case '*':
    case '~':
    case '>': {
      const n = Number(line);
      if (n < 0) return null;
      const a: ReplyValue[] = new Array(n);
      for (let i = 0; i < n; i++) a[i] = readValue(c);
      return t === '~' ? { set: a } : a;
    }
    case '%': {
      const n = Number(line);
      const m: [ReplyValue, ReplyValue][] = new Array(n);
      for (let i = 0; i < n; i++) {
        const k = readValue(c);
        m[i] = [k, readValue(c)];
      }
      return { map: m };
    }
    case '_':
      return null;
    case '|': {
      // an attribute: skipped, the value that follows is the reply (see respToWire)
      const n = Number(line);
      for (let i = 0; i < 2 * n; i++) readValue(c);
      return readValue(c);
    }
    case ',':
      return { double: line === 'inf' ? Infinity : line === '-inf' ? -Infinity : Number(line) };
    case '#':
      return line === 't';
    case '(':
      return { big_number: Buffer.from(line, 'latin1') };
    default:
      throw new Error(`unexpected reply type ${JSON.stringify(t)}`);
  }
}

/**
 * Writes a script's result to the caller's reply, in the caller's protocol
 * (a RESP3 map becomes a flat array for a RESP2 caller, as in Redis).
 */
export function luaToReply(v: ReplyValue, reply: Reply): void {
  if (v === null) return reply.null();
  switch (typeof v) {
    case 'number':
    case 'bigint':
      return reply.int(v);
    case 'boolean':
      return reply.bool(v);
  }
  if (Buffer.isBuffer(v)) return reply.bulk(v);
  if (Array.isArray(v)) {
    reply.array(v.length);
    for (const e of v) luaToReply(e, reply);
    return;
  }
  if ('ok' in v) return reply.simple(noCrLf(v.ok.latin1Slice(0, v.ok.length)));
  if ('err' in v) return reply.error(errText(v));
  if ('double' in v) return luaDouble(reply, v.double);
  if ('big_number' in v) return reply.bigNumber(noCrLf(v.big_number.latin1Slice(0, v.big_number.length)));
  if ('verbatim_string' in v) {
    const { format, string } = v.verbatim_string;
    return reply.verbatim(string.latin1Slice(0, string.length), verbatimFormat(format.latin1Slice(0, format.length)));
  }
  if ('map' in v) {
    reply.map(v.map.length);
    for (const [k, e] of v.map) {
      luaToReply(k, reply);
      luaToReply(e, reply);
    }
    return;
  }
  if ('set' in v) {
    reply.set(v.set.length);
    for (const e of v.set) luaToReply(e, reply);
    return;
  }
  reply.null();
}
