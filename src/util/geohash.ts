/**
 * Geohash arithmetic as Redis's GEO commands define it (formats and
 * algorithms are facts; written from their description):
 *
 * - a score is a 52-bit interleaved hash at 26 steps: latitude bits at even
 *   positions, longitude bits at odd ones, both as fixed-point offsets in
 *   lat ±85.05112878 (Web Mercator's limit) and lon ±180;
 * - a hash decodes to its cell's centre (clamped to the limits);
 * - distances are haversine on a sphere of radius 6372797.560856 m;
 * - a search covers the centre cell and its 8 neighbours at the step Redis
 *   estimates for the radius, dropping neighbours outside the bounding box.
 *
 * Hash bits are BigInts (uint64 arithmetic: a coordinate on the upper limit
 * sets a bit past 52, as in Redis). Pure functions; used by commands/geo.ts.
 */

export const STEP_MAX = 26;
export const LAT_MIN = -85.05112878;
export const LAT_MAX = 85.05112878;
export const LON_MIN = -180;
export const LON_MAX = 180;
export const EARTH_RADIUS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;
const D_R = Math.PI / 180.0;
const U64 = (1n << 64n) - 1n;
const EVEN = 0x5555555555555555n;
const ODD = 0xaaaaaaaaaaaaaaaan;

export interface Range {
  min: number;
  max: number;
}
export interface Hash {
  bits: bigint;
  step: number;
}
export interface Area {
  lon: Range;
  lat: Range;
}

const LON_RANGE: Range = { min: LON_MIN, max: LON_MAX };
const LAT_RANGE: Range = { min: LAT_MIN, max: LAT_MAX };
/** The ranges GEOHASH re-encodes with (the standard geohash latitude range). */
export const STD_LAT_RANGE: Range = { min: -90, max: 90 };

/** Spreads 16 bits to the even positions of 32 (bit tricks on a 32-bit integer). */
function spread16(x: number): number {
  x &= 0xffff;
  x = (x | (x << 8)) & 0x00ff00ff;
  x = (x | (x << 4)) & 0x0f0f0f0f;
  x = (x | (x << 2)) & 0x33333333;
  x = (x | (x << 1)) & 0x55555555;
  return x >>> 0;
}
/** Gathers the even-position bits of a 32-bit integer into 16 bits. */
function squash16(x: number): number {
  x &= 0x55555555;
  x = (x | (x >>> 1)) & 0x33333333;
  x = (x | (x >>> 2)) & 0x0f0f0f0f;
  x = (x | (x >>> 4)) & 0x00ff00ff;
  x = (x | (x >>> 8)) & 0x0000ffff;
  return x;
}

/** Spreads the low 32 bits of x to even positions (two 16-bit halves, not a 32-step BigInt loop). */
function spread(x: bigint): bigint {
  const v = Number(x & 0xffffffffn);
  return (BigInt(spread16(Math.floor(v / 65536))) << 32n) | BigInt(spread16(v & 0xffff));
}
/** Gathers the even-position bits of x (64 bits) into 32 bits. */
function squash(x: bigint): bigint {
  const lo = Number(x & 0xffffffffn);
  const hi = Number((x >> 32n) & 0xffffffffn);
  return BigInt(squash16(hi) * 65536 + squash16(lo));
}

/** Whether a lon/lat pair is within the indexable limits (GEOADD, FROMLONLAT). */
export function validLonLat(lon: number, lat: number): boolean {
  return !(lon > LON_MAX || lon < LON_MIN || lat > LAT_MAX || lat < LAT_MIN);
}

/** Encodes a point at `step` within the given ranges; null when out of the limits. */
export function encode(lon: number, lat: number, step: number, lonR: Range = LON_RANGE, latR: Range = LAT_RANGE): Hash | null {
  if (!validLonLat(lon, lat)) return null;
  if (lat < latR.min || lat > latR.max || lon < lonR.min || lon > lonR.max) return null;
  let latOff = (lat - latR.min) / (latR.max - latR.min);
  let lonOff = (lon - lonR.min) / (lonR.max - lonR.min);
  latOff *= 2 ** step;
  lonOff *= 2 ** step;
  // C converts to uint32 by truncation.
  const la = BigInt(Math.trunc(latOff)) & 0xffffffffn;
  const lo = BigInt(Math.trunc(lonOff)) & 0xffffffffn;
  return { bits: spread(la) | (spread(lo) << 1n), step };
}

/** A hash's bits aligned to 52 bits (the score's integer). */
export function align52(h: Hash): bigint {
  return (h.bits << BigInt(52 - h.step * 2)) & U64;
}

