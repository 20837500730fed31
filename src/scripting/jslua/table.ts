/**
 * Lua tables, with Lua 5.1.5's exact layout (ltable.c), because what
 * scripts and clients see depends on it: `next`'s order (so `pairs` and
 * cjson.encode's key order) and the border `#` finds.
 *
 * Layout, as in Lua: an array part (`sizearray` slots for the keys
 * 1..sizearray) and a node part of 2^k nodes (or none: Lua's dummy node),
 * each node a key, a value, the next node of its collision chain and, here,
 * the key's hash. A key's main position is its hash modulo the node count
 * (strings: Redis's luaS_hash over all the bytes, seeded with the length;
 * booleans: 0/1; both masked with size-1; numbers: the sum of the double's
 * two 32-bit words, tables/functions/userdata: a fake stable address, both
 * modulo (size-1)|1; 0 and -0 go to node 0). A new key goes to its main
 * position when that node's value is nil (a removed key there is
 * overwritten); else to the free node `lastfree` finds scanning down, the
 * colliding node moving there instead when it is not in its own main
 * position (luaH_newkey). No free node: rehash, sizing the array part as the
 * largest power of 2 n with more than n/2 of the keys 1..n in use, and
 * re-inserting the array part's vanishing slice, then the old nodes from the
 * last to the first.
 *
 * Reads do not walk the chains (that would need Lua's string hash per
 * lookup): node parts of up to 2 nodes are scanned, larger ones have a JS
 * Map from key to node index beside them (`===` and Map's SameValueZero are
 * both Lua's raw equality for every key type, 0 and -0 included), made at
 * the first read after a resize. Stores hash the key anyway (a new key's
 * position needs it), so they walk the chain from its main position and keep
 * the Map only when there is one: a table filled by stores (cmsgpack.unpack,
 * cjson.decode, a reply) makes none at each rehash, which was most of an
 * unpack's time. Each node keeps its key's hash, for collisions and rehash.
 * Setting a value to nil keeps its key in the node, as Lua does (a later set
 * of that key reuses the node; the garbage collector's dead keys, which would
 * not match, are not modelled: GC timing is not predictable anyway, and it
 * only matters when a removed string or table key is stored again after a GC
 * cycle). Setting nil under an absent key inserts the key, as Lua's
 * luaH_set does (it can trigger a rehash, like in Lua).
 *
 * Iteration for compiled `pairs` loops (no allocation per step):
 *   for (let i = t.nextIndex(-1); i >= 0; i = t.nextIndex(i)) {
 *     const k = t.keyAt(i), v = t.valueAt(i); ...
 *   }
 * Slot indexes are 0..sizearray-1 for the array part, then sizearray + node
 * index, as Lua's luaH_next numbers them. They stay valid while `shape` is
 * unchanged (it changes when a key is inserted into the node part or the
 * table is resized: assigning existing fields or nil to existing fields keeps
 * it); after a change, `findIndex(k)` re-finds the current key as Lua's next
 * would (raising "invalid key to 'next'" when it is gone).
 */
import { LuaError, addressOf, type LuaValue } from './value.js';

/** Lua 5.1's MAXBITS: the array part holds at most 2^26 slots. */
const MAXBITS = 26;
const MAXASIZE = 1 << MAXBITS;
const NO_ARRAY: LuaValue[] = [];

/** ceil(log2(x)) for x >= 1 (luaO_ceillog2). */
function ceilLog2(x: number): number {
  return x <= 1 ? 0 : 32 - Math.clz32(x - 1);
}

/** luaO_int2fb then luaO_fb2int: a constructor's size as OP_NEWTABLE stores it (rounded up to the "float byte" format). */
export function fbRound(x: number): number {
  let e = 0;
  while (x >= 16) {
    x = (x + 1) >>> 1;
    e++;
  }
  if (x < 8) return x;
  return x * 2 ** e;
}

const numBuf = new Float64Array(1);
const numWords = new Uint32Array(numBuf.buffer);

/** Lua's string hash as Redis patched it: seeded with the length, over every byte from the last. */
export function luaStrHash(s: string): number {
  let h = s.length | 0;
  for (let i = s.length - 1; i >= 0; i--) h ^= ((h << 5) + (h >>> 2) + s.charCodeAt(i)) | 0;
  return h;
}

