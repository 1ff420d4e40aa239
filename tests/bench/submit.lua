-- wrk script for tests/bench/submissions.sh. Each survey link is handled as a browser would:
-- the form is opened first (GET /s/<token>), and only once that page has come back is it posted
-- complete (POST /s/<token>, with the csrf field of that page). Only such GET+POST pairs whose
-- POST was stored (303) count as submissions. Tokens come from $TOKENS (one a line), the answers
-- from $ANSWERS, the cookie from $COOKIE (a browser keeps its kp_csrf cookie, so the form pages
-- all carry the same csrf field). Each thread takes every k-th token and opens each once; a
-- thread that runs out stops, so no request measures the cheaper "already answered" path.
--
-- Why the bookkeeping: wrk says neither which connection a response belongs to nor when a
-- request left, and its own latency figures would mix cheap form pages with submissions. The
-- token travels in both answers (the form's action, the 303's Location), so a response is
-- matched to its request by token, timed with clock_gettime through LuaJIT's ffi; a POST may
-- go out on another keep-alive connection than its GET, as a browser's may.
-- With $POST_ONLY=1 every link is posted at once, without opening its form (the csrf field is
-- $CSRF, the one of the browser's cookie): the POST alone, against the /health of the same run.
-- If $JSON_OUT is set, the figures are also written there as one JSON object.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } kp_timespec;
int clock_gettime(int clock, kp_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local now_ts = ffi.new("kp_timespec")
local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, now_ts)
  return tonumber(now_ts.tv_sec) * 1000 + tonumber(now_ts.tv_nsec) / 1e6
end

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
  answers = f:read("*l")
  f:close()
  get_headers = { ["Cookie"] = os.getenv("COOKIE") }
  post_headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = os.getenv("COOKIE"),
  }
  post_only = os.getenv("POST_ONLY") == "1"
  csrf_all = os.getenv("CSRF")
  next_token = 1
  -- Forms that came back and wait for their POST, oldest first.
  ready, ready_head, ready_tail = {}, 1, 0
  sent_at = {}
  get_ms, post_ms = {}, {}
  opened = 0
  stored = 0
  other = 0
  ran_out = 0
end

-- The next unused token, marked as sent at `now`; nil (and the thread stopped) when none is left.
local function take_token(now)
  local token = tokens[next_token]
  if token == nil then
    ran_out = 1
    wrk.thread:stop()
    return nil
  end
  next_token = next_token + 1
  sent_at[token] = now
  return token
end

function request()
  local now = now_ms()
  if ready_head <= ready_tail then
    local form = ready[ready_head]
    ready[ready_head] = nil
    ready_head = ready_head + 1
    sent_at[form.token] = now
    return wrk.format("POST", "/s/" .. form.token, post_headers,
      "csrf=" .. form.csrf .. "&" .. answers)
  end
  local token = take_token(now)
  if token == nil then
    return wrk.format("GET", "/health")
  end
  if post_only then
    return wrk.format("POST", "/s/" .. token, post_headers, "csrf=" .. csrf_all .. "&" .. answers)
  end
  return wrk.format("GET", "/s/" .. token, get_headers)
end

function response(status, headers, body)
  local now = now_ms()
  if status == 303 then
    local location = headers["location"] or headers["Location"] or ""
    local token = location:match("^/s/([^?]+)")
    if token and sent_at[token] then
      post_ms[#post_ms + 1] = now - sent_at[token]
      sent_at[token] = nil
      stored = stored + 1
      return
    end
  elseif status == 200 then
    local token = body:match('action="/s/([^"]+)"')
    local csrf = body:match('name="csrf" value="([^"]*)"')
    if token and csrf and sent_at[token] then
      get_ms[#get_ms + 1] = now - sent_at[token]
      sent_at[token] = nil
      opened = opened + 1
      ready_tail = ready_tail + 1
      ready[ready_tail] = { token = token, csrf = csrf }
      return
    end
  end
  -- A refused submission (a page without a form), an error, or the /health of a stopped thread.
  other = other + 1
end

local function percentile(sorted, p)
  if #sorted == 0 then
    return 0 / 0
  end
  local rank = math.max(1, math.ceil(p / 100 * #sorted))
  return sorted[rank]
end

function done(summary, latency, requests)
  local gets, posts = {}, {}
  local o, s, r, out = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    o = o + thread:get("opened")
    s = s + thread:get("stored")
    r = r + thread:get("other")
    out = out + thread:get("ran_out")
    for _, v in ipairs(thread:get("get_ms")) do gets[#gets + 1] = v end
    for _, v in ipairs(thread:get("post_ms")) do posts[#posts + 1] = v end
  end
  table.sort(gets)
  table.sort(posts)
  local seconds = summary.duration / 1e6
  local figures = {
    seconds = seconds,
    forms_opened = o,
    submissions = s,
    submissions_per_s = s / seconds,
    post_p50_ms = percentile(posts, 50),
    post_p99_ms = percentile(posts, 99),
    get_p50_ms = percentile(gets, 50),
    get_p99_ms = percentile(gets, 99),
    other_responses = r,
    socket_errors = summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout,
    ran_out_threads = out,
  }
  if os.getenv("POST_ONLY") == "1" then
    io.write(string.format("stored: %d submissions posted without opening the form, %.0f/s; POST p50 %.2f ms, p99 %.2f ms\n",
      s, figures.submissions_per_s, figures.post_p50_ms, figures.post_p99_ms))
  else
    io.write(string.format(
      "stored: %d complete submissions (form opened, then posted), %.0f/s; POST p50 %.2f ms, p99 %.2f ms\n",
      s, figures.submissions_per_s, figures.post_p50_ms, figures.post_p99_ms))
    io.write(string.format("forms opened (GET 200): %d; GET p50 %.2f ms, p99 %.2f ms\n",
      o, figures.get_p50_ms, figures.get_p99_ms))
  end
  io.write(string.format("not stored (neither a form nor a 303): %d\n", r))
  if out > 0 then
    io.write(string.format("ran out of tokens in %d thread(s): raise N\n", out))
  end
  local path = os.getenv("JSON_OUT")
  if path then
    local parts = {}
    for k, v in pairs(figures) do
      -- NaN (no sample) is not JSON.
      parts[#parts + 1] = string.format('"%s": %s', k, v ~= v and "null" or string.format("%.10g", v))
    end
    local f = io.open(path, "w")
    f:write("{" .. table.concat(parts, ", ") .. "}\n")
    f:close()
  end
end
