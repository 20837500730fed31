/**
 * The AOF manifest: which files of `appenddirname` make up the AOF, in Redis
 * 7's format and with Redis's validation (aof.c, the manifest part).
 *
 *   file appendonly.aof.2.base.rdb seq 2 type b
 *   file appendonly.aof.1.incr.aof seq 1 type h
 *   file appendonly.aof.3.incr.aof seq 3 type i
 *
 * One line a file: `file <name> seq <n> type <b|h|i>`, keys in any case and
 * order, extra key/value pairs ignored (forward compatibility), the name
 * quoted as sdscatrepr quotes it when it needs to be (spaces, newlines, ...).
 * At most one base (b), always written first; history files (h: a base or
 * incr files a rewrite replaced, kept while aof-disable-auto-gc is yes) next;
 * incremental files (i) last, with strictly increasing sequence numbers.
 *
 * Reading is strict, and each problem has Redis's text, which tools and
 * Redis's own tests look for in the log: the line is read as fgets() reads
 * it into a 1025-byte buffer, so a line over 1024 bytes, or a last line with
 * no newline, is "too long". Callers: persistence/aof.ts (start, DEBUG
 * LOADAOF, rewrites), tests.
 */
import { Buffer } from 'node:buffer';
import fs from 'node:fs';
import path from 'node:path';
import { splitArgs } from '../protocol/parser.js';
import { repr } from '../util/strings.js';
import { strerror } from '../config/file.js';
import { fsyncDir, writeFully } from '../util/files.js';

/** b: base, h: history (replaced by a rewrite, to delete), i: incremental. */
export type AofFileType = 'b' | 'h' | 'i';

/** One file named by the manifest. */
export interface AofInfo {
  name: string;
  seq: number;
  type: AofFileType;
}

/** The longest manifest line Redis reads (MANIFEST_MAX_LINE). */
const MAX_LINE = 1024;

/**
 * A manifest that cannot be read. `line`/`lineNo` are set when the problem
 * is in a line that was read whole (Redis then shows it); `lines()` is what
 * Redis logs, in order, each at warning level.
 */
export class ManifestError extends Error {
  constructor(
    readonly reason: string,
    readonly lineNo: number | null = null,
    readonly line: string | null = null,
  ) {
    super(lineNo === null ? reason : `${reason} (line ${lineNo}: '${line}')`);
  }

  /** The fatal block as Redis logs it (each message ends with a newline, so an empty line follows). */
  lines(): string[] {
    const out = ['\n*** FATAL AOF MANIFEST FILE ERROR ***\n'];
    if (this.line !== null) out.push(`Reading the manifest file, at line ${this.lineNo}\n`, `>>> '${this.line}'\n`);
    out.push(`${this.reason}\n`);
    return out;
  }
}

/** Whether a name must be quoted in the manifest (Redis's sdsneedsrepr). */
function needsRepr(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // \\ and " and anything that is not a printable non-space ASCII character
    if (c === 92 || c === 34 || c <= 32 || c >= 127) return true;
  }
  return false;
}

/** The files of an AOF and the sequence numbers the next base and incr files take. */
export class AofManifest {
  base: AofInfo | null = null;
  /** History files, newest first as Redis adds them. */
  history: AofInfo[] = [];
  /** Incremental files in replay order. */
  incr: AofInfo[] = [];
  /** The base's seq (the next base takes one more). */
  curBaseSeq = 0;
  /** The last incr's seq (the next incr takes one more). */
  curIncrSeq = 0;
  /** Changed since it was last written (persist() is a no-op otherwise). */
  dirty = false;

  /** A deep copy to change, then install once everything it names is in place (Redis's aofManifestDup). */
  clone(): AofManifest {
    const m = new AofManifest();
    m.base = this.base && { ...this.base };
    m.history = this.history.map((f) => ({ ...f }));
    m.incr = this.incr.map((f) => ({ ...f }));
    m.curBaseSeq = this.curBaseSeq;
    m.curIncrSeq = this.curIncrSeq;
    m.dirty = this.dirty;
    return m;
  }

  /** The manifest text: base, history, incr, one line each. */
  format(): string {
    let s = '';
    for (const f of this.all()) s += `file ${needsRepr(f.name) ? repr(f.name) : f.name} seq ${f.seq} type ${f.type}\n`;
    return s;
  }

  /** Every file in manifest order. */
  all(): AofInfo[] {
    return [...(this.base ? [this.base] : []), ...this.history, ...this.incr];
  }

  /** The files a load replays: the base, then the incr files. */
  loadOrder(): AofInfo[] {
    return [...(this.base ? [this.base] : []), ...this.incr];
  }

  /** Whether it names no base and no incr file (nothing to load). */
  get empty(): boolean {
    return this.base === null && this.incr.length === 0;
  }

  /**
   * A new base (`<filename>.<seq>.base.rdb`, or `.aof` without the RDB
   * preamble); the current base becomes history (Redis's
   * getNewBaseFileNameAndMarkPreAsHistory). Returns the new name.
   */
  newBase(filename: string, rdb: boolean): string {
    if (this.base !== null) this.history.unshift({ ...this.base, type: 'h' });
    const seq = ++this.curBaseSeq;
    this.base = { name: `${filename}.${seq}.base.${rdb ? 'rdb' : 'aof'}`, seq, type: 'b' };
    this.dirty = true;
    return this.base.name;
  }

