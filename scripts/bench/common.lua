-- Shared by every wrk script of scripts/bench.sh: status counting, this thread's slice of a data
-- file, and done(), which prints one line "BENCH_JSON {...}" that bench.sh collects.
--
-- Script arguments (after wrk's "--"): <scenario> <connections> <threads> [data file] [output file]
local common = {}

local threads = {}
local next_tid = 0

function common.setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(threads, thread)
end

-- per-thread state (globals of the thread's own Lua state)
statuses = {}
non2xx = 0
bad_body = 0

function common.parse_args(args)
  scenario = args[1] or "unnamed"
  connections = tonumber(args[2] or "0")
  nthreads = tonumber(args[3] or "1")
  data_file = args[4] ~= "" and args[4] or nil
  out_file = args[5]
end

-- the lines of the data file that belong to this thread (line i goes to thread (i-1) % nthreads)
function common.my_lines()
  local lines = {}
  if not data_file then
    return lines
  end
  local f = assert(io.open(data_file, "r"), "cannot open " .. data_file)
  local i = 0
  for line in f:lines() do
    if line ~= "" then
      if i % nthreads == tid then
        table.insert(lines, line)
      end
      i = i + 1
    end
  end
  f:close()
  return lines
end

-- counts the status; a 2xx whose body fails `check` is counted as a bad body. Returns true when good.
function common.count(status, body, check)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    return false
  end
  if check and not check(body) then
    bad_body = bad_body + 1
    return false
  end
  return true
end

-- the sum over the threads of a per-thread global counter
function common.total(name)
  local sum = 0
  for _, t in ipairs(threads) do
    sum = sum + (t:get(name) or 0)
  end
  return sum
end

-- done() of a scenario that counts something else than wrk's requests (login-mfa: completed
-- logins, two requests each): the record's "requests" is that per-thread counter's total
function common.done_counting(name)
  return function(summary, latency, requests)
    local counted = { requests = common.total(name), duration = summary.duration, errors = summary.errors }
    common.done(counted, latency, requests)
  end
end

function common.done(summary, latency, requests)
  local total_non2xx, total_bad = 0, 0
  local merged = {}
  for _, t in ipairs(threads) do
    total_non2xx = total_non2xx + (t:get("non2xx") or 0)
    total_bad = total_bad + (t:get("bad_body") or 0)
    local s = t:get("statuses") or {}
    for k, v in pairs(s) do
      merged[k] = (merged[k] or 0) + v
    end
  end
  local parts = {}
  for k, v in pairs(merged) do
    table.insert(parts, string.format('"%s":%d', k, v))
  end
  local e = summary.errors
  local name = threads[1] and threads[1]:get("scenario") or "unnamed"
  local conns = threads[1] and threads[1]:get("connections") or 0
  io.write(string.format(
    'BENCH_JSON {"kind":"wrk","scenario":"%s","connections":%d,"threads":%d,"requests":%d,"durationUs":%d,'
      .. '"p50Us":%d,"p90Us":%d,"p99Us":%d,"maxUs":%d,"non2xx":%d,"badBody":%d,'
      .. '"connectErrors":%d,"readErrors":%d,"writeErrors":%d,"timeouts":%d,"statuses":{%s}}\n',
    name, conns, #threads, summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    total_non2xx, total_bad, e.connect, e.read, e.write, e.timeout, table.concat(parts, ",")))
end

-- a request cycle over prebuilt requests: one per data line, or build(nil) alone without a data file
function common.cycle(build)
  local reqs = {}
  if not data_file then
    reqs[1] = build(nil)
  end
  for _, line in ipairs(common.my_lines()) do
    table.insert(reqs, build(line))
  end
  assert(#reqs > 0, "thread " .. tid .. " got no data lines from " .. tostring(data_file))
  local i = 0
  return function()
    i = i % #reqs + 1
    return reqs[i]
  end
end

-- a body check: the 2xx body contains every one of the given texts
function common.contains(...)
  local texts = { ... }
  return function(body)
    for _, text in ipairs(texts) do
      if not body:find(text, 1, true) then
        return false
      end
    end
    return true
  end
end

-- defines wrk's hooks for a scenario of prebuilt requests (build: data line -> request), sent
-- round robin; a 2xx answer counts as good when check(body) holds
function common.static_scenario(build, check)
  setup = common.setup
  done = common.done
  local next_request
  function init(args)
    common.parse_args(args)
    next_request = common.cycle(build)
  end
  function request()
    return next_request()
  end
  function response(status, headers, body)
    common.count(status, body, check)
  end
end

-- a scenario of POST <path> with {"token":"<token>"} and the internal key (BENCH_API_KEY), one
-- request per token of the data file (one a line); a 2xx counts as good when its body contains
-- every one of the expected texts
function common.token_scenario(path, ...)
  local key = os.getenv("BENCH_API_KEY")
  common.static_scenario(function(token)
    return wrk.format("POST", path,
      { ["Content-Type"] = "application/json", ["X-API-Key"] = key }, '{"token":"' .. token .. '"}')
  end, common.contains(...))
end

return common
