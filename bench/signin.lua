-- wrk script: sign-in with the right password (Argon2id verify, a session, an audit record).
-- Login, password and the known device from $OKNO_BENCH_LOGIN, $OKNO_BENCH_PASSWORD, $OKNO_BENCH_DEVICE.
local body = '{"login":"' .. os.getenv("OKNO_BENCH_LOGIN") .. '","password":"' .. os.getenv("OKNO_BENCH_PASSWORD")
  .. '","device":"' .. os.getenv("OKNO_BENCH_DEVICE") .. '"}'
request = function()
  return wrk.format("POST", "/api/v1/identity/sign-in", { ["Content-Type"] = "application/json" }, body)
end
