-- wrk script: POST /v1/calls with a new place per request (every call
-- creates an incident: the heaviest path), each thread on its own grid.
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  thread_id = tonumber(tid) or 0
end

function request()
  counter = counter + 1
  -- 1 km steps on a 1000 x 1000 grid around Shanghai, one grid per thread
  local lat = 20 + (counter % 1000) * 0.009 + thread_id * 9.5
  local lon = 100 + math.floor(counter / 1000) % 1000 * 0.0105
  local body = string.format(
    '{"type":"theft","location":{"lat":%.6f,"lon":%.6f},"description":"bench"}',
    lat, lon)
  return wrk.format("POST", "/v1/calls",
    {["Content-Type"] = "application/json",
     ["Authorization"] = "Bearer " .. (os.getenv("NEARPOST_TOKEN") or "")},
    body)
end
