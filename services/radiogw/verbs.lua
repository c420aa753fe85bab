-- verbs.lua: the order verbs (ACK DECLINE ENROUTE ONSCENE CLEAR) that
-- reached the gateway in one loop pass, checked and stored in one call
-- (docs/RADIO.md, "What the gateway does with it"; verbs.c).
--
-- For each line, in the order the lines came: the order must exist, be
-- the unit's own, and still take the verb (an order cancelled or
-- unanswered takes none, a declined one only DECLINE again, a cleared
-- one only CLEAR again: the same verb twice is a harmless duplicate);
-- then its unit.status, with the order's incident_id added, goes to
-- s:status.  A line refused changes nothing and stops no other.
--
-- KEYS: 1 s:status (stream)
-- ARGV: 1 key prefix of the orders ('np:{city}:order:'), then 4 per
--       line: order id, unit id, status ('acked', 'declined', 'enroute',
--       'onscene' or 'clear'), the unit.status JSON without incident_id
-- Returns 2 per line: 'ok', the unit.status as stored | 'unknown', '' |
--         'notyours', '' | 'closed', the order's state
local stream, prefix = KEYS[1], ARGV[1]
local out, n = {}, 0

local function answer(code, detail)
  out[n + 1], out[n + 2] = code, detail
  n = n + 2
end

for i = 2, #ARGV, 4 do
  local status, msg = ARGV[i + 2], ARGV[i + 3]
  local o = redis.call('HMGET', prefix .. ARGV[i], 'unit_id', 'state',
                       'incident_id')
  local state = o[2]
  if not o[1] then
    answer('unknown', '')
  elseif o[1] ~= ARGV[i + 1] then
    answer('notyours', '')
  elseif state == 'cancelled' or state == 'noanswer' or
      (state == 'declined' and status ~= 'declined') or
      (state == 'cleared' and status ~= 'clear') then
    answer('closed', state)
  else
    if o[3] and o[3] ~= '' then
      msg = string.sub(msg, 1, -2) .. ',"incident_id":' ..
            cjson.encode(o[3]) .. '}'
    end
    redis.call('XADD', stream, '*', 'msg', msg)
    answer('ok', msg)
  end
end
return out
