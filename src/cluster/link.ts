/**
 * One TCP connection of the cluster bus (Redis's clusterLink): outbound to
 * a node we know (made by the cluster's cron), or inbound, accepted on the
 * bus port, bound to its node once a message names it. Frames messages as
 * Redis's clusterReadHandler does: the first 8 bytes must be "RCmb" and a
 * totlen of at least the header's size, else the link is closed with a log
 * line; a message is handed to the cluster once whole. A peer that sends
 * garbage or hangs up mid-message costs only its link.
 */
import type net from 'node:net';
import { HEADER_LEN, SIG } from './message.js';
import type { ClusterNode } from './node.js';

/** What a link reports to its owner (the Cluster). */
export interface LinkOwner {
  /** A whole message arrived; returns false when the link was freed while handling it. */
  received(link: Link, buf: Buffer): boolean;
  /** The link is gone (closed by either side, or freed). */
  closed(link: Link): void;
  /** A log line at warning level. */
  warning(line: string): void;
}

/** Largest message accepted (a PING gossiping about 65535 nodes with extensions stays far below). */
const MAX_MESSAGE = 64 * 1024 * 1024;

export class Link {
  readonly ctime: number;
  /** The node this link talks to; null for an inbound link not yet identified. */
  node: ClusterNode | null;
  /** Accepted from the peer (true) or opened by us. */
  readonly inbound: boolean;
  /** Connected (outbound: once the TCP connect completed). */
  connected: boolean;
  freed = false;
  private chunks: Buffer[] = [];
  private have = 0;
  /** Messages queued before the connect completed. */
  private pending: Buffer[] = [];

  constructor(
    readonly sock: net.Socket,
    node: ClusterNode | null,
    inbound: boolean,
    now: number,
    private readonly owner: LinkOwner,
  ) {
    this.node = node;
    this.inbound = inbound;
    this.connected = inbound;
    this.ctime = now;
    sock.setNoDelay(true);
    sock.on('data', (d: Buffer) => this.onData(d));
    sock.on('error', () => {});
    sock.on('close', () => this.free());
  }

  /** Bytes waiting to be written (CLUSTER LINKS' send-buffer figures). */
  get sendBufferBytes(): number {
    let n = this.sock.writableLength;
    for (const p of this.pending) n += p.length;
    return n;
  }

  /** The outbound connect completed: what was queued goes out. */
  onConnect(): void {
    this.connected = true;
    const p = this.pending;
    this.pending = [];
    for (const b of p) this.sock.write(b);
  }

  send(buf: Buffer): void {
    if (this.freed) return;
    if (!this.connected) this.pending.push(buf);
    else this.sock.write(buf);
  }

  /** Closes the link (idempotent); the owner hears closed() once. */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.sock.destroy();
    this.chunks = [];
    this.pending = [];
    this.owner.closed(this);
  }

  /** The peer's address for log lines. */
  private peer(): string {
    const a = this.sock.remoteAddress;
    return a === undefined ? '' : ` from ${a}:${this.sock.remotePort}`;
  }

  private onData(d: Buffer): void {
    if (this.freed) return;
    this.chunks.push(d);
    this.have += d.length;
    while (this.have >= 8) {
      const head = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      if (this.chunks.length !== 1) this.chunks = [head];
      const totlen = head.readUInt32BE(4);
      if (head.latin1Slice(0, 4) !== SIG || totlen < HEADER_LEN || totlen > MAX_MESSAGE) {
        this.owner.warning(`Bad message length or signature received on the Cluster bus${this.peer()}`);
        this.free();
        return;
      }
      if (this.have < totlen) return;
      const msg = head.subarray(0, totlen);
      const rest = head.subarray(totlen);
      this.chunks = rest.length === 0 ? [] : [rest];
      this.have = rest.length;
      if (!this.owner.received(this, msg) || this.freed) return;
    }
  }
}
