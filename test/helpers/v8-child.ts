/**
 * A script run in a child node with V8's flags (`--allow-natives-syntax`,
 * `--expose-gc`, `--trace-deopt`): the tests that ask V8 about the server's
 * objects and code (hidden classes, young strings, deoptimizations).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

/** A module of the server (`types/zset.js`) as a quoted file URL, for the script's imports. */
export function srcUrl(module: string): string {
  return JSON.stringify(pathToFileURL(path.join(SRC, module)).href);
}

/** Runs `source` as an ES module in `node ...flags` (60 s at most) and returns what it printed. */
export function runV8Script(source: string, flags: string[], encoding: BufferEncoding = 'utf8'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdis-v8-'));
  try {
    const script = path.join(dir, 'run.mjs');
    fs.writeFileSync(script, source);
    return execFileSync(process.execPath, [...flags, script], { encoding, timeout: 60_000 });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
