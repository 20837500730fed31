/**
 * Connections opened while a script is busy.
 *
 * A busy script holds the event loop (the Lua VM runs synchronously), so
 * libuv never accept()s: the script's tick can serve the connections that
 * were already accepted (Server.serveWhileBusy reads their descriptors), but
 * a new one — redis-cli coming to say SCRIPT KILL or SHUTDOWN NOSAVE — would
 * wait in the listen backlog until the script ends, which it may never do.
 * redis-server accepts and serves it (-BUSY, and the allow_busy commands).
 *
 * Node cannot hand a descriptor to a worker thread (its libuv handle owns
 * it) and cannot dup one, but a child process can receive copies: when a
 * script turns busy the server spawns an acceptor (busy-acceptor-child.ts)
 * with the listening sockets as extra stdio descriptors (dup2'd into it, so
 * its copies are its own to close). It accepts — connections already in the
 * backlog when the script started too — and relays each connection's bytes
 * over a pipe (relay-frames.ts). The script's tick reads that pipe with
 * fs.readSync and writes replies with fs.writeSync (both descriptors are
 * non-blocking), and each relayed connection is a normal Client whose socket
 * is a RelaySocket, so the dispatcher's gates (BUSY, AUTH, ...), SCRIPT KILL,
 * SHUTDOWN NOSAVE and CLIENT LIST treat it as any other client.
 *
 * Who reads when: while a script is busy only the tick reads the pipe (the
 * loop cannot turn); otherwise libuv reads it ('data' events). Both feed the
 * same FrameReader, in order. Replies are only ever written by fs.writeSync
 * (retried from a timer when the pipe is full and no script runs), never by
 * the stream, so the two never interleave.
 *
 * When the script ends the acceptor is released: at the next loop turn the
 * server sends HANDOVER; the acceptor stops accepting and sends each socket
 * over IPC (SCM_RIGHTS), keeping its own copy and relaying on. When the
 * server has a socket (unread) it sends STOP; the acceptor stops reading it,
 * forwards what it still had, waits for the replies it was given to be
 * written, answers END and closes its copy. At END the real socket becomes
 * the same Client's (same id, database, name, protocol, transaction): replies
 * made between STOP and END go out first, then it is read. A connection is
 * never left unserved: if the next script turns busy before its socket
 * arrives (receiving one needs the event loop), the old acceptor is still
 * relaying it and the tick serves it. Once every connection is switched the
 * server disconnects and the acceptor exits. A script that turns busy again
 * before HANDOVER was sent (pipelined scripts) keeps the same acceptor.
 *
 * Cost: nothing on the non-busy path (no work per command or accept). Per
 * busy script: one process start — spawn() holds the script's thread for a
 * fork and exec (3-115 ms), and the acceptor answered its first connection
 * 0.23-0.69 s after the script turned busy (both measured on 2 cores at load
 * 9; the listen backlog holds connections meanwhile) — and one read of the
 * pipe per tick (at most one a millisecond).
 */
import { Buffer } from 'node:buffer';
import process from 'node:process';
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import net from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Client, ClientSocket } from './client.js';
import type { Server } from './server.js';
import { encodeFrame, FrameReader, FROM_ACCEPTOR, TO_ACCEPTOR, type OpenInfo } from './relay-frames.js';
import { adoptSocket, handleFd } from './socket.js';

const CHILD = fileURLToPath(new URL('./busy-acceptor-child.js', import.meta.url));
/** The tick's read buffer for the acceptor's pipe (its contents are copied by FrameReader.push). */
const pipeReadBuf = Buffer.allocUnsafe(64 * 1024);
/** How long Server.close waits for the acceptor to close its listening sockets (Acceptor.shutdown). */
const UNLISTEN_WAIT_MS = 500;
/** Atomics.wait's cell, for 1 ms sleeps while waiting on the acceptor. */
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** A listening socket the acceptor gets a copy of. */
export interface ListenerFd {
  fd: number;
  /** The path of a unix socket listener. */
  unixPath: string | undefined;
}

