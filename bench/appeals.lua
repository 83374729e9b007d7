-- wrk script: files appeals as many people (one bearer per request, in turn). $OKNO_BENCH_FILE
-- holds one bearer per line; $OKNO_BENCH_JSON is the body of every filing.
local threads = tonumber(os.getenv("OKNO_BENCH_THREADS") or "2")
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end

function init(args)
  people = {}
  for l in io.lines(os.getenv("OKNO_BENCH_FILE")) do people[#people + 1] = l end
  body = os.getenv("OKNO_BENCH_JSON")
  n = 0
end

request = function()
  local i = tid + n * threads + 1
  n = n + 1
  local bearer = people[((i - 1) % #people) + 1]
  return wrk.format("POST", "/api/v1/appeals", { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. bearer }, body)
end
