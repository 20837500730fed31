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
  private counts = new Map<number, number>();
  total = 0;

  /** Records one duration in microseconds. */
  record(usec: number): void {
    const ns = Math.max(1, Math.round(usec * 1000));
    const b = bucketOf(ns);
    this.counts.set(b, (this.counts.get(b) ?? 0) + 1);
    this.total++;
  }

  /** The highest value (ns) of the bucket holding the given percentile (0-100). */
  valueAt(percentile: number): number {
    if (this.total === 0) return 0;
    const want = Math.max(1, Math.ceil((Math.min(100, percentile) / 100) * this.total));
    const keys = [...this.counts.keys()].sort((a, b) => a - b);
    let seen = 0;
    for (const k of keys) {
      seen += this.counts.get(k)!;
      if (seen >= want) return bucketTop(k);
    }
    return bucketTop(keys[keys.length - 1]!);
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
