-- lib.lua: what every tracker script shares (prepended to arm.lua,
-- met.lua and fire.lua by the tracker and the tests).
--
-- The marks live only in Redis (docs/TRACK.md): mark:<incident> holds
-- each tier's due time, state and last ladder step, and marks:due holds
-- one member "<incident>|<tier>|<step>" per step still to fire, scored by
-- its due time (ms).  Each script checks the state it changes, so a
-- replayed stream entry or a second fire run changes nothing.
--
-- Every script takes
--   KEYS: 1 marks:due (zset), 2 s:escalations (stream)
--   ARGV: 1 key prefix ("np:{city}:"), 2 now (ms), 3 district,
--         4.. the script's own arguments
-- and answers {result, detail, earliest member of marks:due (0: none),
-- frame, ...}: each frame "<topic> <json>" is published on the events bus
-- by the tracker after the script.
local P, NOW, DISTRICT = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local DUEZ, ESC = KEYS[1], KEYS[2]
local FRAMES = {}

local function envelope(mtype, fields)
  local m = {type = mtype, v = 1, ts = NOW, src = 'tracker'}
  for k, v in pairs(fields) do m[k] = v end
  return m
end

-- A live event for the bus; with stream true also XADDed to s:escalations.
local function emit(mtype, fields, stream)
  local json = cjson.encode(envelope(mtype, fields))
  if stream then redis.call('XADD', ESC, '*', 'msg', json) end
  FRAMES[#FRAMES + 1] = mtype .. ' ' .. json
end

local function timeline(inc, event, fields)
  local e = {ts = NOW, event = event, by = 'tracker'}
  for k, v in pairs(fields) do e[k] = v end
  redis.call('RPUSH', P .. 'inc:' .. inc .. ':tl', cjson.encode(e))
end

local function member(inc, tier, step)
  return inc .. '|' .. tier .. '|' .. step
end

local function mark_key(inc)
  return P .. 'mark:' .. inc
end

local function answer(result, detail)
  local z = redis.call('ZRANGE', DUEZ, 0, 0, 'WITHSCORES')
  local out = {result, detail or '', z[2] and tonumber(z[2]) or 0}
  for _, fr in ipairs(FRAMES) do out[#out + 1] = fr end
  return out
end
