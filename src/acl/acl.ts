/**
 * The ACL subsystem (Redis 7.2's src/acl.c): the users, the permission
 * checks the dispatcher, EXEC and scripts ask for, the ACL log, the ACL file
 * and `user` lines of redis.conf, `requirepass` as the default user's
 * password, and disconnecting clients whose user was deleted (or whose
 * pub/sub permissions shrank).
 *
 * The hot path: every client points at its User; a user whose root selector
 * allows everything and has no other selector is `unrestricted`, and the
 * dispatcher's gate reads only that field (the default user, unless
 * changed). Everything else here runs for restricted users only.
 */
import { Buffer } from 'node:buffer';
import process from 'node:process';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Server } from '../server/server.js';
import type { Client } from '../server/client.js';
import type { Subsystem } from '../server/subsystem.js';
import type { CommandSpec } from '../commands/spec.js';
import { lookupSub } from '../commands/registry.js';
import { ALL_COMMANDS } from '../commands/index.js';
import { keysAndFlagsOf } from '../commands/keys-of.js';
import { clientInfoLine } from '../observability/clientlist.js';
import { Err } from '../protocol/errors.js';
import { replaceFile } from '../util/files.js';
import { ConfigFatalLog, strerror } from '../config/file.js';
import {
  ACL_OK,
  DENIED_AUTH,
  DENIED_CHANNEL,
  DENIED_CMD,
  DENIED_KEY,
  AclCommands,
  RuleFailure,
  User,
  channelInList,
  hasSpaces,
  keyNeed,
  mergeSelectorArgs,
  ruleErrorText,
  type Selector,
} from './user.js';
import type { ParamName } from '../config/params.js';

/** Where a denial happened (ACL LOG `context`). */
export type LogContext = 'toplevel' | 'multi' | 'lua' | 'module';

/** One ACL LOG entry. */
interface LogEntry {
  count: number;
  reason: number;
  context: LogContext;
  object: string;
  username: string;
  /** Last update (ms). */
  ctime: number;
  cinfo: string;
  entryId: number;
  created: number;
}

/** Entries this close in time (ms) with the same reason, context, object and user are one entry (Redis's grouping). */
const LOG_GROUPING_MS = 60000;

export class Acl implements Subsystem {
  readonly cmds: AclCommands;
  /** Every user by name (listed sorted by name, as Redis's rax). */
  users = new Map<string, User>();
  /** The user every connection starts as; the same object for the server's life (ACL LOAD copies into it). */
  readonly defaultUser: User;
  /** Newest first. */
  log: LogEntry[] = [];
  /** Entries ever created (the next entry-id). */
  private logEntries = 0;
  /** acl-pubsub-default is allchannels. */
  pubsubAll = false;
  /** `user` lines of redis.conf, loaded at start (Redis's UsersToLoad). */
  private configured: string[][] = [];
  /** The index set by the last check() that failed: the key or channel argument denied (0 for the command). */
  deniedAt = 0;

  constructor(private readonly server: Server) {
    this.cmds = new AclCommands(ALL_COMMANDS);
    this.defaultUser = this.newDefaultUser();
    this.users.set('default', this.defaultUser);
  }

  /** Redis's ACLCreateDefaultUser: +@all ~* &* on nopass. */
  private newDefaultUser(): User {
    const u = new User('default', this.cmds, this.pubsubAll);
    for (const op of ['+@all', '~*', '&*', 'on', 'nopass']) u.apply(op, this.pubsubAll);
    return u;
  }

  configChanged(name: ParamName | null): void {
    const v = this.server.config.v;
    if (name === null || name === 'acl-pubsub-default') this.pubsubAll = v['acl-pubsub-default'] === 'allchannels';
    if (name === null || name === 'requirepass') this.setDefaultPassword(v['requirepass']);
    if (name === 'acllog-max-len') this.trimLog();
    if (name === null && v['aclfile'] !== '') {
      const err = this.loadFile();
      if (err !== null) throw new ConfigFatalLog(`Aborting Redis startup because of ACL errors: ${err}`);
    }
  }

