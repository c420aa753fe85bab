-- aggregate.lua: one accepted call, applied atomically.
--
-- Either (1) the call id was seen before: answer as the first time (or
-- 'conflict' if the same id now says something else); or (2) an open
-- incident of a compatible type lies within the merge radius and was
-- last reported within the merge window: the call joins it; or (3) a new
-- incident is created and handed to the router on the incidents stream.
-- All writes of one call happen in this one script, so a crash leaves
-- either nothing or everything, and a retry finds the call.
--
-- KEYS: 1 call hash, 2 open-incidents GEO set, 3 open-incidents ZSET
--       (by T0), 4 incidents stream
-- ARGV: 1 key prefix ("np:{city}:"), 2 new incident id, 3 call id,
--       4 fingerprint, 5 call JSON, 6 type, 7 compatible types (a,b,c),
--       8 priority, 9 lat, 10 lon, 11 now (ms), 12 merge radius (m),
--       13 merge window (ms), 14 max candidates, 15 incident.created
--       message, 16 the call's timeline entry after its event
--       ('"by":...}': '{"ts":<now>,"event":"created",' goes before it,
--       or "call_merged"), 17 address, 18 source, 19 district
-- Returns {status, incident id, merged 0/1, calls, priority, t0}.
local call_key, geo, open, stream = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local p, new_id, call_id, fp = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local ctype, prio, now = ARGV[6], tonumber(ARGV[8]), tonumber(ARGV[11])

local function answer(status, id, merged)
  local f = redis.call('HMGET', p .. 'inc:' .. id, 'calls', 'priority', 't0')
  return {status, id, merged, tonumber(f[1]) or 0, tonumber(f[2]) or 0,
          tonumber(f[3]) or 0}
end

-- (1) the same call again
local seen = redis.call('HMGET', call_key, 'incident', 'merged', 'fp')
if seen[1] then
  return answer(seen[3] == fp and 'duplicate' or 'conflict', seen[1],
                tonumber(seen[2]))
end

local function record_call(id, merged)
  redis.call('HSET', call_key, 'incident', id, 'merged', merged, 'fp', fp,
             'json', ARGV[5], 'ts', now)
  redis.call('RPUSH', p .. 'inc:' .. id .. ':calls', call_id)
end

local function timeline(event)
  return '{"ts":' .. ARGV[11] .. ',"event":"' .. event .. '",' .. ARGV[16]
end

-- (2) merge into the nearest open, compatible, recently reported incident
local near = redis.call('GEOSEARCH', geo, 'FROMLONLAT', ARGV[10], ARGV[9],
                        'BYRADIUS', ARGV[12], 'm', 'ASC', 'COUNT', ARGV[14])
local ok = {}
if #near > 0 then
  for t in string.gmatch(ARGV[7], '[^,]+') do ok[t] = true end
end
for _, id in ipairs(near) do
  local inc = p .. 'inc:' .. id
  local f = redis.call('HMGET', inc, 'state', 'type', 'last_call', 'priority')
  if not f[1] or f[1] == 'cleared' or f[1] == 'closed' then
    redis.call('ZREM', geo, id)          -- no longer a merge target
  elseif ok[f[2]] and now - tonumber(f[3]) <= tonumber(ARGV[13]) then
    redis.call('HINCRBY', inc, 'calls', 1)
    redis.call('HSET', inc, 'last_call', now)
    redis.call('RPUSH', inc .. ':tl', timeline('call_merged'))
    local old = tonumber(f[4])
    if prio < old then                   -- a graver report raises it
      redis.call('HSET', inc, 'priority', prio)
      redis.call('RPUSH', inc .. ':tl', '{"ts":' .. now ..
        ',"event":"priority_raised","by":"intake","call_id":"' .. call_id ..
        '","from":' .. old .. ',"to":' .. prio .. '}')
      redis.call('XADD', stream, '*', 'msg', '{"type":"incident.upgraded",' ..
        '"v":1,"ts":' .. now .. ',"src":"intake","incident_id":"' .. id ..
        '","priority":' .. prio .. ',"previous_priority":' .. old ..
        ',"call_id":"' .. call_id .. '","call_type":"' .. ctype .. '"}')
    end
    record_call(id, 1)
    return answer('merged', id, 1)
  end
end

-- (3) a new incident
local inc = p .. 'inc:' .. new_id
if redis.call('EXISTS', inc) == 1 then
  return {'collision', new_id, 0, 0, 0, 0}
end
redis.call('HSET', inc, 'id', new_id, 'type', ctype, 'priority', prio,
           'state', 'new', 'lat', ARGV[9], 'lon', ARGV[10],
           'address', ARGV[17], 'source', ARGV[18], 'district', ARGV[19],
           't0', now, 'last_call', now, 'calls', 1)
redis.call('GEOADD', geo, ARGV[10], ARGV[9], new_id)
redis.call('ZADD', open, now, new_id)
redis.call('RPUSH', inc .. ':tl', timeline('created'))
record_call(new_id, 0)
redis.call('XADD', stream, '*', 'msg', ARGV[15])
return {'created', new_id, 0, 1, prio, now}
