/** The Lua scripts the scripting benchmarks run (bench/scripting.ts and bench/micro/scripting*.ts). */

/** Five commands on three keys. */
export const FIVE = `redis.call('SET', KEYS[1], ARGV[1])
local v = redis.call('GET', KEYS[1])
redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[3], 'f', v)
return redis.call('EXISTS', KEYS[1])`;

// Shaped like BullMQ's addStandardJob without streams: id counter, msgpack
// options, a job hash with JSON opts, wait list or delayed zset, an event list.
export const ADD_JOB = `local jobId = redis.call('INCR', KEYS[1])
local jobIdKey = KEYS[2] .. jobId
if redis.call('EXISTS', jobIdKey) == 1 then return jobId .. '' end
local opts = cmsgpack.unpack(ARGV[2])
redis.call('HMSET', jobIdKey, 'name', opts.name, 'data', ARGV[1], 'opts', cjson.encode(opts),
  'timestamp', opts.timestamp, 'delay', opts.delay or 0, 'priority', opts.priority or 0)
local delay = opts.delay or 0
if delay > 0 then
  redis.call('ZADD', KEYS[4], opts.timestamp + delay, jobId)
elseif (opts.priority or 0) > 0 then
  redis.call('ZADD', KEYS[6], opts.priority, jobId)
else
  redis.call('LPUSH', KEYS[5], jobId)
end
redis.call('LPUSH', KEYS[3], cjson.encode({event = 'added', jobId = jobId, name = opts.name}))
redis.call('LTRIM', KEYS[3], 0, 999)
return jobId .. ''`;
