#!/usr/bin/env node
/**
 * `tsdis [configfile] [--name value ...] [-]`: the command line (serve.ts
 * runs the server). This file decides where the server runs, so that it can
 * hold as much data as the machine (server/heap.ts):
 *
 * V8 fixes a heap limit when an isolate is created (4.3 GB here by default,
 * whatever the machine has), and the main thread's isolate exists before any
 * of our code runs. When the limit tsdis wants (from `maxmemory`, or from the
 * machine's memory when it is 0) is above the one this process got, the
 * server runs in a worker thread, whose isolate is created with that limit
 * (`resourceLimits`). Otherwise — the limit is big enough, or node's own
 * flags set it (`node --max-old-space-size=N cli.js`) — it runs right here,
 * with no second isolate.
 *
 * A worker thread rather than a second process (Node 20 has no execve): the
 * process stays the one the user or a harness started, so its PID is the
 * server's for signals, the pid file, INFO's process_id and SIGKILL, and no
 * orphan can outlive it. The main thread only forwards SIGTERM and SIGINT
 * to the worker, sets the process title for it, and exits with the worker's
 * exit code; standard output and error are the process's (Node relays a
 * worker's writes to the main thread's streams). Cost, measured on the
 * shared 2-core box: an empty worker starts in 35 ms; the time from spawn to
 * the first PING answer went from 441–453 ms to 538–566 ms (median of 10,
 * load average 7: the worker compiles tsdis's modules again); the idle main
 * isolate holds a few MB.
 */
import { Buffer } from 'node:buffer';
import process from 'node:process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tty from 'node:tty';
import v8 from 'node:v8';
import { isMainThread, parentPort, workerData, Worker } from 'node:worker_threads';
import { Config } from './config/config.js';
import { loadConfig, parseCliArgs, type CliArgs } from './config/file.js';
import {
  HEAP_SHARE_OF_MACHINE,
  V8_SEMI_SPACE_MB,
  desiredHeapLimitBytes,
  desiredSemiSpaceMb,
  machineMemoryBytes,
  nodeFlags,
} from './server/heap.js';
import { earlyLog } from './util/log.js';
import { writeFully } from './util/files.js';
import { TSDIS_VERSION, REDIS_VERSION } from './version.js';
import type { Host } from './serve.js';

/** The signals Redis reports as crashes (serve.ts logs them: crashReports). */
const CRASH_SIGNALS: readonly NodeJS.Signals[] = ['SIGSEGV', 'SIGBUS', 'SIGFPE', 'SIGILL', 'SIGABRT'];

const USAGE = `tsdis ${TSDIS_VERSION}: a Redis ${REDIS_VERSION} compatible server for Node.js

Usage:
  tsdis [config-file] [--<parameter> <value> ...] [-]

  config-file         a file in redis.conf syntax
  --<parameter> ...   any redis.conf parameter, e.g. --port 7000 --save 60 1000;
                      applied after the config file, so these win
  -                   also read configuration from standard input
                      (as the first or the last argument)
  -v, --version       print the version and exit
  -h, --help          print this help and exit

The server's V8 heap limit follows maxmemory (1.5 times it, plus 256 MB) or,
with maxmemory 0, the machine's memory (three quarters of it, or of a cgroup
limit); node's own --max-old-space-size, when given, is used as is. Below
maxmemory 128mb the young generation is smaller than V8's (semi-spaces of
maxmemory/8, rounded down to a power of two from 1 MB), unless node's own
--max-semi-space-size is given.

Examples:
  tsdis                                 defaults: bind * -::* (protected mode), port 6379
  tsdis --port 7000 --save ""           another port, no snapshots
  tsdis /etc/tsdis/tsdis.conf --loglevel verbose
  echo 'maxmemory 128mb' | tsdis -
`;

/** What the launcher tells a worker thread running the server. */
interface WorkerStart {
  tsdisServer: true;
  /**
   * [signals taken, crash signals taken], set by the worker (Atomics) the
   * moment it handles them: the main thread reads them in its signal
   * handlers with no message in between, so a SIGTERM sent right after the
   * "Ready to accept connections" line is forwarded, never lost. The third
   * counts the titles the main thread has set (see workerHost's setTitle).
   */
  taken: SharedArrayBuffer;
  argv: string[];
  stdinText: string | undefined;
  stdoutIsTTY: boolean;
  title: string;
  heapNote: string;
}

/** Messages between the main thread and the worker. */
type ToWorker = { signal: 'SIGTERM' | 'SIGINT' } | { crash: NodeJS.Signals };
type FromWorker = { title: string } | { dieBy: NodeJS.Signals };

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
const MB = 1024 * 1024;

/** How tsdis was started, for titles: argv[0] (a wrapper's `exec -a` name), else the script's path. */
function startTitle(): string {
  return path.basename(process.argv0) === 'node' || process.argv0 === process.execPath
    ? (process.argv[1] ?? 'tsdis')
    : process.argv0;
}

/** Bytes as the log shows them: 4.05G, 512.00M. */
function human(n: number): string {
  return n >= 1024 * MB ? `${(n / 1024 / MB).toFixed(2)}G` : `${(n / MB).toFixed(2)}M`;
}