/** The 52-bit score of a point (GEOADD), as the integer ZADD receives. */
export function scoreOf(lon: number, lat: number): bigint | null {
  const h = encode(lon, lat, STEP_MAX);
  return h === null ? null : align52(h);
}

/** The cell of a hash. */
export function decodeArea(h: Hash, lonR: Range = LON_RANGE, latR: Range = LAT_RANGE): Area {
  const ilat = Number(squash(h.bits));
  const ilon = Number(squash(h.bits >> 1n));
  const div = 2 ** h.step;
  const latScale = latR.max - latR.min;
  const lonScale = lonR.max - lonR.min;
  return {
    lat: { min: latR.min + (ilat * 1.0 / div) * latScale, max: latR.min + ((ilat + 1) * 1.0 / div) * latScale },
    lon: { min: lonR.min + (ilon * 1.0 / div) * lonScale, max: lonR.min + ((ilon + 1) * 1.0 / div) * lonScale },
  };
}

/** A double score as C's (uint64_t) cast gives it (x86-64 behaviour for out-of-range values). */
function scoreBits(score: number): bigint {
  if (!Number.isFinite(score)) return score === Infinity ? 0n : 1n << 63n;
  const t = BigInt(Math.trunc(score));
  if (t >= 1n << 64n) return 0n;
  if (t < -(1n << 63n)) return 1n << 63n;
  return t & U64;
}

/** Decodes a score to [lon, lat]: the cell centre, clamped to the limits. */
export function decodeScore(score: number): [number, number] {
  const a = decodeArea({ bits: scoreBits(score), step: STEP_MAX });
  let lon = (a.lon.min + a.lon.max) / 2;
  if (lon > LON_MAX) lon = LON_MAX;
  if (lon < LON_MIN) lon = LON_MIN;
  let lat = (a.lat.min + a.lat.max) / 2;
  if (lat > LAT_MAX) lat = LAT_MAX;
  if (lat < LAT_MIN) lat = LAT_MIN;
  return [lon, lat];
}

const ALPHABET = '0123456789bcdefghjkmnpqrstuvwxyz';

/** The 11-character standard geohash of a score (GEOHASH): re-encoded with lat ±90, last char '0'. */
export function geohashString(score: number): string {
  const [lon, lat] = decodeScore(score);
  const h = encode(lon, lat, STEP_MAX, LON_RANGE, STD_LAT_RANGE);
  const bits = h === null ? 0n : h.bits;
  let s = '';
  for (let i = 0; i < 11; i++) {
    const idx = i === 10 ? 0 : Number((bits >> BigInt(52 - (i + 1) * 5)) & 0x1fn);
    s += ALPHABET[idx];
  }
  return s;
}

function degRad(d: number): number {
  return d * D_R;
}
function radDeg(r: number): number {
  return r / D_R;
}

/** Distance along a meridian between two latitudes (metres). */
export function latDistance(lat1: number, lat2: number): number {
  return EARTH_RADIUS * Math.abs(degRad(lat2) - degRad(lat1));
}

/** Haversine distance in metres. */
export function distance(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const lon1r = degRad(lon1);
  const lon2r = degRad(lon2);
  const v = Math.sin((lon2r - lon1r) / 2);
  if (v === 0.0) return latDistance(lat1, lat2);
  const lat1r = degRad(lat1);
  const lat2r = degRad(lat2);
  const u = Math.sin((lat2r - lat1r) / 2);
  const a = u * u + Math.cos(lat1r) * Math.cos(lat2r) * v * v;
  return 2.0 * EARTH_RADIUS * Math.asin(Math.sqrt(a));
}

/** A search shape: centre, and radius or box in the user's unit times `conversion` metres. */
export type Shape =
  | { type: 'radius'; lon: number; lat: number; conversion: number; radius: number }
  | { type: 'box'; lon: number; lat: number; conversion: number; width: number; height: number };

/** The distance (metres) of a point from the centre when inside the shape, else -1. */
export function distanceIfWithin(s: Shape, lon: number, lat: number): number {
  if (s.type === 'radius') {
    const d = distance(s.lon, s.lat, lon, lat);
    return d <= s.radius * s.conversion ? d : -1;
  }
  const w = s.width * s.conversion;
  const h = s.height * s.conversion;
  if (latDistance(lat, s.lat) > h / 2) return -1;
  if (distance(lon, lat, s.lon, lat) > w / 2) return -1;
  return distance(s.lon, s.lat, lon, lat);
}

