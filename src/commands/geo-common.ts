/**
 * What the geo command files share (geo.ts, geo-search.ts): the error
 * texts, the reply formats of distances and coordinates, and the argument
 * parsers (longitude/latitude, units, radius, box).
 */
import { Err, ReplyError } from '../protocol/errors.js';
import { formatFixed } from '../util/numbers.js';
import { argDouble } from './args.js';
import type { Reply } from '../protocol/writer.js';
import { ZSet } from '../types/zset.js';
import { validLonLat, decodeScore } from '../util/geohash.js';
import type { ArgDoc } from './spec.js';

// ---------------------------------------------------------------------------
// Formatting

/**
 * Redis's "human" long double text of a double (coordinates): printf
 * "%.17Lf" (exact value, round half to even) with trailing zeros and a
 * trailing dot removed.
 */
export function humanLongDouble(x: number): string {
  if (x === 0) return '0';
  const ax = Math.abs(x);
  // toFixed is exact too, but rounds a tie half up (on the magnitude): a tie,
  // x·10^17 ending in exactly .5, happens only for x = odd / 2^18 (x·10^17 =
  // odd·5^17·2^(17-k) for x = odd / 2^k), left to the exact formatFixed.
  const fast = ax < 1e21 && !(Number.isInteger(ax * 262144) && !Number.isInteger(ax * 131072));
  const t = fast ? x.toFixed(17) : formatFixed(x, 17);
  let end = t.length;
  while (t.charCodeAt(end - 1) === 48) end--;
  if (t.charCodeAt(end - 1) === 46) end--;
  return t.slice(0, end);
}

/** A distance with 4 decimals (Redis 7.2: the value times 10^4 rounded half to even). */
export function fmtDistance(d: number): string {
  if (d === 0) return '0.0000';
  const v = d * 10000;
  let r = Math.round(v);
  if (r - v === 0.5 && r % 2 !== 0) r -= 1; // Math.round rounds .5 up; llrint to even
  const neg = r < 0;
  const a = Math.abs(r);
  const s = (a < 1e21 ? String(a) : BigInt(a).toString()).padStart(5, '0');
  return (neg ? '-' : '') + s.slice(0, -4) + '.' + s.slice(-4);
}

/** A coordinate: bulk string in RESP2, RESP3 double (the same text). */
export function replyCoord(reply: Reply, x: number): void {
  const s = humanLongDouble(x);
  if (reply.resp === 3) reply.raw(',' + s + '\r\n');
  else reply.bulk(s);
}

// ---------------------------------------------------------------------------
// Arguments

/** A longitude, latitude pair at argv[i], argv[i+1], within the indexable limits. */
export function argLonLat(argv: string[], i: number): [number, number] {
  const lon = argDouble(argv[i]!);
  const lat = argDouble(argv[i + 1]!);
  if (!validLonLat(lon, lat)) throw new ReplyError(Err.geoBadPair(lon, lat));
  return [lon, lat];
}

/** Metres per unit (m km ft mi, any case). */
export function argUnit(s: string): number {
  switch (s.toLowerCase()) {
    case 'm':
      return 1;
    case 'km':
      return 1000;
    case 'ft':
      return 0.3048;
    case 'mi':
      return 1609.34;
  }
  throw new ReplyError(Err.geoUnit);
}

/** radius unit at argv[i]: [radius, metres per unit]. */
export function argRadius(argv: string[], i: number): [number, number] {
  const r = argDouble(argv[i]!, Err.geoNumRadius);
  if (r < 0) throw new ReplyError(Err.geoNegRadius);
  return [r, argUnit(argv[i + 1]!)];
}

/** width height unit at argv[i]: [width, height, metres per unit]. */
export function argBox(argv: string[], i: number): [number, number, number] {
  const w = argDouble(argv[i]!, Err.geoNumWidth);
  const h = argDouble(argv[i + 1]!, Err.geoNumHeight);
  if (h < 0 || w < 0) throw new ReplyError(Err.geoNegBox);
  return [w, h, argUnit(argv[i + 2]!)];
}

/** A member's position, or throws "could not decode requested zset member". */
export function memberLonLat(z: ZSet, member: string): [number, number] {
  const s = z.score(member);
  if (s === undefined) throw new ReplyError(Err.geoMember);
  return decodeScore(s);
}

/** COMMAND DOCS: the distance units every geo command with a radius, a box or a distance takes. */
export const UNITS: readonly ArgDoc[] = [
  { name: 'm', type: 'pure-token', token: 'M' },
  { name: 'km', type: 'pure-token', token: 'KM' },
  { name: 'ft', type: 'pure-token', token: 'FT' },
  { name: 'mi', type: 'pure-token', token: 'MI' },
];

/** COMMAND DOCS: the optional WITHCOORD WITHDIST WITHHASH of the radius and search commands. */
export const WITH_FLAGS: readonly ArgDoc[] = [
  { name: 'withcoord', type: 'pure-token', token: 'WITHCOORD', flags: ['optional'] },
  { name: 'withdist', type: 'pure-token', token: 'WITHDIST', flags: ['optional'] },
  { name: 'withhash', type: 'pure-token', token: 'WITHHASH', flags: ['optional'] },
];
