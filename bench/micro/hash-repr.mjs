// Micro benchmark (issue 14): what a small hash (the `listpack` encoding) costs in V8 memory and
// CPU under candidate representations, to pick the one types/hash.ts uses.
//
// Shape: 10 fields `f0`..`f9` with 16-byte values (bench/memory-growth.ts's hashes), every field
// and value a fresh one-byte string cut from a Buffer as the protocol parser makes them.
// Representations (each kept in a 3-slot wrapper object, as HashValue is):
//  - array:      today's flat array [f0, v0, f1, v1, ...] grown by push;
//  - array-exact: the same array allocated at its final length (no push slack);
//  - packed-cons: one latin1 string of entries `<len><bytes>` (len a varint of 7-bit chars), rebuilt
//                 on write by concatenation and flattened by a charCodeAt read (V8 flattens the cons
//                 in place; the scavenger then drops the cons cell);
//  - packed-buf: the same string, rebuilt through a scratch Buffer (latin1Write of the parts, then
//                one latin1Slice: a flat sequential string, never a cons);
//  - packed-join: the same string, built with Array.prototype.join (which makes a flat string);
//  - packed-sw: packed-cons with the field compared by startsWith instead of a char loop;
//  - two-packed: fields packed in one string, values in another (HGET scans only the fields).
// For each: heap bytes per hash after full GCs (N hashes), then CPU time per op of
//  - load: building a hash from an HSET of 10 pairs on a new key;
//  - hget: a lookup of f5 (hit) and of a missing field (miss);
//  - hset: overwriting f5 with a new 16-byte value;
//  - hgetall: visiting the 10 pairs as strings (what a reply writes).
// Each representation runs in its own `node --expose-gc` child; CPU is the best of R rounds.
//
// Usage: node bench/micro/hash-repr.mjs [--n 200000] [--rounds 7] [--reprs array,packed-buf,...]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const N = Number(opt('--n', '200000'));
const ROUNDS = Number(opt('--rounds', '7'));
const REPRS = opt('--reprs', 'array,array-exact,packed-cons,packed-join,packed-sw,packed-buf,two-packed').split(',');

// ---------------------------------------------------------------------------
// Varint-prefixed packed strings (shared by the packed representations).

/** The varint prefix of a length: one char below 128, else 7 bits a char, low first. */
function lenPrefix(n) {
  if (n < 128) return String.fromCharCode(n);
  let s = '';
  while (n >= 128) {
    s += String.fromCharCode((n & 127) | 128);
    n >>>= 7;
  }
  return s + String.fromCharCode(n);
}

/** Whether s has f at position p (chars compared one by one). */
function matchAt(s, p, f) {
  for (let k = 0; k < f.length; k++) if (s.charCodeAt(p + k) !== f.charCodeAt(k)) return false;
  return true;
}

/** Position of field f's entry (its prefix) in packed pairs s, or -1. */
function findPair(s, f) {
  const n = s.length;
  const fl = f.length;
  let p = 0;
  while (p < n) {
    const e = p;
    let l = s.charCodeAt(p++);
    if (l >= 128) [l, p] = longLen(s, p, l);
    if (l === fl && matchAt(s, p, f)) return e;
    p += l;
    l = s.charCodeAt(p++);
    if (l >= 128) [l, p] = longLen(s, p, l);
    p += l;
  }
  return -1;
}

/** Decodes the rest of a long varint whose first char was c (p just past it): [len, next p]. */
function longLen(s, p, c) {
  let l = c & 127;
  let sh = 7;
  for (;;) {
    const d = s.charCodeAt(p++);
    l += (d & 127) * 2 ** sh;
    if (d < 128) return [l, p];
    sh += 7;
  }
}

/** Reads the entry at p: [start, end] of its bytes. */
function entryAt(s, p) {
  let l = s.charCodeAt(p++);
  if (l >= 128) [l, p] = longLen(s, p, l);
  return [p, p + l];
}

const scratch = Buffer.allocUnsafe(1 << 16);

