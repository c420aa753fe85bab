-- orders.lua: an incident's orders, for the scripts that walk them all
-- (commander/lib.lua: is the incident done; feedback/close.lua: does
-- another order still wait for its ack).  Not a script on its own: the
-- build puts it after text.lua in front of the scripts using it
-- (np_embed_text ... PRELUDE, CMakeLists.txt).

-- The order ids of an incident's tier: <inc>-T<tier>-1 .. -n, n that of
-- the tier's current order (inc:<id>:asg <tier>; orders are numbered
-- from 1 without gaps, the current one the last).
local function tier_orders(inc, tier, cur)
  local out = {}
  local n = tonumber(string.match(cur, '(%d+)$')) or 0
  for k = 1, n do out[k] = inc .. '-T' .. tier .. '-' .. int_s(k) end
  return out
end

-- Every order of the incident (inc:<id>:asg: a field per tier naming its
-- current order; fields with a '.' are the tier's notes), tier by tier.
local function incident_orders(inc, asg_key)
  local out, asg = {}, redis.call('HGETALL', asg_key)
  for i = 1, #asg, 2 do
    if not string.find(asg[i], '.', 1, true) then
      for _, o in ipairs(tier_orders(inc, asg[i], asg[i + 1])) do
        out[#out + 1] = o
      end
    end
  end
  return out
end
