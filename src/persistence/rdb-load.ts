/**
 * RDB decoding: every type and encoding Redis 2.x to 7.2 writes (RDB
 * versions 1-11, and 7.4's hash field TTL types of version 12): strings
 * (raw, int, LZF), lists (linked, ziplist, quicklist of ziplists, quicklist
 * of listpacks), sets (members, intset, listpack), sorted sets (text and
 * binary doubles, ziplist, listpack), hashes (pairs, zipmap, ziplist,
 * listpack), streams (rdb-stream.ts). Module values are refused.
 *
 * Function libraries (FUNCTION2 records) are not values: snapshot-load.ts's
 * RdbLoader reads them and loads them through scripting/functions.ts.
 *
 * Validation. tsdis turns every blob into its own structures, so it reads
 * every entry of every listpack, ziplist, intset and zipmap, and it checks
 * them as Redis's deep sanitizer does (listpack.c lpValidateIntegrity,
 * ziplist.c ziplistValidateIntegrity, intset.c, zipmap.c, duplicates in
 * sets, hashes and sorted sets, stream listpacks and consumer groups),
 * whatever sanitize-dump-payload says: a payload is either refused while it
 * is decoded or becomes a value every command handles. Where Redis with
 * sanitize-dump-payload no accepts a blob it later asserts on (a set
 * listpack with a duplicate, a listpack entry reaching past its end, a
 * stream entry out of order), tsdis refuses it at once. A declared length
 * never allocates: data is only read as far as the bytes go.
 *
 * Errors are RdbError: tsdis's own detail and byte offset, the reason and
 * rdb.c line Redis 7.2.4 reports for the same failure (its log names both),
 * and whether the value was an empty collection (skipped when a file is
 * loaded, "Bad data format" for RESTORE). Values are built with the
 * encodings the config asks for (as Redis converts on load).
 * The reader and its errors are rdb-reader.ts; the compact encodings
 * (listpack, ziplist, intset, zipmap) rdb-compact.ts.
 * Callers: snapshot-load.ts (loading files), commands/persistence.ts (RESTORE).
 */
import type { Value } from '../keyspace/value.js';
import { readStream } from './rdb-stream.js';
import { storedStr } from '../keyspace/value.js';
import { List, elem } from '../types/list.js';
import { HashValue } from '../types/hash.js';
import { SetValue, INTSET, LISTPACK, HASHTABLE, isInt64Text, cmpInt } from '../types/set.js';
import { ZSet } from '../types/zset.js';
import * as R from './rdb-format.js';
import { WHY, type RdbReader, type Why, type LoadLimits, type ValueCtx } from './rdb-reader.js';
import { listpackEntries, ziplistEntries, intsetMembers, zipmapEntries, strtodPrefix } from './rdb-compact.js';

/* ---------------------------------------------------------------------------
 * Building values
 * ------------------------------------------------------------------------- */

/**
 * The rdb.c line Redis 7.2.4 names for a duplicate field at pair `dup` of an
 * RDB_TYPE_HASH: it depends on the encoding the hash had reached (listpack:
 * "Hash with dup elements"; converted to a hashtable: "Duplicate hash fields
 * detected" at the conversion, 2101, or after it, 2151).
 */
function hashDupWhy(pairs: string[], dup: number, lim: LoadLimits): Why {
  let ht = pairs.length / 2 > lim.hashEntries;
  for (let k = 0; k <= dup; k++) {
    if (ht) return WHY.hashDup(2151);
    const f = pairs[2 * k]!;
    const v = pairs[2 * k + 1]!;
    if (k === dup)
      return f.length > lim.hashValue || v.length > lim.hashValue ? WHY.hashDup(2101) : WHY.hashDupListpack;
    if (f.length > lim.hashValue || v.length > lim.hashValue) ht = true;
  }
  return WHY.hashDupListpack;
}

/** A hash from its fields and values (pairs); a duplicate field fails with `dupWhy(index of the pair)`. */
function buildHash(pairs: string[], lim: LoadLimits, r: RdbReader, at: number, dupWhy: (k: number) => Why): HashValue {
  const h = new HashValue();
  let small = pairs.length / 2 <= lim.hashEntries;
  if (small) for (const s of pairs) if (s.length > lim.hashValue) small = false;
  const seen = new Set<string>();
  for (let i = 0; i < pairs.length; i += 2) {
    if (seen.has(pairs[i]!)) r.fail('duplicate hash field', at, dupWhy(i / 2));
    seen.add(pairs[i]!);
  }
  h.load(pairs, small);
  return h;
}

/** Redis's EB_EXPIRE_TIME_MAX: a field expire time beyond it is corrupt. */
const EB_EXPIRE_TIME_MAX = 2 ** 48 - 1;