/** Concatenates parts into one flat string through the scratch Buffer. */
function flatJoin(parts) {
  let o = 0;
  for (const x of parts) o += scratch.latin1Write(x, o);
  return scratch.latin1Slice(0, o);
}

function flatCons(s) {
  s.charCodeAt(0);
  return s;
}

// ---------------------------------------------------------------------------
// The representations: make(pairs) from argv-like [f, v, ...]; get, set (overwrite), forEach.

const R = {
  array: {
    make(pairs) {
      const a = [];
      for (let i = 0; i < pairs.length; i += 2) a.push(pairs[i], pairs[i + 1]);
      return a;
    },
    get(a, f) {
      for (let i = 0; i < a.length; i += 2) if (a[i] === f) return a[i + 1];
      return undefined;
    },
    set(a, f, v) {
      for (let i = 0; i < a.length; i += 2)
        if (a[i] === f) {
          a[i + 1] = v;
          return a;
        }
      a.push(f, v);
      return a;
    },
    forEach(a, fn) {
      for (let i = 0; i < a.length; i += 2) fn(a[i], a[i + 1]);
    },
  },
  'array-exact': null,
  'packed-cons': {
    make(pairs) {
      let s = '';
      for (let i = 0; i < pairs.length; i++) s += lenPrefix(pairs[i].length) + pairs[i];
      return flatCons(s);
    },
    get(s, f) {
      const e = findPair(s, f);
      if (e < 0) return undefined;
      const [, b] = entryAt(s, e);
      const [c, d] = entryAt(s, b);
      return s.slice(c, d);
    },
    set(s, f, v) {
      const e = findPair(s, f);
      if (e < 0) return flatCons(s + lenPrefix(f.length) + f + lenPrefix(v.length) + v);
      const [, b] = entryAt(s, e);
      const [, d] = entryAt(s, b);
      return flatCons(s.slice(0, b) + lenPrefix(v.length) + v + s.slice(d));
    },
    forEach(s, fn) {
      let p = 0;
      while (p < s.length) {
        const [a, b] = entryAt(s, p);
        const [c, d] = entryAt(s, b);
        fn(s.slice(a, b), s.slice(c, d));
        p = d;
      }
    },
  },
  'packed-buf': null,
  'two-packed': {
    // [fields, values]: the i-th entry of one matches the i-th of the other
    make(pairs) {
      const fs = [];
      const vs = [];
      for (let i = 0; i < pairs.length; i += 2) {
        fs.push(lenPrefix(pairs[i].length), pairs[i]);
        vs.push(lenPrefix(pairs[i + 1].length), pairs[i + 1]);
      }
      return [flatJoin(fs), flatJoin(vs)];
    },
    idx(fs, f) {
      let p = 0;
      let k = 0;
      const fl = f.length;
      while (p < fs.length) {
        let l = fs.charCodeAt(p++);
        if (l >= 128) [l, p] = longLen(fs, p, l);
        if (l === fl && matchAt(fs, p, f)) return k;
        p += l;
        k++;
      }
      return -1;
    },
    nth(vs, k) {
      let p = 0;
      for (;;) {
        let l = vs.charCodeAt(p++);
        if (l >= 128) [l, p] = longLen(vs, p, l);
        if (k-- === 0) return [p, p + l, p - 1];
        p += l;
      }
    },
    get(h, f) {
      const k = this.idx(h[0], f);
      if (k < 0) return undefined;
      const [a, b] = this.nth(h[1], k);
      return h[1].slice(a, b);
    },
    set(h, f, v) {
      const k = this.idx(h[0], f);
      if (k < 0) return [flatJoin([h[0], lenPrefix(f.length), f]), flatJoin([h[1], lenPrefix(v.length), v])];
      const [, b, e] = this.nth(h[1], k);
      return [h[0], flatJoin([h[1].slice(0, e), lenPrefix(v.length), v, h[1].slice(b)])];
    },
    forEach(h, fn) {
      const [fs, vs] = h;
      let p = 0;
      let q = 0;
      while (p < fs.length) {
        const [a, b] = entryAt(fs, p);
        const [c, d] = entryAt(vs, q);
        fn(fs.slice(a, b), vs.slice(c, d));
        p = b;
        q = d;
      }
    },
  },
};
R['array-exact'] = {
  ...R.array,
  make(pairs) {
    const a = new Array(pairs.length);
    for (let i = 0; i < pairs.length; i++) a[i] = pairs[i];
    return a;
  },
};
R['packed-buf'] = {
  ...R['packed-cons'],
  make(pairs) {
    let o = 0;
    for (let i = 0; i < pairs.length; i++) {
      const x = pairs[i];
      const l = x.length;
      if (l < 128) scratch[o++] = l;
      else o += scratch.latin1Write(lenPrefix(l), o);
      o += scratch.latin1Write(x, o);
    }
    return scratch.latin1Slice(0, o);
  },
  set(s, f, v) {
    const e = findPair(s, f);
    if (e < 0) return flatJoin([s, lenPrefix(f.length), f, lenPrefix(v.length), v]);
    const [, b] = entryAt(s, e);
    const [, d] = entryAt(s, b);
    let o = scratch.latin1Write(s, 0, b);
    if (v.length < 128) scratch[o++] = v.length;
    else o += scratch.latin1Write(lenPrefix(v.length), o);
    o += scratch.latin1Write(v, o);
    o += scratch.latin1Write(s.slice(d), o);
    return scratch.latin1Slice(0, o);
  },
};

