-- noanswer.lua (after lib.lua): orders whose ack deadline has passed.
--
-- Takes at most ARGV[4] members of orders:ackdue due by now.  A member
-- 'retry|<incident>|<tier>' is an unfilled tier to try again (lib.lua's
-- retry_later; dispatch_next schedules the next retry if still none is
-- free, nothing once the tier holds an order or the incident ended).  An order
-- still 'issued' becomes 'noanswer': its unit turns 'unreachable' (it is
-- offered nothing until it speaks again), the gateway gets an
-- order.cancelled, the timeline a no_answer, and the tier its next
-- candidate -- or, when an order of the incident has cleared and none is
-- live any more, the incident is cleared -- all in this one step.  Orders
-- already answered are just taken off the set.  Several commanders may run this at once: whoever
-- comes first does the work, the others find nothing due.
--
-- ARGV: 4 most orders to take
-- Answers {'expired', count, earliest deadline left in the set (0: none),
-- frames...}.
-- An order past its ack deadline: 1 when it was still unanswered.
local function expire(oid)
  local okey = P .. 'order:' .. oid
  local f = redis.call('HMGET', okey, 'state', 'unit_id', 'incident_id',
                       'tier')
  if f[1] ~= 'issued' then return 0 end
  redis.call('HSET', okey, 'state', 'noanswer', 'reason', 'no_answer')
  release(f[2], oid, 'unreachable')
  local json = message('order.cancelled', jf('order_id', oid) ..
      jf('unit_id', f[2]) .. jf('incident_id', f[3]) ..
      ',"reason":"no_answer"')
  redis.call('XADD', ORDERS, '*', 'msg', json)
  frame('order.cancelled', json)
  timeline(f[3], 'no_answer', jf('unit_id', f[2]) .. jf('order_id', oid) ..
           jn('tier', f[4]))
  dispatch_next(f[3], tonumber(f[4]))
  clear_if_done(f[3])  -- a unit sent after it may have cleared
  return 1
end

local due = redis.call('ZRANGE', ACKDUE, '-inf', NOW_S, 'BYSCORE', 'LIMIT',
                       '0', num_s(ARGV[4], tonumber(ARGV[4])))
local n = 0
for _, member in ipairs(due) do
  redis.call('ZREM', ACKDUE, member)
  local rinc, rtier = string.match(member, '^retry|(.+)|(%d+)$')
  if rinc then                  -- an unfilled tier's turn to try again
    dispatch_next(rinc, tonumber(rtier))
  else
    n = n + expire(member)
  end
end
local first = redis.call('ZRANGE', ACKDUE, 0, 0, 'WITHSCORES')
DUE = first[2] and tonumber(first[2]) or 0
return answer('expired', tostring(n))
