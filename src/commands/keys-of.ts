/**
 * Finding a command's keys in its arguments, from its declaration alone:
 * the key specs (begin_search + find_keys, as Redis 7 defines them) and, for
 * commands whose keys the specs cannot describe reliably, the declaration's
 * own `getKeys`. Used by COMMAND GETKEYS / GETKEYSANDFLAGS, and meant for
 * cluster slot checks, ACL key permissions and client tracking.
 */
import type { CommandSpec, KeyRef, LegacyKeys } from './spec.js';
import { cstr } from '../util/strings.js';

/** Redis's string2ll for numkeys: plain decimal, no leading zeros, no '+'. */
function parseCount(s: string | undefined): number | null {
  if (s === undefined || !/^(0|-?[1-9]\d{0,17})$/.test(s)) return null;
  return Number(s);
}

/**
 * Keys found with the key specs (Redis's getKeysUsingKeySpecs). Returns
 * null when a spec does not fit the arguments (numkeys not a plain
 * non-negative number, or 0; a position past the end) or is
 * incomplete/unknown, so callers fall back to getKeys. With `partial`,
 * such specs are skipped instead. Each key carries its spec's flags.
 */
export function keysFromSpecs(cmd: CommandSpec, argv: readonly string[], partial = false): KeyRef[] | null {
  const out: KeyRef[] = [];
  const argc = argv.length;
  for (const spec of cmd.keySpecs ?? []) {
    if (spec.flags.includes('not_key')) continue;
    let first = 0;
    let last: number;
    let step: number;
    if (spec.begin && 'index' in spec.begin) first = spec.begin.index;
    else if (spec.begin && 'keyword' in spec.begin) {
      // from startfrom towards the end (never the last argument), or back
      // from the end (never argv[1]), as Redis searches
      const from = spec.begin.startfrom;
      const start = from > 0 ? from : argc + from;
      const end = from > 0 ? argc - 1 : 1;
      const kw = spec.begin.keyword.toLowerCase();
      for (let i = start; i !== end; i = start <= end ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if (cstr(argv[i]!).toLowerCase() === kw) {
          first = i + 1;
          break;
        }
      }
      if (!first) continue;
    } else if (partial) continue;
    else return null;

    const fk = spec.find;
    if (fk && 'lastkey' in fk) {
      step = fk.keystep;
      if (fk.lastkey >= 0) last = first + fk.lastkey;
      else if (!fk.limit) last = argc + fk.lastkey;
      else last = first + (Math.trunc((argc - first) / fk.limit) + fk.lastkey);
    } else if (fk && 'keynumidx' in fk) {
      step = fk.keystep;
      const n = fk.keynumidx >= argc ? null : parseCount(argv[first + fk.keynumidx]);
      if (n === null || n < 0) {
        if (partial) continue;
        return null;
      }
      first += fk.firstkey;
      last = first + n - 1;
    } else if (partial) continue;
    else return null;
    // a bound out of the arguments (numkeys 0 too) is a syntax error
    if (last >= argc || last < first || first >= argc) {
      if (partial) continue;
      return null;
    }
    for (let i = first; i <= last; i += step) out.push({ pos: i, flags: spec.flags });
    if (spec.flags.includes('incomplete') && !partial) return null;
  }
  return out;
}

/**
 * Every key of a command invocation with its flags (Redis's
 * getKeysFromCommandWithSpecs): the key specs when they are reliable
 * (some real key spec, none with variable_flags) and fit the arguments,
 * else the declaration's getKeys (a getKeys that returns positions only
 * gives keys without flags, as Redis's genericGetKeys does), else none.
 * `argv[0]` is the command (or container) name; for a subcommand, pass
 * the subcommand's declaration and the whole argv.
 */
export function keysAndFlagsOf(cmd: CommandSpec, argv: readonly string[]): KeyRef[] {
  const specs = cmd.keySpecs ?? [];
  if (specs.some((s) => !s.flags.includes('not_key')) && !specs.some((s) => s.flags.includes('variable_flags'))) {
    const r = keysFromSpecs(cmd, argv);
    if (r !== null) return r;
  }
  if (cmd.getKeys) {
    const got = cmd.getKeys(argv as string[]);
    if (got.length === 0 || typeof got[0] !== 'number') return got as KeyRef[];
    return (got as number[]).map((pos) => ({ pos, flags: [] }));
  }
  return [];
}

