/**
 * The Lua VM loads on first use (scripting/lua.ts loadVm), and loading it
 * is asynchronous (~30 ms; the package's loader awaits). Until the first
 * load ends, the dispatcher asks this gate of every command (one boolean
 * read once a VM is loaded): a command that needs the VM is held, as
 * CLIENT PAUSE holds one (server/pause.ts): the client is marked blocked,
 * so Connections.processInput reads no more of its input, the load
 * starts, and when it ends each held client, in the order it was held,
 * runs its command through the whole dispatcher and then the rest of its
 * input. A client's pipeline keeps its order; other clients go on
 * meanwhile, so a held command runs as if it had arrived when the VM was
 * ready. A failed load releases the held commands too: they get the
 * VM's error, and the next one that needs it tries again.
 *
 * What needs the VM: EVAL and EVAL_RO (every run compiles or runs in it),
 * SCRIPT LOAD (compiles), FUNCTION LOAD and FUNCTION RESTORE (run the
 * libraries' code), EXEC with one of them queued, and DEBUG RELOAD NOSAVE
 * and DEBUG LOADAOF when the files they load have functions (or, in an
 * AOF, script commands). EVALSHA,
 * EVALSHA_RO, FCALL and FCALL_RO do not wait: without a VM ever loaded no
 * script or function can exist, so they reply NOSCRIPT / "Function not
 * found" as they would. The AOF loader and the start do not pass this
 * gate: server/boot.ts loads the VM first when the files have functions
 * (persistedNeedsVm below).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CommandSpec } from '../commands/spec.js';
import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import type { Subsystem } from '../server/subsystem.js';
import { dispatch } from '../server/dispatcher.js';
import { fullName } from '../commands/registry.js';
import { loadVm, vmLoaded } from './lua.js';
import { rdbFunctionCodes } from './functions.js';
import { manifestName, parseManifest } from '../persistence/aof-manifest.js';
import { rdbPath } from '../persistence/snapshot.js';

export class VmGate implements Subsystem {
  /** Clients holding a command until the VM is loaded, in arrival order, with that command. */
  private held = new Map<Client, string[]>();
  /** Resolved when the held commands have run (createServer().call() waits on it). */
  private released: Promise<void> | null = null;
  /** Set while held commands run after a failed load: they run (and get the VM's error) instead of waiting again. */
  private releasing = false;

  constructor(private readonly server: Server) {}

  /** Subsystem: a freed client's held command is forgotten. */
  clientFreed(c: Client): void {
    this.held.delete(c);
  }

  /**
   * Whether this command must wait for the VM (see the file comment).
   * Called by the dispatcher for commands declared mayNeedVm, while no VM was ever loaded.
   */
  needs(client: Client, cmd: CommandSpec, parent: CommandSpec | undefined, argv: string[]): boolean {
    if (this.releasing) return false;
    if (client.multiQueue !== null) {
      if (cmd.name !== 'exec') return false; // queued, not run
      return client.multiQueue.some(
        (q) => (q.parent ?? q.cmd).mayNeedVm === true && needsVm(this.server, q.cmd, q.parent, q.argv),
      );
    }
    return needsVm(this.server, cmd, parent, argv);
  }

  /** Holds a command until the VM is loaded (starting the load); the client reads no more input meanwhile. */
  hold(client: Client, argv: string[], cmd: CommandSpec, parent: CommandSpec | undefined): void {
    client.blocked = true;
    client.lastCmd = fullName(cmd, parent);
    this.held.set(client, argv);
    if (this.released !== null) return;
    this.released = loadVm().then(
      () =>
        // after the turn that loaded it, as CLIENT UNPAUSE resumes
        new Promise<void>((res) =>
          setImmediate(() => {
            this.released = null;
            this.resume();
            res();
          }),
        ),
    );
  }

  /** Whether the client's current command is held here. */
  holds(client: Client): boolean {
    return client.blocked && this.held.has(client);
  }

  /** Resolves once the commands held now have run (null when none is held). */
  get waiting(): Promise<void> | null {
    return this.released;
  }

  /** Re-dispatches each held command in order, then the rest of that client's input. */
  private resume(): void {
    const server = this.server;
    const held = this.held;
    this.held = new Map();
    this.releasing = true;
    try {
      for (const [c, argv] of held) {
        c.blocked = false;
        if (c.closed) continue;
        dispatch(server, c, argv);
        if (!c.blocked) server.conns.processInput(c);
        else server.beforeSleep.queue(c);
      }
    } finally {
      this.releasing = false;
    }
  }
}

