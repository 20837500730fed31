/**
 * Multi-connection scenarios run against tsdis and a real redis-server in
 * turn: a scenario opens connections through a Session, sends commands and
 * records the replies it reads into a transcript; `sameTranscript` runs it on
 * both servers (each FLUSHALLed first) and asserts the transcripts are equal.
 * Used where the order of replies across clients matters (blocking commands,
 * transactions, pub/sub).
 */
import assert from 'node:assert/strict';
import type { Differ } from './diff.js';
import { RawConn } from './servers.js';
import { encode } from './resp.js';

export type Scenario = (s: Session) => Promise<void>;
type Arg = string | Buffer;

/** Connections to one server and the transcript of what they received. */
export class Session {
  log: string[] = [];
  private conns: RawConn[] = [];
  /** `reference`: this session runs on the redis-server 7.0 reference (see read72). */
  constructor(
    readonly port: number,
    readonly reference = false,
  ) {}
  async conn(): Promise<RawConn> {
    const c = await RawConn.connect(this.port);
    this.conns.push(c);
    return c;
  }
  /** Sends a command without waiting for its reply. */
  send(c: RawConn, ...args: Arg[]): void {
    c.write(encode(args));
  }
  /** Reads one reply into the transcript. */
  async read(c: RawConn, label: string, ms = 3000): Promise<string> {
    const r = await c.read(ms);
    this.log.push(`${label}: ${JSON.stringify(r)}`);
    return r;
  }
  /**
   * Reads a reply where Redis 7.2 differs from the 7.0 reference: on tsdis it
   * must be `expected` (7.2's, from its source and tests); the transcript
   * records only the label, so the reference's reply is not compared.
   */
  async read72(c: RawConn, label: string, expected: string, ms = 3000): Promise<void> {
    const r = await c.read(ms);
    if (!this.reference) assert.equal(r, expected, `${label} (Redis 7.2's reply)`);
    this.log.push(`${label}: (Redis 7.2's reply)`);
  }
  async call(c: RawConn, label: string, ...args: Arg[]): Promise<string> {
    this.send(c, ...args);
    return this.read(c, label);
  }
  /** A command with `n` replies (SUBSCRIBE a b c). */
  async callN(c: RawConn, label: string, n: number, ...args: Arg[]): Promise<void> {
    this.send(c, ...args);
    for (let i = 0; i < n; i++) await this.read(c, label);
  }
  /** A command whose reply differs between servers by nature (ids, versions): not logged. */
  async quiet(c: RawConn, ...args: Arg[]): Promise<string> {
    this.send(c, ...args);
    return c.read(3000);
  }
  /** Logs whatever else arrived on `c` within a short while (expected: nothing). */
  async rest(c: RawConn, label: string, ms = 60): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    this.log.push(`${label} rest: ${JSON.stringify(c.pending())}`);
  }
  /** Waits until the server reports `n` blocked clients. */
  async blocked(n: number): Promise<void> {
    const c = await RawConn.connect(this.port);
    try {
      const deadline = Date.now() + 3000;
      for (;;) {
        const info = await c.call('INFO', 'clients');
        const m = /blocked_clients:(\d+)/.exec(info);
        if (m && Number(m[1]) === n) return;
        if (Date.now() > deadline) throw new Error(`blocked_clients never reached ${n}: ${info}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    } finally {
      c.close();
    }
  }
  close(): void {
    for (const c of this.conns) c.close();
  }
}

/**
 * Runs the scenario on both servers (one after the other, each FLUSHALLed
 * and given the `reset` commands first) and compares the transcripts; without
 * redis-server, its transcript comes from the golden file. Set env `envFlag`
 * to print redis's transcript.
 */
export async function sameTranscript(
  d: Differ,
  scn: Scenario,
  envFlag = 'SCENARIO_TRANSCRIPTS',
  reset: string[][] = [],
): Promise<void> {
  const run = async (port: number, reference: boolean): Promise<string[]> => {
    const ctl = await RawConn.connect(port);
    await ctl.call('FLUSHALL');
    for (const cmd of reset) await ctl.call(...cmd);
    ctl.close();
    const s = new Session(port, reference);
    try {
      await scn(s);
    } finally {
      s.close();
    }
    return s.log;
  };
  const a = await run(d.tsdis.port, false);
  // (the reference's transcript is recorded whole in the golden file, and replayed without redis-server)
  const b = await d.tape.value('T', () => run(d.redis!.port, true));
  if (process.env[envFlag]) console.log(b.join('\n'));
  const i = a.findIndex((x, j) => x !== b[j]);
  assert.deepEqual(
    a,
    b,
    i < 0 ? 'transcripts differ in length' : `first difference at ${i}: tsdis ${a[i]} / redis ${b[i]}`,
  );
}