/** Whether node's own flags set the heap size: then they stand. */
function heapSetByNodeFlags(): boolean {
  return nodeFlags().some((f) => /^--max[-_](old[-_]space|heap)[-_]size\b/.test(f));
}

/** Whether node's own flags set the young generation's size: then they stand. */
function youngSetByNodeFlags(): boolean {
  return nodeFlags().some((f) => /^--(max|min)[-_]semi[-_]space[-_]size\b/.test(f));
}

/** Where the server runs and with what heap (heapPlan). */
interface HeapPlan {
  /** The old-generation size in bytes for a worker thread, or null to run on this thread. */
  limit: number | null;
  /** The worker's semi-space size in MB, or null for V8's own. */
  semiMb: number | null;
  /** Where the sizes came from, for the log. */
  why: string;
}

/**
 * Where the server runs and with what heap (server/heap.ts has the rules):
 * in a worker thread when the heap limit tsdis wants is above the one this
 * process got, or when a small maxmemory wants semi-spaces smaller than
 * V8's (only an isolate being created takes them); else on this thread.
 * maxmemory comes from a first reading of the config; a config that fails
 * to load runs here, where the server reports the error as it always does.
 */
function heapPlan(args: CliArgs, stdinText: string | undefined): HeapPlan {
  if (heapSetByNodeFlags()) return { limit: null, semiMb: null, why: "set by node's --max-old-space-size" };
  let maxmemory: number;
  try {
    const config = new Config();
    loadConfig(config, { file: args.file, stdin: stdinText, options: args.options });
    maxmemory = config.v['maxmemory'];
  } catch {
    return { limit: null, semiMb: null, why: "V8's default" };
  }
  const current = v8.getHeapStatistics().heap_size_limit;
  const machine = machineMemoryBytes();
  const want = desiredHeapLimitBytes(maxmemory, machine, current);
  const semi = desiredSemiSpaceMb(maxmemory);
  const semiMb = semi < V8_SEMI_SPACE_MB && !youngSetByNodeFlags() ? semi : null;
  const from =
    maxmemory > 0
      ? `maxmemory ${human(maxmemory)}`
      : `maxmemory 0: ${HEAP_SHARE_OF_MACHINE * 100}% of the ${human(machine)} of memory here`;
  if (want <= current && semiMb === null) return { limit: null, semiMb: null, why: `V8's default, enough for ${from}` };
  const semiNote = semiMb === null ? '' : `, ${semiMb} MB semi-spaces`;
  const sized = want > current ? `for ${from}${semiNote}` : `V8's default, enough for ${from}${semiNote}`;
  return { limit: want, semiMb, why: `${sized}; the server runs in a worker thread created with that size` };
}

/** Ends the process by `sig`'s default action: without a listener Node gives a signal its default back. */
function dieBySignal(sig: NodeJS.Signals): void {
  for (const s of CRASH_SIGNALS) process.removeAllListeners(s);
  process.kill(process.pid, sig);
}

/** The host for a server on the process's main thread. */
function mainHost(argv: string[], stdinText: string | undefined, heapNote: string): Host {
  return {
    argv,
    stdinText,
    stdoutIsTTY: process.stdout.isTTY === true,
    title: startTitle(),
    heapNote,
    setTitle: (t) => {
      process.title = t;
    },
    onSignal: (fn) => {
      for (const sig of SIGNALS) process.on(sig, fn);
    },
    onCrashSignal: (fn) => {
      for (const sig of CRASH_SIGNALS) process.on(sig, fn);
    },
    dieBySignal,
  };
}

/**
 * Runs the server in a worker thread with an old generation of `limit`
 * bytes and, unless null, semi-spaces of `semiMb` MB. Forwards SIGTERM and
 * SIGINT once the server listens for them (before, they end the process as
 * they would end a server on the main thread), and the crash signals, which the server logs before asking for
 * the process to end by them (after 2 s it ends anyway: a thread that
 * faulted may never answer). Sets the process title for it and exits with
 * its exit code.
 */
function runInWorker(start: WorkerStart, limit: number, semiMb: number | null): void {
  // (V8's young generation is two semi-spaces and a new large-object space as big as one)
  const young = semiMb === null ? {} : { maxYoungGenerationSizeMb: 3 * semiMb };
  const worker = new Worker(new URL(import.meta.url), {
    workerData: start,
    resourceLimits: { maxOldGenerationSizeMb: Math.floor(limit / MB), ...young },
  });
  const taken = new Int32Array(start.taken);
  for (const sig of SIGNALS) {
    process.on(sig, () => {
      if (Atomics.load(taken, 0) === 1) return worker.postMessage({ signal: sig } satisfies ToWorker);
      process.removeAllListeners(sig);
      process.kill(process.pid, sig);
    });
  }
  for (const sig of CRASH_SIGNALS) {
    process.on(sig, () => {
      if (Atomics.load(taken, 1) !== 1) return dieBySignal(sig);
      worker.postMessage({ crash: sig } satisfies ToWorker);
      setTimeout(() => dieBySignal(sig), 2000).unref();
    });
  }
  worker.on('message', (m: FromWorker) => {
    if ('title' in m) {
      process.title = m.title;
      Atomics.add(taken, 2, 1);
      Atomics.notify(taken, 2);
    } else dieBySignal(m.dieBy);
  });
  worker.on('error', (e: Error & { code?: string }) => {
    // (uncaught exceptions are the server's to log; this is what escapes it)
    if (e.code === 'ERR_WORKER_OUT_OF_MEMORY')
      earlyLog('#', `The server ran out of V8 heap (limit ${human(limit)}): ${e.message}`);
    else process.stderr.write(`${e.stack ?? e}\n`);
  });
  worker.on('exit', (code) => process.exit(code));
}

