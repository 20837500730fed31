/**
 * The listening sockets: TCP on every `bind` address (one port for all),
 * TLS on `tls-port` on the same addresses, and the unix socket, as
 * redis-server opens them, re-opened when `port`, `tls-port` or `bind`
 * change at run time. An accepted TCP connection is checked (maxclients,
 * protected mode), turned into a fast-read socket (server/socket.ts) and
 * handed to the connections (server/connection.ts). A TLS connection is
 * checked once its handshake is done and read through 'data' events (the
 * TCP path is untouched: no per-read cost for plain clients). Also here:
 * what bounds accepting at the process level, maxclients within the
 * open-files limit and oom_score_adj.
 *
 * TLS differs from Redis in where a connection becomes a client: Redis
 * makes the client before the handshake (so a handshaking connection shows
 * in CLIENT LIST and a refusal for maxclients happens before it); here the
 * client is made after it, and a connection over maxclients is dropped
 * after its handshake, without a word, as Redis drops it.
 */
import net from 'node:net';
import tls from 'node:tls';
import fs from 'node:fs';
import type { Client } from './client.js';
import type { Server } from './server.js';
import { adoptSocket, DirectWriter, fastTlsReads, handleFd, isLoopback } from './socket.js';
import type { ListenerFd } from './busy-relay.js';
import { strerror } from '../config/file.js';
import { OOM_MASTER, OOM_REPLICA, OomScoreAdj } from './oom.js';
import { openFilesLimit, RESERVED_FDS } from './fdlimit.js';
import { Err, TsdisError } from '../protocol/errors.js';
import {
  authOptions,
  configureTls,
  opensslText,
  tlsEnabled,
  TlsConfigError,
  TlsSessionCache,
  type TlsAuthClients,
  type TlsContexts,
} from './tls.js';

export class Listener {
  private netServers: net.Server[] = [];
  /** The TLS listeners (tls-port, one per bind address). */
  private tlsServers: tls.Server[] = [];
  /** The `tls-port bind` the TLS listeners were opened for (a re-listen to the same is skipped). */
  private tlsListeningFor = '';
  /** The TLS settings in force (server/tls.ts), null until TLS is first configured. */
  tls: TlsContexts | null = null;
  /** The TLS session-ID cache every TLS listener shares. */
  private readonly tlsSessions: TlsSessionCache;
  /** What the pending re-listen re-opens: the TCP listeners (port, bind), the TLS ones (tls-port, bind). */
  private rebindScope = { tcp: false, tls: false };
  /** Set once open() succeeded: port/bind changes then re-listen (rebind), as in Redis. */
  listening = false;
  /** The re-listen a port/bind change started: resolves to its error, or null. */
  rebinding: Promise<Error | null> | null = null;
  /** The OOM killer's score for this process (server/oom.ts). */
  private oomScore: OomScoreAdj | null = null;

  constructor(private readonly server: Server) {
    this.tlsSessions = new TlsSessionCache(() => server.clock());
  }

  /**
   * Opens the configured bind addresses and unixsocket (Server.listen calls
   * it). As in Redis, `port 0` means no TCP listener, unless `ephemeral`
   * (the embedding API): then the OS picks a free port. On failure nothing
   * is left open and the error is thrown.
   */
  async open(ephemeral: boolean): Promise<void> {
    const v = this.server.config.v;
    const unix = v['unixsocket'];
    // as Redis's initListeners: TLS is configured first (a failure is logged, and stops the start)
    if (tlsEnabled(v)) this.configureTls();
    try {
      await this.listenTcp(ephemeral);
      await this.listenTls();
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
      const open = [...this.netServers, ...this.tlsServers];
      this.netServers = [];
      this.tlsServers = [];
      await Promise.all(open.map((l) => new Promise<void>((r) => l.close(() => r()))));
      throw e;
    }
    this.listening = true;
  }

  /** Stops listening (Server.close); resolves when every listener is closed. */
  close(): Promise<void> {
    this.listening = false;
    const closes = [...this.netServers, ...this.tlsServers].map((l) => new Promise<void>((r) => l.close(() => r())));
    this.netServers = [];
    this.tlsServers = [];
    return Promise.all(closes).then(() => {});
  }

