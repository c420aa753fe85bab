-- state.lua: everything /api/state shows, read in one round trip.
--
-- KEYS: 1 open:t0 (zset), 2 s:escalations (stream)
-- ARGV: 1 key prefix ("np:{city}:"), 2 most incidents, 3 most
--       escalation entries, 4.. unit ids (from the city file)
-- Answers cjson: {units: [[id, hash]], incidents: [[id, fields, mark
-- hash]], escalations: [msg, ...newest first]}.  Read only.
local P = ARGV[1]
local INC_FIELDS = {'type', 'priority', 'state', 'lat', 'lon', 'address',
                    't0', 'post', 'coverage_gap', 'calls', 'district'}

local function hash(key)
  local r, t = redis.call('HGETALL', key), {}
  for i = 1, #r, 2 do t[r[i]] = r[i + 1] end
  return t
end

local units = {}
for i = 4, #ARGV do
  local h = hash(P .. 'unit:' .. ARGV[i])
  h.order = nil
  units[#units + 1] = {ARGV[i], h}
end

local incidents = {}
local open = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
for _, id in ipairs(open) do
  local v, f = redis.call('HMGET', P .. 'inc:' .. id, unpack(INC_FIELDS)), {}
  for i, name in ipairs(INC_FIELDS) do
    if v[i] then f[name] = v[i] end
  end
  incidents[#incidents + 1] = {id, f, hash(P .. 'mark:' .. id)}
end

local escalations = {}
if redis.call('EXISTS', KEYS[2]) == 1 then
  local r = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT',
                       tonumber(ARGV[3]))
  for _, e in ipairs(r) do
    local f = e[2]
    for i = 1, #f, 2 do
      if f[i] == 'msg' then escalations[#escalations + 1] = f[i + 1] end
    end
  end
end

return cjson.encode({units = units, incidents = incidents,
                     escalations = escalations})
