-- cancel.lua (after lib.lua): incidents were closed (a supervisor closed
-- one through intake while units were still out, or feedback closed it):
-- every live order of each is cancelled, its unit released (available),
-- the gateway gets an order.cancelled (the unit hears CANCEL) and the
-- timeline an order_cancelled; the retries of its unfilled tiers are
-- dropped.  Orders already finished are left alone, so a replay changes
-- nothing.
--
-- ARGV: 4.. per closed incident: its id
-- Answers as batch (lib.lua); per incident 'cancelled', count.

local function cancel_order(inc, tier, oid)
  local okey = P .. 'order:' .. oid
  local f = redis.call('HMGET', okey, 'state', 'unit_id')
  if not live_rank(f[1]) then return 0 end
  redis.call('HSET', okey, 'state', 'cancelled', 'reason', 'incident_closed')
  if f[1] == 'issued' then redis.call('ZREM', ACKDUE, oid) end
  release(f[2], oid, 'available')
  local json = message('order.cancelled', jf('order_id', oid) ..
      jf('unit_id', f[2]) .. jf('incident_id', inc) ..
      ',"reason":"incident_closed"')
  redis.call('XADD', ORDERS, '*', 'msg', json)
  frame('order.cancelled', json)
  timeline(inc, 'order_cancelled', jf('unit_id', f[2]) ..
           jf('order_id', oid) .. jn('tier', tier) ..
           ',"reason":"incident_closed"')
  return 1
end

local function cancel(inc)
  local asg = redis.call('HGETALL', P .. 'inc:' .. inc .. ':asg')
  local n = 0
  for i = 1, #asg, 2 do
    if not string.find(asg[i], '.', 1, true) then
      for _, oid in ipairs(tier_orders(inc, asg[i], asg[i + 1])) do
        n = n + cancel_order(inc, asg[i], oid)
      end
    end
  end
  local retries = {}
  for t = 1, 9 do retries[t] = retry_member(inc, string.char(48 + t)) end
  redis.call('ZREM', ACKDUE, unpack(retries))
  return 'cancelled', tostring(n)
end

return batch(1, cancel)