/**
 * A hash with field TTLs (the types of Redis 7.4: HASH_LISTPACK_EX,
 * HASH_METADATA and their 7.4 release candidate forms) from its fields,
 * values and expire times (0: none), in file order. Small ones become a
 * listpackex, each field put where Redis's listpackExAddNew puts it (so
 * fields with a TTL come first by time); larger ones, or ones with a long
 * field or value, a hashtable. `ordered`: the file claims listpackex order
 * (HASH_LISTPACK_EX), which is checked, as Redis's sanitizer does.
 */
function buildHashEx(
  flat: string[],
  ttls: number[],
  lim: LoadLimits,
  r: RdbReader,
  at: number,
  ordered: boolean,
): HashValue {
  const n = ttls.length;
  if (n === 0) r.empty(at);
  const w = ordered ? WHY.hashListpack : WHY.hashDup(2151);
  const seen = new Set<string>();
  let small = n <= lim.hashEntries;
  let prev = -1;
  for (let k = 0; k < n; k++) {
    const f = flat[2 * k]!;
    if (seen.has(f)) r.fail('duplicate hash field', at, w);
    seen.add(f);
    if (f.length > lim.hashValue || flat[2 * k + 1]!.length > lim.hashValue) small = false;
    const t = ttls[k]!;
    if (!Number.isInteger(t) || t < 0 || t > EB_EXPIRE_TIME_MAX) r.fail(`invalid hash field expire time ${t}`, at, w);
    if (ordered && t !== 0 && (prev === 0 || t < prev))
      r.fail('hash listpackex fields not ordered by expire time', at, w);
    prev = t;
  }
  const h = new HashValue();
  const ex = h.enableTtls();
  if (ordered) {
    // the listpack as it is (Redis keeps the loaded listpackex unchanged)
    h.load(flat, true);
    ex.lpt = ttls;
  } else {
    if (!small) h.toHashtable(); // (inserting into a large listpackex would be quadratic)
    for (let k = 0; k < n; k++) {
      const f = flat[2 * k]!;
      h.set(f, flat[2 * k + 1]!, Infinity);
      if (ttls[k] !== 0) h.setExpire(f, ttls[k]!);
    }
  }
  if (!small) h.toHashtable();
  return h;
}

/**
 * The rdb.c line Redis 7.2.4 names for a duplicate at index `dup` of an
 * RDB_TYPE_SET: the encoding the set had reached then (intset 1912, listpack
 * 1942, hashtable 1961), replaying its loader's conversions.
 */
function setDupLine(members: string[], dup: number, lim: LoadLimits): number {
  let enc = members.length > Math.min(lim.setIntsetEntries, 2 ** 30) ? HASHTABLE : INTSET;
  let maxLen = 0;
  for (let i = 0; i <= dup; i++) {
    const m = members[i]!;
    if (m.length > maxLen) maxLen = m.length;
    if (enc === INTSET) {
      if (isInt64Text(m)) {
        if (i === dup) return 1912;
        continue;
      }
      enc = i < lim.setListpackEntries && maxLen <= lim.setListpackValue ? LISTPACK : HASHTABLE;
    }
    if (enc === LISTPACK) {
      if (i < lim.setListpackEntries && m.length <= lim.setListpackValue) {
        if (i === dup) return 1942;
        continue;
      }
      enc = HASHTABLE;
    }
    if (i === dup) return 1961;
  }
  return 1961;
}

/** A set from its members; a duplicate fails with `dupWhy(index)`. */
function buildSet(members: string[], lim: LoadLimits, r: RdbReader, at: number, dupWhy: (i: number) => Why): SetValue {
  const seen = new Set<string>();
  for (let i = 0; i < members.length; i++) {
    if (seen.has(members[i]!)) r.fail('duplicate set member', at, dupWhy(i));
    seen.add(members[i]!);
  }
  const allInts = members.every(isInt64Text);
  if (allInts && members.length <= lim.setIntsetEntries) {
    const s = new SetValue(INTSET);
    s.m = members.slice().sort(cmpInt);
    s.recount();
    return s;
  }
  const s = new SetValue(LISTPACK);
  s.m = members;
  s.recount();
  if (members.length > lim.setListpackEntries || members.some((m) => m.length > lim.setListpackValue)) s.toHashtable();
  return s;
}

