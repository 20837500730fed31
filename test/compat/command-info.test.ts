/**
 * The command table against a real redis-server: for every command both
 * know, COMMAND INFO must be byte for byte the same in RESP2 and RESP3, and
 * COMMAND DOCS the same in everything but the summary texts (ours are in our
 * own words). Subcommands come out of a hash table in Redis, in random
 * order, so they are sorted on both sides before comparing.
 *
 * Normalized because Redis 7.2 (what tsdis reports) deliberately differs from
 * the 7.0 reference server:
 * - DOCS arguments' display_text (added in 7.2);
 * - QUIT's DOCS doc_flags/deprecated_since/replaced_by (deprecated in 7.2);
 * - the blocking pops' and WAIT's `noscript` flag (7.2 lets scripts call them), CLUSTER
 *   SHARDS's and SLOTS's `loading` flag (7.2 added it);
 * - MODULE LOADEX's ARGS argument: 7.2 documents it as a multiple string,
 *   7.0 as a block holding one `arg` string (redis's side is converted);
 * - MIGRATE's argument names: 7.2 renamed key_or_empty_string, empty_string,
 *   password, username_password and key (KEYS) to key-selector, empty-string,
 *   auth, auth2 and keys, and no longer flag AUTH and AUTH2 optional inside their optional
 *   oneof (redis's side is converted);
 * - CLUSTER RESET's HARD|SOFT argument: 7.0's hard_soft, 7.2's reset-type; CLUSTER MEET's
 *   bus port argument: 7.0's cluster_bus_port, 7.2's cluster-bus-port; CLUSTER SLAVES's and
 *   REPLICAS's complexity: 7.0's O(1), 7.2's O(N) in the number of replicas; CLUSTER SETSLOT's node
 *   arguments: 7.0's node-id, 7.2's importing, migrating and node; CLUSTER ADDSLOTSRANGE's
 *   and DELSLOTSRANGE's block: 7.0's start-slot_end-slot, 7.2's range; CLUSTER
 *   GETKEYSINSLOT's complexity: 7.0's O(log(N)), 7.2's O(N) (redis's side is converted).
 *
 * Every differing command is printed (name and the first differing field) before
 * the assertion, so one run shows the whole list.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Differ, decode } from '../helpers/diff.js';

import { parseTyped, serialize, mapGet, mapDelete, sortMapPairs, type Node } from '../helpers/typed-resp.js';

const d = await Differ.start({ liveOnly: true });
after(() => d?.stop());
// (not replayed from golden files yet: these need redis-server running)
const skip = d.skipUnlessLive;

const INFO_FIELDS = ['name', 'arity', 'flags', 'first', 'last', 'step', 'acl', 'tips', 'key_specs', 'subcommands'];

/**
 * A COMMAND INFO entry with its subcommands sorted by name and restricted
 * to the ones in `keep` (subcommands only one side has are listed apart).
 */
function normInfo(n: Node, keep: Set<string>): Node {
  if (n.c && n.c[9]?.c) {
    n.c[9].c = n.c[9].c.filter((e) => keep.has(e.c![0]!.s!)).sort((a, b) => (a.c![0]!.s! < b.c![0]!.s! ? -1 : 1));
  }
  return n;
}

/** Blocking commands (and WAIT) whose `noscript` flag Redis 7.2 dropped. */
const SCRIPTABLE_IN_72 = new Set(['blpop', 'brpop', 'brpoplpush', 'blmove', 'bzpopmin', 'bzpopmax', 'wait']);

/** The full names of an INFO entry's subcommands. */
function subNames(n: Node): string[] {
  return (n.c?.[9]?.c ?? []).map((e) => e.c![0]!.s!);
}

/** The field of two COMMAND INFO entries that differs first ("subcommands: config|get flags"). */
function infoDiff(a: Node, b: Node): string {
  if (!a.c || !b.c) return 'whole reply';
  for (let i = 0; i < 10; i++) {
    const x = a.c[i];
    const y = b.c[i];
    if (!x || !y || serialize(x) !== serialize(y)) {
      if (i === 9 && x?.c && y?.c) {
        const names = (n: Node) => n.c!.map((s) => s.c![0]!.s!);
        const na = names(x);
        const nb = names(y);
        if (na.join() !== nb.join()) return `subcommands: tsdis [${na}] redis [${nb}]`;
        for (let j = 0; j < x.c.length; j++) {
          if (serialize(x.c[j]!) !== serialize(y.c[j]!)) return `subcommand ${infoDiff(x.c[j]!, y.c[j]!)}`;
        }
      }
      const show = (n: Node | undefined) =>
        n ? JSON.stringify(decode(serialize(n)), (_k, v) => (typeof v === 'bigint' ? String(v) : v)) : 'missing';
      return `${a.c[0]?.s} ${INFO_FIELDS[i]}: tsdis ${show(x)} redis ${show(y)}`;
    }
  }
  return 'same';
}