  /** Sets the process's oom_score_adj from the config; Redis's error text when /proc refuses. */
  applyOomScoreAdj(): string | null {
    const v = this.server.config.v;
    this.oomScore ??= new OomScoreAdj(this.server.log);
    const role = this.server.repl.following ? OOM_REPLICA : OOM_MASTER;
    const ok = this.oomScore.apply(v['oom-score-adj'], v['oom-score-adj-values'], role);
    return ok ? null : Err.applyOomScoreAdj;
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
    if (port === 0 && !ephemeral) return;
    const bound = await this.listenEveryBind(port, (opts) => this.listenOne(opts));
    if (port === 0 && bound !== 0) this.server.config.adjust('port', bound);
  }

  /** Opens a TLS listener for every `bind` address on `tls-port` (none when it is 0). */
  private async listenTls(): Promise<void> {
    const port = this.server.config.v['tls-port'] as number;
    this.tlsListeningFor = this.tlsWanted();
    if (port === 0) return;
    await this.listenEveryBind(port, (opts) => this.listenOneTls(opts));
  }

  /**
   * Listens on `port` at every `bind` address with `open`; returns the port
   * bound (the OS's pick for port 0, then shared by the other addresses).
   * A "-" prefix makes an address optional: skipped when not available here
   * (but not when in use), as are addresses of a family the host lacks.
   */
  private async listenEveryBind(port: number, open: (opts: net.ListenOptions) => Promise<net.Server>): Promise<number> {
    const binds = String(this.server.config.v['bind']).split(/\s+/).filter(Boolean);
    let boundPort = port;
    for (const b of binds) {
      const optional = b.startsWith('-');
      let host = optional ? b.slice(1) : b;
      if (host === '*') host = '0.0.0.0';
      else if (host === '::*') host = '::';
      try {
        // IPv6 sockets are IPv6-only, as in Redis, so `* ::*` can share a port
        const srv = await open({ port: boundPort, host, ipv6Only: host.includes(':') });
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
    return boundPort;
  }

  /**
   * `port`, `tls-port` or `bind` changed (Server's config hook): listen
   * again, once for a CONFIG SET of several (every value is stored before
   * the first change is applied; what later ones of the same call ask for
   * joins the re-listen under way). The first listeners named close at
   * once, as before this returns; CONFIG SET awaits `rebinding`'s outcome.
   */
  rebindLater(name: string): void {
    if (!this.listening) return;
    if (name !== 'tls-port') this.rebindScope.tcp = true;
    if (name !== 'port') this.rebindScope.tls = true;
    if (this.rebinding !== null) return;
    this.rebinding = this.rebind()
      .then(
        () => null,
        (e: Error) => {
          this.server.log.warning(
            `Failed to listen after changing ${name}: ${e.message}; the previous listeners were restored`,
          );
          return e;
        },
      )
      .finally(() => {
        this.rebinding = null;
        this.rebindScope = { tcp: false, tls: false };
      });
  }

  /** Re-listens what rebindScope names (TCP first; TLS; TCP when it was asked for only meanwhile). */
  private async rebind(): Promise<void> {
    const scope = this.rebindScope;
    let tcpDone = false;
    if (scope.tcp) {
      tcpDone = true;
      await this.rebindTcp();
    }
    if (scope.tls) await this.rebindTls();
    if (scope.tcp && !tcpDone) await this.rebindTcp();
  }

  /**
   * Re-listens after `port` or `bind` changed at run time: closes the TCP
   * listeners (connected clients stay), opens the new ones, and on failure
   * reopens the previous addresses and rejects. The unix socket is untouched.
   */
  private async rebindTcp(): Promise<void> {
    const isTcp = (l: net.Server) => typeof l.address() === 'object' && l.address() !== null;
    const old = this.netServers.filter(isTcp);
    this.netServers = this.netServers.filter((l) => !isTcp(l));
    const keep = this.netServers.length;
    await this.relisten(
      old,
      () => this.listenTcp(false),
      () => this.netServers.splice(keep),
      (opts) => this.listenOne(opts),
    );
  }

  /**
   * The same for the TLS listeners after `tls-port` or `bind` changed
   * (tls-port 0: closed only). Nothing to do when they already listen as
   * asked (a failed CONFIG SET puts the old value back after they were
   * restored).
   */
  private async rebindTls(): Promise<void> {
    const was = this.tlsListeningFor;
    if (this.tlsWanted() === was) return;
    const old = this.tlsServers;
    this.tlsServers = [];
    try {
      await this.relisten(
        old,
        () => this.listenTls(),
        () => this.tlsServers.splice(0),
        (opts) => this.listenOneTls(opts),
      );
    } catch (e) {
      this.tlsListeningFor = was;
      throw e;
    }
  }

  /** What the TLS listeners should listen for: `tls-port bind`. */
  private tlsWanted(): string {
    const v = this.server.config.v;
    return `${String(v['tls-port'])} ${String(v['bind'])}`;
  }

  /**
   * Closes `old` listeners and runs `listen`; when it fails, closes what it
   * opened (`opened` takes them from their list), reopens `old`'s addresses
   * with `reopen` and rethrows.
   */
  private async relisten(
    old: net.Server[],
    listen: () => Promise<unknown>,
    opened: () => net.Server[],
    reopen: (opts: net.ListenOptions) => Promise<net.Server>,
  ): Promise<void> {
    const prev = old.map((l) => l.address() as net.AddressInfo);
    // (close()'s callback waits for every connection to end: don't wait for it;
    // the listening socket itself is released at once)
    for (const l of old) l.close();
    await new Promise((r) => setImmediate(r));
    try {
      await listen();
    } catch (e) {
      await Promise.all(opened().map((l) => new Promise<void>((r) => l.close(() => r()))));
      for (const a of prev)
        await reopen({ port: a.port, host: a.address, ipv6Only: a.family === 'IPv6' }).catch(() => {});
      throw e;
    }
  }

  /**
   * Configures TLS from the tls-* parameters (server/tls.ts) and gives every
   * TLS listener the new context (connections already open keep theirs).
   * Throws TlsConfigError, its reason logged, leaving the previous context.
   */
  configureTls(): void {
    const t = configureTls(this.server.config.v, (line) => this.server.log.warning(line));
    this.tls = t;
    const v = this.server.config.v;
    this.tlsSessions.size = Number(v['tls-session-cache-size']);
    this.tlsSessions.timeoutMs = Number(v['tls-session-cache-timeout']) * 1000;
    this.tlsSessions.clear();
    for (const srv of this.tlsServers) srv.setSecureContext(t.server);
  }

  /**
   * A tls-* parameter changed (the Server's config hook). The context
   * parameters reconfigure TLS when it is enabled (Redis's applyTlsCfg),
   * tls-port configures it if it never was (then re-listens), and
   * tls-auth-clients applies to the next connections. Returns Redis's
   * CONFIG SET error text when the configuration fails.
   */
  tlsChanged(name: string): string | null {
    const v = this.server.config.v;
    try {
      if (name === 'tls-port') {
        if (this.tls === null && Number(v['tls-port']) !== 0) this.configureTls();
        this.rebindLater(name);
      } else if (name === 'tls-auth-clients') {
        const auth = authOptions(String(v['tls-auth-clients']) as TlsAuthClients);
        // (tls.Server reads these two fields for each connection it accepts)
        for (const srv of this.tlsServers) {
          Reflect.set(srv, 'requestCert', auth.requestCert);
          Reflect.set(srv, 'rejectUnauthorized', auth.rejectUnauthorized);
        }
      } else if (tlsEnabled(v)) this.configureTls();
    } catch (e) {
      if (e instanceof TlsConfigError) return Err.applyTls;
      throw e;
    }
    return null;
  }

  /** Listens on one address; used for each bind address and the unix socket. */
  private listenOne(opts: net.ListenOptions): Promise<net.Server> {
    // pauseOnConnect: accept() moves each connection into a fast-read socket (socket.ts).
    const srv = net.createServer({ noDelay: true, pauseOnConnect: true }, (sock) => this.accept(sock, opts.path));
    return this.listenOn(srv, opts, this.netServers);
  }

  /** Starts `srv` listening on `opts`; once it listens, it joins `list` and its later errors are logged. */
  private listenOn(srv: net.Server, opts: net.ListenOptions, list: net.Server[]): Promise<net.Server> {
    const server = this.server;
    return new Promise((resolve, reject) => {
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
        list.push(srv);
        resolve(srv);
      });
    });
  }

