/**
 * Pub/sub: channel, pattern and shard-channel subscriptions, message
 * delivery, and keyspace notifications (which are published messages).
 *
 * Channels and payloads are latin1 strings (one char per byte), so both are
 * binary safe. The server-wide maps keep insertion order, so a channel's
 * subscribers receive a message in the order they subscribed; each client
 * keeps its own sets (Client.channels / patterns / shardChannels), which
 * CLIENT LIST (sub= psub= ssub=, flag P), INFO and the RESP2 pub/sub gate read.
 *
 * Delivery appends the message to the subscriber's Reply and queues its
 * flush (one socket write per event-loop turn). A subscriber whose pending
 * output grows is written out at once so the client-output-buffer-limit for
 * its class (pubsub) is checked while a publisher's pipeline is still
 * running, as Redis checks it on every reply it adds: memory stays bounded
 * and a subscriber that stops reading is disconnected without affecting the
 * others.
 *
 * As in Redis 7.2, a push addressed to the client whose command is running
 * (a RESP3 client publishing to a channel it is subscribed to, a keyspace
 * event or an invalidation caused by its own command) is held in `pending`
 * and appended after that command's reply (dispatcher call()).
 */
import type { Server } from './server.js';
import type { Subsystem } from './subsystem.js';
import type { Client } from './client.js';
import { globMatch } from '../util/glob.js';
import { NOTIFY } from '../config/special.js';

/** Kinds of subscription, each with its own reply names and counters. */
export type SubKind = 'channel' | 'pattern' | 'shard';

/** Reply words per kind (subscribe reply, unsubscribe reply, message). */
const NAMES: Record<SubKind, { sub: string; unsub: string }> = {
  channel: { sub: 'subscribe', unsub: 'unsubscribe' },
  pattern: { sub: 'psubscribe', unsub: 'punsubscribe' },
  shard: { sub: 'ssubscribe', unsub: 'sunsubscribe' },
};

/** Keyspace event class letters (as db.notify passes them) to their bits. */
const CLASS_BITS: Record<string, number> = {
  g: NOTIFY.GENERIC,
  $: NOTIFY.STRING,
  l: NOTIFY.LIST,
  s: NOTIFY.SET,
  h: NOTIFY.HASH,
  z: NOTIFY.ZSET,
  x: NOTIFY.EXPIRED,
  e: NOTIFY.EVICTED,
  t: NOTIFY.STREAM,
  m: NOTIFY.KEY_MISS,
  n: NOTIFY.NEW,
  d: NOTIFY.MODULE,
};

/** A subscriber with this much unsent output is written out (and its limits checked) at once. */
const EAGER_WRITE_BYTES = 64 * 1024;

export class PubSub implements Subsystem {
  /** channel → subscribers, pattern → subscribers, shard channel → subscribers. */
  readonly channels = new Map<string, Set<Client>>();
  readonly patterns = new Map<string, Set<Client>>();
  readonly shard = new Map<string, Set<Client>>();
  /** Pushes for the client whose command is running, appended after its reply. */
  pending = '';
  /** The notify-keyspace-events mask, kept current on CONFIG SET. */
  private notifyFlags = 0;

  constructor(private readonly server: Server) {
    this.refreshConfig();
  }

  /** Subsystem: notify-keyspace-events may have changed. */
  configChanged(): void {
    this.refreshConfig();
  }
  /** Subsystem: a freed or RESET client leaves every channel and pattern. */
  clientFreed(c: Client): void {
    this.unsubscribeAll(c);
  }
  clientReset(c: Client): void {
    this.unsubscribeAll(c);
  }

  private refreshConfig(): void {
    this.notifyFlags = this.server.config.v['notify-keyspace-events'];
  }

  private serverMap(kind: SubKind): Map<string, Set<Client>> {
    return kind === 'channel' ? this.channels : kind === 'pattern' ? this.patterns : this.shard;
  }

  private clientSet(c: Client, kind: SubKind, create: boolean): Set<string> | null {
    if (kind === 'channel') return c.channels ?? (create ? (c.channels = new Set()) : null);
    if (kind === 'pattern') return c.patterns ?? (create ? (c.patterns = new Set()) : null);
    return c.shardChannels ?? (create ? (c.shardChannels = new Set()) : null);
  }

