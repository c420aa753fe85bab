-- decide.lua: the router's decisions for the incidents of one read of
-- s:incidents, each written atomically (docs/DISPATCH.md, "Routing" 3):
-- the incident's post, distance, coverage gap, district and route, its
-- state (new -> routed), a 'routed' timeline entry, and the route.decided
-- entry on s:routes for the commander.
--
-- Idempotent: an incident that already has a route is left alone, so a
-- replayed s:incidents entry (the router died before its XACK) makes no
-- second decision.  An incident that does not exist (any more) gets
-- none: the route would name nothing the commander could dispatch.
--
-- KEYS: 1 s:routes (stream), then 2 per incident: inc:<id> (hash),
--       inc:<id>:tl (list)
-- ARGV: 6 per incident: post id, post distance (m), coverage gap
--       ('true'/'false'), the post's district ('' when none: the
--       incident's, for SLA figures by district), route.decided message
--       (JSON), timeline entry 'routed' (JSON)
-- Returns 2 per incident: 'routed', s:routes entry id | 'replayed', '' |
--         'missing', ''
local routes = KEYS[1]
local out = {}

for k = 2, #KEYS, 2 do
  local inc, tl, a = KEYS[k], KEYS[k + 1], (k - 2) * 3
  local f = redis.call('HMGET', inc, 'route', 'state')
  if f[1] then
    out[k - 1], out[k] = 'replayed', ''
  elseif not f[2] and redis.call('EXISTS', inc) == 0 then
    out[k - 1], out[k] = 'missing', ''
  else
    local set = {'post', ARGV[a + 1], 'post_dist_m', ARGV[a + 2],
                 'coverage_gap', ARGV[a + 3], 'route', ARGV[a + 5]}
    if ARGV[a + 4] ~= '' then
      set[#set + 1] = 'district'
      set[#set + 1] = ARGV[a + 4]
    end
    if f[2] == 'new' then
      set[#set + 1] = 'state'
      set[#set + 1] = 'routed'
    end
    redis.call('HSET', inc, unpack(set))
    redis.call('RPUSH', tl, ARGV[a + 6])
    out[k - 1], out[k] = 'routed', redis.call('XADD', routes, '*', 'msg',
                                              ARGV[a + 5])
  end
end
return out
