/** Reading an AOF directory in tests, and waiting for a rewrite. */
import fs from 'node:fs';
import path from 'node:path';

/** The incremental file named by the manifest of the AOF directory under `dir`. */
export function incrFile(dir: string): string {
  const m = fs.readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.manifest'), 'latin1');
  // the last incremental file: the one written to now (a rewrite may still list older ones)
  const names = [...m.matchAll(/file (\S+) seq \d+ type i/g)].map((x) => x[1]!);
  return path.join(dir, 'appendonlydir', names[names.length - 1]!);
}

/** That file's bytes (latin1) with 13-digit absolute times masked, so two servers' files compare. */
export function maskedIncr(dir: string): string {
  return fs.readFileSync(incrFile(dir), 'latin1').replace(/\$13\r\n\d{13}\r\n/g, '$13\r\n<ms>\r\n');
}

/**
 * A Redis 7.0 AOF text as 7.2 writes it: 7.2 propagates MULTI with no
 * database, so a SELECT that 7.0 wrote just before a MULTI comes just after it.
 */
export function as72(aof: string): string {
  return aof.replace(/(\*2\r\n\$6\r\nSELECT\r\n\$\d+\r\n\d+\r\n)(\*1\r\n\$5\r\nMULTI\r\n)/gi, '$2$1');
}

/** Waits (bounded, 10 s) until the server runs no AOF rewrite and has none scheduled. */
export async function rewriteDone(c: { call(...a: string[]): Promise<unknown> }): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (!/aof_rewrite_in_progress:1|aof_rewrite_scheduled:1/.test(String(await c.call('INFO', 'persistence')))) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('AOF rewrite did not finish in 10 s');
}
