/**
 * The server: owns the configuration, the databases, the command table and
 * the clients, accepts connections and runs the cron. One thread owns all the
 * data; Node's event loop is the epoll loop.
 *
 * This file is the composition root: it makes the parts and wires them, in
 * one place and in one order. The parts live beside it: the listening
 * sockets (listener.ts), connection I/O and the client lifecycle
 * (connection.ts), the end of an event-loop turn with its group commit
 * (before-sleep.ts), serverCron (cron.ts), starting and loading (boot.ts),
 * the propagation stream (propagate.ts). Subsystems (subsystem.ts) are typed
 * fields listed once in `subsystems`, the order of every hook call.
 *
 * Request path: socket 'data' → parser → dispatch() (the one gatekeeper) →
 * handler → keyspace API → propagator. Replies accumulate per client and are
 * written at the turn's end (BeforeSleep), after what was propagated is
 * written (the AOF, fsynced under appendfsync always).
 */
import process from 'node:process';
import type { ParamName } from '../config/params.js';
import { performance } from 'node:perf_hooks';
import type net from 'node:net';
import { EventEmitter } from 'node:events';
import { Config } from '../config/config.js';
import { Db, type KeyspaceHooks } from '../keyspace/db.js';
import { KeyBatch } from '../keyspace/key-batch.js';
import { CommandTable } from '../commands/registry.js';
import { ALL_COMMANDS } from '../commands/index.js';
import type { Client, ClientSocket } from './client.js';
import type { ParserLimits } from '../protocol/parser.js';
import { Logger } from '../util/log.js';
import { Stats } from '../observability/stats.js';
import { Eviction } from '../keyspace/evict.js';
import { ClientEviction } from './client-eviction.js';
import { OutputLimiter } from './output-limits.js';
import { ActiveExpire } from '../keyspace/expire.js';
import { Scripting } from '../scripting/subsystem.js';
import { MemoryFigures } from '../observability/memory.js';
import { MigrateLinks } from '../util/migrate-link.js';
import { touchedMeta, newMeta, isLfuPolicy } from '../keyspace/access.js';
import { Slowlog } from '../observability/slowlog.js';
import { IdleReclaim } from './reclaim.js';
import { Watchdog } from './watchdog.js';
import { Blocking } from './blocking.js';
import { ClientPause } from './pause.js';
import { VmGate, vmForAof } from '../scripting/vm-gate.js';
import { Monitors } from './monitor.js';
import { LatencyMonitor } from '../observability/latencymonitor.js';
import { PubSub } from './pubsub.js';
import { Tracking } from './tracking.js';
import { Watches } from './multi.js';
import { Aof } from '../persistence/aof.js';
import type { PersistState } from '../persistence/snapshot.js';
import { attachPersistence } from '../persistence/bgsave.js';
import { ListLimits } from '../types/list.js';
import { MemoryAccounting } from '../observability/memory.js';
import { vmHeapBytes } from '../scripting/lua.js';
import { LazyFree } from '../keyspace/lazyfree.js';
import { Propagator } from './propagate.js';
import { Acl } from '../acl/acl.js';
import { Replication } from '../replication/replication.js';
import { Replica } from '../replication/replica.js';
import { Dashboard } from '../http/dashboard.js';
import { Cluster } from '../cluster/cluster.js';
import { HttpListener } from '../http/subsystem.js';
import { Listener } from './listener.js';
import { Connections } from './connection.js';
import { BeforeSleep } from './before-sleep.js';
import { Cron } from './cron.js';
import { Shutdown } from './shutdown.js';
import { startPersistence } from './boot.js';
import { HookLists, type Subsystem } from './subsystem.js';
import type { ServerIds } from '../observability/info.js';
import { DOUBLE_ZERO } from '../util/numbers.js';

export interface ServerOptions {
  /** Config parameters as in redis.conf (`{ port: '0', 'save': '' }`). */
  config?: Record<string, string | number | boolean>;
  /** Injectable clock (ms). */
  clock?: () => number;
  /** Injectable random source in [0, 1). */
  random?: () => number;
  /** Where log lines go; default stdout or the logfile. */
  log?: (line: string) => void;
  /**
   * What maxmemory measures, in bytes: tests drive eviction with it.
   * Default: the server's used_memory accounting.
   */
  usedMemory?: () => number;
  /**
   * Called with the fresh Config after `config` is applied and before anything
   * reads it (databases, logger): the CLI applies redis.conf here. May throw.
   */
  configure?: (config: Config) => void;
}

