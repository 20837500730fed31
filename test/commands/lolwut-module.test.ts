/**
 * LOLWUT and MODULE against redis-server. LOLWUT's art is random, so its
 * layout is compared (line count and each line's length in bytes) with the
 * version text masked (7.2.4 here, 7.0.x there); MODULE replies byte for
 * byte: an empty list, loads refused as for a module that cannot be loaded,
 * and LOAD/LOADEX/UNLOAD protected by enable-module-command.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Differ, type Cmd } from '../helpers/diff.js';

const d = await Differ.start();
const loadable = await Differ.start({
  tsdisConfig: { 'enable-module-command': 'yes' },
  redisArgs: ['--enable-module-command', 'yes'],
  name: 'loadable',
});
after(async () => {
  await d?.stop();
  await loadable?.stop();
});

/**
 * A reply's type, and the size of each line with the Redis version masked:
 * bytes, or for VERSION 6's coloured lines the number of cells (the colour
 * codes vary in length).
 */
function layout(raw: string): { head: string; lines: (number | string)[] } {
  const masked = raw.replace(/Redis ver\. [\d.]+/, 'Redis ver. X');
  const body = masked.slice(masked.indexOf('\r\n') + 2);
  return {
    head: masked[0]!,
    lines: body.split('\n').map((l) => (l.includes('\x1b') ? `${l.split('\x1b[0m').length - 1} cells` : l.length)),
  };
}

test('LOLWUT: the version line, and the layout of VERSION 5 and 6 with their arguments', async () => {
  for (const resp of ['2', '3']) {
    await d!.both(['HELLO', resp]);
    for (const cmd of [
      ['LOLWUT'],
      ['LOLWUT', 'VERSION'],
      ['LOLWUT', 'VERSION', '7'],
      ['LOLWUT', 'VERSION', '-1'],
      ['LOLWUT', 'VERSION', '4'],
      ['LOLWUT', 'VERSION', '5'],
      ['LOLWUT', 'VERSION', '5', '1', '1', '1'],
      ['LOLWUT', 'VERSION', '5', '40', '3', '5'],
      ['LOLWUT', 'VERSION', '5', '0', '-4', '500'],
      ['LOLWUT', 'VERSION', '6'],
      ['LOLWUT', 'VERSION', '6', '10', '3'],
      ['LOLWUT', 'VERSION', '6', '1', '1'],
      ['LOLWUT', 'VERSION', '6', '2000'],
      ['LOLWUT', 'ignored', 'args'],
    ]) {
      // (the art is random: compared, and recorded, by its layout)
      const [x, y] = await d.bothView(layout, cmd);
      assert.deepEqual(x, y, JSON.stringify(cmd));
    }
    await d!.same([
      ['LOLWUT', 'VERSION', 'x'],
      ['LOLWUT', 'VERSION', '5', 'x'],
      ['LOLWUT', 'VERSION', '6', '10', 'y'],
      ['LOLWUT', 'VERSION', '99999999999999999999'],
    ]);
  }
  await d!.both(['HELLO', '2']);
});

const MODULE_CMDS: Cmd[] = [
  ['MODULE', 'LIST'],
  ['MODULE', 'HELP'],
  ['MODULE'],
  ['MODULE', 'NOPE'],
  ['MODULE', 'LIST', 'extra'],
  ['MODULE', 'LOAD'],
  ['MODULE', 'LOAD', '/no/such/module.so'],
  ['MODULE', 'LOAD', '/no/such/module.so', 'a', 'b'],
  ['MODULE', 'LOADEX', '/no/such/module.so', 'CONFIG', 'x', 'y', 'ARGS', 'z'],
  ['MODULE', 'UNLOAD', 'nosuch'],
  ['MODULE', 'UNLOAD'],
  ['COMMAND', 'INFO', 'module|load', 'module|list', 'lolwut'],
];

test('MODULE with enable-module-command no (the default) and yes', async () => {
  await d!.same(MODULE_CMDS);
  await loadable!.same(MODULE_CMDS);
});

test('CONFIG SET / GET of module parameters', async () => {
  await d!.same([
    ['CONFIG', 'SET', 'mymodule.param', '1'],
    ['CONFIG', 'GET', 'mymodule.param'],
    ['CONFIG', 'GET', 'mymodule.*'],
    ['CONFIG', 'SET', 'maxmemory-samples', '5', 'mymodule.param', '1'],
  ]);
});
