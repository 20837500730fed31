/**
 * The server: owns the configuration, the databases, the command table and
 * the clients, accepts connections and runs the cron. One thread owns all the
 * data; Node's event loop is the epoll loop.
 *
 * Request path: socket 'data' → parser → dispatch() (the one gatekeeper) →
 * handler → keyspace API. Replies accumulate per client and are written in
 * flush(), once per event-loop turn (setImmediate runs after the poll phase has
 * delivered every read), so a batch of pipelined commands — and of clients —
 * gets one write each. Durability work (AOF append + fsync) will sit in flush()
 * before the writes, so nothing is acknowledged before it is durable.
 */
import { performance } from 'node:perf_hooks';
import net from 'node:net';
import fs from 'node:fs';
import { EventEmitter } from 'node:events';
import { Config } from '../config/config.js';
import { Db, type KeyspaceHooks } from '../keyspace/db.js';
import { CommandTable } from '../commands/registry.js';
import { ALL_COMMANDS } from '../commands/index.js';
import { Client, type ClientSocket } from './client.js';
import { RespParser, ProtocolError, type ParserLimits } from '../protocol/parser.js';
import { dispatch } from './dispatcher.js';
import { adoptSocket, handleFd, isLoopback } from './socket.js';
import { BusyRelay, type ListenerFd, type RelaySocket } from './busy-relay.js';
import { Logger } from '../util/log.js';
import { Stats } from '../observability/stats.js';
import { activeExpireCycle } from '../keyspace/expire.js';
import { Eviction } from '../keyspace/evict.js';
import { ClientEviction } from './client-eviction.js';
import { touchedMeta, newMeta, isLfuPolicy } from '../keyspace/access.js';
import { Slowlog } from '../observability/slowlog.js';
import { strerror } from '../config/file.js';
import { refreshHeapGauge } from './heap.js';
import { IdleReclaim } from './reclaim.js';
import { OOM_MASTER, OomScoreAdj } from './oom.js';
import { Blocking } from './blocking.js';
import { ClientPause } from './pause.js';
import { Monitors } from './monitor.js';
import { LatencyMonitor } from '../observability/latencymonitor.js';
import { PubSub } from './pubsub.js';
import { Tracking } from './tracking.js';
import { clientType, clientInfoLine, outputBufferMemory, resizeReplyBuffer } from '../observability/clientlist.js';
import { Watches, discardTransaction } from './multi.js';
import { Aof, loadAof, loadInSlices, UNKNOWN_COMMAND, type AofReplayer } from '../persistence/aof.js';
import { attachPersistence } from '../persistence/bgsave.js';
import { ListLimits } from '../types/list.js';
import { openFilesLimit, RESERVED_FDS } from './fdlimit.js';
import { TsdisError } from '../protocol/errors.js';
import type { MigrateLink } from '../util/migrate-link.js';
import { MemoryAccounting, noteClient, notePeak, refreshScripts } from '../observability/memory.js';
import { scriptingInfo } from '../scripting/info.js';
import { vmHeapBytes } from '../scripting/lua.js';
import { LazyFree } from '../keyspace/lazyfree.js';
import { Propagator } from './propagate.js';

/** appendfsync always: how long a flush waits for answered clients' next commands (group commit). */
const GATHER_MS = 0.5;
/**
 * Above this many unsent bytes a client's input is paused until the socket
 * drains (Redis never pauses: it buffers without bound unless
 * client-output-buffer-limit says otherwise). 16 MB leaves room for what
 * tools expect to see buffered (Redis's client-eviction test fills 10 MB).
 */
const READ_PAUSE_BYTES = 16 * 1024 * 1024;
/** The per-command output limit check's filter: smaller unsent replies wait for writeOut's check. */
const OBUF_CHECK_BYTES = 16 * 1024;
/**
 * A client that must authenticate and has not is closed once its unsent
 * output passes this: Redis's fix for CVE-2025-21605 (redis/redis#13993)
 * allows such a client 1 KB of reply list beyond its 16 KB reply buffer, and
 * the list grows 16 KB at a time. Measured on redis-server 7.0.15 as packaged
 * here: 481 NOAUTH replies (16,354 bytes) in one batch are sent, 482 close
 * the connection with nothing sent.
 */
