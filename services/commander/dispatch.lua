-- dispatch.lua (after lib.lua): one tier of a route.decided.
--
-- Keeps the decision with the incident (inc:<id> field route, unless the
-- router or an earlier delivery stored it already) and reserves the
-- tier's next available candidate.  Run once per tier of the message; a
-- replay finds the tier held and changes nothing.  An incident that does
-- not exist (any more) gets nothing, as with the router.
--
-- ARGV: 4 incident id, 5 tier, 6 the route.decided message (JSON)
-- Answers as dispatch_next (see lib.lua), or 'missing'.
local inc, tier = ARGV[4], tonumber(ARGV[5])
local key = P .. 'inc:' .. inc
if redis.call('EXISTS', key) == 0 then return answer('missing', '') end
redis.call('HSETNX', key, 'route', ARGV[6])
return answer(dispatch_next(inc, tier))
