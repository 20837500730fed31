/**
 * Per-connection state. A Client without a socket is an in-process caller
 * (createServer().call()) or a script/AOF-loading pseudo client.
 */
import { Reply } from '../protocol/writer.js';
import { RespParser } from '../protocol/parser.js';
import type { Db } from '../keyspace/db.js';
import type { CommandSpec } from '../commands/spec.js';
import type { Queued, WatchEntry } from './multi.js';
import type { User } from '../acl/user.js';
import type { ReplicaLink } from '../replication/link.js';
import type { DirectWriter } from './socket.js';
import { PROPAGATE_ALL } from './propagate.js';
import { DOUBLE_ZERO } from '../util/numbers.js';

/**
 * What the server uses of a client's connection: a net.Socket, or, for a
 * connection accepted while a script was busy, a RelaySocket whose bytes
 * travel through the acceptor process until the real socket is handed back
 * (server/busy-relay.ts).
 */
export interface ClientSocket {
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
  /** True for a TLS connection (tls.TLSSocket's property): its descriptor carries encrypted bytes. */
  readonly encrypted?: boolean;
  /** Bytes written and not yet sent. */
  readonly writableLength: number;
  write(data: string, encoding: 'latin1'): boolean;
  /**
   * Closes for good once what was written is sent (Redis's close(2) after
   * the reply): a peer that keeps writing then gets a reset.
   */
  destroySoon(): void;
  /** Closes at once. */
  destroy(): void;
  pause(): void;
  resume(): void;
  on(event: 'end' | 'close' | 'error' | 'drain', listener: () => void): unknown;
}

export class Client {
  readonly reply: Reply;
  readonly parser: RespParser;
  db: Db;
  name = '';
  libName = '';
  libVer = '';
  authenticated: boolean;
  /** The ACL user the connection runs as (acl/acl.ts): the default user until AUTH or HELLO AUTH. */
  user: User;
  readonly createdAt: number = DOUBLE_ZERO;
  lastInteraction: number = DOUBLE_ZERO;
  /** The dispatcher's one-entry command lookup cache (name as sent, its spec). */
  cmdCacheName = '';
  cmdCacheSpec: CommandSpec | undefined = undefined;
  /** The last command run ("NULL" before any), for CLIENT LIST cmd=. */
  lastCmd = 'NULL';
  /** Close once pending replies are written (QUIT, protocol error, CLIENT KILL). */
  closeAfterReply = false;
  /** Already closed or closing: ignore further input. */
  closed = false;
  /** Don't update key access times (CLIENT NO-TOUCH). */
  noTouch = false;
  /** Excluded from client eviction (CLIENT NO-EVICT). */
  noEvict = false;
  /** CLIENT REPLY OFF: replies are dropped until CLIENT REPLY ON. */
  replyOff = false;
  /** CLIENT REPLY SKIP: the reply of the command being run is dropped. */
  replySkip = false;
  /** CLIENT REPLY SKIP ran while skipping: skip the following command too. */
  replySkipNext = false;
  /** The bytes last counted for this client in used_memory (observability/memory.ts noteClient). */
  memRec = 0;
  /** Queued in the server's flush list. */
  flushQueued = false;
  /**
   * Redis's per-client reply buffer, as CLIENT LIST reports it (rbs, rbp):
   * its size, the most reply bytes it held at once since the peak was last
   * reset, and when that was (ms). The clients cron resizes it by Redis's
   * rules (observability/clientlist.ts); replies are not kept in it.
   */
  replyBufSize = 16 * 1024;
  replyBufPeak = 0;
  replyBufPeakAt = DOUBLE_ZERO;
  /** When the output buffer first went over the soft limit (ms), or 0. */
  softLimitSince = DOUBLE_ZERO;
  /** appendfsync always: answered by the last flush and silent since (BeforeSleep's group commit). */
  awaited = false;
  /** Reading is paused because the output buffer is large. */
  readPaused = false;
  /** Blocked in BLPOP & co. (server/blocking.ts): its later commands wait. */
  blocked = false;
  /** Pub/sub subscriptions (server/pubsub.ts); null until the first one. */
  channels: Set<string> | null = null;
  patterns: Set<string> | null = null;
  shardChannels: Set<string> | null = null;
  /** Client side caching (server/tracking.ts): CLIENT TRACKING state. */
  tracking = false;
  trackingBcast = false;
  /** The client id invalidations are redirected to (0: none). */
  trackingRedirect = 0;
  trackingOptin = false;
  trackingOptout = false;
  trackingNoloop = false;
  /** CLIENT CACHING YES (OPTIN) / NO (OPTOUT) given for the next command. */
  trackingCaching = false;
  /** The redirect target is gone (flag R). */
  trackingBrokenRedir = false;
  /** BCAST prefixes; null when not in BCAST mode. */
  trackingPrefixes: Set<string> | null = null;
  /** Commands queued since MULTI; null outside MULTI (server/multi.ts). */
  multiQueue: Queued[] | null = null;
  /** The queued commands' argument bytes plus 8 per argument (CLIENT LIST multi-mem; reset by MULTI). */
  multiMem = 0;
  /** Memory last counted for client eviction (server/client-eviction.ts); -1 when not counted. */
  evictMem = -1;
  /** A command was refused while queueing: EXEC replies EXECABORT. */
  multiError = false;
  /** A WATCHed key changed: EXEC replies a null array. */
  dirtyCas = false;
  /** Keys this client WATCHes. */
  watched: WatchEntry[] = [];
  /** Running the commands of EXEC: blocking commands reply at once instead of blocking. */
  inExec = false;
  /** In MONITOR mode (server/monitor.ts): receives every command run; never paused. */
  monitor = false;
  /**
   * Obeyed without gates (Redis's mustObeyClient): the AOF loader's pseudo
   * client, and later the primary's replication link. The dispatcher still
   * looks the command up and checks its arity; no auth, ACL, OOM, pause,
   * read-only or cluster gate refuses what it sends.
   */
  mustObey = false;
  /**
   * A MONITOR or a replica (Redis's CLIENT_SLAVE): the dispatcher refuses it
   * the keyspace with one field read. Kept by monitor.ts and replication/primary.ts.
   */
  slave = false;
  /** A replica attached to this server (PSYNC/SYNC: replication/primary.ts), else null. */
  replica: ReplicaLink | null = null;
  /** master_repl_offset after its last command that propagated something (WAIT waits for it; Redis's woff). */
  woff = 0;
  /** The primary's link on a replica (Redis's CLIENT_MASTER: replication/replica-stream.ts): flag M, type master, keys never expire under it. */
  masterLink = false;
  /** The pseudo client Lua scripts run their commands as (scripting/scripts.ts); MONITOR shows it as `lua`. */
  luaScript = false;
  /**
   * Where its commands' effects propagate (server/propagate.ts PROPAGATE_*):
   * all but for the scripts' client after a redis.set_repl (Redis's repl_flags).
   */
  replTarget = PROPAGATE_ALL;
  /** SCRIPT DEBUG: 0 no, 1 YES, 2 SYNC (scripting/ldb.ts): its EVALs run under the Lua debugger. */
  luaDebug = 0;
  readonly addr: string;
  readonly laddr: string;
  /** 'tcp' | 'unix' | 'internal' */
  readonly kind: 'tcp' | 'unix' | 'internal';
  // (the cluster's fields last: the hot fields above keep their places in the object)
  /** Cluster mode (cluster/): ASKING given for the next command (Redis's CLIENT_ASKING). */
  asking = false;
  /** Cluster mode: READONLY given (reads from a replica of the slot's primary are served). */
  clusterReadonly = false;
  /** Cluster mode: the hash slot of the running command's keys, -1 when none (scripts' undeclared-key check). */
  slot = -1;
  /**
   * Writes replies through the socket's handle (server/socket.ts), for a
   * connection the listener accepted; null: through socket.write.
   */
  direct: DirectWriter | null = null;

