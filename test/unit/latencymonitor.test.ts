/**
 * The latency monitor's sample ring (one sample per second, the highest
 * kept, 160 at most, all-time max), the histogram's LATENCY HISTOGRAM
 * buckets, and MONITOR's argument escaping.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LatencyMonitor, LATENCY_TS_LEN, latencyGraph, latencyDoctor } from '../../src/observability/latencymonitor.js';
import { LatencyHistogram } from '../../src/observability/latency.js';
import { monitorArgs } from '../../src/server/monitor.js';
import { repr } from '../../src/util/strings.js';

test('latency samples: one per second keeping the highest, a ring of 160, all-time max', () => {
  const m = new LatencyMonitor();
  m.add('command', 5, 100);
  m.add('command', 9, 100);
  m.add('command', 7, 100);
  const ts = m.events.get('command')!;
  assert.deepEqual(ts.ordered(), [{ time: 100, latency: 9 }]);
  for (let t = 101; t < 101 + LATENCY_TS_LEN + 10; t++) m.add('command', t % 50, t);
  const s = ts.ordered();
  assert.equal(s.length, LATENCY_TS_LEN);
  assert.equal(s[0]!.time, 101 + 10);
  assert.equal(s[s.length - 1]!.time, 100 + LATENCY_TS_LEN + 10);
  assert.equal(ts.latest().time, 100 + LATENCY_TS_LEN + 10);
  assert.equal(ts.max, 49);
  assert.match(latencyGraph('command', ts, 400), /^command - high 49 ms, low 0 ms \(all time high 49 ms\)\n-{80}\n/);
  assert.match(latencyDoctor(m, 1), /command: 160 sample/);
  assert.equal(m.reset('command'), true);
  assert.equal(m.reset('command'), false);
  assert.equal(m.resetAll(), 0);
});

test('LATENCY HISTOGRAM buckets: cumulative counts at HDR log levels from 1024 ns', () => {
  const h = new LatencyHistogram();
  h.recordNs(500);
  h.recordNs(1031); // still in the 1024 ns bucket (1024..1031)
  h.recordNs(1032); // next bucket: reported at the 2 µs level
  h.recordNs(3000); // 4 µs level (4127 ns)
  h.recordNs(3000); // same
  h.recordNs(1e6); // 1 ms: the 1048576 ns level → 1056767 ns = 1056 µs
  assert.deepEqual(h.cumulativeUsec(), [
    [1, 2],
    [2, 3],
    [4, 5],
    [1056, 6],
  ]);
});

test('LATENCY HISTOGRAM: a slow call grows the buckets; faster ones after it land below', () => {
  for (const order of [
    [3e9, 200, 200],
    [200, 3e9, 200],
  ]) {
    const h = new LatencyHistogram();
    for (const ns of order) h.recordNs(ns);
    assert.equal(h.total, 3);
    assert.equal(h.valueAt(50), 200); // values under 128 ns apart are exact to the ns
    // 3 s: 2^31 ns and up, 7 bits below the leading one: 179 * 2^24 - 1 ns at most
    assert.equal(h.valueAt(100), 179 * 2 ** 24 - 1);
    const levels = h.cumulativeUsec();
    assert.deepEqual(levels[0], [1, 2]);
    assert.deepEqual(levels.at(-1), [Math.floor((2 ** 32 + 2 ** 25 - 1) / 1000), 3]);
  }
});

test('MONITOR argument repr and redaction', () => {
  assert.equal(repr('a"b\\c\n\r\t\x07\x08 \x00\xff~'), '"a\\"b\\\\c\\n\\r\\t\\a\\b \\x00\\xff~"');
  assert.deepEqual(monitorArgs(['AUTH', 'p']), ['AUTH', '(redacted)']);
  assert.deepEqual(monitorArgs(['auth', 'u', 'p']), ['auth', '(redacted)', '(redacted)']);
  assert.deepEqual(monitorArgs(['AUTH', 'a', 'b', 'c']), ['AUTH', 'a', 'b', 'c']);
  assert.deepEqual(monitorArgs(['HELLO', '3', 'AUTH', 'u', 'p']), ['HELLO', '3', 'AUTH', '(redacted)', '(redacted)']);
  assert.deepEqual(monitorArgs(['HELLO', '9', 'AUTH', 'u', 'p']), ['HELLO', '9', 'AUTH', 'u', 'p']);
});
