/**
 * The command table: every group's declarations in one lookup. Lookups are
 * case-insensitive; the common spellings (lower and upper case) hit the Map
 * directly, others are lowercased once.
 */
import type { CommandSpec } from './spec.js';

export class CommandTable {
  private readonly byName = new Map<string, CommandSpec>();
  /** Every command by its own name, whatever rename-command did (the AOF loader's fallback). */
  private readonly original = new Map<string, CommandSpec>();
  /** The commands clients can call (COMMAND COUNT/LIST/INFO): a removed one is gone. */
  readonly all: CommandSpec[] = [];

  register(specs: readonly CommandSpec[]): void {
    for (const s of specs) {
      if (this.byName.has(s.name)) throw new Error(`command ${s.name} declared twice`);
      this.all.push(s);
      this.byName.set(s.name, s);
      this.byName.set(s.name.toUpperCase(), s);
      this.original.set(s.name, s);
    }
  }

  /**
   * redis.conf's `rename-command from to`: the command answers to `to` only,
   * or to nothing when `to` is empty. Returns Redis's error text, or null.
   */
  rename(from: string, to: string): string | null {
    const spec = this.lookup(from);
    if (spec === undefined) return 'No such command in rename-command';
    const target = to.toLowerCase();
    if (target !== '' && this.lookup(target) !== undefined && this.lookup(target) !== spec)
      return 'Target command name already exists';
    for (const [k, v] of this.byName) if (v === spec) this.byName.delete(k);
    if (target === '') this.all.splice(this.all.indexOf(spec), 1);
    else {
      this.byName.set(target, spec);
      this.byName.set(to.toUpperCase(), spec);
    }
    return null;
  }

  lookup(name: string): CommandSpec | undefined {
    return this.byName.get(name) ?? this.byName.get(name.toLowerCase());
  }

  /**
   * lookup(), else the command by its own name (Redis's
   * lookupCommandOrOriginal): the AOF holds what tsdis wrote (DEL for an
   * expiry, PEXPIREAT...) even when a config renames those commands.
   */
  lookupOrOriginal(name: string): CommandSpec | undefined {
    return this.lookup(name) ?? this.original.get(name.toLowerCase());
  }
}

/** A container's subcommand by name (case-insensitive). */
export function lookupSub(parent: CommandSpec, name: string): CommandSpec | undefined {
  const l = name.toLowerCase();
  return parent.subcommands?.find((s) => s.name === l);
}

/** "config|get" for subcommands, "get" otherwise. */
export function fullName(cmd: CommandSpec, parent?: CommandSpec): string {
  return parent ? `${parent.name}|${cmd.name}` : cmd.name;
}
