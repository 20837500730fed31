/**
 * Argument helpers. Each parses one argument or looks up one typed key and
 * throws the right ReplyError itself, so handlers just call them.
 */
import { Err, ReplyError } from '../protocol/errors.js';
import { parseDouble, parseInt64 } from '../util/numbers.js';
import { parseLongDouble, type LongDouble } from '../util/longdouble.js';
import type { Db } from '../keyspace/db.js';
import { isString, isType, type Collections, type StrValue, type Value } from '../keyspace/value.js';
import type { Ctx } from './spec.js';
import { clientType } from '../observability/clientlist.js';

/** An integer argument within the safe-integer range (Redis: long long). */
export function argInt(s: string, err: string = Err.notInteger): number {
  const n = parseInt64(s);
  if (n === null || typeof n === 'bigint') {
    if (typeof n === 'bigint') return Number(n); // callers needing full int64 use argBigInt
    throw new ReplyError(err);
  }
  return n;
}

/**
 * A double argument, read as Redis's getDoubleFromObjectOrReply reads it
 * (string2d: see parseDouble); anything else replies `err` (default: "value
 * is not a valid float"). ZADD/ZINCRBY scores, WEIGHTS, GEO coordinates and
 * distances use it; score range bounds and SORT weights read with bare
 * strtod instead, as Redis does.
 */
export function argDouble(s: string, err: string = Err.notFloat): number {
  const v = parseDouble(s);
  if (v === null) throw new ReplyError(err);
  return v;
}

/**
 * A long double argument, as getLongDoubleFromObjectOrReply reads it
 * (string2ld: see parseLongDouble); anything else replies `err`.
 * INCRBYFLOAT, HINCRBYFLOAT and blocking timeouts use it.
 */
export function argLongDouble(s: string, err: string = Err.notFloat): LongDouble {
  const v = parseLongDouble(s);
  if (v === null) throw new ReplyError(err);
  return v;
}

/** An integer argument in [min, max], else the given error (Redis's getRangeLongFromObjectOrReply). */
export function argRangeOr(s: string, min: number, max: number, err: string): number {
  const n = parseInt64(s);
  if (n === null || typeof n === 'bigint' || n < min || n > max) throw new ReplyError(err);
  return n;
}

/**
 * Redis's getRangeLongFromObjectOrReply for a count-like argument: an
 * integer of at least `min`; a non-integer and a smaller value both reply
 * `err` (default: "value is out of range, must be positive").
 */
export function argAtLeast(s: string, min: number, err: string = Err.mustBePositive): number {
  const n = parseInt64(s);
  if (n === null) throw new ReplyError(err);
  const v = typeof n === 'bigint' ? Number(n) : n;
  if (v < min) throw new ReplyError(err);
  return v;
}

/**
 * The tail LMPOP, BLMPOP, ZMPOP and BZMPOP share, from argv[numkeysIdx]:
 * numkeys key [key ...] FIRST|SECOND [COUNT count], with Redis's errors in
 * its order. `first` is true when the FIRST word (LEFT, MIN) was given.
 */
export function parseMpopArgs(
  argv: string[],
  numkeysIdx: number,
  firstWord: string,
  secondWord: string,
): { keys: string[]; first: boolean; count: number } {
  const numkeys = argAtLeast(argv[numkeysIdx]!, 1, Err.numkeysPositive);
  const whereIdx = numkeysIdx + numkeys + 1;
  if (whereIdx >= argv.length) throw new ReplyError(Err.syntax);
  let first: boolean;
  if (is(argv[whereIdx], firstWord)) first = true;
  else if (is(argv[whereIdx], secondWord)) first = false;
  else throw new ReplyError(Err.syntax);
  let count = -1;
  for (let j = whereIdx + 1; j < argv.length; j++) {
    if (count === -1 && is(argv[j], 'COUNT') && j + 1 < argv.length) {
      count = argAtLeast(argv[++j]!, 1, Err.countPositive);
    } else throw new ReplyError(Err.syntax);
  }
  return { keys: argv.slice(numkeysIdx + 1, whereIdx), first, count: count === -1 ? 1 : count };
}

/** An int64 argument as bigint (INCRBY and friends). */
export function argBigInt(s: string, err: string = Err.notInteger): bigint {
  const n = parseInt64(s);
  if (n === null) throw new ReplyError(err);
  return BigInt(n);
}

/**
 * Whether an argument is `keyword` (given in upper case), ignoring the case
 * of ASCII letters only, as Redis's strcasecmp: no string is made (the
 * options of SET, ZADD & co. are compared on every call).
 */