  /** requirepass: the default user's only password, or nopass when empty (Redis's ACLUpdateDefaultUserPassword). */
  setDefaultPassword(pass: string): void {
    const u = this.defaultUser;
    u.apply('resetpass', this.pubsubAll);
    u.apply(pass === '' ? 'nopass' : '>' + pass, this.pubsubAll);
  }

  /** Whether a client that has not authenticated must (Redis's authRequired, less the client's flag). */
  get authRequired(): boolean {
    const d = this.defaultUser;
    return !d.nopass || !d.enabled;
  }

  /** Whether a new or reset client starts authenticated (the default user is nopass and on). */
  get startsAuthenticated(): boolean {
    return !this.authRequired;
  }

  getUser(name: string): User | undefined {
    return this.users.get(name);
  }

  /** The users sorted by name (bytes), as Redis lists them. */
  sortedUsers(): User[] {
    return [...this.users.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  // ---------------------------------------------------------------------------
  // Checks

  /**
   * Whether `user` may run `argv`, the command `base` being argv[0] as the
   * caller looked it up (Redis's ACLCheckAllUserCommandPerm on lookupCommand's
   * result: a container with a subcommand argument is checked as that
   * subcommand); null when there is no such command. Nothing is logged.
   * redis.acl_check_cmd and the HTTP side's canRun.
   */
  mayRun(user: User, argv: readonly string[], base: CommandSpec | undefined): boolean | null {
    let cmd = base;
    let parent: CommandSpec | undefined;
    if (cmd !== undefined && cmd.subcommands && argv.length >= 2) {
      parent = cmd;
      cmd = lookupSub(cmd, argv[1]!);
    }
    if (cmd === undefined) return null;
    return user.unrestricted || this.check(user, cmd, parent, argv) === ACL_OK;
  }

  /**
   * Whether `user` may run the command (Redis's ACLCheckAllUserCommandPerm):
   * ACL_OK, or the denial of the selector that got furthest (channel > key >
   * command; the later argument on a tie), with deniedAt set to the denied
   * argument's index (0: the command itself).
   */
  check(user: User, cmd: CommandSpec, parent: CommandSpec | undefined, argv: readonly string[]): number {
    if (user.unrestricted) return ACL_OK;
    let relevant = DENIED_CMD;
    let lastIdx = 0;
    const sels = user.selectors;
    for (let i = 0; i < sels.length; i++) {
      const s = sels[i]!;
      let res = ACL_OK;
      if (!s.canRun(cmd, parent, argv)) res = DENIED_CMD;
      else {
        if (!s.allKeys) res = this.checkKeys(s, cmd, argv);
        if (res === ACL_OK && !s.allChannels) res = this.checkChannels(s, cmd, argv);
      }
      if (res === ACL_OK) return ACL_OK;
      const idx = res === DENIED_CMD ? 0 : this.deniedAt;
      if (res > relevant || (res === relevant && idx > lastIdx)) {
        relevant = res;
        lastIdx = idx;
      }
    }
    this.deniedAt = lastIdx;
    return relevant;
  }

  /** The keys of a call against one selector's patterns: ACL_OK, or DENIED_KEY with deniedAt set. */
  private checkKeys(s: Selector, cmd: CommandSpec, argv: readonly string[]): number {
    const plan = this.cmds.keyPlans[cmd.id!];
    if (plan === undefined) return ACL_OK;
    const argc = argv.length;
    if (plan !== null) {
      // fixed ranges (the common case): no allocation
      let fits = true;
      for (let j = 0; j < plan.length && fits; j++) {
        const p = plan[j]!;
        const last = p.lastkey >= 0 ? p.first + p.lastkey : argc + p.lastkey;
        if (last >= argc || last < p.first || p.first >= argc || (p.variable && !s.fullPatterns)) fits = false;
      }
      if (fits) {
        for (let j = 0; j < plan.length; j++) {
          const p = plan[j]!;
          const last = p.lastkey >= 0 ? p.first + p.lastkey : argc + p.lastkey;
          for (let k = p.first; k <= last; k += p.step) {
            if (!s.keyAllowed(argv[k]!, p.need)) {
              this.deniedAt = k;
              return DENIED_KEY;
            }
          }
        }
        return ACL_OK;
      }
    }
    for (const k of keysAndFlagsOf(cmd, argv)) {
      if (!s.keyAllowed(argv[k.pos]!, keyNeed(k.flags))) {
        this.deniedAt = k.pos;
        return DENIED_KEY;
      }
    }
    return ACL_OK;
  }

  /** The channels of PUBLISH, SPUBLISH, (S|P)SUBSCRIBE against one selector: ACL_OK, or DENIED_CHANNEL with deniedAt set. */
  private checkChannels(s: Selector, cmd: CommandSpec, argv: readonly string[]): number {
    const kind = this.cmds.channels[cmd.id!]!;
    if (kind === 0) return ACL_OK;
    const last = kind === 1 ? Math.min(1, argv.length - 1) : argv.length - 1;
    for (let i = 1; i <= last; i++) {
      if (!s.channelAllowed(argv[i]!, kind === 3)) {
        this.deniedAt = i;
        return DENIED_CHANNEL;
      }
    }
    return ACL_OK;
  }

  /**
   * Whether the user may run the command and touch every key with `need`
   * through one selector (Redis's ACLUserCheckCmdWithUnrestrictedKeyAccess:
   * SORT's BY and GET).
   */
  unrestrictedKeyAccess(
    user: User,
    cmd: CommandSpec,
    parent: CommandSpec | undefined,
    argv: readonly string[],
    need: number,
  ): boolean {
    if (user.unrestricted) return true;
    const one = new User(user.name, this.cmds, false);
    for (const s of user.selectors) {
      one.selectors = [s];
      one.refresh();
      if (this.check(one, cmd, parent, argv) === ACL_OK && s.unrestrictedKeys(need)) return true;
    }
    return false;
  }

  /** Redis's getAclErrorMessage; `verbose` (ACL DRYRUN) names the key or channel. */
  errorMessage(res: number, user: User, fullname: string, val: string, verbose: boolean): string {
    if (res === DENIED_CMD) return Err.aclNoPermCommand(user.name, fullname);
    if (res === DENIED_KEY) return verbose ? Err.aclNoPermKeyNamed(user.name, val) : Err.aclNoPermKey;
    return verbose ? Err.aclNoPermChannelNamed(user.name, val) : Err.aclNoPermChannel;
  }

  /**
   * The dispatcher's gate for a restricted user: on a denial, logs it and
   * returns the -NOPERM text; null when the command may run.
   */
  denial(client: Client, cmd: CommandSpec, parent: CommandSpec | undefined, argv: readonly string[]): string | null {
    const res = this.check(client.user, cmd, parent, argv);
    if (res === ACL_OK) return null;
    const at = this.deniedAt;
    const fullname = parent ? `${parent.name}|${cmd.name}` : cmd.name;
    // the log's client-info names the refused command (Redis sets lastcmd before its checks)
    client.lastCmd = fullname;
    this.addLog(
      client,
      res,
      client.multiQueue !== null ? 'multi' : 'toplevel',
      res === DENIED_CMD ? fullname : argv[at]!,
      null,
      argv,
    );
    return Err.noPerm(this.errorMessage(res, client.user, fullname, argv[at]!, false));
  }

  // ---------------------------------------------------------------------------
  // The log

  /**
   * Adds a denial to the ACL LOG (Redis's addACLLogEntry): one of the 10
   * newest entries like it (reason, context, object, user, within 60 s) is
   * bumped and moved to the head instead of adding one. Counts the INFO
   * acl_access_denied_* stat.
   */
  addLog(
    client: Client,
    reason: number,
    context: LogContext,
    object: string,
    username: string | null,
    argv?: readonly string[],
  ): void {
    const stats = this.server.stats;
    if (reason === DENIED_AUTH) stats.authFailures++;
    else if (reason === DENIED_CMD) stats.aclDeniedCmd++;
    else if (reason === DENIED_KEY) stats.aclDeniedKey++;
    else stats.aclDeniedChannel++;
    const now = this.server.now();
    const real = this.server.current ?? client;
    // the caller of a script is the one described (its own command line)
    const info = clientInfoLine(this.server, real.luaScript ? client : real, argv);
    const user = username ?? client.user.name;
    for (let i = 0; i < this.log.length && i < 10; i++) {
      const e = this.log[i]!;
      if (
        e.reason === reason &&
        e.context === context &&
        Math.abs(e.ctime - now) <= LOG_GROUPING_MS &&
        e.object === object &&
        e.username === user
      ) {
        this.log.splice(i, 1);
        this.log.unshift(e);
        e.cinfo = info;
        e.ctime = now;
        e.count++;
        return;
      }
    }
    this.log.unshift({
      count: 1,
      reason,
      context,
      object,
      username: user,
      ctime: now,
      cinfo: info,
      entryId: this.logEntries++,
      created: now,
    });
    this.trimLog();
  }

  private trimLog(): void {
    const max = Number(this.server.config.v['acllog-max-len']);
    if (this.log.length > max) this.log.length = max;
  }

  /** ACL LOG's entries as name/value pairs, newest first (for the handler). */
  logEntriesView(): readonly LogEntry[] {
    return this.log;
  }

  // ---------------------------------------------------------------------------
  // Authentication

  /**
   * AUTH / HELLO AUTH: on success the client is authenticated as the user;
   * on failure the denial is logged (reason auth, object AUTH or HELLO as sent).
   */
  authenticate(client: Client, username: string, pass: string, argv0: string): boolean {
    const u = this.users.get(username);
    if (u !== undefined && u.checkPassword(pass)) {
      client.authenticated = true;
      client.user = u;
      return true;
    }
    this.addLog(client, DENIED_AUTH, client.multiQueue !== null ? 'multi' : 'toplevel', argv0, username);
    return false;
  }

  // ---------------------------------------------------------------------------
  // Changing users

  /**
   * ACL SETUSER's rules, applied to a copy of the user (or a new one) and
   * kept only when every rule applies (Redis's ACLStringSetUser). Returns
   * the error text (without ERR) or null. Pub/sub clients of the user that
   * lost a channel are disconnected.
   */
  setUser(name: string, args: readonly string[]): string | null {
    const merged = mergeSelectorArgs(args);
    if (!Array.isArray(merged)) return `Unmatched parenthesis in acl selector starting at '${args[merged.open]}'.`;
    const existing = this.users.get(name);
    const temp = new User(name, this.cmds, this.pubsubAll);
    if (existing) temp.copyFrom(existing);
    for (const op of merged) {
      try {
        temp.apply(op, this.pubsubAll);
      } catch (e) {
        if (e instanceof RuleFailure) return `Error in ACL SETUSER modifier '${op}': ${ruleErrorText(e.code)}`;
        throw e;
      }
    }
    if (existing) {
      this.killPubsubClientsIfNeeded(temp, existing);
      existing.copyFrom(temp);
    } else {
      const u = new User(name, this.cmds, this.pubsubAll);
      u.copyFrom(temp);
      this.users.set(name, u);
    }
    return null;
  }

  /** ACL DELUSER: removes the users (not default) and disconnects their clients; returns how many existed. */
  deleteUsers(names: readonly string[]): number {
    let n = 0;
    for (const name of names) {
      const u = this.users.get(name);
      if (u === undefined) continue;
      this.users.delete(name);
      this.killClientsOf(u);
      n++;
    }
    return n;
  }

  /**
   * Clients authenticated as a removed user go back to the default user,
   * unauthenticated, and are closed (the running one after its reply), as
   * Redis's ACLFreeUserAndKillClients.
   */
  private killClientsOf(u: User): void {
    const server = this.server;
    for (const c of [...server.clients.values()]) {
      if (c.user !== u) continue;
      c.user = this.defaultUser;
      c.authenticated = false;
      if (c === server.current || c === server.executing) c.closeAfterReply = true;
      else server.killClient(c);
    }
  }

  /**
   * After SETUSER: the user's pub/sub clients subscribed to something the
   * new rules no longer allow are closed (Redis's ACLKillPubsubClientsIfNeeded).
   */
  private killPubsubClientsIfNeeded(next: User, prev: User): void {
    if (next.selectors.some((s) => s.allChannels)) return;
    const upcoming: string[] = [];
    for (const s of next.selectors) upcoming.push(...s.channels);
    let superset = true;
    for (const s of prev.selectors) {
      if (s.allChannels || s.channels.some((c) => !upcoming.includes(c))) {
        superset = false;
        break;
      }
    }
    if (superset) return;
    const server = this.server;
    for (const c of [...server.clients.values()]) {
      if (c.user !== prev || c.subscriptions === 0) continue;
      let kill = false;
      for (const p of c.patterns ?? []) if (!channelInList(upcoming, p, true)) kill = true;
      for (const ch of c.channels ?? []) if (!kill && !channelInList(upcoming, ch, false)) kill = true;
      for (const ch of c.shardChannels ?? []) if (!kill && !channelInList(upcoming, ch, false)) kill = true;
      if (kill) {
        if (c === server.current) c.closeAfterReply = true;
        else server.killClient(c);
      }
    }
  }

  // ---------------------------------------------------------------------------
  // redis.conf `user` lines and the ACL file

  /**
   * A `user name rules...` line of redis.conf, checked now and applied at
   * start (Redis's ACLAppendUserForLoading). Returns [argument index, error
   * text] when a rule is invalid (unknown commands are left for later).
   */
  configUser(args: readonly string[]): [number, string] | null {
    if (this.configured.some((u) => u[0] === args[0])) return [1, ruleErrorText('EALREADY')];
    const merged = mergeSelectorArgs(args.slice(1));
    if (!Array.isArray(merged)) return [merged.open, ruleErrorText('EINVAL')];
    const fake = new User('', this.cmds, this.pubsubAll);
    for (let j = 0; j < merged.length; j++) {
      try {
        fake.apply(merged[j]!, this.pubsubAll);
      } catch (e) {
        if (!(e instanceof RuleFailure)) throw e;
        if (e.code !== 'ENOENT') return [j, ruleErrorText(e.code)];
      }
    }
    this.configured.push([args[0]!, ...merged]);
    return null;
  }

  /**
   * At start, once the config is read: the `user` lines, or the ACL file
   * (both is an error). Returns the log text of a fatal error, or null
   * (Redis's ACLLoadUsersAtStartup).
   */
  loadAtStartup(): string | null {
    const file = this.fileName();
    if (file !== '' && this.configured.length !== 0) {
      return 'Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.';
    }
    for (const [name, ...rules] of this.configured) {
      if (hasSpaces(name!)) return 'Spaces not allowed in ACL usernames';
      let u = this.users.get(name!);
      if (u === undefined) {
        u = new User(name!, this.cmds, this.pubsubAll);
        this.users.set(name!, u);
      } else u.apply('reset', this.pubsubAll);
      for (const r of rules) {
        try {
          u.apply(r, this.pubsubAll);
        } catch (e) {
          if (!(e instanceof RuleFailure)) throw e;
          this.server.log.warning(
            `Error loading ACL rule '${r}' for the user named '${name}': ${ruleErrorText(e.code)}`,
          );
          return 'Critical error while loading ACLs. Exiting.';
        }
      }
      if (!u.enabled) {
        this.server.log.notice(
          `The user '${name}' is disabled (there is no 'on' modifier in the user description). Make sure this is not a configuration error.`,
        );
      }
    }
    this.configured = [];
    return null;
  }

  /** The aclfile parameter as configured (error texts name it so). */
  fileName(): string {
    return this.server.config.v['aclfile'];
  }

  /** The ACL file's path: relative to `dir`, as Redis opens it after chdir(dir). */
  private filePath(): string {
    return path.resolve(String(this.server.config.v['dir'] || '.'), this.fileName());
  }

  /**
   * Loads the ACL file (Redis's ACLLoadFromFile): every line is checked;
   * with any error nothing changes and the errors come back as one line.
   * On success the users are replaced (the default user keeps its object),
   * and clients of the old users are disconnected.
   */
  loadFile(): string | null {
    const file = this.fileName();
    let text: string;
    try {
      text = fs.readFileSync(this.filePath(), 'latin1');
    } catch (e) {
      return `Error loading ACLs, opening file '${file}': ${strerror(e)}`;
    }
    const fresh = new Map<string, User>();
    let errors = '';
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const linenum = i + 1;
      const line = lines[i]!.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
      if (line === '') continue;
      const argv = line.split(' ').filter((a) => a !== '');
      if (argv.length === 0) continue;
      if (argv[0] !== 'user' || argv.length < 2) {
        errors += `${file}:${linenum} should start with user keyword followed by the username. `;
        continue;
      }
      const name = argv[1]!;
      if (hasSpaces(name)) {
        errors += `'${file}:${linenum}: username '${name}' contains invalid characters. `;
        continue;
      }
      if (fresh.has(name)) {
        errors += `WARNING: Duplicate user '${name}' found on line ${linenum}. `;
        continue;
      }
      const u = new User(name, this.cmds, this.pubsubAll);
      fresh.set(name, u);
      const merged = mergeSelectorArgs(argv.slice(2));
      if (!Array.isArray(merged)) {
        errors += `${file}:${linenum}: Unmatched parenthesis in selector definition.`;
        continue;
      }
      let syntaxError = false;
      for (const raw of merged) {
        const op = raw.replace(/^[\t\r\n]+|[\t\r\n]+$/g, '');
        try {
          u.apply(op, this.pubsubAll);
        } catch (e) {
          if (!(e instanceof RuleFailure)) throw e;
          if (e.code === 'ENOENT') {
            errors += `${file}:${linenum}: Error in applying operation '${op}': ${ruleErrorText(e.code)}. `;
          } else if (!syntaxError) {
            errors += `${file}:${linenum}: ${ruleErrorText(e.code)}. `;
            syntaxError = true;
          }
        }
      }
    }
    if (errors !== '') {
      return errors + 'WARNING: ACL errors detected, no change to the previously active ACL rules was performed';
    }
    const old = this.users;
    const newDefault = fresh.get('default') ?? this.newDefaultUser();
    this.defaultUser.copyFrom(newDefault);
    fresh.set('default', this.defaultUser);
    this.users = fresh;
    for (const [name, u] of old) if (name !== 'default') this.killClientsOf(u);
    return null;
  }

  /** CONFIG REWRITE's `user` lines: every user as ACL LIST shows it, or none when an aclfile holds them. */
  configLines(): string[] {
    if (this.fileName() !== '') return [];
    return this.sortedUsers().map((u) => `user ${u.name} ${u.describe()}`);
  }

  /** Writes every user to the ACL file (temp file, fsync, rename, directory fsync); false on an I/O error (logged). */
  saveFile(): boolean {
    const file = this.filePath();
    let out = '';
    for (const u of this.sortedUsers()) out += `user ${u.name} ${u.describe()}\n`;
    const tmp = `${file}.tmp-${process.pid}-${this.server.now()}`;
    try {
      replaceFile(file, tmp, Buffer.from(out, 'latin1'), true);
      return true;
    } catch (e) {
      this.server.log.warning(`Saving the ACL file: ${strerror(e)}`);
      return false;
    }
  }

  /** ACL GENPASS: `bits` random bits as hex digits (rounded up to a digit). */
  genpass(bits: number): string {
    const chars = Math.floor((bits + 3) / 4);
    return randomBytes(Math.ceil(chars / 2))
      .toString('hex')
      .slice(0, chars);
  }

  /** The selectors of a user, for GETUSER. */
  selectorsOf(u: User): readonly Selector[] {
    return u.selectors;
  }
}
