/**
 * Per-command latency histograms behind INFO latencystats. Like an HDR
 * histogram with two significant digits: a value (in nanoseconds) falls in the
 * bucket given by its power of two and its next 7 bits, so a bucket spans
 * under 1% of its value and memory stays bounded (at most 64*128 buckets, in
 * practice a few dozen per command).
 */
import type { CommandStat } from './stats.js';

const SUB_BITS = 7;

export class LatencyHistogram {
  /**
   * Counts per bucket, one row of 128 per power of two (bucket id >> 7), rows
   * allocated on first use: recording is two array loads and an increment.
   */
  private rows: (Float64Array | undefined)[] = [];
  total = 0;

  /** Records one duration in microseconds. */
  record(usec: number): void {
    const ns = Math.max(1, Math.round(usec * 1000));
    const b = bucketOf(ns);
    const r = b >> SUB_BITS;
    const row = this.rows[r] ?? (this.rows[r] = new Float64Array(1 << SUB_BITS));
    row[b & ((1 << SUB_BITS) - 1)]!++;
    this.total++;
  }

  /** The highest value (ns) of the bucket holding the given percentile (0-100). */
  valueAt(percentile: number): number {
    if (this.total === 0) return 0;
    const want = Math.max(1, Math.ceil((Math.min(100, percentile) / 100) * this.total));
    let seen = 0;
    let last = 0;
    for (let r = 0; r < this.rows.length; r++) {
      const row = this.rows[r];
      if (row === undefined) continue;
      for (let i = 0; i < row.length; i++) {
        if (row[i] === 0) continue;
        const b = (r << SUB_BITS) + i;
        seen += row[i]!;
        last = b;
        if (seen >= want) return bucketTop(b);
      }
    }
    return bucketTop(last);
  }

  /**
   * LATENCY HISTOGRAM's histogram_usec: [µs, calls at or under it] at each
   * power of two from 1024 ns, as an HDR histogram's log iteration reports
   * them (the level's bucket included, so 1024 ns reads 1031 ns = 1 µs),
   * only where the cumulative count grows (`every`: at each level from the
   * first, 1 µs, to the one that holds the slowest call: /metrics' histogram
   * buckets, http/metrics.ts). Our buckets have the same bounds as an HDR
   * histogram with two significant digits.
   */
  cumulativeUsec(every = false): [number, number][] {
    const out: [number, number][] = [];
    if (this.total === 0) return out;
    // one pass over the buckets in order (no list of them: /metrics calls this for
    // every command at every scrape), closing each level a bucket is past
    let top = 1024 + 1024 / 128 - 1;
    let cum = 0;
    let before = 0;
    for (let r = 0; r < this.rows.length; r++) {
      const row = this.rows[r];
      if (row === undefined) continue;
      for (let i = 0; i < row.length; i++) {
        const n = row[i]!;
        if (n === 0) continue;
        const t = bucketTop((r << SUB_BITS) + i);
        for (; t > top; top = 2 * top + 1) {
          if (every || cum > before) out.push([Math.floor(top / 1000), cum]);
          before = cum;
        }
        cum += n;
      }
    }
    if (every || cum > before) out.push([Math.floor(top / 1000), cum]);
    return out;
  }
}

/** Bucket id: exponent * 128 + the 7 bits after the leading one (values below 128 are exact). */
function bucketOf(ns: number): number {
  if (ns < 1 << SUB_BITS) return ns;
  const small = ns < 2147483648; // integer bit operations apply below 2^31 ns (2 s)
  const exp = small ? 31 - Math.clz32(ns) : Math.floor(Math.log2(ns));
  const shift = exp - SUB_BITS;
  const sub = (small ? ns >>> shift : Math.floor(ns / 2 ** shift)) - (1 << SUB_BITS);
  return ((exp + 1) << SUB_BITS) + sub;
}

/** The largest value that maps to bucket id b. */
function bucketTop(b: number): number {
  if (b < 1 << SUB_BITS) return b;
  const exp = (b >> SUB_BITS) - 1;
  const sub = b & ((1 << SUB_BITS) - 1);
  const shift = exp - SUB_BITS;
  return ((1 << SUB_BITS) + sub + 1) * 2 ** shift - 1;
}

/** Called by the dispatcher after each call (when latency-tracking is on). */
export function recordLatency(st: CommandStat, usec: number): void {
  (st.hist ??= new LatencyHistogram()).record(usec);
}

/** The histogram of a command's stats entry, if any call was recorded. */
export function latencyOf(st: CommandStat): LatencyHistogram | undefined {
  return st.hist;
}