/**
 * A connection the acceptor holds, as its Client's socket. Writes and
 * closes become frames to the acceptor; once the server has the real socket
 * and the acceptor has finished with it, the Client's socket is that one
 * (Acceptor.trySwitch).
 */
export class RelaySocket extends EventEmitter implements ClientSocket {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;
  /** Receives every chunk the connection sent (set by Server.acceptRelayed). */
  onChunk: (chunk: Buffer) => void = () => {};
  /** The client, or null when the connection was refused. */
  client: Client | null = null;
  /** The server's own copy of the socket (passed over IPC), not read until the switch. */
  real: net.Socket | null = null;
  /** STOP was sent: replies are held for the real socket. */
  stopped = false;
  held: string[] = [];
  heldBytes = 0;
  /** The server closed it: 1 after writing (end), 2 at once (destroy). */
  closing: 0 | 1 | 2 = 0;
  /** The acceptor sent END: every byte it read was delivered, every reply written. */
  ended = false;
  /** Bytes from the busy script's own client, run when it is no longer running one. */
  deferred: Buffer[] = [];
  /** Its peer's EOF came behind deferred bytes: seen once they have run. */
  endDeferred = false;

  constructor(
    private readonly acceptor: Acceptor,
    readonly id: number,
    info: OpenInfo,
  ) {
    super();
    this.remoteAddress = info.remoteAddress;
    this.remotePort = info.remotePort;
    this.localAddress = info.localAddress;
    this.localPort = info.localPort;
  }

  /** Replies held for the switch (what the acceptor has is not counted). */
  get writableLength(): number {
    return this.heldBytes;
  }
  write(data: string): boolean {
    this.acceptor.write(this, data);
    return true;
  }
  destroySoon(): void {
    this.acceptor.close(this, 1);
  }
  destroy(): void {
    this.acceptor.close(this, 2);
  }
  // Reading is the acceptor's; a relayed client's replies are written as they come.
  pause(): void {}
  resume(): void {}
}

/**
 * relaying: a script is busy or has just ended; released: it ended, HANDOVER
 * goes at the next loop turn unless a script turns busy first; handing:
 * HANDOVER sent (still relaying each connection until its switch); done:
 * every connection switched or closed, disconnected; closed: the process is gone.
 */
type State = 'relaying' | 'released' | 'handing' | 'done' | 'closed';

/** One acceptor process and its connections. */
class Acceptor {
  private readonly child: ChildProcess;
  /** The pipes' streams: their descriptors are written directly (always) and read directly while a script is busy. */
  private readonly stdin: Writable;
  private readonly stdout: Readable;
  private readonly reader = new FrameReader();
  private readonly conns = new Map<number, RelaySocket>();
  /** Frames for the acceptor not yet written (the pipe was full). */
  private out: Buffer[] = [];
  private outOff = 0;
  private retry: NodeJS.Timeout | null = null;
  private afterScript: NodeJS.Immediate | null = null;
  /** Connections with deferred bytes. */
  private deferring = 0;
  state: State = 'relaying';
  /** The acceptor's process id (for the log). */
  readonly pid: number = 0;
  /** A script is busy: replies are written at once, a full pipe is retried by the next tick. */
  busy = true;
  /** LISTED arrived: no connection is left to learn about. */
  private listed = false;
  /** UNLISTEN was sent (the server is closing). */
  private unlistened = false;

  constructor(
    private readonly owner: BusyRelay,
    private readonly server: Server,
    private readonly listeners: ListenerFd[],
  ) {
    const v = server.config.v;
    const args = [CHILD, String(listeners.length), String(v['tcp-backlog']), String(v['tcp-keepalive'])];
    // spawn() forks and execs synchronously; the child then starts on its own while the script runs.
    this.child = spawn(process.execPath, args, {
      stdio: ['pipe', 'pipe', 'inherit', 'ipc', ...listeners.map((l) => l.fd)],
    });
    this.pid = this.child.pid ?? -1;
    const { stdin, stdout } = this.child;
    if (stdin === null || stdout === null) throw new Error('no pipes to the acceptor');
    this.stdin = stdin;
    this.stdout = stdout;
    stdin.on('error', () => {});
    stdout.on('error', () => {});
    stdout.on('data', (chunk: Buffer) => {
      if (this.state === 'closed') return;
      this.reader.push(chunk);
      this.dispatch(null);
    });
    this.child.on('message', (msg: unknown, handle: unknown) => this.onMessage(msg, handle));
    this.child.on('error', (e) => {
      server.log.warning(`Busy script acceptor failed: ${e.message}`);
      this.onExit();
    });
    this.child.on('exit', (code, signal) => {
      if (this.state !== 'done' && this.state !== 'closed')
        server.log.warning(`Busy script acceptor (process ${this.pid}) exited early: ${signal ?? `code ${code}`}`);
      this.onExit();
    });
  }

