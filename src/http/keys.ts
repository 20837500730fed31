/**
 * The dashboard's key browser: `/api/keys?db=&pattern=&cursor=` (SCAN with
 * a pattern, each key's type and TTL) and `/api/key?db=&key=` (one key's
 * type, TTL, encoding, size and a bounded preview of its value). Read-only
 * and on demand: nothing here runs unless a page asks.
 *
 * Every figure comes from running the command a client would run (SCAN,
 * TYPE, PTTL, MEMORY USAGE, GETRANGE, LRANGE, ...) on an in-process client
 * acting as the HTTP request's user, through the dispatcher: the ACL
 * (commands and key patterns), LOADING, cluster and every other gate apply
 * as to a RESP client, and each figure has one implementation. A command
 * the user may not run (the HTTP layer's canRun) is not sent; its figure is
 * null. The client does not touch keys' access times (CLIENT NO-TOUCH);
 * the commands count in INFO's stats (commandstats, keyspace hits) as a
 * RESP client's would.
 *
 * Work per request is bounded: at most SCAN_CALLS SCANs of SCAN_COUNT
 * slots, a string's first PREVIEW_BYTES bytes, a collection's first
 * PREVIEW_ITEMS elements, each cut at ITEM_BYTES.
 */
import type { Server } from '../server/server.js';
import type { Client } from '../server/client.js';
import type { User } from '../acl/user.js';
import { dispatch } from '../server/dispatcher.js';
import { RespDecoder, type RespValue } from '../protocol/decoder.js';
import { ReplyError } from '../protocol/errors.js';
import { display, displayPrefix, toHex } from './text.js';

/** Who asks: the HTTP request's user (its name) and what it may run (the HTTP layer's ACL check, http/access.ts). */
export interface KeyAccess {
  readonly user: string;
  canRun(argv: readonly string[]): boolean;
}

/** An API answer: the HTTP status and the JSON body. */
export interface ApiResult {
  status: number;
  body: unknown;
}

const SCAN_COUNT = 500;
const SCAN_CALLS = 20;
const PAGE_DEFAULT = 50;
const PAGE_MAX = 500;
const PATTERN_MAX = 1024;
export const PREVIEW_BYTES = 1024;
export const PREVIEW_ITEMS = 20;
export const ITEM_BYTES = 256;

/** A byte string cut for display: its text and how many bytes were left out. */
interface Cut {
  text: string;
  more: number;
}

const cut = (s: RespValue): Cut => displayPrefix(typeof s === 'string' ? s : String(s), ITEM_BYTES);

const bad = (status: number, error: string): ApiResult => ({ status, body: { error } });

/** The key browser of a server (owned by the dashboard, http/dashboard.ts). */
export class KeyBrowser {
  /** The in-process client the commands run on, made on first use; never in CLIENT LIST. */
  private client: Client | null = null;
  private readonly decoder = new RespDecoder();

  constructor(private readonly server: Server) {}

  /**
   * Runs one command as `user` in db `db` and returns its decoded reply (a
   * ReplyError for an error reply; null when it made none, which none of the
   * commands sent here does).
   */
  private run(user: User, db: number, argv: string[]): RespValue {
    const c = (this.client ??= this.server.newClient(null, 'internal'));
    c.user = user;
    c.authenticated = true;
    c.db = this.server.dbs[db]!;
    c.noTouch = true;
    dispatch(this.server, c, argv);
    this.decoder.feed(c.reply.take());
    return this.decoder.next() ?? null;
  }

  /** run() when `who` may run argv, else undefined (the figure is left out). */
  private tryRun(who: KeyAccess, user: User, db: number, argv: string[]): RespValue | undefined {
    if (!who.canRun(argv)) return undefined;
    const r = this.run(user, db, argv);
    return r instanceof ReplyError ? undefined : r;
  }

  /** The db number in the query, or an error answer. */
  private db(q: Map<string, string>): number | ApiResult {
    const s = q.get('db') ?? '0';
    const n = /^\d{1,5}$/.test(s) ? Number(s) : -1;
    if (n < 0 || n >= this.server.dbs.length) return bad(400, `db must be 0..${this.server.dbs.length - 1}`);
    return n;
  }

  /**
   * GET /api/keys?db=&pattern=&cursor=&count=: SCAN from `cursor` until
   * `count` keys matched or the scan ended (at most SCAN_CALLS calls); each
   * key with its type and PTTL. `cursor` in the answer continues the scan
   * ("0": done).
   */
  list(q: Map<string, string>, who: KeyAccess): ApiResult {
    const db = this.db(q);
    if (typeof db !== 'number') return db;
    const user = this.server.acl.getUser(who.user);
    if (user === undefined) return bad(403, `user '${who.user}' no longer exists`);
    const pattern = q.get('pattern') || '*';
    if (pattern.length > PATTERN_MAX) return bad(400, `pattern longer than ${PATTERN_MAX} bytes`);
    let cursor = q.get('cursor') || '0';
    if (!/^\d{1,20}$/.test(cursor)) return bad(400, 'cursor must be a number');
    const want = Math.min(PAGE_MAX, Math.max(1, Number(q.get('count') ?? PAGE_DEFAULT) || PAGE_DEFAULT));
    const scan = (cur: string) => ['SCAN', cur, 'MATCH', pattern, 'COUNT', String(SCAN_COUNT)];
    if (!who.canRun(scan(cursor))) return bad(403, "this user may not run SCAN (the key browser's command)");
    const found: string[] = [];
    for (let calls = 0; calls < SCAN_CALLS; calls++) {
      const r = this.run(user, db, scan(cursor));
      if (r instanceof ReplyError) return bad(r.message.startsWith('NOPERM') ? 403 : 503, r.message);
      const [next, page] = Array.isArray(r) ? r : [];
      if (next === undefined || !Array.isArray(page)) return bad(500, 'unexpected SCAN reply');
      cursor = String(next);
      for (const k of page) found.push(String(k));
      if (cursor === '0' || found.length >= want) break;
    }
    const keys = found.map((k) => {
      const type = this.tryRun(who, user, db, ['TYPE', k]);
      const ttl = this.tryRun(who, user, db, ['PTTL', k]);
      return {
        key: display(k),
        raw: toHex(k),
        type: typeof type === 'string' ? type : null,
        ttl: typeof ttl === 'number' ? ttl : null,
      };
    });
    return { status: 200, body: { db, pattern: display(pattern), cursor, keys } };
  }

