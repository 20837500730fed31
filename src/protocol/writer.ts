/**
 * Reply encoding. Handlers never write protocol bytes themselves: they call
 * these methods and the writer encodes RESP2 or RESP3 for the client's protocol.
 *
 * Replies accumulate as a latin1 JS string (one char per byte), which V8 builds
 * cheaply as a rope; the connection writes it with a single socket write per
 * event-loop turn. Values that are Buffers are converted with latin1Slice.
 */
import { formatDouble } from '../util/numbers.js';
import { prefixCopy } from '../util/strings.js';

export type Bulk = string | Buffer | number;

/** What a Reply holds as a value (Reply.capture): nothing, a bulk string, an integer, +OK, a flat array. */
export const HELD_NONE = 0;
export const HELD_BULK = 1;
export const HELD_INT = 2;
export const HELD_OK = 3;
export const HELD_ARRAY = 4;

/** A held array's element: a bulk string, an integer, false for a RESP2 null bulk. */
export type HeldItem = string | number | false;

export class Reply {
  /** Pending output, latin1-encoded. */
  out = '';
  /** Error replies sent through this writer (the dispatcher compares before/after a call). */
  errors = 0;
  /** The text of the last error reply (the AOF loader names it when a replayed command fails). */
  lastError = '';
  /**
   * Error texts written without counting them in the stats: a script's reply
   * repeating an error one of its commands replied, which was counted then
   * (Redis's ERR_REPLY_FLAG_NO_STATS_UPDATE). Set only while a script's result is written.
   */
  uncounted: ReadonlySet<string> | null = null;
  /** Errors written uncounted (the command that wrote them still fails: dispatcher.call()). */
  uncountedErrors = 0;
  /**
   * Under CLIENT REPLY OFF / SKIP in RESP2: [start, end) offsets in `out` of
   * the pushes written by the running command ((un)subscribe
   * confirmations), which the dispatcher keeps while dropping the rest
   * (RESP3 pushes are told by their `>` type). null when there are none.
   */
  keep: number[] | null = null;
  /** Called with the code of every error reply (INFO errorstats). */
  onError: ((code: string) => void) | null = null;
  /**
   * Set on a script's client while jslua runs the script's commands: a reply
   * that is one bulk string, safe integer or +OK, or (RESP2) an array of
   * those and nulls, written first, is kept as values (`held`, `heldKind`)
   * instead of being encoded, and the script takes them (scripts.ts
   * RunHost.takeHeld) instead of parsing the text back. Anything else
   * written inside a held array turns what was held into text first
   * (spill); what is written after a held value follows it in `out`, and
   * the two are one text again when the script's host spills them.
   */
  capture = false;
  heldKind = HELD_NONE;
  held: HeldItem | HeldItem[] = '';
  /** The elements a held array still expects (nonzero only while they come). */
  heldLeft = 0;
  constructor(public resp: 2 | 3 = 2) {}

  /** Under capture: whether a value written now is held (nothing written yet). */
  private holds(): boolean {
    return this.heldKind === HELD_NONE && this.out.length === 0;
  }

  /** Whether the held value is whole (an array has all its elements). */
  get heldWhole(): boolean {
    return this.heldKind !== HELD_NONE && this.heldLeft === 0;
  }

  /** Forgets the held value. */
  dropHeld(): void {
    this.heldKind = HELD_NONE;
    this.held = '';
    this.heldLeft = 0;
  }

  /**
   * Writes what is held as the text it stands for, through the writers
   * that held it, before what `out` has after it: before a write that
   * cannot be held, or for a reply that is not a whole held value.
   */
  spill(): void {
    const kind = this.heldKind;
    const v = this.held;
    const left = this.heldLeft;
    const after = this.out;
    const capture = this.capture;
    this.dropHeld();
    this.out = '';
    this.capture = false;
    if (kind === HELD_OK) this.ok();
    else if (kind === HELD_ARRAY) {
      const items = v as HeldItem[];
      this.array(items.length + left);
      for (const x of items) this.item(x);
    } else this.item(v as HeldItem);
    this.capture = capture;
    this.out += after;
  }

