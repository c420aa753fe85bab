-- lib.lua: what every commander script shares, above all dispatch_next.
--
-- The commander's decisions live in Redis Lua so that two commanders can
-- never both reserve a unit: Redis runs one script at a time, and each
-- script checks the state it changes (a unit is reserved only while its
-- status is 'available' and it holds no order; an order moves only from
-- the states its transition allows).  A replayed stream entry therefore
-- finds its effect done and changes nothing.
--
-- This file is not a script on its own: the build puts it in front of
-- dispatch.lua, status.lua, noanswer.lua, redispatch.lua and cancel.lua
-- (np_embed_text ... PRELUDE, CMakeLists.txt), so the one
-- dispatch_next below runs in the same atomic step as the decline or the
-- missed deadline that calls for the next candidate.
--
-- Every script takes
--   KEYS: 1 orders:ackdue (zset), 2 s:orders (stream)
--   ARGV: 1 key prefix ("np:{city}:"), 2 now (ms), 3 ack timeout (ms),
--         4.. the script's own arguments
-- and answers {result, detail, earliest new ack deadline (0: none),
-- frame, frame, ...}: each frame "<topic> <json>" is a live event for the
-- buses (order.issued, order.cancelled, unit.status), published by the
-- commander after the script -- nanomsg is best effort, Redis the truth.
-- The batch scripts (dispatch, status, cancel: one call per stream read)
-- take their arguments as groups of a fixed width, one group per stream
-- entry (per tier for dispatch), and answer {'batch', groups, earliest
-- new ack deadline, {result, detail, result, detail, ...}, frames...}
-- (batch below).
local P, NOW, ACK_MS = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local ACKDUE, ORDERS = KEYS[1], KEYS[2]
local FRAMES, DUE = {}, 0

-- Numbers are kept as text, strings escaped without cjson where they can
-- be: num_s, int_s and esc come from common/lua/text.lua, which the build
-- puts in front of this file.  (Every table and closure built here is
-- built again on each EVALSHA, and its collection costs as much again:
-- the constant sets are functions, not tables.)
local NOW_S = num_s(ARGV[2], NOW)

-- A number stored as text, as JSON: the text itself when it is a plain
-- JSON integer of up to 14 digits (with real, also a decimal fraction),
-- else as cjson writes it; nil when it is not a finite number.
local function jnum(raw, real)
  if type(raw) == 'string' and
      ((#raw <= 14 and string.find(raw, '^-?[1-9]%d*$')) or raw == '0' or
       (real and #raw <= 24 and (string.find(raw, '^-?[1-9]%d*%.%d+$') or
                                 string.find(raw, '^-?0%.%d+$')))) then
    return raw
  end
  local n = tonumber(raw)
  if not n or n ~= n or n == math.huge or n == -math.huge then return nil end
  return string.format('%.14g', n)
end

-- ',"k":v' JSON members: a string (jf), stored number text (jn), any
-- value (jv); '' for nil, which cjson would leave out too.
local function jf(k, s)
  if s == nil then return '' end
  return ',"' .. k .. '":"' .. esc(s) .. '"'
end

local function jn(k, raw, real)
  local t = raw ~= nil and jnum(raw, real)
  if not t then return '' end
  return ',"' .. k .. '":' .. t
end

local function jv(k, v)
  if v == nil then return '' end
  if type(v) == 'string' then return jf(k, v) end
  return ',"' .. k .. '":' .. cjson.encode(v)
end

-- A tier number as its text.
local function tier_s(t)
  if t == 1 then return '1' elseif t == 2 then return '2'
  elseif t == 3 then return '3' end
  return int_s(t)
end

-- An order state's place in issued < acked < enroute < onscene (nil: not
-- live); hold: cleared holds the tier too (no next candidate).
local function live_rank(s, hold)
  if s == 'issued' then return 1 elseif s == 'acked' then return 2
  elseif s == 'enroute' then return 3 elseif s == 'onscene' then return 4
  elseif hold and s == 'cleared' then return 5 end
  return nil
