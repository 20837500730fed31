/**
 * The live dashboard's server side: the page and its files (`/`,
 * `/static/...`), the Server-Sent Events stream (`/events`) and the key
 * browser's API (`/api/keys`, `/api/key`: http/keys.ts). The HTTP layer
 * (http/http.ts) routes requests here after its access checks.
 *
 * Nothing runs while nobody watches: the once-a-second timer exists only
 * while at least one `/events` stream is open; the first subscriber starts
 * it, the last one to go stops it. Each tick builds one snapshot
 * (http/snapshot.ts) and writes the same frame to every subscriber; a
 * subscriber that does not read (more than MAX_BUFFERED bytes waiting) is
 * dropped rather than buffered without bound.
 *
 * The page's files are built into dist/http/dashboard/ by `npm run build`
 * (tsconfig.dashboard.json, scripts/dashboard-assets.mjs copies the HTML,
 * the CSS and uPlot's files) and read from disk on the first request, then
 * kept: no file is read, and no memory held, before a page is asked for.
 */
import { Buffer } from 'node:buffer';
import process from 'node:process';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from '../server/server.js';
import type { Subsystem } from '../server/subsystem.js';
import { buildSnapshot } from './snapshot.js';
import { KeyBrowser, type KeyAccess, type ApiResult } from './keys.js';
import { parseQuery } from './text.js';
import { sendText } from './respond.js';
import type { HttpContext } from './routes.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/**
 * Where the built page lives: dist/http/dashboard/, beside this module's
 * dist/http/dashboard.js; the tests run this module compiled into
 * dist-test/src/http/, and take the page `npm run build` made in dist/.
 */
export const ASSET_DIRS = [
  path.join(HERE, 'dashboard'),
  path.join(HERE, '..', '..', '..', 'dist', 'http', 'dashboard'),
];

/** The page's files: URL path -> file name and content type. */
const ASSETS: Record<string, [string, string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/static/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/static/style.css': ['style.css', 'text/css; charset=utf-8'],
  '/static/uPlot.iife.min.js': ['uPlot.iife.min.js', 'text/javascript; charset=utf-8'],
  '/static/uPlot.min.css': ['uPlot.min.css', 'text/css; charset=utf-8'],
};

/**
 * The page may load only its own files and talk only to its own origin; no
 * inline script, no frames. uPlot sets sizes through element.style, which
 * this policy allows (it blocks style attributes in markup only).
 */
export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The period of the snapshots, ms. */
export const PERIOD_MS = 1000;
/** A subscriber with more than this many bytes unsent is closed (a stalled reader). */
const MAX_BUFFERED = 1 << 20;

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** The dashboard of a server (owned by the HTTP layer; close() with it). */
export class Dashboard implements Subsystem {
  /** Open `/events` streams, each with who opened it (checked again at every tick). */
  private readonly subscribers = new Map<ServerResponse, KeyAccess>();
  /** The once-a-second timer: set only while `subscribers` is not empty. */
  private timer: NodeJS.Timeout | null = null;
  /** Snapshots built since the server started (tests: none while nobody watches). */
  snapshots = 0;
  /** The last snapshot's build time, µs (bench/dashboard.ts). */
  lastBuildUs = 0;
  private readonly assets = new Map<string, Asset>();
  readonly keys: KeyBrowser;

  constructor(private readonly server: Server) {
    this.keys = new KeyBrowser(server);
  }

  /** How many pages are listening. */
  get watching(): number {
    return this.subscribers.size;
  }

  /** Whether the snapshot timer exists (only while someone watches). */
  get ticking(): boolean {
    return this.timer !== null;
  }

  /**
   * Answers a GET or HEAD routed here (dashboardRoute), after the HTTP
   * layer's checks. `who` is the request's user: the key browser runs
   * commands as it, and the stream checks it again at every tick.
   */
  handle(req: IncomingMessage, res: ServerResponse, pathname: string, who: KeyAccess): void {
    if (pathname === '/events') return this.subscribe(req, res, who);
    if (pathname === '/api/keys') return sendJson(res, this.keys.list(parseQuery(req.url ?? ''), who));
    if (pathname === '/api/key') return sendJson(res, this.keys.key(parseQuery(req.url ?? ''), who));
    this.sendAsset(req, res, pathname);
  }

