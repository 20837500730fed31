/**
 * SORT and SORT_RO: differential tests against redis-server in RESP2 and
 * RESP3 — numeric and ALPHA order, ties, LIMIT edge cases, BY with string
 * and hash patterns (missing keys, wrong types, constant patterns), GET,
 * STORE, lists / sets / sorted sets, weights strtod accepts or rejects,
 * error paths and their order, large inputs, the zset encoding change and
 * COMMAND GETKEYS. Sets have no defined order: SORT orders them, but BY
 * nosort on a set is compared by content only.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Differ, decode, type Cmd } from '../helpers/diff.js';
import { RawConn } from '../helpers/servers.js';
import { rng } from '../helpers/rng.js';
import { both as runBoth, type Step } from './strdiff.js';

const d = await Differ.start();
after(() => d?.stop());

/** Runs the steps from a flushed db in RESP2 and then in RESP3. */
async function both(steps: Step[]): Promise<void> {
  await runBoth(d!, steps);
}

const unordered = (cmd: Cmd): Step => ['sorted', ...cmd];

test('numeric and ALPHA order on lists, ASC/DESC, ties', async () => {
  await both([
    [
      'RPUSH',
      'l',
      '3',
      '1',
      '2',
      '10',
      '-5',
      '1.5',
      '1e1',
      '01',
      '1.0',
      '+1',
      '0x1',
      ' 1',
      '-0',
      '0',
      'inf',
      '-inf',
      '1',
    ],
    ['SORT', 'l'],
    ['SORT', 'l', 'DESC'],
    ['SORT', 'l', 'ASC'],
    ['SORT', 'l', 'desc', 'asc'],
    ['SORT', 'l', 'asc', 'desc'],
    ['SORT', 'l', 'ALPHA'],
    ['SORT', 'l', 'alpha', 'DESC'],
    ['SORT_RO', 'l'],
    ['SORT_RO', 'l', 'ALPHA', 'DESC'],
    ['SORT', 'nokey'],
    ['SORT', 'nokey', 'ALPHA', 'DESC', 'LIMIT', '0', '1'],
    ['SORT_RO', 'nokey'],
    ['RPUSH', 'a', 'b', 'B', 'a', 'aa', '', 'ab', 'a b', '\u00ff', '\u0080', 'Z', '1', '10', '9'],
    ['SORT', 'a', 'ALPHA'],
    ['SORT', 'a', 'ALPHA', 'DESC'],
    ['SORT', 'a'],
    // Bytes after a NUL: strcoll (no STORE) stops there, STORE compares all bytes.
    ['RPUSH', 'n', Buffer.from('a\0c'), Buffer.from('a\0b'), 'a', Buffer.from('a\0a'), 'b'],
    ['SORT', 'n', 'ALPHA'],
    ['SORT', 'n', 'ALPHA', 'DESC'],
    ['SORT', 'n', 'ALPHA', 'STORE', 'ns'],
    ['LRANGE', 'ns', '0', '-1'],
    ['SORT', 'n', 'ALPHA', 'DESC', 'STORE', 'ns'],
    ['LRANGE', 'ns', '0', '-1'],
    ['RPUSH', 'nn', Buffer.from('5\0x'), '3', Buffer.from('4\0'), Buffer.from('\x004')],
    ['SORT', 'nn'],
    ['SORT', 'nn', 'DESC'],
    ['RPUSH', 'dup', '2', '1', '2', '1', '3', '2'],
    ['SORT', 'dup'],
    ['SORT', 'dup', 'DESC', 'ALPHA'],
  ]);
});

