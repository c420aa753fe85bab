-- arm.lua (after lib.lua): route.decided entries arm their tiers' marks.
--
-- The tracker reads the route.decided (msg.c) and passes only what the
-- marks need.  For each tier not armed before: <tier>.due (the tier's
-- due time, worked out by the tracker: t0 + track.mark<N>_s when not 0,
-- else the plan's deadline_s), state pending, step 0, and the ladder's
-- first member in marks:due.  A tier already armed is left alone, so a
-- replay changes nothing.  A tier met before its decision reached us (the
-- status entry came first) is only given its due and judged met or
-- met_late against it.  t0, type and post are recorded once.
--
-- ARGV from 4, per entry: incident id, t0 (ms), incident type ('':
--       none), post id ('': none), n, then n pairs tier, due (ms)
-- Answers per entry 'armed' (detail: the tiers, "1,2") or 'held'.
local function arm(inc, t0, itype, post, tiers)
  local key = mark_key(inc)
  local names = {'t0', 'type', 'post'}
  for _, td in ipairs(tiers) do
    local t, b = td[1], #names
    names[b + 1] = t .. '.due'
    names[b + 2] = t .. '.state'
    names[b + 3] = t .. '.met_at'
  end
  local f = redis.call('HMGET', key, unpack(names))
  local set, zadd, armed, seen = {}, {}, {}, {}
  local function put(name, value)
    set[#set + 1] = name
    set[#set + 1] = value
  end
  if not f[1] then put('t0', t0) end
  if itype ~= '' and not f[2] then put('type', itype) end
  if post ~= '' and not f[3] then put('post', post) end
  for i, td in ipairs(tiers) do
    local tier, due, at = td[1], td[2], 3 + (i - 1) * 3
    if not f[at + 1] and not seen[tier] then
      seen[tier] = true
      put(tier .. '.due', due)
      put(tier .. '.step', '0')
      if f[at + 2] == 'met' then
        if (tonumber(f[at + 3]) or 0) > tonumber(due) then
          put(tier .. '.state', 'met_late')
        end
      else
        put(tier .. '.state', 'pending')
        zadd[#zadd + 1] = due
        zadd[#zadd + 1] = member(inc, tier, 1)
      end
      armed[#armed + 1] = tier
    end
  end
  if #set > 0 then redis.call('HSET', key, unpack(set)) end
  if #zadd > 0 then redis.call('ZADD', DUEZ, unpack(zadd)) end
  if #armed == 0 then return 'held', '' end
  return 'armed', table.concat(armed, ',')
end

local i = 4
while ARGV[i] do
  local n, tiers = tonumber(ARGV[i + 4]), {}
  for k = 1, n do
    tiers[k] = {ARGV[i + 3 + 2 * k], ARGV[i + 4 + 2 * k]}
  end
  settle(arm, ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], tiers)
  i = i + 5 + 2 * n
end
return answer('batch', tostring(#RESULTS))
