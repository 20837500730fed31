/**
 * oom-score-adj: the Linux OOM killer's preference for this process, as
 * Redis's setOOMScoreAdj sets it. With `oom-score-adj yes|relative` the
 * process class's value of oom-score-adj-values (master, replica, background
 * child) is added to the score the process had before tsdis first touched
 * it; `absolute` writes the value itself; `no` puts the original back. The
 * result is clamped to [-1000, 1000]. Applied at start and on CONFIG SET of
 * either parameter (where a failed write refuses the change, as in Redis).
 */
import process from 'node:process';
import fs from 'node:fs';
import { strerror } from '../config/file.js';
import type { Logger } from '../util/log.js';

const PROC_FILE = '/proc/self/oom_score_adj';

/** Process classes: the index into oom-score-adj-values. */
export const OOM_MASTER = 0;
export const OOM_REPLICA = 1;

export class OomScoreAdj {
  /** The score before tsdis changed it; null while tsdis has not. */
  private base: number | null = null;

  constructor(private readonly log: Logger) {}

  /**
   * Sets the score for `mode` (no | yes | relative | absolute) and `values`
   * ("master replica child"); false when /proc could not be read or written
   * (logged). Not Linux: nothing to do.
   */
  apply(mode: string, values: string, processClass: number): boolean {
    if (process.platform !== 'linux') return true;
    let val: number;
    if (mode !== 'no') {
      if (this.base === null) {
        try {
          this.base = parseInt(fs.readFileSync(PROC_FILE, 'latin1'), 10) || 0;
        } catch (e) {
          this.log.warning(`Unable to read oom_score_adj: ${strerror(e)}`);
          return false;
        }
      }
      val = Number(values.split(' ')[processClass]);
      if (mode !== 'absolute') val += this.base;
      val = Math.min(1000, Math.max(-1000, val));
    } else if (this.base !== null) {
      val = this.base;
      this.base = null;
    } else return true;
    try {
      fs.writeFileSync(PROC_FILE, `${val}\n`);
    } catch (e) {
      this.log.warning(`Unable to write oom_score_adj: ${strerror(e)}`);
      return false;
    }
    return true;
  }
}