  /** The script's tick: flushes replies, reads what the acceptor relayed, and serves it (replies written at once). */
  poll(except: Client | null): void {
    if (this.state === 'closed') return;
    this.flushOut();
    const fd = handleFd(this.stdout);
    // (bytes the stream already holds come first: they are dispatched when the loop turns)
    if (fd < 0 || this.stdout.readableLength > 0) return;
    for (;;) {
      let n = 0;
      try {
        n = fs.readSync(fd, pipeReadBuf, 0, pipeReadBuf.length, null);
      } catch {
        break; // EAGAIN: nothing more now
      }
      if (n <= 0) break; // the acceptor is gone: its exit event cleans up
      this.reader.push(pipeReadBuf.subarray(0, n));
      if (n < pipeReadBuf.length) break;
    }
    this.dispatch(except);
    if (this.deferring > 0) for (const r of [...this.conns.values()]) if (r.client !== except) this.runDeferred(r);
    this.flushOut();
  }

  /** The busy script ended: at the next loop turn, run deferred input and (for the current acceptor) hand back. */
  scriptEnded(current: boolean): void {
    this.busy = false;
    if (current && this.state === 'relaying') this.state = 'released';
    this.flushOut();
    this.afterScript ??= setImmediate(() => this.afterScriptTurn());
  }

  /** A script turned busy before the hand-over began: keep relaying. False when this acceptor cannot. */
  resume(): boolean {
    // (the stream never buffers with a 'data' listener; checked so that no byte is read out of order)
    if (this.state !== 'released' || this.stdout.readableLength > 0) return false;
    this.state = 'relaying';
    return true;
  }

  /** Runs what a script's own client sent meanwhile, then sends HANDOVER if still released. */
  private afterScriptTurn(): void {
    this.afterScript = null;
    if (this.busy || this.state === 'closed') return;
    for (const r of [...this.conns.values()]) {
      this.runDeferred(r);
      this.trySwitch(r);
    }
    // (running those may have made a script busy again)
    if (this.state !== 'released' || this.busy) return;
    this.state = 'handing';
    this.queue(encodeFrame(TO_ACCEPTOR.HANDOVER, 0));
    this.tryFinish();
  }

  /** RelaySocket.write: a WRITE frame, or held for the real socket once STOP went. */
  write(r: RelaySocket, data: string): void {
    if (r.closing !== 0 || data.length === 0) return;
    if (r.stopped) {
      r.held.push(data);
      r.heldBytes += data.length;
    } else if (this.conns.get(r.id) === r) this.queue(encodeFrame(TO_ACCEPTOR.WRITE, r.id, data));
  }

  /**
   * RelaySocket.end / destroy. After STOP, an end waits for the switch (the
   * held replies go out first); otherwise the acceptor closes it.
   */
  close(r: RelaySocket, how: 1 | 2): void {
    if (r.closing >= how) return;
    r.closing = how;
    if (this.conns.get(r.id) !== r || (r.stopped && how === 1)) return;
    this.conns.delete(r.id);
    r.real?.destroy();
    this.queue(encodeFrame(how === 1 ? TO_ACCEPTOR.END : TO_ACCEPTOR.DESTROY, r.id));
    this.tryFinish();
  }

