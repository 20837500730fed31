/**
 * The public API: an in-process Redis-compatible server for applications and
 * test suites.
 *
 *   import { createServer } from 'tsdis';
 *   const srv = await createServer();            // 127.0.0.1, a free port
 *   const client = new Redis(srv.port);          // any Redis client
 *   await srv.call('SET', 'k', 'v');             // or in-process, no socket
 *   await srv.close();                           // no handles left open
 */
import { Buffer } from 'node:buffer';
import type { AddressInfo } from 'node:net';
import { Server, type ServerOptions } from './server/server.js';
import { RespDecoder, type RespValue } from './protocol/decoder.js';
import { dispatch } from './server/dispatcher.js';
import type { Client } from './server/client.js';
import { start } from './server/boot.js';

export { Server } from './server/server.js';
export { ReplyError, TsdisError } from './protocol/errors.js';
export type { RespValue } from './protocol/decoder.js';
export { REDIS_VERSION, TSDIS_VERSION } from './version.js';

export interface CreateServerOptions extends ServerOptions {
  /** TCP port; 0 (the default) lets the OS pick a free one. */
  port?: number;
  /** Address to bind; default 127.0.0.1. */
  host?: string;
  /** Don't listen on TCP at all (in-process call() only). */
  noListen?: boolean;
}

export interface TsdisServer {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** The TLS port (`tls-port` in `config`), 0 when TLS is not listening. */
  readonly tlsPort: number;
  readonly host: string;
  /** redis://host:port */
  readonly url: string;
  /** The underlying server (config, databases, clients). */
  readonly server: Server;
  /** Runs a command in-process and resolves with the decoded reply. Error replies resolve as ReplyError values. */
  call(...args: (string | number | Buffer)[]): Promise<RespValue>;
  /** Stops listening and closes every client and timer. */
  close(): Promise<void>;
}

/**
 * Starts a server; resolves once it is listening. With `tls-port` (and the
 * tls-* files) in `config` it listens with TLS too; a TLS configuration that
 * fails rejects with a TsdisError of code ETLSCONFIG (its reason logged).
 */
export async function createServer(opts: CreateServerOptions = {}): Promise<TsdisServer> {
  const config: Record<string, string | number | boolean> = {
    port: opts.port ?? 0,
    bind: opts.host ?? '127.0.0.1',
    save: '',
    ...opts.config,
  };
  const server = new Server({ ...opts, config, log: opts.log ?? (() => {}) });
  // Without the AOF, the RDB file if there is one, as redis-server does, but
  // only when the caller named a place (`dir` or `dbfilename`): a test suite's
  // server does not pick up a dump.rdb lying in its working directory.
  const named = opts.config !== undefined && ('dir' in opts.config || 'dbfilename' in opts.config);
  await start(server, {
    listen: opts.noListen ? 'none' : 'ephemeral',
    aofAfterListen: false,
    loadRdb: named,
    // a failed start closes the server: what it opened before the failure (the
    // AOF's files, a cluster bus when the HTTP port cannot be bound) is released
    failed: () => server.close(),
  });
  const addr: AddressInfo | undefined = server.addresses()[0];
  let internal: Client | null = null;
  const decoder = new RespDecoder();
  // Set while a call waits for the Lua VM's first load (scripting/vm-gate.ts): later calls queue behind it.
  let waiting: Promise<unknown> | null = null;
  const take = (c: Client): RespValue => {
    decoder.feed(c.reply.take());
    const v = decoder.next();
    return v === undefined ? null : v;
  };
  // One command on the in-process client; a command held for the VM resolves once it ran.
  const run = (argv: string[]): Promise<RespValue> => {
    const c = (internal ??= server.newClient(null, 'internal'));
    dispatch(server, c, argv);
    const held = server.vmGate.waiting;
    if (!server.vmGate.holds(c) || held === null) return Promise.resolve(take(c));
    const p = held.then(() => take(c));
    settle(p);
    return p;
  };
  // Makes `p` the one later calls wait for, until it settles.
  const settle = (p: Promise<unknown>): void => {
    const done = p.then(
      () => undefined,
      () => undefined,
    );
    waiting = done;
    void done.then(() => {
      if (waiting === done) waiting = null;
    });
  };
  return {
    port: addr?.port ?? 0,
    tlsPort: server.tlsAddresses()[0]?.port ?? 0,
    host: addr?.address ?? '',
    url: addr ? `redis://${addr.address}:${addr.port}` : '',
    server,
    call(...args) {
      const argv = args.map((a) => (Buffer.isBuffer(a) ? a.latin1Slice(0, a.length) : String(a)));
      // behind a call still waiting for the Lua VM's first load: after it, in order
      if (waiting !== null) {
        const p = waiting.then(() => run(argv));
        settle(p);
        return p;
      }
      return run(argv);
    },
    close: () => server.close(),
  };
}
