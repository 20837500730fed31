/**
 * LZF, the compression Redis applies to long strings in RDB files
 * (`rdbcompression yes`). The format: a control byte below 32 starts a run
 * of (ctrl + 1) literal bytes; otherwise its top 3 bits are a match length
 * minus 2 (7 means a second byte adds to it) and its low 5 bits the high bits
 * of (distance - 1), whose low 8 bits follow. Distances reach 8192 bytes,
 * lengths 264.
 *
 * The compressor is a plain greedy one with a hash of the next 3 bytes; its
 * output differs from liblzf's byte for byte, which does not matter: any
 * valid stream decompresses to the same bytes.
 */
import { Buffer } from 'node:buffer';

const HLOG = 14;
const HSIZE = 1 << HLOG;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3); // 264
const MAX_LIT = 32;
const htab = new Int32Array(HSIZE);

/**
 * Compresses src; returns null when the result would be longer than maxOut
 * bytes (Redis stores the string uncompressed then).
 */
export function lzfCompress(src: Uint8Array, maxOut: number): Buffer | null {
  const n = src.length;
  if (n < 4 || maxOut <= 0) return null;
  const out = Buffer.allocUnsafe(n + (n >>> 5) + 16);
  htab.fill(-1);
  let op = 1; // out[0] is the control byte of the first literal run
  let litStart = 0;
  let lit = 0;
  let ip = 0;
  while (ip < n) {
    if (ip + 2 < n) {
      const h = (((src[ip]! << 16) | (src[ip + 1]! << 8) | src[ip + 2]!) * 2654435761) >>> (32 - HLOG);
      const ref = htab[h]!;
      htab[h] = ip;
      const off = ip - ref - 1;
      if (
        ref >= 0 &&
        off < MAX_OFF &&
        src[ref] === src[ip] &&
        src[ref + 1] === src[ip + 1] &&
        src[ref + 2] === src[ip + 2]
      ) {
        const maxLen = Math.min(MAX_REF, n - ip);
        let len = 3;
        while (len < maxLen && src[ref + len] === src[ip + len]) len++;
        // close the literal run (or drop its unused control byte)
        if (lit > 0) out[litStart] = lit - 1;
        else op--;
        const l = len - 2;
        if (l < 7) out[op++] = (l << 5) | (off >>> 8);
        else {
          out[op++] = (7 << 5) | (off >>> 8);
          out[op++] = l - 7;
        }
        out[op++] = off & 0xff;
        if (op > maxOut) return null;
        litStart = op++;
        lit = 0;
        ip += len;
        continue;
      }
    }
    out[op++] = src[ip++]!;
    if (++lit === MAX_LIT) {
      out[litStart] = MAX_LIT - 1;
      litStart = op++;
      lit = 0;
    }
    if (op > maxOut + 1) return null;
  }
  if (lit > 0) out[litStart] = lit - 1;
  else op--;
  return op <= maxOut ? out.subarray(0, op) : null;
}

/**
 * Decompresses src into exactly outLen bytes; returns null when the stream
 * is malformed or does not produce exactly outLen bytes.
 */
export function lzfDecompress(src: Uint8Array, outLen: number): Buffer | null {
  const out = Buffer.allocUnsafe(outLen);
  const n = src.length;
  let ip = 0;
  let op = 0;
  while (ip < n) {
    const ctrl = src[ip++]!;
    if (ctrl < 32) {
      const len = ctrl + 1;
      if (op + len > outLen || ip + len > n) return null;
      for (let k = 0; k < len; k++) out[op++] = src[ip++]!;
    } else {
      let len = ctrl >>> 5;
      if (len === 7) {
        if (ip >= n) return null;
        len += src[ip++]!;
      }
      if (ip >= n) return null;
      const ref = op - ((ctrl & 0x1f) << 8) - 1 - src[ip++]!;
      len += 2;
      if (ref < 0 || op + len > outLen) return null;
      for (let k = 0; k < len; k++) out[op++] = out[ref + k]!;
    }
  }
  return op === outLen ? out : null;
}
