/**
 * Differential testing: run the same command sequence against tsdis and a
 * real redis-server and compare raw reply bytes. Replies whose element order
 * is unspecified can be compared sorted; nondeterministic ones by shape.
 *
 * Where redis-server is not installed (or TSDIS_NO_REDIS=1), the reference's
 * replies come from the golden files (test/helpers/golden.ts) recorded by
 * `npm run golden:record`, so the same tests run against tsdis alone.
 *
 * Typical use in a test file:
 *
 *   const d = await Differ.start();
 *   test('...', async () => {
 *     await d.same([['SET', 'k', 'v'], ['GET', 'k']]);
 *   });
 *   after(() => d.stop());
 *
 * A test that needs the reference itself (it makes redis-server connect
 * somewhere, or reads its files) skips with `d.skipUnlessLive`.
 */
import assert from 'node:assert/strict';
import { RawConn, hasRedis, startRedis, startTsdis, SKIP_NO_REDIS, type RedisProcess } from './servers.js';
import { Tape, TapeConn, digest, jsonPlain, type Conn } from './golden.js';
import type { TsdisServer } from '../../src/index.js';
import { RespDecoder, type RespValue } from '../../src/protocol/decoder.js';

export type Cmd = (string | Buffer | number)[];
export type Mode = 'exact' | 'sorted' | 'shape';

export class Differ {
  private constructor(
    readonly tsdis: TsdisServer,
    /** The reference, or null when replaying golden files. */
    readonly redis: RedisProcess | null,
    readonly tape: Tape,
    public a: RawConn,
    public b: TapeConn,
  ) {}

  /**
   * Starts tsdis (with the given options) and, when installed, redis-server.
   * `name` tells two Differs of one test file apart in its golden file;
   * `liveOnly` Differs record nothing (their tests skip with skipUnlessLive).
   */
  static async start(
    opts: { tsdisConfig?: Record<string, string>; redisArgs?: string[]; name?: string; liveOnly?: boolean } = {},
  ): Promise<Differ> {
    const live = hasRedis();
    const tape = new Tape(opts.name ?? 'd', live, opts.liveOnly !== true);
    const tsdis = await startTsdis({ config: { 'enable-debug-command': 'yes', ...opts.tsdisConfig } });
    const redis = live ? await startRedis(['--enable-debug-command', 'yes', ...(opts.redisArgs ?? [])]) : null;
    return new Differ(
      tsdis,
      redis,
      tape,
      await RawConn.connect(tsdis.port),
      await TapeConn.open(tape, 0, redis?.port ?? null),
    );
  }

  /** Whether redis-server answers (false: golden replay). */
  get live(): boolean {
    return this.redis !== null;
  }

  /**
   * The skip option of a test that needs a running redis-server; such a
   * test calls unrecorded() first, so its traffic stays out of the golden file.
   */
  get skipUnlessLive(): string | false {
    return this.live ? false : SKIP_NO_REDIS;
  }

  /** Leaves the running test out of the golden file (see skipUnlessLive). */
  unrecorded(): void {
    this.tape.omitTest();
  }

  /** A new connection to the reference (live, recorded or replayed). */
  ref(): Promise<TapeConn> {
    return TapeConn.open(this.tape, this.tape.newConn(), this.redis?.port ?? null);
  }

  /**
   * A value computed on the reference by fn (through a connection whose
   * traffic is not recorded: SCAN loops, polls): live, its result is
   * recorded; replaying, the recorded result is returned. fn returns JSON data.
   */
  onReference<T>(fn: (c: RawConn) => Promise<T>): Promise<T> {
    return this.tape.value('V', () => fn(this.b.rawConn!));
  }

  /** Like onReference, for a computation that needs the reference's port (it opens its own connections). */
  onReferencePort<T>(fn: (port: number) => Promise<T>): Promise<T> {
    return this.tape.value('V', () => fn(this.redis!.port));
  }

  /**
   * Waits (bounded: 3 s) until INFO clients reports `n` blocked clients on
   * tsdis and, when it runs, on the reference (a wait that replaying skips:
   * the recorded replies are already those after the wait).
   */
  async blocked(n: number): Promise<void> {
    const ports = this.live ? [this.tsdis.port, this.redis!.port] : [this.tsdis.port];
    await Promise.all(ports.map((p) => waitBlocked(p, n)));
  }

  /** New connections to both (e.g. after a test closed one). */
  async reconnect(): Promise<void> {
    this.a.close();
    this.b.close();
    this.a = await RawConn.connect(this.tsdis.port);
    this.b = await TapeConn.open(this.tape, 0, this.redis?.port ?? null);
  }

