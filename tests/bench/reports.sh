#!/usr/bin/env bash
# Benchmark: reports at the size DECISIONS.md sets — 100,000 employees in 120 departments of
# four levels, 78 closed rounds of 8 scored items (+ comment), 70 % participation. The stored
# aggregates of rounds 1–76 are generated directly; rounds 77 and 78 get raw answers (70,000
# responses each) and are closed by `kundenpuls round close`, which computes their aggregates
# (the time of each close is printed). Then, against the release binary on SQLite:
#   - GET /dashboard as a company-wide viewer,
#   - GET /charts/trend.svg?department=<id>&width=<w> over every department and 40 widths
#     (4,800+ distinct pictures, so the chart cache hardly ever answers),
#   - GET /api/v1/departments/<id>/trend over every department,
# each with wrk and a Lua script that prints p50/p95/p99.
#
# Usage: tests/bench/reports.sh [path/to/kundenpuls]   (default: target/release/kundenpuls)
#   DURATION=10s THREADS=2 CONNECTIONS=8
#   KEEP_WORK=1   keep the generated database and files (the path is printed) for a look
# Needs: wrk (apt-get install -y wrk), python3, curl.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$(realpath "${1:-target/release/kundenpuls}")
DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-8}
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

python3 - "$work/employees.csv" <<'PY'
import sys, random
random.seed(7)
depts = [f"Bereich {a} / Abteilung {b} / Team {c} / Gruppe {d}"
         for a in range(3) for b in range(4) for c in range(3) for d in range(3)][:120]
with open(sys.argv[1], "w", encoding="utf-8") as out:
    out.write("email;name;department;locale\n")
    for i in range(100_000):
        out.write(f"person{i}@example.de;Person {i};{random.choice(depts)};{'en' if i % 4 == 0 else 'de'}\n")
PY
"$bin" migrate >/dev/null
"$bin" import employees "$work/employees.csv" >/dev/null

start=$(date +%s%N)
python3 - "$work/bench.db" <<'PY'
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

for r in range(78):
    opens = start + datetime.timedelta(weeks=4 * r)
    closes = opens + datetime.timedelta(days=7)
    raw = r >= 76
    state = "open" if raw else "closed"
    cur = db.execute(
        "INSERT INTO rounds (title, state, opens_at, closes_at, created_at, closed_at) VALUES (?,?,?,?,?,?)",
        (f"Puls {r + 1}", state, fmt(opens), fmt(closes), fmt(opens), None if raw else fmt(closes)))
    rid = cur.lastrowid
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
                resp.append((res, rid, dept, opens.date().isoformat()))
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
echo "data generated in $(( ($(date +%s%N) - start) / 1000000 )) ms"

for id in $("$bin" round list 2>/dev/null | awk '$2 == "open" {print $1}'); do
  start=$(date +%s%N)
  "$bin" round close "$id" >/dev/null
  echo "round close $id (70,000 responses, aggregates computed): $(( ($(date +%s%N) - start) / 1000000 )) ms"
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
curl -fs -H "Cookie: $cookie" -o /dev/null -w "first /dashboard (cold): HTTP %{http_code}, %{time_total} s, %{size_download} bytes\n" "$base/dashboard"
curl -fs -H "Cookie: $cookie" -o "$work/trend.png" "$base/charts/trend.png"

cat > "$work/paths.lua" <<LUA
local departments = {}
for id in string.gmatch("$departments", "%d+") do departments[#departments + 1] = id end
local kind = os.getenv("KIND")
local n = 0
request = function()
  n = n + 1
  local d = departments[(n % #departments) + 1]
  local path
  if kind == "chart" then
    path = "/charts/trend.svg?department=" .. d .. "&width=" .. (400 + (math.floor(n / #departments) % 40) * 20)
  elseif kind == "api" then
    path = "/api/v1/departments/" .. d .. "/trend"
  else
    path = "/dashboard"
  end
  return wrk.format("GET", path)
end
done = function(summary, latency, requests)
  io.write(string.format("  %d requests, %d non-2xx/3xx, %.0f req/s, p50 %.1f ms, p95 %.1f ms, p99 %.1f ms\n",
    summary.requests, summary.errors.status, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
LUA
for kind in dashboard chart api; do
  echo "$kind (wrk -t$THREADS -c$CONNECTIONS -d$DURATION):"
  header="Cookie: $cookie"
  [ "$kind" = api ] && header="Authorization: Bearer $token"
  KIND=$kind wrk --timeout 10s -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -H "$header" -s "$work/paths.lua" "$base" | grep -E 'requests,|Socket errors'
done
echo "server peak RSS: $(grep VmHWM /proc/$server/status | awk '{print $2 / 1024 " MiB"}')"
