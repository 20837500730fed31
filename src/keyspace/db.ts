/**
 * A database and the keyspace API. Every change to a key goes through these
 * methods, which fire the side effects in one place: lazy expiry, the dirty
 * counter, modified-key signals (WATCH, client tracking) and keyspace events
 * (through the Keyspace's hooks). Handlers never fire those one by one.
 */
import { Buffer } from 'node:buffer';
import { Dict } from './dict.js';
import { KeyBatch } from './key-batch.js';
import { HfeIndex } from './hfe.js';
import { isString, type Value, type Collection } from './value.js';
import type { HashValue } from '../types/hash.js';
import { remeasured, valueBytes } from '../observability/memory.js';
import { strBytes } from '../util/v8size.js';
import type { FreeMode } from './lazyfree.js';
import { DOUBLE_ZERO, narrowInt64 } from '../util/numbers.js';
import type { ListLimits } from '../types/list.js';

/** A collection's index of its members that reads a batch's ahead (Dict, a hashtable set). */
interface MemberIndex {
  readonly size: number;
  prefetch(hashes: Int32Array, n: number): number;
}

/** Dicts smaller than this are not read ahead (Db.prefetch): they stay in the CPU's caches. */
const PREFETCH_MIN_KEYS = 1 << 14;

/**
 * Bytes the dataset counted for a stored value: what a collection was last
 * measured at (its `acct`), or a string's size (strings do not change in
 * place; a Buffer changed in place keeps its capacity).
 */
function countedFor(v: Value): number {
  return typeof v === 'object' && !Buffer.isBuffer(v) ? v.acct : valueBytes(v);
}

/** Measures a value being stored: a collection records the figure (its `acct`). */
function measure(v: Value): number {
  const b = valueBytes(v);
  if (typeof v === 'object' && !Buffer.isBuffer(v)) v.acct = b;
  return b;
}

/** What the keyspace needs from its owner (the server). */
export interface KeyspaceHooks {
  /** Current time in ms (injectable clock; fixed during one command). */
  now(): number;
  /**
   * A key's value changed or it was deleted (WATCH, tracking); `byServer`:
   * it expired (no client changed it: Redis's signalModifiedKey(NULL, ...)).
   */
  modified(db: Db, key: string, byServer?: boolean): void;
  /** A keyspace event (notify-keyspace-events). `cls` is Redis's class letter. */
  notify(cls: string, event: string, key: string, dbid: number): void;
  /** A key expired and was deleted lazily or actively (propagate DEL, stats). */
  expired(db: Db, key: string): void;
  /** A hash field expired and was deleted lazily or actively (propagate HDEL, stats). */
  fieldExpired?(db: Db, key: string, field: string): void;
  /** Expiry is suspended (CLIENT PAUSE): expired keys read as missing but stay stored. */
  expirePaused?(): boolean;
  /**
   * The dataset is being loaded (AOF or RDB, at start or DEBUG LOADAOF):
   * no key expires, lazily or actively, and a TTL set in the past does not
   * delete its key (Redis's keyIsExpired and checkAlreadyExpired while
   * server.loading): the file decides what the data is, and a key replayed
   * with a passed TTL expires at its first access once the load is done.
   */
  loading?(): boolean;
  /**
   * This server follows a primary: a TTL set in the past does not delete
   * its key either (Redis's checkAlreadyExpired on a replica).
   */
  replica?(): boolean;
  /** This server follows a primary with replica-read-only no: write lookups delete expired keys. */
  writableReplica?(): boolean;
  /**
   * A command gave `key` a TTL (set, setWithExpire, setExpire, or a rename
   * or move that keeps one; not the loaders): a writable replica remembers
   * the keys its own clients gave one (Redis's setExpire with a client).
   */
  ttlSet?(db: Db, key: string): void;
  /** Whether lookups should update the access time (CLIENT NO-TOUCH, OBJECT). */
  touch(): boolean;
  /** LRU/LFU metadata for a fresh access. */
  accessMeta(old: number): number;
  /** LRU/LFU metadata of a newly created value (LFU starts above zero); default accessMeta(0). */
  newMeta?(): number;
  /** Whether an LFU maxmemory-policy is set (an overwritten key keeps its counter). */
  lfu?(): boolean;
  /** Two databases swapped contents (SWAPDB): WATCH and blocked clients of both. */
  swapped?(a: Db, b: Db): void;
  /**
   * The db is about to be emptied (FLUSHDB, FLUSHALL), its keys still in
   * place: WATCH and tracking handle a flush as a whole (keys are not
   * signalled one by one).
   */
  flushing?(db: Db): void;
  /** Counts writes for the dirty counter. */
  dirty(n: number): void;
  /**
   * A collection left the keyspace (deleted, expired, overwritten): `mode`
   * says which lazyfree-lazy-* option decides whether it counts as freed
   * lazily (keyspace/lazyfree.ts). Strings never get here (one allocation).
   */
  released?(v: Value, mode: FreeMode): void;
  /** Counts a read lookup as a keyspace hit or miss (INFO stats). */
  hitOrMiss(hit: boolean): void;
}

