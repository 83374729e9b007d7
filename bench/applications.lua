-- wrk script: one request per prepared application, never the same one twice across threads.
-- $OKNO_BENCH_FILE holds lines "bearer<TAB>path"; $OKNO_BENCH_BODY, when set, is a file sent as
-- the body (the 1 MB attachment). Thread t takes lines t, t + T, t + 2T, ….
local threads = tonumber(os.getenv("OKNO_BENCH_THREADS") or "2")
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end

function init(args)
  jobs = {}
  for l in io.lines(os.getenv("OKNO_BENCH_FILE")) do jobs[#jobs + 1] = l end
  local b = os.getenv("OKNO_BENCH_BODY")
  if b and b ~= "" then
    local f = io.open(b, "rb"); body = f:read("*a"); f:close()
    ctype = "application/pdf"
  else
    body = ""; ctype = "application/json"
  end
  n = 0
end

request = function()
  local i = tid + n * threads + 1
  n = n + 1
  local job = jobs[((i - 1) % #jobs) + 1]
  local bearer, path = job:match("([^\t]+)\t(.+)")
  return wrk.format("POST", path, { ["Content-Type"] = ctype, ["Authorization"] = "Bearer " .. bearer }, body)
end
