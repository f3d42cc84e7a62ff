-- baseline: the bare Vert.x Web server of the bench module, POST /echo with a small JSON body
local common = require "common"

common.static_scenario(function()
  return wrk.format("POST", "/echo", { ["Content-Type"] = "application/json" }, '{"message":"hello"}')
end, common.contains('"ok"'))
