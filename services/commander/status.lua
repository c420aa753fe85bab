-- status.lua (after lib.lua): one unit.status from the radio gateway.
--
-- Order statuses move the order only from the states their transition
-- allows (TRANSITIONS below), so a replayed or late status changes
-- nothing; the unit follows only while it still holds that order.
--   acked     issued                     -> acked, off orders:ackdue
--   enroute   issued acked               -> enroute
--   onscene   issued acked enroute       -> onscene
--   clear     issued acked enroute onscene -> cleared (disposition),
--             unit released; incident cleared once no order is live
--   declined  issued acked               -> declined (reason), unit
--             released, next candidate for the tier
-- Link statuses: online makes an unreachable (or offline) unit without
-- an order available; offline is recorded in link, and an available
-- unit becomes offline (a reserved unit keeps its order and gets it
-- again when it reconnects).  Any other status is the unit speaking
-- too: an unreachable unit without an order is available again, even
-- when what it says is too late to change its old order.
--
-- ARGV: 4 unit id, 5 status, 6 order id, 7 disposition, 8 reason ('' when
--       absent; the order knows its incident)
-- Answers {result, detail, earliest new ack deadline, frames...}; result
-- is the status applied, or 'ignored' / 'unknown_unit' / 'unknown_order'
-- / 'mismatch' with the reason in detail.
local uid, status, oid = ARGV[4], ARGV[5], ARGV[6]
local disposition, reason = ARGV[7], ARGV[8]

local TRANSITIONS = {
  acked    = {to = 'acked', stamp = 'acked_at', unit = 'acked',
              incident = 'acked', from = {issued = true}},
  enroute  = {to = 'enroute', stamp = 'enroute_at', unit = 'enroute',
              incident = 'acked', from = {issued = true, acked = true}},
  onscene  = {to = 'onscene', stamp = 'onscene_at', unit = 'onscene',
              incident = 'onscene',
              from = {issued = true, acked = true, enroute = true}},
  clear    = {to = 'cleared', stamp = 'cleared_at', event = 'cleared',
              from = {issued = true, acked = true, enroute = true,
                      onscene = true}},
  declined = {to = 'declined', from = {issued = true, acked = true}},
}
local LIVE = {issued = true, acked = true, enroute = true, onscene = true}

local ukey = P .. 'unit:' .. uid
if redis.call('EXISTS', ukey) == 0 then return answer('unknown_unit', uid) end

if status == 'online' or status == 'offline' then
  local u = redis.call('HMGET', ukey, 'status', 'order', 'link')
  if u[3] ~= status then redis.call('HSET', ukey, 'link', status) end
  local free = not u[2] or u[2] == ''
  if status == 'online' and free and
      (u[1] == 'unreachable' or u[1] == 'offline') then
    unit_status(uid, 'available')
    return answer('online', 'available')
  elseif status == 'offline' and free and u[1] == 'available' then
    unit_status(uid, 'offline')
    return answer('offline', 'offline')
  end
  return answer('ignored', u[1] or '')
end

local u = redis.call('HMGET', ukey, 'status', 'order')
if u[1] == 'unreachable' and (not u[2] or u[2] == '') then
  unit_status(uid, 'available')
end

local tr = TRANSITIONS[status]
if not tr then return answer('ignored', 'status ' .. status) end
local okey = P .. 'order:' .. oid
local o = redis.call('HMGET', okey, 'state', 'unit_id', 'incident_id', 'tier')
if not o[1] then return answer('unknown_order', oid) end
if o[2] ~= uid then return answer('mismatch', o[2]) end
if not tr.from[o[1]] then return answer('ignored', o[1]) end

local inc, tier = o[3], tonumber(o[4])
redis.call('HSET', okey, 'state', tr.to)
if tr.stamp then redis.call('HSET', okey, tr.stamp, NOW) end
redis.call('ZREM', ACKDUE, oid)
-- the unit made this change; the commander only recorded it
local ev = {unit_id = uid, order_id = oid, tier = tier, by = 'unit:' .. uid,
            via = 'commander'}
if status == 'clear' and disposition ~= '' then
  redis.call('HSET', okey, 'disposition', disposition)
  ev.disposition = disposition
elseif status == 'declined' and reason ~= '' then
  redis.call('HSET', okey, 'reason', reason)
  ev.reason = reason
end
timeline(inc, tr.event or tr.to, ev)

if tr.unit then
  if redis.call('HGET', ukey, 'order') == oid then
    unit_status(uid, tr.unit, oid, inc)
  end
  advance(inc, tr.incident)
  return answer(status, oid)
end
release(uid, oid, 'available')
if status == 'declined' then
  return answer('declined', oid .. ' ' .. table.concat({dispatch_next(inc,
                tier)}, ' '))
end

-- clear: the incident is cleared once none of its orders is live -- all
-- of them, not only each tier's current one (after a re-dispatch two
-- units of a tier may be out).  A tier's orders are <inc>-T<tier>-1..n.
local asg = redis.call('HGETALL', P .. 'inc:' .. inc .. ':asg')
for i = 1, #asg, 2 do
  if not string.find(asg[i], '.', 1, true) then
    local n = 1
    while true do
      local st = redis.call('HGET', P .. 'order:' .. inc .. '-T' .. asg[i] ..
                            '-' .. n, 'state')
      if not st then break end
      if LIVE[st] then return answer('clear', oid) end
      n = n + 1
    end
  end
end
advance(inc, 'cleared')
return answer('clear', oid)
