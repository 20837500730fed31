/**
 * Redis's software watchdog (watchdog-period, a hidden parameter, 0 = off):
 * when serverCron has not run for the period — the event loop is blocked by
 * a long command, a DEBUG SLEEP, a script — the log gets Redis's
 * `--- WATCHDOG TIMER EXPIRED ---` lines, once per stall.
 *
 * Redis arms a one-shot SIGALRM timer at every serverCron and logs from the
 * signal handler, with the C stack of the blocked main thread. Node has no
 * such timer, so a worker thread (watchdog-worker.ts) watches a heartbeat in
 * a SharedArrayBuffer (watchdog-layout.ts) that serverCron bumps first thing
 * (beat(), before DEBUG PAUSE-CRON is looked at, as Redis re-arms before it
 * checks pause_cron) and writes the lines to the log file or standard output
 * itself, while the server's thread is still blocked. What it cannot give is
 * the stack: the JavaScript stack of another thread is out of its reach, so
 * its line says so, and how long serverCron has been late.
 *
 * Zero cost when off: no thread, and serverCron's beat() is one field read.
 * The thread starts when CONFIG SET gives a period (armed at once, as
 * Redis's timer) or, for a period from the start's configuration, with the
 * first serverCron tick (a server not yet running its cron is not watched),
 * and ends when the period goes back to 0 or the server closes. As in Redis, a period below
 * two cron periods (2 * 1000/hz ms: 200 at hz 10) is raised to that, and
 * CONFIG GET shows the raised value.
 */
import process from 'node:process';
import { Worker } from 'node:worker_threads';
import type { Server } from './server.js';
import type { Subsystem } from './subsystem.js';
import type { ParamName } from '../config/params.js';
import { underDir } from '../util/log.js';
import { BEAT, PERIOD, QUIET, STOP, WORDS, type WatchdogStart } from './watchdog-layout.js';

export class Watchdog implements Subsystem {
  /** The shared words while the watchdog thread runs, else null. */
  private words: Int32Array | null = null;
  /** The period in ms (0: off), as adjusted. */
  private period = 0;

  constructor(private readonly server: Server) {}

  /** serverCron's first act: a heartbeat, and the thread started when a period is set. */
  beat(): void {
    const w = this.words;
    if (w !== null) {
      Atomics.add(w, BEAT, 1);
      Atomics.notify(w, BEAT);
    } else if (this.period !== 0) this.start();
  }

  /** watchdog-period (Redis's applyWatchdogPeriod), loglevel, or dir (a relative logfile is under it). */
  configChanged(name: ParamName | null): void {
    if (name === 'loglevel' && this.words !== null) Atomics.store(this.words, QUIET, this.quiet());
    if (name === 'dir' && this.words !== null) {
      this.stop();
      this.start();
    }
    if (name !== null && name !== 'watchdog-period') return;
    const v = this.server.config.v;
    let period = v['watchdog-period'];
    if (period === 0) {
      this.period = 0;
      this.stop();
      return;
    }
    const hz = Math.max(1, Math.min(500, v['hz']));
    const min = Math.trunc(1000 / hz) * 2;
    if (period < min) {
      this.server.config.adjust('watchdog-period', min);
      period = min;
    }
    this.period = period;
    const w = this.words;
    if (w === null) {
      // armed now, as Redis's setitimer (at start, by the first serverCron tick)
      if (name !== null && this.server.cron.running) this.start();
      return;
    }
    // the timer re-armed from now with the new period
    Atomics.store(w, PERIOD, period);
    this.beat();
  }

  close(): void {
    this.stop();
  }

  private quiet(): number {
    return this.server.config.v['loglevel'] === 'nothing' ? 1 : 0;
  }

  /** Starts the watchdog thread (unref'd: it never holds the process open). */
  private start(): void {
    const words = new Int32Array(new SharedArrayBuffer(WORDS * 4));
    Atomics.store(words, PERIOD, this.period);
    Atomics.store(words, QUIET, this.quiet());
    const server = this.server;
    const file = server.config.v['logfile'];
    const start: WatchdogStart = {
      shared: words.buffer as SharedArrayBuffer,
      pid: process.pid,
      logfile: server.log.hasSink ? null : file ? underDir(server.config, file) : '',
    };
    const worker = new Worker(new URL('./watchdog-worker.js', import.meta.url), { workerData: start });
    worker.unref();
    // (a server logging through a function gets the lines when its thread runs again)
    worker.on('message', (text: string) => server.log.lines(text));
    worker.on('error', (e: Error) => server.log.warning(`The watchdog thread failed: ${e.message}`));
    this.words = words;
  }

  /** Tells the thread to end (it does at once: it is waiting on the heartbeat). */
  private stop(): void {
    const w = this.words;
    if (w === null) return;
    this.words = null;
    Atomics.store(w, STOP, 1);
    Atomics.add(w, BEAT, 1);
    Atomics.notify(w, BEAT);
  }
}
