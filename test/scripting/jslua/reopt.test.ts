/**
 * A compiled script keeps its optimized code across V8's full collections
 * (compile.ts, compileChunk: the main function made once, HELD). V8 holds
 * optimized code weakly; when each run made its own main, every natural
 * mark-compact dropped it and TurboFan compiled the script again (50-200 ms
 * for a BullMQ script). A child node with --trace-opt --trace-gc runs a
 * script until it is optimized, then makes old-generation garbage between
 * runs (full collections V8 starts itself, not forced ones: those drop
 * optimized code anyway) and counts the script's functions compiled again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const compileUrl = new URL('../../../src/scripting/jslua/compile.js', import.meta.url).href;
const envUrl = new URL('../../../src/scripting/jslua/env.js', import.meta.url).href;
const tableUrl = new URL('../../../src/scripting/jslua/table.js', import.meta.url).href;

const CHILD = `
const { compileChunk } = await import(${JSON.stringify(compileUrl)});
const { jsEnv } = await import(${JSON.stringify(envUrl)});
const { LuaTable } = await import(${JSON.stringify(tableUrl)});
const c = compileChunk(\`
local function step(a, b) local s = 0 for i = 1, 20 do s = s + (a * i + b) % 7 end return s end
local total = 0
for i = 1, 50 do total = total + step(i, #KEYS) end
return total\`, 'user_script', jsEnv());
const run = () => c.run(LuaTable.from(['k']), LuaTable.from([]));
for (let i = 0; i < 20000; i++) run();
console.log('WARM');
let garbage = [];
for (let r = 0; r < 12; r++) {
  for (let i = 0; i < 300000; i++) garbage.push({ a: i, b: [i] });
  garbage = [];
  for (let i = 0; i < 200; i++) run();
}
for (let i = 0; i < 20000; i++) run();
`;

test("a script's optimized code outlives full collections", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-reopt-'));
  try {
    const file = path.join(dir, 'child.mjs');
    fs.writeFileSync(file, CHILD);
    const r = spawnSync(process.execPath, ['--trace-opt', '--trace-gc', file], { encoding: 'utf8', timeout: 60000 });
    assert.equal(r.status, 0, r.stderr);
    const after = r.stdout.slice(r.stdout.indexOf('WARM'));
    assert.ok(r.stdout.includes('WARM'), r.stdout.slice(-2000));
    // the check means something only if V8 ran full collections after the warm-up
    assert.ok(/Mark-Compact/.test(after), 'no full collection after the warm-up');
    const again = after
      .split('\n')
      .filter((l) => /completed (optimizing|compiling).*<JSFunction (main|step\$)/.test(l));
    assert.deepEqual(again, []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