test('weights as strtod parses them', async () => {
  const good = [
    '',
    ' 1',
    '\t2',
    '0x10',
    '0X1p4',
    '0x.8',
    'inf',
    '-Infinity',
    'INF',
    '+5',
    '.5',
    '5.',
    '1e3',
    '1E-3',
    '-0',
    '2.2250738585072014e-308',
    '1.7976931348623157e308',
    '123456789012345678901234567890',
    '0e-999',
    '0x0p-9999',
    '\n\v\f\r7',
  ];
  const bad = [
    '1 ',
    'abc',
    'nan',
    '-nan',
    'NaN(1)',
    '1e400',
    '-1e400',
    '1e-310',
    '1e-400',
    '4.9e-324',
    '1_0',
    '0x',
    '0xg',
    '0x1p',
    '1e',
    '1e+',
    'infinit',
    'infinityx',
    '--1',
    '+-1',
    '.',
    '-',
    ' ',
    '1.2.3',
    '0x1p99999',
  ];
  const steps: Step[] = [];
  for (const v of [...good, ...bad]) {
    steps.push(['DEL', 'q'], ['RPUSH', 'q', v, '0.5'], ['SORT', 'q'], ['SORT', 'q', 'DESC'], ['SORT', 'q', 'ALPHA']);
    steps.push(['SET', 'w_x', v], ['SORT', 'ids', 'BY', 'w_*']);
    // Redis checks errno after strtod without clearing it first, so an
    // overflow leaves later SORTs failing until something (here the
    // string2ld of INCRBYFLOAT) zeroes errno; tsdis does not emulate that.
    steps.push(['INCRBYFLOAT', 'errno', '0']);
  }
  await both([['RPUSH', 'ids', 'x', 'y'], ['SET', 'w_y', '0.75'], ...steps]);
});

test('LIMIT offsets and counts', async () => {
  const vals = ['0', '1', '2', '5', '6', '7', '-1', '-2', '-100', '100', '9223372036854775807', '-9223372036854775808'];
  const steps: Step[] = [
    ['RPUSH', 'l', '5', '3', '1', '4', '2', '6'],
    ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd'],
    ['SADD', 's', '9', '8', '7'],
  ];
  for (const o of vals) {
    for (const c of vals) {
      steps.push(
        ['SORT', 'l', 'LIMIT', o, c],
        ['SORT', 'l', 'LIMIT', o, c, 'DESC'],
        ['SORT', 'l', 'BY', 'nosort', 'LIMIT', o, c],
        ['SORT', 'l', 'BY', 'nosort', 'LIMIT', o, c, 'DESC'],
        ['SORT', 'z', 'BY', 'nosort', 'LIMIT', o, c],
        ['SORT', 'z', 'BY', 'nosort', 'DESC', 'LIMIT', o, c],
        ['SORT', 's', 'LIMIT', o, c, 'ALPHA'],
        ['SORT', 'nokey', 'LIMIT', o, c],
        ['SORT', 'l', 'BY', 'w_*', 'LIMIT', o, c],
        ['SORT', 'l', 'LIMIT', o, c, 'STORE', 'dst'],
        ['LRANGE', 'dst', '0', '-1'],
      );
    }
  }
  steps.push(
    ['SORT', 'l', 'LIMIT', '1', '2', 'LIMIT', '0', '3'],
    ['SORT', 'l', 'LIMIT', '+1', '2'],
    ['SORT', 'l', 'LIMIT', '01', '2'],
  );
  await both(steps);
});

