/**
 * tsdis's own HTTP listener (`http-port`, default 0: off; `http-bind`,
 * default: the first `bind` address): Prometheus metrics at /metrics and the
 * dashboard at /, on Node's http module, in the server's event loop. A
 * subsystem (server/subsystem.ts): it opens its listeners when the server
 * listens (a failure fails the start), listens again when http-port,
 * http-bind (or bind, which http-bind follows when empty) change at run time
 * (CONFIG SET waits for the outcome, as for port), and closes them and every
 * HTTP connection when the server closes.
 *
 * Bounds, so that HTTP clients cannot take from RESP clients: request
 * headers over 16 KiB are refused (431), headers must arrive within
 * HEADERS_TIMEOUT_MS (408, checked every CHECK_INTERVAL_MS), at most
 * MAX_CONNECTIONS connections per listening address (more are closed at
 * once), GET and HEAD only, no bodies (src/http/access.ts), every reply a
 * short plain text unless a route answers. What a request may see is decided
 * in access.ts (protected mode, Host, Basic auth against the ACL, INFO
 * permission); what it gets, by the route table (routes.ts).
 *
 * Cost when nobody asks: none on the RESP path (no hook runs per command or
 * per turn); the listening socket and Node's 1 s connection check timer,
 * which runs only while HTTP connections are open.
 */
import http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import type { Server } from '../server/server.js';
import type { ParamName } from '../config/params.js';
import type { Subsystem } from '../server/subsystem.js';
import { strerror } from '../config/file.js';
import { authenticate, canRun, checkRequest, type Refusal } from './access.js';
import { findRoute, ROUTES, type HttpContext, type HttpHandler } from './routes.js';
import { rawResponse, sendText } from './respond.js';

/** Request headers beyond this many bytes are refused with 431. */
export const MAX_HEADER_BYTES = 16 * 1024;
/** The time a client has to send its request's headers (then 408). */
export const HEADERS_TIMEOUT_MS = 3000;
/** The time a client has to send its whole request (no body is accepted, so about the headers'). */
export const REQUEST_TIMEOUT_MS = 5000;
/** How often Node checks those two timeouts. */
export const CHECK_INTERVAL_MS = 500;
/** An idle keep-alive connection is closed after this long. */
export const KEEP_ALIVE_MS = 5000;
/** Connections at once per listening address; more are closed as they come. */
export const MAX_CONNECTIONS = 128;

/** The start failed because the HTTP listener could not listen (the reason is logged). */
export class HttpStartError extends Error {}

/** Time spent in request handlers, synchronously (the event loop's share), for benches and the dashboard. */
export interface HttpStats {
  requests: number;
  /** The last request's synchronous handling time (ms). */
  lastMs: number;
  /** The largest (ms). */
  maxMs: number;
  /** The sum (ms). */
  totalMs: number;
}

/** An address from a bind list, with bind's `-` prefix (optional: skipped when not available here). */
interface BindAddress {
  host: string;
  optional: boolean;
}

export class HttpListener implements Subsystem {
  /** The listening servers (one per address). */
  private servers: http.Server[] = [];
  /** Every open HTTP connection, of current and earlier listeners (closed at close()). */
  private readonly sockets = new Set<net.Socket>();
  /** `port addresses` the listeners were opened for ('' before the first listen). */
  private listeningFor = '';
  /** Set by listen(): from then on, changes re-listen. */
  private started = false;
  /** The re-listen a change of http-port, http-bind or bind started: resolves to its error, or null. */
  rebinding: Promise<Error | null> | null = null;
  /** This server's routes: the static table, plus what registerRoute adds. */
  readonly routes = new Map<string, HttpHandler>(ROUTES);
  readonly stats: HttpStats = { requests: 0, lastMs: 0, maxMs: 0, totalMs: 0 };

  constructor(private readonly server: Server) {}

  /** Adds (or replaces) the handler of a path (`/x/*`: every path under /x/); see routes.ts. */
  registerRoute(path: string, handler: HttpHandler): void {
    this.routes.set(path, handler);
  }

  /** The addresses listened on. */
  addresses(): net.AddressInfo[] {
    return this.servers
      .map((s) => s.address())
      .filter((a): a is net.AddressInfo => typeof a === 'object' && a !== null);
  }

