/**
 * Scripting figures for INFO memory (observability/info.ts): the VM's
 * memory, cached EVAL scripts, functions and libraries. The VM is one per
 * process (scripting/lua.ts), so its memory is reported for both eval and
 * functions, as Redis reports its two Lua VMs.
 */
import type { Server } from '../server/server.js';
import { vmMemoryBytes } from './lua.js';
import { scripting } from './scripts.js';
import { functionsOf } from './functions.js';

export interface ScriptingInfo {
  vmBytes: number;
  evalBytes: number;
  cachedScripts: number;
  functions: number;
  libraries: number;
  functionsBytes: number;
}

export function scriptingInfo(server: Server): ScriptingInfo {
  const st = scripting(server);
  const fs = functionsOf(server);
  let functionsBytes = 0;
  for (const lib of fs.libraries.values()) functionsBytes += lib.code.length;
  return {
    vmBytes: vmMemoryBytes(),
    evalBytes: st.bodyBytes,
    cachedScripts: st.scripts.size,
    functions: fs.functions.size,
    libraries: fs.libraries.size,
    functionsBytes,
  };
}