test('BY and GET with string and hash patterns', async () => {
  await both([
    ['RPUSH', 'ids', '1', '2', '3', '4', '5'],
    ['MSET', 'w_1', '50', 'w_2', '10', 'w_3', '30', 'w_5', '10'],
    ['HSET', 'h_1', 'f', 'b', 'n', '5'],
    ['HSET', 'h_2', 'f', 'a'],
    ['HSET', 'h_3', 'f', 'c', 'n', '-1'],
    ['SET', 'h_4', 'notahash'],
    ['RPUSH', 'w_4x', 'list'],
    ['MSET', 'name_1', 'one', 'name_2', 'two', 'name_4', 'four'],
    ['SORT', 'ids', 'BY', 'w_*'],
    ['SORT', 'ids', 'BY', 'w_*', 'DESC'],
    ['SORT', 'ids', 'BY', 'w_*', 'ALPHA'],
    ['SORT', 'ids', 'BY', 'w_*', 'ALPHA', 'DESC'],
    ['SORT', 'ids', 'BY', 'h_*->f', 'ALPHA'],
    ['SORT', 'ids', 'BY', 'h_*->f', 'ALPHA', 'DESC'],
    ['SORT', 'ids', 'BY', 'h_*->n'],
    ['SORT', 'ids', 'BY', 'h_*->n', 'DESC'],
    ['SORT', 'ids', 'BY', 'h_*->f'],
    ['SORT', 'ids', 'BY', 'h_*->nofield'],
    ['SORT', 'ids', 'BY', 'w_*x'],
    ['SORT', 'ids', 'BY', 'h_*->'],
    ['SORT', 'ids', 'BY', 'h_*-'],
    ['SORT', 'ids', 'BY', '*'],
    ['SORT', 'ids', 'BY', 'w_*', 'GET', '#'],
    ['SORT', 'ids', 'GET', 'name_*'],
    [
      'SORT',
      'ids',
      'GET',
      '#',
      'GET',
      'name_*',
      'GET',
      'h_*->f',
      'GET',
      'w_*',
      'GET',
      'nostar',
      'GET',
      'h_*->',
      'GET',
      '##',
    ],
    ['SORT', 'ids', 'BY', 'h_*->f', 'ALPHA', 'GET', 'h_*->f', 'GET', 'h_*->n'],
    ['SORT', 'ids', 'GET', 'h_*'],
    ['SORT', 'ids', 'GET', 'w_*x'],
    ['SORT', 'ids', 'BY', 'w_*', 'LIMIT', '1', '2', 'GET', 'name_*', 'GET', '#'],
    ['SORT_RO', 'ids', 'BY', 'w_*', 'GET', 'name_*'],
    ['SORT', 'ids', 'GET', '*_1'],
    ['SORT', 'ids', 'GET', 'name_**'],
    ['MSET', 'name_1*', 'star'],
    ['SORT', 'ids', 'GET', 'name_**'],
    ['SORT', 'ids', 'BY', 'nosort', 'GET', 'name_*'],
    ['SORT', 'ids', 'BY', 'nosort', 'DESC', 'GET', 'name_*', 'LIMIT', '1', '2'],
    // A constant BY turns sorting off even when a later BY is a pattern.
    ['SORT', 'ids', 'BY', 'nosort', 'BY', 'w_*'],
    ['SORT', 'ids', 'BY', 'w_*', 'BY', 'nosort'],
    ['SORT', 'ids', 'BY', 'w_*', 'BY', 'h_*->n'],
    ['SORT', 'ids', 'BY', Buffer.from('w_\0*')],
    ['SORT', 'ids', 'GET', Buffer.from('#\0x')],
    ['SORT', 'ids', 'GET', Buffer.from('name_*\0x')],
    ['HSET', 'k_1', 'a->b', 'x', 'a', 'y'],
    ['SORT', 'ids', 'GET', 'k_*->a->b', 'GET', 'k_*->a', 'LIMIT', '0', '1'],
    ['HSET', 'x->1', 'f', 'z'],
    ['SORT', 'ids', 'GET', 'x->*->f', 'LIMIT', '0', '1'],
    ['SET', 'x->1', 'v'],
    ['SORT', 'ids', 'GET', 'x->*', 'LIMIT', '0', '1'],
    ['SET', 'w_2', 'abc'],
    ['SORT', 'ids', 'BY', 'w_*'],
    ['SORT', 'ids', 'BY', 'w_*', 'ALPHA'],
    ['SORT', 'ids', 'BY', 'w_*', 'STORE', 'd'],
    ['EXISTS', 'd'],
  ]);
});

