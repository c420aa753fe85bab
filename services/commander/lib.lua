-- lib.lua: what every commander script shares, above all dispatch_next.
--
-- The commander's decisions live in Redis Lua so that two commanders can
-- never both reserve a unit: Redis runs one script at a time, and each
-- script checks the state it changes (a unit is reserved only while its
-- status is 'available' and it holds no order; an order moves only from
-- the states its transition allows).  A replayed stream entry therefore
-- finds its effect done and changes nothing.
--
-- This file is not a script on its own: the commander (and the tests)
-- prepend it to dispatch.lua, status.lua and noanswer.lua, so the one
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

-- order states that hold the tier: no next candidate while one of these
local HOLDS = {issued = true, acked = true, enroute = true, onscene = true,
               cleared = true}
-- incident states, in the order they advance
local RANK = {new = 1, routed = 2, dispatched = 3, acked = 4, onscene = 5,
              cleared = 6, closed = 7}

local function envelope(mtype, fields)
  local m = {type = mtype, v = 1, ts = NOW, src = 'commander'}
  for k, v in pairs(fields) do m[k] = v end
  return m
end

local function frame(topic, json)
  FRAMES[#FRAMES + 1] = topic .. ' ' .. json
end

local function timeline(inc, event, fields)
  local e = {ts = NOW, event = event, by = 'commander'}
  for k, v in pairs(fields) do e[k] = v end
  redis.call('RPUSH', P .. 'inc:' .. inc .. ':tl', cjson.encode(e))
end

-- Move the incident's state forward to s (never back, never from a state
-- this script does not know); true when it changed.  cur: the state when
-- the caller has just read it.
local function advance(inc, s, cur)
  local key = P .. 'inc:' .. inc
  if cur == nil then cur = redis.call('HGET', key, 'state') end
  if cur and not (RANK[cur] and RANK[cur] < RANK[s]) then return false end
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
  local ev = {unit_id = uid, status = status, order_id = oid,
              incident_id = oid and inc}
  frame('unit.status', cjson.encode(envelope('unit.status', ev)))
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

-- The order ids of an incident's tier: <inc>-T<tier>-1 .. -n, n that of
-- the tier's current order (inc:<id>:asg <tier>; orders are numbered
-- from 1 without gaps, the current one the last).
local function tier_orders(inc, tier, cur)
  local out = {}
  local n = tonumber(string.match(cur, '(%d+)$')) or 0
  for k = 1, n do out[k] = inc .. '-T' .. tier .. '-' .. k end
  return out
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
-- hash created (field id) so that no other attempt takes it.
local function next_order_id(inc, tier, cur)
  local n = cur and tonumber(string.match(cur, '(%d+)$')) or 0
  local oid
  repeat
    n = n + 1
    oid = inc .. '-T' .. tier .. '-' .. n
  until redis.call('HSETNX', P .. 'order:' .. oid, 'id', oid) == 1
  return oid
end

-- Fill order oid (next_order_id made it) for unit uid and send it to the
-- gateway.
local function issue(inc, tier, oid, uid, f, route)
  local due = NOW + ACK_MS
  local m = envelope('order.issued', {
    order_id = oid, incident_id = inc, unit_id = uid, tier = tier,
    incident_type = f[3] or route.incident_type,
    priority = tonumber(f[4]) or route.priority,
    lat = tonumber(f[5]) or route.lat, lon = tonumber(f[6]) or route.lon,
    ack_due = due})
  if f[7] and f[7] ~= '' then m.address = f[7] end
  local json = cjson.encode(m)
  redis.call('HSET', P .. 'order:' .. oid, 'incident_id', inc,
             'unit_id', uid, 'tier', tier, 'state', 'issued',
             'issued_at', NOW, 'ack_due', due, 'msg', json)
  redis.call('ZADD', ACKDUE, due, oid)
  redis.call('XADD', ORDERS, '*', 'msg', json)
  frame('order.issued', json)
  unit_status(uid, 'dispatched', oid, inc)
  timeline(inc, 'dispatched', {unit_id = uid, tier = tier, order_id = oid})
  if DUE == 0 or due < DUE then DUE = due end
end

-- orders:ackdue also holds the retries of unfilled tiers, as members
-- 'retry|<incident>|<tier>' (order ids never hold '|'); noanswer.lua runs
-- them when due.
local function retry_member(inc, tier)
  return 'retry|' .. inc .. '|' .. tier
end

local function retry_later(inc, tier)
  local due = NOW + ACK_MS
  redis.call('ZADD', ACKDUE, due, retry_member(inc, tier))
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
  local akey = P .. 'inc:' .. inc .. ':asg'
  local a = redis.call('HMGET', akey, tier, tier .. '.next')
  local cur = a[1]
  if cur and HOLDS[redis.call('HGET', P .. 'order:' .. cur, 'state')] then
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
        local oid = next_order_id(inc, tier, cur)
        issue(inc, tier, oid, uid, f, route)
        redis.call('HSET', akey, tier, oid, tier .. '.next', i)
        advance(inc, 'dispatched', f[2] or false)
        return 'dispatched', oid
      end
    end
  end
  -- No candidate free now: try the whole list again one ack timeout
  -- later (units come back: reconnected, released, cleared), for as long
  -- as the incident is open and the tier unfilled -- an incident is never
  -- left without a unit only because every candidate was busy at once.
  redis.call('HSET', akey, tier .. '.next', 0)
  retry_later(inc, tier)
  if redis.call('HSETNX', akey, tier .. '.unfilled', NOW) == 1 then
    timeline(inc, 'tier_unfilled', {tier = tier, candidates = #cands})
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
