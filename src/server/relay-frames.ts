/**
 * The framing between a server whose event loop a busy script holds and the
 * acceptor process it starts then (busy-relay.ts, busy-acceptor-child.ts).
 * Both directions are byte streams over a pipe; a frame is
 * `[type u8][connection id u32 BE][length u32 BE][payload]`. Connection ids
 * are the acceptor's own (1, 2, ...); id 0 is the acceptor as a whole.
 */
import { Buffer } from 'node:buffer';

/** Acceptor → server. */
export const FROM_ACCEPTOR = {
  /** A connection was accepted; payload: JSON {@link OpenInfo}. */
  OPEN: 1,
  /** Bytes the connection sent. */
  DATA: 2,
  /** The connection closed (by the peer, or an error); nothing follows for it. */
  CLOSED: 3,
  /** After STOP: every byte read from the connection was sent and every reply written; the server's socket takes over. */
  END: 4,
  /** (id 0) After HANDOVER: every connection has been OPENed (and its socket sent over IPC) before this. */
  LISTED: 5,
  /** The peer ended its side (EOF); the acceptor's side stays open until END or DESTROY. */
  ENDED: 6,
  /** (id 0) After UNLISTEN: the acceptor's listening sockets are closed. */
  UNLISTENED: 7,
} as const;

/** Server → acceptor. */
export const TO_ACCEPTOR = {
  /** Bytes to write to the connection. */
  WRITE: 11,
  /** Close the connection once what was written is sent (QUIT, a refused connection). */
  END: 12,
  /** Close the connection now (CLIENT KILL, shutdown). */
  DESTROY: 13,
  /** (id 0) Stop accepting, and send every connection's socket to the server over IPC (relaying on). */
  HANDOVER: 14,
  /** The server has the connection's socket: stop reading it, finish the writes, answer END. */
  STOP: 15,
  /** (id 0) The server shuts down: close the listening sockets now and answer UNLISTENED. */
  UNLISTEN: 16,
} as const;

/** The OPEN frame's payload: which listener accepted the connection, and its addresses. */
export interface OpenInfo {
  /** Index into the listeners the acceptor was given. */
  listener: number;
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
  localAddress?: string | undefined;
  localPort?: number | undefined;
}

const HEADER = 9;

/** One frame (type, connection id, payload) as `encodeFrame` lays it out. */
export function encodeFrame(type: number, id: number, payload?: Buffer | string): Buffer {
  const n =
    payload === undefined ? 0 : typeof payload === 'string' ? Buffer.byteLength(payload, 'latin1') : payload.length;
  const b = Buffer.allocUnsafe(HEADER + n);
  b[0] = type;
  b.writeUInt32BE(id, 1);
  b.writeUInt32BE(n, 5);
  if (typeof payload === 'string') b.latin1Write(payload, HEADER);
  else if (payload !== undefined) payload.copy(b, HEADER);
  return b;
}

export interface Frame {
  type: number;
  id: number;
  /** A view into the reader's memory; it stays valid (the reader never writes over bytes it handed out). */
  payload: Buffer;
}

/**
 * Cuts a byte stream into frames. `push` copies what it is given (callers
 * pass reused read buffers); `next` returns the next complete frame or null,
 * and advances before returning, so a frame's handler may push and read
 * frames itself (a busy script started by a relayed command reads on).
 */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);
  private off = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    const rest = this.buf.length - this.off;
    this.buf = rest === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf.subarray(this.off), chunk]);
    this.off = 0;
  }

  /** Bytes received and not yet returned as frames. */
  get buffered(): number {
    return this.buf.length - this.off;
  }

  next(): Frame | null {
    const b = this.buf;
    const at = this.off;
    if (b.length - at < HEADER) return null;
    const n = b.readUInt32BE(at + 5);
    if (b.length - at - HEADER < n) return null;
    this.off = at + HEADER + n;
    return { type: b[at]!, id: b.readUInt32BE(at + 1), payload: b.subarray(at + HEADER, at + HEADER + n) };
  }
}
