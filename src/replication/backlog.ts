/**
 * The replication backlog (Redis's repl_backlog): a ring buffer holding the
 * last `size` bytes of the replication stream, so a replica that lost its
 * link can continue (+CONTINUE) from the offset it had instead of taking a
 * full resync. Offsets are replication offsets: the stream's first byte is
 * offset 1, and master_repl_offset is the offset of the last byte written.
 */
export class Backlog {
  private buf: Buffer;
  /** Next write position in buf. */
  private idx = 0;
  /** Bytes held (Redis's repl_backlog_histlen), at most buf.length. */
  histlen = 0;
  /** Replication offset of the last byte held (master_repl_offset as the backlog knows it). */
  private end: number;

  /** An empty backlog of `size` bytes whose next byte will be offset `end + 1`. */
  constructor(size: number, end: number) {
    this.buf = Buffer.allocUnsafe(Math.max(1, size));
    this.end = end;
  }

  /** Its capacity (repl-backlog-size). */
  get size(): number {
    return this.buf.length;
  }

  /** The offset of the first byte held (repl_backlog_first_byte_offset); end + 1 when empty. */
  get firstOffset(): number {
    return this.end - this.histlen + 1;
  }

  /**
   * Appends stream bytes (a latin1 string, written in place without an
   * intermediate Buffer, or a Buffer), dropping the oldest beyond the capacity.
   */
  append(data: string | Buffer): void {
    const cap = this.buf.length;
    const len = data.length;
    this.end += len;
    let from = len > cap ? len - cap : 0;
    while (from < len) {
      const n = Math.min(cap - this.idx, len - from);
      if (typeof data === 'string') this.buf.write(data.slice(from, from + n), this.idx, n, 'latin1');
      else data.copy(this.buf, this.idx, from, from + n);
      this.idx = (this.idx + n) % cap;
      from += n;
    }
    this.histlen = Math.min(cap, this.histlen + len);
  }

  /**
   * Whether the stream from offset `from` (the first byte a replica lacks:
   * its PSYNC offset) to the end is held: from firstOffset to end + 1.
   */
  holds(from: number): boolean {
    return from >= this.firstOffset && from <= this.end + 1;
  }

  /** The bytes from offset `from` to the end (holds(from) must be true). */
  since(from: number): Buffer {
    const n = this.end + 1 - from;
    if (n <= 0) return Buffer.alloc(0);
    const cap = this.buf.length;
    const start = (this.idx - n + cap) % cap;
    if (start + n <= cap) return Buffer.from(this.buf.subarray(start, start + n));
    return Buffer.concat([this.buf.subarray(start), this.buf.subarray(0, n - (cap - start))]);
  }

  /** Moves the offsets of what is held so that its last byte is `end` (a restart's rebase on the RDB's offset). */
  rebase(end: number): void {
    this.end = end;
  }

  /** A new capacity (CONFIG SET repl-backlog-size), keeping the newest bytes that fit. */
  resize(size: number): void {
    size = Math.max(1, size);
    if (size === this.buf.length) return;
    const keep = this.since(this.firstOffset);
    const end = this.end;
    this.buf = Buffer.allocUnsafe(size);
    this.idx = 0;
    this.histlen = 0;
    this.end = end - keep.length;
    this.append(keep);
  }
}
