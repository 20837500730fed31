/**
 * Shared plumbing for the benchmarks: free ports, starting redis-server and a
 * tsdis child process on 127.0.0.1, making sure every child is stopped (also
 * on errors and SIGINT), a small RESP client with a pipelined batch runner,
 * and memory readings (/proc RSS, INFO memory, and the V8 heap of a tsdis
 * child preloaded with bench/memhook.ts).
 *
 * Nothing here is imported by src/; the benchmarks treat tsdis as a user would:
 * `node dist/cli.js --port P --save ''`.
 */
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository root (this file runs from dist-test/bench/). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The server under test; env TSDIS_CLI may point at another build (e.g. a frozen copy while src/ is mid-edit). */
export const TSDIS_CLI = process.env['TSDIS_CLI']
  ? path.resolve(process.env['TSDIS_CLI'])
  : path.join(ROOT, 'dist', 'cli.js');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export { freePort } from '../test/helpers/servers.js';
import { freePort } from '../test/helpers/servers.js';

// ---------------------------------------------------------------------------
// Child processes: every one we start is registered and killed on the way out.

const children = new Set<ChildProcess>();
let cleanupInstalled = false;

function killAll(): void {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      try {
        c.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
  children.clear();
}

/** Registers a child so it is killed on exit, SIGINT, SIGTERM or an uncaught error. */
export function track(c: ChildProcess): ChildProcess {
  if (!cleanupInstalled) {
    cleanupInstalled = true;
    process.on('exit', killAll);
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.on(sig, () => {
        killAll();
        process.stderr.write(`\ninterrupted (${sig}); children stopped\n`);
        process.exit(130);
      });
    }
    process.on('uncaughtException', (e) => {
      killAll();
      process.stderr.write(`${e.stack ?? e}\n`);
      process.exit(1);
    });
    process.on('unhandledRejection', (e) => {
      killAll();
      process.stderr.write(`${(e as Error)?.stack ?? e}\n`);
      process.exit(1);
    });
  }
  children.add(c);
  c.once('exit', () => children.delete(c));
  return c;
}

/** Sends sig, waits up to ms for the exit, then SIGKILLs. */
export function stopChild(c: ChildProcess, sig: NodeJS.Signals = 'SIGTERM', ms = 5000): Promise<void> {
  return new Promise((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve();
    const t = setTimeout(() => c.kill('SIGKILL'), ms);
    c.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    c.kill(sig);
  });
}

export interface ServerProc {
  /** 'A' and 'B': two tsdis builds of an A/B run (benchTargets); 'minimal': bench/micro/minimal-server.mjs (floor.ts). */
  name: 'redis' | 'tsdis' | 'A' | 'B' | 'minimal';
  port: number;
  proc: ChildProcess;
  pid: number;
  /** Where the child's stdout/stderr go. */
  logFile: string;
  /** The command line, for printing. */
  cmdline: string;
  stop(sig?: NodeJS.Signals): Promise<void>;
}

/** Waits until PING on the port answers, or the child exits, or the deadline passes. */
async function waitReady(port: number, proc: ChildProcess, logFile: string, ms = 15000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`server exited early (${proc.exitCode ?? proc.signalCode}); log:\n${tail(logFile)}`);
    }
    try {
      const c = await Conn.connect(port);
      const r = await c.call(['PING']);
      c.close();
      if (r === 'PONG') return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline)
      throw new Error(`server on port ${port} not ready after ${ms} ms; log:\n${tail(logFile)}`);
    await sleep(25);
  }
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '(no log)';
  }
}

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-bench-'));
process.on('exit', () => fs.rmSync(tmpRoot, { recursive: true, force: true }));

/** This run's temp directory (removed on exit): servers' dirs and logs go under it. */
export const tmpDir = (): string => tmpRoot;