export class Server extends EventEmitter {
  /** used_memory's parts that are not the keyspace's (observability/memory.ts); made first, so `startup` counts what making the server adds. */
  readonly mem = new MemoryAccounting(vmHeapBytes());
  /** lazyfree_pending_objects / lazyfreed_objects (keyspace/lazyfree.ts). */
  readonly lazyfree = new LazyFree();
  readonly config = new Config();
  readonly commands = new CommandTable();
  dbs: Db[] = [];
  readonly clients = new Map<number, Client>();
  readonly stats = new Stats();
  readonly slowlog = new Slowlog(this.config);
  readonly log: Logger;
  readonly clock: () => number;
  readonly random: () => number;
  readonly startTime: number = DOUBLE_ZERO;
  /** Time frozen for the command being run (Redis's cached mstime). */
  cachedNow = DOUBLE_ZERO;
  lastSave: number = 0;
  /** The client whose command is running (for hooks that need it). */
  current: Client | null = null;
  /** The client whose top-level command is running (the caller of an EVAL or EXEC), or null. */
  executing: Client | null = null;
  /**
   * Switches for Redis's own tests, set by DEBUG (commands/debug.ts):
   * skip the DUMP/RDB checksum check, pause serverCron, sleep (µs) before
   * each AOF write, let scripts call `noscript` commands, the reply buffer's
   * peak reset period (-1: never) and resizing (DEBUG REPLYBUFFER).
   */
  readonly debugFlags = {
    skipChecksumValidation: false,
    pauseCron: false,
    aofFlushSleepUs: 0,
    allowDenyScripts: false,
    replyBufferPeakResetMs: 5000,
    replyBufferResizing: true,
    /** EVAL scripts that jslua compiles run as JavaScript (scripting/jslua/); TSDIS_LUA=wasm runs every script on the WebAssembly VM. */
    jslua: process.env['TSDIS_LUA'] !== 'wasm',
  };
  readonly hooks: KeyspaceHooks;
  /** list-max-listpack-size as the list code reads it, shared by this server's dbs (Db.lists). */
  readonly listLimits = new ListLimits();
  /** The keys of the pipelined commands a connection read ahead (keyspace/key-batch.ts), for every db. */
  readonly keyBatch = new KeyBatch();
  /** Set by SHUTDOWN and signals; close() resolves it. */
  closing = false;
  /** Why an embedded server stopped itself (fatal()), else null. */
  fatalReason: string | null = null;
  /**
   * A SIGTERM/SIGINT received (set by the CLI's handler): the next serverCron
   * starts the shutdown (server/shutdown.ts), as Redis's shutdown_asap; it
   * stays set while that shutdown waits for replicas. SHUTDOWN ABORT clears it.
   */
  shutdownAsap: 'SIGTERM' | 'SIGINT' | null = null;
  /** True while the dataset is being loaded (persistence/snapshot.ts): commands without the `loading` flag get -LOADING. */
  loading = false;
  /**
   * True while a replica receives a full sync's image to swap in when whole
   * (repl-diskless-load swapdb, the same replication id: Redis's
   * async_loading): the old dataset is served meanwhile; commands flagged
   * `no_async_loading` get -LOADING (replication/replica-payload.ts).
   */
  asyncLoading = false;
  /**
   * Set while a script runs past busy-reply-threshold (scripting/scripts.ts):
   * the dispatcher refuses commands without `allow_busy` with this error.
   */
  busyScript: { error: string } | null = null;
  /** The one propagation stream and the dirty counter (server/propagate.ts); the AOF is its sink. */
  readonly propagator: Propagator = new Propagator(this);
  /** BGSAVE, save points and load state (persistence/snapshot.ts, made on first use). */
  snapshot: PersistState | null = null;

