-- POST /auth/login with right passwords, round robin over the seeded users
-- (data file: "<login> <password>" a line); a token pair expected
local common = require "common"

common.static_scenario(function(line)
  local login, password = line:match("^(%S+) (.+)$")
  return wrk.format("POST", "/auth/login", { ["Content-Type"] = "application/json" },
    '{"login":"' .. login .. '","password":"' .. password .. '"}')
end, common.contains('"accessToken"', '"refreshToken"'))
