/**
 * Fast reads for accepted connections.
 *
 * A plain net.Socket delivers each read as a freshly allocated Buffer pushed
 * through the Readable stream machinery ('data' events). Node's documented
 * `onread` socket option instead reads into one caller-supplied buffer and
 * calls a function directly — measured at ~15% more throughput for pipelined
 * requests here (bench/). net.Server cannot pass `onread` to the sockets it
 * accepts, so the listener is created with `pauseOnConnect` (the accepted
 * socket never starts reading) and the connection's handle is moved into a new
 * Socket constructed with `onread`. The original Socket, now without a handle,
 * is destroyed: that only settles the listener's connection count (so
 * server.close() still completes) and closes nothing.
 *
 * All connections share one read buffer: the callback runs synchronously and
 * the parser copies whatever it keeps (RespParser.release()) before returning.
 * If the runtime does not expose the handle as expected, the plain socket is
 * used with 'data' events — same behaviour, slower.
 */
import { Buffer } from 'node:buffer';
import process from 'node:process';
import net from 'node:net';
import util from 'node:util';
import type tls from 'node:tls';

const READ_BUFFER_SIZE = 64 * 1024;
const shared = Buffer.allocUnsafe(READ_BUFFER_SIZE);

/** The parts of libuv's handle behind a socket or server (a Node internal) read here. */
interface UvHandle {
  fd?: unknown;
  readStart?: unknown;
  readStop?: unknown;
}

/**
 * What adoptSocket passes to net.Socket beyond @types/node's
 * SocketConstructorOpts: Node's `handle` (lib/net.js wraps an existing libuv
 * handle), `pauseOnCreate`, and `onread` (documented for connect(), honoured
 * by the constructor as well).
 */
interface AdoptedSocketOpts extends net.SocketConstructorOpts {
  handle: UvHandle;
  pauseOnCreate: boolean;
  onread: { buffer: Buffer; callback: (n: number, buf: Buffer) => void };
}

/** The libuv handle behind a net.Socket / net.Server / child stdio socket, or null. */
function handleOf(x: object): UvHandle | null {
  const h: unknown = Reflect.get(x, '_handle');
  return typeof h === 'object' && h !== null ? h : null;
}

/**
 * The file descriptor behind a socket, server or pipe as libuv reports it,
 * or -1 (no handle, or not a descriptor-backed one). Used to read and write
 * it synchronously while a busy script holds the event loop.
 */
export function handleFd(x: object): number {
  const fd = handleOf(x)?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : -1;
}

/**
 * Stops reading a socket for good, at the libuv level: net.Socket's pause()
 * only stops 'data' events (libuv keeps reading into the stream's buffer)
 * unless the socket reads with `onread`. What the stream had buffered goes
 * to `rest` first; then the handle stops, with its `reading` flag left set so
 * that the stream never starts it again. The busy acceptor
 * (busy-acceptor-child.ts) uses it before passing the socket to the server:
 * bytes that arrive later wait in the kernel for the socket's new owner.
 */
export function stopReading(sock: net.Socket, rest: (chunk: Buffer) => void): void {
  sock.pause();
  // (read() on a stream that never started reading would start it: only drain a non-empty buffer)
  while (sock.readableLength > 0) {
    const chunk: unknown = sock.read();
    if (!Buffer.isBuffer(chunk)) break;
    rest(chunk);
  }
  const h = handleOf(sock);
  if (h !== null && typeof h.readStop === 'function') h.readStop.call(h);
}

/**
 * Takes a socket accepted by a `pauseOnConnect` listener and returns the
 * socket to use, with `onChunk` called for every read: its bytes are the
 * first `n` of `buf`, which is only valid during the call. With `paused`, the returned socket does not read (not even
 * into a buffer: libuv is stopped) until its resume(); busy-relay.ts needs
 * that for a socket the acceptor process still reads, so it never falls back
 * to a plain socket.
 */
