-- POST /auth/validate-token over a pool of live access tokens (data file: one token a line);
-- a 200 that does not say "valid":true counts as a bad body
require("common").token_scenario("/auth/validate-token", '"valid":true')

-- BENCH_PACE_MS: each connection waits that long before each request (a fixed pace, so the
-- latency measured is the service's, not that of a CPU saturated by wrk itself)
local pace = tonumber(os.getenv("BENCH_PACE_MS") or "")
if pace then
  function delay()
    return pace
  end
end
