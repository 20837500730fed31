/**
 * Geo in process (no sockets): the per-request cost of `npm run bench:types`'s
 * GEOADD and GEOSEARCH rows through `srv.call` (argument handling and reply
 * decoding included, a constant), plus the hot helpers alone: decoding a
 * score and encoding a point. Same 2,000 points as bench/types.ts.
 *
 * Usage: node dist-test/bench/micro/geo.js [--ops N]
 */
import { createServer } from '../../src/index.js';
import { decodeTo, scoreOf } from '../../src/util/geohash.js';

const argv = process.argv.slice(2);
const oi = argv.indexOf('--ops');
const OPS = Number(oi >= 0 ? argv[oi + 1] : 50_000);

/** µs per call of an async command, best of 5 rounds. */
async function timeCalls(n: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await fn(i);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / n / 1000);
  }
  return best;
}

/** ns per call of a sync function, best of 5 rounds. */
function timeSync(n: number, fn: (i: number) => void): number {
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn(i);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / n);
  }
  return best;
}

async function main(): Promise<void> {
  const srv = await createServer({ noListen: true });
  const args: string[] = ['GEOADD', 'bench:g2'];
  let x = 12345;
  const rnd = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < 2000; i++) args.push((13 + rnd()).toFixed(6), (38 + rnd()).toFixed(6), `p${i}`);
  await srv.call(...args);

  const search = ['GEOSEARCH', 'bench:g2', 'FROMLONLAT', '13.5', '38.5', 'BYRADIUS', '10', 'km', 'COUNT', '10', 'ASC'];
  const searchUs = await timeCalls(OPS / 5, () => srv.call(...search));
  const searchAllUs = await timeCalls(OPS / 10, () =>
    srv.call(
      'GEOSEARCH',
      'bench:g2',
      'FROMLONLAT',
      '13.5',
      '38.5',
      'BYRADIUS',
      '10',
      'km',
      'ASC',
      'WITHDIST',
      'WITHCOORD',
    ),
  );
  const addUs = await timeCalls(OPS, (i) =>
    srv.call('GEOADD', 'bench:g', '13.361389', '38.115556', `member${i % 100000}`),
  );
  const pingUs = await timeCalls(OPS, () => srv.call('PING'));

  let sink = 0;
  const scores: number[] = [];
  for (let i = 0; i < 1024; i++) scores.push(scoreOf(13 + rnd(), 38 + rnd())!);
  const decNs = timeSync(1_000_000, (i) => {
    decodeTo(scores[i & 1023]!);
  });
  const encNs = timeSync(1_000_000, (i) => {
    sink += scoreOf(13 + (i & 1023) / 1024, 38.5)!;
  });
  if (sink < 0) console.log(sink);
  await srv.close();

  console.log(`PING (call overhead)                       ${pingUs.toFixed(2)} µs`);
  console.log(`GEOADD one member                          ${addUs.toFixed(2)} µs`);
  console.log(`GEOSEARCH 10 km COUNT 10 ASC               ${searchUs.toFixed(2)} µs`);
  console.log(`GEOSEARCH 10 km ASC WITHDIST WITHCOORD     ${searchAllUs.toFixed(2)} µs`);
  console.log(`decodeTo                                   ${decNs.toFixed(1)} ns`);
  console.log(`scoreOf                                    ${encNs.toFixed(1)} ns`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