const UNAUTH_OUTPUT_LIMIT = 16 * 1024;
/** serveWhileBusy's read buffer (the sockets' shared one may hold the running script's own input). */
const busyReadBuf = Buffer.allocUnsafe(16 * 1024);

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
  /** used_memory's parts that are not the keyspace's (observability/memory.ts); made first, so `startup` is the process before the server's own data. */
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
  readonly startTime: number;
  /** Time frozen for the command being run (Redis's cached mstime). */
  cachedNow = 0;
  lastSave: number;
  /** The client whose command is running (for hooks that need it). */
  current: Client | null = null;
  /** The client whose top-level command is running (the caller of an EVAL or EXEC), or null. */
  executing: Client | null = null;
  private nextClientId = 1;
  private netServers: net.Server[] = [];
  private flushList: Client[] = [];
  /** appendfsync always: clients answered by the last flush that have sent nothing since (group commit). */
  private awaited = 0;
  private awaitedList: Client[] = [];
  private gatherSince = 0;
  private flushScheduled = false;
  private cron: NodeJS.Timeout | null = null;
  private cronLoops = 0;
  /** Where the clients cron goes on at its next tick (clientsCron). */
  private clientsCronAt: IterableIterator<Client> = new Map<number, Client>().values();
  activeExpireEnabled = true;
  /**
   * Switches for Redis's own tests, set by DEBUG (commands/debug.ts):
   * skip the DUMP/RDB checksum check, pause serverCron, sleep (µs) before
   * each AOF write, let scripts call `noscript` commands, the reply buffer's
   * peak reset period (-1: never) and resizing (DEBUG REPLYBUFFER).
   */
  readonly debugFlags = { skipChecksumValidation: false, pauseCron: false, aofFlushSleepUs: 0, allowDenyScripts: false, replyBufferPeakResetMs: 5000, replyBufferResizing: true };
  readonly hooks: KeyspaceHooks;
  /** list-max-listpack-size as the list code reads it, shared by this server's dbs (Db.lists). */
  readonly listLimits = new ListLimits();
  /** Set by SHUTDOWN and signals; close() resolves it. */
  closing = false;
  /** Why an embedded server stopped itself (fatal()), else null. */
  fatalReason: string | null = null;
  /**
   * A SIGTERM/SIGINT received (set by the CLI's handler): the next serverCron
   * emits 'signalShutdown' with it, as Redis's shutdown_asap; SHUTDOWN ABORT
   * clears it before then.
   */
  shutdownAsap: 'SIGTERM' | 'SIGINT' | null = null;
  /** True while the dataset is being loaded (persistence/snapshot.ts): commands without the `loading` flag get -LOADING. */
  loading = false;
  /**
   * Set while a script runs past busy-reply-threshold (scripting/scripts.ts):
   * the dispatcher refuses commands without `allow_busy` with this error.
   */
  busyScript: { error: string } | null = null;
  /** Accepts and relays new connections while a script is busy (server/busy-relay.ts). */
  private readonly busyRelay: BusyRelay = new BusyRelay(this);
  /** Clients blocked on keys (BLPOP & co.). */
  readonly blocking: Blocking = new Blocking(this);
  /** CLIENT PAUSE state and the clients it holds (server/pause.ts). */
  readonly pause: ClientPause = new ClientPause(this);
  /** MONITOR clients (server/monitor.ts). */
  readonly monitors: Monitors = new Monitors(this);
  /** LATENCY events (observability/latencymonitor.ts). */
  readonly latency = new LatencyMonitor();
  /** Pub/sub subscriptions and keyspace notifications. */
  readonly pubsub: PubSub = new PubSub(this);
  /** Client side caching (CLIENT TRACKING). */
  readonly tracking: Tracking = new Tracking(this);
  /** WATCHed keys (MULTI/EXEC). */
  readonly watches = new Watches();
  /** MIGRATE's worker thread and its cached target connections, from the first MIGRATE on (commands/migrate.ts). */
  migrateLink: MigrateLink | null = null;
  /** The one propagation stream and the dirty counter (server/propagate.ts); the AOF is its sink. */
  readonly propagator: Propagator = new Propagator(this);
  /**
   * The append-only file (persistence/aof.ts): its state (off, on,
   * wait-rewrite), manifest, rewrites and stats, whether appendonly is on or not.
   */
  readonly aof: Aof = new Aof(this);
  /** maxmemory: key eviction and the OOM state (keyspace/evict.ts). */
  readonly evict: Eviction;
  /** maxmemory-clients: client eviction (server/client-eviction.ts). */
  readonly clientEviction: ClientEviction = new ClientEviction(this);
  /** A full collection when idle after freeing a lot, for the CLI's server (server/reclaim.ts). */
  readonly reclaim: IdleReclaim = new IdleReclaim(this);
  /**
   * The dispatcher's memory gate runs (client eviction, key eviction, OOM
   * refusals): maxmemory or maxmemory-clients is set, or the V8 heap is
   * near its limit. One field read per command otherwise (refreshMemoryGate).
   */
  memoryGate = false;
  private persistenceStarted = false;

  constructor(opts: ServerOptions = {}) {
    super();
    this.clock = opts.clock ?? Date.now;
    this.defaultClock = opts.clock === undefined;
    this.random = opts.random ?? Math.random;
    this.startTime = this.clock();
    this.lastSave = Math.floor(this.startTime / 1000);
    for (const [k, v] of Object.entries(opts.config ?? {})) {
      this.config.set(k, typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v), true);
    }
    opts.configure?.(this.config);
    this.log = new Logger(this.config, opts.log);
    this.evict = new Eviction(this, opts.usedMemory ?? null);
    this.commands.register(ALL_COMMANDS);
    this.propagator.register(this.aof);
    const server = this;
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
      expirePaused: () => server.pause.mode !== 0,
      loading: () => server.loading,
      expired: (db, key) => {
        server.stats.expiredKeys++;
        // replicated as an explicit deletion (Redis's propagateDeletion)
        if (server.propagator.active) server.propagator.propagate(db.id, [server.config.v['lazyfree-lazy-expire'] ? 'UNLINK' : 'DEL', key]);
      },
      fieldExpired: (db, key, field) => {
        server.stats.expiredSubkeys++;
        // replicated as an explicit deletion (Redis 7.4's propagateHashFieldDeletion)
        if (server.propagator.active) server.propagator.propagate(db.id, ['HDEL', key, field]);
      },
      touch: () => !(server.current?.noTouch ?? false),
      accessMeta: (old) => {
        const h = server.hot;
        return touchedMeta(old, server.cachedNow || server.clock(), h.lfu, h.lfuLogFactor, h.lfuDecayTime, server.random);
      },
      newMeta: () => newMeta(server.cachedNow || server.clock(), server.hot.lfu),
      lfu: () => server.hot.lfu,
      dirty: (n) => server.propagator.dirtied(n),
      released: (v, mode) => {
        const cfg = server.config.v;
        const lazy =
          mode === 'unlink' ||
          (mode === 'user' ? cfg['lazyfree-lazy-user-del'] : mode === 'server' ? cfg['lazyfree-lazy-server-del'] : mode === 'expire' ? cfg['lazyfree-lazy-expire'] : cfg['lazyfree-lazy-eviction']);
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
    const n = this.config.v['databases'] as number;
    for (let i = 0; i < n; i++) this.dbs.push(new Db(i, this.hooks, this.listLimits));
    this.config.onChange = (name) => this.applyConfig(name);
    this.config.check = (name) => {
      if (name === 'maxclients') return this.checkMaxclients();
      if (name === 'oom-score-adj' || name === 'oom-score-adj-values') return this.applyOomScoreAdj();
      return null;
    };
    this.refreshHot();
    this.evict.configure(null);
    this.clientEviction.configure();
    this.refreshMemoryGate();
    attachPersistence(this); // save points (persistence/snapshot.ts)
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
  };

  /** The protocol limits every client's parser reads (one object, kept current by refreshHot). */
  readonly parserLimits: ParserLimits = { maxBulkLen: 0, queryBufferLimit: 0 };

  private refreshHot(): void {
    const v = this.config.v;
    this.parserLimits.maxBulkLen = v['proto-max-bulk-len'] as number;
    this.parserLimits.queryBufferLimit = v['client-query-buffer-limit'] as number;
    this.hot.latencyTracking = v['latency-tracking'] !== false;
    this.hot.slowlogSlowerThan = Number(v['slowlog-log-slower-than']);
    this.hot.latencyMonitorThreshold = Number(v['latency-monitor-threshold']) || 0;
    this.hot.lfu = isLfuPolicy(String(v['maxmemory-policy']));
    this.hot.lfuLogFactor = Number(v['lfu-log-factor']);
    this.hot.lfuDecayTime = Number(v['lfu-decay-time']);
    this.hot.stopWritesOnBgsaveError = !!v['stop-writes-on-bgsave-error'];
    this.hot.minReplicasGate = v['min-replicas-to-write'] !== 0 && v['min-replicas-max-lag'] !== 0;
    // the list encoding conversions of this server's dbs read it
    this.listLimits.set(Number(v['list-max-listpack-size'] ?? -2));
  }

  /**
   * The command clock. Each command needs its start time (its frozen "now"
   * in ms) and its duration. Reading a clock costs ~45 ns here, a tenth of a
   * pipelined GET, so one performance.now() reading serves both: the end of
   * one command is the start of the next in the same batch (`mark`), and wall
   * time is derived from it with an offset re-synchronised with the wall clock
   * every cron tick. With an injected clock, that clock is used as is.
   */
  mark = -1;
  private wallOffset = Date.now() - performance.now();
  private readonly defaultClock: boolean;

  /** The wall time in ms for a performance.now() reading. */
  wallAt(perfNow: number): number {
    return this.defaultClock ? Math.floor(this.wallOffset + perfNow) : this.clock();
  }

  /**
   * Applies the run-time effect of a changed parameter. Returns an error
   * text when it cannot (CONFIG SET then fails and restores every value).
   */
  private applyConfig(name: string): string | null {
    this.refreshHot();
    if (name === 'client-output-buffer-limit') this.obufCache.clear();
    if (MEMORY_PARAMS.has(name)) {
      this.evict.configure(name);
      this.clientEviction.configure();
      this.refreshMemoryGate();
    }
    let err: string | null = null;
    if (name === 'appendonly' && this.persistenceStarted) {
      // Redis's updateAppendonly (inside MULTI the rewrite waits for the transaction's end)
      const on = !!this.config.v['appendonly'];
      if (!on && this.aof.state !== 'off') this.aof.stop();
      else if (on && this.aof.state === 'off' && !this.aof.start(this.current?.inExec ?? false)) err = 'Unable to turn on AOF. Check server logs.';
    }
    // aof-disable-auto-gc no: the history files kept meanwhile go now
    if (name === 'aof-disable-auto-gc' && this.persistenceStarted && !this.config.v['aof-disable-auto-gc']) this.aof.delHistoryFiles();
    if (name === 'hz' && this.cron) this.startCron();
    // port/bind: listen again (once for a CONFIG SET of both: every value is stored before
    // the first onChange); CONFIG SET awaits the outcome
    if ((name === 'port' || name === 'bind') && this.listening && this.rebinding === null) {
      this.rebinding = this.rebindTcp()
        .then(
          () => null,
          (e: Error) => {
            this.log.warning(`Failed to listen after changing ${name}: ${e.message}; the previous listeners were restored`);
            return e;
          },
        )
        .finally(() => (this.rebinding = null));
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
   * Starts listening on the configured bind addresses and unixsocket. As in
   * Redis, `port 0` means no TCP listener — unless `ephemeralPort` is set (the
   * embedding API), in which case the OS picks a free port.
   */
  async listen(opts: { ephemeralPort?: boolean } = {}): Promise<void> {
    // as redis-server does before listening: maxclients within the open-files limit
    const maxclients = this.config.v['maxclients'] as number;
    this.config.v['maxclients'] = this.maxclientsThatFit(maxclients);
    if (!this.persistenceStarted) this.startPersistence();
    const unix = String(this.config.v['unixsocket']);
    try {
      await this.listenTcp(!!opts.ephemeralPort);
      if (unix) {
        // a stale socket file from an earlier run would make listen fail
        try {
          if (fs.statSync(unix).isSocket()) fs.unlinkSync(unix);
        } catch {
          /* absent */
        }
        await this.listenOne({ path: unix });
        const perm = Number(this.config.v['unixsocketperm']);
        if (perm) fs.chmodSync(unix, perm);
      }
    } catch (e) {
      // don't leave half the listeners open
      const open = this.netServers;
      this.netServers = [];
      await Promise.all(open.map((l) => new Promise<void>((r) => l.close(() => r()))));
      throw e;
    }
    this.listening = true;
    this.startCron();
    this.applyOomScoreAdj();
  }

  /** The OOM killer's score for this process (server/oom.ts). */
  private oomScore: OomScoreAdj | null = null;

  /** Sets the process's oom_score_adj from the config; Redis's error text when /proc refuses. */
  private applyOomScoreAdj(): string | null {
    const v = this.config.v;
    // (a replica's class, OOM_REPLICA, comes with replication)
    this.oomScore ??= new OomScoreAdj(this.log);
    const ok = this.oomScore.apply(String(v['oom-score-adj']), String(v['oom-score-adj-values']), OOM_MASTER);
    return ok ? null : 'Failed to set current oom_score_adj. Check server logs.';
  }

  /** Set once listen() succeeded: port/bind changes then re-listen (rebindTcp), as in Redis. */
  private listening = false;
  /** The re-listen a port/bind change started: resolves to its error, or null. */
  rebinding: Promise<Error | null> | null = null;

  /**
   * Redis's adjustOpenFilesLimit: the largest maxclients up to `requested`
   * whose clients and 32 reserved descriptors fit the open-files limit
   * (server/fdlimit.ts), logging Redis's three warnings when that is less
   * than `requested`. Throws a TsdisError (EFDLIMIT) when the limit leaves
   * no room at all. Called by listen() and CONFIG SET maxclients.
   */
  private maxclientsThatFit(requested: number): number {
    const limit = openFilesLimit();
    const need = requested + RESERVED_FDS;
    if (limit === null || limit >= need) return requested;
    if (limit <= RESERVED_FDS) {
      throw new TsdisError('EFDLIMIT', `Your current 'ulimit -n' of ${limit} is not enough for the server to start. Please increase your open file limit to at least ${need}. Exiting.`);
    }
    const fit = limit - RESERVED_FDS;
    this.log.warning(`You requested maxclients of ${requested} requiring at least ${need} max file descriptors.`);
    // (Redis tries setrlimit here; Node already raised the soft limit to the hard one and cannot go higher)
    this.log.warning(`Server can't set maximum open files to ${need}: it is above the hard limit.`);
    this.log.warning(`Current maximum open files is ${limit}. maxclients has been reduced to ${fit} to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.`);
    return fit;
  }

  /** CONFIG SET maxclients (Config.check): Redis's error when the new value does not fit the open-files limit. */
  private checkMaxclients(): string | null {
    const fit = this.maxclientsThatFit(this.config.v['maxclients'] as number);
    if (fit === this.config.v['maxclients']) return null;
    this.log.warning('Failed applying new configuration. Possibly related to new maxclients setting. Restoring previous settings.');
    return `The operating system is not able to handle the specified number of clients, try with ${fit}`;
  }

  /**
   * Opens a TCP listener for every `bind` address on `port` (all on one
   * port). With `ephemeral` and port 0 the OS picks the port, which is then
   * recorded as the `port` parameter (so CONFIG GET port and INFO show it).
   */
  private async listenTcp(ephemeral: boolean): Promise<void> {
    const port = this.config.v['port'] as number;
    const binds = String(this.config.v['bind']).split(/\s+/).filter(Boolean);
    {
      if (port !== 0 || ephemeral) {
        // bind every address; "-" prefix means optional (skipped when the
        // address is not available here, but not when it is in use)
        let boundPort = port;
        for (const b of binds) {
          const optional = b.startsWith('-');
          let host = optional ? b.slice(1) : b;
          if (host === '*') host = '0.0.0.0';
          else if (host === '::*') host = '::';
          try {
            // IPv6 sockets are IPv6-only, as in Redis, so `* ::*` can share a port
            const srv = await this.listenOne({ port: boundPort, host, ipv6Only: host.includes(':') });
            boundPort = (srv.address() as net.AddressInfo).port;
          } catch (e) {
            // logged as the bind text has it (`*`, `::*`), even when skipped
            const code = (e as NodeJS.ErrnoException).code ?? '';
            this.log.warning(`Warning: Could not create server TCP listening socket ${optional ? b.slice(1) : b}:${boundPort}: bind: ${strerror(e)}`);
            if ((optional && code === 'EADDRNOTAVAIL') || NO_FAMILY_ERRORS.has(code)) continue;
            throw e;
          }
        }
        if (port === 0 && boundPort !== 0) this.config.v['port'] = boundPort;
      }
    }
  }

  /**
   * Re-listens after `port` or `bind` changed at run time: closes the TCP
   * listeners (connected clients stay), opens the new ones, and on failure
   * reopens the previous addresses and rejects. The unix socket is untouched.
   */
  async rebindTcp(): Promise<void> {
    const isTcp = (l: net.Server) => typeof l.address() === 'object' && l.address() !== null;
    const old = this.netServers.filter(isTcp);
    const prev = old.map((l) => l.address() as net.AddressInfo);
    this.netServers = this.netServers.filter((l) => !isTcp(l));
    const keep = this.netServers.length;
    // (close()'s callback waits for every connection to end: don't wait for it;
    // the listening socket itself is released at once)
    for (const l of old) l.close();
    await new Promise((r) => setImmediate(r));
    try {
      await this.listenTcp(false);
    } catch (e) {
      const opened = this.netServers.splice(keep);
      await Promise.all(opened.map((l) => new Promise<void>((r) => l.close(() => r()))));
      for (const a of prev) await this.listenOne({ port: a.port, host: a.address, ipv6Only: a.family === 'IPv6' }).catch(() => {});
      throw e;
    }
  }

  /** Listens on one address; used for each bind address and the unix socket. */
  private listenOne(opts: net.ListenOptions): Promise<net.Server> {
    return new Promise((resolve, reject) => {
      // pauseOnConnect: accept() moves each connection into a fast-read socket (socket.ts).
      const srv = net.createServer({ noDelay: true, pauseOnConnect: true }, (sock) => this.accept(sock, opts.path));
      srv.maxConnections = Number.MAX_SAFE_INTEGER;
      const onErr = (e: Error) => reject(e);
      srv.once('error', onErr);
      srv.listen({ ...opts, backlog: this.config.v['tcp-backlog'] as number, exclusive: true }, () => {
        srv.off('error', onErr);
        srv.on('error', (e) => this.log.warning((e as NodeJS.ErrnoException).syscall === 'accept' ? `Accepting client connection: accept: ${strerror(e)}` : `Listener error: ${e.message}`));
        this.netServers.push(srv);
        resolve(srv);
      });
    });
  }

  /** The TCP addresses being listened on. */
  addresses(): net.AddressInfo[] {
    return this.netServers.map((l) => l.address()).filter((a): a is net.AddressInfo => typeof a === 'object' && a !== null);
  }

  /** Creates a client for an accepted socket and wires its events. */
  private accept(accepted: net.Socket, unixPath: string | undefined): void {
    const unix = unixPath !== undefined;
    const refused = this.refusal(accepted.remoteAddress, unix);
    if (refused !== null) {
      refuse(accepted, refused);
      return;
    }
    let client: Client | undefined;
    const sock = adoptSocket(accepted, (chunk) => this.onData(client!, chunk));
    sock.setNoDelay(true);
    const ka = this.config.v['tcp-keepalive'] as number;
    if (ka > 0 && !unix) sock.setKeepAlive(true, ka * 1000);
    client = this.newClient(sock, unix ? 'unix' : 'tcp', unixPath);
    this.log.verbose(unix ? `Accepted connection to ${unixPath}` : `Accepted ${client.addr}`);
    this.wireSocket(client, sock);
    this.emit('client', client);
  }

  /**
   * Counts a new connection and says why it is refused (the maxclients
   * error, or protected mode's for a non-loopback peer), or null.
   */
  private refusal(remoteAddress: string | undefined, unix: boolean): string | null {
    this.stats.totalConnections++;
    const maxClients = this.config.v['maxclients'] as number;
    if (this.clients.size >= maxClients) {
      this.stats.rejectedConnections++;
      return '-ERR max number of clients reached\r\n';
    }
    if (!unix && this.deniedByProtectedMode(remoteAddress)) {
      this.stats.rejectedConnections++;
      return PROTECTED_MODE_ERROR;
    }
    return null;
  }

  /** Frees the client when its peer ends or its socket closes; resumes reading when a paused client's replies have drained. */
  private wireSocket(client: Client, sock: ClientSocket): void {
    sock.on('error', () => this.freeClient(client));
    sock.on('end', () => this.peerEnded(client));
    sock.on('close', () => {
      if (!client.closed) this.log.verbose(`Client closed connection id=${client.id} addr=${client.addr}`);
      this.freeClient(client);
    });
    sock.on('drain', () => {
      // draining replies counts as activity for the idle timeout (Redis updates it on writes)
      client.lastInteraction = this.clock();
      if (this.clientEviction.limit !== 0 && !client.closed) this.clientEviction.update(client);
      if (client.readPaused && !client.closed) {
        // the client caught up: read again and run what is already buffered
        client.readPaused = false;
        sock.resume();
        this.processInput(client);
      }
    });
  }

  /**
   * A connection the busy-script acceptor accepted (busy-relay.ts): a client
   * as accept() makes one, its bytes arriving through `sock`. Null when it is
   * refused (the refusal is written and the connection closed).
   */
  acceptRelayed(sock: RelaySocket, unixPath: string | undefined): Client | null {
    const unix = unixPath !== undefined;
    const refused = this.refusal(sock.remoteAddress, unix);
    if (refused !== null) {
      sock.write(refused);
      sock.destroySoon();
      return null;
    }
    const client = this.newClient(sock, unix ? 'unix' : 'tcp', unixPath);
    sock.onChunk = (chunk) => this.onData(client, chunk);
    this.log.verbose(unix ? `Accepted connection to ${unixPath}` : `Accepted ${client.addr}`);
    this.wireSocket(client, sock);
    this.emit('client', client);
    return client;
  }

  /**
   * A relayed client's real socket, handed back by the acceptor (already
   * reading into the client: busy-relay.ts): it becomes the client's socket.
   */
  useSocket(client: Client, sock: net.Socket): void {
    sock.setNoDelay(true);
    const ka = this.config.v['tcp-keepalive'] as number;
    if (ka > 0 && client.kind === 'tcp') sock.setKeepAlive(true, ka * 1000);
    client.socket = sock;
    this.wireSocket(client, sock);
  }

  /** The listening sockets' descriptors, for the busy-script acceptor. */
  listenerFds(): ListenerFd[] {
    const out: ListenerFd[] = [];
    for (const l of this.netServers) {
      const fd = handleFd(l);
      const a = l.address();
      if (fd >= 0) out.push({ fd, unixPath: typeof a === 'string' ? a : undefined });
    }
    return out;
  }

  /**
   * The peer ended its side of the connection (EOF). Redis frees such a
   * client at once: a blocked one must never be served again (its FIN, a
   * reconnected worker's new wait and the next push can arrive in one turn,
   * before the socket's 'close'). Replies it was already given are still
   * written; Node ends our side after them.
   */
  private peerEnded(c: Client): void {
    if (c.closed) return;
    this.log.verbose(`Client closed connection id=${c.id} addr=${c.addr}`);
    c.closeAfterReply = true;
    if (c.reply.out.length !== 0) this.queueFlush(c);
    else this.freeClient(c);
  }

  /**
   * Finishes a command whose outcome needs the event loop (CONFIG SET port:
   * a listen). The client is held like a blocked one (its later commands
   * wait in its parser) until `work` (which must not reject) resolves;
   * `finish` then writes its reply and the client resumes. Other clients
   * are served meanwhile.
   */
  holdUntil<T>(client: Client, work: Promise<T>, finish: (outcome: T) => void): void {
    client.blocked = true;
    void work.then((outcome) => {
      client.blocked = false;
      if (client.closed) return;
      finish(outcome);
      this.processInput(client);
    });
  }

  /** Protected mode: no password, and a connection from a non-loopback address. */
  private deniedByProtectedMode(remoteAddress: string | undefined): boolean {
    if (!this.config.v['protected-mode']) return false;
    if (this.config.v['requirepass']) return false;
    return !isLoopback(remoteAddress ?? '');
  }

  /** A new client (socketless for in-process callers). */
  newClient(sock: ClientSocket | null, kind: 'tcp' | 'unix' | 'internal', unixPath?: string): Client {
    const parser = new RespParser(this.parserLimits);
    const authed = !this.config.v['requirepass'];
    const c = new Client(this.nextClientId++, sock, this.dbs[0]!, parser, authed, this.clock(), kind, unixPath);
    parser.authenticated = authed;
    c.reply.onError = (code) => this.stats.countError(code);
    if (kind !== 'internal') {
      this.clients.set(c.id, c);
      noteClient(this, c);
    }
    return c;
  }

  /** RESET: a client back to a fresh connection's state (db 0, RESP2, no name, auth per requirepass). */
  resetClient(c: Client): void {
    c.db = this.dbs[0]!;
    c.resp = 2;
    c.name = '';
    c.noTouch = false;
    c.noEvict = false;
    c.replyOff = false;
    c.replySkipNext = false;
    c.user = 'default';
    c.authenticated = !this.config.v['requirepass'];
    discardTransaction(c, this.watches);
    this.emit('resetClient', c);
  }

  /** Parses and runs every complete command in what was read, then queues the flush. */
  private onData(client: Client, chunk: Buffer): void {
    if (client.closed || client.closeAfterReply) return;
    if (client.awaited) {
      client.awaited = false;
      this.awaited--;
    }
    this.stats.netInputBytes += chunk.length;
    if (this.stats.netInputBytes >= this.evict.nextHeapCheck) this.evict.checkHeapAfterInput();
    client.lastInteraction = this.clock();
    const parser = client.parser;
    const err = parser.feed(chunk);
    if (err) return this.protocolError(client, err);
    // a growing query buffer counts for client eviction (a command still arriving)
    if (this.clientEviction.limit !== 0) {
      this.clientEviction.update(client);
      if (this.clientEviction.over) {
        this.clientEviction.evict();
        if (client.closed) return;
      }
    }
    // while paused for a slow reader, input just waits in the parser
    if (!client.readPaused) this.processInput(client);
    // the chunk's memory is reused by the next read: keep only copies
    parser.release();
  }

  /**
   * Serves the other connections while a script runs past
   * busy-reply-threshold: called from the script's tick
   * (scripting/scripts.ts), when the event loop cannot run. Reads what each
   * connection (but `except`, the script's caller, as Redis protects it)
   * has sent straight from its descriptor without blocking, runs the
   * complete commands as a 'data' event would (the dispatcher's busy gate
   * lets only `allow_busy` ones through) and writes the replies at once.
   * A partial command stays in the client's parser for later.
   */
  serveWhileBusy(except: Client | null): void {
    // connections accepted since the script started, through the acceptor process
    this.busyRelay.poll(except);
    for (const c of [...this.clients.values()]) {
      if (c === except || c.closed || c.closeAfterReply || c.readPaused || c.socket === null) continue;
      // (a relayed client has no descriptor here: the relay serves it)
      const fd = handleFd(c.socket);
      if (fd < 0) continue;
      for (;;) {
        let n = 0;
        try {
          n = fs.readSync(fd, busyReadBuf, 0, busyReadBuf.length, null);
        } catch {
          break; // EAGAIN: nothing more now (a reset is seen by the event loop later)
        }
        if (n <= 0) break; // end of stream: the event loop sees it later
        this.onData(c, busyReadBuf.subarray(0, n));
        if (n < busyReadBuf.length || c.closed) break;
      }
      if (c.reply.out.length !== 0 || c.closeAfterReply) this.writeOut(c);
    }
  }

  /**
   * A script passed busy-reply-threshold: the dispatcher answers `error` to
   * commands without `allow_busy`, and an acceptor process starts taking new
   * connections (scripting/scripts.ts calls it; endBusy when the script ends).
   */
  beginBusy(error: string): void {
    this.busyScript = { error };
    this.busyRelay.begin();
  }

  /** The busy script ended: normal service, and the relayed connections are taken back. */
  endBusy(): void {
    this.busyScript = null;
    this.busyRelay.end();
  }

  /** Runs commands buffered in the client's parser until none is complete. */
  processInput(client: Client): void {
    const parser = client.parser;
    const start = (this.mark = performance.now());
    for (;;) {
      if (client.closeAfterReply || client.closed || client.readPaused || client.blocked) break;
      const r = parser.next();
      if (r === null) break;
      if (r instanceof ProtocolError) {
        this.mark = -1;
        return this.protocolError(client, r);
      }
      dispatch(this, client, r);
      parser.authenticated = client.authenticated;
      if (!client.authenticated && this.unauthOutputOver(client)) break;
      // A pipeline of big replies: write now, and stop (pausing reads) when the
      // socket is not draining, so memory stays bounded for a client that does not read.
      // Past its output limit, a client runs no more commands (Redis: CLOSE_ASAP).
      const unsent = client.reply.out.length;
      if (unsent > READ_PAUSE_BYTES) this.writeOut(client);
      else if (unsent > OBUF_CHECK_BYTES && this.overHardOutputLimit(client)) this.closeOverOutputLimit(client);
    }
    // the last command's end (call() keeps mark current): this turn's busy time (INFO eventloop_*)
    this.stats.cycleUs += (this.mark - start) * 1000;
    this.mark = -1;
    // its output grew, its query buffer shrank
    if (this.clientEviction.limit !== 0 && !client.closed) this.clientEviction.update(client);
    this.queueFlush(client);
    if (client.kind !== 'internal') noteClient(this, client);
  }

  /**
   * Redis's rule for a client that must authenticate and has not (the fix
   * for CVE-2025-21605): it may not make the server hold more than
   * UNAUTH_OUTPUT_LIMIT bytes of replies for it, so clients that pipeline
   * without authenticating and never read cannot grow the server's memory,
   * and a pipeline of wrong AUTHs ends after ~256 of them. Such a client is
   * closed at once, its replies dropped. Returns true when it was closed.
   * Called by processInput after each command of an unauthenticated client.
   */
  private unauthOutputOver(c: Client): boolean {
    if (c.reply.out.length + (c.socket?.writableLength ?? 0) <= UNAUTH_OUTPUT_LIMIT) return false;
    if (!this.config.v['requirepass']) return false; // no longer required (CONFIG SET requirepass "")
    this.closeOverOutputLimit(c);
    return true;
  }

  private protocolError(client: Client, err: ProtocolError): void {
    if (err.reply) {
      client.reply.error('ERR ' + err.message);
      this.log.verbose(`Protocol error (${err.message}) from client: id=${client.id} addr=${client.addr}`);
    } else {
      this.log.warning(`Closing client that reached max query buffer length: id=${client.id} addr=${client.addr}`);
    }
    client.closeAfterReply = true;
    this.queueFlush(client);
  }

  /**
   * Loads the dataset at start: from the AOF when appendonly is yes (then
   * keeps appending to it). Throws AofLoadError when the AOF cannot be
   * loaded (Redis's lines logged).
   */
  startPersistence(): void {
    this.persistenceStarted = true;
    if (!this.config.v['appendonly'] || this.deferAofLoad) return;
    this.aof.loadManifest();
    const t0 = performance.now();
    const status = loadAof(this.aof, this.aofReplayer());
    this.aofStarted(status, t0);
  }

  /** After the load at start (Redis's loadDataFromDisk tail, aofOpenIfNeededOnServerStart, aofDelHistoryFiles). */
  private aofStarted(status: string, t0: number): void {
    if (status !== 'not-exist') this.log.notice(`DB loaded from append only file: ${((performance.now() - t0) / 1000).toFixed(3)} seconds`);
    this.aof.openOnStart();
    this.aof.delHistoryFiles();
  }

  /** Set by the CLI before listen(): the AOF is then loaded by loadAofAfterListen(), with -LOADING replies. */
  deferAofLoad = false;

  /**
   * The AOF's replayer: Redis's internal AOF client, which no gate refuses
   * (Client.mustObey), whose replies are dropped, and whose first error
   * stops the load (persistence/aof.ts names the file and offset).
   */
  aofReplayer(): AofReplayer {
    const loader = this.newClient(null, 'internal');
    loader.mustObey = true;
    const reply = loader.reply;
    return {
      run: (argv) => {
        if (this.commands.lookupOrOriginal(argv[0]!) === undefined) return UNKNOWN_COMMAND;
        const errors = reply.errors;
        dispatch(this, loader, argv);
        reply.out = '';
        return reply.errors === errors ? null : reply.lastError;
      },
      inMulti: () => loader.multiQueue !== null,
      discard: () => discardTransaction(loader, this.watches),
    };
  }

  /**
   * The CLI's start with appendonly yes: reads the manifest, loads the AOF
   * in slices while the server already listens (clients get -LOADING),
   * then appends to it. Rejects (AofLoadError, logged) when the AOF cannot
   * be loaded.
   */
  async loadAofAfterListen(): Promise<void> {
    if (!this.config.v['appendonly'] || this.aof.state !== 'off') return;
    // clients are refused from here on, while the files are read too
    this.loading = true;
    try {
      this.aof.loadManifest();
      const t0 = performance.now();
      const status = await loadInSlices(this, this.aofReplayer());
      this.aofStarted(status, t0);
    } finally {
      this.loading = false;
    }
  }

  /** Schedules the client's pending output to be written this event-loop turn. */
  queueFlush(client: Client): void {
    if (client.flushQueued) return;
    client.flushQueued = true;
    this.flushList.push(client);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  /** beforeSleep: writes every queued client's replies with one write each. */
  private flush = (): void => {
    this.flushScheduled = false;
    const t0 = performance.now();
    // BCAST invalidations collected this turn (Redis's trackingBroadcastInvalidationMessages)
    if (this.tracking.bcastPending) this.tracking.broadcast();
    // beforeSleep's fast expire cycle (returns at once unless expiry is behind).
    if (this.activeExpireEnabled) activeExpireCycle(this, 0, 'fast');
    if (this.blocking.ready.length !== 0) this.blocking.handleReady();
    const aof = this.aof;
    const on = aof.state !== 'off';
    const always = on && aof.fsyncPolicy === 'always';
    if (always && aof.buf.length !== 0 && this.awaited > 0) {
      // Group commit: clients answered after the last fdatasync are still
      // sending their next command. Wait for them a little (polling the
      // sockets, for at most as long as an fdatasync takes and GATHER_MS),
      // so that one fdatasync covers them all rather than a few each.
      const now = performance.now();
      if (this.gatherSince === 0) this.gatherSince = now;
      if (now - this.gatherSince < Math.min(GATHER_MS, aof.lastSyncMs)) {
        this.flushScheduled = true;
        setImmediate(this.flush);
        return;
      }
    }
    this.gatherSince = 0;
    // The AOF is written (and with appendfsync always, synced) before any reply.
    if (this.propagator.active) {
      const a0 = performance.now();
      this.propagator.flush();
      this.stats.loop.aofSum += (performance.now() - a0) * 1000;
    }
    const list = this.flushList;
    this.flushList = [];
    if (always) {
      for (const c of this.awaitedList) c.awaited = false;
      this.awaitedList = list;
      this.awaited = list.length;
    }
    for (const c of list) {
      c.flushQueued = false;
      if (always) c.awaited = true;
      this.writeOut(c);
    }
    // clients over maxmemory-clients (Redis's beforeSleep evictClients)
    if (this.clientEviction.over) this.clientEviction.evict();
    // a turn that served clients ends here (Redis's beforeSleep)
    this.stats.endCycle((performance.now() - t0) * 1000);
  };

  /**
   * Writes a client's pending replies and enforces its output limits. As in
   * Redis, where replies are checked against client-output-buffer-limit as
   * they are added and written only later, the limit is checked before
   * writing: a client over it gets none of these replies, only closed.
   */
  writeOut(c: Client): void {
    if (this.propagator.pending) this.propagator.flush();
    const sock = c.socket;
    const out = c.reply.out;
    if (out.length > 0) {
      c.reply.out = '';
      if (sock && !c.closed) {
        if (this.outputLimitReached(c, outputBufferMemory(c, out.length))) {
          this.closeOverOutputLimit(c);
          return;
        }
        this.stats.netOutputBytes += out.length;
        if (out.length > c.replyBufPeak) c.replyBufPeak = Math.min(out.length, c.replyBufSize);
        sock.write(out, 'latin1');
      }
    }
    if (!sock || c.closed) return;
    if (this.clientEviction.limit !== 0) this.clientEviction.update(c);
    if (c.closeAfterReply) {
      c.closed = true;
      // not a half-close: a peer still writing (a protocol desync) must get a reset, as from Redis
      sock.destroySoon();
      this.freeClient(c);
      return;
    }
    noteClient(this, c);
    const pending = sock.writableLength;
    if (pending > 0) {
      // Pause above READ_PAUSE_BYTES, or above a configured limit so that the
      // limit, not the pause, decides (as Redis would disconnect such a client).
      if (!c.readPaused && pending > READ_PAUSE_BYTES) {
        const lim = this.outputLimits('normal');
        if (pending > lim.hard && pending > lim.soft) {
          c.readPaused = true;
          sock.pause();
        }
      }
    } else c.softLimitSince = 0;
  }

  /**
   * client-output-buffer-limit for the client's class (pubsub when
   * subscribed, else normal) against `omem` (outputBufferMemory): the hard
   * limit at once, the soft one when exceeded for its seconds (the time it
   * was first exceeded is kept on the client, reset when under it again).
   */
  private outputLimitReached(c: Client, omem: number): boolean {
    const lim = this.outputLimits(clientType(c) === 'pubsub' ? 'pubsub' : 'normal');
    if (lim.hard > 0 && omem >= lim.hard) return true;
    if (lim.soft > 0 && omem >= lim.soft) {
      const now = this.clock();
      if (c.softLimitSince === 0) c.softLimitSince = now;
      else if (now - c.softLimitSince >= lim.seconds * 1000) return true;
    } else c.softLimitSince = 0;
    return false;
  }

  /**
   * Whether a command building a reply of repeated elements should stop:
   * the client is over its hard output limit already (it will be closed and
   * gets none of it). Redis stops such loops for a client closing ASAP.
   */
  overHardOutputLimit(c: Client): boolean {
    const lim = this.outputLimits(clientType(c) === 'pubsub' ? 'pubsub' : 'normal');
    return lim.hard > 0 && outputBufferMemory(c) >= lim.hard;
  }

  /** Closes a client past its output limit, its replies unsent, with Redis's log line. */
  private closeOverOutputLimit(c: Client): void {
    this.log.warning(`Client ${clientInfoLine(this, c)} scheduled to be closed ASAP for overcoming of output buffer limits.`);
    this.stats.clientOutputLimitDisconnections++;
    c.reply.out = '';
    this.killClient(c);
  }

  /** Parses client-output-buffer-limit for one class. */
  outputLimits(cls: string): { hard: number; soft: number; seconds: number } {
    const cached = this.obufCache.get(cls);
    if (cached !== undefined) return cached;
    const lim = this.parseOutputLimits(String(this.config.v['client-output-buffer-limit']), cls);
    this.obufCache.set(cls, lim);
    return lim;
  }
  /** Parsed client-output-buffer-limit per class (read for every reply write; emptied when the parameter changes). */
  private obufCache = new Map<string, { hard: number; soft: number; seconds: number }>();

  /** Reads one class's limits from the canonical `class hard soft seconds ...` text. */
  private parseOutputLimits(text: string, cls: string): { hard: number; soft: number; seconds: number } {
    const parts = text.split(/\s+/);
    for (let i = 0; i + 3 < parts.length; i += 4) {
      if (parts[i] === cls || (cls === 'replica' && parts[i] === 'slave')) {
        return { hard: Number(parts[i + 1]), soft: Number(parts[i + 2]), seconds: Number(parts[i + 3]) };
      }
    }
    return { hard: 0, soft: 0, seconds: 0 };
  }

  /** Closes a client at once, dropping unsent output. */
  killClient(c: Client): void {
    if (c.closed) return;
    c.closed = true;
    c.socket?.destroy();
    this.freeClient(c);
  }

  /** Forgets a client; idempotent. */
  freeClient(c: Client): void {
    c.closed = true;
    if (c.awaited) {
      c.awaited = false;
      this.awaited--;
    }
    if (c.multiQueue !== null || c.watched.length > 0) discardTransaction(c, this.watches);
    if (c.evictMem >= 0) this.clientEviction.forget(c);
    if (this.clients.get(c.id) === c) {
      this.clients.delete(c.id);
      noteClient(this, c); // closed: its bytes leave the total
      this.emit('clientClosed', c);
    }
  }

  /** Runs serverCron at `hz`: active expiry, client timeouts. */
  private startCron(): void {
    if (this.cron) clearInterval(this.cron);
    const hz = Math.max(1, Math.min(500, this.config.v['hz'] as number));
    this.cron = setInterval(() => this.serverCron(), Math.floor(1000 / hz));
    this.cron.unref();
  }

  /** serverCron, measured: its time counts as a cycle of the event loop (INFO eventloop_*, as Redis's timer events). */
  private serverCron(): void {
    const t0 = performance.now();
    this.wallOffset = Date.now() - t0;
    if (this.debugFlags.pauseCron) return;
    this.cronTick();
    const us = (performance.now() - t0) * 1000;
    this.stats.loop.cronSum += us;
    this.stats.endCycle(us);
  }

  /**
   * Moves key-index resizes along for up to 1 ms per tick (Redis's
   * databasesCron incrementallyRehash): a resize otherwise advances only
   * with the writes to its dict (KeyIndex), and an idle one keeps two tables.
   */
  private rehashDbs(): void {
    const end = performance.now() + 1;
    for (const db of this.dbs) {
      for (const d of [db.dict, db.expires]) {
        while (d.rehashStep(16384) !== 0) if (performance.now() >= end) return;
      }
    }
  }

  private cronTick(): void {
    this.cronLoops++;
    if (this.shutdownAsap !== null) {
      const sig = this.shutdownAsap;
      this.shutdownAsap = null;
      this.emit('signalShutdown', sig);
    }
    const hz = Math.max(1, Math.min(500, this.config.v['hz'] as number));
    // instantaneous_* figures: a sample every 100 ms, as Redis's trackInstantaneousMetric
    if (this.cronLoops % Math.max(1, Math.round(hz / 10)) === 0) this.stats.sampleOps(this.clock());
    // the heap gauge the OOM gate reads (heap.ts): at most one tick old
    refreshHeapGauge();
    this.rehashDbs();
    if (this.activeExpireEnabled) activeExpireCycle(this, 1000 / hz);
    // the heap guard (maxmemory 0 or not)
    this.evict.cron();
    // tracking-table-max-keys, also applied when no command comes (Redis's serverCron)
    if (this.tracking.clients !== 0) this.tracking.limitUsedSlots(null);
    // keys the cycle expired may end a wait (XREADGROUP on a stream that is gone)
    if (this.blocking.ready.length !== 0) this.blocking.handleReady();
    // a scheduled AOF rewrite, auto-aof-rewrite-percentage / -min-size
    this.aof.cron();
    this.clientsCron(hz);
    // Client timeouts, checked once per second.
    if (this.cronLoops % hz === 0) {
      // memory figures: every client's buffers (sockets drain between its
      // commands), the script caches, the peak (Redis's clientsCron and
      // cronUpdateMemoryStats)
      for (const c of this.clients.values()) noteClient(this, c);
      const si = scriptingInfo(this);
      refreshScripts(this, si.evalBytes, si.functionsBytes);
      notePeak(this);
      const timeout = (this.config.v['timeout'] as number) * 1000;
      if (timeout > 0) {
        const now = this.clock();
        for (const c of this.clients.values()) {
          if (now - c.lastInteraction > timeout && !c.exempt) {
            this.log.verbose('Closing idle client');
            this.killClient(c);
          }
        }
      }
      // client eviction: every client recounted (Redis's clientsCron)
      this.clientEviction.cron();
      // A client over a soft output limit that gets no more replies (it does
      // not read, the traffic stopped) is closed when its time is up.
      for (const c of this.clients.values()) {
        if (c.softLimitSince !== 0 && c.socket && this.outputLimitReached(c, outputBufferMemory(c))) this.closeOverOutputLimit(c);
      }
    }
    // memory back to the system once idle after a big free (last: it may take a while)
    this.reclaim.cron();
  }

  /**
   * Redis's clientsCron pace: each client about once a second, at least 5
   * per tick (all of them each tick when there are few), continuing where
   * the last tick stopped. Today it sizes reply buffers (rbs/rbp).
   */
  private clientsCron(hz: number): void {
    const n = this.clients.size;
    const now = this.clock();
    for (let k = Math.min(n, Math.max(5, Math.ceil(n / hz))); k > 0; k--) {
      let r = this.clientsCronAt.next();
      if (r.done === true) {
        this.clientsCronAt = this.clients.values();
        r = this.clientsCronAt.next();
        if (r.done === true) return;
      }
      resizeReplyBuffer(this, r.value, now);
    }
  }

  /** Stops listening, closes every client, stops timers. Resolves when all is released. */
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

  async close(): Promise<void> {
    this.closing = true;
    this.listening = false;
    if (this.cron) clearInterval(this.cron);
    this.cron = null;
    this.evict.close();
    this.flush();
    this.aof.close();
    const closes = this.netServers.map((l) => new Promise<void>((r) => l.close(() => r())));
    this.netServers = [];
    // a busy script's acceptor stops listening too, before any client sees its connection end
    this.busyRelay.unlisten();
    for (const c of [...this.clients.values()]) this.killClient(c);
    this.busyRelay.close();
    await Promise.all(closes);
    this.emit('closed');
  }
}

/** Parameters the memory gate reads (Eviction.configure, ClientEviction.configure). */
const MEMORY_PARAMS = new Set(['maxmemory', 'maxmemory-policy', 'maxmemory-samples', 'maxmemory-eviction-tenacity', 'maxmemory-clients', 'lazyfree-lazy-eviction']);

/** Bind errors of an address family the host lacks: that address is skipped (optional or not), as in Redis. */
const NO_FAMILY_ERRORS = new Set(['EAFNOSUPPORT', 'EPROTONOSUPPORT', 'ENOPROTOOPT', 'ESOCKTNOSUPPORT', 'EPFNOSUPPORT']);

/**
 * Turns a connection away as Redis does: the error is written at once (a
 * fresh socket's send buffer takes it whole) and the descriptor closed in
 * the same call. Closing only once the write's callback ran would keep each
 * refused socket's descriptor for a turn of the event loop, and a burst of
 * connections past maxclients would run out of descriptors (EMFILE), which
 * libuv answers by closing connections without a word.
 */
function refuse(sock: net.Socket, text: string): void {
  sock.on('error', () => {});
  sock.end(text, 'latin1');
  sock.destroy();
}

const PROTECTED_MODE_ERROR =
  '-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command \'CONFIG SET protected-mode no\' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to \'no\', and then restarting the server. 3) If you started the server manually just for testing, restart it with the \'--protected-mode no\' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n';