export class Db {
  dict = new Dict<Value>(true);
  /**
   * Keys with a TTL, to their absolute expiry time in ms: a number, or a
   * bigint beyond 2^53 (PEXPIREAT accepts any int64, and PEXPIRETIME must
   * give it back exactly). Comparisons with numbers work for both.
   */
  expires = new Dict<number | bigint>();
  /** Average TTL estimate (INFO keyspace avg_ttl), updated by active expiry. */
  avgTtl = DOUBLE_ZERO;
  /**
   * The hashes of this db that have fields with a TTL, by earliest field
   * expire time (keyspace/hfe.ts): the active cycle's work list, kept exact
   * by every method below that stores, moves or removes a value.
   */
  hfe = new HfeIndex();
  /**
   * Set by server/blocking.ts while clients are blocked on keys of this db:
   * called when a key gets a new value (set, rename, move), Redis's
   * signalKeyAsReady, and when one is deleted (del, expiry, the source of a
   * rename or move), its signalDeletedKeyAsReady: a waiter's serve function
   * decides (XREADGROUP is told the stream is gone, the others keep
   * waiting). null otherwise, so the hot path pays one field check.
   */
  onReady: ((db: Db, key: string) => void) | null = null;
  /**
   * Set by persistence/snapshot.ts while a BGSAVE is in progress: called
   * before a key's value is changed in place, replaced, deleted, expired or
   * given another TTL (write lookups, set, delete, rename, move, expire), so
   * the snapshot serializes the old value first (key-level copy-on-write).
   * While set, flush() replaces the dicts instead of clearing them (the
   * snapshot keeps walking the old ones). null otherwise: one field check.
   */
  cow: ((db: Db, key: string) => void) | null = null;
  /**
   * Bytes of this db's keys and values as V8 holds them (the dataset part of
   * used_memory, observability/memory.ts; read it with datasetBytes()), kept
   * by every method below that stores, changes or removes a value: new size
   * minus the size counted before, never a walk of the keyspace. A
   * collection changed in place is measured again when its change is
   * signalled (modified()), at the latest when the figure is read: the last
   * one signalled waits in `pending`, so a stream of writes to one key (a
   * queue, a counter hash) measures it once, not once per write.
   */
  private mem = 0;
  /** A collection of this db changed in place and not measured yet (see `mem`). */
  private pending: Collection | null = null;
  /** The slot of the last write lookup, so modified() finds the value without hashing the key again. */
  private lastSlot = -1;
  /** What prefetch() read, folded (kept so that the reads are not optimized away). */
  private prefetched = 0;

  /**
   * `lists`: the server's list-max-listpack-size, which list writes in this
   * db convert by; `batch`: the server's keys read ahead from a pipeline
   * (key-batch.ts), whose hashes the lookups below take.
   */
  constructor(
    public id: number,
    private hooks: KeyspaceHooks,
    readonly lists: ListLimits,
    private readonly batch: KeyBatch = new KeyBatch(),
  ) {}

  /**
   * Reads ahead the dict entries of the batch's keys (Dict.prefetch), and
   * their TTL entries, in dicts big enough not to sit in the CPU's caches;
   * and those of the batch's members in their collection (membersToReadAhead).
   */
  prefetch(): void {
    const b = this.batch;
    let x = this.prefetched;
    if (b.n >= 2) {
      if (this.dict.size >= PREFETCH_MIN_KEYS) x ^= this.dict.prefetch(b.hashes, b.n);
      if (this.expires.size >= PREFETCH_MIN_KEYS) x ^= this.expires.prefetch(b.hashes, b.n);
    }
    if (b.nm >= 2) {
      const d = this.membersToReadAhead(b.memberKey!, b.memberKeyHash);
      if (d !== null) {
        b.hashMembers();
        x ^= d.prefetch(b.memberHashes, b.nm);
      }
    }
    // (folded to a Smi, not summed: a sum grew past 2^31 and made the field a double one, see DOUBLE_ZERO)
    this.prefetched = x & 0xffff;
  }

