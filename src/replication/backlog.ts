/**
 * The shared replication buffer (Redis 7's repl_buffer_blocks and
 * repl_backlog): the replication stream is appended once, to a list of
 * blocks, and everything that still needs some of it holds a reference
 * into that list instead of a copy: the backlog (its first block, so a
 * replica that lost its link can continue from any offset still held:
 * +CONTINUE) and each replica (the block holding the next byte its socket
 * has not been handed: ReplicaLink.refBlock/refPos). A block counts its
 * references; references only ever move towards the tail.
 *
 * repl-backlog-size is a limit on what the backlog keeps for itself: the
 * head block is dropped once the backlog holds more than the limit without
 * it, and only when the backlog is its last reference. A replica still
 * behind (one being synced, or slow to read) keeps its blocks and all after
 * them alive, so the backlog can hold more than repl-backlog-size, and a
 * replica reconnecting meanwhile can continue from it; when that replica
 * leaves or catches up, trim() frees the excess, a bounded number of blocks
 * per call. Offsets are replication offsets: the stream's first byte is 1,
 * and `end` is the offset of the last byte written (master_repl_offset).
 *
 * Used by replication.ts (append, trim, resize, rebase) and primary.ts
 * (replicas' references, PSYNC's tail, output-buffer limits).
 */

import { Buffer } from 'node:buffer';
import { commandLength, encodeCommand, writeCommand } from '../persistence/aof-format.js';
import { DOUBLE_ZERO } from '../util/numbers.js';

/** Bytes a block costs besides its data: the block object and its Buffer's (counted in `mem`). */
export const BLOCK_OVERHEAD = 96;
/** The smallest block (Redis's PROTO_REPLY_CHUNK_BYTES). */
export const MIN_BLOCK = 16 * 1024;
/** Blocks trim() drops per call (Redis's REPL_BACKLOG_TRIM_BLOCKS_PER_CALL). */
export const TRIM_BLOCKS_PER_CALL = 64;

/** One block of the shared buffer. Bytes [0, used) are never written again (sockets may hold views of them). */
export class ReplBlock {
  /** Bytes written. */
  used = 0;
  /** References: the backlog (when it is the head) and the replicas whose next byte is in it. */
  refcount = 0;
  next: ReplBlock | null = null;

  constructor(
    readonly buf: Buffer,
    /** Position in the list since the backlog was made (a replica's block count: tail.id - id + 1). */
    readonly id: number,
    /** Replication offset of its first byte. */
    public offset: number,
  ) {}
}

export class Backlog {
  /** The first block: the backlog's own reference (null until the first byte). */
  head: ReplBlock | null = null;
  tail: ReplBlock | null = null;
  /** Bytes the backlog holds, head to tail (repl_backlog_histlen). */
  histlen = 0;
  /** Bytes the blocks take, overhead included (repl_buffer_mem: mem_total_replication_buffers). */
  mem = 0;
  /** Blocks in the list. */
  blocks = 0;
  /** Replication offset of the last byte written. */
  private end: number = DOUBLE_ZERO;
  /**
   * The memory of the last block trimmed, for the next block of its size
   * (a steady stream allocates none: measured 5% of the feed path's CPU
   * with a new 16 KB Buffer every 16 KB). Safe: trimmed blocks have no
   * reference, and no view of a block's memory leaves this file's callers
   * (sockets are handed copies: primary.ts pump).
   */
  private spare: Buffer | null = null;
  private nextId = 0;

  /**
   * An empty backlog of limit `size` (repl-backlog-size) whose next byte
   * will be offset `end + 1`. `minBlock`: the smallest block (tests use
   * small ones).
   */
  constructor(
    public size: number,
    end: number,
    private readonly minBlock = MIN_BLOCK,
  ) {
    this.end = end;
  }

  /** The offset of the first byte held (repl_backlog_first_byte_offset); end + 1 when empty. */
  get firstOffset(): number {
    return this.end - this.histlen + 1;
  }

  /**
   * Appends stream bytes (a latin1 string, written in place without an
   * intermediate Buffer, or a Buffer): the tail's free room first, then new
   * blocks of at least minBlock bytes and at most size/16 (or minBlock when
   * larger), so a block never pins much more than what a reference needs.
   * Returns whether a block was added; the caller then trims (after taking
   * any reference it needs to where the bytes begin).
   */
  append(data: string | Buffer): boolean {
    const len = data.length;
    let from = 0;
    let added = false;
    while (from < len) {
      let t = this.tail;
      if (t === null || t.used === t.buf.length) {
        const limit = Math.max(Math.floor(this.size / 16), this.minBlock);
        const n = Math.min(Math.max(len - from, this.minBlock), limit);
        const spare = this.spare;
        this.spare = null;
        const b = new ReplBlock(
          spare !== null && spare.length === n ? spare : Buffer.allocUnsafe(n),
          this.nextId++,
          this.end + 1,
        );
        if (t === null) {
          // the backlog's reference: always the head
          this.head = b;
          b.refcount = 1;
        } else t.next = b;
        this.tail = t = b;
        this.blocks++;
        this.mem += n + BLOCK_OVERHEAD;
        added = true;
      }
      const n = Math.min(t.buf.length - t.used, len - from);
      // (latin1Write: Buffer.write's argument checks and encoding lookup cost more than the copy of a short command)
      if (typeof data === 'string') t.buf.latin1Write(n === len ? data : data.slice(from, from + n), t.used, n);
      else data.copy(t.buf, t.used, from, from + n);
      t.used += n;
      from += n;
      this.end += n;
      this.histlen += n;
    }
    return added;
  }

