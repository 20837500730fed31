/**
 * The Lua VM's small-chunk cache in front of dlmalloc (wasm-code.ts
 * frontBodies): freed chunks of up to 248 bytes are handed back for later
 * requests of the same rounded size. A chunk handed out for a request it is
 * too small for, or handed out twice, would let one string overwrite
 * another (or dlmalloc's head words): these scripts churn strings of every
 * small size through garbage collections and check every byte they wrote.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startTsdis } from '../helpers/servers.js';

/**
 * Rounds of: 2,000 strings of lengths 0..299 (each byte a function of the
 * string's index, round and position), every other one dropped and
 * collected, the holes refilled with strings of other lengths, then every
 * byte of all 2,000 checked. Replies 'ok' or where it found a wrong byte.
 */
const CHURN = `
local rounds = tonumber(ARGV[1])
local function make(i, r, n)
  local parts = {}
  for k = 1, n do parts[k] = string.char(32 + (i * 31 + r * 17 + k * 7) % 90) end
  return table.concat(parts)
end
local function check(s, i, r, n)
  if #s ~= n then return false end
  for k = 1, n do
    if string.byte(s, k) ~= 32 + (i * 31 + r * 17 + k * 7) % 90 then return false end
  end
  return true
end
local keep = {}
for r = 1, rounds do
  local t, len = {}, {}
  for i = 1, 2000 do len[i] = (i * 13 + r) % 300 t[i] = make(i, r, len[i]) end
  for i = 1, 2000, 2 do t[i] = nil end
  collectgarbage()
  for i = 1, 2000, 2 do len[i] = (i * 7 + r * 3) % 300 t[i] = make(i, r, len[i]) end
  -- tables of several sizes too (their parts are small chunks)
  local tabs = {}
  for i = 1, 500 do local x = {} for k = 1, i % 40 do x[k] = k * i end tabs[i] = x end
  for i = 1, 2000 do
    if not check(t[i], i, r, len[i]) then return 'bad string ' .. i .. ' in round ' .. r end
  end
  for i = 1, 500 do
    local x = tabs[i]
    if #x ~= i % 40 then return 'bad table ' .. i .. ' in round ' .. r end
    for k = 1, #x do if x[k] ~= k * i then return 'bad table ' .. i .. ' in round ' .. r end end
  end
  keep[r] = t[r]
end
for r = 1, rounds do
  if not check(keep[r], r, r, (r % 2 == 1) and ((r * 7 + r * 3) % 300) or ((r * 13 + r) % 300)) then
    return 'bad kept string ' .. r
  end
end
return 'ok'
`;

test('strings and tables of every small size survive allocation churn in the Lua VM, byte for byte', async () => {
  const srv = await startTsdis();
  const r = new Redis({ port: srv.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await r.connect();
    assert.equal(await r.eval(CHURN, 0, '8'), 'ok');
    // again, with the lists the first run filled, and a cached script's calls in between
    await r.set('k', 'v');
    for (let i = 0; i < 50; i++) assert.equal(await r.eval("return redis.call('GET', KEYS[1])", 1, 'k'), 'v');
    assert.equal(await r.eval(CHURN, 0, '4'), 'ok');
    assert.equal(await r.eval('return 1', 0), 1, 'the VM lives on');
  } finally {
    r.disconnect();
    await srv.close();
  }
});