  /**
   * What indexes the members of the hash, set (hashtable encodings) or
   * sorted set at `key`, whose hash is `h`, when it is big enough to read
   * members ahead in (prefetch), else null. A hint only: no expiry, no
   * access time.
   */
  private membersToReadAhead(key: string, h: number): MemberIndex | null {
    const v = this.dict.get(key, h);
    if (typeof v !== 'object' || Buffer.isBuffer(v)) return null;
    let d: MemberIndex | null = null;
    if (v.type === 'hash') d = v.tableDict();
    else if (v.type === 'zset') d = v.dict;
    else if (v.type === 'set' && v.index !== null) d = v;
    return d !== null && d.size >= PREFETCH_MIN_KEYS ? d : null;
  }

  get size(): number {
    return this.dict.size;
  }

  /**
   * Deletes the key when its TTL has passed. Returns true when it was expired.
   * Called by every lookup (lazy expiry) and by the active cycle. `write`:
   * a write lookup, which deletes the key even on a writable replica (Redis's
   * EXPIRE_FORCE_DELETE_EXPIRED), where reads only report it gone. `h`:
   * the key's hashKey() when the caller has it (both dicts hash a key
   * alike, so a lookup in each costs one hashing: the expires dict is
   * searched on every lookup once any key of the db has a TTL).
   */
  expireIfNeeded(key: string, write = false, h?: number): boolean {
    if (this.expires.size === 0) return false;
    const when = this.expires.get(key, h);
    if (when === undefined || when > this.hooks.now()) return false;
    if (this.hooks.loading?.() === true) return false;
    if (this.hooks.expirePaused?.() === true && !(write && this.hooks.writableReplica?.() === true)) return true;
    this.deleteExpired(key);
    return true;
  }

  /**
   * Deletes a stored key as expired, whatever its TTL and whoever follows
   * whom: the 'expired' event, the modified-key signal, the expired hook
   * (stats, DEL propagated), blocked XREADGROUPs told. Callers:
   * expireIfNeeded once it decided the key goes, and a writable replica's
   * expiry of the keys its own clients gave a TTL (keyspace/expire.ts).
   */
  deleteExpired(key: string): void {
    if (this.cow !== null) this.cow(this, key);
    const h = this.batch.hashOf(key);
    const old = this.dict.delete(key, h);
    if (old !== undefined) this.dropped(key, old, 'expire');
    if (this.hfe.size !== 0) this.hfeDrop(old);
    this.expires.delete(key, h);
    // Redis's order: the 'expired' event, then the modified-key signal (a
    // tracking client subscribed to both sees the event first), then the DEL.
    this.hooks.notify('x', 'expired', key, this.id);
    this.hooks.modified(this, key, true);
    this.hooks.expired(this, key);
    if (this.onReady !== null) this.onReady(this, key); // XREADGROUP waiters learn it is gone
  }

  /**
   * Looks a key up for a command that may change the value in place (the
   * write lookup): expired keys are gone; touches the access time.
   */
  get(key: string): Value | undefined {
    if (this.cow !== null) this.cow(this, key);
    return this.lookup(key, true);
  }

  /** get() without the copy-on-write signal (read lookups; `write`: get's). */
  private lookup(key: string, write = false): Value | undefined {
    const h = this.batch.hashOf(key);
    const slot = this.dict.slot(key, h);
    if (slot < 0) return undefined;
    if (this.expires.size !== 0 && this.expireIfNeeded(key, write, h)) return undefined;
    const d = this.dict;
    if (this.hooks.touch()) d.setMetaAt(slot, this.hooks.accessMeta(d.metaAt(slot)));
    this.lastSlot = slot;
    return d.valAt(slot);
  }

  /**
   * get() for a command that will replace the value: the slot of the live key
   * (-1 when missing), for valueAt() and replaceAt() with no second lookup.
   */
  writeSlot(key: string): number {
    if (this.cow !== null) this.cow(this, key);
    const h = this.batch.hashOf(key);
    const slot = this.dict.slot(key, h);
    if (slot < 0) return -1;
    if (this.expires.size !== 0 && this.expireIfNeeded(key, true, h)) return -1;
    const d = this.dict;
    if (this.hooks.touch()) d.setMetaAt(slot, this.hooks.accessMeta(d.metaAt(slot)));
    this.lastSlot = slot;
    return slot;
  }

