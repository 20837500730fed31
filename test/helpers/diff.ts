/**
 * Differential testing: run the same command sequence against tsdis and a
 * real redis-server and compare raw reply bytes. Replies whose element order
 * is unspecified can be compared sorted; nondeterministic ones by shape.
 *
 * Typical use in a test file:
 *
 *   const d = await Differ.start();          // null when redis-server is missing
 *   test('...', { skip: d ? false : SKIP_NO_REDIS }, async () => {
 *     await d!.same([['SET', 'k', 'v'], ['GET', 'k']]);
 *   });
 *   after(() => d?.stop());
 */
import assert from 'node:assert/strict';
import { RawConn, hasRedis, startRedis, startTsdis, type RedisProcess } from './servers.js';
import type { TsdisServer } from '../../src/index.js';
import { RespDecoder, type RespValue } from '../../src/protocol/decoder.js';

export type Cmd = (string | Buffer | number)[];
export type Mode = 'exact' | 'sorted' | 'shape';

export class Differ {
  private constructor(
    readonly tsdis: TsdisServer,
    readonly redis: RedisProcess,
    public a: RawConn,
    public b: RawConn,
  ) {}

  /** Starts both servers (tsdis with the given options); null when redis-server is not installed. */
  static async start(opts: { tsdisConfig?: Record<string, string>; redisArgs?: string[] } = {}): Promise<Differ | null> {
    if (!hasRedis()) return null;
    const tsdis = await startTsdis({ config: { 'enable-debug-command': 'yes', ...opts.tsdisConfig } });
    const redis = await startRedis(['--enable-debug-command', 'yes', ...(opts.redisArgs ?? [])]);
    return new Differ(tsdis, redis, await RawConn.connect(tsdis.port), await RawConn.connect(redis.port));
  }

  /** New connections to both (e.g. after a test closed one). */
  async reconnect(): Promise<void> {
    this.a.close();
    this.b.close();
    this.a = await RawConn.connect(this.tsdis.port);
    this.b = await RawConn.connect(this.redis.port);
  }

  /** Sends one command to both; returns [tsdis, redis] raw replies. */
  async both(cmd: Cmd): Promise<[string, string]> {
    return Promise.all([this.a.call(...cmd), this.b.call(...cmd)]);
  }

  /**
   * Runs each command on both servers in order and asserts equal replies.
   * mode 'sorted' compares array elements sorted (SMEMBERS, KEYS);
   * 'shape' compares types and lengths only.
   */
  async same(cmds: Cmd[], mode: Mode = 'exact'): Promise<void> {
    for (const cmd of cmds) {
      const [x, y] = await this.both(cmd);
      const label = `command ${JSON.stringify(cmd.map(String))}`;
      if (mode === 'exact') assert.equal(x, y, label);
      else if (mode === 'sorted') assert.deepEqual(normalize(x, true), normalize(y, true), label);
      else assert.deepEqual(shape(decode(x)), shape(decode(y)), label);
    }
  }

  /** FLUSHALL on both and RESP2 again. */
  async reset(): Promise<void> {
    await this.both(['FLUSHALL']);
    await this.both(['HELLO', '2']);
    await this.both(['SELECT', '0']);
  }

  async stop(): Promise<void> {
    this.a.close();
    this.b.close();
    await this.tsdis.close();
    await this.redis.stop();
  }
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
    if (v instanceof Map) return [...v].map(([k, x]) => [walk(k), walk(x)]).map((i) => JSON.stringify(i, big)).sort();
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
