/**
 * COMMAND COUNT / LIST / INFO / DOCS / GETKEYS / GETKEYSANDFLAGS / HELP and
 * their errors, differential against redis-server in RESP2 and RESP3 where
 * the two servers know the same commands, plus keysOf() on synthetic
 * declarations (key spec kinds tsdis's own commands may not use yet).
 * The full per-command COMMAND INFO/DOCS comparison is test/compat/command-info.test.ts.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Differ, decode, type Cmd } from '../helpers/diff.js';

import { keysOf, keysAndFlagsOf } from '../../src/commands/keys-of.js';
import { aclCategories, infoFlags } from '../../src/commands/command.js';
import type { CommandSpec } from '../../src/commands/spec.js';

const d = await Differ.start();
after(() => d?.stop());

/** Names (with subcommands) tsdis knows, so differential cases use only those. */
async function known(): Promise<Set<string>> {
  return new Set(decode(await d!.a.call('COMMAND', 'LIST')) as string[]);
}

for (const proto of [2, 3] as const) {
  test(`RESP${proto}: COMMAND errors, HELP, INFO and DOCS lookups`, async () => {
    await d!.both(['HELLO', String(proto)]);
    await d!.same([
      ['COMMAND', 'HELP'],
      ['COMMAND', 'HELP', 'x'],
      ['COMMAND', 'COUNT', 'x'],
      ['COMMAND', 'NOSUCH'],
      ['COMMAND', 'GETKEYS'],
      ['COMMAND', 'GETKEYS', 'get'],
      ['COMMAND', 'GETKEYSANDFLAGS', 'x'],
      ['COMMAND', 'LIST', 'x'],
      ['COMMAND', 'LIST', 'FILTERBY'],
      ['COMMAND', 'LIST', 'FILTERBY', 'foo', 'x'],
      ['COMMAND', 'LIST', 'FILTERBY', 'aclcat', 'nosuch'],
      ['COMMAND', 'LIST', 'FILTERBY', 'module', 'x'],
      ['COMMAND', 'LIST', 'FILTERBY', 'pattern', 'zz*'],
      ['COMMAND', 'LIST', 'FILTERBY', 'pattern', 'x', 'y'],
      ['COMMAND', 'INFO', 'nosuch'],
      ['COMMAND', 'INFO', 'nosuch', 'get', 'config|nosuch', 'get|x', 'a|b|c', 'CONFIG|GET', 'config|get'],
      ['COMMAND', 'DOCS', 'nosuch'],
      ['COMMAND', 'DOCS', 'nosuch', 'x|y'],
      ['CONFIG', 'HELP'],
    ]);
    // Shape of DOCS for a subcommand and a container (summaries are our own words).
    for (const name of ['config|get', 'config', 'command|list']) {
      const keys = (raw: string) => {
        const v = decode(raw);
        const doc = v instanceof Map ? [...v.values()][0] : (v as unknown[])[1];
        return doc instanceof Map ? [...doc.keys()] : (doc as unknown[]).filter((_, i) => i % 2 === 0);
      };
      const [x, y] = await d.bothView(keys, ['COMMAND', 'DOCS', name]);
      assert.deepEqual(x, y, name);
    }
    await d!.both(['HELLO', '2']);
  });

  test(`RESP${proto}: COMMAND GETKEYS and GETKEYSANDFLAGS`, async () => {
    await d!.both(['HELLO', String(proto)]);
    const names = await known();
    const cases: Cmd[] = [
      ['get', 'a'],
      ['get', 'a', 'b'],
      ['GET', 'a'],
      ['set', 'a', 'b'],
      ['set', 'a'],
      ['mset', 'a', '1', 'b', '2'],
      ['mset', 'a', '1', 'b'],
      ['mget', 'a', 'b', 'c'],
      ['del', 'a', 'b'],
      ['bitop', 'and', 'd', 'a', 'b'],
      ['rename', 'a', 'b'],
      ['copy', 'a', 'b'],
      ['ping', 'x'],
      ['echo', 'x'],
      ['config', 'get', 'x'],
      ['config', 'nosuch', 'x'],
      ['nosuch', 'a', 'b'],
      ['object', 'encoding', 'k'],
      ['object', 'freq', 'k'],
      ['memory', 'usage', 'k'],
      ['getex', 'k', 'PERSIST'],
      ['lcs', 'a', 'b'],
      ['sort', 'k'],
      ['sort', 'k', 'STORE', 'dst'],
      ['touch', 'a', 'b'],
      ['unlink', 'a'],
      ['exists', 'a', 'b'],
      ['expire', 'k', '10'],
      ['bitcount', 'k'],
      ['bitfield', 'k', 'GET', 'u8', '0'],
      ['bitfield_ro', 'k', 'GET', 'u8', '0'],
      ['bitpos', 'k', '1'],
      ['getset', 'k', 'v'],
      ['msetnx', 'a', '1', 'b', '2'],
      ['psetex', 'k', '100', 'v'],
      ['dump', 'k'],
      ['restore', 'k', '0', 'x'],
      ['move', 'k', '1'],
      ['type', 'k'],
      ['keys', '*'],
      ['scan', '0'],
      ['flushall'],
      ['dbsize'],
      ['info'],
      ['incr', 'k'],
    ];
    const pending: string[] = [];
    for (const c of cases) {
      const base = String(c[0]).toLowerCase();
      const sub = c.length > 1 ? `${base}|${String(c[1]).toLowerCase()}` : '';
      if (base !== 'nosuch' && !names.has(base) && !names.has(sub)) continue;
      if (
        sub &&
        names.has(base) &&
        !names.has(sub) &&
        ['config', 'object', 'memory'].includes(base) &&
        c[1] !== 'nosuch'
      )
        continue;
      await d!.same([['COMMAND', 'GETKEYS', ...c]]);
      // Key flags that depend on the arguments (variable_flags) need the declaration's getKeys.
      const decl = d!.tsdis.server.commands.lookup(base);
      if (decl && !decl.getKeys && decl.keySpecs?.some((k) => k.flags.includes('variable_flags'))) pending.push(base);
      else await d!.same([['COMMAND', 'GETKEYSANDFLAGS', ...c]]);
    }
    if (pending.length)
      console.log(`GETKEYSANDFLAGS not compared (variable_flags without getKeys): ${[...new Set(pending)].join(' ')}`);
    await d!.both(['HELLO', '2']);
  });

  test(`RESP${proto}: COMMAND LIST filters agree with redis on shared commands`, async () => {
    await d!.both(['HELLO', String(proto)]);
    const names = await known();
    // (COMMAND LIST comes in hash-table order: compared, and recorded, sorted)
    const sortedList = (raw: string) => ({ type: raw[0], names: (decode(raw) as string[]).sort() });
    const theirsAll = new Set((await d.b.callView(sortedList, 'COMMAND', 'LIST')).names);
    const filters: string[][] = [
      [],
      ['FILTERBY', 'ACLCAT', 'fast'],
      ['FILTERBY', 'aclcat', 'WRITE'],
      ['FILTERBY', 'aclcat', 'dangerous'],
      ['FILTERBY', 'aclcat', 'connection'],
      ['FILTERBY', 'aclcat', 'keyspace'],
      ['FILTERBY', 'aclcat', 'slow'],
      ['FILTERBY', 'PATTERN', 'config|*'],
      ['FILTERBY', 'pattern', 'G*'],
      ['FILTERBY', 'pattern', '*e?'],
    ];
    for (const f of filters) {
      const [x, y] = await d.bothView(sortedList, ['COMMAND', 'LIST', ...f]);
      assert.equal(x.type, y.type);
      const ours = x.names.filter((n) => theirsAll.has(n));
      const theirs = y.names.filter((n) => names.has(n));
      assert.deepEqual(ours, theirs, `COMMAND LIST ${f.join(' ')}`);
    }
    await d!.both(['HELLO', '2']);
  });
}

