/**
 * Strings that outlive the command they came from, and sdscatrepr's quoting
 * (repr: MONITOR lines, log lines, CONFIG REWRITE, the AOF manifest).
 *
 * V8 makes `s.slice(a, b)` of 13 characters or more a view that keeps the
 * whole of `s` alive, and a request's argument can be 512 MB: a 128-byte
 * piece of it kept in the slowlog held all of it until the entry went
 * (measured: four SETs of 50 MB values, then DEL, left ~200 MB held until
 * SLOWLOG RESET). Worse, a parent stays alive for one more full GC even
 * after its slice is garbage, so "slice, then copy" still leaves the memory
 * behind for a while. Whatever keeps part of a client's input beyond its
 * command keeps a copy made by these functions, which never slice.
 */
import { Buffer } from 'node:buffer';

/** Below this length V8 copies a substring rather than making a slice (SlicedString::kMinLength). */
const SLICE_MIN = 13;

/**
 * A flat copy of a latin1 string (one char per byte) that shares no memory
 * with the string it came from (a slice or a rope of a larger one). Costs an
 * allocation and two copies: for the rare path (slowlog entries), not per
 * command.
 */
export function ownCopy(s: string): string {
  if (s.length === 0) return '';
  return Buffer.from(s, 'latin1').latin1Slice(0);
}

/** The first `n` chars of a latin1 string `s` as a string of their own, without slicing `s`. */
export function prefixCopy(s: string, n: number): string {
  if (n < SLICE_MIN) return s.slice(0, n);
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = s.charCodeAt(i);
  return b.latin1Slice(0, n);
}

/** The text up to the first NUL, as C string functions (and printf's %s) see an argument. */
export function cstr(s: string): string {
  const z = s.indexOf('\0');
  return z < 0 ? s : s.slice(0, z);
}

/**
 * A template that quotes its values as printf's %s does in Redis's error
 * texts: each one ends at its first NUL (the text around it stays).
 */
export function cfmt(parts: TemplateStringsArray, ...vals: unknown[]): string {
  let s = parts[0]!;
  for (let i = 0; i < vals.length; i++) s += cstr(String(vals[i])) + parts[i + 1]!;
  return s;
}

/** The escape of each byte as sdscatrepr writes it ('' for a byte written as is). */
const ESCAPES: readonly string[] = Array.from({ length: 256 }, (_, c) => {
  switch (c) {
    case 0x5c:
      return '\\\\';
    case 0x22:
      return '\\"';
    case 0x0a:
      return '\\n';
    case 0x0d:
      return '\\r';
    case 0x09:
      return '\\t';
    case 0x07:
      return '\\a';
    case 0x08:
      return '\\b';
    default:
      return c >= 0x20 && c <= 0x7e ? '' : '\\x' + c.toString(16).padStart(2, '0');
  }
});

/** Above this length repr() escapes into a Buffer rather than appending to a string. */
const REPR_BUFFER_FROM = 256;

/**
 * A byte string quoted and escaped as Redis's sdscatrepr (latin1: one char
 * per byte). A long argument is escaped into one Buffer (at most 4 bytes a
 * byte): appending a character at a time builds a rope of one node per
 * character, and a 50 MB SET seen by a monitor took 14 s and 1.8 GB of RSS.
 */
export function repr(s: string): string {
  const n = s.length;
  if (n > REPR_BUFFER_FROM) return reprLong(s);
  let out = '"';
  let run = 0; // start of the pending run of bytes written as is
  for (let i = 0; i < n; i++) {
    const e = ESCAPES[s.charCodeAt(i)]!;
    if (e === '') continue;
    out += s.slice(run, i) + e;
    run = i + 1;
  }
  return out + s.slice(run) + '"';
}

/** repr() of a long string, through a Buffer sized for the worst case. */
function reprLong(s: string): string {
  const n = s.length;
  const src = Buffer.from(s, 'latin1');
  const dst = Buffer.allocUnsafe(n * 4 + 2);
  let o = 0;
  dst[o++] = 0x22;
  for (let i = 0; i < n; i++) {
    const c = src[i]!;
    const e = ESCAPES[c]!;
    if (e === '') dst[o++] = c;
    else for (let k = 0; k < e.length; k++) dst[o++] = e.charCodeAt(k);
  }
  dst[o++] = 0x22;
  return dst.latin1Slice(0, o);
}
