/**
 * Transactions: the MULTI queue of a client and the WATCH registry.
 *
 * A client in MULTI has `multiQueue` (the commands queued so far) and
 * `multiError` (a command was refused while queueing: EXEC aborts). WATCH
 * registers (db, key) for the client; any change to the key — a write from
 * any client, expiry, deletion by FLUSHDB/FLUSHALL/SWAPDB — sets the client's
 * `dirtyCas`, and its EXEC replies a null array. The keyspace reports changes
 * through the `modified`, `flushing` and `swapped` hooks (server.ts), so no
 * command needs to know about WATCH.
 *
 * A key already logically expired when it was watched is marked `expired`:
 * its deletion by expiry is no logical change (Redis 7 rules), and a watched
 * key that expires before EXEC aborts the transaction (checked at EXEC).
 */
import type { Db } from '../keyspace/db.js';
import type { CommandSpec } from '../commands/spec.js';
import type { Client } from './client.js';
import type { Subsystem } from './subsystem.js';

/** A command queued inside MULTI. */
export interface Queued {
  cmd: CommandSpec;
  parent: CommandSpec | undefined;
  argv: string[];
}

/** One client watching one key. */
export interface WatchEntry {
  client: Client;
  db: Db;
  key: string;
  /** The key was logically expired (but still stored) when watched. */
  expired: boolean;
}

/** The commands a client in MULTI runs at once instead of queueing. */
const RUN_IN_MULTI = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);

export function runsInMulti(cmd: CommandSpec): boolean {
  return RUN_IN_MULTI.has(cmd.name);
}

export class Watches implements Subsystem {
  /** db -> key -> entries of the clients watching it. */
  private byDb = new Map<Db, Map<string, WatchEntry[]>>();
  /** Watched (client, key) pairs in all: the write hooks return at once at 0. */
  private count = 0;

  /** Subsystem: a freed client's transaction and WATCHes are dropped. */
  clientFreed(c: Client): void {
    if (c.multiQueue !== null || c.watched.length > 0) discardTransaction(c, this);
  }

  /** Subsystem: RESET drops the client's transaction and WATCHes. */
  clientReset(c: Client): void {
    discardTransaction(c, this);
  }

  /** Number of distinct watched keys (INFO watching_clients / total_watched_keys). */
  get keys(): number {
    let n = 0;
    for (const m of this.byDb.values()) n += m.size;
    return n;
  }

  /** Number of clients watching at least one key. */
  clients(all: Iterable<Client>): number {
    let n = 0;
    for (const c of all) if (c.watched.length > 0) n++;
    return n;
  }

  /** WATCH key: no-op when the client already watches it in this db. */
  watch(c: Client, db: Db, key: string): void {
    let m = this.byDb.get(db);
    if (m === undefined) this.byDb.set(db, (m = new Map()));
    let list = m.get(key);
    if (list === undefined) m.set(key, (list = []));
    for (const e of list) if (e.client === c) return;
    const e: WatchEntry = { client: c, db, key, expired: db.isLogicallyExpired(key) };
    list.push(e);
    c.watched.push(e);
    this.count++;
  }

  /** UNWATCH (also EXEC, DISCARD, RESET, disconnect, and a touch that dirtied the client). */
  unwatchAll(c: Client): void {
    for (const e of c.watched) {
      const m = this.byDb.get(e.db);
      const list = m?.get(e.key);
      if (m === undefined || list === undefined) continue;
      const i = list.indexOf(e);
      if (i >= 0) {
        list.splice(i, 1);
        this.count--;
      }
      if (list.length === 0) m.delete(e.key);
    }
    c.watched = [];
  }

  /** A key of `db` changed (written, deleted, expired). */
  touched(db: Db, key: string): void {
    if (this.count === 0) return;
    const list = this.byDb.get(db)?.get(key);
    if (list === undefined) return;
    for (const e of [...list]) {
      // An already-expired key now deleted (by expiry or otherwise): no logical change.
      if (e.expired && !db.stored(key)) {
        e.expired = false;
        continue;
      }
      this.dirty(e.client);
    }
  }

  /** FLUSHDB / FLUSHALL is about to empty `db`. */
  flushing(db: Db): void {
    if (this.count === 0) return;
    const m = this.byDb.get(db);
    if (m === undefined) return;
    for (const [key, list] of [...m]) {
      if (!db.stored(key)) continue;
      for (const e of [...list]) {
        if (e.expired)
          e.expired = false; // expired key deleted: no logical change
        else this.dirty(e.client);
      }
    }
  }

  /** SWAPDB swapped the contents of a and b (called after the swap). */
  swapped(a: Db, b: Db): void {
    if (this.count === 0) return;
    // For keys watched in a: the old contents are now in b, the new ones in a.
    this.replaced(a, b, a);
    this.replaced(b, a, b);
  }

  private replaced(watchedIn: Db, oldContents: Db, newContents: Db): void {
    const m = this.byDb.get(watchedIn);
    if (m === undefined) return;
    for (const [key, list] of [...m]) {
      const inOld = oldContents.stored(key);
      const inNew = newContents.stored(key);
      if (!inOld && !inNew) continue;
      for (const e of [...list]) {
        if (e.expired) {
          if (!inNew) {
            e.expired = false; // the expired key is gone
            continue;
          }
          if (newContents.isLogicallyExpired(key)) continue; // still an expired key
        } else if (!inOld && newContents.isLogicallyExpired(key)) {
          e.expired = true; // a missing key replaced by an expired one
          continue;
        }
        this.dirty(e.client);
      }
    }
  }

  /** EXEC: whether a watched key has expired since it was watched. */
  expiredSinceWatch(c: Client): boolean {
    for (const e of c.watched) if (!e.expired && e.db.isLogicallyExpired(e.key)) return true;
    return false;
  }

  private dirty(c: Client): void {
    c.dirtyCas = true;
    this.unwatchAll(c);
  }
}

/** Leaves MULTI without running anything (DISCARD, EXEC's end, RESET, disconnect). */
export function discardTransaction(c: Client, watches: Watches): void {
  c.multiQueue = null;
  c.multiError = false;
  c.dirtyCas = false;
  watches.unwatchAll(c);
}
