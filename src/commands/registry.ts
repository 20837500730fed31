/**
 * The command table: every group's declarations in one lookup. Lookups are
 * case-insensitive; the common spellings (lower and upper case) hit the Map
 * directly, others are lowercased once.
 */
import type { CommandSpec } from './spec.js';

export class CommandTable {
  private readonly byName = new Map<string, CommandSpec>();
  readonly all: CommandSpec[] = [];

  register(specs: readonly CommandSpec[]): void {
    for (const s of specs) {
      if (this.byName.has(s.name)) throw new Error(`command ${s.name} declared twice`);
      this.all.push(s);
      this.byName.set(s.name, s);
      this.byName.set(s.name.toUpperCase(), s);
    }
  }

  lookup(name: string): CommandSpec | undefined {
    return this.byName.get(name) ?? this.byName.get(name.toLowerCase());
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