test('ties with BY: missing weights, ALPHA, partial sort under LIMIT', async () => {
  const r = rng(7);
  const ids: string[] = [];
  const steps: Step[] = [];
  for (let i = 0; i < 300; i++) {
    const id = String(Math.floor(r() * 1000));
    ids.push(id);
    if (r() < 0.8) steps.push(['SET', 'w_' + id, String(Math.floor(r() * 5))]);
    if (r() < 0.8) steps.push(['SET', 'a_' + id, 'x' + Math.floor(r() * 4)]);
  }
  steps.unshift(['RPUSH', 'l', ...ids]);
  for (const [o, c] of [
    ['0', '10'],
    ['5', '20'],
    ['100', '50'],
    ['290', '50'],
    ['0', '299'],
    ['1', '-1'],
    ['0', '300'],
    ['3', '3'],
  ]) {
    for (const by of ['w_*', 'a_*', 'missing_*']) {
      for (const extra of [[], ['ALPHA'], ['DESC'], ['ALPHA', 'DESC']]) {
        steps.push(
          ['SORT', 'l', 'BY', by, 'LIMIT', o!, c!, ...extra],
          ['SORT', 'l', 'BY', by, ...extra, 'LIMIT', o!, c!, 'GET', '#', 'GET', by],
        );
        steps.push(['SORT', 'l', 'BY', by, 'LIMIT', o!, c!, ...extra, 'STORE', 'dst'], ['LRANGE', 'dst', '0', '-1']);
      }
    }
  }
  for (const n of [2, 3, 6, 7, 8, 39, 40, 41, 42, 60]) {
    steps.push(['DEL', 'm'], ['RPUSH', 'm', ...ids.slice(0, n)]);
    for (const [o, c] of [
      ['0', '1'],
      ['1', '1'],
      [String(n - 2), '5'],
      ['2', String(n - 4)],
    ]) {
      steps.push(
        ['SORT', 'm', 'BY', 'a_*', 'ALPHA', 'LIMIT', o!, c!],
        ['SORT', 'm', 'BY', 'w_*', 'ALPHA', 'DESC', 'LIMIT', o!, c!],
        ['SORT', 'm', 'BY', 'missing_*', 'ALPHA', 'LIMIT', o!, c!],
      );
    }
  }
  steps.push(
    ['SORT', 'l', 'BY', 'w_*'],
    ['SORT', 'l', 'BY', 'a_*', 'ALPHA'],
    ['SORT', 'l', 'BY', 'missing_*', 'ALPHA', 'DESC'],
  );
  await both(steps);
});

test('sets and sorted sets', async () => {
  const big = Array.from({ length: 200 }, (_, i) => String((i * 37) % 211));
  await both([
    ['SADD', 'si', '5', '-3', '10', '2'],
    ['SADD', 'sl', 'b', 'a', '3', 'c'],
    ['SADD', 'sh', ...big],
    ['SADD', 'sh2', ...big.map((x) => 'm' + x)],
    ['SORT', 'si'],
    ['SORT', 'si', 'DESC'],
    ['SORT', 'si', 'ALPHA'],
    ['SORT', 'sl', 'ALPHA'],
    ['SORT', 'sl'],
    ['SORT', 'sh'],
    ['SORT', 'sh', 'DESC', 'LIMIT', '10', '5'],
    ['SORT', 'sh2', 'ALPHA'],
    ['SORT', 'sh2', 'ALPHA', 'DESC', 'LIMIT', '0', '7'],
    ['SORT_RO', 'sh', 'ALPHA'],
    unordered(['SORT', 'si', 'BY', 'nosort']),
    unordered(['SORT', 'sh', 'BY', 'nosort']),
    unordered(['SORT', 'sl', 'BY', 'nosort', 'DESC']),
    unordered(['SORT', 'sl', 'BY', 'nosort', 'GET', '#', 'GET', 'x_*']),
    // STORE makes a constant BY on a set an ALPHA sort.
    ['SORT', 'sh', 'BY', 'nosort', 'STORE', 'd'],
    ['LRANGE', 'd', '0', '-1'],
    ['SORT', 'sl', 'BY', 'nosort', 'DESC', 'LIMIT', '1', '2', 'STORE', 'd'],
    ['LRANGE', 'd', '0', '-1'],
    ['SORT', 'si', 'BY', 'nosort', 'GET', 'x_*', 'STORE', 'd'],
    ['LRANGE', 'd', '0', '-1'],
    ['MSET', 'x_5', 'five', 'x_a', 'A'],
    ['SORT', 'si', 'BY', 'x_*', 'ALPHA', 'GET', 'x_*', 'GET', '#'],
    ['ZADD', 'z', '3', 'c', '1', 'a', '2', 'b', '2', 'bb', '-1', '10', '5', '2'],
    ['OBJECT', 'ENCODING', 'z'],
    ['SORT', 'z', 'BY', 'nosort'],
    ['OBJECT', 'ENCODING', 'z'],
    ['SORT', 'z', 'BY', 'nosort', 'DESC'],
    ['SORT', 'z', 'ALPHA'],
    ['SORT', 'z', 'ALPHA', 'DESC', 'LIMIT', '1', '3'],
    ['SORT', 'z'],
    ['SORT', 'z', 'BY', 'nosort', 'LIMIT', '2', '3', 'GET', '#', 'GET', 'x_*'],
    ['SORT', 'z', 'BY', 'nosort', 'STORE', 'zd'],
    ['LRANGE', 'zd', '0', '-1'],
    ['ZADD', 'z2', '1', 'x'],
    ['SORT_RO', 'z2', 'ALPHA'],
    ['OBJECT', 'ENCODING', 'z2'],
    ['ZADD', 'zn', '1', '5', '2', '3', '3', '4'],
    ['SORT', 'zn'],
    ['SORT', 'zn', 'DESC', 'LIMIT', '0', '2'],
    ['SORT', 'zn', 'BY', 'nosort', 'DESC', 'LIMIT', '0', '2'],
  ]);
});

