-- incident_list.lua: the open incidents, newest first, in one round trip.
-- KEYS: 1 open-incidents ZSET (by T0).  ARGV: 1 key prefix, 2 how many.
-- Incidents that have ended (cleared, closed) are skipped, not removed:
-- this is a read.  Returns {hash, hash, ...} (HGETALL replies), and the
-- number of ids looked at.
local want = tonumber(ARGV[2])
local out, seen, start, step = {}, 0, 0, want * 2
while #out < want do
  local ids = redis.call('ZREVRANGE', KEYS[1], start, start + step - 1)
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    seen = seen + 1
    local h = redis.call('HGETALL', ARGV[1] .. 'inc:' .. id)
    local state
    for i = 1, #h, 2 do
      if h[i] == 'state' then state = h[i + 1] end
    end
    if #h > 0 and state ~= 'cleared' and state ~= 'closed' then
      out[#out + 1] = h
      if #out == want then break end
    end
  end
  start = start + step
  if seen >= 100000 then break end      -- bounded work per request
end
return {out, seen}
