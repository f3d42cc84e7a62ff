-- POST /auth/introspect (RFC 7662) over a pool of live access tokens; "active":true expected
local common = require "common"
setup = common.setup
done = common.done
local next_request

function init(args)
  common.parse_args(args)
  local key = os.getenv("BENCH_API_KEY")
  next_request = common.cycle(function(token)
    return wrk.format("POST", "/auth/introspect",
      { ["Content-Type"] = "application/json", ["X-API-Key"] = key }, '{"token":"' .. token .. '"}')
  end)
end

function request()
  return next_request()
end

function response(status, headers, body)
  common.count(status, body, function(b) return b:find('"active":true', 1, true) ~= nil end)
end