/** Starts redis-server (no persistence) on a free 127.0.0.1 port (busPort: one whose port + 10000 is free too, for a cluster node). */
export async function startRedis(extra: string[] = [], opts: { busPort?: boolean } = {}): Promise<ServerProc> {
  const port = await freePort({ busPort: opts.busPort === true });
  const dir = fs.mkdtempSync(path.join(tmpRoot, 'redis-'));
  const logFile = path.join(dir, 'log');
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
  return spawnServer('redis', port, 'redis-server', args, {
    logFile,
    cmdline: `redis-server ${args.map(shq).join(' ')}`,
    stopSignal: 'SIGKILL',
  });
}

/**
 * Starts a server child listening on `port` (its output to `logFile`), waits
 * until it answers PING and returns it as a ServerProc, tracked and stopped
 * with `stopSignal` by default.
 */
export async function spawnServer(
  name: ServerProc['name'],
  port: number,
  cmd: string,
  args: string[],
  opts: { logFile: string; cmdline: string; stopSignal: NodeJS.Signals; cwd?: string; ipc?: boolean },
): Promise<ServerProc> {
  const out = fs.openSync(opts.logFile, 'w');
  const stdio: ('ignore' | number | 'ipc')[] = ['ignore', out, out];
  if (opts.ipc === true) stdio.push('ipc');
  const proc = track(spawn(cmd, args, { stdio, cwd: opts.cwd }));
  fs.closeSync(out);
  await waitReady(port, proc, opts.logFile);
  return {
    name,
    port,
    proc,
    pid: proc.pid!,
    logFile: opts.logFile,
    cmdline: opts.cmdline,
    stop: (sig = opts.stopSignal) => stopChild(proc, sig),
  };
}

export interface TsdisStartOptions {
  /** Extra node flags (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Preload bench/memhook.ts with --expose-gc so memUsage() can force a GC and read the heap. */
  memHook?: boolean;
  /** Extra tsdis config flags. */
  extra?: string[];
  /** Another build's dist/cli.js (bench/ab.ts), instead of TSDIS_CLI. */
  cli?: string;
  /** A port whose port + 10000 is free too (a cluster node's bus port). */
  busPort?: boolean;
}