  // -------------------------------------------------------------------------
  // The subsystems (server/subsystem.ts). Each is registered by its field,
  // and the order of these fields is the order of every hook call
  // (clientFreed, clientReset, configChanged, cron, beforeSleep,
  // afterReplies, INFO, close): adding one is one line here. The order
  // keeps each hook's effects in the order they had when they were called
  // by hand; the one place where two hooks wanted different orders (active
  // expiry's cron ran before tracking's, its fast cycle after tracking's
  // BCAST flush) now follows Redis's beforeSleep: the fast cycle, then the
  // BCAST invalidations (so keys it expires are broadcast in the same turn).

  /**
   * Every subsystem, in registration order (register(), addSubsystem()):
   * read-only, as the hook lists are built from it.
   */
  get subsystems(): readonly Subsystem[] {
    return this.subsystemList;
  }
  /** Frozen (a push onto `subsystems` throws rather than bypass the hook lists); replaced by addSubsystem. */
  private subsystemList: readonly Subsystem[] = Object.freeze([]);
  /** The hot hooks as lists of bound methods, kept in step with `subsystems` (subsystem.ts HookLists). */
  readonly hookLists = new HookLists();
  /** Active expiry: the slow cycle in the cron, the fast one before sleeping (keyspace/expire.ts); first, as in Redis's serverCron. */
  readonly activeExpire: ActiveExpire = this.register(new ActiveExpire(this));
  /** ACL users, permission checks, the ACL log (acl/acl.ts). */
  readonly acl: Acl = this.register(new Acl(this));
  /** maxmemory: key eviction, the heap guard and the OOM state (keyspace/evict.ts). */
  readonly evict: Eviction = this.register(new Eviction(this));
  /** WATCHed keys and the transactions of freed or RESET clients (MULTI/EXEC: server/multi.ts). */
  readonly watches: Watches = this.register(new Watches());
  /** Client side caching (CLIENT TRACKING). */
  readonly tracking: Tracking = this.register(new Tracking(this));
  /** Clients blocked on keys (BLPOP & co.). */
  readonly blocking: Blocking = this.register(new Blocking(this));
  /**
   * The append-only file (persistence/aof.ts): its state (off, on,
   * wait-rewrite), manifest, rewrites and stats, whether appendonly is on or
   * not; a sink of the propagator.
   */
  readonly aof: Aof = this.register(new Aof(this));
  /** Replication ids, offsets, backlog and stream (replication/): the propagator's second sink. */
  readonly repl: Replication = this.register(new Replication(this));
  /** The replica side: REPLICAOF, the link to the primary, its stream (replication/replica.ts). */
  readonly replica: Replica = this.register(new Replica(this));
  /** Redis Cluster: nodes, slots, the cluster bus and nodes.conf, with cluster-enabled yes (cluster/). */
  readonly cluster: Cluster = this.register(new Cluster(this));
  /** CLIENT PAUSE state and the clients it holds (server/pause.ts). */
  readonly pause: ClientPause = this.register(new ClientPause(this));
  /** Commands waiting for the Lua VM's first load (scripting/vm-gate.ts). */
  readonly vmGate: VmGate = this.register(new VmGate(this));
  /** MONITOR clients (server/monitor.ts). */
  readonly monitors: Monitors = this.register(new Monitors(this));
  /** Pub/sub subscriptions and keyspace notifications. */
  readonly pubsub: PubSub = this.register(new PubSub(this));
  /** Save points: the BGSAVE they start, stopped at close (persistence/snapshot.ts). */
  private readonly savePoints: Subsystem = this.register(attachPersistence(this));
  /** EVAL scripts and FUNCTION libraries, made on first use, and their memory figures (scripting/subsystem.ts). */
  readonly scripting: Scripting = this.register(new Scripting(this));
  /** used_memory's once-a-second figures: clients recounted, the peak (observability/memory.ts). */
  private readonly memFigures: Subsystem = this.register(new MemoryFigures(this));
  /** Connection I/O, clients made, reset and freed, reply buffer sizing and idle timeouts (server/connection.ts). */
  readonly conns: Connections = this.register(new Connections(this));
  /** maxmemory-clients: client eviction (server/client-eviction.ts). */
  readonly clientEviction: ClientEviction = this.register(new ClientEviction(this));
  /** client-output-buffer-limit (server/output-limits.ts). */
  readonly outputLimits: OutputLimiter = this.register(new OutputLimiter(this));
  /** MIGRATE's worker thread and its cached target connections, from the first MIGRATE on (util/migrate-link.ts). */
  readonly migrate: MigrateLinks = this.register(new MigrateLinks());
  /** http-port: /metrics and the dashboard on an HTTP listener of its own (http/). */
  readonly http: HttpListener = this.register(new HttpListener(this));
  /** watchdog-period: a thread that logs when serverCron is late (server/watchdog.ts). */
  readonly watchdog: Watchdog = this.register(new Watchdog(this));
  /** The live dashboard's stream, page and key browser, served by the HTTP listener (http/dashboard.ts): a timer only while a page listens. */
  readonly dashboard: Dashboard = this.register(new Dashboard(this));
  /** A full collection when idle after freeing a lot, for the CLI's server (server/reclaim.ts); last: it may take a while. */
  readonly reclaim: IdleReclaim = this.register(new IdleReclaim(this));