/** Redis's doesCommandHaveKeys: a getKeys, or a key spec that is not not_key. */
export function hasKeys(cmd: CommandSpec): boolean {
  return cmd.getKeys !== undefined || (cmd.keySpecs ?? []).some((s) => !s.flags.includes('not_key'));
}

/** The argv indexes of a command invocation's keys (cluster slots, ACL, GETKEYS). */
export function keysOf(cmd: CommandSpec, argv: readonly string[]): number[] {
  return keysAndFlagsOf(cmd, argv).map((k) => k.pos);
}

/* ---------------------------------------------------------------------------
 * The getKeys of the commands whose key specs are not enough (Redis's
 * *GetKeys functions in db.c): used when the specs do not fit the arguments
 * or have variable flags. Keywords are compared as C strings (up to a NUL),
 * as Redis's strcasecmp does.
 * ------------------------------------------------------------------------- */

/**
 * C's atoi as glibc has it ((int)strtol(s, 10)): leading white space, a
 * sign, digits up to the first other character; 0 when there are none;
 * strtol's clamp to the 64-bit range, then truncated to 32 bits.
 */
export function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)/.exec(cstr(s));
  if (m === null) return 0;
  let v = BigInt(m[2]!);
  if (m[1] === '-') v = -v;
  if (v > 9223372036854775807n) v = 9223372036854775807n;
  if (v < -9223372036854775808n) v = -9223372036854775808n;
  return Number(BigInt.asIntN(32, v));
}

/**
 * Redis's genericGetKeys: `count` keys from argv[first] (count read with
 * atoi at argv[countAt]), then the destination at argv[storeAt] when
 * storeAt is not 0; none when the count is below 1 or more than the
 * arguments hold. Keys carry no flags (their specs have them).
 * ZUNIONSTORE & co., ZUNION & co., SINTERCARD, EVAL/FCALL, LMPOP & co.
 */
export function numkeysGetKeys(storeAt: number, countAt: number, first: number): (argv: string[]) => number[] {
  return (argv) => {
    const n = atoi(argv[countAt] ?? '');
    if (n < 1 || n > argv.length - first) return [];
    const keys: number[] = [];
    for (let i = 0; i < n; i++) keys.push(first + i);
    if (storeAt) keys.push(storeAt);
    return keys;
  };
}

/**
 * XREAD / XREADGROUP (Redis's xreadGetKeys): the first half of what
 * follows STREAMS, found by skipping the options before it (BLOCK and
 * COUNT take one argument, GROUP two, NOACK none; anything else ends the
 * search); none when there is no STREAMS or an odd or zero count after it.
 */
export function xreadGetKeys(argv: string[]): number[] {
  let streams = -1;
  for (let i = 1; i < argv.length; i++) {
    const a = cstr(argv[i]!).toLowerCase();
    if (a === 'block' || a === 'count') i++;
    else if (a === 'group') i += 2;
    else if (a === 'noack') continue;
    else {
      if (a === 'streams') streams = i;
      break;
    }
  }
  const rest = streams < 0 ? 0 : argv.length - streams - 1;
  if (streams < 0 || rest === 0 || rest % 2 !== 0) return [];
  const keys: number[] = [];
  for (let i = streams + 1; i < argv.length - rest / 2; i++) keys.push(i);
  return keys;
}

/** SET (Redis's setGetKeys): the key is read as well when a GET argument follows the value. */
export function setGetKeys(argv: string[]): KeyRef[] {
  for (let i = 3; i < argv.length; i++) {
    if (cstr(argv[i]!).toLowerCase() === 'get') return [{ pos: 1, flags: ['RW', 'access', 'update'] }];
  }
  return [{ pos: 1, flags: ['OW', 'update'] }];
}

/**
 * BITFIELD (Redis's bitfieldGetKeys): read-only when every operation is a
 * complete GET (OVERFLOW allowed); a SET, an INCRBY or anything malformed
 * makes it a write.
 */
