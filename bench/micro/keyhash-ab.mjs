// A/B of the keyspace's key hash (keyspace/keyindex.ts halfSipHash13) between two builds, in one
// process: the same 1,000 keys at each length, rounds alternating, best round per build (ns a hash).
// Both builds must hash alike (checked first). Usage: node bench/micro/keyhash-ab.mjs <A dist> <B dist>
const A = await import(process.argv[2] + '/keyspace/keyindex.js');
const B = await import(process.argv[3] + '/keyspace/keyindex.js');
for (const len of [8, 16, 20, 32, 64]) {
  const keys = Array.from({ length: 1000 }, (_, i) =>
    Buffer.from(('k:' + String(i).padStart(len, '0')).slice(0, len)).toString('latin1'),
  );
  for (const k of keys) if (A.halfSipHash13(k, 1, 2) !== B.halfSipHash13(k, 1, 2)) throw new Error('the builds differ');
  const best = { A: Infinity, B: Infinity };
  let x = 0;
  for (let r = 0; r < 6; r++)
    for (const [n, f] of [
      ['A', A.halfSipHash13],
      ['B', B.halfSipHash13],
    ]) {
      const t = process.hrtime.bigint();
      for (let i = 0; i < 3e6; i++) x ^= f(keys[i % 1000], 1, 2);
      best[n] = Math.min(best[n], Number(process.hrtime.bigint() - t) / 3e6);
    }
  // (the hashes' checksum printed, so that they cannot be optimized away)
  console.log(
    `length ${len}: A ${best.A.toFixed(1)} ns, B ${best.B.toFixed(1)} ns, B/A ${(best.B / best.A).toFixed(2)} (${x & 1})`,
  );
}
