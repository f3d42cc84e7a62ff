-- POST /auth/refresh with chained refresh tokens. Each thread owns a pool of sessions (its slice
-- of the data file: one refresh token a line) and only ever sends a session's newest token: a
-- token leaves the pool when sent and its successor (from the 200 answer) joins it. A pool that
-- runs dry sends a token that cannot be valid, so the shortfall shows up as errors, never as a
-- reuse of a retired token.
local common = require "common"
setup = common.setup
done = common.done
local pool = {}
local head, tail = 1, 0

function init(args)
  common.parse_args(args)
  for _, token in ipairs(common.my_lines()) do
    tail = tail + 1
    pool[tail] = token
  end
  assert(tail > 0, "thread " .. tid .. " got no refresh tokens")
end

function request()
  local token
  if head <= tail then
    token = pool[head]
    pool[head] = nil
    head = head + 1
  else
    token = "pool-ran-dry"
  end
  return wrk.format("POST", "/auth/refresh", { ["Content-Type"] = "application/json" },
    '{"refreshToken":"' .. token .. '"}')
end

function response(status, headers, body)
  local successor
  common.count(status, body, function(b)
    successor = b:match('"refreshToken":"([^"]+)"')
    return successor ~= nil and b:find('"accessToken"', 1, true) ~= nil
  end)
  if successor then
    tail = tail + 1
    pool[tail] = successor
  end
end
