-- text.lua: numbers and strings as JSON text, for the scripts that build
-- their JSON by hand (commander/lib.lua, tracker/lib.lua,
-- feedback/close.lua).  Not a script on its own: the build puts it in
-- front of the scripts using them (np_embed_text ... PRELUDE,
-- CMakeLists.txt); the tests run the build's texts.
--
-- Numbers are kept as text on the hot paths: Redis 7.0 formats every Lua
-- number passed to redis.call with %.17g, and `..` and cjson with %.14g
-- -- printf's floating point path, a large part of a script's time.
-- Everything here is built again on each EVALSHA, and collected again:
-- local functions only, no tables.

-- A number's text raw (a string) for its value n (tonumber(raw)), as
-- cjson writes n: raw itself when it is a plain integer of up to 14
-- characters, else %.14g.
local function num_s(raw, n)
  if #raw <= 14 and string.find(raw, '^-?[1-9]%d*$') then return raw end
  return string.format('%.14g', n)
end

-- A whole number in integer formatting, anything else as cjson writes it.
local function int_s(n)
  if n == math.floor(n) and n > -1e14 and n < 1e14 then
    return string.format('%d', n)
  end
  return string.format('%.14g', n)
end

-- s inside a JSON string's quotes: ids ([A-Za-z0-9._:-]) need no
-- escaping and are used as they are (no cjson, no new string: a JSON
-- text is built in one concatenation, '"' .. esc(s) .. '"' in it).
local function esc(s)
  if string.find(s, '^[%w._:-]*$') then return s end
  return string.sub(cjson.encode(s), 2, -2)
end
