/**
 * The HTTP listener's route table (src/http/): which handler answers which
 * path. A handler runs after the listener's checks (Host, method, no body,
 * protected mode, Basic auth against the ACL, the user allowed to run INFO:
 * src/http/access.ts), with the request's context; it answers through Node's
 * ServerResponse (the listener already set `X-Content-Type-Options: nosniff`;
 * HEAD requests get no body from Node whatever the handler writes).
 *
 * Routes are a static table (ROUTES, below: one line per route) that each
 * server copies (HttpListener.routes), so an embedder or a test may add its
 * own with HttpListener.registerRoute. A path is matched exactly, or by a
 * prefix entry ending in `/*` (`/assets/*` answers `/assets/uplot.js`); the
 * exact match wins, then the longest prefix.
 */
import type http from 'node:http';
import type { Server } from '../server/server.js';
import { metricsRoute } from './metrics.js';
import { dashboardRoute } from './dashboard.js';

/** What a handler is told about the request it answers. */
export interface HttpContext {
  /** The server. */
  readonly server: Server;
  /** The request's URL (path and query), parsed. */
  readonly url: URL;
  /** The ACL user the request runs as (the one its Basic credentials named; `default` without). */
  readonly user: string;
  /**
   * Whether that user may run this command line now (ACL: command, keys,
   * channels), as the user is at the time of the call (a long stream
   * checks again as it goes). False for an unknown command or a user deleted since.
   */
  canRun(argv: readonly string[]): boolean;
}

/** A route's handler. A rejected promise (or a throw) answers 500, or ends the connection once headers are out. */
export type HttpHandler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  ctx: HttpContext,
) => void | Promise<void>;

/** Every route of every server, by path (`/x/*`: every path under /x/). */
export const ROUTES: ReadonlyMap<string, HttpHandler> = new Map<string, HttpHandler>([
  ['/metrics', metricsRoute],
  // the dashboard (http/dashboard.ts): its page and files, its stream, the key browser's API
  ['/', dashboardRoute],
  ['/static/*', dashboardRoute],
  ['/events', dashboardRoute],
  ['/api/keys', dashboardRoute],
  ['/api/key', dashboardRoute],
]);

/** The handler for `path` in `routes`: the exact entry, else the longest `/prefix/*` entry that covers it. */
export function findRoute(routes: ReadonlyMap<string, HttpHandler>, path: string): HttpHandler | undefined {
  const exact = routes.get(path);
  if (exact !== undefined) return exact;
  let best: HttpHandler | undefined;
  let bestLen = -1;
  for (const [p, h] of routes) {
    if (!p.endsWith('/*')) continue;
    const prefix = p.slice(0, -1);
    if (path.startsWith(prefix) && prefix.length > bestLen) {
      best = h;
      bestLen = prefix.length;
    }
  }
  return best;
}