  /** A new incr file at the end (`<filename>.<seq>.incr.aof`). Returns its name. */
  newIncr(filename: string): string {
    const seq = ++this.curIncrSeq;
    const name = `${filename}.${seq}.incr.aof`;
    this.incr.push({ name, seq, type: 'i' });
    this.dirty = true;
    return name;
  }

  /** The last incr file, a new one when there is none (Redis's getLastIncrAofName). */
  lastIncr(filename: string): string {
    const last = this.incr[this.incr.length - 1];
    return last !== undefined ? last.name : this.newIncr(filename);
  }

  /**
   * After a rewrite: the incr files it covers become history, all of them,
   * or all but the last when the AOF is on (the last one is being written).
   */
  markRewrittenIncrAsHistory(keepLast: boolean): void {
    if (this.incr.length === 0) return;
    const keep = keepLast ? this.incr.splice(this.incr.length - 1, 1) : [];
    for (const f of this.incr) this.history.unshift({ ...f, type: 'h' });
    this.incr = keep;
    this.dirty = true;
  }
}

/** The temp incr file that takes writes while AOF waits for its first rewrite (`temp-<filename>.incr`). */
export function tempIncrName(filename: string): string {
  return `temp-${filename}.incr`;
}

/** The manifest's file name (`<filename>.manifest`). */
export function manifestName(filename: string): string {
  return `${filename}.manifest`;
}

/**
 * Reads a manifest's bytes (latin1) as Redis does, line by line. Throws
 * ManifestError with Redis's reason on anything it would refuse.
 */
export function parseManifest(text: string): AofManifest {
  const m = new AofManifest();
  let maxSeq = 0;
  let pos = 0;
  let lineNo = 0;
  for (;;) {
    // fgets into a MAX_LINE+1 buffer: up to and including a newline, at most MAX_LINE bytes
    if (pos >= text.length) {
      if (lineNo === 0) throw new ManifestError('Found an empty AOF manifest');
      break;
    }
    const nl = text.indexOf('\n', pos);
    const end = nl >= 0 && nl - pos < MAX_LINE ? nl + 1 : Math.min(text.length, pos + MAX_LINE);
    let buf = text.slice(pos, end);
    pos = end;
    lineNo++;
    // (fgets stops at a NUL only as the C string does: the rest of the buffer is unseen)
    const z = buf.indexOf('\0');
    if (z >= 0) buf = buf.slice(0, z);
    if (buf.startsWith('#')) continue;
    if (!buf.includes('\n')) throw new ManifestError('The AOF manifest file contains too long line');
    const line = buf.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
    const fail = (reason: string): never => {
      throw new ManifestError(reason, lineNo, line);
    };
    if (line === '') fail('Invalid AOF manifest file format');
    const argv = splitArgs(line);
    if (argv === null || argv.length < 6 || argv.length % 2 !== 0) fail('Invalid AOF manifest file format');
    let name: string | null = null;
    let seq = 0;
    let type = '';
    for (let i = 0; i < argv!.length; i += 2) {
      const k = argv![i]!.toLowerCase();
      const v = argv![i + 1]!;
      if (k === 'file') {
        name = v;
        if (v.includes('/') || v.includes('\\')) fail("File can't be a path, just a filename");
      } else if (k === 'seq') seq = atoll(v);
      else if (k === 'type') type = v.charAt(0);
    }
    if (name === null || seq === 0 || type === '') fail('Invalid AOF manifest file format');
    const info = { name: name!, seq, type: type as AofFileType };
    if (type === 'b') {
      if (m.base !== null) fail('Found duplicate base file information');
      m.base = info;
      m.curBaseSeq = seq;
    } else if (type === 'h') {
      m.history.push(info);
    } else if (type === 'i') {
      if (seq <= maxSeq) fail('Found a non-monotonic sequence number');
      m.incr.push(info);
      m.curIncrSeq = seq;
      maxSeq = seq;
    } else fail('Unknown AOF file type');
  }
  return m;
}

/** C's atoll: optional white space and sign, then digits; 0 when there are none; saturates. */
function atoll(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)/.exec(s);
  if (m === null) return 0;
  const n = Number(m[2]);
  return m[1] === '-' ? -n : n;
}

/**
 * Writes the manifest when it changed: to `temp-<name>.manifest`, fsync,
 * rename over `<name>.manifest`, fsync the directory (Redis's
 * persistAofManifest). Throws an Error with Redis's log text on failure;
 * the manifest stays dirty then.
 */
export function persistManifest(m: AofManifest, dir: string, filename: string): void {
  if (!m.dirty) return;
  const name = manifestName(filename);
  const tmpName = `temp-${name}`;
  const tmp = path.join(dir, tmpName);
  let fd: number;
  try {
    fd = fs.openSync(tmp, 'w', 0o644);
  } catch (e) {
    throw new Error(`Can't open the AOF manifest file ${tmpName}: ${strerror(e)}`);
  }
  try {
    const b = Buffer.from(m.format(), 'latin1');
    try {
      writeFully(fd, b);
    } catch (e) {
      throw new Error(`Error trying to write the temporary AOF manifest file ${tmpName}: ${strerror(e)}`);
    }
    try {
      fs.fsyncSync(fd);
    } catch (e) {
      throw new Error(`Fail to fsync the temp AOF file ${tmpName}: ${strerror(e)}.`);
    }
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, path.join(dir, name));
  } catch (e) {
    throw new Error(`Error trying to rename the temporary AOF manifest file ${tmpName} into ${name}: ${strerror(e)}`);
  }
  fsyncDir(dir);
  m.dirty = false;
}
