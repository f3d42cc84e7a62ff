-- baseline: the bare Vert.x Web server of the bench module, POST /echo with a small JSON body
local common = require "common"
setup = common.setup
done = common.done
local req

function init(args)
  common.parse_args(args)
  req = wrk.format("POST", "/echo", { ["Content-Type"] = "application/json" }, '{"message":"hello"}')
end

function request()
  return req
end

function response(status, headers, body)
  common.count(status, body, function(b) return b:find('"ok"', 1, true) ~= nil end)
end
