/**
 * The MIGRATE worker thread: holds the cached connections to MIGRATE
 * targets (Redis's migrate_cached_sockets) and runs one exchange at a time
 * for the main thread, which sleeps in Atomics.wait meanwhile (see
 * migrate-link.ts for why and for the shared-memory layout).
 *
 * One exchange is Redis 7.2's migrateCommand socket part: take the cached
 * connection for host:port or connect (timeout ms), write AUTH, SELECT (only
 * when the connection's last database differs) and the RESTOREs in 64 KB
 * chunks, then read one line per command, each read or write chunk failing
 * after `timeout` ms without progress. When the connection fails before the
 * first RESTORE reply (a cached connection the target closed, typically) and
 * not by a timeout, the connection is dropped and the exchange tried once
 * more on a new one. What was read is written back as: a status, one byte
 * per RESTORE reply read (1 = not an error), and the error line Redis would
 * quote (AUTH's, else SELECT's, else the first failed RESTORE's).
 *
 * Connections unused for more than 10 s are closed by a 1 s sweep (Redis's
 * serverCron); at most 64 are kept (a random one goes for a new one). The
 * thread lives as long as the server that started it (terminated on close).
 */
import { Buffer } from 'node:buffer';
import { parentPort, workerData } from 'node:worker_threads';
import net from 'node:net';
import * as L from './migrate-layout.js';

/** A request from the main thread (migrate-link.ts's MigrateRequest, plus its sequence number). */
interface Request {
  seq: number;
  host: string;
  port: string;
  timeout: number;
  dbid: string;
  /** [password] or [username, password], or null. */
  auth: string[] | null;
  /** The RESTORE commands, RESP encoded (latin1). */
  body: string;
  /** How many RESTORE commands body holds. */
  count: number;
  /** A larger shared buffer to use from now on, when the results outgrew the old one. */
  sab?: SharedArrayBuffer;
}

/** One cached connection and its read buffer. */
interface Conn {
  sock: net.Socket;
  /**
   * The database the target has selected on it, as SELECT's argument; "-1"
   * when unknown (new, or after an error), as Redis keeps it: a MIGRATE to
   * database -1 then sends no SELECT.
   */
  lastDbid: string;
  /** Seconds (Date.now) of the last use, for the 10 s expiry. */
  lastUse: number;
  pending: Buffer;
  /** Set once the socket ended, closed or failed: reads fail when the buffer runs out. */
  eof: boolean;
  /** Called when data arrives, the socket ends or a write completes. */
  wake: (() => void) | null;
  /** Writes handed to the socket whose completion has not been reported yet. */
  writesPending: number;
  /** Set when a write failed. */
  writeFailed: boolean;
}

/** What one attempt ended with. */
type Failure =
  { kind: 'connect' } | { kind: 'write'; timedOut: boolean } | { kind: 'read'; timedOut: boolean; read: number };

const CACHE_MAX = 64;
const CACHE_TTL_S = 10;
/** Redis reads each reply line into a 1024-byte buffer: at most 1023 bytes. */
const LINE_MAX = 1023;
const CHUNK = 64 * 1024;
/** Node's timers take at most this many ms. */
const MAX_TIMER = 2 ** 31 - 1;

const nowSec = () => Math.floor(Date.now() / 1000);

/** C's atoi (glibc: (int)strtol): leading blanks, sign, digits; the 64-bit clamp, then 32 bits. */
function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  if (m === null) return 0;
  let v = BigInt(m[1]!);
  if (v > 9223372036854775807n) v = 9223372036854775807n;
  if (v < -9223372036854775808n) v = -9223372036854775808n;
  return Number(BigInt.asIntN(32, v));
}

