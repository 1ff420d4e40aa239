#!/usr/bin/env bash
# Benchmark: reports at the size DECISIONS.md sets — 100,000 employees in 120 departments of
# four levels, 78 closed rounds of 8 scored items (+ comment), 70 % participation. The stored
# aggregates of rounds 1–76 are generated directly; rounds 77 and 78 get raw answers (70,000
# responses each) and are closed by `kundenpuls round close`, which computes their aggregates
# (the time of each close is printed). Then, against the release binary on SQLite, each with
# wrk and a Lua script that prints p50/p95/p99 and counts every answer that is not 2xx:
#   - GET /dashboard as a company-wide viewer, 1 client and CONNECTIONS clients,
#   - GET /charts/trend.svg?department=<id>&width=<w> over every department and 40 widths
#     400, 420, … 1180 (4,800+ distinct pictures, so the chart cache hardly ever answers),
#     1 client and CONNECTIONS clients,
#   - GET /api/v1/departments/<id>/trend over every department, CONNECTIONS clients,
# and the server's peak memory (VmHWM) over all of it.
# The widths lie inside what the service draws (MIN_WIDTH..MAX_WIDTH in
# src/web/dashboard/charts.rs, 320–1600; the trend chart keeps a minimum height since 451be4a,
# so narrow widths draw too); the script checks them against that file when it is there, since
# a refused width would be timed as a fast 400 instead of a drawing.
#
# Usage: tests/bench/reports.sh [path/to/kundenpuls]   (default: target/release/kundenpuls)
#   DURATION=10s THREADS=2 CONNECTIONS=8
#   EMPLOYEES=100000 ROUNDS=78   smaller for a quick check of the script itself
#   KEEP_WORK=1   keep the generated database and files (the path is printed) for a look
#   KUNDENPULS_BENCH_RESULTS=<file>  also append the figures as JSON lines (tests/bench/run)
# Needs: wrk (apt-get install -y wrk), python3, curl.
# Exits non-zero if any timed request was answered with anything but 2xx.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=$(pwd)
bin=$(realpath "${1:-target/release/kundenpuls}")
DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-8}
EMPLOYEES=${EMPLOYEES:-100000}
ROUNDS=${ROUNDS:-78}
width_min=400
width_step=20
width_count=40
width_max=$((width_min + (width_count - 1) * width_step))
limits=src/web/dashboard/charts.rs
if [ -f "$limits" ]; then
  allowed_min=$(sed -n 's/^pub const MIN_WIDTH: u32 = \([0-9]*\);/\1/p' "$limits")
  allowed_max=$(sed -n 's/^pub const MAX_WIDTH: u32 = \([0-9]*\);/\1/p' "$limits")
  if [ -n "$allowed_min" ] && [ -n "$allowed_max" ] \
    && { [ "$width_min" -lt "$allowed_min" ] || [ "$width_max" -gt "$allowed_max" ]; }; then
    echo "chart widths $width_min–$width_max outside the service's $allowed_min–$allowed_max" >&2
    exit 1
  fi
fi
port=${PORT:-18432}
work=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  if [ -n "${KEEP_WORK:-}" ]; then echo "kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

export ROCKET_DATABASE_URL="sqlite://$work/bench.db?mode=rwc"
export KUNDENPULS_LOG=warn
export ROCKET_MAIL_DIR="$work/mail"

python3 - "$work/employees.csv" "$EMPLOYEES" <<'PY'
import sys, random
random.seed(7)
depts = [f"Bereich {a} / Abteilung {b} / Team {c} / Gruppe {d}"
         for a in range(3) for b in range(4) for c in range(3) for d in range(3)][:120]
with open(sys.argv[1], "w", encoding="utf-8") as out:
    out.write("email;name;department;locale\n")
    for i in range(int(sys.argv[2])):
        out.write(f"person{i}@example.de;Person {i};{random.choice(depts)};{'en' if i % 4 == 0 else 'de'}\n")
PY
"$bin" migrate >/dev/null
"$bin" import employees "$work/employees.csv" >/dev/null