export function adoptSocket(
  sock: net.Socket,
  onChunk: (buf: Buffer, n: number) => void,
  opts: { paused?: boolean } = {},
): net.Socket {
  const handle = handleOf(sock);
  const paused = opts.paused === true;
  if ((process.env['TSDIS_PLAIN_SOCKETS'] && !paused) || handle === null || typeof handle.readStart !== 'function') {
    sock.on('data', (chunk: Buffer) => onChunk(chunk, chunk.length));
    sock.resume();
    return sock;
  }
  Reflect.set(sock, '_handle', null);
  sock.destroy();
  const sockOpts: AdoptedSocketOpts = {
    handle,
    readable: true,
    writable: true,
    // (Node's own option for sockets that must not read yet: readStop on the handle)
    pauseOnCreate: paused,
    // (the first n bytes of the shared buffer, passed as they are: a view
    // per read cost a typed-array construction and 94 bytes of garbage)
    onread: { buffer: shared, callback: (n: number, buf: Buffer) => onChunk(buf, n) },
  };
  return new net.Socket(sockOpts);
}

/**
 * Gives a TLS socket whose handshake is done the same fast reads: its
 * decrypted bytes go to `onChunk` in the shared buffer instead of through
 * the Readable stream. Node honours `onread` only for TLS sockets it
 * connects itself, so this sets what that option would have set: the
 * TLSWrap handle's user buffer (`useUserBuffer`, a method of every Node
 * stream handle) and the socket's kBuffer/kBufferCb fields, found by their
 * symbols' descriptions. Bytes the stream already buffered go to `onChunk`
 * first. When the runtime has no such fields, the socket reads through
 * 'data' events (same behaviour, slower). pause()/resume() keep working:
 * net.Socket stops the handle itself for a socket with a user buffer.
 */
export function fastTlsReads(sock: tls.TLSSocket, onChunk: (buf: Buffer, n: number) => void): void {
  const sym = (name: string) => Object.getOwnPropertySymbols(sock).find((s) => s.description === name);
  const kBuffer = sym('kBuffer');
  const kBufferCb = sym('kBufferCb');
  const handle: unknown = Reflect.get(sock, '_handle');
  const useUserBuffer =
    typeof handle === 'object' && handle !== null ? (Reflect.get(handle, 'useUserBuffer') as unknown) : undefined;
  if (
    process.env['TSDIS_PLAIN_SOCKETS'] ||
    kBuffer === undefined ||
    kBufferCb === undefined ||
    Reflect.get(sock, kBuffer) !== null ||
    typeof useUserBuffer !== 'function'
  ) {
    sock.on('data', (chunk: Buffer) => onChunk(chunk, chunk.length));
    return;
  }
  while (sock.readableLength > 0) {
    const chunk: unknown = sock.read();
    if (!Buffer.isBuffer(chunk)) break;
    onChunk(chunk, chunk.length);
  }
  useUserBuffer.call(handle, shared);
  Reflect.set(sock, kBuffer, shared);
  Reflect.set(sock, kBufferCb, (n: number, buf: Buffer) => onChunk(buf, n));
  sock.resume();
}

/** Whether a peer address is loopback (protected mode lets these in, as do enable-*-command local). */
export function isLoopback(a: string): boolean {
  return a === '::1' || a.startsWith('127.') || a.startsWith('::ffff:127.');
}

/**
 * Node's stream binding, as its own net.Socket uses it to write: the
 * WriteWrap request class and the shared state where a write reports
 * whether it completed at once. `process.binding('stream_wrap')` is in
 * Node's allow-list (DEP0111 is documentation-only); null when the runtime
 * lacks it (then every write goes through socket.write).
 */
interface StreamWrapBinding {
  WriteWrap: new () => WriteReq;
  streamBaseState: Int32Array;
  kLastWriteWasAsync: number;
}

/** A WriteWrap: the fields Node's own write requests carry (stream_base_commons createWriteWrap). */
interface WriteReq {
  handle: unknown;
  oncomplete: (status: number) => void;
  async: boolean;
  bytes: number;
  buffer: null;
  callback: null;
}

/** The libuv stream handle's write method and queue size (LibuvStreamWrap). */
interface WritableHandle {
  writeLatin1String(req: WriteReq, data: string): number;
  readonly writeQueueSize: number;
}

