/**
 * Test servers: an in-process tsdis (createServer on port 0) and a real
 * redis-server child process on a free port, both on 127.0.0.1, plus a raw
 * socket connection that returns each reply's exact bytes.
 */
import net from 'node:net';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServer, type CreateServerOptions, type TsdisServer } from '../../src/index.js';
import { encode, replyLength } from './resp.js';

export { createServer };

/**
 * Starts an in-process tsdis server on 127.0.0.1 and a free port. Unless
 * the test names a `dir`, the server gets a temp dir of its own (removed by
 * close()), so SAVE or DEBUG RELOAD never write into the working directory.
 */
export async function startTsdis(opts: CreateServerOptions = {}): Promise<TsdisServer> {
  const own = opts.config?.['dir'] === undefined ? fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-test-')) : null;
  const srv = await createServer({
    port: 0,
    host: '127.0.0.1',
    ...opts,
    config: { ...(own === null ? {} : { dir: own }), ...opts.config },
  });
  if (own !== null) {
    const close = srv.close.bind(srv);
    srv.close = async () => {
      await close();
      fs.rmSync(own, { recursive: true, force: true });
    };
  }
  return srv;
}

let redisAvailable: boolean | undefined;
/**
 * Whether a redis-server binary is on the PATH. TSDIS_NO_REDIS=1 pretends
 * it is not (the suite then runs as on a machine without it: differential
 * tests replay golden files, the others skip).
 */
export function hasRedis(): boolean {
  if (process.env['TSDIS_NO_REDIS'] === '1') return false;
  if (redisAvailable === undefined) {
    const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
    redisAvailable = r.status === 0;
  }
  return redisAvailable;
}

/** The message differential tests print when they cannot run. */
export const SKIP_NO_REDIS = 'SKIPPED: redis-server is not installed (apt-get install -y redis-server redis-tools)';

/** Options of freePort. */
export interface FreePortOptions {
  /** The port + 10000 (a cluster node's default bus port) must be free too, and the port at most 55535. */
  busPort?: boolean;
}

/** A free TCP port on 127.0.0.1 (bound then released); with busPort, one whose port + 10000 is free too. */
export async function freePort(opts: FreePortOptions = {}): Promise<number> {
  if (!opts.busPort) return anyFreePort();
  for (let i = 0; i < 200; i++) {
    const p = await anyFreePort();
    if (p <= 55535 && (await portFree(p + 10000))) return p;
  }
  throw new Error('no free port whose port + 10000 is free too');
}

/** Whether `port` can be bound on 127.0.0.1 now. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (port > 65535) return resolve(false);
    const s = net.createServer();
    s.unref();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A port the OS picked on 127.0.0.1 (bound then released). */
function anyFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

export interface RedisProcess {
  port: number;
  proc: ChildProcess;
  dir: string;
  /** The last 64 KB or so of its log (stdout). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Waits (up to 30 s: a node process may take several seconds to start on a
 * loaded 2-core machine) until a server answers PING on the port; kills proc
 * and throws otherwise, at once if it exited. loaded: then waitLoaded on the
 * same connection.
 */
export async function waitForPing(port: number, proc: ChildProcess, opts: { loaded?: boolean } = {}): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    let c: RawConn | null = null;
    try {
      c = await RawConn.connect(port);
      await c.call('PING');
    } catch (e) {
      c?.close();
      if (proc.exitCode !== null || proc.signalCode !== null)
        throw new Error(`server on port ${port} exited (${proc.exitCode ?? proc.signalCode}) before it answered`);
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`server on port ${port} did not start: ${(e as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 20));
      continue;
    }
    // loaded: waitLoaded on this same connection (no extra client: tests compare client ids)
    try {
      if (opts.loaded) await waitLoaded(port, proc, c);
    } finally {
      c.close();
    }
    return;
  }
}

/**
 * The port freePort chose was taken by another process before the server
 * bound it (freePort releases it; parallel tests and other servers on the
 * machine pick ports too): startRedis and startChild retry on another port.
 */
export class PortTakenError extends Error {}

/** Starts on a fresh port up to this many times when the port turns out taken. */
export const PORT_ATTEMPTS = 5;

/**
 * After waitForPing: waits (up to 30 s) until the server on the port is done
 * loading its data, and checks that it is `proc` (INFO's process_id), not
 * another process that took the port between freePort and the bind.
 * redis-server answers while it loads an AOF or RDB (every command, PING
 * included, gets -LOADING): a test reading at once saw databases as empty
 * (a snapshot's KEYS in db 0 got -LOADING, the later dbs were loaded by
 * then). Used by startRedis and startChild.
 */
export async function waitLoaded(port: number, proc: ChildProcess, conn?: RawConn): Promise<void> {
  const deadline = Date.now() + 30_000;
  const c = conn ?? (await RawConn.connect(port));
  try {
    for (;;) {
      const info = await c.call('INFO', 'server');
      if (!info.startsWith('-LOADING')) {
        const pid = /process_id:(\d+)/.exec(info)?.[1];
        if (pid !== undefined && Number(pid) !== proc.pid)
          throw new PortTakenError(
            `port ${port} is answered by pid ${pid}, not by the server started (pid ${proc.pid})`,
          );
        if (!(await c.call('DBSIZE')).startsWith('-LOADING')) return;
      }
      if (proc.exitCode !== null || proc.signalCode !== null)
        throw new Error(`server on port ${port} exited (${proc.exitCode ?? proc.signalCode}) while loading`);
      if (Date.now() > deadline) throw new Error(`server on port ${port} still loading after 30 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    if (conn === undefined) c.close();
  }
}