test('STORE', async () => {
  await both([
    ['RPUSH', 'l', '3', '1', '2'],
    ['SORT', 'l', 'STORE', 'd'],
    ['LRANGE', 'd', '0', '-1'],
    ['TYPE', 'd'],
    ['SET', 'str', 'x'],
    ['SORT', 'l', 'DESC', 'STORE', 'str'],
    ['TYPE', 'str'],
    ['LRANGE', 'str', '0', '-1'],
    ['SADD', 'set', 'a'],
    ['SORT', 'l', 'store', 'set', 'LIMIT', '0', '2'],
    ['LRANGE', 'set', '0', '-1'],
    ['SORT', 'l', 'GET', 'nope_*', 'GET', '#', 'STORE', 'g'],
    ['LRANGE', 'g', '0', '-1'],
    ['LLEN', 'g'],
    ['SORT', 'nokey', 'STORE', 'd'],
    ['EXISTS', 'd'],
    ['SORT', 'nokey', 'STORE', 'd'],
    ['SORT', 'l', 'LIMIT', '5', '1', 'STORE', 'str'],
    ['EXISTS', 'str'],
    ['SORT', 'l', 'STORE', 'l'],
    ['LRANGE', 'l', '0', '-1'],
    ['SORT', 'l', 'STORE', 'a', 'STORE', 'b'],
    ['EXISTS', 'a'],
    ['LRANGE', 'b', '0', '-1'],
    ['SET', 'ttl', 'x', 'EX', '100'],
    ['SORT', 'l', 'STORE', 'ttl'],
    ['TTL', 'ttl'],
    ['SORT', 'l', 'BY', 'nosort', 'DESC', 'STORE', 'd'],
    ['LRANGE', 'd', '0', '-1'],
    ['SORT', 'l', 'GET', '#', 'GET', '#', 'LIMIT', '0', '0', 'STORE', 'd'],
    ['EXISTS', 'd'],
    ['SORT_RO', 'l', 'STORE', 'd'],
    ['SORT', 'l', 'STORE'],
    ['RPUSH', 'bad', '1', 'x'],
    ['SET', 'keep', 'v'],
    ['SORT', 'bad', 'STORE', 'keep'],
    ['GET', 'keep'],
    ['RPUSH', 'big', ...Array.from({ length: 300 }, (_, i) => String(300 - i))],
    ['SORT', 'big', 'STORE', 'bd'],
    ['LRANGE', 'bd', '0', '9'],
    ['LLEN', 'bd'],
    ['DBSIZE'],
  ]);
});

