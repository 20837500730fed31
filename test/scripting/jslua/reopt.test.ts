/**
 * A compiled script keeps its optimized code across V8's full collections
 * (compile.ts, compileChunk: the main function made once, HELD). V8 holds
 * optimized code weakly; when each run made its own main, every natural
 * mark-compact dropped it and TurboFan compiled the script again (50-200 ms
 * for a BullMQ script); with main made once but no HELD, the same happened
 * to an inner function too big to inline. A child node with --trace-opt
 * --trace-gc runs a script until V8's trace shows both optimized (the test
 * reads the trace and tells the child), then makes old-generation garbage
 * between runs (full collections V8 starts itself, not forced ones: those
 * drop optimized code anyway), and the test counts the script's functions
 * compiled again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const compileUrl = new URL('../../../src/scripting/jslua/compile.js', import.meta.url).href;
const envUrl = new URL('../../../src/scripting/jslua/env.js', import.meta.url).href;
const tableUrl = new URL('../../../src/scripting/jslua/table.js', import.meta.url).href;
const runtimeUrl = new URL('../../../src/scripting/jslua/runtime.js', import.meta.url).href;

/**
 * The script: a main chunk and an inner function too big for TurboFan to
 * inline into it (so each keeps optimized code of its own, and a run makes a
 * new closure of the inner one).
 */
const SCRIPT = [
  'local function step(a, b)',
  '  local s = 0',
  '  for i = 1, 20 do s = s + (a * i + b) % 7 end',
  ...Array.from({ length: 60 }, (_, i) => `  if s > ${i} then s = s - (a % ${i + 2}) * ${i} + b else s = s + ${i} end`),
  '  return s',
  'end',
  'local total = 0',
  'for i = 1, 50 do total = total + step(i, #KEYS) end',
  'return total',
].join('\n');

const CHILD = `
const { compileChunk } = await import(${JSON.stringify(compileUrl)});
const { jsEnv } = await import(${JSON.stringify(envUrl)});
const { LuaTable } = await import(${JSON.stringify(tableUrl)});
const c = compileChunk(${JSON.stringify(SCRIPT)}, 'user_script', jsEnv());
const { R } = await import(${JSON.stringify(runtimeUrl)});
// (a budget no run uses up, as engine.ts resets it per run: the busy hook is never called)
const run = () => {
  R.budget = 1e9;
  return c.run(LuaTable.from(['k']), LuaTable.from([]));
};
// runs until the parent has seen TurboFan finish both functions in V8's trace (it says 'go')
let go = false;
process.on('message', () => { go = true; });
while (!go) {
  for (let i = 0; i < 1000; i++) run();
  await new Promise((r) => setImmediate(r));
}
console.log('WARM');
let garbage = [];
for (let r = 0; r < 12; r++) {
  for (let i = 0; i < 300000; i++) garbage.push({ a: i, b: [i] });
  garbage = [];
  for (let i = 0; i < 200; i++) run();
}
for (let i = 0; i < 20000; i++) run();
process.disconnect();
`;

/** V8's trace line for a finished TurboFan (or Maglev) compilation of the script's main or its function step. */
const COMPILED = /completed (optimizing|compiling).*<JSFunction (main|step\$)/;

test("a script's optimized code outlives full collections", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-reopt-'));
  try {
    const file = path.join(dir, 'child.mjs');
    fs.writeFileSync(file, CHILD);
    const child = spawn(process.execPath, ['--trace-opt', '--trace-gc', file], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let out = '';
    let err = '';
    let told = false;
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (!told && /optimizing.*<JSFunction main /.test(out) && /optimizing.*<JSFunction step\$/.test(out)) {
        told = true;
        child.send('go');
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    clearTimeout(timer);
    assert.equal(code, 0, `${err}\n${out.slice(-2000)}`);
    const at = out.indexOf('WARM');
    assert.ok(at >= 0, out.slice(-2000));
    const after = out.slice(at);
    // the check means something only if V8 ran full collections after the warm-up
    assert.ok(/Mark-Compact/.test(after), 'no full collection after the warm-up');
    assert.deepEqual(
      after.split('\n').filter((l) => COMPILED.test(l)),
      [],
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
