// The VM comparison behind README "Scripting": fengari, wasmoon and lua-redis-wasm running
// the same 5-command script against a trivial in-JS command host, ops/s in one process.
// wasmoon and fengari are not dependencies: npm i --no-save wasmoon@1.16.0 fengari@0.1.5 first.
// Usage: node bench/lua-vms.mjs
import { LuaWasmEngine } from 'lua-redis-wasm';
import { LuaFactory } from 'wasmoon';
import fengari from 'fengari';
const store = new Map();
function exec(args) {
  // args: string[]
  const c = args[0].toLowerCase();
  if (c === 'set') {
    store.set(args[1], args[2]);
    return 'OK';
  }
  if (c === 'get') return store.get(args[1]) ?? null;
  if (c === 'incr') {
    const v = Number(store.get(args[1]) ?? 0) + 1;
    store.set(args[1], String(v));
    return v;
  }
  if (c === 'hset') {
    store.set(args[1] + ':' + args[2], args[3]);
    return 1;
  }
  if (c === 'exists') return store.has(args[1]) ? 1 : 0;
  if (c === 'zadd') return 1;
  if (c === 'xadd') return '1-0';
  if (c === 'hmset') return 'OK';
  return 1;
}
const S5 = `redis.call('SET', KEYS[1], ARGV[1]); local v = redis.call('GET', KEYS[1]); redis.call('INCR', KEYS[2]); redis.call('HSET', KEYS[3], 'f', v); return redis.call('EXISTS', KEYS[1])`;
const ADD = `local jobId = redis.call('INCR', KEYS[1])
local jobIdKey = KEYS[2] .. jobId
if redis.call('EXISTS', jobIdKey) == 1 then return jobId .. "" end
local opts = cmsgpack.unpack(ARGV[2])
local data = ARGV[1]
redis.call('HMSET', jobIdKey, 'name', opts.name, 'data', data, 'opts', cjson.encode(opts), 'timestamp', opts.timestamp, 'delay', opts.delay or 0, 'priority', opts.priority or 0)
redis.call('XADD', KEYS[3], '*', 'event', 'added', 'jobId', jobId, 'name', opts.name)
if (opts.delay or 0) > 0 then redis.call('ZADD', KEYS[4], opts.timestamp + opts.delay, jobId) else redis.call('LPUSH', KEYS[5], jobId) end
redis.call('XADD', KEYS[3], '*', 'event', 'waiting', 'jobId', jobId)
return jobId .. ""`;
// msgpack of {name='job', timestamp=1700000000000, delay=0, priority=0}: build by hand via lua below
const N = 100000;
function time(name, f) {
  for (let i = 0; i < 2000; i++) f(i);
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) f(i);
  const dt = Number(process.hrtime.bigint() - t) / 1e9;
  console.log(name, Math.round(N / dt), 'ops/s');
}
// --- lua-redis-wasm
{
  const toReply = (r) => (r === 'OK' ? { ok: Buffer.from('OK') } : typeof r === 'string' ? Buffer.from(r) : r);
  const eng = await LuaWasmEngine.create({
    host: { redisCall: (a) => toReply(exec(a.map(String))), redisPcall: (a) => toReply(exec(a.map(String))), log() {} },
  });
  const keys = [Buffer.from('k1'), Buffer.from('k2'), Buffer.from('k3')],
    argv = [Buffer.from('v')];
  time('lua-redis-wasm S5', () => eng.evalWithArgs(S5, keys, argv));
  const mp = eng.eval(`return cmsgpack.pack({name='job', timestamp=1700000000000, delay=0, priority=0})`);
  const k = ['id', 'job:', 'ev', 'delayed', 'wait'].map((s) => Buffer.from(s));
  time('lua-redis-wasm addJob', () => eng.evalWithArgs(ADD, k, [Buffer.from('{"x":1}'), mp]));
  globalThis.MP = mp;
  console.log('mem', process.memoryUsage());
}
// --- wasmoon
{
  const factory = new LuaFactory();
  const lua = await factory.createEngine({ injectObjects: false, enableProxy: false, traceAllocations: false });
  lua.global.set('jscall', (...a) => {
    const r = exec(a.map(String));
    return r === 'OK' ? 'OK' : r;
  });
  lua.doStringSync(`redis = { call = function(...) return jscall(...) end }`);
  lua.doStringSync(`function f_s5(KEYS, ARGV) ${S5} end`);
  const f = lua.global.get('f_s5');
  time('wasmoon S5 (js fn call)', () => f(['k1', 'k2', 'k3'], ['v']));
  lua.doStringSync(`KEYS={'k1','k2','k3'} ARGV={'v'} function g_s5() ${S5} end`);
  const g = lua.global.get('g_s5');
  time('wasmoon S5 (no args)', () => g());
}
// --- fengari
{
  const { lua, lauxlib, lualib, to_luastring } = fengari;
  const L = lauxlib.luaL_newstate();
  lualib.luaL_openlibs(L);
  lua.lua_pushjsfunction(L, (L) => {
    const n = lua.lua_gettop(L);
    const a = [];
    for (let i = 1; i <= n; i++) a.push(lua.lua_tojsstring(L, i));
    const r = exec(a);
    if (r === null) lua.lua_pushboolean(L, false);
    else if (typeof r === 'number') lua.lua_pushinteger(L, r);
    else lua.lua_pushstring(L, to_luastring(r));
    return 1;
  });
  lua.lua_setglobal(L, to_luastring('jscall'));
  lauxlib.luaL_dostring(L, to_luastring(`redis = { call = jscall } function f_s5() ${S5} end`));
  const name = to_luastring('f_s5');
  const setArr = (g, arr) => {
    lua.lua_createtable(L, arr.length, 0);
    arr.forEach((s, i) => {
      lua.lua_pushstring(L, to_luastring(s));
      lua.lua_rawseti(L, -2, i + 1);
    });
    lua.lua_setglobal(L, to_luastring(g));
  };
  time('fengari S5', () => {
    setArr('KEYS', ['k1', 'k2', 'k3']);
    setArr('ARGV', ['v']);
    lua.lua_getglobal(L, name);
    lua.lua_pcall(L, 0, 1, 0);
    lua.lua_pop(L, 1);
  });
}