test('errors and their order', async () => {
  await both([
    ['RPUSH', 'l', '1', 'a', '2'],
    ['SET', 's', 'str'],
    ['HSET', 'h', 'f', 'v'],
    ['RPUSH', 'ok', '1'],
    ['SORT'],
    ['SORT_RO'],
    ['SORT', 'l'],
    ['SORT', 'l', 'ALPHA'],
    ['SORT', 'l', 'DESC'],
    ['SORT', 's'],
    ['SORT', 'h'],
    ['SORT_RO', 's'],
    ['SORT', 's', 'ALPHA'],
    ['SORT', 's', 'FOO'],
    ['SORT', 's', 'LIMIT', 'x', '1'],
    ['SORT', 'ok', 'LIMIT', '0'],
    ['SORT', 'ok', 'LIMIT'],
    ['SORT', 'ok', 'LIMIT', '0', 'x'],
    ['SORT', 'ok', 'LIMIT', '1.5', '1'],
    ['SORT', 'ok', 'LIMIT', '99999999999999999999', '1'],
    ['SORT', 'ok', 'BY'],
    ['SORT', 'ok', 'GET'],
    ['SORT', 'ok', 'STORE'],
    ['SORT_RO', 'ok', 'STORE', 'x'],
    ['SORT', 'ok', 'FOO', 'LIMIT', 'x', 'y'],
    ['SORT', 'ok', 'LIMIT', 'x', 'y', 'FOO'],
    ['SORT', 'ok', 'ALPHA', 'ALPHA', 'DESC', 'DESC'],
    ['SORT', 'ok', 'asc', 'BY'],
    ['SORT', 'l', 'LIMIT', '0', '1'],
    ['SORT', 'l', 'BY', 'nosort'],
    ['SORT', 'l', 'BY', 'nosort', 'STORE', 'x'],
    ['EXISTS', 'x'],
    ['SORT', 'l', 'GET', '#'],
    ['SORT', 'l', 'STORE', 'x'],
    ['EXISTS', 'x'],
    ['SORT_RO', 'l', 'LIMIT', '0', '0'],
    ['SORT', 'nokey', 'BY', 'w_*', 'FOO'],
    ['SORT', 'nokey', 'get', '#', 'Store'],
    ['SORT', 'l', Buffer.from('alpha\0x'), Buffer.from('DESC\0')],
    ['SORT', 'l', Buffer.from('\0alpha')],
    ['SORT', 'l', 'alph\u00e0'],
  ]);
});

test('large inputs', async () => {
  const r = rng(42);
  const nums = Array.from({ length: 1000 }, () => String(Math.floor(r() * 2000) - 1000) + (r() < 0.3 ? '.5' : ''));
  const words = Array.from({ length: 1000 }, () => Math.floor(r() * 1e9).toString(36));
  const steps: Step[] = [
    ['RPUSH', 'ln', ...nums],
    ['RPUSH', 'lw', ...words],
    ['SADD', 'sn', ...nums],
    ['SADD', 'sw', ...words],
  ];
  const zargs: string[] = [];
  words.forEach((w, i) => zargs.push(String(i % 17), w));
  steps.push(['ZADD', 'z', ...zargs]);
  const mset: string[] = [];
  words.forEach((w, i) => mset.push('w_' + w, String(i % 50)));
  steps.push(['MSET', ...mset]);
  steps.push(
    ['SORT', 'ln'],
    ['SORT', 'ln', 'DESC'],
    ['SORT', 'ln', 'ALPHA'],
    ['SORT', 'lw', 'ALPHA'],
    ['SORT', 'lw', 'ALPHA', 'DESC', 'LIMIT', '500', '100'],
    ['SORT', 'sn'],
    ['SORT', 'sn', 'DESC', 'LIMIT', '10', '900'],
    ['SORT', 'sw', 'ALPHA'],
    ['SORT', 'z', 'ALPHA'],
    ['SORT', 'z', 'BY', 'nosort'],
    ['SORT', 'z', 'BY', 'nosort', 'DESC', 'LIMIT', '300', '200'],
    ['SORT', 'lw', 'BY', 'w_*'],
    ['SORT', 'lw', 'BY', 'w_*', 'DESC', 'LIMIT', '100', '300'],
    ['SORT', 'lw', 'BY', 'w_*', 'ALPHA', 'LIMIT', '0', '999'],
    ['SORT', 'lw', 'BY', 'w_*', 'ALPHA', 'DESC', 'LIMIT', '500', '20', 'GET', 'w_*', 'GET', '#'],
    unordered(['SORT', 'sw', 'BY', 'w_*', 'ALPHA', 'LIMIT', '0', '1000']),
    ['SORT', 'sw', 'BY', 'w_*', 'GET', '#'],
    ['SORT', 'ln', 'STORE', 'd'],
    ['LRANGE', 'd', '0', '-1'],
    ['SORT', 'sw', 'ALPHA', 'STORE', 'd'],
    ['LRANGE', 'd', '0', '-1'],
    ['SORT', 'lw'],
  );
  await both(steps);
});