  /** The value in a slot returned by writeSlot(). */
  valueAt(slot: number): Value {
    return this.dict.valAt(slot);
  }

  /**
   * set(key, val, keepTtl) for a key found by writeSlot(), with nothing
   * changed in between: the value is replaced where it is.
   */
  replaceAt(slot: number, key: string, val: Value): void {
    const old = this.dict.valAt(slot);
    if (this.hfe.size !== 0) this.hfeDrop(old);
    const prev = this.counted(old); // (before measure: `val` may be `old` itself)
    this.mem += measure(val) - prev;
    if (typeof old === 'object' && !Buffer.isBuffer(old) && old !== val) this.hooks.released?.(old, 'server');
    this.dict.setAt(slot, val);
    if (typeof val === 'object') this.hfeAdd(key, val);
    if (this.dict.hasMeta && !(this.hooks.lfu?.() ?? false)) this.dict.setMetaAt(slot, this.freshMeta());
    this.hooks.modified(this, key);
    this.hooks.dirty(1);
    if (this.onReady !== null) this.onReady(this, key);
  }

  /** get() for a read command: also counts keyspace_hits / keyspace_misses. */
  read(key: string): Value | undefined {
    const v = this.lookup(key);
    this.hooks.hitOrMiss(v !== undefined);
    if (v === undefined) this.hooks.notify('m', 'keymiss', key, this.id);
    return v;
  }

  /**
   * A read lookup that counts keyspace hits/misses but leaves the access time
   * alone (Redis's LOOKUP_NOTOUCH: EXISTS, TYPE, TTL, OBJECT, SCAN TYPE).
   */
  readNoTouch(key: string, missEvent = true): Value | undefined {
    const v = this.peek(key);
    this.hooks.hitOrMiss(v !== undefined);
    if (v === undefined && missEvent) this.hooks.notify('m', 'keymiss', key, this.id);
    return v;
  }

  /**
   * A read lookup that always updates the access time, even for a client in
   * CLIENT NO-TOUCH mode (the TOUCH command). Counts hits/misses.
   */
  touchRead(key: string): Value | undefined {
    const h = this.batch.hashOf(key);
    const slot = this.dict.slot(key, h);
    let v: Value | undefined;
    if (slot >= 0 && !(this.expires.size !== 0 && this.expireIfNeeded(key, false, h))) {
      const d = this.dict;
      d.setMetaAt(slot, this.hooks.accessMeta(d.metaAt(slot)));
      v = d.valAt(slot);
    }
    this.hooks.hitOrMiss(v !== undefined);
    if (v === undefined) this.hooks.notify('m', 'keymiss', key, this.id);
    return v;
  }

  /** Looks a key up without touching it (OBJECT, TYPE-like internal checks still expire). */
  peek(key: string): Value | undefined {
    // (blocking pops find their list with peek() and then pop from it)
    if (this.cow !== null) this.cow(this, key);
    const h = this.batch.hashOf(key);
    if (this.expires.size !== 0 && this.expireIfNeeded(key, false, h)) return undefined;
    return this.dict.get(key, h);
  }

  /** Whether the key is stored, expired or not (no lazy expiry, no touch). */
  stored(key: string): boolean {
    return this.dict.has(key);
  }

  /** Whether the key is stored with a TTL that has passed (Redis's keyIsExpired). */
  isLogicallyExpired(key: string): boolean {
    if (this.expires.size === 0) return false;
    const when = this.expires.get(key);
    return when !== undefined && when <= this.hooks.now() && this.hooks.loading?.() !== true;
  }

  /**
   * Whether a TTL being set is already past, so that the command deletes
   * the key instead (Redis's checkAlreadyExpired): never while loading.
   * EXPIRE and its family, GETEX EXAT/PXAT, RESTORE.
   */
  isPast(when: number | bigint): boolean {
    return when <= this.hooks.now() && this.hooks.loading?.() !== true && this.hooks.replica?.() !== true;
  }

  /** True when the key exists (after lazy expiry). Does not touch. */
  has(key: string): boolean {
    const h = this.batch.hashOf(key);
    if (this.expires.size !== 0 && this.expireIfNeeded(key, false, h)) return false;
    return this.dict.has(key, h);
  }

