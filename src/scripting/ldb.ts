/**
 * Redis's Lua debugger (ldb, eval.c): an EVAL (or EVAL_RO) from a client in
 * SCRIPT DEBUG YES or SYNC mode runs with a line hook, stops before its
 * first line and at breakpoints, and talks with the client over its
 * connection, synchronously, in Redis's protocol: the client sends
 * commands as multibulk requests (h, s/n, c, l, w, p, b, t, e, r, m, a),
 * the debugger answers each with an array of status lines ("* Stopped at
 * 1, stop reason = step over", "-> 1   return 1", "<redis> ...", "<reply>
 * ...", "<value> ...", "<error> ..."), as redis-cli --ldb expects. When the
 * script ends the session sends "<endsession>", then the EVAL's reply, and
 * the connection closes.
 *
 * The server does nothing else meanwhile (the event loop is held, as
 * Redis's SYNC mode holds its own). Differences from Redis, stated in
 * README "Scripting": YES does not fork, so it runs as SYNC does (the
 * server waits, and the script's writes stay); the debugged client must be
 * a TCP or unix connection of its own (not the in-process client, not one
 * relayed during a busy script); value addresses ("function@0x...") are
 * the VM's. The commands, their texts and the value printing are Redis's.
 *
 * Reading and writing use the client's socket descriptor directly
 * (fs.readSync / writeSync, polling while there is nothing), like Redis's
 * connRead / connWrite on a blocking connection. The VM side (stack
 * levels, locals, values printed as ldbCatStackValue prints them) is
 * lua.ts's LuaDebug; tsdis's own code compiled into a script (its error
 * and pcall stand-ins) is hidden from it. Tested against redis-server
 * byte for byte: test/scripting/ldb.test.ts.
 */
import { Buffer } from 'node:buffer';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Err, ReplyError } from '../protocol/errors.js';
import { cfmt } from '../util/strings.js';
import { handleFd } from '../server/socket.js';
import type { Ctx } from '../commands/spec.js';
import { reprString, type LuaDebug } from './lua.js';
import { LdbRollback } from './ldb-rollback.js';

/** Client.luaDebug: SCRIPT DEBUG NO / YES / SYNC. */
export const LDB_OFF = 0;
export const LDB_YES = 1;
export const LDB_SYNC = 2;

const LDB_MAX_LEN_DEFAULT = 256;
const LDB_BREAKPOINTS_MAX = 64;
/** How long a write to the debugging client may wait for it to read (Redis's connSendTimeout). */
const SEND_TIMEOUT_MS = 5000;
/** Input beyond this ends the session with an error (Redis's 1 MB). */
const LDB_MAX_CBUF = 1 << 20;