/** Whether a version string is 7.2 or later (changes the 7.0 reference cannot show). */
const is72 = (v: string | undefined) => v !== undefined && /^(7\.[1-9]|[89]\.)/.test(v);

/**
 * A COMMAND DOCS reply (map of name → doc) normalized: summaries blanked,
 * 7.2-only parts dropped (history entries, arguments since 7.2,
 * display_text, QUIT's deprecation), subcommands restricted to `keep` and sorted.
 */
function normDocs(n: Node, keep: Set<string>): Node {
  if (!n.c) return n;
  const c: Node[] = [];
  for (let i = 0; i + 1 < n.c.length; i += 2) {
    const name = n.c[i]!.s!;
    if (name.includes('|') && !keep.has(name)) continue;
    const doc = n.c[i + 1]!;
    const summary = mapGet(doc, 'summary');
    if (summary) summary.s = '';
    if (name === 'quit') for (const k of ['doc_flags', 'deprecated_since', 'replaced_by']) mapDelete(doc, k);
    const hist = mapGet(doc, 'history');
    if (hist?.c) {
      hist.c = hist.c.filter((h) => !is72(h.c![0]!.s));
      if (hist.c.length === 0) mapDelete(doc, 'history');
    }
    const args = mapGet(doc, 'arguments');
    if (args) normArgs(args);
    const subs = mapGet(doc, 'subcommands');
    if (subs) {
      normDocs(subs, keep);
      sortMapPairs(subs);
    }
    c.push(n.c[i]!, doc);
  }
  n.c = c;
  return n;
}

/** MIGRATE's arguments 7.2 renamed: `7.0 name/token` → 7.2 name. */
const MIGRATE_72_NAMES: Record<string, string> = {
  'key_or_empty_string/': 'key-selector',
  'empty_string/': 'empty-string',
  'password/AUTH': 'auth',
  'username_password/AUTH2': 'auth2',
  'key/KEYS': 'keys',
};

/** Renames MIGRATE's arguments (and their nested ones) from 7.0's names to 7.2's. */
function renameMigrateArgs(list: Node | undefined): void {
  for (const a of list?.c ?? []) {
    const name = mapGet(a, 'name');
    const renamed = MIGRATE_72_NAMES[`${name?.s}/${mapGet(a, 'token')?.s ?? ''}`];
    if (name !== undefined && renamed !== undefined) {
      // (7.0 also marked AUTH and AUTH2 optional inside their optional oneof; 7.2 does not)
      if (renamed === 'auth' || renamed === 'auth2') mapDelete(a, 'flags');
      name.s = renamed;
    }
    renameMigrateArgs(mapGet(a, 'arguments'));
  }
}

