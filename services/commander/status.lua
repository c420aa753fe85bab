-- status.lua (after lib.lua): the unit.status entries of one read of
-- s:status, in order, each as if it were a call of its own.
--
-- Order statuses move the order only from the states their transition
-- allows (transition below), so a replayed or late status changes
-- nothing; the unit follows only while it still holds that order.
--   acked     issued                     -> acked, off orders:ackdue
--   enroute   issued acked               -> enroute
--   onscene   issued acked enroute       -> onscene
--   clear     issued acked enroute onscene -> cleared (disposition),
--             unit released; incident cleared once no order is live
--             (lib.lua's clear_if_done, as after a decline)
--   declined  issued acked               -> declined (reason), unit
--             released, next candidate for the tier
-- Link statuses: online makes an unreachable (or offline) unit without
-- an order available; offline is recorded in link, and an available
-- unit becomes offline (a reserved unit keeps its order and gets it
-- again when it reconnects).  Any other status is the unit speaking
-- too: an unreachable unit without an order is available again, even
-- when what it says is too late to change its old order.
--
-- The unit's own acked, enroute and onscene are not published again
-- (the gateway has); its reservation, release and link changes are.
--
-- ARGV: 4.. per entry: unit id, status, order id, disposition, reason (''
--       when absent; the order knows its incident)
-- Answers as batch (lib.lua); per entry, result is the status applied, or
-- 'ignored' / 'unknown_unit' / 'unknown_order' / 'mismatch' with the
-- reason in detail.
--
-- TRANSITIONS: a status's order state (to), its time stamp field, the
-- unit's and the incident's new state, the timeline event (to when nil),
-- and the last order state it may come from (lib.lua's live_rank): a
-- function, not a table of tables, which every call would build again.
local function transition(status)
  if status == 'acked' then
    return 'acked', 'acked_at', 'acked', 'acked', nil, 1
  elseif status == 'enroute' then
    return 'enroute', 'enroute_at', 'enroute', 'acked', nil, 2
  elseif status == 'onscene' then
    return 'onscene', 'onscene_at', 'onscene', 'onscene', nil, 3
  elseif status == 'clear' then
    return 'cleared', 'cleared_at', nil, nil, 'cleared', 4
  elseif status == 'declined' then
    return 'declined', nil, nil, nil, nil, 2
  end
  return nil
end

-- online / offline: the unit's link.
local function link(uid, ukey, status, u)
  if u[3] ~= status then redis.call('HSET', ukey, 'link', status) end
  local free = not u[2] or u[2] == ''
  if status == 'online' and free and
      (u[1] == 'unreachable' or u[1] == 'offline') then
    unit_status(uid, 'available')
    return 'online', 'available'
  elseif status == 'offline' and free and u[1] == 'available' then
    unit_status(uid, 'offline')
    return 'offline', 'offline'
  end
  return 'ignored', u[1] or ''
end

local function apply(uid, status, oid, disposition, reason)
  local ukey = P .. 'unit:' .. uid
  -- every writer of unit:<id> sets one of status, id, lat, link
  local u = redis.call('HMGET', ukey, 'status', 'order', 'link', 'id', 'lat')
  if not (u[1] or u[3] or u[4] or u[5]) and
      redis.call('EXISTS', ukey) == 0 then
    return 'unknown_unit', uid
  end
  if status == 'online' or status == 'offline' then
    return link(uid, ukey, status, u)
  end
  if u[1] == 'unreachable' and (not u[2] or u[2] == '') then
    unit_status(uid, 'available')
  end

  local to, stamp, ustate, istate, event, from = transition(status)
  if not to then return 'ignored', 'status ' .. status end
  local okey = P .. 'order:' .. oid
  local o = redis.call('HMGET', okey, 'state', 'unit_id', 'incident_id',
                       'tier')
  if not o[1] then return 'unknown_order', oid end
  if o[2] ~= uid then return 'mismatch', o[2] end
  local r = live_rank(o[1])
  if not (r and r <= from) then return 'ignored', o[1] end

  local inc, tier = o[3], tonumber(o[4])
  -- the unit made this change; the commander only recorded it
  local ev = ',"unit_id":"' .. esc(uid) .. '","order_id":"' .. esc(oid) ..
      '"' .. jn('tier', o[4]) .. ',"via":"commander"'
  local set = {'state', to}
  if stamp then set[3], set[4] = stamp, NOW_S end
  if status == 'clear' and disposition ~= '' then
    set[#set + 1], set[#set + 2] = 'disposition', disposition
    ev = ev .. jf('disposition', disposition)
  elseif status == 'declined' and reason ~= '' then
    set[#set + 1], set[#set + 2] = 'reason', reason
    ev = ev .. jf('reason', reason)
  end
  redis.call('HSET', okey, unpack(set))
  -- only an issued order waits for its ack
  if o[1] == 'issued' then redis.call('ZREM', ACKDUE, oid) end
  timeline(inc, event or to, ev, 'unit:' .. uid)

  if ustate then
    if u[2] == oid then unit_status(uid, ustate, oid, inc, true) end
    advance(inc, istate)
    return status, oid
  end
  release(uid, oid, 'available', u[2] or false)
  if status == 'declined' then
    local nxt = table.concat({dispatch_next(inc, tier)}, ' ')
    clear_if_done(inc)
    return 'declined', oid .. ' ' .. nxt
  end
  clear_if_done(inc)
  return 'clear', oid
end

return batch(5, apply)