/** Starts `node dist/cli.js --port P --save ''` on a free 127.0.0.1 port. */
export async function startTsdis(opts: TsdisStartOptions = {}): Promise<ServerProc> {
  const cli = opts.cli ?? TSDIS_CLI;
  if (!fs.existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first`);
  const port = await freePort({ busPort: opts.busPort === true });
  const dir = fs.mkdtempSync(path.join(tmpRoot, 'tsdis-'));
  const logFile = path.join(dir, 'log');
  // env TSDIS_NODE_ARGS adds node flags to every tsdis child (e.g. "--max-semi-space-size=64")
  const envArgs = (process.env['TSDIS_NODE_ARGS'] ?? '').split(/\s+/).filter(Boolean);
  const nodeArgs = [...envArgs, ...(opts.nodeArgs ?? [])];
  if (opts.memHook) {
    const hook = path.join(ROOT, 'dist-test', 'bench', 'memhook.js');
    // node's own heap flag keeps the server on the main thread (cli.ts), whose heap the hook reads
    nodeArgs.push('--expose-gc', '--max-old-space-size=4096', '--import', pathToFileURL(hook).href);
  }
  // cwd is a fresh temp dir, so anything the server writes (dir defaults to cwd) lands there
  const args = [...nodeArgs, cli, '--port', String(port), '--bind', '127.0.0.1', '--save', '', ...(opts.extra ?? [])];
  return spawnServer('tsdis', port, process.execPath, args, {
    logFile,
    cmdline: `node ${args.map((a) => shq(relToRoot(a))).join(' ')}`,
    stopSignal: 'SIGTERM',
    cwd: dir,
    ipc: opts.memHook === true,
  });
}

/** An absolute path or file URL under the repository, shown relative to it. */
function relToRoot(a: string): string {
  const url = pathToFileURL(ROOT).href + '/';
  if (a.startsWith(url)) return a.slice(url.length);
  if (a.startsWith(ROOT + '/')) return a.slice(ROOT.length + 1);
  return a;
}

/** Shell-quotes one argument for printing. */
export function shq(a: string): string {
  return /^[A-Za-z0-9_./:=,@+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

// ---------------------------------------------------------------------------
// Memory readings.

/** Resident set size of a process in bytes (Linux /proc). */
export function rssOf(pid: number): number {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(s);
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

export interface ChildMem {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

let memReq = 0;
/**
 * Asks a tsdis child started with memHook to run a full GC (twice) and report
 * process.memoryUsage(). Rejects after 30 s.
 */
export function childMem(s: ServerProc): Promise<ChildMem> {
  const proc = s.proc;
  if (!proc.send) return Promise.reject(new Error('child has no IPC channel (start it with memHook)'));
  const id = ++memReq;
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      proc.off('message', on);
      reject(new Error('memhook did not answer'));
    }, 30000);
    const on = (m: unknown) => {
      const msg = m as { type?: string; id?: number; usage?: ChildMem; gc?: boolean };
      if (msg?.type !== 'tsdis-bench-mem' || msg.id !== id) return;
      clearTimeout(t);
      proc.off('message', on);
      if (!msg.gc) reject(new Error('child has no global gc (needs --expose-gc)'));
      else resolve(msg.usage!);
    };
    proc.on('message', on);
    proc.send!({ type: 'tsdis-bench-mem', id });
  });
}

/** Parses an INFO reply into a field map. */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** A command's usec_per_call in INFO commandstats text (`cmd` as the row names it, e.g. "lrem", "object|encoding"); NaN without a row. */
export function usecPerCall(commandstats: string, cmd: string): number {
  const row = parseInfo(commandstats)[`cmdstat_${cmd}`] ?? '';
  return Number(/usec_per_call=([\d.]+)/.exec(row)?.[1] ?? NaN);
}

// ---------------------------------------------------------------------------
// A minimal RESP client.

export type Reply = string | number | null | Reply[] | ReplyErr;
export class ReplyErr {
  constructor(readonly message: string) {}
  toString(): string {
    return this.message;
  }
}

/** Encodes a command as a RESP multibulk (strings are latin1 bytes). */
export function encodeCmd(args: (string | number)[]): string {
  let s = '*' + args.length + '\r\n';
  for (const a of args) {
    const v = typeof a === 'number' ? '' + a : a;
    s += '$' + v.length + '\r\n' + v + '\r\n';
  }
  return s;
}

/**
 * End offset of the reply starting at pos, or -1 when incomplete. Allocates
 * nothing, so counting a million pipelined replies is cheap.
 */
function replyEnd(b: Buffer, pos: number): number {
  if (pos >= b.length) return -1;
  const t = b[pos]!;
  const lf = b.indexOf(10, pos);
  if (lf < 0) return -1;
  const after = lf + 1;
  if (t === 43 /* + */ || t === 45 /* - */ || t === 58 /* : */ || t === 95 || t === 44 || t === 35 || t === 40)
    return after;
  let n = 0;
  let neg = false;
  for (let i = pos + 1; i < lf - 1; i++) {
    const c = b[i]!;
    if (c === 45) neg = true;
    else n = n * 10 + (c - 48);
  }
  if (neg) return after;
  if (t === 36 /* $ */ || t === 61 || t === 33) return after + n + 2 <= b.length ? after + n + 2 : -1;
  if (t === 37 || t === 124) n *= 2;
  let p = after;
  for (let i = 0; i < n; i++) {
    p = replyEnd(b, p);
    if (p < 0) return -1;
  }
  return p;
}

/** Decodes the complete reply in b[pos, end). */
function decode(b: Buffer, pos: number): [Reply, number] {
  const t = b[pos]!;
  const lf = b.indexOf(10, pos);
  const line = b.latin1Slice(pos + 1, lf - 1);
  const after = lf + 1;
  switch (t) {
    case 43:
      return [line, after];
    case 45:
      return [new ReplyErr(line), after];
    case 58:
      return [Number(line), after];
    case 36: {
      const n = Number(line);
      if (n < 0) return [null, after];
      return [b.latin1Slice(after, after + n), after + n + 2];
    }
    case 42: {
      const n = Number(line);
      if (n < 0) return [null, after];
      const arr: Reply[] = [];
      let p = after;
      for (let i = 0; i < n; i++) {
        const [v, q] = decode(b, p);
        arr.push(v);
        p = q;
      }
      return [arr, p];
    }
    default:
      return [line, after];
  }
}

/**
 * One connection. call() sends a command and resolves with its decoded reply;
 * pipeline() sends a prepared batch and resolves once that many replies
 * arrived, counting errors (replies are not decoded).
 */
export class Conn {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** Pending expectations, in order: a decoder (call) or a counter (pipeline). */
  private queue: Pending[] = [];
  private dead: Error | null = null;

  private constructor(private sock: net.Socket) {
    sock.setNoDelay(true);
    sock.on('data', (d) => this.onData(d));
    sock.on('error', (e) => this.fail(e));
    sock.on('close', () => this.fail(new Error('connection closed')));
  }

  static connect(port: number, host = '127.0.0.1'): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, host);
      s.once('connect', () => {
        s.off('error', reject);
        resolve(new Conn(s));
      });
      s.once('error', reject);
    });
  }

  private fail(e: Error): void {
    if (!this.dead) this.dead = e;
    const q = this.queue;
    this.queue = [];
    for (const p of q) p.reject(e);
  }

  private onData(d: Buffer): void {
    if (this.pos >= this.buf.length) {
      this.buf = d;
      this.pos = 0;
    } else {
      this.buf = Buffer.concat([this.buf.subarray(this.pos), d]);
      this.pos = 0;
    }
    const b = this.buf;
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      const end = replyEnd(b, this.pos);
      if (end < 0) break;
      if (head.kind === 'call') {
        const [v] = decode(b, this.pos);
        this.pos = end;
        this.queue.shift();
        head.resolve(v);
      } else {
        if (b[this.pos] === 45) {
          head.errors++;
          if (head.firstError === null) head.firstError = b.latin1Slice(this.pos + 1, b.indexOf(13, this.pos));
        }
        this.pos = end;
        if (--head.left === 0) {
          this.queue.shift();
          head.resolve({ errors: head.errors, firstError: head.firstError });
        }
      }
    }
  }

  /** Sends one command; resolves with the reply (errors as ReplyErr values). */
  call(args: (string | number)[], ms = 60000): Promise<Reply> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timeout: ${args[0]}`)), ms);
      this.queue.push({
        kind: 'call',
        resolve: (v) => {
          clearTimeout(t);
          resolve(v as Reply);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      });
      this.sock.write(encodeCmd(args), 'latin1');
    });
  }

  /** Sends `data` holding `n` commands; resolves when n replies arrived. */
  pipeline(data: string | Buffer, n: number): Promise<{ errors: number; firstError: string | null }> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      this.queue.push({
        kind: 'pipe',
        left: n,
        errors: 0,
        firstError: null,
        resolve: resolve as (v: unknown) => void,
        reject,
      });
      if (typeof data === 'string') this.sock.write(data, 'latin1');
      else this.sock.write(data);
    });
  }

  close(): void {
    this.sock.destroy();
  }
}

