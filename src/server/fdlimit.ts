/**
 * The open-files limit, and how many clients it leaves room for.
 *
 * Every client is a descriptor. Past the limit, accept() fails with EMFILE
 * and libuv closes the waiting connections without a word (it frees a spare
 * descriptor to accept and close them), so a client over the limit saw its
 * connection closed or reset. Redis lowers maxclients at start so that
 * maxclients plus 32 descriptors for its own use fit the limit, and then
 * answers `-ERR max number of clients reached` instead; tsdis does the same
 * (Server.maxclientsThatFit). Node itself holds about 22 descriptors at rest
 * (epoll, eventfds, signal pipes, stdio, the listeners), the AOF two more.
 *
 * Node raises its soft RLIMIT_NOFILE to the hard limit when it starts and
 * has no setrlimit, so the soft limit read here is the most it will get.
 */
import fs from 'node:fs';

/** Descriptors kept for the server's own use (Redis's CONFIG_MIN_RESERVED_FDS). */
export const RESERVED_FDS = 32;

/**
 * The process's open-files limit from /proc/self/limits (Linux); null when
 * it cannot be read (another OS: maxclients is then left alone) or is
 * unlimited.
 */
export function openFilesLimit(): number | null {
  let text: string;
  try {
    text = fs.readFileSync('/proc/self/limits', 'latin1');
  } catch {
    return null;
  }
  const m = /^Max open files\s+(\S+)/m.exec(text);
  if (m === null) return null;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}
