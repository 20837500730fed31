/**
 * MIGRATE's synchronous exchange with a target server, from the main thread.
 *
 * Redis blocks its whole server while MIGRATE talks to the target (up to
 * `timeout` per read or write): nothing else runs, so the keys it moves
 * cannot change between being serialized and being deleted. tsdis does the
 * same without a busy-wait: a worker thread (migrate-worker.ts) owns the
 * target connections and does the socket I/O on its own event loop, while
 * the main thread sleeps in Atomics.wait on a SharedArrayBuffer until the
 * worker has written the outcome there (layout: migrate-layout.ts). The
 * worker is started on the first MIGRATE, kept (unref'd, so it never holds
 * the process open) with its cached connections, and terminated when the
 * server closes.
 *
 * Measured (bench/migrate.ts, README's MIGRATE paragraph): a one-key
 * MIGRATE takes about twice redis-server's time, the two thread hand-offs
 * (postMessage waking the worker, Atomics.notify waking this thread) being
 * the difference; with 100 keys per MIGRATE the two are even. (Writing the
 * request from this thread on the worker's socket would save the first
 * hand-off; not done: the socket belongs to the worker's event loop.)
 */
import { Buffer } from 'node:buffer';
import { Worker } from 'node:worker_threads';
import * as L from './migrate-layout.js';
import type { Subsystem } from '../server/subsystem.js';

/** One MIGRATE exchange (see migrate-worker.ts for what is sent). */
export interface MigrateRequest {
  host: string;
  port: string;
  /** ms, > 0: per connect, per 64 KB written, per reply byte awaited. */
  timeout: number;
  /** The target database, as SELECT's argument. */
  dbid: string;
  auth: string[] | null;
  /** The RESTORE commands, RESP encoded (latin1). */
  body: string;
  count: number;
}

/** What the exchange ended with. */
export type MigrateOutcome =
  | { kind: 'connect' }
  | { kind: 'write' }
  /** `ok[i]`: RESTORE i was read and is not an error (nor was AUTH or SELECT); `error`: the line Redis quotes. */
  | { kind: 'replies'; ok: boolean[]; error: string; readFailed: boolean };

const INITIAL_BYTES = 64 * 1024;

export class MigrateLink {
  private readonly worker: Worker;
  private sab: SharedArrayBuffer;
  private hdr: Int32Array;
  private bytes: Uint8Array;
  private seq = 0;
  /** Set when the worker failed: the next MIGRATE starts a new link. */
  broken = false;

  constructor() {
    this.sab = new SharedArrayBuffer(L.HEADER_BYTES + INITIAL_BYTES);
    this.hdr = new Int32Array(this.sab, 0, L.HEADER_WORDS);
    this.bytes = new Uint8Array(this.sab, L.HEADER_BYTES);
    this.worker = new Worker(new URL('./migrate-worker.js', import.meta.url), { workerData: { sab: this.sab } });
    this.worker.unref();
    this.worker.on('error', () => {
      this.broken = true;
    });
    this.worker.on('exit', () => {
      this.broken = true;
    });
  }

  /** How many target connections the worker keeps (INFO migrate_cached_sockets). */
  cachedSockets(): number {
    return Atomics.load(this.hdr, L.CACHED);
  }

  /**
   * Runs one exchange and blocks the calling thread until it ends. The
   * worker enforces the timeouts; `cap` ms bounds the wait should the
   * worker itself fail (then the connection is dropped and the outcome is
   * a read error, as a timeout would be).
   */
  exchange(req: MigrateRequest, cap: number): MigrateOutcome {
    const seq = (this.seq = (this.seq + 1) | 0);
    let sab: SharedArrayBuffer | undefined;
    if (this.bytes.length < req.count + 1100) {
      sab = new SharedArrayBuffer(L.HEADER_BYTES + Math.max(req.count + 1100, this.bytes.length * 2));
      const hdr = new Int32Array(sab, 0, L.HEADER_WORDS);
      Atomics.store(hdr, L.SEQ, Atomics.load(this.hdr, L.SEQ));
      Atomics.store(hdr, L.CACHED, Atomics.load(this.hdr, L.CACHED));
      this.sab = sab;
      this.hdr = hdr;
      this.bytes = new Uint8Array(sab, L.HEADER_BYTES);
    }
    this.worker.postMessage({ ...req, seq, sab });
    const deadline = Date.now() + cap;
    for (;;) {
      const cur = Atomics.load(this.hdr, L.SEQ);
      if (cur === seq) break;
      const left = deadline - Date.now();
      if (left <= 0) {
        this.worker.postMessage({ drop: `${req.host}:${req.port}` });
        return { kind: 'replies', ok: [], error: '', readFailed: true };
      }
      Atomics.wait(this.hdr, L.SEQ, cur, left);
    }
    const status = Atomics.load(this.hdr, L.STATUS);
    if (status === L.ST_CONNECT_ERR) return { kind: 'connect' };
    if (status === L.ST_WRITE_ERR) return { kind: 'write' };
    const read = Atomics.load(this.hdr, L.READ);
    const errLen = Atomics.load(this.hdr, L.ERRLEN);
    const ok: boolean[] = [];
    for (let i = 0; i < read; i++) ok.push(this.bytes[i] === 1);
    const error = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + read, errLen).latin1Slice(0, errLen);
    return { kind: 'replies', ok, error, readFailed: status === L.ST_READ_ERR };
  }

  /** Stops the worker (closing its connections). */
  close(): void {
    this.broken = true;
    void this.worker.terminate();
  }
}

/**
 * The server's link to its MIGRATE worker as a subsystem (Server.migrate):
 * started on the first MIGRATE, started again after the worker failed, and
 * ended when the server closes.
 */
export class MigrateLinks implements Subsystem {
  private current: MigrateLink | null = null;

  /** The live link, made (or made again, the broken one ended) on demand. */
  link(): MigrateLink {
    let l = this.current;
    if (l === null || l.broken) {
      l?.close();
      this.current = l = new MigrateLink();
    }
    return l;
  }

  /** INFO migrate_cached_sockets: the worker's cached target connections (0 before the first MIGRATE). */
  cachedSockets(): number {
    return this.current?.cachedSockets() ?? 0;
  }

  /** Subsystem: the worker stops, closing its connections. */
  close(): void {
    this.current?.close();
  }
}