  /** The count a (un)subscribe reply shows: channels + patterns, or shard channels alone. */
  private count(c: Client, kind: SubKind): number {
    if (kind === 'shard') return c.shardChannels?.size ?? 0;
    return (c.channels?.size ?? 0) + (c.patterns?.size ?? 0);
  }

  /** Subscribes `c` to one channel/pattern/shard channel and replies with the confirmation push. */
  subscribe(c: Client, kind: SubKind, name: string): void {
    const mine = this.clientSet(c, kind, true)!;
    if (!mine.has(name)) {
      mine.add(name);
      const map = this.serverMap(kind);
      let subs = map.get(name);
      if (subs === undefined) map.set(name, (subs = new Set()));
      subs.add(c);
    }
    this.confirm(c, NAMES[kind].sub, name, this.count(c, kind));
  }

  /**
   * Writes one (un)subscribe confirmation to `c` (`name` null: the one sent
   * when there was nothing to unsubscribe from). It is a push in Redis
   * (CLIENT_PUSHING) and so goes out under CLIENT REPLY OFF / SKIP, in RESP2
   * too: a RESP2 one written while the client's replies are silenced is
   * marked in Reply.keep for the dispatcher, which drops the rest.
   */
  private confirm(c: Client, word: string, name: string | null, count: number): void {
    const r = c.reply;
    const from = r.out.length;
    r.push(3);
    r.bulk(word);
    if (name === null) r.null();
    else r.bulk(name);
    r.int(count);
    if (c.resp === 2 && (c.replyOff || c.replySkip)) (r.keep ??= []).push(from, r.out.length);
  }

  /**
   * Unsubscribes `c` from one name; with `notify`, replies with the
   * confirmation push (sent whether or not it was subscribed, as Redis does).
   */
  unsubscribe(c: Client, kind: SubKind, name: string, notify: boolean): void {
    const mine = this.clientSet(c, kind, false);
    if (mine !== null && mine.delete(name)) {
      const map = this.serverMap(kind);
      const subs = map.get(name);
      if (subs !== undefined) {
        subs.delete(c);
        if (subs.size === 0) map.delete(name);
      }
    }
    if (notify) this.confirm(c, NAMES[kind].unsub, name, this.count(c, kind));
  }

  /**
   * UNSUBSCRIBE / PUNSUBSCRIBE / SUNSUBSCRIBE with no arguments: every
   * subscription of the kind, one confirmation each, or a single
   * confirmation with a null name when there was none.
   */
  unsubscribeKind(c: Client, kind: SubKind): void {
    const mine = this.clientSet(c, kind, false);
    if (mine === null || mine.size === 0) {
      this.confirm(c, NAMES[kind].unsub, null, this.count(c, kind));
      return;
    }
    for (const name of [...mine]) this.unsubscribe(c, kind, name, true);
  }

  /** Drops every subscription silently (disconnect, RESET). */
  unsubscribeAll(c: Client): void {
    for (const kind of ['channel', 'pattern', 'shard'] as const) {
      const mine = this.clientSet(c, kind, false);
      if (mine === null) continue;
      for (const name of [...mine]) this.unsubscribe(c, kind, name, false);
    }
  }

