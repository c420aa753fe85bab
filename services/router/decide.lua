-- decide.lua: the router's decision for one incident, written atomically
-- (docs/DISPATCH.md, "Routing" 3): the incident's post, distance,
-- coverage gap and route, its state (new -> routed), a 'routed' timeline
-- entry, and the route.decided entry on s:routes for the commander.
--
-- Idempotent: an incident that already has a route is left alone, so a
-- replayed s:incidents entry (the router died before its XACK) makes no
-- second decision.  An incident that does not exist (any more) gets
-- none: the route would name nothing the commander could dispatch.
--
-- KEYS: 1 inc:<id> (hash), 2 inc:<id>:tl (list), 3 s:routes (stream)
-- ARGV: 1 post id, 2 post distance (m), 3 coverage gap ('true'/'false'),
--       4 route.decided message (JSON), 5 timeline entry 'routed' (JSON)
-- Returns {'routed', s:routes entry id} | {'replayed', ''} |
--         {'missing', ''}
local inc, tl, routes = KEYS[1], KEYS[2], KEYS[3]

if redis.call('HEXISTS', inc, 'route') == 1 then
  return {'replayed', ''}
end
if redis.call('EXISTS', inc) == 0 then
  return {'missing', ''}
end
redis.call('HSET', inc, 'post', ARGV[1], 'post_dist_m', ARGV[2],
           'coverage_gap', ARGV[3], 'route', ARGV[4])
-- the owning post's district is the incident's (SLA figures by district)
local ok, decided = pcall(cjson.decode, ARGV[4])
if ok and type(decided) == 'table' and type(decided.post) == 'table' and
    type(decided.post.district) == 'string' and decided.post.district ~= ''
    then
  redis.call('HSET', inc, 'district', decided.post.district)
end
if redis.call('HGET', inc, 'state') == 'new' then
  redis.call('HSET', inc, 'state', 'routed')
end
redis.call('RPUSH', tl, ARGV[5])
return {'routed', redis.call('XADD', routes, '*', 'msg', ARGV[4])}
