/**
 * Strings that outlive the command they came from.
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
