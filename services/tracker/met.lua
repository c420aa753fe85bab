-- met.lua (after lib.lua): a unit.status that may meet a mark.
--
-- The order id names incident and tier (<incident>-T<tier>-<n>).  Tier 1
-- is met by acked or onscene, the other tiers by onscene, at the time the
-- status was stored (its ts, ARGV 6), not when the tracker reads it: a
-- tracker that was down or behind judges the answers it replays by when
-- the units gave them.  A pending mark becomes met (at or before its due)
-- or met_late (after it); a missed one (its miss has fired) met_late,
-- its steps still in marks:due are removed (the ladder stops), mark.met
-- goes on the bus and mark_met on the timeline.  A mark met already is
-- left alone (replays); one not armed yet only records met_at (arm.lua
-- judges it when the decision comes).
--
-- ARGV: 4 order id, 5 status, 6 when the status was stored (ms; absent,
--       0 or later than now: now)
-- Answers 'met' / 'met_late' (detail "<incident>|<tier>") or 'ignored'.
local oid, status = ARGV[4], ARGV[5]
local at = tonumber(ARGV[6])
if not at or at <= 0 or at > NOW then at = NOW end
local inc, tier = string.match(oid, '^(.+)-T(%d+)-%d+$')
if not inc then return answer('ignored', 'order id ' .. oid) end
tier = tonumber(tier)
if not (status == 'onscene' or (tier == 1 and status == 'acked')) then
  return answer('ignored', status .. ' does not meet tier ' .. tier)
end
local key = mark_key(inc)
local f = redis.call('HMGET', key, tier .. '.state', tier .. '.due')
local state, due = f[1], tonumber(f[2])
if state == 'met' or state == 'met_late' then
  return answer('ignored', 'already ' .. state)
end
if not due then
  redis.call('HSET', key, tier .. '.state', 'met', tier .. '.met_at', at)
  return answer('met', member(inc, tier, 'unarmed'))
end
local late = at > due or state == 'missed'
state = late and 'met_late' or 'met'
redis.call('HSET', key, tier .. '.state', state, tier .. '.met_at', at)
local gone = {}
for step = 1, 9 do gone[step] = member(inc, tier, step) end
redis.call('ZREM', DUEZ, unpack(gone))
emit('mark.met', {incident_id = inc, tier = tier, due = due, met_at = at,
                  late = late})
timeline(inc, 'mark_met', {tier = tier, due = due, late = late,
                           order_id = oid})
return answer(state, inc .. '|' .. tier)
