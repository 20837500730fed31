/**
 * One TCP connection of the cluster bus (Redis's clusterLink): outbound to
 * a node we know (made by the cluster's cron), or inbound, accepted on the
 * bus port, bound to its node once a message names it. Frames messages as
 * Redis's clusterReadHandler does: the first 8 bytes must be "RCmb" and a
 * totlen of at least the header's size, else the link is closed with a log
 * line; a message is handed to the cluster once whole. A peer that sends
 * garbage or hangs up mid-message costs only its link.
 *
 * Its send queue is Redis's send_msg_queue: a message stays in it until the
 * socket's write callback says it went to the kernel (or, before the connect
 * completed, until then), so a peer that stops reading makes it grow. Its
 * size is counted as 7.2 counts it (sendQueueMem: CLUSTER LINKS'
 * send-buffer-* and the cluster-link-sendbuf-limit check in the cron).
 */
import { Buffer } from 'node:buffer';
import type net from 'node:net';
import { HEADER_LEN, SIG } from './message.js';
import type { ClusterNode } from './node.js';
import { DOUBLE_ZERO } from '../util/numbers.js';

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

/**
 * Redis 7.2's accounting of a link's memory, on 64-bit Linux: its queue is an
 * adlist (sizeof(list) 48 bytes, a 24-byte listNode per message), each
 * message a clusterMsgSendBlock (the message after a 16-byte header of
 * length and refcount, shared by the links it is queued on), and its
 * receive buffer starts at 1024 bytes (RCVBUF_INIT_LEN), growing to twice
 * what a long message needs (by 1 MB past 1 MB) until it is processed.
 */
export const LINK_LIST_BYTES = 48;
export const LINK_LIST_NODE_BYTES = 24;
export const LINK_BLOCK_HEADER_BYTES = 16;
const RCVBUF_INIT_LEN = 1024;
const RCVBUF_MAX_PREALLOC = 1024 * 1024;

export class Link {
  readonly ctime: number = DOUBLE_ZERO;
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
  /** Messages handed to the socket whose write callback has not come yet, oldest first. */
  private inflight: Buffer[] = [];
  /** Bytes of the messages in pending and inflight. */
  private queuedBytes = 0;

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

  /** Messages queued and not yet written to the kernel. */
  get queuedMessages(): number {
    return this.pending.length + this.inflight.length;
  }

  /**
   * Redis's send_msg_queue_mem: the list, a node and a send block per queued
   * message (CLUSTER LINKS' send-buffer-allocated and -used, and what
   * cluster-link-sendbuf-limit is compared with).
   */
  get sendQueueMem(): number {
    const n = this.queuedMessages;
    return LINK_LIST_BYTES + n * (LINK_LIST_NODE_BYTES + LINK_BLOCK_HEADER_BYTES) + this.queuedBytes;
  }

  /** The queued messages (mem_cluster_links counts a message queued on several links once). */
  *queued(): IterableIterator<Buffer> {
    yield* this.pending;
    yield* this.inflight;
  }

  /** Redis's rcvbuf_alloc: 1024 bytes, more while a longer message is partly read. */
  get rcvbufAlloc(): number {
    const h = this.have;
    if (h <= RCVBUF_INIT_LEN) return RCVBUF_INIT_LEN;
    return h < RCVBUF_MAX_PREALLOC ? h * 2 : h + RCVBUF_MAX_PREALLOC;
  }

  /** The outbound connect completed: what was queued goes out. */
  onConnect(): void {
    this.connected = true;
    const p = this.pending;
    this.pending = [];
    for (const b of p) this.write(b);
  }

  /** Queues `buf`; it leaves the queue once written to the kernel. */
  send(buf: Buffer): void {
    if (this.freed) return;
    this.queuedBytes += buf.length;
    if (!this.connected) this.pending.push(buf);
    else this.write(buf);
  }

  /** Hands a queued message to the socket (callbacks come in write order: the oldest leaves the queue). */
  private write(buf: Buffer): void {
    this.inflight.push(buf);
    this.sock.write(buf, () => {
      if (this.freed) return;
      const b = this.inflight.shift();
      if (b !== undefined) this.queuedBytes -= b.length;
    });
  }

  /** Closes the link (idempotent); the owner hears closed() once. */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.sock.destroy();
    this.chunks = [];
    this.have = 0;
    this.pending = [];
    this.inflight = [];
    this.queuedBytes = 0;
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
