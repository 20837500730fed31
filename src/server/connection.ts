/**
 * Connection I/O: a client's life from its socket to its end. Bytes read go
 * to the client's parser; every complete command is dispatched at once
 * (processInput) and the replies wait in the client for the turn's end
 * (server/before-sleep.ts), which calls writeOut. Output limits
 * (client-output-buffer-limit, kept by server/output-limits.ts; the
 * unauthenticated client's 16 KB; the 16 MB read pause) are enforced here,
 * and clients are made, reset and freed here: resetting or freeing one calls
 * every subsystem's clientReset or clientFreed hook, in the server's order.
 * As a subsystem itself, its cron sizes reply buffers and closes idle clients.
 *
 * While a script runs past busy-reply-threshold the event loop is held:
 * serveWhileBusy reads the other connections' descriptors directly, and new
 * connections come through the acceptor process (server/busy-relay.ts).
 */
import { Buffer } from 'node:buffer';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import type net from 'node:net';
import { Client, type ClientSocket } from './client.js';
import { Err } from '../protocol/errors.js';
import { RespParser, ProtocolError } from '../protocol/parser.js';
import { dispatch, readAhead } from './dispatcher.js';
import { handleFd } from './socket.js';
import { BusyRelay, type RelaySocket } from './busy-relay.js';
import { clientInfoLine, outputBufferMemory, resizeReplyBuffer } from '../observability/clientlist.js';
import { repr } from '../util/strings.js';
import { noteClient } from '../observability/memory.js';
import type { Server } from './server.js';
import type { CronTick, Subsystem } from './subsystem.js';

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

export class Connections implements Subsystem {
  private nextClientId = 1;
  /** Where the clients cron goes on at its next tick (cron). */
  private clientsAt: IterableIterator<Client> = new Map<number, Client>().values();
  /** Accepts and relays new connections while a script is busy (server/busy-relay.ts). */
  readonly busyRelay: BusyRelay;
  /** serveWhileBusy's read buffer (the sockets' shared one may hold the running script's own input). */
  private readonly busyReadBuf = Buffer.allocUnsafe(16 * 1024);
  /** When (s) a cross protocol attempt was last logged (securityWarning). */
  private securityLoggedAt = 0;

  constructor(private readonly server: Server) {
    this.busyRelay = new BusyRelay(server);
  }

  /**
   * Subsystem: Redis's clientsCron pace for the reply buffers' sizing (rbs,
   * rbp): each client about once a second, at least 5 per tick (all of them
   * each tick when there are few), continuing where the last tick stopped.
   * Once a second, idle clients past `timeout` are closed.
   */
  cron(tick: CronTick): void {
    const server = this.server;
    const n = server.clients.size;
    const now = server.clock();
    for (let k = Math.min(n, Math.max(5, Math.ceil(n / tick.hz))); k > 0; k--) {
      let r = this.clientsAt.next();
      if (r.done === true) {
        this.clientsAt = server.clients.values();
        r = this.clientsAt.next();
        if (r.done === true) break;
      }
      resizeReplyBuffer(server, r.value, now);
    }
    if (!tick.second) return;
    const timeout = (server.config.v['timeout'] as number) * 1000;
    if (timeout > 0) {
      const now = server.clock();
      for (const c of server.clients.values()) {
        if (now - c.lastInteraction > timeout && !c.exempt) {
          server.log.verbose('Closing idle client');
          this.killClient(c);
        }
      }
    }
  }

  /** A new client (socketless for in-process callers). */
  newClient(sock: ClientSocket | null, kind: 'tcp' | 'unix' | 'internal', unixPath?: string): Client {
    const server = this.server;
    const parser = new RespParser(server.parserLimits);
    const authed = server.acl.startsAuthenticated;
    const c = new Client(
      this.nextClientId++,
      sock,
      server.dbs[0]!,
      parser,
      authed,
      server.acl.defaultUser,
      server.clock(),
      kind,
      unixPath,
    );
    parser.authenticated = authed;
    c.reply.onError = (code) => server.stats.countError(code);
    if (kind !== 'internal') {
      server.clients.set(c.id, c);
      noteClient(server, c);
    }
    return c;
  }

