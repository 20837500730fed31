/**
 * The server side of the CLI (cli.ts decides where it runs): starts a server
 * the way redis-server does: redis.conf syntax (config/file.ts), the same
 * flags, the same fatal config error block and exit code, Redis-style log
 * lines, and a graceful shutdown on SIGTERM/SIGINT or the SHUTDOWN command.
 *
 * It runs either on the process's main thread or in a worker thread whose
 * isolate has a bigger heap limit (cli.ts). What differs between the two
 * comes through a `Host`: signals (only the main thread receives them; it
 * forwards them to the worker), the process title (only the main thread can
 * set it) and facts about the terminal. process.exit() works in both: in
 * the worker it ends the thread with the code, and the main thread exits
 * the process with it.
 */
import process from 'node:process';
import type { ParamName } from './config/params.js';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { Server } from './server/server.js';
import { TSDIS_VERSION, REDIS_VERSION } from './version.js';
import { removeTempRdb } from './persistence/snapshot.js';
import { RdbLoadError, logRdbLoadFailure } from './persistence/snapshot-load.js';
import { start, type StartPhase } from './server/boot.js';
import { AofLoadError } from './persistence/aof.js';
import { TsdisError } from './protocol/errors.js';
import { TlsConfigError } from './server/tls.js';
import { ClusterStartError } from './cluster/cluster.js';
import { HttpStartError } from './http/subsystem.js';
import {
  parseCliArgs,
  loadConfig,
  applyDirectives,
  ConfigFileError,
  ConfigFatalLog,
  formatFatalConfigError,
  strerror,
  type LoadResult,
} from './config/file.js';
import { expandProcTitle } from './config/special.js';
import { earlyLog, underDir } from './util/log.js';
import { heapLimitBytes } from './server/heap.js';
import { bytesToHuman } from './observability/memory.js';

/** Where the server runs: what only the process's main thread can do or know. */
export interface Host {
  /** The arguments after the script (`[configfile] [--name value ...] [-]`). */
  argv: string[];
  /** Config text the launcher read from standard input (`-`), already announced in the log. */
  stdinText: string | undefined;
  /** Whether standard output is a terminal (the banner is shown on one). */
  stdoutIsTTY: boolean;
  /** How tsdis was started, for titles: argv[0] (a wrapper's `exec -a` name), else the script's path. */
  title: string;
  /** Where the V8 heap limit came from (cli.ts), for the log line that gives it. */
  heapNote: string;
  /** Sets the process title. */
  setTitle(title: string): void;
  /** Calls fn on SIGTERM and SIGINT from now on. */
  onSignal(fn: (sig: 'SIGTERM' | 'SIGINT') => void): void;
  /** Calls fn on the signals Redis reports as crashes (cli.ts CRASH_SIGNALS) from now on. */
  onCrashSignal(fn: (sig: NodeJS.Signals) => void): void;
  /** Ends the process by `sig`'s default action (its exit status names the signal). */
  dieBySignal(sig: NodeJS.Signals): void;
}

/**
 * The startup banner: tsdis's own drawing, with the fields of Redis's logo
 * (version, mode, Port:, PID:), and the dashboard's URL when http-port is set.
 */
function banner(port: number, mode: string, dashboard: string): string {
  const art = [
    ' _            _  _     ',
    '| |_  ___  __| |(_) ___',
    '|  _|(_-< / _` || |(_-<',
    ' \\__|/__/ \\__,_||_|/__/',
  ];
  const text = [
    `tsdis ${TSDIS_VERSION} (Redis ${REDIS_VERSION} compatible) 64 bit, node ${process.version}`,
    `Running in ${mode} mode`,
    `Port: ${port}`,
    `PID: ${process.pid}`,
  ];
  const lines = art.map((a, i) => `    ${a}     ${text[i]}`);
  if (dashboard !== '') lines.push(`    ${' '.repeat(art[0]!.length)}     Dashboard: ${dashboard}`);
  return ['', ...lines, ''].join('\n');
}

/** The process title from proc-title-template (set-proc-title yes), as Redis's redisSetProcTitle. */
function setProcTitle(host: Host, server: Server): void {
  const v = server.config.v;
  if (!v['set-proc-title']) return;
  const port = v['port'];
  const tlsPort = v['tls-port'];
  const unix = v['unixsocket'];
  const bind = v['bind'].split(/\s+/).filter(Boolean)[0]?.replace(/^-/, '') ?? '*';
  const vars: Record<string, string> = {
    title: host.title,
    'listen-addr': port || tlsPort ? `${bind}:${port || tlsPort}` : `unixsocket:${unix}`,
    'server-mode': '',
    'config-file': server.config.configFile ?? '-',
    port: String(port),
    'tls-port': String(tlsPort),
    unixsocket: unix,
  };
  const t = expandProcTitle(v['proc-title-template'], (name) => vars[name] ?? null);
  if (t !== null) host.setTitle(t);
}

