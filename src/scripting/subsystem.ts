/**
 * Scripting as a server subsystem (Server.scripting): it holds the EVAL
 * state (scripts.ts scripting()) and the FUNCTION libraries (functions.ts
 * functionsOf()), both made on first use, and refreshes their memory
 * figures once a second (used_memory counts the cached script bodies and
 * the libraries' code: observability/memory.ts refreshScripts; INFO memory
 * and MEMORY STATS refresh them too). A running script reaches the server
 * the other way: the dispatcher's busy gate (Server.busyScript) and
 * Connections.beginBusy/serveWhileBusy.
 */
import type { Server } from '../server/server.js';
import type { CronTick, Subsystem } from '../server/subsystem.js';
import { refreshScripts } from '../observability/memory.js';
import { scriptingInfo } from './info.js';
import type { ScriptingState } from './scripts.js';
import type { FunctionsState } from './functions.js';

export class Scripting implements Subsystem {
  /** EVAL's script cache, the Lua pseudo client, the running script (scripts.ts scripting(), made on first use). */
  eval: ScriptingState | null = null;
  /** FUNCTION libraries (functions.ts functionsOf(), made on first use). */
  functions: FunctionsState | null = null;

  constructor(private readonly server: Server) {}

  /** Subsystem: once a second, the scripts' share of used_memory (Redis's cronUpdateMemoryStats). */
  cron(tick: CronTick): void {
    if (!tick.second) return;
    const si = scriptingInfo(this.server);
    refreshScripts(this.server, si.evalBytes, si.functionsBytes);
  }
}
