/**
 * The one float grammar (numbers.ts scanFloat) and its double rounding
 * (strtod, parseDouble): where glibc's strtod stops, its value and when it
 * sets ERANGE, checked against known glibc answers and against Number() and
 * BigInt arithmetic on random inputs. The commands that read floats are
 * compared with redis-server in test/commands/doubles.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDouble, scanFloat, strtod } from '../../src/util/numbers.js';
import { rng } from '../helpers/rng.js';

test('strtod stops where glibc stops', () => {
  const ends: [string, number][] = [
    ['', 0],
    [' ', 0],
    ['-', 0],
    ['+', 0],
    ['.', 0],
    ['-.', 0],
    ['e5', 0],
    ['abc', 0],
    ['- 1', 0],
    ['--1', 0],
    ['_1', 0],
    ['1', 1],
    ['  1.5abc', 5],
    ['\t\n\v\f\r7', 6],
    ['1e', 1],
    ['1e+', 1],
    ['1e-x', 1],
    ['1e5', 3],
    ['1E-05z', 5],
    ['5.', 2],
    ['.5', 2],
    ['1.2.3', 3],
    ['1_000', 1],
    ['1,5', 1],
    ['1\x002', 1],
    ['0x', 1],
    ['0x.', 1],
    ['0xg', 1],
    ['0x.p1', 1],
    ['0x1', 3],
    ['0x.8', 4],
    ['0X1P4', 5],
    ['0x1p', 3],
    ['0x1p+', 3],
    ['-0x1.8p-1z', 9],
    ['inf', 3],
    ['-INFx', 4],
    ['infinit', 3],
    ['Infinity', 8],
    ['+infinityx', 9],
    ['in', 0],
    ['nan', 3],
    ['-NaN', 4],
    ['nan(', 3],
    ['nan()', 5],
    ['nan(a_1)', 8],
    ['nan(a-1)', 3],
    ['nanx', 3],
  ];
  for (const [s, end] of ends) assert.equal(strtod(s).end, end, JSON.stringify(s));
  assert.equal(scanFloat('-0x1.8p-1').kind, 'hex');
  assert.equal(scanFloat('  +1.5e3').start, 2);
});

test('values and ERANGE as glibc gives them', () => {
  const rows: [string, number, boolean][] = [
    ['1.5', 1.5, false],
    ['-0', -0, false],
    ['0e-400', 0, false],
    ['-0x0p9', -0, false],
    ['0x10', 16, false],
    ['0x1.8p1', 3, false],
    ['0xA.Bp-2', 2.671875, false],
    ['inf', Infinity, false],
    ['-infinity', -Infinity, false],
    ['1e308', 1e308, false],
    ['1.7976931348623158e308', 1.7976931348623157e308, false],
    ['1.7976931348623159e308', Infinity, true],
    ['-1e400', -Infinity, true],
    ['0x1p1024', Infinity, true],
    ['0x1.fffffffffffff8p1023', Infinity, true],
    ['0x1.fffffffffffff7p1023', 1.7976931348623157e308, false],
    ['1e-400', 0, true],
    ['-1e-400', -0, true],
    ['2.4e-324', 0, true],
    ['0x1p-1075', 0, true],
    ['2.5e-324', 5e-324, true],
    ['4e-320', 4e-320, true],
    ['0x1p-1074', 5e-324, false],
    ['0x1.8p-1074', 1e-323, true],
    ['0x1p-1022', 2.2250738585072014e-308, false],
    ['2.2250738585072014e-308', 2.2250738585072014e-308, false],
    // just below 2^-1022: tiny (ERANGE) unless rounding to 53 bits reaches 2^-1022
    ['0x1.fffffffffffff8p-1023', 2.2250738585072014e-308, false],
    ['0x1.fffffffffffffcp-1023', 2.2250738585072014e-308, false],
    ['0x1.fffffffffffff4p-1023', 2.2250738585072014e-308, true],
    ['0x1.ffffffffffffep-1023', 2.225073858507201e-308, false],
  ];
  for (const [s, v, erange] of rows) {
    const r = strtod(s);
    assert.ok(Object.is(r.value, v), `${s}: ${r.value}`);
    assert.equal(r.erange, erange, s);
  }
  assert.ok(Number.isNaN(strtod('nan(1)').value));
});

test('parseDouble accepts what string2d accepts', () => {
  const ok: [string, number][] = [
    ['1', 1],
    ['-0', -0],
    ['+.5', 0.5],
    ['5.', 5],
    ['1e5', 1e5],
    ['0x10', 16],
    ['-0x.8', -0.5],
    ['inf', Infinity],
    ['-INF', -Infinity],
    ['+Infinity', Infinity],
    ['4e-320', 4e-320],
    ['0e-400', 0],
    ['0.30000000000000004', 0.30000000000000004],
    ['0.' + '1'.repeat(6000), 0.1111111111111111],
    ['1' + '0'.repeat(308), 1e308],
  ];
  for (const [s, v] of ok) assert.ok(Object.is(parseDouble(s), v), s.slice(0, 40));
  const bad = [
    '',
    ' 1',
    '\t1',
    '1 ',
    '1\x00',
    'nan',
    '-nan',
    'nan(1)',
    '1e400',
    '-1e400',
    '1e-400',
    '2.4e-324',
    '0x1p1024',
    '0x1p-1075',
    '1e',
    '0x',
    '0x1p',
    '.',
    '-',
    '1_000',
    '1,5',
    '(1',
    'infinit',
    '1' + '0'.repeat(309),
  ];
  for (const s of bad) assert.equal(parseDouble(s), null, JSON.stringify(s));
});

test('random decimals: every path gives what Number() gives', () => {
  const r = rng(20240613);
  const digits = (n: number): string => Array.from({ length: n }, () => String(Math.floor(r() * 10))).join('');
  for (let i = 0; i < 30000; i++) {
    const sign = ['', '-', '+'][Math.floor(r() * 3)]!;
    const int = digits(Math.floor(r() * 25));
    const frac = r() < 0.7 ? '.' + digits(Math.floor(r() * 25)) : '';
    const exp = r() < 0.4 ? 'e' + ['', '-', '+'][Math.floor(r() * 3)] + String(Math.floor(r() * 350)) : '';
    const s = sign + int + frac + exp;
    if (!/\d/.test(int + frac)) continue;
    const want = Number(s);
    const got = strtod(s);
    assert.ok(Object.is(got.value, want), s);
    assert.equal(got.end, s.length, s);
    const p = parseDouble(s);
    const zeroText = !/[1-9]/.test(int + frac);
    if (!Number.isFinite(want) || (want === 0 && !zeroText)) assert.equal(p, null, s);
    else assert.ok(Object.is(p, want), s);
  }
});

test('random hexadecimal floats round correctly', () => {
  const r = rng(4242);
  const hex = (n: number): string => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(r() * 16)]).join('');
  for (let i = 0; i < 20000; i++) {
    const int = hex(1 + Math.floor(r() * 20));
    const frac = hex(Math.floor(r() * 20));
    const p = Math.floor(r() * 2000) - 1000;
    const s = `0x${int}.${frac}p${p}`;
    // Number(BigInt) rounds to nearest-even; scaling by a power of two is exact while the result stays normal.
    const m = BigInt('0x' + int + frac);
    const e = p - 4 * frac.length;
    if (e < -1074 || e > 1023) continue;
    const want = Number(m) * 2 ** e;
    if (!Number.isFinite(want) || want < 2.2250738585072014e-308) continue;
    assert.ok(Object.is(strtod(s).value, want), s);
  }
});
