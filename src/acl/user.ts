/**
 * ACL users and selectors as Redis 7.2 keeps them (src/acl.c): a user has
 * flags (on/off, nopass, sanitize-payload), SHA-256 password hashes and an
 * ordered list of selectors, the first being the root selector (the rules
 * outside parentheses). A selector holds which commands may run (a byte per
 * command id, plus Redis's reserved "future commands" bit that only +@all
 * sets), allowed first arguments (+select|0), key patterns with read/write
 * permissions and channel patterns, and `rules`: the command rules in the
 * order they were given, which is how 7.2 describes them back (ACL LIST,
 * GETUSER). Pure data and rule parsing; no I/O.
 */
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import type { CommandSpec } from '../commands/spec.js';
import { ACL_CATEGORIES, aclCategories } from '../commands/command.js';
import { globMatch } from '../util/glob.js';
import { splitArgs } from '../protocol/parser.js';

/** Check results, numbered as Redis's ACL_OK / ACL_DENIED_* (the larger wins when selectors disagree). */
export const ACL_OK = 0;
export const DENIED_CMD = 1;
export const DENIED_KEY = 2;
export const DENIED_AUTH = 3;
export const DENIED_CHANNEL = 4;

/** Key pattern permissions (Redis's ACL_READ_PERMISSION / ACL_WRITE_PERMISSION). */
export const PERM_READ = 1;
export const PERM_WRITE = 2;
export const PERM_ALL = 3;

/** Why ACLSetUser refused a rule (Redis's errno values; ACLSetUserStringError gives the text). */
export type RuleError = 'ENOENT' | 'EINVAL' | 'EEXIST' | 'EISDIR' | 'ENODEV' | 'EBADMSG' | 'ECHILD' | 'EALREADY';

/** Redis's ACLSetUserStringError texts. */
export function ruleErrorText(e: RuleError): string {
  switch (e) {
    case 'ENOENT':
      return 'Unknown command or category name in ACL';
    case 'EINVAL':
      return 'Syntax error';
    case 'EEXIST':
      return "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns";
    case 'EISDIR':
      return "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels";
    case 'ENODEV':
      return 'The password you are trying to remove from the user does not exist';
    case 'EBADMSG':
      return 'The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters';
    case 'EALREADY':
      return 'Duplicate user found. A user can only be defined once in config files';
    case 'ECHILD':
      return 'Allowing first-arg of a subcommand is not supported';
  }
}

/** A rule that could not be applied. */
export class RuleFailure extends Error {
  constructor(readonly code: RuleError) {
    super(code);
  }
}

/**
 * The command table as ACL sees it: the original commands (rename-command
 * does not change ACL rules, as in Redis's orig_commands), each command's
 * and subcommand's categories as a bit mask, and the id space the selectors'
 * command bytes cover. Made once per server by the Acl subsystem.
 */
export class AclCommands {
  /** Every command and subcommand, parents first. */
  readonly specs: { spec: CommandSpec; parent: CommandSpec | undefined; fullname: string; cats: number }[] = [];
  private readonly byName = new Map<string, CommandSpec>();
  /** Category bit mask by command id. */
  readonly cats: Uint32Array;
  /** Command id → its parent's id + 1, 0 for top-level commands. */
  readonly parentOf: Int32Array;
  /** The size of a selector's command byte array: the largest id + 2 (the last byte is the future-commands bit). */
  readonly size: number = 0;
  /**
   * How to find each command's keys, by id, made once: undefined when it
   * has none, null when only keys-of.ts's general lookup finds them
   * (keywords, numkeys, flags that vary with the arguments), else fixed
   * ranges with the permission each needs (no allocation per check).
   */
  readonly keyPlans: (KeyPlan[] | null | undefined)[] = [];
  /** Channel arguments by id: 0 none, 1 argv[1] (PUBLISH), 2 every argument (SUBSCRIBE), 3 every argument as a pattern. */
  readonly channels: Uint8Array;
  /** no_auth commands by id (always allowed: AUTH, HELLO, QUIT, RESET). */
  readonly noAuth: Uint8Array;

  constructor(commands: readonly CommandSpec[]) {
    let max = 0;
    for (const c of commands) {
      max = Math.max(max, c.id!);
      for (const s of c.subcommands ?? []) max = Math.max(max, s.id!);
    }
    this.size = max + 2;
    this.cats = new Uint32Array(this.size);
    this.parentOf = new Int32Array(this.size);
    this.channels = new Uint8Array(this.size);
    this.noAuth = new Uint8Array(this.size);
    for (const c of commands) {
      this.add(c, undefined);
      for (const s of c.subcommands ?? []) this.add(s, c);
    }
  }