/** Recent long strings' hashes (short ones are cheaper to hash than to look up). */
let strHashCache = new Map<string, number>();

function strHash(s: string): number {
  if (s.length <= 24) return luaStrHash(s);
  let h = strHashCache.get(s);
  if (h === undefined) {
    h = luaStrHash(s);
    if (strHashCache.size >= 4096) strHashCache = new Map();
    strHashCache.set(s, h);
  }
  return h;
}

/** A key's raw hash (before the modulo by the node count). */
function keyHash(k: LuaValue): number {
  switch (typeof k) {
    case 'string':
      return strHash(k);
    case 'number':
      if (k === 0) return 0;
      numBuf[0] = k;
      return (numWords[0]! + numWords[1]!) >>> 0;
    case 'boolean':
      return k ? 1 : 0;
    default:
      return parseInt(addressOf(k as object).slice(2), 16) >>> 0;
  }
}

/** arrayindex: the key as an int when it is an integer-valued number in C int range, else -1. */
function arrayIndex(k: LuaValue): number {
  return typeof k === 'number' && (k | 0) === k ? k : -1;
}

/** Node parts up to this many nodes are searched linearly; larger ones through a Map. */
const SMALL = 2;
/** rehash's counts of integer keys per slice (2^(i-1), 2^i]: scratch, rehash does not nest. */
const nums = new Int32Array(MAXBITS + 1);

export class LuaTable {
  /** The metatable (setmetatable), or undefined. */
  metatable: LuaTable | undefined = undefined;
  /**
   * Redis 7's readonly tables (the globals and the libraries reachable from
   * them): the raw stores here do not check it, as luaH_set does not; the
   * writers do (lua_rawset/lua_rawseti/lua_setmetatable in builtins, the
   * assignment in compiled code): "Attempt to modify a readonly table".
   */
  readonly = false;
  /** Changes when the node part gains a key or the table is resized (see the iteration note above). */
  shape = 0;
  /** The array part: `sizearray` slots, t[i] at arr[i-1]. */
  private arr: LuaValue[];
  private sizearray: number = 0;
  /** Node count: 0 (Lua's dummy node) or a power of 2. */
  private nsize = 0;
  /** The nodes, 3 slots each: key (undefined: free), value, next node index (-1: none). */
  private node: LuaValue[] = NO_ARRAY;
  /** Each node's key hash (keyHash), for main positions at collisions and rehash. */
  private nhash: number[] = NO_ARRAY as number[];
  private lastfree = 0;
  /**
   * Key -> node index for node parts larger than SMALL (smaller ones are
   * scanned), for every key a node holds, keys whose value was set to nil
   * included (Lua finds those too); null until a find() needs it after the
   * last resize (stores keep it when it is there).
   */
  private map: Map<LuaValue, number> | null = null;

  /** OP_NEWTABLE's sizes (luaH_new): `narr` array slots, `nhash` nodes rounded up to a power of 2 (0: none). */
  constructor(narr = 0, nhash = 0) {
    if (narr > 0) {
      const a: LuaValue[] = [];
      for (let i = 0; i < narr; i++) a.push(undefined);
      this.arr = a;
    } else this.arr = NO_ARRAY;
    this.sizearray = narr;
    if (nhash > 0) this.setNodeVector(nhash);
  }

  /**
   * A table holding `values` at 1..n, laid out as Redis builds KEYS, ARGV
   * and a command's reply (lua_newtable, then t[1], t[2], ... in order): the
   * array part is n rounded up to a power of 2.
   */
  static from(values: LuaValue[]): LuaTable {
    const n = values.length;
    if (values.includes(undefined)) {
      const t = new LuaTable(0, 0);
      for (let i = 0; i < n; i++) t.setInt(i + 1, values[i]);
      return t;
    }
    const t = new LuaTable(n === 0 ? 0 : 1 << ceilLog2(n), 0);
    const a = t.arr;
    for (let i = 0; i < n; i++) a[i] = values[i];
    return t;
  }

  /**
   * A table of one string key, as Lua leaves an empty table after one store
   * (a status or error reply's table, Redis's lua_newtable then one
   * lua_settable): that store's rehash sizes the node part to 1 and inserts
   * the key; here the node is made first, without the rehash.
   */
  static single(k: string, v: LuaValue): LuaTable {
    const t = new LuaTable(0, 1);
    t.setStr(k, v);
    return t;
  }