  /** Runs the frames received so far; `except` (the busy script's client) has its bytes deferred. */
  private dispatch(except: Client | null): void {
    for (let f = this.reader.next(); f !== null; f = this.reader.next()) {
      const r = this.conns.get(f.id);
      switch (f.type) {
        case FROM_ACCEPTOR.OPEN:
          this.open(f.id, f.payload);
          break;
        case FROM_ACCEPTOR.DATA:
          if (r !== undefined) this.data(r, f.payload, except);
          break;
        case FROM_ACCEPTOR.CLOSED:
          if (r !== undefined) this.lost(r);
          break;
        case FROM_ACCEPTOR.ENDED:
          if (r !== undefined) this.peerEnded(r);
          break;
        case FROM_ACCEPTOR.END:
          if (r !== undefined) {
            r.ended = true;
            this.trySwitch(r);
          }
          break;
        case FROM_ACCEPTOR.LISTED:
          this.listed = true;
          this.tryFinish();
          break;
      }
    }
  }

  /** OPEN: a Client for the connection (Server.acceptRelayed refuses it as accept() would). */
  private open(id: number, payload: Buffer): void {
    const info = parseOpen(payload);
    if (info === null) return;
    const r = new RelaySocket(this, id, info);
    this.conns.set(id, r);
    r.client = this.server.conns.acceptRelayed(r, this.listeners[info.listener]?.unixPath);
  }

  /** DATA: runs the bytes as the connection's input; while busy its replies are written at once. */
  private data(r: RelaySocket, payload: Buffer, except: Client | null): void {
    const c = r.client;
    if (c === null || r.closing !== 0) return;
    if (c === except) {
      if (r.deferred.length === 0) this.deferring++;
      r.deferred.push(payload); // (the reader never reuses its memory)
      return;
    }
    if (r.deferred.length > 0) {
      this.deferring--;
      payload = Buffer.concat([...r.deferred, payload]);
      r.deferred = [];
    }
    r.onChunk(payload);
    if (this.busy && !c.closed && (c.reply.out.length !== 0 || c.closeAfterReply)) this.server.conns.writeOut(c);
  }

  /** Runs the bytes a client sent while its own script ran (and then its peer's EOF, if that came too). */
  private runDeferred(r: RelaySocket): void {
    if (r.deferred.length === 0) return;
    this.deferring--;
    const d = Buffer.concat(r.deferred);
    r.deferred = [];
    if (r.client !== null && r.closing === 0) {
      r.onChunk(d);
      const c = r.client;
      if (this.busy && !c.closed && (c.reply.out.length !== 0 || c.closeAfterReply)) this.server.conns.writeOut(c);
    }
    if (r.endDeferred) {
      r.endDeferred = false;
      this.peerEnded(r);
    }
  }

  /**
   * ENDED: the Client sees its peer's EOF as a socket's 'end' (Server.peerEnded:
   * replies already made are written, then our side ends); a client freed
   * at once gets our side ended here, as Node ends a socket's.
   */
  private peerEnded(r: RelaySocket): void {
    if (r.closing !== 0) return;
    // a script's own client: its EOF waits behind its deferred input
    if (r.deferred.length > 0) {
      r.endDeferred = true;
      return;
    }
    r.emit('end');
    if (r.closing === 0 && (r.client === null || r.client.closed)) this.close(r, 1);
  }

  /** The connection is gone (CLOSED): its Client is freed like a closed socket's. */
  private lost(r: RelaySocket): void {
    if (this.conns.get(r.id) === r) this.conns.delete(r.id);
    if (r.deferred.length > 0) {
      this.deferring--;
      r.deferred = [];
    }
    r.real?.destroy();
    r.real = null;
    if (r.closing === 0) {
      r.closing = 2;
      r.emit('close');
    }
    this.tryFinish();
  }

  /** A socket sent over IPC: kept unread, and the acceptor is told to STOP relaying it. */
  private onMessage(msg: unknown, handle: unknown): void {
    if (!(handle instanceof net.Socket)) return;
    const id = typeof msg === 'object' && msg !== null && 'id' in msg && typeof msg.id === 'number' ? msg.id : -1;
    const r = this.conns.get(id);
    if (r === undefined || r.closing !== 0 || r.real !== null) {
      handle.destroy(); // closed meanwhile: the acceptor closes its own copy
      return;
    }
    const real = adoptSocket(handle, (buf, n) => r.onChunk(buf.subarray(0, n)), { paused: true });
    real.on('error', () => {}); // until the switch wires the server's handlers
    r.real = real;
    r.stopped = true;
    this.queue(encodeFrame(TO_ACCEPTOR.STOP, r.id));
  }

