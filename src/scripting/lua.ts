/**
 * The Lua VM: Redis's own Lua 5.1 (with cjson, cmsgpack, bit and struct and
 * Redis's sandbox: read-only globals, no os/io/loadfile/dofile/require/debug)
 * compiled to WebAssembly, from the `lua-redis-wasm` package. See README
 * "Scripting" for why this VM and not wasmoon or fengari.
 *
 * One VM serves every server in the process: a script cannot keep state
 * between runs (the globals are read-only), and runs never nest (EVAL and
 * FCALL are `noscript`), so the VM's host callbacks are routed to whichever
 * script is running now (`current`). Loading the WebAssembly is asynchronous;
 * it happens once, at import time (top-level await), so running a script is
 * synchronous: the whole script runs inside one command, atomically.
 *
 * This file also holds the two reply conversions: a command's RESP reply
 * (as the writer produced it) to the VM's value for Lua, and the script's
 * result back to the caller's Reply.
 */
import { load, type ReplyValue, type RedisHost } from 'lua-redis-wasm';
import { REDIS_VERSION } from '../version.js';
import type { Reply } from '../protocol/writer.js';

export type { ReplyValue } from 'lua-redis-wasm';

/** What a running script asks of its host (the script runner in scripts.ts). */
export interface ScriptHost {
  /** redis.call / redis.pcall with the arguments as latin1 strings; returns the reply for Lua. */
  call(argv: string[], raise: boolean): ReplyValue;
  /** redis.setresp(2|3). */
  setResp(v: 2 | 3): void;
  /** redis.log(level, message). */
  log(level: number, message: string): void;
}

let current: ScriptHost | null = null;

function versionNum(v: string): number {
  const [a = 0, b = 0, c = 0] = v.split('.').map(Number);
  return (a << 16) | (b << 8) | c;
}

const host: RedisHost = {
  redisCall: (args) => hostCall(args, true),
  redisPcall: (args) => hostCall(args, false),
  log: (level, message) => current?.log(level, message.latin1Slice(0, message.length)),
  onSetResp: (v) => current?.setResp(v),
};

function hostCall(args: Buffer[], raise: boolean): ReplyValue {
  if (current === null) return { err: Buffer.from('ERR no script is running') };
  const argv = new Array<string>(args.length);
  for (let i = 0; i < args.length; i++) argv[i] = args[i]!.latin1Slice(0, args[i]!.length);
  return current.call(argv, raise);
}

const mod = await load({
  profile: 'redis-7.2',
  redisProps: {
    REDIS_VERSION: { value: REDIS_VERSION },
    REDIS_VERSION_NUM: { value: versionNum(REDIS_VERSION) },
    REPL_NONE: { value: 0 },
    REPL_AOF: { value: 1 },
    REPL_SLAVE: { value: 2 },
    REPL_REPLICA: { value: 2 },
    REPL_ALL: { value: 3 },
    // Effects replication is the only mode since Redis 7: these are no-ops.
    replicate_commands: { returns: true },
    set_repl: { returns: null },
    breakpoint: { returns: false },
    debug: { returns: null },
    acl_check_cmd: { returns: true },
  },
});
const vm = mod.create(host);

/**
 * The engine's internals behind evalWithArgs (lua-redis-wasm 1.5.0, pinned):
 * evalWithArgs hashes the script in JS (SHA-1) and copies it into the VM's
 * memory on every run. The fast path below keeps each cached script's bytes
 * in the VM's memory and encodes KEYS/ARGV straight from latin1 strings;
 * the sha it passes is only used for error metadata, which runScript words
 * itself. Falls back to evalWithArgs if the internals are not there.
 */
