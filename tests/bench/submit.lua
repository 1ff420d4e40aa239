-- wrk script for tests/bench/submissions.sh: every request is one complete submission for a
-- token not used before. Tokens come from $TOKENS (one a line), the form body from $ANSWERS,
-- the CSRF pair from $CSRF and $COOKIE. Each thread takes every k-th token; a thread that runs
-- out stops, so no request measures the cheaper "already answered" path by accident.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  -- Each thread runs in a Lua state of its own: the thread count comes from the environment.
  local nthreads = tonumber(os.getenv("THREADS"))
  tokens = {}
  local i = 0
  for line in io.lines(os.getenv("TOKENS")) do
    if i % nthreads == id then
      tokens[#tokens + 1] = line
    end
    i = i + 1
  end
  local f = io.open(os.getenv("ANSWERS"))
  local answers = f:read("*l")
  f:close()
  body = "csrf=" .. os.getenv("CSRF") .. "&" .. answers
  headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = os.getenv("COOKIE"),
  }
  next_token = 1
  stored = 0
  refused = 0
  ran_out = 0
end

function request()
  local token = tokens[next_token]
  if token == nil then
    ran_out = 1
    wrk.thread:stop()
    token = tokens[#tokens]
  end
  next_token = next_token + 1
  return wrk.format("POST", "/s/" .. token, headers, body)
end

function response(status, headers, body)
  if status == 303 then
    stored = stored + 1
  else
    refused = refused + 1
  end
end

function done(summary, latency, requests)
  local s, r, out = 0, 0, 0
  for _, thread in ipairs(threads) do
    s = s + thread:get("stored")
    r = r + thread:get("refused")
    out = out + thread:get("ran_out")
  end
  local seconds = summary.duration / 1e6
  io.write(string.format("stored: %d complete submissions, %.0f/s; p50 %.2f ms, p99 %.2f ms\n",
    s, s / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("not stored (non-303): %d\n", r))
  if out > 0 then
    io.write(string.format("ran out of tokens in %d thread(s): raise N\n", out))
  end
end
