-- seed.lua: units from the city file, without touching live state.
--
-- Each unit's hash gets its static fields and status 'available' with
-- HSETNX, field by field: a unit already in Redis keeps its status, order
-- and last position across commander restarts, and a unit added to the
-- file appears.
--
-- Called like the others (KEYS and ARGV 1-3 as in lib.lua, of which only
-- the prefix is used), then per unit ARGV: id, kind, callsign, post, lat,
-- lon.  Answers {'seeded', number of units that were new, 0}.
local P, new = ARGV[1], 0
for i = 4, #ARGV - 5, 6 do
  local key = P .. 'unit:' .. ARGV[i]
  new = new + redis.call('HSETNX', key, 'id', ARGV[i])
  redis.call('HSETNX', key, 'kind', ARGV[i + 1])
  redis.call('HSETNX', key, 'callsign', ARGV[i + 2])
  redis.call('HSETNX', key, 'post', ARGV[i + 3])
  redis.call('HSETNX', key, 'status', 'available')
  redis.call('HSETNX', key, 'lat', ARGV[i + 4])
  redis.call('HSETNX', key, 'lon', ARGV[i + 5])
end
return {'seeded', tostring(new), 0}
