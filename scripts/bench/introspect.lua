-- POST /auth/introspect (RFC 7662) over a pool of live access tokens; "active":true expected
local common = require "common"
local key = os.getenv("BENCH_API_KEY")

common.static_scenario(function(token)
  return wrk.format("POST", "/auth/introspect",
    { ["Content-Type"] = "application/json", ["X-API-Key"] = key }, '{"token":"' .. token .. '"}')
end, common.contains('"active":true'))