start=$(date +%s%N)
python3 - "$work/bench.db" "$ROUNDS" <<'PY'
import sqlite3, sys, random, uuid, datetime
random.seed(11)
db = sqlite3.connect(sys.argv[1])
db.execute("PRAGMA journal_mode=WAL")
q = {k: (i, p, s, r, c) for i, k, p, s, r, c in db.execute(
    "SELECT id, key, pillar, scale, reverse_coded, core FROM questions WHERE active")}
pillars = ["customer_focus", "leadership", "values"]
cores = [k for k, v in q.items() if v[4] and v[1]]
rotating = [k for k, v in q.items() if not v[4] and v[1]]
leaves = {}
for dept, n in db.execute("SELECT department_id, count(*) FROM employees GROUP BY department_id"):
    leaves[dept] = n
employees = db.execute("SELECT id, department_id FROM employees").fetchall()
start = datetime.datetime(2021, 1, 4, 8, 0, tzinfo=datetime.timezone.utc)
fmt = lambda t: t.strftime("%Y-%m-%d %H:%M:%S+00:00")

def respondent(level):
    # One respondent's answers to the round's items: a personal level plus noise.
    out = {}
    for k in items:
        if q[k][2] == "nps11":
            out[k] = max(0, min(10, round(level * 2.2 + random.gauss(0, 2))))
        elif q[k][2] == "likert5":
            out[k] = None if random.random() < 0.05 else max(1, min(5, round(level + random.gauss(0, 0.9))))
    return out

def score(values, reverse):
    turned = [(6 - v) if r else v for v, r in zip(values, reverse) if v is not None]
    return None if not turned else (sum(turned) / len(turned) - 1) / 4 * 100

