/**
 * Golden files: what the reference redis-server answered, recorded so the
 * differential tests also run where redis-server is not installed.
 *
 * A Tape belongs to one Differ. Every connection to the reference goes
 * through a TapeConn, which in the live run talks to redis-server (and, when
 * TSDIS_GOLDEN=record, writes what it sent and read into the tape), and in
 * the replay run (no redis-server) answers from the tape. The tape is cut
 * per test (node:test's full name, from beforeEach/afterEach hooks on the root
 * test that the first Tape of a file installs) so that running a subset of
 * the tests still replays. Replay checks each command against the recorded
 * one: a test changed since the recording fails and says to re-record.
 *
 * File: test/golden/<dir>/<file>.json (e.g. test/golden/commands/string.json
 * for test/commands/string.test.ts), one object per Differ name, one entry
 * per test, one event per line: [conn, kind, data…], where conn is 0 for
 * the Differ's own connection `b`, 1, 2, … for the connections a test opens
 * with `Differ.ref()`, in order, and -1 for values computed on the
 * reference; kind is
 *   c  a command (its arguments) and its reply's raw bytes
 *   cv a command and the view of its reply a test compares through (sorted,
 *      shape, or the test's own) where the raw bytes are not deterministic
 *   w  raw bytes written, or a command sent without waiting (its arguments)
 *   r  one reply's raw bytes, v the view of one
 *   p  what `pending()` saw, t what `take()` consumed, e what arrived before close
 *   T  a whole transcript (sameTranscript), V a value computed on the reference
 * Written by `npm run golden:record` (scripts/record-golden.mjs); the files
 * hold no timestamps, ports or random values: the tests compare those by a
 * view, and only the view is recorded. Replies over 300 bytes that
 * Differ.same compares exactly are kept as digests (digest()).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, afterEach } from 'node:test';
import { RawConn } from './servers.js';
import { encode } from './resp.js';

type Arg = string | Buffer | number;
export type Event = [number, string, unknown] | [number, string, unknown, unknown];
type TestTapes = Record<string, Event[]>;

/** The connection surface tests use, met by RawConn and TapeConn alike. */
export interface Conn {
  call(...args: Arg[]): Promise<string>;
  read(ms?: number): Promise<string>;
  write(data: string | Buffer): void;
  pending(): string;
  take(): string;
  readUntilClose(ms?: number): Promise<string>;
  close(): void;
}

/** Whether this run records golden files (TSDIS_GOLDEN=record). */
export function recording(): boolean {
  return process.env['TSDIS_GOLDEN'] === 'record';
}

/** test/golden/<dir>/<name>.json for the running test file (dist-test/test/<dir>/<name>.test.js). */
export function goldenPath(): string {
  const script = process.argv[1] ?? '';
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const rel = path.relative(path.join(root, 'dist-test', 'test'), script).replace(/\.test\.js$/, '');
  return path.join(root, 'test', 'golden', `${rel}.json`);
}

/**
 * The test running now, for every Tape of the process: hooks on the root test
 * (installed by the first Tape, which Differ.start() makes at module top
 * level) keep a stack of full names; `epoch` counts test starts. After a
 * subtest the parent test's cut continues.
 */
class Running {
  static stack: string[] = [];
  static epoch = 0;
  /** The names of the Tapes made in this process (one per Differ, unique per test file). */
  static tapes = new Set<string>();
  private static installed = false;
  static install(): void {
    if (Running.installed) return;
    Running.installed = true;
    beforeEach((t) => {
      Running.stack.push('fullName' in t ? t.fullName : t.name);
      Running.epoch++;
    });
    afterEach(() => {
      Running.stack.pop();
    });
  }
  static get name(): string {
    return Running.stack[Running.stack.length - 1] ?? '(setup)';
  }
}

/** One Differ's recorded (or replayed) traffic with the reference, cut per test. */
export class Tape {
  private tests: TestTapes = {};
  private recorded: TestTapes = {};
  private epoch = -1;
  /** Per test: the replay cursor of each connection, and the next connection number. */
  private cuts = new Map<string, { cursors: Map<number, number>; nextConn: number }>();

  /**
   * `live`: redis-server answers (record when TSDIS_GOLDEN=record);
   * otherwise the tape is read from the golden file under `name`.
   */
  /** Tests (full names) whose traffic is not recorded: they run against redis-server only. */
  private unrecorded = new Set<string>();

