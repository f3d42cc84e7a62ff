-- The two-step login of a user with TOTP: POST /auth/login with the right password (answered
-- {"mfaRequired":true,"mfaToken",...}), then POST /auth/login/mfa with that token and the code of
-- the current step (data file: "<login> <password> <code>" a line, made by bench.sh with
-- io.latchkey.bench.TotpCodes just before the run). Each user logs in once: a TOTP step is accepted
-- once per user, so a second login in the same step would be refused as a replay. A pool that runs
-- dry sends a login that cannot succeed, so the shortfall shows as errors.
--
-- Any connection may send any request, so the second step of a first step answered on one
-- connection is sent by whichever connection asks next; the first step's X-Request-Id (echoed by
-- the service) names the line whose code goes with the answer's mfaToken. The record's "requests"
-- are completed logins (a token pair from the second step); its latencies are per request.
local common = require "common"
setup = common.setup
done = common.done_counting("completed")
completed = 0
local lines = {}
local head, tail = 1, 0
local codes = {}
local pending = {}
local phead, ptail = 1, 0

function init(args)
  common.parse_args(args)
  for _, line in ipairs(common.my_lines()) do
    tail = tail + 1
    lines[tail] = line
  end
  assert(tail > 0, "thread " .. tid .. " got no users")
end

function request()
  if phead <= ptail then
    local second = pending[phead]
    pending[phead] = nil
    phead = phead + 1
    return wrk.format("POST", "/auth/login/mfa", { ["Content-Type"] = "application/json" }, second)
  end
  local login, password, code
  if head <= tail then
    login, password, code = lines[head]:match("^(%S+) (.+) (%d+)$")
    lines[head] = nil
  else
    login, password, code = "pool-ran-dry", "pool-ran-dry", "000000"
  end
  local id = "mfa-" .. tid .. "-" .. head
  head = head + 1
  codes[id] = code
  return wrk.format("POST", "/auth/login", { ["Content-Type"] = "application/json", ["X-Request-Id"] = id },
    '{"login":"' .. login .. '","password":"' .. password .. '"}')
end

function response(status, headers, body)
  local token = status == 200 and body:match('"mfaToken":"([^"]+)"')
  if token then
    -- a first step: its second step goes out next (not counted: only a completed login counts)
    local id = headers["X-Request-Id"] or headers["x-request-id"]
    local code = id and codes[id]
    if id then
      codes[id] = nil
    end
    ptail = ptail + 1
    pending[ptail] = '{"mfaToken":"' .. token .. '","code":"' .. (code or "000000") .. '"}'
    return
  end
  if common.count(status, body, common.contains('"accessToken"', '"refreshToken"')) then
    completed = completed + 1
  end
end