end

-- incident states, in the order they advance
local function rank(s)
  if s == 'new' then return 1 elseif s == 'routed' then return 2
  elseif s == 'dispatched' then return 3 elseif s == 'acked' then return 4
  elseif s == 'onscene' then return 5 elseif s == 'cleared' then return 6
  elseif s == 'closed' then return 7 end
  return nil
end

-- A message's JSON: the envelope, then members (jf, jn, jv: ',"k":v').
local function message(mtype, members)
  return '{"type":"' .. mtype .. '","v":1,"ts":' .. NOW_S ..
      ',"src":"commander"' .. members .. '}'
end

local function frame(topic, json)
  FRAMES[#FRAMES + 1] = topic .. ' ' .. json
end

-- A timeline entry (members: jf, jn: ',"k":v'), by the commander unless
-- by says who.
local function timeline(inc, event, members, by)
  redis.call('RPUSH', P .. 'inc:' .. inc .. ':tl', '{"ts":' .. NOW_S ..
             ',"event":"' .. event .. '","by":"' .. esc(by or 'commander') ..
             '"' .. members .. '}')
end

-- Move the incident's state forward to s (never back, never from a state
-- this script does not know); true when it changed.  cur: the state when
-- the caller has just read it.
local function advance(inc, s, cur)
  local key = P .. 'inc:' .. inc
  if cur == nil then cur = redis.call('HGET', key, 'state') end
  local r = cur and rank(cur)
  if cur and not (r and r < rank(s)) then return false end
  redis.call('HSET', key, 'state', s)
  return true
end