test('COMMAND COUNT counts the top-level commands of COMMAND LIST', async () => {
  const count = decode(await d!.a.call('COMMAND', 'COUNT')) as number;
  const top = [...(await known())].filter((n) => !n.includes('|'));
  assert.equal(count, top.length);
  assert.equal(count, d!.tsdis.server.commands.all.length);
});

const spec = (s: Partial<CommandSpec>): CommandSpec => ({
  name: 'x',
  arity: -1,
  flags: [],
  acl: [],
  group: 'generic',
  since: '1.0.0',
  summary: '',
  ...s,
});

test('keysOf: index, keyword and keynum specs, limits and fallbacks', () => {
  // EVAL-like: numkeys at argv[2], keys after it.
  const evalLike = spec({
    keySpecs: [
      { flags: ['RW', 'access', 'update'], begin: { index: 2 }, find: { keynumidx: 0, firstkey: 1, keystep: 1 } },
    ],
  });
  assert.deepEqual(keysOf(evalLike, ['eval', 's', '2', 'a', 'b', 'c']), [3, 4]);
  assert.deepEqual(keysOf(evalLike, ['eval', 's', '0']), []);
  assert.deepEqual(keysOf(evalLike, ['eval', 's', '5', 'a']), []);
  assert.deepEqual(keysOf(evalLike, ['eval', 's', 'x', 'a']), []);
  // XREAD-like: keys after STREAMS, half of the rest (limit 2).
  const xread = spec({
    keySpecs: [
      {
        flags: ['RO', 'access'],
        begin: { keyword: 'STREAMS', startfrom: 1 },
        find: { lastkey: -1, keystep: 1, limit: 2 },
      },
    ],
  });
  assert.deepEqual(keysOf(xread, ['xread', 'COUNT', '2', 'streams', 'a', 'b', '0', '0']), [4, 5]);
  assert.deepEqual(keysOf(xread, ['xread', 'COUNT', '2']), []);
  // MIGRATE-like: a key at 3, or (when it is "") the keys after KEYS, found from the end;
  // the KEYS spec is incomplete, so when it matches, getKeys decides.
  const migrate = spec({
    keySpecs: [
      { flags: ['RW', 'access', 'delete'], begin: { index: 3 }, find: { lastkey: 0, keystep: 1, limit: 0 } },
      {
        flags: ['RW', 'access', 'delete', 'incomplete'],
        begin: { keyword: 'KEYS', startfrom: -2 },
        find: { lastkey: -1, keystep: 1, limit: 0 },
      },
    ],
    getKeys: (argv) => (argv[3] === '' ? [7, 8] : [3]),
  });
  assert.deepEqual(keysOf(migrate, ['migrate', 'h', 'p', 'k', '0', '1']), [3]);
  assert.deepEqual(keysOf(migrate, ['migrate', 'h', 'p', '', '0', '1', 'KEYS', 'a', 'b']), [7, 8]);
  // MSET-like: step 2 to the end.
  const mset = spec({
    keySpecs: [{ flags: ['OW', 'update'], begin: { index: 1 }, find: { lastkey: -1, keystep: 2, limit: 0 } }],
  });
  assert.deepEqual(keysOf(mset, ['mset', 'a', '1', 'b', '2']), [1, 3]);
  // Flags come from the spec. A spec with variable_flags is not used: the
  // getKeys decides, and without one there are no keys (as Redis's
  // getKeysFromCommandWithSpecs; every such command declares a getKeys).
  const ro = spec({
    keySpecs: [{ flags: ['RO', 'access'], begin: { index: 1 }, find: { lastkey: 0, keystep: 1, limit: 0 } }],
  });
  assert.deepEqual(keysAndFlagsOf(ro, ['get', 'k']), [{ pos: 1, flags: ['RO', 'access'] }]);
  const setLike = spec({
    keySpecs: [
      {
        flags: ['RW', 'access', 'update', 'variable_flags'],
        begin: { index: 1 },
        find: { lastkey: 0, keystep: 1, limit: 0 },
      },
    ],
  });
  assert.deepEqual(keysAndFlagsOf(setLike, ['set', 'k', 'v']), []);
  // A getKeys with flags wins over variable specs.
  const withFlags = spec({ ...setLike, getKeys: () => [{ pos: 1, flags: ['OW', 'update'] }] });
  assert.deepEqual(keysAndFlagsOf(withFlags, ['set', 'k', 'v']), [{ pos: 1, flags: ['OW', 'update'] }]);
  // not_key specs are skipped.
  const notKey = spec({
    keySpecs: [{ flags: ['not_key'], begin: { index: 1 }, find: { lastkey: 0, keystep: 1, limit: 0 } }],
  });
  assert.deepEqual(keysOf(notKey, ['x', 'k']), []);
});