  // -------------------------------------------------------------------------
  // Lookups

  /** The node index holding key `k` (any value equal under Lua's raw equality), or -1. */
  private find(k: LuaValue): number {
    const node = this.node;
    if (this.nsize <= SMALL) {
      for (let i = 0; i < node.length; i += 3) if (node[i] === k) return i / 3;
      return -1;
    }
    let m = this.map;
    if (m === null) {
      // every key a node holds, those whose value was set to nil included (Lua finds those too)
      m = new Map();
      for (let i = 0; i < node.length; i += 3) if (node[i] !== undefined) m.set(node[i], i / 3);
      this.map = m;
    }
    const n = m.get(k);
    return n === undefined ? -1 : n;
  }

  /** find() for a key whose hash (keyHash) the caller has: Lua's chain walk from its main position. */
  private findH(k: LuaValue, h: number): number {
    if (this.nsize === 0) return -1;
    const node = this.node;
    let n = this.mainPosition(k, h);
    do {
      if (node[n * 3] === k) return n;
      n = node[n * 3 + 2] as number;
    } while (n >= 0);
    return -1;
  }

  /** The value under `k` in the hash part (undefined when absent). */
  private hashGet(k: LuaValue): LuaValue {
    const n = this.find(k);
    return n < 0 ? undefined : this.node[n * 3 + 1];
  }

  /** Raw get (no metamethods). */
  get(k: LuaValue): LuaValue {
    if (typeof k === 'number' && k >= 1 && k <= this.sizearray && (k | 0) === k) return this.arr[k - 1];
    return this.hashGet(k);
  }

  /** Raw get of a string key. */
  getStr(k: string): LuaValue {
    return this.hashGet(k);
  }

  /**
   * Raw get of a string key whose Lua hash the caller computed once
   * (`luaStrHash(k)`, e.g. for a constant key of compiled code): walks Lua's
   * collision chain from the key's main position, no Map lookup.
   */
  getStrH(k: string, h: number): LuaValue {
    const ns = this.nsize;
    if (ns === 0) return undefined;
    const node = this.node;
    let n = h & (ns - 1);
    do {
      if (node[n * 3] === k) return node[n * 3 + 1];
      n = node[n * 3 + 2] as number;
    } while (n >= 0);
    return undefined;
  }

  /** Raw get of an integer-valued number key. */
  getInt(i: number): LuaValue {
    if (i >= 1 && i <= this.sizearray) return this.arr[i - 1];
    return this.hashGet(i);
  }

  // -------------------------------------------------------------------------
  // Stores

  /**
   * Raw set (no metamethods). A nil key or a NaN key raises Lua's error,
   * unprefixed ("table index is nil" / "table index is NaN"): the caller adds
   * the position when Lua would (OP_SETTABLE does, rawset does not).
   */
  set(k: LuaValue, v: LuaValue): void {
    if (typeof k === 'number') {
      if (k >= 1 && k <= this.sizearray && (k | 0) === k) {
        this.arr[k - 1] = v;
        return;
      }
      if (k !== k) throw new LuaError('table index is NaN');
    } else if (k === undefined) throw new LuaError('table index is nil');
    const h = keyHash(k);
    const n = this.findH(k, h);
    if (n >= 0) this.node[n * 3 + 1] = v;
    else this.newKey(k, v, h);
  }

  /** Raw set of a string key. */
  setStr(k: string, v: LuaValue): void {
    const h = strHash(k);
    const n = this.findH(k, h);
    if (n >= 0) this.node[n * 3 + 1] = v;
    else this.newKey(k, v, h);
  }

  /** Raw set of an integer-valued number key. */
  setInt(i: number, v: LuaValue): void {
    if (i >= 1 && i <= this.sizearray) {
      this.arr[i - 1] = v;
      return;
    }
    const h = keyHash(i);
    const n = this.findH(i, h);
    if (n >= 0) this.node[n * 3 + 1] = v;
    else this.newKey(i, v, h);
  }

  /** OP_SETLIST's luaH_resizearray: a constructor storing past the array part first resizes it to `n`. */
  resizeArray(n: number): void {
    this.resize(n, this.nsize);
  }

  private mainPosition(k: LuaValue, h: number): number {
    const t = typeof k;
    if (t === 'string' || t === 'boolean') return h & (this.nsize - 1);
    return (h >>> 0) % ((this.nsize - 1) | 1);
  }