  /**
   * `live`: redis-server answers (record when TSDIS_GOLDEN=record, unless
   * `recordable` is false); otherwise the tape is read from the golden file under `name`.
   */
  constructor(
    readonly name: string,
    readonly live: boolean,
    private readonly recordable = true,
  ) {
    if (Running.tapes.has(name))
      throw new Error(`two Differs named '${name}' in one test file: give Differ.start() a name`);
    Running.tapes.add(name);
    const file = goldenPath();
    const all = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, TestTapes>) : {};
    this.tests = all[name] ?? {};
    Running.install();
  }

  /**
   * The test now running ('(setup)' outside any test); on the first use in
   * a test just started its cut starts over: connection numbers and replay
   * cursors reset, and a recording replaces what it recorded before.
   */
  get test(): string {
    const name = Running.name;
    if (this.epoch !== Running.epoch) {
      this.epoch = Running.epoch;
      this.cuts.delete(name);
      if (this.live && recording() && this.recordable) this.recorded[name] = [];
    }
    return name;
  }

  private cut(): { cursors: Map<number, number>; nextConn: number } {
    const name = this.test;
    let c = this.cuts.get(name);
    if (c === undefined) this.cuts.set(name, (c = { cursors: new Map(), nextConn: 1 }));
    return c;
  }

  /** A number for a new connection of the current test. */
  newConn(): number {
    return this.cut().nextConn++;
  }

  /** Leaves the running test out of the golden file (it runs against redis-server only). */
  omitTest(): void {
    this.unrecorded.add(this.test);
  }

  /** Appends an event (record mode only). */
  put(conn: number, kind: string, data: unknown, more?: unknown): void {
    if (!(this.live && recording() && this.recordable)) return;
    const t = this.test;
    if (this.unrecorded.has(t)) return;
    (this.recorded[t] ??= []).push(more === undefined ? [conn, kind, data] : [conn, kind, data, more]);
  }

  /** The data of the next recorded event of `conn` (replay), which must be of `kind`. */
  next(conn: number, kind: string): unknown {
    return this.nextEvent(conn, kind)[2];
  }

  /** The next recorded event of `conn` (replay), which must be of `kind`. */
  nextEvent(conn: number, kind: string): Event {
    const test = this.test;
    const events = this.tests[test];
    if (events === undefined) {
      throw new Error(
        `no golden record for test "${test}" in ${goldenPath()} (${this.name}): run npm run golden:record where redis-server is installed`,
      );
    }
    const cursors = this.cut().cursors;
    let i = cursors.get(conn) ?? 0;
    while (i < events.length && events[i]![0] !== conn) i++;
    const e = events[i];
    cursors.set(conn, i + 1);
    if (e === undefined || e[1] !== kind) {
      throw new Error(
        `golden record of "${test}" (connection ${conn}) has ${e ? `a '${e[1]}' event` : 'no more events'} where the test wants '${kind}': the test changed, run npm run golden:record`,
      );
    }
    return e;
  }

  /**
   * A value the test computed from the reference (a transcript, a figure):
   * live() runs and its result is recorded when live, else it is replayed.
   */
  async value<T>(kind: string, live: () => Promise<T>): Promise<T> {
    if (!this.live) return this.next(-1, kind) as T;
    const v = jsonPlain(await live());
    this.put(-1, kind, v);
    return v;
  }

  /** Writes this tape's recorded tests into the golden file, keeping the other Differs' and tests' entries. */
  save(): void {
    for (const t of this.unrecorded) delete this.recorded[t];
    if (!(this.live && recording() && this.recordable) || Object.keys(this.recorded).length === 0) return;
    const file = goldenPath();
    const all = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, TestTapes>) : {};
    const mine = { ...(all[this.name] ?? {}), ...this.recorded };
    for (const [k, v] of Object.entries(mine)) if (v.length === 0) delete mine[k];
    all[this.name] = mine;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, serialize(all));
  }
}

/** JSON with one event per line and keys sorted, so re-recording gives small diffs. */
function serialize(all: Record<string, TestTapes>): string {
  const out: string[] = ['{'];
  const names = Object.keys(all).sort();
  names.forEach((n, i) => {
    out.push(`  ${JSON.stringify(n)}: {`);
    const tests = Object.keys(all[n]!).sort();
    tests.forEach((t, j) => {
      const ev = all[n]![t]!;
      out.push(`    ${JSON.stringify(t)}: [`);
      ev.forEach((e, k) => out.push(`      ${JSON.stringify(e)}${k < ev.length - 1 ? ',' : ''}`));
      out.push(`    ]${j < tests.length - 1 ? ',' : ''}`);
    });
    out.push(`  }${i < names.length - 1 ? ',' : ''}`);
  });
  out.push('}', '');
  return out.join('\n');
}

/** v as JSON would give it back (a view must hold only JSON data: no bigint, Buffer or undefined). */
export function jsonPlain<T>(v: T): T {
  return JSON.parse(JSON.stringify(v) ?? 'null') as T;
}

/** A command's arguments as recorded (binary args as latin1 strings). */
function argStrings(args: Arg[]): string[] {
  return args.map((a) => (Buffer.isBuffer(a) ? a.latin1Slice(0) : String(a)));
}

/**
 * A connection to the reference: a RawConn to redis-server in the live run
 * (recording when asked), the tape in the replay run. Replay checks that the
 * test sends what it sent when recorded.
 */
export class TapeConn implements Conn {
  private constructor(
    private readonly tape: Tape,
    private readonly id: number,
    private readonly raw: RawConn | null,
  ) {}