type Pending =
  | { kind: 'call'; resolve: (v: unknown) => void; reject: (e: Error) => void }
  | {
      kind: 'pipe';
      left: number;
      errors: number;
      firstError: string | null;
      resolve: (v: unknown) => void;
      reject: (e: Error) => void;
    };

/**
 * Runs batches produced by make(i) (null = done) on a connection, keeping
 * `inflight` batches on the wire so the server never waits for the client.
 * Returns the total error count and the first error text.
 */
export async function runBatches(
  conn: Conn,
  make: (i: number) => { data: string; n: number } | null,
  inflight = 2,
): Promise<{ commands: number; errors: number; firstError: string | null }> {
  let commands = 0;
  let errors = 0;
  let firstError: string | null = null;
  const live: Promise<{ errors: number; firstError: string | null }>[] = [];
  for (let i = 0; ; i++) {
    const b = make(i);
    if (b === null) break;
    commands += b.n;
    live.push(conn.pipeline(b.data, b.n));
    if (live.length >= inflight) {
      const r = await live.shift()!;
      errors += r.errors;
      firstError ??= r.firstError;
    }
  }
  for (const p of live) {
    const r = await p;
    errors += r.errors;
    firstError ??= r.firstError;
  }
  return { commands, errors, firstError };
}

/**
 * CPU time (user + system) of a process so far, in µs: the sum over its
 * threads of /proc/PID/task/TID/schedstat's run time (ns resolution; V8's
 * GC and libuv threads included), falling back to /proc/PID/stat's ticks.
 */