  /**
   * Listens with TLS on one address (each bind address on tls-port). The
   * server's sessions go to the shared session-ID cache while
   * tls-session-caching is on; handshake failures are logged as Redis logs
   * them.
   */
  private listenOneTls(opts: net.ListenOptions): Promise<net.Server> {
    const server = this.server;
    const v = server.config.v;
    const auth = String(v['tls-auth-clients']) as TlsAuthClients;
    const srv = tls.createServer({ ...this.tls!.server, ...authOptions(auth), noDelay: true }, (sock) =>
      this.acceptTls(sock),
    );
    srv.on('tlsClientError', (e, sock) => {
      if (server.closing) return;
      server.log.warning(
        `Error accepting a client connection: ${opensslText(e)} (addr=${fmtPeer(sock.remoteAddress, sock.remotePort)} laddr=${fmtPeer(sock.localAddress, sock.localPort)})`,
      );
    });
    srv.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
      if (v['tls-session-caching']) this.tlsSessions.store(id, data);
      done();
    });
    srv.on('resumeSession', (id: Buffer, done: (err: Error | null, data: Buffer | null) => void) => {
      done(null, v['tls-session-caching'] ? this.tlsSessions.lookup(id) : null);
    });
    return this.listenOn(srv, opts, this.tlsServers);
  }

  /** The TLS listening addresses. */
  tlsAddresses(): net.AddressInfo[] {
    return this.tlsServers
      .map((l) => l.address())
      .filter((a): a is net.AddressInfo => typeof a === 'object' && a !== null);
  }

  /** The TCP addresses being listened on. */
  addresses(): net.AddressInfo[] {
    return this.netServers
      .map((l) => l.address())
      .filter((a): a is net.AddressInfo => typeof a === 'object' && a !== null);
  }

  /**
   * The listening sockets' descriptors, for the busy-script acceptor. Not
   * the TLS ones: the acceptor relays plain bytes, so a TLS connection
   * opened while a script is busy waits in the listen backlog until the
   * script ends (Redis would answer it -BUSY).
   */
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
    const sock = adoptSocket(accepted, (buf, n) => conns.onData(client!, buf, n));
    sock.setNoDelay(true);
    const ka = this.server.config.v['tcp-keepalive'];
    if (ka > 0 && !unix) sock.setKeepAlive(true, ka * 1000);
    client = conns.connected(sock, unixPath);
    const c = client;
    client.direct = DirectWriter.for(sock, () => conns.drained(c));
  }

  /**
   * A TLS connection whose handshake is done (tls.Server checked the
   * client's certificate when tls-auth-clients is yes). With `optional`, a
   * certificate that was given must verify. Then the same checks as for
   * TCP, except that a connection over maxclients is dropped without a
   * word, as Redis does for TLS. Its bytes come as fast reads (socket.ts).
   */
  private acceptTls(sock: tls.TLSSocket): void {
    const server = this.server;
    sock.on('error', () => {});
    if (!sock.authorized && server.config.v['tls-auth-clients'] === 'optional') {
      const cert = sock.getPeerCertificate();
      if (cert !== null && Object.keys(cert).length > 0) {
        server.log.warning(
          `Error accepting a client connection: certificate verify failed (${String(sock.authorizationError)}) (addr=${fmtPeer(sock.remoteAddress, sock.remotePort)} laddr=${fmtPeer(sock.localAddress, sock.localPort)})`,
        );
        sock.destroy();
        return;
      }
    }
    const refused = this.refusal(sock.remoteAddress, false);
    if (refused !== null) {
      if (refused === MAX_CLIENTS_ERROR) sock.destroy();
      else refuse(sock, refused);
      return;
    }
    const conns = server.conns;
    const ka = server.config.v['tcp-keepalive'] as number;
    if (ka > 0) sock.setKeepAlive(true, ka * 1000);
    const client = conns.connected(sock, undefined);
    fastTlsReads(sock, (buf, n) => conns.onData(client, buf, n));
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

/** A peer address as Redis's log lines print it (ip:port, IPv6 in brackets). */
function fmtPeer(host: string | undefined, port: number | undefined): string {
  let h = host ?? '?';
  if (h.startsWith('::ffff:')) h = h.slice(7);
  return h.includes(':') ? `[${h}]:${port ?? 0}` : `${h}:${port ?? 0}`;
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
