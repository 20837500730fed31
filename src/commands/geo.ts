/**
 * Geo commands: GEOADD GEOPOS GEODIST GEOHASH here; the searches (GEOSEARCH
 * GEOSEARCHSTORE GEORADIUS GEORADIUSBYMEMBER GEORADIUS_RO
 * GEORADIUSBYMEMBER_RO) in geo-search.ts, whose declarations `commands` here
 * lists too; geo-common.ts has the errors, formats and argument parsers.
 *
 * A geo index is a sorted set whose scores are 52-bit geohashes
 * (src/util/geohash.ts). GEOADD is ZADD with computed scores: it replays as
 * that ZADD and fires `zadd`. Searches scan the 9 cells Redis picks for the
 * shape, filter by exact distance (and box), then sort, so replies and their
 * order match redis-server. Distances reply as bulk strings with 4 decimals;
 * coordinates as Redis's "human" long double (%.17Lf, trailing zeros cut),
 * a bulk string in RESP2 and a double in RESP3.
 */
import { command, keyArg, keyAt, READ, UPDATE, type CommandSpec, type Ctx } from './spec.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { argDouble } from './args.js';
import { ZSet } from '../types/zset.js';
import { getZ, limits } from './zset-common.js';
import { validLonLat, scoreOf, scoreText, decodeScore, geohashString, distance } from '../util/geohash.js';
import { argUnit, fmtDistance, replyCoord, UNITS } from './geo-common.js';
import { searchCommands } from './geo-search.js';

export { humanLongDouble, fmtDistance } from './geo-common.js';

// ---------------------------------------------------------------------------
// GEOADD GEOPOS GEODIST GEOHASH

/**
 * GEOADD key [NX|XX] [CH] longitude latitude member [...]
 * ZADD with the points' scores: same counts, `zadd` event; replays as ZADD.
 */
function geoadd(ctx: Ctx): void {
  const { argv, reply, db } = ctx;
  let nx = false,
    xx = false,
    ch = false;
  let i = 2;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.length !== 2) break; // every option is two letters
    const u = a.toLowerCase();
    if (u === 'nx') nx = true;
    else if (u === 'xx') xx = true;
    else if (u === 'ch') ch = true;
    else break;
  }
  if ((argv.length - i) % 3 !== 0 || (nx && xx)) throw new ReplyError(Err.syntax);
  const n = (argv.length - i) / 3;
  if (n === 0) throw new ReplyError(Err.syntax); // ZADD with no pairs
  const key = argv[1]!;
  const scores = new Array<number>(n);
  let maxLen = 0;
  for (let k = 0; k < n; k++) {
    const lon = argDouble(argv[i + 3 * k]!);
    const lat = argDouble(argv[i + 3 * k + 1]!);
    if (!validLonLat(lon, lat)) throw new ReplyError(Err.geoBadPair(lon, lat));
    scores[k] = scoreOf(lon, lat)!;
    const len = argv[i + 3 * k + 2]!.length;
    if (len > maxLen) maxLen = len;
  }
  let z = getZ(ctx, key, true);
  let created = false;
  if (z === undefined) {
    if (xx) return reply.int(0);
    const [me, mv] = limits(ctx);
    z = new ZSet(me !== 0 && n <= me && maxLen <= mv);
    created = true;
  }
  let added = 0,
    updated = 0;
  for (let k = 0; k < n; k++) {
    const m = argv[i + 3 * k + 2]!;
    const score = scores[k]!;
    const slot = z.slot(m);
    if (slot >= 0) {
      if (nx) continue;
      if (z.scoreAt(slot) !== score) {
        z.update(slot, m, score);
        updated++;
      }
    } else {
      if (xx) continue;
      z.insertAfterMiss(score, m);
      added++;
    }
  }
  if (z.lp) {
    const [me, mv] = limits(ctx);
    z.checkConvert(me, mv, maxLen);
  }
  reply.int(ch ? added + updated : added);
  if (added + updated > 0) {
    if (created) db.set(key, z);
    else db.modified(key, added + updated);
    db.notify('z', 'zadd', key);
    if (ctx.propagating) ctx.replayAs([geoaddProp(argv, i, scores)]);
  }
}

/** GEOADD's replay: ZADD key [options] with each point's score as its exact integer, then the member. */
function geoaddProp(argv: string[], first: number, scores: number[]): string[] {
  const prop: string[] = ['zadd'];
  for (let j = 1; j < first; j++) prop.push(argv[j]!);
  for (let k = 0; k < scores.length; k++) {
    const p = first + 3 * k;
    const score = scores[k]!;
    // above 2^53 (a coordinate on an upper limit) the double is not the exact integer
    prop.push(score < 2 ** 53 ? String(score) : scoreText(argDouble(argv[p]!), argDouble(argv[p + 1]!))!, argv[p + 2]!);
  }
  return prop;
}

