/**
 * Client side caching (CLIENT TRACKING): which keys each tracking client
 * read, and the invalidation messages sent when they change (Redis 7.2's
 * tracking.c).
 *
 * Default mode: the keys of every read-only command a tracking client runs
 * are remembered in one table, key → client ids (keys by name only, across
 * databases, as Redis does). A script's or a transaction's read-only
 * commands are remembered for the client that runs it (EVAL's own keys are
 * not: Redis 7.2). The first change to a key sends each of those clients one
 * invalidation and forgets the key. OPTIN/OPTOUT with CLIENT CACHING YES/NO
 * choose which commands are remembered; NOLOOP skips changes made by the
 * client's own commands (its scripts' too).
 *
 * Order (Redis 7.2): an invalidation for the client whose command is
 * running is queued (`pending`) and sent after the reply of its top-level
 * command — after the EXEC or EVAL reply, and after the reply of a blocked
 * command when it is served — behind the other pushes that command made
 * for it. Invalidations for other clients are written at once.
 *
 * tracking-table-max-keys: before each command (once past authentication)
 * and in serverCron, while the table holds more keys than that, keys are
 * dropped with an invalidation to their clients, as if changed: up to 100
 * a call, 100 more on each call that could not get under the limit
 * (Redis's trackingLimitUsedSlots). Redis drops random keys; tsdis drops
 * the keys first remembered first (the table's insertion order), which needs
 * no sampling structure beside the Map.
 *
 * BCAST mode: nothing is remembered; every changed key matching a
 * registered prefix is collected (with the client that changed it; null for
 * expiry) and, once per event-loop turn (before replies are written,
 * Redis's beforeSleep), each prefix's clients get one invalidation listing
 * that prefix's changed keys (a NOLOOP client not those it changed itself).
 *
 * Messages: a RESP3 push `>2 invalidate [keys]`, or, when redirected to a
 * RESP2 client in pub/sub mode, a message on `__redis__:invalidate`. FLUSHDB,
 * FLUSHALL (SYNC or ASYNC), DEBUG RELOAD and DEBUG LOADAOF send every
 * tracking client a null key list and empty the table. A push for the
 * client whose command is running goes after its reply (PubSub.target).
 */
import type { Server } from './server.js';
import type { Subsystem } from './subsystem.js';
import type { Client } from './client.js';
import type { CommandSpec } from '../commands/spec.js';
import { keysOf } from '../commands/keys-of.js';
import { Err } from '../protocol/errors.js';

/** The clients registered for one BCAST prefix and the matching keys changed this turn. */
interface BcastState {
  clients: Set<Client>;
  /** changed key → the client that changed it last (null: the server, e.g. expiry). */
  keys: Map<string, Client | null>;
}

export interface TrackingOptions {
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
}

export class Tracking implements Subsystem {
  /** key → ids of the clients that may cache it (insertion order: the eviction order). */
  readonly table = new Map<string, Set<number>>();
  /** Sum of the id sets' sizes (INFO tracking_total_items). */
  totalItems = 0;
  /** BCAST prefix → its state (INFO tracking_total_prefixes). */
  readonly prefixes = new Map<string, BcastState>();
  /** Clients with tracking on (INFO tracking_clients). */
  clients = 0;
  /** Set while FLUSHDB/FLUSHALL empty the keyspace: per-key signals are ignored. */
  private flushing = false;
  /** Some BCAST prefix has changed keys waiting for broadcast(). */
  bcastPending = false;
  /**
   * Invalidations for the client whose command is running, sent after its
   * reply (flushPending): key names, null for a flush. Redis's
   * server.tracking_pending_keys.
   */
  readonly pending: (string | null)[] = [];
  /** tracking-table-max-keys (0: no limit), kept current on CONFIG SET. */
  private maxKeys = 0;
  /** Calls of limitUsedSlots in a row that ended still over the limit (each adds 100 to the effort). */
  private limitRounds = 0;

  constructor(private readonly server: Server) {
    this.refreshConfig();
  }