  /**
   * After END (and once deferred input has run): the real socket becomes the
   * Client's, held replies go out first, then it is read.
   */
  private trySwitch(r: RelaySocket): void {
    const real = r.real;
    if (!r.ended || real === null || r.deferred.length > 0) return;
    this.conns.delete(r.id);
    const c = r.client;
    const held = r.held.join('');
    r.held = [];
    r.heldBytes = 0;
    if (c === null || r.closing === 2) real.destroy();
    else if (r.closing === 1) real.end(Buffer.from(held, 'latin1'), () => real.destroy());
    else {
      this.server.conns.useSocket(c, real);
      if (held.length !== 0) real.write(held, 'latin1');
      if (!c.readPaused) real.resume(); // (a paused client resumes on 'drain')
    }
    this.tryFinish();
  }

  /** Every connection switched or closed: disconnect, and the acceptor exits. */
  private tryFinish(): void {
    if (this.state !== 'handing' || !this.listed || this.conns.size !== 0) return;
    this.state = 'done';
    this.flushOut();
  }

  /** Sends a frame to the acceptor, behind any that wait for room in the pipe. */
  private queue(frame: Buffer): void {
    this.out.push(frame);
    this.flushOut();
  }

  /** Writes queued frames without blocking; the rest waits for the next tick, or a timer when no script runs. */
  private flushOut(): void {
    const fd = this.state === 'closed' ? -1 : handleFd(this.stdin);
    while (fd >= 0 && this.out.length > 0) {
      const b = this.out[0]!;
      let n = 0;
      try {
        n = fs.writeSync(fd, b, this.outOff, b.length - this.outOff);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') break;
        this.out = []; // the acceptor is gone: its exit event cleans up
        break;
      }
      this.outOff += n;
      if (this.outOff === b.length) {
        this.out.shift();
        this.outOff = 0;
      }
    }
    if (this.out.length === 0) {
      if (this.state === 'done' && this.child.connected) this.finish();
    } else if (!this.busy && this.retry === null) {
      this.retry = setTimeout(() => {
        this.retry = null;
        this.flushOut();
      }, 1);
    }
  }

  /** The process is gone: its connections are lost. */
  private onExit(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.out = [];
    if (this.retry !== null) clearTimeout(this.retry);
    if (this.afterScript !== null) clearImmediate(this.afterScript);
    this.retry = null;
    this.afterScript = null;
    for (const r of [...this.conns.values()]) this.lost(r);
    this.owner.forget(this);
  }

  /** Done with the acceptor: the end of its input pipe makes it exit once it has acted on every frame. */
  private finish(): void {
    if (this.child.connected) this.child.disconnect();
    this.stdin.end();
  }

  /**
   * Server.close: the acceptor first closes its copies of the listening
   * sockets, and the server waits for it to say so (UNLISTENED, up to
   * UNLISTEN_WAIT_MS): left to the end of its input, the acceptor accepted
   * (and then dropped) a connection made right after a SHUTDOWN NOSAVE
   * ended a busy script, where Redis's listener is closed and the
   * connection refused (Redis's "SHUTDOWN NOSAVE can kill a timedout script
   * anyway" test). Then what was sent to it still takes effect (replies the
   * tick wrote, the closes killClient sent), and it exits at its input's end
   * — or is killed if it lingers. Its connections are the server's no more.
   */
  shutdown(): void {
    if (this.state === 'closed') return;
    this.unlisten();
    const conns = [...this.conns.values()];
    this.conns.clear();
    for (const r of conns) r.real?.destroy();
    this.finish();
    const child = this.child;
    setTimeout(() => child.kill('SIGKILL'), 2000).unref();
    this.onExit();
  }