/** Redis 7.0's COMMAND DOCS reply changed as 7.2 documents the same commands (see the header). */
function as72(n: Node): Node {
  renameMigrateArgs(mapGet(mapGet(n, 'migrate') ?? { t: '%' }, 'arguments'));
  // CLUSTER RESET's HARD|SOFT: 7.0's hard_soft is 7.2's reset-type
  const reset = mapGet(mapGet(mapGet(n, 'cluster') ?? { t: '%' }, 'subcommands') ?? { t: '%' }, 'cluster|reset');
  const resetType = mapGet(mapGet(reset ?? { t: '%' }, 'arguments')?.c?.[0] ?? { t: '%' }, 'name');
  if (resetType?.s === 'hard_soft') resetType.s = 'reset-type';
  // CLUSTER MEET's bus port: 7.0's cluster_bus_port is 7.2's cluster-bus-port
  const meet = mapGet(mapGet(mapGet(n, 'cluster') ?? { t: '%' }, 'subcommands') ?? { t: '%' }, 'cluster|meet');
  const busPort = mapGet(mapGet(meet ?? { t: '%' }, 'arguments')?.c?.[2] ?? { t: '%' }, 'name');
  if (busPort?.s === 'cluster_bus_port') busPort.s = 'cluster-bus-port';
  // CLUSTER SETSLOT's IMPORTING/MIGRATING/NODE arguments: 7.0 names each node-id, 7.2 by its token (display text node-id)
  const setslot = mapGet(mapGet(mapGet(n, 'cluster') ?? { t: '%' }, 'subcommands') ?? { t: '%' }, 'cluster|setslot');
  for (const a of mapGet(mapGet(setslot ?? { t: '%' }, 'arguments')?.c?.[1] ?? { t: '%' }, 'arguments')?.c ?? []) {
    const name = mapGet(a, 'name');
    const token = mapGet(a, 'token');
    if (name?.s === 'node-id' && token?.s !== undefined) name.s = token.s.toLowerCase();
  }
  for (const sub of ['cluster|addslotsrange', 'cluster|delslotsrange']) {
    const doc = mapGet(mapGet(mapGet(n, 'cluster') ?? { t: '%' }, 'subcommands') ?? { t: '%' }, sub);
    const name = mapGet(mapGet(doc ?? { t: '%' }, 'arguments')?.c?.[0] ?? { t: '%' }, 'name');
    if (name?.s === 'start-slot_end-slot') name.s = 'range';
  }
  const getkeys = mapGet(
    mapGet(mapGet(n, 'cluster') ?? { t: '%' }, 'subcommands') ?? { t: '%' },
    'cluster|getkeysinslot',
  );
  const getkeysComplexity = mapGet(getkeys ?? { t: '%' }, 'complexity');
  if (getkeysComplexity?.s === 'O(log(N)) where N is the number of requested keys')
    getkeysComplexity.s = 'O(N) where N is the number of requested keys';
  for (const sub of ['cluster|slaves', 'cluster|replicas']) {
    const doc = mapGet(mapGet(mapGet(n, 'cluster') ?? { t: '%' }, 'subcommands') ?? { t: '%' }, sub);
    const complexity = mapGet(doc ?? { t: '%' }, 'complexity');
    if (complexity?.s === 'O(1)') complexity.s = 'O(N) where N is the number of replicas.';
  }
  // GEORADIUS(BYMEMBER)'s STORE and STOREDIST: 7.0's two optional `key` arguments are 7.2's
  // oneof `store` of storekey and storedistkey
  for (const cmd of ['georadius', 'georadiusbymember']) {
    const args = mapGet(mapGet(n, cmd) ?? { t: '%' }, 'arguments');
    const list = args?.c ?? [];
    const at = list.findIndex((a) => mapGet(a, 'token')?.s === 'STORE');
    const store = list[at];
    const dist = list[at + 1];
    if (store === undefined || dist === undefined || mapGet(dist, 'token')?.s !== 'STOREDIST') continue;
    const flags = mapGet(store, 'flags')!;
    for (const a of [store, dist]) mapDelete(a, 'flags');
    mapGet(store, 'name')!.s = 'storekey';
    mapGet(dist, 'name')!.s = 'storedistkey';
    const [nameKey, , typeKey, typeVal] = store.c!;
    const field = (k: string): Node => ({ ...nameKey!, s: k });
    const text = (v: string): Node => ({ ...typeVal!, s: v });
    const oneof: Node = {
      t: store.t,
      c: [
        field('name'),
        text('store'),
        { ...typeKey! },
        text('oneof'),
        field('flags'),
        flags,
        field('arguments'),
        { t: args!.t, c: [store, dist] },
      ],
    };
    list.splice(at, 2, oneof);
  }
  const loadex = mapGet(mapGet(mapGet(n, 'module') ?? { t: '%' }, 'subcommands') ?? { t: '%' }, 'module|loadex');
  const args = mapGet(loadex ?? { t: '%' }, 'arguments');
  const last = args?.c?.[2];
  if (last && mapGet(last, 'name')?.s === 'args' && mapGet(last, 'type')?.s === 'block') {
    mapGet(last, 'type')!.s = 'string';
    mapDelete(last, 'arguments');
    const flags = mapGet(last, 'flags');
    if (flags?.c) flags.c = flags.c.filter((f) => f.s !== 'multiple_token');
  }
  return n;
}

function normArgs(list: Node): void {
  list.c = (list.c ?? []).filter((a) => !is72(mapGet(a, 'since')?.s));
  for (const a of list.c) {
    mapDelete(a, 'display_text');
    const s = mapGet(a, 'summary');
    if (s) s.s = '';
    const nested = mapGet(a, 'arguments');
    if (nested) normArgs(nested);
  }
}

/** The path to the first difference between two decoded replies ("arguments[2].name: a vs b"). */
function firstDiff(a: unknown, b: unknown, path = ''): string {
  const obj = (v: unknown): unknown =>
    v instanceof Map
      ? Object.fromEntries([...v].map(([k, x]) => [String(k), obj(x)]))
      : Array.isArray(v)
        ? v.map(obj)
        : typeof v === 'bigint'
          ? String(v)
          : v;
  const x = obj(a);
  const y = obj(b);
  const walk = (x: unknown, y: unknown, p: string): string | null => {
    if (typeof x !== 'object' || x === null || typeof y !== 'object' || y === null) {
      return x === y ? null : `${p}: tsdis ${JSON.stringify(x)} redis ${JSON.stringify(y)}`;
    }
    const kx = Object.keys(x);
    const ky = Object.keys(y);
    if (!Array.isArray(x) && kx.join() !== ky.join()) return `${p}: tsdis fields [${kx}] redis [${ky}]`;
    if (Array.isArray(x) && Array.isArray(y) && x.length !== y.length)
      return `${p}: tsdis ${x.length} items redis ${y.length}`;
    for (const k of kx) {
      const r = walk((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], `${p}.${k}`);
      if (r) return r;
    }
    return null;
  };
  return walk(x, y, path) ?? 'same (types differ)';
}

