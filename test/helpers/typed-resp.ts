/**
 * A RESP2/RESP3 reply parsed into a tree that keeps every wire detail (type
 * byte, simple vs bulk string, set vs array), so tests can normalize one part
 * of a reply (sort an unordered list, drop a field) and compare the rest
 * byte for byte after serializing it back.
 */

export interface Node {
  /** The type byte: + - : $ * ~ % > _ , # ( = ! */
  t: string;
  /** The line or bulk payload for scalars; undefined for aggregates. */
  s?: string;
  /** Children of aggregates (a map's are key, value, key, value...). */
  c?: Node[];
  /** A RESP2 null ($-1 or *-1): `s` holds the length line. */
  nil?: boolean;
}

/** Parses one complete reply from raw latin1 bytes. */
export function parseTyped(raw: string): Node {
  let pos = 0;
  const line = (): string => {
    const e = raw.indexOf('\r\n', pos);
    if (e < 0) throw new Error('incomplete reply');
    const s = raw.slice(pos, e);
    pos = e + 2;
    return s;
  };
  const read = (): Node => {
    const t = raw[pos++]!;
    const l = line();
    switch (t) {
      case '$':
      case '=':
      case '!': {
        const n = Number(l);
        if (n < 0) return { t, s: l, nil: true };
        const s = raw.slice(pos, pos + n);
        pos += n + 2;
        return { t, s };
      }
      case '*':
      case '~':
      case '>':
      case '%': {
        const n = Number(l);
        if (n < 0) return { t, s: l, nil: true };
        const c: Node[] = [];
        for (let i = 0; i < (t === '%' ? 2 * n : n); i++) c.push(read());
        return { t, c };
      }
      default:
        return { t, s: l };
    }
  };
  return read();
}

/** Serializes a tree back to RESP bytes. */
export function serialize(n: Node): string {
  if (n.c) {
    const len = n.t === '%' ? n.c.length / 2 : n.c.length;
    return n.t + len + '\r\n' + n.c.map(serialize).join('');
  }
  if (!n.nil && (n.t === '$' || n.t === '=' || n.t === '!')) return `${n.t}${n.s!.length}\r\n${n.s}\r\n`;
  return n.t + n.s + '\r\n';
}

/** A map node's value for a key (bulk or simple string key), or undefined. */
export function mapGet(n: Node, key: string): Node | undefined {
  if (!n.c) return undefined;
  // RESP3 maps and RESP2 flat arrays alike: key, value, key, value...
  for (let i = 0; i + 1 < n.c.length; i += 2) if (n.c[i]!.s === key) return n.c[i + 1];
  return undefined;
}

/** Removes a key (and its value) from a map node (RESP3 map or RESP2 flat array). */
export function mapDelete(n: Node, key: string): void {
  if (!n.c) return;
  for (let i = 0; i + 1 < n.c.length; i += 2) {
    if (n.c[i]!.s === key) {
      n.c.splice(i, 2);
      return;
    }
  }
}

/** Sorts a map node's pairs by key. */
export function sortMapPairs(n: Node): void {
  if (!n.c) return;
  const pairs: [Node, Node][] = [];
  for (let i = 0; i + 1 < n.c.length; i += 2) pairs.push([n.c[i]!, n.c[i + 1]!]);
  pairs.sort((a, b) => (serialize(a[0]) < serialize(b[0]) ? -1 : serialize(a[0]) > serialize(b[0]) ? 1 : 0));
  n.c = pairs.flat();
}

/** Sorts an aggregate's children by their serialized bytes. */
export function sortChildren(n: Node): void {
  if (!n.c) return;
  n.c.sort((a, b) => (serialize(a) < serialize(b) ? -1 : serialize(a) > serialize(b) ? 1 : 0));
}