  /** A held value or array element, written. */
  private item(x: HeldItem): void {
    if (x === false) this.null();
    else if (typeof x === 'number') this.int(x);
    else this.bulk(x);
  }

  /** Under capture: holds one value (a whole reply, or an element of a held array); false to write it as text. */
  private hold(v: HeldItem, kind: number): boolean {
    if (this.heldLeft !== 0) {
      (this.held as HeldItem[]).push(v);
      this.heldLeft--;
      return true;
    }
    if (!this.holds()) return false;
    this.heldKind = kind;
    this.held = v;
    return true;
  }

  /** Under capture, a write that is never held: what is held inside an array becomes text first. */
  private unheld(): void {
    if (this.heldLeft !== 0) this.spill();
  }

  /**
   * What ok(), int(), bulk() and array() hold under capture: false to write it
   * as text (out of those methods, which every client's replies go through).
   */
  private holdOk(): boolean {
    this.unheld();
    if (!this.holds()) return false;
    this.heldKind = HELD_OK;
    return true;
  }
  /** An integer as the number its text parses to: safe integers only, -0 as 0. */
  private holdInt(n: number | bigint): boolean {
    if (typeof n === 'number' && Number.isSafeInteger(n)) return this.hold(n + 0, HELD_INT);
    this.unheld();
    return false;
  }
  /** A bulk string or number as its string (a Buffer is written). */
  private holdBulk(v: Bulk): boolean {
    if (typeof v !== 'object') return this.hold(typeof v === 'string' ? v : '' + v, HELD_BULK);
    this.unheld();
    return false;
  }
  /** An array in RESP2 only, where a null element is Lua's false. */
  private holdArray(n: number): boolean {
    this.unheld();
    if (this.resp !== 2 || n < 0 || !this.holds()) return false;
    this.heldKind = HELD_ARRAY;
    this.held = [];
    this.heldLeft = n;
    return true;
  }

  take(): string {
    const o = this.out;
    this.out = '';
    return o;
  }