  /** One of the page's files, with an ETag (304 when the page has it already). */
  private sendAsset(req: IncomingMessage, res: ServerResponse, pathname: string): void {
    if (!Object.hasOwn(ASSETS, pathname)) return sendText(res, 404, 'not found');
    const a = this.asset(pathname);
    if (a === null) return sendText(res, 500, 'the dashboard is not built: run npm run build');
    const headers: Record<string, string | number> = {
      'Content-Type': a.type,
      'Cache-Control': 'no-cache',
      ETag: a.etag,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    };
    if (pathname === '/') {
      headers['Content-Security-Policy'] = CSP;
      headers['X-Frame-Options'] = 'DENY';
    }
    if (req.headers['if-none-match'] === a.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    headers['Content-Length'] = a.body.length;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : a.body);
  }

  /** A file of the page, read on first use; null when the build did not make it. */
  private asset(pathname: string): Asset | null {
    const known = this.assets.get(pathname);
    if (known !== undefined) return known;
    const spec = ASSETS[pathname];
    if (spec === undefined) return null;
    let body: Buffer | null = null;
    for (const dir of ASSET_DIRS) {
      try {
        body = fs.readFileSync(path.join(dir, spec[0]));
        break;
      } catch {
        // not there: the next place
      }
    }
    if (body === null) return null;
    const etag = `"${crypto.createHash('sha1').update(body).digest('base64url').slice(0, 16)}"`;
    const a = { body, type: spec[1], etag };
    this.assets.set(pathname, a);
    return a;
  }

  /** GET /events: a text/event-stream of snapshots, the first at once, then one per PERIOD_MS. */
  private subscribe(req: IncomingMessage, res: ServerResponse, who: KeyAccess): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'X-Accel-Buffering': 'no',
    });
    // HEAD: the headers only, no stream
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    // the browser reconnects after 2 s when the stream breaks
    res.write('retry: 2000\n\n');
    this.subscribers.set(res, who);
    const gone = () => this.unsubscribe(res);
    res.once('close', gone);
    req.once('close', gone);
    res.write(this.frame());
    if (this.timer === null) this.timer = setInterval(() => this.tick(), PERIOD_MS).unref();
  }

  /** A stream closed: forget it; the last one stops the timer. */
  private unsubscribe(res: ServerResponse): void {
    if (!this.subscribers.delete(res)) return;
    if (this.subscribers.size === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  /** One SSE frame with a fresh snapshot. */
  private frame(): string {
    const t0 = process.hrtime.bigint();
    const json = JSON.stringify(buildSnapshot(this.server));
    this.lastBuildUs = Number(process.hrtime.bigint() - t0) / 1000;
    this.snapshots++;
    return `data: ${json}\n\n`;
  }

  /**
   * The timer's tick: one snapshot, written to every subscriber still
   * allowed to see it (its user may still run INFO: an ACL change or a
   * deleted user ends the stream) and still reading.
   */
  private tick(): void {
    let f: string | null = null;
    for (const [res, who] of this.subscribers) {
      if (res.writableLength > MAX_BUFFERED || !who.canRun(['info'])) {
        res.destroy();
        this.unsubscribe(res);
        continue;
      }
      res.write((f ??= this.frame()));
    }
  }

  /** The server closes: end every stream and stop the timer. */
  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    for (const res of this.subscribers.keys()) res.end();
    this.subscribers.clear();
  }
}

/** The dashboard's route handler (http/routes.ts): every path of it goes to the server's Dashboard. */
export function dashboardRoute(req: IncomingMessage, res: ServerResponse, ctx: HttpContext): void {
  ctx.server.dashboard.handle(req, res, ctx.url.pathname, ctx);
}

/** Writes an API answer as JSON (never cached: the keyspace changes). */
function sendJson(res: ServerResponse, r: ApiResult): void {
  const body = JSON.stringify(r.body);
  res.writeHead(r.status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(body);
}