/** A sorted set from (member, score) pairs; NaN scores and duplicates fail with `nanWhy` / `dupWhy`. */
function buildZset(
  pairs: [string, number][],
  lim: LoadLimits,
  r: RdbReader,
  at: number,
  nanWhy: Why,
  dupWhy: Why,
): ZSet {
  let small = pairs.length <= lim.zsetEntries;
  if (small) for (const [m] of pairs) if (m.length > lim.zsetValue) small = false;
  const z = new ZSet(small);
  for (const [m, s] of pairs) {
    if (Number.isNaN(s)) r.fail('sorted set score is NaN', at, nanWhy);
    if (z.score(m) !== undefined) r.fail('duplicate sorted set member', at, dupWhy);
    z.insert(s, m);
  }
  return z;
}

/**
 * A sorted set from a ziplist's or listpack's flat member, score entries.
 * Everything wrong fails with the blob's reason `w` (Redis checks the pairs
 * and the members for duplicates). A score reads as Redis reads it
 * (strtodPrefix: text that is no number is 0); a NaN score, which Redis
 * would keep and then misorder, is refused.
 */
function pairsToZset(flat: string[], lim: LoadLimits, r: RdbReader, at: number, w: Why): ZSet {
  if (flat.length % 2 !== 0) r.fail('odd number of sorted set entries', at, w);
  if (flat.length === 0) r.empty(at);
  const pairs: [string, number][] = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i]!, strtodPrefix(flat[i + 1]!)]);
  return buildZset(pairs, lim, r, at, w, w);
}

/** Counts one blob validated deeply (Redis's stat_dump_payload_sanitizations). */
function sanitized(ctx: ValueCtx): void {
  if (ctx.deep) ctx.sanitizations++;
}

/**
 * Reads a value of the given type at the reader's position (after its type
 * byte). Fails with an RdbError: corrupt data, or `empty` for an empty
 * collection.
 */
