/**
 * Shared by the string and bitmap differential tests: runs one command
 * sequence against tsdis and redis-server in RESP2 and then RESP3, comparing
 * raw replies. A step ['@list', key] makes `key` hold a list on both servers
 * (for WRONGTYPE paths) — through RPUSH when tsdis has it, otherwise by
 * placing a stand-in list value in tsdis's keyspace.
 */
import type { Cmd, Differ } from '../helpers/diff.js';

export type Step = Cmd;

/** Makes `key` a list on both servers. */
export async function makeList(d: Differ, key: string): Promise<void> {
  await d.b.call('RPUSH', key, 'x');
  if (d.tsdis.server.commands.lookup('rpush')) await d.a.call('RPUSH', key, 'x');
  else {
    const fake = { type: 'list' as const, encoding: () => 'listpack', dup() { return fake; } };
    d.tsdis.server.dbs[0]!.set(key, fake as never);
  }
}

/** Runs the steps on both servers and compares each reply. */
export async function run(d: Differ, steps: Step[]): Promise<void> {
  for (const s of steps) {
    if (s[0] === '@list') await makeList(d, String(s[1]));
    else await d.same([s]);
  }
}

/** run() from a flushed db, in RESP2 and then in RESP3. */
export async function both(d: Differ, steps: Step[]): Promise<void> {
  for (const proto of ['2', '3']) {
    await d.reset();
    if (proto === '3') await d.both(['HELLO', '3']);
    await run(d, steps);
  }
  await d.reset();
}
