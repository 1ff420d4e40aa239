#!/usr/bin/env bash
# Benchmark: fan-out of 10,000 invitations through the running service to a local SMTP sink.
# Starts postfix's smtp-sink (apt-get install postfix; only the binary is used) and the release
# binary on SQLite (or PostgreSQL with KUNDENPULS_BENCH_PG set), imports 10,000 employees, opens a
# round and times until the outbox reports every invitation sent; prints the service's peak
# memory (VmHWM) and, for comparison, smtp-source's own rate against the same sink.
# Paced: KUNDENPULS_BENCH_RATE=120 (mail_rate_per_minute) also reads the ETA the API gives right
# after the round was created and compares it with when the last invitation actually left, and
# the planned duration ((mails - 1) intervals of 60/rate s) with the measured one.
# Usage: tests/bench/fanout.sh [path/to/kundenpuls]   (default: target/release/kundenpuls)
#   KUNDENPULS_BENCH_MAILS=10000  KUNDENPULS_BENCH_POOL=16 (smtp_pool_size)
#   KUNDENPULS_BENCH_RATE=<mails a minute>  KUNDENPULS_BENCH_PG=postgres://…/postgres (admin URL;
#   a database kp_fanout_<pid> is created and dropped)
#   KUNDENPULS_BENCH_DEADLINE=<s>  give up (exit 1) if the outbox has not sent everything by then
#   (default 600 s, paced: twice the plan + 120 s)
#   KUNDENPULS_BENCH_RESULTS=<file>  also append the figures as one JSON line (tests/bench/run)
set -euo pipefail
cd "$(dirname "$0")/../.."
here=$(pwd)
bin=$(realpath "${1:-target/release/kundenpuls}")
count=${KUNDENPULS_BENCH_MAILS:-10000}
pool=${KUNDENPULS_BENCH_POOL:-16}
work=$(mktemp -d)
sink_port=$((20000 + RANDOM % 10000))
web_port=$((30000 + RANDOM % 10000))
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

python3 - "$work/employees.csv" "$count" <<'PY'
import sys
with open(sys.argv[1], "w", encoding="utf-8") as out:
    out.write("email,name,department,locale\n")
    for i in range(int(sys.argv[2])):
        out.write(f"person{i}@example.de,Person {i},Bereich {i % 10} / Team {i % 40},{'en' if i % 3 == 0 else 'de'}\n")
PY

/usr/sbin/smtp-sink -u "$(id -un)" "127.0.0.1:$sink_port" 1000 >/dev/null 2>&1 &
pids+=($!)

if [ -n "${KUNDENPULS_BENCH_PG:-}" ]; then
  db="kp_fanout_$$"
  psql "$KUNDENPULS_BENCH_PG" -qc "CREATE DATABASE $db"
  url="${KUNDENPULS_BENCH_PG%/*}/$db"
  trap 'cd /; psql "$KUNDENPULS_BENCH_PG" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"; cleanup' EXIT
  count_sent() { psql "$url" -Atc "SELECT count(*) FROM mail_outbox WHERE state = 'sent'"; }
else
  url="sqlite://$work/bench.db?mode=rwc"
  count_sent() { sqlite3 "$work/bench.db" "SELECT count(*) FROM mail_outbox WHERE state = 'sent'"; }
fi
export ROCKET_DATABASE_URL="$url" ROCKET_SMTP_URL="smtp://127.0.0.1:$sink_port" ROCKET_PORT="$web_port"
export ROCKET_SMTP_POOL_SIZE="$pool" ROCKET_MAIL_DIR="$work/outbox" KUNDENPULS_LOG=warn
rate=${KUNDENPULS_BENCH_RATE:-}
[ -n "$rate" ] && export ROCKET_MAIL_RATE_PER_MINUTE="$rate"
cd "$work"
"$bin" import employees employees.csv >/dev/null
token=$("$bin" token create --role admin --name bench 2>/dev/null)
"$bin" serve &
server=$!
pids+=("$server")
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$web_port/health" >/dev/null && break; sleep 0.1; done

