/**
 * Finding a command's keys in its arguments, from its declaration alone:
 * the key specs (begin_search + find_keys, as Redis 7 defines them) and, for
 * commands whose keys the specs cannot describe reliably, the declaration's
 * own `getKeys`. Used by COMMAND GETKEYS / GETKEYSANDFLAGS, and meant for
 * cluster slot checks, ACL key permissions and client tracking.
 */
import type { CommandSpec, KeyRef, KeySpecFlag } from './spec.js';

/** Redis's string2ll for numkeys: plain decimal, no leading zeros, no '+'. */
function parseCount(s: string | undefined): number | null {
  if (s === undefined || !/^(0|-?[1-9]\d{0,17})$/.test(s)) return null;
  return Number(s);
}

/**
 * Keys found with the key specs (Redis's getKeysUsingKeySpecs). Returns
 * null when a spec does not fit the arguments (bad numkeys, missing
 * arguments) or is incomplete/unknown, so callers fall back to getKeys.
 * With `partial`, such specs are skipped instead.
 */
export function keysFromSpecs(cmd: CommandSpec, argv: readonly string[], partial = false): KeyRef[] | null {
  const out: KeyRef[] = [];
  const argc = argv.length;
  for (const spec of cmd.keySpecs ?? []) {
    if (spec.flags.includes('not_key')) continue;
    let first = 0;
    let last: number;
    let step: number;
    const bad = (): boolean => !partial;
    if (spec.begin && 'index' in spec.begin) first = spec.begin.index;
    else if (spec.begin && 'keyword' in spec.begin) {
      const from = spec.begin.startfrom;
      const start = from > 0 ? from : argc + from;
      const end = from > 0 ? argc - 1 : 0;
      for (let i = start; i !== end; i = start <= end ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if (argv[i]!.toLowerCase() === spec.begin.keyword.toLowerCase()) {
          first = i + 1;
          break;
        }
      }
      if (!first) continue;
    } else if (bad()) return null;
    else continue;

    const fk = spec.find;
    if (fk && 'lastkey' in fk) {
      step = fk.keystep;
      if (fk.lastkey >= 0) last = first + fk.lastkey;
      else if (!fk.limit) last = argc + fk.lastkey;
      else last = first + (Math.floor((argc - first) / fk.limit) + fk.lastkey);
    } else if (fk && 'keynumidx' in fk) {
      step = fk.keystep;
      if (fk.keynumidx >= argc - first) {
        if (bad()) return null;
        continue;
      }
      const n = parseCount(argv[first + fk.keynumidx]);
      if (n === null || n < 0) {
        if (bad()) return null;
        continue;
      }
      first += fk.firstkey;
      last = first + n - 1;
      if (n === 0) continue;
    } else {
      if (bad()) return null;
      continue;
    }
    if (last >= argc || last < first || first >= argc) {
      if (bad()) return null;
      continue;
    }
    for (let i = first; i <= last; i += step) out.push({ pos: i, flags: spec.flags.filter((f) => f !== 'variable_flags') as KeySpecFlag[] });
    if (spec.flags.includes('incomplete')) {
      if (bad()) return null;
    }
  }
  return out;
}

/**
 * Every key of a command invocation with its flags (Redis's
 * getKeysFromCommandWithSpecs): the key specs when they are reliable
 * (some real key spec and no variable_flags), else the declaration's
 * getKeys, else the specs anyway, else none. `argv[0]` is the command (or container) name; for a
 * subcommand, pass the subcommand's declaration and the whole argv.
 */
export function keysAndFlagsOf(cmd: CommandSpec, argv: readonly string[]): KeyRef[] {
  const specs = cmd.keySpecs ?? [];
  const hasKeySpec = specs.some((s) => !s.flags.includes('not_key'));
  const hasVarFlags = specs.some((s) => s.flags.includes('variable_flags'));
  if (hasKeySpec && !hasVarFlags) {
    const r = keysFromSpecs(cmd, argv);
    if (r !== null) return r;
  }
  if (cmd.getKeys) {
    const got = cmd.getKeys(argv as string[]);
    if (got.length === 0 || typeof got[0] !== 'number') return got as KeyRef[];
    // Positions only: take each key's flags from the spec that covers it.
    const byPos = new Map((keysFromSpecs(cmd, argv, true) ?? []).map((k) => [k.pos, k.flags]));
    const fallback = (specs[0]?.flags ?? []).filter((f) => f !== 'variable_flags') as KeySpecFlag[];
    return (got as number[]).map((pos) => ({ pos, flags: byPos.get(pos) ?? fallback }));
  }
  // variable_flags without a getKeys: the specs still find the keys (their flags are the widest).
  if (hasKeySpec) return keysFromSpecs(cmd, argv) ?? [];
  return [];
}

/** The argv indexes of a command invocation's keys (cluster slots, ACL, GETKEYS). */
export function keysOf(cmd: CommandSpec, argv: readonly string[]): number[] {
  return keysAndFlagsOf(cmd, argv).map((k) => k.pos);
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
function legacyInfo(cmd: CommandSpec): { range: [number, number, number]; movable: boolean } {
  const specs = cmd.keySpecs ?? [];
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
    last = (last >>> 0) >= (abs >>> 0) ? last : abs;
    prevLast = last;
  }
  if (first === Number.MAX_SAFE_INTEGER) return { range: [0, 0, 0], movable: true };
  return { range: [first, last < 0 ? last : last, 1], movable };
}

/** The legacy (first, last, step) of COMMAND INFO: the declaration's `keys` when given, else derived. */
export function legacyKeyRange(cmd: CommandSpec): [number, number, number] {
  return cmd.keys ?? legacyInfo(cmd).range;
}

/** Whether COMMAND INFO shows the movablekeys flag (declared, or computed as Redis does). */
export function hasMovableKeys(cmd: CommandSpec): boolean {
  return cmd.flags.includes('movablekeys') || legacyInfo(cmd).movable;
}
