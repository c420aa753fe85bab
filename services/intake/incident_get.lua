-- incident_get.lua: an incident with its calls and timeline, in one
-- round trip.  KEYS: 1 incident hash.  ARGV: 1 key prefix, 2 max calls,
-- 3 max timeline entries.  Returns false, or {hash, calls JSON, timeline,
-- total calls, total timeline entries}.
local h = redis.call('HGETALL', KEYS[1])
if #h == 0 then return false end
local ids = redis.call('LRANGE', KEYS[1] .. ':calls', 0, tonumber(ARGV[2]) - 1)
local calls = {}
for i, id in ipairs(ids) do
  calls[i] = redis.call('HGET', ARGV[1] .. 'call:' .. id, 'json') or '{}'
end
local tl = redis.call('LRANGE', KEYS[1] .. ':tl', 0, tonumber(ARGV[3]) - 1)
return {h, calls, tl, redis.call('LLEN', KEYS[1] .. ':calls'),
        redis.call('LLEN', KEYS[1] .. ':tl')}
