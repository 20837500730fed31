/**
 * Bytes on the way to and from a web page. Keys, values and arguments are
 * byte strings (latin1: one char per byte); a page shows text. display()
 * turns bytes into what a person can read without losing what they are:
 * valid UTF-8 without control characters is shown as its text, anything
 * else as redis-cli quotes it (sdscatrepr: `"\xff\x00abc"`). The page puts
 * the result in the DOM as text (textContent), never as markup.
 *
 * parseQuery() goes the other way: a query string's percent escapes are
 * bytes (the page escapes a key byte by byte), so they are decoded as bytes,
 * not as UTF-8 (URLSearchParams would turn an invalid sequence into U+FFFD
 * and lose the key).
 */
import { Buffer } from 'node:buffer';
import { repr } from '../util/strings.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Characters shown escaped even in valid UTF-8: C1 controls, the BOM, and bidirectional overrides (they reorder what follows). */
const HIDDEN = /[\u0080-\u009f\ufeff\u202a-\u202e\u2066-\u2069]/;

/** What a page shows for a byte string: its UTF-8 text when it is clean, else its quoted escape. */
export function display(s: string): string {
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return repr(s);
    if (c >= 0x80) ascii = false;
  }
  if (ascii) return s;
  let text: string;
  try {
    text = utf8.decode(Buffer.from(s, 'latin1'));
  } catch {
    return repr(s);
  }
  return HIDDEN.test(text) ? repr(s) : text;
}

/** At most `n` bytes of `s` for display, and how many were left out. */
export function displayPrefix(s: string, n: number): { text: string; more: number } {
  if (s.length <= n) return { text: display(s), more: 0 };
  // a cut in the middle of a UTF-8 sequence: back up to its start, so the prefix stays text
  let end = n;
  for (let k = 0; k < 3 && end > 0 && (s.charCodeAt(end) & 0xc0) === 0x80; k++) end--;
  if ((s.charCodeAt(end) & 0xc0) === 0x80) end = n;
  return { text: display(s.slice(0, end)), more: s.length - end };
}

/** The value of a percent escape's hex digit, or -1. */
function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** A query component decoded to bytes (a latin1 string): `%XX` is a byte, `+` a space, anything else its UTF-8 bytes. */
function decodeComponent(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && i + 2 < s.length && hexVal(s.charCodeAt(i + 1)) >= 0 && hexVal(s.charCodeAt(i + 2)) >= 0) {
      bytes.push(hexVal(s.charCodeAt(i + 1)) * 16 + hexVal(s.charCodeAt(i + 2)));
      i += 2;
    } else if (c === 0x2b) bytes.push(0x20);
    else if (c < 0x80) bytes.push(c);
    else {
      const cp = String.fromCodePoint(s.codePointAt(i)!);
      for (const b of Buffer.from(cp, 'utf8')) bytes.push(b);
      i += cp.length - 1;
    }
  }
  return Buffer.from(bytes).latin1Slice(0);
}

/**
 * The query of a request target (`/api/key?db=0&key=%FFa`) as name -> value,
 * each value a byte string; the first occurrence of a name wins.
 */
export function parseQuery(target: string): Map<string, string> {
  const out = new Map<string, string>();
  const q = target.indexOf('?');
  if (q < 0) return out;
  for (const part of target.slice(q + 1).split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decodeComponent(eq < 0 ? part : part.slice(0, eq));
    if (!out.has(name)) out.set(name, eq < 0 ? '' : decodeComponent(part.slice(eq + 1)));
  }
  return out;
}

/** A byte string as lowercase hex (how a page keeps a key's exact bytes to ask for it again). */
export function toHex(s: string): string {
  return Buffer.from(s, 'latin1').toString('hex');
}