  private add(spec: CommandSpec, parent: CommandSpec | undefined): void {
    let mask = 0;
    for (const cat of aclCategories(spec)) mask |= 1 << ACL_CATEGORIES.indexOf(cat);
    const fullname = parent ? `${parent.name}|${spec.name}` : spec.name;
    this.specs.push({ spec, parent, fullname, cats: mask });
    this.cats[spec.id!] = mask;
    this.keyPlans[spec.id!] = keyPlan(spec);
    if (spec.flags.includes('no_auth')) this.noAuth[spec.id!] = 1;
    if (!parent) this.channels[spec.id!] = CHANNEL_ARGS[spec.name] ?? 0;
    if (parent) this.parentOf[spec.id!] = parent.id! + 1;
    else this.byName.set(spec.name, spec);
  }

  /** A command by name, or `cmd|sub` (Redis's ACLLookupCommand, strict: `get|x` is no command). */
  lookup(name: string): { spec: CommandSpec; parent: CommandSpec | undefined } | undefined {
    const parts = name.toLowerCase().split('|');
    if (parts.length > 2) return undefined;
    const base = this.byName.get(parts[0]!);
    if (base === undefined) return undefined;
    if (parts.length === 1) return { spec: base, parent: undefined };
    if (!base.subcommands) return undefined;
    const sub = base.subcommands.find((s) => s.name === parts[1]);
    return sub === undefined ? undefined : { spec: sub, parent: base };
  }

  /** The category bit of a name (without '@'), case-insensitive; 0 when unknown. */
  categoryBit(name: string): number {
    const i = ACL_CATEGORIES.indexOf(name.toLowerCase() as (typeof ACL_CATEGORIES)[number]);
    return i < 0 ? 0 : 1 << i;
  }
}

/** Keys at fixed positions: argv[first] to `lastkey` (>= 0: relative to first; < 0: from the end), every `step`-th. */
export interface KeyPlan {
  first: number;
  lastkey: number;
  step: number;
  /** PERM_* the keys need. */
  need: number;
  /**
   * The flags vary with the arguments (SET ... GET reads the key): `need`
   * does not hold, so the plan serves only selectors whose patterns all
   * allow read and write (Selector.fullPatterns), where the flags change nothing.
   */
  variable: boolean;
}

/** The channel arguments of the commands ACL checks channels for. */
const CHANNEL_ARGS: Record<string, number> = { publish: 1, spublish: 1, subscribe: 2, ssubscribe: 2, psubscribe: 3 };

/** What a key's spec flags ask of a key pattern (Redis: access → read; insert, delete, update → write). */
export function keyNeed(flags: readonly string[]): number {
  let need = 0;
  for (const f of flags) {
    if (f === 'access') need |= PERM_READ;
    else if (f === 'insert' || f === 'delete' || f === 'update') need |= PERM_WRITE;
  }
  return need;
}

/**
 * A command's keys as fixed ranges, when its key specs say all (see
 * AclCommands.keyPlans): undefined for no keys, null when the general
 * lookup is needed.
 */
function keyPlan(spec: CommandSpec): KeyPlan[] | null | undefined {
  const specs = (spec.keySpecs ?? []).filter((k) => !k.flags.includes('not_key'));
  if (specs.length === 0) return spec.getKeys === undefined ? undefined : null;
  const out: KeyPlan[] = [];
  for (const k of specs) {
    if (k.flags.includes('incomplete')) return null;
    if (k.begin === null || !('index' in k.begin)) return null;
    if (k.find === null || !('lastkey' in k.find) || k.find.limit !== 0) return null;
    const variable = k.flags.includes('variable_flags');
    out.push({ first: k.begin.index, lastkey: k.find.lastkey, step: k.find.keystep, need: keyNeed(k.flags), variable });
  }
  return out;
}

/** A key pattern and what it permits (PERM_*). */
export interface KeyPattern {
  pattern: string;
  flags: number;
  /** How it matches: 0 everything (`*`), 1 a prefix then `*`, 2 exactly, 3 a glob. */
  kind: number;
  /** The prefix (kind 1) or the literal (kind 2). */
  lit: string;
}