interface EngineInternals {
  exports: { HEAPU8: Uint8Array; _alloc(n: number): number; _free_mem(p: number): void };
  callEvalWithArgs(sp: number, sl: number, ap: number, al: number, nkeys: number): unknown;
  decodeResult(r: unknown, sha: string): ReplyValue;
}
const internals = vm as unknown as EngineInternals;
const fastPath =
  typeof internals.callEvalWithArgs === 'function' && typeof internals.decodeResult === 'function' && internals.exports?._alloc !== undefined;

/** A script's bytes, resident in the VM's memory while the script is cached (see freeChunk). */
export interface Chunk {
  body: string;
  ptr: number;
  len: number;
}

export function makeChunk(body: string): Chunk {
  if (!fastPath) return { body, ptr: 0, len: 0 };
  const len = Buffer.byteLength(body, 'latin1');
  const ptr = internals.exports._alloc(Math.max(1, len));
  const heap = internals.exports.HEAPU8;
  Buffer.from(heap.buffer, heap.byteOffset, heap.byteLength).latin1Write(body, ptr, len);
  return { body, ptr, len };
}

/** Releases a chunk's VM memory (SCRIPT FLUSH). */
export function freeChunk(c: Chunk): void {
  if (c.ptr !== 0) internals.exports._free_mem(c.ptr);
  c.ptr = 0;
}

/**
 * Runs a chunk with KEYS and ARGV (latin1 strings) and returns its result as
 * the VM reports it: an error result carries `meta` when the script failed
 * (as opposed to returning an error value). `h` serves redis.call & co. for
 * the duration of the run.
 */
export function runChunk(chunk: Chunk, keys: string[], args: string[], h: ScriptHost): ReplyValue {
  const prev = current;
  current = h;
  try {
    if (chunk.ptr === 0) return vm.evalWithArgs(Buffer.from(chunk.body, 'latin1'), keys.map(latin1Buf), args.map(latin1Buf));
    const ex = internals.exports;
    let total = 4;
    for (const k of keys) total += 4 + k.length;
    for (const a of args) total += 4 + a.length;
    const ap = ex._alloc(total);
    // The heap may have grown (a new ArrayBuffer) since the last run.
    const heap = ex.HEAPU8;
    const b = Buffer.from(heap.buffer, heap.byteOffset, heap.byteLength);
    let o = ap;
    b.writeUInt32LE(keys.length + args.length, o);
    o += 4;
    for (const list of [keys, args]) {
      for (const s of list) {
        b.writeUInt32LE(s.length, o);
        o += 4;
        o += b.latin1Write(s, o, s.length);
      }
    }
    try {
      return internals.decodeResult(internals.callEvalWithArgs(chunk.ptr, chunk.len, ap, total, keys.length), '');
    } finally {
      ex._free_mem(ap);
    }
  } finally {
    current = prev;
  }
}

const latin1Buf = (s: string): Buffer => Buffer.from(s, 'latin1');

const CHECKER = makeChunk('local f, e = loadstring(ARGV[1], ARGV[2]) if f then return 1 end return {err = e}');

/** A host that refuses every redis.call: for compiling only. */
const NO_HOST: ScriptHost = {
  call: () => ({ err: Buffer.from('ERR not running') }),
  setResp: () => {},
  log: () => {},
};

/**
 * Compiles `body` without running it; returns the Lua error message
 * ("user_script:1: '=' expected near '1'") or null when it compiles.
 */
export function compileError(body: string, chunkName = '@user_script'): string | null {
  const r = runChunk(CHECKER, [], [body, chunkName], NO_HOST);
  if (r !== null && typeof r === 'object' && 'err' in r) return errText(r);
  return null;
}

/** The text of an error value: its code (when split off) and message. */
export function errText(r: { err: Buffer; code?: Buffer }): string {
  const msg = r.err.latin1Slice(0, r.err.length);
  return r.code !== undefined ? r.code.latin1Slice(0, r.code.length) + ' ' + msg : msg;
}

