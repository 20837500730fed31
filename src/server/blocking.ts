/**
 * Clients blocked on keys (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, the
 * sorted-set BZ* commands and XREAD/XREADGROUP BLOCK), as Redis's blocked.c
 * does it:
 *
 *  - `block()` parks a client on its keys: per Db, each key has a FIFO of
 *    the clients waiting on it, so the first to block is served first.
 *    While a client is blocked the server runs none of its later commands
 *    (Connections.processInput stops at `client.blocked`); they wait in its parser.
 *  - The keyspace signals a key that received a value (Redis's
 *    signalKeyAsReady) through `Db.onReady`, which is set only on databases
 *    with blocked clients, so nothing is paid on the hot path otherwise.
 *    Every way a list or sorted set appears under a key goes through
 *    Db.set/setWithExpire/rename/moveTo (pushes onto a new key, LMOVE,
 *    RENAME, COPY, MOVE, RESTORE), and SWAPDB through the `swapped` hook.
 *  - After the command that signalled (the dispatcher calls `handleReady()`
 *    once the command returns, before replies are flushed: Redis's
 *    handleClientsBlockedOnKeys), each ready key serves its waiters in order
 *    for as long as it holds something to pop. Serving may make other keys
 *    ready (BLMOVE pushes), which are handled in the same loop.
 *  - A served, timed-out or CLIENT UNBLOCKed client resumes its pipelined
 *    commands on the next event-loop turn (Redis's processUnblockedClients
 *    in beforeSleep). A client that disconnects is forgotten at once.
 *  - Timeouts run from a timer per blocked client (ms precision, so the
 *    fractional timeouts behave as in Redis); 0 waits forever.
 */
import type { Db } from '../keyspace/db.js';
import type { Client } from './client.js';
import type { Server } from './server.js';
import type { Subsystem } from './subsystem.js';
import { Err } from '../protocol/errors.js';
import type { Reply } from '../protocol/writer.js';
import type { CommandSpec } from '../commands/spec.js';
import type { CommandStat } from '../observability/stats.js';
import { recordCall } from './dispatcher.js';
import { performance } from 'node:perf_hooks';

/**
 * Tries to serve a blocked client from `key`, which was signalled: replies
 * on `reply` and returns true when served; returns false (replying nothing)
 * when the key holds nothing this client can take (the next waiter is asked:
 * it may wait for another type, or for other stream IDs).
 */
export type ServeFn = (db: Db, key: string, reply: Reply) => boolean;

/** A blocked client's state. */
interface Blocked {
  client: Client;
  db: Db;
  keys: string[];
  serve: ServeFn;
  /** The reply when the timeout passes (or CLIENT UNBLOCK ... TIMEOUT). */
  onTimeout: (reply: Reply) => void;
  timer: NodeJS.Timeout | null;
  /** Also woken when a key it waits on is deleted (XREADGROUP: Redis 7.2's unblock_on_nokey). */
  onNoKey: boolean;
  /** Who blocked it, for a wait without keys (WAIT: replication/primary.ts), else null. */
  tag: object | null;
  /** The command's stats, recorded when it completes (Redis 7.2 counts a blocked command once, then). */
  stats: { cmd: CommandSpec; st: CommandStat; us: number; argv: string[] } | null;
}

