-- dispatch.lua (after lib.lua): the tiers of the route.decided entries of
-- one read of s:routes.
--
-- Keeps each decision with its incident (inc:<id> field route, unless the
-- router or an earlier delivery stored it already) and reserves each
-- tier's next available candidate.  One argument group per tier; a
-- replay finds the tier held and changes nothing.  An incident that does
-- not exist (any more) gets nothing, as with the router.
--
-- ARGV: 4.. per tier: incident id, tier, the route.decided message (JSON;
--       '' for the incident's further tiers in the same call), and the
--       tier's candidates as the commander read them from that message:
--       their unit ids joined by ',' (lib.lua's give), or '?' (not read:
--       the stored route is decoded)
-- Answers as batch (lib.lua); per tier as dispatch_next, or 'missing'.
local EXISTING = {}     -- incident id -> its hash exists (this call)
local MSG = {}          -- incident id -> its message (this call)

local function tier_of(inc, tier, msg, ids)
  local key = P .. 'inc:' .. inc
  tier = tonumber(tier)
  if msg ~= '' then MSG[inc] = msg end
  if EXISTING[inc] == nil then
    EXISTING[inc] = redis.call('EXISTS', key) == 1
    if EXISTING[inc] and msg ~= '' then
      redis.call('HSETNX', key, 'route', msg)
    end
  end
  if not EXISTING[inc] then return 'missing', '' end
  if MSG[inc] and tier and ids ~= '?' then give(MSG[inc], tier, ids) end
  return dispatch_next(inc, tier)
end

return batch(4, tier_of)
