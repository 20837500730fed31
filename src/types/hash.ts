/**
 * The hash type. Two encodings, reported as Redis reports them:
 *  - `listpack`: one flat array [field0, value0, field1, value1, ...] searched
 *    linearly, in insertion order (as Redis's listpack, so HGETALL's order
 *    matches Redis's byte for byte) while the hash is small;
 *  - `hashtable`: the keyspace's own Dict (dense key/value arrays plus an
 *    Int32Array index), which gives O(1) lookups, O(1) random sampling
 *    (HRANDFIELD) and the SCAN guarantee for HSCAN (entries only move down,
 *    HSCAN walks slots from the top).
 * The conversion is one-way, as in Redis: once a hashtable, always one.
 * Fields and values are latin1 strings (one char per byte).
 */
import { Dict } from '../keyspace/dict.js';
import type { Collection } from '../keyspace/value.js';

export class HashValue implements Collection {
  readonly type = 'hash' as const;
  /** listpack encoding: flat [f, v, f, v, ...]; null once a hashtable. */
  lp: string[] | null = [];
  /** hashtable encoding. */
  ht: Dict<string> | null = null;

  encoding(): string {
    return this.lp ? 'listpack' : 'hashtable';
  }

  get size(): number {
    return this.lp ? this.lp.length >>> 1 : this.ht!.size;
  }

  dup(): HashValue {
    const h = new HashValue();
    if (this.lp) h.lp = this.lp.slice();
    else {
      h.lp = null;
      h.ht = new Dict<string>();
      const src = this.ht!;
      for (let i = 0; i < src.keys.length; i++) h.ht.set(src.keys[i]!, src.vals[i]!);
    }
    return h;
  }

  /** Converts to the hashtable encoding (no-op when already one). */
  toHashtable(): void {
    const lp = this.lp;
    if (!lp) return;
    const d = new Dict<string>();
    for (let i = 0; i < lp.length; i += 2) d.set(lp[i]!, lp[i + 1]!);
    this.ht = d;
    this.lp = null;
  }

  /** Index of a field in the listpack array, or -1. */
  private lpFind(f: string): number {
    const lp = this.lp!;
    for (let i = 0; i < lp.length; i += 2) if (lp[i] === f) return i;
    return -1;
  }

  get(f: string): string | undefined {
    if (this.lp) {
      const i = this.lpFind(f);
      return i < 0 ? undefined : this.lp[i + 1];
    }
    return this.ht!.get(f);
  }

  has(f: string): boolean {
    return this.lp ? this.lpFind(f) >= 0 : this.ht!.has(f);
  }

  /**
   * Sets a field; returns true when it was added. Converts to a hashtable
   * when the listpack grows beyond `maxEntries` (callers check value lengths
   * before with `tooLong`).
   */
  set(f: string, v: string, maxEntries: number): boolean {
    const lp = this.lp;
    if (lp) {
      const i = this.lpFind(f);
      if (i >= 0) {
        lp[i + 1] = v;
        return false;
      }
      lp.push(f, v);
      if (lp.length >>> 1 > maxEntries) this.toHashtable();
      return true;
    }
    return this.ht!.set(f, v);
  }

  /** Removes a field; returns true when it existed. */
  delete(f: string): boolean {
    const lp = this.lp;
    if (lp) {
      const i = this.lpFind(f);
      if (i < 0) return false;
      lp.splice(i, 2);
      return true;
    }
    return this.ht!.delete(f) !== undefined;
  }

  /** Calls fn for each field and value, in encoding order. */
  forEach(fn: (f: string, v: string) => void): void {
    if (this.lp) {
      const lp = this.lp;
      for (let i = 0; i < lp.length; i += 2) fn(lp[i]!, lp[i + 1]!);
    } else {
      const { keys, vals } = this.ht!;
      for (let i = 0; i < keys.length; i++) fn(keys[i]!, vals[i]!);
    }
  }

  /** The field at position i (0 <= i < size). */
  fieldAt(i: number): string {
    return this.lp ? this.lp[i * 2]! : this.ht!.keys[i]!;
  }

  /** The value at position i (0 <= i < size). */
  valueAt(i: number): string {
    return this.lp ? this.lp[i * 2 + 1]! : this.ht!.vals[i]!;
  }

  /**
   * One HSCAN step over the hashtable encoding (see Dict.scan: the cursor is
   * the number of slots still to visit). Small encodings are returned whole
   * by the caller with cursor 0, as Redis does.
   */
  scan(cursor: number, count: number, fn: (f: string, v: string) => void): number {
    return this.ht!.scan(cursor, count, fn);
  }

  /** MEMORY USAGE estimate: V8 string sizes plus the arrays and index. */
  memoryUsage(samples: number): number {
    const n = this.size;
    if (n === 0) return 64;
    const m = samples <= 0 ? n : Math.min(n, samples);
    let bytes = 0;
    for (let i = 0; i < m; i++) bytes += 32 + this.fieldAt(i).length + this.valueAt(i).length;
    const perEntry = bytes / m + (this.lp ? 8 : 32);
    return Math.round(64 + perEntry * n);
  }
}

/** True when a field or value is longer than hash-max-listpack-value. */
export function tooLong(s: string, maxValue: number): boolean {
  return s.length > maxValue;
}
