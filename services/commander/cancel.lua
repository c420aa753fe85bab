-- cancel.lua (after lib.lua): an incident was closed (a supervisor closed
-- it through intake while units were still out, or feedback closed it):
-- every live order of it is cancelled, its unit released (available),
-- the gateway gets an order.cancelled (the unit hears CANCEL) and the
-- timeline an order_cancelled.  Orders already finished are left alone,
-- so a replay changes nothing.
--
-- ARGV: 4 incident id
-- Answers {'cancelled', count, earliest ack deadline (0: none), frames...}.
local inc = ARGV[4]
local live = {issued = true, acked = true, enroute = true, onscene = true}
local asg = redis.call('HGETALL', P .. 'inc:' .. inc .. ':asg')
local n = 0
for i = 1, #asg, 2 do
  if not string.find(asg[i], '.', 1, true) then
    local k = 1
    while true do
      local oid = inc .. '-T' .. asg[i] .. '-' .. k
      local okey = P .. 'order:' .. oid
      local f = redis.call('HMGET', okey, 'state', 'unit_id')
      if not f[1] then break end
      if live[f[1]] then
        n = n + 1
        redis.call('HSET', okey, 'state', 'cancelled', 'reason',
                   'incident_closed')
        redis.call('ZREM', ACKDUE, oid)
        release(f[2], oid, 'available')
        local json = cjson.encode(envelope('order.cancelled', {
          order_id = oid, unit_id = f[2], incident_id = inc,
          reason = 'incident_closed'}))
        redis.call('XADD', ORDERS, '*', 'msg', json)
        frame('order.cancelled', json)
        timeline(inc, 'order_cancelled', {unit_id = f[2], order_id = oid,
                                          tier = tonumber(asg[i]),
                                          reason = 'incident_closed'})
      end
      k = k + 1
    end
  end
end
for t = 1, 9 do redis.call('ZREM', ACKDUE, retry_member(inc, t)) end
local first = redis.call('ZRANGE', ACKDUE, 0, 0, 'WITHSCORES')
DUE = first[2] and tonumber(first[2]) or 0
return answer('cancelled', tostring(n))