-- Set a unit's status (and, for a reservation, its order and incident)
-- and tell the buses -- unless quiet: acked, enroute and onscene are what
-- the unit itself said, and the gateway has published that already.
local function unit_status(uid, status, oid, inc, quiet)
  local key = P .. 'unit:' .. uid
  if oid then
    redis.call('HSET', key, 'status', status, 'order', oid, 'incident', inc)
  else
    redis.call('HSET', key, 'status', status)
  end
  if quiet then return end
  local tail = '"}'
  if oid then
    tail = '","order_id":"' .. esc(oid) .. '","incident_id":"' .. esc(inc) ..
        '"}'
  end
  FRAMES[#FRAMES + 1] = 'unit.status {"type":"unit.status","v":1,"ts":' ..
      NOW_S .. ',"src":"commander","unit_id":"' .. esc(uid) ..
      '","status":"' .. status .. tail
end

-- The unit is free again (status: available, or unreachable after a
-- missed ack), but only if it still holds this order (held: its order
-- field when the caller has just read it, else read here).
local function release(uid, oid, status, held)
  local key = P .. 'unit:' .. uid
  if held == nil then held = redis.call('HGET', key, 'order') end
  if held ~= oid then return false end
  redis.call('HDEL', key, 'order', 'incident')
  unit_status(uid, status)
  return true
end

-- The incident is cleared once none of its orders is live and one of
-- them has cleared -- all of its orders, not only each tier's current one
-- (after a re-dispatch two units of a tier may be out).  Run where an
-- order ends: its clear (status.lua), and also its no answer or decline,
-- for the unit sent second may have cleared while the first was still
-- out, and nothing else would clear the incident then.  True when it
-- changed.
local function clear_if_done(inc)
  local cleared = false
  for _, o in ipairs(incident_orders(inc, P .. 'inc:' .. inc .. ':asg')) do
    local st = redis.call('HGET', P .. 'order:' .. o, 'state')
    if live_rank(st) then return false end
    cleared = cleared or st == 'cleared'
  end
  return cleared and advance(inc, 'cleared')
end

local function route_tier(route, tier)
  local tiers = route.tiers or route
  if type(tiers) ~= 'table' then return nil end
  for _, t in ipairs(tiers) do
    if type(t) == 'table' and tonumber(t.tier) == tier then return t end
  end
  return nil
end

-- The next attempt's order id, <incident>-T<tier>-<n>, its order:<oid>
-- hash created (field id) so that no other attempt takes it.  ts: the
-- tier as text.
local function next_order_id(inc, ts, cur)
  local n = cur and tonumber(string.match(cur, '(%d+)$')) or 0
  local oid
  repeat
    n = n + 1
    oid = inc .. '-T' .. ts .. '-' .. int_s(n)
  until redis.call('HSETNX', P .. 'order:' .. oid, 'id', oid) == 1
  return oid
end

-- A member from the incident's hash (text) or else the route's value.
local function jn_or(k, raw, route, rk, real)
  local t = jn(k, raw, real)
  if t ~= '' then return t end
  return jv(k, route[rk])
end

-- Fill order oid (next_order_id made it) for unit uid and send it to the
-- gateway.  ts: the tier as text.
local function issue(inc, ts, oid, uid, f, route)
  local due = NOW + ACK_MS
  local due_s = int_s(due)
  local json = message('order.issued', ',"order_id":"' .. esc(oid) ..
      '","incident_id":"' .. esc(inc) .. '","unit_id":"' .. esc(uid) ..
      '","tier":' .. ts .. (f[3] and jf('incident_type', f[3]) or
       jv('incident_type', route.incident_type)) ..
      jn_or('priority', f[4], route, 'priority') ..
      jn_or('lat', f[5], route, 'lat', true) ..
      jn_or('lon', f[6], route, 'lon', true) ..
      ',"ack_due":' .. due_s ..
      ((f[7] and f[7] ~= '') and jf('address', f[7]) or ''))
  redis.call('HSET', P .. 'order:' .. oid, 'incident_id', inc,
             'unit_id', uid, 'tier', ts, 'state', 'issued',
             'issued_at', NOW_S, 'ack_due', due_s, 'msg', json)
  redis.call('ZADD', ACKDUE, due_s, oid)
  redis.call('XADD', ORDERS, '*', 'msg', json)
  frame('order.issued', json)
  unit_status(uid, 'dispatched', oid, inc)
  timeline(inc, 'dispatched', ',"unit_id":"' .. esc(uid) .. '","tier":' ..
           ts .. ',"order_id":"' .. esc(oid) .. '"')
  if DUE == 0 or due < DUE then DUE = due end
end

-- orders:ackdue also holds the retries of unfilled tiers, as members
-- 'retry|<incident>|<tier>' (order ids never hold '|'); noanswer.lua runs
-- them when due.
local function retry_member(inc, ts)
  return 'retry|' .. inc .. '|' .. ts
end

local function retry_later(inc, ts)
  local due = NOW + ACK_MS
  redis.call('ZADD', ACKDUE, int_s(due), retry_member(inc, ts))
  if DUE == 0 or due < DUE then DUE = due end
end

-- A run decodes each stored route once (an incident's tiers share it).
local ROUTES = {}     -- stored route (JSON) -> decoded, or false

local function decode_route(json)
  local route = ROUTES[json]
  if route == nil then
    local ok, r = pcall(cjson.decode, json)
    route = ok and type(r) == 'table' and r or false
    ROUTES[json] = route
  end
  return route
end

-- Decoding a route costs more than the rest of a dispatch, and the
-- commander has read the candidates of each tier of a route.decided
-- already: dispatch.lua gives them here, by the message.  Where that very
-- message is the incident's stored route, dispatch_next takes the tier's
-- candidates from here and decodes the route only for what else it may
-- need (lazy_route).
local GIVEN = {}      -- route JSON -> {[tier] = {{unit_id = id}, ...}}

local function give(json, tier, ids)
  local g = GIVEN[json]
  if not g then
    g = {}
    GIVEN[json] = g
  end
  local list = {}
  for uid in string.gmatch(ids, '[^,]+') do
    list[#list + 1] = {unit_id = uid}
  end
  g[tier] = list
end

local function lazy_route(json)
  return setmetatable({}, {__index = function(_, k)
    local r = decode_route(json)
    if r then return r[k] end
  end})
end

-- Reserve the next available candidate of the stored route for this tier
-- unless the tier already holds an order.  Returns result, detail:
--   'dispatched', order id     a unit was reserved and its order sent
--   'held', order id           the tier already has a live order
--   'unfilled', ''             no candidate free (recorded once; the tier
--                              is tried again one ack timeout later)
--   'closed' | 'noroute' | 'badroute' | 'notier', ''
local function dispatch_next(inc, tier)
  local akey, ts = P .. 'inc:' .. inc .. ':asg', tier_s(tier)
  local a = redis.call('HMGET', akey, ts, ts .. '.next')
  local cur = a[1]
  if cur and live_rank(redis.call('HGET', P .. 'order:' .. cur, 'state'),
                      true) then
    return 'held', cur
  end
  local f = redis.call('HMGET', P .. 'inc:' .. inc, 'route', 'state', 'type',
                       'priority', 'lat', 'lon', 'address')
  if f[2] == 'cleared' or f[2] == 'closed' then return 'closed', '' end
  if not f[1] then return 'noroute', '' end
  local route, cands
  if GIVEN[f[1]] and GIVEN[f[1]][tier] then
    route, cands = lazy_route(f[1]), GIVEN[f[1]][tier]
  else
    route = decode_route(f[1])
    if not route then return 'badroute', '' end
    local t = route_tier(route, tier)
    if not t then return 'notier', '' end
    cands = type(t.candidates) == 'table' and t.candidates or {}
  end
  local i = tonumber(a[2]) or 0
  while i < #cands do
    local c = cands[i + 1]
    i = i + 1
    local uid = type(c) == 'table' and c.unit_id
    if type(uid) == 'string' then
      local u = redis.call('HMGET', P .. 'unit:' .. uid, 'status', 'order')
      if u[1] == 'available' and (not u[2] or u[2] == '') then
        local oid = next_order_id(inc, ts, cur)
        issue(inc, ts, oid, uid, f, route)
        redis.call('HSET', akey, ts, oid, ts .. '.next', int_s(i))
        advance(inc, 'dispatched', f[2] or false)
        return 'dispatched', oid
      end
    end
  end
  -- No candidate free now: try the whole list again one ack timeout
  -- later (units come back: reconnected, released, cleared), for as long
  -- as the incident is open and the tier unfilled -- an incident is never
  -- left without a unit only because every candidate was busy at once.
  redis.call('HSET', akey, ts .. '.next', '0')
  retry_later(inc, ts)
  if redis.call('HSETNX', akey, ts .. '.unfilled', NOW_S) == 1 then
    timeline(inc, 'tier_unfilled', ',"tier":' .. ts .. ',"candidates":' ..
             int_s(#cands))
  end
  return 'unfilled', ''
end

local function answer(result, detail)
  local out = {result, detail or '', DUE}
  for _, fr in ipairs(FRAMES) do out[#out + 1] = fr end
  return out
end

-- Run fn over the groups of width arguments from ARGV[4] on, each in a
-- protected call of its own: a group that fails (a bug, bad data) answers
-- 'error' and the message, its frames are dropped, and the other groups
-- are applied as if each were a call of its own.
local function batch(width, fn)
  local res = {}
  for i = 4, #ARGV - width + 1, width do
    local nf = #FRAMES
    local ok, r, d = pcall(fn, unpack(ARGV, i, i + width - 1))
    if not ok then
      for k = #FRAMES, nf + 1, -1 do FRAMES[k] = nil end
      r, d = 'error', type(r) == 'table' and tostring(r.err) or tostring(r)
    end
    res[#res + 1] = r
    res[#res + 1] = d or ''
  end
  local out = {'batch', tostring(#res / 2), DUE, res}
  for _, fr in ipairs(FRAMES) do out[#out + 1] = fr end
  return out
end
