/**
 * The listening sockets: TCP on every `bind` address (one port for all) and
 * the unix socket, as redis-server opens them, re-opened when `port` or
 * `bind` change at run time. An accepted connection is checked (maxclients,
 * protected mode), turned into a fast-read socket (server/socket.ts) and
 * handed to the connections (server/connection.ts). Also here: what bounds
 * accepting at the process level, maxclients within the open-files limit
 * and oom_score_adj.
 */
import net from 'node:net';
import fs from 'node:fs';
import type { Client } from './client.js';
import type { Server } from './server.js';
import { adoptSocket, handleFd, isLoopback } from './socket.js';
import type { ListenerFd } from './busy-relay.js';
import { strerror } from '../config/file.js';
import { OOM_MASTER, OomScoreAdj } from './oom.js';
import { openFilesLimit, RESERVED_FDS } from './fdlimit.js';
import { Err, TsdisError } from '../protocol/errors.js';

export class Listener {
  private netServers: net.Server[] = [];
  /** Set once open() succeeded: port/bind changes then re-listen (rebind), as in Redis. */
  listening = false;
  /** The re-listen a port/bind change started: resolves to its error, or null. */
  rebinding: Promise<Error | null> | null = null;
  /** The OOM killer's score for this process (server/oom.ts). */
  private oomScore: OomScoreAdj | null = null;

  constructor(private readonly server: Server) {}

  /**
   * Opens the configured bind addresses and unixsocket (Server.listen calls
   * it). As in Redis, `port 0` means no TCP listener, unless `ephemeral`
   * (the embedding API): then the OS picks a free port. On failure nothing
   * is left open and the error is thrown.
   */
  async open(ephemeral: boolean): Promise<void> {
    const v = this.server.config.v;
    const unix = v['unixsocket'];
    try {
      await this.listenTcp(ephemeral);
      if (unix) {
        // a stale socket file from an earlier run would make listen fail
        try {
          if (fs.statSync(unix).isSocket()) fs.unlinkSync(unix);
        } catch {
          /* absent */
        }
        await this.listenOne({ path: unix });
        const perm = v['unixsocketperm'];
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
  }

  /** Stops listening (Server.close); resolves when every listener is closed. */
  close(): Promise<void> {
    this.listening = false;
    const closes = this.netServers.map((l) => new Promise<void>((r) => l.close(() => r())));
    this.netServers = [];
    return Promise.all(closes).then(() => {});
  }

  /** Sets the process's oom_score_adj from the config; Redis's error text when /proc refuses. */
  applyOomScoreAdj(): string | null {
    const v = this.server.config.v;
    // (a replica's class, OOM_REPLICA, comes with replication)
    this.oomScore ??= new OomScoreAdj(this.server.log);
    const ok = this.oomScore.apply(v['oom-score-adj'], v['oom-score-adj-values'], OOM_MASTER);
    return ok ? null : 'Failed to set current oom_score_adj. Check server logs.';
  }

  /**
   * Redis's adjustOpenFilesLimit: the largest maxclients up to `requested`
   * whose clients and 32 reserved descriptors fit the open-files limit
   * (server/fdlimit.ts), logging Redis's three warnings when that is less
   * than `requested`. Throws a TsdisError (EFDLIMIT) when the limit leaves
   * no room at all. Called by listen() and CONFIG SET maxclients.
   */
  maxclientsThatFit(requested: number): number {
    const log = this.server.log;
    const limit = openFilesLimit();
    const need = requested + RESERVED_FDS;
    if (limit === null || limit >= need) return requested;
    if (limit <= RESERVED_FDS) {
      throw new TsdisError(
        'EFDLIMIT',
        `Your current 'ulimit -n' of ${limit} is not enough for the server to start. Please increase your open file limit to at least ${need}. Exiting.`,
      );
    }
    const fit = limit - RESERVED_FDS;
    log.warning(`You requested maxclients of ${requested} requiring at least ${need} max file descriptors.`);
    // (Redis tries setrlimit here; Node already raised the soft limit to the hard one and cannot go higher)
    log.warning(`Server can't set maximum open files to ${need}: it is above the hard limit.`);
    log.warning(
      `Current maximum open files is ${limit}. maxclients has been reduced to ${fit} to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.`,
    );
    return fit;
  }

  /** CONFIG SET maxclients (Config.check): Redis's error when the new value does not fit the open-files limit. */
  checkMaxclients(): string | null {
    const v = this.server.config.v;
    const fit = this.maxclientsThatFit(v['maxclients']);
    if (fit === v['maxclients']) return null;
    this.server.log.warning(
      'Failed applying new configuration. Possibly related to new maxclients setting. Restoring previous settings.',
    );
    return `The operating system is not able to handle the specified number of clients, try with ${fit}`;
  }

  /**
   * Opens a TCP listener for every `bind` address on `port` (all on one
   * port). With `ephemeral` and port 0 the OS picks the port, which is then
   * recorded as the `port` parameter (so CONFIG GET port and INFO show it).
   */
  private async listenTcp(ephemeral: boolean): Promise<void> {
    const v = this.server.config.v;
    const port = v['port'];
    const binds = v['bind'].split(/\s+/).filter(Boolean);
    if (port === 0 && !ephemeral) return;
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
        this.server.log.warning(
          `Warning: Could not create server TCP listening socket ${optional ? b.slice(1) : b}:${boundPort}: bind: ${strerror(e)}`,
        );
        if ((optional && code === 'EADDRNOTAVAIL') || NO_FAMILY_ERRORS.has(code)) continue;
        throw e;
      }
    }
    if (port === 0 && boundPort !== 0) this.server.config.adjust('port', boundPort);
  }