/**
 * A crash is logged, as Redis's crash report goes to its log: an exception
 * nothing caught would otherwise reach only stderr, which harnesses and
 * process managers often keep apart from the log. DEBUG PANIC / ASSERT
 * crash through the server's 'crash' event with an Error, DEBUG SEGFAULT with
 * a signal name. The signals Redis reports as crashes (a `kill -ABRT`, or a
 * fault raised by a native part) log `crashed by signal: N` when
 * crash-log-enabled is yes, then take their default action, so the exit
 * status names the signal as redis-server's does.
 */
function crashReports(host: Host, server: Server): void {
  const report = (kind: string) => (e: unknown) => {
    server.log.warning(`tsdis ${TSDIS_VERSION} crashed by ${kind}: ${(e as Error)?.stack ?? String(e)}`);
    process.exit(1);
  };
  const bySignal = (sig: NodeJS.Signals): void => {
    if (server.config.v['crash-log-enabled']) {
      server.log.warning(
        `tsdis ${TSDIS_VERSION} crashed by signal: ${os.constants.signals[sig as keyof typeof os.constants.signals]} (${sig})`,
      );
    }
    host.dieBySignal(sig);
  };
  process.on('uncaughtException', report('an uncaught exception'));
  process.on('unhandledRejection', report('an unhandled rejection'));
  host.onCrashSignal(bySignal);
  const debug = report('DEBUG');
  server.on('crash', (e: unknown) => (typeof e === 'string' ? bySignal(e as NodeJS.Signals) : debug(e)));
}

/**
 * A start phase failed (server/boot.ts start()): Redis's log line for it,
 * then exit 1. The AOF and the manifest log their own reasons.
 */