  /**
   * A client for a connection the listener accepted (server/listener.ts),
   * reading through `sock`'s chunks: its events are wired and 'client' emitted.
   */
  connected(sock: ClientSocket, unixPath: string | undefined): Client {
    const server = this.server;
    const unix = unixPath !== undefined;
    const client = this.newClient(sock, unix ? 'unix' : 'tcp', unixPath);
    server.log.verbose(unix ? `Accepted connection to ${unixPath}` : `Accepted ${client.addr}`);
    this.wireSocket(client, sock);
    server.emit('client', client);
    return client;
  }

  /** RESET: a client back to a fresh connection's state (db 0, RESP2, no name, auth per requirepass). */
  resetClient(c: Client): void {
    const server = this.server;
    c.db = server.dbs[0]!;
    c.resp = 2;
    c.name = '';
    c.noTouch = false;
    c.noEvict = false;
    c.replyOff = false;
    c.replySkipNext = false;
    c.user = server.acl.defaultUser;
    c.authenticated = server.acl.startsAuthenticated;
    for (const reset of server.hookLists.clientReset) reset(c);
  }

  /** Frees the client when its peer ends or its socket closes; resumes reading when a paused client's replies have drained. */
  private wireSocket(client: Client, sock: ClientSocket): void {
    const server = this.server;
    sock.on('error', () => this.freeClient(client));
    sock.on('end', () => this.peerEnded(client));
    sock.on('close', () => {
      if (!client.closed) server.log.verbose(`Client closed connection id=${client.id} addr=${client.addr}`);
      this.freeClient(client);
    });
    sock.on('drain', () => this.drained(client));
  }

  /**
   * A client's socket sent what it held (the stream's 'drain', or a write
   * through its handle finished: DirectWriter): activity for the idle
   * timeout (Redis updates it on writes), and a client paused for a slow
   * reader reads again and runs what is already buffered (writeOut pauses
   * it again if its output is still over the mark).
   */
  drained(client: Client): void {
    const server = this.server;
    client.lastInteraction = server.clock();
    if (server.clientEviction.limit !== 0 && !client.closed) server.clientEviction.update(client);
    if (client.readPaused && !client.closed) {
      client.readPaused = false;
      client.socket?.resume();
      this.processInput(client);
    }
  }

  /**
   * A connection the busy-script acceptor accepted (busy-relay.ts): a client
   * as accept() makes one, its bytes arriving through `sock`. Null when it is
   * refused (the refusal is written and the connection closed).
   */
  acceptRelayed(sock: RelaySocket, unixPath: string | undefined): Client | null {
    const refused = this.server.listener.refusal(sock.remoteAddress, unixPath !== undefined);
    if (refused !== null) {
      sock.write(refused);
      sock.destroySoon();
      return null;
    }
    let client: Client | undefined;
    sock.onChunk = (chunk) => this.onData(client!, chunk);
    client = this.connected(sock, unixPath);
    return client;
  }

