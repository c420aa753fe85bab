-- redispatch.lua (after lib.lua): step 1 of a missed mark's ladder (an
-- escalation {action: redispatch} from the tracker on s:escalations).
--
-- The tier gets its next candidate in addition to the unit already sent:
-- the order that holds the tier stays live, and dispatch_next runs as if
-- the tier were free (inc:<id>:asg <tier> then names the new order; it is
-- put back when no unit could be sent).  Once per tier: the mark
-- <tier>.redispatch in inc:<id>:asg makes a replay change nothing.
--
-- ARGV: 4 incident id, 5 tier
-- Answers as dispatch_next (see lib.lua), or 'done' (replay) / 'missing'.
local inc, tier = ARGV[4], tonumber(ARGV[5])
local akey = P .. 'inc:' .. inc .. ':asg'
if redis.call('EXISTS', P .. 'inc:' .. inc) == 0 then
  return answer('missing', '')
end
local ts = tier_s(tier)
if redis.call('HSETNX', akey, ts .. '.redispatch', NOW_S) == 0 then
  return answer('done', '')
end
local held = redis.call('HGET', akey, ts)
if held then redis.call('HDEL', akey, ts) end
local result, detail = dispatch_next(inc, tier)
if result ~= 'dispatched' and held then
  redis.call('HSET', akey, ts, held)
end
return answer(result, detail)
