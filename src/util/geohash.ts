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
 * A hash is kept de-interleaved, as its latitude and longitude cell indexes
 * (uint32 each; a coordinate on an upper limit gives index 2^step, a bit past
 * the step, as Redis's uint64 arithmetic does). Interleaving happens only to
 * make a score or a geohash string, and a score is decoded with plain double
 * arithmetic: no BigInt on the per-point paths (GEOADD, and a search decodes
 * every point of up to 9 cells). ShapeFilter tests a scan's points against
 * a search shape, rejecting most of those outside from their score's bits.
 * Pure functions (plus one scratch output array); used by commands/geo.ts.
 */
import { DOUBLE_ZERO } from './numbers.js';

export const STEP_MAX = 26;
export const LAT_MIN = -85.05112878;
export const LAT_MAX = 85.05112878;
export const LON_MIN = -180;
export const LON_MAX = 180;
export const EARTH_RADIUS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;
const D_R = Math.PI / 180.0;

export interface Range {
  min: number;
  max: number;
}
/** A cell at `step` (1..26): its latitude and longitude indexes. */
export interface Hash {
  lat: number;
  lon: number;
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

/** POW2[k] = 2^k for k in 0..64 (a lookup: `2 ** k` with a variable k is a call to pow). */
const POW2: number[] = [];
for (let k = 0, v = 1; k <= 64; k++, v *= 2) POW2.push(v);

/** Spreads 16 bits to the even positions of 32 (bit tricks on a 32-bit integer). */
function spread16(x: number): number {
  x &= 0xffff;
  x = (x | (x << 8)) & 0x00ff00ff;
  x = (x | (x << 4)) & 0x0f0f0f0f;
  x = (x | (x << 2)) & 0x33333333;
  x = (x | (x << 1)) & 0x55555555;
  return x;
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

/** The high 32 bits of a hash's interleaved 64-bit value (uint32). */
function interleavedHi(h: Hash): number {
  return (spread16(h.lat >>> 16) | (spread16(h.lon >>> 16) << 1)) >>> 0;
}
/** The low 32 bits of a hash's interleaved 64-bit value (uint32). */
function interleavedLo(h: Hash): number {
  return (spread16(h.lat) | (spread16(h.lon) << 1)) >>> 0;
}

/** Whether a lon/lat pair is within the indexable limits (GEOADD, FROMLONLAT). */
export function validLonLat(lon: number, lat: number): boolean {
  return !(lon > LON_MAX || lon < LON_MIN || lat > LAT_MAX || lat < LAT_MIN);
}

/** Encodes a point at `step` within the given ranges; null when out of the limits. */
export function encode(
  lon: number,
  lat: number,
  step: number,
  lonR: Range = LON_RANGE,
  latR: Range = LAT_RANGE,
): Hash | null {
  if (!validLonLat(lon, lat)) return null;
  if (lat < latR.min || lat > latR.max || lon < lonR.min || lon > lonR.max) return null;
  let latOff = (lat - latR.min) / (latR.max - latR.min);
  let lonOff = (lon - lonR.min) / (lonR.max - lonR.min);
  latOff *= POW2[step]!;
  lonOff *= POW2[step]!;
  // C converts to uint32 by truncation (>>> 0 is that conversion, modulo 2^32).
  return { lat: Math.trunc(latOff) >>> 0, lon: Math.trunc(lonOff) >>> 0, step };
}

/**
 * A hash's bits aligned to 52 bits (the score) as a double: exact below
 * 2^53; above (a coordinate on an upper limit) rounded to nearest even, as
 * C's uint64 -> double conversion. `plus` (0 or 1) is added to the bits
 * first (the end of a cell's range).
 */
function aligned(h: Hash, plus: number): number {
  return (interleavedHi(h) * 4294967296 + (interleavedLo(h) + plus)) * POW2[52 - h.step * 2]!;
}

/** The 52-bit score of a point (GEOADD) as the double ZADD stores; null when out of the limits. */
export function scoreOf(lon: number, lat: number): number | null {
  const h = encode(lon, lat, STEP_MAX);
  return h === null ? null : aligned(h, 0);
}

/**
 * The exact decimal integer of a point's 52-bit score (what GEOADD
 * propagates as ZADD's score; more than 53 bits only on an upper limit).
 */
export function scoreText(lon: number, lat: number): string | null {
  const h = encode(lon, lat, STEP_MAX);
  if (h === null) return null;
  const hi = interleavedHi(h);
  const lo = interleavedLo(h);
  if (hi < 0x200000) return String(hi * 4294967296 + lo);
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}

const LAT_SCALE = LAT_MAX - LAT_MIN;
const LON_SCALE = LON_MAX - LON_MIN;
const DIV52 = 2 ** STEP_MAX;

/** The cell of a hash. */
export function decodeArea(h: Hash, lonR: Range = LON_RANGE, latR: Range = LAT_RANGE): Area {
  const ilat = h.lat;
  const ilon = h.lon;
  const div = POW2[h.step]!;
  const latScale = latR.max - latR.min;
  const lonScale = lonR.max - lonR.min;
  return {
    lat: { min: latR.min + ((ilat * 1.0) / div) * latScale, max: latR.min + (((ilat + 1) * 1.0) / div) * latScale },
    lon: { min: lonR.min + ((ilon * 1.0) / div) * lonScale, max: lonR.min + (((ilon + 1) * 1.0) / div) * lonScale },
  };
}

/**
 * decodeTo's output: [longitude, latitude] of the last decoded score. Module
 * scratch so the search loop allocates nothing per point.
 */
export const decoded = new Float64Array(2);

/**
 * Decodes a score to its cell centre, clamped to the limits, into `decoded`.
 * The score's bits are C's (uint64_t) cast of the double (x86-64 behaviour
 * for out-of-range values: +inf and >= 2^64 give 0, below -2^63 / -inf /
 * NaN give 2^63), taken as two 32-bit words with plain double arithmetic
 * (exact: every step is a power-of-two scaling or an exact difference).
 */
export function decodeTo(score: number): void {
  let hi: number, lo: number;
  if (score >= 0 && score < 18446744073709551616) {
    // the usual case: ToUint32 (>>> 0) truncates, then takes the value modulo 2^32
    lo = score >>> 0;
    hi = (score / 4294967296) >>> 0;
  } else if (score < 0 && score >= -9223372036854775808) {
    const t = Math.trunc(score);
    const q = Math.floor(t / 4294967296);
    lo = t - q * 4294967296;
    hi = q >>> 0;
  } else if (score === Infinity || score >= 18446744073709551616) {
    hi = 0;
    lo = 0;
  } else {
    hi = 0x80000000;
    lo = 0;
  }
  // latitude bits at even positions, longitude at odd ones
  decodeIndexes(squash16(lo) + squash16(hi) * 65536, squash16(lo >>> 1) + squash16(hi >>> 1) * 65536);
}

/** The centre of the step-26 cell (ilat, ilon), clamped to the limits, into `decoded`. */
function decodeIndexes(ilat: number, ilon: number): void {
  // the same operations as decodeArea, then the centre
  const latMin = LAT_MIN + (ilat / DIV52) * LAT_SCALE;
  const latMax = LAT_MIN + ((ilat + 1) / DIV52) * LAT_SCALE;
  const lonMin = LON_MIN + (ilon / DIV52) * LON_SCALE;
  const lonMax = LON_MIN + ((ilon + 1) / DIV52) * LON_SCALE;
  let lat = (latMin + latMax) / 2;
  let lon = (lonMin + lonMax) / 2;
  if (lon > LON_MAX) lon = LON_MAX;
  if (lon < LON_MIN) lon = LON_MIN;
  if (lat > LAT_MAX) lat = LAT_MAX;
  if (lat < LAT_MIN) lat = LAT_MIN;
  decoded[0] = lon;
  decoded[1] = lat;
}

/** Decodes a score to [lon, lat]: the cell centre, clamped to the limits. */
export function decodeScore(score: number): [number, number] {
  decodeTo(score);
  return [decoded[0]!, decoded[1]!];
}

const ALPHABET = '0123456789bcdefghjkmnpqrstuvwxyz';

/** The 11-character standard geohash of a score (GEOHASH): re-encoded with lat ±90, last char '0'. */
export function geohashString(score: number): string {
  decodeTo(score);
  const h = encode(decoded[0]!, decoded[1]!, STEP_MAX, LON_RANGE, STD_LAT_RANGE);
  // bits 0..51 of the interleaved value (the 10 characters read no higher), exact in a double
  const v = h === null ? 0 : (interleavedHi(h) & 0xfffff) * 4294967296 + interleavedLo(h);
  let s = '';
  for (let i = 0; i < 10; i++) s += ALPHABET[Math.floor(v / POW2[52 - (i + 1) * 5]!) % 32];
  return s + ALPHABET[0];
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

/** Relative and absolute slack of ShapeFilter's rejections (far above the formulas' rounding). */
const SLACK = 1e-9;
const TINY = 1e-100;
const IDX_MASK = DIV52 - 1;

/**
 * distanceIfWithin for the points of a search's scan, one centre: the same
 * results, bit for bit, faster. Two conservative tests reject most points
 * outside the shape without the haversine formula's transcendental calls;
 * whatever passes gets the exact computation.
 *
 * - latitude: the haversine distance is never below the meridian distance
 *   R·|Δφ| (its a = sin²(Δφ/2) + cos φ1·cos φ2·sin²(Δλ/2) >= sin²(Δφ/2)),
 *   so |Δφ| > r/R rejects (a box: half its height for r, which is exactly
 *   its own first test);
 * - longitude: past that test |φ2| <= |φ1| + r/R, so cos φ2 >= cMin :=
 *   cos(|φ1| + r/R), and a >= c·cMin·sin²(Δλ/2) with c = cos φ1 (radius)
 *   or cMin (a box's second test measures along the point's parallel,
 *   a = cos² φ2·sin²(Δλ/2)); once that exceeds sin²(r/2R) the point is out,
 *   i.e. when |Δλ| (wrapped to [0, π], where sin²(Δλ/2) grows) exceeds
 *   2·asin(sqrt(sin²(r/2R) / (c·cMin))) (a box: half its width for r).
 *
 * Both compare the same computed Δφ and Δλ the exact formulas use, with a
 * relative slack of 1e-9 (their rounding is ~1e-15) and an absolute one
 * against underflow, and are skipped where their premises fail (near a
 * pole, or a shape spanning a quarter of the globe). They are also turned
 * into bounds on a score's cell indexes (2.5 cells wider), so most points
 * of a scan are rejected from their score's bits before being decoded.
 * Used by commands/geo.ts.
 */
export class ShapeFilter {
  private readonly radius: boolean;
  private readonly lon1r: number = DOUBLE_ZERO;
  private readonly lat1r: number = DOUBLE_ZERO;
  private readonly cosLat1: number = DOUBLE_ZERO;
  /** radius: the radius in metres */
  private readonly r: number = DOUBLE_ZERO;
  /** reject when |Δφ| exceeds it */
  private readonly dPhiMax: number = DOUBLE_ZERO;
  /** reject when the wrapped |Δλ| exceeds it (Infinity: no test) */
  private readonly dLonMax: number = DOUBLE_ZERO;
  /** Index prefilter: latitude index within [iLatLo, iLatHi], longitude index - iLonLo (mod 2^26) <= iLonW. */
  private readonly iLatLo: number = 0;
  private readonly iLatHi: number = 0;
  private readonly iLonLo: number = 0;
  private readonly iLonW: number = 0;

  constructor(private readonly s: Shape) {
    this.radius = s.type === 'radius';
    this.lon1r = degRad(s.lon);
    this.lat1r = degRad(s.lat);
    this.cosLat1 = Math.cos(this.lat1r);
    this.r = s.type === 'radius' ? s.radius * s.conversion : 0;
    const halfLat = s.type === 'radius' ? this.r : (s.height * s.conversion) / 2;
    const halfLon = s.type === 'radius' ? this.r : (s.width * s.conversion) / 2;
    const dPhi = halfLat / EARTH_RADIUS;
    this.dPhiMax = Number.isFinite(dPhi) ? dPhi * (1 + SLACK) + TINY : Infinity;
    let dLonMax = Infinity;
    const phiMax = Math.abs(this.lat1r) + this.dPhiMax;
    const dLon = halfLon / EARTH_RADIUS;
    if (dLon < Math.PI / 2 && phiMax < Math.PI / 2 - 1e-6) {
      const cMin = Math.cos(phiMax) * (1 - SLACK);
      const c = this.radius ? this.cosLat1 : cMin;
      const h = Math.sin(dLon / 2);
      const k = ((h * h) / (c * cMin)) * (1 + SLACK);
      if (cMin > 1e-9 && c > 1e-9 && k < 1) dLonMax = 2 * Math.asin(Math.sqrt(k)) * (1 + SLACK) + TINY;
    }
    this.dLonMax = dLonMax;

    // Index bounds: a cell centre 2.5 cells outside a band is rejected by the tests above.
    const latLo = (this.lat1r - this.dPhiMax) / D_R;
    const latHi = (this.lat1r + this.dPhiMax) / D_R;
    this.iLatLo = Math.floor(((latLo - LAT_MIN) / LAT_SCALE) * DIV52) - 2;
    this.iLatHi = Math.ceil(((latHi - LAT_MIN) / LAT_SCALE) * DIV52) + 2;
    this.iLonLo = 0;
    this.iLonW = DIV52;
    const halfDeg = dLonMax / D_R;
    if (halfDeg < 170) {
      const lo = Math.floor(((s.lon - halfDeg - LON_MIN) / LON_SCALE) * DIV52) - 2;
      const hi = Math.ceil(((s.lon + halfDeg - LON_MIN) / LON_SCALE) * DIV52) + 2;
      this.iLonLo = lo;
      this.iLonW = hi - lo;
    }
  }

  /** The distance (metres) of a point from the centre when inside the shape, else -1. */
  test(lon: number, lat: number): number {
    const lat2r = lat * D_R;
    const dPhi = lat2r - this.lat1r;
    if (Math.abs(dPhi) > this.dPhiMax) return -1;
    const dLon = lon * D_R - this.lon1r;
    if (this.dLonMax !== Infinity) {
      let w = Math.abs(dLon);
      if (w > Math.PI) w = 2 * Math.PI - w;
      if (w > this.dLonMax) return -1;
    }
    if (!this.radius) return distanceIfWithin(this.s, lon, lat);
    // distance(centre, point), the same operations
    const v = Math.sin(dLon / 2);
    let d: number;
    if (v === 0.0) d = EARTH_RADIUS * Math.abs(dPhi);
    else {
      const u = Math.sin(dPhi / 2);
      const a = u * u + this.cosLat1 * Math.cos(lat2r) * v * v;
      d = 2.0 * EARTH_RADIUS * Math.asin(Math.sqrt(a));
    }
    return d <= this.r ? d : -1;
  }

  /**
   * test() of the point a score decodes to; on a hit its coordinates are
   * left in `decoded`. A score within 52 bits is first checked by its cell
   * indexes (no floating point).
   */
  scoreDistance(score: number): number {
    if (score >= 0 && score < 4503599627370496) {
      const lo = score | 0;
      const hi = (score / 4294967296) | 0;
      const ilat = squash16(lo) + squash16(hi) * 65536;
      if (ilat < this.iLatLo || ilat > this.iLatHi) return -1;
      const ilon = squash16(lo >>> 1) + squash16(hi >>> 1) * 65536;
      if (((ilon - this.iLonLo) & IDX_MASK) > this.iLonW) return -1;
      decodeIndexes(ilat, ilon);
    } else decodeTo(score);
    return this.test(decoded[0]!, decoded[1]!);
  }
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

/**
 * Moves a hash one cell east (+1) / west (-1), wrapping around at the step's
 * width; the latitude index is kept as is (interleaved, Redis adds to the
 * longitude bits alone and masks them to the step).
 */
function moveX(h: Hash, d: number): Hash {
  return { lat: h.lat, lon: (h.lon + d) & ((1 << h.step) - 1), step: h.step };
}
/** Moves a hash one cell north (+1) / south (-1), wrapping (see moveX). */
function moveY(h: Hash, d: number): Hash {
  return { lat: (h.lat + d) & ((1 << h.step) - 1), lon: h.lon, step: h.step };
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
    const hash = encode(s.lon, s.lat, st) ?? { lat: 0, lon: 0, step: st };
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
  const N = moveY(h, 1),
    S = moveY(h, -1),
    E = moveX(h, 1),
    W = moveX(h, -1);
  const out: (Hash | null)[] = [
    h,
    N,
    S,
    E,
    W,
    moveY(moveX(h, 1), 1),
    moveY(moveX(h, -1), 1),
    moveY(moveX(h, 1), -1),
    moveY(moveX(h, -1), -1),
  ];
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
  return [aligned(h, 0), aligned(h, 1)];
}

/** Whether two cells are the same. */
export function sameCell(a: Hash, b: Hash): boolean {
  return a.lat === b.lat && a.lon === b.lon && a.step === b.step;
}