  /**
   * Stores a value: adds the key or overwrites it. Overwriting clears the TTL
   * unless keepTtl. Signals the modification and counts `dirty` changes (one,
   * unless the command counts its change elsewhere: LMOVE into a new key).
   * Keyspace events are the caller's (their names depend on the command).
   */
  set(key: string, val: Value, keepTtl = false, dirty = 1): void {
    // A logically expired key is gone first (so KEEPTTL cannot keep a passed TTL).
    if (keepTtl && this.expires.size !== 0) this.expireIfNeeded(key, true);
    if (this.cow !== null) this.cow(this, key);
    const h = this.batch.hashOf(key);
    const added = this.store(key, val, h);
    if (typeof val === 'object') this.hfeAdd(key, val);
    if (added) this.hooks.notify('n', 'new', key, this.id);
    if (!added && !keepTtl && this.expires.size !== 0) this.expires.delete(key, h);
    this.hooks.modified(this, key);
    this.hooks.dirty(dirty);
    if (this.onReady !== null) this.onReady(this, key);
  }

  /**
   * Stores a value with an absolute expiry time in ms (SET ... EX/PX/EXAT/PXAT,
   * SETEX, PSETEX): one modification signal and one dirty count, as Redis
   * counts it. A bigint `when` is kept only when it is not a safe integer.
   */
  setWithExpire(key: string, val: Value, when: number | bigint): void {
    if (typeof when === 'bigint') when = narrowInt64(when);
    if (this.cow !== null) this.cow(this, key);
    const h = this.batch.hashOf(key);
    const added = this.store(key, val, h);
    if (added) this.hooks.notify('n', 'new', key, this.id);
    if (typeof val === 'object') this.hfeAdd(key, val);
    this.expires.set(this.storedKey(key, h), when, 0, false, h);
    this.hooks.ttlSet?.(this, key);
    this.hooks.modified(this, key);
    this.hooks.dirty(1);
    if (this.onReady !== null) this.onReady(this, key);
  }

  /**
   * Puts a value in the dict (added or replacing), with fresh access
   * metadata (an LFU counter carried over), the replaced value unfiled from
   * the field-TTL index, and the dataset size updated (the key string counts
   * once: the expires dict shares it). Returns true when the key was added.
   * `h`: the key's hash.
   */
  private store(key: string, val: Value, h: number): boolean {
    // (no metadata without maxmemory: the clock is not read then)
    const d = this.dict;
    const old = d.hasMeta
      ? d.swap(key, val, this.freshMeta(), this.hooks.lfu?.() ?? false, h)
      : d.swap(key, val, 0, false, h);
    // (strings, the common case, measured inline)
    if (old === undefined) {
      this.mem += strBytes(key.length) + (typeof val === 'string' ? strBytes(val.length) : measure(val));
      return true;
    }
    if (typeof old === 'string') {
      this.mem += (typeof val === 'string' ? strBytes(val.length) : measure(val)) - strBytes(old.length);
      return false;
    }
    if (this.hfe.size !== 0) this.hfeDrop(old);
    const prev = this.counted(old); // (before measure: `val` may be `old` itself)
    this.mem += measure(val) - prev;
    if (typeof old === 'object' && !Buffer.isBuffer(old) && old !== val) this.hooks.released?.(old, 'server');
    return false;
  }

  /**
   * The RDB loader put `val` at `key` in the dict itself (replacing `old`
   * when it merges into existing data): the dataset counts it.
   */
  loadedValue(key: string, val: Value, old: Value | undefined): void {
    const prev = old === undefined ? -strBytes(key.length) : this.counted(old);
    this.mem += measure(val) - prev;
  }

  /**
   * A key and its value left the dict: the dataset shrinks by what was
   * counted for them, and a collection that left for good (not moved:
   * `mode` null) is released (lazyfree counters).
   */
  private dropped(key: string, old: Value, mode: FreeMode | null): void {
    this.mem -= strBytes(key.length) + this.counted(old);
    if (mode !== null && typeof old === 'object' && !Buffer.isBuffer(old)) this.hooks.released?.(old, mode);
  }

  /** Access metadata for a value created now. */
  private freshMeta(): number {
    return this.hooks.newMeta ? this.hooks.newMeta() : this.hooks.accessMeta(0);
  }

  /**
   * Moves the value of `src` (which must exist) to `dst` (which must not exist,
   * the caller deleted it) in this db, keeping its TTL and access metadata
   * (RENAME moves the object itself). Signals both keys and counts one dirty
   * change; keyspace events are the caller's.
   */
  rename(src: string, dst: string): void {
    this.moveKey(src, this, dst);
  }