  /**
   * Has the acceptor close its listening sockets, and waits for it (Server.close
   * calls it first, before the clients are closed: a client that sees its
   * connection end may connect again at once).
   */
  unlisten(): void {
    if (this.state === 'closed' || this.unlistened) return;
    this.unlistened = true;
    this.out.push(encodeFrame(TO_ACCEPTOR.UNLISTEN, 0));
    this.flushOut();
    this.awaitUnlistened();
  }

  /** Reads the acceptor's output synchronously until UNLISTENED (what else comes is dropped: the server is closing) or UNLISTEN_WAIT_MS. */
  private awaitUnlistened(): void {
    const fd = handleFd(this.stdout);
    if (fd < 0 || this.out.length > 0) return;
    const frames = new FrameReader();
    const deadline = performance.now() + UNLISTEN_WAIT_MS;
    while (performance.now() < deadline) {
      let n = 0;
      try {
        n = fs.readSync(fd, pipeReadBuf, 0, pipeReadBuf.length, null);
      } catch {
        Atomics.wait(sleeper, 0, 0, 1); // EAGAIN: not yet
        continue;
      }
      if (n <= 0) return; // the acceptor is gone
      frames.push(pipeReadBuf.subarray(0, n));
      for (let f = frames.next(); f !== null; f = frames.next()) if (f.type === FROM_ACCEPTOR.UNLISTENED) return;
    }
  }
}

/** Reads an OPEN frame's payload, or null when it is not one. */
function parseOpen(payload: Buffer): OpenInfo | null {
  let v: unknown;
  try {
    v = JSON.parse(payload.latin1Slice(0, payload.length));
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || !('listener' in v) || typeof v.listener !== 'number') return null;
  const str = (k: string): string | undefined => {
    const x: unknown = Reflect.get(v, k);
    return typeof x === 'string' ? x : undefined;
  };
  const num = (k: string): number | undefined => {
    const x: unknown = Reflect.get(v, k);
    return typeof x === 'number' ? x : undefined;
  };
  return {
    listener: v.listener,
    remoteAddress: str('remoteAddress'),
    remotePort: num('remotePort'),
    localAddress: str('localAddress'),
    localPort: num('localPort'),
  };
}

/**
 * The server's side of busy-script accepting: one acceptor relays for the
 * running script; earlier ones may still be handing connections back, and
 * are served by the script's tick too. Called by Server.beginBusy /
 * serveWhileBusy / endBusy / close.
 */
export class BusyRelay {
  private current: Acceptor | null = null;
  private readonly acceptors = new Set<Acceptor>();

  constructor(private readonly server: Server) {}

  /** A script turned busy: keep relaying through the acceptor not yet handing back, or start one. */
  begin(): void {
    for (const a of this.acceptors) a.busy = true;
    if (this.current !== null && this.current.resume()) return;
    this.current = null;
    const listeners = this.server.listener.listenerFds();
    if (listeners.length === 0) return;
    try {
      const a = new Acceptor(this, this.server, listeners);
      this.acceptors.add(a);
      this.current = a;
      this.server.log.verbose(`Accepting connections during the busy script through process ${a.pid}`);
    } catch (e) {
      this.server.log.warning(
        `Could not start the busy script acceptor (new connections wait for the script): ${(e as Error).message}`,
      );
    }
  }

  /** The script's tick: serve what the acceptors relayed (but the script's own client's input). */
  poll(except: Client | null): void {
    for (const a of this.acceptors) a.poll(except);
  }

  /** The script ended: the current acceptor hands its connections back at the next loop turn. */
  end(): void {
    for (const a of this.acceptors) a.scriptEnded(a === this.current);
  }

  /** An acceptor has exited. */
  forget(a: Acceptor): void {
    this.acceptors.delete(a);
    if (this.current === a) this.current = null;
  }

  /** The server closes: every acceptor first closes its listening sockets (see Acceptor.unlisten). */
  unlisten(): void {
    for (const a of this.acceptors) a.unlisten();
  }

  /** The server closes: every acceptor ends, with its connections. */
  close(): void {
    for (const a of [...this.acceptors]) a.shutdown();
    this.acceptors.clear();
    this.current = null;
  }
}