  /**
   * PUBLISH (or SPUBLISH with `sharded`): delivers to the channel's
   * subscribers in subscription order, then (not sharded) to every matching
   * pattern's subscribers. Returns the number of deliveries.
   */
  publish(channel: string, message: string, sharded = false): number {
    let n = 0;
    const subs = (sharded ? this.shard : this.channels).get(channel);
    if (subs !== undefined) {
      // encoded once (the body is the same for every subscriber; only the
      // header differs between RESP2 and RESP3) and appended whole
      const body =
        (sharded ? '$8\r\nsmessage\r\n$' : '$7\r\nmessage\r\n$') +
        channel.length +
        '\r\n' +
        channel +
        '\r\n$' +
        message.length +
        '\r\n' +
        message +
        '\r\n';
      let m2 = '';
      let m3 = '';
      for (const c of subs) {
        // one flat copy per protocol: every subscriber's output shares it
        const m = c.resp === 3 ? (m3 ||= flat('>3\r\n' + body)) : (m2 ||= flat('*3\r\n' + body));
        this.target(c).raw(m);
        this.delivered(c);
        n++;
      }
    }
    if (!sharded && this.patterns.size !== 0) {
      for (const [pat, clients] of this.patterns) {
        if (!globMatch(pat, channel)) continue;
        const body =
          '$8\r\npmessage\r\n$' +
          pat.length +
          '\r\n' +
          pat +
          '\r\n$' +
          channel.length +
          '\r\n' +
          channel +
          '\r\n$' +
          message.length +
          '\r\n' +
          message +
          '\r\n';
        let m2 = '';
        let m3 = '';
        for (const c of clients) {
          const m = c.resp === 3 ? (m3 ||= flat('>4\r\n' + body)) : (m2 ||= flat('*4\r\n' + body));
          this.target(c).raw(m);
          this.delivered(c);
          n++;
        }
      }
    }
    return n;
  }

  /**
   * Where a push for `c` is written: its Reply, or — when `c` is the client
   * whose command is running, at any depth (a PUBLISH from its script) — a
   * side buffer appended after the reply (Redis 7.2).
   */
  target(c: Client): PushWriter {
    if (c === this.server.executing) {
      pendingWriter.resp = c.resp;
      pendingWriter.owner = this;
      return pendingWriter;
    }
    return c.reply;
  }

  /** After a push was written for `c`: schedule its write; write at once when much is pending. */
  delivered(c: Client): void {
    if (c === this.server.executing || c.closed) return;
    this.server.beforeSleep.queue(c);
    if (c.reply.out.length > EAGER_WRITE_BYTES) this.server.conns.writeOut(c);
  }

  /** Moves the pending pushes for the current client after its reply (called by the dispatcher). */
  flushPending(c: Client): void {
    c.reply.raw(this.pending);
    this.pending = '';
  }

  /**
   * A keyspace event (db.notify → server hooks.notify): published on
   * `__keyspace@<db>__:<key>` (message: the event) and
   * `__keyevent@<db>__:<event>` (message: the key) when its class is enabled.
   */
  notify(cls: string, event: string, key: string, dbid: number): void {
    const flags = this.notifyFlags;
    if (flags === 0) return;
    const bit = CLASS_BITS[cls];
    if (bit === undefined || (flags & bit) === 0) return;
    if (flags & NOTIFY.KEYSPACE) this.publish(`__keyspace@${dbid}__:${key}`, event);
    if (flags & NOTIFY.KEYEVENT) this.publish(`__keyevent@${dbid}__:${event}`, key);
  }
}

/**
 * The string flattened (V8 turns a concatenation rope into one flat copy
 * when a character is read): appended to many outputs, it is then copied
 * out with one memcpy each instead of a walk over its pieces.
 */
function flat(s: string): string {
  s.charCodeAt(0);
  return s;
}

/** The part of Reply a push is written with. */
export interface PushWriter {
  push(n: number): void;
  bulk(v: string): void;
  null(): void;
  array(n: number): void;
  int(n: number): void;
  raw(s: string): void;
}

/**
 * Writes into PubSub.pending with the encoding of the current client's
 * protocol (one shared object: only one command runs at a time).
 */
const pendingWriter = {
  resp: 2 as 2 | 3,
  owner: null as PubSub | null,
  push(n: number): void {
    this.owner!.pending += (this.resp === 3 ? '>' : '*') + n + '\r\n';
  },
  bulk(v: string): void {
    this.owner!.pending += '$' + v.length + '\r\n' + v + '\r\n';
  },
  null(): void {
    this.owner!.pending += this.resp === 3 ? '_\r\n' : '$-1\r\n';
  },
  array(n: number): void {
    this.owner!.pending += '*' + n + '\r\n';
  },
  int(n: number): void {
    this.owner!.pending += ':' + n + '\r\n';
  },
  raw(s: string): void {
    this.owner!.pending += s;
  },
};
