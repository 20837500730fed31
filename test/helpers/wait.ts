/**
 * Waiting in tests. A test that waits for something to happen polls for it
 * with `until` (bounded, with a message naming what never happened); a fixed
 * `sleep` is for the few tests whose subject is the passage of time itself
 * ("idle 1.2 s, then the client is gone", "nothing arrives within N ms"),
 * and each such call says why in a comment.
 */
import { AssertionError } from 'node:assert';

/** Resolves after `ms` milliseconds. Only for waits whose length is what the test is about. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface UntilOptions {
  /** Give up after this many ms (default 10 000: generous for a loaded 2-core machine). */
  timeout?: number;
  /** Poll every this many ms (default 10). */
  every?: number;
}

/**
 * Polls `check` until it returns a truthy value, and returns that value.
 * A check that throws counts as "not yet" (a server still starting, a file
 * not yet written), except that a failed assertion (AssertionError) inside
 * the check fails the wait at once. After `timeout` ms it throws an Error that names `what`
 * (a function is called then, to show state at the time of failure) and
 * shows the last value seen (or the last error thrown).
 */
export async function until<T>(
  what: string | (() => string),
  check: () => T | Promise<T>,
  opts: UntilOptions = {},
): Promise<NonNullable<T>> {
  const timeout = opts.timeout ?? 10_000;
  const every = opts.every ?? 10;
  const deadline = Date.now() + timeout;
  let last: string;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
      last = `last value ${show(v)}`;
    } catch (e) {
      if (e instanceof AssertionError) throw e;
      last = `last error ${(e as Error).message}`;
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeout} ms waiting for ${name(what)}; ${last}`);
    await sleep(every);
  }
}

/**
 * Polls `get` until its value equals `want` (===, or the same JSON for
 * arrays and objects) and returns it; otherwise like `until`, and the
 * failure message shows the last value next to the wanted one.
 */
export async function untilEqual<T>(
  what: string | (() => string),
  get: () => T | Promise<T>,
  want: T,
  opts: UntilOptions = {},
): Promise<T> {
  const timeout = opts.timeout ?? 10_000;
  const every = opts.every ?? 10;
  const deadline = Date.now() + timeout;
  const same = (v: T): boolean => v === want || (typeof v === 'object' && show(v) === show(want));
  let last: string;
  for (;;) {
    try {
      const v = await get();
      if (same(v)) return v;
      last = `last value ${show(v)}`;
    } catch (e) {
      if (e instanceof AssertionError) throw e;
      last = `last error ${(e as Error).message}`;
    }
    if (Date.now() >= deadline)
      throw new Error(`timed out after ${timeout} ms waiting for ${name(what)} to be ${show(want)}; ${last}`);
    await sleep(every);
  }
}

/** The description of what was waited for. */
function name(what: string | (() => string)): string {
  return typeof what === 'string' ? what : what();
}

/** A short printable form of a polled value for failure messages. */
function show(v: unknown): string {
  let s: string;
  try {
    s =
      typeof v === 'string'
        ? JSON.stringify(v)
        : (JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x)) ?? String(v));
  } catch {
    s = String(v);
  }
  return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}
