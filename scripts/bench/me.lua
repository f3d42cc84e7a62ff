-- GET /auth/me with a pool of live access tokens; the answer must carry the user and its sessionId
local common = require "common"
setup = common.setup
done = common.done
local next_request

function init(args)
  common.parse_args(args)
  next_request = common.cycle(function(token)
    return wrk.format("GET", "/auth/me", { ["Authorization"] = "Bearer " .. token }, nil)
  end)
end

function request()
  return next_request()
end

function response(status, headers, body)
  common.count(status, body, function(b)
    return b:find('"sessionId"', 1, true) ~= nil and b:find('"username"', 1, true) ~= nil
  end)
end
