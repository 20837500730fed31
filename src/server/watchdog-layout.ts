/**
 * The watchdog's shared words (an Int32Array over a SharedArrayBuffer),
 * written by the server's thread (watchdog.ts) and read by the watchdog's
 * (watchdog-worker.ts).
 */

/** Bumped (and notified) by every serverCron tick: the heartbeat. */
export const BEAT = 0;
/** watchdog-period in ms, as adjusted (at least two cron periods). */
export const PERIOD = 1;
/** 1: the watchdog thread ends at its next wake-up (watchdog-period 0, the server closing). */
export const STOP = 2;
/** 1: loglevel nothing (Redis's signal-handler lines are warnings: nothing drops them). */
export const QUIET = 3;
/** How many words. */
export const WORDS = 4;

/** What the watchdog thread is started with. */
export interface WatchdogStart {
  shared: SharedArrayBuffer;
  /** The server's process id, for the lines' prefix. */
  pid: number;
  /** The log file (resolved), '' for standard output, null when the server logs through a function (then the lines are posted to its thread). */
  logfile: string | null;
}
