-- POST /auth/login with right passwords, round robin over the seeded users
-- (data file: "<login> <password>" a line); a token pair expected
local common = require "common"
setup = common.setup
done = common.done
local next_request

function init(args)
  common.parse_args(args)
  next_request = common.cycle(function(line)
    local login, password = line:match("^(%S+) (.+)$")
    return wrk.format("POST", "/auth/login", { ["Content-Type"] = "application/json" },
      '{"login":"' .. login .. '","password":"' .. password .. '"}')
  end)
end

function request()
  return next_request()
end

function response(status, headers, body)
  common.count(status, body, function(b) return b:find('"accessToken"', 1, true) ~= nil end)
end