  /** Subsystem: tracking-table-max-keys may have changed. */
  configChanged(): void {
    this.refreshConfig();
  }
  /** Subsystem: a freed or RESET client stops tracking. */
  clientFreed(c: Client): void {
    this.disable(c);
  }
  clientReset(c: Client): void {
    this.disable(c);
  }
  /** Subsystem: tracking-table-max-keys is applied even when no command comes (Redis's serverCron). */
  cron(): void {
    if (this.clients !== 0) this.limitUsedSlots(null);
  }
  /** Subsystem: BCAST invalidations collected this turn go out (Redis's trackingBroadcastInvalidationMessages). */
  beforeSleep(): void {
    if (this.bcastPending) this.broadcast();
  }

  private refreshConfig(): void {
    this.maxKeys = this.server.config.v['tracking-table-max-keys'];
  }

  /**
   * CLIENT TRACKING ON (options already validated): turns tracking on or
   * updates its mode; BCAST registers the prefixes ("" when none is given).
   */
  enable(c: Client, redirect: number, opts: TrackingOptions, prefixes: readonly string[]): void {
    if (!c.tracking) this.clients++;
    c.tracking = true;
    c.trackingBrokenRedir = false;
    c.trackingBcast = false;
    c.trackingOptin = false;
    c.trackingOptout = false;
    c.trackingNoloop = false;
    c.trackingRedirect = redirect;
    if (opts.bcast) {
      c.trackingBcast = true;
      if (prefixes.length === 0) this.addPrefix(c, '');
      for (const p of prefixes) this.addPrefix(c, p);
    }
    c.trackingOptin = opts.optin;
    c.trackingOptout = opts.optout;
    c.trackingNoloop = opts.noloop;
  }

  private addPrefix(c: Client, prefix: string): void {
    let bs = this.prefixes.get(prefix);
    if (bs === undefined) this.prefixes.set(prefix, (bs = { clients: new Set(), keys: new Map() }));
    if (!bs.clients.has(c)) {
      bs.clients.add(c);
      (c.trackingPrefixes ??= new Set()).add(prefix);
    }
  }

  /** CLIENT TRACKING OFF, RESET, disconnect. Keys it read stay in the table until they change. */
  disable(c: Client): void {
    if (c.trackingBcast && c.trackingPrefixes !== null) {
      for (const p of c.trackingPrefixes) {
        const bs = this.prefixes.get(p);
        if (bs === undefined) continue;
        bs.clients.delete(c);
        if (bs.clients.size === 0) this.prefixes.delete(p);
      }
      c.trackingPrefixes = null;
    }
    if (c.tracking) {
      this.clients--;
      c.tracking = false;
      c.trackingBrokenRedir = false;
      c.trackingBcast = false;
      c.trackingOptin = false;
      c.trackingOptout = false;
      c.trackingCaching = false;
      c.trackingNoloop = false;
    }
  }

  /**
   * The first prefix among `prefixes` (or already registered for `c`) that
   * overlaps another (one is a prefix of the other), as an error text; null when none.
   */
  prefixCollision(c: Client, prefixes: readonly string[]): string | null {
    const overlaps = (a: string, b: string): boolean => (a.length <= b.length ? b.startsWith(a) : a.startsWith(b));
    for (let i = 0; i < prefixes.length; i++) {
      const p = prefixes[i]!;
      if (c.trackingPrefixes !== null) {
        for (const q of [...c.trackingPrefixes].sort()) {
          if (overlaps(q, p)) {
            return Err.trackingPrefixOverlapsExisting(p, q);
          }
        }
      }
      for (let j = i + 1; j < prefixes.length; j++) {
        if (overlaps(p, prefixes[j]!)) {
          return Err.trackingPrefixOverlapsProvided(p, prefixes[j]!);
        }
      }
    }
    return null;
  }

