/**
 * The latency monitor behind LATENCY LATEST/HISTORY/RESET/GRAPH/DOCTOR.
 *
 * Each event ("command", "fast-command", "expire-cycle", …) keeps the last
 * 160 samples, at most one per second (a second's sample keeps its highest
 * latency), plus its all-time maximum. Samples are taken only when
 * `latency-monitor-threshold` (ms) is non-zero and the latency reaches it;
 * callers check the threshold first (server.hot.latencyMonitorThreshold) so
 * the per-command cost with the monitor off is one comparison.
 */

/** Samples kept per event (Redis keeps 160: one per second, under three minutes). */
export const LATENCY_TS_LEN = 160;

export interface LatencySample {
  /** Unix seconds. */
  time: number;
  /** Milliseconds. */
  latency: number;
}

export class LatencySeries {
  readonly samples: LatencySample[] = [];
  /** Index of the next sample to write in the ring. */
  idx = 0;
  max = 0;

  /** Samples in time order (oldest first). */
  ordered(): LatencySample[] {
    if (this.samples.length < LATENCY_TS_LEN) return this.samples.slice();
    return [...this.samples.slice(this.idx), ...this.samples.slice(0, this.idx)];
  }

  latest(): LatencySample {
    return this.samples[(this.idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN] ?? this.samples[this.samples.length - 1]!;
  }
}

export class LatencyMonitor {
  /** Events in order of first sample. */
  readonly events = new Map<string, LatencySeries>();

  /** Records a sample (ms) for an event at the given unix second. */
  add(event: string, ms: number, nowSec: number): void {
    let ts = this.events.get(event);
    if (ts === undefined) {
      ts = new LatencySeries();
      this.events.set(event, ts);
    }
    if (ms > ts.max) ts.max = ms;
    const n = ts.samples.length;
    if (n !== 0) {
      const prev = ts.samples[(ts.idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN] ?? ts.samples[n - 1]!;
      if (prev.time === nowSec) {
        if (ms > prev.latency) prev.latency = ms;
        return;
      }
    }
    const s = { time: nowSec, latency: ms };
    if (n < LATENCY_TS_LEN) ts.samples.push(s);
    else ts.samples[ts.idx] = s;
    ts.idx = (ts.idx + 1) % LATENCY_TS_LEN;
  }

  /** Forgets one event; true when it existed. */
  reset(event: string): boolean {
    return this.events.delete(event);
  }

  /** Forgets every event; returns how many there were. */
  resetAll(): number {
    const n = this.events.size;
    this.events.clear();
    return n;
  }
}

/**
 * A text chart of an event's samples: a header with the high and low of the
 * samples and the all-time high, then one column per sample, its height
 * proportional to the latency between low and high (8 rows), and under each
 * column how long ago it was taken (seconds, minutes, hours or days).
 */
export function latencyGraph(event: string, ts: LatencySeries, nowSec: number): string {
  const samples = ts.ordered();
  let min = Infinity;
  let max = 0;
  for (const s of samples) {
    if (s.latency < min) min = s.latency;
    if (s.latency > max) max = s.latency;
  }
  const rows = 8;
  let out = `${event} - high ${max} ms, low ${min} ms (all time high ${ts.max} ms)\n`;
  out += '-'.repeat(80) + '\n';
  const heights = samples.map((s) =>
    max === min ? rows : Math.max(1, Math.round(((s.latency - min) / (max - min)) * rows)),
  );
  for (let r = rows; r >= 1; r--) {
    let line = '';
    for (const h of heights) line += h >= r ? '#' : ' ';
    out += line.replace(/\s+$/, '') + '\n';
  }
  out += '\n';
  // ages, printed vertically, one character per row
  const ages = samples.map((s) => age(nowSec - s.time));
  const width = Math.max(0, ...ages.map((a) => a.length));
  for (let i = 0; i < width; i++) {
    let line = '';
    for (const a of ages) line += a[i] ?? ' ';
    out += line.replace(/\s+$/, '') + '\n';
  }
  return out;
}

/** A sample's age: 12s, 3m, 2h, 1d. */
function age(sec: number): string {
  if (sec < 60) return `${sec}s`;
  if (sec < 3600) return `${Math.floor(sec / 60)}m`;
  if (sec < 86400) return `${Math.floor(sec / 3600)}h`;
  return `${Math.floor(sec / 86400)}d`;
}

/**
 * LATENCY DOCTOR's report, in tsdis's own words: per event its sample
 * count, average, mean deviation, all-time high and the period between
 * spikes, then the settings that matter. Plain text lines.
 */
export function latencyDoctor(mon: LatencyMonitor, threshold: number): string {
  if (mon.events.size === 0) {
    return threshold === 0
      ? 'The latency monitor is disabled: set latency-monitor-threshold to a number of milliseconds (CONFIG SET latency-monitor-threshold <ms>) to record events slower than that.\n'
      : `No latency event reached the threshold of ${threshold} ms since the monitor was last reset.\n`;
  }
  let out = `Latency report (threshold ${threshold} ms):\n\n`;
  let i = 1;
  for (const [event, ts] of mon.events) {
    const s = ts.ordered();
    const avg = s.reduce((a, x) => a + x.latency, 0) / s.length;
    const mad = s.reduce((a, x) => a + Math.abs(x.latency - avg), 0) / s.length;
    const period = s.length > 1 ? Math.round((s[s.length - 1]!.time - s[0]!.time) / (s.length - 1)) : 0;
    out += `${i++}. ${event}: ${s.length} sample(s), average ${Math.round(avg)} ms, mean deviation ${Math.round(mad)} ms, all-time high ${ts.max} ms`;
    out += period > 0 ? `, one every ${period} s on average.\n` : '.\n';
  }
  out += '\nWhat to look at:\n';
  if (mon.events.has('command') || mon.events.has('fast-command')) {
    out += '- Slow commands: SLOWLOG GET shows which ones; O(N) commands over large values block every client.\n';
  }
  if (mon.events.has('expire-cycle')) out += '- The active expire cycle ran long: many keys expire at the same time.\n';
  return out;
}