rounds = int(sys.argv[2])
for r in range(rounds):
    opens = start + datetime.timedelta(weeks=4 * r)
    closes = opens + datetime.timedelta(days=7)
    raw = r >= rounds - 2
    state = "open" if raw else "closed"
    cur = db.execute(
        "INSERT INTO rounds (title, state, opens_at, closes_at, created_at, closed_at) VALUES (?,?,?,?,?,?)",
        (f"Puls {r + 1}", state, fmt(opens), fmt(closes), fmt(opens), None if raw else fmt(closes)))
    rid = cur.lastrowid
    # The tree as the round saw it when it opened, as round::open keeps it.
    db.execute("INSERT INTO round_tree (round_id, department_id, parent_id, name, path, created_at, retired_at) "
               "SELECT ?, id, parent_id, name, path, created_at, retired_at FROM departments", (rid,))
    items = cores + random.sample(rotating, 4) + ["recommend", "comment"]
    for pos, k in enumerate(items):
        db.execute("INSERT INTO round_questions VALUES (?,?,?)", (rid, q[k][0], pos))
    mood = 3.2 + 0.6 * random.random()
    if raw:
        inv, resp, ans = [], [], []
        for emp, dept in employees:
            iid = str(uuid.uuid4())
            answered = random.random() < 0.7
            inv.append((iid, rid, emp, dept, None, fmt(opens), 0, answered))
            if answered:
                res = str(uuid.uuid4())
                resp.append((res, rid, dept, 0))
                for k, v in respondent(mood + random.gauss(0, 0.6)).items():
                    ans.append((res, q[k][0], v, None))
                if random.random() < 0.1:
                    ans.append((res, q["comment"][0], None, "Mehr Zeit für Kundengespräche."))
        db.executemany("INSERT INTO invitations VALUES (?,?,?,?,?,?,?,?)", inv)
        db.executemany("INSERT INTO responses VALUES (?,?,?,?)", resp)
        db.executemany("INSERT INTO answers VALUES (?,?,?,?)", ans)
        continue
    # Respondents come from a pool of pre-summed blocks of ten (and single ones for the
    # rest): 76 rounds × 70,000 respondents one by one would take minutes in Python.
    def blank():
        return {"m": {}, "c": {k: [0] * (11 if q[k][2] == "nps11" else 5) for k in items if q[k][2] != "text"},
                "x": {k: 0 for k in items if q[k][2] != "text"}}
    def add_respondent(acc):
        a = respondent(mood + random.gauss(0, 0.6))
        for k, v in a.items():
            if v is None:
                acc["x"][k] += 1
            elif q[k][2] == "nps11":
                acc["c"][k][v] += 1
            else:
                acc["c"][k][((6 - v) if q[k][3] else v) - 1] += 1
        for p in pillars:
            for basis in ("core", "round"):
                ks = [k for k in items if q[k][1] == p and (basis == "round" or q[k][4])]
                sc = score([a[k] for k in ks], [q[k][3] for k in ks])
                if sc is not None:
                    m = acc["m"].setdefault((p, basis), [0, 0.0, 0.0])
                    m[0] += 1; m[1] += sc; m[2] += sc * sc
    def merge(acc, other):
        for key, m in other["m"].items():
            t = acc["m"].setdefault(key, [0, 0.0, 0.0])
            t[0] += m[0]; t[1] += m[1]; t[2] += m[2]
        for k, c in other["c"].items():
            acc["c"][k] = [a + b for a, b in zip(acc["c"][k], c)]
            acc["x"][k] += other["x"][k]
    tens, ones = [], []
    for _ in range(60):
        block = blank()
        for _ in range(10):
            add_respondent(block)
        tens.append(block)
    for _ in range(60):
        one = blank()
        add_respondent(one)
        ones.append(one)
    groups, pills, hist = [], [], []
    for dept, n in leaves.items():
        answered = sum(1 for _ in range(n) if random.random() < 0.7)
        groups.append((rid, dept, n, answered, answered // 10))
        acc = blank()
        for _ in range(answered // 10):
            merge(acc, random.choice(tens))
        for _ in range(answered % 10):
            merge(acc, random.choice(ones))
        pills += [(rid, dept, p, b, m[0], m[1], m[2]) for (p, b), m in acc["m"].items()]
        hist += [(rid, dept, q[k][0], ",".join(map(str, c)), acc["x"][k]) for k, c in acc["c"].items()]
    db.executemany("INSERT INTO result_groups VALUES (?,?,?,?,?)", groups)
    db.executemany("INSERT INTO result_pillars VALUES (?,?,?,?,?,?,?)", pills)
    db.executemany("INSERT INTO result_items VALUES (?,?,?,?,?)", hist)
db.commit()
print("rounds:", db.execute("SELECT count(*) FROM rounds").fetchone()[0],
      "| aggregate rows:", sum(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                               for t in ("result_groups", "result_pillars", "result_items")),
      "| raw answers:", db.execute("SELECT count(*) FROM answers").fetchone()[0])
PY
generate_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "data generated in $generate_ms ms"

close_ms=()
for id in $("$bin" round list 2>/dev/null | awk '$2 == "open" {print $1}'); do
  responses=$(sqlite3 "$work/bench.db" "SELECT count(*) FROM responses WHERE round_id = $id")
  start=$(date +%s%N)
  "$bin" round close "$id" >/dev/null
  close_ms+=($(( ($(date +%s%N) - start) / 1000000 )))
  echo "round close $id ($responses responses, aggregates computed): ${close_ms[-1]} ms"
done

echo "bench-password-123" | "$bin" user add --email viewer@example.de --role viewer >/dev/null
token=$("$bin" token create --role viewer --name bench | grep -Eo '[A-Za-z0-9_-]{30,}' | head -1)
departments=$(python3 -c "
import sqlite3; db = sqlite3.connect('$work/bench.db')
print(','.join(str(r[0]) for r in db.execute('SELECT id FROM departments ORDER BY id')))")

ROCKET_PORT=$port ROCKET_ADDRESS=127.0.0.1 ROCKET_LOG_LEVEL=off ROCKET_RATE_LIMIT_LOGIN_PER_MINUTE=0 \
  "$bin" serve 2> "$work/server.log" &
server=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
base="http://127.0.0.1:$port"
login=$(curl -fs -c "$work/cookies" "$base/login")
csrf=$(grep -o 'name="csrf" value="[^"]*"' <<<"$login" | head -1 | sed 's/.*value="//; s/"$//')
curl -fs -b "$work/cookies" -c "$work/cookies" -o /dev/null \
  --data-urlencode "csrf=$csrf" --data-urlencode "email=viewer@example.de" \
  --data-urlencode "password=bench-password-123" "$base/login"
cookie=$(sed "s/^#HttpOnly_//" "$work/cookies" | awk '!/^#/ && NF >= 7 {printf "%s=%s; ", $6, $7}')
first=$(curl -fs -H "Cookie: $cookie" -o /dev/null -w "%{http_code} %{time_total} %{size_download}" "$base/dashboard")
read -r first_code first_s first_bytes <<<"$first"
echo "first /dashboard (cold): HTTP $first_code, $first_s s, $first_bytes bytes"
curl -fs -H "Cookie: $cookie" -o "$work/trend.png" "$base/charts/trend.png"

# wrk counts only >= 400 as errors; a 3xx (a lost session sends the viewer to /login) would be
# timed as a fast success, so every answer that is not 2xx is counted here.
cat > "$work/paths.lua" <<LUA
local departments = {}
for id in string.gmatch("$departments", "%d+") do departments[#departments + 1] = id end
local kind = os.getenv("KIND")
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  n = 0
  non_2xx = 0
  statuses = ""
end
request = function()
  n = n + 1
  local d = departments[(n % #departments) + 1]
  local path
  if kind == "chart" then
    local w = $width_min + (math.floor(n / #departments) % $width_count) * $width_step
    path = "/charts/trend.svg?department=" .. d .. "&width=" .. w
  elseif kind == "api" then
    path = "/api/v1/departments/" .. d .. "/trend"
  else
    path = "/dashboard"
  end
  return wrk.format("GET", path)
end
response = function(status, headers, body)
  if status < 200 or status > 299 then
    non_2xx = non_2xx + 1
    if #statuses < 200 then statuses = statuses .. status .. " " end
  end
end
done = function(summary, latency, requests)
  local bad, seen = 0, ""
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non_2xx")
    seen = seen .. thread:get("statuses")
  end
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  local per_s = summary.requests / (summary.duration / 1e6)
  io.write(string.format("  %d requests, %d non-2xx, %.0f req/s, p50 %.1f ms, p95 %.1f ms, p99 %.1f ms\\n",
    summary.requests, bad, per_s,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
  if bad > 0 then io.write("  non-2xx statuses (first ones): " .. seen .. "\\n") end
  local f = io.open(os.getenv("JSON_OUT"), "w")
  f:write(string.format('{"requests": %d, "non_2xx": %d, "socket_errors": %d, "per_s": %.1f, "p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f}\\n',
    summary.requests, bad, errors, per_s, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000))
  f:close()
end
LUA
non_2xx_total=0
for run in dashboard:1 dashboard:"$CONNECTIONS" chart:1 chart:"$CONNECTIONS" api:"$CONNECTIONS"; do
  kind=${run%%:*}
  clients=${run#*:}
  threads=$(( THREADS < clients ? THREADS : clients ))
  echo "$kind, $clients client(s) (wrk -t$threads -c$clients -d$DURATION):"
  header="Cookie: $cookie"
  [ "$kind" = api ] && header="Authorization: Bearer $token"
  json="$work/$kind-$clients.json"
  KIND=$kind JSON_OUT=$json wrk --timeout 10s -t"$threads" -c"$clients" -d"$DURATION" -H "$header" \
    -s "$work/paths.lua" "$base" | grep -E 'requests,|non-2xx statuses|Socket errors' || true
  bad=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["non_2xx"])' "$json" 2>/dev/null || echo 1)
  non_2xx_total=$((non_2xx_total + bad))
  python3 "$here/tests/bench/json_line.py" part=reports what=load kind="$kind" clients="$clients" \
    threads="$threads" duration="$DURATION" "@$json"
done
peak_kib=$(awk '/^VmHWM/ { print $2 }' "/proc/$server/status")
echo "server peak RSS: $(awk "BEGIN { print $peak_kib / 1024 }") MiB"
python3 "$here/tests/bench/json_line.py" part=reports what=setup employees="$EMPLOYEES" rounds="$ROUNDS" \
  departments="$(tr ',' '\n' <<<"$departments" | wc -l)" generate_ms="$generate_ms" \
  close_ms:="[$(IFS=,; echo "${close_ms[*]}")]" first_dashboard_code="$first_code" \
  first_dashboard_s="$first_s" chart_widths="$width_min-$width_max step $width_step" \
  peak_rss_kib="$peak_kib" non_2xx_total="$non_2xx_total"
if [ "$non_2xx_total" -gt 0 ]; then
  echo "$non_2xx_total timed requests were not answered with 2xx: these latencies are not valid" >&2
  exit 1
fi
