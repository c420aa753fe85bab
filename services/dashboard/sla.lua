-- sla.lua: the SLA hashes of every scope for one window bucket.
--
-- KEYS: none (every key is built from the prefix, one hash tag)
-- ARGV: 1 key prefix, 2 bucket ("h:2026112310", "d:20261123"), 3.. scopes
--       ("post:P-001", "district:huangpu")
-- Answers cjson [[scope, hash], ...] (an absent hash is {}).  Read only.
local P, B, out = ARGV[1], ARGV[2], {}
for i = 3, #ARGV do
  local r, t = redis.call('HGETALL', P .. 'sla:' .. ARGV[i] .. ':' .. B), {}
  for j = 1, #r, 2 do t[r[j]] = r[j + 1] end
  out[#out + 1] = {ARGV[i], t}
end
return cjson.encode(out)
