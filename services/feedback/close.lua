-- close.lua: closing an incident, atomically and once (docs/TRACK.md,
-- "Closure").  Shared by feedback (after a unit's clear) and intake (a
-- supervisor's POST /v1/incidents/{id}/close): both embed this one file.
--
-- Mode 'cleared' (feedback): close only an incident the commander has set
-- 'cleared'; mode 'supervisor': close it from any state but 'closed'.
-- Closing writes, in this one step:
--   inc:<id>        state closed, closed_at, disposition, closed_by,
--                   close_reason, marks (JSON copy of mark:<id>), sla
--   sla:post:<post>:h:<yyyymmddhh> / :d:<yyyymmdd>, the same for
--   sla:district:<d>  m<tier>.met | m<tier>.missed, m<tier>.sum_ms, closed
--                   (buckets: the UTC hour and day of the incident's T0;
--                   a mark met late counts as missed)
--   followups + followup:<id>   the follow-up with the caller
--   repeat:place (GEO) and repeat:caller:<phone> (zset by close time):
--                   another incident closed within repeat_m / the window
--                   at the same place, or from the same caller phone ->
--                   review (zset) and a 'repeat_flagged' timeline entry
--   inc:<id>:tl     'closed'; open:geo / open:t0 no longer hold it
-- The incident.closed message also goes to s:closed, where the commander
-- takes back any order still live (commander/cancel.lua).
-- A replay finds the incident closed and answers 'already'.
--
-- KEYS: none (every key is ARGV[1] .. name: one hash tag, one slot)
-- ARGV: 1 key prefix, 2 now (ms), 3 incident id, 4 mode, 5 disposition
--       ('' = the last cleared order's), 6 reason, 7 by (service),
--       8 supervisor ('' for feedback; else the principal, e.g.
--       supervisor:bob, who is then the timeline's `by`), 9 follow-up
--       delay (s),
--       10 repeat radius (m), 11 repeat window (s), 12 order id of the
--       clear ('' if none: mode supervisor)
-- Answers {result, detail, frame}: result 'closed' (frame is the
-- incident.closed JSON), 'already', 'unknown', 'open' (not cleared: other
-- assignments live) or 'pending' (the clear's order is not cleared yet:
-- the commander is behind; try again).
local P, NOW, id, mode = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local disp, reason, by, sup = ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local FOLLOW_S, REPEAT_M = tonumber(ARGV[9]), tonumber(ARGV[10])
local WINDOW_MS, oid = tonumber(ARGV[11]) * 1000, ARGV[12]
local ikey = P .. 'inc:' .. id

local f = redis.call('HMGET', ikey, 'state', 't0', 'post', 'district', 'lat',
                     'lon', 'type')
local state, t0 = f[1], tonumber(f[2]) or NOW
if not state then return {'unknown', id, ''} end
if state == 'closed' then return {'already', id, ''} end
if mode == 'cleared' and state ~= 'cleared' then
  if oid ~= '' and redis.call('HGET', P .. 'order:' .. oid, 'state') ~=
      'cleared' then
    return {'pending', state, ''}
  end
  return {'open', state, ''}
end

-- UTC civil date of a time in ms (Howard Hinnant's days_from_civil, back)
local function bucket(ms)
  local days, secs = math.floor(ms / 86400000), math.floor(ms / 1000) % 86400
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) +
                          math.floor(doe / 36524) -
                          math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400 + (m <= 2 and 1 or 0)
  local day = string.format('%04d%02d%02d', y, m, d)
  return day .. string.format('%02d', math.floor(secs / 3600)), day
end

-- The last cleared order's disposition.
local function last_disposition()
  local best, at = '', -1
  local asg = redis.call('HGETALL', ikey .. ':asg')
  for i = 1, #asg, 2 do
    if not string.find(asg[i], '.', 1, true) then
      local o = redis.call('HMGET', P .. 'order:' .. asg[i + 1], 'state',
                           'cleared_at', 'disposition')
      local t = tonumber(o[2])
      if o[1] == 'cleared' and t and t > at and o[3] then
        best, at = o[3], t
      end
    end
  end
  return best
end

-- The marks (tracker's mark:<id>), and the SLA counters they feed.
local function marks()
  local out, met, missed, incs = {}, 0, 0, {}
  local h, all = {}, redis.call('HGETALL', P .. 'mark:' .. id)  -- one call
  for i = 1, #all, 2 do h[all[i]] = all[i + 1] end
  for t = 1, 9 do
    local m = {h[t .. '.state'], h[t .. '.due'], h[t .. '.met_at']}
    if m[1] then
      local e = {state = m[1], due = tonumber(m[2]),
                 met_at = tonumber(m[3])}
      out[tostring(t)] = e
      if m[1] == 'met' then
        met = met + 1
        incs[#incs + 1] = {'m' .. t .. '.met', 1}
      elseif m[1] == 'missed' or m[1] == 'met_late' or
          (m[1] == 'pending' and e.due and e.due <= NOW) then
        -- a pending mark past its deadline is missed even when the
        -- tracker (down, or behind) has not fired it yet
        missed = missed + 1
        incs[#incs + 1] = {'m' .. t .. '.missed', 1}
      end
      if e.met_at then
        incs[#incs + 1] = {'m' .. t .. '.sum_ms', e.met_at - t0}
      end
    end
  end
  local outcome = missed > 0 and 'missed' or (met > 0 and 'met' or 'none')
  return out, {met = met, missed = missed, outcome = outcome}, incs
end

local function sla_count(incs)
  local hour, day = bucket(t0)
  local scopes = {}
  if f[3] and f[3] ~= '' then scopes[#scopes + 1] = 'post:' .. f[3] end
  if f[4] and f[4] ~= '' then scopes[#scopes + 1] = 'district:' .. f[4] end
  for _, s in ipairs(scopes) do
    for _, w in ipairs({'h:' .. hour, 'd:' .. day}) do
      local key = P .. 'sla:' .. s .. ':' .. w
      redis.call('HINCRBY', key, 'closed', 1)
      for _, inc in ipairs(incs) do
        redis.call('HINCRBY', key, inc[1], inc[2])
      end
    end
  end
end

-- The caller's phone, from the incident's first call (intake's call:<id>).
local function caller_phone()
  local cid = redis.call('LINDEX', ikey .. ':calls', 0)
  if not cid then return nil end
  local js = redis.call('HGET', P .. 'call:' .. cid, 'json')
  if not js then return nil end
  local ok, c = pcall(cjson.decode, js)
  if ok and type(c) == 'table' and type(c.caller) == 'table' and
      type(c.caller.phone) == 'string' and c.caller.phone ~= '' then
    return c.caller.phone
  end
  return nil
end

-- who: the person who did it ('' = the service itself)
local function timeline(event, fields, who)
  local e = {ts = NOW, event = event, by = (who and who ~= '') and who or by}
  for k, v in pairs(fields) do e[k] = v end
  redis.call('RPUSH', ikey .. ':tl', cjson.encode(e))
end

-- Incidents closed lately near here; forgets the ones past the window.
local function repeat_place()
  local near, geo = {}, P .. 'repeat:place'
  if not (tonumber(f[5]) and tonumber(f[6])) then return near end
  local ids = redis.call('GEOSEARCH', geo, 'FROMLONLAT', f[6], f[5],
                         'BYRADIUS', REPEAT_M, 'm', 'ASC', 'COUNT', 64)
  for _, other in ipairs(ids) do
    local at = tonumber(redis.call('HGET', P .. 'inc:' .. other, 'closed_at'))
    if not at or NOW - at > WINDOW_MS then
      redis.call('ZREM', geo, other)
    elseif other ~= id then
      near[#near + 1] = other
    end
  end
  redis.call('GEOADD', geo, f[6], f[5], id)
  return near
end

local function repeat_caller(phone)
  local same = {}
  if not phone then return same end
  local key = P .. 'repeat:caller:' .. phone
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. (NOW - WINDOW_MS))
  for _, other in ipairs(redis.call('ZRANGE', key, 0, 63)) do
    if other ~= id then same[#same + 1] = other end
  end
  redis.call('ZADD', key, NOW, id)
  redis.call('PEXPIRE', key, WINDOW_MS)
  return same
end

if disp == '' then disp = last_disposition() end
local mk, sla, incs = marks()
local mkjson = cjson.encode(mk)
redis.call('HSET', ikey, 'state', 'closed', 'closed_at', NOW,
           'disposition', disp, 'closed_by', sup ~= '' and sup or by,
           'marks', mkjson, 'sla', sla.outcome)
if reason ~= '' then redis.call('HSET', ikey, 'close_reason', reason) end
redis.call('ZREM', P .. 'open:geo', id)
redis.call('ZREM', P .. 'open:t0', id)
sla_count(incs)

local phone = caller_phone()
local due = NOW + FOLLOW_S * 1000
local fkey = P .. 'followup:' .. id
redis.call('HSET', fkey, 'due', due, 'state', 'due')
if phone then redis.call('HSET', fkey, 'caller', phone) end
redis.call('ZADD', P .. 'followups', due, id)

local tl = {disposition = disp, sla = sla.outcome}
if sup ~= '' then tl.supervisor = sup; tl.via = by end
if reason ~= '' then tl.reason = reason end
timeline('closed', tl, sup)

local place, caller = repeat_place(), repeat_caller(phone)
local rep
if #place > 0 or #caller > 0 then
  rep = {}
  if #place > 0 then rep.place = place end
  if #caller > 0 then rep.caller = caller end
  redis.call('ZADD', P .. 'review', NOW, id)
  redis.call('HSET', ikey, 'repeat', cjson.encode(rep))
  timeline('repeat_flagged', rep)
end

local msg = {type = 'incident.closed', v = 1, ts = NOW, src = by,
             incident_id = id, closed_at = NOW, t0 = t0,
             disposition = disp, closed_by = sup ~= '' and sup or by,
             marks = mk, sla = sla, followup_due = due}
if f[7] then msg.incident_type = f[7] end
if f[3] and f[3] ~= '' then msg.post = f[3] end
if f[4] and f[4] ~= '' then msg.district = f[4] end
if reason ~= '' then msg.reason = reason end
if rep then msg['repeat'] = rep end
local json = cjson.encode(msg)
-- the commander takes back the orders still live (a supervisor's close)
redis.call('XADD', P .. 's:closed', '*', 'msg', json)
return {'closed', disp, json}
