/**
 * Geo searches: GEOSEARCH GEOSEARCHSTORE and the older GEORADIUS
 * GEORADIUSBYMEMBER (with their _RO forms): the cells Redis picks for the
 * shape, exact filtering, sorting as redis-server sorts, STORE/STOREDIST.
 */
import { command, keyAfter, keyArg, keyAt, OVERWRITE, READ, type ArgDoc, type CommandSpec, type Ctx } from './spec.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { parseInt64 } from '../util/numbers.js';
import { ZSet, type Leaf } from '../types/zset.js';
import { getZ, limits } from './zset-common.js';
import { decoded, ShapeFilter, searchCells, cellScoreRange, sameCell, type Shape, type Hash } from '../util/geohash.js';
import { cstr } from '../util/strings.js';
import {
  argBox,
  argLonLat,
  argRadius,
  fmtDistance,
  memberLonLat,
  replyCoord,
  UNITS,
  WITH_FLAGS,
} from './geo-common.js';

// ---------------------------------------------------------------------------
// Searches

const RADIUS_COORDS = 1,
  RADIUS_MEMBER = 2,
  NOSTORE = 4,
  SEARCH = 8,
  SEARCHSTORE = 16;

interface GeoPoint {
  member: string;
  score: number;
  lon: number;
  lat: number;
  dist: number;
}

/**
 * The points of `z` inside the shape, scanning Redis's 9 cells in order
 * (a cell equal to the last scanned one is skipped) and, within a cell, in
 * score order; with `limit` (ANY) it stops once that many were found.
 * Walks the B+tree's leaves directly from the first entry of each cell's
 * score range (one descent per cell) and tests scores with a ShapeFilter.
 */
function pointsInShape(z: ZSet, shape: Shape, limit: number): GeoPoint[] {
  const out: GeoPoint[] = [];
  const cells = searchCells(shape);
  const filter = new ShapeFilter(shape);
  let last: Hash | null = null;
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i];
    if (!c) continue;
    if (i !== 0 && last !== null && sameCell(c, last)) continue;
    if (out.length && limit && out.length >= limit) break;
    const [min, max] = cellScoreRange(c);
    const r = z.firstInRange({ min, max, minex: false, maxex: true });
    if (r >= 0) {
      const cur = z.cursor(r);
      let leaf: Leaf | null = cur.leaf;
      let k = cur.i;
      scan: for (; leaf !== null; leaf = leaf.next, k = 0) {
        const ls = leaf.s;
        const n = leaf.n;
        for (; k < n; k++) {
          const score = ls[k]!;
          if (!(score < max)) break scan;
          const dist = filter.scoreDistance(score);
          if (dist < 0) continue;
          out.push({ member: leaf.m[k]!, score, lon: decoded[0]!, lat: decoded[1]!, dist });
          if (limit && out.length >= limit) break scan;
        }
      }
    }
    if (i !== 0) last = c;
  }
  return out;
}

/**
 * Redis's partial sort (pqsort: Bentley-McIlroy quicksort that only recurses
 * into parts overlapping ranks lo..hi), reproduced step by step because the
 * order it leaves equal distances in is visible in replies.
 */