/** A RESP command (latin1). */
function resp(args: string[]): string {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${a.length}\r\n${a}\r\n`;
  return s;
}

/**
 * Connects to host:port within `timeout` ms (Redis's connBlockingConnect),
 * returning the connection, or why not:
 * - 'resolve': no address (the host does not resolve, or is empty; the port
 *   is -1, which getaddrinfo takes for a service name): Redis fails at once,
 *   "connecting to the client";
 * - 'refused' / 'timeout': Redis's non-blocking connect succeeds here and its
 *   first write fails ("writing to target instance"), retried once unless it
 *   timed out.
 * The port is atoi's int as getaddrinfo reads it: its low 16 bits.
 */
function connect(host: string, portArg: string, timeout: number): Promise<Conn | 'resolve' | 'refused' | 'timeout'> {
  const port = atoi(portArg);
  if (host === '' || port === -1) return Promise.resolve('resolve');
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: Conn | 'resolve' | 'refused' | 'timeout') => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(
      () => {
        sock.destroy();
        finish('timeout');
      },
      Math.min(timeout, MAX_TIMER),
    );
    let resolved = net.isIP(host) !== 0;
    const sock = net.connect({ host, port: port & 0xffff });
    sock.once('lookup', (err) => {
      if (err === null) resolved = true;
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      sock.destroy();
      // a failed lookup, or an address family or route the system refuses at once
      const now =
        !resolved ||
        ['ENETUNREACH', 'EADDRNOTAVAIL', 'EAFNOSUPPORT', 'EACCES', 'EPERM', 'EINVAL'].includes(err.code ?? '');
      finish(now ? 'resolve' : 'refused');
    });
    sock.once('connect', () => {
      sock.removeAllListeners('error');
      sock.setNoDelay(true);
      const c: Conn = {
        sock,
        lastDbid: '-1',
        lastUse: nowSec(),
        pending: Buffer.alloc(0),
        eof: false,
        wake: null,
        writesPending: 0,
        writeFailed: false,
      };
      const ended = () => {
        c.eof = true;
        c.wake?.();
      };
      sock.on('data', (d: Buffer) => {
        c.pending = c.pending.length === 0 ? d : Buffer.concat([c.pending, d]);
        c.wake?.();
      });
      sock.on('end', ended);
      sock.on('close', ended);
      sock.on('error', ended);
      finish(c);
    });
  });
}

/**
 * Writes buf in 64 KB chunks (Redis's connSyncWrite loop). A chunk the
 * socket takes at once is not waited for (replies can only follow it; a
 * failure is reported to the reader); one it must buffer is given
 * `timeout` ms to drain.
 */
async function writeAll(c: Conn, buf: Buffer, timeout: number): Promise<null | { timedOut: boolean }> {
  for (let pos = 0; pos < buf.length; pos += CHUNK) {
    if (c.writeFailed || c.sock.destroyed || !c.sock.writable) return { timedOut: false };
    const chunk = buf.subarray(pos, Math.min(buf.length, pos + CHUNK));
    c.writesPending++;
    const flushed = c.sock.write(chunk, (err) => {
      c.writesPending--;
      if (err) c.writeFailed = true;
      c.wake?.();
    });
    if (flushed) continue;
    const drained = await new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        c.sock.off('drain', onDrain);
        c.wake = null;
        resolve(ok);
      };
      const onDrain = () => done(true);
      const timer = setTimeout(() => done(false), Math.min(timeout, MAX_TIMER));
      c.sock.on('drain', onDrain);
      c.wake = () => {
        if (c.writeFailed || c.eof) done(true);
      };
    });
    if (!drained) return { timedOut: true };
  }
  return c.writeFailed ? { timedOut: false } : null;
}

/**
 * Reads one reply line (Redis's syncReadLine into a 1024-byte buffer): up
 * to "\n" with a trailing "\r" dropped, or the first 1023 bytes of a longer
 * line. Fails when the connection ends first, or no byte comes for
 * `timeout` ms; `write` when what was written did not get through. An empty
 * line is returned as ''; the caller counts it as a failure, as Redis does.
 */
async function readLine(c: Conn, timeout: number): Promise<string | { timedOut: boolean; write?: boolean }> {
  for (;;) {
    if (c.writeFailed) return { timedOut: false, write: true };
    const p = c.pending;
    const limit = Math.min(p.length, LINE_MAX);
    const nl = p.subarray(0, limit).indexOf(10);
    if (nl >= 0) {
      const end = nl > 0 && p[nl - 1] === 13 ? nl - 1 : nl;
      const line = p.latin1Slice(0, end);
      c.pending = p.subarray(nl + 1);
      return line;
    }
    if (p.length >= LINE_MAX) {
      c.pending = p.subarray(LINE_MAX);
      return p.latin1Slice(0, LINE_MAX);
    }
    // (at the end of the stream, the writes still in flight report first)
    if (c.eof && c.writesPending === 0) return { timedOut: false };
    const had = p.length;
    const got = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(
        () => {
          c.wake = null;
          resolve(false);
        },
        Math.min(timeout, MAX_TIMER),
      );
      c.wake = () => {
        clearTimeout(timer);
        c.wake = null;
        resolve(true);
      };
    });
    if (!got && c.pending.length === had) return { timedOut: true };
  }
}

/** The worker's state: the shared buffer, the cached connections, the request queue. */
class MigrateWorker {
  private hdr: Int32Array;
  private bytes: Uint8Array;
  private readonly cache = new Map<string, Conn>();
  /** Requests wait here while one runs (the main thread sends one at a time; a dropped one may still run). */
  private readonly queue: (Request | { drop: string })[] = [];
  private running = false;

  constructor(sab: SharedArrayBuffer) {
    this.hdr = new Int32Array(sab, 0, L.HEADER_WORDS);
    this.bytes = new Uint8Array(sab, L.HEADER_BYTES);
  }

  private publishCount(): void {
    Atomics.store(this.hdr, L.CACHED, this.cache.size);
  }

  private closeConn(name: string): void {
    const c = this.cache.get(name);
    if (c === undefined) return;
    this.cache.delete(name);
    c.sock.destroy();
    this.publishCount();
  }

  /** Closes the connections unused for more than 10 s (Redis's migrateCloseTimedoutSockets). */
  sweep(): void {
    const now = nowSec();
    for (const [name, c] of this.cache) if (now - c.lastUse > CACHE_TTL_S) this.closeConn(name);
  }

  /**
   * The cached connection for host:port, or a new one (Redis's
   * migrateGetSocket): refreshes its last use; or why none (see connect()).
   */
  private async getConn(
    name: string,
    host: string,
    port: string,
    timeout: number,
  ): Promise<Conn | 'resolve' | 'refused' | 'timeout'> {
    const cached = this.cache.get(name);
    if (cached !== undefined) {
      cached.lastUse = nowSec();
      return cached;
    }
    if (this.cache.size >= CACHE_MAX) {
      const names = [...this.cache.keys()];
      this.closeConn(names[Math.floor(Math.random() * names.length)]!);
    }
    const c = await connect(host, port, timeout);
    if (typeof c === 'string') return c;
    this.cache.set(name, c);
    this.publishCount();
    return c;
  }

  /**
   * One attempt on one connection. Returns null when done (the outcome
   * written to the shared buffer), or the failure that happened before the
   * first RESTORE reply was read (the caller decides whether to retry).
   */
  private async attempt(req: Request, name: string): Promise<Failure | null> {
    const c = await this.getConn(name, req.host, req.port, req.timeout);
    if (c === 'resolve') return { kind: 'connect' };
    // Redis's connect "succeeds" and its first write fails
    if (typeof c === 'string') return { kind: 'write', timedOut: c === 'timeout' };
    const select = c.lastDbid !== req.dbid;
    let head = '';
    if (req.auth !== null) head += resp(['AUTH', ...req.auth]);
    if (select) head += resp(['SELECT', req.dbid]);
    const w = await writeAll(c, Buffer.from(head + req.body, 'latin1'), req.timeout);
    if (w !== null) {
      this.closeConn(name);
      return { kind: 'write', timedOut: w.timedOut };
    }
    const lines: string[] = [];
    for (const sent of [req.auth !== null, select]) {
      if (!sent) {
        lines.push('');
        continue;
      }
      const r = await readLine(c, req.timeout);
      if (typeof r !== 'string' || r === '') {
        this.closeConn(name);
        if (typeof r !== 'string' && r.write === true) return { kind: 'write', timedOut: false };
        return { kind: 'read', timedOut: typeof r !== 'string' && r.timedOut, read: 0 };
      }
      lines.push(r);
    }
    const [authLine, selectLine] = lines as [string, string];
    const headErr = authLine.startsWith('-') ? authLine : selectLine.startsWith('-') ? selectLine : '';
    let errLine = headErr;
    let failure: Failure | null = null;
    let read = 0;
    for (; read < req.count; read++) {
      const r = await readLine(c, req.timeout);
      if (typeof r !== 'string' || r === '') {
        failure =
          typeof r !== 'string' && r.write === true && read === 0
            ? { kind: 'write', timedOut: false }
            : { kind: 'read', timedOut: typeof r !== 'string' && r.timedOut, read };
        break;
      }
      const ok = headErr === '' && !r.startsWith('-');
      if (!ok && errLine === '') errLine = r;
      this.bytes[read] = ok ? 1 : 0;
    }
    if (failure !== null && read === 0) {
      this.closeConn(name);
      return failure;
    }
    // the target's errors leave its selected database unknown (Redis sets last_dbid to -1)
    c.lastDbid = errLine === '' ? req.dbid : '-1';
    if (failure !== null) this.closeConn(name);
    this.writeResult(req.seq, failure === null ? L.ST_DONE : L.ST_READ_ERR, read, errLine);
    return null;
  }

  /** Puts a result in the shared buffer and wakes the main thread. */
  private writeResult(seq: number, status: number, read: number, errLine: string): void {
    const b = this.bytes;
    const n = Buffer.from(b.buffer, b.byteOffset + read, b.length - read).latin1Write(errLine, 0);
    Atomics.store(this.hdr, L.STATUS, status);
    Atomics.store(this.hdr, L.READ, read);
    Atomics.store(this.hdr, L.ERRLEN, n);
    Atomics.store(this.hdr, L.SEQ, seq);
    Atomics.notify(this.hdr, L.SEQ);
  }

  /** Runs one request: an attempt, and a second one on a new connection when Redis would retry. */
  private async run(req: Request): Promise<void> {
    if (req.sab !== undefined) {
      this.hdr = new Int32Array(req.sab, 0, L.HEADER_WORDS);
      this.bytes = new Uint8Array(req.sab, L.HEADER_BYTES);
      this.publishCount();
    }
    const name = `${req.host}:${req.port}`;
    for (let tries = 0; ; tries++) {
      const f = await this.attempt(req, name);
      if (f === null) return;
      if (f.kind === 'connect') return this.writeResult(req.seq, L.ST_CONNECT_ERR, 0, '');
      // a cached connection the target closed fails here: one retry on a new connection
      if (tries === 0 && !f.timedOut) continue;
      return this.writeResult(req.seq, f.kind === 'write' ? L.ST_WRITE_ERR : L.ST_READ_ERR, 0, '');
    }
  }

  /** Queues a message from the main thread and runs the queue unless it runs already. */
  async receive(m: Request | { drop: string }): Promise<void> {
    this.queue.push(m);
    if (this.running) return;
    this.running = true;
    while (this.queue.length !== 0) {
      const next = this.queue.shift()!;
      if ('drop' in next) {
        this.closeConn(next.drop);
        continue;
      }
      try {
        await this.run(next);
      } catch {
        this.writeResult(next.seq, L.ST_READ_ERR, 0, '');
      }
    }
    this.running = false;
  }
}

const worker = new MigrateWorker((workerData as { sab: SharedArrayBuffer }).sab);
parentPort!.on('message', (m: Request | { drop: string }) => void worker.receive(m));
setInterval(() => worker.sweep(), 1000).unref();
