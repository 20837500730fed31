/**
 * Glob-style matching with Redis's semantics (KEYS, SCAN MATCH, PSUBSCRIBE,
 * CONFIG GET, ACL key patterns). Pattern and subject are latin1 strings (one
 * char per byte), so matching is byte-wise and binary safe.
 *
 * Supported, as in Redis:
 *   *        any run of bytes (also empty)
 *   ?        exactly one byte
 *   [abc]    one of the listed bytes; [^abc] none of them
 *   [a-z]    a byte range, either order ([z-a] is the same); the bounds are
 *            compared as C `signed char`, so a range crossing 0x7f/0x80
 *            behaves as on x86 redis-server
 *   \x       the byte x literally (outside and inside brackets)
 * An unterminated `[` set ends at the end of the pattern. nocase folds
 * ASCII A-Z only (the C locale).
 */

/** Recursion guard for abusive patterns (Redis 7.2 gives up past 1000 nested stars). */
const MAX_NESTING = 1000;

/** The byte at i, or 0 past the end (Redis's patterns are NUL-terminated). */
function at(s: string, i: number): number {
  return i < s.length ? s.charCodeAt(i) : 0;
}

/** C tolower() in the C locale. */
function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** A byte as C `signed char`. */
function signed(c: number): number {
  return c >= 128 ? c - 256 : c;
}

/** Shared state of one match: whether a star already proved longer matches useless. */
interface State {
  skipLonger: boolean;
}

/**
 * Matches pattern[p..] against str[s..]. Mirrors the shape of Redis's matcher
 * (one recursion per star) so its results, including its corner cases, are
 * the same.
 */
function matchFrom(
  pat: string,
  p: number,
  str: string,
  s: number,
  nocase: boolean,
  st: State,
  nesting: number,
): boolean {
  if (nesting > MAX_NESTING) return false;
  const plen = pat.length;
  const slen = str.length;
  while (p < plen && s < slen) {
    const pc = pat.charCodeAt(p);
    if (pc === 42 /* * */) {
      while (p + 1 < plen && pat.charCodeAt(p + 1) === 42) p++;
      if (p + 1 === plen) return true;
      while (s < slen) {
        if (matchFrom(pat, p + 1, str, s, nocase, st, nesting + 1)) return true;
        if (st.skipLonger) return false;
        s++;
      }
      // The rest of the pattern matches nowhere in the rest of the string:
      // no earlier star can help by consuming more.
      st.skipLonger = true;
      return false;
    } else if (pc === 63 /* ? */) {
      s++;
    } else if (pc === 91 /* [ */) {
      p++;
      const not = at(pat, p) === 94; /* ^ */
      if (not) p++;
      let match = false;
      const sc = str.charCodeAt(s);
      for (;;) {
        const c = at(pat, p);
        if (c === 92 /* \ */ && plen - p >= 2) {
          p++;
          if (pat.charCodeAt(p) === sc) match = true;
        } else if (c === 93 /* ] */ && p < plen) {
          break;
        } else if (p >= plen) {
          p--; // leave p on the last byte; the step below moves past it
          break;
        } else if (plen - p >= 3 && pat.charCodeAt(p + 1) === 45 /* - */) {
          let start = signed(c);
          let end = signed(pat.charCodeAt(p + 2));
          let x = signed(sc);
          if (start > end) [start, end] = [end, start];
          if (nocase) {
            start = lower(start);
            end = lower(end);
            x = lower(x);
          }
          p += 2;
          if (x >= start && x <= end) match = true;
        } else if (nocase ? lower(c) === lower(sc) : c === sc) {
          match = true;
        }
        p++;
      }
      if (not) match = !match;
      if (!match) return false;
      s++;
    } else {
      let c = pc;
      if (c === 92 /* \ */ && plen - p >= 2) {
        p++;
        c = pat.charCodeAt(p);
      }
      const sc = str.charCodeAt(s);
      if (nocase ? lower(c) !== lower(sc) : c !== sc) return false;
      s++;
    }
    p++;
    if (s === slen) {
      while (p < plen && pat.charCodeAt(p) === 42) p++;
      break;
    }
  }
  return p >= plen && s === slen;
}

/** True when `str` matches the glob `pattern` (Redis's stringmatchlen). */
export function globMatch(pattern: string, str: string, nocase = false): boolean {
  return matchFrom(pattern, 0, str, 0, nocase, { skipLonger: false }, 0);
}