/** GEOPOS key [member ...] */
function geopos(ctx: Ctx): void {
  const { argv, reply } = ctx;
  const z = getZ(ctx, argv[1]!);
  reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const s = z?.score(argv[i]!);
    if (s === undefined) {
      reply.nullArray();
      continue;
    }
    const [lon, lat] = decodeScore(s);
    reply.array(2);
    replyCoord(reply, lon);
    replyCoord(reply, lat);
  }
}

/** GEODIST key member1 member2 [M|KM|FT|MI] */
function geodist(ctx: Ctx): void {
  const { argv, reply } = ctx;
  let toMeter = 1;
  if (argv.length === 5) toMeter = argUnit(argv[4]!);
  else if (argv.length > 5) throw new ReplyError(Err.syntax);
  const z = getZ(ctx, argv[1]!);
  const s1 = z?.score(argv[2]!);
  const s2 = z?.score(argv[3]!);
  if (s1 === undefined || s2 === undefined) return reply.null();
  const [a, b] = decodeScore(s1);
  const [c, d] = decodeScore(s2);
  reply.bulk(fmtDistance(distance(a, b, c, d) / toMeter));
}

/** GEOHASH key [member ...] */
function geohash(ctx: Ctx): void {
  const { argv, reply } = ctx;
  const z = getZ(ctx, argv[1]!);
  reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const s = z?.score(argv[i]!);
    if (s === undefined) reply.null();
    else reply.bulk(geohashString(s));
  }
}

const H = {
  geoadd,
  geopos,
  geodist,
  geohash,
};

// Declarations: interface facts checked against redis-server's COMMAND INFO/DOCS (test/compat).
export const commands: CommandSpec[] = [
  command({
    name: 'geoadd',
    arity: -5,
    flags: ['write', 'denyoom'],
    acl: ['geo'],
    keySpecs: [keyAt(1, UPDATE)],
    // (the members when no option comes first; with options these are other arguments: only a hint)
    members: [4, -1, 3],
    group: 'geo',
    since: '3.2.0',
    summary:
      'Adds points (longitude, latitude, member) to a sorted set used as a geospatial index; creates the key when missing.',
    complexity: 'O(log(N)) for each item added, where N is the number of elements in the sorted set.',
    history: [['6.2.0', 'Added the `CH`, `NX` and `XX` options.']],
    args: [
      keyArg(),
      {
        name: 'condition',
        type: 'oneof',
        since: '6.2.0',
        flags: ['optional'],
        arguments: [
          { name: 'nx', type: 'pure-token', token: 'NX' },
          { name: 'xx', type: 'pure-token', token: 'XX' },
        ],
      },
      { name: 'change', type: 'pure-token', token: 'CH', since: '6.2.0', flags: ['optional'] },
      {
        name: 'longitude_latitude_member',
        type: 'block',
        flags: ['multiple'],
        arguments: [
          { name: 'longitude', type: 'double' },
          { name: 'latitude', type: 'double' },
          { name: 'member', type: 'string' },
        ],
      },
    ],
    handler: H.geoadd,
  }),
  command({
    name: 'geopos',
    arity: -2,
    flags: ['readonly'],
    acl: ['geo'],
    keySpecs: [keyAt(1, READ)],
    members: [2, -1, 1],
    group: 'geo',
    since: '3.2.0',
    summary: 'Returns the longitude and latitude of members of a geospatial index.',
    complexity: 'O(N) where N is the number of members requested.',
    args: [keyArg(), { name: 'member', type: 'string', flags: ['multiple'] }],
    handler: H.geopos,
  }),
  command({
    name: 'geodist',
    arity: -4,
    flags: ['readonly'],
    acl: ['geo'],
    keySpecs: [keyAt(1, READ)],
    members: [2, 3, 1],
    group: 'geo',
    since: '3.2.0',
    summary: 'Returns the distance between two members of a geospatial index.',
    complexity: 'O(log(N))',
    args: [
      keyArg(),
      { name: 'member1', type: 'string' },
      { name: 'member2', type: 'string' },
      {
        name: 'unit',
        type: 'oneof',
        flags: ['optional'],
        arguments: UNITS,
      },
    ],
    handler: H.geodist,
  }),
  command({
    name: 'geohash',
    arity: -2,
    flags: ['readonly'],
    acl: ['geo'],
    keySpecs: [keyAt(1, READ)],
    members: [2, -1, 1],
    group: 'geo',
    since: '3.2.0',
    summary: 'Returns the members of a geospatial index as standard geohash strings.',
    complexity: 'O(log(N)) for each member requested, where N is the number of elements in the sorted set.',
    args: [keyArg(), { name: 'member', type: 'string', flags: ['multiple'] }],
    handler: H.geohash,
  }),
  ...searchCommands,
];
