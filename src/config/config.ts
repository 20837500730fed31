/**
 * Configuration: one table of parameters (params.ts) with their types,
 * defaults, aliases and effects. The CLI, redis.conf parsing, CONFIG GET/SET/
 * REWRITE and the server all go through this class.
 *
 * Values are kept parsed (numbers for int/memory, booleans for bool, strings
 * otherwise) in `v`, keyed by the canonical name, so hot paths read
 * `config.v['proto-max-bulk-len']` without parsing.
 */
import { PARAMS, type ParamDef } from './params.js';
import { ReplyError } from '../protocol/errors.js';

export class Config {
  /** Parsed values by canonical name. */
  readonly v: Record<string, any> = Object.create(null);
  private readonly byName = new Map<string, ParamDef>();
  /** Called after a parameter changes (the server applies effects). */
  onChange: ((name: string) => void) | null = null;
  /** The config file this server was started with (for CONFIG REWRITE). */
  configFile: string | null = null;

  constructor() {
    for (const p of PARAMS) {
      this.byName.set(p.name, p);
      for (const a of p.aliases ?? []) this.byName.set(a, p);
      this.v[p.name] = p.parse ? p.parse(p.default, this) : parseByType(p, p.default);
    }
  }

  /** The definition of a parameter by name or alias (case-insensitive). */
  def(name: string): ParamDef | undefined {
    return this.byName.get(name.toLowerCase());
  }

  /** All definitions, canonical ones only. */
  defs(): readonly ParamDef[] {
    return PARAMS;
  }

  /** A parameter's value formatted as CONFIG GET shows it. */
  format(p: ParamDef): string {
    const val = this.v[p.name];
    if (p.format) return p.format(val, this);
    return formatByType(p, val);
  }

  /**
   * Sets a parameter from its text form. Throws a ReplyError-shaped message
   * (without the CONFIG SET prefix) when invalid. `startup` allows immutable ones.
   */
  set(name: string, value: string, startup = false): void {
    const p = this.def(name);
    if (!p) throw new ReplyError(`ERR Unknown option or number of arguments for CONFIG SET - '${name}'`);
    if (p.immutable && !startup) throw new ConfigValueError(`can't set immutable config`);
    const parsed = p.parse ? p.parse(value, this) : parseByType(p, value);
    this.v[p.name] = parsed;
    if (this.onChange) this.onChange(p.name);
  }
}

/** A bad value for a parameter; CONFIG SET wraps the text in its own message. */
export class ConfigValueError extends Error {}

const MEM_UNITS: Record<string, number> = {
  '': 1, b: 1, k: 1000, kb: 1024, m: 1000 * 1000, mb: 1024 * 1024, g: 1000 * 1000 * 1000, gb: 1024 * 1024 * 1024,
};

/** Parses Redis memory notation: 1gb, 100mb, 5k, 42. Returns null when invalid. */
export function parseMemory(s: string): number | null {
  const m = /^(-?\d+)([a-z]*)$/i.exec(s);
  if (!m) return null;
  const unit = MEM_UNITS[m[2]!.toLowerCase()];
  if (unit === undefined) return null;
  return Number(m[1]) * unit;
}

export function parseByType(p: ParamDef, value: string): unknown {
  switch (p.type) {
    case 'bool': {
      const l = value.toLowerCase();
      if (l === 'yes') return true;
      if (l === 'no') return false;
      throw new ConfigValueError(`argument must be 'yes' or 'no'`);
    }
    case 'int':
    case 'memory': {
      let n: number | null;
      if (p.type === 'memory') n = parseMemory(value);
      else n = /^-?\d+$/.test(value) ? Number(value) : null;
      if (n === null || !Number.isFinite(n)) {
        throw new ConfigValueError(p.type === 'memory' ? 'argument must be a memory value' : 'argument couldn\'t be parsed into an integer');
      }
      if ((p.min !== undefined && n < p.min) || (p.max !== undefined && n > p.max)) {
        throw new ConfigValueError(`argument must be between ${p.min} and ${p.max} inclusive`);
      }
      return n;
    }
    case 'enum': {
      const l = value.toLowerCase();
      if (!p.values!.includes(l)) throw new ConfigValueError(`argument(s) must be one of the following: ${p.values!.join(', ')}`);
      return l;
    }
    default:
      return value;
  }
}

export function formatByType(p: ParamDef, val: unknown): string {
  switch (p.type) {
    case 'bool':
      return val ? 'yes' : 'no';
    default:
      return String(val);
  }
}
