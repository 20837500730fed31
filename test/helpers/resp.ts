/**
 * Raw RESP helpers for tests: encode a command, find where one reply ends in
 * a byte stream (so raw reply bytes can be compared exactly).
 */

/** Encodes a command as a RESP multibulk, binary-safe (strings are latin1). */
export function encode(args: (string | Buffer | number)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a), 'latin1');
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** The byte length of the first complete reply in buf from pos, or -1 if incomplete. */
export function replyLength(buf: Buffer, pos = 0): number {
  const end = frameEnd(buf, pos);
  return end < 0 ? -1 : end - pos;
}

function frameEnd(buf: Buffer, pos: number): number {
  if (pos >= buf.length) return -1;
  const t = buf[pos]!;
  const cr = buf.indexOf('\r\n', pos);
  if (cr < 0) return -1;
  const line = buf.latin1Slice(pos + 1, cr);
  const after = cr + 2;
  switch (String.fromCharCode(t)) {
    case '+':
    case '-':
    case ':':
    case '_':
    case ',':
    case '#':
    case '(':
      return after;
    case '$':
    case '=':
    case '!': {
      const n = Number(line);
      if (n < 0) return after;
      return after + n + 2 <= buf.length ? after + n + 2 : -1;
    }
    case '*':
    case '~':
    case '>':
    case '%':
    case '|': {
      let n = Number(line);
      if (n < 0) return after;
      if (t === 37 /* % */ || t === 124 /* | */) n *= 2;
      let p = after;
      for (let i = 0; i < n; i++) {
        p = frameEnd(buf, p);
        if (p < 0) return -1;
      }
      if (t === 124) return frameEnd(buf, p); // attribute precedes a reply
      return p;
    }
    default:
      throw new Error(`bad reply type byte ${t} at ${pos}: ${JSON.stringify(buf.latin1Slice(pos, pos + 40))}`);
  }
}
