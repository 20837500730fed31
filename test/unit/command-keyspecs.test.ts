/**
 * COMMAND INFO's legacy first/last/step and movablekeys are derived from the
 * key specs (src/commands/keys-of.ts), never declared: pinned here, without a
 * redis-server, for one command of each key-spec shape. The values are
 * redis-server 7.0.15's COMMAND INFO (7.2 reports the same for these);
 * test/compat/command-info.test.ts compares every command when a
 * redis-server is installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_COMMANDS } from '../../src/commands/index.js';
import { legacyKeyRange, hasMovableKeys } from '../../src/commands/keys-of.js';
import { keyAt, keysFrom, READ, type CommandSpec } from '../../src/commands/spec.js';

/** A declaration by name ("object|encoding" for a subcommand). */
function spec(name: string): CommandSpec {
  const [top, sub] = name.split('|');
  const c = ALL_COMMANDS.find((x) => x.name === top);
  assert.ok(c, `no command ${top}`);
  if (sub === undefined) return c;
  const s = c.subcommands?.find((x) => x.name === sub);
  assert.ok(s, `no subcommand ${name}`);
  return s;
}

/** name: [first, last, step, movablekeys] as redis-server's COMMAND INFO shows them. */
const REDIS: Record<string, [number, number, number, boolean]> = {
  get: [1, 1, 1, false],
  set: [1, 1, 1, false],
  getex: [1, 1, 1, false],
  mset: [1, -1, 2, false],
  del: [1, -1, 1, false],
  blpop: [1, -2, 1, false],
  bzpopmin: [1, -2, 1, false],
  lcs: [1, 2, 1, false],
  rename: [1, 2, 1, false],
  smove: [1, 2, 1, false],
  lmove: [1, 2, 1, false],
  geosearchstore: [1, 2, 1, false],
  bitop: [2, -1, 1, false],
  pfmerge: [1, -1, 1, false],
  sinterstore: [1, -1, 1, false],
  spublish: [1, 1, 1, false],
  ssubscribe: [1, -1, 1, false],
  'object|encoding': [2, 2, 1, false],
  'xgroup|create': [2, 2, 1, false],
  sort: [1, 1, 1, true],
  georadius: [1, 1, 1, true],
  zunionstore: [1, 1, 1, true],
  migrate: [3, 3, 1, true],
  eval: [0, 0, 0, true],
  evalsha: [0, 0, 0, true],
  fcall_ro: [0, 0, 0, true],
  sintercard: [0, 0, 0, true],
  blmpop: [0, 0, 0, true],
  xread: [0, 0, 0, true],
  xreadgroup: [0, 0, 0, true],
};

test('legacy first/last/step and movablekeys derived from the key specs match redis-server', () => {
  for (const [name, [first, last, step, movable]] of Object.entries(REDIS)) {
    const c = spec(name);
    assert.deepEqual([...legacyKeyRange(c), hasMovableKeys(c)], [first, last, step, movable], name);
  }
});

test('key-spec helpers give each spec its own flags array', () => {
  const a = keyAt(1, READ);
  const b = keysFrom(1, READ);
  assert.deepEqual(a.flags, ['RO', 'access']);
  assert.notEqual(a.flags, READ);
  assert.notEqual(a.flags, b.flags);
  assert.deepEqual(a, { flags: ['RO', 'access'], begin: { index: 1 }, find: { lastkey: 0, keystep: 1, limit: 0 } });
  assert.deepEqual(b.find, { lastkey: -1, keystep: 1, limit: 0 });
});