  // -------------------------------------------------------------------------

  /** The listening sockets, maxclients within the open-files limit, oom_score_adj (server/listener.ts). */
  readonly listener: Listener = new Listener(this);
  /** The end of each event-loop turn: AOF then replies, group commit (server/before-sleep.ts). */
  readonly beforeSleep: BeforeSleep = new BeforeSleep(this);
  /** serverCron (server/cron.ts). */
  readonly cron: Cron = new Cron(this);
  /** SHUTDOWN and signals: the wait for lagging replicas, then the save and close (server/shutdown.ts). */
  readonly shutdown: Shutdown = new Shutdown(this);
  /** LATENCY events (observability/latencymonitor.ts). */
  readonly latency = new LatencyMonitor();
  /**
   * The dispatcher's memory gate runs (client eviction, key eviction, OOM
   * refusals): maxmemory or maxmemory-clients is set, or the V8 heap is
   * near its limit. One field read per command otherwise (refreshMemoryGate).
   */
  memoryGate = false;
  /** The dataset was loaded at start (server/boot.ts): appendonly changes then take effect. */
  persistenceStarted = false;
  /** Set before listen() (the CLI: server/boot.ts): the AOF is then loaded after listening, with -LOADING replies. */
  deferAofLoad = false;
  /** run_id (observability/info.ts, made on first use). */
  ids: ServerIds | null = null;