opens=$(TZ=Europe/Berlin date -d '-1 minute' '+%Y-%m-%d %H:%M')
closes=$(TZ=Europe/Berlin date -d '+14 days' '+%Y-%m-%d %H:%M')
start=$(date +%s%N)
round_id=$("$bin" round create --title "Fan-out" --opens "$opens" --closes "$closes" 2>/dev/null | sed -n 's/^round \([0-9]*\):.*/\1/p')
if [ -n "$rate" ]; then
  eta=$(curl -fs -H "Authorization: Bearer $token" "http://127.0.0.1:$web_port/api/v1/rounds/$round_id" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["pace"]["expected_finish"])')
  echo "ETA shown right after creating the round: $eta (rate $rate a minute)"
fi
deadline=${KUNDENPULS_BENCH_DEADLINE:-$([ -n "$rate" ] && echo $(( 2 * (count - 1) * 60 / rate + 120 )) || echo 600)}
while [ "$(count_sent)" -lt "$count" ]; do
  if [ $(( ($(date +%s%N) - start) / 1000000000 )) -ge "$deadline" ]; then
    echo "gave up after $deadline s: $(count_sent) of $count invitations sent" >&2
    exit 1
  fi
  sleep 0.05
done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
seen_at=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
peak_kib=$(awk '/^VmHWM/ {print $2}' "/proc/$server/status")
printf 'kundenpuls: %d invitations sent in %d.%03d s = %d mails/s (pool %d), peak RSS %s kB\n' \
  "$count" $((ms / 1000)) $((ms % 1000)) $((count * 1000 / (ms > 0 ? ms : 1))) "$pool" "$peak_kib"
paced=null
if [ -n "$rate" ]; then
  # The human lines go to stderr, the JSON object to stdout (into $paced).
  paced=$(python3 - "$eta" "$seen_at" "$count" "$rate" "$ms" <<'PY'
import json, sys
from datetime import datetime
eta = datetime.fromisoformat(sys.argv[1])
seen = datetime.fromisoformat(sys.argv[2])
count, rate, ms = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
planned = (count - 1) * 60 / rate
deviation = (seen - eta).total_seconds()
print(f"last invitation seen sent at {seen.isoformat()}: {deviation:+.1f} s from the ETA (polled every 50 ms)",
      file=sys.stderr)
print(f"planned {planned:.1f} s ({count - 1} intervals of {60 / rate:.2f} s), took {ms / 1000:.1f} s",
      file=sys.stderr)
print(json.dumps({"eta": sys.argv[1], "last_sent_seen": seen.isoformat(),
                  "planned_s": round(planned, 2), "eta_deviation_s": round(deviation, 2)}))
PY
)
fi

start=$(date +%s%N)
/usr/sbin/smtp-source -d -s 16 -m "$count" -l 3000 -f bench@example.de -t sink@example.de "127.0.0.1:$sink_port"
source_ms=$(( ($(date +%s%N) - start) / 1000000 ))
source_rate=$((count * 1000 / (source_ms > 0 ? source_ms : 1)))
printf 'smtp-source (16 sessions kept open, 3 KB) against the same sink: %d mails/s\n' "$source_rate"
python3 "$here/tests/bench/json_line.py" part=fanout \
  backend="$([ -n "${KUNDENPULS_BENCH_PG:-}" ] && echo postgres || echo sqlite)" \
  mails="$count" pool="$pool" rate_per_minute="$rate" seconds="$(awk "BEGIN { print $ms / 1000 }")" \
  mails_per_s="$(awk "BEGIN { printf \"%.1f\", $count * 1000 / ($ms > 0 ? $ms : 1) }")" \
  peak_rss_kib="$peak_kib" smtp_source_per_s="$source_rate" paced:="$paced"