/**
 * Decodes one RESP2/RESP3 reply from `s` (latin1, as the writer produced it)
 * into the VM's value for Lua: status -> {ok}, error -> {err}, nulls -> null,
 * doubles -> {double}, maps -> {map}, and so on.
 */
export function respToLua(s: string): ReplyValue {
  const st = { s, pos: 0 };
  return readValue(st);
}

interface RespCursor {
  s: string;
  pos: number;
}

function readLine(c: RespCursor): string {
  const end = c.s.indexOf('\r\n', c.pos);
  const line = c.s.slice(c.pos + 1, end);
  c.pos = end + 2;
  return line;
}

function readValue(c: RespCursor): ReplyValue {
  const t = c.s[c.pos];
  const line = readLine(c);
  switch (t) {
    case '+':
      return { ok: Buffer.from(line, 'latin1') };
    case '-':
      return { err: Buffer.from(line, 'latin1') };
    case ':': {
      const n = Number(line);
      return Number.isSafeInteger(n) ? n : BigInt(line);
    }
    case '$': {
      const n = Number(line);
      if (n < 0) return null;
      const v = Buffer.from(c.s.slice(c.pos, c.pos + n), 'latin1');
      c.pos += n + 2;
      return v;
    }
    case '=': {
      const n = Number(line);
      const raw = c.s.slice(c.pos, c.pos + n);
      c.pos += n + 2;
      return { verbatim_string: { format: Buffer.from(raw.slice(0, 3), 'latin1'), string: Buffer.from(raw.slice(4), 'latin1') } };
    }
    case '*':
    case '~':
    case '>': {
      const n = Number(line);
      if (n < 0) return null;
      const a: ReplyValue[] = new Array(n);
      for (let i = 0; i < n; i++) a[i] = readValue(c);
      return t === '~' ? { set: a } : a;
    }
    case '%': {
      const n = Number(line);
      const m: [ReplyValue, ReplyValue][] = new Array(n);
      for (let i = 0; i < n; i++) {
        const k = readValue(c);
        m[i] = [k, readValue(c)];
      }
      return { map: m };
    }
    case '_':
      return null;
    case ',':
      return { double: line === 'inf' ? Infinity : line === '-inf' ? -Infinity : Number(line) };
    case '#':
      return line === 't';
    case '(':
      return { big_number: Buffer.from(line, 'latin1') };
    default:
      throw new Error(`unexpected reply type ${JSON.stringify(t)}`);
  }
}

/**
 * Writes a script's result to the caller's reply, in the caller's protocol
 * (a RESP3 map becomes a flat array for a RESP2 caller, as in Redis).
 */
export function luaToReply(v: ReplyValue, reply: Reply): void {
  if (v === null) return reply.null();
  switch (typeof v) {
    case 'number':
    case 'bigint':
      return reply.int(v);
    case 'boolean':
      return reply.bool(v);
  }
  if (Buffer.isBuffer(v)) return reply.bulk(v);
  if (Array.isArray(v)) {
    reply.array(v.length);
    for (const e of v) luaToReply(e, reply);
    return;
  }
  if ('ok' in v) return reply.simple(v.ok.latin1Slice(0, v.ok.length).replace(/[\r\n]/g, ' '));
  if ('err' in v) return reply.error(errText(v));
  if ('double' in v) return reply.double(v.double);
  if ('big_number' in v) return reply.bigNumber(v.big_number.latin1Slice(0, v.big_number.length));
  if ('verbatim_string' in v) {
    const { format, string } = v.verbatim_string;
    return reply.verbatim(string.latin1Slice(0, string.length), format.latin1Slice(0, format.length));
  }
  if ('map' in v) {
    reply.map(v.map.length);
    for (const [k, e] of v.map) {
      luaToReply(k, reply);
      luaToReply(e, reply);
    }
    return;
  }
  if ('set' in v) {
    reply.set(v.set.length);
    for (const e of v.set) luaToReply(e, reply);
    return;
  }
  reply.null();
}
