-- arm.lua (after lib.lua): a route.decided arms its tiers' marks.
--
-- For each tier of the decision not armed before: <tier>.due = t0 +
-- deadline (track.mark<N>_s when not 0, else the plan's deadline_s
-- carried by the message), state pending, step 0, and the ladder's first
-- member in marks:due.  A tier already armed is left alone, so a replay
-- changes nothing.  A tier met before its decision reached us (the
-- status entry came first) is only given its due and judged met or
-- met_late against it.
--
-- ARGV: 4 incident id, 5 the route.decided message (JSON),
--       6 7 8 track.mark1_s mark2_s mark3_s (0: the plan's)
-- Answers 'armed' (detail: the tiers, "1,2"), 'held' or 'bad'.
local inc = ARGV[4]
local ok, r = pcall(cjson.decode, ARGV[5])
if not ok or type(r) ~= 'table' then
  return answer('bad', 'route.decided is not a JSON object')
end
local t0 = tonumber(r.t0)
if not t0 or type(r.tiers) ~= 'table' then
  return answer('bad', 'route.decided without t0 or tiers')
end
local key = mark_key(inc)
redis.call('HSETNX', key, 't0', t0)
if type(r.incident_type) == 'string' then
  redis.call('HSETNX', key, 'type', r.incident_type)
end
if type(r.post) == 'table' and type(r.post.id) == 'string' then
  redis.call('HSETNX', key, 'post', r.post.id)
end

local function arm(tier, deadline_s)
  local due = t0 + deadline_s * 1000
  redis.call('HSET', key, tier .. '.due', due, tier .. '.step', 0)
  if redis.call('HGET', key, tier .. '.state') == 'met' then
    local at = tonumber(redis.call('HGET', key, tier .. '.met_at')) or 0
    if at > due then redis.call('HSET', key, tier .. '.state', 'met_late') end
    return
  end
  redis.call('HSET', key, tier .. '.state', 'pending')
  redis.call('ZADD', DUEZ, due, member(inc, tier, 1))
end

local armed = {}
for _, t in ipairs(r.tiers) do
  local tier = type(t) == 'table' and tonumber(t.tier)
  if tier and tier >= 1 and tier <= 9 and tier == math.floor(tier) then
    local over = tier <= 3 and tonumber(ARGV[5 + tier]) or 0
    local dl = over > 0 and over or tonumber(t.deadline_s)
    if dl and dl >= 0 and
        redis.call('HEXISTS', key, tier .. '.due') == 0 then
      arm(tier, dl)
      armed[#armed + 1] = tier
    end
  end
end
if #armed == 0 then return answer('held', '') end
return answer('armed', table.concat(armed, ','))
