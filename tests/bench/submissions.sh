#!/usr/bin/env bash
# Benchmark: complete survey submissions per second over many distinct links, each handled as a
# browser would: the form is opened first (GET /s/<token>), then posted with every item answered
# (POST /s/<token>: one response + its answers stored, invitation marked answered). Only complete
# GET+POST pairs count; p50/p99 are those of the POST (the GET's are printed too). GET /health
# of the same server process in the same run is the ceiling; then the POST alone: other links of
# the same round posted without opening their forms (the csrf field is the cookie's). The CPU
# time wrk took is stated in cores (it shares the machine with the server). The server's peak
# memory (VmHWM) is read before it stops. The CPU each stored submission cost the server and the
# database (all of PostgreSQL's processes) is read from /proc around each phase. SQLite, then
# PostgreSQL.
#
# Usage: tests/bench/submissions.sh [path/to/kundenpuls]   (default: target/release/kundenpuls)
#   N=160000          invitations (distinct tokens): the first three eighths for the complete
#                     submissions, the rest for the POST alone (about twice as fast); each part
#                     must exceed its rate × DURATION, since
#                     a token can be answered once (the Lua script stops a thread that runs out)
#   DURATION=10s      per wrk run;   THREADS=2 CONNECTIONS=64   wrk's -t and -c
#   BACKENDS="sqlite postgres"
#   KUNDENPULS_BENCH_PG=postgres://postgres@127.0.0.1:5432/postgres  (an admin URL; a database
#                     kp_bench_<pid> is created and dropped)
#   KUNDENPULS_BENCH_PG_PARAMS=""   appended to the server's database URL, e.g. "?sslmode=disable"
#                     (without it the driver encrypts the connections when the server offers it)
#   KUNDENPULS_BENCH_RESULTS=<file>  also append one JSON line per backend (tests/bench/run)
# Needs: wrk (apt-get install -y wrk; its LuaJIT ffi times the requests), python3, sqlite3, psql,
# curl.
#
# How the links are found: there is no way to list survey links, by design (a token is never
# stored, only its SHA-256). This script derives them as the mail worker does:
#   token = "<round id>-" + base64url_nopad(HMAC-SHA256(token_key, invitation.id))
# with token_key read from the settings table (key 'token_key', base64url without padding) and
# the invitation ids from the invitations table, via sqlite3/psql. Only a benchmark may do this:
# whoever can read token_key and the invitations can answer for everyone.
#
# Opening the round queues one invitation mail per employee; the script cancels them before the
# server starts, so that mail rendering does not share the cores with the submissions.
# The server runs with the survey rate limits turned off (ROCKET_RATE_LIMIT_TOKEN_PER_MINUTE=0,
# ROCKET_RATE_LIMIT_SURVEY_PER_MINUTE=0): all load comes from one address. Request logging is
# reduced to warnings (KUNDENPULS_LOG) except the writer's per-batch debug line, from which the
# batch sizes are counted.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=$(pwd)
bin=$(realpath "${1:-target/release/kundenpuls}")
N=${N:-160000}
DURATION=${DURATION:-10s}
# submit.lua reads it: each wrk thread keeps every THREADS-th token.
export THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
BACKENDS=${BACKENDS:-sqlite postgres}
pg_admin=${KUNDENPULS_BENCH_PG:-postgres://postgres@127.0.0.1:5432/postgres}
port=${PORT:-18431}
work=$(mktemp -d)
server=""
pg_db=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  if [ -n "$pg_db" ]; then psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }

python3 - "$work/employees.csv" "$N" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
depts = [f"Bereich {a} / Team {b}" for a in range(4) for b in range(5)]
with open(path, "w", encoding="utf-8") as out:
    out.write("email;name;department;locale\n")
    for i in range(n):
        out.write(f"p{i}@example.de;Person {i};{depts[i % len(depts)]};{'en' if i % 4 == 0 else 'de'}\n")
PY

# timed FILE CMD…: runs CMD, writing its user+system CPU seconds and wall seconds to FILE.
timed() {
  local file=$1; shift
  /usr/bin/time -f '%U %S %e' -o "$file" "$@"
}
# cores FILE: the CPU a timed command took, in cores (CPU seconds over wall seconds).
cores() {
  awk '{ if ($3 > 0) printf "%.2f", ($1 + $2) / $3 }' "$1"
}