/**
 * In the worker, process.stdout and process.stderr write to their
 * descriptors synchronously, as they do on the main thread. Node would relay
 * a worker's writes through the main thread, asynchronously: a log line
 * could then reach the file after the reply to the command that logged it,
 * which test harnesses and operators reading the log right after a reply do
 * not expect. (The main thread does not touch its own stdio streams while the
 * worker runs, so nothing switches the descriptors to non-blocking mode.)
 */
function stdioSync(): void {
  for (const [stream, fd] of [
    [process.stdout, 1],
    [process.stderr, 2],
  ] as const) {
    stream.write = ((
      chunk: string | Uint8Array,
      enc?: BufferEncoding | ((e?: Error | null) => void),
      cb?: (e?: Error | null) => void,
    ): boolean => {
      const done = typeof enc === 'function' ? enc : cb;
      const data =
        typeof chunk === 'string'
          ? Buffer.from(chunk, typeof enc === 'string' ? enc : 'utf8')
          : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      try {
        writeFully(fd, data);
      } catch (e) {
        done?.(e as Error);
        return false;
      }
      done?.(null);
      return true;
    }) as typeof stream.write;
  }
}

/** The host for a server in the worker thread started by runInWorker. */
function workerHost(start: WorkerStart): Host {
  const port = parentPort!;
  const taken = new Int32Array(start.taken);
  const post = (m: FromWorker) => port.postMessage(m);
  return {
    argv: start.argv,
    stdinText: start.stdinText,
    stdoutIsTTY: start.stdoutIsTTY,
    title: start.title,
    heapNote: start.heapNote,
    // only the main thread can set the title: wait (at most 200 ms) until it has,
    // so the title is current when the command that changed it replies (as in Redis)
    setTitle: (t) => {
      const set = Atomics.load(taken, 2);
      post({ title: t });
      Atomics.wait(taken, 2, set, 200);
    },
    onSignal: (fn) => {
      port.on('message', (m: ToWorker) => {
        if ('signal' in m) fn(m.signal);
      });
      // the port must not keep the thread alive once the server is gone
      port.unref();
      Atomics.store(taken, 0, 1);
    },
    onCrashSignal: (fn) => {
      port.on('message', (m: ToWorker) => {
        if ('crash' in m) fn(m.crash);
      });
      port.unref();
      Atomics.store(taken, 1, 1);
    },
    dieBySignal: (sig) => {
      post({ dieBy: sig });
      // the main thread ends the process; this thread waits for it
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5000);
      process.exit(128 + (os.constants.signals[sig as keyof typeof os.constants.signals] ?? 0));
    },
  };
}

/** The process's main thread: flags that exit at once, stdin config, then the server, here or in a worker. */
async function launch(argv: string[]): Promise<void> {
  const args = parseCliArgs(argv);
  if (args.version) {
    process.stdout.write(
      `tsdis server v=${REDIS_VERSION} tsdis=${TSDIS_VERSION} sha=00000000:0 malloc=node bits=64 build=${process.version}\n`,
    );
    process.exit(0);
  }
  if (args.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  let stdinText: string | undefined;
  if (args.stdin) {
    earlyLog('#', 'Reading config from stdin', (line) => writeFully(1, Buffer.from(line, 'latin1')));
    stdinText = fs.readFileSync(0, 'latin1');
  }
  const plan = heapPlan(args, stdinText);
  if (plan.limit === null) {
    const { runServer } = await import('./serve.js');
    return runServer(mainHost(argv, stdinText, plan.why));
  }
  // (tty.isatty, not process.stdout.isTTY: the main thread leaves its stdio streams alone, see stdioSync)
  runInWorker(
    {
      tsdisServer: true,
      taken: new SharedArrayBuffer(12),
      argv,
      stdinText,
      stdoutIsTTY: tty.isatty(1),
      title: startTitle(),
      heapNote: plan.why,
    },
    plan.limit,
    plan.semiMb,
  );
}

const fail = (e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
};
if (isMainThread) {
  launch(process.argv.slice(2)).catch(fail);
} else if ((workerData as WorkerStart | undefined)?.tsdisServer === true) {
  stdioSync();
  import('./serve.js').then(({ runServer }) => runServer(workerHost(workerData as WorkerStart))).catch(fail);
}
