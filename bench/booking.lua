-- wrk script: slot booking (POST /api/v1/appointments). Request n of thread t books slot
-- t * 1000 + floor(n / P) for person n mod P, so no person books the same slot twice and every
-- answer should be 201. Sessions and slot ids come from the files in $OKNO_BENCH_DIR.
local dir = os.getenv("OKNO_BENCH_DIR")
local next_id = 0

local function lines(path)
  local t = {}
  for l in io.lines(path) do t[#t + 1] = l end
  return t
end

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end

function init(args)
  sessions = lines(dir .. "/sessions.txt")
  slots = lines(dir .. "/slots.txt")
  n = 0
end

request = function()
  local p = #sessions
  local who = sessions[(n % p) + 1]
  local slot = slots[tid * 1000 + math.floor(n / p) + 1]
  n = n + 1
  return wrk.format("POST", "/api/v1/appointments",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. who },
    '{"slot_id":"' .. slot .. '"}')
end