/** Options of startRedis. */
export interface StartRedisOptions {
  /** Runs redis-server under a command (`['prlimit', '--nofile=200']`). */
  wrap?: string[];
  /** A port whose port + 10000 is free too (a cluster node's bus port; freePort's busPort). */
  busPort?: boolean;
}

/**
 * Starts a real redis-server with no persistence in a temp dir; resolves when
 * it accepts connections (see StartRedisOptions).
 */
export async function startRedis(extra: string[] = [], opts: StartRedisOptions = {}): Promise<RedisProcess> {
  if (!hasRedis())
    throw new Error('startRedis without redis-server (a test that needs it must skip with SKIP_NO_REDIS)');
  for (let attempt = 1; ; attempt++) {
    try {
      return await startRedisOnce(extra, opts);
    } catch (e) {
      if (!(e instanceof PortTakenError) || attempt >= PORT_ATTEMPTS) throw e;
    }
  }
}

/** One try of startRedis on a port from freePort; PortTakenError when another process has that port. */
async function startRedisOnce(extra: string[], opts: StartRedisOptions): Promise<RedisProcess> {
  const port = await freePort({ busPort: opts.busPort === true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-redis-'));
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    ...extra,
  ];
  const wrap = opts.wrap ?? [];
  const proc = spawn(
    wrap[0] ?? 'redis-server',
    wrap.length === 0 ? args : [...wrap.slice(1), 'redis-server', ...args],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  // (its log: to tell a port in use from other start failures, and its tail for a failing test's message)
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.length > 131072) out = out.slice(-65536);
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        fs.rmSync(dir, { recursive: true, force: true });
        return resolve();
      }
      proc.once('exit', () => {
        fs.rmSync(dir, { recursive: true, force: true });
        resolve();
      });
      proc.kill('SIGKILL');
    });
  try {
    await waitForPing(port, proc, { loaded: true });
  } catch (e) {
    await stop();
    if (/Address already in use/.test(out)) throw new PortTakenError(`port ${port} in use`);
    throw e;
  }
  return { port, proc, dir, output: () => out, stop };
}

/**
 * A raw connection: sends commands (or arbitrary bytes) and returns each
 * reply's exact bytes as a latin1 string. Every wait has a timeout.
 */
export class RawConn {
  private buf: Buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(readonly sock: net.Socket) {
    sock.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    sock.on('close', () => {
      this.closed = true;
      this.wake();
    });
    sock.on('error', () => {});
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawConn> {
    return RawConn.open(() => net.connect(port, host));
  }

  /** A connection to a unix socket. */
  static connectUnix(path: string): Promise<RawConn> {
    return RawConn.open(() => net.connect(path));
  }

  private static open(dial: () => net.Socket): Promise<RawConn> {
    return new Promise((resolve, reject) => {
      const s = dial();
      s.once('connect', () => {
        s.off('error', reject);
        resolve(new RawConn(s));
      });
      s.once('error', reject);
    });
  }

  write(data: string | Buffer): void {
    this.sock.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Waits until pred() holds, or the timeout passes (then rejects). */
  private async waitFor(pred: () => boolean, ms: number, what: string): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timeout waiting for ${what}; have ${JSON.stringify(this.buf.latin1Slice(0, 200))}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Reads one complete reply's raw bytes. */
  async read(ms = 5000): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      await this.waitFor(
        () => replyLength(this.buf) >= 0 || this.closed,
        Math.max(0, deadline - Date.now()),
        'a reply',
      );
      // (another read woken by the same data may have taken the reply meanwhile: wait again)
      const n = replyLength(this.buf);
      if (n >= 0) {
        const s = this.buf.latin1Slice(0, n);
        this.buf = this.buf.subarray(n);
        return s;
      }
      if (this.closed) throw new Error(`connection closed; partial ${JSON.stringify(this.buf.latin1Slice(0))}`);
    }
  }

  /** Sends a command and reads its reply's raw bytes. */
  async call(...args: (string | Buffer | number)[]): Promise<string> {
    this.write(encode(args));
    return this.read();
  }

  /** Waits for the connection to close and returns whatever arrived before. */
  async readUntilClose(ms = 5000): Promise<string> {
    await this.waitFor(() => this.closed, ms, 'close');
    const s = this.buf.latin1Slice(0);
    this.buf = Buffer.alloc(0);
    return s;
  }

  /** Everything received and not yet read (it stays unread). */
  pending(): string {
    return this.buf.latin1Slice(0);
  }

  /** Everything received and not yet read, which is then consumed. */
  take(): string {
    const s = this.buf.latin1Slice(0);
    this.buf = Buffer.alloc(0);
    return s;
  }

  close(): void {
    this.sock.destroy();
  }
}

/** Resolves true once nothing accepts on the port (bounded: 5 s). */
export async function portClosed(port: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (!open) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