/** The longest delay a Node timer keeps (setTimeout's limit). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class Blocking implements Subsystem {
  /** Per database: key -> the clients waiting on it, first come first. */
  private readonly waiting = new Map<Db, Map<string, Blocked[]>>();
  private readonly states = new Map<Client, Blocked>();
  /** Keys signalled since the last handleReady (each [db, key] at most once). */
  ready: [Db, string][] = [];
  private readySet = new Set<string>();
  private readonly onReady = (db: Db, key: string): void => this.signal(db, key);

  constructor(private readonly server: Server) {}

  /** Subsystem: a freed client stops waiting. */
  clientFreed(c: Client): void {
    if (this.states.has(c)) this.remove(c);
  }

  /** Subsystem: keys the cron expired may end a wait (XREADGROUP on a stream that is gone). */
  cron(): void {
    if (this.ready.length !== 0) this.handleReady();
  }

  /** Subsystem: keys made ready since the last command (the fast expire cycle's) are served before replies are written. */
  beforeSleep(): void {
    if (this.ready.length !== 0) this.handleReady();
  }

  /** Clients blocked now (INFO blocked_clients). */
  get count(): number {
    return this.states.size;
  }

  /** Blocked clients with a timeout (INFO clients_in_timeout_table). */
  get timeoutCount(): number {
    let n = 0;
    for (const b of this.states.values()) if (b.timer !== null) n++;
    return n;
  }

  /** Keys with a client that a deletion wakes (INFO total_blocking_keys_on_nokey). */
  get keyCountOnNoKey(): number {
    let n = 0;
    for (const m of this.waiting.values()) for (const q of m.values()) if (q.some((b) => b.onNoKey)) n++;
    return n;
  }

  /** Keys with at least one blocked client (INFO total_blocking_keys). */
  get keyCount(): number {
    let n = 0;
    for (const m of this.waiting.values()) n += m.size;
    return n;
  }

  /**
   * Blocks `client` on `keys` of `db` until one can serve it or `deadline`
   * (absolute ms; 0 = forever) passes. The caller has checked that none of
   * the keys can serve it now. Repeated keys count once.
   */
  block(
    client: Client,
    db: Db,
    keys: string[],
    deadline: number,
    serve: ServeFn,
    onTimeout: (reply: Reply) => void,
    onNoKey = false,
    tag: object | null = null,
  ): void {
    const b: Blocked = {
      client,
      db,
      keys: [...new Set(keys)],
      serve,
      onTimeout,
      timer: null,
      onNoKey,
      tag,
      stats: null,
    };
    // (a wait without keys, such as WAIT's, is in no database's queues)
    if (b.keys.length > 0) {
      let m = this.waiting.get(db);
      if (m === undefined) {
        m = new Map();
        this.waiting.set(db, m);
        db.onReady = this.onReady;
      }
      for (const k of b.keys) {
        const q = m.get(k);
        if (q === undefined) m.set(k, [b]);
        else q.push(b);
      }
    }
    this.states.set(client, b);
    client.blocked = true;
    if (deadline > 0) this.arm(b, deadline);
  }

  /**
   * The timer of a blocked client with a deadline: a timer cannot wait
   * longer than 2^31-1 ms (Node fires a longer one after 1 ms), so a far
   * deadline (BLPOP k 1e10) is reached through timers of that length.
   */
  private arm(b: Blocked, deadline: number): void {
    const ms = Math.max(0, deadline - this.server.clock());
    b.timer = setTimeout(
      () => (ms > MAX_TIMER_MS ? this.arm(b, deadline) : this.timeout(b.client)),
      Math.min(ms, MAX_TIMER_MS),
    );
    b.timer.unref();
  }

  /**
   * call(): the command that just blocked `client` on keys is counted when it
   * completes (complete()). False when the client is held for another reason
   * (Server.holdUntil): the caller counts it now.
   */
  deferStats(client: Client, cmd: CommandSpec, st: CommandStat, us: number, argv: string[]): boolean {
    const b = this.states.get(client);
    if (b === undefined) return false;
    b.stats = { cmd, st, us, argv };
    return true;
  }

  /** A key of `db` received a value (called by Db through onReady). */
  signal(db: Db, key: string): void {
    const m = this.waiting.get(db);
    if (m === undefined || !m.has(key)) return;
    const id = db.id + ':' + key;
    if (this.readySet.has(id)) return;
    this.readySet.add(id);
    this.ready.push([db, key]);
  }

  /** FLUSHDB / FLUSHALL (before the keys go), SWAPDB: every key waited on in `db` is looked at again after the command. */
  flushed(db: Db): void {
    const m = this.waiting.get(db);
    if (m === undefined) return;
    for (const k of m.keys()) this.signal(db, k);
  }

  /** SWAPDB: every key waited on in either database may now hold a value, or none. */
  swapped(a: Db, b: Db): void {
    this.flushed(a);
    this.flushed(b);
  }

  /**
   * Serves the clients waiting on the keys signalled so far, in order, until
   * no key is ready (Redis's handleClientsBlockedOnKeys). Called by the
   * dispatcher after each command when `ready` is not empty.
   */
  handleReady(): void {
    const server = this.server;
    const prev = server.current;
    const prevExecuting = server.executing;
    while (this.ready.length !== 0) {
      const batch = this.ready;
      this.ready = [];
      this.readySet.clear();
      for (const [db, key] of batch) {
        const m = this.waiting.get(db);
        const q = m?.get(key);
        if (q === undefined) continue;
        // Serve in arrival order; a served client leaves every queue (remove()).
        let i = 0;
        while (i < q.length) {
          const b = q[i]!;
          // Redis looks the key up without effects (LOOKUP_NOEFFECTS): a key whose TTL has passed is
          // no key to a waiter, and stays stored (deleted, and the DEL propagated, at its next access)
          if (!b.onNoKey && db.isLogicallyExpired(key)) {
            i++;
            continue;
          }
          // ACL rules may have changed while it waited: the command is checked again (Redis reprocesses it)
          if (!b.client.user.unrestricted && b.stats !== null && this.aclRefused(b)) {
            if (m!.get(key) !== q) break;
            continue;
          }
          // the served client runs its command again (Redis's unblockClientOnKey): the pushes
          // made for it meanwhile (its own invalidations, ...) follow the reply, as after call()
          server.current = b.client;
          server.executing = b.client;
          const t0 = performance.now();
          const errors = b.client.reply.errors;
          let served: boolean;
          try {
            served = b.serve(db, key, b.client.reply);
          } catch (e) {
            // a bug must not take the server down: the waiter gets the error, as call() does
            server.log.warning(`Internal error serving a blocked client: ${(e as Error).stack ?? e}`);
            b.client.reply.error(Err.internalError((e as Error).message));
            served = true;
          } finally {
            if (prevExecuting === null) {
              if (server.tracking.pending.length !== 0) server.tracking.flushPending(b.client);
              if (server.pubsub.pending !== '') server.pubsub.flushPending(b.client);
            }
            server.current = prev;
            server.executing = prevExecuting;
          }
          const off = server.repl.offset;
          server.propagator.commit(); // the pop it made, as its own unit
          // its write offset, for a WAIT after it (Redis's woff, set when call() runs it again)
          if (server.repl.offset !== off) b.client.woff = server.repl.offset;
          // not served: the next waiter may wait for another type (a BLPOP and an
          // XREADGROUP on one key), so each is asked, as Redis's handleClientsBlockedOnKey does
          if (!served) {
            i++;
            continue;
          }
          this.complete(b, (performance.now() - t0) * 1000, b.client.reply.errors !== errors);
          this.resume(b.client);
          if (m!.get(key) !== q) break; // the queue is gone (last waiter served)
        }
      }
    }
  }

  /**
   * A blocked command its user may no longer run: -NOPERM (logged), counted
   * as rejected rather than called, and the client resumes. False when it may run.
   */
  private aclRefused(b: Blocked): boolean {
    const server = this.server;
    const s = b.stats!;
    const prev = server.current;
    server.current = b.client;
    const denied = server.acl.denial(b.client, s.cmd, undefined, s.argv);
    server.current = prev;
    if (denied === null) return false;
    b.client.reply.error(denied);
    s.st.rejected++;
    b.stats = null;
    this.resume(b.client);
    return true;
  }

  /** The timeout passed: the timeout reply, then the client resumes. */
  private timeout(client: Client): void {
    const b = this.states.get(client);
    if (b === undefined) return;
    b.onTimeout(client.reply);
    this.complete(b, 0, false);
    this.resume(client);
  }

  /**
   * CLIENT UNBLOCK: unblocks the client with `id` as if it timed out, or
   * with the UNBLOCKED error. Returns false when it is not blocked.
   */
  unblockById(id: number, error: boolean): boolean {
    const c = this.server.clients.get(id);
    const b = c === undefined ? undefined : this.states.get(c);
    if (b === undefined) return false;
    if (error) c!.reply.error(Err.unblocked);
    else b.onTimeout(c!.reply);
    this.complete(b, 0, error);
    this.resume(c!);
    return true;
  }

  /** Whether `client` is blocked by the wait `tag` made (block()'s last argument). */
  holds(client: Client, tag: object): boolean {
    return this.states.get(client)?.tag === tag;
  }

  /**
   * Ends a wait without keys that its owner saw satisfied (WAIT: enough
   * replicas acknowledged): `write` makes the reply, then the client
   * resumes. False when `client` is not blocked by `tag`.
   */
  unblockWith(client: Client, tag: object, write: (reply: Reply) => void): boolean {
    const b = this.states.get(client);
    if (b === undefined || b.tag !== tag) return false;
    write(client.reply);
    this.complete(b, 0, false);
    this.resume(client);
    return true;
  }

  /**
   * Every blocked client gets `error` and is closed after it (REPLICAOF
   * host port: Redis's disconnectAllBlockedClients; clients held by CLIENT
   * PAUSE are not blocked here and stay).
   */
  failAll(error: string): void {
    for (const b of [...this.states.values()]) {
      const c = b.client;
      c.reply.error(error);
      this.complete(b, 0, true);
      c.closeAfterReply = true;
      this.resume(c);
    }
  }

  /** Each blocked client with the first key it waits on (cluster mode: cluster/cluster.ts redirects those whose slot moved). */
  *firstKeys(): IterableIterator<[Client, string]> {
    for (const b of this.states.values()) if (b.keys.length !== 0) yield [b.client, b.keys[0]!];
  }

  /** Unblocks `client` with the error `err` (Redis's unblockClientOnError), counted as a failed call. */
  unblockWithError(client: Client, err: string): void {
    const b = this.states.get(client);
    if (b === undefined) return;
    client.reply.error(err);
    this.complete(b, 0, true);
    this.resume(client);
  }

  /** The blocked command completed (served, timed out, unblocked): its stats and slow log entry, as sent. */
  private complete(b: Blocked, us: number, failed: boolean): void {
    const s = b.stats;
    if (s !== null) recordCall(this.server, b.client, s.cmd, s.st, s.us + us, s.argv, failed);
  }

  /** Unblocks a client that got its reply: flush it and run its pipelined commands next turn. */
  private resume(client: Client): void {
    this.remove(client);
    const server = this.server;
    server.beforeSleep.queue(client);
    setImmediate(() => {
      if (!client.closed && !client.blocked && client.socket !== null) server.conns.processInput(client);
    });
  }

  /** Forgets a blocked client: out of every key queue, timer stopped. */
  private remove(client: Client): void {
    const b = this.states.get(client);
    if (b === undefined) return;
    this.states.delete(client);
    client.blocked = false;
    if (b.timer) clearTimeout(b.timer);
    const m = this.waiting.get(b.db);
    if (m === undefined) return;
    for (const k of b.keys) {
      const q = m.get(k);
      if (q === undefined) continue;
      const i = q.indexOf(b);
      if (i >= 0) q.splice(i, 1);
      if (q.length === 0) m.delete(k);
    }
    if (m.size === 0) {
      this.waiting.delete(b.db);
      b.db.onReady = null;
    }
  }
}