function pqsort<T>(a: T[], cmp: (x: T, y: T) => number, lo: number, hi: number): void {
  const swap = (i: number, j: number): void => {
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  };
  const vecswap = (i: number, j: number, n: number): void => {
    for (let k = 0; k < n; k++) swap(i + k, j + k);
  };
  const med3 = (x: number, y: number, z: number): number =>
    cmp(a[x]!, a[y]!) < 0
      ? cmp(a[y]!, a[z]!) < 0
        ? y
        : cmp(a[x]!, a[z]!) < 0
          ? z
          : x
      : cmp(a[y]!, a[z]!) > 0
        ? y
        : cmp(a[x]!, a[z]!) < 0
          ? x
          : z;
  const overlaps = (s: number, e: number): boolean => !((lo < s && hi < s) || (lo > e && hi > e));
  const rec = (base: number, n: number): void => {
    for (;;) {
      if (n < 7) {
        for (let pm = base + 1; pm < base + n; pm++)
          for (let pl = pm; pl > base && cmp(a[pl - 1]!, a[pl]!) > 0; pl--) swap(pl, pl - 1);
        return;
      }
      let pm = base + Math.floor(n / 2);
      if (n > 7) {
        let pl = base;
        let pn = base + n - 1;
        if (n > 40) {
          const dd = Math.floor(n / 8);
          pl = med3(pl, pl + dd, pl + 2 * dd);
          pm = med3(pm - dd, pm, pm + dd);
          pn = med3(pn - 2 * dd, pn - dd, pn);
        }
        pm = med3(pl, pm, pn);
      }
      swap(base, pm);
      let pa = base + 1,
        pb = pa;
      let pc = base + n - 1,
        pd = pc;
      for (;;) {
        let c: number;
        while (pb <= pc && (c = cmp(a[pb]!, a[base]!)) <= 0) {
          if (c === 0) swap(pa++, pb);
          pb++;
        }
        while (pb <= pc && (c = cmp(a[pc]!, a[base]!)) >= 0) {
          if (c === 0) swap(pc, pd--);
          pc--;
        }
        if (pb > pc) break;
        swap(pb++, pc--);
      }
      const pn = base + n;
      let r = Math.min(pa - base, pb - pa);
      vecswap(base, pb - r, r);
      r = Math.min(pd - pc, pn - pd - 1);
      vecswap(pb, pn - r, r);
      r = pb - pa;
      if (r > 1 && overlaps(base, base + r - 1)) rec(base, r);
      r = pd - pc;
      if (r <= 1) return;
      base = pn - r;
      n = r;
      if (!overlaps(base, base + r - 1)) return;
    }
  };
  rec(0, a.length);
}

/**
 * The shared implementation of GEORADIUS[BYMEMBER][_RO] and
 * GEOSEARCH[STORE]: option parsing with Redis's checks in its order, the
 * search, sorting (COUNT without ANY implies ASC), then the reply or the
 * stored set (scores: hashes, or distances with STOREDIST; event
 * `georadiusstore` / `geosearchstore`; an empty result deletes the key).
 */
