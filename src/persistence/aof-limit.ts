/**
 * The automatic AOF rewrite's retry limiter (Redis's aofRewriteLimited):
 * after 3 failed rewrites in a row the next automatic try waits 1 minute,
 * then 2, 4 ... up to 60; a success (failures back under 3) clears it.
 * BGREWRITEAOF is never limited. Used by Aof.cron (persistence/aof.ts).
 */

/** Automatic rewrites stop being retried at once after this many failures in a row (Redis's limit). */
const THRESHOLD = 3;
/** The longest wait between limited retries. */
const MAX_MINUTES = 60;

export class RewriteLimiter {
  /** The current delay (minutes) and when the next try may run (unix seconds; 0: a try is due). */
  private delayMinutes = 0;
  private nextTime = 0;

  /**
   * Whether an automatic rewrite must wait now, given the failures in a row
   * and the time (unix seconds). Each time a new delay starts, `warn` gets
   * Redis's log line.
   */
  limited(failures: number, now: number, warn: (line: string) => void): boolean {
    if (failures < THRESHOLD) {
      this.delayMinutes = 0;
      this.nextTime = 0;
      return false;
    }
    if (this.nextTime !== 0) {
      if (now < this.nextTime) return true;
      this.nextTime = 0;
      return false;
    }
    this.delayMinutes = this.delayMinutes === 0 ? 1 : Math.min(MAX_MINUTES, this.delayMinutes * 2);
    this.nextTime = now + this.delayMinutes * 60;
    warn(
      `Background AOF rewrite has repeatedly failed and triggered the limit, will retry in ${this.delayMinutes} minutes`,
    );
    return true;
  }
}
