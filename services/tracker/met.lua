-- met.lua (after lib.lua): unit.status entries that may meet a mark.
--
-- The order id names incident and tier (<incident>-T<tier>-<n>).  Tier 1
-- is met by acked or onscene, the other tiers by onscene, at the time the
-- status was stored (its ts), not when the tracker reads it: a tracker
-- that was down or behind judges the answers it replays by when the
-- units gave them.  A pending mark becomes met (at or before its due) or
-- met_late (after it); a missed one (its miss has fired) met_late, its
-- steps still in marks:due are removed (the ladder stops), mark.met goes
-- on the bus and mark_met on the timeline.  A mark met already is left
-- alone (replays); one not armed yet only records met_at (arm.lua judges
-- it when the decision comes).  The tracker passes only statuses that
-- can count (trk_status_counts); the checks here stay all the same.
--
-- ARGV from 4, per entry: order id, status, when the status was stored
--       (ms; 0 or later than now: now)
-- Answers per entry 'met' / 'met_late' (detail "<incident>|<tier>") or
-- 'ignored'.
-- Numbers kept as text (num_s): ts, due and tier as the message, the
-- mark and the order id give them.
local function met(oid, status, stored)
  local at = tonumber(stored)
  local at_s = at and num_s(stored, at)
  if not at or at <= 0 or at > NOW then at, at_s = NOW, NOW_S end
  local inc, tier_s = string.match(oid, '^(.+)-T(%d+)-%d+$')
  if not inc then return 'ignored', 'order id ' .. oid end
  local tier = tonumber(tier_s)
  tier_s = num_s(tier_s, tier)
  if not (status == 'onscene' or (tier == 1 and status == 'acked')) then
    return 'ignored', status .. ' does not meet tier ' .. tier_s
  end
  local key = mark_key(inc)
  local f = redis.call('HMGET', key, tier_s .. '.state', tier_s .. '.due')
  local state, due = f[1], tonumber(f[2])
  if state == 'met' or state == 'met_late' then
    return 'ignored', 'already ' .. state
  end
  if not due then
    redis.call('HSET', key, tier_s .. '.state', 'met', tier_s .. '.met_at',
               at_s)
    return 'met', member(inc, tier_s, 'unarmed')
  end
  local late = at > due or state == 'missed'
  local due_s, late_s = num_s(f[2], due), tostring(late)
  state = late and 'met_late' or 'met'
  redis.call('HSET', key, tier_s .. '.state', state, tier_s .. '.met_at',
             at_s)
  local gone = {}
  for step = 1, 9 do gone[step] = member(inc, tier_s, STEPS[step]) end
  redis.call('ZREM', DUEZ, unpack(gone))
  -- the JSON cjson would write, without building tables to encode
  emit_json('mark.met', '{"type":"mark.met","v":1,"ts":' .. NOW_S ..
      ',"src":"tracker","incident_id":"' .. esc(inc) .. '","tier":' ..
      tier_s .. ',"due":' .. due_s .. ',"met_at":' .. at_s ..
      ',"late":' .. late_s .. '}')
  timeline_json(inc, '{"ts":' .. NOW_S .. ',"event":"mark_met",' ..
      '"by":"tracker","tier":' .. tier_s .. ',"due":' .. due_s ..
      ',"late":' .. late_s .. ',"order_id":"' .. esc(oid) .. '"}')
  return state, inc .. '|' .. tier_s
end

local i = 4
while ARGV[i] do
  settle(met, ARGV[i], ARGV[i + 1], ARGV[i + 2])
  i = i + 3
end
return answer('batch', tostring(#RESULTS))
