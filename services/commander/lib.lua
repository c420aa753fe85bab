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
-- this script does not know); true when it changed.
local function advance(inc, s)
  local key = P .. 'inc:' .. inc
  local cur = redis.call('HGET', key, 'state')
  if cur and not (RANK[cur] and RANK[cur] < RANK[s]) then return false end
  redis.call('HSET', key, 'state', s)
  return true
end

-- Set a unit's status (and, for a reservation, its order and incident)
-- and tell the buses.
local function unit_status(uid, status, oid, inc)
  local key = P .. 'unit:' .. uid
  local ev = {unit_id = uid, status = status}
  if oid then
    redis.call('HSET', key, 'status', status, 'order', oid, 'incident', inc)
    ev.order_id, ev.incident_id = oid, inc
  else
    redis.call('HSET', key, 'status', status)
  end
  frame('unit.status', cjson.encode(envelope('unit.status', ev)))
end

-- The unit is free again (status: available, or unreachable after a
-- missed ack), but only if it still holds this order.
local function release(uid, oid, status)
  local key = P .. 'unit:' .. uid
  if redis.call('HGET', key, 'order') ~= oid then return false end
  redis.call('HDEL', key, 'order', 'incident')
  unit_status(uid, status)
  return true
end

local function route_tier(route, tier)
  local tiers = route.tiers or route
  if type(tiers) ~= 'table' then return nil end
  for _, t in ipairs(tiers) do
    if type(t) == 'table' and tonumber(t.tier) == tier then return t end
  end
  return nil
end

-- The next attempt's order id: <incident>-T<tier>-<n>.
local function next_order_id(inc, tier, cur)
  local n = cur and tonumber(string.match(cur, '(%d+)$')) or 0
  local oid
  repeat
    n = n + 1
    oid = inc .. '-T' .. tier .. '-' .. n
  until redis.call('EXISTS', P .. 'order:' .. oid) == 0
  return oid
end

-- Create order oid for unit uid and send it to the gateway.
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
  redis.call('HSET', P .. 'order:' .. oid, 'id', oid, 'incident_id', inc,
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

-- Reserve the next available candidate of the stored route for this tier
-- unless the tier already holds an order.  Returns result, detail:
--   'dispatched', order id     a unit was reserved and its order sent
--   'held', order id           the tier already has a live order
--   'unfilled', ''             no candidate free (recorded once; the tier
--                              is tried again one ack timeout later)
--   'closed' | 'noroute' | 'badroute' | 'notier', ''
local function dispatch_next(inc, tier)
  local akey = P .. 'inc:' .. inc .. ':asg'
  local cur = redis.call('HGET', akey, tier)
  if cur and HOLDS[redis.call('HGET', P .. 'order:' .. cur, 'state')] then
    return 'held', cur
  end
  local f = redis.call('HMGET', P .. 'inc:' .. inc, 'route', 'state', 'type',
                       'priority', 'lat', 'lon', 'address')
  if f[2] == 'cleared' or f[2] == 'closed' then return 'closed', '' end
  if not f[1] then return 'noroute', '' end
  local ok, route = pcall(cjson.decode, f[1])
  if not ok or type(route) ~= 'table' then return 'badroute', '' end
  local t = route_tier(route, tier)
  if not t then return 'notier', '' end
  local cands = type(t.candidates) == 'table' and t.candidates or {}
  local i = tonumber(redis.call('HGET', akey, tier .. '.next')) or 0
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
        advance(inc, 'dispatched')
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
