-- followup.lua: a follow-up with the caller is done (intake's
-- POST /v1/incidents/{id}/followup).  close.lua schedules it
-- (followup:<id> state 'due', followups zset); here it becomes 'done'
-- with when, who and the note, leaves the zset, and is written on the
-- incident's timeline.  Once only: a second call answers 'none'.
--
-- KEYS: none.  ARGV: 1 key prefix, 2 now (ms), 3 incident id, 4 note,
--       5 by (the principal who did it, e.g. calltaker:alice: the
--       timeline's `by`), 6 service writing the timeline (`via`)
-- Answers {result, detail}: 'done' (detail: due time), 'unknown' (no such
-- incident) or 'none' (no follow-up due; detail: its state or '').
local P, NOW, id, note, by = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4],
                             ARGV[5]
local fkey = P .. 'followup:' .. id
if redis.call('EXISTS', P .. 'inc:' .. id) == 0 then
  return {'unknown', id}
end
local f = redis.call('HMGET', fkey, 'state', 'due')
if f[1] ~= 'due' then return {'none', f[1] or ''} end
redis.call('HSET', fkey, 'state', 'done', 'done_at', NOW, 'by', by,
           'note', note)
redis.call('ZREM', P .. 'followups', id)
redis.call('RPUSH', P .. 'inc:' .. id .. ':tl', cjson.encode({
  ts = NOW, event = 'followup_done', by = by, via = ARGV[6],
  note = note}))
return {'done', f[2]}
