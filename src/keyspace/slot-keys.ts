/**
 * Cluster mode's slot → keys index of db 0 (Redis's slots_to_keys): how many
 * keys each hash slot holds and which, for CLUSTER COUNTKEYSINSLOT (O(1)),
 * GETKEYSINSLOT (O(count)) and the keys of a slot lost to a newer epoch. It
 * is a KeyTracker of db 0's main dict (keyspace/dict.ts), attached by the
 * cluster at start; a standalone server has none and pays one null check
 * per key insert and delete.
 */
import type { Dict, KeyTracker } from './dict.js';
import { CLUSTER_SLOTS, keyHashSlot } from '../cluster/slot.js';

export class SlotKeys implements KeyTracker {
  private readonly counts = new Uint32Array(CLUSTER_SLOTS);
  /** The keys of each slot that has any. */
  private readonly keys: (Set<string> | undefined)[] = new Array<Set<string> | undefined>(CLUSTER_SLOTS);

  added(key: string): void {
    const s = keyHashSlot(key);
    let set = this.keys[s];
    if (set === undefined) this.keys[s] = set = new Set();
    set.add(key);
    this.counts[s] = set.size;
  }

  removed(key: string): void {
    const s = keyHashSlot(key);
    const set = this.keys[s];
    if (set === undefined || !set.delete(key)) return;
    this.counts[s] = set.size;
    if (set.size === 0) this.keys[s] = undefined;
  }

  cleared(): void {
    this.counts.fill(0);
    this.keys.fill(undefined);
  }

  /** Re-counts from `dict` (attached to a dict that already holds keys). */
  rebuild(dict: Dict<unknown>): void {
    this.cleared();
    for (const [k] of dict.entries()) this.added(k);
  }

  count(slot: number): number {
    return this.counts[slot]!;
  }

  /** Up to `max` keys of `slot`. */
  keysIn(slot: number, max: number): string[] {
    const out: string[] = [];
    const set = this.keys[slot];
    if (set === undefined || max <= 0) return out;
    for (const k of set) {
      out.push(k);
      if (out.length >= max) break;
    }
    return out;
  }
}