  constructor(opts: ServerOptions = {}) {
    super();
    this.clock = opts.clock ?? Date.now;
    this.defaultClock = opts.clock === undefined;
    this.syncWallClock();
    this.random = opts.random ?? Math.random;
    this.startTime = this.clock();
    this.lastSave = Math.floor(this.startTime / 1000);
    for (const [k, v] of Object.entries(opts.config ?? {})) {
      this.config.set(k, typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v), true);
    }
    opts.configure?.(this.config);
    this.log = new Logger(this.config, opts.log);
    this.evict.gauge = opts.usedMemory ?? null;
    this.commands.register(ALL_COMMANDS);
    this.propagator.register(this.aof);
    this.propagator.register(this.repl);
    const server = this;
    const writableReplica = () => server.repl.following && !server.config.v['replica-read-only'];
    this.hooks = {
      now: () => server.cachedNow || server.clock(),
      modified: (db, key, byServer) => {
        server.watches.touched(db, key);
        if (server.tracking.active) server.tracking.modified(key, byServer === true);
      },
      flushing: (db) => {
        server.watches.flushing(db);
        server.blocking.flushed(db);
      },
      notify: (cls, event, key, dbid) => server.pubsub.notify(cls, event, key, dbid),
      // a replica never deletes expired keys itself (the primary's DELs do): they read as missing
      expirePaused: () => server.pause.mode !== 0 || server.repl.following,
      // ... and under the primary's own commands they are still there (Redis's expireIfNeeded on a replica)
      loading: () => server.loading || (server.executing?.masterLink ?? false),
      replica: () => server.repl.following,
      writableReplica,
      // a writable replica remembers the keys its own clients (not its primary) give a TTL,
      // to expire them itself (Redis's setExpire / rememberSlaveKeyWithExpire)
      ttlSet: (db, key) => {
        if (!writableReplica()) return;
        const c = server.executing;
        if (c !== null && !c.masterLink) server.activeExpire.replicaKeys.remember(db.id, key);
      },
      expired: (db, key) => {
        server.stats.expiredKeys++;
        // replicated as an explicit deletion (Redis's propagateDeletion)
        if (server.propagator.active)
          server.propagator.propagate(db.id, [server.config.v['lazyfree-lazy-expire'] ? 'UNLINK' : 'DEL', key]);
      },
      fieldExpired: (db, key, field) => {
        server.stats.expiredSubkeys++;
        // replicated as an explicit deletion (Redis 7.4's propagateHashFieldDeletion)
        if (server.propagator.active) server.propagator.propagate(db.id, ['HDEL', key, field]);
      },
      touch: () => !(server.current?.noTouch ?? false),
      accessMeta: (old) => {
        const h = server.hot;
        return touchedMeta(
          old,
          server.cachedNow || server.clock(),
          h.lfu,
          h.lfuLogFactor,
          h.lfuDecayTime,
          server.random,
        );
      },
      newMeta: () => newMeta(server.cachedNow || server.clock(), server.hot.lfu),
      lfu: () => server.hot.lfu,
      dirty: (n) => server.propagator.dirtied(n),
      released: (v, mode) => {
        const cfg = server.config.v;
        const lazy =
          mode === 'unlink' ||
          (mode === 'user'
            ? cfg['lazyfree-lazy-user-del']
            : mode === 'server'
              ? cfg['lazyfree-lazy-server-del']
              : mode === 'expire'
                ? cfg['lazyfree-lazy-expire']
                : cfg['lazyfree-lazy-eviction']);
        server.lazyfree.release(v, !!lazy);
      },
      swapped: (a, b) => {
        server.watches.swapped(a, b);
        server.blocking.swapped(a, b);
      },
      hitOrMiss: (hit) => {
        if (hit) server.stats.keyspaceHits++;
        else server.stats.keyspaceMisses++;
      },
    };
    const n = this.config.v['databases'];
    for (let i = 0; i < n; i++) this.dbs.push(new Db(i, this.hooks, this.listLimits, this.keyBatch));
    this.config.onChange = (name) => this.applyConfig(name);
    this.config.rewriteUsers = () => this.acl.configLines();
    this.config.check = (name) => {
      if (name === 'maxclients') return this.listener.checkMaxclients();
      if (name === 'oom-score-adj' || name === 'oom-score-adj-values') return this.listener.applyOomScoreAdj();
      return null;
    };
    this.refreshHot();
    // the subsystems were made before the start's configuration was applied
    for (const s of this.subsystems) s.configChanged?.(null);
    this.mem.started(vmHeapBytes());
  }

  /** Adds a subsystem to `subsystems` (its field's initializer: the field order is the hook order). */
  private register<T extends Subsystem>(s: T): T {
    this.addSubsystem(s);
    return s;
  }

  /**
   * Adds a subsystem at the end of `subsystems` (or, with `first`, before
   * every other): its hooks are called from then on, in that place of the
   * order. The built-in ones are registered by their fields; an embedder
   * or a test adds its own here.
   */
  addSubsystem(s: Subsystem, at: 'first' | 'last' = 'last'): void {
    const list = this.subsystemList;
    this.subsystemList = Object.freeze(at === 'first' ? [s, ...list] : [...list, s]);
    this.hookLists.rebuild(this.subsystemList);
  }

  /**
   * Redis's iAmMaster(): in cluster mode, myself is a primary (a replica
   * loaded from nodes.conf is none before its cron starts replication);
   * otherwise no REPLICAOF is set. Decides whether keys whose TTL passed are
   * dropped by the load at start and by active expiry, and what the load
   * makes of the file's replication id (persistence/snapshot-load.ts,
   * keyspace/expire.ts, replication/replication.ts).
   */
  iAmMaster(): boolean {
    return this.cluster.enabled ? this.cluster.myself.isMaster : !this.repl.following;
  }

  /** Current time in ms: the cached command time while a command runs. */
  now(): number {
    return this.cachedNow || this.clock();
  }

  /**
   * Config values read for every command, kept as plain fields (the config
   * object is a dictionary; this is measurably cheaper on the hot path).
   */
  readonly hot = {
    latencyTracking: true,
    slowlogSlowerThan: 10000,
    latencyMonitorThreshold: 0,
    lfu: false,
    lfuLogFactor: 10,
    lfuDecayTime: 1,
    /** stop-writes-on-bgsave-error (the dispatcher's MISCONF gate, for every write) */
    stopWritesOnBgsaveError: true,
    /** min-replicas-to-write and min-replicas-max-lag both set (the NOREPLICAS gate) */
    minReplicasGate: false,
    /** active-expire-effort (the fast expire cycle checks it before every sleep) */
    activeExpireEffort: 1,
  };

  /** The protocol limits every client's parser reads (one object, kept current by refreshHot). */
  readonly parserLimits: ParserLimits = { maxBulkLen: 0, queryBufferLimit: 0 };

  private refreshHot(): void {
    const v = this.config.v;
    this.parserLimits.maxBulkLen = v['proto-max-bulk-len'];
    this.parserLimits.queryBufferLimit = v['client-query-buffer-limit'];
    this.hot.latencyTracking = v['latency-tracking'];
    this.hot.slowlogSlowerThan = v['slowlog-log-slower-than'];
    this.hot.latencyMonitorThreshold = v['latency-monitor-threshold'];
    this.hot.lfu = isLfuPolicy(v['maxmemory-policy']);
    this.hot.lfuLogFactor = v['lfu-log-factor'];
    this.hot.lfuDecayTime = v['lfu-decay-time'];
    this.hot.stopWritesOnBgsaveError = v['stop-writes-on-bgsave-error'];
    this.hot.minReplicasGate = v['min-replicas-to-write'] !== 0 && v['min-replicas-max-lag'] !== 0;
    this.hot.activeExpireEffort = v['active-expire-effort'];
    // the list encoding conversions of this server's dbs read it
    this.listLimits.set(v['list-max-listpack-size']);
  }

  /**
   * The command clock. Each command needs its start time (its frozen "now"
   * in ms) and its duration. Reading a clock costs ~45 ns here, a tenth of a
   * pipelined GET, so one performance.now() reading serves both: the end of
   * one command is the start of the next in the same batch (`mark`; -Infinity
   * outside a batch, a double as the readings are: DOUBLE_ZERO), and wall
   * time is derived from it with an offset checked against the wall clock
   * every cron tick. With an injected clock, that clock is used as is.
   */
  mark = -Infinity;
  /** Wall time minus performance.now(), to a fraction of a ms (the process's start, then syncWallClock). */
  private wallOffset = performance.timeOrigin;
  private readonly defaultClock: boolean;

  /** The wall time in ms for a performance.now() reading. */
  wallAt(perfNow: number): number {
    return this.defaultClock ? Math.floor(this.wallOffset + perfNow) : this.clock();
  }

  /**
   * Keeps wallAt on the wall clock (each serverCron tick). Date.now() is
   * whole ms, so one reading between two performance.now() readings puts the
   * offset in [d - p2, d + 1 - p1]: the offset is moved into that window by
   * the least amount, and stays as precise as it was while the clock agrees.
   * (Setting it to d - p, as before, left command times up to 1 ms behind
   * the wall clock: a PTTL right after `PXAT now+10000` read 10001.)
   */
  syncWallClock(): void {
    const p1 = performance.now();
    const d = Date.now();
    const p2 = performance.now();
    if (this.wallOffset < d - p2) this.wallOffset = d - p2;
    else if (this.wallOffset > d + 1 - p1) this.wallOffset = d + 1 - p1;
  }

  /**
   * Applies the run-time effect of a changed parameter. Returns an error
   * text when it cannot (CONFIG SET then fails and restores every value).
   */
  private applyConfig(name: ParamName): string | null {
    this.refreshHot();
    if (name === 'hz' && this.cron.running) this.cron.start();
    // port/bind: listen again; CONFIG SET awaits the outcome (Listener.rebinding)
    if (name === 'port' || name === 'bind') this.listener.rebindLater(name);
    let err: string | null = null;
    // tls-*: TLS reconfigured (a bad certificate keeps the old context and fails the CONFIG SET)
    if (name.startsWith('tls-')) err = this.listener.tlsChanged(name);
    // every hook runs; the first error is CONFIG SET's
    for (const s of this.subsystems) {
      const e = s.configChanged?.(name);
      if (typeof e === 'string' && err === null) err = e;
    }
    this.emit('config', name);
    return err;
  }

  /** Recomputes memoryGate (config changes, the heap guard's cron). */
  refreshMemoryGate(): void {
    this.memoryGate = this.evict.maxmemory !== 0 || this.evict.heapNear || this.clientEviction.limit !== 0;
    if (!this.memoryGate) this.evict.preCommandOom = false;
  }

  /**
   * Starts listening on the configured bind addresses and unixsocket, after
   * the load at start (server/boot.ts; the AOF's unless deferAofLoad), then
   * runs the cron. As in Redis, `port 0` means no TCP listener, unless
   * `ephemeralPort` is set (the embedding API): then the OS picks a free port.
   */
  async listen(opts: { ephemeralPort?: boolean } = {}): Promise<void> {
    // as redis-server does before listening: maxclients within the open-files limit
    this.config.adjust('maxclients', this.listener.maxclientsThatFit(this.config.v['maxclients']));
    if (!this.persistenceStarted) {
      // the AOF's FUNCTION LOADs need the Lua VM, and its loader passes no gate that would wait for it
      if (this.config.v['appendonly'] && !this.deferAofLoad) await vmForAof(this);
      startPersistence(this);
    }
    await this.listener.open(!!opts.ephemeralPort);
    try {
      for (const s of this.subsystems) await s.listen?.();
    } catch (e) {
      // (a subsystem's listener failed: the start fails with nothing left open)
      await this.listener.close();
      throw e;
    }
    this.cron.start();
    this.listener.applyOomScoreAdj();
  }

  /** The TCP addresses being listened on. */
  addresses(): net.AddressInfo[] {
    return this.listener.addresses();
  }

  /** The TLS addresses being listened on (tls-port). */
  tlsAddresses(): net.AddressInfo[] {
    return this.listener.tlsAddresses();
  }

  /** A new client (socketless for in-process callers: createServer().call(), scripts, the AOF loader). */
  newClient(sock: ClientSocket | null, kind: 'tcp' | 'unix' | 'internal', unixPath?: string): Client {
    return this.conns.newClient(sock, kind, unixPath);
  }

  /** Closes a client at once, dropping unsent output. */
  killClient(c: Client): void {
    this.conns.killClient(c);
  }

  /**
   * A condition Redis exits on (an AOF write failed under appendfsync
   * always: acknowledged writes can no longer be kept). A host listening
   * for 'fatal' decides (the CLI exits 1, serve.ts); an embedded server
   * without one stops serving instead of ending its host process: every
   * client is dropped unanswered, the reason is kept in `fatalReason`, and
   * the server closes (then 'closed').
   */
  fatal(reason: string): void {
    if (this.listenerCount('fatal') > 0) {
      this.emit('fatal', reason);
      return;
    }
    if (this.closing) return;
    this.fatalReason = reason;
    for (const c of [...this.clients.values()]) this.killClient(c);
    void this.close();
  }

  /**
   * Stops listening, closes every client, stops timers (every subsystem's
   * close hook, in order, after the last replies and AOF writes). Resolves
   * when all is released, then emits 'closed'.
   */
  async close(): Promise<void> {
    this.closing = true;
    this.cron.stop();
    this.beforeSleep.run();
    for (const s of this.subsystems) s.close?.();
    const closed = this.listener.close();
    // a busy script's acceptor stops listening too, before any client sees its connection end
    const relay = this.conns.busyRelay;
    relay.unlisten();
    for (const c of [...this.clients.values()]) this.killClient(c);
    relay.close();
    await closed;
    this.emit('closed');
  }
}
