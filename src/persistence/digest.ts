/**
 * DEBUG DIGEST and DEBUG DIGEST-VALUE: Redis's dataset fingerprint, computed
 * the same way so the same data gives the same hex string in tsdis and
 * redis-server (tests compare datasets across servers with it).
 *
 * The scheme: per key, a 20-byte digest starts at zero; "mix" (SHA1 of the
 * digest xor SHA1(data)) feeds ordered data (the key, the type as a 4-byte
 * big-endian number, string bytes, list elements); "xor" adds unordered
 * data (set members, per-field hash and per-member zset digests, the
 * "!!expire!!" marker when the key has a TTL). Each db with keys mixes its
 * id into the result, then every key's digest is xored in. Scores print as
 * "%.17g"; integers as decimal text.
 */
import { Buffer } from 'node:buffer';
import crypto from 'node:crypto';
import type { Server } from '../server/server.js';
import type { Db } from '../keyspace/db.js';
import { isString, strOf, type Value } from '../keyspace/value.js';
import { ID_MAX } from '../types/stream.js';
import { formatG17 } from './rdb-compact.js';

/**
 * SHA-1 of a byte string. Digests hash many tiny inputs (a key, 4 type
 * bytes, a 20-byte digest): node:crypto costs about 1 µs a call there, most
 * of it call overhead, so short inputs (one or two 64-byte blocks) are
 * hashed here in JS (measured about 4x faster); long ones go to node:crypto.
 */
const W = new Int32Array(80);
const BLOCK = new Uint8Array(128);
const OUT = Buffer.alloc(20);

function sha1(data: Uint8Array): Buffer {
  const n = data.length;
  if (n > 119) return crypto.createHash('sha1').update(data).digest();
  const blocks = n + 9 <= 64 ? 1 : 2;
  const m = BLOCK;
  m.set(data, 0);
  m.fill(0, n, blocks * 64);
  m[n] = 0x80;
  const bits = n * 8;
  const end = blocks * 64;
  m[end - 1] = bits & 0xff;
  m[end - 2] = (bits >>> 8) & 0xff;
  m[end - 3] = (bits >>> 16) & 0xff;
  let h0 = 0x67452301,
    h1 = 0xefcdab89 | 0,
    h2 = 0x98badcfe | 0,
    h3 = 0x10325476,
    h4 = 0xc3d2e1f0 | 0;
  for (let b = 0; b < blocks; b++) {
    const o = b * 64;
    for (let i = 0; i < 16; i++)
      W[i] = (m[o + i * 4]! << 24) | (m[o + i * 4 + 1]! << 16) | (m[o + i * 4 + 2]! << 8) | m[o + i * 4 + 3]!;
    for (let i = 16; i < 80; i++) {
      const x = W[i - 3]! ^ W[i - 8]! ^ W[i - 14]! ^ W[i - 16]!;
      W[i] = (x << 1) | (x >>> 31);
    }
    let a = h0,
      bb = h1,
      c = h2,
      d = h3,
      e = h4;
    let i = 0;
    for (; i < 20; i++) {
      const t = (((a << 5) | (a >>> 27)) + ((bb & c) | (~bb & d)) + e + 0x5a827999 + W[i]!) | 0;
      e = d;
      d = c;
      c = (bb << 30) | (bb >>> 2);
      bb = a;
      a = t;
    }
    for (; i < 40; i++) {
      const t = (((a << 5) | (a >>> 27)) + (bb ^ c ^ d) + e + 0x6ed9eba1 + W[i]!) | 0;
      e = d;
      d = c;
      c = (bb << 30) | (bb >>> 2);
      bb = a;
      a = t;
    }
    for (; i < 60; i++) {
      const t = (((a << 5) | (a >>> 27)) + ((bb & c) | (bb & d) | (c & d)) + e - 0x70e44324 + W[i]!) | 0;
      e = d;
      d = c;
      c = (bb << 30) | (bb >>> 2);
      bb = a;
      a = t;
    }
    for (; i < 80; i++) {
      const t = (((a << 5) | (a >>> 27)) + (bb ^ c ^ d) + e - 0x359d3e2a + W[i]!) | 0;
      e = d;
      d = c;
      c = (bb << 30) | (bb >>> 2);
      bb = a;
      a = t;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + bb) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }
  OUT.writeInt32BE(h0, 0);
  OUT.writeInt32BE(h1, 4);
  OUT.writeInt32BE(h2, 8);
  OUT.writeInt32BE(h3, 12);
  OUT.writeInt32BE(h4, 16);
  return OUT;
}

