/**
 * Per-key access metadata, the 24 bits Redis keeps in each object and we keep
 * in the dict's `meta` array:
 *  - LRU policies (and no policy): the LRU clock, seconds modulo 2^24;
 *  - LFU policies: 16 bits of "last decrement time" in minutes, then an 8-bit
 *    logarithmic access counter starting at 5 (LFU_INIT_VAL).
 * OBJECT IDLETIME / FREQ read it; eviction samples it.
 */

const LRU_MAX = 0xffffff;
export const LFU_INIT_VAL = 5;

/** The LRU clock for a time in ms (1 s resolution, 24 bits). */
export function lruClock(nowMs: number): number {
  return Math.floor(nowMs / 1000) & LRU_MAX;
}

/** Estimated idle time in ms of a key whose LRU clock is `meta` (wraps as Redis does). */
export function idleMs(meta: number, nowMs: number): number {
  return idleMsAt(meta, lruClock(nowMs));
}

/** idleMs() against an LRU clock already read (eviction scores several keys at one time). */
export function idleMsAt(meta: number, clock: number): number {
  const lru = meta & LRU_MAX;
  return (clock >= lru ? clock - lru : clock + (LRU_MAX - lru)) * 1000;
}

/** Minutes modulo 2^16, the LFU decrement clock. */
function lfuMinutes(nowMs: number): number {
  return Math.floor(nowMs / 60000) & 0xffff;
}

/**
 * The LFU counter of `meta` after decaying it by one per `decayMinutes`
 * elapsed since its last decrement time (no decay when decayMinutes is 0).
 */
export function lfuDecr(meta: number, nowMs: number, decayMinutes: number): number {
  const ldt = meta >>> 8;
  const counter = meta & 0xff;
  if (decayMinutes <= 0) return counter;
  const now = lfuMinutes(nowMs);
  const elapsed = now >= ldt ? now - ldt : 0xffff - ldt + now;
  const periods = Math.floor(elapsed / decayMinutes);
  return periods > counter ? 0 : counter - periods;
}

/** Increments an LFU counter with probability 1/((counter-5)*factor+1), saturating at 255. */
export function lfuLogIncr(counter: number, factor: number, random: () => number): number {
  if (counter === 255) return 255;
  const base = Math.max(0, counter - LFU_INIT_VAL);
  return random() < 1 / (base * factor + 1) ? counter + 1 : counter;
}

/** Metadata after an access, for the given maxmemory-policy. */
export function touchedMeta(
  old: number,
  nowMs: number,
  lfu: boolean,
  factor: number,
  decay: number,
  random: () => number,
): number {
  if (!lfu) return lruClock(nowMs);
  const c = lfuLogIncr(lfuDecr(old, nowMs, decay), factor, random);
  return (lfuMinutes(nowMs) << 8) | c;
}

/** Metadata of a value created now. */
export function newMeta(nowMs: number, lfu: boolean): number {
  return lfu ? (lfuMinutes(nowMs) << 8) | LFU_INIT_VAL : lruClock(nowMs);
}

/** Whether a maxmemory-policy is an LFU one. */
export function isLfuPolicy(policy: string): boolean {
  return policy.endsWith('-lfu');
}