export function readValue(r: RdbReader, type: number, ctx: ValueCtx): Value {
  const at = r.pos;
  const lim = ctx.limits;
  switch (type) {
    case R.T_STRING:
      return storedStr(r.str());
    case R.T_LIST: {
      const n = r.plainLen();
      if (n === 0) r.empty(at);
      const vals = [];
      for (let i = 0; i < n; i++) vals.push(elem(r.str()));
      return List.builtAsQuicklist(vals, ctx.lists);
    }
    case R.T_SET: {
      const n = r.plainLen();
      if (n === 0) r.empty(at);
      const m: string[] = [];
      for (let i = 0; i < n; i++) m.push(r.str());
      return buildSet(m, lim, r, at, (i) => WHY.setDup(setDupLine(m, i, lim)));
    }
    case R.T_ZSET:
    case R.T_ZSET_2: {
      const n = r.plainLen();
      if (n === 0) r.empty(at);
      const pairs: [string, number][] = [];
      for (let i = 0; i < n; i++) {
        const m = r.str();
        pairs.push([m, type === R.T_ZSET_2 ? r.double() : r.textDouble()]);
      }
      return buildZset(pairs, lim, r, at, WHY.zsetNan, WHY.zsetDup);
    }
    case R.T_HASH: {
      const n = r.plainLen();
      if (n === 0) r.empty(at);
      const pairs: string[] = [];
      for (let i = 0; i < n; i++) pairs.push(r.str(), r.str());
      return buildHash(pairs, lim, r, at, (k) => hashDupWhy(pairs, k, lim));
    }
    case R.T_HASH_ZIPMAP:
      return buildHash(zipmapEntries(r.strBytes(), r, at), lim, r, at, () => WHY.zipmap);
    case R.T_LIST_ZIPLIST: {
      const es = ziplistEntries(r.strBytes(), r, at, WHY.listZiplist);
      if (es.length === 0) r.empty(at);
      return List.builtAsQuicklist(es.map(elem), ctx.lists);
    }
    case R.T_SET_INTSET:
      sanitized(ctx);
      return buildSet(intsetMembers(r.strBytes(), r, at), lim, r, at, () => WHY.intset);
    case R.T_SET_LISTPACK: {
      sanitized(ctx);
      const es = listpackEntries(r.strBytes(), r, at, WHY.setListpack);
      if (es.length === 0) r.empty(at);
      return buildSet(es, lim, r, at, () => WHY.setListpack);
    }
    case R.T_ZSET_ZIPLIST:
      return pairsToZset(ziplistEntries(r.strBytes(), r, at, WHY.zsetZiplist), lim, r, at, WHY.zsetZiplist);
    case R.T_ZSET_LISTPACK:
      sanitized(ctx);
      return pairsToZset(listpackEntries(r.strBytes(), r, at, WHY.zsetListpack), lim, r, at, WHY.zsetListpack);
    case R.T_HASH_METADATA:
    case R.T_HASH_METADATA_PRE_GA: {
      // [earliest time] count, then per field: ttl (relative to it + 1, 0 none; absolute in the RC form), field, value
      const min = type === R.T_HASH_METADATA ? Number(r.i64le()) : 0;
      const n = r.plainLen();
      const flat: string[] = [];
      const ttls: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = r.plainLen();
        ttls.push(t === 0 ? 0 : type === R.T_HASH_METADATA ? t + min - 1 : t);
        flat.push(r.str(), r.str());
      }
      return buildHashEx(flat, ttls, lim, r, at, false);
    }
    case R.T_HASH_LISTPACK_EX:
    case R.T_HASH_LISTPACK_EX_PRE_GA: {
      // [earliest time (unused)] a listpack of field, value, expire time triplets
      if (type === R.T_HASH_LISTPACK_EX) r.i64le();
      sanitized(ctx);
      const es = listpackEntries(r.strBytes(), r, at, WHY.hashListpack);
      if (es.length % 3 !== 0) r.fail('hash listpackex entries are not triplets', at, WHY.hashListpack);
      const flat: string[] = [];
      const ttls: number[] = [];
      for (let i = 0; i < es.length; i += 3) {
        flat.push(es[i]!, es[i + 1]!);
        const t = es[i + 2]!;
        ttls.push(/^(0|[1-9][0-9]*)$/.test(t) ? Number(t) : NaN);
      }
      return buildHashEx(flat, ttls, lim, r, at, true);
    }
    case R.T_HASH_ZIPLIST:
    case R.T_HASH_LISTPACK: {
      const w = type === R.T_HASH_ZIPLIST ? WHY.hashZiplist : WHY.hashListpack;
      if (type === R.T_HASH_LISTPACK) sanitized(ctx);
      const flat =
        type === R.T_HASH_ZIPLIST ? ziplistEntries(r.strBytes(), r, at, w) : listpackEntries(r.strBytes(), r, at, w);
      if (flat.length % 2 !== 0) r.fail('odd number of hash entries', at, w);
      if (flat.length === 0) r.empty(at);
      return buildHash(flat, lim, r, at, () => w);
    }
    case R.T_LIST_QUICKLIST:
    case R.T_LIST_QUICKLIST_2: {
      const nodes = r.plainLen();
      if (nodes === 0) r.empty(at);
      const vals: (string | number)[] = [];
      for (let i = 0; i < nodes; i++) {
        let container = R.QL_PACKED;
        if (type === R.T_LIST_QUICKLIST_2) {
          const cat = r.pos;
          container = r.plainLen();
          if (container !== R.QL_PLAIN && container !== R.QL_PACKED)
            r.fail(`unknown quicklist container ${container}`, cat, WHY.quicklist);
        }
        const nat = r.pos;
        const blob = r.strBytes();
        // (an empty node's string: Redis fails there, reporting nothing)
        if (blob.length === 0) r.fail('empty quicklist node', nat);
        if (container === R.QL_PLAIN) vals.push(elem(blob.latin1Slice()));
        else if (type === R.T_LIST_QUICKLIST) {
          for (const e of ziplistEntries(blob, r, nat, WHY.quicklistZiplist)) vals.push(elem(e));
        } else {
          sanitized(ctx);
          for (const e of listpackEntries(blob, r, nat, WHY.quicklistListpack)) vals.push(elem(e));
        }
      }
      // (nodes whose listpack is empty are skipped; a list of only those is an empty key)
      if (vals.length === 0) r.empty(at);
      return List.builtAsQuicklist(vals, ctx.lists);
    }
    case R.T_STREAM_LISTPACKS:
    case R.T_STREAM_LISTPACKS_2:
    case R.T_STREAM_LISTPACKS_3:
      return readStream(r, type, ctx);
    case R.T_MODULE_PRE_GA:
      return r.fail('module values are not supported by tsdis', at - 1, WHY.modulePreGa);
    case R.T_MODULE_2: {
      const id = r.as(WHY.moduleId, () => r.len64());
      return r.fail('module values are not supported by tsdis', at - 1, WHY.module(moduleTypeName(id)));
    }
    default:
      return r.fail(`unknown value type ${type}`, at - 1, WHY.unknownType(type));
  }
}

const MODULE_NAME_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A module type's 9-character name from its 64-bit id (54 bits of name, 6 per character, then a 10-bit version). */
function moduleTypeName(id: bigint): string {
  let v = id >> 10n;
  let name = '';
  for (let i = 0; i < 9; i++) {
    name = MODULE_NAME_CHARS[Number(v & 63n)]! + name;
    v >>= 6n;
  }
  return name;
}

/** Whether a byte is a value type tsdis can read (as opposed to an opcode or garbage). */
export function isValueType(t: number): boolean {
  return (t >= 0 && t <= 7) || (t >= 9 && t <= 25);
}

// re-exported for callers that only import the loader
export { HASHTABLE };