function xorInto(d: Buffer, data: Buffer): void {
  const h = sha1(data);
  for (let i = 0; i < 20; i++) d[i]! ^= h[i]!;
}

function mixInto(d: Buffer, data: Buffer): void {
  xorInto(d, data);
  sha1(d).copy(d);
}

const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');

const TYPE_IDS: Record<string, number> = { string: 0, list: 1, set: 2, zset: 3, hash: 4, stream: 6 };

/** Mixes a value (and its TTL marker) into d, as Redis's xorObjectDigest. */
function valueDigest(d: Buffer, v: Value, hasExpire: boolean): void {
  const t = Buffer.alloc(4);
  t.writeUInt32BE(isString(v) ? 0 : TYPE_IDS[v.type]!);
  mixInto(d, t);
  if (isString(v)) mixInto(d, Buffer.isBuffer(v) ? v : bytes(strOf(v)));
  else if (v.type === 'list') {
    for (const e of v.toArray()) mixInto(d, bytes(typeof e === 'number' ? '' + e : e));
  } else if (v.type === 'set') {
    for (const m of v.members()) xorInto(d, bytes(m));
  } else if (v.type === 'zset') {
    for (const [m, s] of v.entries()) {
      const e = Buffer.alloc(20);
      mixInto(e, bytes(m));
      mixInto(e, bytes(formatG17(s)));
      xorInto(d, e);
    }
  } else if (v.type === 'stream') {
    // entries in ID order: "ms.seq", then each field and value (groups are not digested)
    v.range(0n, ID_MAX, false, 0, (node, i) => {
      mixInto(d, bytes(node.idText(i).replace('-', '.')));
      for (const x of node.fvAt(i)) mixInto(d, bytes(x));
    });
  } else if (v.type === 'hash') {
    const h = v;
    const ttls = h.ex !== null;
    h.forEach((f, x, i) => {
      const e = Buffer.alloc(20);
      mixInto(e, bytes(f));
      mixInto(e, bytes(x));
      // a field with a TTL (Redis 7.4: the fact, not the time)
      if (ttls && h.expireAt(i) !== 0) xorInto(e, bytes('!!hexpire!!'));
      xorInto(d, e);
    });
  }
  if (hasExpire) xorInto(d, bytes('!!expire!!'));
}

/** DEBUG DIGEST-VALUE for one key of a db (logically expired keys included): 40 hex digits. */
export function keyValueDigest(db: Db, key: string): string {
  const d = Buffer.alloc(20);
  const v = db.dict.get(key);
  if (v !== undefined) valueDigest(d, v, db.expires.has(key));
  return d.toString('hex');
}

/** DEBUG DIGEST: the whole dataset's digest, 40 hex digits (all zeros when empty). */
export function datasetDigest(server: Server): string {
  const final = Buffer.alloc(20);
  for (const db of server.dbs) {
    const dict = db.dict;
    if (dict.size === 0) continue;
    const id = Buffer.alloc(4);
    id.writeUInt32BE(db.id);
    mixInto(final, id);
    for (let i = 0; i < dict.size; i++) {
      const k = dict.keyAt(i);
      const d = Buffer.alloc(20);
      mixInto(d, bytes(k));
      valueDigest(d, dict.valAt(i), db.expires.size !== 0 && db.expires.has(k));
      xorInto(final, d);
    }
  }
  return final.toString('hex');
}