test('COMMAND GETKEYS', async () => {
  await both([
    ['COMMAND', 'GETKEYS', 'SORT', 'k'],
    ['COMMAND', 'GETKEYS', 'SORT', 'k', 'STORE', 'd'],
    ['COMMAND', 'GETKEYSANDFLAGS', 'SORT', 'k', 'STORE', 'd'],
    ['COMMAND', 'GETKEYS', 'SORT', 'k', 'STORE', 'd', 'STORE', 'e', 'BY', 'x', 'GET', 'y'],
    ['COMMAND', 'GETKEYS', 'SORT', 'k', 'STORE'],
    ['COMMAND', 'GETKEYS', 'SORT', 'k', 'LIMIT', 'STORE', 'x', 'y'],
    ['COMMAND', 'GETKEYS', 'SORT', 'k', 'GET', 'store', 'd'],
    ['COMMAND', 'GETKEYS', 'SORT', 'k', 'store', 'limit', '1', '2'],
    ['COMMAND', 'GETKEYS', 'SORT_RO', 'k', 'BY', 'x'],
    ['COMMAND', 'GETKEYSANDFLAGS', 'SORT_RO', 'k'],
    ['COMMAND', 'INFO', 'SORT', 'SORT_RO'],
  ]);
});

test('keyspace events of STORE: sortstore (l) and del (g)', async () => {
  await d!.reset();
  const sub = await d.ref();
  await d!.b.call('CONFIG', 'SET', 'notify-keyspace-events', 'Egl');
  const server = d!.tsdis.server;
  const mine: string[] = [];
  const saved = server.hooks.notify;
  server.hooks.notify = (cls, event, key, dbid) => {
    if (cls === 'g' || cls === 'l') mine.push(`${dbid}:${cls}:${event}:${key}`);
  };
  try {
    await sub.call('PSUBSCRIBE', '__keyevent@*__:*');
    const cmds: Cmd[] = [
      ['RPUSH', 'l', '2', '1'],
      ['SORT', 'l', 'STORE', 'd'],
      ['SORT', 'l', 'STORE', 'd'],
      ['SORT', 'nokey', 'STORE', 'd'],
      ['SORT', 'nokey', 'STORE', 'd'],
      ['SORT', 'l', 'LIMIT', '0', '0', 'STORE', 'l'],
      ['SORT', 'l', 'STORE', 'd'],
      ['SORT_RO', 'l'],
      ['SET', '__end__', '1'],
      ['DEL', '__end__'],
    ];
    for (const c of cmds) await d!.both(c);
    const theirs: string[] = [];
    for (let i = 0; i < 100; i++) {
      const m = decode(await sub.read(2000)) as string[];
      const [, , channel, key] = m;
      const db = /@(\d+)__/.exec(channel!)![1];
      const event = channel!.slice(channel!.indexOf(':') + 1);
      theirs.push(`${db}:${event === 'del' ? 'g' : 'l'}:${event}:${key}`);
      if (theirs[theirs.length - 1] === '0:g:del:__end__') break;
    }
    assert.deepEqual(mine, theirs);
  } finally {
    server.hooks.notify = saved;
    sub.close();
    await d!.b.call('CONFIG', 'SET', 'notify-keyspace-events', '');
  }
});

