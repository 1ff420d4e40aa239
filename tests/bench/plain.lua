-- wrk script for a fixed URL (tests/bench/submissions.sh: GET /health as the ceiling): wrk's own
-- output stays as it is; if $JSON_OUT is set, the figures are also written there as one JSON
-- object, so that nobody has to read "1.23ms" back out of wrk's text.

function done(summary, latency, requests)
  local path = os.getenv("JSON_OUT")
  if not path then
    return
  end
  local seconds = summary.duration / 1e6
  local f = io.open(path, "w")
  f:write(string.format(
    '{"requests": %d, "per_s": %.1f, "p50_ms": %.3f, "p99_ms": %.3f, "non_2xx_3xx": %d, "socket_errors": %d}\n',
    summary.requests, summary.requests / seconds, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  f:close()
end
