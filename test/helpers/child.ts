/**
 * tsdis as a separate process (`node cli.js ...`), for tests that must kill
 * it (SIGKILL) or restart it on the same files.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitForPing, waitLoaded, PortTakenError, PORT_ATTEMPTS } from './servers.js';

export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli.js');

export interface Child {
  port: number;
  proc: ChildProcess;
  /** Everything the process printed (its log). */
  output(): string;
  /** SIGKILL, resolved once it has exited. */
  kill(): Promise<void>;
  /** Waits (bounded) for the process to exit by itself; resolves its exit code. */
  exited(ms?: number): Promise<number | null>;
}

export interface ChildOptions {
  /** Wait for PING and the end of loading (default true). */
  waitReady?: boolean;
  /** Flags for node itself, before cli.js (`--expose-gc`). */
  nodeArgs?: string[];
  /** A command that runs node (`['prlimit', '--nofile=200']`): `[...wrap, node, ...]`. */
  wrap?: string[];
  /** A port whose port + 10000 is free too (a cluster node's bus port; freePort's busPort). */
  busPort?: boolean;
}

/**
 * Starts `node cli.js [configfile] --port P --bind 127.0.0.1 ...args` in `cwd` (a first
 * argument not starting with '-' is a config file, which must come first); resolves when it
 * answers PING and has loaded its data.
 */
export async function startChild(args: string[], cwd: string, opts: ChildOptions = {}): Promise<Child> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startChildOnce(args, cwd, opts);
    } catch (e) {
      if (!(e instanceof PortTakenError) || attempt >= PORT_ATTEMPTS) throw e;
    }
  }
}

/** One try of startChild on a port from freePort; PortTakenError (the process killed) when another process has that port. */
async function startChildOnce(args: string[], cwd: string, opts: ChildOptions): Promise<Child> {
  const port = await freePort({ busPort: opts.busPort === true });
  const file = args[0] !== undefined && !args[0].startsWith('-') ? args.slice(0, 1) : [];
  const rest = args.slice(file.length);
  const argv = [...(opts.nodeArgs ?? []), CLI, ...file, '--port', String(port), '--bind', '127.0.0.1', ...rest];
  const wrap = opts.wrap ?? [];
  const proc = spawn(
    wrap[0] ?? process.execPath,
    wrap.length === 0 ? argv : [...wrap.slice(1), process.execPath, ...argv],
    { cwd, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = (ms = 10000) =>
    new Promise<number | null>((resolve, reject) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve(proc.exitCode);
      const t = setTimeout(() => reject(new Error(`process did not exit within ${ms} ms; output:\n${out}`)), ms);
      proc.once('exit', (code) => {
        clearTimeout(t);
        resolve(code);
      });
    });
  const child: Child = {
    port,
    proc,
    output: () => out,
    kill: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL');
        await exited();
      }
    },
    exited,
  };
  if (opts.waitReady !== false) {
    try {
      await waitForPing(port, proc);
      // PING answers while the dataset loads: wait until commands run (bounded), on our process
      await waitLoaded(port, proc);
    } catch (e) {
      // the port taken, or another listener of this server (HTTP, TLS) given the same port by the test
      const taken =
        e instanceof PortTakenError ||
        /Could not create server TCP listening socket .*in use/.test(out) ||
        new RegExp(`Failed listening on port ${port} .*in use`).test(out);
      if (taken) {
        await child.kill();
        throw new PortTakenError(`port ${port} taken; output:\n${out}`);
      }
      throw new Error(`${(e as Error).message}; output:\n${out}`);
    }
  }
  return child;
}
