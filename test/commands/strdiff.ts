/**
 * Shared by the string and bitmap differential tests: runs one command
 * sequence against tsdis and redis-server in RESP2 and then RESP3, comparing
 * raw replies. A step ['@list', key] makes `key` hold a list on both servers
 * (for WRONGTYPE paths) — through RPUSH when tsdis has it, otherwise by
 * placing a stand-in list value in tsdis's keyspace.
 */
import assert from 'node:assert/strict';
import type { Cmd, Differ, Mode } from '../helpers/diff.js';

/** A command, or a command preceded by its comparison mode ('sorted', 'shape', 'exact'). */
export type Step = Cmd | [Mode, ...Cmd];
/** A test's own step kinds: return true when the step was handled. */
export type CustomStep = (s: Step) => Promise<boolean>;

const MODES: readonly string[] = ['sorted', 'shape', 'exact'];

/** Makes `key` a list on both servers. */
export async function makeList(d: Differ, key: string): Promise<void> {
  await d.b.call('RPUSH', key, 'x');
  if (d.tsdis.server.commands.lookup('rpush')) await d.a.call('RPUSH', key, 'x');
  else {
    const fake = {
      type: 'list' as const,
      encoding: () => 'listpack',
      dup() {
        return fake;
      },
    };
    d.tsdis.server.dbs[0]!.set(key, fake as never);
  }
}

/**
 * A step where tsdis follows Redis 7.2 and the 7.0 reference answers
 * otherwise: the command goes to both servers (their data stay the same) and
 * tsdis's raw reply must be `expected`.
 */
export function sevenTwo(expected: string, ...cmd: Cmd): Step {
  return ['@7.2', expected, ...cmd];
}

/** A TTL step for a key set to expire at unix time `at` (seconds): see run(). */
export function ttlAt(at: number, key: string): Step {
  return ['@at', String(at), 'TTL', key];
}

/** Runs the steps on both servers and compares each reply. */
export async function run(d: Differ, steps: Step[], custom?: CustomStep): Promise<void> {
  for (const s of steps) {
    if (custom && (await custom(s))) continue;
    if (s[0] === '@list') await makeList(d, String(s[1]));
    else if (MODES.includes(String(s[0]))) await d.same([s.slice(1) as Cmd], s[0] as Mode);
    else if (s[0] === '@at') {
      // a TTL of a key expiring at a fixed unix time: it moves with the clock, so both
      // replies are compared (and recorded) as whether they are within 2 s of that time
      const at = Number(s[1]);
      const view = (r: string) =>
        /^:\d+\r\n$/.test(r) && Math.abs(Number(r.slice(1, -2)) + Date.now() / 1000 - at) <= 2
          ? `:(expires at ${at})`
          : r;
      const [x, y] = await d.bothView(view, s.slice(2));
      assert.equal(x, y, `command ${JSON.stringify(s.slice(2).map(String))}`);
      assert.equal(x, `:(expires at ${at})`);
    } else if (s[0] === '@7.2') {
      // (the reference runs it too, so both hold the same data; its 7.0 reply is neither compared nor recorded)
      const [x] = await Promise.all([d.a.call(...s.slice(2)), d.b.callView(() => '(7.0 differs)', ...s.slice(2))]);
      assert.equal(x, String(s[1]), `command ${JSON.stringify(s.slice(2).map(String))} (Redis 7.2's reply)`);
    } else await d.same([s as Cmd]);
  }
}

/** run() from a flushed db, in RESP2 and then in RESP3. */
export async function both(d: Differ, steps: Step[], custom?: CustomStep): Promise<void> {
  for (const proto of ['2', '3']) {
    await d.reset();
    if (proto === '3') await d.both(['HELLO', '3']);
    await run(d, steps, custom);
  }
  await d.reset();
}