  /**
   * After a read-only command run for tracking client `c` (default mode;
   * `c` is the client whose top-level command runs: the caller of a script
   * or of EXEC): remembers the command's keys, unless OPTIN without CACHING
   * YES or OPTOUT with CACHING NO. EVAL_RO, EVALSHA_RO and FCALL_RO are
   * read-only but their keys are not remembered, only those of the commands
   * the script runs (Redis 7.2). Called by the dispatcher's call().
   */
  remember(c: Client, cmd: CommandSpec, argv: readonly string[]): void {
    if ((c.trackingOptin && !c.trackingCaching) || (c.trackingOptout && c.trackingCaching)) return;
    if (cmd.flags.includes('pubsub')) return; // shard channels are "keys" only for cluster routing
    if (cmd.name === 'eval_ro' || cmd.name === 'evalsha_ro' || cmd.name === 'fcall_ro') return;
    const positions = keysOf(cmd, argv);
    for (const pos of positions) {
      const key = argv[pos]!;
      let ids = this.table.get(key);
      if (ids === undefined) this.table.set(key, (ids = new Set()));
      if (!ids.has(c.id)) {
        ids.add(c.id);
        this.totalItems++;
      }
    }
  }

  /** Whether modified() has anything to do (the keyspace hook checks this first). */
  get active(): boolean {
    return this.table.size !== 0 || this.prefixes.size !== 0;
  }

  /**
   * A key changed (server hooks.modified; `byServer`: it expired, so no
   * client changed it): invalidates it for the clients that read it, and
   * collects it for matching BCAST prefixes. The client a NOLOOP client
   * compares itself with is the one whose top-level command runs; a BCAST
   * key is attributed to the client that ran the command that changed it
   * (a script's pseudo client for a script's change, as in Redis).
   */
  modified(key: string, byServer: boolean): void {
    if (this.flushing) return;
    const server = this.server;
    this.invalidate(key, true, byServer ? null : server.current, server.executing, server.executing !== null);
  }

  /**
   * Redis's trackingInvalidateKey: with `bcast`, records `key` as changed by
   * `actor` for matching BCAST prefixes; then sends each client in the
   * table for `key` an invalidation (skipping those gone, off or in BCAST
   * mode, and a NOLOOP `current`) and forgets the key. With `queue`, the
   * message for `current` waits in `pending` for the end of its command.
   */
  private invalidate(key: string, bcast: boolean, actor: Client | null, current: Client | null, queue: boolean): void {
    if (bcast && this.prefixes.size !== 0) {
      for (const [prefix, bs] of this.prefixes) {
        if (!key.startsWith(prefix)) continue;
        bs.keys.set(key, actor);
        this.bcastPending = true;
        for (const c of bs.clients) this.server.beforeSleep.queue(c);
      }
    }
    const ids = this.table.get(key);
    if (ids === undefined) return;
    for (const id of ids) {
      const target = this.server.clients.get(id);
      // keys read before a switch to BCAST mode send nothing
      if (target === undefined || !target.tracking || target.trackingBcast) continue;
      if (target === current) {
        if (target.trackingNoloop) continue;
        if (queue) {
          this.pending.push(key);
          continue;
        }
      }
      this.send(target, '*1\r\n$' + key.length + '\r\n' + key + '\r\n');
    }
    this.totalItems -= ids.size;
    this.table.delete(key);
  }