test('ACL categories implied by flags and flag order', () => {
  assert.deepEqual(aclCategories(spec({ flags: ['write', 'denyoom'], acl: ['string'] })), ['write', 'string', 'slow']);
  assert.deepEqual(aclCategories(spec({ flags: ['readonly', 'fast'], acl: ['keyspace'] })), [
    'keyspace',
    'read',
    'fast',
  ]);
  assert.deepEqual(aclCategories(spec({ flags: ['readonly', 'noscript'], acl: ['scripting'] })), ['slow', 'scripting']);
  assert.deepEqual(aclCategories(spec({ flags: ['admin', 'noscript'], acl: ['connection'] })), [
    'admin',
    'slow',
    'dangerous',
    'connection',
  ]);
  assert.deepEqual(aclCategories(spec({ flags: ['pubsub', 'fast'] })), ['pubsub', 'fast']);
  assert.deepEqual(aclCategories(spec({ flags: ['write', 'blocking'], acl: ['list'] })), [
    'write',
    'list',
    'slow',
    'blocking',
  ]);
  assert.deepEqual(infoFlags(spec({ flags: ['fast', 'loading', 'write'] })), ['write', 'loading', 'fast']);
  const movable = spec({
    keySpecs: [{ flags: ['RO'], begin: { index: 2 }, find: { keynumidx: 0, firstkey: 1, keystep: 1 } }],
  });
  assert.deepEqual(infoFlags(movable), ['movablekeys']);
});
