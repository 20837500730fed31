/**
 * Runs an EVAL script compiled by jslua (compile.ts) for scripts.ts: KEYS
 * and ARGV in, the result or Redis's error out, the busy hook wired to the
 * run's host. Which scripts run here is decided once per script: the ones
 * compileChunk accepts (else the WebAssembly VM runs them, as it runs
 * functions and debugged scripts).
 */
import { Err } from '../../protocol/errors.js';
import v8 from 'node:v8';
import type { Reply } from '../../protocol/writer.js';
import { oldGenerationLimitBytes } from '../../server/heap.js';
import { isOutOfMemory, isStackOverflow } from './lib-base.js';
import { compileChunk, type CompiledChunk } from './compile.js';
import { jsEnv } from './env.js';
import { active, cString, luaToReply, type JsHost } from './redis-lib.js';
import { R } from './runtime.js';
import { LuaTable } from './table.js';
import { addressOf, cur, first, LuaError, LuaUserdata, numberToString, type LuaValue } from './value.js';

/** Process-wide (as the WebAssembly VM is): a script that may change cjson's settings ran on the VM. */
export const jsState = { cjsonTouched: false };

/** Loop iterations and calls between two calls of the host's tick (about what 1,000 Lua instructions take). */
const TICK_BUDGET = 1000;

/**
 * Compiles an EVAL script's body (its shebang line emptied) for jslua, or
 * returns null when it must run on the WebAssembly VM.
 */
export function jsCompile(source: string): CompiledChunk | null {
  const c = compileChunk(source, 'user_script', jsEnv());
  return 'unsupported' in c ? null : c;
}

/** The host's tick as the compiled code's busy hook: it may end the script (SCRIPT KILL, shutdown). */
export interface TickHost extends JsHost {
  tick(): boolean;
}

/** The kill error: not a Lua error, so no pcall catches it. */
export class ScriptKilled extends Error {
  constructor(readonly line: number) {
    super('script killed');
  }
}

/**
 * How much a run may grow the V8 heap (its objects live there, with the
 * data's): past it, or past 90% of the old generation's limit, the script
 * gets Lua's "not enough memory" instead of the process dying at V8's limit
 * (Redis's Lua has no limit: malloc fails first). As the WebAssembly VM's
 * fixed heap does for the scripts it runs. Read at the busy hook, so a run
 * too short to reach it (under TICK_BUDGET iterations) never pays for it.
 */
const RUN_HEAP_GROWTH_MAX = Math.max(512 * 1024 * 1024, oldGenerationLimitBytes() / 4);
const HEAP_USED_MAX = oldGenerationLimitBytes() * 0.9;
/** The heap's use when the run first reached the hook (-1: not yet). */
let heapAtStart = -1;
/**
 * A run that grew the heap by more than this (from its first hook) does not
 * keep its closures (CompiledChunk.forget): they may hold what it built.
 */
const HELD_GROWTH_MAX = 16 * 1024 * 1024;

let tickHost: TickHost | null = null;
function hook(line: number): void {
  R.budget = TICK_BUDGET;
  if (tickHost !== null && tickHost.tick()) throw new ScriptKilled(line);
  const used = v8.getHeapStatistics().used_heap_size;
  if (heapAtStart < 0) heapAtStart = used;
  else if (used - heapAtStart > RUN_HEAP_GROWTH_MAX || used > HEAP_USED_MAX) {
    throw new LuaError('not enough memory', line);
  }
}

/** A failed run: the error text as Redis's error handler makes it (code included), and the line it was raised at. */
export interface JsFailure {
  msg: string;
  line: number;
  killed: boolean;
}

/** Lua's tostring for an error value that is not a table (Redis's handler: 'ERR ' .. tostring(err)). */
function errValueText(v: LuaValue): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return numberToString(v);
    case 'undefined':
      return 'nil';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'function':
      return 'function: ' + addressOf(v);
    default:
      return (v instanceof LuaUserdata ? 'userdata: ' : 'table: ') + addressOf(v);
  }
}

/**
 * Runs `chunk` with KEYS and ARGV, writing its result to `reply`; returns
 * null on success, else the failure for scripts.ts to word.
 */
export function runJs(
  chunk: CompiledChunk,
  keys: string[],
  args: string[],
  host: TickHost,
  reply: Reply,
): JsFailure | null {
  const prevHost = active.host;
  active.host = host;
  tickHost = host;
  R.hook = hook;
  R.budget = TICK_BUDGET;
  heapAtStart = -1;
  try {
    const r = first(chunk.run(LuaTable.from(keys), LuaTable.from(args)));
    luaToReply(r, reply, { resp: host.resp });
    return null;
  } catch (e) {
    if (e instanceof ScriptKilled) return { msg: '', line: e.line, killed: true };
    if (e instanceof LuaError) {
      const v = e.value;
      if (v instanceof LuaTable) {
        const err = v.getStr('err');
        // (no text: Redis 7.2 would print a NULL; tsdis says what the VM says)
        const msg =
          typeof err === 'string' ? err : typeof err === 'number' ? numberToString(err) : Err.scriptExecFailed;
        return { msg: cString(msg), line: e.line, killed: false };
      }
      return { msg: cString(Err.scriptRaised(errValueText(v))), line: e.line, killed: false };
    }
    const line = cur.sites[cur.site]?.line ?? 0;
    if (isOutOfMemory(e)) return { msg: Err.luaNoMemory, line, killed: false };
    // the JS stack ran out: Lua's stack overflow
    if (isStackOverflow(e)) return { msg: Err.luaStackOverflow(cur.chunk, line), line, killed: false };
    throw e;
  } finally {
    active.host = prevHost;
    tickHost = null;
    if (heapAtStart >= 0 && v8.getHeapStatistics().used_heap_size - heapAtStart > HELD_GROWTH_MAX) chunk.forget();
  }
}
