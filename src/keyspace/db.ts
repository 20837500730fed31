/**
 * A database and the keyspace API. Every change to a key goes through these
 * methods, which fire the side effects in one place: lazy expiry, the dirty
 * counter, modified-key signals (WATCH, client tracking) and keyspace events
 * (through the Keyspace's hooks). Handlers never fire those one by one.
 */
import { Dict } from './dict.js';
import type { Value } from './value.js';

/** What the keyspace needs from its owner (the server). */
export interface KeyspaceHooks {
  /** Current time in ms (injectable clock; fixed during one command). */
  now(): number;
  /** A key's value changed or it was deleted (WATCH, tracking). */
  modified(db: Db, key: string): void;
  /** A keyspace event (notify-keyspace-events). `cls` is Redis's class letter. */
  notify(cls: string, event: string, key: string, dbid: number): void;
  /** A key expired and was deleted lazily or actively (propagate DEL, stats). */
  expired(db: Db, key: string): void;
  /** Whether lookups should update the access time (CLIENT NO-TOUCH, OBJECT). */
  touch(): boolean;
  /** LRU/LFU metadata for a fresh access. */
  accessMeta(old: number): number;
  /** Counts writes for the dirty counter. */
  dirty(n: number): void;
  /** Counts a read lookup as a keyspace hit or miss (INFO stats). */
  hitOrMiss(hit: boolean): void;
}

export class Db {
  dict = new Dict<Value>(true);
  /** Keys with a TTL, to their absolute expiry time in ms. */
  expires = new Dict<number>();
  /** Average TTL estimate (INFO keyspace avg_ttl), updated by active expiry. */
  avgTtl = 0;

  constructor(
    public id: number,
    private hooks: KeyspaceHooks,
  ) {}

  get size(): number {
    return this.dict.size;
  }

  /**
   * Deletes the key when its TTL has passed. Returns true when it was expired.
   * Called by every lookup (lazy expiry) and by the active cycle.
   */
  expireIfNeeded(key: string): boolean {
    if (this.expires.size === 0) return false;
    const when = this.expires.get(key);
    if (when === undefined || when > this.hooks.now()) return false;
    this.dict.delete(key);
    this.expires.delete(key);
    this.hooks.expired(this, key);
    this.hooks.modified(this, key);
    this.hooks.notify('x', 'expired', key, this.id);
    return true;
  }

  /** Looks a key up for reading: expired keys are gone; touches the access time. */
  get(key: string): Value | undefined {
    const slot = this.dict.slot(key);
    if (slot < 0) return undefined;
    if (this.expires.size !== 0 && this.expireIfNeeded(key)) return undefined;
    const meta = this.dict.meta!;
    if (this.hooks.touch()) meta[slot] = this.hooks.accessMeta(meta[slot]!);
    return this.dict.vals[slot];
  }

  /** get() for a read command: also counts keyspace_hits / keyspace_misses. */
  read(key: string): Value | undefined {
    const v = this.get(key);
    this.hooks.hitOrMiss(v !== undefined);
    return v;
  }

  /** Looks a key up without touching it (OBJECT, TYPE-like internal checks still expire). */
  peek(key: string): Value | undefined {
    if (this.expires.size !== 0 && this.expireIfNeeded(key)) return undefined;
    return this.dict.get(key);
  }

  /** True when the key exists (after lazy expiry). Does not touch. */
  has(key: string): boolean {
    if (this.expires.size !== 0 && this.expireIfNeeded(key)) return false;
    return this.dict.has(key);
  }

  /**
   * Stores a value: adds the key or overwrites it. Overwriting clears the TTL
   * unless keepTtl. Signals the modification and counts one dirty change.
   * Keyspace events are the caller's (their names depend on the command).
   */
  set(key: string, val: Value, keepTtl = false): void {
    const added = this.dict.set(key, val, this.hooks.accessMeta(0));
    if (!added && !keepTtl && this.expires.size !== 0) this.expires.delete(key);
    this.hooks.modified(this, key);
    this.hooks.dirty(1);
  }

  /** Replaces the value of a key known to exist, keeping its TTL (e.g. after APPEND on a number). */
  replace(key: string, val: Value): void {
    this.set(key, val, true);
  }

  /** Signals an in-place change of a key's value (list push, APPEND to a Buffer). */
  modified(key: string, dirty = 1): void {
    this.hooks.modified(this, key);
    this.hooks.dirty(dirty);
  }

  /** Deletes a key (after lazy expiry); returns true when it existed. */
  delete(key: string): boolean {
    if (this.expires.size !== 0) {
      if (this.expireIfNeeded(key)) return false;
      this.expires.delete(key);
    }
    if (this.dict.delete(key) === undefined) return false;
    this.hooks.modified(this, key);
    this.hooks.dirty(1);
    return true;
  }

  /** Sets an absolute expiry time (ms) on an existing key. */
  setExpire(key: string, when: number): void {
    this.expires.set(key, when);
    this.hooks.modified(this, key);
    this.hooks.dirty(1);
  }

  /** Removes a TTL; returns true when there was one. */
  persist(key: string): boolean {
    if (this.expires.delete(key) === undefined) return false;
    this.hooks.modified(this, key);
    this.hooks.dirty(1);
    return true;
  }

  /** The absolute expiry time in ms, or -1 when the key has none. */
  getExpire(key: string): number {
    const w = this.expires.get(key);
    return w === undefined ? -1 : w;
  }

  /** Sends a keyspace event for a key of this db. */
  notify(cls: string, event: string, key: string): void {
    this.hooks.notify(cls, event, key, this.id);
  }

  /** A random key that is not expired, or undefined (RANDOMKEY). */
  randomKey(random: () => number): string | undefined {
    // Bounded retries, as Redis: if every sampled key is expired, give up.
    for (let tries = 0; tries < 100; tries++) {
      const k = this.dict.randomKey(random);
      if (k === undefined) return undefined;
      if (!this.expireIfNeeded(k)) return k;
    }
    return undefined;
  }

  /** Removes every key; returns how many there were. Signals each key (WATCH). */
  flush(): number {
    const n = this.dict.size;
    for (const k of this.dict.keys) this.hooks.modified(this, k);
    this.dict.clear();
    this.expires.clear();
    this.avgTtl = 0;
    return n;
  }

  /** Swaps the contents of two databases (SWAPDB); the caller signals the keys. */
  swapWith(other: Db): void {
    [this.dict, other.dict] = [other.dict, this.dict];
    [this.expires, other.expires] = [other.expires, this.expires];
    [this.avgTtl, other.avgTtl] = [other.avgTtl, this.avgTtl];
  }
}