  /**
   * `port` or `bind` changed (Server's config hook): listen again, once for
   * a CONFIG SET of both (every value is stored before the first change is
   * applied); CONFIG SET awaits `rebinding`'s outcome.
   */
  rebindLater(name: string): void {
    if (!this.listening || this.rebinding !== null) return;
    this.rebinding = this.rebindTcp()
      .then(
        () => null,
        (e: Error) => {
          this.server.log.warning(
            `Failed to listen after changing ${name}: ${e.message}; the previous listeners were restored`,
          );
          return e;
        },
      )
      .finally(() => (this.rebinding = null));
  }

  /**
   * Re-listens after `port` or `bind` changed at run time: closes the TCP
   * listeners (connected clients stay), opens the new ones, and on failure
   * reopens the previous addresses and rejects. The unix socket is untouched.
   */
  private async rebindTcp(): Promise<void> {
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
      for (const a of prev)
        await this.listenOne({ port: a.port, host: a.address, ipv6Only: a.family === 'IPv6' }).catch(() => {});
      throw e;
    }
  }

  /** Listens on one address; used for each bind address and the unix socket. */
  private listenOne(opts: net.ListenOptions): Promise<net.Server> {
    const server = this.server;
    return new Promise((resolve, reject) => {
      // pauseOnConnect: accept() moves each connection into a fast-read socket (socket.ts).
      const srv = net.createServer({ noDelay: true, pauseOnConnect: true }, (sock) => this.accept(sock, opts.path));
      srv.maxConnections = Number.MAX_SAFE_INTEGER;
      const onErr = (e: Error) => reject(e);
      srv.once('error', onErr);
      srv.listen({ ...opts, backlog: server.config.v['tcp-backlog'], exclusive: true }, () => {
        srv.off('error', onErr);
        srv.on('error', (e) =>
          server.log.warning(
            (e as NodeJS.ErrnoException).syscall === 'accept'
              ? `Accepting client connection: accept: ${strerror(e)}`
              : `Listener error: ${e.message}`,
          ),
        );
        this.netServers.push(srv);
        resolve(srv);
      });
    });
  }

  /** The TCP addresses being listened on. */
  addresses(): net.AddressInfo[] {
    return this.netServers
      .map((l) => l.address())
      .filter((a): a is net.AddressInfo => typeof a === 'object' && a !== null);
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

  /** Creates a client for an accepted socket (server/connection.ts wires its events). */
  private accept(accepted: net.Socket, unixPath: string | undefined): void {
    const unix = unixPath !== undefined;
    const refused = this.refusal(accepted.remoteAddress, unix);
    if (refused !== null) {
      refuse(accepted, refused);
      return;
    }
    const conns = this.server.conns;
    let client: Client | undefined;
    const sock = adoptSocket(accepted, (chunk) => conns.onData(client!, chunk));
    sock.setNoDelay(true);
    const ka = this.server.config.v['tcp-keepalive'];
    if (ka > 0 && !unix) sock.setKeepAlive(true, ka * 1000);
    client = conns.connected(sock, unixPath);
  }

  /**
   * Counts a new connection and says why it is refused (the maxclients
   * error, or protected mode's for a non-loopback peer), or null. Also for
   * connections the busy-script acceptor took (Connections.acceptRelayed).
   */
  refusal(remoteAddress: string | undefined, unix: boolean): string | null {
    const server = this.server;
    server.stats.totalConnections++;
    const maxClients = server.config.v['maxclients'];
    if (server.clients.size >= maxClients) {
      server.stats.rejectedConnections++;
      return MAX_CLIENTS_ERROR;
    }
    if (!unix && this.deniedByProtectedMode(remoteAddress)) {
      server.stats.rejectedConnections++;
      return PROTECTED_MODE_ERROR;
    }
    return null;
  }

  /** Protected mode: no password, and a connection from a non-loopback address. */
  private deniedByProtectedMode(remoteAddress: string | undefined): boolean {
    const v = this.server.config.v;
    if (!v['protected-mode']) return false;
    if (!this.server.acl.defaultUser.nopass) return false;
    return !isLoopback(remoteAddress ?? '');
  }
}

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

const PROTECTED_MODE_ERROR = `-${Err.protectedMode}\r\n`;
const MAX_CLIENTS_ERROR = `-${Err.maxClients}\r\n`;
