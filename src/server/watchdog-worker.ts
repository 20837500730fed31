/**
 * The watchdog's thread (started by watchdog.ts): it sleeps in Atomics.wait
 * on the heartbeat word for watchdog-period ms; when no serverCron tick
 * bumped it meanwhile, it writes Redis's watchdog lines to the server's log
 * itself (a file or standard output, written from this thread, so they
 * appear while the server's thread is still blocked), then waits for the
 * next beat before arming again: one report per stall, as Redis's one-shot
 * timer, re-armed by serverCron, gives.
 */
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { BEAT, PERIOD, QUIET, STOP, type WatchdogStart } from './watchdog-layout.js';

const start = workerData as WatchdogStart;
const words = new Int32Array(start.shared);

/** Redis's serverLogFromHandler lines: "pid:signal-handler (unix time) msg". */
function report(period: number): void {
  if (Atomics.load(words, QUIET) === 1) return;
  const line = (msg: string) => `${start.pid}:signal-handler (${Math.floor(Date.now() / 1000)}) ${msg}\n`;
  const text =
    line('\n--- WATCHDOG TIMER EXPIRED ---') +
    line(
      `No stack trace: the watchdog is a thread of its own, which cannot read the JavaScript stack of the server's thread; serverCron has not run for ${period} ms (watchdog-period), so the event loop is blocked.`,
    ) +
    line('--------\n');
  try {
    if (start.logfile === null) parentPort!.postMessage(text);
    else if (start.logfile === '') fs.writeSync(1, text);
    else fs.appendFileSync(start.logfile, text);
  } catch {
    /* a log that cannot be written must not stop the watchdog */
  }
}

for (;;) {
  const beat = Atomics.load(words, BEAT);
  if (Atomics.load(words, STOP) === 1) break;
  const period = Atomics.load(words, PERIOD);
  if (Atomics.wait(words, BEAT, beat, period) !== 'timed-out') continue;
  if (Atomics.load(words, STOP) === 1) break;
  report(period);
  // one report per stall: armed again by the next beat
  Atomics.wait(words, BEAT, beat);
}