function georadiusGeneric(ctx: Ctx, srcIdx: number, flags: number): void {
  const { argv, reply, db } = ctx;
  let storeKey: string | null = null;
  let storeDist = false;
  const z = getZ(ctx, argv[srcIdx]!);
  let base: number;
  let lon = 0,
    lat = 0,
    conversion = 1,
    radius = 0,
    width = 0,
    height = 0;
  let type: 'radius' | 'box' = 'radius';
  if (flags & RADIUS_COORDS) {
    base = 6;
    [lon, lat] = argLonLat(argv, 2);
    [radius, conversion] = argRadius(argv, 4);
  } else if (flags & RADIUS_MEMBER && z === undefined) {
    base = 5;
  } else if (flags & RADIUS_MEMBER) {
    base = 5;
    [lon, lat] = memberLonLat(z!, argv[2]!);
    [radius, conversion] = argRadius(argv, 3);
  } else {
    base = 2;
    if (flags & SEARCHSTORE) {
      base = 3;
      storeKey = argv[1]!;
    }
  }
  let withDist = false,
    withHash = false,
    withCoord = false;
  let fromMember = false,
    fromLoc = false,
    byRadius = false,
    byBox = false;
  let sort = 0; // 0 none, 1 asc, 2 desc
  let any = false;
  let count = 0;
  const remaining = argv.length - base;
  for (let i = 0; i < remaining; i++) {
    const a = argv[base + i]!.toLowerCase();
    if (a === 'withdist') withDist = true;
    else if (a === 'withhash') withHash = true;
    else if (a === 'withcoord') withCoord = true;
    else if (a === 'any') any = true;
    else if (a === 'asc') sort = 1;
    else if (a === 'desc') sort = 2;
    else if (a === 'count' && i + 1 < remaining) {
      const n = parseInt64(argv[base + i + 1]!);
      if (n === null) throw new ReplyError(Err.notInteger);
      if (n <= 0) throw new ReplyError(Err.countAboveZero);
      count = Number(n);
      i++;
    } else if ((a === 'store' || a === 'storedist') && i + 1 < remaining && !(flags & NOSTORE) && !(flags & SEARCH)) {
      storeKey = argv[base + i + 1]!;
      storeDist = a === 'storedist';
      i++;
    } else if (a === 'storedist' && flags & SEARCH && flags & SEARCHSTORE) {
      storeDist = true;
    } else if (a === 'frommember' && i + 1 < remaining && flags & SEARCH && !fromLoc) {
      if (z !== undefined) [lon, lat] = memberLonLat(z, argv[base + i + 1]!);
      fromMember = true;
      i++;
    } else if (a === 'fromlonlat' && i + 2 < remaining && flags & SEARCH && !fromMember) {
      [lon, lat] = argLonLat(argv, base + i + 1);
      fromLoc = true;
      i += 2;
    } else if (a === 'byradius' && i + 2 < remaining && flags & SEARCH && !byBox) {
      [radius, conversion] = argRadius(argv, base + i + 1);
      type = 'radius';
      byRadius = true;
      i += 2;
    } else if (a === 'bybox' && i + 3 < remaining && flags & SEARCH && !byRadius) {
      [width, height, conversion] = argBox(argv, base + i + 1);
      type = 'box';
      byBox = true;
      i += 3;
    } else throw new ReplyError(Err.syntax);
  }
  if (storeKey !== null && (withDist || withHash || withCoord)) {
    throw new ReplyError(Err.geoStoreWith(flags & SEARCHSTORE ? 'GEOSEARCHSTORE' : 'STORE option in GEORADIUS'));
  }
  if (flags & SEARCH && !(fromMember || fromLoc)) throw new ReplyError(Err.geoFrom(argv[0]!));
  if (flags & SEARCH && !(byRadius || byBox)) throw new ReplyError(Err.geoBy(argv[0]!));
  if (any && !count) throw new ReplyError(Err.geoAny);

  if (z === undefined) {
    if (storeKey !== null) {
      if (db.delete(storeKey)) db.notify('g', 'del', storeKey);
      reply.int(0);
    } else reply.array(0);
    return;
  }
  if (count !== 0 && sort === 0 && !any) sort = 1;

  const shape: Shape =
    type === 'radius' ? { type, lon, lat, conversion, radius } : { type, lon, lat, conversion, width, height };
  const found = pointsInShape(z, shape, any ? count : 0);
  if (found.length === 0 && storeKey === null) return reply.array(0);
  const n = count === 0 || found.length < count ? found.length : count;
  if (sort !== 0) {
    const cmp =
      sort === 1
        ? (p: GeoPoint, q: GeoPoint) => (p.dist === q.dist ? 0 : p.dist > q.dist ? 1 : -1)
        : (p: GeoPoint, q: GeoPoint) => (p.dist === q.dist ? 0 : p.dist < q.dist ? 1 : -1);
    // A full sort is libc's qsort (glibc: a stable merge sort, as Array.prototype.sort);
    // a COUNT-limited one Redis's partial quicksort, whose order of ties is its own.
    if (n === found.length) found.sort(cmp);
    else pqsort(found, cmp, 0, n - 1);
  }

  if (storeKey === null) {
    const opts = (withDist ? 1 : 0) + (withCoord ? 1 : 0) + (withHash ? 1 : 0);
    reply.array(n);
    for (let i = 0; i < n; i++) {
      const p = found[i]!;
      if (opts) reply.array(opts + 1);
      reply.bulk(p.member);
      if (withDist) reply.bulk(fmtDistance(p.dist / conversion));
      if (withHash) reply.int(scoreAsInt(p.score));
      if (withCoord) {
        reply.array(2);
        replyCoord(reply, p.lon);
        replyCoord(reply, p.lat);
      }
    }
    return;
  }
  if (n > 0) {
    let maxLen = 0;
    for (let i = 0; i < n; i++) if (found[i]!.member.length > maxLen) maxLen = found[i]!.member.length;
    const [me, mv] = limits(ctx);
    const dst = new ZSet(me !== 0 && n <= me && maxLen <= mv);
    for (let i = 0; i < n; i++) {
      const p = found[i]!;
      dst.insert(storeDist ? p.dist / conversion : p.score, p.member);
    }
    db.set(storeKey, dst);
    db.notify('z', flags & SEARCH ? 'geosearchstore' : 'georadiusstore', storeKey);
  } else if (db.delete(storeKey)) db.notify('g', 'del', storeKey);
  reply.int(n);
}

