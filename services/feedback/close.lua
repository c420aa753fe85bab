-- close.lua: closing incidents, each atomically and once (docs/TRACK.md,
-- "Closure").  Shared by feedback (after units' clears, one call for the
-- clears of one read of s:status) and intake (a supervisor's POST
-- /v1/incidents/{id}/close, one incident): both embed this one file.
--
-- Mode 'cleared' (feedback): close only an incident the commander has set
-- 'cleared'; mode 'supervisor': close it from any state but 'closed'.
-- Closing writes, in this one step:
--   inc:<id>        state closed, closed_at, disposition, closed_by,
--                   close_reason, marks (JSON copy of mark:<id>), sla
--   sla:post:<post>:h:<yyyymmddhh> / :d:<yyyymmdd>, the same for
--   sla:district:<d>  m<tier>.met | m<tier>.missed, m<tier>.sum_ms, closed
--                   (buckets: the UTC hour and day of the incident's T0;
--                   a mark met late counts as missed; the increments of
--                   the whole call are summed, one HINCRBY per field)
--   followups + followup:<id>   the follow-up with the caller
--   repeat:place (GEO, member <id>|<closed_at ms>: the close time read
--                   from the member, no HGET per neighbour; a member
--                   without '|' -- written before -- is read from its
--                   inc:<id>), repeat:place:t (the same members by close
--                   time: what has passed the window is forgotten from
--                   both, at most FORGET_MAX a call) and
--                   repeat:caller:<phone> (zset by close time): other
--                   incidents closed within repeat_m / the window at the
--                   same place (at most REPEAT_LIST of them), or from the
--                   same caller phone -> review (zset) and a
--                   'repeat_flagged' timeline entry
--   inc:<id>:tl     'closed'; open:geo / open:t0 no longer hold it
-- The incident.closed message also goes to s:closed, where the commander
-- takes back any order still live (commander/cancel.lua).
-- A replay finds the incident closed and answers 'already'.  The
-- incidents of one call are closed in their order: a later one sees the
-- earlier ones (same incident twice: 'already'; a repeat of a place).
--
-- KEYS: none (every key is ARGV[1] .. name: one hash tag, one slot)
-- ARGV: 1 key prefix, 2 now (ms), 3 follow-up delay (s), 4 repeat radius
--       (m), 5 repeat window (s), 6 by (service), then per incident six:
--       id, mode, disposition ('' = the last cleared order's), reason,
--       supervisor ('' for feedback; else the principal, e.g.
--       supervisor:bob, who is then the timeline's `by`), order id of
--       the clear ('' if none: mode supervisor)
-- Answers, per incident in ARGV's order, three: result, detail, frame.
-- result 'closed' (detail the disposition, frame the incident.closed
-- JSON), 'already', 'unknown', 'open' (not cleared: other assignments
-- live) or 'pending' (the clear's order is not cleared yet: the
-- commander is behind; or another order still waits for its ack; try
-- again); frame '' but for 'closed'.
local P, NOW, FOLLOW_S = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local REPEAT_M, WINDOW_MS = tonumber(ARGV[4]), tonumber(ARGV[5]) * 1000
local BY, HEAD, REC = ARGV[6], 6, 6
local sla_keys, sla_incs = {}, {}	-- key -> {field -> n}, summed

-- Numbers are kept as text (num_s, int_s), ids put in JSON strings as
-- they are (esc): from common/lua/text.lua, which the build puts in front
-- of this file.  (Every table and closure built is built again on each
-- EVALSHA, and its collection costs as much again: temporaries are kept
-- few.)
local NOW_S = num_s(ARGV[2], NOW)
local REPEAT_M_S = num_s(ARGV[4], REPEAT_M)
local WINDOW_MS_S = int_s(WINDOW_MS)

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
local function last_disposition(ikey)
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

-- A mark as JSON: {"state":..,"due":..,"met_at":..} (numbers absent
-- when not numbers: cjson would have left them out).
local function mark_json(state, due_s, due, met_s, met_at)
  local j = '{"state":"' .. esc(state) .. '"'
  if due then j = j .. ',"due":' .. num_s(due_s, due) end
  if met_at then j = j .. ',"met_at":' .. num_s(met_s, met_at) end
  return j .. '}'
end

-- The marks (tracker's mark:<id>) as JSON, and the SLA counters they
-- feed (incs: field, n, field, n, ...).
local function marks(id, t0)
  local out, met, missed, incs = {}, 0, 0, {}
  local h, all = {}, redis.call('HGETALL', P .. 'mark:' .. id)  -- one call
  for i = 1, #all, 2 do h[all[i]] = all[i + 1] end
  for t = 1, 9 do
    local ts = string.char(48 + t)
    local state = h[ts .. '.state']
    if state then
      local due_s, met_s = h[ts .. '.due'], h[ts .. '.met_at']
      local due, met_at = tonumber(due_s), tonumber(met_s)
      out[#out + 1] = '"' .. ts .. '":' .. mark_json(state, due_s, due,
                                                     met_s, met_at)
      if state == 'met' then
        met = met + 1
        incs[#incs + 1], incs[#incs + 2] = 'm' .. ts .. '.met', 1
      elseif state == 'missed' or state == 'met_late' or
          (state == 'pending' and due and due <= NOW) then
        -- a pending mark past its deadline is missed even when the
        -- tracker (down, or behind) has not fired it yet
        missed = missed + 1
        incs[#incs + 1], incs[#incs + 2] = 'm' .. ts .. '.missed', 1
      end
      if met_at then
        incs[#incs + 1], incs[#incs + 2] = 'm' .. ts .. '.sum_ms', met_at - t0
      end
    end
  end
  local outcome = missed > 0 and 'missed' or (met > 0 and 'met' or 'none')
  return '{' .. table.concat(out, ',') .. '}',
      {met = met, missed = missed, outcome = outcome}, incs
end

-- Adds to the sums written at the end (sla_flush).
local function sla_add(key, incs)
  local h = sla_incs[key]
  if not h then
    h = {closed = 0}
    sla_incs[key], sla_keys[#sla_keys + 1] = h, key
  end
  h.closed = h.closed + 1
  for i = 1, #incs, 2 do h[incs[i]] = (h[incs[i]] or 0) + incs[i + 1] end
end

local function sla_count(f, t0, incs)
  local hour, day = bucket(t0)
  for k = 3, 4 do
    if f[k] and f[k] ~= '' then
      local s = P .. 'sla:' .. (k == 3 and 'post:' or 'district:') .. f[k]
      sla_add(s .. ':h:' .. hour, incs)
      sla_add(s .. ':d:' .. day, incs)
    end
  end
end

local function sla_flush()
  for _, key in ipairs(sla_keys) do
    for field, n in pairs(sla_incs[key]) do
      redis.call('HINCRBY', key, field, int_s(n))
    end
  end
end

-- The caller's phone, from the incident's first call (intake's call:<id>).
local function caller_phone(ikey)
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

-- A timeline entry; who: the person who did it ('' = the service
-- itself); members: ',"k":v' JSON.
local function entry(event, members, who)
  return '{"ts":' .. NOW_S .. ',"event":"' .. event .. '","by":"' ..
      esc((who and who ~= '') and who or BY) .. '"' .. members .. '}'
end

-- The members of repeat:place closed before the window, forgotten (by
-- their time in repeat:place:t; members written before it existed are
-- forgotten when a search finds them, below).  Once a call: the window
-- moves with NOW.
local FORGET_MAX = '256'
local function repeat_forget()
  local t = P .. 'repeat:place:t'
  local old = redis.call('ZRANGEBYSCORE', t, '-inf',
                         '(' .. int_s(NOW - WINDOW_MS), 'LIMIT', '0',
                         FORGET_MAX)
  if #old > 0 then
    redis.call('ZREM', P .. 'repeat:place', unpack(old))
    redis.call('ZREM', t, unpack(old))
  end
end

-- Incidents closed lately near here: at most REPEAT_LIST of them, any
-- within repeat_m (ANY: Redis stops at the first REPEAT_LIST it finds
-- from the incident's own geohash cell outwards, instead of measuring
-- every member around a busy place -- at the benchmark's density that
-- search was half of closing), nearest first.  A review needs to know
-- the place is a repeat and a few of its incidents, not all of them.
local REPEAT_LIST = '8'
local function repeat_place(id, lat, lon)
  local near, geo = {}, P .. 'repeat:place'
  if not (tonumber(lat) and tonumber(lon)) then return near end
  local ms = redis.call('GEOSEARCH', geo, 'FROMLONLAT', lon, lat,
                        'BYRADIUS', REPEAT_M_S, 'm', 'ASC', 'COUNT',
                        REPEAT_LIST, 'ANY')
  for _, m in ipairs(ms) do
    local other, at = string.match(m, '^(.*)|(%d+)$')
    if other then
      at = tonumber(at)
    else	-- a member from before close times were in the member
      other = m
      at = tonumber(redis.call('HGET', P .. 'inc:' .. m, 'closed_at'))
    end
    if not at or NOW - at > WINDOW_MS then
      redis.call('ZREM', geo, m)
    elseif other ~= id then
      near[#near + 1] = other
    end
  end
  local member = id .. '|' .. NOW_S
  redis.call('GEOADD', geo, lon, lat, member)
  redis.call('ZADD', geo .. ':t', NOW_S, member)
  return near
end

local function repeat_caller(id, phone)
  local same = {}
  if not phone then return same end
  local key = P .. 'repeat:caller:' .. phone
  redis.call('ZREMRANGEBYSCORE', key, '-inf',
             '(' .. int_s(NOW - WINDOW_MS))
  for _, other in ipairs(redis.call('ZRANGE', key, '0', '63')) do
    if other ~= id then same[#same + 1] = other end
  end
  redis.call('ZADD', key, NOW_S, id)
  redis.call('PEXPIRE', key, WINDOW_MS_S)
  return same
end

-- f: the incident's state, t0, post, district, lat, lon, type
local function close(id, ikey, f, disp, reason, sup)
  local t0, closer = tonumber(f[2]) or NOW, sup ~= '' and sup or BY
  local t0_s = tonumber(f[2]) and num_s(f[2], t0) or NOW_S
  if disp == '' then disp = last_disposition(ikey) end
  local mk, sla, incs = marks(id, t0)
  local phone = caller_phone(ikey)
  local place, caller = repeat_place(id, f[5], f[6]), repeat_caller(id, phone)
  local rep
  if #place > 0 or #caller > 0 then
    rep = {}
    if #place > 0 then rep.place = place end
    if #caller > 0 then rep.caller = caller end
    rep = cjson.encode(rep)
  end
  local h = {'state', 'closed', 'closed_at', NOW_S, 'disposition', disp,
             'closed_by', closer, 'marks', mk, 'sla', sla.outcome}
  if reason ~= '' then h[#h + 1], h[#h + 2] = 'close_reason', reason end
  if rep then h[#h + 1], h[#h + 2] = 'repeat', rep end
  redis.call('HSET', ikey, unpack(h))
  redis.call('ZREM', P .. 'open:geo', id)
  redis.call('ZREM', P .. 'open:t0', id)
  sla_count(f, t0, incs)

  local due = int_s(NOW + FOLLOW_S * 1000)
  if phone then
    redis.call('HSET', P .. 'followup:' .. id, 'due', due, 'state', 'due',
               'caller', phone)
  else
    redis.call('HSET', P .. 'followup:' .. id, 'due', due, 'state', 'due')
  end
  redis.call('ZADD', P .. 'followups', due, id)

  local tl = ',"disposition":"' .. esc(disp) .. '","sla":"' ..
      sla.outcome .. '"'
  if sup ~= '' then
    tl = tl .. ',"supervisor":"' .. esc(sup) .. '","via":"' .. esc(BY) ..
        '"'
  end
  if reason ~= '' then tl = tl .. ',"reason":"' .. esc(reason) .. '"' end
  if rep then
    redis.call('RPUSH', ikey .. ':tl', entry('closed', tl, sup),
               entry('repeat_flagged', ',' .. string.sub(rep, 2, -2)))
    redis.call('ZADD', P .. 'review', NOW_S, id)
  else
    redis.call('RPUSH', ikey .. ':tl', entry('closed', tl, sup))
  end

  local json = {'{"type":"incident.closed","v":1,"ts":', NOW_S, ',"src":"',
                esc(BY), '","incident_id":"', esc(id), '","closed_at":',
                NOW_S, ',"t0":', t0_s, ',"disposition":"', esc(disp),
                '","closed_by":"', esc(closer), '","marks":', mk,
                ',"sla":{"met":', int_s(sla.met), ',"missed":',
                int_s(sla.missed), ',"outcome":"', sla.outcome,
                '"},"followup_due":', due}
  local function add(k, v) json[#json + 1] = ',"' .. k .. '":' .. v end
  if f[7] then add('incident_type', '"' .. esc(f[7]) .. '"') end
  if f[3] and f[3] ~= '' then add('post', '"' .. esc(f[3]) .. '"') end
  if f[4] and f[4] ~= '' then add('district', '"' .. esc(f[4]) .. '"') end
  if reason ~= '' then add('reason', '"' .. esc(reason) .. '"') end
  if rep then add('repeat', rep) end
  json = table.concat(json) .. '}'
  -- the commander takes back the orders still live (a supervisor's close)
  redis.call('XADD', P .. 's:closed', '*', 'msg', json)
  return {'closed', disp, json}
end

-- Another order of the incident still waits for its ack: the unit
-- acknowledges (its own clear comes here later) or it times out, and the
-- commander then clears the incident (commander/lib.lua's clear_if_done)
-- with no clear left to bring it here -- so this clear waits for that.
local function awaiting_ack(id, ikey)
  for _, o in ipairs(incident_orders(id, ikey .. ':asg')) do
    if redis.call('HGET', P .. 'order:' .. o, 'state') == 'issued' then
      return true
    end
  end
  return false
end

-- One incident: ARGV[i] .. ARGV[i + 5].
local function one(i)
  local id, mode, disp, reason = ARGV[i], ARGV[i + 1], ARGV[i + 2],
                                 ARGV[i + 3]
  local sup, oid = ARGV[i + 4], ARGV[i + 5]
  local ikey = P .. 'inc:' .. id
  local f = redis.call('HMGET', ikey, 'state', 't0', 'post', 'district',
                       'lat', 'lon', 'type')
  local state = f[1]
  if not state then return {'unknown', id, ''} end
  if state == 'closed' then return {'already', id, ''} end
  if mode == 'cleared' and state ~= 'cleared' then
    if (oid ~= '' and redis.call('HGET', P .. 'order:' .. oid, 'state') ~=
        'cleared') or awaiting_ack(id, ikey) then
      return {'pending', state, ''}
    end
    return {'open', state, ''}
  end
  return close(id, ikey, f, disp, reason, sup)
end

local out = {}
repeat_forget()
for i = HEAD + 1, #ARGV - REC + 1, REC do
  local r = one(i)
  out[#out + 1], out[#out + 2], out[#out + 3] = r[1], r[2], r[3]
end
sla_flush()
return out
