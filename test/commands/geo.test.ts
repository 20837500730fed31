/**
 * Geo commands: differential tests against redis-server (RESP2 and RESP3):
 * every command and its error paths, then seeded random points and searches
 * whose replies (members, order, distances, hashes, coordinates) must be
 * byte-identical, and the stored results of the STORE forms.
 *
 * STOREDIST scores are compared by member order only: their text differs
 * between the 7.0 reference (%.17g) and 7.2 (shortest round trip).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Differ, untilPong, type Cmd } from '../helpers/diff.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RawConn, createServer } from '../helpers/servers.js';
import { readCommands } from '../../src/persistence/aof.js';
import { rng } from '../helpers/rng.js';
import { both, type Step } from './strdiff.js';
import { humanLongDouble, fmtDistance } from '../../src/commands/geo.js';
import { argDouble } from '../../src/commands/args.js';
import { scoreOf, scoreText, decodeScore, distanceIfWithin, ShapeFilter, type Shape } from '../../src/util/geohash.js';
import { parseDouble } from '../../src/util/numbers.js';

const d = await Differ.start();
after(() => d?.stop());

const CITIES: Cmd = [
  'GEOADD',
  'Sicily',
  '13.361389',
  '38.115556',
  'Palermo',
  '15.087269',
  '37.502669',
  'Catania',
  '12.758489',
  '38.788135',
  'edge1',
  '17.241510',
  '38.788135',
  'edge2',
];

test('number formatting helpers', () => {
  assert.equal(humanLongDouble(0), '0');
  assert.equal(humanLongDouble(180), '180');
  assert.equal(humanLongDouble(-2.5), '-2.5');
  assert.equal(humanLongDouble(0.99999994039535522), '0.99999994039535522');
  assert.equal(fmtDistance(0), '0.0000');
  assert.equal(fmtDistance(1.23456), '1.2346');
  assert.equal(fmtDistance(0.00004), '0.0000');
  assert.equal(scoreOf(1, 2), 3378080408407459);
  assert.deepEqual(decodeScore(-1), [180, 85.05112878]);
});

test("parseDouble's fast path for plain decimals (GEO coordinates, ZADD scores) agrees with Number()", () => {
  const r = rng(7);
  const fixed = [
    '0',
    '-0',
    '5.',
    '.5',
    '-.5',
    '-5.',
    '180',
    '-180.000000',
    '13.361389',
    '0.0000000000000000001',
    '123456789012345',
    '1234567890123456',
    '12345678901234567890.5',
    '1.00000000000000000000001',
    '85.05112878',
    '-85.05112878',
  ];
  const all = [...fixed];
  for (let i = 0; i < 20000; i++) {
    const v = (r() - 0.5) * 10 ** Math.floor(r() * 8);
    all.push(v.toFixed(Math.floor(r() * 20)));
  }
  for (const s of all) assert.ok(Object.is(argDouble(s), Number(s)), s);
  const odd: [string, number | null][] = [
    ['.', null],
    ['-', null],
    ['', null],
    ['1.2.3', null],
    ['1e5', 100000],
    ['inf', Infinity],
    ['-inf', -Infinity],
    [' 1', null],
    ['0x10', 16],
    ['1-', null],
  ];
  for (const [s, want] of odd) assert.ok(Object.is(parseDouble(s), want), s);
  assert.throws(() => argDouble('1-'), /not a valid float/);
});

test('scores: exact integers, and their text above 2^53', () => {
  assert.equal(scoreText(1, 2), '3378080408407459');
  // a longitude on the upper limit sets bit 53: the score double is rounded, the text is exact
  const t = scoreText(180, 85.05112878)!;
  assert.equal(BigInt(t) >= 2n ** 53n, true);
  assert.equal(Number(BigInt(t)), scoreOf(180, 85.05112878));
});

test('ShapeFilter gives distanceIfWithin exactly', () => {
  const r = rng(11);
  const units = [1, 1000, 0.3048, 1609.34];
  let hits = 0;
  for (let i = 0; i < 400; i++) {
    const lon = r() < 0.2 ? [180, -180, 179.99, -179.99][i % 4]! : r() * 360 - 180;
    const lat = r() < 0.2 ? [85.05112878, -85.05112878, 84.9, 0][i % 4]! : r() * 170 - 85;
    const conversion = units[i % 4]!;
    const size = (r() < 0.1 ? 0 : Math.exp(r() * 16)) / conversion;
    const shape: Shape =
      r() < 0.5
        ? { type: 'radius', lon, lat, conversion, radius: size }
        : { type: 'box', lon, lat, conversion, width: size, height: size * (0.2 + r() * 2) };
    const f = new ShapeFilter(shape);
    // points spread near the centre (in proportion to the size) and anywhere
    const spread = Math.min(360, (size * conversion) / 30000);
    for (let k = 0; k < 300; k++) {
      const plon = k % 3 === 0 ? r() * 360 - 180 : Math.max(-180, Math.min(180, lon + (r() - 0.5) * spread));
      const plat = k % 3 === 0 ? r() * 170 - 85 : Math.max(-85.05, Math.min(85.05, lat + (r() - 0.5) * spread));
      const score = scoreOf(plon, plat)!;
      const [dlon, dlat] = decodeScore(score);
      const want = distanceIfWithin(shape, dlon, dlat);
      const got = f.scoreDistance(score);
      assert.ok(Object.is(got, want), `${JSON.stringify(shape)} ${score}: ${got} vs ${want}`);
      if (want >= 0) hits++;
    }
    for (const score of [-1, 2 ** 52, 2 ** 53 + 2, 1.5, Infinity, -Infinity, NaN]) {
      const [dlon, dlat] = decodeScore(score);
      assert.ok(Object.is(f.scoreDistance(score), distanceIfWithin(shape, dlon, dlat)));
    }
  }
  assert.ok(hits > 10000, `only ${hits} points inside`);
});

test('GEOADD options, replies and errors', async () => {
  await both(d!, [
    CITIES,
    CITIES,
    ['ZRANGE', 'Sicily', '0', '-1', 'WITHSCORES'],
    ['GEOADD', 'Sicily', 'CH', '13.4', '38.1', 'Palermo', '1', '1', 'new'],
    ['GEOADD', 'Sicily', 'NX', 'CH', '0', '0', 'Palermo', '2', '2', 'new2'],
    ['GEOADD', 'Sicily', 'XX', 'CH', '0', '0', 'Palermo', '2', '2', 'new3'],
    ['GEOADD', 'Sicily', 'xx', '5', '5', 'missing'],
    ['GEOADD', 'nokey', 'XX', '1', '1', 'a'],
    ['EXISTS', 'nokey'],
    ['GEOADD', 'Sicily', 'NX', 'XX', '1', '1', 'a'],
    ['GEOADD', 'Sicily', '1', '1'],
    ['GEOADD', 'Sicily', '1', '1', 'a', '2'],
    ['GEOADD', 'Sicily', 'NX', 'CH', 'CH'],
    ['GEOADD', 'Sicily', 'x', '1', 'a'],
    ['GEOADD', 'Sicily', '1', 'nan', 'a'],
    ['GEOADD', 'Sicily', '200', '100', 'a'],
    ['GEOADD', 'Sicily', '-180.1', '0', 'a'],
    ['GEOADD', 'Sicily', '0', '85.06', 'a'],
    ['GEOADD', 'Sicily', 'inf', '2', 'm'],
    ['GEOADD', 'Sicily', '1', '2', 'ok', '1', '99', 'bad'],
    ['ZSCORE', 'Sicily', 'ok'],
    [
      'GEOADD',
      'lim',
      '180',
      '85.05112878',
      'ne',
      '-180',
      '-85.05112878',
      'sw',
      '180',
      '-85.05112878',
      'se',
      '0',
      '0',
      'o',
    ],
    ['ZRANGE', 'lim', '0', '-1', 'WITHSCORES'],
    ['GEOPOS', 'lim', 'ne', 'sw', 'se', 'o'],
    ['GEOHASH', 'lim', 'ne', 'sw', 'se', 'o'],
    ['SET', 'str', 'x'],
    ['GEOADD', 'str', '1', '1', 'a'],
    ['GEOPOS', 'str', 'a'],
    ['GEODIST', 'str', 'a', 'b'],
    ['GEOHASH', 'str', 'a'],
    ['GEOSEARCH', 'str', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km'],
    ['GEORADIUS', 'str', '0', '0', '1', 'km'],
    ['OBJECT', 'ENCODING', 'Sicily'],
  ]);
});

test('GEOPOS, GEODIST, GEOHASH', async () => {
  await both(d!, [
    CITIES,
    ['GEOPOS', 'Sicily', 'Palermo', 'Catania', 'nope', 'edge1'],
    ['GEOPOS', 'Sicily'],
    ['GEOPOS', 'nokey', 'a', 'b'],
    ['GEODIST', 'Sicily', 'Palermo', 'Catania'],
    ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'km'],
    ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'MI'],
    ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'ft'],
    ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'M'],
    ['GEODIST', 'Sicily', 'Palermo', 'Palermo'],
    ['GEODIST', 'Sicily', 'Palermo', 'nope'],
    ['GEODIST', 'nokey', 'a', 'b'],
    ['GEODIST', 'nokey', 'a', 'b', 'yd'],
    ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'parsec'],
    ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'km', 'x'],
    ['GEOHASH', 'Sicily', 'Palermo', 'Catania', 'nope', 'edge2'],
    ['GEOHASH', 'nokey', 'a'],
    ['GEOHASH', 'Sicily'],
    ['ZADD', 'odd', '-1', 'a', '1e30', 'b', '1.5', 'c', '4503599627370495', 'd', '0', 'e'],
    ['GEOPOS', 'odd', 'a', 'b', 'c', 'd', 'e'],
    ['GEOHASH', 'odd', 'a', 'b', 'c', 'd', 'e'],
    ['GEODIST', 'odd', 'a', 'd'],
    ['GEORADIUS', 'odd', '0', '0', '20000', 'km', 'WITHHASH', 'WITHCOORD', 'WITHDIST'],
  ]);
});

test('search argument errors', async () => {
  const S = ['GEOSEARCH', 'Sicily'];
  await both(d!, [
    CITIES,
    ['GEORADIUS', 'Sicily', '15', '37', '-1', 'km'],
    ['GEORADIUS', 'Sicily', '15', '37', 'x', 'km'],
    ['GEORADIUS', 'Sicily', '15', '37', '1', 'yd'],
    ['GEORADIUS', 'Sicily', '15', '37', '1', 'km', 'COUNT', '0'],
    ['GEORADIUS', 'Sicily', '15', '37', '1', 'km', 'COUNT', 'x'],
    ['GEORADIUS', 'Sicily', '15', '37', '1', 'km', 'ANY'],
    ['GEORADIUS', 'Sicily', '15', '37', '1', 'km', 'COUNT'],
    ['GEORADIUS', 'Sicily', '15', '37', '1', 'km', 'FOO'],
    ['GEORADIUS', 'Sicily', '15', '37', '1', 'km', 'STORE', 'x', 'WITHDIST'],
    ['GEORADIUS', 'Sicily', '200', '37', '1', 'km'],
    ['GEORADIUS', 'Sicily', '15', '37', '1', 'km', 'FROMMEMBER', 'Palermo'],
    ['GEORADIUS_RO', 'Sicily', '15', '37', '200', 'km', 'STORE', 'x'],
    ['GEORADIUSBYMEMBER', 'Sicily', 'nope', '1', 'km'],
    ['GEORADIUSBYMEMBER', 'nokey', 'nope', '1', 'km'],
    ['GEORADIUSBYMEMBER', 'nokey', 'nope', 'x', 'km', 'FOO'],
    ['GEORADIUSBYMEMBER', 'Sicily', 'Palermo', '-3', 'km'],
    ['GEORADIUSBYMEMBER_RO', 'Sicily', 'Palermo', '3', 'km', 'STOREDIST', 'x'],
    [...S, 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1', 'km', 'FROMLONLAT', '1', '1'],
    [...S, 'FROMLONLAT', '1', '1', 'BYRADIUS', '1', 'km', 'FROMMEMBER', 'Palermo'],
    [...S, 'FROMLONLAT', '1', '1', 'BYRADIUS', '1', 'km', 'BYBOX', '1', '1', 'km'],
    [...S, 'FROMLONLAT', '1', '1', 'BYBOX', '1', '1', 'km', 'BYRADIUS', '1', 'km'],
    [...S, 'BYRADIUS', '1', 'km', 'WITHDIST'],
    [...S, 'FROMLONLAT', '1', '1', 'ASC'],
    ['geosearch', 'Sicily', 'BYRADIUS', '1', 'km', 'ASC'],
    ['GEOSEARCH', 'nokey', 'FROMMEMBER', 'x', 'BYBOX', '1', '2', 'km'],
    [...S, 'FROMMEMBER', 'nope', 'BYRADIUS', '1', 'km'],
    [...S, 'FROMLONLAT', '1', '100', 'BYRADIUS', '1', 'km'],
    [...S, 'FROMMEMBER', 'Palermo', 'BYBOX', '-1', '1', 'km'],
    [...S, 'FROMMEMBER', 'Palermo', 'BYBOX', '1', 'x', 'km'],
    [...S, 'FROMMEMBER', 'Palermo', 'BYBOX', 'x', '1', 'km'],
    [...S, 'FROMMEMBER', 'Palermo', 'BYBOX', '1', '1', 'lightyear'],
    [...S, 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1', 'km', 'STORE', 'x'],
    [...S, 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1', 'km', 'STOREDIST'],
    [...S, 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1', 'km', 'ANY'],
    [...S, 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1', 'km', 'COUNT', '-1'],
    ['GEOSEARCHSTORE', 'dst', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1', 'km', 'WITHCOORD'],
    ['GEOSEARCHSTORE', 'dst', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1', 'km', 'STORE', 'x'],
    ['GEOSEARCHSTORE', 'dst', 'nokey', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1', 'km'],
    ['GEOSEARCHSTORE', 'dst', 'Sicily', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km'],
  ]);
});

test('searches on the documented example', async () => {
  const steps: Step[] = [CITIES];
  for (const opts of [
    [],
    ['WITHDIST'],
    ['WITHCOORD'],
    ['WITHHASH'],
    ['WITHDIST', 'WITHCOORD', 'WITHHASH'],
    ['ASC'],
    ['DESC', 'WITHDIST'],
    ['COUNT', '1'],
    ['COUNT', '2', 'ANY'],
    ['COUNT', '3', 'DESC'],
  ]) {
    steps.push(['GEORADIUS', 'Sicily', '15', '37', '200', 'km', ...opts]);
    steps.push(['GEORADIUS_RO', 'Sicily', '15', '37', '100', 'mi', ...opts]);
    steps.push(['GEORADIUSBYMEMBER', 'Sicily', 'Palermo', '200', 'km', ...opts]);
    steps.push(['GEORADIUSBYMEMBER_RO', 'Sicily', 'Catania', '500000', 'ft', ...opts]);
    steps.push(['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '400', '400', 'km', ...opts]);
    steps.push(['GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '200', 'km', ...opts]);
  }
  steps.push(
    ['GEOSEARCHSTORE', 'dst', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '400', '400', 'km', 'ASC', 'COUNT', '3'],
    ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
    ['OBJECT', 'ENCODING', 'dst'],
    ['TYPE', 'dst'],
    ['GEOSEARCHSTORE', 'dst', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '400', '400', 'km', 'STOREDIST'],
    ['ZRANGE', 'dst', '0', '-1'],
    ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STORE', 'dst2'],
    ['ZRANGE', 'dst2', '0', '-1', 'WITHSCORES'],
    ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STOREDIST', 'dst2', 'DESC'],
    ['ZRANGE', 'dst2', '0', '-1'],
    ['GEORADIUSBYMEMBER', 'Sicily', 'Palermo', '1', 'm', 'STORE', 'dst3'],
    ['ZRANGE', 'dst3', '0', '-1'],
    ['GEORADIUS', 'Sicily', '0', '0', '1', 'm', 'STORE', 'dst3'],
    ['EXISTS', 'dst3'],
    ['GEORADIUS', 'nokey', '0', '0', '1', 'm', 'STORE', 'dst2'],
    ['EXISTS', 'dst2'],
    ['GEOSEARCHSTORE', 'dst', 'Sicily', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km'],
    ['EXISTS', 'dst'],
    ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '0', 'km'],
    ['GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '0', 'km', 'WITHDIST'],
    ['GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYBOX', '0', '0', 'km', 'WITHDIST'],
    ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '30000', 'km', 'WITHDIST'],
    ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '80000', '40000', 'km'],
  );
  await both(d!, steps);
});

/** A random coordinate text: integers, short and long decimals. */
function coord(r: () => number, lo: number, hi: number): string {
  const v = lo + r() * (hi - lo);
  const k = r();
  return k < 0.1 ? String(Math.round(v)) : k < 0.4 ? v.toFixed(3) : String(v);
}

