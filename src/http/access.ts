/**
 * Who may use the HTTP listener (src/http/), checked for every request
 * before a route runs, in this order:
 *
 * 1. Protected mode, as on the RESP port (server/listener.ts): with
 *    protected-mode yes and no password on the default user, only loopback
 *    peers are served (403).
 * 2. The `Host` header (DNS rebinding): a loopback name or address
 *    (localhost, 127.0.0.0/8, ::1), an address the listener is bound to, the
 *    address the request came in on, or this machine's hostname, with or
 *    without a port; anything else is 403. A page of another site that a
 *    browser was tricked into sending here names that site in Host.
 * 3. Method and body: GET and HEAD only (405 with Allow), and no body (413).
 * 4. HTTP Basic credentials, checked as AUTH checks them (acl/): when the
 *    default user has a password or is off, every request needs them (401
 *    with `WWW-Authenticate: Basic realm="tsdis"`); wrong ones are 401 and
 *    counted as AUTH failures (ACL LOG reason auth, object AUTH, INFO
 *    acl_access_denied_auth). An empty user name means `default`. Credentials
 *    sent while none are needed are checked all the same.
 * 5. The user must be allowed to run INFO (403): every route shows what INFO
 *    shows. Routes check more with canRun (the key browser: SCAN, TYPE, ...).
 *
 * No CORS headers are ever sent, so a browser lets no other origin read a reply.
 */
import { Buffer } from 'node:buffer';
import os from 'node:os';
import type http from 'node:http';
import type { Server } from '../server/server.js';
import type { Client } from '../server/client.js';
import { DENIED_AUTH, DENIED_CMD, type User } from '../acl/user.js';
import { isLoopback } from '../server/socket.js';

/** A request turned away: its status, short text and extra headers. */
export interface Refusal {
  readonly status: number;
  readonly text: string;
  readonly headers?: Record<string, string>;
  /** End the connection after the reply (a body was left unread). */
  readonly close?: boolean;
}

const UNAUTHORIZED: Refusal = {
  status: 401,
  text: 'authentication required',
  headers: { 'WWW-Authenticate': 'Basic realm="tsdis", charset="UTF-8"' },
};

/**
 * Whether `user` (a User, or a user's name, looked up now) may run the
 * command line `argv` (ACL: command, keys, channels), as the dispatcher's
 * ACL gate would decide, without logging anything. A renamed command is
 * found by its own name as well (the ACL is about the command). False for an
 * unknown command or user. Called by the listener (INFO) and by routes.
 */
export function canRun(server: Server, user: User | string, argv: readonly string[]): boolean {
  const u = typeof user === 'string' ? server.acl.getUser(user) : user;
  if (u === undefined || argv.length === 0) return false;
  return server.acl.mayRun(u, argv, server.commands.lookupOrOriginal(argv[0]!)) === true;
}

/** A peer or local address without the IPv4-mapped prefix (`::ffff:127.0.0.1` is 127.0.0.1). */
function plainAddress(a: string | undefined): string {
  if (a === undefined) return '';
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

/** An address or name as a URL's hostname (canonical: lowercase, IPv4 in dotted form, IPv6 compressed in brackets), or null. */
function canonicalHost(host: string): string | null {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  try {
    return new URL(`http://${h}/`).hostname;
  } catch {
    return null;
  }
}

/**
 * Whether a Host header names this server (see the file's comment):
 * `listening` holds the addresses the listener is bound to.
 */
export function hostAllowed(
  host: string | undefined,
  req: http.IncomingMessage,
  listening: readonly string[],
): boolean {
  // HTTP/1.1 requires Host (Node answers 400 without it); a browser always sends it
  if (host === undefined) return true;
  if (host === '') return false;
  let url: URL;
  try {
    url = new URL(`http://${host}/`);
  } catch {
    return false;
  }
  if (url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search !== '' || url.hash !== '')
    return false;
  const name = url.hostname;
  if (name === 'localhost' || name === '[::1]') return true;
  if (/^127\.\d+\.\d+\.\d+$/.test(name)) return true;
  if (name === canonicalHost(plainAddress(req.socket.localAddress))) return true;
  for (const a of listening) if (name === canonicalHost(a)) return true;
  return name === canonicalHost(os.hostname());
}

/**
 * The checks before authentication (protected mode, Host, method, body):
 * the refusal, or null. `listening`: the listener's bound addresses.
 */
export function checkRequest(server: Server, req: http.IncomingMessage, listening: readonly string[]): Refusal | null {
  if (
    server.config.v['protected-mode'] &&
    server.acl.defaultUser.nopass &&
    !isLoopback(plainAddress(req.socket.remoteAddress))
  ) {
    return {
      status: 403,
      text: 'protected mode: no password is set for the default user, so only loopback clients are served',
    };
  }
  if (!hostAllowed(req.headers.host, req, listening)) return { status: 403, text: 'invalid Host header' };
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return { status: 405, text: 'only GET and HEAD are allowed', headers: { Allow: 'GET, HEAD' }, close: true };
  const length = req.headers['content-length'];
  if ((length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined)
    return { status: 413, text: 'requests with a body are not accepted', close: true };
  return null;
}

/** user:password from an `Authorization: Basic ...` header (bytes as latin1, as AUTH receives them), or null. */
export function basicCredentials(header: string): { user: string; pass: string } | null {
  const m = /^Basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i.exec(header);
  if (m === null) return null;
  const text = Buffer.from(m[1]!, 'base64').toString('latin1');
  const colon = text.indexOf(':');
  if (colon < 0) return null;
  return { user: text.slice(0, colon) || 'default', pass: text.slice(colon + 1) };
}

/**
 * Authenticates a request (see the file's comment): the user it runs as,
 * or the refusal (401; 403 for a user not allowed to run INFO). A failed
 * password is logged as AUTH's failure is, and a 403 as INFO's denial, for
 * `logClient()` (an internal client with the request's addresses: ACL LOG
 * entries need one).
 */
export function authenticate(server: Server, req: http.IncomingMessage, logClient: () => Client): User | Refusal {
  const acl = server.acl;
  const header = req.headers.authorization;
  let user: User;
  if (header === undefined) {
    if (acl.authRequired) return UNAUTHORIZED;
    user = acl.defaultUser;
  } else {
    const creds = basicCredentials(header);
    if (creds === null) return UNAUTHORIZED;
    const u = acl.getUser(creds.user);
    if (u === undefined || !u.checkPassword(creds.pass)) {
      acl.addLog(logClient(), DENIED_AUTH, 'toplevel', 'AUTH', creds.user);
      return UNAUTHORIZED;
    }
    user = u;
  }
  if (!canRun(server, user, ['info'])) {
    // logged as the INFO the user may not run (a command's ACL denial)
    acl.addLog(logClient(), DENIED_CMD, 'toplevel', 'info', user.name, ['info']);
    return { status: 403, text: `user '${user.name}' has no permissions to run the 'info' command` };
  }
  return user;
}