/** C's (long long) cast of a score (x86-64: INT64_MIN when out of range). */
function scoreAsInt(s: number): bigint {
  if (Number.isFinite(s) && Math.abs(s) < 2 ** 63) return BigInt(Math.trunc(s));
  return -(1n << 63n);
}

/** GEORADIUS / GEORADIUSBYMEMBER keys: the source, and the last STORE/STOREDIST destination. */
function georadiusGetKeys(argv: string[]): number[] {
  let stored = -1;
  for (let i = 5; i < argv.length; i++) {
    const a = cstr(argv[i]!).toLowerCase();
    if ((a === 'store' || a === 'storedist') && i + 1 < argv.length) {
      stored = i + 1;
      i++;
    }
  }
  // positions only: Redis's georadiusGetKeys gives these keys no flags
  return stored >= 0 ? [1, stored] : [1];
}

const H = {
  /** GEORADIUS key longitude latitude radius M|KM|FT|MI [options] [STORE key] [STOREDIST key] */
  georadius: (ctx: Ctx) => georadiusGeneric(ctx, 1, RADIUS_COORDS),
  /** GEORADIUSBYMEMBER key member radius M|KM|FT|MI [options] [STORE key] [STOREDIST key] */
  georadiusbymember: (ctx: Ctx) => georadiusGeneric(ctx, 1, RADIUS_MEMBER),
  /** GEORADIUS_RO key longitude latitude radius M|KM|FT|MI [options] */
  georadius_ro: (ctx: Ctx) => georadiusGeneric(ctx, 1, RADIUS_COORDS | NOSTORE),
  /** GEORADIUSBYMEMBER_RO key member radius M|KM|FT|MI [options] */
  georadiusbymember_ro: (ctx: Ctx) => georadiusGeneric(ctx, 1, RADIUS_MEMBER | NOSTORE),
  /** GEOSEARCH key FROMMEMBER m|FROMLONLAT lon lat BYRADIUS r unit|BYBOX w h unit [ASC|DESC] [COUNT n [ANY]] [WITH...] */
  geosearch: (ctx: Ctx) => georadiusGeneric(ctx, 1, SEARCH),
  /** GEOSEARCHSTORE dst src FROMMEMBER m|FROMLONLAT lon lat BYRADIUS r unit|BYBOX w h unit [ASC|DESC] [COUNT n [ANY]] [STOREDIST] */
  geosearchstore: (ctx: Ctx) => georadiusGeneric(ctx, 2, SEARCH | SEARCHSTORE),
};

