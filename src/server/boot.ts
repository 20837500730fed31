/**
 * Starting a server: the one path the CLI (serve.ts), createServer() and
 * createServer({ noListen }) take (start()), and the dataset's load at
 * start. With appendonly yes the AOF is replayed, before listening for an
 * embedded server, after it for the CLI (clients get -LOADING meanwhile,
 * as from redis-server); else, when asked, the AOF manifest is read and
 * the RDB file loaded.
 */
import { performance } from 'node:perf_hooks';
import type { Server } from './server.js';
import { dispatch } from './dispatcher.js';
import { discardTransaction } from './multi.js';
import { loadAof, loadInSlices, UNKNOWN_COMMAND, type AofReplayer } from '../persistence/aof.js';
import { loadRdbFile } from '../persistence/snapshot-load.js';
import { persist } from '../persistence/snapshot.js';
import { vmForAof } from '../scripting/vm-gate.js';

/** Where start() failed: the listen (with the AOF load when it comes first), the AOF after it, the manifest, the RDB file. */
export type StartPhase = 'listen' | 'aof' | 'manifest' | 'rdb';

export interface StartOptions {
  /**
   * Listen as configured ('config': port 0 means no TCP listener, as in
   * Redis), with port 0 letting the OS pick ('ephemeral': createServer),
   * or not at all ('none': in-process calls only; no cron runs).
   */
  listen: 'config' | 'ephemeral' | 'none';
  /** appendonly yes: the AOF is loaded after listening, in slices, with -LOADING replies (the CLI); else before. */
  aofAfterListen: boolean;
  /** Without the AOF: read the AOF manifest and load the RDB file (the CLI; createServer when it names a place). */
  loadRdb: boolean;
  /** Between listening and loading (the CLI's checks and log lines). */
  listening?: () => Promise<void> | void;
  /** A phase threw `e`: called before start() rethrows it (the CLI exits here; createServer closes the server after a failed load). */
  failed?: (phase: StartPhase, e: unknown) => Promise<void> | void;
}

/** Starts `server` (see StartOptions); rejects with what the failing phase threw. */
export async function start(server: Server, opts: StartOptions): Promise<void> {
  let phase: StartPhase = 'listen';
  try {
    if (opts.listen === 'none') {
      if (server.config.v['appendonly'] && !server.deferAofLoad) await vmForAof(server);
      startPersistence(server);
    } else {
      server.deferAofLoad = opts.aofAfterListen;
      await server.listen({ ephemeralPort: opts.listen === 'ephemeral' });
    }
    await opts.listening?.();
    if (server.config.v['appendonly']) {
      phase = 'aof';
      await loadAofAfterListen(server);
    } else if (opts.loadRdb) {
      // the AOF manifest too, as redis-server reads it (BGREWRITEAOF and CONFIG SET appendonly yes continue it)
      phase = 'manifest';
      server.aof.loadManifest();
      server.aof.delHistoryFiles();
      phase = 'rdb';
      // a primary's backlog takes the DELs of keys expired in the file, rebased on its offset after the load
      const feed = server.repl.startupBacklog();
      const loaded = await loadRdbFile(server, undefined, false, feed);
      server.repl.restoreFromRdb(loaded ? persist(server).lastLoadRepl : null);
    }
  } catch (e) {
    await opts.failed?.(phase, e);
    throw e;
  }
}

/**
 * Loads the dataset at start: from the AOF when appendonly is yes (then
 * keeps appending to it), unless deferred to loadAofAfterListen. Throws
 * AofLoadError when the AOF cannot be loaded (Redis's lines logged).
 * Called by Server.listen and start() (noListen).
 */
export function startPersistence(server: Server): void {
  server.persistenceStarted = true;
  if (!server.config.v['appendonly'] || server.deferAofLoad) return;
  server.aof.loadManifest();
  const t0 = performance.now();
  const status = loadAof(server.aof, aofReplayer(server));
  aofStarted(server, status, t0);
}

/** After the load at start (Redis's loadDataFromDisk tail, aofOpenIfNeededOnServerStart, aofDelHistoryFiles). */
function aofStarted(server: Server, status: string, t0: number): void {
  if (status !== 'not-exist')
    server.log.notice(`DB loaded from append only file: ${((performance.now() - t0) / 1000).toFixed(3)} seconds`);
  server.aof.openOnStart();
  server.aof.delHistoryFiles();
}

/**
 * The AOF's replayer: Redis's internal AOF client, which no gate refuses
 * (Client.mustObey), whose replies are dropped, and whose first error
 * stops the load (persistence/aof.ts names the file and offset). Also
 * DEBUG LOADAOF's (commands/persistence.ts).
 */
export function aofReplayer(server: Server): AofReplayer {
  const loader = server.newClient(null, 'internal');
  loader.mustObey = true;
  const reply = loader.reply;
  return {
    run: (argv) => {
      if (server.commands.lookupOrOriginal(argv[0]!) === undefined) return UNKNOWN_COMMAND;
      const errors = reply.errors;
      dispatch(server, loader, argv);
      reply.out = '';
      return reply.errors === errors ? null : reply.lastError;
    },
    inMulti: () => loader.multiQueue !== null,
    discard: () => discardTransaction(loader, server.watches),
  };
}

/**
 * The CLI's start with appendonly yes: reads the manifest, loads the AOF
 * in slices while the server already listens (clients get -LOADING),
 * then appends to it. Rejects (AofLoadError, logged) when the AOF cannot
 * be loaded. Nothing to do when it was loaded already (before listening).
 */
async function loadAofAfterListen(server: Server): Promise<void> {
  if (!server.config.v['appendonly'] || server.aof.state !== 'off') return;
  // clients are refused from here on, while the files are read too
  server.loading = true;
  try {
    server.aof.loadManifest();
    await vmForAof(server);
    const t0 = performance.now();
    const status = await loadInSlices(server, aofReplayer(server));
    aofStarted(server, status, t0);
  } finally {
    server.loading = false;
  }
}
