/**
 * Hash slots: CRC16 (XMODEM: polynomial 0x1021, initial 0, no reflection)
 * of a key, or of its hash tag, modulo 16384, as Redis Cluster computes
 * them. A hash tag is what lies between the first '{' and the first '}'
 * after it, when that is not empty. Keys are latin1 strings (one char per
 * byte), so the bytes are the char codes.
 */

/** Number of hash slots. */
export const CLUSTER_SLOTS = 16384;

/** The CRC16/XMODEM table, computed once per process (pure data, never changed). */
const CRC16_TABLE: Uint16Array = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    t[i] = c;
  }
  return t;
})();

/** CRC16/XMODEM of s.slice(from, to) (latin1 chars as bytes). */
export function crc16(s: string, from = 0, to = s.length): number {
  let crc = 0;
  for (let i = from; i < to; i++) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ s.charCodeAt(i)) & 0xff]!;
  return crc;
}

/** The hash slot of a key (Redis's keyHashSlot): its hash tag's when it has a non-empty one. */
export function keyHashSlot(key: string): number {
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return crc16(key, open + 1, close) & 0x3fff;
  }
  return crc16(key) & 0x3fff;
}

/** A slot bitmap (16384 bits, bit j of byte j>>3 as Redis's bitmapTestBit: 1 << (j & 7)). */
export function bitmapTest(bm: Uint8Array, j: number): boolean {
  return (bm[j >> 3]! & (1 << (j & 7))) !== 0;
}

export function bitmapSet(bm: Uint8Array, j: number): void {
  bm[j >> 3]! |= 1 << (j & 7);
}

export function bitmapClear(bm: Uint8Array, j: number): void {
  bm[j >> 3]! &= ~(1 << (j & 7));
}