function startFailed(server: Server, phase: StartPhase, e: unknown, port: number): never {
  const log = server.log;
  if (phase === 'listen') {
    // (the reason is logged)
    if (e instanceof AofLoadError || e instanceof ClusterStartError || e instanceof HttpStartError) process.exit(1);
    if (e instanceof TlsConfigError) {
      // (the reason is logged: server/tls.ts)
      log.warning('Failed to configure TLS. Check logs for more info.');
      process.exit(1);
    }
    if (e instanceof RdbLoadError || (e instanceof TsdisError && e.code === 'EFDLIMIT')) {
      // the open-files limit leaves no room for clients
      log.warning(e.message);
      process.exit(1);
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (code && /^E(ADDR|ACCES|AFNO|PERM)/.test(code) && !(e as { address?: string }).address?.startsWith('/')) {
      // (the listen error names its port: the TLS listener's says tls)
      const tlsPort = Number(server.config.v['tls-port']);
      const failedPort = (e as { port?: number }).port;
      const tls = tlsPort !== 0 && failedPort === tlsPort && tlsPort !== Number(server.config.v['port']);
      log.warning(`Failed listening on port ${tls ? tlsPort : port} (${tls ? 'tls' : 'tcp'}), aborting.`);
    } else {
      log.warning(`Failed opening the socket: ${strerror(e)}, aborting.`);
    }
  } else if (phase === 'aof') {
    // (an AofLoadError's reason is logged already)
    if (!(e instanceof AofLoadError))
      log.warning(e instanceof RdbLoadError ? e.message : `Error loading the AOF: ${(e as Error).message}`);
  } else if (phase === 'rdb') {
    if (e instanceof RdbLoadError)
      logRdbLoadFailure(server, e); // Redis's lines (snapshot.ts)
    else log.warning(`Error loading the RDB file: ${(e as Error).message}`);
  }
  process.exit(1);
}

/**
 * Reads the config, starts listening, loads the data and wires shutdown, on
 * whichever thread cli.ts chose. Exit codes as redis-server's (through
 * process.exit).
 */
export async function runServer(host: Host): Promise<void> {
  const argv = host.argv;
  const args = parseCliArgs(argv);
  const stdinText = host.stdinText;

  let loaded: LoadResult | undefined;
  let server: Server;
  try {
    server = new Server({
      configure: (config) => {
        loaded = loadConfig(config, { file: args.file, stdin: stdinText, options: args.options });
        if (args.file !== undefined) config.configFile = path.resolve(args.file);
      },
    });
    applyDirectives(loaded!, server.config, server.commands, server.acl);
  } catch (e) {
    if (e instanceof ConfigFileError) {
      process.stderr.write(formatFatalConfigError(e, REDIS_VERSION));
    } else if (e instanceof ConfigFatalLog) {
      earlyLog('#', e.message);
    } else {
      process.stderr.write(formatFatalConfigError(new ConfigFileError((e as Error).message), REDIS_VERSION));
    }
    process.exit(1);
  }
  const log = server.log;
  const v = server.config.v;
  // memory back to the system when idle after a big free (server/reclaim.ts)
  server.reclaim.enabled = true;
  // Redis 7.2's first lines (levels included), which tools read for the version and pid, then tsdis's own
  log.notice('oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo');
  log.notice(`Redis version=${REDIS_VERSION}, bits=64, commit=00000000, modified=0, pid=${process.pid}, just started`);
  log.notice(`tsdis ${TSDIS_VERSION} on node ${process.version}`);
  log.notice(`The V8 heap may grow to ${bytesToHuman(heapLimitBytes())} (${host.heapNote})`);
  if (argv.length === 0) {
    log.warning(
      `Warning: no config file specified, using the default config. In order to specify a config file use ${host.title} /path/to/redis.conf`,
    );
  } else log.notice('Configuration loaded');
  crashReports(host, server);
  setProcTitle(host, server);
  server.on('config', (name: ParamName) => {
    if (name === 'proc-title-template') setProcTitle(host, server);
  });
  for (const d of loaded?.directives ?? []) {
    if (d.name === 'loadmodule') {
      log.warning(`Module ${d.args[0]} failed to load: modules are not supported`);
      process.exit(1);
    }
  }
  if (v['daemonize']) log.warning('daemonize yes is not supported: running in the foreground');

  // (Redis's logo and INFO show the TLS port when there is no TCP one)
  const port = v['port'] || v['tls-port'];
  const mode = v['cluster-enabled'] ? 'cluster' : 'standalone';
  // Redis shows its logo on a terminal or with always-show-logo yes, else one line
  if (v['always-show-logo'] || (!v['logfile'] && !v['syslog-enabled'] && host.stdoutIsTTY))
    log.raw(banner(port, mode, server.http.url()));
  else log.notice(`Running mode=${mode}, port=${port}.`);
  // The AOF (appendonly yes) or else the RDB file, loaded after listening: clients connecting
  // meanwhile get -LOADING. (The AOF manifest is read either way, as Redis does: BGREWRITEAOF
  // and turning AOF on continue its numbering, and a bad one stops the start.)
  await start(server, {
    listen: 'config',
    aofAfterListen: true,
    loadRdb: true,
    listening: async () => {
      if (server.addresses().length === 0 && server.tlsAddresses().length === 0 && !v['unixsocket']) {
        // port 0 (or an empty bind list) and no unix socket
        log.warning('Configured to not listen anywhere, exiting.');
        await server.close();
        process.exit(1);
      }
      log.notice('Server initialized');
    },
    failed: (phase, e) => startFailed(server, phase, e, port),
  });
  // Signals are taken before the pid file is written and the server says it is ready (a
  // harness may send SIGTERM as soon as it sees either); the handler below runs later, from
  // the event loop.
  host.onSignal((sig) => onSignal(sig));
  const pidfile = v['pidfile'] ? underDir(server.config, v['pidfile']) : '';
  if (pidfile) {
    try {
      fs.writeFileSync(pidfile, `${process.pid}\n`);
    } catch (e) {
      log.warning(`Failed to write PID file: ${strerror(e)}`);
    }
  }
  if (Number(v['port']) !== 0) log.notice('Ready to accept connections tcp');
  if (Number(v['tls-port']) !== 0) log.notice('Ready to accept connections tls');
  if (v['unixsocket']) log.notice('Ready to accept connections unix');

  let stopping = false;
  /**
   * The server's shutdown completed (server/shutdown.ts: the AOF synced and
   * the final save made): closes listeners and clients, removes the pid
   * file, exits 0.
   */
  const shutdown = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    try {
      await server.close();
    } catch (e) {
      log.warning(`Error while closing: ${(e as Error).message}`);
    }
    if (pidfile) {
      log.notice('Removing the pid file.');
      try {
        fs.unlinkSync(pidfile);
      } catch {
        /* already gone */
      }
    }
    if (v['unixsocket']) log.notice('Removing the unix socket file.');
    log.warning('tsdis is now ready to exit, bye bye...');
    process.exit(0);
  };
  // A signal is logged at once and handled by the next serverCron (Server.shutdownAsap,
  // server/shutdown.ts), as Redis's: SHUTDOWN ABORT (or DEBUG PAUSE-CRON) can hold it; a
  // second SIGINT exits at once, also while the shutdown waits for lagging replicas.
  const onSignal = (sig: 'SIGTERM' | 'SIGINT') => {
    if ((stopping || server.shutdownAsap !== null) && sig === 'SIGINT') {
      log.warning('You insist... exiting now.');
      removeTempRdb(server);
      process.exit(1);
    }
    const line = `${process.pid}:signal-handler (${Math.floor(Date.now() / 1000)}) Received ${sig} scheduling shutdown...\n`;
    const logfile = v['logfile'];
    if (logfile) {
      try {
        fs.appendFileSync(underDir(server.config, logfile), line);
      } catch {
        /* the log must not stop the shutdown */
      }
    } else process.stdout.write(line);
    server.shutdownAsap = sig;
  };
  // what Redis exits on (an AOF write error under appendfsync always; logged where it happened)
  server.on('fatal', () => process.exit(1));
  server.on('shutdown', () => void shutdown());
}