R['packed-join'] = {
  ...R['packed-cons'],
  make(pairs) {
    const parts = new Array(2 * pairs.length);
    for (let i = 0; i < pairs.length; i++) {
      parts[2 * i] = lenPrefix(pairs[i].length);
      parts[2 * i + 1] = pairs[i];
    }
    return parts.join('');
  },
  set(s, f, v) {
    const e = findPair(s, f);
    if (e < 0) return [s, lenPrefix(f.length), f, lenPrefix(v.length), v].join('');
    const [, b] = entryAt(s, e);
    const [, d] = entryAt(s, b);
    return [s.slice(0, b), lenPrefix(v.length), v, s.slice(d)].join('');
  },
};
/** findPair with startsWith instead of a char loop. */
function findPairSw(s, f) {
  const n = s.length;
  const fl = f.length;
  let p = 0;
  while (p < n) {
    const e = p;
    let l = s.charCodeAt(p++);
    if (l >= 128) [l, p] = longLen(s, p, l);
    if (l === fl && s.startsWith(f, p)) return e;
    p += l;
    l = s.charCodeAt(p++);
    if (l >= 128) [l, p] = longLen(s, p, l);
    p += l;
  }
  return -1;
}
R['packed-sw'] = {
  ...R['packed-cons'],
  get(s, f) {
    const e = findPairSw(s, f);
    if (e < 0) return undefined;
    const [, b] = entryAt(s, e);
    const [c, d] = entryAt(s, b);
    return s.slice(c, d);
  },
};

// ---------------------------------------------------------------------------

/** Wrapper as HashValue (3 slots): the representation in `d`. */
class H {
  constructor(d) {
    this.d = d;
    this.ex = null;
    this.acct = 0;
  }
}

