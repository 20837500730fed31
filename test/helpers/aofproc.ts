/**
 * Differential AOF tests: redis-server and tsdis (its CLI, `node cli.js`)
 * started the same way as processes on a directory the test prepared, with
 * their log captured, so a test can compare what each did to the files
 * (manifest, file names), what it logged, and its data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitForPing, RawConn } from './servers.js';
import { CLI } from './child.js';

export type Kind = 'redis' | 'tsdis';

/** A server process on a directory. */
export interface ServerProc {
  kind: Kind;
  port: number;
  dir: string;
  proc: ChildProcess;
  /** What it printed so far (its log). */
  output(): string;
  /** Resolves the exit code once it exits by itself (bounded). */
  exited(ms?: number): Promise<number | null>;
  /** A connection (opened on first use) that returns raw reply bytes. */
  call(...args: string[]): Promise<string>;
  /** SIGKILL (if still running) and close the connection. */
  kill(): Promise<void>;
}

/** A fresh temp directory. */
export function tmpDir(prefix = 'tsdis-aofdiff-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Starts redis-server or tsdis with `--port P --bind 127.0.0.1 --dir dir
 * --save '' ...args` in `dir`. With `ready` (default) resolves once it
 * answers PING and is done loading; otherwise at once (for starts that must
 * fail: await exited()).
 */
export async function startServer(
  kind: Kind,
  dir: string,
  args: string[],
  opts: { ready?: boolean } = {},
): Promise<ServerProc> {
  const port = await freePort();
  const base = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--enable-debug-command',
    'yes',
    ...args,
  ];
  const proc =
    kind === 'redis'
      ? spawn('redis-server', base, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, [CLI, ...base], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString('latin1')));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString('latin1')));
  let conn: RawConn | null = null;
  const exited = (ms = 10000) =>
    new Promise<number | null>((resolve, reject) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve(proc.exitCode);
      const t = setTimeout(() => reject(new Error(`${kind} did not exit within ${ms} ms; output:\n${out}`)), ms);
      proc.once('exit', (code) => {
        clearTimeout(t);
        resolve(code);
      });
    });
  const s: ServerProc = {
    kind,
    port,
    dir,
    proc,
    output: () => out,
    exited,
    call: async (...a) => {
      conn ??= await RawConn.connect(port);
      return conn.call(...a);
    },
    kill: async () => {
      conn?.close();
      conn = null;
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL');
        await exited();
      }
    },
  };
  if (opts.ready === false) return s;
  try {
    await waitForPing(port, proc);
    for (let i = 0; (await s.call('DBSIZE')).startsWith('-LOADING'); i++) {
      if (i > 2000) throw new Error('still loading after 20 s');
      await new Promise((r) => setTimeout(r, 10));
    }
  } catch (e) {
    await s.kill();
    throw new Error(`${kind}: ${(e as Error).message}; output:\n${out}`);
  }
  return s;
}

/**
 * The log lines a test compares: the text after `pid:X date time level `
 * (the level mark kept), pids and durations masked, blank lines dropped,
 * and only the lines matching `keep`.
 */
export function logLines(output: string, keep: RegExp): string[] {
  const out: string[] = [];
  for (const raw of output.split('\n')) {
    const line = raw.replace(/^\d+:[A-Z] \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d\.\d{3} /, '');
    // (what Redis's fork child says about copy-on-write: tsdis has no child)
    if (line.trim() === '' || !keep.test(line) || line.includes('Fork CoW')) continue;
    out.push(
      line
        .replace(/\d+\.\d{3} seconds/g, '<t> seconds')
        .replace(/(pid|child:) \d+/g, '$1 <pid>')
        .replace(/temp-rewriteaof(-bg)?-\d+\.aof/g, 'temp-rewriteaof$1-<pid>.aof')
        .replace(/ in \d+ minutes/g, ' in <n> minutes'),
    );
  }
  return out;
}

/** The server's log once it stopped growing for 100 ms (bounded, 3 s): lines reach the pipe after the replies. */
export async function settled(s: ServerProc): Promise<string> {
  let last = -1;
  for (let i = 0; i < 60; i++) {
    const len = s.output().length;
    if (len === last) break;
    last = len;
    await new Promise((r) => setTimeout(r, 100));
  }
  return s.output();
}

/** The AOF directory's file names, sorted. */
export function aofFiles(dir: string, sub = 'appendonlydir'): string[] {
  try {
    return fs.readdirSync(path.join(dir, sub)).sort();
  } catch {
    return [];
  }
}

/** The manifest's text ('' when there is none). */
export function manifestText(dir: string, name = 'appendonly.aof', sub = 'appendonlydir'): string {
  try {
    return fs.readFileSync(path.join(dir, sub, `${name}.manifest`), 'latin1');
  } catch {
    return '';
  }
}

/** Waits (bounded) until INFO persistence matches `re`. */
export async function waitInfo(s: ServerProc, re: RegExp, ms = 10000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const info = await s.call('INFO', 'persistence');
    if (re.test(info)) return info;
    if (Date.now() > deadline) throw new Error(`${s.kind}: INFO persistence never matched ${re}:\n${info}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits until no AOF rewrite runs (Redis's waitForBgrewriteaof). */
export function rewriteDone(s: ServerProc, ms?: number): Promise<string> {
  return waitInfo(s, /aof_rewrite_in_progress:0/, ms);
}

/** An INFO field's value from an INFO text. */
export function infoField(info: string, name: string): string {
  return new RegExp(`^${name}:(.*)\\r$`, 'm').exec(info)?.[1] ?? '';
}

/** A RESP multibulk command (to write AOF files by hand). */
export function resp(...argv: string[]): string {
  return `*${argv.length}\r\n` + argv.map((a) => `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`).join('');
}