/** COMMAND DOCS: GEOSEARCH's and GEOSEARCHSTORE's FROM..., BY..., ASC|DESC and COUNT [ANY]. */
const SEARCH_SHAPE: readonly ArgDoc[] = [
  {
    name: 'from',
    type: 'oneof',
    arguments: [
      { name: 'member', type: 'string', token: 'FROMMEMBER' },
      {
        name: 'longitude_latitude',
        type: 'block',
        token: 'FROMLONLAT',
        arguments: [
          { name: 'longitude', type: 'double' },
          { name: 'latitude', type: 'double' },
        ],
      },
    ],
  },
  {
    name: 'by',
    type: 'oneof',
    arguments: [
      {
        name: 'circle',
        type: 'block',
        arguments: [
          { name: 'radius', type: 'double', token: 'BYRADIUS' },
          {
            name: 'unit',
            type: 'oneof',
            arguments: UNITS,
          },
        ],
      },
      {
        name: 'box',
        type: 'block',
        arguments: [
          { name: 'width', type: 'double', token: 'BYBOX' },
          { name: 'height', type: 'double' },
          {
            name: 'unit',
            type: 'oneof',
            arguments: UNITS,
          },
        ],
      },
    ],
  },
  {
    name: 'order',
    type: 'oneof',
    flags: ['optional'],
    arguments: [
      { name: 'asc', type: 'pure-token', token: 'ASC' },
      { name: 'desc', type: 'pure-token', token: 'DESC' },
    ],
  },
  {
    name: 'count',
    type: 'block',
    flags: ['optional'],
    arguments: [
      { name: 'count', type: 'integer', token: 'COUNT' },
      { name: 'any', type: 'pure-token', token: 'ANY', flags: ['optional'] },
    ],
  },
];

/** GEORADIUS's and GEORADIUS_RO's center; GEORADIUSBYMEMBER's (and _RO's) is MEMBER. */
const POINT: ArgDoc[] = [
  { name: 'longitude', type: 'double' },
  { name: 'latitude', type: 'double' },
];
const MEMBER: ArgDoc[] = [{ name: 'member', type: 'string' }];
/**
 * The STORE or STOREDIST key of GEORADIUS and GEORADIUSBYMEMBER (key specs
 * 1 and 2): one choice, as 7.2 documents it (7.0: two optional arguments).
 */
const STORE_ARGS: ArgDoc[] = [
  {
    name: 'store',
    type: 'oneof',
    flags: ['optional'],
    arguments: [
      { name: 'storekey', type: 'key', display_text: 'key', key_spec_index: 1, token: 'STORE' },
      { name: 'storedistkey', type: 'key', display_text: 'key', key_spec_index: 2, token: 'STOREDIST' },
    ],
  },
];

/**
 * COMMAND DOCS arguments of the GEORADIUS family after the key: the center,
 * radius and unit, WITH* flags, COUNT [ANY] and ASC|DESC. `anySince`: ANY's
 * `since`, which Redis's docs give for the point forms only.
 */
function radiusArgs(center: ArgDoc[], anySince?: string): ArgDoc[] {
  const since = anySince === undefined ? {} : { since: anySince };
  const any: ArgDoc = { name: 'any', type: 'pure-token', token: 'ANY', ...since, flags: ['optional'] };
  return [
    ...center,
    { name: 'radius', type: 'double' },
    { name: 'unit', type: 'oneof', arguments: UNITS },
    ...WITH_FLAGS,
    {
      name: 'count',
      type: 'block',
      flags: ['optional'],
      arguments: [{ name: 'count', type: 'integer', token: 'COUNT' }, any],
    },
    {
      name: 'order',
      type: 'oneof',
      flags: ['optional'],
      arguments: [
        { name: 'asc', type: 'pure-token', token: 'ASC' },
        { name: 'desc', type: 'pure-token', token: 'DESC' },
      ],
    },
  ];
}