test('random points and searches match redis-server', { timeout: 120000 }, async () => {
  for (const seed of [1, 2, 3, 4]) {
    const r = rng(seed);
    await d!.reset();
    if (seed % 2 === 0) await d!.both(['HELLO', '3']);
    // Clusters around a few centres (some near the poles and the antimeridian) and a global scatter.
    const centres: [number, number][] = [
      [0, 0],
      [179.5, 10],
      [-179.9, -30],
      [10, 84.5],
      [-60, -83],
      [r() * 360 - 180, r() * 160 - 80],
    ];
    const points: Cmd = ['GEOADD', 'pts'];
    let n = 0;
    for (const [clon, clat] of centres) {
      for (let i = 0; i < 60; i++) {
        const lon = Math.max(-180, Math.min(180, clon + (r() - 0.5) * 4));
        const lat = Math.max(-85, Math.min(85, clat + (r() - 0.5) * 2));
        points.push(lon.toFixed(6), lat.toFixed(6), `p${n++}`);
      }
    }
    for (let i = 0; i < 200; i++) points.push(coord(r, -180, 180), coord(r, -85, 85), `g${n++}`);
    // Some members sharing a position.
    for (let i = 0; i < 5; i++) points.push('1.5', '1.5', `dup${i}`);
    await d!.same([points, ['ZCARD', 'pts']]);
    const units = ['m', 'km', 'mi', 'ft'];
    const perUnit: Record<string, number> = { m: 1, km: 1000, mi: 1609.34, ft: 0.3048 };
    const cmds: Cmd[] = [];
    for (let i = 0; i < 250; i++) {
      const unit = units[Math.floor(r() * units.length)]!;
      const c = centres[Math.floor(r() * centres.length)]!;
      const meters = r() < 0.15 ? r() * 8e6 : r() < 0.5 ? r() * 300000 : r() * 30000;
      const size = (meters / perUnit[unit]!).toFixed(r() < 0.5 ? 0 : 3);
      const fromMember = r() < 0.3;
      const member = `p${Math.floor(r() * 360)}`;
      const lon = Math.max(-180, Math.min(180, c[0] + (r() - 0.5) * 3)).toFixed(5);
      const lat = Math.max(-85, Math.min(85, c[1] + (r() - 0.5) * 2)).toFixed(5);
      const opts: string[] = [];
      if (r() < 0.4) opts.push('WITHDIST');
      if (r() < 0.3) opts.push('WITHCOORD');
      if (r() < 0.3) opts.push('WITHHASH');
      const sort = r();
      if (sort < 0.3) opts.push('ASC');
      else if (sort < 0.5) opts.push('DESC');
      if (r() < 0.3) {
        opts.push('COUNT', String(1 + Math.floor(r() * 10)));
        if (r() < 0.3) opts.push('ANY');
      }
      const kind = r();
      if (kind < 0.5) {
        const from = fromMember ? ['FROMMEMBER', member] : ['FROMLONLAT', lon, lat];
        const by =
          r() < 0.5 ? ['BYRADIUS', size, unit] : ['BYBOX', size, (Number(size) * (0.3 + r() * 1.5)).toFixed(2), unit];
        cmds.push(['GEOSEARCH', 'pts', ...from, ...by, ...opts]);
      } else if (kind < 0.75) {
        cmds.push([r() < 0.5 ? 'GEORADIUS' : 'GEORADIUS_RO', 'pts', lon, lat, size, unit, ...opts]);
      } else {
        cmds.push([r() < 0.5 ? 'GEORADIUSBYMEMBER' : 'GEORADIUSBYMEMBER_RO', 'pts', member, size, unit, ...opts]);
      }
    }
    let nonEmpty = 0;
    for (const cmd of cmds) {
      const [x, y] = await d!.both(cmd);
      assert.equal(x, y, `seed ${seed}: ${JSON.stringify(cmd)}`);
      if (!x.startsWith('*0\r\n') && !x.startsWith('-')) nonEmpty++;
    }
    assert.ok(nonEmpty > cmds.length / 3, `seed ${seed}: only ${nonEmpty} searches found something`);
    // Store forms, compared through the stored sets.
    const store: Cmd[] = [];
    for (let i = 0; i < 40; i++) {
      const c = centres[Math.floor(r() * centres.length)]!;
      const size = String(Math.floor(r() * 400));
      const count = r() < 0.5 ? ['COUNT', String(1 + Math.floor(r() * 20))] : [];
      if (i % 2) {
        store.push([
          'GEOSEARCHSTORE',
          'st',
          'pts',
          'FROMLONLAT',
          String(c[0]),
          String(c[1]),
          'BYBOX',
          size,
          size,
          'km',
          ...count,
        ]);
        store.push(['ZRANGE', 'st', '0', '-1', 'WITHSCORES']);
      } else {
        store.push(['GEORADIUS', 'pts', String(c[0]), String(c[1]), size, 'km', 'STOREDIST', 'st', ...count]);
        store.push(['ZRANGE', 'st', '0', '-1']);
      }
    }
    await d!.same(store);
    // GEOPOS / GEOHASH / GEODIST of every member.
    const all: Cmd[] = [];
    for (let i = 0; i < n; i += 40) {
      const ms = Array.from({ length: Math.min(40, n - i) }, (_, k) => (i + k < 360 ? `p${i + k}` : `g${i + k}`));
      all.push(
        ['GEOPOS', 'pts', ...ms],
        ['GEOHASH', 'pts', ...ms],
        ['GEODIST', 'pts', ms[0]!, ms[ms.length - 1]!, 'km'],
      );
    }
    await d!.same(all);
  }
  await d!.reset();
});

