/**
 * Synchronous file writing as durable persistence needs it: every byte
 * written (writeSync may write less than asked) and a directory fsynced
 * after a rename in it.
 */
import fs from 'node:fs';
import path from 'node:path';

/**
 * Writes all of `b` to `fd` now. On a non-blocking descriptor (a pipe or
 * terminal on stderr) that is full, waits 1 ms and tries again.
 */
export function writeFully(fd: number, b: Buffer): void {
  let off = 0;
  while (off < b.length) {
    try {
      off += fs.writeSync(fd, b, off, b.length - off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      sleepSync(1000);
    }
  }
}

/** fsync of a directory, so a rename or a new file in it survives a crash (best effort: some platforms cannot open a directory). */
export function fsyncDir(dir: string): void {
  let fd = -1;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    /* not supported here */
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

/**
 * Replaces `file` with `content`: written in full to `tmp` (a name in the
 * same directory), fsynced (unless `syncFile` is false), then renamed over
 * `file`, and with `syncDir` the directory fsynced so the rename survives a
 * crash. Anything that fails removes `tmp` and throws. Used by CONFIG
 * REWRITE, ACL SAVE and the cluster's nodes.conf (which, as Redis's
 * clusterSaveConfig, fsyncs file and directory only when asked: a
 * CLUSTER SETSLOT saves it and fsyncs only when the epoch changed).
 */
export function replaceFile(file: string, tmp: string, content: Buffer, syncDir = false, syncFile = true): void {
  try {
    const fd = fs.openSync(tmp, 'w', 0o644);
    try {
      writeFully(fd, content);
      if (syncFile) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  if (syncDir) fsyncDir(path.dirname(path.resolve(file)));
}

/** Atomics.wait's cell for sleepSync. */
const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread for `us` microseconds (the event loop included), as Redis's usleep in its test knobs. */
export function sleepSync(us: number): void {
  if (us > 0) Atomics.wait(SLEEPER, 0, 0, us / 1000);
}

/**
 * Redis's bg_unlink: the name goes now, the data with the last close, off
 * the event loop (freeing a big file's blocks can take long). A file that is
 * already gone is no error.
 */
export function bgUnlink(file: string): void {
  let fd = -1;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    // (not readable, or gone: the unlink alone)
  }
  try {
    fs.unlinkSync(file);
  } catch {
    /* gone already */
  }
  if (fd >= 0) fs.close(fd, () => {});
}