  /** Sends one command to both; returns [tsdis, redis] raw replies. */
  async both(cmd: Cmd): Promise<[string, string]> {
    return Promise.all([this.a.call(...cmd), this.b.call(...cmd)]);
  }

  /**
   * Sends one command to both; returns view() of each reply. Only the view
   * of the reference's reply is recorded: use it where the raw reply holds
   * timestamps, ids or random choices. A view returns JSON data only; both
   * sides are compared as JSON gives them back.
   */
  async bothView<T>(view: (raw: string) => T, cmd: Cmd): Promise<[T, T]> {
    return Promise.all([this.a.call(...cmd).then((r) => jsonPlain(view(r))), this.b.callView(view, ...cmd)]);
  }

  /**
   * Runs each command on both servers in order and asserts equal replies.
   * mode 'sorted' compares array elements sorted (SMEMBERS, KEYS);
   * 'shape' compares types and lengths only.
   */
  async same(cmds: Cmd[], mode: Mode = 'exact'): Promise<void> {
    for (const cmd of cmds) {
      const label = `command ${JSON.stringify(cmd.map(String))}`;
      if (mode === 'exact') {
        // (the golden file keeps long replies as digests: compared so when replaying)
        const [x, y] = await Promise.all([this.a.call(...cmd), this.b.callKeep(digest, ...cmd)]);
        if (y.raw !== null) assert.equal(x, y.raw, label);
        else assert.equal(digest(x), y.view, label);
      } else {
        const [x, y] = await this.bothView(mode === 'sorted' ? sortedView : shapeView, cmd);
        assert.deepEqual(x, y, label);
      }
    }
  }

  /** FLUSHALL on both and RESP2 again. */
  async reset(): Promise<void> {
    await this.both(['FLUSHALL']);
    await this.both(['HELLO', '2']);
    await this.both(['SELECT', '0']);
  }

  /** Stops both servers; a recording run writes its golden file. */
  async stop(): Promise<void> {
    this.a.close();
    this.b.close();
    this.tape.save();
    await this.tsdis.close();
    await this.redis?.stop();
  }
}

/** Waits (bounded: 3 s) until the server on `port` reports `n` blocked clients. */
export async function waitBlocked(port: number, n: number): Promise<void> {
  const c = await RawConn.connect(port);
  try {
    const deadline = Date.now() + 3000;
    for (;;) {
      const info = await c.call('INFO', 'clients');
      if (new RegExp(`blocked_clients:${n}\\r`).test(info)) return;
      if (Date.now() > deadline) throw new Error(`blocked_clients never reached ${n}: ${info}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    c.close();
  }
}

/** A reply as compared in 'sorted' mode. */
export function sortedView(raw: string): unknown {
  return normalize(raw, true);
}

/** A reply as compared in 'shape' mode. */
export function shapeView(raw: string): unknown {
  return shape(decode(raw));
}

export function decode(raw: string): RespValue {
  const d = new RespDecoder();
  d.feed(raw);
  return d.next() ?? null;
}

/** A reply with arrays sorted (recursively), for order-insensitive comparison. */
export function normalize(raw: string, sort: boolean): unknown {
  const walk = (v: RespValue): unknown => {
    if (Array.isArray(v)) {
      const items = v.map(walk);
      return sort ? items.map((i) => JSON.stringify(i, big)).sort() : items;
    }
    if (v instanceof Map)
      return [...v]
        .map(([k, x]) => [walk(k), walk(x)])
        .map((i) => JSON.stringify(i, big))
        .sort();
    if (v instanceof Error) return { error: v.message };
    if (typeof v === 'bigint') return v.toString();
    return v;
  };
  return walk(decode(raw));
}

function big(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

/** The type/length skeleton of a reply. */
export function shape(v: RespValue): unknown {
  if (Array.isArray(v)) return { array: v.length };
  if (v instanceof Map) return { map: v.size };
  if (v instanceof Error) return { error: v.message.split(' ')[0] };
  if (v === null) return null;
  return typeof v;
}

/**
 * Everything a subscribed connection receives before the reply to a PING
 * sent now (RESP2's ["pong", ""] or RESP3's +PONG): the pushes the commands
 * before it caused, with no sleep.
 */
export async function untilPong(c: Conn): Promise<string[]> {
  c.write('*1\r\n$4\r\nPING\r\n');
  const got: string[] = [];
  for (;;) {
    const m = await c.read();
    if (m === '*2\r\n$4\r\npong\r\n$0\r\n\r\n' || m === '+PONG\r\n') return got;
    got.push(m);
  }
}
