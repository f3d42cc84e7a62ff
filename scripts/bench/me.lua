-- GET /auth/me with a pool of live access tokens; the answer must carry the user and its sessionId
local common = require "common"

common.static_scenario(function(token)
  return wrk.format("GET", "/auth/me", { ["Authorization"] = "Bearer " .. token }, nil)
end, common.contains('"sessionId"', '"username"'))