  /**
   * GET /api/key?db=&key=: one key's type, PTTL, OBJECT ENCODING, MEMORY
   * USAGE, length (STRLEN, LLEN, HLEN, SCARD, ZCARD, XLEN) and a preview: a
   * string's first PREVIEW_BYTES bytes, a collection's first PREVIEW_ITEMS
   * elements (HSCAN/SSCAN's first step for hashes and sets), a stream's
   * first entries. 404 when the key does not exist.
   */
  key(q: Map<string, string>, who: KeyAccess): ApiResult {
    const db = this.db(q);
    if (typeof db !== 'number') return db;
    const user = this.server.acl.getUser(who.user);
    if (user === undefined) return bad(403, `user '${who.user}' no longer exists`);
    const k = q.get('key');
    if (k === undefined || k === '') return bad(400, 'key is required');
    if (!who.canRun(['TYPE', k])) return bad(403, 'this user may not run TYPE on this key');
    const type = this.run(user, db, ['TYPE', k]);
    if (type instanceof ReplyError) return bad(type.message.startsWith('NOPERM') ? 403 : 503, type.message);
    if (typeof type !== 'string') return bad(500, 'unexpected TYPE reply');
    if (type === 'none') return bad(404, 'no such key');
    const ttl = this.tryRun(who, user, db, ['PTTL', k]);
    const encoding = this.tryRun(who, user, db, ['OBJECT', 'ENCODING', k]);
    const memory = this.tryRun(who, user, db, ['MEMORY', 'USAGE', k]);
    const n = PREVIEW_ITEMS;
    let length: RespValue | undefined;
    let preview: unknown = null;
    switch (type) {
      case 'string': {
        length = this.tryRun(who, user, db, ['STRLEN', k]);
        const v = this.tryRun(who, user, db, ['GETRANGE', k, '0', String(PREVIEW_BYTES - 1)]);
        if (typeof v === 'string') {
          const total = typeof length === 'number' ? length : v.length;
          const p = displayPrefix(v, PREVIEW_BYTES);
          preview = { kind: 'string', text: p.text, more: total - v.length + p.more };
        }
        break;
      }
      case 'list': {
        length = this.tryRun(who, user, db, ['LLEN', k]);
        const v = this.tryRun(who, user, db, ['LRANGE', k, '0', String(n - 1)]);
        if (Array.isArray(v)) preview = { kind: 'list', items: v.map(cut) };
        break;
      }
      case 'set': {
        length = this.tryRun(who, user, db, ['SCARD', k]);
        const page = scanPage(this.tryRun(who, user, db, ['SSCAN', k, '0', 'COUNT', String(n)]));
        if (page !== null) preview = { kind: 'set', items: page.slice(0, n).map(cut) };
        break;
      }
      case 'hash': {
        length = this.tryRun(who, user, db, ['HLEN', k]);
        const page = scanPage(this.tryRun(who, user, db, ['HSCAN', k, '0', 'COUNT', String(n)]));
        if (page !== null) preview = { kind: 'hash', pairs: pairs(page, n) };
        break;
      }
      case 'zset': {
        length = this.tryRun(who, user, db, ['ZCARD', k]);
        const v = this.tryRun(who, user, db, ['ZRANGE', k, '0', String(n - 1), 'WITHSCORES']);
        if (Array.isArray(v)) preview = { kind: 'zset', pairs: pairs(v, n) };
        break;
      }
      case 'stream': {
        length = this.tryRun(who, user, db, ['XLEN', k]);
        const v = this.tryRun(who, user, db, ['XRANGE', k, '-', '+', 'COUNT', String(Math.min(n, 10))]);
        if (Array.isArray(v)) {
          const entries = v.map((e) => {
            const [id, fields] = Array.isArray(e) ? e : [];
            return { id: String(id), fields: Array.isArray(fields) ? pairs(fields, n) : [] };
          });
          preview = { kind: 'stream', entries };
        }
        break;
      }
    }
    return {
      status: 200,
      body: {
        db,
        key: display(k),
        raw: toHex(k),
        type,
        ttl: typeof ttl === 'number' ? ttl : null,
        encoding: typeof encoding === 'string' ? encoding : null,
        memory: typeof memory === 'number' ? memory : null,
        length: typeof length === 'number' ? length : null,
        preview,
      },
    };
  }
}

/** The elements of a SCAN-family reply ([cursor, elements]), or null. */
function scanPage(r: RespValue | undefined): RespValue[] | null {
  if (!Array.isArray(r)) return null;
  const page = r[1];
  return Array.isArray(page) ? page : null;
}

/** A flat [a1, b1, a2, b2, ...] reply as at most n [a, b] pairs, each cut for display. */
function pairs(flat: RespValue[], n: number): [Cut, Cut][] {
  const out: [Cut, Cut][] = [];
  for (let i = 0; i + 1 < flat.length && out.length < n; i += 2) out.push([cut(flat[i]!), cut(flat[i + 1]!)]);
  return out;
}