  ok(): void {
    if (this.capture && this.holdOk()) return;
    this.out += '+OK\r\n';
  }
  /** A status reply; the text must not contain CR or LF. */
  simple(s: string): void {
    if (this.capture) this.unheld();
    this.out += '+' + s + '\r\n';
  }
  /** An error reply; `msg` starts with its code (ERR, WRONGTYPE, ...). */
  error(msg: string): void {
    if (this.capture) this.unheld();
    this.errors++;
    this.lastError = msg;
    if (this.uncounted !== null && this.uncounted.has(msg)) this.uncountedErrors++;
    else if (this.onError) {
      const sp = msg.indexOf(' ');
      // a copy, not a slice: errorstats keeps the code (util/strings.ts)
      this.onError(sp < 0 ? msg : prefixCopy(msg, sp));
    }
    this.out += '-' + sanitize(msg) + '\r\n';
  }
  int(n: number | bigint): void {
    if (this.capture && this.holdInt(n)) return;
    this.out += ':' + n + '\r\n';
  }
  bulk(v: Bulk): void {
    if (this.capture && this.holdBulk(v)) return;
    if (typeof v === 'string') this.out += '$' + v.length + '\r\n' + v + '\r\n';
    else if (typeof v === 'number') {
      const s = '' + v;
      this.out += '$' + s.length + '\r\n' + s + '\r\n';
    } else this.out += '$' + v.length + '\r\n' + v.latin1Slice(0, v.length) + '\r\n';
  }
  /** A bulk string or the null for a missing value. */
  bulkOrNull(v: Bulk | undefined | null): void {
    if (v === undefined || v === null) this.null();
    else this.bulk(v);
  }
  /** RESP2 `$-1`, RESP3 `_`. */
  null(): void {
    if (this.capture && this.heldLeft !== 0 && this.hold(false, HELD_BULK)) return; // (arrays are held in RESP2 only)
    this.out += this.resp === 3 ? '_\r\n' : '$-1\r\n';
  }
  /** RESP2 `*-1`, RESP3 `_`. */
  nullArray(): void {
    if (this.capture) this.unheld();
    this.out += this.resp === 3 ? '_\r\n' : '*-1\r\n';
  }
  array(n: number): void {
    if (this.capture && this.holdArray(n)) return;
    this.out += '*' + n + '\r\n';
  }
  /** A map of n pairs: RESP3 `%`, RESP2 an array of 2n. */
  map(n: number): void {
    if (this.resp === 2) return this.array(2 * n);
    if (this.capture) this.unheld();
    this.out += '%' + n + '\r\n';
  }
  /** A set: RESP3 `~`, RESP2 an array. */
  set(n: number): void {
    if (this.resp === 2) return this.array(n);
    if (this.capture) this.unheld();
    this.out += '~' + n + '\r\n';
  }
  /** An out-of-band push: RESP3 `>`, RESP2 an array. */
  push(n: number): void {
    if (this.capture) this.unheld();
    this.out += this.resp === 3 ? '>' + n + '\r\n' : '*' + n + '\r\n';
  }
  /** A double: RESP3 `,`, RESP2 a bulk string, formatted as Redis does. */
  double(x: number): void {
    if (this.capture) this.unheld();
    const s = formatDouble(x);
    if (this.resp === 3) this.out += ',' + s + '\r\n';
    else this.out += '$' + s.length + '\r\n' + s + '\r\n';
  }
  /** RESP3 `#t`/`#f`, RESP2 `:1`/`:0`. */
  bool(b: boolean): void {
    if (this.capture) this.unheld();
    if (this.resp === 3) this.out += b ? '#t\r\n' : '#f\r\n';
    else this.out += b ? ':1\r\n' : ':0\r\n';
  }
  /** RESP3 big number `(`, RESP2 a bulk string. */
  bigNumber(s: string): void {
    if (this.capture) this.unheld();
    if (this.resp === 3) this.out += '(' + s + '\r\n';
    else this.bulk(s);
  }
  /** RESP3 verbatim string (`=`, format `txt`), RESP2 a bulk string. */
  verbatim(s: string, format = 'txt'): void {
    if (this.capture) this.unheld();
    if (this.resp === 3) this.out += '=' + (s.length + 4) + '\r\n' + format + ':' + s + '\r\n';
    else this.bulk(s);
  }
  /** An array of bulk strings. */
  bulks(items: readonly Bulk[]): void {
    this.array(items.length);
    for (const v of items) this.bulk(v);
  }
  /** Raw protocol bytes (already encoded). */
  raw(s: string): void {
    if (this.capture) this.unheld();
    this.out += s;
  }
}

/** Error texts must be one line: Redis replaces CR and LF with spaces. */
function sanitize(msg: string): string {
  return /[\r\n]/.test(msg) ? msg.replace(/[\r\n]/g, ' ') : msg;
}

/** The `[start, end)` ranges of `out` listed in `keep`, concatenated. */
export function keptRanges(out: string, keep: readonly number[]): string {
  let kept = '';
  for (let i = 0; i + 1 < keep.length; i += 2) kept += out.slice(keep[i]!, keep[i + 1]!);
  return kept;
}

/**
 * The push frames (`>`) among the top-level frames of reply text `out` from
 * `from` on, concatenated: what a client under CLIENT REPLY OFF still gets.
 */
export function pushFrames(out: string, from: number): string {
  let kept = '';
  for (let pos = from; pos < out.length;) {
    const end = frameEnd(out, pos);
    if (out.charCodeAt(pos) === 62 /* > */) kept += out.slice(pos, end);
    pos = end;
  }
  return kept;
}

/** Where the RESP2/RESP3 frame starting at `pos` of `s` ends (as this writer writes them). */
function frameEnd(s: string, pos: number): number {
  const type = s[pos];
  const eol = s.indexOf('\r\n', pos);
  const n = Number(s.slice(pos + 1, eol));
  let next = eol + 2;
  switch (type) {
    case '$':
    case '=':
    case '!':
      return n < 0 ? next : next + n + 2;
    case '*':
    case '~':
    case '>':
    case '%':
    case '|': {
      const count = n < 0 ? 0 : type === '%' || type === '|' ? n * 2 : n;
      for (let i = 0; i < count; i++) next = frameEnd(s, next);
      // an attribute precedes the frame it describes
      return type === '|' ? frameEnd(s, next) : next;
    }
    default:
      return next; // + - : , # _ (
  }
}