  /** Connection `id` of the tape: to `port` when live, else replayed. */
  static async open(tape: Tape, id: number, port: number | null): Promise<TapeConn> {
    return new TapeConn(tape, id, tape.live && port !== null ? await RawConn.connect(port) : null);
  }

  /** The live connection to redis-server (null when replaying); what goes through it is not recorded. */
  get rawConn(): RawConn | null {
    return this.raw;
  }

  private sent(data: unknown): void {
    if (this.raw === null)
      assert.deepEqual(
        this.tape.next(this.id, 'w'),
        data,
        `golden record of "${this.tape.test}": a different command was sent (run npm run golden:record)`,
      );
    else this.tape.put(this.id, 'w', data);
  }

  private got(kind: string, live: () => Promise<string> | string): Promise<string> | string {
    if (this.raw === null) return String(this.tape.next(this.id, kind));
    const v = live();
    if (typeof v === 'string') {
      this.tape.put(this.id, kind, v);
      return v;
    }
    return v.then((s) => (this.tape.put(this.id, kind, s), s));
  }

  /** The recorded reply (or view) of a command, checking the command is the one recorded. */
  private replay(kind: string, args: Arg[]): unknown {
    const e = this.tape.nextEvent(this.id, kind);
    assert.deepEqual(
      e[2],
      argStrings(args),
      `golden record of "${this.tape.test}": a different command was sent (run npm run golden:record)`,
    );
    return e[3];
  }

  async call(...args: Arg[]): Promise<string> {
    if (this.raw === null) return String(this.replay('c', args));
    this.raw.write(encode(args));
    const r = await this.raw.read();
    this.tape.put(this.id, 'c', argStrings(args), r);
    return r;
  }

  /**
   * Sends a command; live, returns its raw reply and records view(reply);
   * replaying, returns null and the recorded view. For exact comparisons
   * through a digest (long replies) that still show the bytes when live.
   */
  async callKeep<T>(view: (raw: string) => T, ...args: Arg[]): Promise<{ raw: string | null; view: T }> {
    if (this.raw === null) return { raw: null, view: this.replay('cv', args) as T };
    this.raw.write(encode(args));
    const r = await this.raw.read();
    const v = jsonPlain(view(r));
    this.tape.put(this.id, 'cv', argStrings(args), v);
    return { raw: r, view: v };
  }

  /** Sends a command and returns view(reply); only the view is recorded. */
  async callView<T>(view: (raw: string) => T, ...args: Arg[]): Promise<T> {
    if (this.raw === null) return this.replay('cv', args) as T;
    this.raw.write(encode(args));
    const v = jsonPlain(view(await this.raw.read()));
    this.tape.put(this.id, 'cv', argStrings(args), v);
    return v;
  }

  /** Records a view (made JSON-plain, as the replay will return it) and returns it. */
  private keep<T>(v: T): T {
    const plain = jsonPlain(v);
    this.tape.put(this.id, 'v', plain);
    return plain;
  }

  read(ms?: number): Promise<string> {
    return Promise.resolve(this.got('r', () => this.raw!.read(ms)));
  }

  /** Reads one reply and returns view(reply); only the view is recorded. */
  async readView<T>(view: (raw: string) => T, ms?: number): Promise<T> {
    if (this.raw === null) return this.tape.next(this.id, 'v') as T;
    return this.keep(view(await this.raw.read(ms)));
  }

  write(data: string | Buffer): void {
    this.sent(typeof data === 'string' ? data : data.latin1Slice(0));
    if (this.raw !== null) this.raw.write(data);
  }

  pending(): string {
    return String(this.got('p', () => this.raw!.pending()));
  }

  take(): string {
    return String(this.got('t', () => this.raw!.take()));
  }

  readUntilClose(ms?: number): Promise<string> {
    return Promise.resolve(this.got('e', () => this.raw!.readUntilClose(ms)));
  }

  close(): void {
    this.raw?.close();
  }
}

/**
 * view(reply) of a command on either kind of connection; on the reference
 * only the view is recorded (for replies with timestamps, ids, uptime).
 */
export function viewOf<T>(c: Conn, view: (raw: string) => T, ...args: Arg[]): Promise<T> {
  return c instanceof TapeConn ? c.callView(view, ...args) : c.call(...args).then(view);
}

/** view(next reply) on either kind of connection; on the reference only the view is recorded. */
export function readViewOf<T>(c: Conn, view: (raw: string) => T, ms?: number): Promise<T> {
  return c instanceof TapeConn ? c.readView(view, ms) : c.read(ms).then(view);
}

/**
 * A reply as the golden files keep it for exact comparisons: itself up to
 * 300 bytes, else its SHA-256, length and first 60 bytes (the files stay
 * small; the bytes show when redis-server runs).
 */
export function digest(raw: string): string {
  if (raw.length <= 300) return raw;
  return `sha256:${createHash('sha256').update(raw, 'latin1').digest('hex')} ${raw.length} bytes: ${raw.slice(0, 60)}`;
}
