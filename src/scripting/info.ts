/**
 * Scripting figures for INFO memory (observability/info.ts): the Lua VM's
 * memory, cached EVAL scripts, functions and libraries.
 *
 * Redis 7.2 has two Lua VMs, one for EVAL (used_memory_vm_eval, alias
 * used_memory_lua) and one for functions (used_memory_vm_functions);
 * tsdis has one (scripting/lua.ts), so its heap (Lua's own count, as
 * Redis's luaMemory) is split: functions get what the sandbox setup took
 * for them and what each loaded library's load took (garbage of the load
 * included), EVAL the rest. used_memory_vm_total is the sum.
 */
import type { Server } from '../server/server.js';
import { vmMemory } from './lua.js';
import { scripting } from './scripts.js';
import { functionsOf } from './functions.js';

export interface ScriptingInfo {
  /** used_memory_vm_eval (used_memory_lua). */
  evalVmBytes: number;
  /** used_memory_vm_functions. */
  functionsVmBytes: number;
  /** used_memory_scripts_eval: the cached bodies. */
  evalBytes: number;
  cachedScripts: number;
  functions: number;
  libraries: number;
  /** used_memory_functions: the libraries' code. */
  functionsBytes: number;
}

export function scriptingInfo(server: Server): ScriptingInfo {
  const st = scripting(server);
  const fs = functionsOf(server);
  let functionsBytes = 0;
  let libHeap = 0;
  for (const lib of fs.libraries.values()) {
    functionsBytes += lib.code.length;
    libHeap += Math.max(0, lib.heapBytes);
  }
  const vm = vmMemory();
  const functionsVmBytes = Math.min(vm.bytes, vm.setupBytes + libHeap);
  return {
    evalVmBytes: vm.bytes - functionsVmBytes,
    functionsVmBytes,
    evalBytes: st.bodyBytes,
    cachedScripts: st.scripts.size,
    functions: fs.functions.size,
    libraries: fs.libraries.size,
    functionsBytes,
  };
}
