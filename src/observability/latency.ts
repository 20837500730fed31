/**
 * Per-command latency histograms behind INFO latencystats. Like an HDR
 * histogram with two significant digits: a value (in nanoseconds) falls in the
 * bucket given by its power of two and its next 7 bits, so a bucket spans
 * under 1% of its value and memory stays bounded (at most 64*128 buckets; a
 * command whose calls all take under 2^k ns has (k+1)*128, 13 KB under 4 µs,
 * where Redis's histograms take about 24 KB).
 */
import type { CommandStat } from './stats.js';

const SUB_BITS = 7;
const NO_COUNTS = new Float64Array(0);

export class LatencyHistogram {
  /**
   * Counts by bucket id, one flat array up to the row of the slowest call,
   * grown when a slower call comes: recording touches the histogram,
   * the array and the count. (An array of rows allocated one at a time cost
   * three more dependent loads, each a likely cache miss: every command
   * touches its histogram once, between allocations that sweep the caches.)
   */
  private counts = NO_COUNTS;
  total = 0;

  /** Records one duration in whole nanoseconds (at least 1). */
  recordNs(ns: number): void {
    const b = bucketOf(ns);
    const counts = this.counts;
    if (b < counts.length) counts[b]!++;
    else this.grow(b);
    this.total++;
  }

  /** Records the first call in bucket `b`, beyond the array: the array grows to b's row. */
  private grow(b: number): void {
    const old = this.counts;
    const counts = new Float64Array(((b >> SUB_BITS) + 1) << SUB_BITS);
    counts.set(old);
    counts[b] = 1;
    this.counts = counts;
  }

  /** The highest value (ns) of the bucket holding the given percentile (0-100). */
  valueAt(percentile: number): number {
    if (this.total === 0) return 0;
    const want = Math.max(1, Math.ceil((Math.min(100, percentile) / 100) * this.total));
    const counts = this.counts;
    let seen = 0;
    let last = 0;
    for (let b = 0; b < counts.length; b++) {
      if (counts[b] === 0) continue;
      seen += counts[b]!;
      last = b;
      if (seen >= want) return bucketTop(b);
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
    const counts = this.counts;
    for (let b = 0; b < counts.length; b++) {
      const n = counts[b]!;
      if (n === 0) continue;
      const t = bucketTop(b);
      for (; t > top; top = 2 * top + 1) {
        if (every || cum > before) out.push([Math.floor(top / 1000), cum]);
        before = cum;
      }
      cum += n;
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

/**
 * Called by the dispatcher after each call (when latency-tracking is on)
 * with its duration in whole nanoseconds, a small integer below 2 s: the
 * duration in µs, a fraction, would be boxed to be passed to a function not
 * inlined (this one is not), 16 bytes a command.
 */
export function recordLatency(st: CommandStat, ns: number): void {
  (st.hist ??= new LatencyHistogram()).recordNs(ns);
}

/** The histogram of a command's stats entry, if any call was recorded. */
export function latencyOf(st: CommandStat): LatencyHistogram | undefined {
  return st.hist;
}
