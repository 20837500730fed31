/**
 * numberToString's shortcut (the shortest round-trip digits when there are
 * 14 or fewer) against the exact "%.14g" it stands for (formatG, which the
 * differential tests compare with redis-server's tostring).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatG, numberToString } from '../../../src/scripting/jslua/value.js';
import { rng } from '../../helpers/rng.js';

test('numberToString is "%.14g" for random doubles of every exponent, short decimals, subnormals and edges', () => {
  const next = rng(1419);
  const f = new Float64Array(1);
  const w = new Uint32Array(f.buffer);
  const xs = [0.1, 1 / 3, 123.456, -0.5, 1e-5, 1.5e-5, 2.5e20, 1e15 + 0.5, 99999999999999.9, 1e14 - 0.1, 5e-324];
  xs.push(2.2250738585072014e-308, 2.225073858507201e-308, 1.7976931348623157e308, 0.30000000000000004, 1e21, -0, 0);
  for (let i = 0; i < 200000; i++) {
    w[0] = Math.floor(next() * 2 ** 32);
    w[1] = Math.floor(next() * 2 ** 32);
    xs.push(f[0]!);
    // decimals of few digits, at many scales (the common case in scripts)
    xs.push((Math.round(next() * 1e6) / 10 ** Math.floor(next() * 14)) * (next() < 0.5 ? -1 : 1));
  }
  let n = 0;
  for (const x of xs) {
    if (!Number.isFinite(x)) continue;
    assert.equal(numberToString(x), formatG(x, 14), `${x}`);
    n++;
  }
  assert.ok(n > 390000);
});