function child(name) {
  const r = R[name];
  const gc = globalThis.gc;
  const src = Buffer.from('f0f1f2f3f4f5f6f7f8f9' + 'x'.repeat(64), 'latin1');
  let seq = 0;
  /** A fresh 16-byte value string (as the parser cuts one from the socket buffer). */
  const val = () => {
    src.write(String(seq++).padStart(16, '0'), 20, 'latin1');
    return src.latin1Slice(20, 36);
  };
  const field = (k) => src.latin1Slice(2 * k, 2 * k + 2);
  const argvOf = () => {
    const a = [];
    for (let k = 0; k < 10; k++) a.push(field(k), val());
    return a;
  };

  // memory
  gc();
  gc();
  const base = process.memoryUsage().heapUsed;
  const hs = new Array(N);
  for (let i = 0; i < N; i++) hs[i] = new H(r.make(argvOf()));
  gc();
  gc();
  const perHash = (process.memoryUsage().heapUsed - base - (16 + 8 * N)) / N;

  // check get/set/forEach agree
  {
    const h = r.make(['a', '1', 'bb', '22', 'x'.repeat(200), 'y'.repeat(300)]);
    const h2 = r.set(h, 'bb', 'zz');
    const h3 = r.set(h2, 'new', 'v');
    const seen = [];
    r.forEach(h3, (f, v) => seen.push(f + '=' + v.length));
    if (
      r.get(h3, 'bb') !== 'zz' ||
      r.get(h3, 'x'.repeat(200)) !== 'y'.repeat(300) ||
      r.get(h3, 'q') !== undefined ||
      seen.join() !== 'a=1,bb=2,' + 'x'.repeat(200) + '=300,new=1'
    )
      throw new Error(name + ' is wrong: ' + seen.join());
  }

  const cpu = {};
  const time = (label, ops, fn) => {
    let best = Infinity;
    for (let round = 0; round < ROUNDS; round++) {
      const c0 = process.cpuUsage();
      fn();
      const cu = process.cpuUsage(c0);
      best = Math.min(best, ((cu.user + cu.system) * 1000) / ops);
    }
    cpu[label] = best;
  };
  const M = 100000;
  const argvs = Array.from({ length: 2000 }, argvOf);
  const f5s = Array.from({ length: 1000 }, () => field(5));
  const miss = Array.from({ length: 1000 }, () => src.latin1Slice(20, 22));
  const vals = Array.from({ length: 1000 }, val);
  let sink = 0;
  time('load', M / 5, () => {
    for (let i = 0; i < M / 5; i++) hs[i] = new H(r.make(argvs[i % 2000]));
  });
  time('hget', M, () => {
    for (let i = 0; i < M; i++) sink += r.get(hs[(i * 7919) % N].d, f5s[i % 1000]).length;
  });
  time('hget-miss', M, () => {
    for (let i = 0; i < M; i++) if (r.get(hs[(i * 7919) % N].d, miss[i % 1000]) === undefined) sink++;
  });
  time('hset', M, () => {
    for (let i = 0; i < M; i++) {
      const h = hs[(i * 7919) % N];
      h.d = r.set(h.d, f5s[i % 1000], vals[i % 1000]);
    }
  });
  const out = Buffer.allocUnsafe(4096);
  time('hgetall', M / 5, () => {
    for (let i = 0; i < M / 5; i++) {
      let o = 0;
      r.forEach(hs[(i * 7919) % N].d, (f, v) => {
        o += out.latin1Write(f, o);
        o += out.latin1Write(v, o);
      });
      sink += o;
    }
  });
  // memory again after the writes (overwritten values, rebuilt strings) and full GCs
  gc();
  gc();
  const perHashAfter = (process.memoryUsage().heapUsed - base - (16 + 8 * N)) / N;
  process.stdout.write(JSON.stringify({ name, perHash, perHashAfter, cpu, sink: sink > 0 }) + '\n');
}

if (argv[0] === '--child') child(argv[1]);
else {
  const rows = [];
  for (const name of REPRS) {
    const p = spawnSync(
      process.execPath,
      ['--expose-gc', fileURLToPath(import.meta.url), '--child', name, '--n', String(N), '--rounds', String(ROUNDS)],
      { encoding: 'utf8' },
    );
    if (p.status !== 0) throw new Error(name + ': ' + p.stderr);
    rows.push(JSON.parse(p.stdout));
  }
  const ops = Object.keys(rows[0].cpu);
  console.log(`hashes of 10 fields (2-byte names, 16-byte values), N=${N}, CPU best of ${ROUNDS} rounds\n`);
  console.log(`| representation | heap B/hash | after writes | ${ops.map((o) => o + ' ns').join(' | ')} |`);
  console.log(`|---|---:|---:|${ops.map(() => '---:').join('|')}|`);
  for (const r of rows)
    console.log(
      `| ${r.name} | ${r.perHash.toFixed(1)} | ${r.perHashAfter.toFixed(1)} | ${ops.map((o) => r.cpu[o].toFixed(0)).join(' | ')} |`,
    );
}