  /**
   * The dashboard's URL (`http://127.0.0.1:8080/`): the first address
   * listened on, or configured when not listening yet; a wildcard address is
   * shown as loopback. '' when http-port is 0.
   */
  url(): string {
    const a = this.addresses()[0];
    const port = a?.port ?? this.server.config.v['http-port'];
    if (port === 0) return '';
    let host = a?.address ?? this.wanted().addrs[0]?.host ?? '127.0.0.1';
    if (host === '0.0.0.0') host = '127.0.0.1';
    else if (host === '::') host = '::1';
    return `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  }

  /** What the listeners should be: the port and addresses (http-bind, else bind's first, else 127.0.0.1). */
  private wanted(): { port: number; addrs: BindAddress[]; key: string } {
    const v = this.server.config.v;
    const port = v['http-port'];
    const own = v['http-bind'].split(/\s+/).filter(Boolean);
    const list = own.length > 0 ? own : v['bind'].split(/\s+/).filter(Boolean).slice(0, 1);
    if (list.length === 0) list.push('127.0.0.1');
    const addrs = list.map((b) => {
      const optional = b.startsWith('-');
      let host = optional ? b.slice(1) : b;
      if (host === '*') host = '0.0.0.0';
      else if (host === '::*') host = '::';
      return { host, optional };
    });
    return { port, addrs, key: port === 0 ? '0' : `${port} ${list.join(' ')}` };
  }

  /** The server listens (Server.listen): open the HTTP listeners; a failure (logged) fails the start. */
  async listen(): Promise<void> {
    this.started = true;
    try {
      await this.open();
    } catch (e) {
      const port = this.server.config.v['http-port'];
      this.server.log.warning(`Failed listening on port ${port} (http), aborting: ${strerror(e)}`);
      throw new HttpStartError(`Failed listening on port ${port} (http): ${strerror(e)}`);
    }
    const url = this.url();
    if (url !== '') this.server.log.notice(`Dashboard and metrics at ${url} (metrics: ${url}metrics)`);
  }

  /** http-port, http-bind, or bind (followed while http-bind is empty) changed: listen again, once for a CONFIG SET of several. */
  configChanged(name: ParamName | null): void {
    if (name !== 'http-port' && name !== 'http-bind' && name !== 'bind') return;
    if (!this.started || this.server.closing || this.rebinding !== null) return;
    if (this.wanted().key === this.listeningFor) return;
    this.rebinding = this.rebind()
      .then(
        () => null,
        (e: Error) => {
          this.server.log.warning(
            `Failed to listen for HTTP after changing ${name}: ${strerror(e)}; the previous listeners were restored`,
          );
          return e;
        },
      )
      .finally(() => {
        this.rebinding = null;
      });
  }

  /** Closes the listeners and every HTTP connection (Server.close). */
  close(): void {
    this.started = false;
    for (const s of this.servers) s.close();
    this.servers = [];
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  /** Opens a listener for each wanted address (none for port 0); on failure closes what it opened and throws. */
  private async open(): Promise<void> {
    const { port, addrs, key } = this.wanted();
    if (port !== 0) {
      try {
        for (const a of addrs) {
          try {
            this.servers.push(await this.listenOne(a.host, port));
          } catch (e) {
            const code = (e as NodeJS.ErrnoException).code ?? '';
            if (!(a.optional && code === 'EADDRNOTAVAIL') && !NO_FAMILY_ERRORS.has(code)) throw e;
            this.server.log.warning(
              `Warning: Could not create HTTP listening socket ${a.host}:${port}: ${strerror(e)}`,
            );
          }
        }
      } catch (e) {
        for (const s of this.servers.splice(0)) s.close();
        throw e;
      }
    }
    this.listeningFor = key;
  }

  /**
   * Listens as wanted now, until what is wanted no longer changes meanwhile:
   * closes the listeners (open connections stay), opens the new ones; on
   * failure reopens the previous addresses and throws.
   */
  private async rebind(): Promise<void> {
    while (this.started && this.wanted().key !== this.listeningFor) {
      const old = this.servers;
      const prev = this.addresses();
      const prevKey = this.listeningFor;
      this.servers = [];
      for (const s of old) s.close();
      await new Promise((r) => setImmediate(r));
      try {
        await this.open();
      } catch (e) {
        for (const a of prev) {
          const s = await this.listenOne(a.address, a.port).catch(() => null);
          if (s !== null) this.servers.push(s);
        }
        this.listeningFor = prevKey;
        throw e;
      }
    }
  }

  /** One listening http.Server on host:port, with the bounds above. */
  private listenOne(host: string, port: number): Promise<http.Server> {
    const srv = http.createServer(
      {
        maxHeaderSize: MAX_HEADER_BYTES,
        headersTimeout: HEADERS_TIMEOUT_MS,
        requestTimeout: REQUEST_TIMEOUT_MS,
        connectionsCheckingInterval: CHECK_INTERVAL_MS,
        keepAliveTimeout: KEEP_ALIVE_MS,
        noDelay: true,
      },
      (req, res) => this.request(req, res),
    );
    srv.maxConnections = MAX_CONNECTIONS;
    srv.on('connection', (sock: net.Socket) => {
      this.sockets.add(sock);
      sock.once('close', () => this.sockets.delete(sock));
    });
    srv.on('clientError', (err, sock) => clientError(err as NodeJS.ErrnoException, sock as net.Socket));
    // CONNECT and Upgrade requests are not served (Node would otherwise drop them without a word)
    const refuse = (_req: http.IncomingMessage, sock: Duplex) => {
      sock.on('error', () => {});
      sock.end(rawResponse(405, 'only GET and HEAD are allowed'));
    };
    srv.on('connect', refuse);
    srv.on('upgrade', refuse);
    return new Promise((resolve, reject) => {
      srv.once('error', reject);
      srv.listen({ port, host, ipv6Only: host.includes(':'), exclusive: true }, () => {
        srv.off('error', reject);
        // (the server closed while this listener was being opened: close() did not see it)
        if (!this.started) {
          srv.close();
          reject(new Error('the server is closing'));
          return;
        }
        srv.on('error', (e) => this.server.log.warning(`HTTP listener error: ${e.message}`));
        resolve(srv);
      });
    });
  }

  /** One request: the checks of access.ts, then its route; the synchronous time is counted in stats. */
  private request(req: http.IncomingMessage, res: http.ServerResponse): void {
    const t0 = performance.now();
    const server = this.server;
    res.setHeader('X-Content-Type-Options', 'nosniff');
    let refusal: Refusal | null = checkRequest(
      server,
      req,
      this.addresses().map((a) => a.address),
    );
    let url: URL | null = null;
    let userName = '';
    if (refusal === null) {
      try {
        url = new URL(req.url ?? '/', 'http://localhost');
      } catch {
        refusal = { status: 400, text: 'bad request target' };
      }
    }
    if (refusal === null) {
      // (a failed login's ACL LOG entry describes a client with the request's addresses)
      const auth = authenticate(server, req, () => server.newClient(req.socket, 'internal'));
      if ('status' in auth) refusal = auth;
      else userName = auth.name;
    }
    const handler = refusal === null ? findRoute(this.routes, url!.pathname) : undefined;
    if (refusal === null && handler === undefined) refusal = { status: 404, text: 'not found' };
    if (refusal !== null) {
      sendText(res, refusal.status, refusal.text, refusal.headers, refusal.close);
    } else {
      const ctx: HttpContext = {
        server,
        url: url!,
        user: userName,
        canRun: (argv) => canRun(server, userName, argv),
      };
      try {
        const done = handler!(req, res, ctx);
        if (done instanceof Promise) done.catch((e: unknown) => this.failed(res, e));
      } catch (e) {
        this.failed(res, e);
      }
    }
    const ms = performance.now() - t0;
    const st = this.stats;
    st.requests++;
    st.lastMs = ms;
    st.totalMs += ms;
    if (ms > st.maxMs) st.maxMs = ms;
  }

  /** A route threw: 500 (logged), or the connection ended when the reply had begun. */
  private failed(res: http.ServerResponse, e: unknown): void {
    this.server.log.warning(`HTTP request failed: ${(e as Error)?.stack ?? String(e)}`);
    sendText(res, 500, 'internal error', {}, true);
  }
}

/**
 * A request Node's parser refused or timed out (its 'clientError'): a
 * short plain-text reply when nothing was sent on the connection yet (431
 * for oversized headers, 408 for a timeout, else 400), then the connection
 * is closed.
 */
function clientError(err: NodeJS.ErrnoException, sock: net.Socket): void {
  sock.on('error', () => {});
  if (err.code === 'ECONNRESET' || !sock.writable || sock.bytesWritten > 0) {
    sock.destroy();
    return;
  }
  const [status, text] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'request headers too large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request not received in time']
        : [400, 'bad request'];
  sock.end(rawResponse(status, text));
}

/** Bind errors of an address family the host lacks: that address is skipped, as for RESP (server/listener.ts). */
const NO_FAMILY_ERRORS = new Set(['EAFNOSUPPORT', 'EPROTONOSUPPORT', 'ENOPROTOOPT', 'ESOCKTNOSUPPORT', 'EPFNOSUPPORT']);