  /**
   * Moves `key` (which must exist here and not exist in `other`) to the other
   * database under the same name, with its TTL and access metadata (MOVE).
   * Signals the key in both and counts one dirty change.
   */
  moveTo(key: string, other: Db): void {
    this.moveKey(key, other, key);
  }

  private moveKey(src: string, to: Db, dst: string): void {
    if (this.cow !== null) this.cow(this, src);
    if (to.cow !== null) to.cow(to, dst);
    const slot = this.dict.slot(src);
    const val = this.dict.valAt(slot);
    const meta = this.dict.metaAt(slot);
    const when = this.expires.size !== 0 ? this.expires.get(src) : undefined;
    this.dict.delete(src);
    this.dropped(src, val, null);
    if (this.hfe.size !== 0) this.hfeDrop(val);
    if (when !== undefined) this.expires.delete(src);
    to.dict.set(dst, val, meta);
    to.mem += strBytes(dst.length) + measure(val);
    if (typeof val === 'object') to.hfeAdd(dst, val);
    this.hooks.notify('n', 'new', dst, to.id);
    if (when !== undefined) {
      to.expires.set(dst, when);
      this.hooks.ttlSet?.(to, dst);
    }
    this.hooks.modified(this, src);
    this.hooks.modified(to, dst);
    this.hooks.dirty(1);
    if (this.onReady !== null) this.onReady(this, src);
    if (to.onReady !== null) to.onReady(to, dst);
  }

  /**
   * Replaces a value by another representation of the same bytes (a string
   * made a mutable Buffer, as Redis "unshares" a value before a bit write)
   * without signalling a change: nothing a client can read has changed.
   */
  replaceRepresentation(key: string, val: Value): void {
    if (this.cow !== null) this.cow(this, key);
    const slot = this.dict.slot(key);
    if (slot < 0) return;
    const prev = this.counted(this.dict.valAt(slot));
    this.mem += measure(val) - prev;
    this.dict.setAt(slot, val);
  }

  /** Signals an in-place change of a key's value (list push, APPEND to a Buffer); measures it again. */
  modified(key: string, dirty = 1): void {
    this.remeasure(key);
    this.hooks.modified(this, key);
    this.hooks.dirty(dirty);
  }

  /**
   * A collection stored at `key` may have changed in place: the dataset
   * takes the difference between its size now and the size counted before.
   * Finds the value through the slot of the last write lookup when it is
   * this key's (the command just looked it up), else looks it up. Strings
   * need nothing: they are replaced, never resized in place.
   */
  remeasure(key: string): void {
    const d = this.dict;
    let slot = this.lastSlot;
    if (slot < 0 || slot >= d.size || d.keyAt(slot) !== key) slot = d.slot(key);
    if (slot < 0) return;
    const v = d.valAt(slot);
    if (typeof v !== 'object' || v === this.pending || Buffer.isBuffer(v)) return;
    if (this.pending !== null) this.mem += remeasured(this.pending);
    this.pending = v;
  }

  /**
   * What the dataset counted for a value leaving or being replaced: a
   * collection's last measure (a pending one is dropped: its change since
   * was never added), a string's size.
   */
  private counted(v: Value): number {
    if (v === this.pending) this.pending = null;
    return countedFor(v);
  }

  /** The dataset figure (see `mem`), the pending collection measured first. O(1). */
  datasetBytes(): number {
    if (this.pending !== null) {
      this.mem += remeasured(this.pending);
      this.pending = null;
    }
    return this.mem;
  }

  /**
   * Deletes a key (after lazy expiry); returns true when it existed (an
   * expired key that lazy expiry left stored counts, as in Redis). `mode`
   * names the lazyfree option that applies (see FreeMode): DEL passes
   * `user`, UNLINK `unlink`, eviction `evict`; a command deleting a key on
   * its own, the default, `server`.
   */
  delete(key: string, mode: FreeMode = 'server'): boolean {
    if (this.cow !== null) this.cow(this, key);
    const h = this.batch.hashOf(key);
    if (this.expires.size !== 0) {
      // a logically expired key left stored (a replica's, or while expiry is paused) is deleted
      // like any other (Redis's DEL: dbSyncDelete after expireIfNeeded's KEY_EXPIRED)
      if (this.expireIfNeeded(key, false, h) && !this.dict.has(key, h)) return false;
      this.expires.delete(key, h);
    }
    const old = this.dict.delete(key, h);
    if (old === undefined) return false;
    this.dropped(key, old, mode);
    if (this.hfe.size !== 0) this.hfeDrop(old);
    this.hooks.modified(this, key);
    this.hooks.dirty(1);
    if (this.onReady !== null) this.onReady(this, key); // XREADGROUP waiters learn it is gone
    return true;
  }