  /**
   * After the top-level command of `c` (the dispatcher's call(), a served
   * blocked client): sends the invalidations queued for it, after its reply
   * (Redis's trackingHandlePendingKeyInvalidations in afterCommand).
   */
  flushPending(c: Client): void {
    const keys = this.pending;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      this.send(
        c,
        key === null ? (c.resp === 3 ? '_\r\n' : '$-1\r\n') : '*1\r\n$' + key.length + '\r\n' + key + '\r\n',
      );
    }
    keys.length = 0;
  }

  /**
   * Runs `fn` (FLUSHDB, FLUSHALL, or the emptying of every database before
   * DEBUG RELOAD / LOADAOF) without per-key invalidations, then sends every
   * tracking client a null key list (the running client's after its reply)
   * and empties the table. Returns what fn returned.
   */
  flush<T>(fn: () => T): T {
    this.flushing = true;
    let r: T;
    try {
      r = fn();
    } finally {
      this.flushing = false;
    }
    if (this.clients !== 0) {
      const current = this.server.executing;
      for (const c of this.server.clients.values()) {
        if (!c.tracking) continue;
        if (c === current) this.pending.push(null);
        else this.send(c, c.resp === 3 ? '_\r\n' : '$-1\r\n');
      }
    }
    this.table.clear();
    this.totalItems = 0;
    return r;
  }

  /**
   * Keeps the table within tracking-table-max-keys: drops keys, first
   * remembered first, each with an invalidation as if it changed (not for
   * BCAST), until under the limit or 100 × (rounds + 1) keys are gone.
   * `current`: the client about to run a command (its NOLOOP applies; its
   * messages go before that command's reply), or null from the cron.
   * Called by the dispatcher before a command and by serverCron while some
   * client tracks (Redis's trackingLimitUsedSlots).
   */
  limitUsedSlots(current: Client | null): void {
    const max = this.maxKeys;
    if (max === 0) return;
    if (this.table.size <= max) {
      this.limitRounds = 0;
      return;
    }
    let effort = 100 * (this.limitRounds + 1);
    // (deleting the entry just visited does not disturb a Map iterator)
    for (const key of this.table.keys()) {
      if (effort-- <= 0) break;
      this.invalidate(key, false, null, current, false);
      if (this.table.size <= max) {
        this.limitRounds = 0;
        return;
      }
    }
    this.limitRounds++;
  }

  /**
   * beforeSleep: one invalidation per BCAST prefix with changed keys to
   * each of its clients (keys in byte order; a NOLOOP client does not get
   * the keys it changed itself). Called by the server's flush.
   */
  broadcast(): void {
    this.bcastPending = false;
    // prefixes in byte order, as Redis walks its prefix table
    for (const prefix of [...this.prefixes.keys()].sort()) {
      const bs = this.prefixes.get(prefix)!;
      if (bs.keys.size === 0) continue;
      const keys = [...bs.keys.keys()].sort();
      const all = encodeKeys(keys);
      for (const c of bs.clients) {
        if (c.trackingNoloop) {
          const mine = keys.filter((k) => bs.keys.get(k) !== c);
          if (mine.length === 0) continue;
          this.send(c, mine.length === keys.length ? all : encodeKeys(mine));
        } else this.send(c, all);
      }
      bs.keys.clear();
    }
  }

  /**
   * Sends one invalidation for tracking client `c` (`payload`: the encoded
   * key array or null), to it or to its redirect target. A vanished target
   * marks the redirect broken (and tells a RESP3 client); a RESP2 client
   * gets invalidations only through a redirect to a subscribed client.
   */
  private send(c: Client, payload: string): void {
    const pubsub = this.server.pubsub;
    let to = c;
    let redirected = false;
    if (c.trackingRedirect !== 0) {
      const r = this.server.clients.get(c.trackingRedirect);
      if (r === undefined) {
        c.trackingBrokenRedir = true;
        if (c.resp === 3) {
          const w = pubsub.target(c);
          w.push(2);
          w.bulk('tracking-redir-broken');
          w.int(c.trackingRedirect);
          pubsub.delivered(c);
        }
        return;
      }
      to = r;
      redirected = true;
    }
    const w = pubsub.target(to);
    if (to.resp === 3) {
      w.push(2);
      w.bulk('invalidate');
    } else if (redirected && to.subscriptions > 0) {
      w.push(3);
      w.bulk('message');
      w.bulk('__redis__:invalidate');
    } else return;
    w.raw(payload);
    pubsub.delivered(to);
  }
}

function encodeKeys(keys: readonly string[]): string {
  let s = '*' + keys.length + '\r\n';
  for (const k of keys) s += '$' + k.length + '\r\n' + k + '\r\n';
  return s;
}
