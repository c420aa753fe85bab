-- lib.lua: what every tracker script shares (the build puts it in front
-- of arm.lua, met.lua and fire.lua: np_embed_text ... PRELUDE).
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
-- {answer per entry, ...}, frame, ...}.  arm.lua and met.lua take a batch
-- of stream entries (one call per read) and answer each "<result>
-- <detail>" in order, "error <why>" for one whose run failed (its frames
-- dropped, the other entries unaffected); fire.lua's list is empty.  Each
-- frame "<topic> <json>" is published on the events bus by the tracker
-- after the script.
local P, NOW, DISTRICT = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local DUEZ, ESC = KEYS[1], KEYS[2]
local FRAMES, RESULTS = {}, {}

-- Numbers are kept as text (num_s), ids put in JSON strings as they are
-- (esc: they are [A-Za-z0-9._:-], as the tracker checks them): both from
-- common/lua/text.lua, which the build puts in front of this file.
local NOW_S = num_s(ARGV[2], NOW)
local STEPS = {'1', '2', '3', '4', '5', '6', '7', '8', '9'}

local function envelope(mtype, fields)
  local m = {type = mtype, v = 1, ts = NOW, src = 'tracker'}
  for k, v in pairs(fields) do m[k] = v end
  return m
end

-- A live event for the bus (json: its encoded envelope); with stream true
-- also XADDed to s:escalations.
local function emit_json(mtype, json, stream)
  if stream then redis.call('XADD', ESC, '*', 'msg', json) end
  FRAMES[#FRAMES + 1] = mtype .. ' ' .. json
end

local function emit(mtype, fields, stream)
  emit_json(mtype, cjson.encode(envelope(mtype, fields)), stream)
end

local function timeline_json(inc, json)
  redis.call('RPUSH', P .. 'inc:' .. inc .. ':tl', json)
end

local function timeline(inc, event, fields)
  local e = {ts = NOW, event = event, by = 'tracker'}
  for k, v in pairs(fields) do e[k] = v end
  timeline_json(inc, cjson.encode(e))
end

local function member(inc, tier, step)
  return inc .. '|' .. tier .. '|' .. step
end

local function mark_key(inc)
  return P .. 'mark:' .. inc
end

-- One entry of a batch: fn(...) answers result, detail.
local function settle(fn, ...)
  local nf = #FRAMES
  local ok, result, detail = pcall(fn, ...)
  if not ok then
    for i = #FRAMES, nf + 1, -1 do FRAMES[i] = nil end
    detail = type(result) == 'table' and result.err or tostring(result)
    result = 'error'
  end
  RESULTS[#RESULTS + 1] = result .. ' ' .. (detail or '')
end

local function answer(result, detail)
  local z = redis.call('ZRANGE', DUEZ, 0, 0, 'WITHSCORES')
  local out = {result, detail or '', z[2] and tonumber(z[2]) or 0, RESULTS}
  for _, fr in ipairs(FRAMES) do out[#out + 1] = fr end
  return out
end