export function bitfieldGetKeys(argv: string[]): KeyRef[] {
  let readonly = true;
  for (let i = 2; i < argv.length; i++) {
    const more = argv.length - i - 1;
    const a = cstr(argv[i]!).toLowerCase();
    if (a === 'get' && more >= 2) i += 2;
    else if ((a === 'set' || a === 'incrby') && more >= 3) {
      readonly = false;
      break;
    } else if (a === 'overflow' && more >= 1) i += 1;
    else {
      readonly = false;
      break;
    }
  }
  return [{ pos: 1, flags: readonly ? ['RO', 'access'] : ['RW', 'access', 'update'] }];
}

/**
 * MIGRATE (Redis's migrateGetKeys): the key at 3, or every argument after
 * KEYS (found by skipping COPY, REPLACE, AUTH password and AUTH2 username
 * password); none when KEYS comes with a non-empty key argument (the
 * command refuses that).
 */
export function migrateGetKeys(argv: string[]): KeyRef[] {
  let first = 3;
  let num = 1;
  for (let i = 6; i < argv.length; i++) {
    const a = cstr(argv[i]!).toLowerCase();
    if (a === 'keys') {
      if (argv[3]!.length > 0) num = 0;
      else {
        first = i + 1;
        num = argv.length - first;
      }
      break;
    }
    if (a === 'auth') i += 1;
    else if (a === 'auth2') i += 2;
  }
  const keys: KeyRef[] = [];
  for (let i = 0; i < num; i++) keys.push({ pos: first + i, flags: ['RW', 'access', 'delete'] });
  return keys;
}

function isPlainRange(s: NonNullable<CommandSpec['keySpecs']>[number]): boolean {
  return !!s.begin && 'index' in s.begin && !!s.find && 'lastkey' in s.find;
}

/**
 * Redis's populateCommandLegacyRangeSpec + populateCommandMovableKeys: the
 * legacy (first, last, step) triple of COMMAND INFO, derived from the key
 * specs (one plain range spec, or consecutive step-1 range specs merged),
 * and whether the command has movable keys (specs the triple cannot
 * describe, or an incomplete spec).
 */
function legacyInfo(cmd: CommandSpec): LegacyKeys {
  return cmd.legacy ?? legacyKeysOf(cmd.keySpecs);
}

/** legacyInfo from a command's key specs (command() stores it as CommandSpec.legacy). */
export function legacyKeysOf(keySpecs: CommandSpec['keySpecs']): LegacyKeys {
  const specs = keySpecs ?? [];
  let movable = specs.some((s) => !isPlainRange(s));
  if (specs.length === 0) return { range: [0, 0, 0], movable };
  if (specs.length === 1 && isPlainRange(specs[0]!)) {
    const s = specs[0]!;
    const b = (s.begin as { index: number }).index;
    const f = s.find as { lastkey: number; keystep: number };
    if (s.flags.includes('incomplete')) movable = true;
    return { range: [b, f.lastkey >= 0 ? f.lastkey + b : f.lastkey, f.keystep], movable };
  }
  let first = Number.MAX_SAFE_INTEGER;
  let last = 0;
  let prevLast = 0;
  for (const s of specs) {
    if (!isPlainRange(s)) continue;
    const b = (s.begin as { index: number }).index;
    const f = s.find as { lastkey: number; keystep: number };
    if (f.keystep !== 1 || (prevLast && prevLast !== b - 1)) {
      movable = true;
      continue;
    }
    if (s.flags.includes('incomplete')) movable = true;
    first = Math.min(first, b);
    const abs = f.lastkey >= 0 ? f.lastkey + b : f.lastkey;
    // Unsigned comparison, as Redis does, so a negative (count-from-end) last key wins.
    last = last >>> 0 >= abs >>> 0 ? last : abs;
    prevLast = last;
  }
  if (first === Number.MAX_SAFE_INTEGER) return { range: [0, 0, 0], movable: true };
  return { range: [first, last < 0 ? last : last, 1], movable };
}

/** The legacy (first, last, step) of COMMAND INFO, derived from the key specs as Redis derives them. */
export function legacyKeyRange(cmd: CommandSpec): readonly [number, number, number] {
  return legacyInfo(cmd).range;
}

/** Whether COMMAND INFO shows the movablekeys flag (declared, or computed as Redis does). */
export function hasMovableKeys(cmd: CommandSpec): boolean {
  return cmd.flags.includes('movablekeys') || legacyInfo(cmd).movable;
}
