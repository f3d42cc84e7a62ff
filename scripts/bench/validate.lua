-- POST /auth/validate-token over a pool of live access tokens (data file: one token a line);
-- a 200 that does not say "valid":true counts as a bad body
local common = require "common"
local key = os.getenv("BENCH_API_KEY")

common.static_scenario(function(token)
  return wrk.format("POST", "/auth/validate-token",
    { ["Content-Type"] = "application/json", ["X-API-Key"] = key }, '{"token":"' .. token .. '"}')
end, common.contains('"valid":true'))

-- BENCH_PACE_MS: each connection waits that long before each request (a fixed pace, so the
-- latency measured is the service's, not that of a CPU saturated by wrk itself)
local pace = tonumber(os.getenv("BENCH_PACE_MS") or "")
if pace then
  function delay()
    return pace
  end
end