test('keyspace events of GEOADD and the store forms', async () => {
  await d!.reset();
  await d!.both(['CONFIG', 'SET', 'notify-keyspace-events', 'KEA']);
  const sub = [await RawConn.connect(d.tsdis.port), await d.ref()] as const;
  try {
    const [x, y] = await Promise.all(sub.map((s) => s.call('PSUBSCRIBE', '__keyevent@0__:*')));
    assert.equal(x, y);
    await d!.same([
      CITIES,
      ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STORE', 'd1'],
      ['GEOSEARCHSTORE', 'd2', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km'],
      ['GEOSEARCHSTORE', 'd2', 'Sicily', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km'],
      ['GEOADD', 'Sicily', 'NX', '13.361389', '38.115556', 'Palermo'],
    ]);
    const [ex, ey] = await Promise.all([untilPong(sub[0]), untilPong(sub[1])]);
    assert.deepEqual(ex, ey, 'the keyspace event streams');
    assert.match(ex.join(''), /zadd/);
  } finally {
    sub[0].close();
    sub[1].close();
    await d!.both(['CONFIG', 'SET', 'notify-keyspace-events', '']);
  }
});

test('COUNT with equal distances keeps Redis partial-sort order', async () => {
  const r = rng(7);
  const add: Cmd = ['GEOADD', 'ties'];
  const spots = [
    ['1.5', '1.5'],
    ['1.5001', '1.5'],
    ['1.5', '1.5001'],
    ['1.4999', '1.5'],
    ['1.5', '1.4998'],
    ['1.5003', '1.5003'],
  ];
  for (let i = 0; i < 120; i++) {
    const s = spots[Math.floor(r() * spots.length)]!;
    add.push(s[0]!, s[1]!, `m${i}`);
  }
  const steps: Step[] = [add];
  for (let i = 0; i < 60; i++) {
    const count = String(1 + Math.floor(r() * 119));
    const order = r() < 0.5 ? 'ASC' : 'DESC';
    const sizes = r() < 0.5 ? ['BYRADIUS', '1', 'km'] : ['BYBOX', '3', '3', 'km'];
    steps.push(['GEOSEARCH', 'ties', 'FROMLONLAT', '1.5', '1.5', ...sizes, order, 'COUNT', count, 'WITHDIST']);
    steps.push(['GEORADIUS', 'ties', '1.5001', '1.5', '5', 'km', 'COUNT', count]);
  }
  steps.push(['GEOSEARCH', 'ties', 'FROMLONLAT', '1.5', '1.5', 'BYRADIUS', '1', 'km', 'DESC']);
  await both(d!, steps);
});

test('GEOADD reaches the AOF as ZADD with its scores; searches with STORE as themselves', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-geoaof-'));
  const cfg = { dir, appendonly: 'yes', 'aof-use-rdb-preamble': 'no' };
  let srv = await createServer({ config: cfg });
  try {
    await srv.call('GEOADD', 'g', 'CH', '13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania');
    await srv.call('GEOADD', 'g', 'NX', '1', '1', 'Palermo'); // changes nothing: not propagated
    await srv.call('GEORADIUS', 'g', '15', '37', '200', 'km', 'STOREDIST', 'd');
    await srv.call('GEOSEARCHSTORE', 'e', 'g', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '10', 'km');
    await srv.call('GEOSEARCH', 'g', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '10', 'km');
    const before = JSON.stringify([
      await srv.call('ZRANGE', 'g', '0', '-1', 'WITHSCORES'),
      await srv.call('ZRANGE', 'd', '0', '-1', 'WITHSCORES'),
      await srv.call('ZRANGE', 'e', '0', '-1', 'WITHSCORES'),
    ]);
    await srv.close();
    const m = fs.readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.manifest'), 'latin1');
    const file = path.join(dir, 'appendonlydir', /file (\S+) seq \d+ type i/.exec(m)![1]!);
    const cmds = readCommands(fs.readFileSync(file)).commands.filter((c) => c[0]!.toLowerCase() !== 'select');
    assert.deepEqual(
      cmds.map((c) => c.join(' ')),
      [
        'zadd g CH 3479099956230698 Palermo 3479447370796909 Catania',
        'GEORADIUS g 15 37 200 km STOREDIST d',
        'GEOSEARCHSTORE e g FROMMEMBER Palermo BYRADIUS 10 km',
      ],
    );
    srv = await createServer({ config: cfg });
    const after = JSON.stringify([
      await srv.call('ZRANGE', 'g', '0', '-1', 'WITHSCORES'),
      await srv.call('ZRANGE', 'd', '0', '-1', 'WITHSCORES'),
      await srv.call('ZRANGE', 'e', '0', '-1', 'WITHSCORES'),
    ]);
    assert.equal(after, before);
  } finally {
    await srv.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