  /**
   * A relayed client's real socket, handed back by the acceptor (already
   * reading into the client: busy-relay.ts): it becomes the client's socket.
   */
  useSocket(client: Client, sock: net.Socket): void {
    sock.setNoDelay(true);
    const ka = this.server.config.v['tcp-keepalive'];
    if (ka > 0 && client.kind === 'tcp') sock.setKeepAlive(true, ka * 1000);
    client.socket = sock;
    client.direct = null;
    this.wireSocket(client, sock);
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
    this.server.log.verbose(`Client closed connection id=${c.id} addr=${c.addr}`);
    c.closeAfterReply = true;
    if (c.reply.out.length !== 0) this.server.beforeSleep.queue(c);
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

  /**
   * Parses and runs every complete command in what was read (the first `n`
   * bytes of `chunk`, valid during the call), then queues the flush.
   */
  onData(client: Client, chunk: Buffer, n = chunk.length): void {
    if (client.closed || client.closeAfterReply) return;
    const bs = this.server.beforeSleep;
    bs.beginRead();
    try {
      this.read(client, chunk, n);
    } finally {
      bs.endRead();
    }
  }

  /** onData's work. */
  private read(client: Client, chunk: Buffer, n: number): void {
    const server = this.server;
    if (client.awaited) server.beforeSleep.unawait(client);
    server.stats.netInputBytes += n;
    if (server.stats.netInputBytes >= server.evict.nextHeapCheck) server.evict.checkHeapAfterInput();
    const parser = client.parser;
    const err = parser.feed(chunk, n);
    // One clock reading for the read: the client's last interaction (wall
    // time derived from it, Server.wallAt) and its first command's start.
    const t = performance.now();
    client.lastInteraction = server.wallAt(t);
    if (err) return this.protocolError(client, err);
    // a growing query buffer counts for client eviction (a command still arriving)
    const ce = server.clientEviction;
    if (ce.limit !== 0) {
      ce.update(client);
      if (ce.over) {
        ce.evict();
        if (client.closed) return;
      }
    }
    // while paused for a slow reader, input just waits in the parser
    if (!client.readPaused) {
      server.mark = t;
      this.processInput(client, true);
    }
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
    const buf = this.busyReadBuf;
    for (const c of [...this.server.clients.values()]) {
      if (c === except || c.closed || c.closeAfterReply || c.readPaused || c.socket === null) continue;
      // the primary's stream waits for the script (Redis's processInputBuffer stops for the master while busy)
      if (c.masterLink) continue;
      // (a relayed client has no descriptor here: the relay serves it; a TLS
      // client's bytes need the event loop to be decrypted: it waits)
      if (c.socket.encrypted === true) continue;
      const fd = handleFd(c.socket);
      if (fd < 0) continue;
      for (;;) {
        let n = 0;
        try {
          n = fs.readSync(fd, buf, 0, buf.length, null);
        } catch {
          break; // EAGAIN: nothing more now (a reset is seen by the event loop later)
        }
        if (n <= 0) {
          // end of stream: the client goes now, as Redis frees it while the
          // script runs (a replica's leaving shows in the script's INFO)
          if (n === 0) this.peerEnded(c);
          break;
        }
        this.onData(c, buf, n);
        if (n < buf.length || c.closed) break;
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
    this.server.busyScript = { error };
    this.busyRelay.begin();
  }

  /** The busy script ended: normal service, and the relayed connections are taken back. */
  endBusy(): void {
    this.server.busyScript = null;
    this.busyRelay.end();
  }

  /**
   * Runs commands buffered in the client's parser until none is complete.
   * `marked`: server.mark holds a performance.now() reading just taken
   * (read()'s), else one is taken. (Not passed as an argument: a double
   * passed to a function not inlined, as this one, is boxed, 16 bytes a read.)
   */
  processInput(client: Client, marked = false): void {
    const server = this.server;
    const parser = client.parser;
    const start = marked ? server.mark : (server.mark = performance.now());
    for (;;) {
      if (client.closeAfterReply || client.closed || client.readPaused || client.blocked) break;
      if (parser.aheadEmpty && client.authenticated) readAhead(server, client);
      const r = parser.next();
      if (r === null) break;
      if (r instanceof ProtocolError) {
        server.mark = -Infinity;
        server.keyBatch.clear();
        return this.protocolError(client, r);
      }
      server.keyBatch.next();
      dispatch(server, client, r);
      parser.authenticated = client.authenticated;
      if (!client.authenticated && this.unauthOutputOver(client)) break;
      // A pipeline of big replies: write now, and stop (pausing reads) when the
      // socket is not draining, so memory stays bounded for a client that does not read.
      // Past its output limit, a client runs no more commands (Redis: CLOSE_ASAP).
      const unsent = client.reply.out.length;
      if (unsent > READ_PAUSE_BYTES) this.writeOut(client);
      else if (unsent > OBUF_CHECK_BYTES && server.outputLimits.overHard(client))
        server.outputLimits.closeClient(client);
    }
    server.keyBatch.clear();
    // the last command's end (call() keeps mark current): this turn's busy time (INFO eventloop_*)
    server.stats.cycleUs += (server.mark - start) * 1000;
    server.mark = -Infinity;
    // its output grew, its query buffer shrank
    if (server.clientEviction.limit !== 0 && !client.closed) server.clientEviction.update(client);
    server.beforeSleep.queue(client);
    if (client.kind !== 'internal') noteClient(server, client);
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
    if (c.reply.out.length + c.socketUnsent <= UNAUTH_OUTPUT_LIMIT) return false;
    if (!this.server.acl.authRequired) return false; // no longer required (CONFIG SET requirepass "")
    this.server.outputLimits.closeClient(c);
    return true;
  }

  private protocolError(client: Client, err: ProtocolError): void {
    const log = this.server.log;
    // (its error reply is what drops a replica, unsent)
    if (client.replica !== null && err.reply) return this.server.repl.primary.repliedToReplica(client);
    if (err.reply) {
      client.reply.error(Err.withErrCode(err.message));
      log.verbose(`Protocol error (${err.why}) from client: id=${client.id} addr=${client.addr}`);
    } else {
      // Redis's line: the client's info string and the first 64 bytes of its query buffer, quoted
      const head = repr(client.parser.head(64));
      log.warning(
        `Closing client that reached max query buffer length: ${clientInfoLine(this.server, client)} (qbuf initial bytes: ${head})`,
      );
    }
    client.closeAfterReply = true;
    this.server.beforeSleep.queue(client);
  }

  /**
   * Writes a client's pending replies and enforces its output limits. As in
   * Redis, where replies are checked against client-output-buffer-limit as
   * they are added and written only later, the limit is checked before
   * writing: a client over it gets none of these replies, only closed.
   * What was propagated is written first (nothing acknowledged before it is durable).
   */
  writeOut(c: Client): void {
    const server = this.server;
    if (server.propagator.pending) server.propagator.flush();
    const sock = c.socket;
    const out = c.reply.out;
    if (out.length > 0) {
      c.reply.out = '';
      if (sock && !c.closed) {
        if (server.outputLimits.reached(c, outputBufferMemory(c, out.length))) {
          server.outputLimits.closeClient(c);
          return;
        }
        server.stats.netOutputBytes += out.length;
        if (out.length > c.replyBufPeak) c.replyBufPeak = Math.min(out.length, c.replyBufSize);
        const direct = c.direct;
        if (direct !== null && c.replica === null) direct.write(out);
        else sock.write(out, 'latin1');
      }
    }
    if (!sock || c.closed) return;
    if (server.clientEviction.limit !== 0) server.clientEviction.update(c);
    if (c.closeAfterReply) {
      c.closed = true;
      // not a half-close: a peer still writing (a protocol desync) must get a reset, as from Redis
      sock.destroySoon();
      this.freeClient(c);
      return;
    }
    noteClient(server, c);
    const pending = c.socketUnsent;
    if (pending > 0) {
      // Pause above READ_PAUSE_BYTES, or above a configured limit so that the
      // limit, not the pause, decides (as Redis would disconnect such a client).
      if (!c.readPaused && pending > READ_PAUSE_BYTES) {
        const lim = server.outputLimits.limits('normal');
        if (pending > lim.hard && pending > lim.soft) {
          c.readPaused = true;
          sock.pause();
        }
      }
    } else c.softLimitSince = 0;
  }

  /**
   * A client sent `POST` or `Host:` as a command (the dispatcher): an HTTP
   * request, maybe from a browser page attacking this port (cross protocol
   * scripting). Its connection is closed at once with its unsent replies, as
   * Redis's securityWarningCommand does, and the attempt is logged at most
   * once a minute (so the log cannot be flooded).
   */
  securityWarning(c: Client): void {
    const server = this.server;
    const now = Math.floor(server.clock() / 1000);
    if (Math.abs(now - this.securityLoggedAt) > 60) {
      this.securityLoggedAt = now;
      const from = c.kind === 'tcp' ? `Connection from ${c.addr} aborted.` : 'Connection aborted.';
      server.log.warning(
        `Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. ${from}`,
      );
    }
    c.reply.out = '';
    this.killClient(c);
  }

  /** Closes a client at once, dropping unsent output. */
  killClient(c: Client): void {
    if (c.closed) return;
    c.closed = true;
    c.socket?.destroy();
    this.freeClient(c);
  }

  /** Forgets a client; idempotent. Every subsystem's clientFreed hook runs, in the server's order. */
  freeClient(c: Client): void {
    const server = this.server;
    c.closed = true;
    if (c.awaited) server.beforeSleep.unawait(c);
    server.beforeSleep.forget(c);
    if (server.clients.get(c.id) === c) {
      server.clients.delete(c.id);
      noteClient(server, c); // closed: its bytes leave the total
      for (const freed of server.hookLists.clientFreed) freed(c);
    }
  }
}
