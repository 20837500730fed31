/**
 * Scripts in the VM (lua.ts runs them): a Chunk is compiled once per VM and
 * kept in the Lua registry when the engine is patched (compiledIn, bounded
 * by CACHE_BYTES), else its bytes stay resident in the VM's memory and it
 * is compiled on every run (residentIn); and the copy of a run's KEYS and
 * ARGV into the VM (writeArgs).
 */
import { Buffer } from 'node:buffer';
import { FIRST_REF, LUA_REGISTRYINDEX, NAME_USER_SCRIPT } from './wasm-layout.js';
import { ARGS_SCRATCH, allocIn, asVmFailure, heap, stateOf, type Vm } from './lua-engine.js';
import { putU32 } from './lua-convert.js';
import { latin1Into } from '../util/latin1.js';

/**
 * A script for the VM. With the patched engine it is compiled once per VM
 * and kept in the Lua registry (`ref`); otherwise (or when it does not
 * compile, or the cache is full) its bytes stay resident in the VM's memory
 * and it is compiled on every run. Either way until freeChunk.
 */
export interface Chunk {
  body: string;
  /**
   * For the compiled cache only (patched VM): code compiled as a main chunk,
   * as Redis compiles a script, whose first result each run returns through
   * the sandbox's `first` wrapper (sandbox.ts, FIRST_REF); null: `body` itself.
   */
  main: string | null;
  ptr: number;
  len: number;
  /** The VM the bytes live in (0: none yet). */
  gen: number;
  /** Registry slot of the compiled function (0: none). */
  ref: number;
  /** The VM `ref` belongs to. */
  refGen: number;
  /** Compiling failed in VM `noCacheGen`: run it the slow way there (its error comes from the run). */
  noCacheGen: number;
}

/**
 * A chunk for `body`; it enters the VM on its first run. `main` (see
 * Chunk), run through the sandbox's `first`, must behave as `body` does.
 */
export function makeChunk(body: string, main: string | null = null): Chunk {
  return { body, main, ptr: 0, len: 0, gen: 0, ref: 0, refGen: 0, noCacheGen: 0 };
}

/**
 * A chunk that runs `code` and returns only its first result (Redis keeps
 * the first of several; the VM, the last). Compiled once, `code` is a main
 * chunk of its own (no `arg` local, as in Redis) called by a closure made
 * once, so a run makes no closure; uncached, it is the body of a function.
 */
export function makeBodyChunk(code: string): Chunk {
  return makeChunk(`return ((function(...) ${code}\nend)())`, code);
}

/**
 * Source bytes of compiled chunks kept per VM: past this, new chunks are
 * compiled on every run instead. A compiled function takes ~3.8 times its
 * source in the Lua heap (measured: 1,000 40-line scripts, 1.5 MB of
 * source, 5.6 MB of heap), and the heap is a fixed 64 MB: 4 MB of source
 * (~15 MB compiled; BullMQ's whole script set is ~1 MB) leaves the rest to
 * the scripts' data.
 */
const CACHE_BYTES = 4 << 20;

/**
 * Compiles `c` in a patched VM and keeps the function in the registry;
 * returns its slot, or 0 (no patch, cache full, or it does not compile).
 */
export function compiledIn(vm: Vm, c: Chunk): number {
  if (c.refGen === vm.gen && c.ref !== 0) return c.ref;
  const raw = vm.raw;
  const src = c.main ?? c.body;
  if (raw === null || c.noCacheGen === vm.gen || vm.cachedBytes + src.length > CACHE_BYTES) return 0;
  const len = src.length;
  const ptr = allocIn(vm, Math.max(1, len));
  heap(vm).latin1Write(src, ptr, len);
  const L = stateOf(vm);
  const top = raw.tsdis_gettop(L);
  try {
    if (c.main !== null) raw.tsdis_rawgeti(L, LUA_REGISTRYINDEX, FIRST_REF);
    if (raw.tsdis_load(L, ptr, len, NAME_USER_SCRIPT) !== 0) {
      raw.tsdis_settop(L, top);
      c.noCacheGen = vm.gen;
      return 0;
    }
    // first(f) only makes a closure (it fails only out of memory: Lua panics, the VM is replaced).
    if (c.main !== null) raw.tsdis_call(L, 1, 1);
    const ref = vm.freeRefs.pop() ?? vm.nextRef++;
    raw.tsdis_rawseti(L, LUA_REGISTRYINDEX, ref);
    c.ref = ref;
    c.refGen = vm.gen;
    vm.cachedBytes += len;
    return ref;
  } catch (e) {
    throw asVmFailure(e);
  } finally {
    vm.mem.free(ptr);
  }
}

/** Puts the chunk's bytes into `vm` (again, if it was made for a retired one). */
export function residentIn(vm: Vm, c: Chunk): void {
  if (c.gen === vm.gen && c.ptr !== 0) return;
  const len = Buffer.byteLength(c.body, 'latin1');
  const ptr = allocIn(vm, Math.max(1, len));
  heap(vm).latin1Write(c.body, ptr, len);
  c.ptr = ptr;
  c.len = len;
  c.gen = vm.gen;
}

/**
 * Copies KEYS and ARGV into the VM ([u32 count]([u32 len][bytes])*);
 * returns [ptr, length]. Small ones go to the VM's scratch area (the engine
 * copies them into Lua strings before the script runs), others to memory
 * the caller frees (ptr !== vm.argsPtr).
 */
export function writeArgs(vm: Vm, keys: string[], args: string[]): [number, number] {
  let total = 4 + 4 * (keys.length + args.length);
  for (let i = 0; i < keys.length; i++) total += keys[i]!.length;
  for (let i = 0; i < args.length; i++) total += args[i]!.length;
  const ap = total <= ARGS_SCRATCH && vm.argsPtr !== 0 ? vm.argsPtr : allocIn(vm, total);
  const b = heap(vm);
  let o = ap;
  putU32(b, o, keys.length + args.length);
  o += 4;
  for (let k = 0; k < 2; k++) {
    const list = k === 0 ? keys : args;
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
      putU32(b, o, s.length);
      o = latin1Into(b, o + 4, s);
    }
  }
  return [ap, total];
}
