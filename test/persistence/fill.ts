/**
 * A dataset that exercises every type and encoding RDB files carry, as
 * commands (so the same data can be built in tsdis and in redis-server):
 * int/embstr/raw/LZF-compressible/binary strings, small and large lists
 * (listpack and quicklist nodes, int64 elements), hashes (listpack and
 * hashtable), sets (intset of each width, listpack, hashtable), sorted sets
 * (listpack and skiplist, inf/-inf/-0/fractional scores), TTLs, binary key
 * names, several databases.
 */
export function fillCommands(opts: { large?: boolean } = {}): string[][] {
  const c: string[][] = [];
  const big = opts.large !== false;
  const ttlAt = String(Date.now() + 3_600_000);
  c.push(['SELECT', '0']);
  c.push(
    ['SET', 'str:int', '12345'],
    ['SET', 'str:neg', '-7'],
    ['SET', 'str:int64', '9223372036854775807'],
    ['SET', 'str:int40', '1099511627776'],
  );
  c.push(
    ['SET', 'str:small', 'hello'],
    ['SET', 'str:empty', ''],
    ['SET', 'str:bin', '\x00\x01\xff\xfe binary \r\n'],
    ['SET', 'str:lead0', '007'],
  );
  c.push(
    ['SET', 'str:compressible', 'abcdefgh'.repeat(200)],
    ['SET', 'str:raw', Array.from({ length: 300 }, (_, i) => String.fromCharCode((i * 37) % 256)).join('')],
  );
  c.push(['SET', 'str:ttl', 'v', 'PXAT', ttlAt], ['SET', 'bin\x00key\xff', 'x']);
  c.push(
    ['SET', 'str:appended', 'a'],
    ['APPEND', 'str:appended', 'bc'],
    ['SETRANGE', 'str:appended', '10', 'z'],
    ['INCRBYFLOAT', 'str:float', '1.5'],
  );
  c.push([
    'RPUSH',
    'list:small',
    'a',
    'b',
    '1',
    '-2',
    '300',
    '70000',
    '9223372036854775807',
    '-9223372036854775808',
    '3.5',
    '',
  ]);
  c.push(['RPUSH', 'list:ttl', 'x'], ['PEXPIREAT', 'list:ttl', ttlAt]);
  c.push(['HSET', 'hash:small', 'f1', 'v1', 'f2', '2', '3', 'three', 'empty', '']);
  c.push(['HSET', 'hash:longval', 'f', 'v'.repeat(100)]);
  c.push(['SADD', 'set:int16', '1', '2', '3', '-5']);
  c.push(['SADD', 'set:int32', '1', '100000', '-100000']);
  c.push(['SADD', 'set:int64', '1', '9223372036854775807', '-9223372036854775808']);
  c.push(['SADD', 'set:str', 'a', 'b', 'c', '1']);
  c.push([
    'ZADD',
    'zset:small',
    '1',
    'a',
    '2.5',
    'b',
    '-3',
    'c',
    'inf',
    'pinf',
    '-inf',
    'ninf',
    '0',
    'zero',
    '0.1',
    'tenth',
    '1e300',
    'huge',
    '123456789012',
    'intmember',
  ]);
  c.push(['ZADD', 'zset:longmember', '1', 'm'.repeat(100)]);
  if (big) {
    const lbig = ['RPUSH', 'list:big'];
    for (let i = 0; i < 3000; i++) lbig.push(i % 3 === 0 ? String(i) : `element-${i}-${'p'.repeat(i % 50)}`);
    c.push(lbig);
    c.push(['RPUSH', 'list:hugeelem', 'h'.repeat(20000), 'small', 'h2'.repeat(5000)]);
    const hbig = ['HSET', 'hash:big'];
    for (let i = 0; i < 1000; i++) hbig.push(`field:${i}`, i % 2 ? String(i) : `value:${i}`);
    c.push(hbig);
    const sbig = ['SADD', 'set:big'];
    for (let i = 0; i < 1000; i++) sbig.push(`member:${i}`);
    c.push(sbig);
    const sints = ['SADD', 'set:bigints'];
    for (let i = 0; i < 1000; i++) sints.push(String(i * 1000));
    c.push(sints);
    const zbig = ['ZADD', 'zset:big'];
    for (let i = 0; i < 1000; i++) zbig.push(String(i / 7), `m:${i}`);
    c.push(zbig);
  }
  c.push(['SELECT', '1'], ['SET', 'db1:key', 'one'], ['RPUSH', 'db1:list', 'x', 'y']);
  c.push(['SELECT', '15'], ['SET', 'db15:key', 'fifteen'], ['SET', 'db15:ttl', 'x', 'PXAT', ttlAt]);
  c.push(['SELECT', '0']);
  return c;
}