function loadStreamWrap(): StreamWrapBinding | null {
  try {
    const b = (process as unknown as { binding(name: string): unknown }).binding('stream_wrap');
    if (typeof b !== 'object' || b === null) return null;
    const WriteWrap: unknown = Reflect.get(b, 'WriteWrap');
    const state: unknown = Reflect.get(b, 'streamBaseState');
    const k: unknown = Reflect.get(b, 'kLastWriteWasAsync');
    if (typeof WriteWrap !== 'function' || !(state instanceof Int32Array) || typeof k !== 'number') return null;
    return { WriteWrap: WriteWrap as StreamWrapBinding['WriteWrap'], streamBaseState: state, kLastWriteWasAsync: k };
  } catch {
    return null;
  }
}

let streamWrap: StreamWrapBinding | null | undefined;

/** An error as Node's write would have raised it (ErrnoException: code, errno, syscall). */
function writeError(status: number): Error {
  let code = 'EIO';
  try {
    code = util.getSystemErrorName(status);
  } catch {
    // (not a system error number: EIO)
  }
  return Object.assign(new Error(`write ${code}`), { code, errno: status, syscall: 'write' });
}

/**
 * Writes a connection's replies through its libuv handle, as net.Socket's
 * write does underneath, without the Writable stream around it: Node's
 * stream layer allocates a write request, a callback and its state per
 * write (223 of the 672 bytes a SET allocated) and defers its completion to
 * a nextTick. Here one request object serves every write that completes at
 * once (the handle writes with uv_try_write first and does not keep the
 * request then); a write that the kernel cannot take whole keeps its
 * request until libuv finishes it (`pending` bytes meanwhile, counted in
 * the client's output buffer: clientSocketUnsent), and the next write goes
 * through socket.write behind it, in order (libuv queues it). Used only when
 * the stream has nothing queued itself, so the stream's and libuv's queues
 * stay in order; errors destroy the socket as the stream would ('error',
 * then 'close'). `drained` is called when a pending write finishes.
 */
export class DirectWriter {
  /** Bytes of the last write still held by libuv (it went asynchronous), else 0. */
  pending = 0;
  private req: WriteReq;

  private constructor(
    private readonly sock: net.Socket,
    private readonly handle: WritableHandle,
    private readonly binding: StreamWrapBinding,
    private readonly drained: () => void,
  ) {
    this.req = this.newReq();
  }

  /** A writer for an adopted socket (adoptSocket), or null when its handle or Node's binding is not as expected. */
  static for(sock: net.Socket, drained: () => void): DirectWriter | null {
    if (process.env['TSDIS_PLAIN_SOCKETS']) return null;
    if (streamWrap === undefined) streamWrap = loadStreamWrap();
    if (streamWrap === null) return null;
    const h = handleOf(sock);
    if (h === null || typeof Reflect.get(h, 'writeLatin1String') !== 'function') return null;
    return new DirectWriter(sock, h as unknown as WritableHandle, streamWrap, drained);
  }

  private newReq(): WriteReq {
    const req = new this.binding.WriteWrap();
    req.handle = this.handle;
    req.oncomplete = this.onComplete;
    req.async = false;
    req.bytes = 0;
    req.buffer = null;
    req.callback = null;
    return req;
  }

  /** Writes `data` (latin1): through the handle when nothing is queued before it, else through the stream. */
  write(data: string): void {
    const sock = this.sock;
    if (this.pending !== 0 || sock.writableLength !== 0 || sock.destroyed || sock.connecting) {
      sock.write(data, 'latin1');
      return;
    }
    const req = this.req;
    const err = this.handle.writeLatin1String(req, data);
    if (err !== 0) {
      sock.destroy(writeError(err));
      return;
    }
    if (this.binding.streamBaseState[this.binding.kLastWriteWasAsync] !== 0) {
      // libuv holds the rest, and this request until it is written
      const queued = this.handle.writeQueueSize;
      this.pending = typeof queued === 'number' && queued > 0 ? queued : data.length;
      this.req = this.newReq();
    }
  }

  /** libuv finished an asynchronous write (a request's oncomplete; `this` is not used). */
  private readonly onComplete = (status: number): void => {
    this.pending = 0;
    if (this.sock.destroyed) return;
    if (status < 0) {
      this.sock.destroy(writeError(status));
      return;
    }
    this.drained();
  };
}
