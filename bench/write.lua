-- wrk script: the audited write path. Each request creates an agency (validation, one transaction
-- with the row, an outbox event and a hash-chained audit record). Token from $OKNO_BENCH_TOKEN.
local token = os.getenv("OKNO_BENCH_TOKEN")
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end

function init(args)
  counter = 0
  run = os.getenv("OKNO_BENCH_RUN") or "0"
end

request = function()
  counter = counter + 1
  local code = string.format("b%s-%d-%d", run, tid, counter)
  local body = '{"code":"' .. code .. '","name":"Нагрузочное ведомство","short_name":"Нагрузка",'
    .. '"level":"municipal","region":"Тульская область","time_zone":"Europe/Moscow"}'
  return wrk.format("POST", "/api/v1/agencies",
    { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }, body)
end