export const searchCommands: CommandSpec[] = [
  command({
    name: 'geosearch',
    arity: -7,
    flags: ['readonly'],
    acl: ['geo'],
    keySpecs: [keyAt(1, READ)],
    group: 'geo',
    since: '6.2.0',
    summary: 'Queries a geospatial index for members inside a circle or a box.',
    complexity:
      'O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape',
    history: [['7.0.0', 'Added support for uppercase unit names.']],
    args: [keyArg(), ...SEARCH_SHAPE, ...WITH_FLAGS],
    handler: H.geosearch,
  }),
  command({
    name: 'geosearchstore',
    arity: -8,
    flags: ['write', 'denyoom'],
    acl: ['geo'],
    keySpecs: [keyAt(1, OVERWRITE), keyAt(2, READ)],
    group: 'geo',
    since: '6.2.0',
    summary: 'Queries a geospatial index for members inside a circle or a box and stores the result in another key.',
    complexity:
      'O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape',
    history: [['7.0.0', 'Added support for uppercase unit names.']],
    args: [
      { name: 'destination', type: 'key', key_spec_index: 0 },
      { name: 'source', type: 'key', key_spec_index: 1 },
      ...SEARCH_SHAPE,
      { name: 'storedist', type: 'pure-token', token: 'STOREDIST', flags: ['optional'] },
    ],
    handler: H.geosearchstore,
  }),
  command({
    name: 'georadius',
    arity: -6,
    flags: ['write', 'denyoom', 'movablekeys'],
    acl: ['geo'],
    keySpecs: [keyAt(1, READ), keyAfter('STORE', 6, OVERWRITE), keyAfter('STOREDIST', 6, OVERWRITE)],
    group: 'geo',
    since: '3.2.0',
    summary: 'Queries a geospatial index for members within a distance of a point, optionally storing the result.',
    complexity:
      'O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.',
    docFlags: ['deprecated'],
    deprecatedSince: '6.2.0',
    replacedBy: '`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` argument',
    history: [
      ['6.2.0', 'Added the `ANY` option for `COUNT`.'],
      ['7.0.0', 'Added support for uppercase unit names.'],
    ],
    args: [keyArg(), ...radiusArgs(POINT, '6.2.0'), ...STORE_ARGS],
    getKeys: georadiusGetKeys,
    handler: H.georadius,
  }),
  command({
    name: 'georadiusbymember',
    arity: -5,
    flags: ['write', 'denyoom', 'movablekeys'],
    acl: ['geo'],
    keySpecs: [keyAt(1, READ), keyAfter('STORE', 5, OVERWRITE), keyAfter('STOREDIST', 5, OVERWRITE)],
    group: 'geo',
    since: '3.2.0',
    summary: 'Queries a geospatial index for members within a distance of a member, optionally storing the result.',
    complexity:
      'O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.',
    docFlags: ['deprecated'],
    deprecatedSince: '6.2.0',
    replacedBy: '`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` and `FROMMEMBER` arguments',
    history: [['7.0.0', 'Added support for uppercase unit names.']],
    args: [keyArg(), ...radiusArgs(MEMBER), ...STORE_ARGS],
    getKeys: georadiusGetKeys,
    handler: H.georadiusbymember,
  }),
  command({
    name: 'georadius_ro',
    arity: -6,
    flags: ['readonly'],
    acl: ['geo'],
    keySpecs: [keyAt(1, READ)],
    group: 'geo',
    since: '3.2.10',
    summary: 'Returns members of a geospatial index within a distance of a point.',
    complexity:
      'O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.',
    docFlags: ['deprecated'],
    deprecatedSince: '6.2.0',
    replacedBy: '`GEOSEARCH` with the `BYRADIUS` argument',
    history: [['6.2.0', 'Added the `ANY` option for `COUNT`.']],
    args: [keyArg(), ...radiusArgs(POINT, '6.2.0')],
    handler: H.georadius_ro,
  }),
  command({
    name: 'georadiusbymember_ro',
    arity: -5,
    flags: ['readonly'],
    acl: ['geo'],
    keySpecs: [keyAt(1, READ)],
    group: 'geo',
    since: '3.2.10',
    summary: 'Returns members of a geospatial index within a distance of a member.',
    complexity:
      'O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.',
    docFlags: ['deprecated'],
    deprecatedSince: '6.2.0',
    replacedBy: '`GEOSEARCH` with the `BYRADIUS` and `FROMMEMBER` arguments',
    args: [keyArg(), ...radiusArgs(MEMBER)],
    handler: H.georadiusbymember_ro,
  }),
];
