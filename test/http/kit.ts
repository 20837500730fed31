/**
 * HTTP test helpers (test/http/): one request with Node's http client (no
 * agent, so each request has its own connection), raw bytes over a socket
 * for what a client library will not send, and a server with its HTTP
 * listener on a free port.
 */
import http from 'node:http';
import net from 'node:net';
import { freePort, startTsdis } from '../helpers/servers.js';
import type { CreateServerOptions, TsdisServer } from '../../src/index.js';

export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Address to connect to (default 127.0.0.1). */
  host?: string;
  /** Local address to connect from. */
  localAddress?: string;
  /** Give up after this many ms (default 10 000). */
  timeout?: number;
}

/** One HTTP request on its own connection; resolves with the status, headers and body (utf8). */
export function request(port: number, path: string, opts: RequestOptions = {}): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: opts.host ?? '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        headers: opts.headers,
        agent: false,
        localAddress: opts.localAddress,
        timeout: opts.timeout ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no reply to ${path} within the timeout`)));
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** A GET with HTTP Basic credentials. */
export function getAs(port: number, path: string, user: string, pass: string, headers: Record<string, string> = {}) {
  const auth = Buffer.from(`${user}:${pass}`, 'utf8').toString('base64');
  return request(port, path, { headers: { ...headers, Authorization: `Basic ${auth}` } });
}

/**
 * Sends `bytes` on a fresh connection (in `parts`, `gapMs` apart, when
 * given) and resolves with everything received until the server closes it
 * and the time that took (ms), or rejects after `ms`.
 */
export function rawExchange(
  port: number,
  parts: (string | Buffer)[],
  opts: { gapMs?: number; ms?: number } = {},
): Promise<{ reply: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const sock = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | null = null;
    const limit = setTimeout(() => {
      sock.destroy();
      reject(
        new Error(
          `connection not closed within ${opts.ms ?? 10_000} ms; got ${Buffer.concat(chunks).toString('latin1').slice(0, 200)}`,
        ),
      );
    }, opts.ms ?? 10_000);
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('error', () => {});
    sock.on('close', () => {
      clearTimeout(limit);
      if (timer !== null) clearTimeout(timer);
      resolve({ reply: Buffer.concat(chunks).toString('latin1'), ms: Date.now() - t0 });
    });
    let i = 0;
    const next = () => {
      timer = null;
      if (i >= parts.length || sock.destroyed) return;
      sock.write(parts[i++]!);
      if (i < parts.length) timer = setTimeout(next, opts.gapMs ?? 0);
    };
    sock.once('connect', next);
  });
}

/** The status code of a raw HTTP/1.1 reply (`HTTP/1.1 431 ...`), or 0. */
export function rawStatus(reply: string): number {
  const m = /^HTTP\/1\.1 (\d{3}) /.exec(reply);
  return m === null ? 0 : Number(m[1]);
}

/** A server on 127.0.0.1 with its HTTP listener on a free port (`httpPort`). */
export async function startWithHttp(opts: CreateServerOptions = {}): Promise<{ srv: TsdisServer; httpPort: number }> {
  for (let attempt = 0; ; attempt++) {
    const httpPort = await freePort();
    try {
      const srv = await startTsdis({ ...opts, config: { 'http-port': httpPort, ...opts.config } });
      return { srv, httpPort };
    } catch (e) {
      // (another test took the port between freePort and listen)
      if (attempt >= 4) throw e;
    }
  }
}