export function cpuUs(pid: number): number {
  try {
    let ns = 0;
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      ns += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    }
    if (Number.isFinite(ns) && ns > 0) return ns / 1000;
  } catch {
    /* a thread went away mid-read, or no schedstat: use the ticks */
  }
  const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
  // after the command name, state is f[0], so utime (field 14) is f[11] and stime f[12]
  return ((Number(f[11]) + Number(f[12])) * 1e6) / CLK_TCK;
}
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

// ---------------------------------------------------------------------------
// Interleaved runs: redis-server against this build, or against two builds.

/** The value after flag `name` in `argv` (`--repeats 5`), else `dflt`. */
export function argOf(argv: readonly string[], name: string, dflt: string): string;
export function argOf(argv: readonly string[], name: string): string | undefined;
export function argOf(argv: readonly string[], name: string, dflt?: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
}

/**
 * The servers a bench compares, redis-server first: this build (`tsdis`), or
 * with `--a OLD/dist/cli.js [--b NEW/dist/cli.js]` in `argv` two builds
 * named A and B (B defaults to this checkout's build), so that any bench is
 * also an interleaved A/B of an old and a new build. `extra`: config flags
 * for every server (the same for redis-server and tsdis), or a function
 * giving each server its own (called once per server, in order).
 */
export async function benchTargets(
  argv: string[],
  extraFlags: string[] | (() => Promise<string[]>) = [],
): Promise<ServerProc[]> {
  const flags = async () => (typeof extraFlags === 'function' ? extraFlags() : extraFlags);
  const a = argOf(argv, '--a');
  const servers = [await startRedis(await flags())];
  if (a === undefined) {
    servers.push(await startTsdis({ extra: await flags() }));
  } else {
    servers.push({ ...(await startTsdis({ extra: await flags(), cli: path.resolve(a) })), name: 'A' });
    const b = path.resolve(argOf(argv, '--b') ?? TSDIS_CLI);
    servers.push({ ...(await startTsdis({ extra: await flags(), cli: b })), name: 'B' });
  }
  return servers;
}

/** Each server's medians of a case's figures, and of the server's CPU time per run (same work each run). */
export interface Measured {
  medians: number[];
  /** Server CPU ms per run (user + system, all threads): steadier than rates on a shared machine. */
  cpuMs: number[];
}

/**
 * Runs `run` on every server `repeats` times, rotating which goes first each
 * repeat (neighbours' load then falls on each alike); returns each server's
 * medians, in `servers`' order. A run that throws is logged and counts NaN.
 */
export async function interleave(
  servers: ServerProc[],
  repeats: number,
  run: (s: ServerProc) => Promise<number>,
): Promise<Measured> {
  const m = await interleaveMany(servers, repeats, async (s) => [await run(s)]);
  return { medians: m.medians.map((x) => x[0] ?? NaN), cpuMs: m.cpuMs };
}