export function is(arg: string | undefined, keyword: string): boolean {
  if (arg === undefined || arg.length !== keyword.length) return false;
  if (arg === keyword) return true;
  for (let i = 0; i < arg.length; i++) {
    let c = arg.charCodeAt(i);
    if (c >= 97 && c <= 122) c -= 32;
    if (c !== keyword.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * Looks up a string key: undefined when missing, WRONGTYPE when another type.
 * Read lookups (the default) count keyspace hits and misses; pass write=true
 * from commands that modify the key.
 */
export function lookupString(db: Db, key: string, write = false): StrValue | undefined {
  const v = write ? db.get(key) : db.read(key);
  if (v === undefined) return undefined;
  if (!isString(v)) throw new ReplyError(Err.wrongType);
  return v;
}

/** Looks up a key of a collection type: undefined when missing, WRONGTYPE otherwise. */
export function lookupTyped<K extends keyof Collections>(
  db: Db,
  key: string,
  type: K,
  write = false,
): Collections[K] | undefined {
  const v: Value | undefined = write ? db.get(key) : db.read(key);
  if (v === undefined) return undefined;
  if (!isType(v, type)) throw new ReplyError(Err.wrongType);
  return v;
}

/**
 * The largest reply a "count" argument may ask for when elements repeat
 * (SRANDMEMBER / HRANDFIELD / ZRANDMEMBER with a negative count) while no
 * output limit would stop it. Redis tries to build any such reply and can
 * run out of memory or stall; tsdis can never build a reply over V8's string
 * limit (about 2^29 bytes, at least 7 bytes an element), so larger counts get
 * a clear error instead of a hang.
 */
export const MAX_REPEATED_REPLY = 1 << 26;
/** A hard output limit below this stops any repeated-element reply before V8's string limit. */
const STOPPING_LIMIT = 1 << 28;

/**
 * Throws when a repeated-element reply of `count` elements could not be
 * built: too large, and the client's hard output limit (if any) would not
 * stop the loop first (see repeatStopped).
 */
export function checkRepeatedReply(ctx: Ctx, count: number): void {
  if (count <= MAX_REPEATED_REPLY) return;
  const hard = ctx.server.outputLimits.limits(clientType(ctx.client) === 'pubsub' ? 'pubsub' : 'normal').hard;
  if (hard > 0 && hard < STOPPING_LIMIT) return;
  throw new ReplyError(Err.countTooLarge(MAX_REPEATED_REPLY));
}

/**
 * For the loops building a repeated-element reply, called with the element
 * index: true (every 1024 elements) once the client is over its hard output
 * limit. The loop stops; the client is closed without the reply, as Redis
 * stops such a loop for a client it is closing.
 */
export function repeatStopped(ctx: Ctx, i: number): boolean {
  return (i & 1023) === 1023 && ctx.server.outputLimits.overHard(ctx.client);
}

/** SCAN-family options: COUNT (default 10), MATCH (`*` means none), and TYPE for SCAN. */
export interface ScanOptions {
  count: number;
  pattern: string | null;
  type: string | null;
}

/**
 * Parses the options of SCAN, HSCAN, SSCAN and ZSCAN from argv[start] on, as
 * Redis's scanGenericCommand: COUNT must be a positive integer (not an
 * integer: notInteger; below 1: syntax error), MATCH takes a pattern, TYPE
 * only where `allowType` (SCAN); anything else is a syntax error.
 */
export function parseScanOptions(argv: string[], start: number, allowType = false): ScanOptions {
  const o: ScanOptions = { count: 10, pattern: null, type: null };
  for (let i = start; i < argv.length;) {
    const more = argv.length - i;
    if (is(argv[i], 'COUNT') && more >= 2) {
      const n = parseInt64(argv[i + 1]!);
      if (n === null) throw new ReplyError(Err.notInteger);
      if (n < 1) throw new ReplyError(Err.syntax);
      o.count = typeof n === 'bigint' ? Number.MAX_SAFE_INTEGER : n;
      i += 2;
    } else if (is(argv[i], 'MATCH') && more >= 2) {
      const p = argv[i + 1]!;
      o.pattern = p === '*' ? null : p;
      i += 2;
    } else if (allowType && is(argv[i], 'TYPE') && more >= 2) {
      o.type = argv[i + 1]!.toLowerCase();
      i += 2;
    } else throw new ReplyError(Err.syntax);
  }
  return o;
}

/** The proto-max-bulk-len limit for string values. */
export function maxStringLen(ctx: Ctx): number {
  return ctx.server.config.v['proto-max-bulk-len'];
}

/** Throws Redis's size error when a string would grow beyond proto-max-bulk-len. */
export function checkStringLength(ctx: Ctx, size: number): void {
  if (size > maxStringLen(ctx)) throw new ReplyError(Err.stringTooLong);
}
