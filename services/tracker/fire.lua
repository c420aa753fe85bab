-- fire.lua (after lib.lua): every step of marks:due that is due by now.
--
-- A member <incident>|<tier>|<step> fires only while the tier is not met
-- and step is the one after <tier>.step; firing advances <tier>.step in
-- the same atomic run, so each step fires exactly once however often the
-- member is seen (a restart, a second tracker).  Step 1 is the miss:
-- state missed, mark.missed on s:escalations.  Every step puts an
-- escalation {step, action} on s:escalations and the timeline, and the
-- next step of the ladder goes into marks:due at due + step * step_s.
-- An incident already cleared or closed escalates no more.
--
-- ARGV: 4 track.step_s, 5 track.ladder ("redispatch,supervisor,command"),
--       6 most members handled by one run
-- Answers 'fired' with the number of steps fired in detail.
local STEP_MS = tonumber(ARGV[4]) * 1000
local LADDER = {}
for a in string.gmatch(ARGV[5], '[^,]+') do LADDER[#LADDER + 1] = a end
local DONE = {met = true, met_late = true}
local ENDED = {cleared = true, closed = true}

local function escalate(inc, tier, step, due, f)
  local key = mark_key(inc)
  local post = f[4] ~= false and f[4] or nil
  if step == 1 then
    redis.call('HSET', key, tier .. '.state', 'missed')
    emit('mark.missed', {incident_id = inc, tier = tier, due = due,
                         post = post, incident_type = f[5] or nil}, true)
    timeline(inc, 'mark_missed', {tier = tier, due = due})
  end
  redis.call('HSET', key, tier .. '.step', step)
  emit('escalation', {incident_id = inc, tier = tier, step = step,
                      action = LADDER[step], post = post,
                      district = DISTRICT}, true)
  timeline(inc, 'escalation', {tier = tier, step = step,
                               action = LADDER[step]})
  if LADDER[step + 1] then
    redis.call('ZADD', DUEZ, due + step * STEP_MS, member(inc, tier, step + 1))
  end
end

local fired = 0
local due = redis.call('ZRANGEBYSCORE', DUEZ, '-inf', NOW, 'LIMIT', 0,
                       tonumber(ARGV[6]))
for _, m in ipairs(due) do
  redis.call('ZREM', DUEZ, m)
  local inc, tier, step = string.match(m, '^(.+)|(%d+)|(%d+)$')
  if inc then
    tier, step = tonumber(tier), tonumber(step)
    local f = redis.call('HMGET', mark_key(inc), tier .. '.state',
                         tier .. '.due', tier .. '.step', 'post', 'type')
    local istate = redis.call('HGET', P .. 'inc:' .. inc, 'state')
    if f[1] and not DONE[f[1]] and tonumber(f[2]) and LADDER[step] and
        step == (tonumber(f[3]) or 0) + 1 and not ENDED[istate] then
      escalate(inc, tier, step, tonumber(f[2]), f)
      fired = fired + 1
    end
  end
end
return answer('fired', tostring(fired))