/** A key pattern with the shortcut its shape allows (most are `prefix*`). */
function keyPattern(pattern: string, flags: number): KeyPattern {
  const special = /[*?[\\]/;
  let kind = 3;
  let lit = '';
  if (pattern === '*') kind = 0;
  else if (!special.test(pattern)) {
    kind = 2;
    lit = pattern;
  } else if (pattern.endsWith('*') && !special.test(pattern.slice(0, -1))) {
    kind = 1;
    lit = pattern.slice(0, -1);
  }
  return { pattern, flags, kind, lit };
}

/** One selector: the root one (the user's own rules) or one given in parentheses. */
export class Selector {
  allKeys = false;
  allChannels = false;
  allCommands = false;
  /** One byte per command id; the last byte is Redis's reserved "future commands" bit. */
  allowed: Uint8Array;
  /** Allowed first arguments of otherwise denied commands, by command id. */
  firstArgs: Map<number, string[]> | null = null;
  patterns: KeyPattern[] = [];
  /** Every key pattern allows read and write (`~pat`): a key's flags need not be known (KeyPlan.variable). */
  fullPatterns = true;
  channels: string[] = [];
  /** The command rules in order (`+get`, `-@write`, `+select|0`), lowercase. */
  rules: string[] = [];

  constructor(
    readonly cmds: AclCommands,
    readonly root: boolean,
    /** acl-pubsub-default is allchannels: a new selector starts with every channel. */
    pubsubAll: boolean,
  ) {
    this.allowed = new Uint8Array(cmds.size);
    this.allChannels = pubsubAll;
  }

  clone(): Selector {
    const s = new Selector(this.cmds, this.root, this.allChannels);
    s.allKeys = this.allKeys;
    s.allCommands = this.allCommands;
    s.allowed = this.allowed.slice();
    s.firstArgs = this.firstArgs === null ? null : new Map([...this.firstArgs].map(([k, v]) => [k, [...v]]));
    s.patterns = this.patterns.map((p) => ({ ...p }));
    s.fullPatterns = this.fullPatterns;
    s.channels = [...this.channels];
    s.rules = [...this.rules];
    return s;
  }

  /** Redis's ACLSelectorCanExecuteFutureCommands: set by +@all / allcommands only. */
  get future(): boolean {
    return this.allowed[this.cmds.size - 1] === 1;
  }

  /** Allows or denies a command, and every subcommand of a container (Redis's ACLChangeSelectorPerm). */
  private changePerm(spec: CommandSpec, allow: boolean): void {
    this.setBit(spec.id!, allow);
    this.firstArgs?.delete(spec.id!);
    for (const s of spec.subcommands ?? []) this.setBit(s.id!, allow);
  }

  private setBit(id: number, allow: boolean): void {
    this.allowed[id] = allow ? 1 : 0;
    if (!allow) this.allCommands = false;
  }

  /** Keeps the ordered rules (Redis's ACLUpdateCommandRules): an earlier rule for the same command (or its subcommands) goes. */
  private updateRules(rule: string, allow: boolean): void {
    const r = rule.toLowerCase();
    this.rules = this.rules.filter((t) => {
      const body = t.slice(1);
      return !(body === r || (body.length > r.length && body.startsWith(r) && body[r.length] === '|'));
    });
    this.rules.push((allow ? '+' : '-') + r);
  }

  /** Applies one selector rule (Redis's ACLSetSelector). Throws RuleFailure. */
  apply(op: string): void {
    const lower = op.toLowerCase();
    if (lower === 'allkeys' || op === '~*') {
      this.allKeys = true;
      this.patterns = [];
      this.fullPatterns = true;
    } else if (lower === 'resetkeys') {
      this.allKeys = false;
      this.patterns = [];
      this.fullPatterns = true;
    } else if (lower === 'allchannels' || op === '&*') {
      this.allChannels = true;
      this.channels = [];
    } else if (lower === 'resetchannels') {
      this.allChannels = false;
      this.channels = [];
    } else if (lower === 'allcommands' || lower === '+@all') {
      this.allowed.fill(1);
      this.allCommands = true;
      this.rules = [];
      this.firstArgs = null;
    } else if (lower === 'nocommands' || lower === '-@all') {
      this.allowed.fill(0);
      this.allCommands = false;
      this.rules = [];
      this.firstArgs = null;
    } else if (op[0] === '~' || op[0] === '%') {
      this.addKeyPattern(op);
    } else if (op[0] === '&') {
      if (this.allChannels) throw new RuleFailure('EISDIR');
      const pat = op.slice(1);
      if (hasSpaces(pat)) throw new RuleFailure('EINVAL');
      if (!this.channels.includes(pat)) this.channels.push(pat);
      this.allChannels = false;
    } else if (op[0] === '+' && op[1] !== '@') {
      this.allowCommand(op.slice(1));
    } else if (op[0] === '-' && op[1] !== '@') {
      const found = this.cmds.lookup(op.slice(1));
      if (found === undefined) throw new RuleFailure('ENOENT');
      this.changePerm(found.spec, false);
      this.updateRules(fullName(found), false);
    } else if ((op[0] === '+' || op[0] === '-') && op[1] === '@') {
      const bit = this.cmds.categoryBit(op.slice(2));
      if (bit === 0) throw new RuleFailure('ENOENT');
      const allow = op[0] === '+';
      this.updateRules(op.slice(1), allow);
      for (const e of this.cmds.specs) if ((e.cats & bit) !== 0) this.changePerm(e.spec, allow);
    } else throw new RuleFailure('EINVAL');
  }

  /** `~pat`, `%R~pat`, `%W~pat`, `%RW~pat`. */
  private addKeyPattern(op: string): void {
    if (this.allKeys) throw new RuleFailure('EEXIST');
    let flags = 0;
    let offset = 1;
    if (op[0] === '%') {
      for (; offset < op.length; offset++) {
        const c = op[offset]!.toUpperCase();
        if (c === 'R' && (flags & PERM_READ) === 0) flags |= PERM_READ;
        else if (c === 'W' && (flags & PERM_WRITE) === 0) flags |= PERM_WRITE;
        else if (op[offset] === '~') {
          offset++;
          break;
        } else throw new RuleFailure('EINVAL');
      }
    } else flags = PERM_ALL;
    const pat = op.slice(offset);
    if (hasSpaces(pat)) throw new RuleFailure('EINVAL');
    const have = this.patterns.find((p) => p.pattern === pat);
    if (have) have.flags |= flags;
    else this.patterns.push(keyPattern(pat, flags));
    this.fullPatterns = this.patterns.every((p) => p.flags === PERM_ALL);
    this.allKeys = false;
  }

  /** `+cmd`, `+cmd|sub`, `+cmd|firstarg`. */
  private allowCommand(name: string): void {
    const bar = name.lastIndexOf('|');
    if (bar < 0) {
      const found = this.cmds.lookup(name);
      if (found === undefined) throw new RuleFailure('ENOENT');
      this.changePerm(found.spec, true);
      this.updateRules(fullName(found), true);
      return;
    }
    const base = this.cmds.lookup(name.slice(0, bar));
    if (base === undefined) throw new RuleFailure('ENOENT');
    if (base.parent !== undefined) throw new RuleFailure('ECHILD');
    const sub = name.slice(bar + 1);
    if (sub === '') throw new RuleFailure('EINVAL');
    if (base.spec.subcommands) {
      const found = this.cmds.lookup(name);
      if (found === undefined) throw new RuleFailure('ENOENT');
      this.changePerm(found.spec, true);
    } else {
      const id = base.spec.id!;
      this.firstArgs ??= new Map();
      const list = this.firstArgs.get(id) ?? [];
      if (!list.some((a) => a.toLowerCase() === sub.toLowerCase())) list.push(sub);
      this.firstArgs.set(id, list);
    }
    this.updateRules(name, true);
  }

  /** The command part of the description: `+@all`/`-@all` then the rules (Redis's ACLDescribeSelectorCommandRules). */
  describeCommands(): string {
    const head = this.future ? '+@all' : '-@all';
    return this.rules.length === 0 ? head : `${head} ${this.rules.join(' ')}`;
  }

  /** Keys, channels and commands as ACL LIST writes them (Redis's ACLDescribeSelector). */
  describe(): string {
    let res = '';
    if (this.allKeys) res += '~* ';
    else for (const p of this.patterns) res += describePattern(p) + ' ';
    if (this.allChannels) res += '&* ';
    else {
      res += 'resetchannels ';
      for (const c of this.channels) res += `&${c} `;
    }
    return res + this.describeCommands();
  }

  /** GETUSER's `keys` value. */
  describeKeys(): string {
    return this.allKeys ? '~*' : this.patterns.map(describePattern).join(' ');
  }

  /** GETUSER's `channels` value. */
  describeChannels(): string {
    return this.allChannels ? '&*' : this.channels.map((c) => `&${c}`).join(' ');
  }

  /** Whether the command may run (its bit, or an allowed first argument), no_auth commands always. */
  canRun(spec: CommandSpec, parent: CommandSpec | undefined, argv: readonly string[]): boolean {
    const id = spec.id!;
    if (this.allCommands || this.allowed[id] === 1 || this.cmds.noAuth[id] === 1) return true;
    const firsts = this.firstArgs?.get(id);
    if (firsts === undefined || argv.length < 2) return false;
    const arg = argv[parent ? 2 : 1];
    if (arg === undefined) return false;
    const a = arg.toLowerCase();
    return firsts.some((f) => f.toLowerCase() === a);
  }

  /** Whether a key may be touched with the given permissions (Redis's ACLSelectorCheckKey). */
  keyAllowed(key: string, need: number): boolean {
    if (this.allKeys) return true;
    const pats = this.patterns;
    for (let i = 0; i < pats.length; i++) {
      const p = pats[i]!;
      if ((p.flags & need) !== need) continue;
      const k = p.kind;
      if (k === 0 || (k === 1 ? key.startsWith(p.lit) : k === 2 ? key === p.lit : globMatch(p.pattern, key)))
        return true;
    }
    return false;
  }

  /** Whether every key may be accessed with `need` (Redis's ACLSelectorHasUnrestrictedKeyAccess). */
  unrestrictedKeys(need: number): boolean {
    if (this.allKeys) return true;
    return this.patterns.some((p) => (p.flags & need) === need && p.pattern === '*');
  }

  /** A channel (or a PSUBSCRIBE pattern, matched literally) against this selector's channel patterns. */
  channelAllowed(channel: string, isPattern: boolean): boolean {
    return this.allChannels || channelInList(this.channels, channel, isPattern);
  }
}

/** A channel against a list of patterns: a pattern given to PSUBSCRIBE only matches literally (Redis's ACLCheckChannelAgainstList). */
export function channelInList(list: readonly string[], channel: string, isPattern: boolean): boolean {
  for (const p of list) {
    if (isPattern ? p === channel : globMatch(p, channel)) return true;
  }
  return false;
}

function fullName(found: { spec: CommandSpec; parent: CommandSpec | undefined }): string {
  return found.parent ? `${found.parent.name}|${found.spec.name}` : found.spec.name;
}

function describePattern(p: KeyPattern): string {
  const prefix = p.flags === PERM_ALL ? '~' : p.flags === PERM_READ ? '%R~' : '%W~';
  return prefix + p.pattern;
}

/** Spaces or NUL (Redis's ACLStringHasSpaces: isspace or 0). */
export function hasSpaces(s: string): boolean {
  return /[\s\0\v]/.test(s);
}

/** SHA-256 of a password's bytes, lowercase hex (Redis's ACLHashPassword). */
export function hashPassword(pass: string): string {
  return createHash('sha256').update(Buffer.from(pass, 'latin1')).digest('hex');
}

/** A valid `#hash`: 64 lowercase hex digits. */
function validHash(h: string): boolean {
  return /^[0-9a-f]{64}$/.test(h);
}

export class User {
  enabled = false;
  nopass = false;
  /** sanitize-payload (true) or skip-sanitize-payload (false). */
  sanitize = true;
  /** SHA-256 hex hashes, in the order added. */
  passwords: string[] = [];
  selectors: Selector[];
  /**
   * The root selector allows every command, key and channel, and there are
   * no other selectors: the dispatcher's gate skips this user with one field
   * read (recomputed by refresh() after every change).
   */
  unrestricted = false;
  /** The ACL LIST description, cached until the user changes (Redis's acl_string). */
  private described: string | null = null;

  constructor(
    readonly name: string,
    readonly cmds: AclCommands,
    pubsubAll: boolean,
  ) {
    this.selectors = [new Selector(cmds, true, pubsubAll)];
  }

  get root(): Selector {
    return this.selectors[0]!;
  }

  /** Takes every rule of `src` (Redis's ACLCopyUser); the name stays. */
  copyFrom(src: User): void {
    this.enabled = src.enabled;
    this.nopass = src.nopass;
    this.sanitize = src.sanitize;
    this.passwords = [...src.passwords];
    this.selectors = src.selectors.map((s) => s.clone());
    this.refresh();
  }

  /** Recomputes what the cache fields say after a change. */
  refresh(): void {
    this.described = null;
    const r = this.root;
    this.unrestricted = this.selectors.length === 1 && r.allCommands && r.allKeys && r.allChannels;
  }

  /**
   * Applies one rule (Redis's ACLSetUser). `pubsubAll`: acl-pubsub-default
   * is allchannels (new selectors and `reset` start with every channel).
   * Throws RuleFailure; the caller stages changes on a copy.
   */
  apply(op: string, pubsubAll: boolean): void {
    this.described = null;
    if (op === '') return;
    const lower = op.toLowerCase();
    if (lower === 'on') this.enabled = true;
    else if (lower === 'off') this.enabled = false;
    else if (lower === 'skip-sanitize-payload') this.sanitize = false;
    else if (lower === 'sanitize-payload') this.sanitize = true;
    else if (lower === 'nopass') {
      this.nopass = true;
      this.passwords = [];
    } else if (lower === 'resetpass') {
      this.nopass = false;
      this.passwords = [];
    } else if (op[0] === '>' || op[0] === '#') {
      let h: string;
      if (op[0] === '>') h = hashPassword(op.slice(1));
      else {
        h = op.slice(1);
        if (!validHash(h)) throw new RuleFailure('EBADMSG');
      }
      if (!this.passwords.includes(h)) this.passwords.push(h);
      this.nopass = false;
    } else if (op[0] === '<' || op[0] === '!') {
      let h: string;
      if (op[0] === '<') h = hashPassword(op.slice(1));
      else {
        h = op.slice(1);
        if (!validHash(h)) throw new RuleFailure('EBADMSG');
      }
      const i = this.passwords.indexOf(h);
      if (i < 0) throw new RuleFailure('ENODEV');
      this.passwords.splice(i, 1);
    } else if (op[0] === '(' && op[op.length - 1] === ')') {
      const s = new Selector(this.cmds, false, pubsubAll);
      for (const o of splitArgs(op.slice(1, -1)) ?? []) s.apply(o);
      this.selectors.push(s);
    } else if (lower === 'clearselectors') {
      this.selectors = [this.root];
    } else if (lower === 'reset') {
      this.apply('resetpass', pubsubAll);
      this.apply('resetkeys', pubsubAll);
      this.apply('resetchannels', pubsubAll);
      if (pubsubAll) this.apply('allchannels', pubsubAll);
      this.apply('off', pubsubAll);
      this.apply('sanitize-payload', pubsubAll);
      this.apply('clearselectors', pubsubAll);
      this.apply('-@all', pubsubAll);
    } else this.root.apply(op);
    this.refresh();
  }

  /** Whether a password opens this user (enabled, and nopass or a matching hash). */
  checkPassword(pass: string): boolean {
    if (!this.enabled) return false;
    if (this.nopass) return true;
    const h = hashPassword(pass);
    return this.passwords.includes(h);
  }

  /** The rules as ACL LIST writes them, after `user <name> ` (Redis's ACLDescribeUser). */
  describe(): string {
    if (this.described !== null) return this.described;
    let res = this.enabled ? 'on ' : 'off ';
    if (this.nopass) res += 'nopass ';
    res += this.sanitize ? 'sanitize-payload ' : 'skip-sanitize-payload ';
    for (const p of this.passwords) res += `#${p} `;
    res += this.root.describe();
    for (let i = 1; i < this.selectors.length; i++) res += ` (${this.selectors[i]!.describe()})`;
    this.described = res;
    return res;
  }

  /** GETUSER's flags, in Redis's order. */
  flagNames(): string[] {
    const out = [this.enabled ? 'on' : 'off'];
    if (this.nopass) out.push('nopass');
    out.push(this.sanitize ? 'sanitize-payload' : 'skip-sanitize-payload');
    return out;
  }
}

/**
 * Merges selector rules spread over several arguments (`(+get`, `~key)`)
 * into one (Redis's ACLMergeSelectorArguments). Returns the index of an
 * unclosed opening argument instead when a parenthesis is left open.
 */
export function mergeSelectorArgs(args: readonly string[]): string[] | { open: number } {
  const out: string[] = [];
  let open = -1;
  let sel = '';
  for (let j = 0; j < args.length; j++) {
    const op = args[j]!;
    if (open === -1 && op[0] === '(' && op[op.length - 1] !== ')') {
      sel = op;
      open = j;
      continue;
    }
    if (open !== -1) {
      sel += ' ' + op;
      if (op[op.length - 1] === ')') {
        open = -1;
        out.push(sel);
      }
      continue;
    }
    out.push(op);
  }
  return open !== -1 ? { open } : out;
}