/** The shape's bounding box: [minLon, minLat, maxLon, maxLat]. */
function boundingBox(s: Shape): [number, number, number, number] {
  const height = s.conversion * (s.type === 'radius' ? s.radius : s.height / 2);
  const width = s.conversion * (s.type === 'radius' ? s.radius : s.width / 2);
  const latDelta = radDeg(height / EARTH_RADIUS);
  const lonDeltaTop = radDeg(width / EARTH_RADIUS / Math.cos(degRad(s.lat + latDelta)));
  const lonDeltaBottom = radDeg(width / EARTH_RADIUS / Math.cos(degRad(s.lat - latDelta)));
  const south = s.lat < 0;
  return [
    south ? s.lon - lonDeltaBottom : s.lon - lonDeltaTop,
    s.lat - latDelta,
    south ? s.lon + lonDeltaBottom : s.lon + lonDeltaTop,
    s.lat + latDelta,
  ];
}

/** The step whose cells cover a radius (Redis's estimate, narrower near the poles). */
export function estimateSteps(meters: number, lat: number): number {
  if (meters === 0) return 26;
  let step = 1;
  while (meters < MERCATOR_MAX) {
    meters *= 2;
    step++;
  }
  step -= 2;
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return step;
}

/** Moves a hash one cell east (+1) / west (-1): the odd (longitude) bits, wrapping. */
function moveX(h: Hash, d: number): Hash {
  let x = h.bits & ODD;
  const y = h.bits & EVEN;
  const sh = BigInt(64 - h.step * 2);
  const zz = EVEN >> sh;
  if (d > 0) x = (x + (zz + 1n)) & U64;
  else {
    x = x | zz;
    x = (x - (zz + 1n)) & U64;
  }
  x &= ODD >> sh;
  return { bits: x | y, step: h.step };
}
/** Moves a hash one cell north (+1) / south (-1): the even (latitude) bits, wrapping. */
function moveY(h: Hash, d: number): Hash {
  const x = h.bits & ODD;
  let y = h.bits & EVEN;
  const sh = BigInt(64 - h.step * 2);
  const zz = ODD >> sh;
  if (d > 0) y = (y + (zz + 1n)) & U64;
  else {
    y = y | zz;
    y = (y - (zz + 1n)) & U64;
  }
  y &= EVEN >> sh;
  return { bits: x | y, step: h.step };
}

/**
 * The cells to scan for a shape, in Redis's order: centre, N, S, E, W, NE,
 * NW, SE, SW; null for a neighbour excluded as outside the bounding box.
 */
export function searchCells(s: Shape): (Hash | null)[] {
  const [minLon, minLat, maxLon, maxLat] = boundingBox(s);
  const r = s.type === 'radius' ? s.radius : Math.sqrt((s.width / 2) * (s.width / 2) + (s.height / 2) * (s.height / 2));
  let steps = estimateSteps(r * s.conversion, s.lat);
  const cells = (st: number): { hash: Hash; n: Hash[] } => {
    const hash = encode(s.lon, s.lat, st) ?? { bits: 0n, step: st };
    const n = [moveY(hash, 1), moveY(hash, -1), moveX(hash, 1), moveX(hash, -1)];
    return { hash, n };
  };
  let c = cells(steps);
  const north = decodeArea(c.n[0]!);
  const south = decodeArea(c.n[1]!);
  const east = decodeArea(c.n[2]!);
  const west = decodeArea(c.n[3]!);
  const decrease = north.lat.max < maxLat || south.lat.min > minLat || east.lon.max < maxLon || west.lon.min > minLon;
  if (steps > 1 && decrease) {
    steps--;
    c = cells(steps);
  }
  const h = c.hash;
  const area = decodeArea(h);
  const N = moveY(h, 1), S = moveY(h, -1), E = moveX(h, 1), W = moveX(h, -1);
  const out: (Hash | null)[] = [h, N, S, E, W, moveY(moveX(h, 1), 1), moveY(moveX(h, -1), 1), moveY(moveX(h, 1), -1), moveY(moveX(h, -1), -1)];
  if (steps >= 2) {
    // indexes: 1 N, 2 S, 3 E, 4 W, 5 NE, 6 NW, 7 SE, 8 SW
    const zero = (...ix: number[]): void => ix.forEach((i) => (out[i] = null));
    if (area.lat.min < minLat) zero(2, 8, 7);
    if (area.lat.max > maxLat) zero(1, 5, 6);
    if (area.lon.min < minLon) zero(4, 8, 6);
    if (area.lon.max > maxLon) zero(3, 7, 5);
  }
  return out;
}

/** The score range [min, max) a cell covers at 52 bits. */
export function cellScoreRange(h: Hash): [number, number] {
  return [Number(align52(h)), Number(align52({ bits: h.bits + 1n, step: h.step }))];
}