  /** luaH_newkey, then the store of the value. `h` is keyHash(k). */
  private newKey(k: LuaValue, v: LuaValue, h: number): void {
    if (this.nsize === 0) {
      this.rehash(k);
      this.reset(k, v, h);
      return;
    }
    const node = this.node;
    const nhash = this.nhash;
    const map = this.map;
    let mp = this.mainPosition(k, h);
    if (node[mp * 3 + 1] !== undefined) {
      // getfreepos: scan down for a node with no key
      let f = -1;
      while (this.lastfree > 0) {
        this.lastfree--;
        if (node[this.lastfree * 3] === undefined) {
          f = this.lastfree;
          break;
        }
      }
      if (f < 0) {
        this.rehash(k);
        this.reset(k, v, h);
        return;
      }
      const ck = node[mp * 3];
      let othern = this.mainPosition(ck, nhash[mp]!);
      if (othern !== mp) {
        // the colliding node is out of its main position: move it to the free node
        while (node[othern * 3 + 2] !== mp) othern = node[othern * 3 + 2] as number;
        node[othern * 3 + 2] = f;
        node[f * 3] = ck;
        node[f * 3 + 1] = node[mp * 3 + 1];
        node[f * 3 + 2] = node[mp * 3 + 2];
        nhash[f] = nhash[mp]!;
        if (map !== null) map.set(ck, f);
        node[mp * 3 + 2] = -1;
        node[mp * 3 + 1] = undefined;
      } else {
        // the colliding node is in its main position: the new key goes to the free node
        node[f * 3 + 2] = node[mp * 3 + 2];
        node[mp * 3 + 2] = f;
        mp = f;
      }
    } else if (map !== null) {
      const old = node[mp * 3];
      if (old !== undefined) map.delete(old); // a key whose value was set to nil: its node is reused
    }
    node[mp * 3] = k;
    node[mp * 3 + 1] = v;
    nhash[mp] = h;
    if (map !== null) map.set(k, mp);
    this.shape++;
  }

  /** luaH_set after a rehash: the key may now belong to the array part. */
  private reset(k: LuaValue, v: LuaValue, h: number): void {
    if (typeof k === 'number' && k >= 1 && k <= this.sizearray && (k | 0) === k) {
      this.arr[k - 1] = v;
      return;
    }
    const n = this.findH(k, h);
    if (n >= 0) this.node[n * 3 + 1] = v;
    else this.newKey(k, v, h);
  }

  private setNodeVector(size: number): void {
    if (size === 0) {
      this.nsize = 0;
      this.node = NO_ARRAY;
      this.nhash = NO_ARRAY as number[];
      this.map = null;
      this.lastfree = 0;
      return;
    }
    const lsize = ceilLog2(size);
    if (lsize > MAXBITS) throw new LuaError('table overflow');
    size = 1 << lsize;
    const node: LuaValue[] = [];
    const nhash: number[] = [];
    for (let i = 0; i < size; i++) {
      node.push(undefined, undefined, -1);
      nhash.push(0);
    }
    this.nsize = size;
    this.node = node;
    this.nhash = nhash;
    this.map = null; // made by the first find() that needs it
    this.lastfree = size;
  }

  /** rehash: counts the integer keys and resizes both parts (ek: the key being inserted). */
  private rehash(ek: LuaValue): void {
    nums.fill(0);
    // numusearray: nums[lg] counts the keys in (2^(lg-1), 2^lg]
    let nasize = 0;
    const arr = this.arr;
    const sa = this.sizearray;
    for (let lg = 0, ttlg = 1, i = 1; lg <= MAXBITS; lg++, ttlg *= 2) {
      let lim = ttlg;
      if (lim > sa) {
        lim = sa;
        if (i > lim) break;
      }
      let lc = 0;
      for (; i <= lim; i++) if (arr[i - 1] !== undefined) lc++;
      nums[lg]! += lc;
      nasize += lc;
    }
    let totaluse = nasize;
    // numusehash
    const node = this.node;
    for (let i = this.nsize - 1; i >= 0; i--) {
      if (node[i * 3 + 1] !== undefined) {
        const k = arrayIndex(node[i * 3]);
        if (k > 0 && k <= MAXASIZE) {
          nums[ceilLog2(k)]!++;
          nasize++;
        }
        totaluse++;
      }
    }
    const k = arrayIndex(ek);
    if (k > 0 && k <= MAXASIZE) {
      nums[ceilLog2(k)]!++;
      nasize++;
    }
    totaluse++;
    // computesizes
    let a = 0;
    let na = 0;
    let n = 0;
    for (let i = 0, twotoi = 1; twotoi >>> 1 < nasize; i++, twotoi *= 2) {
      if (nums[i]! > 0) {
        a += nums[i]!;
        if (a > twotoi >>> 1) {
          n = twotoi;
          na = a;
        }
      }
      if (a === nasize) break;
    }
    this.resize(n, totaluse - na);
  }

