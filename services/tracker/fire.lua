-- fire.lua (after lib.lua): every step of marks:due that is due by now.
--
-- A member <incident>|<tier>|<step> fires only while the tier is not met
-- and step is the one after <tier>.step; firing advances <tier>.step in
-- the same atomic run, so each step fires exactly once however often the
-- member is seen (a restart, a second tracker).  Step 1 is the miss:
-- state missed, mark.missed on s:escalations.  Every step puts an
-- escalation {step, action} on s:escalations and the timeline, and the
-- next step of the ladder goes into marks:due at due + step * step_s.
-- An incident already cleared or closed escalates no more.  Numbers stay
-- text (num_s) and the messages are written out as cjson would: up to
-- tens of thousands of steps may come due in a second.
--
-- ARGV: 4 track.step_s, 5 track.ladder ("redispatch,supervisor,command"),
--       6 most members handled by one run
-- Answers 'fired' with the number of steps fired in detail.
local STEP_MS = tonumber(ARGV[4]) * 1000
local LADDER = {}
for a in string.gmatch(ARGV[5], '[^,]+') do LADDER[#LADDER + 1] = a end
local DONE = {met = true, met_late = true}
local ENDED = {cleared = true, closed = true}

-- ',"name":"value"' for a value there, '' for one absent (false).
local function opt(name, value)
  if not value then return '' end
  return ',"' .. name .. '":"' .. esc(value) .. '"'
end

-- The fields of mark.missed and escalation after incident_id.
local function head(mtype, inc, tier_s)
  return '{"type":"' .. mtype .. '","v":1,"ts":' .. NOW_S ..
      ',"src":"tracker","incident_id":"' .. esc(inc) .. '","tier":' .. tier_s
end

-- f: the mark's state, due, step, post and type (false: none).
local function escalate(inc, tier_s, step, due, f)
  local key, step_s, action = mark_key(inc), STEPS[step], LADDER[step]
  local due_s = num_s(f[2], due)
  local set, tl = {tier_s .. '.step', step_s}, {}
  local tl_head = '{"ts":' .. NOW_S .. ',"event":"'
  if step == 1 then
    set[3], set[4] = tier_s .. '.state', 'missed'
    emit_json('mark.missed', head('mark.missed', inc, tier_s) ..
        ',"due":' .. due_s .. opt('post', f[4]) ..
        opt('incident_type', f[5]) .. '}', true)
    tl[1] = tl_head .. 'mark_missed","by":"tracker","tier":' .. tier_s ..
        ',"due":' .. due_s .. '}'
  end
  redis.call('HSET', key, unpack(set))
  emit_json('escalation', head('escalation', inc, tier_s) .. ',"step":' ..
      step_s .. ',"action":"' .. esc(action) .. '"' .. opt('post', f[4]) ..
      ',"district":"' .. esc(DISTRICT) .. '"}', true)
  tl[#tl + 1] = tl_head .. 'escalation","by":"tracker","tier":' .. tier_s ..
      ',"step":' .. step_s .. ',"action":"' .. esc(action) .. '"}'
  redis.call('RPUSH', P .. 'inc:' .. inc .. ':tl', unpack(tl))
  if LADDER[step + 1] then
    redis.call('ZADD', DUEZ, string.format('%d', due + step * STEP_MS),
               member(inc, tier_s, STEPS[step + 1]))
  end
end

local fired = 0
local due = redis.call('ZRANGEBYSCORE', DUEZ, '-inf', NOW_S, 'LIMIT', 0,
                       tonumber(ARGV[6]))
for _, m in ipairs(due) do
  redis.call('ZREM', DUEZ, m)
  local inc, tier_s, step = string.match(m, '^(.+)|(%d+)|(%d+)$')
  if inc then
    local tier = tonumber(tier_s)
    tier_s, step = num_s(tier_s, tier), tonumber(step)
    local f = redis.call('HMGET', mark_key(inc), tier_s .. '.state',
                         tier_s .. '.due', tier_s .. '.step', 'post', 'type')
    local istate = redis.call('HGET', P .. 'inc:' .. inc, 'state')
    if f[1] and not DONE[f[1]] and tonumber(f[2]) and LADDER[step] and
        step == (tonumber(f[3]) or 0) + 1 and not ENDED[istate] then
      escalate(inc, tier_s, step, tonumber(f[2]), f)
      fired = fired + 1
    end
  end
end
return answer('fired', tostring(fired))