/** Atomics.wait's cell, for 1 ms sleeps while the client has sent nothing. */
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** One debugging session (scripting state's `ldb` while an EVAL runs under it). */
export class LdbSession {
  /** Stop at the next line. */
  step = true;
  /** Breakpoint lines. */
  bp: number[] = [];
  /** redis.breakpoint() was called: stop at the next line. */
  luabp = false;
  currentline = -1;
  maxlen = LDB_MAX_LEN_DEFAULT;
  maxlenHintSent = false;
  /** Lines not yet sent. */
  logs: string[] = [];
  /** What the client sent and no command consumed yet. */
  private cbuf = Buffer.alloc(0);
  private readonly readBuf = Buffer.allocUnsafe(1024);
  /** The script's lines (the body, its trailing newlines dropped). */
  readonly src: string[];
  /** The error the script was ended with (abort, a protocol error, a timeout with the client gone), or null. */
  raised: string | null = null;
  /** performance.now() of the run's start or of the last stop (the timeout counts from there). */
  start = performance.now();

  constructor(
    readonly fd: number,
    body: string,
    /** busy-reply-threshold: a run that long without a stop is stopped ("timeout reached"). */
    readonly threshold: number,
  ) {
    this.src = body.replace(/[\r\n]+$/, '').split('\n');
  }

  log(line: string): void {
    this.logs.push(line);
  }

  /** ldbLogWithMaxLen: past maxlen, cut with " ..." (and, once, a hint). */
  logMax(line: string): void {
    let trimmed = false;
    if (this.maxlen !== 0 && line.length > this.maxlen) {
      line = line.slice(0, this.maxlen) + ' ...';
      trimmed = true;
    }
    this.log(line);
    if (trimmed && !this.maxlenHintSent) {
      this.maxlenHintSent = true;
      this.log("<hint> The above reply was trimmed. Use 'maxlen 0' to disable trimming.");
    }
  }

  /** Whether redis.call logs (Redis's ldbIsEnabled: a step is being run). */
  get logging(): boolean {
    return this.step;
  }

  /** ldbSendLogs: the pending lines as an array of status replies (CR and LF made spaces). */
  sendLogs(): void {
    let out = `*${this.logs.length}\r\n`;
    for (const l of this.logs) out += `+${l.replace(/[\r\n]/g, ' ')}\r\n`;
    this.logs = [];
    this.write(Buffer.from(out, 'latin1'));
  }

  /**
   * Writes all of `b` to the client, waiting while its socket is full, for
   * at most 5 s (Redis's send timeout on the debugging connection); false
   * when it is gone or did not read (the next read finds out).
   */
  write(b: Buffer): boolean {
    let off = 0;
    const deadline = performance.now() + SEND_TIMEOUT_MS;
    while (off < b.length) {
      try {
        off += fs.writeSync(this.fd, b, off, b.length - off);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN' || performance.now() > deadline) return false;
        Atomics.wait(sleeper, 0, 0, 1);
      }
    }
    return true;
  }

  /**
   * Reads what the client sent, waiting for something (the socket is
   * non-blocking: polled every millisecond, every 10 ms once it has been
   * quiet for 100 ms, as a person typing at redis-cli is); false when the
   * connection is closed.
   */
  private read(): boolean {
    for (let idle = 0; ; idle++) {
      let n: number;
      try {
        n = fs.readSync(this.fd, this.readBuf, 0, this.readBuf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') return false;
        Atomics.wait(sleeper, 0, 0, idle < 100 ? 1 : 10);
        continue;
      }
      if (n <= 0) return false;
      this.cbuf = Buffer.concat([this.cbuf, this.readBuf.subarray(0, n)]);
      return true;
    }
  }

  /**
   * ldbReplParseCommand: the next multibulk command in the input, null to
   * read more, or 'error'. Redis's deliberately simple parser: arguments of
   * 1 to 1024 bytes, at most 1024 of them, and it scans with C string
   * functions, so a NUL byte where it looks for `*`, a CRLF or the next
   * argument's `$` ends its view of the input (an argument's bytes are
   * taken by length, NULs included).
   */
  parseCommand(): string[] | null | 'error' {
    const s = this.cbuf.latin1Slice(0, this.cbuf.length);
    if (s.length === 0) return null;
    // strchr / strstr from `from`, stopping at a NUL (or the end)
    const chr = (from: number, c: string): number => {
      for (let i = from; i < s.length && s[i] !== '\0'; i++) if (s[i] === c) return i;
      return -1;
    };
    const crlf = (from: number): number => {
      for (let i = from; i < s.length && s[i] !== '\0'; i++) if (s[i] === '\r' && s[i + 1] === '\n') return i;
      return -1;
    };
    const star = chr(0, '*');
    if (star < 0) return 'error';
    let p = crlf(star);
    if (p < 0) return null;
    const argc = atoi(s.slice(star + 1, p));
    p += 2;
    if (argc <= 0 || argc > 1024) return 'error';
    const argv: string[] = [];
    while (argv.length < argc) {
      if (p >= s.length || s[p] === '\0') return null;
      if (s[p] !== '$') return 'error';
      const e = crlf(p);
      if (e < 0) return null;
      const len = atoi(s.slice(p + 1, e));
      if (len <= 0 || len > 1024) return 'error';
      p = e + 2;
      if (p + len + 2 > s.length) return null;
      argv.push(s.slice(p, p + len));
      p += len;
      if (s[p] !== '\r' || s[p + 1] !== '\n') return 'error';
      p += 2;
    }
    return argv;
  }

  /**
   * The next command, reading as needed: null when the client has gone,
   * 'raised' after a protocol error or too much input (the error is raised
   * in the script, which ends).
   */
  nextCommand(dbg: LuaDebug): string[] | null | 'raised' {
    for (;;) {
      const r = this.parseCommand();
      if (r === 'error') {
        this.abort(dbg, Err.ldbProtocol);
        return 'raised';
      }
      if (r !== null) {
        this.cbuf = Buffer.alloc(0);
        return r;
      }
      if (!this.read()) return null;
      if (this.cbuf.length > LDB_MAX_CBUF) {
        this.cbuf = Buffer.alloc(0);
        this.abort(dbg, Err.ldbBuffer);
        return 'raised';
      }
    }
  }

  /**
   * Ends the script with this error (Redis raises it in the hook): the VM
   * aborts the run when the hook returns, and the EVAL replies `error`
   * with the script's name and line (scripts.ts writeResult).
   */
  abort(dbg: LuaDebug, error: string): void {
    this.raised ??= error;
    dbg.abort();
  }

  sourceLine(n: number): string {
    const i = n - 1;
    return i < 0 || i >= this.src.length ? '<out of range source code line>' : this.src[i]!;
  }

  /** ldbLogSourceLine: "->#", "-> ", "  #" or "   ", the number left-aligned in 3, the line. */
  logSourceLine(n: number): void {
    const bp = this.bp.includes(n);
    const cur = this.currentline === n;
    const prefix = cur && bp ? '->#' : cur ? '-> ' : bp ? '  #' : '   ';
    this.log(cfmt`${prefix}${String(n).padEnd(3)} ${this.sourceLine(n)}`);
  }

  /** ldbList: every line (around 0), or those within `context` of `around`. */
  list(around: number, context: number): void {
    for (let j = 1; j <= this.src.length; j++) {
      if (around !== 0 && Math.abs(around - j) > context) continue;
      this.logSourceLine(j);
    }
  }
}

/** C's atoi: leading spaces, a sign, digits (0 when none), wrapping past 32 bits as glibc's does not matter here. */
function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  return m === null ? 0 : Number.parseInt(m[1]!, 10);
}

/** Redis's string2l: the whole string a decimal long, no spaces, no leading zeros ("0" and "-1" are fine). */
function string2l(s: string): number | null {
  return /^(0|-?[1-9][0-9]*)$/.test(s) && s.length < 20 ? Number(s) : null;
}

/**
 * EVAL / EVAL_RO from a client in SCRIPT DEBUG mode (Redis's
 * evalGenericCommandWithDebugging): starts a session on the client's
 * connection, runs the script under it (`run`, with the session set where
 * the script host finds it), ends it ("<endsession>"), and closes the
 * connection once the EVAL's reply is sent. In YES mode (Redis forks for
 * it) what the session changed is undone then (ldb-rollback.ts), and
 * `forget` drops what the caller added (the script's cache entry).
 */
export function debugEval(
  ctx: Ctx,
  setSession: (s: LdbSession | null) => void,
  run: () => void,
  forget: () => void,
): void {
  const { client, server } = ctx;
  // (a TLS connection's descriptor carries encrypted bytes: the session cannot write to it directly)
  const fd = client.socket === null || client.socket.encrypted === true ? -1 : handleFd(client.socket);
  if (fd < 0) throw new ReplyError(Err.ldbConnection);
  const session = new LdbSession(fd, ctx.argv[1]!, server.config.v['busy-reply-threshold'] || 5000);
  // (replies the client is owed from earlier commands of its pipeline stay
  // buffered: they follow the session's output, as in Redis, which writes
  // the session to the socket directly)
  const sync = client.luaDebug === LDB_SYNC;
  server.log.notice(
    sync
      ? 'Redis synchronous debugging eval session started'
      : 'Lua debugging eval session started (SCRIPT DEBUG YES: its changes are undone at its end)',
  );
  const rollback = sync ? null : new LdbRollback(server);
  setSession(session);
  try {
    run();
  } finally {
    setSession(null);
    session.log('<endsession>');
    session.sendLogs();
    if (rollback !== null) {
      rollback.undo();
      forget();
    }
    server.log.notice(
      sync ? 'Redis synchronous debugging eval session ended' : 'Lua debugging eval session ended, its changes undone',
    );
    client.closeAfterReply = true;
  }
}

/**
 * The line hook of a debugged run (Redis's luaLdbLineHook): `line` is the
 * new line, or -1 for a count event (then a run past busy-reply-threshold
 * without a stop stops: "timeout reached, infinite loop?"). Lines of
 * tsdis's code (its chunks, what it compiles into the script) do not stop.
 */
export function lineHook(s: LdbSession, line: number, dbg: LuaDebug): void {
  // (a level of tsdis's own code, or none: nothing to do)
  const f = dbg.frames()[0];
  if (f === undefined || f.level !== 0) return;
  s.currentline = f.line;
  const bp = s.bp.includes(s.currentline) || s.luabp;
  let timeout = false;
  if (line < 0 && !s.step && !bp) {
    if (performance.now() - s.start < s.threshold) return;
    timeout = true;
    s.step = true;
  }
  if (!s.step && !bp) return;
  const reason = bp
    ? s.luabp
      ? 'redis.breakpoint() called'
      : 'break point'
    : timeout
      ? 'timeout reached, infinite loop?'
      : 'step over';
  s.step = false;
  s.luabp = false;
  s.log(`* Stopped at ${s.currentline}, stop reason = ${reason}`);
  s.logSourceLine(s.currentline);
  s.sendLogs();
  if (!repl(s, dbg) && timeout) s.abort(dbg, Err.ldbTimeout);
  s.start = performance.now();
}

const HELP = [
  'Redis Lua debugger help:',
  '[h]elp               Show this help.',
  '[s]tep               Run current line and stop again.',
  '[n]ext               Alias for step.',
  '[c]ontinue           Run till next breakpoint.',
  '[l]ist               List source code around current line.',
  '[l]ist [line]        List source code around [line].',
  '                     line = 0 means: current position.',
  '[l]ist [line] [ctx]  In this form [ctx] specifies how many lines',
  '                     to show before/after [line].',
  "[w]hole              List all source code. Alias for 'list 1 1000000'.",
  '[p]rint              Show all the local variables.',
  '[p]rint <var>        Show the value of the specified variable.',
  '                     Can also show global vars KEYS and ARGV.',
  '[b]reak              Show all breakpoints.',
  '[b]reak <line>       Add a breakpoint to the specified line.',
  '[b]reak -<line>      Remove breakpoint from the specified line.',
  '[b]reak 0            Remove all breakpoints.',
  '[t]race              Show a backtrace.',
  '[e]val <code>        Execute some Lua code (in a different callframe).',
  '[r]edis <cmd>        Execute a Redis command.',
  '[m]axlen [len]       Trim logged Redis replies and Lua var dumps to len.',
  '                     Specifying zero as <len> means unlimited.',
  '[a]bort              Stop the execution of the script. In sync',
  '                     mode dataset changes will be retained.',
  '',
  'Debugger functions you can call from Lua scripts:',
  'redis.debug()        Produce logs in the debugger console.',
  'redis.breakpoint()   Stop execution like if there was a breakpoint in the',
  '                     next line of code.',
];

/**
 * ldbRepl: reads and runs the client's commands until one returns to the
 * script (step, continue) or raises in it (abort, a protocol error);
 * false when the client has gone (the script then runs on, without
 * stops).
 */
function repl(s: LdbSession, dbg: LuaDebug): boolean {
  for (;;) {
    const argv = s.nextCommand(dbg);
    if (argv === null) {
      s.step = false;
      s.bp = [];
      return false;
    }
    if (argv === 'raised') return true; // the script ends with the error
    const cmd = argv[0]!.toLowerCase();
    const argc = argv.length;
    if (cmd === 'h' || cmd === 'help') {
      for (const l of HELP) s.log(l);
      s.sendLogs();
    } else if (cmd === 's' || cmd === 'step' || cmd === 'n' || cmd === 'next') {
      s.step = true;
      return true;
    } else if (cmd === 'c' || cmd === 'continue') {
      return true;
    } else if (cmd === 't' || cmd === 'trace') {
      trace(s, dbg);
      s.sendLogs();
    } else if (cmd === 'm' || cmd === 'maxlen') {
      if (argc === 2) {
        let v = atoi(argv[1]!);
        s.maxlenHintSent = true;
        if (v !== 0 && v <= 60) v = 60;
        s.maxlen = v;
      }
      s.log(s.maxlen !== 0 ? `<value> replies are truncated at ${s.maxlen} bytes.` : '<value> replies are unlimited.');
      s.sendLogs();
    } else if (cmd === 'b' || cmd === 'break') {
      breakCmd(s, argv);
      s.sendLogs();
    } else if (cmd === 'e' || cmd === 'eval') {
      s.logMax(dbg.evalCode(argv.slice(1).join(' ')));
      s.sendLogs();
    } else if (cmd === 'a' || cmd === 'abort') {
      s.abort(dbg, Err.ldbAborted);
      return true;
    } else if (argc > 1 && (cmd === 'r' || cmd === 'redis')) {
      // redis.call with logging forced on (the result is dropped)
      const was = s.step;
      s.step = true;
      if (!dbg.redisCall(argv.slice(1))) s.log('<reply> ');
      s.step = was;
      s.sendLogs();
    } else if (cmd === 'p' || cmd === 'print') {
      if (argc === 2) print(s, dbg, argv[1]!);
      else printAll(s, dbg);
      s.sendLogs();
    } else if (cmd === 'l' || cmd === 'list') {
      let around = s.currentline;
      let ctx = 5;
      if (argc > 1) {
        const num = atoi(argv[1]!);
        if (num > 0) around = num;
      }
      if (argc > 2) ctx = atoi(argv[2]!);
      s.list(around, ctx);
      s.sendLogs();
    } else if (cmd === 'w' || cmd === 'whole') {
      s.list(1, 1000000);
      s.sendLogs();
    } else {
      s.log('<error> Unknown Redis Lua debugger command or wrong number of arguments.');
      s.sendLogs();
    }
  }
}

/** ldbBreak: list, add (listed with a line of context), remove, remove all. */
function breakCmd(s: LdbSession, argv: string[]): void {
  if (argv.length === 1) {
    if (s.bp.length === 0) {
      s.log("No breakpoints set. Use 'b <line>' to add one.");
      return;
    }
    s.log(`${s.bp.length} breakpoints set:`);
    for (const l of s.bp) s.logSourceLine(l);
    return;
  }
  for (const arg of argv.slice(1)) {
    const line = string2l(arg);
    if (line === null) s.log(cfmt`Invalid argument:'${arg}'`);
    else if (line === 0) {
      s.bp = [];
      s.log('All breakpoints removed.');
    } else if (line > 0) {
      if (s.bp.length === LDB_BREAKPOINTS_MAX) s.log('Too many breakpoints set.');
      else if (line <= s.src.length && !s.bp.includes(line)) {
        s.bp.push(line);
        s.list(line, 1);
      } else s.log('Wrong line number.');
    } else {
      const i = s.bp.indexOf(-line);
      if (i >= 0) {
        s.bp.splice(i, 1);
        s.log('Breakpoint removed.');
      } else s.log('No breakpoint in the specified line.');
    }
  }
}

/** ldbTrace: "In <name>:" / "From <name>:" and the line, for each of the script's levels (the outermost: "top level"). */
function trace(s: LdbSession, dbg: LuaDebug): void {
  const frames = dbg.frames();
  frames.forEach((f, i) => {
    // (tsdis calls the script's function from a Lua function, which names it: Redis calls it from C)
    const name = i === frames.length - 1 ? null : f.name;
    s.log(`${f.level === 0 ? 'In' : 'From'} ${name ?? 'top level'}:`);
    s.logSourceLine(f.line);
  });
}

/** ldbPrint: the first local of that name from the running level out; KEYS and ARGV as globals. */
function print(s: LdbSession, dbg: LuaDebug, name: string): void {
  for (const f of dbg.frames()) {
    const v = dbg.locals(f.level).find((l) => l.name === name);
    if (v !== undefined) {
      s.logMax(`<value> ${v.value}`);
      return;
    }
  }
  if (name === 'ARGV' || name === 'KEYS') s.logMax(`<value> ${dbg.global(name)}`);
  else s.log('No such variable.');
}

/** ldbPrintAll: the running level's locals. */
function printAll(s: LdbSession, dbg: LuaDebug): void {
  const vars = dbg.locals(0).filter((l) => !l.name.includes('(*temporary)'));
  for (const v of vars) s.logMax(`<value> ${v.name} = ${v.value}`);
  if (vars.length === 0) s.log('No local variables in the current context.');
}

/** What a script's redis.call logs while a step runs: "<redis> argv" (at most 10 arguments shown). */
export function logCall(s: LdbSession, argv: string[]): void {
  let l = '<redis>';
  for (let j = 0; j < argv.length; j++) {
    if (j === 10) {
      l += ` ... (${argv.length - j - 1} more)`;
      break;
    }
    l += ` ${argv[j]}`;
  }
  s.log(l);
}

/**
 * The reply of a logged redis.call: an "<error> -..." line for each error
 * in it (Redis logs them as it converts the reply for Lua), then
 * "<reply> " and the reply made readable (ldbRedisProtocolToHuman).
 */
export function logReply(s: LdbSession, resp: string): void {
  const errors: string[] = [];
  const human = toHuman({ s: resp, pos: 0, errors });
  for (const e of errors) s.log(cfmt`<error> ${e}`);
  s.logMax(`<reply> ${human}`);
}

/**
 * A command the script may not run (a refusal of scripts.ts): "<error> "
 * and Redis's error text, which has no code when it is ERR (scriptCall's
 * own texts) and keeps its "-CODE" and line end otherwise (Redis's shared
 * error replies; the line end shows as two spaces).
 */
export function logRefusal(s: LdbSession, resp: string): void {
  s.log(cfmt`<error> ${resp.startsWith('-ERR ') ? resp.slice(5, -2) : resp}`);
}

/** redis.breakpoint (id 1) and redis.debug (id 2), called from a script: returns the results pushed. */
export function jsCall(s: LdbSession | null, id: number, dbg: LuaDebug): number {
  if (id === 1) {
    if (s !== null) s.luabp = true;
    dbg.pushBoolean(s !== null);
    return 1;
  }
  if (id === 2 && s !== null) s.log(`<debug> line ${s.currentline}: ${dbg.args().join(', ')}`);
  return 0;
}

/** ldbRedisProtocolToHuman over a RESP reply (as the writer produced it); error texts are collected in `errors` ("-CODE msg"). */
function toHuman(c: { s: string; pos: number; errors: string[] }): string {
  const s = c.s;
  const t = s[c.pos];
  const e = s.indexOf('\r', c.pos + 1);
  const line = s.slice(c.pos + 1, e);
  c.pos = e + 2;
  switch (t) {
    case ':':
      return line;
    case '$': {
      const n = Number(line);
      if (n === -1) return 'NULL';
      const v = s.slice(c.pos, c.pos + n);
      c.pos += n + 2;
      return reprString(v);
    }
    case '-':
      c.errors.push(t + line);
      return reprString(t + line);
    case '+':
      return reprString(t + line);
    case '*':
    case '>': {
      const n = Number(line);
      if (n === -1) return 'NULL';
      const parts: string[] = [];
      for (let j = 0; j < n; j++) parts.push(toHuman(c));
      return `[${parts.join(',')}]`;
    }
    case '~': {
      const n = Number(line);
      const parts: string[] = [];
      for (let j = 0; j < n; j++) parts.push(toHuman(c));
      return `~(${parts.join(',')})`;
    }
    case '%': {
      const n = Number(line);
      const parts: string[] = [];
      for (let j = 0; j < n; j++) parts.push(`${toHuman(c)} => ${toHuman(c)}`);
      return `{${parts.join(',')}}`;
    }
    case '_':
      return '(null)';
    case '#':
      return line === 't' ? '#true' : '#false';
    case ',':
      return `(double) ${line}`;
    default:
      // (big numbers, verbatim strings, attributes: Redis's converter prints nothing for them)
      return '';
  }
}