/** needs() for one command outside a transaction. */
function needsVm(server: Server, cmd: CommandSpec, parent: CommandSpec | undefined, argv: string[]): boolean {
  const name = (parent ?? cmd).name;
  if (name === 'eval' || name === 'eval_ro') return true;
  if (parent !== undefined && (name === 'script' || name === 'function')) {
    return cmd.name === 'load' || cmd.name === 'restore';
  }
  if (name === 'debug' && argv.length >= 2) {
    const sub = argv[1]!.toLowerCase();
    if (sub === 'reload') {
      // without NOSAVE the file is saved first: it has functions only if the server has (then a VM is loaded)
      return argv.slice(2).some((a) => a.toLowerCase() === 'nosave') && fileNeedsVm(rdbPath(server), true);
    }
    if (sub === 'loadaof') return persistedNeedsVm(server, 'aof');
  }
  return false;
}

/**
 * Whether the files the start (or DEBUG LOADAOF) loads may need the VM:
 * the RDB file's function records (they come before any key), or, for the
 * AOF, the base's records and a FUNCTION or script command in any file the
 * manifest names (and a pre-7.0 single file). Reads the files; a file it cannot read
 * counts as none (the load itself reports it).
 */
export function persistedNeedsVm(server: Server, what: 'rdb' | 'aof'): boolean {
  if (what === 'rdb') return fileNeedsVm(rdbPath(server), true);
  const aof = server.aof;
  const files = [path.join(aof.serverDir, aof.filename)];
  try {
    const m = parseManifest(fs.readFileSync(path.join(aof.dir, manifestName(aof.filename)), 'latin1'));
    for (const f of m.loadOrder()) files.push(path.join(aof.dir, f.name));
  } catch {
    // no manifest (or a bad one: the load says so)
  }
  return files.some((f) => fileNeedsVm(f, false));
}

/**
 * Before a start or load that replays the AOF (by a client no gate holds):
 * loads the VM when no VM was ever loaded and the files have functions.
 */
export async function vmForAof(server: Server): Promise<void> {
  if (!vmLoaded() && persistedNeedsVm(server, 'aof')) await loadVm();
}

/**
 * The commands of an AOF that run in the VM: FUNCTION (LOAD, RESTORE), and
 * EVAL, EVALSHA and SCRIPT, which tsdis does not write (it propagates a
 * script's effects) but an AOF of Redis before 7.0 has.
 */
const VM_COMMANDS = ['function', 'eval', 'eval_ro', 'evalsha', 'evalsha_ro', 'script'];

/** fileNeedsVm for an AOF file's bytes: an RDB image's function records, or a VM_COMMANDS command after it. */
export function aofBytesNeedVm(buf: Buffer): boolean {
  if (buf.length >= 9 && buf.latin1Slice(0, 5) === 'REDIS' && rdbHasFunctions(buf)) return true;
  // a bulk string that is one of the names, in any case: "$8\r\nfunction\r\n" (an RDB's or a value's bytes may match too: harmless)
  for (const name of VM_COMMANDS) {
    const head = `$${name.length}\r\n`;
    const end = head.length + name.length;
    for (let i = buf.indexOf(head); i !== -1; i = buf.indexOf(head, i + head.length)) {
      if (buf.length >= i + end + 2 && buf.latin1Slice(i + head.length, i + end).toLowerCase() === name) return true;
    }
  }
  return false;
}

/** Whether an RDB file (`rdb`) or an AOF file needs the VM (a file that cannot be read: no). */
function fileNeedsVm(file: string, rdb: boolean): boolean {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch {
    return false;
  }
  return rdb ? buf.length >= 9 && rdbHasFunctions(buf) : aofBytesNeedVm(buf);
}

/** Whether an RDB image has a function record (they follow the header's aux fields). */
export function rdbHasFunctions(rdb: Buffer): boolean {
  return rdbFunctionCodes(rdb).next().done !== true;
}
