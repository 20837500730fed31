/**
 * What the hash command files share (hash.ts, hash-expire.ts): the listpack
 * limits, writing a field, committing a hash, and the field-TTL helpers that
 * every command reading a field needs (lazy expiry, FIELDS parsing).
 */
import type { Ctx } from './spec.js';
import { lookupTyped } from './args.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { HashValue, HFE_MAX_ABS_TIME_MSEC } from '../types/hash.js';
import { parseInt64 } from '../util/numbers.js';

/** The listpack limits from the config. */
export function limits(ctx: Ctx): [entries: number, value: number] {
  const v = ctx.server.config.v;
  return [v['hash-max-listpack-entries'], v['hash-max-listpack-value']];
}

/**
 * Sets a field, converting to a hashtable first when the field or value is
 * longer than hash-max-listpack-value (Redis's hashTypeSet; a small one
 * stays packed as a wide hash, types/hash.ts). Returns true when the field
 * was added.
 */
export function setField(
  h: HashValue,
  f: string,
  v: string,
  maxEntries: number,
  maxValue: number,
  keepTtl = false,
): boolean {
  if ((f.length > maxValue || v.length > maxValue) && h.packed()) h.widenFor(f, v);
  return h.set(f, v, maxEntries, keepTtl);
}

/** Looks up a hash for writing, creating (but not yet storing) an empty one. Returns [hash, created]. */
export function hashForWrite(ctx: Ctx, key: string): [HashValue, boolean] {
  const h = lookupTyped(ctx.db, key, 'hash', true);
  return h ? [h, false] : [new HashValue(), true];
}

/** Stores a newly created hash or signals the change of an existing one. */
export function commit(ctx: Ctx, key: string, h: HashValue, created: boolean, dirty: number): void {
  if (created) ctx.db.set(key, h, false, dirty);
  else ctx.db.modified(key, dirty);
}

/* ---------------------------------------------------------------------------
 * Field TTLs: lazy expiry and argument parsing
 * ------------------------------------------------------------------------- */

/** Fields one command expired lazily on one hash (liveGet counts, endLazy reports). */
export interface Lazy {
  n: number;
}

/**
 * Whether field expiry must leave fields in place: while the AOF is
 * replayed (Redis's server.loading: a replayed command must find what the
 * original found, the HDELs that followed are in the file), while CLIENT
 * PAUSE suspends expiry, and on a replica (its primary's HDELs delete
 * them; the primary's own commands are obeyed, so they find them too).
 */
export function expiryHeld(ctx: Ctx): boolean {
  return ctx.client.mustObey || ctx.server.pause.mode !== 0 || ctx.server.repl.following;
}

/**
 * Field f's value, or undefined when it is missing or logically expired
 * (Redis's hashTypeGetValue). An expired field is deleted through
 * Db.expireField (HDEL propagated, expired_subkeys) unless expiryHeld, and
 * counted in `lz`; the caller then calls endLazy (or reports itself). Costs
 * nothing more for a hash without TTLs.
 */
export function liveGet(ctx: Ctx, key: string, h: HashValue, f: string, lz: Lazy): string | undefined {
  const v = h.get(f);
  if (v === undefined || h.ex === null) return v;
  const at = h.expireOf(f)!;
  if (at === 0 || at >= ctx.server.now()) return v;
  if (!expiryHeld(ctx)) {
    ctx.db.expireField(key, h, f);
    lz.n++;
  }
  return undefined;
}

/**
 * After lazy expiry on one hash: the 'hexpired' event and, when it emptied
 * the hash, its deletion with a 'del' event (see Db.fieldsExpired). Returns
 * true when the hash is gone (a write command then starts a new one).
 */
export function endLazy(ctx: Ctx, key: string, h: HashValue, lz: Lazy): boolean {
  if (lz.n === 0) return false;
  lz.n = 0;
  return ctx.db.fieldsExpired(key, h);
}

/**
 * Redis's parseExpireTime for field TTLs: an integer >= 0 in seconds or ms,
 * relative to now or absolute, giving an absolute time in ms no later than
 * HFE_MAX_ABS_TIME_MSEC (2^46 - 1); the errors name the command.
 */
export function parseFieldExpire(ctx: Ctx, arg: string, seconds: boolean, relative: boolean): number {
  const n = parseInt64(arg);
  if (n === null) throw new ReplyError(Err.notInteger);
  if (n < 0) throw new ReplyError(Err.hashExpireNegative);
  const invalid = () => new ReplyError(Err.invalidExpire(ctx.cmd.name));
  if (typeof n === 'bigint') throw invalid(); // beyond 2^53: far past the limit
  let v = n;
  if (seconds) {
    if (v > Math.floor(HFE_MAX_ABS_TIME_MSEC / 1000)) throw invalid();
    v *= 1000;
  }
  const base = relative ? ctx.server.now() : 0;
  if (v > HFE_MAX_ABS_TIME_MSEC - base) throw invalid();
  return v + base;
}

/**
 * The `numfields` argument at argv[i] (Redis's getRangeLongFromObjectOrReply
 * from 1): anything else, including a non-integer, replies `err`; then it
 * must count exactly the arguments after it (`per` each).
 */
export function parseNumFields(argv: string[], i: number, err: string): number {
  const n = parseInt64(argv[i]!);
  if (n === null || n < 1) throw new ReplyError(err);
  if (n !== argv.length - i - 1) throw new ReplyError(Err.hashNumfieldsMismatch);
  return Number(n);
}