# ticks PID…: the user+system CPU the processes have taken so far, in clock ticks (a process
# gone by then counts 0).
ticks() {
  local pid
  for pid in "$@"; do
    awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat" 2>/dev/null || true
  done | awk '{ s += $1 } END { print s + 0 }'
}
# db_pids BACKEND: the database's own processes (PostgreSQL's postmaster, backends and
# workers); none for SQLite, which works inside the server.
db_pids() {
  [ "$1" != postgres ] || pgrep -u postgres || true
}
# cpu_mark BACKEND FILE: the server's and the database's ticks now, into FILE.
cpu_mark() {
  # shellcheck disable=SC2046  # one pid a word
  echo "$(ticks "$server") $(ticks $(db_pids "$1"))" > "$2"
}
# cpu_per_submission BEFORE AFTER PHASE_JSON: "server db" microseconds of CPU per stored
# submission of the phase. Throughput on a shared machine varies by a tenth from run to run;
# the CPU a submission costs varies far less, and it says which process the time went to.
cpu_per_submission() {
  python3 - "$1" "$2" "$3" "$(getconf CLK_TCK)" <<'PY'
import json, sys
before, after = ([int(x) for x in open(f).read().split()] for f in sys.argv[1:3])
try:
    stored = json.load(open(sys.argv[3])).get("submissions") or 0
except (OSError, ValueError):
    stored = 0
tick_us = 1e6 / int(sys.argv[4])
print(*(f"{(a - b) * tick_us / stored:.0f}" if stored else "" for b, a in zip(before, after)))
PY
}

# sql BACKEND URL QUERY: rows as "a|b" lines.
sql() {
  case $1 in
    sqlite) sqlite3 -batch -noheader "${2#sqlite://}" "$3" ;;
    postgres) psql "$2" -qAt -F '|' -c "$3" ;;
  esac
}

# PostgreSQL writes a whole page into its log at the first change of that page after a
# checkpoint. At the log's pace under this load (about 20 MB/s) the default max_wal_size starts
# one every 25 s or so, at any point of a phase, and a phase that caught one ran up to 15 %
# slower than one that did not. So each writing phase starts right after a checkpoint: phases
# and runs see the same conditions.
phase_start() {
  [ "$1" != postgres ] || psql "$pg_admin" -qc "CHECKPOINT" >/dev/null
}

run_backend() {
  local backend=$1 url
  case $backend in
    sqlite) url="sqlite://$work/bench.db?mode=rwc" ;;
    postgres)
      pg_db="kp_bench_$$"
      psql "$pg_admin" -qc "CREATE DATABASE $pg_db" >/dev/null
      url="${pg_admin%/*}/$pg_db${KUNDENPULS_BENCH_PG_PARAMS:-}" ;;
  esac
  local dbref=$url
  [ "$backend" = sqlite ] && dbref="sqlite://$work/bench.db"
  export ROCKET_DATABASE_URL=$url
  export KUNDENPULS_LOG="warn,rocket::server=off,kundenpuls::answer::writer=debug"
  "$bin" migrate >/dev/null
  "$bin" import employees "$work/employees.csv" >/dev/null
  local opens closes
  opens=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
  closes=$(date -u -d '+7 days' +%Y-%m-%dT%H:%M:%SZ)
  "$bin" round create --title "Benchmark" --opens "$opens" --closes "$closes" >/dev/null
  local round_id key
  round_id=$(sql "$backend" "$dbref" "SELECT max(id) FROM rounds")
  # Opening queued an invitation mail per employee; sending them would compete for the same two
  # cores. This measures submissions, so the mails are cancelled.
  sql "$backend" "$dbref" "UPDATE mail_outbox SET state = 'cancelled' WHERE state = 'queued'" >/dev/null 2>&1 || true
  # Opening a round for 100,000 leaves a write-ahead log of that size; in a real round the
  # answers trickle in long after it has been folded back. Fold it now, so that the first
  # seconds of the run do not pay for the round's opening.
  [ "$backend" != sqlite ] || sql sqlite "$dbref" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
  key=$(sql "$backend" "$dbref" "SELECT value FROM settings WHERE key = 'token_key'")
  sql "$backend" "$dbref" "SELECT round_id, id FROM invitations WHERE round_id = $round_id" \
    | python3 -c '
