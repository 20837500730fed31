/**
 * What Redis's fork gives a SCRIPT DEBUG YES session, as an undo log: Redis
 * runs the debugged EVAL in a forked child, so whatever it writes is gone
 * when the session ends ("dataset changes rolled back", redis-cli says).
 * tsdis cannot fork; it runs the session in place (ldb.ts) and undoes its
 * effects on the dataset afterwards:
 *
 * - every database's copy-on-write hook (Db.cow, the one BGSAVE uses, kept
 *   chained) records a key's value (a deep copy), TTL and access metadata
 *   the first time the session is about to change it, per dictionary;
 * - with the hook set, FLUSHDB / FLUSHALL give a database new dictionaries
 *   and leave the old ones alone, and SWAPDB swaps dictionaries: at the
 *   end each database gets back the dictionaries it started with, and the
 *   recorded keys of those get their old values back (the first record of
 *   a key is its value before the session);
 * - the operations collected for the AOF, the dirty counter and the
 *   script cache entry the EVAL added are dropped.
 *
 * What is not undone (README "Scripting" says so): the server serves no one
 * else meanwhile (the fork's parent keeps serving); keyspace notifications,
 * WATCH invalidations, client-tracking invalidations and INFO counters the
 * session's commands caused have happened.
 */
import { SlotKeys } from '../keyspace/slot-keys.js';
import type { Server } from '../server/server.js';
import type { Db } from '../keyspace/db.js';
import type { Dict } from '../keyspace/dict.js';
import { dupValue, type Value } from '../keyspace/value.js';

/** A key as it was before the session first changed it (value undefined: absent). */
interface KeyBefore {
  value: Value | undefined;
  ttl: number | bigint | undefined;
  meta: number;
}

/** A database's state at the session's start. */
interface DbBefore {
  db: Db;
  dict: Db['dict'];
  expires: Db['expires'];
  hfe: Db['hfe'];
  avgTtl: number;
  cow: Db['cow'];
}

export class LdbRollback {
  private readonly dbs: DbBefore[];
  /** The recorded keys, by the dictionary they were in. */
  private readonly before = new Map<Dict<Value>, Map<string, KeyBefore>>();
  private readonly dirty: number = 0;
  private readonly propagationMark: number = 0;

  /** Starts recording (before the debugged EVAL runs). */
  constructor(private readonly server: Server) {
    this.dirty = server.propagator.dirty;
    this.propagationMark = server.propagator.mark();
    this.dbs = server.dbs.map((db) => ({
      db,
      dict: db.dict,
      expires: db.expires,
      hfe: db.hfe,
      avgTtl: db.avgTtl,
      cow: db.cow,
    }));
    for (const b of this.dbs) {
      const prev = b.cow;
      b.db.cow = (db, key) => {
        if (prev !== null) prev(db, key);
        this.record(db, key);
      };
    }
  }

  /** Db.cow: the key's state before its first change in this dictionary. */
  private record(db: Db, key: string): void {
    const d = db.dict;
    let m = this.before.get(d);
    if (m === undefined) this.before.set(d, (m = new Map()));
    if (m.has(key)) return;
    const slot = d.slot(key);
    const v = slot < 0 ? undefined : d.valAt(slot);
    m.set(key, {
      value: v === undefined ? undefined : dupValue(v),
      ttl: db.expires.get(key),
      meta: slot >= 0 && d.hasMeta ? d.metaAt(slot) : 0,
    });
  }

  /** Ends recording and restores the dataset (after the EVAL's reply is written). */
  undo(): void {
    const server = this.server;
    const originals = new Set(this.dbs.map((b) => b.dict));
    // a flush cleared an index in place and left a new dictionary behind (see the header)
    const flushed = server.dbs.some((db) => !originals.has(db.dict));
    for (const b of this.dbs) {
      const db = b.db;
      // (a key tracker, cluster mode's slot index, follows the dictionary put back)
      const tracker = db.dict.tracker;
      db.dict = b.dict;
      db.expires = b.expires;
      db.hfe = b.hfe;
      db.avgTtl = b.avgTtl;
      db.cow = b.cow;
      const m = this.before.get(b.dict);
      if (m !== undefined) {
        for (const [key, k] of m) {
          db.hfeDrop(db.dict.get(key));
          if (k.value === undefined) {
            db.dict.delete(key);
            db.expires.delete(key);
            continue;
          }
          db.dict.set(key, k.value, k.meta);
          if (k.ttl === undefined) db.expires.delete(key);
          else db.expires.set(key, k.ttl);
          db.hfeAdd(key, k.value);
        }
      }
      if (flushed) {
        db.hfe.clear();
        const d = db.dict;
        for (let i = 0; i < d.size; i++) db.hfeAdd(d.keyAt(i), d.valAt(i));
      }
      if (tracker !== null && tracker instanceof SlotKeys) {
        db.dict.tracker = tracker;
        tracker.rebuild(db.dict);
      }
    }
    server.propagator.restoreDirty(this.dirty);
    server.propagator.dropSince(this.propagationMark);
  }
}
