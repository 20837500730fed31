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
import crypto from 'node:crypto';
import type { Server } from '../server/server.js';
import type { Db } from '../keyspace/db.js';
import { isString, strOf, type Value } from '../keyspace/value.js';
import type { List } from '../types/list.js';
import type { HashValue } from '../types/hash.js';
import type { SetValue } from '../types/set.js';
import type { ZSet } from '../types/zset.js';
import { formatG17 } from './rdb.js';

// crypto.hash (Node >= 20.12) is the cheaper one-shot form
const oneShot = (crypto as unknown as { hash?: (alg: string, data: Buffer, enc: 'buffer') => Buffer }).hash;

function sha1(data: Buffer): Buffer {
  return oneShot !== undefined ? oneShot('sha1', data, 'buffer') : crypto.createHash('sha1').update(data).digest();
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
    for (const e of (v as List).toArray()) mixInto(d, bytes(typeof e === 'number' ? '' + e : e));
  } else if (v.type === 'set') {
    for (const m of (v as SetValue).members()) xorInto(d, bytes(m));
  } else if (v.type === 'zset') {
    for (const [m, s] of (v as ZSet).entries()) {
      const e = Buffer.alloc(20);
      mixInto(e, bytes(m));
      mixInto(e, bytes(formatG17(s)));
      xorInto(d, e);
    }
  } else if (v.type === 'hash') {
    (v as HashValue).forEach((f, val) => {
      const e = Buffer.alloc(20);
      mixInto(e, bytes(f));
      mixInto(e, bytes(val));
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
    for (let i = 0; i < dict.keys.length; i++) {
      const k = dict.keys[i]!;
      const d = Buffer.alloc(20);
      mixInto(d, bytes(k));
      valueDigest(d, dict.vals[i]!, db.expires.size !== 0 && db.expires.has(k));
      xorInto(final, d);
    }
  }
  return final.toString('hex');
}