  /* -------------------------------------------------------------------------
   * Hash field expiration (Redis 7.4): the index of hashes with field TTLs
   * and the deletion of expired fields, lazy (hash commands) or active
   * (keyspace/expire.ts).
   * ----------------------------------------------------------------------- */

  /**
   * Files, refiles or unfiles the hash stored at `key` in the index after its
   * field TTLs changed (HEXPIRE & co., HPERSIST, field deletions). Cheap when
   * nothing changed; a no-op for a hash that never had a field TTL.
   */
  hfeTrack(key: string, h: HashValue): void {
    const ex = h.ex;
    if (ex === null) return;
    const at = h.minExpire();
    if (at !== 0) {
      if (ex.pos < 0 || ex.at !== at || ex.key !== key) this.hfe.set(ex, key, at);
    } else if (ex.pos >= 0) this.hfe.remove(ex);
  }

  /** A value was stored at `key` (set, move, load): files it when it is a hash with field TTLs. */
  hfeAdd(key: string, val: Value): void {
    if (!isString(val) && val.type === 'hash' && val.ex !== null) this.hfeTrack(key, val);
  }

  /** A value left this db (delete, overwrite, expiry, move): unfiles it. */
  hfeDrop(val: Value | undefined): void {
    if (val === undefined || isString(val) || val.type !== 'hash') return;
    const ex = val.ex;
    if (ex !== null && ex.pos >= 0) this.hfe.remove(ex);
  }

  /**
   * Deletes field `f` of hash `h` (stored at `key`) because its TTL passed:
   * copy-on-write first (a BGSAVE keeps the old hash), then the
   * fieldExpired hook (expired_subkeys, HDEL propagated). The 'hexpired'
   * event, the WATCH/tracking signal, the refiling and the deletion of an
   * emptied hash are fieldsExpired's, once per command or cycle step.
   */
  expireField(key: string, h: HashValue, f: string): void {
    if (this.cow !== null) this.cow(this, key);
    h.delete(f);
    this.hooks.fieldExpired?.(this, key, f);
  }

  /**
   * After expireField calls on one hash: the 'hexpired' event (unless
   * `quiet`: HMGET sends it once itself), the modification signal, and an
   * emptied hash deleted with a 'del' event (unless `keepEmpty`: HGETEX,
   * HGETDEL and HSETEX delete it at their end); otherwise the hash is
   * refiled. Counts no dirty change: as in Redis, field expiry alone does not
   * make a command propagate. Returns true when the hash was deleted.
   */
  fieldsExpired(key: string, h: HashValue, quiet = false, keepEmpty = false): boolean {
    if (!quiet) this.hooks.notify('h', 'hexpired', key, this.id);
    let deleted = false;
    if (h.size === 0 && !keepEmpty) {
      if (!quiet) this.hooks.notify('g', 'del', key, this.id);
      this.deleteQuietly(key);
      deleted = true;
    } else {
      this.hfeTrack(key, h);
      this.remeasure(key);
    }
    this.hooks.modified(this, key);
    return deleted;
  }

  /**
   * Deletes a key without counting a dirty change or signalling (the caller
   * signals): a hash emptied by field expiry, a key evicted (`mode` 'evict':
   * lazyfree-lazy-eviction decides). No keyspace event. Returns whether
   * the key was there.
   */
  deleteQuietly(key: string, mode: FreeMode = 'server'): boolean {
    if (this.cow !== null) this.cow(this, key);
    const h = this.batch.hashOf(key);
    const old = this.dict.delete(key, h);
    if (old === undefined) return false;
    this.dropped(key, old, mode);
    if (this.hfe.size !== 0) this.hfeDrop(old);
    if (this.expires.size !== 0) this.expires.delete(key, h);
    if (this.onReady !== null) this.onReady(this, key);
    return true;
  }