  constructor(
    readonly id: number,
    /** Replaced once, when a relayed connection's real socket is handed back (Connections.useSocket). */
    public socket: ClientSocket | null,
    db: Db,
    parser: RespParser,
    authenticated: boolean,
    user: User,
    now: number,
    kind: 'tcp' | 'unix' | 'internal',
    /** The listening socket's path, for a unix socket client (its addr is `path:0`, as in Redis). */
    unixPath?: string,
  ) {
    this.db = db;
    this.parser = parser;
    this.authenticated = authenticated;
    this.user = user;
    this.reply = new Reply(2);
    this.createdAt = now;
    this.lastInteraction = now;
    this.kind = kind;
    // (an internal client given a socket: the HTTP listener's, describing a request in the ACL LOG)
    if (socket && kind !== 'unix') {
      this.addr = fmtAddr(socket.remoteAddress, socket.remotePort);
      this.laddr = fmtAddr(socket.localAddress, socket.localPort);
    } else if (kind === 'unix') {
      this.addr = `${unixPath ?? ''}:0`;
      this.laddr = this.addr;
    } else {
      this.addr = '';
      this.laddr = '';
    }
  }

  /**
   * Bytes handed to the socket and not sent yet: what its stream holds and
   * what a write through its handle left to libuv (DirectWriter.pending).
   * CLIENT LIST omem, output limits, client eviction and used_memory count it.
   */
  get socketUnsent(): number {
    return (this.socket?.writableLength ?? 0) + (this.direct?.pending ?? 0);
  }

  /** Subscribed channels, patterns and shard channels together (pub/sub mode when > 0). */
  get subscriptions(): number {
    return (this.channels?.size ?? 0) + (this.patterns?.size ?? 0) + (this.shardChannels?.size ?? 0);
  }

  /**
   * Exempt from the idle timeout, as in Redis's clientsCronHandleTimeout:
   * blocked (and postponed) clients, pub/sub subscribers, monitors (Redis
   * flags them as replicas), replicas, and clients it must obey (the AOF loader, a
   * primary's link).
   */
  get exempt(): boolean {
    return this.blocked || this.subscriptions > 0 || this.monitor || this.mustObey || this.replica !== null;
  }

  get resp(): 2 | 3 {
    return this.reply.resp;
  }
  set resp(v: 2 | 3) {
    this.reply.resp = v;
  }
}

/** An address as Redis prints it: `ip:port`, IPv6 in brackets (`[::1]:port`). */
function fmtAddr(host: string | undefined, port: number | undefined): string {
  let h = host ?? '?';
  if (h.startsWith('::ffff:')) h = h.slice(7);
  return h.includes(':') ? `[${h}]:${port ?? 0}` : `${h}:${port ?? 0}`;
}