/** interleave for a run that measures several figures at once: each server's median of each figure. */
export async function interleaveMany(
  servers: ServerProc[],
  repeats: number,
  run: (s: ServerProc) => Promise<number[]>,
): Promise<{ medians: number[][]; cpuMs: number[] }> {
  const got: number[][][] = servers.map(() => []);
  const cpu: number[][] = servers.map(() => []);
  for (let r = 0; r < repeats; r++) {
    for (let k = 0; k < servers.length; k++) {
      const i = (r + k) % servers.length;
      const s = servers[i]!;
      try {
        const c0 = cpuUs(s.pid);
        got[i]!.push(await run(s));
        cpu[i]!.push((cpuUs(s.pid) - c0) / 1000);
      } catch (e) {
        console.log(`  ${s.name}: ${(e as Error).message}`);
      }
    }
  }
  const medians = got.map((runs) => {
    const width = Math.max(0, ...runs.map((x) => x.length));
    return Array.from({ length: width }, (_, j) => median(runs.map((x) => x[j]!)));
  });
  return { medians, cpuMs: cpu.map(median) };
}

/**
 * A table of cases (each with its servers' medians, redis-server first): each
 * figure, each tsdis build over redis, with two builds B/A of the figure and
 * of the server CPU per run (when measured), and a last row of the ratios'
 * geometric means.
 */
export function ratioTable(
  caseHead: string,
  servers: ServerProc[],
  cases: { name: string; medians: number[]; cpuMs?: number[] }[],
): string {
  const ab = servers.length === 3;
  const ratiosOf = (c: { medians: number[]; cpuMs?: number[] }): number[] => {
    const m = c.medians;
    const r = m.slice(1).map((x) => x / m[0]!);
    if (ab) r.push(m[2]! / m[1]!, c.cpuMs ? c.cpuMs[2]! / c.cpuMs[1]! : NaN);
    return r;
  };
  const head = [
    caseHead,
    ...servers.map((s) => `${s.name} /s`),
    ...servers.slice(1).map((s) => `${s.name}/redis`),
    ...(ab ? ['B/A', 'CPU/run B/A'] : []),
  ];
  const rows = cases.map((c) => [c.name, ...c.medians.map(fmtInt), ...ratiosOf(c).map(fmtRatio)]);
  const columns = ratiosOf(cases[0]!).map((_, k) => geomean(cases.map((c) => ratiosOf(c)[k]!)));
  rows.push([`geomean (${cases.length} tests)`, ...servers.map(() => ''), ...columns.map(fmtRatio)]);
  return table(head, rows);
}

// ---------------------------------------------------------------------------
// Formatting.

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

export function geomean(xs: number[]): number {
  const v = xs.filter((x) => Number.isFinite(x) && x > 0);
  if (v.length === 0) return NaN;
  return Math.exp(v.reduce((a, x) => a + Math.log(x), 0) / v.length);
}

/**
 * A Markdown table. align has one letter per column, 'l' or 'r'; by default
 * the first column is left-aligned and the others (numbers) right-aligned.
 */
export function table(head: string[], rows: string[][], align?: string): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const left = (i: number) => (align ? align[i] === 'l' : i === 0);
  const fmt = (r: string[]) =>
    '| ' + head.map((_, i) => (left(i) ? (r[i] ?? '').padEnd(w[i]!) : (r[i] ?? '').padStart(w[i]!))).join(' | ') + ' |';
  const sep = '|' + w.map((x, i) => (left(i) ? '-'.repeat(x + 2) : '-'.repeat(x + 1) + ':')).join('|') + '|';
  return [fmt(head), sep, ...rows.map(fmt)].join('\n');
}

export const fmtInt = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
export const fmtRatio = (x: number) => (Number.isFinite(x) ? x.toFixed(2) + 'x' : 'n/a');
export const MiB = 1024 * 1024;