  /**
   * Deletes a key for maxmemory (keyspace/evict.ts), expired or not: no
   * dirty count (as Redis's eviction), the modification signalled (WATCH,
   * tracking) and an `evicted` keyspace event. Stats and propagation are
   * the evictor's. Returns false, doing nothing, when the key is not there
   * (the evictor's pool may hold keys deleted since they were sampled).
   */
  evict(key: string): boolean {
    // (freed lazily or not by lazyfree-lazy-eviction)
    if (!this.deleteQuietly(key, 'evict')) return false;
    this.hooks.modified(this, key);
    this.hooks.notify('e', 'evicted', key, this.id);
    return true;
  }

  /**
   * Sets an absolute expiry time (ms) on an existing key. A bigint (any int64)
   * is kept as a bigint only when it is not a safe integer.
   */
  setExpire(key: string, when: number | bigint): void {
    if (typeof when === 'bigint') when = narrowInt64(when);
    if (this.cow !== null) this.cow(this, key);
    const h = this.batch.hashOf(key);
    this.expires.set(this.storedKey(key, h), when, 0, false, h);
    this.hooks.ttlSet?.(this, key);
    this.hooks.modified(this, key);
    this.hooks.dirty(1);
  }

  /**
   * The key string object the main dict holds for `key` (or `key` itself):
   * the expires dict stores that one, so a TTL does not keep a second copy of
   * the key's bytes (as Redis shares the sds between its two dicts).
   */
  private storedKey(key: string, h: number): string {
    const slot = this.dict.slot(key, h);
    return slot < 0 ? key : this.dict.keyAt(slot);
  }

  /** Removes a TTL; returns true when there was one. */
  persist(key: string): boolean {
    if (this.cow !== null && this.expires.has(key)) this.cow(this, key);
    if (this.expires.delete(key) === undefined) return false;
    this.hooks.modified(this, key);
    this.hooks.dirty(1);
    return true;
  }

  /** The absolute expiry time in ms, or -1 when the key has none. */
  getExpire(key: string): number {
    const w = this.expires.get(key);
    return w === undefined ? -1 : Number(w);
  }

  /** getExpire() without rounding: a bigint for times beyond 2^53 ms (TTL, PEXPIRETIME). */
  getExpireExact(key: string): number | bigint {
    const w = this.expires.get(key);
    return w === undefined ? -1 : w;
  }

  /** Sends a keyspace event for a key of this db. */
  notify(cls: string, event: string, key: string): void {
    this.hooks.notify(cls, event, key, this.id);
  }

  /**
   * A random key that is not expired, or undefined when the db is empty
   * (RANDOMKEY). As Redis on a master: an expired pick is deleted and another
   * drawn, so this ends (each retry removes a key).
   */
  randomKey(random: () => number): string | undefined {
    // With expiry paused an expired key is not deleted: when every key has a
    // TTL, give up after 100 tries and return an expired one (as Redis does).
    let tries = 100;
    for (;;) {
      const k = this.dict.randomKey(random);
      if (k === undefined) return undefined;
      if (this.dict.size === this.expires.size && this.hooks.expirePaused?.() === true && --tries === 0) return k;
      if (!this.expireIfNeeded(k)) return k;
    }
  }

  /** Removes every key; returns how many there were. Fires the `flushing` hook first. */
  flush(): number {
    const n = this.dict.size;
    this.hooks.flushing?.(this);
    if (this.cow !== null) {
      // a snapshot in progress keeps walking the old dicts (a key tracker follows the new one)
      const tracker = this.dict.tracker;
      this.dict.tracker = null;
      this.dict = new Dict<Value>(true);
      if (tracker !== null) {
        tracker.cleared();
        this.dict.tracker = tracker;
      }
      this.expires = new Dict<number | bigint>();
    } else {
      this.dict.clear();
      this.expires.clear();
    }
    this.hfe.clear();
    this.avgTtl = 0;
    this.mem = 0;
    this.pending = null;
    this.lastSlot = -1;
    return n;
  }

  /**
   * Swaps the contents of two databases (SWAPDB): clients keep their Db
   * objects and so see the other contents. Fires the `swapped` hook (WATCH,
   * blocked clients) rather than signalling every key.
   */
  swapWith(other: Db): void {
    [this.dict, other.dict] = [other.dict, this.dict];
    [this.expires, other.expires] = [other.expires, this.expires];
    [this.avgTtl, other.avgTtl] = [other.avgTtl, this.avgTtl];
    [this.hfe, other.hfe] = [other.hfe, this.hfe];
    [this.mem, other.mem] = [other.mem, this.mem];
    [this.pending, other.pending] = [other.pending, this.pending];
    this.lastSlot = other.lastSlot = -1;
    this.hooks.swapped?.(this, other);
  }
}