  private resize(nasize: number, nhsize: number): void {
    const oldasize = this.sizearray;
    const onsize = this.nsize;
    const onode = this.node;
    const ohash = this.nhash;
    if (nasize > oldasize) {
      const a = this.arr.slice();
      for (let i = oldasize; i < nasize; i++) a.push(undefined);
      this.arr = a;
      this.sizearray = nasize;
    }
    this.setNodeVector(nhsize);
    this.shape++;
    if (nasize < oldasize) {
      const arr = this.arr;
      this.sizearray = nasize;
      for (let i = nasize; i < oldasize; i++) {
        const v = arr[i];
        if (v !== undefined) this.reset(i + 1, v, keyHash(i + 1));
      }
      this.arr = nasize === 0 ? NO_ARRAY : arr.slice(0, nasize);
    }
    for (let i = onsize - 1; i >= 0; i--) {
      const v = onode[i * 3 + 1];
      if (v !== undefined) this.reset(onode[i * 3], v, ohash[i]!);
    }
  }

  // -------------------------------------------------------------------------
  // Length and traversal

  /** The length operator on a table (luaH_getn: a border). */
  length(): number {
    let j = this.sizearray;
    if (j > 0 && this.arr[j - 1] === undefined) {
      let i = 0;
      const arr = this.arr;
      while (j - i > 1) {
        const m = (i + j) >>> 1;
        if (arr[m - 1] === undefined) j = m;
        else i = m;
      }
      return i;
    }
    if (this.nsize === 0) return j;
    // unbound_search
    let i = j;
    j++;
    while (this.getInt(j) !== undefined) {
      i = j;
      j *= 2;
      if (j > 2147483647) {
        i = 1;
        while (this.getInt(i) !== undefined) i++;
        return i - 1;
      }
    }
    while (j - i > 1) {
      const m = Math.floor((i + j) / 2);
      if (this.getInt(m) === undefined) j = m;
      else i = m;
    }
    return i;
  }

  /**
   * findindex: the slot of key `k` (-1 for nil: the start), for next; a key
   * not in the table raises "invalid key to 'next'" (unprefixed, as Lua
   * raises it from inside the C function next).
   */
  findIndex(k: LuaValue): number {
    if (k === undefined) return -1;
    if (typeof k === 'number' && k >= 1 && k <= this.sizearray && (k | 0) === k) return k - 1;
    const n = this.find(k);
    if (n < 0) throw new LuaError("invalid key to 'next'");
    return n + this.sizearray;
  }

  /** The first slot after slot `i` (-1: from the start) holding a non-nil value, or -1 at the end. */
  nextIndex(i: number): number {
    const sa = this.sizearray;
    const arr = this.arr;
    for (i++; i < sa; i++) if (arr[i] !== undefined) return i;
    const node = this.node;
    const ns = this.nsize;
    for (i -= sa; i < ns; i++) if (node[i * 3 + 1] !== undefined) return i + sa;
    return -1;
  }

  /** The key at slot `i` (from nextIndex). */
  keyAt(i: number): LuaValue {
    return i < this.sizearray ? i + 1 : this.node[(i - this.sizearray) * 3];
  }

  /** The value at slot `i` (from nextIndex). */
  valueAt(i: number): LuaValue {
    return i < this.sizearray ? this.arr[i] : this.node[(i - this.sizearray) * 3 + 1];
  }

  /**
   * lua_next: the key and value after `k` (undefined: the first), or
   * undefined at the end. A key not in the table raises "invalid key to 'next'".
   */
  next(k: LuaValue): [LuaValue, LuaValue] | undefined {
    const i = this.nextIndex(this.findIndex(k));
    if (i < 0) return undefined;
    return [this.keyAt(i), this.valueAt(i)];
  }
}