import base64, hashlib, hmac, sys
key = base64.urlsafe_b64decode(sys.argv[1] + "=" * (-len(sys.argv[1]) % 4))
for line in sys.stdin:
    round_id, invitation = line.strip().split("|")
    mac = hmac.new(key, invitation.encode(), hashlib.sha256).digest()
    secret = base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    print(round_id + "-" + secret)
' "$key" > "$work/tokens.txt"
  # One complete set of answers: 4 on every Likert item, 9 on the 0-10 item, a short comment.
  sql "$backend" "$dbref" "SELECT q.key, q.scale FROM round_questions rq JOIN questions q ON q.id = rq.question_id WHERE rq.round_id = $round_id" \
    | python3 -c '
import sys, urllib.parse
pairs = []
for line in sys.stdin:
    key, scale = line.strip().split("|")
    value = {"likert5": "4", "nps11": "9", "text": "Mehr Zeit für Kunden"}[scale]
    pairs.append(("q_" + key, value))
print(urllib.parse.urlencode(pairs))
' > "$work/answers.txt"

  ROCKET_PORT=$port ROCKET_ADDRESS=127.0.0.1 ROCKET_LOG_LEVEL=off \
  ROCKET_RATE_LIMIT_TOKEN_PER_MINUTE=0 ROCKET_RATE_LIMIT_SURVEY_PER_MINUTE=0 \
    "$bin" serve 2> "$work/server-$backend.log" &
  server=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done

  # The browser's kp_csrf cookie from its first form page; every form page opened with it then
  # carries the matching csrf field, which submit.lua takes from each page it opens.
  local first page cookie csrf
  first=$(head -1 "$work/tokens.txt")
  page=$(curl -fs -c "$work/cookies" "http://127.0.0.1:$port/s/$first")
  csrf=$(printf '%s' "$page" | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
  cookie=$(awk '$6 == "kp_csrf" { print $6 "=" $7 }' "$work/cookies")
  if [ -z "$csrf" ] || [ -z "$cookie" ]; then echo "no form at the first link" >&2; exit 1; fi

  local invited items first
  invited=$(wc -l < "$work/tokens.txt")
  first=$(( invited * 3 / 8 ))
  head -n "$first" "$work/tokens.txt" > "$work/tokens-complete.txt"
  tail -n +"$((first + 1))" "$work/tokens.txt" > "$work/tokens-post.txt"
  items=$(tr '&' '\n' < "$work/answers.txt" | wc -l)
  echo "== $backend: $invited open invitations, $items items per submission, wrk -t$THREADS -c$CONNECTIONS -d$DURATION"
  echo "-- GET /health (ceiling, same process)"
  JSON_OUT="$work/health-$backend.json" \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$here/tests/bench/plain.lua" \
    "http://127.0.0.1:$port/health" | grep -E 'Requests/sec|^ +(50|99)%|Non-2xx|Socket errors' || true
  phase_start "$backend"
  cpu_mark "$backend" "$work/cpu-submit-start"
  echo "-- GET /s/<token>, then POST /s/<token> (complete submissions)"
  TOKENS="$work/tokens-complete.txt" ANSWERS="$work/answers.txt" COOKIE="$cookie" \
    JSON_OUT="$work/submit-$backend.json" \
    timed "$work/wrk-submit-$backend.time" \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s "$here/tests/bench/submit.lua" \
    "http://127.0.0.1:$port" | grep -E 'Socket errors|^stored|^forms opened|^not stored|^ran out' || true
  cpu_mark "$backend" "$work/cpu-submit-end"
  phase_start "$backend"
  cpu_mark "$backend" "$work/cpu-post-start"
  echo "-- POST /s/<token> alone (forms not opened)"
  TOKENS="$work/tokens-post.txt" ANSWERS="$work/answers.txt" COOKIE="$cookie" CSRF="$csrf" \
    POST_ONLY=1 JSON_OUT="$work/post-$backend.json" \
    timed "$work/wrk-post-$backend.time" \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s "$here/tests/bench/submit.lua" \
    "http://127.0.0.1:$port" | grep -E 'Socket errors|^stored|^not stored|^ran out' || true
  cpu_mark "$backend" "$work/cpu-post-end"
  local complete_cpu post_cpu
  read -r -a complete_cpu <<<"$(cpu_per_submission "$work/cpu-submit-start" \
    "$work/cpu-submit-end" "$work/submit-$backend.json")"
  read -r -a post_cpu <<<"$(cpu_per_submission "$work/cpu-post-start" "$work/cpu-post-end" \
    "$work/post-$backend.json")"
  if [ "$backend" = postgres ]; then
    echo "-- CPU per stored submission: server ${complete_cpu[0]:-?} µs + PostgreSQL ${complete_cpu[1]:-?} µs (complete), server ${post_cpu[0]:-?} µs + PostgreSQL ${post_cpu[1]:-?} µs (POST alone)"
  else
    echo "-- CPU per stored submission (server, SQLite inside it): ${complete_cpu[0]:-?} µs (complete), ${post_cpu[0]:-?} µs (POST alone)"
  fi
  local wrk_cores post_cores
  wrk_cores=$(cores "$work/wrk-submit-$backend.time")
  post_cores=$(cores "$work/wrk-post-$backend.time")
  echo "-- wrk took $wrk_cores cores (complete submissions), $post_cores cores (POST alone)"
  # VmHWM: the resident peak of the whole run, read while the process still exists.
  local peak_kib
  peak_kib=$(awk '/^VmHWM/ { print $2 }' "/proc/$server/status")
  echo "-- server peak RSS: $((peak_kib / 1024)) MiB"
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
  local responses answered answers
  responses=$(sql "$backend" "$dbref" "SELECT count(*) FROM responses")
  answered=$(sql "$backend" "$dbref" "SELECT count(*) FROM invitations WHERE answered")
  answers=$(sql "$backend" "$dbref" "SELECT count(*) FROM answers")
  echo "-- check: $responses responses, $answered invitations answered, $answers answers"
  local batches n_batches="" mean_batch="" max_batch=""
  batches=$(grep -o 'size=[0-9]*' "$work/server-$backend.log" | cut -d= -f2 \
    | awk '{ n++; s += $1; if ($1 > m) m = $1 } END { if (n) printf "%d %.1f %d", n, s / n, m }')
  if [ -n "$batches" ]; then
    read -r n_batches mean_batch max_batch <<<"$batches"
    echo "-- writer: $n_batches batches, mean $mean_batch submissions per batch, largest $max_batch"
  fi
  grep -E ' (ERROR|WARN) ' "$work/server-$backend.log" | head -5 || true
  python3 "$here/tests/bench/json_line.py" part=submissions backend="$backend" \
    invitations="$invited" items="$items" threads="$THREADS" connections="$CONNECTIONS" \
    duration="$DURATION" peak_rss_kib="$peak_kib" responses="$responses" \
    invitations_answered="$answered" answers="$answers" writer_batches="${n_batches:-}" \
    writer_mean_batch="${mean_batch:-}" writer_max_batch="${max_batch:-}" \
    wrk_cores="$wrk_cores" post_wrk_cores="$post_cores" \
    server_cpu_us="${complete_cpu[0]:-}" post_server_cpu_us="${post_cpu[0]:-}" \
    db_cpu_us="${complete_cpu[1]:-}" post_db_cpu_us="${post_cpu[1]:-}" \
    "@$work/submit-$backend.json" \
    health:="$(cat "$work/health-$backend.json" 2>/dev/null || echo null)" \
    post_alone:="$(cat "$work/post-$backend.json" 2>/dev/null || echo null)"
  if [ ! -s "$work/submit-$backend.json" ] || [ ! -s "$work/health-$backend.json" ]; then
    echo "wrk gave no figures for $backend (see its output above)" >&2
    exit 1
  fi
  if [ "$backend" = postgres ]; then
    psql "$pg_admin" -qc "DROP DATABASE $pg_db WITH (FORCE)" >/dev/null; pg_db=""
  fi
  unset ROCKET_DATABASE_URL KUNDENPULS_LOG
}

for backend in $BACKENDS; do run_backend "$backend"; done