  /**
   * Appends one command in RESP (`argv`), preceded by a SELECT of `select`
   * when that is not -1. When it fits in the tail's free room (the common
   * case) it is encoded straight into the block's bytes: no string is built
   * for it (building one, copying it in and joining the turn's showed as
   * ~13% of a pipelined SET's samples: bench/RESULTS.md). Otherwise it goes
   * through append(), whose answer it returns.
   */
  appendCommand(argv: readonly string[], select: number): boolean {
    const sel = select === -1 ? null : selectArgv(select);
    const len = (sel === null ? 0 : commandLength(sel)) + commandLength(argv);
    const t = this.tail;
    if (t === null || t.buf.length - t.used < len) {
      return this.append((sel === null ? '' : encodeCommand(sel)) + encodeCommand(argv));
    }
    let p = t.used;
    if (sel !== null) p = writeCommand(t.buf, p, sel);
    writeCommand(t.buf, p, argv);
    t.used += len;
    this.end += len;
    this.histlen += len;
    return false;
  }

  /** The latest replication offset (master_repl_offset's part held here: the last byte written). */
  get lastOffset(): number {
    return this.end;
  }

  /** The bytes from `pos` in `block` to the tail's end, as a latin1 string (what a caught-up replica is sent). */
  textFrom(block: ReplBlock, pos: number): string {
    let s = block.buf.latin1Slice(pos, block.used);
    for (let b = block.next; b !== null; b = b.next) s += b.buf.latin1Slice(0, b.used);
    return s;
  }

  /**
   * Drops head blocks while the backlog holds more than its limit without
   * them and it is their last reference, at most `max` per call (Redis's
   * incrementalTrimReplicationBacklog): never the last block.
   */
  trim(max: number): void {
    let n = 0;
    while (this.histlen > this.size && n < max) {
      const h = this.head;
      if (h === null || h.next === null || h.refcount !== 1) break;
      if (this.histlen - h.used <= this.size) break;
      h.refcount = 0;
      this.histlen -= h.used;
      this.mem -= h.buf.length + BLOCK_OVERHEAD;
      this.blocks--;
      this.head = h.next;
      this.head.refcount++;
      h.next = null;
      this.spare = h.buf;
      n++;
    }
  }

  /**
   * Whether the stream from offset `from` (the first byte a replica lacks:
   * its PSYNC offset) to the end is held: from firstOffset to end + 1.
   */
  holds(from: number): boolean {
    return from >= this.firstOffset && from <= this.end + 1;
  }

  /**
   * The block holding offset `from` and the position in it (holds(from)
   * must be true; `end + 1`: the tail's end); null when nothing is held.
   * Walks from the head: a PSYNC's cost, not a per-command one.
   */
  locate(from: number): { block: ReplBlock; pos: number } | null {
    let b = this.head;
    while (b !== null && b.offset + b.used < from) b = b.next;
    return b === null ? null : { block: b, pos: from - b.offset };
  }

  /** The bytes from offset `from` to the end (holds(from) must be true): tests and diagnostics. */
  since(from: number): Buffer {
    const at = this.locate(from);
    if (at === null) return Buffer.alloc(0);
    const parts: Buffer[] = [at.block.buf.subarray(at.pos, at.block.used)];
    for (let b = at.block.next; b !== null; b = b.next) parts.push(b.buf.subarray(0, b.used));
    return Buffer.concat(parts);
  }

  /**
   * Bytes a reference to `block` keeps alive: from its start to the tail's
   * end, free room included, plus each block's overhead (what Redis's
   * getClientOutputBufferMemoryUsage counts for a replica). O(1).
   */
  bytesFrom(block: ReplBlock): number {
    const t = this.tail!;
    return t.offset + t.buf.length - block.offset + (t.id - block.id + 1) * BLOCK_OVERHEAD;
  }

  /** Moves every offset so that the last byte held is `end` (a restart's rebase on the RDB's offset). */
  rebase(end: number): void {
    const d = end - this.end;
    this.end = end;
    for (let b = this.head; b !== null; b = b.next) b.offset += d;
  }

  /** A new limit (CONFIG SET repl-backlog-size): what is now beyond it is trimmed (incrementally). */
  resize(size: number): void {
    this.size = Math.max(1, size);
    this.trim(TRIM_BLOCKS_PER_CALL);
  }
}

/** SELECT's argv for database `db` (the stream's first effect in a database). */
function selectArgv(db: number): string[] {
  return ['SELECT', String(db)];
}