/** Top-level command names a server knows (COMMAND LIST without subcommands). */
async function topLevel(conn: 'a' | 'b'): Promise<string[]> {
  const raw = await d![conn].call('COMMAND', 'LIST');
  return (decode(raw) as string[]).filter((n) => !n.includes('|')).sort();
}

test('COMMAND INFO and COMMAND DOCS match redis-server for every shared command', { skip }, async () => {
  const ours = await topLevel('a');
  const theirs = new Set(await topLevel('b'));
  const shared = ours.filter((n) => theirs.has(n));
  const onlyOurs = ours.filter((n) => !theirs.has(n));
  const diffs: string[] = [];
  const subsMissing: string[] = [];
  const subsExtra: string[] = [];
  for (const proto of [2, 3] as const) {
    await d!.both(['HELLO', String(proto)]);
    for (const name of shared) {
      const [x, y] = await d!.both(['COMMAND', 'INFO', name]);
      const a = parseTyped(x).c![0]!;
      const b = parseTyped(y).c![0]!;
      const sa = subNames(a);
      const sb = subNames(b);
      const keep = new Set(sa.filter((s) => sb.includes(s)));
      if (proto === 2) {
        subsMissing.push(...sb.filter((s) => !keep.has(s)));
        subsExtra.push(...sa.filter((s) => !keep.has(s)));
      }
      normInfo(a, keep);
      normInfo(b, keep);
      // Redis 7.2 added ZRANK/ZREVRANK's optional WITHSCORE: arity 3 became -3.
      if ((name === 'zrank' || name === 'zrevrank') && b.c?.[1]?.s === '3') b.c[1].s = '-3';
      // Redis 7.2 lets scripts call the blocking pops (they do not block there): no `noscript`.
      if (SCRIPTABLE_IN_72.has(name) && b.c?.[2]?.c) b.c[2].c = b.c[2].c.filter((f) => f.s !== 'noscript');
      // Redis 7.2 lets CLUSTER SHARDS and SLOTS run while loading.
      for (const e of b.c?.[9]?.c ?? []) {
        const flags = e.c?.[2]?.c;
        if (
          (e.c?.[0]?.s === 'cluster|shards' || e.c?.[0]?.s === 'cluster|slots') &&
          flags &&
          !flags.some((f) => f.s === 'loading')
        )
          flags.unshift({ t: '+', s: 'loading' });
      }
      if (serialize(a) !== serialize(b)) diffs.push(`RESP${proto} INFO ${infoDiff(a, b)}`);
      const [dx, dy] = await d!.both(['COMMAND', 'DOCS', name]);
      const da = serialize(normDocs(parseTyped(dx), keep));
      const db = serialize(normDocs(as72(parseTyped(dy)), keep));
      if (da !== db) diffs.push(`RESP${proto} DOCS ${firstDiff(decode(da), decode(db), name)}`);
    }
  }
  await d!.both(['HELLO', '2']);
  console.log(
    `command-info: ${shared.length} shared commands compared; tsdis-only: [${onlyOurs.join(' ')}]; redis-only: ${theirs.size - shared.length}`,
  );
  console.log(
    `command-info: subcommands not in tsdis yet: [${subsMissing.sort().join(' ')}]; tsdis-only (7.2) subcommands: [${subsExtra.sort().join(' ')}]`,
  );
  if (diffs.length) console.log('command-info differences:\n  ' + diffs.join('\n  '));
  assert.deepEqual(diffs, []);
});

test('COMMAND with no arguments describes the same commands as COMMAND LIST and COUNT', { skip }, async () => {
  for (const proto of [2, 3] as const) {
    await d!.both(['HELLO', String(proto)]);
    const all = parseTyped(await d!.a.call('COMMAND'));
    const count = decode(await d!.a.call('COMMAND', 'COUNT')) as number;
    const names = await topLevel('a');
    assert.equal(all.c!.length, count);
    assert.deepEqual(all.c!.map((e) => e.c![0]!.s!).sort(), names);
    // Each entry equals its COMMAND INFO entry.
    for (const e of all.c!.slice(0, 50)) {
      const one = parseTyped(await d!.a.call('COMMAND', 'INFO', e.c![0]!.s!));
      assert.equal(serialize(e), serialize(one.c![0]!));
    }
    // Redis's reply has the same shape (an array of 10-element entries).
    const theirs = parseTyped(await d!.b.call('COMMAND'));
    assert.equal(theirs.t, all.t);
    assert.ok(theirs.c!.every((e) => e.c!.length === 10));
  }
  await d!.both(['HELLO', '2']);
});