test('WATCH, keyspace hits and misses, dirty keys', async () => {
  const watch = (cmd: Cmd): Step[] => [['WATCH', 'd'], cmd, ['MULTI'], ['PING'], ['EXEC']];
  const stats = (): Cmd => [
    'EVAL',
    "local s = redis.call('INFO', 'stats'); return {string.match(s, 'keyspace_hits:%d+'), string.match(s, 'keyspace_misses:%d+')}",
    '0',
  ];
  // WATCH and EVAL may not exist in tsdis yet: those steps run once they do.
  const has = (name: string): boolean => d!.tsdis.server.commands.lookup(name) !== undefined;
  const watched = has('watch')
    ? [
        ...watch(['SORT', 'l', 'STORE', 'd']),
        ...watch(['SORT', 'l', 'STORE', 'd']),
        ...watch(['SORT', 'nokey', 'STORE', 'd']),
        ...watch(['SORT', 'nokey', 'STORE', 'd']),
        ...watch(['SORT', 'l', 'STORE', 'x']),
        ...watch(['SORT_RO', 'l']),
      ]
    : [];
  await both([
    ['RPUSH', 'l', '2', '1'],
    ['MSET', 'w_1', '1', 'w_2', '2', 'g_1', 'x'],
    ...watched,
    ['CONFIG', 'RESETSTAT'],
    ['SORT', 'l', 'BY', 'w_*', 'GET', 'g_*', 'GET', '#'],
    ['SORT', 'nokey'],
    ['SORT', 'l', 'BY', 'nosort'],
    ['SORT', 'l', 'BY', 'w_*', 'GET', 'g_*', 'STORE', 'd'],
    ['SORT_RO', 'l', 'BY', 'v_*', 'GET', 'h_*->f'],
    ...(has('eval') ? [stats()] : []),
    ['INFO', 'keyspace'],
  ]);
  // keyspace hits/misses (reset by RESETSTAT) and the dirty counter's growth.
  const read = async (): Promise<[string[], string[]]> => {
    const pick = (raw: string): string[] =>
      raw.split('\r\n').filter((l) => /^(keyspace_(hits|misses)|rdb_changes_since_last_save):/.test(l));
    return d.bothView(pick, ['INFO', 'all']);
  };
  const dirty = (lines: string[]): number => Number(lines.find((l) => l.startsWith('rdb_'))!.split(':')[1]);
  let before: [string[], string[]] = [[], []];
  const hits = async (): Promise<void> => {
    const [x, y] = await read();
    assert.equal(x.length, 3);
    assert.deepEqual(
      x.filter((l) => l.startsWith('key')),
      y.filter((l) => l.startsWith('key')),
    );
    assert.equal(dirty(x) - dirty(before[0]), dirty(y) - dirty(before[1]), 'dirty');
  };
  const seqs: Cmd[][] = [
    [['SORT', 'l', 'BY', 'w_*', 'GET', 'g_*', 'GET', '#']],
    [['SORT', 'nokey']],
    [['SORT', 'l', 'BY', 'nosort', 'GET', 'w_*']],
    [['SORT', 'l', 'BY', 'w_*', 'GET', 'g_*', 'STORE', 'd']],
    [['SORT_RO', 'l', 'BY', 'v_*', 'GET', 'h_*->f']],
    [['SORT', 'l', 'ALPHA', 'STORE', 'l']],
  ];
  await d!.reset();
  await d!.both(['RPUSH', 'l', '2', '1']);
  await d!.both(['MSET', 'w_1', '1', 'w_2', '2', 'g_1', 'x']);
  for (const seq of seqs) {
    await d!.both(['CONFIG', 'RESETSTAT']);
    before = await read();
    for (const c of seq) await d!.same([c]);
    await hits();
  }
  await d!.reset();
});

test('STORE wakes a client blocked on the destination', async () => {
  await d!.reset();
  const x = await RawConn.connect(d!.tsdis.port);
  const y = await d.ref();
  try {
    await d!.same([['RPUSH', 'l', '3', '1', '2']]);
    const blpop = '*3\r\n$5\r\nBLPOP\r\n$3\r\ndst\r\n$1\r\n5\r\n';
    x.write(blpop);
    y.write(blpop);
    await d.blocked(1);
    await d!.same([['SORT', 'l', 'STORE', 'dst']]);
    assert.equal(await x.read(3000), await y.read(3000));
    await d!.same([['LRANGE', 'dst', '0', '-1']]);
  } finally {
    x.close();
    y.close();
    await d!.reset();
  }
});
